/* SPDX-License-Identifier: MIT */
#include "json.h"

const char *kx_json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *kx_json_str_or(const cJSON *o, const char *key, const char *fallback)
{
	const char *s = kx_json_str(o, key);
	return s ? s : fallback;
}

double kx_json_num_or(const cJSON *o, const char *key, double fallback)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}
