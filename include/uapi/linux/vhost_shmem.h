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

/* Shares the vhost ioctl type; numbers 0xE0-0xEF are reserved for us. */
#define VHOST_SHMEM_TYPE		0xAF
#define VHOST_SHMEM_BASE		0xE0

/* Version of the interface described by this header. */
#define VHOST_SHMEM_API_VERSION		1

/**
 * struct vhost_shmem_info - ioctl(VHOST_SHMEM_GET_INFO)
 * @api_version: Out: %VHOST_SHMEM_API_VERSION of the running module.
 * @flags: In: must be 0.
 * @features: Out: bitmap of VHOST_SHMEM_F_* features the module supports.
 *            Bits not listed here are reserved and reported as 0.
 * @max_regions: Out: number of regions one context may hold at once.
 * @max_mappings: Out: number of mappings one region may hold at once.
 * @max_region_size: Out: largest region size, in bytes, that
 *                   %VHOST_SHMEM_REGION_CREATE accepts.
 * @page_size: Out: granularity, in bytes, of every size and offset.
 * @reserved: In: must be 0.  Out: 0.
 *
 * Lets a VMM discover what the running module implements before it uses
 * anything beyond API version 1.
 */
struct vhost_shmem_info {
	__u32 api_version;
	__u32 flags;
	__aligned_u64 features;
	__u32 max_regions;
	__u32 max_mappings;
	__aligned_u64 max_region_size;
	__aligned_u64 page_size;
	__aligned_u64 reserved[4];
};

/**
 * VHOST_SHMEM_GET_INFO - _IOWR(VHOST_SHMEM_TYPE, 0xE0, struct vhost_shmem_info)
 *
 * Query the API version, features and limits.
 *
 * Return: 0 on success, -1 with errno set otherwise:
 * %EFAULT the argument could not be copied; %EINVAL @flags or @reserved
 * not zero.
 */
#define VHOST_SHMEM_GET_INFO	_IOWR(VHOST_SHMEM_TYPE, VHOST_SHMEM_BASE + 0, \
				      struct vhost_shmem_info)

/**
 * struct vhost_shmem_region_create - ioctl(VHOST_SHMEM_REGION_CREATE)
 * @shmid: In: the region's VIRTIO shared memory id.
 * @pad: In: must be 0.
 * @flags: In: must be 0.
 * @size: In: region size in bytes; a non-zero multiple of the page size,
 *        at most &vhost_shmem_info.max_region_size.
 * @mmap_offset: Out: file offset at which mmap() of the device file maps
 *               the region's window.
 * @reserved: In: must be 0.
 *
 * The window is mmap(@mmap_offset, @size) of the device file with
 * %MAP_SHARED.  A part of it may be mapped as well: any range of pages
 * inside [@mmap_offset, @mmap_offset + @size).
 */
struct vhost_shmem_region_create {
	__u8 shmid;
	__u8 pad[3];
	__u32 flags;
	__aligned_u64 size;
	__aligned_u64 mmap_offset;
	__aligned_u64 reserved[2];
};

/**
 * VHOST_SHMEM_REGION_CREATE - _IOWR(VHOST_SHMEM_TYPE, 0xE1, struct vhost_shmem_region_create)
 *
 * Create an empty region: every page of its window faults with %SIGBUS until
 * something is mapped there.
 *
 * Return: 0 on success, -1 with errno set otherwise:
 * %EFAULT the argument could not be copied; %EINVAL a padding, flag or
 * reserved field is not zero, or @size is zero, unaligned or too large;
 * %EEXIST the context already has a region with this @shmid; %ENOSPC the
 * context already holds &vhost_shmem_info.max_regions regions; %ENOMEM.
 */
#define VHOST_SHMEM_REGION_CREATE \
	_IOWR(VHOST_SHMEM_TYPE, VHOST_SHMEM_BASE + 1, \
	      struct vhost_shmem_region_create)

/**
 * struct vhost_shmem_region_destroy - ioctl(VHOST_SHMEM_REGION_DESTROY)
 * @shmid: In: the region to destroy.
 * @pad: In: must be 0.
 * @flags: In: must be 0.
 * @reserved: In: must be 0.
 */
struct vhost_shmem_region_destroy {
	__u8 shmid;
	__u8 pad[3];
	__u32 flags;
	__aligned_u64 reserved[2];
};

/**
 * VHOST_SHMEM_REGION_DESTROY - _IOW(VHOST_SHMEM_TYPE, 0xE2, struct vhost_shmem_region_destroy)
 *
 * Unmap every mapping of the region, as %VHOST_SHMEM_UNMAP would, then
 * destroy it.  Windows that are still mmapped stay valid address ranges
 * whose pages fault with %SIGBUS; they only reach a region again if one with
 * the same @shmid is created.
 *
 * Return: 0 on success, -1 with errno set otherwise:
 * %EFAULT the argument could not be copied; %EINVAL a padding, flag or
 * reserved field is not zero; %ENOENT no region with this @shmid.
 */
#define VHOST_SHMEM_REGION_DESTROY \
	_IOW(VHOST_SHMEM_TYPE, VHOST_SHMEM_BASE + 2, \
	     struct vhost_shmem_region_destroy)

/**
 * struct vhost_shmem_region_info - ioctl(VHOST_SHMEM_REGION_INFO)
 * @shmid: In: the region to describe.
 * @pad: In: must be 0.
 * @flags: In: must be 0.
 * @size: Out: size of the region in bytes.
 * @mmap_offset: Out: offset of the region's window in the device file.
 * @nr_mappings: Out: number of mappings in the region.
 * @mapped_bytes: Out: sum of the lengths of the mappings.
 * @resident_bytes: Out: bytes of file pages that the mappings have inserted
 *                  into windows and hold until they are unmapped.
 * @reserved: In: must be 0.  Out: 0.
 */
struct vhost_shmem_region_info {
	__u8 shmid;
	__u8 pad[3];
	__u32 flags;
	__aligned_u64 size;
	__aligned_u64 mmap_offset;
	__aligned_u64 nr_mappings;
	__aligned_u64 mapped_bytes;
	__aligned_u64 resident_bytes;
	__aligned_u64 reserved[4];
};

/**
 * VHOST_SHMEM_REGION_INFO - _IOWR(VHOST_SHMEM_TYPE, 0xE6, struct vhost_shmem_region_info)
 *
 * Describe a region: its geometry and what is mapped in it right now.
 *
 * Return: 0 on success, -1 with errno set otherwise:
 * %EFAULT the argument could not be copied; %EINVAL a padding, flag or
 * reserved field is not zero; %ENOENT no region with this @shmid.
 */
#define VHOST_SHMEM_REGION_INFO \
	_IOWR(VHOST_SHMEM_TYPE, VHOST_SHMEM_BASE + 6, \
	      struct vhost_shmem_region_info)

/* The mapping is writable; without it, it is read-only. */
#define VHOST_SHMEM_MAP_F_RW		(1ULL << 0)

/**
 * struct vhost_shmem_map - ioctl(VHOST_SHMEM_MAP)
 * @shmid: In: the region to map into.
 * @pad: In: must be 0.
 * @fd: In: the file to map: a memfd or tmpfs file, or, read-only, a
 *      regular file of a filesystem that keeps its data in the page cache.
 * @fd_offset: In: offset in the file of the first byte to map; page aligned.
 * @shm_offset: In: offset in the region where the mapping starts; page
 *              aligned.
 * @len: In: length in bytes; a non-zero multiple of the page size.
 * @flags: In: %VHOST_SHMEM_MAP_F_RW or 0.  The same bits, with the same
 *         meaning, as the flags of the vhost-user VhostUserMMap payload.
 * @reserved: In: must be 0.
 *
 * The fields follow the vhost-user SHMEM_MAP payload, so that a VMM can copy
 * them over from the back-end's message.
 */
struct vhost_shmem_map {
	__u8 shmid;
	__u8 pad[3];
	__s32 fd;
	__aligned_u64 fd_offset;
	__aligned_u64 shm_offset;
	__aligned_u64 len;
	__aligned_u64 flags;
	__aligned_u64 reserved[2];
};

/**
 * VHOST_SHMEM_MAP - _IOW(VHOST_SHMEM_TYPE, 0xE3, struct vhost_shmem_map)
 *
 * Map [@fd_offset, @fd_offset + @len) of @fd at [@shm_offset, @shm_offset +
 * @len) of the region.  Pages are inserted into every window of the region
 * when they are first touched, by the VMM or through KVM by the guest.  The
 * mapping keeps its own reference to the file: @fd may be closed right
 * after the call.
 *
 * Return: 0 on success, -1 with errno set otherwise:
 * %EFAULT the argument could not be copied; %EINVAL a padding, flag or
 * reserved field is not zero, @len is zero, an offset or @len is not page
 * aligned, an end overflows, the range does not lie inside the region or
 * [@fd_offset, @fd_offset + @len) goes beyond the end of the file;
 * %EBADF @fd is not an open file descriptor (%O_PATH descriptors included);
 * %ENODEV the file is not of a type that can be mapped; %EOPNOTSUPP
 * %VHOST_SHMEM_MAP_F_RW is set and the file is not a memfd or tmpfs file;
 * %EACCES the file is not open for reading, or %VHOST_SHMEM_MAP_F_RW is set
 * and it is not open for writing; %EPERM %VHOST_SHMEM_MAP_F_RW is set and
 * the file is sealed against writing; %ENOENT no region with this @shmid; %EEXIST the range
 * overlaps a mapping of the region; %ENOSPC the region already holds
 * &vhost_shmem_info.max_mappings mappings; %ENOMEM.
 */
#define VHOST_SHMEM_MAP		_IOW(VHOST_SHMEM_TYPE, VHOST_SHMEM_BASE + 3, \
				     struct vhost_shmem_map)

/**
 * struct vhost_shmem_unmap - ioctl(VHOST_SHMEM_UNMAP)
 * @shmid: In: the region to unmap from.
 * @pad: In: must be 0.
 * @flags: In: must be 0.
 * @shm_offset: In: offset in the region of the mapping.
 * @len: In: length of the mapping.
 * @reserved: In: must be 0.
 */
struct vhost_shmem_unmap {
	__u8 shmid;
	__u8 pad[3];
	__u32 flags;
	__aligned_u64 shm_offset;
	__aligned_u64 len;
	__aligned_u64 reserved[2];
};

/**
 * VHOST_SHMEM_UNMAP - _IOW(VHOST_SHMEM_TYPE, 0xE4, struct vhost_shmem_unmap)
 *
 * Remove the one mapping that starts at @shm_offset and is @len bytes long.
 * When the call returns, no window and no KVM guest reaches the mapping's
 * pages any more: the range faults with %SIGBUS again.
 *
 * Return: 0 on success, -1 with errno set otherwise:
 * %EFAULT the argument could not be copied; %EINVAL a padding, flag or
 * reserved field is not zero, @len is zero, @shm_offset or @len is not page
 * aligned, or the end overflows; %ENOENT no region with this @shmid, or
 * [@shm_offset, @shm_offset + @len) is not exactly one existing mapping
 * (part of one, several, or a hole).  Nothing is unmapped on failure.
 */
#define VHOST_SHMEM_UNMAP	_IOW(VHOST_SHMEM_TYPE, VHOST_SHMEM_BASE + 4, \
				     struct vhost_shmem_unmap)

/**
 * VHOST_SHMEM_RESET - _IO(VHOST_SHMEM_TYPE, 0xE5)
 *
 * Device reset: unmap every mapping of every region of the context.  The
 * regions and their windows stay.
 *
 * Return: 0.
 */
#define VHOST_SHMEM_RESET	_IO(VHOST_SHMEM_TYPE, VHOST_SHMEM_BASE + 5)

#endif /* _UAPI_LINUX_VHOST_SHMEM_H */
