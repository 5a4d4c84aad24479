/* clock.h -- monotonic time for measuring intervals (never the wall clock). */
#ifndef LATLAB_CLOCK_H
#define LATLAB_CLOCK_H

#include <stdint.h>

/* Microseconds on CLOCK_MONOTONIC since an arbitrary fixed point; never goes backwards. */
uint64_t clock_now_us(void);

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t clock_now_ns(void);

#endif
