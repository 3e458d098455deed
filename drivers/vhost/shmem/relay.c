// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-shmem relay: VHOST_USER_BACKEND_SHMEM_MAP and _UNMAP messages of a
 * back-end channel, decoded, executed and answered.
 */

#include <kunit/visibility.h>
#include <linux/kernel.h>
#include <linux/vhost_shmem.h>

#include "vhost_shmem_private.h"
#include "compat.h"
#include "trace.h"

/*
 * Decode a message of @len bytes whose first min(@len,
 * VHOST_SHMEM_RELAY_MSG_LEN) bytes are at @buf.  @has_fd tells whether a
 * descriptor came with it.  Returns -ENOMSG for requests the relay leaves to
 * the caller and -EBADMSG for malformed messages.
 */
VISIBLE_IF_KUNIT int
vhost_shmem_relay_decode(const void *buf, size_t len, bool has_fd,
			 struct vhost_shmem_relay_msg *msg)
{
	const struct vhost_shmem_user_hdr *hdr = buf;
	const struct vhost_shmem_user_mmap *mmap = buf + sizeof(*hdr);
	bool is_map;
	u32 flags;

	if (len < sizeof(*hdr))
		return -EBADMSG;
	msg->request = le32_to_cpu(hdr->request);
	if (msg->request != VHOST_SHMEM_USER_BACKEND_SHMEM_MAP &&
	    msg->request != VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP)
		return -ENOMSG;

	flags = le32_to_cpu(hdr->flags);
	if ((flags & VHOST_SHMEM_USER_VERSION_MASK) != VHOST_SHMEM_USER_VERSION ||
	    (flags & ~(VHOST_SHMEM_USER_VERSION_MASK | VHOST_SHMEM_USER_NEED_REPLY_MASK)))
		return -EBADMSG;
	if (le32_to_cpu(hdr->size) != sizeof(*mmap) ||
	    len != VHOST_SHMEM_RELAY_MSG_LEN)
		return -EBADMSG;
	/* MAP carries exactly one descriptor, UNMAP none. */
	is_map = msg->request == VHOST_SHMEM_USER_BACKEND_SHMEM_MAP;
	if (has_fd != is_map)
		return -EBADMSG;

	msg->need_reply = flags & VHOST_SHMEM_USER_NEED_REPLY_MASK;
	msg->shmid = mmap->shmid;
	msg->fd_offset = le64_to_cpu(mmap->fd_offset);
	msg->shm_offset = le64_to_cpu(mmap->shm_offset);
	msg->len = le64_to_cpu(mmap->len);
	/* QEMU's VhostUserMMap has a u16 here and padding after it. */
	msg->flags = le64_to_cpu(mmap->flags) & U16_MAX;
	return 0;
}

/**
 * vhost_shmem_ctx_relay() - execute a back-end channel message
 * @ctx: the context.
 * @buf: the first min(@len, %VHOST_SHMEM_RELAY_MSG_LEN) bytes of the
 *       message, in kernel memory.
 * @len: the message's length in bytes.
 * @has_fd: a descriptor came with the message.
 * @file: what it refers to, or NULL if that is not an open file: a MAP
 *        then fails with -EBADF like any MAP of an unusable file, and is
 *        answered.
 * @always_reply: answer even when the back-end did not ask.
 * @reply: set to the reply when one is due.
 * @reply_due: set when a reply is due.
 * @result: set to the result of the MAP or UNMAP.
 *
 * Context: process context, no lock held; as vhost_shmem_mapping_add().
 * Return: 0 when the message was executed; -ENOMSG for a request the
 * relay leaves to the caller, -EBADMSG for a malformed message.
 */
int vhost_shmem_ctx_relay(struct vhost_shmem_ctx *ctx, const void *buf,
			  size_t len, bool has_fd, struct file *file,
			  bool always_reply,
			  struct vhost_shmem_user_reply *reply,
			  bool *reply_due, int *result)
{
	struct vhost_shmem_relay_msg msg;
	int ret;

	ret = vhost_shmem_relay_decode(buf, len, has_fd, &msg);
	if (ret == -EBADMSG)
		return vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_RELAY,
					  VHOST_SHMEM_WHY_MESSAGE, ret);
	if (ret)
		return ret;

	if (msg.request == VHOST_SHMEM_USER_BACKEND_SHMEM_MAP) {
		struct vhost_shmem_map args = {
			.shmid = msg.shmid,
			.fd_offset = msg.fd_offset,
			.shm_offset = msg.shm_offset,
			.len = msg.len,
			.flags = msg.flags,
		};

		*result = vhost_shmem_mapping_add(ctx, &args, file);
		trace_vhost_shmem_map(ctx->id, &args, true, *result);
	} else {
		struct vhost_shmem_unmap args = {
			.shmid = msg.shmid,
			.shm_offset = msg.shm_offset,
			.len = msg.len,
		};

		*result = vhost_shmem_mapping_del(ctx, &args);
		trace_vhost_shmem_unmap(ctx->id, &args, true, *result);
	}

	*reply_due = msg.need_reply || always_reply;
	if (*reply_due) {
		reply->hdr.request = cpu_to_le32(msg.request);
		reply->hdr.flags = cpu_to_le32(VHOST_SHMEM_USER_VERSION |
					       VHOST_SHMEM_USER_REPLY_MASK);
		reply->hdr.size = cpu_to_le32(sizeof(reply->value));
		reply->value = cpu_to_le64(-*result);
	}
	return 0;
}
