/*
 * Record every signal received, one name a line, in the file argv[1];
 * create argv[1].ready once the handlers are in place; exit 0 on SIGTERM.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int out_fd = -1;
static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	const char *name = sigabbrev_np(sig);

	if (write(out_fd, name, strlen(name)) < 0 || write(out_fd, "\n", 1) < 0)
		_exit(3);
	if (sig == SIGTERM)
		done = 1;
}

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
				    SIGUSR2, SIGWINCH, SIGALRM, SIGCONT };
	struct sigaction sa = { .sa_handler = on_signal };
	char ready[4096];
	sigset_t none;

	if (argc != 2)
		return 2;
	out_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (out_fd < 0)
		return 2;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	snprintf(ready, sizeof(ready), "%s.ready", argv[1]);
	close(open(ready, O_WRONLY | O_CREAT, 0644));
	sigemptyset(&none);
	while (!done)
		sigsuspend(&none);
	return 0;
}
