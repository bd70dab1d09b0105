/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun doctor: the command.  Reads the host (doctor-host.c), runs the
 * checks (doctor-checks.c) and writes their findings as text or JSON.
 */
#include "doctor.h"

#include <getopt.h>
#include <limits.h>

#include "doctor-internal.h"
#include "json.h"
#include "settings.h"
#include "util.h"

static const char *const level_names[DOCTOR_LEVEL_COUNT] = {
	[DOCTOR_OK] = "ok",
	[DOCTOR_NOTE] = "note",
	[DOCTOR_WARN] = "warn",
};

const char *doctor_level_name(enum doctor_level level)
{
	return level < DOCTOR_LEVEL_COUNT ? level_names[level] : "?";
}

/* The topics of the checks' table, as the text heads them. */
static const struct {
	const char *id, *title;
} topics[] = {
	{ "limits", "limits" },
	{ "overcommit", "overcommit" },
	{ "memory", "memory" },
	{ "cgroup", "cgroup" },
	{ "systemd", "systemd" },
	{ "oom", "OOM killer" },
	{ "malloc", "malloc" },
};

/* ---- output ------------------------------------------------------------- */

static const char *topic_title(const char *id)
{
	for (size_t i = 0; i < ELEMENTSOF(topics); i++)
		if (streq(topics[i].id, id))
			return topics[i].title;
	return id;
}

static void count_levels(const struct doctor_finding *f, size_t n,
			 unsigned counts[DOCTOR_LEVEL_COUNT])
{
	for (unsigned l = 0; l < DOCTOR_LEVEL_COUNT; l++)
		counts[l] = 0;
	for (size_t i = 0; i < n; i++)
		counts[f[i].level]++;
}

static void print_text(FILE *out, const struct doctor_finding *f, size_t n)
{
	unsigned counts[DOCTOR_LEVEL_COUNT];
	const char *topic = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!topic || !streq(topic, f[i].topic)) {
			fprintf(out, "%s%s\n", topic ? "\n" : "", topic_title(f[i].topic));
			topic = f[i].topic;
		}
		fprintf(out, "  %-4s  %s  [%s]\n", doctor_level_name(f[i].level), f[i].message,
			f[i].source);
	}
	count_levels(f, n, counts);
	fprintf(out, "\n%u warning%s, %u note%s, %u ok\n", counts[DOCTOR_WARN],
		counts[DOCTOR_WARN] == 1 ? "" : "s", counts[DOCTOR_NOTE],
		counts[DOCTOR_NOTE] == 1 ? "" : "s", counts[DOCTOR_OK]);
}

static void print_json(FILE *out, const struct doctor_finding *f, size_t n)
{
	unsigned counts[DOCTOR_LEVEL_COUNT];
	struct json_writer w;

	json_init(&w, out, true);
	json_begin_object(&w, NULL);
	json_begin_array(&w, "findings");
	for (size_t i = 0; i < n; i++) {
		json_begin_object(&w, NULL);
		json_string(&w, "topic", f[i].topic);
		json_string(&w, "level", doctor_level_name(f[i].level));
		json_string(&w, "message", f[i].message);
		json_string(&w, "source", f[i].source);
		switch (f[i].value.kind) {
		case DOCTOR_VALUE_INT:
			json_int(&w, "value", f[i].value.i);
			break;
		case DOCTOR_VALUE_UINT:
			json_uint(&w, "value", f[i].value.u);
			break;
		case DOCTOR_VALUE_STRING:
			json_string(&w, "value", f[i].value.s);
			break;
		default:
			json_null(&w, "value");
		}
		json_string(&w, "key", f[i].key);
		json_end_object(&w);
	}
	json_end_array(&w);
	count_levels(f, n, counts);
	json_begin_object(&w, "counts");
	for (unsigned l = 0; l < DOCTOR_LEVEL_COUNT; l++)
		json_uint(&w, doctor_level_name((enum doctor_level)l), counts[l]);
	json_end_object(&w);
	json_end_object(&w);
}

/* ---- the command -------------------------------------------------------- */

static void doctor_usage(void)
{
	printf("Usage: memrun doctor [--json]\n"
	       "\n"
	       "Say what would refuse memory or kill a process on this host, one finding a\n"
	       "line: ok, note or warn, the finding with its number, and in brackets the file\n"
	       "it was read from.  Looked at: memrun's rlimits; vm.overcommit_memory and the\n"
	       "commit limit; available memory and swap; memrun's cgroup, its limit, and\n"
	       "whether memrun may create a job cgroup (it creates and removes a test cgroup,\n"
	       "%s<pid>, to find out); where systemd runs the host, the manager\n"
	       "that would make a job's cgroup, the user's delegated controllers, the memory\n"
	       "limits of the user's slice and of memrun's unit, and what systemd-oomd\n"
	       "watches; the OOM killer's settings, oom_score_adj and whether memrun may\n"
	       "lower it; the kernel log; glibc's malloc tunables.\n"
	       "\n"
	       "      --json   one JSON object instead of text\n"
	       "  -h, --help   show this help and exit\n"
	       "\n"
	       "Exit status: 0, whatever is found; 125 when doctor itself failed.\n",
	       TEST_CGROUP_PREFIX);
}

enum { OPT_JSON = CHAR_MAX + 1 };

int doctor_command(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor_finding *findings = NULL;
	struct doctor_host host;
	bool json = false;
	size_t n;
	int c;

	optind = 0; /* start afresh, whatever parsed argv before */
	opterr = 0; /* the messages below say "memrun doctor" */
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			doctor_usage();
			return 0;
		default:
			if (optopt == OPT_JSON)
				log_error("doctor: --json takes no value");
			else if (optopt)
				log_error("doctor: unknown option '-%c'", optopt);
			else
				log_error("doctor: unknown option '%s'", argv[optind - 1]);
			return bad_usage("doctor");
		}
	}
	if (optind < argc) {
		log_error("doctor: unexpected argument '%s'", argv[optind]);
		return bad_usage("doctor");
	}

	doctor_host_read(&host);
	n = doctor_check_all(&host, &findings);
	if (json)
		print_json(stdout, findings, n);
	else
		print_text(stdout, findings, n);
	doctor_findings_free(findings, n);
	doctor_host_free(&host);
	settings_free_strings();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("doctor: cannot write the findings: %s", strerror(errno));
		return MEMRUN_EXIT_FAILURE;
	}
	return 0;
}
