/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_FLEET_H
#define KOFFIX_FLEET_H

/*
 * Before an upgrade: will the Kerio connector still work on a PC after Office or Windows is
 * upgraded, and what must happen first? For one PC (a scan) and for a fleet of them (the
 * newest scan of every computer, kept in fleet.db).
 *
 * The rules (fleet_readiness) read what a scan established about the PC and the connector's
 * support table (wizard/data/koff-support.json: the oldest Windows and Office per connector
 * release, each row with its source or marked unverified):
 *   - the connector must be the server's release (major.minor.patch, as Kerio compares them);
 *   - the connector's bitness must be the target Office's;
 *   - only classic Outlook loads the connector (the new Outlook does not);
 *   - the target Windows and Office must be at least the oldest the release supports (the
 *     newest ones a release supports are not published: that is said, not guessed);
 *   - a problem the scan found is fixed first.
 * A PC is ready (0), not ready (1), or koffix cannot tell (3: a fact it needs is unknown).
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/buf.h"

/* What readiness reads of one PC, as a scan established it ("" = not known). */
struct fleet_pc {
	char computer[128];
	char user[128];
	char time[40];
	char connector[32];          /* the connector's version; "" when not installed */
	char connector_bits[8];      /* x86, x64 */
	char office[16];             /* 2010 ... 2024, 365 */
	char office_bits[8];
	char windows[16];            /* 7, 8.1, 10, 11, server */
	bool connector_installed;
	bool kerio_profile;          /* an Outlook profile holds the Kerio service */
	bool new_outlook_in_use;
	bool new_outlook_installed;
	bool user_unseen;            /* the scan ran as SYSTEM (a start-up script): the user's
				      * profiles and Outlook switch were not visible to it */
	int problems;                /* findings of severity problem */
	char findings[1024];         /* the findings' ids, problems first, comma-separated */
	char first_problem[256];     /* the title of the first problem finding */
};

/* Reads a scan (scan.h's JSON) into pc. 0, or KX_EINVAL when it is not a scan. */
int fleet_pc_from_scan(const cJSON *scan, struct fleet_pc *pc);

/* The upgrade being planned. Values as the wizard spells them; NULL or "" = not part of it. */
struct fleet_targets {
	char office[16];             /* 2016 ... 2024, 365, or "new" (the new Outlook) */
	char office_bits[8];         /* x86, x64, "" = Office's bitness stays */
	char windows[16];            /* 10, 11, server */
	char server[32];             /* the Kerio Connect version, e.g. 10.0.6 */
};

/*
 * Parses the command line's (or a form's) targets: office "VERSION" or "VERSION-x86|x64"
 * (365-x64), windows 7|8.1|10|11|server, server a version. 0, or KX_EINVAL with a sentence.
 */
int fleet_targets_parse(const char *office, const char *windows, const char *server,
			struct fleet_targets *t, char *err, size_t errlen);

enum fleet_ready { FLEET_READY = 0, FLEET_NOT_READY = 1, FLEET_UNKNOWN = 3 };

const char *fleet_ready_name(enum fleet_ready r);   /* "ready", "not_ready", "unknown" */

/*
 * Checks pc against the targets and the support table (its "rows"). Appends one check per
 * rule to checks: {id, state: "ok"|"problem"|"unknown"|"note", title, detail, fix}. Returns
 * the verdict: not ready when any check is a problem, else unknown when any is unknown.
 * *fix (may be NULL) gets the first problem's fix, for tables.
 */
enum fleet_ready fleet_readiness(const struct fleet_pc *pc, const struct fleet_targets *t,
				 const cJSON *support, cJSON *checks, const char **fix);

/*
 * Readiness of the PC a scan describes: {computer, readiness ("ready"|"not_ready"|"unknown"),
 * exit (0, 1, 3), targets, pc (what readiness read), fix (the first thing to do, "" when
 * none), checks}. Caller frees.
 */
cJSON *fleet_readiness_json(const cJSON *scan, const struct fleet_targets *t,
			    const cJSON *support);
int fleet_ready_exit(const cJSON *readiness);
/* fleet_readiness_json's answer for people (appends to out). */
void fleet_readiness_json_text(const cJSON *readiness, struct buf *out);

/* ---- the fleet: fleet.db ---- */

struct fleet_store;
struct scan_rules;

struct fleet_store *fleet_open(const char *path, char *err, size_t errlen);
void fleet_close(struct fleet_store *f);

struct fleet_import_report {
	int imported;      /* new computers, or newer scans of known ones */
	int older;         /* a scan older than (or the same as) the one kept: skipped */
	int skipped;       /* not a koffix scan (each named in the log) */
	char run[17];      /* this import ("" before the first folder): a computer whose scan
			    * this import replaces again counts once */
};

/*
 * Imports every *.json file of dir (not recursive): each is checked as a scan (scan_validate),
 * its findings worked out again with rules, and kept when it is the newest of its computer.
 * A malformed or foreign file is named in log and skipped: it never stops the import. One
 * transaction per directory. 0, or KX_EIO when dir cannot be read, KX_EDB.
 */
int fleet_import_dir(struct fleet_store *f, const struct scan_rules *rules, const char *dir,
		     struct fleet_import_report *rep, struct buf *log);

/*
 * The report: {"targets", "computers", "ready": {"ready","not_ready","unknown"},
 * "by_connector", "by_office", "by_windows", "by_finding": [{"value","count"}],
 * "pcs": [{computer, user, time, connector, connector_bits, office, office_bits, windows,
 * problems, findings, readiness, fix}]} with the PCs sorted by sort (computer, readiness,
 * connector, office, windows, time; "-" first for descending) and only those whose readiness
 * or finding is filter_ready / filter_finding when not NULL. Caller frees.
 */
cJSON *fleet_report(struct fleet_store *f, const struct fleet_targets *t, const cJSON *support,
		    const char *sort, const char *filter_ready, const char *filter_finding);

/* Whether sort names a column the report sorts by ("-" first: descending). */
bool fleet_sort_key_valid(const char *sort);

/* The report's PCs as CSV (RFC 4180; a field starting with = + - @ is prefixed with '). */
void fleet_csv(const cJSON *report, struct buf *out);

#endif
