/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define MAX_FRACTION_DIGITS 6

static const struct {
	char letter;
	unsigned shift;
} size_units[] = {
	{ 'k', 10 }, { 'm', 20 }, { 'g', 30 }, { 't', 40 },
};

static int fail(char **ret_why, const char *why, int err)
{
	if (ret_why)
		*ret_why = xstrdup(why);
	return err;
}

/* Digits, then optionally "." and more digits, into an integer and a fraction. */
static const char *scan_number(const char *p, unsigned __int128 *ret_int,
			       uint64_t *ret_frac, unsigned *ret_frac_digits,
			       int *ret_overflow)
{
	unsigned __int128 v = 0;
	uint64_t frac = 0;
	unsigned ndigits = 0;

	*ret_overflow = 0;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > SIZE_MAX_BYTES)
			*ret_overflow = 1;
		if (*ret_overflow)
			v = (unsigned __int128)SIZE_MAX_BYTES + 1;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		for (; isdigit((unsigned char)*p); p++) {
			if (ndigits < MAX_FRACTION_DIGITS) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				ndigits++;
			}
		}
	}
	*ret_int = v;
	*ret_frac = frac;
	*ret_frac_digits = ndigits;
	return p;
}

static uint64_t pow10u(unsigned n)
{
	uint64_t r = 1;
	while (n--)
		r *= 10;
	return r;
}

static int parse_percent(unsigned __int128 whole, uint64_t frac,
			 unsigned frac_digits, struct size_spec *ret,
			 char **ret_why)
{
	/* Thousandths of a percent; finer digits are dropped. */
	uint64_t milli;

	if (whole > 100)
		return fail(ret_why, "a percentage cannot exceed 100%", -ERANGE);
	milli = (uint64_t)whole * 1000;
	if (frac_digits > 3)
		frac /= pow10u(frac_digits - 3), frac_digits = 3;
	milli += frac * pow10u(3 - frac_digits);
	if (milli > 100000)
		return fail(ret_why, "a percentage cannot exceed 100%", -ERANGE);
	if (milli == 0)
		return fail(ret_why, "a percentage must be more than 0%", -ERANGE);
	*ret = (struct size_spec){ .kind = SIZE_PERCENT, .percent_milli = (uint32_t)milli };
	return 0;
}

int size_parse(const char *text, struct size_spec *ret, char **ret_why)
{
	unsigned __int128 whole, bytes;
	uint64_t frac;
	unsigned frac_digits, shift = 0;
	int overflow;
	const char *p;

	if (!text || !*text)
		return fail(ret_why, "the size is empty", -EINVAL);
	if (strcasecmp(text, "max") == 0 || strcasecmp(text, "unlimited") == 0 ||
	    strcasecmp(text, "infinity") == 0) {
		*ret = (struct size_spec){ .kind = SIZE_UNLIMITED };
		return 0;
	}
	if (text[0] == '-')
		return fail(ret_why, "negative sizes are not allowed", -ERANGE);
	if (!isdigit((unsigned char)text[0]))
		return fail(ret_why,
			    "expected a number with an optional K, M, G or T suffix, a percentage, or 'max'",
			    -EINVAL);

	p = scan_number(text, &whole, &frac, &frac_digits, &overflow);
	if (!p)
		return fail(ret_why, "a decimal point must be followed by digits", -EINVAL);

	if (*p == '%') {
		if (p[1] != '\0')
			return fail(ret_why, "nothing may follow '%'", -EINVAL);
		return parse_percent(whole, frac, frac_digits, ret, ret_why);
	}

	if (*p != '\0') {
		for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++)
			if (tolower((unsigned char)*p) == size_units[i].letter) {
				shift = size_units[i].shift;
				p++;
				break;
			}
		/* Optional "iB" after a unit letter, or "B" after anything. */
		if (shift && (p[0] == 'i' || p[0] == 'I') && (p[1] == 'b' || p[1] == 'B'))
			p += 2;
		else if (*p == 'b' || *p == 'B')
			p++;
		if (*p != '\0')
			return fail(ret_why,
				    "unknown unit: use K, M, G or T (powers of 1024), optionally followed by iB or B",
				    -EINVAL);
	}

	if (frac_digits > 0 && shift == 0)
		return fail(ret_why, "a byte count must be a whole number", -EINVAL);
	if (overflow)
		return fail(ret_why, "the size is too large", -ERANGE);

	bytes = whole << shift;
	if (frac_digits > 0)
		bytes += ((unsigned __int128)frac << shift) / pow10u(frac_digits);
	if (bytes > SIZE_MAX_BYTES)
		return fail(ret_why, "the size is too large", -ERANGE);

	*ret = (struct size_spec){ .kind = SIZE_BYTES, .bytes = (uint64_t)bytes };
	return 0;
}

uint64_t size_percent_of(uint32_t percent_milli, uint64_t budget_bytes)
{
	return (uint64_t)(((unsigned __int128)budget_bytes * percent_milli) / 100000);
}

const char *size_format(uint64_t bytes, char buf[static 32])
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;

	/* Up a unit also when "%.1f" would round to 1024: "1.0 GiB", not "1024.0 MiB". */
	while (u + 1 < sizeof(units) / sizeof(units[0]) &&
	       (double)bytes >= 1023.95 * (double)(1ULL << (10 * u)))
		u++;
	if (u == 0)
		snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
	else if (bytes % (1ULL << (10 * u)) == 0)
		snprintf(buf, 32, "%llu %s", (unsigned long long)(bytes >> (10 * u)), units[u]);
	else
		snprintf(buf, 32, "%.1f %s", (double)bytes / (double)(1ULL << (10 * u)), units[u]);
	return buf;
}

const char *size_spec_format(const struct size_spec *spec, char buf[static 32])
{
	switch (spec->kind) {
	case SIZE_UNLIMITED:
		snprintf(buf, 32, "max");
		return buf;
	case SIZE_PERCENT: {
		unsigned frac = spec->percent_milli % 1000;
		int digits = 3;

		/* As people write it: "12.5%", not "12.500%". */
		while (frac && frac % 10 == 0)
			frac /= 10, digits--;
		if (frac == 0)
			snprintf(buf, 32, "%u%%", spec->percent_milli / 1000);
		else
			snprintf(buf, 32, "%u.%0*u%%", spec->percent_milli / 1000, digits, frac);
		return buf;
	}
	case SIZE_BYTES:
	default:
		return size_format(spec->bytes, buf);
	}
}
