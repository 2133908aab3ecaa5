/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_SECURITY_H
#define KOFFIX_SECURITY_H

/*
 * The checks of the security model (docs/architecture.md, "Security"): Host (DNS rebinding), Origin, the launch token
 * and CSRF tokens bound to a cookie. Pure functions over strings so that they are unit-tested
 * without a server.
 */

#include <stdbool.h>
#include <stddef.h>

#define SEC_TOKEN_COOKIE "koffix_token"
#define SEC_CSRF_COOKIE "koffix_csrf"
#define SEC_CSRF_HEADER "X-CSRF-Token"
#define SEC_CSRF_FIELD "csrf_token"

/* true when host (a Host header, may be NULL) names this server: bind_addr, 127.0.0.1,
 * localhost or [::1], with the port (or no port when port is 80). */
bool sec_host_ok(const char *host, const char *bind_addr, unsigned port);

/* true when origin is absent (NULL) or "http://" plus a host that sec_host_ok accepts. */
bool sec_origin_ok(const char *origin, const char *bind_addr, unsigned port);

/* The CSRF token for a cookie value: hex HMAC-SHA256(key, cookie) into out (65 bytes). */
void sec_csrf_token(const char *key, const char *cookie, char out[65]);

/* true when token is the CSRF token for cookie (constant time). */
bool sec_csrf_ok(const char *key, const char *cookie, const char *token);

/* true when an Authorization header carries "Bearer <token>". */
bool sec_bearer_ok(const char *authorization, const char *token);

#endif
