/* SPDX-License-Identifier: MIT */
#include "kb.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "../common/db.h"
#include "../common/util.h"
#include "article.h"

#define ARTICLE_MAX (1u << 20)

/* The full-text index reads its text from the articles table (external content): it keeps
 * only the index, not another copy of every article. Its rows have the articles' rowids. */
#define FTS_SCHEMA \
	"CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(" \
	" slug UNINDEXED, title, tags, body, content='articles', content_rowid='rowid'," \
	" tokenize='porter unicode61 remove_diacritics 2');"
/* Ranking by FTS5's own rank column lets it sort before computing snippets. Written once,
 * when the table is made (kb_open's layout change): no write at every open. */
#define FTS_RANK \
	"INSERT INTO articles_fts(articles_fts, rank) VALUES('rank', 'bm25(0.0, 10.0, 4.0, 1.0)');"

static const char *schema =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA foreign_keys=ON;"
	"CREATE TABLE IF NOT EXISTS articles("
	" slug TEXT PRIMARY KEY, path TEXT UNIQUE NOT NULL, title TEXT NOT NULL, updated TEXT,"
	" tags TEXT, applies_to TEXT, related TEXT, sources TEXT, toc TEXT, md TEXT, html TEXT,"
	" body TEXT, size INTEGER, mtime INTEGER, sha256 TEXT, indexed_at TEXT);"
	/* What the incremental index reads for every file, without touching the rows (whose
	 * Markdown, HTML and text make them long). */
	"CREATE INDEX IF NOT EXISTS articles_files ON articles(path, size, mtime, sha256, slug);"
	/* Pages read bounded ranges of these, never the whole table: the A-Z list (keyset pages),
	 * the newest, and articles by tag (symptom groups, related articles, a tag's list). */
	"CREATE INDEX IF NOT EXISTS articles_title ON articles(title COLLATE NOCASE, slug);"
	"CREATE INDEX IF NOT EXISTS articles_updated ON articles(updated, slug);"
	"CREATE TABLE IF NOT EXISTS article_tags(tag TEXT NOT NULL, title TEXT NOT NULL COLLATE NOCASE,"
	" slug TEXT NOT NULL, PRIMARY KEY(tag, title, slug)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS article_tags_slug ON article_tags(slug);"
	"CREATE TABLE IF NOT EXISTS kb_meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	FTS_SCHEMA
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
	ST_SEARCH,
	ST_GET,
	ST_LIST,
	ST_TITLE,
	ST_BODY,
	ST_DATA_VERSION,
	ST_DELETE_TAGS,
	ST_INSERT_TAG,
	ST_COUNT_SET,
	ST_COUNT,
	ST_PAGE_AFTER,
	ST_PAGE_BEFORE,
	ST_TAG_AFTER,
	ST_TAG_BEFORE,
	ST_CURSOR,
	ST_RECENT,
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
	[ST_FILE_STATE] = "SELECT path, size, mtime, sha256, slug FROM articles"
			  " INDEXED BY articles_files ORDER BY path",
	[ST_TOUCH] = "UPDATE articles SET size = ?2, mtime = ?3 WHERE path = ?1",
	[ST_SLUG_OWNER] = "SELECT path FROM articles WHERE slug = ?1",
	[ST_DELETE_ARTICLE] = "DELETE FROM articles WHERE path = ?1 OR slug = ?2",
	/* The FTS row of an article has the article's rowid: found through the articles'
	 * indexes, never by scanning the FTS table (which made indexing quadratic). */
	[ST_DELETE_FTS] = "INSERT INTO articles_fts(articles_fts, rowid, slug, title, tags, body)"
			  " SELECT 'delete', rowid, slug, title, tags, body FROM articles"
			  " WHERE slug = ?1 OR path = ?2",
	[ST_INSERT_ARTICLE] = "INSERT INTO articles(slug, path, title, updated, tags, applies_to,"
			      " related, sources, toc, md, html, body, size, mtime, sha256,"
			      " indexed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
			      " ?12, ?13, ?14, ?15, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
	[ST_INSERT_FTS] = "INSERT INTO articles_fts(rowid, slug, title, tags, body)"
			  " VALUES (last_insert_rowid(), ?1, ?2, ?3, ?4)",
	/* FTS5 ranks (bm25, the weights set in the schema) and sorts; the snippet is made from
	 * the stored text of the few rows returned (make_snippet), not by the tokenizer again. */
	[ST_SEARCH] = "SELECT f.slug, f.title, -f.rank, f.rowid FROM articles_fts f"
		      " WHERE articles_fts MATCH ?1 ORDER BY f.rank LIMIT ?2 OFFSET ?3",
	[ST_BODY] = "SELECT body FROM articles WHERE rowid = ?1",
	[ST_DATA_VERSION] = "PRAGMA data_version",
	[ST_GET] = "SELECT slug, title, updated, tags, applies_to, related, sources, toc, html,"
		   " sha256 FROM articles WHERE slug = ?1",
	[ST_LIST] = "SELECT slug, title, updated, tags FROM articles ORDER BY title COLLATE NOCASE",
	[ST_TITLE] = "SELECT title FROM articles WHERE slug = ?1",
	[ST_DELETE_TAGS] = "DELETE FROM article_tags WHERE slug IN"
			   " (SELECT slug FROM articles WHERE slug = ?1 OR path = ?2)",
	[ST_INSERT_TAG] = "INSERT OR IGNORE INTO article_tags(tag, title, slug) VALUES (?1, ?2, ?3)",
	[ST_COUNT_SET] = "INSERT OR REPLACE INTO kb_meta(key, value)"
			 " SELECT 'articles', count(*) FROM articles",
	[ST_COUNT] = "SELECT value FROM kb_meta WHERE key = 'articles'",
	/* Keyset pages: (title, slug) after or before a cursor, in title order. */
	[ST_PAGE_AFTER] = "SELECT slug, title, updated, tags FROM articles INDEXED BY articles_title"
			  " WHERE (title COLLATE NOCASE, slug) > (?1, ?2)"
			  " ORDER BY title COLLATE NOCASE, slug LIMIT ?3",
	[ST_PAGE_BEFORE] = "SELECT slug, title, updated, tags FROM articles INDEXED BY articles_title"
			   " WHERE (title COLLATE NOCASE, slug) < (?1, ?2)"
			   " ORDER BY title COLLATE NOCASE DESC, slug DESC LIMIT ?3",
	[ST_TAG_AFTER] = "SELECT a.slug, a.title, a.updated, a.tags FROM article_tags t"
			 " JOIN articles a ON a.slug = t.slug WHERE t.tag = ?4"
			 " AND (t.title, t.slug) > (?1, ?2) ORDER BY t.title, t.slug LIMIT ?3",
	[ST_TAG_BEFORE] = "SELECT a.slug, a.title, a.updated, a.tags FROM article_tags t"
			  " JOIN articles a ON a.slug = t.slug WHERE t.tag = ?4"
			  " AND (t.title, t.slug) < (?1, ?2) ORDER BY t.title DESC, t.slug DESC"
			  " LIMIT ?3",
	[ST_CURSOR] = "SELECT title FROM articles WHERE slug = ?1",
	[ST_RECENT] = "SELECT slug, title, updated, tags FROM articles INDEXED BY articles_updated"
		      " ORDER BY updated DESC, slug DESC LIMIT ?1",
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

#define KB_CACHE 128
#define KB_QUERY_WORDS 32

struct cached {
	char *key;
	cJSON *results;
	const char *mode;
	bool more;
};

struct kb {
	struct db db;
	/* What pages built from the KB depend on, guarded by the db's lock (kb_generation). */
	unsigned long long gen;
	long long gen_data_version;
	double gen_checked;
	bool merging_off;          /* kb_index: FTS5's automerge is off for this run */
	/* The search cache, guarded by the db's lock (kb_search_page). */
	bool cache_on;
	bool stale;
	long long data_version;
	int next_slot;
	struct cached cache[KB_CACHE];
};

static sqlite3_stmt *stmt(struct kb *kb, enum stmt id)
{
	return db_stmt(&kb->db, id);
}

static int exec_simple(struct kb *kb, enum stmt id)
{
	return sqlite3_step(stmt(kb, id)) == SQLITE_DONE ? 0 : KX_EDB;
}

/* The layout version of the index (PRAGMA user_version). An index of an older layout is
 * emptied at open (votes stay), and the next `kb index` rebuilds it. */
#define KB_LAYOUT 4
#define KB_SEARCH_OFFSET_MAX 1000

struct kb *kb_open(const char *path, char *err, size_t errlen)
{
	struct kb *kb = xcalloc(1, sizeof *kb);
	if (db_open(&kb->db, path, "the knowledge base", schema, sql, ST__COUNT, err, errlen)) {
		free(kb);
		return NULL;
	}
	sqlite3_stmt *v;
	int layout = 0;
	if (sqlite3_prepare_v2(kb->db.conn, "PRAGMA user_version", -1, &v, NULL) == SQLITE_OK &&
	    sqlite3_step(v) == SQLITE_ROW)
		layout = sqlite3_column_int(v, 0);
	sqlite3_finalize(v);
	if (layout < KB_LAYOUT && sqlite3_exec(kb->db.conn, "BEGIN IMMEDIATE;"
			 "DROP TABLE IF EXISTS articles_fts; DELETE FROM articles;"
			 "DELETE FROM article_tags;" FTS_SCHEMA FTS_RANK
			 "PRAGMA user_version = 4; COMMIT;", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot update the knowledge base in '%s': %s", path,
			 sqlite3_errmsg(kb->db.conn));
		sqlite3_exec(kb->db.conn, "ROLLBACK", NULL, NULL, NULL);
		kb_close(kb);
		return NULL;
	}
	/* Pages read the database through memory, not a read() per page: with a large KB most
	 * pages would miss SQLite's own cache. Address space only; the OS shares the pages. */
	sqlite3_exec(kb->db.conn, "PRAGMA mmap_size = 1073741824", NULL, NULL, NULL);
	kb->cache_on = true;
	kb->stale = true;
	return kb;
}

void kb_close(struct kb *kb)
{
	if (!kb)
		return;
	for (int i = 0; i < KB_CACHE; i++) {
		free(kb->cache[i].key);
		cJSON_Delete(kb->cache[i].results);
	}
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

	rc = KX_EDB;
	s = stmt(kb, ST_DELETE_FTS);
	bind_text(s, 1, meta.slug);
	bind_text(s, 2, path);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto out;
	s = stmt(kb, ST_DELETE_TAGS);
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
	bind_text(s, 3, tags);     /* as the articles row holds them: the index reads it back */
	bind_text(s, 4, r.text);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto out;
	for (size_t i = 0; i < meta.tags.n; i++) {
		s = stmt(kb, ST_INSERT_TAG);
		bind_text(s, 1, meta.tags.items[i]);
		bind_text(s, 2, meta.title);
		bind_text(s, 3, meta.slug);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto out;
	}
	rc = 0;
out:
	if (rc == KX_EDB && errlog)
		fprintf(errlog, "%s: cannot store article: %s\n", path, sqlite3_errmsg(kb->db.conn));
	free(tags);
	free(applies);
	free(related);
	free(sources);
	free(toc);
	kb_rendered_release(&r);
	kb_meta_release(&meta);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#ifdef _WIN32
#define KB_DIRFD(d) (-1)
#else
#define KB_DIRFD(d) dirfd(d)
#endif

/* What the index holds of a file: its size and time when indexed, its contents' hash, and
 * the article's slug. */
struct file_state {
	char *path, *slug;
	long long size, mtime;
	char sha[65];
};

static int cmp_state(const void *key, const void *elem)
{
	return strcmp(key, ((const struct file_state *)elem)->path);
}

/* Every indexed file's state, in path order (one read of the covering index, not a query a
 * file: at 10,000 articles the queries were a third of a run that changed nothing). The run
 * also finds the files that are gone in it. */
static struct file_state *file_states(struct kb *kb, size_t *n)
{
	struct file_state *v = NULL;
	size_t cap = 0;
	*n = 0;
	sqlite3_stmt *s = stmt(kb, ST_FILE_STATE);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (*n == cap)
			v = xrealloc(v, (cap = cap ? cap * 2 : 256) * sizeof *v);
		struct file_state *f = &v[(*n)++];
		f->path = xstrdup((const char *)sqlite3_column_text(s, 0));
		f->slug = xstrdup((const char *)sqlite3_column_text(s, 4));
		f->size = sqlite3_column_int64(s, 1);
		f->mtime = sqlite3_column_int64(s, 2);
		snprintf(f->sha, sizeof f->sha, "%s", (const char *)sqlite3_column_text(s, 3));
	}
	sqlite3_reset(s);
	return v;
}

/* Handles one file (name in the folder dfd; path as the index records it): unchanged,
 * re-indexed or refused. Returns KX_EDB only on database failure. */
static int index_file(struct kb *kb, int dfd, const char *path, const char *name,
		      const struct file_state *old, struct kb_index_report *rep, FILE *errlog)
{
	struct stat st;
#ifdef _WIN32
	(void)dfd;   /* no fstatat in the Windows C runtime */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
#else
	if (fstatat(dfd, name, &st, 0) != 0 || !S_ISREG(st.st_mode)) {
#endif
		if (errlog)
			fprintf(errlog, "%s: cannot read article\n", path);
		rep->errors++;
		return 0;
	}
	long long mtime = (long long)st.st_mtime;
	if (old && old->size == (long long)st.st_size && old->mtime == mtime) {
		rep->unchanged++;
		return 0;
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
	if (old && strcmp(sha, old->sha) == 0) {
		sqlite3_stmt *s = stmt(kb, ST_TOUCH);
		bind_text(s, 1, path);
		sqlite3_bind_int64(s, 2, (long long)len);
		sqlite3_bind_int64(s, 3, mtime);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : KX_EDB;
		rep->unchanged++;
	} else {
		/* Segments are merged once at the end of a run that changes articles, not again
		 * and again while it adds them. */
		if (!kb->merging_off) {
			sqlite3_exec(kb->db.conn, "INSERT INTO articles_fts(articles_fts, rank)"
				     " VALUES('automerge', 0)", NULL, NULL, NULL);
			kb->merging_off = true;
		}
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
	if (n)
		qsort(paths, n, sizeof *paths, cmp_str);

	db_lock(&kb->db);
	/* One transaction for the whole run: its pages stay in the cache (256 MiB at most while
	 * indexing) instead of being read back from the write-ahead log for every article. */
	sqlite3_exec(kb->db.conn, "PRAGMA cache_size = -262144", NULL, NULL, NULL);
	int rc = exec_simple(kb, ST_BEGIN);
	kb->merging_off = false;
	size_t nstates = 0;
	struct file_state *states = rc == 0 ? file_states(kb, &nstates) : NULL;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = index_file(kb, KB_DIRFD(d), paths[i], strrchr(paths[i], '/') + 1,
				nstates ? bsearch(paths[i], states, nstates, sizeof *states,
						  cmp_state) : NULL, rep, errlog);
	closedir(d);

	/* Rows whose file is gone: the states read before the run whose path is no longer in the
	 * folder (the run only ever replaces the row of the file it indexes). */
	for (size_t i = 0; rc == 0 && i < nstates; i++) {
		const char *p = states[i].path, *slug = states[i].slug;
		if (n && bsearch(&p, paths, n, sizeof *paths, cmp_str))
			continue;
		sqlite3_stmt *s = stmt(kb, ST_DELETE_FTS);
		bind_text(s, 1, slug);
		bind_text(s, 2, p);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = KX_EDB;
		s = stmt(kb, ST_DELETE_TAGS);
		bind_text(s, 1, slug);
		bind_text(s, 2, p);
		if (rc == 0 && sqlite3_step(s) != SQLITE_DONE)
			rc = KX_EDB;
		s = stmt(kb, ST_DELETE_ARTICLE);
		bind_text(s, 1, p);
		bind_text(s, 2, slug);
		if (rc == 0 && sqlite3_step(s) != SQLITE_DONE)
			rc = KX_EDB;
		rep->removed++;
	}
	for (size_t i = 0; i < nstates; i++) {
		free(states[i].path);
		free(states[i].slug);
	}
	free(states);
	/* A run that changed nothing writes nothing (no fsync at every start of the server). */
	if (kb->merging_off)
		sqlite3_exec(kb->db.conn, "INSERT INTO articles_fts(articles_fts, rank)"
			     " VALUES('automerge', 4)", NULL, NULL, NULL);
	if (rc == 0 && rep->indexed + rep->removed > 0 && exec_simple(kb, ST_COUNT_SET) != 0)
		rc = KX_EDB;
	/* After a bulk run, one merge into a single segment (searches read one); a few changed
	 * articles are left to FTS5's own merging, which costs them next to nothing. */
	if (rc == 0 && rep->indexed + rep->removed >= 64 &&
	    sqlite3_exec(kb->db.conn, "INSERT INTO articles_fts(articles_fts) VALUES('optimize')",
			 NULL, NULL, NULL) != SQLITE_OK)
		rc = KX_EDB;
	if (rc == 0)
		rc = exec_simple(kb, ST_COMMIT);
	if (rc)
		exec_simple(kb, ST_ROLLBACK);
	kb->stale = true;  /* this connection's own changes do not move data_version */
	kb->gen++;
	sqlite3_exec(kb->db.conn, "PRAGMA cache_size = -2000", NULL, NULL, NULL);
	db_unlock(&kb->db);

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

int kb_fts_query(const char *query, bool any, bool prefix, struct buf *out)
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
		if (words >= KB_QUERY_WORDS)
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
			rc = buf_adds(out, prefix ? "\"*" : "\"");
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

/* ---- snippets ---- */

/* Words too common to be worth a highlight. */
static bool stop_word(const char *w, size_t n)
{
	static const char *const stop[] = { "the", "and", "for", "with", "that", "this", "from",
					     "are", "was", "not", "you", "your", "its", "can",
					     "but", "has", "have", "into", "what", "when" };
	if (n < 3)
		return true;
	for (size_t i = 0; i < sizeof stop / sizeof stop[0]; i++)
		if (strlen(stop[i]) == n && !strncasecmp(stop[i], w, n))
			return true;
	return false;
}

struct terms {
	int n;
	const char *w[KB_QUERY_WORDS];
	size_t len[KB_QUERY_WORDS];   /* the part that must match the start of a word */
};

/* The query's words worth highlighting; each matches the words it starts (a stem's share:
 * "profiles" marks "profile" too, as the index's stemming finds it). */
static void terms_of(const char *query, struct terms *t)
{
	t->n = 0;
	const unsigned char *p = (const unsigned char *)query;
	while (*p && t->n < KB_QUERY_WORDS) {
		while (*p && !word_byte(*p))
			p++;
		const unsigned char *start = p;
		while (*p && word_byte(*p))
			p++;
		size_t n = (size_t)(p - start);
		if (!n || stop_word((const char *)start, n))
			continue;
		t->w[t->n] = (const char *)start;
		t->len[t->n] = n <= 4 ? n : (n - 3 > 4 ? n - 3 : 4);
		t->n++;
	}
}

/* Which term the word at w (n bytes) starts with, or -1. */
static int term_at(const struct terms *t, const char *w, size_t n)
{
	for (int i = 0; i < t->n; i++)
		if (n >= t->len[i] && !strncasecmp(w, t->w[i], t->len[i]))
			return i;
	return -1;
}

#define SNIPPET_WORDS 28
#define SNIPPET_MATCHES 512
#define SNIPPET_SCAN_MAX (64u << 10)   /* bytes looked through for a first match */

/* Whether the last matches, within one window, hold every term. */
static bool all_terms(const struct terms *t, const int *mw, const int *mt, int nm)
{
	unsigned seen = 0;
	for (int j = nm - 1; j >= 0 && mw[j] > mw[nm - 1] - SNIPPET_WORDS + 4; j--)
		seen |= 1u << mt[j];
	return seen == (t->n >= 32 ? ~0u : (1u << t->n) - 1);
}

/*
 * A short passage of text around the query's words, with \1 and \2 around each match: the
 * window of SNIPPET_WORDS words holding the most different terms (the earliest of equals), else
 * the beginning. Plain C over the stored text: no tokenizer runs again at search time.
 */
static char *make_snippet(const char *text, const struct terms *t)
{
	/* The words' offsets, and which of them match. */
	size_t cap = 256, nw = 0;
	size_t *start = xmalloc(cap * sizeof *start), *end = xmalloc(cap * sizeof *end);
	int mw[SNIPPET_MATCHES], mt[SNIPPET_MATCHES], nm = 0;
	for (size_t i = 0; text[i]; ) {
		while (text[i] && !word_byte((unsigned char)text[i]))
			i++;
		if (!text[i])
			break;
		size_t b = i;
		while (text[i] && word_byte((unsigned char)text[i]))
			i++;
		if (nw == cap) {
			cap *= 2;
			start = xrealloc(start, cap * sizeof *start);
			end = xrealloc(end, cap * sizeof *end);
		}
		start[nw] = b;
		end[nw] = i;
		int term = term_at(t, text + b, i - b);
		if (term >= 0 && nm < SNIPPET_MATCHES) {
			mw[nm] = (int)nw;
			mt[nm++] = term;
		}
		nw++;
		/* Enough text once a window holds every term, or past the first matches' reach:
		 * the rest of a long article cannot make a better snippet. */
		if (nm && (int)nw > mw[nm - 1] + SNIPPET_WORDS && all_terms(t, mw, mt, nm))
			break;
		if (!nm && i > SNIPPET_SCAN_MAX)
			break;
	}
	size_t first = 0;
	int best = 0;
	for (int i = 0, j = 0; i < nm; i++) {
		unsigned seen = 0;
		int distinct = 0;
		for (j = i; j < nm && mw[j] < mw[i] + SNIPPET_WORDS - 4; j++)
			if (!(seen & (1u << mt[j]))) {
				seen |= 1u << mt[j];
				distinct++;
			}
		if (distinct > best) {
			best = distinct;
			first = mw[i] > 4 ? (size_t)mw[i] - 4 : 0;
		}
	}
	size_t last = first + SNIPPET_WORDS < nw ? first + SNIPPET_WORDS : nw;
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	if (first > 0)
		buf_adds(&b, "…");
	for (size_t w = first; w < last; w++) {
		if (w > first)
			buf_add(&b, text + end[w - 1], start[w] - end[w - 1]);
		bool hit = term_at(t, text + start[w], end[w] - start[w]) >= 0;
		if (hit)
			buf_addch(&b, '\1');
		buf_add(&b, text + start[w], end[w] - start[w]);
		if (hit)
			buf_addch(&b, '\2');
	}
	if (last < nw)
		buf_adds(&b, "…");
	free(start);
	free(end);
	return buf_take(&b, NULL);
}

/* ---- the search and its cache ---- */

static int run_search(struct kb *kb, const char *expr, const struct terms *t, int limit,
		      int offset, cJSON *results, bool *more)
{
	sqlite3_stmt *s = stmt(kb, ST_SEARCH);
	bind_text(s, 1, expr);
	sqlite3_bind_int(s, 2, limit + 1);
	sqlite3_bind_int(s, 3, offset);
	int rc, n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (++n > limit) {
			*more = true;
			rc = SQLITE_DONE;
			break;
		}
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "slug", (const char *)sqlite3_column_text(s, 0));
		cJSON_AddStringToObject(r, "title", (const char *)sqlite3_column_text(s, 1));
		cJSON_AddNumberToObject(r, "score", sqlite3_column_double(s, 2));
		sqlite3_stmt *body = stmt(kb, ST_BODY);
		sqlite3_bind_int64(body, 1, sqlite3_column_int64(s, 3));
		const char *text = sqlite3_step(body) == SQLITE_ROW ?
				   (const char *)sqlite3_column_text(body, 0) : NULL;
		char *marked = make_snippet(text ? text : "", t);
		sqlite3_reset(body);
		char *snip = snippet_html(marked);
		free(marked);
		cJSON_AddStringToObject(r, "snippet", snip);
		free(snip);
		cJSON_AddItemToArray(results, r);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : KX_EDB;
}

/*
 * The search cache (with the kb's lock held): answers for the last KB_CACHE queries, dropped
 * when the index changes (this connection's kb_index, or another process's, which SQLite's
 * data_version shows).
 */
static void cache_check(struct kb *kb)
{
	sqlite3_stmt *s = stmt(kb, ST_DATA_VERSION);
	long long v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_reset(s);
	if (v == kb->data_version && !kb->stale)
		return;
	for (int i = 0; i < KB_CACHE; i++) {
		free(kb->cache[i].key);
		cJSON_Delete(kb->cache[i].results);
		memset(&kb->cache[i], 0, sizeof kb->cache[i]);
	}
	kb->data_version = v;
	kb->stale = false;
}

cJSON *kb_search_page(struct kb *kb, const char *query, int limit, int offset,
		      const char **mode, bool *more)
{
	*mode = "none";
	*more = false;
	if (limit < 1)
		limit = 1;
	if (limit > 100)
		limit = 100;
	if (offset < 0)
		offset = 0;
	if (offset > KB_SEARCH_OFFSET_MAX)
		offset = KB_SEARCH_OFFSET_MAX;
	struct buf key;
	buf_init(&key, BUF_NOMAX);
	buf_addf(&key, "%d/%d/%s", limit, offset, query);
	db_lock(&kb->db);
	if (kb->cache_on) {
		cache_check(kb);
		for (int i = 0; i < KB_CACHE; i++) {
			struct cached *c = &kb->cache[i];
			if (!c->key || strcmp(c->key, buf_cstr(&key)))
				continue;
			cJSON *r = cJSON_Duplicate(c->results, 1);
			*mode = c->mode;
			*more = c->more;
			db_unlock(&kb->db);
			buf_release(&key);
			return r;
		}
	}
	cJSON *results = cJSON_CreateArray();
	struct buf all, prefix, any;
	buf_init(&all, 4096);
	buf_init(&prefix, 4096);
	buf_init(&any, 4096);
	struct terms t;
	terms_of(query, &t);
	int words = kb_fts_query(query, false, false, &all);
	int rc = 0;
	/* Every word as the index stems it; else every word as the start of one; else any. */
	if (words > 0 && kb_fts_query(query, false, true, &prefix) > 0 &&
	    kb_fts_query(query, true, false, &any) > 0) {
		rc = run_search(kb, buf_cstr(&all), &t, limit, offset, results, more);
		*mode = "all";
		if (rc == 0 && cJSON_GetArraySize(results) == 0 && offset == 0) {
			rc = run_search(kb, buf_cstr(&prefix), &t, limit, offset, results, more);
			*mode = "prefix";
		}
		if (rc == 0 && cJSON_GetArraySize(results) == 0 && words > 1 && offset == 0) {
			rc = run_search(kb, buf_cstr(&any), &t, limit, offset, results, more);
			*mode = "any";
		}
		if (rc == 0 && cJSON_GetArraySize(results) == 0)
			*mode = "none";
	}
	if (rc == 0 && kb->cache_on) {
		struct cached *c = &kb->cache[kb->next_slot];
		kb->next_slot = (kb->next_slot + 1) % KB_CACHE;
		free(c->key);
		cJSON_Delete(c->results);
		c->key = buf_take(&key, NULL);
		c->results = cJSON_Duplicate(results, 1);
		c->mode = *mode;
		c->more = *more;
	}
	db_unlock(&kb->db);
	buf_release(&key);
	buf_release(&all);
	buf_release(&prefix);
	buf_release(&any);
	if (rc) {
		cJSON_Delete(results);
		return NULL;
	}
	return results;
}

cJSON *kb_search(struct kb *kb, const char *query, int limit)
{
	const char *mode;
	bool more;
	return kb_search_page(kb, query, limit, 0, &mode, &more);
}

void kb_search_cache(struct kb *kb, bool on)
{
	db_lock(&kb->db);
	kb->cache_on = on;
	kb->stale = true;
	cache_check(kb);
	db_unlock(&kb->db);
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

/* One row of a list statement (slug, title, updated, tags) as an object. */
static cJSON *list_row(sqlite3_stmt *s)
{
	cJSON *a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "slug", (const char *)sqlite3_column_text(s, 0));
	cJSON_AddStringToObject(a, "title", (const char *)sqlite3_column_text(s, 1));
	cJSON_AddStringToObject(a, "updated", (const char *)sqlite3_column_text(s, 2));
	add_parsed(a, "tags", sqlite3_column_text(s, 3));
	return a;
}

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned long long kb_generation(struct kb *kb)
{
	db_lock(&kb->db);
	/* Another process's kb index shows in SQLite's data_version: looked at 4 times a second
	 * at most, so that a cached page costs no database call. */
	double now = mono_now();
	if (now - kb->gen_checked > 0.25) {
		sqlite3_stmt *s = stmt(kb, ST_DATA_VERSION);
		long long v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
		sqlite3_reset(s);
		if (v != kb->gen_data_version)
			kb->gen++;
		kb->gen_data_version = v;
		kb->gen_checked = now;
	}
	unsigned long long g = kb->gen;
	db_unlock(&kb->db);
	return g;
}

long long kb_vm_steps(struct kb *kb)
{
	long long n = 0;
	db_lock(&kb->db);
	for (int i = 0; i < kb->db.n; i++)
		if (kb->db.st[i])
			n += sqlite3_stmt_status(kb->db.st[i], SQLITE_STMTSTATUS_VM_STEP, 1);
	db_unlock(&kb->db);
	return n;
}

int kb_count(struct kb *kb)
{
	db_lock(&kb->db);
	sqlite3_stmt *s = stmt(kb, ST_COUNT);
	int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_reset(s);
	db_unlock(&kb->db);
	return n;
}

cJSON *kb_recent(struct kb *kb, int limit)
{
	cJSON *list = cJSON_CreateArray();
	db_lock(&kb->db);
	sqlite3_stmt *s = stmt(kb, ST_RECENT);
	sqlite3_bind_int(s, 1, limit);
	while (sqlite3_step(s) == SQLITE_ROW)
		cJSON_AddItemToArray(list, list_row(s));
	sqlite3_reset(s);
	db_unlock(&kb->db);
	return list;
}

cJSON *kb_page(struct kb *kb, const char *tag, const char *after, const char *before, int limit,
	       bool *more_before, bool *more_after)
{
	*more_before = *more_after = false;
	if (limit < 1)
		limit = 1;
	if (limit > 200)
		limit = 200;
	cJSON *list = cJSON_CreateArray();
	db_lock(&kb->db);
	/* The cursor is an article's slug; its title places it in the order. */
	const char *cursor = before ? before : after;
	char title[1024] = "";
	bool backward = before != NULL;
	if (cursor) {
		sqlite3_stmt *c = stmt(kb, ST_CURSOR);
		bind_text(c, 1, cursor);
		if (sqlite3_step(c) == SQLITE_ROW)
			snprintf(title, sizeof title, "%s", (const char *)sqlite3_column_text(c, 0));
		else
			cursor = NULL, backward = false;  /* a cursor that is gone: the first page */
		sqlite3_reset(c);
	}
	sqlite3_stmt *s = stmt(kb, tag ? (backward ? ST_TAG_BEFORE : ST_TAG_AFTER)
				       : (backward ? ST_PAGE_BEFORE : ST_PAGE_AFTER));
	bind_text(s, 1, cursor ? title : "");
	bind_text(s, 2, cursor ? cursor : "");
	sqlite3_bind_int(s, 3, limit + 1);
	if (tag)
		bind_text(s, 4, tag);
	int n = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (++n > limit)
			break;
		if (backward)
			cJSON_InsertItemInArray(list, 0, list_row(s));
		else
			cJSON_AddItemToArray(list, list_row(s));
	}
	sqlite3_reset(s);
	db_unlock(&kb->db);
	/* One row past the page says there is another page that way; the way we came from has
	 * one when we came by a cursor. */
	if (backward) {
		*more_before = n > limit;
		*more_after = true;
	} else {
		*more_after = n > limit;
		*more_before = cursor != NULL;
	}
	return list;
}

cJSON *kb_tagged(struct kb *kb, const char *tag, int limit, bool *more)
{
	bool before;
	return kb_page(kb, tag, NULL, NULL, limit, &before, more);
}

/*
 * Related articles by shared tags, bounded: for each of the article's tags, at most
 * RELATED_SCAN articles of that tag (in title order) are looked at, however large the KB.
 */
#define RELATED_SCAN 40
#define RELATED_TAGS 8

cJSON *kb_related(struct kb *kb, const char *slug, const cJSON *tags, int max)
{
	cJSON *seen = cJSON_CreateObject();   /* slug -> [title, shared] */
	cJSON *order = cJSON_CreateArray();   /* slugs in the order first met */
	const cJSON *t;
	int ntags = 0;
	db_lock(&kb->db);
	cJSON_ArrayForEach(t, tags) {
		if (!cJSON_IsString(t) || ++ntags > RELATED_TAGS)
			continue;
		sqlite3_stmt *s = stmt(kb, ST_TAG_AFTER);
		bind_text(s, 1, "");
		bind_text(s, 2, "");
		sqlite3_bind_int(s, 3, RELATED_SCAN);
		bind_text(s, 4, t->valuestring);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *os = (const char *)sqlite3_column_text(s, 0);
			if (!strcmp(os, slug))
				continue;
			cJSON *e = cJSON_GetObjectItemCaseSensitive(seen, os);
			if (e) {
				cJSON *n = cJSON_GetArrayItem(e, 1);
				cJSON_SetNumberValue(n, n->valuedouble + 1);
				continue;
			}
			e = cJSON_CreateArray();
			cJSON_AddItemToArray(e, cJSON_CreateString(
				(const char *)sqlite3_column_text(s, 1)));
			cJSON_AddItemToArray(e, cJSON_CreateNumber(1));
			cJSON_AddItemToObject(seen, os, e);
			cJSON_AddItemToArray(order, cJSON_CreateString(os));
		}
		sqlite3_reset(s);
	}
	db_unlock(&kb->db);
	/* Most shared tags first; among equals, the order met (title order within a tag). */
	cJSON *out = cJSON_CreateArray();
	for (int want = ntags; want >= 1 && cJSON_GetArraySize(out) < max; want--) {
		const cJSON *o;
		cJSON_ArrayForEach(o, order) {
			if (cJSON_GetArraySize(out) >= max)
				break;
			const cJSON *e = cJSON_GetObjectItemCaseSensitive(seen, o->valuestring);
			if ((int)cJSON_GetArrayItem(e, 1)->valuedouble != want)
				continue;
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "slug", o->valuestring);
			cJSON_AddStringToObject(x, "title", cJSON_GetArrayItem(e, 0)->valuestring);
			cJSON_AddItemToArray(out, x);
		}
	}
	cJSON_Delete(seen);
	cJSON_Delete(order);
	return out;
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
	kb->gen++;
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
