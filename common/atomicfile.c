/* atomicfile.c -- temporary file beside the target, then rename(2) over it. */
#include "atomicfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int atomic_file_open(struct atomic_file *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	size_t len = strlen(path) + 32;
	char *tmp = malloc(len);
	char *dup = strdup(path);
	if (!tmp || !dup) {
		free(tmp);
		free(dup);
		return -ENOMEM;
	}
	snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "we");
	if (!f) {
		int e = errno;
		free(tmp);
		free(dup);
		return -e;
	}
	a->f = f;
	a->tmp = tmp;
	a->path = dup;
	return 0;
}

static void release(struct atomic_file *a)
{
	free(a->tmp);
	free(a->path);
	memset(a, 0, sizeof(*a));
}

int atomic_file_commit(struct atomic_file *a)
{
	if (!a->f)
		return -EBADF;
	int err = ferror(a->f) ? EIO : 0;
	if (fflush(a->f) != 0 && !err)
		err = errno ? errno : EIO;
	if (fclose(a->f) != 0 && !err)
		err = errno ? errno : EIO;
	a->f = NULL;
	if (!err && rename(a->tmp, a->path) != 0)
		err = errno;
	if (err)
		unlink(a->tmp);
	release(a);
	return -err;
}

void atomic_file_abort(struct atomic_file *a)
{
	if (a->f) {
		fclose(a->f);
		unlink(a->tmp);
	}
	release(a);
}
