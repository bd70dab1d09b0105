/*
 * Built with AddressSanitizer, as asan_overflow: "ok" allocates and prints;
 * without it, it writes one byte past a heap block, which ASan must catch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	volatile char *p = malloc(10);

	if (argc > 1 && strcmp(argv[1], "ok") == 0) {
		p[0] = 1;
		printf("asan ok %d\n", p[0]);
	} else {
		p[10] = 1;
	}
	free((void *)p);
	return 0;
}
