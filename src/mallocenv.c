/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "mallocenv.h"

#include "util.h"

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 2 > *cap) {
		*cap = (*len + n + 2) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	if (*len > 0)
		(*buf)[(*len)++] = ':';
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static void append_ours(char **buf, size_t *len, size_t *cap,
			enum setting_id id, const struct setting_value *v)
{
	char item[128];
	int n = snprintf(item, sizeof(item), "%s=%lld", setting_table[id].tunable, v->number);

	append(buf, len, cap, item, (size_t)n);
}

char *mallocenv_merge(const char *existing, const struct setting_value values[SETTING_COUNT])
{
	bool placed[SETTING_COUNT] = { false };
	bool any = false;
	char *buf = NULL;
	size_t len = 0, cap = 0;

	for (unsigned i = SETTING_MALLOC_FIRST; i <= SETTING_MALLOC_LAST; i++)
		any |= values[i].set;
	if (!any)
		return NULL;

	/* Keep the caller's entries in their order; ours replace same-named ones. */
	for (const char *p = existing ? existing : ""; *p;) {
		const char *end = strchrnul(p, ':');
		const char *eq = memchr(p, '=', (size_t)(end - p));
		bool replaced = false;

		for (unsigned i = SETTING_MALLOC_FIRST; eq && i <= SETTING_MALLOC_LAST; i++) {
			const char *name = setting_table[i].tunable;
			if (values[i].set && (size_t)(eq - p) == strlen(name) &&
			    memcmp(p, name, strlen(name)) == 0) {
				if (!placed[i])
					append_ours(&buf, &len, &cap, (enum setting_id)i, &values[i]);
				placed[i] = replaced = true;
				break;
			}
		}
		if (!replaced && end > p)
			append(&buf, &len, &cap, p, (size_t)(end - p));
		p = *end ? end + 1 : end;
	}
	for (unsigned i = SETTING_MALLOC_FIRST; i <= SETTING_MALLOC_LAST; i++)
		if (values[i].set && !placed[i])
			append_ours(&buf, &len, &cap, (enum setting_id)i, &values[i]);
	return buf;
}
