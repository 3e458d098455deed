// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-shmem ABI selftests: the ioctls, the window and its faults, as a
 * VMM sees them.
 */
#include "vshm_test_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/kernel-page-flags.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"

#define SHMID		3
#define REGION_PAGES	16
#define REGION_SIZE	(REGION_PAGES * PAGE)

/* The device, region SHMID and its window: what fixtures vshm and mode hold. */
static void window_setup(struct __test_metadata *_metadata, int *dev,
			 uint64_t *mmap_offset, void **win)
{
	*win = MAP_FAILED;
	*dev = vshm_open();
	if (*dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, *dev);
	ASSERT_EQ(0, vshm_region_create(*dev, SHMID, REGION_SIZE, mmap_offset));
	*win = mmap_aligned(REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			    *dev, *mmap_offset, REGION_SIZE);
	ASSERT_NE(MAP_FAILED, *win);
}

static void window_teardown(int dev, void *win)
{
	if (win != MAP_FAILED)
		munmap(win, REGION_SIZE);
	if (dev >= 0)
		close(dev);
}

FIXTURE(vshm) {
	int dev;
	uint64_t mmap_offset;
	void *win;
};

FIXTURE_SETUP(vshm)
{
	window_setup(_metadata, &self->dev, &self->mmap_offset, &self->win);
}

FIXTURE_TEARDOWN(vshm)
{
	window_teardown(self->dev, self->win);
}

/* An open device, for the tests that need nothing more. */
FIXTURE(dev) {
	int dev;
};

FIXTURE_SETUP(dev)
{
	self->dev = vshm_open();
	if (self->dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->dev >= 0)
		close(self->dev);
}

/* Every word of [@off, @off + @len) of the window holds pattern(@seed). */
static bool window_matches(void *win, uint64_t off, uint64_t len,
			   uint32_t seed, uint64_t fd_offset)
{
	uint64_t i;
	uint32_t v;

	for (i = 0; i < len; i += 4)
		if (probe_read(win, off + i, &v) ||
		    v != pattern(seed, fd_offset + i))
			return false;
	return true;
}

TEST_F(dev, info)
{
	struct vhost_shmem_info info = { 0 };
	int dev = self->dev;

	ASSERT_EQ(0, vshm_get_info(dev, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(VHOST_SHMEM_F_ZERO_HOLES | VHOST_SHMEM_F_RELAY_BATCH,
		  info.features);
	EXPECT_EQ(getpagesize(), info.page_size);
	EXPECT_LE(1, info.max_regions);
	EXPECT_GE(256, info.max_regions);
	EXPECT_LE(1, info.max_mappings);
	EXPECT_LE(1ULL << 30, info.max_region_size);

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, vshm_ioctl(dev, VHOST_SHMEM_GET_INFO, &info));
	EXPECT_EQ(-EFAULT, vshm_ioctl(dev, VHOST_SHMEM_GET_INFO, NULL));

	/* An unknown command of our block, and one of plain vhost. */
	EXPECT_EQ(-ENOTTY, vshm_ioctl(dev, _IO(VHOST_SHMEM_TYPE, 0xEF), NULL));
	EXPECT_EQ(-ENOTTY, vshm_ioctl(dev, _IO(VHOST_SHMEM_TYPE, 0x01), NULL));
	/* The numbers carry no size: a sized number is another command. */
	EXPECT_EQ(-ENOTTY, vshm_ioctl(dev, _IOWR(VHOST_SHMEM_TYPE, 0xE0,
						 struct vhost_shmem_info),
				      &info));
}

/*
 * The general ioctl format (the uAPI header's DOC block): the size leads,
 * a struct shorter than the first version is refused, a longer one is
 * accepted when its extra bytes are zero and refused with E2BIG when not,
 * and outputs are written only as far as the caller's struct goes.
 */
TEST_F(dev, ioctl_size)
{
	struct {
		struct vhost_shmem_info info;
		uint8_t tail[16];
	} big;
	struct vhost_shmem_region_create rc;
	struct vhost_shmem_info info;
	uint8_t buf[sizeof(info) + 8];
	int dev = self->dev;

	/* Too short, on every ioctl with an argument. */
	memset(&big, 0, sizeof(big));
	big.info.size = 0;
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_GET_INFO, &big));
	big.info.size = 7;
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_GET_INFO, &big));
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &big));
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_REGION_DESTROY, &big));
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_REGION_INFO, &big));
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_MAP, &big));
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_UNMAP, &big));
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_RELAY, &big));
	big.info.size = sizeof(info) - 1;
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_GET_INFO, &big));

	/* Longer, zero-extended: as the kernel's own size. */
	big.info.size = sizeof(big);
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_GET_INFO, &big));
	EXPECT_EQ(getpagesize(), big.info.page_size);
	/* Longer, with a byte this kernel does not know. */
	big.tail[15] = 1;
	EXPECT_EQ(-E2BIG, vshm_ioctl(dev, VHOST_SHMEM_GET_INFO, &big));
	big.tail[15] = 0;
	big.tail[0] = 0x80;
	EXPECT_EQ(-E2BIG, vshm_ioctl(dev, VHOST_SHMEM_GET_INFO, &big));

	/* Outputs stop at the caller's size, here the kernel's. */
	memset(buf, 0xa5, sizeof(buf));
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	memcpy(buf, &info, sizeof(info));
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_GET_INFO, buf));
	memcpy(&info, buf, sizeof(info));
	EXPECT_EQ(getpagesize(), info.page_size);
	EXPECT_EQ(0xa5, buf[sizeof(info)]);
	EXPECT_EQ(0xa5, buf[sizeof(buf) - 1]);

	/* A failed create leaves the caller's struct as it was. */
	memset(&rc, 0, sizeof(rc));
	rc.size = sizeof(rc);
	rc.shmid = 4;
	rc.length = PAGE;
	rc.out_mmap_offset = 0x1234;
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	EXPECT_NE(0x1234, rc.out_mmap_offset);
	rc.out_mmap_offset = 0x1234;
	EXPECT_EQ(-EEXIST, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	EXPECT_EQ(0x1234, rc.out_mmap_offset);
	EXPECT_EQ(0, vshm_region_destroy(dev, 4));

	/* A refused longer struct created nothing. */
	memset(&rc, 0, sizeof(rc));
	rc.size = sizeof(rc) + 8;
	rc.shmid = 3;
	rc.length = PAGE;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &rc, sizeof(rc));
	buf[sizeof(rc) + 7] = 1;
	EXPECT_EQ(-E2BIG, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, buf));
	EXPECT_EQ(-ENOENT, vshm_region_destroy(dev, 3));
	buf[sizeof(rc) + 7] = 0;
	EXPECT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, buf));
	EXPECT_EQ(0, vshm_region_destroy(dev, 3));
}

/* Raises or drops CAP_IPC_LOCK in the effective set; 0 or -errno. */
static int cap_ipc_lock(bool on)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	unsigned int i = CAP_TO_INDEX(CAP_IPC_LOCK);

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	if (on)
		data[i].effective |= CAP_TO_MASK(CAP_IPC_LOCK);
	else
		data[i].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* This process's VmPin, in pages; -1 if /proc says nothing. */
static long vm_pin_pages(void)
{
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb < 0 ? -1 : kb * 1024 / (long)PAGE;
}

static uint64_t pinned_bytes(int dev, uint32_t shmid)
{
	struct vhost_shmem_region_info ri;

	return vshm_region_info(dev, shmid, &ri) ? ~0ULL : ri.out_pinned_bytes;
}

/* Sends descriptor @fd over unix socket @sock; 0 or -1. */
static int send_fd(int sock, int fd)
{
	char c = 0, cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* Receives one descriptor from unix socket @sock; it, or -1. */
static int recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * Mappings charge their length to the user of the task that makes them,
 * against its RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK, and to its own
 * pinned memory (VmPin); every way of removing them gives the charge back.
 * The test runs as root with CAP_IPC_LOCK dropped and a 16-page limit.
 */
FIXTURE(pin) {
	int dev, fd;
};

FIXTURE_SETUP(pin)
{
	struct rlimit rl = { .rlim_cur = 16 * PAGE, .rlim_max = 16 * PAGE };

	self->dev = -1;
	self->fd = -1;
	if (access(VSHM_DEV, F_OK))
		SKIP(return, VSHM_DEV " missing");
	ASSERT_EQ(0, cap_ipc_lock(false));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	self->dev = vshm_open();
	ASSERT_LE(0, self->dev);
	self->fd = memfd_pattern(31, 64 * PAGE, 0);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vshm_region_create(self->dev, 1, 64 * PAGE, NULL));
	ASSERT_EQ(0, vshm_region_create(self->dev, 2, 64 * PAGE, NULL));
	ASSERT_EQ(0, vm_pin_pages());
}

FIXTURE_TEARDOWN(pin)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->fd >= 0)
		close(self->fd);
}

/* A relayed MAP or UNMAP message of @len bytes, as a back-end sends it. */
static void pin_msg(uint8_t *m, uint32_t request, uint8_t shmid,
		    uint64_t fd_offset, uint64_t shm_offset, uint64_t len,
		    uint64_t flags)
{
	struct vhost_shmem_user_hdr h = {
		.request = request, .flags = VHOST_SHMEM_USER_VERSION,
		.size = sizeof(struct vhost_shmem_user_mmap),
	};
	struct vhost_shmem_user_mmap mm = {
		.shmid = shmid, .fd_offset = fd_offset,
		.shm_offset = shm_offset, .len = len, .flags = flags,
	};

	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &mm, sizeof(mm));
}

/*
 * At the memory lock limit, a batch that unmaps a mapping and then maps as
 * much elsewhere succeeds, as the two messages do one after the other:
 * the UNMAP gives its charge back before the MAP is charged.
 */
TEST_F(pin, batch_unmap_then_map_at_the_limit)
{
	struct vhost_shmem_relay_entry e[2] = {};
	struct vhost_shmem_relay_batch b = {
		.size = sizeof(b), .entries = (uintptr_t)e,
		.entry_len = sizeof(e[0]), .entry_num = 2,
	};
	uint8_t m[2][sizeof(struct vhost_shmem_user_hdr) +
		     sizeof(struct vhost_shmem_user_mmap)];
	int dev = self->dev, fd = self->fd;

	ASSERT_EQ(0, vshm_map(dev, 1, fd, 0, 0, 16 * PAGE, 0));
	EXPECT_EQ(-ENOMEM, vshm_map(dev, 1, fd, 0, 16 * PAGE, PAGE, 0));
	pin_msg(m[0], VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP, 1, 0, 0,
		16 * PAGE, 0);
	pin_msg(m[1], VHOST_SHMEM_USER_BACKEND_SHMEM_MAP, 1, 0, 16 * PAGE,
		16 * PAGE, 0);
	e[0] = (struct vhost_shmem_relay_entry){
		.fd = -1, .msg = (uintptr_t)m[0], .msg_len = sizeof(m[0]),
	};
	e[1] = (struct vhost_shmem_relay_entry){
		.fd = fd, .msg = (uintptr_t)m[1], .msg_len = sizeof(m[1]),
	};
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_RELAY_BATCH, &b));
	EXPECT_EQ(0, e[0].out_status);
	EXPECT_EQ(0, e[0].out_result);
	EXPECT_EQ(0, e[1].out_status);
	EXPECT_EQ(0, e[1].out_result);
	EXPECT_EQ(16, vm_pin_pages());
	EXPECT_EQ(0, vshm_unmap(dev, 1, 16 * PAGE, 16 * PAGE));
}

TEST_F(pin, limit_and_every_removal)
{
	struct vhost_shmem_region_info ri;
	uint8_t buf[sizeof(ri) + 8];
	int dev = self->dev, fd = self->fd;

	/* Up to the limit, and not a page past it. */
	ASSERT_EQ(0, vshm_map(dev, 1, fd, 0, 0, 8 * PAGE, 0));
	EXPECT_EQ(8, vm_pin_pages());
	EXPECT_EQ(8 * PAGE, pinned_bytes(dev, 1));
	ASSERT_EQ(0, vshm_map(dev, 2, fd, 0, 0, 8 * PAGE, VHOST_SHMEM_MAP_F_RW));
	EXPECT_EQ(-ENOMEM, vshm_map(dev, 1, fd, 0, 8 * PAGE, PAGE, 0));
	EXPECT_EQ(16, vm_pin_pages());
	EXPECT_EQ(8 * PAGE, pinned_bytes(dev, 1));

	/* UNMAP gives it back. */
	ASSERT_EQ(0, vshm_unmap(dev, 1, 0, 8 * PAGE));
	EXPECT_EQ(8, vm_pin_pages());
	EXPECT_EQ(0, pinned_bytes(dev, 1));
	ASSERT_EQ(0, vshm_map(dev, 1, fd, 0, 8 * PAGE, 4 * PAGE, 0));
	EXPECT_EQ(12, vm_pin_pages());

	/* RESET gives it back. */
	ASSERT_EQ(0, vshm_reset(dev));
	EXPECT_EQ(0, vm_pin_pages());

	/* REGION_DESTROY gives it back. */
	ASSERT_EQ(0, vshm_map(dev, 1, fd, 0, 0, 4 * PAGE, 0));
	ASSERT_EQ(0, vshm_map(dev, 2, fd, 0, 0, 4 * PAGE, 0));
	ASSERT_EQ(0, vshm_region_destroy(dev, 1));
	EXPECT_EQ(4, vm_pin_pages());

	/* CAP_IPC_LOCK lifts the limit. */
	ASSERT_EQ(0, cap_ipc_lock(true));
	ASSERT_EQ(0, vshm_map(dev, 2, fd, 0, 8 * PAGE, 32 * PAGE, 0));
	EXPECT_EQ(36, vm_pin_pages());
	EXPECT_EQ(36 * PAGE, pinned_bytes(dev, 2));
	ASSERT_EQ(0, cap_ipc_lock(false));

	/* A REGION_INFO of the struct's first version: no out_pinned_bytes. */
	memset(buf, 0xa5, sizeof(buf));
	memset(&ri, 0, sizeof(ri));
	ri.size = offsetof(struct vhost_shmem_region_info, out_pinned_bytes);
	ri.shmid = 2;
	memcpy(buf, &ri, ri.size);
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_INFO, buf));
	memcpy(&ri, buf, offsetof(struct vhost_shmem_region_info,
				  out_pinned_bytes));
	EXPECT_NE(0, ri.out_mapped_bytes);
	EXPECT_EQ(0xa5, buf[offsetof(struct vhost_shmem_region_info,
				     out_pinned_bytes)]);

	/* Closing gives the rest back. */
	close(dev);
	self->dev = -1;
	EXPECT_EQ(0, vm_pin_pages());
}

/*
 * Another process that holds the context (a child, or a VMM the opener
 * passed it to) is charged for what it maps, not the opener: the opener's
 * VmPin and limit are its own.
 */
TEST_F(pin, the_caller_is_charged_not_the_opener)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, vshm_map(self->dev, 1, self->fd, 0, 0, 4 * PAGE, 0));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct rlimit rl = { .rlim_cur = 64 * PAGE,
				     .rlim_max = 64 * PAGE };

		/* A child with a larger limit may map past the opener's. */
		if (setrlimit(RLIMIT_MEMLOCK, &rl) ||
		    vshm_map(self->dev, 2, self->fd, 0, 0, 32 * PAGE, 0) ||
		    vm_pin_pages() != 32)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/*
	 * The child's mapping stays (the context is the opener's) and
	 * charges the user: 36 of 16 pages.  The opener's VmPin is its own.
	 */
	EXPECT_EQ(4, vm_pin_pages());
	EXPECT_EQ(-ENOMEM, vshm_map(self->dev, 1, self->fd, 0, 4 * PAGE,
				    PAGE, 0));
	/* Removing the child's mapping gives the user's charge back. */
	ASSERT_EQ(0, vshm_unmap(self->dev, 2, 0, 32 * PAGE));
	EXPECT_EQ(0, vshm_map(self->dev, 1, self->fd, 0, 4 * PAGE, PAGE, 0));
	EXPECT_EQ(5, vm_pin_pages());
}

/*
 * No escape by handing a context to another process and exiting: the
 * user stays charged while the mappings live, whoever holds them.
 */
TEST_F(pin, no_escape_by_fork_and_exit)
{
	int sv[2], status, held, dev2;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int dev = vshm_open();

		if (dev < 0 || vshm_region_create(dev, 3, 64 * PAGE, NULL) ||
		    vshm_map(dev, 3, self->fd, 0, 0, 16 * PAGE, 0) ||
		    send_fd(sv[1], dev))
			_exit(1);
		_exit(0);
	}
	held = recv_fd(sv[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_LE(0, held);

	/* The exited child's 16 pages still count against the user. */
	EXPECT_EQ(0, vm_pin_pages());
	EXPECT_EQ(-ENOMEM, vshm_map(self->dev, 1, self->fd, 0, 0, PAGE, 0));
	dev2 = vshm_open();
	ASSERT_LE(0, dev2);
	ASSERT_EQ(0, vshm_region_create(dev2, 1, PAGE, NULL));
	EXPECT_EQ(-ENOMEM, vshm_map(dev2, 1, self->fd, 0, 0, PAGE, 0));
	close(dev2);

	/* Closing the last holder gives it back. */
	close(held);
	EXPECT_EQ(0, vshm_map(self->dev, 1, self->fd, 0, 0, 16 * PAGE, 0));
	close(sv[0]);
	close(sv[1]);
}

/* The first PFN and the span of ZONE_MOVABLE, or -1 when there is none. */
static int zone_movable(uint64_t *start, uint64_t *spanned)
{
	unsigned long long v;
	char line[256];
	bool in = false;
	FILE *f = fopen("/proc/zoneinfo", "r");
	int ret = -1;

	if (!f)
		return -1;
	*spanned = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node", 4)) {
			in = strstr(line, "zone  Movable");
			continue;
		}
		if (in && sscanf(line, " spanned %llu", &v) == 1) {
			*spanned = v;
			continue;
		}
		if (in && *spanned && sscanf(line, " start_pfn: %llu", &v) == 1) {
			*start = v;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* The value of /proc/vmstat's @name, or -1. */
static long vmstat_value(const char *name)
{
	char line[128];
	size_t len = strlen(name);
	long v = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ' ') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/*
 * FOLL_PIN pins held system-wide: taken minus given back, once the CPUs'
 * pending counts are folded in (vm.stat_refresh).
 */
static long pins_held(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return LONG_MIN;
	n = write(fd, "1", 1);
	close(fd);
	if (n != 1)
		return LONG_MIN;
	return vmstat_value("nr_foll_pin_acquired") - vmstat_value("nr_foll_pin_released");
}

/*
 * A window holds the pages it touches for as long as the mapping lives, a
 * long-term pin: since 6.11 shmem pages are pinned as FOLL_LONGTERM pins
 * them (memfd_pin_folios()), which first migrates a page out of
 * ZONE_MOVABLE, so that the zone stays able to offline and compact.  The
 * memfd's own mapping then follows the page to where it went, and stays
 * coherent with the window.  Before 6.11 the driver can only take a
 * reference, and the page stays where it is (documented).
 */
TEST_F(dev, memfd_pins_leave_zone_movable)
{
	enum { npages = 64 };
	bool was_movable[npages];
	long held, held_mapped;
	uint64_t start, spanned, pfn;
	size_t i, movable = 0, moved = 0;
	bool pins = kernel_release() >= 6011;
	uint8_t *vmm, *win;
	int dev = self->dev, fd;

	if (zone_movable(&start, &spanned))
		SKIP(return, "no ZONE_MOVABLE (boot with movablecore=)");
	fd = memfd_pattern(47, npages * PAGE, 0);
	ASSERT_LE(0, fd);
	vmm = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	ASSERT_NE(MAP_FAILED, vmm);
	for (i = 0; i < npages; i++) {
		pfn = pfn_of(vmm + i * PAGE);
		ASSERT_NE(0, pfn) TH_LOG("no PFN in pagemap: not CAP_SYS_ADMIN?");
		was_movable[i] = pfn >= start && pfn < start + spanned;
		movable += was_movable[i];
	}
	if (!movable)
		SKIP(goto out, "no page of the memfd landed in ZONE_MOVABLE");

	ASSERT_EQ(0, vshm_region_window(dev, 1, npages * PAGE,
					(void **)&win));
	held = pins_held();
	ASSERT_NE(LONG_MIN, held) TH_LOG("vm.stat_refresh: %s", strerror(errno));
	ASSERT_EQ(0, vshm_map(dev, 1, fd, 0, 0, npages * PAGE, 0));
	ASSERT_TRUE(window_matches(win, 0, npages * PAGE, 47, 0));
	for (i = 0; i < npages; i++) {
		pfn = pfn_of(vmm + i * PAGE);
		ASSERT_NE(0, pfn);
		if (was_movable[i] && !(pfn >= start && pfn < start + spanned))
			moved++;
	}
	held_mapped = pins_held();
	TH_LOG("%zu of %d pages were in ZONE_MOVABLE, %zu moved (kernel %s pins)",
	       movable, npages, moved, pins ? "with" : "without");
	EXPECT_EQ(pins ? movable : 0, moved);

	/* The window and the file still share each page. */
	for (i = 0; i < npages; i++) {
		vmm[i * PAGE + 5] = 0xa5;
		EXPECT_EQ(0xa5, win[i * PAGE + 5]);
	}

	/* One pin per page, each given back by UNMAP (none before 6.11). */
	ASSERT_EQ(0, vshm_unmap(dev, 1, 0, npages * PAGE));
	TH_LOG("pins held: %ld before MAP, %ld mapped, %ld after UNMAP",
	       held, held_mapped, pins_held());
	EXPECT_EQ(pins ? npages : 0, held_mapped - held);
	EXPECT_EQ(held, pins_held());
	munmap(win, npages * PAGE);
out:
	munmap(vmm, npages * PAGE);
	close(fd);
}

/*
 * A 2 MiB folio of ZONE_MOVABLE that something else holds (here a pipe, by
 * vmsplice() of its first page) cannot migrate, so it cannot be pinned:
 * each page the window touches is held by a plain reference, and the
 * folio is not put through a migration that must fail, once per page.
 * (Before that was fixed, each of the 512 faults tried one: some 260 000
 * failed page migrations and a thousand times the time.)  Once the pipe
 * lets go, a new mapping pins and migrates it.
 */
TEST_F(dev, held_large_folio_is_not_migrated_per_page)
{
	char dir[] = "/tmp/vshm-held-XXXXXX";
	const size_t size = 2UL << 20, npages = size / PAGE;
	uint64_t start, spanned, pfn;
	long fails, held;
	int dev = self->dev, fd, pipefd[2];
	struct iovec iov;
	uint8_t *vmm, *win;
	size_t i;

	if (kernel_release() < 6011)
		SKIP(return, "no memfd_pin_folios() before 6.11: nothing migrates");
	if (zone_movable(&start, &spanned))
		SKIP(return, "no ZONE_MOVABLE (boot with movablecore=)");
	fd = huge_tmpfs_file(dir, 61, size);
	if (fd < 0)
		SKIP(return, "tmpfs huge=always: %s", strerror(-fd));
	vmm = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, vmm);
	pfn = pfn_of(vmm);
	if (!(pfn_flags(pfn) & (1ULL << KPF_THP)) || pfn < start ||
	    pfn >= start + spanned)
		SKIP(goto out, "no 2 MiB folio in ZONE_MOVABLE");

	ASSERT_EQ(0, pipe(pipefd));
	iov.iov_base = vmm;
	iov.iov_len = PAGE;
	ASSERT_EQ((ssize_t)PAGE, vmsplice(pipefd[1], &iov, 1, 0));

	ASSERT_EQ(0, vshm_region_window(dev, 4, size, (void **)&win));
	fails = vmstat_value("pgmigrate_fail");
	held = pins_held();
	ASSERT_EQ(0, vshm_map(dev, 4, fd, 0, 0, size, 0));
	for (i = 0; i < npages; i++)
		ASSERT_TRUE(window_matches(win, i * PAGE, 8, 61, i * PAGE));
	TH_LOG("%ld pages failed to migrate, %ld pins taken",
	       vmstat_value("pgmigrate_fail") - fails, pins_held() - held);
	/* At most one try for the folio, none per page; nothing pinned. */
	EXPECT_GE((long)npages, vmstat_value("pgmigrate_fail") - fails);
	EXPECT_EQ(held, pins_held());
	EXPECT_EQ(pfn, pfn_of(vmm));
	ASSERT_EQ(0, vshm_unmap(dev, 4, 0, size));

	/* Without the pipe's reference it migrates, and is pinned. */
	close(pipefd[0]);
	close(pipefd[1]);
	ASSERT_EQ(0, vshm_map(dev, 4, fd, 0, 0, size, 0));
	ASSERT_TRUE(window_matches(win, 8 * PAGE, 8, 61, 8 * PAGE));
	EXPECT_LT(held, pins_held());
	EXPECT_NE(pfn, pfn_of(vmm));
	ASSERT_EQ(0, vshm_unmap(dev, 4, 0, size));
	EXPECT_EQ(held, pins_held());
	munmap(win, size);
out:
	munmap(vmm, size);
	huge_tmpfs_put(dir, fd);
}

/* The first two words of each page of [@off, @off + @len) match, as above. */
static bool pages_match(void *win, uint64_t off, uint64_t len,
			uint32_t seed, uint64_t fd_offset)
{
	uint64_t i;

	for (i = 0; i < len; i += PAGE)
		if (!window_matches(win, off + i, 8, seed, fd_offset + i))
			return false;
	return true;
}

/* Read a word of each page of [@off, @off + @len) of @win; the faults taken. */
static long touch_pages(const uint8_t *win, uint64_t off, uint64_t len)
{
	long faults = thread_faults();
	uint64_t i;

	for (i = 0; i < len; i += PAGE)
		(void)__atomic_load_n((const uint32_t *)(win + off + i),
				      __ATOMIC_RELAXED);
	return thread_faults() - faults;
}

/*
 * A window over 2 MiB folios (tmpfs huge=always) maps each naturally
 * aligned 2 MiB with one PMD where the kernel maps PFNs at PMD level (6.12
 * and later): one fault per 2 MiB, read-write at once.  The mmap() of a
 * window is 2 MiB aligned for that.  A hole punched under the PMD zeroes
 * the page in place (the window holds the folio, which cannot split), as
 * for a file mapping.  A folio split before the window touched it maps
 * with 4 KiB entries, the punched page reading zeros.  mprotect() and a
 * read-only mapping treat a PMD as they treat PTEs.  Only a window
 * excluded from fork() (MADV_DONTFORK) gets PMDs; another keeps 4 KiB
 * entries, as 6.1 does everywhere, 16 pages a fault (fault-around).
 */
TEST_F(dev, pmd_maps_2m_of_a_large_folio)
{
	const size_t huge = 2UL << 20, size = 2 * huge;
	char dir[] = "/tmp/vshm-pmd-XXXXXX";
	bool pmd = window_maps_pmd();
	struct vhost_shmem_region_info ri = {
		.size = sizeof(ri), .shmid = 6,
	};
	int dev = self->dev, fd;
	uint8_t *vmm, *win;
	long faults;
	uint32_t v;

	fd = huge_tmpfs_file(dir, 62, size);
	if (fd < 0)
		SKIP(return, "tmpfs huge=always: %s", strerror(-fd));
	vmm = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, vmm);
	if (!(pfn_flags(pfn_of(vmm)) & (1ULL << KPF_THP)) ||
	    !(pfn_flags(pfn_of(vmm + huge)) & (1ULL << KPF_THP)))
		SKIP(goto out, "the file got no 2 MiB folios");

	ASSERT_EQ(0, vshm_region_window(dev, 6, size, (void **)&win));
	EXPECT_EQ(0, (uintptr_t)win % huge);
	ASSERT_EQ(0, vshm_map(dev, 6, fd, 0, 0, size, VHOST_SHMEM_MAP_F_RW));

	/* A window that fork() would copy keeps 4 KiB entries. */
	faults = touch_pages(win, 0, huge);
	TH_LOG("2 MiB of a 2 MiB folio, window without MADV_DONTFORK: %ld faults",
	       faults);
	EXPECT_LE((long)(huge >> 16), faults);
	munmap(win, size);
	win = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		   (off_t)6 << 40);
	ASSERT_NE(MAP_FAILED, win);
	EXPECT_EQ(0, (uintptr_t)win % huge);
	ASSERT_EQ(0, window_allow_pmd(win, size));

	faults = touch_pages(win, 0, huge);
	TH_LOG("2 MiB of a 2 MiB folio: %ld faults", faults);
	/* One PMD, or 4 KiB entries 64 KiB a fault. */
	EXPECT_TRUE(pmd ? faults == 1 : faults >= (long)(huge >> 16));
	EXPECT_TRUE(pages_match(win, 0, huge, 62, 0));
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_INFO, &ri));
	EXPECT_EQ(huge, ri.out_resident_bytes);

	/* Writable at once, and the file has the store. */
	faults = thread_faults();
	ASSERT_EQ(0, probe_write(win, 5 * PAGE + 8, 0x5eed));
	if (pmd)
		EXPECT_EQ(faults, thread_faults());
	ASSERT_EQ(sizeof(v), pread(fd, &v, sizeof(v), 5 * PAGE + 8));
	EXPECT_EQ(0x5eed, v);

	/*
	 * mprotect() to read-only and back: a write faults in between, and
	 * reaches the file again after.
	 */
	ASSERT_EQ(0, mprotect(win, huge, PROT_READ));
	EXPECT_NE(0, probe_write(win, 6 * PAGE, 1));
	ASSERT_EQ(0, mprotect(win, huge, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, probe_write(win, 6 * PAGE + 8, 0x5eee));
	ASSERT_EQ(sizeof(v), pread(fd, &v, sizeof(v), 6 * PAGE + 8));
	EXPECT_EQ(0x5eee, v);

	/* A punch under the PMD zeroes the page in place. */
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       3 * PAGE, PAGE));
	ASSERT_EQ(0, probe_read(win, 3 * PAGE + 8, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, probe_read(win, 4 * PAGE + 8, &v));
	EXPECT_EQ(pattern(62, 4 * PAGE + 8), v);

	/* The second 2 MiB split before the window touched it: 4 KiB. */
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       huge + 7 * PAGE, PAGE));
	/*
	 * Split, down to order 0 or around the hole only (7.x): either way
	 * the middle page is no longer a tail of a 2 MiB folio.
	 */
	if (pfn_flags(pfn_of(vmm + huge + huge / 2)) &
	    (1ULL << KPF_COMPOUND_TAIL)) {
		TH_LOG("the punch did not split the second folio");
	} else {
		faults = touch_pages(win, huge, huge);
		TH_LOG("2 MiB of split folios: %ld faults", faults);
		EXPECT_LE((long)(huge / (64 << 10)), faults);
		EXPECT_TRUE(pages_match(win, huge, 7 * PAGE, 62, huge));
		ASSERT_EQ(0, probe_read(win, huge + 7 * PAGE + 8, &v));
		EXPECT_EQ(0, v);
		EXPECT_TRUE(pages_match(win, huge + 8 * PAGE, huge - 8 * PAGE,
					62, huge + 8 * PAGE));
	}

	/* UNMAP takes the PMD away: the window faults. */
	ASSERT_EQ(0, vshm_unmap(dev, 6, 0, size));
	EXPECT_NE(0, probe_read(win, 9 * PAGE, &v));
	EXPECT_NE(0, probe_read(win, huge + 9 * PAGE, &v));
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_INFO, &ri));
	EXPECT_EQ(0, ri.out_resident_bytes);

	/*
	 * Read-only: the PMD is read-only, and a write faults, in a window
	 * that is writable, and leaves the file as it was.
	 */
	ASSERT_EQ(0, vshm_map(dev, 6, fd, 0, 0, huge, 0));
	faults = touch_pages(win, 0, huge);
	if (pmd)
		EXPECT_EQ(1, faults);
	EXPECT_NE(0, probe_write(win, 10 * PAGE, 1));
	EXPECT_TRUE(pages_match(win, 8 * PAGE, 8 * PAGE, 62, 8 * PAGE));
	ASSERT_EQ(sizeof(v), pread(fd, &v, sizeof(v), 10 * PAGE));
	EXPECT_EQ(pattern(62, 10 * PAGE), v);
	ASSERT_EQ(0, vshm_unmap(dev, 6, 0, huge));
	munmap(win, size);
out:
	munmap(vmm, size);
	huge_tmpfs_put(dir, fd);
}

/*
 * A 2 MiB window over a 2 MiB folio of a huge=always tmpfs file, the
 * window allowed to map PMDs: what the tests of PMD mappings below share.
 * They skip where the kernel maps no PMDs, or the file got no 2 MiB folio.
 */
#define PMD_SHMID	7
#define PMD_SEED	63

FIXTURE(pmd) {
	int dev, fd;
	char dir[32];
	uint8_t *vmm, *win;
	uint64_t off;
};

FIXTURE_SETUP(pmd)
{
	const size_t huge = 2UL << 20;

	self->dev = -1;
	self->fd = -1;
	self->vmm = MAP_FAILED;
	self->win = MAP_FAILED;
	if (!window_maps_pmd())
		SKIP(return, "no PMD PFN mappings");
	self->dev = vshm_open();
	if (self->dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, self->dev);
	snprintf(self->dir, sizeof(self->dir), "/tmp/vshm-pmd-XXXXXX");
	self->fd = huge_tmpfs_file(self->dir, PMD_SEED, huge);
	if (self->fd < 0)
		SKIP(return, "tmpfs huge=always: %s", strerror(-self->fd));
	self->vmm = mmap(NULL, huge, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->vmm);
	if (!(pfn_flags(pfn_of(self->vmm)) & (1ULL << KPF_THP)))
		SKIP(return, "the file got no 2 MiB folio");
	ASSERT_EQ(0, vshm_region_create(self->dev, PMD_SHMID, huge,
					&self->off));
	self->win = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->dev, self->off);
	ASSERT_NE(MAP_FAILED, self->win);
	ASSERT_EQ(0, (uintptr_t)self->win % huge);
	ASSERT_EQ(0, window_allow_pmd(self->win, huge));
}

FIXTURE_TEARDOWN(pmd)
{
	const size_t huge = 2UL << 20;

	if (self->win != MAP_FAILED)
		munmap(self->win, huge);
	if (self->vmm != MAP_FAILED)
		munmap(self->vmm, huge);
	if (self->fd >= 0)
		huge_tmpfs_put(self->dir, self->fd);
	if (self->dev >= 0)
		close(self->dev);
}

/*
 * A write to a read-only mapping under a 2 MiB of a large folio gets a
 * read-only PMD and SIGBUS, not a 4 KiB entry: a PTE table, once there,
 * keeps that 2 MiB of the window at 4 KiB for as long as it lives, so a
 * read-write MAP of the range later still gets its PMD.
 */
TEST_F(pmd, again_after_a_read_only_write)
{
	const size_t huge = 2UL << 20;
	int dev = self->dev, fd = self->fd;
	uint8_t *win = self->win;
	long faults;

	ASSERT_EQ(0, vshm_map(dev, PMD_SHMID, fd, 0, 0, huge, 0));
	faults = touch_pages(win, 0, huge);
	TH_LOG("read-only map, 2 MiB: %ld faults", faults);
	EXPECT_EQ(1, faults);
	EXPECT_NE(0, probe_write(win, 10 * PAGE, 1));
	ASSERT_EQ(0, vshm_unmap(dev, PMD_SHMID, 0, huge));
	ASSERT_EQ(0, vshm_map(dev, PMD_SHMID, fd, 0, 0, huge,
			      VHOST_SHMEM_MAP_F_RW));
	faults = touch_pages(win, 0, huge);
	TH_LOG("after UNMAP and a read-write MAP, 2 MiB: %ld faults", faults);
	EXPECT_EQ(1, faults);
	ASSERT_EQ(0, vshm_unmap(dev, PMD_SHMID, 0, huge));
}

/*
 * The system's THP setting does not decide whether a window maps PMDs on
 * the kernels that can (6.12's Debian kernel and 7.3 take no THP policy
 * for PFN mappings with ->huge_fault); MADV_NOHUGEPAGE on the window (or
 * PR_SET_THP_DISABLE) does, and turns them off.
 */
static int thp_set(const char *mode, char *old, size_t len)
{
	const char *path = "/sys/kernel/mm/transparent_hugepage/enabled";
	char buf[128], *l, *r;
	int fd = open(path, O_RDWR);
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (old) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		l = strchr(buf, '[');
		r = l ? strchr(l, ']') : NULL;
		if (!r) {
			close(fd);
			return -EINVAL;
		}
		*r = 0;
		snprintf(old, len, "%s", l + 1);
	}
	n = pwrite(fd, mode, strlen(mode), 0);
	close(fd);
	return n < 0 ? -errno : 0;
}

TEST_F(pmd, follows_nohugepage_not_the_thp_setting)
{
	const size_t huge = 2UL << 20;
	int dev = self->dev, fd = self->fd;
	long faults;
	char old[32];

	ASSERT_EQ(0, thp_set("never", old, sizeof(old)));
	TH_LOG("THP was [%s], now never", old);
	ASSERT_EQ(0, vshm_map(dev, PMD_SHMID, fd, 0, 0, huge, 0));
	faults = touch_pages(self->win, 0, huge);
	TH_LOG("THP never: 2 MiB: %ld faults", faults);
	ASSERT_EQ(0, thp_set(old, NULL, 0));
	EXPECT_EQ(1, faults);
	ASSERT_EQ(0, vshm_unmap(dev, PMD_SHMID, 0, huge));

	/* MADV_NOHUGEPAGE on a fresh window. */
	munmap(self->win, huge);
	self->win = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
			 self->off);
	ASSERT_NE(MAP_FAILED, self->win);
	ASSERT_EQ(0, (uintptr_t)self->win % huge);
	ASSERT_EQ(0, window_allow_pmd(self->win, huge));
	ASSERT_EQ(0, madvise(self->win, huge, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, vshm_map(dev, PMD_SHMID, fd, 0, 0, huge, 0));
	faults = touch_pages(self->win, 0, huge);
	TH_LOG("MADV_NOHUGEPAGE: 2 MiB: %ld faults", faults);
	EXPECT_LE((long)(huge >> 16), faults);
	ASSERT_EQ(0, vshm_unmap(dev, PMD_SHMID, 0, huge));
}

/*
 * A 4 KiB fault that dropped its locks to read notes its page, so that a
 * read that keeps failing ends; the PMD that the retried fault maps must
 * clear the note too, or the next uncached MAP at that page would read
 * with the mmap_lock held and map 4 KiB for good.  Two files with nothing
 * in the page cache, on the fixture's tmpfs, one after the other: one PMD
 * each.
 */
static int sparse_file(const char *dir, const char *name, size_t size)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && ftruncate(fd, size)) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST_F(pmd, after_a_read_retry)
{
	const size_t huge = 2UL << 20;
	int dev = self->dev, f1, f2;
	long faults;

	f1 = sparse_file(self->dir, "f1", huge);
	f2 = sparse_file(self->dir, "f2", huge);
	ASSERT_LE(0, f1);
	ASSERT_LE(0, f2);

	ASSERT_EQ(0, vshm_map(dev, PMD_SHMID, f1, 0, 0, huge,
			      VHOST_SHMEM_MAP_F_RW));
	faults = touch_pages(self->win, 0, huge);
	TH_LOG("f1, nothing cached: 2 MiB: %ld faults", faults);
	EXPECT_GE(2, faults);
	ASSERT_EQ(0, vshm_unmap(dev, PMD_SHMID, 0, huge));

	ASSERT_EQ(0, vshm_map(dev, PMD_SHMID, f2, 0, 0, huge,
			      VHOST_SHMEM_MAP_F_RW));
	faults = touch_pages(self->win, 0, huge);
	TH_LOG("f2, nothing cached, same window page: 2 MiB: %ld faults",
	       faults);
	EXPECT_GE(2, faults);
	ASSERT_EQ(0, vshm_unmap(dev, PMD_SHMID, 0, huge));
	close(f1);
	close(f2);
}

/*
 * A read's huge fault racing a write to the same read-only 2 MiB: a 4 KiB
 * insertion that finds a PMD mapped meanwhile, or a PMD insertion that
 * finds a PTE table, must leave the address mapped or the access retried,
 * never a failure ("VM_FAULT_OOM leaked out to the #PF handler" in the
 * kernel log, EFAULT for KVM).  Every write SIGBUS (read-only), and the
 * log has no complaint.
 */
static struct {
	uint8_t *win;
	atomic_int go, ready;
} race;

static void *race_reader(void *arg)
{
	uint32_t v;

	atomic_fetch_add(&race.ready, 1);
	while (!atomic_load(&race.go))
		;
	probe_read(race.win, 0, &v);
	return NULL;
}

static int race_kmsg_count(const char *needle)
{
	char buf[2048];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK), n = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf) - 1)) > 0 || errno == EPIPE) {
		if (r <= 0)
			continue;
		buf[r] = 0;
		if (strstr(buf, needle))
			n++;
	}
	close(fd);
	return n;
}

TEST_F(pmd, read_races_read_only_write)
{
	const size_t huge = 2UL << 20;
	int dev = self->dev, fd = self->fd, i, before, after, sigs = 0;
	pthread_t thr;

	/* A window of its own each round: fresh page tables. */
	munmap(self->win, huge);
	self->win = MAP_FAILED;
	before = race_kmsg_count("VM_FAULT_OOM leaked");
	for (i = 0; i < 400; i++) {
		race.win = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_SHARED,
				dev, self->off);
		ASSERT_NE(MAP_FAILED, race.win);
		ASSERT_EQ(0, window_allow_pmd(race.win, huge));
		ASSERT_EQ(0, vshm_map(dev, PMD_SHMID, fd, 0, 0, huge, 0));
		atomic_store(&race.go, 0);
		atomic_store(&race.ready, 0);
		ASSERT_EQ(0, pthread_create(&thr, NULL, race_reader, NULL));
		while (!atomic_load(&race.ready))
			;
		atomic_store(&race.go, 1);
		sigs += probe_write(race.win, (1 + i % 500) * PAGE, 1) != 0;
		pthread_join(thr, NULL);
		ASSERT_EQ(0, vshm_unmap(dev, PMD_SHMID, 0, huge));
		munmap(race.win, huge);
	}
	after = race_kmsg_count("VM_FAULT_OOM leaked");
	TH_LOG("%d of 400 writes faulted; VM_FAULT_OOM leaked: %d before, %d after",
	       sigs, before, after);
	EXPECT_EQ(400, sigs);
	EXPECT_EQ(before, after);
}

TEST_F(dev, region_lifecycle)
{
	struct vhost_shmem_region_create rc;
	struct vhost_shmem_region_destroy rd;
	uint64_t off0, off7, again;
	int dev = self->dev;

	ASSERT_EQ(0, vshm_region_create(dev, 0, PAGE, &off0));
	ASSERT_EQ(0, vshm_region_create(dev, 7, 2 * PAGE, &off7));
	EXPECT_NE(off0, off7);
	EXPECT_EQ(0, off7 % PAGE);
	EXPECT_EQ(-EEXIST, vshm_region_create(dev, 7, PAGE, NULL));
	EXPECT_EQ(0, vshm_region_destroy(dev, 7));
	EXPECT_EQ(-ENOENT, vshm_region_destroy(dev, 7));
	ASSERT_EQ(0, vshm_region_create(dev, 7, 4 * PAGE, &again));
	EXPECT_EQ(off7, again);
	EXPECT_EQ(0, vshm_region_create(dev, 255, PAGE, NULL));

	/*
	 * Several rules broken at once: the first in the header's order
	 * wins (arguments, then the context's state).
	 */
	EXPECT_EQ(-EINVAL, vshm_region_create(dev, 7, 0, NULL));
	EXPECT_EQ(-EINVAL, vshm_region_create(dev, 7 + 256, PAGE, NULL));

	/* Sizes: zero, unaligned, too large. */
	EXPECT_EQ(-EINVAL, vshm_region_create(dev, 9, 0, NULL));
	EXPECT_EQ(-EINVAL, vshm_region_create(dev, 9, PAGE + 1, NULL));
	EXPECT_EQ(-EINVAL, vshm_region_create(dev, 9, 1ULL << 62, NULL));
	EXPECT_EQ(-EINVAL, vshm_region_create(dev, 9, ~0ULL & ~(PAGE - 1),
					      NULL));

	/* Flags and reserved fields must be zero; shmids stop at 255. */
	memset(&rc, 0, sizeof(rc));
	rc.size = sizeof(rc);
	rc.shmid = 9;
	rc.length = PAGE;
	rc.flags = ~VHOST_SHMEM_REGION_F_ZERO_HOLES;
	EXPECT_EQ(-EOPNOTSUPP, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	rc.flags = 0;
	rc.__reserved = 1U << 31;
	EXPECT_EQ(-EOPNOTSUPP, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	rc.__reserved = 0;
	rc.shmid = 256;
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	rc.shmid = 9 + 256;
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	EXPECT_EQ(-EFAULT, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, NULL));
	/* None of the failures created region 9. */
	EXPECT_EQ(-ENOENT, vshm_region_destroy(dev, 9));

	memset(&rd, 0, sizeof(rd));
	rd.size = sizeof(rd);
	rd.shmid = 0;
	rd.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, vshm_ioctl(dev, VHOST_SHMEM_REGION_DESTROY, &rd));
	rd.flags = 0;
	rd.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, vshm_ioctl(dev, VHOST_SHMEM_REGION_DESTROY, &rd));
	rd.__reserved = 0;
	rd.shmid = 256;
	EXPECT_EQ(-EINVAL, vshm_ioctl(dev, VHOST_SHMEM_REGION_DESTROY, &rd));
	EXPECT_EQ(0, vshm_region_destroy(dev, 0));
}

/*
 * A read fault also maps the neighbouring pages (the aligned 64 KiB
 * around it) that the page cache holds up to date, and only those: pages
 * never written stay unmapped until touched.
 */
TEST_F(vshm, read_fault_maps_cached_neighbours)
{
	struct vhost_shmem_region_info ri;
	uint32_t v;
	int full, sparse;

	full = memfd_pattern(16, 16 * PAGE, 0);
	ASSERT_LE(0, full);
	sparse = memfd_create("vshm-sparse", MFD_CLOEXEC);
	ASSERT_LE(0, sparse);
	ASSERT_EQ(0, ftruncate(sparse, 16 * PAGE));

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, full, 0, 0, 16 * PAGE, 0));
	ASSERT_EQ(0, probe_read(self->win, 5 * PAGE, &v));
	EXPECT_EQ(pattern(16, 5 * PAGE), v);
	ASSERT_EQ(0, vshm_region_info(self->dev, SHMID, &ri));
	EXPECT_EQ(16 * PAGE, ri.out_resident_bytes);
	/* The pages mapped ahead are the file's. */
	ASSERT_EQ(0, probe_read(self->win, 15 * PAGE + 8, &v));
	EXPECT_EQ(pattern(16, 15 * PAGE + 8), v);
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 16 * PAGE));

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, sparse, 0, 0, 16 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(0, probe_read(self->win, 5 * PAGE, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, vshm_region_info(self->dev, SHMID, &ri));
	EXPECT_EQ(PAGE, ri.out_resident_bytes);
	close(full);
	close(sparse);
}

TEST_F(vshm, region_info_counts)
{
	struct vhost_shmem_region_info ri;
	uint32_t v;
	int fd;

	ASSERT_EQ(0, vshm_region_info(self->dev, SHMID, &ri));
	EXPECT_EQ(sizeof(ri), ri.size);
	EXPECT_EQ(REGION_SIZE, ri.out_length);
	EXPECT_EQ(self->mmap_offset, ri.out_mmap_offset);
	EXPECT_EQ(0, ri.out_nr_mappings);
	EXPECT_EQ(0, ri.out_mapped_bytes);
	EXPECT_EQ(0, ri.out_resident_bytes);

	fd = memfd_pattern(15, 4 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, 3 * PAGE, 0));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 8 * PAGE, PAGE, 0));
	ASSERT_EQ(0, probe_read(self->win, 0, &v));
	ASSERT_EQ(0, probe_read(self->win, 4, &v));
	ASSERT_EQ(0, probe_read(self->win, 2 * PAGE, &v));
	ASSERT_EQ(0, vshm_region_info(self->dev, SHMID, &ri));
	EXPECT_EQ(2, ri.out_nr_mappings);
	EXPECT_EQ(4 * PAGE, ri.out_mapped_bytes);
	/* Fault-around mapped every cached page near the first read. */
	EXPECT_EQ(4 * PAGE, ri.out_resident_bytes);

	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 3 * PAGE));
	ASSERT_EQ(0, vshm_region_info(self->dev, SHMID, &ri));
	EXPECT_EQ(1, ri.out_nr_mappings);
	EXPECT_EQ(PAGE, ri.out_mapped_bytes);
	EXPECT_EQ(PAGE, ri.out_resident_bytes);
	ASSERT_EQ(0, vshm_reset(self->dev));
	ASSERT_EQ(0, vshm_region_info(self->dev, SHMID, &ri));
	EXPECT_EQ(0, ri.out_nr_mappings);
	EXPECT_EQ(0, ri.out_mapped_bytes);

	EXPECT_EQ(-ENOENT, vshm_region_info(self->dev, SHMID + 1, &ri));
	EXPECT_EQ(-EINVAL, vshm_region_info(self->dev, 256 + SHMID, &ri));
	memset(&ri, 0, sizeof(ri));
	ri.size = sizeof(ri);
	ri.shmid = SHMID;
	ri.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP,
		  vshm_ioctl(self->dev, VHOST_SHMEM_REGION_INFO, &ri));
	close(fd);
}

TEST_F(vshm, window_mmap)
{
	void *p;

	/* Private mappings of a PFN window cannot be copied on write. */
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, self->dev,
		 self->mmap_offset);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	/* Beyond the region, and where no region is. */
	p = mmap(NULL, REGION_SIZE + PAGE, PROT_READ, MAP_SHARED, self->dev,
		 self->mmap_offset);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->dev,
		 self->mmap_offset + REGION_SIZE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->dev, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	/* A part of the window is fine, and cannot be grown by mremap. */
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, self->dev,
		 self->mmap_offset + 14 * PAGE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(MAP_FAILED, mremap(p, 2 * PAGE, 3 * PAGE, 0));
	EXPECT_EQ(0, munmap(p, 2 * PAGE));
}

/*
 * mprotect() read-only and back write-protects the PTEs of a read-write
 * mapping: the next write goes through ->pfn_mkwrite and must still land
 * in the file, while a read-only mapping stays read-only.
 */
TEST_F(vshm, mprotect_cycle)
{
	uint32_t v;
	int fd;

	fd = memfd_pattern(18, 2 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, PAGE, PAGE, PAGE, 0));
	ASSERT_EQ(0, probe_write(self->win, 0, 1));
	ASSERT_EQ(0, probe_read(self->win, PAGE, &v));
	ASSERT_EQ(0, mprotect(self->win, 2 * PAGE, PROT_READ));
	EXPECT_EQ(SIGSEGV, probe_write(self->win, 0, 2));
	ASSERT_EQ(0, mprotect(self->win, 2 * PAGE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, probe_write(self->win, 0, 3));
	EXPECT_EQ(3, file_read32(fd, 0));
	EXPECT_EQ(SIGBUS, probe_write(self->win, PAGE, 4));
	EXPECT_EQ(pattern(18, PAGE), file_read32(fd, PAGE));
	close(fd);
}

/* Windows are never executable: the files behind them were not checked. */
TEST_F(vshm, window_not_executable)
{
	void *p;

	p = mmap(NULL, PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, self->dev,
		 self->mmap_offset);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, mprotect(self->win, PAGE, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
}

/*
 * The page that holds the end of a file maps whole, and a mapping may go
 * past the end of the file, as with mmap(): pages past it fault.
 */
TEST_F(vshm, partial_last_page)
{
	uint32_t v;
	int fd;

	fd = memfd_pattern(19, PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, PAGE + 100));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, 3 * PAGE, 0));
	ASSERT_EQ(0, probe_read(self->win, 4, &v));
	EXPECT_EQ(pattern(19, 4), v);
	ASSERT_EQ(0, probe_read(self->win, PAGE + 200, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(SIGBUS, probe_read(self->win, 2 * PAGE, &v));
	close(fd);
}

/*
 * What a PFN window cannot do: get_user_pages() users refuse it, with the
 * errnos the documentation's table gives, while the same accesses through
 * the CPU work.
 */
TEST_F(vshm, gup_users_refuse_window)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)self->win, .len = PAGE },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffdio_api api = { .api = UFFD_API };
	char buf[64], path[64];
	struct iovec local = { buf, sizeof(buf) };
	struct iovec remote = { self->win, sizeof(buf) };
	int fd, pfd[2], mem, uffd;
	uint32_t v;

	fd = memfd_pattern(30, PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, PAGE, 0));
	ASSERT_EQ(0, probe_read(self->win, 0, &v));
	EXPECT_EQ(pattern(30, 0), v);

	EXPECT_EQ(-1, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(0, pipe(pfd));
	remote.iov_len = PAGE;
	EXPECT_EQ(-1, vmsplice(pfd[1], &remote, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	close(pfd[0]);
	close(pfd[1]);

	snprintf(path, sizeof(path), "/proc/%d/mem", getpid());
	mem = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, mem);
	EXPECT_EQ(-1, pread(mem, buf, sizeof(buf), (uintptr_t)self->win));
	EXPECT_EQ(EIO, errno);
	close(mem);

	EXPECT_EQ(-1, madvise(self->win, PAGE, MADV_DONTNEED));
	EXPECT_EQ(EINVAL, errno);

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd >= 0) {
		ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
		EXPECT_EQ(-1, ioctl(uffd, UFFDIO_REGISTER, &reg));
		EXPECT_EQ(EINVAL, errno);
		close(uffd);
	} else {
		ksft_print_msg("no userfaultfd: %s\n", strerror(errno));
	}

	/* The CPU still reads it, and the file is unchanged. */
	ASSERT_EQ(0, probe_read(self->win, 8, &v));
	EXPECT_EQ(pattern(30, 8), v);
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, PAGE));
	close(fd);
}

TEST_F(vshm, hole_faults)
{
	uint32_t v;

	EXPECT_EQ(SIGBUS, probe_read(self->win, 0, &v));
	EXPECT_EQ(SIGBUS, probe_write(self->win, REGION_SIZE - 4, 1));
}

/*
 * The window of the vshm fixture, with the mappings of the test read-only
 * or read-write.
 */
FIXTURE(mode) {
	int dev;
	uint64_t mmap_offset;
	void *win;
};

FIXTURE_VARIANT(mode) {
	uint64_t flags;
};

FIXTURE_VARIANT_ADD(mode, ro) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(mode, rw) {
	.flags = VHOST_SHMEM_MAP_F_RW,
};

FIXTURE_SETUP(mode)
{
	window_setup(_metadata, &self->dev, &self->mmap_offset, &self->win);
}

FIXTURE_TEARDOWN(mode)
{
	window_teardown(self->dev, self->win);
}

/*
 * Both modes read the file and see writes to the file; a read-write
 * mapping's window writes land in the file, a read-only one's fault,
 * whether the page was read first or not, and leave the file alone.
 */
TEST_F(mode, reads_and_writes)
{
	bool rw = variant->flags & VHOST_SHMEM_MAP_F_RW;
	char path[64];
	int fd, rofd;
	uint32_t v;

	fd = memfd_pattern(1, 8 * PAGE, 0);
	ASSERT_LE(0, fd);
	/* File pages 2..5 at region pages 4..7. */
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 2 * PAGE, 4 * PAGE,
			      4 * PAGE, variant->flags));
	EXPECT_TRUE(window_matches(self->win, 4 * PAGE, 4 * PAGE, 1, 2 * PAGE));

	if (rw) {
		/* Window writes land in the file. */
		ASSERT_EQ(0, probe_write(self->win, 5 * PAGE + 8, 0xfeedf00d));
		EXPECT_EQ(0xfeedf00d, file_read32(fd, 3 * PAGE + 8));
	} else {
		/* A write to a page read above faults... */
		EXPECT_EQ(SIGBUS, probe_write(self->win, 4 * PAGE + 8, 0xdead));
		/* ...and to one never read since it was mapped. */
		ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 4 * PAGE, 4 * PAGE));
		ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 2 * PAGE, 4 * PAGE,
				      4 * PAGE, variant->flags));
		EXPECT_EQ(SIGBUS, probe_write(self->win, 5 * PAGE + 8, 0xdead));
		EXPECT_EQ(pattern(1, 2 * PAGE + 8), file_read32(fd, 2 * PAGE + 8));
		EXPECT_EQ(pattern(1, 3 * PAGE + 8), file_read32(fd, 3 * PAGE + 8));
		ASSERT_EQ(0, probe_read(self->win, 5 * PAGE + 8, &v));
		EXPECT_EQ(pattern(1, 3 * PAGE + 8), v);

		/* A read-only descriptor is enough for a read-only mapping. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rofd = open(path, O_RDONLY);
		ASSERT_LE(0, rofd);
		EXPECT_EQ(0, vshm_map(self->dev, SHMID, rofd, 0, 0, PAGE, 0));
		EXPECT_TRUE(window_matches(self->win, 0, PAGE, 1, 0));
		close(rofd);
	}

	/* File writes show in the window. */
	v = 0x12345678;
	ASSERT_EQ(sizeof(v), pwrite(fd, &v, sizeof(v), 2 * PAGE + 16));
	ASSERT_EQ(0, probe_read(self->win, 4 * PAGE + 16, &v));
	EXPECT_EQ(0x12345678, v);

	/* Pages around the mapping are holes. */
	EXPECT_EQ(SIGBUS, probe_read(self->win, 3 * PAGE, &v));
	EXPECT_EQ(SIGBUS, probe_read(self->win, 8 * PAGE, &v));
	close(fd);
}

TEST_F(vshm, unmap_faults_and_remap_shows_new_file)
{
	int a, b;
	uint32_t v;

	a = memfd_pattern(10, 4 * PAGE, 0);
	b = memfd_pattern(20, 4 * PAGE, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, a, 0, 8 * PAGE, 4 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	EXPECT_TRUE(window_matches(self->win, 8 * PAGE, 4 * PAGE, 10, 0));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 8 * PAGE, 4 * PAGE));
	EXPECT_EQ(SIGBUS, probe_read(self->win, 8 * PAGE, &v));
	EXPECT_EQ(SIGBUS, probe_read(self->win, 11 * PAGE + 4092, &v));

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, b, 0, 8 * PAGE, 4 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	EXPECT_TRUE(window_matches(self->win, 8 * PAGE, 4 * PAGE, 20, 0));
	close(a);
	close(b);
}

TEST_F(vshm, map_invalid)
{
	struct vhost_shmem_map m;
	int fd, sealed, rofd, opath, pipefd[2], devnull, dir;
	char path[64];
	uint32_t v;

	fd = memfd_pattern(3, 4 * PAGE, MFD_ALLOW_SEALING);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 4 * PAGE, 2 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));

	/* Overlaps, from either side or inside; adjacent ranges are fine. */
	EXPECT_EQ(-EEXIST, vshm_map(self->dev, SHMID, fd, 0, 3 * PAGE,
				    2 * PAGE, 0));
	EXPECT_EQ(-EEXIST, vshm_map(self->dev, SHMID, fd, 0, 5 * PAGE,
				    2 * PAGE, 0));
	EXPECT_EQ(-EEXIST, vshm_map(self->dev, SHMID, fd, 0, 4 * PAGE,
				    PAGE, 0));
	EXPECT_EQ(-EEXIST, vshm_map(self->dev, SHMID, fd, 0, 2 * PAGE,
				    4 * PAGE, 0));
	EXPECT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 6 * PAGE, PAGE, 0));
	EXPECT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 3 * PAGE, PAGE, 0));

	/* Geometry. */
	EXPECT_EQ(-EINVAL, vshm_map(self->dev, SHMID, fd, 0, 8 * PAGE, 0, 0));
	EXPECT_EQ(-EINVAL, vshm_map(self->dev, SHMID, fd, 0, 8 * PAGE + 1,
				    PAGE, 0));
	EXPECT_EQ(-EINVAL, vshm_map(self->dev, SHMID, fd, 1, 8 * PAGE,
				    PAGE, 0));
	EXPECT_EQ(-EINVAL, vshm_map(self->dev, SHMID, fd, 0, 8 * PAGE,
				    PAGE + 512, 0));
	EXPECT_EQ(-EINVAL, vshm_map(self->dev, SHMID, fd, 0, 15 * PAGE,
				    2 * PAGE, 0));
	EXPECT_EQ(-EINVAL, vshm_map(self->dev, SHMID, fd, 0, REGION_SIZE,
				    PAGE, 0));
	EXPECT_EQ(-EINVAL, vshm_map(self->dev, SHMID, fd, 0, ~0ULL & ~(PAGE - 1),
				    2 * PAGE, 0));
	EXPECT_EQ(-EINVAL, vshm_map(self->dev, SHMID, fd, ~0ULL & ~(PAGE - 1),
				    8 * PAGE, 2 * PAGE, 0));
	/* Beyond the largest file offset (past the end is allowed). */
	EXPECT_EQ(-EOVERFLOW, vshm_map(self->dev, SHMID, fd,
				       (uint64_t)INT64_MAX & ~(PAGE - 1),
				       8 * PAGE, PAGE, 0));

	/* Flags this kernel does not know; shmids past 255. */
	EXPECT_EQ(-EOPNOTSUPP, vshm_map(self->dev, SHMID, fd, 0, 8 * PAGE,
					PAGE, 1U << 1));
	EXPECT_EQ(-EOPNOTSUPP, vshm_map(self->dev, SHMID, fd, 0, 8 * PAGE,
					PAGE, 1U << 31));
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.shmid = SHMID + 256;
	m.fd = fd;
	m.shm_offset = 8 * PAGE;
	m.len = PAGE;
	EXPECT_EQ(-EINVAL, vshm_ioctl(self->dev, VHOST_SHMEM_MAP, &m));
	EXPECT_EQ(-EFAULT, vshm_ioctl(self->dev, VHOST_SHMEM_MAP, NULL));

	/* No such region. */
	EXPECT_EQ(-ENOENT, vshm_map(self->dev, SHMID + 1, fd, 0, 0, PAGE, 0));

	/* Descriptors: checked after the arguments. */
	EXPECT_EQ(-EOPNOTSUPP, vshm_map(self->dev, SHMID, -1, 0, 8 * PAGE,
					PAGE, 1U << 4));
	EXPECT_EQ(-EINVAL, vshm_map(self->dev, SHMID, -1, 0, 8 * PAGE + 1,
				    PAGE, 0));
	EXPECT_EQ(-EBADF, vshm_map(self->dev, SHMID, -1, 0, 8 * PAGE, PAGE, 0));
	EXPECT_EQ(-EBADF, vshm_map(self->dev, SHMID, 1000000, 0, 8 * PAGE,
				   PAGE, 0));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	opath = open(path, O_PATH);
	ASSERT_LE(0, opath);
	EXPECT_EQ(-EBADF, vshm_map(self->dev, SHMID, opath, 0, 8 * PAGE,
				   PAGE, 0));
	rofd = open(path, O_RDONLY);
	ASSERT_LE(0, rofd);
	EXPECT_EQ(-EACCES, vshm_map(self->dev, SHMID, rofd, 0, 8 * PAGE, PAGE,
				    VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-ENODEV, vshm_map(self->dev, SHMID, pipefd[0], 0, 8 * PAGE,
				    PAGE, 0));
	devnull = open("/dev/null", O_RDWR);
	ASSERT_LE(0, devnull);
	EXPECT_EQ(-ENODEV, vshm_map(self->dev, SHMID, devnull, 0, 8 * PAGE,
				    PAGE, 0));
	EXPECT_EQ(-ENODEV, vshm_map(self->dev, SHMID, self->dev, 0, 8 * PAGE,
				    PAGE, 0));
	dir = open("/dev/shm", O_RDONLY | O_DIRECTORY);
	if (dir < 0)
		dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dir);
	EXPECT_EQ(-ENODEV, vshm_map(self->dev, SHMID, dir, 0, 8 * PAGE,
				    PAGE, 0));

	/* A file sealed against writes maps read-only only. */
	sealed = memfd_pattern(4, PAGE, MFD_ALLOW_SEALING);
	ASSERT_LE(0, sealed);
	ASSERT_EQ(0, fcntl(sealed, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(-EPERM, vshm_map(self->dev, SHMID, sealed, 0, 8 * PAGE, PAGE,
				   VHOST_SHMEM_MAP_F_RW));
	EXPECT_EQ(0, vshm_map(self->dev, SHMID, sealed, 0, 8 * PAGE, PAGE, 0));
	EXPECT_TRUE(window_matches(self->win, 8 * PAGE, PAGE, 4, 0));

	/* Nothing failed half-way: exactly the four mappings exist. */
	EXPECT_EQ(SIGBUS, probe_read(self->win, 9 * PAGE, &v));
	EXPECT_EQ(0, vshm_unmap(self->dev, SHMID, 8 * PAGE, PAGE));
	EXPECT_EQ(0, vshm_unmap(self->dev, SHMID, 6 * PAGE, PAGE));
	EXPECT_EQ(0, vshm_unmap(self->dev, SHMID, 4 * PAGE, 2 * PAGE));
	EXPECT_EQ(0, vshm_unmap(self->dev, SHMID, 3 * PAGE, PAGE));
	for (v = 0; v < REGION_PAGES; v++) {
		uint32_t x;

		EXPECT_EQ(SIGBUS, probe_read(self->win, v * PAGE, &x));
	}

	close(dir);
	close(devnull);
	close(pipefd[0]);
	close(pipefd[1]);
	close(rofd);
	close(opath);
	close(sealed);
	close(fd);
}

TEST_F(vshm, unmap_invalid)
{
	struct vhost_shmem_unmap u;
	int fd;

	fd = memfd_pattern(5, 4 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, 2 * PAGE, 0));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 2 * PAGE, 2 * PAGE, 0));

	/* Part of one, both at once, a hole, unaligned, another region. */
	EXPECT_EQ(-ENOENT, vshm_unmap(self->dev, SHMID, 0, PAGE));
	EXPECT_EQ(-ENOENT, vshm_unmap(self->dev, SHMID, PAGE, PAGE));
	EXPECT_EQ(-ENOENT, vshm_unmap(self->dev, SHMID, 0, 4 * PAGE));
	EXPECT_EQ(-ENOENT, vshm_unmap(self->dev, SHMID, 0, 3 * PAGE));
	EXPECT_EQ(-ENOENT, vshm_unmap(self->dev, SHMID, 8 * PAGE, PAGE));
	EXPECT_EQ(-ENOENT, vshm_unmap(self->dev, SHMID, REGION_SIZE, PAGE));
	EXPECT_EQ(-ENOENT, vshm_unmap(self->dev, SHMID + 1, 0, 2 * PAGE));
	EXPECT_EQ(-EINVAL, vshm_unmap(self->dev, SHMID, 0, 2 * PAGE + 1));
	EXPECT_EQ(-EINVAL, vshm_unmap(self->dev, SHMID, 1, 2 * PAGE));
	EXPECT_EQ(-EINVAL, vshm_unmap(self->dev, SHMID, 0, 0));
	EXPECT_EQ(-EINVAL, vshm_unmap(self->dev, SHMID, ~0ULL & ~(PAGE - 1),
				      2 * PAGE));
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.shmid = SHMID;
	u.len = 2 * PAGE;
	u.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, vshm_ioctl(self->dev, VHOST_SHMEM_UNMAP, &u));
	u.flags = 0;
	u.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, vshm_ioctl(self->dev, VHOST_SHMEM_UNMAP, &u));
	u.__reserved = 0;
	u.shmid = SHMID + 256;
	EXPECT_EQ(-EINVAL, vshm_ioctl(self->dev, VHOST_SHMEM_UNMAP, &u));

	/* Nothing changed. */
	EXPECT_TRUE(window_matches(self->win, 0, 2 * PAGE, 5, 0));
	EXPECT_TRUE(window_matches(self->win, 2 * PAGE, 2 * PAGE, 5, 0));
	EXPECT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 2 * PAGE));
	EXPECT_EQ(0, vshm_unmap(self->dev, SHMID, 2 * PAGE, 2 * PAGE));
	close(fd);
}

TEST_F(vshm, reset_unmaps_all_keeps_regions)
{
	uint64_t off;
	void *win2;
	uint32_t v;
	int fd;

	fd = memfd_pattern(6, 2 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_region_create(self->dev, 0, 2 * PAGE, &off));
	win2 = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, self->dev, off);
	ASSERT_NE(MAP_FAILED, win2);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, 2 * PAGE, 0));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 6 * PAGE, PAGE, 0));
	ASSERT_EQ(0, vshm_map(self->dev, 0, fd, PAGE, 0, PAGE, 0));
	EXPECT_TRUE(window_matches(self->win, 0, 2 * PAGE, 6, 0));
	EXPECT_TRUE(window_matches(win2, 0, PAGE, 6, PAGE));

	ASSERT_EQ(0, vshm_reset(self->dev));
	EXPECT_EQ(SIGBUS, probe_read(self->win, 0, &v));
	EXPECT_EQ(SIGBUS, probe_read(self->win, 6 * PAGE, &v));
	EXPECT_EQ(SIGBUS, probe_read(win2, 0, &v));
	EXPECT_EQ(-ENOENT, vshm_unmap(self->dev, SHMID, 0, 2 * PAGE));

	/* The regions and windows are still there. */
	EXPECT_EQ(-EEXIST, vshm_region_create(self->dev, 0, PAGE, NULL));
	EXPECT_EQ(-EEXIST, vshm_region_create(self->dev, SHMID, PAGE, NULL));
	ASSERT_EQ(0, vshm_map(self->dev, 0, fd, 0, PAGE, PAGE, 0));
	EXPECT_TRUE(window_matches(win2, PAGE, PAGE, 6, 0));
	EXPECT_EQ(0, vshm_reset(self->dev));
	EXPECT_EQ(0, vshm_reset(self->dev));
	munmap(win2, 2 * PAGE);
	close(fd);
}

TEST_F(vshm, destroy_unmaps_region)
{
	uint32_t v;
	int fd;

	fd = memfd_pattern(7, PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, PAGE, PAGE, 0));
	EXPECT_TRUE(window_matches(self->win, PAGE, PAGE, 7, 0));
	ASSERT_EQ(0, vshm_region_destroy(self->dev, SHMID));
	EXPECT_EQ(SIGBUS, probe_read(self->win, PAGE, &v));
	EXPECT_EQ(-ENOENT, vshm_map(self->dev, SHMID, fd, 0, PAGE, PAGE, 0));

	/* The old window reaches a new region with the same shmid. */
	ASSERT_EQ(0, vshm_region_create(self->dev, SHMID, REGION_SIZE, NULL));
	EXPECT_EQ(SIGBUS, probe_read(self->win, PAGE, &v));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, PAGE, PAGE, 0));
	EXPECT_TRUE(window_matches(self->win, PAGE, PAGE, 7, 0));
	close(fd);
}

TEST_F(vshm, write_seal_refused_while_mapped_rw)
{
	int fd;

	fd = memfd_pattern(8, PAGE, MFD_ALLOW_SEALING);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	EXPECT_EQ(-1, fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, PAGE));
	EXPECT_EQ(0, fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	close(fd);
}

TEST_F(vshm, fork_inherits_window_and_unmap_zaps_child)
{
	int fd, to_child[2], to_parent[2], status;
	pid_t pid;
	char c;

	fd = memfd_pattern(9, PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, PAGE, 0));
	ASSERT_TRUE(window_matches(self->win, 0, PAGE, 9, 0));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint32_t v;
		int ok;

		/* The child sees the mapping, then waits for the unmap. */
		ok = !probe_read(self->win, 0, &v) && v == pattern(9, 0);
		if (write(to_parent[1], "r", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(3);
		ok = ok && probe_read(self->win, 0, &v) == SIGBUS;
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, PAGE));
	ASSERT_EQ(1, write(to_child[1], "u", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	close(fd);
}

TEST_F(dev, contexts_are_isolated)
{
	uint64_t off_a, off_b;
	int a = self->dev, b, fd;
	void *win_b;
	uint32_t v;

	b = vshm_open();
	ASSERT_LE(0, b);
	fd = memfd_pattern(11, PAGE, 0);
	ASSERT_LE(0, fd);

	ASSERT_EQ(0, vshm_region_create(a, 0, PAGE, &off_a));
	ASSERT_EQ(0, vshm_region_create(b, 0, PAGE, &off_b));
	ASSERT_EQ(0, vshm_map(a, 0, fd, 0, 0, PAGE, 0));
	win_b = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, b, off_b);
	ASSERT_NE(MAP_FAILED, win_b);
	EXPECT_EQ(SIGBUS, probe_read(win_b, 0, &v));
	EXPECT_EQ(-ENOENT, vshm_unmap(b, 0, 0, PAGE));
	EXPECT_EQ(0, vshm_reset(b));
	EXPECT_EQ(0, vshm_unmap(a, 0, 0, PAGE));
	munmap(win_b, PAGE);
	close(fd);
	close(b);
}

#define PARAM_DIR "/sys/module/vhost_shmem/parameters/"

static int param_get(const char *name)
{
	char path[128];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int param_set(const char *name, int v)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ret = fprintf(f, "%d\n", v) > 0 ? 0 : -1;
	return fclose(f) ? -1 : ret;
}

/*
 * A context takes the module's limits when it is opened; past either the
 * request fails with ENOSPC and changes nothing.  Values out of range are
 * refused.
 */
TEST_F(vshm, limits)
{
	struct vhost_shmem_info info = { 0 };
	int old_maps, old_regions, fd, dev;
	uint64_t off;
	uint32_t v;
	void *win;

	old_maps = param_get("max_mappings");
	old_regions = param_get("max_regions");
	if (old_maps < 0 || old_regions < 0 || param_set("max_mappings", 2))
		SKIP(return, "module parameters not writable");
	ASSERT_EQ(0, param_set("max_regions", 2));
	/* Out of range: refused, nothing changes. */
	EXPECT_EQ(-1, param_set("max_regions", 0));
	EXPECT_EQ(-1, param_set("max_regions", 257));
	EXPECT_EQ(-1, param_set("max_mappings", 0));
	EXPECT_EQ(2, param_get("max_regions"));
	EXPECT_EQ(2, param_get("max_mappings"));

	/* The fixture's context keeps the limits it was opened with. */
	ASSERT_EQ(0, vshm_get_info(self->dev, &info));
	EXPECT_EQ(old_maps, info.max_mappings);
	EXPECT_EQ(old_regions, info.max_regions);

	dev = vshm_open();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, vshm_get_info(dev, &info));
	EXPECT_EQ(2, info.max_mappings);
	EXPECT_EQ(2, info.max_regions);
	ASSERT_EQ(0, vshm_region_create(dev, SHMID, REGION_SIZE, &off));
	win = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		   off);
	ASSERT_NE(MAP_FAILED, win);

	fd = memfd_pattern(14, PAGE, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, vshm_map(dev, SHMID, fd, 0, 0, PAGE, 0));
	EXPECT_EQ(0, vshm_map(dev, SHMID, fd, 0, 2 * PAGE, PAGE, 0));
	EXPECT_EQ(-ENOSPC, vshm_map(dev, SHMID, fd, 0, 4 * PAGE, PAGE, 0));
	/* An overlap at the limit: the limit is checked first. */
	EXPECT_EQ(-ENOSPC, vshm_map(dev, SHMID, fd, 0, 0, PAGE, 0));
	EXPECT_EQ(SIGBUS, probe_read(win, 4 * PAGE, &v));
	EXPECT_EQ(0, vshm_unmap(dev, SHMID, 0, PAGE));
	EXPECT_EQ(0, vshm_map(dev, SHMID, fd, 0, 4 * PAGE, PAGE, 0));
	EXPECT_TRUE(window_matches(win, 4 * PAGE, PAGE, 14, 0));
	/* The fixture's context is not limited to two. */
	EXPECT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, PAGE, 0));
	EXPECT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 2 * PAGE, PAGE, 0));
	EXPECT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 4 * PAGE, PAGE, 0));

	/* The first region is one; a second fits, a third does not. */
	EXPECT_EQ(0, vshm_region_create(dev, 100, PAGE, NULL));
	EXPECT_EQ(-ENOSPC, vshm_region_create(dev, 101, PAGE, NULL));
	/* A duplicate shmid at the limit: EEXIST comes first. */
	EXPECT_EQ(-EEXIST, vshm_region_create(dev, 100, PAGE, NULL));
	EXPECT_EQ(-ENOENT, vshm_region_destroy(dev, 101));
	EXPECT_EQ(0, vshm_region_destroy(dev, 100));
	EXPECT_EQ(0, vshm_region_create(dev, 101, PAGE, NULL));

	EXPECT_EQ(0, param_set("max_mappings", old_maps));
	EXPECT_EQ(0, param_set("max_regions", old_regions));
	munmap(win, REGION_SIZE);
	close(dev);
	close(fd);
}

/* Every shmid, each with a mapping of its own, in one context. */
TEST_F(dev, all_shmids)
{
	struct vhost_shmem_region_info ri;
	struct vhost_shmem_info info = { 0 };
	int dev = self->dev, fd, id;
	uint64_t off;
	uint32_t v;
	void *w;

	ASSERT_EQ(0, vshm_get_info(dev, &info));
	if (info.max_regions < 256)
		SKIP(return, "max_regions is %u", info.max_regions);
	fd = memfd_pattern(16, 256 * PAGE, 0);
	ASSERT_LE(0, fd);

	for (id = 0; id < 256; id++) {
		ASSERT_EQ(0, vshm_region_create(dev, id, 2 * PAGE, NULL));
		ASSERT_EQ(0, vshm_map(dev, id, fd, id * PAGE, PAGE, PAGE, 0));
	}
	for (id = 0; id < 256; id += 51) {
		ASSERT_EQ(-EEXIST, vshm_region_create(dev, id, 2 * PAGE, NULL));
		ASSERT_EQ(0, vshm_region_info(dev, id, &ri));
		off = ri.out_mmap_offset;
		w = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, dev, off);
		ASSERT_NE(MAP_FAILED, w);
		EXPECT_EQ(SIGBUS, probe_read(w, 0, &v));
		ASSERT_EQ(0, probe_read(w, PAGE, &v));
		EXPECT_EQ(pattern(16, id * PAGE), v);
		munmap(w, 2 * PAGE);
	}
	ASSERT_EQ(0, vshm_reset(dev));
	for (id = 0; id < 256; id++)
		ASSERT_EQ(0, vshm_region_destroy(dev, id));
	close(fd);
}

/* Several processes, each with several contexts, in parallel. */
TEST(processes_and_contexts)
{
	const int procs = 4, ctxs = 3;
	int i, status;
	pid_t pid;

	if (access(VSHM_DEV, F_OK))
		SKIP(return, VSHM_DEV " missing");
	for (i = 0; i < procs; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid)
			continue;
		{
			int dev[3], fd, c, round, bad = 0;
			void *w[3];
			uint64_t off;
			uint32_t v;

			fd = memfd_pattern(100 + i, 4 * PAGE, 0);
			for (c = 0; c < ctxs; c++) {
				dev[c] = vshm_open();
				if (fd < 0 || dev[c] < 0 ||
				    vshm_region_create(dev[c], 9, 4 * PAGE, &off))
					_exit(2);
				w[c] = mmap(NULL, 4 * PAGE, PROT_READ,
					    MAP_SHARED, dev[c], off);
				if (w[c] == MAP_FAILED)
					_exit(3);
			}
			for (round = 0; round < 200; round++) {
				c = round % ctxs;
				/* Context c maps page c; the others never. */
				if (vshm_map(dev[c], 9, fd, c * PAGE, c * PAGE,
					     PAGE, 0))
					_exit(4);
				bad |= probe_read(w[c], c * PAGE, &v) ||
				       v != pattern(100 + i, c * PAGE);
				bad |= probe_read(w[(c + 1) % ctxs], c * PAGE,
						  &v) != SIGBUS;
				if (vshm_unmap(dev[c], 9, c * PAGE, PAGE))
					_exit(5);
			}
			_exit(bad ? 1 : 0);
		}
	}
	for (i = 0; i < procs; i++) {
		pid = wait(&status);
		ASSERT_LT(0, pid);
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
}

/* RESET zaps every copy of a window: two in this process, one in a child. */
TEST_F(vshm, reset_zaps_every_window)
{
	int fd, to_child[2], to_parent[2], status;
	uint32_t v;
	void *w2;
	pid_t pid;
	char c;

	fd = memfd_pattern(17, 2 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 2 * PAGE, 2 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	w2 = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, self->dev,
		  self->mmap_offset + 2 * PAGE);
	ASSERT_NE(MAP_FAILED, w2);
	ASSERT_TRUE(window_matches(self->win, 2 * PAGE, 2 * PAGE, 17, 0));
	ASSERT_TRUE(window_matches(w2, 0, 2 * PAGE, 17, 0));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ok = window_matches(self->win, 2 * PAGE, 2 * PAGE, 17, 0) &&
			 window_matches(w2, 0, 2 * PAGE, 17, 0);

		if (write(to_parent[1], "r", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(3);
		ok = ok && probe_read(self->win, 2 * PAGE, &v) == SIGBUS &&
		     probe_read(w2, PAGE, &v) == SIGBUS;
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	ASSERT_EQ(0, vshm_reset(self->dev));
	EXPECT_EQ(SIGBUS, probe_read(self->win, 3 * PAGE, &v));
	EXPECT_EQ(SIGBUS, probe_read(w2, 0, &v));
	ASSERT_EQ(1, write(to_child[1], "u", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	munmap(w2, 2 * PAGE);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	close(fd);
}

static long meminfo_kb(const char *key)
{
	char line[256];
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			sscanf(line + strlen(key), ": %ld", &val);
	fclose(f);
	return val;
}

/*
 * The back-end may close its descriptor right after MAP; the mapping keeps
 * the file alive until UNMAP, and no longer.
 */
TEST_F(vshm, mapping_holds_file_until_unmap)
{
	bool evicted = false;
	int fd, in;

	fd = tmpfile_pattern(12, 2 * PAGE);
	ASSERT_LE(0, fd);
	in = watch_release(fd);
	ASSERT_LE(0, in);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, 2 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(0, released(in, &evicted));
	EXPECT_TRUE(window_matches(self->win, 0, 2 * PAGE, 12, 0));
	EXPECT_EQ(0, probe_write(self->win, 4, 1));
	EXPECT_EQ(0, released(in, &evicted));
	EXPECT_FALSE(evicted);
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 2 * PAGE));
	EXPECT_EQ(1, released(in, &evicted));
	EXPECT_TRUE(evicted);
	close(in);
}

/*
 * Closing the device with live mappings and a live window: the window keeps
 * working until munmap(), which releases the context, the mapped file and
 * every page.  Repeated, so that a leak of the pages would add up to far
 * more than the noise in MemFree.
 */
TEST(close_device_with_live_window)
{
	const size_t size = 32 << 20;
	const int rounds = 8;
	long free_before, free_after;
	int dev, fd, in, round;
	uint32_t *w;
	bool evicted;
	uint64_t off;
	size_t i;

	free_before = meminfo_kb("MemFree");
	ASSERT_LT(0, free_before);
	for (round = 0; round < rounds; round++) {
		dev = vshm_open();
		if (dev < 0 && errno == ENOENT)
			SKIP(return, VSHM_DEV " missing");
		ASSERT_LE(0, dev);
		fd = tmpfile_pattern(13, size);
		ASSERT_LE(0, fd);
		in = watch_release(fd);
		ASSERT_LE(0, in);
		ASSERT_EQ(0, vshm_region_create(dev, 1, size, &off));
		w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
			 off);
		ASSERT_NE(MAP_FAILED, w);
		ASSERT_EQ(0, vshm_map(dev, 1, fd, 0, 0, size,
				      VHOST_SHMEM_MAP_F_RW));
		close(fd);
		for (i = 0; i < size / 4; i += PAGE / 4)
			ASSERT_EQ(pattern(13, i * 4),
				  __atomic_load_n(&w[i], __ATOMIC_RELAXED));

		evicted = false;
		ASSERT_EQ(0, close(dev));
		EXPECT_EQ(pattern(13, size - PAGE),
			  __atomic_load_n(&w[(size - PAGE) / 4], __ATOMIC_RELAXED));
		EXPECT_EQ(0, released(in, &evicted));
		ASSERT_EQ(0, munmap((void *)w, size));
		EXPECT_EQ(1, released(in, &evicted));
		EXPECT_TRUE(evicted);
		close(in);
	}

	/*
	 * 256 MiB went through; a leak of the pages would keep all of it.
	 * MemFree moves by a few tens of MiB anyway, and more under KASAN,
	 * whose quarantine of freed objects may hold 1/32 of memory.
	 */
	free_after = meminfo_kb("MemFree");
	EXPECT_LE(free_before - 128 * 1024, free_after)
		TH_LOG("MemFree %ld kB before, %ld kB after", free_before,
		       free_after);
}

/*
 * The hole policy.  By default a hole faults.  In a region created with
 * VHOST_SHMEM_REGION_F_ZERO_HOLES it reads as zeroes and a write to it
 * faults; MAP shows the file at once over zero pages already mapped (in
 * every window: a second window and a forked child too), and UNMAP brings
 * the zeroes back.  The flag is the only one REGION_CREATE knows.
 */
TEST_F(dev, zero_holes)
{
	struct vhost_shmem_region_create rc = {
		.size = sizeof(rc), .shmid = 2, .length = 8 * PAGE,
	};
	uint8_t *win, *win2, *faulting;
	uint32_t v;
	int dev = self->dev, fd, status, to_child[2], to_parent[2];
	pid_t pid;
	char c;

	fd = memfd_pattern(53, 4 * PAGE, 0);
	ASSERT_LE(0, fd);

	rc.flags = VHOST_SHMEM_REGION_F_ZERO_HOLES << 1;
	EXPECT_EQ(-EOPNOTSUPP, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	rc.flags = VHOST_SHMEM_REGION_F_ZERO_HOLES;
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	win = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		   rc.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, win);
	win2 = mmap(NULL, 8 * PAGE, PROT_READ, MAP_SHARED, dev,
		    rc.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, win2);
	ASSERT_EQ(0, vshm_region_window(dev, 3, 8 * PAGE, (void **)&faulting));

	/* Holes: zeroes to read, a fault to write; the default faults. */
	ASSERT_EQ(0, probe_read(win, 3 * PAGE + 8, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, probe_read(win2, 3 * PAGE + 8, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(SIGBUS, probe_write(win, 3 * PAGE + 8, 1));
	EXPECT_EQ(SIGBUS, probe_write(win, 4 * PAGE, 1));
	EXPECT_EQ(SIGBUS, probe_read(faulting, 3 * PAGE, &v));

	/* MAP over zero pages already mapped: the file shows everywhere. */
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char c;

		/* The child's copy of the window maps the zero page too. */
		if (probe_read(win2, 2 * PAGE, &v) || v)
			_exit(1);
		if (write(to_parent[1], "r", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(3);
		_exit(probe_read(win2, 2 * PAGE + 8, &v) ||
		      v != pattern(53, PAGE + 8) ? 2 : 0);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	ASSERT_EQ(0, vshm_map(dev, 2, fd, PAGE, 2 * PAGE, 2 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(1, write(to_child[1], "m", 1));
	ASSERT_EQ(0, probe_read(win, 3 * PAGE + 8, &v));
	EXPECT_EQ(pattern(53, 2 * PAGE + 8), v);
	ASSERT_EQ(0, probe_read(win2, 3 * PAGE + 8, &v));
	EXPECT_EQ(pattern(53, 2 * PAGE + 8), v);
	EXPECT_EQ(0, probe_write(win, 2 * PAGE + 16, 0x5eed));
	EXPECT_EQ(0x5eed, file_read32(fd, PAGE + 16));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));

	/* UNMAP: zeroes again, not the file's bytes. */
	ASSERT_EQ(0, vshm_unmap(dev, 2, 2 * PAGE, 2 * PAGE));
	ASSERT_EQ(0, probe_read(win, 3 * PAGE + 8, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(SIGBUS, probe_write(win, 2 * PAGE + 16, 1));

	/* RESET keeps the region, and its policy. */
	ASSERT_EQ(0, vshm_map(dev, 2, fd, 0, 0, PAGE, 0));
	ASSERT_EQ(0, vshm_reset(dev));
	ASSERT_EQ(0, probe_read(win, 8, &v));
	EXPECT_EQ(0, v);

	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	munmap(faulting, 8 * PAGE);
	munmap(win2, 8 * PAGE);
	munmap(win, 8 * PAGE);
	close(fd);
}

/*
 * REGION_DESTROY of a zero-hole region that holds no mapping removes the
 * zero pages too: the window faults, and a region created again at the
 * shmid with the default policy shows its mapping, not an old zero page.
 */
TEST_F(dev, zero_holes_leave_with_their_region)
{
	struct vhost_shmem_region_create rc = {
		.size = sizeof(rc), .shmid = 5, .length = 4 * PAGE,
		.flags = VHOST_SHMEM_REGION_F_ZERO_HOLES,
	};
	int dev = self->dev, fd;
	uint8_t *win;
	uint32_t v;

	fd = memfd_pattern(77, 4 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	win = mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, dev,
		   rc.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, win);
	ASSERT_EQ(0, probe_read(win, PAGE + 8, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, vshm_region_destroy(dev, 5));
	/* No region: the window must fault. */
	EXPECT_EQ(SIGBUS, probe_read(win, PAGE + 8, &v))
		TH_LOG("read %#x from a destroyed region", v);
	/* A new region with the default policy, and a MAP there. */
	ASSERT_EQ(0, vshm_region_create(dev, 5, 4 * PAGE, NULL));
	ASSERT_EQ(0, vshm_map(dev, 5, fd, 0, 0, 4 * PAGE, 0));
	ASSERT_EQ(0, probe_read(win, PAGE + 8, &v));
	EXPECT_EQ(pattern(77, PAGE + 8), v)
		TH_LOG("stale zero page hides the mapping: read %#x", v);
	munmap(win, 4 * PAGE);
	close(fd);
}

/* A window that outlived its region reads no zeroes past the new one. */
TEST_F(dev, zero_holes_stop_at_the_region_end)
{
	struct vhost_shmem_region_create rc = {
		.size = sizeof(rc), .shmid = 6, .length = 8 * PAGE,
		.flags = VHOST_SHMEM_REGION_F_ZERO_HOLES,
	};
	int dev = self->dev;
	uint8_t *win;
	uint32_t v;

	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	win = mmap(NULL, 8 * PAGE, PROT_READ, MAP_SHARED, dev,
		   rc.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, win);
	ASSERT_EQ(0, vshm_region_destroy(dev, 6));
	rc.length = 4 * PAGE;
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	EXPECT_EQ(SIGBUS, probe_read(win, 6 * PAGE, &v))
		TH_LOG("page 6 of a 4-page region read %#x", v);
	munmap(win, 8 * PAGE);
}

TEST_HARNESS_MAIN
