# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - helpers shared by vm_run.sh, debug_kernel.sh and lint.sh.
# Source it; it defines functions, and CACHE if the caller did not.
#
# The caller provides log() and die().

: "${CACHE:=${VSHM_CACHE:-$HOME/.cache/vhost-shmem}}"

# True if Debian package $1 is installed.
vshm_is_installed() {
	dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
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

# Extracts /usr/src/linux-source-6.12.tar.xz into $CACHE/linux-source-6.12
# once (the pristine tree: never modified afterwards); sets LINUX_SRC to it.
vshm_linux_source() {
	local src=/usr/src/linux-source-6.12.tar.xz
	local dst=$CACHE/linux-source-6.12
	local tmp

	if [ ! -f "$dst/tools/testing/selftests/kselftest_harness.h" ]; then
		[ -f "$src" ] || die "$src missing (package linux-source-6.12)"
		log "extracting $src into $CACHE (once)"
		mkdir -p "$CACHE"
		# Extract next to the destination, then rename: an interrupted
		# extraction never looks complete (and is removed next time).
		rm -rf "$CACHE"/.extract.*
		tmp=$(mktemp -d "$CACHE/.extract.XXXXXX")
		tar -xJf "$src" -C "$tmp" || { rm -rf "$tmp"; die "extracting $src failed"; }
		[ -d "$tmp/linux-source-6.12" ] || { rm -rf "$tmp"; die "$src has no linux-source-6.12/"; }
		rm -rf "$dst"
		mv "$tmp/linux-source-6.12" "$dst"
		rm -rf "$tmp"
	fi
	LINUX_SRC=$dst
}
