/* stop.h -- Ctrl-C during a batch: the first SIGINT or SIGTERM asks every mode to start no
 * new request (what finished is still reported, the rest is recorded as "interrupted"); a
 * second one (half a second or more later) ends the process at once. The only mutable global
 * state in the client. */
#ifndef LATLAB_STOP_H
#define LATLAB_STOP_H

/* Installs the SIGINT/SIGTERM handler (a signal half a second or more after the first gets
 * the default action). Inherited by forked workers. */
void stop_install(void);

/* 1 once a stop was asked for (by SIGINT or SIGTERM), else 0. Async-signal-safe. */
int stop_requested(void);

#define STOP_MSG "interrupted"

#endif
