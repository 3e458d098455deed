// SPDX-License-Identifier: GPL-2.0
/*
 * vshm-demo: a vhost-user back-end maps its blobs into a KVM guest through
 * /dev/vhost-shmem, end to end.
 *
 * One static binary (the test VM's initramfs has no C library and gets only
 * this file): it creates a socketpair as the vhost-user back-end channel,
 * forks the back-end (backend.c) and runs the VMM (vmm.c) itself.
 * The back-end sends SHMEM_MAP/UNMAP messages with its memfds; the VMM
 * relays them with VHOST_SHMEM_RELAY and, after each step, has the guest
 * read the region and prints what it read.  It exits non-zero if the guest
 * ever reads a blob's bytes where that blob is no longer mapped, or
 * anything else unexpected.
 *
 *   vshm-demo                 run both
 *   vshm-demo backend --fd N | --connect PATH   run only the back-end
 *   vshm-demo vmm --fd N | --listen PATH        run only the VMM
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "demo.h"

/* vshm-demo backend: the back-end alone, on a descriptor or a socket path. */
static int backend_main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int sock;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--fd")) {
		sock = atoi(argv[2]);
	} else if (argc == 3 && !strcmp(argv[1], "--connect") &&
		   strlen(argv[2]) < sizeof(sun.sun_path)) {
		memcpy(sun.sun_path, argv[2], strlen(argv[2]) + 1);
		sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (sock < 0 ||
		    connect(sock, (struct sockaddr *)&sun, sizeof(sun))) {
			perror(argv[2]);
			return 2;
		}
	} else {
		fprintf(stderr, "usage: vshm-demo backend --fd N | --connect PATH\n");
		return 2;
	}
	return vshm_backend_run(sock, stdout);
}

/* vshm-demo vmm: the VMM alone, on a descriptor or a listening socket. */
static int vmm_main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int sock, lsock;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--fd")) {
		sock = atoi(argv[2]);
	} else if (argc == 3 && !strcmp(argv[1], "--listen") &&
		   strlen(argv[2]) < sizeof(sun.sun_path)) {
		memcpy(sun.sun_path, argv[2], strlen(argv[2]) + 1);
		lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (lsock < 0 ||
		    bind(lsock, (struct sockaddr *)&sun, sizeof(sun)) ||
		    listen(lsock, 1)) {
			perror(argv[2]);
			return 2;
		}
		sock = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
		close(lsock);
		unlink(argv[2]);
		if (sock < 0) {
			perror("accept");
			return 2;
		}
	} else {
		fprintf(stderr, "usage: vshm-demo vmm --fd N | --listen PATH\n");
		return 2;
	}
	return vshm_vmm_run(sock, -1, stdout, NULL);
}

int main(int argc, char **argv)
{
	struct vshm_vmm_stats st;
	int sv[2], ready[2], status, rc;
	char c;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "backend"))
		return backend_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "vmm"))
		return vmm_main(argc - 1, argv + 1);
	if (argc > 1) {
		fprintf(stderr, "usage: vshm-demo [backend|vmm ARGS...]\n");
		return 2;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("vshm-demo: a vhost-user back-end maps blobs into a KVM guest\n");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ||
	    pipe2(ready, O_CLOEXEC)) {
		perror("socketpair");
		return 2;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (!pid) {
		/* Start once the VMM is set up (or gone: EOF). */
		close(sv[1]);
		close(ready[1]);
		if (read(ready[0], &c, 1) != 1)
			_exit(1);
		close(ready[0]);
		_exit(vshm_backend_run(sv[0], stdout));
	}
	close(sv[0]);
	close(ready[0]);
	rc = vshm_vmm_run(sv[1], ready[1], stdout, &st);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status))) {
		printf("vshm-demo: the back-end failed\n");
		rc = 1;
	}
	if (rc == 4)
		rc = 1;
	printf("vshm-demo: %s\n", rc ? "FAILED" :
	       "the guest saw every blob while mapped, and never a stale one");
	return rc;
}
