/* SPDX-License-Identifier: MIT */
/*
 * The five exports of a ticket model, and the optional configuration file.
 *
 * .eml: RFC 5322 with MIME (RFC 2045/2046): multipart/mixed holding a multipart/alternative
 * (text/plain and text/html, both base64 in canonical CRLF form) and the attachments (base64).
 * Every line ends in CRLF; the boundaries start with "=_", which base64 never produces, so no
 * content can close a part early. Headers come only from cleaned single-line text, encoded as
 * RFC 2047 words whenever they are not short printable ASCII, so no value can start a header.
 *
 * osTicket: osTicket's own parser (include/class.format.php, Format::parseRfc2397, called by
 * the API's fixup()) takes the text after the comma of a data URL literally (no percent
 * decoding), defaults to ISO-8859-1 without a charset, and reads only one ";" parameter
 * correctly. Hence "data:text/html;charset=utf-8,<html>" for the message (raw HTML, inside a
 * JSON string) and "data:<type>;base64,<data>" (no charset) for each attachment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/util.h"
#include "internal.h"

static const struct {
	const char *name;
	const char *ctype;
	const char *suffix;
} formats[TICKET_NFORMATS] = {
	[TICKET_JSON] = { "json", "application/json; charset=utf-8", ".json" },
	[TICKET_EML] = { "eml", "message/rfc822", ".eml" },
	[TICKET_HTML] = { "html", "text/html; charset=utf-8", ".html" },
	[TICKET_OSTICKET] = { "osticket", "application/json; charset=utf-8", "-osticket.json" },
	[TICKET_ZAMMAD] = { "zammad", "application/json; charset=utf-8", "-zammad.json" },
};

int ticket_format_parse(const char *name, enum ticket_format *out)
{
	for (int i = 0; name && i < TICKET_NFORMATS; i++)
		if (strcmp(name, formats[i].name) == 0) {
			*out = (enum ticket_format)i;
			return 0;
		}
	return KX_EINVAL;
}

const char *ticket_format_name(enum ticket_format f)
{
	return formats[f].name;
}

const char *ticket_content_type(enum ticket_format f)
{
	return formats[f].ctype;
}

static void file_stem(const cJSON *m, char *out, size_t len)
{
	const char *id = tk_str_or(cJSON_GetObjectItemCaseSensitive(m, "session"), "id", "");
	char safe[9];
	size_t n = 0;
	for (; *id && n < 8; id++)
		if ((*id >= 'a' && *id <= 'z') || (*id >= '0' && *id <= '9'))
			safe[n++] = *id;
	safe[n] = '\0';
	snprintf(out, len, "koffix-ticket%s%s", n ? "-" : "", safe);
}

void ticket_file_name(const cJSON *m, enum ticket_format f, char *out, size_t len)
{
	char stem[40];
	file_stem(m, stem, sizeof stem);
	snprintf(out, len, "%s%s", stem, formats[f].suffix);
}

char *ticket_json_text(const cJSON *model)
{
	char *s = cJSON_Print(model);
	size_t n = strlen(s);
	char *t = xmalloc(n + 2);
	memcpy(t, s, n);
	t[n] = '\n';
	t[n + 1] = '\0';
	cJSON_free(s);
	return t;
}

struct att {
	char name[96];
	const char *mime;
	char *owned;
	const char *data;
	size_t len;
};

/* The attachments: the ticket JSON, then each step output. Caller frees with atts_free. */
static struct att *atts_collect(const cJSON *m, size_t *n)
{
	struct att *a = xcalloc(1, sizeof *a);
	*n = 1;
	file_stem(m, a[0].name, sizeof a[0].name);
	strncat(a[0].name, ".json", sizeof a[0].name - strlen(a[0].name) - 1);
	a[0].mime = "application/json";
	a[0].owned = ticket_json_text(m);
	a[0].data = a[0].owned;
	a[0].len = strlen(a[0].owned);
	const cJSON *r, *s;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(m, "actions_run")) {
		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(r, "steps")) {
			const char *out = tk_str_or(s, "output", "");
			if (!*out)
				continue;
			a = xrealloc(a, (*n + 1) * sizeof *a);
			struct att *x = &a[(*n)++];
			memset(x, 0, sizeof *x);
			ticket_log_name(tk_str_or(r, "run", ""), cJSON_GetObjectItemCaseSensitive(s, "n"),
					x->name, sizeof x->name);
			x->mime = "text/plain";
			x->data = out;
			x->len = strlen(out);
		}
	}
	return a;
}

static void atts_free(struct att *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i].owned);
	free(a);
}

cJSON *ticket_attachments(const cJSON *model)
{
	size_t n;
	struct att *a = atts_collect(model, &n);
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "filename", a[i].name);
		cJSON_AddStringToObject(e, "mime_type", a[i].mime);
		cJSON_AddNumberToObject(e, "bytes", (double)a[i].len);
		cJSON_AddItemToArray(list, e);
	}
	atts_free(a, n);
	return list;
}

/* Canonical form for MIME text: every line break CRLF. */
static void to_crlf(struct buf *out, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\r' || *p == '\n')
			buf_add(out, "\r\n", 2);
		else
			buf_addch(out, *p);
	}
}

static void random_or(const char *fixed, char *out, size_t len)
{
	char hex[33];
	if (fixed && *fixed) {
		/* Only [A-Za-z0-9]: it ends up in a header and a boundary. */
		size_t n = 0;
		for (; *fixed && n < len - 1 && n < 32; fixed++)
			if ((*fixed >= 'a' && *fixed <= 'z') || (*fixed >= 'A' && *fixed <= 'Z') ||
			    (*fixed >= '0' && *fixed <= '9'))
				out[n++] = *fixed;
		out[n] = '\0';
		if (n)
			return;
	}
	if (kx_random_hex(hex, 16) != 0)
		snprintf(hex, sizeof hex, "%08lx", (unsigned long)time(NULL));
	snprintf(out, len, "%s", hex);
}

static int eml(const cJSON *m, const struct ticket_options *o, struct buf *out)
{
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(m, "requester");
	const char *email = tk_str(req, "email");
	/* Without an address the draft has no From: the mail program sends it from its own. */
	if (email && *email && !ticket_email_ok(email))
		return KX_EINVAL;
	char date[64], seed[33], mid[33];
	if (ticket_rfc5322_date(tk_str(m, "created"), date, sizeof date) != 0) {
		char now[21];
		kx_utc_now(now);
		ticket_rfc5322_date(now, date, sizeof date);
	}
	random_or(o ? o->boundary : NULL, seed, sizeof seed);
	random_or(o ? o->message_id : NULL, mid, sizeof mid);
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	buf_addf(&b, "Date: %s\r\n", date);
	if (email && *email) {
		buf_adds(&b, "From: ");
		ticket_mime_address(&b, tk_str(req, "name"), email);
		buf_adds(&b, "\r\n");
	}
	if (o && o->helpdesk && ticket_email_ok(o->helpdesk))
		buf_addf(&b, "To: %s\r\n", o->helpdesk);
	ticket_mime_header(&b, "Subject", tk_str_or(m, "subject", "Support request"));
	buf_addf(&b, "Message-ID: <%s@koffix.invalid>\r\n", mid);
	buf_adds(&b, "MIME-Version: 1.0\r\nX-Unsent: 1\r\n");
	ticket_mime_header(&b, "X-Mailer", "koffix");
	buf_addf(&b, "Content-Type: multipart/mixed; boundary=\"=_koffix_mixed_%s\"\r\n\r\n"
		 "This is a message in MIME format: a support ticket made by koffix.\r\n"
		 "\r\n--=_koffix_mixed_%s\r\n"
		 "Content-Type: multipart/alternative; boundary=\"=_koffix_alt_%s\"\r\n", seed, seed,
		 seed);

	struct buf body, canon;
	buf_init(&body, BUF_NOMAX);
	buf_init(&canon, BUF_NOMAX);
	for (int html = 0; html <= 1; html++) {
		buf_reset(&body);
		buf_reset(&canon);
		if (html)
			ticket_render_document(m, false, &body);
		else
			ticket_render_body(m, false, false, &body);
		to_crlf(&canon, buf_cstr(&body));
		buf_addf(&b, "\r\n--=_koffix_alt_%s\r\nContent-Type: text/%s; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: base64\r\n\r\n", seed, html ? "html" : "plain");
		ticket_base64(&b, canon.data ? canon.data : "", canon.len, 76);
		buf_adds(&b, "\r\n");
	}
	buf_release(&body);
	buf_release(&canon);
	buf_addf(&b, "--=_koffix_alt_%s--\r\n", seed);

	size_t n;
	struct att *a = atts_collect(m, &n);
	for (size_t i = 0; i < n; i++) {
		buf_addf(&b, "\r\n--=_koffix_mixed_%s\r\nContent-Type: %s; name=\"%s\"\r\n"
			 "Content-Transfer-Encoding: base64\r\n"
			 "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n", seed, a[i].mime,
			 a[i].name, a[i].name);
		ticket_base64(&b, a[i].data, a[i].len, 76);
		buf_adds(&b, "\r\n");
	}
	atts_free(a, n);
	buf_addf(&b, "--=_koffix_mixed_%s--\r\n", seed);
	int rc = b.len > TICKET_OUT_MAX ? KX_ETOOBIG : buf_add(out, b.data, b.len);
	buf_release(&b);
	return rc;
}

/* "data:<mime>;base64,<data>" (a single parameter: see the osTicket note above). */
static char *data_url(const char *mime, const char *data, size_t len)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	buf_addf(&b, "data:%s;base64,", mime);
	ticket_base64(&b, data, len, 0);
	return buf_take(&b, NULL);
}

static int api_body(const cJSON *m, enum ticket_format f, const struct ticket_options *o,
		    struct buf *out)
{
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(m, "requester");
	const char *email = tk_str(req, "email");
	if (!ticket_email_ok(email))
		return KX_EINVAL;
	struct buf html;
	buf_init(&html, BUF_NOMAX);
	ticket_render_body(m, true, false, &html);
	size_t n;
	struct att *a = atts_collect(m, &n);
	cJSON *j = cJSON_CreateObject();
	const char *subject = tk_str_or(m, "subject", "Support request");
	if (f == TICKET_OSTICKET) {
		/* osTicket requires a name: the part of the address before the @ stands in. */
		const char *name = tk_str(req, "name");
		char local[65];
		snprintf(local, sizeof local, "%.*s", (int)(strchr(email, '@') - email), email);
		cJSON_AddStringToObject(j, "name", name && *name ? name : local);
		cJSON_AddStringToObject(j, "email", email);
		cJSON_AddStringToObject(j, "subject", subject);
		struct buf msg;
		buf_init(&msg, BUF_NOMAX);
		buf_adds(&msg, "data:text/html;charset=utf-8,");
		buf_add(&msg, html.data ? html.data : "", html.len);
		cJSON_AddStringToObject(j, "message", buf_cstr(&msg));
		buf_release(&msg);
		cJSON *list = cJSON_AddArrayToObject(j, "attachments");
		for (size_t i = 0; i < n; i++) {
			char *url = data_url(a[i].mime, a[i].data, a[i].len);
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, a[i].name, url);
			cJSON_AddItemToArray(list, e);
			free(url);
		}
	} else {
		cJSON_AddStringToObject(j, "title", subject);
		cJSON_AddStringToObject(j, "group", o && o->group && *o->group ? o->group
								      : TICKET_ZAMMAD_GROUP);
		cJSON_AddStringToObject(j, "customer", email);
		cJSON *art = cJSON_AddObjectToObject(j, "article");
		cJSON_AddStringToObject(art, "subject", subject);
		cJSON_AddStringToObject(art, "body", buf_cstr(&html));
		cJSON_AddStringToObject(art, "type", "note");
		cJSON_AddBoolToObject(art, "internal", 0);
		cJSON_AddStringToObject(art, "content_type", "text/html");
		cJSON *list = cJSON_AddArrayToObject(art, "attachments");
		for (size_t i = 0; i < n; i++) {
			struct buf b64;
			buf_init(&b64, BUF_NOMAX);
			ticket_base64(&b64, a[i].data, a[i].len, 0);
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "filename", a[i].name);
			cJSON_AddStringToObject(e, "data", buf_cstr(&b64));
			cJSON_AddStringToObject(e, "mime-type", a[i].mime);
			cJSON_AddItemToArray(list, e);
			buf_release(&b64);
		}
	}
	atts_free(a, n);
	buf_release(&html);
	char *text = ticket_json_text(j);
	cJSON_Delete(j);
	size_t len = strlen(text);
	int rc = len > TICKET_OUT_MAX ? KX_ETOOBIG : buf_add(out, text, len);
	free(text);
	return rc;
}

int ticket_export(const cJSON *model, enum ticket_format f, const struct ticket_options *o,
		  struct buf *out)
{
	struct buf b;
	int rc;
	switch (f) {
	case TICKET_JSON: {
		char *s = ticket_json_text(model);
		size_t len = strlen(s);
		rc = len > TICKET_OUT_MAX ? KX_ETOOBIG : buf_add(out, s, len);
		free(s);
		return rc;
	}
	case TICKET_HTML:
		buf_init(&b, TICKET_OUT_MAX);
		rc = ticket_render_document(model, true, &b);
		rc = rc ? rc : buf_add(out, b.data ? b.data : "", b.len);
		buf_release(&b);
		return rc;
	case TICKET_EML:
		return eml(model, o, out);
	case TICKET_OSTICKET:
	case TICKET_ZAMMAD:
		return api_body(model, f, o, out);
	}
	return KX_EINVAL;
}

int ticket_config_load(const char *path, struct ticket_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->group, sizeof cfg->group, "%s", TICKET_ZAMMAD_GROUP);
	snprintf(cfg->subject_prefix, sizeof cfg->subject_prefix, "%s", TICKET_SUBJECT_PREFIX);
	char *text = NULL;
	size_t len;
	if (!path || kx_read_file(path, 64u << 10, &text, &len) != 0)
		return 0;
	cJSON *j = cJSON_ParseWithLength(text, len);
	free(text);
	int rc = 0;
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen, "'%s' is not a JSON object", path);
		rc = KX_ESYNTAX;
		goto out;
	}
	static const char *const keys[] = { "helpdesk_email", "zammad_group", "subject_prefix" };
	char *slots[] = { cfg->helpdesk, cfg->group, cfg->subject_prefix };
	size_t sizes[] = { sizeof cfg->helpdesk, sizeof cfg->group, sizeof cfg->subject_prefix };
	for (int i = 0; i < 3; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
		if (!v)
			continue;
		const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
		bool ok = s && *s && strlen(s) < sizes[i] && ticket_text_ok(s, strlen(s)) &&
			  (i != 0 || ticket_email_ok(s));
		if (!ok) {
			snprintf(err, errlen, "'%s': \"%s\" must be %s", path, keys[i],
				 i == 0 ? "an e-mail address" : "a short line of text");
			rc = KX_ESYNTAX;
			continue;
		}
		snprintf(slots[i], sizes[i], "%s", s);
	}
out:
	cJSON_Delete(j);
	return rc;
}
