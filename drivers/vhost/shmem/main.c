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
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vhost_shmem.h>

#include "vhost_shmem_private.h"
#include "compat.h"

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

static long vhost_shmem_get_info_ioctl(struct vhost_shmem_ctx *ctx,
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

static long vhost_shmem_region_create_ioctl(struct vhost_shmem_ctx *ctx,
					    void __user *argp)
{
	struct vhost_shmem_region_create __user *uarg = argp;
	struct vhost_shmem_region_create args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (!vhost_shmem_region_add_valid(&args))
		return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_REGION_CREATES,
					 -EINVAL);
	/*
	 * The offset depends on the shmid alone: write it out before the
	 * region exists, so that a failing copy leaves nothing behind.
	 */
	if (put_user(vhost_shmem_region_offset(args.shmid), &uarg->mmap_offset))
		return -EFAULT;
	return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_REGION_CREATES,
				 vhost_shmem_region_add(ctx, &args));
}

static long vhost_shmem_region_destroy_ioctl(struct vhost_shmem_ctx *ctx,
					     void __user *argp)
{
	struct vhost_shmem_region_destroy args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_REGION_DESTROYS,
				 vhost_shmem_region_del(ctx, &args));
}

static long vhost_shmem_region_info_ioctl(struct vhost_shmem_ctx *ctx,
					  void __user *argp)
{
	struct vhost_shmem_region_info args;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	ret = vhost_shmem_region_query(ctx, &args);
	if (ret)
		return ret;
	return copy_to_user(argp, &args, sizeof(args)) ? -EFAULT : 0;
}

static long vhost_shmem_map_ioctl(struct vhost_shmem_ctx *ctx,
				  void __user *argp)
{
	struct vhost_shmem_map args;
	struct file *file;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	file = fget(args.fd);
	if (file) {
		ret = vhost_shmem_mapping_add(ctx, &args, file);
		fput(file);
	} else {
		ret = -EBADF;
	}
	return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_MAPS, ret);
}

static long vhost_shmem_unmap_ioctl(struct vhost_shmem_ctx *ctx,
				    void __user *argp)
{
	struct vhost_shmem_unmap args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_UNMAPS,
				 vhost_shmem_mapping_del(ctx, &args));
}

static long vhost_shmem_relay_ioctl(struct vhost_shmem_ctx *ctx,
				    void __user *argp)
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
		return vhost_shmem_get_info_ioctl(ctx, argp);
	case VHOST_SHMEM_REGION_CREATE:
		return vhost_shmem_region_create_ioctl(ctx, argp);
	case VHOST_SHMEM_REGION_DESTROY:
		return vhost_shmem_region_destroy_ioctl(ctx, argp);
	case VHOST_SHMEM_REGION_INFO:
		return vhost_shmem_region_info_ioctl(ctx, argp);
	case VHOST_SHMEM_MAP:
		return vhost_shmem_map_ioctl(ctx, argp);
	case VHOST_SHMEM_UNMAP:
		return vhost_shmem_unmap_ioctl(ctx, argp);
	case VHOST_SHMEM_RESET:
		vhost_shmem_ctx_reset(ctx);
		return vhost_shmem_count(ctx, VHOST_SHMEM_A_STAT_RESETS, 0);
	case VHOST_SHMEM_RELAY:
		return vhost_shmem_relay_ioctl(ctx, argp);
	default:
		return -ENOTTY;
	}
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
