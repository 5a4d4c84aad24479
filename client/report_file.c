/* report_file.c -- writing reports to their files: stdout or a file replaced whole, the CSV of
 * the per-request records and the per-second CSV. */
#include "report_file.h"

#include "report.h"
#include "stats.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens path ("-": stdout) into o. 0, or -errno with a message in err. */
int report_open(struct report_out *o, const char *flag, const char *path, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (strcmp(path, "-") == 0) {
		o->f = stdout;
		return 0;
	}
	struct stat st;
	int rc;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		o->f = fopen(path, "w");
		rc = o->f ? 0 : -errno;
	} else {
		rc = atomic_file_open(&o->af, path);
		o->f = o->af.f;
	}
	if (rc != 0)
		snprintf(err, errlen, "%s: cannot write '%s': %s", flag, path, strerror(-rc));
	return rc;
}

/* Finishes o: flushes stdout, or closes the file (renaming an atomic one over its path, or
 * removing it when failed). 0, or -EIO with a message in err when failed or a write failed. */
int report_close(struct report_out *o, int failed, const char *flag, const char *path, char *err,
                 size_t errlen)
{
	int bad = failed || ferror(o->f);
	if (o->f == stdout)
		bad |= fflush(o->f) != 0;
	else if (o->af.f && bad)
		atomic_file_abort(&o->af);
	else if (o->af.f)
		bad |= atomic_file_commit(&o->af) != 0;
	else
		bad |= fclose(o->f) != 0;
	if (bad) {
		snprintf(err, errlen, "%s: writing '%s' failed", flag, path);
		return -EIO;
	}
	return 0;
}

/* one CSV field, quoted when it needs to be (RFC 4180) */
static void report_csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int report_write_csv(const char *path, const struct run *const *runs, size_t nruns,
                     const char *const *urls, size_t nurls, int compare, char *err, size_t errlen)
{
	struct report_out o;
	if (report_open(&o, "--csv", path, err, errlen) != 0)
		return -EIO;
	FILE *f = o.f;
	fputs("index,url,pid,tid,start_us,end_us,status,bytes,delay_us,error", f);
	fputs(compare ? ",mode\n" : "\n", f);
	for (size_t k = 0; k < nruns; k++) {
		const struct run *r = runs[k];
		for (size_t i = 0; i < r->nresults; i++) {
			const struct req_result *q = &r->results[i];
			fprintf(f, "%u,", q->index);
			report_csv_field(f, q->url_index < nurls ? urls[q->url_index] : "");
			fprintf(f, ",%ld,%ld,%llu,%llu,%d,%llu,", (long)q->pid, (long)q->tid,
			        (unsigned long long)q->start_us, (unsigned long long)q->end_us,
			        q->status, (unsigned long long)q->bytes);
			if (q->delay_us >= 0)
				fprintf(f, "%lld", (long long)q->delay_us);
			fputc(',', f);
			if (q->err != ERR_NONE) {
				char msg[160];
				snprintf(msg, sizeof(msg), "%s: %s", report_err_name(q->err),
				         q->errmsg);
				report_csv_field(f, msg);
			}
			if (compare) {
				fputc(',', f);
				fputs(mode_name(r->mode), f);
			}
			fputc('\n', f);
		}
	}
	return report_close(&o, 0, "--csv", path, err, errlen);
}

int report_write_seconds(const char *path, const struct run *r, char *err, size_t errlen)
{
	struct report_out o;
	if (report_open(&o, "--per-second", path, err, errlen) != 0)
		return -EIO;
	const struct stats *st = r->stats;
	fputs("second,requests,errors,p50_ms,p99_ms\n", o.f);
	size_t n = st ? report_nseconds(st) : 0;
	for (size_t k = 0; k < n; k++) {
		const struct stats_second *sec = &st->seconds[k];
		fprintf(o.f, "%zu,%llu,%llu,", k, (unsigned long long)sec->requests,
		        (unsigned long long)sec->errors);
		if (sec->lat && sec->lat->count)
			fprintf(o.f, "%.3f,%.3f", stats_sec_percentile(sec->lat, 50) / 1e3,
			        stats_sec_percentile(sec->lat, 99) / 1e3);
		else
			fputs(",", o.f);
		fputc('\n', o.f);
	}
	return report_close(&o, 0, "--per-second", path, err, errlen);
}
