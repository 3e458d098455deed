#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm_run.sh - build vhost-shmem and run its selftests in QEMU VMs, one per
# supported kernel (Debian's 6.1 and 6.12 LTS kernels as Debian ships them,
# and a debug kernel with KASAN, lockdep, kmemleak and KUnit built from the
# newest kernel source Debian ships), plus `make lint`.
#
# Usage: vm_run.sh [--kernel 6.1|6.12|debug|all] [--no-lint] [--demo|--bench]
#                  [--help]
#
#   --kernel K   run only the lane of kernel K (default: all = the lint
#                lane, then 6.1, 6.12 and debug); "debug" is the kernel that
#                debug_kernel.sh builds from the newest linux-source-X.Y
#                of sid or trixie-backports with the driver in-tree
#   --lint       run only the lint lane (lint.sh: checkpatch, sparse, W=1,
#                kernel-doc)
#   --no-lint    do not run the lint lane with --kernel all
#   --demo       build tools/vhost_shmem and run vshm-demo in the guest
#                instead of the selftests (never lints); vshmctl is in the
#                guest's PATH and the demo runs "vshmctl show" after each
#                step
#   --bench      build the KVM performance test vhost_shmem_perf_test
#                (tools/testing/selftests/kvm, on the KVM selftest library)
#                and run it in the guest instead of the selftests, and
#                print its tables (never lints; "all" is 6.1 and 6.12 only:
#                timings under KASAN and lockdep say nothing about the code)
#
# This is what `make check`, `make demo` and `make bench` at the top of the
# repository run.
#
# The host kernel cannot load modules, so each lane boots a QEMU VM under TCG
# (no -enable-kvm: the host's /dev/kvm cannot boot a stock kernel).  `-cpu max`
# emulates AMD SVM, so the guest loads kvm_amd and has a working /dev/kvm.
# The guest runs a busybox initramfs that loads the KVM modules and
# vhost_shmem.ko, runs every test program, dumps dmesg and powers off.
#
# Steps: install missing Debian packages, fetch and extract the newest
# linux-source (for kselftest_harness.h and the KVM selftest library;
# lib.sh) into a cache, find the kernels in /boot, build the module per
# kernel and the test programs once (tools/testing/selftests/vhost_shmem,
# and tools/testing/selftests/kvm as kvm_vhost_shmem_test),
# build an initramfs per kernel, boot it, and count the TAP results and scan
# the kernel log for splats.
# Output goes to $REPO/build/ (gitignored); the console log of each lane is
# build/<kernel release>/console.log.
#
# The last line printed is "N passed, N failed[, N skipped]" (totals over the
# lanes; a crashed/hung lane, a dirty kernel log or a build failure counts as
# one more failure; in the lint lane each failing check is one failure and
# each clean one a pass).  Exit status 0 only if nothing failed.
#
# Counting, per test program (kselftest TAP): "ok N name" and "ok ... # XFAIL"
# pass; "ok/not ok ... # SKIP" (and "1..0 # SKIP") skip; "not ok N name" and
# "ok ... # XPASS" (a stale XFAIL_ADD) fail.  A program that crashes or hangs,
# prints no result, fewer results than its plan, or exits non-zero without
# a failing result counts as one failure.  A lane also fails when the kernel
# log shows a splat (WARNING, BUG, Oops, lockdep, KASAN, ...), when
# vhost_shmem.ko cannot be loaded, or unloaded after the tests, or when the
# VM does not finish.
# In --demo and --bench mode the program passes when it exits 0.
#
# The debug lane also counts the KUnit cases of the vhost_shmem suites (KTAP
# in the guest's dmesg: the suite is built into vhost_shmem.ko and runs when
# it is loaded): every leaf case passes, fails or skips; no KUnit result at
# all while CONFIG_VHOST_SHMEM_KUNIT_TEST=y is a lane failure.  After the
# tests the guest asks kmemleak for two scans and prints its report (leaks
# that exist before vhost_shmem is loaded are cleared first); any
# "unreferenced object" fails the lane.
#
# Environment variables (all optional):
#   VSHM_CACHE        cache directory (default: $HOME/.cache/vhost-shmem)
#   VSHM_TIMEOUT      seconds before a VM is killed (default: 1500; the
#                     debug lane gets VSHM_DEBUG_TIMEOUT, default 2400)
#   VSHM_TEST_TIMEOUT seconds one test program may run in the guest before it
#                     is killed (default: 900)
#   VSHM_FUZZ_ITERS, VSHM_FUZZ_SEED
#                     passed to the guest's vhost_shmem_fuzz_test (its
#                     length, default 20000, and seed); the debug lane runs
#                     VSHM_DEBUG_FUZZ_ITERS iterations unless VSHM_FUZZ_ITERS
#                     is set
#   VSHM_DEBUG_FUZZ_ITERS
#                     fuzz iterations in the debug lane (default 4000: under
#                     KASAN and lockdep 20000 take most of the harness's 30 s
#                     on an idle host and time out on a busy one)
#   VSHM_DEBUG_ICOUNT QEMU -icount value of the debug lane (default
#                     "shift=0,sleep=off": guest time advances 1 ns per
#                     instruction, so the harness's 30 s and the other
#                     timeouts in the guest are instruction budgets that do
#                     not shrink when the host is busy; empty: real time)
#   VSHM_GUEST_ENV    more "NAME=value" words exported to the test programs
#                     in the guest (values: letters, digits and ,.:/+=_-)
#   VSHM_TESTS        space-separated names of the test programs to run
#                     (default: all of them)
#   VSHM_TEST_DIR     directory of prebuilt static test programs; every
#                     executable file in it is run, and the selftest build is
#                     skipped
#   VSHM_DEMO         prebuilt static demo program, for --demo; the tools build
#                     is skipped (a vshmctl next to it is used too)
#   VSHM_BENCH        prebuilt static vhost_shmem_perf_test, for --bench; the
#                     KVM selftest build is skipped
#   VSHM_BENCH_ITERS, VSHM_BENCH_MAX_B, VSHM_BENCH_STORM_RATE,
#   VSHM_BENCH_SCENARIOS
#                     passed to the guest's vhost_shmem_perf_test with
#                     --bench: the defaults of its -i, -b, -r and -s options
#                     (vhost_shmem_perf_test -h says what they do)
#   VSHM_MODULE       .ko to load instead of building vhost_shmem.ko; the
#                     string {kver} in it is replaced by the kernel release,
#                     e.g. VSHM_MODULE=/tmp/mods/{kver}/hello.ko
#   VSHM_SKIP_MODULE_BUILD=1
#                     do not rebuild: load the module DKMS built last in
#                     build/<kver>/dkms/ (debug lane:
#                     do not run debug_kernel.sh, use its last build)
#   VSHM_DEBUG_DRIVER_SRC, VSHM_DEBUG_JOBS
#                     passed to debug_kernel.sh (see its header)
#   VSHM_SKIP_DEPS=1  do not check or install Debian packages
#   VSHM_SKIP_RMMOD=1 do not unload vhost_shmem after the tests (normally a
#                     failed unload fails the lane; --demo and --bench never
#                     unload)
#   VSHM_SMP, VSHM_MEM  guest CPUs (default 2) and MiB of memory (default 2048)
#   VSHM_ACCEL        QEMU -accel value (default: tcg,thread=single; never
#                     kvm: the host's /dev/kvm cannot boot these kernels)
#   VSHM_APPEND       extra kernel command line (e.g. "loglevel=7" to see
#                     every kernel message live on the console)
#   VSHM_QEMU_ARGS    extra QEMU arguments (word-split)

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
BUILD=$REPO/build
CACHE=${VSHM_CACHE:-$HOME/.cache/vhost-shmem}
VM_TIMEOUT=${VSHM_TIMEOUT:-1500}
# KASAN, lockdep and kmemleak under TCG: the debug lane runs slower.
DEBUG_VM_TIMEOUT=${VSHM_DEBUG_TIMEOUT:-2400}
TEST_TIMEOUT=${VSHM_TEST_TIMEOUT:-900}
DEBUG_FUZZ_ITERS=${VSHM_DEBUG_FUZZ_ITERS:-4000}
DEBUG_ICOUNT=${VSHM_DEBUG_ICOUNT-shift=0,sleep=off}
SMP=${VSHM_SMP:-2}
# Round-robin TCG: one host thread runs all vCPUs.  Multi-threaded TCG
# (thread=multi) was no faster here, and it once crashed 6.12 at boot with a
# spurious "Oops: int3" in a code-patching site (QEMU 7.2 cross-modifying
# code race), which would make the lanes flaky.
ACCEL=${VSHM_ACCEL:-tcg,thread=single}
MEM=${VSHM_MEM:-2048}

# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"
# The debug kernel's build directory (O=), made by debug_kernel.sh.
DEBUG_DIR=$CACHE/debug-build

# Packages the rig needs (meta packages: no ABI suffixes here), and those
# of each stock kernel lane, installed only when the lane runs.
PACKAGES=(qemu-system-x86 busybox-static cpio kmod xz-utils zstd gcc make
	  pkg-config e2fsprogs libc6-dev uuid-dev dkms
	  debian-archive-keyring)
PACKAGES_6_1=(linux-image-amd64 linux-headers-amd64)
PACKAGES_6_12=(linux-image-6.12-amd64 linux-headers-6.12-amd64)

# Modules the guest loads before vhost_shmem (with their dependencies).
# Debian's kvm_amd needs ccp (SEV) and kvm, kvm needs irqbypass.
GUEST_MODULES=(ccp irqbypass kvm kvm_amd)
# Modules of the files the selftests map (overlayfs, ext4 on a loop device,
# FUSE; ext4 of Debian's kernels needs a crc32c driver), loaded when the
# kernel has them as modules; the debug kernel has them built in.  A test
# that needs a missing one fails or skips on its own.
GUEST_FS_MODULES=(overlay loop crc32c_generic ext4 fuse)

# A kernel log line matching this fails the lane.  (kmemleak's "new suspected
# memory leaks" counts only after the guest cleared the boot-time suspects;
# see parse_log.)
KERNEL_BAD='WARNING:|BUG:|Oops|Kernel panic|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|general protection fault|kernel BUG|Call Trace|list_add corruption|list_del corruption|refcount_t:|ODEBUG:|turning off the locking correctness validator|INFO: task .* blocked for more than'

KERNEL_SEL=all
LINT=1
# The program run instead of the selftests: vshm-demo (--demo) or
# vhost_shmem_perf_test (--bench).
TOOL=
# Programs the demo calls (vshmctl), installed in the guest's /usr/bin.
DEMO_TOOLS=()

# Results, accumulated over the lanes.
TOTAL_PASS=0
TOTAL_FAIL=0
TOTAL_SKIP=0
SUMMARY=()

usage() {
	sed -n '/^# Usage:/,/^# Environment/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
	echo "See the header of ${BASH_SOURCE[0]} for the environment variables."
}

# Every line says how long the run has taken so far.
log() { echo "vm_run: [${SECONDS}s] $*"; }

# Fatal error before or between lanes: still end with a totals line.
die() {
	echo "vm_run: ERROR: $*" >&2
	echo "$TOTAL_PASS passed, $((TOTAL_FAIL + 1)) failed"
	exit 1
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) [ $# -ge 2 ] || { usage >&2; exit 2; }
			  KERNEL_SEL=$2; shift ;;
		--kernel=*) KERNEL_SEL=${1#--kernel=} ;;
		--lint) KERNEL_SEL=lint ;;
		--no-lint) LINT=0 ;;
		--demo) TOOL=vshm-demo ;;
		--bench) TOOL=vhost_shmem_perf_test ;;
		-h|--help) usage; exit 0 ;;
		*) echo "vm_run: unknown argument: $1" >&2; usage >&2; exit 2 ;;
		esac
		shift
	done
	case $KERNEL_SEL in
	6.1|6.12|debug|all|lint) ;;
	*) echo "vm_run: --kernel must be 6.1, 6.12, debug or all" >&2; exit 2 ;;
	esac
	[ "$KERNEL_SEL" = all ] && [ -z "$TOOL" ] || LINT=0
	[ "$KERNEL_SEL" = lint ] && LINT=1
	return 0
}

# ---------------------------------------------------------------------------
# Step 1: Debian packages
# ---------------------------------------------------------------------------
install_deps() {
	local pkgs=("${PACKAGES[@]}")

	case $KERNEL_SEL in
	all) pkgs+=("${PACKAGES_6_1[@]}" "${PACKAGES_6_12[@]}") ;;
	6.1) pkgs+=("${PACKAGES_6_1[@]}") ;;
	6.12) pkgs+=("${PACKAGES_6_12[@]}") ;;
	esac
	log "checking Debian packages"
	vshm_install_packages "${pkgs[@]}"
}

# ---------------------------------------------------------------------------
# Step 2: the newest linux-source in the cache (kselftest_harness.h, YNL,
# the KVM selftest library)
# ---------------------------------------------------------------------------
prepare_cache() {
	# The demo builds nothing else from the kernel source than
	# vshmctl's YNL library; the benchmark, the KVM selftest library.
	if [ "$TOOL" = vshm-demo ]; then
		vshm_ynl_dir
		export YNL_DIR
		return 0
	fi
	vshm_linux_source
	# lib.mk and kselftest for ksft_tree.sh.
	export LINUX_SRC
	# The YNL C library that vshmctl and the netlink selftest link.
	export YNL_DIR=$LINUX_SRC/tools/net/ynl
}

# ---------------------------------------------------------------------------
# Step 3: kernels
# ---------------------------------------------------------------------------
# Newest /boot/vmlinuz-<kver> of series $1 (6.1 or 6.12), generic flavour.
find_kernel() {
	local series=$1 f kver
	for f in /boot/vmlinuz-"$series".*-amd64; do
		[ -e "$f" ] || continue
		kver=${f#/boot/vmlinuz-}
		case $kver in
		*-rt-*|*-cloud-*) continue ;;
		esac
		echo "$kver"
	done | sort -V | tail -n 1
}

# Sets KVERS to the kernel releases to test ("debug" for the debug kernel,
# whose release is only known once it is built).
discover_kernels() {
	local series kver
	local want=(6.1 6.12 debug)
	[ "$TOOL" = vhost_shmem_perf_test ] && want=(6.1 6.12)
	[ "$KERNEL_SEL" = all ] || want=("$KERNEL_SEL")
	[ "$KERNEL_SEL" = lint ] && want=()
	KVERS=()
	for series in "${want[@]}"; do
		if [ "$series" = debug ]; then
			KVERS+=(debug)
			continue
		fi
		kver=$(find_kernel "$series")
		[ -n "$kver" ] || die "no /boot/vmlinuz-$series.*-amd64 kernel installed"
		[ -d "/lib/modules/$kver/kernel" ] ||
			die "modules of $kver missing (/lib/modules/$kver/kernel)"
		KVERS+=("$kver")
		log "kernel $series: $kver"
	done
}

# ---------------------------------------------------------------------------
# Step 4: builds
# ---------------------------------------------------------------------------
# Builds the debug kernel (with vhost_shmem.ko in-tree) unless
# VSHM_SKIP_MODULE_BUILD=1; sets DEBUG_BUILD_SECS.  Output to stderr.
build_debug_kernel() {
	local t=$SECONDS
	DEBUG_BUILD_SECS=0
	[ "${VSHM_SKIP_MODULE_BUILD:-0}" = 1 ] && return 0
	log "building the debug kernel (debug_kernel.sh)" >&2
	"$SCRIPT_DIR/debug_kernel.sh" >&2 || return 1
	DEBUG_BUILD_SECS=$((SECONDS - t))
	log "debug kernel build took ${DEBUG_BUILD_SECS}s" >&2
}

# Prints the path of the module to load for kernel $1, building it if needed.
build_module() {
	local kver=$1 mod

	if [ "$kver" = debug ]; then
		mod=$DEBUG_DIR/drivers/vhost/shmem/vhost_shmem.ko
		[ -f "$mod" ] || { log "$mod missing" >&2; return 1; }
		echo "$mod"
		return 0
	fi
	if [ -n "${VSHM_MODULE:-}" ]; then
		mod=${VSHM_MODULE//\{kver\}/$kver}
		[ -f "$mod" ] || { log "VSHM_MODULE=$mod: no such file" >&2; return 1; }
		echo "$mod"
		return 0
	fi
	# Built by DKMS from dkms.conf, as on a host, in trees of the lane's
	# own (not /var/lib/dkms): what users install is what is tested.
	local ver src tree
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$REPO/dkms.conf")
	src=$BUILD/$kver/dkms-src
	tree=$BUILD/$kver/dkms
	if [ "${VSHM_SKIP_MODULE_BUILD:-0}" != 1 ]; then
		[ -d "/lib/modules/$kver/build" ] || {
			log "headers of $kver missing: install linux-headers-$kver" >&2
			return 1
		}
		# Never let a stale module survive.
		rm -rf "${BUILD:?}/$kver"
		mkdir -p "$src/vhost-shmem-$ver" "$tree"
		cp -r "$REPO/Makefile" "$REPO/dkms.conf" "$REPO/drivers" \
			"$REPO/include" "$src/vhost-shmem-$ver/"
		log "building vhost_shmem.ko for $kver with DKMS" >&2
		dkms --dkmstree "$tree" --sourcetree "$src" build \
			-m vhost-shmem -v "$ver" -k "$kver" >&2 || {
			cat "$tree/vhost-shmem/$ver/build/make.log" >&2 2>/dev/null
			return 1
		}
	fi
	mod=$(ls "$tree/vhost-shmem/$ver/$kver/x86_64/module/vhost_shmem.ko"* 2>/dev/null | head -n 1)
	[ -n "$mod" ] || { log "no module in $tree after the DKMS build" >&2; return 1; }
	echo "$mod"
}

# Builds tools/testing/selftests/kvm (on the KVM selftest library of
# $LINUX_SRC, in a build directory of its own) and copies its test into the
# test directory $1 as kvm_vhost_shmem_test: the guest knows tests by file
# name, and the vhost_shmem directory has a vhost_shmem_test of its own.
# With --bench, $1 is where the performance test is copied, as is.
build_kvm_selftests() {
	local out=$BUILD/kvm-selftests/${LINUX_SRC##*/}

	log "building the KVM selftests on the library of ${LINUX_SRC##*/}"
	mkdir -p "$out"
	make -C "$REPO/tools/testing/selftests/kvm" OUTPUT="$out" \
		LINUX_SRC="$LINUX_SRC" > "$out.log" 2>&1 ||
		{ tail -n 40 "$out.log" >&2; return 1; }
	if [ "$TOOL" = vhost_shmem_perf_test ]; then
		cp "$out/vhost_shmem_perf_test" "$1/"
		return 0
	fi
	cp "$out/vhost_shmem_test" "$1/kvm_vhost_shmem_test"
}

# Fills GUEST_PROGS with the paths of the programs the guest runs.
build_guest_programs() {
	local dir f name

	if [ -n "$TOOL" ]; then
		if [ "$TOOL" = vshm-demo ]; then
			f=${VSHM_DEMO:-}
		else
			f=${VSHM_BENCH:-}
		fi
		if [ -z "$f" ] && [ "$TOOL" = vhost_shmem_perf_test ]; then
			rm -rf "$BUILD/bench"
			mkdir -p "$BUILD/bench"
			build_kvm_selftests "$BUILD/bench" ||
				die "building the KVM selftests failed"
			f=$BUILD/bench/$TOOL
		elif [ -z "$f" ]; then
			rm -rf "$BUILD/tools"
			log "building tools/vhost_shmem"
			make -C "$REPO/tools/vhost_shmem" OUTPUT="$BUILD/tools" ||
				die "building tools/vhost_shmem failed"
			f=$BUILD/tools/$TOOL
		fi
		[ -x "$f" ] || die "program $f missing"
		GUEST_PROGS=("$f")
		DEMO_TOOLS=()
		if [ "$TOOL" = vshm-demo ] && [ -x "${f%/*}/vshmctl" ]; then
			DEMO_TOOLS=("${f%/*}/vshmctl")
		fi
	else
		if [ -n "${VSHM_TEST_DIR:-}" ]; then
			dir=$VSHM_TEST_DIR
		else
			dir=$BUILD/selftests
			rm -rf "$dir"
			log "building the selftests (ksft_tree.sh)"
			"$SCRIPT_DIR/ksft_tree.sh" OUTPUT="$dir" USERLDFLAGS=-static ||
				die "building the selftests failed"
			build_kvm_selftests "$dir" ||
				die "building the KVM selftests failed"
		fi
		[ -d "$dir" ] || die "test directory $dir missing"
		GUEST_PROGS=()
		while IFS= read -r f; do
			name=${f##*/}
			if [ -n "${VSHM_TESTS:-}" ] && [[ " $VSHM_TESTS " != *" $name "* ]]; then
				continue
			fi
			GUEST_PROGS+=("$f")
		done < <(find "$dir" -maxdepth 1 -type f -perm -u+x | LC_ALL=C sort)
		[ ${#GUEST_PROGS[@]} -gt 0 ] || die "no test programs in $dir"
	fi

	# The initramfs has no C library: insist on static binaries.
	for f in "${GUEST_PROGS[@]}" "${DEMO_TOOLS[@]}"; do
		if LC_ALL=C readelf -l "$f" 2>/dev/null | grep -q 'Requesting program interpreter'; then
			die "$f is dynamically linked; the guest needs static binaries (-static)"
		fi
	done
	log "guest programs: $(for f in "${GUEST_PROGS[@]}"; do printf '%s ' "${f##*/}"; done)"
}

# ---------------------------------------------------------------------------
# Step 5: initramfs
# ---------------------------------------------------------------------------
# Appends module $2 of kernel $1 and its dependencies (first) to MOD_ORDER /
# MOD_FILES, once each.
resolve_module() {
	local kver=$1 name=$2 file deps dep
	name=${name//-/_}
	[[ " ${MOD_ORDER[*]} " == *" $name "* ]] && return 0
	if [ "$kver" = debug ]; then
		# KVM and everything it needs is built into the debug kernel
		# (checked in run_lane); ccp is not even configured there.
		if grep -q "/${name}.ko\$\|/${name//_/-}.ko\$" "$DEBUG_DIR/modules.builtin"; then
			return 0
		fi
		[ "$name" = ccp ] && return 0
		log "module $name is neither built into the debug kernel nor skippable" >&2
		return 1
	fi
	file=$(modinfo -k "$kver" -n "$name" 2>/dev/null) ||
		{ log "module $name not found for $kver" >&2; return 1; }
	deps=$(modinfo -k "$kver" -F depends "$name")
	for dep in ${deps//,/ }; do
		resolve_module "$kver" "$dep" || return 1
	done
	case $file in
	/*) MOD_ORDER+=("$name"); MOD_FILES+=("$file") ;;
	*) ;;	# built into the kernel
	esac
}

# Prints the "NAME=value" words exported to the test programs of lane $1.
guest_env() {
	local kver=$1 w
	local env=()
	[ -n "${VSHM_FUZZ_SEED:-}" ] && env+=("VSHM_FUZZ_SEED=$VSHM_FUZZ_SEED")
	if [ "$TOOL" = vhost_shmem_perf_test ]; then
		for w in VSHM_BENCH_ITERS VSHM_BENCH_MAX_B VSHM_BENCH_STORM_RATE \
			 VSHM_BENCH_SCENARIOS; do
			[ -n "${!w:-}" ] && env+=("$w=${!w}")
		done
	fi
	if [ -n "${VSHM_FUZZ_ITERS:-}" ]; then
		env+=("VSHM_FUZZ_ITERS=$VSHM_FUZZ_ITERS")
	elif [ "$kver" = debug ]; then
		env+=("VSHM_FUZZ_ITERS=$DEBUG_FUZZ_ITERS")
	fi
	# shellcheck disable=SC2206 # word splitting wanted
	env+=(${VSHM_GUEST_ENV:-})
	for w in "${env[@]}"; do
		[[ $w =~ ^[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9,.:/+=_-]*$ ]] ||
			{ log "bad guest environment word: $w" >&2; return 1; }
		echo "$w"
	done
}

# Copies kernel module $1 to $2, decompressed.
copy_module() {
	case $1 in
	*.ko.xz) xz -dc "$1" > "$2" ;;
	*.ko.zst) zstd -qdc "$1" > "$2" ;;
	*.ko.gz) gzip -dc "$1" > "$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# The guest's /init.  Settings are prepended by make_initramfs.
write_init() {
	cat <<'EOF'
# /init of the vhost-shmem test initramfs, generated by vm_run.sh.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo "=== VSHM-BOOTED $(uname -r) cpus=$(nproc)"

# kmemleak (debug kernel only): report leaks found after the module is
# loaded, not boot-time suspects of the rest of the kernel: scan once now and
# mark what it finds as reported ("clear").
KMEMLEAK=/sys/kernel/debug/kmemleak
kmemleak_report() {
	echo scan > $KMEMLEAK
	sleep 5
	echo scan > $KMEMLEAK
	echo "=== VSHM-KMEMLEAK-BEGIN $1"
	cat $KMEMLEAK
	echo "=== VSHM-KMEMLEAK-END $1"
}
if [ -w $KMEMLEAK ]; then
	echo scan > $KMEMLEAK
	n=$(grep -c 'unreferenced object' $KMEMLEAK)
	echo clear > $KMEMLEAK
	echo "=== VSHM-KMEMLEAK-BASELINE $n"
	echo "vshm: kmemleak baseline cleared ($n boot-time suspects)" > /dev/kmsg
fi

# Modules, dependencies first; vhost_shmem (the module under test) last.
while read -r m; do
	insmod "/modules/$m.ko"
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "=== VSHM-INSMOD-OK $m"
	else
		echo "=== VSHM-INSMOD-FAILED $m rc=$rc"
	fi
done < /modules/order

# What udev does with the rules' GROUP and MODE (no udev here).
for r in /etc/udev/rules.d/*.rules; do
	sed -n 's/^KERNEL=="\([^"]*\)".*GROUP="\([^"]*\)".*MODE="\([^"]*\)".*/\1 \2 \3/p' "$r"
done | while read -r name group mode; do
	[ -c "/dev/$name" ] || continue
	chgrp "$group" "/dev/$name" && chmod "$mode" "/dev/$name" &&
		echo "=== VSHM-UDEV /dev/$name $group $mode"
done

for d in /dev/vhost-shmem /dev/kvm; do
	if [ -c $d ]; then
		echo "=== VSHM-DEV-OK $d"
	else
		echo "=== VSHM-DEV-MISSING $d"
	fi
done

cd /tmp
while read -r t; do
	echo "=== VSHM-TEST-BEGIN $t"
	timeout -s KILL "$TEST_TIMEOUT" "/tests/$t" </dev/null
	rc=$?
	echo "=== VSHM-TEST-END $t rc=$rc"
done < /tests/order
cd /

[ -w $KMEMLEAK ] && kmemleak_report after-tests

# Unloading must work once every test has closed its files (a few tries:
# file releases can be deferred).
if [ "$RMMOD" = 1 ]; then
	tries=0
	until err=$(rmmod "$MODULE_NAME" 2>&1); do
		tries=$((tries + 1))
		if [ $tries -ge 5 ]; then
			echo "$err"
			echo "=== VSHM-RMMOD-FAILED $MODULE_NAME refcnt=$(cat /sys/module/$MODULE_NAME/refcnt 2>/dev/null)"
			break
		fi
		sleep 1
	done
	[ $tries -lt 5 ] && echo "=== VSHM-RMMOD-OK $MODULE_NAME"
	[ -w $KMEMLEAK ] && kmemleak_report after-rmmod
fi

echo "=== VSHM-DMESG-BEGIN"
dmesg
echo "=== VSHM-DMESG-END"
echo "=== VSHM-DONE"
# Without ACPI (the debug kernel) power-off cannot end QEMU; a reset does
# (-no-reboot).
if [ -d /sys/firmware/acpi ]; then
	poweroff -f
else
	reboot -f
fi
EOF
}

# Builds $BUILD/$kver/initramfs.cpio.gz for kernel $1 with module $2.
make_initramfs() {
	local kver=$1 module=$2 dir=$BUILD/$1/initramfs busybox m i prog
	local MOD_ORDER=() MOD_FILES=() rmmod=1 genv=() w

	rm -rf "$dir"
	mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,modules,tests,images}
	mkdir -p "$dir/etc/udev/rules.d"

	# Users and groups of a Debian host: the VMM's user is in group kvm,
	# another user is not.  The device permissions come from the project's
	# udev rule, and /dev/kvm's from the rule Debian's udev ships (the
	# init applies them: the initramfs has no udev).
	printf '%s\n' root:x:0:0:root:/:/bin/sh vmm:x:1000:1000::/tmp:/bin/sh \
		other:x:1001:1001::/tmp:/bin/sh > "$dir/etc/passwd"
	printf '%s\n' root:x:0: kvm:x:78:vmm vmm:x:1000: other:x:1001: \
		> "$dir/etc/group"
	cp "$REPO/packaging/60-vhost-shmem.rules" "$dir/etc/udev/rules.d/" || return 1
	echo 'KERNEL=="kvm", GROUP="kvm", MODE="0660"' \
		> "$dir/etc/udev/rules.d/50-udev-default.rules"

	# A small ext4 image for the tests that need a disk filesystem on a
	# loop device (sparse: it costs the initramfs a few KiB).
	if [ -z "$TOOL" ]; then
		mkfs.ext4 -q -F -b 4096 -O ^has_journal "$dir/images/ext4.img" 16M \
			>&2 || return 1
	fi

	busybox=$(command -v busybox) || die "busybox not found"
	if LC_ALL=C readelf -l "$busybox" | grep -q 'Requesting program interpreter'; then
		die "$busybox is not static: install busybox-static"
	fi
	cp "$busybox" "$dir/bin/busybox" || return 1
	# The kernel opens /dev/console before running /init (/init reopens it
	# from devtmpfs anyway, so this is optional).
	if [ "$(id -u)" -eq 0 ]; then
		mknod -m 600 "$dir/dev/console" c 5 1 || return 1
	fi

	for m in "${GUEST_MODULES[@]}"; do
		resolve_module "$kver" "$m" || return 1
	done
	if [ "$kver" != debug ]; then
		for m in "${GUEST_FS_MODULES[@]}"; do
			modinfo -k "$kver" -n "$m" >/dev/null 2>&1 || continue
			resolve_module "$kver" "$m" || return 1
		done
	fi
	# Dependencies of the module under test (none expected), then itself.
	for m in $(modinfo -F depends "$module" | tr , ' '); do
		resolve_module "$kver" "$m" || return 1
	done
	for i in "${!MOD_ORDER[@]}"; do
		copy_module "${MOD_FILES[$i]}" "$dir/modules/${MOD_ORDER[$i]}.ko" || return 1
		echo "${MOD_ORDER[$i]}" >> "$dir/modules/order"
	done
	copy_module "$module" "$dir/modules/vhost_shmem.ko" || return 1
	echo vhost_shmem >> "$dir/modules/order"
	log "guest modules ($kver): ${MOD_ORDER[*]} vhost_shmem" >&2

	: > "$dir/tests/order"
	for prog in "${GUEST_PROGS[@]}"; do
		cp "$prog" "$dir/tests/" || return 1
		echo "${prog##*/}" >> "$dir/tests/order"
	done
	for prog in "${DEMO_TOOLS[@]}"; do
		cp "$prog" "$dir/usr/bin/" || return 1
	done

	w=$(guest_env "$kver") || return 1
	if [ -n "$w" ]; then
		mapfile -t genv <<< "$w"
		log "guest environment ($kver): ${genv[*]}" >&2
	fi

	# Unload the module after the tests (not after the demo or the bench).
	if [ "${VSHM_SKIP_RMMOD:-0}" = 1 ] || [ -n "$TOOL" ]; then
		rmmod=0
	fi
	{
		echo '#!/bin/busybox sh'
		echo "TEST_TIMEOUT=$TEST_TIMEOUT"
		for w in "${genv[@]}"; do echo "export $w"; done
		if [ ${#DEMO_TOOLS[@]} -gt 0 ]; then
			echo 'export VSHM_DEMO_SHOW="vshmctl show"'
		fi
		echo "RMMOD=$rmmod"
		echo "MODULE_NAME=$(modinfo -F name "$module" 2>/dev/null || echo vhost_shmem)"
		write_init
	} > "$dir/init" || return 1
	chmod 755 "$dir/init"

	(cd "$dir" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) |
		gzip -1 > "$BUILD/$kver/initramfs.cpio.gz"
}

# ---------------------------------------------------------------------------
# Step 6: boot
# ---------------------------------------------------------------------------
# Boots kernel image $2 of lane $1 with its initramfs, killing it after $3
# seconds; console to build/<kver>/console.log and the terminal.  Sets VM_RC
# to QEMU's exit status (124: timed out).
boot_vm() {
	local kver=$1 image=$2 vm_timeout=$3 log=$BUILD/$1/console.log
	local append="console=ttyS0 panic=-1 quiet loglevel=4"
	# The debug kernel runs with 4-level paging.  With LA57 (-cpu max has
	# it), KASAN decides whether an address has shadow memory from the
	# LA57 bit of boot_cpu_data, which identify_cpu() clears and sets again
	# at boot with interrupts on: an interrupt in that window got a false
	# "BUG: KASAN: wild-memory-access in do_raw_spin_lock" (handle_edge_irq,
	# RIP in cpu_detect), in about one boot out of four.
	[ "$kver" = debug ] && append+=" no5lvl"
	# A ZONE_MOVABLE, from which pinning must migrate the pages windows
	# hold (vshm.memfd_pins_leave_zone_movable).
	append+=" movablecore=256M"
	append+=" ${VSHM_APPEND:-}"
	# shellcheck disable=SC2206 # word splitting wanted
	local extra=(${VSHM_QEMU_ARGS:-})
	if [ "$kver" = debug ] && [ -n "$DEBUG_ICOUNT" ]; then
		extra=(-icount "$DEBUG_ICOUNT" "${extra[@]}")
	fi

	log "booting $kver ($ACCEL, $SMP CPUs, timeout ${vm_timeout}s${extra[*]:+, ${extra[*]}})"
	set +e
	# --foreground keeps QEMU in the terminal's process group so that ^C
	# reaches it; stdin is /dev/null so QEMU leaves the terminal alone.
	timeout --foreground -k 10 "$vm_timeout" \
		qemu-system-x86_64 -accel "$ACCEL" -cpu max \
		-smp "$SMP" -m "$MEM" \
		-display none -monitor none -serial stdio -nic none -no-reboot \
		-kernel "$image" \
		-initrd "$BUILD/$kver/initramfs.cpio.gz" \
		-append "$append" "${extra[@]}" </dev/null 2>&1 |
		sed -u 's/\r//g' | tee "$log"
	VM_RC=${PIPESTATUS[0]}
	set -e
}

# ---------------------------------------------------------------------------
# Steps 7 and 8: results
# ---------------------------------------------------------------------------
# Parses a console log ($1) and prints tagged lines:
#   COUNT <pass> <fail> <skip>   counted results (FAIL lines included)
#   FAIL <why>                   a failed test or test program
#   LANEFAIL <why>               a lane failure not counted in COUNT
#   NOTE <text>                  worth showing, not a failure
#   KERNEL <line>                a suspicious kernel log line (or a kmemleak
#                                report line)
#   KUNIT <pass> <fail> <skip>   KUnit cases of the vhost_shmem suites
#                                (FAIL lines for failed cases included), only
#                                if any KUnit result was seen
#   DONE                         the guest got to the end of /init
#
# KTAP (KUnit) in the dmesg section: a suite starts with "# Subtest: <name>"
# indented one level (4 spaces) and ends with its "ok/not ok N <name>" line at
# level 0; cases are "(not )ok N <case>" lines one level down, parameterized
# cases have their parameters one more level down.  Only leaves count: a
# result line is a leaf unless results deeper than it came since the
# previous result line of its level.  A suite that fails with no case result
# (e.g. its init failed) counts as one failure.
parse_log() {
	# demo: one tools program, judged by its exit status.
	awk -v bad="$KERNEL_BAD" -v demo="${TOOL:+1}" -v smp="$SMP" '
	function finish_prog(   f) {
		f = 0
		if (!(cur in ended))
			{ print "FAIL " cur ": no VSHM-TEST-END (crashed or hung)"; f = 1 }
		else if (demo) {
			if (ended[cur] != 0) { print "FAIL " cur ": exited rc=" ended[cur]; f = 1 }
		} else if (nres == 0 && !wholeskip)
			{ print "FAIL " cur ": no TAP results (rc=" ended[cur] ")"; f = 1 }
		else if (plan >= 0 && nres < plan && !wholeskip)
			{ print "FAIL " cur ": " nres " of " plan " planned results"; f = 1 }
		else if (ended[cur] != 0 && pfail == 0 &&
			 !(ended[cur] == 4 && (pskip > 0 || wholeskip)))
			{ print "FAIL " cur ": exited rc=" ended[cur] " but reported no failure"; f = 1 }
		fail += f
	}
	/^=== VSHM-TEST-BEGIN / {
		cur = $3; insect = 1; nres = 0; plan = -1; pfail = 0; pskip = 0
		wholeskip = 0; progs[++nprogs] = cur; next
	}
	/^=== VSHM-TEST-END / {
		rc = $4; sub(/^rc=/, "", rc); ended[$3] = rc + 0
		finish_prog(); insect = 0; cur = ""; next
	}
	/^=== VSHM-DMESG-BEGIN/ { indmesg = 1; next }
	/^=== VSHM-KMEMLEAK-BEGIN / { inleak = $3; next }
	/^=== VSHM-KMEMLEAK-END / { inleak = ""; next }
	inleak != "" {
		if (/unreferenced object/) nleak++
		if (!/^[ \t]*$/) print "KERNEL kmemleak(" inleak "): " $0
		next
	}
	/^=== VSHM-KMEMLEAK-BASELINE / {
		if ($3 + 0 > 0) print "NOTE kmemleak: " $3 " boot-time suspects (before the module was loaded) ignored"
		next
	}
	# KUnit results and kmemleak messages in the dmesg section.
	indmesg {
		l = $0
		sub(/^\[ *[0-9]+\.[0-9]+\] ?/, "", l)
		if (l ~ /vshm: kmemleak baseline cleared/) leakbase = 1
		if (leakbase && l ~ /kmemleak: [0-9]+ new suspected memory leak/ &&
		    !($0 in seen)) { seen[$0] = 1; print "KERNEL " $0 }
		match(l, /^ */)
		d = int(RLENGTH / 4)
		body = substr(l, RLENGTH + 1)
		if (d == 1 && body ~ /^# Subtest: /) {
			nm = body; sub(/^# Subtest: /, "", nm)
			insuite = (nm ~ /^vhost_shmem/); suiteleaves = 0
			split("", child)
		}
		if (d == 1 && body ~ /^# module: vhost_shmem *$/) insuite = 1
		if (body ~ /^(not )?ok [0-9]+/) {
			if (d == 0) {
				if (insuite) {
					ktap = 1
					if (body ~ /^not ok/ && suiteleaves == 0) {
						kfail++; print "FAIL kunit: " body
					}
				}
				insuite = 0
			} else if (insuite) {
				leaf = !child[d]
				for (k in child) if (k + 0 > d) child[k] = 0
				child[d] = 0
				for (k = 0; k < d; k++) child[k] = 1
				if (leaf) {
					ktap = 1; suiteleaves++
					if (toupper(body) ~ / # *SKIP/) kskip++
					else if (body ~ /^not ok/) { kfail++; print "FAIL kunit: " body }
					else kpass++
				}
			}
		}
	}
	/^=== VSHM-DMESG-END/ { indmesg = 0; next }
	/^=== VSHM-DONE/ { print "DONE"; next }
	/^=== VSHM-BOOTED / {
		n = $4; sub(/^cpus=/, "", n)
		if (n + 0 < smp) print "NOTE the guest runs on " n " CPU(s) of " smp
	}
	# Not failures, but they explain timeouts: with the TSC unstable and
	# no other clocksource, KVM_RUN of a guest never completes.
	/tsc: Marking TSC unstable|clocksource .tsc. as unstable|Switched to clocksource (refined-)?jiffies/ {
		l = $0; sub(/^\[ *[0-9]+\.[0-9]+\] ?/, "", l)
		if (!(("note " l) in seen)) { seen["note " l] = 1; print "NOTE kernel: " l }
	}
	/^=== VSHM-INSMOD-FAILED / { print "NOTE insmod " $3 " failed (" $4 ")"
				    if ($3 == "vhost_shmem") print "LANEFAIL vhost_shmem.ko did not load" }
	/^=== VSHM-RMMOD-FAILED / { print "LANEFAIL rmmod " $3 " failed (" $4 "; module reference leaked?)" }
	/^=== VSHM-DEV-MISSING / { print "NOTE " $3 " missing in the guest" }
	# Kernel log: the dmesg section, and printk lines (timestamped) anywhere.
	(indmesg || /\[ *[0-9]+\.[0-9]+\]/) && $0 ~ bad {
		if (!($0 in seen)) { seen[$0] = 1; print "KERNEL " $0 }
	}
	insect && !demo && /^1\.\.[0-9]+/ {
		plan = $1; sub(/^1\.\./, "", plan); plan += 0
		if (plan == 0 && toupper($0) ~ /# *SKIP/) { wholeskip = 1; skip++ }
		next
	}
	insect && !demo && /^(not )?ok [0-9]+( |$)/ {
		nres++
		directive = ""
		if (match(toupper($0), / # (SKIP|XFAIL|XPASS)/))
			directive = substr(toupper($0), RSTART, RLENGTH)
		if (directive ~ /SKIP/) { skip++; pskip++ }
		else if (directive ~ /XPASS/) {
			fail++; pfail++
			print "FAIL " cur ": " $0 " (unexpected pass: stale XFAIL?)"
		} else if (/^not ok/) { fail++; pfail++; print "FAIL " cur ": " $0 }
		else pass++	# ok, or expected failure (XFAIL)
		next
	}
	END {
		if (insect) finish_prog()
		if (demo && nprogs > 0) {
			for (i = 1; i <= nprogs; i++)
				if (progs[i] in ended && ended[progs[i]] == 0) pass++
		}
		print "COUNT " pass + 0 " " fail + 0 " " skip + 0
		if (ktap) print "KUNIT " kpass + 0 " " kfail + 0 " " kskip + 0
	}' "$1"
}

# Records a lane that could not run at all.
lane_broken() {
	local kver=$1 why=$2
	TOTAL_FAIL=$((TOTAL_FAIL + 1))
	SUMMARY+=("$kver: LANE FAILED: $why")
}

# Builds, boots and evaluates the lane of kernel $1.
run_lane() {
	local kver=$1 start=$SECONDS vm_start module log=$BUILD/$1/console.log
	local line tag rest pass=0 fail=0 skip=0 done=0 lanefail=0
	local failures=() kernel=() notes=() label=$1 image=/boot/vmlinuz-$1
	local vm_timeout=$VM_TIMEOUT kunit_want=0 kunit=() build_note=""

	echo
	log "======== lane $kver ========"
	if [ "$kver" = debug ]; then
		build_debug_kernel || { lane_broken debug "debug kernel build failed"; return 0; }
		image=$DEBUG_DIR/arch/x86/boot/bzImage
		[ -f "$image" ] || { lane_broken debug "$image missing"; return 0; }
		label="debug ($(cat "$DEBUG_DIR/include/config/kernel.release"))"
		vm_timeout=$DEBUG_VM_TIMEOUT
		build_note="debug kernel build took ${DEBUG_BUILD_SECS}s"
		[ "${VSHM_SKIP_MODULE_BUILD:-0}" = 1 ] && build_note="debug kernel not rebuilt (VSHM_SKIP_MODULE_BUILD=1)"
		grep -qx 'CONFIG_KVM_AMD=y' "$DEBUG_DIR/.config" ||
			{ lane_broken debug "CONFIG_KVM_AMD=y missing in $DEBUG_DIR/.config"; return 0; }
		grep -qx 'CONFIG_VHOST_SHMEM_KUNIT_TEST=y' "$DEBUG_DIR/.config" && kunit_want=1
	fi
	module=$(build_module "$kver") || { lane_broken "$label" "module build failed"; return 0; }
	mkdir -p "$BUILD/$kver"
	rm -f "$log"
	make_initramfs "$kver" "$module" || { lane_broken "$label" "initramfs build failed"; return 0; }

	vm_start=$SECONDS
	boot_vm "$kver" "$image" "$vm_timeout"
	local vm_secs=$((SECONDS - vm_start))

	while IFS= read -r line; do
		tag=${line%% *}
		rest=${line#* }
		case $tag in
		COUNT) read -r pass fail skip <<< "$rest" ;;
		FAIL) failures+=("$rest") ;;
		LANEFAIL) failures+=("$rest"); lanefail=$((lanefail + 1)) ;;
		NOTE) notes+=("$rest") ;;
		KERNEL) kernel+=("$rest") ;;
		KUNIT) read -r -a kunit <<< "$rest" ;;
		DONE) done=1 ;;
		esac
	done < <(parse_log "$log")

	# KUnit cases count like selftest results (their FAIL lines are in
	# failures already).
	if [ ${#kunit[@]} -eq 3 ]; then
		pass=$((pass + kunit[0]))
		fail=$((fail + kunit[1]))
		skip=$((skip + kunit[2]))
	elif [ "$kunit_want" = 1 ] && [ -z "$TOOL" ]; then
		failures+=("CONFIG_VHOST_SHMEM_KUNIT_TEST=y but no KUnit result of vhost_shmem in dmesg")
		lanefail=$((lanefail + 1))
	fi

	if [ "$done" != 1 ]; then
		lanefail=$((lanefail + 1))
		if [ "$VM_RC" = 124 ] || [ "$VM_RC" = 137 ]; then
			failures+=("VM timed out after ${vm_timeout}s (no VSHM-DONE)")
		else
			failures+=("VM died before VSHM-DONE (qemu rc=$VM_RC; crash?)")
		fi
		echo
		log "---- last 40 lines of $log ----"
		tail -n 40 "$log"
		log "----"
	fi
	[ ${#kernel[@]} -gt 0 ] && lanefail=$((lanefail + 1))

	if [ -n "$TOOL" ]; then
		echo
		log "---- $TOOL output ($kver) ----"
		sed -n '/^=== VSHM-TEST-BEGIN/,/^=== VSHM-TEST-END/p' "$log"
		log "----"
		skip=0
	fi

	fail=$((fail + lanefail))
	TOTAL_PASS=$((TOTAL_PASS + pass))
	TOTAL_FAIL=$((TOTAL_FAIL + fail))
	TOTAL_SKIP=$((TOTAL_SKIP + skip))

	local s="$label: $pass passed, $fail failed, $skip skipped (log: ${log#"$REPO"/})"
	s+=$'\n'"  lane took $((SECONDS - start))s (VM ${vm_secs}s)"
	[ -n "$build_note" ] && s+=$'\n'"  $build_note"
	if [ ${#kunit[@]} -eq 3 ]; then
		s+=$'\n'"  KUnit: ${kunit[0]} passed, ${kunit[1]} failed, ${kunit[2]} skipped (included above)"
	fi
	for line in "${notes[@]}"; do s+=$'\n'"  note: $line"; done
	for line in "${failures[@]}"; do s+=$'\n'"  FAILED: $line"; done
	if [ ${#kernel[@]} -eq 0 ]; then
		s+=$'\n'"  kernel log clean"
	else
		s+=$'\n'"  KERNEL LOG NOT CLEAN (${#kernel[@]} lines):"
		for line in "${kernel[@]:0:60}"; do s+=$'\n'"    $line"; done
	fi
	SUMMARY+=("$s")
}

# Runs lint.sh (make lint) as one more lane: each of its checks is one
# result ("lint: ok <check>" / "lint: not ok <check>").
run_lint_lane() {
	local start=$SECONDS log=$BUILD/lint.log line pass=0 fail=0 rc
	local failures=() s

	echo
	log "======== lane lint ========"
	set +e
	"$SCRIPT_DIR/lint.sh" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	while IFS= read -r line; do
		case $line in
		"lint: ok "*) pass=$((pass + 1)) ;;
		"lint: not ok "*) fail=$((fail + 1)); failures+=("${line#lint: not ok }") ;;
		esac
	done < "$log"
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1
		failures+=("lint.sh exited rc=$rc without a failing check")
	fi
	TOTAL_PASS=$((TOTAL_PASS + pass))
	TOTAL_FAIL=$((TOTAL_FAIL + fail))
	s="lint: $pass passed, $fail failed (log: ${log#"$REPO"/})"
	s+=$'\n'"  lane took $((SECONDS - start))s"
	for line in "${failures[@]}"; do s+=$'\n'"  FAILED: $line"; done
	SUMMARY+=("$s")
}

# ---------------------------------------------------------------------------
# Step 9: summary
# ---------------------------------------------------------------------------
print_summary() {
	local s
	echo
	log "======== summary ========"
	for s in "${SUMMARY[@]}"; do echo "$s"; done
	echo "all lanes took ${SECONDS}s"
	if [ "$TOTAL_SKIP" -gt 0 ]; then
		echo "$TOTAL_PASS passed, $TOTAL_FAIL failed, $TOTAL_SKIP skipped"
	else
		echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
	fi
}

main() {
	local kver
	parse_args "$@"
	install_deps
	prepare_cache
	discover_kernels
	mkdir -p "$BUILD"
	# Lint first: it takes a minute and its failures need no VM.
	[ "$LINT" = 1 ] && run_lint_lane
	[ ${#KVERS[@]} -gt 0 ] && build_guest_programs
	for kver in "${KVERS[@]}"; do
		run_lane "$kver"
	done
	print_summary
	[ "$TOTAL_FAIL" -eq 0 ]
}

main "$@"
