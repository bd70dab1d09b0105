/*
 * churn [N]: N million steps (default 100) over a ring of 4096 live blocks
 * of mixed sizes.  Each step frees the oldest block, allocates a new one
 * and fills its first bytes, as a program that builds and drops
 * short-lived records does.  Sizes come from a fixed pseudo-random
 * sequence: 55% 16-128 bytes, 30% up to 1 KiB, 12% up to 8 KiB, 3% up to
 * 64 KiB (all below glibc's mmap threshold, so every call stays in the
 * heap).  Freeing in allocation order (FIFO) and mixing sizes sends the
 * allocator through its bins, splits and merges, not only its per-thread
 * cache: a more usual load for malloc than malloc_pairs' LIFO loop, and
 * still one with no other work, so any per-call cost of a wrapper shows.
 * Prints a checksum so that nothing is optimised away; time it from
 * outside.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING 4096

static uint64_t state = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	/* xorshift64* */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dULL;
}

static size_t draw_size(void)
{
	uint64_t r = next();
	unsigned class = (unsigned)(r % 100);
	uint64_t s = r >> 32;

	if (class < 55)
		return 16 + s % (128 - 16 + 1);
	if (class < 85)
		return 129 + s % (1024 - 129 + 1);
	if (class < 97)
		return 1025 + s % (8192 - 1025 + 1);
	return 8193 + s % (65536 - 8193 + 1);
}

int main(int argc, char **argv)
{
	static unsigned char *ring[RING];
	long steps = (argc > 1 ? atol(argv[1]) : 100) * 1000000L;
	unsigned long sum = 0;

	for (long i = 0; i < steps; i++) {
		size_t slot = (size_t)i % RING, n = draw_size();
		unsigned char *p;

		free(ring[slot]);
		p = malloc(n);
		if (!p) {
			fprintf(stderr, "churn: malloc(%zu) failed\n", n);
			return 1;
		}
		memset(p, (int)(i & 0xff), n < 64 ? n : 64);
		p[n - 1] = (unsigned char)(i >> 8);
		sum += p[0] + n;
		ring[slot] = p;
	}
	for (size_t i = 0; i < RING; i++)
		free(ring[i]);
	printf("%lu\n", sum);
	return 0;
}
