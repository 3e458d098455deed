// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal KVM guest in real mode; see guest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "guest.h"

#define RAM_SIZE	0x10000
#define CODE_GPA	0x1000
#define READ_ENTRY	(CODE_GPA + 0x00)
#define WRITE_ENTRY	(CODE_GPA + 0x10)
#define SUM_ENTRY	(CODE_GPA + 0x20)

/*
 * BX: offset in the window, CX: number of 32-bit words (non-zero).  The
 * loop instruction counts CX down; its displacement -8 jumps back from the
 * end of the loop (offset 11) to the add (offset 3).
 */
static const __u8 sum_routine[] = {
	0x66, 0x31, 0xc0,		/*  0: xor eax, eax */
	0x66, 0x03, 0x07,		/*  3: add eax, [bx] */
	0x83, 0xc3, 0x04,		/*  6: add bx, 4 */
	0xe2, 0xf8,			/*  9: loop 3 */
	0x66, 0xe7, VSHM_GUEST_PORT,	/* 11: out VSHM_GUEST_PORT, eax */
	0xf4,				/* 14: hlt */
};

enum { SLOT_RAM, SLOT_WINDOW };

/* 16-bit code; 0x66 makes each access 32 bits wide. */
static const __u8 read_routine[] = {
	0x66, 0x8b, 0x07,		/* mov eax, [bx] */
	0x66, 0xe7, VSHM_GUEST_PORT,	/* out VSHM_GUEST_PORT, eax */
	0xf4,				/* hlt */
};

static const __u8 write_routine[] = {
	0x66, 0x89, 0x0f,		/* mov [bx], ecx */
	0xf4,				/* hlt */
};

static int set_slot(struct vshm_guest *g, __u32 slot, __u64 gpa,
		    void *hva, __u64 size)
{
	struct kvm_userspace_memory_region mr = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(g->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) ? -errno : 0;
}

static int setup_vcpu(struct vshm_guest *g)
{
	struct kvm_sregs sregs;
	int size;

	g->vcpu_fd = ioctl(g->vm_fd, KVM_CREATE_VCPU, 0);
	if (g->vcpu_fd < 0)
		return -errno;
	size = ioctl(g->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < 0)
		return -errno;
	g->run_size = size;
	g->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu_fd, 0);
	if (g->run == MAP_FAILED) {
		g->run = NULL;
		return -errno;
	}

	if (ioctl(g->vcpu_fd, KVM_GET_SREGS, &sregs))
		return -errno;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = VSHM_GUEST_WINDOW_GPA;
	sregs.ds.selector = VSHM_GUEST_WINDOW_GPA >> 4;
	return ioctl(g->vcpu_fd, KVM_SET_SREGS, &sregs) ? -errno : 0;
}

int vshm_guest_create(struct vshm_guest *g)
{
	int ret;

	memset(g, 0, sizeof(*g));
	g->vm_fd = -1;
	g->vcpu_fd = -1;
	g->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g->kvm_fd < 0)
		return -errno;

	g->vm_fd = ioctl(g->kvm_fd, KVM_CREATE_VM, 0);
	if (g->vm_fd < 0) {
		ret = -errno;
		goto err;
	}
	/* Only Intel needs it, for real mode without unrestricted guest. */
	ioctl(g->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);

	g->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->ram == MAP_FAILED) {
		g->ram = NULL;
		ret = -errno;
		goto err;
	}
	memcpy((__u8 *)g->ram + READ_ENTRY, read_routine,
	       sizeof(read_routine));
	memcpy((__u8 *)g->ram + WRITE_ENTRY, write_routine,
	       sizeof(write_routine));
	memcpy((__u8 *)g->ram + SUM_ENTRY, sum_routine,
	       sizeof(sum_routine));
	ret = set_slot(g, SLOT_RAM, 0, g->ram, RAM_SIZE);
	if (ret)
		goto err;

	ret = setup_vcpu(g);
	if (ret)
		goto err;
	return 0;

err:
	vshm_guest_destroy(g);
	return ret;
}

int vshm_guest_add_window(struct vshm_guest *g, void *hva, __u64 size)
{
	return set_slot(g, SLOT_WINDOW, VSHM_GUEST_WINDOW_GPA, hva, size);
}

void vshm_guest_destroy(struct vshm_guest *g)
{
	if (g->run)
		munmap(g->run, g->run_size);
	if (g->vcpu_fd >= 0)
		close(g->vcpu_fd);
	if (g->vm_fd >= 0)
		close(g->vm_fd);
	if (g->ram)
		munmap(g->ram, RAM_SIZE);
	if (g->kvm_fd >= 0)
		close(g->kvm_fd);
	memset(g, 0, sizeof(*g));
	g->kvm_fd = -1;
	g->vm_fd = -1;
	g->vcpu_fd = -1;
}

/* Enter the guest; returns 0 or a negative errno from KVM_RUN. */
static int run(struct vshm_guest *g)
{
	int ret;

	do {
		ret = ioctl(g->vcpu_fd, KVM_RUN, 0);
	} while (ret && errno == EINTR);
	return ret ? -errno : 0;
}

static int start(struct vshm_guest *g, struct kvm_regs *regs)
{
	regs->rflags = 0x2;
	if (ioctl(g->vcpu_fd, KVM_SET_REGS, regs))
		return -errno;
	return run(g);
}

/* Run a routine from @regs until it reports a 32-bit value and halts. */
static int report32(struct vshm_guest *g, struct kvm_regs *regs, __u32 *val)
{
	struct kvm_run *r = g->run;
	int ret;

	ret = start(g, regs);
	if (ret)
		return ret;
	if (r->exit_reason != KVM_EXIT_IO || r->io.port != VSHM_GUEST_PORT ||
	    r->io.direction != KVM_EXIT_IO_OUT || r->io.size != 4)
		return r->exit_reason ? (int)r->exit_reason : -EPROTO;
	memcpy(val, (__u8 *)r + r->io.data_offset, sizeof(*val));

	/* Complete the OUT; the routine then halts. */
	ret = run(g);
	if (ret)
		return ret;
	return r->exit_reason == KVM_EXIT_HLT ? 0 : (int)r->exit_reason;
}

int vshm_guest_read32(struct vshm_guest *g, __u16 off, __u32 *val)
{
	struct kvm_regs regs = { .rip = READ_ENTRY, .rbx = off };

	return report32(g, &regs, val);
}

int vshm_guest_sum32(struct vshm_guest *g, __u16 off, __u16 count,
		     __u32 *sum)
{
	struct kvm_regs regs = { .rip = SUM_ENTRY, .rbx = off, .rcx = count };

	if (!count) {
		*sum = 0;
		return 0;
	}
	return report32(g, &regs, sum);
}

int vshm_guest_write32(struct vshm_guest *g, __u16 off, __u32 val)
{
	struct kvm_regs regs = { .rip = WRITE_ENTRY, .rbx = off, .rcx = val };
	struct kvm_run *r = g->run;
	int ret;
	int exit_reason;

	ret = start(g, &regs);
	if (ret)
		return ret;
	if (r->exit_reason == KVM_EXIT_HLT)
		return 0;
	exit_reason = r->exit_reason;
	if (exit_reason == KVM_EXIT_MMIO) {
		/*
		 * The store went to userspace instead of memory; re-enter to
		 * complete it, so that the next start() is not undone by KVM
		 * finishing this instruction.
		 */
		ret = run(g);
		if (ret)
			return ret;
	}
	return exit_reason;
}
