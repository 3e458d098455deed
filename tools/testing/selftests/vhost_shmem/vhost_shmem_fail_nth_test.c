// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation-failure sweep, as selftests/iommu/iommufd_fail_nth.c does it:
 * every allocation made by opening the device, REGION_CREATE, MAP (a first
 * and a second time of the same open file), UNMAP, RELAY of both, a
 * RELAY_BATCH of a MAP and an UNMAP, and RESET fails in turn, through the
 * calling thread's /proc/self/task/<tid>/fail-nth: the driver's own
 * allocations and those of the kernel code it calls (the mmap() probe of
 * MAP, the maple trees, the VFS on open), slab and page allocations alike.
 *
 * For n = 1, 2, ...: fail the n-th allocation, run the operation, and read
 * fail-nth back.  If the failure was injected, the operation failed with
 * ENOMEM and left everything as it was (REGION_INFO, what the window reads
 * and where it faults, the caller's own address space), or, when the
 * allocation was one it can do without (the admission cache, kmemleak's
 * own bookkeeping), it succeeded as usual; either way a retry without
 * injection succeeds.  The sweep ends at the first n the operation does
 * not reach: n - 1 is the number of allocation sites it covered, printed
 * for each operation.  Each operation is swept twice: with single
 * failures, then with bursts that start at the n-th allocation (see
 * struct inject).  At the end every file must be released.  Leaks and
 * splats are for the debug lane to find: it scans kmemleak after the
 * tests and fails on any kernel report.  The "events" variants listen to
 * the netlink family's events, so that the operations allocate them too.
 *
 * Needs CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB and
 * CONFIG_FAULT_INJECTION_DEBUG_FS (CONFIG_FAIL_PAGE_ALLOC for page
 * allocations), debugfs and root: skips otherwise.
 */
#include "vshm_test_util.h"
#include "vshm_nl.h"

#include <endian.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"

#define SHMID		3
#define SHMID_NEW	9
#define REGION_SIZE	(16 * PAGE)
#define FILE_SIZE	(8 * PAGE)
#define SEED		77
/* Mapping A stays; mapping B is the one the operations make or remove. */
#define A_OFF		0
#define B_OFF		(4 * PAGE)
#define B_FD_OFF	PAGE
#define MAP_LEN		(2 * PAGE)
/* More than any operation reaches; reaching it means the sweep is stuck. */
#define MAX_NTH		2000

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc/"

static int write_knob(const char *path, const char *val)
{
	ssize_t len = strlen(val), n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	close(fd);
	return n == len ? 0 : -EIO;
}

/*
 * Let fail-nth reach every allocation, quietly: by default failslab and
 * fail_page_alloc ignore allocations that may sleep, fail_page_alloc
 * ignores order-0 pages, and both print a stack for each failure.
 * fail-nth acts on the calling thread only, whatever task-filter says.
 * For bursts (see struct inject), every allocation fails while "times"
 * lasts, but only in a task that set make-it-fail (task-filter): "times"
 * stays 0 outside the operation under test and only this thread sets
 * make-it-fail, so no other task ever sees a failure.  Returns NULL, or
 * why the sweep cannot run.
 */
static const char *fault_injection_setup(bool *pages)
{
	static const char * const knobs[][2] = {
		{ "ignore-gfp-wait", "N" },
		{ "verbose", "0" },
		{ "times", "0" },
		{ "task-filter", "Y" },
		{ "probability", "100" },
		{ "interval", "1" },
		{ "space", "0" },
	};
	static const char * const page[][2] = {
		{ FAIL_PAGE "ignore-gfp-highmem", "N" },
		{ FAIL_PAGE "min-order", "0" },
	};
	char path[128];
	unsigned int i;

	if (access("/proc/self/fail-nth", F_OK))
		return "no /proc/self/fail-nth (CONFIG_FAULT_INJECTION)";
	if (access(FAILSLAB, F_OK))
		return "no " FAILSLAB " (CONFIG_FAILSLAB, _DEBUG_FS, debugfs)";
	*pages = !access(FAIL_PAGE, F_OK);
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(path, sizeof(path), FAILSLAB "%s", knobs[i][0]);
		if (write_knob(path, knobs[i][1]))
			return "cannot configure failslab (not root?)";
		snprintf(path, sizeof(path), FAIL_PAGE "%s", knobs[i][0]);
		if (*pages && write_knob(path, knobs[i][1]))
			return "cannot configure fail_page_alloc (not root?)";
	}
	for (i = 0; *pages && i < ARRAY_SIZE(page); i++)
		if (write_knob(page[i][0], page[i][1]))
			return "cannot configure fail_page_alloc (not root?)";
	return NULL;
}

static int drain_one(const struct vshm_nl_msg *msg, void *arg)
{
	return 0;
}

/*
 * Receive every event queued on @nl; returns how many times some were
 * lost (an event that could not be allocated sets ENOBUFS).
 */
static unsigned int drain(struct vshm_nl *nl)
{
	unsigned int lost = 0;
	int ret;

	if (!nl)
		return 0;
	while ((ret = vshm_nl_listen(nl, 0, drain_one, NULL)) == -ENOBUFS)
		lost++;
	return lost;
}

/* A listener of the events, or NULL with the reason in *@why. */
static struct vshm_nl *events_open(const char **why)
{
	struct vshm_nl *nl;

	if (vshm_nl_open(&nl)) {
		*why = "no vhost_shmem netlink family";
		return NULL;
	}
	if (vshm_nl_subscribe(nl)) {
		vshm_nl_close(nl);
		*why = "cannot join the events group";
		return NULL;
	}
	return nl;
}

/*
 * The calling thread's fault injection: fail-nth makes its n-th
 * allocation fail, once.  A burst makes the next ones fail too, as a
 * shortage of memory would: the kernel retries many allocations (the
 * maple tree and the xarray fall back from GFP_NOWAIT to the caller's
 * flags), so a single failure never reaches some error paths.  After
 * fail-nth fired, make-it-fail and a non-zero "times" fail each
 * allocation until "times" runs out (it is bounded, so that code which
 * retries until an allocation succeeds still ends).
 */
struct inject {
	int nth;		/* /proc/self/task/<tid>/fail-nth */
	int make_it_fail;	/* /proc/self/task/<tid>/make-it-fail */
	int times[2];		/* failslab's and fail_page_alloc's, or -1 */
	bool burst;
};

#define BURST	"64"

static int inject_open(struct inject *inj, bool pages)
{
	char path[64];

	inj->times[0] = open(FAILSLAB "times", O_WRONLY | O_CLOEXEC);
	inj->times[1] = pages ? open(FAIL_PAGE "times", O_WRONLY | O_CLOEXEC) : -1;
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", gettid());
	inj->nth = open(path, O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/self/task/%d/make-it-fail",
		 gettid());
	inj->make_it_fail = open(path, O_WRONLY | O_CLOEXEC);
	inj->burst = false;
	return inj->nth < 0 || inj->make_it_fail < 0 || inj->times[0] < 0 ||
	       (pages && inj->times[1] < 0) ? -1 : 0;
}

static void inject_close(struct inject *inj)
{
	int i;

	for (i = 0; i < 2; i++)
		if (inj->times[i] >= 0)
			close(inj->times[i]);
	if (inj->make_it_fail >= 0)
		close(inj->make_it_fail);
	if (inj->nth >= 0)
		close(inj->nth);
}

/* write(), not pwrite(): debugfs attributes are not seekable. */
static void put(struct __test_metadata *_metadata, int fd, const char *val)
{
	ssize_t len = strlen(val);

	if (fd >= 0)
		ASSERT_EQ(len, write(fd, val, len));
}

/* Make the calling thread's @n-th allocation from now on fail. */
static void nth_arm(struct __test_metadata *_metadata, struct inject *inj,
		    unsigned int n)
{
	char buf[16];

	if (inj->burst) {
		put(_metadata, inj->times[0], BURST);
		put(_metadata, inj->times[1], BURST);
	}
	snprintf(buf, sizeof(buf), "%u", n);
	put(_metadata, inj->nth, buf);
	if (inj->burst)
		put(_metadata, inj->make_it_fail, "1");
}

/*
 * Stop injecting; returns whether the failure was injected: the count went
 * down to 0, rather than staying above because the operation made fewer
 * allocations.
 */
static bool nth_disarm(struct __test_metadata *_metadata, struct inject *inj)
{
	char buf[16] = "";
	ssize_t len;

	len = pread(inj->nth, buf, sizeof(buf) - 1, 0);
	if (inj->burst)
		put(_metadata, inj->make_it_fail, "0");
	put(_metadata, inj->nth, "0");
	put(_metadata, inj->times[0], "0");
	put(_metadata, inj->times[1], "0");
	ASSERT_LT(0, len);
	return atoi(buf) == 0;
}

/* How many VMAs of the caller map the file of @st (the MAP probe's, say). */
static int vmas_of(const struct stat *st)
{
	unsigned int maj, min;
	unsigned long ino;
	char line[512];
	int n = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %x:%x %lu", &maj, &min,
			   &ino) == 3 && ino == st->st_ino &&
		    maj == major(st->st_dev) && min == minor(st->st_dev))
			n++;
	fclose(f);
	return n;
}

static void check_region(struct __test_metadata *_metadata, int dev,
			 uint64_t nr_mappings)
{
	struct vhost_shmem_region_info ri;

	ASSERT_EQ(0, vshm_region_info(dev, SHMID, &ri));
	EXPECT_EQ(nr_mappings, ri.out_nr_mappings);
	EXPECT_EQ(nr_mappings * MAP_LEN, ri.out_mapped_bytes);
	ASSERT_EQ(REGION_SIZE, ri.out_length);
}

/* The window at @off shows the file from @fd_off on, for MAP_LEN bytes. */
static void check_mapped(struct __test_metadata *_metadata, void *win,
			 uint64_t off, uint64_t fd_off)
{
	uint64_t i;
	uint32_t v;

	for (i = 0; i < MAP_LEN; i += PAGE) {
		ASSERT_EQ(0, probe_read(win, off + i, &v));
		ASSERT_EQ(pattern(SEED, fd_off + i), v);
	}
}

/* The window at @off is a hole: MAP_LEN bytes that fault. */
static void check_hole(struct __test_metadata *_metadata, void *win,
		       uint64_t off)
{
	uint64_t i;
	uint32_t v;

	for (i = 0; i < MAP_LEN; i += PAGE)
		ASSERT_EQ(SIGBUS, probe_read(win, off + i, &v));
}

enum op {
	OP_MAP,
	OP_MAP_AGAIN,
	OP_UNMAP,
	OP_RELAY_MAP,
	OP_RELAY_UNMAP,
	OP_RESET,
};

static const char * const op_name[] = {
	[OP_MAP] = "MAP",
	[OP_MAP_AGAIN] = "MAP of an admitted file",
	[OP_UNMAP] = "UNMAP",
	[OP_RELAY_MAP] = "RELAY of a MAP",
	[OP_RELAY_UNMAP] = "RELAY of an UNMAP",
	[OP_RESET] = "RESET",
};

/* A context with a region and its window, and the file the sweeps map. */
struct sweep {
	int dev;
	void *win;
	struct inject inj;
	int fd;		/* the file mapped */
	struct stat st;
	int in;		/* inotify watch of its release, or -1 */
	struct vshm_nl *events;	/* listener, or NULL */
	unsigned int lost;	/* times events were lost */
	bool rw;
	bool tmpfile;
};

FIXTURE(fail_nth) {
	struct sweep s;
};

FIXTURE_VARIANT(fail_nth) {
	bool rw;
	/* A tmpfs file (its release can be watched) instead of a memfd. */
	bool tmpfile;
	/* Listen to the netlink events: each operation allocates one. */
	bool events;
};

FIXTURE_VARIANT_ADD(fail_nth, memfd_ro) { .rw = false };
FIXTURE_VARIANT_ADD(fail_nth, memfd_rw) { .rw = true };
FIXTURE_VARIANT_ADD(fail_nth, tmpfile_rw) { .rw = true, .tmpfile = true };
FIXTURE_VARIANT_ADD(fail_nth, tmpfile_rw_events) {
	.rw = true, .tmpfile = true, .events = true,
};

FIXTURE_SETUP(fail_nth)
{
	const char *why;
	bool pages;

	self->s.dev = -1;
	self->s.win = MAP_FAILED;
	self->s.inj.nth = -1;
	self->s.fd = -1;
	self->s.in = -1;
	self->s.events = NULL;
	why = fault_injection_setup(&pages);
	if (why)
		SKIP(return, "%s", why);
	self->s.dev = vshm_open();
	if (self->s.dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, self->s.dev);
	ASSERT_EQ(0, vshm_region_window(self->s.dev, SHMID, REGION_SIZE,
					&self->s.win));
	if (variant->tmpfile)
		self->s.fd = tmpfile_pattern(SEED, FILE_SIZE);
	else
		self->s.fd = memfd_pattern(SEED, FILE_SIZE, MFD_ALLOW_SEALING);
	ASSERT_LE(0, self->s.fd);
	ASSERT_EQ(0, fstat(self->s.fd, &self->s.st));
	if (variant->tmpfile) {
		self->s.in = watch_release(self->s.fd);
		ASSERT_LE(0, self->s.in);
	}
	ASSERT_EQ(0, inject_open(&self->s.inj, pages));
	self->s.rw = variant->rw;
	self->s.tmpfile = variant->tmpfile;
	if (variant->events) {
		self->s.events = events_open(&why);
		if (!self->s.events)
			SKIP(return, "%s", why);
	}
	if (!pages)
		ksft_print_msg("no " FAIL_PAGE ": slab allocations only\n");
}

FIXTURE_TEARDOWN(fail_nth)
{
	if (self->s.events)
		vshm_nl_close(self->s.events);
	if (self->s.inj.nth >= 0)
		inject_close(&self->s.inj);
	if (self->s.in >= 0)
		close(self->s.in);
	if (self->s.fd >= 0)
		close(self->s.fd);
	if (self->s.win != MAP_FAILED)
		munmap(self->s.win, REGION_SIZE);
	if (self->s.dev >= 0)
		close(self->s.dev);
}

static int map_b(struct sweep *self)
{
	return vshm_map(self->dev, SHMID, self->fd, B_FD_OFF, B_OFF, MAP_LEN,
			self->rw ? VHOST_SHMEM_MAP_F_RW : 0);
}

/*
 * RELAY of a SHMEM_MAP of B (@map) or a SHMEM_UNMAP of it, asking for a
 * reply: the result of the operation, which the reply must carry.
 */
static int relay_b(struct __test_metadata *_metadata, struct sweep *self,
		   bool map)
{
	struct vhost_shmem_user_hdr hdr = {
		.request = htole32(map ? VHOST_SHMEM_USER_BACKEND_SHMEM_MAP :
				   VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP),
		.flags = htole32(VHOST_SHMEM_USER_VERSION |
				 VHOST_SHMEM_USER_NEED_REPLY_MASK),
		.size = htole32(sizeof(struct vhost_shmem_user_mmap)),
	};
	struct vhost_shmem_user_mmap mm = {
		.shmid = SHMID,
		.fd_offset = htole64(map ? B_FD_OFF : 0),
		.shm_offset = htole64(B_OFF),
		.len = htole64(MAP_LEN),
		.flags = htole64(map && self->rw ? 1 : 0),
	};
	uint8_t msg[sizeof(hdr) + sizeof(mm)];
	struct vhost_shmem_user_reply reply;
	struct vhost_shmem_relay r = {
		.size = sizeof(r),
		.msg = (uintptr_t)msg,
		.msg_len = sizeof(msg),
		.fd = map ? self->fd : -1,
		.reply = (uintptr_t)&reply,
		.reply_len = sizeof(reply),
	};

	/* The wire layout: the payload right after the 12-byte header. */
	memcpy(msg, &hdr, sizeof(hdr));
	memcpy(msg + sizeof(hdr), &mm, sizeof(mm));
	memset(&reply, 0, sizeof(reply));
	ASSERT_EQ(0, vshm_ioctl(self->dev, VHOST_SHMEM_RELAY, &r));
	ASSERT_EQ(sizeof(reply), r.reply_len);
	ASSERT_EQ((uint64_t)-r.out_result, le64toh(reply.value));
	return r.out_result;
}

/*
 * RELAY_BATCH of a SHMEM_MAP of B and a SHMEM_UNMAP of A, both asking for
 * a reply: the ioctl's own result, and each message's in @res.
 */
static int relay_batch_ba(struct __test_metadata *_metadata,
			  struct sweep *self, int res[2])
{
	struct vhost_shmem_relay_entry e[2];
	struct vhost_shmem_relay_batch b = {
		.size = sizeof(b),
		.entries = (uintptr_t)e,
		.entry_len = sizeof(e[0]),
		.entry_num = 2,
	};
	struct vhost_shmem_user_hdr hdr = {
		.flags = htole32(VHOST_SHMEM_USER_VERSION |
				 VHOST_SHMEM_USER_NEED_REPLY_MASK),
		.size = htole32(sizeof(struct vhost_shmem_user_mmap)),
	};
	struct vhost_shmem_user_mmap mm = {
		.shmid = SHMID,
		.len = htole64(MAP_LEN),
	};
	uint8_t msg[2][sizeof(hdr) + sizeof(mm)];
	int i, ret;

	hdr.request = htole32(VHOST_SHMEM_USER_BACKEND_SHMEM_MAP);
	mm.fd_offset = htole64(B_FD_OFF);
	mm.shm_offset = htole64(B_OFF);
	mm.flags = htole64(self->rw ? 1 : 0);
	memcpy(msg[0], &hdr, sizeof(hdr));
	memcpy(msg[0] + sizeof(hdr), &mm, sizeof(mm));
	hdr.request = htole32(VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP);
	mm.fd_offset = 0;
	mm.shm_offset = htole64(A_OFF);
	mm.flags = 0;
	memcpy(msg[1], &hdr, sizeof(hdr));
	memcpy(msg[1] + sizeof(hdr), &mm, sizeof(mm));
	memset(e, 0, sizeof(e));
	for (i = 0; i < 2; i++) {
		e[i].msg = (uintptr_t)msg[i];
		e[i].msg_len = sizeof(msg[i]);
		e[i].fd = i ? -1 : self->fd;
	}
	ret = vshm_ioctl(self->dev, VHOST_SHMEM_RELAY_BATCH, &b);
	if (ret)
		return ret;
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, e[i].out_status);
		EXPECT_EQ(sizeof(e[i].out_reply), e[i].out_reply_len);
		EXPECT_EQ((uint64_t)-e[i].out_result,
			  le64toh(e[i].out_reply.value));
		res[i] = e[i].out_result;
	}
	return 0;
}

/* Runs @op: 0 or -errno. */
static int run(struct __test_metadata *_metadata, struct sweep *self,
	       enum op op)
{
	switch (op) {
	case OP_MAP:
	case OP_MAP_AGAIN:
		return map_b(self);
	case OP_UNMAP:
		return vshm_unmap(self->dev, SHMID, B_OFF, MAP_LEN);
	case OP_RELAY_MAP:
		return relay_b(_metadata, self, true);
	case OP_RELAY_UNMAP:
		return relay_b(_metadata, self, false);
	case OP_RESET:
		return vshm_reset(self->dev);
	}
	return -EINVAL;
}

/*
 * The context with A (when @a) and B (when @b) mapped, and nothing else;
 * the pages read, so that they are inserted and held.  The caller maps
 * no page of the file itself: the MAP probe must be gone.
 */
static void check_state(struct __test_metadata *_metadata,
			struct sweep *self, bool a, bool b)
{
	check_region(_metadata, self->dev, a + b);
	if (a)
		check_mapped(_metadata, self->win, A_OFF, 0);
	else
		check_hole(_metadata, self->win, A_OFF);
	if (b)
		check_mapped(_metadata, self->win, B_OFF, B_FD_OFF);
	else
		check_hole(_metadata, self->win, B_OFF);
	ASSERT_EQ(0, vmas_of(&self->st));
}

/* Brings the context from any state of check_state() to (@a, @b). */
static void set_state(struct __test_metadata *_metadata,
		      struct sweep *self, bool a, bool b)
{
	ASSERT_EQ(0, vshm_reset(self->dev));
	if (a)
		ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->fd, 0, A_OFF,
				      MAP_LEN,
				      self->rw ? VHOST_SHMEM_MAP_F_RW : 0));
	if (b)
		ASSERT_EQ(0, map_b(self));
	check_state(_metadata, self, a, b);
	self->lost += drain(self->events);
}

static void sweep_one(struct __test_metadata *_metadata,
		      struct sweep *self, enum op op)
{
	bool map = op == OP_MAP || op == OP_MAP_AGAIN || op == OP_RELAY_MAP;
	/* The state before the operation, and after it. */
	bool a = op != OP_MAP && op != OP_RELAY_MAP;
	bool b = !map;
	bool a_after = op == OP_RESET ? false : a;
	bool b_after = map;
	unsigned int n, failed = 0;
	bool injected;
	int ret;

	set_state(_metadata, self, a, b);
	for (n = 1; ; n++) {
		ASSERT_GT(MAX_NTH, n);
		nth_arm(_metadata, &self->inj, n);
		ret = run(_metadata, self, op);
		injected = nth_disarm(_metadata, &self->inj);
		if (ret) {
			ASSERT_TRUE(injected) TH_LOG("%s: %s without injection",
						     op_name[op], strerror(-ret));
			ASSERT_EQ(-ENOMEM, ret) TH_LOG("%s, n=%u: %s",
						       op_name[op], n,
						       strerror(-ret));
			check_state(_metadata, self, a, b);
			ASSERT_EQ(0, run(_metadata, self, op));
			failed++;
		}
		check_state(_metadata, self, a_after, b_after);
		if (!injected)
			break;
		set_state(_metadata, self, a, b);
	}
	ksft_print_msg("%s (%s%s%s)%s: %u allocation sites, %u failed the operation\n",
		       op_name[op], self->tmpfile ? "tmpfs file" : "memfd",
		       self->rw ? ", read-write" : "",
		       self->events ? ", events" : "",
		       self->inj.burst ? ", bursts" : "", n - 1, failed);
}

/*
 * The batch: from A mapped to B mapped.  The ioctl fails with ENOMEM and
 * changes nothing, or each message succeeds or fails with ENOMEM on its
 * own, changing nothing for itself; relaying the failed ones again
 * without injection then succeeds.
 */
static void sweep_batch_one(struct __test_metadata *_metadata,
			    struct sweep *self)
{
	unsigned int n, failed = 0;
	bool injected;
	int ret, res[2];

	set_state(_metadata, self, true, false);
	for (n = 1; ; n++) {
		ASSERT_GT(MAX_NTH, n);
		nth_arm(_metadata, &self->inj, n);
		res[0] = 0;
		res[1] = 0;
		ret = relay_batch_ba(_metadata, self, res);
		injected = nth_disarm(_metadata, &self->inj);
		if (ret) {
			ASSERT_TRUE(injected);
			ASSERT_EQ(-ENOMEM, ret) TH_LOG("n=%u: %s", n,
						       strerror(-ret));
			check_state(_metadata, self, true, false);
			ASSERT_EQ(0, relay_batch_ba(_metadata, self, res));
		}
		if (res[0] || res[1]) {
			ASSERT_TRUE(injected);
			ASSERT_TRUE(!res[0] || res[0] == -ENOMEM)
				TH_LOG("n=%u: MAP %s", n, strerror(-res[0]));
			ASSERT_TRUE(!res[1] || res[1] == -ENOMEM)
				TH_LOG("n=%u: UNMAP %s", n, strerror(-res[1]));
			check_state(_metadata, self, res[1], !res[0]);
			if (res[0])
				ASSERT_EQ(0, map_b(self));
			if (res[1])
				ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, A_OFF,
							MAP_LEN));
		}
		failed += ret || res[0] || res[1];
		check_state(_metadata, self, false, true);
		if (!injected)
			break;
		set_state(_metadata, self, true, false);
	}
	ksft_print_msg("%s (%s%s%s)%s: %u allocation sites, %u failed a message or the batch\n",
		       "RELAY_BATCH of a MAP and an UNMAP", self->tmpfile ? "tmpfs file" : "memfd",
		       self->rw ? ", read-write" : "",
		       self->events ? ", events" : "",
		       self->inj.burst ? ", bursts" : "", n - 1, failed);
}

/* Sweeps @op with single failures, then with bursts. */
static void sweep(struct __test_metadata *_metadata,
		  struct sweep *self, enum op op)
{
	bool evicted = false;

	self->inj.burst = false;
	sweep_one(_metadata, self, op);
	self->inj.burst = true;
	sweep_one(_metadata, self, op);
	if (self->events)
		ksft_print_msg("events lost %u times\n", self->lost);

	/*
	 * Nothing is left holding the file: a read-write mapping that was
	 * not undone would keep F_SEAL_WRITE out, a reference that was not
	 * dropped would keep the file from being released.
	 */
	ASSERT_EQ(0, vshm_reset(self->dev));
	if (!self->tmpfile)
		ASSERT_EQ(0, fcntl(self->fd, F_ADD_SEALS, F_SEAL_WRITE));
	if (self->tmpfile) {
		close(self->fd);
		self->fd = -1;
		ASSERT_EQ(1, released_eventually(self->in, &evicted, 5000));
		ASSERT_TRUE(evicted);
	}
}

TEST_F_TIMEOUT(fail_nth, map, 300)
{
	sweep(_metadata, &self->s, OP_MAP);
}

TEST_F_TIMEOUT(fail_nth, map_again, 300)
{
	sweep(_metadata, &self->s, OP_MAP_AGAIN);
}

TEST_F_TIMEOUT(fail_nth, unmap, 300)
{
	sweep(_metadata, &self->s, OP_UNMAP);
}

TEST_F_TIMEOUT(fail_nth, relay_map, 300)
{
	sweep(_metadata, &self->s, OP_RELAY_MAP);
}

TEST_F_TIMEOUT(fail_nth, relay_unmap, 300)
{
	sweep(_metadata, &self->s, OP_RELAY_UNMAP);
}

TEST_F_TIMEOUT(fail_nth, relay_batch, 300)
{
	self->s.inj.burst = false;
	sweep_batch_one(_metadata, &self->s);
	self->s.inj.burst = true;
	sweep_batch_one(_metadata, &self->s);
	ASSERT_EQ(0, vshm_reset(self->s.dev));
	if (!self->s.tmpfile)
		ASSERT_EQ(0, fcntl(self->s.fd, F_ADD_SEALS, F_SEAL_WRITE));
}

TEST_F_TIMEOUT(fail_nth, reset, 300)
{
	sweep(_metadata, &self->s, OP_RESET);
}

/* Sweeps of a context of their own: opening one, REGION_CREATE. */
FIXTURE(ctx_fail_nth) {
	struct inject inj;
	struct vshm_nl *events;
};

FIXTURE_VARIANT(ctx_fail_nth) {
	bool events;
};

FIXTURE_VARIANT_ADD(ctx_fail_nth, plain) { .events = false };
FIXTURE_VARIANT_ADD(ctx_fail_nth, events) { .events = true };

FIXTURE_SETUP(ctx_fail_nth)
{
	const char *why;
	bool pages;
	int dev;

	self->inj.nth = -1;
	self->events = NULL;
	why = fault_injection_setup(&pages);
	if (why)
		SKIP(return, "%s", why);
	dev = vshm_open();
	if (dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, dev);
	close(dev);
	ASSERT_EQ(0, inject_open(&self->inj, pages));
	if (variant->events) {
		self->events = events_open(&why);
		if (!self->events)
			SKIP(return, "%s", why);
	}
}

FIXTURE_TEARDOWN(ctx_fail_nth)
{
	if (self->events)
		vshm_nl_close(self->events);
	if (self->inj.nth >= 0)
		inject_close(&self->inj);
}

/* Opening the device: the VFS's allocations, then the context's. */
static void open_sweep(struct __test_metadata *_metadata, struct inject *inj,
		       struct vshm_nl *events)
{
	struct vhost_shmem_info info;
	unsigned int n, failed = 0;
	bool injected;
	int dev, err;

	for (n = 1; ; n++) {
		ASSERT_GT(MAX_NTH, n);
		drain(events);
		nth_arm(_metadata, inj, n);
		dev = vshm_open();
		err = errno;
		injected = nth_disarm(_metadata, inj);
		if (dev < 0) {
			ASSERT_TRUE(injected);
			ASSERT_EQ(ENOMEM, err) TH_LOG("n=%u: %s", n,
						      strerror(err));
			dev = vshm_open();
			ASSERT_LE(0, dev);
			failed++;
		}
		/* A context that works. */
		ASSERT_EQ(0, vshm_get_info(dev, &info));
		ASSERT_EQ(sizeof(info), info.size);
		ASSERT_EQ(0, vshm_region_create(dev, SHMID, PAGE, NULL));
		close(dev);
		if (!injected)
			break;
	}
	ksft_print_msg("open%s%s: %u allocation sites, %u failed the operation\n",
		       events ? " (events)" : "", inj->burst ? " (bursts)" : "",
		       n - 1, failed);
}

TEST_F_TIMEOUT(ctx_fail_nth, open, 300)
{
	open_sweep(_metadata, &self->inj, self->events);
	self->inj.burst = true;
	open_sweep(_metadata, &self->inj, self->events);
}

/* REGION_CREATE next to a region that must stay as it is. */
static void region_create_sweep(struct __test_metadata *_metadata,
				struct inject *inj, struct vshm_nl *events,
				int dev)
{
	struct vhost_shmem_region_info ri;
	unsigned int n, failed = 0;
	uint64_t off = 0;
	bool injected;
	void *win;
	uint32_t v;
	int ret;

	for (n = 1; ; n++) {
		ASSERT_GT(MAX_NTH, n);
		drain(events);
		nth_arm(_metadata, inj, n);
		ret = vshm_region_create(dev, SHMID_NEW, REGION_SIZE, &off);
		injected = nth_disarm(_metadata, inj);
		if (ret) {
			ASSERT_TRUE(injected);
			ASSERT_EQ(-ENOMEM, ret) TH_LOG("n=%u: %s", n,
						       strerror(-ret));
			ASSERT_EQ(-ENOENT, vshm_region_info(dev, SHMID_NEW,
							    &ri));
			ASSERT_EQ(0, vshm_region_create(dev, SHMID_NEW,
							REGION_SIZE, &off));
			failed++;
		}
		ASSERT_EQ(0, vshm_region_info(dev, SHMID_NEW, &ri));
		ASSERT_EQ(REGION_SIZE, ri.out_length);
		ASSERT_EQ(off, ri.out_mmap_offset);
		ASSERT_EQ(0, ri.out_nr_mappings);
		win = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, dev, off);
		ASSERT_NE(MAP_FAILED, win);
		ASSERT_EQ(SIGBUS, probe_read(win, 0, &v));
		munmap(win, PAGE);
		ASSERT_EQ(0, vshm_region_destroy(dev, SHMID_NEW));
		ASSERT_EQ(0, vshm_region_info(dev, SHMID, &ri));
		ASSERT_EQ(REGION_SIZE, ri.out_length);
		if (!injected)
			break;
	}
	ksft_print_msg("REGION_CREATE%s%s: %u allocation sites, %u failed the operation\n",
		       events ? " (events)" : "", inj->burst ? " (bursts)" : "",
		       n - 1, failed);
}

TEST_F_TIMEOUT(ctx_fail_nth, region_create, 300)
{
	int dev;

	dev = vshm_open();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, vshm_region_create(dev, SHMID, REGION_SIZE, NULL));
	region_create_sweep(_metadata, &self->inj, self->events, dev);
	self->inj.burst = true;
	region_create_sweep(_metadata, &self->inj, self->events, dev);
	close(dev);
}

TEST_HARNESS_MAIN
