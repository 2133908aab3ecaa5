/* SPDX-License-Identifier: MIT */
/*
 * Readiness and the fleet: the targets' parser; readiness for every combination of the support
 * table's releases with every Windows and Office target (each worked out here from the table
 * itself); the situation of each wizard outcome; the fleet store (newest scan wins, older and
 * repeated scans counted, malformed and foreign files named and skipped, nothing lost when a
 * folder cannot be read); the report's counts, sorting and filters; CSV that a spreadsheet
 * cannot run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/json.h"
#include "../../common/util.h"
#include "../../fleet/fleet.h"
#include "t.h"

static cJSON *support;

static const char *state_of(const cJSON *checks, const char *id)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, checks)
		if (!strcmp(kx_json_str(c, "id"), id))
			return kx_json_str(c, "state");
	return "(none)";
}

static void test_targets(void)
{
	struct fleet_targets t;
	char err[300];
	T_INT(fleet_targets_parse("365-x64", "11", "10.0.6", &t, err, sizeof err), 0);
	T_STR(t.office, "365");
	T_STR(t.office_bits, "x64");
	T_STR(t.windows, "11");
	T_STR(t.server, "10.0.6");
	T_INT(fleet_targets_parse("new", "server", "10.0.4 build 6567", &t, err, sizeof err), 0);
	T_INT(fleet_targets_parse(NULL, NULL, NULL, &t, err, sizeof err), 0);
	T_STR(t.office, "");
	static const char *const bad[][3] = {
		{ "365-x32", NULL, NULL }, { "2010", NULL, NULL }, { "office", NULL, NULL },
		{ NULL, "xp", NULL }, { NULL, "12", NULL }, { NULL, NULL, "10" },
		{ NULL, NULL, "ten" }, { NULL, NULL, "10.0.6.1.2.3.4.5.6.7.8.9.10.11.12.13" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		T_CHECK(fleet_targets_parse(bad[i][0], bad[i][1], bad[i][2], &t, err, sizeof err) ==
			KX_EINVAL && *err, "case %zu accepted", i);
	}
}

/* A PC on which everything is in order for release rel, Office office and Windows win. */
static struct fleet_pc healthy(const char *rel, const char *office, const char *win)
{
	struct fleet_pc pc;
	memset(&pc, 0, sizeof pc);
	snprintf(pc.computer, sizeof pc.computer, "PC");
	snprintf(pc.connector, sizeof pc.connector, "%s", rel);
	snprintf(pc.connector_bits, sizeof pc.connector_bits, "x64");
	snprintf(pc.office_bits, sizeof pc.office_bits, "x64");
	snprintf(pc.office, sizeof pc.office, "%s", office);
	snprintf(pc.windows, sizeof pc.windows, "%s", win);
	pc.connector_installed = pc.kerio_profile = true;
	return pc;
}

static int rank(const char *const *order, int n, const char *v)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(order[i], v))
			return i;
	return -1;
}

static void test_support_matrix(void)
{
	static const char *const wins[] = { "2000", "xp", "vista", "7", "8.1", "10", "11" };
	static const char *const offices[] = { "2000", "2002", "2003", "2007", "2010", "2013", "2016",
					       "2019", "2021", "2024", "365" };
	static const char *const win_targets[] = { "7", "8.1", "10", "11", "server" };
	static const char *const office_targets[] = { "2013", "2016", "2019", "2021", "2024", "365" };
	const cJSON *row;
	int combos = 0, ready = 0, not_ready = 0, unknown = 0;
	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(support, "rows")) {
		const char *rel = kx_json_str(row, "release");
		int minw = rank(wins, 7, kx_json_str(row, "min_windows"));
		int mino = rank(offices, 11, kx_json_str(row, "min_office"));
		for (size_t w = 0; w < 5; w++)
			for (size_t o = 0; o < 6; o++) {
				struct fleet_targets t;
				char err[300];
				char office[24];
				snprintf(office, sizeof office, "%s-x64", office_targets[o]);
				T_INT(fleet_targets_parse(office, win_targets[w], rel, &t, err, sizeof err), 0);
				struct fleet_pc pc = healthy(rel, "2016", "10");
				cJSON *checks = cJSON_CreateArray();
				enum fleet_ready r = fleet_readiness(&pc, &t, support, checks, NULL);
				bool server = !strcmp(win_targets[w], "server");
				/* minw < 0: the table names a Windows outside the order (2000 is in it). */
				bool win_ok = !server && rank(wins, 7, win_targets[w]) >= minw;
				bool office_ok = rank(offices, 11, office_targets[o]) >= mino;
				enum fleet_ready want = (!server && !win_ok) || !office_ok ? FLEET_NOT_READY :
							server ? FLEET_UNKNOWN : FLEET_READY;
				T_CHECK(r == want, "release %s, Windows %s, Office %s: %s, want %s", rel,
					win_targets[w], office_targets[o], fleet_ready_name(r),
					fleet_ready_name(want));
				T_STR(state_of(checks, "windows"), server ? "unknown" : win_ok ? "ok" : "problem");
				T_STR(state_of(checks, "office"), office_ok ? "ok" : "problem");
				T_STR(state_of(checks, "connector"), "ok");
				T_STR(state_of(checks, "newest"), "note");
				combos++;
				ready += r == FLEET_READY;
				not_ready += r == FLEET_NOT_READY;
				unknown += r == FLEET_UNKNOWN;
				cJSON_Delete(checks);
			}
	}
	/* Every verdict is reached by the table as shipped. */
	T_CHECK(combos >= 5 * 30 && ready && not_ready && unknown, "%d combos: %d %d %d", combos,
		ready, not_ready, unknown);
}

/* The situation behind each of the wizard's outcomes, as a scan would show it. */
static void test_outcome_situations(void)
{
	struct fleet_targets t;
	char err[300];
	T_INT(fleet_targets_parse("365-x64", "11", "10.0.6", &t, err, sizeof err), 0);
	static const struct {
		const char *outcome;
		enum fleet_ready want;
		const char *check, *state;
	} cases[] = {
		{ "version_mismatch", FLEET_NOT_READY, "connector", "problem" },
		{ "bitness_mismatch", FLEET_NOT_READY, "bitness", "problem" },
		{ "new_outlook_unsupported", FLEET_NOT_READY, "outlook", "problem" },
		{ "unsupported_os", FLEET_NOT_READY, "windows", "problem" },
		{ "dll_missing", FLEET_NOT_READY, "scan", "problem" },
		{ "koff_removed", FLEET_NOT_READY, "connector", "problem" },
		{ "possible_malware", FLEET_NOT_READY, "scan", "problem" },
		{ "interrupted_upgrade", FLEET_NOT_READY, "scan", "problem" },
		{ "low_disk_space", FLEET_NOT_READY, "scan", "problem" },
		{ "registry_severed_by_update", FLEET_NOT_READY, "scan", "problem" },
		{ "av_false_positive", FLEET_READY, "scan", "ok" },
		{ "av_unverified", FLEET_NOT_READY, "scan", "problem" },
		/* A damaged cache or profile is not visible to a scan: readiness cannot see it. */
		{ "profile_corrupt", FLEET_READY, "scan", "ok" },
		{ "no_kerio_at_all", FLEET_READY, "connector", "ok" },
		{ "version_unknown", FLEET_UNKNOWN, "connector", "unknown" },
		{ "bitness_unknown", FLEET_UNKNOWN, "bitness", "unknown" },
		{ "short_version", FLEET_UNKNOWN, "connector", "unknown" },
		/* Scanned as SYSTEM (a start-up script): the user's Outlook is not known. */
		{ "scanned_as_system", FLEET_UNKNOWN, "outlook", "unknown" },
		{ "removed_as_system", FLEET_UNKNOWN, "connector", "unknown" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *o = cases[i].outcome;
		struct fleet_pc pc = healthy("10.0.6", "365", "11");
		if (!strcmp(o, "version_mismatch"))
			snprintf(pc.connector, sizeof pc.connector, "10.0.2");
		else if (!strcmp(o, "bitness_mismatch"))
			snprintf(pc.connector_bits, sizeof pc.connector_bits, "x86");
		else if (!strcmp(o, "new_outlook_unsupported"))
			pc.new_outlook_in_use = true;
		else if (!strcmp(o, "unsupported_os"))
			snprintf(pc.windows, sizeof pc.windows, "7");
		else if (!strcmp(o, "koff_removed")) {
			pc.connector_installed = false;
			pc.connector[0] = '\0';
		} else if (!strcmp(o, "no_kerio_at_all")) {
			pc.connector_installed = pc.kerio_profile = false;
			pc.connector[0] = '\0';
		} else if (!strcmp(o, "version_unknown"))
			pc.connector[0] = '\0';
		else if (!strcmp(o, "bitness_unknown"))
			pc.connector_bits[0] = '\0';
		else if (!strcmp(o, "short_version"))
			snprintf(pc.connector, sizeof pc.connector, "10.0");
		else if (!strcmp(o, "scanned_as_system"))
			pc.user_unseen = true;
		else if (!strcmp(o, "removed_as_system")) {
			pc.user_unseen = true;
			pc.connector_installed = pc.kerio_profile = false;
			pc.connector[0] = '\0';
		}
		else if (cases[i].want == FLEET_NOT_READY) {
			pc.problems = 1;
			snprintf(pc.first_problem, sizeof pc.first_problem, "%s", o);
		}
		struct fleet_targets tt = t;
		if (!strcmp(o, "unsupported_os"))
			tt.windows[0] = '\0';   /* Windows stays at 7 */
		cJSON *checks = cJSON_CreateArray();
		const char *fix = NULL;
		enum fleet_ready r = fleet_readiness(&pc, &tt, support, checks, &fix);
		T_CHECK(r == cases[i].want, "%s: %s", o, fleet_ready_name(r));
		T_CHECK(!strcmp(state_of(checks, cases[i].check), cases[i].state), "%s: %s is %s", o,
			cases[i].check, state_of(checks, cases[i].check));
		T_CHECK((r == FLEET_NOT_READY) == (fix && *fix), "%s: a fix exactly when not ready", o);
		cJSON_Delete(checks);
	}
}

/* ---- the store ---- */

static cJSON *fixture(void)
{
	char *text;
	if (kx_read_file("tests/fixtures/scans/intact.json", 1 << 22, &text, NULL) != 0)
		return NULL;
	cJSON *j = cJSON_Parse(text);
	free(text);
	return j;
}

static void write_scan(const char *dir, const char *file, const char *computer, const char *time,
		       const char *connector)
{
	cJSON *s = fixture();
	cJSON_ReplaceItemInObjectCaseSensitive(s, "computer", cJSON_CreateString(computer));
	cJSON_ReplaceItemInObjectCaseSensitive(s, "time", cJSON_CreateString(time));
	cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "facts"), "answers");
	cJSON_ReplaceItemInObjectCaseSensitive(a, "koff_version", cJSON_CreateString(connector));
	char path[600], *json = cJSON_PrintUnformatted(s);
	snprintf(path, sizeof path, "%s/%s", dir, file);
	T_INT(kx_write_file_atomic(path, json, strlen(json)), 0);
	cJSON_free(json);
	cJSON_Delete(s);
}

static void write_text(const char *dir, const char *file, const char *text)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	T_INT(kx_write_file_atomic(path, text, strlen(text)), 0);
}

static int count_of(const cJSON *rep, const char *group, const char *value)
{
	const cJSON *x;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(rep, group))
		if (!strcmp(kx_json_str(x, "value"), value))
			return cJSON_GetObjectItemCaseSensitive(x, "count")->valueint;
	return 0;
}

static void test_store(void)
{
	char dir[512], share[600], db[600], err[300];
	T_INT(t_tmpdir(dir, sizeof dir, "fleet"), 0);
	snprintf(share, sizeof share, "%s/share", dir);
	T_INT(kx_mkdir_p(share), 0);
	snprintf(db, sizeof db, "%s/fleet.db", dir);
	write_scan(share, "A.json", "PC-A", "2026-11-02T10:00:00Z", "10.0.6");
	write_scan(share, "A-old.json", "pc-a", "2026-10-01T10:00:00Z", "9.4.1");   /* older, other case */
	write_scan(share, "B.json", "PC-B", "2026-11-02T10:00:00Z", "10.0.2");
	write_scan(share, "B copy.json", "PC-B", "2026-11-02T10:00:00Z", "10.0.2"); /* the same */
	write_scan(share, "C.json", "=cmd|' /C calc'!A0", "2026-11-03T10:00:00Z", "10.0.6");
	write_text(share, "broken.json", "{\"computer\": ");
	write_text(share, "foreign.json", "{\"name\": \"not a scan\"}");
	write_text(share, "list.json", "[1, 2, 3]");
	write_text(share, "notes.txt", "not a scan, not .json");
	/* A scan from the future would pin PC-B's row for good; one with an offset sorts wrong. */
	write_scan(share, "future.json", "PC-B", "2999-01-01T00:00:00Z", "9.4.1");
	write_scan(share, "offset.json", "PC-B", "2026-11-30T10:00:00+02:00", "9.4.1");
	struct fleet_store *f = fleet_open(db, err, sizeof err);
	T_CHECK(f != NULL, "%s", err);
	if (!f)
		return;
	/* An empty fleet reports nothing, and an empty folder imports nothing. */
	struct fleet_targets none;
	T_INT(fleet_targets_parse(NULL, NULL, NULL, &none, err, sizeof err), 0);
	cJSON *empty = fleet_report(f, &none, support, "-readiness", NULL, NULL);
	T_INT(kx_json_num_or(empty, "computers", -1), 0);
	T_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(empty, "pcs")), 0);
	cJSON_Delete(empty);
	char emptydir[700];
	snprintf(emptydir, sizeof emptydir, "%s/empty", dir);
	T_INT(kx_mkdir_p(emptydir), 0);
	struct fleet_import_report nothing = { 0 };
	struct buf nlog;
	buf_init(&nlog, BUF_NOMAX);
	T_INT(fleet_import_dir(f, NULL, emptydir, &nothing, &nlog), 0);
	T_INT(nothing.imported + nothing.older + nothing.skipped, 0);
	buf_release(&nlog);
	struct fleet_import_report rep = { 0 };
	struct buf log;
	buf_init(&log, BUF_NOMAX);
	T_INT(fleet_import_dir(f, NULL, share, &rep, &log), 0);
	T_INT(rep.imported, 3);
	T_INT(rep.older, 2);
	T_INT(rep.skipped, 5);
	T_CONTAINS(buf_cstr(&log), "future.json: its time is not a UTC time");
	T_CONTAINS(buf_cstr(&log), "offset.json: its time is not a UTC time");
	T_CONTAINS(buf_cstr(&log), "broken.json: not JSON");
	T_CONTAINS(buf_cstr(&log), "foreign.json: not a koffix scan");
	T_CONTAINS(buf_cstr(&log), "list.json: not a koffix scan");
	T_CHECK(!strstr(buf_cstr(&log), "notes.txt"), "%s", buf_cstr(&log));

	/* A folder that cannot be read changes nothing; a newer scan then wins. */
	struct fleet_import_report again = { 0 };
	char missing[700];
	snprintf(missing, sizeof missing, "%s/nothing-here", dir);
	T_INT(fleet_import_dir(f, NULL, missing, &again, &log), KX_EIO);
	write_scan(share, "A-new.json", "PC-A", "2026-12-01T10:00:00Z", "10.0.2");
	T_INT(fleet_import_dir(f, NULL, share, &again, &log), 0);
	T_INT(again.imported, 1);
	T_INT(again.older, 5);
	T_INT(again.skipped, 5);
	buf_release(&log);

	struct fleet_targets t;
	T_INT(fleet_targets_parse("365-x64", "11", "10.0.6", &t, err, sizeof err), 0);
	cJSON *r = fleet_report(f, &t, support, "-connector", NULL, NULL);
	T_INT(kx_json_num_or(r, "computers", 0), 3);
	T_INT(count_of(r, "by_connector", "10.0.2 x64"), 2);
	T_INT(count_of(r, "by_connector", "10.0.6 x64"), 1);
	T_INT(count_of(r, "by_office", "365 x64"), 3);
	T_INT(count_of(r, "by_windows", "10"), 3);
	const cJSON *ready = cJSON_GetObjectItemCaseSensitive(r, "ready");
	T_INT(kx_json_num_or(ready, "ready", -1), 1);
	T_INT(kx_json_num_or(ready, "not_ready", -1), 2);
	const cJSON *pcs = cJSON_GetObjectItemCaseSensitive(r, "pcs");
	T_STR(kx_json_str(cJSON_GetArrayItem(pcs, 0), "connector"), "10.0.6");
	T_STR(kx_json_str(cJSON_GetArrayItem(pcs, 1), "computer"), "PC-A");
	struct buf csv;
	buf_init(&csv, BUF_NOMAX);
	fleet_csv(r, &csv);
	T_CONTAINS(buf_cstr(&csv), "\"'=cmd|' /C calc'!A0\"");
	T_CONTAINS(buf_cstr(&csv), "\"computer\",\"user\",\"time\"");
	buf_release(&csv);
	cJSON_Delete(r);
	r = fleet_report(f, &t, support, "computer", "ready", NULL);
	T_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "pcs")), 1);
	T_INT(kx_json_num_or(r, "computers", 0), 3);
	cJSON_Delete(r);
	r = fleet_report(f, &t, support, "nonsense; DROP TABLE pcs", "not_ready", "no_such_finding");
	T_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "pcs")), 0);
	cJSON_Delete(r);
	T_CHECK(fleet_sort_key_valid("-problems") && !fleet_sort_key_valid("rowid"), "sort keys");

	/* A scan that saw no one's settings (SYSTEM, no one signed in) stays "cannot tell" in
	 * the report, which is built from the stored rows, not from the scans again. */
	cJSON *sys = fixture();
	cJSON_ReplaceItemInObjectCaseSensitive(sys, "computer", cJSON_CreateString("PC-SYS"));
	cJSON_ReplaceItemInObjectCaseSensitive(sys, "user", cJSON_CreateString("SYSTEM"));
	cJSON_ReplaceItemInObjectCaseSensitive(sys, "time", cJSON_CreateString("2026-11-05T10:00:00Z"));
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
		sys, "facts"), "answers"), "koff_version", cJSON_CreateString("10.0.6"));
	char *sys_json = cJSON_PrintUnformatted(sys);
	write_text(share, "SYS.json", sys_json);
	cJSON_free(sys_json);
	cJSON_Delete(sys);
	struct fleet_import_report once = { 0 };
	struct buf slog;
	buf_init(&slog, BUF_NOMAX);
	T_INT(fleet_import_dir(f, NULL, share, &once, &slog), 0);
	T_INT(once.imported, 1);
	buf_release(&slog);
	r = fleet_report(f, &t, support, "computer", NULL, NULL);
	ready = cJSON_GetObjectItemCaseSensitive(r, "ready");
	T_INT(kx_json_num_or(ready, "unknown", -1), 1);
	cJSON_Delete(r);
	fleet_close(f);
	T_INT(t_rm_rf(dir), 0);
}

/* Whose settings a scan read: a person's, or no one's (SYSTEM with no one signed in, a
 * computer account, or profiles the scan could not read). */
static void test_user_seen(void)
{
	static const struct { const char *user, *profiles; bool unseen; } cases[] = {
		{ "alice", "{\"available\": true, \"kerio_count\": 1}", false },
		{ "alice", "{\"kerio_count\": 1}", false },   /* older scans: no flag */
		{ "SYSTEM", "{\"available\": true}", true },
		{ "system", "{}", true },
		{ "PC01$", "{}", true },
		{ "alice", "{\"available\": false, \"kerio_count\": 0}", true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char json[512];
		snprintf(json, sizeof json, "{\"computer\": \"PC01\", \"user\": \"%s\", "
			 "\"facts\": {\"profiles\": %s}}", cases[i].user, cases[i].profiles);
		cJSON *scan = cJSON_Parse(json);
		struct fleet_pc pc;
		T_INT(fleet_pc_from_scan(scan, &pc), 0);
		T_CHECK(pc.user_unseen == cases[i].unseen, "case %zu (%s): unseen %d", i,
			cases[i].user, pc.user_unseen);
		cJSON_Delete(scan);
	}
}

int main(void)
{
	char *text;
	if (kx_read_file("wizard/data/koff-support.json", 1 << 20, &text, NULL) == 0) {
		support = cJSON_Parse(text);
		free(text);
	}
	T_CHECK(support != NULL, "%s", "cannot read the support table");
	test_targets();
	test_support_matrix();
	test_outcome_situations();
	test_user_seen();
	test_store();
	cJSON_Delete(support);
	return t_done("fleet");
}
