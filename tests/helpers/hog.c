/*
 * hog MIB: allocate MIB mebibytes one at a time and touch every page, so
 * the memory is really used; then exit 0.  Under a smaller cgroup limit
 * the OOM killer ends it first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 1024;

	for (long i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			fprintf(stderr, "hog: malloc failed after %ld MiB\n", i);
			return 3;
		}
		memset(p, 0x5a, 1 << 20);
	}
	return 0;
}
