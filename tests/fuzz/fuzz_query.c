/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the search path: the query-to-FTS5 conversion, then a real search of a small index
 * (built once) so that FTS5 itself sees every expression the conversion can make.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../kb/kb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kb *kb;
static char dir[] = "/tmp/koffix-fuzz-query-XXXXXX";

/* The database and its folder go when the process ends (a replay runs this once per file). */
static void cleanup(void)
{
	kb_close(kb);
	static const char *const files[] = { "kb.db", "kb.db-wal", "kb.db-shm" };
	char path[256];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void setup(void)
{
	if (!mkdtemp(dir))
		abort();
	char path[256], db[256], err[256];
	snprintf(path, sizeof path, "%s/a.md", dir);
	const char *art = "---\ntitle: \"KofMsp32\"\nslug: a\nupdated: 2026-11-24\n---\n"
			  "MAPI loads KofMsp32.dll; appwiz.cpl; MAPISVC.INF; é ü 漢字.\n";
	kx_write_file_atomic(path, art, strlen(art));
	snprintf(db, sizeof db, "%s/kb.db", dir);
	kb = kb_open(db, err, sizeof err);
	struct kb_index_report rep;
	if (!kb || kb_index(kb, dir, &rep, NULL) != 0)
		abort();
	unlink(path);
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!kb)
		setup();
	char *q = xstrndup((const char *)data, size > 400 ? 400 : size);
	struct buf b;
	buf_init(&b, 4096);
	kb_fts_query(q, false, true, &b);
	buf_release(&b);
	cJSON *r = kb_search(kb, q, 5);
	if (!r)
		abort(); /* a query must never make FTS5 fail */
	cJSON_Delete(r);
	const char *mode;
	bool more;
	r = kb_search_page(kb, q, 3, 2, &mode, &more);
	if (!r)
		abort();
	cJSON_Delete(r);
	free(q);
	return 0;
}
