// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-shmem under concurrency: MAP, UNMAP, RESET and REGION_INFO from
 * several threads while others read through the window and windows are
 * mmapped and unmapped; then the device is closed while all of that is
 * live.  (A vCPU reading through a memory slot on the window while the
 * region changes, and a process exiting with a live VM, are in
 * tools/testing/selftests/kvm/vhost_shmem_test.c.)
 *
 * Each file's 32-bit words say which file they belong to and where:
 * (file + 1) << 24 | (offset / 4), and files are always mapped at the region
 * offset equal to their file offset.  Any word read must therefore name a
 * file that had been mapped at that offset before the read ended.
 */
#include "vshm_test_util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "kselftest_harness.h"

#define SHMID		0
#define NPAGES		16
#define REGION_SIZE	(NPAGES * PAGE)
#define NFILES		4
#define MAPPERS		2
#define READERS		2
#define OPS		1500

struct shadow_map {
	int first, n;
};

struct stress {
	int dev;
	uint64_t mmap_offset;
	void *win;
	int fds[NFILES];

	/* The model of the region; serializes the ioctls of the mappers. */
	pthread_mutex_t lock;
	struct shadow_map maps[NPAGES];
	int nr;

	/* Bit f of ever[p]: file f has been mapped at page p. */
	atomic_uint ever[NPAGES];
	atomic_bool done;
	atomic_long reads, holes, ops, windows;
	atomic_long errors;
	char first_error[256];
};

static uint32_t word_of(int file, uint64_t off)
{
	return (uint32_t)(file + 1) << 24 | (uint32_t)(off / 4);
}

static void fail(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&s->errors, 1) == 0) {
		va_start(ap, fmt);
		vsnprintf(s->first_error, sizeof(s->first_error), fmt, ap);
		va_end(ap);
	}
}

/* A word read at region offset @off is one some file put there. */
static void check_word(struct stress *s, uint64_t off, uint32_t v,
		       const char *who)
{
	int file = (int)(v >> 24) - 1;

	if (file < 0 || file >= NFILES || (v & 0xffffff) != off / 4 ||
	    !(atomic_load(&s->ever[off / PAGE]) & (1u << file)))
		fail(s, "%s read %#x at offset %#llx", who, v,
		     (unsigned long long)off);
}

static int shadow_overlaps(struct stress *s, int first, int n)
{
	int i;

	for (i = 0; i < s->nr; i++)
		if (first < s->maps[i].first + s->maps[i].n &&
		    s->maps[i].first < first + n)
			return 1;
	return 0;
}

static void mapper_step(struct stress *s, unsigned int *seed)
{
	unsigned int op = rand_r(seed) % 100;
	int ret, want, i;

	pthread_mutex_lock(&s->lock);
	if (op < 55) {
		int first = rand_r(seed) % NPAGES;
		int n = 1 + rand_r(seed) % 4;
		int file = rand_r(seed) % NFILES;

		if (first + n > NPAGES)
			n = NPAGES - first;
		want = shadow_overlaps(s, first, n) ? -EEXIST : 0;
		for (i = first; i < first + n; i++)
			atomic_fetch_or(&s->ever[i], 1u << file);
		ret = vshm_map(s->dev, SHMID, s->fds[file], first * PAGE,
			       first * PAGE, n * PAGE,
			       rand_r(seed) % 2 ? VHOST_SHMEM_MAP_F_RW : 0);
		if (ret != want)
			fail(s, "MAP %d+%d: %d, expected %d", first, n, ret,
			     want);
		if (!ret)
			s->maps[s->nr++] = (struct shadow_map){ first, n };
	} else if (op < 92) {
		/* Mostly an existing mapping, sometimes a random page. */
		struct shadow_map m = { rand_r(seed) % NPAGES, 1 };
		int idx = -1;

		if (s->nr && op < 88) {
			idx = rand_r(seed) % s->nr;
			m = s->maps[idx];
		} else {
			for (i = 0; i < s->nr; i++)
				if (s->maps[i].first == m.first &&
				    s->maps[i].n == m.n)
					idx = i;
		}
		want = idx < 0 ? -ENOENT : 0;
		ret = vshm_unmap(s->dev, SHMID, m.first * PAGE, m.n * PAGE);
		if (ret != want)
			fail(s, "UNMAP %d+%d: %d, expected %d", m.first, m.n,
			     ret, want);
		if (!ret)
			s->maps[idx] = s->maps[--s->nr];
	} else if (op < 94) {
		ret = vshm_reset(s->dev);
		if (ret)
			fail(s, "RESET: %d", ret);
		s->nr = 0;
	} else {
		struct vhost_shmem_region_info ri;
		uint64_t bytes = 0;

		for (i = 0; i < s->nr; i++)
			bytes += s->maps[i].n * PAGE;
		ret = vshm_region_info(s->dev, SHMID, &ri);
		if (ret || ri.out_nr_mappings != (uint64_t)s->nr ||
		    ri.out_mapped_bytes != bytes || ri.out_resident_bytes > bytes)
			fail(s, "REGION_INFO: %d, %llu mappings, %llu bytes, expected %d, %llu",
			     ret, (unsigned long long)ri.out_nr_mappings,
			     (unsigned long long)ri.out_mapped_bytes, s->nr,
			     (unsigned long long)bytes);
	}
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_add(&s->ops, 1);
}

static void *mapper(void *arg)
{
	struct stress *s = arg;
	unsigned int seed = (unsigned int)(uintptr_t)pthread_self();
	int i;

	for (i = 0; i < OPS && !atomic_load(&s->errors); i++) {
		mapper_step(s, &seed);
		/* Give the readers time to fault in what was just mapped. */
		usleep(200);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct stress *s = arg;
	unsigned int seed = (unsigned int)(uintptr_t)pthread_self();
	uint32_t v;

	while (!atomic_load(&s->done)) {
		uint64_t off = (rand_r(&seed) % (REGION_SIZE / 4)) * 4;

		if (probe_read(s->win, off, &v)) {
			atomic_fetch_add(&s->holes, 1);
			continue;
		}
		check_word(s, off, v, "window");
		atomic_fetch_add(&s->reads, 1);
	}
	return NULL;
}

/* Windows come and go while the region changes under them. */
static void *window_churn(void *arg)
{
	struct stress *s = arg;
	unsigned int seed = 777;
	uint32_t v;

	while (!atomic_load(&s->done)) {
		int first = rand_r(&seed) % NPAGES;
		int n = 1 + rand_r(&seed) % (NPAGES - first);
		char *w = mmap(NULL, n * PAGE, PROT_READ, MAP_SHARED, s->dev,
			       s->mmap_offset + first * PAGE);

		if (w == MAP_FAILED) {
			fail(s, "window mmap: %d", errno);
			break;
		}
		if (!probe_read(w, 0, &v))
			check_word(s, first * PAGE, v, "churn");
		munmap(w, n * PAGE);
		atomic_fetch_add(&s->windows, 1);
	}
	return NULL;
}

FIXTURE(stress) {
	struct stress s;
};

FIXTURE_SETUP(stress)
{
	struct stress *s = &self->s;
	uint32_t buf[PAGE / 4];
	int f;
	uint64_t off;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->dev = vshm_open();
	if (s->dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, s->dev);
	pthread_mutex_init(&s->lock, NULL);
	ASSERT_EQ(0, vshm_region_create(s->dev, SHMID, REGION_SIZE,
					&s->mmap_offset));
	s->win = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      s->dev, s->mmap_offset);
	ASSERT_NE(MAP_FAILED, s->win);

	for (f = 0; f < NFILES; f++) {
		s->fds[f] = memfd_create("vshm-stress", MFD_CLOEXEC);
		ASSERT_LE(0, s->fds[f]);
		for (off = 0; off < REGION_SIZE; off += PAGE) {
			for (i = 0; i < PAGE / 4; i++)
				buf[i] = word_of(f, off + i * 4);
			ASSERT_EQ(PAGE, pwrite(s->fds[f], buf, PAGE, off));
		}
	}
}

FIXTURE_TEARDOWN(stress)
{
	struct stress *s = &self->s;
	int f;

	for (f = 0; f < NFILES; f++)
		if (s->fds[f] > 0)
			close(s->fds[f]);
	if (s->win && s->win != MAP_FAILED)
		munmap(s->win, REGION_SIZE);
	if (s->dev >= 0)
		close(s->dev);
}

TEST_F_TIMEOUT(stress, map_unmap_reset_vs_readers, 600)
{
	struct stress *s = &self->s;
	pthread_t mappers[MAPPERS], readers[READERS], churn;
	struct vhost_shmem_region_info ri;
	uint64_t bytes = 0;
	uint32_t v;
	int i, p;

	for (i = 0; i < READERS; i++)
		ASSERT_EQ(0, pthread_create(&readers[i], NULL, reader, s));
	ASSERT_EQ(0, pthread_create(&churn, NULL, window_churn, s));
	for (i = 0; i < MAPPERS; i++)
		ASSERT_EQ(0, pthread_create(&mappers[i], NULL, mapper, s));

	for (i = 0; i < MAPPERS; i++)
		pthread_join(mappers[i], NULL);
	atomic_store(&s->done, true);
	for (i = 0; i < READERS; i++)
		pthread_join(readers[i], NULL);
	pthread_join(churn, NULL);

	ksft_print_msg("stress: %ld ops, %ld windows mapped\n",
		       atomic_load(&s->ops), atomic_load(&s->windows));
	ksft_print_msg("stress: %ld window reads (%ld holes)\n",
		       atomic_load(&s->reads), atomic_load(&s->holes));
	ASSERT_EQ(0, atomic_load(&s->errors)) TH_LOG("%s", s->first_error);
	EXPECT_LT(0, atomic_load(&s->reads));

	/* Quiescent: the window shows exactly what the model says. */
	for (i = 0; i < s->nr; i++)
		bytes += s->maps[i].n * PAGE;
	ASSERT_EQ(0, vshm_region_info(s->dev, SHMID, &ri));
	EXPECT_EQ(s->nr, ri.out_nr_mappings);
	EXPECT_EQ(bytes, ri.out_mapped_bytes);
	EXPECT_GE(bytes, ri.out_resident_bytes);
	for (p = 0; p < NPAGES; p++) {
		bool mapped = false;

		for (i = 0; i < s->nr; i++)
			mapped |= p >= s->maps[i].first &&
				  p < s->maps[i].first + s->maps[i].n;
		if (!mapped) {
			EXPECT_EQ(SIGBUS, probe_read(s->win, p * PAGE + 8, &v));
			continue;
		}
		ASSERT_EQ(0, probe_read(s->win, p * PAGE + 8, &v));
		check_word(s, p * PAGE + 8, v, "final");
	}
	EXPECT_EQ(0, atomic_load(&s->errors)) TH_LOG("%s", s->first_error);
	ASSERT_EQ(0, vshm_reset(s->dev));
	ASSERT_EQ(0, vshm_region_info(s->dev, SHMID, &ri));
	EXPECT_EQ(0, ri.out_resident_bytes);
}

static void *fault_until_gone(void *arg)
{
	struct stress *s = arg;
	unsigned int seed = 99;
	uint32_t v;
	int sig = 0;

	/* Ends with SIGSEGV once the window is unmapped under it. */
	while (sig != SIGSEGV)
		sig = probe_read(s->win, (rand_r(&seed) % NPAGES) * PAGE, &v);
	return NULL;
}

static void *map_until_closed(void *arg)
{
	struct stress *s = arg;
	int ret = 0;

	while (ret != -EBADF) {
		ret = vshm_map(s->dev, SHMID, s->fds[0], 0, 0, PAGE, 0);
		if (!ret)
			vshm_unmap(s->dev, SHMID, 0, PAGE);
	}
	return NULL;
}

/*
 * The device is closed while one thread maps and another faults, then the
 * window goes away under the faulting thread: everything is released once,
 * and the mapped file with it.
 */
TEST_F_TIMEOUT(stress, close_while_mapping_and_faulting, 120)
{
	struct stress *s = &self->s;
	pthread_t faulter, mapper_thread;
	bool evicted = false;
	int in, memfd;

	/* Watch a file only the mappings will hold. */
	memfd = tmpfile_pattern(5, PAGE);
	ASSERT_LE(0, memfd);
	in = watch_release(memfd);
	ASSERT_LE(0, in);
	ASSERT_EQ(0, vshm_map(s->dev, SHMID, memfd, 0, 8 * PAGE, PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	close(memfd);

	ASSERT_EQ(0, pthread_create(&faulter, NULL, fault_until_gone, s));
	ASSERT_EQ(0, pthread_create(&mapper_thread, NULL, map_until_closed, s));
	usleep(200 * 1000);
	ASSERT_EQ(0, close(s->dev));
	s->dev = -1;
	pthread_join(mapper_thread, NULL);
	usleep(100 * 1000);
	ASSERT_EQ(0, munmap(s->win, REGION_SIZE));
	s->win = MAP_FAILED;
	pthread_join(faulter, NULL);

	EXPECT_EQ(1, released_eventually(in, &evicted, 10000));
	EXPECT_TRUE(evicted);
	close(in);
}

TEST_HARNESS_MAIN
