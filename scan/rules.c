/* SPDX-License-Identifier: MIT */
/*
 * Findings as data: the rules file (wizard/data/scan-rules.json, scan.h) read, validated and applied. A
 * rule that fails validation is named with what is wrong, as `koffix flow check` names nodes;
 * a rules file with any problem is refused whole.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/json.h"
#include "../common/util.h"
#include "scan.h"

#define RULES_MAX_BYTES (1u << 20)
#define COND_DEPTH_MAX 16

struct scan_rules {
	cJSON *root;
};

const cJSON *scan_fact(const cJSON *facts, const char *path)
{
	const cJSON *at = facts;
	char part[128];
	for (const char *p = path; at && p && *p; ) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n >= sizeof part)
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		at = cJSON_IsObject(at) ? cJSON_GetObjectItemCaseSensitive(at, part) : NULL;
		p = dot ? dot + 1 : NULL;
	}
	return at && !cJSON_IsNull(at) ? at : NULL;
}

/* ---- validation ---- */

struct checker {
	struct buf *report;
	const char *rule;
	int problems;
	const char *const *articles, *const *actions;
	size_t narticles, nactions;
};

static void problem(struct checker *c, const char *fmt, ...) KX_PRINTF(2, 3);
static void problem(struct checker *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_addf(c->report, "rule '%s': ", c->rule);
	buf_vaddf(c->report, fmt, ap);
	buf_addch(c->report, '\n');
	va_end(ap);
	c->problems++;
}

static bool path_ok(const char *p)
{
	if (!p || !*p || *p == '.' || p[strlen(p) - 1] == '.' || strstr(p, ".."))
		return false;
	for (; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_' &&
		    *p != '.')
			return false;
	return true;
}

static void check_cond(struct checker *c, const cJSON *cond, int depth)
{
	if (depth > COND_DEPTH_MAX) {
		problem(c, "condition nested too deeply");
		return;
	}
	if (!cJSON_IsObject(cond) || !cond->child || cond->child->next) {
		problem(c, "a condition is an object with exactly one key");
		return;
	}
	const cJSON *arg = cond->child;
	const char *op = arg->string;
	if (!strcmp(op, "all") || !strcmp(op, "any")) {
		if (!cJSON_IsArray(arg) || !cJSON_GetArraySize(arg))
			problem(c, "'%s' takes a non-empty list of conditions", op);
		const cJSON *x;
		cJSON_ArrayForEach(x, (cJSON_IsArray(arg) ? arg : NULL))
			check_cond(c, x, depth + 1);
	} else if (!strcmp(op, "not")) {
		check_cond(c, arg, depth + 1);
	} else if (!strcmp(op, "true") || !strcmp(op, "false") || !strcmp(op, "known")) {
		if (!cJSON_IsString(arg) || !path_ok(arg->valuestring))
			problem(c, "'%s' takes a fact path (lower-case words joined by dots)", op);
	} else if (!strcmp(op, "eq") || !strcmp(op, "ne") || !strcmp(op, "gt") ||
		   !strcmp(op, "ge") || !strcmp(op, "lt") || !strcmp(op, "le")) {
		const cJSON *p = cJSON_GetArrayItem(arg, 0), *v = cJSON_GetArrayItem(arg, 1);
		if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != 2 || !cJSON_IsString(p) ||
		    !path_ok(p->valuestring)) {
			problem(c, "'%s' takes [fact path, value]", op);
			return;
		}
		bool order = op[0] == 'g' || op[0] == 'l';
		if (order && !cJSON_IsNumber(v) && !(cJSON_IsString(v) && path_ok(v->valuestring)))
			problem(c, "'%s' compares with a number or a fact path", op);
		if (!order && !cJSON_IsString(v) && !cJSON_IsNumber(v) && !cJSON_IsBool(v))
			problem(c, "'%s' compares with a string, a number or true/false", op);
	} else {
		problem(c, "unknown condition '%s'", op);
	}
}

static bool listed(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static bool id_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static void check_rule(struct checker *c, const cJSON *r, const cJSON *all)
{
	if (!cJSON_IsObject(r)) {
		problem(c, "a rule is an object");
		return;
	}
	if (!id_ok(kx_json_str(r, "id")))
		problem(c, "id is lower-case letters, digits and '_'");
	int same = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, all)
		same += kx_json_str(o, "id") && kx_json_str(r, "id") && !strcmp(kx_json_str(o, "id"), kx_json_str(r, "id"));
	if (same > 1)
		problem(c, "the id is used twice");
	const char *sev = kx_json_str(r, "severity");
	if (!sev || (strcmp(sev, "problem") && strcmp(sev, "warning") && strcmp(sev, "info")))
		problem(c, "severity is problem, warning or info");
	if (!kx_json_str(r, "title") || !*kx_json_str(r, "title"))
		problem(c, "a rule needs a title");
	if (!cJSON_GetObjectItemCaseSensitive(r, "when"))
		problem(c, "a rule needs a condition (when)");
	else
		check_cond(c, cJSON_GetObjectItemCaseSensitive(r, "when"), 0);
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(r, "evidence"), *e;
	if (!cJSON_IsArray(ev) || !cJSON_GetArraySize(ev))
		problem(c, "a finding needs its evidence: [{source, detail}]");
	cJSON_ArrayForEach(e, (cJSON_IsArray(ev) ? ev : NULL)) {
		if (!kx_json_str(e, "source") || !kx_json_str(e, "detail"))
			problem(c, "each evidence item has a source and a detail");
		if (cJSON_GetObjectItemCaseSensitive(e, "when"))
			check_cond(c, cJSON_GetObjectItemCaseSensitive(e, "when"), 0);
	}
	const cJSON *arts = cJSON_GetObjectItemCaseSensitive(r, "articles");
	if (arts && !cJSON_IsArray(arts))
		problem(c, "articles is a list of slugs");
	cJSON_ArrayForEach(e, (cJSON_IsArray(arts) ? arts : NULL)) {
		if (!cJSON_IsString(e))
			problem(c, "articles are slugs");
		else if (c->articles && !listed(c->articles, c->narticles, e->valuestring))
			problem(c, "article '%s' does not exist in the KB", e->valuestring);
	}
	const cJSON *acts = cJSON_GetObjectItemCaseSensitive(r, "actions");
	if (acts && !cJSON_IsArray(acts))
		problem(c, "actions is a list of {id, params}");
	cJSON_ArrayForEach(e, (cJSON_IsArray(acts) ? acts : NULL)) {
		const char *a = kx_json_str(e, "id");
		if (!a) {
			problem(c, "an action needs an id");
			continue;
		}
		if (c->actions && !listed(c->actions, c->nactions, a))
			problem(c, "action '%s' is not in the repair catalogue", a);
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(e, "params"), *p;
		if (params && !cJSON_IsObject(params))
			problem(c, "params of action '%s' is an object", a);
		cJSON_ArrayForEach(p, (cJSON_IsObject(params) ? params : NULL))
			if (!cJSON_IsString(p))
				problem(c, "parameter '%s' of action '%s' is a string", p->string, a);
	}
}

struct scan_rules *scan_rules_parse(const char *name, const char *text, size_t len,
				    const char *const *articles, size_t narticles,
				    const char *const *actions, size_t nactions, struct buf *report)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(root, "rules");
	if (!cJSON_IsArray(rules)) {
		buf_addf(report, "%s: not a rules file ({\"rules\": [...]}, valid JSON)\n", name);
		cJSON_Delete(root);
		return NULL;
	}
	struct checker c = { report, "", 0, articles, actions, narticles, nactions };
	const cJSON *r;
	cJSON_ArrayForEach(r, rules) {
		c.rule = kx_json_str(r, "id") ? kx_json_str(r, "id") : "(no id)";
		check_rule(&c, r, rules);
	}
	if (c.problems) {
		cJSON_Delete(root);
		return NULL;
	}
	struct scan_rules *s = xcalloc(1, sizeof *s);
	s->root = root;
	return s;
}

size_t scan_rules_count(const struct scan_rules *r)
{
	return r ? (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->root, "rules"))
		 : 0;
}

struct scan_rules *scan_rules_load(const char *path, const char *const *articles,
				   size_t narticles, const char *const *actions, size_t nactions,
				   struct buf *report)
{
	char *text;
	size_t len;
	if (kx_read_file(path, RULES_MAX_BYTES, &text, &len) != 0) {
		buf_addf(report, "cannot read the scan rules '%s'\n", path);
		return NULL;
	}
	struct scan_rules *r = scan_rules_parse(path, text, len, articles, narticles, actions,
						nactions, report);
	free(text);
	return r;
}

void scan_rules_free(struct scan_rules *r)
{
	if (!r)
		return;
	cJSON_Delete(r->root);
	free(r);
}

/* ---- evaluation ---- */

static bool number_of(const cJSON *facts, const cJSON *v, double *out)
{
	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return true;
	}
	const cJSON *f = cJSON_IsString(v) ? scan_fact(facts, v->valuestring) : NULL;
	if (!cJSON_IsNumber(f))
		return false;
	*out = f->valuedouble;
	return true;
}

static bool same(const cJSON *fact, const cJSON *want)
{
	if (cJSON_IsString(want))
		return cJSON_IsString(fact) && !strcmp(fact->valuestring, want->valuestring);
	if (cJSON_IsNumber(want))
		return cJSON_IsNumber(fact) && fact->valuedouble == want->valuedouble;
	if (cJSON_IsBool(want))
		return cJSON_IsBool(fact) && cJSON_IsTrue(fact) == cJSON_IsTrue(want);
	return false;
}

/* A condition over the facts; a fact that is absent makes any comparison false. */
static bool holds(const cJSON *facts, const cJSON *cond)
{
	const cJSON *arg = cond ? cond->child : NULL;
	if (!arg)
		return false;
	const char *op = arg->string;
	if (!strcmp(op, "all") || !strcmp(op, "any")) {
		bool all = op[1] == 'l';
		const cJSON *x;
		cJSON_ArrayForEach(x, arg) {
			bool v = holds(facts, x);
			if (all && !v)
				return false;
			if (!all && v)
				return true;
		}
		return all;
	}
	if (!strcmp(op, "not"))
		return !holds(facts, arg);
	if (!strcmp(op, "true") || !strcmp(op, "false") || !strcmp(op, "known")) {
		const cJSON *f = scan_fact(facts, arg->valuestring);
		return op[0] == 't' ? cJSON_IsTrue(f) : op[0] == 'f' ? cJSON_IsFalse(f) : f != NULL;
	}
	const cJSON *p = cJSON_GetArrayItem(arg, 0), *v = cJSON_GetArrayItem(arg, 1);
	const cJSON *f = scan_fact(facts, p->valuestring);
	if (!f)
		return false;
	if (!strcmp(op, "eq"))
		return same(f, v);
	if (!strcmp(op, "ne"))
		return !same(f, v);
	double a, b;
	if (!number_of(facts, p, &a) || !number_of(facts, v, &b))
		return false;
	return !strcmp(op, "gt") ? a > b : !strcmp(op, "ge") ? a >= b : !strcmp(op, "lt") ? a < b :
	       a <= b;
}

/* text with each {{path}} replaced by the fact's value (a list of strings joined by ", "). */
static char *interp(const cJSON *facts, const char *text)
{
	struct buf b;
	buf_init(&b, 64 * 1024);
	for (const char *p = text; *p; ) {
		const char *open = strstr(p, "{{"), *close = open ? strstr(open, "}}") : NULL;
		if (!open || !close) {
			buf_adds(&b, p);
			break;
		}
		buf_add(&b, p, (size_t)(open - p));
		char path[128];
		snprintf(path, sizeof path, "%.*s", (int)(close - open - 2), open + 2);
		const cJSON *f = scan_fact(facts, path), *e;
		if (cJSON_IsString(f))
			buf_adds(&b, f->valuestring);
		else if (cJSON_IsNumber(f) && f->valuedouble == floor(f->valuedouble))
			buf_addf(&b, "%.0f", f->valuedouble);
		else if (cJSON_IsNumber(f))
			buf_addf(&b, "%g", f->valuedouble);
		else if (cJSON_IsBool(f))
			buf_adds(&b, cJSON_IsTrue(f) ? "yes" : "no");
		else if (cJSON_IsArray(f)) {
			int n = 0;
			cJSON_ArrayForEach(e, f)
				if (cJSON_IsString(e))
					buf_addf(&b, "%s%s", n++ ? ", " : "", e->valuestring);
		} else {
			buf_adds(&b, "(unknown)");
		}
		p = close + 2;
	}
	return buf_take(&b, NULL);
}

static int rank(const char *severity)
{
	return !strcmp(severity, "problem") ? 0 : !strcmp(severity, "warning") ? 1 : 2;
}

cJSON *scan_findings(const struct scan_rules *r, const cJSON *facts)
{
	cJSON *list = cJSON_CreateArray();
	for (int level = 0; level < 3; level++) {
		const cJSON *rule;
		cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(r->root, "rules")) {
			if (rank(kx_json_str(rule, "severity")) != level ||
			    !holds(facts, cJSON_GetObjectItemCaseSensitive(rule, "when")))
				continue;
			cJSON *f = cJSON_CreateObject();
			cJSON_AddStringToObject(f, "id", kx_json_str(rule, "id"));
			cJSON_AddStringToObject(f, "severity", kx_json_str(rule, "severity"));
			char *t = interp(facts, kx_json_str(rule, "title"));
			cJSON_AddStringToObject(f, "title", t);
			free(t);
			cJSON *ev = cJSON_AddArrayToObject(f, "evidence");
			const cJSON *e;
			cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(rule, "evidence")) {
				const cJSON *when = cJSON_GetObjectItemCaseSensitive(e, "when");
				if (when && !holds(facts, when))
					continue;
				cJSON *x = cJSON_CreateObject();
				cJSON_AddStringToObject(x, "source", kx_json_str(e, "source"));
				char *d = interp(facts, kx_json_str(e, "detail"));
				cJSON_AddStringToObject(x, "detail", d);
				free(d);
				cJSON_AddItemToArray(ev, x);
			}
			const cJSON *arts = cJSON_GetObjectItemCaseSensitive(rule, "articles");
			cJSON_AddItemToObject(f, "articles", arts ? cJSON_Duplicate(arts, 1) :
					      cJSON_CreateArray());
			cJSON *acts = cJSON_AddArrayToObject(f, "actions");
			cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(rule, "actions")) {
				cJSON *a = cJSON_CreateObject();
				cJSON_AddStringToObject(a, "id", kx_json_str(e, "id"));
				cJSON *params = cJSON_AddObjectToObject(a, "params");
				const cJSON *p;
				cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(e, "params")) {
					char *v = interp(facts, p->valuestring);
					/* A parameter whose fact is unknown is left out, not invented. */
					if (*v && !strstr(v, "(unknown)"))
						cJSON_AddStringToObject(params, p->string, v);
					free(v);
				}
				cJSON_AddItemToArray(acts, a);
			}
			cJSON_AddItemToArray(list, f);
		}
	}
	return list;
}
