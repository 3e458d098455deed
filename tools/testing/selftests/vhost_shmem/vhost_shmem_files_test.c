// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-shmem selftests for the files behind mappings: which types map,
 * read-only or read-write, and what happens when the back-end truncates or
 * punches holes in a file that is mapped.
 */
#include "vshm_test_util.h"
#include "vshm_fuse.h"
#include "vshm_lsm.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/fs.h>
#include <linux/kernel-page-flags.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <linux/udmabuf.h>

#include "kselftest_harness.h"

#define SHMID		1
#define REGION_SIZE	(16 * PAGE)

FIXTURE(files) {
	int dev;
	void *win;
};

FIXTURE_SETUP(files)
{
	self->win = MAP_FAILED;
	self->dev = vshm_open();
	if (self->dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, vshm_region_window(self->dev, SHMID, REGION_SIZE,
					&self->win));
}

FIXTURE_TEARDOWN(files)
{
	if (self->win != MAP_FAILED)
		munmap(self->win, REGION_SIZE);
	if (self->dev >= 0)
		close(self->dev);
}

/* A file on ramfs: page cache without shmem, like any disk file's. */
static int ramfs_file(char *dir, size_t dirlen, uint32_t seed, size_t size,
		      int flags)
{
	char path[128];
	int fd;

	snprintf(dir, dirlen, "/tmp/vshm-ramfs-XXXXXX");
	if (!mkdtemp(dir))
		return -errno;
	if (mount("none", dir, "ramfs", 0, NULL)) {
		int err = errno;

		rmdir(dir);
		dir[0] = 0;
		return -err;
	}
	snprintf(path, sizeof(path), "%s/blob", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fill_pattern(fd, seed, size))
		return -EIO;
	close(fd);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

TEST_F(files, unsupported_files_refused)
{
	int fd, sv[2];

	/* hugetlbfs pages are not page-cache pages of the usual kind. */
	fd = memfd_create("vshm-huge", MFD_CLOEXEC | MFD_HUGETLB);
	if (fd >= 0) {
		if (!ftruncate(fd, 2 << 20))
			EXPECT_EQ(-ENODEV, vshm_map(self->dev, SHMID, fd, 0, 0,
						    PAGE, 0));
		close(fd);
	} else {
		ksft_print_msg("no hugetlbfs: MFD_HUGETLB case not checked\n");
	}

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(-ENODEV, vshm_map(self->dev, SHMID, sv[0], 0, 0, PAGE, 0));
	close(sv[0]);
	close(sv[1]);

	/* procfs and sysfs files are regular but have no page cache. */
	fd = open("/proc/self/status", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENODEV, vshm_map(self->dev, SHMID, fd, 0, 0, PAGE, 0));
	close(fd);
	fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);
	if (fd >= 0) {
		EXPECT_EQ(-ENODEV, vshm_map(self->dev, SHMID, fd, 0, 0, PAGE,
					    0));
		close(fd);
	}

	/* A dma-buf exported by udmabuf from a sealed memfd. */
	fd = open("/dev/udmabuf", O_RDWR);
	if (fd >= 0) {
		struct udmabuf_create uc = { .size = PAGE };
		int memfd, buf;

		memfd = memfd_create("vshm-udmabuf", MFD_ALLOW_SEALING);
		ASSERT_LE(0, memfd);
		ASSERT_EQ(0, ftruncate(memfd, PAGE));
		ASSERT_EQ(0, fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK));
		uc.memfd = memfd;
		buf = ioctl(fd, UDMABUF_CREATE, &uc);
		ASSERT_LE(0, buf);
		EXPECT_EQ(-ENODEV, vshm_map(self->dev, SHMID, buf, 0, 0, PAGE,
					    0));
		close(buf);
		close(memfd);
		close(fd);
	} else {
		ksft_print_msg("no /dev/udmabuf: dma-buf case not checked\n");
	}

	/* A character device. */
	fd = open("/dev/zero", O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENODEV, vshm_map(self->dev, SHMID, fd, 0, 0, PAGE, 0));
	close(fd);
}

/*
 * errno of mmap(@fd, MAP_SHARED) at @off with @prot, 0 if it maps: what a
 * MAP of the same descriptor must answer.
 */
static int mmap_errno(int fd, int prot, off_t off)
{
	void *p = mmap(NULL, PAGE, prot, MAP_SHARED, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, PAGE);
	return 0;
}

/*
 * An append-only file (chattr +a) cannot be mapped shared through a
 * descriptor open for writing, whatever the protection: mmap() says
 * EACCES, and so does MAP.  Through a read-only descriptor it maps
 * read-only.
 */
TEST_F(files, append_only_file)
{
	char path[] = "/tmp/vshm-append-XXXXXX";
	int fd, afd, rofd, attr;
	uint32_t v;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fill_pattern(fd, 25, 2 * PAGE));
	attr = FS_APPEND_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &attr)) {
		unlink(path);
		close(fd);
		SKIP(return, "chattr +a on /tmp: %s", strerror(errno));
	}
	afd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	rofd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, afd);
	ASSERT_LE(0, rofd);

	EXPECT_EQ(-EACCES, mmap_errno(afd, PROT_READ | PROT_WRITE, 0));
	EXPECT_EQ(-EACCES, vshm_map(self->dev, SHMID, afd, 0, 0, PAGE,
				    VHOST_SHMEM_MAP_F_RW));
	EXPECT_EQ(-EACCES, mmap_errno(afd, PROT_READ, 0));
	EXPECT_EQ(-EACCES, vshm_map(self->dev, SHMID, afd, 0, 0, PAGE, 0));
	EXPECT_EQ(-EACCES, vshm_map(self->dev, SHMID, rofd, 0, 0, PAGE,
				    VHOST_SHMEM_MAP_F_RW));

	EXPECT_EQ(0, mmap_errno(rofd, PROT_READ, 0));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, rofd, 0, 0, PAGE, 0));
	ASSERT_EQ(0, probe_read(self->win, 8, &v));
	EXPECT_EQ(pattern(25, 8), v);
	EXPECT_EQ(SIGBUS, probe_write(self->win, 8, 0));
	EXPECT_EQ(pattern(25, 0), file_read32(rofd, 0));

	attr = 0;
	EXPECT_EQ(0, ioctl(fd, FS_IOC_SETFLAGS, &attr));
	unlink(path);
	close(rofd);
	close(afd);
	close(fd);
}

/*
 * MAP asks the security hook mmap() asks (security_mmap_file()): a policy
 * that refuses the process file mappings refuses MAP too, with the policy's
 * errno, whether the mapping would be read-only or read-write.  A file the
 * context has admitted is not asked again while it stays mapped
 * (documented).  The policy is a BPF LSM program; the window was mapped
 * before it was loaded.
 */
TEST_F(files, security_hook_refuses_like_mmap)
{
	char log[4096] = "";
	int admitted, fresh, link, err;
	uint32_t v;

	admitted = memfd_pattern(26, 2 * PAGE, 0);
	fresh = memfd_pattern(27, PAGE, 0);
	ASSERT_LE(0, admitted);
	ASSERT_LE(0, fresh);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, admitted, 0, 0, PAGE, 0));

	link = vshm_lsm_deny_mmap(getpid(), log, sizeof(log));
	if (link == -ENOENT)
		SKIP(goto out, "no BTF or no BPF LSM hook in this kernel");
	ASSERT_LE(0, link) TH_LOG("BPF LSM program: %s\n%s",
				  strerror(-link), log);
	err = mmap_errno(fresh, PROT_READ, 0);
	if (!err) {
		close(link);
		SKIP(goto out, "the BPF LSM is not enabled (lsm=)");
	}
	EXPECT_EQ(-EPERM, err);
	EXPECT_EQ(err, vshm_map(self->dev, SHMID, fresh, 0, PAGE, PAGE, 0));
	EXPECT_EQ(err, mmap_errno(fresh, PROT_READ | PROT_WRITE, 0));
	EXPECT_EQ(err, vshm_map(self->dev, SHMID, fresh, 0, PAGE, PAGE,
				VHOST_SHMEM_MAP_F_RW));
	EXPECT_EQ(SIGBUS, probe_read(self->win, PAGE, &v));
	/* Admitted while it stays mapped: not asked again. */
	EXPECT_EQ(0, vshm_map(self->dev, SHMID, admitted, PAGE, 2 * PAGE,
			      PAGE, 0));
	close(link);

	/* Without the program, the file maps again. */
	EXPECT_EQ(0, mmap_errno(fresh, PROT_READ, 0));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fresh, 0, PAGE, PAGE, 0));
	ASSERT_EQ(0, probe_read(self->win, PAGE + 8, &v));
	EXPECT_EQ(pattern(27, 8), v);
out:
	close(fresh);
	close(admitted);
}

/*
 * A file of an overlayfs mount maps as mmap() maps it: through the file
 * that holds its data, in the lower layer until it is copied up, in the
 * upper layer after.
 */
TEST_F(files, overlayfs_file)
{
	char dir[] = "/tmp/vshm-ovl-XXXXXX", path[256], opts[512];
	int fd, rwfd;
	uint32_t v;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lower", dir);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(path, sizeof(path), "%s/upper", dir);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(path, sizeof(path), "%s/work", dir);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(path, sizeof(path), "%s/merged", dir);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(path, sizeof(path), "%s/lower/blob", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fill_pattern(fd, 26, 2 * PAGE));
	close(fd);

	snprintf(opts, sizeof(opts), "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work",
		 dir, dir, dir);
	snprintf(path, sizeof(path), "%s/merged", dir);
	if (mount("overlay", path, "overlay", 0, opts))
		SKIP(return, "cannot mount overlayfs: %s", strerror(errno));

	snprintf(path, sizeof(path), "%s/merged/blob", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, mmap_errno(fd, PROT_READ, 0));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, PAGE, 0, PAGE, 0));
	ASSERT_EQ(0, probe_read(self->win, 12, &v));
	EXPECT_EQ(pattern(26, PAGE + 12), v);

	/* Opening for writing copies the file up (to tmpfs: read-write). */
	rwfd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, rwfd);
	EXPECT_EQ(0, mmap_errno(rwfd, PROT_READ | PROT_WRITE, 0));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, rwfd, 0, PAGE, PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(0, probe_read(self->win, PAGE + 4, &v));
	EXPECT_EQ(pattern(26, 4), v);
	ASSERT_EQ(0, probe_write(self->win, PAGE + 4, 0xc0ffee));
	EXPECT_EQ(0xc0ffee, file_read32(rwfd, 4));

	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, PAGE));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, PAGE, PAGE));
	close(rwfd);
	close(fd);
	snprintf(path, sizeof(path), "%s/merged", dir);
	umount2(path, MNT_DETACH);
}

/*
 * A page that memory failure poisoned is never mapped again: not from the
 * page cache, and not from the pages a mapping holds.  (PTEs that already
 * map it stay: memory failure cannot see them.)
 */
TEST_F(files, poisoned_page_not_reinserted)
{
	uint32_t v;
	void *p;
	int fd, status;
	pid_t pid;
	struct vhost_shmem_region_info ri;
	uint64_t off;

	fd = memfd_pattern(27, 2 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, 2 * PAGE, 0));
	ASSERT_EQ(0, probe_read(self->win, 0, &v));
	EXPECT_EQ(pattern(27, 0), v);

	/* Poison page 0 from a child that maps the memfd itself. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(2);
		(void)__atomic_load_n((char *)p, __ATOMIC_RELAXED);
		_exit(madvise(p, PAGE, MADV_HWPOISON) ? errno : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFEXITED(status) && WEXITSTATUS(status) == EINVAL)
		SKIP(return, "no MADV_HWPOISON (CONFIG_MEMORY_FAILURE)");
	/*
	 * The page is poisoned either way; recovery fails (EBUSY) because
	 * the mapping holds a reference, or the child is killed for having
	 * the page mapped.
	 */
	ASSERT_TRUE(!WIFEXITED(status) || WEXITSTATUS(status) == 0 ||
		    WEXITSTATUS(status) == EBUSY)
		TH_LOG("child status %#x", status);

	/* A new window: no PTE left over from before the poison. */
	ASSERT_EQ(0, vshm_region_info(self->dev, SHMID, &ri));
	off = ri.out_mmap_offset;
	munmap(self->win, REGION_SIZE);
	self->win = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->dev, off);
	ASSERT_NE(MAP_FAILED, self->win);
	EXPECT_EQ(SIGBUS, probe_read(self->win, 0, &v));
	ASSERT_EQ(0, probe_read(self->win, PAGE, &v));
	EXPECT_EQ(pattern(27, PAGE), v);

	/* And a new mapping of the poisoned page does not reach it either. */
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 4 * PAGE, PAGE, 0));
	EXPECT_EQ(SIGBUS, probe_read(self->win, 4 * PAGE, &v));
	EXPECT_EQ(0, vshm_unmap(self->dev, SHMID, 4 * PAGE, PAGE));
	EXPECT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 2 * PAGE));
	close(fd);
}

/* The image vm_run.sh puts in the guest; VSHM_EXT4_IMAGE names another. */
#define EXT4_IMAGE	"/images/ext4.img"

/* Unmount what ext4_mount() mounted and detach its loop device. */
static void ext4_umount(const char *dir, const char *dev)
{
	int loop;

	umount2(dir, 0);
	rmdir(dir);
	loop = open(dev, O_RDONLY | O_CLOEXEC);
	if (loop >= 0) {
		ioctl(loop, LOOP_CLR_FD);
		close(loop);
	}
}

/*
 * Mount an ext4 image on a loop device at a new directory under /tmp;
 * their paths go to @dir and @dev.  The loop device is not kept open:
 * kernels that refuse writes to mounted block devices also refuse to mount
 * one that is open for writing.  Returns 0, or -errno.
 */
static int ext4_mount(char *dir, size_t dirlen, char *dev, size_t devlen)
{
	const char *img = getenv("VSHM_EXT4_IMAGE") ?: EXT4_IMAGE;
	int ctl, n, loop, back, err;

	back = open(img, O_RDWR | O_CLOEXEC);
	if (back < 0)
		return -errno;
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		err = -errno;
		close(back);
		return err;
	}
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	snprintf(dev, devlen, "/dev/loop%d", n);
	loop = n < 0 ? -1 : open(dev, O_RDWR | O_CLOEXEC);
	if (loop < 0 || ioctl(loop, LOOP_SET_FD, back)) {
		err = -errno;
		if (loop >= 0)
			close(loop);
		close(back);
		return err;
	}
	close(back);
	close(loop);
	snprintf(dir, dirlen, "/tmp/vshm-ext4-XXXXXX");
	if (!mkdtemp(dir) || mount(dev, dir, "ext4", 0, NULL)) {
		/* Not a missing image or loop driver: a failure. */
		err = errno == ENOENT || errno == ENODEV ? -EIO : -errno;
		ext4_umount(dir, dev);
		return err;
	}
	return 0;
}

/*
 * Every kind of file a mapping may come from, under the same cases: a memfd
 * and a file of tmpfs (shmem: read-only and read-write), a file of ramfs
 * (page cache without shmem, like any disk file's), of ext4 on a loop device
 * and of the tests' FUSE server (page cache: read-only only).  Each case runs
 * once per kind; a kind this machine cannot make is a skip.
 */
enum file_kind {
	KIND_MEMFD,
	KIND_TMPFS,
	KIND_RAMFS,
	KIND_EXT4,
	KIND_FUSE,
};

FIXTURE(kind) {
	int dev;
	void *win;
	int fd;			/* open read-only */
	int wfd;		/* open read-write */
	uint32_t seed;		/* the file holds pattern(seed, ...)... */
	size_t size;		/* ...up to here */
	char path[128];
	char dir[64];
	char loop[32];
	struct fuse_srv fuse;
	bool fuse_up;
};

FIXTURE_VARIANT(kind) {
	enum file_kind kind;
	bool rw;		/* maps read-write: a shmem file */
	bool writable;		/* the file can be written and resized */
};

FIXTURE_VARIANT_ADD(kind, memfd) {
	.kind = KIND_MEMFD,
	.rw = true,
	.writable = true,
};

FIXTURE_VARIANT_ADD(kind, tmpfs) {
	.kind = KIND_TMPFS,
	.rw = true,
	.writable = true,
};

FIXTURE_VARIANT_ADD(kind, ramfs) {
	.kind = KIND_RAMFS,
	.writable = true,
};

FIXTURE_VARIANT_ADD(kind, ext4) {
	.kind = KIND_EXT4,
	.writable = true,
};

/* The server's one file is read-only, of FUSE_SIZE bytes of pattern(28). */
FIXTURE_VARIANT_ADD(kind, fuse) {
	.kind = KIND_FUSE,
};

FIXTURE_SETUP(kind)
{
	struct statfs sfs;
	int ret, fd;

	self->win = MAP_FAILED;
	self->fd = -1;
	self->wfd = -1;
	self->dir[0] = 0;
	self->fuse_up = false;
	self->seed = 30;
	self->size = 4 * PAGE;
	self->dev = vshm_open();
	if (self->dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, vshm_region_window(self->dev, SHMID, REGION_SIZE,
					&self->win));

	switch (variant->kind) {
	case KIND_MEMFD:
		self->wfd = memfd_pattern(self->seed, self->size, 0);
		ASSERT_LE(0, self->wfd);
		snprintf(self->path, sizeof(self->path), "/proc/self/fd/%d",
			 self->wfd);
		break;
	case KIND_TMPFS:
		ASSERT_EQ(0, statfs("/tmp", &sfs));
		if (sfs.f_type != TMPFS_MAGIC)
			SKIP(return, "/tmp is not tmpfs");
		snprintf(self->path, sizeof(self->path),
			 "/tmp/vshm-tmpfs-XXXXXX");
		self->wfd = mkstemp(self->path);
		ASSERT_LE(0, self->wfd);
		ASSERT_EQ(0, fill_pattern(self->wfd, self->seed, self->size));
		break;
	case KIND_RAMFS:
		ret = ramfs_file(self->dir, sizeof(self->dir), self->seed,
				 self->size, O_RDWR);
		if (ret == -EPERM || ret == -ENODEV)
			SKIP(return, "cannot mount ramfs: %s", strerror(-ret));
		ASSERT_LE(0, ret);
		self->wfd = ret;
		snprintf(self->path, sizeof(self->path), "%s/blob", self->dir);
		break;
	case KIND_EXT4:
		ret = ext4_mount(self->dir, sizeof(self->dir), self->loop,
				 sizeof(self->loop));
		if (ret == -ENOENT || ret == -ENODEV)
			SKIP(return, "no ext4 image or loop device: %s",
			     strerror(-ret));
		ASSERT_EQ(0, ret) TH_LOG("mounting ext4 on a loop device: %s",
					 strerror(-ret));
		snprintf(self->path, sizeof(self->path), "%s/blob", self->dir);
		self->wfd = open(self->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		ASSERT_LE(0, self->wfd);
		ASSERT_EQ(0, fill_pattern(self->wfd, self->seed, self->size));
		break;
	case KIND_FUSE:
		ret = fuse_start(&self->fuse);
		if (ret == -ENOENT || ret == -ENODEV)
			SKIP(return, "no FUSE: %s", strerror(-ret));
		ASSERT_EQ(0, ret) TH_LOG("FUSE: %s", strerror(-ret));
		self->fuse_up = true;
		self->seed = 28;
		self->size = FUSE_SIZE;
		snprintf(self->path, sizeof(self->path), "%s/blob",
			 self->fuse.dir);
		self->wfd = open(self->path, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, self->wfd) TH_LOG("open %s: %s", self->path,
					       strerror(errno));
		break;
	}
	fd = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", self->path, strerror(errno));
	self->fd = fd;
}

FIXTURE_TEARDOWN(kind)
{
	if (self->win != MAP_FAILED)
		munmap(self->win, REGION_SIZE);
	if (self->dev >= 0)
		close(self->dev);
	if (self->fd >= 0)
		close(self->fd);
	if (self->wfd >= 0)
		close(self->wfd);
	switch (variant->kind) {
	case KIND_MEMFD:
		break;
	case KIND_TMPFS:
		unlink(self->path);
		break;
	case KIND_RAMFS:
		if (self->dir[0]) {
			umount2(self->dir, MNT_DETACH);
			rmdir(self->dir);
		}
		break;
	case KIND_EXT4:
		if (self->dir[0])
			ext4_umount(self->dir, self->loop);
		break;
	case KIND_FUSE:
		if (self->fuse_up)
			fuse_stop(&self->fuse);
		break;
	}
}

/*
 * Every kind maps read-only, from the file offset asked: the window reads
 * the file, writes fault and leave the file alone, and the pages around
 * the mapping are holes.  mmap() of the descriptor agrees.
 */
TEST_F(kind, maps_read_only)
{
	size_t len = self->size - PAGE;
	uint32_t v;

	EXPECT_EQ(0, mmap_errno(self->fd, PROT_READ, 0));
	/* File pages 1.. at region pages 0.. */
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->fd, PAGE, 0, len, 0));
	ASSERT_EQ(0, probe_read(self->win, len - PAGE + 12, &v));
	EXPECT_EQ(pattern(self->seed, len + 12), v);
	EXPECT_EQ(SIGBUS, probe_write(self->win, 12, 1));
	EXPECT_EQ(pattern(self->seed, PAGE + 12), file_read32(self->fd,
							      PAGE + 12));
	ASSERT_EQ(0, probe_read(self->win, 12, &v));
	EXPECT_EQ(pattern(self->seed, PAGE + 12), v);
	EXPECT_EQ(SIGBUS, probe_read(self->win, len, &v));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, len));
	EXPECT_EQ(SIGBUS, probe_read(self->win, 12, &v));
}

/*
 * Read-write: a read-only descriptor gets mmap()'s answer first (EACCES),
 * on every kind.  Through a read-write descriptor a shmem file maps
 * read-write, window writes landing in the file; a page-cache file does
 * not: read-write mappings of them are not supported (EOPNOTSUPP), though
 * mmap() would.
 */
TEST_F(kind, read_write)
{
	uint32_t v;

	EXPECT_EQ(-EACCES, mmap_errno(self->fd, PROT_READ | PROT_WRITE, 0));
	EXPECT_EQ(-EACCES, vshm_map(self->dev, SHMID, self->fd, 0, 8 * PAGE,
				    PAGE, VHOST_SHMEM_MAP_F_RW));
	EXPECT_EQ(0, mmap_errno(self->wfd, PROT_READ | PROT_WRITE, 0));
	if (!variant->rw) {
		EXPECT_EQ(-EOPNOTSUPP, vshm_map(self->dev, SHMID, self->wfd,
						0, 8 * PAGE, PAGE,
						VHOST_SHMEM_MAP_F_RW));
		EXPECT_EQ(SIGBUS, probe_read(self->win, 8 * PAGE, &v));
		return;
	}
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->wfd, 0, 0, 2 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(0, probe_read(self->win, PAGE + 4, &v));
	EXPECT_EQ(pattern(self->seed, PAGE + 4), v);
	ASSERT_EQ(0, probe_write(self->win, 8, 0x5eed));
	EXPECT_EQ(0x5eed, file_read32(self->wfd, 8));
	EXPECT_EQ(0x5eed, file_read32(self->fd, 8));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 2 * PAGE));
}

/*
 * The file's own writes show through a read-only mapping, in a page the
 * window has read before and in one it has not.
 */
TEST_F(kind, file_writes_show_through)
{
	size_t len = self->size - PAGE;
	uint32_t v;

	if (!variant->writable)
		SKIP(return, "the file of this kind cannot be written");
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->fd, PAGE, 0, len, 0));
	ASSERT_EQ(0, probe_read(self->win, 16, &v));
	EXPECT_EQ(pattern(self->seed, PAGE + 16), v);
	v = 0xabcdef01;
	ASSERT_EQ(sizeof(v), pwrite(self->wfd, &v, sizeof(v), PAGE + 16));
	ASSERT_EQ(0, probe_read(self->win, 16, &v));
	EXPECT_EQ(0xabcdef01, v);
	v = 0x10fedcba;
	ASSERT_EQ(sizeof(v), pwrite(self->wfd, &v, sizeof(v), 3 * PAGE + 20));
	ASSERT_EQ(0, probe_read(self->win, 2 * PAGE + 20, &v));
	EXPECT_EQ(0x10fedcba, v);
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, len));
}

/*
 * A file mapped past its end: its last page reads zeroes after the end,
 * pages past the end fault until the file grows over them.
 */
TEST_F(kind, past_end)
{
	char buf[PAGE];
	uint32_t v;

	if (!variant->writable)
		SKIP(return, "the file of this kind cannot be resized");
	ASSERT_EQ(0, ftruncate(self->wfd, PAGE + PAGE / 4));

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->fd, 0, 0, REGION_SIZE,
			      0));
	ASSERT_EQ(0, probe_read(self->win, 4, &v));
	EXPECT_EQ(pattern(self->seed, 4), v);
	ASSERT_EQ(0, probe_read(self->win, PAGE + PAGE / 2, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(SIGBUS, probe_read(self->win, 2 * PAGE, &v));

	memset(buf, 0x3c, sizeof(buf));
	ASSERT_EQ(PAGE, pwrite(self->wfd, buf, PAGE, 3 * PAGE));
	ASSERT_EQ(0, probe_read(self->win, 3 * PAGE + 8, &v));
	EXPECT_EQ(0x3c3c3c3c, v);
	EXPECT_EQ(SIGBUS, probe_read(self->win, 4 * PAGE, &v));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, REGION_SIZE));
}

struct punch_race {
	int dev, fd;
	void *win;
	atomic_int stop;
	unsigned long maps, faults;
};

/* Map page 0 of the file, read it through the window, unmap; again. */
static void *punch_race_mapper(void *arg)
{
	struct punch_race *r = arg;
	uint32_t v;

	while (!atomic_load(&r->stop)) {
		if (vshm_map(r->dev, SHMID, r->fd, 0, 0, PAGE, 0))
			continue;
		r->maps++;
		if (!probe_read(r->win, 0, &v))
			r->faults++;
		vshm_unmap(r->dev, SHMID, 0, PAGE);
	}
	return NULL;
}

/*
 * A window fault that reads a page of a disk file must take the
 * filesystem's invalidate lock, as filemap_fault() does: otherwise it can
 * refill the page cache with the old block in the middle of a hole punch,
 * and every reader of the file sees the old data after the punch.  One
 * thread maps, reads and unmaps page 0 in a loop; the other writes it,
 * syncs, punches it and reads it back, which must always give zeroes.
 * Bounded: 3000 punches or 20 seconds.
 */
TEST_F(files, ext4_punch_race_leaves_no_stale_page)
{
	struct punch_race r = { .dev = self->dev, .win = self->win };
	char dir[64], dev[32], path[96], buf[PAGE], back[PAGE];
	unsigned long punches = 0, stale = 0;
	struct timespec t0, t;
	pthread_t th;
	int ret, wfd;

	ret = ext4_mount(dir, sizeof(dir), dev, sizeof(dev));
	if (ret == -ENOENT || ret == -ENODEV)
		SKIP(return, "no ext4 image or loop device: %s", strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("mounting ext4 on a loop device: %s",
				 strerror(-ret));
	snprintf(path, sizeof(path), "%s/blob", dir);
	wfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ASSERT_LE(0, wfd);
	ASSERT_EQ(0, ftruncate(wfd, 4 * PAGE));
	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, r.fd);

	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, pthread_create(&th, NULL, punch_race_mapper, &r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (pwrite(wfd, buf, PAGE, 0) != PAGE || fdatasync(wfd) ||
		    fallocate(wfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      0, PAGE) || pread(wfd, back, PAGE, 0) != PAGE)
			break;
		punches++;
		if (back[0] || memcmp(back, back + 1, PAGE - 1))
			stale++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (punches < 3000 && t.tv_sec - t0.tv_sec < 20);
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);

	ksft_print_msg("%lu punches, %lu stale reads; %lu maps, %lu window reads\n",
		       punches, stale, r.maps, r.faults);
	EXPECT_LT(100, punches);
	EXPECT_LT(0, r.faults);
	EXPECT_EQ(0, stale);
	close(r.fd);
	close(wfd);
	ext4_umount(dir, dev);
}

struct fault_arg {
	void *win;
	uint32_t v;
	int sig;
};

static void *fault_thread(void *arg)
{
	struct fault_arg *f = arg;

	f->sig = probe_read(f->win, 8, &f->v);
	return NULL;
}

/*
 * A window fault waiting for a slow read (a FUSE server holding a READ)
 * blocks only the access that needs the page, as a fault of an ordinary
 * mmap() of the file does: UNMAP and faults of another region of the same
 * context, and the VMM's own mmap(), go on meanwhile.  A hang here ends in
 * the harness's timeout, a failure.
 */
TEST_F(files, slow_read_blocks_only_its_fault)
{
	struct fault_arg f = { .win = self->win };
	struct fuse_srv srv;
	char path[96];
	uint64_t off;
	pthread_t th;
	void *win1, *p;
	int fd, memfd, ret;
	uint32_t v;

	ret = fuse_start(&srv);
	if (ret == -ENOENT || ret == -ENODEV)
		SKIP(return, "no FUSE: %s", strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("FUSE: %s", strerror(-ret));
	snprintf(path, sizeof(path), "%s/blob", srv.dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));

	/* Region 2 maps a memfd, region SHMID the FUSE file. */
	ASSERT_EQ(0, vshm_region_create(self->dev, SHMID + 1, REGION_SIZE, &off));
	win1 = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->dev, off);
	ASSERT_NE(MAP_FAILED, win1);
	memfd = memfd_pattern(29, 2 * PAGE, 0);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID + 1, memfd, 0, 0, PAGE, 0));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, FUSE_SIZE, 0));

	pthread_mutex_lock(&srv.lock);
	srv.hold = true;
	pthread_mutex_unlock(&srv.lock);
	ASSERT_EQ(0, pthread_create(&th, NULL, fault_thread, &f));
	pthread_mutex_lock(&srv.lock);
	while (!srv.held)
		pthread_cond_wait(&srv.cond, &srv.lock);
	pthread_mutex_unlock(&srv.lock);

	/* The READ is held; everything else proceeds. */
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID + 1, 0, PAGE));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID + 1, memfd, PAGE, 0, PAGE, 0));
	ASSERT_EQ(0, probe_read(win1, 4, &v));
	EXPECT_EQ(pattern(29, PAGE + 4), v);
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, PAGE);
	pthread_mutex_lock(&srv.lock);
	EXPECT_LT(0, srv.held);
	srv.hold = false;
	pthread_cond_broadcast(&srv.cond);
	pthread_mutex_unlock(&srv.lock);

	pthread_join(th, NULL);
	EXPECT_EQ(0, f.sig);
	EXPECT_EQ(pattern(28, 8), f.v);
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, FUSE_SIZE));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID + 1, 0, PAGE));
	munmap(win1, REGION_SIZE);
	close(memfd);
	close(fd);
	fuse_stop(&srv);
}

/*
 * Truncation and hole punching do not reach the window: pages already
 * inserted (touched, or mapped ahead by fault-around) stay mapped with the
 * bytes they had (the mapping holds them), pages not yet inserted fault
 * with SIGBUS past the new end of the file or read the file's new zeroes
 * inside it.  Nothing is freed under a PTE.
 */
TEST_F(files, truncate_and_punch_under_mapping)
{
	uint32_t v;
	int fd;

	/* Pages 2 and 3 are holes: fault-around leaves them alone. */
	fd = memfd_pattern(23, 2 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 4 * PAGE));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, 4 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(0, probe_read(self->win, 0, &v));
	ASSERT_EQ(0, probe_read(self->win, PAGE, &v));

	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       PAGE, PAGE));
	EXPECT_EQ(0, file_read32(fd, PAGE));
	ASSERT_EQ(0, probe_read(self->win, PAGE, &v));
	EXPECT_EQ(pattern(23, PAGE), v);

	ASSERT_EQ(0, ftruncate(fd, PAGE));
	ASSERT_EQ(0, probe_read(self->win, 0, &v));
	EXPECT_EQ(pattern(23, 0), v);
	ASSERT_EQ(0, probe_write(self->win, PAGE, 0x77));
	EXPECT_EQ(SIGBUS, probe_read(self->win, 3 * PAGE, &v));

	/* The file regrows with zeroes; faulted pages are still the old. */
	ASSERT_EQ(0, ftruncate(fd, 4 * PAGE));
	ASSERT_EQ(0, probe_read(self->win, 3 * PAGE, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, probe_read(self->win, PAGE, &v));
	EXPECT_EQ(0x77, v);
	EXPECT_EQ(0, file_read32(fd, PAGE));

	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 4 * PAGE));
	close(fd);
}

/*
 * The exception for large folios: a punch that covers part of one (here a
 * page of a 2 MiB folio of a huge=always tmpfs file) cannot split it, since
 * the mapping holds it, so the kernel zeroes the range in the folio itself:
 * the window reads the zeroes at once, and the folio's other pages keep
 * their bytes in the file and in the window.  Should the folio have been
 * split before (pinning may migrate it, and a migration may split it), the
 * general rule holds instead: the window keeps the old bytes.
 */
TEST_F(files, punch_in_large_folio_zeroes_in_place)
{
	char dir[] = "/tmp/vshm-huge-XXXXXX";
	const size_t size = 2UL << 20;
	bool large;
	uint8_t *vmm;
	uint32_t v;
	int fd;

	fd = huge_tmpfs_file(dir, 29, size);
	if (fd < 0)
		SKIP(return, "tmpfs huge=always: %s", strerror(-fd));
	vmm = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, vmm);
	if (!(pfn_flags(pfn_of(vmm + 5 * PAGE)) & (1ULL << KPF_COMPOUND_TAIL)))
		SKIP(goto out, "the file got no large folio");

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, REGION_SIZE, 0));
	ASSERT_EQ(0, probe_read(self->win, 5 * PAGE + 8, &v));
	EXPECT_EQ(pattern(29, 5 * PAGE + 8), v);
	large = pfn_flags(pfn_of(vmm + 5 * PAGE)) &
		(1ULL << KPF_COMPOUND_TAIL);
	TH_LOG("page 5 is %s a large folio once the window holds it",
	       large ? "still in" : "no longer in");

	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       5 * PAGE, PAGE));
	EXPECT_EQ(0, file_read32(fd, 5 * PAGE + 8));
	ASSERT_EQ(0, probe_read(self->win, 5 * PAGE + 8, &v));
	EXPECT_EQ(large ? 0 : pattern(29, 5 * PAGE + 8), v);
	ASSERT_EQ(0, probe_read(self->win, 4 * PAGE + 8, &v));
	EXPECT_EQ(pattern(29, 4 * PAGE + 8), v);
	ASSERT_EQ(0, probe_read(self->win, 6 * PAGE + 8, &v));
	EXPECT_EQ(pattern(29, 6 * PAGE + 8), v);
	EXPECT_EQ(pattern(29, 6 * PAGE + 8), file_read32(fd, 6 * PAGE + 8));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, REGION_SIZE));
out:
	munmap(vmm, size);
	huge_tmpfs_put(dir, fd);
}

TEST_HARNESS_MAIN
