#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ynl_gen.sh - generate the netlink code and reference of vhost-shmem from
# its YNL spec, Documentation/netlink/specs/vhost_shmem.yaml, with the
# kernel's own generators (tools/net/ynl/pyynl/ynl_gen_c.py and
# ynl_gen_rst.py of the newest linux-source, lib.sh's vshm_linux_source).  `make netlink-gen` runs it; lint.sh runs it
# with --check.
#
# Usage: ynl_gen.sh [--check] [--help]
#
#   --check  generate into a temporary directory and compare with the files
#            in the tree: exit status 1, with the differences, when a file
#            is stale (the spec or the generator changed since it was made)
#
# Generated files, all with the generator's "Do not edit" banner:
#   include/uapi/linux/vhost_shmem_netlink.h  uAPI: enums of the family
#   drivers/vhost/shmem/netlink-gen.[ch]      kernel: policies, split ops,
#                                             multicast groups
#   tools/vhost_shmem/vhost_shmem-user.[ch]   YNL C user library of the family
#                                             (built with tools/net/ynl/lib)
#   Documentation/netlink/specs/vhost_shmem.rst  the family's reference, as
#                                             the kernel's documentation
#                                             renders every spec
#
# The generator finds the kernel root (MAINTAINERS) and the schema
# (Documentation/netlink/genetlink.yaml) from the spec's path, so it runs on
# a copy of the spec in a temporary tree laid out as the kernel's; the banner
# then names the spec by its path in this project, which is also its path in
# the kernel.
#
# Environment: VSHM_CACHE, VSHM_SKIP_DEPS (as for vm_run.sh).

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
CACHE=${VSHM_CACHE:-$HOME/.cache/vhost-shmem}
SPEC=Documentation/netlink/specs/vhost_shmem.yaml

log() { echo "ynl_gen: $*"; }
die() { echo "ynl_gen: ERROR: $*" >&2; exit 1; }

# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

# "<mode> <header|source> <path in the tree>" of every generated file.
OUTPUTS=(
	"uapi header include/uapi/linux/vhost_shmem_netlink.h"
	"kernel header drivers/vhost/shmem/netlink-gen.h"
	"kernel source drivers/vhost/shmem/netlink-gen.c"
	"user header tools/vhost_shmem/vhost_shmem-user.h"
	"user source tools/vhost_shmem/vhost_shmem-user.c"
	"rst - Documentation/netlink/specs/vhost_shmem.rst"
)

usage() {
	sed -n '/^# Usage:/,/^# Generated/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

main() {
	local check=0 tmp out mode kind path stale=0 gen genrst

	while [ $# -gt 0 ]; do
		case $1 in
		--check) check=1 ;;
		--help|-h) usage; exit 0 ;;
		*) die "unknown argument $1 (see --help)" ;;
		esac
		shift
	done

	vshm_install_packages python3 python3-yaml python3-jsonschema \
		debian-archive-keyring
	vshm_linux_source
	gen=$LINUX_SRC/tools/net/ynl/pyynl/ynl_gen_c.py
	genrst=$LINUX_SRC/tools/net/ynl/pyynl/ynl_gen_rst.py
	[ -f "$gen" ] && [ -f "$genrst" ] ||
		die "no YNL generator in ${LINUX_SRC##*/}/tools/net/ynl/pyynl"

	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now
	trap "rm -rf '$tmp'" EXIT
	mkdir -p "$tmp/root/Documentation/netlink/specs" "$tmp/out"
	: > "$tmp/root/MAINTAINERS"
	cp "$LINUX_SRC/Documentation/netlink/genetlink.yaml" \
		"$tmp/root/Documentation/netlink/"
	cp "$REPO/$SPEC" "$tmp/root/$SPEC"

	for out in "${OUTPUTS[@]}"; do
		read -r mode kind path <<< "$out"
		mkdir -p "$tmp/out/$(dirname "$path")"
		if [ "$mode" = rst ]; then
			python3 "$genrst" -i "$tmp/root/$SPEC" -o "$tmp/out/$path" ||
				die "generating $path failed"
		else
			python3 "$gen" --mode "$mode" "--$kind" \
				--spec "$tmp/root/$SPEC" -o "$tmp/out/$path" ||
				die "generating $path failed"
		fi
		if [ "$check" = 1 ]; then
			if ! diff -u "$REPO/$path" "$tmp/out/$path" \
				--label "$path (in the tree)" \
				--label "$path (from $SPEC)"; then
				stale=1
			fi
		elif ! cmp -s "$tmp/out/$path" "$REPO/$path"; then
			cp "$tmp/out/$path" "$REPO/$path"
			log "updated $path"
		fi
	done
	if [ "$check" = 1 ] && [ "$stale" = 1 ]; then
		echo "ynl_gen: generated netlink files are stale: run make netlink-gen" >&2
		exit 1
	fi
	return 0
}

main "$@"
