/* reqopts.h -- what every request of a run carries besides its URL: extra headers (-H), the
 * method (-m), a body (--data, --data-file), no keep-alive, HTTP/1.0.
 *
 * Parsed once from the command line into a struct reqopts (headers validated: one line, a
 * token name, capped count and length; the body capped in size), then applied once to each
 * easy handle (reqopts_apply): nothing here runs per request. */
#ifndef LATLAB_REQOPTS_H
#define LATLAB_REQOPTS_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>

#define REQOPTS_MAX_HEADERS    64u        /* -H at most this many times */
#define REQOPTS_MAX_HEADER_LEN 4096u      /* bytes of one 'Name: value' */
#define REQOPTS_MAX_METHOD     32u        /* bytes of a method name */
#define REQOPTS_MAX_BODY       (1u << 20) /* --data / --data-file bytes */

/* getopt codes of the options reqopts_option handles (long-only ones above 255), and of
 * --max-errors, which cli.c parses beside them */
enum {
	REQOPT_HEADER = 'H',
	REQOPT_METHOD = 'm',
	REQOPT_DATA = 320,
	REQOPT_DATA_FILE,
	REQOPT_NO_KEEPALIVE,
	REQOPT_HTTP10,
	REQOPT_MAX_ERRORS
};

/* their getopt_long table entries (struct option, <getopt.h>) */
#define REQOPTS_LONG_OPTIONS                                                                       \
	{"header", required_argument, NULL, REQOPT_HEADER},                                        \
	        {"method", required_argument, NULL, REQOPT_METHOD},                                \
	        {"data", required_argument, NULL, REQOPT_DATA},                                    \
	        {"data-file", required_argument, NULL, REQOPT_DATA_FILE},                          \
	        {"no-keepalive", no_argument, NULL, REQOPT_NO_KEEPALIVE},                          \
	        {"http1.0", no_argument, NULL, REQOPT_HTTP10},                                     \
	{                                                                                          \
		"max-errors", required_argument, NULL, REQOPT_MAX_ERRORS                           \
	}

struct reqopts {
	struct curl_slist *headers; /* -H lines, then the ones reqopts_finish adds; owned */
	size_t nheaders;            /* -H given */
	const char *method; /* -m as given (points into argv); NULL: GET, or POST with data */
	const char *body;   /* --data (argv) or body_owned; NULL: none */
	size_t body_len;
	char *body_owned; /* --data-file contents, owned */
	int no_keepalive; /* a new connection per request */
	int http10;       /* HTTP/1.0 requests */
};

/* Handles option ch (one of the REQOPT_* codes) with argument arg into o: returns 1 when
 * handled, 0 when ch is not one of them, -EINVAL (or -ENOMEM) with a one-line message in err
 * naming the flag and the accepted form. Headers and methods are validated here; a
 * --data-file is read (at most REQOPTS_MAX_BODY bytes). */
int reqopts_option(struct reqopts *o, int ch, const char *arg, char *err, size_t errlen);

/* The cross-option checks once every option is in (HEAD with a body is refused; --data and
 * --data-file together are refused), then the headers implied: "Connection: close" under
 * --no-keepalive and an empty "Expect:" with a body (no 100-continue round trip), unless -H
 * gave them. 0, or -EINVAL / -ENOMEM with a message in err. */
int reqopts_finish(struct reqopts *o, char *err, size_t errlen);

/* The method the requests use ("GET", "POST" with a body and no -m, or -m's). */
const char *reqopts_method(const struct reqopts *o);

/* Sets o's options on easy handle e once: method, body, HTTP version, no reuse; seq is the
 * handle's own first header node (X-Latlab-Seq), whose next becomes o's header list (shared,
 * read-only, so o must outlive e). o may be NULL (a plain GET). 0, or -EINVAL when libcurl
 * refuses an option. */
int reqopts_apply(const struct reqopts *o, CURL *e, struct curl_slist *seq);

/* Frees what o owns; o is zeroed. Safe on a zeroed o. */
void reqopts_free(struct reqopts *o);

/* Prints the usage text's request section to f. */
void reqopts_usage(FILE *f);

#endif
