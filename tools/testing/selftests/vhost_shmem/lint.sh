#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh - static checks of vhost-shmem (`make lint`):
#
#   checkpatch   scripts/checkpatch.pl --strict --no-tree -f over the driver,
#                the UAPI header and the C files of the selftests and tools;
#                every error, warning and check fails, except those listed
#                in ALLOW below (each with its reason)
#   build-<kver> the module built against each Debian kernel (6.1, 6.12), and
#                against the newest kernel's debug build (debug_kernel.sh,
#                built first when needed: KUnit file included), with sparse
#                on every file (C=2) and W=1; any warning in the project's
#                files fails.  Warnings located in the distro
#                kernel's own headers are counted and shown but do not fail:
#                they are not ours to fix.
#   kernel-doc   scripts/kernel-doc -none -Wall over the driver and the UAPI
#                header: any warning fails
#   ioctl-number Documentation/userspace-api/ioctl/ioctl-number.patch, the
#                claim of the ioctl range, still applies to the newest
#                kernel's ioctl-number.rst
#   dkms-X.Y     DKMS builds the module for the newest kernel (its debug
#                build tree); the stock kernels' lanes build theirs with DKMS
#   install      make install DESTDIR=... lays out exactly the files
#                scripts/install.sh lists (module for 6.12, udev rule,
#                libvshm shared and static, headers, pkg-config file,
#                vshmctl and its manual page); a program builds against it
#                with pkg-config; make uninstall removes every file
#
# The tools come from the newest linux-source Debian ships (lib.sh's
# vshm_linux_source, as for the debug kernel) and the sparse package
# (installed if missing; for the newest tree, sid's sparse when bookworm's
# is too old: lib.sh's vshm_sparse_for).
# Prints one line per check, "lint: ok <check>" or "lint: not ok <check>",
# then the problems; exit status 0 only if every check passed.
#
# Environment: VSHM_CACHE, VSHM_SKIP_DEPS (as for vm_run.sh).

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../../../.." && pwd)
BUILD=$REPO/build
CACHE=${VSHM_CACHE:-$HOME/.cache/vhost-shmem}

log() { echo "lint: $*"; }
die() { echo "lint: ERROR: $*" >&2; echo "lint: not ok setup ($*)"; exit 1; }

# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

# checkpatch findings that are accepted: "<file> <TYPE> <reason>".
ALLOW=(
	"drivers/vhost/shmem/main.c MACRO_ARG_REUSE VHOST_SHMEM_IOCTL_OP() uses the constant ioctl number as the table index and as the number to match, as iommufd's IOCTL_OP() does"
	"drivers/vhost/shmem/trace.h OPEN_ENDED_LINE TRACE_EVENT() is laid out as every trace header of the kernel lays it out"
	"drivers/vhost/shmem/trace.h PARENTHESIS_ALIGNMENT TRACE_EVENT() is laid out as every trace header of the kernel lays it out"
	"drivers/vhost/shmem/compat.h LINUX_VERSION_CODE the compat shims exist only for the out-of-tree build against 6.1 and 6.12 and go away in-tree"
	"tools/testing/selftests/vhost_shmem/vshm_fuse.h ENOSYS the test's FUSE server answers unknown opcodes with ENOSYS: that is the FUSE protocol's 'not implemented'"
)

FAILED=0

result() {	# result <check> <ok 0|1> [detail]
	if [ "$2" = 0 ]; then
		echo "lint: ok $1${3:+ ($3)}"
	else
		echo "lint: not ok $1${3:+ ($3)}"
		FAILED=$((FAILED + 1))
	fi
}

# Newest installed Debian kernel of series $1 with headers.
find_headers() {
	local d
	for d in /lib/modules/"$1".*-amd64/build; do
		[ -d "$d" ] || continue
		case $d in *-rt-*|*-cloud-*) continue ;; esac
		echo "$d"
	done | sort -V | tail -n 1
}

check_checkpatch() {
	local t=$SECONDS files=() out line file type allowed a afile atype n=0 nallowed=0

	cd "$REPO"
	mapfile -t files < <(ls drivers/vhost/shmem/*.c drivers/vhost/shmem/*.h drivers/vhost/shmem/tests/*.c \
		include/uapi/linux/vhost_shmem.h \
		tools/testing/selftests/vhost_shmem/*.c \
		tools/testing/selftests/vhost_shmem/*.h \
		tools/vhost_shmem/*.c tools/vhost_shmem/*.h 2>/dev/null)
	out=$("$LINUX_SRC/scripts/checkpatch.pl" --strict --no-tree --terse \
		--show-types --no-summary --color=never -f "${files[@]}" 2>&1) || true
	# checkpatch leaves a CamelCase cache in a git tree's top directory.
	rm -f "$REPO"/.checkpatch-camelcase.git.*
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		# file:line: LEVEL:TYPE: message
		file=${line%%:*}
		type=$(sed -n 's/^[^:]*:[0-9]*: [A-Z]*:\([A-Z0-9_]*\):.*/\1/p' <<< "$line")
		allowed=0
		for a in "${ALLOW[@]}"; do
			read -r afile atype _ <<< "$a"
			if [ "$file" = "$afile" ] && [ "$type" = "$atype" ]; then
				allowed=1
			fi
		done
		if [ "$allowed" = 1 ]; then
			nallowed=$((nallowed + 1))
		else
			echo "  $line"
			n=$((n + 1))
		fi
	done <<< "$out"
	result checkpatch "$n" "$n problems, $nallowed allowed, ${#files[@]} files, $((SECONDS - t))s"
}

# Builds the module against kernel build dir $2 (series $1) with C=2 W=1,
# with sparse command $3 (default: sparse).
check_build() {
	local series=$1 kdir=$2 check=${3:-sparse} kver out ours=0 theirs=0 line t=$SECONDS rc
	if [ -f "$kdir/include/config/kernel.release" ]; then
		kver=$(cat "$kdir/include/config/kernel.release")
	else
		kver=$(basename "$(dirname "$kdir")")
	fi
	local modbuild=$BUILD/lint-$kver

	rm -rf "$modbuild"
	set +e
	# Not the caller's make flags: a silent make (-s) would hide the
	# CHECK lines that show sparse ran.
	out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -C "$REPO" module KDIR="$kdir" MODBUILD="$modbuild" C=2 W=1 \
		CHECK="$check" 2>&1)
	rc=$?
	set -e
	while IFS= read -r line; do
		case $line in
		*warning:*|*error:*|*Error:*) ;;
		*) continue ;;
		esac
		case $line in
		*"$modbuild"/*|drivers/vhost/*|include/uapi/linux/vhost_shmem.h*|*/vhost_shmem.h*)
			echo "  $line"; ours=$((ours + 1)) ;;
		*)
			[ "$theirs" -lt 5 ] && echo "  (kernel header, ignored) $line"
			theirs=$((theirs + 1)) ;;
		esac
	done <<< "$out"
	if [ "$rc" -ne 0 ]; then
		echo "$out" | tail -n 20 | sed 's/^/  /'
		ours=$((ours + 1))
	fi
	# C=2 must really have run sparse on the driver.
	if [ "$rc" -eq 0 ] && ! grep -Eq '^ *CHECK +(.*/)?main\.c$' <<< "$out"; then
		echo "  sparse did not run on main.c"
		ours=$((ours + 1))
	fi
	local detail="$kver: $ours warnings in vhost-shmem, $theirs in kernel headers (ignored), $((SECONDS - t))s"
	[ "$rc" -ne 0 ] && detail+=", build failed"
	result "sparse+W=1-$series" "$ours" "$detail"
}

check_kernel_doc() {
	local t=$SECONDS out n

	cd "$REPO"
	out=$("$LINUX_SRC/scripts/kernel-doc" -none -Wall \
		drivers/vhost/shmem/*.c drivers/vhost/shmem/*.h \
		drivers/vhost/shmem/tests/*.c \
		include/uapi/linux/vhost_shmem.h 2>&1) || true
	n=$(grep -c . <<< "$out" || true)
	[ "$n" -gt 0 ] && sed 's/^/  /' <<< "$out"
	result kernel-doc "$n" "$n warnings, $((SECONDS - t))s"
}

# The claim of the ioctl range must still apply to the newest kernel's
# Documentation/userspace-api/ioctl/ioctl-number.rst.
check_ioctl_number() {
	local patchfile=$REPO/Documentation/userspace-api/ioctl/ioctl-number.patch out

	if out=$(patch --dry-run -p1 -d "$LINUX_SRC" < "$patchfile" 2>&1); then
		result ioctl-number 0 "applies to ${LINUX_SRC##*/}"
	else
		sed 's/^/  /' <<< "$out"
		result ioctl-number 1 "${patchfile#"$REPO"/} does not apply to ${LINUX_SRC##*/}"
	fi
}

# DKMS builds the module for the newest kernel too (the stock kernels'
# lanes load the module DKMS built for them), in trees of its own.
check_dkms() {
	local dbuild=$1 kver t=$SECONDS ver tree=$BUILD/dkms-newest out
	kver=$(cat "$dbuild/include/config/kernel.release")
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$REPO/dkms.conf")
	rm -rf "$tree"
	mkdir -p "$tree/src/vhost-shmem-$ver" "$tree/dkms"
	cp -r "$REPO/Makefile" "$REPO/dkms.conf" "$REPO/drivers" "$REPO/include" \
		"$tree/src/vhost-shmem-$ver/"
	if out=$(dkms --dkmstree "$tree/dkms" --sourcetree "$tree/src" build \
			-m vhost-shmem -v "$ver" -k "$kver" \
			--kernelsourcedir "$dbuild" 2>&1) &&
	   ls "$tree/dkms/vhost-shmem/$ver/$kver/x86_64/module/vhost_shmem.ko"* >/dev/null 2>&1; then
		result "dkms-${LINUX_SRC##*/linux-source-}" 0 "$kver, $((SECONDS - t))s"
	else
		tail -n 20 <<< "$out" | sed 's/^/  /'
		result "dkms-${LINUX_SRC##*/linux-source-}" 1 "dkms build for $kver failed"
	fi
}

# make install into a staging directory lays out exactly the files
# scripts/install.sh lists, a VMM builds and links against the installed
# libvshm through pkg-config, and make uninstall removes them all again.
check_install() {
	local t=$SECONDS kdir dest=$BUILD/install-dest n=0 out prog
	kdir=$(find_headers 6.12)
	[ -n "$kdir" ] || { result install 1 "no linux-headers-6.12 installed"; return; }
	rm -rf "$dest"
	if ! out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$REPO" install \
			DESTDIR="$dest" PREFIX=/usr KDIR="$kdir" 2>&1); then
		tail -n 20 <<< "$out" | sed 's/^/  /'
		result install 1 "make install failed"
		return
	fi
	out=$(diff <(cd "$dest" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) \
		   <(DESTDIR="$dest" PREFIX=/usr KDIR="$kdir" "$REPO/scripts/install.sh" list | sort)) ||
		{ sed 's/^/  /' <<< "$out"; n=$((n + 1)); }
	prog=$BUILD/install-vmm
	printf '#include <libvshm.h>\nint main(void) { struct libvshm v; return libvshm_open(&v, "/nonexistent") == 0; }\n' \
		> "$prog.c"
	# shellcheck disable=SC2046 # pkg-config prints several words
	if ! out=$(PKG_CONFIG_PATH="$dest/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest" \
		   cc -o "$prog" "$prog.c" $(PKG_CONFIG_PATH="$dest/usr/lib/pkgconfig" \
		   PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags --libs libvshm) 2>&1) ||
	   ! readelf -d "$prog" | grep -q 'NEEDED.*\[libvshm\.so\.0\]'; then
		sed 's/^/  /' <<< "$out"
		echo "  a program built with pkg-config libvshm does not link libvshm.so.0"
		n=$((n + 1))
	fi
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$REPO" uninstall \
		DESTDIR="$dest" PREFIX=/usr KDIR="$kdir" > /dev/null 2>&1 || n=$((n + 1))
	out=$(cd "$dest" && find . \( -type f -o -type l \))
	[ -z "$out" ] || { echo "  left after make uninstall:"; sed 's/^/    /' <<< "$out"; n=$((n + 1)); }
	result install "$n" "$(DESTDIR="$dest" PREFIX=/usr KDIR="$kdir" "$REPO/scripts/install.sh" list | wc -l) files, $((SECONDS - t))s"
}

main() {
	local series kdir start=$SECONDS
	local dbuild newsparse
	vshm_install_packages sparse make gcc perl patch dkms debian-archive-keyring \
		linux-headers-amd64 linux-headers-6.12-amd64
	vshm_linux_source
	command -v sparse >/dev/null || die "sparse not installed"
	mkdir -p "$BUILD"

	check_checkpatch
	for series in 6.1 6.12; do
		kdir=$(find_headers "$series")
		if [ -z "$kdir" ]; then
			result "sparse+W=1-$series" 1 "no linux-headers-$series.* installed"
			continue
		fi
		check_build "$series" "$kdir"
	done
	# The newest kernel: its debug build is the one configured tree with
	# a Module.symvers (incremental once built).
	series=${LINUX_SRC##*/linux-source-}
	if ! "$SCRIPT_DIR/debug_kernel.sh" > "$BUILD/lint-debug-kernel.log" 2>&1; then
		tail -n 20 "$BUILD/lint-debug-kernel.log" | sed 's/^/  /'
		result "sparse+W=1-$series" 1 "debug kernel build failed (log: ${BUILD#"$REPO"/}/lint-debug-kernel.log)"
	elif ! newsparse=$(vshm_sparse_for "$LINUX_SRC"); then
		result "sparse+W=1-$series" 1 "no sparse can check $LINUX_SRC"
	else
		dbuild=$("$SCRIPT_DIR/debug_kernel.sh" --print-dir)
		check_build "$series" "$dbuild" "$newsparse"
		check_dkms "$dbuild"
	fi
	check_kernel_doc
	check_ioctl_number
	check_install
	log "$FAILED check(s) failed, took $((SECONDS - start))s"
	[ "$FAILED" -eq 0 ]
}

main "$@"
