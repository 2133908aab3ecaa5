/* SPDX-License-Identifier: MIT */
/* The catalogue: action data from catalogue.json, parameter validation and the plans (C). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/json.h"
#include "../common/util.h"
#include "ra.h"

#define PARAM_MAX 260   /* MAX_PATH: no Windows path or profile name we handle is longer */

struct ra_catalogue {
	cJSON *root;
};

struct ra_catalogue *ra_catalogue_load(const char *path, char *err, size_t errlen)
{
	char *text;
	if (kx_read_file(path, 1u << 20, &text, NULL) != 0) {
		snprintf(err, errlen, "cannot read the repair catalogue '%s'", path);
		return NULL;
	}
	cJSON *root = cJSON_Parse(text);
	free(text);
	const cJSON *a;
	/* "params" (the parameter types) is optional: untyped parameters are checked as names. */
	const cJSON *types = cJSON_GetObjectItemCaseSensitive(root, "params");
	bool ok = (!types || cJSON_IsObject(types)) &&
		  cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "actions"));
	cJSON_ArrayForEach(a, (ok ? cJSON_GetObjectItemCaseSensitive(root, "actions") : NULL))
		if (!kx_json_str(a, "id") || !kx_json_str(a, "title") ||
		    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(a, "params")))
			ok = false;
	/* A choice's value_labels, where given, name values of that choice with strings. */
	const cJSON *t, *l, *typed = ok ? types : NULL;
	cJSON_ArrayForEach(t, typed) {
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(t, "value_labels");
		if (labels && !cJSON_IsObject(labels)) {
			ok = false;
			continue;
		}
		cJSON_ArrayForEach(l, labels) {
			bool known = false;
			const cJSON *v;
			cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(t, "values"))
				known |= cJSON_IsString(v) && !strcmp(v->valuestring, l->string);
			if (!known || !cJSON_IsString(l) || !l->valuestring[0])
				ok = false;
		}
	}
	if (!ok) {
		snprintf(err, errlen, "'%s' is not a repair catalogue ({\"actions\": [...]} with id, "
			 "title and params each; a choice's value_labels name its values)", path);
		cJSON_Delete(root);
		return NULL;
	}
	struct ra_catalogue *c = xcalloc(1, sizeof *c);
	c->root = root;
	return c;
}

void ra_catalogue_free(struct ra_catalogue *c)
{
	if (!c)
		return;
	cJSON_Delete(c->root);
	free(c);
}

const cJSON *ra_action(const struct ra_catalogue *c, const char *id)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(c->root, "actions"))
		if (id && strcmp(kx_json_str(a, "id"), id) == 0)
			return a;
	return NULL;
}

/* The catalogue's definition of a parameter (its "params" entry), or NULL. */
static const cJSON *param_def(const struct ra_catalogue *c, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->root, "params"),
						name);
}

const char *ra_param_label(const struct ra_catalogue *c, const char *name)
{
	return kx_json_str_or(param_def(c, name), "label", name);
}

const char *ra_param_value_label(const struct ra_catalogue *c, const char *name,
				 const char *value)
{
	return kx_json_str_or(cJSON_GetObjectItemCaseSensitive(param_def(c, name), "value_labels"),
			      value, value);
}

cJSON *ra_catalogue_list(const struct ra_catalogue *c)
{
	cJSON *list = cJSON_CreateArray();
	const cJSON *types = cJSON_GetObjectItemCaseSensitive(c->root, "params");
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(c->root, "actions")) {
		cJSON *o = cJSON_CreateObject();
		static const char *const keys[] = { "id", "title", "description", "risk" };
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			cJSON_AddStringToObject(o, keys[i], kx_json_str(a, keys[i]) ? kx_json_str(a, keys[i]) : "");
		cJSON *params = cJSON_AddObjectToObject(o, "params");
		const cJSON *p;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(a, "params")) {
			cJSON *d = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(types, p->string), 1);
			if (!d)
				d = cJSON_CreateObject();
			cJSON_AddBoolToObject(d, "required", cJSON_IsString(p) &&
					      strcmp(p->valuestring, "required") == 0);
			cJSON_AddItemToObject(params, p->string, d);
		}
		cJSON_AddItemToArray(list, o);
	}
	return list;
}

/* Control characters and the characters Windows refuses in file and key names. */
static const char *bad_char(const char *v, const char *type)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return "a control character";
		if (!strcmp(type, "name") && (*p == '\\' || *p == '/'))
			return "a backslash or slash";
		if (!strcmp(type, "path") && (*p == '"' || *p == '<' || *p == '>' || *p == '|' ||
					       *p == '*' || *p == '?'))
			return "a character Windows does not allow in paths";
	}
	return NULL;
}

/* Minimal UTF-8 validity: what the .cmd export and the registry will hold. */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
			(*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || (n == 1 && *p < 0xc2))
			return false;
		p++;
		for (int i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

static int check_value(const char *name, const cJSON *type, const char *v, char *err,
		       size_t errlen)
{
	const char *t = kx_json_str(type, "type");
	if (!*v) {
		snprintf(err, errlen, "parameter '%s' is empty", name);
		return KX_EINVAL;
	}
	if (strlen(v) > PARAM_MAX || !utf8_ok(v)) {
		snprintf(err, errlen, "parameter '%s' is longer than %d bytes or not UTF-8", name,
			 PARAM_MAX);
		return KX_EINVAL;
	}
	if (t && !strcmp(t, "choice")) {
		const cJSON *x;
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(type, "values"))
			if (cJSON_IsString(x) && !strcmp(x->valuestring, v))
				return 0;
		snprintf(err, errlen, "parameter '%s' cannot be '%s'", name, v);
		return KX_EINVAL;
	}
	const char *bad = bad_char(v, t ? t : "name");
	if (bad) {
		snprintf(err, errlen, "parameter '%s' contains %s", name, bad);
		return KX_EINVAL;
	}
	if (t && !strcmp(t, "path")) {
		bool drive = ((v[0] | 0x20) >= 'a' && (v[0] | 0x20) <= 'z') && v[1] == ':' &&
			     v[2] == '\\';
		bool unc = v[0] == '\\' && v[1] == '\\' && v[2] && v[2] != '\\';
		if (!drive && !unc) {
			snprintf(err, errlen, "parameter '%s' must be a full path (C:\\...) or a UNC "
				 "path (\\\\server\\share\\...)", name);
			return KX_EINVAL;
		}
	}
	return 0;
}

int ra_validate(const struct ra_catalogue *c, const char *id, const cJSON *params,
		cJSON **clean, cJSON **warnings, char *err, size_t errlen)
{
	*clean = NULL;
	*warnings = NULL;
	const cJSON *a = ra_action(c, id);
	if (!a) {
		snprintf(err, errlen, "there is no repair action '%s'", id ? id : "");
		return KX_ENOTFOUND;
	}
	if (params && !cJSON_IsObject(params)) {
		snprintf(err, errlen, "params is an object of name: value");
		return KX_EINVAL;
	}
	const cJSON *types = cJSON_GetObjectItemCaseSensitive(c->root, "params");
	const cJSON *wanted = cJSON_GetObjectItemCaseSensitive(a, "params");
	cJSON *out = cJSON_CreateObject(), *warn = cJSON_CreateArray();
	const cJSON *p;
	cJSON_ArrayForEach(p, params) {
		if (!cJSON_GetObjectItemCaseSensitive(wanted, p->string)) {
			char msg[300];
			snprintf(msg, sizeof msg, "parameter '%.200s' is not used by '%s' and was ignored",
				 p->string, id);
			cJSON_AddItemToArray(warn, cJSON_CreateString(msg));
			continue;
		}
		if (!cJSON_IsString(p)) {
			snprintf(err, errlen, "parameter '%s' must be a string", p->string);
			goto bad;
		}
		if (check_value(p->string, cJSON_GetObjectItemCaseSensitive(types, p->string),
				p->valuestring, err, errlen))
			goto bad;
		cJSON_AddStringToObject(out, p->string, p->valuestring);
	}
	cJSON_ArrayForEach(p, wanted) {
		if (cJSON_IsString(p) && !strcmp(p->valuestring, "required") &&
		    !cJSON_GetObjectItemCaseSensitive(out, p->string)) {
			snprintf(err, errlen, "parameter '%s' is required", p->string);
			goto bad;
		}
	}
	*clean = out;
	*warnings = warn;
	return 0;
bad:
	cJSON_Delete(out);
	cJSON_Delete(warn);
	return KX_EINVAL;
}

/* ---- plans ---- */

struct plan {
	cJSON *steps;
	cJSON *checks;
	const cJSON *params;
};

static const char *param(const struct plan *p, const char *name, const char *dflt)
{
	const char *v = kx_json_str(p->params, name);
	return v ? v : dflt;
}

/* What undoing a step gives back (ra.h): the promise and its words, declared with the step. */
struct undo {
	bool changes;
	const char *level;   /* "exact", "partial" or "none" */
	const char *note;
};

/* A step that only reads, or writes only into koffix's own backup folder. */
static const struct undo READ_ONLY = { false, "exact", "Nothing to undo: this step changes "
				       "nothing on the PC." };

/* Adds a step; args is taken over. Returns the step so callers can add more args. */
static cJSON *step(struct plan *p, const char *kind, const char *scope, bool admin,
		   const char *title, const char *backup, const char *verify, struct undo u,
		   cJSON *args)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddNumberToObject(s, "n", cJSON_GetArraySize(p->steps) + 1);
	cJSON_AddStringToObject(s, "kind", kind);
	cJSON_AddStringToObject(s, "title", title);
	cJSON_AddStringToObject(s, "scope", scope);
	cJSON_AddBoolToObject(s, "admin", admin);
	cJSON_AddItemToObject(s, "args", args ? args : cJSON_CreateObject());
	cJSON_AddStringToObject(s, "backup", backup ? backup : "");
	cJSON_AddStringToObject(s, "verify", verify);
	cJSON_AddBoolToObject(s, "changes", u.changes);
	cJSON_AddStringToObject(s, "undo", u.level);
	cJSON_AddStringToObject(s, "undo_note", u.note);
	cJSON_AddItemToArray(p->steps, s);
	return s;
}

/* Adds a preflight check; args is taken over. */
static void check(struct plan *p, const char *id, const char *kind, const char *title,
		  cJSON *args)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "id", id);
	cJSON_AddStringToObject(c, "kind", kind);
	cJSON_AddStringToObject(c, "title", title);
	cJSON_AddItemToObject(c, "args", args ? args : cJSON_CreateObject());
	cJSON_AddItemToArray(p->checks, c);
}

static cJSON *args_kv(const char *k1, const char *v1, const char *k2, const char *v2)
{
	cJSON *a = cJSON_CreateObject();
	if (k1 && v1)
		cJSON_AddStringToObject(a, k1, v1);
	if (k2 && v2)
		cJSON_AddStringToObject(a, k2, v2);
	return a;
}

/* Office 2016 and later, and Microsoft 365, all keep their settings under 16.0. */
static const char *office_key(const char *version)
{
	if (!version)
		return "16.0";
	if (!strcmp(version, "2010"))
		return "14.0";
	if (!strcmp(version, "2013"))
		return "15.0";
	return "16.0";
}

static void profiles_keys(const char *version, char *profiles, size_t plen, char *dflt,
			  size_t dlen)
{
	if (version && !strcmp(version, "2010")) {
		/* Outlook 2010 and older: the Windows Messaging Subsystem keeps the profiles and
		 * the DefaultProfile value in one key. */
		snprintf(profiles, plen, "HKCU\\Software\\Microsoft\\Windows NT\\CurrentVersion\\"
			 "Windows Messaging Subsystem\\Profiles");
		snprintf(dflt, dlen, "%s", profiles);
		return;
	}
	snprintf(profiles, plen, "HKCU\\Software\\Microsoft\\Office\\%s\\Outlook\\Profiles",
		 office_key(version));
	snprintf(dflt, dlen, "HKCU\\Software\\Microsoft\\Office\\%s\\Outlook", office_key(version));
}

static cJSON *process_args(bool with_backend)
{
	cJSON *args = cJSON_CreateObject();
	cJSON *procs = cJSON_AddArrayToObject(args, "processes");
	static const char *const names[] = { "OUTLOOK.EXE", "KoffBackend.exe", "UcMapi.exe",
					     "fixmapi.exe" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (with_backend || i != 1)
			cJSON_AddItemToArray(procs, cJSON_CreateString(names[i]));
	cJSON_AddBoolToObject(args, "other_mapi_clients", 1);
	return args;
}

static void process_check(struct plan *p, bool with_backend)
{
	check(p, "programs-closed", "processes", "Outlook and other programs that use MAPI are "
	      "closed", process_args(with_backend));
	step(p, RA_KIND_PROCESS_CHECK, "user", false,
	     "Check that Outlook, the connector's KoffBackend.exe and other mail programs that use "
	     "MAPI are closed", NULL, "No listed program is running; koffix names any that is.",
	     READ_ONLY, process_args(with_backend));
}

/* The checks every repair that needs administrator rights or Windows Installer makes. */
static void machine_checks(struct plan *p)
{
	check(p, "admin", "admin", "koffix runs with administrator rights", NULL);
	check(p, "no-pending-install", "pending-install", "No other installation is in progress "
	      "and no restart is pending for the connector's files",
	      args_kv("product_name", "Kerio Outlook Connector", NULL, NULL));
}

static void find_product(struct plan *p, bool optional)
{
	cJSON *args = cJSON_CreateObject();
	cJSON_AddStringToObject(args, "display_name", "Kerio Outlook Connector");
	if (optional)
		cJSON_AddBoolToObject(args, "optional", 1);
	cJSON *views = cJSON_AddArrayToObject(args, "uninstall_keys");
	static const char *const keys[][2] = {
		{ "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall", "64" },
		{ "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall", "32" },
		{ "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall", "64" },
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		cJSON *k = cJSON_CreateObject();
		cJSON_AddStringToObject(k, "key", keys[i][0]);
		cJSON_AddStringToObject(k, "view", keys[i][1]);
		cJSON_AddItemToArray(views, k);
	}
	step(p, RA_KIND_FIND_PRODUCT, "machine", false, optional ?
	     "Find the installed connector by its name \"Kerio Outlook Connector\" in the three "
	     "lists of installed programs (64-bit, 32-bit and per-user); none means a new install"
	     : "Find the installed connector by its name \"Kerio Outlook Connector\" in the three "
	     "lists of installed programs (64-bit, 32-bit and per-user)", NULL, optional ?
	     "At most one installed connector is found, with its product code and folder." :
	     "Exactly one installed connector is found, with its product code and folder.",
	     READ_ONLY, args);
}

/* The installer check's arguments: what the agent needs to judge the package. */
static cJSON *installer_args(const struct plan *p)
{
	cJSON *a = args_kv("path", param(p, "installer", ""), "office_bitness",
			   param(p, "office_bitness", NULL));
	cJSON_AddStringToObject(a, "product_name", "Kerio Outlook Connector");
	cJSON *makers = cJSON_AddArrayToObject(a, "manufacturers");
	static const char *const known[] = { "Kerio", "GFI" };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		cJSON_AddItemToArray(makers, cJSON_CreateString(known[i]));
	cJSON_AddStringToObject(a, "method", param(p, "method", "msi"));
	cJSON_AddBoolToObject(a, "allow_downgrade", !strcmp(param(p, "allow_downgrade", "no"), "yes"));
	if (param(p, "previous_installer", NULL))
		cJSON_AddStringToObject(a, "previous_installer", param(p, "previous_installer", ""));
	return a;
}

static void plan_reinstall(struct plan *p)
{
	const char *bits = param(p, "office_bitness", NULL);
	const char *method = param(p, "method", "msi");
	const char *previous = param(p, "previous_installer", NULL);
	process_check(p, true);
	check(p, "installer", "installer", "The installer you gave is the connector's, for this "
	      "Office, and not older than the installed one", installer_args(p));
	if (!strcmp(method, "manual")) {
		step(p, RA_KIND_OPEN_CPL, "user", false,
		     "Open Programs and Features (appwiz.cpl): uninstall \"Kerio Outlook Connector "
		     "(Offline Edition)\" there, then run the installer from your Kerio Connect server",
		     NULL, "Programs and Features opened.",
		     (struct undo){ false, "none", "koffix only opens Programs and Features; what you "
				    "change there is yours to reverse." },
		     args_kv("applet", "appwiz.cpl", "installer", param(p, "installer", NULL)));
		return;
	}
	machine_checks(p);
	check(p, "disk-space", "disk-space", "Enough free disk space for Windows Installer",
	      args_kv("path", "%ProgramFiles%", "package", param(p, "installer", "")));
	find_product(p, true);
	step(p, RA_KIND_REG_EXPORT, "machine", false,
	     "Save the connector's entry in the list of installed programs",
	     "the Uninstall registry entry of the connector, as an importable .reg file",
	     "The .reg file exists and is not empty.", READ_ONLY,
	     args_kv("key", "$product.key", "file", "connector-uninstall-entry.reg"));
	step(p, RA_KIND_FILE_BACKUP, "machine", false,
	     "Keep a copy of the installer you gave with this repair's backups, so that a later "
	     "repair can put this version back",
	     "the installer package, whole (with its files)",
	     "The copy has the same size and SHA-256 as the original.", READ_ONLY,
	     args_kv("path", param(p, "installer", ""), "name", "installer.msi"));
	cJSON *u = args_kv("product", "$product.code", "log", "uninstall.log");
	cJSON_AddStringToObject(u, "unless_upgrades", param(p, "installer", ""));
	cJSON_AddBoolToObject(u, "allow_downgrade", !strcmp(param(p, "allow_downgrade", "no"), "yes"));
	if (previous)
		cJSON_AddStringToObject(u, "previous_installer", previous);
	step(p, RA_KIND_MSI_UNINSTALL, "machine", true,
	     "Only if the new installer cannot replace the installed connector in place: uninstall "
	     "the installed connector through Windows Installer first (log kept)", NULL,
	     "Windows Installer reports the product as no longer installed (or the step was not "
	     "needed).", previous ?
	     (struct undo){ true, "partial", "Installs the previous version again from the "
			    "installer you named (previous_installer); settings it kept in the "
			    "connector's folder may not come back." } :
	     (struct undo){ true, "none", "An uninstall can only be taken back with the previous "
			    "version's installer, and none was named (previous_installer). Windows' "
			    "own cached copy has no files and is never used. koffix only takes this "
			    "step when the new installer cannot upgrade in place, and the check before "
			    "the run refuses it when no previous installer is at hand." },
	     u);
	cJSON *i = args_kv("package", param(p, "installer", ""), "log", "install.log");
	cJSON_AddBoolToObject(i, "upgrade", 1);
	cJSON_AddBoolToObject(i, "allow_downgrade", !strcmp(param(p, "allow_downgrade", "no"), "yes"));
	if (bits)
		cJSON_AddStringToObject(i, "expect_machine", bits);
	if (previous)
		cJSON_AddStringToObject(i, "previous_installer", previous);
	step(p, RA_KIND_MSI_INSTALL, "machine", true,
	     "Install the connector from the installer you gave, as an upgrade in place where "
	     "Windows Installer can (one transaction: if it fails, Windows Installer rolls it back "
	     "and the connector you had stays)", NULL,
	     bits ? "Windows Installer reports the connector installed, and KofMsp32.dll is in its "
		    "folder and built for the same bitness as Office."
		  : "Windows Installer reports the connector installed, and KofMsp32.dll is in its "
		    "folder.", previous ?
	     (struct undo){ true, "partial", "Removes the connector this step installed and installs "
			    "the previous version again from the installer you named "
			    "(previous_installer); settings the newer version changed may stay." } :
	     (struct undo){ true, "none", "Windows Installer cannot take an upgrade back by itself: "
			    "going back needs the previous version's installer, and none was named "
			    "(previous_installer)." },
	     i);
}

static void plan_rebuild_profile(struct plan *p)
{
	const char *version = param(p, "office_version", "2016");
	const char *name = param(p, "profile", "Outlook (koffix)");
	static const char options[] = "HKCU\\Software\\Microsoft\\Exchange\\Client\\Options";
	char profiles[256], dflt[256], newkey[600];
	profiles_keys(version, profiles, sizeof profiles, dflt, sizeof dflt);
	snprintf(newkey, sizeof newkey, "%s\\%s", profiles, name);
	process_check(p, true);
	check(p, "profile-name", "key-free", "No profile has the new profile's name yet",
	      args_kv("key", newkey, "what", "an Outlook profile with this name"));
	step(p, RA_KIND_REG_EXPORT, "user", false, "Save all your Outlook profiles",
	     "every Outlook profile, as an importable .reg file",
	     "The .reg file exists and is not empty.", READ_ONLY,
	     args_kv("key", profiles, "file", "outlook-profiles.reg"));
	cJSON *s = step(p, RA_KIND_REG_EXPORT, "user", false,
			"Save whether Outlook asks which profile to open",
			"Outlook's \"prompt for a profile\" setting, as an importable .reg file",
			"The .reg file exists.", READ_ONLY,
			args_kv("key", options, "file", "outlook-pick-profile.reg"));
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(s, "args"), "value",
				"PickLogonProfile");
	step(p, RA_KIND_REG_CREATE, "user", false,
	     "Create a new, empty Outlook profile beside the old one", NULL,
	     "The new profile exists and the old profiles are unchanged.",
	     (struct undo){ true, "exact", "Deletes the new profile; the old ones were never "
			    "touched." },
	     args_kv("key", newkey, "profile", name));
	s = step(p, RA_KIND_REG_SET, "user", false,
		 "Make Outlook ask which profile to open at start (\"Prompt for a profile to be "
		 "used\"), so that both the old and the new profile are one click away; the default "
		 "profile stays as it is", "(saved above)",
		 "The setting reads back as \"prompt\".",
		 (struct undo){ true, "exact", "Puts the previous setting back exactly, or removes it "
				"when it was not set." },
		 args_kv("key", options, "value", "PickLogonProfile"));
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(s, "args"), "data", "1");
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(s, "args"), "saved_in",
				"outlook-pick-profile.reg");
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(s, "args"), "type", "REG_SZ");
	step(p, RA_KIND_OPEN_CPL, "user", false,
	     "Open Mail in Control Panel so that you can add your Kerio account (server, user "
	     "name, password) to the new profile with the connector's account dialog; once it "
	     "works, choose \"Always use this profile\" there. The old profile and its local data "
	     "stay, and unsynced items can be imported from it later", NULL,
	     "The Mail control panel opened.", READ_ONLY,
	     args_kv("applet", "mlcfg32.cpl", NULL, NULL));
}

static void plan_reregister(struct plan *p)
{
	const char *install = param(p, "office_install", "auto");
	const char *bits = param(p, "office_bitness", NULL);
	process_check(p, true);
	machine_checks(p);
	check(p, "product", "product", "The connector is installed (a repair needs it)",
	      args_kv("display_name", "Kerio Outlook Connector", NULL, NULL));
	cJSON *loc = args_kv("locate", install, "office_key",
			     office_key(param(p, "office_version", NULL)));
	if (bits)
		cJSON_AddStringToObject(loc, "view", !strcmp(bits, "x86") ? "32" : "64");
	cJSON_AddStringToObject(loc, "display_name", "Kerio Outlook Connector");
	check(p, "mapisvc", "mapisvc", "MAPISVC.INF is found, and a trustworthy copy of the "
	      "connector's entries exists (the installed package or a backup)", loc);
	find_product(p, false);
	cJSON *a = args_kv("locate", install, "name", "MAPISVC.INF");
	cJSON_AddStringToObject(a, "office_key", office_key(param(p, "office_version", NULL)));
	if (bits)
		cJSON_AddStringToObject(a, "view", !strcmp(bits, "x86") ? "32" : "64");
	step(p, RA_KIND_FILE_BACKUP, "machine", false,
	     !strcmp(install, "c2r")
		? "Find MAPISVC.INF beside Outlook's MAPI inside Office's Click-to-Run folder (or in "
		  "the Windows system folder) and keep a copy"
		: "Find MAPISVC.INF beside Outlook's MAPI (or in the Windows system folder) and keep "
		  "a copy",
	     "MAPISVC.INF, the file listing MAPI's providers", "The copy matches the original.",
	     READ_ONLY, a);
	cJSON *m = args_kv("dll_dir", "$product.install_dir", "file", "$mapisvc");
	cJSON *sources = cJSON_AddArrayToObject(m, "sources");
	cJSON_AddItemToArray(sources, cJSON_CreateString("installed-package"));
	cJSON_AddItemToArray(sources, cJSON_CreateString("last-backup"));
	step(p, RA_KIND_INI_MERGE, "machine", true,
	     "Restore the connector's service and provider entries in MAPISVC.INF, taken from the "
	     "installed package or else the last backup that had them (never invented), with each "
	     "DLL name pointed at the connector's folder and its own file name kept (MAPI adds the "
	     "\"32\" itself)", NULL,
	     "MAPISVC.INF is read again and lists the connector's service, and each provider its "
	     "own DLL in the connector's folder.",
	     (struct undo){ true, "exact", "Puts the saved MAPISVC.INF back byte for byte." }, m);
	step(p, RA_KIND_MSI_REPAIR, "machine", true,
	     "Ask Windows Installer to repair the connector (missing files and registry entries "
	     "are restored; if the original installer is gone, reinstall instead)", NULL,
	     "Windows Installer reports success (0 or 3010).",
	     (struct undo){ true, "none", "Windows Installer has no undo for a repair. It only puts "
			    "back the connector's own files and registry entries, so there is "
			    "nothing of yours to restore." },
	     args_kv("product", "$product.code", "mode", "omus"));
}

static void plan_reset_cache(struct plan *p)
{
	const char *profile = param(p, "profile", "");
	char from[600];
	snprintf(from, sizeof from, "%%LOCALAPPDATA%%\\Kerio\\Outlook Connector\\%s", profile);
	process_check(p, true);
	check(p, "cache-folder", "folder", "The connector's cache folder of this profile exists",
	      args_kv("path", from, "what", "the connector's cache folder of this profile"));
	cJSON *a = args_kv("path", from, "suffix", ".koffix-$stamp");
	cJSON_AddStringToObject(a, "profile", profile);
	step(p, RA_KIND_FILE_RENAME, "user", false,
	     "Rename the connector's local cache folder of this profile (it stays beside the new "
	     "one, with a date in its name)", "the whole folder is kept, renamed",
	     "The old folder name is free and the renamed folder holds the same files.",
	     (struct undo){ true, "exact", "Renames the folder back; a new cache the connector made "
			    "in the meantime is set aside, never deleted." },
	     a);
}

static void plan_check_dll(struct plan *p)
{
	const char *path = param(p, "dll_path", NULL);
	if (path)
		check(p, "dll-file", "file", "The DLL is there",
		      args_kv("path", path, "what", "the DLL"));
	else
		find_product(p, false);
	cJSON *a = args_kv("path", path ? path : "$product.install_dir\\KofMsp32.dll",
			   "office_bitness", param(p, "office_bitness", NULL));
	step(p, RA_KIND_CHECK_DLL, "user", false,
	     "Check the DLL's digital signature, folder, size, type and bitness", NULL,
	     "A verdict: legitimate, suspicious, malicious or not analysable, with reasons.",
	     READ_ONLY, a);
}

static void plan_collect(struct plan *p)
{
	char profiles[256], dflt[256];
	profiles_keys(param(p, "office_version", NULL), profiles, sizeof profiles, dflt, sizeof dflt);
	cJSON *a = args_kv("folder", "%LOCALAPPDATA%\\koffix\\diagnostics\\$run", "profiles_key",
			   profiles);
	cJSON *what = cJSON_AddArrayToObject(a, "collect");
	static const char *const items[] = { "windows", "office", "profiles", "connector",
					     "mapisvc", "eventlog" };
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
		cJSON_AddItemToArray(what, cJSON_CreateString(items[i]));
	step(p, RA_KIND_COLLECT, "user", false,
	     "Collect Windows and Office versions, the Outlook profiles, the connector's "
	     "registration, MAPISVC.INF and the event log entries that name a blocked MAPI "
	     "provider, into one folder", NULL, "The folder holds the collected files.",
	     (struct undo){ true, "exact", "Deletes the files it collected (anything else you put in "
			    "that folder stays)." }, a);
}

static const struct {
	const char *id;
	void (*build)(struct plan *p);
} builders[] = {
	{ "reinstall-koff", plan_reinstall },
	{ "rebuild-profile", plan_rebuild_profile },
	{ "reregister-mapi", plan_reregister },
	{ "reset-koff-cache", plan_reset_cache },
	{ "check-dll", plan_check_dll },
	{ "collect-diagnostics", plan_collect },
};

/* Builds the plan and the checks of id; false for an action without a builder. */
static bool build(const struct ra_catalogue *c, const char *id, const cJSON *params,
		  struct plan *p)
{
	if (!ra_action(c, id))
		return false;
	for (size_t i = 0; i < sizeof builders / sizeof builders[0]; i++) {
		if (strcmp(builders[i].id, id))
			continue;
		p->steps = cJSON_CreateArray();
		p->checks = cJSON_CreateArray();
		p->params = params;
		builders[i].build(p);
		return true;
	}
	return false;
}

cJSON *ra_plan(const struct ra_catalogue *c, const char *id, const cJSON *params)
{
	struct plan p;
	if (!build(c, id, params, &p))
		return NULL;
	cJSON_Delete(p.checks);
	return p.steps;
}

cJSON *ra_checks(const struct ra_catalogue *c, const char *id, const cJSON *params)
{
	struct plan p;
	if (!build(c, id, params, &p))
		return NULL;
	cJSON_Delete(p.steps);
	return p.checks;
}

bool ra_preflight_blocked(const cJSON *results)
{
	const cJSON *r;
	cJSON_ArrayForEach(r, results)
		if (kx_json_str(r, "state") && !strcmp(kx_json_str(r, "state"), "blocked"))
			return true;
	return false;
}

void ra_consent_text(const cJSON *plan, struct buf *out)
{
	int inexact = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, plan) {
		const char *undo = kx_json_str(s, "undo");
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "changes")) ||
		    (undo && !strcmp(undo, "exact")))
			continue;
		int n = (int)cJSON_GetObjectItemCaseSensitive(s, "n")->valuedouble;
		buf_addf(out, "%sStep %d %s: %s", inexact++ ? " " : "", n,
			 undo && !strcmp(undo, "partial") ? "can only be partly undone" :
			 "cannot be undone", kx_json_str(s, "undo_note") ? kx_json_str(s, "undo_note") : "");
	}
	if (!inexact)
		buf_adds(out, "Every change this repair makes can be undone exactly from its "
			 "backups.");
}

void ra_plan_text(const cJSON *plan, struct buf *out)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, plan) {
		bool changes = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "changes"));
		buf_addf(out, "%d. %s\n", (int)cJSON_GetObjectItemCaseSensitive(s, "n")->valuedouble,
			 kx_json_str(s, "title"));
		buf_addf(out, "   %s%s%s\n", !strcmp(kx_json_str(s, "scope"), "user") ? "for you (per-user)"
			 : "for the whole PC (per-machine)",
			 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "admin")) ?
			 ", needs administrator rights" : "", changes ? "" : ", changes nothing");
		if (*kx_json_str(s, "backup"))
			buf_addf(out, "   saved first: %s\n", kx_json_str(s, "backup"));
		buf_addf(out, "   checked by: %s\n", kx_json_str(s, "verify"));
		if (changes)
			buf_addf(out, "   undo (%s): %s\n", kx_json_str(s, "undo"), kx_json_str(s, "undo_note"));
	}
}
