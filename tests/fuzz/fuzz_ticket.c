/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the ticket's text path: the input, split at 0x01 bytes into a name, an e-mail address,
 * an answer and a log, goes through cleaning, the requester check, redaction and every export.
 * Invariants checked (abort on failure): cleaned text is valid and single-line where it must
 * be; the .eml has CRLF line ends only and no header line a value could have made.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "../../ticket/ticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_eml(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			abort();
		if (s[i] == '\r' && (i + 1 >= n || s[i + 1] != '\n'))
			abort();
	}
	static const char *const allowed[] = { "Date: ", "From: ", "To: ", "Subject: ",
					       "Message-ID: ", "MIME-Version: ", "X-Unsent: ",
					       "X-Mailer: ", "Content-Type: ", " " };
	const char *end = strstr(s, "\r\n\r\n");
	if (!end)
		abort();
	for (const char *line = s; line < end;) {
		bool ok = false;
		for (size_t i = 0; i < sizeof allowed / sizeof allowed[0] && !ok; i++)
			ok = kx_str_starts(line, allowed[i]);
		if (!ok)
			abort();
		line = strstr(line, "\r\n") + 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *part[4] = { "", "", "", "" };
	size_t len[4] = { 0, 0, 0, 0 };
	const char *p = (const char *)data, *end = p + size;
	for (int i = 0; i < 4 && p <= end; i++) {
		const char *sep = memchr(p, 1, (size_t)(end - p));
		part[i] = p;
		len[i] = sep ? (size_t)(sep - p) : (size_t)(end - p);
		p += len[i] + 1;
		if (!sep)
			break;
	}
	char *name = ticket_clean(part[0], len[0], TICKET_TEXT_LINE, TICKET_LINE_MAX, NULL);
	char *answer = ticket_clean(part[2], len[2], TICKET_TEXT_LINE, TICKET_LINE_MAX, NULL);
	char *log = ticket_clean(part[3], len[3], TICKET_TEXT_BLOCK, 4096, NULL);
	if (!ticket_text_ok(name, strlen(name)) || !ticket_text_ok(answer, strlen(answer)))
		abort();
	char *email = xstrndup(part[1], len[1]);
	char err[256];
	bool email_ok = ticket_requester_check(name, email, TICKET_EML, err, sizeof err) == 0;

	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "schema_version", TICKET_SCHEMA_VERSION);
	cJSON_AddStringToObject(m, "created", "2024-03-05T10:05:00Z");
	cJSON_AddStringToObject(m, "subject", answer[0] ? answer : "s");
	cJSON *s = cJSON_AddObjectToObject(m, "session");
	cJSON_AddStringToObject(s, "id", "0123456789abcdef0123456789abcdef");
	cJSON *req = cJSON_AddObjectToObject(m, "requester");
	cJSON_AddStringToObject(req, "name", name);
	cJSON_AddStringToObject(req, "email", email_ok ? email : "fuzz@example.com");
	cJSON *path = cJSON_AddArrayToObject(m, "path");
	cJSON *step = cJSON_CreateObject();
	cJSON_AddStringToObject(step, "question", answer);
	cJSON *a = cJSON_AddObjectToObject(step, "answer");
	cJSON_AddStringToObject(a, "value", answer);
	cJSON_AddStringToObject(a, "label", answer);
	cJSON_AddItemToArray(path, step);
	cJSON *runs = cJSON_AddArrayToObject(m, "actions_run");
	cJSON *run = cJSON_CreateObject();
	cJSON_AddStringToObject(run, "run", answer);
	cJSON *steps = cJSON_AddArrayToObject(run, "steps");
	cJSON *st = cJSON_CreateObject();
	cJSON_AddNumberToObject(st, "n", 1);
	cJSON_AddStringToObject(st, "output", log);
	cJSON_AddStringToObject(st, "verification", log);
	cJSON_AddItemToArray(steps, st);
	cJSON_AddItemToArray(runs, run);
	cJSON_AddStringToObject(m, "reminder", answer);

	struct ticket_options o = { .helpdesk = email, .group = name, .boundary = answer,
				    .message_id = name };
	for (int redact = 0; redact <= 1; redact++) {
		if (redact)
			ticket_redact(m);
		for (int f = 0; f < TICKET_NFORMATS; f++) {
			struct buf out;
			buf_init(&out, TICKET_OUT_MAX);
			int rc = ticket_export(m, (enum ticket_format)f, &o, &out);
			if (rc == 0 && f == TICKET_EML)
				check_eml(out.data, out.len);
			if (rc == 0 && f == TICKET_HTML && strstr(buf_cstr(&out), "<script"))
				abort();
			buf_release(&out);
		}
	}
	struct buf h;
	buf_init(&h, BUF_NOMAX);
	ticket_mime_header(&h, "Subject", answer);
	for (const char *q = buf_cstr(&h); (q = strstr(q, "\r\n")); q += 2)
		if (q[2] && q[2] != ' ')
			abort();
	buf_release(&h);
	cJSON_Delete(m);
	free(name);
	free(answer);
	free(log);
	free(email);
	return 0;
}
