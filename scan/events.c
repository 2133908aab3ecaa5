/* SPDX-License-Identifier: MIT */
/*
 * Which events concern the connector, read from the fields Windows writes (named in newer
 * Windows, positional in older; both are handled):
 *
 *   Application Error 1000   AppName [0], ModuleName [3]
 *   Windows Error Reporting 1001 (EventName [2] "APPCRASH")   P1 [5] app, P4 [8] module
 *   MsiInstaller 1033/1034/1035   product [0], version [1], status [3]; Binary = product code
 *   MsiInstaller 11707/11708/11724/11725   "Product: NAME -- ..." [0]
 *   Microsoft Defender 1116/1117 (and 1006/1007)   "Threat Name", "Path", "Action Name"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "../common/util.h"
#include "scan.h"

static const char *const watched[] = { "KofMsp32.dll", "kofmsp.dll", "KoffBackend.exe",
				       "OUTLOOK.EXE" };

/* The file name of a name or path. */
static const char *base(const char *s)
{
	const char *b = s;
	for (const char *p = s; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

static bool watched_name(const char *s)
{
	if (!s)
		return false;
	for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++)
		if (!strcasecmp(base(s), watched[i]))
			return true;
	return false;
}

static void put(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* The first {GUID} in the hex of ASCII text (MsiInstaller's Binary). */
static void product_code(const char *hex, char *out, size_t n)
{
	char text[256];
	size_t k = 0;
	for (const char *p = hex; p[0] && p[1] && k + 1 < sizeof text; p += 2) {
		char pair[3] = { p[0], p[1], 0 };
		char *end;
		unsigned long v = strtoul(pair, &end, 16);
		if (*end)
			break;
		text[k++] = (char)v;
	}
	text[k] = '\0';
	const char *open = strchr(text, '{'), *close = open ? strchr(open, '}') : NULL;
	if (open && close && close - open == 37)
		snprintf(out, n, "%.38s", open);
	else
		out[0] = '\0';
}

static enum scan_evt_kind crash(const struct scan_event *ev, struct scan_evt_fact *f)
{
	const char *app, *module;
	if (ev->event_id == 1000) {
		app = scan_evt_get(ev, "AppName", 0);
		module = scan_evt_get(ev, "ModuleName", 3);
	} else {
		const char *name = scan_evt_get(ev, "EventName", 2);
		if (!name || strcasecmp(name, "APPCRASH"))
			return SCAN_EVT_IGNORED;
		app = scan_evt_get(ev, "P1", 5);
		module = scan_evt_get(ev, "P4", 8);
	}
	if (!watched_name(app) && !watched_name(module))
		return SCAN_EVT_IGNORED;
	put(f->app, sizeof f->app, app);
	put(f->module, sizeof f->module, module);
	return f->kind = SCAN_EVT_CRASH;
}

static enum scan_evt_kind msi(const struct scan_event *ev, const char *product,
			      struct scan_evt_fact *f)
{
	unsigned id = ev->event_id;
	f->status = -1;
	if (id == 1033 || id == 1034 || id == 1035) {
		const char *name = scan_evt_get(ev, NULL, 0);
		if (!name || !kx_icontains(name, product))
			return SCAN_EVT_IGNORED;
		put(f->product, sizeof f->product, name);
		put(f->version, sizeof f->version, scan_evt_get(ev, NULL, 1));
		const char *st = scan_evt_get(ev, NULL, 3);
		char *end = NULL;
		long v = st ? strtol(st, &end, 10) : -1;
		f->status = st && end && !*end ? (int)v : -1;
		/* 3010 and 1641: done, a restart finishes it. */
		f->failed = f->status > 0 && f->status != 3010 && f->status != 1641;
	} else if (id == 11707 || id == 11708 || id == 11724 || id == 11725) {
		const char *text = scan_evt_get(ev, NULL, 0);
		if (!text || strncmp(text, "Product: ", 9) || !kx_icontains(text, product))
			return SCAN_EVT_IGNORED;
		const char *dash = strstr(text + 9, " -- ");
		snprintf(f->product, sizeof f->product, "%.*s", (int)(dash ? dash - (text + 9) :
			 (long)strlen(text + 9)), text + 9);
		f->failed = id == 11708 || id == 11725;
		f->status = f->failed ? 1603 : 0;
	} else {
		return SCAN_EVT_IGNORED;
	}
	product_code(ev->binary, f->product_code, sizeof f->product_code);
	return f->kind = SCAN_EVT_MSI;
}

static enum scan_evt_kind defender(const struct scan_event *ev, struct scan_evt_fact *f)
{
	unsigned id = ev->event_id;
	if (id != 1116 && id != 1117 && id != 1006 && id != 1007)
		return SCAN_EVT_IGNORED;
	const char *path = scan_evt_get(ev, "Path", -1);
	if (!path || !(kx_icontains(path, "kofmsp") || kx_icontains(path, "KoffBackend") ||
		       kx_icontains(path, "\\Kerio\\")))
		return SCAN_EVT_IGNORED;
	put(f->path, sizeof f->path, path);
	put(f->threat, sizeof f->threat, scan_evt_get(ev, "Threat Name", -1));
	put(f->action, sizeof f->action, scan_evt_get(ev, "Action Name", -1));
	return f->kind = SCAN_EVT_DEFENDER;
}

enum scan_evt_kind scan_evt_classify(const struct scan_event *ev, const char *product,
				     struct scan_evt_fact *f)
{
	memset(f, 0, sizeof *f);
	f->event_id = ev->event_id;
	f->status = -1;
	put(f->time, sizeof f->time, ev->time);
	if ((ev->event_id == 1000 && !strcmp(ev->provider, "Application Error")) ||
	    (ev->event_id == 1001 && !strcmp(ev->provider, "Windows Error Reporting")))
		return crash(ev, f);
	if (!strcmp(ev->provider, "MsiInstaller"))
		return msi(ev, product, f);
	if (!strcmp(ev->provider, "Microsoft-Windows-Windows Defender"))
		return defender(ev, f);
	return SCAN_EVT_IGNORED;
}

void scan_evt_describe(const struct scan_evt_fact *f, struct buf *out)
{
	switch (f->kind) {
	case SCAN_EVT_CRASH:
		buf_addf(out, "crash %u %s app=%s module=%s", f->event_id, f->time, f->app,
			 f->module);
		break;
	case SCAN_EVT_MSI:
		buf_addf(out, "msi %u %s product=%s version=%s status=%d failed=%s code=%s",
			 f->event_id, f->time, f->product, f->version, f->status,
			 f->failed ? "yes" : "no", f->product_code);
		break;
	case SCAN_EVT_DEFENDER:
		buf_addf(out, "defender %u %s threat=%s action=%s path=%s", f->event_id, f->time,
			 f->threat, f->action, f->path);
		break;
	default:
		buf_addf(out, "ignored %u", f->event_id);
	}
}
