/* SPDX-License-Identifier: MIT */
/*
 * The fleet: the newest scan of every computer, kept in fleet.db (its own connection and lock,
 * common/db.h), and the report over it. The rule "the newest scan per computer wins" is
 * enforced here, inside the import's transaction, so no caller can keep an older one.
 */
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "../common/db.h"
#include "../common/json.h"
#include "../common/platform.h"
#include "../common/util.h"
#include "../scan/scan.h"
#include "fleet.h"

static const char *schema =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS pcs("
	" computer TEXT PRIMARY KEY COLLATE NOCASE, time TEXT NOT NULL, file TEXT NOT NULL,"
	" imported TEXT NOT NULL, user TEXT, connector TEXT, connector_bits TEXT, office TEXT,"
	" office_bits TEXT, windows TEXT, installed INTEGER, kerio INTEGER, new_in_use INTEGER,"
	" new_installed INTEGER, problems INTEGER, findings TEXT, first_problem TEXT,"
	" finding_list TEXT, run TEXT, unseen INTEGER NOT NULL DEFAULT 0);";

enum stmt { ST_TIME, ST_PUT, ST_ALL, ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST__COUNT };

static const char *const sql[ST__COUNT] = {
	[ST_TIME] = "SELECT time, run FROM pcs WHERE computer = ?1",
	[ST_PUT] = "INSERT OR REPLACE INTO pcs VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ',"
		   " 'now'), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
	[ST_ALL] = "SELECT computer, user, time, connector, connector_bits, office, office_bits,"
		   " windows, installed, kerio, new_in_use, new_installed, problems, findings,"
		   " first_problem, finding_list, file, unseen FROM pcs ORDER BY computer",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

struct fleet_store {
	struct db db;
};

struct fleet_store *fleet_open(const char *path, char *err, size_t errlen)
{
	/* A fleet made before scans recorded whether they saw a person's settings gains the
	 * column. */
	static const char *const alters[] = {
		"ALTER TABLE pcs ADD COLUMN unseen INTEGER NOT NULL DEFAULT 0",
	};
	db_add_columns(path, alters, 1);
	struct fleet_store *f = xcalloc(1, sizeof *f);
	if (db_open(&f->db, path, "the fleet", schema, sql, ST__COUNT, err, errlen)) {
		free(f);
		return NULL;
	}
	return f;
}

void fleet_close(struct fleet_store *f)
{
	if (!f)
		return;
	db_close(&f->db);
	free(f);
}

static int exec(struct fleet_store *f, int which)
{
	return sqlite3_step(db_stmt(&f->db, which)) == SQLITE_DONE ? 0 : KX_EDB;
}

/* Exactly "2026-12-02T16:10:34Z" (what koffix writes): times are compared as text, so no
 * other shape is taken, and none later than now (give or take a clock's drift): a file on the
 * share that claims the future would otherwise hide that computer's real scans for good. */
static bool iso_time(const char *t, const char *now)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	if (strlen(t) != sizeof shape - 1)
		return false;
	for (size_t i = 0; i < sizeof shape - 1; i++)
		if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
			return false;
	return strcmp(t, now) <= 0;
}

/* One file: 1 imported, 2 older or the same scan, 3 newer than one this import kept (which
 * then counts as older), 0 skipped (why in log), KX_EDB. */
static int import_file(struct fleet_store *f, const struct scan_rules *rules, const char *path,
		       const char *run, const char *now, struct buf *log)
{
	char *text = NULL;
	size_t len;
	if (kx_read_file(path, SCAN_FILE_MAX, &text, &len) != 0) {
		buf_addf(log, "skipped %s: cannot be read, or over %u MiB\n", path, SCAN_FILE_MAX >> 20);
		return 0;
	}
	cJSON *scan = cJSON_ParseWithLength(text, len);
	free(text);
	char why[300];
	if (!scan) {
		buf_addf(log, "skipped %s: not JSON\n", path);
		return 0;
	}
	if (scan_validate(scan, why, sizeof why) != 0) {
		buf_addf(log, "skipped %s: not a koffix scan (%s)\n", path, why);
		cJSON_Delete(scan);
		return 0;
	}
	const char *computer = kx_json_str(scan, "computer"), *time = kx_json_str(scan, "time");
	if (!*computer || strlen(computer) > 127 || !iso_time(time, now)) {
		buf_addf(log, "skipped %s: %s\n", path, !*computer || strlen(computer) > 127 ?
			 "the scan names no computer (or a name over 127 characters)" :
			 "its time is not a UTC time as koffix writes it (2026-12-02T16:10:34Z), or "
			 "it is in the future");
		cJSON_Delete(scan);
		return 0;
	}
	/* Findings worked out again with these rules: an older koffix's scan is judged today. */
	if (rules)
		cJSON_ReplaceItemInObjectCaseSensitive(scan, "findings", scan_findings(rules,
			cJSON_GetObjectItemCaseSensitive(scan, "facts")));
	struct fleet_pc pc;
	fleet_pc_from_scan(scan, &pc);
	cJSON *list = cJSON_CreateArray();
	const cJSON *fi;
	cJSON_ArrayForEach(fi, cJSON_GetObjectItemCaseSensitive(scan, "findings")) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", kx_json_str(fi, "id"));
		cJSON_AddStringToObject(o, "severity", kx_json_str(fi, "severity"));
		cJSON_AddStringToObject(o, "title", kx_json_str(fi, "title"));
		cJSON_AddItemToArray(list, o);
	}
	char *findings = cJSON_PrintUnformatted(list);
	cJSON_Delete(list);
	cJSON_Delete(scan);

	sqlite3_stmt *st = db_stmt(&f->db, ST_TIME);
	db_bind_text(st, 1, pc.computer);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && strcmp(db_col(st, 0), pc.time) >= 0) {
		buf_addf(log, "kept the scan of %s from %s: %s (%s) is %s\n", pc.computer, db_col(st, 0),
			 path, pc.time, strcmp(db_col(st, 0), pc.time) ? "older" : "the same scan");
		cJSON_free(findings);
		return 2;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		cJSON_free(findings);
		return KX_EDB;
	}
	bool replaces_this_run = rc == SQLITE_ROW && !strcmp(db_col(st, 1), run);
	st = db_stmt(&f->db, ST_PUT);
	const char *text_cols[] = { pc.computer, pc.time, path, pc.user, pc.connector,
				    pc.connector_bits, pc.office, pc.office_bits, pc.windows };
	for (int i = 0; i < 9; i++)
		db_bind_text(st, i + 1, text_cols[i]);
	sqlite3_bind_int(st, 10, pc.connector_installed);
	sqlite3_bind_int(st, 11, pc.kerio_profile);
	sqlite3_bind_int(st, 12, pc.new_outlook_in_use);
	sqlite3_bind_int(st, 13, pc.new_outlook_installed);
	sqlite3_bind_int(st, 14, pc.problems);
	db_bind_text(st, 15, pc.findings);
	db_bind_text(st, 16, pc.first_problem);
	db_bind_text(st, 17, findings);
	db_bind_text(st, 18, run);
	sqlite3_bind_int(st, 19, pc.user_unseen);
	rc = sqlite3_step(st) != SQLITE_DONE ? KX_EDB : replaces_this_run ? 3 : 1;
	cJSON_free(findings);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int fleet_import_dir(struct fleet_store *f, const struct scan_rules *rules, const char *dir,
		     struct fleet_import_report *rep, struct buf *log)
{
	DIR *d = opendir(dir);
	if (!d) {
		buf_addf(log, "cannot read the folder %s\n", dir);
		return KX_EIO;
	}
	/* The names first, sorted: the same folder imports the same way everywhere. */
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcasecmp(e->d_name + l - 5, ".json") != 0)
			continue;
		if (n == cap)
			names = xrealloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	if (!*rep->run && kx_random_hex(rep->run, 8) != 0) {
		buf_addf(log, "no random numbers for the import's id: nothing of %s was imported\n",
			 dir);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return KX_EIO;
	}
	/* Now, with ten minutes for clocks that run ahead. */
	char now[21];
	time_t later = time(NULL) + 600;
	struct tm tm;
	plat_gmtime(later, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	int rc = 0;
	db_lock(&f->db);
	if (exec(f, ST_BEGIN) != 0)
		rc = KX_EDB;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[4096];
		struct stat sb;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			buf_addf(log, "skipped %s: not a regular file\n", path);
			rep->skipped++;
			continue;
		}
		int r = import_file(f, rules, path, rep->run, now, log);
		if (r == 1)
			rep->imported++;
		else if (r == 2 || r == 3)
			rep->older++;
		else if (r == 0)
			rep->skipped++;
		else
			rc = r;
	}
	if (rc == 0 && exec(f, ST_COMMIT) != 0)
		rc = KX_EDB;
	if (rc != 0) {
		buf_addf(log, "the fleet database refused the import (%s): nothing of %s was kept\n",
			 sqlite3_errmsg(f->db.conn), dir);
		exec(f, ST_ROLLBACK);
	}
	db_unlock(&f->db);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- the report ---- */

struct row {
	struct fleet_pc pc;
	enum fleet_ready ready;
	char fix[400];
	char file[512];
	cJSON *finding_list;
	long sort_num;          /* the sort key: a number, then a text */
	char sort_text[128];
	bool sort_desc;
};

static const char *row_field(const struct row *r, const char *key)
{
	if (!strcmp(key, "readiness"))
		return fleet_ready_name(r->ready);
	if (!strcmp(key, "connector"))
		return r->pc.connector;
	if (!strcmp(key, "office"))
		return r->pc.office;
	if (!strcmp(key, "windows"))
		return r->pc.windows;
	if (!strcmp(key, "time"))
		return r->pc.time;
	if (!strcmp(key, "user"))
		return r->pc.user;
	if (!strcmp(key, "findings"))
		return r->pc.findings;
	return r->pc.computer;
}

/* Text with its digit runs compared as numbers: 9.4.1 before 10.0.2, PC-9 before PC-10. */
static int natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			while (*a == '0' && a[1] >= '0' && a[1] <= '9')
				a++;
			while (*b == '0' && b[1] >= '0' && b[1] <= '9')
				b++;
			size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = strncmp(a, b, la);
			if (c)
				return c;
			a += la;
			b += lb;
			continue;
		}
		int ca = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a, cb = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;
		if (ca != cb)
			return ca < cb ? -1 : 1;
		a++;
		b++;
	}
	return (*a != '\0') - (*b != '\0');
}

/* By the key, the way asked; what is not known comes last either way; then by computer. */
static int by_key(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (!*x->sort_text != !*y->sort_text)
		return *x->sort_text ? -1 : 1;
	int c = (x->sort_num > y->sort_num) - (x->sort_num < y->sort_num);
	if (c == 0)
		c = natural_cmp(x->sort_text, y->sort_text);
	if (x->sort_desc)
		c = -c;
	return c ? c : natural_cmp(x->pc.computer, y->pc.computer);
}

static const char *const sort_keys[] = { "computer", "user", "readiness", "connector", "office",
					  "windows", "time", "problems", "findings" };

bool fleet_sort_key_valid(const char *sort)
{
	if (sort && *sort == '-')
		sort++;
	for (size_t i = 0; sort && i < sizeof sort_keys / sizeof sort_keys[0]; i++)
		if (!strcmp(sort, sort_keys[i]))
			return true;
	return false;
}

/* counts[value] += 1, keeping the first-seen order; sorted by count afterwards. */
static void count(cJSON *counts, const char *value, const char *title)
{
	const char *v = *value ? value : "unknown";
	cJSON *c;
	cJSON_ArrayForEach(c, counts)
		if (!strcmp(kx_json_str(c, "value"), v)) {
			cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "count");
			cJSON_SetNumberValue(n, n->valuedouble + 1);
			return;
		}
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "value", v);
	if (title)
		cJSON_AddStringToObject(c, "title", title);
	cJSON_AddNumberToObject(c, "count", 1);
	cJSON_AddItemToArray(counts, c);
}

static int by_count(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	double cx = cJSON_GetObjectItemCaseSensitive(x, "count")->valuedouble;
	double cy = cJSON_GetObjectItemCaseSensitive(y, "count")->valuedouble;
	if (cx != cy)
		return cx < cy ? 1 : -1;
	return strcmp(kx_json_str(x, "value"), kx_json_str(y, "value"));
}

static cJSON *sorted_counts(cJSON *counts)
{
	int n = cJSON_GetArraySize(counts);
	cJSON **items = xcalloc((size_t)n + 1, sizeof *items);
	for (int i = 0; i < n; i++)
		items[i] = cJSON_DetachItemFromArray(counts, 0);
	if (n)
		qsort(items, (size_t)n, sizeof *items, by_count);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(counts, items[i]);
	free(items);
	return counts;
}

static bool has_finding(const struct row *r, const char *id)
{
	size_t l = strlen(id);
	for (const char *p = r->pc.findings; (p = strstr(p, id)) != NULL; p += l)
		if ((p == r->pc.findings || p[-1] == ',') && (p[l] == ',' || p[l] == '\0'))
			return true;
	return false;
}

cJSON *fleet_report(struct fleet_store *f, const struct fleet_targets *t, const cJSON *support,
		    const char *sort, const char *filter_ready, const char *filter_finding)
{
	struct row *rows = NULL;
	size_t n = 0, cap = 0;
	db_lock(&f->db);
	sqlite3_stmt *st = db_stmt(&f->db, ST_ALL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			rows = xrealloc(rows, (cap = cap ? cap * 2 : 256) * sizeof *rows);
		struct row *r = &rows[n++];
		memset(r, 0, sizeof *r);
		struct fleet_pc *pc = &r->pc;
		struct { char *dst; size_t len; int col; } cols[] = {
			{ pc->computer, sizeof pc->computer, 0 }, { pc->user, sizeof pc->user, 1 },
			{ pc->time, sizeof pc->time, 2 }, { pc->connector, sizeof pc->connector, 3 },
			{ pc->connector_bits, sizeof pc->connector_bits, 4 },
			{ pc->office, sizeof pc->office, 5 }, { pc->office_bits, sizeof pc->office_bits, 6 },
			{ pc->windows, sizeof pc->windows, 7 }, { pc->findings, sizeof pc->findings, 13 },
			{ pc->first_problem, sizeof pc->first_problem, 14 }, { r->file, sizeof r->file, 16 },
		};
		for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
			snprintf(cols[i].dst, cols[i].len, "%s", db_col(st, cols[i].col));
		pc->connector_installed = sqlite3_column_int(st, 8);
		pc->kerio_profile = sqlite3_column_int(st, 9);
		pc->new_outlook_in_use = sqlite3_column_int(st, 10);
		pc->new_outlook_installed = sqlite3_column_int(st, 11);
		pc->problems = sqlite3_column_int(st, 12);
		pc->user_unseen = sqlite3_column_int(st, 17);
		r->finding_list = cJSON_Parse(db_col(st, 15));
	}
	db_unlock(&f->db);

	cJSON *rep = cJSON_CreateObject();
	cJSON *targets = cJSON_AddObjectToObject(rep, "targets");
	cJSON_AddStringToObject(targets, "office", t->office);
	cJSON_AddStringToObject(targets, "office_bits", t->office_bits);
	cJSON_AddStringToObject(targets, "windows", t->windows);
	cJSON_AddStringToObject(targets, "server", t->server);
	cJSON_AddNumberToObject(rep, "computers", (double)n);
	cJSON *ready = cJSON_AddObjectToObject(rep, "ready");
	int counts[4] = { 0 };
	cJSON *by_connector = cJSON_CreateArray(), *by_office = cJSON_CreateArray();
	cJSON *by_windows = cJSON_CreateArray(), *by_finding = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[i];
		cJSON *checks = cJSON_CreateArray();
		const char *fix = NULL;
		r->ready = fleet_readiness(&r->pc, t, support, checks, &fix);
		snprintf(r->fix, sizeof r->fix, "%s", fix ? fix : "");
		cJSON_Delete(checks);
		counts[r->ready]++;
		char v[64];
		if (*r->pc.connector)
			snprintf(v, sizeof v, "%s%s%s", r->pc.connector, *r->pc.connector_bits ? " " : "",
				 r->pc.connector_bits);
		else
			snprintf(v, sizeof v, "%s", r->pc.connector_installed ? "" : "not installed");
		count(by_connector, v, NULL);
		snprintf(v, sizeof v, "%s%s%s", r->pc.office, *r->pc.office && *r->pc.office_bits ?
			 " " : "", *r->pc.office ? r->pc.office_bits : "");
		count(by_office, v, NULL);
		count(by_windows, r->pc.windows, NULL);
		const cJSON *fi;
		cJSON_ArrayForEach(fi, r->finding_list)
			count(by_finding, kx_json_str_or(fi, "id", ""), kx_json_str(fi, "title"));
	}
	cJSON_AddNumberToObject(ready, "ready", counts[FLEET_READY]);
	cJSON_AddNumberToObject(ready, "not_ready", counts[FLEET_NOT_READY]);
	cJSON_AddNumberToObject(ready, "unknown", counts[FLEET_UNKNOWN]);
	cJSON_AddItemToObject(rep, "by_connector", sorted_counts(by_connector));
	cJSON_AddItemToObject(rep, "by_office", sorted_counts(by_office));
	cJSON_AddItemToObject(rep, "by_windows", sorted_counts(by_windows));
	cJSON_AddItemToObject(rep, "by_finding", sorted_counts(by_finding));

	bool desc = sort && *sort == '-';
	const char *key = fleet_sort_key_valid(sort) ? sort + desc : "computer";
	for (size_t i = 0; i < n; i++) {
		rows[i].sort_num = !strcmp(key, "problems") ? rows[i].pc.problems :
				   !strcmp(key, "readiness") ? (long)rows[i].ready : 0;
		snprintf(rows[i].sort_text, sizeof rows[i].sort_text, "%s", row_field(&rows[i], key));
		rows[i].sort_desc = desc;
	}
	if (n)
		qsort(rows, n, sizeof *rows, by_key);
	cJSON *pcs = cJSON_AddArrayToObject(rep, "pcs");
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[i];
		bool keep = (!filter_ready || !*filter_ready ||
			     !strcmp(filter_ready, fleet_ready_name(r->ready))) &&
			    (!filter_finding || !*filter_finding || has_finding(r, filter_finding));
		if (keep) {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "computer", r->pc.computer);
			cJSON_AddStringToObject(p, "user", r->pc.user);
			cJSON_AddStringToObject(p, "time", r->pc.time);
			cJSON_AddStringToObject(p, "connector", r->pc.connector);
			cJSON_AddStringToObject(p, "connector_bits", r->pc.connector_bits);
			cJSON_AddStringToObject(p, "office", r->pc.office);
			cJSON_AddStringToObject(p, "office_bits", r->pc.office_bits);
			cJSON_AddStringToObject(p, "windows", r->pc.windows);
			cJSON_AddNumberToObject(p, "problems", r->pc.problems);
			cJSON_AddItemToObject(p, "findings", r->finding_list ? r->finding_list :
					      cJSON_CreateArray());
			r->finding_list = NULL;
			cJSON_AddStringToObject(p, "readiness", fleet_ready_name(r->ready));
			cJSON_AddStringToObject(p, "fix", r->fix);
			cJSON_AddStringToObject(p, "file", r->file);
			cJSON_AddItemToArray(pcs, p);
		}
		cJSON_Delete(r->finding_list);
	}
	cJSON_AddNumberToObject(rep, "shown", cJSON_GetArraySize(pcs));
	free(rows);
	return rep;
}

/* ---- CSV ---- */

static void csv_field(struct buf *out, const char *v, bool last)
{
	/* A spreadsheet runs a cell that starts with = + - @ as a formula: it is kept as text. */
	bool formula = *v == '=' || *v == '+' || *v == '-' || *v == '@' || *v == '\t' || *v == '\r';
	buf_addch(out, '"');
	if (formula)
		buf_addch(out, '\'');
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			buf_addch(out, '"');
		buf_addch(out, *p);
	}
	buf_addch(out, '"');
	buf_adds(out, last ? "\r\n" : ",");
}

void fleet_csv(const cJSON *report, struct buf *out)
{
	static const char *const cols[] = { "computer", "user", "time", "connector", "connector_bits",
					    "office", "office_bits", "windows", "readiness",
					    "problems", "findings", "fix" };
	const size_t ncols = sizeof cols / sizeof cols[0];
	for (size_t i = 0; i < ncols; i++)
		csv_field(out, cols[i], i + 1 == ncols);
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(report, "pcs")) {
		for (size_t i = 0; i < ncols; i++) {
			char num[24];
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, cols[i]);
			if (cJSON_IsNumber(v)) {
				snprintf(num, sizeof num, "%d", v->valueint);
				csv_field(out, num, i + 1 == ncols);
			} else if (cJSON_IsArray(v)) {
				struct buf ids;
				buf_init(&ids, BUF_NOMAX);
				const cJSON *fi;
				cJSON_ArrayForEach(fi, v)
					buf_addf(&ids, "%s%s", ids.len ? " " : "", kx_json_str_or(fi, "id", ""));
				csv_field(out, buf_cstr(&ids), i + 1 == ncols);
				buf_release(&ids);
			} else {
				csv_field(out, kx_json_str_or(p, cols[i], ""), i + 1 == ncols);
			}
		}
	}
}
