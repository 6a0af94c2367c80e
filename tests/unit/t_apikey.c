/*
 * lib/apikey.c: the key format, the stored hash and its constant-time
 * check, scopes and account lists in PostgreSQL's text forms.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "apikey.h"
#include "t.h"

static int
t_new_and_split(void)
{
	char	 key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_HEX + 1];
	char	 hash[APIKEY_HASH_HEX + 1], p2[APIKEY_PREFIX_HEX + 1];
	char	 secret[APIKEY_SECRET_HEX + 1], key2[APIKEY_LEN + 1];
	char	 h2[APIKEY_HASH_HEX + 1];

	apikey_new(key, prefix, hash);
	apikey_new(key2, p2, h2);
	return T_INTEQ(strlen(key), 81) && T_TRUE(strncmp(key, "wdk_", 4) == 0) &&
	    T_INTEQ(apikey_split(key, p2, secret), 0) &&
	    T_STREQ(p2, prefix) && T_TRUE(apikey_secret_ok(secret, hash)) &&
	    T_TRUE(strcmp(key, key2) != 0) &&
	    T_TRUE(!apikey_secret_ok(secret, h2));
}

static int
t_split_refuses(void)
{
	char	 p[APIKEY_PREFIX_HEX + 1], s[APIKEY_SECRET_HEX + 1];
	char	 k[APIKEY_LEN + 2];
	int	 ok = 1;

	memset(k, 'a', APIKEY_LEN);
	memcpy(k, "wdk_", 4);
	k[16] = '_';
	k[APIKEY_LEN] = '\0';
	ok &= T_INTEQ(apikey_split(k, p, s), 0);
	k[20] = 'A';
	ok &= T_INTEQ(apikey_split(k, p, s), -1);
	k[20] = 'a';
	k[16] = 'a';
	ok &= T_INTEQ(apikey_split(k, p, s), -1);
	k[16] = '_';
	k[APIKEY_LEN] = 'a';
	k[APIKEY_LEN + 1] = '\0';
	ok &= T_INTEQ(apikey_split(k, p, s), -1);
	ok &= T_INTEQ(apikey_split(NULL, p, s), -1);
	ok &= T_INTEQ(apikey_split("wdk_", p, s), -1);
	return ok;
}

static int
t_secret_hash_malformed(void)
{

	return T_TRUE(!apikey_secret_ok("x", "zz")) &&
	    T_TRUE(!apikey_secret_ok("x", NULL)) &&
	    T_TRUE(!apikey_secret_ok(NULL, "00"));
}

static int
t_scopes(void)
{
	struct buf	 b;
	unsigned int	 m;
	int		 ok = 1;

	ok &= T_INTEQ(apikey_scopes_parse("{accounts:read,webhooks:manage}",
	    &m), 0);
	ok &= T_INTEQ(m, SCOPE_ACCOUNTS_READ | SCOPE_WEBHOOKS_MANAGE);
	buf_init(&b);
	apikey_scopes_write(&b, m, ", ");
	ok &= T_STREQ(buf_str(&b), "accounts:read, webhooks:manage");
	buf_free(&b);
	ok &= T_INTEQ(apikey_scopes_parse("{accounts:read,nope}", &m), -1);
	ok &= T_INTEQ(apikey_scopes_parse("{accounts:read,}", &m), -1);
	ok &= T_INTEQ(apikey_scopes_parse("accounts:read", &m), -1);
	ok &= T_INTEQ(apikey_scope_bit("messages:send"), SCOPE_MESSAGES_SEND);
	ok &= T_INTEQ(apikey_scope_bit("Messages:send"), 0);
	return ok;
}

static int
t_ids(void)
{
	struct apikey	 k;
	struct buf	 b;
	int64_t		*ids;
	size_t		 n;
	int		 ok = 1;

	ok &= T_INTEQ(apikey_ids_parse("{3,70,12}", &ids, &n), 0);
	ok &= T_INTEQ(n, 3) && T_INTEQ(ids[1], 70);
	memset(&k, 0, sizeof(k));
	k.account_ids = ids;
	k.naccount_ids = n;
	ok &= T_TRUE(apikey_allows(&k, 12)) && T_TRUE(!apikey_allows(&k, 4));
	free(ids);
	k.account_ids = NULL;
	ok &= T_TRUE(apikey_allows(&k, 4));
	ok &= T_INTEQ(apikey_ids_parse("{3,,4}", &ids, &n), -1);
	ok &= T_INTEQ(apikey_ids_parse("{0}", &ids, &n), -1);
	ok &= T_INTEQ(apikey_ids_parse("{1}x", &ids, &n), -1);
	ok &= T_INTEQ(apikey_ids_parse("{}", &ids, &n), -1);
	buf_init(&b);
	ok &= T_INTEQ(apikey_ids_literal(" 3, 7 12,", &b), 3);
	ok &= T_STREQ(buf_str(&b), "{3,7,12}");
	buf_reset(&b);
	ok &= T_INTEQ(apikey_ids_literal("  ", &b), 0);
	ok &= T_INTEQ(apikey_ids_literal("3,x", &b), -1);
	ok &= T_INTEQ(apikey_ids_literal("-3", &b), -1);
	ok &= T_INTEQ(apikey_ids_literal("99999999999999999999", &b), -1);
	buf_free(&b);
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(t_new_and_split), T_CASE(t_split_refuses),
		T_CASE(t_secret_hash_malformed), T_CASE(t_scopes),
		T_CASE(t_ids),
	};

	if (sodium_init() < 0)
		return 1;
	return t_run(cases, T_NCASES(cases));
}
