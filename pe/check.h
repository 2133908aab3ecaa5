/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_PE_CHECK_H
#define KOFFIX_PE_CHECK_H

/*
 * The DLL legitimacy check: is this kofmsp.dll / KofMsp32.dll genuine, suspicious or
 * malicious? It applies the indicator table of README.md ("Checking a DLL"):
 *
 *   signature  Authenticode (sig.h) against the trusted-signer list
 *   location   where the file was found on Windows (--windows-path, --install-dir)
 *   size       under 100 KiB or over 5 MiB
 *   format     not a DLL (malicious); packer signs; a processor Kerio does not build for
 *   process    which program loaded it (known loaders; script runners are malicious)
 *   activity   what the person saw it do (idle CPU, outbound connections)
 *   bitness    the DLL's processor against Office's bitness (a diagnosis, never malware)
 *
 * Each indicator is ok, suspicious, malicious or not_assessed (no input for it), with one
 * sentence a person understands. The verdict is the worst assessed indicator; a SHA-256 on the
 * known-good list makes a file legitimate outright; a file that is not a PE, is cut short or
 * cannot be read is not_analysable with the reason.
 *
 * Lists are data (the JSON files of pe/data, see pe/data/README.md), loaded once by pe_rules_load().
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct pe_trust;
struct pe_rules;

/* Verdicts double as the exit codes of `koffix check-dll`. */
enum pe_verdict {
	PE_LEGITIMATE = 0,
	PE_VERDICT_SUSPICIOUS = 1,
	PE_VERDICT_MALICIOUS = 2,
	PE_NOT_ANALYSABLE = 3,
};

enum pe_level { PE_LEVEL_OK, PE_LEVEL_NOT_ASSESSED, PE_LEVEL_SUSPICIOUS, PE_LEVEL_MALICIOUS };

#define PE_SMALL_BYTES (100u * 1024u)        /* "under 100 KB" */
#define PE_LARGE_BYTES (5u * 1024u * 1024u)  /* "over 5 MB" */
#define PE_PACKED_ENTROPY 7.2                 /* bits per byte: compiled code stays below */
#define PE_REASON_MAX 400

struct pe_check_opts {
	const char *file_name;        /* shown in the report; may be NULL */
	const char *windows_path;     /* where the file was found on Windows; NULL: not known */
	const char *install_dir;      /* the connector's install folder (uninstall key) */
	const char *office_bitness;   /* "x86", "x64" or NULL */
	const char *loaded_by;        /* the process that loads it: name or path; NULL */
	const char *activity;         /* "idle-cpu", "outbound", "none" or NULL */
	const char *const *signers;   /* more trusted signer names (--trusted-signer) */
	size_t nsigners;
	const struct pe_trust *trust; /* NULL: no certificate is trusted */
	time_t now;                   /* 0: the current time */
};

/*
 * Loads trusted-signers.json, known-loaders.json and known-good.json from dir. NULL with a
 * message in err when one is missing or malformed. Free with pe_rules_free().
 */
struct pe_rules *pe_rules_load(const char *dir, char *err, size_t errlen);
void pe_rules_free(struct pe_rules *r);

/*
 * Checks the len bytes at data. Returns the verdict; *report receives the check-dll JSON
 * (caller frees with cJSON_Delete).
 */
enum pe_verdict pe_check(const struct pe_rules *rules, const void *data, size_t len,
			 const struct pe_check_opts *o, cJSON **report);

/*
 * The check of an installer program (an EXE given where the connector's .msi was expected):
 * its Authenticode signature against the trusted-signer list, and its version resource. The
 * DLL rules (size, location, "not a DLL") do not apply. Returns PE_LEGITIMATE (validly signed
 * by a known publisher), PE_VERDICT_SUSPICIOUS (unsigned, unknown signer, unverifiable),
 * PE_VERDICT_MALICIOUS (a signature that proves tampering) or PE_NOT_ANALYSABLE (not a PE);
 * writes one sentence for people into out.
 */
enum pe_verdict pe_check_installer(const struct pe_rules *rules, const void *data, size_t len,
				   const struct pe_check_opts *o, char *out, size_t outlen);

/* The report for a file that could not be read at all (why: a sentence). */
enum pe_verdict pe_check_unreadable(const struct pe_rules *rules, const char *why,
				    const struct pe_check_opts *o, cJSON **report);

/* "legitimate", "suspicious", "malicious", "not_analysable". */
const char *pe_verdict_name(enum pe_verdict v);
/* "ok", "not_assessed", "suspicious", "malicious". */
const char *pe_level_name(enum pe_level l);

/*
 * The location rule alone: windows_path (a file or folder path as Windows writes it; a last
 * component ending in ".dll" is taken as the file) against the install folders (both Program
 * Files, and install_dir when given). Writes a sentence into reason.
 */
enum pe_level pe_location_level(const char *windows_path, const char *install_dir,
				char *reason, size_t len);

/* The process rule alone: proc (a name or a path) against the known-loader list. */
enum pe_level pe_process_level(const struct pe_rules *rules, const char *proc, char *reason,
			       size_t len);

/* The store of results: table dll_checks in the koffix database (docs/data-model.md). */
struct pe_store;

struct pe_store *pe_store_open(const char *db_path, char *err, size_t errlen);
void pe_store_close(struct pe_store *s);

/*
 * Records one check (report: the check-dll JSON); session may be NULL. Writes the new row's
 * id (32 hex digits) into id. 0, KX_EDB or KX_EIO.
 */
int pe_store_add(struct pe_store *s, const char *session, const char *file_name,
		 const char *windows_path, const cJSON *report, char id[33]);

/* The checks of a wizard session, oldest first: [{id, created, file_name, windows_path,
 * sha256, verdict, result}] (caller frees); NULL on a database error. */
cJSON *pe_store_list(struct pe_store *s, const char *session);

#endif
