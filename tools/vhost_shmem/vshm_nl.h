/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vshm_nl: a client of the vhost-shmem generic netlink family, on the YNL C
 * library (tools/net/ynl/lib of the kernel) and the family's user code that
 * the YNL generator makes from Documentation/netlink/specs/vhost_shmem.yaml
 * (vhost_shmem-user.[ch]): the attributes are parsed by the generated code.
 *
 * Used by vshmctl and the selftests.  It flattens every message of the
 * family, whether a dump reply or an event, into one struct vshm_nl_msg and
 * hands it to a callback.  Functions return 0 or a negative errno.
 */
#ifndef VSHM_NL_H
#define VSHM_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/vhost_shmem.h>
#include <linux/vhost_shmem_netlink.h>

struct vshm_nl;

/* What a message carried, beside the context id: bits of @present. */
enum {
	VSHM_NL_F_PID		= 1 << 0,	/* pid, comm, created */
	VSHM_NL_F_STATE		= 1 << 1,	/* nr_regions, stats */
	VSHM_NL_F_SHMID		= 1 << 2,
	VSHM_NL_F_SIZE		= 1 << 3,	/* size, nr_mappings, mapped */
	VSHM_NL_F_RANGE		= 1 << 4,	/* shm_offset, len */
	VSHM_NL_F_FILE		= 1 << 5,	/* flags, fd_offset, dev, ino */
	VSHM_NL_F_RESIDENT	= 1 << 6,
};

#define VSHM_NL_HAS(m, f)	(!!((m)->present & (f)))

/**
 * struct vshm_nl_msg - one message of the family, decoded
 * @cmd: VHOST_SHMEM_CMD_*: *_GET for a dump reply, *_NTF for an event.
 * @dump_intr: a dump reply written after contexts changed mid-dump.
 * @present: what the message carried, VSHM_NL_F_*, see VSHM_NL_HAS().
 * @stats_present: the counters it carried: bit (1ULL << VHOST_SHMEM_A_STATS_*).
 * The other members are the attributes of the same name (@size: the
 * region's length).
 */
struct vshm_nl_msg {
	__u8 cmd;
	bool dump_intr;
	__u64 present;
	__u64 stats_present;
	__u32 ctx_id;
	__u32 pid;
	char comm[32];
	__u64 created;
	__u32 nr_regions;
	__u64 stats[VHOST_SHMEM_A_STATS_MAX + 1];
	__u32 shmid;
	__u64 size;
	__u32 nr_mappings;
	__u64 mapped;
	__u64 resident;
	__u64 pinned;
	__u64 shm_offset;
	__u64 len;
	__u32 flags;
	__u64 fd_offset;
	__u64 dev;
	__u64 ino;
};

/* Return non-zero to stop: vshm_nl_dump()/vshm_nl_listen() return it. */
typedef int (*vshm_nl_cb)(const struct vshm_nl_msg *msg, void *arg);

/**
 * struct vshm_nl_msgs - messages kept in the order they came
 * @m: the messages; free() it.
 * @n: how many.
 * @cap: room in @m.
 * @intr: one of them had NLM_F_DUMP_INTR.
 */
struct vshm_nl_msgs {
	struct vshm_nl_msg *m;
	size_t n, cap;
	bool intr;
};

/* A vshm_nl_cb that appends to the struct vshm_nl_msgs @arg; -ENOMEM. */
int vshm_nl_collect(const struct vshm_nl_msg *msg, void *arg);

/**
 * struct vshm_nl_filter - what a dump describes
 * @ctx_id: only this context, when not 0 (the kernel filters).
 * @pid: only contexts of this process, when not 0 (filtered here: the
 *	 regions and mappings of contexts whose pid the context dump showed).
 * @no_mappings: leave the mappings out.
 */
struct vshm_nl_filter {
	__u32 ctx_id;
	__u32 pid;
	bool no_mappings;
};

/*
 * Opens a generic netlink socket and resolves the family.  -ENOENT when
 * the family is not registered: the module is not loaded.
 */
int vshm_nl_open(struct vshm_nl **nlp);
void vshm_nl_close(struct vshm_nl *nl);

/*
 * Dumps what @filter selects (NULL: every context the caller may see):
 * ctx-get, region-get, then (unless @filter->no_mappings) mapping-get,
 * each in the kernel's order, handing @cb each message as it comes.
 * -EINTR when a dump raced with changes (NLM_F_DUMP_INTR): @cb saw every
 * message anyway.  Use a handle that has not joined the events group.
 */
int vshm_nl_dump(struct vshm_nl *nl, const struct vshm_nl_filter *filter,
		 vshm_nl_cb cb, void *arg);

/*
 * One dump of command @cmd (VHOST_SHMEM_CMD_*_GET), request attributes
 * from @filter (@ctx_id, and @shmid when @has_shmid), as vshm_nl_dump().
 */
int vshm_nl_dump_cmd(struct vshm_nl *nl, __u8 cmd, __u32 ctx_id,
		     bool has_shmid, __u32 shmid, vshm_nl_cb cb, void *arg);

/*
 * Orders collected dump replies as a tree: each context, then each of its
 * regions followed by that region's mappings.
 */
void vshm_nl_msgs_sort(struct vshm_nl_msgs *d);

/*
 * Replaces the content of @d by the mapping that starts at @shm_offset of
 * region @shmid of context @ctx_id, asked for with a do request (the
 * generated vhost_shmem_mapping_get()).  -ENOENT when there is none.
 */
int vshm_nl_get_mapping(struct vshm_nl *nl, __u32 ctx_id, __u32 shmid,
			__u64 shm_offset, struct vshm_nl_msgs *d);

/* Joins the events group: -EPERM without CAP_SYS_ADMIN. */
int vshm_nl_subscribe(struct vshm_nl *nl);

/*
 * Receives events until @cb returns non-zero or an error occurs; -ENOBUFS
 * when events were lost.  @timeout_ms >= 0 bounds the wait for each
 * message: -ETIMEDOUT when it passes.
 */
int vshm_nl_listen(struct vshm_nl *nl, int timeout_ms, vshm_nl_cb cb,
		   void *arg);

/*
 * Sends a raw request of @len bytes and returns the kernel's answer (0 or a
 * negative errno from its NLMSG_ERROR), for tests of malformed requests.
 */
int vshm_nl_raw_request(struct vshm_nl *nl, __u8 cmd, __u16 nlflags,
			const void *attrs, size_t len);

/* The family's id, for callers that build their own messages. */
int vshm_nl_family(struct vshm_nl *nl);

/* Name of event or reply command @cmd ("map", "unmap", ...). */
const char *vshm_nl_cmd_name(__u8 cmd);

/* Name of counter VHOST_SHMEM_A_STATS_* @attr ("maps", "faults", ...). */
const char *vshm_nl_stat_name(int attr);

#endif /* VSHM_NL_H */
