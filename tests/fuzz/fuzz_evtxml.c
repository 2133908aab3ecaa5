/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the scan's event reader: the input is one event as Windows renders it (XML). Parse
 * it, read every field back, classify it and describe it. No input may crash, read out of
 * bounds or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_event *ev = xmalloc(sizeof *ev);
	char err[256];
	if (scan_evt_parse((const char *)data, size, ev, err, sizeof err) == 0) {
		for (int i = -1; i <= ev->ndata; i++)
			(void)scan_evt_get(ev, i >= 0 && i < ev->ndata ? ev->data[i].name : NULL, i);
		struct scan_evt_fact f;
		scan_evt_classify(ev, "Kerio Outlook Connector", &f);
		struct buf b;
		buf_init(&b, 1u << 20);
		scan_evt_describe(&f, &b);
		buf_release(&b);
	}
	free(ev);
	return 0;
}
