/* body.c -- the site's body as libmicrohttpd content: a slice of the pre-built body, or a
 * generated one that is dripped at a bandwidth, held until its time (ttfb) or cut by a body
 * fault (truncate, reset_body, close, stall_after). Also the connection-level helpers the
 * faults share. It decides nothing: reply.c passes the shape. */
#include "internal.h"

#include "clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DRIP_STEPS    50    /* a bandwidth-limited body goes out in bursts of bw/50 bytes */
#define FLUSH_WAIT_US 20000 /* before a reset: lets the bytes already sent reach the client */

/* the body source of a generated response */
struct body_src {
	struct srv_server *srv;
	struct MHD_Connection *conn;
	const char *src;
	size_t src_len;
	uint64_t total, start_us;
	struct srv_body_shape sh;
	int cut_waited; /* a reset_body or a stall has waited once at the cut */
};

int srv_conn_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

void srv_conn_reset(struct MHD_Connection *conn)
{
	int fd = srv_conn_fd(conn);
	struct linger lg = {1, 0}; /* close() sends RST instead of FIN */
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	/* Linux: connect(AF_UNSPEC) disconnects a TCP socket with a RST right away, before
	 * libmicrohttpd's own shutdown() could send a FIN first */
	if (connect(fd, &unspec, sizeof(unspec)) != 0 && errno != 0)
		errno = 0;
}

/* how many bytes of a drip may go out at pos: > 0, or 0 after suspending until more may */
static uint64_t drip_allowed(struct body_src *b, uint64_t pos, uint64_t want)
{
	uint64_t bw = b->sh.bw;
	uint64_t elapsed = clock_now_us() - b->start_us;
	double bytes = (double)elapsed * (double)bw / 1e6; /* no u64 overflow */
	uint64_t allowed = bytes >= (double)b->total ? b->total : (uint64_t)bytes;

	if (allowed <= pos) {
		uint64_t step = bw / DRIP_STEPS ? bw / DRIP_STEPS : 1;
		double wait_us = (double)(pos + step) * 1e6 / (double)bw;
		srv_suspend_until(b->srv, b->conn, b->start_us + (uint64_t)wait_us + 1, 0);
		return 0;
	}
	return want > allowed - pos ? allowed - pos : want;
}

/* at the cut: wait there (a stall, or the flush before a reset), then end with an error */
static ssize_t at_cut(struct body_src *b)
{
	if (!b->cut_waited && (b->sh.stall_us || b->sh.cut_fault == SRV_FAULT_RESET_BODY)) {
		b->cut_waited = 1;
		uint64_t wait = b->sh.stall_us ? b->sh.stall_us : FLUSH_WAIT_US;
		/* a stall is watched: a client that gives up ends it */
		srv_suspend_until(b->srv, b->conn, clock_now_us() + wait, b->sh.stall_us != 0);
		return 0;
	}
	if (b->sh.cut_fault == SRV_FAULT_RESET_BODY)
		srv_conn_reset(b->conn);
	return MHD_CONTENT_READER_END_WITH_ERROR; /* libmicrohttpd closes the connection */
}

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct body_src *b = cls;

	if (pos >= b->total)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (b->sh.hold_until_us && clock_now_us() < b->sh.hold_until_us) { /* ttfb: body later */
		srv_suspend_until(b->srv, b->conn, b->sh.hold_until_us, 0);
		return 0;
	}
	if (pos >= b->sh.cut)
		return at_cut(b);
	uint64_t want = b->total - pos;
	if (want > b->sh.cut - pos)
		want = b->sh.cut - pos;
	if (want > max)
		want = max;
	if (b->sh.bw) {
		if (atomic_load_explicit(&b->srv->stopping, memory_order_relaxed))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if ((want = drip_allowed(b, pos, want)) == 0)
			return 0; /* suspended: the timer resumes the connection */
	}
	for (uint64_t done = 0; done < want;) {
		size_t off = (size_t)((pos + done) % b->src_len);
		size_t n = b->src_len - off;
		if (n > want - done)
			n = (size_t)(want - done);
		memcpy(buf + done, b->src + off, n);
		done += n;
	}
	return (ssize_t)want;
}

struct MHD_Response *srv_body_response(struct srv_server *srv, struct MHD_Connection *conn,
                                       const struct srv_site *site, uint64_t size,
                                       const struct srv_body_shape *sh)
{
	/* the common path: a slice, no copy, no allocation */
	if (!sh->bw && sh->cut == UINT64_MAX && !sh->hold_until_us && size <= site->body_len)
		return MHD_create_response_from_buffer((size_t)size, site->body,
		                                       MHD_RESPMEM_PERSISTENT);
	struct body_src *b = malloc(sizeof(*b));
	if (!b)
		return NULL;
	*b = (struct body_src){
	        .srv = srv,
	        .conn = conn,
	        .src = site->body_len ? site->body : srv->sites->filler,
	        .src_len = site->body_len ? site->body_len : SRV_FILLER_PERIOD,
	        .total = size,
	        .start_us = clock_now_us(),
	        .sh = *sh,
	};
	if (b->sh.hold_until_us > b->start_us)
		b->start_us = b->sh.hold_until_us; /* a drip starts with the body */
	struct MHD_Response *resp =
	        MHD_create_response_from_callback(size, 16 * 1024, body_read, b, free);
	if (!resp)
		free(b);
	return resp;
}
