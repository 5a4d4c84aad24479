/* atomicfile.h -- write a file so that a reader sees the old contents or the new, never half:
 * the text goes to a temporary file beside PATH, which is renamed over PATH on commit.
 * Used for the server's --port-file and the client's reports and timeline. */
#ifndef LATLAB_ATOMICFILE_H
#define LATLAB_ATOMICFILE_H

#include <stdio.h>

struct atomic_file {
	FILE *f;   /* write here between open and commit/abort */
	char *tmp; /* PATH.tmp.PID; owned */
	char *path;
};

/* Opens PATH.tmp.PID for writing (close-on-exec). 0, or a negative errno (nothing to undo). */
int atomic_file_open(struct atomic_file *a, const char *path);

/* Closes the temporary file and renames it over PATH. 0, or a negative errno from the first
 * step that failed (a write error recorded on the stream counts); on failure the temporary
 * file is removed and PATH is untouched. Frees what open allocated either way. */
int atomic_file_commit(struct atomic_file *a);

/* Closes and removes the temporary file; PATH is untouched. Safe after a failed open. */
void atomic_file_abort(struct atomic_file *a);

#endif
