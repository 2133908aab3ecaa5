/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_HANDLERS_H
#define KOFFIX_HANDLERS_H

/* Route handlers defined outside routes.c (which holds the one route table). */

#include <stdbool.h>

struct http_req;

/* The cookie that remembers this browser's last wizard session (resume, articles viewed). */
#define WIZARD_COOKIE "koffix_wizard"

int api_wizard_create(struct http_req *r);
int api_wizard_get(struct http_req *r);
int api_wizard_answer(struct http_req *r);
int api_wizard_back(struct http_req *r);
int wizard_start_page(struct http_req *r);
int wizard_create_page(struct http_req *r);
int wizard_step_page(struct http_req *r);
int wizard_answer_page(struct http_req *r);
int wizard_back_page(struct http_req *r);

struct app;
struct cJSON;
struct ra_start;
/* How many repair threads are still going (the server must not free what they use). */
int actions_running(const struct app *app);
/* The review (plan, preflight, consent, params, warnings) as JSON; takes st's parts. */
struct cJSON *actions_review_json(const char *id, struct ra_start *st, bool dry_run);
int api_actions_list(struct http_req *r);
int api_action_plan(struct http_req *r);
int api_action_run(struct http_req *r);
int api_run_get(struct http_req *r);
int api_run_undo(struct http_req *r);
int api_run_events(struct http_req *r);
int actions_page(struct http_req *r);
int action_page(struct http_req *r);
int action_script(struct http_req *r);
int action_run_page(struct http_req *r);
int run_page(struct http_req *r);
int run_undo_page(struct http_req *r);

/* The DLL check (dll_routes.c). */
int dll_check_page(struct http_req *r);
int dll_check_form(struct http_req *r);
int api_dll_check(struct http_req *r);

/* The scan (scan_routes.c). */
int scan_page(struct http_req *r);
int scan_run_page(struct http_req *r);
int scan_open_page(struct http_req *r);
int scan_show_page(struct http_req *r);
int api_scan_run(struct http_req *r);
int api_scan_get(struct http_req *r);

/* Support tickets (ticket_routes.c). */
#include <stddef.h>
int ticket_page(struct http_req *r);
int api_ticket(struct http_req *r);
/* Records an article view for the ticket of the wizard session named by the request's cookie:
 * in a cookie of the browser's (a GET writes nothing on the server). */
void ticket_note_view(struct http_req *r, const char *slug);

struct ticket_config;
/*
 * The ticket model of wizard session id (shared by the pages and `koffix ticket`): requester
 * name and email as given (checked: KX_EINVAL with a message), redacted when redact is not 0,
 * votes of voter (NULL: none). cfg receives DATA/ticket.json (defaults when absent). 0 and
 * *model (caller frees), or KX_ENOTFOUND for no such session.
 */
int ticket_make(struct app *app, const char *id, const char *name, const char *email,
		int redact, const char *voter, const struct cJSON *viewed, struct ticket_config *cfg,
		struct cJSON **model, char *err, size_t errlen);

#endif
