/* SPDX-License-Identifier: MIT */
/* `koffix scan`: read this PC (or open a scan saved on another) and report the findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../scan/scan.h"
#include "../app/app.h"
#include "cli_common.h"

const char cli_usage_scan[] =
	"usage: koffix scan [--json] [--out FILE] [--from FILE] [--min-free-mb N] [--days N]\n"
	"\n"
	"Reads what this PC can tell about the Kerio connector, changing nothing: Windows and\n"
	"Office, every Outlook profile's services and the DLLs they name, the connector's entries,\n"
	"Windows Installer and pending restarts, the installed DLL (checked by koffix), the\n"
	"Application and Defender event logs of the last N days (30), the new Outlook, free disk\n"
	"space, Remote Desktop and roaming profiles. Each source says whether it could be read.\n"
	"Findings come from the rules in wizard/data/scan-rules.json.\n"
	"\n"
	"  --json          print the scan as JSON ({version, computer, user, time, sources,\n"
	"                  facts, findings})\n"
	"  --out FILE      also write the JSON to FILE (a share, for administrators)\n"
	"  --from FILE     open a scan saved on another PC instead of reading this one (its\n"
	"                  findings are worked out again with these rules)\n"
	"  --min-free-mb N the free space below which the scan reports a problem (default: twice\n"
	"                  the connector's cache, at least 512 MB)\n"
	"\n"
	"Exit status: 0 no problem found, 1 problems found, 3 the scan could not run.\n";

#define EXIT_NO_SCAN 3

static int from_file(struct app *app, const char *path, cJSON **scan)
{
	char *text, err[400];
	size_t len;
	if (kx_read_file(path, SCAN_FILE_MAX, &text, &len) != 0) {
		fprintf(stderr, "koffix: cannot read the scan '%s' (missing, unreadable or over "
			"%u MiB)\n", path, SCAN_FILE_MAX >> 20);
		return EXIT_NO_SCAN;
	}
	cJSON *j = cJSON_ParseWithLength(text, len);
	free(text);
	int rc = j ? app_scan_open(app, j, scan, err, sizeof err) : KX_EINVAL;
	if (rc)
		fprintf(stderr, "koffix: '%s': %s\n", path, j ? err : "this is not a koffix scan: "
			"it is not JSON");
	cJSON_Delete(j);
	return rc ? EXIT_NO_SCAN : 0;
}

int cli_cmd_scan(const struct cli *c)
{
	const char *out = NULL, *from = NULL, *min_free = NULL, *days = NULL;
	for (int i = 1; i < c->argc; i++) {
		int t = cli_take_value(c->argv, c->argc, &i, "--out", &out);
		if (t == 0)
			t = cli_take_value(c->argv, c->argc, &i, "--from", &from);
		if (t == 0)
			t = cli_take_value(c->argv, c->argc, &i, "--min-free-mb", &min_free);
		if (t == 0)
			t = cli_take_value(c->argv, c->argc, &i, "--days", &days);
		if (t < 0)
			return cli_usage_error(cli_usage_scan, "option '%s' needs a value", c->argv[i]);
		if (t == 0)
			return cli_usage_error(cli_usage_scan, "unexpected argument '%s'", c->argv[i]);
	}
	cJSON *options = cJSON_CreateObject();
	char *end;
	if (min_free) {
		long long v = strtoll(min_free, &end, 10);
		if (*end || end == min_free || v < 0 || v > 100000000) {
			cJSON_Delete(options);
			return cli_usage_error(cli_usage_scan, "--min-free-mb takes a number of megabytes, not "
					   "'%s'", min_free);
		}
		cJSON_AddNumberToObject(options, "min_free_mb", (double)v);
	}
	if (days) {
		long v = strtol(days, &end, 10);
		if (*end || end == days || v < 1 || v > 365) {
			cJSON_Delete(options);
			return cli_usage_error(cli_usage_scan, "--days takes 1 to 365, not '%s'", days);
		}
		cJSON_AddNumberToObject(options, "days", (double)v);
	}
	struct app app;
	if (cli_open_app(c, &app, false, true)) {
		cJSON_Delete(options);
		return EXIT_NO_SCAN;
	}
	cJSON *scan = NULL;
	int rc = 0;
	char err[600];
	if (from) {
		rc = from_file(&app, from, &scan);
	} else if (app_scan(&app, options, &scan, err, sizeof err) != 0) {
		fprintf(stderr, "koffix: %s\n", err);
		rc = EXIT_NO_SCAN;
	}
	cJSON_Delete(options);
	if (rc == 0) {
		char *json = cJSON_Print(scan);
		if (out && kx_write_file_atomic(out, json, strlen(json)) != 0) {
			fprintf(stderr, "koffix: cannot write the scan to '%s'\n", out);
			rc = EXIT_NO_SCAN;
		}
		if (rc == 0 && c->json) {
			puts(json);
		} else if (rc == 0) {
			struct buf text;
			buf_init(&text, BUF_NOMAX);
			scan_text(scan, &text);
			fwrite(buf_cstr(&text), 1, text.len, stdout);
			buf_release(&text);
		}
		cJSON_free(json);
		if (rc == 0)
			rc = scan_exit_code(scan);
	}
	cJSON_Delete(scan);
	app_close(&app);
	return rc;
}
