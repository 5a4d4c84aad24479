/* csvload.h -- reading request CSVs back into runs, for `latlab-client timeline`: the client's
 * own --csv files and the labs' (the same columns plus a trailing "mode"). */
#ifndef LATLAB_CSVLOAD_H
#define LATLAB_CSVLOAD_H

#include "batch.h"

#include <stddef.h>

/* Runs read from CSV files, and the distinct URLs their records name (url_index). Owned. */
struct csv_set {
	struct run **runs;
	size_t nruns;
	char **urls;
	size_t nurls;
};

/* Reads path (header index,url,pid,tid,start_us,end_us,status,bytes,delay_us,error[,mode])
 * and appends one run per mode it names, in order of first appearance (a file without a
 * mode column is one run, its mode inferred: several pids processes, several tids threads,
 * overlapping requests async, else sequential). Lanes come from the pid (processes) or tid
 * (threads). Returns 0, or a negative errno with "PATH:LINE: ..." in err (set unchanged). */
int csvload_file(const char *path, struct csv_set *set, char *err, size_t errlen);

/* Frees every run and URL of set and zeroes it. */
void csv_set_free(struct csv_set *set);

#endif
