// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-shmem mappings: the admission of a file as mmap() would admit it,
 * MAP and UNMAP, and the zap that makes a mapping's pages unreachable
 * before they are given back.
 */

#include <kunit/visibility.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/maple_tree.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rwsem.h>
#include <linux/capability.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <linux/vhost_shmem.h>

#include "vhost_shmem_private.h"
#include "compat.h"

/**
 * vhost_shmem_mapping_lookup() - the mapping that holds a window page
 * @ctx: the context.
 * @pgoff: the page's offset in the context's file (shmid and page index).
 *
 * Context: @ctx->lock held.
 * Return: the mapping, or NULL when none maps the page.
 */
struct vhost_shmem_mapping *
vhost_shmem_mapping_lookup(struct vhost_shmem_ctx *ctx, pgoff_t pgoff)
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

/**
 * vhost_shmem_mapping_next() - the first mapping of a region from a page on
 * @ctx: the context of @region.
 * @region: the region.
 * @index: in, the page index of @region to look from; out, the index after
 *         the mapping returned.
 *
 * Context: @ctx->lock held.
 * Return: the mapping that holds page *@index or the first after it, or
 * NULL when there is none.
 */
struct vhost_shmem_mapping *
vhost_shmem_mapping_next(struct vhost_shmem_ctx *ctx,
			 struct vhost_shmem_region *region,
			 unsigned long *index)
{
	lockdep_assert_held(&ctx->lock);

	return mt_find(&region->mappings, index, ULONG_MAX);
}

/**
 * vhost_shmem_region_zap() - make pages of a region unreachable
 * @ctx: the context of @region.
 * @region: the region.
 * @first: the first page index in @region.
 * @npages: how many pages.
 *
 * Removes every PTE of every window that maps pages [@first, @first +
 * @npages) of @region.  KVM's MMU notifier runs synchronously from here,
 * so on return no guest can reach those pages either.
 *
 * Context: @ctx->lock held for writing; takes i_mmap_rwsem of @ctx's inode.
 */
void vhost_shmem_region_zap(struct vhost_shmem_ctx *ctx,
			    struct vhost_shmem_region *region,
			    pgoff_t first, pgoff_t npages)
{
	lockdep_assert_held_write(&ctx->lock);

	unmap_mapping_range(ctx->inode->i_mapping,
			    vhost_shmem_region_offset(region->shmid) +
			    ((u64)first << PAGE_SHIFT),
			    (u64)npages << PAGE_SHIFT, 1);
}

/* The admission of open file @src in @ctx, or NULL. */
static struct vhost_shmem_admission *
vhost_shmem_admission_lookup(struct vhost_shmem_ctx *ctx, struct file *src)
{
	struct vhost_shmem_admission *adm = READ_ONCE(ctx->adm_last);

	lockdep_assert_held(&ctx->lock);

	if (adm && adm->src == src)
		return adm;
	adm = xa_load(&ctx->admitted, (unsigned long)src);
	/* Readers race to set the hint: any entry of @admitted will do. */
	if (adm)
		WRITE_ONCE(ctx->adm_last, adm);
	return adm;
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
VISIBLE_IF_KUNIT struct file *
vhost_shmem_admission_find(struct vhost_shmem_ctx *ctx,
			   struct file *file, bool writable)
{
	struct vhost_shmem_admission *adm;

	lockdep_assert_held(&ctx->lock);

	adm = vhost_shmem_admission_lookup(ctx, file);
	if (!adm || (writable && !adm->nr_rw) || adm->cred != current_cred())
		return NULL;
	return get_file(adm->real);
}

/*
 * Count @map, which holds its open file @map->src, in @ctx's admissions,
 * using *@spare if the file has no entry yet (and then taking it), for the
 * caller's credentials.  A mapping that cannot be counted (no memory, or
 * its probe found another file than the entry's, or the entry is of other
 * credentials) is simply not counted: its file is probed again next time.
 */
VISIBLE_IF_KUNIT void
vhost_shmem_admission_add(struct vhost_shmem_ctx *ctx,
			  struct vhost_shmem_mapping *map,
			  struct vhost_shmem_admission **spare)
{
	unsigned long key = (unsigned long)map->src;
	struct vhost_shmem_admission *adm;

	lockdep_assert_held_write(&ctx->lock);

	adm = vhost_shmem_admission_lookup(ctx, map->src);
	if (!adm) {
		if (!*spare || xa_err(xa_store(&ctx->admitted, key, *spare,
					       GFP_KERNEL_ACCOUNT)))
			return;
		adm = *spare;
		*spare = NULL;
		adm->src = map->src;
		adm->real = get_file(map->file);
		ctx->adm_last = adm;
		adm->cred = get_current_cred();
	} else if (adm->real != map->file || adm->cred != current_cred()) {
		/*
		 * Counted in an entry of other credentials, a read-write
		 * mapping would let that entry's credentials map read-write
		 * unprobed.
		 */
		return;
	}
	adm->nr_maps++;
	adm->nr_rw += map->writable;
	map->admitted = true;
}

/*
 * Charge @map's pages as iommufd charges what it pins: a mapping holds
 * every page its windows touch until it is removed, a long-term pin
 * (memfd_pin_folios() for shmem files, a reference for the others: see
 * vhost_shmem_mapping_hold()).  The calling task's user is charged
 * (locked_vm) against the task's RLIMIT_MEMLOCK, unless the task has
 * CAP_IPC_LOCK; its mm is charged too (pinned_vm, which /proc shows as
 * VmPin).  Charging the user rather than one mm means that no process
 * escapes the limit by handing its mappings to a child and exiting, and
 * that a process that opened contexts for others is not charged for what
 * they map.  The whole length is charged at MAP, so that a MAP past the
 * limit fails at once rather than a fault later.
 */
static int vhost_shmem_mapping_pin(struct vhost_shmem_mapping *map)
{
	unsigned long limit, cur, new;
	struct user_struct *user = NULL;

	if (!current->mm)
		return 0;
	if (!capable(CAP_IPC_LOCK)) {
		user = get_uid(current_user());
		limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
		cur = atomic_long_read(&user->locked_vm);
		do {
			new = cur + map->npages;
			if (new > limit || new < cur) {
				free_uid(user);
				return -ENOMEM;
			}
		} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	}
	map->pin_user = user;
	map->pin_mm = current->mm;
	mmgrab(map->pin_mm);
	atomic64_add(map->npages, &map->pin_mm->pinned_vm);
	return 0;
}

/* Give the charge of @map, removed from its region or never inserted, back. */
static void vhost_shmem_mapping_unpin(struct vhost_shmem_mapping *map)
{
	if (map->pin_user) {
		atomic_long_sub(map->npages, &map->pin_user->locked_vm);
		free_uid(map->pin_user);
		map->pin_user = NULL;
	}
	if (map->pin_mm) {
		atomic64_sub(map->npages, &map->pin_mm->pinned_vm);
		mmdrop(map->pin_mm);
		map->pin_mm = NULL;
	}
}

/**
 * vhost_shmem_admission_del() - uncount a mapping from its context's admissions
 * @ctx: the context.
 * @map: a mapping just removed from its region.
 *
 * Context: @ctx->lock held for writing.
 */
void vhost_shmem_admission_del(struct vhost_shmem_ctx *ctx,
			       struct vhost_shmem_mapping *map)
{
	unsigned long key = (unsigned long)map->src;
	struct vhost_shmem_admission *adm;

	lockdep_assert_held_write(&ctx->lock);

	if (!map->admitted)
		return;
	adm = vhost_shmem_admission_lookup(ctx, map->src);
	adm->nr_rw -= map->writable;
	if (--adm->nr_maps)
		return;
	if (ctx->adm_last == adm)
		ctx->adm_last = NULL;
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

	/* Nothing to give back for a mapping no fault reached: no walk. */
	if (!xa_empty(&map->pages)) {
		xa_for_each(&map->pages, index, page) {
			struct folio *folio = page_folio(page);

			/* Writes through a PFN PTE never dirty the folio. */
			if (map->writable)
				folio_mark_dirty_lock(folio);
			if (xa_get_mark(&map->pages, index,
					VHOST_SHMEM_PAGE_PINNED))
				unpin_folio(folio);
			else
				folio_put(folio);
			cond_resched();
		}
		xa_destroy(&map->pages);
	}
	if (map->writable)
		mapping_unmap_writable(map->file->f_mapping);
	vhost_shmem_mapping_unpin(map);
	fput(map->file);
	fput(map->src);
	kfree(map);
}

/**
 * vhost_shmem_mapping_dispose() - free mappings removed from their regions
 * @dispose: the mappings, linked by &vhost_shmem_mapping.dispose.
 *
 * Every PTE that could reach their pages must be gone (zapped under the
 * context lock).  Dirties the pages of read-write mappings and gives every
 * page and file back.
 *
 * Context: process context; no vhost-shmem lock held.
 */
void vhost_shmem_mapping_dispose(struct list_head *dispose)
{
	struct vhost_shmem_mapping *map, *next;

	list_for_each_entry_safe(map, next, dispose, dispose) {
		vhost_shmem_mapping_free(map);
		cond_resched();
	}
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
	unsigned int tries;

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
	/*
	 * Removing the probe may need memory (maple tree nodes to detach
	 * the VMA); a failure would leave the page mapped in the caller.
	 * Such small allocations fail only for a task that is being killed,
	 * whose address space goes away anyway, or under fault injection:
	 * retry until then, but not forever (ENOMEM is also what munmap()
	 * says when splitting a VMA the probe merged into would pass
	 * vm.max_map_count, which retrying does not cure).
	 */
	for (tries = 0; vm_munmap(addr, PAGE_SIZE) == -ENOMEM &&
	     !fatal_signal_pending(current) && tries < 256; tries++)
		cond_resched();
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
 * asked for is not probed again (see vhost_shmem_admission_find()): only
 * what may change on an open file is checked again (append-only, swap
 * file, seals).
 *
 * On success, *@real is the file whose pages are mapped (the backing file
 * of a stacked filesystem) with a reference, *@cached says whether @file
 * was found admitted without a probe, and for a read-write mapping
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
				     struct file **real, bool *cached)
{
	enum vhost_shmem_why why;
	struct address_space *mapping;
	struct inode *inode;
	struct file *f;
	int ret;

	/* mmap() checks that the range fits the file's offsets first. */
	if ((u64)pgoff + npages > (u64)MAX_LFS_FILESIZE >> PAGE_SHIFT)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_MAP,
					  VHOST_SHMEM_WHY_FILE_OFFSET,
					  -EOVERFLOW);

	down_read(&ctx->lock);
	f = vhost_shmem_admission_find(ctx, file, writable);
	up_read(&ctx->lock);
	*cached = f;
	if (f) {
		/*
		 * What may have changed since the probe: the inode's flags
		 * and seals; the descriptor's mode, checked again for free.
		 */
		ret = -EACCES;
		why = VHOST_SHMEM_WHY_ACCESS;
		if (!(file->f_mode & FMODE_READ) ||
		    (writable && !(file->f_mode & FMODE_WRITE)) ||
		    (IS_APPEND(file_inode(file)) && (file->f_mode & FMODE_WRITE)))
			goto err_fput;
		ret = -ETXTBSY;
		why = VHOST_SHMEM_WHY_SWAPFILE;
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
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_MAP,
					  VHOST_SHMEM_WHY_FILE_KIND, -ENODEV);

	f = vhost_shmem_mmap_probe(file, writable, pgoff);
	if (IS_ERR(f))
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_MAP,
					  VHOST_SHMEM_WHY_MMAP, PTR_ERR(f));
	inode = file_inode(f);
	mapping = f->f_mapping;

	ret = -ENODEV;
	why = VHOST_SHMEM_WHY_FILE_KIND;
	if (!vhost_shmem_file_kind_ok(f) ||
	    !(shmem_mapping(mapping) || mapping->a_ops->read_folio))
		goto err_fput;
	ret = -EOPNOTSUPP;
	why = VHOST_SHMEM_WHY_RW_BACKING;
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
		why = VHOST_SHMEM_WHY_SEALED;
		if (ret)
			goto err_fput;
	}
	*real = f;
	return 0;

err_fput:
	fput(f);
	return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_MAP, why, ret);
}

/*
 * MAP's checks that come before the file's (see the errno order of
 * %VHOST_SHMEM_MAP): 0; -EOPNOTSUPP for an unknown flag, -EINVAL for a
 * shmid above 255 or a range that is empty, unaligned or overflows.
 */
static int vhost_shmem_mapping_add_check(struct vhost_shmem_ctx *ctx,
					 const struct vhost_shmem_map *args)
{
	if (args->flags & ~VHOST_SHMEM_MAP_F_RW)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_MAP,
					  VHOST_SHMEM_WHY_FLAGS, -EOPNOTSUPP);
	if (args->shmid >= VHOST_SHMEM_NR_SHMIDS)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_MAP,
					  VHOST_SHMEM_WHY_SHMID, -EINVAL);
	if (!vhost_shmem_range_valid(args->shm_offset, args->len) ||
	    !vhost_shmem_range_valid(args->fd_offset, args->len))
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_MAP,
					  VHOST_SHMEM_WHY_RANGE, -EINVAL);
	return 0;
}

/**
 * vhost_shmem_mapping_prepare() - what MAP does before it takes the lock
 * @ctx: the context.
 * @args: the arguments, in kernel memory; @args->fd is ignored.
 * @file: the file @args->fd refers to, or NULL when it is not an open
 *        file (-EBADF once the arguments are found valid).
 * @mapp: set to the new mapping, for vhost_shmem_mapping_insert() or
 *        vhost_shmem_mapping_abort().
 * @spare: set to an admission entry for vhost_shmem_mapping_insert() to
 *         use if @file has none yet, or NULL; the caller frees it.
 *
 * Checks the arguments and admits @file as vhost_shmem_mapping_admit()
 * says: MAP's checks that need no context lock, and in the errno order of
 * %VHOST_SHMEM_MAP the ones that come first.
 *
 * Context: process context, no lock held; takes the caller's mmap_lock,
 * the file's inode lock and @ctx->lock for reading.
 * Return: 0; -EOPNOTSUPP for an unknown flag, -EINVAL for invalid
 * arguments, -ENOMEM, or an admission error.
 */
int vhost_shmem_mapping_prepare(struct vhost_shmem_ctx *ctx,
				const struct vhost_shmem_map *args,
				struct file *file,
				struct vhost_shmem_mapping **mapp,
				struct vhost_shmem_admission **spare)
{
	bool writable = args->flags & VHOST_SHMEM_MAP_F_RW;
	struct vhost_shmem_mapping *map;
	struct file *real;
	bool cached;
	int ret;

	*spare = NULL;
	ret = vhost_shmem_mapping_add_check(ctx, args);
	if (ret)
		return ret;
	/* The descriptor comes after the arguments (the errno order). */
	if (!file)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_MAP,
					  VHOST_SHMEM_WHY_BAD_FD, -EBADF);
	ret = vhost_shmem_mapping_admit(ctx, file, writable,
					args->fd_offset >> PAGE_SHIFT,
					args->len >> PAGE_SHIFT, &real, &cached);
	if (ret)
		return ret;

	map = kzalloc_obj(*map, GFP_KERNEL_ACCOUNT);
	if (!map) {
		if (writable)
			mapping_unmap_writable(real->f_mapping);
		fput(real);
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_MAP,
					  VHOST_SHMEM_WHY_NOMEM, -ENOMEM);
	}
	/*
	 * Only needed for a file not admitted yet (one that a mapping of an
	 * earlier message of the same batch admits finds its entry then);
	 * lost, it costs a probe.
	 */
	*spare = cached ? NULL : kzalloc_obj(**spare, GFP_KERNEL_ACCOUNT);
	map->first = args->shm_offset >> PAGE_SHIFT;
	map->npages = args->len >> PAGE_SHIFT;
	map->file = real;
	map->src = get_file(file);
	map->pgoff = args->fd_offset >> PAGE_SHIFT;
	map->writable = writable;
	xa_init(&map->pages);
	*mapp = map;
	return 0;
}

/**
 * vhost_shmem_mapping_abort() - drop a mapping that was never inserted
 * @map: from vhost_shmem_mapping_prepare().
 *
 * Context: process context; no vhost-shmem lock held.
 */
void vhost_shmem_mapping_abort(struct vhost_shmem_mapping *map)
{
	fput(map->src);
	if (map->writable)
		mapping_unmap_writable(map->file->f_mapping);
	fput(map->file);
	kfree(map);
}

/*
 * Make pages [@first, @first + @npages) of @region unreachable: now, or at
 * the end of the batch that @zaps collects the ranges of.
 */
static void vhost_shmem_zap_later(struct vhost_shmem_ctx *ctx,
				  struct vhost_shmem_zaps *zaps,
				  struct vhost_shmem_region *region,
				  pgoff_t first, pgoff_t npages)
{
	u64 start;

	if (!zaps) {
		vhost_shmem_region_zap(ctx, region, first, npages);
		return;
	}
	start = ((u64)region->shmid << VHOST_SHMEM_REGION_PGSHIFT) + first;
	zaps->r[zaps->nr].start = start;
	zaps->r[zaps->nr].end = start + npages;
	zaps->nr++;
}

/**
 * vhost_shmem_mapping_insert() - what MAP does under the lock
 * @ctx: the context.
 * @shmid: the region to map into.
 * @map: from vhost_shmem_mapping_prepare(); the region's on success, the
 *       caller's to vhost_shmem_mapping_abort() otherwise.
 * @spare: as vhost_shmem_mapping_prepare() set it; taken if used.
 * @zaps: where to put off the zap of the zero pages of a region with
 *        zero holes, or NULL to zap at once.
 *
 * Inserts the mapping if the region has it room and its range is free.
 * No page is touched: windows fault them in.
 *
 * Context: @ctx->lock held for writing.
 * Return: 0; -ENOENT when there is no such region, -EINVAL for a range
 * outside the region, -ENOSPC at the region's mapping limit, -ENOMEM past
 * the memlock limit or without memory, -EEXIST when a page of the range is
 * mapped.
 */
int vhost_shmem_mapping_insert(struct vhost_shmem_ctx *ctx, u32 shmid,
			       struct vhost_shmem_mapping *map,
			       struct vhost_shmem_admission **spare,
			       struct vhost_shmem_zaps *zaps)
{
	pgoff_t first = map->first, npages = map->npages;
	struct vhost_shmem_region *region;
	enum vhost_shmem_why why;
	int ret;

	lockdep_assert_held_write(&ctx->lock);

	region = ctx->regions[shmid];
	if (!region) {
		ret = -ENOENT;
		why = VHOST_SHMEM_WHY_NO_REGION;
		goto err;
	}
	if (first >= region->npages || npages > region->npages - first) {
		ret = -EINVAL;
		why = VHOST_SHMEM_WHY_OUTSIDE;
		goto err;
	}
	if (region->nr_mappings >= ctx->max_mappings) {
		ret = -ENOSPC;
		why = VHOST_SHMEM_WHY_LIMIT;
		goto err;
	}
	ret = vhost_shmem_mapping_pin(map);
	if (ret) {
		why = VHOST_SHMEM_WHY_MEMLOCK;
		goto err;
	}
	/* Fails with -EEXIST if any page of the range is already mapped. */
	ret = mtree_insert_range(&region->mappings, first, first + npages - 1,
				 map, GFP_KERNEL_ACCOUNT);
	if (ret) {
		why = ret == -EEXIST ? VHOST_SHMEM_WHY_OVERLAP :
				       VHOST_SHMEM_WHY_NOMEM;
		vhost_shmem_mapping_unpin(map);
		goto err;
	}
	region->nr_mappings++;
	/* Zero-page entries of the holes the mapping fills. */
	if (region->zero_holes)
		vhost_shmem_zap_later(ctx, zaps, region, first, npages);
	vhost_shmem_admission_add(ctx, map, spare);
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_MAPPING_ADD_NTF, region, map);
	return 0;

err:
	return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_MAP, why, ret);
}

/**
 * vhost_shmem_mapping_add() - map a file into a region (MAP)
 * @ctx: the context.
 * @args: the arguments, in kernel memory; @args->fd is ignored.
 * @file: the file @args->fd refers to, or NULL when it is not an open
 *        file (-EBADF once the arguments are found valid); the mapping
 *        takes its own reference.
 *
 * vhost_shmem_mapping_prepare(), then vhost_shmem_mapping_insert().
 *
 * Context: process context, no lock held; takes the caller's mmap_lock,
 * the file's inode lock and @ctx->lock for writing.
 * Return: 0, or the error of either.
 */
int vhost_shmem_mapping_add(struct vhost_shmem_ctx *ctx,
			    const struct vhost_shmem_map *args,
			    struct file *file)
{
	struct vhost_shmem_admission *spare;
	struct vhost_shmem_mapping *map;
	int ret;

	ret = vhost_shmem_mapping_prepare(ctx, args, file, &map, &spare);
	if (ret)
		return ret;
	down_write(&ctx->lock);
	ret = vhost_shmem_mapping_insert(ctx, args->shmid, map, &spare, NULL);
	up_write(&ctx->lock);
	kfree(spare);
	if (ret)
		vhost_shmem_mapping_abort(map);
	return ret;
}

/**
 * vhost_shmem_mapping_remove() - what UNMAP does, under the lock
 * @ctx: the context.
 * @args: the arguments, in kernel memory.
 * @dispose: where the mapping goes, for vhost_shmem_mapping_dispose()
 *           once the lock is dropped.
 * @zaps: where to put off the zap of its pages, or NULL to zap at once.
 *
 * Context: @ctx->lock held for writing.
 * Return: 0; -EOPNOTSUPP for flags or a reserved field not zero, -EINVAL
 * for invalid arguments, -ENOENT unless a mapping covers exactly the
 * range, -ENOMEM.
 */
int vhost_shmem_mapping_remove(struct vhost_shmem_ctx *ctx,
			       const struct vhost_shmem_unmap *args,
			       struct list_head *dispose,
			       struct vhost_shmem_zaps *zaps)
{
	pgoff_t first = args->shm_offset >> PAGE_SHIFT;
	pgoff_t npages = args->len >> PAGE_SHIFT;
	struct vhost_shmem_region *region;
	struct vhost_shmem_mapping *map;
	int ret;

	lockdep_assert_held_write(&ctx->lock);

	if (args->flags || args->__reserved)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_UNMAP,
					  VHOST_SHMEM_WHY_FLAGS, -EOPNOTSUPP);
	if (args->shmid >= VHOST_SHMEM_NR_SHMIDS)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_UNMAP,
					  VHOST_SHMEM_WHY_SHMID, -EINVAL);
	if (!vhost_shmem_range_valid(args->shm_offset, args->len))
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_UNMAP,
					  VHOST_SHMEM_WHY_RANGE, -EINVAL);

	region = ctx->regions[args->shmid];
	map = region ? mtree_load(&region->mappings, first) : NULL;
	if (!map || map->first != first || map->npages != npages)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_UNMAP,
					  region ? VHOST_SHMEM_WHY_NOT_A_MAPPING :
						   VHOST_SHMEM_WHY_NO_REGION,
					  -ENOENT);
	/* Erasing may allocate: fail before anything is undone. */
	ret = mtree_store_range(&region->mappings, first, first + npages - 1,
				NULL, GFP_KERNEL);
	if (ret)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_UNMAP,
					  VHOST_SHMEM_WHY_NOMEM, ret);
	region->nr_mappings--;
	vhost_shmem_admission_del(ctx, map);
	/*
	 * Given back now rather than when the pages are: a MAP later in the
	 * same batch is charged as it would be after this UNMAP alone.
	 */
	vhost_shmem_mapping_unpin(map);
	/*
	 * A window PTE of a page of @map is only ever made by a fault that
	 * holds @ctx->lock and stored the page in @map->pages first
	 * (vhost_shmem_mapping_hold() before vmf_insert_pfn_prot() or
	 * vmf_insert_pfn_pmd()), and entries leave @map->pages only when @map
	 * is freed; forked windows and mremap() only copy or move PTEs that
	 * exist, and KVM's stage-2 entries are made from PTEs.  With the lock
	 * held for writing, empty @map->pages thus means that no window and
	 * no guest has ever reached a page of @map: there is nothing to zap,
	 * and the zap (the i_mmap walk, the page table walk and every MMU
	 * notifier) is half of the cost of UNMAP of a mapping never touched.
	 */
	if (!xa_empty(&map->pages))
		vhost_shmem_zap_later(ctx, zaps, region, first, npages);
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_MAPPING_DEL_NTF, region, map);
	list_add_tail(&map->dispose, dispose);
	return 0;
}

/**
 * vhost_shmem_mapping_del() - unmap exactly one mapping (UNMAP)
 * @ctx: the context.
 * @args: the arguments, in kernel memory.
 *
 * On return no window and no guest can reach the mapping's pages, and they
 * have been given back.
 *
 * Context: process context, no lock held; takes @ctx->lock for writing.
 * Return: as vhost_shmem_mapping_remove().
 */
int vhost_shmem_mapping_del(struct vhost_shmem_ctx *ctx,
			    const struct vhost_shmem_unmap *args)
{
	LIST_HEAD(dispose);
	int ret;

	down_write(&ctx->lock);
	ret = vhost_shmem_mapping_remove(ctx, args, &dispose, NULL);
	up_write(&ctx->lock);
	vhost_shmem_mapping_dispose(&dispose);
	return ret;
}

static int vhost_shmem_zap_cmp(const void *a, const void *b)
{
	const struct vhost_shmem_zap *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/**
 * vhost_shmem_zap_merge() - sort ranges and merge those that touch
 * @r: the ranges.
 * @nr: how many.
 *
 * Context: any context.
 * Return: the number of ranges left at the start of @r: sorted, neither
 * overlapping nor adjacent, covering exactly what @r covered.
 */
VISIBLE_IF_KUNIT unsigned int vhost_shmem_zap_merge(struct vhost_shmem_zap *r,
						    unsigned int nr)
{
	unsigned int i, n = 0;

	if (!nr)
		return 0;
	sort(r, nr, sizeof(*r), vhost_shmem_zap_cmp, NULL);
	for (i = 1; i < nr; i++) {
		if (r[i].start <= r[n].end)
			r[n].end = max(r[n].end, r[i].end);
		else
			r[++n] = r[i];
	}
	return n + 1;
}
EXPORT_SYMBOL_IF_KUNIT(vhost_shmem_zap_merge);

/* Mappings a batch's zap looks at between two of its ranges, at most. */
#define VHOST_SHMEM_ZAP_GAP_WALK	16

/*
 * Whether zapping the pages [@from, @to) of @ctx's file as well costs
 * nothing: they lie in one region and no mapping there has a page in a
 * window.  A hole may hold the zero page; it comes back on the next read.
 */
static bool vhost_shmem_zap_gap_idle(struct vhost_shmem_ctx *ctx, u64 from,
				     u64 to)
{
	unsigned int shmid = from >> VHOST_SHMEM_REGION_PGSHIFT, n;
	struct vhost_shmem_region *region;
	struct vhost_shmem_mapping *map;
	unsigned long index, last;

	if (shmid != (to - 1) >> VHOST_SHMEM_REGION_PGSHIFT)
		return false;
	region = ctx->regions[shmid];
	if (!region)
		return false;
	index = vhost_shmem_region_index(from);
	last = vhost_shmem_region_index(to - 1);
	for (n = 0; n < VHOST_SHMEM_ZAP_GAP_WALK; n++) {
		map = mt_find(&region->mappings, &index, last);
		if (!map)
			return true;
		if (atomic_long_read(&map->nr_resident))
			return false;
	}
	return false;
}

/**
 * vhost_shmem_zaps_flush() - do the zaps a batch put off
 * @ctx: the context.
 * @zaps: the ranges; emptied.
 *
 * Ranges that touch are merged, and two ranges of one region are zapped
 * as one when nothing between them has a page in a window: one walk of
 * the windows and one pass through KVM's MMU notifier where the ranges
 * allow it, and never a page of another mapping made to fault again.
 *
 * Context: @ctx->lock held for writing; takes i_mmap_rwsem of @ctx's inode.
 */
void vhost_shmem_zaps_flush(struct vhost_shmem_ctx *ctx,
			    struct vhost_shmem_zaps *zaps)
{
	struct address_space *mapping = ctx->inode->i_mapping;
	struct vhost_shmem_zap cur;
	unsigned int i, nr;

	lockdep_assert_held_write(&ctx->lock);

	nr = vhost_shmem_zap_merge(zaps->r, zaps->nr);
	zaps->nr = 0;
	if (!nr)
		return;
	cur = zaps->r[0];
	for (i = 1; i <= nr; i++) {
		if (i < nr && vhost_shmem_zap_gap_idle(ctx, cur.end,
						       zaps->r[i].start)) {
			cur.end = zaps->r[i].end;
			continue;
		}
		unmap_mapping_range(mapping, cur.start << PAGE_SHIFT,
				    (cur.end - cur.start) << PAGE_SHIFT, 1);
		if (i < nr)
			cur = zaps->r[i];
	}
}
