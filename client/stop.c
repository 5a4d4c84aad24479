/* stop.c -- the stop flag behind Ctrl-C: a volatile sig_atomic_t set by the signal handler
 * and read by the modes between requests; nothing else. */
#include "stop.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_flag;

static void stop_on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void stop_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C is not ignored */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int stop_requested(void)
{
	return stop_flag != 0;
}
