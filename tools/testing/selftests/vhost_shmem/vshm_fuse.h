/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftests' own FUSE server: the smallest server of the protocol that
 * lookup, open, mmap and reads through the page cache need, for one file
 * whose READs a test can hold or fail.
 */
#ifndef VSHM_FUSE_H
#define VSHM_FUSE_H

#include "vshm_test_util.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <linux/fuse.h>

/* The filesystem has one file, "blob", of FUSE_SIZE bytes. */
#define FUSE_SIZE	(2 * PAGE)
/* The most a READ or WRITE of the test file moves: two 64 KiB pages. */
#define VSHM_FUSE_MAX_IO	(2 * 65536)
#define FUSE_BLOB_ID	2

struct fuse_srv {
	int fd;
	char dir[64];
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool hold;		/* hold READs until cleared */
	int held;		/* READs being held */
	uint64_t eio_from;	/* READs from this offset on fail with EIO */
};

static inline void fuse_reply(int fd, uint64_t unique, int error,
			      const void *arg, size_t len)
{
	struct fuse_out_header out = {
		.len = sizeof(out) + (error ? 0 : len),
		.error = error,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ &out, sizeof(out) },
		{ (void *)arg, error ? 0 : len },
	};

	(void)!writev(fd, iov, 2);
}

static inline void fuse_fill_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0644;
	a->nlink = 1;
	a->size = ino == FUSE_ROOT_ID ? 0 : FUSE_SIZE;
	a->blocks = a->size / 512;
	a->blksize = PAGE;
}

static inline void *fuse_serve(void *arg)
{
	struct fuse_srv *srv = arg;
	/* A write carries at most max_write (a page, at most 64 KiB). */
	static char buf[FUSE_MIN_READ_BUFFER + VSHM_FUSE_MAX_IO];

	for (;;) {
		struct fuse_in_header *in = (void *)buf;
		void *body = buf + sizeof(*in);
		ssize_t n = read(srv->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)sizeof(*in))
			return NULL;	/* unmounted */
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_out o = {
				.major = FUSE_KERNEL_VERSION,
				.minor = 26,
				.max_readahead = 0,
				.max_write = PAGE,
				.max_background = 4,
				.congestion_threshold = 3,
			};

			fuse_reply(srv->fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out o = { .nodeid = FUSE_BLOB_ID };

			if (strcmp(body, "blob")) {
				fuse_reply(srv->fd, in->unique, -ENOENT, NULL, 0);
				break;
			}
			fuse_fill_attr(&o.attr, FUSE_BLOB_ID);
			fuse_reply(srv->fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o = { 0 };

			fuse_fill_attr(&o.attr, in->nodeid);
			fuse_reply(srv->fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out o = { .fh = 1 };

			fuse_reply(srv->fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ: {
			struct fuse_read_in *r = body;
			static uint32_t data[VSHM_FUSE_MAX_IO / 4];
			uint32_t i, len = r->size;

			pthread_mutex_lock(&srv->lock);
			srv->held++;
			pthread_cond_broadcast(&srv->cond);
			while (srv->hold)
				pthread_cond_wait(&srv->cond, &srv->lock);
			srv->held--;
			pthread_mutex_unlock(&srv->lock);
			if (r->offset + r->size > srv->eio_from) {
				fuse_reply(srv->fd, in->unique, -EIO, NULL, 0);
				break;
			}
			if (r->offset >= FUSE_SIZE)
				len = 0;
			else if (len > FUSE_SIZE - r->offset)
				len = FUSE_SIZE - r->offset;
			if (len > sizeof(data))
				len = sizeof(data);
			for (i = 0; i < len / 4; i++)
				data[i] = pattern(28, r->offset + i * 4);
			fuse_reply(srv->fd, in->unique, 0, data, len);
			break;
		}
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			break;
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
			fuse_reply(srv->fd, in->unique, 0, NULL, 0);
			break;
		default:
			fuse_reply(srv->fd, in->unique, -ENOSYS, NULL, 0);
			break;
		}
	}
}

static inline int fuse_start(struct fuse_srv *srv)
{
	char opts[128];

	memset(srv, 0, sizeof(*srv));
	srv->eio_from = UINT64_MAX;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->cond, NULL);
	srv->fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (srv->fd < 0)
		return -errno;
	snprintf(srv->dir, sizeof(srv->dir), "/tmp/vshm-fuse-XXXXXX");
	if (!mkdtemp(srv->dir))
		return -errno;
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0",
		 srv->fd);
	if (mount("vshm-fuse", srv->dir, "fuse", MS_NOSUID | MS_NODEV, opts))
		return -errno;
	return -pthread_create(&srv->th, NULL, fuse_serve, srv);
}

static inline void fuse_stop(struct fuse_srv *srv)
{
	pthread_mutex_lock(&srv->lock);
	srv->hold = false;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
	umount2(srv->dir, MNT_DETACH);
	close(srv->fd);
	pthread_join(srv->th, NULL);
	rmdir(srv->dir);
}

#endif /* VSHM_FUSE_H */
