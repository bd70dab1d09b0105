/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "profiles_cmd.h"

#include "plan.h"
#include "profile.h"
#include "util.h"

static void profiles_usage(void)
{
	printf("Usage: memrun profiles [list]\n"
	       "       memrun profiles show NAME|PATH\n"
	       "\n"
	       "List the profiles memrun finds, each with its description and file,\n"
	       "or show one: its file, the files it inherits, and the values it resolves to.\n"
	       "\n"
	       "A NAME is looked up as NAME%s in $MEMRUN_PROFILE_PATH (':'-separated),\n"
	       "~/.config/memrun/profiles, %s and %s,\n"
	       "the first found winning; a value with a '/' is a path.\n"
	       "\n"
	       "Options:\n"
	       "  -h, --help   show this help and exit\n"
	       "\n"
	       "See memrun.profile(5) for the file format.\n",
	       PROFILE_SUFFIX, SYSTEM_PROFILE_DIR, PROFILE_DIR);
}

static int profiles_list(void)
{
	struct profile_entry *entries;
	size_t n = profile_list_all(&entries), width = 4;

	for (size_t i = 0; i < n; i++)
		if (strlen(entries[i].name) > width)
			width = strlen(entries[i].name);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *description = NULL;
		int r = profile_read_description(entries[i].path, &description);

		/* Listed all the same: it holds the name, and loading it fails. */
		if (r < 0)
			log_warning("%s: %s (profile '%s', along the search path); using it fails",
				    entries[i].path, profile_read_strerror(r), entries[i].name);
		printf("%-*s  %s  (%s)\n", (int)width, entries[i].name,
		       description ? description : "-", entries[i].path);
	}
	profile_entries_free(entries, n);
	if (n == 0)
		fprintf(stderr, "memrun: no profiles found; memrun looks in $MEMRUN_PROFILE_PATH, "
			"~/.config/memrun/profiles, %s and its install directory\n", SYSTEM_PROFILE_DIR);
	return 0;
}

static int profiles_show(const char *name)
{
	struct setting_value values[SETTING_COUNT] = { 0 };
	struct profile_set set = { 0 };
	char buf[SETTING_FORMAT_MAX], from[512];
	int r;

	r = profile_load(&set, name, values);
	if (r < 0) {
		profile_set_free(&set);
		return MEMRUN_EXIT_FAILURE;
	}
	/* The text that was parsed, not the file read again: it may have
	 * changed, or been swapped for something that is not a profile. */
	for (size_t i = 0; i < set.count; i++) {
		const char *text = set.items[i].text ? set.items[i].text : "";
		size_t len = strlen(text);

		printf("%s# %s%s\n%s%s", i ? "\n" : "", set.items[i].path,
		       set.items[i].depth ? " (inherited)" : "", text,
		       len && text[len - 1] != '\n' ? "\n" : "");
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

static bool is_help(const char *arg)
{
	return streq(arg, "-h") || streq(arg, "--help");
}

int profiles_command(int argc, char **argv)
{
	if (argc >= 2 && is_help(argv[1])) {
		profiles_usage();
		return 0;
	}
	if (argc < 2 || streq(argv[1], "list")) {
		if (argc > 2 && is_help(argv[2])) {
			profiles_usage();
			return 0;
		}
		if (argc > 2) {
			log_error("'profiles list' takes no arguments");
			return bad_usage("profiles");
		}
		return profiles_list();
	}
	if (streq(argv[1], "show")) {
		if (argc == 3 && is_help(argv[2])) {
			profiles_usage();
			return 0;
		}
		if (argc != 3) {
			log_error("'profiles show' takes one profile name or path");
			return bad_usage("profiles");
		}
		return profiles_show(argv[2]);
	}
	log_error("unknown 'profiles' command '%s'", argv[1]);
	return bad_usage("profiles");
}
