// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-shmem selftests for the files behind mappings: which types map,
 * read-only or read-write, and what happens when the back-end truncates or
 * punches holes in a file that is mapped.
 */
#include "vshm_test_util.h"

#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <linux/udmabuf.h>

#include "kselftest_harness.h"

#define SHMID		1
#define REGION_SIZE	(16 * PAGE)

FIXTURE(files) {
	int dev;
	void *win;
	char ramfs[64];
};

FIXTURE_SETUP(files)
{
	self->win = MAP_FAILED;
	self->ramfs[0] = 0;
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
	if (self->ramfs[0]) {
		umount2(self->ramfs, MNT_DETACH);
		rmdir(self->ramfs);
	}
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

TEST_F(files, tmpfs_file_maps_both_ways)
{
	char path[] = "/tmp/vshm-tmpfs-XXXXXX";
	uint32_t v;
	int fd;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	unlink(path);
	ASSERT_EQ(0, fill_pattern(fd, 21, 2 * PAGE));

	/* /tmp is tmpfs in the test VM; elsewhere this is another test. */
	if (vshm_map(self->dev, SHMID, fd, 0, 0, 2 * PAGE,
		     VHOST_SHMEM_MAP_F_RW) == -EOPNOTSUPP)
		SKIP(close(fd); return, "/tmp is not tmpfs");
	ASSERT_EQ(0, probe_read(self->win, PAGE + 4, &v));
	EXPECT_EQ(pattern(21, PAGE + 4), v);
	ASSERT_EQ(0, probe_write(self->win, 8, 0x5eed));
	EXPECT_EQ(0x5eed, file_read32(fd, 8));
	close(fd);
}

TEST_F(files, page_cache_file_read_only)
{
	char path[128];
	uint32_t v;
	int fd, wfd;

	fd = ramfs_file(self->ramfs, sizeof(self->ramfs), 22, 4 * PAGE,
			O_RDONLY);
	if (fd == -EPERM || fd == -ENODEV)
		SKIP(return, "cannot mount ramfs: %s", strerror(-fd));
	ASSERT_LE(0, fd);

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, PAGE, 0, 3 * PAGE, 0));
	ASSERT_EQ(0, probe_read(self->win, 2 * PAGE + 12, &v));
	EXPECT_EQ(pattern(22, 3 * PAGE + 12), v);
	EXPECT_EQ(SIGBUS, probe_write(self->win, 12, 1));

	/* Read-write mappings of page cache files are not supported. */
	snprintf(path, sizeof(path), "%s/blob", self->ramfs);
	wfd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, wfd);
	EXPECT_EQ(-EOPNOTSUPP, vshm_map(self->dev, SHMID, wfd, 0, 8 * PAGE,
					PAGE, VHOST_SHMEM_MAP_F_RW));

	/* The file's own writes show through the read-only mapping. */
	v = 0xabcdef01;
	ASSERT_EQ(sizeof(v), pwrite(wfd, &v, sizeof(v), PAGE + 16));
	ASSERT_EQ(0, probe_read(self->win, 16, &v));
	EXPECT_EQ(0xabcdef01, v);
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 3 * PAGE));
	close(wfd);
	close(fd);
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

/* A page-cache file mapped past its end: pages there fault until it grows. */
TEST_F(files, page_cache_file_past_end)
{
	uint32_t v;
	char buf[PAGE];
	char path[128];
	int fd, wfd;

	fd = ramfs_file(self->ramfs, sizeof(self->ramfs), 24, PAGE, O_RDONLY);
	if (fd == -EPERM || fd == -ENODEV)
		SKIP(return, "cannot mount ramfs: %s", strerror(-fd));
	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "%s/blob", self->ramfs);
	wfd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, wfd);
	ASSERT_EQ(0, ftruncate(wfd, 5000));

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, REGION_SIZE, 0));
	ASSERT_EQ(0, probe_read(self->win, 4, &v));
	EXPECT_EQ(pattern(24, 4), v);
	ASSERT_EQ(0, probe_read(self->win, PAGE + 1000, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(SIGBUS, probe_read(self->win, 2 * PAGE, &v));

	memset(buf, 0x3c, sizeof(buf));
	ASSERT_EQ(PAGE, pwrite(wfd, buf, PAGE, 3 * PAGE));
	ASSERT_EQ(0, probe_read(self->win, 3 * PAGE + 8, &v));
	EXPECT_EQ(0x3c3c3c3c, v);
	EXPECT_EQ(SIGBUS, probe_read(self->win, 4 * PAGE, &v));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, REGION_SIZE));
	close(wfd);
	close(fd);
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

TEST_HARNESS_MAIN
