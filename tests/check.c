/* SPDX-License-Identifier: LicenseRef-Proprietary */
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common.h"

static char tmpdir[PATH_MAX];
static const char *running;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void cleanup_tmpdir(void)
{
	if (tmpdir[0]) {
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		tmpdir[0] = '\0';
	}
}

const char *check_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/alpr-test-XXXXXX",
			 base && *base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			check_fail(__FILE__, __LINE__, "mkdtemp %s: %m", tmpdir);
		}
	}
	return tmpdir;
}

const char *check_path(const char *name)
{
	static char ring[8][PATH_MAX];
	static unsigned next;
	char *buf = ring[next++ % 8];

	snprintf(buf, PATH_MAX, "%s/%s", check_tmpdir(), name);
	return buf;
}

void check_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		check_fail(__FILE__, __LINE__, "cannot write %s: %m", path);
	}
	fputs(text, f);
	fclose(f);
}

const char *check_datadir(void)
{
	return ALPR_TESTS_DATADIR;
}

void check_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s: %s:%d: ", running ? running : "?", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (tmpdir[0]) {
		fprintf(stderr, "  (files kept in %s)\n", tmpdir);
	}
	fflush(stderr);
	exit(1);
}

static int run_case(const struct check_case *c)
{
	running = c->name;
	c->fn();
	fprintf(stderr, "ok %s\n", c->name);
	cleanup_tmpdir();
	running = NULL;
	return 0;
}

int check_main(int argc, char **argv, const struct check_case *cases, size_t n)
{
	alpr_log_init_from_env();
	if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < n; i++) {
			printf("%s\n", cases[i].name);
		}
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--registered") == 0) {
		bool ok = (size_t)(argc - 2) == n;
		for (size_t i = 0; ok && i < n; i++) {
			ok = strcmp(argv[i + 2], cases[i].name) == 0;
		}
		if (!ok) {
			fprintf(stderr,
				"%s: the cases registered in meson.build differ from the "
				"program's table; its table is:\n",
				argv[0]);
			for (size_t i = 0; i < n; i++) {
				fprintf(stderr, "  %s\n", cases[i].name);
			}
			return 1;
		}
		return 0;
	}
	if (argc >= 2) {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(argv[1], cases[i].name) == 0) {
				return run_case(&cases[i]);
			}
		}
		fprintf(stderr, "%s: no test case '%s'\n", argv[0], argv[1]);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		run_case(&cases[i]);
	}
	return 0;
}
