/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost-shmem tracepoints: every operation with its result, every fault of
 * a window, and every refusal with its reason.  They replace failure
 * counters: `perf trace -e vhost_shmem:*`, trace-cmd or bpftrace say which
 * check refused which request, and the netlink family keeps the counters a
 * user acts on.
 */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM vhost_shmem

#if !defined(_VHOST_SHMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VHOST_SHMEM_TRACE_H

#include <linux/mm_types.h>
#include <linux/tracepoint.h>

#include "vhost_shmem_private.h"

TRACE_DEFINE_ENUM(VHOST_SHMEM_OP_GET_INFO);
TRACE_DEFINE_ENUM(VHOST_SHMEM_OP_REGION_CREATE);
TRACE_DEFINE_ENUM(VHOST_SHMEM_OP_REGION_DESTROY);
TRACE_DEFINE_ENUM(VHOST_SHMEM_OP_REGION_INFO);
TRACE_DEFINE_ENUM(VHOST_SHMEM_OP_MAP);
TRACE_DEFINE_ENUM(VHOST_SHMEM_OP_UNMAP);
TRACE_DEFINE_ENUM(VHOST_SHMEM_OP_RELAY);

TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_NONE);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_FLAGS);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_SHMID);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_LENGTH);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_RANGE);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_OUTSIDE);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_FILE_OFFSET);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_NO_REGION);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_REGION_EXISTS);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_OVERLAP);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_LIMIT);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_NOT_A_MAPPING);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_BAD_FD);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_FILE_KIND);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_MMAP);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_RW_BACKING);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_ACCESS);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_SWAPFILE);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_SEALED);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_NOMEM);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_MEMLOCK);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_ARG);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_MESSAGE);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_NOT_MAPPED);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_ZERO_HOLE);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_EOF);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_READ);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_POISON);
TRACE_DEFINE_ENUM(VHOST_SHMEM_WHY_READ_ONLY);

#define show_vhost_shmem_op(op)					\
	__print_symbolic(op,						\
			 { VHOST_SHMEM_OP_GET_INFO, "get_info" }, \
			 { VHOST_SHMEM_OP_REGION_CREATE, "region_create" }, \
			 { VHOST_SHMEM_OP_REGION_DESTROY, "region_destroy" }, \
			 { VHOST_SHMEM_OP_REGION_INFO, "region_info" }, \
			 { VHOST_SHMEM_OP_MAP, "map" }, \
			 { VHOST_SHMEM_OP_UNMAP, "unmap" }, \
			 { VHOST_SHMEM_OP_RELAY, "relay" })

#define show_vhost_shmem_why(why)					\
	__print_symbolic(why,						\
			 { VHOST_SHMEM_WHY_NONE, "none" }, \
			 { VHOST_SHMEM_WHY_FLAGS, "unknown_flag" }, \
			 { VHOST_SHMEM_WHY_SHMID, "shmid_range" }, \
			 { VHOST_SHMEM_WHY_LENGTH, "region_length" }, \
			 { VHOST_SHMEM_WHY_RANGE, "range" }, \
			 { VHOST_SHMEM_WHY_OUTSIDE, "outside_region" }, \
			 { VHOST_SHMEM_WHY_FILE_OFFSET, "file_offset" }, \
			 { VHOST_SHMEM_WHY_NO_REGION, "no_region" }, \
			 { VHOST_SHMEM_WHY_REGION_EXISTS, "region_exists" }, \
			 { VHOST_SHMEM_WHY_OVERLAP, "overlap" }, \
			 { VHOST_SHMEM_WHY_LIMIT, "limit" }, \
			 { VHOST_SHMEM_WHY_NOT_A_MAPPING, "not_a_mapping" }, \
			 { VHOST_SHMEM_WHY_BAD_FD, "bad_fd" }, \
			 { VHOST_SHMEM_WHY_FILE_KIND, "file_kind" }, \
			 { VHOST_SHMEM_WHY_MMAP, "mmap_refused" }, \
			 { VHOST_SHMEM_WHY_RW_BACKING, "rw_backing_store" }, \
			 { VHOST_SHMEM_WHY_ACCESS, "file_access" }, \
			 { VHOST_SHMEM_WHY_SWAPFILE, "swapfile" }, \
			 { VHOST_SHMEM_WHY_SEALED, "sealed" }, \
			 { VHOST_SHMEM_WHY_NOMEM, "nomem" }, \
			 { VHOST_SHMEM_WHY_MEMLOCK, "memlock_limit" }, \
			 { VHOST_SHMEM_WHY_ARG, "argument" }, \
			 { VHOST_SHMEM_WHY_MESSAGE, "message" }, \
			 { VHOST_SHMEM_WHY_NOT_MAPPED, "not_mapped" }, \
			 { VHOST_SHMEM_WHY_ZERO_HOLE, "zero_hole" }, \
			 { VHOST_SHMEM_WHY_EOF, "past_eof" }, \
			 { VHOST_SHMEM_WHY_READ, "read_error" }, \
			 { VHOST_SHMEM_WHY_POISON, "poisoned" }, \
			 { VHOST_SHMEM_WHY_READ_ONLY, "read_only" })

TRACE_EVENT(vhost_shmem_refuse,
	TP_PROTO(u32 ctx_id, enum vhost_shmem_op op, enum vhost_shmem_why why,
		 int err),
	TP_ARGS(ctx_id, op, why, err),

	TP_STRUCT__entry(
		__field(u32, ctx_id)
		__field(int, op)
		__field(int, why)
		__field(int, err)
	),

	TP_fast_assign(
		__entry->ctx_id = ctx_id;
		__entry->op = op;
		__entry->why = why;
		__entry->err = err;
	),

	TP_printk("ctx=%u op=%s why=%s err=%d", __entry->ctx_id,
		  show_vhost_shmem_op(__entry->op),
		  show_vhost_shmem_why(__entry->why),
		  __entry->err)
);

TRACE_EVENT(vhost_shmem_region,
	TP_PROTO(u32 ctx_id, bool create, u32 shmid, u64 length, int ret),
	TP_ARGS(ctx_id, create, shmid, length, ret),

	TP_STRUCT__entry(
		__field(u32, ctx_id)
		__field(bool, create)
		__field(u32, shmid)
		__field(u64, length)
		__field(int, ret)
	),

	TP_fast_assign(
		__entry->ctx_id = ctx_id;
		__entry->create = create;
		__entry->shmid = shmid;
		__entry->length = length;
		__entry->ret = ret;
	),

	TP_printk("ctx=%u %s shmid=%u length=%#llx ret=%d", __entry->ctx_id,
		  __entry->create ? "create" : "destroy", __entry->shmid,
		  __entry->length, __entry->ret)
);

TRACE_EVENT(vhost_shmem_map,
	TP_PROTO(u32 ctx_id, const struct vhost_shmem_map *args, bool relay,
		 int ret),
	TP_ARGS(ctx_id, args, relay, ret),

	TP_STRUCT__entry(
		__field(u32, ctx_id)
		__field(u32, shmid)
		__field(u32, flags)
		__field(bool, relay)
		__field(u64, shm_offset)
		__field(u64, len)
		__field(u64, fd_offset)
		__field(int, ret)
	),

	TP_fast_assign(
		__entry->ctx_id = ctx_id;
		__entry->shmid = args->shmid;
		__entry->flags = args->flags;
		__entry->relay = relay;
		__entry->shm_offset = args->shm_offset;
		__entry->len = args->len;
		__entry->fd_offset = args->fd_offset;
		__entry->ret = ret;
	),

	TP_printk("ctx=%u shmid=%u shm_offset=%#llx len=%#llx fd_offset=%#llx flags=%#x%s ret=%d",
		  __entry->ctx_id, __entry->shmid, __entry->shm_offset,
		  __entry->len, __entry->fd_offset, __entry->flags,
		  __entry->relay ? " relay" : "", __entry->ret)
);

TRACE_EVENT(vhost_shmem_unmap,
	TP_PROTO(u32 ctx_id, const struct vhost_shmem_unmap *args, bool relay,
		 int ret),
	TP_ARGS(ctx_id, args, relay, ret),

	TP_STRUCT__entry(
		__field(u32, ctx_id)
		__field(u32, shmid)
		__field(bool, relay)
		__field(u64, shm_offset)
		__field(u64, len)
		__field(int, ret)
	),

	TP_fast_assign(
		__entry->ctx_id = ctx_id;
		__entry->shmid = args->shmid;
		__entry->relay = relay;
		__entry->shm_offset = args->shm_offset;
		__entry->len = args->len;
		__entry->ret = ret;
	),

	TP_printk("ctx=%u shmid=%u shm_offset=%#llx len=%#llx%s ret=%d",
		  __entry->ctx_id, __entry->shmid, __entry->shm_offset,
		  __entry->len, __entry->relay ? " relay" : "", __entry->ret)
);

TRACE_EVENT(vhost_shmem_reset,
	TP_PROTO(u32 ctx_id),
	TP_ARGS(ctx_id),

	TP_STRUCT__entry(
		__field(u32, ctx_id)
	),

	TP_fast_assign(
		__entry->ctx_id = ctx_id;
	),

	TP_printk("ctx=%u", __entry->ctx_id)
);

TRACE_EVENT(vhost_shmem_fault,
	TP_PROTO(u32 ctx_id, pgoff_t pgoff, bool write, enum vhost_shmem_why why,
		 vm_fault_t ret, unsigned int order),
	TP_ARGS(ctx_id, pgoff, write, why, ret, order),

	TP_STRUCT__entry(
		__field(u32, ctx_id)
		__field(u32, shmid)
		__field(bool, write)
		__field(int, why)
		__field(u64, offset)
		__field(unsigned int, ret)
		__field(unsigned int, order)
	),

	TP_fast_assign(
		__entry->ctx_id = ctx_id;
		__entry->shmid = pgoff >> VHOST_SHMEM_REGION_PGSHIFT;
		__entry->write = write;
		__entry->why = why;
		__entry->offset = (u64)vhost_shmem_region_index(pgoff) <<
				  PAGE_SHIFT;
		__entry->ret = (__force unsigned int)ret;
		__entry->order = order;
	),

	TP_printk("ctx=%u shmid=%u offset=%#llx %s why=%s ret=%#x order=%u",
		  __entry->ctx_id, __entry->shmid, __entry->offset,
		  __entry->write ? "write" : "read",
		  show_vhost_shmem_why(__entry->why),
		  __entry->ret, __entry->order)
);

#endif /* _VHOST_SHMEM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace

#include <trace/define_trace.h>
