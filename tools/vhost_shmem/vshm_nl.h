/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vshm_nl: a client of the vhost_shmem generic netlink family, on libnl-3.
 *
 * Used by vshmctl and the selftests.  It decodes every message of the
 * family, whether a dump reply or an event, into one struct vshm_nl_msg and
 * hands it to a callback.  Functions return 0 or a negative errno.
 */
#ifndef VSHM_NL_H
#define VSHM_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/vhost_shmem.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

struct vshm_nl;

/* Which attributes a message carried: bit (1ULL << VHOST_SHMEM_A_*). */
#define VSHM_NL_HAS(m, attr)	(!!((m)->present & (1ULL << (attr))))

/**
 * struct vshm_nl_msg - one message of the family, decoded
 * @cmd: VHOST_SHMEM_CMD_*.
 * @dump_intr: a dump reply written after contexts changed mid-dump.
 * @present: the attributes the message carried, see VSHM_NL_HAS().
 * @stats_present: the counters it carried: bit (1ULL << VHOST_SHMEM_A_STAT_*).
 * The other members are the attributes of the same name.
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
	__u64 stats[VHOST_SHMEM_A_STAT_MAX + 1];
	__u32 shmid;
	__u64 size;
	__u32 nr_mappings;
	__u64 mapped;
	__u64 resident;
	__u64 shm_offset;
	__u64 len;
	__u64 flags;
	__u64 fd_offset;
	__u64 dev;
	__u64 ino;
};

/* Return non-zero to stop: vshm_nl_dump()/vshm_nl_listen() return it. */
typedef int (*vshm_nl_cb)(const struct vshm_nl_msg *msg, void *arg);

/**
 * struct vshm_nl_filter - what a dump describes
 * @ctx_id: only this context, when not 0.
 * @pid: only contexts of this process, when not 0.
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
 * Dumps the contexts @filter selects (NULL: every one the caller may see).
 * -EINTR when the dump raced with changes (NLM_F_DUMP_INTR): @cb saw every
 * message anyway.  Use a handle that has not joined the events group.
 */
int vshm_nl_dump(struct vshm_nl *nl, const struct vshm_nl_filter *filter,
		 vshm_nl_cb cb, void *arg);

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

/* Name of counter VHOST_SHMEM_A_STAT_* @attr ("maps", "fail_inval", ...). */
const char *vshm_nl_stat_name(int attr);

#endif /* VSHM_NL_H */
