/* SPDX-License-Identifier: MIT */
/*
 * `koffix ticket`: the support ticket of a wizard session, on standard output or in a file.
 * It only reads: the app is opened with its content and sessions but without the repair
 * journal's start-up recovery (which would mark a run that a running server is carrying out as
 * interrupted). Invalid flows are refused as the server refuses them.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/util.h"
#include "../ticket/ticket.h"
#include "../repair-actions/ra.h"
#include "../wizard/wiz.h"
#include "../app/app.h"
#include "cli_common.h"
#include "../server/handlers.h"

const char cli_usage_ticket[] =
	"usage: koffix ticket SESSION --format json|eml|html|osticket|zammad [--redact]\n"
	"                     [--name NAME] [--email ADDRESS] [--to ADDRESS] [--group GROUP]\n"
	"                     [-o FILE]\n"
	"\n"
	"Exports the support ticket of a wizard session (the id in the wizard's address): the\n"
	"answers, the diagnosis, the repairs run with their logs, the DLL checks and the articles\n"
	"read. Writes to standard output, or to FILE (atomically: a temporary file beside it, then\n"
	"a rename; readable by you only).\n"
	"\n"
	"  --format F     json      the ticket as data (schema: docs/ticket-schema.json)\n"
	"                 eml       an unsent e-mail (opens as a draft) with the JSON and logs attached\n"
	"                 html      a printable page\n"
	"                 osticket  the body of a POST to osTicket's /api/tickets.json\n"
	"                 zammad    the body of a POST to Zammad's /api/v1/tickets\n"
	"  --redact       replace user names, e-mail addresses and host names everywhere\n"
	"                 (user-1, host-1, email-1@redacted.invalid)\n"
	"  --name NAME    your name (optional)\n"
	"  --email ADDR   your e-mail address, for the answer (needed by osticket and zammad; an eml\n"
	"                 without one has no From: the mail program fills it)\n"
	"  --to ADDR      the support desk's address for the e-mail's To: (default: helpdesk_email\n"
	"                 of DATA/ticket.json; else the e-mail has no To: and you fill it in)\n"
	"  --group G      the Zammad group (default: zammad_group of DATA/ticket.json, else Users)\n"
	"  -o FILE        write FILE instead of standard output\n"
	"\n"
	"Exit status: 0 done, 64 bad usage (including an address koffix refuses), 1 no such\n"
	"session or another failure.\n";

int cli_cmd_ticket(const struct cli *c)
{
	const char *session = NULL, *format = NULL, *name = NULL, *email = NULL, *to = NULL;
	const char *group = NULL, *file = NULL;
	int redact = 0;
	for (int i = 1; i < c->argc; i++) {
		static const char *const opts[] = { "--format", "--name", "--email", "--to",
						    "--group", "-o", "--output" };
		const char **slots[] = { &format, &name, &email, &to, &group, &file, &file };
		int t = 0;
		for (size_t k = 0; k < sizeof opts / sizeof opts[0] && !t; k++)
			t = cli_take_value(c->argv, c->argc, &i, opts[k], slots[k]);
		if (t < 0)
			return cli_usage_error(cli_usage_ticket, "option '%s' needs a value", c->argv[i]);
		if (t)
			continue;
		if (strcmp(c->argv[i], "--redact") == 0)
			redact = 1;
		else if (c->argv[i][0] == '-' || session)
			return cli_usage_error(cli_usage_ticket, "unexpected argument '%s'", c->argv[i]);
		else
			session = c->argv[i];
	}
	enum ticket_format f;
	if (!session)
		return cli_usage_error(cli_usage_ticket, "%s", "ticket needs a SESSION (the id in the wizard's address)");
	if (!format)
		return cli_usage_error(cli_usage_ticket, "%s", "ticket needs --format json|eml|html|osticket|zammad");
	if (ticket_format_parse(format, &f) != 0)
		return cli_usage_error(cli_usage_ticket, "--format is json, eml, html, osticket or zammad, not '%s'", format);
	char err[512];
	if (ticket_requester_check(name, email, f, err, sizeof err) != 0)
		return cli_usage_error(cli_usage_ticket, "%s", err);
	if (to && *to && !ticket_email_ok(to))
		return cli_usage_error(cli_usage_ticket, "--to '%s' is not an e-mail address koffix accepts", to);
	if (file && !*file)
		return cli_usage_error(cli_usage_ticket, "%s", "-o needs a file name");

	struct app app;
	struct app_options o = { .data_dir = c->data, .kb_dir = c->kb, .flows_dir = c->flows,
				 .catalogue = c->catalogue, .need_sessions = true };
	if (app_open(&app, &o, err, sizeof err) != 0) {
		fprintf(stderr, "koffix: %s\n", err);
		app_close(&app);
		return 1;
	}
	struct ticket_config cfg;
	cJSON *model = NULL;
	int rc = web_ticket_make(&app, session, name, email, redact, NULL, NULL, &cfg, &model, err,
			     sizeof err);
	if (rc) {
		fprintf(stderr, "koffix: %s '%s'\n", rc == KX_ENOTFOUND ? "no wizard session"
			: "cannot make the ticket of session", session);
		app_close(&app);
		return 1;
	}
	struct ticket_options opts = { .helpdesk = to && *to ? to : cfg.helpdesk,
				       .group = group && *group ? group : cfg.group };
	struct buf out;
	buf_init(&out, TICKET_OUT_MAX);
	rc = ticket_export(model, f, &opts, &out);
	cJSON_Delete(model);
	app_close(&app);
	if (rc) {
		fprintf(stderr, "koffix: cannot export the ticket: %s\n", kx_strerror(rc));
		buf_release(&out);
		return 1;
	}
	if (file) {
		/* A ticket holds personal details: the file is the person's own (0600). */
		rc = kx_write_file_private(file, out.data ? out.data : "", out.len);
		if (rc)
			fprintf(stderr, "koffix: cannot write '%s'\n", file);
	} else if (fwrite(out.data ? out.data : "", 1, out.len, stdout) != out.len ||
		   fflush(stdout) != 0) {
		fprintf(stderr, "koffix: cannot write the ticket to standard output\n");
		rc = KX_EIO;
	}
	buf_release(&out);
	return rc ? 1 : 0;
}
