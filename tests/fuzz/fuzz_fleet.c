/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what readiness and the fleet take in: the input's first line holds the targets
 * (office, windows, server separated by spaces, as the command line and /fleet's query give
 * them), the rest is a scan (a file on the share). The targets are parsed; the scan is read as
 * a PC, checked for readiness against the shipped support table, written as text and as one
 * row of CSV. No input may crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../fleet/fleet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cJSON *support;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!support) {
		char *text;
		if (kx_read_file("wizard/data/koff-support.json", 1 << 20, &text, NULL) != 0)
			abort();
		support = cJSON_Parse(text);
		free(text);
	}
	const char *nl = memchr(data, '\n', size);
	size_t head = nl ? (size_t)(nl - (const char *)data) : size;
	char line[256], *f[3] = { NULL, NULL, NULL };
	snprintf(line, sizeof line, "%.*s", (int)(head < 255 ? head : 255), (const char *)data);
	char *save = NULL;
	for (int i = 0; i < 3; i++)
		f[i] = strtok_r(i ? NULL : line, " ", &save);
	struct fleet_targets t;
	char err[300];
	if (fleet_targets_parse(f[0], f[1], f[2], &t, err, sizeof err) != 0)
		memset(&t, 0, sizeof t);
	size_t rest = nl ? size - head - 1 : 0;
	cJSON *scan = cJSON_ParseWithLength(nl ? nl + 1 : "", rest);
	cJSON *rd = fleet_readiness_json(scan, &t, support);
	struct buf out;
	buf_init(&out, 1u << 22);
	fleet_readiness_json_text(rd, &out);
	/* The CSV of a report holding this PC. */
	cJSON *rep = cJSON_CreateObject(), *pcs = cJSON_AddArrayToObject(rep, "pcs");
	cJSON_AddItemToArray(pcs, cJSON_Duplicate(cJSON_GetObjectItem(rd, "pc"), 1));
	fleet_csv(rep, &out);
	buf_release(&out);
	cJSON_Delete(rep);
	cJSON_Delete(rd);
	cJSON_Delete(scan);
	return 0;
}
