// SPDX-License-Identifier: GPL-2.0
/*
 * Out of tree only, never posted.  The KVM selftest library of Linux 6.8
 * and later creates each memory slot of its own with
 * KVM_SET_USER_MEMORY_REGION2, and skips every test on a kernel without
 * KVM_CAP_USER_MEMORY2.  The rig builds the library from the newest kernel
 * source and runs the same binary on 6.1 too, so on such a kernel this
 * layer, linked between the program and the C library's ioctl()
 * (-Wl,--wrap=ioctl), reports the capability and turns each
 * KVM_SET_USER_MEMORY_REGION2 into the KVM_SET_USER_MEMORY_REGION it
 * extends: the first five fields of the two structs are the same.  A
 * guest_memfd slot fails with EINVAL, as its flag would there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/kvm.h>

static bool emulate_memory2;

/* What -Wl,--wrap=ioctl leaves of the C library's ioctl(). */
static int real_ioctl(int fd, unsigned long request, void *arg)
{
	return syscall(SYS_ioctl, fd, request, arg);
}

static void __attribute__((constructor)) vshm_compat_init(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0)
		return;
	if (!real_ioctl(kvm, KVM_CHECK_EXTENSION,
			(void *)(long)KVM_CAP_USER_MEMORY2)) {
		emulate_memory2 = true;
		printf("# no KVM_CAP_USER_MEMORY2: %s\n",
		       "library memory slots by KVM_SET_USER_MEMORY_REGION");
		fflush(stdout);
	}
	close(kvm);
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	struct kvm_userspace_memory_region2 *r2;
	struct kvm_userspace_memory_region r1;
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (!emulate_memory2)
		return real_ioctl(fd, request, arg);
	if (request == KVM_CHECK_EXTENSION &&
	    (unsigned long)arg == KVM_CAP_USER_MEMORY2)
		return 1;
	if (request != KVM_SET_USER_MEMORY_REGION2)
		return real_ioctl(fd, request, arg);

	r2 = arg;
	if (r2->flags & KVM_MEM_GUEST_MEMFD) {
		errno = EINVAL;
		return -1;
	}
	r1 = (struct kvm_userspace_memory_region){
		.slot = r2->slot,
		.flags = r2->flags,
		.guest_phys_addr = r2->guest_phys_addr,
		.memory_size = r2->memory_size,
		.userspace_addr = r2->userspace_addr,
	};
	return real_ioctl(fd, KVM_SET_USER_MEMORY_REGION, &r1);
}
