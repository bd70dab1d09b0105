/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "profiles_cmd.h"


#include "plan.h"
#include "profile.h"
#include "util.h"

static int profiles_list(void)
{
	struct profile_entry *entries;
	size_t n = profile_list_all(&entries), width = 4;

	for (size_t i = 0; i < n; i++)
		if (strlen(entries[i].name) > width)
			width = strlen(entries[i].name);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *description = profile_read_description(entries[i].path);
		printf("%-*s  %s  (%s)\n", (int)width, entries[i].name,
		       description ? description : "-", entries[i].path);
	}
	profile_entries_free(entries, n);
	if (n == 0)
		fprintf(stderr, "memrun: no profiles found; memrun looks in $MEMRUN_PROFILE_PATH, "
			"~/.config/memrun/profiles, /etc/memrun/profiles and its install directory\n");
	return 0;
}

static int profiles_show(const char *name)
{
	struct setting_value values[SETTING_COUNT] = { 0 };
	struct profile_set set = { 0 };
	char buf[64], from[512];
	int r;

	r = profile_load(&set, name, values);
	if (r < 0) {
		profile_set_free(&set);
		return MEMRUN_EXIT_FAILURE;
	}
	for (size_t i = 0; i < set.count; i++) {
		_cleanup_free_ char *text = NULL;
		FILE *f = fopen(set.items[i].path, "re");
		int c;

		printf("%s# %s%s\n", i ? "\n" : "", set.items[i].path,
		       set.items[i].depth ? " (inherited)" : "");
		if (!f)
			continue;
		while ((c = fgetc(f)) != EOF)
			putchar(c);
		fclose(f);
	}
	printf("\n# resolved:\n");
	for (unsigned i = 0; i < SETTING_COUNT; i++)
		if (values[i].set)
			printf("%s = %s\t# %s\n", setting_table[i].key,
			       setting_format((enum setting_id)i, &values[i], buf),
			       origin_describe(&values[i].origin, from, sizeof(from)));
	profile_set_free(&set);
	return 0;
}

int profiles_command(int argc, char **argv)
{
	if (argc < 2 || streq(argv[1], "list")) {
		if (argc > 2) {
			log_error("'profiles list' takes no arguments");
			return MEMRUN_EXIT_FAILURE;
		}
		return profiles_list();
	}
	if (streq(argv[1], "show")) {
		if (argc != 3) {
			log_error("'profiles show' takes one profile name or path");
			log_hint("usage: memrun profiles show NAME");
			return MEMRUN_EXIT_FAILURE;
		}
		return profiles_show(argv[2]);
	}
	log_error("unknown 'profiles' command '%s'", argv[1]);
	log_hint("usage: memrun profiles [list | show NAME]");
	return MEMRUN_EXIT_FAILURE;
}
