/*
 * alloc_until_null [handle]: malloc 1 MiB blocks until malloc says no.
 * Without "handle" it exits 3, as a program that gives up would; with it,
 * it frees everything and exits 0, as a program that copes would.
 * Also built statically, as static_alloc_until_null: what the probe
 * cannot see.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	void **blocks = NULL;
	size_t n = 0, cap = 0;

	for (;;) {
		void *p = malloc(1 << 20);
		if (!p)
			break;
		if (n == cap) {
			void **more = realloc(blocks, (cap = cap ? cap * 2 : 64) * sizeof(void *));
			if (!more)
				break;
			blocks = more;
		}
		blocks[n++] = p;
	}
	fprintf(stderr, "alloc_until_null: refused after %zu MiB\n", n);
	if (argc > 1 && strcmp(argv[1], "handle") == 0) {
		while (n > 0)
			free(blocks[--n]);
		free(blocks);
		return 0;
	}
	return 3;
}
