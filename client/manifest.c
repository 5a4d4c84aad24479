/* manifest.c -- the self-description of a run for its JSON: version, mode, options (secrets
 * in headers masked), start time, host and clock. No I/O besides asking the system. */
#include "manifest.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* 1 when header line h names a header whose value is a credential */
static int manifest_secret(const char *h)
{
	static const char *const names[] = {"Authorization:", "Proxy-Authorization:", "Cookie:"};
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strncasecmp(h, names[k], strlen(names[k])) == 0)
			return 1;
	return 0;
}

/* one argument as the manifest shows it: prefix (e.g. "-H", "--header=" or ""), then the
 * header value masked when secret, cut at MANIFEST_MAX_ARG */
static json_t *manifest_arg(const char *arg, size_t prefix, int header)
{
	char buf[MANIFEST_MAX_ARG + 64];
	const char *h = arg + prefix;
	if (header && manifest_secret(h)) {
		const char *colon = strchr(h, ':');
		snprintf(buf, sizeof(buf), "%.*s ***", (int)(colon - arg + 1), arg);
		return json_string(buf);
	}
	size_t len = strlen(arg);
	if (len <= MANIFEST_MAX_ARG)
		return json_string(arg);
	snprintf(buf, sizeof(buf), "%.*s... (%zu bytes)", MANIFEST_MAX_ARG, arg, len);
	return json_string(buf);
}

/* argv[1..argc) with header secrets masked (-H V, -HV, --header V, --header=V) */
static json_t *manifest_options(int argc, char *const *argv)
{
	json_t *arr = json_array();
	int bad = !arr, next_is_header = 0;
	for (int k = 1; k < argc && !bad; k++) {
		const char *a = argv[k];
		size_t prefix = 0;
		int header = next_is_header;
		next_is_header = 0;
		const char *eq = strchr(a, '=');
		if (strncmp(a, "--hea", 5) == 0) { /* --header and what getopt_long takes for it */
			if (eq)
				prefix = (size_t)(eq - a) + 1, header = 1;
			else
				next_is_header = 1;
		} else if (a[0] == '-' && a[1] != '-') { /* -H, -HV, -qH V, -qHV */
			size_t p = 1 + strspn(a + 1, "gTqhV");
			if (a[p] == 'H' && a[p + 1])
				prefix = p + 1, header = 1;
			else if (a[p] == 'H')
				next_is_header = 1;
		}
		bad |= json_array_append_new(arr, manifest_arg(a, prefix, header)) != 0;
	}
	if (bad) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

json_t *manifest_new(const char *mode, int argc, char *const *argv)
{
	struct timespec now, res;
	struct tm tm;
	char when[64], host[256];
	clock_gettime(CLOCK_REALTIME, &now); /* the wall-clock start, for people; not a duration */
	gmtime_r(&now.tv_sec, &tm);
	size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof(when) - n, ".%03ldZ", now.tv_nsec / 1000000);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	long long resolution = clock_getres(CLOCK_MONOTONIC, &res) == 0
	                               ? (long long)res.tv_sec * 1000000000LL + res.tv_nsec
	                               : -1;
	json_t *opts = manifest_options(argc, argv);
	json_t *o = json_object();
	if (!opts || !o) {
		json_decref(opts);
		json_decref(o);
		return NULL;
	}
	int bad = 0;
	bad |= json_object_set_new(o, "version", json_string(LATLAB_VERSION));
	bad |= json_object_set_new(o, "mode", json_string(mode));
	bad |= json_object_set_new(o, "options", opts);
	bad |= json_object_set_new(o, "seed", json_null());
	bad |= json_object_set_new(o, "start_time", json_string(when));
	bad |= json_object_set_new(o, "host", json_string(host));
	bad |= json_object_set_new(o, "clock", json_string("CLOCK_MONOTONIC"));
	bad |= json_object_set_new(o, "clock_resolution_ns",
	                           resolution >= 0 ? json_integer(resolution) : json_null());
	bad |= json_object_set_new(o, "libcurl",
	                           json_string(curl_version_info(CURLVERSION_NOW)->version));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
