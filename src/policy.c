/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy.h"

#include <ctype.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "plan.h"
#include "profile.h"
#include "util.h"

/* SYSTEM_PROFILE_DIR and PROFILE_DIR come from the build's config.h. */

const struct policy_key_desc policy_keys[POLICY_KEY_COUNT] = {
	[POLICY_MAX_MEMORY_MAX] = { "max_memory_max", SETTING_MEMORY_MAX,
				    "the largest memory_max a job may ask for" },
	[POLICY_MAX_MEMORY_HIGH] = { "max_memory_high", SETTING_MEMORY_HIGH,
				     "the largest memory_high a job may ask for" },
	[POLICY_MAX_SWAP_MAX] = { "max_swap_max", SETTING_SWAP_MAX,
				  "the largest swap_max a job may ask for" },
	[POLICY_MAX_AS] = { "max_as", SETTING_AS, "the largest RLIMIT_AS a job may ask for" },
	[POLICY_MAX_DATA] = { "max_data", SETTING_DATA,
			      "the largest RLIMIT_DATA a job may ask for" },
	[POLICY_MIN_OOM_SCORE_ADJ] = { "min_oom_score_adj", SETTING_OOM_SCORE_ADJ,
				       "the lowest oom_score_adj a job may ask for" },
	[POLICY_TOTAL_MEMORY_MAX] = { "total_memory_max", SETTING_COUNT,
				      "one memory limit for all of the user's jobs together" },
	[POLICY_ALLOWED_PROFILES] = { "allowed_profiles", SETTING_COUNT,
				      "system profiles that may go beyond the caps" },
	[POLICY_CLAMP] = { "clamp", SETTING_COUNT,
			   "lower a request beyond a cap instead of refusing it" },
};

static void section_free(struct policy_section *s)
{
	free(s->name);
	for (unsigned k = 0; k < POLICY_KEY_COUNT; k++)
		strv_free(s->values[k].words);
}

void policy_free(struct policy *policy)
{
	/* Freed once: the policy is emptied below, which clang 14's analyzer
	 * loses between two calls (it reports a use after free and a double
	 * free on the next two lines). */
	for (size_t i = 0; i < policy->count; i++)
		section_free(&policy->sections[i]); /* NOLINT(clang-analyzer-unix.Malloc) */
	free(policy->sections); /* NOLINT(clang-analyzer-unix.Malloc) */
	free(policy->path);
	*policy = (struct policy){ 0 };
}

static const char *kind_word(enum policy_section_kind kind)
{
	return kind == POLICY_SECTION_USER ? "user" : kind == POLICY_SECTION_GROUP ? "group" :
									  "default";
}

const char *policy_section_describe(const struct policy_section *section, char *buf, size_t size)
{
	if (section->kind == POLICY_SECTION_DEFAULT)
		snprintf(buf, size, "[default]");
	else
		snprintf(buf, size, "[%s %s]", kind_word(section->kind), section->name);
	return buf;
}

/* A user or group name as useradd(8) allows, or a number. */
static bool account_name_is_valid(const char *name)
{
	if (!*name || strlen(name) > 64 || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-$", *p))
			return false;
	return true;
}

/* "[default]", "[user NAME]", "[group NAME]": a new section. */
static int parse_section(struct policy *policy, const char *path, unsigned lineno, char *line)
{
	size_t n = strlen(line);
	char *inner, *word, *name;
	struct policy_section s = { .line = lineno };
	char buf[128];

	if (line[n - 1] != ']') {
		log_file_error(path, lineno, "a section header must end with ']'");
		return -EINVAL;
	}
	line[n - 1] = '\0';
	inner = strstrip(line + 1);
	word = inner;
	name = inner + strcspn(inner, " \t");
	if (*name)
		*name++ = '\0';
	name = strstrip(name);
	if (streq(word, "default") && !*name) {
		s.kind = POLICY_SECTION_DEFAULT;
	} else if ((streq(word, "user") || streq(word, "group")) && *name) {
		if (!account_name_is_valid(name)) {
			log_file_error(path, lineno, "'%.64s' is not a %s name", name, word);
			log_hint("a name is letters, digits, '.', '_', '-' (or a number)");
			return -EINVAL;
		}
		s.kind = streq(word, "user") ? POLICY_SECTION_USER : POLICY_SECTION_GROUP;
		s.name = xstrdup(name);
	} else {
		log_file_error(path, lineno, "unknown section");
		log_hint("sections are [default], [user NAME] and [group NAME]");
		return -EINVAL;
	}
	for (size_t i = 0; i < policy->count; i++) {
		const struct policy_section *o = &policy->sections[i];
		if (o->kind == s.kind && (s.kind == POLICY_SECTION_DEFAULT || streq(o->name, s.name))) {
			log_file_error(path, lineno, "section %s is already on line %u",
				    policy_section_describe(&s, buf, sizeof(buf)), o->line);
			free(s.name);
			return -EINVAL;
		}
	}
	policy->sections = xrealloc(policy->sections, (policy->count + 1) * sizeof(s));
	policy->sections[policy->count++] = s;
	return 0;
}

static int key_by_name(const char *key, enum policy_key *ret)
{
	for (unsigned k = 0; k < POLICY_KEY_COUNT; k++)
		if (streq(policy_keys[k].key, key)) {
			*ret = (enum policy_key)k;
			return 0;
		}
	return -ENOENT;
}

static void print_known_keys(void)
{
	char keys[512] = "";

	for (unsigned k = 0; k < POLICY_KEY_COUNT; k++) {
		strncat(keys, k ? ", " : "", sizeof(keys) - strlen(keys) - 1);
		strncat(keys, policy_keys[k].key, sizeof(keys) - strlen(keys) - 1);
	}
	log_hint("policy keys are %s (memrun.policy(5))", keys);
}

/* A byte count or max; a percentage of what is left undecided here. */
static int parse_bytes(const char *text, uint64_t *ret, char **ret_why)
{
	struct size_spec spec;
	int r = size_parse(text, &spec, ret_why);

	if (r < 0)
		return r;
	if (spec.kind == SIZE_PERCENT) {
		*ret_why = xstrdup("a cap is a size or max, not a percentage");
		return -EINVAL;
	}
	*ret = spec.kind == SIZE_UNLIMITED ? UINT64_MAX : spec.bytes;
	return 0;
}

/* allowed_profiles: profile names (or '*'), separated by blanks or commas. */
static int parse_words(char *text, char ***ret, char **ret_why)
{
	_cleanup_strv_free_ char **words = NULL;

	for (char *w = strtok(text, " \t,"); w; w = strtok(NULL, " \t,")) {
		if (!streq(w, "*") && !profile_name_is_valid(w)) {
			*ret_why = xasprintf("'%.64s' is not a profile name (letters, digits, "
					     "'.', '_', '-', '+'; '*' for all)", w);
			return -EINVAL;
		}
		strv_push(&words, xstrdup(w));
	}
	*ret = words;
	words = NULL;
	return 0;
}

static int parse_value(enum policy_key k, char *value, struct policy_value *v, char **ret_why)
{
	struct setting_value sv = { 0 };
	int r;

	switch (k) {
	case POLICY_MIN_OOM_SCORE_ADJ:
		r = setting_parse(SETTING_OOM_SCORE_ADJ, value, &sv, ret_why);
		v->number = sv.number;
		return r;
	case POLICY_CLAMP:
		/* A yes/no setting's parser: the same words profiles take. */
		r = setting_parse(SETTING_WAIT_ALL, value, &sv, ret_why);
		v->number = sv.number;
		return r;
	case POLICY_ALLOWED_PROFILES:
		return parse_words(value, &v->words, ret_why);
	default:
		return parse_bytes(value, &v->bytes, ret_why);
	}
}

static int parse_line(struct policy *policy, const char *path, unsigned lineno, char *line)
{
	_cleanup_free_ char *why = NULL;
	struct policy_section *section;
	struct policy_value *v;
	enum policy_key k;
	char *eq, *key, *value, *hash;
	int r;

	line = strstrip(line);
	if (!*line || *line == '#' || *line == ';')
		return 0;
	if (*line == '[')
		return parse_section(policy, path, lineno, line);
	eq = strchr(line, '=');
	if (!eq) {
		log_file_error(path, lineno, "expected 'key = value' or a [section]");
		return -EINVAL;
	}
	*eq = '\0';
	key = strstrip(line);
	value = eq + 1;
	/* A trailing " # comment" ends the value. */
	for (hash = value; (hash = strchr(hash, '#')); hash++)
		if (hash == value || isspace((unsigned char)hash[-1])) {
			*hash = '\0';
			break;
		}
	value = strstrip(value);
	if (key_by_name(key, &k) < 0) {
		log_file_error(path, lineno, "unknown key '%.40s'", key);
		print_known_keys();
		return -EINVAL;
	}
	if (policy->count == 0) {
		log_file_error(path, lineno, "key '%s' is outside any section", key);
		log_hint("start the file with [default], [user NAME] or [group NAME]");
		return -EINVAL;
	}
	section = &policy->sections[policy->count - 1];
	v = &section->values[k];
	if (v->set) {
		log_file_error(path, lineno, "key '%s' is already set on line %u", key, v->line);
		return -EINVAL;
	}
	if (!*value) {
		log_file_error(path, lineno, "key '%s' has no value", key);
		return -EINVAL;
	}
	r = parse_value(k, value, v, &why);
	if (r < 0) {
		log_file_error(path, lineno, "bad value for key '%s': %s", key, why);
		return -EINVAL;
	}
	v->set = true;
	v->line = lineno;
	return 0;
}

int policy_parse_text(struct policy *policy, const char *path, const char *text)
{
	_cleanup_free_ char *copy = xstrdup(text);
	unsigned lineno = 0;
	char *save = NULL;

	policy_free(policy);
	for (char *line = copy; line; line = save) {
		int r;

		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		r = parse_line(policy, path, lineno, line);
		if (r < 0) {
			policy_free(policy);
			return r;
		}
	}
	policy->path = xstrdup(path);
	return 0;
}

/* Only root may change it: owned by root, writable by nobody else. */
static bool root_only_writable(const struct stat *st)
{
	if (st->st_uid != 0)
		return false;
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return true;
	/* A sticky directory (/tmp): others may add names, not replace ours. */
	return S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);
}

int policy_path_is_safe(const char *path, char **ret_why)
{
	_cleanup_free_ char *real = realpath(path, NULL);
	struct stat st;

	if (!real) {
		*ret_why = xasprintf("cannot resolve %s: %s", path, strerror(errno));
		return -EPERM;
	}
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
		*ret_why = xasprintf("%s is not a regular file", real);
		return -EPERM;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		*ret_why = xasprintf("%s is %s", real,
				     st.st_uid != 0 ? "not owned by root" :
						      "writable by users other than root");
		return -EPERM;
	}
	/* Every directory above it: one others could change could swap it. */
	for (char *slash = strrchr(real, '/'); slash; slash = strrchr(real, '/')) {
		*slash = '\0';
		const char *dir = *real ? real : "/";
		if (stat(dir, &st) < 0 || !root_only_writable(&st)) {
			*ret_why = xasprintf("directory %s is %s", dir,
					     st.st_uid != 0 ? "not owned by root" :
							      "writable by users other than root");
			return -EPERM;
		}
		if (!*real)
			break;
	}
	return 0;
}

int policy_load(struct policy *policy, const char *path)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *why = NULL;
	int r;

	policy_free(policy);
	r = profile_read_file(path, &text);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_error("cannot read the policy file %s: %s", path,
			  r == -EACCES ? "permission denied" :
			  r == -EFBIG ? "larger than " PROFILE_MAX_SIZE_TEXT :
					profile_read_strerror(r));
		if (r == -EACCES)
			log_hint("the administrator's policy must be readable by every user "
				 "(mode 0644, owned by root)");
		else
			log_hint("the administrator's policy must be a text file of a few "
				 "'key = value' lines in sections (memrun.policy(5))");
		return r;
	}
	r = policy_path_is_safe(path, &why);
	if (r < 0) {
		log_error("refusing the policy file %s: %s", path, why);
		log_hint("only root may be able to change it: chown root:root and chmod 0644 "
			 "it, and keep it in directories only root can write");
		return r;
	}
	return policy_parse_text(policy, path, text);
}

static int groups_of(const char *user, gid_t gid, gid_t **ret, size_t *ret_n)
{
	int n = 32;

	for (;;) {
		gid_t *groups = xmalloc((size_t)n * sizeof(gid_t));
		int want = n;
		if (getgrouplist(user, gid, groups, &want) >= 0) {
			*ret = groups;
			*ret_n = (size_t)want;
			return 0;
		}
		free(groups);
		if (want <= n || want > 65536)
			return -E2BIG;
		n = want;
	}
}

int policy_caller_self(struct policy_caller *caller)
{
	struct passwd *pw;
	gid_t *groups;
	int n;

	*caller = (struct policy_caller){ .uid = getuid(), .gid = getgid() };
	n = getgroups(0, NULL);
	if (n < 0)
		return -errno;
	groups = xmalloc(((size_t)n + 1) * sizeof(gid_t));
	n = getgroups(n, groups);
	if (n < 0) {
		int err = errno;
		free(groups);
		return -err;
	}
	caller->groups = groups;
	caller->n_groups = (size_t)n;
	pw = getpwuid(caller->uid);
	caller->user = pw ? xstrdup(pw->pw_name) : NULL;
	return 0;
}

int policy_caller_lookup(const char *user, struct policy_caller *caller)
{
	struct passwd *pw = NULL;
	gid_t *groups = NULL;
	size_t n = 0;
	char *end;
	unsigned long id;
	int r;

	*caller = (struct policy_caller){ 0 };
	errno = 0;
	id = strtoul(user, &end, 10);
	if (*user && !*end && errno == 0 && id < UINT_MAX)
		pw = getpwuid((uid_t)id);
	else
		pw = getpwnam(user);
	if (!pw)
		return -ESRCH;
	caller->uid = pw->pw_uid;
	caller->gid = pw->pw_gid;
	caller->user = xstrdup(pw->pw_name);
	r = groups_of(pw->pw_name, pw->pw_gid, &groups, &n);
	if (r < 0) {
		policy_caller_free(caller);
		return r;
	}
	caller->groups = groups;
	caller->n_groups = n;
	return 0;
}

void policy_caller_free(struct policy_caller *caller)
{
	free((void *)caller->groups);
	free((void *)caller->user);
	*caller = (struct policy_caller){ 0 };
}

/* NAME is the caller, by name or number. */
static bool is_user(const char *name, const struct policy_caller *caller)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", (unsigned)caller->uid);
	return streq(name, num) || (caller->user && streq(name, caller->user));
}

static bool in_group(const char *name, const struct policy_caller *caller)
{
	struct group *gr = getgrnam(name);
	char *end;
	unsigned long id;
	gid_t gid;

	if (gr) {
		gid = gr->gr_gid;
	} else {
		errno = 0;
		id = strtoul(name, &end, 10);
		if (!*name || *end || errno || id >= UINT_MAX)
			return false;
		gid = (gid_t)id;
	}
	if (gid == caller->gid)
		return true;
	for (size_t i = 0; i < caller->n_groups; i++)
		if (caller->groups[i] == gid)
			return true;
	return false;
}

static void bind_sections(const struct policy *policy, enum policy_section_kind kind,
			  const struct policy_caller *caller, struct policy_binding *binding)
{
	for (size_t i = 0; i < policy->count; i++) {
		const struct policy_section *s = &policy->sections[i];

		if (s->kind != kind || (kind == POLICY_SECTION_USER && !is_user(s->name, caller)) ||
		    (kind == POLICY_SECTION_GROUP && !in_group(s->name, caller)))
			continue;
		for (unsigned k = 0; k < POLICY_KEY_COUNT; k++)
			if (s->values[k].set) {
				binding->values[k] = s->values[k];
				binding->from[k] = s;
			}
	}
}

void policy_bind(const struct policy *policy, const struct policy_caller *caller,
		 struct policy_binding *binding)
{
	*binding = (struct policy_binding){ 0 };
	if (!policy->path || caller->uid == 0)
		return;
	binding->path = policy->path;
	/* The most specific wins: [default], then the caller's groups in
	 * the file's order, then the caller's own section. */
	bind_sections(policy, POLICY_SECTION_DEFAULT, caller, binding);
	bind_sections(policy, POLICY_SECTION_GROUP, caller, binding);
	bind_sections(policy, POLICY_SECTION_USER, caller, binding);
}

bool policy_allows_profile(const struct policy_binding *binding, const char *name)
{
	if (!binding->path)
		return false;
	for (char **w = binding->values[POLICY_ALLOWED_PROFILES].words; w && *w; w++)
		if (streq(*w, "*") || streq(*w, name))
			return true;
	return false;
}

/* The directory of path is dir (both resolved). */
static bool in_dir(const char *real_path, const char *dir)
{
	_cleanup_free_ char *real_dir = realpath(dir, NULL);
	size_t n;

	if (!real_dir)
		return false;
	n = strlen(real_dir);
	return strncmp(real_path, real_dir, n) == 0 && real_path[n] == '/' &&
	       !strchr(real_path + n + 1, '/');
}

bool policy_allows_origin(const struct policy_binding *binding, const struct origin *origin)
{
	_cleanup_free_ char *real = NULL;
	_cleanup_free_ char *why = NULL;

	if (origin->kind != ORIGIN_PROFILE || !origin->file || !origin->profile)
		return false;
	/* Loaded by name: a path the caller typed is the caller's file. */
	if (!profile_name_is_valid(origin->profile))
		return false;
	real = realpath(origin->file, NULL);
	if (!real || !(in_dir(real, SYSTEM_PROFILE_DIR) || in_dir(real, PROFILE_DIR)))
		return false;
	if (policy_path_is_safe(real, &why) < 0)
		return false;
	return policy_allows_profile(binding, origin->profile);
}
