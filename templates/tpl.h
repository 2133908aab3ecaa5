/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_TPL_H
#define KOFFIX_TPL_H

/*
 * A small logic-less template engine in the Mustache family. Templates are compiled once at
 * start-up into a tree; rendering walks that tree against a cJSON value (the context).
 *
 * Syntax:
 *   {{name}}          value of name, HTML-escaped (escaping is the default)
 *   {{{name}}}        value of name, raw: only for HTML that koffix produced itself (cmark output)
 *   {{a.b.c}}         dotted lookup (a digit segment indexes an array: {{#list.0}}); {{.}} is
 *                     the current context
 *   {{#name}}..{{/name}}  section: an array renders once per element (element pushed as
 *                     context), an object renders once with the object pushed, true/non-empty
 *                     string/non-zero number renders once; false, null, missing, "" , 0 and []
 *                     render nothing
 *   {{^name}}..{{/name}}  inverted section: renders when the section above would not
 *   {{>partial}}      another template of the same set, by name (file name without ".html")
 *   {{! comment }}    nothing
 * Numbers print as integers when integral, else with %g; true/false print as "true"/"false";
 * null prints nothing.
 *
 * Strictness: compilation fails on an unclosed or mismatched section, an unknown partial, an
 * empty or malformed tag ("name" is [A-Za-z0-9_.-]+ or "."), a partial cycle, or an unterminated
 * tag, with "FILE:LINE: message". Rendering fails (KX_ENOTFOUND, message "FILE:LINE: unknown
 * name 'x'") when a variable tag names a key that no context on the stack has; a section on a
 * missing key is simply false, so optional data uses sections.
 */

#include <cjson/cJSON.h>
#include <stddef.h>

#include "../common/buf.h"

struct tpl_set;

/*
 * Compiles every "*.html" file of dir into a new set. On failure returns NULL and writes a
 * message naming file and line into err (size errlen). Caller frees with tpl_set_free().
 */
struct tpl_set *tpl_set_load_dir(const char *dir, char *err, size_t errlen);

/* An empty set to which templates are added from memory (tests, fuzzing). */
struct tpl_set *tpl_set_new(void);

/*
 * Adds template name compiled from src (len bytes). Partials are resolved by tpl_set_link(),
 * so templates may be added in any order. 0, or with a message in err: KX_ESYNTAX (syntax,
 * nesting over 64), KX_ETOOBIG (source over 1 MiB), KX_ECONFLICT (the name is taken).
 */
int tpl_set_add(struct tpl_set *set, const char *name, const char *src, size_t len,
		char *err, size_t errlen);

/* Resolves every {{>partial}}; 0, or KX_ESYNTAX naming the first unknown partial or a cycle. */
int tpl_set_link(struct tpl_set *set, char *err, size_t errlen);

void tpl_set_free(struct tpl_set *set);

/* true when the set holds a template called name. */
int tpl_set_has(const struct tpl_set *set, const char *name);

/*
 * Renders template name with ctx (may be NULL) appending to out. Returns 0; KX_ENOTFOUND for
 * an unknown template or variable (message in err); KX_EINVAL for a variable that names an
 * object or array; KX_ETOOBIG when out's bound is reached or partials nest too deeply.
 * On error out may hold a partial rendering: callers discard it.
 */
int tpl_render(const struct tpl_set *set, const char *name, const cJSON *ctx, struct buf *out,
	       char *err, size_t errlen);

#endif
