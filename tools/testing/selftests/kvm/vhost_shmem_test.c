// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-shmem seen from a KVM guest.  A region of /dev/vhost-shmem is mapped
 * into the VMM (the "window") and registered once as a memory slot; from
 * then on the guest sees every MAP, UNMAP and RESET through that slot, with
 * no memory slot change: the file's bytes, its own stores reaching the
 * file, holes failing KVM_RUN with EFAULT, never a stale page after UNMAP
 * or RESET, read-only mappings staying read-only, and a failing file read
 * failing KVM_RUN instead of keeping the vCPU in the kernel.
 *
 * The guest runs one access at a time: the host puts it in guest_cmd and
 * runs the vCPU, and the guest reports with GUEST_SYNC.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <linux/kernel-page-flags.h>

#include "kvm_util.h"
#include "ucall_common.h"

#include "../vhost_shmem/vshm_test_util.h"
#include "../vhost_shmem/vshm_fuse.h"

#include "kselftest_harness.h"

#define SHMID		0
#define REGION_PAGES	16
#define REGION_SIZE	(REGION_PAGES * PAGE)
/*
 * The window's memory slot, above the library's memory; guest virtual is
 * guest physical there.
 */
#define WINDOW_SLOT	1
#define WINDOW_GPA	BIT_ULL(30)

enum { GUEST_READ, GUEST_WRITE, GUEST_NOP };

/* The guest's next access, set by the host before each run. */
static struct {
	u64 op;
	u64 gva;
	u64 val;
} guest_cmd;

static void guest_code(void)
{
	for (;;) {
		u32 *p = (u32 *)READ_ONCE(guest_cmd.gva);

		if (READ_ONCE(guest_cmd.op) == GUEST_WRITE) {
			WRITE_ONCE(*p, (u32)READ_ONCE(guest_cmd.val));
			GUEST_SYNC(0);
		} else if (READ_ONCE(guest_cmd.op) == GUEST_NOP) {
			GUEST_SYNC(0);
		} else {
			GUEST_SYNC(READ_ONCE(*p));
		}
	}
}

/* A VM whose memory slot WINDOW_SLOT is the window @win of @size bytes. */
static struct kvm_vm *vm_with_window(struct kvm_vcpu **vcpu, void *win,
				     u64 size)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	/*
	 * The library's own memory slots are memory it allocates; a slot on
	 * an existing mapping is a plain KVM_SET_USER_MEMORY_REGION.  This is
	 * the one and only memory slot change for the window.
	 */
	vm_set_user_memory_region(vm, WINDOW_SLOT, 0, WINDOW_GPA, size, win);
	TEST_ASSERT(!(size % vm->page_size), "window of %lu bytes", size);
	virt_map(vm, WINDOW_GPA, WINDOW_GPA, size / vm->page_size);
	return vm;
}

/*
 * Run the vCPU until the guest reports: returns 0 with the value it
 * reported in *@val, -errno when KVM_RUN fails, or the reason of any other
 * exit (> 0).
 */
static int run_to_report(struct kvm_vcpu *vcpu, u64 *val)
{
	struct ucall uc;

	if (_vcpu_run(vcpu))
		return -errno;
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		*val = uc.args[1];
		return 0;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	}
	return vcpu->run->exit_reason ?: -EPROTO;
}

/*
 * Have the guest load (or, with @write, store *@val to) the 32-bit word at
 * offset @off of the window.  Returns as run_to_report(); after a failed
 * KVM_RUN the guest starts over, at its next access.  A store that KVM
 * hands to the VMM as MMIO (a read-only page) is completed, and
 * KVM_EXIT_MMIO returned.
 */
static int guest_access(struct kvm_vcpu *vcpu, u64 off, bool write, u32 *val)
{
	struct kvm_run *run = vcpu->run;
	u64 v = 0;
	int ret;

	guest_cmd.op = write ? GUEST_WRITE : GUEST_READ;
	guest_cmd.gva = WINDOW_GPA + off;
	guest_cmd.val = write ? *val : 0;
	sync_global_to_guest(vcpu->vm, guest_cmd);

	run->exit_reason = KVM_EXIT_UNKNOWN;
	ret = run_to_report(vcpu, &v);
	/*
	 * KVM may say where an EFAULT comes from (not every EFAULT of every
	 * kernel does): if it does, it must be the page accessed.
	 */
	if (ret == -EFAULT && run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
		u64 gpa = WINDOW_GPA + off;

		TEST_ASSERT(run->memory_fault.gpa <= gpa &&
			    gpa - run->memory_fault.gpa < run->memory_fault.size,
			    "EFAULT at %#llx: gpa %#llx, size %#llx",
			    (unsigned long long)gpa,
			    (unsigned long long)run->memory_fault.gpa,
			    (unsigned long long)run->memory_fault.size);
	}
	if (ret < 0) {
		/* This leaves guest_code()'s frame on the guest's stack. */
		vcpu_arch_set_entry_point(vcpu, guest_code);
		return ret;
	}
	if (ret == KVM_EXIT_MMIO) {
		TEST_ASSERT(write && run->mmio.is_write &&
			    run->mmio.phys_addr == WINDOW_GPA + off,
			    "MMIO exit at %#llx (write %u) for a %s at %#llx",
			    (unsigned long long)run->mmio.phys_addr,
			    run->mmio.is_write, write ? "store" : "load",
			    WINDOW_GPA + off);
		TEST_ASSERT_EQ(0, run_to_report(vcpu, &v));
		return KVM_EXIT_MMIO;
	}
	if (!ret && !write)
		*val = v;
	return ret;
}

static int guest_read(struct kvm_vcpu *vcpu, u64 off, u32 *val)
{
	return guest_access(vcpu, off, false, val);
}

static int guest_write(struct kvm_vcpu *vcpu, u64 off, u32 val)
{
	return guest_access(vcpu, off, true, &val);
}

/*
 * Run the guest once without an access to the window, so that what its
 * first run faults in (its code, stack and page tables) is in.
 */
static void guest_warm_up(struct kvm_vcpu *vcpu)
{
	u64 v;

	guest_cmd.op = GUEST_NOP;
	sync_global_to_guest(vcpu->vm, guest_cmd);
	TEST_ASSERT(!run_to_report(vcpu, &v), "the guest's first run");
}

FIXTURE(guest) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int dev;
	void *win;
	int a, b;
};

FIXTURE_SETUP(guest)
{
	self->vm = NULL;
	self->win = MAP_FAILED;
	self->a = -1;
	self->b = -1;
	self->dev = vshm_open();
	if (self->dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, vshm_region_window(self->dev, SHMID, REGION_SIZE,
					&self->win));
	self->vm = vm_with_window(&self->vcpu, self->win, REGION_SIZE);

	self->a = memfd_pattern(0xa, 4 * PAGE, 0);
	self->b = memfd_pattern(0xb, 4 * PAGE, 0);
	ASSERT_LE(0, self->a);
	ASSERT_LE(0, self->b);
}

FIXTURE_TEARDOWN(guest)
{
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
	if (self->vm)
		kvm_vm_free(self->vm);
	if (self->win != MAP_FAILED)
		munmap(self->win, REGION_SIZE);
	if (self->dev >= 0)
		close(self->dev);
}

TEST_F(guest, reads_file_bytes)
{
	u32 v;
	int i;

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->a, PAGE, 2 * PAGE,
			      2 * PAGE, VHOST_SHMEM_MAP_F_RW));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, guest_read(self->vcpu, (2 + i) * PAGE + 12, &v));
		EXPECT_EQ(pattern(0xa, (1 + i) * PAGE + 12), v);
	}
}

TEST_F(guest, writes_reach_file)
{
	u32 v;

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->a, 0, 0, 4 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	/* First touch by a write, and a write after a read. */
	ASSERT_EQ(0, guest_write(self->vcpu, 3 * PAGE + 8, 0xc0ffee01));
	EXPECT_EQ(0xc0ffee01, file_read32(self->a, 3 * PAGE + 8));
	ASSERT_EQ(0, guest_read(self->vcpu, PAGE, &v));
	EXPECT_EQ(pattern(0xa, PAGE), v);
	ASSERT_EQ(0, guest_write(self->vcpu, PAGE, 0xc0ffee02));
	EXPECT_EQ(0xc0ffee02, file_read32(self->a, PAGE));
	/* The VMM's window sees the guest's write too. */
	ASSERT_EQ(0, probe_read(self->win, PAGE, &v));
	EXPECT_EQ(0xc0ffee02, v);
}

TEST_F(guest, hole_fails_kvm_run)
{
	u32 v;

	EXPECT_EQ(-EFAULT, guest_read(self->vcpu, 5 * PAGE, &v));
	EXPECT_EQ(-EFAULT, guest_write(self->vcpu, 5 * PAGE, 1));
}

/*
 * A mapping past the end of its file: the guest's access there fails
 * KVM_RUN with EFAULT at once (a fault handler that dropped the mmap_lock
 * for nothing would make KVM retry it forever), and reads the file's new
 * page once the file grows.
 */
TEST_F(guest, past_end_of_file_fails_kvm_run)
{
	u32 v;

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->a, 0, 0, 8 * PAGE, 0));
	ASSERT_EQ(0, guest_read(self->vcpu, 3 * PAGE + 8, &v));
	EXPECT_EQ(pattern(0xa, 3 * PAGE + 8), v);
	EXPECT_EQ(-EFAULT, guest_read(self->vcpu, 5 * PAGE, &v));
	EXPECT_EQ(-EFAULT, guest_read(self->vcpu, 5 * PAGE, &v));
	ASSERT_EQ(0, ftruncate(self->a, 6 * PAGE));
	ASSERT_EQ(0, guest_read(self->vcpu, 5 * PAGE, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(-EFAULT, guest_read(self->vcpu, 7 * PAGE, &v));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 8 * PAGE));
}

/*
 * A page whose read fails (a FUSE server answering EIO): the guest's access
 * fails KVM_RUN with EFAULT.  KVM starts a fault over whenever it dropped
 * the mmap_lock, so a fault handler that dropped it again on every first
 * attempt would keep the vCPU in the kernel forever (the harness's timeout
 * would end the test).
 */
TEST_F(guest, read_error_fails_kvm_run)
{
	struct fuse_srv srv;
	char path[96];
	u32 v;
	int fd, ret;

	ret = fuse_start(&srv);
	if (ret == -ENOENT || ret == -ENODEV)
		SKIP(return, "no FUSE: %s", strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("FUSE: %s", strerror(-ret));
	srv.eio_from = PAGE;
	snprintf(path, sizeof(path), "%s/blob", srv.dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, FUSE_SIZE, 0));

	ASSERT_EQ(0, guest_read(self->vcpu, 8, &v));
	EXPECT_EQ(pattern(28, 8), v);
	EXPECT_EQ(-EFAULT, guest_read(self->vcpu, PAGE + 8, &v));
	EXPECT_EQ(-EFAULT, guest_read(self->vcpu, PAGE + 8, &v));

	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, FUSE_SIZE));
	close(fd);
	fuse_stop(&srv);
}

TEST_F(guest, unmap_then_remap_never_stale)
{
	int round;
	u32 v;

	for (round = 0; round < 3; round++) {
		int fd = round % 2 ? self->b : self->a;
		u32 seed = round % 2 ? 0xb : 0xa;

		ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, PAGE, 2 * PAGE,
				      VHOST_SHMEM_MAP_F_RW));
		ASSERT_EQ(0, guest_read(self->vcpu, PAGE + 64, &v));
		EXPECT_EQ(pattern(seed, 64), v);
		ASSERT_EQ(0, guest_read(self->vcpu, 2 * PAGE + 64, &v));
		EXPECT_EQ(pattern(seed, PAGE + 64), v);

		ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, PAGE, 2 * PAGE));
		/* The guest no longer reaches the old pages. */
		EXPECT_EQ(-EFAULT, guest_read(self->vcpu, PAGE + 64, &v));
		EXPECT_EQ(-EFAULT, guest_write(self->vcpu, 2 * PAGE, 7));
	}
	EXPECT_EQ(pattern(0xa, PAGE), file_read32(self->a, PAGE));
}

TEST_F(guest, reset_unmaps_for_the_guest)
{
	u32 v;

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->a, 0, 0, PAGE, 0));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->b, 0, 8 * PAGE, PAGE, 0));
	ASSERT_EQ(0, guest_read(self->vcpu, 0, &v));
	ASSERT_EQ(0, guest_read(self->vcpu, 8 * PAGE, &v));
	ASSERT_EQ(0, vshm_reset(self->dev));
	EXPECT_EQ(-EFAULT, guest_read(self->vcpu, 0, &v));
	EXPECT_EQ(-EFAULT, guest_read(self->vcpu, 8 * PAGE, &v));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->b, 0, 0, PAGE, 0));
	ASSERT_EQ(0, guest_read(self->vcpu, 0, &v));
	EXPECT_EQ(pattern(0xb, 0), v);
}

/*
 * A guest store to a read-only mapping does not reach the file.  KVM treats
 * the page like a read-only memory slot: the store exits to the VMM as
 * KVM_EXIT_MMIO.
 */
/*
 * Behind a PCI BAR the guest turns memory decoding off and on, and the VMM
 * deletes the window's memory slot and adds it again, possibly elsewhere:
 * the mappings live in the window, so the slot added again shows them
 * with no MAP, and MAP and UNMAP while it is gone are seen once it is
 * back.
 */
TEST_F(guest, slot_readded_shows_live_mappings)
{
	u32 v;

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->a, 0, 0, 2 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(0, guest_read(self->vcpu, PAGE + 8, &v));
	EXPECT_EQ(pattern(0xa, PAGE + 8), v);

	/* Decoding off: the slot goes; MAP and UNMAP go on meanwhile. */
	vm_set_user_memory_region(self->vm, WINDOW_SLOT, 0, WINDOW_GPA, 0,
				  NULL);
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->b, 0, 4 * PAGE, PAGE,
			      0));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 2 * PAGE));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->b, PAGE, 0, PAGE, 0));

	/* Decoding on: the same window, the same slot, everything there. */
	vm_set_user_memory_region(self->vm, WINDOW_SLOT, 0, WINDOW_GPA,
				  REGION_SIZE, self->win);
	ASSERT_EQ(0, guest_read(self->vcpu, 4 * PAGE + 8, &v));
	EXPECT_EQ(pattern(0xb, 8), v);
	ASSERT_EQ(0, guest_read(self->vcpu, 8, &v));
	EXPECT_EQ(pattern(0xb, PAGE + 8), v);
	EXPECT_EQ(-EFAULT, guest_read(self->vcpu, PAGE + 8, &v));
}

TEST_F(guest, read_only_mapping_stays_read_only)
{
	u32 v;

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->a, 0, 0, 2 * PAGE, 0));
	/* A store as first touch, and a store after a read. */
	EXPECT_EQ(KVM_EXIT_MMIO, guest_write(self->vcpu, 16, 0xbad));
	ASSERT_EQ(0, guest_read(self->vcpu, PAGE + 16, &v));
	EXPECT_EQ(pattern(0xa, PAGE + 16), v);
	EXPECT_EQ(KVM_EXIT_MMIO, guest_write(self->vcpu, PAGE + 16, 0xbad));
	EXPECT_EQ(pattern(0xa, 16), file_read32(self->a, 16));
	EXPECT_EQ(pattern(0xa, PAGE + 16), file_read32(self->a, PAGE + 16));
	ASSERT_EQ(0, guest_read(self->vcpu, 16, &v));
	EXPECT_EQ(pattern(0xa, 16), v);
}

/*
 * The vCPU reads while a thread maps, unmaps and resets under it.  Each
 * file's 32-bit words say which file they belong to and where:
 * (file + 1) << 24 | (offset / 4), and files are always mapped at the
 * region offset equal to their file offset.  Any word the guest reads must
 * therefore name a file that had been mapped at that offset before the
 * read ended.
 */
#define NFILES		4
#define OPS		1500

struct stress {
	int dev;
	int fds[NFILES];
	/* Bit f of ever[p]: file f has been mapped at page p. */
	atomic_uint ever[REGION_PAGES];
	atomic_bool done;
	atomic_long ops, errors;
	char first_error[256];
};

static u32 word_of(int file, u64 off)
{
	return (u32)(file + 1) << 24 | (u32)(off / 4);
}

static void __printf(2, 3) stress_fail(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&s->errors, 1) == 0) {
		va_start(ap, fmt);
		vsnprintf(s->first_error, sizeof(s->first_error), fmt, ap);
		va_end(ap);
	}
}

/* MAP, UNMAP and RESET at random, each checked against a model. */
static void *stress_mapper(void *arg)
{
	struct { int first, n; } maps[REGION_PAGES];
	struct stress *s = arg;
	unsigned int seed = 1;
	int i, nr = 0;

	for (i = 0; i < OPS && !atomic_load(&s->errors); i++) {
		unsigned int op = rand_r(&seed) % 100;
		int first = rand_r(&seed) % REGION_PAGES;
		int n = 1 + rand_r(&seed) % 4;
		int file = rand_r(&seed) % NFILES;
		int ret, want, j, idx = -1;

		if (first + n > REGION_PAGES)
			n = REGION_PAGES - first;
		for (j = 0; j < nr; j++)
			if (first < maps[j].first + maps[j].n &&
			    maps[j].first < first + n)
				idx = j;
		if (op < 55) {
			want = idx < 0 ? 0 : -EEXIST;
			for (j = first; j < first + n; j++)
				atomic_fetch_or(&s->ever[j], 1u << file);
			ret = vshm_map(s->dev, SHMID, s->fds[file], first * PAGE,
				       first * PAGE, n * PAGE,
				       rand_r(&seed) % 2 ? VHOST_SHMEM_MAP_F_RW : 0);
			if (ret != want)
				stress_fail(s, "MAP %d+%d: %d, expected %d",
					    first, n, ret, want);
			if (!ret)
				maps[nr++] = (typeof(maps[0])){ first, n };
		} else if (op < 95) {
			/* An existing mapping, or nothing at all. */
			if (idx >= 0) {
				first = maps[idx].first;
				n = maps[idx].n;
			}
			want = idx < 0 ? -ENOENT : 0;
			ret = vshm_unmap(s->dev, SHMID, first * PAGE, n * PAGE);
			if (ret != want)
				stress_fail(s, "UNMAP %d+%d: %d, expected %d",
					    first, n, ret, want);
			if (!ret && idx >= 0)
				maps[idx] = maps[--nr];
		} else {
			ret = vshm_reset(s->dev);
			if (ret)
				stress_fail(s, "RESET: %d", ret);
			nr = 0;
		}
		atomic_fetch_add(&s->ops, 1);
		/* Give the vCPU time to fault in what was just mapped. */
		usleep(200);
	}
	atomic_store(&s->done, true);
	return NULL;
}

TEST_F_TIMEOUT(guest, map_unmap_reset_vs_vcpu, 600)
{
	struct stress s = { .dev = self->dev };
	long reads = 0, holes = 0, vms = 1;
	unsigned int seed = 12345;
	u32 buf[PAGE / 4], v;
	pthread_t mapper;
	u64 off;
	int f, ret;
	size_t i;

	for (f = 0; f < NFILES; f++) {
		s.fds[f] = memfd_create("vshm-stress", MFD_CLOEXEC);
		ASSERT_LE(0, s.fds[f]);
		for (off = 0; off < REGION_SIZE; off += PAGE) {
			for (i = 0; i < PAGE / 4; i++)
				buf[i] = word_of(f, off + i * 4);
			ASSERT_EQ(PAGE, pwrite(s.fds[f], buf, PAGE, off));
		}
	}
	ASSERT_EQ(0, pthread_create(&mapper, NULL, stress_mapper, &s));

	while (!atomic_load(&s.done)) {
		off = (rand_r(&seed) % (REGION_SIZE / 4)) * 4;
		ret = guest_read(self->vcpu, off, &v);
		if (ret == -EFAULT) {
			/*
			 * Every start over leaves a frame on the guest's
			 * stack: a new VM (a memory slot on the window again)
			 * now and then.
			 */
			if (++holes % 256 == 0) {
				kvm_vm_free(self->vm);
				self->vm = vm_with_window(&self->vcpu, self->win,
							  REGION_SIZE);
				vms++;
			}
			continue;
		}
		if (ret) {
			stress_fail(&s, "guest read at %#llx: %d",
				    (unsigned long long)off, ret);
			break;
		}
		if ((v >> 24) < 1 || (v >> 24) > NFILES ||
		    (v & 0xffffff) != off / 4 ||
		    !(atomic_load(&s.ever[off / PAGE]) & (1u << ((v >> 24) - 1))))
			stress_fail(&s, "guest read %#x at offset %#llx", v,
				    (unsigned long long)off);
		reads++;
	}
	atomic_store(&s.done, true);
	pthread_join(mapper, NULL);
	for (f = 0; f < NFILES; f++)
		close(s.fds[f]);

	ksft_print_msg("stress: %ld ops, %ld guest reads (%ld holes), %ld VMs\n",
		       atomic_load(&s.ops), reads, holes, vms);
	ASSERT_EQ(0, atomic_load(&s.errors)) TH_LOG("%s", s.first_error);
	EXPECT_LT(0, reads);
}

/*
 * A process that exits with its context, window, mappings and a KVM VM all
 * live releases all of them.
 */
TEST(exit_with_live_vm)
{
	int in, memfd, status;
	bool evicted = false;
	pid_t pid;

	if (access(VSHM_DEV, F_OK))
		SKIP(return, VSHM_DEV " missing");
	memfd = tmpfile_pattern(6, 4 * PAGE);
	ASSERT_LE(0, memfd);
	in = watch_release(memfd);
	ASSERT_LE(0, in);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct kvm_vcpu *vcpu;
		void *win;
		u32 v;
		int dev = vshm_open();

		if (dev < 0 || vshm_region_window(dev, SHMID, REGION_SIZE, &win))
			_exit(2);
		vm_with_window(&vcpu, win, REGION_SIZE);
		if (vshm_map(dev, SHMID, memfd, 0, 0, 4 * PAGE,
			     VHOST_SHMEM_MAP_F_RW))
			_exit(3);
		close(memfd);
		if (guest_read(vcpu, PAGE, &v) || v != pattern(6, PAGE) ||
		    guest_write(vcpu, 2 * PAGE, 0x600d))
			_exit(5);
		/* Exit with everything live. */
		_exit(0);
	}
	close(memfd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == KSFT_SKIP)
		SKIP(return, "no VM (see the log above)");
	ASSERT_EQ(0, WEXITSTATUS(status));

	EXPECT_EQ(1, released_eventually(in, &evicted, 10000));
	EXPECT_TRUE(evicted);
	close(in);
}

/*
 * A region with zero holes, for the guest: a hole reads as zeroes, and a
 * store to it, whether the page was read before or not, reaches the VMM as
 * an MMIO write it may drop.  A MAP over a hole the guest has read shows
 * the file at once (the zero page leaves KVM's page tables too), and UNMAP
 * brings the zeroes back.
 */
TEST(zero_holes_for_the_guest)
{
	struct vhost_shmem_region_create rc = {
		.size = sizeof(rc), .flags = VHOST_SHMEM_REGION_F_ZERO_HOLES,
		.shmid = SHMID, .length = REGION_SIZE,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	void *win;
	int dev, fd;
	u32 v;

	dev = vshm_open();
	if (dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	win = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		   rc.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, win);
	vm = vm_with_window(&vcpu, win, REGION_SIZE);
	fd = memfd_pattern(0xc, 4 * PAGE, 0);
	ASSERT_LE(0, fd);

	v = 1;
	ASSERT_EQ(0, guest_read(vcpu, 3 * PAGE + 8, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(KVM_EXIT_MMIO, guest_write(vcpu, 3 * PAGE + 8, 7));
	EXPECT_EQ(KVM_EXIT_MMIO, guest_write(vcpu, 5 * PAGE, 7));
	ASSERT_EQ(0, probe_read(win, 3 * PAGE + 8, &v));
	EXPECT_EQ(0, v);

	ASSERT_EQ(0, vshm_map(dev, SHMID, fd, PAGE, 2 * PAGE, 2 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(0, guest_read(vcpu, 3 * PAGE + 8, &v));
	EXPECT_EQ(pattern(0xc, 2 * PAGE + 8), v);
	ASSERT_EQ(0, guest_write(vcpu, 3 * PAGE + 8, 0x5eed));
	EXPECT_EQ(0x5eed, file_read32(fd, 2 * PAGE + 8));

	ASSERT_EQ(0, vshm_unmap(dev, SHMID, 2 * PAGE, 2 * PAGE));
	v = 1;
	ASSERT_EQ(0, guest_read(vcpu, 3 * PAGE + 8, &v));
	EXPECT_EQ(0, v);

	kvm_vm_free(vm);
	munmap(win, REGION_SIZE);
	close(fd);
	close(dev);
}

/*
 * A memfd in one 2 MiB folio (MADV_COLLAPSE builds one whatever
 * shmem_enabled says), mapped read-only: the guest reads every page.
 * Since 6.12 the window (excluded from fork(), see window_allow_pmd())
 * maps the folio with one PMD, at the guest's first access, and KVM with
 * one 2 MiB entry: one fault for the 2 MiB, and KVM's count of 2 MiB
 * entries (pages_2m) goes up; UNMAP takes both.  6.1 maps 4 KiB pages,
 * and so does KVM there.
 * Up to 6.12 KVM takes a reference on the page it maps from a PFN mapping
 * and cannot on the tail pages of a large folio, so a guest access that
 * KVM resolves at a tail page fails KVM_RUN with EFAULT while the VMM reads
 * them all (the documented limitation).  On 6.1 that is every page but the
 * first.  On 6.12 the guest's first access, at the head, brings the whole
 * 2 MiB entry, so it reads them all; since 6.13 KVM takes no reference, and
 * the guest reads every page whatever it reads first.
 */
/*
 * A guest read whose huge fault races a VMM write to the same read-only
 * 2 MiB: whichever entry lands first, KVM, which looks the address up
 * right after resolving the fault, must find it mapped, and the guest
 * read the file, never KVM_RUN fail with EFAULT.
 */
static struct {
	void *win;
	atomic_int go, ready;
	int off;
} race;

static void *race_writer(void *arg)
{
	atomic_fetch_add(&race.ready, 1);
	while (!atomic_load(&race.go))
		;
	probe_write(race.win, race.off, 1);
	return NULL;
}

TEST(pmd_guest_read_races_vmm_read_only_write)
{
	const u64 size = 2UL << 20;
	struct vhost_shmem_region_create rc = {
		.size = sizeof(rc), .shmid = SHMID, .length = size,
	};
	char dir[] = "/tmp/vshm-kvm-race-XXXXXX";
	int dev, fd, ret, i, efault = 0, ok = 0, other = 0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	pthread_t thr;
	uint8_t *vmm;
	void *win;
	u32 v;

	if (!window_maps_pmd())
		SKIP(return, "no PMD PFN mappings");
	dev = vshm_open();
	ASSERT_LE(0, dev);
	fd = huge_tmpfs_file(dir, 0xe, size);
	if (fd < 0)
		SKIP(return, "tmpfs huge=always: %s", strerror(-fd));
	vmm = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, vmm);
	if (!(pfn_flags(pfn_of(vmm + 5 * PAGE)) & (1ULL << KPF_COMPOUND_TAIL)))
		SKIP(return, "the file got no large folio");
	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	win = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		   rc.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, win);
	ASSERT_EQ(0, (uintptr_t)win % size);
	ASSERT_EQ(0, window_allow_pmd(win, size));
	vm = vm_with_window(&vcpu, win, size);
	guest_warm_up(vcpu);

	for (i = 0; i < 300; i++) {
		ASSERT_EQ(0, vshm_map(dev, SHMID, fd, 0, 0, size, 0));
		race.win = win;
		race.off = (1 + i % 500) * PAGE;
		atomic_store(&race.go, 0);
		atomic_store(&race.ready, 0);
		ASSERT_EQ(0, pthread_create(&thr, NULL, race_writer, NULL));
		while (!atomic_load(&race.ready))
			;
		atomic_store(&race.go, 1);
		ret = guest_read(vcpu, 8, &v);
		pthread_join(thr, NULL);
		if (ret == -EFAULT)
			efault++;
		else if (!ret && v == pattern(0xe, 8))
			ok++;
		else
			other++;
		ASSERT_EQ(0, vshm_unmap(dev, SHMID, 0, size));
		/* Fresh page tables for the next round. */
		ASSERT_EQ(win, mmap(win, size, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_FIXED, dev,
				    rc.out_mmap_offset));
		ASSERT_EQ(0, window_allow_pmd(win, size));
	}
	TH_LOG("300 guest reads: %d read the file, %d EFAULT, %d other",
	       ok, efault, other);
	EXPECT_EQ(0, efault);
	EXPECT_EQ(300, ok);
	kvm_vm_free(vm);
	munmap(win, size);
	munmap(vmm, size);
	huge_tmpfs_put(dir, fd);
	close(dev);
}

TEST(large_folio_for_the_guest)
{
	const u64 size = 2UL << 20, npages = size / PAGE;
	bool refs = kernel_release() < 6013, pmd = window_maps_pmd();
	struct vhost_shmem_region_create rc = {
		.size = sizeof(rc), .shmid = SHMID, .length = size,
	};
	u64 i, read = 0, efault = 0, huge;
	struct kvm_vcpu *vcpu;
	long faults;
	struct kvm_vm *vm;
	char dir[] = "/tmp/vshm-kvm-huge-XXXXXX";
	uint8_t *vmm;
	void *win;
	int dev, fd, ret;
	u32 v;

	dev = vshm_open();
	if (dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, dev);
	fd = memfd_pattern(0xd, size, 0);
	ASSERT_LE(0, fd);
	vmm = mmap(NULL, 2 * size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, vmm);
	/* MADV_COLLAPSE wants a 2 MiB-aligned range of the mapping. */
	munmap(vmm, 2 * size);
	vmm = mmap((void *)(((uintptr_t)vmm + size - 1) & ~(size - 1)), size,
		   PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	ASSERT_NE(MAP_FAILED, vmm);
	if (madvise(vmm, size, 25 /* MADV_COLLAPSE */)) {
		/* 6.1 collapses no shmem: a file of huge=always tmpfs. */
		TH_LOG("MADV_COLLAPSE: %s; tmpfs huge=always instead",
		       strerror(errno));
		munmap(vmm, size);
		close(fd);
		fd = huge_tmpfs_file(dir, 0xd, size);
		if (fd < 0)
			SKIP(goto out_dev, "tmpfs huge=always: %s",
			     strerror(-fd));
		vmm = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, vmm);
	}
	if (!(pfn_flags(pfn_of(vmm + 5 * PAGE)) & (1ULL << KPF_COMPOUND_TAIL)))
		SKIP(goto out_vmm, "the file got no large folio");

	ASSERT_EQ(0, vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc));
	win = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		   rc.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, win);
	ASSERT_EQ(0, window_allow_pmd(win, size));
	vm = vm_with_window(&vcpu, win, size);
	ASSERT_EQ(0, vshm_map(dev, SHMID, fd, 0, 0, size, 0));
	EXPECT_EQ(0, (uintptr_t)win % size);

	guest_warm_up(vcpu);
	huge = vm_get_stat(vm, pages_2m);
	faults = thread_faults();
	for (i = 0; i < npages; i++) {
		ret = guest_read(vcpu, i * PAGE + 8, &v);
		if (!ret) {
			read++;
			EXPECT_EQ(pattern(0xd, i * PAGE + 8), v);
		} else {
			efault++;
			EXPECT_EQ(-EFAULT, ret);
		}
		/* The VMM reads every page, whatever the kernel. */
		ASSERT_EQ(0, probe_read(win, i * PAGE + 8, &v));
		EXPECT_EQ(pattern(0xd, i * PAGE + 8), v);
	}
	faults = thread_faults() - faults;
	huge = vm_get_stat(vm, pages_2m) - huge;
	TH_LOG("the guest read %llu of %llu pages of a 2 MiB folio, %llu EFAULT",
	       (unsigned long long)read, (unsigned long long)npages,
	       (unsigned long long)efault);
	TH_LOG("%ld faults, %llu more 2 MiB entries in KVM", faults,
	       (unsigned long long)huge);
	if (pmd) {
		/* The guest's first access, and nothing after. */
		EXPECT_EQ(1, faults);
		EXPECT_EQ(1, huge);
		EXPECT_EQ(npages, read);
	} else {
		EXPECT_EQ(0, huge);
	}
	if (refs && !pmd) {
		/* Only the head page, if it is still the head. */
		EXPECT_GE(1, read);
		EXPECT_LE(npages - 1, efault);
	} else {
		EXPECT_EQ(npages, read);
	}

	/* UNMAP takes KVM's 2 MiB entry too: nothing of it is left. */
	huge = vm_get_stat(vm, pages_2m);
	ASSERT_EQ(0, vshm_unmap(dev, SHMID, 0, size));
	for (i = 0; i < npages; i += npages / 8 + 1)
		EXPECT_EQ(-EFAULT, guest_read(vcpu, i * PAGE + 8, &v));
	EXPECT_EQ(-EFAULT, guest_read(vcpu, size - PAGE, &v));
	if (pmd)
		EXPECT_EQ(huge - 1, vm_get_stat(vm, pages_2m));

	kvm_vm_free(vm);
	munmap(win, size);
out_vmm:
	munmap(vmm, size);
	if (strcmp(dir, "/tmp/vshm-kvm-huge-XXXXXX"))
		huge_tmpfs_put(dir, fd);
	else
		close(fd);
out_dev:
	close(dev);
}

TEST_HARNESS_MAIN
