/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vhost_shmem.yaml */
/* YNL-GEN user header */
/* To regenerate run: tools/net/ynl/ynl-regen.sh */

#ifndef _LINUX_VHOST_SHMEM_GEN_H
#define _LINUX_VHOST_SHMEM_GEN_H

#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <linux/vhost_shmem_netlink.h>

struct ynl_sock;

extern const struct ynl_family ynl_vhost_shmem_family;

/* Enums */
const char *vhost_shmem_op_str(int op);

/* Common nested types */
struct vhost_shmem_stats {
	struct {
		__u32 region_creates:1;
		__u32 region_destroys:1;
		__u32 maps:1;
		__u32 unmaps:1;
		__u32 resets:1;
		__u32 faults:1;
	} _present;

	__u64 region_creates;
	__u64 region_destroys;
	__u64 maps;
	__u64 unmaps;
	__u64 resets;
	__u64 faults;
};

/* ============== VHOST_SHMEM_CMD_CTX_GET ============== */
/* VHOST_SHMEM_CMD_CTX_GET - do */
struct vhost_shmem_ctx_get_req {
	struct {
		__u32 id:1;
	} _present;

	__u32 id;
};

static inline struct vhost_shmem_ctx_get_req *
vhost_shmem_ctx_get_req_alloc(void)
{
	return calloc(1, sizeof(struct vhost_shmem_ctx_get_req));
}
void vhost_shmem_ctx_get_req_free(struct vhost_shmem_ctx_get_req *req);

static inline void
vhost_shmem_ctx_get_req_set_id(struct vhost_shmem_ctx_get_req *req, __u32 id)
{
	req->_present.id = 1;
	req->id = id;
}

struct vhost_shmem_ctx_get_rsp {
	struct {
		__u32 id:1;
		__u32 pid:1;
		__u32 created:1;
		__u32 nr_regions:1;
		__u32 stats:1;
	} _present;
	struct {
		__u32 comm;
	} _len;

	__u32 id;
	__u32 pid;
	char *comm;
	__u64 created;
	__u32 nr_regions;
	struct vhost_shmem_stats stats;
};

void vhost_shmem_ctx_get_rsp_free(struct vhost_shmem_ctx_get_rsp *rsp);

/*
 * Get a context (do: the one of the given id; dump: every visible context, or only the one of the given id, in increasing order of id).
 */
struct vhost_shmem_ctx_get_rsp *
vhost_shmem_ctx_get(struct ynl_sock *ys, struct vhost_shmem_ctx_get_req *req);

/* VHOST_SHMEM_CMD_CTX_GET - dump */
struct vhost_shmem_ctx_get_req_dump {
	struct {
		__u32 id:1;
	} _present;

	__u32 id;
};

static inline struct vhost_shmem_ctx_get_req_dump *
vhost_shmem_ctx_get_req_dump_alloc(void)
{
	return calloc(1, sizeof(struct vhost_shmem_ctx_get_req_dump));
}
void
vhost_shmem_ctx_get_req_dump_free(struct vhost_shmem_ctx_get_req_dump *req);

static inline void
vhost_shmem_ctx_get_req_dump_set_id(struct vhost_shmem_ctx_get_req_dump *req,
				    __u32 id)
{
	req->_present.id = 1;
	req->id = id;
}

struct vhost_shmem_ctx_get_list {
	struct vhost_shmem_ctx_get_list *next;
	struct vhost_shmem_ctx_get_rsp obj __attribute__((aligned(8)));
};

void vhost_shmem_ctx_get_list_free(struct vhost_shmem_ctx_get_list *rsp);

struct vhost_shmem_ctx_get_list *
vhost_shmem_ctx_get_dump(struct ynl_sock *ys,
			 struct vhost_shmem_ctx_get_req_dump *req);

/* VHOST_SHMEM_CMD_CTX_GET - notify */
struct vhost_shmem_ctx_get_ntf {
	__u16 family;
	__u8 cmd;
	struct ynl_ntf_base_type *next;
	void (*free)(struct vhost_shmem_ctx_get_ntf *ntf);
	struct vhost_shmem_ctx_get_rsp obj __attribute__((aligned(8)));
};

void vhost_shmem_ctx_get_ntf_free(struct vhost_shmem_ctx_get_ntf *rsp);

/* ============== VHOST_SHMEM_CMD_REGION_GET ============== */
/* VHOST_SHMEM_CMD_REGION_GET - do */
struct vhost_shmem_region_get_req {
	struct {
		__u32 ctx_id:1;
		__u32 shmid:1;
	} _present;

	__u32 ctx_id;
	__u32 shmid;
};

static inline struct vhost_shmem_region_get_req *
vhost_shmem_region_get_req_alloc(void)
{
	return calloc(1, sizeof(struct vhost_shmem_region_get_req));
}
void vhost_shmem_region_get_req_free(struct vhost_shmem_region_get_req *req);

static inline void
vhost_shmem_region_get_req_set_ctx_id(struct vhost_shmem_region_get_req *req,
				      __u32 ctx_id)
{
	req->_present.ctx_id = 1;
	req->ctx_id = ctx_id;
}
static inline void
vhost_shmem_region_get_req_set_shmid(struct vhost_shmem_region_get_req *req,
				     __u32 shmid)
{
	req->_present.shmid = 1;
	req->shmid = shmid;
}

struct vhost_shmem_region_get_rsp {
	struct {
		__u32 ctx_id:1;
		__u32 shmid:1;
		__u32 length:1;
		__u32 nr_mappings:1;
		__u32 mapped:1;
		__u32 resident:1;
		__u32 pinned:1;
	} _present;

	__u32 ctx_id;
	__u32 shmid;
	__u64 length;
	__u32 nr_mappings;
	__u64 mapped;
	__u64 resident;
	__u64 pinned;
};

void vhost_shmem_region_get_rsp_free(struct vhost_shmem_region_get_rsp *rsp);

/*
 * Get a region (do: the one of the given context and shmid; dump: every region of the visible contexts, or of the given context, or only the given region, in increasing order of context id and shmid).
 */
struct vhost_shmem_region_get_rsp *
vhost_shmem_region_get(struct ynl_sock *ys,
		       struct vhost_shmem_region_get_req *req);

/* VHOST_SHMEM_CMD_REGION_GET - dump */
struct vhost_shmem_region_get_req_dump {
	struct {
		__u32 ctx_id:1;
		__u32 shmid:1;
	} _present;

	__u32 ctx_id;
	__u32 shmid;
};

static inline struct vhost_shmem_region_get_req_dump *
vhost_shmem_region_get_req_dump_alloc(void)
{
	return calloc(1, sizeof(struct vhost_shmem_region_get_req_dump));
}
void
vhost_shmem_region_get_req_dump_free(struct vhost_shmem_region_get_req_dump *req);

static inline void
vhost_shmem_region_get_req_dump_set_ctx_id(struct vhost_shmem_region_get_req_dump *req,
					   __u32 ctx_id)
{
	req->_present.ctx_id = 1;
	req->ctx_id = ctx_id;
}
static inline void
vhost_shmem_region_get_req_dump_set_shmid(struct vhost_shmem_region_get_req_dump *req,
					  __u32 shmid)
{
	req->_present.shmid = 1;
	req->shmid = shmid;
}

struct vhost_shmem_region_get_list {
	struct vhost_shmem_region_get_list *next;
	struct vhost_shmem_region_get_rsp obj __attribute__((aligned(8)));
};

void vhost_shmem_region_get_list_free(struct vhost_shmem_region_get_list *rsp);

struct vhost_shmem_region_get_list *
vhost_shmem_region_get_dump(struct ynl_sock *ys,
			    struct vhost_shmem_region_get_req_dump *req);

/* VHOST_SHMEM_CMD_REGION_GET - notify */
struct vhost_shmem_region_get_ntf {
	__u16 family;
	__u8 cmd;
	struct ynl_ntf_base_type *next;
	void (*free)(struct vhost_shmem_region_get_ntf *ntf);
	struct vhost_shmem_region_get_rsp obj __attribute__((aligned(8)));
};

void vhost_shmem_region_get_ntf_free(struct vhost_shmem_region_get_ntf *rsp);

/* ============== VHOST_SHMEM_CMD_MAPPING_GET ============== */
/* VHOST_SHMEM_CMD_MAPPING_GET - do */
struct vhost_shmem_mapping_get_req {
	struct {
		__u32 ctx_id:1;
		__u32 shmid:1;
		__u32 shm_offset:1;
	} _present;

	__u32 ctx_id;
	__u32 shmid;
	__u64 shm_offset;
};

static inline struct vhost_shmem_mapping_get_req *
vhost_shmem_mapping_get_req_alloc(void)
{
	return calloc(1, sizeof(struct vhost_shmem_mapping_get_req));
}
void vhost_shmem_mapping_get_req_free(struct vhost_shmem_mapping_get_req *req);

static inline void
vhost_shmem_mapping_get_req_set_ctx_id(struct vhost_shmem_mapping_get_req *req,
				       __u32 ctx_id)
{
	req->_present.ctx_id = 1;
	req->ctx_id = ctx_id;
}
static inline void
vhost_shmem_mapping_get_req_set_shmid(struct vhost_shmem_mapping_get_req *req,
				      __u32 shmid)
{
	req->_present.shmid = 1;
	req->shmid = shmid;
}
static inline void
vhost_shmem_mapping_get_req_set_shm_offset(struct vhost_shmem_mapping_get_req *req,
					   __u64 shm_offset)
{
	req->_present.shm_offset = 1;
	req->shm_offset = shm_offset;
}

struct vhost_shmem_mapping_get_rsp {
	struct {
		__u32 ctx_id:1;
		__u32 shmid:1;
		__u32 shm_offset:1;
		__u32 len:1;
		__u32 flags:1;
		__u32 fd_offset:1;
		__u32 dev:1;
		__u32 ino:1;
		__u32 resident:1;
	} _present;

	__u32 ctx_id;
	__u32 shmid;
	__u64 shm_offset;
	__u64 len;
	__u32 flags;
	__u64 fd_offset;
	__u64 dev;
	__u64 ino;
	__u64 resident;
};

void vhost_shmem_mapping_get_rsp_free(struct vhost_shmem_mapping_get_rsp *rsp);

/*
 * Get a mapping (do: the one that starts at shm-offset in the given region; dump: every mapping of the visible contexts, or of the given context, or of the given region, or only the one that starts at shm-offset, in increasing order of context id, shmid and offset).
 */
struct vhost_shmem_mapping_get_rsp *
vhost_shmem_mapping_get(struct ynl_sock *ys,
			struct vhost_shmem_mapping_get_req *req);

/* VHOST_SHMEM_CMD_MAPPING_GET - dump */
struct vhost_shmem_mapping_get_req_dump {
	struct {
		__u32 ctx_id:1;
		__u32 shmid:1;
		__u32 shm_offset:1;
	} _present;

	__u32 ctx_id;
	__u32 shmid;
	__u64 shm_offset;
};

static inline struct vhost_shmem_mapping_get_req_dump *
vhost_shmem_mapping_get_req_dump_alloc(void)
{
	return calloc(1, sizeof(struct vhost_shmem_mapping_get_req_dump));
}
void
vhost_shmem_mapping_get_req_dump_free(struct vhost_shmem_mapping_get_req_dump *req);

static inline void
vhost_shmem_mapping_get_req_dump_set_ctx_id(struct vhost_shmem_mapping_get_req_dump *req,
					    __u32 ctx_id)
{
	req->_present.ctx_id = 1;
	req->ctx_id = ctx_id;
}
static inline void
vhost_shmem_mapping_get_req_dump_set_shmid(struct vhost_shmem_mapping_get_req_dump *req,
					   __u32 shmid)
{
	req->_present.shmid = 1;
	req->shmid = shmid;
}
static inline void
vhost_shmem_mapping_get_req_dump_set_shm_offset(struct vhost_shmem_mapping_get_req_dump *req,
						__u64 shm_offset)
{
	req->_present.shm_offset = 1;
	req->shm_offset = shm_offset;
}

struct vhost_shmem_mapping_get_list {
	struct vhost_shmem_mapping_get_list *next;
	struct vhost_shmem_mapping_get_rsp obj __attribute__((aligned(8)));
};

void
vhost_shmem_mapping_get_list_free(struct vhost_shmem_mapping_get_list *rsp);

struct vhost_shmem_mapping_get_list *
vhost_shmem_mapping_get_dump(struct ynl_sock *ys,
			     struct vhost_shmem_mapping_get_req_dump *req);

/* VHOST_SHMEM_CMD_MAPPING_GET - notify */
struct vhost_shmem_mapping_get_ntf {
	__u16 family;
	__u8 cmd;
	struct ynl_ntf_base_type *next;
	void (*free)(struct vhost_shmem_mapping_get_ntf *ntf);
	struct vhost_shmem_mapping_get_rsp obj __attribute__((aligned(8)));
};

void vhost_shmem_mapping_get_ntf_free(struct vhost_shmem_mapping_get_ntf *rsp);

#endif /* _LINUX_VHOST_SHMEM_GEN_H */
