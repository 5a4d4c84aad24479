/* test_client_timeline.c -- the SVG timeline: well-formed, one bar per request, lanes per worker,
 * overlapping requests in distinct sub-rows, escaped text, clear errors, and it renders.
 *
 * Set LATLAB_TIMELINE_KEEP=DIR to keep the rendered compare picture (DIR/timeline.svg and
 * DIR/timeline.png) for a look. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../client/batch.h"
#include "../../client/timeline.h"

extern char **environ;

#define RSVG "/usr/bin/rsvg-convert"

static const char *const lecture_urls[] = {"http://127.0.0.1:8080/naver",
                                           "http://127.0.0.1:8080/google"};

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	if (tu_temp_dir(fx->dir, sizeof(fx->dir)) != 0) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/t.svg", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char p[160];
	static const char *const names[] = {"t.svg", "t.png", "big.svg"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", fx->dir, names[i]);
		unlink(p);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* ---- synthetic runs ---- */

static void fill(struct req_result *q, size_t i, uint32_t worker, uint64_t start, uint64_t len,
                 int with_delay)
{
	q->url_index = (uint32_t)(i % 2);
	q->index = (uint32_t)i;
	q->worker = worker;
	q->pid = 4000;
	q->tid = (pid_t)(5000 + worker);
	q->start_us = start;
	q->end_us = start + len;
	q->status = 200;
	q->bytes = 1024;
	q->delay_us = with_delay ? (int64_t)len - 500 : -1;
}

/* one request after another: one flat line */
static struct run *seq_run(size_t n, int with_delay)
{
	struct run *r = run_new(MODE_SEQUENTIAL, n);
	assert_non_null(r);
	r->concurrency = 1;
	for (size_t i = 0; i < n; i++)
		fill(&r->results[i], i, 0, i * 10000, 9500, with_delay);
	r->wall_us = n * 10000;
	return r;
}

/* c threads, each taking every c-th request */
static struct run *threads_run(enum mode mode, size_t n, unsigned c, int with_delay)
{
	struct run *r = run_new(mode, n);
	assert_non_null(r);
	r->concurrency = c;
	for (size_t i = 0; i < n; i++) {
		fill(&r->results[i], i, (uint32_t)(i % c), (i / c) * 10000 + 200, 9500, with_delay);
		if (mode == MODE_PROCESSES)
			r->results[i].pid = (pid_t)(6000 + i % c);
	}
	r->wall_us = ((n + c - 1) / c) * 10000 + 400;
	return r;
}

/* every request in flight at once on one loop */
static struct run *async_run(size_t n, int with_delay)
{
	struct run *r = run_new(MODE_ASYNC, n);
	assert_non_null(r);
	r->concurrency = (unsigned)n;
	for (size_t i = 0; i < n; i++)
		fill(&r->results[i], i, 0, 300 + i * 20, 9500, with_delay);
	r->wall_us = 300 + n * 20 + 9600;
	return r;
}

/* ---- reading the SVG back ---- */

/* the entries in folder dir, "." and ".." aside */
static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t k = 0;
	for (struct dirent *e; (e = readdir(d));)
		k += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return k;
}

static size_t count(const char *s, const char *needle)
{
	size_t k = 0;
	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		k++;
	return k;
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == ':' || c == '.';
}

/* an entity reference at p ('&'): its length, or 0 when it is not one XML knows */
static size_t entity_len(const char *p)
{
	static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	for (size_t i = 0; i < 5; i++)
		if (strncmp(p, named[i], strlen(named[i])) == 0)
			return strlen(named[i]);
	if (p[1] == '#') {
		size_t i = 2;
		int hex = p[2] == 'x';
		i += (size_t)hex;
		size_t d = i;
		while (hex ? strchr("0123456789abcdefABCDEF", p[i]) && p[i]
		           : (p[i] >= '0' && p[i] <= '9'))
			i++;
		if (i > d && p[i] == ';')
			return i + 1;
	}
	return 0;
}

/* The attributes of a start tag from *pp to its end ('>', or "/>" for an empty element, when
 * *empty is set); *pp moves past it. Returns NULL, or what is wrong. */
static const char *xml_attributes(const char **pp, int *empty)
{
	const char *p = *pp;
	for (;;) {
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (strncmp(p, "/>", 2) == 0 || *p == '>') {
			*empty = *p == '/';
			*pp = p + (*empty ? 2 : 1);
			return NULL;
		}
		size_t an = 0;
		while (is_name_char(p[an]))
			an++;
		if (an == 0 || p[an] != '=' || (p[an + 1] != '"' && p[an + 1] != '\''))
			return "bad attribute";
		char q = p[an + 1];
		p += an + 2;
		while (*p && *p != q) {
			if (*p == '<')
				return "'<' in attribute value";
			if (*p == '&') {
				size_t e = entity_len(p);
				if (!e)
					return "stray '&' in attribute";
				p += e;
			} else {
				p++;
			}
		}
		if (!*p)
			return "unterminated attribute";
		p++;
	}
}

/* A small well-formedness check: one root element, every tag closed in order, attributes
 * quoted, no raw '<' or stray '&'. Returns NULL when well formed, else what is wrong. */
static const char *xml_check(const char *s)
{
	char stack[32][32];
	int depth = 0, roots = 0;
	const char *p = s;
	while (*p) {
		if (*p == '&') {
			size_t n = entity_len(p);
			if (!n)
				return "stray '&' in text";
			p += n;
			continue;
		}
		if (*p != '<') {
			p++;
			continue;
		}
		if (strncmp(p, "<?", 2) == 0) {
			const char *e = strstr(p, "?>");
			if (!e)
				return "unterminated <?";
			p = e + 2;
			continue;
		}
		if (strncmp(p, "<!--", 4) == 0) {
			const char *e = strstr(p, "-->");
			if (!e)
				return "unterminated comment";
			p = e + 3;
			continue;
		}
		if (p[1] == '/') {
			size_t n = 0;
			p += 2;
			while (is_name_char(p[n]))
				n++;
			if (depth == 0 || n != strlen(stack[depth - 1]) ||
			    strncmp(p, stack[depth - 1], n) != 0)
				return "closing tag does not match";
			if (p[n] != '>')
				return "bad closing tag";
			depth--;
			p += n + 1;
			continue;
		}
		p++;
		size_t n = 0;
		while (is_name_char(p[n]))
			n++;
		if (n == 0 || n >= sizeof(stack[0]))
			return "bad tag name";
		if (depth == 0 && ++roots > 1)
			return "more than one root element";
		char name[32];
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		int empty;
		const char *why = xml_attributes(&p, &empty);
		if (why)
			return why;
		if (!empty) {
			if (depth == (int)(sizeof(stack) / sizeof(stack[0])))
				return "too deep";
			memcpy(stack[depth++], name, n + 1);
		}
	}
	if (depth != 0)
		return "unclosed element";
	if (roots != 1)
		return "no root element";
	return NULL;
}

static void assert_well_formed_svg(const char *svg)
{
	assert_true(strncmp(svg, "<?xml", 5) == 0 || strncmp(svg, "<svg", 4) == 0);
	assert_int_equal(count(svg, "<svg"), 1);
	assert_int_equal(count(svg, "</svg>"), 1);
	const char *why = xml_check(svg);
	if (why)
		fail_msg("SVG is not well formed: %s", why);
}

/* the value of attribute attr in the element that starts at tag */
static long attr_long(const char *tag, const char *attr)
{
	char key[32];
	snprintf(key, sizeof(key), " %s=\"", attr);
	const char *end = strchr(tag, '>');
	const char *a = strstr(tag, key);
	assert_non_null(a);
	assert_true(a < end);
	return strtol(a + strlen(key), NULL, 10);
}

static double attr_double(const char *tag, const char *attr)
{
	char key[32];
	snprintf(key, sizeof(key), " %s=\"", attr);
	const char *a = strstr(tag, key);
	assert_non_null(a);
	return strtod(a + strlen(key), NULL);
}

static int write_runs(const char *path, struct run **runs, size_t n, const char *const *urls,
                      size_t nurls)
{
	char err[256] = "";
	int rc = timeline_write_svg(path, (const struct run *const *)runs, n, urls, nurls, err,
	                            sizeof(err));
	if (rc != 0)
		print_message("timeline_write_svg: %d %s\n", rc, err);
	return rc;
}

/* ---- tests ---- */

static void sequential_run_draws_one_bar_per_request(void **state)
{
	struct fixture *fx = *state;
	struct run *r = seq_run(20, 1);
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_int_equal(count(svg, "class=\"req"), 20);
	assert_int_equal(count(svg, "class=\"lane\""), 1);
	assert_int_equal(count(svg, "class=\"zoom\""), 0); /* one run fills its own axis */
	assert_non_null(strstr(svg, "main thread"));
	assert_non_null(strstr(svg, "latlab timeline"));
	/* a staircase: all on one row, each bar right of the previous one */
	double prev_x = -1;
	for (const char *t = strstr(svg, "<rect class=\"req"); t;
	     t = strstr(t + 1, "<rect class=\"req")) {
		assert_int_equal(attr_long(t, "data-row"), 0);
		double x = attr_double(t, "x");
		assert_true(x > prev_x);
		prev_x = x;
	}
	free(svg);
	run_free(r);
}

static void threads_get_one_lane_per_worker(void **state)
{
	struct fixture *fx = *state;
	struct run *r = threads_run(MODE_THREADS, 40, 4, 1);
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_int_equal(count(svg, "class=\"req"), 40);
	assert_int_equal(count(svg, "class=\"lane\""), 4);
	int seen[4] = {0};
	for (const char *t = strstr(svg, "<rect class=\"req"); t;
	     t = strstr(t + 1, "<rect class=\"req")) {
		long lane = attr_long(t, "data-lane");
		assert_in_range(lane, 0, 3);
		seen[lane]++;
		/* requests on one thread never overlap: a single row per lane */
		assert_int_equal(attr_long(t, "data-row"), 0);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(seen[i], 10);
	assert_non_null(strstr(svg, "thread 1 (tid 5000)"));
	assert_non_null(strstr(svg, "thread 4 (tid 5003)"));
	assert_non_null(strstr(svg, "40 requests on 4 threads"));
	free(svg);
	run_free(r);
}

static void processes_lanes_name_their_pid(void **state)
{
	struct fixture *fx = *state;
	struct run *r = threads_run(MODE_PROCESSES, 12, 3, 1);
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_int_equal(count(svg, "class=\"lane\""), 3);
	assert_non_null(strstr(svg, "process 2 (pid 6001)"));
	free(svg);
	run_free(r);
}

static void async_overlapping_requests_take_distinct_rows(void **state)
{
	struct fixture *fx = *state;
	struct run *r = async_run(100, 1);
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_int_equal(count(svg, "class=\"req"), 100);
	assert_int_equal(count(svg, "class=\"lane\""), 1);
	assert_non_null(strstr(svg, "event loop (tid 5000)"));
	assert_non_null(strstr(svg, "up to 100 requests at once"));
	char used[100] = {0};
	double prev_y = -1;
	for (const char *t = strstr(svg, "<rect class=\"req"); t;
	     t = strstr(t + 1, "<rect class=\"req")) {
		long row = attr_long(t, "data-row");
		assert_in_range(row, 0, 99);
		assert_int_equal(used[row], 0);
		used[row] = 1;
		double y = attr_double(t, "y");
		assert_true(y > prev_y); /* stacked downwards in start order */
		prev_y = y;
	}
	/* the wall's sub-rows stay readable (>= 4 px of bar) and within a classroom screen */
	assert_true(attr_double(strstr(svg, "<rect class=\"req"), "height") >= 4.0);
	double height = attr_double(strstr(svg, "<svg"), "height");
	assert_true(height < 1000);
	free(svg);
	run_free(r);
}

/* the worker spans of a GIL run: each thread waits on the network, then for the lock, then
 * works, in turn */
static void add_gil_spans(struct run *r)
{
	r->nspans = 2 * 3;
	r->spans = calloc(r->nspans, sizeof(*r->spans));
	assert_non_null(r->spans);
	for (uint32_t w = 0; w < 2; w++) {
		struct span *s = &r->spans[w * 3];
		s[0] = (struct span){0, 1000, 100, w, WS_NET};
		s[1] = (struct span){1000, 1000 + w * 60000, 0, w, WS_GIL};
		s[2] = (struct span){1000 + w * 60000, 61000 + w * 60000, 60000, w, WS_CPU};
	}
	r->spans_known = 1;
}

static void lanes_show_worker_states_and_panels_show_the_two_strips(void **state)
{
	struct fixture *fx = *state;
	struct run *r = threads_run(MODE_THREADS, 2, 2, 1);
	r->results[0].end_us = 1000;
	r->results[1].end_us = 1000;
	r->wall_us = 121000;
	add_gil_spans(r);
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_int_equal(count(svg, "class=\"state cpu\""), 2);
	assert_int_equal(count(svg, "class=\"state gil\""), 1); /* thread 1 never waited */
	assert_int_equal(count(svg, "class=\"state net\""), 2);
	assert_int_equal(count(svg, "class=\"inflight\""), 1);
	assert_int_equal(count(svg, "class=\"oncpu\""), 1);
	assert_int_equal(count(svg, "class=\"cores\""), 1);
	assert_non_null(strstr(svg, "concurrency</tspan>"));
	assert_non_null(strstr(svg, "parallelism</tspan>"));
	assert_non_null(strstr(svg, "waiting for the GIL")); /* the legend */
	/* the run fills the axis: "done at" still shows, left of its line */
	assert_non_null(strstr(svg, "done at 121ms"));
	free(svg);
	run_free(r);
}

static void urls_of_one_site_share_a_colour(void **state)
{
	struct fixture *fx = *state;
	const char *urls[] = {"http://127.0.0.1:8080/naver?latency=1ms",
	                      "http://127.0.0.1:8080/naver", "http://127.0.0.1:8080/google"};
	struct run *r = seq_run(3, 1);
	r->results[2].url_index = 2;
	assert_int_equal(write_runs(fx->path, &r, 1, urls, 3), 0);
	char *svg = tu_slurp_path(fx->path);
	const char *a = strstr(svg, "<rect class=\"req");
	const char *b = strstr(a + 1, "<rect class=\"req");
	const char *c = strstr(b + 1, "<rect class=\"req");
	char fa[16], fb[16], fc[16];
	assert_int_equal(sscanf(strstr(a, "fill=\""), "fill=\"%15[^\"]", fa), 1);
	assert_int_equal(sscanf(strstr(b, "fill=\""), "fill=\"%15[^\"]", fb), 1);
	assert_int_equal(sscanf(strstr(c, "fill=\""), "fill=\"%15[^\"]", fc), 1);
	assert_string_equal(fa, fb);
	assert_string_not_equal(fa, fc);
	assert_int_equal(count(svg, "class=\"swatch\""), 2); /* the legend: one entry per site */
	free(svg);
	run_free(r);
}

static void free_sub_rows_are_reused_first_fit(void **state)
{
	struct fixture *fx = *state;
	/* [0,10) row 0; [0,5) row 1; [6,12) row 1 again; [10,20) row 0 again; [11,13) row 2 */
	static const uint64_t span[][2] = {{0, 10}, {0, 5}, {6, 12}, {10, 20}, {11, 13}};
	static const long want[] = {0, 1, 1, 0, 2};
	struct run *r = run_new(MODE_ASYNC, 5);
	assert_non_null(r);
	for (size_t i = 0; i < 5; i++) {
		r->results[i].start_us = span[i][0] * 1000;
		r->results[i].end_us = span[i][1] * 1000;
	}
	r->wall_us = 20000;
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	size_t k = 0;
	for (const char *t = strstr(svg, "<rect class=\"req"); t;
	     t = strstr(t + 1, "<rect class=\"req"), k++) {
		assert_true(k < 5);
		assert_int_equal(attr_long(t, "data-row"), want[k]);
	}
	assert_int_equal(k, 5);
	free(svg);
	run_free(r);
}

static void urls_are_xml_escaped(void **state)
{
	struct fixture *fx = *state;
	static const char *const urls[] = {"http://h/a?x=1&y=<b>\"q\"'", "http://h/\x01\xff\xc3"};
	struct run *r = seq_run(4, 1);
	assert_int_equal(write_runs(fx->path, &r, 1, urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_non_null(strstr(svg, "x=1&amp;y=&lt;b&gt;&quot;q&quot;&apos;"));
	assert_null(strstr(svg, "y=<b>"));
	assert_null(strstr(svg, "\xff"));
	free(svg);
	run_free(r);
}

static void title_says_efficiency_unknown_without_delays(void **state)
{
	struct fixture *fx = *state;
	struct run *r = seq_run(10, 0);
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_non_null(strstr(svg, "efficiency unknown"));
	free(svg);
	run_free(r);
}

static void compare_panels_share_one_axis_and_show_speedup(void **state)
{
	struct fixture *fx = *state;
	struct run *runs[4] = {seq_run(100, 1), threads_run(MODE_THREADS, 100, 4, 1),
	                       threads_run(MODE_PROCESSES, 100, 4, 1), async_run(100, 1)};
	assert_int_equal(write_runs(fx->path, runs, 4, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_int_equal(count(svg, "class=\"panel\""), 4);
	assert_int_equal(count(svg, "class=\"req"), 400);
	assert_int_equal(count(svg, "class=\"lane\""), 1 + 4 + 4 + 1);
	/* sequential: 100 x 9 ms injected in 1000 ms wall; 1000 / 250.4 = 4.0x for threads */
	assert_non_null(strstr(svg, "efficiency 90%"));
	assert_non_null(strstr(svg, "4.0\xc3\x97 faster"));
	assert_int_equal(count(svg, "faster</tspan> than sequential"), 3);
	/* one axis: every bar of every panel is left of the right edge */
	for (const char *t = strstr(svg, "<rect class=\"req"); t;
	     t = strstr(t + 1, "<rect class=\"req"))
		assert_true(attr_double(t, "x") + attr_double(t, "width") <= 1200.0);
	/* async ends within 2% of the shared axis: its panel also draws it on its own axis */
	assert_int_equal(count(svg, "class=\"zoom\""), 1);
	assert_int_equal(count(svg, "class=\"zreq\""), 100);
	assert_non_null(strstr(svg, "zoomed \xc3\x97"));
	assert_true(strstr(svg, "class=\"zoom\"") > strstr(svg, "data-mode=\"async\""));
	/* the legend names the sites by their path */
	assert_non_null(strstr(svg, ">naver</tspan>"));
	assert_non_null(strstr(svg, ">google</tspan>"));
	free(svg);
	for (int i = 0; i < 4; i++)
		run_free(runs[i]);
}

static void failed_requests_are_marked(void **state)
{
	struct fixture *fx = *state;
	struct run *r = threads_run(MODE_THREADS, 8, 2, 1);
	r->results[3].err = ERR_TIMEOUT;
	r->results[3].status = 0;
	snprintf(r->results[3].errmsg, sizeof(r->results[3].errmsg),
	         "timeout after <5s> & gave up");
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_int_equal(count(svg, "class=\"req"), 8);
	assert_int_equal(count(svg, "class=\"req fail\""), 1);
	assert_int_equal(count(svg, "class=\"hatch\""), 1);
	assert_non_null(strstr(svg, "failed: timeout after &lt;5s&gt; &amp; gave up"));
	assert_non_null(strstr(svg, "failed request")); /* in the legend */
	free(svg);
	run_free(r);
}

static void async_rows_equal_the_most_requests_in_flight(void **state)
{
	struct fixture *fx = *state;
	/* 100 requests, 10 in flight at a time: waves of 10 overlapping requests */
	struct run *r = run_new(MODE_ASYNC, 100);
	assert_non_null(r);
	r->concurrency = 10;
	for (size_t i = 0; i < 100; i++)
		fill(&r->results[i], i, 0, (i / 10) * 10000 + i % 10 * 50, 9000, 1);
	r->wall_us = 100000;
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	long max_row = -1;
	for (const char *t = strstr(svg, "<rect class=\"req"); t;
	     t = strstr(t + 1, "<rect class=\"req")) {
		long row = attr_long(t, "data-row");
		if (row > max_row)
			max_row = row;
	}
	assert_int_equal(max_row, 9);
	assert_non_null(strstr(svg, "up to 10 requests at once"));
	free(svg);
	run_free(r);
}

static void legend_summarises_many_urls(void **state)
{
	struct fixture *fx = *state;
	const char *urls[15];
	char names[15][64];
	for (int i = 0; i < 15; i++) {
		snprintf(names[i], sizeof(names[i]), "http://site%d.example/leaf%d/x?q=1", i, i);
		urls[i] = names[i];
	}
	struct run *r = seq_run(30, 1);
	for (size_t i = 0; i < 30; i++)
		r->results[i].url_index = (uint32_t)(i % 15);
	r->results[29].url_index = 99; /* beyond the list: still drawn, named by number */
	urls[1] = "https://www.example.org/";
	assert_int_equal(write_runs(fx->path, &r, 1, urls, 15), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_int_equal(count(svg, "class=\"req"), 30);
	assert_non_null(strstr(svg, ">leaf0</tspan>"));
	assert_non_null(strstr(svg, ">www.example.org</tspan>")); /* no path: the host */
	assert_non_null(strstr(svg, "+4 more sites"));
	assert_null(strstr(svg, ">leaf14</tspan>"));
	assert_non_null(strstr(svg, "#29 URL 100"));
	free(svg);
	run_free(r);
}

static void long_runs_count_the_axis_in_seconds(void **state)
{
	struct fixture *fx = *state;
	struct run *r = seq_run(10, 1);
	r->wall_us = 16300000; /* the lecture's 16.3 s */
	r->results[9].end_us = 16200000;
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_non_null(strstr(svg, "started (s)"));
	assert_non_null(strstr(svg, ">18</text>")); /* ticks every 2 s up to 18 s */
	assert_null(strstr(svg, ">20</text>"));
	assert_non_null(strstr(svg, "wall 16.3"));
	free(svg);
	r->wall_us = 90000;
	r->results[9].end_us = 89000;
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	svg = tu_slurp_path(fx->path);
	assert_non_null(strstr(svg, "started (ms)"));
	assert_non_null(strstr(svg, ">90</text>"));
	free(svg);
	run_free(r);
}

static void unwritable_path_fails_with_a_message(void **state)
{
	(void)state;
	struct run *r = seq_run(3, 1);
	char err[256] = "";
	int rc = timeline_write_svg("/nonexistent-dir/x.svg", (const struct run *const *)&r, 1,
	                            lecture_urls, 2, err, sizeof(err));
	assert_true(rc < 0);
	assert_int_equal(rc, -ENOENT);
	assert_non_null(strstr(err, "/nonexistent-dir/x.svg"));
	assert_null(strchr(err, '\n'));
	run_free(r);
}

static void no_runs_is_an_error(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "";
	int rc = timeline_write_svg(fx->path, NULL, 0, lecture_urls, 2, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, fx->path));
	assert_int_equal(access(fx->path, F_OK), -1);
}

static void empty_run_draws_an_empty_panel(void **state)
{
	struct fixture *fx = *state;
	struct run *r = run_new(MODE_ASYNC, 0);
	assert_non_null(r);
	assert_int_equal(write_runs(fx->path, &r, 1, NULL, 0), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_int_equal(count(svg, "class=\"req"), 0);
	assert_non_null(strstr(svg, "(no requests)"));
	free(svg);
	run_free(r);
}

static void file_is_replaced_atomically(void **state)
{
	struct fixture *fx = *state;
	FILE *f = fopen(fx->path, "w");
	assert_non_null(f);
	fputs("old and much longer content that must disappear entirely ......", f);
	fclose(f);
	struct run *r = seq_run(2, 1);
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	assert_int_equal(entries(fx->dir), 1); /* t.svg alone: no temporary file left */
	char *svg = tu_slurp_path(fx->path);
	assert_null(strstr(svg, "old and much longer"));
	assert_well_formed_svg(svg);
	free(svg);
	run_free(r);
}

static void ten_thousand_requests_are_fast(void **state)
{
	struct fixture *fx = *state;
	struct run *runs[2] = {async_run(10000, 1), threads_run(MODE_THREADS, 10000, 100, 1)};
	char path[160];
	snprintf(path, sizeof(path), "%s/big.svg", fx->dir);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(write_runs(path, runs, 2, lecture_urls, 2), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(s < (getenv("LATLAB_SANITIZED") ? 20.0 : 2.0));
	char *svg = tu_slurp_path(path);
	assert_int_equal(count(svg, "class=\"req"), 20000);
	assert_int_equal(count(svg, "class=\"lane\""), 101);
	const char *why = xml_check(svg);
	if (why)
		fail_msg("SVG is not well formed: %s", why);
	/* the page stays a page: rows shrink instead of the panel growing */
	assert_true(attr_double(strstr(svg, "<svg"), "height") < 1400);
	free(svg);
	for (int i = 0; i < 2; i++)
		run_free(runs[i]);
}

/* ---- the per-second strips of a long run ---- */

/* A --rate run of `seconds` s on one loop, per_s requests a second, each ending inside its
 * second: second `quiet` has no requests at all, every request of second `refused` failed
 * without a response, every 5th of second 1 got a 500. Its stats come from the records. */
static struct run *rate_run(unsigned seconds, unsigned per_s, unsigned quiet, unsigned refused)
{
	size_t n = (size_t)(seconds - (quiet < seconds)) * per_s, k = 0;
	struct run *r = run_new(MODE_ASYNC, n);
	assert_non_null(r);
	r->concurrency = 10;
	r->rate = per_s;
	for (unsigned s = 0; s < seconds; s++)
		for (unsigned j = 0; s != quiet && j < per_s; j++, k++) {
			struct req_result *q = &r->results[k];
			/* 20 to 40 ms, the later ones of a second longer */
			fill(q, k, 0, s * 1000000ULL + j * (900000 / per_s),
			     20000 + j * 20000 / per_s, 0);
			if (s == refused) {
				q->status = 0;
				q->err = ERR_CONNECT;
			} else if (s == 1 && j % 5 == 0) {
				q->status = 500;
				q->err = ERR_HTTP;
			}
		}
	r->wall_us = seconds * 1000000ULL;
	assert_int_equal(run_restat(r), 0);
	return r;
}

/* the start tag of the element with class cls and data-second k, or NULL */
static const char *persec_tag(const char *svg, const char *cls, size_t k)
{
	char key[96];
	snprintf(key, sizeof(key), "class=\"%s\" data-second=\"%zu\"", cls, k);
	return strstr(svg, key);
}

static void long_run_draws_a_bar_per_second_with_its_requests_and_errors(void **state)
{
	struct fixture *fx = *state;
	struct run *r = rate_run(5, 20, 3, 99);
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_int_equal(count(svg, "class=\"persec\""), 5);
	for (size_t k = 0; k < 5; k++) {
		const char *t = persec_tag(svg, "persec", k);
		assert_non_null(t);
		assert_int_equal(attr_long(t, "data-requests"), k == 3 ? 0 : 20);
		assert_int_equal(attr_long(t, "data-errors"), k == 1 ? 4 : 0);
		assert_non_null(strstr(t, "<title>second "));
	}
	/* the errors: one red part, a fifth of its bar's height, at the bar's foot */
	assert_int_equal(count(svg, "class=\"persec-err\""), 1);
	const char *bar = persec_tag(svg, "persec", 1), *err = persec_tag(svg, "persec-err", 1);
	assert_non_null(err);
	assert_int_equal(attr_long(err, "data-errors"), 4);
	double bh = attr_double(bar, "height"), eh = attr_double(err, "height");
	assert_true(eh > bh / 5 - 0.01 && eh < bh / 5 + 0.01);
	assert_true(attr_double(bar, "y") + bh - (attr_double(err, "y") + eh) < 0.01);
	assert_non_null(strstr(svg, "top = 20 req/s"));
	assert_non_null(strstr(svg, "4 in all"));
	assert_non_null(strstr(svg, "under a run of 3 s or more"));
	free(svg);
	run_free(r);
}

/* the subpaths ('M') of the path with class cls */
static size_t path_pieces(const char *svg, const char *cls)
{
	char key[64];
	snprintf(key, sizeof(key), "<path class=\"%s\"", cls);
	const char *p = strstr(svg, key);
	assert_non_null(p);
	const char *d = strstr(p, " d=\""), *end = strchr(d + 4, '"');
	size_t m = 0;
	for (const char *c = d + 4; c < end; c++)
		m += *c == 'M';
	return m;
}

static void seconds_without_responses_break_the_latency_lines(void **state)
{
	struct fixture *fx = *state;
	/* responses in seconds 0, 1, 3 and 5: second 2 is quiet, second 4 all refused */
	struct run *r = rate_run(6, 10, 2, 4);
	assert_int_equal(write_runs(fx->path, &r, 1, lecture_urls, 2), 0);
	char *svg = tu_slurp_path(fx->path);
	assert_well_formed_svg(svg);
	assert_int_equal(count(svg, "class=\"persec\""), 6);
	assert_int_equal(path_pieces(svg, "p50"), 3);
	assert_int_equal(path_pieces(svg, "p99"), 3);
	assert_int_equal(count(svg, "class=\"persec-lat\""), 4);
	assert_null(persec_tag(svg, "persec-lat", 2));
	assert_null(persec_tag(svg, "persec-lat", 4));
	for (size_t k = 0; k < 6; k++) {
		const char *t = persec_tag(svg, "persec-lat", k);
		if (!t)
			continue;
		double p50 = attr_double(t, "data-p50-ms"), p99 = attr_double(t, "data-p99-ms");
		assert_true(p50 >= 20 * 0.97 && p50 <= 40 * 1.03);
		assert_true(p99 >= p50 && p99 <= 40 * 1.03);
	}
	assert_non_null(strstr(persec_tag(svg, "persec", 4), "no responses</title>"));
	free(svg);
	run_free(r);
}

static void batches_and_short_runs_have_no_per_second_strips(void **state)
{
	struct fixture *fx = *state;
	struct run *runs[4] = {seq_run(400, 1), rate_run(2, 20, 99, 99), rate_run(3, 20, 99, 99),
	                       rate_run(2, 20, 99, 99)};
	runs[0]->results[399].end_us = runs[0]->wall_us = 4000000; /* a 4 s batch */
	assert_int_equal(run_restat(runs[0]), 0);
	runs[3]->rate = 0; /* a -d run of 3 s */
	runs[3]->duration_us = runs[3]->wall_us = 3000000;
	size_t want[4] = {0, 0, 3, 2};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(write_runs(fx->path, &runs[i], 1, lecture_urls, 2), 0);
		char *svg = tu_slurp_path(fx->path);
		assert_int_equal(count(svg, "class=\"persec\""), want[i]);
		assert_int_equal(count(svg, "per second</text>"), want[i] ? 2 : 0);
		assert_int_equal(count(svg, "under a run of"), want[i] ? 1 : 0);
		free(svg);
	}
	for (size_t i = 0; i < 4; i++)
		run_free(runs[i]);
}

/* runs rsvg-convert in.svg -> out.png; returns its exit status or -1 */
static int rsvg(const char *in, const char *out)
{
	char *argv[] = {RSVG, "-o", (char *)out, (char *)in, NULL};
	pid_t pid;
	if (posix_spawn(&pid, RSVG, NULL, NULL, argv, environ) != 0)
		return -1;
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void compare_picture_renders_to_png(void **state)
{
	struct fixture *fx = *state;
	if (access(RSVG, X_OK) != 0)
		fail_msg("%s is missing: install librsvg2-bin (make test-deps does)", RSVG);
	struct run *runs[4] = {seq_run(100, 1), threads_run(MODE_THREADS, 100, 4, 1),
	                       threads_run(MODE_PROCESSES, 100, 4, 1), async_run(100, 1)};
	runs[1]->results[17].err = ERR_HTTP;
	runs[1]->results[17].status = 503;
	runs[0]->results[5].err = ERR_CONNECT;
	runs[0]->results[5].status = 0;
	const char *keep = getenv("LATLAB_TIMELINE_KEEP");
	char svg[200], png[200];
	snprintf(svg, sizeof(svg), "%s/%s", keep ? keep : fx->dir, keep ? "timeline.svg" : "t.svg");
	snprintf(png, sizeof(png), "%s/%s", keep ? keep : fx->dir, keep ? "timeline.png" : "t.png");
	assert_int_equal(write_runs(svg, runs, 4, lecture_urls, 2), 0);
	assert_int_equal(rsvg(svg, png), 0);
	struct stat st;
	assert_int_equal(stat(png, &st), 0);
	assert_true(st.st_size > 1000);
	char *bytes = tu_slurp_path(png);
	assert_memory_equal(bytes, "\x89PNG\r\n\x1a\n", 8);
	free(bytes);
	for (int i = 0; i < 4; i++)
		run_free(runs[i]);
}

/* every test gets a fresh temporary directory */
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        TEST(sequential_run_draws_one_bar_per_request),
	        TEST(lanes_show_worker_states_and_panels_show_the_two_strips),
	        TEST(urls_of_one_site_share_a_colour),
	        TEST(threads_get_one_lane_per_worker),
	        TEST(processes_lanes_name_their_pid),
	        TEST(async_overlapping_requests_take_distinct_rows),
	        TEST(free_sub_rows_are_reused_first_fit),
	        TEST(async_rows_equal_the_most_requests_in_flight),
	        TEST(urls_are_xml_escaped),
	        TEST(legend_summarises_many_urls),
	        TEST(title_says_efficiency_unknown_without_delays),
	        TEST(compare_panels_share_one_axis_and_show_speedup),
	        TEST(long_runs_count_the_axis_in_seconds),
	        TEST(failed_requests_are_marked),
	        TEST(unwritable_path_fails_with_a_message),
	        TEST(no_runs_is_an_error),
	        TEST(empty_run_draws_an_empty_panel),
	        TEST(file_is_replaced_atomically),
	        TEST(ten_thousand_requests_are_fast),
	        TEST(long_run_draws_a_bar_per_second_with_its_requests_and_errors),
	        TEST(seconds_without_responses_break_the_latency_lines),
	        TEST(batches_and_short_runs_have_no_per_second_strips),
	        TEST(compare_picture_renders_to_png),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
