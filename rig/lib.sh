# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - helpers shared by vm_run.sh, debug_kernel.sh and lint.sh.
# Source it; it defines functions, and CACHE if the caller did not.
#
# The caller provides log() and die().

: "${CACHE:=${VSHM_CACHE:-$HOME/.cache/vhost-shmem}}"

# True if Debian package $1 is installed.
# (No pipe into grep -q: under pipefail, dpkg killed by SIGPIPE when grep
# stopped reading made an installed package look missing.)
vshm_is_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = 'install ok installed' ]
}

# Installs the Debian packages among "$@" that are missing (apt-get, through
# sudo when not root).  VSHM_SKIP_DEPS=1 skips the check.
vshm_install_packages() {
	[ "${VSHM_SKIP_DEPS:-0}" = 1 ] && return 0
	local missing=() p sudo=()
	for p in "$@"; do
		vshm_is_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0

	log "installing missing packages: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "not root and no sudo: install ${missing[*]}"
		sudo=(sudo)
	fi
	"${sudo[@]}" apt-get update || die "apt-get update failed"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${missing[@]}" ||
		die "apt-get install failed"
}

# The newest kernel source Debian ships: linux-source-X.Y from sid or
# trixie-backports, whichever is newest.  The machine's own apt state is never
# touched: a private configuration under $CACHE/apt names those suites and
# keeps their package lists and downloads there.  VSHM_LINUX_SOURCE pins a
# package (e.g. linux-source-7.2) instead of the newest.
VSHM_APT_SUITES=(sid trixie-backports)

# Runs apt-get or apt-cache ($1) with the private configuration.
# (Valid-Until is not checked: sid's Release file on some mirrors is past
# it, which only means no newer one was published there; the machine's own
# apt configuration here says the same.)
vshm_apt() {
	local tool=$1 dir=$CACHE/apt
	shift
	"$tool" -o Dir::Etc::SourceList="$dir/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$dir/lists" \
		-o Dir::Cache="$dir/cache" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root \
		-o Acquire::Check-Valid-Until=false "$@"
}

# Prints "package version" of the newest linux-source-X.Y the private
# configuration offers (refreshing its lists), or nothing.
vshm_newest_source_pkg() {
	local dir=$CACHE/apt s pkg ver best= bestver=
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	: > "$dir/sources.list.tmp"
	for s in "${VSHM_APT_SUITES[@]}"; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $s main" \
			>> "$dir/sources.list.tmp"
	done
	mv "$dir/sources.list.tmp" "$dir/sources.list"
	vshm_apt apt-get -q update > "$dir/update.log" 2>&1 || return 0
	if [ -n "${VSHM_LINUX_SOURCE:-}" ]; then
		set -- "$VSHM_LINUX_SOURCE"
	else
		set -- $(vshm_apt apt-cache search --names-only '^linux-source-[0-9]+\.[0-9]+$' |
			 cut -d' ' -f1)
	fi
	for pkg in "$@"; do
		# Every version of every suite, not only apt's candidate.
		while read -r ver; do
			[ -n "$ver" ] || continue
			if [ -z "$bestver" ] || dpkg --compare-versions "$ver" gt "$bestver"; then
				best=$pkg
				bestver=$ver
			fi
		done < <(vshm_apt apt-cache madison "$pkg" | awk -F'|' '{gsub(/ /, "", $2); print $2}')
	done
	[ -n "$best" ] && echo "$best $bestver"
	return 0
}

# Downloads package $1 version $2 through the private apt configuration and
# unpacks the .deb (not the tarball in it) into a new temporary directory
# of the cache, $tmp, under $tmp/deb.
vshm_fetch_source_deb() {
	local pkg=$1 ver=$2 deb

	rm -rf "$CACHE"/.extract.* "$CACHE/apt/dl"
	mkdir -p "$CACHE/apt/dl"
	(cd "$CACHE/apt/dl" && vshm_apt apt-get -q download "$pkg=$ver") \
		> "$CACHE/apt/download.log" 2>&1 ||
		{ cat "$CACHE/apt/download.log" >&2; die "downloading $pkg $ver failed"; }
	deb=$(ls "$CACHE"/apt/dl/"$pkg"_*.deb)
	tmp=$(mktemp -d "$CACHE/.extract.XXXXXX")
	dpkg -x "$deb" "$tmp/deb" || { rm -rf "$tmp"; die "dpkg -x $deb failed"; }
}

# Sets LINUX_SRC to the pristine extraction of the newest linux-source
# ($CACHE/linux-source-X.Y, never modified afterwards) and LINUX_SRC_VERSION
# to its Debian version, downloading and extracting it when the cache does
# not already hold that version.  Offline, the newest tree already in the
# cache is used.
vshm_linux_source() {
	local pkg ver series dst tmp stamp cached

	read -r pkg ver < <(vshm_newest_source_pkg) || true
	if [ -z "${pkg:-}" ]; then
		cached=$(ls -d "$CACHE"/linux-source-*/.vshm-version 2>/dev/null | sort -V | tail -n 1) || true
		[ -n "$cached" ] ||
			die "no linux-source package found through $CACHE/apt (see $CACHE/apt/update.log) and none cached"
		dst=${cached%/.vshm-version}
		log "package lists unavailable: using the cached ${dst##*/} $(cat "$cached")"
		LINUX_SRC=$dst
		LINUX_SRC_VERSION=$(cat "$cached")
		return 0
	fi
	series=${pkg#linux-source-}
	dst=$CACHE/linux-source-$series
	stamp=$dst/.vshm-version
	if [ "$(cat "$stamp" 2>/dev/null)" != "$ver" ] ||
	   [ ! -f "$dst/tools/testing/selftests/kselftest_harness.h" ]; then
		log "fetching $pkg $ver (private apt configuration in $CACHE/apt)"
		vshm_fetch_source_deb "$pkg" "$ver"
		log "extracting $pkg $ver into $dst"
		# Extract next to the destination, then rename: an interrupted
		# extraction never looks complete (and is removed next time).
		tar -xJf "$tmp/deb/usr/src/$pkg.tar.xz" -C "$tmp" ||
			{ rm -rf "$tmp"; die "extracting $pkg.tar.xz failed"; }
		[ -d "$tmp/$pkg" ] || { rm -rf "$tmp"; die "$pkg.tar.xz has no $pkg/"; }
		echo "$ver" > "$tmp/$pkg/.vshm-version"
		rm -rf "$dst"
		mv "$tmp/$pkg" "$dst"
		rm -rf "$tmp" "$CACHE/apt/dl"
	fi
	LINUX_SRC=$dst
	LINUX_SRC_VERSION=$ver
}

# Sets YNL_DIR to tools/net/ynl of the newest linux-source, whose C library
# vshmctl is built on: the full tree's when the cache holds that version
# (vshm_linux_source), else an extraction of that one directory
# ($CACHE/ynl-X.Y), which is all the demo and make install need and costs
# seconds where unpacking the whole tree costs a minute.  Offline, any
# cached copy is used.
vshm_ynl_dir() {
	local pkg ver series dst tmp cached

	read -r pkg ver < <(vshm_newest_source_pkg) || true
	if [ -z "${pkg:-}" ]; then
		cached=$(ls -d "$CACHE"/linux-source-*/tools/net/ynl/lib \
			       "$CACHE"/ynl-*/lib 2>/dev/null | sort -V | tail -n 1) || true
		[ -n "$cached" ] || die "no linux-source package found and no YNL library cached"
		YNL_DIR=${cached%/lib}
		return 0
	fi
	series=${pkg#linux-source-}
	if [ "$(cat "$CACHE/linux-source-$series/.vshm-version" 2>/dev/null)" = "$ver" ]; then
		YNL_DIR=$CACHE/linux-source-$series/tools/net/ynl
		return 0
	fi
	dst=$CACHE/ynl-$series
	if [ "$(cat "$dst/.vshm-version" 2>/dev/null)" != "$ver" ]; then
		log "fetching $pkg $ver for its YNL library (tools/net/ynl only)"
		vshm_fetch_source_deb "$pkg" "$ver"
		tar -xJf "$tmp/deb/usr/src/$pkg.tar.xz" -C "$tmp" "$pkg/tools/net/ynl" ||
			{ rm -rf "$tmp"; die "extracting tools/net/ynl of $pkg failed"; }
		echo "$ver" > "$tmp/$pkg/tools/net/ynl/.vshm-version"
		rm -rf "$dst"
		mv "$tmp/$pkg/tools/net/ynl" "$dst"
		rm -rf "$tmp" "$CACHE/apt/dl"
	fi
	YNL_DIR=$dst
}

# Prints the sparse command that can check the newest kernel tree $1: the
# machine's own when the tree's scripts/checker-valid.sh accepts it, else
# sid's sparse run with sid's C library from $CACHE/sparse-sid (bookworm's
# 0.6.4 predates __typeof_unqual__, which 7.x headers use; sid's binary
# needs a newer glibc than bookworm's, so it runs through sid's ld.so
# without touching the machine's libraries).
vshm_sparse_for() {
	local tree=$1 dir=$CACHE/sparse-sid d
	if command -v sparse >/dev/null &&
	   [ "$("$tree/scripts/checker-valid.sh" sparse 2>/dev/null)" = 1 ]; then
		echo sparse
		return 0
	fi
	if [ ! -x "$dir/sparse" ]; then
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp/dl"
		(cd "$dir.tmp/dl" && vshm_apt apt-get -q download sparse/sid libc6/sid) \
			> "$CACHE/apt/sparse.log" 2>&1 ||
			{ cat "$CACHE/apt/sparse.log" >&2; return 1; }
		for d in "$dir.tmp"/dl/*.deb; do
			dpkg -x "$d" "$dir.tmp/root" || return 1
		done
		cat > "$dir.tmp/sparse" <<-EOS
		#!/bin/sh
		exec "$dir/root/usr/lib64/ld-linux-x86-64.so.2" --library-path "$dir/root/usr/lib/x86_64-linux-gnu" "$dir/root/usr/bin/sparse" "\$@"
		EOS
		chmod +x "$dir.tmp/sparse"
		rm -rf "$dir.tmp/dl" "$dir"
		mv "$dir.tmp" "$dir"
	fi
	[ "$("$tree/scripts/checker-valid.sh" "$dir/sparse" 2>/dev/null)" = 1 ] || return 1
	echo "$dir/sparse"
}
