/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun doctor's checks over the host's files (doctor_check_all): the
 * input is the text of each file doctor reads, in enum doctor_file's
 * order (/proc/self/limits, /proc/self/status, /proc/meminfo,
 * mountinfo, the sysctls, oom_score_adj, osrelease), then oomd.conf and
 * glibc's version, separated by NUL bytes; a file the input does not
 * reach is one doctor could not read.  The rest of the host is fixed: no
 * cgroup of memrun's, systemd running with systemd-oomd watching the root
 * slice.
 */
#include "fuzz.h"

#include "doctor.h"
#include "util.h"

#define PIECES (DOCTOR_FILE_COUNT + 2)

FUZZ_QUIET_INITIALIZER

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char *pieces[PIECES] = { NULL };
	struct doctor_unit root_slice = {
		.name = (char *)"-.slice",
		.managed_oom_swap = (char *)"kill",
		.managed_oom_memory_pressure = (char *)"kill",
	};
	struct doctor_host h = {
		.systemd = {
			.running = true,
			.manager = CGROUP_BY_MEMRUN,
			.own_unit_at = -1,
			.oomd_state = (char *)"active",
			.units = &root_slice,
			.n_units = 1,
		},
		.kernel_log = { .kmsg_err = -EPERM, .journal_err = -EACCES },
		.root = true,
	};
	struct doctor_finding *findings = NULL;
	size_t n, count = 0;

	/* The pieces: a copy with a NUL after each. */
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *p = text; count < PIECES && p <= text + size; p += strlen(p) + 1)
		pieces[count++] = p;

	for (unsigned i = 0; i < DOCTOR_FILE_COUNT; i++) {
		h.files[i].text = pieces[i] ? strdup(pieces[i]) : NULL;
		h.files[i].err = pieces[i] ? 0 : -ENOENT;
	}
	if (pieces[DOCTOR_FILE_COUNT]) {
		/* A file and a drop-in over it. */
		doctor_parse_oomd_conf(pieces[DOCTOR_FILE_COUNT], &h.systemd.oomd_conf);
		doctor_parse_oomd_conf(pieces[DOCTOR_FILE_COUNT], &h.systemd.oomd_conf);
	}
	h.glibc_version = pieces[DOCTOR_FILE_COUNT + 1];

	n = doctor_check_all(&h, &findings);
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(findings[i].level < DOCTOR_LEVEL_COUNT);
		FUZZ_ASSERT(!findings[i].message || findings[i].topic);
	}
	doctor_findings_free(findings, n);

	for (unsigned i = 0; i < DOCTOR_FILE_COUNT; i++)
		free(h.files[i].text);
	doctor_oomd_conf_free(&h.systemd.oomd_conf);
	return 0;
}
