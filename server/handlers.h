/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_HANDLERS_H
#define KOFFIX_HANDLERS_H

/* Route handlers defined outside routes.c (which holds the one route table). */

#include <stdbool.h>

struct http_req;

/* The cookie that remembers this browser's last wizard session (resume, articles viewed). */
#define WIZARD_COOKIE "koffix_wizard"

int web_api_wizard_create(struct http_req *r);
int web_api_wizard_get(struct http_req *r);
int web_api_wizard_answer(struct http_req *r);
int web_api_wizard_back(struct http_req *r);
int web_wizard_start_page(struct http_req *r);
int web_wizard_create_page(struct http_req *r);
int web_wizard_step_page(struct http_req *r);
int web_wizard_answer_page(struct http_req *r);
int web_wizard_back_page(struct http_req *r);
int web_support_page(struct http_req *r);
/* Notes an event in wizard session session (under its lock). 0, KX_ENOTFOUND, KX_EDB. */
int web_wizard_note(struct http_req *r, const char *session, const char *kind, const char *node,
		    const char *answer);
int web_run_fixed_page(struct http_req *r);
int web_support_create(struct http_req *r);

struct app;
struct cJSON;
struct ra_start;
/* How many repair threads are still going (the server must not free what they use). */
int web_actions_running(const struct app *app);
/* The review (plan, preflight, consent, params, warnings) as JSON; takes st's parts. */
struct cJSON *actions_review_json(const char *id, struct ra_start *st, bool dry_run);
int web_api_actions_list(struct http_req *r);
int web_api_action_plan(struct http_req *r);
int web_api_action_run(struct http_req *r);
int web_api_run_get(struct http_req *r);
int web_api_run_undo(struct http_req *r);
int web_api_run_events(struct http_req *r);
int web_actions_page(struct http_req *r);
int web_action_page(struct http_req *r);
int web_action_script(struct http_req *r);
int web_action_run_page(struct http_req *r);
int web_run_page(struct http_req *r);
int web_run_undo_page(struct http_req *r);

/* The DLL check (dll_routes.c). */
int web_dll_check_page(struct http_req *r);
int web_dll_check_form(struct http_req *r);
int web_api_dll_check(struct http_req *r);

/* The scan (scan_routes.c). */
int web_scan_page(struct http_req *r);
int web_scan_run_page(struct http_req *r);
int web_scan_open_page(struct http_req *r);
int web_scan_show_page(struct http_req *r);
int web_api_scan_run(struct http_req *r);
int web_api_scan_get(struct http_req *r);

/* Support tickets (ticket_routes.c). */
#include <stddef.h>
int web_ticket_page(struct http_req *r);
int web_api_ticket(struct http_req *r);
/* Records an article view for the ticket of the wizard session named by the request's cookie:
 * in a cookie of the browser's (a GET writes nothing on the server). */
void web_ticket_note_view(struct http_req *r, const char *slug);

struct ticket_config;
/*
 * The ticket model of wizard session id (shared by the pages and `koffix ticket`): requester
 * name and email as given (checked: KX_EINVAL with a message), redacted when redact is not 0,
 * votes of voter (NULL: none). cfg receives DATA/ticket.json (defaults when absent). 0 and
 * *model (caller frees), or KX_ENOTFOUND for no such session.
 */
int web_ticket_make(struct app *app, const char *id, const char *name, const char *email,
		int redact, const char *voter, const struct cJSON *viewed, struct ticket_config *cfg,
		struct cJSON **model, char *err, size_t errlen);

#endif
