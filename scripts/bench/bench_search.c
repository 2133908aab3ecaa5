/* SPDX-License-Identifier: MIT */
/*
 * Search speed: koffix's kb_search (query conversion, FTS5 with bm25, safe snippets, JSON)
 * against the bare FTS5 query on the same database, in one process. Prints microseconds per
 * query for both and their ratio. Usage: bench_search DB ROUNDS
 */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../common/buf.h"
#include "../../kb/kb.h"

static const char *const queries[] = { "KofMsp32", "appwiz", "MAPISVC", "profile rebuild",
				       "antivirus exclusions", "loading profile" };
#define NQ (sizeof queries / sizeof queries[0])

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 64;
	int rounds = atoi(argv[2]);
	char err[256];
	struct kb *kb = kb_open(argv[1], err, sizeof err);
	sqlite3 *db;
	sqlite3_stmt *st;
	if (!kb || sqlite3_open(argv[1], &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT slug, title, snippet(articles_fts, 3, char(1), char(2), "
			       "'…', 24) FROM articles_fts WHERE articles_fts MATCH ?1 ORDER BY "
			       "bm25(articles_fts) LIMIT 10", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_search: cannot open '%s'\n", argv[1]);
		return 1;
	}
	const char *expr[NQ];
	struct buf bufs[NQ];
	for (size_t i = 0; i < NQ; i++) {
		buf_init(&bufs[i], 4096);
		kb_fts_query(queries[i], false, &bufs[i]);
		expr[i] = buf_cstr(&bufs[i]);
	}
	long rows = 0;
	double t0 = now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < NQ; i++) {
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, expr[i], -1, SQLITE_STATIC);
			while (sqlite3_step(st) == SQLITE_ROW)
				rows++;
		}
	double direct = (now() - t0) / (rounds * (double)NQ) * 1e6;
	t0 = now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < NQ; i++)
			cJSON_Delete(kb_search(kb, queries[i], 10));
	double ours = (now() - t0) / (rounds * (double)NQ) * 1e6;
	printf("search  koffix kb_search %.1f us/query, direct FTS5 %.1f us/query, ratio %.2f "
	       "(%ld rows)\n", ours, direct, ours / direct, rows / rounds);
	for (size_t i = 0; i < NQ; i++)
		buf_release(&bufs[i]);
	sqlite3_finalize(st);
	sqlite3_close(db);
	kb_close(kb);
	return 0;
}
