/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_AGENT_H
#define KOFFIX_AGENT_H

/*
 * koffix-agent.exe: the only part of koffix that changes a Windows machine. Pure Win32 C.
 *
 * Protocol. One request, a UTF-8 JSON object, on stdin:
 *   {"command":"detect"}
 *   {"command":"preflight","checks":[{"id","kind","args"}]}   (read-only; preflight.c)
 *   {"command":"scan","options":{"days":30,"min_free_mb":N}}   (read-only; scan.c)
 *   {"command":"run-step"|"verify-step"|"undo-step","run":"<32 hex>","step":{plan step},
 *    "params":{...}}
 * Events on stdout, one JSON object per line ("\n", binary mode):
 *   {"event":"started","step":N}  {"event":"output","step":N,"text":"..."}
 *   {"event":"verified","step":N,"text":"..."}
 *   {"event":"failed","step":N,"code":<Win32 or MSI code>,"error":"..."}
 *   {"event":"done","step":N,"backup":"<path or empty>"[,"skipped":true]}
 *     ("skipped": the step found nothing to do and changed nothing, so it has nothing to undo)
 *   {"event":"detected","answers":{...},"facts":{...}}
 *   {"event":"check","id":ID,"state":"ok"|"warning"|"blocked","reason":"...","facts":{...}}
 *   {"event":"source","name":N,"available":B,"detail":"..."}   {"event":"evtxml","log":L,"xml":X}
 *   {"event":"scanned","computer":C,"user":U,"facts":{...}}
 *   and always last {"event":"result","code":N,"message":"..."}; the exit code is N (AGENT_R_*).
 *
 * Rules. Per-user steps never elevate. No network listener. No reg.exe or cmd.exe: the only
 * process the agent starts is control.exe, to open a control panel. Every change is preceded by a
 * backup in %LOCALAPPDATA%\koffix\backups\<run>\, where context.json also carries the run-time
 * values ($product.*, $mapisvc, $stamp) from one step to the next steps and undos of the run.
 * Every step has a verification that reads the state back by a different call than the one that
 * wrote it, and an undo that is idempotent (it may follow a step that failed half-way).
 *
 * Memory: the agent is one short process per step. Strings built while a step runs come from the
 * step's arena (st_*dup, expand) and are freed together when the step ends.
 */

#include <windows.h>
#include <stdbool.h>
#include <stddef.h>

/* Older mingw-w64 headers lack these. */
#ifndef RRF_SUBKEY_WOW6464KEY
#define RRF_SUBKEY_WOW6464KEY 0x00010000
#endif
#ifndef ERROR_ELEVATION_REQUIRED
#define ERROR_ELEVATION_REQUIRED 740
#endif

/* Result codes: the "result" event's code and the process exit code. */
enum agent_result {
	AGENT_R_OK = 0,
	AGENT_R_BAD_REQUEST = 1,  /* malformed JSON, unknown command or step kind, bad args */
	AGENT_R_STEP_FAILED = 2,  /* the step could not do its work (see the failed event) */
	AGENT_R_VERIFY_FAILED = 3,/* the state read back is not what the step should have made */
	AGENT_R_CLOSE_PROGRAMS = 4,/* Outlook, KoffBackend.exe or another MAPI client is running */
	AGENT_R_NOT_FOUND = 5,    /* the product, file, key or backup the step needs is not there */
	AGENT_R_ACCESS = 6,       /* access denied: the step needs administrator rights */
	AGENT_R_BUSY = 7,         /* another installation is in progress (1618) */
	AGENT_R_UNDO_FAILED = 8,  /* the undo could not restore the previous state */
	AGENT_R_INTERNAL = 9,     /* out of memory and the like */
};

/* ---- JSON (json.c): a small DOM for the request and context.json ---- */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	char *key;            /* member name inside an object, else NULL */
	char *str;            /* JSON_STRING: UTF-8, NUL-terminated */
	double num;
	bool boolean;
	struct json *child;   /* first element or member */
	struct json *next;
};

/* Parses text (UTF-8); NULL when it is not exactly one JSON value. Free with json_free(). */
struct json *json_parse(const char *text, size_t len);
void json_free(struct json *v);
/* Member of an object (NULL when absent or when o is not an object). */
const struct json *json_get(const struct json *o, const char *key);
/* String member, or NULL. */
const char *json_str(const struct json *o, const char *key);

/* A growing byte buffer (out of memory ends the process with AGENT_R_INTERNAL). */
struct sb {
	char *p;
	size_t len, cap;
};

void sb_add(struct sb *b, const char *s);
void sb_addn(struct sb *b, const char *s, size_t n);
void sb_addf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal (quotes included) of UTF-8 s / UTF-16 w. */
void sb_jstr(struct sb *b, const char *s);
void sb_jwstr(struct sb *b, const wchar_t *w);
void sb_free(struct sb *b);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
wchar_t *xwcsdup(const wchar_t *s);
/* UTF-8 <-> UTF-16 (caller frees). */
wchar_t *u2w(const char *s);
char *w2u(const wchar_t *w);

/* ---- events (main.c) ---- */

/* Writes one event line: the JSON object in b (without its newline). */
void ev_emit(struct sb *b);
void ev_output(int step, const wchar_t *fmt, ...);

/* ---- the step being carried out ---- */

#define AGENT_PATH 1024

struct ctx_item {
	char *key;
	wchar_t *value;
};

struct step {
	int n;
	const char *kind;
	const char *run;               /* 32 lowercase hex digits */
	const struct json *args;
	const struct json *params;
	wchar_t backups[AGENT_PATH];   /* %LOCALAPPDATA%\koffix\backups\<run> */
	wchar_t backup[AGENT_PATH];    /* what the done event reports */
	/* context.json of the run */
	struct ctx_item ctx[64];
	int nctx;
	bool ctx_dirty;
	bool skipped;                  /* the run found nothing to do and changed nothing */
	/* failure */
	int result;
	DWORD code;
	wchar_t error[2048];
	wchar_t verified[1024];
	/* arena */
	void *arena[256];
	int narena;
};

/* Remembers p to free it when the step ends; returns p. */
void *st_keep(struct step *st, void *p);
wchar_t *st_wdup(struct step *st, const wchar_t *w);
/* Printf into a new arena string. */
wchar_t *st_wprintf(struct step *st, const wchar_t *fmt, ...);

/* The context value of key (borrowed) or NULL; ctx_set copies value and marks it for saving. */
const wchar_t *ctx_get(struct step *st, const char *key);
void ctx_set(struct step *st, const char *key, const wchar_t *value);

/*
 * String argument key of the step with the run-time placeholders replaced ($product.key,
 * $product.code, $product.install_dir, $product.local_package, $product.view, $mapisvc,
 * $stamp, $run, %LOCALAPPDATA%). NULL when absent; when a placeholder has no value yet the step
 * fails (AGENT_R_NOT_FOUND, naming it) and NULL is returned.
 */
const wchar_t *arg(struct step *st, const char *key);
/* The same for any text. */
const wchar_t *expand(struct step *st, const char *text);

/* Records a failure; code is a Win32 or MSI code (its system text is appended), or 0. Returns -1. */
int fail(struct step *st, int result, DWORD code, const wchar_t *fmt, ...);
/* The system's text for a Win32 or MSI code (static buffer). */
const wchar_t *win_text(DWORD code);
/* AGENT_R_* for a Win32 error: not found, access denied, busy, else step failed. */
int result_of(DWORD code);
/* Records what the verification read back. Returns 0. */
int verified(struct step *st, const wchar_t *fmt, ...);

/* ---- helpers (util.c) ---- */

/* %LOCALAPPDATA% of the signed-in user. */
const wchar_t *local_appdata(void);
/*
 * The user whose settings the scan reads: HKEY_CURRENT_USER and local_appdata() unless the scan
 * runs as LocalSystem (an Intune script, a start-up script), where it reads the signed-in
 * user's hive under HKEY_USERS and that user's local application data instead (scan.c sets
 * it; repairs never do: they act for the user who runs them).
 */
void set_scan_user(HKEY root, const wchar_t *appdata, bool person);
HKEY user_hive(void);
/* false while a scan runs as SYSTEM with no person's settings to read: per-user facts are
 * then left out, never read from SYSTEM's own hive. */
bool scan_person(void);
/* The person's local application data; "" when a scan as SYSTEM could not find their folder. */
const wchar_t *user_local_appdata(void);
/* Creates dir and its parents; 0 or a Win32 error. */
DWORD mkdir_p(const wchar_t *dir);
bool file_exists(const wchar_t *path);
bool dir_exists(const wchar_t *path);
/* Reads a whole file (max bytes) into a NUL-terminated heap buffer. 0 or a Win32 error. */
DWORD read_all(const wchar_t *path, size_t max, char **out, size_t *len);
/* Writes data to path atomically: path.koffix-tmp, flushed, then MoveFileEx over path. */
DWORD write_atomic(const wchar_t *path, const void *data, size_t len);
/* SHA-256 of a file as 64 hex digits into hex (65). 0 or a Win32 error. */
DWORD sha256_file(const wchar_t *path, wchar_t hex[65]);
/* The PE machine of an image: 0x14c (x86), 0x8664 (x64), ...; 0 when not a PE file. */
WORD pe_machine(const wchar_t *path);
const wchar_t *machine_name(WORD m);
/* FileVersion string of the version resource, into out; false when there is none. */
bool file_version(const wchar_t *path, wchar_t *out, size_t n);
/* A string of the version resource (ProductName, CompanyName...) in its first language. */
bool version_string(const wchar_t *path, const wchar_t *name, wchar_t *out, size_t n);
/* UTC stamp YYYYMMDDTHHMMSSZ. */
void utc_stamp(wchar_t out[20]);
/* Case-insensitive substring test. */
bool wcontains(const wchar_t *hay, const wchar_t *needle);

/* ---- registry (reg.c) ---- */

struct regkey {
	HKEY root;
	const wchar_t *root_name;   /* HKEY_LOCAL_MACHINE ... as .reg files spell it */
	wchar_t sub[AGENT_PATH];
	REGSAM view;                /* KEY_WOW64_64KEY or KEY_WOW64_32KEY */
};

/* "HKLM\...", "HKEY_CURRENT_USER\..." and the like with view "32"/"64"/NULL. false if bad. */
bool reg_parse(const wchar_t *text, const char *view, struct regkey *k);
bool reg_key_exists(const struct regkey *k);
/* Writes the key tree (or only value, when value is not NULL) as an importable .reg file
 * (Windows Registry Editor 5.00, UTF-16LE). *existed tells whether the key was there. */
DWORD reg_export(const struct regkey *k, const wchar_t *value, const wchar_t *file, bool *existed);
/* Imports a .reg file written by reg_export (or by regedit) into view. */
DWORD reg_import(const wchar_t *file, REGSAM view);
/* Deletes the key tree; a key that is not there is success. */
DWORD reg_delete_tree(const struct regkey *k);

/* ---- steps (steps.c, msi.c, mapisvc.c) and detection (detect.c) ---- */

/* The programs of a process check's args (processes, other_mapi_clients) that run now, as
 * "NAME (process N), ..." into running; *watched gets how many names were looked for. Returns
 * how many run, or -1 when the process list cannot be read. */
int programs_running(struct step *st, wchar_t *running, size_t len, int *watched);

/* Office's bitness as installed ("x64", "x86"), or NULL when no Office was found. */
const wchar_t *office_bitness_now(void);
/* Office's settings key ("16.0", "15.0", "14.0"), or "" when no Office was found. */
const wchar_t *office_settings_key(void);

int step_run(struct step *st);
int step_verify(struct step *st);
int step_undo(struct step *st);

/* Fills the answers and facts objects (their members, without braces). */
void detect(struct sb *answers, struct sb *facts);
/* The same for some parts only: Windows, Office, MAPISVC.INF, processes and rights; the
 * profiles; the connector and its DLL. */
enum { DETECT_BASICS = 1, DETECT_PROFILES = 2, DETECT_CONNECTOR = 4 };
void detect_parts(struct sb *answers, struct sb *facts, unsigned parts);

/* A member "key": value (a JSON string) / "key": json (raw JSON) of an object being built,
 * with the comma when the object already has members. */
void json_add_str(struct sb *b, const char *key, const wchar_t *value);
void json_add_raw(struct sb *b, const char *key, const char *json);
/* A REG_SZ or REG_EXPAND_SZ value (not expanded) into out; false when absent. */
bool reg_get_sz(HKEY root, const wchar_t *key, const wchar_t *value, REGSAM view, wchar_t *out,
		DWORD n);

/*
 * Pending renames and deletions (PendingFileRenameOperations) that name the connector's files
 * or install_dir: how many, the first into first; *others gets the count of the others.
 */
int pending_connector_ops(const wchar_t *install_dir, wchar_t *first, size_t n, int *others);

/* The scan command (scan.c): source, evtxml and scanned events. options may be NULL. */
int scan(const struct json *options);

/* Product found by display name across the three Uninstall views. */
struct product {
	wchar_t key[AGENT_PATH];     /* HKLM\SOFTWARE\...\Uninstall\<subkey> */
	wchar_t view[4];             /* "64" or "32" */
	wchar_t code[64];            /* ProductCode, or "" when not a Windows Installer product */
	wchar_t name[256];
	wchar_t version[64];
	wchar_t install_dir[AGENT_PATH];
	wchar_t local_package[AGENT_PATH];
	wchar_t dll[AGENT_PATH];     /* KofMsp32.dll in the install folder */
};

/* Finds products whose DisplayName contains name; returns how many (fills up to max). */
int find_products(const wchar_t *name, struct product *out, int max);

/* MSI steps (msi.c). */
int msi_run(struct step *st);
int msi_verify(struct step *st);
int msi_undo(struct step *st);
/* A plain-words explanation of a Windows Installer result. */
const wchar_t *msi_explain(UINT rc);

/* What an installer package says about itself, read without installing anything. */
#define PKG_MAX_UPGRADES 16
struct package {
	wchar_t product_code[64], upgrade_code[64], name[256], manufacturer[256], version[64];
	wchar_t platform[32];          /* the Template summary property's platform ("x64", "Intel") */
	bool is_64;
	int nupgrades;                 /* the Upgrade table's rows that remove (not OnlyDetect) */
	struct {
		wchar_t code[64], min[64], max[64];
		int attributes;
	} upgrades[PKG_MAX_UPGRADES];
	unsigned long long size;       /* the file's size */
};

/*
 * Opens path read-only as a Windows Installer package and reads its summary, Property and
 * Upgrade tables, and checks that each embedded cabinet is whole (a cut-off download). 0, or
 * a Win32/MSI code with a sentence for people in why.
 */
DWORD msi_read_package(const wchar_t *path, struct package *p, wchar_t *why, size_t whylen);

/* How an installer package would replace the installed connector. */
enum msi_strategy {
	MSI_FRESH,            /* nothing installed: a plain install */
	MSI_SAME_PRODUCT,     /* the same product code: REINSTALL=ALL from the new package */
	MSI_MAJOR_UPGRADE,    /* the package's Upgrade table removes the installed one itself */
	MSI_UNINSTALL_FIRST,  /* no in-place way: uninstall, then install */
	MSI_REFUSE,           /* an older version (not asked for) or another product family */
};

/*
 * The strategy for package p over the installed product (code and version; code "" when none),
 * with a sentence for people in why. allow_downgrade lets an older package through (by
 * uninstalling first, as Windows Installer does not downgrade in place).
 */
enum msi_strategy msi_strategy(const struct package *p, const wchar_t *code,
			       const wchar_t *version, bool allow_downgrade, wchar_t *why,
			       size_t whylen);

/* Compares two dotted versions by their first three numbers (as Windows Installer does):
 * <0, 0, >0. */
int msi_version_cmp(const wchar_t *a, const wchar_t *b);

/*
 * An installer package with its files for installed product code: the one named (may be NULL)
 * when it is that product, else an installer.msi an earlier koffix run kept in its backups.
 * Never Windows' cached copy (it has no files). Writes the path into out; false when none.
 */
bool msi_previous_package(const wchar_t *named, const wchar_t *code, wchar_t *out, size_t n);

/* The preflight command (preflight.c): one check event per check of the request. */
int preflight(const struct json *checks);

/* MAPISVC.INF (mapisvc.c). */
/* Where MAPISVC.INF is, as MFCMAPI looks for it; locate is "c2r", "msi" or "auto", view "32"/"64". */
bool mapisvc_locate(const char *locate, const char *view, wchar_t *out, size_t n, wchar_t *how,
		    size_t hown);
/*
 * The connector's MAPISVC.INF entries as evidence (heap INI text) and where they came from:
 * its installed package (local_package's IniFile table, then the copy in install_dir), else,
 * unless installed_only, the newest koffix backup that had them. NULL when none has them.
 */
char *mapisvc_evidence(const wchar_t *install_dir, const wchar_t *local_package, wchar_t *from,
		       size_t n, bool installed_only);
/* Does the MAPISVC.INF at path list the connector's service? */
bool mapisvc_lists_connector(const wchar_t *path);
int mapisvc_merge_run(struct step *st);
int mapisvc_merge_verify(struct step *st);
int mapisvc_merge_undo(struct step *st);

#endif
