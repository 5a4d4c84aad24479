/* http.h -- the libmicrohttpd daemon: routing, delays by suspend/resume, responses,
 * /__latlab/ endpoints, the access log and graceful shutdown. */
#ifndef LATLAB_SERVER_HTTP_H
#define LATLAB_SERVER_HTTP_H

#include "config.h"
#include "sites.h"
#include "stats.h"

#include <stddef.h>
#include <stdint.h>

struct srv_server;

/* Starts the timer thread and the daemon (listening when this returns) serving the finished
 * site table; cfg and sites must outlive the server. NULL with a one-line message in err. */
struct srv_server *srv_server_start(const struct srv_config *cfg, struct srv_sites *sites,
                                    char *err, size_t errlen);

/* The port the daemon listens on (the real one when cfg->port was 0). */
unsigned srv_server_port(const struct srv_server *s);

/* The live counters. */
const struct srv_stats *srv_server_stats(const struct srv_server *s);

/* Stops accepting new connections; requests in flight (and new ones on open keep-alive
 * connections, answered with "Connection: close") still run to completion. */
void srv_server_quiesce(struct srv_server *s);

/* Ends every pending delay now, stops the daemon and the timer, frees s. NULL is a no-op. */
void srv_server_stop(struct srv_server *s);

#endif
