/* SPDX-License-Identifier: MIT */
/*
 * Template engine: what a page shows for a given template and context, every compile, link
 * and render error with its line, the bounds, loading a directory, and the golden examples of
 * tests/golden/tpl.txt (path in argv[1]).
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../templates/tpl.h"
#include "t.h"

/*
 * Adds the templates (name, source pairs up to a NULL name), links them and renders the first
 * against json (NULL for no context). Returns the output, or "ERROR: message" when any step
 * failed; caller frees. *rcp gets the failing step's code (0 on success) when not NULL.
 */
static char *run_set(const char *const *tpls, const char *json, size_t max, int *rcp)
{
	char err[512] = "";
	struct buf out;
	struct tpl_set *set = tpl_set_new();
	cJSON *ctx = NULL;
	char *res;
	int rc = 0;

	buf_init(&out, max);
	if (json && !(ctx = cJSON_Parse(json))) {
		snprintf(err, sizeof(err), "bad JSON in test: %s", json);
		rc = KX_EINVAL;
		goto out;
	}
	for (size_t i = 0; tpls[i] && rc == 0; i += 2)
		rc = tpl_set_add(set, tpls[i], tpls[i + 1], strlen(tpls[i + 1]), err, sizeof(err));
	if (rc == 0)
		rc = tpl_set_link(set, err, sizeof(err));
	if (rc == 0)
		rc = tpl_render(set, tpls[0], ctx, &out, err, sizeof(err));
out:
	if (rc) {
		buf_reset(&out);
		out.max = BUF_NOMAX;
		buf_addf(&out, "ERROR: %s", err);
	}
	res = buf_take(&out, NULL);
	if (rcp)
		*rcp = rc;
	tpl_set_free(set);
	cJSON_Delete(ctx);
	return res;
}

static char *run1(const char *src, const char *json, int *rcp)
{
	const char *tpls[] = { "t", src, NULL };
	return run_set(tpls, json, BUF_NOMAX, rcp);
}

struct render_case {
	const char *src;
	const char *json;
	const char *want;
};

static const struct render_case render_cases[] = {
	/* escaping is the default; raw only with triple braces */
	{ "{{x}}", "{\"x\":\"a & b < c > d \\\" e ' f\"}",
	  "a &amp; b &lt; c &gt; d &quot; e &#39; f" },
	{ "<p>{{x}}</p>", "{\"x\":\"<script>alert('x')</script>\"}",
	  "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>" },
	{ "<p>{{{x}}}</p>", "{\"x\":\"<script>alert('x')</script>\"}",
	  "<p><script>alert('x')</script></p>" },
	{ "{{{ x }}}|{{ x }}", "{\"x\":\"<b>\"}", "<b>|&lt;b&gt;" },
	{ "<a title=\"{{t}}\">", "{\"t\":\"\\\" onmouseover=\\\"x\"}",
	  "<a title=\"&quot; onmouseover=&quot;x\">" },
	{ "no tags, { and } and }} alone", "{}", "no tags, { and } and }} alone" },
	{ "", "{}", "" },
	{ "{{x}}", "{\"x\":\"\"}", "" },
	/* values */
	{ "{{a}} {{b}} {{c}} [{{d}}]", "{\"a\":true,\"b\":false,\"c\":\"s\",\"d\":null}",
	  "true false s []" },
	{ "{{a}} {{b}} {{c}} {{d}} {{e}}", "{\"a\":42,\"b\":-7,\"c\":3.5,\"d\":0.1,\"e\":-0.0}",
	  "42 -7 3.5 0.1 0" },
	{ "{{a}} {{b}} {{c}} {{d}}",
	  "{\"a\":123456789012345,\"b\":1e15,\"c\":1e20,\"d\":2.5e-7}",
	  "123456789012345 1e+15 1e+20 2.5e-07" },
	/* dotted names, "." and array indexes */
	{ "{{a.b.c}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "deep" },
	{ "{{items.1.name}}", "{\"items\":[{\"name\":\"x\"},{\"name\":\"y\"}]}", "y" },
	{ "{{#tags}}[{{.}}]{{/tags}}", "{\"tags\":[\"a\",\"<b>\",\"c\"]}", "[a][&lt;b&gt;][c]" },
	{ "{{#n}}{{.}},{{/n}}", "{\"n\":[1,2.5,true]}", "1,2.5,true," },
	{ "{{.}}", "\"top\"", "top" },
	/* sections over each kind of value */
	{ "{{#items}}{{name}};{{/items}}", "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}]}",
	  "a;b;" },
	{ "{{#user}}{{name}}{{/user}}", "{\"user\":{\"name\":\"Ann\"}}", "Ann" },
	{ "{{#o}}once{{/o}}", "{\"o\":{}}", "once" },
	{ "{{#b}}yes{{/b}}", "{\"b\":true}", "yes" },
	{ "{{#b}}yes{{/b}}", "{\"b\":false}", "" },
	{ "{{#s}}<{{.}}>{{/s}}", "{\"s\":\"hi\"}", "<hi>" },
	{ "{{#s}}<{{.}}>{{/s}}", "{\"s\":\"\"}", "" },
	{ "{{#n}}n={{.}}{{/n}}", "{\"n\":3}", "n=3" },
	{ "{{#n}}n={{.}}{{/n}}", "{\"n\":0}", "" },
	{ "{{#x}}x{{/x}}", "{\"x\":null}", "" },
	{ "{{#x}}x{{/x}}", "{}", "" },
	{ "{{#x}}x{{/x}}", NULL, "" },
	{ "{{#x}}x{{/x}}", "{\"x\":[]}", "" },
	{ "{{#a.x.c}}x{{/a.x.c}}", "{\"a\":{}}", "" },
	/* inverted sections */
	{ "{{^x}}none{{/x}}", "{\"x\":[]}", "none" },
	{ "{{^x}}none{{/x}}", "{}", "none" },
	{ "{{^x}}none{{/x}}", "{\"x\":null}", "none" },
	{ "{{^x}}none{{/x}}", "{\"x\":false}", "none" },
	{ "{{^x}}none{{/x}}", "{\"x\":0}", "none" },
	{ "{{^x}}none{{/x}}", "{\"x\":\"\"}", "none" },
	{ "{{^x}}none{{/x}}", "{\"x\":true}", "" },
	{ "{{^x}}none{{/x}}", "{\"x\":[0]}", "" },
	{ "{{^x}}none{{/x}}", "{\"x\":{}}", "" },
	{ "{{^x}}none{{/x}}", "{\"x\":\"s\"}", "" },
	{ "{{#x}}{{.}}{{/x}}{{^x}}empty{{/x}}", "{\"x\":[]}", "empty" },
	/* nesting and lookups falling back to outer contexts */
	{ "{{#items}}{{name}}@{{site}};{{/items}}",
	  "{\"site\":\"S\",\"items\":[{\"name\":\"a\"},{\"name\":\"b\",\"site\":\"T\"}]}",
	  "a@S;b@T;" },
	{ "{{#a}}{{#b}}{{c}}{{x}}{{/b}}{{/a}}",
	  "{\"x\":\"X\",\"a\":{\"x\":\"Y\",\"b\":[{\"c\":1},{\"c\":2,\"x\":\"Z\"}]}}", "1Y2Z" },
	{ "{{#items}}{{user.name}}{{/items}}", "{\"user\":{\"name\":\"U\"},\"items\":[1,2]}",
	  "UU" },
	{ "{{#rows}}{{#cols}}{{.}}{{/cols}}|{{/rows}}",
	  "{\"rows\":[{\"cols\":[1,2]},{\"cols\":[]},{\"cols\":[3]}]}", "12||3|" },
	{ "{{#tags}}{{#.}}{{.}}{{/.}}{{/tags}}", "{\"tags\":[\"a\",\"\",\"b\"]}", "ab" },
	/* comments */
	{ "a{{! a comment }}b", "{}", "ab" },
	{ "a{{!x\n{y}\nz}}b", "{}", "ab" },
	{ "a{{!x\n{{y}}\nz}}b", "{}", "a\nz}}b" },	/* a comment ends at the first "}}" */
	{ "a{{!}}b", "{}", "ab" },
	/* standalone lines */
	{ "<ul>\n  {{#items}}\n  <li>{{.}}</li>\n  {{/items}}\n</ul>\n",
	  "{\"items\":[\"a\",\"b\"]}",
	  "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n" },
	{ "a\n{{! note }}\nb\n", "{}", "a\nb\n" },
	{ "a\n\t{{^x}}\t\r\nnone\r\n{{/x}}\r\nb", "{}", "a\nnone\r\nb" },
	{ "a\n  {{#x}}\n  x\n  {{/x}}", "{\"x\":true}", "a\n  x\n" },
	{ "{{#x}}\nx\n{{/x}}\n", "{\"x\":true}", "x\n" },
	{ "a {{#x}}x{{/x}}\n", "{\"x\":true}", "a x\n" },
	{ "{{#x}}x{{/x}} b\n", "{\"x\":true}", "x b\n" },
	{ "  {{v}}\n", "{\"v\":1}", "  1\n" },
	{ "{{v}}{{#x}}\n", "{\"v\":1}", "ERROR: t.html:1: unclosed section 'x'" },
	{ "{{v}}{{#x}}\nx\n{{/x}}\n", "{\"v\":1,\"x\":1}", "1\nx\n" },
};

struct error_case {
	const char *src;
	const char *json;
	int rc;
	const char *want;
};

static const struct error_case error_cases[] = {
	{ "line 1\n{{#toc}}\nx\n", "{}", KX_ESYNTAX, "t.html:2: unclosed section 'toc'" },
	{ "{{#a}}\n\n{{#b}}\n{{/b}}", "{}", KX_ESYNTAX, "t.html:1: unclosed section 'a'" },
	{ "{{#a}}\n{{/b}}", "{}", KX_ESYNTAX,
	  "t.html:2: close tag '/b' does not match section 'a' opened on line 1" },
	{ "x\n\n{{/a}}", "{}", KX_ESYNTAX, "t.html:3: close tag '/a' without an open section" },
	{ "a\n{{name\n}}", "{}", KX_ESYNTAX, "t.html:2: unterminated tag" },
	{ "a\nb\n{{name", "{}", KX_ESYNTAX, "t.html:3: unterminated tag" },
	{ "{{x {{y}}", "{}", KX_ESYNTAX, "t.html:1: unterminated tag" },
	{ "\n{{{x}}", "{}", KX_ESYNTAX, "t.html:2: unterminated tag" },
	{ "{", "{}", 0, NULL },
	{ "x {{", "{}", KX_ESYNTAX, "t.html:1: unterminated tag" },
	{ "\n\n\n{{! no end\n", "{}", KX_ESYNTAX, "t.html:4: unterminated comment" },
	{ "a\n{{}}", "{}", KX_ESYNTAX, "t.html:2: empty tag" },
	{ "{{  }}", "{}", KX_ESYNTAX, "t.html:1: empty tag" },
	{ "{{#}}{{/}}", "{}", KX_ESYNTAX, "t.html:1: empty tag" },
	{ "{{{ }}}", "{}", KX_ESYNTAX, "t.html:1: empty tag" },
	{ "\n{{> }}", "{}", KX_ESYNTAX, "t.html:2: empty tag" },
	{ "\n\n{{a b}}", "{}", KX_ESYNTAX, "t.html:3: bad tag name 'a b'" },
	{ "{{a..b}}", "{}", KX_ESYNTAX, "t.html:1: bad tag name 'a..b'" },
	{ "{{.a}}", "{}", KX_ESYNTAX, "t.html:1: bad tag name '.a'" },
	{ "{{a.}}", "{}", KX_ESYNTAX, "t.html:1: bad tag name 'a.'" },
	{ "{{&x}}", "{}", KX_ESYNTAX, "t.html:1: bad tag name '&x'" },
	{ "{{#a/b}}", "{}", KX_ESYNTAX, "t.html:1: bad tag name 'a/b'" },
	{ "{{>.}}", "{}", KX_ESYNTAX, "t.html:1: bad tag name '.'" },
	{ "{{>../etc/passwd}}", "{}", KX_ESYNTAX, "t.html:1: bad tag name '../etc/passwd'" },
	{ "{{x}}}", "{\"x\":1}", 0, NULL },
	/* unknown names at render time */
	{ "a\nb {{missing}}", "{}", KX_ENOTFOUND, "t.html:2: unknown name 'missing'" },
	{ "{{a.b}}", "{\"a\":{}}", KX_ENOTFOUND, "t.html:1: unknown name 'a.b'" },
	{ "{{{raw}}}", NULL, KX_ENOTFOUND, "t.html:1: unknown name 'raw'" },
	{ "{{.}}", NULL, KX_ENOTFOUND, "t.html:1: unknown name '.'" },
	/* no fallback for later segments: the inner "a" hides the outer one */
	{ "{{#items}}\n{{a.b}}{{/items}}", "{\"a\":{\"b\":1},\"items\":[{\"a\":{}}]}",
	  KX_ENOTFOUND, "t.html:2: unknown name 'a.b'" },
	{ "{{#items}}{{name}}{{/items}}", "{\"items\":[{\"name\":\"a\"},{}]}", KX_ENOTFOUND,
	  "t.html:1: unknown name 'name'" },
	{ "{{o}}", "{\"o\":{}}", KX_EINVAL, "t.html:1: 'o' is an object, not a printable value" },
	{ "\n{{{a}}}", "{\"a\":[]}", KX_EINVAL,
	  "t.html:2: 'a' is an array, not a printable value" },
};

static void test_render_table(void)
{
	for (size_t i = 0; i < sizeof(render_cases) / sizeof(render_cases[0]); i++) {
		const struct render_case *c = &render_cases[i];
		char *got = run1(c->src, c->json, NULL);
		T_CHECK(strcmp(got, c->want) == 0, "render case %zu [%s]\n  got:  [%s]\n"
			"  want: [%s]", i, c->src, got, c->want);
		free(got);
	}
}

static void test_error_table(void)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		int rc;
		char *got = run1(c->src, c->json, &rc);
		T_CHECK(rc == c->rc, "error case %zu [%s]: rc %d, want %d", i, c->src, rc, c->rc);
		if (c->want) {
			char want[512];
			snprintf(want, sizeof(want), "ERROR: %s", c->want);
			T_CHECK(strcmp(got, want) == 0, "error case %zu [%s]\n  got:  [%s]\n  "
				"want: [%s]", i, c->src, got, want);
		}
		free(got);
	}
}

struct set_case {
	const char *tpls[9];	/* name, source pairs; the first is rendered */
	const char *json;
	int rc;
	const char *want;	/* output, or the message when rc != 0 */
};

static const struct set_case set_cases[] = {
	{ { "page", "<h>{{>head}}</h>", "head", "{{title}}" }, "{\"title\":\"T&C\"}", 0,
	  "<h>T&amp;C</h>" },
	{ { "page", "{{#items}}{{>item}}{{/items}}", "item", "<li>{{name}} of {{site}}</li>" },
	  "{\"site\":\"S\",\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", 0,
	  "<li>a of S</li><li>b of S</li>" },
	{ { "a", "1{{>b}}", "b", "2{{>c}}{{>c}}", "c", "3" }, "{}", 0, "1233" },
	{ { "a", "{{> b }}", "b", "x" }, NULL, 0, "x" },
	{ { "a.b", "dotted", "x", "{{>a.b}}" }, NULL, 0, "dotted" },
	/* partials are added in any order; only the rendered template's partials matter */
	{ { "c", "{{>a}}", "b", "{{>a}}", "a", "A" }, NULL, 0, "A" },
	{ { "t", "x\n\n{{#s}}\n{{>nope}}\n{{/s}}" }, "{}", KX_ESYNTAX,
	  "t.html:4: unknown partial 'nope'" },
	{ { "t", "ok", "other", "\n{{>gone}}" }, "{}", KX_ESYNTAX,
	  "other.html:2: unknown partial 'gone'" },
	{ { "a", "x\n{{>b}}", "b", "{{#s}}\n\n{{>a}}{{/s}}" }, "{}", KX_ESYNTAX,
	  "b.html:3: partial cycle: a -> b -> a" },
	{ { "a", "{{>a}}" }, "{}", KX_ESYNTAX, "a.html:1: partial cycle: a -> a" },
	{ { "top", "{{>a}}", "a", "{{>b}}", "b", "{{>c}}", "c", "{{>a}}" }, "{}", KX_ESYNTAX,
	  "c.html:1: partial cycle: a -> b -> c -> a" },
	{ { "page", "{{>p}}", "p", "\n{{x}}" }, "{}", KX_ENOTFOUND,
	  "p.html:2: unknown name 'x'" },
	{ { "page", "x", "page", "y" }, "{}", KX_ECONFLICT, "page.html: template defined twice" },
	{ { "page", "x", "bad", "{{#a}}" }, "{}", KX_ESYNTAX, "bad.html:1: unclosed section 'a'" },
};

static void test_set_table(void)
{
	for (size_t i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		const struct set_case *c = &set_cases[i];
		int rc;
		char *got = run_set(c->tpls, c->json, BUF_NOMAX, &rc);
		char want[512];
		snprintf(want, sizeof(want), "%s%s", c->rc ? "ERROR: " : "", c->want);
		T_CHECK(rc == c->rc, "set case %zu: rc %d, want %d", i, rc, c->rc);
		T_CHECK(strcmp(got, want) == 0, "set case %zu\n  got:  [%s]\n  want: [%s]", i, got,
			want);
		free(got);
	}
}

/* The buf bound: rendering stops with KX_ETOOBIG and a message naming the tag. */
static void test_output_bound(void)
{
	const char *text[] = { "t", "0123456789", NULL };
	const char *over[] = { "t", "0123456789\nA", NULL };
	const char *esc[] = { "t", "12345{{x}}", NULL };
	int rc;
	char *got = run_set(text, NULL, 10, &rc);
	T_INT(rc, 0);
	T_STR(got, "0123456789");
	free(got);
	got = run_set(over, NULL, 10, &rc);
	T_INT(rc, KX_ETOOBIG);
	T_STR(got, "ERROR: t.html:1: output larger than 10 bytes");
	free(got);
	/* "&amp;" makes the escaped value longer than the raw one */
	got = run_set(esc, "{\"x\":\"&&\"}", 10, &rc);
	T_INT(rc, KX_ETOOBIG);
	free(got);
	got = run_set(esc, "{\"x\":\"&\"}", 10, &rc);
	T_INT(rc, 0);
	T_STR(got, "12345&amp;");
	free(got);
}

/* Nesting bounds: 64 sections and 64 partials deep are fine, 65 are refused. */
static void test_depth_bounds(void)
{
	for (int depth = 64; depth <= 65; depth++) {
		struct buf src;
		buf_init(&src, BUF_NOMAX);
		for (int i = 0; i < depth; i++)
			buf_addf(&src, "{{#s%d}}\n", i);
		buf_adds(&src, "x");
		for (int i = depth - 1; i >= 0; i--)
			buf_addf(&src, "{{/s%d}}", i);
		int rc;
		char *got = run1(buf_cstr(&src), "{}", &rc);
		if (depth == 64) {
			T_INT(rc, 0);
			T_STR(got, "");
		} else {
			T_INT(rc, KX_ESYNTAX);
			T_STR(got, "ERROR: t.html:65: sections nested deeper than 64");
		}
		free(got);
		buf_release(&src);
	}

	for (int depth = 64; depth <= 65; depth++) {
		/* p0 includes p1 ... includes p<depth>: depth partials inside one another */
		char names[70][8], srcs[70][16], err[256];
		struct tpl_set *set = tpl_set_new();
		int rc = 0;
		for (int i = 0; i <= depth; i++) {
			snprintf(names[i], sizeof(names[i]), "p%d", i);
			if (i < depth)
				snprintf(srcs[i], sizeof(srcs[i]), "{{>p%d}}", i + 1);
			else
				snprintf(srcs[i], sizeof(srcs[i]), "end");
		}
		/* added deepest first, so that linking starts from the far end of the chain */
		for (int i = depth; i >= 0 && rc == 0; i--)
			rc = tpl_set_add(set, names[i], srcs[i], strlen(srcs[i]), err, sizeof(err));
		T_INT(rc, 0);
		rc = tpl_set_link(set, err, sizeof(err));
		if (depth == 64) {
			T_INT(rc, 0);
			struct buf out;
			buf_init(&out, 100);
			T_INT(tpl_render(set, "p0", NULL, &out, err, sizeof(err)), 0);
			T_STR(buf_cstr(&out), "end");
			buf_release(&out);
		} else {
			T_INT(rc, KX_ESYNTAX);
			T_STR(err, "p0.html:1: partials nested deeper than 64");
			/* a set whose link failed still renders safely, bounded */
			struct buf out;
			buf_init(&out, 100);
			T_INT(tpl_render(set, "p0", NULL, &out, err, sizeof(err)), KX_ETOOBIG);
			T_STR(err, "p64.html:1: partials nested deeper than 64");
			buf_release(&out);
		}
		tpl_set_free(set);
	}
}

/* Source size bound: exactly 1 MiB compiles, one byte more is refused. */
static void test_size_bound(void)
{
	size_t max = 1u << 20;
	char *src = xmalloc(max + 2);
	char err[256];
	memset(src, 'a', max + 1);
	src[max + 1] = '\0';
	struct tpl_set *set = tpl_set_new();
	T_INT(tpl_set_add(set, "big", src, max + 1, err, sizeof(err)), KX_ETOOBIG);
	T_STR(err, "big.html: template larger than 1048576 bytes");
	T_OK(!tpl_set_has(set, "big"));
	T_INT(tpl_set_add(set, "big", src, max, err, sizeof(err)), 0);
	T_OK(tpl_set_has(set, "big"));
	tpl_set_free(set);
	free(src);
}

static void test_api(void)
{
	char err[256];
	struct buf out;
	buf_init(&out, BUF_NOMAX);
	struct tpl_set *set = tpl_set_new();

	T_OK(!tpl_set_has(set, "a"));
	T_INT(tpl_render(set, "a", NULL, &out, err, sizeof(err)), KX_ENOTFOUND);
	T_STR(err, "unknown template 'a'");
	T_INT(tpl_set_add(set, "", "x", 1, err, sizeof(err)), KX_EINVAL);
	/* NUL bytes are text like any other */
	T_INT(tpl_set_add(set, "nul", "a\0b", 3, err, sizeof(err)), 0);
	T_INT(tpl_render(set, "nul", NULL, &out, err, sizeof(err)), 0);
	T_INT(out.len, 3);
	T_OK(memcmp(out.data, "a\0b", 3) == 0);
	buf_reset(&out);

	/* a partial added before linking renders only once the set is linked */
	T_INT(tpl_set_add(set, "a", "[{{>b}}]", 8, err, sizeof(err)), 0);
	T_INT(tpl_set_add(set, "b", "B", 1, err, sizeof(err)), 0);
	T_INT(tpl_render(set, "a", NULL, &out, err, sizeof(err)), KX_ENOTFOUND);
	T_STR(err, "a.html:1: unknown partial 'b' (set not linked)");
	buf_reset(&out);
	T_INT(tpl_set_link(set, err, sizeof(err)), 0);
	T_STR(err, "");
	T_INT(tpl_set_link(set, err, sizeof(err)), 0);
	T_INT(tpl_render(set, "a", NULL, &out, NULL, 0), 0);
	T_STR(buf_cstr(&out), "[B]");
	T_OK(tpl_set_has(set, "a"));
	T_OK(!tpl_set_has(set, "a.html"));

	/* the same compiled set renders repeatedly and appends */
	T_INT(tpl_render(set, "a", NULL, &out, err, sizeof(err)), 0);
	T_STR(buf_cstr(&out), "[B][B]");
	buf_release(&out);
	tpl_set_free(set);
	tpl_set_free(NULL);
}

static int write_str(const char *dir, const char *name, const char *s)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return kx_write_file_atomic(path, s, strlen(s));
}

static void test_load_dir(void)
{
	char dir[256];
	char err[256];
	T_OK(t_tmpdir(dir, sizeof dir, "tpl") == 0);

	T_INT(write_str(dir, "page.html",
			"{{>head}}\n{{#items}}\n<li>{{.}}</li>\n{{/items}}\n"), 0);
	T_INT(write_str(dir, "head.html", "<h1>{{title}}</h1>"), 0);
	T_INT(write_str(dir, "notes.txt", "{{#broken"), 0);
	T_INT(write_str(dir, ".hidden.html", "{{#broken"), 0);
	char sub[600];
	snprintf(sub, sizeof(sub), "%s/sub.html", dir);
	T_INT(kx_mkdir_p(sub), 0);	/* a directory named like a template is skipped */

	struct tpl_set *set = tpl_set_load_dir(dir, err, sizeof(err));
	T_CHECK(set != NULL, "%s", err);
	if (set) {
		T_OK(tpl_set_has(set, "page"));
		T_OK(tpl_set_has(set, "head"));
		T_OK(!tpl_set_has(set, "notes"));
		T_OK(!tpl_set_has(set, ".hidden"));
		T_OK(!tpl_set_has(set, "sub"));
		cJSON *ctx = cJSON_Parse("{\"title\":\"<T>\",\"items\":[\"a\",\"b\"]}");
		struct buf out;
		buf_init(&out, BUF_NOMAX);
		T_INT(tpl_render(set, "page", ctx, &out, err, sizeof(err)), 0);
		T_STR(buf_cstr(&out), "<h1>&lt;T&gt;</h1>\n<li>a</li>\n<li>b</li>\n");
		buf_release(&out);
		cJSON_Delete(ctx);
		tpl_set_free(set);
	}

	/* a compile error names the file and line */
	T_INT(write_str(dir, "bad.html", "ok\n{{#x}}\n"), 0);
	set = tpl_set_load_dir(dir, err, sizeof(err));
	T_OK(set == NULL);
	T_STR(err, "bad.html:2: unclosed section 'x'");

	/* so does a link error */
	T_INT(write_str(dir, "bad.html", "ok\n{{>missing}}\n"), 0);
	set = tpl_set_load_dir(dir, err, sizeof(err));
	T_OK(set == NULL);
	T_STR(err, "bad.html:2: unknown partial 'missing'");
	t_rm_rf(dir);

	set = tpl_set_load_dir("/nonexistent/koffix-templates", err, sizeof(err));
	T_OK(set == NULL);
	T_CONTAINS(err, "cannot open template directory '/nonexistent/koffix-templates'");
}

/* ---- golden file ------------------------------------------------------------------------ */

#define FENCE "````````````````````````````````"

/* cmark's convention: "→" in the spec file stands for a tab. */
static void add_line(struct buf *b, const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (i + 2 < len && memcmp(line + i, "\xe2\x86\x92", 3) == 0) {
			buf_addch(b, '\t');
			i += 2;
		} else {
			buf_addch(b, line[i]);
		}
	}
	buf_addch(b, '\n');
}

static void check_example(int num, int line, struct buf *part)
{
	const char *tpls[] = { "t", buf_cstr(&part[0]), NULL };
	char *got = run_set(tpls, buf_cstr(&part[1]), BUF_NOMAX, NULL);
	const char *want = buf_cstr(&part[2]);
	/* An expected error is one line: compare it without its newline. */
	bool is_err = strncmp(want, "ERROR: ", 7) == 0;
	size_t wlen = part[2].len - (is_err && part[2].len ? 1 : 0);
	T_CHECK(strlen(got) == wlen && memcmp(got, want, wlen) == 0,
		"golden example %d (line %d)\n  template: [%s]\n  got:  [%s]\n  want: [%.*s]", num,
		line, buf_cstr(&part[0]), got, (int)wlen, want);
	free(got);
}

static void test_golden(const char *path)
{
	char *data;
	size_t len;
	if (kx_read_file(path, 16u << 20, &data, &len) != 0) {
		T_CHECK(0, "cannot read golden file '%s'", path);
		return;
	}
	struct buf part[3];
	for (int i = 0; i < 3; i++)
		buf_init(&part[i], BUF_NOMAX);
	int examples = 0, lineno = 0, start = 0, state = -1;	/* -1: outside an example */
	for (char *p = data; p < data + len;) {
		char *nl = memchr(p, '\n', (size_t)(data + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(data + len - p);
		lineno++;
		if (state < 0) {
			if (n == strlen(FENCE " example") && memcmp(p, FENCE " example", n) == 0) {
				state = 0;
				start = lineno;
				for (int i = 0; i < 3; i++)
					buf_reset(&part[i]);
			}
		} else if (n == strlen(FENCE) && memcmp(p, FENCE, n) == 0) {
			T_CHECK(state == 2, "golden example at line %d has %d '.' lines, want 2",
				start, state);
			if (state == 2)
				check_example(++examples, start, part);
			state = -1;
		} else if (n == 1 && p[0] == '.' && state < 2) {
			state++;
		} else {
			add_line(&part[state], p, n);
		}
		p += n + (nl ? 1 : 0);
	}
	T_CHECK(state < 0, "golden file ends inside the example at line %d", start);
	T_CHECK(examples >= 20, "only %d golden examples in '%s'", examples, path);
	printf("golden: %d examples from %s\n", examples, path);
	for (int i = 0; i < 3; i++)
		buf_release(&part[i]);
	free(data);
}

int main(int argc, char **argv)
{
	test_render_table();
	test_error_table();
	test_set_table();
	test_output_bound();
	test_depth_bounds();
	test_size_bound();
	test_api();
	test_load_dir();
	test_golden(argc > 1 ? argv[1] : "tests/golden/tpl.txt");
	return t_done("tpl");
}
