/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_FLEET_PAGE_H
#define KOFFIX_FLEET_PAGE_H

/*
 * The fleet report and readiness as pages: GET /fleet (counts, charts drawn as inline SVG,
 * a sortable and filterable table of PCs, all by query parameters so it works without
 * script), GET /fleet.csv (the same PCs), GET /readiness (one PC, from a kept scan). The
 * command line's `fleet report --html` writes the same report as one file.
 */

#include <cjson/cJSON.h>
#include <stddef.h>

#include "../common/buf.h"

struct app;
struct http_req;

/* fleet_report()'s answer as one HTML file with its styles inside (no script). 0, or an error. */
int fleet_page_standalone(struct app *app, const cJSON *report, struct buf *out, char *err,
			  size_t errlen);

int web_fleet_page(struct http_req *r);
int web_fleet_csv(struct http_req *r);
int web_readiness_page(struct http_req *r);
int web_about_page(struct http_req *r);   /* koffix, its folders and the policy */

#endif
