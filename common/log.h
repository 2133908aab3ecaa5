/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_LOG_H
#define KOFFIX_LOG_H

/*
 * Structured logging on stderr in logfmt: `time=... level=info msg="..." key=value ...`.
 * Values with spaces, quotes or control characters are quoted and escaped, so one event is
 * always one line whatever a request contained. Thread-safe (one write per line).
 */

#include "attr.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the lowest level printed (default LOG_INFO); KOFFIX_LOG=debug|info|warn|error also works. */
void log_set_level(enum log_level level);

/*
 * Logs msg with nkv key/value pairs given as alternating const char * arguments, e.g.
 * log_kv(LOG_INFO, "request", 4, "method", "GET", "path", "/").
 */
void log_kv(enum log_level level, const char *msg, int nkv, ...);

/* printf-style convenience for a plain message. */
void log_msg(enum log_level level, const char *fmt, ...) KX_PRINTF(2, 3);

#endif
