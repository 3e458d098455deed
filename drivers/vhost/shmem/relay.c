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

/* The MAP or UNMAP arguments of decoded message @msg. */
static void vhost_shmem_relay_map_args(const struct vhost_shmem_relay_msg *msg,
				       struct vhost_shmem_map *args)
{
	*args = (struct vhost_shmem_map){
		.shmid = msg->shmid,
		.fd_offset = msg->fd_offset,
		.shm_offset = msg->shm_offset,
		.len = msg->len,
		.flags = msg->flags,
	};
}

static void vhost_shmem_relay_unmap_args(const struct vhost_shmem_relay_msg *msg,
					 struct vhost_shmem_unmap *args)
{
	*args = (struct vhost_shmem_unmap){
		.shmid = msg->shmid,
		.shm_offset = msg->shm_offset,
		.len = msg->len,
	};
}

/**
 * vhost_shmem_ctx_relay_batch() - execute back-end channel messages
 * @ctx: the context.
 * @items: the messages, in the order they came: @items[i].buf, .len,
 *         .has_fd and .file set by the caller; the outputs set here.
 * @nr: how many.
 * @always_reply: answer every message, even those that did not ask.
 * @zap_room: room for @nr ranges, for the zaps put off to the end.
 *
 * Each message is executed as vhost_shmem_mapping_add() or
 * vhost_shmem_mapping_del() would execute it alone, in order, each seeing
 * what the ones before it did.  The checks and admissions that need no
 * context lock run first for every MAP; then every message's work under
 * the lock is done in one lock round, and the pages of every UNMAP (and
 * the zero pages a MAP covers) are zapped together, before the lock is
 * dropped and before any of them is given back.  A malformed message
 * (@items[i].status -EBADMSG) or one the relay does not execute (-ENOMSG)
 * is skipped.
 *
 * Context: process context, no lock held; as vhost_shmem_mapping_add().
 */
void vhost_shmem_ctx_relay_batch(struct vhost_shmem_ctx *ctx,
				 struct vhost_shmem_relay_item *items,
				 unsigned int nr, bool always_reply,
				 struct vhost_shmem_zap *zap_room)
{
	struct vhost_shmem_zaps zaps = { .r = zap_room };
	struct vhost_shmem_relay_item *it;
	struct vhost_shmem_unmap unmap;
	struct vhost_shmem_map map;
	LIST_HEAD(dispose);
	unsigned int i;

	/* Decode every message; MAP's checks and admission, unlocked. */
	for (i = 0; i < nr; i++) {
		it = &items[i];
		it->map = NULL;
		it->spare = NULL;
		it->result = 0;
		it->reply_due = false;
		it->request = it->len >= sizeof(__le32) ?
			      le32_to_cpu(((struct vhost_shmem_user_hdr *)it->buf)->request) : 0;
		it->status = vhost_shmem_relay_decode(it->buf, it->len,
						      it->has_fd, &it->msg);
		if (it->status == -EBADMSG)
			vhost_shmem_refuse(ctx, VHOST_SHMEM_OP_RELAY,
					   VHOST_SHMEM_WHY_MESSAGE, -EBADMSG);
		if (it->status ||
		    it->msg.request != VHOST_SHMEM_USER_BACKEND_SHMEM_MAP)
			continue;
		vhost_shmem_relay_map_args(&it->msg, &map);
		it->result = vhost_shmem_mapping_prepare(ctx, &map, it->file,
							 &it->map, &it->spare);
	}

	/* One lock round: every message in order, then the zaps. */
	down_write(&ctx->lock);
	for (i = 0; i < nr; i++) {
		it = &items[i];
		if (it->status)
			continue;
		if (it->msg.request == VHOST_SHMEM_USER_BACKEND_SHMEM_MAP) {
			if (!it->map)
				continue;
			it->result = vhost_shmem_mapping_insert(ctx,
								it->msg.shmid,
								it->map,
								&it->spare,
								&zaps);
			if (!it->result)
				it->map = NULL;
		} else {
			vhost_shmem_relay_unmap_args(&it->msg, &unmap);
			it->result = vhost_shmem_mapping_remove(ctx, &unmap,
								&dispose,
								&zaps);
		}
	}
	vhost_shmem_zaps_flush(ctx, &zaps);
	up_write(&ctx->lock);

	for (i = 0; i < nr; i++) {
		it = &items[i];
		if (it->status)
			continue;
		kfree(it->spare);
		if (it->map)
			vhost_shmem_mapping_abort(it->map);
		if (it->msg.request == VHOST_SHMEM_USER_BACKEND_SHMEM_MAP) {
			vhost_shmem_relay_map_args(&it->msg, &map);
			trace_vhost_shmem_map(ctx->id, &map, true, it->result);
		} else {
			vhost_shmem_relay_unmap_args(&it->msg, &unmap);
			trace_vhost_shmem_unmap(ctx->id, &unmap, true,
						it->result);
		}
		it->reply_due = it->msg.need_reply || always_reply;
		if (!it->reply_due)
			continue;
		it->reply.hdr.request = cpu_to_le32(it->msg.request);
		it->reply.hdr.flags = cpu_to_le32(VHOST_SHMEM_USER_VERSION |
						  VHOST_SHMEM_USER_REPLY_MASK);
		it->reply.hdr.size = cpu_to_le32(sizeof(it->reply.value));
		it->reply.value = cpu_to_le64(-it->result);
	}
	vhost_shmem_mapping_dispose(&dispose);
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
 * A batch of one: see vhost_shmem_ctx_relay_batch().
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
	struct vhost_shmem_relay_item item = {
		.len = min_t(size_t, len, U32_MAX),
		.has_fd = has_fd,
		.file = file,
	};
	struct vhost_shmem_zap zap;

	memcpy(item.buf, buf, min_t(size_t, len, sizeof(item.buf)));
	vhost_shmem_ctx_relay_batch(ctx, &item, 1, always_reply, &zap);
	if (item.status)
		return item.status;
	*result = item.result;
	*reply_due = item.reply_due;
	if (item.reply_due)
		*reply = item.reply;
	return 0;
}
