/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_TICKET_H
#define KOFFIX_TICKET_H

/*
 * Support tickets: one model built from a wizard session, optional redaction of personal
 * values, and five exports of that one model (JSON, .eml, printable HTML, the request bodies of
 * the osTicket and Zammad ticket APIs). docs/ticket-schema.json describes the model.
 *
 * Rules:
 *  - Every string enters the model through ticket_clean(): valid UTF-8 only (bad bytes, NUL,
 *    control and bidi-override characters become U+FFFD), single-line fields hold no CR or LF,
 *    and every field and the whole model are bounded in size (cut with a visible marker). So
 *    the exporters never see hostile bytes, only hostile text, which each escapes for its format
 *    (HTML entities, RFC 2047 encoded words, base64, percent-encoding, JSON escapes).
 *  - The exporters read only the model, and ticket_redact() rewrites the model, so every
 *    format and every attachment carry the same (redacted or not) values.
 *  - The tables of other modules (repair_runs, repair_steps, dll_checks, votes, scans) are read when
 *    they exist; a missing or different table is named in the model's "unavailable" list.
 *  - Functions return 0 or a negative kx_err; cJSON results belong to the caller.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/buf.h"

#define TICKET_SCHEMA_VERSION "1.0"
#define TICKET_SUBJECT_PREFIX "Outlook/Kerio"
#define TICKET_ZAMMAD_GROUP "Users"
#define TICKET_NAME_MAX 200      /* bytes of a requester name */
#define TICKET_EMAIL_MAX 254
#define TICKET_LINE_MAX 2000     /* bytes of any single-line field */
#define TICKET_BLOCK_MAX (256u << 10)   /* bytes of one log or output */
#define TICKET_BUDGET (1u << 20)        /* bytes of all logs and outputs together */
#define TICKET_OUT_MAX (7u << 20)       /* bytes of one export */

struct kb;
struct wiz_flow;

enum ticket_format { TICKET_JSON, TICKET_EML, TICKET_HTML, TICKET_OSTICKET, TICKET_ZAMMAD };
#define TICKET_NFORMATS 5

/* ---- text: the encoders every export uses (public for the unit tests and fuzzers) ---- */

enum ticket_text {
	TICKET_TEXT_LINE,    /* one line: TAB, CR, LF and other line breaks become spaces */
	TICKET_TEXT_BLOCK,   /* a log: TAB, CR and LF kept as they are */
};

/*
 * A cleaned copy of n bytes of s (s may hold NUL bytes) as described above, at most max bytes
 * of text: a longer text is cut on a character boundary and ends with "[... N bytes cut]".
 * *cut (may be NULL) tells whether that happened. Caller frees.
 */
char *ticket_clean(const char *s, size_t n, enum ticket_text kind, size_t max, bool *cut);

/* true when n bytes of s are valid UTF-8 without NUL or other control characters. */
bool ticket_text_ok(const char *s, size_t n);

/* true for an address koffix accepts: ASCII local@domain.tld, dot-atom local part. */
bool ticket_email_ok(const char *s);

/*
 * Checks a requester: name may be NULL or empty (at most TICKET_NAME_MAX bytes of clean text);
 * email may be NULL or empty except for formats that need it (eml, osticket, zammad). 0 or
 * KX_EINVAL with a message for people in err.
 */
int ticket_requester_check(const char *name, const char *email, enum ticket_format f,
			   char *err, size_t errlen);

/* Base64 (RFC 4648) of n bytes; line > 0 breaks lines after that many characters with CRLF. */
int ticket_base64(struct buf *out, const void *p, size_t n, size_t line);

/*
 * Appends "Name: value" CRLF, value as it is when it is short printable ASCII, else as RFC 2047
 * "B" encoded words folded onto continuation lines. value must be cleaned single-line text.
 */
int ticket_mime_header(struct buf *out, const char *name, const char *value);

/* Appends an RFC 5322 address: email alone, or display name (quoted or encoded) and <email>. */
int ticket_mime_address(struct buf *out, const char *name, const char *email);

/* "YYYY-MM-DDTHH:MM:SSZ" as an RFC 5322 date ("Tue, 05 Mar 2024 10:00:00 +0000"). */
int ticket_rfc5322_date(const char *utc, char *out, size_t len);

/* ---- the model ---- */

/* A read-only connection to the database (koffix.db) for the other modules' tables. */
struct ticket_db;

/* Opens path read-only; NULL with a message in err (a ticket can still be made without it). */
struct ticket_db *ticket_db_open(const char *path, char *err, size_t errlen);
void ticket_db_close(struct ticket_db *db);

struct ticket_input {
	const char *session;          /* the session id */
	const struct wiz_flow *flow;
	const cJSON *state;           /* the session (wiz_store_load) */
	const cJSON *events;          /* its history (wiz_store_events); may be NULL */
	struct kb *kb;                /* article titles; may be NULL (slugs stand in) */
	const cJSON *actions;         /* the repair catalogue [{id, title}]; may be NULL */
	struct ticket_db *db;         /* repair journal, DLL checks, votes; may be NULL */
	const char *voter;            /* this browser's vote id (CSRF cookie); NULL: no votes */
	const cJSON *viewed;          /* articles this browser opened during the session, as its
					 cookie keeps them: [{slug, views, first_viewed}]; may be
					 NULL (the command line has no browser) */
	const char *name;             /* requester, checked by ticket_requester_check; may be NULL */
	const char *email;
	const char *subject_prefix;   /* NULL: TICKET_SUBJECT_PREFIX */
	const char *created;          /* "YYYY-MM-DDTHH:MM:SSZ"; NULL: now */
};

/*
 * Builds the ticket model of a session (shape: docs/ticket-schema.json). Returns 0 and *out
 * (caller frees), or KX_EINVAL with a message in err for a requester that fails
 * ticket_requester_check with TICKET_JSON.
 */
int ticket_build(const struct ticket_input *in, cJSON **out, char *err, size_t errlen);

/*
 * Replaces personal values everywhere in the model except "requester": user names in profile
 * paths (C:\Users\NAME, C:\Documents and Settings\NAME, /home/NAME) and after "user name"
 * labels, e-mail addresses, host names (FQDNs, UNC hosts, values after "computer name"/"host
 * name" labels and detected host/user keys). The same value (ignoring ASCII case) always gets
 * the same placeholder: user-1, host-1, email-1@redacted.invalid. Sets "redacted" and counts.
 * Returns the number of distinct values replaced.
 */
int ticket_redact(cJSON *model);

/* ---- exports ---- */

struct ticket_options {
	const char *helpdesk;     /* To: of the .eml; NULL or "": no To header (see README) */
	const char *group;        /* Zammad group; NULL: TICKET_ZAMMAD_GROUP */
	const char *boundary;     /* MIME boundary seed; NULL: random (tests fix it) */
	const char *message_id;   /* Message-ID local part; NULL: random */
};

/* "json", "eml", ... to the format; 0 or KX_EINVAL. */
int ticket_format_parse(const char *name, enum ticket_format *out);
const char *ticket_format_name(enum ticket_format f);
const char *ticket_content_type(enum ticket_format f);

/* The download's file name, e.g. "koffix-ticket-1a2b3c4d.eml" (only [a-z0-9.-]). */
void ticket_file_name(const cJSON *model, enum ticket_format f, char *out, size_t len);

/*
 * Appends the export of model in format f to out (at most TICKET_OUT_MAX bytes). 0,
 * KX_EINVAL when the format needs the requester's e-mail and the model has none, KX_ETOOBIG.
 */
int ticket_export(const cJSON *model, enum ticket_format f, const struct ticket_options *o,
		  struct buf *out);

/*
 * The ticket as an HTML fragment (a <div class="kt-ticket">, classes only, no style or script),
 * exactly the body that the .eml, osTicket and Zammad exports carry: logs shortened, with the
 * attachments listed. For the in-app preview: top_level is the heading level of the ticket's
 * title (1 as in the e-mail; 3 inside a page section headed by an h2), the others follow.
 */
int ticket_html_fragment(const cJSON *model, int top_level, struct buf *out);

/*
 * The attachments the .eml, osTicket and Zammad exports carry, as [{filename, mime_type,
 * bytes}] (caller frees): the ticket JSON, then every non-empty step output as a log file.
 */
cJSON *ticket_attachments(const cJSON *model);

/* ---- configuration ---- */

struct ticket_config {
	char helpdesk[TICKET_EMAIL_MAX + 1];  /* "" when not set */
	char group[128];
	char subject_prefix[128];
};

/*
 * Reads the optional configuration file (JSON: {"helpdesk_email", "zammad_group",
 * "subject_prefix"}, every key optional). A missing file gives the defaults; a malformed one
 * is KX_ESYNTAX with a message in err (the defaults are filled in all the same).
 */
int ticket_config_load(const char *path, struct ticket_config *cfg, char *err, size_t errlen);

#endif
