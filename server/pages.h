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

/* Home: "symptoms" (each with its articles, from kb/symptoms.json) and "articles". */
cJSON *page_home(struct kb *kb, const cJSON *symptoms);

/* The article list: "articles". */
cJSON *page_list(struct kb *kb);

/*
 * An article page from kb_get()'s object (ownership taken): "article" with has_toc, toc entries
 * marked sub, related [{slug,title}] (the front matter's, else articles sharing a tag) and
 * sources [{text,url?}] (url only for http and https links).
 */
cJSON *page_article(struct kb *kb, cJSON *article);

/* Symptom groups for the "no results" help (same shape as the home page's). */
cJSON *page_symptom_groups(struct kb *kb, const cJSON *symptoms);

#endif
