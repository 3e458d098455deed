// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vhost_shmem.yaml */
/* YNL-GEN user source */
/* To regenerate run: tools/net/ynl/ynl-regen.sh */

#include <stdlib.h>
#include <string.h>
#include "vhost_shmem-user.h"
#include "ynl.h"
#include <linux/vhost_shmem_netlink.h>

#include <linux/genetlink.h>

/* Enums */
static const char * const vhost_shmem_op_strmap[] = {
	[VHOST_SHMEM_CMD_CTX_GET] = "ctx-get",
	[VHOST_SHMEM_CMD_REGION_GET] = "region-get",
	[VHOST_SHMEM_CMD_MAPPING_GET] = "mapping-get",
	[VHOST_SHMEM_CMD_CTX_ADD_NTF] = "ctx-add-ntf",
	[VHOST_SHMEM_CMD_CTX_DEL_NTF] = "ctx-del-ntf",
	[VHOST_SHMEM_CMD_CTX_RESET_NTF] = "ctx-reset-ntf",
	[VHOST_SHMEM_CMD_REGION_ADD_NTF] = "region-add-ntf",
	[VHOST_SHMEM_CMD_REGION_DEL_NTF] = "region-del-ntf",
	[VHOST_SHMEM_CMD_MAPPING_ADD_NTF] = "mapping-add-ntf",
	[VHOST_SHMEM_CMD_MAPPING_DEL_NTF] = "mapping-del-ntf",
};

const char *vhost_shmem_op_str(int op)
{
	if (op < 0 || op >= (int)YNL_ARRAY_SIZE(vhost_shmem_op_strmap))
		return NULL;
	return vhost_shmem_op_strmap[op];
}

/* Policies */
const struct ynl_policy_attr vhost_shmem_stats_policy[VHOST_SHMEM_A_STATS_MAX + 1] = {
	[VHOST_SHMEM_A_STATS_REGION_CREATES] = { .name = "region-creates", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_STATS_REGION_DESTROYS] = { .name = "region-destroys", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_STATS_MAPS] = { .name = "maps", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_STATS_UNMAPS] = { .name = "unmaps", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_STATS_RESETS] = { .name = "resets", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_STATS_FAULTS] = { .name = "faults", .type = YNL_PT_UINT, },
};

const struct ynl_policy_nest vhost_shmem_stats_nest = {
	.max_attr = VHOST_SHMEM_A_STATS_MAX,
	.table = vhost_shmem_stats_policy,
};

const struct ynl_policy_attr vhost_shmem_ctx_policy[VHOST_SHMEM_A_CTX_MAX + 1] = {
	[VHOST_SHMEM_A_CTX_ID] = { .name = "id", .type = YNL_PT_U32, },
	[VHOST_SHMEM_A_CTX_PID] = { .name = "pid", .type = YNL_PT_U32, },
	[VHOST_SHMEM_A_CTX_COMM] = { .name = "comm", .type = YNL_PT_NUL_STR, },
	[VHOST_SHMEM_A_CTX_CREATED] = { .name = "created", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_CTX_NR_REGIONS] = { .name = "nr-regions", .type = YNL_PT_U32, },
	[VHOST_SHMEM_A_CTX_STATS] = { .name = "stats", .type = YNL_PT_NEST, .nest = &vhost_shmem_stats_nest, },
};

const struct ynl_policy_nest vhost_shmem_ctx_nest = {
	.max_attr = VHOST_SHMEM_A_CTX_MAX,
	.table = vhost_shmem_ctx_policy,
};

const struct ynl_policy_attr vhost_shmem_region_policy[VHOST_SHMEM_A_REGION_MAX + 1] = {
	[VHOST_SHMEM_A_REGION_CTX_ID] = { .name = "ctx-id", .type = YNL_PT_U32, },
	[VHOST_SHMEM_A_REGION_SHMID] = { .name = "shmid", .type = YNL_PT_U32, },
	[VHOST_SHMEM_A_REGION_LENGTH] = { .name = "length", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_REGION_NR_MAPPINGS] = { .name = "nr-mappings", .type = YNL_PT_U32, },
	[VHOST_SHMEM_A_REGION_MAPPED] = { .name = "mapped", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_REGION_RESIDENT] = { .name = "resident", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_REGION_PINNED] = { .name = "pinned", .type = YNL_PT_UINT, },
};

const struct ynl_policy_nest vhost_shmem_region_nest = {
	.max_attr = VHOST_SHMEM_A_REGION_MAX,
	.table = vhost_shmem_region_policy,
};

const struct ynl_policy_attr vhost_shmem_mapping_policy[VHOST_SHMEM_A_MAPPING_MAX + 1] = {
	[VHOST_SHMEM_A_MAPPING_CTX_ID] = { .name = "ctx-id", .type = YNL_PT_U32, },
	[VHOST_SHMEM_A_MAPPING_SHMID] = { .name = "shmid", .type = YNL_PT_U32, },
	[VHOST_SHMEM_A_MAPPING_SHM_OFFSET] = { .name = "shm-offset", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_MAPPING_LEN] = { .name = "len", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_MAPPING_FLAGS] = { .name = "flags", .type = YNL_PT_U32, },
	[VHOST_SHMEM_A_MAPPING_FD_OFFSET] = { .name = "fd-offset", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_MAPPING_DEV] = { .name = "dev", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_MAPPING_INO] = { .name = "ino", .type = YNL_PT_UINT, },
	[VHOST_SHMEM_A_MAPPING_RESIDENT] = { .name = "resident", .type = YNL_PT_UINT, },
};

const struct ynl_policy_nest vhost_shmem_mapping_nest = {
	.max_attr = VHOST_SHMEM_A_MAPPING_MAX,
	.table = vhost_shmem_mapping_policy,
};

/* Common nested types */
void vhost_shmem_stats_free(struct vhost_shmem_stats *obj)
{
}

int vhost_shmem_stats_parse(struct ynl_parse_arg *yarg,
			    const struct nlattr *nested)
{
	struct vhost_shmem_stats *dst = yarg->data;
	const struct nlattr *attr;

	ynl_attr_for_each_nested(attr, nested) {
		unsigned int type = ynl_attr_type(attr);

		if (type == VHOST_SHMEM_A_STATS_REGION_CREATES) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.region_creates = 1;
			dst->region_creates = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_STATS_REGION_DESTROYS) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.region_destroys = 1;
			dst->region_destroys = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_STATS_MAPS) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.maps = 1;
			dst->maps = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_STATS_UNMAPS) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.unmaps = 1;
			dst->unmaps = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_STATS_RESETS) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.resets = 1;
			dst->resets = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_STATS_FAULTS) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.faults = 1;
			dst->faults = ynl_attr_get_uint(attr);
		}
	}

	return 0;
}

/* ============== VHOST_SHMEM_CMD_CTX_GET ============== */
/* VHOST_SHMEM_CMD_CTX_GET - do */
void vhost_shmem_ctx_get_req_free(struct vhost_shmem_ctx_get_req *req)
{
	free(req);
}

void vhost_shmem_ctx_get_rsp_free(struct vhost_shmem_ctx_get_rsp *rsp)
{
	free(rsp->comm);
	vhost_shmem_stats_free(&rsp->stats);
	free(rsp);
}

int vhost_shmem_ctx_get_rsp_parse(const struct nlmsghdr *nlh,
				  struct ynl_parse_arg *yarg)
{
	struct vhost_shmem_ctx_get_rsp *dst;
	const struct nlattr *attr;
	struct ynl_parse_arg parg;
	unsigned int len;

	dst = yarg->data;
	parg.ys = yarg->ys;

	ynl_attr_for_each(attr, nlh, yarg->ys->family->hdr_len) {
		unsigned int type = ynl_attr_type(attr);

		if (type == VHOST_SHMEM_A_CTX_ID) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.id = 1;
			dst->id = ynl_attr_get_u32(attr);
		} else if (type == VHOST_SHMEM_A_CTX_PID) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.pid = 1;
			dst->pid = ynl_attr_get_u32(attr);
		} else if (type == VHOST_SHMEM_A_CTX_COMM) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;

			len = strnlen(ynl_attr_get_str(attr), ynl_attr_data_len(attr));
			dst->comm = malloc(len + 1);
			if (!dst->comm)
				return YNL_PARSE_CB_ERROR;
			dst->_len.comm = len;
			memcpy(dst->comm, ynl_attr_get_str(attr), len);
			dst->comm[len] = 0;
		} else if (type == VHOST_SHMEM_A_CTX_CREATED) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.created = 1;
			dst->created = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_CTX_NR_REGIONS) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.nr_regions = 1;
			dst->nr_regions = ynl_attr_get_u32(attr);
		} else if (type == VHOST_SHMEM_A_CTX_STATS) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.stats = 1;

			parg.rsp_policy = &vhost_shmem_stats_nest;
			parg.data = &dst->stats;
			if (vhost_shmem_stats_parse(&parg, attr))
				return YNL_PARSE_CB_ERROR;
		}
	}

	return YNL_PARSE_CB_OK;
}

struct vhost_shmem_ctx_get_rsp *
vhost_shmem_ctx_get(struct ynl_sock *ys, struct vhost_shmem_ctx_get_req *req)
{
	struct ynl_req_state yrs = { .yarg = { .ys = ys, }, };
	struct vhost_shmem_ctx_get_rsp *rsp;
	struct nlmsghdr *nlh;
	int err;

	nlh = ynl_gemsg_start_req(ys, ys->family_id, VHOST_SHMEM_CMD_CTX_GET, 1);
	ys->req_policy = &vhost_shmem_ctx_nest;
	ys->req_hdr_len = ys->family->hdr_len;
	yrs.yarg.rsp_policy = &vhost_shmem_ctx_nest;

	if (req->_present.id)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_CTX_ID, req->id);

	rsp = calloc(1, sizeof(*rsp));
	if (!rsp)
		return NULL;
	yrs.yarg.data = rsp;
	yrs.cb = vhost_shmem_ctx_get_rsp_parse;
	yrs.rsp_cmd = VHOST_SHMEM_CMD_CTX_GET;

	err = ynl_exec(ys, nlh, &yrs);
	if (err < 0)
		goto err_free;

	return rsp;

err_free:
	vhost_shmem_ctx_get_rsp_free(rsp);
	return NULL;
}

/* VHOST_SHMEM_CMD_CTX_GET - dump */
void
vhost_shmem_ctx_get_req_dump_free(struct vhost_shmem_ctx_get_req_dump *req)
{
	free(req);
}

void vhost_shmem_ctx_get_list_free(struct vhost_shmem_ctx_get_list *rsp)
{
	struct vhost_shmem_ctx_get_list *next = rsp;

	if (!next)
		return;

	while ((void *)next != YNL_LIST_END) {
		rsp = next;
		next = rsp->next;

		free(rsp->obj.comm);
		vhost_shmem_stats_free(&rsp->obj.stats);
		free(rsp);
	}
}

struct vhost_shmem_ctx_get_list *
vhost_shmem_ctx_get_dump(struct ynl_sock *ys,
			 struct vhost_shmem_ctx_get_req_dump *req)
{
	struct ynl_dump_state yds = {};
	struct nlmsghdr *nlh;
	int err;

	yds.yarg.ys = ys;
	yds.yarg.rsp_policy = &vhost_shmem_ctx_nest;
	yds.yarg.data = NULL;
	yds.alloc_sz = sizeof(struct vhost_shmem_ctx_get_list);
	yds.cb = vhost_shmem_ctx_get_rsp_parse;
	yds.rsp_cmd = VHOST_SHMEM_CMD_CTX_GET;

	nlh = ynl_gemsg_start_dump(ys, ys->family_id, VHOST_SHMEM_CMD_CTX_GET, 1);
	ys->req_policy = &vhost_shmem_ctx_nest;
	ys->req_hdr_len = ys->family->hdr_len;

	if (req->_present.id)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_CTX_ID, req->id);

	err = ynl_exec_dump(ys, nlh, &yds);
	if (err < 0)
		goto free_list;

	return yds.first;

free_list:
	vhost_shmem_ctx_get_list_free(yds.first);
	return NULL;
}

/* VHOST_SHMEM_CMD_CTX_GET - notify */
void vhost_shmem_ctx_get_ntf_free(struct vhost_shmem_ctx_get_ntf *rsp)
{
	free(rsp->obj.comm);
	vhost_shmem_stats_free(&rsp->obj.stats);
	free(rsp);
}

/* ============== VHOST_SHMEM_CMD_REGION_GET ============== */
/* VHOST_SHMEM_CMD_REGION_GET - do */
void vhost_shmem_region_get_req_free(struct vhost_shmem_region_get_req *req)
{
	free(req);
}

void vhost_shmem_region_get_rsp_free(struct vhost_shmem_region_get_rsp *rsp)
{
	free(rsp);
}

int vhost_shmem_region_get_rsp_parse(const struct nlmsghdr *nlh,
				     struct ynl_parse_arg *yarg)
{
	struct vhost_shmem_region_get_rsp *dst;
	const struct nlattr *attr;

	dst = yarg->data;

	ynl_attr_for_each(attr, nlh, yarg->ys->family->hdr_len) {
		unsigned int type = ynl_attr_type(attr);

		if (type == VHOST_SHMEM_A_REGION_CTX_ID) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.ctx_id = 1;
			dst->ctx_id = ynl_attr_get_u32(attr);
		} else if (type == VHOST_SHMEM_A_REGION_SHMID) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.shmid = 1;
			dst->shmid = ynl_attr_get_u32(attr);
		} else if (type == VHOST_SHMEM_A_REGION_LENGTH) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.length = 1;
			dst->length = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_REGION_NR_MAPPINGS) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.nr_mappings = 1;
			dst->nr_mappings = ynl_attr_get_u32(attr);
		} else if (type == VHOST_SHMEM_A_REGION_MAPPED) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.mapped = 1;
			dst->mapped = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_REGION_RESIDENT) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.resident = 1;
			dst->resident = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_REGION_PINNED) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.pinned = 1;
			dst->pinned = ynl_attr_get_uint(attr);
		}
	}

	return YNL_PARSE_CB_OK;
}

struct vhost_shmem_region_get_rsp *
vhost_shmem_region_get(struct ynl_sock *ys,
		       struct vhost_shmem_region_get_req *req)
{
	struct ynl_req_state yrs = { .yarg = { .ys = ys, }, };
	struct vhost_shmem_region_get_rsp *rsp;
	struct nlmsghdr *nlh;
	int err;

	nlh = ynl_gemsg_start_req(ys, ys->family_id, VHOST_SHMEM_CMD_REGION_GET, 1);
	ys->req_policy = &vhost_shmem_region_nest;
	ys->req_hdr_len = ys->family->hdr_len;
	yrs.yarg.rsp_policy = &vhost_shmem_region_nest;

	if (req->_present.ctx_id)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_REGION_CTX_ID, req->ctx_id);
	if (req->_present.shmid)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_REGION_SHMID, req->shmid);

	rsp = calloc(1, sizeof(*rsp));
	if (!rsp)
		return NULL;
	yrs.yarg.data = rsp;
	yrs.cb = vhost_shmem_region_get_rsp_parse;
	yrs.rsp_cmd = VHOST_SHMEM_CMD_REGION_GET;

	err = ynl_exec(ys, nlh, &yrs);
	if (err < 0)
		goto err_free;

	return rsp;

err_free:
	vhost_shmem_region_get_rsp_free(rsp);
	return NULL;
}

/* VHOST_SHMEM_CMD_REGION_GET - dump */
void
vhost_shmem_region_get_req_dump_free(struct vhost_shmem_region_get_req_dump *req)
{
	free(req);
}

void vhost_shmem_region_get_list_free(struct vhost_shmem_region_get_list *rsp)
{
	struct vhost_shmem_region_get_list *next = rsp;

	if (!next)
		return;

	while ((void *)next != YNL_LIST_END) {
		rsp = next;
		next = rsp->next;

		free(rsp);
	}
}

struct vhost_shmem_region_get_list *
vhost_shmem_region_get_dump(struct ynl_sock *ys,
			    struct vhost_shmem_region_get_req_dump *req)
{
	struct ynl_dump_state yds = {};
	struct nlmsghdr *nlh;
	int err;

	yds.yarg.ys = ys;
	yds.yarg.rsp_policy = &vhost_shmem_region_nest;
	yds.yarg.data = NULL;
	yds.alloc_sz = sizeof(struct vhost_shmem_region_get_list);
	yds.cb = vhost_shmem_region_get_rsp_parse;
	yds.rsp_cmd = VHOST_SHMEM_CMD_REGION_GET;

	nlh = ynl_gemsg_start_dump(ys, ys->family_id, VHOST_SHMEM_CMD_REGION_GET, 1);
	ys->req_policy = &vhost_shmem_region_nest;
	ys->req_hdr_len = ys->family->hdr_len;

	if (req->_present.ctx_id)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_REGION_CTX_ID, req->ctx_id);
	if (req->_present.shmid)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_REGION_SHMID, req->shmid);

	err = ynl_exec_dump(ys, nlh, &yds);
	if (err < 0)
		goto free_list;

	return yds.first;

free_list:
	vhost_shmem_region_get_list_free(yds.first);
	return NULL;
}

/* VHOST_SHMEM_CMD_REGION_GET - notify */
void vhost_shmem_region_get_ntf_free(struct vhost_shmem_region_get_ntf *rsp)
{
	free(rsp);
}

/* ============== VHOST_SHMEM_CMD_MAPPING_GET ============== */
/* VHOST_SHMEM_CMD_MAPPING_GET - do */
void vhost_shmem_mapping_get_req_free(struct vhost_shmem_mapping_get_req *req)
{
	free(req);
}

void vhost_shmem_mapping_get_rsp_free(struct vhost_shmem_mapping_get_rsp *rsp)
{
	free(rsp);
}

int vhost_shmem_mapping_get_rsp_parse(const struct nlmsghdr *nlh,
				      struct ynl_parse_arg *yarg)
{
	struct vhost_shmem_mapping_get_rsp *dst;
	const struct nlattr *attr;

	dst = yarg->data;

	ynl_attr_for_each(attr, nlh, yarg->ys->family->hdr_len) {
		unsigned int type = ynl_attr_type(attr);

		if (type == VHOST_SHMEM_A_MAPPING_CTX_ID) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.ctx_id = 1;
			dst->ctx_id = ynl_attr_get_u32(attr);
		} else if (type == VHOST_SHMEM_A_MAPPING_SHMID) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.shmid = 1;
			dst->shmid = ynl_attr_get_u32(attr);
		} else if (type == VHOST_SHMEM_A_MAPPING_SHM_OFFSET) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.shm_offset = 1;
			dst->shm_offset = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_MAPPING_LEN) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.len = 1;
			dst->len = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_MAPPING_FLAGS) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.flags = 1;
			dst->flags = ynl_attr_get_u32(attr);
		} else if (type == VHOST_SHMEM_A_MAPPING_FD_OFFSET) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.fd_offset = 1;
			dst->fd_offset = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_MAPPING_DEV) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.dev = 1;
			dst->dev = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_MAPPING_INO) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.ino = 1;
			dst->ino = ynl_attr_get_uint(attr);
		} else if (type == VHOST_SHMEM_A_MAPPING_RESIDENT) {
			if (ynl_attr_validate(yarg, attr))
				return YNL_PARSE_CB_ERROR;
			dst->_present.resident = 1;
			dst->resident = ynl_attr_get_uint(attr);
		}
	}

	return YNL_PARSE_CB_OK;
}

struct vhost_shmem_mapping_get_rsp *
vhost_shmem_mapping_get(struct ynl_sock *ys,
			struct vhost_shmem_mapping_get_req *req)
{
	struct ynl_req_state yrs = { .yarg = { .ys = ys, }, };
	struct vhost_shmem_mapping_get_rsp *rsp;
	struct nlmsghdr *nlh;
	int err;

	nlh = ynl_gemsg_start_req(ys, ys->family_id, VHOST_SHMEM_CMD_MAPPING_GET, 1);
	ys->req_policy = &vhost_shmem_mapping_nest;
	ys->req_hdr_len = ys->family->hdr_len;
	yrs.yarg.rsp_policy = &vhost_shmem_mapping_nest;

	if (req->_present.ctx_id)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_MAPPING_CTX_ID, req->ctx_id);
	if (req->_present.shmid)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_MAPPING_SHMID, req->shmid);
	if (req->_present.shm_offset)
		ynl_attr_put_uint(nlh, VHOST_SHMEM_A_MAPPING_SHM_OFFSET, req->shm_offset);

	rsp = calloc(1, sizeof(*rsp));
	if (!rsp)
		return NULL;
	yrs.yarg.data = rsp;
	yrs.cb = vhost_shmem_mapping_get_rsp_parse;
	yrs.rsp_cmd = VHOST_SHMEM_CMD_MAPPING_GET;

	err = ynl_exec(ys, nlh, &yrs);
	if (err < 0)
		goto err_free;

	return rsp;

err_free:
	vhost_shmem_mapping_get_rsp_free(rsp);
	return NULL;
}

/* VHOST_SHMEM_CMD_MAPPING_GET - dump */
void
vhost_shmem_mapping_get_req_dump_free(struct vhost_shmem_mapping_get_req_dump *req)
{
	free(req);
}

void
vhost_shmem_mapping_get_list_free(struct vhost_shmem_mapping_get_list *rsp)
{
	struct vhost_shmem_mapping_get_list *next = rsp;

	if (!next)
		return;

	while ((void *)next != YNL_LIST_END) {
		rsp = next;
		next = rsp->next;

		free(rsp);
	}
}

struct vhost_shmem_mapping_get_list *
vhost_shmem_mapping_get_dump(struct ynl_sock *ys,
			     struct vhost_shmem_mapping_get_req_dump *req)
{
	struct ynl_dump_state yds = {};
	struct nlmsghdr *nlh;
	int err;

	yds.yarg.ys = ys;
	yds.yarg.rsp_policy = &vhost_shmem_mapping_nest;
	yds.yarg.data = NULL;
	yds.alloc_sz = sizeof(struct vhost_shmem_mapping_get_list);
	yds.cb = vhost_shmem_mapping_get_rsp_parse;
	yds.rsp_cmd = VHOST_SHMEM_CMD_MAPPING_GET;

	nlh = ynl_gemsg_start_dump(ys, ys->family_id, VHOST_SHMEM_CMD_MAPPING_GET, 1);
	ys->req_policy = &vhost_shmem_mapping_nest;
	ys->req_hdr_len = ys->family->hdr_len;

	if (req->_present.ctx_id)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_MAPPING_CTX_ID, req->ctx_id);
	if (req->_present.shmid)
		ynl_attr_put_u32(nlh, VHOST_SHMEM_A_MAPPING_SHMID, req->shmid);
	if (req->_present.shm_offset)
		ynl_attr_put_uint(nlh, VHOST_SHMEM_A_MAPPING_SHM_OFFSET, req->shm_offset);

	err = ynl_exec_dump(ys, nlh, &yds);
	if (err < 0)
		goto free_list;

	return yds.first;

free_list:
	vhost_shmem_mapping_get_list_free(yds.first);
	return NULL;
}

/* VHOST_SHMEM_CMD_MAPPING_GET - notify */
void vhost_shmem_mapping_get_ntf_free(struct vhost_shmem_mapping_get_ntf *rsp)
{
	free(rsp);
}

static const struct ynl_ntf_info vhost_shmem_ntf_info[] =  {
	[VHOST_SHMEM_CMD_CTX_ADD_NTF] =  {
		.alloc_sz	= sizeof(struct vhost_shmem_ctx_get_ntf),
		.cb		= vhost_shmem_ctx_get_rsp_parse,
		.policy		= &vhost_shmem_ctx_nest,
		.free		= (void *)vhost_shmem_ctx_get_ntf_free,
	},
	[VHOST_SHMEM_CMD_CTX_DEL_NTF] =  {
		.alloc_sz	= sizeof(struct vhost_shmem_ctx_get_ntf),
		.cb		= vhost_shmem_ctx_get_rsp_parse,
		.policy		= &vhost_shmem_ctx_nest,
		.free		= (void *)vhost_shmem_ctx_get_ntf_free,
	},
	[VHOST_SHMEM_CMD_CTX_RESET_NTF] =  {
		.alloc_sz	= sizeof(struct vhost_shmem_ctx_get_ntf),
		.cb		= vhost_shmem_ctx_get_rsp_parse,
		.policy		= &vhost_shmem_ctx_nest,
		.free		= (void *)vhost_shmem_ctx_get_ntf_free,
	},
	[VHOST_SHMEM_CMD_REGION_ADD_NTF] =  {
		.alloc_sz	= sizeof(struct vhost_shmem_region_get_ntf),
		.cb		= vhost_shmem_region_get_rsp_parse,
		.policy		= &vhost_shmem_region_nest,
		.free		= (void *)vhost_shmem_region_get_ntf_free,
	},
	[VHOST_SHMEM_CMD_REGION_DEL_NTF] =  {
		.alloc_sz	= sizeof(struct vhost_shmem_region_get_ntf),
		.cb		= vhost_shmem_region_get_rsp_parse,
		.policy		= &vhost_shmem_region_nest,
		.free		= (void *)vhost_shmem_region_get_ntf_free,
	},
	[VHOST_SHMEM_CMD_MAPPING_ADD_NTF] =  {
		.alloc_sz	= sizeof(struct vhost_shmem_mapping_get_ntf),
		.cb		= vhost_shmem_mapping_get_rsp_parse,
		.policy		= &vhost_shmem_mapping_nest,
		.free		= (void *)vhost_shmem_mapping_get_ntf_free,
	},
	[VHOST_SHMEM_CMD_MAPPING_DEL_NTF] =  {
		.alloc_sz	= sizeof(struct vhost_shmem_mapping_get_ntf),
		.cb		= vhost_shmem_mapping_get_rsp_parse,
		.policy		= &vhost_shmem_mapping_nest,
		.free		= (void *)vhost_shmem_mapping_get_ntf_free,
	},
};

const struct ynl_family ynl_vhost_shmem_family =  {
	.name		= "vhost_shmem",
	.hdr_len	= sizeof(struct genlmsghdr),
	.ntf_info	= vhost_shmem_ntf_info,
	.ntf_info_size	= YNL_ARRAY_SIZE(vhost_shmem_ntf_info),
};
