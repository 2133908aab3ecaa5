/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "../../common/buf.h"
#include "../../common/util.h"
#include "t.h"

static void test_bounds(void)
{
	struct buf b;
	buf_init(&b, 8);
	T_STR(buf_cstr(&b), "");
	T_INT(buf_adds(&b, "abcd"), 0);
	T_INT(buf_adds(&b, "efgh"), 0);
	T_STR(buf_cstr(&b), "abcdefgh");
	/* Past the bound: refused, and the buffer is exactly as before. */
	T_INT(buf_adds(&b, "i"), KX_ETOOBIG);
	T_INT(b.len, 8);
	T_STR(buf_cstr(&b), "abcdefgh");
	T_INT(buf_addf(&b, "%d", 1), KX_ETOOBIG);
	T_STR(buf_cstr(&b), "abcdefgh");
	buf_reset(&b);
	T_STR(buf_cstr(&b), "");
	T_INT(buf_addf(&b, "%s-%03d", "x", 7), 0);
	T_STR(buf_cstr(&b), "x-007");
	buf_release(&b);
	T_INT(b.max, 8);
	T_OK(b.data == NULL);
}

static void test_html(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "a & b", "a &amp; b" },
		{ "\"q\" 'a'", "&quot;q&quot; &#39;a&#39;" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b;
		buf_init(&b, 1024);
		T_INT(buf_adds_html(&b, cases[i].in), 0);
		T_STR(buf_cstr(&b), cases[i].out);
		buf_release(&b);
	}
	/* An escape that does not fit leaves nothing half-escaped behind. */
	struct buf b;
	buf_init(&b, 6);
	T_INT(buf_adds(&b, "ab"), 0);
	T_INT(buf_adds_html(&b, "<<"), KX_ETOOBIG);
	T_STR(buf_cstr(&b), "ab");
	buf_release(&b);
}

static void test_url_and_take(void)
{
	struct buf b;
	buf_init(&b, 1024);
	T_INT(buf_adds_url(&b, "a b&c=d/é"), 0);
	T_STR(buf_cstr(&b), "a%20b%26c%3Dd%2F%C3%A9");
	size_t len;
	char *s = buf_take(&b, &len);
	T_STR(s, "a%20b%26c%3Dd%2F%C3%A9");
	T_INT(len, 22);
	T_OK(b.data == NULL && b.len == 0);
	free(s);
	s = buf_take(&b, NULL);
	T_STR(s, "");
	free(s);
}

static void test_util(void)
{
	char s[] = "a%20b+c%2";
	kx_url_decode(s, true);
	T_STR(s, "a b c%2");
	T_OK(kx_is_slug("what-is-kofmsp-dll"));
	T_OK(!kx_is_slug("What"));
	T_OK(!kx_is_slug("../etc"));
	T_OK(!kx_is_slug(""));
	T_OK(kx_str_equal_ct("abc", "abc"));
	T_OK(!kx_str_equal_ct("abc", "abd"));
	T_OK(!kx_str_equal_ct("abc", "abcd"));
	char hex[17];
	T_INT(kx_random_hex(hex, 8), 0);
	T_INT(strlen(hex), 16);
	T_STR(kx_strerror(KX_ETOOBIG), "too large");
}

int main(void)
{
	test_bounds();
	test_html();
	test_url_and_take();
	test_util();
	return t_done("buf");
}
