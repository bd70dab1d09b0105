/*
 * malloc_pairs [N]: N million malloc/free pairs spread over sizes from 16
 * bytes to 4 KiB: the allocator's fast path, where any per-call cost of
 * the probe would show.  Prints nothing; time it from outside.
 */
#include <stdlib.h>

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 16, 48, 128, 256, 1024, 4096 };
	long pairs = (argc > 1 ? atol(argv[1]) : 100) * 1000000L;
	void *volatile sink;

	for (long i = 0; i < pairs; i++) {
		void *p = malloc(sizes[i % 6]);
		sink = p;
		free(p);
	}
	(void)sink;
	return 0;
}
