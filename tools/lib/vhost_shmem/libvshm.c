// SPDX-License-Identifier: GPL-2.0
/*
 * libvshm: /dev/vhost-shmem for VMMs; see libvshm.h.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/kvm.h>

#include "libvshm.h"

/* Room for this many descriptors per recvmsg(); any more is MSG_CTRUNC. */
#define RECV_FDS	4
/* Largest oversized payload that is read and dropped to stay in sync. */
#define DRAIN_MAX	(1024 * 1024)

static int fail(struct libvshm *v, enum libvshm_op op, unsigned int arg,
		int err)
{
	if (v) {
		v->op = op;
		v->arg = arg;
	}
	return err;
}

int libvshm_open(struct libvshm *v, const char *path)
{
	int err;

	memset(v, 0, sizeof(*v));
	v->path = path ? path : LIBVSHM_DEV;
	v->fd = open(v->path, O_RDWR | O_CLOEXEC);
	if (v->fd < 0)
		return fail(v, LIBVSHM_OP_OPEN, 0, -errno);
	v->info.size = sizeof(v->info);
	if (ioctl(v->fd, VHOST_SHMEM_GET_INFO, &v->info)) {
		err = -errno;
		goto err;
	}
	return 0;
err:
	close(v->fd);
	v->fd = -1;
	return fail(v, LIBVSHM_OP_GET_INFO, 0, err);
}

void libvshm_close(struct libvshm *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

int libvshm_region_create(struct libvshm *v, __u8 shmid, __u64 size,
			  struct libvshm_region *r)
{
	return libvshm_region_create_flags(v, shmid, size, 0, r);
}

int libvshm_region_create_flags(struct libvshm *v, __u8 shmid, __u64 size,
				__u32 flags, struct libvshm_region *r)
{
	struct vhost_shmem_region_create rc = {
		.size = sizeof(rc), .flags = flags, .shmid = shmid,
		.length = size,
	};
	struct vhost_shmem_region_destroy rd = {
		.size = sizeof(rd), .shmid = shmid,
	};
	int err;

	memset(r, 0, sizeof(*r));
	if (ioctl(v->fd, VHOST_SHMEM_REGION_CREATE, &rc))
		return fail(v, LIBVSHM_OP_REGION_CREATE, shmid, -errno);
	r->hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
		      rc.out_mmap_offset);
	if (r->hva == MAP_FAILED) {
		err = -errno;
		r->hva = NULL;
		ioctl(v->fd, VHOST_SHMEM_REGION_DESTROY, &rd);
		return fail(v, LIBVSHM_OP_REGION_MMAP, shmid, err);
	}
	r->shmid = shmid;
	r->size = size;
	r->mmap_offset = rc.out_mmap_offset;
	return 0;
}

int libvshm_region_destroy(struct libvshm *v, struct libvshm_region *r)
{
	struct vhost_shmem_region_destroy rd = {
		.size = sizeof(rd), .shmid = r->shmid,
	};

	if (r->hva)
		munmap(r->hva, r->size);
	r->hva = NULL;
	if (ioctl(v->fd, VHOST_SHMEM_REGION_DESTROY, &rd))
		return fail(v, LIBVSHM_OP_REGION_DESTROY, r->shmid, -errno);
	return 0;
}

int libvshm_kvm_add_memslot(struct libvshm *v, int vm_fd, __u32 slot,
			    __u64 gpa, const struct libvshm_region *r)
{
	struct kvm_userspace_memory_region mr = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = r->size,
		.userspace_addr = (uintptr_t)r->hva,
	};

	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr))
		return fail(v, LIBVSHM_OP_MEMSLOT, slot, -errno);
	return 0;
}

void libvshm_msg_release(struct libvshm_msg *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

/* Keep the first descriptor of a message; close and count the others. */
static void take_fds(struct msghdr *mh, struct libvshm_msg *m, int *nfds)
{
	struct cmsghdr *c;
	size_t i, n;
	int fd;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (m->fd < 0 && !*nfds)
				m->fd = fd;
			else
				close(fd);
			(*nfds)++;
		}
	}
}

/*
 * Read exactly @len bytes into @buf, collecting descriptors.  Returns 0,
 * -ECONNRESET on EOF before the first byte of the message (@first), or
 * -EBADMSG on EOF inside it.  @flags go to the first recvmsg() only:
 * with MSG_DONTWAIT, -EAGAIN when nothing is queued.
 */
static int recv_some(int sock, struct libvshm_msg *m, void *buf, size_t len,
		     bool first, int flags, int *nfds, bool *ctrunc)
{
	union {
		char buf[CMSG_SPACE(RECV_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		struct iovec iov = {
			.iov_base = (char *)buf + done,
			.iov_len = len - done,
		};
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};

		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | (done ? 0 : flags));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		flags = 0;
		take_fds(&mh, m, nfds);
		if (mh.msg_flags & MSG_CTRUNC)
			*ctrunc = true;
		if (!n)
			return first && !done ? -ECONNRESET : -EBADMSG;
		done += n;
	}
	return 0;
}

static int recv_all(int sock, struct libvshm_msg *m, void *buf, size_t len,
		    bool first, int *nfds, bool *ctrunc)
{
	return recv_some(sock, m, buf, len, first, 0, nfds, ctrunc);
}

/* libvshm_recv(), with @flags for the message's first recvmsg(). */
static int recv_msg(struct libvshm *v, int sock, struct libvshm_msg *m,
		    int flags)
{
	bool ctrunc = false;
	__u8 drop[256];
	__u32 size, chunk;
	int nfds = 0;
	int err;

	m->len = 0;
	m->fd = -1;
	m->request = 0;
	m->result = 0;
	m->replied = false;

	err = recv_some(sock, m, m->buf, LIBVSHM_HDR_SIZE, true, flags, &nfds,
			&ctrunc);
	if (err == -EAGAIN && flags)
		return err;
	if (err)
		goto out;
	m->len = LIBVSHM_HDR_SIZE;
	m->request = le32toh(m->hdr.request);
	size = le32toh(m->hdr.size);
	if (size > LIBVSHM_PAYLOAD_MAX) {
		/* Read and drop the payload to stay in step with the peer. */
		err = -EBADMSG;
		if (size > DRAIN_MAX)
			goto out;
		while (size) {
			chunk = size < sizeof(drop) ? size : sizeof(drop);
			err = recv_all(sock, m, drop, chunk, false, &nfds,
				       &ctrunc);
			if (err)
				goto out;
			size -= chunk;
		}
		err = -EBADMSG;
		goto out;
	}
	err = recv_all(sock, m, m->buf + LIBVSHM_HDR_SIZE, size, false, &nfds,
		       &ctrunc);
	if (err)
		goto out;
	m->len += size;
	if (nfds > 1 || ctrunc)
		err = -EBADMSG;
out:
	if (err)
		libvshm_msg_release(m);
	return err ? fail(v, LIBVSHM_OP_RECV, m->request, err) : 0;
}

int libvshm_recv(struct libvshm *v, int sock, struct libvshm_msg *m)
{
	return recv_msg(v, sock, m, 0);
}

static bool is_mmap_request(__u32 request)
{
	return request == VHOST_SHMEM_USER_BACKEND_SHMEM_MAP ||
	       request == VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP;
}

int libvshm_recv_batch(struct libvshm *v, int sock, struct libvshm_msg *msgs,
		       unsigned int max, int *next_err)
{
	unsigned int n;
	int err;

	*next_err = 0;
	if (!max)
		return -EINVAL;
	if (max > LIBVSHM_BATCH_MAX)
		max = LIBVSHM_BATCH_MAX;
	err = recv_msg(v, sock, &msgs[0], 0);
	msgs[0].status = 0;
	if (err)
		return err;
	for (n = 1; n < max && is_mmap_request(msgs[n - 1].request); n++) {
		err = recv_msg(v, sock, &msgs[n], MSG_DONTWAIT);
		msgs[n].status = 0;
		if (err == -EAGAIN || err == -EWOULDBLOCK)
			break;
		if (err) {
			/* The messages before it are relayed first. */
			*next_err = err;
			break;
		}
	}
	return n;
}

static int send_all(int sock, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = send(sock, (const char *)buf + done, len - done,
			 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += n;
	}
	return 0;
}

int libvshm_relay(struct libvshm *v, int sock, struct libvshm_msg *m,
		  unsigned int flags)
{
	struct vhost_shmem_user_reply reply;
	struct vhost_shmem_relay r = {
		.size = sizeof(r),
		.msg = (uintptr_t)m->buf,
		.msg_len = m->len,
		.fd = m->fd,
		.flags = flags,
		.reply_len = sizeof(reply),
		.reply = (uintptr_t)&reply,
	};
	int err = 0;

	m->result = 0;
	m->replied = false;
	if (ioctl(v->fd, VHOST_SHMEM_RELAY, &r))
		err = -errno;
	if (err == -ENOMSG)
		return fail(v, LIBVSHM_OP_RELAY, m->request, err);
	/* Executed or refused: the descriptor is done with, exactly once. */
	libvshm_msg_release(m);
	if (err)
		return fail(v, LIBVSHM_OP_RELAY, m->request, err);
	m->result = r.out_result;
	if (r.reply_len) {
		err = send_all(sock, &reply, r.reply_len);
		if (err)
			return fail(v, LIBVSHM_OP_REPLY, m->request, err);
		m->replied = true;
	}
	return 0;
}

/* One VHOST_SHMEM_RELAY per message: for a kernel without the batch. */
static int relay_each(struct libvshm *v, int sock, struct libvshm_msg *msgs,
		      unsigned int nr, unsigned int flags)
{
	unsigned int i;
	int err;

	for (i = 0; i < nr; i++) {
		err = libvshm_relay(v, sock, &msgs[i], flags);
		msgs[i].status = err;
		if (err && err != -ENOMSG && err != -EBADMSG) {
			/* As a failed batch: the rest are closed, not run. */
			for (i++; i < nr; i++) {
				msgs[i].status = err;
				libvshm_msg_release(&msgs[i]);
			}
			return err;
		}
	}
	return 0;
}

int libvshm_relay_batch(struct libvshm *v, int sock, struct libvshm_msg *msgs,
			unsigned int nr, unsigned int flags)
{
	struct vhost_shmem_relay_entry e[LIBVSHM_BATCH_MAX];
	struct vhost_shmem_user_reply replies[LIBVSHM_BATCH_MAX];
	struct vhost_shmem_relay_batch b = {
		.size = sizeof(b),
		.flags = flags,
		.entries = (uintptr_t)e,
		.entry_len = sizeof(e[0]),
		.entry_num = nr,
	};
	size_t len = 0;
	unsigned int i;
	int err = 0;

	if (!nr || nr > LIBVSHM_BATCH_MAX)
		return fail(v, LIBVSHM_OP_RELAY, 0, -EINVAL);
	if (!(v->info.features & VHOST_SHMEM_F_RELAY_BATCH))
		return relay_each(v, sock, msgs, nr, flags);
	memset(e, 0, nr * sizeof(e[0]));
	for (i = 0; i < nr; i++) {
		e[i].msg = (uintptr_t)msgs[i].buf;
		e[i].msg_len = msgs[i].len;
		e[i].fd = msgs[i].fd;
		msgs[i].result = 0;
		msgs[i].replied = false;
	}
	if (ioctl(v->fd, VHOST_SHMEM_RELAY_BATCH, &b)) {
		err = -errno;
		/* Refused as a whole: nothing ran; the descriptors are done. */
		for (i = 0; i < nr; i++) {
			msgs[i].status = err;
			libvshm_msg_release(&msgs[i]);
		}
		return fail(v, LIBVSHM_OP_RELAY, msgs[0].request, err);
	}
	for (i = 0; i < nr; i++) {
		msgs[i].status = e[i].out_status;
		if (e[i].out_status == -ENOMSG)
			continue;
		libvshm_msg_release(&msgs[i]);
		if (e[i].out_status)
			continue;
		msgs[i].result = e[i].out_result;
		if (e[i].out_reply_len) {
			replies[len++] = e[i].out_reply;
			msgs[i].replied = true;
		}
	}
	/* Every reply in order, with one write. */
	if (len) {
		err = send_all(sock, replies, len * sizeof(replies[0]));
		if (err) {
			for (i = 0; i < nr; i++)
				msgs[i].replied = false;
			return fail(v, LIBVSHM_OP_REPLY, msgs[0].request, err);
		}
	}
	return 0;
}

int libvshm_relay_queued(struct libvshm *v, int sock, struct libvshm_msg *msgs,
			 unsigned int max, unsigned int flags)
{
	int next_err, err, n;

	n = libvshm_recv_batch(v, sock, msgs, max, &next_err);
	if (n < 0)
		return n;
	err = libvshm_relay_batch(v, sock, msgs, n, flags);
	if (err) {
		/*
		 * The caller gets no count to look at the messages with: a
		 * message left to it (-ENOMSG) is dropped with the channel,
		 * its descriptor closed rather than leaked.
		 */
		while (n--)
			libvshm_msg_release(&msgs[n]);
		return err;
	}
	if (next_err)
		return fail(v, LIBVSHM_OP_RECV, 0, next_err);
	return n;
}

int libvshm_relay_one(struct libvshm *v, int sock, struct libvshm_msg *m,
		      unsigned int flags)
{
	int err = libvshm_recv(v, sock, m);

	return err ? err : libvshm_relay(v, sock, m, flags);
}

int libvshm_reply(int sock, const struct libvshm_msg *m, __u64 val)
{
	struct vhost_shmem_user_reply reply = {
		.hdr.request = htole32(m->request),
		.hdr.flags = htole32(VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_REPLY_MASK),
		.hdr.size = htole32(sizeof(reply.value)),
		.value = htole64(val),
	};
	int err;

	if (m->len < LIBVSHM_HDR_SIZE ||
	    !(le32toh(m->hdr.flags) & VHOST_SHMEM_USER_NEED_REPLY_MASK))
		return 0;
	err = send_all(sock, &reply, sizeof(reply));
	return err ? err : 1;
}

bool libvshm_msg_mmap(const struct libvshm_msg *m,
		      struct vhost_shmem_user_mmap *mm)
{
	if ((m->request != VHOST_SHMEM_USER_BACKEND_SHMEM_MAP &&
	     m->request != VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP) ||
	    m->len != LIBVSHM_MMAP_MSG_SIZE)
		return false;
	memcpy(mm, m->buf + LIBVSHM_HDR_SIZE, sizeof(*mm));
	mm->fd_offset = le64toh(mm->fd_offset);
	mm->shm_offset = le64toh(mm->shm_offset);
	mm->len = le64toh(mm->len);
	mm->flags = le64toh(mm->flags);
	return true;
}

const char *libvshm_msg_describe(const struct libvshm_msg *m, char *buf,
				 size_t size)
{
	struct vhost_shmem_user_mmap mm;
	bool need = m->len >= LIBVSHM_HDR_SIZE &&
		    (le32toh(m->hdr.flags) & VHOST_SHMEM_USER_NEED_REPLY_MASK);

	if (!libvshm_msg_mmap(m, &mm)) {
		snprintf(buf, size, "request %u (%zu bytes)%s", m->request,
			 m->len, need ? ", need-reply" : "");
		return buf;
	}
	if (m->request == VHOST_SHMEM_USER_BACKEND_SHMEM_MAP)
		snprintf(buf, size,
			 "SHMEM_MAP shmid %u [0x%llx, +0x%llx) from fd offset 0x%llx, %s%s",
			 mm.shmid, (unsigned long long)mm.shm_offset,
			 (unsigned long long)mm.len,
			 (unsigned long long)mm.fd_offset,
			 mm.flags & VHOST_SHMEM_MAP_F_RW ? "rw" : "ro",
			 need ? ", need-reply" : "");
	else
		snprintf(buf, size, "SHMEM_UNMAP shmid %u [0x%llx, +0x%llx)%s",
			 mm.shmid, (unsigned long long)mm.shm_offset,
			 (unsigned long long)mm.len,
			 need ? ", need-reply" : "");
	return buf;
}

const char *libvshm_strerror(const struct libvshm *v, int err, char *buf,
			     size_t size)
{
	const char *path = v->path ? v->path : LIBVSHM_DEV;
	unsigned int a = v->arg;

	switch (v->op) {
	case LIBVSHM_OP_OPEN:
		if (err == -ENOENT)
			snprintf(buf, size,
				 "vhost-shmem: %s not found: is the vhost_shmem module loaded?",
				 path);
		else if (err == -EACCES || err == -EPERM)
			snprintf(buf, size,
				 "vhost-shmem: no permission to open %s: add the VMM's user to the device's group (kvm, with the udev rule of make install) or run the VMM as root",
				 path);
		else if (err == -ENXIO || err == -ENODEV)
			snprintf(buf, size,
				 "vhost-shmem: %s has no driver behind it: load the vhost_shmem module",
				 path);
		else
			snprintf(buf, size, "vhost-shmem: cannot open %s: %s",
				 path, strerror(-err));
		return buf;
	case LIBVSHM_OP_GET_INFO:
		if (err == -ENOTTY)
			snprintf(buf, size, "vhost-shmem: %s is not a vhost-shmem device",
				 path);
		else
			snprintf(buf, size, "vhost-shmem: GET_INFO on %s failed: %s",
				 path, strerror(-err));
		return buf;
	case LIBVSHM_OP_REGION_CREATE:
		if (err == -EEXIST)
			snprintf(buf, size, "vhost-shmem: region %u already exists",
				 a);
		else if (err == -ENOSPC)
			snprintf(buf, size,
				 "vhost-shmem: cannot create region %u: this device already has the maximum of %u regions",
				 a, v->info.max_regions);
		else if (err == -EINVAL)
			snprintf(buf, size,
				 "vhost-shmem: cannot create region %u: its size must be a non-zero multiple of %llu bytes and at most %llu bytes",
				 a, (unsigned long long)v->info.page_size,
				 (unsigned long long)v->info.max_region_size);
		else
			snprintf(buf, size, "vhost-shmem: cannot create region %u: %s",
				 a, strerror(-err));
		return buf;
	case LIBVSHM_OP_REGION_MMAP:
		snprintf(buf, size, "vhost-shmem: cannot mmap the window of region %u: %s%s",
			 a, strerror(-err),
			 err == -ENOMEM ? " (out of address space, or a too low RLIMIT_AS?)" : "");
		return buf;
	case LIBVSHM_OP_REGION_DESTROY:
		snprintf(buf, size, "vhost-shmem: cannot destroy region %u: %s",
			 a, err == -ENOENT ? "no such region" : strerror(-err));
		return buf;
	case LIBVSHM_OP_MEMSLOT:
		if (err == -EEXIST)
			snprintf(buf, size,
				 "vhost-shmem: KVM memory slot %u overlaps another slot's guest physical range: pick a free GPA range for the region",
				 a);
		else if (err == -EINVAL)
			snprintf(buf, size,
				 "vhost-shmem: KVM refused memory slot %u: the slot number is out of range or in use, or the GPA is not page aligned",
				 a);
		else
			snprintf(buf, size,
				 "vhost-shmem: cannot register memory slot %u with KVM: %s",
				 a, strerror(-err));
		return buf;
	case LIBVSHM_OP_RECV:
		if (err == -ECONNRESET)
			snprintf(buf, size,
				 "vhost-shmem: the back-end closed the back-end channel");
		else if (err == -EBADMSG)
			snprintf(buf, size,
				 "vhost-shmem: the back-end sent a malformed message (cut short, payload too large, or more than one file descriptor): disconnect it");
		else
			snprintf(buf, size, "vhost-shmem: reading the back-end channel: %s",
				 strerror(-err));
		return buf;
	case LIBVSHM_OP_RELAY:
		if (err == -ENOMSG)
			snprintf(buf, size,
				 "vhost-shmem: request %u is not SHMEM_MAP/UNMAP: the VMM handles it itself",
				 a);
		else if (err == -EBADMSG)
			snprintf(buf, size,
				 "vhost-shmem: malformed SHMEM_MAP/UNMAP message (request %u: wrong size, version or flags, a MAP without a file descriptor or an UNMAP with one): disconnect the back-end",
				 a);
		else if (err == -ENOTTY)
			snprintf(buf, size,
				 "vhost-shmem: the loaded vhost_shmem module has no VHOST_SHMEM_RELAY: load a newer one");
		else
			snprintf(buf, size, "vhost-shmem: relaying request %u: %s",
				 a, strerror(-err));
		return buf;
	case LIBVSHM_OP_REPLY:
		snprintf(buf, size,
			 "vhost-shmem: cannot send the reply to request %u to the back-end: %s",
			 a, err == -EPIPE ? "it closed the channel" : strerror(-err));
		return buf;
	default:
		snprintf(buf, size, "vhost-shmem: %s", strerror(-err));
		return buf;
	}
}

size_t libvshm_build_mmap(void *buf, __u32 request, __u32 hflags,
			  __u8 shmid, __u64 fd_offset,
			  __u64 shm_offset, __u64 len, __u64 mflags)
{
	struct vhost_shmem_user_hdr hdr = {
		.request = htole32(request),
		.flags = htole32(VHOST_SHMEM_USER_VERSION | hflags),
		.size = htole32(sizeof(struct vhost_shmem_user_mmap)),
	};
	struct vhost_shmem_user_mmap mm = {
		.shmid = shmid,
		.fd_offset = htole64(fd_offset),
		.shm_offset = htole64(shm_offset),
		.len = htole64(len),
		.flags = htole64(mflags),
	};

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy((__u8 *)buf + sizeof(hdr), &mm, sizeof(mm));
	return sizeof(hdr) + sizeof(mm);
}

int libvshm_send(int sock, const void *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (fd >= 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	}
	/* The descriptor travels with the first byte; send the rest plainly. */
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return send_all(sock, (const char *)buf + n, len - n);
}

int libvshm_recv_reply(int sock, __u32 request, __u64 *val)
{
	struct libvshm_msg m;
	__u64 u;
	int err;

	err = libvshm_recv(NULL, sock, &m);
	if (err)
		return err;
	if (m.fd >= 0) {
		libvshm_msg_release(&m);
		return -EPROTO;
	}
	if (m.request != request || m.len != LIBVSHM_HDR_SIZE + sizeof(u) ||
	    (le32toh(m.hdr.flags) & ~VHOST_SHMEM_USER_NEED_REPLY_MASK) !=
	    (VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_REPLY_MASK))
		return -EPROTO;
	memcpy(&u, m.buf + LIBVSHM_HDR_SIZE, sizeof(u));
	*val = le64toh(u);
	return 0;
}
