/* script.h -- seeded, scripted failures: which status or fault request k of a site gets.
 *
 * A script holds weighted statuses (status=200:0.9,503:0.1), weighted faults
 * (fault=reset:0.05,truncate:0.05), fail_first=N with fail_status, a sequence (503,503,200),
 * and the body shapes stall_after and ttfb. Sites have one (sites.ini), requests one (the
 * query); a request's fields replace its site's. The choice is a pure function of (seed,
 * site stream, k): the same requests fail on every run, in every order and concurrency.
 * Pure functions: no I/O, no allocation, no shared state. */
#ifndef LATLAB_SERVER_SCRIPT_H
#define LATLAB_SERVER_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

enum srv_fault {
	SRV_FAULT_NONE,
	SRV_FAULT_RESET,      /* connection reset instead of an answer */
	SRV_FAULT_EMPTY,      /* closed without an answer */
	SRV_FAULT_TIMEOUT,    /* held unanswered until --max-delay */
	SRV_FAULT_GARBAGE,    /* bytes that are not HTTP, then closed */
	SRV_FAULT_TRUNCATE,   /* headers and half the promised body, then closed */
	SRV_FAULT_RESET_BODY, /* headers and half the body, then reset */
	SRV_FAULT_CLOSE,      /* headers, then closed before the body */
	SRV_FAULT_COUNT
};

#define SRV_FAULT_FORMS                                                                            \
	"reset, reset_body, empty, timeout, garbage, truncate or close, optionally weighted: "     \
	"reset:0.05,truncate:0.05"
#define SRV_STATUS_FORMS   "a status from 200 to 599, or weighted: 200:0.9,503:0.1"
#define SRV_CHOICES_MAX    8
#define SRV_SEQUENCE_MAX   16
#define SRV_SEQUENCE_FAULT 1000 /* a sequence entry >= this is the fault (entry - this) */

#define SRV_SCRIPT_STATUS      (1u << 0)
#define SRV_SCRIPT_FAULT       (1u << 1)
#define SRV_SCRIPT_FAIL_FIRST  (1u << 2)
#define SRV_SCRIPT_FAIL_STATUS (1u << 3)
#define SRV_SCRIPT_SEQUENCE    (1u << 4)
#define SRV_SCRIPT_STALL_AFTER (1u << 5)
#define SRV_SCRIPT_TTFB        (1u << 6)

/* weighted entries: entry i is chosen when a uniform draw u < cum[i] (first such i); a draw
 * >= cum[n-1] chooses none (the site's status, or no fault) */
struct srv_choice {
	unsigned n;
	unsigned what[SRV_CHOICES_MAX]; /* a status, or an enum srv_fault */
	double cum[SRV_CHOICES_MAX];
};

struct srv_script {
	unsigned has; /* SRV_SCRIPT_* bits */
	struct srv_choice status, fault;
	uint64_t fail_first;
	unsigned fail_status;
	unsigned nseq;
	unsigned seq[SRV_SEQUENCE_MAX]; /* a status, or SRV_SEQUENCE_FAULT + fault */
	uint64_t stall_after;           /* body bytes before the stall */
	uint64_t ttfb_us;               /* headers after this; the body on the delay's time */
};

/* what request k gets */
struct srv_verdict {
	unsigned status;
	enum srv_fault fault;
};

/* The name of fault f ("reset", ...; "none" for SRV_FAULT_NONE): a static string. */
const char *srv_fault_name(enum srv_fault f);

/* Sets script key (status, fault, fail_first, fail_status, sequence, stall_after, ttfb) from
 * value. 1 when set; 0 when key is not a script key (nothing changed); -EINVAL with a reason in
 * why and the accepted form in *accepted (a static string). ttfb is capped at max_delay_us. */
int srv_script_set(struct srv_script *s, const char *key, const char *value, uint64_t max_delay_us,
                   char *why, size_t whylen, const char **accepted);

/* What request k gets from the site's script (site) and the request's (req; its fields win):
 * a sequence's k-th entry (the last repeats), else a failure for k < fail_first (the first
 * fault given, else fail_status, default 503), else a weighted fault and a weighted status
 * drawn from (seed, stream, k), else base_status and no fault. */
struct srv_verdict srv_script_decide(const struct srv_script *site, const struct srv_script *req,
                                     unsigned base_status, uint64_t seed, uint64_t stream,
                                     uint64_t k);

#endif
