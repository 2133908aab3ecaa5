/* SPDX-License-Identifier: MIT */
/*
 * The wizard engine: golden transcripts (tests/golden/wizard-*.txt) replayed against their
 * flows, random walks that must always reach an outcome, the flow checker on broken flows, and
 * bad inputs that must change nothing.
 *
 * Usage: test_wizard [FLOW GOLDEN]...   (default: the shipped flow and the printer fixture)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../wizard/internal.h"
#include "../../wizard/wiz.h"
#include "t.h"

static struct wiz_flow *load(const char *path)
{
	char data[1024], err[512];
	snprintf(data, sizeof data, "%s", path);
	char *slash = strrchr(data, '/');
	if (slash)
		*slash = '\0';
	strncat(data, "/../data", sizeof data - strlen(data) - 1);
	struct wiz_flow *f = wiz_flow_load(path, data, err, sizeof err);
	T_CHECK(f != NULL, "cannot load flow: %s", err);
	return f;
}

/* The expected-part text of a finished or open session, as golden files write it. */
static void describe(const struct wiz_flow *f, const cJSON *session, struct buf *out)
{
	cJSON *v = wiz_view(f, session, "x");
	const cJSON *o = cJSON_GetObjectItem(v, "outcome");
	if (!cJSON_IsObject(o)) {
		buf_addf(out, "node: %s\n", cJSON_GetObjectItem(v, "node")->valuestring);
		cJSON_Delete(v);
		return;
	}
	buf_addf(out, "outcome: %s\n", cJSON_GetObjectItem(o, "id")->valuestring);
	buf_addf(out, "why: %s\n", cJSON_GetObjectItem(o, "why")->valuestring);
	buf_adds(out, "articles:");
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "articles"))
		buf_addf(out, " %s", e->valuestring);
	buf_addch(out, '\n');
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "actions")) {
		buf_addf(out, "action: %s", cJSON_GetObjectItem(e, "id")->valuestring);
		/* Parameters sorted by name. */
		const cJSON *params = cJSON_GetObjectItem(e, "params");
		const char *last = "";
		for (;;) {
			const cJSON *best = NULL, *p;
			cJSON_ArrayForEach(p, params)
				if (strcmp(p->string, last) > 0 &&
				    (!best || strcmp(p->string, best->string) < 0))
					best = p;
			if (!best)
				break;
			buf_addf(out, " %s=%s", best->string, best->valuestring);
			last = best->string;
		}
		buf_addch(out, '\n');
	}
	cJSON_Delete(v);
}

static char *trim_lines(const char *s)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\r'))
			len--;
		if (len)
			buf_add(&b, s, len), buf_addch(&b, '\n');
		s = nl ? nl + 1 : s + strlen(s);
	}
	return buf_take(&b, NULL);
}

static int run_example(const struct wiz_flow *f, const char *input, const char *want, int num)
{
	cJSON *presets = cJSON_CreateObject(), *detected = cJSON_CreateObject();
	char *copy = xstrdup(input), *save = NULL;
	char err[512];
	cJSON *session = NULL;
	int failed = 0;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		bool pre = kx_str_starts(line, "preset:"), det = kx_str_starts(line, "detected:");
		if ((pre || det) && eq) {
			*eq = '\0';
			cJSON_AddStringToObject(pre ? presets : detected, strchr(line, ':') + 1, eq + 1);
			continue;
		}
		if (!session && wiz_session_new(f, presets, detected, &session, err, sizeof err)) {
			fprintf(stderr, "example %d: session: %s\n", num, err);
			failed = 1;
			break;
		}
		int rc;
		if (kx_str_starts(line, "back")) {
			rc = wiz_back(f, session, line[4] == ':' ? line + 5 : NULL, err, sizeof err);
		} else if (eq) {
			*eq = '\0';
			rc = wiz_answer(f, session, line, eq + 1, 1, err, sizeof err);
		} else {
			snprintf(err, sizeof err, "bad input line '%s'", line);
			rc = KX_EINVAL;
		}
		if (rc) {
			fprintf(stderr, "example %d: '%s': %s\n", num, line, err);
			failed = 1;
			break;
		}
	}
	if (!session && !failed && wiz_session_new(f, presets, detected, &session, err,
						   sizeof err)) {
		fprintf(stderr, "example %d: session: %s\n", num, err);
		failed = 1;
	}
	if (!failed) {
		struct buf got;
		buf_init(&got, BUF_NOMAX);
		describe(f, session, &got);
		char *g = trim_lines(buf_cstr(&got)), *w = trim_lines(want);
		if (strcmp(g, w)) {
			fprintf(stderr, "example %d:\n--- want\n%s--- got\n%s", num, w, g);
			failed = 1;
		}
		free(g);
		free(w);
		buf_release(&got);
	}
	cJSON_Delete(session);
	cJSON_Delete(presets);
	cJSON_Delete(detected);
	free(copy);
	return failed;
}

static void run_golden(const char *flow_path, const char *golden)
{
	struct wiz_flow *f = load(flow_path);
	char *text;
	T_CHECK(kx_read_file(golden, 1u << 22, &text, NULL) == 0, "cannot read %s", golden);
	if (!f || !text) {
		wiz_flow_free(f);
		return;
	}
	static const char fence[] = "````````````````````````````````";
	char *all = xstrdup(text);  /* the examples are cut up below */
	int num = 0;
	for (char *p = strstr(text, fence); p; ) {
		char *start = strchr(p, '\n');
		if (!start || strncmp(p + 32, " example", 8))
			break;
		char *end = strstr(start, fence);
		if (!end)
			break;
		*end = '\0';
		/* input "\n.\n" expected */
		char *dot = strstr(start, "\n.\n");
		num++;
		T_CHECK(dot != NULL, "%s: example %d has no '.' line", golden, num);
		if (dot) {
			*dot = '\0';
			T_CHECK(run_example(f, start + 1, dot + 3, num) == 0, "%s: example %d",
				golden, num);
		}
		p = strstr(end + 32, fence);
		while (p && strncmp(p + 32, " example", 8))
			p = strstr(p + 32, fence);
	}
	T_CHECK(num >= 8, "%s: only %d examples", golden, num);
	/* Every outcome of the flow is reached by at least one example. */
	const cJSON *n;
	cJSON_ArrayForEach(n, f->nodes) {
		const cJSON *kind = cJSON_GetObjectItem(n, "kind");
		if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "outcome"))
			continue;
		char want[160];
		snprintf(want, sizeof want, "\noutcome: %s\n", n->string);
		T_CHECK(strstr(all, want) != NULL, "%s: no example reaches outcome '%s'", golden,
			n->string);
	}
	free(all);
	free(text);
	wiz_flow_free(f);
}

/* xorshift: deterministic walks, the same on every run. */
static unsigned long long rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void random_walks(const char *flow_path, int walks)
{
	static const char *const texts[] = { "", "10.0.4", "9.5.1 build 3", "8.7.0", "7.0",
					     "not a version!", "10.0.4.812", "6.5.0", "x\ny" };
	struct wiz_flow *f = load(flow_path);
	if (!f)
		return;
	int bad = 0, max_steps = 0;
	for (int w = 0; w < walks; w++) {
		cJSON *session;
		char err[512];
		if (wiz_session_new(f, NULL, NULL, &session, err, sizeof err)) {
			bad++;
			continue;
		}
		int steps = 0;
		for (; steps < 200; steps++) {
			cJSON *v = wiz_view(f, session, "x");
			bool done = cJSON_IsObject(cJSON_GetObjectItem(v, "outcome"));
			char node[128] = "", kind[16] = "";
			if (!done) {
				snprintf(node, sizeof node, "%s", cJSON_GetObjectItem(v, "node")->valuestring);
				snprintf(kind, sizeof kind, "%s", cJSON_GetObjectItem(v, "kind")->valuestring);
			}
			const cJSON *opts = cJSON_GetObjectItem(v, "options");
			char answer[64];
			if (!done && !strcmp(kind, "choice"))
				snprintf(answer, sizeof answer, "%s", cJSON_GetObjectItem(
					cJSON_GetArrayItem(opts, (int)rnd((unsigned)cJSON_GetArraySize(opts))),
					"value")->valuestring);
			else
				snprintf(answer, sizeof answer, "%s", texts[rnd(9)]);
			cJSON_Delete(v);
			if (done)
				break;
			if (rnd(10) == 0) {
				wiz_back(f, session, NULL, err, sizeof err);
				continue;
			}
			wiz_answer(f, session, node, answer, 1, err, sizeof err);
		}
		cJSON *v = wiz_view(f, session, "x");
		if (!cJSON_IsObject(cJSON_GetObjectItem(v, "outcome")))
			bad++;
		cJSON_Delete(v);
		cJSON_Delete(session);
		if (steps > max_steps)
			max_steps = steps;
	}
	T_CHECK(bad == 0, "%s: %d of %d random walks did not end in an outcome", flow_path, bad,
		walks);
	printf("random walks on %s: %d, longest %d steps\n", flow_path, walks, max_steps);
	wiz_flow_free(f);
}

static char *tmpdir;

static void write_tmp(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	kx_write_file_atomic(path, text, strlen(text));
}

static const char *good_flow =
	"{\"id\":\"t\",\"start\":\"q\",\"tables\":{\"v\":\"v.json\"},"
	"\"evidence\":{\"seen\":[\"yes\",\"no\"]},"
	"\"orders\":{\"o\":[\"a\",\"b\"]},\"nodes\":{"
	"\"q\":{\"kind\":\"choice\",\"question\":\"Q?\",\"options\":[{\"value\":\"a\",\"label\":\"A\"},"
	"{\"value\":\"b\",\"label\":\"B\"},{\"value\":\"unknown\",\"label\":\"?\"}],\"next\":\"t\"},"
	"\"t\":{\"kind\":\"text\",\"question\":\"V?\",\"format\":\"version\",\"detect\":\"ver\","
	"\"next\":\"l\"},"
	"\"l\":{\"kind\":\"logic\",\"rules\":[{\"when\":{\"eq\":[\"q\",\"a\"]},\"goto\":\"o1\","
	"\"because\":\"You said {{q}}.\"},{\"when\":{\"version\":{\"left\":\"t\",\"right\":"
	"{\"value\":\"2.0\"},\"parts\":2,\"is\":\"lt\"}},\"note\":\"Old {{t}}.\"}],\"else\":\"o2\"},"
	"\"o1\":{\"kind\":\"outcome\",\"title\":\"One\",\"summary\":\"S\",\"articles\":[\"a1\"],"
	"\"actions\":[{\"id\":\"fix\",\"params\":{\"v\":\"{{t}}\",\"q\":\"{{q}}\"}},"
	"{\"id\":\"fix\",\"when\":{\"eq\":[\"evidence.seen\",\"yes\"]}}]},"
	"\"o2\":{\"kind\":\"outcome\",\"title\":\"Two\",\"summary\":\"S\",\"why\":\"End.\"}}}";

static int check_text(const char *flow_json, struct buf *report)
{
	write_tmp("flows/f.json", flow_json);
	char path[512], data[512], err[512];
	snprintf(path, sizeof path, "%s/flows/f.json", tmpdir);
	snprintf(data, sizeof data, "%s/data", tmpdir);
	struct wiz_flow *f = wiz_flow_load(path, data, err, sizeof err);
	if (!f) {
		buf_adds(report, err);
		return -1;
	}
	static const char *const arts[] = { "a1" }, *const acts[] = { "fix" };
	struct wiz_refs refs = { arts, 1, acts, 1 };
	int n = wiz_flow_check(f, &refs, report);
	wiz_flow_free(f);
	return n;
}

static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (!at)
		return xstrdup(s);
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	buf_add(&b, s, (size_t)(at - s));
	buf_adds(&b, to);
	buf_adds(&b, at + strlen(from));
	return buf_take(&b, NULL);
}

static void test_checker(void)
{
	static char tmpl[256];
	tmpdir = t_tmpdir(tmpl, sizeof tmpl, "test-wiz") == 0 ? tmpl : NULL;
	char d[600];
	snprintf(d, sizeof d, "%s/flows", tmpdir);
	kx_mkdir_p(d);
	snprintf(d, sizeof d, "%s/data", tmpdir);
	kx_mkdir_p(d);
	write_tmp("data/v.json", "{\"rows\":[{\"release\":\"1.0\",\"min\":\"a\"}]}");
	struct buf r;
	buf_init(&r, BUF_NOMAX);
	T_INT(check_text(good_flow, &r), 0);
	T_STR(buf_cstr(&r), "");
	static const struct { const char *from, *to, *want; } cases[] = {
		{ "\"next\":\"l\"", "\"next\":\"nowhere\"", "node 't': next goes to unknown node 'nowhere'" },
		{ "\"else\":\"o2\"", "\"else\":\"o1\"", "node 'o2': cannot be reached from the start" },
		{ "\"else\":\"o2\"", "\"else\":\"q\"", "the flow has a cycle" },
		{ "\"next\":\"t\"}", "\"next\":{\"a\":\"t\"}}", "node 'q': answer 'b' has no way forward" },
		{ "\"articles\":[\"a1\"]", "\"articles\":[\"zz\"]", "node 'o1': article 'zz' does not exist in the KB" },
		{ "\"id\":\"fix\"", "\"id\":\"nuke\"", "node 'o1': action 'nuke' is not in the repair catalogue" },
		{ "{\"eq\":[\"q\",\"a\"]}", "{\"eq\":[\"q\",\"c\"]}", "node 'l': 'c' is not an answer of 'q'" },
		{ "{\"eq\":[\"q\",\"a\"]}", "{\"xor\":[\"q\",\"a\"]}", "node 'l': unknown condition 'xor'" },
		{ "{\"eq\":[\"q\",\"a\"]}", "{\"eq\":[\"o1\",\"a\"]}", "condition reads 'o1', which is not a question" },
		{ "\"format\":\"version\"", "\"format\":\"regex\"", "node 't': a text question's format is version or line" },
		{ "\"kind\":\"logic\"", "\"kind\":\"magic\"", "node 'l': unknown kind 'magic'" },
		{ "\"start\":\"q\"", "\"start\":\"o1\"", "the start node must be a question" },
		{ "\"label\":\"B\"", "\"label\":\"\"", "each option has a value" },
		{ "{\"value\":\"b\",\"label\":\"B\"}", "{\"value\":\"a\",\"label\":\"B\"}", "option 'a' appears twice" },
		{ "\"parts\":2", "\"parts\":9", "version parts is 1 to 4" },
		/* Evidence: declared keys and values only; conditional actions are checked too. */
		{ "[\"evidence.seen\",\"yes\"]", "[\"evidence.seen\",\"maybe\"]",
		  "node 'o1': 'maybe' is not a value of evidence.seen" },
		{ "[\"evidence.seen\",\"yes\"]", "[\"evidence.gone\",\"yes\"]",
		  "node 'o1': condition reads 'evidence.gone', which is not a question" },
		{ "\"seen\":[\"yes\",\"no\"]", "\"seen\":[]", "evidence 'seen' is a key" },
		{ "\"seen\":[\"yes\",\"no\"]", "\"seen\":[\"a b\"]",
		  "a value of evidence 'seen' is not a plain word" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *flow = replace(good_flow, cases[i].from, cases[i].to);
		buf_reset(&r);
		int n = check_text(flow, &r);
		T_CHECK(n > 0 && strstr(buf_cstr(&r), cases[i].want), "case %zu: %d problems: %s",
			i, n, buf_cstr(&r));
		free(flow);
	}
	/* A start that decides on evidence alone, before the first question. */
	char *ev_start = replace(good_flow, "\"start\":\"q\"", "\"start\":\"s\"");
	char *ev_flow = replace(ev_start, "\"nodes\":{", "\"nodes\":{\"s\":{\"kind\":\"logic\","
		"\"rules\":[{\"when\":{\"eq\":[\"evidence.seen\",\"yes\"]},\"goto\":\"o1\","
		"\"because\":\"Seen on the PC.\"}],\"else\":\"q\"},");
	buf_reset(&r);
	T_INT(check_text(ev_flow, &r), 0);
	T_STR(buf_cstr(&r), "");
	static const struct { const char *from, *to, *want; } start_cases[] = {
		{ "{\"eq\":[\"evidence.seen\",\"yes\"]},\"goto\":\"o1\"",
		  "{\"any\":[{\"eq\":[\"evidence.seen\",\"yes\"]},{\"eq\":[\"q\",\"a\"]}]},\"goto\":\"o1\"",
		  "node 's': a start logic node reads only evidence" },
		{ "\"else\":\"q\"", "\"else\":\"o2\"", "node 's': a start logic node's else is the first question" },
	};
	for (size_t i = 0; i < sizeof start_cases / sizeof start_cases[0]; i++) {
		char *flow = replace(ev_flow, start_cases[i].from, start_cases[i].to);
		buf_reset(&r);
		int n = check_text(flow, &r);
		T_CHECK(n > 0 && strstr(buf_cstr(&r), start_cases[i].want), "start case %zu: %d "
			"problems: %s", i, n, buf_cstr(&r));
		free(flow);
	}
	/* Evidence settles the outcome with no question; the sentences behind it are shown, and
	 * a detected value of a question never asked fills the outcome's parameters. */
	char err[512];
	struct wiz_flow *ef = wiz_flow_parse("ev", ev_flow, strlen(ev_flow), NULL, err, sizeof err);
	T_CHECK(ef == NULL, "a flow naming tables needs a data folder");
	char *no_tables = replace(ev_flow, "\"tables\":{\"v\":\"v.json\"},", "");
	ef = wiz_flow_parse("ev", no_tables, strlen(no_tables), NULL, err, sizeof err);
	T_CHECK(ef != NULL, "parse: %s", err);
	cJSON *det = cJSON_Parse("{\"seen\": \"yes\", \"ver\": \"1.5\"}");
	cJSON *notes = cJSON_Parse("{\"seen\": \"The scan saw it.\", \"ver\": \"Read from the "
				   "registry.\", \"bad\": 1}");
	cJSON *sess = NULL;
	T_INT(ef ? wiz_session_new(ef, NULL, det, &sess, err, sizeof err) : -1, 0);
	if (sess) {
		wiz_session_evidence(sess, notes);
		cJSON *v = wiz_view(ef, sess, "x");
		const cJSON *o = cJSON_GetObjectItem(v, "outcome");
		T_STR(cJSON_GetObjectItem(o, "id")->valuestring, "o1");
		T_INT(cJSON_GetArraySize(cJSON_GetObjectItem(v, "path")), 0);
		T_CONTAINS(cJSON_GetObjectItem(o, "why")->valuestring, "Seen on the PC.");
		const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "evidence"), 0);
		T_STR(cJSON_GetObjectItem(ev, "key")->valuestring, "seen");
		T_STR(cJSON_GetObjectItem(ev, "detail")->valuestring, "The scan saw it.");
		const cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "settled"), 0);
		T_STR(cJSON_GetObjectItem(st, "node")->valuestring, "t");
		T_STR(cJSON_GetObjectItem(st, "evidence")->valuestring, "Read from the registry.");
		const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "actions"), 0);
		T_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "params"), "v")->valuestring, "1.5");
		cJSON_Delete(v);
		cJSON_Delete(sess);
	}
	/* Without the evidence the first question is asked. */
	cJSON_DeleteItemFromObject(det, "seen");
	sess = NULL;
	T_INT(ef ? wiz_session_new(ef, NULL, det, &sess, err, sizeof err) : -1, 0);
	if (sess) {
		cJSON *v = wiz_view(ef, sess, "x");
		T_STR(cJSON_GetObjectItem(v, "node")->valuestring, "q");
		T_INT(cJSON_GetArraySize(cJSON_GetObjectItem(v, "evidence")), 0);
		cJSON_Delete(v);
		cJSON_Delete(sess);
	}
	cJSON_Delete(det);
	cJSON_Delete(notes);
	wiz_flow_free(ef);
	free(no_tables);
	free(ev_flow);
	free(ev_start);
	buf_reset(&r);
	T_INT(check_text("{\"id\": \"t\",\n \"nodes\": [", &r), -1);
	T_CONTAINS(buf_cstr(&r), "line 2: malformed JSON");
	buf_reset(&r);
	T_INT(check_text("[1, 2]", &r), -1);
	T_CONTAINS(buf_cstr(&r), "a flow is an object");
	buf_release(&r);
}

/* Bad inputs change nothing; detection, presets, corrections, back and the why. */
static void test_session(void)
{
	char path[600], err[512];
	snprintf(path, sizeof path, "%s/flows/f.json", tmpdir);
	write_tmp("flows/f.json", good_flow);
	struct wiz_flow *f = load(path);
	if (!f)
		return;
	cJSON *s, *det = cJSON_Parse("{\"ver\": \"1.5\"}");
	T_INT(wiz_session_new(f, NULL, det, &s, err, sizeof err), 0);
	char *before = cJSON_PrintUnformatted(s);
	T_INT(wiz_answer(f, s, "t", "1.0", 1, err, sizeof err), KX_ECONFLICT);
	T_CONTAINS(err, "'t' is not the current question (that is 'q')");
	T_INT(wiz_answer(f, s, "q", "zzz", 1, err, sizeof err), KX_EINVAL);
	T_CONTAINS(err, "'zzz' is not one of the answers offered for 'q'");
	T_INT(wiz_back(f, s, NULL, err, sizeof err), KX_ECONFLICT);
	T_INT(wiz_back(f, s, "t", err, sizeof err), KX_ECONFLICT);
	char *after = cJSON_PrintUnformatted(s);
	T_STR(after, before);
	free(after);
	free(before);

	/* The detected version answers t without asking; the note uses it. */
	T_INT(wiz_answer(f, s, "q", "b", 2, err, sizeof err), 0);
	cJSON *v = wiz_view(f, s, "id1");
	T_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "outcome"), "id")->valuestring, "o2");
	T_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "outcome"), "why")->valuestring,
	      "Old 1.5. End.");
	T_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(v, "path"), 1), "source")
	      ->valuestring, "detected");
	cJSON_Delete(v);
	T_INT(wiz_answer(f, s, "q", "a", 1, err, sizeof err), KX_ECONFLICT);

	/* Going back to the detected question asks it, pre-filled; a correction sticks. */
	T_INT(wiz_back(f, s, "t", err, sizeof err), 0);
	v = wiz_view(f, s, "id1");
	T_STR(cJSON_GetObjectItem(v, "node")->valuestring, "t");
	T_STR(cJSON_GetObjectItem(v, "value")->valuestring, "1.5");
	T_STR(cJSON_GetObjectItem(v, "detected")->valuestring, "1.5");
	cJSON_Delete(v);
	T_INT(wiz_answer(f, s, "t", "not a version", 1, err, sizeof err), KX_EINVAL);
	T_INT(wiz_answer(f, s, "t", "3.1", 1, err, sizeof err), 0);
	T_INT(wiz_back(f, s, "q", err, sizeof err), 0);
	T_INT(wiz_answer(f, s, "q", "a", 1, err, sizeof err), 0);
	v = wiz_view(f, s, "id1");
	const cJSON *o = cJSON_GetObjectItem(v, "outcome");
	T_STR(cJSON_GetObjectItem(o, "id")->valuestring, "o1");
	T_STR(cJSON_GetObjectItem(o, "why")->valuestring, "You said A.");
	const cJSON *params = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o,
								"actions"), 0), "params");
	T_STR(cJSON_GetObjectItem(params, "v")->valuestring, "3.1");
	T_STR(cJSON_GetObjectItem(params, "q")->valuestring, "a");
	cJSON_Delete(v);
	cJSON_Delete(s);

	/* Presets: checked, then used like answers; unknown never decides. */
	cJSON *p = cJSON_Parse("{\"zz\": \"a\"}");
	T_INT(wiz_session_new(f, p, NULL, &s, err, sizeof err), KX_EINVAL);
	T_CONTAINS(err, "'zz' is not a question");
	cJSON_Delete(p);
	p = cJSON_Parse("{\"q\": \"c\"}");
	T_INT(wiz_session_new(f, p, NULL, &s, err, sizeof err), KX_EINVAL);
	cJSON_Delete(p);
	p = cJSON_Parse("{\"q\": \"unknown\", \"t\": \"\"}");
	T_INT(wiz_session_new(f, p, NULL, &s, err, sizeof err), 0);
	v = wiz_view(f, s, "id2");
	o = cJSON_GetObjectItem(v, "outcome");
	T_STR(cJSON_GetObjectItem(o, "id")->valuestring, "o2");
	T_STR(cJSON_GetObjectItem(o, "why")->valuestring, "End.");
	cJSON_Delete(v);
	cJSON_Delete(p);
	cJSON_Delete(s);
	cJSON_Delete(det);
	wiz_flow_free(f);
	T_INT(t_rm_rf(tmpdir), 0);
}

int main(int argc, char **argv)
{
	test_checker();
	test_session();
	if (argc > 2) {
		for (int i = 1; i + 1 < argc; i += 2) {
			run_golden(argv[i], argv[i + 1]);
			random_walks(argv[i], 2000);
		}
	} else {
		run_golden("wizard/flows/kofmsp.json", "tests/golden/wizard-kofmsp.txt");
		run_golden("tests/fixtures/printer/flows/printer.json",
			   "tests/golden/wizard-printer.txt");
		random_walks("wizard/flows/kofmsp.json", 5000);
		random_walks("tests/fixtures/printer/flows/printer.json", 2000);
	}
	return t_done("wizard");
}
