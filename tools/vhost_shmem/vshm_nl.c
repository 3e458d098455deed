// SPDX-License-Identifier: GPL-2.0
/*
 * vshm_nl: a client of the vhost-shmem generic netlink family, on the YNL C
 * library and the user code generated from the family's spec.  See
 * vshm_nl.h.
 *
 * Events come through the YNL notification queue.  Dumps are read here, a
 * message at a time, and each message is parsed by the generated parser of
 * its command: the generated *_dump() functions return the whole list at
 * the end and give nothing when NLM_F_DUMP_INTR is set, and the callers of
 * vshm_nl_dump() see every message as it comes, flagged when interrupted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "ynl.h"
#include "vhost_shmem-user.h"
#include "vshm_nl.h"

#include "vshm_nl_ynl.h"

struct vshm_nl {
	/*
	 * The generated family with the family's real name: the generated
	 * ynl_vhost_shmem_family looks the family up by its C name
	 * ("vhost_shmem"), the kernel registers the spec's ("vhost-shmem").
	 */
	struct ynl_family family;
	struct ynl_sock *ys;
	unsigned char buf[1 << 16];
};

static const char * const vshm_nl_cmd_names[] = {
	[VHOST_SHMEM_CMD_CTX_GET] = "ctx",
	[VHOST_SHMEM_CMD_REGION_GET] = "region",
	[VHOST_SHMEM_CMD_MAPPING_GET] = "mapping",
	[VHOST_SHMEM_CMD_CTX_ADD_NTF] = "ctx-new",
	[VHOST_SHMEM_CMD_CTX_DEL_NTF] = "ctx-del",
	[VHOST_SHMEM_CMD_REGION_ADD_NTF] = "region-new",
	[VHOST_SHMEM_CMD_REGION_DEL_NTF] = "region-del",
	[VHOST_SHMEM_CMD_MAPPING_ADD_NTF] = "map",
	[VHOST_SHMEM_CMD_MAPPING_DEL_NTF] = "unmap",
	[VHOST_SHMEM_CMD_CTX_RESET_NTF] = "reset",
};

static const char * const vshm_nl_stat_names[] = {
	[VHOST_SHMEM_A_STATS_REGION_CREATES] = "region_creates",
	[VHOST_SHMEM_A_STATS_REGION_DESTROYS] = "region_destroys",
	[VHOST_SHMEM_A_STATS_MAPS] = "maps",
	[VHOST_SHMEM_A_STATS_UNMAPS] = "unmaps",
	[VHOST_SHMEM_A_STATS_RESETS] = "resets",
	[VHOST_SHMEM_A_STATS_FAULTS] = "faults",
};

const char *vshm_nl_cmd_name(__u8 cmd)
{
	if (cmd < YNL_ARRAY_SIZE(vshm_nl_cmd_names) && vshm_nl_cmd_names[cmd])
		return vshm_nl_cmd_names[cmd];
	return "unknown";
}

const char *vshm_nl_stat_name(int attr)
{
	if (attr >= 0 && attr < (int)YNL_ARRAY_SIZE(vshm_nl_stat_names) &&
	    vshm_nl_stat_names[attr])
		return vshm_nl_stat_names[attr];
	return "unknown";
}

/* The errno of the last YNL failure on @ys, negative. */
static int vshm_nl_ynl_errno(const struct ynl_error *err)
{
	if (err->code > 0 && err->code < __YNL_ERRNO_END)
		return -(int)err->code;
	if (err->code == YNL_ERROR_DUMP_INTER)
		return -EINTR;
	return -EIO;
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

/* Depth in the tree of vshm_nl_msgs_sort(): context, region, mapping. */
static int vshm_nl_level(const struct vshm_nl_msg *m)
{
	switch (m->cmd) {
	case VHOST_SHMEM_CMD_CTX_GET:
		return 0;
	case VHOST_SHMEM_CMD_REGION_GET:
		return 1;
	default:
		return 2;
	}
}

static int vshm_nl_cmp(const void *a, const void *b)
{
	const struct vshm_nl_msg *x = a, *y = b;
	int lx = vshm_nl_level(x), ly = vshm_nl_level(y);

	if (x->ctx_id != y->ctx_id)
		return x->ctx_id < y->ctx_id ? -1 : 1;
	if (!lx || !ly)
		return lx - ly;
	if (x->shmid != y->shmid)
		return x->shmid < y->shmid ? -1 : 1;
	if (lx != ly)
		return lx - ly;
	if (x->shm_offset != y->shm_offset)
		return x->shm_offset < y->shm_offset ? -1 : 1;
	return 0;
}

void vshm_nl_msgs_sort(struct vshm_nl_msgs *d)
{
	if (d->n)
		qsort(d->m, d->n, sizeof(*d->m), vshm_nl_cmp);
}

static void vshm_nl_stat(struct vshm_nl_msg *m, int attr, bool present,
			 __u64 val)
{
	if (!present)
		return;
	m->stats[attr] = val;
	m->stats_present |= 1ULL << attr;
}

static void vshm_nl_from_ctx(struct vshm_nl_msg *m,
			     const struct vhost_shmem_ctx_get_rsp *r)
{
	const struct vhost_shmem_stats *s = &r->stats;

	m->ctx_id = r->id;
	if (r->_present.pid) {
		m->present |= VSHM_NL_F_PID;
		m->pid = r->pid;
		m->created = r->created;
		if (r->comm)
			snprintf(m->comm, sizeof(m->comm), "%s", r->comm);
	}
	if (r->_present.nr_regions) {
		m->present |= VSHM_NL_F_STATE;
		m->nr_regions = r->nr_regions;
	}
	if (!r->_present.stats)
		return;
	vshm_nl_stat(m, VHOST_SHMEM_A_STATS_REGION_CREATES,
		     s->_present.region_creates, s->region_creates);
	vshm_nl_stat(m, VHOST_SHMEM_A_STATS_REGION_DESTROYS,
		     s->_present.region_destroys, s->region_destroys);
	vshm_nl_stat(m, VHOST_SHMEM_A_STATS_MAPS, s->_present.maps, s->maps);
	vshm_nl_stat(m, VHOST_SHMEM_A_STATS_UNMAPS, s->_present.unmaps,
		     s->unmaps);
	vshm_nl_stat(m, VHOST_SHMEM_A_STATS_RESETS, s->_present.resets,
		     s->resets);
	vshm_nl_stat(m, VHOST_SHMEM_A_STATS_FAULTS, s->_present.faults,
		     s->faults);
}

static void vshm_nl_from_region(struct vshm_nl_msg *m,
				const struct vhost_shmem_region_get_rsp *r)
{
	m->ctx_id = r->ctx_id;
	m->present |= VSHM_NL_F_SHMID;
	m->shmid = r->shmid;
	if (r->_present.length) {
		m->present |= VSHM_NL_F_SIZE | VSHM_NL_F_RESIDENT;
		m->size = r->length;
		m->nr_mappings = r->nr_mappings;
		m->mapped = r->mapped;
		m->resident = r->resident;
		m->pinned = r->pinned;
	}
}

static void vshm_nl_from_mapping(struct vshm_nl_msg *m,
				 const struct vhost_shmem_mapping_get_rsp *r)
{
	m->ctx_id = r->ctx_id;
	m->present |= VSHM_NL_F_SHMID | VSHM_NL_F_RANGE;
	m->shmid = r->shmid;
	m->shm_offset = r->shm_offset;
	m->len = r->len;
	if (r->_present.ino) {
		m->present |= VSHM_NL_F_FILE | VSHM_NL_F_RESIDENT;
		m->flags = r->flags;
		m->fd_offset = r->fd_offset;
		m->dev = r->dev;
		m->ino = r->ino;
		m->resident = r->resident;
	}
}

/* Parses the dump reply @nlh of command @cmd into @m. */
static int vshm_nl_parse(struct vshm_nl *nl, __u8 cmd,
			 const struct nlmsghdr *nlh, struct vshm_nl_msg *m)
{
	struct ynl_parse_arg yarg = { .ys = nl->ys };
	union {
		struct vhost_shmem_ctx_get_rsp ctx;
		struct vhost_shmem_region_get_rsp region;
		struct vhost_shmem_mapping_get_rsp mapping;
	} r;
	int ret;

	memset(&r, 0, sizeof(r));
	memset(m, 0, sizeof(*m));
	m->cmd = cmd;
	m->dump_intr = !!(nlh->nlmsg_flags & NLM_F_DUMP_INTR);
	yarg.data = &r;
	switch (cmd) {
	case VHOST_SHMEM_CMD_CTX_GET:
		yarg.rsp_policy = &vhost_shmem_ctx_nest;
		ret = vhost_shmem_ctx_get_rsp_parse(nlh, &yarg);
		if (ret >= 0)
			vshm_nl_from_ctx(m, &r.ctx);
		free(r.ctx.comm);
		break;
	case VHOST_SHMEM_CMD_REGION_GET:
		yarg.rsp_policy = &vhost_shmem_region_nest;
		ret = vhost_shmem_region_get_rsp_parse(nlh, &yarg);
		if (ret >= 0)
			vshm_nl_from_region(m, &r.region);
		break;
	default:
		yarg.rsp_policy = &vhost_shmem_mapping_nest;
		ret = vhost_shmem_mapping_get_rsp_parse(nlh, &yarg);
		if (ret >= 0)
			vshm_nl_from_mapping(m, &r.mapping);
		break;
	}
	return ret < 0 ? -EBADMSG : 0;
}

int vshm_nl_open(struct vshm_nl **nlp)
{
	struct ynl_error err = {};
	struct vshm_nl *nl;
	int size = 1 << 20;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->family = ynl_vhost_shmem_family;
	nl->family.name = VHOST_SHMEM_FAMILY_NAME;
	nl->ys = ynl_sock_create(&nl->family, &err);
	if (!nl->ys) {
		free(nl);
		return vshm_nl_ynl_errno(&err);
	}
	/* Events: room for many before the reader catches up. */
	setsockopt(ynl_socket_get_fd(nl->ys), SOL_SOCKET, SO_RCVBUF, &size,
		   sizeof(size));
	*nlp = nl;
	return 0;
}

void vshm_nl_close(struct vshm_nl *nl)
{
	if (!nl)
		return;
	ynl_sock_destroy(nl->ys);
	free(nl);
}

int vshm_nl_family(struct vshm_nl *nl)
{
	return nl->ys->family_id;
}

/* Sends request @nlh, already ended. */
static int vshm_nl_send(struct vshm_nl *nl, struct nlmsghdr *nlh)
{
	if (send(ynl_socket_get_fd(nl->ys), nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Reads the answer to request @seq: replies go to @cb (dumps) until the
 * end, an error or an acknowledgment.  After a stop by @cb the rest is
 * read and dropped, so that the next exchange starts clean.
 */
static int vshm_nl_answer(struct vshm_nl *nl, __u32 seq, __u8 cmd,
			  vshm_nl_cb cb, void *arg, bool *intr)
{
	int fd = ynl_socket_get_fd(nl->ys);
	int err = 0, stop = 0, ret;
	struct vshm_nl_msg m;
	struct nlmsghdr *nlh;
	ssize_t len;

	for (;;) {
		len = recv(fd, nl->buf, sizeof(nl->buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (nlh = (struct nlmsghdr *)nl->buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* an event, or a stale answer */
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (nlh->nlmsg_type == NLMSG_DONE &&
				    (nlh->nlmsg_flags & NLM_F_DUMP_INTR) && intr)
					*intr = true;
				if (e->error && !err)
					err = e->error;
				return err ? err : stop;
			}
			if (nlh->nlmsg_type != nl->ys->family_id ||
			    err || stop || !cb)
				continue;
			ret = vshm_nl_parse(nl, cmd, nlh, &m);
			if (ret) {
				err = ret;
				continue;
			}
			if (m.dump_intr && intr)
				*intr = true;
			stop = cb(&m, arg);
		}
	}
}

/* Whether context @id is in @ids. */
static bool vshm_nl_has_id(const __u32 *ids, size_t n, __u32 id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* What a dump with a pid filter passes through to the caller's callback. */
struct vshm_nl_pid_filter {
	__u32 pid;
	__u32 *ids;
	size_t n, cap;
	vshm_nl_cb cb;
	void *arg;
};

static int vshm_nl_pid_cb(const struct vshm_nl_msg *m, void *arg)
{
	struct vshm_nl_pid_filter *pf = arg;

	if (m->cmd == VHOST_SHMEM_CMD_CTX_GET) {
		if (m->pid != pf->pid)
			return 0;
		if (pf->n == pf->cap) {
			size_t cap = pf->cap ? 2 * pf->cap : 16;
			void *p = realloc(pf->ids, cap * sizeof(*pf->ids));

			if (!p)
				return -ENOMEM;
			pf->ids = p;
			pf->cap = cap;
		}
		pf->ids[pf->n++] = m->ctx_id;
	} else if (!vshm_nl_has_id(pf->ids, pf->n, m->ctx_id)) {
		return 0;
	}
	return pf->cb(m, pf->arg);
}

static int vshm_nl_dump_one(struct vshm_nl *nl, __u8 cmd, __u32 ctx_id,
			    bool has_shmid, __u32 shmid, vshm_nl_cb cb,
			    void *arg, bool *intr)
{
	struct nlmsghdr *nlh;
	int ret;

	nlh = ynl_gemsg_start_dump(nl->ys, nl->ys->family_id, cmd,
				   VHOST_SHMEM_FAMILY_VERSION);
	/* ctx-id is attribute 1 and shmid 2 of every request. */
	if (ctx_id)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_REGION_CTX_ID, ctx_id);
	if (has_shmid && cmd != VHOST_SHMEM_CMD_CTX_GET)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_REGION_SHMID, shmid);
	ret = vshm_nl_send(nl, nlh);
	if (ret)
		return ret;
	return vshm_nl_answer(nl, nlh->nlmsg_seq, cmd, cb, arg, intr);
}

int vshm_nl_dump_cmd(struct vshm_nl *nl, __u8 cmd, __u32 ctx_id,
		     bool has_shmid, __u32 shmid, vshm_nl_cb cb, void *arg)
{
	bool intr = false;
	int ret;

	ret = vshm_nl_dump_one(nl, cmd, ctx_id, has_shmid, shmid, cb, arg,
			       &intr);
	if (!ret && intr)
		ret = -EINTR;
	return ret;
}

int vshm_nl_dump(struct vshm_nl *nl, const struct vshm_nl_filter *filter,
		 vshm_nl_cb cb, void *arg)
{
	static const __u8 cmds[] = {
		VHOST_SHMEM_CMD_CTX_GET, VHOST_SHMEM_CMD_REGION_GET,
		VHOST_SHMEM_CMD_MAPPING_GET,
	};
	struct vshm_nl_pid_filter pf = { .cb = cb, .arg = arg };
	__u32 ctx_id = filter ? filter->ctx_id : 0;
	bool intr = false;
	size_t i;
	int ret = 0;

	if (filter && filter->pid) {
		pf.pid = filter->pid;
		cb = vshm_nl_pid_cb;
		arg = &pf;
	}
	for (i = 0; i < YNL_ARRAY_SIZE(cmds) && !ret; i++) {
		if (cmds[i] == VHOST_SHMEM_CMD_MAPPING_GET && filter &&
		    filter->no_mappings)
			break;
		ret = vshm_nl_dump_one(nl, cmds[i], ctx_id, false, 0, cb, arg,
				       &intr);
	}
	free(pf.ids);
	if (!ret && intr)
		ret = -EINTR;
	return ret;
}

int vshm_nl_raw_request(struct vshm_nl *nl, __u8 cmd, __u16 nlflags,
			const void *attrs, size_t len)
{
	struct nlmsghdr *nlh;
	int ret;

	nlh = ynl_gemsg_start_req(nl->ys, nl->ys->family_id, cmd,
				  VHOST_SHMEM_FAMILY_VERSION);
	nlh->nlmsg_flags |= nlflags;
	if (nlh->nlmsg_len + len > sizeof(nl->buf))
		return -EMSGSIZE;
	memcpy((char *)nlh + nlh->nlmsg_len, attrs, len);
	nlh->nlmsg_len += len;
	ret = vshm_nl_send(nl, nlh);
	if (ret)
		return ret;
	return vshm_nl_answer(nl, nlh->nlmsg_seq, cmd, NULL, NULL, NULL);
}

int vshm_nl_get_mapping(struct vshm_nl *nl, __u32 ctx_id, __u32 shmid,
			__u64 shm_offset, struct vshm_nl_msgs *d)
{
	struct vhost_shmem_mapping_get_req *req;
	struct vhost_shmem_mapping_get_rsp *rsp;
	struct vshm_nl_msg m = { .cmd = VHOST_SHMEM_CMD_MAPPING_GET };
	int ret;

	req = vhost_shmem_mapping_get_req_alloc();
	if (!req)
		return -ENOMEM;
	vhost_shmem_mapping_get_req_set_ctx_id(req, ctx_id);
	vhost_shmem_mapping_get_req_set_shmid(req, shmid);
	vhost_shmem_mapping_get_req_set_shm_offset(req, shm_offset);
	rsp = vhost_shmem_mapping_get(nl->ys, req);
	vhost_shmem_mapping_get_req_free(req);
	d->n = 0;
	d->intr = false;
	if (!rsp)
		return vshm_nl_ynl_errno(&nl->ys->err);
	vshm_nl_from_mapping(&m, rsp);
	vhost_shmem_mapping_get_rsp_free(rsp);
	ret = vshm_nl_collect(&m, d);
	return ret;
}

int vshm_nl_subscribe(struct vshm_nl *nl)
{
	if (ynl_subscribe(nl->ys, VHOST_SHMEM_MCGRP_EVENTS))
		return vshm_nl_ynl_errno(&nl->ys->err);
	return 0;
}

/* Flattens event @ntf and hands it to @cb. */
static int vshm_nl_event(struct ynl_ntf_base_type *ntf, vshm_nl_cb cb,
			 void *arg)
{
	struct vshm_nl_msg m = { .cmd = ntf->cmd };

	switch (ntf->cmd) {
	case VHOST_SHMEM_CMD_CTX_ADD_NTF:
	case VHOST_SHMEM_CMD_CTX_DEL_NTF:
	case VHOST_SHMEM_CMD_CTX_RESET_NTF:
		vshm_nl_from_ctx(&m, &((struct vhost_shmem_ctx_get_ntf *)ntf)->obj);
		break;
	case VHOST_SHMEM_CMD_REGION_ADD_NTF:
	case VHOST_SHMEM_CMD_REGION_DEL_NTF:
		vshm_nl_from_region(&m,
				    &((struct vhost_shmem_region_get_ntf *)ntf)->obj);
		break;
	case VHOST_SHMEM_CMD_MAPPING_ADD_NTF:
	case VHOST_SHMEM_CMD_MAPPING_DEL_NTF:
		vshm_nl_from_mapping(&m,
				     &((struct vhost_shmem_mapping_get_ntf *)ntf)->obj);
		break;
	default:
		return 0;
	}
	return cb(&m, arg);
}

int vshm_nl_listen(struct vshm_nl *nl, int timeout_ms, vshm_nl_cb cb,
		   void *arg)
{
	struct pollfd pfd = { .fd = ynl_socket_get_fd(nl->ys),
			      .events = POLLIN };
	struct ynl_ntf_base_type *ntf;
	int ret;

	for (;;) {
		while ((ntf = ynl_ntf_dequeue(nl->ys))) {
			ret = vshm_nl_event(ntf, cb, arg);
			ynl_ntf_free(ntf);
			if (ret)
				return ret;
		}
		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
		if (ynl_ntf_check(nl->ys) < 0)
			return errno == ENOBUFS ? -ENOBUFS :
			       vshm_nl_ynl_errno(&nl->ys->err);
	}
}
