// SPDX-License-Identifier: GPL-2.0
/*
 * A vhost-shmem performance benchmark: vhost-shmem against the ways VMMs
 * map shared memory into a guest today.
 *
 *   A  vhost-shmem: one region, one memory slot on its window;
 *      VHOST_SHMEM_MAP/UNMAP.
 *   B  a memory slot per mapping (QEMU): mmap the file and add a slot;
 *      delete the slot and munmap.
 *   C  a MAP_FIXED window (crosvm, cloud-hypervisor): one slot over a
 *      PROT_NONE reservation; mmap(MAP_FIXED) the file in, PROT_NONE back.
 *
 * Every method is measured in the same run, on the same machine; under
 * emulation only the ratios mean something.  Output is Markdown: a table
 * per scenario, and at the end every ratio of the run in one table.
 *
 * Scenarios: 1 MAP+UNMAP cycles of 4 KiB, 64 KiB and 2 MiB; 2 the same
 * cycle with more and more mappings present; 3 a vCPU's first touch and
 * steady-state reads of a freshly mapped 64 MiB mapping; 4 a vCPU faulting
 * in fresh memory while another thread runs a MAP/UNMAP storm; 5 A's
 * kernel memory per mapping and per resident page.  Run with -h for the
 * options; each has an environment variable for a default.
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <linux/align.h>
#include <linux/kernel-page-flags.h>
#include <linux/sizes.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#include "../vhost_shmem/vshm_test_util.h"

#define SHMID		0
#define FILE_SIZE	SZ_2M

/*
 * Memory slots: 0 is the library's, SLOT_FRESH scenario 4's guest RAM; a
 * method's first slot is A's window or C's reservation, B's mappings take
 * the slots after it.
 */
#define SLOT_FRESH	1
#define SLOT_BASE	2
/* Scenarios 1, 2 and 5 have no vCPU: the region is out of its reach. */
#define GPA_BASE	SZ_4G

/* Scenario 3: each row's 64 MiB mapping. */
#define TOUCH_SIZE	SZ_64M
#define TOUCH_GPA	SZ_1G
#define STEADY_PASSES	3

/* Scenario 4: the guest RAM faulted in again and again, and the storms. */
#define FRESH_SIZE	SZ_256K
#define FRESH_GPA	SZ_256M
#define STORM_GPA	SZ_2G
#define STORM_STRIDE	SZ_256M
#define STORM_CHUNKS	20

/* Scenarios 1 and 2: the measurements of a table take turns in chunks. */
#define CYCLE_CHUNKS	20

#define MAX_MAPPINGS_PARAM	"/sys/module/vhost_shmem/parameters/max_mappings"
#define FAULT_AROUND		"/sys/kernel/debug/fault_around_bytes"

/* The options; see help(). */
static struct {
	int iters;
	int max_b;
	int storm_rate;
	const char *scenarios;
} opt;

static int max_slots;

enum method { A, B, C, NR_METHODS };
static const char * const method_name[NR_METHODS] = {
	"A vhost-shmem", "B slot per mapping", "C MAP_FIXED window",
};

/* ---- the guest ---- */

/* What the guest does on its next run; set by the host before each. */
static struct {
	u64 gpa;
	u64 pages;
	u64 stride;
	u64 write;
} touch_args;

/*
 * Access the first 32-bit word of each of touch_args.pages pages from
 * touch_args.gpa (guest virtual is guest physical there): load them and
 * report their sum (modulo 2^32), or store in each the number of pages
 * left including it.
 */
static void guest_code(void)
{
	for (;;) {
		u64 gpa = READ_ONCE(touch_args.gpa);
		u64 pages = READ_ONCE(touch_args.pages);
		u64 stride = READ_ONCE(touch_args.stride);
		bool write = READ_ONCE(touch_args.write);
		u32 sum = 0;
		u64 i;

		for (i = 0; i < pages; i++) {
			u32 *p = (u32 *)(gpa + i * stride);

			if (write)
				WRITE_ONCE(*p, (u32)(pages - i));
			else
				sum += READ_ONCE(*p);
		}
		GUEST_SYNC(sum);
	}
}

/* How guest_map() maps, for the notes under the tables. */
#ifdef __x86_64__
static const char guest_map_pages[] = "the guest maps them with 2 MiB pages";
#else
static const char guest_map_pages[] = "the guest maps them with its base pages";
#endif

/*
 * Map [@gpa, @gpa + @size) of the guest at the same guest virtual address,
 * with 2 MiB pages where the library has them (the guest's own page walks
 * are not what is measured).
 */
static void guest_map(struct kvm_vm *vm, u64 gpa, u64 size)
{
#ifdef __x86_64__
	if (!(gpa % SZ_2M) && !(size % SZ_2M)) {
		virt_map_level(vm, gpa, gpa, size, PG_LEVEL_2M);
		return;
	}
#endif
	virt_map(vm, gpa, gpa, size / vm->page_size);
}

/*
 * A VM with one vCPU running guest_code(), with room for the page tables
 * that map @size bytes more with small pages (guest_map()).
 */
static struct kvm_vm *guest_create(struct kvm_vcpu **vcpu, u64 size)
{
	return __vm_create_with_one_vcpu(vcpu, size / getpagesize() / 256 + 64,
					 guest_code);
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/*
 * Run one pass of the guest over @pages pages from @gpa; returns how long
 * KVM_RUN took, in ns, and the sum the guest read in *@sum (if not NULL).
 */
static u64 guest_pass(struct kvm_vcpu *vcpu, u64 gpa, u64 pages, bool write,
		      u32 *sum)
{
	struct ucall uc;
	u64 t0, ns;

	touch_args.gpa = gpa;
	touch_args.pages = pages;
	touch_args.stride = PAGE;
	touch_args.write = write;
	sync_global_to_guest(vcpu->vm, touch_args);

	t0 = now_ns();
	vcpu_run(vcpu);
	ns = now_ns() - t0;

	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("unexpected exit: %s",
			  exit_reason_str(vcpu->run->exit_reason));
	}
	if (sum)
		*sum = uc.args[1];
	return ns;
}

/* ---- the three methods ---- */

struct bench {
	enum method m;
	struct kvm_vm *vm;
	bool own_vm;		/* the VM is the bench's, not a guest's */
	int fd;			/* the memfd mapped */
	int dev;		/* A: /dev/vhost-shmem */
	int slot;		/* A's or C's slot; B's go after it */
	u64 gpa;		/* where the region (the window) starts */
	u64 span;
	void *win;		/* A: the window; C: the reservation */
	void **hva;		/* B: the host mapping of each slot */
};

static int set_slot(struct kvm_vm *vm, int slot, u64 gpa, void *hva,
		    u64 size)
{
	return __vm_set_user_memory_region(vm, slot, 0, gpa, size, hva) ?
	       -errno : 0;
}

/* Map @len bytes of the file at offset @off of the region, slot @idx. */
static int do_map(struct bench *b, u64 off, u64 len, int idx)
{
	void *p;

	switch (b->m) {
	case A:
		return vshm_map(b->dev, SHMID, b->fd, 0, off, len,
				VHOST_SHMEM_MAP_F_RW);
	case B:
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
		if (p == MAP_FAILED)
			return -errno;
		b->hva[idx] = p;
		return set_slot(b->vm, b->slot + 1 + idx, b->gpa + off, p, len);
	default:
		p = mmap((char *)b->win + off, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, b->fd, 0);
		return p == MAP_FAILED ? -errno : 0;
	}
}

static int do_unmap(struct bench *b, u64 off, u64 len, int idx)
{
	void *p;
	int ret;

	switch (b->m) {
	case A:
		return vshm_unmap(b->dev, SHMID, off, len);
	case B:
		ret = set_slot(b->vm, b->slot + 1 + idx, b->gpa + off, NULL, 0);
		munmap(b->hva[idx], len);
		return ret;
	default:
		p = mmap((char *)b->win + off, len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
			 -1, 0);
		return p == MAP_FAILED ? -errno : 0;
	}
}

/*
 * Set method @m up for mappings in [@gpa, @gpa + @span) of the guest, with
 * room for @present mappings besides the measured one, in @vm, or in a VM
 * of its own, without vCPU, if @vm is NULL.  The memfd mapped is
 * @file_size bytes long.  For A, @slot < 0: no memory slot on the window,
 * hence no MMU notifier of KVM.
 */
static void setup(struct bench *b, enum method m, struct kvm_vm *vm,
		  int slot, u64 gpa, u64 span, int present, u64 file_size)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->m = m;
	b->span = span;
	b->slot = slot;
	b->gpa = gpa;
	b->dev = -1;
	b->own_vm = !vm;
	b->vm = vm ?: vm_create_barebones();
	b->fd = memfd_create("vhost_shmem_perf_test", MFD_CLOEXEC);
	TEST_ASSERT(b->fd >= 0 && !ftruncate(b->fd, file_size),
		    "memfd of %lu bytes: %s", (unsigned long)file_size,
		    strerror(errno));

	if (m == A) {
		b->dev = vshm_open();
		TEST_ASSERT(b->dev >= 0, VSHM_DEV ": %s", strerror(errno));
		ret = vshm_region_window(b->dev, SHMID, span, &b->win);
		/* As a VMM that wants 2 MiB mappings does. */
		if (!ret)
			ret = window_allow_pmd(b->win, span);
		if (!ret && slot >= 0)
			ret = set_slot(b->vm, slot, gpa, b->win, span);
		TEST_ASSERT(!ret, "vhost-shmem set-up: %s", strerror(-ret));
	} else if (m == B) {
		b->hva = calloc(present + 1, sizeof(*b->hva));
		TEST_ASSERT(b->hva, "calloc");
	} else {
		/* Aligned, so that 2 MiB folios can map with one PMD. */
		b->win = mmap_aligned(span, PROT_NONE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				      -1, 0, SZ_2M);
		TEST_ASSERT(b->win != MAP_FAILED, "reservation: %s",
			    strerror(errno));
		ret = set_slot(b->vm, slot, gpa, b->win, span);
		TEST_ASSERT(!ret, "KVM_SET_USER_MEMORY_REGION: %s",
			    strerror(-ret));
	}
}

/* After every mapping is gone (B's slots with them). */
static void teardown(struct bench *b)
{
	/* In a VM that outlives the bench, A's and C's slot must go. */
	if (!b->own_vm && b->m != B && b->slot >= 0)
		TEST_ASSERT(!set_slot(b->vm, b->slot, b->gpa, NULL, 0),
			    "deleting a memory slot: %s", strerror(errno));
	if (b->m == A) {
		munmap(b->win, b->span);
		TEST_ASSERT(!vshm_region_destroy(b->dev, SHMID),
			    "VHOST_SHMEM_REGION_DESTROY");
		close(b->dev);
	}
	/* Otherwise the slots go with the VM. */
	if (b->own_vm)
		kvm_vm_free(b->vm);
	close(b->fd);
	if (b->m == B)
		free(b->hva);
	if (b->m == C)
		munmap(b->win, b->span);
}

/* ---- results and ratios ---- */

struct result {
	double median_us, p99_us, per_sec;
	bool ok;
};

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Sorts the @n samples (ns) of @t; their total is @total ns. */
static struct result summarize(u64 *t, int n, u64 total)
{
	struct result r;

	qsort(t, n, sizeof(*t), cmp_u64);
	r.median_us = t[n / 2] / 1000.0;
	r.p99_us = t[(n * 99) / 100] / 1000.0;
	r.per_sec = 1e9 * n / total;
	r.ok = true;
	return r;
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

/*
 * Every ratio of the run, in the order measured: two results of the same
 * run divided, the one thing emulation leaves meaningful.  Each has a name
 * that says what it compares; the report ends with all of them in one
 * table, where a target and whether it is met can go beside each.
 */
struct ratio {
	char name[96];
	double measured;	/* NAN: not measured (a method skipped) */
	int prec;		/* decimals printed */
	bool listed;		/* in the last table: not a row against itself */
	double target;		/* met when measured <= target; NAN: none */
};

static struct ratio ratios[128];
static int nr_ratios;

/*
 * Record the ratio @num / @den (not measured unless @ok) under the name
 * @fmt..., printed with @prec decimals; returns it.
 */
static __printf(5, 6) struct ratio *ratio(bool ok, double num, double den,
					  int prec, const char *fmt, ...)
{
	struct ratio *r = &ratios[nr_ratios];
	va_list ap;

	TEST_ASSERT(nr_ratios < ARRAY_SIZE(ratios), "too many ratios");
	nr_ratios++;
	va_start(ap, fmt);
	vsnprintf(r->name, sizeof(r->name), fmt, ap);
	va_end(ap);
	r->measured = ok && den > 0 ? num / den : NAN;
	r->prec = prec;
	r->listed = true;
	r->target = NAN;
	return r;
}

/* Give @r the goal @target: met when the ratio measured is at most it. */
static void ratio_target(struct ratio *r, double target)
{
	r->target = target;
}

/* Whether @r meets its target, as printed (to its precision). */
static bool ratio_is_met(const struct ratio *r)
{
	double half = 0.5;
	int i;

	for (i = 0; i < r->prec; i++)
		half /= 10;
	return r->measured < r->target + half;
}

/* "met", "missed", or "-" (no target, or not measured). */
static const char *ratio_met(const struct ratio *r)
{
	if (isnan(r->target) || isnan(r->measured))
		return "-";
	return ratio_is_met(r) ? "met" : "missed";
}

/* A ratio as a table cell or in a sentence: "3.1x", or "-". */
static const char *ratio_str(const struct ratio *r)
{
	static char buf[8][32];
	static int i;
	char *s = buf[i++ % ARRAY_SIZE(buf)];

	if (isnan(r->measured))
		return "-";
	snprintf(s, sizeof(buf[0]), "%.*fx", r->prec, r->measured);
	return s;
}

static void print_ratios(void)
{
	int i, met = 0, missed = 0, unmeasured = 0;
	const struct ratio *r;

	printf("\n### Ratios\n\n");
	printf("Every ratio above, by what it compares (\"-\": not measured).\n\n");
	printf("| ratio | measured |\n");
	printf("|---|---|\n");
	for (i = 0; i < nr_ratios; i++)
		if (ratios[i].listed)
			printf("| %s | %s |\n", ratios[i].name,
			       ratio_str(&ratios[i]));

	printf("\n### Targets\n\n");
	printf("The ratios that have a goal (README, \"Benchmark\"): met when the\n");
	printf("ratio measured, as printed, is at most the target.\n\n");
	printf("| ratio | measured | target | |\n");
	printf("|---|---|---|---|\n");
	for (i = 0; i < nr_ratios; i++) {
		r = &ratios[i];
		if (isnan(r->target))
			continue;
		printf("| %s | %s | <= %.2fx | %s |\n", r->name, ratio_str(r),
		       r->target, ratio_met(r));
		if (isnan(r->measured))
			unmeasured++;
		else if (ratio_is_met(r))
			met++;
		else
			missed++;
	}
	printf("\nTargets: %d met, %d missed, %d not measured.\n", met, missed,
	       unmeasured);
}

/* ---- scenarios 1 and 2: MAP+UNMAP cycles, no vCPU ---- */

static int iters_for(enum method m)
{
	return m == B ? max(opt.iters / 5, 1) : opt.iters;
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
	u64 len;
	int slot;		/* < 0: A without a memory slot on its window */
	bool skip;
	/* In the cell's process. */
	struct bench b;
	u64 hole, *t, total;
	int n, iters;
	/* In the parent. */
	bool ok;
	pid_t pid;
	int cmd, done;		/* pipes to and from the cell's process */
};

static bool cell_setup(struct cell *c)
{
	int i, ret;

	c->hole = ALIGN(c->present * 2 * PAGE, SZ_2M);
	setup(&c->b, c->m, NULL, c->slot, GPA_BASE, c->hole + SZ_2M,
	      c->present, FILE_SIZE);
	if (c->m == B && SLOT_BASE + c->present + 2 > max_slots) {
		teardown(&c->b);
		return false;
	}
	for (i = 0; i < c->present; i++) {
		ret = do_map(&c->b, i * 2 * PAGE, PAGE, i);
		TEST_ASSERT(!ret, "%s: populating: %s", method_name[c->m],
			    strerror(-ret));
	}
	c->iters = iters_for(c->m);
	c->t = calloc(c->iters, sizeof(*c->t));
	TEST_ASSERT(c->t, "calloc");
	return true;
}

/* The next chunk of cell @c's cycles. */
static void cell_run(struct cell *c)
{
	int end = min(c->n + DIV_ROUND_UP(c->iters, CYCLE_CHUNKS), c->iters);
	int ret;

	for (; c->n < end; c->n++) {
		u64 t0 = now_ns();

		ret = do_map(&c->b, c->hole, c->len, c->present);
		if (!ret)
			ret = do_unmap(&c->b, c->hole, c->len, c->present);
		TEST_ASSERT(!ret, "%s: %s", method_name[c->m], strerror(-ret));
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
	TEST_ASSERT(!pipe(to) && !pipe(from), "pipe: %s", strerror(errno));
	/* Nothing buffered may be written twice. */
	fflush(stdout);
	c->pid = fork();
	TEST_ASSERT(c->pid >= 0, "fork: %s", strerror(errno));
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
	TEST_ASSERT(read(c->done, &ans, 1) == 1,
		    "%s: the measurement's set-up failed", method_name[c->m]);
	c->ok = ans == 'y';
}

/* Tell cell @c to do @cmd and wait until it has: its result for 'q'. */
static struct result cell_do(struct cell *c, char cmd)
{
	struct result r = { 0 };
	char ans;

	TEST_ASSERT(write(c->cmd, &cmd, 1) == 1, "%s: measuring",
		    method_name[c->m]);
	if (cmd == 'q')
		TEST_ASSERT(read(c->done, &r, sizeof(r)) == sizeof(r),
			    "%s: measuring", method_name[c->m]);
	else
		TEST_ASSERT(read(c->done, &ans, 1) == 1, "%s: measuring",
			    method_name[c->m]);
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
	int iters = iters_for(A), dev, i;
	struct vhost_shmem_info info;
	u64 total = 0, *t;
	struct result r;

	dev = vshm_open();
	TEST_ASSERT(dev >= 0, VSHM_DEV ": %s", strerror(errno));
	t = calloc(iters, sizeof(*t));
	TEST_ASSERT(t, "calloc");
	for (i = 0; i < iters; i++) {
		u64 t0 = now_ns();

		TEST_ASSERT(!vshm_get_info(dev, &info) &&
			    !vshm_get_info(dev, &info),
			    "VHOST_SHMEM_GET_INFO: %s", strerror(errno));
		t[i] = now_ns() - t0;
		total += t[i];
	}
	r = summarize(t, iters, total);
	free(t);
	close(dev);
	return r;
}

/*
 * Issue 17's batch row: with @present mappings in the region, 32 relayed
 * messages per VHOST_SHMEM_RELAY_BATCH (16 SHMEM_MAPs of 4 KiB side by
 * side, then their 16 SHMEM_UNMAPs), per message, against a MAP or an
 * UNMAP of A and of C: half of @a_us and @c_us, their MAP+UNMAP cycles.
 */
static void batch_row(int present, double a_us, double c_us)
{
	enum { NR = 32 };
	struct vhost_shmem_relay_entry e[NR];
	struct vhost_shmem_relay_batch rb = {
		.size = sizeof(rb),
		.entries = (uintptr_t)e,
		.entry_len = sizeof(e[0]),
		.entry_num = NR,
	};
	u8 msg[NR][sizeof(struct vhost_shmem_user_hdr) +
		   sizeof(struct vhost_shmem_user_mmap)];
	int iters = max(opt.iters / 4, 1), i, k, ret;
	u64 hole = ALIGN(present * 2 * PAGE, SZ_2M), total = 0, *t;
	const struct ratio *ra;
	struct vhost_shmem_info info;
	struct ratio *rc;
	struct result r;
	double per_msg;
	struct bench b;

	setup(&b, A, NULL, SLOT_BASE, GPA_BASE, hole + SZ_2M, present,
	      FILE_SIZE);
	if (vshm_get_info(b.dev, &info) ||
	    !(info.features & VHOST_SHMEM_F_RELAY_BATCH)) {
		printf("\nA, %d relayed messages per ioctl: no VHOST_SHMEM_RELAY_BATCH\n",
		       NR);
		teardown(&b);
		return;
	}
	for (i = 0; i < present; i++)
		TEST_ASSERT(!do_map(&b, i * 2 * PAGE, PAGE, i), "populating");
	for (k = 0; k < NR; k++) {
		struct vhost_shmem_user_hdr hdr = {
			.request = k < NR / 2 ?
				   VHOST_SHMEM_USER_BACKEND_SHMEM_MAP :
				   VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP,
			.flags = VHOST_SHMEM_USER_VERSION,
			.size = sizeof(struct vhost_shmem_user_mmap),
		};
		struct vhost_shmem_user_mmap mm = {
			.shmid = SHMID,
			.fd_offset = k < NR / 2 ? (k % (NR / 2)) * PAGE : 0,
			.shm_offset = hole + (k % (NR / 2)) * PAGE,
			.len = PAGE,
			.flags = k < NR / 2 ? VHOST_SHMEM_MAP_F_RW : 0,
		};

		memcpy(msg[k], &hdr, sizeof(hdr));
		memcpy(msg[k] + sizeof(hdr), &mm, sizeof(mm));
		e[k] = (struct vhost_shmem_relay_entry){
			.msg = (uintptr_t)msg[k],
			.msg_len = sizeof(msg[k]),
			.fd = k < NR / 2 ? b.fd : -1,
		};
	}
	t = calloc(iters, sizeof(*t));
	TEST_ASSERT(t, "calloc");
	for (i = 0; i < iters; i++) {
		u64 t0 = now_ns();

		ret = ioctl(b.dev, VHOST_SHMEM_RELAY_BATCH, &rb);
		t[i] = now_ns() - t0;
		total += t[i];
		TEST_ASSERT(!ret, "VHOST_SHMEM_RELAY_BATCH: %s", strerror(errno));
		for (k = 0; k < NR; k++)
			TEST_ASSERT(!e[k].out_status && !e[k].out_result,
				    "message %d: %d, %d", k, e[k].out_status,
				    e[k].out_result);
	}
	r = summarize(t, iters, total);
	free(t);
	for (i = 0; i < present; i++)
		do_unmap(&b, i * 2 * PAGE, PAGE, i);
	teardown(&b);

	per_msg = r.median_us / NR;
	rc = ratio(true, per_msg, c_us / 2, 2,
		   "1: A, %d relayed messages per ioctl, per message / C per MAP or UNMAP",
		   NR);
	ratio_target(rc, 0.10);
	ra = ratio(true, per_msg, a_us / 2, 2,
		   "1: A, %d relayed messages per ioctl, per message / A per MAP or UNMAP",
		   NR);
	printf("\nA, %d relayed messages per ioctl (%d MAPs of 4 KiB, then their UNMAPs),\n",
	       NR, NR / 2);
	printf("%d mappings present: %.2f us per message (median batch %.1f us);\n",
	       present, per_msg, r.median_us);
	printf("per message / C per MAP or UNMAP %s (target <= 0.10x: %s),\n",
	       ratio_str(rc), ratio_met(rc));
	printf("per message / single-message A per MAP or UNMAP %s.\n",
	       ratio_str(ra));
}

static void scenario_sizes(int present)
{
	static const u64 sizes[] = { SZ_4K, SZ_64K, SZ_2M };
	struct cell cells[NR_METHODS + 1];
	struct result res[NR_METHODS + 1], floor;
	const struct ratio *ba, *ca;
	struct ratio *fl;
	unsigned int s;
	int m, nr;

	printf("\n### Scenario 1: MAP+UNMAP cycle, %d mappings present, %s\n\n",
	       present, "no vCPU");
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		u64 kib = sizes[s] / SZ_1K;

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
		       s ? "\n" : "", (unsigned long long)kib);
		printf("|---|---|---|---|\n");
		for (m = A; m < NR_METHODS; m++) {
			if (!res[m].ok) {
				printf("| %s | - | - | - |\n", method_name[m]);
				continue;
			}
			printf("| %s | %.1f | %.1f | %.0f |\n", method_name[m],
			       res[m].median_us, res[m].p99_us, res[m].per_sec);
		}
		ba = ratio(res[B].ok, res[B].median_us, res[A].median_us, 1,
			   "1: %llu KiB cycle, median B/A",
			   (unsigned long long)kib);
		ca = ratio(res[C].ok, res[C].median_us, res[A].median_us, 1,
			   "1: %llu KiB cycle, median C/A",
			   (unsigned long long)kib);
		printf("\nRatio of medians: B/A %s%s, C/A %s\n", ratio_str(ba),
		       res[B].ok ? "" : " (B not run)", ratio_str(ca));
		if (s)
			continue;
		/* Where A's time goes: the syscalls, and KVM's notifier. */
		floor = measure_ioctls();
		fl = ratio(true, res[A].median_us, floor.median_us, 2,
			   "1: %llu KiB cycle, A / two empty ioctls",
			   (unsigned long long)kib);
		ratio_target(fl, 1.3);
		printf("\nFor scale: A without a KVM memory slot on its window %.1f us,\n",
		       res[NR_METHODS].median_us);
		printf("two VHOST_SHMEM_GET_INFO ioctls %.1f us (medians): A is %s of them.\n",
		       floor.median_us, ratio_str(fl));
		if (res[A].ok && res[C].ok)
			batch_row(present, res[A].median_us, res[C].median_us);
	}
}

/*
 * Every row runs A with one mapping present beside the others, so that
 * "A vs 1 present" compares cycles measured in turns, in the same stretch.
 */
static void scenario_scale(void)
{
	static const int present[] = { 1, 1000, 10000, 30000, 100000 };
	struct cell cells[NR_METHODS + 1];
	struct result res[NR_METHODS + 1];
	const struct ratio *ba, *ca;
	struct ratio *a1;
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
				.skip = (m == B && present[i] > opt.max_b) ||
					(m == C && present[i] > 30000),
			};
		cells[NR_METHODS] = (struct cell){ .m = A, .present = 1,
						   .len = PAGE,
						   .slot = SLOT_BASE };
		run_cells(cells, NR_METHODS + 1, res);

		ba = ratio(res[B].ok, res[B].median_us, res[A].median_us, 1,
			   "2: %d present, median B/A", present[i]);
		ca = ratio(res[C].ok, res[C].median_us, res[A].median_us, 1,
			   "2: %d present, median C/A", present[i]);
		a1 = ratio(true, res[A].median_us, res[NR_METHODS].median_us, 2,
			   "2: %d present, A vs 1 present", present[i]);
		/* Flat: no row more than 1.25 times the one-mapping cycle. */
		ratio_target(a1, 1.25);
		printf("| %d | %.1f | ", present[i], res[A].median_us);
		printf(res[B].ok ? "%.1f | " : "- | ", res[B].median_us);
		printf(res[C].ok ? "%.1f | " : "- | ", res[C].median_us);
		printf("%s | %s | %s |\n", ratio_str(ba), ratio_str(ca),
		       ratio_str(a1));
	}
	printf("\nB runs up to %d mappings (-b, VSHM_BENCH_MAX_B): one memory slot each,\n",
	       opt.max_b);
	printf("within KVM's slot limit; C up to 30000 (vm.max_map_count).\n");
	printf("\"A vs 1 present\": against A with one mapping, run in turns with the row.\n");
}

/* ---- scenario 3: a vCPU reads a fresh mapping ---- */

/* One row of scenario 3. */
struct touch {
	const char *name;
	enum method m;
	bool prefault;		/* A: the VMM faults the window in at MAP */
	bool no_fault_around;	/* C: with fault_around_bytes = one page */
	bool huge;		/* a file of huge=always tmpfs: 2 MiB folios */
	bool pre_fault;		/* A: KVM_PRE_FAULT_MEMORY of the range at MAP */
	char dir[32];		/* where that tmpfs is mounted */
	struct bench b;
	double *map_us, *first, *steady;	/* ns per page but map_us */
};

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

static u64 touch_pages(void)
{
	return TOUCH_SIZE / PAGE;
}

/* Page i of each row's file starts with i: the sum of 0..pages-1. */
static void check_sum(const char *who, const char *name, u32 sum)
{
	u32 want = (u32)(touch_pages() * (touch_pages() - 1) / 2);

	TEST_ASSERT(sum == want, "%s: %s read sum %#x, not %#x", name, who,
		    sum, want);
}

/*
 * Have KVM map [@gpa, @gpa + @size) of the guest as a guest access would
 * (KVM_PRE_FAULT_MEMORY, 6.10 and later on x86 with TDP): its stage-2
 * entries, and, through the window's fault handler, the window's.
 */
static int pre_fault(struct kvm_vcpu *vcpu, u64 gpa, u64 size)
{
	struct kvm_pre_fault_memory range = { .gpa = gpa, .size = size };

	while (range.size)
		if (__vcpu_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &range) &&
		    errno != EINTR && errno != EAGAIN)
			return -errno;
	return 0;
}

/*
 * One round of row @t with @vcpu: map the 64 MiB memfd, have the guest
 * read the first word of each page (first touch), then again
 * STEADY_PASSES times (steady state), and unmap.  The sum the guest
 * reports proves it read the file.
 */
static void touch_round(struct kvm_vcpu *vcpu, struct touch *t, long fa,
			int r)
{
	u64 gpa = t->b.gpa, pages = touch_pages(), t0, first, i;
	int k, ret;
	u32 sum;

	if (t->no_fault_around) {
		ret = set_fault_around(PAGE);
		TEST_ASSERT(!ret, "setting " FAULT_AROUND ": %s",
			    strerror(-ret));
	}
	t0 = now_ns();
	ret = do_map(&t->b, 0, TOUCH_SIZE, 0);
	TEST_ASSERT(!ret, "%s: %s", t->name, strerror(-ret));
	if (t->prefault) {
		for (i = 0, sum = 0; i < pages; i++)
			sum += READ_ONCE(*(u32 *)((char *)t->b.win + i * PAGE));
		check_sum("the VMM", t->name, sum);
	}
	if (t->pre_fault) {
		ret = pre_fault(vcpu, gpa, TOUCH_SIZE);
		TEST_ASSERT(!ret, "%s: KVM_PRE_FAULT_MEMORY: %s", t->name,
			    strerror(-ret));
	}
	t->map_us[r] = (now_ns() - t0) / 1000.0;
	first = guest_pass(vcpu, gpa, pages, false, &sum);
	check_sum("the guest", t->name, sum);
	t->first[r] = (double)first / pages;
	for (k = 0; k < STEADY_PASSES; k++) {
		u64 ns = guest_pass(vcpu, gpa, pages, false, &sum);

		check_sum("the guest", t->name, sum);
		t->steady[r * STEADY_PASSES + k] = (double)ns / pages;
	}
	ret = do_unmap(&t->b, 0, TOUCH_SIZE, 0);
	TEST_ASSERT(!ret, "%s: %s", t->name, strerror(-ret));
	if (t->no_fault_around) {
		ret = set_fault_around(fa);
		TEST_ASSERT(!ret, "restoring " FAULT_AROUND ": %s",
			    strerror(-ret));
	}
}

/*
 * Make row @t's file one of a tmpfs mounted huge=always, so that the page
 * cache holds it in 2 MiB folios.  Returns false (and says why) when there
 * is no such tmpfs.
 */
static bool touch_huge_file(struct touch *t)
{
	int fd;

	snprintf(t->dir, sizeof(t->dir), "/tmp/vshm-perf-XXXXXX");
	fd = huge_tmpfs_file(t->dir, 0, TOUCH_SIZE);
	if (fd < 0) {
		printf("# %s: no huge=always tmpfs (%s): row left out\n",
		       t->name, strerror(-fd));
		t->dir[0] = 0;
		return false;
	}
	close(t->b.fd);
	t->b.fd = fd;
	return true;
}

/*
 * Whether a guest reads a window over 2 MiB folios: up to 6.12 KVM cannot
 * map the tail pages of a large folio through a PFN mapping one page at a
 * time (the documented limitation), and 6.1 maps no PMD.
 */
static bool a_huge_ok(void)
{
	if (window_maps_pmd() || kernel_release() >= 6013)
		return true;
	printf("# A, 2 MiB folios: left out, KVM before 6.13 cannot map the tail pages\n");
	printf("# of a large folio from 4 KiB entries of a window (no PMDs before 6.12)\n");
	return false;
}

/* Rows of scenario 3, in the order they take turns. */
enum {
	T_A, T_B, T_C, T_A_PREFAULT, T_A_PRE_FAULT_KVM, T_A_HUGE, T_C_HUGE,
	T_C_NO_FA, NR_TOUCH
};

/*
 * Scenario 3, and rows that explain it: A with the window faulted in by
 * the VMM before the guest runs (what populating at MAP time would give),
 * A and C over a file in 2 MiB folios (one PMD, and one 2 MiB KVM entry,
 * per 2 MiB where the kernel maps PFNs at PMD level), and C without
 * fault-around (the host's page fault then maps one page, as A's does).
 * Each row has its own 64 MiB of guest physical space and its own file,
 * filled before the first MAP; the rows take turns, round after round.
 */
static void scenario_touch(void)
{
	int rounds = max(opt.iters / 333, 1);
	long fa = get_fault_around();
	struct touch t[NR_TOUCH] = {
		[T_A] = { .name = "A vhost-shmem", .m = A },
		[T_B] = { .name = "B slot per mapping", .m = B },
		[T_C] = { .name = "C MAP_FIXED window", .m = C },
		[T_A_PREFAULT] = {
			.name = "A, the VMM faults the window in at MAP",
			.m = A, .prefault = true },
		[T_A_PRE_FAULT_KVM] = {
			.name = "A, KVM_PRE_FAULT_MEMORY at MAP", .m = A,
			.pre_fault = true },
		[T_A_HUGE] = { .name = "A, 2 MiB folios", .m = A,
			       .huge = true },
		[T_C_HUGE] = { .name = "C, 2 MiB folios", .m = C,
			       .huge = true },
		[T_C_NO_FA] = { .name = "C, fault-around off", .m = C,
				.no_fault_around = true },
	};
	double first[NR_TOUCH], steady[NR_TOUCH];
	struct ratio *r1, *r2, *r3, *r4, *r5, *r6 = NULL, *r7, *r8, *r9, *r10;
	bool run[NR_TOUCH], huge = true;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int k, r;
	u64 i;
	char *p;

	/* Without a writable fault_around_bytes, no row without it. */
	if (fa > 0 && set_fault_around(fa))
		fa = -1;
	vm = guest_create(&vcpu, NR_TOUCH * TOUCH_SIZE);
	guest_map(vm, TOUCH_GPA, NR_TOUCH * TOUCH_SIZE);
	for (k = 0; k < NR_TOUCH; k++) {
		run[k] = (k != T_C_NO_FA || fa > 0) &&
			 (k != T_A_PRE_FAULT_KVM ||
			  kvm_check_cap(KVM_CAP_PRE_FAULT_MEMORY)) &&
			 (k != T_A_HUGE || a_huge_ok());
		if (!run[k])
			continue;
		setup(&t[k].b, t[k].m, vm, SLOT_BASE + 2 * k,
		      TOUCH_GPA + k * TOUCH_SIZE, TOUCH_SIZE, 1, TOUCH_SIZE);
		if (t[k].huge && !touch_huge_file(&t[k])) {
			teardown(&t[k].b);
			run[k] = false;
			continue;
		}
		p = mmap(NULL, TOUCH_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 t[k].b.fd, 0);
		TEST_ASSERT(p != MAP_FAILED, "mmap of the file: %s",
			    strerror(errno));
		for (i = 0; i < touch_pages(); i++)
			*(u32 *)(p + i * PAGE) = i;
		/* Every 2 MiB in one folio: its middle page is a tail. */
		for (i = 0; t[k].huge && i < TOUCH_SIZE; i += SZ_2M)
			if (!(pfn_flags(pfn_of(p + i + SZ_1M)) &
			      (1ULL << KPF_COMPOUND_TAIL)))
				huge = false;
		munmap(p, TOUCH_SIZE);
		t[k].map_us = calloc(rounds, sizeof(double));
		t[k].first = calloc(rounds, sizeof(double));
		t[k].steady = calloc(rounds * STEADY_PASSES, sizeof(double));
		TEST_ASSERT(t[k].map_us && t[k].first && t[k].steady, "calloc");
	}
	for (r = 0; r < rounds; r++)
		for (k = 0; k < NR_TOUCH; k++)
			if (run[k])
				touch_round(vcpu, &t[k], fa, r);

	printf("\n### Scenario 3: a vCPU reads every page of a freshly mapped %llu MiB memfd\n\n",
	       (unsigned long long)(TOUCH_SIZE / SZ_1M));
	printf("| method | MAP us | first touch ns/page | steady ns/page |\n");
	printf("|---|---|---|---|\n");
	for (k = 0; k < NR_TOUCH; k++) {
		first[k] = run[k] ? median(t[k].first, rounds) : NAN;
		steady[k] = run[k] ?
			    median(t[k].steady, rounds * STEADY_PASSES) : NAN;
		if (run[k])
			printf("| %s | %.0f | %.0f | %.1f |\n", t[k].name,
			       median(t[k].map_us, rounds), first[k],
			       steady[k]);
	}
	r1 = ratio(true, first[T_A], first[T_C], 2, "3: first touch, A/C");
	ratio_target(r1, 1.1);
	r2 = ratio(true, first[T_A], first[T_B], 2, "3: first touch, A/B");
	r3 = ratio(true, steady[T_A], steady[T_C], 2, "3: steady state, A/C");
	r4 = ratio(true, steady[T_A], steady[T_B], 2, "3: steady state, A/B");
	r5 = ratio(true, first[T_A_PREFAULT], first[T_C], 2,
		   "3: first touch, A faulted in at MAP / C");
	r7 = ratio(true, first[T_A_PREFAULT], steady[T_A], 2,
		   "3: first touch, A faulted in at MAP / A steady state");
	r10 = ratio(run[T_A_PRE_FAULT_KVM], first[T_A_PRE_FAULT_KVM],
		    steady[T_A], 2,
		    "3: first touch, A pre-faulted by KVM at MAP / A steady state");
	/* Populated at MAP: the VMM's window, or KVM's stage 2 as well. */
	ratio_target(r7, 1.1);
	ratio_target(r10, 1.1);
	if (run[T_C_NO_FA])
		r6 = ratio(true, first[T_A], first[T_C_NO_FA], 2,
			   "3: first touch, A / C without fault-around");
	r8 = ratio(run[T_A_HUGE] && run[T_C_HUGE], first[T_A_HUGE],
		   first[T_C_HUGE], 2, "3: first touch, A/C, 2 MiB folios");
	ratio_target(r8, 1.0);
	r9 = ratio(run[T_A_HUGE], steady[T_A_HUGE], steady[T_A], 2,
		   "3: steady state, A 2 MiB folios / A 4 KiB pages");
	ratio_target(r9, 1.0);
	printf("\nFirst touch: A/C %s, A/B %s; steady state: A/C %s, A/B %s.\n",
	       ratio_str(r1), ratio_str(r2), ratio_str(r3), ratio_str(r4));
	printf("First touch, A faulted in at MAP / C: %s; / A steady state: %s;\n",
	       ratio_str(r5), ratio_str(r7));
	printf("A pre-faulted by KVM at MAP / A steady state: %s%s", ratio_str(r10),
	       run[T_A_PRE_FAULT_KVM] ? "" : " (no KVM_CAP_PRE_FAULT_MEMORY)");
	if (r6)
		printf("; A / C without fault-around (by default %ld bytes): %s",
		       fa, ratio_str(r6));
	else
		printf("; no row without fault-around: %s is not writable",
		       FAULT_AROUND);
	printf(".\n2 MiB folios: first touch A/C %s; ", ratio_str(r8));
	printf("steady state against A's over 4 KiB pages %s.\n", ratio_str(r9));
	printf("\nMedians of %d round(s) (steady: %d passes each);\n",
	       rounds, STEADY_PASSES);
	printf("the file's pages are in the page cache before MAP; %s;\n",
	       guest_map_pages);
	printf("the 2 MiB rows' files are on tmpfs huge=always%s.\n",
	       huge ? ", every 2 MiB one folio" :
		      ", but some 2 MiB did NOT get one folio");

	for (k = 0; k < NR_TOUCH; k++) {
		if (!run[k])
			continue;
		teardown(&t[k].b);
		if (t[k].dir[0]) {
			umount2(t[k].dir, MNT_DETACH);
			rmdir(t[k].dir);
		}
		free(t[k].map_us);
		free(t[k].first);
		free(t[k].steady);
	}
	kvm_vm_free(vm);
}

/* ---- scenario 4: a vCPU against a MAP/UNMAP storm ---- */

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
	u64 period_ns;		/* LOAD_PACED */
	pthread_t thread;
	int stop;		/* atomic */
	int err;
	u64 cycles, ns;		/* done, and in how long */
	u64 *t, total;		/* the vCPU's iterations */
	int n;
};

static int ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

static void sleep_until(u64 ns)
{
	struct timespec ts = {
		.tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static void *storm_fn(void *arg)
{
	struct storm *s = arg;
	u64 next = now_ns();
	int ret = 0;

	if (ncpus() > 1)
		pin_self_to_cpu(1);
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
static void storm_chunk(struct kvm_vcpu *vcpu, void *ram, struct storm *s,
			int n)
{
	u64 t0 = now_ns();
	int i, ret;

	if (s->load != LOAD_NONE) {
		s->stop = 0;
		ret = pthread_create(&s->thread, NULL, storm_fn, s);
		TEST_ASSERT(!ret, "pthread_create: %s", strerror(ret));
	}
	for (i = 0; i < n; i++) {
		TEST_ASSERT(!madvise(ram, FRESH_SIZE, MADV_DONTNEED),
			    "madvise: %s", strerror(errno));
		s->t[s->n] = guest_pass(vcpu, FRESH_GPA, FRESH_SIZE / PAGE,
					true, NULL);
		s->total += s->t[s->n++];
	}
	if (s->load == LOAD_NONE)
		return;
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	pthread_join(s->thread, NULL);
	s->ns += now_ns() - t0;
	TEST_ASSERT(!s->err, "%s: %s", s->name, strerror(s->err));
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
	int chunk = DIV_ROUND_UP(max(opt.iters / 5, 1), STORM_CHUNKS);
	int samples = chunk * STORM_CHUNKS;
	struct storm st[2 + 2 * NR_METHODS], *s;
	struct ratio *p50, *p99, *busy;
	struct result res[ARRAY_SIZE(st)];
	const int nr = ARRAY_SIZE(st);
	struct bench b[NR_METHODS];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int c, m, k;
	void *ram;

	vm = guest_create(&vcpu, FRESH_SIZE);
	if (ncpus() > 1)
		pin_self_to_cpu(0);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, FRESH_GPA,
				    SLOT_FRESH, FRESH_SIZE / vm->page_size, 0);
	guest_map(vm, FRESH_GPA, FRESH_SIZE);
	ram = addr_gpa2hva(vm, FRESH_GPA);

	memset(st, 0, sizeof(st));
	st[0].load = LOAD_NONE;
	snprintf(st[0].name, sizeof(st[0].name), "no storm");
	st[1].load = LOAD_SPIN;
	snprintf(st[1].name, sizeof(st[1].name), "no storm, CPU 1 busy");
	for (m = A; m < NR_METHODS; m++) {
		setup(&b[m], m, vm, SLOT_BASE + 2 * m,
		      STORM_GPA + m * STORM_STRIDE, SZ_2M, 1, FILE_SIZE);
		s = &st[2 + m];
		s->load = LOAD_STORM;
		s->b = &b[m];
		snprintf(s->name, sizeof(s->name), "%s", method_name[m]);
		s = &st[2 + NR_METHODS + m];
		s->load = LOAD_PACED;
		s->b = &b[m];
		s->period_ns = NSEC_PER_SEC / opt.storm_rate;
		snprintf(s->name, sizeof(s->name), "%s, %d/s", method_name[m],
			 opt.storm_rate);
	}
	for (k = 0; k < nr; k++) {
		st[k].t = calloc(samples, sizeof(*st[k].t));
		TEST_ASSERT(st[k].t, "calloc");
	}

	/* Once, for the guest's code and KVM's page tables. */
	guest_pass(vcpu, FRESH_GPA, FRESH_SIZE / PAGE, true, NULL);
	for (c = 0; c < STORM_CHUNKS; c++)
		for (k = 0; k < nr; k++)
			storm_chunk(vcpu, ram, &st[k], chunk);
	for (k = 0; k < nr; k++) {
		res[k] = summarize(st[k].t, samples, st[k].total);
		free(st[k].t);
	}
	for (m = A; m < NR_METHODS; m++)
		teardown(&b[m]);
	kvm_vm_free(vm);

	printf("\n### Scenario 4: a vCPU faulting in %llu KiB of fresh memory %s\n\n",
	       (unsigned long long)(FRESH_SIZE / SZ_1K),
	       "per iteration, against a MAP/UNMAP storm");
	printf("| other thread | vCPU p50 us | vCPU p99 us | p50 vs no storm |");
	printf(" p99 vs no storm | p99 vs CPU 1 busy | storm cycles/s |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (k = 0; k < nr; k++) {
		p50 = ratio(true, res[k].median_us, res[0].median_us, 2,
			    "4: %s, p50 vs no storm", st[k].name);
		p99 = ratio(true, res[k].p99_us, res[0].p99_us, 2,
			    "4: %s, p99 vs no storm", st[k].name);
		busy = ratio(true, res[k].p99_us, res[1].p99_us, 2,
			     "4: %s, p99 vs CPU 1 busy", st[k].name);
		/* The references' 1.00x stay in this table only. */
		p50->listed = k != 0;
		p99->listed = k != 0;
		busy->listed = k != 1;
		printf("| %s | %.0f | %.0f | %s | %s | %s | ", st[k].name,
		       res[k].median_us, res[k].p99_us, ratio_str(p50),
		       ratio_str(p99), ratio_str(busy));
		if (st[k].load >= LOAD_STORM)
			printf("%.0f |\n", 1e9 * st[k].cycles / st[k].ns);
		else
			printf("- |\n");
	}
	/* At equal operation rates (the paced rows), A's p99 against B's, C's. */
	k = 2 + NR_METHODS;
	ratio_target(ratio(true, res[k + A].p99_us, res[k + B].p99_us, 2,
			   "4: vCPU p99 at %d/s, A/B", opt.storm_rate), 1.0);
	ratio_target(ratio(true, res[k + A].p99_us, res[k + C].p99_us, 2,
			   "4: vCPU p99 at %d/s, A/C", opt.storm_rate), 1.0);
	printf("\n%d iterations per row, in %d chunks taking turns; the vCPU on CPU 0,\n",
	       samples, STORM_CHUNKS);
	printf("the other thread on %s.  \"CPU 1 busy\": it spins in userspace.\n",
	       ncpus() > 1 ? "CPU 1" : "the same CPU");
}

/* ---- scenario 5: A's kernel memory ---- */

static long meminfo_kb(const char *key)
{
	size_t len = strlen(key);
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			sscanf(line + len + 1, "%ld", &v);
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
	u32 sink = 0;
	struct bench b;
	int i, ret;

	setup(&b, A, NULL, SLOT_BASE, GPA_BASE, 2 * n * PAGE, 0, FILE_SIZE);
	before = kernel_kb();
	for (i = 0; i < n; i++) {
		ret = do_map(&b, i * 2 * PAGE, PAGE, i);
		TEST_ASSERT(!ret, "populating: %s", strerror(-ret));
	}
	mapped = kernel_kb();
	for (i = 0; i < n; i++)
		sink += READ_ONCE(*(u32 *)((char *)b.win + i * 2 * PAGE));
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

/* ---- options ---- */

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v && *v ? atoi_positive(name, v) : def;
}

static void help(const char *name)
{
	pr_info("usage: %s [-h] [-i iterations] [-b max_b] [-r storm_rate] [-s scenarios]\n",
		name);
	pr_info(" -h: print this text.\n");
	pr_info(" -i: scale the work (default VSHM_BENCH_ITERS or 1000; currently %d):\n",
		opt.iters);
	pr_info("     the cycles of scenarios 1 and 2 for A and C (a fifth of that for B),\n");
	pr_info("     a fifth of it vCPU iterations per row of scenario 4, 1/333 of\n");
	pr_info("     it rounds of scenario 3 (at least one of each)\n");
	pr_info(" -b: the most mappings B is asked to hold in scenario 2, one memory slot\n");
	pr_info("     each (default VSHM_BENCH_MAX_B or 10000; currently %d)\n",
		opt.max_b);
	pr_info(" -r: MAP+UNMAP cycles per second of scenario 4's paced storms (default\n");
	pr_info("     VSHM_BENCH_STORM_RATE or 25: with a vCPU running, B does not sustain\n");
	pr_info("     much more under emulation; currently %d)\n", opt.storm_rate);
	pr_info(" -s: the scenarios to run, e.g. \"34\" (default VSHM_BENCH_SCENARIOS or all;\n");
	pr_info("     currently \"%s\")\n", opt.scenarios);
	pr_info("\nScenarios:\n");
	pr_info("1: MAP+UNMAP cycles of 4 KiB, 64 KiB and 2 MiB, 1000 mappings present\n");
	pr_info("2: 4 KiB MAP+UNMAP cycles against 1 to 100000 mappings present\n");
	pr_info("3: a vCPU's first touch and steady-state reads of a fresh 64 MiB mapping\n");
	pr_info("4: a vCPU faulting in fresh memory against a MAP/UNMAP storm\n");
	pr_info("5: A's kernel memory per mapping and per resident page\n");
}

static bool parse_args(int argc, char *argv[])
{
	const char *s = getenv("VSHM_BENCH_SCENARIOS");
	int c;

	opt.iters = env_int("VSHM_BENCH_ITERS", 1000);
	opt.max_b = env_int("VSHM_BENCH_MAX_B", 10000);
	opt.storm_rate = env_int("VSHM_BENCH_STORM_RATE", 25);
	opt.scenarios = s && *s ? s : "12345";

	while ((c = getopt(argc, argv, "hi:b:r:s:")) != -1) {
		switch (c) {
		case 'i':
			opt.iters = atoi_positive("Iterations", optarg);
			break;
		case 'b':
			opt.max_b = atoi_non_negative("Max B mappings", optarg);
			break;
		case 'r':
			opt.storm_rate = atoi_positive("Storm rate", optarg);
			break;
		case 's':
			opt.scenarios = optarg;
			break;
		case 'h':
		default:
			help(argv[0]);
			return false;
		}
	}
	if (optind < argc) {
		help(argv[0]);
		return false;
	}
	for (s = opt.scenarios; *s; s++) {
		if (*s < '1' || *s > '5') {
			pr_info("No scenario '%c': there are 1 to 5\n", *s);
			return false;
		}
	}
	return true;
}

static bool want(char scenario)
{
	return strchr(opt.scenarios, scenario);
}

/* Set the module's max_mappings to at least @n; returns the old value. */
static long raise_max_mappings(long n)
{
	FILE *f = fopen(MAX_MAPPINGS_PARAM, "r+");
	long old = -1;

	TEST_ASSERT(f, MAX_MAPPINGS_PARAM ": %s", strerror(errno));
	TEST_ASSERT(fscanf(f, "%ld", &old) == 1, MAX_MAPPINGS_PARAM);
	fclose(f);
	if (old >= n)
		return -1;
	f = fopen(MAX_MAPPINGS_PARAM, "w");
	TEST_ASSERT(f && fprintf(f, "%ld\n", n) > 0 && !fclose(f),
		    MAX_MAPPINGS_PARAM ": %s", strerror(errno));
	return old;
}

int main(int argc, char *argv[])
{
	long old_max = -1;
	struct utsname u;
	FILE *f;
	int dev;

	if (!parse_args(argc, argv))
		return -1;

	dev = vshm_open();
	__TEST_REQUIRE(dev >= 0 || errno != ENOENT,
		       VSHM_DEV " missing: is vhost_shmem loaded?");
	TEST_ASSERT(dev >= 0, VSHM_DEV ": %s", strerror(errno));
	close(dev);
	max_slots = kvm_check_cap(KVM_CAP_NR_MEMSLOTS);

	/* A holds 100000 mappings in scenario 2. */
	if (want('2'))
		old_max = raise_max_mappings(200000);

	TEST_ASSERT(!uname(&u), "uname");
	printf("## vhost_shmem_perf_test\n\n");
	printf("Kernel %s, %d CPU(s), %d iterations (-i), scenarios %s.\n",
	       u.release, ncpus(), opt.iters, opt.scenarios);
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
	if (nr_ratios)
		print_ratios();

	if (old_max >= 0) {
		f = fopen(MAX_MAPPINGS_PARAM, "w");
		TEST_ASSERT(f && fprintf(f, "%ld\n", old_max) > 0 && !fclose(f),
			    "restoring " MAX_MAPPINGS_PARAM);
	}
	return 0;
}
