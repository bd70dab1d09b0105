/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the libFuzzer harnesses, tests/fuzz/fuzz_*.c: each feeds
 * arbitrary bytes to parsers of text memrun does not control (profiles,
 * flags, /proc and cgroup files, kernel and journal records, what a job
 * writes).  Built and run by 'make fuzz' with ASan, UBSan and leak
 * detection: a harness frees everything it is given.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A finding of the harness's own (a parser broke a promise): a crash
 * libFuzzer reports with the input. */
#define FUZZ_ASSERT(cond)                                                        \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(fuzz_stderr, "fuzz: %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                          \
			abort();                                                 \
		}                                                                \
	} while (0)

/* stderr as it was before fuzz_quiet(): for the harness's own words. */
static FILE *fuzz_stderr;

/*
 * memrun's parsers tell people what is wrong with their input on stderr,
 * which for most fuzz inputs is a line each: those go to /dev/null.  Only
 * the stdio stream is swapped, not fd 2, where libFuzzer and the
 * sanitizers still write their reports.
 */
static inline void fuzz_quiet(void)
{
	FILE *null = fopen("/dev/null", "we");

	fuzz_stderr = stderr;
	if (null)
		stderr = null;
}

/* The initializer of a harness whose parsers need nothing set up but
 * their quiet (fuzz_quiet). */
#define FUZZ_QUIET_INITIALIZER                                \
	int LLVMFuzzerInitialize(int *argc, char ***argv)     \
	{                                                     \
		(void)argc, (void)argv;                       \
		fuzz_quiet();                                 \
		return 0;                                     \
	}

/* The input as a NUL-terminated string, as memrun holds text it read (a
 * NUL byte in it ends the text early, as it would there).  Malloc'ed. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

/* Whether s holds a NUL within its n bytes: a fixed buffer a parser
 * filled must stay a string. */
static inline bool fuzz_terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}
