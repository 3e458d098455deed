// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's back-end: a vhost-user style back-end that owns "blobs"
 * (memfds) and asks its VMM, over the back-end channel, to map them into
 * shared memory region 0 and unmap them again, as the vhost-user
 * specification lays the SHMEM_MAP/UNMAP messages out.  See demo.h for the
 * blobs and the step protocol, README.md for the scenario.
 *
 *   vshm-demo backend --fd N          use inherited socket N as the channel
 *   vshm-demo backend --connect PATH  connect to the VMM's unix socket PATH
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "libvshm.h"
#include "demo.h"

struct blob {
	const char *name;
	unsigned int id;
	unsigned int pages;
	int fd;
};

struct backend {
	int sock;
	FILE *out;
	int errors;
	int chan_err;
	bool asked;	/* the last message asked for a reply */
};

static int blob_create(struct blob *b)
{
	char page[VSHM_PAGE];
	unsigned int p;

	b->fd = memfd_create(b->name, MFD_CLOEXEC);
	if (b->fd < 0)
		return -errno;
	for (p = 0; p < b->pages; p++) {
		vshm_blob_page(b->id, p, page);
		if (pwrite(b->fd, page, sizeof(page), (off_t)p * VSHM_PAGE) !=
		    sizeof(page))
			return -errno;
	}
	return 0;
}

/*
 * Send one SHMEM_MAP (@b non-NULL) or SHMEM_UNMAP.  With @need_reply, wait
 * for the reply and return it (0: success); without, return 0.  Returns a
 * negative errno when the channel fails.
 */
static long long send_mmap(struct backend *be, struct blob *b,
			   __u64 fd_offset, __u64 shm_offset,
			   __u64 len, bool rw, bool need_reply)
{
	__u32 req = b ? VHOST_SHMEM_USER_BACKEND_SHMEM_MAP :
			   VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP;
	__u8 msg[LIBVSHM_MMAP_MSG_SIZE];
	__u64 val;
	size_t n;
	int err;

	if (be->chan_err)
		return be->chan_err;
	be->asked = need_reply;
	fprintf(be->out, "back-end: SHMEM_%s [0x%05llx, +0x%05llx)",
		b ? "MAP  " : "UNMAP", (unsigned long long)shm_offset,
		(unsigned long long)len);
	if (b)
		fprintf(be->out, " <- %s page %llu..%llu (%s)", b->name,
			(unsigned long long)(fd_offset / VSHM_PAGE),
			(unsigned long long)((fd_offset + len) / VSHM_PAGE - 1),
			rw ? "rw" : "ro");
	fprintf(be->out, "%s\n", need_reply ? ", NEED_REPLY" : "");

	n = libvshm_build_mmap(msg, req,
			       need_reply ? VHOST_SHMEM_USER_NEED_REPLY_MASK : 0,
			       VSHM_DEMO_SHMID, fd_offset, shm_offset, len,
			       rw ? VHOST_SHMEM_MAP_F_RW : 0);
	err = libvshm_send(be->sock, msg, n, b ? b->fd : -1);
	if (!err && need_reply)
		err = libvshm_recv_reply(be->sock, req, &val);
	if (err) {
		be->chan_err = err;
		return err;
	}
	return need_reply ? (long long)val : 0;
}

/* Expect reply 0 (or, with @want_fail, non-zero). */
static void expect(struct backend *be, long long ret, bool want_fail)
{
	if (ret < 0) {
		if (ret == be->chan_err && !be->errors)
			fprintf(be->out, "back-end: channel failed: %s\n",
				strerror((int)-ret));
		be->errors++;
		return;
	}
	if (!want_fail && ret) {
		fprintf(be->out, "back-end: FAIL: reply %lld (%s), expected 0\n",
			ret, strerror((int)ret));
		be->errors++;
	} else if (want_fail && !ret) {
		fprintf(be->out, "back-end: FAIL: reply 0, expected a failure\n");
		be->errors++;
	} else if (want_fail) {
		fprintf(be->out, "back-end:   reply %lld (%s), as expected\n",
			ret, strerror((int)ret));
	} else if (be->asked) {
		fprintf(be->out, "back-end:   reply 0 (acked)\n");
	}
}

/* End of a step: the VMM has the guest read the region, then replies. */
static void end_step(struct backend *be, const char *title)
{
	__u8 msg[LIBVSHM_HDR_SIZE + 128];
	struct vhost_shmem_user_hdr hdr;
	size_t len = strlen(title) + 1;
	__u64 val;
	int err;

	if (be->chan_err)
		return;
	if (len > sizeof(msg) - LIBVSHM_HDR_SIZE)
		len = sizeof(msg) - LIBVSHM_HDR_SIZE;
	hdr.request = htole32(VSHM_DEMO_STEP);
	hdr.flags = htole32(VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_NEED_REPLY_MASK);
	hdr.size = htole32(len);
	memcpy(msg, &hdr, sizeof(hdr));
	memcpy(msg + sizeof(hdr), title, len);
	msg[sizeof(hdr) + len - 1] = 0;
	fflush(be->out);
	err = libvshm_send(be->sock, msg, sizeof(hdr) + len, -1);
	if (!err)
		err = libvshm_recv_reply(be->sock, VSHM_DEMO_STEP, &val);
	if (err) {
		fprintf(be->out, "back-end: at \"%s\": channel failed: %s\n",
			title, strerror(-err));
		be->chan_err = err;
		be->errors++;
	} else if (val) {
		fprintf(be->out,
			"back-end: at \"%s\": the VMM reports that the guest saw wrong data\n",
			title);
		be->errors++;
	}
}

int vshm_backend_run(int sock, FILE *out)
{
	struct blob a = { .name = "blob A", .id = 1, .pages = 2, .fd = -1 };
	struct blob b = { .name = "blob B", .id = 2, .pages = 3, .fd = -1 };
	struct blob c = { .name = "blob C", .id = 3, .pages = 2, .fd = -1 };
	struct backend be = { .sock = sock, .out = out };
	const __u64 P = VSHM_PAGE;
	int err;

	err = vshm_page_check(out);
	if (err)
		return err;
	err = blob_create(&a);
	if (!err)
		err = blob_create(&b);
	if (!err)
		err = blob_create(&c);
	if (err) {
		fprintf(out, "back-end: creating blobs: %s\n", strerror(-err));
		be.errors++;
		goto out;
	}

	fprintf(out, "\n== step 1: map blob A and blob B as a batch, one ack at the end\n");
	expect(&be, send_mmap(&be, &a, 0, 0x0000, 2 * P, true, false), false);
	expect(&be, send_mmap(&be, &b, 0, 0x4000, 3 * P, true, true), false);
	end_step(&be, "A at 0x0000, B at 0x4000");

	if (be.chan_err)
		goto out;
	fprintf(out, "\n== step 2: map blob C over blob B (must fail, nothing changes)\n");
	expect(&be, send_mmap(&be, &c, 0, 0x5000, 2 * P, true, true), true);
	end_step(&be, "unchanged");

	if (be.chan_err)
		goto out;
	fprintf(out, "\n== step 3: unmap blob A, no reply asked\n");
	expect(&be, send_mmap(&be, NULL, 0, 0x0000, 2 * P, false, false),
	       false);
	end_step(&be, "A gone, B at 0x4000");

	if (be.chan_err)
		goto out;
	fprintf(out, "\n== step 4: map blob C where blob A was\n");
	expect(&be, send_mmap(&be, &c, 0, 0x0000, 2 * P, true, true), false);
	end_step(&be, "C at 0x0000, B at 0x4000");

	if (be.chan_err)
		goto out;
	fprintf(out, "\n== step 5: map page 1 of blob A read-only at 0xa000, unmap blob B\n");
	expect(&be, send_mmap(&be, &a, P, 0xa000, P, false, false), false);
	expect(&be, send_mmap(&be, NULL, 0, 0x4000, 3 * P, false, true),
	       false);
	end_step(&be, "C at 0x0000, A page 1 at 0xa000");

	if (be.chan_err)
		goto out;
	fprintf(out, "\n== step 6: unmap everything\n");
	expect(&be, send_mmap(&be, NULL, 0, 0x0000, 2 * P, false, false),
	       false);
	expect(&be, send_mmap(&be, NULL, 0, 0xa000, P, false, true), false);
	end_step(&be, "empty");

out:
	if (a.fd >= 0)
		close(a.fd);
	if (b.fd >= 0)
		close(b.fd);
	if (c.fd >= 0)
		close(c.fd);
	close(sock);
	fprintf(out, "back-end: %s\n", be.errors ? "FAILED" : "done, every reply as expected");
	fflush(out);
	return be.errors ? 1 : 0;
}
