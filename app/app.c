/* SPDX-License-Identifier: MIT */
#include "app.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/platform.h"
#include "../common/util.h"
#include "../kb/kb.h"
#include "../templates/tpl.h"
#include "../pe/checker.h"
#include "../server/pagecache.h"
#include "../repair-actions/ra.h"
#include "../scan/scan.h"
#include "../fleet/fleet.h"
#include "../wizard/session.h"
#include "../wizard/wiz.h"

#define STATIC_MAX (1u << 20)

/* An install root holds the page templates (a build folder mirrors templates/ with objects only). */
static bool has_templates(const char *dir)
{
	char p[APP_PATH_MAX + 32];
	struct stat st;
	snprintf(p, sizeof p, "%s/templates/home.html", dir);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void app_find_root(char *root, size_t len)
{
	const char *home = getenv("KOFFIX_HOME");
	if (home && *home) {
		snprintf(root, len, "%s", home);
		return;
	}
	char exe[APP_PATH_MAX];
	if (plat_exe_dir(exe, sizeof exe) == 0) {
		/* build/asan/koffix and the like live below the tree they came from. */
		for (int up = 0; up < 3; up++) {
			if (has_templates(exe)) {
				snprintf(root, len, "%s", exe);
				return;
			}
			char *slash = strrchr(exe, '/');
			if (!slash || slash == exe)
				break;
			*slash = '\0';
		}
	}
	snprintf(root, len, ".");
}

static const char *content_type(const char *name)
{
	static const char *const types[][2] = {
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i][0]) == 0)
			return types[i][1];
	return NULL;
}

/* FNV-1a: a change detector for ETags, not a security function. */
static unsigned long long fnv1a(const char *p, size_t n)
{
	unsigned long long h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static int load_statics(struct app *app, char *err, size_t errlen)
{
	char dir[APP_PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/static", app->root);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		const char *ctype = content_type(e->d_name);
		if (e->d_name[0] == '.' || !ctype)
			continue;
		char path[APP_PATH_MAX * 2];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct static_file f = { .ctype = ctype };
		if (kx_read_file(path, STATIC_MAX, &f.data, &f.len) != 0) {
			snprintf(err, errlen, "cannot read static file '%s'", path);
			rc = KX_EIO;
			break;
		}
		f.name = xstrdup(e->d_name);
		snprintf(f.etag, sizeof f.etag, "\"%016llx\"", fnv1a(f.data, f.len));
		app->statics = xrealloc(app->statics, (app->nstatic + 1) * sizeof *app->statics);
		app->statics[app->nstatic++] = f;
	}
	closedir(d);
	return rc;
}

/* The CSRF key survives restarts so that open pages keep working; made once, mode 0600. */
static int load_secret(struct app *app, char *err, size_t errlen)
{
	char path[APP_PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/secret", app->data_dir);
	char *s = NULL;
	size_t len = 0;
	if (kx_read_file(path, 256, &s, &len) == 0 && len >= 64) {
		memcpy(app->csrf_key, s, 64);
		app->csrf_key[64] = '\0';
		free(s);
		return 0;
	}
	free(s);
	if (kx_random_hex(app->csrf_key, 32) != 0 ||
	    kx_write_file_private(path, app->csrf_key, 64) != 0) {
		snprintf(err, errlen, "cannot write the secret file '%s'", path);
		return KX_EIO;
	}
	return 0;
}

static int load_symptoms(struct app *app, char *err, size_t errlen)
{
	char path[APP_PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/symptoms.json", app->kb_dir);
	char *s;
	if (kx_read_file(path, STATIC_MAX, &s, NULL) != 0) {
		app->symptoms = cJSON_CreateArray();
		return 0;
	}
	app->symptoms = cJSON_Parse(s);
	free(s);
	if (!cJSON_IsArray(app->symptoms)) {
		snprintf(err, errlen, "'%s' is not a JSON array of symptoms", path);
		return KX_ESYNTAX;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of dir's files ending in suffix, sorted; *n gets the count. Caller frees. */
static char **list_dir(const char *dir, const char *suffix, size_t *n)
{
	char **names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t sl = strlen(suffix);
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len <= sl || strcmp(e->d_name + len - sl, suffix))
			continue;
		names = xrealloc(names, (*n + 1) * sizeof *names);
		names[(*n)++] = xstrndup(e->d_name, len - sl);
	}
	if (d)
		closedir(d);
	if (*n)
		qsort(names, *n, sizeof *names, cmp_str);
	return names;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int load_catalogue(struct app *app, char *err, size_t errlen)
{
	app->actions = ra_catalogue_load(app->catalogue_path, err, errlen);
	return app->actions ? 0 : KX_ESYNTAX;
}

const cJSON *app_action(const struct app *app, const char *id)
{
	return app->actions ? ra_action(app->actions, id) : NULL;
}

/* What outcomes and findings may refer to: the KB's slugs and the catalogue's action ids
 * (free with free_refs). */
struct refs {
	char **articles;
	size_t narticles;
	const char **actions;
	size_t nactions;
	cJSON *list;
};

static char **list_dir(const char *dir, const char *suffix, size_t *n);
static void free_list(char **list, size_t n);

static void refs_load(struct app *app, struct refs *r)
{
	char articles_dir[APP_PATH_MAX + 16];
	snprintf(articles_dir, sizeof articles_dir, "%s/articles", app->kb_dir);
	memset(r, 0, sizeof *r);
	r->articles = list_dir(articles_dir, ".md", &r->narticles);
	r->list = app->actions ? ra_catalogue_list(app->actions) : NULL;
	const cJSON *a;
	cJSON_ArrayForEach(a, r->list) {
		r->actions = xrealloc(r->actions, (r->nactions + 1) * sizeof *r->actions);
		r->actions[r->nactions++] = cJSON_GetObjectItemCaseSensitive(a, "id")->valuestring;
	}
}

static void refs_free(struct refs *r)
{
	free_list(r->articles, r->narticles);
	free(r->actions);
	cJSON_Delete(r->list);
}

struct wiz_flow *app_load_flow(struct app *app, const char *path, struct buf *report)
{
	struct refs r;
	refs_load(app, &r);
	struct wiz_refs refs = { (const char *const *)r.articles, r.narticles, r.actions,
				 r.nactions };
	struct wiz_flow *f = wiz_flow_load_checked(path, &refs, report);
	refs_free(&r);
	return f;
}

struct wiz_flow *app_flow(const struct app *app, const char *id)
{
	return wiz_flows_get(app->flows, id);
}

/*
 * The scan's rules: content like the flows, beside their tables (FLOWS/../data/scan-rules.json),
 * checked against the KB and the catalogue. A content set without the file (another product's
 * flows) has no rules: its scans read the PC and find nothing.
 */
/* The connector's support table beside the flows (their "tables"), or NULL without one: then
 * readiness says what it cannot tell. */
static cJSON *load_support(const struct app *app)
{
	char path[APP_PATH_MAX + 40], *text;
	size_t len;
	snprintf(path, sizeof path, "%.4000s/../data/koff-support.json", app->flows_dir);
	if (kx_read_file(path, 1u << 20, &text, &len) != 0)
		return NULL;
	cJSON *j = cJSON_ParseWithLength(text, len);
	free(text);
	return j;
}

int app_load_scan_rules(struct app *app, struct buf *report, char *path, size_t pathlen)
{
	snprintf(path, pathlen, "%.4000s/../data/scan-rules.json", app->flows_dir);
	scan_rules_free(app->scan_rules);
	app->scan_rules = NULL;
	struct stat st;
	if (stat(path, &st) != 0) {
		static const char empty[] = "{\"rules\": []}";
		app->scan_rules = scan_rules_parse(path, empty, strlen(empty), NULL, 0, NULL, 0,
						   report);
		return 0;
	}
	struct refs r;
	refs_load(app, &r);
	struct buf problems;
	buf_init(&problems, 64 * 1024);
	app->scan_rules = scan_rules_load(path, (const char *const *)r.articles, r.narticles,
					  r.actions, r.nactions, &problems);
	refs_free(&r);
	/* Each problem names the file, as a flow's do. */
	for (const char *p = buf_cstr(&problems); *p; ) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		bool named = n > strlen(path) && !strncmp(p, path, strlen(path));
		buf_addf(report, "%s%s%.*s\n", named ? "" : path, named ? "" : ": ", (int)n, p);
		p += n + (nl != NULL);
	}
	buf_release(&problems);
	return app->scan_rules ? (int)scan_rules_count(app->scan_rules) : -1;
}

static int load_scan_rules(struct app *app, char *err, size_t errlen)
{
	char path[APP_PATH_MAX + 32];
	struct buf report;
	buf_init(&report, 64 * 1024);
	int rc = 0;
	if (app_load_scan_rules(app, &report, path, sizeof path) < 0) {
		snprintf(err, errlen, "invalid scan rules:\n%s", buf_cstr(&report));
		rc = KX_ESYNTAX;
	}
	buf_release(&report);
	return rc;
}

/* The flows registry, loaded once and checked against the KB and the catalogue. */
static int load_flows(struct app *app, char *err, size_t errlen)
{
	struct refs r;
	refs_load(app, &r);
	struct wiz_refs refs = { (const char *const *)r.articles, r.narticles, r.actions,
				 r.nactions };
	struct buf report;
	buf_init(&report, 64 * 1024);
	app->flows = wiz_flows_load(app->flows_dir, &refs, &report);
	refs_free(&r);
	int rc = 0;
	if (!app->flows) {
		snprintf(err, errlen, "invalid wizard flow:\n%s", buf_cstr(&report));
		rc = KX_ESYNTAX;
	}
	buf_release(&report);
	return rc;
}

/* The local path of a file the agent names (under Wine inside the prefix); false if none. */
static bool local_path(const struct app *app, const char *windows_path, char *local, size_t len)
{
	if (strcmp(app->backend->name, "wine") == 0) {
		const char *prefix = getenv("WINEPREFIX");
		if (!prefix)
			return false;
		if (!strncasecmp(windows_path, "C:\\", 3))
			snprintf(local, len, "%s/drive_c/%s", prefix, windows_path + 3);
		else if (!strncasecmp(windows_path, "Z:\\", 3))   /* Wine's view of / */
			snprintf(local, len, "/%s", windows_path + 3);
		else
			return false;
		for (char *p = local; *p; p++)
			if (*p == '\\')
				*p = '/';
		return true;
	}
	/* The agent runs on this machine: its path is ours. */
	snprintf(local, len, "%s", windows_path);
	return true;
}

/*
 * The check-dll step's full check: the agent found the file; koffix reads it (under Wine from
 * the prefix's drive_c, natively as it is) and runs the legitimacy check on it.
 */
static cJSON *check_file(void *cls, const char *windows_path, const char *office_bitness)
{
	struct app *app = cls;
	char local[APP_PATH_MAX * 2];
	if (!app->checker || !local_path(app, windows_path, local, sizeof local))
		return NULL;
	char *data;
	size_t len;
	if (kx_read_file(local, 64u << 20, &data, &len) != 0)
		return NULL;
	cJSON *rep = NULL;
	struct pe_check_opts o = { .windows_path = windows_path, .office_bitness = office_bitness };
	pe_checker_check(app->checker, data, len, &o, &rep);
	free(data);
	return rep;
}

static int inspect_dll(void *cls, const char *windows_path, const char *office_bitness,
		       char *out, size_t outlen)
{
	cJSON *rep = check_file(cls, windows_path, office_bitness);
	if (!rep)
		return KX_EIO;
	const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(rep, "verdict");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(rep, "reason");
	snprintf(out, outlen, "Full check by koffix: %s. %s", cJSON_IsString(verdict) ?
		 verdict->valuestring : "?", cJSON_IsString(reason) ? reason->valuestring : "");
	cJSON_Delete(rep);
	return 0;
}

/*
 * An installer program the preflight found: koffix checks its signature and version itself.
 * A signature that proves tampering blocks the repair; anything short of a valid signature by
 * a known publisher is a warning.
 */
static int inspect_installer(void *cls, const char *windows_path, const char **level,
			     char *out, size_t outlen)
{
	struct app *app = cls;
	char local[APP_PATH_MAX * 2];
	if (!app->checker || !local_path(app, windows_path, local, sizeof local))
		return KX_ENOTFOUND;
	char *data;
	size_t len;
	if (kx_read_file(local, 256u << 20, &data, &len) != 0)
		return KX_EIO;
	struct pe_check_opts o = { 0 };
	enum pe_verdict v = pe_checker_installer(app->checker, data, len, &o, out, outlen);
	*level = v == PE_LEGITIMATE ? "ok" : v == PE_VERDICT_MALICIOUS ? "blocked" : "warning";
	free(data);
	return 0;
}

static int open_backend(struct app *app, const char *name, const char *agent, char *err,
			size_t errlen)
{
	app->step_timeout = 300;
	if (!name)
		name = plat_default_backend();
	if (!strcmp(name, "plan")) {
		app->backend = ra_backend_plan();
		return 0;
	}
	if (!strncmp(name, "script", 6) && (name[6] == '\0' || name[6] == ':')) {
		/* Tests only: a scripted backend that fails or hangs where told. */
		app->backend = ra_backend_script(name[6] ? name + 7 : "ok");
		const char *t = getenv("KOFFIX_STEP_TIMEOUT");
		if (t && atoi(t) > 0)
			app->step_timeout = atoi(t);
		return 0;
	}
	const char *t = getenv("KOFFIX_STEP_TIMEOUT");
	if (t && atoi(t) > 0)
		app->step_timeout = atoi(t);
	/* The agent is a Windows program: natively on Windows, under Wine with --backend wine. */
	bool wine = strcmp(name, "wine") == 0;
	if (!wine && !plat_runs_agent()) {
		snprintf(err, errlen, "the 'agent' backend runs koffix-agent.exe natively, which needs "
			 "koffix.exe on Windows; here use --backend wine (with WINEPREFIX) or --backend "
			 "plan");
		return KX_ENOTFOUND;
	}
	/* The agent: --agent PATH, else KOFFIX_AGENT, else beside koffix, else in the install root. */
	char path[APP_PATH_MAX + 32] = "";
	if (agent && *agent) {
		snprintf(path, sizeof path, "%s", agent);
	} else if (getenv("KOFFIX_AGENT") && *getenv("KOFFIX_AGENT")) {
		snprintf(path, sizeof path, "%s", getenv("KOFFIX_AGENT"));
	} else {
		char exe[APP_PATH_MAX];
		if (plat_exe_dir(exe, sizeof exe) == 0)
			snprintf(path, sizeof path, "%s/koffix-agent.exe", exe);
		if (access(path, R_OK) != 0)
			snprintf(path, sizeof path, "%.4000s/koffix-agent.exe", app->root);
	}
	app->backend = ra_backend_agent(path, wine, err, errlen);
	if (!app->backend)
		return KX_ENOTFOUND;
	app->backend->inspect = inspect_dll;
	app->backend->inspect_installer = inspect_installer;
	app->backend->check_file = check_file;
	app->backend->inspect_cls = app;
	return 0;
}

int app_data_dir(const char *given, char *out, size_t len)
{
	if (given)
		return snprintf(out, len, "%s", given) < (int)len ? 0 : KX_EIO;
	return plat_data_dir(out, len);
}

int app_open(struct app *app, const struct app_options *opts, char *err, size_t errlen)
{
	memset(app, 0, sizeof *app);
	snprintf(app->bind_addr, sizeof app->bind_addr, "127.0.0.1");
	app->port = 8080;
	app_find_root(app->root, sizeof app->root);
	if (opts->kb_dir)
		snprintf(app->kb_dir, sizeof app->kb_dir, "%s", opts->kb_dir);
	else
		snprintf(app->kb_dir, sizeof app->kb_dir, "%.4000s/kb", app->root);
	if (opts->flows_dir)
		snprintf(app->flows_dir, sizeof app->flows_dir, "%s", opts->flows_dir);
	else
		snprintf(app->flows_dir, sizeof app->flows_dir, "%.4000s/wizard/flows", app->root);
	if (opts->catalogue)
		snprintf(app->catalogue_path, sizeof app->catalogue_path, "%s", opts->catalogue);
	else
		snprintf(app->catalogue_path, sizeof app->catalogue_path,
			 "%.4000s/repair-actions/catalogue.json", app->root);
	if (app_data_dir(opts->data_dir, app->data_dir, sizeof app->data_dir) != 0) {
		snprintf(err, errlen, opts->data_dir ? "the data folder's name is too long" :
			 "cannot tell where the data folder goes: give one with --data DIR");
		return KX_EIO;
	}
	/* The data folder is the person's own: 0700 (created so, tightened when older). */
	if (kx_mkdir_p(app->data_dir) != 0 || plat_private_dir(app->data_dir) != 0) {
		snprintf(err, errlen, "cannot create the data folder '%s'", app->data_dir);
		return KX_EIO;
	}
	char db[APP_PATH_MAX + 16];
	snprintf(db, sizeof db, "%s/koffix.db", app->data_dir);
	kx_policy_read(&app->policy);
	app->kb = kb_open(db, err, errlen);
	if (!app->kb)
		return KX_EDB;
	int rc = load_symptoms(app, err, errlen);
	if (rc == 0 && opts->need_templates && !has_templates(app->root)) {
		/* Typically koffix.exe started from inside its zip, without the folders beside it. */
		char exe[APP_PATH_MAX] = "?";
		plat_exe_dir(exe, sizeof exe);
		snprintf(err, errlen, "koffix's folders (templates, kb, wizard, static) are neither "
			 "beside the program (%.1000s) nor in the current folder: unpack the whole "
			 "download and start koffix from that folder, or name it with KOFFIX_HOME", exe);
		rc = KX_ENOTFOUND;
	}
	if (rc == 0 && opts->need_templates) {
		char dir[APP_PATH_MAX + 16];
		snprintf(dir, sizeof dir, "%s/templates", app->root);
		app->tpl = tpl_set_load_dir(dir, err, errlen);
		if (!app->tpl)
			rc = KX_ESYNTAX;
	}
	if (rc == 0 && opts->need_templates)
		rc = load_statics(app, err, errlen);
	if (rc == 0 && opts->need_templates)
		app->pages = page_cache_new();
	/* The DLL check's one set-up (pe/checker.h), for the upload page, the repair steps and
	 * the scan. */
	if (rc == 0 && (opts->need_templates || opts->need_flows)) {
		char dir[APP_PATH_MAX + 16];
		snprintf(dir, sizeof dir, "%s/pe/data", app->root);
		app->checker = pe_checker_open(dir, NULL, err, errlen);
		if (!app->checker)
			rc = KX_EIO;
	}
	if (rc == 0 && opts->need_secrets)
		rc = load_secret(app, err, errlen);
	/* The content (catalogue, flows, scan rules) and the stores that only read or add. */
	bool content = opts->need_flows || opts->need_sessions;
	if (rc == 0 && content)
		rc = load_catalogue(app, err, errlen);
	if (rc == 0 && content)
		rc = load_flows(app, err, errlen);
	if (rc == 0 && content)
		rc = load_scan_rules(app, err, errlen);
	if (rc == 0 && content) {
		app->scans = scan_store_open(db, err, errlen);
		if (!app->scans)
			rc = KX_EDB;
	}
	if (rc == 0 && content) {
		/* The fleet's own database: imports of many PCs' scans do not hold koffix.db. */
		char fleet[APP_PATH_MAX + 16];
		snprintf(fleet, sizeof fleet, "%s/fleet.db", app->data_dir);
		app->fleet = fleet_open(fleet, err, errlen);
		if (!app->fleet)
			rc = KX_EDB;
	}
	if (rc == 0 && content)
		app->support = load_support(app);
	if (rc == 0 && content) {
		app->sessions = wiz_store_open(db, err, errlen);
		if (!app->sessions)
			rc = KX_EDB;
	}
	if (rc == 0 && opts->need_flows) {
		app->journal = ra_journal_open(db, err, errlen);
		if (!app->journal)
			rc = KX_EDB;
	}
	if (rc == 0 && opts->need_flows) {
		int n = ra_journal_recover(app->journal);
		if (n)
			fprintf(stderr, "koffix: %d repair run(s) were interrupted when koffix last "
				"stopped; they are offered for rollback (koffix actions undo RUN)\n", n);
		rc = open_backend(app, opts->backend, opts->agent, err, errlen);
	}
	if (rc == 0 && opts->need_flows) {
		app->runner = ra_runner_new(app->actions, app->journal, app->backend,
					    app->step_timeout);
		ra_runner_policy(app->runner, &app->policy);
	}
	return rc;
}

void app_close(struct app *app)
{
	kb_close(app->kb);
	tpl_set_free(app->tpl);
	cJSON_Delete(app->symptoms);
	for (size_t i = 0; i < app->nstatic; i++) {
		free(app->statics[i].name);
		free(app->statics[i].data);
	}
	free(app->statics);
	wiz_flows_free(app->flows);
	pe_checker_free(app->checker);
	page_cache_free(app->pages);
	wiz_store_close(app->sessions);
	ra_runner_free(app->runner);
	scan_rules_free(app->scan_rules);
	scan_store_close(app->scans);
	fleet_close(app->fleet);
	cJSON_Delete(app->support);
	ra_catalogue_free(app->actions);
	ra_journal_close(app->journal);
	if (app->backend)
		app->backend->free(app->backend);
	cJSON_Delete(app->detected);
	memset(app, 0, sizeof *app);
}

int app_index(struct app *app, bool quiet)
{
	char dir[APP_PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/articles", app->kb_dir);
	struct kb_index_report rep;
	int rc = kb_index(app->kb, dir, &rep, stderr);
	if (rc == KX_EIO) {
		fprintf(stderr, "koffix: cannot read the article folder '%s'\n", dir);
		return rc;
	}
	if (rc) {
		fprintf(stderr, "koffix: indexing failed: %s\n", kx_strerror(rc));
		return rc;
	}
	if (!quiet || rep.errors)
		fprintf(stderr, "koffix: kb index: %d indexed, %d unchanged, %d removed, %d refused\n",
			rep.indexed, rep.unchanged, rep.removed, rep.errors);
	return rep.errors ? KX_ESYNTAX : 0;
}

int app_scan(struct app *app, const cJSON *options, cJSON **scan, char *err, size_t errlen)
{
	*scan = NULL;
	if (!app->backend || !app->backend->scan)
		return kx_errorf(err, errlen, KX_ENOTFOUND, "the '%s' backend cannot look at a PC: "
				 "run koffix on the affected PC (or --backend wine), or open a scan "
				 "saved there", app->backend ? app->backend->name : "(none)");
	cJSON *raw;
	int rc = app->backend->scan(app->backend, options, &raw, err, errlen);
	if (rc)
		return rc;
	/* koffix's own legitimacy check of the installed DLL, where koffix can read it. */
	const cJSON *facts = cJSON_GetObjectItemCaseSensitive(raw, "facts");
	const cJSON *dll = cJSON_GetObjectItemCaseSensitive(facts, "dll");
	const cJSON *path = cJSON_GetObjectItemCaseSensitive(dll, "path");
	const cJSON *bits = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(facts, "office"), "bitness");
	cJSON *check = NULL;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dll, "present")) && cJSON_IsString(path)
	    && app->backend->check_file)
		check = app->backend->check_file(app->backend->inspect_cls, path->valuestring,
						 cJSON_IsString(bits) ? bits->valuestring : NULL);
	*scan = scan_complete(app->scan_rules, raw, check, KOFFIX_VERSION);
	cJSON_Delete(check);
	cJSON_Delete(raw);
	return 0;
}

bool app_can_scan(const struct app *app)
{
	return app->backend && app->backend->scan;
}

int app_scan_open(struct app *app, const cJSON *j, cJSON **scan, char *err, size_t errlen)
{
	*scan = NULL;
	char why[300];
	if (scan_validate(j, why, sizeof why) != 0)
		return kx_errorf(err, errlen, KX_EINVAL, "this is not a koffix scan: %s", why);
	*scan = scan_complete(app->scan_rules, j, NULL, KOFFIX_VERSION);
	cJSON_ReplaceItemInObjectCaseSensitive(*scan, "version", cJSON_Duplicate(
		cJSON_GetObjectItemCaseSensitive(j, "version"), 1));
	return 0;
}
