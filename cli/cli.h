/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_CLI_H
#define KOFFIX_CLI_H

/* Runs the koffix command line; returns the process exit status (0, 1 or 64 for bad usage). */
int cli_main(int argc, char **argv);

#endif
