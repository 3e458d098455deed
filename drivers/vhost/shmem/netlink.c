// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-shmem generic netlink family: what every context maps, and a
 * multicast group of events as it changes.  The family, its policies and
 * its operations are generated from Documentation/netlink/specs/
 * vhost_shmem.yaml into netlink-gen.c; the handlers are here.
 *
 * Every context is registered here under an id while its file is open.  A
 * dump finds a context under RCU, takes a reference, and reads it under its
 * lock for reading for one message buffer at a time, so that map and unmap
 * wait for at most one buffer's worth of attributes and nothing waits for
 * a dump stuck behind a slow fault.  The dump resumes from a cursor (context
 * id, shmid, page index) that stays meaningful whatever changes between two
 * buffers; a change of the context being described (its generation) or its
 * release is reported through NLM_F_DUMP_INTR.  A do request takes the
 * same lock for its one message.
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
#include "netlink-gen.h"

/* An upper bound of the size of an event's attributes. */
#define VHOST_SHMEM_NL_EVENT_SIZE \
	(4 * nla_total_size(sizeof(u32)) + nla_total_size(TASK_COMM_LEN) + \
	 10 * nla_total_size(sizeof(u64)))

/* cb->seq of a dump: whether the context being described changed. */
#define VHOST_SHMEM_NL_SEQ_OK		1
#define VHOST_SHMEM_NL_SEQ_INTR		2

/*
 * The group of the generated family, with what the spec cannot say:
 * events show every context, so joining needs CAP_SYS_ADMIN.
 */
static const struct genl_multicast_group vhost_shmem_nl_admin_mcgrps[] = {
	[VHOST_SHMEM_NLGRP_EVENTS] = {
		.name = VHOST_SHMEM_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_SYS_ADMIN,
	},
};

/**
 * struct vhost_shmem_nl_cursor - a dump's request and where it resumes, in
 *				   cb->ctx
 * @self: the requester's thread group; holds a reference.
 * @ns: pid namespace of the requester, in which pids are reported; holds a
 *	reference.
 * @index: first page index of region @shmid whose mapping is still to
 *	   describe.
 * @want_index: page index of the mapping asked for, if @has_index.
 * @ctx_id: the context being described, or the first one to look at.
 * @want_id: context id asked for, 0 for any.
 * @gen: &vhost_shmem_ctx.gen of @ctx_id when its first message was written.
 * @shmid: the region of @ctx_id being described, or the first to look at.
 * @want_shmid: shmid asked for, if @has_shmid.
 * @cmd: the dump's command: what it describes.
 * @started: a message of @ctx_id was written.
 * @has_shmid: only region @want_shmid of a context is described.
 * @has_index: only the mapping starting at page @want_index is described.
 * @admin: the requester has CAP_SYS_ADMIN: every context is visible.
 * @intr: a context changed or went away while it was being described.
 */
struct vhost_shmem_nl_cursor {
	struct pid *self;
	struct pid_namespace *ns;
	unsigned long index;
	unsigned long want_index;
	u32 ctx_id;
	u32 want_id;
	u32 gen;
	u16 shmid;
	u8 want_shmid;
	u8 cmd:2;
	u8 started:1;
	u8 has_shmid:1;
	u8 has_index:1;
	u8 admin:1;
	u8 intr:1;
};

static int vhost_shmem_nl_put_ctx(struct sk_buff *skb,
				  struct vhost_shmem_ctx *ctx, u32 pid)
{
	if (nla_put_u32(skb, VHOST_SHMEM_A_CTX_ID, ctx->id) ||
	    nla_put_u32(skb, VHOST_SHMEM_A_CTX_PID, pid) ||
	    nla_put_string(skb, VHOST_SHMEM_A_CTX_COMM, ctx->comm) ||
	    nla_put_uint(skb, VHOST_SHMEM_A_CTX_CREATED, ctx->created))
		return -EMSGSIZE;
	return 0;
}

/* What a reply adds to vhost_shmem_nl_put_ctx(): the current state. */
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
	for (attr = VHOST_SHMEM_STAT_FIRST; attr <= VHOST_SHMEM_A_STATS_MAX;
	     attr++) {
		if (nla_put_uint(skb, attr, vhost_shmem_stat_read(ctx, attr))) {
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

	if (nla_put_u32(skb, VHOST_SHMEM_A_REGION_CTX_ID, ctx->id) ||
	    nla_put_u32(skb, VHOST_SHMEM_A_REGION_SHMID, region->shmid))
		return -EMSGSIZE;
	if (!full)
		return 0;

	vhost_shmem_region_usage(ctx, region, &mapped, &resident);
	if (nla_put_uint(skb, VHOST_SHMEM_A_REGION_LENGTH,
			 (u64)region->npages << PAGE_SHIFT) ||
	    nla_put_u32(skb, VHOST_SHMEM_A_REGION_NR_MAPPINGS,
			region->nr_mappings) ||
	    nla_put_uint(skb, VHOST_SHMEM_A_REGION_MAPPED, mapped) ||
	    nla_put_uint(skb, VHOST_SHMEM_A_REGION_RESIDENT, resident) ||
	    nla_put_uint(skb, VHOST_SHMEM_A_REGION_PINNED,
			 vhost_shmem_region_pinned(ctx, region)))
		return -EMSGSIZE;
	return 0;
}

static int vhost_shmem_nl_put_mapping(struct sk_buff *skb,
				      struct vhost_shmem_ctx *ctx,
				      struct vhost_shmem_region *region,
				      struct vhost_shmem_mapping *map,
				      bool full)
{
	struct inode *inode = file_inode(map->file);

	if (nla_put_u32(skb, VHOST_SHMEM_A_MAPPING_CTX_ID, ctx->id) ||
	    nla_put_u32(skb, VHOST_SHMEM_A_MAPPING_SHMID, region->shmid) ||
	    nla_put_uint(skb, VHOST_SHMEM_A_MAPPING_SHM_OFFSET,
			 (u64)map->first << PAGE_SHIFT) ||
	    nla_put_uint(skb, VHOST_SHMEM_A_MAPPING_LEN,
			 (u64)map->npages << PAGE_SHIFT))
		return -EMSGSIZE;
	if (!full)
		return 0;

	if (nla_put_u32(skb, VHOST_SHMEM_A_MAPPING_FLAGS,
			map->writable ? VHOST_SHMEM_MAP_F_RW : 0) ||
	    nla_put_uint(skb, VHOST_SHMEM_A_MAPPING_FD_OFFSET,
			 (u64)map->pgoff << PAGE_SHIFT) ||
	    nla_put_uint(skb, VHOST_SHMEM_A_MAPPING_DEV,
			 huge_encode_dev(inode->i_sb->s_dev)) ||
	    nla_put_uint(skb, VHOST_SHMEM_A_MAPPING_INO, inode->i_ino) ||
	    nla_put_uint(skb, VHOST_SHMEM_A_MAPPING_RESIDENT,
			 (u64)atomic_long_read(&map->nr_resident) << PAGE_SHIFT))
		return -EMSGSIZE;
	return 0;
}

/**
 * vhost_shmem_nl_event() - announce a change of a context
 * @ctx: the context.
 * @cmd: what happened, a VHOST_SHMEM_CMD_*_NTF notification.
 * @region: the region the event is about, or NULL.
 * @map: the mapping the event is about, or NULL.
 *
 * A listener that misses an event for lack of memory gets -ENOBUFS on its
 * socket.  Events of a context that was never registered are not sent.
 *
 * Context: process context; @ctx->lock held for writing, so that the
 * events of a context are sent in the order of its changes; for
 * %VHOST_SHMEM_CMD_CTX_ADD_NTF and %VHOST_SHMEM_CMD_CTX_DEL_NTF, no lock
 * held, as they come before any change or after the last and read only the
 * constant fields of @ctx.
 */
void vhost_shmem_nl_event(struct vhost_shmem_ctx *ctx, u8 cmd,
			  struct vhost_shmem_region *region,
			  struct vhost_shmem_mapping *map)
{
	bool ctx_event = cmd == VHOST_SHMEM_CMD_CTX_ADD_NTF ||
			 cmd == VHOST_SHMEM_CMD_CTX_DEL_NTF;
	struct sk_buff *skb;
	void *hdr;
	int ret;

	if (!ctx_event) {
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

	switch (cmd) {
	case VHOST_SHMEM_CMD_CTX_ADD_NTF:
	case VHOST_SHMEM_CMD_CTX_DEL_NTF:
		ret = vhost_shmem_nl_put_ctx(skb, ctx, pid_nr(ctx->owner));
		break;
	case VHOST_SHMEM_CMD_REGION_ADD_NTF:
	case VHOST_SHMEM_CMD_REGION_DEL_NTF:
		ret = vhost_shmem_nl_put_region(skb, ctx, region,
						cmd == VHOST_SHMEM_CMD_REGION_ADD_NTF);
		break;
	case VHOST_SHMEM_CMD_MAPPING_ADD_NTF:
	case VHOST_SHMEM_CMD_MAPPING_DEL_NTF:
		ret = vhost_shmem_nl_put_mapping(skb, ctx, region, map,
						 cmd == VHOST_SHMEM_CMD_MAPPING_ADD_NTF);
		break;
	default:
		ret = nla_put_u32(skb, VHOST_SHMEM_A_CTX_ID, ctx->id);
		break;
	}
	if (ret)
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

static bool vhost_shmem_nl_may_see(struct vhost_shmem_ctx *ctx,
				   struct pid *self, bool admin)
{
	return admin || ctx->owner == self;
}

/*
 * The context @id that the requester of @skb may see, with a reference and
 * its lock held for reading, or an error pointer: -ENOENT when there is no
 * such context or the requester may not see it (the same answer, so that
 * the ids of other processes' contexts stay unknown).
 */
static struct vhost_shmem_ctx *
vhost_shmem_nl_ctx_lock(struct sk_buff *skb, u32 id)
{
	struct vhost_shmem_ctx *ctx;
	unsigned long found = id;
	int ret;

	ctx = vhost_shmem_ctx_get_next(&found);
	if (!ctx)
		return ERR_PTR(-ENOENT);
	if (found != id ||
	    !vhost_shmem_nl_may_see(ctx, task_tgid(current),
				    netlink_capable(skb, CAP_SYS_ADMIN))) {
		ret = -ENOENT;
		goto err_put;
	}
	ret = down_read_killable(&ctx->lock);
	if (ret)
		goto err_put;
	if (ctx->dead) {
		up_read(&ctx->lock);
		ret = -ENOENT;
		goto err_put;
	}
	return ctx;

err_put:
	vhost_shmem_ctx_put(ctx);
	return ERR_PTR(ret);
}

static void vhost_shmem_nl_ctx_unlock(struct vhost_shmem_ctx *ctx)
{
	up_read(&ctx->lock);
	vhost_shmem_ctx_put(ctx);
}

/* Region @shmid of context @ctx, or NULL. */
static struct vhost_shmem_region *
vhost_shmem_nl_region_find(struct vhost_shmem_ctx *ctx, u32 shmid)
{
	unsigned int found = shmid;
	struct vhost_shmem_region *region;

	region = vhost_shmem_region_next(ctx, &found);
	return region && found == shmid ? region : NULL;
}

/* Sends the reply of a do request, written by @fill. */
static int vhost_shmem_nl_reply(struct genl_info *info,
				int (*fill)(struct sk_buff *skb, void *arg),
				void *arg)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vhost_shmem_nl_family, 0,
				info->genlhdr->cmd);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err_free;
	}
	ret = fill(msg, arg);
	if (ret)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return ret;
}

static int vhost_shmem_nl_fill_ctx(struct sk_buff *skb, void *arg)
{
	struct vhost_shmem_ctx *ctx = arg;

	return vhost_shmem_nl_put_ctx(skb, ctx,
				      pid_nr_ns(ctx->owner,
						task_active_pid_ns(current))) ?:
	       vhost_shmem_nl_put_ctx_state(skb, ctx);
}

int vhost_shmem_nl_ctx_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vhost_shmem_ctx *ctx;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VHOST_SHMEM_A_CTX_ID))
		return -EINVAL;
	ctx = vhost_shmem_nl_ctx_lock(skb,
				      nla_get_u32(info->attrs[VHOST_SHMEM_A_CTX_ID]));
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	ret = vhost_shmem_nl_reply(info, vhost_shmem_nl_fill_ctx, ctx);
	vhost_shmem_nl_ctx_unlock(ctx);
	return ret;
}

struct vhost_shmem_nl_fill_arg {
	struct vhost_shmem_ctx *ctx;
	struct vhost_shmem_region *region;
	struct vhost_shmem_mapping *map;
};

static int vhost_shmem_nl_fill_region(struct sk_buff *skb, void *arg)
{
	struct vhost_shmem_nl_fill_arg *a = arg;

	return vhost_shmem_nl_put_region(skb, a->ctx, a->region, true);
}

int vhost_shmem_nl_region_get_doit(struct sk_buff *skb,
				   struct genl_info *info)
{
	struct vhost_shmem_nl_fill_arg a = {};
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VHOST_SHMEM_A_REGION_CTX_ID) ||
	    GENL_REQ_ATTR_CHECK(info, VHOST_SHMEM_A_REGION_SHMID))
		return -EINVAL;
	a.ctx = vhost_shmem_nl_ctx_lock(skb,
					nla_get_u32(info->attrs[VHOST_SHMEM_A_REGION_CTX_ID]));
	if (IS_ERR(a.ctx))
		return PTR_ERR(a.ctx);
	a.region = vhost_shmem_nl_region_find(a.ctx,
					      nla_get_u32(info->attrs[VHOST_SHMEM_A_REGION_SHMID]));
	if (a.region) {
		ret = vhost_shmem_nl_reply(info, vhost_shmem_nl_fill_region, &a);
	} else {
		NL_SET_BAD_ATTR(info->extack,
				info->attrs[VHOST_SHMEM_A_REGION_SHMID]);
		ret = -ENOENT;
	}
	vhost_shmem_nl_ctx_unlock(a.ctx);
	return ret;
}

static int vhost_shmem_nl_fill_mapping(struct sk_buff *skb, void *arg)
{
	struct vhost_shmem_nl_fill_arg *a = arg;

	return vhost_shmem_nl_put_mapping(skb, a->ctx, a->region, a->map, true);
}

/*
 * A uint request attribute: 4 or 8 bytes, as the policy of a kernel with
 * NLA_UINT (6.7) checks; older kernels' compat policy lets any length
 * through.  Returns -EINVAL, pointing at the attribute, for another.
 */
static int vhost_shmem_nl_uint(const struct nlattr *nla,
			       struct netlink_ext_ack *extack, u64 *val)
{
	if (nla_len(nla) != sizeof(u32) && nla_len(nla) != sizeof(u64)) {
		NL_SET_ERR_MSG_ATTR(extack, nla, "uint attribute of 4 or 8 bytes expected");
		return -EINVAL;
	}
	*val = nla_get_uint(nla);
	return 0;
}

int vhost_shmem_nl_mapping_get_doit(struct sk_buff *skb,
				    struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct vhost_shmem_nl_fill_arg a = {};
	unsigned long index;
	u64 offset;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VHOST_SHMEM_A_MAPPING_CTX_ID) ||
	    GENL_REQ_ATTR_CHECK(info, VHOST_SHMEM_A_MAPPING_SHMID) ||
	    GENL_REQ_ATTR_CHECK(info, VHOST_SHMEM_A_MAPPING_SHM_OFFSET))
		return -EINVAL;
	ret = vhost_shmem_nl_uint(attrs[VHOST_SHMEM_A_MAPPING_SHM_OFFSET],
				  info->extack, &offset);
	if (ret)
		return ret;
	a.ctx = vhost_shmem_nl_ctx_lock(skb,
					nla_get_u32(attrs[VHOST_SHMEM_A_MAPPING_CTX_ID]));
	if (IS_ERR(a.ctx))
		return PTR_ERR(a.ctx);
	a.region = vhost_shmem_nl_region_find(a.ctx,
					      nla_get_u32(attrs[VHOST_SHMEM_A_MAPPING_SHMID]));
	if (!a.region) {
		NL_SET_BAD_ATTR(info->extack, attrs[VHOST_SHMEM_A_MAPPING_SHMID]);
		ret = -ENOENT;
		goto out;
	}
	index = offset >> PAGE_SHIFT;
	if (PAGE_ALIGNED(offset))
		a.map = vhost_shmem_mapping_next(a.ctx, a.region, &index);
	if (!a.map || (u64)a.map->first << PAGE_SHIFT != offset) {
		NL_SET_BAD_ATTR(info->extack,
				attrs[VHOST_SHMEM_A_MAPPING_SHM_OFFSET]);
		ret = -ENOENT;
		goto out;
	}
	ret = vhost_shmem_nl_reply(info, vhost_shmem_nl_fill_mapping, &a);
out:
	vhost_shmem_nl_ctx_unlock(a.ctx);
	return ret;
}

static struct vhost_shmem_nl_cursor *
vhost_shmem_nl_cursor(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct vhost_shmem_nl_cursor) > sizeof(cb->ctx));
	return (struct vhost_shmem_nl_cursor *)cb->ctx;
}

/* Which of the three dumps @cb is: 0 context, 1 region, 2 mapping. */
enum {
	VHOST_SHMEM_NL_DUMP_CTX,
	VHOST_SHMEM_NL_DUMP_REGION,
	VHOST_SHMEM_NL_DUMP_MAPPING,
};

/*
 * Runs in the requester's context: who it is and what it may see are
 * decided here, not by whoever reads the later parts of the dump.  The
 * filters are the attributes of the do request, by dump.
 */
int vhost_shmem_nl_dump_start(struct netlink_callback *cb)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);
	const struct genlmsghdr *ghdr = nlmsg_data(cb->nlh);
	struct nlattr **attrs = vhost_shmem_dump_attrs(cb);
	struct nlattr *id = NULL, *shmid = NULL, *offset = NULL;

	memset(cur, 0, sizeof(*cur));
	switch (ghdr->cmd) {
	case VHOST_SHMEM_CMD_CTX_GET:
		cur->cmd = VHOST_SHMEM_NL_DUMP_CTX;
		id = attrs[VHOST_SHMEM_A_CTX_ID];
		break;
	case VHOST_SHMEM_CMD_REGION_GET:
		cur->cmd = VHOST_SHMEM_NL_DUMP_REGION;
		id = attrs[VHOST_SHMEM_A_REGION_CTX_ID];
		shmid = attrs[VHOST_SHMEM_A_REGION_SHMID];
		break;
	case VHOST_SHMEM_CMD_MAPPING_GET:
		cur->cmd = VHOST_SHMEM_NL_DUMP_MAPPING;
		id = attrs[VHOST_SHMEM_A_MAPPING_CTX_ID];
		shmid = attrs[VHOST_SHMEM_A_MAPPING_SHMID];
		offset = attrs[VHOST_SHMEM_A_MAPPING_SHM_OFFSET];
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (id) {
		cur->want_id = nla_get_u32(id);
		cur->ctx_id = cur->want_id;
	}
	if (shmid) {
		cur->has_shmid = true;
		cur->want_shmid = nla_get_u32(shmid);
		cur->shmid = cur->want_shmid;
	}
	if (offset) {
		u64 off;
		int ret = vhost_shmem_nl_uint(offset, cb->extack, &off);

		if (ret)
			return ret;
		/* No mapping starts at an unaligned offset. */
		if (!PAGE_ALIGNED(off))
			off = ULLONG_MAX & PAGE_MASK;
		cur->has_index = true;
		cur->want_index = off >> PAGE_SHIFT;
		cur->index = cur->want_index;
	}
	cur->self = get_pid(task_tgid(current));
	cur->ns = get_pid_ns(task_active_pid_ns(current));
	cur->admin = netlink_capable(cb->skb, CAP_SYS_ADMIN);
	return 0;
}

int vhost_shmem_nl_dump_done(struct netlink_callback *cb)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);

	put_pid(cur->self);
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
	cur->started = false;
	cur->shmid = cur->has_shmid ? cur->want_shmid : 0;
	cur->index = cur->has_index ? cur->want_index : 0;
}

/*
 * Starts a dump reply message for context @ctx, of the dump's command: a
 * request and its replies share their command.
 */
static void *vhost_shmem_nl_put_hdr(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	const struct genlmsghdr *ghdr = nlmsg_data(cb->nlh);
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &vhost_shmem_nl_family, NLM_F_MULTI, ghdr->cmd);
	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

/* Ends a dump reply message started by vhost_shmem_nl_put_hdr(). */
static int vhost_shmem_nl_end(struct sk_buff *skb, struct netlink_callback *cb,
			      void *hdr, int ret)
{
	if (ret) {
		genlmsg_cancel(skb, hdr);
		return ret;
	}
	genlmsg_end(skb, hdr);
	vhost_shmem_nl_cursor(cb)->started = true;
	return 0;
}

static int vhost_shmem_nl_dump_one_ctx(struct sk_buff *skb,
				       struct netlink_callback *cb,
				       struct vhost_shmem_ctx *ctx)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);
	void *hdr;

	hdr = vhost_shmem_nl_put_hdr(skb, cb);
	if (!hdr)
		return -EMSGSIZE;
	return vhost_shmem_nl_end(skb, cb, hdr,
				  vhost_shmem_nl_put_ctx(skb, ctx,
							 pid_nr_ns(ctx->owner, cur->ns)) ?:
				  vhost_shmem_nl_put_ctx_state(skb, ctx));
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
	int ret;

	while ((map = vhost_shmem_mapping_next(ctx, region, &index))) {
		if (cur->has_index && map->first != cur->want_index)
			break;
		cur->index = map->first;
		hdr = vhost_shmem_nl_put_hdr(skb, cb);
		if (!hdr)
			return -EMSGSIZE;
		ret = vhost_shmem_nl_end(skb, cb, hdr,
					 vhost_shmem_nl_put_mapping(skb, ctx, region,
								    map, true));
		if (ret)
			return ret;
		if (cur->has_index)
			break;
	}
	return 0;
}

/*
 * Writes the regions of @ctx, or their mappings, from the cursor on, until
 * @skb is full.
 */
static int vhost_shmem_nl_dump_regions(struct sk_buff *skb,
				       struct netlink_callback *cb,
				       struct vhost_shmem_ctx *ctx)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);
	struct vhost_shmem_region *region;
	unsigned int shmid;
	void *hdr;
	int ret;

	for (shmid = cur->shmid; (region = vhost_shmem_region_next(ctx, &shmid));
	     shmid++) {
		if (cur->has_shmid && shmid != cur->want_shmid)
			break;
		if (shmid != cur->shmid) {
			cur->shmid = shmid;
			cur->index = cur->has_index ? cur->want_index : 0;
		}
		if (cur->cmd == VHOST_SHMEM_NL_DUMP_MAPPING) {
			ret = vhost_shmem_nl_dump_mappings(skb, cb, ctx, region);
		} else {
			hdr = vhost_shmem_nl_put_hdr(skb, cb);
			if (!hdr)
				return -EMSGSIZE;
			ret = vhost_shmem_nl_end(skb, cb, hdr,
						 vhost_shmem_nl_put_region(skb, ctx,
									   region,
									   true));
		}
		if (ret)
			return ret;
		if (cur->has_shmid)
			break;
	}
	return 0;
}

/* Writes the messages of @ctx from the cursor on, until @skb is full. */
static int vhost_shmem_nl_dump_ctx(struct sk_buff *skb,
				   struct netlink_callback *cb,
				   struct vhost_shmem_ctx *ctx)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);

	lockdep_assert_held(&ctx->lock);

	if (!cur->started) {
		cur->gen = ctx->gen;
	} else if (cur->gen != ctx->gen) {
		/* Changed between two parts: the cursor still holds. */
		vhost_shmem_nl_interrupted(cb);
		cur->gen = ctx->gen;
	}
	if (cur->cmd == VHOST_SHMEM_NL_DUMP_CTX)
		return vhost_shmem_nl_dump_one_ctx(skb, cb, ctx);
	return vhost_shmem_nl_dump_regions(skb, cb, ctx);
}

static int vhost_shmem_nl_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct vhost_shmem_nl_cursor *cur = vhost_shmem_nl_cursor(cb);
	struct vhost_shmem_ctx *ctx;
	unsigned long id = cur->ctx_id;
	int ret = 0;

	cb->seq = cur->intr ? VHOST_SHMEM_NL_SEQ_INTR : VHOST_SHMEM_NL_SEQ_OK;

	for (; (ctx = vhost_shmem_ctx_get_next(&id)); id++) {
		if ((cur->want_id && id != cur->want_id) ||
		    !vhost_shmem_nl_may_see(ctx, cur->self, cur->admin)) {
			vhost_shmem_ctx_put(ctx);
			if (cur->want_id)
				break;
			continue;
		}
		if (id != cur->ctx_id) {
			/* The context being described went away. */
			if (cur->started)
				vhost_shmem_nl_interrupted(cb);
			vhost_shmem_nl_cursor_move(cur, id);
		}

		ret = down_read_killable(&ctx->lock);
		if (!ret) {
			if (ctx->dead) {
				if (cur->started)
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

int vhost_shmem_nl_ctx_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	return vhost_shmem_nl_dumpit(skb, cb);
}

int vhost_shmem_nl_region_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	return vhost_shmem_nl_dumpit(skb, cb);
}

int vhost_shmem_nl_mapping_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb)
{
	return vhost_shmem_nl_dumpit(skb, cb);
}

int __init vhost_shmem_nl_init(void)
{
	int ret;

	/*
	 * The family is generated (netlink-gen.c) and written only until
	 * the module's init is done: the spec has no way to ask for
	 * CAP_SYS_ADMIN to join a group.
	 */
	BUILD_BUG_ON(ARRAY_SIZE(vhost_shmem_nl_admin_mcgrps) != 1);
	vhost_shmem_nl_family.mcgrps = vhost_shmem_nl_admin_mcgrps;
	ret = vhost_shmem_genl_register_family(&vhost_shmem_nl_family);
	if (ret)
		pr_err("cannot register the generic netlink family: %d\n", ret);
	return ret;
}

void vhost_shmem_nl_exit(void)
{
	genl_unregister_family(&vhost_shmem_nl_family);
}
