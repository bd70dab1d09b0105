/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "profile.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "privilege.h"
#include "util.h"

#ifndef SYSTEM_PROFILE_DIR
#define SYSTEM_PROFILE_DIR "/etc/memrun/profiles"
#endif
#ifndef PROFILE_DIR
#define PROFILE_DIR "/usr/local/share/memrun/profiles"
#endif

/* The longest key a message may quote (the longest real one is 21). */
#define QUOTED_KEY_MAX 40
/* How much of a value or path from a file a message quotes. */
#define QUOTED_TEXT_MAX 200

/* The same file or directory, by device and inode. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool dirs_contain(char **dirs, const char *dir)
{
	for (char **d = dirs; d && *d; d++)
		if (streq(*d, dir) || same_file(*d, dir))
			return true;
	return false;
}

char **profile_search_dirs(void)
{
	/* secure_getenv: what the caller sets never chooses an elevated
	 * memrun's profiles. */
	const char *env = secure_getenv("MEMRUN_PROFILE_PATH");
	const char *home = secure_getenv("HOME");
	char **dirs = NULL;

	/* Installed with privilege: the administrator's directories only. */
	if (privilege_elevated()) {
		strv_push(&dirs, xstrdup(SYSTEM_PROFILE_DIR));
		strv_push(&dirs, xstrdup(PROFILE_DIR));
		return dirs;
	}

	for (const char *p = env ? env : ""; *p;) {
		const char *end = strchrnul(p, ':');
		if (end > p)
			strv_push(&dirs, xstrndup(p, (size_t)(end - p)));
		p = *end ? end + 1 : end;
	}
	if (home && *home)
		strv_push(&dirs, xasprintf("%s/.config/memrun/profiles", home));
	strv_push(&dirs, xstrdup(SYSTEM_PROFILE_DIR));
	strv_push(&dirs, xstrdup(PROFILE_DIR));
	/* Not installed yet: the profiles of the tree memrun was built from are
	 * the ones it would be installed with (unless already on the path). */
	if (self_in_build_tree() && !dirs_contain(dirs, SOURCE_TREE_PROFILE_DIR))
		strv_push(&dirs, xstrdup(SOURCE_TREE_PROFILE_DIR));
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

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* path resolves inside one of the administrator's profile directories. */
static bool in_system_dirs(const char *path)
{
	static const char *const system_dirs[] = { SYSTEM_PROFILE_DIR, PROFILE_DIR };
	_cleanup_free_ char *real = realpath(path, NULL);

	for (size_t i = 0; real && i < ELEMENTSOF(system_dirs); i++) {
		_cleanup_free_ char *dir = realpath(system_dirs[i], NULL);
		size_t n = dir ? strlen(dir) : 0;

		if (dir && strncmp(real, dir, n) == 0 && real[n] == '/')
			return true;
	}
	return false;
}

int profile_find(const char *name, const char *skip, char **ret_path)
{
	_cleanup_strv_free_ char **dirs = profile_search_dirs();
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
		/* The first NAME.conf of any type wins, so that a broken one is
		 * an error, not a silent fall-through to another of that name. */
		if (exists(path) && !same_file(path, skip)) {
			/* An elevated memrun's profile is the administrator's:
			 * never a link out of their directories. */
			if (privilege_elevated() && !in_system_dirs(path)) {
				log_error("profile '%s': %s leads out of %s and %s, where memrun, "
					  "installed with privilege, reads profiles by name", name,
					  path, SYSTEM_PROFILE_DIR, PROFILE_DIR);
				log_hint("a symbolic link there must stay inside them; to load a "
					 "file of your own, give its path (with a '/')");
				free(path);
				return -EPERM;
			}
			*ret_path = path;
			r = 0;
			break;
		}
		free(path);
	}
	return r;
}

void profile_set_free(struct profile_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		free(set->items[i].name);
		free(set->items[i].path);
		free(set->items[i].description);
		free(set->items[i].text);
	}
	free(set->items);
	*set = (struct profile_set){ 0 };
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

/*
 * What a message may quote from a file.  A file given as a profile may be
 * none (-p /etc/shadow, by mistake or, with memrun installed with
 * privilege, to read it through the messages).  So a line is quoted only
 * as far as it shows itself a profile line: the value of a known key; an
 * unknown key when it is shaped as one (lower-case letters, digits, '_',
 * '.', '-') and either near a known key or after a line of the file that
 * was a good one.  Anything else is named by file and line alone.
 */
static bool key_is_shaped(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > QUOTED_KEY_MAX || key[0] < 'a' || key[0] > 'z')
		return false;
	for (const char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("_.-", *p)))
			return false;
	return true;
}

static bool key_is_known(const char *key)
{
	enum setting_id id;
	return streq(key, "description") || streq(key, "inherit") || setting_by_key(key, &id);
}

/* Levenshtein distance of two short strings. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[QUOTED_KEY_MAX + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diagonal = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t above = row[j], best = diagonal + (a[i - 1] != b[j - 1]);

			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diagonal = above;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The known key meant by a misspelt, mis-cased or dashed one ("AS",
 * "memory-max", "memroy_max"), or NULL.  Naming it quotes nothing. */
static const char *key_meant(const char *key)
{
	char folded[QUOTED_KEY_MAX + 1];
	size_t n = strlen(key), best = SIZE_MAX;
	const char *meant = NULL;

	if (n == 0 || n > QUOTED_KEY_MAX)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		folded[i] = (char)(key[i] == '-' ? '_' : tolower((unsigned char)key[i]));
	for (int i = -2; i < (int)SETTING_COUNT; i++) {
		const char *known = i == -2 ? "description" : i == -1 ? "inherit" :
					       setting_table[i].key;
		size_t d;

		if (strlen(known) > QUOTED_KEY_MAX)
			continue;
		d = edit_distance(folded, known);
		if (d < best)
			best = d, meant = known;
	}
	/* Short words are all near each other: only one slip for them. */
	return best <= (n <= 4 ? 1u : 2u) ? meant : NULL;
}

/* text with its non-printable bytes as \xNN, cut short with "..." to fit;
 * size: at least 8. */
static const char *quoted(const char *text, char *buf, size_t size)
{
	size_t len = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		size_t need = *p >= 0x20 && *p < 0x7f && *p != '\\' ? 1 : 4;

		if (len + need + 4 > size) {
			memcpy(buf + len, "...", 4);
			return buf;
		}
		if (need == 1)
			buf[len++] = (char)*p;
		else
			len += (size_t)snprintf(buf + len, size - len, "\\x%02x", *p);
	}
	buf[len] = '\0';
	return buf;
}

#define QUOTED_BUF_SIZE (QUOTED_TEXT_MAX + 4)

struct parsed_file {
	struct setting_value values[SETTING_COUNT];
	char *inherit;
	unsigned inherit_line;
	char *description;
	unsigned description_line;
	bool had_good_line;	/* the file has shown itself a profile */
};

static void parsed_file_free(struct parsed_file *pf)
{
	free(pf->inherit);
	free(pf->description);
}

/* A line that is not "key = value" with a known key: key is the text
 * before '=', or the line's first word when there is no '='. */
static int bad_key(const struct parsed_file *pf, const char *path, unsigned lineno,
		   const char *key, bool has_equals)
{
	const char *meant = key_meant(key);
	bool shaped = key_is_shaped(key);

	if (!has_equals && key_is_known(key)) {
		log_file_error(path, lineno, "expected 'key = value': '=' is missing after key '%s'",
			    key);
		return -EINVAL;
	}
	if (meant && shaped)
		log_file_error(path, lineno, "unknown key '%s'; did you mean '%s'?%s", key, meant,
			    has_equals ? "" : " (and '=' is missing)");
	else if (meant)
		log_file_error(path, lineno, "unknown key; did you mean '%s'?%s", meant,
			    has_equals ? "" : " (and '=' is missing)");
	else if (has_equals && shaped && pf->had_good_line)
		log_file_error(path, lineno, "unknown key '%s'", key);
	else if (has_equals && shaped)
		log_file_error(path, lineno, "unknown key (not shown: the file may not be a profile)");
	if (meant || (has_equals && shaped)) {
		print_known_keys();
		return -EINVAL;
	}
	log_file_error(path, lineno, "expected 'key = value'");
	log_hint("a profile holds 'key = value' lines, '#' comments and blank lines; "
		 "a line that is none of them is not shown, in case the file is not a profile");
	return -EINVAL;
}

static int parse_line(struct parsed_file *pf, const char *path, const char *name,
		      unsigned lineno, char *line)
{
	_cleanup_free_ char *why = NULL;
	char *eq, *key, *value;
	char buf[QUOTED_BUF_SIZE];
	const struct setting_desc *desc;
	enum setting_id id;
	int r;

	line = strstrip(line);
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq) {
		line[strcspn(line, " \t")] = '\0';	/* the first word, for a hint */
		return bad_key(pf, path, lineno, line, false);
	}
	*eq = '\0';
	key = strstrip(line);
	value = strstrip(eq + 1);
	if (!*key) {
		log_file_error(path, lineno, "a line starts with '=': the key is missing");
		return -EINVAL;
	}
	if (!key_is_known(key))
		return bad_key(pf, path, lineno, key, true);
	/* From here the line is "key = value" with a known key: quoting its
	 * value helps and gives away nothing a profile would not show. */

	if (streq(key, "description")) {
		size_t n = strlen(value);
		if (pf->description) {
			log_file_error(path, lineno, "key 'description' is already set on line %u",
				    pf->description_line);
			return -EINVAL;
		}
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
			value[n - 1] = '\0', value++;
		pf->description = xstrdup(value);
		pf->description_line = lineno;
		pf->had_good_line = true;
		return 0;
	}

	strip_trailing_comment(value);
	value = strstrip(value);

	if (streq(key, "inherit")) {
		if (pf->inherit) {
			log_file_error(path, lineno, "key 'inherit' is already set on line %u; "
				    "a profile inherits from one other profile", pf->inherit_line);
			return -EINVAL;
		}
		if (!*value) {
			log_file_error(path, lineno, "key 'inherit' needs a profile name or path");
			return -EINVAL;
		}
		pf->inherit = xstrdup(value);
		pf->inherit_line = lineno;
		pf->had_good_line = true;
		return 0;
	}

	desc = setting_by_key(key, &id);
	if (pf->values[id].set) {
		log_file_error(path, lineno, "key '%s' is already set on line %u", key,
			    pf->values[id].origin.line);
		return -EINVAL;
	}
	pf->values[id].origin = (struct origin){
		.kind = ORIGIN_PROFILE, .file = path, .profile = name, .line = lineno,
	};
	r = setting_parse(id, value, &pf->values[id], &why);
	if (r < 0) {
		log_file_error(path, lineno, "bad value for key '%s': '%s': %s", desc->key,
			    quoted(value, buf, sizeof(buf)), why);
		return r;
	}
	pf->had_good_line = true;
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

/* Kernel interfaces: their files say they are regular but are made as
 * they are read, at any length, some with side effects. */
static bool on_kernel_interface_fs(int fd)
{
	static const unsigned long kernel_fs[] = {
		PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC,
		SECURITYFS_MAGIC, CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, BPF_FS_MAGIC,
		EFIVARFS_MAGIC, PSTOREFS_MAGIC, SELINUX_MAGIC, SMACK_MAGIC, BINFMTFS_MAGIC,
	};
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(kernel_fs); i++)
		if ((unsigned long)sfs.f_type == kernel_fs[i])
			return true;
	return false;
}

int profile_read_file(const char *path, char **ret_text)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct stat st;

	/* A FIFO would block the open and a device may act on it: look
	 * first, and open without blocking, nor taking a terminal, so that
	 * what was swapped in since is only looked at again. */
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	/* An elevated memrun reads nothing its caller could not, so that no
	 * message quotes a line of a file the caller may not see. */
	if (!privilege_caller_may_read(path))
		return -EACCES;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || on_kernel_interface_fs(fd))
		return -EISDIR;
	/* Read to the end, not to st_size (a file may grow), but never more
	 * than a profile can be. */
	text = xmalloc(PROFILE_MAX_BYTES + 2);
	for (;;) {
		ssize_t n = read(fd, text + len, PROFILE_MAX_BYTES + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		len += (size_t)n;
		if (n == 0 || len > PROFILE_MAX_BYTES)
			break;
	}
	if (len > PROFILE_MAX_BYTES)
		return -EFBIG;
	text[len] = '\0';
	if (strlen(text) != len)
		return -EILSEQ;	/* a NUL byte: not a text file */
	*ret_text = xrealloc(TAKE_PTR(text), len + 1);
	return 0;
}

const char *profile_read_strerror(int err)
{
	switch (err) {
	case -EISDIR:
		return "not a regular file";
	case -EFBIG:
		return "larger than " PROFILE_MAX_SIZE_TEXT ": not a profile";
	case -EILSEQ:
		return "holds a NUL byte: not a text file";
	}
	return strerror(-err);
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

/* Takes text, which the set keeps for 'memrun profiles show'. */
static int load_profile(struct profile_set *set, const char *name, const char *path,
			char *text, const struct load_chain *parent,
			struct setting_value values[SETTING_COUNT]);

static int load_inherited(struct profile_set *set, const char *path,
			  const struct parsed_file *pf, const struct load_chain *self,
			  struct setting_value values[SETTING_COUNT])
{
	_cleanup_free_ char *parent_path = NULL;
	_cleanup_free_ char *text = NULL;
	char buf[QUOTED_BUF_SIZE];
	int r;

	if (self->depth >= PROFILE_MAX_INHERIT_DEPTH) {
		log_file_error(path, pf->inherit_line, "inherit: more than %d levels of inherit",
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
		log_file_error(path, pf->inherit_line, "inherit: '%s' is not a profile name "
			    "(letters, digits, '.', '_', '-', '+')",
			    quoted(pf->inherit, buf, sizeof(buf)));
		return -EINVAL;
	} else if ((r = profile_find(pf->inherit, path, &parent_path)) < 0) {
		if (r != -ENOENT)
			return r;	/* told */
		log_file_error(path, pf->inherit_line, "inherit: no profile named '%s'", pf->inherit);
		log_hint("see 'memrun profiles list' for the profiles found, and where memrun looks");
		return -ENOENT;
	}

	for (const struct load_chain *c = self; c; c = c->prev)
		if (same_file(c->path, parent_path)) {
			log_file_error(path, pf->inherit_line, "inherit loop: '%s' is already being loaded",
				    quoted(pf->inherit, buf, sizeof(buf)));
			print_chain(self, parent_path);
			return -ELOOP;
		}

	r = profile_read_file(parent_path, &text);
	if (r < 0) {
		log_file_error(path, pf->inherit_line, "inherit: cannot read '%s': %s",
			    quoted(parent_path, buf, sizeof(buf)), profile_read_strerror(r));
		return r;
	}
	return load_profile(set, pf->inherit, parent_path, TAKE_PTR(text), self, values);
}

static int load_profile(struct profile_set *set, const char *name, const char *path,
			char *text, const struct load_chain *parent,
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
		.name = xstrdup(name), .path = xstrdup(path), .depth = self.depth, .text = text,
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
	return load_profile(set, path, path, xstrdup(text), NULL, values);
}

static void print_search_dirs(void)
{
	_cleanup_strv_free_ char **dirs = profile_search_dirs();

	if (privilege_elevated())
		log_hint("%s; searched:", privilege_search_note());
	else
		log_hint("searched (MEMRUN_PROFILE_PATH, then):");
	for (char **d = dirs; *d; d++)
		log_hint("  %s", *d);
}

int profile_load(struct profile_set *set, const char *name_or_path,
		 struct setting_value values[SETTING_COUNT])
{
	_cleanup_free_ char *path = NULL;
	int r;

	if (strchr(name_or_path, '/')) {
		path = xstrdup(name_or_path);
	} else if (!profile_name_is_valid(name_or_path)) {
		log_error("'%s' is not a profile name (letters, digits, '.', '_', '-', '+'); "
			  "to load a file, give a path with a '/', such as ./%s",
			  name_or_path, name_or_path);
		return -EINVAL;
	} else if ((r = profile_find(name_or_path, NULL, &path)) < 0) {
		if (r != -ENOENT)
			return r;	/* told */
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

	r = profile_read_file(path, &text);
	if (r < 0 && streq(name, path)) {
		log_error("cannot read profile '%s': %s", path, profile_read_strerror(r));
		return r;
	}
	if (r < 0) {
		/* Found by name: say where, as the file is not what was typed. */
		_cleanup_free_ char *dir = xstrdup(path);

		log_error("cannot read profile '%s': %s: %s", name, path, profile_read_strerror(r));
		log_hint("'%s' is the first %s%s along the profile search path, in %s; memrun "
			 "does not look past it", name, name, PROFILE_SUFFIX, dirname(dir));
		return r;
	}
	return load_profile(set, name, path, TAKE_PTR(text), NULL, values);
}

int profile_read_description(const char *path, char **ret_description)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r;

	/* A light scan, not a parse: a broken profile still lists, and its
	 * errors show when it is used. */
	*ret_description = NULL;
	r = profile_read_file(path, &text);
	if (r < 0)
		return r;
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
		if (!streq(strstrip(line), "description"))
			continue;
		value = strstrip(eq + 1);
		n = strlen(value);
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
			value[n - 1] = '\0', value++;
		*ret_description = xstrdup(value);
		return 0;
	}
	return 0;
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct profile_entry *)a)->name,
		      ((const struct profile_entry *)b)->name);
}

size_t profile_list_all(struct profile_entry **ret)
{
	_cleanup_strv_free_ char **dirs = profile_search_dirs();
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
			_cleanup_free_ char *name = NULL, *path = NULL;
			bool seen = false;

			if (len <= slen || !streq(de->d_name + len - slen, PROFILE_SUFFIX))
				continue;
			name = xasprintf("%.*s", (int)(len - slen), de->d_name);
			for (size_t i = 0; i < n && !seen; i++)
				seen = streq(entries[i].name, name);
			if (seen || !profile_name_is_valid(name))
				continue;
			path = xasprintf("%s/%s", *d, de->d_name);
			if (!exists(path))	/* a dangling link: profile_find passes it */
				continue;
			if (privilege_elevated() && !in_system_dirs(path))
				continue;	/* a link out, which loading refuses */
			entries = xrealloc(entries, (n + 1) * sizeof(*entries));
			entries[n].path = TAKE_PTR(path);
			entries[n++].name = TAKE_PTR(name);
		}
		closedir(dir);
	}
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
