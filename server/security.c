/* SPDX-License-Identifier: MIT */
#include "security.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../common/util.h"

static bool host_name_ok(const char *name, size_t len, const char *bind_addr)
{
	static const char *const local[] = { "127.0.0.1", "localhost", "[::1]" };
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
		if (strlen(local[i]) == len && strncasecmp(name, local[i], len) == 0)
			return true;
	return strlen(bind_addr) == len && strncasecmp(name, bind_addr, len) == 0;
}

bool sec_host_ok(const char *host, const char *bind_addr, unsigned port)
{
	if (!host || !*host)
		return false;
	const char *colon = strrchr(host, ':');
	/* "[::1]" alone has colons inside the brackets. */
	if (colon && strchr(host, ']') > colon)
		colon = NULL;
	size_t namelen = colon ? (size_t)(colon - host) : strlen(host);
	if (!host_name_ok(host, namelen, bind_addr))
		return false;
	if (!colon)
		return port == 80;
	char want[16];
	snprintf(want, sizeof want, "%u", port);
	return strcmp(colon + 1, want) == 0;
}

bool sec_origin_ok(const char *origin, const char *bind_addr, unsigned port)
{
	if (!origin)
		return true;
	if (strncmp(origin, "http://", 7) != 0)
		return false;
	return sec_host_ok(origin + 7, bind_addr, port);
}

void sec_csrf_token(const char *key, const char *cookie, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)cookie, strlen(cookie),
	     md, &len);
	for (unsigned int i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

bool sec_csrf_ok(const char *key, const char *cookie, const char *token)
{
	if (!cookie || !token || strlen(cookie) < 32)
		return false;
	char want[65];
	sec_csrf_token(key, cookie, want);
	return kx_str_equal_ct(want, token);
}

bool sec_bearer_ok(const char *authorization, const char *token)
{
	if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
		return false;
	const char *t = authorization + 7;
	while (*t == ' ')
		t++;
	return *token && kx_str_equal_ct(t, token);
}
