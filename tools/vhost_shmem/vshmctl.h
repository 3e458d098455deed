/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vshmctl's commands, callable without its main(): the vshmctl program
 * (vshmctl.c) and the netlink selftest run them.  The code is in
 * vshmctl_cmd.c, on vshm_nl.c and the YNL C library.
 */
#ifndef VSHMCTL_H
#define VSHMCTL_H

/**
 * vshmctl_run() - run one vshmctl command line
 * @argc: number of arguments in @argv
 * @argv: the arguments as main() gets them: the program's name, then the
 *	  command ("show", "monitor" or "help") and its options
 *
 * Prints what the command prints to stdout and its errors to stderr, as
 * the program does; "monitor" runs until it has printed the number of
 * events asked for, or until a signal interrupts it.  May be called more
 * than once: each call parses its options afresh.
 *
 * Return: the program's exit status: 0 success, 1 failure, 2 usage error.
 */
int vshmctl_run(int argc, char **argv);

#endif /* VSHMCTL_H */
