/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A job's sd_notify datagram, relayed to the service manager without its
 * MAINPID= and MAINPIDFD= lines (notify_strip_main_pid). */
#include "fuzz.h"

#include "notify.h"
#include "util.h"

FUZZ_QUIET_INITIALIZER

static bool names_main_pid(const char *line, size_t len)
{
	return (len >= 8 && memcmp(line, "MAINPID=", 8) == 0) ||
	       (len >= 10 && memcmp(line, "MAINPIDFD=", 10) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data, *dropped = NULL;
	/* Exactly as large as the datagram: what the relay passes on never
	 * grows. */
	_cleanup_free_ char *out = malloc(size ? size : 1);
	size_t n;

	if (size > NOTIFY_MESSAGE_MAX)
		return -1;	/* recvmsg truncates it, and the relay drops it */
	if (!out)
		abort();
	n = notify_strip_main_pid(msg, size, out, &dropped);
	FUZZ_ASSERT(n <= size);
	FUZZ_ASSERT(!dropped || (dropped >= msg && dropped < msg + size &&
				 names_main_pid(dropped, (size_t)(msg + size - dropped))));
	FUZZ_ASSERT((n == size) == !dropped);
	/* No line passed on names a main process. */
	for (size_t start = 0; start < n;) {
		const char *newline = memchr(out + start, '\n', n - start);
		size_t end = newline ? (size_t)(newline - out) + 1 : n;

		FUZZ_ASSERT(!names_main_pid(out + start, end - start));
		start = end;
	}
	return 0;
}
