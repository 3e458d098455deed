#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug_kernel.sh - build the vhost-shmem debug kernel: the newest kernel
# Debian ships as source (linux-source-X.Y of sid or trixie-backports, picked
# and fetched by lib.sh's vshm_linux_source through a private apt
# configuration) with the driver carried in-tree (drivers/vhost/), KVM built
# in, and the kernel's bug detectors on (KASAN, lockdep, kmemleak, DEBUG_VM,
# DEBUG_LIST, DEBUG_OBJECTS, KUnit).  vm_run.sh --kernel debug boots it.
#
# Usage: debug_kernel.sh [--print-dir] [--help]
#
#   --print-dir  print the build directory (O=) and exit
#
# Trees, all under the cache ($VSHM_CACHE, default ~/.cache/vhost-shmem):
#   apt/                the private apt configuration, lists and downloads
#   linux-source-X.Y/   the pristine extraction vm_run.sh and lint.sh also
#                       use; never written to
#   debug-src/          a hard-link copy of it with the project overlaid
#                       (every overlaid file is a new inode, so the pristine
#                       tree is never modified through a link); made anew,
#                       with debug-build/, when the newest source changes
#   debug-build/        the O= build directory: arch/x86/boot/bzImage and
#                       drivers/vhost/shmem/vhost_shmem.ko
#   ccache/             compiler cache, when ccache is installed
#
# The overlay, as upstream would carry the driver:
#   drivers/vhost/shmem/ of the project    -> drivers/vhost/shmem/
#   drivers/vhost/Kconfig of the project   -> inside "if VHOST_MENU" of
#                                             drivers/vhost/Kconfig
#   drivers/vhost/Makefile of the project  -> appended to drivers/vhost/Makefile
#   obj-$(CONFIG_VHOST_SHMEM) += vhost/    -> drivers/Makefile (drivers/vhost/
#                                             is otherwise only entered for
#                                             CONFIG_VHOST and friends)
#   include/uapi/linux/vhost_shmem.h       -> include/uapi/linux/
#   include/uapi/linux/vhost_shmem_netlink.h -> include/uapi/linux/
# Generated files are regenerated from the pristine tree on every run and a
# file is only replaced when its content changes, so re-running never appends
# twice and an incremental build only recompiles what changed.
#
# Config: allnoconfig + debug.config (next to this script) merged with
# scripts/kconfig/merge_config.sh, then olddefconfig; every option that
# debug.config sets to y/m/a value is checked in the final .config.  (From
# x86_64_defconfig, even trimmed, a KASAN build took well over 40 minutes on
# two cores; from allnoconfig it is a fraction of that.)
#
# Environment variables (all optional):
#   VSHM_CACHE             cache directory (default: $HOME/.cache/vhost-shmem)
#   VSHM_DEBUG_DRIVER_SRC  a .c or .h file to use instead of the project's
#                          file of the same name in drivers/vhost/shmem/, or a
#                          directory to use instead of the project's
#                          drivers/vhost/ (for experiments, e.g. an injected
#                          bug; never commit those)
#   VSHM_DEBUG_JOBS        make -j value (default: nproc)
#   VSHM_DEBUG_NO_CCACHE=1 do not use ccache even if installed
#   VSHM_LINUX_SOURCE      a linux-source-X.Y package to build instead of the
#                          newest (e.g. linux-source-7.2)
#   VSHM_SKIP_DEPS=1       do not check or install Debian packages

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
CACHE=${VSHM_CACHE:-$HOME/.cache/vhost-shmem}
DSRC=$CACHE/debug-src
DBUILD=$CACHE/debug-build
FRAGMENT=$SCRIPT_DIR/debug.config
JOBS=${VSHM_DEBUG_JOBS:-$(nproc)}

PACKAGES=(gcc make flex bison bc libelf-dev libssl-dev xz-utils cpio ccache pahole
	  debian-archive-keyring)

log() { echo "debug_kernel: $*"; }
die() { echo "debug_kernel: ERROR: $*" >&2; exit 1; }

# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

usage() {
	sed -n '/^# Usage:/,/^# Trees/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

# Replaces $2 by the content of $1 unless it is already identical.  A new
# inode is always written (never through a hard link to the pristine tree),
# with the current time, so that make rebuilds what depends on it.
sync_file() {
	local src=$1 dst=$2
	if [ -f "$dst" ] && [ ! -L "$dst" ] && cmp -s "$src" "$dst"; then
		return 0
	fi
	mkdir -p "$(dirname "$dst")"
	cp "$src" "$dst.vshm-tmp"
	mv -f "$dst.vshm-tmp" "$dst"
	log "overlay: updated ${dst#"$DSRC"/}"
}

# Puts the pristine version of tree file $1 (relative) back, if it was
# overlaid before, or removes it if the pristine tree has none.
restore_file() {
	local rel=$1
	if [ -f "$LINUX_SRC/$rel" ]; then
		sync_file "$LINUX_SRC/$rel" "$DSRC/$rel"
	else
		rm -f "$DSRC/$rel"
		log "overlay: removed $rel"
	fi
}

# Prints file $1 without its SPDX line (the host file has its own).
strip_spdx() {
	grep -v 'SPDX-License-Identifier' "$1"
}

overlay() {
	local drv=$REPO/drivers/vhost tmp f rel
	local new=() old=()

	# A tree of another source version goes, and its build with it.
	if [ -d "$DSRC" ] && [ "$(cat "$DSRC/.vshm-version" 2>/dev/null)" != "$LINUX_SRC_VERSION" ]; then
		log "source changed to ${LINUX_SRC##*/} $LINUX_SRC_VERSION: removing $DSRC and $DBUILD"
		rm -rf "$DSRC" "$DBUILD"
	fi
	# The overlay writes into $DSRC: it must never be (a link to) the
	# pristine tree, which vm_run.sh and lint.sh use as the kernel's.
	[ ! -L "$DSRC" ] || die "$DSRC is a symbolic link; remove it"
	if [ ! -d "$DSRC" ]; then
		log "making $DSRC (hard-link copy of the pristine tree)"
		rm -rf "$DSRC.tmp"
		cp -al "$(readlink -f "$LINUX_SRC")/." "$DSRC.tmp"
		mv "$DSRC.tmp" "$DSRC"
	fi
	[ "$(readlink -f "$DSRC")" != "$(readlink -f "$LINUX_SRC")" ] ||
		die "$DSRC is the pristine tree itself"
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now
	trap "rm -rf '$tmp'" RETURN

	# Driver sources (optionally replaced for an experiment).
	if [ -n "${VSHM_DEBUG_DRIVER_SRC:-}" ]; then
		if [ -d "$VSHM_DEBUG_DRIVER_SRC" ]; then
			drv=$VSHM_DEBUG_DRIVER_SRC
		elif [ -f "$VSHM_DEBUG_DRIVER_SRC" ]; then
			mkdir -p "$tmp/drv"
			cp -r "$REPO"/drivers/vhost/. "$tmp/drv/"
			[ -f "$tmp/drv/shmem/${VSHM_DEBUG_DRIVER_SRC##*/}" ] ||
				die "VSHM_DEBUG_DRIVER_SRC=$VSHM_DEBUG_DRIVER_SRC: no such file in drivers/vhost/shmem/"
			cp "$VSHM_DEBUG_DRIVER_SRC" "$tmp/drv/shmem/${VSHM_DEBUG_DRIVER_SRC##*/}"
			drv=$tmp/drv
		else
			die "VSHM_DEBUG_DRIVER_SRC=$VSHM_DEBUG_DRIVER_SRC: no such file or directory"
		fi
		log "overlay: driver sources from $drv (VSHM_DEBUG_DRIVER_SRC)"
	fi
	[ -f "$drv/Kconfig" ] && [ -f "$drv/Makefile" ] || die "$drv: no Kconfig/Makefile"

	[ -d "$drv/shmem" ] || die "$drv: no shmem/ directory"
	while IFS= read -r f; do
		rel=drivers/vhost/${f#"$drv"/}
		[ -f "$LINUX_SRC/$rel" ] && die "$rel would replace a file of the kernel tree"
		sync_file "$f" "$DSRC/$rel"
		new+=("$rel")
	done < <(find "$drv/shmem" -type f \( -name '*.[ch]' -o -name Makefile \) | sort)
	for f in vhost_shmem.h vhost_shmem_netlink.h; do
		sync_file "$REPO/include/uapi/linux/$f" "$DSRC/include/uapi/linux/$f"
		new+=("include/uapi/linux/$f")
	done

	# drivers/vhost/Kconfig: the project's entries go just before the
	# "endif" that closes "if VHOST_MENU" (the last endif of the file),
	# after the other vhost drivers, where upstream adds new ones.
	local kc=$LINUX_SRC/drivers/vhost/Kconfig
	grep -q '^if VHOST_MENU$' "$kc" || die "$kc has no 'if VHOST_MENU'"
	[ "$(tail -n 1 "$kc")" = endif ] || die "$kc does not end with the VHOST_MENU endif"
	{
		sed '$d' "$kc"
		strip_spdx "$drv/Kconfig"
		echo
		echo endif
	} > "$tmp/Kconfig"
	sync_file "$tmp/Kconfig" "$DSRC/drivers/vhost/Kconfig"

	{
		cat "$LINUX_SRC/drivers/vhost/Makefile"
		echo
		strip_spdx "$drv/Makefile"
	} > "$tmp/Makefile"
	sync_file "$tmp/Makefile" "$DSRC/drivers/vhost/Makefile"

	grep -q '^obj-$(CONFIG_VHOST)[[:space:]]*+= vhost/$' "$LINUX_SRC/drivers/Makefile" ||
		die "drivers/Makefile has no 'obj-\$(CONFIG_VHOST) += vhost/' line"
	sed 's|^obj-$(CONFIG_VHOST)\([[:space:]]*\)+= vhost/$|&\nobj-$(CONFIG_VHOST_SHMEM)\1+= vhost/|' \
		"$LINUX_SRC/drivers/Makefile" > "$tmp/drivers.Makefile"
	sync_file "$tmp/drivers.Makefile" "$DSRC/drivers/Makefile"

	# Files overlaid by an earlier run that are no longer in the project.
	if [ -f "$DSRC/.vshm-overlay" ]; then
		mapfile -t old < "$DSRC/.vshm-overlay"
		for rel in "${old[@]}"; do
			[[ " ${new[*]} " == *" $rel "* ]] || restore_file "$rel"
		done
	fi
	printf '%s\n' "${new[@]}" > "$DSRC/.vshm-overlay"
}

# Prints "CONFIG_X=value" or "CONFIG_X=n" lines requested by the fragment.
requested_options() {
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)$/\1/p' \
	       -e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/p' "$FRAGMENT"
}

# Fails unless every y/m/value option of the fragment made it into .config.
check_config() {
	local cfg=$DBUILD/.config line sym want bad=0 warn=0
	while IFS= read -r line; do
		sym=${line%%=*}
		want=${line#*=}
		if [ "$want" = n ]; then
			if grep -q "^$sym=" "$cfg"; then
				log "note: $sym is $(grep "^$sym=" "$cfg" | cut -d= -f2) (debug.config asks n; costs build time only)"
				warn=$((warn + 1))
			fi
			continue
		fi
		grep -qxF "$sym=$want" "$cfg" && continue
		if [ "$sym" = CONFIG_VHOST_SHMEM_KUNIT_TEST ] &&
		   ! grep -q '^config VHOST_SHMEM_KUNIT_TEST$' "$DSRC/drivers/vhost/Kconfig"; then
			log "note: the driver's Kconfig has no VHOST_SHMEM_KUNIT_TEST yet: no KUnit suite"
			continue
		fi
		log "ERROR: $sym: debug.config wants $want, .config has: $(grep -E "^(# )?$sym[= ]" "$cfg" || echo nothing)"
		bad=$((bad + 1))
	done < <(requested_options)
	[ "$bad" -eq 0 ] || die "$bad required option(s) missing from $cfg (unmet dependencies?)"
}

configure() {
	local stamp want
	# Reconfigure only when the fragment or the Kconfig overlay changed:
	# olddefconfig on an unchanged input is harmless, but skipping it keeps
	# incremental builds obviously incremental.
	want=$(cat "$FRAGMENT" "$DSRC/drivers/vhost/Kconfig" | sha256sum | cut -d' ' -f1)
	stamp=$DBUILD/.vshm-config-stamp
	if [ -f "$DBUILD/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		check_config
		return 0
	fi
	log "configuring: allnoconfig + ${FRAGMENT#"$REPO"/}"
	mkdir -p "$DBUILD"
	make -s -C "$DSRC" O="$DBUILD" "${MAKE_CC[@]}" allnoconfig
	(cd "$DSRC" && scripts/kconfig/merge_config.sh -m -O "$DBUILD" \
		"$DBUILD/.config" "$FRAGMENT") > "$DBUILD/merge_config.log" 2>&1 ||
		{ cat "$DBUILD/merge_config.log"; die "merge_config.sh failed"; }
	make -s -C "$DSRC" O="$DBUILD" "${MAKE_CC[@]}" olddefconfig
	check_config
	echo "$want" > "$stamp"
}

# A cache made with `cp -al` from another (a second engineer's, a helper's)
# shares its files with it.  Kbuild rewrites some files of the build in
# place (.cmd files, generated headers), and configure/make would change the
# other cache's build through the shared inodes; flock on a shared lock file
# would make two caches wait for each other.  Give this cache its own copies
# first; a cache that shares nothing costs one find.
break_hard_links() {
	local n f

	[ -d "$DBUILD" ] || return 0
	n=$(find "$DBUILD" -type f -links +1 | wc -l)
	[ "$n" -eq 0 ] && return 0
	log "copying $n file(s) of $DBUILD shared with another cache (hard links)"
	find "$DBUILD" -type f -links +1 -print0 |
		while IFS= read -r -d '' f; do
			cp -p "$f" "$f.vshm-tmp" && mv -f "$f.vshm-tmp" "$f" ||
				die "cannot copy $f"
		done
}

main() {
	local start=$SECONDS t

	case ${1:-} in
	--print-dir) echo "$DBUILD"; exit 0 ;;
	-h|--help) usage; exit 0 ;;
	"") ;;
	*) usage >&2; exit 2 ;;
	esac

	vshm_install_packages "${PACKAGES[@]}"
	vshm_linux_source

	# One build at a time per cache: two makes in one O= directory (two
	# `make check` runs, say) would corrupt each other's objects.
	mkdir -p "$CACHE"
	if [ "$(stat -c %h "$CACHE/debug-build.lock" 2>/dev/null || echo 1)" -gt 1 ]; then
		rm -f "$CACHE/debug-build.lock"
	fi
	exec 9> "$CACHE/debug-build.lock"
	if ! flock -n 9; then
		log "waiting for another debug_kernel.sh using $CACHE"
		flock 9
	fi

	MAKE_CC=()
	if [ "${VSHM_DEBUG_NO_CCACHE:-0}" != 1 ] && command -v ccache >/dev/null; then
		export CCACHE_DIR=$CACHE/ccache
		# Kernel builds have many big objects; 5 GiB keeps a whole
		# debug build plus a few variants.
		ccache -M 5G >/dev/null
		MAKE_CC=(CC="ccache gcc")
	fi

	break_hard_links
	overlay
	configure
	grep -qx 'CONFIG_VHOST_SHMEM=m' "$DBUILD/.config" ||
		die "CONFIG_VHOST_SHMEM is not =m in $DBUILD/.config"

	log "building bzImage and modules (-j$JOBS) in $DBUILD"
	t=$SECONDS
	make -s -C "$DSRC" O="$DBUILD" "${MAKE_CC[@]}" -j"$JOBS" bzImage modules ||
		die "kernel build failed"
	[ -f "$DBUILD/drivers/vhost/shmem/vhost_shmem.ko" ] ||
		die "$DBUILD/drivers/vhost/shmem/vhost_shmem.ko missing after the build"
	log "kernel $(make -s -C "$DSRC" O="$DBUILD" kernelrelease) built: make took $((SECONDS - t))s, total $((SECONDS - start))s"
}

main "$@"
