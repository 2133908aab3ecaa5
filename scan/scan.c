/* SPDX-License-Identifier: MIT */
/*
 * The scan put together: the agent's reading of the PC, the events it returned parsed and
 * classified, koffix's own check of the installed DLL, the counts the rules read, the findings;
 * and what a scan gives the wizard and a person reading it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/json.h"
#include "../common/util.h"
#include "scan.h"

#define EVENTS_KEPT 50          /* per kind: the newest, as the agent reads newest first */
#define PRODUCT "Kerio Outlook Connector"

static cJSON *object(cJSON *parent, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);
	if (!cJSON_IsObject(o)) {
		cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
		o = cJSON_AddObjectToObject(parent, key);
	}
	return o;
}

/* The list parent[key]: emptied when fresh, else kept as it is (a list in any case). */
static cJSON *list(cJSON *parent, const char *key, bool fresh)
{
	cJSON *l = cJSON_GetObjectItemCaseSensitive(parent, key);
	if (!fresh && cJSON_IsArray(l))
		return l;
	cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
	return cJSON_AddArrayToObject(parent, key);
}

static void set_number(cJSON *o, const char *key, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddNumberToObject(o, key, v);
}

static void set_bool(cJSON *o, const char *key, bool v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddBoolToObject(o, key, v);
}

static bool source_available(const cJSON *raw, const char *name)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(raw, "sources"))
		if (kx_json_str(s, "name") && !strcmp(kx_json_str(s, "name"), name))
			return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "available"));
	return false;
}

static cJSON *fact_json(const struct scan_evt_fact *f)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "event_id", f->event_id);
	cJSON_AddStringToObject(o, "time", f->time);
	switch (f->kind) {
	case SCAN_EVT_CRASH:
		cJSON_AddStringToObject(o, "app", f->app);
		cJSON_AddStringToObject(o, "module", f->module);
		break;
	case SCAN_EVT_MSI:
		cJSON_AddStringToObject(o, "product", f->product);
		cJSON_AddStringToObject(o, "version", f->version);
		cJSON_AddStringToObject(o, "product_code", f->product_code);
		cJSON_AddNumberToObject(o, "status", f->status);
		cJSON_AddBoolToObject(o, "failed", f->failed);
		break;
	case SCAN_EVT_DEFENDER:
		cJSON_AddStringToObject(o, "threat", f->threat);
		cJSON_AddStringToObject(o, "path", f->path);
		cJSON_AddStringToObject(o, "action", f->action);
		break;
	default:
		break;
	}
	return o;
}

/* The events of one log, parsed and classified into facts; counts what could not be read. */
static void read_log(const cJSON *xmls, cJSON *crashes, cJSON *msi, cJSON *defender,
		     int *unreadable)
{
	struct scan_event *ev = xmalloc(sizeof *ev);
	const cJSON *x;
	cJSON_ArrayForEach(x, xmls) {
		char err[200];
		struct scan_evt_fact f;
		if (!cJSON_IsString(x) || scan_evt_parse(x->valuestring, strlen(x->valuestring), ev,
							 err, sizeof err) != 0) {
			(*unreadable)++;
			continue;
		}
		enum scan_evt_kind k = scan_evt_classify(ev, PRODUCT, &f);
		cJSON *into = k == SCAN_EVT_CRASH ? crashes : k == SCAN_EVT_MSI ? msi :
			      k == SCAN_EVT_DEFENDER ? defender : NULL;
		if (into && cJSON_GetArraySize(into) < EVENTS_KEPT)
			cJSON_AddItemToArray(into, fact_json(&f));
	}
	free(ev);
}

static bool names_connector(const char *s)
{
	return kx_icontains(s, "kofmsp") || kx_icontains(s, "KoffBackend");
}

/* The counts and flags the rules read, from the facts as read. */
static void derive(cJSON *facts, const cJSON *raw)
{
	cJSON *conn = object(facts, "connector");
	const cJSON *entries = cJSON_GetObjectItemCaseSensitive(conn, "entries");
	int n = cJSON_GetArraySize(entries);
	set_number(conn, "entry_count", n);
	set_bool(conn, "installed", n > 0);
	const cJSON *first = cJSON_GetArrayItem(entries, 0);
	const char *dir = kx_json_str(first, "install_dir");
	if (kx_json_str(first, "version"))
		cJSON_AddStringToObject(conn, "version", kx_json_str(first, "version"));
	set_number(conn, "pending_count", cJSON_GetArraySize(
		cJSON_GetObjectItemCaseSensitive(conn, "pending_connector_files")));

	cJSON *prof = object(facts, "profiles");
	cJSON *kerio = cJSON_CreateArray();
	const cJSON *p, *s;
	bool default_kerio = false;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(prof, "list")) {
		bool has = false;
		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(p, "services"))
			has |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "kerio"));
		if (has && kx_json_str(p, "name")) {
			cJSON_AddItemToArray(kerio, cJSON_CreateString(kx_json_str(p, "name")));
			default_kerio |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "default"));
		}
	}
	/* Whether the profiles could be read at all (a scan as SYSTEM with no one signed in
	 * could not): a count of 0 alone would read as "no profile uses Kerio". */
	set_bool(prof, "available", source_available(raw, "profiles"));
	set_number(prof, "kerio_count", cJSON_GetArraySize(kerio));
	set_bool(prof, "default_has_kerio", default_kerio);
	cJSON_DeleteItemFromObjectCaseSensitive(prof, "kerio");
	cJSON_AddItemToObject(prof, "kerio", kerio);

	/* The event logs: parsed here, never trusted to the agent's reading. A saved scan (no
	 * raw events) keeps the events it was completed with. */
	const cJSON *events = cJSON_GetObjectItemCaseSensitive(raw, "events");
	cJSON *ev = object(facts, "events"), *def = object(facts, "defender");
	cJSON *crashes = list(ev, "crashes", events != NULL), *msi = list(ev, "msi", events != NULL);
	cJSON *dets = list(def, "detections", events != NULL);
	if (events) {
		int unreadable = 0;
		read_log(cJSON_GetObjectItemCaseSensitive(events, "application"), crashes, msi, dets,
			 &unreadable);
		read_log(cJSON_GetObjectItemCaseSensitive(events, "defender"), crashes, msi, dets,
			 &unreadable);
		set_number(ev, "unreadable", unreadable);
	}
	set_bool(ev, "available", source_available(raw, "eventlog.application"));
	set_bool(def, "available", source_available(raw, "eventlog.defender"));
	int kof = 0, outlook = 0, failures = 0, in_folder = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, crashes) {
		if (names_connector(kx_json_str(e, "app")) || names_connector(kx_json_str(e, "module")))
			kof++;
		else
			outlook++;
	}
	cJSON_ArrayForEach(e, msi)
		failures += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "failed"));
	cJSON_ArrayForEach(e, dets)
		in_folder += dir && *dir && kx_icontains(kx_json_str(e, "path"), dir);
	set_number(ev, "connector_crashes", kof);
	set_number(ev, "outlook_crashes", outlook);
	set_number(ev, "msi_failures", failures);
	set_number(def, "count", cJSON_GetArraySize(dets));
	set_number(def, "install_folder_count", in_folder);

	cJSON *dll = object(facts, "dll");
	const char *path = kx_json_str(dll, "path");
	set_bool(dll, "in_install_folder", path && dir && *dir && kx_icontains(path, dir));
	const char *office = kx_json_str(cJSON_GetObjectItemCaseSensitive(facts, "office"), "bitness");
	const char *machine = kx_json_str(dll, "machine");
	set_bool(dll, "bitness_mismatch", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dll, "present"))
		 && office && machine && (!strcmp(machine, "x86") || !strcmp(machine, "x64")) &&
		 (!strcmp(office, "x86") || !strcmp(office, "x64")) && strcmp(office, machine));

	cJSON *disk = object(facts, "disk");
	const cJSON *free_b = cJSON_GetObjectItemCaseSensitive(disk, "free_bytes");
	const cJSON *floor_b = cJSON_GetObjectItemCaseSensitive(disk, "threshold_bytes");
	if (cJSON_IsNumber(free_b) && cJSON_IsNumber(floor_b)) {
		set_bool(disk, "low", free_b->valuedouble < floor_b->valuedouble);
		set_number(disk, "free_mb", (double)(long long)(free_b->valuedouble / 1048576.0));
		set_number(disk, "threshold_mb", (double)(long long)(floor_b->valuedouble / 1048576.0));
	}
}

/* koffix's own check of the installed DLL, kept short: verdict, reason, signature status. */
static cJSON *check_summary(const cJSON *report)
{
	cJSON *o = cJSON_CreateObject();
	static const char *const keys[] = { "verdict", "reason", "sha256", "machine" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (kx_json_str(report, keys[i]))
			cJSON_AddStringToObject(o, keys[i], kx_json_str(report, keys[i]));
	const cJSON *sig = cJSON_GetObjectItemCaseSensitive(report, "signature");
	if (kx_json_str(sig, "status"))
		cJSON_AddStringToObject(o, "signature", kx_json_str(sig, "status"));
	const cJSON *signer = cJSON_GetObjectItemCaseSensitive(sig, "signer");
	if (kx_json_str(signer, "organization") && *kx_json_str(signer, "organization"))
		cJSON_AddStringToObject(o, "signer", kx_json_str(signer, "organization"));
	else if (kx_json_str(signer, "common_name"))
		cJSON_AddStringToObject(o, "signer", kx_json_str(signer, "common_name"));
	return o;
}

cJSON *scan_complete(const struct scan_rules *rules, const cJSON *raw, const cJSON *dll_check,
		     const char *version)
{
	cJSON *scan = cJSON_CreateObject();
	cJSON_AddStringToObject(scan, "version", version);
	cJSON_AddStringToObject(scan, "computer", kx_json_str(raw, "computer") ? kx_json_str(raw, "computer") : "");
	cJSON_AddStringToObject(scan, "user", kx_json_str(raw, "user") ? kx_json_str(raw, "user") : "");
	char now[21];
	kx_utc_now(now);
	cJSON_AddStringToObject(scan, "time", kx_json_str(raw, "time") ? kx_json_str(raw, "time") : now);
	const cJSON *sources = cJSON_GetObjectItemCaseSensitive(raw, "sources");
	cJSON_AddItemToObject(scan, "sources", cJSON_IsArray(sources) ?
			      cJSON_Duplicate(sources, 1) : cJSON_CreateArray());
	const cJSON *rf = cJSON_GetObjectItemCaseSensitive(raw, "facts");
	cJSON *facts = cJSON_IsObject(rf) ? cJSON_Duplicate(rf, 1) : cJSON_CreateObject();
	if (dll_check) {
		cJSON_DeleteItemFromObjectCaseSensitive(object(facts, "dll"), "check");
		cJSON_AddItemToObject(object(facts, "dll"), "check", check_summary(dll_check));
	}
	derive(facts, raw);
	cJSON_AddItemToObject(scan, "facts", facts);
	cJSON_AddItemToObject(scan, "findings", rules ? scan_findings(rules, facts) :
			      cJSON_CreateArray());
	return scan;
}

int scan_validate(const cJSON *j, char *err, size_t errlen)
{
	if (!cJSON_IsObject(j))
		return kx_errorf(err, errlen, KX_EINVAL, "a scan is a JSON object");
	static const char *const strings[] = { "version", "computer", "time" };
	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
		if (!kx_json_str(j, strings[i]))
			return kx_errorf(err, errlen, KX_EINVAL, "a scan has \"%s\" (a string)",
					 strings[i]);
	const cJSON *sources = cJSON_GetObjectItemCaseSensitive(j, "sources"), *s;
	if (!cJSON_IsArray(sources))
		return kx_errorf(err, errlen, KX_EINVAL, "a scan has \"sources\" (a list)");
	cJSON_ArrayForEach(s, sources)
		if (!kx_json_str(s, "name") || !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(s, "available")))
			return kx_errorf(err, errlen, KX_EINVAL, "each source has a name and whether "
					 "it was available");
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "facts")))
		return kx_errorf(err, errlen, KX_EINVAL, "a scan has \"facts\" (an object)");
	const cJSON *findings = cJSON_GetObjectItemCaseSensitive(j, "findings"), *f;
	if (!cJSON_IsArray(findings))
		return kx_errorf(err, errlen, KX_EINVAL, "a scan has \"findings\" (a list)");
	cJSON_ArrayForEach(f, findings)
		if (!kx_json_str(f, "id") || !kx_json_str(f, "severity") || !kx_json_str(f, "title"))
			return kx_errorf(err, errlen, KX_EINVAL, "each finding has an id, a severity "
					 "and a title");
	return 0;
}

int scan_exit_code(const cJSON *scan)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(scan, "findings"))
		if (kx_json_str(f, "severity") && !strcmp(kx_json_str(f, "severity"), "problem"))
			return 1;
	return 0;
}

void scan_text(const cJSON *scan, struct buf *out)
{
	buf_addf(out, "koffix scan of %s%s%s, %s\n\n", *kx_json_str(scan, "computer") ?
		 kx_json_str(scan, "computer") : "this PC", kx_json_str(scan, "user") && *kx_json_str(scan, "user") ?
		 " as " : "", kx_json_str(scan, "user") ? kx_json_str(scan, "user") : "", kx_json_str(scan, "time"));
	buf_adds(out, "What was read:\n");
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(scan, "sources"))
		buf_addf(out, "  %-26s %s%s%s\n", kx_json_str(s, "name"),
			 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "available")) ? "read" :
			 "NOT AVAILABLE", kx_json_str(s, "detail") ? ": " : "",
			 kx_json_str(s, "detail") ? kx_json_str(s, "detail") : "");
	const cJSON *findings = cJSON_GetObjectItemCaseSensitive(scan, "findings");
	if (!cJSON_GetArraySize(findings)) {
		buf_adds(out, "\nNo finding: nothing the scan can see points to a problem.\n");
		return;
	}
	buf_adds(out, "\nFindings:\n");
	const cJSON *f, *e;
	cJSON_ArrayForEach(f, findings) {
		char sev[16];
		snprintf(sev, sizeof sev, "%s", kx_json_str(f, "severity"));
		for (char *p = sev; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		buf_addf(out, "\n  %s: %s (%s)\n", sev, kx_json_str(f, "title"), kx_json_str(f, "id"));
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(f, "evidence"))
			buf_addf(out, "    - %s: %s\n", kx_json_str(e, "source"), kx_json_str(e, "detail"));
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(f, "articles"))
			buf_addf(out, "    read: /kb/%s\n", e->valuestring);
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(f, "actions"))
			buf_addf(out, "    repair: %s\n", kx_json_str(e, "id"));
	}
}

static void detect(cJSON *d, cJSON *notes, const char *key, const char *value, const char *why)
{
	if (!value || !*value || cJSON_GetObjectItemCaseSensitive(d, key))
		return;
	cJSON_AddStringToObject(d, key, value);
	if (why)
		cJSON_AddStringToObject(notes, key, why);
}

/* The scan source an answer of the agent's detection comes from. */
static const struct { const char *answer, *source; } answer_sources[] = {
	{ "windows_version", "windows" }, { "office_version", "office" },
	{ "office_bitness", "office" }, { "outlook_kind", "office" },
	{ "mapisvc_entries", "mapisvc" }, { "koff_version", "connector" },
	{ "koff_bitness", "dll" }, { "dll_present", "dll" },
};

/* The sentence behind a detected answer: the source it was read from and what that read. */
static void answer_note(const cJSON *scan, const char *answer, char *out, size_t len)
{
	const cJSON *mapisvc = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(scan, "facts"), "mapisvc");
	if (!strcmp(answer, "mapisvc_entries") && kx_json_str(mapisvc, "path")) {
		snprintf(out, len, "read by the scan: %s %s the connector's service",
			 kx_json_str(mapisvc, "path"), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mapisvc,
			 "lists_connector")) ? "lists" : "does not list");
		return;
	}
	const char *source = NULL;
	for (size_t i = 0; i < sizeof answer_sources / sizeof answer_sources[0]; i++)
		if (!strcmp(answer_sources[i].answer, answer))
			source = answer_sources[i].source;
	const cJSON *s;
	cJSON_ArrayForEach(s, (source ? cJSON_GetObjectItemCaseSensitive(scan, "sources") : NULL)) {
		if (!kx_json_str(s, "name") || strcmp(kx_json_str(s, "name"), source) || !kx_json_str(s, "detail"))
			continue;
		snprintf(out, len, "read by the scan (%s: %s)", source, kx_json_str(s, "detail"));
		return;
	}
	snprintf(out, len, "read by the scan");
}

void scan_wizard_detected(const cJSON *scan, cJSON **detected, cJSON **notes)
{
	cJSON *d = cJSON_CreateObject(), *n = cJSON_CreateObject();
	const cJSON *facts = cJSON_GetObjectItemCaseSensitive(scan, "facts");
	char why[1200];
	/* What the PC told about itself (the agent's detection), said as evidence. */
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(facts, "answers")) {
		if (!cJSON_IsString(a))
			continue;
		answer_note(scan, a->string, why, sizeof why);
		detect(d, n, a->string, a->valuestring, why);
	}
	const cJSON *dll = cJSON_GetObjectItemCaseSensitive(facts, "dll");
	const char *path = kx_json_str(dll, "path");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dll, "in_install_folder"))) {
		snprintf(why, sizeof why, "%s is in the connector's own folder", path ? path : "");
		detect(d, n, "dll_location", "program_files", why);
	}
	const cJSON *check = cJSON_GetObjectItemCaseSensitive(dll, "check");
	const char *sig = kx_json_str(check, "signature");
	if (sig) {
		const char *v = !strcmp(sig, "valid") ? "kerio_or_gfi" : !strcmp(sig, "unsigned") ?
				"unsigned" : !strcmp(sig, "untrusted_signer") ? "other_signer" : NULL;
		snprintf(why, sizeof why, "koffix checked %s: %s", path ? path : "the DLL",
			 kx_json_str(check, "reason") ? kx_json_str(check, "reason") : sig);
		detect(d, n, "dll_signature", v, why);
	}
	/* Each finding is evidence the flow may act on. */
	const cJSON *f, *e;
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(scan, "findings")) {
		struct buf b;
		buf_init(&b, sizeof why);
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(f, "evidence"))
			if (kx_json_str(e, "detail"))
				buf_addf(&b, "%s%s", b.len ? " " : "", kx_json_str(e, "detail"));
		detect(d, n, kx_json_str(f, "id"), "found", buf_cstr(&b));
		buf_release(&b);
	}
	*detected = d;
	*notes = n;
}
