/* work.h -- CPU-bound work per response (--work cpu:DUR), the GIL lesson's other half.
 *
 * The work is a hash loop over the response body's first bytes, calibrated once at start-up
 * so that `iters` iterations take about cpu_us of CPU on this machine. It never sleeps or
 * blocks, so threads sharing one lock around it (--gil) run it one at a time. */
#ifndef LATLAB_WORK_H
#define LATLAB_WORK_H

#include <stddef.h>
#include <stdint.h>

/* Accepted --work forms, for usage and error messages. */
#define WORK_FORMS "cpu:DURATION (e.g. cpu:5ms), or none"

/* Parses --work: "none" or "cpu:DUR" into *cpu_us (0 for none). 0 or -EINVAL + message. */
int work_parse(const char *s, uint64_t *cpu_us, char *err, size_t errlen);

/* Measures this machine (about 20-40 ms of CPU, thread CPU clock) and returns the number of
 * work_burn iterations that take cpu_us; 0 when cpu_us is 0. */
uint64_t work_calibrate(uint64_t cpu_us);

/* Runs iters iterations of the hash over data[0..len) (cyclically; a fixed pattern when len is
 * 0) and returns the hash, so the compiler cannot drop the loop. */
uint64_t work_burn(uint64_t iters, const unsigned char *data, size_t len);

#endif
