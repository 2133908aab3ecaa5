/* SPDX-License-Identifier: MIT */
/*
 * Readiness of one PC for a planned Office or Windows upgrade: the facts a scan established,
 * checked against the targets and the connector's support table (fleet.h has the rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/json.h"
#include "../common/util.h"
#include "fleet.h"

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static const cJSON *at(const cJSON *j, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
	return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

int fleet_pc_from_scan(const cJSON *scan, struct fleet_pc *pc)
{
	memset(pc, 0, sizeof *pc);
	const cJSON *facts = at(scan, "facts", NULL);
	if (!cJSON_IsObject(scan) || !cJSON_IsObject(facts) || !kx_json_str(scan, "computer"))
		return KX_EINVAL;
	copy(pc->computer, sizeof pc->computer, kx_json_str(scan, "computer"));
	copy(pc->user, sizeof pc->user, kx_json_str(scan, "user"));
	copy(pc->time, sizeof pc->time, kx_json_str(scan, "time"));
	const cJSON *answers = at(facts, "answers", NULL);
	/* "unknown" is an answer the wizard offers; for readiness it is simply not known. */
	const struct { char *dst; size_t len; const char *key; } a[] = {
		{ pc->connector, sizeof pc->connector, "koff_version" },
		{ pc->connector_bits, sizeof pc->connector_bits, "koff_bitness" },
		{ pc->office, sizeof pc->office, "office_version" },
		{ pc->office_bits, sizeof pc->office_bits, "office_bitness" },
		{ pc->windows, sizeof pc->windows, "windows_version" },
	};
	for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
		const char *v = kx_json_str(answers, a[i].key);
		copy(a[i].dst, a[i].len, v && strcmp(v, "unknown") ? v : "");
	}
	if (!*pc->connector)
		copy(pc->connector, sizeof pc->connector, kx_json_str(at(facts, "connector", NULL), "version"));
	pc->connector_installed = cJSON_IsTrue(at(facts, "connector", "installed"));
	const cJSON *kc = at(facts, "profiles", "kerio_count");
	pc->kerio_profile = cJSON_IsNumber(kc) && kc->valuedouble > 0;
	pc->new_outlook_in_use = cJSON_IsTrue(at(facts, "new_outlook", "in_use")) ||
				 kx_json_str_or(answers, "outlook_kind", "")[0] == 'n';
	pc->new_outlook_installed = cJSON_IsTrue(at(facts, "new_outlook", "app_installed"));
	/* A scan run as SYSTEM reads the signed-in person's settings and names them; with no one
	 * signed in it names SYSTEM (or, from an older koffix, the computer account) and reads
	 * no person's settings: whether the profiles use Kerio, or the new Outlook, is not known. */
	const char *user = kx_json_str_or(scan, "user", "");
	pc->user_unseen = !strcasecmp(user, "SYSTEM") || !strcasecmp(user, "LOCAL SYSTEM") ||
			  (*user && user[strlen(user) - 1] == '$') ||
			  cJSON_IsFalse(at(facts, "profiles", "available"));
	/* Problems first, then warnings, then the rest: the list a table shows (ids cut whole
	 * when the list is long; every problem is counted). */
	static const char *const order[] = { "problem", "warning", "info" };
	size_t used = 0;
	bool full = false;
	for (size_t o = 0; o < 3; o++) {
		const cJSON *f;
		cJSON_ArrayForEach(f, at(scan, "findings", NULL)) {
			const char *sev = kx_json_str(f, "severity"), *id = kx_json_str(f, "id");
			if (!sev || !id || strcmp(sev, order[o]))
				continue;
			if (o == 0 && pc->problems++ == 0)
				copy(pc->first_problem, sizeof pc->first_problem, kx_json_str(f, "title"));
			int n = full ? -1 : snprintf(pc->findings + used, sizeof pc->findings - used,
						     "%s%s", used ? "," : "", id);
			if (n < 0 || (size_t)n >= sizeof pc->findings - used) {
				pc->findings[used] = '\0';
				full = true;
				continue;
			}
			used += (size_t)n;
		}
	}
	return 0;
}

/* ---- targets ---- */

static const char *const windows_order[] = { "2000", "xp", "vista", "7", "8.1", "10", "11" };
static const char *const office_order[] = { "2000", "2002", "2003", "2007", "2010", "2013", "2016",
					     "2019", "2021", "2024", "365" };
#define COUNT(a) ((int)(sizeof(a) / sizeof(a)[0]))

static int rank(const char *const *order, int n, const char *v)
{
	for (int i = 0; v && i < n; i++)
		if (!strcmp(order[i], v))
			return i;
	return -1;
}

/* A version's first parts as numbers ("10.0.4 build 6567" = 10, 0, 4, 6567). Parts read, or 0. */
static int version(const char *s, long v[4])
{
	int n = 0;
	memset(v, 0, 4 * sizeof v[0]);
	while (s && *s && n < 4) {
		if (*s < '0' || *s > '9')
			break;
		char *end;
		v[n++] = strtol(s, &end, 10);
		s = end;
		while (*s == '.' || *s == ' ' || (*s >= 'a' && *s <= 'z'))
			s++;
	}
	return n;
}

static int version_cmp(const char *a, const char *b, int parts)
{
	long x[4], y[4];
	version(a, x);
	version(b, y);
	for (int i = 0; i < parts; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

int fleet_targets_parse(const char *office, const char *windows, const char *server,
			struct fleet_targets *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	if (office && *office) {
		char v[16];
		copy(v, sizeof v, office);
		char *dash = strchr(v, '-');
		if (dash) {
			*dash++ = '\0';
			if (strcmp(dash, "x86") && strcmp(dash, "x64"))
				return kx_errorf(err, errlen, KX_EINVAL, "the Office target's bitness is "
						 "x86 or x64, not '%s'", dash);
			copy(t->office_bits, sizeof t->office_bits, dash);
		}
		if (strcmp(v, "new") && rank(office_order, COUNT(office_order), v) < 5)
			return kx_errorf(err, errlen, KX_EINVAL, "the Office target is 2013, 2016, 2019, "
					 "2021, 2024, 365 or new (the new Outlook), optionally with -x86 "
					 "or -x64; not '%s'", office);
		copy(t->office, sizeof t->office, v);
	}
	if (windows && *windows) {
		if (strcmp(windows, "server") && rank(windows_order, COUNT(windows_order), windows) < 3)
			return kx_errorf(err, errlen, KX_EINVAL, "the Windows target is 7, 8.1, 10, 11 "
					 "or server; not '%s'", windows);
		copy(t->windows, sizeof t->windows, windows);
	}
	if (server && *server) {
		long v[4];
		if (strlen(server) >= sizeof t->server || version(server, v) < 3)
			return kx_errorf(err, errlen, KX_EINVAL, "the server's version is like 10.0.6 "
					 "(major.minor.patch, a build number may follow); not '%s'", server);
		copy(t->server, sizeof t->server, server);
	}
	return 0;
}

const char *fleet_ready_name(enum fleet_ready r)
{
	return r == FLEET_READY ? "ready" : r == FLEET_NOT_READY ? "not_ready" : "unknown";
}

/* ---- the checks ---- */

/* The support table's row for a release: the newest row at or below it. */
static const cJSON *support_row(const cJSON *support, const char *release)
{
	const cJSON *row, *best = NULL;
	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(support, "rows")) {
		const char *r = kx_json_str(row, "release");
		if (r && version_cmp(r, release, 3) <= 0 &&
		    (!best || version_cmp(r, kx_json_str(best, "release"), 3) > 0))
			best = row;
	}
	return best;
}

static void check(cJSON *checks, const char *id, const char *state, const char *title,
		  const char *detail, const char *fix)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "id", id);
	cJSON_AddStringToObject(c, "state", state);
	cJSON_AddStringToObject(c, "title", title);
	cJSON_AddStringToObject(c, "detail", detail);
	cJSON_AddStringToObject(c, "fix", fix ? fix : "");
	cJSON_AddItemToArray(checks, c);
}

/* The Windows or Office check: the target (or today's) against the release's oldest listed. */
static void check_minimum(cJSON *checks, const char *id, const char *what, const char *value,
			  bool planned, const cJSON *row, const char *release, const char *column,
			  const char *const *order, int n)
{
	char title[80], detail[700], fix[300];
	snprintf(title, sizeof title, "%s is one the connector supports", what);
	const char *min = kx_json_str(row, column);
	if (!*value) {
		snprintf(detail, sizeof detail, "The scan could not tell which %s this PC has, and the "
			 "upgrade does not set it.", what);
		check(checks, id, "unknown", title, detail, NULL);
		return;
	}
	if (!row || !min) {
		snprintf(detail, sizeof detail, "The support table has no row for connector %s, so "
			 "whether it supports %s %s is not known.", release, what, value);
		check(checks, id, "unknown", title, detail, NULL);
		return;
	}
	int have = rank(order, n, value), need = rank(order, n, min);
	if (have < 0) {
		snprintf(detail, sizeof detail, "Which %s releases connector %s supports on %s %s is "
			 "not published; check Kerio's system requirements.", what, release, what, value);
		check(checks, id, "unknown", title, detail, NULL);
		return;
	}
	if (need < 0) {
		snprintf(detail, sizeof detail, "The support table's oldest %s for connector %s (%s) "
			 "is not one koffix can compare.", what, release, min);
		check(checks, id, "unknown", title, detail, NULL);
		return;
	}
	if (have < need) {
		snprintf(detail, sizeof detail, "%s %s%s is older than the oldest %s listed for connector "
			 "%s (%s).", what, value, planned ? " (the target)" : " (on this PC)", what,
			 release, min);
		snprintf(fix, sizeof fix, "Move to %s %s or newer before installing connector %s.",
			 what, min, release);
		check(checks, id, "problem", title, detail, fix);
		return;
	}
	snprintf(detail, sizeof detail, "%s %s%s is not older than the oldest listed for connector "
		 "%s (%s).%s", what, value, planned ? " (the target)" : " (on this PC)", release, min,
		 kx_json_str(row, "unverified") ? " That row of the support table is inferred, not "
		 "published by Kerio." : "");
	check(checks, id, "ok", title, detail, NULL);
}

enum fleet_ready fleet_readiness(const struct fleet_pc *pc, const struct fleet_targets *t,
				 const cJSON *support, cJSON *checks, const char **fix)
{
	char detail[700], fixbuf[400];
	if (pc->problems) {
		snprintf(detail, sizeof detail, "The scan found %d problem%s: %s.", pc->problems,
			 pc->problems == 1 ? "" : "s", pc->first_problem);
		snprintf(fixbuf, sizeof fixbuf, "Repair this PC first: run koffix on it and follow "
			 "the diagnosis for \"%s\".", pc->first_problem);
		check(checks, "scan", "problem", "No problem open on this PC", detail, fixbuf);
	} else {
		check(checks, "scan", "ok", "No problem open on this PC",
		      "The scan found no problem.", NULL);
	}
	bool uses_kerio = pc->connector_installed || pc->kerio_profile || *pc->connector;
	if (!uses_kerio && pc->user_unseen) {
		check(checks, "connector", "unknown", "The connector",
		      "No Kerio connector is installed; whether the person's Outlook profile still "
		      "uses Kerio is not known: the scan could not read the person's settings (it "
		      "ran as SYSTEM with no one signed in, for example). Scan while someone is "
		      "signed in, or at user logon.", NULL);
	} else if (!uses_kerio) {
		check(checks, "connector", "ok", "The connector",
		      "No Kerio connector is installed and no Outlook profile uses Kerio: the "
		      "upgrade does not concern the connector on this PC.", NULL);
	} else if (!pc->connector_installed && !*pc->connector) {
		snprintf(fixbuf, sizeof fixbuf, "Install connector %s, or remove the Kerio account "
			 "from the Outlook profile if this PC no longer uses Kerio.",
			 *t->server ? t->server : "of the server's release");
		check(checks, "connector", "problem", "The connector",
		      "An Outlook profile uses the Kerio service, but the connector is not installed.",
		      fixbuf);
	} else if (!*pc->connector || version(pc->connector, (long[4]){ 0 }) < 3) {
		check(checks, "connector", "unknown", "The connector matches the server",
		      *pc->connector ? "The connector's version is not complete (major.minor.patch is "
		      "needed to compare it with the server's)." : "The connector is installed, but "
		      "the scan could not read its version.", NULL);
	} else if (!*t->server) {
		snprintf(detail, sizeof detail, "Connector %s is installed; the server's version was "
			 "not given, so koffix cannot tell whether they match.", pc->connector);
		check(checks, "connector", "unknown", "The connector matches the server", detail, NULL);
	} else if (version_cmp(pc->connector, t->server, 3) != 0) {
		snprintf(detail, sizeof detail, "Connector %s and Kerio Connect %s are different "
			 "releases; Kerio expects the connector to be the server's release.",
			 pc->connector, t->server);
		snprintf(fixbuf, sizeof fixbuf, "Install connector %s (the server's release) before "
			 "the upgrade.", t->server);
		check(checks, "connector", "problem", "The connector matches the server", detail, fixbuf);
	} else {
		snprintf(detail, sizeof detail, "Connector %s is the server's release (%s).",
			 pc->connector, t->server);
		check(checks, "connector", "ok", "The connector matches the server", detail, NULL);
	}
	if (uses_kerio) {
		/* Bitness: the connector's against Office's after the upgrade. */
		const char *obits = *t->office_bits ? t->office_bits : pc->office_bits;
		if (!*obits || !*pc->connector_bits) {
			snprintf(detail, sizeof detail, "%s", !*obits ? "Office's bitness (today's, or "
				 "the target's) is not known." : "The connector's bitness is not known.");
			check(checks, "bitness", "unknown", "The connector's bitness is Office's", detail, NULL);
		} else if (strcmp(obits, pc->connector_bits)) {
			snprintf(detail, sizeof detail, "Office will be %s but the connector is %s; "
				 "Outlook loads only MAPI providers of its own bitness.", obits,
				 pc->connector_bits);
			snprintf(fixbuf, sizeof fixbuf, "Install the %s build of the connector together "
				 "with %s Office.", obits, obits);
			check(checks, "bitness", "problem", "The connector's bitness is Office's", detail,
			      fixbuf);
		} else {
			snprintf(detail, sizeof detail, "Office will be %s, like the connector.", obits);
			check(checks, "bitness", "ok", "The connector's bitness is Office's", detail, NULL);
		}
		/* Classic Outlook. */
		if (strcmp(t->office, "new") && !pc->new_outlook_in_use && pc->user_unseen) {
			check(checks, "outlook", "unknown", "Classic Outlook stays",
			      "The scan could not read the person's Outlook settings (it ran as "
			      "SYSTEM with no one signed in, for example): scan while someone is "
			      "signed in, or at user logon, to know whether the new Outlook is in "
			      "use.", NULL);
		} else if (!strcmp(t->office, "new") || pc->new_outlook_in_use) {
			check(checks, "outlook", "problem", "Classic Outlook stays",
			      !strcmp(t->office, "new") ? "The plan moves to the new Outlook, which "
			      "does not load MAPI providers such as the connector." : "This PC uses the "
			      "new Outlook, which does not load the connector.",
			      "Keep classic Outlook (the Outlook of Office or Microsoft 365 Apps) on "
			      "PCs that use the Kerio connector.");
		} else {
			check(checks, "outlook", pc->new_outlook_installed ? "note" : "ok",
			      "Classic Outlook stays", pc->new_outlook_installed ? "Classic Outlook is "
			      "in use; the new Outlook app is also installed, and it cannot use the "
			      "connector: keep people on classic Outlook." : "Classic Outlook is in use.",
			      NULL);
		}
		/* The release that runs after the upgrade: the server's, else today's connector. */
		const char *release = *t->server ? t->server : pc->connector;
		const cJSON *row = *release ? support_row(support, release) : NULL;
		const char *win = *t->windows ? t->windows : pc->windows;
		const char *office = *t->office && strcmp(t->office, "new") ? t->office : pc->office;
		check_minimum(checks, "windows", "Windows", win, *t->windows, row, release,
			      "min_windows", windows_order, COUNT(windows_order));
		check_minimum(checks, "office", "Office", office, *t->office && strcmp(t->office, "new"),
			      row, release,
			      "min_office", office_order, COUNT(office_order));
		check(checks, "newest", "note", "The newest supported releases",
		      "Kerio does not publish the newest Windows or Office a connector release "
		      "supports, so koffix checks only the oldest: confirm a brand-new Office or "
		      "Windows release against Kerio's current system requirements.", NULL);
	}
	enum fleet_ready r = FLEET_READY;
	const cJSON *c;
	if (fix)
		*fix = NULL;
	cJSON_ArrayForEach(c, checks) {
		const char *s = kx_json_str(c, "state");
		if (!strcmp(s, "problem")) {
			if (fix && !*fix && *kx_json_str(c, "fix"))
				*fix = kx_json_str(c, "fix");
			r = FLEET_NOT_READY;
		} else if (!strcmp(s, "unknown") && r == FLEET_READY) {
			r = FLEET_UNKNOWN;
		}
	}
	return r;
}

cJSON *fleet_readiness_json(const cJSON *scan, const struct fleet_targets *t,
			    const cJSON *support)
{
	struct fleet_pc pc;
	cJSON *out = cJSON_CreateObject(), *checks = cJSON_CreateArray();
	enum fleet_ready r = FLEET_UNKNOWN;
	const char *fix = NULL;
	if (fleet_pc_from_scan(scan, &pc) == 0)
		r = fleet_readiness(&pc, t, support, checks, &fix);
	else
		check(checks, "scan", "unknown", "A scan of the PC", "This is not a koffix scan.", NULL);
	cJSON_AddStringToObject(out, "computer", pc.computer);
	cJSON_AddStringToObject(out, "readiness", fleet_ready_name(r));
	cJSON_AddNumberToObject(out, "exit", r);
	cJSON *tj = cJSON_AddObjectToObject(out, "targets");
	cJSON_AddStringToObject(tj, "office", t->office);
	cJSON_AddStringToObject(tj, "office_bits", t->office_bits);
	cJSON_AddStringToObject(tj, "windows", t->windows);
	cJSON_AddStringToObject(tj, "server", t->server);
	cJSON *p = cJSON_AddObjectToObject(out, "pc");
	cJSON_AddStringToObject(p, "connector", pc.connector);
	cJSON_AddStringToObject(p, "connector_bits", pc.connector_bits);
	cJSON_AddStringToObject(p, "office", pc.office);
	cJSON_AddStringToObject(p, "office_bits", pc.office_bits);
	cJSON_AddStringToObject(p, "windows", pc.windows);
	cJSON_AddBoolToObject(p, "connector_installed", pc.connector_installed);
	cJSON_AddBoolToObject(p, "kerio_profile", pc.kerio_profile);
	cJSON_AddBoolToObject(p, "new_outlook_in_use", pc.new_outlook_in_use);
	cJSON_AddNumberToObject(p, "problems", pc.problems);
	cJSON_AddStringToObject(out, "fix", fix ? fix : "");
	cJSON_AddItemToObject(out, "checks", checks);
	return out;
}

int fleet_ready_exit(const cJSON *readiness)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(readiness, "exit");
	return cJSON_IsNumber(e) ? e->valueint : FLEET_UNKNOWN;
}

void fleet_readiness_json_text(const cJSON *rd, struct buf *out)
{
	const char *r = kx_json_str_or(rd, "readiness", "unknown");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(rd, "targets");
	buf_addf(out, "Readiness of %s for", *kx_json_str_or(rd, "computer", "") ?
		 kx_json_str(rd, "computer") : "this PC");
	const char *o = kx_json_str_or(t, "office", ""), *w = kx_json_str_or(t, "windows", "");
	const char *sv = kx_json_str_or(t, "server", ""), *ob = kx_json_str_or(t, "office_bits", "");
	if (*o)
		buf_addf(out, " Office %s%s%s%s", o, *ob ? " (" : "", ob, *ob ? ")" : "");
	if (*w)
		buf_addf(out, "%s Windows %s", *o ? "," : "", w);
	if (*sv)
		buf_addf(out, "%s Kerio Connect %s", *o || *w ? "," : "", sv);
	if (!*o && !*w && !*sv)
		buf_adds(out, " no change (no target given)");
	buf_addf(out, ": %s\n\n", !strcmp(r, "ready") ? "READY" : !strcmp(r, "not_ready") ?
		 "NOT READY" : "CANNOT TELL (a fact koffix needs is not known)");
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(rd, "checks")) {
		buf_addf(out, "  %-8s %s\n           %s\n", kx_json_str(c, "state"),
			 kx_json_str(c, "title"), kx_json_str(c, "detail"));
		if (*kx_json_str_or(c, "fix", ""))
			buf_addf(out, "           Do: %s\n", kx_json_str(c, "fix"));
	}
	if (*kx_json_str_or(rd, "fix", ""))
		buf_addf(out, "\nFirst: %s\n", kx_json_str(rd, "fix"));
}
