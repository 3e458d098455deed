/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vhost-shmem: kernel backing for VIRTIO Shared Memory Regions of
 * vhost-user devices.
 *
 * A VMM opens /dev/vhost-shmem once per device.  Each open file is a
 * context that owns up to 256 regions, identified by the 8-bit shmid of the
 * vhost-user protocol.  mmap() of the file at a region's mmap offset gives a
 * window that the VMM registers once as a KVM memory slot; the MAP and UNMAP
 * ioctls then insert and remove the pages of back-end supplied files inside
 * that window.  See Documentation/userspace-api/vhost-shmem.rst.
 */
#ifndef _UAPI_LINUX_VHOST_SHMEM_H
#define _UAPI_LINUX_VHOST_SHMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * The ioctls of /dev/vhost-shmem follow the conventions of iommufd:
 *
 * - The ioctl number is _IO(%VHOST_SHMEM_TYPE, nr) and carries no size;
 *   the argument is a pointer to a struct that starts with ``__u32 size``,
 *   which the caller sets to sizeof() the struct it was built with, and
 *   ``__u32 flags``.  %VHOST_SHMEM_RESET takes no argument.
 * - Structs only ever grow, at their end.  The kernel accepts any @size
 *   from the struct's first version on: fields a shorter struct lacks read
 *   as 0, and output fields it lacks are not written.  Bytes past the
 *   kernel's own size must be zero.
 * - Fields named ``__reserved`` must be 0.
 *
 * Errors every ioctl gives, in the order they are checked; each ioctl then
 * lists its own:
 *
 * - %ENOTTY: not an ioctl of this device.
 * - %EFAULT: the argument could not be read.  An ioctl with outputs also
 *   checks, once its arguments are found valid and before it acts, that
 *   they can be written, by writing back the bytes that are there; it
 *   fails with %EFAULT then.
 * - %EINVAL: @size is smaller than the struct's first version.
 * - %E2BIG: @size is larger than the kernel's struct and a byte past the
 *   kernel's struct is not zero: the caller asks for something this kernel
 *   does not know.
 * - %EOPNOTSUPP: a flag or a ``__reserved`` field that this kernel does not
 *   know is set.
 * - %EINVAL: a value is out of its range.
 *
 * An ioctl that fails changed nothing.  Features that a kernel may lack are
 * announced as bits of &vhost_shmem_info.features; a VMM tests the bit
 * rather than a version.
 */

/* Shares the vhost ioctl type; numbers 0xE0-0xEF are reserved for us. */
#define VHOST_SHMEM_TYPE		0xAF
#define VHOST_SHMEM_BASE		0xE0

enum {
	VHOST_SHMEM_IOCTL_GET_INFO = VHOST_SHMEM_BASE,
	VHOST_SHMEM_IOCTL_REGION_CREATE,
	VHOST_SHMEM_IOCTL_REGION_DESTROY,
	VHOST_SHMEM_IOCTL_MAP,
	VHOST_SHMEM_IOCTL_UNMAP,
	VHOST_SHMEM_IOCTL_RESET,
	VHOST_SHMEM_IOCTL_REGION_INFO,
	VHOST_SHMEM_IOCTL_RELAY,
	VHOST_SHMEM_IOCTL_RELAY_BATCH,
};

/**
 * struct vhost_shmem_info - ioctl(VHOST_SHMEM_GET_INFO)
 * @size: sizeof(struct vhost_shmem_info)
 * @flags: Must be 0.
 * @features: Output: bitmap of VHOST_SHMEM_F_* features the module
 *            supports: %VHOST_SHMEM_F_ZERO_HOLES, %VHOST_SHMEM_F_RELAY_BATCH.
 * @max_regions: Output: regions this context may hold at once (1-256; the
 *               module parameter when the context was opened).
 * @max_mappings: Output: mappings each region of this context may hold at
 *                once (1-16777216; likewise).
 * @max_region_size: Output: largest region, in bytes, that
 *                   %VHOST_SHMEM_REGION_CREATE accepts.
 * @page_size: Output: granularity, in bytes, of every length and offset.
 */
struct vhost_shmem_info {
	__u32 size;
	__u32 flags;
	__aligned_u64 features;
	__u32 max_regions;
	__u32 max_mappings;
	__aligned_u64 max_region_size;
	__aligned_u64 page_size;
};

/*
 * Features announced in &vhost_shmem_info.features.
 * VHOST_SHMEM_F_ZERO_HOLES: %VHOST_SHMEM_REGION_F_ZERO_HOLES is known.
 * VHOST_SHMEM_F_RELAY_BATCH: %VHOST_SHMEM_RELAY_BATCH is known.
 */
#define VHOST_SHMEM_F_ZERO_HOLES	(1ULL << 0)
#define VHOST_SHMEM_F_RELAY_BATCH	(1ULL << 1)

/**
 * VHOST_SHMEM_GET_INFO - _IO(VHOST_SHMEM_TYPE, 0xE0)
 *
 * Query the features and limits of this context.
 *
 * Return: 0, or -1 with errno set to one of the general errors.
 */
#define VHOST_SHMEM_GET_INFO	_IO(VHOST_SHMEM_TYPE, VHOST_SHMEM_IOCTL_GET_INFO)

/* Flags of &vhost_shmem_region_create: holes read as zeroes. */
#define VHOST_SHMEM_REGION_F_ZERO_HOLES	(1U << 0)

/**
 * struct vhost_shmem_region_create - ioctl(VHOST_SHMEM_REGION_CREATE)
 * @size: sizeof(struct vhost_shmem_region_create)
 * @flags: %VHOST_SHMEM_REGION_F_ZERO_HOLES or 0.
 * @shmid: The region's VIRTIO shared memory id (0-255).
 * @__reserved: Must be 0.
 * @length: Region size in bytes; a non-zero multiple of the page size, at
 *          most &vhost_shmem_info.max_region_size.
 * @out_mmap_offset: Output: file offset at which mmap() of the device file
 *                   maps the region's window.
 *
 * The window is mmap(@out_mmap_offset, @length) of the device file with
 * %MAP_SHARED.  A part of it may be mapped as well: any range of pages
 * inside [@out_mmap_offset, @out_mmap_offset + @length).  The offset is
 * @shmid << 40: a 32-bit process (mmap2(), offsets in 4 KiB units in 32
 * bits) reaches the windows of shmids 0-15 only.
 *
 * What a window shows where nothing is mapped (a hole) is the region's
 * hole policy, chosen here for its life.  By default an access to a hole
 * faults: %SIGBUS for the VMM, and %EFAULT from %KVM_RUN for a guest
 * access, so that a VMM learns of an access the device did not prepare.
 * With %VHOST_SHMEM_REGION_F_ZERO_HOLES a hole reads as zeroes (the
 * kernel's zero page, mapped read-only) as unassigned memory does in
 * QEMU, and a write to it still faults: %SIGBUS for the VMM; a KVM guest's
 * write that KVM can emulate reaches the VMM as a %KVM_EXIT_MMIO exit that
 * it may ignore.  MAP replaces the zero page at once, as UNMAP removes a
 * mapping's pages.
 */
struct vhost_shmem_region_create {
	__u32 size;
	__u32 flags;
	__u32 shmid;
	__u32 __reserved;
	__aligned_u64 length;
	__aligned_u64 out_mmap_offset;
};

/**
 * VHOST_SHMEM_REGION_CREATE - _IO(VHOST_SHMEM_TYPE, 0xE1)
 *
 * Create an empty region: every page of its window is a hole, which faults
 * with %SIGBUS, or reads as zeroes with %VHOST_SHMEM_REGION_F_ZERO_HOLES,
 * until something is mapped there.
 *
 * Return: 0, or -1 with errno set to one of the general errors or:
 * %EINVAL @shmid is above 255, or @length is zero, unaligned or too large;
 * %EEXIST the context already has a region with this @shmid; %ENOSPC the
 * context already holds &vhost_shmem_info.max_regions regions; %ENOMEM.
 * When several apply, the first in this order is reported.
 */
#define VHOST_SHMEM_REGION_CREATE \
	_IO(VHOST_SHMEM_TYPE, VHOST_SHMEM_IOCTL_REGION_CREATE)

/**
 * struct vhost_shmem_region_destroy - ioctl(VHOST_SHMEM_REGION_DESTROY)
 * @size: sizeof(struct vhost_shmem_region_destroy)
 * @flags: Must be 0.
 * @shmid: The region to destroy.
 * @__reserved: Must be 0.
 */
struct vhost_shmem_region_destroy {
	__u32 size;
	__u32 flags;
	__u32 shmid;
	__u32 __reserved;
};

/**
 * VHOST_SHMEM_REGION_DESTROY - _IO(VHOST_SHMEM_TYPE, 0xE2)
 *
 * Unmap every mapping of the region, as %VHOST_SHMEM_UNMAP would, then
 * destroy it.  Windows that are still mmapped stay valid address ranges
 * whose pages fault with %SIGBUS; they only reach a region again if one with
 * the same @shmid is created.
 *
 * Return: 0, or -1 with errno set to one of the general errors or:
 * %EINVAL @shmid is above 255; %ENOENT no region with this @shmid.
 */
#define VHOST_SHMEM_REGION_DESTROY \
	_IO(VHOST_SHMEM_TYPE, VHOST_SHMEM_IOCTL_REGION_DESTROY)

/**
 * struct vhost_shmem_region_info - ioctl(VHOST_SHMEM_REGION_INFO)
 * @size: sizeof(struct vhost_shmem_region_info)
 * @flags: Must be 0.
 * @shmid: The region to describe.
 * @out_nr_mappings: Output: number of mappings in the region.
 * @out_length: Output: size of the region in bytes.
 * @out_mmap_offset: Output: offset of the region's window in the device
 *                   file.
 * @out_mapped_bytes: Output: sum of the lengths of the mappings.
 * @out_resident_bytes: Output: bytes of file pages that the mappings have
 *                      inserted into windows and hold until they are
 *                      unmapped.
 * @out_pinned_bytes: Output: bytes the region's mappings charge to the
 *                    pinned memory (VmPin) of the tasks that made them:
 *                    the length of every mapping.  Since the second
 *                    version of the struct; a caller whose struct ends at
 *                    @out_resident_bytes does not get it.
 */
struct vhost_shmem_region_info {
	__u32 size;
	__u32 flags;
	__u32 shmid;
	__u32 out_nr_mappings;
	__aligned_u64 out_length;
	__aligned_u64 out_mmap_offset;
	__aligned_u64 out_mapped_bytes;
	__aligned_u64 out_resident_bytes;
	__aligned_u64 out_pinned_bytes;
};

/**
 * VHOST_SHMEM_REGION_INFO - _IO(VHOST_SHMEM_TYPE, 0xE6)
 *
 * Describe a region: its geometry and what is mapped in it right now.
 *
 * Return: 0, or -1 with errno set to one of the general errors or:
 * %EINVAL @shmid is above 255; %ENOENT no region with this @shmid.
 */
#define VHOST_SHMEM_REGION_INFO \
	_IO(VHOST_SHMEM_TYPE, VHOST_SHMEM_IOCTL_REGION_INFO)

/* The mapping is writable; without it, it is read-only. */
#define VHOST_SHMEM_MAP_F_RW		(1U << 0)

/**
 * struct vhost_shmem_map - ioctl(VHOST_SHMEM_MAP)
 * @size: sizeof(struct vhost_shmem_map)
 * @flags: %VHOST_SHMEM_MAP_F_RW or 0: bit 0 of the flags of the vhost-user
 *         VhostUserMMap payload, with the same meaning.
 * @shmid: The region to map into.
 * @fd: The file to map: a memfd or tmpfs file, or, read-only, a regular
 *      file of a filesystem that keeps its data in the page cache.
 * @fd_offset: Offset in the file of the first byte to map; page aligned.
 * @shm_offset: Offset in the region where the mapping starts; page aligned.
 * @len: Length in bytes; a non-zero multiple of the page size.
 *
 * The fields follow the vhost-user SHMEM_MAP payload, so that a VMM can copy
 * them over from the back-end's message.
 */
struct vhost_shmem_map {
	__u32 size;
	__u32 flags;
	__u32 shmid;
	__s32 fd;
	__aligned_u64 fd_offset;
	__aligned_u64 shm_offset;
	__aligned_u64 len;
};

/**
 * VHOST_SHMEM_MAP - _IO(VHOST_SHMEM_TYPE, 0xE3)
 *
 * Map [@fd_offset, @fd_offset + @len) of @fd at [@shm_offset, @shm_offset +
 * @len) of the region.  Pages are inserted into every window of the region
 * when they are first touched, by the VMM or through KVM by the guest.  The
 * mapping keeps its own reference to the file: @fd may be closed right
 * after the call.
 *
 * The file is admitted exactly when mmap(@fd, %MAP_SHARED, %PROT_READ, or
 * %PROT_READ | %PROT_WRITE with %VHOST_SHMEM_MAP_F_RW) by the caller would
 * succeed, and refused with the errno mmap() would give; the range may
 * extend past the end of the file, whose pages then fault until it grows.
 *
 * Return: 0, or -1 with errno set to one of the general errors or, when
 * several apply, the first of: %EINVAL @shmid is above 255, @len is zero,
 * an offset or @len is not page aligned, or an end overflows; %EBADF @fd is
 * not an open file descriptor (%O_PATH descriptors included); %EOVERFLOW
 * [@fd_offset, @fd_offset + @len) goes past the largest file offset;
 * %ENODEV the file is not of a type that can be mapped; then what mmap()
 * of @fd would refuse with, as mmap() orders it: %EACCES the file is not
 * open for reading, %VHOST_SHMEM_MAP_F_RW is set and it is not open for
 * writing, or the file is append-only and @fd is open for writing; %EPERM
 * %VHOST_SHMEM_MAP_F_RW is set and the file is sealed against writing;
 * %ETXTBSY %VHOST_SHMEM_MAP_F_RW is set and the file is a swap file; what
 * a security module or the filesystem's mmap refuses with; then
 * %EOPNOTSUPP %VHOST_SHMEM_MAP_F_RW is set and the file is not a memfd or
 * tmpfs file; %ENOMEM; %ENOENT no region with this @shmid; %EINVAL the
 * range does not lie inside the region; %ENOSPC the region already holds
 * &vhost_shmem_info.max_mappings mappings; %ENOMEM the mapping's length
 * would take the memory the caller's user has pinned past the caller's
 * %RLIMIT_MEMLOCK (callers with %CAP_IPC_LOCK are not limited); %EEXIST
 * the range overlaps a mapping of the region.
 *
 * A mapping charges its whole length, as iommufd charges what it pins, to
 * the caller's user (against %RLIMIT_MEMLOCK) and to the caller's own
 * pinned memory (VmPin), until it is removed (UNMAP, RESET,
 * REGION_DESTROY, close), whoever removes it.
 */
#define VHOST_SHMEM_MAP		_IO(VHOST_SHMEM_TYPE, VHOST_SHMEM_IOCTL_MAP)

/**
 * struct vhost_shmem_unmap - ioctl(VHOST_SHMEM_UNMAP)
 * @size: sizeof(struct vhost_shmem_unmap)
 * @flags: Must be 0.
 * @shmid: The region to unmap from.
 * @__reserved: Must be 0.
 * @shm_offset: Offset in the region of the mapping.
 * @len: Length of the mapping.
 */
struct vhost_shmem_unmap {
	__u32 size;
	__u32 flags;
	__u32 shmid;
	__u32 __reserved;
	__aligned_u64 shm_offset;
	__aligned_u64 len;
};

/**
 * VHOST_SHMEM_UNMAP - _IO(VHOST_SHMEM_TYPE, 0xE4)
 *
 * Remove the one mapping that starts at @shm_offset and is @len bytes long.
 * When the call returns, no window and no KVM guest reaches the mapping's
 * pages any more: the range faults with %SIGBUS again.
 *
 * Return: 0, or -1 with errno set to one of the general errors or:
 * %EINVAL @shmid is above 255, @len is zero, @shm_offset or @len is not
 * page aligned, or the end overflows; %ENOENT no region with this @shmid,
 * or [@shm_offset, @shm_offset + @len) is not exactly one existing mapping
 * (part of one, several, or a hole); %ENOMEM.
 */
#define VHOST_SHMEM_UNMAP	_IO(VHOST_SHMEM_TYPE, VHOST_SHMEM_IOCTL_UNMAP)

/**
 * VHOST_SHMEM_RESET - _IO(VHOST_SHMEM_TYPE, 0xE5)
 *
 * Device reset: unmap every mapping of every region of the context.  The
 * regions and their windows stay.  The argument is ignored.
 *
 * Return: 0.
 */
#define VHOST_SHMEM_RESET	_IO(VHOST_SHMEM_TYPE, VHOST_SHMEM_IOCTL_RESET)

/*
 * The vhost-user back-end channel messages that VHOST_SHMEM_RELAY executes,
 * as the vhost-user specification defines them.  All fields are little
 * endian on the wire.  The names carry a VHOST_SHMEM_ prefix so that they
 * never clash with a VMM's own definitions of the protocol.
 */
#define VHOST_SHMEM_USER_BACKEND_SHMEM_MAP		9
#define VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP		10
#define VHOST_SHMEM_USER_PROTOCOL_F_SHMEM		22

#define VHOST_SHMEM_USER_VERSION_MASK			0x3
#define VHOST_SHMEM_USER_VERSION			0x1
#define VHOST_SHMEM_USER_REPLY_MASK			(1U << 2)
#define VHOST_SHMEM_USER_NEED_REPLY_MASK		(1U << 3)

/**
 * struct vhost_shmem_user_hdr - vhost-user message header
 * @request: Request id, e.g. %VHOST_SHMEM_USER_BACKEND_SHMEM_MAP.
 * @flags: Version in bits 0-1, %VHOST_SHMEM_USER_REPLY_MASK,
 *         %VHOST_SHMEM_USER_NEED_REPLY_MASK; other bits reserved.
 * @size: Size of the payload that follows, in bytes.
 */
struct vhost_shmem_user_hdr {
	__le32 request;
	__le32 flags;
	__le32 size;
};

/**
 * struct vhost_shmem_user_mmap - VhostUserMMap, payload of SHMEM_MAP/UNMAP
 * @shmid: VIRTIO shared memory region id.
 * @padding: Ignored.
 * @fd_offset: Offset in the file sent with a MAP.
 * @shm_offset: Offset in the region.
 * @len: Length of the mapping.
 * @flags: Bit 0 set: read-write; clear: read-only.  QEMU declares the field
 *         as a u16, leaving the upper six bytes as padding: the relay reads
 *         bits 0-15 only.
 */
struct vhost_shmem_user_mmap {
	__u8 shmid;
	__u8 padding[7];
	__le64 fd_offset;
	__le64 shm_offset;
	__le64 len;
	__le64 flags;
};

/**
 * struct vhost_shmem_user_reply - the reply to a message with NEED_REPLY
 * @hdr: @hdr.request as in the message, @hdr.flags
 *       %VHOST_SHMEM_USER_VERSION | %VHOST_SHMEM_USER_REPLY_MASK, @hdr.size 8.
 * @value: the u64 payload: 0 on success, otherwise the positive errno of
 *         the failure.
 */
struct vhost_shmem_user_reply {
	struct vhost_shmem_user_hdr hdr;
	__le64 value;
} __attribute__((packed));

/* Reply to every MAP and UNMAP, whether or not it asked for one. */
#define VHOST_SHMEM_RELAY_F_ALWAYS_REPLY	(1U << 0)

/**
 * struct vhost_shmem_relay - ioctl(VHOST_SHMEM_RELAY)
 * @size: sizeof(struct vhost_shmem_relay)
 * @flags: %VHOST_SHMEM_RELAY_F_ALWAYS_REPLY or 0.
 * @msg: Address of the message exactly as received from the back-end
 *       channel: a &struct vhost_shmem_user_hdr and its payload.
 * @msg_len: Number of bytes received.
 * @fd: The one file descriptor received with the message, or -1.  The
 *      relay never closes it: the caller does, whatever the outcome.  A MAP
 *      whose descriptor is not an open file (an %O_PATH one, say) fails
 *      with @out_result -%EBADF and is answered like any failed MAP.
 * @reply: Address of a buffer of at least
 *         sizeof(struct vhost_shmem_user_reply) bytes for the reply.
 * @reply_len: Input: size of the buffer at @reply.  Output, when the call
 *             succeeds: number of bytes of the reply to write back on the
 *             channel; 0 when none is due.  A call that fails changes
 *             neither it nor the buffer at @reply.
 * @out_request: Output: the message's request id.
 * @out_result: Output: 0 when the mapping operation succeeded, otherwise
 *              its negative errno, as %VHOST_SHMEM_MAP or
 *              %VHOST_SHMEM_UNMAP would have returned it.  The reply
 *              carries it as a positive number.
 * @__reserved: Must be 0.
 */
struct vhost_shmem_relay {
	__u32 size;
	__u32 flags;
	__aligned_u64 msg;
	__u32 msg_len;
	__s32 fd;
	__aligned_u64 reply;
	__u32 reply_len;
	__u32 out_request;
	__s32 out_result;
	__u32 __reserved;
};

/**
 * VHOST_SHMEM_RELAY - _IO(VHOST_SHMEM_TYPE, 0xE7)
 *
 * Execute one vhost-user back-end channel message: a
 * %VHOST_SHMEM_USER_BACKEND_SHMEM_MAP or
 * %VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP request is carried out on this
 * context, and the reply, when the message asked for one with
 * %VHOST_SHMEM_USER_NEED_REPLY_MASK (or the caller asked for every one), is
 * written to @reply for the caller to send.
 *
 * Return: 0 when the message was executed, whether the mapping operation
 * succeeded or not (see @out_result); -1 with errno set otherwise, in which
 * case nothing changed and no reply is due: one of the general errors, or
 * %ENOMSG the request is not one the relay executes: the caller handles it;
 * %EBADMSG the message is malformed: shorter or longer than its header says,
 * a payload size other than 40, a version other than 1, the reply flag or a
 * reserved flag set, no descriptor with a MAP or one with an UNMAP;
 * %EINVAL @reply_len too small, or @fd less than -1;
 * %EFAULT the message or the reply buffer could not be accessed.
 */
#define VHOST_SHMEM_RELAY	_IO(VHOST_SHMEM_TYPE, VHOST_SHMEM_IOCTL_RELAY)

/* Most messages one %VHOST_SHMEM_RELAY_BATCH executes. */
#define VHOST_SHMEM_RELAY_BATCH_MAX	64

/**
 * struct vhost_shmem_relay_entry - one message of %VHOST_SHMEM_RELAY_BATCH
 * @flags: Must be 0.
 * @fd: The one file descriptor received with the message, or -1; as
 *      &vhost_shmem_relay.fd (never closed by the kernel).
 * @msg: Address of the message exactly as received: a
 *       &struct vhost_shmem_user_hdr and its payload.
 * @msg_len: Number of bytes received.
 * @out_status: Output: 0 when the message was executed, as
 *              %VHOST_SHMEM_RELAY would have returned 0 for it; otherwise
 *              what %VHOST_SHMEM_RELAY would have failed with for this
 *              message alone: -%ENOMSG, a request the relay leaves to the
 *              caller, or -%EBADMSG, a malformed message.  Either way
 *              nothing was done for it and no reply is due.
 * @out_request: Output: the message's request id (0 when the message is
 *               shorter than its request field).
 * @out_result: Output: when @out_status is 0, 0 if the mapping operation
 *              succeeded, otherwise its negative errno, as
 *              &vhost_shmem_relay.out_result; 0 otherwise.
 * @out_reply_len: Output: number of bytes of @out_reply to write back on
 *                 the channel; 0 when no reply is due.
 * @out_reply: Output: the reply, byte for byte the one %VHOST_SHMEM_RELAY
 *             gives for the message; left as it was when none is due.
 *
 * The entries of a batch form an array, each &vhost_shmem_relay_batch.entry_len
 * bytes long, so that the entry may grow as the ioctl structs do: an entry
 * shorter than the kernel's reads as zero-extended and gets only the
 * outputs it has room for; bytes of a longer one past the kernel's entry
 * must be zero.
 */
struct vhost_shmem_relay_entry {
	__u32 flags;
	__s32 fd;
	__aligned_u64 msg;
	__u32 msg_len;
	__s32 out_status;
	__u32 out_request;
	__s32 out_result;
	__u32 out_reply_len;
	struct vhost_shmem_user_reply out_reply;
};

/**
 * struct vhost_shmem_relay_batch - ioctl(VHOST_SHMEM_RELAY_BATCH)
 * @size: sizeof(struct vhost_shmem_relay_batch)
 * @flags: %VHOST_SHMEM_RELAY_F_ALWAYS_REPLY or 0, for every message.
 * @entries: Address of an array of @entry_num entries of @entry_len bytes,
 *           each a &struct vhost_shmem_relay_entry.
 * @entry_len: Size of one entry: at least 56, the size of the entry's
 *             first version, at most the page size;
 *             sizeof(struct vhost_shmem_relay_entry).
 * @entry_num: Number of entries, 1 to %VHOST_SHMEM_RELAY_BATCH_MAX.
 */
struct vhost_shmem_relay_batch {
	__u32 size;
	__u32 flags;
	__aligned_u64 entries;
	__u32 entry_len;
	__u32 entry_num;
};

/**
 * VHOST_SHMEM_RELAY_BATCH - _IO(VHOST_SHMEM_TYPE, 0xE8)
 *
 * Execute several vhost-user back-end channel messages, in the order of
 * @entries, each exactly as %VHOST_SHMEM_RELAY would execute it alone: each
 * sees the effect of the messages before it (a MAP and then an UNMAP of
 * the same range leave the range empty), gets its own @out_result and its
 * own reply, and a message that fails, or that the relay does not
 * execute, leaves the others alone.  The replies are the caller's to write
 * on the channel in the order of the entries.  The batch takes the
 * context's lock once and makes the pages of every UNMAP unreachable with
 * one invalidation where it can, before any of them is given back: when
 * the call returns, no window and no guest reaches a page the batch
 * unmapped.
 *
 * Its cost over one message is that of reading the entries and the
 * messages; a VMM batches what the back-end has already sent, and ends a
 * batch before a request it handles itself when the order of the two
 * matters.
 *
 * Each message is charged to, and given back from, the caller's memory
 * lock limit in its turn (an UNMAP gives its charge back before the next
 * message runs).
 *
 * Return: 0 when the batch was executed, whatever each message's outcome
 * (see @out_status and @out_result); -1 with errno set otherwise, in which
 * case nothing was executed and the entries are as they were, except for
 * %EFAULT from writing the outputs back after the batch ran, which only a
 * concurrent munmap() or mprotect() of the entries between the check
 * before and the write after can cause: one of the
 * general errors, checked for the argument and then entry by entry (an
 * entry's @flags and any byte past the kernel's entry are its "flags" and
 * "struct size"), or %EINVAL @entry_num is 0, @entry_len is less than 56,
 * or an entry's @fd is less than -1; %E2BIG @entry_num is more than
 * %VHOST_SHMEM_RELAY_BATCH_MAX or @entry_len more than the page size;
 * %EFAULT the entries, a message or an
 * entry's outputs could not be accessed; %ENOMEM.
 */
#define VHOST_SHMEM_RELAY_BATCH \
	_IO(VHOST_SHMEM_TYPE, VHOST_SHMEM_IOCTL_RELAY_BATCH)

/*
 * The generic netlink family "vhost-shmem", which describes what every
 * context maps and sends events as it changes, is declared in
 * <linux/vhost_shmem_netlink.h>, generated from its YNL specification
 * Documentation/netlink/specs/vhost_shmem.yaml.
 */

#endif /* _UAPI_LINUX_VHOST_SHMEM_H */
