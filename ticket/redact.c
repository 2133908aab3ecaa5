/* SPDX-License-Identifier: MIT */
/*
 * Redaction: two passes over the model. The first collects personal values from the parts that
 * carry what the person or the machine said (answers, environment, history, repair runs, DLL
 * checks, vote comments); the second replaces every occurrence of every collected value in
 * every string of the model but the requester, in one left-to-right scan per string so that a
 * placeholder is never rewritten again.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "internal.h"

enum red_kind { RED_USER, RED_HOST, RED_EMAIL };

struct red_entry {
	char *value;
	size_t len;
	enum red_kind kind;
	char placeholder[48];
};

struct red_map {
	struct red_entry *e;
	size_t n;
	int count[3];
};

/* Letters and digits (any non-ASCII byte counts as a letter): what a name cannot border on. */
static bool word_char(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

static bool host_char(unsigned char c)
{
	return isalnum(c) || c == '-';
}

static bool email_local_char(unsigned char c)
{
	return isalnum(c) || (c && strchr("._%+-!#$&'*/=?^`{|}~", c));
}

static bool ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return false;
	return true;
}

/* Case-insensitive strstr. */
static const char *ifind(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (ieq(hay, needle, n))
			return hay;
	return NULL;
}

static void add(struct red_map *m, enum red_kind kind, const char *v, size_t len)
{
	/* Trim what cannot end a name, a host or an address. */
	while (len && strchr(" .,;:)]}'\"", v[len - 1]))
		len--;
	if (len < 2 || len > 253)
		return;
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].len == len && ieq(m->e[i].value, v, len))
			return;
	if (kind == RED_HOST && (ieq(v, "redacted.invalid", len) || ieq(v, "koffix.invalid", len)))
		return;
	m->e = xrealloc(m->e, (m->n + 1) * sizeof *m->e);
	struct red_entry *e = &m->e[m->n++];
	e->value = xstrndup(v, len);
	e->len = len;
	e->kind = kind;
	int k = ++m->count[kind];
	snprintf(e->placeholder, sizeof e->placeholder, kind == RED_USER ? "user-%d" :
		 kind == RED_HOST ? "host-%d" : "email-%d@redacted.invalid", k);
}

/* Profile folders that name no person. */
static bool generic_profile(const char *v, size_t len)
{
	static const char *const names[] = { "public", "default", "default user", "all users",
					     "defaultuser0", "administrator", "guest", "%username%",
					     "<name>", "name", "username", "user", "*" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && ieq(v, names[i], len))
			return true;
	return v[0] == '%' || v[0] == '<' || v[0] == '$' || v[0] == '{';
}

/* After a profile folder ("\Users\"): the name up to the next separator. */
static void scan_profile(struct red_map *m, const char *s, const char *marker, bool posix)
{
	size_t ml = strlen(marker);
	for (const char *p = s; (p = ifind(p, marker)); p += ml) {
		const char *v = p + ml, *end = v;
		while (*end && (end - v) < 64 && !strchr(posix ? "/\"'<>|:*?\n\r\t " :
							 "\\/\"'<>|:*?\n\r\t", *end))
			end++;
		/* Without a separator after it, a name stops at the first space. */
		if (!posix && *end != '\\' && *end != '/') {
			const char *sp = memchr(v, ' ', (size_t)(end - v));
			if (sp)
				end = sp;
		}
		size_t len = (size_t)(end - v);
		while (len && strchr(" .,;)", v[len - 1]))
			len--;
		if (!len || generic_profile(v, len))
			continue;
		add(m, RED_USER, v, len);
		/* "jdoe.CORP" (a profile folder made when "jdoe" already had one) names jdoe. */
		const char *dot = memchr(v, '.', len);
		if (dot)
			add(m, RED_USER, v, (size_t)(dot - v));
	}
}

/* UNC paths: \\host\share (not \\?\ or \\.\). */
static void scan_unc(struct red_map *m, const char *s)
{
	for (const char *p = s; (p = strstr(p, "\\\\")); p += 2) {
		const char *v = p + 2, *end = v;
		while (host_char((unsigned char)*end) || *end == '.' || *end == '_')
			end++;
		if (end > v && *end == '\\')
			add(m, RED_HOST, v, (size_t)(end - v));
	}
}

/* "Host Name . . . : X", "COMPUTERNAME=X", "user name: DOMAIN\x" and the like. */
static void scan_labels(struct red_map *m, const char *s)
{
	static const struct {
		const char *label;
		enum red_kind kind;
	} labels[] = {
		{ "computername", RED_HOST }, { "computer name", RED_HOST },
		{ "computer", RED_HOST }, { "host name", RED_HOST }, { "hostname", RED_HOST },
		{ "machine name", RED_HOST }, { "machinename", RED_HOST },
		{ "username", RED_USER }, { "user name", RED_USER }, { "logged on as", RED_USER },
		{ "user", RED_USER },
	};
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		size_t ll = strlen(labels[i].label);
		for (const char *p = s; (p = ifind(p, labels[i].label)); p += ll) {
			if (p > s && word_char((unsigned char)p[-1]))
				continue;
			const char *v = p + ll;
			while (*v == ' ' || *v == '.' || *v == '\t')
				v++;
			bool as = labels[i].label[0] == 'l';   /* "logged on as X" has no colon */
			if (!as && *v != ':' && *v != '=')
				continue;
			if (!as)
				v++;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *end = v;
			while (host_char((unsigned char)*end) || *end == '.' || *end == '_' ||
			       *end == '$' || *end == '\\')
				end++;
			/* DOMAIN\user: the user is after the backslash. */
			const char *bs = NULL;
			for (const char *q = v; q < end; q++)
				if (*q == '\\')
					bs = q;
			if (bs && labels[i].kind == RED_USER)
				v = bs + 1;
			else if (bs)
				end = memchr(v, '\\', (size_t)(end - v));
			if (end > v && !generic_profile(v, (size_t)(end - v)))
				add(m, labels[i].kind, v, (size_t)(end - v));
		}
	}
}

/* Dotted names that are file names, not hosts. */
static bool file_extension(const char *tld, size_t len)
{
	static const char *const ext[] = {
		"dll", "exe", "inf", "ini", "msi", "msp", "mst", "log", "txt", "json", "xml", "html",
		"htm", "pst", "ost", "reg", "cmd", "bat", "ps1", "psm1", "vbs", "js", "py", "md",
		"cs", "db", "dat", "sys", "cpl", "tmp", "zip", "cab", "eml", "msg", "csv", "cfg",
		"conf", "etl", "evtx", "lnk", "pdf", "png", "jpg", "gif", "doc", "docx", "xls",
		"xlsx", "h", "c", "so", "sh", "old", "bak", "nst", "oab", "srs", "xsd", "manifest",
		"config", "mui", "ocx", "drv", "pem", "crt", "cer", "der", "p7b", "pfx", "sqlite",
		"wal", "shm", "lock", "pid", "ico", "css", "svg", "application", "kerio", "dmp",
	};
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
		if (strlen(ext[i]) == len && ieq(tld, ext[i], len))
			return true;
	return false;
}

/* Top-level names that make a two-label name a host (any two-letter country code does too). */
static bool common_tld(const char *tld, size_t len)
{
	static const char *const tlds[] = {
		"com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "local", "lan",
		"corp", "home", "internal", "intra", "intranet", "localdomain", "example", "test",
		"invalid", "io", "app", "dev", "cloud", "online", "site", "tech", "group", "company",
	};
	if (len == 2)
		return true;
	for (size_t i = 0; i < sizeof tlds / sizeof tlds[0]; i++)
		if (strlen(tlds[i]) == len && ieq(tld, tlds[i], len))
			return true;
	return false;
}

/* E-mail addresses, and their domains as hosts. */
static void scan_emails(struct red_map *m, const char *s)
{
	for (const char *at = s; (at = strchr(at, '@')); at++) {
		const char *b = at;
		while (b > s && email_local_char((unsigned char)b[-1]))
			b--;
		while (b < at && *b == '.')
			b++;
		const char *e = at + 1, *last = NULL;
		int dots = 0;
		for (; host_char((unsigned char)*e) || (*e == '.' && host_char((unsigned char)e[1]));
		     e++)
			if (*e == '.') {
				dots++;
				last = e;
			}
		if (b == at || !dots)
			continue;
		/* "...\jdoe@corp.example.com.ost": the file's extension is not part of it. */
		if (dots >= 2 && file_extension(last + 1, (size_t)(e - last - 1)))
			e = last;
		add(m, RED_EMAIL, b, (size_t)(e - b));
		add(m, RED_HOST, at + 1, (size_t)(e - at - 1));
	}
}

/* Fully qualified names: two labels or more, a letter TLD that is no file extension. */
static void scan_fqdns(struct red_map *m, const char *s)
{
	const char *p = s;
	while (*p) {
		if (!host_char((unsigned char)*p) ||
		    (p > s && (host_char((unsigned char)p[-1]) || p[-1] == '.' || p[-1] == '_'))) {
			p++;
			continue;
		}
		const char *e = p, *last = p;
		int labels = 1;
		for (;;) {
			while (host_char((unsigned char)*e))
				e++;
			if (*e == '.' && host_char((unsigned char)e[1])) {
				e++;
				last = e;
				labels++;
				continue;
			}
			break;
		}
		size_t tl = (size_t)(e - last);
		bool alpha = tl >= 2 && tl <= 24;
		for (const char *q = last; q < e && alpha; q++)
			alpha = isalpha((unsigned char)*q);
		bool bounded = !(*e == '_' || *e == '@' || (unsigned char)*e >= 0x80);
		if (labels >= 2 && alpha && bounded && !file_extension(last, tl) &&
		    (labels >= 3 || common_tld(last, tl)))
			add(m, RED_HOST, p, (size_t)(e - p));
		p = e > p ? e : p + 1;
	}
}

static void scan_string(struct red_map *m, const char *s)
{
	scan_emails(m, s);
	scan_profile(m, s, "\\users\\", false);
	scan_profile(m, s, "\\documents and settings\\", false);
	scan_profile(m, s, "/users/", false);
	scan_profile(m, s, "/home/", true);
	scan_unc(m, s);
	scan_labels(m, s);
	scan_fqdns(m, s);
}

/* Keys under which a whole value names the machine or its user (detected values, parameters). */
static const char *const host_keys[] = { "hostname", "host", "host_name", "computer",
					 "computer_name", "computername", "machine",
					 "machine_name", "fqdn", "domain" };
static const char *const user_keys[] = { "user", "username", "user_name", "account", "login",
					 "upn" };

static void scan_keyed(struct red_map *m, const char *key, const char *value)
{
	for (size_t i = 0; key && i < sizeof host_keys / sizeof host_keys[0]; i++)
		if (!strcmp(key, host_keys[i]))
			add(m, RED_HOST, value, strlen(value));
	for (size_t i = 0; key && i < sizeof user_keys / sizeof user_keys[0]; i++) {
		if (strcmp(key, user_keys[i]))
			continue;
		/* DOMAIN\user: the user is after the backslash. */
		const char *bs = strrchr(value, '\\');
		const char *u = bs ? bs + 1 : value;
		if (!generic_profile(u, strlen(u)))
			add(m, RED_USER, u, strlen(u));
	}
}

static void scan_tree(struct red_map *m, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		scan_keyed(m, v->string, v->valuestring);
		scan_string(m, v->valuestring);
		return;
	}
	const cJSON *e;
	cJSON_ArrayForEach(e, v)
		scan_tree(m, e);
}

/* Environment entries are {name, value}: the name says what the value is. */
static void scan_environment(struct red_map *m, const cJSON *env)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, env) {
		scan_keyed(m, tk_str_or(e, "name", ""), tk_str_or(e, "value", ""));
		scan_tree(m, e);
	}
}

static int by_length(const void *a, const void *b)
{
	const struct red_entry *x = a, *y = b;
	return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

/* Whether entry e may match at p in s: not inside a longer name, host or address. */
static bool bounded(const struct red_entry *e, const char *s, const char *p)
{
	unsigned char prev = p > s ? (unsigned char)p[-1] : 0;
	unsigned char next = (unsigned char)p[e->len];
	unsigned char after = next ? (unsigned char)p[e->len + 1] : 0;
	bool dotted_next = next == '.' && host_char(after);
	bool dotted_prev = prev == '.' && p - 1 > s && host_char((unsigned char)p[-2]);
	switch (e->kind) {
	case RED_USER:
		return !word_char(prev) && !word_char(next);
	case RED_HOST:
		return !host_char(prev) && !dotted_prev && !host_char(next) && !dotted_next &&
		       prev < 0x80 && next < 0x80;
	case RED_EMAIL:
		return !email_local_char(prev) && !host_char(next) && !dotted_next;
	}
	return false;
}

/* The replaced copy of s, or NULL when nothing matched. */
static char *replace(const struct red_map *m, const char *s)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	bool any = false;
	for (const char *p = s; *p;) {
		const struct red_entry *hit = NULL;
		for (size_t i = 0; i < m->n && !hit; i++)
			if (ieq(p, m->e[i].value, m->e[i].len) && bounded(&m->e[i], s, p))
				hit = &m->e[i];
		if (hit) {
			buf_adds(&b, hit->placeholder);
			p += hit->len;
			any = true;
		} else {
			buf_addch(&b, *p++);
		}
	}
	if (!any) {
		buf_release(&b);
		return NULL;
	}
	return buf_take(&b, NULL);
}

static void replace_tree(const struct red_map *m, cJSON *v)
{
	if (cJSON_IsString(v)) {
		char *r = replace(m, v->valuestring);
		if (r) {
			cJSON_SetValuestring(v, r);
			free(r);
		}
		return;
	}
	cJSON *e;
	cJSON_ArrayForEach(e, v) {
		if (e->string && !strcmp(e->string, "requester") && v->string == NULL)
			continue;
		replace_tree(m, e);
	}
}

int ticket_redact(cJSON *model)
{
	struct red_map m = { 0 };
	/* Collected in a fixed order so that the numbers of the placeholders are stable. */
	scan_environment(&m, cJSON_GetObjectItemCaseSensitive(model, "environment"));
	static const char *const parts[] = { "path", "history", "actions_run", "dll_checks",
					     "votes", "scan" };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		scan_tree(&m, cJSON_GetObjectItemCaseSensitive(model, parts[i]));
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(model, "repairs_suggested"))
		scan_tree(&m, cJSON_GetObjectItemCaseSensitive(r, "params"));
	/* Longest first, so that an address wins over the host inside it. */
	if (m.n)
		qsort(m.e, m.n, sizeof *m.e, by_length);
	replace_tree(&m, model);
	if (cJSON_GetObjectItemCaseSensitive(model, "redacted"))
		cJSON_ReplaceItemInObjectCaseSensitive(model, "redacted", cJSON_CreateTrue());
	else
		cJSON_AddBoolToObject(model, "redacted", 1);
	cJSON_DeleteItemFromObjectCaseSensitive(model, "redaction");
	cJSON *c = cJSON_AddObjectToObject(model, "redaction");
	cJSON_AddNumberToObject(c, "users", m.count[RED_USER]);
	cJSON_AddNumberToObject(c, "hosts", m.count[RED_HOST]);
	cJSON_AddNumberToObject(c, "emails", m.count[RED_EMAIL]);
	int n = (int)m.n;
	for (size_t i = 0; i < m.n; i++)
		free(m.e[i].value);
	free(m.e);
	return n;
}
