/*
 * What the probe must not change: errno after refused calls (malloc,
 * calloc overflow, mmap, posix_memalign's return), allocations (refused
 * ones too) from a signal handler, and the program's output.  The handler
 * runs while the main loop is outside malloc: glibc's malloc is not
 * reentrant, with or without a probe.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>

static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	free(malloc(64));	/* not async-signal-safe, and programs do it */
	if (malloc((size_t)1 << 40) == NULL && errno == ENOMEM)
		ticks++;
	errno = saved;
}

int main(int argc, char **argv)
{
	/* From the command line, so the compiler cannot see the overflow. */
	size_t half = SIZE_MAX / (size_t)(argc > 1 ? atoi(argv[1]) : 2);
	struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } };
	void *p;
	int bad = 0;

	errno = 0;
	if (malloc((size_t)1 << 40) || errno != ENOMEM)
		bad |= 1;
	errno = 0;
	if (calloc(half, 4) || errno != ENOMEM)
		bad |= 2;
	errno = 0;
	if (mmap(NULL, (size_t)1 << 40, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) !=
	    MAP_FAILED || errno != ENOMEM)
		bad |= 4;
	errno = 1234;
	if (posix_memalign(&p, 64, (size_t)1 << 40) != ENOMEM || errno != 1234)
		bad |= 8;

	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &every_ms, NULL);
	while (ticks < 50)
		;	/* spin outside the allocator */
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
	for (long i = 0; i < 3000000; i++)
		free(malloc((size_t)(i % 512) + 1));
	printf("errno checks %s, %s refusals in a signal handler\n", bad ? "FAILED" : "passed",
	       ticks >= 50 ? "50" : "too few");
	return bad;
}
