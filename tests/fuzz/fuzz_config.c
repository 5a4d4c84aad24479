/* fuzz_config.c -- libFuzzer target for latlab-server's sites.ini reader.
 * fuzz-libs: server
 *
 * Input: the text of a sites.ini file, loaded over the built-in sites as --config does.
 * Invariants: srv_config_load returns only 0, -EINVAL or -ENOMEM; on error the message is
 * one non-empty, NUL-terminated line; on success every site keeps its documented caps (at
 * most SRV_SITES_MAX sites, valid names, sizes up to SRV_SIZE_MAX, a status of 100-599, at
 * most SRV_HOSTS_MAX hosts), and srv_sites_finish then either accepts the table (every body
 * generated at its size) or rejects it with one line. */
#include "fuzz.h"
#include "../../server/config.h"
#include "../../server/sites.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* bodies are generated at their full size: keep the fuzzer's memory small */
#define FINISH_MAX_BYTES (8u << 20)

static void check_message(const char *err, size_t errlen)
{
	CHECK(memchr(err, '\0', errlen) != NULL);
	CHECK(err[0] != '\0');
	CHECK(strchr(err, '\n') == NULL);
}

static void check_sites(const struct srv_sites *s)
{
	CHECK(s->n >= 3 && s->n <= SRV_SITES_MAX);
	for (size_t i = 0; i < s->n; i++) {
		const struct srv_site *a = &s->site[i];
		CHECK(memchr(a->name, '\0', sizeof(a->name)) != NULL);
		CHECK(srv_site_name_check(a->name) == 0);
		CHECK(a->size <= SRV_SIZE_MAX);
		CHECK(a->status >= 100 && a->status <= 599);
		CHECK(a->nhosts <= SRV_HOSTS_MAX);
		for (size_t h = 0; h < a->nhosts; h++)
			CHECK(memchr(a->hosts[h], '\0', sizeof(a->hosts[h])) != NULL);
		CHECK(memchr(a->path, '\0', sizeof(a->path)) != NULL);
		CHECK(memchr(a->content_type, '\0', sizeof(a->content_type)) != NULL);
	}
}

static void finish_and_check(struct srv_sites *s)
{
	char err[512];
	uint64_t total = 0;
	for (size_t i = 0; i < s->n; i++)
		total += s->site[i].size;
	if (total > FINISH_MAX_BYTES)
		return;
	memset(err, 0, sizeof(err));
	int rc = srv_sites_finish(s, err, sizeof(err));
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc != 0) {
		check_message(err, sizeof(err));
		return;
	}
	for (size_t i = 0; i < s->n; i++)
		CHECK(s->site[i].body != NULL && s->site[i].body_len == s->site[i].size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("sites.ini", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(write(fd, data, size) == (ssize_t)size);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	static struct srv_sites sites;
	char err[512];
	memset(&sites, 0, sizeof(sites));
	memset(err, 0, sizeof(err));
	srv_sites_builtin(&sites);
	int rc = srv_config_load(path, &sites, err, sizeof(err));
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc != 0)
		check_message(err, sizeof(err));
	else {
		check_sites(&sites);
		finish_and_check(&sites);
	}
	srv_sites_free(&sites);
	close(fd);
	return 0;
}
