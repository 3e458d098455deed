/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Differences between the kernels vhost-shmem is built against out of tree.
 * Everything version dependent lives here and nowhere else.  checkpatch
 * rightly warns about LINUX_VERSION_CODE: this file is for the out-of-tree
 * build only and goes away when the driver is merged.
 */
#ifndef _VHOST_SHMEM_COMPAT_H
#define _VHOST_SHMEM_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <net/genetlink.h>

/*
 * The driver is written against the newest kernel (7.3 is the newest lane);
 * what follows backfills the older ones (6.1 and 6.12 are tested).  Where
 * the exact release of a change is not one of the tested kernels, the
 * comment says which release introduced it (7.2.13's headers were checked
 * too).
 */

#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
/* vm_flags became read-only behind accessors in 6.3. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

#if KERNEL_VERSION(6, 17, 0) > LINUX_VERSION_CODE
/*
 * Whether mmap() of @file can succeed at all.  6.16 added ->mmap_prepare
 * beside ->mmap; shmem and ext4 moved to it after 6.12, so a file check that
 * looks at ->mmap alone refuses every memfd on current kernels.
 */
static inline bool can_mmap_file(struct file *file)
{
#if KERNEL_VERSION(6, 16, 0) <= LINUX_VERSION_CODE
	if (file->f_op->mmap_prepare)
		return true;
#endif
	return file->f_op->mmap;
}
#endif

#if KERNEL_VERSION(7, 1, 0) > LINUX_VERSION_CODE
/* 7.1 renamed zap_vma_ptes() to zap_special_vma_range(). */
static inline void zap_special_vma_range(struct vm_area_struct *vma,
					 unsigned long address,
					 unsigned long size)
{
	zap_vma_ptes(vma, address, size);
}
#endif

#if KERNEL_VERSION(7, 3, 0) > LINUX_VERSION_CODE
/* 7.3 replaced is_cow_mapping(vm_flags) by vma_is_cow_mapping(vma). */
static inline bool vma_is_cow_mapping(const struct vm_area_struct *vma)
{
	return is_cow_mapping(vma->vm_flags);
}
#endif

#if KERNEL_VERSION(6, 7, 0) > LINUX_VERSION_CODE
/*
 * Drop the lock a fault runs under before waiting on I/O.  Before 6.7 no
 * fault of a file VMA runs under a VMA lock: it is the mmap_lock.
 */
static inline void release_fault_lock(struct vm_fault *vmf)
{
	mmap_read_unlock(vmf->vma->vm_mm);
}
#endif

#if KERNEL_VERSION(6, 2, 0) > LINUX_VERSION_CODE
/* shmem_read_folio_gfp() arrived in 6.2. */
static inline struct folio *shmem_read_folio_gfp(struct address_space *mapping,
						 pgoff_t index, gfp_t gfp)
{
	struct page *page = shmem_read_mapping_page_gfp(mapping, index, gfp);

	return IS_ERR(page) ? ERR_CAST(page) : page_folio(page);
}
#endif

#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
/* folio_is_zone_movable() replaced is_zone_movable_page() after 6.1. */
static inline bool folio_is_zone_movable(const struct folio *folio)
{
	return is_zone_movable_page(&folio->page);
}
#endif

#if KERNEL_VERSION(6, 11, 0) > LINUX_VERSION_CODE
/*
 * memfd_pin_folios() arrived in 6.11; before it nothing pins the folios of
 * a file for the long term, and the driver keeps its references.
 */
static inline bool vhost_shmem_can_pin(void)
{
	return false;
}

static inline long memfd_pin_folios(struct file *memfd, loff_t start,
				    loff_t end, struct folio **folios,
				    unsigned int max_folios, pgoff_t *offset)
{
	return -EOPNOTSUPP;
}

/* Never called: nothing was pinned. */
static inline void unpin_folio(struct folio *folio)
{
	WARN_ON_ONCE(1);
}
#else
static inline bool vhost_shmem_can_pin(void)
{
	return true;
}
#endif

#if KERNEL_VERSION(6, 13, 0) > LINUX_VERSION_CODE
/* folio_mark_dirty_lock() arrived in 6.13. */
static inline bool folio_mark_dirty_lock(struct folio *folio)
{
	return set_page_dirty_lock(&folio->page);
}
#endif

#if KERNEL_VERSION(6, 13, 0) > LINUX_VERSION_CODE
/* page_to_pgoff() became page_pgoff() in 6.13. */
static inline pgoff_t page_pgoff(const struct folio *folio,
				 const struct page *page)
{
	return folio->index + folio_page_idx(folio, page);
}
#endif

#if defined(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP) && \
	KERNEL_VERSION(6, 17, 0) > LINUX_VERSION_CODE
/*
 * Huge PFN mappings arrived in 6.12 (CONFIG_ARCH_SUPPORTS_PMD_PFNMAP); up
 * to 6.16 vmf_insert_pfn_pmd() takes a pfn_t, and PFN_DEV alone makes the
 * entry special, as a plain PFN does since.  The macro names the function
 * it wraps, which the preprocessor does not expand again.
 */
#include <linux/pfn_t.h>
#define vmf_insert_pfn_pmd(vmf, pfn, write) \
	vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write)
#endif

/* Typed allocation helpers arrived in 7.x; only the forms used here. */
#ifndef kzalloc_obj
#define kzalloc_obj(P, GFP)	kzalloc(sizeof(P), GFP)
#endif

/*
 * shmem_file_setup() takes vma_flags_t on 7.x (EMPTY_VMA_FLAGS: none), an
 * unsigned long of VM_* flags before.
 */
#ifndef EMPTY_VMA_FLAGS
#define EMPTY_VMA_FLAGS 0
#endif

/* The parsed request attributes of a generic netlink dump. */
#if KERNEL_VERSION(6, 6, 0) > LINUX_VERSION_CODE
static inline struct nlattr **vhost_shmem_dump_attrs(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->attrs;
}
#else
static inline struct nlattr **vhost_shmem_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}
#endif

/*
 * Variable-width unsigned attributes (NLA_UINT, nla_put_uint(),
 * nla_get_uint()) arrived in 6.7.  The policy type falls back to a binary
 * attribute of any length, nla_get_uint() takes what a 6.7 kernel takes (4
 * or 8 bytes) and reads anything else as 0; the handlers refuse other
 * lengths themselves (vhost_shmem_nl_uint()), as a 6.7 policy would.
 * Replies carry 4 bytes when the value fits, else 8, as from 6.7: YNL
 * clients read both.  netlink-gen.c sees this file first (the Makefile
 * includes it there).
 */
#if KERNEL_VERSION(6, 7, 0) > LINUX_VERSION_CODE
#define NLA_UINT NLA_BINARY

static inline u64 nla_get_uint(const struct nlattr *nla)
{
	if (nla_len(nla) == sizeof(u32))
		return nla_get_u32(nla);
	if (nla_len(nla) == sizeof(u64))
		return nla_get_u64(nla);
	return 0;
}

static inline int nla_put_uint(struct sk_buff *skb, int attrtype, u64 value)
{
	u64 tmp64 = value;
	u32 tmp32 = value;

	if (tmp64 == tmp32)
		return nla_put_u32(skb, attrtype, tmp32);
	return nla_put(skb, attrtype, sizeof(u64), &tmp64);
}
#endif

/*
 * Split operations (a do and a dump of one command as two entries, each
 * with its own policy) arrived in 6.2.  Before, the generated entries are
 * plain genl_ops, and vhost_shmem_genl_register_family() merges the do and
 * the dump of each command into one entry before registering: the spec
 * gives both the same request attributes, so either policy serves both.
 */
#if KERNEL_VERSION(6, 2, 0) > LINUX_VERSION_CODE
#define genl_split_ops		genl_ops
#define split_ops		ops
#define n_split_ops		n_ops

/* At most this many commands with a handler. */
#define VHOST_SHMEM_COMPAT_MAX_OPS	8

static inline int vhost_shmem_genl_register_family(struct genl_family *family)
{
	static struct genl_ops merged[VHOST_SHMEM_COMPAT_MAX_OPS];
	unsigned int i, j, n = 0;

	for (i = 0; i < family->n_ops; i++) {
		const struct genl_ops *op = &family->ops[i];

		for (j = 0; j < n; j++)
			if (merged[j].cmd == op->cmd)
				break;
		if (j == n) {
			if (WARN_ON(n == ARRAY_SIZE(merged)))
				return -EINVAL;
			n++;
			merged[j].cmd = op->cmd;
			merged[j].policy = op->policy;
			merged[j].maxattr = op->maxattr;
			merged[j].validate = op->validate;
		} else if (WARN_ON(merged[j].maxattr != op->maxattr ||
				   (op->policy && merged[j].policy &&
				    memcmp(merged[j].policy, op->policy,
					   (op->maxattr + 1) *
					   sizeof(*op->policy))))) {
			/* One policy serves both: the spec must keep them equal. */
			return -EINVAL;
		}
		/* GENL_CMD_CAP_*: uAPI bits, meaningless in 6.1's ops. */
		merged[j].flags |= op->flags &
				   ~(GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP);
		if (op->doit)
			merged[j].doit = op->doit;
		if (op->dumpit) {
			merged[j].start = op->start;
			merged[j].dumpit = op->dumpit;
			merged[j].done = op->done;
		}
	}
	family->ops = merged;
	family->n_ops = n;
	return genl_register_family(family);
}
#else
static inline int vhost_shmem_genl_register_family(struct genl_family *family)
{
	return genl_register_family(family);
}
#endif

#endif /* _VHOST_SHMEM_COMPAT_H */
