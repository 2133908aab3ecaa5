/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_SCAN_H
#define KOFFIX_SCAN_H

/*
 * The scan: what the affected PC itself tells about the failure, read without changing
 * anything, and the findings it supports.
 *
 * The agent reads the PC (its "scan" request: every source says whether it was available and
 * what it read; the event logs come back as the XML Windows renders). koffix then
 *   - parses those events (scan_evt_parse: Windows' event XML, both its one-line EvtRender form
 *     with single quotes and the indented form Event Viewer copies) and keeps the ones that
 *     concern the connector (scan_evt_classify);
 *   - adds its own legitimacy check of the installed DLL;
 *   - turns facts into findings with rules that are data (wizard/data/scan-rules.json, scan_rules_load),
 *     validated at start-up like a wizard flow;
 *   - derives the wizard's detected answers and evidence from it (scan_wizard_detected).
 *
 * A scan is JSON: {"version","computer","user","time","sources":[{"name","available","detail"}],
 * "facts":{...},"findings":[{"id","severity","title","evidence":[{"source","detail"}],
 * "articles":[slug],"actions":[{"id","params"}]}]}. A source that could not be read is
 * "available": false with the reason: it is never "nothing found".
 *
 * Errors are kx_err values with a sentence in err. Everything here is pure: no I/O but what
 * a function says it reads.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/buf.h"

/* A saved scan larger than this is refused (file, upload or request body). */
#define SCAN_FILE_MAX (4u << 20)

/* ---- Windows event XML ---- */

#define SCAN_EVT_XML_MAX (64u * 1024)  /* an event larger than this is refused */
#define SCAN_EVT_DATA_MAX 48
#define SCAN_EVT_VALUE_MAX 1024

struct scan_evt_data {
	char name[64];                 /* "" for a positional <Data> */
	char value[SCAN_EVT_VALUE_MAX];
};

/* One event as Windows renders it (EvtRender, EvtRenderEventXml). */
struct scan_event {
	char provider[128];
	unsigned event_id;
	int level;                     /* -1 when absent */
	char time[40];                 /* TimeCreated/@SystemTime, as written */
	char channel[128];
	char computer[128];
	int ndata;
	struct scan_evt_data data[SCAN_EVT_DATA_MAX];
	char binary[512];              /* the <Binary> hex text, "" when absent */
};

/*
 * Parses one <Event> element (len bytes of UTF-8; a prolog or surrounding white space is
 * allowed). 0, or KX_ESYNTAX / KX_ETOOBIG with a sentence in err; ev holds nothing useful then.
 */
int scan_evt_parse(const char *xml, size_t len, struct scan_event *ev, char *err, size_t errlen);

/* The value of the data item called name, else the one at position (0-based; -1: none), else
 * NULL. A literal "(NULL)" (Windows Installer's padding) and "" count as no value. */
const char *scan_evt_get(const struct scan_event *ev, const char *name, int position);

/* What an event says about the connector. */
enum scan_evt_kind {
	SCAN_EVT_IGNORED,      /* not about the connector or Outlook */
	SCAN_EVT_CRASH,        /* Application Error 1000 / Windows Error Reporting 1001 APPCRASH */
	SCAN_EVT_MSI,          /* MsiInstaller: the connector installed, removed, or failing */
	SCAN_EVT_DEFENDER,     /* Microsoft Defender detected or acted on a connector file */
};

struct scan_evt_fact {
	enum scan_evt_kind kind;
	unsigned event_id;
	char time[40];
	char app[260];         /* crash: faulting application */
	char module[260];      /* crash: faulting module */
	char product[260];     /* MSI: product name */
	char version[64];      /* MSI: product version */
	char product_code[40]; /* MSI: from the Binary data, "" when absent */
	int status;            /* MSI: the result code (0 success; -1 unknown) */
	bool failed;           /* MSI: the installation or removal failed */
	char threat[260];      /* Defender */
	char path[1024];       /* Defender: the detected path(s) */
	char action[64];       /* Defender */
};

/*
 * Classifies an event: crashes whose faulting application or module is KofMsp32.dll,
 * kofmsp.dll, KoffBackend.exe or OUTLOOK.EXE; MsiInstaller events whose product name contains
 * product; Defender detections (1116, 1117, 1006, 1007) whose path names a connector file or
 * folder. Everything else is SCAN_EVT_IGNORED.
 */
enum scan_evt_kind scan_evt_classify(const struct scan_event *ev, const char *product,
				     struct scan_evt_fact *f);

/* One line for people and golden tests: "crash 1000 2026-... app=... module=...". */
void scan_evt_describe(const struct scan_evt_fact *f, struct buf *out);

/* ---- findings as data ---- */

struct scan_rules;

/*
 * Loads and validates the rules file: each rule {id, severity: problem|warning|info, title,
 * when: condition, evidence: [{source, detail}], articles: [slug], actions: [{id, params}]}.
 * Conditions: {"true": PATH}, {"false": PATH}, {"known": PATH}, {"eq"|"ne": [PATH, value]},
 * {"gt"|"ge"|"lt"|"le": [PATH, number or PATH]}, {"all"|"any": [...]}, {"not": c}; a PATH is
 * a dotted path into the facts. Texts may hold {{PATH}}. articles and actions may be checked
 * against the lists in refs (NULL: not checked). NULL with every problem, one per line, in
 * report (a problem names its rule).
 */
struct scan_rules *scan_rules_load(const char *path, const char *const *articles,
				   size_t narticles, const char *const *actions, size_t nactions,
				   struct buf *report);
struct scan_rules *scan_rules_parse(const char *name, const char *text, size_t len,
				    const char *const *articles, size_t narticles,
				    const char *const *actions, size_t nactions, struct buf *report);
void scan_rules_free(struct scan_rules *r);
size_t scan_rules_count(const struct scan_rules *r);

/* The findings the facts support, most severe first (caller frees). */
cJSON *scan_findings(const struct scan_rules *r, const cJSON *facts);

/* The value at a dotted path of facts ("connector.entry_count"), or NULL. */
const cJSON *scan_fact(const cJSON *facts, const char *path);

/* ---- the scan ---- */

/*
 * Completes what the agent read (raw: {"computer","user","sources","facts","events":
 * {"application":[xml],"defender":[xml]}}) into a scan: the events parsed and classified
 * (facts.events, facts.defender), the derived counts the rules read, and the findings. dll_check
 * is koffix's own check of the installed DLL (may be NULL). Takes no ownership; returns the
 * scan (caller frees).
 */
cJSON *scan_complete(const struct scan_rules *rules, const cJSON *raw, const cJSON *dll_check,
		     const char *version);

/*
 * Checks that j is a scan (a saved one, from another PC): the keys and their types. 0, or
 * KX_EINVAL with a sentence in err.
 */
int scan_validate(const cJSON *j, char *err, size_t errlen);

/* 0 when the scan found no problem, 1 when it found one (the exit codes of `koffix scan`). */
int scan_exit_code(const cJSON *scan);

/* The report for people (appends to out). */
void scan_text(const cJSON *scan, struct buf *out);

/*
 * The wizard's detected values from a scan: answers the evidence settles (office_version,
 * dll_present, ...), evidence keys (each finding's id: "found"), and, in notes, for each key
 * the sentence of evidence behind it (caller frees both).
 */
void scan_wizard_detected(const cJSON *scan, cJSON **detected, cJSON **notes);

/* ---- the store (table scans) ---- */

struct scan_store;

struct scan_store *scan_store_open(const char *db_path, char *err, size_t errlen);
void scan_store_close(struct scan_store *s);

/* Keeps a scan (session may be NULL); its id (32 hex digits) into id. 0, KX_EDB or KX_EIO. */
int scan_store_add(struct scan_store *s, const cJSON *scan, const char *session, char id[33]);
/* A kept scan by id, or the newest of a session (caller frees); NULL when there is none. */
cJSON *scan_store_get(struct scan_store *s, const char *id);
cJSON *scan_store_of_session(struct scan_store *s, const char *session);
/* Ties a scan kept without a session to one; KX_ENOTFOUND when there is no such free scan. */
int scan_store_bind(struct scan_store *s, const char *id, const char *session);

#endif
