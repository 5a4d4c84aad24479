/* live.h -- the live site table: the configured one until PUT /__latlab/sites/NAME changes a
 * site at runtime.
 *
 * Tables are immutable once published. A change builds a new table (a copy with the one site
 * changed), publishes it with one atomic pointer store, and retires the old one; requests
 * read the live table with one atomic load and keep using the table they loaded. A retired
 * table is freed once no request was in flight at some moment after its retirement (every
 * request that could hold it has ended): srv_live_quiet, called by the request that brought
 * the in-flight count to zero. Bodies are always the configured table's (a site added at
 * runtime, or grown beyond its body, is served from the shared filler). */
#ifndef LATLAB_SERVER_LIVE_H
#define LATLAB_SERVER_LIVE_H

#include "sites.h"

#include <stddef.h>
#include <stdint.h>

#define SRV_LIVE_RETIRED_MAX 64 /* changes waiting for a quiet moment; more get -EBUSY */

struct srv_live;

/* The live table over configured (finished; the caller keeps it until srv_live_free). NULL
 * when out of memory. */
struct srv_live *srv_live_new(const struct srv_sites *configured);

/* Frees every table made here (not the configured one); NULL is a no-op. Nothing may be in
 * flight. */
void srv_live_free(struct srv_live *l);

/* The live table (an atomic load). Valid while the caller's request is in flight. */
const struct srv_sites *srv_live_sites(struct srv_live *l);

/* The retirement generation now: pass it to srv_live_quiet after seeing nothing in flight. */
uint64_t srv_live_gen(struct srv_live *l);

/* Frees the tables retired at generations <= gen (read before the in-flight count was seen
 * to reach zero). */
void srv_live_quiet(struct srv_live *l, uint64_t gen);

/* Changes (or adds) site name with n sites.ini keys and values, as a [name] section on top of
 * the live site would. 0; -EINVAL with a one-line reason in err (bad name, key or value: the
 * live table is unchanged); -ENOSPC (32 sites); -EBUSY (too many changes waiting for a quiet
 * moment); -ENOMEM. */
int srv_live_put(struct srv_live *l, const char *name, const char *const *keys,
                 const char *const *values, size_t n, char *err, size_t errlen);

/* Restores site name to its configured form, or removes a site added at runtime. 0, -ENOENT
 * (no such site), -EBUSY, -ENOMEM. */
int srv_live_delete(struct srv_live *l, const char *name);

#endif
