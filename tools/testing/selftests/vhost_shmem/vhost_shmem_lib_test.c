// SPDX-License-Identifier: GPL-2.0
/*
 * libvshm: the back-end channel relay over a real socketpair, and above all
 * the descriptor that comes with a message: closed exactly once in every
 * case.  close() is wrapped (-Wl,--wrap=close) so that every close of the
 * library is logged.
 */
#include "vshm_test_util.h"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "libvshm.h"
#include "kselftest_harness.h"

#define SHMID	3
#define NPAGES	16

#define LOG_MAX	64

static int close_log[LOG_MAX];
static int close_n;

int __wrap_close(int fd)
{
	if (close_n < LOG_MAX)
		close_log[close_n] = fd;
	close_n++;
	return syscall(SYS_close, fd);
}

static int closes_of(int fd)
{
	int i, n = 0;

	for (i = 0; i < close_n && i < LOG_MAX; i++)
		n += close_log[i] == fd;
	return n;
}

/* No descriptor closed twice since the log was cleared. */
static bool no_double_close(void)
{
	int i;

	for (i = 0; i < close_n && i < LOG_MAX; i++)
		if (closes_of(close_log[i]) != 1)
			return false;
	return true;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Nothing waiting on @sock. */
static bool nothing_pending(int sock)
{
	char c;

	return recv(sock, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* Send @len bytes of @buf with @nfds descriptors in one SCM_RIGHTS. */
static int send_fds(int sock, const void *buf, size_t len, const int *fds,
		    int nfds)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = CMSG_SPACE(nfds * sizeof(int)),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	return sendmsg(sock, &mh, 0) == (ssize_t)len ? 0 : -errno;
}

FIXTURE(lib) {
	struct libvshm v;
	struct libvshm_region r;
	struct libvshm_msg m;
	int be, vmm;	/* back-end and VMM ends of the channel */
	int blob;
	__u8 msg[LIBVSHM_MMAP_MSG_SIZE];
	size_t len;
};

FIXTURE_SETUP(lib)
{
	int sv[2], ret;

	self->v.fd = -1;
	self->blob = -1;
	self->be = -1;
	self->vmm = -1;
	ret = libvshm_open(&self->v, NULL);
	if (ret == -ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, libvshm_region_create(&self->v, SHMID, NPAGES * PAGE,
					   &self->r));
	self->blob = memfd_pattern(77, 8 * PAGE, 0);
	ASSERT_LE(0, self->blob);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	self->be = sv[0];
	self->vmm = sv[1];
	self->m.fd = -1;
	close_n = 0;
}

FIXTURE_TEARDOWN(lib)
{
	if (self->v.fd >= 0) {
		libvshm_region_destroy(&self->v, &self->r);
		libvshm_close(&self->v);
	}
	libvshm_msg_release(&self->m);
	if (self->blob >= 0)
		close(self->blob);
	if (self->be >= 0)
		close(self->be);
	if (self->vmm >= 0)
		close(self->vmm);
}

static size_t build_map(__u8 *msg, bool need_reply, __u64 shm_offset,
			__u64 len)
{
	return libvshm_build_mmap(msg, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
				  need_reply ? VHOST_SHMEM_USER_NEED_REPLY_MASK : 0,
				  SHMID, 0, shm_offset, len,
				  VHOST_SHMEM_MAP_F_RW);
}

/* Receive one message; note its descriptor and clear the close log. */
static int recv_watch(struct libvshm *v, int sock, struct libvshm_msg *m,
		      int *fd)
{
	int ret = libvshm_recv(v, sock, m);

	*fd = m->fd;
	close_n = 0;
	return ret;
}

TEST_F(lib, map_with_reply_then_unmap_without)
{
	int fds = count_fds(), fd;
	__u64 val = ~0ULL;
	__u32 w;

	self->len = build_map(self->msg, true, 2 * PAGE, 2 * PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));
	ASSERT_EQ(0, recv_watch(&self->v, self->vmm, &self->m, &fd));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libvshm_relay(&self->v, self->vmm, &self->m, 0));
	EXPECT_EQ(0, self->m.result);
	EXPECT_TRUE(self->m.replied);
	EXPECT_EQ(-1, self->m.fd);
	EXPECT_EQ(1, closes_of(fd));
	EXPECT_FALSE(fd_open(fd));
	EXPECT_EQ(fds, count_fds());
	ASSERT_EQ(0, libvshm_recv_reply(self->be, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
					&val));
	EXPECT_EQ(0, val);
	ASSERT_EQ(0, probe_read(self->r.hva, 3 * PAGE + 8, &w));
	EXPECT_EQ(pattern(77, PAGE + 8), w);

	/* No NEED_REPLY: executed, and nothing written back. */
	self->len = libvshm_build_mmap(self->msg,
				       VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP, 0, SHMID,
				       0, 2 * PAGE, 2 * PAGE, 0);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, -1));
	ASSERT_EQ(0, libvshm_relay_one(&self->v, self->vmm, &self->m, 0));
	EXPECT_EQ(0, self->m.result);
	EXPECT_FALSE(self->m.replied);
	EXPECT_TRUE(nothing_pending(self->be));
	EXPECT_EQ(SIGBUS, probe_read(self->r.hva, 3 * PAGE, &w));

	/* ALWAYS_REPLY answers a message that did not ask. */
	self->len = build_map(self->msg, false, 0, PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));
	ASSERT_EQ(0, libvshm_relay_one(&self->v, self->vmm, &self->m,
				       VHOST_SHMEM_RELAY_F_ALWAYS_REPLY));
	EXPECT_TRUE(self->m.replied);
	ASSERT_EQ(0, libvshm_recv_reply(self->be, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
					&val));
	EXPECT_EQ(0, val);
	EXPECT_EQ(fds, count_fds());
}

TEST_F(lib, failed_map_replies_errno_and_closes_fd)
{
	int fds = count_fds(), fd;
	__u64 val = 0;

	self->len = build_map(self->msg, true, 0, 2 * PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));
	ASSERT_EQ(0, libvshm_relay_one(&self->v, self->vmm, &self->m, 0));
	ASSERT_EQ(0, libvshm_recv_reply(self->be, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
					&val));

	/* Overlapping: executed, failed, replied with EEXIST. */
	self->len = build_map(self->msg, true, PAGE, 2 * PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));
	ASSERT_EQ(0, recv_watch(&self->v, self->vmm, &self->m, &fd));
	ASSERT_EQ(0, libvshm_relay(&self->v, self->vmm, &self->m, 0));
	EXPECT_EQ(-EEXIST, self->m.result);
	EXPECT_EQ(1, closes_of(fd));
	ASSERT_EQ(0, libvshm_recv_reply(self->be, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
					&val));
	EXPECT_EQ(EEXIST, val);
	EXPECT_EQ(fds, count_fds());
}

TEST_F(lib, enomsg_gives_message_and_fd_back)
{
	struct vhost_shmem_user_hdr hdr = {
		.request = 1000,
		.flags = VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_NEED_REPLY_MASK,
		.size = 4,
	};
	__u8 buf[16];
	int fds = count_fds(), fd;
	__u64 val = 0;

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), "abc", 4);
	ASSERT_EQ(0, libvshm_send(self->be, buf, sizeof(hdr) + 4, self->blob));
	ASSERT_EQ(0, recv_watch(&self->v, self->vmm, &self->m, &fd));
	ASSERT_EQ(-ENOMSG, libvshm_relay(&self->v, self->vmm, &self->m, 0));
	EXPECT_EQ(1000, self->m.request);
	EXPECT_EQ(fd, self->m.fd);
	EXPECT_TRUE(fd_open(fd));
	EXPECT_EQ(0, closes_of(fd));
	EXPECT_EQ(0, memcmp(self->m.buf + sizeof(hdr), "abc", 4));
	EXPECT_TRUE(nothing_pending(self->be));

	/* The caller handles it, replies, and releases the descriptor. */
	EXPECT_EQ(1, libvshm_reply(self->vmm, &self->m, 7));
	ASSERT_EQ(0, libvshm_recv_reply(self->be, 1000, &val));
	EXPECT_EQ(7, val);
	libvshm_msg_release(&self->m);
	libvshm_msg_release(&self->m);
	EXPECT_EQ(1, closes_of(fd));
	EXPECT_EQ(fds, count_fds());
}

TEST_F(lib, malformed_no_reply_fd_closed_once)
{
	int fds = count_fds(), fd;
	char err[256];

	/* A MAP without a descriptor. */
	self->len = build_map(self->msg, true, 0, PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, -1));
	ASSERT_EQ(-EBADMSG, libvshm_relay_one(&self->v, self->vmm, &self->m,
					      0));
	EXPECT_TRUE(nothing_pending(self->be));
	libvshm_strerror(&self->v, -EBADMSG, err, sizeof(err));
	EXPECT_NE(NULL, strstr(err, "malformed"));
	TH_LOG("%s", err);

	/* An UNMAP with one. */
	self->len = libvshm_build_mmap(self->msg,
				       VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP,
				       VHOST_SHMEM_USER_NEED_REPLY_MASK, SHMID, 0, 0,
				       PAGE, 0);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));
	ASSERT_EQ(0, recv_watch(&self->v, self->vmm, &self->m, &fd));
	ASSERT_LE(0, fd);
	ASSERT_EQ(-EBADMSG, libvshm_relay(&self->v, self->vmm, &self->m, 0));
	EXPECT_EQ(1, closes_of(fd));
	EXPECT_EQ(-1, self->m.fd);
	EXPECT_TRUE(nothing_pending(self->be));

	/* A bad version. */
	self->len = build_map(self->msg, true, 0, PAGE);
	self->msg[4] = 0x2 | 0x8;
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));
	ASSERT_EQ(0, recv_watch(&self->v, self->vmm, &self->m, &fd));
	ASSERT_EQ(-EBADMSG, libvshm_relay(&self->v, self->vmm, &self->m, 0));
	EXPECT_EQ(1, closes_of(fd));
	EXPECT_EQ(fds, count_fds());
}

TEST_F(lib, o_path_fd_closed_once)
{
	int fds = count_fds(), fd, opath;
	__u64 val = 0;

	opath = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	ASSERT_LE(0, opath);
	self->len = build_map(self->msg, true, 0, PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, opath));
	close(opath);
	ASSERT_EQ(0, recv_watch(&self->v, self->vmm, &self->m, &fd));
	ASSERT_LE(0, fd);
	/* The kernel refuses it (EBADF): failed, and the reply says so. */
	ASSERT_EQ(0, libvshm_relay(&self->v, self->vmm, &self->m, 0));
	EXPECT_EQ(-EBADF, self->m.result);
	EXPECT_TRUE(self->m.replied);
	EXPECT_EQ(1, closes_of(fd));
	ASSERT_EQ(0, libvshm_recv_reply(self->be, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
					&val));
	EXPECT_EQ(EBADF, val);
	EXPECT_EQ(fds, count_fds());
}

TEST_F(lib, two_fds_are_malformed_and_the_stream_stays_in_step)
{
	int fds = count_fds(), two[2] = { self->blob, self->blob };
	__u64 val = 1;

	self->len = build_map(self->msg, true, 0, PAGE);
	ASSERT_EQ(0, send_fds(self->be, self->msg, self->len, two, 2));
	close_n = 0;
	ASSERT_EQ(-EBADMSG, libvshm_recv(&self->v, self->vmm, &self->m));
	EXPECT_EQ(-1, self->m.fd);
	EXPECT_EQ(2, close_n);
	EXPECT_TRUE(no_double_close());
	EXPECT_EQ(fds, count_fds());
	EXPECT_EQ(LIBVSHM_MMAP_MSG_SIZE, self->m.len);

	/* The next message is read whole. */
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));
	ASSERT_EQ(0, libvshm_relay_one(&self->v, self->vmm, &self->m, 0));
	ASSERT_EQ(0, libvshm_recv_reply(self->be, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
					&val));
	EXPECT_EQ(0, val);
	EXPECT_EQ(fds, count_fds());
}

TEST_F(lib, more_fds_than_fit_are_malformed)
{
	int fds = count_fds(), six[6];
	int i;

	for (i = 0; i < 6; i++)
		six[i] = self->blob;
	self->len = build_map(self->msg, true, 0, PAGE);
	ASSERT_EQ(0, send_fds(self->be, self->msg, self->len, six, 6));
	close_n = 0;
	ASSERT_EQ(-EBADMSG, libvshm_recv(&self->v, self->vmm, &self->m));
	EXPECT_EQ(-1, self->m.fd);
	EXPECT_TRUE(no_double_close());
	EXPECT_EQ(fds, count_fds());
}

TEST_F(lib, truncated_message_and_peer_closed)
{
	int fds = count_fds();

	/* Header and 10 of 40 payload bytes, with a descriptor, then EOF. */
	self->len = build_map(self->msg, true, 0, PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, 22, self->blob));
	close(self->be);
	self->be = -1;
	close_n = 0;
	ASSERT_EQ(-EBADMSG, libvshm_recv(&self->v, self->vmm, &self->m));
	EXPECT_EQ(-1, self->m.fd);
	EXPECT_EQ(1, close_n);
	EXPECT_EQ(fds - 1, count_fds());	/* the back-end end is gone */

	/* Then the end of the stream. */
	ASSERT_EQ(-ECONNRESET, libvshm_recv(&self->v, self->vmm, &self->m));
}

TEST_F(lib, short_reads_are_reassembled)
{
	__u64 val = 1;
	pid_t pid;
	int status, fd;

	self->len = build_map(self->msg, true, 4 * PAGE, PAGE);
	/* 5 bytes with the descriptor now, the rest in two pieces later. */
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, 5, self->blob));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(100000);
		if (send(self->be, self->msg + 5, 20, 0) != 20)
			_exit(1);
		usleep(100000);
		if (send(self->be, self->msg + 25, self->len - 25, 0) !=
		    (ssize_t)self->len - 25)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(0, recv_watch(&self->v, self->vmm, &self->m, &fd));
	ASSERT_LE(0, fd);
	EXPECT_EQ(LIBVSHM_MMAP_MSG_SIZE, self->m.len);
	ASSERT_EQ(0, libvshm_relay(&self->v, self->vmm, &self->m, 0));
	EXPECT_EQ(0, self->m.result);
	EXPECT_EQ(1, closes_of(fd));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_EQ(0, libvshm_recv_reply(self->be, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
					&val));
	EXPECT_EQ(0, val);
}

TEST_F(lib, batch_then_one_ack)
{
	int fds = count_fds(), i;
	__u64 val = 1;
	__u32 w;

	for (i = 0; i < 4; i++) {
		self->len = build_map(self->msg, i == 3, i * 2 * PAGE, PAGE);
		ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len,
					  self->blob));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, libvshm_relay_one(&self->v, self->vmm, &self->m,
					       0));
		EXPECT_EQ(0, self->m.result);
		EXPECT_EQ(i == 3, self->m.replied);
	}
	ASSERT_EQ(0, libvshm_recv_reply(self->be, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
					&val));
	EXPECT_EQ(0, val);
	EXPECT_TRUE(nothing_pending(self->be));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, probe_read(self->r.hva, i * 2 * PAGE + 4, &w));
		EXPECT_EQ(pattern(77, 4), w);
	}
	EXPECT_EQ(fds, count_fds());
}

TEST_F(lib, reply_write_failure_still_closes_fd)
{
	int fds = count_fds(), fd;

	self->len = build_map(self->msg, true, 0, PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));
	close(self->be);
	self->be = -1;
	ASSERT_EQ(0, recv_watch(&self->v, self->vmm, &self->m, &fd));
	ASSERT_EQ(-EPIPE, libvshm_relay(&self->v, self->vmm, &self->m, 0));
	EXPECT_EQ(1, closes_of(fd));
	EXPECT_EQ(fds - 1, count_fds());
}

/* ---- relaying what is queued, with one VHOST_SHMEM_RELAY_BATCH ---- */

static size_t build_msg(__u8 *msg, __u32 request, bool need_reply,
			__u64 fd_offset, __u64 shm_offset, __u64 len)
{
	return libvshm_build_mmap(msg, request,
				  need_reply ? VHOST_SHMEM_USER_NEED_REPLY_MASK : 0,
				  SHMID, fd_offset, shm_offset, len,
				  VHOST_SHMEM_MAP_F_RW);
}

#define MAP	VHOST_SHMEM_USER_BACKEND_SHMEM_MAP
#define UNMAP	VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP

/* A back-end's burst: a MAP and UNMAP of one range, failures, replies. */
static const struct {
	__u32 request;
	bool need_reply;
	unsigned int fd_pg, shm_pg, pages;	/* in pages */
} burst[] = {
	{ MAP, true, 0, 0, 2 },
	{ MAP, false, 1, 4, 1 },
	{ UNMAP, true, 0, 0, 2 },
	{ MAP, true, 0, 4, 1 },		/* EEXIST */
	{ MAP, false, 3, 0, 1 },
	{ UNMAP, true, 0, 8, 1 },	/* ENOENT */
	{ MAP, true, 2, NPAGES, 1 },	/* EINVAL: outside */
};

#define BURST	ARRAY_SIZE(burst)

static void send_burst(struct __test_metadata *_metadata, int be, int blob)
{
	__u8 msg[LIBVSHM_MMAP_MSG_SIZE];
	unsigned int i;
	size_t len;

	for (i = 0; i < BURST; i++) {
		len = build_msg(msg, burst[i].request, burst[i].need_reply,
				burst[i].fd_pg * PAGE, burst[i].shm_pg * PAGE,
				burst[i].pages * PAGE);
		ASSERT_EQ(0, libvshm_send(be, msg, len,
					  burst[i].request == MAP ? blob : -1));
	}
}

/* Everything @sock has queued, without waiting. */
static size_t drain_bytes(int sock, __u8 *buf, size_t size)
{
	size_t done = 0;
	ssize_t n;

	while (done < size) {
		n = recv(sock, buf + done, size - done, MSG_DONTWAIT);
		if (n <= 0)
			break;
		done += n;
	}
	return done;
}

/*
 * Every message the back-end sent is relayed by one call, in order; the
 * replies, on the wire, are byte for byte those of relaying them one by
 * one; every descriptor received is closed exactly once.
 */
TEST_F(lib, relay_queued_same_bytes_as_one_by_one)
{
	struct libvshm_msg *msgs = calloc(LIBVSHM_BATCH_MAX, sizeof(*msgs));
	__u8 got[BURST * 20 + 1], want[BURST * 20 + 1];
	struct libvshm_region r2;
	struct libvshm v2;
	int fds = count_fds(), sv[2], n, i;
	size_t got_len, want_len;
	__u32 w;

	ASSERT_NE(NULL, msgs);
	ASSERT_TRUE(self->v.info.features & VHOST_SHMEM_F_RELAY_BATCH);
	send_burst(_metadata, self->be, self->blob);
	close_n = 0;
	n = libvshm_relay_queued(&self->v, self->vmm, msgs, LIBVSHM_BATCH_MAX,
				 0);
	ASSERT_EQ(BURST, n);
	/* Five MAPs came with a descriptor: each closed once. */
	EXPECT_EQ(5, close_n);
	EXPECT_TRUE(no_double_close());
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, msgs[i].status);
		EXPECT_EQ(-1, msgs[i].fd);
		EXPECT_EQ(burst[i].need_reply, msgs[i].replied);
	}
	EXPECT_EQ(-EEXIST, msgs[3].result);
	EXPECT_EQ(-ENOENT, msgs[5].result);
	EXPECT_EQ(-EINVAL, msgs[6].result);
	got_len = drain_bytes(self->be, got, sizeof(got));
	EXPECT_EQ(5 * 20, got_len);
	ASSERT_EQ(0, probe_read(self->r.hva, 4, &w));
	EXPECT_EQ(pattern(77, 3 * PAGE + 4), w);
	EXPECT_EQ(fds, count_fds());

	/* The same burst, one message at a time, on a second device. */
	ASSERT_EQ(0, libvshm_open(&v2, NULL));
	ASSERT_EQ(0, libvshm_region_create(&v2, SHMID, NPAGES * PAGE, &r2));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	send_burst(_metadata, sv[0], self->blob);
	for (i = 0; i < (int)BURST; i++) {
		ASSERT_EQ(0, libvshm_relay_one(&v2, sv[1], &msgs[i], 0));
		EXPECT_EQ(burst[i].need_reply, msgs[i].replied);
	}
	want_len = drain_bytes(sv[0], want, sizeof(want));
	ASSERT_EQ(want_len, got_len);
	EXPECT_EQ(0, memcmp(want, got, got_len));
	libvshm_region_destroy(&v2, &r2);
	libvshm_close(&v2);
	close(sv[0]);
	close(sv[1]);
	free(msgs);
}

/*
 * A request the kernel does not relay ends the batch: the messages before
 * it are relayed and answered, it is the VMM's with its descriptor, and
 * the messages after it come with the next call.
 */
TEST_F(lib, relay_queued_stops_at_a_request_of_the_vmm)
{
	struct vhost_shmem_user_hdr hdr = {
		.request = 1000,
		.flags = VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_NEED_REPLY_MASK,
		.size = 0,
	};
	struct libvshm_msg msgs[4];
	int fds = count_fds(), n;
	__u64 val = 1;

	self->len = build_map(self->msg, true, 0, PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));
	ASSERT_EQ(0, libvshm_send(self->be, &hdr, sizeof(hdr), self->blob));
	self->len = build_map(self->msg, true, 2 * PAGE, PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));

	n = libvshm_relay_queued(&self->v, self->vmm, msgs, 4, 0);
	ASSERT_EQ(2, n);
	EXPECT_EQ(0, msgs[0].status);
	EXPECT_EQ(-ENOMSG, msgs[1].status);
	EXPECT_EQ(1000, msgs[1].request);
	EXPECT_TRUE(fd_open(msgs[1].fd));
	ASSERT_EQ(0, libvshm_recv_reply(self->be, MAP, &val));
	EXPECT_EQ(0, val);
	EXPECT_TRUE(nothing_pending(self->be));
	EXPECT_EQ(1, libvshm_reply(self->vmm, &msgs[1], 7));
	libvshm_msg_release(&msgs[1]);
	ASSERT_EQ(0, libvshm_recv_reply(self->be, 1000, &val));
	EXPECT_EQ(7, val);

	n = libvshm_relay_queued(&self->v, self->vmm, msgs, 4, 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(0, msgs[0].result);
	ASSERT_EQ(0, libvshm_recv_reply(self->be, MAP, &val));
	EXPECT_EQ(0, val);
	EXPECT_EQ(fds, count_fds());
}

/*
 * A malformed message behind a batch: the messages before it are relayed,
 * then it is reported (its descriptors closed, once), and the next call
 * goes on with what follows.
 */
TEST_F(lib, relay_queued_malformed_after_the_first)
{
	struct libvshm_msg msgs[4];
	int fds = count_fds(), two[2], n;
	__u64 val = 1;
	__u32 w;

	two[0] = self->blob;
	two[1] = self->blob;
	self->len = build_map(self->msg, false, 0, PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));
	self->len = build_map(self->msg, true, 2 * PAGE, PAGE);
	ASSERT_EQ(0, send_fds(self->be, self->msg, self->len, two, 2));
	self->len = build_map(self->msg, true, 4 * PAGE, PAGE);
	ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len, self->blob));

	/*
	 * The first is relayed, then the malformed one reported: its two
	 * descriptors closed, then the first's.
	 */
	close_n = 0;
	EXPECT_EQ(-EBADMSG, libvshm_relay_queued(&self->v, self->vmm, msgs, 4, 0));
	EXPECT_EQ(0, msgs[0].status);
	EXPECT_EQ(0, msgs[0].result);
	EXPECT_EQ(3, close_n);
	EXPECT_TRUE(no_double_close());
	close_n = 0;
	n = libvshm_relay_queued(&self->v, self->vmm, msgs, 4, 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(0, msgs[0].result);
	EXPECT_EQ(1, close_n);
	ASSERT_EQ(0, libvshm_recv_reply(self->be, MAP, &val));
	EXPECT_EQ(0, val);
	EXPECT_TRUE(nothing_pending(self->be));
	ASSERT_EQ(0, probe_read(self->r.hva, 4 * PAGE, &w));
	EXPECT_EQ(SIGBUS, probe_read(self->r.hva, 2 * PAGE, &w));
	EXPECT_EQ(fds, count_fds());
}

/* libvshm_relay_batch() of messages the caller read itself, one at a time. */
TEST_F(lib, relay_batch_of_messages_read_one_by_one)
{
	struct libvshm_msg msgs[3];
	int fds = count_fds(), i;
	__u64 val = 1;

	for (i = 0; i < 3; i++) {
		self->len = build_map(self->msg, i == 2, i * 2 * PAGE, PAGE);
		ASSERT_EQ(0, libvshm_send(self->be, self->msg, self->len,
					  self->blob));
		ASSERT_EQ(0, libvshm_recv(&self->v, self->vmm, &msgs[i]));
	}
	close_n = 0;
	ASSERT_EQ(0, libvshm_relay_batch(&self->v, self->vmm, msgs, 3, 0));
	EXPECT_EQ(3, close_n);
	EXPECT_TRUE(no_double_close());
	ASSERT_EQ(0, libvshm_recv_reply(self->be, MAP, &val));
	EXPECT_EQ(0, val);
	EXPECT_TRUE(nothing_pending(self->be));
	EXPECT_EQ(-EINVAL, libvshm_relay_batch(&self->v, self->vmm, msgs, 0, 0));
	EXPECT_EQ(fds, count_fds());
}

TEST(strerror_messages)
{
	static const char not_found[] =
	"vhost-shmem: /nonexistent/vhost-shmem not found: is the vhost_shmem module loaded?";
	struct libvshm v, w;
	struct libvshm_region r1, r2;
	char buf[256];
	int ret;

	ret = libvshm_open(&v, "/nonexistent/vhost-shmem");
	ASSERT_EQ(-ENOENT, ret);
	libvshm_strerror(&v, ret, buf, sizeof(buf));
	TH_LOG("%s", buf);
	EXPECT_EQ(0, strcmp(buf, not_found));

	ret = libvshm_open(&w, NULL);
	if (ret == -ENOENT)
		SKIP(return, VSHM_DEV " missing");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, libvshm_region_create(&w, 3, PAGE, &r1));
	ret = libvshm_region_create(&w, 3, PAGE, &r2);
	ASSERT_EQ(-EEXIST, ret);
	libvshm_strerror(&w, ret, buf, sizeof(buf));
	TH_LOG("%s", buf);
	EXPECT_EQ(0, strcmp(buf, "vhost-shmem: region 3 already exists"));
	ret = libvshm_region_create(&w, 4, PAGE + 1, &r2);
	ASSERT_EQ(-EINVAL, ret);
	libvshm_strerror(&w, ret, buf, sizeof(buf));
	TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "region 4"));
	EXPECT_EQ(0, libvshm_region_destroy(&w, &r1));
	libvshm_close(&w);
}

/* A region with zero holes through the library; unknown flags refused. */
TEST(region_create_flags)
{
	const __u32 zero_holes = VHOST_SHMEM_REGION_F_ZERO_HOLES;
	struct libvshm_region r;
	struct libvshm v;
	uint32_t val = 1;
	int ret;

	ret = libvshm_open(&v, NULL);
	if (ret == -ENOENT)
		SKIP(return, VSHM_DEV " missing");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-EOPNOTSUPP,
		  libvshm_region_create_flags(&v, 5, PAGE, zero_holes << 1, &r));
	ASSERT_EQ(0, libvshm_region_create_flags(&v, 5, 2 * PAGE, zero_holes,
						 &r));
	ASSERT_EQ(0, probe_read(r.hva, PAGE + 8, &val));
	EXPECT_EQ(0, val);
	EXPECT_EQ(SIGBUS, probe_write(r.hva, PAGE + 8, 1));
	EXPECT_EQ(0, libvshm_region_destroy(&v, &r));
	libvshm_close(&v);
}

TEST_HARNESS_MAIN
