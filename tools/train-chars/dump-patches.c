/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * dump-patches: labelled character patches from synthetic plate scenes, cut by the
 * recognizer's own localisation and patch cutter (training data for tools/train-chars/).
 *
 *   dump-patches LIST.tsv OUT.bin
 *
 * LIST.tsv: one scene a line, "PATH<TAB>TEXT<TAB>X0<TAB>Y0<TAB>X1<TAB>Y1": a binary PGM (P5,
 * 8-bit), its plate text and the box of its characters. For each scene, the first row the
 * recognizer would read that overlaps the box and has exactly as many pieces as TEXT has
 * characters gives TEXT's labels to its patches. OUT.bin: records of one label byte (the
 * character) and REC_PATCH_W x REC_PATCH_H patch bytes. Prints how many scenes gave patches.
 * A TEXT of "*" dumps the patches of every row read, labelled '?', for inspection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "recognize-private.h"
#include "recognize.h"

struct job {
	const char *text;
	float x0, y0, x1, y1;
	FILE *out;
	bool done;
};

static void on_row(void *arg, const struct rec_region *reg, const uint8_t *patches, int n)
{
	struct job *j = arg;
	if (strcmp(j->text, "*") == 0) { /* inspection: every row, unlabelled */
		for (int k = 0; k < n; k++) {
			fputc('?', j->out);
			fwrite(patches + (size_t)k * REC_PATCH_W * REC_PATCH_H, 1,
			       REC_PATCH_W * REC_PATCH_H, j->out);
		}
		return;
	}
	if (j->done || n != (int)strlen(j->text)) {
		return;
	}
	float ix = ALPR_MIN(reg->x1, j->x1) - ALPR_MAX(reg->x0, j->x0);
	float iy = ALPR_MIN(reg->y1, j->y1) - ALPR_MAX(reg->y0, j->y0);
	float inter = ix > 0 && iy > 0 ? ix * iy : 0;
	float uni = (reg->x1 - reg->x0) * (reg->y1 - reg->y0) + (j->x1 - j->x0) * (j->y1 - j->y0) -
		    inter;
	if (uni <= 0 || inter / uni < 0.5f) {
		return;
	}
	for (int k = 0; k < n; k++) {
		fputc(j->text[k], j->out);
		fwrite(patches + (size_t)k * REC_PATCH_W * REC_PATCH_H, 1,
		       REC_PATCH_W * REC_PATCH_H, j->out);
	}
	j->done = true;
}

static uint8_t *read_pgm(const char *path, int *w, int *h)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		return NULL;
	}
	int maxv = 0;
	uint8_t *px = NULL;
	if (fscanf(f, "P5 %d %d %d", w, h, &maxv) == 3 && maxv == 255 && *w > 0 && *h > 0 &&
	    *w < 8192 && *h < 8192 && fgetc(f) != EOF) {
		px = malloc((size_t)*w * *h);
		if (px && fread(px, 1, (size_t)*w * *h, f) != (size_t)*w * *h) {
			free(px);
			px = NULL;
		}
	}
	fclose(f);
	return px;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: dump-patches LIST.tsv OUT.bin\n");
		return 2;
	}
	FILE *list = fopen(argv[1], "r");
	FILE *out = fopen(argv[2], "wb");
	if (!list || !out) {
		fprintf(stderr, "dump-patches: cannot open %s\n", !list ? argv[1] : argv[2]);
		return 1;
	}
	struct recognize_options o = {.reader = RECOGNIZE_READER_TESSERACT};
	struct recognizer *r = NULL;
	int rc = recognize_create(&o, &r);
	if (rc < 0) {
		fprintf(stderr, "dump-patches: cannot start the recognizer: %s\n",
			alpr_strerror(rc));
		return 1;
	}
	char line[4096], path[4096], text[64];
	int scenes = 0, used = 0, lineno = 0;
	while (fgets(line, sizeof(line), list)) {
		lineno++;
		struct job j = {.text = text, .out = out};
		if (sscanf(line, "%4095[^\t]\t%63[^\t]\t%f\t%f\t%f\t%f", path, text, &j.x0, &j.y0,
			   &j.x1, &j.y1) != 6) {
			fprintf(stderr, "dump-patches: %s:%d: not PATH TEXT X0 Y0 X1 Y1\n", argv[1],
				lineno);
			return 1;
		}
		int w, h;
		uint8_t *px = read_pgm(path, &w, &h);
		if (!px) {
			fprintf(stderr, "dump-patches: %s: not an 8-bit binary PGM\n", path);
			return 1;
		}
		scenes++;
		rc = rec_dump_rows(r, px, w, h, (size_t)w, on_row, &j);
		free(px);
		if (rc < 0) {
			fprintf(stderr, "dump-patches: %s: %s\n", path, alpr_strerror(rc));
			return 1;
		}
		used += j.done;
	}
	recognize_destroy(r);
	fclose(list);
	if (fclose(out) != 0) {
		fprintf(stderr, "dump-patches: cannot write %s\n", argv[2]);
		return 1;
	}
	printf("dump-patches: %d of %d scenes gave labelled patches\n", used, scenes);
	return 0;
}
