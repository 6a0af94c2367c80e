/*
 * Test-vector access (see wa_vec.h).  The JSON tree is parsed once and
 * kept for the life of the test program.  Every failure prints a line
 * naming the vector to stderr, so a test that depends on a missing or
 * malformed vector fails visibly instead of passing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "wa_vec.h"

#define	VEC_DEFAULT	"../shared/protocol/vectors/vectors.json"

static struct json_object	*vec_root;

static struct json_object *
vec_tree(void)
{
	const char	*path;

	if (vec_root != NULL)
		return vec_root;
	if ((path = getenv("WADESK_VECTORS")) == NULL || *path == '\0')
		path = VEC_DEFAULT;
	if ((vec_root = json_object_from_file(path)) == NULL)
		fprintf(stderr, "vectors: cannot read %s: %s\n", path,
		    json_util_get_last_err());
	return vec_root;
}

/*
 * The string at dotted "path" ("noise.steps.ck_after_ee"), borrowed
 * for the life of the program, or NULL (reported on stderr).
 */
const char *
vec_str(const char *path)
{
	struct json_object	*o, *next;
	char			 key[128];
	const char		*p, *dot;
	size_t			 n;

	if ((o = vec_tree()) == NULL)
		return NULL;
	for (p = path; o != NULL && *p != '\0'; p = *dot ? dot + 1 : dot) {
		if ((dot = strchr(p, '.')) == NULL)
			dot = p + strlen(p);
		n = (size_t)(dot - p);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &next))
			next = NULL;
		o = next;
	}
	if (o == NULL || !json_object_is_type(o, json_type_string)) {
		fprintf(stderr, "vectors: no string at %s\n", path);
		return NULL;
	}
	return json_object_get_string(o);
}

/*
 * Decode lower- or upper-case hex "hex" and append it to "out".
 * Returns 0, or -1 (reported) on odd length or a non-hex digit.
 */
int
hex_decode(const char *hex, struct buf *out)
{
	size_t		 i, len;
	unsigned int	 v;
	char		 two[3];

	len = strlen(hex);
	if (len % 2 != 0) {
		fprintf(stderr, "hex: odd length %zu\n", len);
		return -1;
	}
	for (i = 0; i < len; i += 2) {
		two[0] = hex[i];
		two[1] = hex[i + 1];
		two[2] = '\0';
		if (strspn(two, "0123456789abcdefABCDEF") != 2 ||
		    sscanf(two, "%x", &v) != 1) {
			fprintf(stderr, "hex: bad digit at %zu\n", i);
			return -1;
		}
		buf_putc(out, (int)v);
	}
	return 0;
}

/*
 * Replace the contents of "out" with the bytes of the hex vector at
 * "path".  Returns 0, or -1 (reported).
 */
int
vec_bytes(const char *path, struct buf *out)
{
	const char	*s;

	buf_reset(out);
	if ((s = vec_str(path)) == NULL)
		return -1;
	if (hex_decode(s, out) == -1) {
		fprintf(stderr, "vectors: bad hex at %s\n", path);
		return -1;
	}
	return 0;
}

/*
 * Copy the hex vector at "path" into "out", which must be exactly
 * "len" bytes long.  Returns 0, or -1 (reported) on any mismatch.
 */
int
vec_fixed(const char *path, uint8_t *out, size_t len)
{
	struct buf	 b;
	int		 rc = -1;

	buf_init(&b);
	if (vec_bytes(path, &b) == 0) {
		if (b.len != len)
			fprintf(stderr, "vectors: %s is %zu bytes, want %zu\n",
			    path, b.len, len);
		else {
			memcpy(out, b.data, len);
			rc = 0;
		}
	}
	buf_free(&b);
	return rc;
}
