/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * libFuzzer target: the hotlist CSV parser (the one parser fed files from outside agencies).
 * Built with clang -fsanitize=fuzzer when -Dfuzzing=true; otherwise built with replay.c as an
 * ordinary test that runs the seed corpus, so every build checks the corpus still parses.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hotlist-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *policy;
	static struct hotlist h; /* the parser needs only the policy */
	char err[256], path[64];

	if (!policy) {
		if (policy_load_named("default", &policy, err, sizeof(err)) < 0) {
			fprintf(stderr, "fuzz-csv: %s\n", err);
			abort();
		}
		h.policy = policy;
	}
	int fd = memfd_create("fuzz.csv", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (int mode = 0; mode < 2; mode++) {
		struct hotlist_import_options o = {.list = "fuzz", .skip_invalid = mode == 1};
		struct hotlist_import_result res;
		struct hotlist_batch *b = hotlist_batch_new();
		memset(&res, 0, sizeof(res));
		int r = hotlist_csv_parse(&h, path, &o, b, &res);
		/* A failure always explains itself in one line. */
		if (r < 0 && (!res.error[0] || strchr(res.error, '\n'))) {
			fprintf(stderr, "fuzz-csv: failure %d without a one-line error: '%s'\n", r,
				res.error);
			abort();
		}
		if (r == 0 && hotlist_batch_size(b) + res.refused + res.rejected != res.rows) {
			fprintf(stderr,
				"fuzz-csv: %llu rows but %zu kept, %llu refused, %llu "
				"rejected\n",
				(unsigned long long)res.rows, hotlist_batch_size(b),
				(unsigned long long)res.refused, (unsigned long long)res.rejected);
			abort();
		}
		hotlist_batch_free(b);
	}
	close(fd);
	return 0;
}
