/* script.c -- parses scripted failures (weighted statuses and faults, fail_first, sequence,
 * stall_after, ttfb) and decides what request k gets. Knows nothing of HTTP servers. */
#include "script.h"

#include "rng.h"
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* salts: the status and the fault draws are independent of each other and of the delay's */
#define STATUS_SALT 0xbb67ae8584caa73bULL
#define FAULT_SALT  0x3c6ef372fe94f82bULL

static const char *const fault_names[SRV_FAULT_COUNT] = {
        "none", "reset", "empty", "timeout", "garbage", "truncate", "reset_body", "close"};

const char *srv_fault_name(enum srv_fault f)
{
	return (unsigned)f < SRV_FAULT_COUNT ? fault_names[f] : "?";
}

static int fault_parse(const char *s, size_t len, unsigned *out)
{
	for (unsigned f = SRV_FAULT_RESET; f < SRV_FAULT_COUNT; f++)
		if (strlen(fault_names[f]) == len && strncmp(s, fault_names[f], len) == 0) {
			*out = f;
			return 0;
		}
	return -EINVAL;
}

static int status_parse(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;

	if (len != 3)
		return -EINVAL;
	for (size_t i = 0; i < 3; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	/* 1xx is interim: sent as the final answer it would leave the client waiting */
	if (v < 200 || v > 599)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "A[:P],B[:P],..." into c: entries without a weight share what the others leave equally */
static int choice_parse(struct srv_choice *c, const char *value, int faults, char *why,
                        size_t whylen)
{
	double w[SRV_CHOICES_MAX], given = 0;
	unsigned unweighted = 0;
	const char *p = value;

	c->n = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		size_t name_len = strcspn(p, ":,");
		if (c->n == SRV_CHOICES_MAX) {
			snprintf(why, whylen, "more than %d entries", SRV_CHOICES_MAX);
			return -EINVAL;
		}
		int rc = faults ? fault_parse(p, name_len, &c->what[c->n])
		                : status_parse(p, name_len, &c->what[c->n]);
		if (rc != 0) {
			snprintf(why, whylen, "unknown %s '%.*s'", faults ? "fault" : "status",
			         (int)(name_len > 32 ? 32 : name_len), p);
			return -EINVAL;
		}
		w[c->n] = -1;
		if (name_len < len) { /* ":P" */
			char num[32], *end;
			size_t nl = len - name_len - 1;
			snprintf(num, sizeof(num), "%.*s", (int)(nl < 31 ? nl : 31),
			         p + name_len + 1);
			double v = strtod(num, &end);
			if (!nl || *end || !(v >= 0 && v <= 1)) {
				snprintf(why, whylen,
				         "weight '%s' is not a probability from 0 to 1", num);
				return -EINVAL;
			}
			w[c->n] = v;
			given += v;
		} else {
			unweighted++;
		}
		c->n++;
		if (!p[len])
			break;
		p += len + 1;
	}
	if (given > 1 + 1e-9) {
		snprintf(why, whylen, "weights add up to %.3g, more than 1", given);
		return -EINVAL;
	}
	double share = unweighted ? (given < 1 ? 1 - given : 0) / unweighted : 0, cum = 0;
	for (unsigned i = 0; i < c->n; i++) {
		cum += w[i] < 0 ? share : w[i];
		c->cum[i] = cum;
	}
	if (unweighted || fabs(cum - 1) < 1e-9)
		c->cum[c->n - 1] = 1.0; /* exactly: a draw is always below */
	return 0;
}

static int sequence_parse(struct srv_script *s, const char *value, char *why, size_t whylen)
{
	const char *p = value;

	s->nseq = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		unsigned v;
		if (s->nseq == SRV_SEQUENCE_MAX) {
			snprintf(why, whylen, "more than %d entries", SRV_SEQUENCE_MAX);
			return -EINVAL;
		}
		if (status_parse(p, len, &v) == 0)
			s->seq[s->nseq++] = v;
		else if (fault_parse(p, len, &v) == 0)
			s->seq[s->nseq++] = SRV_SEQUENCE_FAULT + v;
		else {
			snprintf(why, whylen, "entry '%.*s' is neither a status nor a fault",
			         (int)(len > 32 ? 32 : len), p);
			return -EINVAL;
		}
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

int srv_script_set(struct srv_script *s, const char *key, const char *value, uint64_t max_delay_us,
                   char *why, size_t whylen, const char **accepted)
{
	uint64_t v;
	int rc;

	if (strcmp(key, "status") == 0) {
		*accepted = SRV_STATUS_FORMS;
		rc = choice_parse(&s->status, value, 0, why, whylen);
	} else if (strcmp(key, "fault") == 0) {
		*accepted = SRV_FAULT_FORMS;
		rc = choice_parse(&s->fault, value, 1, why, whylen);
	} else if (strcmp(key, "fail_first") == 0) {
		*accepted = "a count from 0 to 1000000000";
		rc = units_parse_u64(value, 0, 1000000000, &s->fail_first, why, whylen);
	} else if (strcmp(key, "fail_status") == 0) {
		*accepted = "a status from 200 to 599";
		rc = status_parse(value, strlen(value), &s->fail_status);
		if (rc)
			snprintf(why, whylen, "invalid status '%.32s'", value);
	} else if (strcmp(key, "sequence") == 0) {
		*accepted = "up to 16 statuses (200-599) or faults, e.g. 503,503,200 or reset,200";
		rc = sequence_parse(s, value, why, whylen);
	} else if (strcmp(key, "stall_after") == 0) {
		*accepted = "a size from 0 to 64MiB, e.g. 1KiB";
		rc = units_parse_size(value, &s->stall_after, why, whylen);
		if (rc == 0 && s->stall_after > (64ULL << 20)) {
			snprintf(why, whylen, "'%.32s' exceeds 64MiB", value);
			rc = -EINVAL;
		}
	} else if (strcmp(key, "ttfb") == 0) {
		*accepted = "a duration up to --max-delay, e.g. 200ms";
		rc = units_parse_duration(value, &v, why, whylen);
		if (rc == 0 && v > max_delay_us) {
			snprintf(why, whylen, "'%.32s' exceeds the maximum delay", value);
			rc = -EINVAL;
		}
		s->ttfb_us = v;
	} else {
		return 0;
	}
	if (rc != 0)
		return -EINVAL;
	static const char *const keys[] = {"status",   "fault",       "fail_first", "fail_status",
	                                   "sequence", "stall_after", "ttfb"};
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			s->has |= 1u << i;
	return 1;
}

/* the entry of c a draw u picks, or -1 for none */
static int choose(const struct srv_choice *c, double u)
{
	for (unsigned i = 0; i < c->n; i++)
		if (u < c->cum[i])
			return (int)i;
	return -1;
}

#define PICK(bit, field)                                                                           \
	((req->has & (bit)) ? &req->field : (site->has & (bit)) ? &site->field : NULL)

struct srv_verdict srv_script_decide(const struct srv_script *site, const struct srv_script *req,
                                     unsigned base_status, uint64_t seed, uint64_t stream,
                                     uint64_t k)
{
	struct srv_verdict v = {base_status, SRV_FAULT_NONE};

	if (!(site->has | req->has))
		return v;
	const struct srv_script *seq = (req->has & SRV_SCRIPT_SEQUENCE)    ? req
	                               : (site->has & SRV_SCRIPT_SEQUENCE) ? site
	                                                                   : NULL;
	const struct srv_choice *fault = PICK(SRV_SCRIPT_FAULT, fault);
	const struct srv_choice *status = PICK(SRV_SCRIPT_STATUS, status);
	const uint64_t *fail_first = PICK(SRV_SCRIPT_FAIL_FIRST, fail_first);
	const unsigned *fail_status = PICK(SRV_SCRIPT_FAIL_STATUS, fail_status);

	if (seq) {
		unsigned e = seq->seq[k < seq->nseq ? k : seq->nseq - 1];
		if (e >= SRV_SEQUENCE_FAULT)
			v.fault = (enum srv_fault)(e - SRV_SEQUENCE_FAULT);
		else
			v.status = e;
		return v;
	}
	if (fail_first) {
		if (k < *fail_first) {
			if (fault && fault->n)
				v.fault = (enum srv_fault)fault->what[0];
			else
				v.status = fail_status ? *fail_status : 503;
		}
		return v; /* after the first N, success: no drawn fault */
	}
	int i;
	if (fault && (i = choose(fault, rng_draw(seed, stream ^ FAULT_SALT, k))) >= 0)
		v.fault = (enum srv_fault)fault->what[i];
	if (status && (i = choose(status, rng_draw(seed, stream ^ STATUS_SALT, k))) >= 0)
		v.status = status->what[i];
	return v;
}
