/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the job's processes write for memrun to read: the probe's shared
 * region (probe_collect), which a job may scribble over at will, as memrun
 * reads, decides and reports it (outcome_decide, the summary line and the
 * JSON report); and the probe's MEMRUN_PROBE value, which the job may
 * change for the processes it starts (probe_env_parse).  The input is the
 * region after its header (magic, version and size, which the harness
 * writes as memrun does), and the same bytes as the value.
 */
#include "fuzz.h"

#include <stddef.h>
#include <sys/mman.h>

#include "outcome.h"
#include "plan.h"
#include "probe.h"
#include "report.h"
#include "util.h"

#define BODY offsetof(struct probe_region, processes)

static int region_fd = -1;
static FILE *null_out;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_quiet();
	region_fd = memfd_create("memrun-probe", MFD_CLOEXEC);
	null_out = fopen("/dev/null", "we");
	if (region_fd < 0 || !null_out)
		abort();
	return 0;
}

static void region(const uint8_t *data, size_t size)
{
	struct probe_region r = { .magic = PROBE_MAGIC, .version = PROBE_VERSION,
				  .size = sizeof(r) };
	size_t n = size < sizeof(r) - BODY ? size : sizeof(r) - BODY;
	char *command[] = { (char *)"/nonexistent/job", NULL };
	struct probe_host ph = { .enabled = true, .fd = region_fd };
	struct outcome o = { .started = true, .main_exited = true, .exit_code = 1 };
	struct plan plan;

	memcpy((char *)&r + BODY, data, n);
	/* A job that shrank the region: never past what it left. */
	if (ftruncate(region_fd, 0) < 0 ||
	    pwrite(region_fd, &r, size > sizeof(r) - BODY ? sizeof(r) : BODY + n, 0) < 0)
		abort();
	plan_init(&plan);
	plan.command = command;
	probe_collect(&ph, &plan, &o);
	FUZZ_ASSERT(!o.alloc_first_known ||
		    fuzz_terminated(o.alloc_first.comm, sizeof(o.alloc_first.comm)));
	FUZZ_ASSERT(o.alloc_observed || o.alloc_not_observed);
	outcome_decide(&o);
	report_print_summary(null_out, &plan, &o);
	report_write_json(null_out, &plan, &o);
	outcome_free(&o);
	plan_free(&plan);
}

static void env_value(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *value = fuzz_text(data, size);
	char path[PROBE_PATH_MAX];
	uint64_t dev, ino;

	if (probe_env_parse(value, path, sizeof(path), &dev, &ino))
		FUZZ_ASSERT(*path && strlen(path) < sizeof(path) && strstr(value, path) == value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	region(data, size);
	env_value(data, size);
	return 0;
}
