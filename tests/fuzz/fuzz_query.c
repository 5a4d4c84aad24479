/* fuzz_query.c -- libFuzzer target for latlab-server's query overrides and X-Latlab-Seq.
 * fuzz-libs: server
 *
 * Input: "key=value" (no '=': a key without value); the first byte also picks the max delay.
 * Invariants: only 0 or -EINVAL; on error a named parameter, a message and the accepted form,
 * all NUL-terminated; on success every value inside its documented cap; srv_delay_of never
 * exceeds the cap and is a pure function of its inputs. */
#include "fuzz.h"
#include "../../server/query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_error(const struct srv_param_error *e)
{
	CHECK(memchr(e->param, '\0', sizeof(e->param)) != NULL);
	CHECK(memchr(e->error, '\0', sizeof(e->error)) != NULL);
	CHECK(memchr(e->accepted, '\0', sizeof(e->accepted)) != NULL);
	CHECK(e->error[0] != '\0' && e->accepted[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	static const uint64_t caps[] = {1000, 60000000ULL, 3600000000ULL};
	uint64_t max_delay = caps[data[0] % 3];
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	char *value = strchr(s, '=');
	if (value)
		*value++ = '\0';

	struct srv_overrides o;
	memset(&o, 0, sizeof(o));
	struct srv_param_error e;
	memset(&e, 0x5a, sizeof(e));
	int rc = srv_query_apply(&o, s, value, max_delay, &e);
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc != 0) {
		check_error(&e);
	} else {
		if (o.has & SRV_HAS_LATENCY)
			CHECK(o.latency_us <= max_delay);
		if (o.has & SRV_HAS_SIZE)
			CHECK(o.size <= 64ULL * 1024 * 1024);
		for (unsigned i = 0; i < o.script.status.n; i++)
			CHECK(o.script.status.what[i] >= 200 && o.script.status.what[i] <= 599 &&
			      o.script.status.cum[i] <= 1.0 + 1e-9);
		if (o.has & SRV_HAS_BANDWIDTH)
			CHECK(o.bandwidth >= 1 && o.bandwidth <= SRV_BANDWIDTH_MAX);
		for (unsigned i = 0; i < o.script.fault.n; i++)
			CHECK(o.script.fault.what[i] >= SRV_FAULT_RESET &&
			      o.script.fault.what[i] < SRV_FAULT_COUNT);
	}

	/* the whole input as an X-Latlab-Seq header value */
	struct srv_overrides h;
	memset(&h, 0, sizeof(h));
	memset(&e, 0x5a, sizeof(e));
	rc = srv_query_seq_header(&h, s, &e);
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc != 0)
		check_error(&e);

	/* the delay with whatever overrides were accepted, on a lognormal site */
	static struct srv_site site;
	site.model = (struct latency_model){LATENCY_LOGNORMAL, 190000, 400000, max_delay};
	site.stream = 7;
	uint64_t seq = size * 2654435761u;
	uint64_t d1 = srv_delay_of(&site, &o, 1, seq, 1.0, max_delay);
	uint64_t d2 = srv_delay_of(&site, &o, 1, seq, 1.0, max_delay);
	CHECK(d1 == d2 && d1 <= max_delay);
	CHECK(srv_delay_of(&site, &o, 1, seq, 0.0, max_delay) == 0);
	free(s);
	return 0;
}
