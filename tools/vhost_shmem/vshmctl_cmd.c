// SPDX-License-Identifier: GPL-2.0
/*
 * vshmctl's commands: show what vhost-shmem contexts map, and watch it
 * change.
 *
 *   vshmctl show [-j] [-s] [-p PID] [-c ID]
 *   vshmctl monitor [-j] [-n COUNT]
 *
 * The program (vshmctl.c) and the netlink selftest run them through
 * vshmctl_run() (vshmctl.h).  See Documentation/userspace-api/vshmctl.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/sysmacros.h>

#include "ynl.h"
#include "vshm_nl.h"
#include "vshmctl.h"

#define CAP_SYS_ADMIN_BIT	21
/* A dump that raced with changes is repeated this many times at most. */
#define DUMP_TRIES		5

static const char usage_text[] =
"usage: vshmctl show [-j|--json] [-s|--summary] [-p|--pid PID] [-c|--ctx ID]\n"
"       vshmctl monitor [-j|--json] [-n|--count N]\n"
"       vshmctl -h|--help\n"
"\n"
"show     describe the vhost-shmem contexts you may see: each context\n"
"         (owner, counters), its regions and their mappings\n"
"  -j     JSON, for scripts\n"
"  -s     contexts and regions only, no mappings\n"
"  -p     only the contexts of process PID\n"
"  -c     only context ID\n"
"monitor  print one line per event (context open/close, region create/\n"
"         destroy, map, unmap, reset) until interrupted; needs\n"
"         CAP_SYS_ADMIN\n"
"  -j     one JSON object per line\n"
"  -n     exit after N events\n"
"\n"
"Without CAP_SYS_ADMIN, show lists only the contexts of the calling\n"
"process.  Exit status: 0 success, 1 failure, 2 usage error.\n";

/* Only there to interrupt poll(): the monitor then ends. */
static void on_signal(int sig)
{
}

static int fail(const char *what, int err)
{
	if (err == -ENOENT)
		fprintf(stderr, "vshmctl: %s: %s; %s\n", what,
			"the vhost-shmem netlink family is not registered",
			"is the module loaded? (modprobe vhost_shmem)");
	else if (err == -EPERM || err == -EACCES)
		fprintf(stderr, "vshmctl: %s: %s (this needs CAP_SYS_ADMIN)\n",
			what, strerror(-err));
	else
		fprintf(stderr, "vshmctl: %s: %s\n", what, strerror(-err));
	return 1;
}

static int usage(FILE *f, int status)
{
	fputs(usage_text, f);
	return status;
}

/* Whether CAP_SYS_ADMIN is in our effective set. */
static int have_sys_admin(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return !!(eff & (1ULL << CAP_SYS_ADMIN_BIT));
}

/* Formats @bytes for a person: "4 KiB", "1.5 MiB", "0 B". */
static const char *human(char *buf, size_t n, __u64 bytes)
{
	static const char * const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	unsigned int u = 0;

	while (v >= 1024 && u < YNL_ARRAY_SIZE(units) - 1) {
		v /= 1024;
		u++;
	}
	if (v == (__u64)v)
		snprintf(buf, n, "%llu %s", (__u64)v, units[u]);
	else
		snprintf(buf, n, "%.1f %s", v, units[u]);
	return buf;
}

static const char *timestamp(char *buf, size_t n, __u64 ns)
{
	time_t t = ns / 1000000000ULL;
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, n, "%llu", ns);
	return buf;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Successes only: refusals and failed faults are tracepoints. */
static void print_stats_human(const struct vshm_nl_msg *m)
{
	printf("  ops: %llu maps, %llu unmaps, %llu resets, ",
	       m->stats[VHOST_SHMEM_A_STATS_MAPS],
	       m->stats[VHOST_SHMEM_A_STATS_UNMAPS],
	       m->stats[VHOST_SHMEM_A_STATS_RESETS]);
	printf("%llu regions created, %llu destroyed\n",
	       m->stats[VHOST_SHMEM_A_STATS_REGION_CREATES],
	       m->stats[VHOST_SHMEM_A_STATS_REGION_DESTROYS]);
	printf("  faults: %llu served\n", m->stats[VHOST_SHMEM_A_STATS_FAULTS]);
}

/* Bytes the regions of context @ctx_id charge as pinned memory. */
static __u64 ctx_pinned(const struct vshm_nl_msgs *d, __u32 ctx_id)
{
	__u64 sum = 0;
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->m[i].cmd == VHOST_SHMEM_CMD_REGION_GET &&
		    d->m[i].ctx_id == ctx_id)
			sum += d->m[i].pinned;
	return sum;
}

static void show_human(const struct vshm_nl_msgs *d)
{
	char b1[32], b2[32], b3[32], b4[32];
	const struct vshm_nl_msg *m;
	int header = 0;
	size_t i;

	for (i = 0; i < d->n; i++) {
		m = &d->m[i];
		switch (m->cmd) {
		case VHOST_SHMEM_CMD_CTX_GET:
			printf("%scontext %u  pid %u (%s)  created %s  regions %u\n",
			       i ? "\n" : "", m->ctx_id, m->pid, m->comm,
			       timestamp(b1, sizeof(b1), m->created),
			       m->nr_regions);
			print_stats_human(m);
			printf("  pinned: %s %s\n",
			       human(b1, sizeof(b1), ctx_pinned(d, m->ctx_id)),
			       "(charged to the users of the tasks that mapped, against RLIMIT_MEMLOCK)");
			break;
		case VHOST_SHMEM_CMD_REGION_GET:
			printf("  region %u  size %s  mappings %u  mapped %s",
			       m->shmid, human(b1, sizeof(b1), m->size),
			       m->nr_mappings, human(b2, sizeof(b2), m->mapped));
			printf("  resident %s  pinned %s\n",
			       human(b3, sizeof(b3), m->resident),
			       human(b4, sizeof(b4), m->pinned));
			header = 0;
			break;
		case VHOST_SHMEM_CMD_MAPPING_GET:
			if (!header)
				printf("    %-14s %-10s %-4s %-22s %-14s %s\n",
				       "OFFSET", "LENGTH", "MODE",
				       "FILE (DEV INODE)", "FILE OFFSET",
				       "RESIDENT");
			header = 1;
			snprintf(b3, sizeof(b3), "%u:%u %llu",
				 major(m->dev), minor(m->dev), m->ino);
			printf("    0x%-12llx %-10s %-4s %-22s 0x%-12llx %s\n",
			       m->shm_offset, human(b1, sizeof(b1), m->len),
			       m->flags & VHOST_SHMEM_MAP_F_RW ? "rw" : "ro",
			       b3, m->fd_offset,
			       human(b4, sizeof(b4), m->resident));
			break;
		}
	}
	if (!d->n)
		printf("no vhost-shmem contexts%s\n", have_sys_admin() ? "" :
		       " of this process (CAP_SYS_ADMIN shows every process's)");
}

static void json_stats(const struct vshm_nl_msg *m)
{
	int a, first = 1;

	printf("\"stats\":{");
	for (a = VHOST_SHMEM_A_STATS_REGION_CREATES; a <= VHOST_SHMEM_A_STATS_MAX; a++) {
		if (!(m->stats_present & (1ULL << a)))
			continue;
		printf("%s\"%s\":%llu", first ? "" : ",",
		       vshm_nl_stat_name(a), m->stats[a]);
		first = 0;
	}
	printf("}");
}

static void json_ctx(const struct vshm_nl_msg *m)
{
	printf("\"id\":%u,\"pid\":%u,\"comm\":", m->ctx_id,
	       m->pid);
	json_string(m->comm);
	printf(",\"created_ns\":%llu", m->created);
}

static void json_mapping(const struct vshm_nl_msg *m, int full)
{
	printf("\"shmid\":%u,\"shm_offset\":%llu,\"len\":%llu",
	       m->shmid, m->shm_offset, m->len);
	if (!full)
		return;
	printf(",\"rw\":%s,\"flags\":%u,\"fd_offset\":%llu",
	       m->flags & VHOST_SHMEM_MAP_F_RW ? "true" : "false", m->flags,
	       m->fd_offset);
	printf(",\"dev\":%llu,\"dev_major\":%u,\"dev_minor\":%u",
	       m->dev, major(m->dev), minor(m->dev));
	printf(",\"ino\":%llu,\"resident\":%llu", m->ino, m->resident);
}

/*
 * {"contexts":[{ctx..., "regions":[{region..., "mappings":[{...}]}]}]}:
 * the dump is ordered, so nesting only needs to know what is open.
 */
static void show_json(const struct vshm_nl_msgs *d, int summary, int consistent)
{
	const struct vshm_nl_msg *m;
	int in_ctx = 0, in_region = 0, nregions = 0, nmaps = 0;
	size_t i;

	printf("{\"contexts\":[");
	for (i = 0; i < d->n; i++) {
		m = &d->m[i];
		switch (m->cmd) {
		case VHOST_SHMEM_CMD_CTX_GET:
			if (in_region)
				printf("]}");
			if (in_ctx)
				printf("]},");
			printf("{");
			json_ctx(m);
			printf(",\"nr_regions\":%u,", m->nr_regions);
			json_stats(m);
			printf(",\"regions\":[");
			in_ctx = 1;
			in_region = 0;
			nregions = 0;
			break;
		case VHOST_SHMEM_CMD_REGION_GET:
			if (in_region)
				printf("]}");
			printf("%s{\"shmid\":%u,\"size\":%llu,",
			       nregions++ ? "," : "", m->shmid, m->size);
			printf("\"nr_mappings\":%u,\"mapped\":%llu,",
			       m->nr_mappings, m->mapped);
			printf("\"resident\":%llu,\"pinned\":%llu",
			       m->resident, m->pinned);
			printf(summary ? "" : ",\"mappings\":[");
			in_region = !summary;
			if (summary)
				printf("}");
			nmaps = 0;
			break;
		case VHOST_SHMEM_CMD_MAPPING_GET:
			printf("%s{", nmaps++ ? "," : "");
			json_mapping(m, 1);
			printf("}");
			break;
		}
	}
	if (in_region)
		printf("]}");
	if (in_ctx)
		printf("]}");
	printf("],\"consistent\":%s}\n", consistent ? "true" : "false");
}

/*
 * Whether three dumps (contexts, regions, mappings) that each completed
 * without NLM_F_DUMP_INTR describe one state: every context's region
 * count matches the regions listed for it, every region's mapping count
 * the mappings listed for it (unless @summary), and nothing is listed for
 * a context or region the earlier dump did not have.  A change between
 * two dumps breaks one of these.
 */
static bool dumps_agree(const struct vshm_nl_msgs *d, bool summary)
{
	size_t i, j;
	__u32 n;

	for (i = 0; i < d->n; i++) {
		const struct vshm_nl_msg *m = &d->m[i];
		__u8 want = m->cmd == VHOST_SHMEM_CMD_CTX_GET ?
			    VHOST_SHMEM_CMD_REGION_GET :
			    VHOST_SHMEM_CMD_MAPPING_GET;
		bool found = false;

		if (m->cmd == VHOST_SHMEM_CMD_MAPPING_GET ||
		    (m->cmd == VHOST_SHMEM_CMD_REGION_GET && summary))
			continue;
		for (n = 0, j = 0; j < d->n; j++) {
			const struct vshm_nl_msg *o = &d->m[j];

			if (o->cmd == want && o->ctx_id == m->ctx_id &&
			    (want == VHOST_SHMEM_CMD_REGION_GET ||
			     o->shmid == m->shmid))
				n++;
		}
		if (n != (m->cmd == VHOST_SHMEM_CMD_CTX_GET ? m->nr_regions :
							   m->nr_mappings))
			return false;
		/* And each region's context, and mapping's region, exists. */
		if (m->cmd == VHOST_SHMEM_CMD_CTX_GET)
			continue;
		for (j = 0; j < d->n && !found; j++)
			found = d->m[j].cmd == VHOST_SHMEM_CMD_CTX_GET &&
				d->m[j].ctx_id == m->ctx_id;
		if (!found)
			return false;
	}
	return true;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "summary", no_argument, NULL, 's' },
		{ "pid", required_argument, NULL, 'p' },
		{ "ctx", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct vshm_nl_filter filter = {};
	struct vshm_nl_msgs d = {};
	struct vshm_nl *nl;
	int json = 0, c, ret, tries;
	unsigned long v;
	char *end;

	while ((c = getopt_long(argc, argv, "jsp:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 's':
			filter.no_mappings = true;
			break;
		case 'p':
		case 'c':
			errno = 0;
			v = strtoul(optarg, &end, 0);

			if (errno || *end || !*optarg || !v || v > 0xffffffffUL) {
				fprintf(stderr, "vshmctl: bad %s: %s\n",
					c == 'p' ? "pid" : "context id", optarg);
				return 2;
			}
			if (c == 'p')
				filter.pid = v;
			else
				filter.ctx_id = v;
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (optind != argc)
		return usage(stderr, 2);

	ret = vshm_nl_open(&nl);
	if (ret)
		return fail("netlink", ret);
	for (tries = 0; tries < DUMP_TRIES; tries++) {
		d.n = 0;
		ret = vshm_nl_dump(nl, &filter, vshm_nl_collect, &d);
		if (!ret && !dumps_agree(&d, filter.no_mappings))
			ret = -EINTR;
		if (ret != -EINTR)
			break;
	}
	vshm_nl_close(nl);
	vshm_nl_msgs_sort(&d);
	if (ret == -EINTR)
		fprintf(stderr, "vshmctl: %s during %d dumps; %s\n",
			"contexts kept changing", DUMP_TRIES,
			"this view may mix states");
	else if (ret)
		return fail("dump", ret);

	if (json)
		show_json(&d, filter.no_mappings, ret != -EINTR);
	else
		show_human(&d);
	free(d.m);
	return 0;
}

struct monitor {
	int json;
	long count;
};

static int print_event(const struct vshm_nl_msg *m, void *arg)
{
	struct monitor *mon = arg;
	char b1[32], b2[32];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (mon->json) {
		printf("{\"time_ns\":%llu,\"event\":\"%s\",\"ctx\":%u",
		       (__u64)ts.tv_sec * 1000000000 + (__u64)ts.tv_nsec,
		       vshm_nl_cmd_name(m->cmd), m->ctx_id);
		if (m->cmd == VHOST_SHMEM_CMD_CTX_ADD_NTF) {
			printf(",");
			json_ctx(m);
		}
		if (VSHM_NL_HAS(m, VSHM_NL_F_SHMID) &&
		    !VSHM_NL_HAS(m, VSHM_NL_F_RANGE))
			printf(",\"shmid\":%u", m->shmid);
		if (VSHM_NL_HAS(m, VSHM_NL_F_SIZE))
			printf(",\"size\":%llu", m->size);
		if (VSHM_NL_HAS(m, VSHM_NL_F_RANGE)) {
			printf(",");
			json_mapping(m, VSHM_NL_HAS(m, VSHM_NL_F_FILE));
		}
		printf("}\n");
	} else {
		localtime_r(&ts.tv_sec, &tm);
		strftime(b1, sizeof(b1), "%H:%M:%S", &tm);
		printf("%s.%06ld %-10s ctx %u", b1, ts.tv_nsec / 1000,
		       vshm_nl_cmd_name(m->cmd), m->ctx_id);
		if (m->cmd == VHOST_SHMEM_CMD_CTX_ADD_NTF)
			printf(" pid %u (%s)", m->pid, m->comm);
		if (VSHM_NL_HAS(m, VSHM_NL_F_SHMID))
			printf(" shmid %u", m->shmid);
		if (VSHM_NL_HAS(m, VSHM_NL_F_SIZE))
			printf(" size %s", human(b2, sizeof(b2), m->size));
		if (VSHM_NL_HAS(m, VSHM_NL_F_RANGE))
			printf(" offset 0x%llx len %s", m->shm_offset,
			       human(b2, sizeof(b2), m->len));
		if (VSHM_NL_HAS(m, VSHM_NL_F_FILE))
			printf(" %s file %u:%u %llu at 0x%llx",
			       m->flags & VHOST_SHMEM_MAP_F_RW ? "rw" : "ro",
			       major(m->dev), minor(m->dev), m->ino,
			       m->fd_offset);
		printf("\n");
	}
	fflush(stdout);
	return mon->count > 0 && !--mon->count;
}

static int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct monitor mon = {};
	struct sigaction sa = { .sa_handler = on_signal };
	struct vshm_nl *nl;
	char *end;
	int c, ret;

	while ((c = getopt_long(argc, argv, "jn:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			mon.json = 1;
			break;
		case 'n':
			mon.count = strtol(optarg, &end, 0);
			if (*end || !*optarg || mon.count <= 0) {
				fprintf(stderr, "vshmctl: bad count: %s\n", optarg);
				return 2;
			}
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (optind != argc)
		return usage(stderr, 2);

	/* No SA_RESTART: the signal must end the wait for events. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ret = vshm_nl_open(&nl);
	if (ret)
		return fail("netlink", ret);
	ret = vshm_nl_subscribe(nl);
	if (ret) {
		vshm_nl_close(nl);
		return fail("joining the events group", ret);
	}
	if (!mon.json)
		fprintf(stderr, "vshmctl: monitoring vhost-shmem events, ^C to stop\n");
	for (;;) {
		ret = vshm_nl_listen(nl, -1, print_event, &mon);
		if (ret == -ENOBUFS) {
			fprintf(stderr, "vshmctl: events were lost (receive buffer overrun)\n");
			continue;
		}
		break;
	}
	vshm_nl_close(nl);
	if (ret == -EINTR)
		return 0;
	if (ret < 0)
		return fail("events", ret);
	return 0;
}

int vshmctl_run(int argc, char **argv)
{
	/* The commands parse their options afresh on every call. */
	optind = 0;
	if (argc < 2)
		return usage(stderr, 2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help"))
		return usage(stdout, 0);
	if (!strcmp(argv[1], "show"))
		return cmd_show(argc - 1, argv + 1);
	if (!strcmp(argv[1], "monitor"))
		return cmd_monitor(argc - 1, argv + 1);
	fprintf(stderr, "vshmctl: unknown command: %s\n", argv[1]);
	return usage(stderr, 2);
}
