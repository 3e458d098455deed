// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of vhost-shmem's internal logic: argument validation, the
 * overlap and exact-match rules, limit accounting, and the references a
 * mapping takes and gives back.  The cases call the driver's operations
 * directly, with shmem files made in the kernel, and the helpers that
 * vhost_shmem_private.h declares for them.
 */

#include <kunit/test.h>
#include <linux/cred.h>
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

KUNIT_DEFINE_ACTION_WRAPPER(t_ctx_free, vhost_shmem_ctx_free,
			    struct vhost_shmem_ctx *);
KUNIT_DEFINE_ACTION_WRAPPER(t_fput, fput, struct file *);

/*
 * Every case gets a context, unregistered (no netlink dump sees it), with
 * region T_SHMID, and a shmem file; KUnit actions give them back, in the
 * reverse order, whether the case passes, fails or aborts.
 */
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

	t->file = shmem_file_setup("vhost-shmem-kunit",
				   T_FILE_PAGES * PAGE_SIZE,
				   EMPTY_VMA_FLAGS);
	if (IS_ERR(t->file))
		return PTR_ERR(t->file);
	ret = kunit_add_action_or_reset(test, t_fput, t->file);
	if (ret)
		return ret;

	t->ctx = vhost_shmem_ctx_alloc();
	if (IS_ERR(t->ctx))
		return PTR_ERR(t->ctx);
	ret = kunit_add_action_or_reset(test, t_ctx_free, t->ctx);
	if (ret)
		return ret;

	ret = vhost_shmem_region_add(t->ctx, &rc);
	if (ret)
		return ret;
	test->priv = t;
	return 0;
}

struct t_range_case {
	const char *desc;
	u64 offset, len;
	bool valid;
};

static const struct t_range_case t_range_cases[] = {
	{ "one page", 0, PAGE_SIZE, true },
	{ "three pages at page 1", PAGE_SIZE, 3 * PAGE_SIZE, true },
	{ "empty", 0, 0, false },
	{ "unaligned offset", 1, PAGE_SIZE, false },
	{ "unaligned length", 0, PAGE_SIZE + 1, false },
	{ "half a page", 0, PAGE_SIZE / 2, false },
	{ "end wraps", U64_MAX & PAGE_MASK, PAGE_SIZE, false },
	{ "ends at the top", (U64_MAX & PAGE_MASK) - PAGE_SIZE, PAGE_SIZE,
	  true },
	{ "length wraps", PAGE_SIZE, U64_MAX & PAGE_MASK, false },
};

KUNIT_ARRAY_PARAM_DESC(t_range, t_range_cases, desc);

static void vhost_shmem_test_range_valid(struct kunit *test)
{
	const struct t_range_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, c->valid,
			vhost_shmem_range_valid(c->offset, c->len));
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
	rc.flags = ~VHOST_SHMEM_REGION_F_ZERO_HOLES;
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

struct t_map_case {
	const char *desc;
	struct vhost_shmem_map m;
	int err;
};

#define T_MAP(_desc, _err, _shmid, _shm_off, _fd_off, _len, _flags)	\
	{ .desc = _desc, .err = _err,					\
	  .m = { .shmid = _shmid, .shm_offset = _shm_off,		\
		 .fd_offset = _fd_off, .len = _len, .flags = _flags } }

/* desc, errno, shmid, region offset, file offset, length, flags */
static const struct t_map_case t_map_cases[] = {
	T_MAP("valid", 0, T_SHMID, 0, 0, PAGE_SIZE, 0),
	T_MAP("empty", -EINVAL, T_SHMID, 0, 0, 0, 0),
	T_MAP("past the region", -EINVAL, T_SHMID, T_REGION_PAGES * PAGE_SIZE,
	      0, PAGE_SIZE, 0),
	T_MAP("across the region's end", -EINVAL, T_SHMID,
	      (T_REGION_PAGES - 1) * PAGE_SIZE, 0, 2 * PAGE_SIZE, 0),
	T_MAP("region offset unaligned", -EINVAL, T_SHMID, 1, 0, PAGE_SIZE, 0),
	T_MAP("file offset unaligned", -EINVAL, T_SHMID, 0, PAGE_SIZE / 2,
	      PAGE_SIZE, 0),
	T_MAP("file offset wraps", -EINVAL, T_SHMID, 0, U64_MAX & PAGE_MASK,
	      PAGE_SIZE, 0),
	/* Beyond the largest file offset, as mmap() says. */
	T_MAP("past the largest file offset", -EOVERFLOW, T_SHMID, 0,
	      MAX_LFS_FILESIZE & PAGE_MASK, PAGE_SIZE, 0),
	T_MAP("region offset wraps", -EINVAL, T_SHMID, U64_MAX & PAGE_MASK, 0,
	      PAGE_SIZE, 0),
	T_MAP("length unaligned", -EINVAL, T_SHMID, 0, 0, PAGE_SIZE + 1, 0),
	T_MAP("unknown flag 1", -EOPNOTSUPP, T_SHMID, 0, 0, PAGE_SIZE, BIT(1)),
	T_MAP("unknown flag 31", -EOPNOTSUPP, T_SHMID, 0, 0, PAGE_SIZE,
	      BIT(31)),
	T_MAP("shmid out of range", -EINVAL, VHOST_SHMEM_NR_SHMIDS, 0, 0,
	      PAGE_SIZE, 0),
	T_MAP("no such region", -ENOENT, T_SHMID + 1, 0, 0, PAGE_SIZE, 0),
	T_MAP("past the end of the file", 0, T_SHMID, 0,
	      4 * T_FILE_PAGES * PAGE_SIZE, PAGE_SIZE, 0),
};

KUNIT_ARRAY_PARAM_DESC(t_map, t_map_cases, desc);

/* Each MAP either fails with its errno and maps nothing, or maps. */
static void vhost_shmem_test_map_validation(struct kunit *test)
{
	const struct t_map_case *c = test->param_value;
	struct vhost_shmem_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, c->err,
			vhost_shmem_mapping_add(t->ctx, &c->m, t->file));
	KUNIT_EXPECT_EQ(test, c->err ? 0 : 1, t_region(t)->nr_mappings);
	KUNIT_EXPECT_TRUE(test, c->err ? xa_empty(&t->ctx->admitted) :
					 !xa_empty(&t->ctx->admitted));
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

/* A read-write MAP of page 3 by other credentials, which @adm does not count. */
static void t_other_creds_map_rw(struct kunit *test,
				 struct vhost_shmem_test *t,
				 struct vhost_shmem_admission *adm)
{
	const struct cred *old;
	struct cred *cred;

	cred = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, cred);
	old = override_creds(cred);
	KUNIT_EXPECT_EQ(test, 0, t_map(t, 0, 3, 1, VHOST_SHMEM_MAP_F_RW));
	revert_creds(old);
	put_cred(cred);
	KUNIT_EXPECT_EQ(test, 1, adm->nr_maps);
	KUNIT_EXPECT_EQ(test, 0, adm->nr_rw);
	down_read(&t->ctx->lock);
	KUNIT_EXPECT_NULL(test, vhost_shmem_admission_find(t->ctx, t->file, true));
	up_read(&t->ctx->lock);
	KUNIT_EXPECT_EQ(test, 0, t_unmap(t, 3, 1));
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

	/*
	 * Nor is a read-write mapping made with other credentials: counted,
	 * it would let the entry's credentials map read-write unprobed.
	 */
	t_other_creds_map_rw(test, t, adm);

	vhost_shmem_ctx_reset(t->ctx);
	KUNIT_EXPECT_TRUE(test, xa_empty(&t->ctx->admitted));
}

static void vhost_shmem_test_resident_pages(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	struct vhost_shmem_region_info ri = { .shmid = T_SHMID };
	struct vhost_shmem_mapping *map;
	struct page *page, *again;
	struct folio *folio;
	int refs;

	KUNIT_ASSERT_EQ(test, 0, t_map(t, 2, 0, 4, VHOST_SHMEM_MAP_F_RW));
	down_read(&t->ctx->lock);
	map = vhost_shmem_mapping_lookup(t->ctx, vhost_shmem_region_offset(T_SHMID) >>
				 PAGE_SHIFT);
	KUNIT_ASSERT_NOT_NULL(test, map);
	page = t_page(map, 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(page));
	again = t_page(map, 1);
	KUNIT_EXPECT_PTR_EQ(test, page, again);
	KUNIT_EXPECT_EQ(test, 3, page_pgoff(page_folio(page), page));
	KUNIT_EXPECT_EQ(test, 1, atomic_long_read(&map->nr_resident));
	/* A shmem page is held by a long-term pin, taken once. */
	folio = page_folio(page);
	KUNIT_EXPECT_TRUE(test, xa_get_mark(&map->pages, 1,
					    VHOST_SHMEM_PAGE_PINNED));
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(folio));
	folio_get(folio);
	refs = folio_ref_count(folio);
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
	/* UNMAP gave the pin back, and nothing else. */
	KUNIT_EXPECT_EQ(test, refs - GUP_PIN_COUNTING_BIAS, folio_ref_count(folio));
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(folio));
	folio_put(folio);
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

	t_msg(buf, VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP, VHOST_SHMEM_USER_VERSION,
	      3, 2, 0);
	KUNIT_EXPECT_EQ(test, 0, vhost_shmem_relay_decode(buf, len, false, &msg));
	KUNIT_EXPECT_EQ(test, VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP, msg.request);
	KUNIT_EXPECT_FALSE(test, msg.need_reply);

	/* Other requests go back to the caller, with their id. */
	t_msg(buf, 8, VHOST_SHMEM_USER_VERSION, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, -ENOMSG,
			vhost_shmem_relay_decode(buf, len, true, &msg));
	KUNIT_EXPECT_EQ(test, 8, msg.request);
}

/*
 * Messages the decoder refuses (-EBADMSG) or leaves to the caller
 * (-ENOMSG): a well-formed message of @request with header flags @flags,
 * then its size field set to @size (unless 40) and @len bytes of it
 * passed, with a descriptor if @has_fd.
 */
struct t_msg_case {
	const char *desc;
	u32 request;
	u32 flags;
	u32 size;
	size_t len;
	bool has_fd;
	int err;
};

#define T_UNMAP		VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP
#define T_MAP_REQ	VHOST_SHMEM_USER_BACKEND_SHMEM_MAP
#define T_V1		VHOST_SHMEM_USER_VERSION
#define T_LEN		VHOST_SHMEM_RELAY_MSG_LEN
#define T_HDR		sizeof(struct vhost_shmem_user_hdr)

static const struct t_msg_case t_msg_cases[] = {
	{ "map without a descriptor", T_MAP_REQ, T_V1, 40, T_LEN, false,
	  -EBADMSG },
	{ "unmap with a descriptor", T_UNMAP, T_V1, 40, T_LEN, true, -EBADMSG },
	{ "empty", T_UNMAP, T_V1, 40, 0, false, -EBADMSG },
	{ "short header", T_UNMAP, T_V1, 40, T_HDR - 1, false, -EBADMSG },
	{ "short payload", T_UNMAP, T_V1, 40, T_LEN - 1, false, -EBADMSG },
	{ "long payload", T_UNMAP, T_V1, 40, T_LEN + 1, false, -EBADMSG },
	{ "size field 39", T_UNMAP, T_V1, 39, T_LEN, false, -EBADMSG },
	{ "size field huge", T_UNMAP, T_V1, U32_MAX, T_LEN, false, -EBADMSG },
	{ "version 0", T_UNMAP, 0, 40, T_LEN, false, -EBADMSG },
	{ "version 2", T_UNMAP, 2, 40, T_LEN, false, -EBADMSG },
	{ "reply bit", T_UNMAP, T_V1 | VHOST_SHMEM_USER_REPLY_MASK, 40, T_LEN,
	  false, -EBADMSG },
	{ "reserved flag", T_UNMAP, T_V1 | BIT(4), 40, T_LEN, false, -EBADMSG },
	{ "other request", 8, T_V1, 40, T_LEN, true, -ENOMSG },
	{ "other request, header only", 11, 0, 40, T_HDR, false, -ENOMSG },
};

KUNIT_ARRAY_PARAM_DESC(t_msgs, t_msg_cases, desc);

static void vhost_shmem_test_relay_malformed(struct kunit *test)
{
	const struct t_msg_case *c = test->param_value;
	struct vhost_shmem_relay_msg msg;
	u8 buf[VHOST_SHMEM_RELAY_MSG_LEN + 1] = {};
	struct vhost_shmem_user_hdr *hdr = (void *)buf;

	t_msg(buf, c->request, c->flags, 3, 2, 0);
	hdr->size = cpu_to_le32(c->size);
	KUNIT_EXPECT_EQ(test, c->err,
			vhost_shmem_relay_decode(buf, c->len, c->has_fd, &msg));
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

/*
 * The zaps a batch puts off: sorted, overlapping and adjacent ranges
 * merged into one, separate ones kept apart, nothing lost or added.
 */
struct t_zap_case {
	const char *desc;
	unsigned int nr;
	struct vhost_shmem_zap in[4];
	unsigned int nr_out;
	struct vhost_shmem_zap out[4];
};

static const struct t_zap_case t_zap_cases[] = {
	{ "none", 0, {}, 0, {} },
	{ "one", 1, { { 5, 7 } }, 1, { { 5, 7 } } },
	{ "apart, unsorted", 2, { { 9, 10 }, { 1, 2 } }, 2,
	  { { 1, 2 }, { 9, 10 } } },
	{ "adjacent", 3, { { 2, 3 }, { 1, 2 }, { 3, 5 } }, 1, { { 1, 5 } } },
	{ "overlapping", 2, { { 1, 6 }, { 2, 3 } }, 1, { { 1, 6 } } },
	{ "same twice", 2, { { 4, 8 }, { 4, 8 } }, 1, { { 4, 8 } } },
	{ "mixed", 4, { { 20, 21 }, { 0, 4 }, { 3, 9 }, { 10, 11 } }, 3,
	  { { 0, 9 }, { 10, 11 }, { 20, 21 } } },
};

KUNIT_ARRAY_PARAM_DESC(t_zaps, t_zap_cases, desc);

static void vhost_shmem_test_zap_merge(struct kunit *test)
{
	const struct t_zap_case *c = test->param_value;
	struct vhost_shmem_zap r[4];
	unsigned int i, nr;

	memcpy(r, c->in, sizeof(r));
	nr = vhost_shmem_zap_merge(r, c->nr);
	KUNIT_ASSERT_EQ(test, c->nr_out, nr);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ(test, c->out[i].start, r[i].start);
		KUNIT_EXPECT_EQ(test, c->out[i].end, r[i].end);
	}
}

/*
 * A batch runs its messages in order, each seeing the ones before it, and
 * a malformed message in the middle is skipped alone.
 */
static void vhost_shmem_test_relay_batch(struct kunit *test)
{
	struct vhost_shmem_test *t = test->priv;
	struct vhost_shmem_relay_item items[4] = {};
	struct vhost_shmem_zap zaps[4];
	int i;

	t_msg(items[0].buf, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
	      VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_NEED_REPLY_MASK, 0, 2, 1);
	items[0].has_fd = true;
	t_msg(items[1].buf, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
	      VHOST_SHMEM_USER_VERSION | VHOST_SHMEM_USER_REPLY_MASK, 4, 2, 1);
	items[1].has_fd = true;
	t_msg(items[2].buf, VHOST_SHMEM_USER_BACKEND_SHMEM_UNMAP,
	      VHOST_SHMEM_USER_VERSION, 0, 2, 0);
	t_msg(items[3].buf, VHOST_SHMEM_USER_BACKEND_SHMEM_MAP,
	      VHOST_SHMEM_USER_VERSION, 1, 2, 0);
	items[3].has_fd = true;
	for (i = 0; i < 4; i++) {
		items[i].len = VHOST_SHMEM_RELAY_MSG_LEN;
		items[i].file = items[i].has_fd ? t->file : NULL;
	}
	vhost_shmem_ctx_relay_batch(t->ctx, items, 4, false, zaps);

	KUNIT_EXPECT_EQ(test, 0, items[0].status);
	KUNIT_EXPECT_EQ(test, 0, items[0].result);
	KUNIT_EXPECT_TRUE(test, items[0].reply_due);
	KUNIT_EXPECT_EQ(test, -EBADMSG, items[1].status);
	KUNIT_EXPECT_FALSE(test, items[1].reply_due);
	KUNIT_EXPECT_EQ(test, 0, items[2].status);
	KUNIT_EXPECT_EQ(test, 0, items[2].result);
	KUNIT_EXPECT_EQ(test, 0, items[3].result);
	KUNIT_EXPECT_EQ(test, 1, t_region(t)->nr_mappings);
	KUNIT_EXPECT_EQ(test, 2 * PAGE_SIZE, t_mapped_bytes(t));
}

static struct kunit_case vhost_shmem_test_cases[] = {
	KUNIT_CASE_PARAM(vhost_shmem_test_range_valid, t_range_gen_params),
	KUNIT_CASE(vhost_shmem_test_region_rules),
	KUNIT_CASE(vhost_shmem_test_overlap),
	KUNIT_CASE_PARAM(vhost_shmem_test_map_validation, t_map_gen_params),
	KUNIT_CASE(vhost_shmem_test_admission),
	KUNIT_CASE(vhost_shmem_test_admission_cache),
	KUNIT_CASE(vhost_shmem_test_unmap_exact),
	KUNIT_CASE(vhost_shmem_test_limits),
	KUNIT_CASE(vhost_shmem_test_references),
	KUNIT_CASE(vhost_shmem_test_seals),
	KUNIT_CASE(vhost_shmem_test_resident_pages),
	KUNIT_CASE(vhost_shmem_test_relay_decode),
	KUNIT_CASE_PARAM(vhost_shmem_test_relay_malformed, t_msgs_gen_params),
	KUNIT_CASE(vhost_shmem_test_relay_reply),
	KUNIT_CASE_PARAM(vhost_shmem_test_zap_merge, t_zaps_gen_params),
	KUNIT_CASE(vhost_shmem_test_relay_batch),
	{}
};

static struct kunit_suite vhost_shmem_test_suite = {
	.name = "vhost_shmem",
	.init = vhost_shmem_test_init,
	.test_cases = vhost_shmem_test_cases,
};

kunit_test_suite(vhost_shmem_test_suite);
