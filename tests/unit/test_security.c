/* SPDX-License-Identifier: MIT */
#include "../../server/security.h"
#include "t.h"

int main(void)
{
	static const struct { const char *host; unsigned port; bool ok; } hosts[] = {
		{ "127.0.0.1:8080", 8080, true },
		{ "localhost:8080", 8080, true },
		{ "LOCALHOST:8080", 8080, true },
		{ "[::1]:8080", 8080, true },
		{ "127.0.0.1:8081", 8080, false },
		{ "127.0.0.1", 8080, false },
		{ "127.0.0.1", 80, true },
		{ "evil.example", 8080, false },
		{ "evil.example:8080", 8080, false },
		{ "localhost.evil.example:8080", 8080, false },
		{ "127.0.0.1.nip.io:8080", 8080, false },
		{ "", 8080, false },
		{ NULL, 8080, false },
		{ "127.0.0.1:08080", 8080, false },
	};
	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
		T_CHECK(sec_host_ok(hosts[i].host, "127.0.0.1", hosts[i].port) == hosts[i].ok,
			"host '%s'", hosts[i].host ? hosts[i].host : "(null)");

	static const struct { const char *origin; bool ok; } origins[] = {
		{ NULL, true },
		{ "http://127.0.0.1:8080", true },
		{ "http://localhost:8080", true },
		{ "https://127.0.0.1:8080", false },
		{ "http://evil.example", false },
		{ "null", false },
		{ "", false },
	};
	for (size_t i = 0; i < sizeof origins / sizeof origins[0]; i++)
		T_CHECK(sec_origin_ok(origins[i].origin, "127.0.0.1", 8080) == origins[i].ok,
			"origin '%s'", origins[i].origin ? origins[i].origin : "(null)");

	const char *key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *cookie = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	char tok[65];
	sec_csrf_token(key, cookie, tok);
	T_INT(strlen(tok), 64);
	T_OK(sec_csrf_ok(key, cookie, tok));
	T_OK(!sec_csrf_ok(key, cookie, "0000"));
	T_OK(!sec_csrf_ok(key, NULL, tok));
	T_OK(!sec_csrf_ok(key, cookie, NULL));
	T_OK(!sec_csrf_ok("another key", cookie, tok));
	T_OK(!sec_csrf_ok(key, "short", tok));

	T_OK(sec_bearer_ok("Bearer secret-token", "secret-token"));
	T_OK(sec_bearer_ok("bearer  secret-token", "secret-token"));
	T_OK(!sec_bearer_ok("Bearer wrong", "secret-token"));
	T_OK(!sec_bearer_ok("Basic secret-token", "secret-token"));
	T_OK(!sec_bearer_ok(NULL, "secret-token"));
	T_OK(!sec_bearer_ok("Bearer ", ""));
	return t_done("security");
}
