// SPDX-License-Identifier: GPL-2.0
/*
 * vshmctl: show what vhost-shmem contexts map, and watch it change.
 *
 *   vshmctl show [-j] [-s] [-p PID] [-c ID]
 *   vshmctl monitor [-j] [-n COUNT]
 *
 * The commands are in vshmctl_cmd.c.  See
 * Documentation/userspace-api/vshmctl.rst.
 */
#include <stdio.h>

#include "vshmctl.h"

int main(int argc, char **argv)
{
	/* One line at a time: monitor's events reach a pipe as they come. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	return vshmctl_run(argc, argv);
}
