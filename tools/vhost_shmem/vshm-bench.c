// SPDX-License-Identifier: GPL-2.0
/*
 * vshm-bench: vhost-shmem against the ways VMMs map shared memory today.
 *
 *   A  vhost-shmem: one region, one memory slot; VHOST_SHMEM_MAP/UNMAP.
 *   B  a memory slot per mapping (QEMU): mmap the file and add a slot;
 *      delete the slot and munmap.
 *   C  a MAP_FIXED window (crosvm, cloud-hypervisor): one slot over a
 *      PROT_NONE reservation; mmap(MAP_FIXED) the file in, PROT_NONE back.
 *
 * Every method is measured in the same run, on the same machine; under
 * emulation only the ratios mean something.  Output is Markdown.
 *
 * Scenarios: 1 MAP+UNMAP cycles of 4 KiB, 64 KiB and 2 MiB; 2 the same
 * cycle with more and more mappings present; 3 a vCPU's first touch and
 * steady-state reads of a freshly mapped 64 MiB mapping; 4 a vCPU faulting
 * in fresh memory while another thread runs a MAP/UNMAP storm; 5 A's
 * kernel memory per mapping and per resident page.  Scenarios 3 and 4 run
 * the guest of demo/guest.c in flat 32-bit mode.
 *
 * Environment:
 *   VSHM_BENCH_ITERS       scales the work (default 1000): the cycles of
 *                          scenarios 1 and 2 for A and C (a fifth of that
 *                          for B), a fifth of it samples per configuration
 *                          in scenario 4, a 333th of it rounds in scenario
 *                          3 (at least one of each)
 *   VSHM_BENCH_MAX_B       the most mappings B is asked to hold (default
 *                          10000: each memory slot change is slow)
 *   VSHM_BENCH_STORM_RATE  cycles per second of scenario 4's paced storms
 *                          (default 25: with a vCPU running, B does not
 *                          sustain much more under emulation)
 *   VSHM_BENCH_SCENARIOS   the scenarios to run, e.g. "34" (default: all)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/kvm.h>
#include <linux/vhost_shmem.h>

#include "libvshm.h"
#include "guest.h"

#define PAGE		4096ULL
#define MIB		(1024ULL * 1024)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define FILE_SIZE	(2 * MIB)

/*
 * Memory slots: 0 and 1 are vshm_guest's, SLOT_FRESH is scenario 4's guest
 * RAM; a method's first slot is A's window or C's reservation, B's mappings
 * take the slots after it.
 */
#define SLOT_FRESH	2
#define SLOT_BASE	3
/* Scenarios 1, 2 and 5 have no vCPU: the region is out of its reach. */
#define GPA_BASE	0x100000000ULL

/* Scenario 3: the 64 MiB mapping, below 4 GiB for the flat 32-bit guest. */
#define TOUCH_SIZE	(64 * MIB)
#define TOUCH_PAGES	((uint32_t)(TOUCH_SIZE / PAGE))
#define TOUCH_GPA	0x40000000ULL
#define STEADY_PASSES	3

/* Scenario 4: the guest RAM faulted in again and again, and the storms. */
#define FRESH_SIZE	(256 * 1024ULL)
#define FRESH_GPA	0x10000000ULL
#define STORM_GPA	0x80000000ULL
#define STORM_STRIDE	0x10000000ULL
#define STORM_CHUNKS	20

enum method { A, B, C, NR_METHODS };
static const char * const method_name[NR_METHODS] = {
	"A vhost-shmem", "B slot per mapping", "C MAP_FIXED window",
};

struct bench {
	enum method m;
	int kvm, vm, fd;
	bool own_vm;		/* the VM is the bench's, not a vshm_guest's */
	int slot;		/* A's or C's slot; B's go after it */
	uint64_t gpa;		/* where the region (the window) starts */
	struct libvshm v;
	struct libvshm_region r;
	char *resv;		/* C: the reservation the window lives in */
	void **hva;		/* B: the host mapping of each slot */
	uint64_t span;
	int max_slots;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "vshm-bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int set_slot(int vm, int slot, uint64_t gpa, void *hva, uint64_t size)
{
	struct kvm_userspace_memory_region mr = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr) ? -errno : 0;
}

/* Map @len bytes of the file at offset @off of the region, slot @idx. */
static int do_map(struct bench *b, uint64_t off, uint64_t len, int idx)
{
	struct vhost_shmem_map m = {
		.size = sizeof(m), .shmid = 0, .fd = b->fd, .shm_offset = off, .len = len,
		.flags = VHOST_SHMEM_MAP_F_RW,
	};
	void *p;

	switch (b->m) {
	case A:
		return ioctl(b->v.fd, VHOST_SHMEM_MAP, &m) ? -errno : 0;
	case B:
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
		if (p == MAP_FAILED)
			return -errno;
		b->hva[idx] = p;
		return set_slot(b->vm, b->slot + 1 + idx, b->gpa + off, p, len);
	default:
		p = mmap(b->resv + off, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, b->fd, 0);
		return p == MAP_FAILED ? -errno : 0;
	}
}

static int do_unmap(struct bench *b, uint64_t off, uint64_t len, int idx)
{
	struct vhost_shmem_unmap u = { .size = sizeof(u), .shmid = 0,
				       .shm_offset = off, .len = len };
	void *p;
	int ret;

	switch (b->m) {
	case A:
		return ioctl(b->v.fd, VHOST_SHMEM_UNMAP, &u) ? -errno : 0;
	case B:
		ret = set_slot(b->vm, b->slot + 1 + idx, b->gpa + off, NULL, 0);
		munmap(b->hva[idx], len);
		return ret;
	default:
		p = mmap(b->resv + off, len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
			 -1, 0);
		return p == MAP_FAILED ? -errno : 0;
	}
}

/*
 * Set method @m up for mappings in [@gpa, @gpa + @span) of the guest, with
 * room for @present mappings besides the measured one, in the VM of @g, or
 * in a VM of its own, without vCPU, if @g is NULL.  The memfd mapped is
 * @file_size bytes long.
 */
static void setup(struct bench *b, enum method m, struct vshm_guest *g,
		  int slot, uint64_t gpa, uint64_t span, int present,
		  uint64_t file_size)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->m = m;
	b->span = span;
	b->slot = slot;
	b->gpa = gpa;
	b->own_vm = !g;
	b->kvm = g ? g->kvm_fd : open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (b->kvm < 0)
		die("/dev/kvm", errno);
	b->vm = g ? g->vm_fd : ioctl(b->kvm, KVM_CREATE_VM, 0);
	if (b->vm < 0)
		die("KVM_CREATE_VM", errno);
	b->max_slots = ioctl(b->kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	b->fd = memfd_create("vshm-bench", MFD_CLOEXEC);
	if (b->fd < 0 || ftruncate(b->fd, file_size))
		die("memfd", errno);

	if (m == A) {
		ret = libvshm_open(&b->v, NULL);
		if (!ret)
			ret = libvshm_region_create(&b->v, 0, span, &b->r);
		/* slot < 0: no memory slot, no MMU notifier of KVM. */
		if (!ret && slot >= 0)
			ret = libvshm_kvm_add_memslot(&b->v, b->vm, slot, gpa,
						      &b->r);
		if (ret)
			die("vhost-shmem set-up", -ret);
	} else if (m == B) {
		b->hva = calloc(present + 1, sizeof(*b->hva));
		if (!b->hva)
			die("calloc", ENOMEM);
	} else {
		b->resv = mmap(NULL, span, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (b->resv == MAP_FAILED)
			die("reservation", errno);
		ret = set_slot(b->vm, slot, gpa, b->resv, span);
		if (ret)
			die("KVM_SET_USER_MEMORY_REGION", -ret);
	}
}

/* After every mapping is gone (B's slots with them). */
static void teardown(struct bench *b)
{
	/* In a VM that outlives the bench, A's and C's slot must go. */
	if (!b->own_vm && b->m != B && b->slot >= 0 &&
	    set_slot(b->vm, b->slot, b->gpa, NULL, 0))
		die("deleting a memory slot", errno);
	if (b->m == A) {
		libvshm_region_destroy(&b->v, &b->r);
		libvshm_close(&b->v);
	}
	/* Otherwise the slots go with the VM. */
	if (b->own_vm) {
		close(b->vm);
		close(b->kvm);
	}
	close(b->fd);
	if (b->m == B)
		free(b->hva);
	if (b->m == C)
		munmap(b->resv, b->span);
}

struct result {
	double median_us, p99_us, per_sec;
	bool ok;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts the @n samples (ns) of @t; their total is @total ns. */
static struct result summarize(uint64_t *t, int n, uint64_t total)
{
	struct result r;

	qsort(t, n, sizeof(*t), cmp_u64);
	r.median_us = t[n / 2] / 1000.0;
	r.p99_us = t[(n * 99) / 100] / 1000.0;
	r.per_sec = 1e9 * n / total;
	r.ok = true;
	return r;
}

static int bench_iters(void)
{
	const char *env = getenv("VSHM_BENCH_ITERS");
	int n = env ? atoi(env) : 1000;

	return n > 0 ? n : 1;
}

static int iters_for(enum method m)
{
	int n = bench_iters();

	return m == B ? (n / 5 ? n / 5 : 1) : n;
}

/*
 * One measurement of scenarios 1 and 2: with @present mappings of one page
 * already in the region, MAP+UNMAP cycles of @len bytes at a free, 2 MiB
 * aligned offset past them.  The cells of a table run together and take
 * turns, CYCLE_CHUNKS chunks each, so that a change of the host's load over
 * the run spreads over all of them instead of falling on one.  Each cell
 * runs in a process of its own, as each VMM would: KVM's MMU notifiers are
 * per process, and in one process every VM's notifier would run on every
 * method's invalidations.
 */
struct cell {
	/* Set by the caller. */
	enum method m;
	int present;
	uint64_t len;
	int slot;		/* < 0: A without a memory slot on its window */
	bool skip;
	/* In the cell's process. */
	struct bench b;
	uint64_t hole, *t, total;
	int n, iters;
	/* In the parent. */
	bool ok;
	pid_t pid;
	int cmd, done;		/* pipes to and from the cell's process */
};

#define CYCLE_CHUNKS	20

static bool cell_setup(struct cell *c)
{
	uint64_t hole = ((c->present * 2 * PAGE) + 2 * MIB - 1) &
			~(2 * MIB - 1);
	int i, ret;

	c->hole = hole;
	setup(&c->b, c->m, NULL, c->slot, GPA_BASE, hole + 2 * MIB,
	      c->present, FILE_SIZE);
	if (c->m == B && SLOT_BASE + c->present + 2 > c->b.max_slots) {
		teardown(&c->b);
		return false;
	}
	for (i = 0; i < c->present; i++) {
		ret = do_map(&c->b, i * 2 * PAGE, PAGE, i);
		if (ret)
			die("populating", -ret);
	}
	c->iters = iters_for(c->m);
	c->t = calloc(c->iters, sizeof(*c->t));
	if (!c->t)
		die("calloc", ENOMEM);
	return true;
}

/* The next chunk of cell @c's cycles. */
static void cell_run(struct cell *c)
{
	int end = c->n + (c->iters + CYCLE_CHUNKS - 1) / CYCLE_CHUNKS;
	int ret;

	if (end > c->iters)
		end = c->iters;
	for (; c->n < end; c->n++) {
		uint64_t t0 = now_ns();

		ret = do_map(&c->b, c->hole, c->len, c->present);
		if (!ret)
			ret = do_unmap(&c->b, c->hole, c->len, c->present);
		if (ret)
			die(method_name[c->m], -ret);
		c->t[c->n] = now_ns() - t0;
		c->total += c->t[c->n];
	}
}

static struct result cell_finish(struct cell *c)
{
	struct result r = summarize(c->t, c->iters, c->total);
	int i;

	free(c->t);
	for (i = 0; i < c->present; i++)
		do_unmap(&c->b, i * 2 * PAGE, PAGE, i);
	teardown(&c->b);
	return r;
}

/*
 * The cell's process: set up, answer 'y' (or 'n': B past the slot limit),
 * then run a chunk for each 'r' and answer 'd'; on 'q' send the result.
 * Never returns.
 */
static void cell_process(struct cell *c)
{
	struct result r;
	char cmd, ans = cell_setup(c) ? 'y' : 'n';

	if (write(c->done, &ans, 1) != 1)
		_exit(1);
	while (ans == 'y' && read(c->cmd, &cmd, 1) == 1) {
		if (cmd == 'q') {
			r = cell_finish(c);
			_exit(write(c->done, &r, sizeof(r)) != sizeof(r));
		}
		cell_run(c);
		if (write(c->done, "d", 1) != 1)
			_exit(1);
	}
	_exit(ans != 'n');
}

static void cell_start(struct cell *c)
{
	int to[2], from[2];
	char ans;

	c->ok = false;
	if (c->skip)
		return;
	if (pipe(to) || pipe(from))
		die("pipe", errno);
	/* Nothing buffered may be written twice. */
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0)
		die("fork", errno);
	if (!c->pid) {
		close(to[1]);
		close(from[0]);
		c->cmd = to[0];
		c->done = from[1];
		cell_process(c);
	}
	close(to[0]);
	close(from[1]);
	c->cmd = to[1];
	c->done = from[0];
	if (read(c->done, &ans, 1) != 1)
		die("setting a measurement up", EPIPE);
	c->ok = ans == 'y';
}

/* Tell cell @c to do @cmd and wait until it has: its result for 'q'. */
static struct result cell_do(struct cell *c, char cmd)
{
	struct result r = { 0 };
	char ans;

	if (write(c->cmd, &cmd, 1) != 1)
		die("measuring", EPIPE);
	if (cmd == 'q') {
		if (read(c->done, &r, sizeof(r)) != sizeof(r))
			die("measuring", EPIPE);
	} else if (read(c->done, &ans, 1) != 1) {
		die("measuring", EPIPE);
	}
	return r;
}

/* Run the @nr cells in turns; their results go to @res. */
static void run_cells(struct cell *cells, int nr, struct result *res)
{
	int chunk, k;

	for (k = 0; k < nr; k++)
		cell_start(&cells[k]);
	for (chunk = 0; chunk < CYCLE_CHUNKS; chunk++)
		for (k = 0; k < nr; k++)
			if (cells[k].ok)
				cell_do(&cells[k], 'r');
	for (k = 0; k < nr; k++) {
		memset(&res[k], 0, sizeof(res[k]));
		if (cells[k].ok)
			res[k] = cell_do(&cells[k], 'q');
		if (cells[k].skip)
			continue;
		close(cells[k].cmd);
		close(cells[k].done);
		waitpid(cells[k].pid, NULL, 0);
	}
}

/* Two VHOST_SHMEM_GET_INFO ioctls: the cost of entering the module twice. */
static struct result measure_ioctls(void)
{
	int iters = iters_for(A), i;
	uint64_t total = 0, *t;
	struct libvshm v;
	struct result r;
	int ret;

	ret = libvshm_open(&v, NULL);
	if (ret)
		die("/dev/vhost-shmem", -ret);
	t = calloc(iters, sizeof(*t));
	if (!t)
		die("calloc", ENOMEM);
	for (i = 0; i < iters; i++) {
		uint64_t t0 = now_ns();
		struct vhost_shmem_info info = { .size = sizeof(info) };

		if (ioctl(v.fd, VHOST_SHMEM_GET_INFO, &info) ||
		    ioctl(v.fd, VHOST_SHMEM_GET_INFO, &info))
			die("VHOST_SHMEM_GET_INFO", errno);
		t[i] = now_ns() - t0;
		total += t[i];
	}
	r = summarize(t, iters, total);
	free(t);
	libvshm_close(&v);
	return r;
}

static void print_ratio(const struct result *res)
{
	printf("\nRatio of medians: B/A %.1fx", res[B].ok ?
	       res[B].median_us / res[A].median_us : 0);
	if (!res[B].ok)
		printf(" (B not run)");
	printf(", C/A %.1fx\n", res[C].median_us / res[A].median_us);
}

static void scenario_sizes(int present)
{
	static const uint64_t sizes[] = { 4096, 64 * 1024, 2 * MIB };
	struct cell cells[NR_METHODS + 1];
	struct result res[NR_METHODS + 1], floor;
	unsigned int s;
	int m, nr;

	printf("\n### Scenario 1: MAP+UNMAP cycle, %d mappings present, %s\n\n",
	       present, "no vCPU");
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (m = A; m < NR_METHODS; m++)
			cells[m] = (struct cell){ .m = m, .present = present,
						  .len = sizes[s],
						  .slot = SLOT_BASE };
		/* 4 KiB: also A without KVM's MMU notifier, for scale. */
		nr = NR_METHODS;
		if (!s)
			cells[nr++] = (struct cell){ .m = A, .present = present,
						     .len = sizes[s], .slot = -1 };
		run_cells(cells, nr, res);

		printf("%s| size %llu KiB | median us | p99 us | cycles/s |\n",
		       s ? "\n" : "", (unsigned long long)sizes[s] / 1024);
		printf("|---|---|---|---|\n");
		for (m = A; m < NR_METHODS; m++) {
			if (!res[m].ok) {
				printf("| %s | - | - | - |\n", method_name[m]);
				continue;
			}
			printf("| %s | %.1f | %.1f | %.0f |\n", method_name[m],
			       res[m].median_us, res[m].p99_us, res[m].per_sec);
		}
		print_ratio(res);
		if (s)
			continue;
		/* Where A's time goes: the syscalls, and KVM's notifier. */
		floor = measure_ioctls();
		printf("\nFor scale: A without a KVM memory slot on its window %.1f us,\n",
		       res[NR_METHODS].median_us);
		printf("two VHOST_SHMEM_GET_INFO ioctls %.1f us (medians).\n",
		       floor.median_us);
	}
}

/*
 * Every row runs A with one mapping present beside the others, so that
 * "A vs 1 present" compares cycles measured in turns, in the same stretch.
 */
static void scenario_scale(void)
{
	static const int present[] = { 1, 1000, 10000, 30000, 100000 };
	const char *env = getenv("VSHM_BENCH_MAX_B");
	int max_b = env ? atoi(env) : 10000;
	struct cell cells[NR_METHODS + 1];
	struct result res[NR_METHODS + 1];
	unsigned int i;
	int m;

	printf("\n### Scenario 2: 4 KiB MAP+UNMAP cycle against mappings present\n\n");
	printf("| present | A median us | B median us | C median us | B/A | C/A |");
	printf(" A vs 1 present |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (i = 0; i < ARRAY_SIZE(present); i++) {
		for (m = A; m < NR_METHODS; m++)
			cells[m] = (struct cell){
				.m = m, .present = present[i], .len = PAGE,
				.slot = SLOT_BASE,
				.skip = (m == B && present[i] > max_b) ||
					(m == C && present[i] > 30000),
			};
		cells[NR_METHODS] = (struct cell){ .m = A, .present = 1,
						   .len = PAGE,
						   .slot = SLOT_BASE };
		run_cells(cells, NR_METHODS + 1, res);

		printf("| %d | %.1f | ", present[i], res[A].median_us);
		printf(res[B].ok ? "%.1f | " : "- | ", res[B].median_us);
		printf(res[C].ok ? "%.1f | " : "- | ", res[C].median_us);
		printf(res[B].ok ? "%.1fx | " : "- | ",
		       res[B].median_us / res[A].median_us);
		printf(res[C].ok ? "%.1fx | " : "- | ",
		       res[C].median_us / res[A].median_us);
		printf("%.2fx |\n", res[A].median_us /
		       res[NR_METHODS].median_us);
	}
	printf("\nB runs up to VSHM_BENCH_MAX_B=%d mappings: one memory slot each,\n",
	       max_b);
	printf("within KVM's slot limit; C up to 30000 (vm.max_map_count).\n");
	printf("\"A vs 1 present\": against A with one mapping, run in turns with the row.\n");
}

static void guest_create(struct vshm_guest *g)
{
	int ret = vshm_guest_create(g);

	if (!ret)
		ret = vshm_guest_flat32(g);
	if (ret)
		die("KVM guest", -ret);
}

/*
 * Run one pass of the guest over @pages pages from @gpa (see
 * vshm_guest_touch()); returns how long KVM_RUN took, in ns.
 */
static uint64_t guest_pass(struct vshm_guest *g, uint64_t gpa,
			   uint32_t pages, bool write, uint32_t *sum)
{
	uint64_t t0 = now_ns();
	int ret = vshm_guest_touch(g, gpa, pages, write, sum);

	if (ret < 0)
		die("KVM_RUN", -ret);
	if (ret > 0) {
		fprintf(stderr, "vshm-bench: unexpected KVM exit %d\n", ret);
		exit(1);
	}
	return now_ns() - t0;
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Best effort: with one CPU the threads share it anyway. */
	sched_setaffinity(0, sizeof(set), &set);
}

static int ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* One row of scenario 3. */
struct touch {
	const char *name;
	enum method m;
	bool prefault;		/* A: the VMM faults the window in at MAP */
	bool no_fault_around;	/* C: with fault_around_bytes = 4096 */
	struct bench b;
	double *map_us, *first, *steady;	/* ns per page but map_us */
};

#define FAULT_AROUND	"/sys/kernel/debug/fault_around_bytes"

/* The kernel's fault-around size (debugfs), or -1 if it cannot be read. */
static long get_fault_around(void)
{
	FILE *f = fopen(FAULT_AROUND, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int set_fault_around(long bytes)
{
	FILE *f = fopen(FAULT_AROUND, "w");

	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", bytes) < 0) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

static const uint32_t touch_sum = (uint32_t)((uint64_t)TOUCH_PAGES *
					     (TOUCH_PAGES - 1) / 2);

static void check_sum(const char *who, const char *name, uint32_t sum)
{
	if (sum == touch_sum)
		return;
	fprintf(stderr, "vshm-bench: %s: %s read sum %#x, not %#x\n", name, who,
		sum, touch_sum);
	exit(1);
}

/*
 * One round of row @t in the VM of @g: map the 64 MiB memfd, have the
 * guest read the first word of each page (first touch), then again
 * STEADY_PASSES times (steady state), and unmap.  Page i of the file starts
 * with i, so the sum the guest reports proves it read the file.
 */
static void touch_round(struct vshm_guest *g, struct touch *t, long fa,
			int r)
{
	uint64_t gpa = t->b.gpa, t0, first;
	uint32_t i, sum;
	int k, ret;

	if (t->no_fault_around) {
		ret = set_fault_around(PAGE);
		if (ret)
			die("setting " FAULT_AROUND, -ret);
	}
	t0 = now_ns();
	ret = do_map(&t->b, 0, TOUCH_SIZE, 0);
	if (ret)
		die(t->name, -ret);
	if (t->prefault) {
		for (i = 0, sum = 0; i < TOUCH_PAGES; i++)
			sum += __atomic_load_n((uint32_t *)((char *)t->b.r.hva +
							    i * PAGE),
					       __ATOMIC_RELAXED);
		check_sum("the VMM", t->name, sum);
	}
	t->map_us[r] = (now_ns() - t0) / 1000.0;
	first = guest_pass(g, gpa, TOUCH_PAGES, false, &sum);
	check_sum("the guest", t->name, sum);
	t->first[r] = (double)first / TOUCH_PAGES;
	for (k = 0; k < STEADY_PASSES; k++) {
		uint64_t ns = guest_pass(g, gpa, TOUCH_PAGES, false, &sum);

		check_sum("the guest", t->name, sum);
		t->steady[r * STEADY_PASSES + k] = (double)ns / TOUCH_PAGES;
	}
	ret = do_unmap(&t->b, 0, TOUCH_SIZE, 0);
	if (ret)
		die(t->name, -ret);
	if (t->no_fault_around) {
		ret = set_fault_around(fa);
		if (ret)
			die("restoring " FAULT_AROUND, -ret);
	}
}

static void print_touch(const struct touch *t, int rounds)
{
	printf("| %s | %.0f | %.0f | %.1f |\n", t->name,
	       median(t->map_us, rounds), median(t->first, rounds),
	       median(t->steady, rounds * STEADY_PASSES));
}

/*
 * Scenario 3, and two rows that explain it: A with the window faulted in
 * by the VMM before the guest runs (what populating at MAP time would
 * give), and C without fault-around (the host's page fault then maps one
 * page, as A's does).  Each row has its own 64 MiB of guest physical
 * space and its own memfd, filled before the first MAP; the rows take
 * turns, round after round.
 */
static void scenario_touch(void)
{
	int rounds = bench_iters() / 333 ? bench_iters() / 333 : 1;
	long fa = get_fault_around();
	struct touch t[] = {
		{ .name = "A vhost-shmem", .m = A },
		{ .name = "B slot per mapping", .m = B },
		{ .name = "C MAP_FIXED window", .m = C },
		{ .name = "A, the VMM faults the window in at MAP", .m = A,
		  .prefault = true },
		{ .name = "C, fault-around off", .m = C,
		  .no_fault_around = true },
	};
	struct vshm_guest g;
	uint32_t i;
	int k, r, nr;
	char *p;

	/* Without a writable fault_around_bytes, no row without it. */
	if (fa > 0 && set_fault_around(fa))
		fa = -1;
	nr = ARRAY_SIZE(t) - (fa > 0 ? 0 : 1);
	guest_create(&g);
	for (k = 0; k < nr; k++) {
		setup(&t[k].b, t[k].m, &g, SLOT_BASE + 2 * k,
		      TOUCH_GPA + k * TOUCH_SIZE, TOUCH_SIZE, 1, TOUCH_SIZE);
		p = mmap(NULL, TOUCH_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 t[k].b.fd, 0);
		if (p == MAP_FAILED)
			die("mmap of the memfd", errno);
		for (i = 0; i < TOUCH_PAGES; i++)
			*(uint32_t *)(p + i * PAGE) = i;
		munmap(p, TOUCH_SIZE);
		t[k].map_us = calloc(rounds, sizeof(double));
		t[k].first = calloc(rounds, sizeof(double));
		t[k].steady = calloc(rounds * STEADY_PASSES, sizeof(double));
		if (!t[k].map_us || !t[k].first || !t[k].steady)
			die("calloc", ENOMEM);
	}
	for (r = 0; r < rounds; r++)
		for (k = 0; k < nr; k++)
			touch_round(&g, &t[k], fa, r);

	printf("\n### Scenario 3: a vCPU reads every page of a freshly mapped %llu MiB memfd\n\n",
	       (unsigned long long)(TOUCH_SIZE / MIB));
	printf("| method | MAP us | first touch ns/page | steady ns/page |\n");
	printf("|---|---|---|---|\n");
	for (k = 0; k < nr; k++)
		print_touch(&t[k], rounds);
	/* Sorted by print_touch(): the medians are in the middle. */
	printf("\nFirst touch: A/C %.2fx, A/B %.2fx; steady state: A/C %.2fx, A/B %.2fx.\n",
	       t[0].first[rounds / 2] / t[2].first[rounds / 2],
	       t[0].first[rounds / 2] / t[1].first[rounds / 2],
	       t[0].steady[rounds * STEADY_PASSES / 2] /
	       t[2].steady[rounds * STEADY_PASSES / 2],
	       t[0].steady[rounds * STEADY_PASSES / 2] /
	       t[1].steady[rounds * STEADY_PASSES / 2]);
	printf("First touch, A faulted in at MAP / C: %.2fx",
	       t[3].first[rounds / 2] / t[2].first[rounds / 2]);
	if (nr > 4)
		printf("; A / C without fault-around (by default %ld bytes): %.2fx",
		       fa, t[0].first[rounds / 2] / t[4].first[rounds / 2]);
	else
		printf("; no row without fault-around: %s is not writable",
		       FAULT_AROUND);
	printf(".\n\nMedians of %d round(s) (steady: %d passes each);\n",
	       rounds, STEADY_PASSES);
	printf("the file's pages are in the page cache before MAP, the guest has paging off.\n");

	for (k = 0; k < nr; k++) {
		teardown(&t[k].b);
		free(t[k].map_us);
		free(t[k].first);
		free(t[k].steady);
	}
	vshm_guest_destroy(&g);
}

/* What the other thread does in scenario 4. */
enum load {
	LOAD_NONE,	/* nothing: the reference */
	LOAD_SPIN,	/* spin in userspace: what a busy CPU costs */
	LOAD_STORM,	/* MAP+UNMAP cycles back to back */
	LOAD_PACED,	/* MAP+UNMAP cycles at a fixed rate */
};

struct storm {
	char name[48];
	enum load load;
	struct bench *b;	/* LOAD_STORM, LOAD_PACED */
	uint64_t period_ns;	/* LOAD_PACED */
	pthread_t thread;
	int stop;		/* atomic */
	int err;
	uint64_t cycles, ns;	/* done, and in how long */
	uint64_t *t, total;	/* the vCPU's iterations */
	int n;
};

static void sleep_until(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = ns / 1000000000ULL, .tv_nsec = ns % 1000000000ULL,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static void *storm_fn(void *arg)
{
	struct storm *s = arg;
	uint64_t next = now_ns();
	int ret = 0;

	if (ncpus() > 1)
		pin_to_cpu(1);
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		if (s->load == LOAD_SPIN)
			continue;
		ret = do_map(s->b, 0, PAGE, 0);
		if (!ret)
			ret = do_unmap(s->b, 0, PAGE, 0);
		if (ret)
			break;
		s->cycles++;
		if (s->load == LOAD_PACED) {
			/* Behind: do not catch up in a burst. */
			next += s->period_ns;
			if (next < now_ns())
				next = now_ns();
			sleep_until(next);
		}
	}
	s->err = -ret;
	return NULL;
}

/* One chunk of @n iterations of the vCPU with @s running beside it. */
static void storm_chunk(struct vshm_guest *g, void *ram, struct storm *s,
			int n)
{
	uint64_t t0 = now_ns();
	int i, ret;

	if (s->load != LOAD_NONE) {
		s->stop = 0;
		ret = pthread_create(&s->thread, NULL, storm_fn, s);
		if (ret)
			die("pthread_create", ret);
	}
	for (i = 0; i < n; i++) {
		if (madvise(ram, FRESH_SIZE, MADV_DONTNEED))
			die("madvise", errno);
		s->t[s->n] = guest_pass(g, FRESH_GPA, FRESH_SIZE / PAGE, true,
					NULL);
		s->total += s->t[s->n++];
	}
	if (s->load == LOAD_NONE)
		return;
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	pthread_join(s->thread, NULL);
	s->ns += now_ns() - t0;
	if (s->err)
		die(s->name, s->err);
}

/*
 * Scenario 4: the vCPU writes the first word of each page of FRESH_SIZE of
 * anonymous guest RAM, which is dropped (MADV_DONTNEED) before each
 * iteration, so that every touch faults a new page in: the host's page
 * fault, under the VMM's mmap_lock for read, and KVM's stage-2 fault.
 * Meanwhile a thread on another CPU runs 4 KiB MAP+UNMAP cycles of method
 * A, B or C on its own area of the same VM, back to back or paced, or
 * spins, or does nothing (the reference).  The configurations take turns
 * in STORM_CHUNKS chunks, so that a change of the host's load over the run
 * does not fall on one of them.
 */
static void scenario_storm(void)
{
	const char *env = getenv("VSHM_BENCH_STORM_RATE");
	int rate = env && atoi(env) > 0 ? atoi(env) : 25;
	int samples = bench_iters() / 5 ? bench_iters() / 5 : 1;
	int chunk = (samples + STORM_CHUNKS - 1) / STORM_CHUNKS;
	struct storm st[2 + 2 * NR_METHODS], *s;
	struct result res[ARRAY_SIZE(st)];
	struct bench b[NR_METHODS];
	const int nr = ARRAY_SIZE(st);
	struct vshm_guest g;
	int c, m, k, ret;
	void *ram;

	samples = chunk * STORM_CHUNKS;
	guest_create(&g);
	if (ncpus() > 1)
		pin_to_cpu(0);
	ram = mmap(NULL, FRESH_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("guest RAM", errno);
	ret = set_slot(g.vm_fd, SLOT_FRESH, FRESH_GPA, ram, FRESH_SIZE);
	if (ret)
		die("KVM_SET_USER_MEMORY_REGION", -ret);

	memset(st, 0, sizeof(st));
	st[0].load = LOAD_NONE;
	snprintf(st[0].name, sizeof(st[0].name), "no storm");
	st[1].load = LOAD_SPIN;
	snprintf(st[1].name, sizeof(st[1].name), "no storm, CPU 1 busy");
	for (m = A; m < NR_METHODS; m++) {
		setup(&b[m], m, &g, SLOT_BASE + 2 * m,
		      STORM_GPA + m * STORM_STRIDE, 2 * MIB, 1, FILE_SIZE);
		s = &st[2 + m];
		s->load = LOAD_STORM;
		s->b = &b[m];
		snprintf(s->name, sizeof(s->name), "%s", method_name[m]);
		s = &st[2 + NR_METHODS + m];
		s->load = LOAD_PACED;
		s->b = &b[m];
		s->period_ns = 1000000000ULL / rate;
		snprintf(s->name, sizeof(s->name), "%s, %d/s", method_name[m],
			 rate);
	}
	for (k = 0; k < nr; k++) {
		st[k].t = calloc(samples, sizeof(*st[k].t));
		if (!st[k].t)
			die("calloc", ENOMEM);
	}

	/* Once, for the code page and KVM's page tables. */
	guest_pass(&g, FRESH_GPA, FRESH_SIZE / PAGE, true, NULL);
	for (c = 0; c < STORM_CHUNKS; c++)
		for (k = 0; k < nr; k++)
			storm_chunk(&g, ram, &st[k], chunk);
	for (k = 0; k < nr; k++) {
		res[k] = summarize(st[k].t, samples, st[k].total);
		free(st[k].t);
	}
	for (m = A; m < NR_METHODS; m++)
		teardown(&b[m]);
	vshm_guest_destroy(&g);
	munmap(ram, FRESH_SIZE);

	printf("\n### Scenario 4: a vCPU faulting in %llu KiB of fresh memory %s\n\n",
	       (unsigned long long)(FRESH_SIZE / 1024),
	       "per iteration, against a MAP/UNMAP storm");
	printf("| other thread | vCPU p50 us | vCPU p99 us | p50 vs no storm |");
	printf(" p99 vs no storm | p99 vs CPU 1 busy | storm cycles/s |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (k = 0; k < nr; k++) {
		printf("| %s | %.0f | %.0f | %.2fx | %.2fx | %.2fx | ",
		       st[k].name, res[k].median_us, res[k].p99_us,
		       res[k].median_us / res[0].median_us,
		       res[k].p99_us / res[0].p99_us,
		       res[k].p99_us / res[1].p99_us);
		if (st[k].load >= LOAD_STORM)
			printf("%.0f |\n", 1e9 * st[k].cycles / st[k].ns);
		else
			printf("- |\n");
	}
	printf("\n%d iterations per row, in %d chunks taking turns; the vCPU on CPU 0,\n",
	       samples, STORM_CHUNKS);
	printf("the other thread on %s.  \"CPU 1 busy\": it spins in userspace.\n",
	       ncpus() > 1 ? "CPU 1" : "the same CPU");
}

static long meminfo_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			sscanf(line + strlen(key) + 1, "%ld", &v);
	fclose(f);
	return v;
}

static long kernel_kb(void)
{
	return meminfo_kb("SUnreclaim") + meminfo_kb("PageTables");
}

static void scenario_memory(void)
{
	const int n = 20000;
	long before, mapped, faulted;
	uint32_t sink = 0;
	struct bench b;
	int i;

	setup(&b, A, NULL, SLOT_BASE, GPA_BASE, 2 * n * PAGE, 0, FILE_SIZE);
	before = kernel_kb();
	for (i = 0; i < n; i++)
		if (do_map(&b, i * 2 * PAGE, PAGE, i))
			die("populating", errno);
	mapped = kernel_kb();
	for (i = 0; i < n; i++)
		sink += __atomic_load_n((uint32_t *)((char *)b.r.hva +
						     i * 2 * PAGE),
					__ATOMIC_RELAXED);
	faulted = kernel_kb();
	printf("\n### Scenario 5: kernel memory of A (unreclaimable slab + page tables)\n\n");
	printf("| what | bytes each |\n|---|---|\n");
	printf("| mapping (%d of them) | %.0f |\n", n,
	       (mapped - before) * 1024.0 / n);
	printf("| resident page (%d of them) | %.0f |\n", n,
	       (faulted - mapped) * 1024.0 / n);
	for (i = 0; i < n; i++)
		do_unmap(&b, i * 2 * PAGE, PAGE, i);
	teardown(&b);
	(void)sink;
}

static bool want(char scenario)
{
	const char *env = getenv("VSHM_BENCH_SCENARIOS");

	return !env || !*env || strchr(env, scenario);
}

int main(void)
{
	const char *p = "/sys/module/vhost_shmem/parameters/max_mappings";
	FILE *f = fopen(p, "w");
	struct utsname u;

	/* A holds 100000 mappings in scenario 2. */
	if (!f || fprintf(f, "200000\n") < 0 || fclose(f))
		die(p, errno);
	if (uname(&u))
		die("uname", errno);
	printf("## vshm-bench\n\n");
	printf("Kernel %s, %d CPU(s), VSHM_BENCH_ITERS=%d.\n", u.release,
	       ncpus(), bench_iters());
	printf("Methods: A = vhost-shmem, B = one KVM memory slot per mapping,\n");
	printf("C = MAP_FIXED into the reservation behind one slot.\n");
	if (want('1'))
		scenario_sizes(1000);
	if (want('2'))
		scenario_scale();
	if (want('3'))
		scenario_touch();
	if (want('4'))
		scenario_storm();
	if (want('5'))
		scenario_memory();
	return 0;
}
