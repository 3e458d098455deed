/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small, strict JSON parser for the selftests that read vshmctl's output:
 * RFC 8259 syntax (no comments, no trailing commas), numbers kept as
 * unsigned 64-bit integers when they are such, strings with their escapes
 * decoded (\uXXXX below 0x80 only).  Parsing fails on anything else, so a
 * malformed document fails the test that reads it.
 */
#ifndef VSHM_JSON_H
#define VSHM_JSON_H

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
	enum json_type type;
	bool b;
	bool is_uint;		/* JSON_NUM: a non-negative integer, in u */
	uint64_t u;
	char *s;		/* JSON_STR; member name in an object */
	char *key;
	struct json **kids;	/* JSON_ARR, JSON_OBJ */
	size_t n;
};

static void json_free(struct json *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < j->n; i++)
		json_free(j->kids[i]);
	free(j->kids);
	free(j->s);
	free(j->key);
	free(j);
}

static void json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static char *json_parse_string(const char **p)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap), c;

	if (!s || **p != '"')
		goto err;
	(*p)++;
	while ((c = *(*p)++) != '"') {
		if ((unsigned char)c < 0x20)
			goto err;
		if (c == '\\') {
			c = *(*p)++;
			switch (c) {
			case '"':
			case '\\':
			case '/':
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u': {
				unsigned int v = 0, i;

				for (i = 0; i < 4; i++) {
					if (!isxdigit((unsigned char)(*p)[i]))
						goto err;
					v = v * 16 + (isdigit((unsigned char)(*p)[i]) ?
						      (*p)[i] - '0' :
						      tolower((*p)[i]) - 'a' + 10);
				}
				*p += 4;
				if (v == 0 || v >= 0x80)
					goto err;
				c = v;
				break;
			}
			default:
				goto err;
			}
		}
		if (n + 2 > cap) {
			char *t = realloc(s, cap *= 2);

			if (!t)
				goto err;
			s = t;
		}
		s[n++] = c;
	}
	s[n] = 0;
	return s;
err:
	free(s);
	return NULL;
}

static struct json *json_value(const char **p, int depth);

static bool json_add(struct json *j, struct json *kid)
{
	struct json **k = realloc(j->kids, (j->n + 1) * sizeof(*k));

	if (!k)
		return false;
	j->kids = k;
	j->kids[j->n++] = kid;
	return true;
}

static struct json *json_value(const char **p, int depth)
{
	struct json *j = calloc(1, sizeof(*j)), *kid;
	const char *start;
	char *key;

	if (!j || depth > 32)
		goto err;
	json_ws(p);
	switch (**p) {
	case '{':
	case '[': {
		bool obj = **p == '{';
		char close = obj ? '}' : ']';

		j->type = obj ? JSON_OBJ : JSON_ARR;
		(*p)++;
		json_ws(p);
		if (**p == close) {
			(*p)++;
			return j;
		}
		for (;;) {
			key = NULL;
			if (obj) {
				json_ws(p);
				key = json_parse_string(p);
				if (!key)
					goto err;
				json_ws(p);
				if (*(*p)++ != ':') {
					free(key);
					goto err;
				}
			}
			kid = json_value(p, depth + 1);
			if (!kid || !json_add(j, kid)) {
				free(key);
				json_free(kid);
				goto err;
			}
			kid->key = key;
			json_ws(p);
			if (**p == ',') {
				(*p)++;
				continue;
			}
			if (*(*p)++ != close)
				goto err;
			return j;
		}
	}
	case '"':
		j->type = JSON_STR;
		j->s = json_parse_string(p);
		if (!j->s)
			goto err;
		return j;
	case 't':
	case 'f':
	case 'n':
		if (!strncmp(*p, "true", 4) || !strncmp(*p, "null", 4)) {
			j->type = **p == 't' ? JSON_BOOL : JSON_NULL;
			j->b = true;
			*p += 4;
			return j;
		}
		if (!strncmp(*p, "false", 5)) {
			j->type = JSON_BOOL;
			*p += 5;
			return j;
		}
		goto err;
	default:
		start = *p;
		j->type = JSON_NUM;
		if (**p == '-')
			(*p)++;
		if (!isdigit((unsigned char)**p) ||
		    (**p == '0' && isdigit((unsigned char)(*p)[1])))
			goto err;
		while (isdigit((unsigned char)**p))
			(*p)++;
		j->is_uint = *start != '-' && **p != '.' && **p != 'e' &&
			     **p != 'E';
		if (**p == '.') {
			(*p)++;
			if (!isdigit((unsigned char)**p))
				goto err;
			while (isdigit((unsigned char)**p))
				(*p)++;
		}
		if (**p == 'e' || **p == 'E') {
			(*p)++;
			if (**p == '+' || **p == '-')
				(*p)++;
			if (!isdigit((unsigned char)**p))
				goto err;
			while (isdigit((unsigned char)**p))
				(*p)++;
		}
		if (j->is_uint)
			j->u = strtoull(start, NULL, 10);
		return j;
	}
err:
	json_free(j);
	return NULL;
}

/* Parses the whole of @text: one value, nothing but blanks after it. */
static struct json *json_parse(const char *text)
{
	const char *p = text;
	struct json *j = json_value(&p, 0);

	if (!j)
		return NULL;
	json_ws(&p);
	if (*p) {
		json_free(j);
		return NULL;
	}
	return j;
}

/* Member @key of object @j, NULL if absent (or @j is not an object). */
static struct json *json_get(const struct json *j, const char *key)
{
	size_t i;

	if (!j || j->type != JSON_OBJ)
		return NULL;
	for (i = 0; i < j->n; i++)
		if (!strcmp(j->kids[i]->key, key))
			return j->kids[i];
	return NULL;
}

/* Unsigned integer member @key of @j, or @dflt when it is not one. */
static uint64_t json_u64(const struct json *j, const char *key, uint64_t dflt)
{
	const struct json *v = json_get(j, key);

	return v && v->type == JSON_NUM && v->is_uint ? v->u : dflt;
}

#endif /* VSHM_JSON_H */
