/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal KVM guest for exercising a vhost-shmem window: one vCPU in real
 * mode, 64 KiB of RAM at guest physical 0 holding its routines, and the
 * window registered as a second memory slot at VSHM_GUEST_WINDOW_GPA, which
 * the real-mode routines address through DS.
 */
#ifndef VSHM_GUEST_H
#define VSHM_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <linux/kvm.h>

/* Guest physical address of the window; real mode reaches 64 KiB of it. */
#define VSHM_GUEST_WINDOW_GPA	0x10000ULL
#define VSHM_GUEST_WINDOW_MAX	0x10000ULL

/* The I/O port the read routine reports its value on. */
#define VSHM_GUEST_PORT		0x10

struct vshm_guest {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	void *ram;
};

/*
 * Create the VM, its RAM and its vCPU.  Returns 0 or a negative errno;
 * -ENOENT when /dev/kvm does not exist.
 */
int vshm_guest_create(struct vshm_guest *g);

/* Register @size bytes at @hva as the window's memory slot. */
int vshm_guest_add_window(struct vshm_guest *g, void *hva, __u64 size);

void vshm_guest_destroy(struct vshm_guest *g);

/*
 * Have the guest load 32 bits at offset @off of the window and report them.
 * Returns 0 with *@val set, a negative errno when KVM_RUN fails (-EFAULT
 * when the page cannot be reached), or the KVM exit reason (> 0) of an
 * unexpected exit.
 */
int vshm_guest_read32(struct vshm_guest *g, __u16 off, __u32 *val);

/*
 * Have the guest store @val at offset @off of the window.  Returns 0, a
 * negative errno when KVM_RUN fails, or the KVM exit reason (> 0) of an
 * unexpected exit, e.g. KVM_EXIT_MMIO for a store to read-only memory.
 */
int vshm_guest_write32(struct vshm_guest *g, __u16 off, __u32 val);

/*
 * Have the guest add up the @count 32-bit words at offset @off of the
 * window (modulo 2^32) and report the sum.  Returns as vshm_guest_read32();
 * -EFAULT when any page of the range cannot be reached.
 */
int vshm_guest_sum32(struct vshm_guest *g, __u16 off, __u16 count,
		     __u32 *sum);

#endif /* VSHM_GUEST_H */
