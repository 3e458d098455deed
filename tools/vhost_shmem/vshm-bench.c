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
 * VSHM_BENCH_ITERS scales the number of cycles (default 1000 for A and C,
 * a fifth of that for B); VSHM_BENCH_MAX_B caps the mappings B is asked to
 * hold (default 10000: each memory slot change is slow).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>
#include <linux/vhost_shmem.h>

#include "libvshm.h"

#define PAGE		4096ULL
#define MIB		(1024ULL * 1024)
#define SLOT_BASE	1
#define GPA_BASE	0x100000000ULL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define FILE_SIZE	(2 * MIB)

enum method { A, B, C, NR_METHODS };
static const char * const method_name[NR_METHODS] = {
	"A vhost-shmem", "B slot per mapping", "C MAP_FIXED window",
};

struct bench {
	enum method m;
	int kvm, vm, fd;
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

static int set_slot(struct bench *b, int slot, uint64_t gpa, void *hva,
		    uint64_t size)
{
	struct kvm_userspace_memory_region mr = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(b->vm, KVM_SET_USER_MEMORY_REGION, &mr) ? -errno : 0;
}

/* Map @len bytes of the file at offset @off of the region, slot @idx. */
static int do_map(struct bench *b, uint64_t off, uint64_t len, int idx)
{
	struct vhost_shmem_map m = {
		.shmid = 0, .fd = b->fd, .shm_offset = off, .len = len,
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
		return set_slot(b, SLOT_BASE + 1 + idx, GPA_BASE + off, p, len);
	default:
		p = mmap(b->resv + off, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, b->fd, 0);
		return p == MAP_FAILED ? -errno : 0;
	}
}

static int do_unmap(struct bench *b, uint64_t off, uint64_t len, int idx)
{
	struct vhost_shmem_unmap u = { .shmid = 0, .shm_offset = off,
				       .len = len };
	void *p;
	int ret;

	switch (b->m) {
	case A:
		return ioctl(b->v.fd, VHOST_SHMEM_UNMAP, &u) ? -errno : 0;
	case B:
		ret = set_slot(b, SLOT_BASE + 1 + idx, GPA_BASE + off, NULL, 0);
		munmap(b->hva[idx], len);
		return ret;
	default:
		p = mmap(b->resv + off, len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
			 -1, 0);
		return p == MAP_FAILED ? -errno : 0;
	}
}

static void setup(struct bench *b, enum method m, uint64_t span, int present)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->m = m;
	b->span = span;
	b->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (b->kvm < 0)
		die("/dev/kvm", errno);
	b->vm = ioctl(b->kvm, KVM_CREATE_VM, 0);
	if (b->vm < 0)
		die("KVM_CREATE_VM", errno);
	b->max_slots = ioctl(b->kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	b->fd = memfd_create("vshm-bench", MFD_CLOEXEC);
	if (b->fd < 0 || ftruncate(b->fd, FILE_SIZE))
		die("memfd", errno);

	if (m == A) {
		ret = libvshm_open(&b->v, NULL);
		if (!ret)
			ret = libvshm_region_create(&b->v, 0, span, &b->r);
		if (!ret)
			ret = libvshm_kvm_add_memslot(&b->v, b->vm, SLOT_BASE,
						      GPA_BASE, &b->r);
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
		ret = set_slot(b, SLOT_BASE, GPA_BASE, b->resv, span);
		if (ret)
			die("KVM_SET_USER_MEMORY_REGION", -ret);
	}
}

static void teardown(struct bench *b)
{
	if (b->m == A) {
		libvshm_region_destroy(&b->v, &b->r);
		libvshm_close(&b->v);
	}
	/* B's slots and C's slot go with the VM. */
	close(b->vm);
	close(b->kvm);
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

static int iters_for(enum method m)
{
	const char *env = getenv("VSHM_BENCH_ITERS");
	int n = env ? atoi(env) : 1000;

	return m == B ? (n / 5 ? n / 5 : 1) : n;
}

/*
 * With @present mappings of one page already in the region, time MAP+UNMAP
 * cycles of @len bytes at a free, 2 MiB aligned offset past them.
 */
static struct result measure(enum method m, int present, uint64_t len)
{
	uint64_t hole = ((present * 2 * PAGE) + 2 * MIB - 1) & ~(2 * MIB - 1);
	uint64_t span = hole + 2 * MIB, total = 0, *t;
	int iters = iters_for(m), i;
	struct result r = { 0 };
	struct bench b;

	setup(&b, m, span, present);
	if (m == B && present + 2 > b.max_slots) {
		teardown(&b);
		return r;
	}
	for (i = 0; i < present; i++)
		if (do_map(&b, i * 2 * PAGE, PAGE, i))
			die("populating", errno);

	t = calloc(iters, sizeof(*t));
	if (!t)
		die("calloc", ENOMEM);
	for (i = 0; i < iters; i++) {
		uint64_t t0 = now_ns();

		if (do_map(&b, hole, len, present) ||
		    do_unmap(&b, hole, len, present))
			die(method_name[m], errno);
		t[i] = now_ns() - t0;
		total += t[i];
	}
	qsort(t, iters, sizeof(*t), cmp_u64);
	r.median_us = t[iters / 2] / 1000.0;
	r.p99_us = t[(iters * 99) / 100] / 1000.0;
	r.per_sec = 1e9 * iters / total;
	r.ok = true;
	free(t);

	for (i = 0; i < present; i++)
		do_unmap(&b, i * 2 * PAGE, PAGE, i);
	teardown(&b);
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
	struct result res[NR_METHODS];
	unsigned int s;
	int m;

	printf("\n### Scenario 1: MAP+UNMAP cycle, %d mappings present, %s\n\n",
	       present, "no vCPU");
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		printf("%s| size %llu KiB | median us | p99 us | cycles/s |\n",
		       s ? "\n" : "", (unsigned long long)sizes[s] / 1024);
		printf("|---|---|---|---|\n");
		for (m = A; m < NR_METHODS; m++) {
			res[m] = measure(m, present, sizes[s]);
			if (!res[m].ok) {
				printf("| %s | - | - | - |\n", method_name[m]);
				continue;
			}
			printf("| %s | %.1f | %.1f | %.0f |\n", method_name[m],
			       res[m].median_us, res[m].p99_us, res[m].per_sec);
		}
		print_ratio(res);
	}
}

static void scenario_scale(void)
{
	static const int present[] = { 1, 1000, 10000, 30000, 100000 };
	const char *env = getenv("VSHM_BENCH_MAX_B");
	int max_b = env ? atoi(env) : 10000;
	struct result first = { 0 };
	unsigned int i;
	int m;

	printf("\n### Scenario 2: 4 KiB MAP+UNMAP cycle against mappings present\n\n");
	printf("| present | A median us | B median us | C median us | B/A | C/A |");
	printf(" A vs 1 present |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (i = 0; i < ARRAY_SIZE(present); i++) {
		struct result res[NR_METHODS] = { 0 };

		for (m = A; m < NR_METHODS; m++) {
			if ((m == B && present[i] > max_b) ||
			    (m == C && present[i] > 30000))
				continue;
			res[m] = measure(m, present[i], PAGE);
		}
		if (!i)
			first = res[A];
		printf("| %d | %.1f | ", present[i], res[A].median_us);
		printf(res[B].ok ? "%.1f | " : "- | ", res[B].median_us);
		printf(res[C].ok ? "%.1f | " : "- | ", res[C].median_us);
		printf(res[B].ok ? "%.1fx | " : "- | ",
		       res[B].median_us / res[A].median_us);
		printf(res[C].ok ? "%.1fx | " : "- | ",
		       res[C].median_us / res[A].median_us);
		printf("%.2fx |\n", res[A].median_us / first.median_us);
	}
	printf("\nB runs up to VSHM_BENCH_MAX_B=%d mappings: one memory slot each,\n",
	       max_b);
	printf("within KVM's slot limit; C up to 30000 (vm.max_map_count).\n");
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

	setup(&b, A, 2 * n * PAGE, 0);
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

int main(void)
{
	const char *p = "/sys/module/vhost_shmem/parameters/max_mappings";
	FILE *f = fopen(p, "w");

	/* A holds 100000 mappings in scenario 2. */
	if (!f || fprintf(f, "200000\n") < 0 || fclose(f))
		die(p, errno);
	printf("## vshm-bench\n\n");
	printf("Methods: A = vhost-shmem, B = one KVM memory slot per mapping,\n");
	printf("C = MAP_FIXED into the reservation behind one slot.\n");
	scenario_sizes(1000);
	scenario_scale();
	scenario_memory();
	return 0;
}
