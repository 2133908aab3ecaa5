/* SPDX-License-Identifier: MIT */
/*
 * `koffix readiness`: will the connector still work on this PC (or the PC of a saved scan) after
 * the planned Office or Windows upgrade? `koffix fleet import|report`: the same for many PCs,
 * from the scans they wrote to a share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/json.h"
#include "../common/policy.h"
#include "../common/util.h"
#include "../fleet/fleet.h"
#include "../scan/scan.h"
#include "../server/fleet_page.h"
#include "../app/app.h"
#include "cli_common.h"

const char cli_usage_readiness[] =
	"usage: koffix readiness [--office TARGET] [--windows TARGET] [--server VERSION]\n"
	"                        [--from SCAN] [--json]\n"
	"\n"
	"Before an upgrade: will the Kerio connector still work on this PC afterwards, and what\n"
	"must happen first? Reads this PC (a scan, changing nothing) or a scan saved on another\n"
	"PC, and checks it against the planned upgrade and the connector's support table:\n"
	"the connector is the server's release, its bitness is Office's, classic Outlook stays,\n"
	"and Windows and Office are ones the connector's release supports.\n"
	"\n"
	"  --office TARGET   the Office after the upgrade: 2013, 2016, 2019, 2021, 2024, 365 or\n"
	"                    new (the new Outlook), optionally with its bitness: 365-x64\n"
	"  --windows TARGET  the Windows after the upgrade: 7, 8.1, 10, 11 or server\n"
	"  --server VERSION  the Kerio Connect server's version (10.0.6); the connector must match\n"
	"                    (default: the ServerVersion of the administrator's policy, if set)\n"
	"  --from SCAN       a scan saved with koffix scan --out (else this PC is read)\n"
	"  --json            the answer as JSON ({computer, readiness, targets, checks, fix})\n"
	"A target left out means that part does not change.\n"
	"\n"
	"Exit status: 0 ready, 1 not ready, 3 koffix cannot tell (a fact it needs is not known,\n"
	"or the PC could not be read), 64 bad usage.\n";

const char cli_usage_fleet[] =
	"usage: koffix fleet import DIR...\n"
	"       koffix fleet report [--target-office T] [--target-windows T] [--server VERSION]\n"
	"                           [--sort COLUMN] [--ready STATE] [--finding ID]\n"
	"                           [--html FILE] [--csv FILE] [--json]\n"
	"\n"
	"The PCs of a fleet before an upgrade. Each PC writes its scan to a share (for example\n"
	"koffix.exe scan --json --out \\\\server\\share\\%COMPUTERNAME%.json from a start-up script\n"
	"or an Intune remediation); `import` reads every *.json file of each DIR into fleet.db in\n"
	"the data folder. The newest scan of each computer wins; a file that is not a koffix scan\n"
	"is named and skipped. `report` counts the PCs by connector, Office, Windows and finding,\n"
	"and checks each against the targets (as `koffix readiness` does).\n"
	"\n"
	"  --target-office T, --target-windows T, --server VERSION   as for koffix readiness\n"
	"  --sort COLUMN   computer, user, readiness, connector, office, windows, time, problems\n"
	"                  or findings; -COLUMN sorts descending\n"
	"  --ready STATE   only PCs that are ready, not_ready or unknown\n"
	"  --finding ID    only PCs with that finding (a scan rule's id)\n"
	"  --html FILE     also write the report as one HTML file (charts included, no script)\n"
	"  --csv FILE      also write the PCs as CSV\n"
	"  --json          print the report as JSON instead of text\n"
	"\n"
	"Exit status: import 0, or 1 when a folder could not be read or the database refused;\n"
	"report 0 all PCs ready, 1 some not ready, 3 none not ready but some unknown, or no\n"
	"computers, or the report could not be made or written; 64 bad usage.\n";

#define EXIT_CANNOT_TELL 3

static int read_scan(struct app *app, const char *from, cJSON **scan)
{
	char *text, err[600];
	size_t len;
	if (!from) {
		if (app_scan(app, NULL, scan, err, sizeof err) == 0)
			return 0;
		fprintf(stderr, "koffix: %s\n", err);
		return EXIT_CANNOT_TELL;
	}
	if (kx_read_file(from, SCAN_FILE_MAX, &text, &len) != 0) {
		fprintf(stderr, "koffix: cannot read the scan '%s'\n", from);
		return EXIT_CANNOT_TELL;
	}
	cJSON *j = cJSON_ParseWithLength(text, len);
	free(text);
	int rc = j ? app_scan_open(app, j, scan, err, sizeof err) : KX_EINVAL;
	cJSON_Delete(j);
	if (rc) {
		fprintf(stderr, "koffix: '%s': %s\n", from, j ? err : "this is not a koffix scan: it is "
			"not JSON");
		return EXIT_CANNOT_TELL;
	}
	return 0;
}

int cli_cmd_readiness(const struct cli *c)
{
	const char *office = NULL, *windows = NULL, *server = NULL, *from = NULL;
	for (int i = 1; i < c->argc; i++) {
		int t = cli_take_value(c->argv, c->argc, &i, "--office", &office);
		if (t == 0)
			t = cli_take_value(c->argv, c->argc, &i, "--windows", &windows);
		if (t == 0)
			t = cli_take_value(c->argv, c->argc, &i, "--server", &server);
		if (t == 0)
			t = cli_take_value(c->argv, c->argc, &i, "--from", &from);
		if (t < 0)
			return cli_usage_error(cli_usage_readiness, "option '%s' needs a value", c->argv[i]);
		if (t == 0)
			return cli_usage_error(cli_usage_readiness, "unexpected argument '%s'", c->argv[i]);
	}
	struct fleet_targets t;
	char err[300];
	if (fleet_targets_parse(office, windows, server, &t, err, sizeof err) != 0)
		return cli_usage_error(cli_usage_readiness, "%s", err);
	struct app app;
	if (cli_open_app(c, &app, false, true))
		return EXIT_CANNOT_TELL;
	/* The server's version the administrator set, unless one is given. */
	if (!server && *app.policy.server &&
	    fleet_targets_parse(office, windows, app.policy.server, &t, err, sizeof err) != 0) {
		fprintf(stderr, "koffix: the policy's ServerVersion is not a version (%s)\n", err);
		app_close(&app);
		return EXIT_CANNOT_TELL;
	}
	cJSON *scan = NULL;
	int rc = read_scan(&app, from, &scan);
	if (rc == 0) {
		cJSON *out = fleet_readiness_json(scan, &t, app.support);
		rc = fleet_ready_exit(out);
		if (c->json) {
			char *s = cJSON_Print(out);
			puts(s);
			cJSON_free(s);
		} else {
			struct buf text;
			buf_init(&text, BUF_NOMAX);
			fleet_readiness_json_text(out, &text);
			fwrite(buf_cstr(&text), 1, text.len, stdout);
			buf_release(&text);
		}
		cJSON_Delete(out);
	}
	cJSON_Delete(scan);
	app_close(&app);
	return rc;
}

static int fleet_import(const struct cli *c, struct app *app)
{
	if (c->argc < 3)
		return cli_usage_error(cli_usage_fleet, "%s", "fleet import needs a folder (DIR)");
	struct fleet_import_report rep = { 0 };
	struct buf log;
	buf_init(&log, BUF_NOMAX);
	int rc = 0;
	for (int i = 2; i < c->argc; i++)
		if (fleet_import_dir(app->fleet, app->scan_rules, c->argv[i], &rep, &log) != 0)
			rc = 1;
	if (c->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "imported", rep.imported);
		cJSON_AddNumberToObject(j, "older", rep.older);
		cJSON_AddNumberToObject(j, "skipped", rep.skipped);
		cJSON *lines = cJSON_AddArrayToObject(j, "log");
		for (char *p = log.data, *nl; p && *p; p = nl + 1) {
			nl = strchr(p, '\n');
			*nl = '\0';
			cJSON_AddItemToArray(lines, cJSON_CreateString(p));
		}
		char *s = cJSON_Print(j);
		puts(s);
		cJSON_free(s);
		cJSON_Delete(j);
	} else {
		fwrite(buf_cstr(&log), 1, log.len, stderr);
		printf("imported %d scan%s; left out %d older or repeated scan%s (the newest of each "
		       "computer is kept); skipped %d file%s that %s not koffix scans\n", rep.imported,
		       rep.imported == 1 ? "" : "s", rep.older, rep.older == 1 ? "" : "s", rep.skipped,
		       rep.skipped == 1 ? "" : "s", rep.skipped == 1 ? "is" : "are");
	}
	buf_release(&log);
	return rc;
}

static void report_text(const cJSON *rep, struct buf *out)
{
	const cJSON *ready = cJSON_GetObjectItemCaseSensitive(rep, "ready");
	buf_addf(out, "%d computers: %d ready, %d not ready, %d cannot tell\n",
		 cJSON_GetObjectItemCaseSensitive(rep, "computers")->valueint,
		 cJSON_GetObjectItemCaseSensitive(ready, "ready")->valueint,
		 cJSON_GetObjectItemCaseSensitive(ready, "not_ready")->valueint,
		 cJSON_GetObjectItemCaseSensitive(ready, "unknown")->valueint);
	static const struct { const char *key, *heading; } groups[] = {
		{ "by_connector", "Connector" }, { "by_office", "Office" },
		{ "by_windows", "Windows" }, { "by_finding", "Findings" },
	};
	for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
		buf_addf(out, "\n%s:\n", groups[g].heading);
		const cJSON *x;
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(rep, groups[g].key))
			buf_addf(out, "  %6d  %s%s%s\n", cJSON_GetObjectItemCaseSensitive(x, "count")->valueint,
				 kx_json_str(x, "value"), kx_json_str(x, "title") ? ": " : "",
				 kx_json_str_or(x, "title", ""));
	}
	buf_addf(out, "\n%-24s %-10s %-12s %-12s %-8s %s\n", "COMPUTER", "READINESS", "CONNECTOR",
		 "OFFICE", "WINDOWS", "FIRST FIX");
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(rep, "pcs")) {
		char conn[48], office[32];
		snprintf(conn, sizeof conn, "%s %s", kx_json_str(p, "connector"), kx_json_str(p, "connector_bits"));
		snprintf(office, sizeof office, "%s %s", kx_json_str(p, "office"), kx_json_str(p, "office_bits"));
		buf_addf(out, "%-24s %-10s %-12s %-12s %-8s %s\n", kx_json_str(p, "computer"),
			 kx_json_str(p, "readiness"), conn, office, kx_json_str(p, "windows"),
			 kx_json_str(p, "fix"));
	}
}

static int write_out(const char *path, const struct buf *b)
{
	/* Private (0600): a report names every computer and user of the fleet. */
	if (kx_write_file_private(path, b->data ? b->data : "", b->len) == 0)
		return 0;
	fprintf(stderr, "koffix: cannot write '%s'\n", path);
	return EXIT_CANNOT_TELL;
}

static int fleet_report_cmd(const struct cli *c, struct app *app)
{
	const char *office = NULL, *windows = NULL, *server = NULL, *sort = NULL, *ready = NULL;
	const char *finding = NULL, *html = NULL, *csv = NULL;
	for (int i = 2; i < c->argc; i++) {
		const struct { const char *name; const char **dst; } opts[] = {
			{ "--target-office", &office }, { "--target-windows", &windows },
			{ "--server", &server }, { "--sort", &sort }, { "--ready", &ready },
			{ "--finding", &finding }, { "--html", &html }, { "--csv", &csv },
		};
		int t = 0;
		for (size_t o = 0; o < sizeof opts / sizeof opts[0] && t == 0; o++)
			t = cli_take_value(c->argv, c->argc, &i, opts[o].name, opts[o].dst);
		if (t < 0)
			return cli_usage_error(cli_usage_fleet, "option '%s' needs a value", c->argv[i]);
		if (t == 0)
			return cli_usage_error(cli_usage_fleet, "unexpected argument '%s'", c->argv[i]);
	}
	struct fleet_targets t;
	char err[300];
	if (fleet_targets_parse(office, windows, server, &t, err, sizeof err) != 0)
		return cli_usage_error(cli_usage_fleet, "%s", err);
	/* The server's version the administrator set, unless one is given. */
	if (!server && *app->policy.server &&
	    fleet_targets_parse(office, windows, app->policy.server, &t, err, sizeof err) != 0) {
		fprintf(stderr, "koffix: the policy's ServerVersion is not a version (%s)\n", err);
		return EXIT_CANNOT_TELL;
	}
	if (sort && !fleet_sort_key_valid(sort))
		return cli_usage_error(cli_usage_fleet, "--sort takes computer, user, readiness, "
				       "connector, office, windows, time, problems or findings, not '%s'", sort);
	if (ready && strcmp(ready, "ready") && strcmp(ready, "not_ready") && strcmp(ready, "unknown"))
		return cli_usage_error(cli_usage_fleet, "--ready takes ready, not_ready or unknown, "
				       "not '%s'", ready);
	cJSON *rep = fleet_report(app->fleet, &t, app->support, sort, ready, finding);
	int rc = 0;
	if (csv) {
		struct buf b;
		buf_init(&b, BUF_NOMAX);
		fleet_csv(rep, &b);
		rc = write_out(csv, &b);
		buf_release(&b);
	}
	if (html) {
		struct buf b;
		buf_init(&b, BUF_NOMAX);
		if (fleet_page_standalone(app, rep, &b, err, sizeof err) != 0) {
			fprintf(stderr, "koffix: the HTML report could not be built: %s\n", err);
			rc = EXIT_CANNOT_TELL;
		} else if (write_out(html, &b) != 0) {
			rc = EXIT_CANNOT_TELL;
		}
		buf_release(&b);
	}
	if (c->json) {
		char *s = cJSON_Print(rep);
		puts(s);
		cJSON_free(s);
	} else {
		struct buf b;
		buf_init(&b, BUF_NOMAX);
		report_text(rep, &b);
		fwrite(buf_cstr(&b), 1, b.len, stdout);
		buf_release(&b);
	}
	if (rc == 0) {
		/* An empty fleet (nothing imported, or another data folder) is not "all ready". */
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(rep, "ready");
		rc = cJSON_GetObjectItemCaseSensitive(r, "not_ready")->valueint ? 1 :
		     cJSON_GetObjectItemCaseSensitive(r, "unknown")->valueint ||
		     !cJSON_GetObjectItemCaseSensitive(rep, "computers")->valueint ? EXIT_CANNOT_TELL : 0;
		if (!cJSON_GetObjectItemCaseSensitive(rep, "computers")->valueint)
			fprintf(stderr, "koffix: the fleet has no computers yet: import their scans "
				"with koffix fleet import DIR\n");
	}
	cJSON_Delete(rep);
	return rc;
}

int cli_cmd_fleet(const struct cli *c)
{
	if (c->argc < 2 || (strcmp(c->argv[1], "import") && strcmp(c->argv[1], "report")))
		return cli_usage_error(cli_usage_fleet, "%s", c->argc < 2 ? "fleet needs import or "
				       "report" : "fleet takes import or report");
	bool report = !strcmp(c->argv[1], "report");
	struct app app;
	if (cli_open_app(c, &app, report, true))
		return report ? EXIT_CANNOT_TELL : 1;
	int rc = report ? fleet_report_cmd(c, &app) : fleet_import(c, &app);
	app_close(&app);
	return rc;
}

const char cli_usage_policy[] =
	"usage: koffix policy [--json]\n"
	"\n"
	"Shows what the administrator set for koffix on this PC (" POLICY_KEY "):\n"
	"ConnectorInstaller, ServerVersion, AllowedRepairs and TicketDestination, each with what it\n"
	"does. Outside Windows there is no registry: the policy is reported as not available.\n";

int cli_cmd_policy(const struct cli *c)
{
	if (c->argc > 1)
		return cli_usage_error(cli_usage_policy, "unexpected argument '%s'", c->argv[1]);
	struct kx_policy p;
	kx_policy_read(&p);
	cJSON *j = kx_policy_json(&p);
	if (c->json) {
		char *s = cJSON_Print(j);
		puts(s);
		cJSON_free(s);
	} else if (!p.available) {
		printf("The policy is not available: %s.\n", p.why);
	} else {
		printf("Policy of this PC (%s):\n", POLICY_KEY);
		const cJSON *v;
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "values"))
			printf("  %-19s %s\n", kx_json_str(v, "name"), *kx_json_str(v, "value") ?
			       kx_json_str(v, "value") : "(not set)");
	}
	cJSON_Delete(j);
	return p.available ? 0 : 3;
}
