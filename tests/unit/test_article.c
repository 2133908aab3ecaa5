/* SPDX-License-Identifier: MIT */
/*
 * kb/article: front matter parser, heading ids, rendering, and the Markdown golden file
 * (argv[1], default tests/golden/markdown.txt, in cmark's spec format).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../kb/article.h"
#include "t.h"

/* ---------------------------------------------------------------------------------------------
 * Front matter: valid forms
 */

struct meta_ok {
	const char *name;
	const char *src;
	const char *title, *slug, *updated;
	/* Lists joined with '|'; "" for an empty list. */
	const char *tags, *applies_to, *related, *sources;
	const char *body;  /* the text at *body_off */
	int body_line;
};

static const struct meta_ok meta_ok_cases[] = {
	{ "minimal",
	  "---\ntitle: Hello\nslug: hello\nupdated: 2024-01-31\n---\nBody\n",
	  "Hello", "hello", "2024-01-31", "", "", "", "", "Body\n", 6 },
	{ "all keys, inline lists",
	  "---\n"
	  "title: Kerio Connect backup\n"
	  "slug: kerio-connect-backup\n"
	  "tags: [backup, \"mail, store\", kerio]\n"
	  "applies_to: [Kerio Connect 10]\n"
	  "updated: 2023-12-01\n"
	  "related: [kerio-restore, store-layout]\n"
	  "sources: [\"https://example.com/a\", https://example.com/b]\n"
	  "---\n"
	  "# Backup\n",
	  "Kerio Connect backup", "kerio-connect-backup", "2023-12-01", "backup|mail, store|kerio",
	  "Kerio Connect 10", "kerio-restore|store-layout", "https://example.com/a|https://example.com/b",
	  "# Backup\n", 10 },
	{ "block lists, indented and not, tabs, quotes, comments and blank lines inside",
	  "---\n"
	  "title: Lists\n"
	  "tags:\n"
	  "  - one\n"
	  "  - \"two, three\"\n"
	  "\n"
	  "  # a comment inside the list\n"
	  "- four\n"
	  "\t-\tfive  \n"
	  "sources:\n"
	  "  - [Kerio docs](https://example.com/docs)\n"
	  "slug: lists\n"
	  "updated: 2024-02-29\n"
	  "---\n",
	  "Lists", "lists", "2024-02-29", "one|two, three|four|five", "", "",
	  "[Kerio docs](https://example.com/docs)", "", 15 },
	{ "quoted scalars with escapes",
	  "---\ntitle: \"Say \\\"hi\\\" to C:\\\\temp\"\nslug: \"quoted\"\nupdated: \"2020-02-29\"\n"
	  "tags: [\"x\\\\\", \"\\\"q\\\"\", \"[a, b]\"]\n---\n",
	  "Say \"hi\" to C:\\temp", "quoted", "2020-02-29", "x\\|\"q\"|[a, b]", "", "", "", "", 7 },
	{ "bare values are literal: colons, hashes, inner quotes; trailing blanks trimmed",
	  "---\ntitle: C# tips: \"quoted\" words   \nslug: c-tips\nupdated: 2024-01-01\t\n---\nx",
	  "C# tips: \"quoted\" words", "c-tips", "2024-01-01", "", "", "", "", "x", 6 },
	{ "empty lists",
	  "---\ntitle: T\nslug: t\nupdated: 2024-01-01\ntags: []\napplies_to: [ ]\nrelated:\n---\n",
	  "T", "t", "2024-01-01", "", "", "", "", "", 9 },
	{ "comments and blank lines",
	  "---\n# comment\n\ntitle: T\n   \nslug: t\n#title: ignored\nupdated: 2024-01-01\n---\n\nText\n",
	  "T", "t", "2024-01-01", "", "", "", "", "\nText\n", 10 },
	{ "CRLF line endings",
	  "---\r\ntitle: T\r\nslug: t\r\ntags: [a, b]\r\nsources:\r\n  - s\r\nupdated: 2024-01-01\r\n---\r\nBody\r\n",
	  "T", "t", "2024-01-01", "a|b", "", "", "s", "Body\r\n", 9 },
	{ "UTF-8 BOM",
	  "\xEF\xBB\xBF---\ntitle: T\nslug: t\nupdated: 2024-01-01\n---\nBody",
	  "T", "t", "2024-01-01", "", "", "", "", "Body", 6 },
	{ "BOM and CRLF",
	  "\xEF\xBB\xBF---\r\ntitle: T\r\nslug: t\r\nupdated: 2024-01-01\r\n---\r\n",
	  "T", "t", "2024-01-01", "", "", "", "", "", 6 },
	{ "closing line at end of file without newline",
	  "---\ntitle: T\nslug: t\nupdated: 2024-01-01\n---",
	  "T", "t", "2024-01-01", "", "", "", "", "", 6 },
	{ "delimiters with trailing blanks",
	  "--- \ntitle: T\nslug: t\nupdated: 2024-01-01\n---\t \nB",
	  "T", "t", "2024-01-01", "", "", "", "", "B", 6 },
	{ "UTF-8 text and spaces inside quotes kept",
	  "---\ntitle: \"  Überblick — ✓ 😀 \"\nslug: ueberblick\nupdated: 2024-01-01\ntags: [Grüße, \" x \"]\n---\n",
	  "  Überblick — ✓ 😀 ", "ueberblick", "2024-01-01", "Grüße| x ", "", "", "", "", 7 },
	{ "a second '---' in the body is body",
	  "---\ntitle: T\nslug: t\nupdated: 2024-01-01\n---\nA\n---\nB\n",
	  "T", "t", "2024-01-01", "", "", "", "", "A\n---\nB\n", 6 },
};

static const char *join(const struct kb_list *l, char *out, size_t outlen)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < l->n; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%s", i ? "|" : "", l->items[i]);
	return out;
}

static void test_meta_ok(void)
{
	for (size_t i = 0; i < sizeof(meta_ok_cases) / sizeof(meta_ok_cases[0]); i++) {
		const struct meta_ok *c = &meta_ok_cases[i];
		struct kb_meta m;
		size_t off = 12345;
		int line = -1;
		char err[256], j[1024];
		size_t len = strlen(c->src);
		int rc = kb_meta_parse(c->src, len, &m, &off, &line, err, sizeof(err));
		T_CHECK(rc == 0, "case '%s': rc %d: %s", c->name, rc, err);
		if (rc != 0)
			continue;
		T_STR(err, "");
		T_STR(m.title, c->title);
		T_STR(m.slug, c->slug);
		T_STR(m.updated, c->updated);
		T_STR(join(&m.tags, j, sizeof(j)), c->tags);
		T_STR(join(&m.applies_to, j, sizeof(j)), c->applies_to);
		T_STR(join(&m.related, j, sizeof(j)), c->related);
		T_STR(join(&m.sources, j, sizeof(j)), c->sources);
		T_CHECK(off <= len && strcmp(c->src + off, c->body) == 0, "case '%s': body at %zu: [%s]",
			c->name, off, off <= len ? c->src + off : "(past the end)");
		T_CHECK(line == c->body_line, "case '%s': body line %d, want %d", c->name, line,
			c->body_line);
		kb_meta_release(&m);
		T_OK(m.title == NULL && m.tags.items == NULL && m.tags.n == 0);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Front matter: every error, with its line
 */

struct meta_err {
	const char *src;
	size_t len;  /* 0: strlen(src) */
	const char *err;
};

#define HEAD "---\ntitle: T\nslug: t\nupdated: 2024-01-01\n"

static const struct meta_err meta_err_cases[] = {
	{ "", 0, "line 1: missing front matter (the file must start with a '---' line)" },
	{ "title: x\n---\n", 0, "line 1: missing front matter (the file must start with a '---' line)" },
	{ "\n---\ntitle: x\n---\n", 0, "line 1: missing front matter (the file must start with a '---' line)" },
	{ "----\ntitle: x\n---\n", 0, "line 1: missing front matter (the file must start with a '---' line)" },
	{ "\xEF\xBB\xBF# Title\n", 0, "line 1: missing front matter (the file must start with a '---' line)" },
	{ "---", 0, "line 1: front matter is not closed by a '---' line" },
	{ "---\n", 0, "line 1: front matter is not closed by a '---' line" },
	{ "---\ntitle: T\nslug: t\n", 0, "line 3: front matter is not closed by a '---' line" },
	{ "---\ntitle: T\nslug: t\nupdated: 2024-01-01\n\n# comment\ntags:\n  - a\n  - b", 0,
	  "line 9: front matter is not closed by a '---' line" },
	{ "---\ntitle: T\nslug: t\ntittle: T\n---\n", 0, "line 4: unknown key 'tittle'" },
	{ "---\nTitle: T\n---\n", 0, "line 2: unknown key 'Title'" },
	{ "---\napplies-to: [x]\n---\n", 0, "line 2: unknown key 'applies-to'" },
	{ "---\ntitle: T\ntitle: U\n---\n", 0, "line 3: duplicate key 'title'" },
	{ "---\ntags:\n  - a\ntitle: T\ntags: [b]\n---\n", 0, "line 5: duplicate key 'tags'" },
	{ "---\ntitle: T\nslug: Hello_World\n---\n", 0, "line 3: 'slug' must be lowercase letters, digits and '-'" },
	{ "---\ntitle: T\nslug: \"\"\n---\n", 0, "line 3: 'slug' must be lowercase letters, digits and '-'" },
	{ "---\nslug: a b\n---\n", 0, "line 2: 'slug' must be lowercase letters, digits and '-'" },
	{ "---\nupdated: 2024-13-01\n---\n", 0, "line 2: 'updated' must be a date written YYYY-MM-DD" },
	{ "---\nupdated: 2023-02-29\n---\n", 0, "line 2: 'updated' must be a date written YYYY-MM-DD" },
	{ "---\nupdated: 2024-04-31\n---\n", 0, "line 2: 'updated' must be a date written YYYY-MM-DD" },
	{ "---\nupdated: 2024-1-1\n---\n", 0, "line 2: 'updated' must be a date written YYYY-MM-DD" },
	{ "---\nupdated: 2024-01-01T10:00\n---\n", 0, "line 2: 'updated' must be a date written YYYY-MM-DD" },
	{ "---\nupdated: yesterday\n---\n", 0, "line 2: 'updated' must be a date written YYYY-MM-DD" },
	{ "---\ntitle: T\nslug: t\n---\nbody\n", 0, "line 4: missing required key 'updated'" },
	{ "---\nslug: t\nupdated: 2024-01-01\n\n---\n", 0, "line 5: missing required key 'title'" },
	{ "---\ntitle: T\nupdated: 2024-01-01\n---\n", 0, "line 4: missing required key 'slug'" },
	{ "---\ntitle: T\nslug: t\ntags: [a]\ntitle2: x\n---\n", 0, "line 5: unknown key 'title2'" },
	{ "---\ntitle: T\nslug: t\nupdated: 2024-01-01\ntitle: \"abc\n---\n", 0, "line 5: duplicate key 'title'" },
	{ "---\nslug: t\nupdated: 2024-01-01\n\ntitle: \"abc\n---\n", 0, "line 5: unterminated quoted string" },
	{ "---\ntitle: \"abc\\\"\n---\n", 0, "line 2: unterminated quoted string" },
	{ "---\ntitle: \"abc\\\n---\n", 0, "line 2: unterminated quoted string" },
	{ "---\ntags: [a, \"b]\n---\n", 0, "line 2: unterminated quoted string" },
	{ "---\ntags:\n  - \"a\n---\n", 0, "line 3: unterminated quoted string" },
	{ "---\ntitle: \"a\\nb\"\n---\n", 0,
	  "line 2: unknown escape '\\n' in 'title' (only \\\" and \\\\ are allowed)" },
	{ "---\ntitle: \"a\" b\n---\n", 0, "line 2: unexpected text after the closing quote of 'title'" },
	{ "---\ntags:\n  - \"a\" b\n---\n", 0, "line 3: unexpected text after the closing quote in list 'tags'" },
	{ "---\ntitle: T\nslug: t\x00x\n---\n", 27, "line 3: NUL byte in front matter" },
	{ "---\ntitle: T\n\x00\n---\n", 19, "line 3: NUL byte in front matter" },
	{ "---\ntitle: \xff\n---\n", 0, "line 2: invalid UTF-8 in front matter" },
	{ "---\n# \xc0\xaf overlong\n---\n", 0, "line 2: invalid UTF-8 in front matter" },
	{ "---\ntitle: T\ntitle: \xed\xa0\x80 surrogate\n---\n", 0, "line 3: invalid UTF-8 in front matter" },
	{ "---\ntitle: \xe2\x82\n---\n", 0, "line 2: invalid UTF-8 in front matter" },
	{ "---\ntitle: \xf4\x90\x80\x80\n---\n", 0, "line 2: invalid UTF-8 in front matter" },
	{ "---\ntitle: a\x01\n---\n", 0, "line 2: control character 0x01 in front matter" },
	{ "---\ntitle: a\rb\n---\n", 0, "line 2: control character 0x0d in front matter" },
	{ "---\ntags: [a, b\n---\n", 0, "line 2: list 'tags' is not closed by ']'" },
	{ "---\ntags: [a,\n---\n", 0, "line 2: list 'tags' is not closed by ']'" },
	{ "---\ntags: [a, , b]\n---\n", 0, "line 2: empty item in list 'tags'" },
	{ "---\ntags: [a,]\n---\n", 0, "line 2: empty item in list 'tags'" },
	{ "---\ntags: [\"\"]\n---\n", 0, "line 2: empty item in list 'tags'" },
	{ "---\ntags:\n  - a\n  -\n---\n", 0, "line 4: empty item in list 'tags'" },
	{ "---\ntags: [ \"a\" b ]\n---\n", 0, "line 2: expected ',' or ']' after an item of 'tags'" },
	{ "---\ntags: [a] b\n---\n", 0, "line 2: unexpected text after ']' in 'tags'" },
	{ "---\ntags: a, b\n---\n", 0, "line 2: 'tags' is a list: write [a, b] or '- item' lines below the key" },
	{ "---\ntitle: [a]\n---\n", 0,
	  "line 2: 'title' takes one value, not a list (quote it if it starts with '[')" },
	{ "---\ntitle:\n  - a\n---\n", 0, "line 2: missing value for 'title'" },
	{ "---\ntitle:   \n---\n", 0, "line 2: missing value for 'title'" },
	{ "---\ntitle: \"\"\n---\n", 0, "line 2: 'title' must not be empty" },
	{ "---\ntitle:T\n---\n", 0, "line 2: expected a space after 'title:'" },
	{ "---\ntitle: T\n  - a\n---\n", 0, "line 3: list item outside a list (write 'key:' on the line above)" },
	{ "---\n- a\n---\n", 0, "line 2: list item outside a list (write 'key:' on the line above)" },
	{ "---\n  title: T\n---\n", 0, "line 2: unexpected indentation" },
	{ "---\ntags:\n  - a\n  b\n---\n", 0, "line 4: expected '- item' in list 'tags'" },
	{ "---\njust some text\n---\n", 0, "line 2: expected 'key: value'" },
	{ "---\ntitle = T\n---\n", 0, "line 2: expected 'key: value'" },
	{ "---\n: T\n---\n", 0, "line 2: expected 'key: value'" },
	{ "---\n-x\n---\n", 0, "line 2: expected 'key: value'" },
	{ "---\nrelated: [ok, Not A Slug]\n---\n", 0,
	  "line 2: 'related' items must be slugs (lowercase letters, digits and '-')" },
	{ "---\r\ntitle: T\r\ntittle: T\r\n---\r\n", 0, "line 3: unknown key 'tittle'" },
	{ "\xEF\xBB\xBF---\r\ntitle: T\r\nslug: t\r\n---\r\n", 0, "line 4: missing required key 'updated'" },
	{ HEAD "tags: [a]\ntags: [b]\n---\n", 0, "line 6: duplicate key 'tags'" },
};

static void test_meta_err(void)
{
	for (size_t i = 0; i < sizeof(meta_err_cases) / sizeof(meta_err_cases[0]); i++) {
		const struct meta_err *c = &meta_err_cases[i];
		struct kb_meta m;
		size_t off = 777;
		int line = -7;
		char err[256];
		size_t len = c->len ? c->len : strlen(c->src);
		int rc = kb_meta_parse(c->src, len, &m, &off, &line, err, sizeof(err));
		T_CHECK(rc == KX_ESYNTAX, "case %zu: rc %d", i, rc);
		T_CHECK(strcmp(err, c->err) == 0, "case %zu:\n  got:  [%s]\n  want: [%s]", i, err, c->err);
		/* Failure leaves meta empty and the outputs alone. */
		T_CHECK(!m.title && !m.slug && !m.updated && !m.tags.items && !m.tags.n &&
			!m.sources.items && off == 777 && line == -7, "case %zu: meta not left empty", i);
	}
}

/* Bounds: 64 items and 4 KiB values pass, one more fails on the right line. */
static void test_meta_bounds(void)
{
	struct buf b;
	struct kb_meta m;
	char err[256];
	int rc;

	buf_init(&b, BUF_NOMAX);
	buf_adds(&b, HEAD "tags: [");
	for (int i = 0; i < 64; i++)
		buf_addf(&b, "%st%d", i ? ", " : "", i);
	buf_adds(&b, "]\n---\n");
	rc = kb_meta_parse(b.data, b.len, &m, NULL, NULL, err, sizeof(err));
	T_CHECK(rc == 0 && m.tags.n == 64, "64 inline items: %s", err);
	T_STR(m.tags.n == 64 ? m.tags.items[63] : NULL, "t63");
	kb_meta_release(&m);

	buf_reset(&b);
	buf_adds(&b, HEAD "tags: [");
	for (int i = 0; i < 65; i++)
		buf_addf(&b, "%st%d", i ? ", " : "", i);
	buf_adds(&b, "]\n---\n");
	rc = kb_meta_parse(b.data, b.len, &m, NULL, NULL, err, sizeof(err));
	T_INT(rc, KX_ESYNTAX);
	T_STR(err, "line 5: list 'tags' has more than 64 items");

	buf_reset(&b);
	buf_adds(&b, HEAD "sources:\n");
	for (int i = 0; i < 65; i++)
		buf_addf(&b, "  - s%d\n", i);
	buf_adds(&b, "---\n");
	rc = kb_meta_parse(b.data, b.len, &m, NULL, NULL, err, sizeof(err));
	T_INT(rc, KX_ESYNTAX);
	/* Item 65 sits on line 6 + 64. */
	T_STR(err, "line 70: list 'sources' has more than 64 items");

	char big[4098];
	memset(big, 'x', sizeof(big));
	big[4096] = '\0';
	buf_reset(&b);
	buf_addf(&b, "---\ntitle: %s\nslug: t\nupdated: 2024-01-01\n---\n", big);
	rc = kb_meta_parse(b.data, b.len, &m, NULL, NULL, err, sizeof(err));
	T_CHECK(rc == 0 && strlen(m.title) == 4096, "4096-byte title: %s", err);
	kb_meta_release(&m);

	big[4096] = 'x';
	big[4097] = '\0';
	const char *forms[] = { "title: %s\n", "title: \"%s\"\n", "tags: [a, %s]\n", "tags:\n - \"%s\"\n" };
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		buf_reset(&b);
		buf_adds(&b, "---\n# long\n");
		buf_addf(&b, forms[i], big);
		buf_adds(&b, "---\n");
		rc = kb_meta_parse(b.data, b.len, &m, NULL, NULL, err, sizeof(err));
		T_INT(rc, KX_ESYNTAX);
		T_CHECK(strcmp(err, i < 2 ? "line 3: value of 'title' is longer than 4096 bytes" :
				     i == 2 ? "line 3: value of 'tags' is longer than 4096 bytes" :
				     "line 4: value of 'tags' is longer than 4096 bytes") == 0,
			"form %zu: %s", i, err);
	}

	/* A tiny error buffer truncates the message but never overflows. */
	char small[8];
	rc = kb_meta_parse("---\n", 4, &m, NULL, NULL, small, sizeof(small));
	T_INT(rc, KX_ESYNTAX);
	T_STR(small, "line 1:");
	rc = kb_meta_parse("", 0, &m, NULL, NULL, NULL, 0);
	T_INT(rc, KX_ESYNTAX);
	buf_release(&b);
}

/* ---------------------------------------------------------------------------------------------
 * Heading ids
 */

static void test_slugify(void)
{
	static const struct {
		const char *in;
		size_t outlen;
		const char *want;
	} cases[] = {
		{ "Hello World", 64, "hello-world" },
		{ "  Leading and trailing!!  ", 64, "leading-and-trailing" },
		{ "C++ & C#", 64, "c-c" },
		{ "Step 1: Install", 64, "step-1-install" },
		{ "already-a-slug", 64, "already-a-slug" },
		{ "a -- b__c", 64, "a-b-c" },
		{ "MiXeD CaSe 42", 64, "mixed-case-42" },
		{ "Überblick", 64, "berblick" },
		{ "Grüße aus Köln", 64, "gr-e-aus-k-ln" },
		{ "日本語", 64, "section" },
		{ "", 64, "section" },
		{ "!!!", 64, "section" },
		{ "hello world", 6, "hello" },
		{ "hello world", 7, "hello" },
		{ "hello world", 8, "hello-w" },
		{ "", 4, "sec" },
		{ "abc", 1, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];
		memset(out, '#', sizeof(out));
		kb_slugify(cases[i].in, out, cases[i].outlen);
		T_CHECK(strcmp(out, cases[i].want) == 0, "slugify('%s', %zu) = '%s', want '%s'",
			cases[i].in, cases[i].outlen, out, cases[i].want);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Rendering
 */

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Renders md (NUL-terminated) expecting success. */
static void render(const char *md, struct kb_rendered *r)
{
	char err[128];
	int rc = kb_render(md, strlen(md), r, err, sizeof(err));
	T_CHECK(rc == 0, "render failed: %d %s", rc, err);
}

static void test_render_gfm(void)
{
	struct kb_rendered r;

	render("| Port | Use |\n|------|:---:|\n| 25 | SMTP |\n| 443 | HTTPS |\n", &r);
	T_CONTAINS(r.html, "<table>");
	T_CONTAINS(r.html, "<th>Port</th>");
	T_CONTAINS(r.html, "<th align=\"center\">Use</th>");
	T_CONTAINS(r.html, "<td>25</td>");
	T_CONTAINS(r.text, "443");
	kb_rendered_release(&r);

	render("- [ ] open the admin console\n- [x] stop the service\n", &r);
	T_CONTAINS(r.html, "<li><input type=\"checkbox\" disabled=\"\" /> open the admin console</li>");
	T_CONTAINS(r.html, "<li><input type=\"checkbox\" checked=\"\" disabled=\"\" /> stop the service</li>");
	kb_rendered_release(&r);

	render("See https://example.com and www.example.org/x?y=1.\n", &r);
	T_CONTAINS(r.html, "<a href=\"https://example.com\">https://example.com</a>");
	T_CONTAINS(r.html, "<a href=\"http://www.example.org/x?y=1\">www.example.org/x?y=1</a>.");
	kb_rendered_release(&r);

	render("This is ~~wrong~~ right.\n", &r);
	T_STR(r.html, "<p>This is <del>wrong</del> right.</p>\n");
	kb_rendered_release(&r);

	render("# Title\n\nHello *world*, `code` and [a link](https://example.com).\n", &r);
	T_STR(r.text, "Title\n\nHello world, code and a link.\n");
	T_INT(r.ntoc, 0);
	kb_rendered_release(&r);

	/* Empty input renders to nothing, not to NULL. */
	T_INT(kb_render(NULL, 0, &r, NULL, 0), 0);
	T_STR(r.html, "");
	T_STR(r.text, "\n");  /* cmark's plain text renderer always ends a document with a newline */
	T_INT(r.ntoc, 0);
	kb_rendered_release(&r);

	/* NUL is valid UTF-8; cmark replaces it with U+FFFD. */
	T_INT(kb_render("a\0b", 3, &r, NULL, 0), 0);
	T_STR(r.html, "<p>a\xEF\xBF\xBD" "b</p>\n");
	kb_rendered_release(&r);
}

static void test_render_toc(void)
{
	struct kb_rendered r;

	render("# Top\n\n## Install *the* `server`\n\ntext\n\n### Step 1: Download\n\n#### Deep\n\n"
	       "Setext two\n----------\n\n## Install the server\n\n## !!!\n\n### ...\n", &r);
	T_INT(r.ntoc, 6);
	if (r.ntoc == 6) {
		T_INT(r.toc[0].level, 2);
		T_STR(r.toc[0].text, "Install the server");
		T_STR(r.toc[0].id, "install-the-server");
		T_INT(r.toc[1].level, 3);
		T_STR(r.toc[1].text, "Step 1: Download");
		T_STR(r.toc[1].id, "step-1-download");
		T_STR(r.toc[2].text, "Setext two");
		T_STR(r.toc[2].id, "setext-two");
		T_STR(r.toc[3].id, "install-the-server-2");
		T_STR(r.toc[4].id, "section");
		T_INT(r.toc[5].level, 3);
		T_STR(r.toc[5].id, "section-2");
	}
	/* Only h2/h3 get ids, and in order. */
	T_CONTAINS(r.html, "<h1>Top</h1>");
	T_CONTAINS(r.html, "<h2 id=\"install-the-server\">Install <em>the</em> <code>server</code></h2>");
	T_CONTAINS(r.html, "<h3 id=\"step-1-download\">Step 1: Download</h3>");
	T_CONTAINS(r.html, "<h4>Deep</h4>");
	T_CONTAINS(r.html, "<h2 id=\"setext-two\">Setext two</h2>");
	T_CONTAINS(r.html, "<h2 id=\"install-the-server-2\">Install the server</h2>");
	T_CONTAINS(r.html, "<h2 id=\"section\">!!!</h2>");
	T_CONTAINS(r.html, "<h3 id=\"section-2\">...</h3>");
	kb_rendered_release(&r);

	/* De-duplication does not collide with a heading that is literally "A 2". */
	render("## A\n## A\n## A 2\n## A\n### a-2\n", &r);
	T_INT(r.ntoc, 5);
	if (r.ntoc == 5) {
		T_STR(r.toc[0].id, "a");
		T_STR(r.toc[1].id, "a-2");
		T_STR(r.toc[2].id, "a-2-2");
		T_STR(r.toc[3].id, "a-3");
		T_STR(r.toc[4].id, "a-2-3");
	}
	kb_rendered_release(&r);

	/* Many identical headings stay unique (and fast: the id set is hashed). */
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	for (int i = 0; i < 5000; i++)
		buf_adds(&b, "## Same\n");
	render(buf_cstr(&b), &r);
	T_INT(r.ntoc, 5000);
	if (r.ntoc == 5000) {
		T_STR(r.toc[0].id, "same");
		T_STR(r.toc[4999].id, "same-5000");
	}
	T_CONTAINS(r.html, "<h2 id=\"same-5000\">Same</h2>\n");
	T_INT(count(r.html, "<h2 id="), 5000);
	kb_rendered_release(&r);
	buf_release(&b);

	/*
	 * Heading ids rely on every "<h2>"/"<h3>" of the output being a real heading: the same
	 * text typed as prose, code, raw HTML, a link title or URL must come out escaped or dropped.
	 */
	render("Text <h2>raw</h2> and `<h2>` and &lt;h3&gt;\n\n"
	       "<h3>block</h3>\n\n"
	       "    <h2>indented code</h2>\n\n"
	       "```\n<h3>fenced</h3>\n```\n\n"
	       "[t](https://x.org/<h2> \"<h3>\") ![<h2>](x.png)\n\n"
	       "| <h2> |\n|---|\n| <h3> |\n\n"
	       "## Real\n", &r);
	T_INT(r.ntoc, 1);
	T_INT(count(r.html, "<h2"), 1);
	T_INT(count(r.html, "<h3"), 0);
	T_CONTAINS(r.html, "<h2 id=\"real\">Real</h2>");
	T_CONTAINS(r.html, "&lt;h2&gt;");
	kb_rendered_release(&r);
}

/* Lowercased copy, so the checks below also catch JaVaScRiPt: and ONERROR. */
static char *lower(const char *s)
{
	char *l = xstrdup(s);
	for (char *p = l; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

static void test_render_safe(void)
{
	static const char *const hostile[] = {
		"<script>alert(1)</script>\n",
		"Inline <script>alert(1)</script> script.\n",
		"<img src=x onerror=alert(1)>\n",
		"Text <img src=x onerror=alert(1)> inline.\n",
		"[x](javascript:alert(1))\n",
		"[x](JaVaScRiPt:alert(1))\n",
		"[x](  javascript:alert(1) )\n",
		"[x](&#106;avascript:alert(1))\n",
		"[x][r]\n\n[r]: javascript:alert(1)\n",
		"![x](javascript:alert(1))\n",
		"<javascript:alert(1)>\n",
		"[x](vbscript:msgbox(1))\n",
		"[x](data:text/html;base64,PHNjcmlwdD4=)\n",
		"<a href=\"javascript:alert(1)\">x</a>\n",
		"<div onclick=\"alert(1)\">x</div>\n",
		"<iframe src=\"https://evil.example\"></iframe>\n",
		"<style>body{display:none}</style>\n",
		"| a |\n|---|\n| <script>alert(1)</script> |\n",
		"- [ ] <img src=x onerror=alert(1)>\n",
		"~~<script>alert(1)</script>~~\n",
	};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		struct kb_rendered r;
		render(hostile[i], &r);
		char *l = lower(r.html ? r.html : "");
		T_CHECK(!strstr(l, "<script") && !strstr(l, "<img src=\"x\"") && !strstr(l, "<img src=x") &&
			!strstr(l, "onerror") && !strstr(l, "onclick") && !strstr(l, "<iframe") &&
			!strstr(l, "<style") && !strstr(l, "href=\"javascript") &&
			!strstr(l, "src=\"javascript") && !strstr(l, "vbscript:") &&
			!strstr(l, "data:text/html") && !strstr(l, "<a href=\"javascript"),
			"hostile case %zu: [%s] rendered as [%s]", i, hostile[i], r.html);
		free(l);
		kb_rendered_release(&r);
	}

	struct kb_rendered r;
	render("[x](javascript:alert(1))\n", &r);
	T_STR(r.html, "<p><a href=\"\">x</a></p>\n");
	kb_rendered_release(&r);
	render("<script>alert(1)</script>\n", &r);
	T_STR(r.html, "<!-- raw HTML omitted -->\n");
	T_OK(!strstr(r.text, "alert"));
	kb_rendered_release(&r);
	render("`<script>alert(1)</script>`\n", &r);
	T_STR(r.html, "<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></p>\n");
	kb_rendered_release(&r);
}

static void test_render_utf8(void)
{
	static const struct {
		const char *md;
		size_t len;
		const char *err;
	} cases[] = {
		{ "\xff", 1, "line 1: invalid UTF-8" },
		{ "ok\nfine\n\xff\n", 0, "line 3: invalid UTF-8" },
		{ "ok\r\nfine\r\nbad \xc0\xaf\r\n", 0, "line 3: invalid UTF-8" },
		{ "\xc3\xa9t\xc3\xa9\n\n\xed\xa0\x80", 0, "line 3: invalid UTF-8" },
		{ "# Title\n\ntruncated \xe2\x82", 0, "line 3: invalid UTF-8" },
		{ "a\nb\nc\nd\n\xf5\x80\x80\x80\n", 0, "line 5: invalid UTF-8" },
		{ "\xf4\x90\x80\x80", 0, "line 1: invalid UTF-8" },
		{ "a\n\x80", 0, "line 2: invalid UTF-8" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kb_rendered r;
		char err[128];
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].md);
		int rc = kb_render(cases[i].md, len, &r, err, sizeof(err));
		T_CHECK(rc == KX_EINVAL, "case %zu: rc %d", i, rc);
		T_CHECK(strcmp(err, cases[i].err) == 0, "case %zu: [%s], want [%s]", i, err, cases[i].err);
		T_OK(r.html == NULL && r.text == NULL && r.ntoc == 0);
		kb_rendered_release(&r);
	}

	/* Every well-formed sequence length passes, up to U+10FFFF. */
	struct kb_rendered r;
	render("\x7f \xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf "
	       "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\n", &r);
	T_CONTAINS(r.html, "\xf4\x8f\xbf\xbf");
	kb_rendered_release(&r);
}

/* The body a successful parse points at renders as the article. */
static void test_parse_then_render(void)
{
	const char *src = "\xEF\xBB\xBF---\r\ntitle: Ports\r\nslug: ports\r\nupdated: 2024-05-01\r\n---\r\n"
			  "## Open ports\r\n\r\n| Port | Use |\r\n|---|---|\r\n| 25 | SMTP |\r\n";
	struct kb_meta m;
	struct kb_rendered r;
	size_t off;
	int line;
	char err[128];
	T_INT(kb_meta_parse(src, strlen(src), &m, &off, &line, err, sizeof(err)), 0);
	T_INT(line, 6);
	T_INT(kb_render(src + off, strlen(src) - off, &r, err, sizeof(err)), 0);
	T_CONTAINS(r.html, "<h2 id=\"open-ports\">Open ports</h2>");
	T_CONTAINS(r.html, "<td>SMTP</td>");
	kb_rendered_release(&r);
	kb_meta_release(&m);
}

/* ---------------------------------------------------------------------------------------------
 * Golden file
 */

#define FENCE "````````````````````````````````"

/* Appends line (len bytes) to b with each "→" turned into a tab, as in the CommonMark spec. */
static void add_spec_line(struct buf *b, const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (len - i >= 3 && memcmp(line + i, "\xE2\x86\x92", 3) == 0) {
			buf_addch(b, '\t');
			i += 2;
		} else {
			buf_addch(b, line[i]);
		}
	}
}

static void test_golden(const char *path)
{
	char *data;
	size_t len;
	if (kx_read_file(path, 1u << 22, &data, &len) != 0) {
		T_CHECK(0, "cannot read golden file '%s'", path);
		return;
	}
	enum { OUTSIDE, INPUT, OUTPUT } state = OUTSIDE;
	struct buf in, want;
	int example = 0, failed = 0, lineno = 0;
	buf_init(&in, BUF_NOMAX);
	buf_init(&want, BUF_NOMAX);
	for (char *p = data; p < data + len;) {
		char *nl = memchr(p, '\n', (size_t)(data + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(data + len - p);
		char *next = nl ? nl + 1 : data + len;
		lineno++;
		if (state == OUTSIDE && n == strlen(FENCE " example") && memcmp(p, FENCE " example", n) == 0) {
			state = INPUT;
			example++;
			buf_reset(&in);
			buf_reset(&want);
		} else if (state == INPUT && n == 1 && p[0] == '.') {
			state = OUTPUT;
		} else if (state == INPUT) {
			add_spec_line(&in, p, n);
			buf_addch(&in, '\n');
		} else if (state == OUTPUT && n == strlen(FENCE) && memcmp(p, FENCE, n) == 0) {
			struct kb_rendered r;
			char err[128];
			int rc = kb_render(buf_cstr(&in), in.len, &r, err, sizeof(err));
			bool ok = rc == 0 && strcmp(r.html, buf_cstr(&want)) == 0;
			T_CHECK(ok, "golden example %d (%s line %d)\n--- markdown\n%s--- want\n%s--- got\n%s",
				example, path, lineno, buf_cstr(&in), buf_cstr(&want), rc ? err : r.html);
			failed += !ok;
			kb_rendered_release(&r);
			state = OUTSIDE;
		} else if (state == OUTPUT) {
			add_spec_line(&want, p, n);
			buf_addch(&want, '\n');
		}
		p = next;
	}
	T_CHECK(state == OUTSIDE, "golden file '%s' ends inside example %d", path, example);
	T_CHECK(example >= 15, "golden file '%s' has only %d examples", path, example);
	printf("golden: %d examples, %d failed\n", example, failed);
	buf_release(&in);
	buf_release(&want);
	free(data);
}

int main(int argc, char **argv)
{
	test_meta_ok();
	test_meta_err();
	test_meta_bounds();
	test_slugify();
	test_render_gfm();
	test_render_toc();
	test_render_safe();
	test_render_utf8();
	test_parse_then_render();
	test_golden(argc > 1 ? argv[1] : "tests/golden/markdown.txt");
	return t_done("article");
}
