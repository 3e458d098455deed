#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install.sh - install vhost-shmem on a host (make install / make uninstall).
#
# Usage: install.sh install|uninstall|list|dkms-install|dkms-uninstall
#
#   install    build and install, under $DESTDIR:
#                the module, for the kernel of $KDIR, through Kbuild's
#                  modules_install (into /lib/modules/<release>/updates/),
#                  then depmod (skipped when DESTDIR is set: a packager's
#                  postinst runs it);
#                a udev rule giving /dev/vhost-shmem to group kvm, mode
#                  0660, and a modules-load.d entry that loads the module
#                  at boot;
#                libvshm, shared (libvshm.so.0) and static, its header, the
#                  uAPI headers and a pkg-config file (libvshm.pc);
#                vshmctl and its manual page (vshmctl(8), from
#                  Documentation/userspace-api/vshmctl.rst); vshmctl is
#                  built on the kernel's YNL C library: $YNL_DIR
#                  (<kernel source>/tools/net/ynl), else the newest
#                  linux-source, fetched into the cache as the rig does
#   uninstall  remove what install installed
#   list       print the paths install installs, one per line, relative
#              to $DESTDIR
#   dkms-install
#              put the module's source in /usr/src/vhost-shmem-<version>/,
#              register it with DKMS (dkms.conf) and build and install it
#              for every installed kernel with headers; DKMS rebuilds it on
#              kernel upgrades.  Installs the udev rule and the
#              modules-load.d entry too.  Not with DESTDIR: packagers ship
#              the source and dkms.conf and let dkms's postinst do this
#   dkms-uninstall
#              remove it from DKMS and /usr/src, with the udev rule and
#              the modules-load.d entry
#
# Environment (as make passes it):
#   DESTDIR        staging directory (default: none, the live system)
#   PREFIX         /usr/local by default; BINDIR, LIBDIR, INCLUDEDIR and
#                  MANDIR derive from it unless set
#   UDEVRULESDIR   default /usr/lib/udev/rules.d (udev reads no other
#                  prefix)
#   MODULESLOADDIR default /usr/lib/modules-load.d
#   KDIR           kernel build tree (default: the running kernel's, else
#                  the newest installed)
#   VERSION        version of the library and the pkg-config file
#   YNL_DIR        tools/net/ynl of a kernel source tree, for vshmctl
#   VSHM_CACHE     where linux-source is fetched when YNL_DIR is not set

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$REPO/build

log() { echo "install: $*"; }
die() { echo "install: ERROR: $*" >&2; exit 1; }

# shellcheck source=../rig/lib.sh
. "$REPO/rig/lib.sh"

DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
BINDIR=${BINDIR:-$PREFIX/bin}
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
MANDIR=${MANDIR:-$PREFIX/share/man}
UDEVRULESDIR=${UDEVRULESDIR:-/usr/lib/udev/rules.d}
MODULESLOADDIR=${MODULESLOADDIR:-/usr/lib/modules-load.d}
VERSION=${VERSION:-0.1.0}
if [ -z "${KDIR:-}" ]; then
	KDIR=/lib/modules/$(uname -r)/build
	[ -d "$KDIR" ] || KDIR=$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1)
fi

# Kbuild and make cannot take paths with white space: say so up front.
for v in DESTDIR PREFIX BINDIR LIBDIR INCLUDEDIR MANDIR UDEVRULESDIR \
	 MODULESLOADDIR KDIR; do
	case ${!v} in
	*[[:space:]]*) die "$v='${!v}' contains white space, which Kbuild cannot take" ;;
	esac
done

kernel_release() {
	if [ -f "$KDIR/include/config/kernel.release" ]; then
		cat "$KDIR/include/config/kernel.release"
	else
		basename "$(dirname "$(readlink -f "$KDIR")")"
	fi
}

LIBVSHM_SO=libvshm.so.0.1.0

# The name modules_install gives the module: compressed as the kernel's own.
module_name() {
	local cfg=$KDIR/.config
	if grep -qx 'CONFIG_MODULE_COMPRESS_XZ=y' "$cfg" 2>/dev/null; then
		echo vhost_shmem.ko.xz
	elif grep -qx 'CONFIG_MODULE_COMPRESS_ZSTD=y' "$cfg" 2>/dev/null; then
		echo vhost_shmem.ko.zst
	elif grep -qx 'CONFIG_MODULE_COMPRESS_GZIP=y' "$cfg" 2>/dev/null; then
		echo vhost_shmem.ko.gz
	else
		echo vhost_shmem.ko
	fi
}

# The files install lays out, relative to DESTDIR.
list() {
	local kver
	kver=$(kernel_release)
	cat <<EOF
/lib/modules/$kver/updates/$(module_name)
$UDEVRULESDIR/60-vhost-shmem.rules
$MODULESLOADDIR/vhost-shmem.conf
$LIBDIR/$LIBVSHM_SO
$LIBDIR/libvshm.so.0
$LIBDIR/libvshm.so
$LIBDIR/libvshm.a
$LIBDIR/pkgconfig/libvshm.pc
$INCLUDEDIR/vhost-shmem/libvshm.h
$INCLUDEDIR/vhost-shmem/linux/vhost_shmem.h
$INCLUDEDIR/vhost-shmem/linux/vhost_shmem_netlink.h
$BINDIR/vshmctl
$MANDIR/man8/vshmctl.8
EOF
}

# Writes the manual page of vshmctl to $1, with docutils' manpage writer.
# The rst cross-references other documents (:doc:), which a manual page
# shows as plain text.
man_page() {
	/usr/bin/python3 - "$REPO/Documentation/userspace-api/vshmctl.rst" "$1" <<'EOF'
import sys
from docutils import nodes
from docutils.core import publish_file
from docutils.parsers.rst import roles

def doc_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    return [nodes.literal(rawtext, text)], []

roles.register_local_role('doc', doc_role)
publish_file(source_path=sys.argv[1], destination_path=sys.argv[2],
             writer_name='manpage',
             settings_overrides={'report_level': 3, 'halt_level': 3,
                                 'manual_section': '8',
                                 'manual_group': 'vhost-shmem'})
EOF
}

do_install() {
	local kver modbuild tools=$BUILD/install-tools
	kver=$(kernel_release)
	[ -d "$KDIR" ] || die "no kernel build tree: install linux-headers-$(uname -r) or pass KDIR="
	vshm_install_packages gcc make pkg-config python3-docutils kmod
	# vshmctl is built on the kernel's YNL C library (tools/net/ynl/lib):
	# from $YNL_DIR, else from the newest linux-source, of which the cache
	# keeps that directory (lib.sh's vshm_ynl_dir, as the test rig does).
	if [ -z "${YNL_DIR:-}" ]; then
		CACHE=${VSHM_CACHE:-$HOME/.cache/vhost-shmem}
		vshm_install_packages debian-archive-keyring xz-utils
		vshm_ynl_dir
		export YNL_DIR
	fi

	log "building vhost_shmem.ko for $kver"
	modbuild=$BUILD/install-$kver
	rm -rf "$modbuild"
	make -s -C "$REPO" module KDIR="$KDIR" MODBUILD="$modbuild"
	log "building libvshm and vshmctl"
	make -s -C "$REPO/tools/lib/vhost_shmem" OUTPUT="$tools/libvshm"
	make -s -C "$REPO/tools/vhost_shmem" OUTPUT="$tools" "$tools/vshmctl"

	log "installing under ${DESTDIR:-/}"
	# Not signed: the key Debian's kernels were signed with is not
	# here.  A host with Secure Boot signs the module with its own key
	# (DKMS does, with its MOK), or does not load it.
	make -s -C "$KDIR" M="$modbuild/drivers/vhost/shmem" \
		INSTALL_MOD_PATH="$DESTDIR" INSTALL_MOD_DIR=updates \
		INSTALL_MOD_STRIP=1 DEPMOD=true CONFIG_MODULE_SIG_ALL= \
		modules_install
	if [ -z "$DESTDIR" ]; then
		depmod -a "$kver"
	fi

	install -D -m 0644 "$REPO/packaging/60-vhost-shmem.rules" \
		"$DESTDIR$UDEVRULESDIR/60-vhost-shmem.rules"
	install -D -m 0644 "$REPO/packaging/vhost-shmem.conf" \
		"$DESTDIR$MODULESLOADDIR/vhost-shmem.conf"

	# libvshm: the libraries, libvshm.pc, libvshm.h and the uAPI headers.
	make -s -C "$REPO/tools/lib/vhost_shmem" OUTPUT="$tools/libvshm" \
		DESTDIR="$DESTDIR" PREFIX="$PREFIX" LIBDIR="$LIBDIR" \
		INCLUDEDIR="$INCLUDEDIR" VERSION="$VERSION" install

	install -D -m 0755 "$tools/vshmctl" "$DESTDIR$BINDIR/vshmctl"
	install -d "$DESTDIR$MANDIR/man8"
	man_page "$DESTDIR$MANDIR/man8/vshmctl.8"

	if [ -z "$DESTDIR" ]; then
		ldconfig
		command -v udevadm >/dev/null && udevadm control --reload || true
	fi
	log "installed $(list | wc -l) files"
}

do_uninstall() {
	local f n=0 m kver
	while IFS= read -r f; do
		[ -e "$DESTDIR$f" ] || [ -L "$DESTDIR$f" ] || continue
		rm -f "$DESTDIR$f"
		n=$((n + 1))
	done < <(list | grep -v '^/lib/modules/')
	# The module of every kernel it was installed for, not only KDIR's
	# (the host may have moved to another kernel since).
	for m in "$DESTDIR"/lib/modules/*/updates/vhost_shmem.ko*; do
		[ -f "$m" ] || continue
		kver=${m#"$DESTDIR"/lib/modules/}
		kver=${kver%%/*}
		rm -f "$m"
		n=$((n + 1))
		[ -z "$DESTDIR" ] && depmod -a "$kver"
	done
	rmdir "$DESTDIR$INCLUDEDIR/vhost-shmem/linux" \
	      "$DESTDIR$INCLUDEDIR/vhost-shmem" 2>/dev/null || true
	[ -z "$DESTDIR" ] && ldconfig
	log "removed $n files"
}

DKMS_NAME=vhost-shmem
DKMS_VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$REPO/dkms.conf")

do_dkms_install() {
	local src=/usr/src/$DKMS_NAME-$DKMS_VERSION kdir kver n=0
	[ -z "$DESTDIR" ] || die "dkms-install installs on this machine: no DESTDIR"
	vshm_install_packages dkms gcc make kmod
	do_dkms_uninstall quiet
	log "copying the module's source to $src"
	mkdir -p "$src"
	cp -r "$REPO/Makefile" "$REPO/dkms.conf" "$REPO/drivers" "$REPO/include" "$src/"
	dkms add -m "$DKMS_NAME" -v "$DKMS_VERSION"
	for kdir in /lib/modules/*/build; do
		[ -d "$kdir" ] || continue
		kver=$(basename "$(dirname "$kdir")")
		dkms install -m "$DKMS_NAME" -v "$DKMS_VERSION" -k "$kver" && n=$((n + 1))
	done
	install -D -m 0644 "$REPO/packaging/60-vhost-shmem.rules" \
		"$UDEVRULESDIR/60-vhost-shmem.rules"
	install -D -m 0644 "$REPO/packaging/vhost-shmem.conf" \
		"$MODULESLOADDIR/vhost-shmem.conf"
	command -v udevadm >/dev/null && udevadm control --reload || true
	log "DKMS built and installed vhost_shmem for $n kernel(s)"
}

do_dkms_uninstall() {
	# Removing needs the source that was added: before it goes.
	if command -v dkms >/dev/null &&
	   [ -d "/var/lib/dkms/$DKMS_NAME/$DKMS_VERSION" ]; then
		dkms remove "$DKMS_NAME/$DKMS_VERSION" --all
	fi
	rm -rf "/usr/src/$DKMS_NAME-$DKMS_VERSION"
	[ "${1:-}" = quiet ] && return 0
	rm -f "$UDEVRULESDIR/60-vhost-shmem.rules" "$MODULESLOADDIR/vhost-shmem.conf"
	log "removed $DKMS_NAME $DKMS_VERSION from DKMS"
}

case ${1:-} in
install) do_install ;;
uninstall) do_uninstall ;;
list) list ;;
dkms-install) do_dkms_install ;;
dkms-uninstall) do_dkms_uninstall ;;
*) sed -n '/^# Usage:/,/^# Environment/p' "${BASH_SOURCE[0]}" |
	sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
