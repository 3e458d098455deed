// SPDX-License-Identifier: GPL-2.0
/*
 * The back-end to guest flow end to end: the demo's back-end (a child
 * process) sends SHMEM_MAP/UNMAP with its blobs over a socketpair, the
 * demo's VMM relays them through libvshm and VHOST_SHMEM_RELAY, and a real
 * vCPU reads the region after every step.  The guest must see each blob's
 * bytes while it is mapped and never a stale one; the back-end's deliberately
 * overlapping MAP must get a non-zero reply (the back-end checks it).
 */
#include "vshm_test_util.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "libvshm.h"
#include "demo.h"
#include "kselftest_harness.h"

/* The demo's flow; 0 when it went as expected, else which check failed. */
static int demo_flow(struct vshm_vmm_stats *st)
{
	int sv[2], status, rc;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 10;
	/* Their chatter goes to stderr, not into the TAP output. */
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 11;
	if (!pid) {
		close(sv[1]);
		_exit(vshm_backend_run(sv[0], stderr));
	}
	close(sv[0]);
	rc = vshm_vmm_run(sv[1], -1, stderr, st);
	if (waitpid(pid, &status, 0) != pid)
		return 12;
	if (rc)
		return 13;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return 14;
	return 0;
}

/* The gid of group @name in /etc/group (static binaries have no NSS). */
static int group_id(const char *name)
{
	char line[256], *gid;
	FILE *f = fopen("/etc/group", "re");
	int id = -1;
	size_t n = strlen(name);

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) || line[n] != ':')
			continue;
		gid = strchr(line + n + 1, ':');
		if (gid)
			id = atoi(gid + 1);
		break;
	}
	if (f)
		fclose(f);
	return id;
}

/*
 * Runs @fn in a child process with the credentials of user @uid, primary
 * group @gid and the @ngroups supplementary groups at @groups; returns its
 * exit status, or -1.
 */
static int run_as(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
		  int (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid))
			_exit(100);
		_exit(fn());
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Whether @path is a device of group @gid with mode 0660, as udev left it. */
static bool udev_applied(const char *path, int gid)
{
	struct stat st;

	return !stat(path, &st) && (int)st.st_gid == gid &&
	       (st.st_mode & 07777) == 0660;
}

static int unprivileged_demo(void)
{
	struct vshm_vmm_stats st;
	int rc = demo_flow(&st);

	if (rc)
		return rc;
	return st.steps == 6 && st.bad == 0 && st.pages_ok == 21 ? 0 : 20;
}

/* Opening the device without access: EACCES, and a message saying why. */
static int refused_open(void)
{
	struct libvshm v;
	char buf[512];
	int ret;

	ret = libvshm_open(&v, NULL);
	if (ret != -EACCES)
		return 30;
	libvshm_strerror(&v, ret, buf, sizeof(buf));
	fprintf(stderr, "as user 1001: %s\n", buf);
	return strstr(buf, "group") && strstr(buf, "kvm") ? 0 : 31;
}

TEST(backend_to_guest)
{
	struct vshm_vmm_stats st = { 0 };

	if (access("/dev/kvm", F_OK))
		SKIP(return, "/dev/kvm missing");
	if (access(VSHM_DEV, F_OK))
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	EXPECT_EQ(0, demo_flow(&st));
	TH_LOG("%u steps, %u relayed, %u failed, %u pages ok, %u holes, %u bad",
	       st.steps, st.relayed, st.failed, st.pages_ok, st.holes, st.bad);
	/* Six steps; nine MAP/UNMAP, of which the overlapping MAP failed. */
	EXPECT_EQ(6, st.steps);
	EXPECT_EQ(9, st.relayed);
	EXPECT_EQ(1, st.failed);
	EXPECT_EQ(0, st.bad);
	/* 2+3, 2+3, 3, 2+3, 2+1, 0 pages mapped after each step. */
	EXPECT_EQ(21, st.pages_ok);
	EXPECT_EQ(6 * 16 - 21, st.holes);
}

/*
 * With the udev rule applied, a VMM that runs as an ordinary user in group
 * kvm (as crosvm and cloud-hypervisor usually do) runs the whole demo; a
 * user outside the group is refused with EACCES and a message that says
 * what to do.
 */
TEST(unprivileged_vmm_in_group_kvm)
{
	int kvm = group_id("kvm");
	gid_t groups[1];

	if (access("/dev/kvm", F_OK) || access(VSHM_DEV, F_OK))
		SKIP(return, "/dev/kvm or " VSHM_DEV " missing");
	if (geteuid())
		SKIP(return, "not root: cannot become another user");
	if (kvm < 0)
		SKIP(return, "no group kvm in /etc/group");
	ASSERT_TRUE(udev_applied(VSHM_DEV, kvm))
		TH_LOG(VSHM_DEV " is not group kvm, mode 0660: the udev rule was not applied");
	ASSERT_TRUE(udev_applied("/dev/kvm", kvm));

	groups[0] = kvm;
	EXPECT_EQ(0, run_as(1000, 1000, groups, 1, unprivileged_demo));
	EXPECT_EQ(0, run_as(1001, 1001, NULL, 0, refused_open));
}

TEST_HARNESS_MAIN
