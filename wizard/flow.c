/* SPDX-License-Identifier: MIT */
/* Loading flows, checking them, and evaluating their conditions. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "internal.h"
#include "../common/attr.h"

#define FLOW_FILE_MAX (1u << 20)

const char *wiz_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *wiz_node(const struct wiz_flow *f, const char *id)
{
	const cJSON *n = id ? cJSON_GetObjectItemCaseSensitive(f->nodes, id) : NULL;
	return cJSON_IsObject(n) ? n : NULL;
}

const char *wiz_flow_id(const struct wiz_flow *f)
{
	return wiz_str(f->root, "id");
}

const char *wiz_flow_title(const struct wiz_flow *f)
{
	const char *t = wiz_str(f->root, "title");
	return t ? t : wiz_flow_id(f);
}

const char *wiz_flow_intro(const struct wiz_flow *f)
{
	const char *t = wiz_str(f->root, "intro");
	return t ? t : "";
}

const char *wiz_flow_path(const struct wiz_flow *f)
{
	return f->path;
}

bool wiz_no_evidence(const struct wiz_flow *f, const char *value)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(f->root, "no_evidence");
	if (!value)
		return true;
	if (!cJSON_IsArray(list))
		return !*value || !strcmp(value, "unknown") || !strcmp(value, "unsure");
	const cJSON *v;
	cJSON_ArrayForEach(v, list)
		if (cJSON_IsString(v) && strcmp(v->valuestring, value) == 0)
			return true;
	return false;
}

const cJSON *wiz_option(const cJSON *node, const char *value)
{
	const cJSON *o;
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(node, "options")) {
		const char *v = wiz_str(o, "value");
		if (v && value && strcmp(v, value) == 0)
			return o;
	}
	return NULL;
}

const char *wiz_next(const cJSON *node, const char *value)
{
	const cJSON *next = cJSON_GetObjectItemCaseSensitive(node, "next");
	if (cJSON_IsString(next))
		return next->valuestring;
	if (!cJSON_IsObject(next))
		return NULL;
	const char *to = value ? wiz_str(next, value) : NULL;
	return to ? to : wiz_str(next, "*");
}

int wiz_version(const char *s, long parts[WIZ_VERSION_PARTS])
{
	int n = 0;
	const char *p = s;
	if (!s || strlen(s) > WIZ_VERSION_MAX)
		return 0;
	while (n < WIZ_VERSION_PARTS) {
		if (!isdigit((unsigned char)*p))
			return 0;
		long v = 0;
		int digits = 0;
		while (isdigit((unsigned char)*p)) {
			if (++digits > 9)
				return 0;
			v = v * 10 + (*p++ - '0');
		}
		parts[n++] = v;
		if (*p == '.') {
			p++;
			continue;
		}
		if (strncmp(p, " build ", 7) == 0 && n < WIZ_VERSION_PARTS) {
			p += 7;
			continue;
		}
		break;
	}
	return *p ? 0 : n;
}

static bool line_ok(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return n <= WIZ_TEXT_MAX;
}

bool wiz_valid_answer(const cJSON *node, const char *value)
{
	const char *kind = wiz_str(node, "kind");
	if (!kind || !value)
		return false;
	if (strcmp(kind, "choice") == 0)
		return wiz_option(node, value) != NULL;
	if (strcmp(kind, "text") != 0)
		return false;
	if (!*value)
		return true;
	const char *format = wiz_str(node, "format");
	long parts[WIZ_VERSION_PARTS];
	if (format && strcmp(format, "version") == 0)
		return wiz_version(value, parts) > 0;
	return line_ok(value);
}

bool wiz_is_question(const struct wiz_flow *f, const char *node)
{
	const char *kind = wiz_str(wiz_node(f, node), "kind");
	return kind && (strcmp(kind, "choice") == 0 || strcmp(kind, "text") == 0);
}

/* ---- conditions ---- */

/* The value of an operand, or NULL when it has none (no answer, no evidence, no row). */
static const char *operand(const struct wiz_flow *f, const cJSON *answers, const cJSON *op);

static const char *lookup(const struct wiz_flow *f, const cJSON *answers, const cJSON *spec)
{
	const cJSON *table = cJSON_GetObjectItemCaseSensitive(f->tables, wiz_str(spec, "table") ?
							     wiz_str(spec, "table") : "");
	const char *key = wiz_str(spec, "key"), *match = wiz_str(spec, "match");
	const char *column = wiz_str(spec, "column"), *take = wiz_str(spec, "take");
	if (!table || !key || !match || !column || !take)
		return NULL;
	const char *want = wiz_str(answers, key);
	if (!want || wiz_no_evidence(f, want))
		return NULL;
	long w[WIZ_VERSION_PARTS] = { 0 }, best[WIZ_VERSION_PARTS] = { 0 };
	bool floor = strcmp(match, "version_floor") == 0;
	if (floor && !wiz_version(want, w))
		return NULL;
	const char *found = NULL;
	const cJSON *row;
	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(table, "rows")) {
		const char *c = wiz_str(row, column), *t = wiz_str(row, take);
		if (!c || !t)
			continue;
		if (!floor) {
			if (strcmp(match, "equal") == 0 && strcmp(c, want) == 0)
				return t;
			continue;
		}
		long v[WIZ_VERSION_PARTS] = { 0 };
		if (!wiz_version(c, v))
			continue;
		int above = 0, better = 0;
		for (int i = 0; i < WIZ_VERSION_PARTS && !above; i++) {
			if (v[i] != w[i]) {
				above = v[i] > w[i];
				break;
			}
		}
		if (above)
			continue;
		for (int i = 0; i < WIZ_VERSION_PARTS; i++) {
			if (v[i] != best[i]) {
				better = v[i] > best[i];
				break;
			}
		}
		if (!found || better) {
			found = t;
			memcpy(best, v, sizeof best);
		}
	}
	return found;
}

static const char *operand(const struct wiz_flow *f, const cJSON *answers, const cJSON *op)
{
	const char *v = NULL;
	if (cJSON_IsString(op))
		v = wiz_str(answers, op->valuestring);
	else if (cJSON_IsObject(op) && cJSON_GetObjectItemCaseSensitive(op, "value"))
		return wiz_str(op, "value");
	else if (cJSON_IsObject(op) && cJSON_GetObjectItemCaseSensitive(op, "lookup"))
		return lookup(f, answers, cJSON_GetObjectItemCaseSensitive(op, "lookup"));
	return v && !wiz_no_evidence(f, v) ? v : NULL;
}

static bool compare(int c, const char *is)
{
	if (!is)
		return false;
	if (!strcmp(is, "lt"))
		return c < 0;
	if (!strcmp(is, "le"))
		return c <= 0;
	if (!strcmp(is, "eq"))
		return c == 0;
	if (!strcmp(is, "ne"))
		return c != 0;
	if (!strcmp(is, "ge"))
		return c >= 0;
	if (!strcmp(is, "gt"))
		return c > 0;
	return false;
}

static int order_index(const cJSON *order, const char *v)
{
	int i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, order) {
		if (cJSON_IsString(e) && strcmp(e->valuestring, v) == 0)
			return i;
		i++;
	}
	return -1;
}

bool wiz_cond(const struct wiz_flow *f, const cJSON *answers, const cJSON *cond)
{
	if (!cJSON_IsObject(cond) || !cond->child || cond->child->next)
		return false;
	const cJSON *arg = cond->child;
	const char *op = arg->string;
	if (!strcmp(op, "all") || !strcmp(op, "any")) {
		bool all = op[1] == 'l';
		const cJSON *c;
		if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) == 0)
			return false;
		cJSON_ArrayForEach(c, arg) {
			bool v = wiz_cond(f, answers, c);
			if (all && !v)
				return false;
			if (!all && v)
				return true;
		}
		return all;
	}
	if (!strcmp(op, "not"))
		return cJSON_IsObject(arg) && !wiz_cond(f, answers, arg);
	if (!strcmp(op, "known"))
		return cJSON_IsString(arg) && operand(f, answers, arg) != NULL;
	if (!strcmp(op, "eq") || !strcmp(op, "ne") || !strcmp(op, "in")) {
		if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != 2)
			return false;
		const cJSON *node = cJSON_GetArrayItem(arg, 0), *want = cJSON_GetArrayItem(arg, 1);
		const char *have = cJSON_IsString(node) ? wiz_str(answers, node->valuestring) : NULL;
		if (!have)
			return false;
		if (!strcmp(op, "in")) {
			const cJSON *w;
			cJSON_ArrayForEach(w, want)
				if (cJSON_IsString(w) && strcmp(w->valuestring, have) == 0)
					return true;
			return false;
		}
		if (!cJSON_IsString(want))
			return false;
		if (!strcmp(op, "eq"))
			return strcmp(have, want->valuestring) == 0;
		return !wiz_no_evidence(f, have) && strcmp(have, want->valuestring) != 0;
	}
	if (!strcmp(op, "version") || !strcmp(op, "order")) {
		const char *a = operand(f, answers, cJSON_GetObjectItemCaseSensitive(arg, "left"));
		const char *b = operand(f, answers, cJSON_GetObjectItemCaseSensitive(arg, "right"));
		const char *is = wiz_str(arg, "is");
		if (!a || !b)
			return false;
		if (!strcmp(op, "order")) {
			const cJSON *orders = cJSON_GetObjectItemCaseSensitive(f->root, "orders");
			const char *by = wiz_str(arg, "by");
			const cJSON *order = by ? cJSON_GetObjectItemCaseSensitive(orders, by) : NULL;
			int ia = order_index(order, a), ib = order_index(order, b);
			return ia >= 0 && ib >= 0 && compare(ia - ib, is);
		}
		const cJSON *pn = cJSON_GetObjectItemCaseSensitive(arg, "parts");
		int parts = cJSON_IsNumber(pn) ? pn->valueint : WIZ_VERSION_PARTS;
		long va[WIZ_VERSION_PARTS] = { 0 }, vb[WIZ_VERSION_PARTS] = { 0 };
		if (parts < 1 || parts > WIZ_VERSION_PARTS || !wiz_version(a, va) ||
		    !wiz_version(b, vb))
			return false;
		int c = 0;
		for (int i = 0; i < parts && c == 0; i++)
			c = va[i] < vb[i] ? -1 : va[i] > vb[i];
		return compare(c, is);
	}
	return false;
}

/* ---- loading ---- */

static int json_line(const char *text, const char *at)
{
	int line = 1;
	for (const char *p = text; at && p < at && *p; p++)
		line += *p == '\n';
	return line;
}

/* Parses len bytes of JSON text (NUL-terminated at text[len]); name is used in messages. */
static cJSON *parse_json(const char *name, const char *text, size_t len, char *err,
			 size_t errlen)
{
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: line %d: NUL byte in JSON", name,
			 json_line(text, text + strlen(text)));
		return NULL;
	}
	/* The length includes the terminating NUL: cJSON then also refuses trailing garbage. */
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(text, len + 1, &end, true);
	if (!j)
		snprintf(err, errlen, "%s: line %d: malformed JSON", name, json_line(text, end));
	return j;
}

static cJSON *load_json(const char *path, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc = kx_read_file(path, FLOW_FILE_MAX, &text, &len);
	if (rc) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 rc == KX_ETOOBIG ? "larger than 1 MiB" : "no such file or unreadable");
		return NULL;
	}
	cJSON *j = parse_json(path, text, len, err, errlen);
	free(text);
	return j;
}

static struct wiz_flow *flow_from_json(const char *path, cJSON *root, const char *data_dir,
				       char *err, size_t errlen)
{
	struct wiz_flow *f = xcalloc(1, sizeof *f);
	f->path = xstrdup(path);
	f->root = root;
	f->tables = cJSON_CreateObject();
	f->nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
	if (!cJSON_IsObject(root) || !wiz_str(root, "id") || !wiz_str(root, "start") ||
	    !cJSON_IsObject(f->nodes)) {
		snprintf(err, errlen, "%s: a flow is an object with \"id\", \"start\" and \"nodes\"",
			 path);
		goto fail;
	}
	f->nnodes = cJSON_GetArraySize(f->nodes);
	if (f->nnodes > WIZ_MAX_NODES) {
		snprintf(err, errlen, "%s: more than %d nodes", path, WIZ_MAX_NODES);
		goto fail;
	}
	const cJSON *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(root, "tables")) {
		if (!cJSON_IsString(t) || strchr(t->valuestring, '/') || t->valuestring[0] == '.' ||
		    !data_dir) {
			snprintf(err, errlen, "%s: table '%s' must name a file of the data folder", path,
				 t->string);
			goto fail;
		}
		char tpath[4096];
		snprintf(tpath, sizeof tpath, "%s/%s", data_dir, t->valuestring);
		cJSON *table = load_json(tpath, err, errlen);
		if (!table)
			goto fail;
		if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(table, "rows"))) {
			snprintf(err, errlen, "%s: a table is an object with a \"rows\" array", tpath);
			cJSON_Delete(table);
			goto fail;
		}
		cJSON_AddItemToObject(f->tables, t->string, table);
	}
	return f;
fail:
	wiz_flow_free(f);
	return NULL;
}

struct wiz_flow *wiz_flow_load(const char *path, const char *data_dir, char *err, size_t errlen)
{
	cJSON *root = load_json(path, err, errlen);
	return root ? flow_from_json(path, root, data_dir, err, errlen) : NULL;
}

struct wiz_flow *wiz_flow_parse(const char *name, const char *text, size_t len,
				const char *data_dir, char *err, size_t errlen)
{
	if (len > FLOW_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than 1 MiB", name);
		return NULL;
	}
	char *copy = xstrndup(text, len);
	cJSON *root = parse_json(name, copy, len, err, errlen);
	free(copy);
	return root ? flow_from_json(name, root, data_dir, err, errlen) : NULL;
}

void wiz_flow_free(struct wiz_flow *f)
{
	if (!f)
		return;
	cJSON_Delete(f->root);
	cJSON_Delete(f->tables);
	free(f->path);
	free(f);
}

/* ---- checking ---- */

struct checker {
	const struct wiz_flow *f;
	const struct wiz_refs *refs;
	struct buf *report;
	int problems;
};

KX_PRINTF(3, 4)
static void problem(struct checker *c, const char *node, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_addf(c->report, "%s: node '%s': ", c->f->path, node);
	buf_vaddf(c->report, fmt, ap);
	buf_addch(c->report, '\n');
	va_end(ap);
	c->problems++;
}

static bool id_ok(const char *s, const char *extra)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static bool listed_json(const cJSON *list, const char *s)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
		if (cJSON_IsString(e) && !strcmp(e->valuestring, s))
			return true;
	return false;
}

static bool listed(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static void check_target(struct checker *c, const char *node, const char *what, const char *to)
{
	if (!to)
		problem(c, node, "%s has no target", what);
	else if (!wiz_node(c->f, to))
		problem(c, node, "%s goes to unknown node '%s'", what, to);
}

/* The values an evidence key ("evidence.KEY") may take, or NULL when the flow declares no
 * such key. */
static const cJSON *evidence_values(const struct wiz_flow *f, const char *name)
{
	if (!name || strncmp(name, WIZ_EVIDENCE, strlen(WIZ_EVIDENCE)))
		return NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(f->root, "evidence"), name + strlen(WIZ_EVIDENCE));
	return cJSON_IsArray(v) ? v : NULL;
}

static void check_operand(struct checker *c, const char *node, const cJSON *op)
{
	if (cJSON_IsString(op) && evidence_values(c->f, op->valuestring))
		return;
	if (cJSON_IsString(op)) {
		if (!wiz_is_question(c->f, op->valuestring))
			problem(c, node, "condition reads '%s', which is not a question",
				op->valuestring);
		return;
	}
	if (cJSON_IsObject(op) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(op, "value")))
		return;
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(op, "lookup");
	if (!cJSON_IsObject(l)) {
		problem(c, node, "an operand is a node id, {\"value\": ...} or {\"lookup\": ...}");
		return;
	}
	const char *table = wiz_str(l, "table"), *match = wiz_str(l, "match");
	if (!table || !cJSON_GetObjectItemCaseSensitive(c->f->tables, table))
		problem(c, node, "lookup names unknown table '%s'", table ? table : "");
	if (!wiz_is_question(c->f, wiz_str(l, "key")))
		problem(c, node, "lookup key '%s' is not a question",
			wiz_str(l, "key") ? wiz_str(l, "key") : "");
	if (!match || (strcmp(match, "version_floor") && strcmp(match, "equal")))
		problem(c, node, "lookup match is version_floor or equal");
	if (!wiz_str(l, "column") || !wiz_str(l, "take"))
		problem(c, node, "lookup needs column and take");
}

static bool is_op(const char *is)
{
	static const char *const ops[] = { "lt", "le", "eq", "ne", "ge", "gt" };
	for (size_t i = 0; is && i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(is, ops[i]))
			return true;
	return false;
}

static void check_cond(struct checker *c, const char *node, const cJSON *cond, int depth)
{
	if (depth > 16) {
		problem(c, node, "condition nested too deeply");
		return;
	}
	if (!cJSON_IsObject(cond) || !cond->child || cond->child->next) {
		problem(c, node, "a condition is an object with exactly one key");
		return;
	}
	const cJSON *arg = cond->child;
	const char *op = arg->string;
	if (!strcmp(op, "all") || !strcmp(op, "any")) {
		if (!cJSON_IsArray(arg) || !cJSON_GetArraySize(arg))
			problem(c, node, "'%s' takes a non-empty list of conditions", op);
		const cJSON *x;
		cJSON_ArrayForEach(x, arg)
			check_cond(c, node, x, depth + 1);
	} else if (!strcmp(op, "not")) {
		check_cond(c, node, arg, depth + 1);
	} else if (!strcmp(op, "known")) {
		check_operand(c, node, arg);
	} else if (!strcmp(op, "eq") || !strcmp(op, "ne") || !strcmp(op, "in")) {
		const cJSON *n = cJSON_GetArrayItem(arg, 0), *v = cJSON_GetArrayItem(arg, 1);
		if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != 2 || !cJSON_IsString(n)) {
			problem(c, node, "'%s' takes [node, value]", op);
			return;
		}
		const cJSON *q = wiz_node(c->f, n->valuestring);
		const cJSON *ev = evidence_values(c->f, n->valuestring);
		if (ev) {
			/* Evidence compares with the values the flow declares for it. */
			const cJSON *e;
			cJSON_ArrayForEach(e, (cJSON_IsArray(v) ? v : NULL))
				if (!cJSON_IsString(e) || !listed_json(ev, e->valuestring))
					problem(c, node, "'%s' is not a value of %s",
						cJSON_IsString(e) ? e->valuestring : "?", n->valuestring);
			if (cJSON_IsString(v) && !listed_json(ev, v->valuestring))
				problem(c, node, "'%s' is not a value of %s", v->valuestring,
					n->valuestring);
			if (!cJSON_IsString(v) && !cJSON_IsArray(v))
				problem(c, node, "'%s' compares with a value or a list", op);
			return;
		}
		if (!wiz_is_question(c->f, n->valuestring)) {
			problem(c, node, "condition reads '%s', which is not a question",
				n->valuestring);
			return;
		}
		bool choice = !strcmp(wiz_str(q, "kind"), "choice");
		if (!strcmp(op, "in") ? !cJSON_IsArray(v) : !cJSON_IsString(v)) {
			problem(c, node, "'%s' compares with %s", op, !strcmp(op, "in") ?
				"a list of values" : "a value");
			return;
		}
		const cJSON *e;
		if (!choice)
			return;
		if (cJSON_IsString(v) && !wiz_option(q, v->valuestring))
			problem(c, node, "'%s' is not an answer of '%s'", v->valuestring,
				n->valuestring);
		cJSON_ArrayForEach(e, (cJSON_IsArray(v) ? v : NULL))
			if (!cJSON_IsString(e) || !wiz_option(q, e->valuestring))
				problem(c, node, "'%s' is not an answer of '%s'",
					cJSON_IsString(e) ? e->valuestring : "?", n->valuestring);
	} else if (!strcmp(op, "version") || !strcmp(op, "order")) {
		if (!cJSON_IsObject(arg)) {
			problem(c, node, "'%s' takes an object", op);
			return;
		}
		check_operand(c, node, cJSON_GetObjectItemCaseSensitive(arg, "left"));
		check_operand(c, node, cJSON_GetObjectItemCaseSensitive(arg, "right"));
		if (!is_op(wiz_str(arg, "is")))
			problem(c, node, "'%s' needs \"is\": lt, le, eq, ne, ge or gt", op);
		if (!strcmp(op, "order")) {
			const char *by = wiz_str(arg, "by");
			const cJSON *orders = cJSON_GetObjectItemCaseSensitive(c->f->root, "orders");
			if (!by || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(orders, by)))
				problem(c, node, "order '%s' is not defined", by ? by : "");
		} else {
			const cJSON *p = cJSON_GetObjectItemCaseSensitive(arg, "parts");
			if (p && (!cJSON_IsNumber(p) || p->valueint < 1 ||
				  p->valueint > WIZ_VERSION_PARTS))
				problem(c, node, "version parts is 1 to %d", WIZ_VERSION_PARTS);
		}
	} else {
		problem(c, node, "unknown condition '%s'", op);
	}
}

static void check_question(struct checker *c, const char *id, const cJSON *n, bool choice)
{
	if (!wiz_str(n, "question") || !*wiz_str(n, "question"))
		problem(c, id, "a question needs \"question\" text");
	const char *d = wiz_str(n, "detect");
	if (cJSON_GetObjectItemCaseSensitive(n, "detect") && !id_ok(d, "_-"))
		problem(c, id, "detect is a key name");
	const cJSON *next = cJSON_GetObjectItemCaseSensitive(n, "next");
	if (!choice) {
		const char *format = wiz_str(n, "format");
		if (!format || (strcmp(format, "version") && strcmp(format, "line")))
			problem(c, id, "a text question's format is version or line");
		if (!cJSON_IsString(next))
			problem(c, id, "a text question's next is a node id");
		else
			check_target(c, id, "next", next->valuestring);
		return;
	}
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(n, "options");
	if (!cJSON_IsArray(opts) || !cJSON_GetArraySize(opts)) {
		problem(c, id, "a choice question needs options");
		return;
	}
	if (!cJSON_IsString(next) && !cJSON_IsObject(next)) {
		problem(c, id, "next is a node id or an object of answer -> node");
		return;
	}
	const cJSON *o;
	cJSON_ArrayForEach(o, opts) {
		const char *v = wiz_str(o, "value"), *l = wiz_str(o, "label");
		if (!id_ok(v, "_.-") || !l || !*l) {
			problem(c, id, "each option has a value of letters, digits, '_', '.', '-' "
				"and a label");
			continue;
		}
		if (wiz_option(n, v) != o)
			problem(c, id, "option '%s' appears twice", v);
		const char *to = wiz_next(n, v);
		if (!to)
			problem(c, id, "answer '%s' has no way forward", v);
		else if (!wiz_node(c->f, to))
			problem(c, id, "answer '%s' goes to unknown node '%s'", v, to);
	}
	if (cJSON_IsObject(next)) {
		const cJSON *e;
		cJSON_ArrayForEach(e, next)
			if (strcmp(e->string, "*") && !wiz_option(n, e->string))
				problem(c, id, "next names '%s', which is not an answer", e->string);
	}
}

static void check_outcome(struct checker *c, const char *id, const cJSON *n)
{
	if (!wiz_str(n, "title") || !wiz_str(n, "summary"))
		problem(c, id, "an outcome needs title and summary");
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(n, "articles")) {
		if (!cJSON_IsString(e))
			problem(c, id, "articles are slugs");
		else if (c->refs && c->refs->articles &&
			 !listed(c->refs->articles, c->refs->narticles, e->valuestring))
			problem(c, id, "article '%s' does not exist in the KB", e->valuestring);
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(n, "actions")) {
		const char *a = wiz_str(e, "id");
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(e, "params");
		if (!a) {
			problem(c, id, "an action needs an id");
			continue;
		}
		if (c->refs && c->refs->actions && !listed(c->refs->actions, c->refs->nactions, a))
			problem(c, id, "action '%s' is not in the repair catalogue", a);
		if (cJSON_GetObjectItemCaseSensitive(e, "when"))
			check_cond(c, id, cJSON_GetObjectItemCaseSensitive(e, "when"), 0);
		if (params && !cJSON_IsObject(params))
			problem(c, id, "params of action '%s' is an object", a);
		const cJSON *p;
		cJSON_ArrayForEach(p, params)
			if (!cJSON_IsString(p))
				problem(c, id, "parameter '%s' of action '%s' is a string", p->string, a);
	}
}

/* true when every operand of cond is evidence ("evidence.KEY"): such a condition can be decided
 * before anything is asked. */
static bool reads_only_evidence(const struct wiz_flow *f, const cJSON *cond, int depth)
{
	if (depth > 16 || !cJSON_IsObject(cond) || !cond->child)
		return false;
	const cJSON *arg = cond->child;
	const char *op = arg->string;
	const cJSON *x;
	if (!strcmp(op, "all") || !strcmp(op, "any")) {
		cJSON_ArrayForEach(x, arg)
			if (!reads_only_evidence(f, x, depth + 1))
				return false;
		return true;
	}
	if (!strcmp(op, "not"))
		return reads_only_evidence(f, arg, depth + 1);
	if (!strcmp(op, "known"))
		return cJSON_IsString(arg) && evidence_values(f, arg->valuestring);
	if (!strcmp(op, "eq") || !strcmp(op, "ne") || !strcmp(op, "in")) {
		const cJSON *n = cJSON_GetArrayItem(arg, 0);
		return cJSON_IsString(n) && evidence_values(f, n->valuestring);
	}
	return false;
}

/*
 * The start is the first question, or a logic node that decides on evidence alone (what the
 * affected PC told before anything was asked) and otherwise goes on to the first question.
 */
static void check_start(struct checker *c, const char *start)
{
	if (wiz_is_question(c->f, start))
		return;
	const cJSON *n = wiz_node(c->f, start);
	const char *kind = wiz_str(n, "kind");
	if (!kind || strcmp(kind, "logic")) {
		problem(c, start ? start : "(flow)", "the start node must be a question, or a logic "
			"node that reads only evidence");
		return;
	}
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(n, "rules"))
		if (!reads_only_evidence(c->f, cJSON_GetObjectItemCaseSensitive(r, "when"), 0))
			problem(c, start, "a start logic node reads only evidence (\"evidence.KEY\"): "
				"nothing has been asked yet");
	if (!wiz_is_question(c->f, wiz_str(n, "else")))
		problem(c, start, "a start logic node's else is the first question");
}

/* The nodes a node leads to. */
static int edges(const struct wiz_flow *f, const cJSON *n, const char **out, int max)
{
	int k = 0;
	const char *kind = wiz_str(n, "kind");
	if (!kind)
		return 0;
	if (!strcmp(kind, "logic")) {
		const cJSON *r;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(n, "rules"))
			if (wiz_str(r, "goto") && k < max)
				out[k++] = wiz_str(r, "goto");
		if (wiz_str(n, "else") && k < max)
			out[k++] = wiz_str(n, "else");
	} else {
		const cJSON *next = cJSON_GetObjectItemCaseSensitive(n, "next");
		if (cJSON_IsString(next) && k < max)
			out[k++] = next->valuestring;
		const cJSON *e;
		cJSON_ArrayForEach(e, (cJSON_IsObject(next) ? next : NULL))
			if (cJSON_IsString(e) && k < max)
				out[k++] = e->valuestring;
	}
	(void)f;
	return k;
}

static int node_index(const struct wiz_flow *f, const char *id)
{
	int i = 0;
	const cJSON *n;
	cJSON_ArrayForEach(n, f->nodes) {
		if (strcmp(n->string, id) == 0)
			return i;
		i++;
	}
	return -1;
}

/* Depth-first search: marks reachable nodes and reports each back edge (a cycle) once. */
static void dfs(struct checker *c, int i, char *state)
{
	const cJSON *n = cJSON_GetArrayItem(c->f->nodes, i);
	state[i] = 1;
	const char *to[WIZ_MAX_NODES];
	int k = edges(c->f, n, to, WIZ_MAX_NODES);
	for (int e = 0; e < k; e++) {
		int j = node_index(c->f, to[e]);
		if (j < 0)
			continue;
		if (state[j] == 1)
			problem(c, n->string, "goes back to '%s': the flow has a cycle", to[e]);
		else if (state[j] == 0)
			dfs(c, j, state);
	}
	state[i] = 2;
}

int wiz_flow_check(const struct wiz_flow *f, const struct wiz_refs *refs, struct buf *report)
{
	struct checker c = { f, refs, report, 0 };
	const cJSON *n;
	const char *id = wiz_flow_id(f);
	if (!id_ok(id, "_-"))
		problem(&c, "(flow)", "id is letters, digits, '_' and '-'");
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(f->root, "evidence");
	if (ev && !cJSON_IsObject(ev))
		problem(&c, "(flow)", "evidence maps keys to their lists of values");
	cJSON_ArrayForEach(n, (cJSON_IsObject(ev) ? ev : NULL)) {
		const cJSON *v;
		if (!id_ok(n->string, "_") || !cJSON_IsArray(n) || !cJSON_GetArraySize(n))
			problem(&c, "(flow)", "evidence '%s' is a key of letters, digits and '_' with a "
				"non-empty list of values", n->string);
		cJSON_ArrayForEach(v, (cJSON_IsArray(n) ? n : NULL))
			if (!cJSON_IsString(v) || !id_ok(v->valuestring, "_.-"))
				problem(&c, "(flow)", "a value of evidence '%s' is not a plain word",
					n->string);
	}
	const char *start = wiz_str(f->root, "start");
	check_start(&c, start);
	cJSON_ArrayForEach(n, f->nodes) {
		const char *nid = n->string, *kind = wiz_str(n, "kind");
		if (!id_ok(nid, "_"))
			problem(&c, nid, "node ids are letters, digits and '_'");
		if (!kind) {
			problem(&c, nid, "node has no kind");
			continue;
		}
		if (!strcmp(kind, "choice") || !strcmp(kind, "text")) {
			check_question(&c, nid, n, kind[0] == 'c');
		} else if (!strcmp(kind, "logic")) {
			const cJSON *rules = cJSON_GetObjectItemCaseSensitive(n, "rules"), *r;
			if (!cJSON_IsArray(rules))
				problem(&c, nid, "a logic node needs rules");
			cJSON_ArrayForEach(r, rules) {
				check_cond(&c, nid, cJSON_GetObjectItemCaseSensitive(r, "when"), 0);
				if (wiz_str(r, "goto"))
					check_target(&c, nid, "rule", wiz_str(r, "goto"));
				else if (!wiz_str(r, "note"))
					problem(&c, nid, "a rule has goto or note");
			}
			check_target(&c, nid, "else", wiz_str(n, "else"));
		} else if (!strcmp(kind, "outcome")) {
			check_outcome(&c, nid, n);
		} else {
			problem(&c, nid, "unknown kind '%s'", kind);
		}
	}
	char *state = xcalloc((size_t)f->nnodes + 1, 1);
	int s = start ? node_index(f, start) : -1;
	if (s >= 0)
		dfs(&c, s, state);
	int i = 0;
	cJSON_ArrayForEach(n, f->nodes) {
		if (s >= 0 && !state[i])
			problem(&c, n->string, "cannot be reached from the start");
		i++;
	}
	free(state);
	return c.problems;
}
