/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost-shmem internals: the objects of the driver with their lock rules,
 * and the functions its files call across.
 */
#ifndef _VHOST_SHMEM_PRIVATE_H
#define _VHOST_SHMEM_PRIVATE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/vhost_shmem.h>
#include <linux/vhost_shmem_netlink.h>

/* shmid is 8 bits wide in the vhost-user protocol. */
#define VHOST_SHMEM_NR_SHMIDS		(U8_MAX + 1)

/*
 * Region @shmid owns the mmap offsets [@shmid << 40, (@shmid + 1) << 40) of
 * its context, which also bounds the size of a region to 1 TiB.
 */
#define VHOST_SHMEM_REGION_SHIFT	40
#define VHOST_SHMEM_REGION_PGSHIFT	(VHOST_SHMEM_REGION_SHIFT - PAGE_SHIFT)
#define VHOST_SHMEM_MAX_REGION_SIZE	BIT_ULL(VHOST_SHMEM_REGION_SHIFT)

/* Faults reading at once that a context tells apart (log2). */
#define VHOST_SHMEM_READS_BITS		4

/* The counters of a context are the attributes of the stats nest. */
#define VHOST_SHMEM_STAT_FIRST		VHOST_SHMEM_A_STATS_REGION_CREATES
#define VHOST_SHMEM_NR_STATS		(VHOST_SHMEM_A_STATS_MAX - \
					 VHOST_SHMEM_STAT_FIRST + 1)

/**
 * struct vhost_shmem_admission - an open file that a context maps
 * @src: the open file, the entry's key; no reference of its own: each
 *       mapping counted in @nr_maps holds one.
 * @real: the file whose pages its mappings map (the backing file of a
 *        stacked filesystem), with a reference of the entry's own.
 * @cred: the credentials the file was admitted for, with a reference; a
 *        MAP with others probes again.
 * @nr_maps: live mappings of the open file in the context that map @real.
 * @nr_rw: how many of them are read-write.
 *
 * Entries of &vhost_shmem_ctx.admitted, keyed by the open file as MAP was
 * given it; protected by &vhost_shmem_ctx.lock.
 */
struct vhost_shmem_admission {
	struct file *src;
	struct file *real;
	const struct cred *cred;
	unsigned int nr_maps;
	unsigned int nr_rw;
};

/* Entries of &vhost_shmem_mapping.pages whose folio is pinned (FOLL_PIN). */
#define VHOST_SHMEM_PAGE_PINNED	XA_MARK_0

/**
 * struct vhost_shmem_mapping - a range of a file mapped into a region
 * @first: index of the first page in the region.
 * @npages: length in pages.
 * @file: the mapped file; the mapping holds a reference until it is freed.
 * @src: the open file MAP was given (@file, or the stacked file whose data
 *       @file holds); the mapping holds a reference until it is freed.
 * @pgoff: index in @file of the page mapped at @first.
 * @writable: mapped read-write; @file's address_space is then held writable
 *            (mapping_map_writable()) so that F_SEAL_WRITE cannot be added.
 * @pin_mm: the address space of the task that made the mapping, whose
 *          pinned_vm (VmPin) @npages are charged to, with a reference
 *          (mmgrab()); NULL when nothing is charged.
 * @pin_user: the user of that task, whose locked_vm @npages are charged
 *            to against RLIMIT_MEMLOCK, with a reference; NULL for a task
 *            with CAP_IPC_LOCK, which is not limited.
 * @admitted: counted in &vhost_shmem_ctx.admitted.  Protected by
 *            &vhost_shmem_ctx.lock.
 * @pages: page index in the mapping -> struct page inserted into windows.
 *         Filled by the fault handler; each entry holds its folio, by a
 *         long-term pin (memfd_pin_folios()) for the entries marked
 *         %VHOST_SHMEM_PAGE_PINNED, else by a reference, given back only
 *         after every PTE that could reach the page is gone.
 * @nr_resident: number of entries in @pages.
 * @dispose: entry in a list of mappings being freed, private to the thread
 *           that removed them from their region.
 */
struct vhost_shmem_mapping {
	pgoff_t first;
	pgoff_t npages;
	struct file *file;
	struct file *src;
	pgoff_t pgoff;
	bool writable;
	bool admitted;
	struct mm_struct *pin_mm;
	struct user_struct *pin_user;
	struct xarray pages;
	atomic_long_t nr_resident;
	struct list_head dispose;
};

/**
 * struct vhost_shmem_region - a VIRTIO shared memory region
 * @shmid: VIRTIO shared memory id.
 * @zero_holes: holes read as the zero page (%VHOST_SHMEM_REGION_F_ZERO_HOLES);
 *              MAP then zaps its range.  Set at creation.
 * @npages: size in pages.
 * @mappings: maple tree of page ranges [first, first + npages - 1] of the
 *            region to their &struct vhost_shmem_mapping.  Ranges never
 *            overlap.  Protected by &vhost_shmem_ctx.lock.
 * @nr_mappings: number of entries in @mappings.  Protected by
 *               &vhost_shmem_ctx.lock.
 */
struct vhost_shmem_region {
	u8 shmid;
	bool zero_holes;
	pgoff_t npages;
	struct maple_tree mappings;
	unsigned int nr_mappings;
};

/**
 * struct vhost_shmem_ctx - one open file of /dev/vhost-shmem
 * @lock: protects @regions, @nr_regions and the mappings of every region.
 *        Readers are the fault handlers, which run under the faulting mm's
 *        mmap_lock (or VMA lock), and netlink dumps; writers are the
 *        ioctls.  Lock order: mmap_lock -> @lock -> i_mmap_rwsem of
 *        @inode (taken inside unmap_mapping_range()).  Never held across
 *        copy_{from,to}_user().
 * @inode: private anonymous inode; every window of the context is a VMA of
 *         its address_space.
 * @refs: the open file's reference, and one per netlink dump describing
 *        the context.
 * @rcu: frees the context once dumps that found it without a reference
 *       are done looking.
 * @dead: the file was released; dumps skip the context.  Protected by
 *        @lock.
 * @gen: bumped by every change a dump could show.  Protected by @lock.
 * @id: the context's id, constant once vhost_shmem_ctx_register() gave it;
 *      0 before.
 * @owner: thread group that opened the context; holds a reference.
 * @comm: command name of @owner when it opened the context.
 * @created: when the context was opened, in ns of CLOCK_REALTIME.
 * @stats: counters, indexed by VHOST_SHMEM_A_STATS_* -
 *         %VHOST_SHMEM_STAT_FIRST; updated without @lock.
 * @admitted: open files that live mappings map, by &struct file address,
 *            to their &struct vhost_shmem_admission.  Protected by @lock.
 * @adm_last: the entry of @admitted last looked up, added or counted, or
 *            NULL: MAP and UNMAP of one open file after another look it
 *            up once, where a lookup keyed by a kernel address walks
 *            eleven levels of @admitted.  A hint: set under @lock held
 *            for reading too (READ_ONCE()/WRITE_ONCE(), any live entry
 *            will do), cleared under @lock held for writing when its
 *            entry is freed.
 * @reads: context page offsets (plus one; 0: none) of faults that dropped
 *         their locks to read a page, hashed; a hint for the fault
 *         handler, read and written without locks.
 * @max_regions: regions the context may hold at once, from the module
 *               parameter when the context was opened.
 * @max_mappings: mappings each region may hold at once, likewise.
 * @nr_regions: number of non-NULL entries in @regions.
 * @regions: regions indexed by shmid.
 */
struct vhost_shmem_ctx {
	struct rw_semaphore lock;
	struct inode *inode;
	refcount_t refs;
	struct rcu_head rcu;
	bool dead;
	u32 gen;
	u32 id;
	struct pid *owner;
	char comm[TASK_COMM_LEN];
	u64 created;
	atomic64_t stats[VHOST_SHMEM_NR_STATS];
	struct xarray admitted;
	struct vhost_shmem_admission *adm_last;
	unsigned long reads[1 << VHOST_SHMEM_READS_BITS];
	unsigned int max_regions;
	unsigned int max_mappings;
	unsigned int nr_regions;
	struct vhost_shmem_region *regions[VHOST_SHMEM_NR_SHMIDS];
};

static inline void vhost_shmem_stat_inc(struct vhost_shmem_ctx *ctx, int attr)
{
	atomic64_inc(&ctx->stats[attr - VHOST_SHMEM_STAT_FIRST]);
}

static inline u64 vhost_shmem_stat_read(struct vhost_shmem_ctx *ctx, int attr)
{
	return atomic64_read(&ctx->stats[attr - VHOST_SHMEM_STAT_FIRST]);
}

static inline u64 vhost_shmem_region_offset(u8 shmid)
{
	return (u64)shmid << VHOST_SHMEM_REGION_SHIFT;
}

/* A non-empty, page aligned range whose end does not overflow. */
static inline bool vhost_shmem_range_valid(u64 offset, u64 len)
{
	u64 end;

	return len && PAGE_ALIGNED(offset) && PAGE_ALIGNED(len) &&
	       !check_add_overflow(offset, len, &end);
}

/* Page index inside its region of page @pgoff of the context's file. */
static inline pgoff_t vhost_shmem_region_index(pgoff_t pgoff)
{
	return pgoff & (BIT(VHOST_SHMEM_REGION_PGSHIFT) - 1);
}

/**
 * struct vhost_shmem_relay_msg - a decoded back-end channel message
 * @request: %VHOST_SHMEM_USER_BACKEND_SHMEM_MAP or %VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP.
 * @need_reply: the back-end asked for a reply.
 * @shmid: region of the request.
 * @fd_offset: file offset of a MAP.
 * @shm_offset: region offset.
 * @len: length.
 * @flags: flags of a MAP.
 */
struct vhost_shmem_relay_msg {
	u32 request;
	bool need_reply;
	u8 shmid;
	u64 fd_offset;
	u64 shm_offset;
	u64 len;
	u64 flags;
};

#define VHOST_SHMEM_RELAY_MSG_LEN \
	(sizeof(struct vhost_shmem_user_hdr) + \
	 sizeof(struct vhost_shmem_user_mmap))

/**
 * struct vhost_shmem_zap - pages of a context whose PTEs must go
 * @start: the first, as a page offset of the context's file.
 * @end: the page after the last.
 */
struct vhost_shmem_zap {
	u64 start;
	u64 end;
};

/**
 * struct vhost_shmem_zaps - zaps put off until the end of a batch
 * @nr: ranges in @r.
 * @r: room for a range per message of the batch.
 *
 * Done, merged, by vhost_shmem_zaps_flush() before the batch drops the
 * context lock, hence before any page they cover is given back.
 */
struct vhost_shmem_zaps {
	unsigned int nr;
	struct vhost_shmem_zap *r;
};

/**
 * struct vhost_shmem_relay_item - one message of a relayed batch
 * @buf: the first %VHOST_SHMEM_RELAY_MSG_LEN bytes of the message (fewer
 *       when it is shorter).
 * @len: the message's length.
 * @has_fd: a descriptor came with the message.
 * @file: the file it refers to, NULL when that is not an open file.
 * @status: output: 0 when the message was executed, -%ENOMSG or -%EBADMSG.
 * @request: output: the request id; 0 for a message shorter than it.
 * @result: output: the result of the MAP or UNMAP.
 * @reply_due: output: @reply is to be sent.
 * @reply: output: the reply, when one is due.
 * @msg: the decoded message.
 * @map: a MAP's mapping, prepared and not inserted.
 * @spare: a MAP's spare admission entry.
 */
struct vhost_shmem_relay_item {
	u8 buf[VHOST_SHMEM_RELAY_MSG_LEN];
	u32 len;
	bool has_fd;
	struct file *file;
	int status;
	u32 request;
	int result;
	bool reply_due;
	struct vhost_shmem_user_reply reply;
	struct vhost_shmem_relay_msg msg;
	struct vhost_shmem_mapping *map;
	struct vhost_shmem_admission *spare;
};

/*
 * What a refused request was, and why it was refused: the vhost_shmem_refuse
 * and vhost_shmem_fault tracepoints (trace.h) print them by name.
 */
enum vhost_shmem_op {
	VHOST_SHMEM_OP_GET_INFO,
	VHOST_SHMEM_OP_REGION_CREATE,
	VHOST_SHMEM_OP_REGION_DESTROY,
	VHOST_SHMEM_OP_REGION_INFO,
	VHOST_SHMEM_OP_MAP,
	VHOST_SHMEM_OP_UNMAP,
	VHOST_SHMEM_OP_RELAY,
};

enum vhost_shmem_why {
	VHOST_SHMEM_WHY_NONE,
	VHOST_SHMEM_WHY_FLAGS,
	VHOST_SHMEM_WHY_SHMID,
	VHOST_SHMEM_WHY_LENGTH,
	VHOST_SHMEM_WHY_RANGE,
	VHOST_SHMEM_WHY_OUTSIDE,
	VHOST_SHMEM_WHY_FILE_OFFSET,
	VHOST_SHMEM_WHY_NO_REGION,
	VHOST_SHMEM_WHY_REGION_EXISTS,
	VHOST_SHMEM_WHY_OVERLAP,
	VHOST_SHMEM_WHY_LIMIT,
	VHOST_SHMEM_WHY_NOT_A_MAPPING,
	VHOST_SHMEM_WHY_BAD_FD,
	VHOST_SHMEM_WHY_FILE_KIND,
	VHOST_SHMEM_WHY_MMAP,
	VHOST_SHMEM_WHY_RW_BACKING,
	VHOST_SHMEM_WHY_ACCESS,
	VHOST_SHMEM_WHY_SWAPFILE,
	VHOST_SHMEM_WHY_SEALED,
	VHOST_SHMEM_WHY_NOMEM,
	VHOST_SHMEM_WHY_MEMLOCK,
	VHOST_SHMEM_WHY_ARG,
	VHOST_SHMEM_WHY_MESSAGE,
	VHOST_SHMEM_WHY_NOT_MAPPED,
	VHOST_SHMEM_WHY_ZERO_HOLE,
	VHOST_SHMEM_WHY_EOF,
	VHOST_SHMEM_WHY_READ,
	VHOST_SHMEM_WHY_POISON,
	VHOST_SHMEM_WHY_READ_ONLY,
};

int vhost_shmem_refuse(struct vhost_shmem_ctx *ctx, enum vhost_shmem_op op,
		       enum vhost_shmem_why why, int err);

/* ctx.c */
struct vhost_shmem_ctx *vhost_shmem_ctx_alloc(void);
void vhost_shmem_ctx_free(struct vhost_shmem_ctx *ctx);
void vhost_shmem_ctx_put(struct vhost_shmem_ctx *ctx);
void vhost_shmem_ctx_reset(struct vhost_shmem_ctx *ctx);
int vhost_shmem_ctx_register(struct vhost_shmem_ctx *ctx);
struct vhost_shmem_ctx *vhost_shmem_ctx_get_next(unsigned long *id);

/* region.c */
int vhost_shmem_region_add_check(struct vhost_shmem_ctx *ctx,
				 const struct vhost_shmem_region_create *args);
int vhost_shmem_region_add(struct vhost_shmem_ctx *ctx,
			   struct vhost_shmem_region_create *args);
int vhost_shmem_region_del(struct vhost_shmem_ctx *ctx,
			   const struct vhost_shmem_region_destroy *args);
int vhost_shmem_region_query(struct vhost_shmem_ctx *ctx,
			     struct vhost_shmem_region_info *args);
u64 vhost_shmem_region_pinned(struct vhost_shmem_ctx *ctx,
			      struct vhost_shmem_region *region);
void vhost_shmem_region_usage(struct vhost_shmem_ctx *ctx,
			      struct vhost_shmem_region *region,
			      u64 *mapped, u64 *resident);
struct vhost_shmem_region *
vhost_shmem_region_next(struct vhost_shmem_ctx *ctx, unsigned int *shmid);
void vhost_shmem_region_clear(struct vhost_shmem_ctx *ctx,
			      struct vhost_shmem_region *region,
			      struct list_head *dispose);
void vhost_shmem_region_remove(struct vhost_shmem_ctx *ctx,
			       struct vhost_shmem_region *region,
			       struct list_head *dispose);

/* mapping.c */
struct vhost_shmem_mapping *
vhost_shmem_mapping_lookup(struct vhost_shmem_ctx *ctx, pgoff_t pgoff);
void vhost_shmem_region_zap(struct vhost_shmem_ctx *ctx,
			    struct vhost_shmem_region *region,
			    pgoff_t first, pgoff_t npages);
void vhost_shmem_admission_del(struct vhost_shmem_ctx *ctx,
			       struct vhost_shmem_mapping *map);
struct vhost_shmem_mapping *
vhost_shmem_mapping_next(struct vhost_shmem_ctx *ctx,
			 struct vhost_shmem_region *region,
			 unsigned long *index);
void vhost_shmem_mapping_dispose(struct list_head *dispose);
int vhost_shmem_mapping_add(struct vhost_shmem_ctx *ctx,
			    const struct vhost_shmem_map *args, struct file *file);
int vhost_shmem_mapping_del(struct vhost_shmem_ctx *ctx,
			    const struct vhost_shmem_unmap *args);
int vhost_shmem_mapping_prepare(struct vhost_shmem_ctx *ctx,
				const struct vhost_shmem_map *args,
				struct file *file,
				struct vhost_shmem_mapping **mapp,
				struct vhost_shmem_admission **spare);
int vhost_shmem_mapping_insert(struct vhost_shmem_ctx *ctx, u32 shmid,
			       struct vhost_shmem_mapping *map,
			       struct vhost_shmem_admission **spare,
			       struct vhost_shmem_zaps *zaps);
void vhost_shmem_mapping_abort(struct vhost_shmem_mapping *map);
int vhost_shmem_mapping_remove(struct vhost_shmem_ctx *ctx,
			       const struct vhost_shmem_unmap *args,
			       struct list_head *dispose,
			       struct vhost_shmem_zaps *zaps);
void vhost_shmem_zaps_flush(struct vhost_shmem_ctx *ctx,
			    struct vhost_shmem_zaps *zaps);

/* fault.c */
int vhost_shmem_mmap(struct file *file, struct vm_area_struct *vma);

/* relay.c */
int vhost_shmem_ctx_relay(struct vhost_shmem_ctx *ctx, const void *buf,
			  size_t len, bool has_fd, struct file *file,
			  bool always_reply,
			  struct vhost_shmem_user_reply *reply,
			  bool *reply_due, int *result);
void vhost_shmem_ctx_relay_batch(struct vhost_shmem_ctx *ctx,
				 struct vhost_shmem_relay_item *items,
				 unsigned int nr, bool always_reply,
				 struct vhost_shmem_zap *zap_room);

/* netlink.c */
void vhost_shmem_nl_event(struct vhost_shmem_ctx *ctx, u8 cmd,
			  struct vhost_shmem_region *region,
			  struct vhost_shmem_mapping *map);
int vhost_shmem_nl_init(void);
void vhost_shmem_nl_exit(void);

#if IS_ENABLED(CONFIG_KUNIT)
/* Static but for the KUnit suite (tests/vhost_shmem_kunit.c). */
struct file *vhost_shmem_admission_find(struct vhost_shmem_ctx *ctx,
					struct file *file, bool writable);
void vhost_shmem_admission_add(struct vhost_shmem_ctx *ctx,
			       struct vhost_shmem_mapping *map,
			       struct vhost_shmem_admission **spare);
struct page *vhost_shmem_mapping_hold(struct vhost_shmem_mapping *map,
				      pgoff_t index, struct page *page);
struct page *vhost_shmem_file_read_page(struct file *file, pgoff_t pgoff);
struct page *vhost_shmem_mapping_cached_page(struct vhost_shmem_mapping *map,
					     pgoff_t index);
int vhost_shmem_relay_decode(const void *buf, size_t len, bool has_fd,
			     struct vhost_shmem_relay_msg *msg);
unsigned int vhost_shmem_zap_merge(struct vhost_shmem_zap *r, unsigned int nr);
#endif

#endif /* _VHOST_SHMEM_PRIVATE_H */
