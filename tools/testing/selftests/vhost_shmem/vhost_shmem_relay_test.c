// SPDX-License-Identifier: GPL-2.0
/*
 * VHOST_SHMEM_RELAY: vhost-user back-end channel messages, byte for byte as
 * the specification lays them out, executed by the kernel.
 */
#include "vshm_test_util.h"

#include <assert.h>
#include <stddef.h>

#include "kselftest_harness.h"

/* The wire layout of the vhost-user specification. */
static_assert(sizeof(struct vhost_shmem_user_hdr) == 12, "header");
static_assert(offsetof(struct vhost_shmem_user_hdr, request) == 0, "request");
static_assert(offsetof(struct vhost_shmem_user_hdr, flags) == 4, "flags");
static_assert(offsetof(struct vhost_shmem_user_hdr, size) == 8, "size");
static_assert(sizeof(struct vhost_shmem_user_mmap) == 40, "VhostUserMMap");
static_assert(offsetof(struct vhost_shmem_user_mmap, shmid) == 0, "shmid");
static_assert(offsetof(struct vhost_shmem_user_mmap, padding) == 1, "pad");
static_assert(offsetof(struct vhost_shmem_user_mmap, fd_offset) == 8, "fdo");
static_assert(offsetof(struct vhost_shmem_user_mmap, shm_offset) == 16, "so");
static_assert(offsetof(struct vhost_shmem_user_mmap, len) == 24, "len");
static_assert(offsetof(struct vhost_shmem_user_mmap, flags) == 32, "mflags");
static_assert(sizeof(struct vhost_shmem_user_reply) == 20, "reply");
static_assert(offsetof(struct vhost_shmem_user_reply, value) == 12, "value");
static_assert(VHOST_SHMEM_USER_BACKEND_SHMEM_MAP == 9, "MAP id");
static_assert(VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP == 10, "UNMAP id");
static_assert(VHOST_SHMEM_USER_PROTOCOL_F_SHMEM == 22, "feature bit");

#define SHMID	4
#define MSG_LEN	52

/* Little-endian fields, written byte by byte as the spec text has them. */
static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = v >> (8 * i);
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* header: request u32, flags u32, size u32; VhostUserMMap: 40 bytes. */
static void build(uint8_t *m, uint32_t request, uint32_t flags, uint8_t shmid,
		  uint64_t fd_offset, uint64_t shm_offset, uint64_t len,
		  uint64_t mflags)
{
	memset(m, 0, MSG_LEN);
	put_le(m + 0, request, 4);
	put_le(m + 4, flags, 4);
	put_le(m + 8, 40, 4);
	m[12] = shmid;
	put_le(m + 20, fd_offset, 8);
	put_le(m + 28, shm_offset, 8);
	put_le(m + 36, len, 8);
	put_le(m + 44, mflags, 8);
}

struct relay_out {
	int ret;
	uint32_t reply_len;
	int result;
	uint32_t request;
	uint8_t reply[64];
};

static struct relay_out relay(int dev, const void *msg, uint32_t len, int fd,
			      uint32_t flags)
{
	struct relay_out o = { 0 };
	struct vhost_shmem_relay r = {
		.size = sizeof(r),
		.msg = (uintptr_t)msg,
		.msg_len = len,
		.fd = fd,
		.flags = flags,
		.reply = (uintptr_t)o.reply,
		.reply_len = sizeof(o.reply),
	};

	memset(o.reply, 0xaa, sizeof(o.reply));
	o.ret = vshm_ioctl(dev, VHOST_SHMEM_RELAY, &r);
	o.reply_len = r.reply_len;
	o.result = r.out_result;
	o.request = r.out_request;
	return o;
}

/*
 * The device, region SHMID with a 16-page window, and an 8-page memfd to
 * map: what fixtures relay and reply hold.
 */
static void relay_env_open(struct __test_metadata *_metadata, int *dev,
			   void **win, int *fd)
{
	uint64_t off;

	*win = MAP_FAILED;
	*fd = -1;
	*dev = vshm_open();
	if (*dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, *dev);
	ASSERT_EQ(0, vshm_region_create(*dev, SHMID, 16 * PAGE, &off));
	*win = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, *dev,
		    off);
	ASSERT_NE(MAP_FAILED, *win);
	*fd = memfd_pattern(40, 8 * PAGE, 0);
	ASSERT_LE(0, *fd);
}

static void relay_env_close(int dev, void *win, int fd)
{
	if (fd >= 0)
		close(fd);
	if (win != MAP_FAILED)
		munmap(win, 16 * PAGE);
	if (dev >= 0)
		close(dev);
}

FIXTURE(relay) {
	int dev;
	void *win;
	int fd;
};

FIXTURE_SETUP(relay)
{
	relay_env_open(_metadata, &self->dev, &self->win, &self->fd);
}

FIXTURE_TEARDOWN(relay)
{
	relay_env_close(self->dev, self->win, self->fd);
}

static uint64_t nr_mappings(int dev)
{
	struct vhost_shmem_region_info ri;

	return vshm_region_info(dev, SHMID, &ri) ? ~0ULL : ri.out_nr_mappings;
}

TEST_F(relay, map_with_reply_byte_for_byte)
{
	/* The reply to a MAP with NEED_REPLY that succeeded. */
	static const uint8_t want[20] = {
		0x09, 0, 0, 0,		/* request: SHMEM_MAP */
		0x05, 0, 0, 0,		/* flags: version 1 | REPLY */
		0x08, 0, 0, 0,		/* size: 8 */
		0, 0, 0, 0, 0, 0, 0, 0,	/* u64: 0, success */
	};
	struct relay_out o;
	uint8_t m[MSG_LEN];
	uint32_t v;

	build(m, 9, 0x1 | 0x8, SHMID, 2 * PAGE, 4 * PAGE, 2 * PAGE, 1);
	m[13] = 0x5a;	/* padding: ignored */
	o = relay(self->dev, m, MSG_LEN, self->fd, 0);
	ASSERT_EQ(0, o.ret);
	EXPECT_EQ(9, o.request);
	EXPECT_EQ(0, o.result);
	ASSERT_EQ(20, o.reply_len);
	EXPECT_EQ(0, memcmp(want, o.reply, 20));
	EXPECT_EQ(0xaa, o.reply[20]);

	/* The mapping is the one the message described, and read-write. */
	ASSERT_EQ(0, probe_read(self->win, 5 * PAGE + 8, &v));
	EXPECT_EQ(pattern(40, 3 * PAGE + 8), v);
	ASSERT_EQ(0, probe_write(self->win, 4 * PAGE, 0x1234));
	EXPECT_EQ(0x1234, file_read32(self->fd, 2 * PAGE));

	/* The caller's descriptor is still the caller's to close. */
	EXPECT_LE(0, fcntl(self->fd, F_GETFD));

	/* UNMAP with NEED_REPLY. */
	build(m, 10, 0x1 | 0x8, SHMID, 0, 4 * PAGE, 2 * PAGE, 0);
	o = relay(self->dev, m, MSG_LEN, -1, 0);
	ASSERT_EQ(0, o.ret);
	EXPECT_EQ(0, o.result);
	ASSERT_EQ(20, o.reply_len);
	EXPECT_EQ(10, get_le(o.reply, 4));
	EXPECT_EQ(5, get_le(o.reply + 4, 4));
	EXPECT_EQ(0, get_le(o.reply + 12, 8));
	EXPECT_EQ(SIGBUS, probe_read(self->win, 4 * PAGE, &v));
}

TEST_F(relay, failures_reply_non_zero)
{
	struct relay_out o;
	uint8_t m[MSG_LEN];

	build(m, 9, 0x1 | 0x8, SHMID, 0, 0, PAGE, 0);
	ASSERT_EQ(0, relay(self->dev, m, MSG_LEN, self->fd, 0).ret);

	/* Overlap, outside the region, no such region, unknown map flags. */
	o = relay(self->dev, m, MSG_LEN, self->fd, 0);
	ASSERT_EQ(0, o.ret);
	EXPECT_EQ(-EEXIST, o.result);
	ASSERT_EQ(20, o.reply_len);
	EXPECT_EQ(EEXIST, get_le(o.reply + 12, 8));
	build(m, 9, 0x9, SHMID, 0, 16 * PAGE, PAGE, 0);
	o = relay(self->dev, m, MSG_LEN, self->fd, 0);
	EXPECT_EQ(-EINVAL, o.result);
	EXPECT_EQ(EINVAL, get_le(o.reply + 12, 8));
	build(m, 9, 0x9, SHMID + 1, 0, 0, PAGE, 0);
	o = relay(self->dev, m, MSG_LEN, self->fd, 0);
	EXPECT_EQ(-ENOENT, o.result);
	EXPECT_NE(0, get_le(o.reply + 12, 8));
	/* A flag this kernel does not know, as MAP refuses it. */
	build(m, 9, 0x9, SHMID, 0, 2 * PAGE, PAGE, 2);
	o = relay(self->dev, m, MSG_LEN, self->fd, 0);
	EXPECT_EQ(-EOPNOTSUPP, o.result);
	EXPECT_EQ(EOPNOTSUPP, get_le(o.reply + 12, 8));

	/* QEMU's flags are a u16: the bytes after it are padding. */
	build(m, 9, 0x9, SHMID, 0, 6 * PAGE, PAGE, 0xdead000000000000ULL | 1);
	o = relay(self->dev, m, MSG_LEN, self->fd, 0);
	EXPECT_EQ(0, o.result);
	EXPECT_EQ(0, get_le(o.reply + 12, 8));
	build(m, 10, 0x9, SHMID, 0, 6 * PAGE, PAGE, 0);
	EXPECT_EQ(0, relay(self->dev, m, MSG_LEN, -1, 0).result);

	/* UNMAP of part of a mapping, or of a hole. */
	build(m, 10, 0x9, SHMID, 0, 8 * PAGE, PAGE, 0);
	o = relay(self->dev, m, MSG_LEN, -1, 0);
	EXPECT_EQ(-ENOENT, o.result);
	EXPECT_EQ(ENOENT, get_le(o.reply + 12, 8));
	EXPECT_EQ(1, nr_mappings(self->dev));
}

/* A MAP whose descriptor is not an open file fails and is answered. */
/*
 * A virtio-fs DAX chunk of a small file: the guest asks for 2 MiB of a
 * 5000-byte file, as it does for every file's last chunk.  Accepted, as
 * mmap() of the descriptor would be; pages past the end fault until the
 * file grows.
 */
TEST_F(relay, map_past_end_of_file)
{
	uint8_t m[MSG_LEN], buf[PAGE];
	struct relay_out o;
	uint64_t off;
	uint32_t v;
	void *win;
	int fd, rw;

	ASSERT_EQ(0, vshm_region_create(self->dev, SHMID + 1, 4 << 20, &off));
	win = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->dev, off);
	ASSERT_NE(MAP_FAILED, win);
	fd = memfd_pattern(41, PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 5000));

	for (rw = 0; rw < 2; rw++) {
		build(m, 9, 0x9, SHMID + 1, 0, (uint64_t)rw << 21, 2 << 20, rw);
		o = relay(self->dev, m, MSG_LEN, fd, 0);
		ASSERT_EQ(0, o.ret);
		EXPECT_EQ(0, o.result);
		ASSERT_EQ(20, o.reply_len);
		EXPECT_EQ(0, get_le(o.reply + 12, 8));
	}
	ASSERT_EQ(0, probe_read(win, 8, &v));
	EXPECT_EQ(pattern(41, 8), v);
	ASSERT_EQ(0, probe_read(win, PAGE + 800, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(SIGBUS, probe_read(win, 2 * PAGE, &v));
	EXPECT_EQ(SIGBUS, probe_write(win, (2 << 20) + 5 * PAGE, 1));

	/* The file grows: the pages appear, read-only and read-write. */
	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(PAGE, pwrite(fd, buf, PAGE, 5 * PAGE));
	ASSERT_EQ(0, probe_read(win, 5 * PAGE, &v));
	EXPECT_EQ(0x5a5a5a5a, v);
	ASSERT_EQ(0, probe_write(win, (2 << 20) + 5 * PAGE + 4, 0x1234));
	EXPECT_EQ(0x1234, file_read32(fd, 5 * PAGE + 4));
	EXPECT_EQ(SIGBUS, probe_read(win, 6 * PAGE, &v));

	munmap(win, 4 << 20);
	close(fd);
}

TEST_F(relay, map_with_unusable_fd_is_answered)
{
	struct relay_out o;
	uint8_t m[MSG_LEN];
	char path[64];
	int opath;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fd);
	opath = open(path, O_PATH | O_CLOEXEC);
	ASSERT_LE(0, opath);
	build(m, 9, 0x9, SHMID, 0, 0, PAGE, 0);
	o = relay(self->dev, m, MSG_LEN, opath, 0);
	ASSERT_EQ(0, o.ret);
	EXPECT_EQ(-EBADF, o.result);
	ASSERT_EQ(20, o.reply_len);
	EXPECT_EQ(EBADF, get_le(o.reply + 12, 8));
	o = relay(self->dev, m, MSG_LEN, 1000000, 0);
	ASSERT_EQ(0, o.ret);
	EXPECT_EQ(-EBADF, o.result);
	EXPECT_EQ(0, nr_mappings(self->dev));
	close(opath);
}

/*
 * The relay fixture, the VMM relaying for a back-end that asks for the
 * replies it wants (NEED_REPLY) or for one that wants every reply
 * (VHOST_SHMEM_RELAY_F_ALWAYS_REPLY).
 */
FIXTURE(reply) {
	int dev;
	void *win;
	int fd;
};

FIXTURE_VARIANT(reply) {
	uint32_t flags;
};

FIXTURE_VARIANT_ADD(reply, when_asked) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(reply, always) {
	.flags = VHOST_SHMEM_RELAY_F_ALWAYS_REPLY,
};

FIXTURE_SETUP(reply)
{
	relay_env_open(_metadata, &self->dev, &self->win, &self->fd);
}

FIXTURE_TEARDOWN(reply)
{
	relay_env_close(self->dev, self->win, self->fd);
}

/*
 * Messages without NEED_REPLY, succeeding and failing: no reply unless the
 * VMM serves a back-end that wants every reply, which then gets 0 for a
 * success and non-zero for a failure.
 */
TEST_F(reply, only_when_asked_or_always)
{
	bool always = variant->flags & VHOST_SHMEM_RELAY_F_ALWAYS_REPLY;
	struct relay_out o;
	uint8_t m[MSG_LEN];

	build(m, 9, 0x1, SHMID, 0, 0, PAGE, 0);
	o = relay(self->dev, m, MSG_LEN, self->fd, variant->flags);
	ASSERT_EQ(0, o.ret);
	EXPECT_EQ(0, o.result);
	if (always) {
		ASSERT_EQ(20, o.reply_len);
		EXPECT_EQ(9, get_le(o.reply, 4));
		EXPECT_EQ(0, get_le(o.reply + 12, 8));
	} else {
		EXPECT_EQ(0, o.reply_len);
	}
	o = relay(self->dev, m, MSG_LEN, self->fd, variant->flags);
	ASSERT_EQ(0, o.ret);
	EXPECT_EQ(-EEXIST, o.result);
	if (always) {
		ASSERT_EQ(20, o.reply_len);
		EXPECT_EQ(9, get_le(o.reply, 4));
		EXPECT_NE(0, get_le(o.reply + 12, 8));
	} else {
		EXPECT_EQ(0, o.reply_len);
	}

	build(m, 10, 0x1, SHMID, 0, 0, PAGE, 0);
	o = relay(self->dev, m, MSG_LEN, -1, variant->flags);
	ASSERT_EQ(0, o.ret);
	EXPECT_EQ(0, o.result);
	if (always) {
		ASSERT_EQ(20, o.reply_len);
		EXPECT_EQ(10, get_le(o.reply, 4));
		EXPECT_EQ(0, get_le(o.reply + 12, 8));
	} else {
		EXPECT_EQ(0, o.reply_len);
	}
}

/* Several MAPs without NEED_REPLY, then one with it: one ack. */
TEST_F(relay, batch_then_ack)
{
	struct relay_out o;
	uint8_t m[MSG_LEN];
	uint32_t v;
	int i;

	for (i = 0; i < 4; i++) {
		build(m, 9, i == 3 ? 0x9 : 0x1, SHMID, i * PAGE, i * 2 * PAGE,
		      PAGE, 0);
		o = relay(self->dev, m, MSG_LEN, self->fd, 0);
		ASSERT_EQ(0, o.ret);
		EXPECT_EQ(0, o.result);
		EXPECT_EQ(i == 3 ? 20 : 0, o.reply_len);
	}
	EXPECT_EQ(0, get_le(o.reply + 12, 8));
	EXPECT_EQ(4, nr_mappings(self->dev));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, probe_read(self->win, i * 2 * PAGE, &v));
		EXPECT_EQ(pattern(40, i * PAGE), v);
		EXPECT_EQ(SIGBUS, probe_read(self->win, (i * 2 + 1) * PAGE, &v));
	}
}

TEST_F(relay, malformed_changes_nothing)
{
	struct vhost_shmem_relay r;
	uint8_t m[MSG_LEN + 8];
	struct relay_out o;
	uint8_t reply[32];

	/* Short, long, a size field that lies. */
	build(m, 9, 0x9, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, 0, self->fd, 0).ret);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, 11, self->fd, 0).ret);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, MSG_LEN - 1, self->fd, 0).ret);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, MSG_LEN + 8, self->fd, 0).ret);
	put_le(m + 8, 48, 4);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, MSG_LEN, self->fd, 0).ret);

	/* Versions 0, 2, 3; the reply bit; a reserved bit. */
	build(m, 9, 0x8, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, MSG_LEN, self->fd, 0).ret);
	build(m, 9, 0xa, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, MSG_LEN, self->fd, 0).ret);
	build(m, 9, 0xb, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, MSG_LEN, self->fd, 0).ret);
	build(m, 9, 0x5, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, MSG_LEN, self->fd, 0).ret);
	build(m, 9, 0x1 | 0x100, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, MSG_LEN, self->fd, 0).ret);

	/* A MAP without its descriptor, an UNMAP with one. */
	build(m, 9, 0x9, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, MSG_LEN, -1, 0).ret);
	build(m, 10, 0x9, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, MSG_LEN, self->fd, 0).ret);

	/* An UNMAP with a descriptor, even one that is not open. */
	build(m, 10, 0x9, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-EBADMSG, relay(self->dev, m, MSG_LEN, 1000000, 0).ret);

	/* Other requests are the VMM's; their shape does not matter. */
	build(m, 8, 0x9, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-ENOMSG, relay(self->dev, m, MSG_LEN, self->fd, 0).ret);
	build(m, 1, 0x1, 0, 0, 0, 0, 0);
	EXPECT_EQ(-ENOMSG, relay(self->dev, m, 12, -1, 0).ret);

	/* The ioctl's own fields. */
	build(m, 9, 0x9, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-EOPNOTSUPP, relay(self->dev, m, MSG_LEN, self->fd, 2).ret);
	EXPECT_EQ(-EINVAL, relay(self->dev, m, MSG_LEN, -2, 0).ret);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.msg = (uintptr_t)m;
	r.msg_len = MSG_LEN;
	r.fd = self->fd;
	r.reply = (uintptr_t)reply;
	r.reply_len = 19;
	EXPECT_EQ(-EINVAL, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY, &r));
	r.reply_len = sizeof(reply);
	r.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY, &r));
	r.__reserved = 0;
	r.msg = 8;
	EXPECT_EQ(-EFAULT, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY, &r));
	r.msg = (uintptr_t)m;
	r.reply = 8;
	EXPECT_EQ(-EFAULT, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY, &r));
	EXPECT_EQ(-EFAULT, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY, NULL));

	/* A call that fails changes neither reply_len nor the reply. */
	r.reply = (uintptr_t)reply;
	r.reply_len = sizeof(reply) + 7;
	memset(reply, 0x5a, sizeof(reply));
	build(m, 8, 0x9, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-ENOMSG, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY, &r));
	EXPECT_EQ(sizeof(reply) + 7, r.reply_len);
	build(m, 9, 0x2, SHMID, 0, 0, PAGE, 0);
	EXPECT_EQ(-EBADMSG, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY, &r));
	EXPECT_EQ(sizeof(reply) + 7, r.reply_len);
	EXPECT_EQ(0x5a, reply[0]);
	EXPECT_EQ(0x5a, reply[19]);

	/*
	 * An argument whose outputs cannot be written: refused before the
	 * MAP runs, not after (the outputs sit on a read-only page).
	 */
	build(m, 9, 0x9, SHMID, 0, 0, PAGE, 0);
	{
		uint8_t *pg = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct vhost_shmem_relay *ro;

		ASSERT_NE(MAP_FAILED, pg);
		ro = (void *)(pg + PAGE -
			      offsetof(struct vhost_shmem_relay, out_request));
		memcpy(ro, &r, offsetof(struct vhost_shmem_relay, out_request));
		memset(pg + PAGE, 0, PAGE);
		ASSERT_EQ(0, mprotect(pg + PAGE, PAGE, PROT_READ));
		EXPECT_EQ(-EFAULT, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY, ro));
		munmap(pg, 2 * PAGE);
	}

	EXPECT_EQ(0, nr_mappings(self->dev));
	o = relay(self->dev, m, MSG_LEN, self->fd, 0);
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(1, nr_mappings(self->dev));
}

/* ---- VHOST_SHMEM_RELAY_BATCH ---- */

static_assert(sizeof(struct vhost_shmem_relay_entry) == 56, "entry v1");
static_assert(sizeof(struct vhost_shmem_relay_batch) == 24, "batch v1");

/* Outputs of an entry before the call: a failed call leaves them so. */
#define UNTOUCHED	0x5a5a5a5a

static void entry(struct vhost_shmem_relay_entry *e, const uint8_t *m,
		  uint32_t len, int fd)
{
	memset(e, 0x5a, sizeof(*e));
	e->flags = 0;
	e->fd = fd;
	e->msg = (uintptr_t)m;
	e->msg_len = len;
}

static int relay_batch_len(int dev, void *entries, uint32_t entry_len,
			   uint32_t n, uint32_t flags)
{
	struct vhost_shmem_relay_batch b = {
		.size = sizeof(b),
		.flags = flags,
		.entries = (uintptr_t)entries,
		.entry_len = entry_len,
		.entry_num = n,
	};

	return vshm_ioctl(dev, VHOST_SHMEM_RELAY_BATCH, &b);
}

static int relay_batch(int dev, struct vhost_shmem_relay_entry *e,
		       uint32_t n, uint32_t flags)
{
	return relay_batch_len(dev, e, sizeof(*e), n, flags);
}

TEST_F(relay, batch_announced)
{
	struct vhost_shmem_info info;

	ASSERT_EQ(0, vshm_get_info(self->dev, &info));
	EXPECT_TRUE(info.features & VHOST_SHMEM_F_RELAY_BATCH);
}

/*
 * Messages run in order, each seeing what the ones before it did: a MAP
 * then an UNMAP of the same range, a MAP into the range an UNMAP freed,
 * a MAP that overlaps one made earlier in the batch.
 */
TEST_F(relay, batch_in_order)
{
	struct vhost_shmem_relay_entry e[6];
	uint8_t m[6][MSG_LEN];
	uint32_t v;
	int i;

	build(m[0], 9, 0x9, SHMID, 0, 0, 2 * PAGE, 1);
	build(m[1], 9, 0x1, SHMID, PAGE, 4 * PAGE, PAGE, 0);
	build(m[2], 10, 0x9, SHMID, 0, 0, 2 * PAGE, 0);
	build(m[3], 9, 0x9, SHMID, 0, 4 * PAGE, PAGE, 0);	/* overlap */
	build(m[4], 9, 0x9, SHMID, 3 * PAGE, 0, PAGE, 0);	/* freed */
	build(m[5], 10, 0x9, SHMID, 0, 8 * PAGE, PAGE, 0);	/* a hole */
	for (i = 0; i < 6; i++)
		entry(&e[i], m[i], MSG_LEN, m[i][0] == 9 ? self->fd : -1);
	ASSERT_EQ(0, relay_batch(self->dev, e, 6, 0));

	for (i = 0; i < 6; i++) {
		EXPECT_EQ(0, e[i].out_status);
		EXPECT_EQ(m[i][0], e[i].out_request);
	}
	EXPECT_EQ(0, e[0].out_result);
	EXPECT_EQ(0, e[1].out_result);
	EXPECT_EQ(0, e[2].out_result);
	EXPECT_EQ(-EEXIST, e[3].out_result);
	EXPECT_EQ(0, e[4].out_result);
	EXPECT_EQ(-ENOENT, e[5].out_result);
	/* Replies where asked for, and only there. */
	EXPECT_EQ(20, e[0].out_reply_len);
	EXPECT_EQ(0, e[1].out_reply_len);
	EXPECT_EQ(UNTOUCHED, get_le((uint8_t *)&e[1].out_reply, 4));
	EXPECT_EQ(EEXIST, get_le((uint8_t *)&e[3].out_reply + 12, 8));
	EXPECT_EQ(ENOENT, get_le((uint8_t *)&e[5].out_reply + 12, 8));

	EXPECT_EQ(2, nr_mappings(self->dev));
	ASSERT_EQ(0, probe_read(self->win, 0, &v));
	EXPECT_EQ(pattern(40, 3 * PAGE), v);
	EXPECT_EQ(SIGBUS, probe_read(self->win, PAGE, &v));
	ASSERT_EQ(0, probe_read(self->win, 4 * PAGE, &v));
	EXPECT_EQ(pattern(40, PAGE), v);
	/* The descriptor is still the caller's. */
	EXPECT_LE(0, fcntl(self->fd, F_GETFD));
}

/*
 * The replies and results of a batch are byte for byte those of the same
 * messages relayed one by one, on a second context in the same state.
 */
TEST_F(reply, batch_same_as_one_by_one)
{
	struct vhost_shmem_relay_entry e[10];
	uint8_t m[10][MSG_LEN];
	void *win2;
	int dev2, fd2, i;

	build(m[0], 9, 0x9, SHMID, 0, 0, PAGE, 1);
	build(m[1], 9, 0x1, SHMID, 0, 0, PAGE, 1);		/* EEXIST */
	build(m[2], 9, 0x9, SHMID, 0, 2 * PAGE, PAGE, 0);
	build(m[3], 10, 0x9, SHMID, 0, 0, PAGE, 0);
	build(m[4], 10, 0x1, SHMID, 0, 0, PAGE, 0);		/* ENOENT */
	build(m[5], 9, 0x9, SHMID, 0, 16 * PAGE, PAGE, 0);	/* EINVAL */
	build(m[6], 9, 0x9, SHMID + 1, 0, 0, PAGE, 0);		/* ENOENT */
	build(m[7], 9, 0x9, SHMID, PAGE, 0, 2 * PAGE, 0);
	build(m[8], 10, 0x1, SHMID, 0, 2 * PAGE, PAGE, 0);
	build(m[9], 9, 0x9, SHMID, 0, 2 * PAGE, PAGE, 2);	/* EOPNOTSUPP */
	for (i = 0; i < 10; i++)
		entry(&e[i], m[i], MSG_LEN, m[i][0] == 9 ? self->fd : -1);
	ASSERT_EQ(0, relay_batch(self->dev, e, 10, variant->flags));

	relay_env_open(_metadata, &dev2, &win2, &fd2);
	for (i = 0; i < 10; i++) {
		struct relay_out o = relay(dev2, m[i], MSG_LEN,
					   m[i][0] == 9 ? fd2 : -1,
					   variant->flags);

		ASSERT_EQ(0, o.ret);
		EXPECT_EQ(0, e[i].out_status);
		EXPECT_EQ(o.request, e[i].out_request);
		EXPECT_EQ(o.result, e[i].out_result);
		ASSERT_EQ(o.reply_len, e[i].out_reply_len);
		if (o.reply_len)
			EXPECT_EQ(0, memcmp(o.reply, &e[i].out_reply, 20));
		TH_LOG("message %d: result %d, reply %u bytes", i, o.result,
		       o.reply_len);
	}
	EXPECT_EQ(nr_mappings(dev2), nr_mappings(self->dev));
	relay_env_close(dev2, win2, fd2);
}

/*
 * What one message of a batch does wrong is that message's alone: a
 * malformed message, a request the relay leaves to the VMM, a descriptor
 * that is no open file; the messages after them run.
 */
TEST_F(relay, batch_failure_in_the_middle)
{
	struct vhost_shmem_relay_entry e[6];
	uint8_t m[6][MSG_LEN];
	char path[64];
	int opath, i;
	uint32_t v;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fd);
	opath = open(path, O_PATH | O_CLOEXEC);
	ASSERT_LE(0, opath);
	build(m[0], 9, 0x9, SHMID, 0, 0, PAGE, 0);
	build(m[1], 9, 0xb, SHMID, 0, 2 * PAGE, PAGE, 0);	/* version 3 */
	build(m[2], 8, 0x9, SHMID, 0, 0, 0, 0);			/* not ours */
	build(m[3], 9, 0x9, SHMID, 0, 4 * PAGE, PAGE, 0);	/* O_PATH */
	build(m[4], 10, 0x9, SHMID, 0, 0, PAGE, 0);		/* with an fd */
	build(m[5], 9, 0x9, SHMID, PAGE, 6 * PAGE, PAGE, 0);
	for (i = 0; i < 6; i++)
		entry(&e[i], m[i], MSG_LEN, self->fd);
	e[3].fd = opath;
	ASSERT_EQ(0, relay_batch(self->dev, e, 6, 0));

	EXPECT_EQ(0, e[0].out_status);
	EXPECT_EQ(0, e[0].out_result);
	EXPECT_EQ(-EBADMSG, e[1].out_status);
	EXPECT_EQ(9, e[1].out_request);
	EXPECT_EQ(0, e[1].out_reply_len);
	EXPECT_EQ(-ENOMSG, e[2].out_status);
	EXPECT_EQ(8, e[2].out_request);
	EXPECT_EQ(0, e[2].out_reply_len);
	EXPECT_EQ(0, e[3].out_status);
	EXPECT_EQ(-EBADF, e[3].out_result);
	EXPECT_EQ(20, e[3].out_reply_len);
	EXPECT_EQ(EBADF, get_le((uint8_t *)&e[3].out_reply + 12, 8));
	EXPECT_EQ(-EBADMSG, e[4].out_status);
	EXPECT_EQ(0, e[5].out_status);
	EXPECT_EQ(0, e[5].out_result);

	EXPECT_EQ(2, nr_mappings(self->dev));
	ASSERT_EQ(0, probe_read(self->win, 0, &v));
	ASSERT_EQ(0, probe_read(self->win, 6 * PAGE, &v));
	EXPECT_EQ(pattern(40, PAGE), v);
	EXPECT_EQ(SIGBUS, probe_read(self->win, 4 * PAGE, &v));
	close(opath);
}

/*
 * Never stale: pages the guest or the VMM reached before a batch that
 * unmaps them, or replaces their mapping, are out of reach when it
 * returns; mappings the batch does not touch keep their pages in the
 * window.
 */
TEST_F(relay, batch_unmaps_before_returning)
{
	struct vhost_shmem_relay_entry e[4];
	uint8_t m[4][MSG_LEN];
	uint32_t v;
	int i;

	for (i = 0; i < 3; i++) {
		build(m[0], 9, 0x1, SHMID, i * PAGE, i * PAGE, PAGE, 1);
		ASSERT_EQ(0, relay(self->dev, m[0], MSG_LEN, self->fd, 0).result);
		ASSERT_EQ(0, probe_read(self->win, i * PAGE, &v));
	}
	/* Unmap pages 0 and 2, around page 1; map page 2 from elsewhere. */
	build(m[0], 10, 0x1, SHMID, 0, 0, PAGE, 0);
	build(m[1], 10, 0x1, SHMID, 0, 2 * PAGE, PAGE, 0);
	build(m[2], 9, 0x1, SHMID, 5 * PAGE, 2 * PAGE, PAGE, 0);
	build(m[3], 9, 0x1, SHMID, 6 * PAGE, 8 * PAGE, PAGE, 0);
	for (i = 0; i < 4; i++)
		entry(&e[i], m[i], MSG_LEN, m[i][0] == 9 ? self->fd : -1);
	ASSERT_EQ(0, relay_batch(self->dev, e, 4, 0));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, e[i].out_result);

	EXPECT_EQ(SIGBUS, probe_read(self->win, 0, &v));
	ASSERT_EQ(0, probe_read(self->win, 2 * PAGE, &v));
	EXPECT_EQ(pattern(40, 5 * PAGE), v);
	ASSERT_EQ(0, probe_read(self->win, PAGE, &v));
	EXPECT_EQ(pattern(40, PAGE), v);
	ASSERT_EQ(0, probe_read(self->win, 8 * PAGE, &v));
	EXPECT_EQ(pattern(40, 6 * PAGE), v);
}

/* Every field is checked; a refused batch executes nothing. */
TEST_F(relay, batch_bad_input)
{
	struct vhost_shmem_relay_entry e[VHOST_SHMEM_RELAY_BATCH_MAX + 1];
	struct {
		struct vhost_shmem_relay_batch b;
		uint64_t more;
	} bb;
	struct vhost_shmem_relay_batch b;
	uint8_t m[MSG_LEN], big[2 * sizeof(e[0])];
	uint8_t *pg;
	int i;

	build(m, 9, 0x9, SHMID, 0, 0, PAGE, 0);
	for (i = 0; i <= VHOST_SHMEM_RELAY_BATCH_MAX; i++)
		entry(&e[i], m, MSG_LEN, self->fd);

	EXPECT_EQ(-EOPNOTSUPP, relay_batch(self->dev, e, 1, 2));
	EXPECT_EQ(-EINVAL, relay_batch(self->dev, e, 0, 0));
	EXPECT_EQ(-E2BIG, relay_batch(self->dev, e,
				      VHOST_SHMEM_RELAY_BATCH_MAX + 1, 0));
	EXPECT_EQ(-EINVAL, relay_batch_len(self->dev, e, sizeof(e[0]) - 1, 1,
					   0));
	EXPECT_EQ(-EINVAL, relay_batch_len(self->dev, e, 0, 1, 0));
	EXPECT_EQ(-EFAULT, relay_batch(self->dev, NULL, 1, 0));
	EXPECT_EQ(-EFAULT, relay_batch(self->dev, (void *)8, 1, 0));

	/* The struct: too short, or longer with a byte this kernel lacks. */
	memset(&b, 0, sizeof(b));
	b.size = offsetof(struct vhost_shmem_relay_batch, entry_num);
	b.entries = (uintptr_t)e;
	b.entry_len = sizeof(e[0]);
	b.entry_num = 1;
	EXPECT_EQ(-EINVAL, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY_BATCH, &b));
	bb.b = b;
	bb.b.size = sizeof(bb);
	bb.more = 1;
	EXPECT_EQ(-E2BIG, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY_BATCH, &bb));
	EXPECT_EQ(-EFAULT, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY_BATCH, NULL));

	/* An entry: flags, a descriptor below -1, a message out of reach. */
	e[1].flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, relay_batch(self->dev, e, 2, 0));
	e[1].flags = 0;
	e[1].fd = -2;
	EXPECT_EQ(-EINVAL, relay_batch(self->dev, e, 2, 0));
	e[1].fd = self->fd;
	e[1].msg = 8;
	EXPECT_EQ(-EFAULT, relay_batch(self->dev, e, 2, 0));
	e[1].msg = (uintptr_t)m;

	/* A longer entry: zeroes past the kernel's are fine, else E2BIG. */
	memset(big, 0, sizeof(big));
	memcpy(big, &e[0], sizeof(e[0]));
	big[sizeof(e[0]) + 3] = 1;
	EXPECT_EQ(-E2BIG, relay_batch_len(self->dev, big, sizeof(big), 1, 0));
	EXPECT_EQ(0, nr_mappings(self->dev));

	/* Nothing above touched the outputs. */
	EXPECT_EQ(UNTOUCHED, (uint32_t)e[0].out_status);
	EXPECT_EQ(UNTOUCHED, e[0].out_reply_len);

	/* Outputs on a read-only page: refused before anything runs. */
	pg = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pg);
	memcpy(pg + PAGE - sizeof(e[0]), &e[0], sizeof(e[0]));
	memcpy(pg + PAGE, &e[0], sizeof(e[0]));
	ASSERT_EQ(0, mprotect(pg + PAGE, PAGE, PROT_READ));
	EXPECT_EQ(-EFAULT, relay_batch(self->dev,
				       (void *)(pg + PAGE - sizeof(e[0])), 2,
				       0));
	EXPECT_EQ(0, nr_mappings(self->dev));
	EXPECT_EQ(UNTOUCHED,
		  ((struct vhost_shmem_relay_entry *)(pg + PAGE - sizeof(e[0])))->out_reply_len);

	/* The longer entry, with zeroes: executed; the rest left alone. */
	big[sizeof(e[0]) + 3] = 0;
	EXPECT_EQ(0, relay_batch_len(self->dev, big, sizeof(big), 1, 0));
	EXPECT_EQ(0, ((struct vhost_shmem_relay_entry *)big)->out_result);
	EXPECT_EQ(20, ((struct vhost_shmem_relay_entry *)big)->out_reply_len);
	for (i = sizeof(e[0]); i < (int)sizeof(big); i++)
		EXPECT_EQ(0, big[i]);
	EXPECT_EQ(1, nr_mappings(self->dev));
	munmap(pg, 2 * PAGE);

	/* The most a batch holds: one MAP and MAX - 1 overlaps of it. */
	ASSERT_EQ(0, relay_batch(self->dev, e, VHOST_SHMEM_RELAY_BATCH_MAX, 0));
	for (i = 0; i < VHOST_SHMEM_RELAY_BATCH_MAX; i++)
		EXPECT_EQ(-EEXIST, e[i].out_result);
}

TEST_HARNESS_MAIN
