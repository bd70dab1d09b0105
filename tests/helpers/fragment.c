/*
 * fragment: in the spirit of "When Linux Runs Out of Memory"'s fragmented1.c.
 * Fill the brk heap with small blocks, free every other one (the heap now
 * holds plenty of free bytes, none of them together), then ask for one
 * large block.  Run with a high mmap_threshold so that large requests are
 * served from the heap, and an RLIMIT_AS that stops the heap from growing:
 * the large request is refused while the free total would cover it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMALL (16 << 10)
#define COUNT 8192	/* 128 MiB of small blocks */

int main(void)
{
	static void *small[COUNT];
	long n = 0;
	void *big;

	for (; n < COUNT; n++) {
		small[n] = malloc(SMALL);
		if (!small[n])
			break;
		memset(small[n], 1, SMALL);
	}
	for (long i = 0; i < n; i += 2)
		free(small[i]);
	big = malloc(16 << 20);	/* 16 MiB; the holes are 16 KiB each */
	fprintf(stderr, "fragment: %ld small blocks, large block %s\n", n, big ? "granted" : "refused");
	return big ? 0 : 3;
}
