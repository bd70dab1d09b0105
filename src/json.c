/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "json.h"

#include <math.h>
#include <string.h>

void json_init(struct json_writer *w, FILE *out, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->pretty = pretty;
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_sequence_length(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	/* Overlong forms, UTF-16 surrogates and values past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return len;
}

void json_write_escaped(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		size_t len = utf8_sequence_length(p);

		if (len == 0) {
			fputs("\\ufffd", out);
			p++;
			continue;
		}
		if (len > 1) {
			fwrite(p, 1, len, out);
			p += len;
			continue;
		}
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\b':
			fputs("\\b", out);
			break;
		case '\f':
			fputs("\\f", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7F)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
		p++;
	}
	fputc('"', out);
}

static void newline_indent(struct json_writer *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->out);
	for (unsigned i = 0; i < w->depth; i++)
		fputs("  ", w->out);
}

static void begin_value(struct json_writer *w, const char *key)
{
	if (w->depth > 0) {
		if (w->need_comma)
			fputc(',', w->out);
		w->need_comma = true;
		newline_indent(w);
	}
	if (key) {
		json_write_escaped(w->out, key);
		fputs(w->pretty ? ": " : ":", w->out);
	}
}

static void open_container(struct json_writer *w, const char *key, char c)
{
	begin_value(w, key);
	fputc(c, w->out);
	w->depth++;
	w->need_comma = false;
}

static void close_container(struct json_writer *w, char c)
{
	bool had_items = w->need_comma;

	if (w->depth > 0)
		w->depth--;
	w->need_comma = true;
	if (had_items)
		newline_indent(w);
	fputc(c, w->out);
	if (w->depth == 0 && w->pretty)
		fputc('\n', w->out);
}

void json_begin_object(struct json_writer *w, const char *key)
{
	open_container(w, key, '{');
}

void json_end_object(struct json_writer *w)
{
	close_container(w, '}');
}

void json_begin_array(struct json_writer *w, const char *key)
{
	open_container(w, key, '[');
}

void json_end_array(struct json_writer *w)
{
	close_container(w, ']');
}

void json_string(struct json_writer *w, const char *key, const char *value)
{
	begin_value(w, key);
	if (value)
		json_write_escaped(w->out, value);
	else
		fputs("null", w->out);
}

void json_int(struct json_writer *w, const char *key, long long value)
{
	begin_value(w, key);
	fprintf(w->out, "%lld", value);
}

void json_uint(struct json_writer *w, const char *key, uint64_t value)
{
	begin_value(w, key);
	fprintf(w->out, "%llu", (unsigned long long)value);
}

void json_double(struct json_writer *w, const char *key, double value, int decimals)
{
	begin_value(w, key);
	/* JSON has no NaN or infinity. */
	if (isfinite(value))
		fprintf(w->out, "%.*f", decimals, value);
	else
		fputs("null", w->out);
}

void json_bool(struct json_writer *w, const char *key, bool value)
{
	begin_value(w, key);
	fputs(value ? "true" : "false", w->out);
}

void json_null(struct json_writer *w, const char *key)
{
	begin_value(w, key);
	fputs("null", w->out);
}
