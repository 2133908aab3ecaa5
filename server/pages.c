/* SPDX-License-Identifier: MIT */
#include "pages.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../kb/kb.h"

/* A table of contents helps only on longer articles. */
#define TOC_MIN_ENTRIES 3
#define RELATED_MAX 5
/* What a page shows at most: its cost does not grow with the size of the KB. */
#define GROUP_MAX 6       /* articles per symptom group */
#define RECENT_MAX 8      /* recently updated, on the home page */
#define PAGE_SIZE 50      /* articles per page of the list */

cJSON *page_symptom_groups(struct kb *kb, const cJSON *symptoms)
{
	cJSON *groups = cJSON_CreateArray();
	const cJSON *s;
	cJSON_ArrayForEach(s, symptoms) {
		const cJSON *tag = cJSON_GetObjectItemCaseSensitive(s, "tag");
		if (!cJSON_IsString(tag))
			continue;
		cJSON *g = cJSON_Duplicate(s, true);
		/* A few articles per symptom, and a link to the rest: never the whole KB. */
		bool more;
		cJSON *list = kb_tagged(kb, tag->valuestring, GROUP_MAX, &more);
		cJSON *arts = cJSON_AddArrayToObject(g, "articles");
		const cJSON *a;
		cJSON_ArrayForEach(a, list) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddItemToObject(e, "slug", cJSON_Duplicate(
				cJSON_GetObjectItemCaseSensitive(a, "slug"), false));
			cJSON_AddItemToObject(e, "title", cJSON_Duplicate(
				cJSON_GetObjectItemCaseSensitive(a, "title"), false));
			cJSON_AddItemToArray(arts, e);
		}
		cJSON_Delete(list);
		cJSON_AddBoolToObject(g, "more", more);
		/* The one article to start with (symptoms.json "start"), when it exists. */
		const cJSON *start = cJSON_GetObjectItemCaseSensitive(s, "start");
		if (cJSON_IsString(start)) {
			cJSON *one = cJSON_CreateArray();
			cJSON_AddItemToArray(one, cJSON_CreateString(start->valuestring));
			cJSON *t = kb_titles(kb, one);
			cJSON_DeleteItemFromObjectCaseSensitive(g, "start");
			if (cJSON_GetArraySize(t))
				cJSON_AddItemToObject(g, "start", cJSON_DetachItemFromArray(t, 0));
			cJSON_Delete(t);
			cJSON_Delete(one);
		}
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(g, "summary")))
			cJSON_AddStringToObject(g, "summary", "");
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(g, "title")))
			cJSON_AddStringToObject(g, "title", tag->valuestring);
		cJSON_AddItemToArray(groups, g);
	}
	return groups;
}

cJSON *page_home(struct kb *kb, const cJSON *symptoms)
{
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddItemToObject(ctx, "symptoms", page_symptom_groups(kb, symptoms));
	cJSON_AddItemToObject(ctx, "recent", kb_recent(kb, RECENT_MAX));
	cJSON_AddNumberToObject(ctx, "article_count", kb_count(kb));
	cJSON_AddStringToObject(ctx, "wizard_intro",
				"Answer a few questions about your PC and Outlook; koffix suggests "
				"the articles and repairs that fit.");
	return ctx;
}

cJSON *page_list(struct kb *kb, const char *tag, const char *after, const char *before)
{
	cJSON *ctx = cJSON_CreateObject();
	bool more_before, more_after;
	cJSON *list = kb_page(kb, tag, after, before, PAGE_SIZE, &more_before, &more_after);
	int n = cJSON_GetArraySize(list);
	cJSON_AddNumberToObject(ctx, "article_count", kb_count(kb));
	if (tag)
		cJSON_AddStringToObject(ctx, "tag", tag);
	if (n && more_before)
		cJSON_AddItemToObject(ctx, "prev", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetArrayItem(list, 0), "slug"), false));
	if (n && more_after)
		cJSON_AddItemToObject(ctx, "next", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetArrayItem(list, n - 1), "slug"), false));
	cJSON_AddItemToObject(ctx, "articles", list);
	return ctx;
}

cJSON *page_list_all(struct kb *kb)
{
	cJSON *ctx = cJSON_CreateObject();
	cJSON *list = kb_list(kb);
	cJSON_AddNumberToObject(ctx, "article_count", cJSON_GetArraySize(list));
	cJSON_AddItemToObject(ctx, "articles", list);
	return ctx;
}

cJSON *page_article(struct kb *kb, cJSON *article)
{
	cJSON *toc = cJSON_GetObjectItemCaseSensitive(article, "toc");
	cJSON *e;
	cJSON_ArrayForEach(e, toc) {
		const cJSON *level = cJSON_GetObjectItemCaseSensitive(e, "level");
		cJSON_AddBoolToObject(e, "sub", cJSON_IsNumber(level) && level->valuedouble > 2);
	}
	cJSON_AddBoolToObject(article, "has_toc", cJSON_GetArraySize(toc) >= TOC_MIN_ENTRIES);

	/* The article's Quick fix (its first blockquote, kb/articles' convention) goes above the
	 * table of contents: the first thing a reader sees is what to do. */
	cJSON *html = cJSON_GetObjectItemCaseSensitive(article, "html");
	static const char quick[] = "<blockquote>\n<p><strong>Quick fix:</strong>";
	const char *end = cJSON_IsString(html) && kx_str_starts(html->valuestring, quick) ?
			  strstr(html->valuestring, "</blockquote>\n") : NULL;
	if (end) {
		end += strlen("</blockquote>\n");
		char *box = xstrndup(html->valuestring, (size_t)(end - html->valuestring));
		char *rest = xstrdup(end);
		cJSON_AddStringToObject(article, "quick_fix", box);
		cJSON_SetValuestring(html, rest);
		free(box);
		free(rest);
	}

	cJSON *related = kb_titles(kb, cJSON_GetObjectItemCaseSensitive(article, "related"));
	if (cJSON_GetArraySize(related) == 0) {
		cJSON_Delete(related);
		related = kb_related(kb, cJSON_GetObjectItemCaseSensitive(article, "slug")->valuestring,
				     cJSON_GetObjectItemCaseSensitive(article, "tags"), RELATED_MAX);
	}
	cJSON_ReplaceItemInObjectCaseSensitive(article, "related", related);

	cJSON *sources = cJSON_CreateArray();
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(article, "sources")) {
		if (!cJSON_IsString(e))
			continue;
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "text", e->valuestring);
		if (kx_str_starts(e->valuestring, "https://") || kx_str_starts(e->valuestring, "http://"))
			cJSON_AddStringToObject(s, "url", e->valuestring);
		cJSON_AddItemToArray(sources, s);
	}
	cJSON_ReplaceItemInObjectCaseSensitive(article, "sources", sources);

	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddItemToObject(ctx, "article", article);
	return ctx;
}
