/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_CLI_CHECKDLL_H
#define KOFFIX_CLI_CHECKDLL_H

/* `koffix check-dll`: the DLL legitimacy check from the command line (pe/check.h). */

#include <stdbool.h>
#include <stddef.h>

struct cli;

extern const char cli_usage_check_dll[];

/*
 * Runs `check-dll` (c->argv[0] == "check-dll", the global options already taken out; c->json
 * prints the check-dll JSON). Returns the exit status: 0 legitimate, 1 suspicious, 2
 * malicious, 3 not analysable (also an unreadable FILE), 64 bad usage.
 */
int cli_cmd_check_dll(const struct cli *c);

/* The folder of the check's data files: $KOFFIX_HOME/pe/data, else beside the executable,
 * else ./pe/data. */
void cli_pe_data_dir(char *out, size_t len);

#endif
