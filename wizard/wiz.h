/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_WIZ_H
#define KOFFIX_WIZ_H

/*
 * The wizard engine: a generic runner of decision flows written in JSON (docs/wizard-flows.md).
 * It knows no product; flows, their tables and the KB carry every product word.
 *
 * Model: a session is a cJSON object {"steps": [{"node","answer","source","seconds"}],
 * "presets": {node: value}, "detected": {key: value}, "hold": node|null}. The current question
 * (or the outcome) is never stored: it is recomputed by walking the flow from its start with
 * the recorded answers, so a session stays consistent after a restart, and a step that no
 * longer fits the flow is dropped. Presets and detected values answer questions on the way
 * (sources "preset" and "detected") except the question the person went back to ("hold").
 *
 * Errors: functions return 0 or a negative kx_err and write a message for people into err.
 * Flows are immutable after loading and may be shared between threads.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/buf.h"

struct wiz_flow;

/*
 * Loads the flow at path and the tables it names from data_dir. NULL on unreadable or
 * malformed JSON, or a wrong top-level shape, with "PATH: line N: message" in err. A loaded
 * flow may still have problems that wiz_flow_check() reports. Free with wiz_flow_free().
 */
struct wiz_flow *wiz_flow_load(const char *path, const char *data_dir, char *err, size_t errlen);
void wiz_flow_free(struct wiz_flow *f);

/* The same from len bytes of text (need not be NUL-terminated); name appears in messages.
 * data_dir may be NULL, and then a flow naming tables is refused. */
struct wiz_flow *wiz_flow_parse(const char *name, const char *text, size_t len,
				const char *data_dir, char *err, size_t errlen);

const char *wiz_flow_id(const struct wiz_flow *f);
const char *wiz_flow_title(const struct wiz_flow *f);
const char *wiz_flow_intro(const struct wiz_flow *f);
const char *wiz_flow_path(const struct wiz_flow *f);

/* What outcomes may refer to; NULL lists are not checked. */
struct wiz_refs {
	const char *const *articles;
	size_t narticles;
	const char *const *actions;
	size_t nactions;
};

/*
 * Validates the flow: unknown, unreachable or malformed nodes, cycles, answers with no way
 * forward, bad conditions, unknown tables and orders, dangling article and action references.
 * Appends one line per problem to report ("node 'x': message"). Returns the problem count.
 */
int wiz_flow_check(const struct wiz_flow *f, const struct wiz_refs *refs, struct buf *report);

/* The node ids that can be answered with a value (questions), for deep links. */
bool wiz_is_question(const struct wiz_flow *f, const char *node);

/*
 * A new session. presets maps question ids to values (may be NULL); detected maps detection
 * keys to values (may be NULL; entries that fit no question or no option are ignored). A
 * preset for a node that is not a question, or with a value the node does not accept, is
 * KX_EINVAL naming it. The session is advanced to its first open question.
 */
int wiz_session_new(const struct wiz_flow *f, const cJSON *presets, const cJSON *detected,
		    cJSON **out, char *err, size_t errlen);

/*
 * Keeps, with a session, the sentence of evidence behind each detected value (notes maps
 * detection and evidence keys to text; entries that are not strings are ignored). The step view
 * shows it beside the answers it settled ("evidence" of a path entry) and lists the flow's
 * declared evidence found ("evidence": [{key, detail}]).
 */
void wiz_session_evidence(cJSON *session, const cJSON *notes);

/*
 * Records answer for node, which must be the current question (else KX_ECONFLICT), with the
 * seconds the person took. KX_EINVAL when the answer is not offered or not of the node's
 * format; KX_ECONFLICT too when the session is finished. Nothing changes on error.
 */
int wiz_answer(const struct wiz_flow *f, cJSON *session, const char *node, const char *answer,
	       double seconds, char *err, size_t errlen);

/*
 * Goes back: to node (a question answered in this session; later answers are cut off) or, when
 * node is NULL, one answer back. The question gone back to is asked again even when a preset or
 * a detected value could answer it. KX_ECONFLICT when there is nothing to go back to or node
 * has no answer in this session. Nothing changes on error.
 */
int wiz_back(const struct wiz_flow *f, cJSON *session, const char *node, char *err,
	     size_t errlen);

/*
 * The step state for people and scripts (caller owns it): session, flow, node, question, kind,
 * help, options [{value,label}], detected (value or null), value (a preset/detected answer to
 * pre-fill, or ""), path [{node,question,answer,label,source,seconds[,evidence]}], settled
 * (at an outcome: questions never asked that detected values or presets answer, as path entries
 * without seconds; the outcome's parameters use them), evidence [{key,value,detail}], outcome (null or {id,title,summary,why,articles,actions:[{id,params}]}),
 * reminder.
 */
cJSON *wiz_view(const struct wiz_flow *f, const cJSON *session, const char *id);

/*
 * Answers node whether or not it is the current question: the current one as wiz_answer does;
 * an earlier one (answered in this session) is changed: back to it, then answered, so the
 * answers after it are remembered and kept where they still fit. Nothing changes on error.
 */
int wiz_change(const struct wiz_flow *f, cJSON *session, const char *node, const char *answer,
	       double seconds, char *err, size_t errlen);

/* Interpolates {{node}} in text with the labels of the answers in session (caller frees). */
char *wiz_text(const struct wiz_flow *f, const cJSON *session, const char *text);

#endif
