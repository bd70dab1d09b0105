/*
 * arenas THREADS MIB: each thread allocates MIB mebibytes in 64 KiB blocks
 * (below the mmap threshold, so from its glibc arena) and holds them until
 * all threads are done.  Every new arena reserves 64 MiB of address space,
 * so under a small RLIMIT_AS the arenas, not the data, run out of room;
 * with glibc.malloc.arena_max=1 the same work fits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long mib;
static pthread_barrier_t done;
static int failed;

static void *work(void *arg)
{
	long blocks = mib * 16;
	void **kept = calloc((size_t)blocks, sizeof(void *));

	(void)arg;
	for (long i = 0; kept && i < blocks; i++) {
		kept[i] = malloc(64 << 10);
		if (!kept[i]) {
			__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
			break;
		}
		memset(kept[i], 1, 64 << 10);
	}
	pthread_barrier_wait(&done);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 8;
	pthread_t tid[64];
	pthread_attr_t attr;

	mib = argc > 2 ? atol(argv[2]) : 16;
	if (threads < 1 || threads > 64)
		return 2;
	pthread_barrier_init(&done, NULL, (unsigned)threads);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (int i = 0; i < threads; i++)
		if (pthread_create(&tid[i], &attr, work, NULL) != 0)
			return 4;
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	if (failed)
		fprintf(stderr, "arenas: an allocation failed\n");
	return failed ? 1 : 0;
}
