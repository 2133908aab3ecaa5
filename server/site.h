/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_SITE_H
#define KOFFIX_SITE_H

/*
 * `koffix kb export-site DIR`: the KB as static files any web server can host: index.html,
 * articles.html, kb/<slug>.html and static/. Pages need no JavaScript and no server (no search
 * box, no votes); links are relative so the folder works from any URL prefix or from disk.
 * Every file is written atomically.
 */

struct app;

/* Writes the site into dir (created when missing). 0, or a kx_err with a message on stderr. */
int site_export(struct app *app, const char *dir);

#endif
