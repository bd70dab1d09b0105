/*
 * arenas THREADS MIB: THREADS threads each make their own glibc arena,
 * one after another (a small malloc each: a new arena reserves 64 MiB of
 * address space, after mapping 128 MiB for a moment to align it), then
 * wait while the main thread allocates MIB mebibytes in 64 KiB blocks
 * (below the mmap threshold: from the main arena) and holds them.  Under
 * a small RLIMIT_AS the idle threads' arenas leave the main thread no room,
 * as a thread pool's do; with glibc.malloc.arena_max=1 the threads share
 * the main arena and the same work fits.
 *
 * The arenas are made one at a time, before the main thread allocates, so
 * that how many exist does not depend on the threads' timing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t arenas_made, work_done;

static void *make_arena_and_wait(void *arg)
{
	void *volatile first;	/* volatile: the compiler may not drop the pair */

	(void)arg;
	pthread_mutex_lock(&one_at_a_time);
	first = malloc(64);	/* the thread's arena, made on its first malloc */
	pthread_mutex_unlock(&one_at_a_time);
	pthread_barrier_wait(&arenas_made);
	pthread_barrier_wait(&work_done);
	free(first);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 4;
	long mib = argc > 2 ? atol(argv[2]) : 150;
	long blocks = mib * 16;
	pthread_t tid[64];
	pthread_attr_t attr;
	void **kept;
	int failed = 0;

	if (threads < 1 || threads > 64 || mib < 1)
		return 2;
	kept = calloc((size_t)blocks, sizeof(void *));
	if (!kept)
		return 2;
	pthread_barrier_init(&arenas_made, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&work_done, NULL, (unsigned)threads + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (int i = 0; i < threads; i++)
		if (pthread_create(&tid[i], &attr, make_arena_and_wait, NULL) != 0)
			return 4;
	pthread_barrier_wait(&arenas_made);
	for (long i = 0; i < blocks; i++) {
		kept[i] = malloc(64 << 10);
		if (!kept[i]) {
			failed = 1;
			break;
		}
		memset(kept[i], 1, 64 << 10);
	}
	pthread_barrier_wait(&work_done);
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	if (failed)
		fprintf(stderr, "arenas: an allocation failed\n");
	return failed;
}
