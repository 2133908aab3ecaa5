/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

/* Read by every server thread: atomic, and KOFFIX_LOG read once (pthread_once). */
static _Atomic int min_level = LOG_INFO;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static const char *level_name[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level level)
{
	atomic_store(&min_level, (int)level);
}

static void level_from_env(void)
{
	const char *e = getenv("KOFFIX_LOG");
	for (int i = 0; e && i < 4; i++)
		if (strcmp(e, level_name[i]) == 0)
			atomic_store(&min_level, i);
}

static bool enabled(enum log_level level)
{
	pthread_once(&env_once, level_from_env);
	return (int)level >= atomic_load(&min_level);
}

static void add_value(struct buf *b, const char *v)
{
	bool quote = *v == '\0';
	for (const char *p = v; *p && !quote; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
			quote = true;
	if (!quote) {
		buf_adds(b, v);
		return;
	}
	buf_addch(b, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_adds(b, "\\n");
		else if (*p < ' ' || *p == 0x7f)
			buf_addf(b, "\\x%02x", *p);
		else
			buf_addch(b, (char)*p);
	}
	buf_addch(b, '"');
}

static void emit(enum log_level level, const char *msg, int nkv, va_list ap)
{
	struct buf b;
	char now[21];
	buf_init(&b, 64 * 1024);
	kx_utc_now(now);
	buf_addf(&b, "time=%s level=%s msg=", now, level_name[level]);
	add_value(&b, msg);
	for (int i = 0; i + 1 < nkv * 2; i += 2) {
		const char *k = va_arg(ap, const char *);
		const char *v = va_arg(ap, const char *);
		buf_addch(&b, ' ');
		buf_adds(&b, k);
		buf_addch(&b, '=');
		add_value(&b, v ? v : "");
	}
	buf_addch(&b, '\n');
	fwrite(buf_cstr(&b), 1, b.len, stderr);
	buf_release(&b);
}

void log_kv(enum log_level level, const char *msg, int nkv, ...)
{
	if (!enabled(level))
		return;
	va_list ap;
	va_start(ap, nkv);
	emit(level, msg, nkv, ap);
	va_end(ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (!enabled(level))
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_kv(level, msg, 0);
}
