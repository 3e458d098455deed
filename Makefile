# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of vhost-shmem and entry points to its test rig.
#
#   make [KDIR=<kernel build dir>] [MODBUILD=<dir>]   build vhost_shmem.ko
#   make check                                       lint, then selftests in VMs: 6.1, 6.12, debug (newest) kernel
#   make demo                                        guest reads a file through a region (6.12; VM_ARGS="--kernel all" for every kernel)
#   make bench                                       vhost_shmem_perf_test in VMs on 6.1 and 6.12: Markdown tables
#   make lint                                        checkpatch, sparse + W=1, kernel-doc, netlink-gen
#   make netlink-gen                                 regenerate the netlink code from its YNL spec
#   make install [DESTDIR=] [PREFIX=/usr/local]     on a host: module (for KDIR), udev rule, libvshm, vshmctl, headers
#   make uninstall                                   remove them again
#   make dkms-install / dkms-uninstall               the module through DKMS, for every installed kernel
#   make debug                                       build the debug kernel from the newest linux-source (KASAN, lockdep, kmemleak, KUnit)
#   make check-debug                                 selftests and KUnit on the debug kernel only

# The running kernel's build tree when it has one, else the newest installed.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    $(lastword $(sort $(wildcard /lib/modules/*/build))))
# Directory the module is built in; a copy of the sources is made there when
# it is not the source tree, so several kernels can be built side by side.
MODBUILD ?= $(CURDIR)

# The QEMU/TCG test rig and the lint lane: out-of-tree only, never posted.
RIG := rig

.PHONY: all module selftests check check-debug demo bench lint netlink-gen debug \
	clean install uninstall dkms-install dkms-uninstall

all: module

module:
	@test -n "$(KDIR)" || { echo "no kernel build tree found: install linux-headers or pass KDIR=" >&2; exit 1; }
ifneq ($(abspath $(MODBUILD)),$(CURDIR))
	mkdir -p $(MODBUILD)
	cp -r drivers include $(MODBUILD)/
endif
	$(MAKE) -C $(KDIR) M=$(abspath $(MODBUILD))/drivers/vhost/shmem \
		CONFIG_VHOST_SHMEM=m \
		KCFLAGS="-I$(abspath $(MODBUILD))/include/uapi -I$(abspath $(MODBUILD))/include" modules

# The selftests as the kernel tree builds them (../lib.mk), into build/selftests.
selftests:
	$(RIG)/ksft_tree.sh USERLDFLAGS=-static

check:
	$(RIG)/vm_run.sh $(VM_ARGS)

check-debug:
	$(RIG)/vm_run.sh --kernel debug

# One stock kernel answers "does it work"; the others are VM_ARGS away.
demo:
	$(RIG)/vm_run.sh --demo $(or $(VM_ARGS),--kernel 6.12)

bench:
	$(RIG)/vm_run.sh --bench $(VM_ARGS)

lint:
	$(RIG)/lint.sh

# Documentation/netlink/specs/vhost_shmem.yaml -> the generated files
# (ynl_gen.sh lists them); `make lint` fails when they are stale.
netlink-gen:
	$(RIG)/ynl_gen.sh

debug:
	$(RIG)/debug_kernel.sh

# scripts/install.sh says what goes where; these are its knobs.
export DESTDIR PREFIX BINDIR LIBDIR INCLUDEDIR MANDIR UDEVRULESDIR \
	MODULESLOADDIR KDIR

install uninstall dkms-install dkms-uninstall:
	scripts/install.sh $@

clean:
	rm -rf build
	find drivers/vhost/shmem \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
	     -o -name '*.mod.c' -o -name '.*.cmd' -o -name modules.order \
	     -o -name Module.symvers \) -delete
