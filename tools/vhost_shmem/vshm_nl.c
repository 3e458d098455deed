// SPDX-License-Identifier: GPL-2.0
/*
 * vshm_nl: a client of the vhost_shmem generic netlink family, on libnl-3.
 * See vshm_nl.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "vshm_nl.h"

struct vshm_nl {
	struct nl_sock *sk;
	int family;
};

/*
 * What the callbacks of one exchange with the kernel share.  After an
 * error or a stop, the rest of the answer is read and dropped, so that the
 * next exchange on the socket starts clean.
 */
struct vshm_nl_xfer {
	vshm_nl_cb cb;
	void *arg;
	bool done;
	bool intr;
	int err;	/* the kernel's error, or a parse error */
	int stop;	/* what @cb returned to stop */
};

static struct nla_policy vshm_nl_policy[VHOST_SHMEM_A_MAX + 1] = {
	[VHOST_SHMEM_A_CTX_ID] = { .type = NLA_U32 },
	[VHOST_SHMEM_A_CTX_PID] = { .type = NLA_U32 },
	[VHOST_SHMEM_A_CTX_COMM] = { .type = NLA_STRING },
	[VHOST_SHMEM_A_CTX_CREATED] = { .type = NLA_U64 },
	[VHOST_SHMEM_A_CTX_NR_REGIONS] = { .type = NLA_U32 },
	[VHOST_SHMEM_A_CTX_STATS] = { .type = NLA_NESTED },
	[VHOST_SHMEM_A_REGION_SHMID] = { .type = NLA_U32 },
	[VHOST_SHMEM_A_REGION_SIZE] = { .type = NLA_U64 },
	[VHOST_SHMEM_A_REGION_NR_MAPPINGS] = { .type = NLA_U32 },
	[VHOST_SHMEM_A_REGION_MAPPED] = { .type = NLA_U64 },
	[VHOST_SHMEM_A_REGION_RESIDENT] = { .type = NLA_U64 },
	[VHOST_SHMEM_A_MAPPING_SHM_OFFSET] = { .type = NLA_U64 },
	[VHOST_SHMEM_A_MAPPING_LEN] = { .type = NLA_U64 },
	[VHOST_SHMEM_A_MAPPING_FLAGS] = { .type = NLA_U64 },
	[VHOST_SHMEM_A_MAPPING_FD_OFFSET] = { .type = NLA_U64 },
	[VHOST_SHMEM_A_MAPPING_DEV] = { .type = NLA_U64 },
	[VHOST_SHMEM_A_MAPPING_INO] = { .type = NLA_U64 },
	[VHOST_SHMEM_A_MAPPING_RESIDENT] = { .type = NLA_U64 },
};

static const char * const vshm_nl_cmd_names[] = {
	[VHOST_SHMEM_CMD_GET] = "get",
	[VHOST_SHMEM_CMD_CTX_NEW] = "ctx-new",
	[VHOST_SHMEM_CMD_CTX_DEL] = "ctx-del",
	[VHOST_SHMEM_CMD_REGION_NEW] = "region-new",
	[VHOST_SHMEM_CMD_REGION_DEL] = "region-del",
	[VHOST_SHMEM_CMD_MAPPING_NEW] = "map",
	[VHOST_SHMEM_CMD_MAPPING_DEL] = "unmap",
	[VHOST_SHMEM_CMD_CTX_RESET] = "reset",
};

static const char * const vshm_nl_stat_names[] = {
	[VHOST_SHMEM_A_STAT_REGION_CREATES] = "region_creates",
	[VHOST_SHMEM_A_STAT_REGION_DESTROYS] = "region_destroys",
	[VHOST_SHMEM_A_STAT_MAPS] = "maps",
	[VHOST_SHMEM_A_STAT_UNMAPS] = "unmaps",
	[VHOST_SHMEM_A_STAT_RESETS] = "resets",
	[VHOST_SHMEM_A_STAT_FAULTS] = "faults",
};

const char *vshm_nl_cmd_name(__u8 cmd)
{
	if (cmd < ARRAY_SIZE(vshm_nl_cmd_names) && vshm_nl_cmd_names[cmd])
		return vshm_nl_cmd_names[cmd];
	return "unknown";
}

const char *vshm_nl_stat_name(int attr)
{
	if (attr >= 0 && attr < (int)ARRAY_SIZE(vshm_nl_stat_names) &&
	    vshm_nl_stat_names[attr])
		return vshm_nl_stat_names[attr];
	return "unknown";
}

/* libnl's error codes are not errnos; map the ones it can return here. */
static int vshm_nl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_DUMP_INTR:
		return -EINTR;
	default:
		return -EIO;
	}
}

int vshm_nl_collect(const struct vshm_nl_msg *msg, void *arg)
{
	struct vshm_nl_msgs *d = arg;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 256;
		void *p = realloc(d->m, cap * sizeof(*d->m));

		if (!p)
			return -ENOMEM;
		d->m = p;
		d->cap = cap;
	}
	d->intr |= msg->dump_intr;
	d->m[d->n++] = *msg;
	return 0;
}

static void get_u32(struct nlattr **tb, int attr, __u32 *v)
{
	if (tb[attr])
		*v = nla_get_u32(tb[attr]);
}

static void get_u64(struct nlattr **tb, int attr, __u64 *v)
{
	if (tb[attr])
		*v = nla_get_u64(tb[attr]);
}

static int vshm_nl_parse(struct nl_msg *msg, struct vshm_nl_msg *m)
{
	struct nlattr *tb[VHOST_SHMEM_A_MAX + 1];
	struct nlattr *st[VHOST_SHMEM_A_STAT_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *ghdr = nlmsg_data(nlh);
	int a, ret;

	memset(m, 0, sizeof(*m));
	ret = genlmsg_parse(nlh, 0, tb, VHOST_SHMEM_A_MAX, vshm_nl_policy);
	if (ret < 0)
		return -EBADMSG;
	m->cmd = ghdr->cmd;
	m->dump_intr = nlh->nlmsg_flags & NLM_F_DUMP_INTR;
	for (a = 0; a <= VHOST_SHMEM_A_MAX; a++)
		if (tb[a])
			m->present |= 1ULL << a;

	get_u32(tb, VHOST_SHMEM_A_CTX_ID, &m->ctx_id);
	get_u32(tb, VHOST_SHMEM_A_CTX_PID, &m->pid);
	get_u64(tb, VHOST_SHMEM_A_CTX_CREATED, &m->created);
	get_u32(tb, VHOST_SHMEM_A_CTX_NR_REGIONS, &m->nr_regions);
	get_u32(tb, VHOST_SHMEM_A_REGION_SHMID, &m->shmid);
	get_u64(tb, VHOST_SHMEM_A_REGION_SIZE, &m->size);
	get_u32(tb, VHOST_SHMEM_A_REGION_NR_MAPPINGS, &m->nr_mappings);
	get_u64(tb, VHOST_SHMEM_A_REGION_MAPPED, &m->mapped);
	get_u64(tb, VHOST_SHMEM_A_REGION_RESIDENT, &m->resident);
	get_u64(tb, VHOST_SHMEM_A_MAPPING_SHM_OFFSET, &m->shm_offset);
	get_u64(tb, VHOST_SHMEM_A_MAPPING_LEN, &m->len);
	get_u64(tb, VHOST_SHMEM_A_MAPPING_FLAGS, &m->flags);
	get_u64(tb, VHOST_SHMEM_A_MAPPING_FD_OFFSET, &m->fd_offset);
	get_u64(tb, VHOST_SHMEM_A_MAPPING_DEV, &m->dev);
	get_u64(tb, VHOST_SHMEM_A_MAPPING_INO, &m->ino);
	get_u64(tb, VHOST_SHMEM_A_MAPPING_RESIDENT, &m->resident);
	if (tb[VHOST_SHMEM_A_CTX_COMM])
		nla_strlcpy(m->comm, tb[VHOST_SHMEM_A_CTX_COMM], sizeof(m->comm));
	if (tb[VHOST_SHMEM_A_CTX_STATS]) {
		if (nla_parse_nested(st, VHOST_SHMEM_A_STAT_MAX,
				     tb[VHOST_SHMEM_A_CTX_STATS], NULL) < 0)
			return -EBADMSG;
		for (a = VHOST_SHMEM_A_STAT_REGION_CREATES;
		     a <= VHOST_SHMEM_A_STAT_MAX; a++) {
			if (!st[a])
				continue;
			if (nla_len(st[a]) != sizeof(__u64))
				return -EBADMSG;
			m->stats[a] = nla_get_u64(st[a]);
			m->stats_present |= 1ULL << a;
		}
	}
	return 0;
}

static int vshm_nl_valid(struct nl_msg *msg, void *arg)
{
	struct vshm_nl_xfer *x = arg;
	struct vshm_nl_msg m;
	int ret;

	if (x->err || x->stop)
		return NL_OK;
	ret = vshm_nl_parse(msg, &m);
	if (ret) {
		x->err = ret;
		return NL_OK;
	}
	x->intr |= m.dump_intr;
	if (x->cb)
		x->stop = x->cb(&m, x->arg);
	return NL_OK;
}

/* NLMSG_DONE, or an ACK; a dump that failed midway says why in DONE. */
static int vshm_nl_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct vshm_nl_xfer *x = arg;
	int err;

	if (nlh->nlmsg_type == NLMSG_DONE &&
	    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0 && !x->err)
			x->err = err;
	}
	x->done = true;
	return NL_STOP;
}

static int vshm_nl_error(struct sockaddr_nl *nla, struct nlmsgerr *err,
			 void *arg)
{
	struct vshm_nl_xfer *x = arg;

	if (!x->err)
		x->err = err->error;
	x->done = true;
	return NL_STOP;
}

/* Kept going: the dump is read to its end, flagged messages included. */
static int vshm_nl_dump_intr(struct nl_msg *msg, void *arg)
{
	struct vshm_nl_xfer *x = arg;

	x->intr = true;
	return NL_OK;
}

/* Multicast messages have sequence number 0. */
static int vshm_nl_no_seq_check(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

static struct nl_cb *vshm_nl_cb_alloc(struct vshm_nl_xfer *x)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb)
		return NULL;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, vshm_nl_valid, x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, vshm_nl_finish, x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, vshm_nl_finish, x);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, vshm_nl_dump_intr, x);
	nl_cb_err(cb, NL_CB_CUSTOM, vshm_nl_error, x);
	return cb;
}

int vshm_nl_open(struct vshm_nl **nlp)
{
	struct vshm_nl *nl;
	int ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		ret = vshm_nl_errno(ret);
		goto err_free_sock;
	}
	/* Large dumps: room for many buffers before the reader catches up. */
	nl_socket_set_buffer_size(nl->sk, 1 << 20, 0);
	nl->family = genl_ctrl_resolve(nl->sk, VHOST_SHMEM_GENL_NAME);
	if (nl->family < 0) {
		ret = vshm_nl_errno(nl->family);
		goto err_free_sock;
	}
	*nlp = nl;
	return 0;

err_free_sock:
	nl_socket_free(nl->sk);
err_free:
	free(nl);
	return ret;
}

void vshm_nl_close(struct vshm_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

int vshm_nl_family(struct vshm_nl *nl)
{
	return nl->family;
}

/* A request of command @cmd to the family, or NULL. */
static struct nl_msg *vshm_nl_request(struct vshm_nl *nl, __u8 cmd,
				      int nlflags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				nlflags, cmd, VHOST_SHMEM_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/* Sends @msg and processes the answers until the exchange is over. */
static int vshm_nl_exchange(struct vshm_nl *nl, struct nl_msg *msg,
			    struct vshm_nl_xfer *x)
{
	struct nl_cb *cb;
	int ret;

	cb = vshm_nl_cb_alloc(x);
	if (!cb)
		return -ENOMEM;
	ret = nl_send_auto(nl->sk, msg);
	if (ret < 0) {
		ret = vshm_nl_errno(ret);
		goto out;
	}
	while (!x->done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !x->done) {
			ret = vshm_nl_errno(ret);
			goto out;
		}
	}
	ret = x->err ? x->err : x->stop;
out:
	nl_cb_put(cb);
	return ret;
}

int vshm_nl_dump(struct vshm_nl *nl, const struct vshm_nl_filter *filter,
		 vshm_nl_cb cb, void *arg)
{
	struct vshm_nl_xfer x = { .cb = cb, .arg = arg };
	struct nl_msg *msg;
	int ret;

	msg = vshm_nl_request(nl, VHOST_SHMEM_CMD_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	if (filter &&
	    ((filter->ctx_id &&
	      nla_put_u32(msg, VHOST_SHMEM_A_CTX_ID, filter->ctx_id)) ||
	     (filter->pid &&
	      nla_put_u32(msg, VHOST_SHMEM_A_CTX_PID, filter->pid)) ||
	     (filter->no_mappings &&
	      nla_put_u32(msg, VHOST_SHMEM_A_DUMP_FLAGS,
			  VHOST_SHMEM_DUMP_F_NO_MAPPINGS)))) {
		ret = -ENOMEM;
		goto out;
	}
	ret = vshm_nl_exchange(nl, msg, &x);
	if (!ret && x.intr)
		ret = -EINTR;
out:
	nlmsg_free(msg);
	return ret;
}

int vshm_nl_raw_request(struct vshm_nl *nl, __u8 cmd, __u16 nlflags,
			const void *attrs, size_t len)
{
	struct vshm_nl_xfer x = {};
	struct nl_msg *msg;
	int ret;

	msg = vshm_nl_request(nl, cmd, nlflags | NLM_F_ACK);
	if (!msg)
		return -ENOMEM;
	if (len && nlmsg_append(msg, (void *)attrs, len, 0) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	ret = vshm_nl_exchange(nl, msg, &x);
out:
	nlmsg_free(msg);
	return ret;
}

int vshm_nl_subscribe(struct vshm_nl *nl)
{
	int grp, ret;

	grp = genl_ctrl_resolve_grp(nl->sk, VHOST_SHMEM_GENL_NAME,
				    VHOST_SHMEM_MCGRP_EVENTS);
	if (grp < 0)
		return vshm_nl_errno(grp);
	ret = nl_socket_add_membership(nl->sk, grp);
	return ret < 0 ? vshm_nl_errno(ret) : 0;
}

int vshm_nl_listen(struct vshm_nl *nl, int timeout_ms, vshm_nl_cb cb,
		   void *arg)
{
	struct vshm_nl_xfer x = { .cb = cb, .arg = arg };
	struct pollfd pfd = { .fd = nl_socket_get_fd(nl->sk), .events = POLLIN };
	struct nl_cb *ncb;
	int ret = 0;

	ncb = vshm_nl_cb_alloc(&x);
	if (!ncb)
		return -ENOMEM;
	nl_cb_set(ncb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, vshm_nl_no_seq_check,
		  NULL);
	while (!x.stop && !x.err) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0) {
			ret = -errno;
			break;
		}
		if (!ret) {
			ret = -ETIMEDOUT;
			break;
		}
		ret = nl_recvmsgs(nl->sk, ncb);
		if (ret < 0 && !x.err && !x.stop) {
			/* libnl reports the socket's ENOBUFS as NLE_NOMEM. */
			ret = ret == -NLE_NOMEM ? -ENOBUFS : vshm_nl_errno(ret);
			break;
		}
		ret = 0;
	}
	nl_cb_put(ncb);
	if (x.err)
		return x.err;
	return x.stop ? x.stop : ret;
}
