/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_PAGES_H
#define KOFFIX_PAGES_H

/*
 * Template contexts of the help pages, shared by the server and the static-site export so that
 * both show the same thing. Each returns a new cJSON object the caller owns; the common page
 * keys (http_page_keys) are added by the caller.
 */

#include <cjson/cJSON.h>

struct kb;

/* Home: "symptoms" (each with a few of its articles and "more"), "recent" (the newest
 * articles) and "article_count". */
cJSON *page_home(struct kb *kb, const cJSON *symptoms);

/* A page of the article list (of tag when not NULL), after or before an article's slug:
 * "articles", "article_count", "tag", and "prev" / "next" (the cursors of the pages that way,
 * when there are). */
cJSON *page_list(struct kb *kb, const char *tag, const char *after, const char *before);

/* The whole list on one page, for the static export (a file, not a request). */
cJSON *page_list_all(struct kb *kb);

/*
 * An article page from kb_get()'s object (ownership taken): "article" with has_toc, toc entries
 * marked sub, related [{slug,title}] (the front matter's, else articles sharing a tag) and
 * sources [{text,url?}] (url only for http and https links).
 */
cJSON *page_article(struct kb *kb, cJSON *article);

/* Symptom groups (a few articles each, "more" when there are others) for the home page and
 * the "no results" help. */
cJSON *page_symptom_groups(struct kb *kb, const cJSON *symptoms);

#endif
