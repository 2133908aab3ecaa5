/* SPDX-License-Identifier: MIT */
/*
 * The template engine in three steps: tpl_set_add() compiles a source into a tree of nodes,
 * tpl_set_link() points every partial node at its template (refusing unknown names and
 * cycles), and tpl_render() walks the tree with a stack of cJSON contexts.
 *
 * Text nodes point into the template's own copy of its source, so compiling allocates little
 * and rendering copies text straight from there.
 */
#include "tpl.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/util.h"
#include "../common/attr.h"

#define TPL_MAX_SRC (1u << 20)	/* bytes of one template source */
#define TPL_MAX_DEPTH 64	/* sections nested inside one template */
#define TPL_MAX_PARTIALS 64	/* partials nested inside one another */
#define TPL_QUOTE_MAX 60	/* bytes of a bad tag quoted in a message */

enum tpl_kind { TPL_TEXT, TPL_VAR, TPL_RAW, TPL_SECTION, TPL_INVERTED, TPL_PARTIAL };

struct tpl;

struct tpl_node {
	enum tpl_kind kind;
	int line;
	const char *text;		/* TPL_TEXT: bytes inside the template's source */
	size_t len;
	char *name;			/* the tag's name as written: messages, partial look-up */
	char *segs;			/* the name split at dots into NUL-terminated segments */
	int nseg;			/* 0 for "." */
	struct tpl_node *child;		/* sections: the body */
	struct tpl_node *next;
	const struct tpl *partial;	/* TPL_PARTIAL: set by tpl_set_link() */
};

struct tpl {
	char *name;
	char *src;
	struct tpl_node *root;
	int mark;	/* link: 0 not visited, 1 on the current path, 2 done */
	int height;	/* link: longest chain of partials below this template */
};

struct tpl_set {
	struct tpl **v;
	size_t n, cap;
};

#define set_err(err, errlen, ...) ((void)kx_errorf(err, errlen, 0, __VA_ARGS__))

/* Writes "FILE:LINE: message" (FILE is the template's name plus ".html") and returns rc. */
static int tag_err(char *err, size_t errlen, const char *tpl, int line, int rc, const char *fmt,
		   ...) KX_PRINTF(6, 7);

static int tag_err(char *err, size_t errlen, const char *tpl, int line, int rc, const char *fmt,
		   ...)
{
	if (!err || errlen == 0)
		return rc;
	int k = snprintf(err, errlen, "%s.html:%d: ", tpl, line);
	if (k >= 0 && (size_t)k < errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Bad input is quoted in messages, but not a whole megabyte of it. */
static int quote_len(size_t n)
{
	return n > TPL_QUOTE_MAX ? TPL_QUOTE_MAX : (int)n;
}

static void free_nodes(struct tpl_node *n)
{
	while (n) {
		struct tpl_node *next = n->next;
		free_nodes(n->child);	/* recursion bounded by TPL_MAX_DEPTH */
		free(n->name);
		free(n->segs);
		free(n);
		n = next;
	}
}

static void free_tpl(struct tpl *t)
{
	free_nodes(t->root);
	free(t->src);
	free(t->name);
	free(t);
}

static struct tpl *find_tpl(const struct tpl_set *set, const char *name)
{
	for (size_t i = 0; set && i < set->n; i++)
		if (strcmp(set->v[i]->name, name) == 0)
			return set->v[i];
	return NULL;
}

/* ---- compiling ---------------------------------------------------------------------------- */

struct open_section {
	struct tpl_node *node;		/* NULL for the top level */
	struct tpl_node **tail;		/* where the next node of this body goes */
};

struct parser {
	const char *name;
	const char *src;
	size_t len;
	size_t line_pos;	/* line_at() has counted newlines up to here */
	int line;
	struct open_section open[TPL_MAX_DEPTH + 1];
	int depth;
	char *err;
	size_t errlen;
};

/* Line of byte pos; cheap because callers move mostly forward through the source. */
static int line_at(struct parser *p, size_t pos)
{
	for (; p->line_pos < pos; p->line_pos++)
		if (p->src[p->line_pos] == '\n')
			p->line++;
	while (p->line_pos > pos) {
		p->line_pos--;
		if (p->src[p->line_pos] == '\n')
			p->line--;
	}
	return p->line;
}

static struct tpl_node *append(struct parser *p, enum tpl_kind kind, int line)
{
	struct tpl_node *n = xcalloc(1, sizeof(*n));
	struct open_section *o = &p->open[p->depth];
	n->kind = kind;
	n->line = line;
	*o->tail = n;
	o->tail = &n->next;
	return n;
}

static void add_text(struct parser *p, size_t from, size_t to)
{
	if (to <= from)
		return;
	struct tpl_node *n = append(p, TPL_TEXT, line_at(p, from));
	n->text = p->src + from;
	n->len = to - from;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/*
 * A name is "." or dot-separated segments of [A-Za-z0-9_-]; an empty segment ("a..b", ".a")
 * can never match, so it is refused here rather than failing at render time. Partial names are
 * template names, which may hold dots anywhere ("a.b" from "a.b.html").
 */
static bool valid_name(const char *s, size_t n, bool partial)
{
	if (n == 1 && s[0] == '.')
		return !partial;
	for (size_t i = 0; i < n; i++) {
		if (!is_name_char(s[i]))
			return false;
		if (!partial && s[i] == '.' && (i == 0 || i == n - 1 || s[i - 1] == '.'))
			return false;
	}
	return n > 0;
}

static void set_name(struct tpl_node *n, const char *s, size_t len)
{
	n->name = xstrndup(s, len);
	if (len == 1 && s[0] == '.')
		return;
	n->segs = xstrndup(s, len);
	n->nseg = 1;
	for (size_t i = 0; i < len; i++) {
		if (n->segs[i] == '.') {
			n->segs[i] = '\0';
			n->nseg++;
		}
	}
}

static size_t find_open(const char *s, size_t len, size_t from)
{
	for (size_t i = from; i + 1 < len; i++)
		if (s[i] == '{' && s[i + 1] == '{')
			return i;
	return len;
}

/*
 * Where the tag whose content starts at i closes: the offset of its closing braces, or len when
 * it does not. A comment may span lines; any other tag ends on its own line and before the next
 * "{{", so that a forgotten "}}" is reported where it was forgotten.
 */
static size_t find_close(const char *s, size_t len, size_t i, size_t close_len, bool comment)
{
	for (; i + close_len <= len; i++) {
		if (s[i] == '}' && s[i + 1] == '}' && (close_len == 2 || s[i + 2] == '}'))
			return i;
		if (!comment && (s[i] == '\n' || (s[i] == '{' && s[i + 1] == '{')))
			return len;
	}
	return len;
}

/*
 * Mustache's standalone rule: a section, inverted, close or comment tag alone on its line
 * (blanks around it allowed) takes the whole line with it, newline included, so that block
 * tags on their own lines leave no blank lines behind. On success *ls is where the line starts
 * and *te where the next line starts.
 */
static bool standalone(const struct parser *p, size_t text_beg, size_t t, size_t e,
		       size_t *ls, size_t *te)
{
	const char *s = p->src;
	size_t b = t;
	while (b > text_beg && is_blank(s[b - 1]))
		b--;
	/* When b reached the end of the previous tag, s[b - 1] is its '}' unless that tag was
	 * itself standalone and took its newline: exactly the case where we are at a line start. */
	if (b > 0 && s[b - 1] != '\n')
		return false;
	size_t f = e;
	while (f < p->len && is_blank(s[f]))
		f++;
	if (f < p->len && s[f] == '\n')
		f++;
	else if (f + 1 < p->len && s[f] == '\r' && s[f + 1] == '\n')
		f += 2;
	else if (f != p->len)
		return false;
	*ls = b;
	*te = f;
	return true;
}

/* One tag as scanned: "{{" at start, the byte after its closing braces at end. */
struct tag {
	char sigil;		/* '#', '^', '/', '>', '!', '{' for raw, 0 for a variable */
	int line;
	size_t start, end;
	const char *name;	/* trimmed content, not NUL-terminated */
	size_t nlen;
};

static int scan_tag(struct parser *p, size_t start, struct tag *tag)
{
	const char *s = p->src;
	size_t i = start + 2, close_len = 2;

	*tag = (struct tag){ .line = line_at(p, start), .start = start };
	if (i < p->len && s[i] == '{') {
		tag->sigil = '{';
		close_len = 3;
		i++;
	} else {
		while (i < p->len && is_blank(s[i]))
			i++;
		if (i < p->len && s[i] && strchr("#^/>!", s[i]))
			tag->sigil = s[i++];
	}
	size_t close = find_close(s, p->len, i, close_len, tag->sigil == '!');
	if (close == p->len)
		return tag_err(p->err, p->errlen, p->name, tag->line, KX_ESYNTAX,
			       "unterminated %s", tag->sigil == '!' ? "comment" : "tag");
	tag->end = close + close_len;
	while (i < close && is_blank(s[i]))
		i++;
	while (close > i && is_blank(s[close - 1]))
		close--;
	tag->name = s + i;
	tag->nlen = close - i;
	if (tag->sigil == '!')
		return 0;
	if (tag->nlen == 0)
		return tag_err(p->err, p->errlen, p->name, tag->line, KX_ESYNTAX, "empty tag");
	if (!valid_name(tag->name, tag->nlen, tag->sigil == '>'))
		return tag_err(p->err, p->errlen, p->name, tag->line, KX_ESYNTAX,
			       "bad tag name '%.*s'", quote_len(tag->nlen), tag->name);
	return 0;
}

/* Adds the node of one tag to the tree, opening or closing sections. */
static int add_tag(struct parser *p, const struct tag *tag)
{
	struct tpl_node *n;

	switch (tag->sigil) {
	case '!':
		return 0;
	case '#':
	case '^':
		if (p->depth == TPL_MAX_DEPTH)
			return tag_err(p->err, p->errlen, p->name, tag->line, KX_ESYNTAX,
				       "sections nested deeper than %d", TPL_MAX_DEPTH);
		n = append(p, tag->sigil == '#' ? TPL_SECTION : TPL_INVERTED, tag->line);
		set_name(n, tag->name, tag->nlen);
		p->depth++;
		p->open[p->depth].node = n;
		p->open[p->depth].tail = &n->child;
		return 0;
	case '/':
		if (p->depth == 0)
			return tag_err(p->err, p->errlen, p->name, tag->line, KX_ESYNTAX,
				       "close tag '/%.*s' without an open section",
				       quote_len(tag->nlen), tag->name);
		n = p->open[p->depth].node;
		if (strlen(n->name) != tag->nlen || memcmp(n->name, tag->name, tag->nlen) != 0)
			return tag_err(p->err, p->errlen, p->name, tag->line, KX_ESYNTAX,
				       "close tag '/%.*s' does not match section '%s' opened on "
				       "line %d", quote_len(tag->nlen), tag->name, n->name,
				       n->line);
		p->depth--;
		return 0;
	default:
		n = append(p, tag->sigil == '>' ? TPL_PARTIAL :
			      tag->sigil == '{' ? TPL_RAW : TPL_VAR, tag->line);
		set_name(n, tag->name, tag->nlen);
		return 0;
	}
}

static int parse(struct parser *p)
{
	size_t text_beg = 0;
	int rc = 0;

	for (;;) {
		struct tag tag;
		size_t start = find_open(p->src, p->len, text_beg);
		if (start == p->len)
			break;
		if ((rc = scan_tag(p, start, &tag)))
			goto out;
		size_t ls, te;
		if (!(tag.sigil && strchr("#^/!", tag.sigil) &&
		      standalone(p, text_beg, tag.start, tag.end, &ls, &te))) {
			ls = tag.start;
			te = tag.end;
		}
		add_text(p, text_beg, ls);
		text_beg = te;
		if ((rc = add_tag(p, &tag)))
			goto out;
	}
	if (p->depth > 0) {
		const struct tpl_node *n = p->open[p->depth].node;
		rc = tag_err(p->err, p->errlen, p->name, n->line, KX_ESYNTAX,
			     "unclosed section '%s'", n->name);
		goto out;
	}
	add_text(p, text_beg, p->len);
out:
	return rc;
}

struct tpl_set *tpl_set_new(void)
{
	return xcalloc(1, sizeof(struct tpl_set));
}

int tpl_set_add(struct tpl_set *set, const char *name, const char *src, size_t len,
		char *err, size_t errlen)
{
	set_err(err, errlen, "%s", "");
	if (!set || !name || !*name || (!src && len)) {
		set_err(err, errlen, "tpl_set_add: bad arguments");
		return KX_EINVAL;
	}
	if (find_tpl(set, name)) {
		set_err(err, errlen, "%s.html: template defined twice", name);
		return KX_ECONFLICT;
	}
	if (len > TPL_MAX_SRC) {
		set_err(err, errlen, "%s.html: template larger than %u bytes", name, TPL_MAX_SRC);
		return KX_ETOOBIG;
	}

	struct tpl *t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->src = xmalloc(len + 1);
	if (len)
		memcpy(t->src, src, len);
	t->src[len] = '\0';

	struct parser p = {
		.name = t->name, .src = t->src, .len = len, .line = 1, .err = err, .errlen = errlen,
	};
	p.open[0].tail = &t->root;
	int rc = parse(&p);
	if (rc) {
		free_tpl(t);
		goto out;
	}
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 16;
		set->v = xrealloc(set->v, set->cap * sizeof(*set->v));
	}
	set->v[set->n++] = t;
out:
	return rc;
}

/* ---- linking ------------------------------------------------------------------------------ */

struct linker {
	const struct tpl_set *set;
	const struct tpl **path;	/* templates being linked, inside one another */
	size_t plen;
	char *err;
	size_t errlen;
};

static int link_tpl(struct linker *l, struct tpl *t);

static int cycle_err(struct linker *l, const struct tpl *t, const struct tpl_node *n,
		     const struct tpl *target)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	size_t i = 0;
	while (l->path[i] != target)
		i++;
	for (; i < l->plen; i++)
		buf_addf(&b, "%s -> ", l->path[i]->name);
	buf_adds(&b, target->name);
	int rc = tag_err(l->err, l->errlen, t->name, n->line, KX_ESYNTAX, "partial cycle: %s",
			 buf_cstr(&b));
	buf_release(&b);
	return rc;
}

static int link_nodes(struct linker *l, struct tpl *t, struct tpl_node *n)
{
	int rc = 0;
	for (; n; n = n->next) {
		if (n->child && (rc = link_nodes(l, t, n->child)))
			goto out;
		if (n->kind != TPL_PARTIAL)
			continue;
		struct tpl *target = find_tpl(l->set, n->name);
		if (!target) {
			rc = tag_err(l->err, l->errlen, t->name, n->line, KX_ESYNTAX,
				     "unknown partial '%s'", n->name);
			goto out;
		}
		n->partial = target;
		if (target->mark == 1) {
			rc = cycle_err(l, t, n, target);
			goto out;
		}
		/* The path check bounds this recursion; the height check catches long chains
		 * that were linked piecewise from different starting templates. */
		if (target->mark == 0 && l->plen > TPL_MAX_PARTIALS)
			t->height = TPL_MAX_PARTIALS + 1;
		else if (target->mark == 0 && (rc = link_tpl(l, target)))
			goto out;
		if (target->height + 1 > t->height)
			t->height = target->height + 1;
		if (t->height > TPL_MAX_PARTIALS) {
			rc = tag_err(l->err, l->errlen, t->name, n->line, KX_ESYNTAX,
				     "partials nested deeper than %d", TPL_MAX_PARTIALS);
			goto out;
		}
	}
out:
	return rc;
}

static int link_tpl(struct linker *l, struct tpl *t)
{
	t->mark = 1;
	l->path[l->plen++] = t;
	int rc = link_nodes(l, t, t->root);
	l->plen--;
	t->mark = 2;
	return rc;
}

int tpl_set_link(struct tpl_set *set, char *err, size_t errlen)
{
	set_err(err, errlen, "%s", "");
	if (!set)
		return KX_EINVAL;
	struct linker l = { .set = set, .err = err, .errlen = errlen };
	l.path = xcalloc(set->n, sizeof(*l.path));
	int rc = 0;
	for (size_t i = 0; i < set->n; i++) {
		set->v[i]->mark = 0;
		set->v[i]->height = 0;
	}
	for (size_t i = 0; i < set->n && rc == 0; i++)
		if (set->v[i]->mark == 0)
			rc = link_tpl(&l, set->v[i]);
	free(l.path);
	return rc;
}

void tpl_set_free(struct tpl_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		free_tpl(set->v[i]);
	free(set->v);
	free(set);
}

int tpl_set_has(const struct tpl_set *set, const char *name)
{
	return name && find_tpl(set, name) != NULL;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct tpl_set *tpl_set_load_dir(const char *dir, char *err, size_t errlen)
{
	struct tpl_set *set = tpl_set_new();
	char **names = NULL, *path = NULL, *src = NULL, *name = NULL;
	size_t n = 0, cap = 0;
	bool ok = false;

	set_err(err, errlen, "%s", "");
	DIR *d = opendir(dir);
	if (!d) {
		set_err(err, errlen, "cannot open template directory '%s': %s", dir,
			strerror(errno));
		goto out;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		/* Hidden files are editor droppings (".#x.html" locks), not templates. */
		if (e->d_name[0] == '.' || len <= 5 || strcmp(e->d_name + len - 5, ".html") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	/* Sorted, so that the first error reported does not depend on directory order. */
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);

	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(dir) + strlen(names[i]) + 2, len;
		path = xmalloc(plen);
		snprintf(path, plen, "%s/%s", dir, names[i]);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			path = NULL;
			continue;
		}
		int rc = kx_read_file(path, TPL_MAX_SRC, &src, &len);
		if (rc == KX_ETOOBIG) {
			set_err(err, errlen, "%s: template larger than %u bytes", names[i],
				TPL_MAX_SRC);
			goto out;
		}
		if (rc) {
			set_err(err, errlen, "cannot read template '%s': %s", path,
				strerror(errno));
			goto out;
		}
		name = xstrndup(names[i], strlen(names[i]) - 5);
		if (tpl_set_add(set, name, src, len, err, errlen) != 0)
			goto out;
		free(name);
		free(src);
		free(path);
		name = src = path = NULL;
	}
	if (tpl_set_link(set, err, errlen) != 0)
		goto out;
	ok = true;
out:
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(name);
	free(src);
	free(path);
	if (!ok) {
		tpl_set_free(set);
		set = NULL;
	}
	return set;
}

/* ---- rendering ---------------------------------------------------------------------------- */

/* The context stack lives in the C stack: each section pushes a frame pointing at its parent. */
struct frame {
	const cJSON *v;
	const struct frame *up;
};

struct render {
	struct buf *out;
	int partials;	/* partials being rendered, inside one another */
	char *err;
	size_t errlen;
};

static const cJSON *child_of(const cJSON *v, const char *seg)
{
	if (cJSON_IsObject(v))
		return cJSON_GetObjectItemCaseSensitive(v, seg);
	/* "items.0.title": an all-digit segment indexes an array. */
	if (cJSON_IsArray(v) && strlen(seg) <= 9 && strspn(seg, "0123456789") == strlen(seg))
		return cJSON_GetArrayItem(v, atoi(seg));
	return NULL;
}

/*
 * The first segment is looked up in each context from the top of the stack down (contexts that
 * are not objects are skipped); later segments only inside what the first one found.
 */
static const cJSON *lookup(const struct tpl_node *n, const struct frame *f)
{
	if (n->nseg == 0)
		return f ? f->v : NULL;
	const char *seg = n->segs;
	const cJSON *v = NULL;
	for (; f && !v; f = f->up)
		if (cJSON_IsObject(f->v))
			v = cJSON_GetObjectItemCaseSensitive(f->v, seg);
	for (int i = 1; v && i < n->nseg; i++) {
		seg += strlen(seg) + 1;
		v = child_of(v, seg);
	}
	return v;
}

static bool truthy(const cJSON *v)
{
	if (!v || cJSON_IsFalse(v) || cJSON_IsNull(v))
		return false;
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsString(v) || cJSON_IsRaw(v))
		return v->valuestring && v->valuestring[0];
	if (cJSON_IsArray(v))
		return v->child != NULL;
	return cJSON_IsTrue(v) || cJSON_IsObject(v);
}

static int out_err(struct render *r, const struct tpl *t, const struct tpl_node *n, int rc)
{
	if (rc == KX_ETOOBIG)
		tag_err(r->err, r->errlen, t->name, n->line, rc, "output larger than %zu bytes",
			r->out->max);
	return rc;
}

static int print_value(struct render *r, const struct tpl *t, const struct tpl_node *n,
		       const struct frame *ctx)
{
	const cJSON *v = lookup(n, ctx);
	char num[64];
	const char *s;

	if (!v)
		return tag_err(r->err, r->errlen, t->name, n->line, KX_ENOTFOUND,
			       "unknown name '%s'", n->name);
	if (cJSON_IsString(v) || cJSON_IsRaw(v)) {
		s = v->valuestring ? v->valuestring : "";
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		/* The range check first: the cast is only defined for values that fit. */
		if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
			snprintf(num, sizeof(num), "%.0f", d == 0 ? 0.0 : d);	/* no "-0" */
		else
			snprintf(num, sizeof(num), "%g", d);
		s = num;
	} else if (cJSON_IsBool(v)) {
		s = cJSON_IsTrue(v) ? "true" : "false";
	} else if (cJSON_IsNull(v)) {
		return 0;
	} else {
		return tag_err(r->err, r->errlen, t->name, n->line, KX_EINVAL,
			       "'%s' is %s, not a printable value", n->name,
			       cJSON_IsArray(v) ? "an array" : "an object");
	}
	size_t len = strlen(s);
	return out_err(r, t, n, n->kind == TPL_RAW ? buf_add(r->out, s, len) :
				buf_add_html(r->out, s, len));
}

static int render_nodes(struct render *r, const struct tpl *t, const struct tpl_node *n,
			const struct frame *ctx)
{
	int rc = 0;
	for (; n && rc == 0; n = n->next) {
		const cJSON *v;
		struct frame f = { .up = ctx };
		switch (n->kind) {
		case TPL_TEXT:
			rc = out_err(r, t, n, buf_add(r->out, n->text, n->len));
			break;
		case TPL_VAR:
		case TPL_RAW:
			rc = print_value(r, t, n, ctx);
			break;
		case TPL_SECTION:
			v = lookup(n, ctx);
			if (cJSON_IsArray(v)) {
				for (const cJSON *el = v->child; el && rc == 0; el = el->next) {
					f.v = el;
					rc = render_nodes(r, t, n->child, &f);
				}
			} else if (truthy(v)) {
				f.v = v;
				rc = render_nodes(r, t, n->child, &f);
			}
			break;
		case TPL_INVERTED:
			if (!truthy(lookup(n, ctx)))
				rc = render_nodes(r, t, n->child, ctx);
			break;
		case TPL_PARTIAL:
			if (!n->partial) {
				rc = tag_err(r->err, r->errlen, t->name, n->line, KX_ENOTFOUND,
					     "unknown partial '%s' (set not linked)", n->name);
				break;
			}
			/* Linking refuses cycles and deep chains; this guards a set whose
			 * tpl_set_link() failed or was never called after later additions. */
			if (r->partials >= TPL_MAX_PARTIALS) {
				rc = tag_err(r->err, r->errlen, t->name, n->line, KX_ETOOBIG,
					     "partials nested deeper than %d", TPL_MAX_PARTIALS);
				break;
			}
			r->partials++;
			rc = render_nodes(r, n->partial, n->partial->root, ctx);
			r->partials--;
			break;
		}
	}
	return rc;
}

int tpl_render(const struct tpl_set *set, const char *name, const cJSON *ctx, struct buf *out,
	       char *err, size_t errlen)
{
	set_err(err, errlen, "%s", "");
	const struct tpl *t = name ? find_tpl(set, name) : NULL;
	if (!t) {
		set_err(err, errlen, "unknown template '%s'", name ? name : "(null)");
		return KX_ENOTFOUND;
	}
	struct render r = { .out = out, .err = err, .errlen = errlen };
	struct frame top = { .v = ctx };
	return render_nodes(&r, t, t->root, ctx ? &top : NULL);
}
