/* SPDX-License-Identifier: MIT */
/*
 * The command line: global options (anywhere on the line), then a command and its own options.
 * Exit codes: 0 success, 64 bad usage, 1 other failure (README.md; each command's --help).
 */
#include "cli.h"
#include "cli_common.h"
#include "cli_checkdll.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/platform.h"
#include "../common/util.h"
#include "../kb/kb.h"
#include "../repair-actions/ra.h"
#include "../wizard/wiz.h"
#include "../app/app.h"
#include "../server/handlers.h"
#include "../server/http.h"
#include "../server/site.h"



static const char usage_main[] =
	"usage: koffix [global options] <command> [options]\n"
	"\n"
	"Self-service help for Outlook and the Kerio Outlook Connector's kofmsp.dll.\n"
	"\n"
	"Commands:\n"
	"  serve                  the web app: help page, search (http://127.0.0.1:8080)\n"
	"  kb index               index the knowledge base (only changed articles)\n"
	"  kb search QUERY        search the knowledge base\n"
	"  kb export-site DIR     write the knowledge base as a static web site\n"
	"  flow check [FILE]      validate wizard flows (default: every installed flow)\n"
	"  actions list|plan|run|undo|show   repairs: plans, .cmd scripts, runs, undo\n"
	"  ticket SESSION --format json|eml|html|osticket|zammad   support ticket export\n"
	"  check-dll FILE         is this kofmsp.dll genuine, suspicious or malicious?\n"
	"  routes                 list the web app's routes\n"
	"  detect                 what the backend detects on the affected PC (--json)\n"
	"  scan                   read this PC (read only) and report findings (--json, --out)\n"
	"  readiness              before an upgrade: will the connector still work here? (exit 0/1/3)\n"
	"  fleet import|report    many PCs' scans: import them, report readiness (--html, --csv)\n"
	"  policy                 what the administrator set for koffix on this PC (--json)\n"
	"\n"
	"Global options:\n"
	"  --data DIR             database and state folder (default ./data; on Windows\n"
	"                         %LOCALAPPDATA%\\koffix)\n"
	"  --kb DIR               knowledge-base folder with articles/ (default: the installed kb/)\n"
	"  --flows DIR            wizard flows folder; tables in DIR/../data (default wizard/flows)\n"
	"  --catalogue FILE       repair catalogue (default repair-actions/catalogue.json)\n"
	"  --backend plan|agent|wine   how repairs reach Windows (default: agent on Windows,\n"
	"                         plan elsewhere)\n"
	"  --agent PATH           the Windows agent (default: koffix-agent.exe beside koffix)\n"
	"  --json                 print data as JSON\n"
	"  --help                 help for koffix or for a command\n";

static const char usage_serve[] =
	"usage: koffix serve [--port N] [--bind ADDR] [--token-file FILE] [--detected FILE] [--open]\n"
	"\n"
	"Indexes the knowledge base when needed and serves the web app. Prints the address to\n"
	"open, with this launch's access token, on standard output; stop with Ctrl+C.\n"
	"On Windows, koffix.exe started with no arguments (a double-click) is `serve --open`.\n"
	"\n"
	"  --port N      TCP port (default 8080; 0 picks a free one)\n"
	"  --open        open the address in the browser (KOFFIX_BROWSER names another program),\n"
	"                through a private file in the data folder: the token is never on a\n"
	"                command line;\n"
	"                when koffix already serves this data folder, only open that one; when\n"
	"                port 8080 is taken and --port is not given, use a free port\n"
	"  --bind ADDR   IPv4 address to listen on (default 127.0.0.1; anything else is exposed\n"
	"                to the network and is refused unless it is a loopback address)\n"
	"  --token-file FILE  fix the access token (8-128 letters, digits, '-', '_', '.', '~'):\n"
	"                the first line of FILE; or the environment variable KOFFIX_TOKEN.\n"
	"                (--token T still works but shows the token to every user of the PC)\n"
	"  --detected FILE  answers detected on the affected PC, as a JSON object (for example\n"
	"                the output of `koffix detect --json` there); the wizard shows them as\n"
	"                detected instead of asking\n";

static const char usage_flow[] =
	"usage: koffix flow check [FILE]\n"
	"\n"
	"Validates a wizard flow (default: every flow of the flows folder): unknown or unreachable\n"
	"nodes, cycles, answers with no way forward, bad conditions, articles missing from the KB,\n"
	"actions missing from the repair catalogue. Each problem names its node. Without FILE, the\n"
	"scan's rules beside the flows (../data/scan-rules.json) are checked too, each problem\n"
	"naming its rule. Exit 1 on any.\n";

static const char usage_kb[] =
	"usage: koffix kb index\n"
	"       koffix kb search [--limit N] QUERY\n"
	"       koffix kb export-site DIR\n"
	"\n"
	"index        parse and index changed articles; refused articles are named with their\n"
	"             line; exit 1 when any article was refused (the others are indexed)\n"
	"search       best matches first (--json for the API's JSON)\n"
	"export-site  the KB as plain HTML files for any intranet web server (no JavaScript)\n";

static const char usage_routes[] =
	"usage: koffix routes [--json]\n"
	"\n"
	"Lists every route of the web app with what it needs (launch token, body size).\n";

int cli_usage_error(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "koffix: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n\n%s", usage);
	return EXIT_USAGE;
}

/* Takes a global option at argv[*i]; returns 1 when taken, 0 when not global, -1 on error. */
static int take_global(struct cli *c, int argc, char **argv, int *i)
{
	static const char *const with_value[] = { "--data", "--backend", "--agent", "--kb",
						  "--flows", "--catalogue" };
	const char *a = argv[*i];
	if (strcmp(a, "--json") == 0) {
		c->json = true;
		return 1;
	}
	if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
		c->help = true;
		return 1;
	}
	for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
		size_t n = strlen(with_value[k]);
		const char *v = NULL;
		if (strcmp(a, with_value[k]) == 0) {
			if (*i + 1 >= argc)
				return -1;
			v = argv[++*i];
		} else if (strncmp(a, with_value[k], n) == 0 && a[n] == '=') {
			v = a + n + 1;
		} else {
			continue;
		}
		const char **slot[] = { &c->data, &c->backend, &c->agent, &c->kb, &c->flows,
					&c->catalogue };
		*slot[k] = v;
		return 1;
	}
	return 0;
}

/* Reads "--name VALUE" or "--name=VALUE" at args[*i]; 1 taken, 0 other, -1 missing value. */
int cli_take_value(char **args, int n, int *i, const char *name, const char **out)
{
	size_t len = strlen(name);
	if (strcmp(args[*i], name) == 0) {
		if (*i + 1 >= n)
			return -1;
		*out = args[++*i];
		return 1;
	}
	if (strncmp(args[*i], name, len) == 0 && args[*i][len] == '=') {
		*out = args[*i] + len + 1;
		return 1;
	}
	return 0;
}

static bool token_shape_ok(const char *t)
{
	size_t n = strlen(t);
	if (n < 8 || n > 128)
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
		      *t == '-' || *t == '_' || *t == '.' || *t == '~'))
			return false;
	return true;
}

int cli_open_app(const struct cli *c, struct app *app, bool templates, bool secrets)
{
	struct app_options o = { .data_dir = c->data, .kb_dir = c->kb, .flows_dir = c->flows,
				 .catalogue = c->catalogue, .need_templates = templates,
				 .need_secrets = secrets, .need_flows = secrets,
				 .backend = c->backend, .agent = c->agent };
	char err[512];
	if (app_open(app, &o, err, sizeof err) != 0) {
		fprintf(stderr, "koffix: %s\n", err);
		app_close(app);
		return 1;
	}
	return 0;
}

/*
 * The running server of a data folder, in DATA/server.json ({"pid", "url"}), so that a second
 * double-click opens the first server instead of starting another. The folder is the person's
 * own (it holds the server's secret already).
 */
static void running_path(const char *data_dir, char *out, size_t len)
{
	snprintf(out, len, "%.4000s/server.json", data_dir);
}

/* The record of data_dir: its process id and address. false when there is none or it is not
 * of that shape. */
static bool read_running(const char *data_dir, long long *pid, char *url, size_t urllen)
{
	char path[APP_PATH_MAX + 16], *text;
	running_path(data_dir, path, sizeof path);
	if (kx_read_file(path, 4096, &text, NULL) != 0)
		return false;
	cJSON *o = cJSON_Parse(text);
	free(text);
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "pid");
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "url");
	bool ok = cJSON_IsNumber(p) && cJSON_IsString(u);
	if (ok) {
		*pid = (long long)p->valuedouble;
		snprintf(url, urllen, "%s", u->valuestring);
	}
	cJSON_Delete(o);
	return ok;
}

/*
 * Opens the browser on url without putting the launch token on a command line, where any
 * user of the PC could read it (ps, Task Manager): the browser opens a private file,
 * DATA/open.html (0600), that sends it on to url, as Jupyter does.
 */
static int open_browser(const char *data_dir, const char *url)
{
	char path[APP_PATH_MAX + 16], abs[APP_PATH_MAX + 16];
	snprintf(path, sizeof path, "%.4000s/open.html", data_dir);
	struct buf page;
	buf_init(&page, 8192);
	buf_adds(&page, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		 "<meta http-equiv=\"refresh\" content=\"0;url=");
	buf_adds(&page, url);  /* digits, dots, letters and the token's safe characters */
	buf_adds(&page, "\"><title>Opening koffix</title></head><body><p><a href=\"");
	buf_adds(&page, url);
	buf_adds(&page, "\">Open koffix</a></p></body></html>\n");
	int rc = kx_write_file_private(path, page.data, page.len);
	buf_release(&page);
	if (rc == 0)
		rc = plat_abs_path(path, abs, sizeof abs);
	if (rc == 0)
		rc = plat_open_url(abs);
	return rc;
}

/* The record is followed only while its process lives and its port answers: a process id can
 * be reused after a crash. */
static bool open_running(const struct cli *c)
{
	char dir[APP_PATH_MAX], url[300], host[16];
	long long pid;
	unsigned port = 0;
	if (app_data_dir(c->data, dir, sizeof dir) != 0 ||
	    !read_running(dir, &pid, url, sizeof url) ||
	    sscanf(url, "http://%15[0-9.]:%u/", host, &port) != 2 || !kx_str_starts(host, "127.") ||
	    !plat_process_alive(pid) || !plat_port_listens(host, port))
		return false;
	printf("%s\n", url);
	fflush(stdout);
	fprintf(stderr, "koffix: already running (process %lld); opening it in the browser\n", pid);
	if (open_browser(dir, url) != 0)
		fprintf(stderr, "koffix: could not start a browser: open the address above\n");
	return true;
}

static void write_running(const struct app *app, const char *url)
{
	char path[APP_PATH_MAX + 16];
	running_path(app->data_dir, path, sizeof path);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "pid", (double)plat_pid());
	cJSON_AddStringToObject(o, "url", url);
	char *s = cJSON_PrintUnformatted(o);
	if (kx_write_file_private(path, s, strlen(s)) != 0)
		fprintf(stderr, "koffix: cannot write '%s' (a second start will not find this one)\n",
			path);
	cJSON_free(s);
	cJSON_Delete(o);
}

static void remove_running(const struct app *app)
{
	char path[APP_PATH_MAX + 16], url[300];
	long long pid;
	running_path(app->data_dir, path, sizeof path);
	if (read_running(app->data_dir, &pid, url, sizeof url) && pid == plat_pid())
		remove(path);
}

static int cmd_serve(const struct cli *c)
{
	const char *port = NULL, *bind = NULL, *token = NULL, *detected = NULL, *token_file = NULL;
	bool open = c->bare;
	for (int i = 1; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--open") == 0) {
			open = true;
			continue;
		}
		int t = cli_take_value(c->argv, c->argc, &i, "--port", &port);
		if (!t)
			t = cli_take_value(c->argv, c->argc, &i, "--detected", &detected);
		if (!t)
			t = cli_take_value(c->argv, c->argc, &i, "--bind", &bind);
		if (!t)
			t = cli_take_value(c->argv, c->argc, &i, "--token", &token);
		if (!t)
			t = cli_take_value(c->argv, c->argc, &i, "--token-file", &token_file);
		if (t < 0)
			return cli_usage_error(usage_serve, "option '%s' needs a value", c->argv[i]);
		if (!t)
			return cli_usage_error(usage_serve, "unknown argument '%s'", c->argv[i]);
	}
	long portnum = 8080;
	if (port) {
		char *end;
		portnum = strtol(port, &end, 10);
		if (!*port || *end || portnum < 0 || portnum > 65535)
			return cli_usage_error(usage_serve, "--port takes a number from 0 to 65535, not '%s'",
					   port);
	}
	if (bind && strcmp(bind, "localhost") == 0)
		bind = "127.0.0.1";
	if (bind && strncmp(bind, "127.", 4) != 0)
		return cli_usage_error(usage_serve, "refusing to listen on '%s': koffix runs repairs with "
				   "your rights, so it only listens on a loopback address", bind);
	/* The token of a script: from a file or the environment (never a command line, which
	 * every user of the PC can read); --token still works, with a warning. */
	char token_buf[160] = "";
	if (token)
		fprintf(stderr, "koffix: warning: --token is visible to every user of this PC (ps); "
			"use --token-file FILE or KOFFIX_TOKEN instead\n");
	else if (token_file) {
		char *text;
		if (kx_read_file(token_file, 4096, &text, NULL) != 0)
			return cli_usage_error(usage_serve, "cannot read the --token-file '%s'", token_file);
		snprintf(token_buf, sizeof token_buf, "%.*s", (int)strcspn(text, "\r\n"), text);
		free(text);
		token = token_buf;
	} else if (getenv("KOFFIX_TOKEN") && *getenv("KOFFIX_TOKEN")) {
		snprintf(token_buf, sizeof token_buf, "%s", getenv("KOFFIX_TOKEN"));
		token = token_buf;
	}
	if (token && !token_shape_ok(token))
		return cli_usage_error(usage_serve, "%s", "the access token is not 8-128 letters, "
				   "digits, '-', '_', '.' or '~'");

	if (open && open_running(c))
		return 0;

	cJSON *det = NULL;
	if (detected) {
		char *text;
		if (kx_read_file(detected, 1u << 20, &text, NULL) != 0) {
			fprintf(stderr, "koffix: cannot read --detected file '%s'\n", detected);
			return 1;
		}
		det = cJSON_Parse(text);
		free(text);
		if (!cJSON_IsObject(det)) {
			cJSON_Delete(det);
			fprintf(stderr, "koffix: '%s' is not a JSON object of detected answers\n",
				detected);
			return 1;
		}
	}
	struct app app;
	if (cli_open_app(c, &app, true, true)) {
		cJSON_Delete(det);
		return 1;
	}
	/* With a backend that reaches a machine (wine, agent), detect on it unless a file says. */
	if (!det && app.backend && app.backend->detect) {
		if (open)
			fprintf(stderr, "koffix: looking at this PC (Windows, Office, the Kerio "
				"connector)...\n");
		det = app.backend->detect(app.backend);
	}
	app.detected = det;
	if (bind)
		snprintf(app.bind_addr, sizeof app.bind_addr, "%s", bind);
	app.port = (unsigned)portnum;
	if (token)
		snprintf(app.token, sizeof app.token, "%s", token);
	else if (kx_random_hex(app.token, 24) != 0) {
		fprintf(stderr, "koffix: cannot make an access token (no random source)\n");
		app_close(&app);
		return 1;
	}
	int irc = app_index(&app, true);
	if (irc && irc != KX_ESYNTAX) {
		app_close(&app);
		return 1;
	}

	/* Before MHD starts its threads, so that only the main thread sees a stop request. */
	plat_prepare_stop();

	char err[256];
	struct http_server *d = http_start(&app, err, sizeof err);
	if (!d && open && !port) {
		/* A double-click must not fail because another program has port 8080. */
		app.port = 0;
		d = http_start(&app, err, sizeof err);
	}
	if (!d) {
		fprintf(stderr, "koffix: %s\n", err);
		app_close(&app);
		return 1;
	}
	char url[300];
	snprintf(url, sizeof url, "http://%s:%u/?token=%s", app.bind_addr, app.port, app.token);
	printf("%s\n", url);
	fflush(stdout);
	if (open) {
		write_running(&app, url);
		fprintf(stderr, "koffix is running at the address above and keeps running while this "
			"window is open.\nClose the window or press Ctrl+C to stop it.\n");
		if (open_browser(app.data_dir, url) != 0)
			fprintf(stderr, "koffix: could not start a browser: open the address above\n");
	}
	int sig = plat_wait_for_stop();
	fprintf(stderr, "koffix: stopping (signal %d)\n", sig);
	http_stop(d);
	if (open)
		remove_running(&app);
	if (web_actions_running(&app)) {
		/* The repair thread still uses the journal: leave it be. Its run stays "running"
		 * in the journal, so the next start marks it interrupted and offers the rollback. */
		fprintf(stderr, "koffix: a repair was still running; the next start offers to roll "
			"it back\n");
		return 0;
	}
	app_close(&app);
	return 0;
}

static void print_results(const struct cli *c, const char *query, cJSON *results)
{
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "query", query);
		cJSON_AddItemToObject(o, "results", results);
		char *s = cJSON_Print(o);
		puts(s);
		cJSON_free(s);
		cJSON_Delete(o);
		return;
	}
	const cJSON *r;
	if (cJSON_GetArraySize(results) == 0)
		printf("No articles match '%s'.\n", query);
	cJSON_ArrayForEach(r, results)
		printf("%-44s %s\n", cJSON_GetObjectItemCaseSensitive(r, "slug")->valuestring,
		       cJSON_GetObjectItemCaseSensitive(r, "title")->valuestring);
	cJSON_Delete(results);
}

static int cmd_kb(const struct cli *c)
{
	if (c->argc < 2)
		return cli_usage_error(usage_kb, "%s", "kb needs a subcommand");
	const char *sub = c->argv[1];
	struct app app;
	int rc = 1;
	if (strcmp(sub, "index") == 0) {
		if (c->argc != 2)
			return cli_usage_error(usage_kb, "unexpected argument '%s'", c->argv[2]);
		if (cli_open_app(c, &app, false, false))
			return 1;
		rc = app_index(&app, false) == 0 ? 0 : 1;
	} else if (strcmp(sub, "search") == 0) {
		const char *query = NULL, *limit = NULL;
		for (int i = 2; i < c->argc; i++) {
			int t = cli_take_value(c->argv, c->argc, &i, "--limit", &limit);
			if (t < 0)
				return cli_usage_error(usage_kb, "option '%s' needs a value", c->argv[i]);
			if (t)
				continue;
			if (query || c->argv[i][0] == '-')
				return cli_usage_error(usage_kb, "unexpected argument '%s'", c->argv[i]);
			query = c->argv[i];
		}
		if (!query)
			return cli_usage_error(usage_kb, "%s", "kb search needs a QUERY");
		long n = 10;
		if (limit) {
			char *end;
			n = strtol(limit, &end, 10);
			if (*end || n < 1 || n > 100)
				return cli_usage_error(usage_kb, "--limit takes 1 to 100, not '%s'", limit);
		}
		if (cli_open_app(c, &app, false, false))
			return 1;
		int irc = app_index(&app, true);
		cJSON *results = (irc == 0 || irc == KX_ESYNTAX) ? kb_search(app.kb, query, (int)n)
								: NULL;
		if (results) {
			print_results(c, query, results);
			rc = 0;
		}
	} else if (strcmp(sub, "export-site") == 0) {
		if (c->argc != 3)
			return cli_usage_error(usage_kb, "%s", "kb export-site needs exactly one DIR");
		if (cli_open_app(c, &app, true, false))
			return 1;
		int irc = app_index(&app, true);
		rc = (irc == 0 || irc == KX_ESYNTAX) && site_export(&app, c->argv[2]) == 0 ? 0 : 1;
	} else {
		return cli_usage_error(usage_kb, "unknown kb subcommand '%s'", sub);
	}
	app_close(&app);
	return rc;
}

static int cmd_flow(const struct cli *c)
{
	if (c->argc < 2 || strcmp(c->argv[1], "check") || c->argc > 3)
		return cli_usage_error(usage_flow, "%s", "the command is: flow check [FILE]");
	struct app app;
	struct app_options o = { .data_dir = c->data, .kb_dir = c->kb, .flows_dir = c->flows,
				 .catalogue = c->catalogue };
	char err[512];
	if (app_open(&app, &o, err, sizeof err) != 0) {
		fprintf(stderr, "koffix: %s\n", err);
		app_close(&app);
		return 1;
	}
	/* The catalogue is read here, not by app_open, so that its absence is one more problem. */
	struct buf report;
	buf_init(&report, BUF_NOMAX);
	app.actions = ra_catalogue_load(app.catalogue_path, err, sizeof err);
	if (!app.actions)
		buf_addf(&report, "%s\n", err);
	char **files = NULL;
	size_t n = 0;
	if (c->argc == 3) {
		files = xmalloc(sizeof *files);
		files[n++] = xstrdup(c->argv[2]);
	} else {
		DIR *d = opendir(app.flows_dir);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			size_t len = strlen(e->d_name);
			if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json"))
				continue;
			files = xrealloc(files, (n + 1) * sizeof *files);
			size_t plen = strlen(app.flows_dir) + len + 2;
			files[n] = xmalloc(plen);
			snprintf(files[n++], plen, "%s/%s", app.flows_dir, e->d_name);
		}
		if (d)
			closedir(d);
		if (!n)
			buf_addf(&report, "%s: no flow files\n", app.flows_dir);
	}
	int ok = 0;
	for (size_t i = 0; i < n; i++) {
		struct wiz_flow *f = app_load_flow(&app, files[i], &report);
		if (f)
			printf("ok: %s (flow '%s')\n", files[i], wiz_flow_id(f)), ok++;
		wiz_flow_free(f);
		free(files[i]);
	}
	free(files);
	/* The scan's rules live beside the flows' tables and are checked with them. */
	char rules[APP_PATH_MAX + 32];
	int nrules = c->argc == 2 ? app_load_scan_rules(&app, &report, rules, sizeof rules) : 0;
	if (nrules > 0)
		printf("ok: %s (%d scan rules)\n", rules, nrules);
	fputs(buf_cstr(&report), stderr);
	int rc = report.len ? 1 : 0;
	buf_release(&report);
	app_close(&app);
	return rc;
}

static const char usage_detect[] =
	"usage: koffix detect [--json]\n"
	"\n"
	"Detects, through the backend, what the wizard would otherwise ask: Windows version, Office\n"
	"version, bitness and Click-to-Run or MSI, classic or new Outlook, the Outlook profiles and\n"
	"the default one, the profiles that hold the Kerio service, the connector and its DLL, and\n"
	"which mail programs run. --backend wine runs koffix-agent.exe in WINEPREFIX; the plan\n"
	"backend detects nothing (exit 1). --json prints {\"answers\", \"facts\"}.\n";

static int cmd_detect(const struct cli *c)
{
	if (c->argc != 1)
		return cli_usage_error(usage_detect, "unexpected argument '%s'", c->argv[1]);
	struct app app;
	if (cli_open_app(c, &app, false, true))
		return 1;
	cJSON *d = app.backend->detect ? app.backend->detect(app.backend) : NULL;
	int rc = 0;
	if (!d) {
		fprintf(stderr, "koffix: the '%s' backend detects nothing%s\n", app.backend->name,
			strcmp(app.backend->name, "plan") ? "" : ": use --backend wine or run koffix on "
			"the affected PC");
		rc = 1;
	} else {
		cJSON *facts = cJSON_DetachItemFromObjectCaseSensitive(d, "facts");
		if (c->json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddItemToObject(o, "answers", d);
			cJSON_AddItemToObject(o, "facts", facts ? facts : cJSON_CreateObject());
			char *s = cJSON_Print(o);
			puts(s);
			cJSON_free(s);
			cJSON_Delete(o);
		} else {
			const cJSON *a;
			cJSON_ArrayForEach(a, d)
				if (cJSON_IsString(a))
					printf("%-16s %s\n", a->string, a->valuestring);
			cJSON_Delete(d);
			cJSON_Delete(facts);
		}
	}
	app_close(&app);
	return rc;
}

static int cmd_routes(const struct cli *c)
{
	if (c->argc != 1)
		return cli_usage_error(usage_routes, "unexpected argument '%s'", c->argv[1]);
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; i < http_nroutes; i++) {
		const struct route *r = &http_routes[i];
		if (!c->json) {
			printf("%-5s %-28s %-6s %s\n", r->p.method, r->p.pattern,
			       (r->flags & ROUTE_TOKEN) ? "token" : "-", r->doc);
			continue;
		}
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "method", r->p.method);
		cJSON_AddStringToObject(o, "pattern", r->p.pattern);
		cJSON_AddBoolToObject(o, "token", (r->flags & ROUTE_TOKEN) != 0);
		cJSON_AddBoolToObject(o, "api", (r->flags & ROUTE_API) != 0);
		cJSON_AddNumberToObject(o, "body_max", (double)r->body_max);
		cJSON_AddStringToObject(o, "doc", r->doc);
		cJSON_AddItemToArray(list, o);
	}
	if (c->json) {
		char *s = cJSON_Print(list);
		puts(s);
		cJSON_free(s);
	}
	cJSON_Delete(list);
	return 0;
}

/* A double-clicked console window closes when koffix ends: let the person read why first. */
static void pause_before_exit(void)
{
	fprintf(stderr, "\nPress Enter to close this window.\n");
	int ch;
	while ((ch = getchar()) != EOF && ch != '\n')
		;
}

int cli_main(int argc, char **argv)
{
	plat_init();
	struct cli c = { 0 };
	c.argv = xcalloc((size_t)argc + 1, sizeof *c.argv);
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		int t = take_global(&c, argc, argv, &i);
		if (t < 0) {
			rc = cli_usage_error(usage_main, "option '%s' needs a value", argv[i]);
			goto out;
		}
		if (t == 0)
			c.argv[c.argc++] = argv[i];
	}
	if (c.backend && strcmp(c.backend, "plan") && strcmp(c.backend, "agent") &&
	    strcmp(c.backend, "wine") && strncmp(c.backend, "script", 6)) {
		rc = cli_usage_error(usage_main, "--backend is plan, agent or wine, not '%s'", c.backend);
		goto out;
	}
	static const struct {
		const char *name;
		int (*fn)(const struct cli *);
		const char *usage;
	} commands[] = {
		{ "serve", cmd_serve, usage_serve },
		{ "kb", cmd_kb, usage_kb },
		{ "routes", cmd_routes, usage_routes },
		{ "flow", cmd_flow, usage_flow },
		{ "actions", cli_cmd_actions, cli_usage_actions },
		{ "ticket", cli_cmd_ticket, cli_usage_ticket },
		{ "check-dll", cli_cmd_check_dll, cli_usage_check_dll },
		{ "detect", cmd_detect, usage_detect },
		{ "scan", cli_cmd_scan, cli_usage_scan },
		{ "readiness", cli_cmd_readiness, cli_usage_readiness },
		{ "fleet", cli_cmd_fleet, cli_usage_fleet },
		{ "policy", cli_cmd_policy, cli_usage_policy },
	};
	if (c.argc == 0) {
		if (c.help) {
			fputs(usage_main, stdout);
			goto out;
		}
		if (argc == 1 && plat_bare_start_serves()) {
			/* koffix.exe double-clicked: serve and open the browser. */
			c.bare = true;
			static char serve[] = "serve";
			c.argv[c.argc++] = serve;
			rc = cmd_serve(&c);
			if (rc)
				pause_before_exit();
			goto out;
		}
		rc = cli_usage_error(usage_main, "%s", "a command is needed");
		goto out;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(c.argv[0], commands[i].name) != 0)
			continue;
		if (c.help)
			fputs(commands[i].usage, stdout);
		else
			rc = commands[i].fn(&c);
		goto out;
	}
	rc = cli_usage_error(usage_main, "unknown command '%s'", c.argv[0]);
out:
	free(c.argv);
	return rc;
}
