/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_JSON_H
#define KOFFIX_JSON_H

/* Small readers of cJSON objects that every module needs, written once. */

#include <cjson/cJSON.h>

/* The string at key of object o, or NULL (no object, no key, not a string). */
const char *kx_json_str(const cJSON *o, const char *key);

/* The same, or fallback. */
const char *kx_json_str_or(const cJSON *o, const char *key, const char *fallback);

/* The number at key of object o, or fallback. */
double kx_json_num_or(const cJSON *o, const char *key, double fallback);

#endif
