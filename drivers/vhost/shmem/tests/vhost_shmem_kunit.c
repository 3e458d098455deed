// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of vhost-shmem's internal logic: argument validation, the
 * overlap and exact-match rules, limit accounting, and the references a
 * mapping takes and gives back.  The cases call the driver's operations
 * directly, with shmem files made in the kernel, and the helpers that
 * vhost_shmem_private.h declares for them.
 */

#include <kunit/test.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/shmem_fs.h>
#include <linux/vhost_shmem.h>

#include "../vhost_shmem_private.h"
#include "../compat.h"

#define T_SHMID		1
#define T_REGION_PAGES	32
#define T_FILE_PAGES	16

struct vhost_shmem_test {
	struct vhost_shmem_ctx *ctx;
	struct file *file;
};

static struct vhost_shmem_region *t_region(struct vhost_shmem_test *t)
{
	return t->ctx->regions[T_SHMID];
}

/* Bytes mapped in the test region, as REGION_INFO reports them. */
static u64 t_mapped_bytes(struct vhost_shmem_test *t)
{
	struct vhost_shmem_region_info ri = { .shmid = T_SHMID };

	return vhost_shmem_region_query(t->ctx, &ri) ? U64_MAX :
						       ri.out_mapped_bytes;
}

static int t_map(struct vhost_shmem_test *t, pgoff_t fd_pg, pgoff_t shm_pg,
		 pgoff_t npages, u64 flags)
{
	struct vhost_shmem_map m = {
		.shmid = T_SHMID,
		.fd_offset = (u64)fd_pg << PAGE_SHIFT,
		.shm_offset = (u64)shm_pg << PAGE_SHIFT,
		.len = (u64)npages << PAGE_SHIFT,
		.flags = flags,
	};

	return vhost_shmem_mapping_add(t->ctx, &m, t->file);
}

static int t_unmap(struct vhost_shmem_test *t, pgoff_t shm_pg, pgoff_t npages)
{
	struct vhost_shmem_unmap u = {
		.shmid = T_SHMID,
		.shm_offset = (u64)shm_pg << PAGE_SHIFT,
		.len = (u64)npages << PAGE_SHIFT,
	};

	return vhost_shmem_mapping_del(t->ctx, &u);
}

static int vhost_shmem_test_init(struct kunit *test)
{
	struct vhost_shmem_region_create rc = {
		.shmid = T_SHMID,
		.length = T_REGION_PAGES * PAGE_SIZE,
	};
	struct vhost_shmem_test *t;
	int ret;

	/* MAP probes the caller's address space as mmap() would. */
	ret = kunit_attach_mm();
	if (ret)
		return ret;
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;

	t->ctx = vhost_shmem_ctx_alloc();
	if (IS_ERR(t->ctx))
		return PTR_ERR(t->ctx);

	t->file = shmem_file_setup("vhost-shmem-kunit",
				   T_FILE_PAGES * PAGE_SIZE,
				   EMPTY_VMA_FLAGS);
	if (IS_ERR(t->file)) {
		ret = PTR_ERR(t->file);
		goto err_free_ctx;
	}

	ret = vhost_shmem_region_add(t->ctx, &rc);
	if (ret)
		goto err_fput;
	test->priv = t;
	return 0;

err_fput:
	fput(t->file);
err_free_ctx:
	vhost_shmem_ctx_free(t->ctx);
	return ret;
}

static void vhost_shmem_test_exit(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;

	/* NULL when init failed; it cleaned up after itself. */
	if (!t)
		return;
	vhost_shmem_ctx_free(t->ctx);
	fput(t->file);
}

static void vhost_shmem_test_range_valid(struct kunit *test)
{
	static const struct {
		u64 offset, len;
		bool valid;
	} cases[] = {
		{ 0, PAGE_SIZE, true },
		{ PAGE_SIZE, 3 * PAGE_SIZE, true },
		{ 0, 0, false },
		{ 1, PAGE_SIZE, false },
		{ 0, PAGE_SIZE + 1, false },
		{ 0, PAGE_SIZE / 2, false },
		{ U64_MAX & PAGE_MASK, PAGE_SIZE, false },
		{ (U64_MAX & PAGE_MASK) - PAGE_SIZE, PAGE_SIZE, true },
		{ PAGE_SIZE, U64_MAX & PAGE_MASK, false },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, cases[i].valid,
				    vhost_shmem_range_valid(cases[i].offset,
							    cases[i].len),
				    "offset %#llx len %#llx", cases[i].offset,
				    cases[i].len);
}

static void vhost_shmem_test_region_rules(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	struct vhost_shmem_region_destroy rd = { .shmid = 7 };
	struct vhost_shmem_region_create rc = { .shmid = 7, .length = PAGE_SIZE };

	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_region_add(t->ctx, &rc));
	KUNIT_EXPECT_EQ(test, vhost_shmem_region_offset(7), rc.out_mmap_offset);
	KUNIT_EXPECT_EQ(test, -EEXIST,
			vhost_shmem_region_add(t->ctx, &rc));
	KUNIT_EXPECT_EQ(test, 2, t->ctx->nr_regions);

	rc.shmid = 8;
	rc.length = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vhost_shmem_region_add(t->ctx, &rc));
	rc.length = PAGE_SIZE - 1;
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vhost_shmem_region_add(t->ctx, &rc));
	rc.length = VHOST_SHMEM_MAX_REGION_SIZE + PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vhost_shmem_region_add(t->ctx, &rc));
	rc.length = PAGE_SIZE;
	rc.shmid = VHOST_SHMEM_NR_SHMIDS;
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vhost_shmem_region_add(t->ctx, &rc));
	rc.shmid = 8;
	rc.flags = 1;
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			vhost_shmem_region_add(t->ctx, &rc));
	rc.flags = 0;
	rc.__reserved = 1;
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			vhost_shmem_region_add(t->ctx, &rc));
	rc.__reserved = 0;

	/* The limit counts regions, not shmids. */
	t->ctx->max_regions = 2;
	KUNIT_EXPECT_EQ(test, -ENOSPC,
			vhost_shmem_region_add(t->ctx, &rc));
	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_region_del(t->ctx, &rd));
	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_region_add(t->ctx, &rc));
	KUNIT_EXPECT_EQ(test, -ENOENT,
			vhost_shmem_region_del(t->ctx, &rd));
	KUNIT_EXPECT_EQ(test, 2, t->ctx->nr_regions);
}

static void vhost_shmem_test_overlap(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, t_map(t, 0, 4, 4, 0));
	/* Across the start, across the end, inside, around. */
	KUNIT_EXPECT_EQ(test, -EEXIST, t_map(t, 0, 2, 4, 0));
	KUNIT_EXPECT_EQ(test, -EEXIST, t_map(t, 0, 7, 2, 0));
	KUNIT_EXPECT_EQ(test, -EEXIST, t_map(t, 0, 5, 1, 0));
	KUNIT_EXPECT_EQ(test, -EEXIST, t_map(t, 0, 0, 16, 0));
	KUNIT_EXPECT_EQ(test, -EEXIST, t_map(t, 0, 4, 4, 0));
	KUNIT_EXPECT_EQ(test, 1, t_region(t)->nr_mappings);
	/* Adjacent on both sides. */
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, 3, 1, 0));
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, 8, 1, 0));
	/* The last pages of the region. */
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, T_REGION_PAGES - 2, 2, 0));
	KUNIT_EXPECT_EQ(test, 4, t_region(t)->nr_mappings);
	KUNIT_EXPECT_EQ(test, 8 * PAGE_SIZE, t_mapped_bytes(t));
}

static void vhost_shmem_test_map_validation(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	struct vhost_shmem_map m = {
		.shmid = T_SHMID,
		.len = PAGE_SIZE,
	};

	/* Geometry. */
	KUNIT_EXPECT_EQ(test, -EINVAL, t_map(t, 0, 0, 0, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL, t_map(t, 0, T_REGION_PAGES, 1, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL, t_map(t, 0, T_REGION_PAGES - 1, 2, 0));
	m.shm_offset = 1;
	KUNIT_EXPECT_EQ(test, -EINVAL, vhost_shmem_mapping_add(t->ctx, &m, t->file));
	m.shm_offset = 0;
	m.fd_offset = PAGE_SIZE / 2;
	KUNIT_EXPECT_EQ(test, -EINVAL, vhost_shmem_mapping_add(t->ctx, &m, t->file));
	m.fd_offset = U64_MAX & PAGE_MASK;
	KUNIT_EXPECT_EQ(test, -EINVAL, vhost_shmem_mapping_add(t->ctx, &m, t->file));
	/* Beyond the largest file offset, as mmap() says. */
	m.fd_offset = MAX_LFS_FILESIZE & PAGE_MASK;
	KUNIT_EXPECT_EQ(test, -EOVERFLOW, vhost_shmem_mapping_add(t->ctx, &m, t->file));
	m.fd_offset = 0;
	m.shm_offset = U64_MAX & PAGE_MASK;
	KUNIT_EXPECT_EQ(test, -EINVAL, vhost_shmem_mapping_add(t->ctx, &m, t->file));
	m.shm_offset = 0;

	/* Unknown flags; a shmid out of range. */
	m.flags = BIT(1);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			vhost_shmem_mapping_add(t->ctx, &m, t->file));
	m.flags = BIT(31);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			vhost_shmem_mapping_add(t->ctx, &m, t->file));
	m.flags = 0;
	m.shmid = VHOST_SHMEM_NR_SHMIDS;
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vhost_shmem_mapping_add(t->ctx, &m, t->file));

	/* No such region. */
	m.shmid = T_SHMID + 1;
	KUNIT_EXPECT_EQ(test, -ENOENT, vhost_shmem_mapping_add(t->ctx, &m, t->file));
	m.shmid = T_SHMID;

	KUNIT_EXPECT_EQ(test, 0, t_region(t)->nr_mappings);
	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_mapping_add(t->ctx, &m, t->file));
}

static void vhost_shmem_test_unmap_exact(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	struct vhost_shmem_unmap u = {
		.shmid = T_SHMID,
		.len = PAGE_SIZE,
		.flags = 1,
	};

	KUNIT_ASSERT_EQ(test, 0, t_map(t, 0, 0, 2, 0));
	KUNIT_ASSERT_EQ(test, 0, t_map(t, 0, 2, 2, 0));

	KUNIT_EXPECT_EQ(test, -ENOENT, t_unmap(t, 0, 1));
	KUNIT_EXPECT_EQ(test, -ENOENT, t_unmap(t, 1, 1));
	KUNIT_EXPECT_EQ(test, -ENOENT, t_unmap(t, 0, 4));
	KUNIT_EXPECT_EQ(test, -ENOENT, t_unmap(t, 0, 3));
	KUNIT_EXPECT_EQ(test, -ENOENT, t_unmap(t, 8, 1));
	KUNIT_EXPECT_EQ(test, -ENOENT, t_unmap(t, T_REGION_PAGES, 1));
	KUNIT_EXPECT_EQ(test, -EINVAL, t_unmap(t, 0, 0));
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP, vhost_shmem_mapping_del(t->ctx, &u));
	u.flags = 0;
	u.__reserved = 1;
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP, vhost_shmem_mapping_del(t->ctx, &u));
	u.__reserved = 0;
	u.shmid = VHOST_SHMEM_NR_SHMIDS;
	KUNIT_EXPECT_EQ(test, -EINVAL, vhost_shmem_mapping_del(t->ctx, &u));
	KUNIT_EXPECT_EQ(test, 2, t_region(t)->nr_mappings);

	KUNIT_EXPECT_EQ(test, 0, t_unmap(t, 2, 2));
	KUNIT_EXPECT_EQ(test, -ENOENT, t_unmap(t, 2, 2));
	KUNIT_EXPECT_EQ(test, 1, t_region(t)->nr_mappings);
	KUNIT_EXPECT_EQ(test, 2 * PAGE_SIZE, t_mapped_bytes(t));
	/* The freed range can be mapped again, joined to its neighbour. */
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, 2, 6, 0));
}

static void vhost_shmem_test_limits(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	long count = file_count(t->file);

	t->ctx->max_mappings = 2;
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, 0, 1, 0));
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, 1, 1, 0));
	KUNIT_EXPECT_EQ(test, -ENOSPC, t_map(t, 0, 2, 1, 0));
	KUNIT_EXPECT_EQ(test, 2, t_region(t)->nr_mappings);
	/*
	 * A refused MAP keeps no reference (a mapping keeps two, the
	 * context's admission of the file one).
	 */
	KUNIT_EXPECT_EQ(test, count + 5, file_count(t->file));
	KUNIT_EXPECT_EQ(test, 0, t_unmap(t, 0, 1));
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, 2, 1, 0));
}

static void vhost_shmem_test_references(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	struct address_space *mapping = t->file->f_mapping;
	long count = file_count(t->file);
	int writable = atomic_read(&mapping->i_mmap_writable);

	/*
	 * Each mapping holds its file and its source, here the same file,
	 * and the context's admission of the file one more.
	 */
	KUNIT_ASSERT_EQ(test, 0, t_map(t, 0, 0, 4, VHOST_SHMEM_MAP_F_RW));
	KUNIT_ASSERT_EQ(test, 0, t_map(t, 0, 4, 4, 0));
	KUNIT_EXPECT_EQ(test, count + 5, file_count(t->file));
	KUNIT_EXPECT_EQ(test, writable + 1,
			atomic_read(&mapping->i_mmap_writable));

	/* Failing MAPs take nothing. */
	KUNIT_EXPECT_EQ(test, -EEXIST, t_map(t, 0, 2, 4, VHOST_SHMEM_MAP_F_RW));
	KUNIT_EXPECT_EQ(test, count + 5, file_count(t->file));
	KUNIT_EXPECT_EQ(test, writable + 1,
			atomic_read(&mapping->i_mmap_writable));

	KUNIT_EXPECT_EQ(test, 0, t_unmap(t, 0, 4));
	KUNIT_EXPECT_EQ(test, count + 3, file_count(t->file));
	KUNIT_EXPECT_EQ(test, writable, atomic_read(&mapping->i_mmap_writable));

	vhost_shmem_ctx_reset(t->ctx);
	KUNIT_EXPECT_EQ(test, count, file_count(t->file));
	KUNIT_EXPECT_EQ(test, 0, t_region(t)->nr_mappings);
	KUNIT_EXPECT_EQ(test, 0, t_mapped_bytes(t));
}

static void vhost_shmem_test_seals(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	struct address_space *mapping = t->file->f_mapping;
	struct shmem_inode_info *info = SHMEM_I(file_inode(t->file));

	/* What F_SEAL_WRITE leaves behind: the seal and no writable maps. */
	KUNIT_ASSERT_EQ(test, 0, mapping_deny_writable(mapping));
	info->seals |= F_SEAL_WRITE;
	KUNIT_EXPECT_EQ(test, -EPERM, t_map(t, 0, 0, 1, VHOST_SHMEM_MAP_F_RW));
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, 0, 1, 0));
	info->seals &= ~F_SEAL_WRITE;
	mapping_allow_writable(mapping);

	info->seals |= F_SEAL_FUTURE_WRITE;
	KUNIT_EXPECT_EQ(test, -EPERM, t_map(t, 0, 1, 1, VHOST_SHMEM_MAP_F_RW));
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, 1, 1, 0));
	info->seals &= ~F_SEAL_FUTURE_WRITE;

	/* A read-write mapping makes F_SEAL_WRITE impossible. */
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, 2, 1, VHOST_SHMEM_MAP_F_RW));
	KUNIT_EXPECT_EQ(test, -EBUSY, mapping_deny_writable(mapping));
	KUNIT_EXPECT_EQ(test, 0, t_unmap(t, 2, 1));
	KUNIT_EXPECT_EQ(test, 0, mapping_deny_writable(mapping));
	mapping_allow_writable(mapping);
}

/* Page @index of @map as the fault handler gets it, reading it if needed. */
static struct page *t_page(struct vhost_shmem_mapping *map, pgoff_t index)
{
	struct page *page = vhost_shmem_mapping_cached_page(map, index);

	if (page)
		return page;
	page = vhost_shmem_file_read_page(map->file, map->pgoff + index);
	return IS_ERR(page) ? page : vhost_shmem_mapping_hold(map, index, page);
}

/*
 * MAP admits what mmap(MAP_SHARED) admits: past the end of the file too,
 * never a read-write mapping through a descriptor not open for writing,
 * never through a writable descriptor of an append-only file.
 */
static void vhost_shmem_test_admission(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	struct inode *inode = file_inode(t->file);

	/* Past the end of the file, and straddling it. */
	KUNIT_EXPECT_EQ(test, 0, t_map(t, T_FILE_PAGES - 1, 0, 2, 0));
	KUNIT_EXPECT_EQ(test, 0, t_map(t, T_FILE_PAGES + 8, 2, 4,
				       VHOST_SHMEM_MAP_F_RW));
	KUNIT_EXPECT_EQ(test, 0, t_unmap(t, 0, 2));
	KUNIT_EXPECT_EQ(test, 0, t_unmap(t, 2, 4));

	t->file->f_mode &= ~FMODE_WRITE;
	KUNIT_EXPECT_EQ(test, -EACCES, t_map(t, 0, 0, 1, VHOST_SHMEM_MAP_F_RW));
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, 0, 1, 0));
	t->file->f_mode |= FMODE_WRITE;

	inode->i_flags |= S_APPEND;
	KUNIT_EXPECT_EQ(test, -EACCES, t_map(t, 0, 1, 1, 0));
	KUNIT_EXPECT_EQ(test, -EACCES, t_map(t, 0, 1, 1, VHOST_SHMEM_MAP_F_RW));
	inode->i_flags &= ~S_APPEND;

	t->file->f_mode &= ~FMODE_READ;
	KUNIT_EXPECT_EQ(test, -EACCES, t_map(t, 0, 1, 1, 0));
	t->file->f_mode |= FMODE_READ;

	KUNIT_EXPECT_EQ(test, 1, t_region(t)->nr_mappings);
	KUNIT_EXPECT_EQ(test, 0, t_unmap(t, 0, 1));
}

/*
 * An open file that live mappings map is probed once per access: the
 * context counts it while it is mapped, a read-only admission does not
 * cover a read-write MAP, and what may change on an open file (here:
 * append-only) is checked on every MAP all the same.
 */
static void vhost_shmem_test_admission_cache(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	struct inode *inode = file_inode(t->file);
	struct vhost_shmem_admission *adm, *spare = NULL;
	struct vhost_shmem_mapping other = {};

	KUNIT_ASSERT_EQ(test, 0, t_map(t, 0, 0, 1, 0));
	adm = xa_load(&t->ctx->admitted, (unsigned long)t->file);
	KUNIT_ASSERT_NOT_NULL(test, adm);
	KUNIT_EXPECT_PTR_EQ(test, t->file, adm->real);
	KUNIT_EXPECT_EQ(test, 1, adm->nr_maps);
	KUNIT_EXPECT_EQ(test, 0, adm->nr_rw);

	down_read(&t->ctx->lock);
	KUNIT_EXPECT_NULL(test, vhost_shmem_admission_find(t->ctx, t->file, true));
	up_read(&t->ctx->lock);
	KUNIT_ASSERT_EQ(test, 0, t_map(t, 0, 1, 1, VHOST_SHMEM_MAP_F_RW));
	KUNIT_EXPECT_EQ(test, 2, adm->nr_maps);
	KUNIT_EXPECT_EQ(test, 1, adm->nr_rw);

	inode->i_flags |= S_APPEND;
	KUNIT_EXPECT_EQ(test, -EACCES, t_map(t, 0, 2, 1, 0));
	inode->i_flags &= ~S_APPEND;
	KUNIT_EXPECT_EQ(test, 2, adm->nr_maps);

	KUNIT_EXPECT_EQ(test, 0, t_unmap(t, 1, 1));
	KUNIT_EXPECT_EQ(test, 1, adm->nr_maps);
	KUNIT_EXPECT_EQ(test, 0, adm->nr_rw);

	/*
	 * A mapping of the same open file whose probe found another file
	 * (a racing MAP_FIXED in the caller) is not counted: the entry only
	 * ever stands for the file it holds.
	 */
	other.src = t->file;
	other.file = shmem_file_setup("vhost-shmem-kunit-other", PAGE_SIZE,
				      EMPTY_VMA_FLAGS);
	KUNIT_ASSERT_FALSE(test, IS_ERR(other.file));
	down_write(&t->ctx->lock);
	vhost_shmem_admission_add(t->ctx, &other, &spare);
	up_write(&t->ctx->lock);
	KUNIT_EXPECT_FALSE(test, other.admitted);
	KUNIT_EXPECT_EQ(test, 1, adm->nr_maps);
	fput(other.file);

	vhost_shmem_ctx_reset(t->ctx);
	KUNIT_EXPECT_TRUE(test, xa_empty(&t->ctx->admitted));
}

static void vhost_shmem_test_resident_pages(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	struct vhost_shmem_region_info ri = { .shmid = T_SHMID };
	struct vhost_shmem_mapping *map;
	struct page *page, *again;

	KUNIT_ASSERT_EQ(test, 0, t_map(t, 2, 0, 4, VHOST_SHMEM_MAP_F_RW));
	down_read(&t->ctx->lock);
	map = vhost_shmem_mapping_lookup(t->ctx, vhost_shmem_region_offset(T_SHMID) >>
				 PAGE_SHIFT);
	KUNIT_ASSERT_NOT_NULL(test, map);
	page = t_page(map, 1);
	KUNIT_EXPECT_FALSE(test, IS_ERR(page));
	again = t_page(map, 1);
	KUNIT_EXPECT_PTR_EQ(test, page, again);
	KUNIT_EXPECT_EQ(test, 3, page_pgoff(page_folio(page), page));
	KUNIT_EXPECT_EQ(test, 1, atomic_long_read(&map->nr_resident));
	up_read(&t->ctx->lock);

	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_region_query(t->ctx, &ri));
	KUNIT_EXPECT_EQ(test, PAGE_SIZE, ri.out_resident_bytes);
	KUNIT_EXPECT_EQ(test, 4 * PAGE_SIZE, ri.out_mapped_bytes);
	KUNIT_EXPECT_EQ(test, 1, ri.out_nr_mappings);

	/* Past a truncation, no page is read. */
	KUNIT_ASSERT_EQ(test, 0, vfs_truncate(&t->file->f_path, 4 * PAGE_SIZE));
	down_read(&t->ctx->lock);
	page = t_page(map, 3);
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR_OR_ZERO(page));
	up_read(&t->ctx->lock);

	KUNIT_EXPECT_EQ(test, 0, t_unmap(t, 0, 4));
	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_region_query(t->ctx, &ri));
	KUNIT_EXPECT_EQ(test, 0, ri.out_resident_bytes);
}

/* A well-formed MAP or UNMAP of pages [@shm_pg, +@npages) of T_SHMID. */
static void t_msg(u8 *buf, u32 request, u32 flags, pgoff_t shm_pg,
		  pgoff_t npages, u64 map_flags)
{
	struct vhost_shmem_user_hdr *hdr = (void *)buf;
	struct vhost_shmem_user_mmap *mmap = (void *)(buf + sizeof(*hdr));

	memset(buf, 0, VHOST_SHMEM_RELAY_MSG_LEN);
	hdr->request = cpu_to_le32(request);
	hdr->flags = cpu_to_le32(flags);
	hdr->size = cpu_to_le32(sizeof(*mmap));
	mmap->shmid = T_SHMID;
	mmap->shm_offset = cpu_to_le64((u64)shm_pg << PAGE_SHIFT);
	mmap->len = cpu_to_le64((u64)npages << PAGE_SHIFT);
	mmap->flags = cpu_to_le64(map_flags);
}

static void vhost_shmem_test_relay_decode(struct kunit *test)
{
	const size_t len = VHOST_SHMEM_RELAY_MSG_LEN;
	struct vhost_shmem_user_hdr *hdr;
	struct vhost_shmem_relay_msg msg;
	u8 buf[VHOST_SHMEM_RELAY_MSG_LEN];

	hdr = (void *)buf;
	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
	      VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_NEED_REPLY_MASK, 3, 2, 1);
	buf[1 + sizeof(*hdr)] = 0xff;	/* padding is ignored */
	KUNIT_ASSERT_EQ(test, 0, vhost_shmem_relay_decode(buf, len, true, &msg));
	KUNIT_EXPECT_EQ(test, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP, msg.request);
	KUNIT_EXPECT_TRUE(test, msg.need_reply);
	KUNIT_EXPECT_EQ(test, T_SHMID, msg.shmid);
	KUNIT_EXPECT_EQ(test, 3 * PAGE_SIZE, msg.shm_offset);
	KUNIT_EXPECT_EQ(test, 2 * PAGE_SIZE, msg.len);
	KUNIT_EXPECT_EQ(test, 1, msg.flags);

	/* Descriptors: MAP needs one, UNMAP takes none. */
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, len, false, &msg));
	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP, VHOST_SHMEM_USER_VERSION, 3, 2, 0);
	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_relay_decode(buf, len, false, &msg));
	KUNIT_EXPECT_FALSE(test, msg.need_reply);
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, len, true, &msg));

	/* Lengths: short header, short or long payload, wrong size field. */
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, 0, false, &msg));
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, sizeof(*hdr) - 1, false,
						 &msg));
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, len - 1, false, &msg));
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, len + 1, false, &msg));
	hdr->size = cpu_to_le32(39);
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, len, false, &msg));
	hdr->size = cpu_to_le32(U32_MAX);
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, len, false, &msg));

	/* Flags: version, reply bit, reserved bits. */
	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP, 0, 3, 2, 0);
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, len, false, &msg));
	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP, 2, 3, 2, 0);
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, len, false, &msg));
	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP,
	      VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_REPLY_MASK, 3, 2, 0);
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, len, false, &msg));
	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP, VHOST_SHMEM_USER_VERSION | BIT(4),
	      3, 2, 0);
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_relay_decode(buf, len, false, &msg));

	/* Other requests go back to the caller, whatever their shape. */
	t_msg(buf, 8, VHOST_SHMEM_USER_VERSION, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, -ENOMSG,
			vhost_shmem_relay_decode(buf, len, true, &msg));
	KUNIT_EXPECT_EQ(test, 8, msg.request);
	t_msg(buf, 11, 0, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, -ENOMSG,
			vhost_shmem_relay_decode(buf, sizeof(*hdr), false, &msg));
}

static void vhost_shmem_test_relay_reply(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	struct vhost_shmem_user_reply reply;
	u8 buf[VHOST_SHMEM_RELAY_MSG_LEN];
	bool due;
	int result;

	/* No reply asked for: none given, even for a failure. */
	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP, VHOST_SHMEM_USER_VERSION, 0, 2, 1);
	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_ctx_relay(t->ctx, buf, sizeof(buf),
						       true, t->file, false, &reply,
						       &due, &result));
	KUNIT_EXPECT_EQ(test, 0, result);
	KUNIT_EXPECT_FALSE(test, due);
	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_ctx_relay(t->ctx, buf, sizeof(buf),
						       true, t->file, false, &reply,
						       &due, &result));
	KUNIT_EXPECT_EQ(test, -EEXIST, result);
	KUNIT_EXPECT_FALSE(test, due);

	/* NEED_REPLY: the reply carries the request and the errno. */
	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
	      VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_NEED_REPLY_MASK, 1, 2, 0);
	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_ctx_relay(t->ctx, buf, sizeof(buf),
						       true, t->file, false, &reply,
						       &due, &result));
	KUNIT_EXPECT_TRUE(test, due);
	KUNIT_EXPECT_EQ(test, -EEXIST, result);
	KUNIT_EXPECT_EQ(test, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
			le32_to_cpu(reply.hdr.request));
	KUNIT_EXPECT_EQ(test, VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_REPLY_MASK,
			le32_to_cpu(reply.hdr.flags));
	KUNIT_EXPECT_EQ(test, 8, le32_to_cpu(reply.hdr.size));
	KUNIT_EXPECT_EQ(test, EEXIST, le64_to_cpu(reply.value));

	/* Always-reply, and a success is 0. */
	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP, VHOST_SHMEM_USER_VERSION, 0, 2, 0);
	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_ctx_relay(t->ctx, buf, sizeof(buf),
						       false, NULL, true, &reply,
						       &due, &result));
	KUNIT_EXPECT_TRUE(test, due);
	KUNIT_EXPECT_EQ(test, 0, result);
	KUNIT_EXPECT_EQ(test, VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP,
			le32_to_cpu(reply.hdr.request));
	KUNIT_EXPECT_EQ(test, 0, le64_to_cpu(reply.value));
	KUNIT_EXPECT_EQ(test, 0, t_region(t)->nr_mappings);

	/* A descriptor that is no open file fails the MAP, with a reply. */
	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
	      VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_NEED_REPLY_MASK, 0, 2, 0);
	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_ctx_relay(t->ctx, buf, sizeof(buf),
						       true, NULL, false, &reply,
						       &due, &result));
	KUNIT_EXPECT_TRUE(test, due);
	KUNIT_EXPECT_EQ(test, -EBADF, result);
	KUNIT_EXPECT_EQ(test, EBADF, le64_to_cpu(reply.value));

	/* A malformed message changes nothing and owes no reply. */
	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP, VHOST_SHMEM_USER_VERSION, 0, 2, 0);
	due = false;
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vhost_shmem_ctx_relay(t->ctx, buf, sizeof(buf), false,
					      NULL, true, &reply, &due,
					      &result));
	KUNIT_EXPECT_FALSE(test, due);
	KUNIT_EXPECT_EQ(test, 0, t_region(t)->nr_mappings);
}

static struct kunit_case vhost_shmem_test_cases[] = {
	KUNIT_CASE(vhost_shmem_test_range_valid),
	KUNIT_CASE(vhost_shmem_test_region_rules),
	KUNIT_CASE(vhost_shmem_test_overlap),
	KUNIT_CASE(vhost_shmem_test_map_validation),
	KUNIT_CASE(vhost_shmem_test_admission),
	KUNIT_CASE(vhost_shmem_test_admission_cache),
	KUNIT_CASE(vhost_shmem_test_unmap_exact),
	KUNIT_CASE(vhost_shmem_test_limits),
	KUNIT_CASE(vhost_shmem_test_references),
	KUNIT_CASE(vhost_shmem_test_seals),
	KUNIT_CASE(vhost_shmem_test_resident_pages),
	KUNIT_CASE(vhost_shmem_test_relay_decode),
	KUNIT_CASE(vhost_shmem_test_relay_reply),
	{}
};

static struct kunit_suite vhost_shmem_test_suite = {
	.name = "vhost_shmem",
	.init = vhost_shmem_test_init,
	.exit = vhost_shmem_test_exit,
	.test_cases = vhost_shmem_test_cases,
};

kunit_test_suite(vhost_shmem_test_suite);
