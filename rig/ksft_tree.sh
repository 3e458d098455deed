#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ksft_tree.sh - build the selftests of tools/testing/selftests/vhost_shmem
# as the kernel tree builds them (its Makefile includes ../lib.mk), outside
# a kernel tree.  `make selftests` and vm_run.sh run it.
#
# Usage: ksft_tree.sh [make arguments...]
#
# It lays out $REPO/build/ksft-tree like a kernel tree and runs make in
# its tools/testing/selftests/vhost_shmem/ with the arguments given (e.g.
# OUTPUT=<dir>, default build/selftests; USERLDFLAGS=-static: the test VM
# has no C library):
#   tools/testing/selftests/lib.mk     a copy of the newest linux-source's
#                                      (lib.mk finds the tree's top from its
#                                      own real path: a symbolic link would
#                                      lead it into linux-source)
#   tools/testing/selftests/kselftest* links to linux-source's
#   tools/testing/selftests/vhost_shmem/*   links to the project's files
#                                      (per file, so that make's directory
#                                      is the layout's, not the project's)
#   tools/include, tools/net           links to linux-source's (kselftest,
#                                      the YNL C library)
#   tools/lib/vhost_shmem, tools/vhost_shmem   links to the project's
#   usr/include                        link to the project's include/uapi
#                                      (lib.mk's KHDR_INCLUDES default,
#                                      what `make headers` gives in-tree)
#
# Environment: VSHM_CACHE, VSHM_SKIP_DEPS, VSHM_LINUX_SOURCE (as for
# vm_run.sh), LINUX_SRC (a kernel source tree to take lib.mk and kselftest
# from instead of the cached linux-source).

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
CACHE=${VSHM_CACHE:-$HOME/.cache/vhost-shmem}
TREE=$REPO/build/ksft-tree

log() { echo "ksft_tree: $*" >&2; }
die() { echo "ksft_tree: ERROR: $*" >&2; exit 1; }

# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

main() {
	local s d f out

	if [ -z "${LINUX_SRC:-}" ]; then
		vshm_install_packages debian-archive-keyring xz-utils
		vshm_linux_source >&2
	fi
	s=$LINUX_SRC/tools/testing/selftests
	[ -f "$s/lib.mk" ] && [ -f "$s/kselftest_harness.h" ] ||
		die "$s has no lib.mk or kselftest_harness.h"

	rm -rf "$TREE"
	d=$TREE/tools/testing/selftests
	mkdir -p "$d/vhost_shmem" "$TREE/tools/lib" "$TREE/usr"
	cp "$s/lib.mk" "$d/"
	for f in "$s"/kselftest*; do
		ln -s "$f" "$d/"
	done
	for f in "$REPO"/tools/testing/selftests/vhost_shmem/* \
		 "$REPO"/tools/testing/selftests/vhost_shmem/.gitignore; do
		ln -s "$f" "$d/vhost_shmem/"
	done
	ln -s "$LINUX_SRC/tools/include" "$TREE/tools/include"
	ln -s "$LINUX_SRC/tools/net" "$TREE/tools/net"
	for f in "$REPO"/tools/lib/*; do
		[ -e "$f" ] && ln -s "$f" "$TREE/tools/lib/"
	done
	ln -s "$REPO/tools/vhost_shmem" "$TREE/tools/vhost_shmem"
	ln -s "$REPO/include/uapi" "$TREE/usr/include"

	# lib.mk writes into OUTPUT but does not make it (the selftests'
	# top Makefile does).
	out=$REPO/build/selftests
	for f in "$@"; do
		case $f in OUTPUT=*) out=${f#OUTPUT=} ;; esac
	done
	mkdir -p "$out"
	make -C "$d/vhost_shmem" OUTPUT="$out" "$@"
}

main "$@"
