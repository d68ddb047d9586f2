/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* Runs a libFuzzer target over files or folders of inputs, without libFuzzer (gcc builds,
 * and CI's regression run of the seed corpus). */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	char *buf = NULL;
	size_t len;
	int r = alpr_read_file(path, 16u << 20, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, alpr_strerror(r));
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int n = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			while (d && (de = readdir(d))) {
				char p[PATH_MAX];
				if (de->d_name[0] == '.') {
					continue;
				}
				snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
				bad += run_file(p);
				n++;
			}
			if (d) {
				closedir(d);
			}
		} else {
			bad += run_file(argv[i]);
			n++;
		}
	}
	printf("replay: %d inputs, %d unreadable\n", n, bad);
	return bad || n == 0 ? 1 : 0;
}
