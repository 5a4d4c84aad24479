/* reqopts.c -- the request options (-H, -m, --data, --data-file, --no-keepalive, --http1.0):
 * validating them once and setting them once per easy handle. No network. */
#include "reqopts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 token characters (header names, methods) */
static int reqopts_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* length of the token at s (0 when s does not start with one) */
static size_t reqopts_token(const char *s)
{
	size_t n = 0;
	while (reqopts_tchar((unsigned char)s[n]))
		n++;
	return n;
}

/* 1 when -H already gave a header named name (any case) */
static int reqopts_has(const struct reqopts *o, const char *name)
{
	size_t len = strlen(name);
	for (const struct curl_slist *h = o->headers; h; h = h->next)
		if (strncasecmp(h->data, name, len) == 0 && h->data[len] == ':')
			return 1;
	return 0;
}

static int reqopts_append(struct reqopts *o, const char *line, char *err, size_t errlen)
{
	struct curl_slist *l = curl_slist_append(o->headers, line);
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	o->headers = l;
	return 0;
}

#define REQOPTS_HEADER_FORM                                                                        \
	"expected 'Name: value' on one line (Name a token: letters, digits, !#$%&'*+-.^_`|~)"

static int reqopts_header(struct reqopts *o, const char *arg, char *err, size_t errlen)
{
	if (o->nheaders >= REQOPTS_MAX_HEADERS) {
		snprintf(err, errlen, "-H: at most %u headers", REQOPTS_MAX_HEADERS);
		return -EINVAL;
	}
	if (strlen(arg) > REQOPTS_MAX_HEADER_LEN) {
		snprintf(err, errlen, "-H: a header of at most %u bytes, got %zu",
		         REQOPTS_MAX_HEADER_LEN, strlen(arg));
		return -EINVAL;
	}
	size_t n = reqopts_token(arg);
	if (n == 0 || arg[n] != ':') {
		snprintf(err, errlen, "-H: %s, got '%.60s'", REQOPTS_HEADER_FORM, arg);
		return -EINVAL;
	}
	for (const unsigned char *v = (const unsigned char *)arg + n + 1; *v; v++)
		if ((*v < 0x20 && *v != '\t') || *v == 0x7f) {
			snprintf(err, errlen,
			         "-H: '%.*s': the value has a control character (CR, LF, ...); %s",
			         (int)n, arg, REQOPTS_HEADER_FORM);
			return -EINVAL;
		}
	static const char *const own[] = {"X-Latlab-Seq", "Content-Length", "Transfer-Encoding"};
	for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
		if (n == strlen(own[k]) && strncasecmp(arg, own[k], n) == 0) {
			snprintf(err, errlen,
			         "-H: %s is set by latlab-client itself (per request or "
			         "from the body)",
			         own[k]);
			return -EINVAL;
		}
	int rc = reqopts_append(o, arg, err, errlen);
	if (rc == 0)
		o->nheaders++;
	return rc;
}

static int reqopts_method_opt(struct reqopts *o, const char *arg, char *err, size_t errlen)
{
	size_t n = reqopts_token(arg);
	if (n == 0 || arg[n] != '\0' || n > REQOPTS_MAX_METHOD) {
		snprintf(err, errlen,
		         "-m: expected a method name (a token of at most %u characters, e.g. GET, "
		         "POST, PUT, DELETE, HEAD), got '%.40s'",
		         REQOPTS_MAX_METHOD, arg);
		return -EINVAL;
	}
	o->method = arg;
	return 0;
}

/* reads path (a regular file of at most REQOPTS_MAX_BODY bytes) into o->body_owned */
static int reqopts_data_file(struct reqopts *o, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "--data-file: cannot read '%.200s': %s", path,
		         strerror(errno));
		return -EINVAL;
	}
	char *buf = malloc(REQOPTS_MAX_BODY + 1);
	size_t len = buf ? fread(buf, 1, REQOPTS_MAX_BODY + 1, f) : 0;
	int bad = !buf ? -ENOMEM : ferror(f) ? -EIO : len > REQOPTS_MAX_BODY ? -EFBIG : 0;
	fclose(f);
	if (bad) {
		free(buf);
		if (bad == -EFBIG)
			snprintf(err, errlen,
			         "--data-file: '%.200s' is larger than %u bytes (1 MiB)", path,
			         REQOPTS_MAX_BODY);
		else
			snprintf(err, errlen, "--data-file: cannot read '%.200s': %s", path,
			         strerror(-bad));
		return -EINVAL;
	}
	free(o->body_owned);
	o->body_owned = buf;
	o->body = buf;
	o->body_len = len;
	return 0;
}

int reqopts_option(struct reqopts *o, int ch, const char *arg, char *err, size_t errlen)
{
	int rc = 0;
	switch (ch) {
	case REQOPT_HEADER:
		rc = reqopts_header(o, arg, err, errlen);
		break;
	case REQOPT_METHOD:
		rc = reqopts_method_opt(o, arg, err, errlen);
		break;
	case REQOPT_DATA:
		if (o->body) {
			snprintf(err, errlen, "--data/--data-file: one body only");
			return -EINVAL;
		}
		if (strlen(arg) > REQOPTS_MAX_BODY) {
			snprintf(err, errlen, "--data: at most %u bytes (1 MiB)", REQOPTS_MAX_BODY);
			return -EINVAL;
		}
		o->body = arg;
		o->body_len = strlen(arg);
		break;
	case REQOPT_DATA_FILE:
		if (o->body) {
			snprintf(err, errlen, "--data/--data-file: one body only");
			return -EINVAL;
		}
		rc = reqopts_data_file(o, arg, err, errlen);
		break;
	case REQOPT_NO_KEEPALIVE:
		o->no_keepalive = 1;
		break;
	case REQOPT_HTTP10:
		o->http10 = 1;
		break;
	default:
		return 0;
	}
	return rc == 0 ? 1 : rc;
}

int reqopts_finish(struct reqopts *o, char *err, size_t errlen)
{
	if (o->body && o->method && strcasecmp(o->method, "HEAD") == 0) {
		snprintf(err, errlen,
		         "-m HEAD: a HEAD request has no body (drop --data/--data-file)");
		return -EINVAL;
	}
	if (o->no_keepalive && !reqopts_has(o, "Connection") &&
	    reqopts_append(o, "Connection: close", err, errlen) != 0)
		return -ENOMEM;
	if (o->body && !reqopts_has(o, "Expect") && reqopts_append(o, "Expect:", err, errlen) != 0)
		return -ENOMEM;
	return 0;
}

const char *reqopts_method(const struct reqopts *o)
{
	return o && o->method ? o->method : o && o->body ? "POST" : "GET";
}

int reqopts_apply(const struct reqopts *o, CURL *e, struct curl_slist *seq)
{
	seq->next = o ? o->headers : NULL;
	if (!o)
		return 0;
	int bad = 0;
	const char *m = reqopts_method(o);
	if (strcmp(m, "HEAD") == 0)
		bad |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L) != CURLE_OK;
	else if (strcmp(m, o->body ? "POST" : "GET") != 0)
		bad |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m) != CURLE_OK;
	if (o->body) {
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, o->body) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len) !=
		       CURLE_OK;
	}
	if (o->http10)
		bad |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_0) !=
		       CURLE_OK;
	if (o->no_keepalive) {
		bad |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK;
	}
	return bad ? -EINVAL : 0;
}

void reqopts_free(struct reqopts *o)
{
	curl_slist_free_all(o->headers);
	free(o->body_owned);
	memset(o, 0, sizeof(*o));
}

void reqopts_usage(FILE *f)
{
	fprintf(f,
	        "\n"
	        "Requests (curl, hey, ab):\n"
	        "  -H, --header 'Name: value'  add a header to every request (repeatable, at most "
	        "%u,\n"
	        "                       %u bytes each; 'Name:' alone drops a header libcurl would "
	        "send)\n"
	        "  -m, --method METHOD  the method (default GET, or POST with a body); HEAD sends "
	        "no body\n"
	        "  --data STRING        this body with every request (POST unless -m says "
	        "otherwise;\n"
	        "                       -m GET --data sends a GET with a body, as curl does)\n"
	        "  --data-file PATH     the body from a file (at most 1 MiB)\n"
	        "  --no-keepalive       a new connection per request (sends Connection: close)\n"
	        "  --http1.0            HTTP/1.0 requests\n"
	        "  --max-errors N       exit 0 unless more than N requests failed (a CI gate; "
	        "default 0)\n",
	        REQOPTS_MAX_HEADERS, REQOPTS_MAX_HEADER_LEN);
}
