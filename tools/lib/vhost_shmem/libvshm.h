/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvshm: what a VMM needs to use /dev/vhost-shmem.
 *
 * Open a context, create a region and mmap its window, register the window
 * once as a KVM memory slot, then relay every SHMEM_MAP/UNMAP message the
 * vhost-user back-end sends on its back-end channel to the kernel.  No
 * dependency beyond libc; every function returns 0 (or a non-negative
 * value) on success and a negative errno on failure, and libvshm_strerror()
 * turns the failure into a message a person can act on.
 *
 * Ownership of the descriptor received with a message
 * -------------------------------------------------------
 * libvshm_recv() stores the one descriptor that came with a message in
 * &libvshm_msg.fd (-1 when none came).  From then on:
 *
 *  - libvshm_relay() closes it, exactly once, whatever the outcome (the
 *    message was executed, malformed, the descriptor was bad, the reply
 *    could not be written), and sets &libvshm_msg.fd to -1 -- except when it
 *    returns -ENOMSG: the request is not one the kernel executes, and the
 *    message and its descriptor stay with the caller, who handles the
 *    request itself and then calls libvshm_msg_release();
 *  - libvshm_msg_release() closes it if it is still there; calling it again
 *    or on a message whose descriptor is gone is harmless;
 *  - when libvshm_recv() fails, no descriptor is left open: a message with
 *    more than one descriptor, or whose descriptors did not fit
 *    (MSG_CTRUNC), has them all closed and is -EBADMSG.
 *
 * libvshm_relay_batch() applies the same rules to each of its messages:
 * every descriptor is closed exactly once, but those of the messages it
 * leaves to the caller (&libvshm_msg.status -ENOMSG).
 *
 * The back-end channel must be a SOCK_STREAM unix socket, as vhost-user
 * specifies.  See tools/vhost_shmem/README.md for a worked relay loop.
 */
#ifndef LIBVSHM_H
#define LIBVSHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vhost_shmem.h>

#define LIBVSHM_DEV			"/dev/vhost-shmem"

/* Largest payload libvshm_recv() keeps; larger messages are -EBADMSG. */
#define LIBVSHM_PAYLOAD_MAX		4096
#define LIBVSHM_HDR_SIZE		sizeof(struct vhost_shmem_user_hdr)
#define LIBVSHM_MMAP_MSG_SIZE		(LIBVSHM_HDR_SIZE + \
					 sizeof(struct vhost_shmem_user_mmap))

/* What the last failing call of a context was doing, for libvshm_strerror(). */
enum libvshm_op {
	LIBVSHM_OP_NONE,
	LIBVSHM_OP_OPEN,
	LIBVSHM_OP_GET_INFO,
	LIBVSHM_OP_REGION_CREATE,
	LIBVSHM_OP_REGION_MMAP,
	LIBVSHM_OP_REGION_DESTROY,
	LIBVSHM_OP_MEMSLOT,
	LIBVSHM_OP_RECV,
	LIBVSHM_OP_RELAY,
	LIBVSHM_OP_REPLY,
};

/**
 * struct libvshm - one open of /dev/vhost-shmem, i.e. one virtio device
 * @fd: the device file descriptor, -1 when closed.
 * @path: the device path that was opened.
 * @info: what VHOST_SHMEM_GET_INFO reported.
 * @op: the operation of the last failure.
 * @arg: its subject: the shmid, the memory slot, or the request id.
 */
struct libvshm {
	int fd;
	const char *path;
	struct vhost_shmem_info info;
	enum libvshm_op op;
	unsigned int arg;
};

/**
 * struct libvshm_region - a region and its mmapped window
 * @shmid: the VIRTIO shared memory id.
 * @size: size in bytes.
 * @mmap_offset: offset of the window in the device file.
 * @hva: host address of the window, NULL when not mapped.
 */
struct libvshm_region {
	__u8 shmid;
	__u64 size;
	__u64 mmap_offset;
	void *hva;
};

/**
 * struct libvshm_msg - one back-end channel message
 * @hdr: its header (little endian, as received).
 * @buf: header and payload, as received.
 * @len: number of valid bytes in @buf.
 * @fd: the descriptor received with it, or -1; see the ownership rules.
 * @request: the request id (host endian).
 * @result: after libvshm_relay() returned 0: 0 when the MAP or UNMAP
 *          succeeded, otherwise its negative errno.
 * @replied: after libvshm_relay() returned 0: a reply was sent.
 * @status: after libvshm_relay_batch(): what libvshm_relay() would have
 *          returned for this message alone: 0 (see @result and @replied),
 *          -ENOMSG (the message and its descriptor are the caller's),
 *          -EBADMSG, or the batch's own failure.  Since LIBVSHM_0.2, and
 *          only written by its functions (the struct grew at its end: the
 *          functions of LIBVSHM_0 never touch it).
 */
struct libvshm_msg {
	union {
		struct vhost_shmem_user_hdr hdr;
		__u8 buf[LIBVSHM_HDR_SIZE + LIBVSHM_PAYLOAD_MAX];
	};
	size_t len;
	int fd;
	__u32 request;
	int result;
	bool replied;
	int status;
};

/* Context */
int libvshm_open(struct libvshm *v, const char *path);
void libvshm_close(struct libvshm *v);

/*
 * Create region @shmid of @size bytes and mmap its whole window read-write
 * (MAP_SHARED); on success @r describes it and @r->hva is the window.
 */
int libvshm_region_create(struct libvshm *v, __u8 shmid, __u64 size,
			  struct libvshm_region *r);
/*
 * The same with REGION_CREATE's @flags: VHOST_SHMEM_REGION_F_ZERO_HOLES
 * makes the window's holes read as zeroes (when GET_INFO announces
 * VHOST_SHMEM_F_ZERO_HOLES; -EOPNOTSUPP otherwise).
 */
int libvshm_region_create_flags(struct libvshm *v, __u8 shmid, __u64 size,
				__u32 flags, struct libvshm_region *r);
/* munmap the window and destroy the region. */
int libvshm_region_destroy(struct libvshm *v, struct libvshm_region *r);

/*
 * Register @r's window as KVM memory slot @slot at guest physical @gpa of
 * the VM @vm_fd (KVM_SET_USER_MEMORY_REGION).  Once: it never changes.
 */
int libvshm_kvm_add_memslot(struct libvshm *v, int vm_fd, __u32 slot,
			    __u64 gpa, const struct libvshm_region *r);

/*
 * Read one message, and the descriptor sent with it, from the back-end
 * channel @sock.  Blocks until the whole message is there; retries on
 * EINTR and short reads.  Returns 0, -ECONNRESET when the back-end closed
 * the channel between messages, -EBADMSG when it closed it in the middle of
 * one, sent a payload larger than %LIBVSHM_PAYLOAD_MAX or more than one
 * descriptor (all closed; @m holds what was read), or another negative
 * errno from recvmsg().
 */
int libvshm_recv(struct libvshm *v, int sock, struct libvshm_msg *m);

/*
 * Hand @m to VHOST_SHMEM_RELAY (@flags: VHOST_SHMEM_RELAY_F_*), write the
 * reply, if one is due, to @sock, and close @m->fd; see the ownership
 * rules.  Returns 0 when the kernel executed the message (@m->result says
 * whether the MAP/UNMAP succeeded; a MAP with a descriptor that is not an
 * open file, e.g. O_PATH, is executed and fails with -EBADF),
 * -ENOMSG when the caller must handle it,
 * -EBADMSG when it is malformed (no reply is sent), or another negative
 * errno (the ioctl failed, or the reply could not be written).
 */
int libvshm_relay(struct libvshm *v, int sock, struct libvshm_msg *m,
		  unsigned int flags);

/* libvshm_recv() then libvshm_relay(). */
int libvshm_relay_one(struct libvshm *v, int sock, struct libvshm_msg *m,
		      unsigned int flags);

/* Most messages libvshm_relay_batch() hands to the kernel at once. */
#define LIBVSHM_BATCH_MAX		VHOST_SHMEM_RELAY_BATCH_MAX

/*
 * Read the messages the back-end has already sent on @sock: wait for the
 * first as libvshm_recv() does, then take those queued behind it without
 * waiting (a non-blocking recvmsg() until EAGAIN; a message already begun
 * is read to its end, which needs @sock to be a blocking socket, as every
 * libvshm receive does), up to @max (at most %LIBVSHM_BATCH_MAX).  A
 * message that is not SHMEM_MAP or SHMEM_UNMAP ends the batch, so that the
 * VMM handles it after the messages before it and before those after it.
 * Returns the number of messages read into @msgs (at least 1), or what
 * libvshm_recv() returns for the first.  A failure to read a later
 * message (what libvshm_recv() returns for it: -ECONNRESET, -EBADMSG with
 * its descriptors closed, ...) ends the batch before it and is stored in
 * *@next_err, which is 0 otherwise: the caller relays the messages read,
 * then acts on it.
 */
int libvshm_recv_batch(struct libvshm *v, int sock, struct libvshm_msg *msgs,
		       unsigned int max, int *next_err);

/*
 * Relay @nr messages with one VHOST_SHMEM_RELAY_BATCH (one
 * VHOST_SHMEM_RELAY each on a kernel without it), write the replies due
 * to @sock, in the order of the messages, and close the descriptors; for
 * each message, the reply bytes and the descriptor are exactly as
 * libvshm_relay() would leave them, and &libvshm_msg.status says what it
 * would have returned.  A message the kernel leaves to the caller
 * (-ENOMSG) should be the last of a batch, as libvshm_recv_batch() makes
 * it: the replies of the messages after it are written before the VMM
 * can answer it.  Returns 0, or a negative errno when the ioctl failed
 * (nothing was executed; every descriptor is closed, every @status is the
 * errno) or the replies could not be written.
 */
int libvshm_relay_batch(struct libvshm *v, int sock, struct libvshm_msg *msgs,
			unsigned int nr, unsigned int flags);

/*
 * libvshm_recv_batch() then libvshm_relay_batch(): the relay loop of a
 * back-end that sends several messages in a row.  Returns the number of
 * messages in @msgs, each with its &libvshm_msg.status, or a negative
 * errno: the failure to read the first message, or the batch's, or the
 * failure to read a message behind the batch, returned once the messages
 * before it were relayed and answered.  On a negative return no
 * descriptor of @msgs is left open: the channel is to be closed.
 */
int libvshm_relay_queued(struct libvshm *v, int sock, struct libvshm_msg *msgs,
			 unsigned int max, unsigned int flags);

/* Close @m->fd if it is still open. */
void libvshm_msg_release(struct libvshm_msg *m);

/*
 * Send the reply @val to a message the caller handled itself, if it asked
 * for one (NEED_REPLY).  Returns 1 when a reply was sent, 0 when none was
 * due, or a negative errno.
 */
int libvshm_reply(int sock, const struct libvshm_msg *m, __u64 val);

/* Decoded fields of a SHMEM_MAP/UNMAP message; false if it is not one. */
bool libvshm_msg_mmap(const struct libvshm_msg *m,
		      struct vhost_shmem_user_mmap *mm);

/* "SHMEM_MAP shmid 0 [0x2000, +0x2000) from fd offset 0x0, rw, need-reply" */
const char *libvshm_msg_describe(const struct libvshm_msg *m, char *buf,
				 size_t size);

/*
 * A message for a person about the failure @err (a negative errno) of the
 * last failing call on @v, e.g. "vhost-shmem: /dev/vhost-shmem not found:
 * is the vhost_shmem module loaded?".  Returns @buf.
 */
const char *libvshm_strerror(const struct libvshm *v, int err, char *buf,
			     size_t size);

/*
 * The back-end side, for back-ends and tests: build a SHMEM_MAP/UNMAP
 * message (@hflags: VHOST_SHMEM_USER_NEED_REPLY_MASK or 0; the version is
 * added), send a message with at most one descriptor (-1 for none), and
 * wait for the reply to @request.  libvshm_recv_reply() returns 0 with
 * *@val set, -EPROTO for a reply that does not match, or what
 * libvshm_recv() returns.
 */
size_t libvshm_build_mmap(void *buf, __u32 request, __u32 hflags,
			  __u8 shmid, __u64 fd_offset,
			  __u64 shm_offset, __u64 len, __u64 mflags);
int libvshm_send(int sock, const void *buf, size_t len, int fd);
int libvshm_recv_reply(int sock, __u32 request, __u64 *val);

#endif /* LIBVSHM_H */
