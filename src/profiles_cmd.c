/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "profiles_cmd.h"

#include <dirent.h>

#include "plan.h"
#include "profile.h"
#include "util.h"

struct listed {
	char *name;
	char *path;
	char *description;
};

static int compare_listed(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->name, ((const struct listed *)b)->name);
}

static bool already_listed(const struct listed *items, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(items[i].name, name))
			return true;
	return false;
}

static int profiles_list(void)
{
	char **dirs = profile_search_dirs();
	struct listed *items = NULL;
	size_t n = 0, width = 4;

	/* The first directory that has a name wins, as when loading. */
	for (char **d = dirs; *d; d++) {
		DIR *dir = opendir(*d);
		struct dirent *de;

		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			size_t len = strlen(de->d_name);
			_cleanup_free_ char *name = NULL;
			char *path;

			if (len <= strlen(PROFILE_SUFFIX) ||
			    !streq(de->d_name + len - strlen(PROFILE_SUFFIX), PROFILE_SUFFIX))
				continue;
			name = strndup(de->d_name, len - strlen(PROFILE_SUFFIX));
			if (!name || !profile_name_is_valid(name) || already_listed(items, n, name))
				continue;
			path = xasprintf("%s/%s", *d, de->d_name);
			items = xrealloc(items, (n + 1) * sizeof(*items));
			items[n++] = (struct listed){
				.name = TAKE_PTR(name), .path = path,
				.description = profile_read_description(path),
			};
		}
		closedir(dir);
	}
	strv_free(dirs);

	qsort(items, n, sizeof(*items), compare_listed);
	for (size_t i = 0; i < n; i++)
		if (strlen(items[i].name) > width)
			width = strlen(items[i].name);
	for (size_t i = 0; i < n; i++) {
		printf("%-*s  %s  (%s)\n", (int)width, items[i].name,
		       items[i].description ? items[i].description : "-", items[i].path);
		free(items[i].name);
		free(items[i].path);
		free(items[i].description);
	}
	free(items);
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
