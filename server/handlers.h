/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_HANDLERS_H
#define KOFFIX_HANDLERS_H

/* Route handlers defined outside routes.c (which holds the one route table). */

struct http_req;

int api_wizard_create(struct http_req *r);
int api_wizard_get(struct http_req *r);
int api_wizard_answer(struct http_req *r);
int api_wizard_back(struct http_req *r);
int wizard_start_page(struct http_req *r);
int wizard_create_page(struct http_req *r);
int wizard_step_page(struct http_req *r);
int wizard_answer_page(struct http_req *r);
int wizard_back_page(struct http_req *r);

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

#endif
