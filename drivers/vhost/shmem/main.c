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
 *
 * This file holds the module, the character device and its ioctls, which
 * copy their arguments in and out and call the operations of the context
 * (ctx.c), its regions (region.c) and their mappings (mapping.c); the
 * windows' fault path is in fault.c, the vhost-user relay in relay.c and
 * the generic netlink family in netlink.c.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vhost_shmem.h>

#include "vhost_shmem_private.h"
#include "compat.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/**
 * vhost_shmem_refuse() - trace why a request is refused
 * @ctx: the context of the request.
 * @op: what the request was.
 * @why: the check that refused it.
 * @err: the errno the request fails with.
 *
 * Context: any context.
 * Return: @err, for the caller to return.
 */
int vhost_shmem_refuse(struct vhost_shmem_ctx *ctx, enum vhost_shmem_op op,
		       enum vhost_shmem_why why, int err)
{
	trace_vhost_shmem_refuse(ctx->id, op, why, err);
	return err;
}

/* Count a successful operation of @ctx in counter @stat.  Returns @ret. */
static int vhost_shmem_count(struct vhost_shmem_ctx *ctx, int stat, int ret)
{
	if (!ret)
		vhost_shmem_stat_inc(ctx, stat);
	return ret;
}

/**
 * struct vhost_shmem_ucmd - an ioctl being executed
 * @ctx: the context of the device file.
 * @ubuffer: the caller's argument.
 * @user_size: &vhost_shmem_info.size (and the like) as the caller gave it.
 * @cmd: the kernel's copy of the argument, zero-extended to the kernel's
 *       struct.
 */
struct vhost_shmem_ucmd {
	struct vhost_shmem_ctx *ctx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/*
 * Write the first @len bytes of the kernel's copy back, or as many as the
 * caller's struct holds.  Before the copy is changed, this writes the
 * caller's own bytes back: a check, changing nothing, that the outputs of
 * an operation about to run can be written, so that an executed operation
 * does not end in -EFAULT (short of a racing munmap() or mprotect() of the
 * argument by another thread).
 */
static int vhost_shmem_ucmd_respond(struct vhost_shmem_ucmd *ucmd, size_t len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, len)))
		return -EFAULT;
	return 0;
}

static int vhost_shmem_get_info_ioctl(struct vhost_shmem_ucmd *ucmd)
{
	struct vhost_shmem_info *info = ucmd->cmd;
	struct vhost_shmem_ctx *ctx = ucmd->ctx;

	if (info->flags)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_GET_INFO,
					  VHOST_SHMEM_WHY_FLAGS, -EOPNOTSUPP);

	info->features = VHOST_SHMEM_F_ZERO_HOLES | VHOST_SHMEM_F_RELAY_BATCH;
	info->max_regions = ctx->max_regions;
	info->max_mappings = ctx->max_mappings;
	info->max_region_size = VHOST_SHMEM_MAX_REGION_SIZE;
	info->page_size = PAGE_SIZE;
	return vhost_shmem_ucmd_respond(ucmd, sizeof(*info));
}

static int vhost_shmem_region_create_ioctl(struct vhost_shmem_ucmd *ucmd)
{
	struct vhost_shmem_region_create *args = ucmd->cmd;
	struct vhost_shmem_ctx *ctx = ucmd->ctx;
	int ret;

	ret = vhost_shmem_region_add_check(ctx, args);
	if (!ret) {
		if (vhost_shmem_ucmd_respond(ucmd, sizeof(*args)))
			return -EFAULT;
		ret = vhost_shmem_region_add(ctx, args);
	}
	trace_vhost_shmem_region(ctx->id, true, args->shmid, args->length, ret);
	vhost_shmem_count(ctx, VHOST_SHMEM_A_STATS_REGION_CREATES, ret);
	if (ret)
		return ret;
	return vhost_shmem_ucmd_respond(ucmd, sizeof(*args));
}

static int vhost_shmem_region_destroy_ioctl(struct vhost_shmem_ucmd *ucmd)
{
	struct vhost_shmem_region_destroy *args = ucmd->cmd;
	struct vhost_shmem_ctx *ctx = ucmd->ctx;
	int ret;

	ret = vhost_shmem_region_del(ctx, args);
	trace_vhost_shmem_region(ctx->id, false, args->shmid, 0, ret);
	return vhost_shmem_count(ctx, VHOST_SHMEM_A_STATS_REGION_DESTROYS, ret);
}

static int vhost_shmem_region_info_ioctl(struct vhost_shmem_ucmd *ucmd)
{
	struct vhost_shmem_region_info *args = ucmd->cmd;
	int ret;

	ret = vhost_shmem_region_query(ucmd->ctx, args);
	if (ret)
		return ret;
	return vhost_shmem_ucmd_respond(ucmd, sizeof(*args));
}

static int vhost_shmem_map_ioctl(struct vhost_shmem_ucmd *ucmd)
{
	struct vhost_shmem_map *args = ucmd->cmd;
	struct file *file;
	int ret;

	file = fget(args->fd);
	ret = vhost_shmem_mapping_add(ucmd->ctx, args, file);
	if (file)
		fput(file);
	trace_vhost_shmem_map(ucmd->ctx->id, args, false, ret);
	return vhost_shmem_count(ucmd->ctx, VHOST_SHMEM_A_STATS_MAPS, ret);
}

static int vhost_shmem_unmap_ioctl(struct vhost_shmem_ucmd *ucmd)
{
	struct vhost_shmem_unmap *args = ucmd->cmd;
	int ret;

	ret = vhost_shmem_mapping_del(ucmd->ctx, args);
	trace_vhost_shmem_unmap(ucmd->ctx->id, args, false, ret);
	return vhost_shmem_count(ucmd->ctx, VHOST_SHMEM_A_STATS_UNMAPS, ret);
}

static int vhost_shmem_reset_ioctl(struct vhost_shmem_ucmd *ucmd)
{
	vhost_shmem_ctx_reset(ucmd->ctx);
	trace_vhost_shmem_reset(ucmd->ctx->id);
	return vhost_shmem_count(ucmd->ctx, VHOST_SHMEM_A_STATS_RESETS, 0);
}

static int vhost_shmem_relay_ioctl(struct vhost_shmem_ucmd *ucmd)
{
	struct vhost_shmem_relay *args = ucmd->cmd;
	struct vhost_shmem_ctx *ctx = ucmd->ctx;
	struct vhost_shmem_user_reply reply = {}, old;
	u8 buf[VHOST_SHMEM_RELAY_MSG_LEN];
	void __user *ureply;
	struct file *file = NULL;
	bool reply_due = false;
	int ret, result = 0;

	if ((args->flags & ~VHOST_SHMEM_RELAY_F_ALWAYS_REPLY) ||
	    args->__reserved)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_RELAY,
					  VHOST_SHMEM_WHY_FLAGS, -EOPNOTSUPP);
	if (args->reply_len < sizeof(reply) || args->fd < -1)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_RELAY,
					  VHOST_SHMEM_WHY_ARG, -EINVAL);
	if (copy_from_user(buf, u64_to_user_ptr(args->msg),
			   min_t(size_t, args->msg_len, sizeof(buf))))
		return -EFAULT;
	/*
	 * Make sure the results can be written back before anything is
	 * done, by writing back what is there: an executed request must not
	 * end in -EFAULT, and one that fails changes nothing.
	 */
	ureply = u64_to_user_ptr(args->reply);
	if (copy_from_user(&old, ureply, sizeof(old)) ||
	    copy_to_user(ureply, &old, sizeof(old)) ||
	    vhost_shmem_ucmd_respond(ucmd, sizeof(*args)))
		return -EFAULT;

	if (args->fd != -1)
		file = fget(args->fd);
	ret = vhost_shmem_ctx_relay(ctx, buf, args->msg_len, args->fd != -1,
				    file,
				    args->flags & VHOST_SHMEM_RELAY_F_ALWAYS_REPLY,
				    &reply, &reply_due, &result);
	if (file)
		fput(file);
	if (ret)
		return ret;

	args->out_request =
		le32_to_cpu(((struct vhost_shmem_user_hdr *)buf)->request);
	args->out_result =
		vhost_shmem_count(ctx, args->out_request ==
					VHOST_SHMEM_USER_BACKEND_SHMEM_MAP ?
				  VHOST_SHMEM_A_STATS_MAPS :
				  VHOST_SHMEM_A_STATS_UNMAPS, result);
	args->reply_len = reply_due ? sizeof(reply) : 0;
	if (reply_due && copy_to_user(ureply, &reply, sizeof(reply)))
		return -EFAULT;
	return vhost_shmem_ucmd_respond(ucmd, sizeof(*args));
}

/* The entry's first version: what every caller has room for. */
#define VHOST_SHMEM_RELAY_ENTRY_MIN \
	offsetofend(struct vhost_shmem_relay_entry, out_reply)

/*
 * Read the entries of the batch @args into @e: with one copy when the
 * caller's entry is the kernel's, as it is for callers built with this
 * kernel's header.  Returns 0 or the error the whole batch fails with.
 */
static int vhost_shmem_relay_batch_read(struct vhost_shmem_ctx *ctx,
					const struct vhost_shmem_relay_batch *args,
					struct vhost_shmem_relay_entry *e)
{
	void __user *uentries = u64_to_user_ptr(args->entries);
	unsigned int i;
	int ret;

	if (args->entry_len == sizeof(*e))
		return copy_from_user(e, uentries,
				      array_size(args->entry_num, sizeof(*e))) ?
		       -EFAULT : 0;
	for (i = 0; i < args->entry_num; i++) {
		ret = copy_struct_from_user(&e[i], sizeof(*e),
					    uentries + (size_t)i * args->entry_len,
					    args->entry_len);
		if (ret == -E2BIG)
			return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_RELAY,
						  VHOST_SHMEM_WHY_ARG, ret);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Write the kernel's entries @e back to the batch @args, each as far as the
 * caller's entry reaches: with one copy when it is the kernel's.
 */
static int vhost_shmem_relay_batch_write(const struct vhost_shmem_relay_batch *args,
					 const struct vhost_shmem_relay_entry *e)
{
	void __user *uentries = u64_to_user_ptr(args->entries);
	unsigned int i;

	if (args->entry_len == sizeof(*e))
		return copy_to_user(uentries, e,
				    array_size(args->entry_num, sizeof(*e))) ?
		       -EFAULT : 0;
	for (i = 0; i < args->entry_num; i++)
		if (copy_to_user(uentries + (size_t)i * args->entry_len, &e[i],
				 min_t(size_t, args->entry_len, sizeof(*e))))
			return -EFAULT;
	return 0;
}

/*
 * Check entry @e and read its message into @item.  Returns 0 or the error
 * the whole batch fails with.
 */
static int vhost_shmem_relay_batch_check(struct vhost_shmem_ctx *ctx,
					 const struct vhost_shmem_relay_entry *e,
					 struct vhost_shmem_relay_item *item)
{
	if (e->flags)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_RELAY,
					  VHOST_SHMEM_WHY_FLAGS, -EOPNOTSUPP);
	if (e->fd < -1)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_RELAY,
					  VHOST_SHMEM_WHY_ARG, -EINVAL);
	item->len = e->msg_len;
	item->has_fd = e->fd != -1;
	item->file = NULL;
	if (copy_from_user(item->buf, u64_to_user_ptr(e->msg),
			   min_t(size_t, e->msg_len, sizeof(item->buf))))
		return -EFAULT;
	return 0;
}

/* The outputs of entry @e from what happened to its message @it. */
static void vhost_shmem_relay_batch_result(struct vhost_shmem_ctx *ctx,
					   struct vhost_shmem_relay_entry *e,
					   const struct vhost_shmem_relay_item *it)
{
	e->out_status = it->status;
	e->out_request = it->request;
	e->out_result = 0;
	e->out_reply_len = 0;
	if (!it->status)
		e->out_result =
			vhost_shmem_count(ctx, it->request ==
						VHOST_SHMEM_USER_BACKEND_SHMEM_MAP ?
					  VHOST_SHMEM_A_STATS_MAPS :
					  VHOST_SHMEM_A_STATS_UNMAPS,
					  it->result);
	if (it->reply_due) {
		e->out_reply_len = sizeof(e->out_reply);
		e->out_reply = it->reply;
	}
}

static int vhost_shmem_relay_batch_ioctl(struct vhost_shmem_ucmd *ucmd)
{
	struct vhost_shmem_relay_batch *args = ucmd->cmd;
	struct vhost_shmem_ctx *ctx = ucmd->ctx;
	struct vhost_shmem_relay_entry *entries;
	struct vhost_shmem_relay_item *items;
	unsigned int i, n = args->entry_num;
	struct vhost_shmem_zap *zaps;
	int ret;

	if (args->flags & ~VHOST_SHMEM_RELAY_F_ALWAYS_REPLY)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_RELAY,
					  VHOST_SHMEM_WHY_FLAGS, -EOPNOTSUPP);
	if (!n || args->entry_len < VHOST_SHMEM_RELAY_ENTRY_MIN)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_RELAY,
					  VHOST_SHMEM_WHY_ARG, -EINVAL);
	/* Room to grow, but not a walk of gigabytes for zero bytes. */
	if (n > VHOST_SHMEM_RELAY_BATCH_MAX || args->entry_len > PAGE_SIZE)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_RELAY,
					  VHOST_SHMEM_WHY_ARG, -E2BIG);

	/* One allocation: the messages, the entries, room for the zaps. */
	items = kvmalloc(n * (sizeof(*items) + sizeof(*entries) +
			      sizeof(*zaps)), GFP_KERNEL_ACCOUNT);
	if (!items)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_RELAY,
					  VHOST_SHMEM_WHY_NOMEM, -ENOMEM);
	entries = (void *)(items + n);
	zaps = (void *)(entries + n);

	ret = vhost_shmem_relay_batch_read(ctx, args, entries);
	for (i = 0; !ret && i < n; i++)
		ret = vhost_shmem_relay_batch_check(ctx, &entries[i],
						    &items[i]);
	/*
	 * Make sure every entry's outputs can be written back before
	 * anything is done, by writing back what is there: an executed
	 * batch must not end in -EFAULT, and one that fails changes
	 * nothing.
	 */
	if (!ret)
		ret = vhost_shmem_relay_batch_write(args, entries);
	if (ret)
		goto out;

	for (i = 0; i < n; i++)
		if (items[i].has_fd)
			items[i].file = fget(entries[i].fd);
	vhost_shmem_ctx_relay_batch(ctx, items, n,
				    args->flags & VHOST_SHMEM_RELAY_F_ALWAYS_REPLY,
				    zaps);
	for (i = 0; i < n; i++) {
		if (items[i].file)
			fput(items[i].file);
		vhost_shmem_relay_batch_result(ctx, &entries[i], &items[i]);
	}
	ret = vhost_shmem_relay_batch_write(args, entries);
out:
	kvfree(items);
	return ret;
}

union vhost_shmem_ucmd_buffer {
	struct vhost_shmem_info info;
	struct vhost_shmem_region_create region_create;
	struct vhost_shmem_region_destroy region_destroy;
	struct vhost_shmem_region_info region_info;
	struct vhost_shmem_map map;
	struct vhost_shmem_unmap unmap;
	struct vhost_shmem_relay relay;
	struct vhost_shmem_relay_batch relay_batch;
};

/**
 * struct vhost_shmem_ioctl_op - an ioctl of the device
 * @size: size of the kernel's struct; 0 for an ioctl without argument.
 * @min_size: size of the struct's first version: the least a caller may
 *            pass.
 * @ioctl_num: the ioctl number.
 * @op: what the ioctl is, for vhost_shmem_refuse().
 * @execute: runs the ioctl on &vhost_shmem_ucmd.cmd.
 */
struct vhost_shmem_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	enum vhost_shmem_op op;
	int (*execute)(struct vhost_shmem_ucmd *ucmd);
};

#define VHOST_SHMEM_IOCTL_OP(_ioctl, _op, _fn, _struct, _last)		\
	[_IOC_NR(_ioctl) - VHOST_SHMEM_BASE] = {			\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union vhost_shmem_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = _ioctl,					\
		.op = VHOST_SHMEM_OP_##_op,				\
		.execute = _fn,						\
	}

static const struct vhost_shmem_ioctl_op vhost_shmem_ioctl_ops[] = {
	VHOST_SHMEM_IOCTL_OP(VHOST_SHMEM_GET_INFO, GET_INFO,
			     vhost_shmem_get_info_ioctl,
			     struct vhost_shmem_info, page_size),
	VHOST_SHMEM_IOCTL_OP(VHOST_SHMEM_REGION_CREATE, REGION_CREATE,
			     vhost_shmem_region_create_ioctl,
			     struct vhost_shmem_region_create, out_mmap_offset),
	VHOST_SHMEM_IOCTL_OP(VHOST_SHMEM_REGION_DESTROY, REGION_DESTROY,
			     vhost_shmem_region_destroy_ioctl,
			     struct vhost_shmem_region_destroy, __reserved),
	VHOST_SHMEM_IOCTL_OP(VHOST_SHMEM_MAP, MAP, vhost_shmem_map_ioctl,
			     struct vhost_shmem_map, len),
	VHOST_SHMEM_IOCTL_OP(VHOST_SHMEM_UNMAP, UNMAP, vhost_shmem_unmap_ioctl,
			     struct vhost_shmem_unmap, len),
	[_IOC_NR(VHOST_SHMEM_RESET) - VHOST_SHMEM_BASE] = {
		.ioctl_num = VHOST_SHMEM_RESET,
		.execute = vhost_shmem_reset_ioctl,
	},
	VHOST_SHMEM_IOCTL_OP(VHOST_SHMEM_REGION_INFO, REGION_INFO,
			     vhost_shmem_region_info_ioctl,
			     struct vhost_shmem_region_info, out_resident_bytes),
	VHOST_SHMEM_IOCTL_OP(VHOST_SHMEM_RELAY, RELAY, vhost_shmem_relay_ioctl,
			     struct vhost_shmem_relay, __reserved),
	VHOST_SHMEM_IOCTL_OP(VHOST_SHMEM_RELAY_BATCH, RELAY,
			     vhost_shmem_relay_batch_ioctl,
			     struct vhost_shmem_relay_batch, entry_num),
};

/*
 * Every ioctl argument starts with its size: copy what the caller has,
 * zero-extended to the kernel's struct, refusing (-E2BIG) what the kernel
 * does not know.  See "General ioctl format" in the uAPI header.
 */
static long vhost_shmem_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct vhost_shmem_ucmd ucmd = {
		.ctx = file->private_data,
		.ubuffer = (void __user *)arg,
	};
	const struct vhost_shmem_ioctl_op *op;
	union vhost_shmem_ucmd_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (nr < VHOST_SHMEM_BASE ||
	    nr - VHOST_SHMEM_BASE >= ARRAY_SIZE(vhost_shmem_ioctl_ops))
		return -ENOTTY;
	op = &vhost_shmem_ioctl_ops[nr - VHOST_SHMEM_BASE];
	if (op->ioctl_num != cmd)
		return -ENOTTY;

	if (op->size) {
		if (get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer))
			return -EFAULT;
		if (ucmd.user_size < op->min_size)
			return vhost_shmem_refuse(ucmd.ctx, op->op,
						  VHOST_SHMEM_WHY_ARG, -EINVAL);
		ret = copy_struct_from_user(&buf, op->size, ucmd.ubuffer,
					    ucmd.user_size);
		if (ret == -E2BIG)
			return vhost_shmem_refuse(ucmd.ctx, op->op,
						  VHOST_SHMEM_WHY_ARG, ret);
		if (ret)
			return ret;
		ucmd.cmd = &buf;
	}
	return op->execute(&ucmd);
}

static int vhost_shmem_open(struct inode *inode, struct file *file)
{
	struct vhost_shmem_ctx *ctx = vhost_shmem_ctx_alloc();
	int ret;

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	ret = vhost_shmem_ctx_register(ctx);
	if (ret) {
		vhost_shmem_ctx_free(ctx);
		return ret;
	}
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
	/* Windows aligned so that 2 MiB of a file can map with one PMD. */
	.get_unmapped_area = thp_get_unmapped_area,
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
