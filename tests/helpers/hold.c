/*
 * hold MIB READY STOP: allocate MIB mebibytes and touch every page, then
 * create the file READY and wait, at most 5 minutes, until the file STOP
 * exists; exit 0.  Two of them at once hold their memory together, as two
 * jobs of one user under the user's total.  Under a limit too small the
 * OOM killer ends it first.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	long mib;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: hold MIB READY STOP\n");
		return 2;
	}
	mib = atol(argv[1]);
	for (long i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			fprintf(stderr, "hold: malloc failed after %ld MiB\n", i);
			return 3;
		}
		memset(p, 0x5a, 1 << 20);
	}
	fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(argv[2]);
		return 4;
	}
	close(fd);
	for (int i = 0; i < 5 * 60 * 20 && access(argv[3], F_OK) != 0; i++)
		nanosleep(&tick, NULL);
	return 0;
}
