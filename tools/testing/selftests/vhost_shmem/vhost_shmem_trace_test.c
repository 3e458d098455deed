// SPDX-License-Identifier: GPL-2.0
/*
 * The vhost_shmem tracepoints, read through tracefs: each refusal says
 * which check refused what, each fault how it ended, each operation its
 * result.  The events are recorded in a trace instance of the test's own,
 * so that nothing else that traces the machine is disturbed.
 */
#include "vshm_test_util.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"

#define INSTANCE	"vhost_shmem_trace_test"
#define SHMID		5
#define NPAGES		8

/* A mounted tracefs, mounting it if it is not. */
static const char *tracefs(void)
{
	static const char * const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	struct stat st;
	char path[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/instances", dirs[i]);
		if (!stat(path, &st))
			return dirs[i];
	}
	if (!mount("tracefs", dirs[0], "tracefs", 0, NULL))
		return dirs[0];
	return NULL;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

FIXTURE(trace) {
	char dir[192];
	char *log;
	int dev;
	void *win;
	uint64_t off;
	unsigned int ctx;
};

FIXTURE_SETUP(trace)
{
	const char *root = tracefs();
	char path[256];

	self->log = NULL;
	self->win = MAP_FAILED;
	self->dev = -1;
	self->dir[0] = 0;
	if (access(VSHM_DEV, F_OK))
		SKIP(return, VSHM_DEV " missing");
	if (!root)
		SKIP(return, "no tracefs");
	snprintf(path, sizeof(path), "%s/events/vhost_shmem", root);
	if (access(path, F_OK))
		SKIP(return, "no vhost_shmem events in %s", root);

	snprintf(self->dir, sizeof(self->dir), "%s/instances/" INSTANCE, root);
	rmdir(self->dir);
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	snprintf(path, sizeof(path), "%s/events/vhost_shmem/enable", self->dir);
	ASSERT_EQ(0, write_file(path, "1"));
	snprintf(path, sizeof(path), "%s/tracing_on", self->dir);
	ASSERT_EQ(0, write_file(path, "1"));

	self->dev = vshm_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, vshm_region_create(self->dev, SHMID, NPAGES * PAGE,
					&self->off));
	self->win = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->dev, self->off);
	ASSERT_NE(MAP_FAILED, self->win);
}

FIXTURE_TEARDOWN(trace)
{
	if (self->win != MAP_FAILED)
		munmap(self->win, NPAGES * PAGE);
	if (self->dev >= 0)
		close(self->dev);
	if (self->dir[0])
		rmdir(self->dir);
	free(self->log);
}

/* The trace of instance directory @dir, NUL-terminated, or NULL. */
static char *read_log(const char *dir)
{
	size_t len = 0, size = 1 << 16;
	char path[256], *log, *more;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/trace", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	log = malloc(size);
	while (log && (n = read(fd, log + len, size - len - 1)) > 0) {
		len += n;
		if (len + 1 < size)
			continue;
		size *= 2;
		more = realloc(log, size);
		if (!more)
			free(log);
		log = more;
	}
	close(fd);
	if (log)
		log[len] = 0;
	return log;
}

/* Whether @log has a line with "@event: ctx=@ctx @fields". */
static bool logged(const char *log, unsigned int ctx, const char *event,
		   const char *fields)
{
	char needle[256];
	const char *line = log;

	snprintf(needle, sizeof(needle), "%s: ctx=%u%s%s", event, ctx,
		 *fields ? " " : "", fields);
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *hit = strstr(line, needle);

		if (hit && hit + strlen(needle) <= line + len)
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

/* The context id, from the region the fixture created. */
static unsigned int logged_ctx(const char *log)
{
	char needle[64];
	const char *p;
	unsigned int ctx;

	snprintf(needle, sizeof(needle), " create shmid=%u ", SHMID);
	for (p = log; (p = strstr(p, "vhost_shmem_region: ctx=")); p++) {
		const char *eol = strchr(p, '\n');
		const char *hit = strstr(p, needle);

		if (hit && (!eol || hit < eol) &&
		    sscanf(p, "vhost_shmem_region: ctx=%u", &ctx) == 1)
			return ctx;
	}
	return 0;
}

TEST_F(trace, refusals_faults_and_operations)
{
	char fields[160];
	uint32_t v;
	int fd;

	fd = memfd_pattern(3, 4 * PAGE, 0);
	ASSERT_LE(0, fd);

	/* Served, then refused for four different reasons. */
	ASSERT_EQ(0, vshm_map(self->dev, SHMID, fd, 0, 0, 2 * PAGE, 0));
	ASSERT_EQ(-EEXIST, vshm_map(self->dev, SHMID, fd, 0, PAGE, PAGE, 0));
	ASSERT_EQ(-EINVAL, vshm_map(self->dev, SHMID, fd, 0, PAGE / 2, PAGE,
				    0));
	ASSERT_EQ(-EINVAL, vshm_map(self->dev, SHMID, fd, 0, NPAGES * PAGE,
				    PAGE, 0));
	ASSERT_EQ(-EOPNOTSUPP, vshm_map(self->dev, SHMID, fd, 0, 4 * PAGE,
					PAGE, 1U << 7));
	ASSERT_EQ(-ENOENT, vshm_unmap(self->dev, SHMID, 0, PAGE));
	ASSERT_EQ(-ENOENT, vshm_unmap(self->dev, SHMID + 1, 0, PAGE));
	ASSERT_EQ(-EEXIST, vshm_region_create(self->dev, SHMID, PAGE, NULL));

	/* A fault served, a hole, a write to a read-only mapping. */
	ASSERT_EQ(0, probe_read(self->win, 0, &v));
	ASSERT_EQ(pattern(3, 0), v);
	ASSERT_EQ(SIGBUS, probe_read(self->win, 6 * PAGE, &v));
	ASSERT_EQ(SIGBUS, probe_write(self->win, 0, 1));

	ASSERT_EQ(0, vshm_unmap(self->dev, SHMID, 0, 2 * PAGE));
	ASSERT_EQ(0, vshm_reset(self->dev));
	close(fd);

	self->log = read_log(self->dir);
	ASSERT_NE(NULL, self->log);
	self->ctx = logged_ctx(self->log);
	ASSERT_NE(0, self->ctx) TH_LOG("no region event in:\n%s", self->log);

	snprintf(fields, sizeof(fields),
		 "shmid=%u shm_offset=0x0 len=0x%x fd_offset=0x0 flags=0x0 ret=0",
		 SHMID, (unsigned int)(2 * PAGE));
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_map", fields));
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_refuse",
			   "op=map why=overlap err=-17"));
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_refuse",
			   "op=map why=range err=-22"));
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_refuse",
			   "op=map why=outside_region err=-22"));
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_refuse",
			   "op=map why=unknown_flag err=-95"));
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_refuse",
			   "op=unmap why=not_a_mapping err=-2"));
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_refuse",
			   "op=unmap why=no_region err=-2"));
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_refuse",
			   "op=region_create why=region_exists err=-17"));

	snprintf(fields, sizeof(fields), "shmid=%u offset=0x0 read why=none",
		 SHMID);
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_fault", fields));
	snprintf(fields, sizeof(fields),
		 "shmid=%u offset=0x%x read why=not_mapped", SHMID,
		 (unsigned int)(6 * PAGE));
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_fault", fields));
	snprintf(fields, sizeof(fields),
		 "shmid=%u offset=0x0 write why=read_only", SHMID);
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_fault", fields));

	snprintf(fields, sizeof(fields),
		 "shmid=%u shm_offset=0x0 len=0x%x ret=0", SHMID,
		 (unsigned int)(2 * PAGE));
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_unmap", fields));
	EXPECT_TRUE(logged(self->log, self->ctx, "vhost_shmem_reset", ""));
	if (_metadata->exit_code)
		TH_LOG("the trace:\n%s", self->log);
}

TEST_HARNESS_MAIN
