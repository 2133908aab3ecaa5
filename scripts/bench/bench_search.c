/* SPDX-License-Identifier: MIT */
/*
 * Search speed in one process: koffix's kb_search_page (query conversion, FTS5 ranked by
 * bm25, snippets, JSON), without its cache and with it, against the bare FTS5 query answering
 * the same expressions with the same ranking (the rank the schema sets), FTS5's own snippets
 * and the same limit, on the same database. Prints p50 and p99 in microseconds for each and
 * the ratios. Usage: bench_search DB ROUNDS
 */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../common/buf.h"
#include "../../kb/kb.h"

static const char *const queries[] = { "KofMsp32", "appwiz", "MAPISVC", "profile rebuild",
				       "antivirus exclusions", "loading profile",
				       "outlook profile", "sync calendar" };
#define NQ (sizeof queries / sizeof queries[0])
#define LIMIT 10

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof *t, cmp);
	printf("%-32s p50 %8.1f us  p99 %8.1f us\n", what, t[n / 2] * 1e6, t[n * 99 / 100] * 1e6);
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
			       "'…', 24), -rank FROM articles_fts WHERE articles_fts MATCH ?1 "
			       "ORDER BY rank LIMIT ?2", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_search: cannot open '%s'\n", argv[1]);
		return 1;
	}
	const char *expr[NQ];
	struct buf bufs[NQ];
	for (size_t i = 0; i < NQ; i++) {
		buf_init(&bufs[i], 4096);
		kb_fts_query(queries[i], false, false, &bufs[i]);
		expr[i] = buf_cstr(&bufs[i]);
	}
	int n = rounds * (int)NQ;
	double *bare = malloc((size_t)n * sizeof *bare), *ours = malloc((size_t)n * sizeof *ours);
	double *cached = malloc((size_t)n * sizeof *cached);
	long rows = 0;
	for (int r = 0, k = 0; r < rounds; r++)
		for (size_t i = 0; i < NQ; i++, k++) {
			double t0 = now();
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, expr[i], -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 2, LIMIT);
			while (sqlite3_step(st) == SQLITE_ROW)
				rows++;
			bare[k] = now() - t0;
		}
	kb_search_cache(kb, false);
	const char *mode;
	bool more;
	for (int r = 0, k = 0; r < rounds; r++)
		for (size_t i = 0; i < NQ; i++, k++) {
			double t0 = now();
			cJSON_Delete(kb_search_page(kb, queries[i], LIMIT, 0, &mode, &more));
			ours[k] = now() - t0;
		}
	kb_search_cache(kb, true);
	for (int r = 0, k = 0; r < rounds; r++)
		for (size_t i = 0; i < NQ; i++, k++) {
			double t0 = now();
			cJSON_Delete(kb_search_page(kb, queries[i], LIMIT, 0, &mode, &more));
			cached[k] = now() - t0;
		}
	printf("search in process, %zu queries x %d rounds, limit %d (%ld rows a round):\n", NQ,
	       rounds, LIMIT, rows / rounds);
	report("  bare FTS5 (rank, snippet())", bare, n);
	report("  koffix kb_search, no cache", ours, n);
	report("  koffix kb_search, cached", cached, n);
	printf("  ratio koffix/bare: p50 %.2f, p99 %.2f (no cache)\n", ours[n / 2] / bare[n / 2],
	       ours[n * 99 / 100] / bare[n * 99 / 100]);
	for (size_t i = 0; i < NQ; i++)
		buf_release(&bufs[i]);
	free(bare);
	free(ours);
	free(cached);
	sqlite3_finalize(st);
	sqlite3_close(db);
	kb_close(kb);
	return 0;
}
