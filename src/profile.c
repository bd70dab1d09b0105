/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "profile.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "util.h"

#ifndef PROFILE_DIR
#define PROFILE_DIR "/usr/local/share/memrun/profiles"
#endif

#define PROFILE_MAX_BYTES (1 << 20)

void strv_free(char **strv)
{
	for (char **s = strv; s && *s; s++)
		free(*s);
	free(strv);
}

static void strv_push(char ***strv, size_t *n, char *s)
{
	*strv = xrealloc(*strv, (*n + 2) * sizeof(char *));
	(*strv)[(*n)++] = s;
	(*strv)[*n] = NULL;
}

/* The same file or directory, by device and inode. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool strv_contains_dir(char **dirs, const char *dir)
{
	for (char **d = dirs; d && *d; d++)
		if (streq(*d, dir) || same_file(*d, dir))
			return true;
	return false;
}

char **profile_search_dirs(void)
{
	const char *env = getenv("MEMRUN_PROFILE_PATH");
	const char *home = getenv("HOME");
	char **dirs = NULL;
	size_t n = 0;

	for (const char *p = env ? env : ""; *p;) {
		const char *end = strchrnul(p, ':');
		if (end > p)
			strv_push(&dirs, &n, strndup(p, (size_t)(end - p)));
		p = *end ? end + 1 : end;
	}
	if (home && *home)
		strv_push(&dirs, &n, xasprintf("%s/.config/memrun/profiles", home));
	strv_push(&dirs, &n, xstrdup("/etc/memrun/profiles"));
	strv_push(&dirs, &n, xstrdup(PROFILE_DIR));
	/* Not installed yet: the profiles of the tree memrun was built from are
	 * the ones it would be installed with (unless already on the path). */
	if (self_in_build_tree() && !strv_contains_dir(dirs, SOURCE_TREE_PROFILE_DIR))
		strv_push(&dirs, &n, xstrdup(SOURCE_TREE_PROFILE_DIR));
	return dirs;
}

bool profile_name_is_valid(const char *name)
{
	if (!*name || name[0] == '.' || strlen(name) > NAME_MAX - strlen(PROFILE_SUFFIX))
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-+", *p))
			return false;
	return true;
}

static bool is_regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int profile_find(const char *name, const char *skip, char **ret_path)
{
	char **dirs = profile_search_dirs();
	char **start = dirs;
	int r = -ENOENT;

	/* Like #include_next: NAME.conf on the path that inherits NAME gets
	 * the next one after it, so user, site and shipped files can stack
	 * without the last one finding the first again. */
	for (char **d = dirs; skip && *d; d++) {
		_cleanup_free_ char *path = xasprintf("%s/%s%s", *d, name, PROFILE_SUFFIX);
		if (same_file(path, skip)) {
			start = d + 1;
			break;
		}
	}
	for (char **d = start; *d; d++) {
		char *path = xasprintf("%s/%s%s", *d, name, PROFILE_SUFFIX);
		if (is_regular_file(path) && !same_file(path, skip)) {
			*ret_path = path;
			r = 0;
			break;
		}
		free(path);
	}
	strv_free(dirs);
	return r;
}

void profile_set_free(struct profile_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		free(set->items[i].name);
		free(set->items[i].path);
		free(set->items[i].description);
	}
	free(set->items);
	*set = (struct profile_set){ 0 };
}

static void parse_error(const char *path, unsigned line, const char *fmt, ...) _printf_(3, 4);
static void parse_error(const char *path, unsigned line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "memrun: %s:%u: ", path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char *strip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* A trailing " # comment" ends the value; '#' inside a word does not.
 * value comes stripped: a '#' at its start had blanks or '=' before it. */
static void strip_trailing_comment(char *value)
{
	for (char *p = value; *p; p++)
		if (*p == '#' && (p == value || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
}

static void print_known_keys(void)
{
	char buf[512];
	size_t len = (size_t)snprintf(buf, sizeof(buf), "known keys: description, inherit");

	for (unsigned i = 0; i < SETTING_COUNT && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, ", %s", setting_table[i].key);
	log_hint("%s", buf);
}

struct parsed_file {
	struct setting_value values[SETTING_COUNT];
	char *inherit;
	unsigned inherit_line;
	char *description;
	unsigned description_line;
};

static void parsed_file_free(struct parsed_file *pf)
{
	free(pf->inherit);
	free(pf->description);
}

static int parse_line(struct parsed_file *pf, const char *path, const char *name,
		      unsigned lineno, char *line)
{
	char *eq, *key, *value, *reason = NULL;
	const struct setting_desc *desc;
	enum setting_id id;
	int r;

	line = strip(line);
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq) {
		parse_error(path, lineno, "expected 'key = value', got '%s'", line);
		return -EINVAL;
	}
	*eq = '\0';
	key = strip(line);
	value = strip(eq + 1);
	if (!*key) {
		parse_error(path, lineno, "a line starts with '=': the key is missing");
		return -EINVAL;
	}

	if (streq(key, "description")) {
		size_t n = strlen(value);
		if (pf->description) {
			parse_error(path, lineno, "key 'description' is already set on line %u",
				    pf->description_line);
			return -EINVAL;
		}
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
			value[n - 1] = '\0', value++;
		pf->description = xstrdup(value);
		pf->description_line = lineno;
		return 0;
	}

	strip_trailing_comment(value);
	value = strip(value);

	if (streq(key, "inherit")) {
		if (pf->inherit) {
			parse_error(path, lineno, "key 'inherit' is already set on line %u; "
				    "a profile inherits from one other profile", pf->inherit_line);
			return -EINVAL;
		}
		if (!*value) {
			parse_error(path, lineno, "key 'inherit' needs a profile name or path");
			return -EINVAL;
		}
		pf->inherit = xstrdup(value);
		pf->inherit_line = lineno;
		return 0;
	}

	desc = setting_by_key(key, &id);
	if (!desc) {
		parse_error(path, lineno, "unknown key '%s'", key);
		print_known_keys();
		return -EINVAL;
	}
	if (pf->values[id].set) {
		parse_error(path, lineno, "key '%s' is already set on line %u", key,
			    pf->values[id].origin.line);
		return -EINVAL;
	}
	pf->values[id].origin = (struct origin){
		.kind = ORIGIN_PROFILE, .file = path, .profile = name, .line = lineno,
	};
	r = setting_parse(id, value, &pf->values[id], &reason);
	if (r < 0) {
		parse_error(path, lineno, "bad value for key '%s': '%s': %s", key, value, reason);
		free(reason);
		return r;
	}
	return 0;
}

static int parse_text(const char *path, const char *name, const char *text,
		      struct parsed_file *pf)
{
	_cleanup_free_ char *copy = xstrdup(text);
	unsigned lineno = 0;
	char *save = NULL;

	/* strtok_r would merge blank lines and shift line numbers: split by hand. */
	for (char *line = copy; line; line = save) {
		int r;

		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		if (!save && !*line)
			break;
		r = parse_line(pf, path, name, lineno, line);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_profile_file(const char *path, char **ret_text)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	if (st.st_size > PROFILE_MAX_BYTES)
		return -EFBIG;
	text = xmalloc((size_t)st.st_size + 1);
	for (;;) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0 || (len += (size_t)n) == (size_t)st.st_size)
			break;
	}
	text[len] = '\0';
	if (strlen(text) != len)
		return -EILSEQ;	/* a NUL byte: not a text file */
	*ret_text = TAKE_PTR(text);
	return 0;
}

struct load_chain {
	const char *path;
	const struct load_chain *prev;
	unsigned depth;
};

static void print_chain(const struct load_chain *chain, const char *again)
{
	char buf[2048];
	size_t len = 0;
	const struct load_chain *stack[PROFILE_MAX_INHERIT_DEPTH + 2];
	unsigned n = 0;

	for (const struct load_chain *c = chain; c && n < ELEMENTSOF(stack); c = c->prev)
		stack[n++] = c;
	while (n-- > 0 && len < sizeof(buf))
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s -> ", stack[n]->path);
	if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, "%s", again);
	log_hint("chain: %s", buf);
}

static int load_profile(struct profile_set *set, const char *name, const char *path,
			const char *text, const struct load_chain *parent,
			struct setting_value values[SETTING_COUNT]);

static int load_inherited(struct profile_set *set, const char *path,
			  const struct parsed_file *pf, const struct load_chain *self,
			  struct setting_value values[SETTING_COUNT])
{
	_cleanup_free_ char *parent_path = NULL;
	_cleanup_free_ char *text = NULL;
	int r;

	if (self->depth >= PROFILE_MAX_INHERIT_DEPTH) {
		parse_error(path, pf->inherit_line, "inherit: more than %d levels of inherit",
			    PROFILE_MAX_INHERIT_DEPTH);
		return -ELOOP;
	}
	if (strchr(pf->inherit, '/')) {
		/* A relative path is relative to the file that names it. */
		if (pf->inherit[0] == '/') {
			parent_path = xstrdup(pf->inherit);
		} else {
			_cleanup_free_ char *dir = xstrdup(path);
			const char *rel = pf->inherit;

			while (startswith(rel, "./"))	/* keep messages' paths clean */
				rel += 2;
			parent_path = xasprintf("%s/%s", dirname(dir), rel);
		}
	} else if (!profile_name_is_valid(pf->inherit)) {
		parse_error(path, pf->inherit_line, "inherit: '%s' is not a profile name "
			    "(letters, digits, '.', '_', '-', '+')", pf->inherit);
		return -EINVAL;
	} else if (profile_find(pf->inherit, path, &parent_path) < 0) {
		parse_error(path, pf->inherit_line, "inherit: no profile named '%s'", pf->inherit);
		log_hint("see 'memrun profiles list' for the profiles found, and where memrun looks");
		return -ENOENT;
	}

	for (const struct load_chain *c = self; c; c = c->prev)
		if (same_file(c->path, parent_path)) {
			parse_error(path, pf->inherit_line, "inherit loop: '%s' is already being loaded",
				    pf->inherit);
			print_chain(self, parent_path);
			return -ELOOP;
		}

	r = read_profile_file(parent_path, &text);
	if (r < 0) {
		parse_error(path, pf->inherit_line, "inherit: cannot read '%s': %s",
			    parent_path, strerror(-r));
		return r;
	}
	return load_profile(set, pf->inherit, parent_path, text, self, values);
}

static int load_profile(struct profile_set *set, const char *name, const char *path,
			const char *text, const struct load_chain *parent,
			struct setting_value values[SETTING_COUNT])
{
	struct parsed_file pf = { 0 };
	struct loaded_profile *item;
	struct load_chain self = {
		.path = path, .prev = parent, .depth = parent ? parent->depth + 1 : 0,
	};
	int r;

	/* The set owns the strings every origin will point to. */
	set->items = xrealloc(set->items, (set->count + 1) * sizeof(*set->items));
	item = &set->items[set->count++];
	*item = (struct loaded_profile){
		.name = xstrdup(name), .path = xstrdup(path), .depth = self.depth,
	};
	path = item->path;
	name = item->name;

	r = parse_text(path, name, text, &pf);
	if (r >= 0 && pf.inherit)
		r = load_inherited(set, path, &pf, &self, values);
	if (r >= 0) {
		for (unsigned i = 0; i < SETTING_COUNT; i++)
			if (pf.values[i].set)
				values[i] = pf.values[i];
		/* set->items may have moved while loading the inherited chain. */
		for (size_t i = 0; i < set->count; i++)
			if (set->items[i].path == path)
				set->items[i].description = TAKE_PTR(pf.description);
	}
	parsed_file_free(&pf);
	return r;
}

int profile_parse_text(struct profile_set *set, const char *path, const char *text,
		       struct setting_value values[SETTING_COUNT])
{
	return load_profile(set, path, path, text, NULL, values);
}

static void print_search_dirs(void)
{
	char **dirs = profile_search_dirs();

	log_hint("searched (MEMRUN_PROFILE_PATH, then):");
	for (char **d = dirs; *d; d++)
		log_hint("  %s", *d);
	strv_free(dirs);
}

int profile_load(struct profile_set *set, const char *name_or_path,
		 struct setting_value values[SETTING_COUNT])
{
	_cleanup_free_ char *path = NULL;

	if (strchr(name_or_path, '/')) {
		path = xstrdup(name_or_path);
	} else if (!profile_name_is_valid(name_or_path)) {
		log_error("'%s' is not a profile name (letters, digits, '.', '_', '-', '+'); "
			  "to load a file, give a path with a '/', such as ./%s",
			  name_or_path, name_or_path);
		return -EINVAL;
	} else if (profile_find(name_or_path, NULL, &path) < 0) {
		log_error("no profile named '%s'", name_or_path);
		if (strstr(name_or_path, PROFILE_SUFFIX))
			log_hint("to load a file, give a path with a '/', such as ./%s", name_or_path);
		print_search_dirs();
		log_hint("'memrun profiles list' shows the profiles found");
		return -ENOENT;
	}
	return profile_load_file(set, name_or_path, path, values);
}

int profile_load_file(struct profile_set *set, const char *name, const char *path,
		      struct setting_value values[SETTING_COUNT])
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = read_profile_file(path, &text);
	if (r < 0) {
		log_error("cannot read profile '%s': %s", path,
			  r == -EISDIR ? "not a regular file" :
			  r == -EFBIG ? "larger than 1 MiB, not a profile" :
			  r == -EILSEQ ? "holds a NUL byte, not a text file" : strerror(-r));
		return r;
	}
	return load_profile(set, name, path, text, NULL, values);
}

char *profile_read_description(const char *path)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;

	/* A light scan, not a parse: a broken profile still lists, and its
	 * errors show when it is used. */
	if (read_profile_file(path, &text) < 0)
		return NULL;
	for (char *line = text; line; line = save) {
		char *eq, *value;
		size_t n;

		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (!streq(strip(line), "description"))
			continue;
		value = strip(eq + 1);
		n = strlen(value);
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
			value[n - 1] = '\0', value++;
		return xstrdup(value);
	}
	return NULL;
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct profile_entry *)a)->name,
		      ((const struct profile_entry *)b)->name);
}

size_t profile_list_all(struct profile_entry **ret)
{
	char **dirs = profile_search_dirs();
	struct profile_entry *entries = NULL;
	size_t n = 0, slen = strlen(PROFILE_SUFFIX);

	/* The first directory that has a name wins, as when loading. */
	for (char **d = dirs; *d; d++) {
		DIR *dir = opendir(*d);
		struct dirent *de;

		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			size_t len = strlen(de->d_name);
			_cleanup_free_ char *name = NULL;
			bool seen = false;

			if (len <= slen || !streq(de->d_name + len - slen, PROFILE_SUFFIX))
				continue;
			name = xasprintf("%.*s", (int)(len - slen), de->d_name);
			for (size_t i = 0; i < n && !seen; i++)
				seen = streq(entries[i].name, name);
			if (seen || !profile_name_is_valid(name))
				continue;
			entries = xrealloc(entries, (n + 1) * sizeof(*entries));
			entries[n].path = xasprintf("%s/%s", *d, de->d_name);
			entries[n++].name = TAKE_PTR(name);
		}
		closedir(dir);
	}
	strv_free(dirs);
	if (n)
		qsort(entries, n, sizeof(*entries), compare_entries);
	*ret = entries;
	return n;
}

void profile_entries_free(struct profile_entry *entries, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(entries[i].name);
		free(entries[i].path);
	}
	free(entries);
}
