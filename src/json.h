/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small streaming JSON writer: always valid output, whatever bytes come in. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_writer {
	FILE *out;
	unsigned depth;
	/* For the innermost open container only: once a child closes, the
	 * container holding it has an item, so no stack is needed. */
	bool need_comma;
	bool pretty;
};

void json_init(struct json_writer *w, FILE *out, bool pretty);

/* key is NULL inside arrays and at the top level. */
void json_begin_object(struct json_writer *w, const char *key);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w, const char *key);
void json_end_array(struct json_writer *w);

void json_string(struct json_writer *w, const char *key, const char *value);	/* NULL: null */
void json_int(struct json_writer *w, const char *key, long long value);
void json_uint(struct json_writer *w, const char *key, uint64_t value);
void json_double(struct json_writer *w, const char *key, double value, int decimals);
void json_bool(struct json_writer *w, const char *key, bool value);
void json_null(struct json_writer *w, const char *key);

/* Write s as a JSON string literal: control characters escaped, invalid
 * UTF-8 replaced by U+FFFD so the document stays valid. */
void json_write_escaped(FILE *out, const char *s);
