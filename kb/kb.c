/* SPDX-License-Identifier: MIT */
#include "kb.h"

#include <dirent.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/db.h"
#include "../common/util.h"
#include "article.h"

#define ARTICLE_MAX (1u << 20)

static const char *schema =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA foreign_keys=ON;"
	"CREATE TABLE IF NOT EXISTS articles("
	" slug TEXT PRIMARY KEY, path TEXT UNIQUE NOT NULL, title TEXT NOT NULL, updated TEXT,"
	" tags TEXT, applies_to TEXT, related TEXT, sources TEXT, toc TEXT, md TEXT, html TEXT,"
	" body TEXT, size INTEGER, mtime INTEGER, sha256 TEXT, indexed_at TEXT);"
	"CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5("
	" slug UNINDEXED, title, tags, body, prefix='2 3 4',"
	" tokenize='porter unicode61 remove_diacritics 2');"
	/* Ranking by FTS5's own rank column lets it sort before computing snippets. */
	"INSERT INTO articles_fts(articles_fts, rank) VALUES('rank', 'bm25(0.0, 10.0, 4.0, 1.0)');"
	"CREATE TABLE IF NOT EXISTS votes("
	" slug TEXT NOT NULL, voter TEXT NOT NULL, helpful INTEGER NOT NULL, comment TEXT,"
	" created TEXT NOT NULL, PRIMARY KEY(slug, voter));";

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_FILE_STATE,
	ST_TOUCH,
	ST_SLUG_OWNER,
	ST_DELETE_ARTICLE,
	ST_DELETE_FTS,
	ST_INSERT_ARTICLE,
	ST_INSERT_FTS,
	ST_ALL_PATHS,
	ST_SEARCH,
	ST_GET,
	ST_LIST,
	ST_TITLE,
	ST_VOTE,
	ST_VOTE_COUNTS,
	ST_VOTE_ROOM,
	ST_EXISTS,
	ST__COUNT
};

static const char *const sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_FILE_STATE] = "SELECT size, mtime, sha256 FROM articles WHERE path = ?1",
	[ST_TOUCH] = "UPDATE articles SET size = ?2, mtime = ?3 WHERE path = ?1",
	[ST_SLUG_OWNER] = "SELECT path FROM articles WHERE slug = ?1",
	[ST_DELETE_ARTICLE] = "DELETE FROM articles WHERE path = ?1 OR slug = ?2",
	[ST_DELETE_FTS] = "DELETE FROM articles_fts WHERE slug = ?1 OR slug ="
			  " (SELECT slug FROM articles WHERE path = ?2)",
	[ST_INSERT_ARTICLE] = "INSERT INTO articles(slug, path, title, updated, tags, applies_to,"
			      " related, sources, toc, md, html, body, size, mtime, sha256,"
			      " indexed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
			      " ?12, ?13, ?14, ?15, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
	[ST_INSERT_FTS] = "INSERT INTO articles_fts(slug, title, tags, body) VALUES (?1, ?2, ?3, ?4)",
	[ST_ALL_PATHS] = "SELECT path, slug FROM articles",
	[ST_SEARCH] = "SELECT f.slug, f.title, snippet(articles_fts, 3, char(1), char(2), '…', 24),"
		      " -f.rank FROM articles_fts f WHERE articles_fts MATCH ?1"
		      " ORDER BY f.rank LIMIT ?2",
	[ST_GET] = "SELECT slug, title, updated, tags, applies_to, related, sources, toc, html,"
		   " sha256 FROM articles WHERE slug = ?1",
	[ST_LIST] = "SELECT slug, title, updated, tags FROM articles ORDER BY title COLLATE NOCASE",
	[ST_TITLE] = "SELECT title FROM articles WHERE slug = ?1",
	[ST_VOTE] = "INSERT INTO votes(slug, voter, helpful, comment, created) VALUES (?1, ?2, ?3,"
		    " ?4, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) ON CONFLICT(slug, voter) DO UPDATE"
		    " SET helpful = excluded.helpful, comment = excluded.comment,"
		    " created = excluded.created",
	[ST_VOTE_COUNTS] = "SELECT coalesce(sum(helpful = 1), 0), coalesce(sum(helpful = 0), 0)"
			   " FROM votes WHERE slug = ?1",
	[ST_EXISTS] = "SELECT 1 FROM articles WHERE slug = ?1",
	[ST_VOTE_ROOM] = "SELECT count(*), count(comment), coalesce(sum(voter = ?2), 0),"
			 " coalesce(sum(voter = ?2 AND comment IS NOT NULL), 0)"
			 " FROM votes WHERE slug = ?1",
};

struct kb {
	struct db db;
};

static sqlite3_stmt *stmt(struct kb *kb, enum stmt id)
{
	return db_stmt(&kb->db, id);
}

static int exec_simple(struct kb *kb, enum stmt id)
{
	return sqlite3_step(stmt(kb, id)) == SQLITE_DONE ? 0 : KX_EDB;
}

struct kb *kb_open(const char *path, char *err, size_t errlen)
{
	struct kb *kb = xcalloc(1, sizeof *kb);
	if (db_open(&kb->db, path, "the knowledge base", schema, sql, ST__COUNT, err, errlen)) {
		free(kb);
		return NULL;
	}
	return kb;
}

void kb_close(struct kb *kb)
{
	if (!kb)
		return;
	db_close(&kb->db);
	free(kb);
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static char *list_json(const struct kb_list *l)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < l->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->items[i]));
	char *s = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return s;
}

static char *toc_json(const struct kb_rendered *r)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < r->ntoc; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "level", r->toc[i].level);
		cJSON_AddStringToObject(e, "id", r->toc[i].id);
		cJSON_AddStringToObject(e, "text", r->toc[i].text);
		cJSON_AddItemToArray(a, e);
	}
	char *s = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	db_bind_text(s, i, v);
}

/* Space-separated tags: what the FTS "tags" column holds. */
static char *tags_text(const struct kb_list *l)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			buf_addch(&b, ' ');
		buf_adds(&b, l->items[i]);
	}
	return buf_take(&b, NULL);
}

/*
 * cmark's plain text keeps table syntax ("| a | b |", "| --- |"): turn pipes and dash rules into
 * spaces so that they neither match searches nor show in snippets.
 */
static void strip_table_syntax(char *text)
{
	for (char *p = text; *p; p++) {
		if (*p == '|') {
			*p = ' ';
		} else if (*p == '-' && p[1] == '-' && p[2] == '-') {
			while (*p == '-' || *p == ':')
				*p++ = ' ';
			p--;
		}
	}
}

/* The file name without directory and ".md": an article's slug must equal it. */
static bool slug_matches_file(const char *slug, const char *name)
{
	size_t n = strlen(name);
	return n > 3 && strlen(slug) == n - 3 && strncmp(slug, name, n - 3) == 0;
}

/* Parses, renders and stores one changed article. Returns 0, KX_ESYNTAX (logged), KX_EDB. */
static int index_one(struct kb *kb, const char *path, const char *name, const char *src,
		     size_t len, long long mtime, const char *sha, FILE *errlog)
{
	struct kb_meta meta;
	struct kb_rendered r;
	char err[512];
	size_t body_off = 0;
	int body_line = 1, rc = KX_ESYNTAX;
	char *tags = NULL, *applies = NULL, *related = NULL, *sources = NULL, *toc = NULL;
	char *tagtxt = NULL;

	memset(&r, 0, sizeof r);
	if (kb_meta_parse(src, len, &meta, &body_off, &body_line, err, sizeof err) != 0) {
		if (errlog)
			fprintf(errlog, "%s: %s\n", path, err);
		return KX_ESYNTAX;
	}
	if (!slug_matches_file(meta.slug, name)) {
		if (errlog)
			fprintf(errlog, "%s: line 1: slug '%s' does not match the file name\n", path,
				meta.slug);
		goto out;
	}
	sqlite3_stmt *s = stmt(kb, ST_SLUG_OWNER);
	bind_text(s, 1, meta.slug);
	if (sqlite3_step(s) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), path)) {
		if (errlog)
			fprintf(errlog, "%s: line 1: slug '%s' is already used by '%s'\n", path,
				meta.slug, sqlite3_column_text(s, 0));
		goto out;
	}
	if (kb_render(src + body_off, len - body_off, &r, err, sizeof err) != 0) {
		/* The renderer counts lines from the body; report lines of the file. */
		int line = 0;
		if (sscanf(err, "line %d:", &line) == 1) {
			const char *msg = strchr(err, ':');
			if (errlog)
				fprintf(errlog, "%s: line %d%s\n", path, line + body_line - 1, msg);
		} else if (errlog) {
			fprintf(errlog, "%s: %s\n", path, err);
		}
		goto out;
	}
	strip_table_syntax(r.text);
	tags = list_json(&meta.tags);
	applies = list_json(&meta.applies_to);
	related = list_json(&meta.related);
	sources = list_json(&meta.sources);
	toc = toc_json(&r);
	tagtxt = tags_text(&meta.tags);

	rc = KX_EDB;
	s = stmt(kb, ST_DELETE_FTS);
	bind_text(s, 1, meta.slug);
	bind_text(s, 2, path);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto out;
	s = stmt(kb, ST_DELETE_ARTICLE);
	bind_text(s, 1, path);
	bind_text(s, 2, meta.slug);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto out;
	s = stmt(kb, ST_INSERT_ARTICLE);
	bind_text(s, 1, meta.slug);
	bind_text(s, 2, path);
	bind_text(s, 3, meta.title);
	bind_text(s, 4, meta.updated);
	bind_text(s, 5, tags);
	bind_text(s, 6, applies);
	bind_text(s, 7, related);
	bind_text(s, 8, sources);
	bind_text(s, 9, toc);
	sqlite3_bind_text(s, 10, src + body_off, (int)(len - body_off), SQLITE_TRANSIENT);
	bind_text(s, 11, r.html);
	bind_text(s, 12, r.text);
	sqlite3_bind_int64(s, 13, (long long)len);
	sqlite3_bind_int64(s, 14, mtime);
	bind_text(s, 15, sha);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto out;
	s = stmt(kb, ST_INSERT_FTS);
	bind_text(s, 1, meta.slug);
	bind_text(s, 2, meta.title);
	bind_text(s, 3, tagtxt);
	bind_text(s, 4, r.text);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto out;
	rc = 0;
out:
	if (rc == KX_EDB && errlog)
		fprintf(errlog, "%s: cannot store article: %s\n", path, sqlite3_errmsg(kb->db.conn));
	free(tags);
	free(applies);
	free(related);
	free(sources);
	free(toc);
	free(tagtxt);
	kb_rendered_release(&r);
	kb_meta_release(&meta);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Handles one file: unchanged, re-indexed or refused. Returns KX_EDB only on database failure. */
static int index_file(struct kb *kb, const char *path, const char *name,
		      struct kb_index_report *rep, FILE *errlog)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (errlog)
			fprintf(errlog, "%s: cannot read article\n", path);
		rep->errors++;
		return 0;
	}
	long long mtime = (long long)st.st_mtime;
	char oldsha[65] = "";
	sqlite3_stmt *s = stmt(kb, ST_FILE_STATE);
	bind_text(s, 1, path);
	if (sqlite3_step(s) == SQLITE_ROW) {
		if (sqlite3_column_int64(s, 0) == (long long)st.st_size &&
		    sqlite3_column_int64(s, 1) == mtime) {
			rep->unchanged++;
			return 0;
		}
		snprintf(oldsha, sizeof oldsha, "%s", (const char *)sqlite3_column_text(s, 2));
	}
	char *src;
	size_t len;
	int rc = kx_read_file(path, ARTICLE_MAX, &src, &len);
	if (rc) {
		if (errlog)
			fprintf(errlog, "%s: cannot read article: %s\n", path,
				rc == KX_ETOOBIG ? "larger than 1 MiB" : "read error");
		rep->errors++;
		return 0;
	}
	char sha[65];
	sha256_hex(src, len, sha);
	if (strcmp(sha, oldsha) == 0) {
		s = stmt(kb, ST_TOUCH);
		bind_text(s, 1, path);
		sqlite3_bind_int64(s, 2, (long long)len);
		sqlite3_bind_int64(s, 3, mtime);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : KX_EDB;
		rep->unchanged++;
	} else {
		rc = index_one(kb, path, name, src, len, mtime, sha, errlog);
		if (rc == 0)
			rep->indexed++;
		else if (rc == KX_ESYNTAX)
			rep->errors++, rc = 0;
	}
	free(src);
	return rc;
}

int kb_index(struct kb *kb, const char *dir, struct kb_index_report *rep, FILE *errlog)
{
	memset(rep, 0, sizeof *rep);
	DIR *d = opendir(dir);
	if (!d)
		return KX_EIO;
	char **paths = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 3, ".md"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			paths = xrealloc(paths, cap * sizeof *paths);
		}
		size_t plen = strlen(dir) + len + 2;
		paths[n] = xmalloc(plen);
		snprintf(paths[n], plen, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(paths, n, sizeof *paths, cmp_str);

	db_lock(&kb->db);
	int rc = exec_simple(kb, ST_BEGIN);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = index_file(kb, paths[i], strrchr(paths[i], '/') + 1, rep, errlog);

	/* Rows whose file is gone. Collected first: deleting while stepping would disturb it. */
	char **gone = NULL;
	size_t ngone = 0;
	if (rc == 0) {
		sqlite3_stmt *s = stmt(kb, ST_ALL_PATHS);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *p = (const char *)sqlite3_column_text(s, 0);
			if (!bsearch(&p, paths, n, sizeof *paths, cmp_str)) {
				gone = xrealloc(gone, (ngone + 2) * sizeof *gone);
				gone[ngone++] = xstrdup(p);
				gone[ngone++] = xstrdup((const char *)sqlite3_column_text(s, 1));
			}
		}
	}
	for (size_t i = 0; rc == 0 && i < ngone; i += 2) {
		sqlite3_stmt *s = stmt(kb, ST_DELETE_FTS);
		bind_text(s, 1, gone[i + 1]);
		bind_text(s, 2, gone[i]);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = KX_EDB;
		s = stmt(kb, ST_DELETE_ARTICLE);
		bind_text(s, 1, gone[i]);
		bind_text(s, 2, gone[i + 1]);
		if (rc == 0 && sqlite3_step(s) != SQLITE_DONE)
			rc = KX_EDB;
		rep->removed++;
	}
	if (rc == 0)
		rc = exec_simple(kb, ST_COMMIT);
	if (rc)
		exec_simple(kb, ST_ROLLBACK);
	db_unlock(&kb->db);

	for (size_t i = 0; i < ngone; i++)
		free(gone[i]);
	free(gone);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return rc;
}

/* A "word" byte: ASCII letters and digits, and every byte of a multi-byte UTF-8 character. */
static bool word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80;
}

int kb_fts_query(const char *query, bool any, struct buf *out)
{
	int words = 0;
	const unsigned char *p = (const unsigned char *)query;
	while (*p) {
		while (*p && !word_byte(*p))
			p++;
		const unsigned char *start = p;
		while (*p && word_byte(*p))
			p++;
		if (p == start)
			break;
		if (words >= 32)
			break;
		/* Words never contain '"', so quoting needs no escaping. */
		int rc = 0;
		if (words)
			rc = buf_adds(out, any ? " OR " : " AND ");
		if (rc == 0)
			rc = buf_addch(out, '"');
		if (rc == 0)
			rc = buf_add(out, start, (size_t)(p - start));
		if (rc == 0)
			rc = buf_adds(out, "\"*");
		if (rc)
			return rc;
		words++;
	}
	return words;
}

/* Escapes FTS5 snippet text and turns the \1 and \2 markers into <mark> and </mark>. */
static char *snippet_html(const char *s)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	bool open = false;
	for (const char *p = s; *p; p++) {
		if (*p == '\1') {
			if (!open)
				buf_adds(&b, "<mark>");
			open = true;
		} else if (*p == '\2') {
			if (open)
				buf_adds(&b, "</mark>");
			open = false;
		} else {
			buf_add_html(&b, p, 1);
		}
	}
	if (open)
		buf_adds(&b, "</mark>");
	return buf_take(&b, NULL);
}

static int run_search(struct kb *kb, const char *expr, int limit, cJSON *results)
{
	sqlite3_stmt *s = stmt(kb, ST_SEARCH);
	bind_text(s, 1, expr);
	sqlite3_bind_int(s, 2, limit);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "slug", (const char *)sqlite3_column_text(s, 0));
		cJSON_AddStringToObject(r, "title", (const char *)sqlite3_column_text(s, 1));
		char *snip = snippet_html((const char *)sqlite3_column_text(s, 2));
		cJSON_AddStringToObject(r, "snippet", snip);
		free(snip);
		cJSON_AddNumberToObject(r, "score", sqlite3_column_double(s, 3));
		cJSON_AddItemToArray(results, r);
	}
	return rc == SQLITE_DONE ? 0 : KX_EDB;
}

cJSON *kb_search(struct kb *kb, const char *query, int limit)
{
	if (limit < 1)
		limit = 1;
	if (limit > 100)
		limit = 100;
	cJSON *results = cJSON_CreateArray();
	struct buf all, any;
	buf_init(&all, 4096);
	buf_init(&any, 4096);
	int words = kb_fts_query(query, false, &all);
	if (words > 0 && kb_fts_query(query, true, &any) > 0) {
		db_lock(&kb->db);
		int rc = run_search(kb, buf_cstr(&all), limit, results);
		if (rc == 0 && cJSON_GetArraySize(results) == 0 && words > 1)
			rc = run_search(kb, buf_cstr(&any), limit, results);
		db_unlock(&kb->db);
		if (rc) {
			cJSON_Delete(results);
			results = NULL;
		}
	}
	buf_release(&all);
	buf_release(&any);
	return results;
}

static void add_parsed(cJSON *obj, const char *key, const unsigned char *json)
{
	cJSON *v = json ? cJSON_Parse((const char *)json) : NULL;
	cJSON_AddItemToObject(obj, key, v ? v : cJSON_CreateArray());
}

static void vote_counts(struct kb *kb, const char *slug, int *yes, int *no)
{
	sqlite3_stmt *s = stmt(kb, ST_VOTE_COUNTS);
	bind_text(s, 1, slug);
	*yes = *no = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*yes = sqlite3_column_int(s, 0);
		*no = sqlite3_column_int(s, 1);
	}
}

cJSON *kb_get(struct kb *kb, const char *slug)
{
	cJSON *a = NULL;
	db_lock(&kb->db);
	sqlite3_stmt *s = stmt(kb, ST_GET);
	bind_text(s, 1, slug);
	if (sqlite3_step(s) == SQLITE_ROW) {
		a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "slug", (const char *)sqlite3_column_text(s, 0));
		cJSON_AddStringToObject(a, "title", (const char *)sqlite3_column_text(s, 1));
		cJSON_AddStringToObject(a, "updated", (const char *)sqlite3_column_text(s, 2));
		add_parsed(a, "tags", sqlite3_column_text(s, 3));
		add_parsed(a, "applies_to", sqlite3_column_text(s, 4));
		add_parsed(a, "related", sqlite3_column_text(s, 5));
		add_parsed(a, "sources", sqlite3_column_text(s, 6));
		add_parsed(a, "toc", sqlite3_column_text(s, 7));
		cJSON_AddStringToObject(a, "html", (const char *)sqlite3_column_text(s, 8));
		cJSON_AddStringToObject(a, "etag", (const char *)sqlite3_column_text(s, 9));
		int yes, no;
		vote_counts(kb, slug, &yes, &no);
		cJSON_AddNumberToObject(a, "yes", yes);
		cJSON_AddNumberToObject(a, "no", no);
	}
	db_unlock(&kb->db);
	return a;
}

cJSON *kb_list(struct kb *kb)
{
	cJSON *list = cJSON_CreateArray();
	db_lock(&kb->db);
	sqlite3_stmt *s = stmt(kb, ST_LIST);
	while (sqlite3_step(s) == SQLITE_ROW) {
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "slug", (const char *)sqlite3_column_text(s, 0));
		cJSON_AddStringToObject(a, "title", (const char *)sqlite3_column_text(s, 1));
		cJSON_AddStringToObject(a, "updated", (const char *)sqlite3_column_text(s, 2));
		add_parsed(a, "tags", sqlite3_column_text(s, 3));
		cJSON_AddItemToArray(list, a);
	}
	db_unlock(&kb->db);
	return list;
}

cJSON *kb_titles(struct kb *kb, const cJSON *slugs)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *it;
	db_lock(&kb->db);
	/* One read transaction for every title, not one per statement (each takes file locks). */
	sqlite3_exec(kb->db.conn, "BEGIN", NULL, NULL, NULL);
	cJSON_ArrayForEach(it, slugs) {
		if (!cJSON_IsString(it))
			continue;
		sqlite3_stmt *s = stmt(kb, ST_TITLE);
		bind_text(s, 1, it->valuestring);
		if (sqlite3_step(s) == SQLITE_ROW) {
			cJSON *a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "slug", it->valuestring);
			cJSON_AddStringToObject(a, "title", (const char *)sqlite3_column_text(s, 0));
			cJSON_AddItemToArray(out, a);
		}
	}
	sqlite3_reset(stmt(kb, ST_TITLE));
	sqlite3_exec(kb->db.conn, "COMMIT", NULL, NULL, NULL);
	db_unlock(&kb->db);
	return out;
}

int kb_vote(struct kb *kb, const char *slug, const char *voter, bool helpful,
	    const char *comment, bool *comment_kept, int *yes, int *no)
{
	if (comment_kept)
		*comment_kept = false;
	if (comment && strlen(comment) > KB_COMMENT_MAX)
		return KX_EINVAL;
	int rc = 0;
	db_lock(&kb->db);
	/* The bounds are checked and the vote written in one transaction. */
	sqlite3_step(stmt(kb, ST_BEGIN));
	sqlite3_reset(stmt(kb, ST_BEGIN));
	sqlite3_stmt *s = stmt(kb, ST_EXISTS);
	bind_text(s, 1, slug);
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = KX_ENOTFOUND;
		goto out;
	}
	s = stmt(kb, ST_VOTE_ROOM);
	bind_text(s, 1, slug);
	bind_text(s, 2, voter);
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = KX_EDB;
		goto out;
	}
	sqlite3_int64 voters = sqlite3_column_int64(s, 0), comments = sqlite3_column_int64(s, 1);
	bool known = sqlite3_column_int64(s, 2) > 0, commented = sqlite3_column_int64(s, 3) > 0;
	if (!known && voters >= KB_VOTES_PER_ARTICLE) {
		rc = KX_ETOOBIG;
		goto out;
	}
	bool keep = comment && *comment && (commented || comments < KB_COMMENTS_PER_ARTICLE);
	s = stmt(kb, ST_VOTE);
	bind_text(s, 1, slug);
	bind_text(s, 2, voter);
	sqlite3_bind_int(s, 3, helpful ? 1 : 0);
	if (keep)
		bind_text(s, 4, comment);
	if (sqlite3_step(s) != SQLITE_DONE) {
		rc = KX_EDB;
		goto out;
	}
	if (comment_kept)
		*comment_kept = keep;
	int y, n;
	vote_counts(kb, slug, &y, &n);
	if (yes)
		*yes = y;
	if (no)
		*no = n;
out:
	sqlite3_reset(stmt(kb, ST_EXISTS));
	sqlite3_reset(stmt(kb, ST_VOTE_ROOM));
	sqlite3_step(stmt(kb, rc ? ST_ROLLBACK : ST_COMMIT));
	sqlite3_reset(stmt(kb, rc ? ST_ROLLBACK : ST_COMMIT));
	db_unlock(&kb->db);
	return rc;
}
