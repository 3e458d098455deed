/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Differences between the kernels vhost-shmem is built against out of tree.
 * Everything version dependent lives here and nowhere else.  checkpatch
 * rightly warns about LINUX_VERSION_CODE: this file is for the out-of-tree
 * build only and goes away when the driver is merged.
 */
#ifndef _VHOST_SHMEM_COMPAT_H
#define _VHOST_SHMEM_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>
#include <net/genetlink.h>

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

#endif /* _VHOST_SHMEM_COMPAT_H */
