/* report_file.h -- where a report is written: stdout, or a file replaced whole (atomicfile.h)
 * or written in place (a device, a pipe, a symbolic link). Shared by report_json.c and
 * report_file.c. */
#ifndef LATLAB_REPORT_FILE_H
#define LATLAB_REPORT_FILE_H

#include "atomicfile.h"

#include <stddef.h>
#include <stdio.h>

/* Where a report goes: stdout, a temporary file renamed over PATH when done (a regular file
 * or a new one), or, for a device, a pipe or a symbolic link, PATH itself. */
struct report_out {
	FILE *f;
	struct atomic_file af; /* af.f is set when the output is atomic */
};

/* Opens path ("-": stdout) for flag's report into o. 0, or -errno with a message in err. */
int report_open(struct report_out *o, const char *flag, const char *path, char *err, size_t errlen);

/* Finishes o (failed: the write went wrong, an atomic file is dropped). 0, or -errno with a
 * message in err. */
int report_close(struct report_out *o, int failed, const char *flag, const char *path, char *err,
                 size_t errlen);

struct stats;

/* The seconds of st with something in them: up to the last one that has (report_json.c). */
size_t report_nseconds(const struct stats *st);

#endif
