// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-shmem regions: the VIRTIO shared memory regions of a context, each
 * a range of the context's mmap offsets that holds mappings.
 */

#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vhost_shmem.h>

#include "vhost_shmem_private.h"
#include "compat.h"

/**
 * vhost_shmem_region_clear() - remove every mapping of a region
 * @ctx: the context of @region.
 * @region: the region.
 * @dispose: list the removed mappings are queued on, to be freed with
 *           vhost_shmem_mapping_dispose() once @ctx->lock is dropped.
 *
 * The windows of @region are zapped before this returns.
 *
 * Context: @ctx->lock held for writing.
 */
void vhost_shmem_region_clear(struct vhost_shmem_ctx *ctx,
			      struct vhost_shmem_region *region,
			      struct list_head *dispose)
{
	struct vhost_shmem_mapping *map;
	unsigned long index = 0;

	lockdep_assert_held_write(&ctx->lock);

	/* Zero-page entries of holes too, with or without mappings. */
	if (!region->nr_mappings) {
		if (region->zero_holes)
			vhost_shmem_region_zap(ctx, region, 0, region->npages);
		return;
	}
	mt_for_each(&region->mappings, map, index, ULONG_MAX) {
		vhost_shmem_admission_del(ctx, map);
		list_add_tail(&map->dispose, dispose);
	}
	mtree_destroy(&region->mappings);
	region->nr_mappings = 0;
	vhost_shmem_region_zap(ctx, region, 0, region->npages);
}

/**
 * vhost_shmem_region_next() - the first region of a context from a shmid on
 * @ctx: the context.
 * @shmid: in, the shmid to look from; out, the shmid of the region returned.
 *
 * Context: @ctx->lock held.
 * Return: the region, or NULL when there is none.
 */
struct vhost_shmem_region *
vhost_shmem_region_next(struct vhost_shmem_ctx *ctx, unsigned int *shmid)
{
	lockdep_assert_held(&ctx->lock);

	for (; *shmid < VHOST_SHMEM_NR_SHMIDS; (*shmid)++)
		if (ctx->regions[*shmid])
			return ctx->regions[*shmid];
	return NULL;
}

/**
 * vhost_shmem_region_remove() - clear a region and take it out of its context
 * @ctx: the context of @region.
 * @region: the region; the caller frees it once @ctx->lock is dropped.
 * @dispose: as for vhost_shmem_region_clear().
 *
 * Context: @ctx->lock held for writing.
 */
void vhost_shmem_region_remove(struct vhost_shmem_ctx *ctx,
			       struct vhost_shmem_region *region,
			       struct list_head *dispose)
{
	lockdep_assert_held_write(&ctx->lock);

	vhost_shmem_region_clear(ctx, region, dispose);
	ctx->regions[region->shmid] = NULL;
	ctx->nr_regions--;
}

/**
 * vhost_shmem_region_add_check() - check REGION_CREATE's arguments
 * @ctx: the context the request is for.
 * @args: the arguments, in kernel memory.
 *
 * Context: any context.
 * Return: 0; -EOPNOTSUPP for an unknown flag or a reserved field not zero,
 * -EINVAL for a shmid above 255 or a length that is zero, not a multiple
 * of PAGE_SIZE or above 1 TiB.
 */
int vhost_shmem_region_add_check(struct vhost_shmem_ctx *ctx,
				 const struct vhost_shmem_region_create *args)
{
	if (args->flags & ~VHOST_SHMEM_REGION_F_ZERO_HOLES || args->__reserved)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_CREATE,
					  VHOST_SHMEM_WHY_FLAGS, -EOPNOTSUPP);
	if (args->shmid >= VHOST_SHMEM_NR_SHMIDS)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_CREATE,
					  VHOST_SHMEM_WHY_SHMID, -EINVAL);
	if (!args->length || !PAGE_ALIGNED(args->length) ||
	    args->length > VHOST_SHMEM_MAX_REGION_SIZE)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_CREATE,
					  VHOST_SHMEM_WHY_LENGTH, -EINVAL);
	return 0;
}

/**
 * vhost_shmem_region_add() - create a region (REGION_CREATE)
 * @ctx: the context.
 * @args: the arguments, in kernel memory; @args->out_mmap_offset is set.
 *
 * Context: process context, no lock held; takes @ctx->lock for writing.
 * Return: 0; -EOPNOTSUPP or -EINVAL for invalid arguments (see
 * vhost_shmem_region_add_check()), -EEXIST when the shmid is taken,
 * -ENOSPC at the context's region limit, -ENOMEM.
 */
int vhost_shmem_region_add(struct vhost_shmem_ctx *ctx,
			   struct vhost_shmem_region_create *args)
{
	struct vhost_shmem_region *region;
	int ret;

	ret = vhost_shmem_region_add_check(ctx, args);
	if (ret)
		return ret;

	region = kzalloc_obj(*region, GFP_KERNEL_ACCOUNT);
	if (!region)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_CREATE,
					  VHOST_SHMEM_WHY_NOMEM, -ENOMEM);
	region->shmid = args->shmid;
	region->zero_holes = args->flags & VHOST_SHMEM_REGION_F_ZERO_HOLES;
	region->npages = args->length >> PAGE_SHIFT;
	mt_init(&region->mappings);

	down_write(&ctx->lock);
	if (ctx->regions[args->shmid]) {
		ret = vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_CREATE,
					 VHOST_SHMEM_WHY_REGION_EXISTS, -EEXIST);
		goto err_unlock;
	}
	if (ctx->nr_regions >= ctx->max_regions) {
		ret = vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_CREATE,
					 VHOST_SHMEM_WHY_LIMIT, -ENOSPC);
		goto err_unlock;
	}
	ctx->regions[args->shmid] = region;
	ctx->nr_regions++;
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_REGION_ADD_NTF, region, NULL);
	up_write(&ctx->lock);

	args->out_mmap_offset = vhost_shmem_region_offset(args->shmid);
	return 0;

err_unlock:
	up_write(&ctx->lock);
	kfree(region);
	return ret;
}

/**
 * vhost_shmem_region_del() - destroy a region and its mappings (REGION_DESTROY)
 * @ctx: the context.
 * @args: the arguments, in kernel memory.
 *
 * Context: process context, no lock held; takes @ctx->lock for writing.
 * Return: 0; -EOPNOTSUPP for flags or a reserved field not zero, -EINVAL
 * for a shmid above 255, -ENOENT when there is no such region.
 */
int
vhost_shmem_region_del(struct vhost_shmem_ctx *ctx,
		       const struct vhost_shmem_region_destroy *args)
{
	struct vhost_shmem_region *region;
	LIST_HEAD(dispose);

	if (args->flags || args->__reserved)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_DESTROY,
					  VHOST_SHMEM_WHY_FLAGS, -EOPNOTSUPP);
	if (args->shmid >= VHOST_SHMEM_NR_SHMIDS)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_DESTROY,
					  VHOST_SHMEM_WHY_SHMID, -EINVAL);

	down_write(&ctx->lock);
	region = ctx->regions[args->shmid];
	if (!region) {
		up_write(&ctx->lock);
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_DESTROY,
					  VHOST_SHMEM_WHY_NO_REGION, -ENOENT);
	}
	vhost_shmem_region_remove(ctx, region, &dispose);
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_REGION_DEL_NTF, region, NULL);
	up_write(&ctx->lock);

	vhost_shmem_mapping_dispose(&dispose);
	kfree(region);
	return 0;
}

/**
 * vhost_shmem_region_usage() - what a region maps and holds
 * @ctx: the context of @region.
 * @region: the region.
 * @mapped: set to the bytes its mappings cover.
 * @resident: set to the bytes of the pages its mappings hold.
 *
 * Context: @ctx->lock held.
 */
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

/**
 * vhost_shmem_region_pinned() - what a region's mappings charge as pinned
 * @ctx: the context of @region.
 * @region: the region.
 *
 * Context: @ctx->lock held.
 * Return: the bytes its mappings charge to the pinned memory of the tasks
 * that made them.
 */
u64 vhost_shmem_region_pinned(struct vhost_shmem_ctx *ctx,
			      struct vhost_shmem_region *region)
{
	struct vhost_shmem_mapping *map;
	unsigned long index = 0;
	u64 pages = 0;

	lockdep_assert_held(&ctx->lock);

	mt_for_each(&region->mappings, map, index, ULONG_MAX)
		if (map->pin_mm)
			pages += map->npages;
	return pages << PAGE_SHIFT;
}

/**
 * vhost_shmem_region_query() - describe a region (REGION_INFO)
 * @ctx: the context.
 * @args: the arguments, in kernel memory; the output fields are set.
 *
 * Context: process context, no lock held; takes @ctx->lock for reading.
 * Return: 0; -EOPNOTSUPP for flags not zero, -EINVAL
 * for a shmid above 255, -ENOENT when there is no such region.
 */
int vhost_shmem_region_query(struct vhost_shmem_ctx *ctx,
			     struct vhost_shmem_region_info *args)
{
	struct vhost_shmem_region *region;

	if (args->flags)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_INFO,
					  VHOST_SHMEM_WHY_FLAGS, -EOPNOTSUPP);
	if (args->shmid >= VHOST_SHMEM_NR_SHMIDS)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_INFO,
					  VHOST_SHMEM_WHY_SHMID, -EINVAL);

	down_read(&ctx->lock);
	region = ctx->regions[args->shmid];
	if (!region) {
		up_read(&ctx->lock);
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_REGION_INFO,
					  VHOST_SHMEM_WHY_NO_REGION, -ENOENT);
	}
	vhost_shmem_region_usage(ctx, region, &args->out_mapped_bytes,
				 &args->out_resident_bytes);
	args->out_pinned_bytes = vhost_shmem_region_pinned(ctx, region);
	args->out_length = (u64)region->npages << PAGE_SHIFT;
	args->out_mmap_offset = vhost_shmem_region_offset(region->shmid);
	args->out_nr_mappings = region->nr_mappings;
	up_read(&ctx->lock);
	return 0;
}
