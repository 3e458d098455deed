// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-shmem windows: the mmap() of a region and the fault path that
 * inserts the mapped files' pages, reading them the way filemap_fault()
 * does.
 */

#include <kunit/visibility.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rwsem.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/xarray.h>
#include <linux/vhost_shmem.h>

#include "vhost_shmem_private.h"
#include "compat.h"
#include "trace.h"

/*
 * The page cache's page @pgoff of @file with a folio reference, if it is
 * there and up to date: NULL when it must be read, ERR_PTR(-EHWPOISON) when
 * it is poisoned.
 */
static struct page *vhost_shmem_page_lookup(struct file *file, pgoff_t pgoff)
{
	struct folio *folio;
	struct page *page;

	/* No swap or shadow entries: those are for the read to handle. */
	folio = filemap_get_folio(file->f_mapping, pgoff);
	if (IS_ERR_OR_NULL(folio))
		return NULL;
	page = folio_file_page(folio, pgoff);
	if (folio_test_uptodate(folio) && !PageHWPoison(page))
		return page;
	page = PageHWPoison(page) ? ERR_PTR(-EHWPOISON) : NULL;
	folio_put(folio);
	return page;
}

/*
 * Whether @folio, of which the caller holds one reference, could migrate:
 * not while something holds it besides the page cache and the mappings of
 * the file (a window's reference, an I/O in flight), since migration gives
 * up on references it cannot account for.  A folio not on the LRU yet may
 * be held by a CPU's LRU batch, which memfd_pin_folios() drains: that one
 * is worth a try.
 */
static bool vhost_shmem_folio_migratable(struct folio *folio)
{
	return !folio_test_lru(folio) ||
	       folio_ref_count(folio) <=
	       folio_nr_pages(folio) + folio_mapcount(folio) + 1;
}

/*
 * Pin @page, page @pgoff of the shmem file @file found up to date in the
 * page cache with a folio reference that this takes over, and the @nr - 1
 * pages after it in its folio, as a long-term GUP pin would:
 * memfd_pin_folios() first migrates a folio out of
 * ZONE_MOVABLE or CMA, so the page returned may be a new copy of the data.
 * Migration fails on references it cannot account for, so the caller's
 * goes first whenever the folio could migrate.  A folio that something else
 * holds is never dropped for that: in ZONE_MOVABLE it is not tried at all
 * (that migration cannot succeed, and each try would cost a full one);
 * elsewhere it is pinned with the reference held, which takes no migration
 * unless the folio is in CMA, which a module cannot tell.  A folio that is
 * pinned already sits where pins may.  When the folio cannot be pinned
 * (those cases, a failed migration, 6.1, a count close to saturation), the
 * page is held by a plain reference, as pages of other files are; *@pinned
 * says which.  NULL when the page must be read again; ERR_PTR(-EINVAL) past
 * the end of the file, ERR_PTR(-EHWPOISON) for a poisoned page.
 */
static struct page *vhost_shmem_page_pin(struct file *file, pgoff_t pgoff,
					 struct page *page, unsigned int nr,
					 bool *pinned)
{
	struct folio *folio = page_folio(page), *pin;
	loff_t pos = (loff_t)pgoff << PAGE_SHIFT, end;
	pgoff_t offset;
	long ret;

	/* A pin adds GUP_PIN_COUNTING_BIAS to a small folio's count. */
	if (!vhost_shmem_can_pin() || folio_ref_count(folio) > INT_MAX / 2)
		return page;
	if (!folio_maybe_dma_pinned(folio) &&
	    vhost_shmem_folio_migratable(folio)) {
		folio_put(folio);
		folio = NULL;
	} else if (folio_is_zone_movable(folio)) {
		return page;
	}
	/* The page that holds the end of the file maps whole. */
	end = min_t(loff_t, pos + ((loff_t)nr << PAGE_SHIFT),
		    i_size_read(file_inode(file))) - 1;
	ret = end < pos ? -EINVAL :
	      memfd_pin_folios(file, pos, end, &pin, 1, &offset);
	if (ret != 1) {
		if (folio)
			return page;
		return ret == -EINVAL ? ERR_PTR(-EINVAL) :
					vhost_shmem_page_lookup(file, pgoff);
	}
	if (folio)
		folio_put(folio);
	page = folio_file_page(pin, pgoff);
	if (folio_test_uptodate(pin) && !PageHWPoison(page)) {
		*pinned = true;
		return page;
	}
	ret = PageHWPoison(page) ? -EHWPOISON : 0;
	unpin_folio(pin);
	return ret ? ERR_PTR(ret) : NULL;
}

/*
 * Hold @page, page @index of @map found up to date in the page cache with a
 * folio reference that the caller gives, for as long as @map lives, and
 * return the page held: @page, a copy it was migrated to for pinning, or the
 * page a concurrent fault stored first.  Pages of shmem files (memfd,
 * tmpfs) are pinned (vhost_shmem_page_pin()), those of other files keep the
 * reference.  NULL when the page must be read again; ERR_PTR(-EINVAL) past
 * the end of the file, ERR_PTR(-EHWPOISON) for a poisoned page, or the
 * xarray's ERR_PTR(-ENOMEM).
 */
VISIBLE_IF_KUNIT struct page *
vhost_shmem_mapping_hold(struct vhost_shmem_mapping *map,
			 pgoff_t index, struct page *page)
{
	bool pinned = false;
	struct page *old;

	if (shmem_mapping(map->file->f_mapping)) {
		page = vhost_shmem_page_pin(map->file, map->pgoff + index,
					    page, 1, &pinned);
		if (IS_ERR_OR_NULL(page))
			return page;
	}
	xa_lock(&map->pages);
	old = __xa_cmpxchg(&map->pages, index, NULL, page, GFP_KERNEL_ACCOUNT);
	if (!old && pinned)
		__xa_set_mark(&map->pages, index, VHOST_SHMEM_PAGE_PINNED);
	xa_unlock(&map->pages);
	if (!old) {
		atomic_long_inc(&map->nr_resident);
		return page;
	}
	if (pinned)
		unpin_folio(page_folio(page));
	else
		folio_put(page_folio(page));
	return xa_is_err(old) ? ERR_PTR(xa_err(old)) : old;
}

/*
 * Read page @pgoff of @file into the page cache the way filemap_fault()
 * does: for a file with backing store, under the filesystem's invalidate
 * lock, so that the read cannot refill the page cache in the middle of a
 * hole punch or truncation (which would leave the old data there for every
 * reader), and never past the end of the file.
 *
 * Returns the page with a reference on its folio; ERR_PTR(-EINVAL) past
 * the end of the file, ERR_PTR(-EHWPOISON) for a poisoned page, or the
 * read's error.
 *
 * Context: may sleep on I/O.  The caller holds no vhost-shmem lock, and
 * the faulting mm's mmap_lock only when the fault cannot be retried.
 */
VISIBLE_IF_KUNIT struct page *
vhost_shmem_file_read_page(struct file *file,
			   pgoff_t pgoff)
{
	struct address_space *mapping = file->f_mapping;
	struct folio *folio;
	struct page *page;

	if (shmem_mapping(mapping)) {
		/* Fails with -EINVAL past the end of the file. */
		folio = shmem_read_folio_gfp(mapping, pgoff,
					     mapping_gfp_mask(mapping));
	} else {
		filemap_invalidate_lock_shared(mapping);
		if (pgoff >= DIV_ROUND_UP(i_size_read(mapping->host), PAGE_SIZE))
			folio = ERR_PTR(-EINVAL);
		else
			folio = read_mapping_folio(mapping, pgoff, file);
		filemap_invalidate_unlock_shared(mapping);
	}
	if (IS_ERR(folio))
		return ERR_CAST(folio);
	page = folio_file_page(folio, pgoff);
	if (PageHWPoison(page)) {
		folio_put(folio);
		return ERR_PTR(-EHWPOISON);
	}
	return page;
}

/*
 * Return the page at @index of @map without doing I/O: the one @map
 * already holds, or the page cache's if it is there, up to date and inside
 * the file (then held by @map, see vhost_shmem_mapping_hold()).  NULL when
 * the page must be read; ERR_PTR(-EINVAL) past the end of the file;
 * ERR_PTR(-EHWPOISON) when it is poisoned: such a page is never mapped
 * again, even if @map took it before the poison; ERR_PTR(-ENOMEM).
 */
VISIBLE_IF_KUNIT struct page *
vhost_shmem_mapping_cached_page(struct vhost_shmem_mapping *map,
				pgoff_t index)
{
	struct address_space *mapping = map->file->f_mapping;
	pgoff_t pgoff = map->pgoff + index;
	struct page *page;

	page = xa_load(&map->pages, index);
	if (page)
		return PageHWPoison(page) ? ERR_PTR(-EHWPOISON) : page;

	/* Past the end of the file: nothing to read, the access faults. */
	if (pgoff >= DIV_ROUND_UP(i_size_read(mapping->host), PAGE_SIZE))
		return ERR_PTR(-EINVAL);
	page = vhost_shmem_page_lookup(map->file, pgoff);
	if (IS_ERR_OR_NULL(page))
		return page;
	return vhost_shmem_mapping_hold(map, index, page);
}

/*
 * vm_page_prot of a shared writable window is read-only because of
 * ->pfn_mkwrite.  Read-write mappings get a writable PTE on the first
 * fault, whatever its kind: KVM resolves a guest write to a present
 * read-only PTE as a write to read-only memory, not as a fault.  Read-only
 * mappings keep the read-only PTE; a write to it then ends in
 * vhost_shmem_pfn_mkwrite().
 */
static pgprot_t vhost_shmem_prot(struct vm_area_struct *vma,
				 struct vhost_shmem_mapping *map)
{
	return map->writable ? vm_get_page_prot(vma->vm_flags) :
			       vma->vm_page_prot;
}

/*
 * Fault-around, for read faults: also map the pages around @vmf's, in the
 * naturally aligned VHOST_SHMEM_FAULT_AROUND bytes of the window that hold
 * it, that are mapped in the region and already up to date in the page
 * cache, as the page cache's own fault-around does for a file mapping.
 * Saves a fault per page when the VMM or the guest walks a mapping; KVM,
 * whose guest faults become host faults of the window, gains the most.
 * (->map_pages cannot serve here: it runs under RCU, and inserting a PFN
 * may sleep.)
 */
#define VHOST_SHMEM_FAULT_AROUND	SZ_64K

static void vhost_shmem_fault_around(struct vm_fault *vmf,
				     struct vhost_shmem_ctx *ctx)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long start, end, addr;
	struct vhost_shmem_mapping *map = NULL;
	pgoff_t pgoff, index;
	struct page *page;

	lockdep_assert_held(&ctx->lock);

	start = max(ALIGN_DOWN(vmf->address, VHOST_SHMEM_FAULT_AROUND),
		    vma->vm_start);
	end = min(ALIGN_DOWN(vmf->address, VHOST_SHMEM_FAULT_AROUND) +
		  VHOST_SHMEM_FAULT_AROUND, vma->vm_end);
	for (addr = start; addr < end; addr += PAGE_SIZE) {
		if (addr == (vmf->address & PAGE_MASK))
			continue;
		pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
		index = vhost_shmem_region_index(pgoff);
		/* The VMA, hence the range, lies inside one region. */
		if (!map || index < map->first ||
		    index - map->first >= map->npages)
			map = vhost_shmem_mapping_lookup(ctx, pgoff);
		if (!map)
			continue;
		page = vhost_shmem_mapping_cached_page(map, index - map->first);
		if (!IS_ERR_OR_NULL(page) &&
		    vmf_insert_pfn_prot(vma, addr, page_to_pfn(page),
					vhost_shmem_prot(vma, map)) !=
		    VM_FAULT_NOPAGE)
			break;
	}
}

/*
 * Faults that dropped their locks to read a page, by context page offset:
 * a hint, not a lock.  KVM resolves a guest access through
 * fixup_user_fault() and starts over from scratch whenever the fault
 * dropped the mmap_lock, even when the retried fault failed; a fault that
 * dropped it again on every first attempt would then spin forever on a
 * page that cannot be read.  So the first attempt that drops the locks
 * notes its page here, and a later first attempt on a noted page reads
 * with the mmap_lock held, like a retried one, and returns the error.  A
 * fault that inserts the page clears the note.
 */
static unsigned int vhost_shmem_read_slot(pgoff_t pgoff)
{
	return hash_long(pgoff, VHOST_SHMEM_READS_BITS);
}

static bool vhost_shmem_read_pending(struct vhost_shmem_ctx *ctx,
				     pgoff_t pgoff)
{
	return READ_ONCE(ctx->reads[vhost_shmem_read_slot(pgoff)]) == pgoff + 1;
}

static void vhost_shmem_read_begin(struct vhost_shmem_ctx *ctx, pgoff_t pgoff)
{
	WRITE_ONCE(ctx->reads[vhost_shmem_read_slot(pgoff)], pgoff + 1);
}

static void vhost_shmem_read_end(struct vhost_shmem_ctx *ctx, pgoff_t pgoff)
{
	unsigned int slot = vhost_shmem_read_slot(pgoff);

	if (READ_ONCE(ctx->reads[slot]) == pgoff + 1)
		WRITE_ONCE(ctx->reads[slot], 0);
}

/* The fault's result for a page that could not be had, and why. */
static vm_fault_t vhost_shmem_fault_error(int err, enum vhost_shmem_why *why)
{
	switch (err) {
	case -EINVAL:
		*why = VHOST_SHMEM_WHY_EOF;
		return VM_FAULT_SIGBUS;
	case -EHWPOISON:
		*why = VHOST_SHMEM_WHY_POISON;
		return VM_FAULT_HWPOISON;
	case -ENOMEM:
		*why = VHOST_SHMEM_WHY_NOMEM;
		return VM_FAULT_OOM;
	default:
		*why = VHOST_SHMEM_WHY_READ;
		return vmf_error(err);
	}
}

/*
 * A fault on a hole, a page of a region that nothing is mapped at: it
 * faults (SIGBUS, EFAULT for KVM), or, in a region with zero holes, gets the
 * zero page, read-only.  A write then faults again on the read-only entry
 * and ends in vhost_shmem_pfn_mkwrite() with SIGBUS for the VMM; KVM, which
 * asked for a write through fixup_user_fault() and finds a read-only entry,
 * emulates the access and exits to the VMM as MMIO.  MAP zaps the range
 * before its mapping can be looked up, so the zero page never hides a
 * mapping.
 */
static vm_fault_t vhost_shmem_fault_hole(struct vm_fault *vmf,
					 struct vhost_shmem_ctx *ctx,
					 enum vhost_shmem_why *why)
{
	struct vhost_shmem_region *region;

	lockdep_assert_held(&ctx->lock);

	/* A window may outlive its region, and span a smaller new one. */
	region = ctx->regions[vmf->pgoff >> VHOST_SHMEM_REGION_PGSHIFT];
	if (!region || !region->zero_holes ||
	    vhost_shmem_region_index(vmf->pgoff) >= region->npages) {
		*why = VHOST_SHMEM_WHY_NOT_MAPPED;
		return VM_FAULT_SIGBUS;
	}
	*why = VHOST_SHMEM_WHY_ZERO_HOLE;
	return vmf_insert_pfn_prot(vmf->vma, vmf->address,
				   page_to_pfn(ZERO_PAGE(vmf->address)),
				   vm_get_page_prot(vmf->vma->vm_flags &
						    ~VM_WRITE));
}

/* Whether @vmf's PMD maps 2 MiB itself (vhost_shmem_huge_fault()). */
static bool vhost_shmem_pmd_mapped(struct vm_fault *vmf)
{
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	return pmd_leaf(pmdp_get_lockless(vmf->pmd));
#else
	return false;
#endif
}

/*
 * The fault handler of the windows.  Pages the mapping holds, or that the
 * page cache has up to date, are inserted under the context lock.  A page
 * that must be read is read without it, as filemap_fault() reads: when the
 * fault may be retried, the mmap_lock (or VMA lock) is dropped too, the
 * page is read into the page cache and the fault is retried; otherwise (a
 * retried fault, or one whose earlier read did not lead to an insertion) it
 * is read with only the mmap_lock held and the mapping looked up again.
 * Pages past the end of the file fault at once, under the context lock.
 * So a stalled read (FUSE, NFS) blocks the access that needs it, not
 * UNMAP, RESET, the other faults of the context, or the VMM's own mmap().
 */
static vm_fault_t vhost_shmem_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vhost_shmem_ctx *ctx = vma->vm_file->private_data;
	/* Once the fault lock is dropped, nothing keeps @ctx alive. */
	u32 ctx_id = ctx->id;
	enum vhost_shmem_why why = VHOST_SHMEM_WHY_NONE;
	struct vhost_shmem_mapping *map;
	struct page *page, *read = NULL;
	struct file *file = NULL;
	pgoff_t index, pgoff = 0;
	vm_fault_t ret;

again:
	down_read(&ctx->lock);
	map = vhost_shmem_mapping_lookup(ctx, vmf->pgoff);
	if (!map) {
		ret = vhost_shmem_fault_hole(vmf, ctx, &why);
		goto out_unlock;
	}
	index = vhost_shmem_region_index(vmf->pgoff) - map->first;

	if (read) {
		/*
		 * Read without the lock: still the right page if the range
		 * maps the same file at the same offset.
		 */
		if (map->file == file && map->pgoff + index == pgoff) {
			page = vhost_shmem_mapping_hold(map, index, read);
		} else {
			folio_put(page_folio(read));
			page = NULL;
		}
		read = NULL;
		fput(file);
		file = NULL;
	} else {
		page = vhost_shmem_mapping_cached_page(map, index);
	}
	if (IS_ERR(page)) {
		ret = vhost_shmem_fault_error(PTR_ERR(page), &why);
		goto out_unlock;
	}

	if (!page) {
		file = get_file(map->file);
		pgoff = map->pgoff + index;
		up_read(&ctx->lock);

		if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT) {
			fput(file);
			trace_vhost_shmem_fault(ctx_id, vmf->pgoff,
						vmf->flags & FAULT_FLAG_WRITE,
						why, VM_FAULT_RETRY, 0);
			return VM_FAULT_RETRY;
		}
		if (fault_flag_allow_retry_first(vmf->flags) &&
		    !vhost_shmem_read_pending(ctx, vmf->pgoff)) {
			vhost_shmem_read_begin(ctx, vmf->pgoff);
			release_fault_lock(vmf);
			read = vhost_shmem_file_read_page(file, pgoff);
			if (!IS_ERR(read))
				folio_put(page_folio(read));
			fput(file);
			trace_vhost_shmem_fault(ctx_id, vmf->pgoff,
						vmf->flags & FAULT_FLAG_WRITE,
						why, VM_FAULT_RETRY, 0);
			return VM_FAULT_RETRY;
		}
		/*
		 * The page read can leave the page cache again before it is
		 * held (a punch, a truncation): read again, but not for a
		 * task that is being killed.
		 */
		read = fatal_signal_pending(current) ? ERR_PTR(-EINTR) :
			vhost_shmem_file_read_page(file, pgoff);
		if (!IS_ERR(read))
			goto again;
		fput(file);
		ret = vhost_shmem_fault_error(PTR_ERR(read), &why);
		trace_vhost_shmem_fault(ctx_id, vmf->pgoff,
					vmf->flags & FAULT_FLAG_WRITE, why, ret, 0);
		return ret;
	}

	vhost_shmem_read_end(ctx, vmf->pgoff);
	ret = vmf_insert_pfn_prot(vma, vmf->address, page_to_pfn(page),
				  vhost_shmem_prot(vma, map));
	/*
	 * A PMD that another thread's huge fault mapped here since this
	 * fault started leaves no PTE table to insert into, which the
	 * insertion reports as a failed allocation: the access is tried
	 * again, and finds the PMD.
	 */
	if (ret == VM_FAULT_OOM && vhost_shmem_pmd_mapped(vmf))
		ret = VM_FAULT_NOPAGE;
	if (ret == VM_FAULT_NOPAGE && !(vmf->flags & FAULT_FLAG_WRITE))
		vhost_shmem_fault_around(vmf, ctx);

out_unlock:
	if (ret == VM_FAULT_NOPAGE)
		vhost_shmem_stat_inc(ctx, VHOST_SHMEM_A_STATS_FAULTS);
	else if (why == VHOST_SHMEM_WHY_NONE)
		why = VHOST_SHMEM_WHY_NOMEM;
	trace_vhost_shmem_fault(ctx_id, vmf->pgoff,
				vmf->flags & FAULT_FLAG_WRITE, why, ret, 0);
	up_read(&ctx->lock);
	/* A page read for a range that was unmapped meanwhile. */
	if (read)
		folio_put(page_folio(read));
	if (file)
		fput(file);
	return ret;
}

#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
/*
 * Whether @page starts HPAGE_PMD_NR pages of its folio that one PMD can map:
 * naturally aligned, none of them poisoned.
 */
static bool vhost_shmem_page_pmd_mappable(struct page *page)
{
	struct folio *folio = page_folio(page);

	return folio_nr_pages(folio) - folio_page_idx(folio, page) >=
	       HPAGE_PMD_NR &&
	       IS_ALIGNED(page_to_pfn(page), HPAGE_PMD_NR) &&
	       !folio_test_has_hwpoisoned(folio);
}

/*
 * Hold the HPAGE_PMD_NR pages from @page, the page of @map at @index, for
 * as long as @map lives, as vhost_shmem_mapping_hold() holds one: the
 * folio reference or pin that the caller gives (@pinned says which) goes to
 * the first entry stored, and each other entry stored takes a reference.
 * A folio holds its pages, so one pin keeps the whole range where pins
 * may be.  Entries already there must hold the same pages.  Returns true
 * when all of them do; false when an entry holds another page (the range
 * was read from an earlier page cache folio) or the xarray failed, and the
 * pages stay as the 4 KiB path will find them.
 */
static bool vhost_shmem_mapping_hold_pmd(struct vhost_shmem_mapping *map,
					 pgoff_t index, struct page *page,
					 bool pinned)
{
	struct folio *folio = page_folio(page);
	unsigned long first = folio_page_idx(folio, page);
	struct page *want, *old;
	bool given = true;
	long held = 0;
	unsigned int i;

	xa_lock(&map->pages);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		want = folio_page(folio, first + i);
		old = __xa_cmpxchg(&map->pages, index + i, NULL, want,
				   GFP_KERNEL_ACCOUNT);
		if (old == want)
			continue;
		if (old)
			break;
		if (given) {
			given = false;
			if (pinned)
				__xa_set_mark(&map->pages, index + i,
					      VHOST_SHMEM_PAGE_PINNED);
		} else {
			folio_get(folio);
		}
		held++;
	}
	xa_unlock(&map->pages);
	atomic_long_add(held, &map->nr_resident);
	if (given) {
		if (pinned)
			unpin_folio(folio);
		else
			folio_put(folio);
	}
	return i == HPAGE_PMD_NR;
}

/*
 * Whether @vma may hold PMDs.  fork() copies a PMD of a PFN mapping as it
 * read it without the page table lock (copy_huge_pmd(), 6.12 to 7.3), so
 * an UNMAP that zapped it in between would leave the old pages mapped in
 * the child after their release.  A window the VMM excluded from fork()
 * (MADV_DONTFORK, which sets VM_DONTCOPY; MADV_DOFORK cannot clear it
 * from a VM_IO mapping) is never copied; every other window keeps 4 KiB
 * entries, whose copy reads them under the lock.
 */
static bool vhost_shmem_vma_pmd_ok(struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_DONTCOPY;
}

/*
 * Map the 2 MiB of the window around @vmf's address with one PMD, so that
 * KVM can map it with one 2 MiB entry too: when one mapping covers it, its
 * file range is a naturally aligned 2 MiB of one folio, up to date in the
 * page cache and inside the file, as filemap_map_pages() maps a large folio
 * of a file with a PMD.  Everything else falls back to the 4 KiB fault,
 * which also reads what the page cache lacks: the retried fault comes back
 * here.  Read-write mappings are made writable at once, as their PTEs are
 * (vhost_shmem_prot()).  A write to a read-only mapping gets a read-only
 * PMD, and the write fault on it that follows SIGBUS, as
 * vhost_shmem_pfn_mkwrite() refuses a PTE: falling back would leave a PTE
 * table that no PMD can replace for as long as the window lives.
 */
static vm_fault_t vhost_shmem_huge_fault(struct vm_fault *vmf,
					 unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vhost_shmem_ctx *ctx = vma->vm_file->private_data;
	unsigned long addr = vmf->address & PMD_MASK;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	/* Called on a present PMD only for a write to a read-only one. */
	bool present = !pmd_none(vmf->orig_pmd);
	struct vhost_shmem_mapping *map;
	pgoff_t pgoff, index, fpgoff;
	struct page *page = NULL;
	vm_fault_t ret = VM_FAULT_FALLBACK;
	bool pinned = false;
	unsigned long pfn;
	pmd_t pmd;

	if (order != PMD_ORDER || addr < vma->vm_start ||
	    addr + PMD_SIZE > vma->vm_end || !vhost_shmem_vma_pmd_ok(vma))
		return VM_FAULT_FALLBACK;
	pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);

	down_read(&ctx->lock);
	map = vhost_shmem_mapping_lookup(ctx, pgoff);
	if (present) {
		/*
		 * Ours, so the mapping holds its pages and has not changed
		 * (an UNMAP zaps under the lock held here).  Decided from
		 * that alone, the same for every thread, so that no fault
		 * splits a PMD that another is making writable.
		 */
		if (!map || !map->writable) {
			ret = VM_FAULT_SIGBUS;
			trace_vhost_shmem_fault(ctx->id, vmf->pgoff, true,
						map ? VHOST_SHMEM_WHY_READ_ONLY :
						      VHOST_SHMEM_WHY_NOT_MAPPED,
						ret, PMD_ORDER);
			goto out_unlock;
		}
		/*
		 * The PMD read before the lock may be gone since: then the
		 * access is simply tried again.
		 */
		pfn = pmd_pfn(vmf->orig_pmd);
		index = vhost_shmem_region_index(pgoff) - map->first;
		page = map->npages - index >= HPAGE_PMD_NR ?
		       xa_load(&map->pages, index) : NULL;
		if (!page || page_to_pfn(page) != pfn) {
			ret = VM_FAULT_NOPAGE;
			goto out_unlock;
		}
		goto insert;
	}
	if (!map)
		goto out_unlock;
	index = vhost_shmem_region_index(pgoff) - map->first;
	fpgoff = map->pgoff + index;
	if (map->npages - index < HPAGE_PMD_NR ||
	    fpgoff + HPAGE_PMD_NR >
	    DIV_ROUND_UP(i_size_read(file_inode(map->file)), PAGE_SIZE))
		goto out_unlock;

	page = vhost_shmem_page_lookup(map->file, fpgoff);
	if (IS_ERR_OR_NULL(page))
		goto out_unlock;
	/* A pin adds one to a large folio's count. */
	if (!vhost_shmem_page_pmd_mappable(page) ||
	    folio_ref_count(page_folio(page)) > INT_MAX / 2)
		goto out_put;
	if (shmem_mapping(map->file->f_mapping)) {
		page = vhost_shmem_page_pin(map->file, fpgoff, page,
					    HPAGE_PMD_NR, &pinned);
		if (IS_ERR_OR_NULL(page))
			goto out_unlock;
		/* Migrated for the pin: maybe not into a large folio. */
		if (!vhost_shmem_page_pmd_mappable(page))
			goto out_put;
	}
	if (!vhost_shmem_mapping_hold_pmd(map, index, page, pinned))
		goto out_unlock;
	pfn = page_to_pfn(page);

	/*
	 * A 4 KiB fault of another thread may have put a PTE table here
	 * since this fault started: then nothing is inserted, and the
	 * fault goes on at 4 KiB, so that the address has an entry when it
	 * returns (KVM looks it up right after).
	 */
	ret = vmf_insert_pfn_pmd(vmf, pfn, false);
	if (ret != VM_FAULT_NOPAGE)
		goto out_unlock;
	pmd = pmdp_get_lockless(vmf->pmd);
	if (!pmd_leaf(pmd) || pmd_pfn(pmd) != pfn) {
		ret = VM_FAULT_FALLBACK;
		goto out_unlock;
	}
	vhost_shmem_read_end(ctx, vmf->pgoff);
insert:
	/*
	 * Writable only over our own PMD: a write insertion finding a PTE
	 * table would warn, and only a split could have put one here since.
	 */
	if (map->writable)
		ret = vmf_insert_pfn_pmd(vmf, pfn, true);
	if (ret == VM_FAULT_NOPAGE)
		vhost_shmem_stat_inc(ctx, VHOST_SHMEM_A_STATS_FAULTS);
	trace_vhost_shmem_fault(ctx->id, vmf->pgoff, write,
				VHOST_SHMEM_WHY_NONE, ret, PMD_ORDER);
	goto out_unlock;

out_put:
	if (pinned)
		unpin_folio(page_folio(page));
	else
		folio_put(page_folio(page));
out_unlock:
	up_read(&ctx->lock);
	return ret;
}
#endif

/*
 * A write to a present read-only PTE of a writable window: a read-only
 * mapping's, or a read-write mapping's after mprotect() made it read-only
 * for a while.  Without this handler the core mm would make the PTE
 * writable on its own.  Nor may it do so after we return: by then the range
 * may have been unmapped and mapped again read-only, with the same page and
 * an identical PTE.  So remove the PTE and let the fault that follows insert
 * a writable one under the lock.
 */
static vm_fault_t vhost_shmem_pfn_mkwrite(struct vm_fault *vmf)
{
	struct vhost_shmem_ctx *ctx = vmf->vma->vm_file->private_data;
	struct vhost_shmem_mapping *map;
	vm_fault_t ret = VM_FAULT_NOPAGE;

	down_read(&ctx->lock);
	map = vhost_shmem_mapping_lookup(ctx, vmf->pgoff);
	if (map && map->writable) {
		zap_special_vma_range(vmf->vma, vmf->address & PAGE_MASK,
				      PAGE_SIZE);
	} else {
		ret = VM_FAULT_SIGBUS;
		trace_vhost_shmem_fault(ctx->id, vmf->pgoff, true,
					map ? VHOST_SHMEM_WHY_READ_ONLY :
					      VHOST_SHMEM_WHY_NOT_MAPPED, ret, 0);
	}
	up_read(&ctx->lock);
	return ret;
}

static const struct vm_operations_struct vhost_shmem_vm_ops = {
	.fault = vhost_shmem_fault,
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	.huge_fault = vhost_shmem_huge_fault,
#endif
	.pfn_mkwrite = vhost_shmem_pfn_mkwrite,
};

/**
 * vhost_shmem_mmap() - map a window of a region
 * @file: the context's file.
 * @vma: the new VMA; its offset selects the region (shmid << 40) and the
 *       first page.
 *
 * Context: process context, the caller's mmap_lock held for writing;
 * takes the context lock for reading.
 * Return: 0; -EINVAL for a private mapping or a range outside a region,
 * -EPERM for an executable one.
 */
int vhost_shmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vhost_shmem_ctx *ctx = file->private_data;
	unsigned long shmid = vma->vm_pgoff >> VHOST_SHMEM_REGION_PGSHIFT;
	pgoff_t first = vhost_shmem_region_index(vma->vm_pgoff);
	struct vhost_shmem_region *region;
	int ret = 0;

	/* Copy-on-write of a PFN mapping is not something the mm can do. */
	if (vma_is_cow_mapping(vma))
		return -EINVAL;
	/* The backing files were never checked for execution. */
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (shmid >= VHOST_SHMEM_NR_SHMIDS)
		return -EINVAL;

	down_read(&ctx->lock);
	region = ctx->regions[shmid];
	if (!region || first >= region->npages ||
	    vma_pages(vma) > region->npages - first)
		ret = -EINVAL;
	up_read(&ctx->lock);
	if (ret)
		return ret;

	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vm_flags_clear(vma, VM_MAYEXEC);
	vma->vm_ops = &vhost_shmem_vm_ops;
	return 0;
}
