/* stop.c -- the stop flag behind Ctrl-C: a volatile sig_atomic_t set by the signal handler
 * and read by the modes between requests; nothing else. The flag holds when the first signal
 * came (tenths of a second on CLOCK_MONOTONIC, plus one), so that the same Ctrl-C delivered
 * twice at once (to the process and to its group, as GNU timeout -s INT does) is one stop,
 * and only a second one later ends the program. */
#include "stop.h"

#include <signal.h>
#include <string.h>
#include <time.h>

#define STOP_SAME_SIGNAL_DS 5 /* signals within half a second are the same Ctrl-C */

static volatile sig_atomic_t stop_flag;

/* CLOCK_MONOTONIC in tenths of a second, plus one (never 0); async-signal-safe */
static sig_atomic_t stop_now_ds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (sig_atomic_t)((ts.tv_sec * 10 + ts.tv_nsec / 100000000) & 0x3fffffff) + 1;
}

static void stop_on_signal(int sig)
{
	sig_atomic_t now = stop_now_ds();
	if (stop_flag == 0) {
		stop_flag = now;
		return;
	}
	if (now - stop_flag < STOP_SAME_SIGNAL_DS && now >= stop_flag)
		return;       /* the same Ctrl-C, delivered again */
	signal(sig, SIG_DFL); /* a second Ctrl-C: end at once, as killed by it */
	raise(sig);
}

void stop_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int stop_requested(void)
{
	return stop_flag != 0;
}
