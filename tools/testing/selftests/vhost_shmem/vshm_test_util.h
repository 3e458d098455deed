/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vhost-shmem selftests: thin ioctl wrappers that
 * return 0 or -errno, pattern-filled memfds, and probing a window for
 * faults.
 */
#ifndef VSHM_TEST_UTIL_H
#define VSHM_TEST_UTIL_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <linux/vhost_shmem.h>

#define VSHM_DEV	"/dev/vhost-shmem"

/* The page size, as the kernel under test has it. */
static inline unsigned long vshm_page_size(void)
{
	static unsigned long size;

	if (!size)
		size = sysconf(_SC_PAGESIZE);
	return size;
}

#define PAGE		vshm_page_size()

static inline int vshm_open(void)
{
	return open(VSHM_DEV, O_RDWR | O_CLOEXEC);
}

static inline int vshm_ioctl(int dev, unsigned long cmd, void *arg)
{
	return ioctl(dev, cmd, arg) ? -errno : 0;
}

static inline int vshm_get_info(int dev, struct vhost_shmem_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return vshm_ioctl(dev, VHOST_SHMEM_GET_INFO, info);
}

static inline int vshm_region_create(int dev, uint32_t shmid, uint64_t size,
				     uint64_t *mmap_offset)
{
	struct vhost_shmem_region_create rc = {
		.size = sizeof(rc), .shmid = shmid, .length = size,
	};
	int ret = vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc);

	if (!ret && mmap_offset)
		*mmap_offset = rc.out_mmap_offset;
	return ret;
}

static inline int vshm_region_destroy(int dev, uint32_t shmid)
{
	struct vhost_shmem_region_destroy rd = {
		.size = sizeof(rd), .shmid = shmid,
	};

	return vshm_ioctl(dev, VHOST_SHMEM_REGION_DESTROY, &rd);
}

static inline int vshm_region_info(int dev, uint32_t shmid,
				   struct vhost_shmem_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->size = sizeof(*ri);
	ri->shmid = shmid;
	return vshm_ioctl(dev, VHOST_SHMEM_REGION_INFO, ri);
}

static inline int vshm_map(int dev, uint32_t shmid, int fd, uint64_t fd_offset,
			   uint64_t shm_offset, uint64_t len, uint64_t flags)
{
	struct vhost_shmem_map m = {
		.size = sizeof(m),
		.shmid = shmid,
		.fd = fd,
		.fd_offset = fd_offset,
		.shm_offset = shm_offset,
		.len = len,
		.flags = flags,
	};

	return vshm_ioctl(dev, VHOST_SHMEM_MAP, &m);
}

static inline int vshm_unmap(int dev, uint32_t shmid, uint64_t shm_offset,
			     uint64_t len)
{
	struct vhost_shmem_unmap u = {
		.size = sizeof(u),
		.shmid = shmid,
		.shm_offset = shm_offset,
		.len = len,
	};

	return vshm_ioctl(dev, VHOST_SHMEM_UNMAP, &u);
}

static inline int vshm_reset(int dev)
{
	return ioctl(dev, VHOST_SHMEM_RESET) ? -errno : 0;
}

/*
 * A region @shmid of @size bytes in @dev and its window, mapped read-write;
 * 0 or -errno.
 */
static inline int vshm_region_window(int dev, uint8_t shmid, uint64_t size,
				     void **win)
{
	uint64_t off;
	int ret;

	ret = vshm_region_create(dev, shmid, size, &off);
	if (ret)
		return ret;
	*win = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dev, off);
	return *win == MAP_FAILED ? -errno : 0;
}

/* Watch for the moment the kernel drops the last reference of @fd's file. */
static inline int watch_release(int fd)
{
	char path[64];
	int in;

	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (inotify_add_watch(in, path, IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0) {
		close(in);
		return -1;
	}
	return in;
}

/*
 * Drain @in; returns how many times the watched file was released (last
 * struct file reference dropped) and sets *@evicted once its inode is gone.
 */
static inline int released(int in, bool *evicted)
{
	uint64_t events[4096 / sizeof(uint64_t)];
	const struct inotify_event *ev;
	char *buf = (char *)events;
	int closes = 0;
	ssize_t n;
	char *p;

	n = read(in, buf, sizeof(events));
	for (p = buf; n > 0 && p < buf + n; p += sizeof(*ev) + ev->len) {
		ev = (const struct inotify_event *)p;
		if (ev->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE))
			closes++;
		if ((ev->mask & IN_IGNORED) && evicted)
			*evicted = true;
	}
	return closes;
}

/*
 * As released(), for a release that may be deferred: the last reference
 * dropped by an exiting process or from another file's release goes
 * through the kernel's delayed fput work.  Waits until the file was
 * released and its inode evicted, at most @ms milliseconds.
 */
static inline int released_eventually(int in, bool *evicted, int ms)
{
	struct pollfd pfd = { .fd = in, .events = POLLIN };
	int closes = 0;

	for (;;) {
		closes += released(in, evicted);
		if ((closes && *evicted) || ms <= 0)
			return closes;
		poll(&pfd, 1, 50);
		ms -= 50;
	}
}

/*
 * The PFN that @addr of this process maps, after a read of it, or 0
 * (pagemap shows PFNs to CAP_SYS_ADMIN only).
 */
static inline uint64_t pfn_of(const void *addr)
{
	uint64_t entry = 0;
	int fd;

	(void)__atomic_load_n((const uint8_t *)addr, __ATOMIC_RELAXED);
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry),
		  (uintptr_t)addr / PAGE * sizeof(entry)) != sizeof(entry))
		entry = 0;
	close(fd);
	return entry >> 63 ? entry & ((1ULL << 55) - 1) : 0;
}

/* The /proc/kpageflags bits of @pfn (KPF_*), or 0. */
static inline uint64_t pfn_flags(uint64_t pfn)
{
	uint64_t flags = 0;
	int fd = open("/proc/kpageflags", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &flags, sizeof(flags), pfn * sizeof(flags)) !=
	    sizeof(flags))
		flags = 0;
	close(fd);
	return flags;
}

/*
 * Page faults the calling thread has completed, minor and major: each
 * fault of a window that a PTE or PMD served counts once, the vCPU's
 * too (KVM resolves them in the thread that runs it).
 */
static inline long thread_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_minflt + ru.ru_majflt;
}

/* The release of the running kernel, as major * 1000 + minor, or -1. */
static inline int kernel_release(void)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return -1;
	return major * 1000 + minor;
}

/*
 * Whether the kernel maps 2 MiB of a window with one PMD (huge PFN
 * mappings, x86-64 since 6.12); when it does, a naturally aligned 2 MiB of
 * one folio that one mapping covers costs one fault, in a window that
 * window_allow_pmd() let do it.
 */
static inline bool window_maps_pmd(void)
{
	return kernel_release() >= 6012;
}

/*
 * Let window @win of @len bytes map 2 MiB with one PMD: the driver does so
 * only in windows excluded from fork() (MADV_DONTFORK), whose PMDs fork()
 * never copies.  0 or -errno.
 */
static inline int window_allow_pmd(void *win, size_t len)
{
	return madvise(win, len, MADV_DONTFORK) ? -errno : 0;
}

/* The 32-bit word at byte offset @off of a file filled with @seed. */
static inline uint32_t pattern(uint32_t seed, uint64_t off)
{
	return seed * 0x01000193u ^ (uint32_t)(off / 4) * 0x9e3779b9u;
}

/* Fill the first @size bytes of @fd with pattern(@seed, ...); 0 or -errno. */
static inline int fill_pattern(int fd, uint32_t seed, size_t size)
{
	uint32_t buf[1024];
	size_t off, i;

	if (ftruncate(fd, size))
		return -errno;
	for (off = 0; off < size; off += sizeof(buf)) {
		for (i = 0; i < 1024; i++)
			buf[i] = pattern(seed, off + i * 4);
		if (pwrite(fd, buf, sizeof(buf), off) != sizeof(buf))
			return -errno;
	}
	return 0;
}

/*
 * Fill the new file @fd (or the error its creation left in errno, when @fd
 * is negative) with pattern(@seed, ...) up to @size bytes.  Returns @fd, or
 * -errno with @fd closed.
 */
static inline int pattern_file(int fd, uint32_t seed, size_t size)
{
	int ret;

	if (fd < 0)
		return -errno;
	ret = fill_pattern(fd, seed, size);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* A memfd of @size bytes filled with pattern(@seed, ...); -errno on error. */
static inline int memfd_pattern(uint32_t seed, size_t size, unsigned int flags)
{
	return pattern_file(memfd_create("vshm-test", MFD_CLOEXEC | flags),
			    seed, size);
}

/*
 * A file of @size bytes filled with pattern(@seed) on a tmpfs mounted with
 * huge=always at @dir, a mkdtemp() template that this fills in: its
 * descriptor, or -errno (the mount's when tmpfs has no huge pages).
 * huge_tmpfs_put() closes it and unmounts.
 */
static inline int huge_tmpfs_file(char *dir, uint32_t seed, size_t size)
{
	char path[64];
	int fd, err;

	if (!mkdtemp(dir))
		return -errno;
	if (mount("none", dir, "tmpfs", 0, "huge=always")) {
		err = -errno;
		rmdir(dir);
		return err;
	}
	snprintf(path, sizeof(path), "%s/blob", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	err = fd < 0 ? -errno : fill_pattern(fd, seed, size);
	if (!err)
		return fd;
	if (fd >= 0)
		close(fd);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return err;
}

static inline void huge_tmpfs_put(char *dir, int fd)
{
	if (fd >= 0)
		close(fd);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

/*
 * Like memfd_pattern(), but an unnamed tmpfs file of /tmp: a file whose
 * release inotify reports.  memfds are pseudo files, and since 6.14
 * pseudo files send no fsnotify events (no IN_CLOSE).
 */
static inline int tmpfile_pattern(uint32_t seed, size_t size)
{
	return pattern_file(open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600),
			    seed, size);
}

static inline uint32_t file_read32(int fd, uint64_t off)
{
	uint32_t v = 0;

	if (pread(fd, &v, sizeof(v), off) != sizeof(v))
		return 0xffffffffu;
	return v;
}

/*
 * Probing is thread-safe: the jump buffer is per thread, and the handler,
 * once installed, stays.  A fault outside a probe restores the default
 * action and happens again, so real crashes still kill the test.  The
 * flags are lock-free atomics, which a signal handler may touch.
 */
static __thread sigjmp_buf probe_env;
static __thread atomic_int probe_armed, probe_sig;

static void probe_handler(int sig)
{
	if (!atomic_load(&probe_armed)) {
		signal(sig, SIG_DFL);
		return;
	}
	atomic_store(&probe_armed, 0);
	atomic_store(&probe_sig, sig);
	siglongjmp(probe_env, 1);
}

/*
 * Read (or, with @write, store *@val to) the 32-bit word at @addr, with an
 * access the compiler cannot elide.  Returns 0, or the signal the access
 * raised (SIGBUS, SIGSEGV).
 */
static inline int probe(uint32_t *addr, bool write, uint32_t *val)
{
	struct sigaction sa = { .sa_handler = probe_handler };

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	atomic_store(&probe_sig, 0);
	if (sigsetjmp(probe_env, 1))
		return atomic_load(&probe_sig);
	atomic_store(&probe_armed, 1);
	if (write)
		__atomic_store_n(addr, *val, __ATOMIC_RELAXED);
	else
		*val = __atomic_load_n(addr, __ATOMIC_RELAXED);
	atomic_store(&probe_armed, 0);
	return 0;
}

/*
 * mmap() at an address aligned to @align (a power of two), so that the
 * window's fault-around blocks (64 KiB of virtual addresses) line up with
 * its offsets.
 */
static inline void *mmap_aligned(size_t len, int prot, int flags, int fd,
				 off_t off, size_t align)
{
	char *resv, *p;
	void *w;

	resv = mmap(NULL, len + align, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (resv == MAP_FAILED)
		return MAP_FAILED;
	p = (char *)(((uintptr_t)resv + align - 1) & ~(uintptr_t)(align - 1));
	w = mmap(p, len, prot, flags | MAP_FIXED, fd, off);
	if (w == MAP_FAILED) {
		munmap(resv, len + align);
		return MAP_FAILED;
	}
	if (p > resv)
		munmap(resv, p - resv);
	if (resv + align > p)
		munmap(p + len, resv + align - p);
	return w;
}

static inline int probe_read(void *base, uint64_t off, uint32_t *val)
{
	return probe((uint32_t *)((char *)base + off), false, val);
}

static inline int probe_write(void *base, uint64_t off, uint32_t val)
{
	return probe((uint32_t *)((char *)base + off), true, &val);
}

#endif /* VSHM_TEST_UTIL_H */
