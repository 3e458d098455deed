// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-shmem generic netlink family: dumps of what every context maps and a
 * multicast group of events as it changes.
 *
 * Every context is registered here under an id while its file is open.  A
 * dump finds a context under RCU, takes a reference, and reads it under its
 * lock for reading for one message buffer at a time, so that map and unmap
 * wait for at most one buffer's worth of attributes and nothing waits for
 * a dump stuck behind a slow fault.  The dump resumes from a cursor (context
 * id, shmid, page index) that stays meaningful whatever changes between two
 * buffers; a change of the context being described (its generation) or its
 * release is reported through NLM_F_DUMP_INTR.
 *
 * Visibility, decided once when the dump starts: a process sees the
 * contexts it opened; with CAP_SYS_ADMIN it sees every context.  Events
 * show every context, so joining their group needs CAP_SYS_ADMIN.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/pid_namespace.h>
#include <net/genetlink.h>

#include "vhost_shmem_private.h"
#include "compat.h"

/* An upper bound of the size of an event's attributes. */
#define VHOST_SHMEM_NL_EVENT_SIZE \
	(4 * nla_total_size(sizeof(u32)) + nla_total_size(TASK_COMM_LEN) + \
	 10 * nla_total_size_64bit(sizeof(u64)))

/* cb->seq of a dump: whether the context being described changed. */
#define VHOST_SHMEM_NL_SEQ_OK		1
#define VHOST_SHMEM_NL_SEQ_INTR		2

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
	[VHOST_SHMEM_A_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VHOST_SHMEM_A_CTX_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VHOST_SHMEM_A_DUMP_FLAGS] =
		NLA_POLICY_MASK(NLA_U32, VHOST_SHMEM_DUMP_F_NO_MAPPINGS),
};

/**
 * struct vhost_shmem_nl_cursor - a dump's request and where it resumes, in
 *				   cb->ctx
 * @self: the requester's thread group; holds a reference.
 * @want_pid: process asked for, if @has_pid (NULL: no such process); holds
 *	      a reference.
 * @ns: pid namespace of the requester, in which pids are reported; holds a
 *	reference.
 * @index: first page index of @shmid whose mapping is still to describe.
 * @ctx_id: the context being described, or the first one to look at.
 * @want_id: context id asked for, 0 for any.
 * @gen: &vhost_shmem_ctx.gen of @ctx_id when its message was written.
 * @shmid: the region of @ctx_id being described, or the first to look at.
 * @ctx_done: the message of @ctx_id was written.
 * @region_done: the message of region @shmid was written.
 * @no_mappings: %VHOST_SHMEM_DUMP_F_NO_MAPPINGS was asked for.
 * @has_pid: only contexts of process @want_pid are described.
 * @admin: the requester has CAP_SYS_ADMIN: every context is visible.
 * @intr: a context changed or went away while it was being described.
 */
struct vhost_shmem_nl_cursor {
	struct pid *self;
	struct pid *want_pid;
	struct pid_namespace *ns;
	unsigned long index;
	u32 ctx_id;
	u32 want_id;
	u32 gen;
	u16 shmid;
	u8 ctx_done:1;
	u8 region_done:1;
	u8 no_mappings:1;
	u8 has_pid:1;
	u8 admin:1;
	u8 intr:1;
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

	if (nla_put_u32(skb, VHOST_SHMEM_A_REGION_SHMID, region->shmid))
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
 * A listener that misses an event for lack of memory gets -ENOBUFS on its
 * socket.  Events of a context that was never registered are not sent.
 *
 * Context: process context; @ctx->lock held for writing, so that the
 * events of a context are sent in the order of its changes; for
 * %VHOST_SHMEM_CMD_CTX_NEW and %VHOST_SHMEM_CMD_CTX_DEL, no lock held, as
 * they come before any change or after the last and read only the
 * constant fields of @ctx.
 */
void vhost_shmem_nl_event(struct vhost_shmem_ctx *ctx, u8 cmd,
			  struct vhost_shmem_region *region,
			  struct vhost_shmem_mapping *map)
{
	bool full = cmd != VHOST_SHMEM_CMD_MAPPING_DEL &&
		    cmd != VHOST_SHMEM_CMD_REGION_DEL;
	struct sk_buff *skb;
	void *hdr;

	if (cmd != VHOST_SHMEM_CMD_CTX_NEW && cmd != VHOST_SHMEM_CMD_CTX_DEL) {
		lockdep_assert_held_write(&ctx->lock);
		ctx->gen++;
	}
	/* Nobody can know a context that was never registered. */
	if (!ctx->id)
		return;
	if (!genl_has_listeners(&vhost_shmem_nl_family, &init_net,
				VHOST_SHMEM_NLGRP_EVENTS))
		return;

	skb = genlmsg_new(VHOST_SHMEM_NL_EVENT_SIZE, GFP_KERNEL);
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

static struct vhost_shmem_nl_cursor *
vhost_shmem_nl_cursor(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct vhost_shmem_nl_cursor) > sizeof(cb->ctx));
	return (struct vhost_shmem_nl_cursor *)cb->ctx;
}

/*
 * Runs in the requester's context: who it is and what it may see are
 * decided here, not by whoever reads the later parts of the dump.
 */
static int vhost_shmem_nl_get_start(struct netlink_callback *cb)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);
	struct nlattr **attrs = vhost_shmem_dump_attrs(cb);

	memset(cur, 0, sizeof(*cur));
	cur->self = get_pid(task_tgid(current));
	cur->ns = get_pid_ns(task_active_pid_ns(current));
	cur->admin = netlink_capable(cb->skb, CAP_SYS_ADMIN);
	if (attrs[VHOST_SHMEM_A_CTX_ID]) {
		cur->want_id = nla_get_u32(attrs[VHOST_SHMEM_A_CTX_ID]);
		cur->ctx_id = cur->want_id;
	}
	if (attrs[VHOST_SHMEM_A_CTX_PID]) {
		cur->has_pid = true;
		cur->want_pid =
			find_get_pid(nla_get_u32(attrs[VHOST_SHMEM_A_CTX_PID]));
	}
	if (attrs[VHOST_SHMEM_A_DUMP_FLAGS])
		cur->no_mappings = !!(nla_get_u32(attrs[VHOST_SHMEM_A_DUMP_FLAGS]) &
				      VHOST_SHMEM_DUMP_F_NO_MAPPINGS);
	return 0;
}

static int vhost_shmem_nl_get_done(struct netlink_callback *cb)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);

	put_pid(cur->self);
	put_pid(cur->want_pid);
	put_pid_ns(cur->ns);
	return 0;
}

/* What the dump reports from now on: the view may mix states. */
static void vhost_shmem_nl_interrupted(struct netlink_callback *cb)
{
	vhost_shmem_nl_cursor(cb)->intr = true;
	cb->seq = VHOST_SHMEM_NL_SEQ_INTR;
}

/* Moves the cursor to the start of context @id. */
static void vhost_shmem_nl_cursor_move(struct vhost_shmem_nl_cursor *cur,
				       u32 id)
{
	cur->ctx_id = id;
	cur->ctx_done = false;
	cur->shmid = 0;
	cur->region_done = false;
	cur->index = 0;
}

static bool vhost_shmem_nl_visible(struct vhost_shmem_nl_cursor *cur,
				   struct vhost_shmem_ctx *ctx)
{
	if (!cur->admin && ctx->owner != cur->self)
		return false;
	return !cur->has_pid || ctx->owner == cur->want_pid;
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

	while ((map = vhost_shmem_mapping_next(ctx, region, &index))) {
		cur->index = map->first;
		hdr = vhost_shmem_nl_put_hdr(skb, cb, ctx,
					     VHOST_SHMEM_CMD_MAPPING_NEW);
		if (!hdr)
			return -EMSGSIZE;
		if (nla_put_u32(skb, VHOST_SHMEM_A_REGION_SHMID, region->shmid) ||
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
				   struct vhost_shmem_ctx *ctx)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);
	struct vhost_shmem_region *region;
	unsigned int shmid;
	void *hdr;

	lockdep_assert_held(&ctx->lock);

	if (!cur->ctx_done) {
		hdr = vhost_shmem_nl_put_hdr(skb, cb, ctx,
					     VHOST_SHMEM_CMD_CTX_NEW);
		if (!hdr)
			return -EMSGSIZE;
		if (vhost_shmem_nl_put_ctx(skb, ctx,
					   pid_nr_ns(ctx->owner, cur->ns)) ||
		    vhost_shmem_nl_put_ctx_state(skb, ctx))
			goto err_cancel;
		genlmsg_end(skb, hdr);
		cur->ctx_done = true;
		cur->gen = ctx->gen;
	} else if (cur->gen != ctx->gen) {
		/* Changed between two parts: the cursor still holds. */
		vhost_shmem_nl_interrupted(cb);
		cur->gen = ctx->gen;
	}

	/* Each region starts with its header and its first mapping. */
	for (shmid = cur->shmid; (region = vhost_shmem_region_next(ctx, &shmid));
	     shmid++) {
		if (shmid != cur->shmid) {
			cur->shmid = shmid;
			cur->region_done = false;
			cur->index = 0;
		}
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
	struct vhost_shmem_ctx *ctx;
	unsigned long id = cur->ctx_id;
	int ret = 0;

	cb->seq = cur->intr ? VHOST_SHMEM_NL_SEQ_INTR : VHOST_SHMEM_NL_SEQ_OK;

	for (; (ctx = vhost_shmem_ctx_get_next(&id)); id++) {
		if ((cur->want_id && id != cur->want_id) ||
		    !vhost_shmem_nl_visible(cur, ctx)) {
			vhost_shmem_ctx_put(ctx);
			if (cur->want_id)
				break;
			continue;
		}
		if (id != cur->ctx_id) {
			/* The context being described went away. */
			if (cur->ctx_done)
				vhost_shmem_nl_interrupted(cb);
			vhost_shmem_nl_cursor_move(cur, id);
		}

		ret = down_read_killable(&ctx->lock);
		if (!ret) {
			if (ctx->dead) {
				if (cur->ctx_done)
					vhost_shmem_nl_interrupted(cb);
			} else {
				ret = vhost_shmem_nl_dump_ctx(skb, cb, ctx);
			}
			up_read(&ctx->lock);
		}
		vhost_shmem_ctx_put(ctx);
		if (ret)
			break;
		vhost_shmem_nl_cursor_move(cur, id + 1);
	}

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
		.done = vhost_shmem_nl_get_done,
		.policy = vhost_shmem_nl_get_policy,
		.maxattr = VHOST_SHMEM_A_MAX,
	},
};

static struct genl_family vhost_shmem_nl_family __ro_after_init = {
	.name = VHOST_SHMEM_GENL_NAME,
	.version = VHOST_SHMEM_GENL_VERSION,
	.maxattr = VHOST_SHMEM_A_MAX,
	/*
	 * Dumps work from any network namespace, with the same visibility;
	 * events are sent in the initial one only.
	 */
	.netnsok = true,
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
