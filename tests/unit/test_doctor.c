/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for memrun doctor (src/doctor*.c): its parsers, its checks over literal hosts. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "doctor-internal.h"
#include "doctor.h"
#include "util.h"

#define UNLIMITED UINT64_MAX

/* A real /proc/self/limits (Linux 6.1). */
static const char limits_text[] =
	"Limit                     Soft Limit           Hard Limit           Units     \n"
	"Max cpu time              unlimited            unlimited            seconds   \n"
	"Max file size             unlimited            unlimited            bytes     \n"
	"Max data size             unlimited            unlimited            bytes     \n"
	"Max stack size            8388608              unlimited            bytes     \n"
	"Max core file size        0                    unlimited            bytes     \n"
	"Max resident set          unlimited            unlimited            bytes     \n"
	"Max processes             96365                96365                processes \n"
	"Max open files            1024                 524288               files     \n"
	"Max locked memory         8388608              8388608              bytes     \n"
	"Max address space         4294967296           unlimited            bytes     \n"
	"Max file locks            unlimited            unlimited            locks     \n"
	"Max pending signals       96365                96365                signals   \n"
	"Max msgqueue size         819200               819200               bytes     \n"
	"Max nice priority         0                    0                    \n"
	"Max realtime priority     0                    0                    \n"
	"Max realtime timeout      unlimited            unlimited            us        \n";

static const struct {
	const char *what;
	const char *text;
	const char *row;
	int error;
	uint64_t soft, hard;
} limits_cases[] = {
	{ "address space, soft only", limits_text, "Max address space", 0, 4ULL << 30, UNLIMITED },
	{ "data, unlimited", limits_text, "Max data size", 0, UNLIMITED, UNLIMITED },
	{ "stack", limits_text, "Max stack size", 0, 8 << 20, UNLIMITED },
	{ "locked memory", limits_text, "Max locked memory", 0, 8 << 20, 8 << 20 },
	{ "processes, a count", limits_text, "Max processes", 0, 96365, 96365 },
	{ "zero", limits_text, "Max core file size", 0, 0, UNLIMITED },
	{ "a row's name is matched whole", limits_text, "Max file", -ENOENT, 0, 0 },
	{ "case matters", limits_text, "max stack size", -ENOENT, 0, 0 },
	{ "the header holds no numbers", limits_text, "Limit", -EINVAL, 0, 0 },
	{ "empty text", "", "Max stack size", -ENOENT, 0, 0 },
	{ "junk value", "Max stack size            lots                 unlimited\n",
	  "Max stack size", -EINVAL, 0, 0 },
	{ "negative", "Max stack size            -1                   unlimited\n",
	  "Max stack size", -EINVAL, 0, 0 },
	{ "hard limit missing", "Max stack size            8388608\n", "Max stack size", -EINVAL, 0,
	  0 },
	{ "past 64 bits", "Max stack size            99999999999999999999 unlimited\n",
	  "Max stack size", -EINVAL, 0, 0 },
	{ "largest number", "Max stack size            18446744073709551614 unlimited\n",
	  "Max stack size", 0, UINT64_MAX - 1, UNLIMITED },
	{ "last line without newline", "Max stack size            1  2", "Max stack size", 0, 1,
	  2 },
};

static void test_parse_limits(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(limits_cases); i++) {
		uint64_t soft = 42, hard = 42;
		int r = doctor_parse_limits(limits_cases[i].text, limits_cases[i].row, &soft,
					    &hard);

		if (r != limits_cases[i].error)
			fail_msg("%s: doctor_parse_limits = %d, expected %d", limits_cases[i].what,
				 r, limits_cases[i].error);
		if (r == 0 && (soft != limits_cases[i].soft || hard != limits_cases[i].hard))
			fail_msg("%s: soft %llu hard %llu, expected %llu %llu",
				 limits_cases[i].what, (unsigned long long)soft,
				 (unsigned long long)hard, (unsigned long long)limits_cases[i].soft,
				 (unsigned long long)limits_cases[i].hard);
		if (r < 0 && (soft != 42 || hard != 42))
			fail_msg("%s: wrote its result on failure", limits_cases[i].what);
	}
}

/* A real /proc/self/status, shortened. */
static const char status_text[] = "Name:\tcat\n"
				  "Umask:\t0022\n"
				  "State:\tR (running)\n"
				  "Uid:\t0\t0\t0\t0\n"
				  "CapInh:\t0000000000000000\n"
				  "CapPrm:\t000001fffeffffff\n"
				  "CapEff:\t000001fffeffffff\n"
				  "CapBnd:\t000001ffffffffff\n"
				  "CapAmb:\t0000000000000000\n"
				  "NoNewPrivs:\t0\n";

static const struct {
	const char *what;
	const char *text;
	const char *field;
	int error;
	uint64_t value;
} status_cases[] = {
	{ "effective set", status_text, "CapEff", 0, 0x1fffeffffffULL },
	{ "bounding set", status_text, "CapBnd", 0, 0x1ffffffffffULL },
	{ "empty set", status_text, "CapInh", 0, 0 },
	{ "missing field", status_text, "CapFoo", -ENOENT, 0 },
	{ "a prefix is no field", status_text, "Cap", -ENOENT, 0 },
	{ "not hexadecimal", "CapEff:\txyz\n", "CapEff", -EINVAL, 0 },
	{ "junk after the number", "CapEff:\t00ff zz\n", "CapEff", -EINVAL, 0 },
	{ "empty value", "CapEff:\t\n", "CapEff", -EINVAL, 0 },
	{ "no newline at the end", "CapEff:\tff", "CapEff", 0, 0xff },
};

static void test_parse_status_hex(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(status_cases); i++) {
		uint64_t v = 42;
		int r = doctor_parse_status_hex(status_cases[i].text, status_cases[i].field, &v);

		if (r != status_cases[i].error)
			fail_msg("%s: doctor_parse_status_hex = %d, expected %d",
				 status_cases[i].what, r, status_cases[i].error);
		if (r == 0 && v != status_cases[i].value)
			fail_msg("%s: %llx, expected %llx", status_cases[i].what,
				 (unsigned long long)v, (unsigned long long)status_cases[i].value);
		if (r < 0 && v != 42)
			fail_msg("%s: wrote its result on failure", status_cases[i].what);
	}
}

static const struct {
	const char *text;
	int error;
	long long value;
} number_cases[] = {
	{ "0\n", 0, 0 },
	{ "50\n", 0, 50 },
	{ "-1000\n", 0, -1000 },
	{ "2", 0, 2 },
	{ "9223372036854775807\n", 0, INT64_MAX },
	{ "9223372036854775808\n", -ERANGE, 0 },
	{ "", -EINVAL, 0 },
	{ "\n", -EINVAL, 0 },
	{ " 1\n", -EINVAL, 0 },
	{ "1 2\n", -EINVAL, 0 },
	{ "one\n", -EINVAL, 0 },
	{ "0x10\n", -EINVAL, 0 },
	{ "1\n2\n", -EINVAL, 0 },
};

static void test_parse_number(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(number_cases); i++) {
		long long v = 42;
		int r = doctor_parse_number(number_cases[i].text, &v);

		if (r != number_cases[i].error)
			fail_msg("doctor_parse_number(\"%s\") = %d, expected %d",
				 number_cases[i].text, r, number_cases[i].error);
		if (r == 0 && v != number_cases[i].value)
			fail_msg("doctor_parse_number(\"%s\") = %lld", number_cases[i].text, v);
		if (r < 0 && v != 42)
			fail_msg("doctor_parse_number(\"%s\") wrote its result on failure",
				 number_cases[i].text);
	}
}

static const struct {
	const char *text;
	int error;
	unsigned major, minor;
} version_cases[] = {
	{ "2.36", 0, 2, 36 },	    { "2.26", 0, 2, 26 },
	{ "2.35.9000", 0, 2, 35 }, /* a development snapshot */
	{ "2.39-rc1", 0, 2, 39 },   { "3.0", 0, 3, 0 },
	/* kernel.osrelease, as read with its newline */
	{ "6.1.0-13-amd64\n", 0, 6, 1 }, { "6.18.44-fc-v857\n", 0, 6, 18 },
	{ "5.19\n", 0, 5, 19 },
	{ "2", -EINVAL, 0, 0 },	    { "2.", -EINVAL, 0, 0 },
	{ ".36", -EINVAL, 0, 0 },   { "2.x", -EINVAL, 0, 0 },
	{ "2.36a", -EINVAL, 0, 0 }, { "", -EINVAL, 0, 0 },
	{ NULL, -EINVAL, 0, 0 },    { "99999999999.1", -EINVAL, 0, 0 },
};

static void test_parse_version(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(version_cases); i++) {
		unsigned major = 42, minor = 42;
		int r = doctor_parse_version(version_cases[i].text, &major, &minor);

		if (r != version_cases[i].error)
			fail_msg("doctor_parse_version(\"%s\") = %d, expected %d",
				 version_cases[i].text ? version_cases[i].text : "(null)", r,
				 version_cases[i].error);
		if (r == 0 && (major != version_cases[i].major || minor != version_cases[i].minor))
			fail_msg("doctor_parse_version(\"%s\") = %u.%u",
				 version_cases[i].text, major, minor);
		if (r < 0 && (major != 42 || minor != 42))
			fail_msg("doctor_parse_version wrote its result on failure");
	}
}

/* cgroup v1 controllers beside a v2 mount without them (systemd's
 * "hybrid" layout), shortened. */
static const char mountinfo_hybrid[] =
	"22 28 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static const char mountinfo_unified[] =
	"25 30 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
	"29 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
	"rw,nsdelegate,memory_recursiveprot\n";

static const char mountinfo_legacy[] =
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices";

static const struct {
	const char *what;
	const char *text;
	enum doctor_cgroup_layout layout;
} layout_cases[] = {
	{ "hybrid", mountinfo_hybrid, DOCTOR_CGROUP_HYBRID },
	{ "unified", mountinfo_unified, DOCTOR_CGROUP_UNIFIED },
	{ "legacy", mountinfo_legacy, DOCTOR_CGROUP_LEGACY },
	{ "empty", "", DOCTOR_CGROUP_NONE },
	{ "no cgroup mounts", "25 30 0:23 / /proc rw - proc proc rw\n", DOCTOR_CGROUP_NONE },
	{ "a look-alike file system", "25 30 0:23 / /x rw - cgroupfs cgroupfs rw\n",
	  DOCTOR_CGROUP_NONE },
	{ "a mount point named cgroup2 is no cgroup2",
	  "25 30 0:23 / /cgroup2 rw - tmpfs cgroup2 rw\n", DOCTOR_CGROUP_NONE },
	{ "optional fields before the separator",
	  "29 22 0:26 / /sys/fs/cgroup rw shared:9 master:2 - cgroup2 cgroup2 rw\n",
	  DOCTOR_CGROUP_UNIFIED },
	{ "a line without separator", "garbage line\n", DOCTOR_CGROUP_NONE },
};

static void test_cgroup_layout(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(layout_cases); i++) {
		enum doctor_cgroup_layout layout = doctor_cgroup_layout(layout_cases[i].text);

		if (layout != layout_cases[i].layout)
			fail_msg("%s: layout %d, expected %d", layout_cases[i].what, layout,
				 layout_cases[i].layout);
	}
}

#define GIB (1ULL << 30)

static const struct {
	const char *what;
	uint64_t mem_total, hugetlb, swap_total;
	long long ratio, kbytes;
	uint64_t limit;
} commit_cases[] = {
	{ "half the RAM, no swap", 24 * GIB, 0, 0, 50, 0, 12 * GIB },
	{ "half the RAM plus swap", 24 * GIB, 0, 2 * GIB, 50, 0, 14 * GIB },
	{ "huge pages count against neither", 24 * GIB, 4 * GIB, 0, 50, 0, 10 * GIB },
	{ "ratio 100", 8 * GIB, 0, 1 * GIB, 100, 0, 9 * GIB },
	{ "ratio above 100", 8 * GIB, 0, 0, 150, 0, 12 * GIB },
	{ "ratio 0: swap only", 8 * GIB, 0, 1 * GIB, 0, 0, 1 * GIB },
	{ "kbytes wins over the ratio", 24 * GIB, 0, 2 * GIB, 50, 1048576, 3 * GIB },
	{ "no RAM left beside huge pages", 4 * GIB, 8 * GIB, 0, 50, 0, 0 },
	{ "no overflow", UINT64_MAX, 0, UINT64_MAX, 100, 0, UINT64_MAX },
	{ "no overflow with a large ratio", UINT64_MAX / 2, 0, 0, 1000, 0, UINT64_MAX },
};

static void test_commit_limit(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(commit_cases); i++) {
		uint64_t limit =
			doctor_commit_limit(commit_cases[i].mem_total, commit_cases[i].hugetlb,
					    commit_cases[i].swap_total, commit_cases[i].ratio,
					    commit_cases[i].kbytes);

		if (limit != commit_cases[i].limit)
			fail_msg("%s: %llu, expected %llu", commit_cases[i].what,
				 (unsigned long long)limit,
				 (unsigned long long)commit_cases[i].limit);
	}
}

/* A share of a whole, for messages: rounded, and saturated where the part
 * is far over the whole (usage over a tiny limit, a made-up meminfo). */
static void test_percent(void **state)
{
	(void)state;
	assert_int_equal(percent(1, 3), 33);
	assert_int_equal(percent(2, 3), 67);
	assert_int_equal(percent(5, 0), 0);
	assert_int_equal(percent(UINT64_MAX, 1), UINT_MAX);
	assert_int_equal(percent(40ULL << 30, 1), UINT_MAX);
}

/* Debian's /etc/systemd/oomd.conf: the defaults, commented out. */
static const char oomd_conf_debian[] = "#  This file is part of systemd.\n"
				       "# See oomd.conf(5) for details\n"
				       "\n"
				       "[OOM]\n"
				       "#SwapUsedLimit=90%\n"
				       "#DefaultMemoryPressureLimit=60%\n"
				       "#DefaultMemoryPressureDurationSec=30s\n";

static const struct {
	const char *what;
	const char *texts[2]; /* applied in this order, as a file and a drop-in */
	const char *swap, *pressure, *duration;
} oomd_conf_cases[] = {
	{ "the defaults, commented out", { oomd_conf_debian }, NULL, NULL, NULL },
	{ "each setting",
	  { "[OOM]\nSwapUsedLimit=80%\nDefaultMemoryPressureLimit=40%\n"
	    "DefaultMemoryPressureDurationSec=1min 30s\n" },
	  "80%", "40%", "1min 30s" },
	{ "blanks around key, value and head",
	  { "  [OOM]  \n\t DefaultMemoryPressureLimit = 45.5% \t\n" }, NULL, "45.5%", NULL },
	{ "another section", { "[Other]\nSwapUsedLimit=10%\n" }, NULL, NULL, NULL },
	{ "before any section", { "SwapUsedLimit=10%\n[OOM]\n" }, NULL, NULL, NULL },
	{ "a section after [OOM] ends it", { "[OOM]\n[OOMX]\nSwapUsedLimit=10%\n" }, NULL, NULL,
	  NULL },
	{ "comments", { "[OOM]\n#SwapUsedLimit=1%\n; SwapUsedLimit=2%\n" }, NULL, NULL, NULL },
	{ "keys are case-sensitive", { "[OOM]\nswapusedlimit=1%\n" }, NULL, NULL, NULL },
	{ "a key is matched whole", { "[OOM]\nSwapUsedLimitX=1%\nSwapUsed=2%\n" }, NULL, NULL,
	  NULL },
	{ "a drop-in wins", { "[OOM]\nSwapUsedLimit=80%\n", "[OOM]\nSwapUsedLimit=70%\n" },
	  "70%", NULL, NULL },
	{ "the last line of a file wins", { "[OOM]\nSwapUsedLimit=80%\nSwapUsedLimit=75%" },
	  "75%", NULL, NULL },
	{ "an empty value is the default again",
	  { "[OOM]\nSwapUsedLimit=80%\n", "[OOM]\nSwapUsedLimit=\n" }, NULL, NULL, NULL },
	{ "a drop-in without the key keeps it",
	  { "[OOM]\nSwapUsedLimit=80%\n", "[OOM]\nDefaultMemoryPressureLimit=50%\n" }, "80%",
	  "50%", NULL },
	{ "no newline at the end", { "[OOM]\nDefaultMemoryPressureDurationSec=20s" }, NULL, NULL,
	  "20s" },
	{ "a line without =", { "[OOM]\nSwapUsedLimit\n" }, NULL, NULL, NULL },
	{ "empty text", { "" }, NULL, NULL, NULL },
};

static bool same_setting(const char *got, const char *expected)
{
	return got == expected || (got && expected && streq(got, expected));
}

static void test_parse_oomd_conf(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(oomd_conf_cases); i++) {
		struct doctor_oomd_conf conf = { 0 };

		for (size_t t = 0; t < ELEMENTSOF(oomd_conf_cases[i].texts); t++)
			if (oomd_conf_cases[i].texts[t])
				doctor_parse_oomd_conf(oomd_conf_cases[i].texts[t], &conf);
		if (!same_setting(conf.swap_used_limit, oomd_conf_cases[i].swap) ||
		    !same_setting(conf.default_memory_pressure_limit, oomd_conf_cases[i].pressure) ||
		    !same_setting(conf.default_memory_pressure_duration,
				  oomd_conf_cases[i].duration))
			fail_msg("%s: SwapUsedLimit %s, DefaultMemoryPressureLimit %s, "
				 "DefaultMemoryPressureDurationSec %s",
				 oomd_conf_cases[i].what,
				 conf.swap_used_limit ? conf.swap_used_limit : "(default)",
				 conf.default_memory_pressure_limit ?
					 conf.default_memory_pressure_limit :
					 "(default)",
				 conf.default_memory_pressure_duration ?
					 conf.default_memory_pressure_duration :
					 "(default)");
		doctor_oomd_conf_free(&conf);
	}
}

/* ---- checks over literal hosts ---------------------------------------- */

static const char meminfo_no_swap[] = "MemTotal:       24684084 kB\n"
				      "MemFree:        22766028 kB\n"
				      "MemAvailable:   22932152 kB\n"
				      "SwapTotal:             0 kB\n"
				      "SwapFree:              0 kB\n"
				      "CommitLimit:    12342040 kB\n"
				      "Committed_AS:    1895528 kB\n"
				      "HugePages_Total:       0\n"
				      "Hugepagesize:       2048 kB\n"
				      "Hugetlb:               0 kB\n";

static const char meminfo_strict_full[] = "MemTotal:        8000000 kB\n"
					  "MemAvailable:     300000 kB\n"
					  "SwapTotal:       2000000 kB\n"
					  "SwapFree:          50000 kB\n"
					  "CommitLimit:     6000000 kB\n"
					  "Committed_AS:    5900000 kB\n";

static const char limits_as_limited[] =
	"Max address space         1073741824           1073741824           bytes     \n";

static const struct doctor_cgroup_probe probe_created = {
	.parent = (char *)"/sys/fs/cgroup/memory/jobs",
	.name = (char *)"memrun-doctor-7",
	.no_limit_token = "-1",
	.swap_accounting_remedy = "boot with swapaccount=1 to turn it on",
	.limit_file = "memory.limit_in_bytes",
	.swap_file = "memory.memsw.limit_in_bytes",
	.created = true,
	.memory_controller = true,
	.swap_accounting = true,
};

static const struct doctor_cgroup_probe probe_denied = {
	.parent = (char *)"/sys/fs/cgroup/memory/jobs",
	.name = (char *)"memrun-doctor-7",
	.no_limit_token = "-1",
	.swap_accounting_remedy = "boot with swapaccount=1 to turn it on",
	.limit_file = "memory.limit_in_bytes",
	.swap_file = "memory.memsw.limit_in_bytes",
	.err = -EACCES,
	.failed_step = DOCTOR_PROBE_CREATE,
};

static const struct doctor_cgroup_probe probe_v2_no_memory = {
	.parent = (char *)"/sys/fs/cgroup/user.slice",
	.name = (char *)"memrun-doctor-7",
	.no_limit_token = "max",
	.swap_accounting_remedy = "the kernel was built or booted without it",
	.limit_file = "memory.max",
	.swap_file = "memory.swap.max",
	.created = true,
};

static const struct doctor_cgroup_probe probe_nowhere = {
	.why_no_parent = (char *)"no cgroup hierarchy with the memory controller is mounted",
};

/* A root host on cgroup v1 with nothing to warn about. */
static void base_host(struct doctor_host *h)
{
	*h = (struct doctor_host){ 0 };
	h->files[DOCTOR_FILE_LIMITS].text = (char *)limits_text;
	h->files[DOCTOR_FILE_STATUS].text = (char *)status_text;
	h->files[DOCTOR_FILE_MEMINFO].text = (char *)meminfo_no_swap;
	h->files[DOCTOR_FILE_MOUNTINFO].text = (char *)mountinfo_hybrid;
	h->files[DOCTOR_FILE_OVERCOMMIT_MEMORY].text = (char *)"0\n";
	h->files[DOCTOR_FILE_OVERCOMMIT_RATIO].text = (char *)"50\n";
	h->files[DOCTOR_FILE_OVERCOMMIT_KBYTES].text = (char *)"0\n";
	h->files[DOCTOR_FILE_PANIC_ON_OOM].text = (char *)"0\n";
	h->files[DOCTOR_FILE_OOM_KILL_ALLOCATING_TASK].text = (char *)"0\n";
	h->files[DOCTOR_FILE_DMESG_RESTRICT].text = (char *)"1\n";
	h->files[DOCTOR_FILE_OOM_SCORE_ADJ].text = (char *)"0\n";
	h->files[DOCTOR_FILE_OSRELEASE].text = (char *)"6.1.0-13-amd64\n";
	h->place = (struct cgroup_place){
		.manager = &cgroup_v1_manager,
		.mountpoint = (char *)"/sys/fs/cgroup/memory",
		.mount_root = (char *)"/",
		.own_path = (char *)"/jobs",
		.own_dir = (char *)"/sys/fs/cgroup/memory/jobs",
		.enclosing_limit = UNLIMITED,
	};
	h->probe = probe_created;
	h->cgroup_usage = 3 << 20;
	h->cgroup_usage_file = (char *)"/sys/fs/cgroup/memory/jobs/memory.usage_in_bytes";
	h->sys_resource = true;
	h->standing = CAPS_STANDING_ROOT;
	h->root = true;
	h->glibc_version = "2.36";
}

/* /dev/kmsg closed to memrun, the journal readable, or closed too. */
#define JOURNAL_SERVES { .kmsg_err = -EPERM, .journal_err = 0, .journal_kernel_records = true }
#define JOURNAL_CLOSED                                                                  \
	{ .kmsg_err = -EPERM, .journal_err = -EACCES,                                   \
	  .journal_why = "only members of the groups systemd-journal and adm may read it" }

/* ---- systemd hosts ---- */

#define MIB (1ULL << 20)
/* ManagedOOMMemoryPressureLimit=50%, as systemd keeps it (a share of
 * UINT32_MAX). */
#define PRESSURE_50 0x80000000U

static struct doctor_cgroup_limits unit_cgroups[] = {
	{ .path = (char *)"/system.slice/memrun-vm-job.service",
	  .dir = (char *)"/sys/fs/cgroup/system.slice/memrun-vm-job.service",
	  .memory_max = UNLIMITED, .memory_high = UNLIMITED, .swap_max = UNLIMITED },
	{ .path = (char *)"/system.slice", .dir = (char *)"/sys/fs/cgroup/system.slice",
	  .memory_max = UNLIMITED, .memory_high = UNLIMITED, .swap_max = UNLIMITED },
};

static struct doctor_unit oomd_units[] = {
	{ .name = (char *)"-.slice", .managed_oom_swap = (char *)"kill",
	  .managed_oom_memory_pressure = (char *)"auto" },
	{ .name = (char *)"user-4242.slice", .managed_oom_swap = (char *)"auto",
	  .managed_oom_memory_pressure = (char *)"auto" },
	{ .name = (char *)"user@4242.service", .managed_oom_swap = (char *)"auto",
	  .managed_oom_memory_pressure = (char *)"kill", .memory_pressure_limit = PRESSURE_50 },
	{ .name = (char *)"memrun-vm-job.service", .managed_oom_swap = (char *)"auto",
	  .managed_oom_memory_pressure = (char *)"auto" },
};

/* The test VM's: memrun as memrun-user (4242) in a system service, its
 * jobs in scopes of the user's manager; Debian's systemd-oomd settings. */
static void systemd_user(struct doctor_systemd *s)
{
	for (size_t i = 0; i < ELEMENTSOF(unit_cgroups); i++) {
		unit_cgroups[i].memory_max = UNLIMITED;
		unit_cgroups[i].memory_high = UNLIMITED;
	}
	*s = (struct doctor_systemd){
		.running = true,
		.manager = CGROUP_BY_SYSTEMD,
		.manager_why = (char *)"systemd owns memrun's cgroup /system.slice/memrun-vm-job.service "
				       "(unit memrun-vm-job.service)",
		.system_bus = { .tried = true, .version = (char *)"252.39-1~deb12u2" },
		.user_bus = { .tried = true, .version = (char *)"252.39-1~deb12u2" },
		.uid = 4242,
		.user_manager_cgroup = (char *)"/user.slice/user-4242.slice/user@4242.service",
		.user_controllers_file = (char *)"/sys/fs/cgroup/user.slice/user-4242.slice/"
						 "user@4242.service/cgroup.controllers",
		.user_controllers = (char *)"cpu memory pids",
		.user_slice = { .path = (char *)"/user.slice/user-4242.slice",
				.dir = (char *)"/sys/fs/cgroup/user.slice/user-4242.slice",
				.memory_max = UNLIMITED, .memory_high = UNLIMITED,
				.swap_max = UNLIMITED },
		.ancestors = unit_cgroups,
		.n_ancestors = ELEMENTSOF(unit_cgroups),
		.own_unit_at = 0,
		.scope_parent = (char *)"/user.slice/user-4242.slice/user@4242.service",
		.oomd_state = (char *)"active",
		.oomd_socket = true,
		.units = oomd_units,
		.n_units = ELEMENTSOF(oomd_units),
	};
}

/* The same as root: scopes of the system manager, in system.slice. */
static void systemd_root(struct doctor_systemd *s)
{
	systemd_user(s);
	s->uid = 0;
	s->user_bus = (struct doctor_bus){ 0 };
	s->user_manager_cgroup = NULL;
	s->scope_parent = (char *)"/system.slice";
	s->n_units = 1;
}

static void systemd_user_no_bus(struct doctor_systemd *s)
{
	systemd_user(s);
	s->user_bus = (struct doctor_bus){ .tried = true, .err = -ENOMEDIUM,
					   .why = (char *)"No medium found" };
}

static void systemd_no_libsystemd(struct doctor_systemd *s)
{
	systemd_user(s);
	s->libsystemd_why = (char *)"cannot load libsystemd.so.0: install libsystemd0";
}

/* memrun's unit has Delegate=yes: memrun makes the job's cgroups. */
static void systemd_delegated(struct doctor_systemd *s)
{
	systemd_user(s);
	s->manager = CGROUP_BY_MEMRUN;
	s->manager_why = (char *)"memrun's unit memrun-vm-job.service has Delegate=yes";
	s->scope_parent = NULL;
}

static void systemd_asked_without_systemd(struct doctor_systemd *s)
{
	*s = (struct doctor_systemd){
		.manager = CGROUP_BY_SYSTEMD,
		.manager_why = (char *)"--cgroup-manager=systemd (or cgroup_manager = systemd) asked "
				       "for it",
		.own_unit_at = -1,
	};
}

static void systemd_user_undelegated(struct doctor_systemd *s)
{
	systemd_user(s);
	s->user_controllers = (char *)"cpu pids";
}

static void systemd_delegated_undelegated(struct doctor_systemd *s)
{
	systemd_delegated(s);
	s->user_controllers = (char *)"";
}

static void systemd_user_no_manager(struct doctor_systemd *s)
{
	systemd_user(s);
	s->user_controllers = NULL;
	s->user_controllers_err = -ENOENT;
}

static void systemd_user_slice_limited(struct doctor_systemd *s)
{
	systemd_user(s);
	s->user_slice.memory_max = 1ULL << 30;
}

static void systemd_user_slice_high(struct doctor_systemd *s)
{
	systemd_user(s);
	s->user_slice.memory_high = 512 * MIB;
}

/* memrun's own cgroup outside the slice, and it makes the job's itself. */
static void systemd_user_slice_elsewhere(struct doctor_systemd *s)
{
	systemd_delegated(s);
	s->user_slice.memory_max = 1ULL << 30;
}

/* systemd-run -p MemoryMax=200M memrun ...: a scope would escape it. */
static void systemd_root_unit_limited(struct doctor_systemd *s)
{
	systemd_root(s);
	unit_cgroups[0].memory_max = 200 * MIB;
}

static void systemd_root_unit_high(struct doctor_systemd *s)
{
	systemd_root(s);
	unit_cgroups[0].memory_high = 150 * MIB;
}

/* ... with Delegate=yes: the job's cgroup is inside, under the limit. */
static void systemd_delegated_unit_limited(struct doctor_systemd *s)
{
	systemd_delegated(s);
	unit_cgroups[0].memory_max = 200 * MIB;
}

/* A limit on system.slice: a root scope is in it, a user's is not. */
static void systemd_slice_limited(struct doctor_systemd *s)
{
	systemd_user(s);
	unit_cgroups[1].memory_max = 2ULL << 30;
}

static void systemd_root_slice_limited(struct doctor_systemd *s)
{
	systemd_slice_limited(s);
	systemd_root(s);
	unit_cgroups[1].memory_max = 2ULL << 30;
}

static void systemd_no_unit(struct doctor_systemd *s)
{
	systemd_delegated(s);
	s->own_unit_at = -1;
}

static void systemd_oomd_inactive(struct doctor_systemd *s)
{
	systemd_user(s);
	s->oomd_state = (char *)"inactive";
}

static void systemd_oomd_missing(struct doctor_systemd *s)
{
	systemd_user(s);
	s->oomd_state = (char *)"not-found";
	s->oomd_socket = false;
}

static void systemd_oomd_unknown(struct doctor_systemd *s)
{
	systemd_user(s);
	s->oomd_state = NULL;
	s->system_bus = (struct doctor_bus){ .tried = true, .err = -ENOENT,
					     .why = (char *)"No such file or directory" };
}

/* Only -.slice, and oomd.conf lowering the default pressure limit. */
static struct doctor_unit oomd_pressure_default[] = {
	{ .name = (char *)"-.slice", .managed_oom_swap = (char *)"auto",
	  .managed_oom_memory_pressure = (char *)"kill",
	  .memory_pressure_duration_usec = 20000000 },
	{ .name = (char *)"user@4242.service", .err = -EACCES, .why = (char *)"Access denied" },
};

static void systemd_oomd_defaults(struct doctor_systemd *s)
{
	systemd_user(s);
	s->units = oomd_pressure_default;
	s->n_units = 1;
	s->oomd_conf.default_memory_pressure_limit = (char *)"40%";
	s->oomd_conf_files = (char *)"/etc/systemd/oomd.conf, /etc/systemd/oomd.conf.d/site.conf";
}

static void systemd_oomd_unit_unknown(struct doctor_systemd *s)
{
	systemd_oomd_defaults(s);
	s->n_units = 2;
}

static void systemd_oomd_nothing(struct doctor_systemd *s)
{
	systemd_root(s);
	s->units = &oomd_units[1];
}

static void systemd_oomd_precise_limit(struct doctor_systemd *s)
{
	static struct doctor_unit unit = { .name = (char *)"user@4242.service",
					   .managed_oom_swap = (char *)"auto",
					   .managed_oom_memory_pressure = (char *)"kill",
					   .memory_pressure_limit = 0xc0a3d70aU };

	systemd_user(s);
	s->units = &unit;
	s->n_units = 1;
}

/* A file that cannot be read (0: none). */
#define UNREADABLE(file) ((file) + 1)
/* Who memrun is (0: the base host's, root). */
#define STANDING(standing) ((standing) + 1)

static const struct {
	const char *what;
	const char *files[DOCTOR_FILE_COUNT]; /* NULL: the base host's */
	int unreadable;			      /* UNREADABLE(file), or 0 */
	const struct doctor_cgroup_probe *probe;
	uint64_t enclosing_limit; /* 0: none */
	bool no_sys_resource;
	int standing; /* STANDING(standing), or 0 */
	const char *profiles_lowering;
	const char *glibc_version;
	const char *glibc_tunables;
	struct kernel_log_access kernel_log; /* 0s: both readable, no kernel message */
	void (*systemd)(struct doctor_systemd *s); /* NULL: systemd does not run the host */
	const char *meminfo;			   /* NULL: the base host's */
	/* What must be found. */
	const char *key;
	enum doctor_level level;
	const char *says;
} host_cases[] = {
	{ "overcommit heuristic", .key = "overcommit_memory", .level = DOCTOR_OK,
	  .says = "vm.overcommit_memory is 0 (heuristic)" },
	{ "overcommit strict", .files[DOCTOR_FILE_OVERCOMMIT_MEMORY] = "2\n",
	  .key = "overcommit_memory", .level = DOCTOR_NOTE,
	  .says = "fail with ENOMEM once Committed_AS reaches CommitLimit" },
	{ "overcommit always", .files[DOCTOR_FILE_OVERCOMMIT_MEMORY] = "1\n",
	  .key = "overcommit_memory", .level = DOCTOR_NOTE, .says = "never refuses memory" },
	{ "overcommit unreadable", .unreadable = UNREADABLE(DOCTOR_FILE_OVERCOMMIT_MEMORY),
	  .key = "overcommit_memory", .level = DOCTOR_NOTE,
	  .says = "cannot tell: reading /proc/sys/vm/overcommit_memory failed" },
	{ "commit limit in heuristic mode", .key = "commit_limit", .level = DOCTOR_OK,
	  .says = "not enforced in mode 0" },
	{ "commit limit nearly reached in strict mode",
	  .files[DOCTOR_FILE_OVERCOMMIT_MEMORY] = "2\n",
	  .files[DOCTOR_FILE_MEMINFO] = meminfo_strict_full, .key = "commit_limit",
	  .level = DOCTOR_WARN, .says = "(98%): allocations are failing or about to fail" },
	{ "strict mode with half the RAM", .files[DOCTOR_FILE_OVERCOMMIT_MEMORY] = "2\n",
	  .key = "overcommit_ratio", .level = DOCTOR_NOTE, .says = "= 11.8 GiB, less than RAM" },
	{ "ratio in heuristic mode", .key = "overcommit_ratio", .level = DOCTOR_OK,
	  .says = "50% of 23.5 GiB RAM + 0 B swap = 11.8 GiB (used only when" },
	{ "overcommit_kbytes set", .files[DOCTOR_FILE_OVERCOMMIT_KBYTES] = "1048576\n",
	  .key = "overcommit_ratio", .level = DOCTOR_OK,
	  .says = "vm.overcommit_kbytes is 1048576, so vm.overcommit_ratio (50) is ignored" },
	{ "no swap", .key = "swap", .level = DOCTOR_NOTE, .says = "no swap (SwapTotal 0)" },
	{ "swap nearly full", .files[DOCTOR_FILE_MEMINFO] = meminfo_strict_full, .key = "swap",
	  .level = DOCTOR_WARN, .says = "swap is nearly full" },
	{ "little memory available", .files[DOCTOR_FILE_MEMINFO] = meminfo_strict_full,
	  .key = "mem_available", .level = DOCTOR_WARN, .says = "(4%): little is left" },
	{ "meminfo unreadable", .unreadable = UNREADABLE(DOCTOR_FILE_MEMINFO),
	  .key = "mem_available", .level = DOCTOR_NOTE, .says = "cannot tell MemAvailable" },
	{ "rlimit as limited", .files[DOCTOR_FILE_LIMITS] = limits_as_limited,
	  .no_sys_resource = true, .key = "rlimit_as", .level = DOCTOR_NOTE,
	  .says = "RLIMIT_AS (address space) is 1 GiB (hard 1 GiB)" },
	{ "rlimit as limited, hard limit cannot be raised",
	  .files[DOCTOR_FILE_LIMITS] = limits_as_limited, .no_sys_resource = true,
	  .key = "rlimit_as", .level = DOCTOR_NOTE,
	  .says = "above the hard limit stops memrun with exit 125 (raising a hard limit needs "
		  "CAP_SYS_RESOURCE, which memrun does not have)" },
	{ "rlimit data unlimited", .key = "rlimit_data", .level = DOCTOR_OK,
	  .says = "RLIMIT_DATA (private writable memory) is unlimited, soft and hard" },
	{ "rlimit row missing", .files[DOCTOR_FILE_LIMITS] = limits_as_limited,
	  .key = "rlimit_stack", .level = DOCTOR_NOTE, .says = "no \"Max stack size\" row" },
	{ "cgroup v1 hybrid", .key = "cgroup_version", .level = DOCTOR_OK,
	  .says = "cgroup v1 hybrid: the memory controller is on cgroup v1 at /sys/fs/cgroup/memory; "
		  "the cgroup v2 mount at /sys/fs/cgroup/unified" },
	{ "job cgroup created", .key = "cgroup_job", .level = DOCTOR_OK,
	  .says = "memrun can create a job cgroup in /sys/fs/cgroup/memory/jobs, with memory limits" },
	{ "job cgroup denied", .probe = &probe_denied, .key = "cgroup_job", .level = DOCTOR_WARN,
	  .says = "failed: Permission denied (EACCES); jobs run without a cgroup" },
	{ "job cgroup denied: the remedy", .probe = &probe_denied, .key = "cgroup_job",
	  .level = DOCTOR_WARN, .says = "systemd-run --user -p Delegate=yes" },
	{ "job cgroup without the memory controller", .probe = &probe_v2_no_memory,
	  .key = "cgroup_job", .level = DOCTOR_NOTE, .says = "the memory controller is not on" },
	{ "no place for a job cgroup", .probe = &probe_nowhere, .key = "cgroup_job",
	  .level = DOCTOR_WARN, .says = "no job cgroup: no cgroup hierarchy" },
	{ "swap accounting on", .key = "cgroup_swap_accounting", .level = DOCTOR_OK,
	  .says = "swap accounting is on" },
	{ "swap accounting unknown", .probe = &probe_denied, .key = "cgroup_swap_accounting",
	  .level = DOCTOR_NOTE, .says = "cannot tell whether --swap-max works" },
	{ "no limit above memrun", .key = "cgroup_memory_limit", .level = DOCTOR_OK,
	  .says = "no memory limit on memrun's cgroup" },
	{ "a limit above memrun", .enclosing_limit = 4 << 20, .key = "cgroup_memory_limit",
	  .level = DOCTOR_NOTE, .says = "memrun's cgroup is limited to 4 MiB" },
	{ "nearly at that limit", .enclosing_limit = 3 << 20, .key = "cgroup_memory_usage",
	  .level = DOCTOR_WARN, .says = "uses 3 MiB of its 3 MiB (100%" },
	{ "v1 join by tasks", .key = "cgroup_join", .level = DOCTOR_OK,
	  .says = "moving its one thread through tasks before exec, which Linux 6.1 does without "
		  "waiting" },
	{ "v1 join on an old kernel", .files[DOCTOR_FILE_OSRELEASE] = "5.10.0-26-amd64\n",
	  .key = "cgroup_join", .level = DOCTOR_NOTE, .says = "before Linux 5.19 the kernel makes" },
	{ "kernel release unreadable", .unreadable = UNREADABLE(DOCTOR_FILE_OSRELEASE),
	  .key = "cgroup_join", .level = DOCTOR_NOTE,
	  .says = "reading /proc/sys/kernel/osrelease failed" },
	{ "panic_on_oom 0", .key = "panic_on_oom", .level = DOCTOR_OK,
	  .says = "the machine keeps running" },
	{ "panic_on_oom 1", .files[DOCTOR_FILE_PANIC_ON_OOM] = "1\n", .key = "panic_on_oom",
	  .level = DOCTOR_WARN, .says = "the kernel panics" },
	{ "panic_on_oom 2", .files[DOCTOR_FILE_PANIC_ON_OOM] = "2\n", .key = "panic_on_oom",
	  .level = DOCTOR_WARN, .says = "even one inside a job's own cgroup limit" },
	{ "oom_score_adj lowerable", .profiles_lowering = "db (-500)", .key = "oom_score_adj_lower",
	  .level = DOCTOR_OK, .says = "below 0 (for profile db (-500)) and raise hard rlimits" },
	{ "oom_score_adj not lowerable, db asks for it", .no_sys_resource = true,
	  .profiles_lowering = "db (-500)", .key = "oom_score_adj_lower", .level = DOCTOR_WARN,
	  .says = "lowering oom_score_adj below 0 needs CAP_SYS_RESOURCE, which memrun does not "
		  "have: profile db (-500) would stop with exit 125; memrun runs as root, "
		  "but without it" },
	{ "oom_score_adj not lowerable, two profiles ask for it", .no_sys_resource = true,
	  .profiles_lowering = "db (-500), mydb (-900)", .key = "oom_score_adj_lower",
	  .level = DOCTOR_WARN,
	  .says = ": profiles db (-500), mydb (-900) would stop with exit 125" },
	{ "oom_score_adj not lowerable, not root", .no_sys_resource = true,
	  .standing = STANDING(CAPS_STANDING_USER), .profiles_lowering = "db (-500)",
	  .key = "oom_score_adj_lower", .level = DOCTOR_WARN,
	  .says = "; run memrun as root (sudo memrun ...), or pass --oom-score-adj 0 or more" },
	{ "oom_score_adj not lowerable, root of a user namespace", .no_sys_resource = true,
	  .standing = STANDING(CAPS_STANDING_USER_NAMESPACE), .key = "oom_score_adj_lower",
	  .level = DOCTOR_NOTE,
	  .says = "to allow it, run memrun as root outside the user namespace it runs in" },
	{ "oom_score_adj not lowerable, nothing asks", .no_sys_resource = true,
	  .key = "oom_score_adj_lower", .level = DOCTOR_NOTE,
	  .says = "lowering oom_score_adj below 0 needs CAP_SYS_RESOURCE, which memrun does not "
		  "have: --oom-score-adj (or a profile) below 0 would stop with exit 125" },
	{ "oom_score_adj inherited", .files[DOCTOR_FILE_OOM_SCORE_ADJ] = "300\n",
	  .key = "oom_score_adj", .level = DOCTOR_OK,
	  .says = "memrun runs with oom_score_adj 300" },
	{ "kernel log readable", .key = "dmesg_restrict", .level = DOCTOR_OK,
	  .says = "kernel.dmesg_restrict is 1" },
	{ "kmsg readable", .key = "kmsg", .level = DOCTOR_OK,
	  .says = "the kernel log is readable: the report names the processes" },
	{ "kmsg closed, the journal serves", .kernel_log = JOURNAL_SERVES, .key = "kmsg",
	  .level = DOCTOR_OK, .says = "memrun reads the kernel's messages in the system journal" },
	{ "kmsg closed, the journal serves: dmesg_restrict", .kernel_log = JOURNAL_SERVES,
	  .key = "dmesg_restrict", .level = DOCTOR_OK,
	  .says = "memrun may not; it reads the system journal instead" },
	{ "the journal serves", .kernel_log = JOURNAL_SERVES, .key = "journal",
	  .level = DOCTOR_OK, .says = "readable and holds the kernel's messages" },
	{ "the journal not needed", .kernel_log = { .journal_err = -ENOENT, .journal_why = "none" },
	  .key = "journal", .level = DOCTOR_OK, .says = "(none), and need not be" },
	{ "both closed: kmsg", .kernel_log = JOURNAL_CLOSED, .key = "kmsg", .level = DOCTOR_NOTE,
	  .says = "cannot name the victims; add the user to group systemd-journal or adm" },
	{ "both closed: journal", .kernel_log = JOURNAL_CLOSED, .key = "journal",
	  .level = DOCTOR_NOTE,
	  .says = "not readable either (only members of the groups systemd-journal and adm may "
		  "read it)" },
	{ "both closed: dmesg_restrict", .kernel_log = JOURNAL_CLOSED, .key = "dmesg_restrict",
	  .level = DOCTOR_NOTE, .says = "or set kernel.dmesg_restrict=0" },
	{ "no journal, kmsg closed", .kernel_log = { .kmsg_err = -EPERM, .journal_err = -ENOENT },
	  .key = "kmsg", .level = DOCTOR_NOTE,
	  .says = "set kernel.dmesg_restrict=0, or give memrun CAP_SYSLOG" },
	{ "the journal without kernel messages",
	  .kernel_log = { .kmsg_err = -EPERM, .journal_err = 0 }, .key = "journal",
	  .level = DOCTOR_NOTE, .says = "holds no kernel message" },
	{ "glibc with every tunable", .key = "malloc_tunables", .level = DOCTOR_OK,
	  .says = "every --malloc key: arena_max," },
	{ "glibc without hugetlb", .glibc_version = "2.34", .key = "malloc_tunables",
	  .level = DOCTOR_NOTE, .says = "hugetlb (glibc 2.35)" },
	{ "glibc 2.35 has hugetlb", .glibc_version = "2.35", .key = "malloc_tunables",
	  .level = DOCTOR_OK, .says = "perturb, hugetlb" },
	{ "glibc before tunables", .glibc_version = "2.25", .key = "glibc_version",
	  .level = DOCTOR_WARN, .says = "older than 2.26 and ignores GLIBC_TUNABLES" },
	{ "glibc before tunables: no key", .glibc_version = "2.17", .key = "malloc_tunables",
	  .level = DOCTOR_WARN, .says = "honours no --malloc key" },
	{ "GLIBC_TUNABLES set", .glibc_tunables = "glibc.malloc.check=3", .key = "glibc_tunables",
	  .level = DOCTOR_NOTE, .says = "\"glibc.malloc.check=3\"" },
	{ "no systemd", .key = "cgroup_manager", .level = DOCTOR_NOTE,
	  .says = "systemd does not run this host (no /run/systemd/system): memrun makes a job's "
		  "cgroup itself (cgroupfs)" },
	{ "a user's scopes", .systemd = systemd_user, .key = "cgroup_manager", .level = DOCTOR_OK,
	  .says = "a job's cgroup is a transient scope that your systemd user manager makes over "
		  "D-Bus (systemd owns memrun's cgroup /system.slice/memrun-vm-job.service (unit "
		  "memrun-vm-job.service)); your user bus answers (systemd 252.39-1~deb12u2)" },
	{ "root's scopes", .systemd = systemd_root, .key = "cgroup_manager", .level = DOCTOR_OK,
	  .says = "the systemd system manager makes over D-Bus (systemd owns memrun's cgroup" },
	{ "root's scopes: the system bus answers", .systemd = systemd_root,
	  .key = "cgroup_manager", .level = DOCTOR_OK, .says = "; the system bus answers" },
	{ "no user bus", .systemd = systemd_user_no_bus, .key = "cgroup_manager",
	  .level = DOCTOR_WARN,
	  .says = "but your user bus does not answer (No medium found): a job that asks for "
		  "--memory-max, --memory-high or --swap-max stops memrun with exit 125" },
	{ "no user bus: the remedy", .systemd = systemd_user_no_bus, .key = "cgroup_manager",
	  .level = DOCTOR_WARN,
	  .says = "through DBUS_SESSION_BUS_ADDRESS or XDG_RUNTIME_DIR (/run/user/4242), which "
		  "sudo and su do not set, and your user manager runs while you are logged in, or "
		  "always after 'loginctl enable-linger'" },
	{ "no libsystemd", .systemd = systemd_no_libsystemd, .key = "cgroup_manager",
	  .level = DOCTOR_WARN, .says = "but cannot load libsystemd.so.0: install libsystemd0: a job" },
	{ "Delegate=yes", .systemd = systemd_delegated, .key = "cgroup_manager", .level = DOCTOR_OK,
	  .says = "memrun makes a job's cgroup itself, inside its own (cgroupfs): memrun's unit "
		  "memrun-vm-job.service has Delegate=yes" },
	{ "systemd asked for, not running", .systemd = systemd_asked_without_systemd,
	  .key = "cgroup_manager", .level = DOCTOR_WARN,
	  .says = "but systemd does not run this host: a job that asks for" },
	{ "systemd makes the job's cgroup", .systemd = systemd_user, .key = "cgroup_job",
	  .level = DOCTOR_OK,
	  .says = "memrun makes no job cgroup itself here: a job's cgroup is a transient scope that "
		  "systemd makes" },
	{ "systemd makes the job's cgroup: swap accounting", .systemd = systemd_user,
	  .key = "cgroup_swap_accounting", .level = DOCTOR_NOTE,
	  .says = "doctor makes no test cgroup where systemd makes the job's" },
	{ "memory delegated", .systemd = systemd_user, .key = "user_memory_delegated",
	  .level = DOCTOR_OK,
	  .says = "the memory controller is delegated to your systemd user manager "
		  "(user@4242.service's cgroup.controllers: cpu memory pids)" },
	{ "memory not delegated", .systemd = systemd_user_undelegated, .key = "user_memory_delegated",
	  .level = DOCTOR_WARN,
	  .says = "(user@4242.service's cgroup.controllers: cpu pids): no memory limit can be put "
		  "on a job's scope, so --memory-max, --memory-high and --swap-max stop memrun "
		  "with exit 125" },
	{ "memory not delegated: the remedy", .systemd = systemd_user_undelegated,
	  .key = "user_memory_delegated", .level = DOCTOR_WARN,
	  .says = "mkdir -p /etc/systemd/system/user@.service.d && printf "
		  "'[Service]\\nDelegate=pids memory cpu\\n' > "
		  "/etc/systemd/system/user@.service.d/delegate.conf && systemctl daemon-reload, "
		  "then log in again (or restart user@4242.service)" },
	{ "memory not delegated, memrun makes the cgroups", .systemd = systemd_delegated_undelegated,
	  .key = "user_memory_delegated", .level = DOCTOR_NOTE,
	  .says = "cgroup.controllers: empty): memrun makes its jobs' cgroups itself here, but" },
	{ "no user manager", .systemd = systemd_user_no_manager, .key = "user_memory_delegated",
	  .level = DOCTOR_NOTE,
	  .says = "cannot tell whether the memory controller is delegated to your systemd user "
		  "manager: reading /sys/fs/cgroup/user.slice/user-4242.slice/user@4242.service/"
		  "cgroup.controllers failed: No such file or directory (ENOENT)" },
	{ "user slice unlimited", .systemd = systemd_user, .key = "user_slice_memory_max",
	  .level = DOCTOR_OK,
	  .says = "no memory limit on your slice user-4242.slice (MemoryMax and MemoryHigh are "
		  "infinity)" },
	{ "user slice limited", .systemd = systemd_user_slice_limited, .key = "user_slice_memory_max",
	  .level = DOCTOR_NOTE,
	  .says = "your slice user-4242.slice has MemoryMax 1 GiB: every job of yours is under it, "
		  "with all your other processes, and when it is reached the OOM killer kills "
		  "inside the slice" },
	{ "user slice throttled", .systemd = systemd_user_slice_high, .key = "user_slice_memory_max",
	  .level = DOCTOR_NOTE,
	  .says = "your slice user-4242.slice has MemoryHigh 512 MiB and no MemoryMax" },
	{ "user slice not above the jobs", .systemd = systemd_user_slice_elsewhere,
	  .key = "user_slice_memory_max", .level = DOCTOR_NOTE,
	  .says = "memrun's jobs are not under it here: memrun runs in /jobs, outside it" },
	{ "own unit unlimited", .systemd = systemd_user, .key = "own_unit_memory_max",
	  .level = DOCTOR_OK,
	  .says = "memrun's unit memrun-vm-job.service has no memory limit (MemoryMax and "
		  "MemoryHigh are infinity), and none above it would be left behind" },
	{ "own unit limited: a scope would escape", .systemd = systemd_root_unit_limited,
	  .key = "own_unit_memory_max", .level = DOCTOR_WARN,
	  .says = "memrun runs under memory.max = 200 MiB in /system.slice/memrun-vm-job.service, "
		  "which a job's systemd scope (in /system.slice) would not be under: rather than "
		  "let a job escape it, memrun stops with exit 125" },
	{ "own unit limited: the remedy", .systemd = systemd_root_unit_limited,
	  .key = "own_unit_memory_max", .level = DOCTOR_WARN,
	  .says = "give memrun-vm-job.service Delegate=yes (in its unit file, or systemd-run -p "
		  "Delegate=yes ...)" },
	{ "own unit throttled: a scope would escape", .systemd = systemd_root_unit_high,
	  .key = "own_unit_memory_max", .level = DOCTOR_WARN,
	  .says = "memrun runs under memory.high = 150 MiB in /system.slice/memrun-vm-job.service" },
	{ "own unit limited, delegated", .systemd = systemd_delegated_unit_limited,
	  .key = "own_unit_memory_max", .level = DOCTOR_NOTE,
	  .says = "memrun's unit memrun-vm-job.service has MemoryMax 200 MiB: its jobs run inside "
		  "it, under that limit" },
	{ "a user's scope would escape a limit on the slice", .systemd = systemd_slice_limited,
	  .key = "own_unit_memory_max", .level = DOCTOR_WARN,
	  .says = "memrun runs under memory.max = 2 GiB in /system.slice, which a job's systemd "
		  "scope (in /user.slice/user-4242.slice/user@4242.service) would not be under" },
	{ "root's scope is in the limited slice", .systemd = systemd_root_slice_limited,
	  .key = "own_unit_memory_max", .level = DOCTOR_OK,
	  .says = "has no memory limit (MemoryMax and MemoryHigh are infinity), and none above it" },
	{ "no unit", .systemd = systemd_no_unit, .key = "own_unit_memory_max", .level = DOCTOR_OK,
	  .says = "memrun runs in no unit's cgroup (/jobs)" },
	{ "oomd watches the user's manager", .systemd = systemd_user, .key = "systemd_oomd",
	  .level = DOCTOR_NOTE,
	  .says = "systemd-oomd runs and may kill a job's whole cgroup: ManagedOOMSwap=kill on "
		  "-.slice: the cgroup below it that uses the most swap, when swap use passes 90% "
		  "(this host has no swap, so it never does); ManagedOOMMemoryPressure=kill on "
		  "user@4242.service: the cgroup below it that reclaims most, when its memory "
		  "pressure stays above 50% for 30s; a job it kills dies of SIGKILL" },
	{ "oomd's swap rule, with swap", .systemd = systemd_user, .meminfo = meminfo_strict_full,
	  .key = "systemd_oomd", .level = DOCTOR_NOTE,
	  .says = "when swap use passes 90%; ManagedOOMMemoryPressure=kill" },
	{ "oomd's defaults from oomd.conf", .systemd = systemd_oomd_defaults, .key = "systemd_oomd",
	  .level = DOCTOR_NOTE,
	  .says = "ManagedOOMMemoryPressure=kill on -.slice: the cgroup below it that reclaims "
		  "most, when its memory pressure stays above 40% for 20s; a job" },
	{ "a unit doctor cannot ask", .systemd = systemd_oomd_unit_unknown, .key = "systemd_oomd",
	  .level = DOCTOR_NOTE, .says = "; cannot tell for user@4242.service (Access denied); a job" },
	{ "a limit in hundredths", .systemd = systemd_oomd_precise_limit, .key = "systemd_oomd",
	  .level = DOCTOR_NOTE, .says = "stays above 75.25% for 30s" },
	{ "oomd watches nothing above", .systemd = systemd_oomd_nothing, .key = "systemd_oomd",
	  .level = DOCTOR_OK,
	  .says = "systemd-oomd runs, but none of the units above memrun and its jobs "
		  "(user-4242.slice) has ManagedOOMSwap=kill or ManagedOOMMemoryPressure=kill" },
	{ "oomd inactive", .systemd = systemd_oomd_inactive, .key = "systemd_oomd",
	  .level = DOCTOR_OK, .says = "systemd-oomd does not run (systemd-oomd.service is inactive)" },
	{ "oomd not installed", .systemd = systemd_oomd_missing, .key = "systemd_oomd",
	  .level = DOCTOR_OK, .says = "systemd-oomd is not installed" },
	{ "oomd's socket, no bus", .systemd = systemd_oomd_unknown, .key = "systemd_oomd",
	  .level = DOCTOR_NOTE,
	  .says = "systemd-oomd's socket is there (/run/systemd/oom/io.systemd.ManagedOOM), but the "
		  "system bus cannot say whether it runs nor what it watches (No such file or "
		  "directory)" },
};

static const struct doctor_finding *find_key(const struct doctor_finding *f, size_t n,
					     const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (streq(f[i].key, key))
			return &f[i];
	return NULL;
}

static void test_checks(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(host_cases); i++) {
		struct doctor_finding *findings = NULL;
		const struct doctor_finding *f;
		struct doctor_host h;
		size_t n;

		base_host(&h);
		for (unsigned file = 0; file < DOCTOR_FILE_COUNT; file++)
			if (host_cases[i].files[file])
				h.files[file].text = (char *)host_cases[i].files[file];
		if (host_cases[i].unreadable) {
			h.files[host_cases[i].unreadable - 1].text = NULL;
			h.files[host_cases[i].unreadable - 1].err = -EACCES;
		}
		if (host_cases[i].probe)
			h.probe = *host_cases[i].probe;
		if (host_cases[i].enclosing_limit) {
			h.place.enclosing_limit = host_cases[i].enclosing_limit;
			h.place.enclosing_limit_dir = h.place.own_dir;
		}
		if (host_cases[i].no_sys_resource)
			h.sys_resource = false;
		if (host_cases[i].standing)
			h.standing = (enum caps_standing)(host_cases[i].standing - 1);
		h.profiles_lowering = (char *)host_cases[i].profiles_lowering;
		if (host_cases[i].glibc_version)
			h.glibc_version = host_cases[i].glibc_version;
		h.glibc_tunables = host_cases[i].glibc_tunables;
		h.kernel_log = host_cases[i].kernel_log;
		if (host_cases[i].systemd)
			host_cases[i].systemd(&h.systemd);
		else
			h.systemd = (struct doctor_systemd){ .own_unit_at = -1 };
		if (host_cases[i].meminfo)
			h.files[DOCTOR_FILE_MEMINFO].text = (char *)host_cases[i].meminfo;

		n = doctor_check_all(&h, &findings);
		f = find_key(findings, n, host_cases[i].key);
		if (!f)
			fail_msg("%s: no finding %s", host_cases[i].what, host_cases[i].key);
		if (f->level != host_cases[i].level || !strstr(f->message, host_cases[i].says))
			fail_msg("%s: %s %s: %s, expected %s with \"%s\"", host_cases[i].what,
				 f->key, doctor_level_name(f->level), f->message,
				 doctor_level_name(host_cases[i].level), host_cases[i].says);
		doctor_findings_free(findings, n);
	}
}

/* Every finding is complete, and its key is unique: scripts select by key. */
static void test_findings_are_complete(void **state)
{
	struct doctor_finding *f = NULL;
	struct doctor_host h;
	size_t n;

	(void)state;
	base_host(&h);
	n = doctor_check_all(&h, &f);
	assert_true(n >= 20);
	for (size_t i = 0; i < n; i++) {
		if (!f[i].topic || !*f[i].topic || !f[i].key || !*f[i].key || !f[i].message ||
		    !*f[i].message || !f[i].source || !*f[i].source)
			fail_msg("finding %zu (%s) is incomplete", i, f[i].key ? f[i].key : "?");
		if (strchr(f[i].message, '\n'))
			fail_msg("%s: the message spans lines", f[i].key);
		if (f[i].level == DOCTOR_WARN)
			fail_msg("%s warns on a host without trouble: %s", f[i].key, f[i].message);
		for (size_t j = 0; j < i; j++)
			if (streq(f[i].key, f[j].key))
				fail_msg("key %s twice", f[i].key);
	}
	assert_non_null(find_key(f, n, "overcommit_memory"));
	assert_string_equal(find_key(f, n, "swap")->source, "/proc/meminfo");
	assert_string_equal(find_key(f, n, "overcommit_memory")->source,
			    "/proc/sys/vm/overcommit_memory");
	assert_int_equal(find_key(f, n, "overcommit_memory")->value.kind, DOCTOR_VALUE_INT);
	assert_int_equal(find_key(f, n, "rlimit_data")->value.kind, DOCTOR_VALUE_STRING);
	assert_string_equal(find_key(f, n, "rlimit_data")->value.s, "unlimited");
	assert_int_equal(find_key(f, n, "rlimit_as")->value.u, 4ULL << 30);
	assert_int_equal(find_key(f, n, "rlimit_stack")->value.u, 8 << 20);
	doctor_findings_free(f, n);
}

static size_t count_topic(const struct doctor_finding *f, size_t n, const char *topic)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += streq(f[i].topic, topic);
	return count;
}

/* Without systemd the topic says so once; with it, every check speaks
 * (but the user's manager's and slice's, for root). */
static void test_systemd_topic(void **state)
{
	static const struct {
		const char *what;
		void (*systemd)(struct doctor_systemd *s);
		size_t findings;
	} cases[] = {
		{ "no systemd", NULL, 1 },
		{ "a user", systemd_user, 5 },
		{ "root", systemd_root, 3 },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct doctor_finding *f = NULL;
		struct doctor_host h;
		size_t n;

		base_host(&h);
		if (cases[i].systemd)
			cases[i].systemd(&h.systemd);
		n = doctor_check_all(&h, &f);
		if (count_topic(f, n, "systemd") != cases[i].findings)
			fail_msg("%s: %zu systemd findings, expected %zu", cases[i].what,
				 count_topic(f, n, "systemd"), cases[i].findings);
		if (!find_key(f, n, "cgroup_manager"))
			fail_msg("%s: no cgroup_manager", cases[i].what);
		for (size_t j = 0; j < n; j++)
			if (!f[j].message || !f[j].key || !f[j].topic)
				fail_msg("%s: finding %zu is incomplete", cases[i].what, j);
		doctor_findings_free(f, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_limits),  cmocka_unit_test(test_parse_status_hex),
		cmocka_unit_test(test_parse_number),  cmocka_unit_test(test_parse_version),
		cmocka_unit_test(test_cgroup_layout), cmocka_unit_test(test_commit_limit),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_checks),	      cmocka_unit_test(test_findings_are_complete),
		cmocka_unit_test(test_parse_oomd_conf), cmocka_unit_test(test_systemd_topic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
