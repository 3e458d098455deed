// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-shmem: kernel backing for VIRTIO Shared Memory Regions.
 *
 * A vhost-user back-end asks its front-end to map files into a device's
 * shared memory regions (VHOST_USER_BACKEND_SHMEM_MAP/UNMAP).  Each open file
 * of /dev/vhost-shmem is a context owning up to 256 regions.  A region is a
 * range of mmap offsets of the context; the VMM mmaps it once, registers the
 * resulting window as a KVM memory slot, and from then on only issues MAP and
 * UNMAP ioctls.  Pages are inserted into the window on fault as PFN mappings
 * of the mapped file's pages; KVM resolves guest accesses through the same
 * fault handler and follows unmaps through its MMU notifier.
 *
 * Every context has its own anonymous inode whose address_space links every
 * VMA of every window of the context, so that unmap_mapping_range() removes a
 * mapping's pages from all of them (and from forked copies) at once.
 */

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/magic.h>
#include <linux/maple_tree.h>
#include <linux/miscdevice.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/rwsem.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <linux/vhost_shmem.h>

#include "vhost_shmem_private.h"
#include "compat.h"

#define VHOST_SHMEM_FS_MAGIC		0x5653484d	/* "VSHM" */

/*
 * Region @shmid owns the mmap offsets [@shmid << 40, (@shmid + 1) << 40) of
 * its context, which also bounds the size of a region to 1 TiB.
 */
#define VHOST_SHMEM_REGION_SHIFT	40
#define VHOST_SHMEM_REGION_PGSHIFT	(VHOST_SHMEM_REGION_SHIFT - PAGE_SHIFT)
#define VHOST_SHMEM_MAX_REGION_SIZE	BIT_ULL(VHOST_SHMEM_REGION_SHIFT)

/* The most mappings a region may be allowed to hold (max_mappings). */
#define VHOST_SHMEM_MAX_MAPPINGS	BIT(24)

/*
 * The limits a context takes when it is opened.  Writes out of range fail
 * with -EINVAL and change nothing: no silent clamp, and no 0 that would
 * make the device useless.
 */
static int vhost_shmem_set_max_regions(const char *val,
				       const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, VHOST_SHMEM_NR_SHMIDS);
}

static int vhost_shmem_set_max_mappings(const char *val,
					const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, VHOST_SHMEM_MAX_MAPPINGS);
}

static const struct kernel_param_ops vhost_shmem_max_regions_ops = {
	.set = vhost_shmem_set_max_regions,
	.get = param_get_uint,
};

static const struct kernel_param_ops vhost_shmem_max_mappings_ops = {
	.set = vhost_shmem_set_max_mappings,
	.get = param_get_uint,
};

static unsigned int max_regions = VHOST_SHMEM_NR_SHMIDS;
module_param_cb(max_regions, &vhost_shmem_max_regions_ops, &max_regions, 0644);
MODULE_PARM_DESC(max_regions,
		 "Regions a context opened from now on may hold at once (1-256, default 256)");

static unsigned int max_mappings = 65536;
module_param_cb(max_mappings, &vhost_shmem_max_mappings_ops, &max_mappings,
		0644);
MODULE_PARM_DESC(max_mappings,
		 "Mappings a region of a context opened from now on may hold at once (1-16777216, default 65536)");

/* The pseudo filesystem of the contexts' inodes, pinned while one exists. */
static struct vfsmount *vhost_shmem_mnt;
static int vhost_shmem_mnt_count;

static u64 vhost_shmem_region_offset(u8 shmid)
{
	return (u64)shmid << VHOST_SHMEM_REGION_SHIFT;
}

/* A non-empty, page aligned range whose end does not overflow. */
static bool vhost_shmem_range_valid(u64 offset, u64 len)
{
	u64 end;

	return len && PAGE_ALIGNED(offset) && PAGE_ALIGNED(len) &&
	       !check_add_overflow(offset, len, &end);
}

/* Page index inside its region of page @pgoff of the context's file. */
static pgoff_t vhost_shmem_region_index(pgoff_t pgoff)
{
	return pgoff & (BIT(VHOST_SHMEM_REGION_PGSHIFT) - 1);
}

static struct vhost_shmem_mapping *
vhost_shmem_lookup(struct vhost_shmem_ctx *ctx, pgoff_t pgoff)
{
	struct vhost_shmem_region *region;
	unsigned long shmid = pgoff >> VHOST_SHMEM_REGION_PGSHIFT;

	lockdep_assert_held(&ctx->lock);

	if (shmid >= VHOST_SHMEM_NR_SHMIDS)
		return NULL;
	region = ctx->regions[shmid];
	if (!region)
		return NULL;
	return mtree_load(&region->mappings, vhost_shmem_region_index(pgoff));
}

/*
 * Remove every PTE of every window that maps pages [@first, @first +
 * @npages) of @region.  KVM's MMU notifier runs synchronously from here, so
 * on return no guest can reach those pages either.
 */
static void vhost_shmem_zap(struct vhost_shmem_ctx *ctx,
			    struct vhost_shmem_region *region,
			    pgoff_t first, pgoff_t npages)
{
	lockdep_assert_held_write(&ctx->lock);

	unmap_mapping_range(ctx->inode->i_mapping,
			    vhost_shmem_region_offset(region->shmid) +
			    ((u64)first << PAGE_SHIFT),
			    (u64)npages << PAGE_SHIFT, 1);
}

/*
 * The real file of open file @file if a live mapping of @ctx maps it with
 * at least the access @writable asks for, with a reference; NULL otherwise.
 * mmap() asks the security hooks and the filesystem on every call; MAP asks
 * them once per open file, access and caller credentials while the context
 * maps that open file: probing costs an mmap() and munmap() in the caller,
 * three times what MAP and UNMAP cost otherwise, and back-ends map the same
 * open file over and over (every DAX chunk of a file, every buffer of a
 * blob).
 */
static struct file *vhost_shmem_admitted(struct vhost_shmem_ctx *ctx,
					 struct file *file, bool writable)
{
	struct vhost_shmem_admission *adm;

	lockdep_assert_held(&ctx->lock);

	adm = xa_load(&ctx->admitted, (unsigned long)file);
	if (!adm || (writable && !adm->nr_rw) || adm->cred != current_cred())
		return NULL;
	return get_file(adm->real);
}

/*
 * Count @map, which holds its open file @map->src, in @ctx's admissions,
 * using *@spare if the file has no entry yet (and then taking it), for the
 * caller's credentials.  A mapping that cannot be counted (no memory, or
 * its probe found another file than the entry's) is simply not counted:
 * its file is probed again next time.
 */
static void vhost_shmem_admission_add(struct vhost_shmem_ctx *ctx,
				      struct vhost_shmem_mapping *map,
				      struct vhost_shmem_admission **spare)
{
	unsigned long key = (unsigned long)map->src;
	struct vhost_shmem_admission *adm;

	lockdep_assert_held_write(&ctx->lock);

	adm = xa_load(&ctx->admitted, key);
	if (!adm) {
		if (!*spare || xa_err(xa_store(&ctx->admitted, key, *spare,
					       GFP_KERNEL_ACCOUNT)))
			return;
		adm = *spare;
		*spare = NULL;
		adm->real = get_file(map->file);
		adm->cred = get_current_cred();
	} else if (adm->real != map->file) {
		return;
	}
	adm->nr_maps++;
	adm->nr_rw += map->writable;
	map->admitted = true;
}

/* Uncount @map, removed from its region, from @ctx's admissions. */
static void vhost_shmem_admission_del(struct vhost_shmem_ctx *ctx,
				      struct vhost_shmem_mapping *map)
{
	unsigned long key = (unsigned long)map->src;
	struct vhost_shmem_admission *adm;

	lockdep_assert_held_write(&ctx->lock);

	if (!map->admitted)
		return;
	adm = xa_load(&ctx->admitted, key);
	adm->nr_rw -= map->writable;
	if (--adm->nr_maps)
		return;
	xa_erase(&ctx->admitted, key);
	fput(adm->real);
	put_cred(adm->cred);
	kfree(adm);
}

/* Called without the context lock, once no PTE can reach @map's pages. */
static void vhost_shmem_mapping_free(struct vhost_shmem_mapping *map)
{
	unsigned long index;
	struct page *page;

	xa_for_each(&map->pages, index, page) {
		/* Writes through a PFN PTE never dirty the page themselves. */
		if (map->writable)
			set_page_dirty_lock(page);
		put_page(page);
		cond_resched();
	}
	xa_destroy(&map->pages);
	if (map->writable)
		mapping_unmap_writable(map->file->f_mapping);
	fput(map->file);
	fput(map->src);
	kfree(map);
}

static void vhost_shmem_dispose(struct list_head *dispose)
{
	struct vhost_shmem_mapping *map, *next;

	list_for_each_entry_safe(map, next, dispose, dispose) {
		vhost_shmem_mapping_free(map);
		cond_resched();
	}
}

/*
 * Remove every mapping of @region and zap its windows; the mappings are
 * queued on @dispose to be freed once the lock is dropped.
 */
static void vhost_shmem_region_clear(struct vhost_shmem_ctx *ctx,
				     struct vhost_shmem_region *region,
				     struct list_head *dispose)
{
	struct vhost_shmem_mapping *map;
	unsigned long index = 0;

	lockdep_assert_held_write(&ctx->lock);

	if (!region->nr_mappings)
		return;
	mt_for_each(&region->mappings, map, index, ULONG_MAX) {
		vhost_shmem_admission_del(ctx, map);
		list_add_tail(&map->dispose, dispose);
	}
	mtree_destroy(&region->mappings);
	region->nr_mappings = 0;
	vhost_shmem_zap(ctx, region, 0, region->npages);
}

static void vhost_shmem_region_remove(struct vhost_shmem_ctx *ctx,
				      struct vhost_shmem_region *region,
				      struct list_head *dispose)
{
	lockdep_assert_held_write(&ctx->lock);

	vhost_shmem_region_clear(ctx, region, dispose);
	ctx->regions[region->shmid] = NULL;
	ctx->nr_regions--;
}

/*
 * Store @page, whose reference the caller gives, at @index of @map, and
 * return it; or the page a concurrent fault stored first, dropping @page.
 */
static struct page *vhost_shmem_mapping_hold(struct vhost_shmem_mapping *map,
					     pgoff_t index, struct page *page)
{
	struct page *old;

	old = xa_cmpxchg(&map->pages, index, NULL, page, GFP_KERNEL_ACCOUNT);
	if (!old) {
		atomic_long_inc(&map->nr_resident);
		return page;
	}
	put_page(page);
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
static struct page *vhost_shmem_file_read_page(struct file *file,
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
 * the file (its reference then belongs to @map->pages).  NULL when the page
 * must be read; ERR_PTR(-EINVAL) past the end of the file;
 * ERR_PTR(-EHWPOISON) when it is poisoned: such a page is never mapped
 * again, even if @map took it before the poison.
 */
static struct page *
vhost_shmem_mapping_cached_page(struct vhost_shmem_mapping *map,
				pgoff_t index)
{
	struct address_space *mapping = map->file->f_mapping;
	pgoff_t pgoff = map->pgoff + index;
	struct folio *folio;
	struct page *page;

	page = xa_load(&map->pages, index);
	if (page)
		return PageHWPoison(page) ? ERR_PTR(-EHWPOISON) : page;

	/* Past the end of the file: nothing to read, the access faults. */
	if (pgoff >= DIV_ROUND_UP(i_size_read(mapping->host), PAGE_SIZE))
		return ERR_PTR(-EINVAL);
	/* No swap or shadow entries: those are for the read to handle. */
	folio = filemap_get_folio(mapping, pgoff);
	if (IS_ERR_OR_NULL(folio))
		return NULL;
	page = folio_file_page(folio, pgoff);
	if (!folio_test_uptodate(folio) || PageHWPoison(page)) {
		folio_put(folio);
		return NULL;
	}
	page = vhost_shmem_mapping_hold(map, index, page);
	return IS_ERR(page) ? NULL : page;
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
			map = vhost_shmem_lookup(ctx, pgoff);
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
	struct vhost_shmem_mapping *map;
	struct page *page, *read = NULL;
	struct file *file = NULL;
	pgoff_t index, pgoff = 0;
	vm_fault_t ret;

again:
	down_read(&ctx->lock);
	map = vhost_shmem_lookup(ctx, vmf->pgoff);
	if (!map) {
		ret = VM_FAULT_SIGBUS;
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
			put_page(read);
			page = NULL;
		}
		read = NULL;
		fput(file);
		file = NULL;
	} else {
		page = vhost_shmem_mapping_cached_page(map, index);
	}
	if (IS_ERR(page)) {
		ret = PTR_ERR(page) == -EHWPOISON ? VM_FAULT_HWPOISON :
						     vmf_error(PTR_ERR(page));
		goto out_unlock;
	}

	if (!page) {
		file = get_file(map->file);
		pgoff = map->pgoff + index;
		up_read(&ctx->lock);

		if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT) {
			fput(file);
			return VM_FAULT_RETRY;
		}
		if (fault_flag_allow_retry_first(vmf->flags) &&
		    !vhost_shmem_read_pending(ctx, vmf->pgoff)) {
			vhost_shmem_read_begin(ctx, vmf->pgoff);
			release_fault_lock(vmf);
			read = vhost_shmem_file_read_page(file, pgoff);
			if (!IS_ERR(read))
				put_page(read);
			fput(file);
			return VM_FAULT_RETRY;
		}
		read = vhost_shmem_file_read_page(file, pgoff);
		if (!IS_ERR(read))
			goto again;
		fput(file);
		ret = PTR_ERR(read) == -EHWPOISON ? VM_FAULT_HWPOISON :
						     vmf_error(PTR_ERR(read));
		vhost_shmem_stat_inc(ctx, VHOST_SHMEM_A_STAT_FAIL_FAULT);
		return ret;
	}

	vhost_shmem_read_end(ctx, vmf->pgoff);
	ret = vmf_insert_pfn_prot(vma, vmf->address, page_to_pfn(page),
				  vhost_shmem_prot(vma, map));
	if (ret == VM_FAULT_NOPAGE && !(vmf->flags & FAULT_FLAG_WRITE))
		vhost_shmem_fault_around(vmf, ctx);

out_unlock:
	vhost_shmem_stat_inc(ctx, ret == VM_FAULT_NOPAGE ?
			     VHOST_SHMEM_A_STAT_FAULTS :
			     VHOST_SHMEM_A_STAT_FAIL_FAULT);
	up_read(&ctx->lock);
	/* A page read for a range that was unmapped meanwhile. */
	if (read)
		put_page(read);
	if (file)
		fput(file);
	return ret;
}

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
	map = vhost_shmem_lookup(ctx, vmf->pgoff);
	if (map && map->writable) {
		zap_special_vma_range(vmf->vma, vmf->address & PAGE_MASK,
				      PAGE_SIZE);
	} else {
		vhost_shmem_stat_inc(ctx, VHOST_SHMEM_A_STAT_FAIL_FAULT);
		ret = VM_FAULT_SIGBUS;
	}
	up_read(&ctx->lock);
	return ret;
}

static const struct vm_operations_struct vhost_shmem_vm_ops = {
	.fault = vhost_shmem_fault,
	.pfn_mkwrite = vhost_shmem_pfn_mkwrite,
};

static int vhost_shmem_mmap(struct file *file, struct vm_area_struct *vma)
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

static int vhost_shmem_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VHOST_SHMEM_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type vhost_shmem_fs_type = {
	.name = "vhost_shmem",
	.owner = THIS_MODULE,
	.init_fs_context = vhost_shmem_init_fs_context,
	.kill_sb = kill_anon_super,
};

static struct vhost_shmem_ctx *vhost_shmem_ctx_alloc(void)
{
	struct vhost_shmem_ctx *ctx;
	int ret;

	ctx = kzalloc_obj(*ctx, GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	init_rwsem(&ctx->lock);
	refcount_set(&ctx->refs, 1);
	xa_init(&ctx->admitted);
	ctx->max_regions = READ_ONCE(max_regions);
	ctx->max_mappings = READ_ONCE(max_mappings);

	ret = simple_pin_fs(&vhost_shmem_fs_type, &vhost_shmem_mnt,
			    &vhost_shmem_mnt_count);
	if (ret)
		goto err_free_ctx;

	ctx->inode = alloc_anon_inode(vhost_shmem_mnt->mnt_sb);
	if (IS_ERR(ctx->inode)) {
		ret = PTR_ERR(ctx->inode);
		goto err_release_fs;
	}

	ctx->owner = get_pid(task_tgid(current));
	get_task_comm(ctx->comm, current);
	ctx->created = ktime_get_real_ns();
	ret = vhost_shmem_nl_ctx_register(ctx);
	if (ret)
		goto err_put_owner;
	return ctx;

err_put_owner:
	put_pid(ctx->owner);
	iput(ctx->inode);
err_release_fs:
	simple_release_fs(&vhost_shmem_mnt, &vhost_shmem_mnt_count);
err_free_ctx:
	kfree(ctx);
	return ERR_PTR(ret);
}

static void vhost_shmem_ctx_free(struct vhost_shmem_ctx *ctx)
{
	struct vhost_shmem_region *region;
	unsigned int shmid;
	LIST_HEAD(dispose);

	/* Out of the dumps' sight before anything is torn down. */
	vhost_shmem_nl_ctx_unregister(ctx);
	down_write(&ctx->lock);
	ctx->dead = true;
	up_write(&ctx->lock);

	for (shmid = 0; shmid < VHOST_SHMEM_NR_SHMIDS; shmid++) {
		down_write(&ctx->lock);
		region = ctx->regions[shmid];
		if (region)
			vhost_shmem_region_remove(ctx, region, &dispose);
		up_write(&ctx->lock);

		vhost_shmem_dispose(&dispose);
		INIT_LIST_HEAD(&dispose);
		kfree(region);
	}
	/* Every mapping uncounted itself on the way out. */
	WARN_ON_ONCE(!xa_empty(&ctx->admitted));
	xa_destroy(&ctx->admitted);
	iput(ctx->inode);
	simple_release_fs(&vhost_shmem_mnt, &vhost_shmem_mnt_count);
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_CTX_DEL, NULL, NULL);
	vhost_shmem_ctx_put(ctx);
}

/* Drops a reference to @ctx; the last one frees it, after an RCU grace period. */
void vhost_shmem_ctx_put(struct vhost_shmem_ctx *ctx)
{
	if (!refcount_dec_and_test(&ctx->refs))
		return;
	put_pid(ctx->owner);
	kfree_rcu(ctx, rcu);
}

/*
 * The operations of a context.  They take their arguments in kernel memory
 * and validate every field except the file descriptor of a MAP, which the
 * caller has already turned into a file.
 */

static bool
vhost_shmem_region_create_valid(const struct vhost_shmem_region_create *args)
{
	return !memchr_inv(args->pad, 0, sizeof(args->pad)) && !args->flags &&
	       !memchr_inv(args->reserved, 0, sizeof(args->reserved)) &&
	       args->size && PAGE_ALIGNED(args->size) &&
	       args->size <= VHOST_SHMEM_MAX_REGION_SIZE;
}

static int vhost_shmem_ctx_region_create(struct vhost_shmem_ctx *ctx,
					 struct vhost_shmem_region_create *args)
{
	struct vhost_shmem_region *region;
	int ret;

	if (!vhost_shmem_region_create_valid(args))
		return -EINVAL;

	region = kzalloc_obj(*region, GFP_KERNEL_ACCOUNT);
	if (!region)
		return -ENOMEM;
	region->shmid = args->shmid;
	region->npages = args->size >> PAGE_SHIFT;
	mt_init(&region->mappings);

	down_write(&ctx->lock);
	if (ctx->regions[args->shmid]) {
		ret = -EEXIST;
		goto err_unlock;
	}
	if (ctx->nr_regions >= ctx->max_regions) {
		ret = -ENOSPC;
		goto err_unlock;
	}
	ctx->regions[args->shmid] = region;
	ctx->nr_regions++;
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_REGION_NEW, region, NULL);
	up_write(&ctx->lock);

	args->mmap_offset = vhost_shmem_region_offset(args->shmid);
	return 0;

err_unlock:
	up_write(&ctx->lock);
	kfree(region);
	return ret;
}

static int
vhost_shmem_ctx_region_destroy(struct vhost_shmem_ctx *ctx,
			       const struct vhost_shmem_region_destroy *args)
{
	struct vhost_shmem_region *region;
	LIST_HEAD(dispose);

	if (memchr_inv(args->pad, 0, sizeof(args->pad)) || args->flags ||
	    memchr_inv(args->reserved, 0, sizeof(args->reserved)))
		return -EINVAL;

	down_write(&ctx->lock);
	region = ctx->regions[args->shmid];
	if (!region) {
		up_write(&ctx->lock);
		return -ENOENT;
	}
	vhost_shmem_region_remove(ctx, region, &dispose);
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_REGION_DEL, region, NULL);
	up_write(&ctx->lock);

	vhost_shmem_dispose(&dispose);
	kfree(region);
	return 0;
}

/* Bytes mapped in @region, and bytes of its pages held by its mappings. */
void vhost_shmem_region_usage(struct vhost_shmem_ctx *ctx,
			      struct vhost_shmem_region *region,
			      u64 *mapped, u64 *resident)
{
	struct vhost_shmem_mapping *map;
	unsigned long index = 0;
	u64 pages = 0, held = 0;

	lockdep_assert_held(&ctx->lock);

	mt_for_each(&region->mappings, map, index, ULONG_MAX) {
		pages += map->npages;
		held += atomic_long_read(&map->nr_resident);
	}
	*mapped = pages << PAGE_SHIFT;
	*resident = held << PAGE_SHIFT;
}

static int vhost_shmem_ctx_region_info(struct vhost_shmem_ctx *ctx,
				       struct vhost_shmem_region_info *args)
{
	struct vhost_shmem_region *region;

	if (memchr_inv(args->pad, 0, sizeof(args->pad)) || args->flags ||
	    memchr_inv(args->reserved, 0, sizeof(args->reserved)))
		return -EINVAL;

	down_read(&ctx->lock);
	region = ctx->regions[args->shmid];
	if (!region) {
		up_read(&ctx->lock);
		return -ENOENT;
	}
	vhost_shmem_region_usage(ctx, region, &args->mapped_bytes,
				 &args->resident_bytes);
	args->size = (u64)region->npages << PAGE_SHIFT;
	args->mmap_offset = vhost_shmem_region_offset(region->shmid);
	args->nr_mappings = region->nr_mappings;
	up_read(&ctx->lock);
	return 0;
}

/*
 * Ask the mm whether mmap(@file, MAP_SHARED, @prot) at file page @pgoff
 * would succeed, by doing it: vm_mmap() runs every check mmap() does for the
 * caller (the security hooks, the descriptor's mode, append-only and swap
 * files, memfd seals, the filesystem's own ->mmap or ->mmap_prepare), and
 * then removing the probe.  The probe also tells which file holds the data:
 * a stacked filesystem (overlayfs) points the VMA at its backing file, and
 * that is the file to take pages from.  One page is enough for every check
 * but two, which depend on the length: the offset range (checked by the
 * caller, with mmap()'s errno) and fanotify's pre-content event, which is
 * asked about this one page only (documented).
 *
 * Returns the file that holds the data, with a reference, or mmap()'s errno.
 *
 * Context: process context of the caller whose address space is probed;
 * takes its mmap_lock.  No vhost-shmem lock held.
 */
static struct file *vhost_shmem_mmap_probe(struct file *file, bool writable,
					   pgoff_t pgoff)
{
	unsigned long prot = PROT_READ | (writable ? PROT_WRITE : 0);
	struct mm_struct *mm = current->mm;
	struct file *real = ERR_PTR(-EAGAIN);
	struct vm_area_struct *vma;
	unsigned long addr;

	if (!mm)
		return ERR_PTR(-EINVAL);
	addr = vm_mmap(file, 0, PAGE_SIZE, prot, MAP_SHARED,
		       (unsigned long)pgoff << PAGE_SHIFT);
	if (IS_ERR_VALUE(addr))
		return ERR_PTR((long)addr);

	/*
	 * Another thread of the caller may have replaced the probe in the
	 * meantime: take the file only from a VMA that still maps @file (or,
	 * for a file of a stacked filesystem, a file of the inode that
	 * d_real_inode() names) at @pgoff, shared, with the access asked
	 * for.  The probe may have merged with a neighbouring mapping of the
	 * same file: the offset is checked at @addr.
	 */
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_file &&
	    (vma->vm_file == file ||
	     (file_inode(file) != d_real_inode(file->f_path.dentry) &&
	      file_inode(vma->vm_file) == d_real_inode(file->f_path.dentry))) &&
	    vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT) == pgoff &&
	    (vma->vm_flags & VM_MAYSHARE) &&
	    (!writable || (vma->vm_flags & (VM_SHARED | VM_WRITE)) ==
			  (VM_SHARED | VM_WRITE)))
		real = get_file(vma->vm_file);
	mmap_read_unlock(mm);
	vm_munmap(addr, PAGE_SIZE);
	return real;
}

/*
 * Whether @file is of a kind whose pages a window may map: a regular file
 * that mmap() can map at all, whose pages are ordinary page-cache pages:
 * not hugetlbfs, not DAX, and not a pseudo filesystem (procfs, sysfs, ...),
 * whose page cache may not hold the file's data; those say so with
 * SB_I_NOEXEC.
 */
static bool vhost_shmem_file_kind_ok(struct file *file)
{
	struct inode *inode = file_inode(file);

	return S_ISREG(inode->i_mode) && can_mmap_file(file) &&
	       inode->i_sb->s_magic != HUGETLBFS_MAGIC && !IS_DAX(inode) &&
	       !(inode->i_sb->s_iflags & SB_I_NOEXEC);
}

/*
 * Admit @file for a mapping of @npages pages at file page @pgoff, as
 * mmap(MAP_SHARED) of the same descriptor would admit it, plus what PFN
 * windows need: page-cache pages (not DAX, not a pseudo filesystem whose
 * page cache may not hold the file's data), and for read-write mappings a
 * shmem file (memfd, tmpfs): writes through PFN mappings are invisible to
 * writeback, which is harmless only for files without backing store.  The
 * mapping may extend past the end of the file, as mmap()'s may.
 *
 * An open file that a live mapping of @ctx already maps with the access
 * asked for is not probed again (see vhost_shmem_admitted()): only what may
 * change on an open file is checked again (append-only, swap file, seals).
 *
 * On success, *@real is the file whose pages are mapped (the backing file
 * of a stacked filesystem) with a reference, and for a read-write mapping
 * its address_space is held writable (mapping_map_writable()), so that
 * F_SEAL_WRITE can no longer be added.
 *
 * Returns 0, or mmap()'s errno for what mmap() refuses (%-EACCES,
 * %-EPERM, %-ETXTBSY, %-ENODEV, %-EOVERFLOW, ...); %-ENODEV for files
 * without page-cache pages; %-EOPNOTSUPP for a read-write mapping of a file
 * with backing store.
 *
 * Context: process context; takes the caller's mmap_lock, the file's
 * inode lock and @ctx's lock for reading.  No vhost-shmem lock held.
 */
static int vhost_shmem_mapping_admit(struct vhost_shmem_ctx *ctx,
				     struct file *file, bool writable,
				     pgoff_t pgoff, pgoff_t npages,
				     struct file **real)
{
	struct address_space *mapping;
	struct inode *inode;
	struct file *f;
	int ret;

	/* mmap() checks that the range fits the file's offsets first. */
	if ((u64)pgoff + npages > (u64)MAX_LFS_FILESIZE >> PAGE_SHIFT)
		return -EOVERFLOW;

	down_read(&ctx->lock);
	f = vhost_shmem_admitted(ctx, file, writable);
	up_read(&ctx->lock);
	if (f) {
		/*
		 * What may have changed since the probe: the inode's flags
		 * and seals; the descriptor's mode, checked again for free.
		 */
		ret = -EACCES;
		if (!(file->f_mode & FMODE_READ) ||
		    (writable && !(file->f_mode & FMODE_WRITE)) ||
		    (IS_APPEND(file_inode(file)) && (file->f_mode & FMODE_WRITE)))
			goto err_fput;
		ret = -ETXTBSY;
		if (writable && IS_SWAPFILE(f->f_mapping->host))
			goto err_fput;
		mapping = f->f_mapping;
		inode = file_inode(f);
		goto check_seals;
	}

	/*
	 * File kinds that never back a window are refused before the probe:
	 * vm_mmap() of them would run their own ->mmap for nothing.
	 */
	if (!vhost_shmem_file_kind_ok(file))
		return -ENODEV;

	f = vhost_shmem_mmap_probe(file, writable, pgoff);
	if (IS_ERR(f))
		return PTR_ERR(f);
	inode = file_inode(f);
	mapping = f->f_mapping;

	ret = -ENODEV;
	if (!vhost_shmem_file_kind_ok(f) ||
	    !(shmem_mapping(mapping) || mapping->a_ops->read_folio))
		goto err_fput;
	ret = -EOPNOTSUPP;
	if (writable && !shmem_mapping(mapping))
		goto err_fput;

check_seals:

	if (writable) {
		/*
		 * The probe saw the seals, but they may have changed since:
		 * look again under the lock memfd_add_seals() takes, and hold
		 * the mapping writable before dropping it, so that no
		 * F_SEAL_WRITE or F_SEAL_FUTURE_WRITE added concurrently can
		 * end with a writable mapping of a sealed file.
		 */
		inode_lock_shared(inode);
		if (READ_ONCE(SHMEM_I(inode)->seals) &
		    (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
			ret = -EPERM;
		else
			ret = mapping_map_writable(mapping);
		inode_unlock_shared(inode);
		if (ret)
			goto err_fput;
	}
	*real = f;
	return 0;

err_fput:
	fput(f);
	return ret;
}

static int vhost_shmem_ctx_map(struct vhost_shmem_ctx *ctx,
			       const struct vhost_shmem_map *args,
			       struct file *file)
{
	bool writable = args->flags & VHOST_SHMEM_MAP_F_RW;
	pgoff_t first = args->shm_offset >> PAGE_SHIFT;
	pgoff_t npages = args->len >> PAGE_SHIFT;
	struct vhost_shmem_admission *spare;
	struct vhost_shmem_region *region;
	struct vhost_shmem_mapping *map;
	struct file *real;
	int ret;

	if (memchr_inv(args->pad, 0, sizeof(args->pad)) ||
	    (args->flags & ~VHOST_SHMEM_MAP_F_RW) ||
	    memchr_inv(args->reserved, 0, sizeof(args->reserved)))
		return -EINVAL;
	if (!vhost_shmem_range_valid(args->shm_offset, args->len) ||
	    !vhost_shmem_range_valid(args->fd_offset, args->len))
		return -EINVAL;
	ret = vhost_shmem_mapping_admit(ctx, file, writable,
					args->fd_offset >> PAGE_SHIFT, npages,
					&real);
	if (ret)
		return ret;

	map = kzalloc_obj(*map, GFP_KERNEL_ACCOUNT);
	if (!map) {
		ret = -ENOMEM;
		goto err_release_file;
	}
	/* Only needed for a file not admitted yet; lost, it costs a probe. */
	spare = kzalloc_obj(*spare, GFP_KERNEL_ACCOUNT);
	map->first = first;
	map->npages = npages;
	map->file = real;
	map->src = get_file(file);
	map->pgoff = args->fd_offset >> PAGE_SHIFT;
	map->writable = writable;
	xa_init(&map->pages);

	down_write(&ctx->lock);
	region = ctx->regions[args->shmid];
	if (!region) {
		ret = -ENOENT;
		goto err_unlock;
	}
	if (first >= region->npages || npages > region->npages - first) {
		ret = -EINVAL;
		goto err_unlock;
	}
	if (region->nr_mappings >= ctx->max_mappings) {
		ret = -ENOSPC;
		goto err_unlock;
	}
	/* Fails with -EEXIST if any page of the range is already mapped. */
	ret = mtree_insert_range(&region->mappings, first, first + npages - 1,
				 map, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_unlock;
	region->nr_mappings++;
	vhost_shmem_admission_add(ctx, map, &spare);
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_MAPPING_NEW, region, map);
	up_write(&ctx->lock);
	kfree(spare);
	return 0;

err_unlock:
	up_write(&ctx->lock);
	kfree(spare);
	fput(map->src);
	kfree(map);
err_release_file:
	if (writable)
		mapping_unmap_writable(real->f_mapping);
	fput(real);
	return ret;
}

static int vhost_shmem_ctx_unmap(struct vhost_shmem_ctx *ctx,
				 const struct vhost_shmem_unmap *args)
{
	pgoff_t first = args->shm_offset >> PAGE_SHIFT;
	pgoff_t npages = args->len >> PAGE_SHIFT;
	struct vhost_shmem_region *region;
	struct vhost_shmem_mapping *map;
	int ret;

	if (memchr_inv(args->pad, 0, sizeof(args->pad)) || args->flags ||
	    memchr_inv(args->reserved, 0, sizeof(args->reserved)))
		return -EINVAL;
	if (!vhost_shmem_range_valid(args->shm_offset, args->len))
		return -EINVAL;

	down_write(&ctx->lock);
	region = ctx->regions[args->shmid];
	map = region ? mtree_load(&region->mappings, first) : NULL;
	if (!map || map->first != first || map->npages != npages) {
		up_write(&ctx->lock);
		return -ENOENT;
	}
	/* Erasing may allocate: fail before anything is undone. */
	ret = mtree_store_range(&region->mappings, first, first + npages - 1,
				NULL, GFP_KERNEL);
	if (ret) {
		up_write(&ctx->lock);
		return ret;
	}
	region->nr_mappings--;
	vhost_shmem_admission_del(ctx, map);
	vhost_shmem_zap(ctx, region, first, npages);
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_MAPPING_DEL, region, map);
	up_write(&ctx->lock);

	vhost_shmem_mapping_free(map);
	return 0;
}

static void vhost_shmem_ctx_reset(struct vhost_shmem_ctx *ctx)
{
	unsigned int shmid;
	LIST_HEAD(dispose);

	down_write(&ctx->lock);
	for (shmid = 0; shmid < VHOST_SHMEM_NR_SHMIDS; shmid++)
		if (ctx->regions[shmid])
			vhost_shmem_region_clear(ctx, ctx->regions[shmid],
						 &dispose);
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_CTX_RESET, NULL, NULL);
	up_write(&ctx->lock);

	vhost_shmem_dispose(&dispose);
}

/**
 * struct vhost_shmem_relay_msg - a decoded back-end channel message
 * @request: %VHOST_SHMEM_USER_BACKEND_SHMEM_MAP or %VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP.
 * @need_reply: the back-end asked for a reply.
 * @shmid: region of the request.
 * @fd_offset: file offset of a MAP.
 * @shm_offset: region offset.
 * @len: length.
 * @flags: flags of a MAP.
 */
struct vhost_shmem_relay_msg {
	u32 request;
	bool need_reply;
	u8 shmid;
	u64 fd_offset;
	u64 shm_offset;
	u64 len;
	u64 flags;
};

#define VHOST_SHMEM_RELAY_MSG_LEN \
	(sizeof(struct vhost_shmem_user_hdr) + \
	 sizeof(struct vhost_shmem_user_mmap))

/*
 * Decode a message of @len bytes whose first min(@len,
 * VHOST_SHMEM_RELAY_MSG_LEN) bytes are at @buf.  @has_fd tells whether a
 * descriptor came with it.  Returns -ENOMSG for requests the relay leaves to
 * the caller and -EBADMSG for malformed messages.
 */
static int vhost_shmem_relay_decode(const void *buf, size_t len, bool has_fd,
				    struct vhost_shmem_relay_msg *msg)
{
	const struct vhost_shmem_user_hdr *hdr = buf;
	const struct vhost_shmem_user_mmap *mmap = buf + sizeof(*hdr);
	bool is_map;
	u32 flags;

	if (len < sizeof(*hdr))
		return -EBADMSG;
	msg->request = le32_to_cpu(hdr->request);
	if (msg->request != VHOST_SHMEM_USER_BACKEND_SHMEM_MAP &&
	    msg->request != VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP)
		return -ENOMSG;

	flags = le32_to_cpu(hdr->flags);
	if ((flags & VHOST_SHMEM_USER_VERSION_MASK) != VHOST_SHMEM_USER_VERSION ||
	    (flags & ~(VHOST_SHMEM_USER_VERSION_MASK | VHOST_SHMEM_USER_NEED_REPLY_MASK)))
		return -EBADMSG;
	if (le32_to_cpu(hdr->size) != sizeof(*mmap) ||
	    len != VHOST_SHMEM_RELAY_MSG_LEN)
		return -EBADMSG;
	/* MAP carries exactly one descriptor, UNMAP none. */
	is_map = msg->request == VHOST_SHMEM_USER_BACKEND_SHMEM_MAP;
	if (has_fd != is_map)
		return -EBADMSG;

	msg->need_reply = flags & VHOST_SHMEM_USER_NEED_REPLY_MASK;
	msg->shmid = mmap->shmid;
	msg->fd_offset = le64_to_cpu(mmap->fd_offset);
	msg->shm_offset = le64_to_cpu(mmap->shm_offset);
	msg->len = le64_to_cpu(mmap->len);
	/* QEMU's VhostUserMMap has a u16 here and padding after it. */
	msg->flags = le64_to_cpu(mmap->flags) & U16_MAX;
	return 0;
}

/*
 * Execute the message of @len bytes at @buf.  @has_fd tells whether a
 * descriptor came with it, @file what it refers to, NULL if that is not an
 * open file: a MAP then fails with -EBADF like any MAP of an unusable file,
 * and is answered.  Returns 0 when the message was executed, with the
 * operation's result in *@result and, when one is due, the reply in *@reply
 * and *@reply_due set.
 */
static int vhost_shmem_ctx_relay(struct vhost_shmem_ctx *ctx, const void *buf,
				 size_t len, bool has_fd, struct file *file,
				 bool always_reply,
				 struct vhost_shmem_user_reply *reply,
				 bool *reply_due, int *result)
{
	struct vhost_shmem_relay_msg msg;
	int ret;

	ret = vhost_shmem_relay_decode(buf, len, has_fd, &msg);
	if (ret)
		return ret;

	if (msg.request == VHOST_SHMEM_USER_BACKEND_SHMEM_MAP) {
		struct vhost_shmem_map args = {
			.shmid = msg.shmid,
			.fd_offset = msg.fd_offset,
			.shm_offset = msg.shm_offset,
			.len = msg.len,
			.flags = msg.flags,
		};

		*result = file ? vhost_shmem_ctx_map(ctx, &args, file) : -EBADF;
	} else {
		struct vhost_shmem_unmap args = {
			.shmid = msg.shmid,
			.shm_offset = msg.shm_offset,
			.len = msg.len,
		};

		*result = vhost_shmem_ctx_unmap(ctx, &args);
	}

	*reply_due = msg.need_reply || always_reply;
	if (*reply_due) {
		reply->hdr.request = cpu_to_le32(msg.request);
		reply->hdr.flags = cpu_to_le32(VHOST_SHMEM_USER_VERSION |
					       VHOST_SHMEM_USER_REPLY_MASK);
		reply->hdr.size = cpu_to_le32(sizeof(reply->value));
		reply->value = cpu_to_le64(-*result);
	}
	return 0;
}

/*
 * Count the outcome @ret of an operation of @ctx: success in counter @stat,
 * failure in the counter of its reason.  Returns @ret.
 */
static int vhost_shmem_count(struct vhost_shmem_ctx *ctx, int stat, int ret)
{
	switch (ret) {
	case 0:
		break;
	case -EINVAL:
		stat = VHOST_SHMEM_A_STAT_FAIL_INVAL;
		break;
	case -ENOENT:
		stat = VHOST_SHMEM_A_STAT_FAIL_NOENT;
		break;
	case -EEXIST:
		stat = VHOST_SHMEM_A_STAT_FAIL_EXIST;
		break;
	case -ENOSPC:
		stat = VHOST_SHMEM_A_STAT_FAIL_NOSPC;
		break;
	case -EBADF:
	case -ENODEV:
	case -EOPNOTSUPP:
	case -EACCES:
	case -EPERM:
	case -ETXTBSY:
	case -EOVERFLOW:
		stat = VHOST_SHMEM_A_STAT_FAIL_FILE;
		break;
	case -ENOMEM:
		stat = VHOST_SHMEM_A_STAT_FAIL_NOMEM;
		break;
	default:
		stat = VHOST_SHMEM_A_STAT_FAIL_OTHER;
		break;
	}
	vhost_shmem_stat_inc(ctx, stat);
	return ret;
}

static long vhost_shmem_get_info(struct vhost_shmem_ctx *ctx,
				 void __user *argp)
{
	struct vhost_shmem_info info;

	if (copy_from_user(&info, argp, sizeof(info)))
		return -EFAULT;
	if (info.flags || memchr_inv(info.reserved, 0, sizeof(info.reserved)))
		return -EINVAL;

	info.api_version = VHOST_SHMEM_API_VERSION;
	info.features = 0;
	info.max_regions = ctx->max_regions;
	info.max_mappings = ctx->max_mappings;
	info.max_region_size = VHOST_SHMEM_MAX_REGION_SIZE;
	info.page_size = PAGE_SIZE;

	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static long vhost_shmem_region_create(struct vhost_shmem_ctx *ctx,
				      void __user *argp)
{
	struct vhost_shmem_region_create __user *uarg = argp;
	struct vhost_shmem_region_create args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (!vhost_shmem_region_create_valid(&args))
		return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_REGION_CREATES,
					 -EINVAL);
	/*
	 * The offset depends on the shmid alone: write it out before the
	 * region exists, so that a failing copy leaves nothing behind.
	 */
	if (put_user(vhost_shmem_region_offset(args.shmid), &uarg->mmap_offset))
		return -EFAULT;
	return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_REGION_CREATES,
				 vhost_shmem_ctx_region_create(ctx, &args));
}

static long vhost_shmem_region_destroy(struct vhost_shmem_ctx *ctx,
				       void __user *argp)
{
	struct vhost_shmem_region_destroy args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_REGION_DESTROYS,
				 vhost_shmem_ctx_region_destroy(ctx, &args));
}

static long vhost_shmem_region_info(struct vhost_shmem_ctx *ctx,
				    void __user *argp)
{
	struct vhost_shmem_region_info args;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	ret = vhost_shmem_ctx_region_info(ctx, &args);
	if (ret)
		return ret;
	return copy_to_user(argp, &args, sizeof(args)) ? -EFAULT : 0;
}

static long vhost_shmem_map(struct vhost_shmem_ctx *ctx, void __user *argp)
{
	struct vhost_shmem_map args;
	struct file *file;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	file = fget(args.fd);
	if (file) {
		ret = vhost_shmem_ctx_map(ctx, &args, file);
		fput(file);
	} else {
		ret = -EBADF;
	}
	return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_MAPS, ret);
}

static long vhost_shmem_unmap(struct vhost_shmem_ctx *ctx, void __user *argp)
{
	struct vhost_shmem_unmap args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_UNMAPS,
				 vhost_shmem_ctx_unmap(ctx, &args));
}

static long vhost_shmem_relay(struct vhost_shmem_ctx *ctx, void __user *argp)
{
	struct vhost_shmem_relay __user *uarg = argp;
	struct vhost_shmem_user_reply reply = {};
	u8 buf[VHOST_SHMEM_RELAY_MSG_LEN];
	struct vhost_shmem_relay args;
	void __user *ureply;
	struct file *file = NULL;
	bool reply_due = false;
	int ret, result = 0;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~VHOST_SHMEM_RELAY_F_ALWAYS_REPLY) ||
	    memchr_inv(args.reserved, 0, sizeof(args.reserved)) ||
	    args.reply_len < sizeof(reply) || args.fd < -1)
		return -EINVAL;
	if (copy_from_user(buf, u64_to_user_ptr(args.msg),
			   min_t(size_t, args.msg_len, sizeof(buf))))
		return -EFAULT;
	/*
	 * Make sure the results can be written back before anything is
	 * done: an executed request must not end in -EFAULT.
	 */
	ureply = u64_to_user_ptr(args.reply);
	if (copy_to_user(ureply, &reply, sizeof(reply)) ||
	    put_user(0, &uarg->reply_len))
		return -EFAULT;

	if (args.fd != -1)
		file = fget(args.fd);
	ret = vhost_shmem_ctx_relay(ctx, buf, args.msg_len, args.fd != -1, file,
				    args.flags & VHOST_SHMEM_RELAY_F_ALWAYS_REPLY,
				    &reply, &reply_due, &result);
	if (file)
		fput(file);
	if (ret)
		return ret;

	args.request = le32_to_cpu(((struct vhost_shmem_user_hdr *)buf)->request);
	args.result = vhost_shmem_count(ctx,
					args.request == VHOST_SHMEM_USER_BACKEND_SHMEM_MAP ?
					VHOST_SHMEM_A_STAT_MAPS :
					VHOST_SHMEM_A_STAT_UNMAPS, result);
	args.reply_len = reply_due ? sizeof(reply) : 0;
	if (reply_due && copy_to_user(ureply, &reply, sizeof(reply)))
		return -EFAULT;
	return copy_to_user(argp, &args, sizeof(args)) ? -EFAULT : 0;
}

static long vhost_shmem_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct vhost_shmem_ctx *ctx = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case VHOST_SHMEM_GET_INFO:
		return vhost_shmem_get_info(ctx, argp);
	case VHOST_SHMEM_REGION_CREATE:
		return vhost_shmem_region_create(ctx, argp);
	case VHOST_SHMEM_REGION_DESTROY:
		return vhost_shmem_region_destroy(ctx, argp);
	case VHOST_SHMEM_REGION_INFO:
		return vhost_shmem_region_info(ctx, argp);
	case VHOST_SHMEM_MAP:
		return vhost_shmem_map(ctx, argp);
	case VHOST_SHMEM_UNMAP:
		return vhost_shmem_unmap(ctx, argp);
	case VHOST_SHMEM_RESET:
		vhost_shmem_ctx_reset(ctx);
		return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_RESETS, 0);
	case VHOST_SHMEM_RELAY:
		return vhost_shmem_relay(ctx, argp);
	default:
		return -ENOTTY;
	}
}

static int vhost_shmem_open(struct inode *inode, struct file *file)
{
	struct vhost_shmem_ctx *ctx = vhost_shmem_ctx_alloc();

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	file->f_mapping = ctx->inode->i_mapping;
	file->private_data = ctx;
	return 0;
}

/* Runs when the last window is gone too: every VMA holds the file. */
static int vhost_shmem_release(struct inode *inode, struct file *file)
{
	vhost_shmem_ctx_free(file->private_data);
	return 0;
}

static const struct file_operations vhost_shmem_fops = {
	.owner = THIS_MODULE,
	.open = vhost_shmem_open,
	.release = vhost_shmem_release,
	.unlocked_ioctl = vhost_shmem_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vhost_shmem_mmap,
	.llseek = noop_llseek,
};

static struct miscdevice vhost_shmem_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vhost-shmem",
	.fops = &vhost_shmem_fops,
};

static int __init vhost_shmem_init(void)
{
	int ret;

	ret = vhost_shmem_nl_init();
	if (ret)
		return ret;
	ret = misc_register(&vhost_shmem_misc);
	if (ret)
		goto err_nl_exit;
	return 0;

err_nl_exit:
	vhost_shmem_nl_exit();
	return ret;
}

static void __exit vhost_shmem_exit(void)
{
	misc_deregister(&vhost_shmem_misc);
	vhost_shmem_nl_exit();
}

module_init(vhost_shmem_init);
module_exit(vhost_shmem_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The vhost-shmem authors");
MODULE_DESCRIPTION("Kernel backing for VIRTIO Shared Memory Regions of vhost-user devices");

#ifdef CONFIG_VHOST_SHMEM_KUNIT_TEST
#include "tests/vhost_shmem_kunit.c"
#endif
