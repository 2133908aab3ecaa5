/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_CLI_COMMON_H
#define KOFFIX_CLI_COMMON_H

/* What the command implementations (server/cli*.c) share: the parsed command line and helpers. */

#include <stdbool.h>

#define EXIT_USAGE 64

struct app;

struct cli {
	const char *data;
	const char *backend;
	const char *agent;
	const char *kb;
	const char *flows;
	const char *catalogue;
	bool json;
	bool help;
	bool bare;         /* started with no arguments at all (a double-click on Windows) */
	int argc;          /* what is left once the global options are taken out; argv[0] is
			    * the command */
	char **argv;
};

/* Prints "koffix: <fmt with arg>" and the usage on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, const char *arg);

/* Reads "--name VALUE" or "--name=VALUE" at args[*i]; 1 taken, 0 other, -1 missing value. */
int cli_take_value(char **args, int n, int *i, const char *name, const char **out);

/* Opens the app for a command (templates: page templates; secrets: the server's state, the
 * flows, the repair journal and backend). Prints the error and returns 1 on failure. */
int cli_open_app(const struct cli *c, struct app *app, bool templates, bool secrets);

/* Command implementations in their own files. */
int cli_cmd_actions(const struct cli *c);
extern const char cli_usage_actions[];
int cli_cmd_ticket(const struct cli *c);
extern const char cli_usage_ticket[];
int cli_cmd_scan(const struct cli *c);
extern const char cli_usage_scan[];
int cli_cmd_readiness(const struct cli *c);
extern const char cli_usage_readiness[];
int cli_cmd_fleet(const struct cli *c);
extern const char cli_usage_fleet[];
int cli_cmd_policy(const struct cli *c);
extern const char cli_usage_policy[];

#endif
