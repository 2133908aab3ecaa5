/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_APP_H
#define KOFFIX_APP_H

/*
 * The state of one koffix process: where its files are, the opened KB, the compiled templates,
 * the static assets and the secrets of the security model. Built by app_open(), read-only
 * afterwards (except through the modules' own locks), freed by app_close().
 */

#include <cjson/cJSON.h>

#include "../common/policy.h"
#include <stdbool.h>
#include <stddef.h>

#include "../common/buf.h"
#include "../common/version.h"

#define APP_PATH_MAX 4096

struct kb;
struct tpl_set;
struct wiz_flow;
struct wiz_flows;
struct wiz_store;
struct ra_catalogue;
struct ra_journal;
struct ra_backend;
struct ra_runner;
struct scan_rules;
struct fleet_store;
struct pe_checker;
struct page_cache;
struct scan_store;

struct static_file {
	char *name;
	char *data;
	size_t len;
	const char *ctype;
	char etag[24];
};

struct app {
	char root[APP_PATH_MAX];      /* install folder: templates/, static/, kb/ */
	char kb_dir[APP_PATH_MAX];    /* a folder with articles/ and symptoms.json */
	char data_dir[APP_PATH_MAX];  /* database and secrets */
	struct kb *kb;
	struct tpl_set *tpl;
	cJSON *symptoms;
	struct static_file *statics;
	size_t nstatic;
	char flows_dir[APP_PATH_MAX]; /* wizard flows; their tables are in ../data */
	char catalogue_path[APP_PATH_MAX];
	struct wiz_flows *flows;      /* sorted by file name; the first is the default */
	struct wiz_store *sessions;
	struct ra_catalogue *actions; /* the repair catalogue */
	struct ra_journal *journal;   /* repair runs */
	struct ra_backend *backend;   /* how repairs reach Windows */
	struct ra_runner *runner;     /* starts repairs: every rule of starting one */
	struct scan_rules *scan_rules;/* findings as data (wizard/data/scan-rules.json) */
	struct pe_checker *checker;   /* the DLL check's rules and trust (pe/checker.h) */
	struct page_cache *pages;     /* rendered article pages (server/pagecache.h) */
	struct scan_store *scans;     /* scans kept for the wizard and the ticket */
	struct fleet_store *fleet;    /* the newest scan of every PC of a fleet (fleet.db) */
	cJSON *support;               /* the connector's support table (wizard/data), or NULL */
	struct kx_policy policy;      /* the administrator's (common/policy.h), read at start-up */
	int step_timeout;             /* seconds a repair step may take */
	cJSON *detected;              /* answers detected on the affected PC (object) */
	char token[65];               /* the launch token */
	char csrf_key[65];            /* HMAC key for CSRF tokens, kept in the data folder */
	char bind_addr[64];
	unsigned port;
};

struct app_options {
	const char *data_dir;   /* NULL: plat_data_dir() (./data; %LOCALAPPDATA%\koffix on Windows) */
	const char *kb_dir;     /* NULL: ROOT/kb */
	const char *flows_dir;  /* NULL: ROOT/wizard/flows */
	const char *catalogue;  /* NULL: ROOT/repair-actions/catalogue.json */
	bool need_templates;
	bool need_flows;        /* need_sessions, and open the repair journal (marking
				 * interrupted runs), the backend and the runner */
	bool need_sessions;     /* load the catalogue, every flow and the scan rules (refusing
				 * invalid ones); open the session and scan stores */
	const char *backend;    /* NULL: plat_default_backend(); plan, agent, wine, script:SPEC (tests) */
	const char *agent;      /* koffix-agent.exe (NULL: KOFFIX_AGENT, else beside koffix) */
	bool need_secrets;
};

/*
 * Finds the install root (KOFFIX_HOME, else the folder of the executable when it holds
 * templates/, else the current folder), opens the database in the data folder (created when
 * missing), and loads what opts asks for. Returns 0 or a negative kx_err with a message in err.
 */
int app_open(struct app *app, const struct app_options *opts, char *err, size_t errlen);
void app_close(struct app *app);

/* The data folder: given (--data) when not NULL, else plat_data_dir(). 0, or KX_EIO. */
int app_data_dir(const char *given, char *out, size_t len);

/* The install root: KOFFIX_HOME, else the executable's folder (or up to two folders above it)
 * when it holds the page templates, else the current folder. */
void app_find_root(char *root, size_t len);

/* Indexes the KB folder, printing refused articles on stderr; 0 or a kx_err. */
int app_index(struct app *app, bool quiet);

/* The flow with this id (NULL: the default flow), or NULL. */
struct wiz_flow *app_flow(const struct app *app, const char *id);

/*
 * Loads and checks the flow at path against the KB and the catalogue; problems are appended
 * to report. Returns the flow (caller frees with wiz_flow_free) or NULL.
 */
struct wiz_flow *app_load_flow(struct app *app, const char *path, struct buf *report);

/* The catalogue entry of an action id, or NULL. */
const cJSON *app_action(const struct app *app, const char *id);

/*
 * Scans this PC through the backend (read only) and completes the scan: events parsed, the
 * installed DLL checked by koffix, findings from the rules. options: {"days","min_free_mb"} or
 * NULL. 0 and *scan (caller frees); KX_ENOTFOUND when the backend cannot look at a PC (a
 * preview), another kx_err when the scan failed; a sentence in err.
 */
int app_scan(struct app *app, const cJSON *options, cJSON **scan, char *err, size_t errlen);

/*
 * Loads the scan rules of the flows' content set into app->scan_rules (replacing any): the
 * number of rules (0 also when the set has no rules file), or -1 with one line per problem,
 * each starting with the file's path, appended to report. path receives the file's path.
 */
int app_load_scan_rules(struct app *app, struct buf *report, char *path, size_t pathlen);

/* true when the backend can look at a PC (a scan can run here). */
bool app_can_scan(const struct app *app);

/*
 * Opens a scan saved elsewhere (j, as read from a file or a request): checked with
 * scan_validate, then its findings worked out again with this koffix's rules; the scan keeps
 * the version of the koffix that read the PC. 0 and *scan (caller frees), or KX_EINVAL with a
 * sentence in err.
 */
int app_scan_open(struct app *app, const cJSON *j, cJSON **scan, char *err, size_t errlen);

#endif
