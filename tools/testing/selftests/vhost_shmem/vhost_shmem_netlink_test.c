// SPDX-License-Identifier: GPL-2.0
/*
 * The vhost-shmem generic netlink family as its users see it, through the
 * YNL C library and the code generated from the family's spec (vshm_nl.c):
 * dumps and do requests match what was created, events arrive in order,
 * processes without CAP_SYS_ADMIN see only their own contexts, dumps of
 * tens of thousands of mappings are complete and resume correctly under
 * changes, malformed requests fail cleanly, and vshmctl prints JSON that
 * parses and says the same.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "vshm_json.h"
#include "vshm_nl.h"
#include "vshm_test_util.h"
#include "vshmctl.h"

#define NOBODY		65534

/*
 * Dumps into @d (emptied first) and orders it as a tree (each context, then
 * each region followed by its mappings); returns vshm_nl_dump()'s result.
 */
static int dump(struct vshm_nl *nl, const struct vshm_nl_filter *f,
		struct vshm_nl_msgs *d)
{
	int ret;

	d->n = 0;
	d->intr = false;
	ret = vshm_nl_dump(nl, f, vshm_nl_collect, d);
	vshm_nl_msgs_sort(d);
	return ret;
}

static size_t count_cmd(const struct vshm_nl_msgs *d, uint8_t cmd)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += d->m[i].cmd == cmd;
	return n;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The id of the only context of this process, 0 if not exactly one. */
static uint32_t own_ctx_id(struct vshm_nl *nl)
{
	struct vshm_nl_filter f = { .pid = getpid(), .no_mappings = true };
	struct vshm_nl_msgs d = {};
	uint32_t id = 0;

	if (!dump(nl, &f, &d) && count_cmd(&d, VHOST_SHMEM_CMD_CTX_GET) == 1)
		id = d.m[0].ctx_id;
	free(d.m);
	return id;
}

FIXTURE(nl) {
	int dev;
	struct vshm_nl *nl;
	struct vshm_nl_msgs d;
};

FIXTURE_SETUP(nl)
{
	int ret;

	self->nl = NULL;
	memset(&self->d, 0, sizeof(self->d));
	self->dev = vshm_open();
	if (self->dev < 0 && errno == ENOENT)
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", VSHM_DEV, strerror(errno));
	ret = vshm_nl_open(&self->nl);
	ASSERT_EQ(0, ret) TH_LOG("vshm_nl_open: %s", strerror(-ret));
	memset(&self->d, 0, sizeof(self->d));
}

FIXTURE_TEARDOWN(nl)
{
	if (self->nl)
		vshm_nl_close(self->nl);
	free(self->d.m);
	if (self->dev >= 0)
		close(self->dev);
}

/*
 * Two regions, three mappings of two files, a fault, three refused
 * operations: the dump says exactly that, in order.
 */
TEST_F(nl, dump_matches_created)
{
	struct vshm_nl_filter f = { .pid = getpid() };
	const struct vshm_nl_msg *m;
	uint64_t before, after, off0;
	struct stat st_rw, st_ro;
	char comm[16] = {};
	uint32_t val;
	int rw, ro;
	void *win;

	before = now_ns();
	close(self->dev);
	self->dev = vshm_open();
	ASSERT_LE(0, self->dev);
	after = now_ns();
	prctl(PR_GET_NAME, comm);

	rw = memfd_pattern(1, 64 * PAGE, 0);
	ro = memfd_pattern(2, 16 * PAGE, 0);
	ASSERT_LE(0, rw);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, fstat(rw, &st_rw));
	ASSERT_EQ(0, fstat(ro, &st_ro));

	ASSERT_EQ(0, vshm_region_create(self->dev, 0, 256 * PAGE, &off0));
	ASSERT_EQ(0, vshm_region_create(self->dev, 7, 16 * PAGE, NULL));
	ASSERT_EQ(0, vshm_map(self->dev, 0, rw, 4 * PAGE, 8 * PAGE, 2 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(0, vshm_map(self->dev, 0, ro, 0, 100 * PAGE, 16 * PAGE, 0));
	ASSERT_EQ(0, vshm_map(self->dev, 7, rw, 0, 0, PAGE, 0));
	/* Refused: EINVAL (unaligned), EEXIST (overlap), ENOENT (unmap). */
	ASSERT_EQ(-EINVAL, vshm_map(self->dev, 0, rw, 0, 1, PAGE, 0));
	ASSERT_EQ(-EEXIST, vshm_map(self->dev, 0, rw, 0, 9 * PAGE, PAGE, 0));
	ASSERT_EQ(-ENOENT, vshm_unmap(self->dev, 0, 50 * PAGE, PAGE));

	/* Read through the window: fault-around maps the mapping's 2 pages. */
	win = mmap_aligned(256 * PAGE, PROT_READ, MAP_SHARED, self->dev, off0,
			   16 * PAGE);
	ASSERT_NE(MAP_FAILED, win);
	ASSERT_EQ(0, probe_read(win, 8 * PAGE, &val));
	ASSERT_EQ(pattern(1, 4 * PAGE), val);

	ASSERT_EQ(0, dump(self->nl, &f, &self->d));
	ASSERT_EQ(6, self->d.n);

	m = &self->d.m[0];
	ASSERT_EQ(VHOST_SHMEM_CMD_CTX_GET, m->cmd);
	ASSERT_NE(0, m->ctx_id);
	ASSERT_EQ(getpid(), m->pid);
	ASSERT_STREQ(comm, m->comm);
	ASSERT_LE(before, m->created);
	ASSERT_GE(after, m->created);
	ASSERT_EQ(2, m->nr_regions);
	ASSERT_EQ(2, m->stats[VHOST_SHMEM_A_STATS_REGION_CREATES]);
	ASSERT_EQ(0, m->stats[VHOST_SHMEM_A_STATS_REGION_DESTROYS]);
	ASSERT_EQ(3, m->stats[VHOST_SHMEM_A_STATS_MAPS]);
	ASSERT_EQ(0, m->stats[VHOST_SHMEM_A_STATS_UNMAPS]);
	ASSERT_EQ(0, m->stats[VHOST_SHMEM_A_STATS_RESETS]);
	/* Counters count successes: the three refusals are not there. */
	ASSERT_EQ(1, m->stats[VHOST_SHMEM_A_STATS_FAULTS]);
	/* Every counter is reported. */
	ASSERT_EQ(((1ULL << (VHOST_SHMEM_A_STATS_MAX + 1)) - 1) &
		  ~((1ULL << VHOST_SHMEM_A_STATS_REGION_CREATES) - 1),
		  m->stats_present);

	m = &self->d.m[1];
	ASSERT_EQ(VHOST_SHMEM_CMD_REGION_GET, m->cmd);
	ASSERT_EQ(self->d.m[0].ctx_id, m->ctx_id);
	ASSERT_EQ(0, m->shmid);
	ASSERT_EQ(256 * PAGE, m->size);
	ASSERT_EQ(2, m->nr_mappings);
	ASSERT_EQ(18 * PAGE, m->mapped);
	ASSERT_EQ(2 * PAGE, m->resident);

	m = &self->d.m[2];
	ASSERT_EQ(VHOST_SHMEM_CMD_MAPPING_GET, m->cmd);
	ASSERT_EQ(0, m->shmid);
	ASSERT_EQ(8 * PAGE, m->shm_offset);
	ASSERT_EQ(2 * PAGE, m->len);
	ASSERT_EQ(VHOST_SHMEM_MAP_F_RW, m->flags);
	ASSERT_EQ(4 * PAGE, m->fd_offset);
	ASSERT_EQ(st_rw.st_dev, m->dev);
	ASSERT_EQ(st_rw.st_ino, m->ino);
	ASSERT_EQ(2 * PAGE, m->resident);

	m = &self->d.m[3];
	ASSERT_EQ(VHOST_SHMEM_CMD_MAPPING_GET, m->cmd);
	ASSERT_EQ(100 * PAGE, m->shm_offset);
	ASSERT_EQ(16 * PAGE, m->len);
	ASSERT_EQ(0, m->flags);
	ASSERT_EQ(0, m->fd_offset);
	ASSERT_EQ(st_ro.st_ino, m->ino);
	ASSERT_EQ(0, m->resident);

	m = &self->d.m[4];
	ASSERT_EQ(VHOST_SHMEM_CMD_REGION_GET, m->cmd);
	ASSERT_EQ(7, m->shmid);
	ASSERT_EQ(16 * PAGE, m->size);
	ASSERT_EQ(1, m->nr_mappings);

	m = &self->d.m[5];
	ASSERT_EQ(VHOST_SHMEM_CMD_MAPPING_GET, m->cmd);
	ASSERT_EQ(7, m->shmid);
	ASSERT_EQ(0, m->shm_offset);
	ASSERT_EQ(st_rw.st_ino, m->ino);

	/* Without mappings: the context and its regions only. */
	f.no_mappings = true;
	ASSERT_EQ(0, dump(self->nl, &f, &self->d));
	ASSERT_EQ(3, self->d.n);
	ASSERT_EQ(0, count_cmd(&self->d, VHOST_SHMEM_CMD_MAPPING_GET));

	/* By context id; a context that does not exist: nothing. */
	f.pid = 0;
	f.no_mappings = false;
	f.ctx_id = self->d.m[0].ctx_id;
	ASSERT_EQ(0, dump(self->nl, &f, &self->d));
	ASSERT_EQ(6, self->d.n);
	f.ctx_id = 0x7fffffff;
	ASSERT_EQ(0, dump(self->nl, &f, &self->d));
	ASSERT_EQ(0, self->d.n);

	/* Closing the file (and the window) takes the context away. */
	munmap(win, 256 * PAGE);
	close(self->dev);
	self->dev = -1;
	ASSERT_EQ(0, own_ctx_id(self->nl));
	close(rw);
	close(ro);
}

struct events {
	struct vshm_nl_msgs d;
	uint32_t ctx_id;	/* keep only this context's events, once known */
	size_t want;
};

static int collect_event(const struct vshm_nl_msg *m, void *arg)
{
	struct events *ev = arg;

	if (!ev->ctx_id && m->cmd == VHOST_SHMEM_CMD_CTX_ADD_NTF &&
	    m->pid == (uint32_t)getpid())
		ev->ctx_id = m->ctx_id;
	if (!ev->ctx_id || m->ctx_id != ev->ctx_id)
		return 0;
	if (vshm_nl_collect(m, &ev->d))
		return -ENOMEM;
	return ev->d.n == ev->want;
}

/* Every change of a context is announced, in order; failures are not. */
TEST_F(nl, events_in_order)
{
	static const uint8_t want[] = {
		VHOST_SHMEM_CMD_CTX_ADD_NTF, VHOST_SHMEM_CMD_REGION_ADD_NTF,
		VHOST_SHMEM_CMD_MAPPING_ADD_NTF, VHOST_SHMEM_CMD_MAPPING_DEL_NTF,
		VHOST_SHMEM_CMD_MAPPING_ADD_NTF, VHOST_SHMEM_CMD_CTX_RESET_NTF,
		VHOST_SHMEM_CMD_REGION_DEL_NTF, VHOST_SHMEM_CMD_CTX_DEL_NTF,
	};
	struct events ev = { .want = sizeof(want) };
	struct vshm_nl *listener;
	struct stat st;
	int dev, fd, ret;
	size_t i;

	ASSERT_EQ(0, vshm_nl_open(&listener));
	ASSERT_EQ(0, vshm_nl_subscribe(listener));

	fd = memfd_pattern(3, 8 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	dev = vshm_open();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, vshm_region_create(dev, 3, 64 * PAGE, NULL));
	ASSERT_EQ(0, vshm_map(dev, 3, fd, 2 * PAGE, 4 * PAGE, 4 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(-EEXIST, vshm_map(dev, 3, fd, 0, 4 * PAGE, PAGE, 0));
	ASSERT_EQ(0, vshm_unmap(dev, 3, 4 * PAGE, 4 * PAGE));
	ASSERT_EQ(-ENOENT, vshm_unmap(dev, 3, 4 * PAGE, 4 * PAGE));
	ASSERT_EQ(0, vshm_map(dev, 3, fd, 0, 0, PAGE, 0));
	ASSERT_EQ(0, vshm_reset(dev));
	ASSERT_EQ(0, vshm_region_destroy(dev, 3));
	close(dev);

	ret = vshm_nl_listen(listener, 10000, collect_event, &ev);
	ASSERT_EQ(1, ret) TH_LOG("listen: %d, %zu events", ret, ev.d.n);
	for (i = 0; i < ev.d.n; i++)
		ASSERT_EQ(want[i], ev.d.m[i].cmd) TH_LOG("event %zu", i);

	/* What each event says. */
	ASSERT_EQ(getpid(), ev.d.m[0].pid);
	ASSERT_NE(0, ev.d.m[0].created);
	ASSERT_EQ(3, ev.d.m[1].shmid);
	ASSERT_EQ(64 * PAGE, ev.d.m[1].size);
	ASSERT_EQ(3, ev.d.m[2].shmid);
	ASSERT_EQ(4 * PAGE, ev.d.m[2].shm_offset);
	ASSERT_EQ(4 * PAGE, ev.d.m[2].len);
	ASSERT_EQ(2 * PAGE, ev.d.m[2].fd_offset);
	ASSERT_EQ(VHOST_SHMEM_MAP_F_RW, ev.d.m[2].flags);
	ASSERT_EQ(st.st_ino, ev.d.m[2].ino);
	ASSERT_EQ(st.st_dev, ev.d.m[2].dev);
	ASSERT_EQ(4 * PAGE, ev.d.m[3].shm_offset);
	ASSERT_EQ(4 * PAGE, ev.d.m[3].len);
	ASSERT_EQ(0, ev.d.m[4].flags);
	ASSERT_EQ(3, ev.d.m[6].shmid);

	/* Nothing more: the refused operations sent nothing. */
	ev.want = ev.d.n + 1;
	ASSERT_EQ(-ETIMEDOUT, vshm_nl_listen(listener, 200, collect_event, &ev));
	free(ev.d.m);
	vshm_nl_close(listener);
	close(fd);
}

static int any_event(const struct vshm_nl_msg *m, void *arg)
{
	return 1;
}

#define LARGE_N		12000

/* A dump of more than 10 000 mappings spans many buffers and misses none. */
TEST_F(nl, large_dump_complete)
{
	struct vshm_nl_filter f = { .pid = getpid() };
	uint64_t next = 0;
	int fd, i;

	fd = memfd_pattern(4, PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_region_create(self->dev, 0, 2ULL * LARGE_N * PAGE,
					NULL));
	for (i = 0; i < LARGE_N; i++)
		ASSERT_EQ(0, vshm_map(self->dev, 0, fd, 0, 2ULL * i * PAGE,
				      PAGE, 0));

	ASSERT_EQ(0, dump(self->nl, &f, &self->d));
	ASSERT_FALSE(self->d.intr);
	ASSERT_EQ(LARGE_N + 2, self->d.n);
	ASSERT_EQ(VHOST_SHMEM_CMD_CTX_GET, self->d.m[0].cmd);
	ASSERT_EQ(LARGE_N, self->d.m[1].nr_mappings);
	for (i = 2; i < LARGE_N + 2; i++) {
		ASSERT_EQ(VHOST_SHMEM_CMD_MAPPING_GET, self->d.m[i].cmd);
		ASSERT_EQ(next, self->d.m[i].shm_offset);
		next += 2 * PAGE;
	}
	close(fd);
}

struct churn {
	int dev, fd;
	atomic_bool stop;
	unsigned long rounds;
};

/* Maps and unmaps the odd pages while the dump runs. */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	uint64_t off;

	while (!atomic_load(&c->stop)) {
		for (off = PAGE; off < 2ULL * LARGE_N * PAGE; off += 64 * PAGE)
			vshm_map(c->dev, 0, c->fd, 0, off, PAGE, 0);
		for (off = PAGE; off < 2ULL * LARGE_N * PAGE; off += 64 * PAGE)
			vshm_unmap(c->dev, 0, off, PAGE);
		c->rounds++;
	}
	return NULL;
}

/*
 * Mappings change between the buffers of a dump: the dump still ends,
 * reports the interruption, and lists every mapping that stayed in place
 * exactly once, in order.
 */
TEST_F(nl, dump_resumes_under_changes)
{
	struct vshm_nl_filter f = { .pid = getpid() };
	struct churn c = { .dev = self->dev };
	unsigned long seen_intr = 0, tries;
	uint64_t next, off;
	pthread_t thread;
	size_t i;
	int ret;

	c.fd = memfd_pattern(5, PAGE, 0);
	ASSERT_LE(0, c.fd);
	ASSERT_EQ(0, vshm_region_create(self->dev, 0, 2ULL * LARGE_N * PAGE,
					NULL));
	for (i = 0; i < LARGE_N; i++)
		ASSERT_EQ(0, vshm_map(self->dev, 0, c.fd, 0, 2ULL * i * PAGE,
				      PAGE, 0));
	ASSERT_EQ(0, pthread_create(&thread, NULL, churn_thread, &c));

	for (tries = 0; tries < 5; tries++) {
		ret = dump(self->nl, &f, &self->d);
		ASSERT_TRUE(ret == 0 || ret == -EINTR) TH_LOG("dump: %d", ret);
		seen_intr += ret == -EINTR;
		/* The stable mappings (even pages): each once, in order. */
		next = 0;
		for (i = 0; i < self->d.n; i++) {
			if (self->d.m[i].cmd != VHOST_SHMEM_CMD_MAPPING_GET)
				continue;
			off = self->d.m[i].shm_offset;
			if (off % (2 * PAGE))
				continue;
			ASSERT_EQ(next, off);
			next += 2 * PAGE;
		}
		ASSERT_EQ(2ULL * LARGE_N * PAGE, next);
	}
	atomic_store(&c.stop, true);
	pthread_join(thread, NULL);
	TH_LOG("%lu of 5 dumps interrupted, %lu churn rounds", seen_intr,
	       c.rounds);
	close(c.fd);
}

/* Changes made from inside a dump's callback, between two of its buffers. */
struct midway {
	struct vshm_nl_msgs d;
	int dev;		/* the dumped context */
	int other;		/* another context of this process */
	int fd;
	bool done;
	int ret;
};

/* Destroys region 0 of the dumped context at its first mapping. */
static int destroy_midway(const struct vshm_nl_msg *m, void *arg)
{
	struct midway *mw = arg;

	if (!mw->done && m->cmd == VHOST_SHMEM_CMD_MAPPING_GET) {
		mw->done = true;
		mw->ret = vshm_region_destroy(mw->dev, 0);
	}
	return vshm_nl_collect(m, &mw->d);
}

/*
 * The region being described goes away between two buffers: the dump goes
 * on with the next region, header and all its mappings included, and says
 * it was interrupted.
 */
TEST_F(nl, dump_survives_region_destroyed_midway)
{
	struct vshm_nl_filter f = { .pid = getpid() };
	struct midway mw = { .dev = self->dev };
	size_t i, headers = 0, maps1 = 0;
	uint64_t next = 0;

	mw.fd = memfd_pattern(7, PAGE, 0);
	ASSERT_LE(0, mw.fd);
	ASSERT_EQ(0, vshm_region_create(self->dev, 0, 2ULL * LARGE_N * PAGE,
					NULL));
	ASSERT_EQ(0, vshm_region_create(self->dev, 1, 256 * PAGE, NULL));
	for (i = 0; i < LARGE_N; i++)
		ASSERT_EQ(0, vshm_map(self->dev, 0, mw.fd, 0, 2ULL * i * PAGE,
				      PAGE, 0));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, vshm_map(self->dev, 1, mw.fd, 0, 2ULL * i * PAGE,
				      PAGE, 0));

	ASSERT_EQ(-EINTR, vshm_nl_dump(self->nl, &f, destroy_midway, &mw));
	ASSERT_EQ(0, mw.ret);
	for (i = 0; i < mw.d.n; i++) {
		if (mw.d.m[i].cmd == VHOST_SHMEM_CMD_REGION_GET &&
		    mw.d.m[i].shmid == 1)
			headers++;
		if (mw.d.m[i].cmd != VHOST_SHMEM_CMD_MAPPING_GET ||
		    mw.d.m[i].shmid != 1)
			continue;
		/* Region 1's mappings come after its header, all of them. */
		ASSERT_EQ(1, headers);
		ASSERT_EQ(next, mw.d.m[i].shm_offset);
		next += 2 * PAGE;
		maps1++;
	}
	ASSERT_EQ(1, headers);
	ASSERT_EQ(100, maps1);
	/* Region 0 was cut short: far fewer than its mappings were seen. */
	ASSERT_GT(LARGE_N + 2 + 100, mw.d.n);
	free(mw.d.m);
	close(mw.fd);
}

/* Maps and unmaps in another context at every 1000th message. */
static int churn_other(const struct vshm_nl_msg *m, void *arg)
{
	struct midway *mw = arg;

	if (mw->d.n % 1000 == 0) {
		mw->ret |= vshm_map(mw->other, 0, mw->fd, 0, 0, PAGE, 0);
		mw->ret |= vshm_unmap(mw->other, 0, 0, PAGE);
	}
	return vshm_nl_collect(m, &mw->d);
}

/* Changes to another context do not interrupt a dump of this one. */
TEST_F(nl, other_contexts_do_not_interrupt)
{
	struct vshm_nl_filter f = { .pid = getpid() };
	struct midway mw = { .dev = self->dev };
	uint32_t mine = own_ctx_id(self->nl);
	int i;

	ASSERT_NE(0, mine);
	f.ctx_id = mine;
	f.pid = 0;
	mw.fd = memfd_pattern(8, PAGE, 0);
	ASSERT_LE(0, mw.fd);
	mw.other = vshm_open();
	ASSERT_LE(0, mw.other);
	ASSERT_EQ(0, vshm_region_create(mw.other, 0, PAGE, NULL));
	ASSERT_EQ(0, vshm_region_create(self->dev, 0, 2ULL * LARGE_N * PAGE,
					NULL));
	for (i = 0; i < LARGE_N; i++)
		ASSERT_EQ(0, vshm_map(self->dev, 0, mw.fd, 0, 2ULL * i * PAGE,
				      PAGE, 0));

	ASSERT_EQ(0, vshm_nl_dump(self->nl, &f, churn_other, &mw));
	ASSERT_EQ(0, mw.ret);
	ASSERT_EQ(LARGE_N + 2, mw.d.n);
	free(mw.d.m);
	close(mw.other);
	close(mw.fd);
}

static int wait_ctx_del(const struct vshm_nl_msg *m, void *arg)
{
	return m->cmd == VHOST_SHMEM_CMD_CTX_DEL_NTF && m->ctx_id == *(uint32_t *)arg;
}

/*
 * When a context's release is announced, everything it mapped is let go:
 * a listener may seal a file that was mapped read-write.
 */
TEST_F(nl, ctx_del_comes_after_teardown)
{
	uint32_t mine = own_ctx_id(self->nl);
	struct vshm_nl *listener;
	int fd;

	ASSERT_NE(0, mine);
	fd = memfd_pattern(9, 4 * PAGE, MFD_ALLOW_SEALING);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_region_create(self->dev, 0, 4 * PAGE, NULL));
	ASSERT_EQ(0, vshm_map(self->dev, 0, fd, 0, 0, 4 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	/* Mapped read-write: the seal is refused. */
	ASSERT_EQ(-1, fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_EQ(EBUSY, errno);

	ASSERT_EQ(0, vshm_nl_open(&listener));
	ASSERT_EQ(0, vshm_nl_subscribe(listener));
	close(self->dev);
	self->dev = -1;
	ASSERT_EQ(1, vshm_nl_listen(listener, 10000, wait_ctx_del, &mine));
	ASSERT_EQ(0, fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	vshm_nl_close(listener);
	close(fd);
}

/*
 * Served faults are counted; failed ones (a hole, a write to a read-only
 * mapping) are not: they are tracepoints (vhost_shmem_trace_test).
 */
TEST_F(nl, fault_counters)
{
	struct vshm_nl_filter f = { .pid = getpid(), .no_mappings = true };
	uint64_t off;
	uint32_t val;
	void *win;
	int fd;

	fd = memfd_pattern(10, 2 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_region_create(self->dev, 0, 4 * PAGE, &off));
	ASSERT_EQ(0, vshm_map(self->dev, 0, fd, 0, 0, 2 * PAGE, 0));
	win = mmap_aligned(4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			   self->dev, off, 16 * PAGE);
	ASSERT_NE(MAP_FAILED, win);

	/* Served, and fault-around maps page 1 too: no fault there. */
	ASSERT_EQ(0, probe_read(win, 0, &val));
	ASSERT_EQ(0, probe_read(win, PAGE, &val));
	ASSERT_EQ(SIGBUS, probe_read(win, 3 * PAGE, &val));	/* hole */
	ASSERT_EQ(SIGBUS, probe_write(win, 0, 1));		/* read-only */

	ASSERT_EQ(0, dump(self->nl, &f, &self->d));
	ASSERT_EQ(2, self->d.n);
	ASSERT_EQ(1, self->d.m[0].stats[VHOST_SHMEM_A_STATS_FAULTS]);
	ASSERT_EQ(2 * PAGE, self->d.m[1].resident);
	munmap(win, 4 * PAGE);
	close(fd);
}

/* Appends attribute @type with @len bytes of @data to @buf at *@pos. */
static void put_attr(char *buf, size_t *pos, uint16_t type, const void *data,
		     uint16_t len)
{
	struct nlattr nla = { .nla_len = NLA_HDRLEN + len, .nla_type = type };

	memcpy(buf + *pos, &nla, sizeof(nla));
	memcpy(buf + *pos + NLA_HDRLEN, data, len);
	*pos += NLA_ALIGN(NLA_HDRLEN + len);
}

/* Malformed requests are refused with an error, and the family still works. */
TEST_F(nl, malformed_requests)
{
	uint32_t u32 = 1, shmid = 256, zero = 0;
	uint8_t u8 = 1;
	char buf[64];
	size_t pos;

	/* A do request without the attribute that names its object. */
	ASSERT_EQ(-EINVAL, vshm_nl_raw_request(self->nl,
					       VHOST_SHMEM_CMD_CTX_GET, 0,
					       NULL, 0));
	/* Notification-only and unknown commands. */
	ASSERT_EQ(-EOPNOTSUPP, vshm_nl_raw_request(self->nl,
						   VHOST_SHMEM_CMD_CTX_ADD_NTF,
						   NLM_F_DUMP, NULL, 0));
	ASSERT_EQ(-EOPNOTSUPP, vshm_nl_raw_request(self->nl, 200, NLM_F_DUMP,
						   NULL, 0));
	/* A u32 attribute that is one byte long. */
	pos = 0;
	put_attr(buf, &pos, VHOST_SHMEM_A_CTX_ID, &u8, sizeof(u8));
	ASSERT_EQ(-EINVAL, vshm_nl_raw_request(self->nl,
					       VHOST_SHMEM_CMD_CTX_GET,
					       NLM_F_DUMP, buf, pos));
	/* A uint attribute that is neither 4 nor 8 bytes, do and dump. */
	pos = 0;
	put_attr(buf, &pos, VHOST_SHMEM_A_MAPPING_CTX_ID, &u32, sizeof(u32));
	put_attr(buf, &pos, VHOST_SHMEM_A_MAPPING_SHMID, &zero, sizeof(zero));
	put_attr(buf, &pos, VHOST_SHMEM_A_MAPPING_SHM_OFFSET, &u32, 3);
	ASSERT_EQ(-EINVAL, vshm_nl_raw_request(self->nl,
					       VHOST_SHMEM_CMD_MAPPING_GET, 0,
					       buf, pos));
	ASSERT_EQ(-EINVAL, vshm_nl_raw_request(self->nl,
					       VHOST_SHMEM_CMD_MAPPING_GET,
					       NLM_F_DUMP, buf, pos));
	/* Values out of the spec's checks: context id 0, shmid 256. */
	pos = 0;
	put_attr(buf, &pos, VHOST_SHMEM_A_CTX_ID, &zero, sizeof(zero));
	ASSERT_EQ(-ERANGE, vshm_nl_raw_request(self->nl,
					       VHOST_SHMEM_CMD_CTX_GET,
					       NLM_F_DUMP, buf, pos));
	pos = 0;
	put_attr(buf, &pos, VHOST_SHMEM_A_REGION_SHMID, &shmid,
		 sizeof(shmid));
	ASSERT_EQ(-ERANGE, vshm_nl_raw_request(self->nl,
					       VHOST_SHMEM_CMD_REGION_GET,
					       NLM_F_DUMP, buf, pos));
	/* An attribute a request may not carry, and one beyond the last. */
	pos = 0;
	put_attr(buf, &pos, VHOST_SHMEM_A_CTX_NR_REGIONS, &u32, sizeof(u32));
	ASSERT_EQ(-EINVAL, vshm_nl_raw_request(self->nl,
					       VHOST_SHMEM_CMD_CTX_GET,
					       NLM_F_DUMP, buf, pos));
	pos = 0;
	put_attr(buf, &pos, VHOST_SHMEM_A_CTX_MAX + 1, &u32, sizeof(u32));
	ASSERT_EQ(-EINVAL, vshm_nl_raw_request(self->nl,
					       VHOST_SHMEM_CMD_CTX_GET,
					       NLM_F_DUMP, buf, pos));
	/* An attribute longer than the message. */
	pos = 0;
	put_attr(buf, &pos, VHOST_SHMEM_A_CTX_ID, &u32, sizeof(u32));
	((struct nlattr *)buf)->nla_len = 40;
	ASSERT_EQ(-EINVAL, vshm_nl_raw_request(self->nl,
					       VHOST_SHMEM_CMD_CTX_GET,
					       NLM_F_DUMP, buf, pos));

	/* A well-formed request still works. */
	pos = 0;
	put_attr(buf, &pos, VHOST_SHMEM_A_CTX_ID, &u32, sizeof(u32));
	ASSERT_EQ(0, vshm_nl_raw_request(self->nl, VHOST_SHMEM_CMD_CTX_GET,
					 NLM_F_DUMP, buf, pos));
	ASSERT_NE(0, own_ctx_id(self->nl));
}

/*
 * Do requests describe one object, as a dump would; objects that do not
 * exist, and contexts of others, are not found.
 */
TEST_F(nl, do_requests)
{
	uint32_t mine = own_ctx_id(self->nl), shmid = 5, other;
	uint64_t offset = 4 * PAGE;
	char buf[64];
	size_t pos;
	int fd;

	ASSERT_NE(0, mine);
	fd = memfd_pattern(11, 4 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vshm_region_create(self->dev, 5, 16 * PAGE, NULL));
	ASSERT_EQ(0, vshm_map(self->dev, 5, fd, 0, 4 * PAGE, 2 * PAGE, 0));

	pos = 0;
	put_attr(buf, &pos, VHOST_SHMEM_A_CTX_ID, &mine, sizeof(mine));
	ASSERT_EQ(0, vshm_nl_raw_request(self->nl, VHOST_SHMEM_CMD_CTX_GET,
					 0, buf, pos));
	put_attr(buf, &pos, VHOST_SHMEM_A_REGION_SHMID, &shmid, sizeof(shmid));
	ASSERT_EQ(0, vshm_nl_raw_request(self->nl, VHOST_SHMEM_CMD_REGION_GET,
					 0, buf, pos));
	put_attr(buf, &pos, VHOST_SHMEM_A_MAPPING_SHM_OFFSET, &offset,
		 sizeof(offset));
	ASSERT_EQ(0, vshm_nl_raw_request(self->nl,
					 VHOST_SHMEM_CMD_MAPPING_GET, 0, buf,
					 pos));
	/* The request and reply share the command: one mapping, in full. */
	ASSERT_EQ(0, vshm_nl_get_mapping(self->nl, mine, 5, 4 * PAGE,
					 &self->d));
	ASSERT_EQ(1, self->d.n);
	ASSERT_EQ(VHOST_SHMEM_CMD_MAPPING_GET, self->d.m[0].cmd);
	ASSERT_EQ(mine, self->d.m[0].ctx_id);
	ASSERT_EQ(5, self->d.m[0].shmid);
	ASSERT_EQ(4 * PAGE, self->d.m[0].shm_offset);
	ASSERT_EQ(2 * PAGE, self->d.m[0].len);
	ASSERT_TRUE(VSHM_NL_HAS(&self->d.m[0], VSHM_NL_F_FILE));

	/* Inside the mapping but not its start, another region: none. */
	ASSERT_EQ(-ENOENT, vshm_nl_get_mapping(self->nl, mine, 5, 5 * PAGE,
					       &self->d));
	ASSERT_EQ(-ENOENT, vshm_nl_get_mapping(self->nl, mine, 6, 4 * PAGE,
					       &self->d));
	/* A context that does not exist, or is not ours to see: none. */
	other = 0x7fffffff;
	pos = 0;
	put_attr(buf, &pos, VHOST_SHMEM_A_CTX_ID, &other, sizeof(other));
	ASSERT_EQ(-ENOENT, vshm_nl_raw_request(self->nl,
					       VHOST_SHMEM_CMD_CTX_GET, 0,
					       buf, pos));
	close(fd);
}

/*
 * What CAP_SYS_ADMIN changes: with it a process sees every context and may
 * join the events group; without it, it sees only the contexts it opened
 * (a context of another is as if it did not exist: ENOENT) and may not join
 * (EPERM).  Each case runs as root (admin) and as user nobody without
 * capabilities (unprivileged), against the process's own context and a
 * peer's: another process that opened a context with region 0 and a
 * mapping at its start before the test began.  The test's own context
 * (region 1, no mapping) is opened as root before privileges are dropped:
 * the device is 0600.
 */
FIXTURE(priv) {
	int dev;
	int memfd;
	struct vshm_nl *nl;
	struct vshm_nl_msgs d;
	pid_t peer;
	int peer_go;		/* the peer exits when this is closed */
	uint32_t peer_ctx;
	uint32_t own_ctx;
};

FIXTURE_VARIANT(priv) {
	bool admin;
	int others_err;		/* a do request for a context of another */
	int join_err;		/* joining the events group */
};

FIXTURE_VARIANT_ADD(priv, admin) {
	.admin = true,
	.others_err = 0,
	.join_err = 0,
};

FIXTURE_VARIANT_ADD(priv, unprivileged) {
	.admin = false,
	.others_err = -ENOENT,
	.join_err = -EPERM,
};

FIXTURE_SETUP(priv)
{
	struct vshm_nl_filter f = { .no_mappings = true };
	int go[2], ready[2], ret;
	struct vshm_nl *nl;
	char c;

	self->dev = -1;
	self->nl = NULL;
	self->peer = -1;
	self->peer_go = -1;
	self->memfd = -1;
	memset(&self->d, 0, sizeof(self->d));
	if (access(VSHM_DEV, F_OK))
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	self->memfd = memfd_pattern(5, PAGE, 0);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	self->peer = fork();
	ASSERT_LE(0, self->peer);
	if (!self->peer) {
		int dev;

		close(go[1]);
		close(ready[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dev = vshm_open();
		if (dev < 0 || vshm_region_create(dev, 0, 4 * PAGE, NULL) ||
		    vshm_map(dev, 0, self->memfd, 0, 0, PAGE, 0) ||
		    write(ready[1], "r", 1) != 1)
			_exit(1);
		/* Keep the context until the test is done. */
		_exit(read(go[0], &c, 1) == 0 ? 0 : 2);
	}
	close(go[0]);
	close(ready[1]);
	self->peer_go = go[1];
	ASSERT_EQ(1, read(ready[0], &c, 1));
	close(ready[0]);

	/* The peer's context, as root sees it. */
	ASSERT_EQ(0, vshm_nl_open(&nl));
	f.pid = self->peer;
	ret = dump(nl, &f, &self->d);
	vshm_nl_close(nl);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(2, self->d.n);
	ASSERT_EQ(VHOST_SHMEM_CMD_CTX_GET, self->d.m[0].cmd);
	self->peer_ctx = self->d.m[0].ctx_id;

	self->dev = vshm_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, vshm_region_create(self->dev, 1, PAGE, NULL));
	if (!variant->admin) {
		ASSERT_EQ(0, setgroups(0, NULL));
		ASSERT_EQ(0, setgid(NOBODY));
		ASSERT_EQ(0, setuid(NOBODY));
	}
	ASSERT_EQ(0, vshm_nl_open(&self->nl));
	self->own_ctx = own_ctx_id(self->nl);
	ASSERT_NE(0, self->own_ctx);
	ASSERT_NE(self->peer_ctx, self->own_ctx);
}

FIXTURE_TEARDOWN(priv)
{
	vshm_nl_close(self->nl);
	free(self->d.m);
	if (self->dev >= 0)
		close(self->dev);
	if (self->peer_go >= 0)
		close(self->peer_go);
	if (self->peer > 0)
		waitpid(self->peer, NULL, 0);
	if (self->memfd >= 0)
		close(self->memfd);
}

/*
 * A dump of everything: the admin's shows the peer's context and its own,
 * the unprivileged one's exactly its own context and its region.
 */
TEST_F(priv, dump_all)
{
	struct vshm_nl_filter f = {};
	bool seen_peer = false, seen_self = false;
	size_t i;

	ASSERT_EQ(0, dump(self->nl, &f, &self->d));
	for (i = 0; i < self->d.n; i++) {
		if (self->d.m[i].cmd != VHOST_SHMEM_CMD_CTX_GET)
			continue;
		seen_peer |= self->d.m[i].pid == (uint32_t)self->peer;
		seen_self |= self->d.m[i].pid == (uint32_t)getpid();
	}
	ASSERT_TRUE(seen_self);
	ASSERT_EQ(variant->admin, seen_peer);
	if (variant->admin)
		return;
	ASSERT_EQ(2, self->d.n);
	ASSERT_EQ(VHOST_SHMEM_CMD_CTX_GET, self->d.m[0].cmd);
	ASSERT_EQ(getpid(), self->d.m[0].pid);
	ASSERT_EQ(self->own_ctx, self->d.m[0].ctx_id);
	ASSERT_EQ(VHOST_SHMEM_CMD_REGION_GET, self->d.m[1].cmd);
	ASSERT_EQ(1, self->d.m[1].shmid);
}

/*
 * A dump asking for the peer's context, by id or by process: the admin
 * gets the context, its region and its mapping, the unprivileged nothing.
 * Its own context, everyone gets.
 */
TEST_F(priv, dump_of_a_context)
{
	struct vshm_nl_filter f = { .ctx_id = self->peer_ctx };
	size_t want = variant->admin ? 3 : 0;

	ASSERT_EQ(0, dump(self->nl, &f, &self->d));
	ASSERT_EQ(want, self->d.n);
	if (want) {
		ASSERT_EQ(self->peer, self->d.m[0].pid);
		ASSERT_EQ(VHOST_SHMEM_CMD_MAPPING_GET, self->d.m[2].cmd);
	}
	f.ctx_id = 0;
	f.pid = self->peer;
	ASSERT_EQ(0, dump(self->nl, &f, &self->d));
	ASSERT_EQ(want, self->d.n);
	if (want)
		ASSERT_EQ(self->peer_ctx, self->d.m[0].ctx_id);

	f.pid = getpid();
	ASSERT_EQ(0, dump(self->nl, &f, &self->d));
	ASSERT_EQ(2, self->d.n);
	ASSERT_EQ(self->own_ctx, self->d.m[0].ctx_id);
	f.pid = 0;
	f.ctx_id = self->own_ctx;
	ASSERT_EQ(0, dump(self->nl, &f, &self->d));
	ASSERT_EQ(2, self->d.n);
}

/*
 * Do requests for the peer's context, region and mapping (which exist):
 * found by the admin, ENOENT for the unprivileged.  Its own context and
 * region are found by both.
 */
TEST_F(priv, do_requests)
{
	uint32_t shmid = 0;
	char buf[64];
	size_t pos = 0;

	ASSERT_EQ(variant->others_err,
		  vshm_nl_get_mapping(self->nl, self->peer_ctx, 0, 0,
				      &self->d));
	if (!variant->others_err) {
		ASSERT_EQ(1, self->d.n);
		ASSERT_EQ(self->peer_ctx, self->d.m[0].ctx_id);
		ASSERT_EQ(PAGE, self->d.m[0].len);
	}
	put_attr(buf, &pos, VHOST_SHMEM_A_CTX_ID, &self->peer_ctx,
		 sizeof(self->peer_ctx));
	ASSERT_EQ(variant->others_err,
		  vshm_nl_raw_request(self->nl, VHOST_SHMEM_CMD_CTX_GET, 0,
				      buf, pos));
	put_attr(buf, &pos, VHOST_SHMEM_A_REGION_SHMID, &shmid, sizeof(shmid));
	ASSERT_EQ(variant->others_err,
		  vshm_nl_raw_request(self->nl, VHOST_SHMEM_CMD_REGION_GET, 0,
				      buf, pos));

	shmid = 1;
	pos = 0;
	put_attr(buf, &pos, VHOST_SHMEM_A_CTX_ID, &self->own_ctx,
		 sizeof(self->own_ctx));
	ASSERT_EQ(0, vshm_nl_raw_request(self->nl, VHOST_SHMEM_CMD_CTX_GET, 0,
					 buf, pos));
	put_attr(buf, &pos, VHOST_SHMEM_A_REGION_SHMID, &shmid, sizeof(shmid));
	ASSERT_EQ(0, vshm_nl_raw_request(self->nl, VHOST_SHMEM_CMD_REGION_GET,
					 0, buf, pos));
}

/*
 * Joining the events group: the admin may, and hears its own context's
 * changes; the unprivileged gets EPERM.
 */
TEST_F(priv, join_events)
{
	struct events ev = { .want = 1 };
	struct vshm_nl *listener;
	int ret;

	ASSERT_EQ(0, vshm_nl_open(&listener));
	ASSERT_EQ(variant->join_err, vshm_nl_subscribe(listener));
	if (!variant->join_err) {
		ev.ctx_id = self->own_ctx;
		ASSERT_EQ(0, vshm_region_destroy(self->dev, 1));
		ret = vshm_nl_listen(listener, 10000, collect_event, &ev);
		EXPECT_EQ(1, ret) TH_LOG("listen: %d", ret);
		EXPECT_EQ(1, ev.d.n);
		if (ev.d.n)
			EXPECT_EQ(VHOST_SHMEM_CMD_REGION_DEL_NTF,
				  ev.d.m[0].cmd);
		free(ev.d.m);
	}
	vshm_nl_close(listener);
}

/*
 * From another network namespace a process still dumps its own contexts,
 * and may join the events group of that namespace, but events stay in the
 * initial namespace.  The unprivileged process gets its network namespace
 * with a user namespace of its own, whose CAP_SYS_ADMIN lets it join the
 * group there: it still hears nothing.
 */
TEST_F(priv, other_netns_dumps_own_no_events)
{
	struct vshm_nl_filter f = { .pid = getpid() };
	struct vshm_nl *nl, *listener;
	int flags = CLONE_NEWNET;

	if (!variant->admin)
		flags |= CLONE_NEWUSER;
	if (unshare(flags)) {
		if (!variant->admin && (errno == EPERM || errno == EINVAL ||
					errno == ENOSPC || errno == EUSERS))
			SKIP(return, "no user namespace for nobody: %s",
			     strerror(errno));
		ASSERT_EQ(0, -errno);
	}
	ASSERT_EQ(0, vshm_region_create(self->dev, 4, PAGE, NULL));
	ASSERT_EQ(0, vshm_nl_open(&nl));
	ASSERT_EQ(0, vshm_nl_open(&listener));
	ASSERT_EQ(0, dump(nl, &f, &self->d));
	ASSERT_EQ(3, self->d.n);
	ASSERT_EQ(self->own_ctx, self->d.m[0].ctx_id);
	ASSERT_EQ(4, self->d.m[2].shmid);
	f.pid = self->peer;
	ASSERT_EQ(0, dump(nl, &f, &self->d));
	ASSERT_EQ(variant->admin ? 3 : 0, self->d.n);
	ASSERT_EQ(0, vshm_nl_subscribe(listener));
	ASSERT_EQ(0, vshm_region_destroy(self->dev, 4));
	ASSERT_EQ(-ETIMEDOUT, vshm_nl_listen(listener, 300, any_event, NULL));
	vshm_nl_close(listener);
	vshm_nl_close(nl);
}

/* Runs vshmctl with @argv in a child; its stdout in a malloc'ed string. */
static char *run_vshmctl(char **argv, int *status)
{
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);
	int pipefd[2], argc = 0;
	ssize_t r;
	pid_t pid;

	if (!out || pipe(pipefd))
		return NULL;
	while (argv[argc])
		argc++;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return NULL;
	if (!pid) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		*status = vshmctl_run(argc, argv);
		fflush(stdout);
		_exit(*status);
	}
	close(pipefd[1]);
	while ((r = read(pipefd[0], out + n, cap - n - 1)) > 0) {
		n += r;
		if (n + 1 == cap) {
			char *p = realloc(out, cap *= 2);

			if (!p)
				break;
			out = p;
		}
	}
	out[n] = 0;
	close(pipefd[0]);
	waitpid(pid, status, 0);
	return out;
}

/* vshmctl show -j prints JSON that parses and matches what was created. */
TEST_F(nl, vshmctl_show_json)
{
	const struct json *ctxs, *ctx, *regions, *maps, *map;
	char pidbuf[16], *argv[6], *out;
	struct json *doc;
	struct stat st;
	int fd, status;

	fd = memfd_pattern(6, 4 * PAGE, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, vshm_region_create(self->dev, 2, 32 * PAGE, NULL));
	ASSERT_EQ(0, vshm_map(self->dev, 2, fd, PAGE, 4 * PAGE, 2 * PAGE,
			      VHOST_SHMEM_MAP_F_RW));
	ASSERT_EQ(0, vshm_map(self->dev, 2, fd, 0, 16 * PAGE, PAGE, 0));

	snprintf(pidbuf, sizeof(pidbuf), "%d", getpid());
	argv[0] = "vshmctl";
	argv[1] = "show";
	argv[2] = "-j";
	argv[3] = "-p";
	argv[4] = pidbuf;
	argv[5] = NULL;
	out = run_vshmctl(argv, &status);
	ASSERT_NE(NULL, out);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	doc = json_parse(out);
	ASSERT_NE(NULL, doc) TH_LOG("not JSON: %s", out);

	ASSERT_NE(NULL, json_get(doc, "consistent"));
	ASSERT_EQ(JSON_BOOL, json_get(doc, "consistent")->type);
	ctxs = json_get(doc, "contexts");
	ASSERT_NE(NULL, ctxs);
	ASSERT_EQ(JSON_ARR, ctxs->type);
	ASSERT_EQ(1, ctxs->n);
	ctx = ctxs->kids[0];
	ASSERT_EQ(getpid(), json_u64(ctx, "pid", 0));
	ASSERT_NE(0, json_u64(ctx, "id", 0));
	ASSERT_EQ(1, json_u64(ctx, "nr_regions", 0));
	ASSERT_EQ(2, json_u64(json_get(ctx, "stats"), "maps", 0));
	ASSERT_EQ(1, json_u64(json_get(ctx, "stats"), "region_creates", 0));
	regions = json_get(ctx, "regions");
	ASSERT_NE(NULL, regions);
	ASSERT_EQ(1, regions->n);
	ASSERT_EQ(2, json_u64(regions->kids[0], "shmid", 0));
	ASSERT_EQ(32 * PAGE, json_u64(regions->kids[0], "size", 0));
	ASSERT_EQ(3 * PAGE, json_u64(regions->kids[0], "mapped", 0));
	/* Every mapping's length is charged as pinned memory. */
	ASSERT_EQ(3 * PAGE, json_u64(regions->kids[0], "pinned", 0));
	maps = json_get(regions->kids[0], "mappings");
	ASSERT_NE(NULL, maps);
	ASSERT_EQ(2, maps->n);
	map = maps->kids[0];
	ASSERT_EQ(4 * PAGE, json_u64(map, "shm_offset", 1));
	ASSERT_EQ(2 * PAGE, json_u64(map, "len", 0));
	ASSERT_EQ(PAGE, json_u64(map, "fd_offset", 0));
	ASSERT_EQ(st.st_ino, json_u64(map, "ino", 0));
	ASSERT_EQ(st.st_dev, json_u64(map, "dev", 0));
	ASSERT_TRUE(json_get(map, "rw")->b);
	map = maps->kids[1];
	ASSERT_EQ(16 * PAGE, json_u64(map, "shm_offset", 1));
	ASSERT_FALSE(json_get(map, "rw")->b);
	json_free(doc);
	free(out);

	/* The summary leaves the mappings out and is JSON too. */
	argv[3] = "-s";
	argv[4] = NULL;
	out = run_vshmctl(argv, &status);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(0, WEXITSTATUS(status));
	doc = json_parse(out);
	ASSERT_NE(NULL, doc) TH_LOG("not JSON: %s", out);
	json_free(doc);
	free(out);

	/* Bad arguments: usage error. */
	argv[2] = "--pid";
	argv[3] = "nope";
	out = run_vshmctl(argv, &status);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(2, WEXITSTATUS(status));
	free(out);
	close(fd);
}

/* vshmctl monitor -j prints one JSON object per event. */
TEST_F(nl, vshmctl_monitor_json)
{
	uint32_t ctx = own_ctx_id(self->nl);
	char *argv[6];
	int pipefd[2], status, n = 0, rounds = 0;
	char *out, *line, *save, prev[16] = "";
	bool is_new;
	struct json *ev;
	pid_t pid;

	ASSERT_NE(0, ctx);
	argv[0] = "vshmctl";
	argv[1] = "monitor";
	argv[2] = "-j";
	argv[3] = "-n";
	argv[4] = "6";
	argv[5] = NULL;
	/*
	 * The monitor joins the group some time after it starts: keep
	 * changing the context until it has seen six events and exited.
	 */
	ASSERT_EQ(0, pipe(pipefd));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(pipefd[0]);
		dup2(pipefd[1], STDOUT_FILENO);
		status = vshmctl_run(5, argv);
		fflush(stdout);
		_exit(status);
	}
	close(pipefd[1]);
	while (waitpid(pid, &status, WNOHANG) == 0 && rounds++ < 100000) {
		ASSERT_EQ(0, vshm_region_create(self->dev, 9, PAGE, NULL));
		ASSERT_EQ(0, vshm_region_destroy(self->dev, 9));
		usleep(1000);
	}
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	out = calloc(1, 1 << 16);
	ASSERT_NE(NULL, out);
	ASSERT_LT(0, read(pipefd[0], out, (1 << 16) - 1));
	close(pipefd[0]);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *name;

		ev = json_parse(line);
		ASSERT_NE(NULL, ev) TH_LOG("not JSON: %s", line);
		name = json_get(ev, "event")->s;
		ASSERT_NE(0, json_u64(ev, "time_ns", 0));
		ASSERT_EQ(ctx, json_u64(ev, "ctx", 0));
		ASSERT_EQ(9, json_u64(ev, "shmid", 0));
		/* Creates and destroys alternate. */
		ASSERT_STRNE(prev, name);
		is_new = !strcmp(name, "region-new");
		ASSERT_TRUE(is_new || !strcmp(name, "region-del"));
		ASSERT_TRUE(!is_new || json_u64(ev, "size", 0) == PAGE);
		snprintf(prev, sizeof(prev), "%s", name);
		n++;
		json_free(ev);
	}
	ASSERT_EQ(6, n);
	free(out);
}

TEST_HARNESS_MAIN
