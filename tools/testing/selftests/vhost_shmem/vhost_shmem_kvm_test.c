// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-shmem with a real KVM guest: the window is registered once as a
 * memory slot, and the guest sees every MAP and UNMAP through it.
 */
#include "vshm_test_util.h"
#include "vshm_fuse.h"
#include "guest.h"

#include "kselftest_harness.h"

#define SHMID		0
#define REGION_SIZE	VSHM_GUEST_WINDOW_MAX

FIXTURE(guest) {
	int dev;
	void *win;
	struct vshm_guest g;
	int a, b;
};

FIXTURE_SETUP(guest)
{
	int ret;

	self->win = MAP_FAILED;
	self->dev = -1;
	self->a = -1;
	self->b = -1;
	ret = vshm_guest_create(&self->g);
	if (ret == -ENOENT)
		SKIP(return, "/dev/kvm missing");
	ASSERT_EQ(0, ret) TH_LOG("creating the guest: %s", strerror(-ret));

	self->dev = vshm_open();
	if (self->dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, vshm_region_window(self->dev, SHMID, REGION_SIZE,
					&self->win));
	/* The one and only memory slot change for the window. */
	ASSERT_EQ(0, vshm_guest_add_window(&self->g, self->win, REGION_SIZE));

	self->a = memfd_pattern(0xa, 4 * PAGE, 0);
	self->b = memfd_pattern(0xb, 4 * PAGE, 0);
	ASSERT_LE(0, self->a);
	ASSERT_LE(0, self->b);
}

FIXTURE_TEARDOWN(guest)
{
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
	vshm_guest_destroy(&self->g);
	if (self->win != MAP_FAILED)
		munmap(self->win, REGION_SIZE);
	if (self->dev >= 0)
		close(self->dev);
}

TEST_F(guest, reads_file_bytes)
{
	uint32_t v;
	int i;

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->a, PAGE, 2 * PAGE,
			      2 * PAGE, VHOST_SHMEM_MAP_F_RW));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vshm_guest_read32(&self->g, (2 + i) * PAGE + 12,
					       &v));
		EXPECT_EQ(pattern(0xa, (1 + i) * PAGE + 12), v);
	}
}

TEST_F(guest, writes_reach_file)
{
	uint32_t v;

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->a, 0, 0, 4 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	/* First touch by a write, and a write after a read. */
	ASSERT_EQ(0, vshm_guest_write32(&self->g, 3 * PAGE + 8, 0xc0ffee01));
	EXPECT_EQ(0xc0ffee01, file_read32(self->a, 3 * PAGE + 8));
	ASSERT_EQ(0, vshm_guest_read32(&self->g, PAGE, &v));
	EXPECT_EQ(pattern(0xa, PAGE), v);
	ASSERT_EQ(0, vshm_guest_write32(&self->g, PAGE, 0xc0ffee02));
	EXPECT_EQ(0xc0ffee02, file_read32(self->a, PAGE));
	/* The VMM's window sees the guest's write too. */
	ASSERT_EQ(0, probe_read(self->win, PAGE, &v));
	EXPECT_EQ(0xc0ffee02, v);
}

TEST_F(guest, hole_fails_kvm_run)
{
	uint32_t v;

	EXPECT_EQ(-EFAULT, vshm_guest_read32(&self->g, 5 * PAGE, &v));
	EXPECT_EQ(-EFAULT, vshm_guest_write32(&self->g, 5 * PAGE, 1));
}

/*
 * A mapping past the end of its file: the guest's access there fails
 * KVM_RUN with EFAULT at once (a fault handler that dropped the mmap_lock
 * for nothing would make KVM retry it forever), and reads the file's new
 * page once the file grows.
 */
TEST_F(guest, past_end_of_file_fails_kvm_run)
{
	uint32_t v;

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->a, 0, 0, 8 * PAGE, 0));
	ASSERT_EQ(0, vshm_guest_read32(&self->g, 3 * PAGE + 8, &v));
	EXPECT_EQ(pattern(0xa, 3 * PAGE + 8), v);
	EXPECT_EQ(-EFAULT, vshm_guest_read32(&self->g, 5 * PAGE, &v));
	EXPECT_EQ(-EFAULT, vshm_guest_read32(&self->g, 5 * PAGE, &v));
	ASSERT_EQ(0, ftruncate(self->a, 6 * PAGE));
	ASSERT_EQ(0, vshm_guest_read32(&self->g, 5 * PAGE, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(-EFAULT, vshm_guest_read32(&self->g, 7 * PAGE, &v));
	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 8 * PAGE));
}

/*
 * A page whose read fails (a FUSE server answering EIO): the guest's access
 * fails KVM_RUN with EFAULT.  KVM starts a fault over whenever it dropped
 * the mmap_lock, so a fault handler that dropped it again on every first
 * attempt would keep the vCPU in the kernel forever (the harness's timeout
 * would end the test).
 */
TEST_F(guest, read_error_fails_kvm_run)
{
	struct fuse_srv srv;
	char path[96];
	uint32_t v;
	int fd, ret;

	ret = fuse_start(&srv);
	if (ret == -ENOENT || ret == -ENODEV)
		SKIP(return, "no FUSE: %s", strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("FUSE: %s", strerror(-ret));
	srv.eio_from = PAGE;
	snprintf(path, sizeof(path), "%s/blob", srv.dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, FUSE_SIZE, 0));

	ASSERT_EQ(0, vshm_guest_read32(&self->g, 8, &v));
	EXPECT_EQ(pattern(28, 8), v);
	EXPECT_EQ(-EFAULT, vshm_guest_read32(&self->g, PAGE + 8, &v));
	EXPECT_EQ(-EFAULT, vshm_guest_read32(&self->g, PAGE + 8, &v));

	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, FUSE_SIZE));
	close(fd);
	fuse_stop(&srv);
}

TEST_F(guest, unmap_then_remap_never_stale)
{
	uint32_t v;
	int round;

	for (round = 0; round < 3; round++) {
		int fd = round % 2 ? self->b : self->a;
		uint32_t seed = round % 2 ? 0xb : 0xa;

		ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, PAGE, 2 * PAGE,
				      VHOST_SHMEM_MAP_F_RW));
		ASSERT_EQ(0, vshm_guest_read32(&self->g, PAGE + 64, &v));
		EXPECT_EQ(pattern(seed, 64), v);
		ASSERT_EQ(0, vshm_guest_read32(&self->g, 2 * PAGE + 64, &v));
		EXPECT_EQ(pattern(seed, PAGE + 64), v);

		ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, PAGE, 2 * PAGE));
		/* The guest no longer reaches the old pages. */
		EXPECT_EQ(-EFAULT, vshm_guest_read32(&self->g, PAGE + 64, &v));
		EXPECT_EQ(-EFAULT, vshm_guest_write32(&self->g, 2 * PAGE, 7));
	}
	EXPECT_EQ(pattern(0xa, PAGE), file_read32(self->a, PAGE));
}

TEST_F(guest, reset_unmaps_for_the_guest)
{
	uint32_t v;

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->a, 0, 0, PAGE, 0));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->b, 0, 8 * PAGE, PAGE, 0));
	ASSERT_EQ(0, vshm_guest_read32(&self->g, 0, &v));
	ASSERT_EQ(0, vshm_guest_read32(&self->g, 8 * PAGE, &v));
	ASSERT_EQ(0, vshm_reset(self->dev));
	EXPECT_EQ(-EFAULT, vshm_guest_read32(&self->g, 0, &v));
	EXPECT_EQ(-EFAULT, vshm_guest_read32(&self->g, 8 * PAGE, &v));
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->b, 0, 0, PAGE, 0));
	ASSERT_EQ(0, vshm_guest_read32(&self->g, 0, &v));
	EXPECT_EQ(pattern(0xb, 0), v);
}

/*
 * A guest store to a read-only mapping does not reach the file.  KVM treats
 * the page like a read-only memory slot: the store exits to the VMM as
 * KVM_EXIT_MMIO.
 */
TEST_F(guest, read_only_mapping_stays_read_only)
{
	uint32_t v;

	ASSERT_EQ(0, vshm_map(self->dev, SHMID, self->a, 0, 0, 2 * PAGE, 0));
	/* A store as first touch, and a store after a read. */
	EXPECT_EQ(KVM_EXIT_MMIO, vshm_guest_write32(&self->g, 16, 0xbad));
	ASSERT_EQ(0, vshm_guest_read32(&self->g, PAGE + 16, &v));
	EXPECT_EQ(pattern(0xa, PAGE + 16), v);
	EXPECT_EQ(KVM_EXIT_MMIO, vshm_guest_write32(&self->g, PAGE + 16, 0xbad));
	EXPECT_EQ(pattern(0xa, 16), file_read32(self->a, 16));
	EXPECT_EQ(pattern(0xa, PAGE + 16), file_read32(self->a, PAGE + 16));
	ASSERT_EQ(0, vshm_guest_read32(&self->g, 16, &v));
	EXPECT_EQ(pattern(0xa, 16), v);
}

TEST_HARNESS_MAIN
