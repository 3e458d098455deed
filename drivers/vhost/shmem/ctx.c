// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-shmem contexts: one per open file of /dev/vhost-shmem, with the
 * private inode of its windows, the limits it takes when it is opened, and
 * its lifetime.
 */

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/moduleparam.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/vhost_shmem.h>

#include "vhost_shmem_private.h"
#include "compat.h"

#define VHOST_SHMEM_FS_MAGIC		0x5653484d	/* "VSHM" */

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

/*
 * Contexts whose file is open, by id: the names netlink dumps and events
 * give them.  Lookups run under RCU and take a reference
 * (&vhost_shmem_ctx.refs) before they leave it.  Ids start at 1: 0 is a
 * context that was never registered (the KUnit suite's).
 */
static DEFINE_XARRAY_ALLOC1(vhost_shmem_ctxs);
static u32 vhost_shmem_next_ctx_id;

/**
 * vhost_shmem_ctx_alloc() - make a context for the calling process
 *
 * The context takes the limits the module parameters give now, and a
 * private inode for its windows.  It is not registered: nothing outside
 * the caller can find it until vhost_shmem_ctx_register().
 *
 * Context: process context, no lock held.
 * Return: the context, owned by the caller until vhost_shmem_ctx_free();
 * ERR_PTR(-ENOMEM) or the pseudo filesystem's error.
 */
struct vhost_shmem_ctx *vhost_shmem_ctx_alloc(void)
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
	return ctx;

err_release_fs:
	simple_release_fs(&vhost_shmem_mnt, &vhost_shmem_mnt_count);
err_free_ctx:
	kfree(ctx);
	return ERR_PTR(ret);
}

/**
 * vhost_shmem_ctx_free() - tear down a context whose file is released
 * @ctx: the context; the caller's reference goes with it.
 *
 * Unregisters @ctx, removes every region and mapping, zapping their
 * windows, and gives every page and file back.  Dumps that still hold a
 * reference see &vhost_shmem_ctx.dead; the memory goes with the last
 * reference, after an RCU grace period.
 *
 * Context: process context, no lock held; takes @ctx->lock.
 */
void vhost_shmem_ctx_free(struct vhost_shmem_ctx *ctx)
{
	struct vhost_shmem_region *region;
	unsigned int shmid;
	LIST_HEAD(dispose);

	/* Out of the dumps' sight before anything is torn down. */
	if (ctx->id)
		xa_erase(&vhost_shmem_ctxs, ctx->id);
	down_write(&ctx->lock);
	ctx->dead = true;
	up_write(&ctx->lock);

	for (shmid = 0; shmid < VHOST_SHMEM_NR_SHMIDS; shmid++) {
		down_write(&ctx->lock);
		region = ctx->regions[shmid];
		if (region)
			vhost_shmem_region_remove(ctx, region, &dispose);
		up_write(&ctx->lock);

		vhost_shmem_mapping_dispose(&dispose);
		INIT_LIST_HEAD(&dispose);
		kfree(region);
	}
	/* Every mapping uncounted itself on the way out. */
	WARN_ON_ONCE(!xa_empty(&ctx->admitted));
	xa_destroy(&ctx->admitted);
	iput(ctx->inode);
	simple_release_fs(&vhost_shmem_mnt, &vhost_shmem_mnt_count);
	if (ctx->id)
		vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_CTX_DEL_NTF, NULL, NULL);
	vhost_shmem_ctx_put(ctx);
}

/**
 * vhost_shmem_ctx_put() - drop a reference to a context
 * @ctx: the context.
 *
 * The last reference frees @ctx after an RCU grace period.
 *
 * Context: any context that may sleep; no lock of @ctx held.
 */
void vhost_shmem_ctx_put(struct vhost_shmem_ctx *ctx)
{
	if (!refcount_dec_and_test(&ctx->refs))
		return;
	put_pid(ctx->owner);
	kfree_rcu(ctx, rcu);
}

/**
 * vhost_shmem_ctx_register() - give a new context an id and announce it
 * @ctx: the context, fresh from vhost_shmem_ctx_alloc().
 *
 * From here on netlink dumps may find @ctx and take references to it;
 * vhost_shmem_ctx_free() removes it again.
 *
 * Context: process context, no lock held.
 * Return: 0, or -ENOMEM or -EBUSY when no id could be allocated.
 */
int vhost_shmem_ctx_register(struct vhost_shmem_ctx *ctx)
{
	u32 id;
	int ret;

	/*
	 * Into a local: xa_alloc_cyclic() may set the id and then fail, and
	 * @ctx->id must stay 0 (never registered) when it does, or freeing
	 * the context would erase whichever context holds that id.
	 */
	ret = xa_alloc_cyclic(&vhost_shmem_ctxs, &id, ctx, xa_limit_31b,
			      &vhost_shmem_next_ctx_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		return ret;
	ctx->id = id;
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_CTX_ADD_NTF, NULL, NULL);
	return 0;
}

/**
 * vhost_shmem_ctx_get_next() - the first registered context from an id on
 * @id: in, the id to look from; out, the id of the context returned.
 *
 * Context: any context; takes the RCU read lock.
 * Return: the context, with a reference that the caller drops with
 * vhost_shmem_ctx_put(); NULL when there is none.  The context may have
 * been released meanwhile: &vhost_shmem_ctx.dead then says so.
 */
struct vhost_shmem_ctx *vhost_shmem_ctx_get_next(unsigned long *id)
{
	struct vhost_shmem_ctx *ctx;

	rcu_read_lock();
	for (;;) {
		ctx = xa_find(&vhost_shmem_ctxs, id, ULONG_MAX, XA_PRESENT);
		if (!ctx || refcount_inc_not_zero(&ctx->refs))
			break;
		(*id)++;
	}
	rcu_read_unlock();
	return ctx;
}

/**
 * vhost_shmem_ctx_reset() - remove every mapping of every region
 * @ctx: the context.
 *
 * The regions stay; their windows are zapped before any page is given
 * back.
 *
 * Context: process context, no lock held; takes @ctx->lock for writing.
 */
void vhost_shmem_ctx_reset(struct vhost_shmem_ctx *ctx)
{
	struct vhost_shmem_region *region;
	unsigned int shmid;
	LIST_HEAD(dispose);

	down_write(&ctx->lock);
	for (shmid = 0; (region = vhost_shmem_region_next(ctx, &shmid)); shmid++)
		vhost_shmem_region_clear(ctx, region, &dispose);
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_CTX_RESET_NTF, NULL, NULL);
	up_write(&ctx->lock);

	vhost_shmem_mapping_dispose(&dispose);
}
