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

#include <sys/socket.h>
#include <sys/wait.h>

#include "vshm_demo.h"
#include "kselftest_harness.h"

TEST(backend_to_guest)
{
	struct vshm_vmm_stats st;
	int sv[2], status, rc;
	FILE *out;
	pid_t pid;

	if (access("/dev/kvm", F_OK))
		SKIP(return, "/dev/kvm missing");
	if (access(VSHM_DEV, F_OK))
		SKIP(return, VSHM_DEV " missing: is vhost_shmem loaded?");
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	/* Their chatter goes to stderr, not into the TAP output. */
	out = stderr;
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(sv[1]);
		_exit(vshm_backend_run(sv[0], out));
	}
	close(sv[0]);
	rc = vshm_vmm_run(sv[1], -1, out, &st);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TH_LOG("%u steps, %u relayed, %u failed, %u pages ok, %u holes, %u bad",
	       st.steps, st.relayed, st.failed, st.pages_ok, st.holes, st.bad);
	EXPECT_EQ(0, rc);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Six steps; nine MAP/UNMAP, of which the overlapping MAP failed. */
	EXPECT_EQ(6, st.steps);
	EXPECT_EQ(9, st.relayed);
	EXPECT_EQ(1, st.failed);
	EXPECT_EQ(0, st.bad);
	/* 2+3, 2+3, 3, 2+3, 2+1, 0 pages mapped after each step. */
	EXPECT_EQ(21, st.pages_ok);
	EXPECT_EQ(6 * 16 - 21, st.holes);
}

TEST_HARNESS_MAIN
