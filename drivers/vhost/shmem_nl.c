// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-shmem generic netlink family: dumps of what every context maps and a
 * multicast group of events as it changes.
 *
 * Every context is registered here under an id while it exists.  A dump
 * walks the registry under vhost_shmem_nl_lock, which keeps the contexts it
 * visits alive, and reads a context under its lock for reading for one
 * message buffer at a time, so that map and unmap wait for at most one
 * buffer's worth of attributes.  The dump resumes from a cursor (context id,
 * shmid, page index) that stays meaningful whatever changes between two
 * buffers; every change bumps vhost_shmem_nl_gen, which the dump reports
 * through NLM_F_DUMP_INTR.
 *
 * Visibility: a process sees the contexts it opened; with CAP_SYS_ADMIN it
 * sees every context.  Events show every context, so joining their group
 * needs CAP_SYS_ADMIN.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/mutex.h>
#include <linux/pid_namespace.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>

#include "shmem.h"
#include "shmem_compat.h"

/*
 * Registered contexts by id.  vhost_shmem_nl_lock is held to remove one and
 * by dumps while they use one, so that a context a dump found stays alive
 * until the dump lets go of the lock.
 */
static DEFINE_XARRAY_ALLOC1(vhost_shmem_nl_ctxs);
static DEFINE_MUTEX(vhost_shmem_nl_lock);
static u32 vhost_shmem_nl_next_id;

/* Bumped by every change a dump could show. */
static atomic_t vhost_shmem_nl_gen;

enum vhost_shmem_nl_mcgrp {
	VHOST_SHMEM_NLGRP_EVENTS,
};

static const struct genl_multicast_group vhost_shmem_nl_mcgrps[] = {
	[VHOST_SHMEM_NLGRP_EVENTS] = {
		.name = VHOST_SHMEM_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_SYS_ADMIN,
	},
};

static const struct nla_policy vhost_shmem_nl_get_policy[VHOST_SHMEM_A_MAX + 1] = {
	[VHOST_SHMEM_A_CTX_ID] = { .type = NLA_U32 },
	[VHOST_SHMEM_A_CTX_PID] = { .type = NLA_U32 },
	[VHOST_SHMEM_A_DUMP_FLAGS] =
		NLA_POLICY_MASK(NLA_U32, VHOST_SHMEM_DUMP_F_NO_MAPPINGS),
};

/**
 * struct vhost_shmem_nl_cursor - where a dump resumes, in cb->ctx
 * @ctx_id: the context being described, or the first one to look at.
 * @shmid: the region of @ctx_id being described, or the first to look at.
 * @index: first page index of @shmid whose mapping is still to describe.
 * @ctx_done: the message of @ctx_id was written.
 * @region_done: the message of region @shmid was written.
 * @no_mappings: %VHOST_SHMEM_DUMP_F_NO_MAPPINGS was asked for.
 * @has_id: only context @want_id is described.
 * @has_pid: only contexts of process @want_pid are described.
 * @want_id: context id asked for.
 * @want_pid: process asked for, in the caller's pid namespace.
 */
struct vhost_shmem_nl_cursor {
	u32 ctx_id;
	u16 shmid;
	unsigned long index;
	bool ctx_done;
	bool region_done;
	bool no_mappings;
	bool has_id;
	bool has_pid;
	u32 want_id;
	u32 want_pid;
};

static struct genl_family vhost_shmem_nl_family;

static int vhost_shmem_nl_put_ctx(struct sk_buff *skb,
				  struct vhost_shmem_ctx *ctx, u32 pid)
{
	if (nla_put_u32(skb, VHOST_SHMEM_A_CTX_ID, ctx->id) ||
	    nla_put_u32(skb, VHOST_SHMEM_A_CTX_PID, pid) ||
	    nla_put_string(skb, VHOST_SHMEM_A_CTX_COMM, ctx->comm) ||
	    nla_put_u64_64bit(skb, VHOST_SHMEM_A_CTX_CREATED, ctx->created,
			      VHOST_SHMEM_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/* What a dump adds to vhost_shmem_nl_put_ctx(): the current state. */
static int vhost_shmem_nl_put_ctx_state(struct sk_buff *skb,
					struct vhost_shmem_ctx *ctx)
{
	struct nlattr *stats;
	int attr;

	lockdep_assert_held(&ctx->lock);

	if (nla_put_u32(skb, VHOST_SHMEM_A_CTX_NR_REGIONS, ctx->nr_regions))
		return -EMSGSIZE;
	stats = nla_nest_start(skb, VHOST_SHMEM_A_CTX_STATS);
	if (!stats)
		return -EMSGSIZE;
	for (attr = VHOST_SHMEM_STAT_FIRST; attr < __VHOST_SHMEM_A_STAT_MAX;
	     attr++) {
		if (nla_put_u64_64bit(skb, attr,
				      vhost_shmem_stat_read(ctx, attr),
				      VHOST_SHMEM_A_STAT_PAD)) {
			nla_nest_cancel(skb, stats);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, stats);
	return 0;
}

static int vhost_shmem_nl_put_region(struct sk_buff *skb,
				     struct vhost_shmem_ctx *ctx,
				     struct vhost_shmem_region *region,
				     bool full)
{
	u64 mapped, resident;

	lockdep_assert_held(&ctx->lock);

	if (nla_put_u8(skb, VHOST_SHMEM_A_REGION_SHMID, region->shmid))
		return -EMSGSIZE;
	if (!full)
		return 0;

	vhost_shmem_region_usage(ctx, region, &mapped, &resident);
	if (nla_put_u64_64bit(skb, VHOST_SHMEM_A_REGION_SIZE,
			      (u64)region->npages << PAGE_SHIFT,
			      VHOST_SHMEM_A_PAD) ||
	    nla_put_u32(skb, VHOST_SHMEM_A_REGION_NR_MAPPINGS,
			region->nr_mappings) ||
	    nla_put_u64_64bit(skb, VHOST_SHMEM_A_REGION_MAPPED, mapped,
			      VHOST_SHMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SHMEM_A_REGION_RESIDENT, resident,
			      VHOST_SHMEM_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int vhost_shmem_nl_put_mapping(struct sk_buff *skb,
				      struct vhost_shmem_mapping *map,
				      bool full)
{
	struct inode *inode = file_inode(map->file);

	if (nla_put_u64_64bit(skb, VHOST_SHMEM_A_MAPPING_SHM_OFFSET,
			      (u64)map->first << PAGE_SHIFT,
			      VHOST_SHMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SHMEM_A_MAPPING_LEN,
			      (u64)map->npages << PAGE_SHIFT,
			      VHOST_SHMEM_A_PAD))
		return -EMSGSIZE;
	if (!full)
		return 0;

	if (nla_put_u64_64bit(skb, VHOST_SHMEM_A_MAPPING_FLAGS,
			      map->writable ? VHOST_SHMEM_MAP_F_RW : 0,
			      VHOST_SHMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SHMEM_A_MAPPING_FD_OFFSET,
			      (u64)map->pgoff << PAGE_SHIFT,
			      VHOST_SHMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SHMEM_A_MAPPING_DEV,
			      huge_encode_dev(inode->i_sb->s_dev),
			      VHOST_SHMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SHMEM_A_MAPPING_INO, inode->i_ino,
			      VHOST_SHMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SHMEM_A_MAPPING_RESIDENT,
			      (u64)atomic_long_read(&map->nr_resident) <<
			      PAGE_SHIFT, VHOST_SHMEM_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/**
 * vhost_shmem_nl_event() - announce a change of a context
 * @ctx: the context.
 * @cmd: what happened, a VHOST_SHMEM_CMD_* event.
 * @region: the region the event is about, or NULL.
 * @map: the mapping the event is about, or NULL.
 *
 * Called with @ctx->lock held for writing, so that the events of a context
 * are sent in the order of its changes; or, for %VHOST_SHMEM_CMD_CTX_NEW and
 * %VHOST_SHMEM_CMD_CTX_DEL, while no other thread can reach @ctx.  A
 * listener that misses an event for lack of memory gets -ENOBUFS on its
 * socket.
 */
void vhost_shmem_nl_event(struct vhost_shmem_ctx *ctx, u8 cmd,
			  struct vhost_shmem_region *region,
			  struct vhost_shmem_mapping *map)
{
	bool full = cmd != VHOST_SHMEM_CMD_MAPPING_DEL &&
		    cmd != VHOST_SHMEM_CMD_REGION_DEL;
	struct sk_buff *skb;
	void *hdr;

	atomic_inc(&vhost_shmem_nl_gen);
	if (!genl_has_listeners(&vhost_shmem_nl_family, &init_net,
				VHOST_SHMEM_NLGRP_EVENTS))
		return;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		goto err_lost;
	hdr = genlmsg_put(skb, 0, 0, &vhost_shmem_nl_family, 0, cmd);
	if (!hdr)
		goto err_free_skb;

	if (cmd == VHOST_SHMEM_CMD_CTX_NEW) {
		if (vhost_shmem_nl_put_ctx(skb, ctx, pid_nr(ctx->owner)))
			goto err_free_skb;
	} else if (nla_put_u32(skb, VHOST_SHMEM_A_CTX_ID, ctx->id)) {
		goto err_free_skb;
	}
	if (region && vhost_shmem_nl_put_region(skb, ctx, region, full && !map))
		goto err_free_skb;
	if (map && vhost_shmem_nl_put_mapping(skb, map, full))
		goto err_free_skb;

	genlmsg_end(skb, hdr);
	genlmsg_multicast(&vhost_shmem_nl_family, skb, 0,
			  VHOST_SHMEM_NLGRP_EVENTS, GFP_KERNEL);
	return;

err_free_skb:
	nlmsg_free(skb);
err_lost:
	genl_set_err(&vhost_shmem_nl_family, &init_net, 0,
		     VHOST_SHMEM_NLGRP_EVENTS, -ENOBUFS);
}

/**
 * vhost_shmem_nl_ctx_register() - give a new context an id and show it
 * @ctx: the context, with its owner, comm and creation time set.
 *
 * Return: 0, or -ENOMEM or -EBUSY when no id could be allocated.
 */
int vhost_shmem_nl_ctx_register(struct vhost_shmem_ctx *ctx)
{
	int ret;

	ret = xa_alloc_cyclic(&vhost_shmem_nl_ctxs, &ctx->id, ctx,
			      xa_limit_31b, &vhost_shmem_nl_next_id,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		return ret;
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_CTX_NEW, NULL, NULL);
	return 0;
}

/**
 * vhost_shmem_nl_ctx_unregister() - hide a context before it is freed
 * @ctx: the context.
 *
 * Waits for the dump that may be describing @ctx.
 */
void vhost_shmem_nl_ctx_unregister(struct vhost_shmem_ctx *ctx)
{
	mutex_lock(&vhost_shmem_nl_lock);
	xa_erase(&vhost_shmem_nl_ctxs, ctx->id);
	mutex_unlock(&vhost_shmem_nl_lock);
	vhost_shmem_nl_event(ctx, VHOST_SHMEM_CMD_CTX_DEL, NULL, NULL);
}

static struct vhost_shmem_nl_cursor *
vhost_shmem_nl_cursor(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct vhost_shmem_nl_cursor) > sizeof(cb->ctx));
	return (struct vhost_shmem_nl_cursor *)cb->ctx;
}

static int vhost_shmem_nl_get_start(struct netlink_callback *cb)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);
	struct nlattr **attrs = vhost_shmem_dump_attrs(cb);

	memset(cur, 0, sizeof(*cur));
	if (attrs[VHOST_SHMEM_A_CTX_ID]) {
		cur->has_id = true;
		cur->want_id = nla_get_u32(attrs[VHOST_SHMEM_A_CTX_ID]);
		cur->ctx_id = cur->want_id;
	}
	if (attrs[VHOST_SHMEM_A_CTX_PID]) {
		cur->has_pid = true;
		cur->want_pid = nla_get_u32(attrs[VHOST_SHMEM_A_CTX_PID]);
	}
	if (attrs[VHOST_SHMEM_A_DUMP_FLAGS])
		cur->no_mappings = nla_get_u32(attrs[VHOST_SHMEM_A_DUMP_FLAGS]) &
				   VHOST_SHMEM_DUMP_F_NO_MAPPINGS;
	return 0;
}

/* Starts a dump reply message of command @cmd for context @ctx. */
static void *vhost_shmem_nl_put_hdr(struct sk_buff *skb,
				    struct netlink_callback *cb,
				    struct vhost_shmem_ctx *ctx, u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &vhost_shmem_nl_family, NLM_F_MULTI, cmd);
	if (!hdr)
		return NULL;
	genl_dump_check_consistent(cb, hdr);
	if (cmd != VHOST_SHMEM_CMD_CTX_NEW &&
	    nla_put_u32(skb, VHOST_SHMEM_A_CTX_ID, ctx->id)) {
		genlmsg_cancel(skb, hdr);
		return NULL;
	}
	return hdr;
}

/* Writes the mappings of @region from the cursor on, until @skb is full. */
static int vhost_shmem_nl_dump_mappings(struct sk_buff *skb,
					struct netlink_callback *cb,
					struct vhost_shmem_ctx *ctx,
					struct vhost_shmem_region *region)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);
	struct vhost_shmem_mapping *map;
	unsigned long index = cur->index;
	void *hdr;

	lockdep_assert_held(&ctx->lock);

	mt_for_each(&region->mappings, map, index, ULONG_MAX) {
		cur->index = map->first;
		hdr = vhost_shmem_nl_put_hdr(skb, cb, ctx,
					     VHOST_SHMEM_CMD_MAPPING_NEW);
		if (!hdr)
			return -EMSGSIZE;
		if (nla_put_u8(skb, VHOST_SHMEM_A_REGION_SHMID, region->shmid) ||
		    vhost_shmem_nl_put_mapping(skb, map, true)) {
			genlmsg_cancel(skb, hdr);
			return -EMSGSIZE;
		}
		genlmsg_end(skb, hdr);
	}
	return 0;
}

/* Writes the messages of @ctx from the cursor on, until @skb is full. */
static int vhost_shmem_nl_dump_ctx(struct sk_buff *skb,
				   struct netlink_callback *cb,
				   struct vhost_shmem_ctx *ctx, u32 pid)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);
	struct vhost_shmem_region *region;
	void *hdr;

	lockdep_assert_held(&ctx->lock);

	if (!cur->ctx_done) {
		hdr = vhost_shmem_nl_put_hdr(skb, cb, ctx,
					     VHOST_SHMEM_CMD_CTX_NEW);
		if (!hdr)
			return -EMSGSIZE;
		if (vhost_shmem_nl_put_ctx(skb, ctx, pid) ||
		    vhost_shmem_nl_put_ctx_state(skb, ctx))
			goto err_cancel;
		genlmsg_end(skb, hdr);
		cur->ctx_done = true;
	}

	for (; cur->shmid < VHOST_SHMEM_NR_SHMIDS; cur->shmid++) {
		region = ctx->regions[cur->shmid];
		if (!region)
			continue;
		if (!cur->region_done) {
			hdr = vhost_shmem_nl_put_hdr(skb, cb, ctx,
						     VHOST_SHMEM_CMD_REGION_NEW);
			if (!hdr)
				return -EMSGSIZE;
			if (vhost_shmem_nl_put_region(skb, ctx, region, true))
				goto err_cancel;
			genlmsg_end(skb, hdr);
			cur->region_done = true;
		}

		if (!cur->no_mappings &&
		    vhost_shmem_nl_dump_mappings(skb, cb, ctx, region))
			return -EMSGSIZE;
		cur->region_done = false;
		cur->index = 0;
	}
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int vhost_shmem_nl_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);
	struct pid_namespace *ns = task_active_pid_ns(current);
	bool admin = netlink_capable(cb->skb, CAP_SYS_ADMIN);
	struct pid *self = task_tgid(current);
	struct vhost_shmem_ctx *ctx;
	unsigned long id;
	int ret = 0;
	u32 pid;

	/* Odd, so that the first buffer's value is never the "unset" 0. */
	cb->seq = (atomic_read(&vhost_shmem_nl_gen) << 1) | 1;

	mutex_lock(&vhost_shmem_nl_lock);
	xa_for_each_start(&vhost_shmem_nl_ctxs, id, ctx, cur->ctx_id) {
		if (cur->has_id && id != cur->want_id)
			break;
		pid = pid_nr_ns(ctx->owner, ns);
		if ((!admin && ctx->owner != self) ||
		    (cur->has_pid && pid != cur->want_pid))
			continue;
		if (id != cur->ctx_id) {
			cur->ctx_id = id;
			cur->shmid = 0;
			cur->index = 0;
			cur->ctx_done = false;
			cur->region_done = false;
		}

		down_read(&ctx->lock);
		ret = vhost_shmem_nl_dump_ctx(skb, cb, ctx, pid);
		up_read(&ctx->lock);
		if (ret)
			break;
		/* Done with this one: resume after it. */
		cur->ctx_id = id + 1;
		cur->ctx_done = false;
		cur->shmid = 0;
	}
	mutex_unlock(&vhost_shmem_nl_lock);

	/* A full buffer ends this part of the dump; the next resumes. */
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ?: skb->len;
}

static const struct genl_ops vhost_shmem_nl_ops[] = {
	{
		.cmd = VHOST_SHMEM_CMD_GET,
		.start = vhost_shmem_nl_get_start,
		.dumpit = vhost_shmem_nl_get_dumpit,
		.policy = vhost_shmem_nl_get_policy,
		.maxattr = VHOST_SHMEM_A_MAX,
	},
};

static struct genl_family vhost_shmem_nl_family __ro_after_init = {
	.name = VHOST_SHMEM_GENL_NAME,
	.version = VHOST_SHMEM_GENL_VERSION,
	.maxattr = VHOST_SHMEM_A_MAX,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = vhost_shmem_nl_ops,
	.n_ops = ARRAY_SIZE(vhost_shmem_nl_ops),
	.mcgrps = vhost_shmem_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vhost_shmem_nl_mcgrps),
};

int __init vhost_shmem_nl_init(void)
{
	int ret;

	ret = genl_register_family(&vhost_shmem_nl_family);
	if (ret)
		pr_err("cannot register the generic netlink family: %d\n", ret);
	return ret;
}

void vhost_shmem_nl_exit(void)
{
	genl_unregister_family(&vhost_shmem_nl_family);
}
