/* csvload.c -- request CSVs (the client's schema, optionally with a mode column) back into
 * struct run records for the timeline; validates every field, never trusts a file. */
#include "csvload.h"

#include "modes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_LINE_MAX 65536
#define CSV_ROWS_MAX 1000000
#define CSV_FIELDS   11

/* one parsed row, before it becomes a record */
struct csv_row {
	struct req_result q;
	long pid, tid;
	char mode[16];
};

/* Splits line (no newline) into up to CSV_FIELDS fields in place, RFC 4180 quoting. Returns the
 * number of fields, or -1 for a broken quote. */
static int csv_split(char *line, char *f[CSV_FIELDS])
{
	int n = 0;
	char *p = line;
	for (;;) {
		if (n == CSV_FIELDS)
			return n + 1; /* too many */
		char *out = p;
		f[n++] = out;
		if (*p == '"') {
			p++;
			for (;;) {
				if (!*p)
					return -1;
				if (*p == '"' && p[1] == '"') {
					*out++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*out++ = *p++;
				}
			}
			if (*p && *p != ',')
				return -1;
		} else {
			while (*p && *p != ',')
				*out++ = *p++;
		}
		char *next = *p ? p + 1 : NULL;
		*out = '\0';
		if (!next)
			return n;
		p = next;
	}
}

static int csv_num(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* the URL's index in set, adding it; SIZE_MAX on no memory */
static size_t csv_intern(struct csv_set *set, const char *url)
{
	for (size_t i = 0; i < set->nurls; i++)
		if (strcmp(set->urls[i], url) == 0)
			return i;
	char **v = realloc(set->urls, (set->nurls + 1) * sizeof(*v));
	if (!v)
		return SIZE_MAX;
	set->urls = v;
	if (!(v[set->nurls] = strdup(url)))
		return SIZE_MAX;
	return set->nurls++;
}

/* fields f[0..nf) into r; 0, or -1 with the bad field's name in *what */
static int csv_row_parse(char **f, int nf, int with_mode, struct csv_row *r, const char **what)
{
	static const char *const names[] = {"index",  "url",    "pid",   "tid",     "start_us",
	                                    "end_us", "status", "bytes", "delay_us"};
	long long v[9] = {0};
	memset(r, 0, sizeof(*r));
	if (nf != (with_mode ? 11 : 10)) {
		*what = "the number of fields";
		return -1;
	}
	for (int k = 0; k < 9; k++) {
		if (k == 1 || (k == 8 && !*f[k]))
			continue;
		long long hi = k == 6 ? 999 : 86400000000000LL;
		if (csv_num(f[k], 0, hi, &v[k]) != 0) {
			*what = names[k];
			return -1;
		}
	}
	r->q.index = (uint32_t)v[0];
	r->pid = (long)v[2];
	r->tid = (long)v[3];
	r->q.start_us = (uint64_t)v[4];
	r->q.end_us = (uint64_t)(v[5] > v[4] ? v[5] : v[4]);
	r->q.status = (int)v[6];
	r->q.bytes = (uint64_t)v[7];
	r->q.delay_us = *f[8] ? v[8] : -1;
	r->q.err = ERR_NONE;
	if (*f[9]) {
		static const char *const cls[] = {"", "connect", "timeout", "http", "other"};
		r->q.err = ERR_OTHER;
		for (int e = ERR_CONNECT; e < ERR_NCLASSES; e++)
			if (strncmp(f[9], cls[e], strlen(cls[e])) == 0 &&
			    f[9][strlen(cls[e])] == ':')
				r->q.err = (enum err_class)e;
		const char *msg = strchr(f[9], ':');
		snprintf(r->q.errmsg, sizeof(r->q.errmsg), "%s",
		         msg ? msg + 2 - (msg[1] != ' ') : f[9]);
	}
	snprintf(r->mode, sizeof(r->mode), "%s", with_mode ? f[10] : "");
	return 0;
}

/* the mode of rows[0..n) without a mode column, from who ran them */
static enum mode csv_infer(const struct csv_row *rows, size_t n)
{
	int pids = 0, tids = 0, overlap = 0;
	for (size_t i = 1; i < n; i++) {
		pids |= rows[i].pid != rows[0].pid;
		tids |= rows[i].tid != rows[0].tid;
		overlap |= rows[i].q.start_us < rows[i - 1].q.end_us;
	}
	return pids ? MODE_PROCESSES : tids ? MODE_THREADS : overlap ? MODE_ASYNC : MODE_SEQUENTIAL;
}

/* one run from the rows whose mode is key ("" for all): lanes by pid or tid */
static struct run *csv_make_run(const struct csv_row *rows, size_t n, const char *key, int all)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += all || strcmp(rows[i].mode, key) == 0;
	enum mode m = MODE_SEQUENTIAL;
	if (!all && mode_parse(key, &m) != 0)
		return NULL;
	struct csv_row *mine = malloc((count ? count : 1) * sizeof(*mine));
	long *ids = malloc((count ? count : 1) * sizeof(*ids));
	struct run *r = mine && ids ? run_new(m, count) : NULL;
	size_t k = 0, nids = 0;
	for (size_t i = 0; r && i < n; i++)
		if (all || strcmp(rows[i].mode, key) == 0)
			mine[k++] = rows[i];
	if (r && all)
		r->mode = m = csv_infer(mine, count);
	for (size_t i = 0; r && i < count; i++) {
		long id = m == MODE_PROCESSES ? mine[i].pid : mine[i].tid;
		size_t w = 0;
		while (w < nids && ids[w] != id)
			w++;
		if (w == nids)
			ids[nids++] = id;
		r->results[i] = mine[i].q;
		r->results[i].index = (uint32_t)i;
		r->results[i].pid = (pid_t)mine[i].pid;
		r->results[i].tid = (pid_t)mine[i].tid;
		r->results[i].worker = m == MODE_THREADS || m == MODE_PROCESSES ? (uint32_t)w : 0;
		if (r->results[i].end_us > r->wall_us)
			r->wall_us = r->results[i].end_us;
	}
	if (r)
		r->concurrency = m == MODE_ASYNC ? (unsigned)count : (unsigned)(nids ? nids : 1);
	free(ids);
	free(mine);
	return r;
}

/* appends the runs of rows[0..n) to set, one per mode in order of first appearance */
static int csv_add_runs(struct csv_set *set, const struct csv_row *rows, size_t n, int with_mode)
{
	for (size_t i = 0; i < n; i++) {
		int first = 1;
		for (size_t j = 0; j < i && with_mode; j++)
			first &= strcmp(rows[j].mode, rows[i].mode) != 0;
		if (!first || (!with_mode && i > 0))
			continue;
		struct run *r = csv_make_run(rows, n, rows[i].mode, !with_mode);
		struct run **v = r ? realloc(set->runs, (set->nruns + 1) * sizeof(*v)) : NULL;
		if (!v) {
			run_free(r);
			return -ENOMEM;
		}
		set->runs = v;
		v[set->nruns++] = r;
	}
	return 0;
}

/* reads the rows of f (after the header) into *rows; 0, or -EINVAL/-ENOMEM with a message */
static int csv_read_rows(FILE *f, const char *path, int with_mode, struct csv_set *set,
                         struct csv_row **rows, size_t *n, char *err, size_t errlen)
{
	char *line = malloc(CSV_LINE_MAX);
	size_t cap = 0, lineno = 1;
	int rc = line ? 0 : -ENOMEM;
	while (rc == 0 && fgets(line, CSV_LINE_MAX, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line)
			continue;
		char *fld[CSV_FIELDS];
		const char *what = "quoting";
		int nf = csv_split(line, fld);
		struct csv_row r;
		if (nf < 0 || csv_row_parse(fld, nf, with_mode, &r, &what) != 0 ||
		    (with_mode && mode_parse(r.mode, &(enum mode){0}) != 0)) {
			if (nf >= 0 && with_mode && !strcmp(what, "quoting"))
				what = "mode (sequential, threads, processes or async)";
			snprintf(err, errlen, "%s:%zu: bad %s", path, lineno, what);
			rc = -EINVAL;
			break;
		}
		size_t u = csv_intern(set, fld[1]);
		if (*n == CSV_ROWS_MAX || u == SIZE_MAX) {
			snprintf(err, errlen, "%s:%zu: too many rows or no memory", path, lineno);
			rc = -ENOMEM;
			break;
		}
		r.q.url_index = (uint32_t)u;
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			struct csv_row *v = realloc(*rows, cap * sizeof(*v));
			if (!v) {
				rc = -ENOMEM;
				break;
			}
			*rows = v;
		}
		(*rows)[(*n)++] = r;
	}
	free(line);
	return rc;
}

int csvload_file(const char *path, struct csv_set *set, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	char head[256];
	static const char base[] = "index,url,pid,tid,start_us,end_us,status,bytes,delay_us,error";
	int rc = 0, with_mode = 0;
	if (!fgets(head, sizeof(head), f)) {
		snprintf(err, errlen, "%s:1: empty file (expected the header %s[,mode])", path,
		         base);
		rc = -EINVAL;
	} else {
		head[strcspn(head, "\r\n")] = '\0';
		with_mode = strcmp(head, base) != 0;
		if (with_mode && (strncmp(head, base, sizeof(base) - 1) != 0 ||
		                  strcmp(head + sizeof(base) - 1, ",mode") != 0)) {
			snprintf(err, errlen, "%s:1: expected the header %s[,mode]", path, base);
			rc = -EINVAL;
		}
	}
	struct csv_row *rows = NULL;
	size_t n = 0;
	if (rc == 0)
		rc = csv_read_rows(f, path, with_mode, set, &rows, &n, err, errlen);
	fclose(f);
	if (rc == 0 && csv_add_runs(set, rows, n, with_mode) != 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = -ENOMEM;
	}
	free(rows);
	return rc;
}

void csv_set_free(struct csv_set *set)
{
	for (size_t i = 0; i < set->nruns; i++)
		run_free(set->runs[i]);
	for (size_t i = 0; i < set->nurls; i++)
		free(set->urls[i]);
	free(set->runs);
	free(set->urls);
	memset(set, 0, sizeof(*set));
}
