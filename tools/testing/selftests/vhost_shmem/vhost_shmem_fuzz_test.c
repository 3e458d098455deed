// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded, bounded, model-based fuzzer of the vhost-shmem ioctls.
 *
 * Random commands with random fields, garbage included, go to the device
 * and to a model of its regions and mappings.  The model predicts the exact
 * result of every call, errno included; window probes check that every page
 * shows the bytes of the file the model says is mapped there, or faults.
 * At the end every descriptor and every page the run took is given back.
 *
 * VSHM_FUZZ_SEED and VSHM_FUZZ_ITERS override the seed and the length.
 */
#include "vshm_test_util.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"

#define SHMIDS		5
#define MAX_PAGES	32
#define FILE_PAGES	48
/* A region holds at most one mapping per page. */
#define MAX_MAPS	MAX_PAGES

static const uint8_t shmid_pool[SHMIDS] = { 0, 1, 2, 77, 255 };

/* Descriptors the fuzzer picks from, and what the driver says to each. */
enum fd_kind {
	FD_RW,		/* memfd open read-write */
	FD_RO,		/* the same memfd, open read-only */
	FD_SEALED,	/* memfd sealed with F_SEAL_WRITE */
	FD_PIPE,
	FD_SOCKET,
	FD_DEV,		/* /dev/vhost-shmem itself */
	FD_CLOSED,
	FD_NEG,
	NR_FD_KINDS,
};

struct model_map {
	uint64_t first, npages, fd_pg;
	int kind;
	bool rw;
};

struct model_region {
	bool exists;
	uint64_t npages;
	void *win;
	int nr;
	struct model_map maps[MAX_MAPS];
};

struct fuzz {
	int dev;
	int fds[NR_FD_KINDS];
	uint32_t seeds[NR_FD_KINDS];
	int nr_regions;
	unsigned int max_regions, max_mappings;
	struct model_region r[SHMIDS];
	unsigned int state;
};

static uint32_t rnd(struct fuzz *f)
{
	/* xorshift32: reproducible from the printed seed on any libc. */
	f->state ^= f->state << 13;
	f->state ^= f->state >> 17;
	f->state ^= f->state << 5;
	return f->state;
}

static uint64_t rnd64(struct fuzz *f)
{
	return (uint64_t)rnd(f) << 32 | rnd(f);
}

static bool chance(struct fuzz *f, unsigned int percent)
{
	return rnd(f) % 100 < percent;
}

/* Offsets and lengths: mostly sensible, sometimes garbage. */
static uint64_t rnd_pages(struct fuzz *f, uint64_t max_pages)
{
	switch (rnd(f) % 10) {
	case 0:
		return rnd64(f);
	case 1:
		return rnd64(f) & ~(PAGE - 1);
	case 2:
		return (rnd(f) % (max_pages + 2)) * PAGE + (rnd(f) % 3) * 512;
	case 3:
		return ~0ULL & ~(PAGE - 1);
	default:
		return (rnd(f) % (max_pages + 1)) * PAGE;
	}
}

/* Sets *@p, a flags or reserved field, to garbage now and then. */
static bool rnd_garbage(struct fuzz *f, uint32_t *p)
{
	if (!chance(f, 3))
		return false;
	*p = rnd(f) | 1U << (rnd(f) % 32);
	return true;
}

/* A shmid: mostly one of the pool, now and then one out of range. */
static uint32_t rnd_shmid(struct fuzz *f, uint8_t pooled)
{
	return chance(f, 2) ? 256 + rnd(f) % 100000 : pooled;
}

/*
 * Issue @cmd on the struct at @a, of @len bytes, as a VMM built against
 * another version of the header might: now and then with a size below the
 * struct's first version, or as a longer struct whose extra bytes are
 * zero or not.  Returns the result; *@size_err is the error the size
 * alone decides (0: none).  Output fields are copied back to @a.
 */
static int fuzz_sized_ioctl(struct fuzz *f, unsigned long cmd, void *a,
			    size_t len, int *size_err)
{
	uint8_t buf[256] = { 0 };
	uint32_t size = len;
	unsigned int c = rnd(f) % 100;
	int ret;

	*size_err = 0;
	if (c < 2) {
		size = rnd(f) % len;
		*size_err = -EINVAL;
	} else if (c < 6) {
		size = len + 1 + rnd(f) % 64;
		if (chance(f, 50)) {
			buf[len + rnd(f) % (size - len)] = 1 + rnd(f) % 255;
			*size_err = -E2BIG;
		}
	}
	memcpy(buf, a, len);
	memcpy(buf, &size, sizeof(size));
	ret = vshm_ioctl(f->dev, cmd, buf);
	memcpy(a, buf, len);
	return ret;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static bool range_ok(uint64_t off, uint64_t len)
{
	return len && !(off % PAGE) && !(len % PAGE) && off + len > off;
}

static int model_region_index(uint32_t shmid)
{
	int i;

	for (i = 0; i < SHMIDS; i++)
		if (shmid_pool[i] == shmid)
			return i;
	return -1;
}

static int expect_create(struct fuzz *f, struct vhost_shmem_region_create *a,
			 bool garbage)
{
	int i = model_region_index(a->shmid);

	if (garbage)
		return -EOPNOTSUPP;
	if (i < 0 || !a->length || a->length % PAGE ||
	    a->length > (1ULL << 40))
		return -EINVAL;
	if (f->r[i].exists)
		return -EEXIST;
	if (f->nr_regions >= (int)f->max_regions)
		return -ENOSPC;
	return 0;
}

static int expect_map(struct fuzz *f, struct vhost_shmem_map *a, int kind)
{
	int i = model_region_index(a->shmid);
	struct model_region *r = &f->r[i < 0 ? 0 : i];
	uint64_t first = a->shm_offset / PAGE, n = a->len / PAGE;
	bool rw = a->flags & VHOST_SHMEM_MAP_F_RW;

	/* The arguments, then the descriptor (the header's errno order). */
	if (a->flags & ~VHOST_SHMEM_MAP_F_RW)
		return -EOPNOTSUPP;
	if (i < 0)
		return -EINVAL;
	if (!range_ok(a->shm_offset, a->len) || !range_ok(a->fd_offset, a->len))
		return -EINVAL;
	if (kind == FD_CLOSED || kind == FD_NEG)
		return -EBADF;
	/* As mmap(): the range must fit the largest file offset. */
	if (a->fd_offset / PAGE + a->len / PAGE > (uint64_t)INT64_MAX / PAGE)
		return -EOVERFLOW;
	if (kind == FD_PIPE || kind == FD_SOCKET || kind == FD_DEV)
		return -ENODEV;
	if (rw && kind == FD_RO)
		return -EACCES;
	if (rw && kind == FD_SEALED)
		return -EPERM;
	if (!r->exists)
		return -ENOENT;
	if (first >= r->npages || n > r->npages - first)
		return -EINVAL;
	if (r->nr >= (int)f->max_mappings)
		return -ENOSPC;
	for (i = 0; i < r->nr; i++)
		if (first < r->maps[i].first + r->maps[i].npages &&
		    r->maps[i].first < first + n)
			return -EEXIST;
	return 0;
}

static int find_exact(struct model_region *r, uint64_t first, uint64_t n)
{
	int i;

	for (i = 0; i < r->nr; i++)
		if (r->maps[i].first == first && r->maps[i].npages == n)
			return i;
	return -1;
}

/* Check every page of @r's window against the model. */
static bool probe_region(struct fuzz *f, struct model_region *r)
{
	uint64_t p;
	uint32_t v;
	int i, sig;

	for (p = 0; p < r->npages; p++) {
		struct model_map *m = NULL;
		uint64_t off = p * PAGE + (rnd(f) % (PAGE / 4)) * 4;

		for (i = 0; i < r->nr; i++)
			if (p >= r->maps[i].first &&
			    p < r->maps[i].first + r->maps[i].npages)
				m = &r->maps[i];
		sig = probe_read(r->win, off, &v);
		/* Holes, and mapped pages past the end of the file, fault. */
		if (!m || m->fd_pg + p - m->first >= FILE_PAGES) {
			if (sig != SIGBUS)
				return false;
			continue;
		}
		if (sig || v != pattern(f->seeds[m->kind],
					(m->fd_pg + p - m->first) * PAGE +
					off % PAGE))
			return false;
		/* Read-only mappings refuse writes from the window. */
		if (!m->rw && probe_write(r->win, off, v) != SIGBUS)
			return false;
	}
	return true;
}

static void fuzz_setup(struct fuzz *f, unsigned int seed)
{
	struct vhost_shmem_info info = { 0 };
	char path[64];
	int sv[2], pfd[2], i;

	memset(f, 0, sizeof(*f));
	f->state = seed ? seed : 1;
	f->dev = vshm_open();
	vshm_get_info(f->dev, &info);
	f->max_regions = info.max_regions;
	f->max_mappings = info.max_mappings;
	for (i = 0; i < NR_FD_KINDS; i++)
		f->seeds[i] = 1000 + i;

	f->fds[FD_RW] = memfd_pattern(f->seeds[FD_RW], FILE_PAGES * PAGE, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fds[FD_RW]);
	f->fds[FD_RO] = open(path, O_RDONLY | O_CLOEXEC);
	f->seeds[FD_RO] = f->seeds[FD_RW];
	f->fds[FD_SEALED] = memfd_pattern(f->seeds[FD_SEALED],
					  FILE_PAGES * PAGE, MFD_ALLOW_SEALING);
	fcntl(f->fds[FD_SEALED], F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK);
	if (pipe2(pfd, O_CLOEXEC) == 0) {
		f->fds[FD_PIPE] = pfd[0];
		close(pfd[1]);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
		f->fds[FD_SOCKET] = sv[0];
		close(sv[1]);
	}
	f->fds[FD_DEV] = f->dev;
	f->fds[FD_CLOSED] = dup(f->fds[FD_RW]);
	close(f->fds[FD_CLOSED]);
	f->fds[FD_NEG] = -1;
}

TEST(fuzz)
{
	unsigned int seed, iters, it, i;
	int fds_before, fds_after;
	const char *env;
	struct fuzz f;
	long stats[8] = { 0 };

	if (access(VSHM_DEV, F_OK))
		SKIP(return, VSHM_DEV " missing");
	env = getenv("VSHM_FUZZ_SEED");
	seed = env ? strtoul(env, NULL, 0) : (unsigned int)time(NULL);
	env = getenv("VSHM_FUZZ_ITERS");
	iters = env ? strtoul(env, NULL, 0) : 20000;
	/* The seed reproduces the run: VSHM_FUZZ_SEED=<seed>. */
	ksft_print_msg("fuzz: seed %u, %u iterations\n", seed, iters);

	fds_before = count_fds();
	fuzz_setup(&f, seed);
	ASSERT_LE(0, f.dev);
	for (i = 0; i < FD_CLOSED; i++)
		ASSERT_LE(0, f.fds[i]);

	for (it = 0; it < iters; it++) {
		uint8_t shmid = shmid_pool[rnd(&f) % SHMIDS];
		struct model_region *r = &f.r[model_region_index(shmid)];
		unsigned int op = rnd(&f) % 100;
		int got, want, size_err;

		if (op < 8) {
			struct vhost_shmem_region_create a = {
				.shmid = rnd_shmid(&f, shmid),
			};
			bool g;

			a.length = chance(&f, 90) ?
				   (1 + rnd(&f) % MAX_PAGES) * PAGE :
				   rnd_pages(&f, MAX_PAGES);
			g = rnd_garbage(&f, &a.flags) |
			    rnd_garbage(&f, &a.__reserved);
			want = expect_create(&f, &a, g);
			got = fuzz_sized_ioctl(&f, VHOST_SHMEM_REGION_CREATE, &a,
					       sizeof(a), &size_err);
			if (size_err)
				want = size_err;
			ASSERT_EQ(want, got) TH_LOG("seed %u step %u: create shmid %u length %#llx",
						    seed, it, a.shmid, a.length);
			if (!got) {
				r->exists = true;
				r->npages = a.length / PAGE;
				r->nr = 0;
				f.nr_regions++;
				r->win = mmap(NULL, a.length, PROT_READ | PROT_WRITE,
					      MAP_SHARED, f.dev, a.out_mmap_offset);
				ASSERT_NE(MAP_FAILED, r->win);
			}
			stats[0]++;
		} else if (op < 12) {
			struct vhost_shmem_region_destroy a = {
				.shmid = rnd_shmid(&f, shmid),
			};
			bool g = rnd_garbage(&f, &a.flags) |
				 rnd_garbage(&f, &a.__reserved);

			want = g ? -EOPNOTSUPP : a.shmid > 255 ? -EINVAL :
			       r->exists ? 0 : -ENOENT;
			got = fuzz_sized_ioctl(&f, VHOST_SHMEM_REGION_DESTROY, &a,
					       sizeof(a), &size_err);
			if (size_err)
				want = size_err;
			ASSERT_EQ(want, got) TH_LOG("seed %u step %u: destroy %u",
						    seed, it, shmid);
			if (!got) {
				/* The old window is a hole everywhere now. */
				uint32_t v;

				ASSERT_EQ(SIGBUS, probe_read(r->win, 0, &v));
				munmap(r->win, r->npages * PAGE);
				memset(r, 0, sizeof(*r));
				f.nr_regions--;
			}
			stats[1]++;
		} else if (op < 60) {
			struct vhost_shmem_map a = {
				.shmid = rnd_shmid(&f, shmid),
			};
			int kind = chance(&f, 80) ? rnd(&f) % 3 :
				   rnd(&f) % NR_FD_KINDS;

			a.fd = f.fds[kind];
			if (r->exists && chance(&f, 60)) {
				/* Well-formed, so that the success path runs. */
				uint64_t first = rnd(&f) % r->npages;
				uint64_t n = 1 + rnd(&f) % (r->npages - first < 4 ?
							   r->npages - first : 4);

				a.shm_offset = first * PAGE;
				a.len = n * PAGE;
				a.fd_offset = (rnd(&f) % (FILE_PAGES - n + 1)) * PAGE;
			} else {
				a.shm_offset = rnd_pages(&f, MAX_PAGES);
				a.fd_offset = rnd_pages(&f, FILE_PAGES);
				a.len = chance(&f, 70) ? (1 + rnd(&f) % 4) * PAGE :
					rnd_pages(&f, MAX_PAGES);
			}
			a.flags = chance(&f, 97) ? rnd(&f) % 2 : rnd(&f);
			want = expect_map(&f, &a, kind);
			got = fuzz_sized_ioctl(&f, VHOST_SHMEM_MAP, &a, sizeof(a),
					       &size_err);
			if (size_err)
				want = size_err;
			ASSERT_EQ(want, got)
				TH_LOG("seed %u step %u: map %u fd %d %#llx at %#llx+%#llx %#x",
				       seed, it, a.shmid, kind, a.fd_offset,
				       a.shm_offset, a.len, a.flags);
			if (!got) {
				struct model_map *m = &r->maps[r->nr++];

				m->first = a.shm_offset / PAGE;
				m->npages = a.len / PAGE;
				m->fd_pg = a.fd_offset / PAGE;
				m->kind = kind;
				m->rw = a.flags & VHOST_SHMEM_MAP_F_RW;
			}
			stats[2] += !got;
			stats[3]++;
		} else if (op < 88) {
			struct vhost_shmem_unmap a = {
				.shmid = rnd_shmid(&f, shmid),
			};
			int idx = -1;
			bool g;

			if (r->nr && chance(&f, 70)) {
				idx = rnd(&f) % r->nr;
				a.shm_offset = r->maps[idx].first * PAGE;
				a.len = r->maps[idx].npages * PAGE;
			} else {
				a.shm_offset = rnd_pages(&f, MAX_PAGES);
				a.len = rnd_pages(&f, 4);
			}
			g = rnd_garbage(&f, &a.flags) |
			    rnd_garbage(&f, &a.__reserved);
			if (g) {
				want = -EOPNOTSUPP;
			} else if (a.shmid > 255 ||
				   !range_ok(a.shm_offset, a.len)) {
				want = -EINVAL;
			} else {
				idx = r->exists ? find_exact(r, a.shm_offset / PAGE,
							     a.len / PAGE) : -1;
				want = idx < 0 ? -ENOENT : 0;
			}
			got = fuzz_sized_ioctl(&f, VHOST_SHMEM_UNMAP, &a, sizeof(a),
					       &size_err);
			if (size_err)
				want = size_err;
			ASSERT_EQ(want, got) TH_LOG("seed %u step %u: unmap shmid %u %#llx+%#llx",
						    seed, it, shmid, a.shm_offset, a.len);
			if (!got)
				r->maps[idx] = r->maps[--r->nr];
			stats[4] += !got;
			stats[5]++;
		} else if (op < 90) {
			ASSERT_EQ(0, vshm_reset(f.dev));
			for (i = 0; i < SHMIDS; i++)
				f.r[i].nr = 0;
		} else if (op < 94) {
			struct vhost_shmem_region_info ri;
			uint64_t bytes = 0;

			got = vshm_region_info(f.dev, shmid, &ri);
			ASSERT_EQ(r->exists ? 0 : -ENOENT, got);
			if (!got) {
				for (i = 0; i < (unsigned int)r->nr; i++)
					bytes += r->maps[i].npages * PAGE;
				ASSERT_EQ(r->nr, ri.out_nr_mappings);
				ASSERT_EQ(bytes, ri.out_mapped_bytes);
				ASSERT_EQ(r->npages * PAGE, ri.out_length);
				ASSERT_GE(bytes, ri.out_resident_bytes);
			}
		} else if (op < 98) {
			if (r->exists)
				ASSERT_TRUE(probe_region(&f, r))
					TH_LOG("seed %u step %u: window of %u",
					       seed, it, shmid);
			stats[6]++;
		} else {
			/* Commands that do not exist, in our block and out. */
			unsigned long cmd = rnd(&f) % 2 ?
				_IO(VHOST_SHMEM_TYPE, 0xE9 + rnd(&f) % 7) :
				_IOWR(VHOST_SHMEM_TYPE, 0xE0 + rnd(&f) % 9, uint64_t);
			uint64_t junk[8] = { 0 };

			ASSERT_EQ(-ENOTTY, vshm_ioctl(f.dev, cmd, junk));
			stats[7]++;
		}
	}

	/* Everything still adds up, then everything is given back. */
	for (i = 0; i < SHMIDS; i++)
		if (f.r[i].exists)
			ASSERT_TRUE(probe_region(&f, &f.r[i]));
	ASSERT_EQ(0, vshm_reset(f.dev));
	for (i = 0; i < SHMIDS; i++) {
		struct vhost_shmem_region_info ri;

		if (!f.r[i].exists)
			continue;
		ASSERT_EQ(0, vshm_region_info(f.dev, shmid_pool[i], &ri));
		ASSERT_EQ(0, ri.out_nr_mappings);
		ASSERT_EQ(0, ri.out_resident_bytes);
		munmap(f.r[i].win, f.r[i].npages * PAGE);
	}
	for (i = 0; i < FD_CLOSED; i++)
		if (i != FD_DEV)
			close(f.fds[i]);
	close(f.dev);
	fds_after = count_fds();
	EXPECT_EQ(fds_before, fds_after);
	ksft_print_msg("fuzz: %ld creates, %ld destroys, %ld window checks\n",
		       stats[0], stats[1], stats[6]);
	ksft_print_msg("fuzz: %ld of %ld maps, %ld of %ld unmaps succeeded\n",
		       stats[2], stats[3], stats[4], stats[5]);
	ksft_print_msg("fuzz: %ld unknown commands refused\n", stats[7]);
}

TEST_HARNESS_MAIN
