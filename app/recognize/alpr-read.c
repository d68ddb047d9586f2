/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-read: read the plates in images or folders of images.
 *
 *   alpr-read [--json] [--topn N] [--state XX] [--max-plates N] [--eng] FILE...
 *
 * With --json, one line per image on stdout:
 *   {"file":..,"processing_ms":..,"results":[{"plate":..,"confidence":..,"box":[x,y,w,h],
 *    "corners":[[x,y],..],"char_confidences":[..],"candidates":[{"plate":..,"confidence":..}],
 *    "state":"CO","state_confidence":..}]}     (state only when read from the plate)
 * A file that cannot be read gives one line on stderr naming it and why; the other files are
 * still read, and the exit status is 1. Usage errors exit 2.
 */
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>
#include <leptonica/allheaders.h>

#include "common.h"
#include "recognize.h"

/* Folders are read one level deep, at most this many images (a day of stills is fewer). */
#define MAX_FOLDER_FILES 100000

static const char *const image_ext[] = {"jpg", "jpeg", "png",  "bmp",  "pnm", "pgm",
					"ppm", "tif",  "tiff", "webp", "gif", "jp2"};
static const char *const video_ext[] = {"mp4", "mkv", "avi", "mov", "webm", "ts", "h264"};

static bool has_ext(const char *name, const char *const *exts, size_t n)
{
	const char *dot = strrchr(name, '.');
	if (!dot) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(dot + 1, exts[i]) == 0) {
			return true;
		}
	}
	return false;
}

struct opts {
	bool json;
	bool regions; /* --regions: add localisation's hypotheses (diagnostics) */
	int failures;
};

static void print_text(const char *path, const struct recognize_result *res, double ms)
{
	printf("%s: %d plate%s (%.1f ms)\n", path, res->nplates, res->nplates == 1 ? "" : "s", ms);
	for (int i = 0; i < res->nplates; i++) {
		const struct recognize_plate *p = &res->plates[i];
		printf("  %-10s %5.1f  box %d,%d %dx%d%s%s\n", p->text, p->confidence, p->x, p->y,
		       p->w, p->h, p->state[0] ? "  state " : "", p->state);
		for (int c = 0; c < p->ncandidates; c++) {
			printf("    - %-10s %5.1f%s\n", p->candidates[c].text,
			       p->candidates[c].confidence,
			       p->candidates[c].syntax_match ? "" : "  (no syntax)");
		}
	}
}

static void print_json(const char *path, const struct recognize_result *res, double ms,
		       bool regions)
{
	json_t *results = json_array();
	for (int i = 0; i < res->nplates; i++) {
		const struct recognize_plate *p = &res->plates[i];
		json_t *corners = json_array(), *cands = json_array(), *cc = json_array();
		for (int k = 0; k < 4; k++) {
			json_array_append_new(
				corners, json_pack("[ii]", p->corners[k][0], p->corners[k][1]));
		}
		for (int k = 0; k < p->nchars; k++) {
			json_array_append_new(cc, json_real(p->char_confidence[k]));
		}
		for (int k = 0; k < p->ncandidates; k++) {
			json_array_append_new(cands,
					      json_pack("{s:s,s:f}", "plate", p->candidates[k].text,
							"confidence",
							(double)p->candidates[k].confidence));
		}
		json_t *o =
			json_pack("{s:s,s:f,s:[iiii],s:o,s:o,s:o}", "plate", p->text, "confidence",
				  (double)p->confidence, "box", p->x, p->y, p->w, p->h, "corners",
				  corners, "char_confidences", cc, "candidates", cands);
		/* the state as printed on the plate, when read */
		if (o && p->state[0]) {
			json_object_set_new(o, "state", json_string(p->state));
			json_object_set_new(o, "state_confidence",
					    json_real((double)p->state_confidence));
		}
		json_array_append_new(results, o);
	}
	json_t *line =
		json_pack("{s:s,s:f,s:o}", "file", path, "processing_ms", ms, "results", results);
	if (line && regions) {
		json_t *rg = json_array();
		for (int i = 0; i < res->nregions && i < RECOGNIZE_MAX_REGIONS; i++) {
			json_array_append_new(rg, json_pack("[iiiif]", res->regions[i].x,
							    res->regions[i].y, res->regions[i].w,
							    res->regions[i].h,
							    (double)res->regions[i].score));
		}
		json_object_set_new(line, "regions", rg);
		json_object_set_new(line, "locate_ms", json_real(res->locate_ms));
		json_object_set_new(line, "ocr_ms", json_real(res->ocr_ms));
	}
	char *s = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(4)) : NULL;
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(line);
}

static void read_one(struct recognizer *r, struct opts *o, const char *path)
{
	static struct recognize_result res; /* large; one per process is enough here */
	char err[256];
	if (has_ext(path, video_ext, ALPR_ARRAY_SIZE(video_ext))) {
		fprintf(stderr,
			"alpr-read: %s: video is not supported yet (read it through the "
			"capture module)\n",
			path);
		o->failures++;
		return;
	}
	int64_t t0 = alpr_monotonic_us();
	int rc = recognize_file(r, path, &res, err, sizeof(err));
	double ms = (double)(alpr_monotonic_us() - t0) / 1000.0;
	if (rc < 0) {
		fprintf(stderr, "alpr-read: %s: %s\n", path, err[0] ? err : alpr_strerror(rc));
		o->failures++;
		return;
	}
	if (o->json) {
		print_json(path, &res, ms, o->regions);
	} else {
		print_text(path, &res, ms);
	}
	fflush(stdout);
}

static int image_filter(const struct dirent *de)
{
	return de->d_name[0] != '.' && has_ext(de->d_name, image_ext, ALPR_ARRAY_SIZE(image_ext));
}

static void read_path(struct recognizer *r, struct opts *o, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "alpr-read: %s: %s\n", path, strerror(errno));
		o->failures++;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		read_one(r, o, path);
		return;
	}
	struct dirent **names = NULL;
	int n = scandir(path, &names, image_filter, alphasort);
	if (n < 0) {
		fprintf(stderr, "alpr-read: %s: %s\n", path, strerror(errno));
		o->failures++;
		return;
	}
	for (int i = 0; i < n; i++) {
		if (i < MAX_FOLDER_FILES) {
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "%s/%s", path, names[i]->d_name);
			read_one(r, o, p);
		}
		free(names[i]);
	}
	free(names);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: alpr-read [--json] [--topn N] [--state XX] [--max-plates N]\n"
		"                 [--reader chars|tesseract] [--eng] FILE...\n"
		"Reads licence plates in images or folders of images.\n"
		"  --json          one JSON line per image\n"
		"  --topn N        candidates per plate (1-%d, default 10)\n"
		"  --state XX      prefer this state's plate syntaxes (USPS code)\n"
		"  --max-plates N  plates per image (1-%d, default 3)\n"
		"  --reader R      chars: the project's character classifier (the default when\n"
		"                  data/ocr/chars.cnn is present); tesseract: Tesseract's LSTM\n"
		"  --eng           Tesseract with its eng model, even if the project's is present\n"
		"  --regions       (with --json) add localisation's plate hypotheses\n",
		RECOGNIZE_MAX_CANDIDATES, RECOGNIZE_MAX_PLATES);
}

static int parse_count(const char *s, int max, int *out)
{
	int64_t v;
	if (alpr_parse_int64(s, strlen(s), 1, max, &v) < 0) {
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"topn", required_argument, NULL, 'n'},
		{"state", required_argument, NULL, 's'},
		{"max-plates", required_argument, NULL, 'm'},
		{"eng", no_argument, NULL, 'e'},
		{"reader", required_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{"regions", no_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	struct recognize_options ro = {0};
	struct opts o = {0};
	int c;
	alpr_log_init_from_env();
	while ((c = getopt_long(argc, argv, "jn:s:m:ehrR:", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'n':
			if (parse_count(optarg, RECOGNIZE_MAX_CANDIDATES, &ro.topn) < 0) {
				fprintf(stderr, "alpr-read: --topn wants 1-%d, not '%s'\n",
					RECOGNIZE_MAX_CANDIDATES, optarg);
				return 2;
			}
			break;
		case 's':
			if (strlen(optarg) != 2 || optarg[0] < 'A' || (optarg[0] | 0x20) > 'z' ||
			    optarg[1] < 'A' || (optarg[1] | 0x20) > 'z') {
				fprintf(stderr,
					"alpr-read: --state wants a USPS code such as MO, not "
					"'%s'\n",
					optarg);
				return 2;
			}
			ro.state = optarg;
			break;
		case 'm':
			if (parse_count(optarg, RECOGNIZE_MAX_PLATES, &ro.max_plates) < 0) {
				fprintf(stderr, "alpr-read: --max-plates wants 1-%d, not '%s'\n",
					RECOGNIZE_MAX_PLATES, optarg);
				return 2;
			}
			break;
		case 'e':
			ro.force_eng = true;
			break;
		case 'R':
			if (strcmp(optarg, "chars") == 0) {
				ro.reader = RECOGNIZE_READER_CHARS;
			} else if (strcmp(optarg, "tesseract") == 0) {
				ro.reader = RECOGNIZE_READER_TESSERACT;
			} else {
				fprintf(stderr,
					"alpr-read: --reader wants chars or tesseract, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			o.regions = true;
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	/* Leptonica reports through stderr by default; our own messages say it in one line. */
	setMsgSeverity(L_SEVERITY_NONE);
	struct recognizer *r = NULL;
	int rc = recognize_create(&ro, &r);
	if (rc < 0) {
		fprintf(stderr, "alpr-read: cannot start the recognizer: %s\n", alpr_strerror(rc));
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		read_path(r, &o, argv[i]);
	}
	recognize_destroy(r);
	return o.failures ? 1 : 0;
}
