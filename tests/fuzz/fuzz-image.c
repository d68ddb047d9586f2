/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * libFuzzer target: recognize_image(), the recognizer's entry point for encoded images (files
 * from cameras, folders, the demo). Built with clang -fsanitize=fuzzer when -Dfuzzing=true;
 * otherwise built with replay.c as an ordinary test over the seed corpus.
 */
#include <stdio.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "common.h"
#include "recognize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One recognizer for the whole run, as one per thread on the unit; freed at exit so leak
 * checking sees only real leaks. */
static struct recognizer *r;

static void cleanup(void)
{
	recognize_destroy(r);
	r = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct recognize_result res;
	char err[256];

	if (!r) {
		setMsgSeverity(L_SEVERITY_NONE);
		int rc = recognize_create(NULL, &r);
		if (rc < 0) {
			fprintf(stderr, "fuzz-image: %s\n", alpr_strerror(rc));
			abort();
		}
		atexit(cleanup);
	}
	memset(err, 'x', sizeof(err));
	int rc = recognize_image(r, data, size, &res, err, sizeof(err));
	/* A failure always explains itself in one line; a success gives sane results. */
	if (rc < 0 && (!memchr(err, '\0', sizeof(err)) || !err[0] || strchr(err, '\n'))) {
		fprintf(stderr, "fuzz-image: failure %d without a one-line error\n", rc);
		abort();
	}
	if (rc == 0) {
		if (res.nplates < 0 || res.nplates > RECOGNIZE_MAX_PLATES) {
			abort();
		}
		for (int i = 0; i < res.nplates; i++) {
			const struct recognize_plate *p = &res.plates[i];
			if (p->ncandidates < 1 || p->ncandidates > RECOGNIZE_MAX_CANDIDATES ||
			    strlen(p->text) > RECOGNIZE_MAX_CHARS ||
			    strcmp(p->text, p->candidates[0].text)) {
				fprintf(stderr, "fuzz-image: inconsistent plate %d\n", i);
				abort();
			}
		}
	}
	return 0;
}
