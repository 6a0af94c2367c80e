/*
 * The API's request bodies: strict JSON with json-c, judged against a
 * small per-route schema before any handler reads a field.  Pure (no
 * database, no request): tests/fuzz/fuzz_api.c drives it with
 * hostile bytes.  What is refused, and how:
 *   415  a body whose Content-Type is not application/json;
 *   400  an empty body where one is needed, bytes that are not one
 *        JSON text (json-c's strict mode, nesting over 16, a NUL byte,
 *        anything but blanks after the value);
 *   422  JSON of the wrong shape: not an object, an unknown field, a
 *        field of the wrong type, a string holding a NUL, a missing
 *        required field.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cgi.h"

#define	API_JSON_DEPTH	16

/* 1 if "ct" is application/json, with or without parameters. */
static int
ctype_json(const char *ct)
{
	size_t	 n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static const char *
type_name(enum api_ftype t)
{

	return t == AF_BOOL ? "a boolean (true or false)" : "a string";
}

/*
 * Judge the request body "body" ("len" bytes, any bytes) of type
 * "ctype" (may be NULL) against the "nf" fields "f".  An empty body is
 * accepted (as no fields) unless "need_body".  Returns 0 with "*out"
 * the parsed object (the caller releases it with json_object_put) or
 * NULL for an empty body; or the HTTP status 400, 415 or 422 with a
 * sentence for the caller in "msg" ("msgsz" bytes, at least 128).
 */
int
api_json_parse(const char *ctype, const char *body, size_t len,
    const struct api_field *f, size_t nf, int need_body,
    struct json_object **out, char *msg, size_t msgsz)
{
	struct json_tokener	*tok;
	struct json_object	*o, *v;
	enum json_tokener_error	 jerr;
	size_t			 i, end;
	int			 rc = 0;

	*out = NULL;
	if (len == 0) {
		if (!need_body)
			return 0;
		snprintf(msg, msgsz, "This request needs a JSON object as "
		    "its body.");
		return 400;
	}
	if (!ctype_json(ctype)) {
		snprintf(msg, msgsz, "Send the body as JSON, with "
		    "\"Content-Type: application/json\".");
		return 415;
	}
	if (memchr(body, '\0', len) != NULL || len > (size_t)REQ_BODY_MAX) {
		snprintf(msg, msgsz, "The body is not valid JSON: it holds a "
		    "NUL byte.");
		return 400;
	}
	if ((tok = json_tokener_new_ex(API_JSON_DEPTH)) == NULL) {
		snprintf(msg, msgsz, "The body could not be read.");
		return 400;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL || jerr != json_tokener_success) {
		json_object_put(o);
		snprintf(msg, msgsz, "The body is not valid JSON (%s).",
		    jerr == json_tokener_continue ? "it ends too early" :
		    json_tokener_error_desc(jerr));
		return 400;
	}
	for (i = end; i < len; i++)
		if (strchr(" \t\r\n", body[i]) == NULL) {
			json_object_put(o);
			snprintf(msg, msgsz, "The body is not valid JSON "
			    "(something follows the value).");
			return 400;
		}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(msg, msgsz, "The body must be a JSON object.");
		return 422;
	}
	json_object_object_foreach(o, key, val) {
		for (i = 0; i < nf; i++)
			if (strcmp(key, f[i].name) == 0)
				break;
		if (i == nf) {
			snprintf(msg, msgsz, "Unknown field \"%.40s\".", key);
			rc = 422;
			break;
		}
		if ((f[i].type == AF_STRING &&
		    !json_object_is_type(val, json_type_string)) ||
		    (f[i].type == AF_BOOL &&
		    !json_object_is_type(val, json_type_boolean))) {
			snprintf(msg, msgsz, "The field \"%s\" must be %s.",
			    f[i].name, type_name(f[i].type));
			rc = 422;
			break;
		}
		if (f[i].type == AF_STRING &&
		    strlen(json_object_get_string(val)) !=
		    (size_t)json_object_get_string_len(val)) {
			snprintf(msg, msgsz, "The field \"%s\" holds a NUL "
			    "character.", f[i].name);
			rc = 422;
			break;
		}
	}
	for (i = 0; rc == 0 && i < nf; i++)
		if (f[i].required && !json_object_object_get_ex(o, f[i].name,
		    &v)) {
			snprintf(msg, msgsz, "The field \"%s\" is required.",
			    f[i].name);
			rc = 422;
		}
	if (rc != 0) {
		json_object_put(o);
		return rc;
	}
	*out = o;
	return 0;
}
