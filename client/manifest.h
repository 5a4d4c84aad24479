/* manifest.h -- the run manifest written into the JSON: what ran, how, where and when, so a
 * result file describes itself (version, mode, the options as given, seed, start time, host,
 * clock resolution). */
#ifndef LATLAB_MANIFEST_H
#define LATLAB_MANIFEST_H

#include <jansson.h>

#define MANIFEST_MAX_ARG 1024 /* longer arguments are cut there, with their length noted */

/* A new manifest object: {"version", "mode", "options": argv[1..argc) as given (the values
 * of Authorization, Proxy-Authorization and Cookie headers replaced by "***"), "seed": null
 * (the client draws nothing at random; the server's --seed decides the delays),
 * "start_time" (now, UTC, ISO 8601 with milliseconds), "host" (gethostname), "clock":
 * "CLOCK_MONOTONIC", "clock_resolution_ns", "libcurl"}. New reference; NULL on no memory. */
json_t *manifest_new(const char *mode, int argc, char *const *argv);

#endif
