/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../kb/kb.h"
#include "t.h"

static char dir[256], articles[300];

static void write_article(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", articles, name);
	T_INT(kx_write_file_atomic(path, text, strlen(text)), 0);
}

static const char *good_a =
	"---\ntitle: \"Loading KofMsp32.dll\"\nslug: alpha\ntags: [mapi-load-error]\n"
	"updated: 2026-11-24\nrelated: [beta]\n---\n"
	"MAPI loads KofMsp32.dll for a registered kofmsp.dll. See MAPISVC.INF.\n\n"
	"Text with `<script>alert(1)</script>` inside KofMsp32 words.\n";
static const char *good_b =
	"---\ntitle: \"Reinstall with appwiz\"\nslug: beta\nupdated: 2026-11-24\n---\n"
	"Open appwiz.cpl and remove the connector.\n";
static const char *bad_c =
	"---\ntitle: \"Broken\"\nslug: gamma\nupdated: 2026-11-24\ntittle: x\n---\nBody\n";

static char *run_index(struct kb *kb, struct kb_index_report *rep)
{
	FILE *log = tmpfile();
	T_INT(kb_index(kb, articles, rep, log), 0);
	long len = ftell(log);
	char *text = xcalloc(1, (size_t)(len > 0 ? len : 0) + 1);
	rewind(log);
	if (len > 0 && fread(text, 1, (size_t)len, log) != (size_t)len)
		text[0] = '\0';
	fclose(log);
	return text;
}

static void test_fts_query(void)
{
	static const struct { const char *in; bool any; int words; const char *out; } cases[] = {
		{ "KofMsp32", false, 1, "\"KofMsp32\"*" },
		{ "appwiz.cpl", false, 2, "\"appwiz\"* AND \"cpl\"*" },
		{ "a b", true, 2, "\"a\"* OR \"b\"*" },
		{ "\"; DROP TABLE articles; --", false, 3, "\"DROP\"* AND \"TABLE\"*" },
		{ "", false, 0, "" },
		{ "  ()*:^ ", false, 0, "" },
		{ "NEAR(a b)", false, 3, "\"NEAR\"* AND \"a\"* AND \"b\"*" },
		{ "Outlook é", false, 2, "\"Outlook\"* AND \"é\"*" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b;
		buf_init(&b, 4096);
		int words = kb_fts_query(cases[i].in, cases[i].any, true, &b);
		T_INT(words, cases[i].words);
		if (!strstr(cases[i].in, "DROP"))
			T_STR(buf_cstr(&b), cases[i].out);
		else
			T_CONTAINS(buf_cstr(&b), cases[i].out);
		buf_release(&b);
	}
	struct buf b;
	buf_init(&b, 4096);
	T_INT(kb_fts_query("appwiz.cpl now", false, false, &b), 3);
	T_STR(buf_cstr(&b), "\"appwiz\" AND \"cpl\" AND \"now\"");
	buf_release(&b);
}

/* Keyset pages: every article once and in order, forward and back, and by tag. */
static void test_pages(struct kb *kb, int n)
{
	char last[64] = "", cursor[64] = "";
	int seen = 0, pages = 0;
	bool before, after = true;
	while (after && pages < 1000) {
		cJSON *l = kb_page(kb, NULL, *cursor ? cursor : NULL, NULL, 7, &before, &after);
		T_OK(pages == 0 ? !before : before);
		const cJSON *e;
		cJSON_ArrayForEach(e, l) {
			const char *slug = cJSON_GetObjectItem(e, "slug")->valuestring;
			T_CHECK(strcmp(slug, last) > 0, "page order: %s after %s", slug, last);
			snprintf(last, sizeof last, "%s", slug);
			seen++;
		}
		snprintf(cursor, sizeof cursor, "%s", last);
		cJSON_Delete(l);
		pages++;
	}
	T_INT(seen, n);
	/* Back from the end: the page before the last article holds the 7 before it. */
	cJSON *l = kb_page(kb, NULL, NULL, last, 7, &before, &after);
	T_INT(cJSON_GetArraySize(l), 7);
	T_OK(before && after);
	T_CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 6), "slug")->valuestring, last) < 0,
		"the page before ends before the cursor");
	cJSON_Delete(l);
	/* A tag's pages hold only that tag's articles; an unknown cursor is the first page. */
	l = kb_page(kb, "sync", "no-such-article", NULL, 200, &before, &after);
	T_OK(!before && !after);
	int tagged = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, l) {
		const cJSON *t;
		bool has = false;
		cJSON_ArrayForEach(t, cJSON_GetObjectItem(e, "tags"))
			has |= !strcmp(t->valuestring, "sync");
		tagged += has;
	}
	T_INT(tagged, cJSON_GetArraySize(l));
	T_OK(tagged > 0);
	cJSON_Delete(l);
}

/* ---- scale: a page's cost does not grow with the number of articles ---- */

static const char *const tag_set[] = { "outlook", "profile", "sync", "calendar", "network",
				       "install", "search", "backup" };

/* n generated articles (deterministic), every one sharing tags with thousands of others. */
static void generate(const char *dir_, int n)
{
	char path[600];
	for (int i = 0; i < n; i++) {
		char text[2048];
		snprintf(text, sizeof text, "---\ntitle: \"Generated article %05d\"\nslug: g%05d\n"
			 "tags: [%s, %s]\nupdated: 2026-%02d-%02d\n---\nOutlook profile sync text "
			 "number %d about %s and %s, with more words to rank.\n",
			 i, i, tag_set[i % 8], tag_set[(i / 8) % 8], i % 12 + 1, i % 28 + 1, i,
			 tag_set[i % 8], tag_set[(i / 3) % 8]);
		snprintf(path, sizeof path, "%s/g%05d.md", dir_, i);
		T_INT(kx_write_file_atomic(path, text, strlen(text)), 0);
	}
}

/* The SQL work of an article page, the home page's lists, a list page and a search. */
static void page_costs(struct kb *kb, long long out[4])
{
	kb_vm_steps(kb);
	cJSON *a = kb_get(kb, "g00007");
	cJSON *rel = kb_related(kb, "g00007", cJSON_GetObjectItem(a, "tags"), 5);
	T_INT(cJSON_GetArraySize(rel), 5);
	cJSON_Delete(rel);
	cJSON_Delete(a);
	out[0] = kb_vm_steps(kb);
	bool more, before, after;
	cJSON *l = kb_tagged(kb, "outlook", 6, &more);
	cJSON_Delete(l);
	cJSON_Delete(kb_recent(kb, 8));
	(void)kb_count(kb);
	out[1] = kb_vm_steps(kb);
	l = kb_page(kb, NULL, "g00003", NULL, 50, &before, &after);
	T_INT(cJSON_GetArraySize(l), 50);
	T_OK(before && after);
	cJSON_Delete(l);
	out[2] = kb_vm_steps(kb);
	kb_search_cache(kb, false);
	const char *mode;
	l = kb_search_page(kb, "number 7", 10, 0, &mode, &more);
	T_STR(mode, "all");
	cJSON_Delete(l);
	out[3] = kb_vm_steps(kb);
}

static void test_scale(void)
{
	static const int sizes[] = { 500, 4000 };
	long long cost[2][4];
	for (int k = 0; k < 2; k++) {
		char d[300], arts[400], path[500], err[256];
		T_INT(t_tmpdir(d, sizeof d, "test-kb-scale"), 0);
		snprintf(arts, sizeof arts, "%s/articles", d);
		kx_mkdir_p(arts);
		generate(arts, sizes[k]);
		snprintf(path, sizeof path, "%s/kb.db", d);
		struct kb *kb = kb_open(path, err, sizeof err);
		struct kb_index_report rep;
		T_INT(kb_index(kb, arts, &rep, NULL), 0);
		T_INT(rep.indexed, sizes[k]);
		T_INT(kb_count(kb), sizes[k]);
		page_costs(kb, cost[k]);
		if (k == 0)
			test_pages(kb, sizes[k]);
		kb_close(kb);
		T_INT(t_rm_rf(d), 0);
	}
	static const char *const what[] = { "article page (with related articles)",
					    "home page lists", "a page of the A-Z list" };
	for (int i = 0; i < 3; i++) {
		printf("scale: %s: %lld SQLite steps at %d articles, %lld at %d\n", what[i],
		       cost[0][i], sizes[0], cost[1][i], sizes[1]);
		T_CHECK(cost[1][i] <= cost[0][i] + cost[0][i] / 5 + 50, "%s: %lld steps at %d "
			"articles, %lld at %d: the cost grows with the KB", what[i], cost[0][i],
			sizes[0], cost[1][i], sizes[1]);
	}
	/* A search's ranking visits every matching article: that part does grow, as FTS5's own
	 * does; it is measured by make bench, not bounded here. */
	printf("scale: search ranking %lld steps at %d articles, %lld at %d\n", cost[0][3],
	       sizes[0], cost[1][3], sizes[1]);
}


int main(void)
{
	test_fts_query();
	test_scale();
	if (t_tmpdir(dir, sizeof dir, "test-kb") != 0)
		return 1;
	snprintf(articles, sizeof articles, "%s/articles", dir);
	kx_mkdir_p(articles);
	write_article("alpha.md", good_a);
	write_article("beta.md", good_b);
	write_article("gamma.md", bad_c);
	write_article("wrong-name.md", "---\ntitle: x\nslug: other\nupdated: 2026-11-24\n---\nx\n");

	char db[512], err[256];
	snprintf(db, sizeof db, "%s/kb.db", dir);
	struct kb *kb = kb_open(db, err, sizeof err);
	T_OK(kb != NULL);

	struct kb_index_report rep;
	char *log = run_index(kb, &rep);
	T_INT(rep.indexed, 2);
	T_INT(rep.errors, 2);
	/* The refused article is named with its file and line; the others are served. */
	T_CONTAINS(log, "gamma.md: line 5: unknown key 'tittle'");
	T_CONTAINS(log, "wrong-name.md: line 1: slug 'other' does not match the file name");
	free(log);

	/* Incremental: nothing changed, nothing parsed. */
	log = run_index(kb, &rep);
	T_INT(rep.indexed, 0);
	T_INT(rep.unchanged, 2);
	free(log);

	/* Search, with safe snippets. */
	cJSON *r = kb_search(kb, "KofMsp32", 10);
	T_INT(cJSON_GetArraySize(r), 1);
	const cJSON *first = cJSON_GetArrayItem(r, 0);
	T_STR(cJSON_GetObjectItem(first, "slug")->valuestring, "alpha");
	const char *snip = cJSON_GetObjectItem(first, "snippet")->valuestring;
	T_CONTAINS(snip, "<mark>KofMsp32</mark>");
	T_OK(strstr(snip, "<script>") == NULL);
	cJSON_Delete(r);
	r = kb_search(kb, "script alert", 10);
	snip = cJSON_GetObjectItem(cJSON_GetArrayItem(r, 0), "snippet")->valuestring;
	T_CONTAINS(snip, "&lt;<mark>script</mark>&gt;");
	cJSON_Delete(r);
	r = kb_search(kb, "appwiz", 10);
	T_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(r, 0), "slug")->valuestring, "beta");
	cJSON_Delete(r);
	/* No article has both words: the OR fallback finds each. */
	r = kb_search(kb, "appwiz MAPISVC", 10);
	T_INT(cJSON_GetArraySize(r), 2);
	cJSON_Delete(r);
	r = kb_search(kb, "\"*:(", 10);
	T_INT(cJSON_GetArraySize(r), 0);
	cJSON_Delete(r);

	/* Article JSON and votes. */
	cJSON *a = kb_get(kb, "alpha");
	T_STR(cJSON_GetObjectItem(a, "title")->valuestring, "Loading KofMsp32.dll");
	T_OK(strstr(cJSON_GetObjectItem(a, "html")->valuestring, "<script>") == NULL);
	T_INT(cJSON_GetArraySize(cJSON_GetObjectItem(a, "related")), 1);
	cJSON_Delete(a);
	T_OK(kb_get(kb, "gamma") == NULL);
	int yes = -1, no = -1;
	T_INT(kb_vote(kb, "alpha", "voter1", true, "clear", NULL, &yes, &no), 0);
	T_INT(yes, 1);
	T_INT(kb_vote(kb, "alpha", "voter2", false, NULL, NULL, &yes, &no), 0);
	T_INT(no, 1);
	/* A second vote of the same voter replaces the first. */
	T_INT(kb_vote(kb, "alpha", "voter1", false, NULL, NULL, &yes, &no), 0);
	T_INT(yes, 0);
	T_INT(no, 2);
	T_INT(kb_vote(kb, "nope", "voter1", true, NULL, NULL, NULL, NULL), KX_ENOTFOUND);
	/* The bounds: a comment too long changes nothing; past the comment cap a vote counts
	 * without its comment; past the voter cap a new voter is refused, a known one is not. */
	char *longc = xmalloc(KB_COMMENT_MAX + 2);
	memset(longc, 'x', KB_COMMENT_MAX + 1);
	longc[KB_COMMENT_MAX + 1] = '\0';
	T_INT(kb_vote(kb, "alpha", "voter3", true, longc, NULL, &yes, &no), KX_EINVAL);
	T_INT(yes + no, 2);
	free(longc);
	bool kept = false;
	char voter[32];
	for (int i = 0; i < KB_COMMENTS_PER_ARTICLE; i++) {
		snprintf(voter, sizeof voter, "c%d", i);
		T_INT(kb_vote(kb, "alpha", voter, true, "why", &kept, NULL, NULL), 0);
	}
	T_OK(kept);  /* voter1 "clear" was replaced by a vote without comment: room for 100 */
	T_INT(kb_vote(kb, "alpha", "late", true, "one too many", &kept, NULL, NULL), 0);
	T_OK(!kept);
	T_INT(kb_vote(kb, "alpha", "c0", false, "changed my mind", &kept, NULL, NULL), 0);
	T_OK(kept);  /* a commenter may change the comment */
	for (int i = 0; i < KB_VOTES_PER_ARTICLE; i++) {
		snprintf(voter, sizeof voter, "v%d", i);
		int rc = kb_vote(kb, "alpha", voter, true, NULL, NULL, &yes, &no);
		if (rc)
			break;
	}
	T_INT(yes + no, KB_VOTES_PER_ARTICLE);
	T_INT(kb_vote(kb, "alpha", "newcomer", true, NULL, NULL, NULL, NULL), KX_ETOOBIG);
	T_INT(kb_vote(kb, "alpha", "voter2", true, NULL, NULL, &yes, &no), 0);
	T_INT(yes + no, KB_VOTES_PER_ARTICLE);

	/* A good article that turns bad keeps its last good version; a removed one goes. */
	write_article("beta.md", "---\ntitle: broken\n");
	char path[512];
	snprintf(path, sizeof path, "%s/alpha.md", articles);
	unlink(path);
	log = run_index(kb, &rep);
	T_INT(rep.removed, 1);
	T_INT(rep.errors, 3);
	T_CONTAINS(log, "beta.md: line 2: front matter is not closed");
	free(log);
	a = kb_get(kb, "beta");
	T_OK(a != NULL);
	cJSON_Delete(a);
	T_OK(kb_get(kb, "alpha") == NULL);
	r = kb_search(kb, "KofMsp32", 10);
	T_INT(cJSON_GetArraySize(r), 0);
	cJSON_Delete(r);
	cJSON *titles = cJSON_Parse("[\"beta\", \"alpha\", 3]");
	cJSON *t = kb_titles(kb, titles);
	T_INT(cJSON_GetArraySize(t), 1);
	cJSON_Delete(t);
	cJSON_Delete(titles);

	kb_close(kb);
	T_INT(t_rm_rf(dir), 0);
	return t_done("kb");
}
