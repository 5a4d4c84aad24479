/* main.c -- latlab-server: command line, site table, signals, the port file and the exit
 * status. The HTTP server and its drain policy are server.c's, the sites sites.c/config.c's. */
#include "atomicfile.h"
#include "config.h"
#include "https.h"
#include "server.h"
#include "sites.h"
#include "units.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define EXIT_USAGE 2

static void usage(FILE *f)
{
	static const char text[] =
	        "usage: latlab-server [options]\n"
	        "\n"
	        "Stand-in web sites with seeded, non-blocking latency, for concurrency lessons.\n"
	        "Sites naver, google and apple are built in; address one by path (/naver/...)\n"
	        "or by Host header (naver.com). Query overrides: latency=250ms jitter=20ms\n"
	        "size=28KiB status=503 seq=7 bandwidth=10KiB fault=reset, fail_first=2,\n"
	        "sequence=503,200, stall_after=1KiB, ttfb=100ms (header X-Latlab-Scenario).\n"
	        "Endpoints: /__latlab/health, /__latlab/sites, /__latlab/stats, "
	        "/__latlab/metrics,\n"
	        "/__latlab/requests (the journal); POST /__latlab/reset; PUT|DELETE "
	        "/__latlab/sites/NAME.\n"
	        "\n"
	        "options:\n"
	        "  --listen ADDR          numeric IPv4/IPv6 address to listen on (127.0.0.1)\n"
	        "  --port N               TCP port, 0 picks a free one (8080)\n"
	        "  --port-file PATH       write the port there (atomically) once listening\n"
	        "  --config FILE          sites.ini: add or override sites (examples/sites.ini)\n"
	        "  --seed N               seed of every delay: same seed, site, seq: same delay "
	        "(1)\n"
	        "  --time-scale F         multiply every delay by F, 0 to 1000 (1.0; 0.01 in CI)\n"
	        "  --max-delay D          cap on any delay, 1ms to 1h (60s)\n"
	        "  --threads N            worker threads, 1 to 64 (online CPUs)\n"
	        "  --max-connections N    concurrent connections, 1 to 1000000 (16384)\n"
	        "  --idle-timeout D       close keep-alive connections idle this long, 1s to 1h\n"
	        "                         (15s; whole seconds, rounded up)\n"
	        "  --grace D              on SIGINT/SIGTERM, wait this long for in-flight\n"
	        "                         requests, 0 to 10m (10s)\n"
	        "  --https-port N         also serve HTTPS on this TCP port, 0 picks a free one\n"
	        "                         (off)\n"
	        "  --https-port-file PATH write the HTTPS port there (atomically) once listening\n"
	        "  --tls-cert FILE        HTTPS certificate (chain), PEM; with --tls-key\n"
	        "  --tls-key FILE         its private key, PEM (without both: a CA and a\n"
	        "                         certificate for every site host, localhost, 127.0.0.1\n"
	        "                         and ::1 are made at start-up)\n"
	        "  --tls-ca PATH          write the made CA's certificate there (PEM), for\n"
	        "                         clients to trust (e.g. REQUESTS_CA_BUNDLE=PATH)\n"
	        "  --access-log PATH|-    one line per request: time addr method path status\n"
	        "                         bytes site seq delay_us (off)\n"
	        "  --strict-query         unknown query parameters get 400 (default: ignored and\n"
	        "                         listed in X-Latlab-Ignored)\n"
	        "  --max-body SIZE        request bodies up to SIZE, 0 to 1GiB; more gets 413\n"
	        "                         (64MiB)\n"
	        "  --admin off|on|ADDR:PORT  the /__latlab/ API: off, on the sites' port (on),\n"
	        "                         or on its own listener\n"
	        "  --journal N            keep the last N requests for GET /__latlab/requests,\n"
	        "                         0 to 1000000, 0 = off (10000)\n"
	        "  --quiet                print nothing but errors (not even the listening line)\n"
	        "  --help                 this text\n"
	        "  --version              the version\n"
	        "\n"
	        "The first stdout line is 'latlab-server listening on http://ADDR:PORT'; with\n"
	        "--https-port the second is 'latlab-server listening on https://ADDR:PORT'.\n"
	        "SIGINT or SIGTERM stops accepting, lets in-flight requests finish within --grace\n"
	        "and exits 0; a second signal cuts them short (exit 1). Usage errors exit 2.\n";
	fputs(text, f);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("latlab-server: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	return -EINVAL;
}

enum {
	OPT_LISTEN = 256,
	OPT_PORT,
	OPT_PORT_FILE,
	OPT_CONFIG,
	OPT_SEED,
	OPT_TIME_SCALE,
	OPT_MAX_DELAY,
	OPT_THREADS,
	OPT_MAX_CONN,
	OPT_IDLE_TIMEOUT,
	OPT_GRACE,
	OPT_ACCESS_LOG,
	OPT_HTTPS_PORT,
	OPT_HTTPS_PORT_FILE,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_TLS_CA,
	OPT_QUIET,
	OPT_STRICT_QUERY,
	OPT_MAX_BODY,
	OPT_JOURNAL,
	OPT_ADMIN,
	OPT_HELP,
	OPT_VERSION
};

static const struct option options[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"port", required_argument, NULL, OPT_PORT},
        {"port-file", required_argument, NULL, OPT_PORT_FILE},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"seed", required_argument, NULL, OPT_SEED},
        {"time-scale", required_argument, NULL, OPT_TIME_SCALE},
        {"max-delay", required_argument, NULL, OPT_MAX_DELAY},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"max-connections", required_argument, NULL, OPT_MAX_CONN},
        {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
        {"grace", required_argument, NULL, OPT_GRACE},
        {"access-log", required_argument, NULL, OPT_ACCESS_LOG},
        {"https-port", required_argument, NULL, OPT_HTTPS_PORT},
        {"https-port-file", required_argument, NULL, OPT_HTTPS_PORT_FILE},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"tls-ca", required_argument, NULL, OPT_TLS_CA},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"strict-query", no_argument, NULL, OPT_STRICT_QUERY},
        {"max-body", required_argument, NULL, OPT_MAX_BODY},
        {"journal", required_argument, NULL, OPT_JOURNAL},
        {"admin", required_argument, NULL, OPT_ADMIN},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
};

static int number_opt(const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	char why[160];
	if (units_parse_u64(arg, min, max, out, why, sizeof(why)) != 0)
		return usage_error("--%s: %s", name, why);
	return 0;
}

static int duration_opt(const char *name, const char *arg, uint64_t min, uint64_t max,
                        uint64_t *out)
{
	char why[192], lo[32], hi[32];
	if (units_parse_duration(arg, out, why, sizeof(why)) != 0)
		return usage_error("--%s: %s", name, why);
	if (*out < min || *out > max)
		return usage_error("--%s: '%s' is out of range; accepted: %s to %s", name, arg,
		                   units_format_duration(min, lo, sizeof(lo)),
		                   units_format_duration(max, hi, sizeof(hi)));
	return 0;
}

/* a path option's value: not empty */
static int path_opt(const char *name, const char *arg, const char **out)
{
	if (!*arg)
		return usage_error("--%s: empty path", name);
	*out = arg;
	return 0;
}

/* applies one HTTPS option (OPT_HTTPS_PORT to OPT_TLS_CA) to *c: 0 or -EINVAL (reported) */
static int apply_tls_option(int opt, const char *arg, struct srv_config *c)
{
	uint64_t v = 0;
	int rc = 0;

	switch (opt) {
	case OPT_HTTPS_PORT:
		rc = number_opt("https-port", arg, 0, 65535, &v);
		c->https_port = (int)v;
		break;
	case OPT_HTTPS_PORT_FILE:
		return path_opt("https-port-file", arg, &c->https_port_file);
	case OPT_TLS_CERT:
		return path_opt("tls-cert", arg, &c->tls_cert);
	case OPT_TLS_KEY:
		return path_opt("tls-key", arg, &c->tls_key);
	case OPT_TLS_CA:
		return path_opt("tls-ca", arg, &c->tls_ca);
	}
	return rc;
}

/* --admin off|on|ADDR:PORT */
static int admin_opt(const char *arg, struct srv_config *c)
{
	const char *colon = strrchr(arg, ':');
	unsigned char addr[sizeof(struct in6_addr)];
	uint64_t port;
	char why[160];

	if (strcmp(arg, "on") == 0 || strcmp(arg, "off") == 0) {
		c->admin = arg[1] == 'n' ? SRV_ADMIN_ON : SRV_ADMIN_OFF;
		return 0;
	}
	const char *host = arg, *end = colon;
	if (colon && arg[0] == '[' && colon > arg && colon[-1] == ']') { /* [::1]:9000 */
		host = arg + 1;
		end = colon - 1;
	}
	if (!colon || (size_t)(end - host) >= sizeof(c->admin_addr) ||
	    units_parse_u64(colon + 1, 1, 65535, &port, why, sizeof(why)) != 0)
		return usage_error("--admin: invalid value '%s'; accepted: off, on or ADDR:PORT, "
		                   "e.g. 127.0.0.1:9000",
		                   arg);
	snprintf(c->admin_addr, sizeof(c->admin_addr), "%.*s", (int)(end - host), host);
	if (inet_pton(AF_INET, c->admin_addr, addr) != 1 &&
	    inet_pton(AF_INET6, c->admin_addr, addr) != 1)
		return usage_error("--admin: invalid address '%s'; accepted: a numeric IPv4 or "
		                   "IPv6 address, e.g. 127.0.0.1:9000",
		                   c->admin_addr);
	c->admin = SRV_ADMIN_OWN;
	c->admin_port = (unsigned)port;
	return 0;
}

/* the options of latlab-server as a test double (--admin, --journal, --strict-query,
 * --max-body): as apply_option */
static int apply_double_option(int opt, const char *arg, struct srv_config *c)
{
	char why[160];
	uint64_t v = 0;
	int rc = 0;

	switch (opt) {
	case OPT_ADMIN:
		rc = admin_opt(arg, c);
		break;
	case OPT_JOURNAL:
		rc = number_opt("journal", arg, 0, 1000000, &v);
		c->journal = (size_t)v;
		break;
	case OPT_STRICT_QUERY:
		c->strict_query = 1;
		break;
	case OPT_MAX_BODY:
		if (units_parse_size(arg, &c->max_body, why, sizeof(why)) != 0 ||
		    c->max_body > (1ULL << 30))
			return usage_error("--max-body: invalid size '%s'; accepted: 0 to 1GiB, "
			                   "e.g. 64MiB",
			                   arg);
		break;
	default:
		return apply_tls_option(opt, arg, c);
	}
	return rc;
}

/* the HTTPS options that only make sense together; 0 or -EINVAL (reported) */
static int check_tls_options(const struct srv_config *c)
{
	if (c->https_port < 0 && (c->https_port_file || c->tls_cert || c->tls_key || c->tls_ca))
		return usage_error("--%s needs --https-port", c->https_port_file ? "https-port-file"
		                                              : c->tls_cert      ? "tls-cert"
		                                              : c->tls_key       ? "tls-key"
		                                                                 : "tls-ca");
	if (!c->tls_cert != !c->tls_key)
		return usage_error(
		        "--%s needs --%s; accepted: both (a given certificate) or neither "
		        "(one is made at start-up)",
		        c->tls_cert ? "tls-cert" : "tls-key", c->tls_cert ? "tls-key" : "tls-cert");
	if (c->tls_cert && c->tls_ca)
		return usage_error("--tls-ca writes the CA made at start-up; accepted: --tls-ca "
		                   "without --tls-cert/--tls-key");
	if (c->https_port > 0 && (unsigned)c->https_port == c->port)
		return usage_error("--https-port %d is also --port; accepted: two different ports",
		                   c->https_port);
	return 0;
}

/* applies one known option (an OPT_* value) with its argument to *c: 0, 1 when --help or
 * --version answered, -EINVAL on a usage error (reported) */
static int apply_option(int opt, const char *arg, struct srv_config *c)
{
	char why[160];
	uint64_t v = 0;
	int rc = 0;

	switch (opt) {
	case OPT_LISTEN: {
		unsigned char addr[sizeof(struct in6_addr)];
		if (inet_pton(AF_INET, arg, addr) != 1 && inet_pton(AF_INET6, arg, addr) != 1)
			return usage_error("--listen: invalid address '%s'; accepted: a numeric "
			                   "IPv4 or IPv6 address, e.g. 127.0.0.1 or ::1",
			                   arg);
		c->listen = arg;
		break;
	}
	case OPT_PORT:
		rc = number_opt("port", arg, 0, 65535, &v);
		c->port = (unsigned)v;
		break;
	case OPT_PORT_FILE:
		if (!*arg)
			return usage_error("--port-file: empty path");
		c->port_file = arg;
		break;
	case OPT_CONFIG:
		c->config = arg;
		break;
	case OPT_SEED:
		rc = number_opt("seed", arg, 0, UINT64_MAX, &c->seed);
		break;
	case OPT_TIME_SCALE:
		if (units_parse_double(arg, 0, 1000, &c->time_scale, why, sizeof(why)) != 0)
			return usage_error("--time-scale: %s", why);
		break;
	case OPT_MAX_DELAY:
		rc = duration_opt("max-delay", arg, 1000, 3600ULL * 1000000, &c->max_delay_us);
		break;
	case OPT_THREADS:
		rc = number_opt("threads", arg, 1, 64, &v);
		c->threads = (unsigned)v;
		break;
	case OPT_MAX_CONN:
		rc = number_opt("max-connections", arg, 1, 1000000, &v);
		c->max_connections = (unsigned)v;
		break;
	case OPT_IDLE_TIMEOUT:
		rc = duration_opt("idle-timeout", arg, 1000000, 3600ULL * 1000000, &v);
		c->idle_timeout_s = (v + 999999) / 1000000; /* libmicrohttpd counts seconds */
		break;
	case OPT_GRACE:
		rc = duration_opt("grace", arg, 0, 600ULL * 1000000, &c->grace_us);
		break;
	case OPT_ACCESS_LOG:
		if (!*arg)
			return usage_error("--access-log: empty path; accepted: a path or -");
		c->access_log = arg;
		break;
	case OPT_QUIET:
		c->quiet = 1;
		break;
	case OPT_HELP:
		usage(stdout);
		return 1;
	case OPT_VERSION:
		printf("latlab-server %s\n", LATLAB_VERSION);
		return 1;
	default:
		return apply_double_option(opt, arg, c);
	}
	return rc;
}

/* 0 to run, 1 when --help/--version answered, -EINVAL on a usage error (reported) */
static int parse_args(int argc, char **argv, struct srv_config *c)
{
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (opt == ':')
			return usage_error("%s needs a value", argv[optind - 1]);
		if (opt < OPT_LISTEN)
			return usage_error("unknown option '%s'", argv[optind - 1]);
		if ((rc = apply_option(opt, optarg, c)) != 0)
			return rc;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'; accepted: options only",
		                   argv[optind]);
	/* libmicrohttpd splits the connection limit between its worker threads */
	if (c->max_connections < c->threads)
		return usage_error("--max-connections %u is below --threads %u; accepted: at least "
		                   "one connection per thread",
		                   c->max_connections, c->threads);
	return check_tls_options(c);
}

/* writes "PORT\n" to a temporary file beside path, then renames it over path */
static int write_port_file(const char *path, unsigned port)
{
	struct atomic_file a;
	int rc = atomic_file_open(&a, path);

	if (rc != 0)
		return rc;
	fprintf(a.f, "%u\n", port);
	return atomic_file_commit(&a);
}

/* lets the process hold max_connections sockets when the hard limit allows */
static void raise_fd_limit(const struct srv_config *c)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)c->max_connections + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want && !c->quiet)
		fprintf(stderr,
		        "latlab-server: note: open files limited to %llu, below --max-connections "
		        "%u\n",
		        (unsigned long long)rl.rlim_cur, c->max_connections);
}

/* waits for a signal on the signalfd sfd (blocking); 0, or -errno */
static int wait_signal(int sfd)
{
	struct signalfd_siginfo si;

	for (;;) {
		if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* the built-in sites, then --config's; 0, or EXIT_USAGE (reported) */
static int load_sites(const struct srv_config *cfg, struct srv_sites *sites)
{
	char err[512];

	srv_sites_builtin(sites);
	if (cfg->config && srv_config_load(cfg->config, sites, err, sizeof(err))) {
		fprintf(stderr, "latlab-server: %s\n", err);
		return EXIT_USAGE;
	}
	if (srv_sites_finish(sites, err, sizeof(err)) != 0) {
		fprintf(stderr, "latlab-server: %s%s\n", cfg->config ? cfg->config : "", err);
		srv_sites_free(sites);
		return EXIT_USAGE;
	}
	return 0;
}

/* writes a port file; 0, or 1 (reported) */
static int port_file(const char *opt, const char *path, unsigned port)
{
	int rc;

	if (path && (rc = write_port_file(path, port)) != 0) {
		fprintf(stderr, "latlab-server: --%s: cannot write '%s': %s\n", opt, path,
		        strerror(-rc));
		return 1;
	}
	return 0;
}

/* announces the server: the listening lines, the port files, the note; 0, or 1 (reported) */
static int announce(const struct srv_config *cfg, const struct srv_sites *sites,
                    const struct srv_server *srv)
{
	int v6 = strchr(cfg->listen, ':') != NULL;
	const char *lb = v6 ? "[" : "", *rb = v6 ? "]" : "";

	if (!cfg->quiet) {
		printf("latlab-server listening on http://%s%s%s:%u\n", lb, cfg->listen, rb,
		       srv_server_port(srv));
		if (cfg->https_port >= 0)
			printf("latlab-server listening on https://%s%s%s:%u\n", lb, cfg->listen,
			       rb, srv_server_https_port(srv));
		fflush(stdout);
	}
	/* the HTTPS port file first: whoever waits for --port-file finds both ready */
	if (cfg->https_port >= 0 &&
	    port_file("https-port-file", cfg->https_port_file, srv_server_https_port(srv)))
		return 1;
	if (port_file("port-file", cfg->port_file, srv_server_port(srv)))
		return 1;
	if (!cfg->quiet)
		fprintf(stderr, "latlab-server: %zu sites, seed %llu, time scale %g, %u threads\n",
		        sites->n, (unsigned long long)cfg->seed, cfg->time_scale, cfg->threads);
	return 0;
}

/* serves until a signal, drains within --grace (a second signal cuts it short) and stops;
 * the exit status: 1 when a second signal cut requests short, else 0 */
static int serve(const struct srv_config *cfg, struct srv_server *srv, int sfd)
{
	struct srv_drain d = {0};
	int rc;

	wait_signal(sfd);
	uint64_t in_flight = srv_server_quiesce(srv);
	if (!cfg->quiet)
		fprintf(stderr, "latlab-server: stopping; %llu requests in flight\n",
		        (unsigned long long)in_flight);
	if ((rc = srv_server_drain(srv, cfg->grace_us, sfd, &d)) != 0)
		fprintf(stderr, "latlab-server: the drain was cut short: %s\n", strerror(-rc));
	srv_server_stop(srv);
	if (cfg->port_file)
		unlink(cfg->port_file);
	if (cfg->https_port_file)
		unlink(cfg->https_port_file);
	if (!cfg->quiet)
		fprintf(stderr, "latlab-server: stopped after %llu requests (%llu cut short)\n",
		        (unsigned long long)d.requests, (unsigned long long)d.left);
	return d.cancelled && d.left ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct srv_config cfg;
	struct srv_sites sites;
	struct srv_server *srv;
	sigset_t set;
	char err[512];
	int rc, sfd;

	srv_config_defaults(&cfg);
	rc = parse_args(argc, argv, &cfg);
	if (rc)
		return rc > 0 ? 0 : EXIT_USAGE;
	if ((rc = load_sites(&cfg, &sites)) != 0)
		return rc;
	if (cfg.https_port >= 0 && srv_https_certs(&cfg, &sites, err, sizeof(err)) != 0) {
		fprintf(stderr, "latlab-server: %s\n", err);
		srv_sites_free(&sites);
		return EXIT_USAGE;
	}

	/* signals are read from a signalfd by this thread; every other thread inherits the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "latlab-server: signalfd: %s\n", strerror(errno));
		srv_sites_free(&sites);
		srv_tls_pair_free(&cfg.tls);
		return 1;
	}
	raise_fd_limit(&cfg);

	srv = srv_server_start(&cfg, &sites, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "latlab-server: %s\n", err);
		rc = 1;
	} else if ((rc = announce(&cfg, &sites, srv)) != 0) {
		srv_server_stop(srv);
	} else {
		rc = serve(&cfg, srv, sfd);
	}
	close(sfd);
	srv_sites_free(&sites);
	srv_tls_pair_free(&cfg.tls);
	return rc;
}
