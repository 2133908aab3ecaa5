/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_TICKET_INTERNAL_H
#define KOFFIX_TICKET_INTERNAL_H

/* Shared by the files of ticket/ only. */

#include <sqlite3.h>

#include "ticket.h"

enum ticket_stmt { TST_RUNS, TST_STEPS, TST_DLL, TST_VOTES, TST_SCAN, TST__COUNT };

/* The prepared statement (reset, bindings cleared), or NULL when its table is unreadable. */
sqlite3_stmt *ticket_db_stmt(struct ticket_db *db, enum ticket_stmt id);
const char *ticket_db_table(enum ticket_stmt id);

/* The string at key of o, or NULL. */
const char *tk_str(const cJSON *o, const char *key);

/* The string at key of o, or fallback when absent or not a string. */
const char *tk_str_or(const cJSON *o, const char *key, const char *fallback);

/*
 * Renders the ticket body: html true gives the HTML fragment, false plain text (LF line ends).
 * full_logs shows every output whole (the printable HTML); otherwise outputs are shortened and
 * the attachments are listed.
 */
int ticket_render_body(const cJSON *model, bool html, bool full_logs, struct buf *out);

/* The standalone HTML document (with its own <style>) around the body. */
int ticket_render_document(const cJSON *model, bool full_logs, struct buf *out);

/* The file name a step's output is attached under: "run-RUN-step-N.log", RUN made safe. */
void ticket_log_name(const char *run, const cJSON *n, char *out, size_t len);

/* The ticket JSON text (what the json format downloads and the other formats attach). */
char *ticket_json_text(const cJSON *model);

#endif
