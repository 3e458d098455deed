// SPDX-License-Identifier: GPL-2.0
/*
 * vshm-demo: what a VMM does with /dev/vhost-shmem, end to end.
 *
 * One region, its window registered once as a KVM memory slot, and a
 * real-mode guest that reads the region; files are mapped, unmapped and
 * replaced underneath it while the demo prints what the guest read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vhost_shmem.h>

#include "vshm_guest.h"

#define SHMID		0
#define REGION_SIZE	VSHM_GUEST_WINDOW_MAX
#define BLOB_SIZE	8192
#define MSG_LEN		48

static void die(const char *what, int err)
{
	fprintf(stderr, "vshm-demo: %s: %s\n", what, strerror(err));
	exit(1);
}

/* A "blob" as a back-end would own it: a memfd with a message per page. */
static int make_blob(const char *name)
{
	char msg[MSG_LEN];
	int fd, page;

	fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, BLOB_SIZE))
		die("memfd", errno);
	for (page = 0; page < BLOB_SIZE / 4096; page++) {
		memset(msg, 0, sizeof(msg));
		snprintf(msg, sizeof(msg), "%s, page %d", name, page);
		if (pwrite(fd, msg, sizeof(msg), page * 4096) != sizeof(msg))
			die("pwrite", errno);
	}
	return fd;
}

/* Let the guest read a string from the region, 4 bytes per guest run. */
static void guest_reads(struct vshm_guest *g, uint16_t off)
{
	char buf[MSG_LEN + 1] = { 0 };
	uint32_t v;
	int i, ret;

	for (i = 0; i < MSG_LEN; i += 4) {
		ret = vshm_guest_read32(g, off + i, &v);
		if (ret < 0) {
			printf("  guest read at region offset 0x%04x: KVM_RUN failed: %s (nothing mapped there)\n",
			       off, strerror(-ret));
			return;
		}
		if (ret > 0)
			die("unexpected guest exit", EPROTO);
		memcpy(buf + i, &v, 4);
	}
	printf("  guest read at region offset 0x%04x: \"%s\"\n", off, buf);
}

static void vshm_ioctl(int dev, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(dev, cmd, arg))
		die(what, errno);
}

int main(void)
{
	struct vhost_shmem_info info = { 0 };
	struct vhost_shmem_region_create rc = {
		.shmid = SHMID,
		.size = REGION_SIZE,
	};
	struct vhost_shmem_map map = {
		.shmid = SHMID,
		.shm_offset = 0x2000,
		.len = BLOB_SIZE,
		.flags = VHOST_SHMEM_MAP_F_RW,
	};
	struct vhost_shmem_unmap unmap = {
		.shmid = SHMID,
		.shm_offset = 0x2000,
		.len = BLOB_SIZE,
	};
	struct vshm_guest g;
	int dev, a, b, ret;
	char back[32] = { 0 };
	void *win;

	dev = open("/dev/vhost-shmem", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("/dev/vhost-shmem", errno);
	vshm_ioctl(dev, VHOST_SHMEM_GET_INFO, &info, "GET_INFO");
	printf("vhost-shmem API %u: up to %u regions, %u mappings per region\n",
	       info.api_version, info.max_regions, info.max_mappings);

	vshm_ioctl(dev, VHOST_SHMEM_REGION_CREATE, &rc, "REGION_CREATE");
	win = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		   rc.mmap_offset);
	if (win == MAP_FAILED)
		die("mmap window", errno);

	ret = vshm_guest_create(&g);
	if (ret)
		die("creating the KVM guest", -ret);
	ret = vshm_guest_add_window(&g, win, REGION_SIZE);
	if (ret)
		die("KVM_SET_USER_MEMORY_REGION", -ret);
	printf("region %d: %llu KiB window registered once as a memory slot at guest physical 0x%llx\n",
	       SHMID, REGION_SIZE / 1024, VSHM_GUEST_WINDOW_GPA);

	a = make_blob("blob A");
	b = make_blob("blob B");

	printf("\nSHMEM_MAP blob A at 0x2000 (read-write)\n");
	map.fd = a;
	vshm_ioctl(dev, VHOST_SHMEM_MAP, &map, "MAP blob A");
	guest_reads(&g, 0x2000);
	guest_reads(&g, 0x3000);
	ret = vshm_guest_write32(&g, 0x2000 + 0x100, 0x21646968);	/* "hid!" */
	if (ret)
		die("guest write", ret < 0 ? -ret : EPROTO);
	if (pread(a, back, 4, 0x100) != 4)
		die("pread", errno);
	printf("  guest wrote \"%s\"; the back-end reads it from blob A's file\n",
	       back);

	printf("\nSHMEM_UNMAP 0x2000+0x%x\n", BLOB_SIZE);
	vshm_ioctl(dev, VHOST_SHMEM_UNMAP, &unmap, "UNMAP");
	guest_reads(&g, 0x2000);

	printf("\nSHMEM_MAP blob B at 0x2000 (read-write)\n");
	map.fd = b;
	vshm_ioctl(dev, VHOST_SHMEM_MAP, &map, "MAP blob B");
	guest_reads(&g, 0x2000);
	guest_reads(&g, 0x3000);

	printf("\nRESET\n");
	if (ioctl(dev, VHOST_SHMEM_RESET))
		die("RESET", errno);
	guest_reads(&g, 0x2000);

	close(a);
	close(b);
	vshm_guest_destroy(&g);
	munmap(win, REGION_SIZE);
	close(dev);
	printf("\ndone: the memory slot never changed after set-up\n");
	return 0;
}
