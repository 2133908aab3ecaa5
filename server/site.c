/* SPDX-License-Identifier: MIT */
#include "site.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/util.h"
#include "../kb/kb.h"
#include "../templates/tpl.h"
#include "../app/app.h"
#include "http.h"
#include "pages.h"

/*
 * Articles link to each other as "/kb/SLUG" (server paths). In the export, the pages are
 * siblings in kb/, so href="/kb/SLUG#x" becomes href="SLUG.html#x".
 */
static void relink(cJSON *article)
{
	cJSON *html = cJSON_GetObjectItemCaseSensitive(article, "html");
	if (!cJSON_IsString(html))
		return;
	static const char from[] = "href=\"/kb/";
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	const char *p = html->valuestring;
	for (const char *hit; (hit = strstr(p, from)); ) {
		buf_add(&b, p, (size_t)(hit - p));
		buf_adds(&b, "href=\"");
		const char *slug = hit + sizeof from - 1;
		size_t n = strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789-");
		buf_add(&b, slug, n);
		if (n)
			buf_adds(&b, ".html");
		p = slug + n;
	}
	buf_adds(&b, p);
	/* Links into the app (the wizard, the scan, the DLL check, a repair) have no page in the
	 * export: their words stay, with where to find them. */
	static const char *const app_paths[] = { "<a href=\"/wizard", "<a href=\"/scan",
						 "<a href=\"/dll-check", "<a href=\"/actions/" };
	for (size_t k = 0; k < sizeof app_paths / sizeof app_paths[0]; k++) {
		struct buf c;
		buf_init(&c, BUF_NOMAX);
		const char *q = buf_cstr(&b), *hit, *gt, *end;
		while ((hit = strstr(q, app_paths[k])) && (gt = strchr(hit, '>')) &&
		       (end = strstr(gt, "</a>"))) {
			buf_add(&c, q, (size_t)(hit - q));
			buf_adds(&c, "<strong>");
			buf_add(&c, gt + 1, (size_t)(end - gt - 1));
			buf_adds(&c, "</strong> (in koffix, on the affected PC)");
			q = end + 4;
		}
		buf_adds(&c, q);
		buf_release(&b);
		b = c;
	}
	char *s = buf_take(&b, NULL);
	cJSON_SetValuestring(html, s);
	free(s);
}

static int render_to(struct app *app, const char *path, const char *tpl, const char *title,
		     const char *root, cJSON *ctx)
{
	struct buf out;
	char err[256];
	buf_init(&out, 16u << 20);
	http_page_keys(ctx, title, "", false, "", true, root);
	int rc = tpl_render(app->tpl, tpl, ctx, &out, err, sizeof err);
	cJSON_Delete(ctx);
	if (rc)
		fprintf(stderr, "koffix: cannot render '%s': %s\n", path, err);
	else if ((rc = kx_write_file_atomic(path, buf_cstr(&out), out.len)) != 0)
		fprintf(stderr, "koffix: cannot write '%s'\n", path);
	buf_release(&out);
	return rc;
}

int site_export(struct app *app, const char *dir)
{
	char path[APP_PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/kb", dir);
	int rc = kx_mkdir_p(path);
	snprintf(path, sizeof path, "%s/static", dir);
	if (rc == 0)
		rc = kx_mkdir_p(path);
	if (rc) {
		fprintf(stderr, "koffix: cannot create '%s'\n", path);
		return rc;
	}
	snprintf(path, sizeof path, "%s/index.html", dir);
	rc = render_to(app, path, "home", "Help", "", page_home(app->kb, app->symptoms));
	snprintf(path, sizeof path, "%s/articles.html", dir);
	if (rc == 0)
		rc = render_to(app, path, "kb_list", "All articles", "", page_list_all(app->kb));

	cJSON *list = kb_list(app->kb);
	const cJSON *e;
	cJSON_ArrayForEach(e, list) {
		if (rc)
			break;
		const char *slug = cJSON_GetObjectItemCaseSensitive(e, "slug")->valuestring;
		cJSON *a = kb_get(app->kb, slug);
		if (!a)
			continue;
		char title[512];
		snprintf(title, sizeof title, "%s",
			 cJSON_GetObjectItemCaseSensitive(a, "title")->valuestring);
		snprintf(path, sizeof path, "%s/kb/%s.html", dir, slug);
		relink(a);
		rc = render_to(app, path, "article", title, "../", page_article(app->kb, a));
	}
	int n = cJSON_GetArraySize(list);
	cJSON_Delete(list);

	for (size_t i = 0; rc == 0 && i < app->nstatic; i++) {
		const struct static_file *f = &app->statics[i];
		snprintf(path, sizeof path, "%s/static/%s", dir, f->name);
		rc = kx_write_file_atomic(path, f->data, f->len);
		if (rc)
			fprintf(stderr, "koffix: cannot write '%s'\n", path);
	}
	if (rc == 0)
		fprintf(stderr, "koffix: exported %d articles to '%s'\n", n, dir);
	return rc;
}
