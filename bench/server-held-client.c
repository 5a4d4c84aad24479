/* server-held-client.c -- bench helper: holds N HTTP requests in flight at once against one
 * server and measures how late each answer is compared with the delay the server injected.
 *
 * usage: server-held-client HOST PORT PATH N DEADLINE_S [ASSUME_DELAY_US]
 *
 * Phase 1 opens N keep-alive connections (at most 512 connects pending at a time, untimed).
 * Phase 2 sends one GET on every connection as fast as it can (t0 = first send) and records
 * each send time; phase 3 reads the answers with epoll. Phases 2 and 3 run on HELD_THREADS
 * threads (default 1: on 2 cores a second client thread starves the server), each with its
 * share of the connections and its own epoll.
 *
 * A request's error is (answer complete - its own send) - injected delay, where the injected
 * delay is the response's X-Latlab-Delay-Us, or ASSUME_DELAY_US for servers that send none
 * (httpbin). Prints one line: n, ok, failed, the connect phase (outside wall_s; a client that
 * connects inside its wall, as latlab-client and aiohttp do, pays it there), the send phase,
 * wall (t0 to last answer), last send to last answer, and the error's min/p50/p99/max in ms.
 * Built by make (build/bench/) with the project's warnings; run by bench/bench_server.sh and
 * bench/bench_client.sh. Loopback only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { C_IDLE, C_CONNECTING, C_CONNECTED, C_SENT, C_DONE, C_FAILED };

struct conn {
	int fd, state;
	uint64_t sent_us, done_us;
	int64_t injected_us;
	size_t len, head_len;
	long content_length;
	char buf[4096];
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* the value of header name in the head [p, p+n), or NULL */
static const char *header(const char *head, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':')
			return p + 3 + nl;
	return NULL;
}

/* 1 when the response on c is complete, 0 when more is needed, -1 on a bad answer */
static int parse(struct conn *c, int64_t assume_us)
{
	if (!c->head_len) {
		char *end = strstr(c->buf, "\r\n\r\n");
		if (!end)
			return c->len >= sizeof(c->buf) - 1 ? -1 : 0;
		*end = '\0';
		c->head_len = (size_t)(end - c->buf) + 4;
		if (strncmp(c->buf, "HTTP/1.1 200", 12) != 0 && strncmp(c->buf, "HTTP/1.0 200", 12))
			return -1;
		const char *cl = header(c->buf, "Content-Length");
		const char *d = header(c->buf, "X-Latlab-Delay-Us");
		if (!cl)
			return -1;
		c->content_length = strtol(cl, NULL, 10);
		c->injected_us = d ? strtoll(d, NULL, 10) : assume_us;
		if (c->injected_us < 0)
			return -1;
	}
	/* the body is counted, not kept */
	return c->len >= c->head_len + (size_t)c->content_length ? 1 : 0;
}

/* phases 2 and 3 for connections [lo, hi): send one request on each, then read the answers */
struct worker {
	struct conn *cs;
	int lo, hi, ep;
	const char *req;
	int reqlen;
	int64_t assume;
	double deadline_s;
	pthread_barrier_t *start;
	uint64_t t0, sent_end, last;
	int done, failed;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[256];
	static __thread char scratch[65536]; /* body bytes are counted, not kept */

	pthread_barrier_wait(w->start);
	w->t0 = w->last = now_us();
	for (int i = w->lo; i < w->hi; i++) {
		struct conn *c = &w->cs[i];
		if (c->state != C_CONNECTED)
			continue;
		c->sent_us = now_us();
		if (send(c->fd, w->req, (size_t)w->reqlen, MSG_NOSIGNAL) != w->reqlen) {
			c->state = C_FAILED;
			w->failed++;
			continue;
		}
		c->state = C_SENT;
	}
	w->sent_end = now_us();
	int n = w->hi - w->lo;
	uint64_t end = w->t0 + (uint64_t)(w->deadline_s * 1e6);
	while (w->done + w->failed < n && now_us() < end) {
		int k = epoll_wait(w->ep, evs, 256, 50);
		for (int i = 0; i < k; i++) {
			struct conn *c = &w->cs[evs[i].data.u32];
			if (c->state != C_SENT)
				continue;
			for (;;) {
				char *dst = c->head_len ? scratch : c->buf + c->len;
				size_t room =
				        c->head_len ? sizeof(scratch) : sizeof(c->buf) - 1 - c->len;
				ssize_t r = recv(c->fd, dst, room, 0);
				if (r > 0) {
					c->len += (size_t)r;
					if (!c->head_len)
						c->buf[c->len] = '\0';
					int p = parse(c, w->assume);
					if (p < 0) {
						c->state = C_FAILED;
						w->failed++;
						break;
					}
					if (p > 0) {
						c->done_us = now_us();
						w->last =
						        c->done_us > w->last ? c->done_us : w->last;
						c->state = C_DONE;
						w->done++;
						break;
					}
					continue;
				}
				if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
					break;
				c->state = C_FAILED; /* EOF or reset before a whole answer */
				w->failed++;
				break;
			}
		}
	}
	return NULL;
}

struct opts {
	const char *host, *path;
	int port, n;
	double deadline_s;
	int64_t assume;
};

static int parse_args(int argc, char **argv, struct opts *o, struct sockaddr_in *sa)
{
	if (argc < 6) {
		fprintf(stderr, "usage: %s HOST PORT PATH N DEADLINE_S [ASSUME_DELAY_US]\n",
		        argv[0]);
		return -1;
	}
	*o = (struct opts){argv[1],       argv[3],       atoi(argv[2]),
	                   atoi(argv[4]), atof(argv[5]), argc > 6 ? atoll(argv[6]) : -1};
	if (o->n <= 0 || o->n > 60000 || o->port <= 0 || o->port > 65535 || o->deadline_s <= 0) {
		fprintf(stderr, "server-held-client: bad arguments\n");
		return -1;
	}
	*sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
	if (inet_pton(AF_INET, o->host, &sa->sin_addr) != 1) {
		fprintf(stderr, "server-held-client: HOST must be a numeric IPv4 address\n");
		return -1;
	}
	return 0;
}

/* raises the open-files limit to its hard limit; -1 when n connections still do not fit */
static int raise_nofile(int n)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)n + 16) {
		fprintf(stderr, "server-held-client: open files limit %llu < %d\n",
		        (unsigned long long)rl.rlim_cur, n + 16);
		return -1;
	}
	return 0;
}

/* starts a non-blocking connect for cs[i] and watches it on ep; 0, or 1 when it failed at
 * once, or -1 when no socket could be made */
static int connect_start(struct conn *cs, int i, int ep, const struct sockaddr_in *sa)
{
	struct conn *c = &cs[i];
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		perror("socket");
		return -1;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 && errno != EINPROGRESS) {
		c->state = C_FAILED;
		return 1;
	}
	c->state = C_CONNECTING;
	struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

/* phase 1: connects all n, at most 512 connects pending, within 30 s (untimed).
 * Returns how many failed, or -1 when no socket could be made. */
static int connect_all(struct conn *cs, int n, int ep, const struct sockaddr_in *sa)
{
	struct epoll_event evs[1024];
	int next = 0, pending = 0, connected = 0, failed = 0;
	uint64_t connect_end = now_us() + 30 * 1000000ULL;
	while ((connected + failed < n) && now_us() < connect_end) {
		for (; next < n && pending < 512; next++) {
			int rc = connect_start(cs, next, ep, sa);
			if (rc < 0)
				return -1;
			failed += rc;
			pending += rc == 0;
		}
		int k = epoll_wait(ep, evs, 1024, 100);
		for (int i = 0; i < k; i++) {
			struct conn *c = &cs[evs[i].data.u32];
			int err = 0;
			socklen_t el = sizeof(err);
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
			pending--;
			if (err) {
				c->state = C_FAILED;
				failed++;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				continue;
			}
			c->state = C_CONNECTED;
			connected++;
			struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[i].data.u32};
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		}
	}
	return failed;
}

struct totals {
	uint64_t connect_us; /* phase 1: every connect, untimed in wall_s */
	uint64_t t0, sent_end, last;
	int done, failed;
};

/* phases 2 and 3 on HELD_THREADS threads, each with its own share of cs and its own epoll */
static struct totals run_workers(struct conn *cs, int ep, const struct opts *o, const char *req,
                                 int reqlen)
{
	int n = o->n;
	int nthreads = getenv("HELD_THREADS") ? atoi(getenv("HELD_THREADS")) : 1;
	if (nthreads < 1 || nthreads > 16)
		nthreads = 1;
	struct worker ws[16];
	pthread_t tids[16];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
	for (int t = 0; t < nthreads; t++) {
		struct worker *w = &ws[t];
		*w = (struct worker){cs,
		                     n * t / nthreads,
		                     n * (t + 1) / nthreads,
		                     epoll_create1(0),
		                     req,
		                     reqlen,
		                     o->assume,
		                     o->deadline_s,
		                     &start,
		                     0,
		                     0,
		                     0,
		                     0,
		                     0};
		for (int i = w->lo; i < w->hi; i++) {
			if (cs[i].state != C_CONNECTED)
				continue;
			epoll_ctl(ep, EPOLL_CTL_DEL, cs[i].fd, NULL);
			struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
			epoll_ctl(w->ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
		}
		pthread_create(&tids[t], NULL, worker_main, w);
	}
	pthread_barrier_wait(&start);
	struct totals tot = {0, UINT64_MAX, 0, 0, 0, 0};
	for (int t = 0; t < nthreads; t++) {
		pthread_join(tids[t], NULL);
		tot.t0 = ws[t].t0 < tot.t0 ? ws[t].t0 : tot.t0;
		tot.sent_end = ws[t].sent_end > tot.sent_end ? ws[t].sent_end : tot.sent_end;
		tot.last = ws[t].last > tot.last ? ws[t].last : tot.last;
		tot.done += ws[t].done;
		tot.failed += ws[t].failed;
		close(ws[t].ep);
	}
	pthread_barrier_destroy(&start);
	return tot;
}

/* prints the one result line; -1 when out of memory */
static int report(const struct conn *cs, int n, const struct totals *tot)
{
	int64_t *err = calloc((size_t)n, sizeof(*err));
	if (!err)
		return -1;
	int m = 0;
	for (int i = 0; i < n; i++)
		if (cs[i].state == C_DONE)
			err[m++] = (int64_t)(cs[i].done_us - cs[i].sent_us) - cs[i].injected_us;
	qsort(err, (size_t)m, sizeof(*err), cmp_i64);
	int unanswered = n - tot->done - tot->failed;
	printf("n=%d ok=%d failed=%d unanswered=%d connect_ms=%.1f send_ms=%.1f wall_s=%.3f "
	       "last_send_to_last_answer_s=%.3f",
	       n, tot->done, tot->failed, unanswered, (double)tot->connect_us / 1e3,
	       (double)(tot->sent_end - tot->t0) / 1e3, (double)(tot->last - tot->t0) / 1e6,
	       tot->last > tot->sent_end ? (double)(tot->last - tot->sent_end) / 1e6 : 0.0);
	if (m)
		printf(" err_ms_min=%.2f err_ms_p50=%.2f err_ms_p99=%.2f err_ms_max=%.2f",
		       (double)err[0] / 1e3, (double)err[m / 2] / 1e3,
		       (double)err[(size_t)((m - 1) * 0.99)] / 1e3, (double)err[m - 1] / 1e3);
	printf("\n");
	free(err);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct sockaddr_in sa;
	if (parse_args(argc, argv, &o, &sa) != 0 || raise_nofile(o.n) != 0)
		return 2;
	struct conn *cs = calloc((size_t)o.n, sizeof(*cs));
	int ep = epoll_create1(0);
	if (!cs || ep < 0)
		return 1;
	char req[512];
	int reqlen = snprintf(req, sizeof(req),
	                      "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: latlab-held\r\n\r\n",
	                      o.path, o.host, o.port);
	uint64_t c0 = now_us();
	int failed = connect_all(cs, o.n, ep, &sa);
	if (failed < 0)
		return 1;
	uint64_t connect_us = now_us() - c0;
	struct totals tot = run_workers(cs, ep, &o, req, reqlen);
	tot.connect_us = connect_us;
	tot.failed += failed;
	int rc = report(cs, o.n, &tot) == 0 && tot.done == o.n ? 0 : 1;
	for (int i = 0; i < o.n; i++)
		if (cs[i].fd > 0)
			close(cs[i].fd);
	free(cs);
	close(ep);
	return rc;
}
