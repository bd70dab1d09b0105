/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "oomd.h"

#include <sys/xattr.h>
#include <time.h>

#include "kernel-log.h"
#include "libsystemd.h"
#include "util.h"

/* oomd logs right after its kill, and journald tells readers of new
 * entries up to a quarter of a second later (kernel-log.c): waited for
 * after an oomd kill only. */
#define RECORD_WAIT_USEC (1000ULL * 1000)

/* ---- the marks ------------------------------------------------------------ */

/* One count as oomd writes it ("3", no newline): 1 and *ret, 0 when the
 * attribute is not there, -errno. */
static int read_count(int dir_fd, const char *name, uint64_t *ret)
{
	char buf[24];
	ssize_t n = fgetxattr(dir_fd, name, buf, sizeof(buf));
	uint64_t value = 0;

	if (n < 0)
		/* A kernel without user xattrs on cgroups (before 5.7) has no
		 * marks to read: oomd could not have left any. */
		return errno == ENODATA || errno == EOPNOTSUPP ? 0 : -errno;
	if (n == 0)
		return -EINVAL;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] < '0' || buf[i] > '9' || value > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		value = value * 10 + (uint64_t)(buf[i] - '0');
	}
	*ret = value;
	return 1;
}

int oomd_read_marks(int dir_fd, struct oomd_marks *marks)
{
	uint64_t actions = 0, processes = 0;
	int r, k;

	r = read_count(dir_fd, "user.oomd_ooms", &actions);
	if (r <= 0 || actions == 0)
		return r < 0 ? r : 0;
	k = read_count(dir_fd, "user.oomd_kill", &processes);
	if (k < 0)
		return k;
	marks->actions += actions;
	marks->processes += processes;
	if (k == 0)
		marks->pending++;
	return 1;
}

/* ---- the record ----------------------------------------------------------- */

const char *oomd_rule_name(enum oomd_rule rule)
{
	switch (rule) {
	case OOMD_RULE_PRESSURE:
		return "memory-pressure";
	case OOMD_RULE_SWAP:
		return "swap";
	case OOMD_RULE_UNKNOWN:
	default:
		return NULL;
	}
}

static bool take(const char **p, const char *end, const char *literal)
{
	size_t n = strlen(literal);

	if ((size_t)(end - *p) < n || memcmp(*p, literal, n) != 0)
		return false;
	*p += n;
	return true;
}

static bool ends_with(const char *begin, const char *end, const char *literal)
{
	size_t n = strlen(literal);

	return (size_t)(end - begin) >= n && memcmp(end - n, literal, n) == 0;
}

/* The last needle in [begin, end), or NULL. */
static const char *find_last(const char *begin, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	const char *last = NULL;

	for (const char *s = begin; (s = memmem(s, (size_t)(end - s), needle, n)); s++)
		last = s;
	return last;
}

static bool take_number(const char **p, const char *end, uint64_t *ret)
{
	const char *s = *p;
	uint64_t value = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (value > (UINT64_MAX - 9) / 10)
			return false;
		value = value * 10 + (uint64_t)(*s - '0');
	}
	if (s == *p)
		return false;
	*p = s;
	*ret = value;
	return true;
}

/* "82.39%", as oomd prints its percentages: in hundredths. */
static bool take_percent(const char **p, const char *end, uint64_t *ret)
{
	uint64_t whole;
	const char *s = *p;

	if (!take_number(&s, end, &whole) || whole > UINT32_MAX || !take(&s, end, ".") ||
	    end - s < 3 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != '%')
		return false;
	*ret = whole * 100 + (uint64_t)(s[0] - '0') * 10 + (uint64_t)(s[1] - '0');
	*p = s + 3;
	return true;
}

/* A time span as systemd's format_timespan() writes it to the second:
 * "20s", "1min 30s", "1h", "0". */
static bool parse_timespan(const char *p, const char *end, double *ret)
{
	/* Longer units first: "min" and "ms" before "M". */
	static const struct {
		const char *unit;
		double seconds;
	} units[] = {
		{ "min", 60 }, { "ms", 1e-3 }, { "us", 1e-6 }, { "y", 31557600 },
		{ "M", 2629800 }, { "w", 604800 }, { "d", 86400 }, { "h", 3600 }, { "s", 1 },
	};
	double total = 0;

	if (end - p == 1 && *p == '0') {
		*ret = 0;
		return true;
	}
	if (p == end)
		return false;
	while (p < end) {
		uint64_t n;
		size_t i;

		if (!take_number(&p, end, &n))
			return false;
		for (i = 0; i < ELEMENTSOF(units) && !take(&p, end, units[i].unit); i++)
			;
		if (i == ELEMENTSOF(units))
			return false;
		total += (double)n * units[i].seconds;
		if (p < end && !take(&p, end, " "))
			return false;
	}
	*ret = total;
	return true;
}

/* "UNIT-CGROUP being 82.39% > 50.00% for > 20s", up to end. */
static bool parse_pressure(const char *p, const char *end, struct oomd_record *r)
{
	const char *monitored = p, *duration;

	/* The unit's cgroup holds no space (unit names cannot): the first
	 * " being " ends it. */
	p = memmem(p, (size_t)(end - p), " being ", strlen(" being "));
	if (!p || p == monitored || *monitored != '/' ||
	    memchr(monitored, ' ', (size_t)(p - monitored)))
		return false;
	r->monitored = xstrndup(monitored, (size_t)(p - monitored));
	p += strlen(" being ");
	if (!take_percent(&p, end, &r->pressure) || !take(&p, end, " > ") ||
	    !take_percent(&p, end, &r->pressure_limit) || !take(&p, end, " for > "))
		return false;
	duration = p;
	if (!parse_timespan(duration, end, &r->duration_s))
		return false;
	r->duration = xstrndup(duration, (size_t)(end - duration));
	return true;
}

/* "U) / total (T) and swap used (SU) / total (ST) being more than 90.00%". */
static bool parse_swap(const char *p, const char *end, struct oomd_record *r)
{
	return take_number(&p, end, &r->memory_used) && take(&p, end, ") / total (") &&
	       take_number(&p, end, &r->memory_total) && take(&p, end, ") and swap used (") &&
	       take_number(&p, end, &r->swap_used) && take(&p, end, ") / total (") &&
	       take_number(&p, end, &r->swap_total) &&
	       take(&p, end, ") being more than ") && take_percent(&p, end, &r->swap_limit) &&
	       p == end;
}

bool oomd_parse_message(const char *message, size_t size, struct oomd_record *ret)
{
	static const char pressure[] = " due to memory pressure for ",
			  reclaim[] = " with reclaim activity", swap[] = " due to memory used (",
			  marked_tail[] = " for killing";
	const char *p = message, *end = message + size, *cause, *victim_end;
	struct oomd_record r = { 0 };
	bool marked = false, ok;

	/* systemd 252 logs "Killed PATH due to ..." after its kill; later
	 * ones "Marked PATH for killing due to ...", and kill right after. */
	if (!take(&p, end, "Killed ")) {
		if (!take(&p, end, "Marked "))
			return false;
		marked = true;
	}
	/* A cgroup's name may hold anything, the job's own cgroups' too: the
	 * rule is read from the end, which oomd wrote. */
	if (ends_with(p, end, reclaim)) {
		cause = find_last(p, end - strlen(reclaim), pressure);
		r.rule = OOMD_RULE_PRESSURE;
		ok = cause && parse_pressure(cause + strlen(pressure), end - strlen(reclaim), &r);
	} else {
		cause = find_last(p, end, swap);
		r.rule = OOMD_RULE_SWAP;
		ok = cause && parse_swap(cause + strlen(swap), end, &r);
	}
	victim_end = cause;
	if (ok && marked) {
		ok = ends_with(p, victim_end, marked_tail);
		victim_end -= ok ? strlen(marked_tail) : 0;
	}
	if (!ok || victim_end == p || *p != '/') {
		oomd_record_free(&r);
		return false;
	}
	r.cgroup = xstrndup(p, (size_t)(victim_end - p));
	*ret = r;
	return true;
}

bool oomd_path_is_job(const char *path, const char *job_suffix)
{
	size_t n = strlen(job_suffix);

	for (const char *s = path; (s = strstr(s, job_suffix)); s++)
		if (s[n] == '\0' || s[n] == '/')
			return true;
	return false;
}

void oomd_record_free(struct oomd_record *r)
{
	free(r->cgroup);
	free(r->monitored);
	free(r->duration);
	r->cgroup = r->monitored = r->duration = NULL;
}

/* ---- the journal ---------------------------------------------------------- */

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The entry at j as oomd's record of the job's kill. */
static bool take_entry(sd_journal *j, const char *job_suffix, struct oomd_record *ret)
{
	static const char field[] = "MESSAGE=";
	struct oomd_record r;
	const void *data;
	size_t size;

	if (sym_sd_journal_get_data(j, "MESSAGE", &data, &size) < 0 || size < strlen(field))
		return false;
	if (!oomd_parse_message((const char *)data + strlen(field), size - strlen(field), &r))
		return false;
	if (!oomd_path_is_job(r.cgroup, job_suffix)) {
		oomd_record_free(&r);
		return false;
	}
	*ret = r;
	return true;
}

int oomd_collect_record(const char *job_suffix, uint64_t job_start_mono_ns,
			struct oomd_record *ret, char **ret_why)
{
	_cleanup_(system_journal_closep) sd_journal *j = NULL;
	_cleanup_free_ char *why = NULL;
	uint64_t deadline = now_usec() + RECORD_WAIT_USEC;
	int r;

	r = system_journal_open(&j, &why);
	if (r < 0) {
		*ret_why = xasprintf("the system journal is not readable: %s", why);
		return r;
	}
	/* Only what the unit systemd-oomd.service logged: journald finds the
	 * unit from the sender's cgroup, which no other process can claim. */
	r = sym_sd_journal_add_match(j, "_SYSTEMD_UNIT=systemd-oomd.service", 0);
	if (r >= 0)
		r = sym_sd_journal_seek_realtime_usec(j,
						      system_journal_since_usec(job_start_mono_ns));
	for (;;) {
		uint64_t now;

		while (r >= 0 && (r = sym_sd_journal_next(j)) > 0)
			if (take_entry(j, job_suffix, ret))
				return 0;
		if (r < 0) {
			*ret_why = xasprintf("reading the system journal failed: %s", strerror(-r));
			return r;
		}
		now = now_usec();
		/* The first wait returns at once (it sets up the watch). */
		if (now >= deadline || sym_sd_journal_wait(j, deadline - now) < 0)
			break;
	}
	*ret_why = xstrdup("systemd-oomd's record of the kill is not in the system journal");
	return -ENOENT;
}
