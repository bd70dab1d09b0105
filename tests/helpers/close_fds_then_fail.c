/* Close every file descriptor, as daemons do, then fail an allocation. */
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	for (int fd = 0; fd < 1024; fd++)
		close(fd);
	return malloc((size_t)1 << 40) ? 0 : 3;	/* 1 TiB: refused */
}
