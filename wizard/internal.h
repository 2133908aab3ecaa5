/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_WIZ_INTERNAL_H
#define KOFFIX_WIZ_INTERNAL_H

/* Shared between wizard/flow.c and wizard/engine.c; not part of the public API. */

#include "wiz.h"

#define WIZ_MAX_NODES 512
#define WIZ_TEXT_MAX 200
#define WIZ_VERSION_MAX 64
#define WIZ_VERSION_PARTS 4
/* Conditions read evidence (detected values the flow declares under "evidence") by this
 * prefix: "evidence.mapisvc_entries". */
#define WIZ_EVIDENCE "evidence."

struct wiz_flow {
	char *path;
	cJSON *root;
	cJSON *nodes;     /* borrowed from root */
	cJSON *tables;    /* name -> table object (owned) */
	int nnodes;
};

const cJSON *wiz_node(const struct wiz_flow *f, const char *id);
const char *wiz_str(const cJSON *obj, const char *key);

/* true when value is one of the flow's no-evidence values. */
bool wiz_no_evidence(const struct wiz_flow *f, const char *value);

/* The option of a choice node with this value, or NULL. */
const cJSON *wiz_option(const cJSON *node, const char *value);

/* The node after answering value (choice or text node); NULL when there is no way forward. */
const char *wiz_next(const cJSON *node, const char *value);

/* true when value is an acceptable answer of question node (option, or text of its format). */
bool wiz_valid_answer(const cJSON *node, const char *value);

/* Evaluates a condition against answers (node -> value); malformed conditions are false. */
bool wiz_cond(const struct wiz_flow *f, const cJSON *answers, const cJSON *cond);

/* Parses up to WIZ_VERSION_PARTS numbers of a version ("10.0.4", "10.0.4 build 812");
 * returns how many were found, 0 when s is not a version. */
int wiz_version(const char *s, long parts[WIZ_VERSION_PARTS]);

#endif
