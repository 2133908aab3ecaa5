/* SPDX-License-Identifier: MIT */
#include "pages.h"

#include <stdbool.h>
#include <string.h>

#include "../common/util.h"
#include "../kb/kb.h"

/* A table of contents helps only on longer articles. */
#define TOC_MIN_ENTRIES 3
#define RELATED_MAX 5

static bool has_tag(const cJSON *article, const char *tag)
{
	const cJSON *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(article, "tags"))
		if (cJSON_IsString(t) && strcmp(t->valuestring, tag) == 0)
			return true;
	return false;
}

cJSON *page_symptom_groups(struct kb *kb, const cJSON *symptoms)
{
	cJSON *list = kb_list(kb);
	cJSON *groups = cJSON_CreateArray();
	const cJSON *s;
	cJSON_ArrayForEach(s, symptoms) {
		const cJSON *tag = cJSON_GetObjectItemCaseSensitive(s, "tag");
		if (!cJSON_IsString(tag))
			continue;
		cJSON *g = cJSON_Duplicate(s, true);
		cJSON *arts = cJSON_AddArrayToObject(g, "articles");
		const cJSON *a;
		cJSON_ArrayForEach(a, list) {
			if (!has_tag(a, tag->valuestring))
				continue;
			cJSON *e = cJSON_CreateObject();
			cJSON_AddItemToObject(e, "slug", cJSON_Duplicate(
				cJSON_GetObjectItemCaseSensitive(a, "slug"), false));
			cJSON_AddItemToObject(e, "title", cJSON_Duplicate(
				cJSON_GetObjectItemCaseSensitive(a, "title"), false));
			cJSON_AddItemToArray(arts, e);
		}
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(g, "summary")))
			cJSON_AddStringToObject(g, "summary", "");
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(g, "title")))
			cJSON_AddStringToObject(g, "title", tag->valuestring);
		cJSON_AddItemToArray(groups, g);
	}
	cJSON_Delete(list);
	return groups;
}

cJSON *page_home(struct kb *kb, const cJSON *symptoms)
{
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddItemToObject(ctx, "symptoms", page_symptom_groups(kb, symptoms));
	cJSON_AddItemToObject(ctx, "articles", kb_list(kb));
	cJSON_AddStringToObject(ctx, "wizard_intro",
				"Answer a few questions about your PC and Outlook; koffix suggests "
				"the articles and repairs that fit.");
	return ctx;
}

cJSON *page_list(struct kb *kb)
{
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddItemToObject(ctx, "articles", kb_list(kb));
	return ctx;
}

/* Articles sharing a tag with a, best overlap first, when the front matter names none. */
static cJSON *related_by_tags(struct kb *kb, const cJSON *a)
{
	cJSON *list = kb_list(kb);
	cJSON *out = cJSON_CreateArray();
	const char *slug = cJSON_GetObjectItemCaseSensitive(a, "slug")->valuestring;
	for (int want = 3; want >= 1 && cJSON_GetArraySize(out) < RELATED_MAX; want--) {
		const cJSON *o;
		cJSON_ArrayForEach(o, list) {
			const char *os = cJSON_GetObjectItemCaseSensitive(o, "slug")->valuestring;
			if (strcmp(os, slug) == 0 || cJSON_GetArraySize(out) >= RELATED_MAX)
				continue;
			int shared = 0;
			const cJSON *t;
			cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(o, "tags"))
				shared += cJSON_IsString(t) && has_tag(a, t->valuestring);
			if (want == 3 ? shared < 3 : shared != want)
				continue;
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "slug", os);
			cJSON_AddItemToObject(e, "title", cJSON_Duplicate(
				cJSON_GetObjectItemCaseSensitive(o, "title"), false));
			cJSON_AddItemToArray(out, e);
		}
	}
	cJSON_Delete(list);
	return out;
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

	cJSON *related = kb_titles(kb, cJSON_GetObjectItemCaseSensitive(article, "related"));
	if (cJSON_GetArraySize(related) == 0) {
		cJSON_Delete(related);
		related = related_by_tags(kb, article);
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
