/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The recognizer: a context holding Tesseract, the syntax table and the working buffers, and
 * the pipeline that runs localisation (locate.c), reads the best rows and builds candidates
 * (candidates.c). Image files are decoded here, with Leptonica, after their header has been
 * checked against the size limits.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <leptonica/allheaders.h>
#include <setjmp.h>
#include <omp.h>
#include <tesseract/capi.h>

#include "common.h"
#include "recognize-private.h"

#define LOG "recognize"

/* Rows read by Tesseract per frame: the best few by localisation score. Each costs a few
 * milliseconds; the budget is 100 ms per 720p scene on one core. */
#define OCR_MAX_ROWS 6
/* Rows read in a frame whose first OCR_MAX_ROWS rows read no sure plate (read_again();
 * 9 to 18 measure the same on the eval sets). */
#define READ_MAX_ROWS 12
/* The OCR crop: characters scaled to OCR_CHAR_H (Tesseract's LSTM models take lines of 36 px,
 * characters and margins together; measured on the eval sets, 24 read better than 20, 32 or
 * 48), a band OCR_BAND character heights tall (1.1 to 1.6 tried; 1.3 reads best) and OCR_SIDE
 * wider at each end than the row, in a plain margin of at least OCR_PAD pixels. Any more of
 * the plate at the ends (0.2 to 0.7 tried) and the LSTM reads the frame or a bolt as a
 * character and misreads its neighbour. */
#define OCR_CHAR_H 24
#define OCR_BAND   1.3f
#define OCR_SIDE   0.08f
#define OCR_PAD    8
#define OCR_MAX_W  640
/* Results below this confidence (0..100) are not plates worth reporting. */
#define MIN_PLATE_CONFIDENCE 15.0f
#define MIN_PLATE_CHARS      4
#define MAX_PLATE_CHARS      8

struct recognizer {
	TessBaseAPI *api;             /* NULL when the character classifier reads */
	struct rec_classifier *chars; /* NULL when Tesseract reads */
	char model[8];
	int topn, max_plates;
	char state[3];
	struct rec_syntax syntax;
	struct rec_states states;
	struct rec_locator loc;
	/* the frame as grey (RGB input, decoded files), grown and reused */
	uint8_t *grey;
	size_t grey_cap;
	/* the OCR crop */
	uint8_t band[(OCR_CHAR_H * 3 + 2 * OCR_PAD) * (OCR_MAX_W + 2 * OCR_PAD)];
	uint8_t mask[(OCR_CHAR_H * 3 + 2 * OCR_PAD) * (OCR_MAX_W + 2 * OCR_PAD)];
	uint8_t patch[REC_PATCH_W * REC_PATCH_H];
	int patch_ink, patch_paper; /* the patch's ink and paper grey before stretching */
	float prob[REC_CLASS_MAX];
	float prob_acc[REC_CLASS_MAX]; /* read_piece(): the views' sum */
};

const char *recognize_model(const struct recognizer *r)
{
	return r->model;
}

static int start_tesseract(struct recognizer *r, const char *datadir, bool force_eng)
{
	char path[PATH_MAX], ocrdir[PATH_MAX];
	struct stat st;
	snprintf(ocrdir, sizeof(ocrdir), "%s/ocr", datadir);
	snprintf(path, sizeof(path), "%s/plate.traineddata", ocrdir);
	bool own = !force_eng && stat(path, &st) == 0 && S_ISREG(st.st_mode);

	/* Tesseract parallelises with OpenMP (explicit thread counts, so omp_set_num_threads()
	 * does not reach it). A recognizer is one thread's worth of work (the unit runs one per
	 * camera), and on lines this short OpenMP's spinning helpers cost more than they save:
	 * make every parallel region inactive. Process-wide, idempotent, and what
	 * OMP_THREAD_LIMIT=1 would do. */
	omp_set_max_active_levels(0);
	r->api = TessBaseAPICreate();
	if (!r->api) {
		return -ENOMEM;
	}
	/* No dictionaries: plates are not words, and loading them costs time and memory. */
	char *names[] = {"load_system_dawg", "load_freq_dawg",    "load_punc_dawg",
			 "load_number_dawg", "load_unambig_dawg", "load_bigram_dawg"};
	char *values[] = {"0", "0", "0", "0", "0", "0"};
	int rc = TessBaseAPIInit4(r->api, own ? ocrdir : NULL, own ? "plate" : "eng", OEM_LSTM_ONLY,
				  NULL, 0, names, values, ALPR_ARRAY_SIZE(names), 0);
	if (rc != 0) {
		alpr_error(LOG, "cannot start Tesseract with the %s model%s%s",
			   own ? "plate" : "eng", own ? " in " : "", own ? ocrdir : "");
		return -ENOENT;
	}
	alpr_strlcpy(r->model, own ? "plate" : "eng", sizeof(r->model));
	TessBaseAPISetPageSegMode(r->api, PSM_SINGLE_LINE);
	TessBaseAPISetVariable(r->api, "tessedit_char_whitelist",
			       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	/* per-character alternatives from the LSTM (the choice iterator) */
	TessBaseAPISetVariable(r->api, "lstm_choice_mode", "2");
	/* the crop is already dark on light: do not read it a second time inverted */
	TessBaseAPISetVariable(r->api, "tessedit_do_invert", "0");
	alpr_info(LOG, "OCR model: %s", r->model);
	return 0;
}

/* The reader: the character classifier (DATADIR/ocr/chars.cnn) unless Tesseract is asked
 * for or the classifier is missing. A classifier file that is present but damaged is an
 * error, not a silent fallback. */
static int start_reader(struct recognizer *r, const char *datadir,
			const struct recognize_options *o)
{
	if (o->reader == RECOGNIZE_READER_TESSERACT || o->force_eng) {
		return start_tesseract(r, datadir, o->force_eng);
	}
	char path[PATH_MAX], err[PATH_MAX + 256];
	snprintf(path, sizeof(path), "%s/ocr/chars.cnn", datadir);
	int rc = rec_classifier_load(path, &r->chars, err, sizeof(err));
	if (rc == -ENOENT && o->reader == RECOGNIZE_READER_AUTO) {
		return start_tesseract(r, datadir, false);
	}
	if (rc < 0) {
		alpr_error(LOG, "%s", err);
		return rc;
	}
	alpr_strlcpy(r->model, "chars", sizeof(r->model));
	alpr_info(LOG, "OCR model: character classifier %s", path);
	return 0;
}

int recognize_create(const struct recognize_options *opt, struct recognizer **out)
{
	struct recognize_options o = {0};
	if (opt) {
		o = *opt;
	}
	if (!out || o.topn < 0 || o.topn > RECOGNIZE_MAX_CANDIDATES || o.max_plates < 0 ||
	    o.max_plates > RECOGNIZE_MAX_PLATES || o.reader < RECOGNIZE_READER_AUTO ||
	    o.reader > RECOGNIZE_READER_TESSERACT ||
	    (o.state && o.state[0] && strlen(o.state) != 2)) {
		return -EINVAL;
	}
	struct recognizer *r = calloc(1, sizeof(*r));
	if (!r) {
		return -ENOMEM;
	}
	r->topn = o.topn ? o.topn : 10;
	r->max_plates = o.max_plates ? o.max_plates : 3;
	if (o.state && o.state[0]) {
		r->state[0] = (char)(o.state[0] & ~0x20);
		r->state[1] = (char)(o.state[1] & ~0x20);
	}
	rec_locator_init(&r->loc);
	const char *datadir = o.datadir ? o.datadir : alpr_datadir();
	char path[PATH_MAX], err[PATH_MAX + 128];
	snprintf(path, sizeof(path), "%s/plates/us-syntax.tsv", datadir);
	int rc = rec_syntax_load(&r->syntax, path, err, sizeof(err));
	if (rc < 0) {
		alpr_error(LOG, "%s", err);
		recognize_destroy(r);
		return rc;
	}
	snprintf(path, sizeof(path), "%s/plates/us-state-names.tsv", datadir);
	rc = rec_states_load(&r->states, path, err, sizeof(err));
	if (rc < 0) {
		alpr_error(LOG, "%s", err);
		recognize_destroy(r);
		return rc;
	}
	rc = start_reader(r, datadir, &o);
	if (rc < 0) {
		recognize_destroy(r);
		return rc;
	}
	*out = r;
	return 0;
}

void recognize_destroy(struct recognizer *r)
{
	if (!r) {
		return;
	}
	if (r->api) {
		TessBaseAPIEnd(r->api);
		TessBaseAPIDelete(r->api);
	}
	rec_classifier_free(r->chars);
	rec_locator_finish(&r->loc);
	free(r->grey);
	free(r);
}

/* ---- reading one row ------------------------------------------------------------------- */

static float sample(const uint8_t *g, int w, int h, size_t stride, float x, float y)
{
	x = fminf(fmaxf(x, 0), (float)w - 1.001f);
	y = fminf(fmaxf(y, 0), (float)h - 1.001f);
	int xi = (int)x, yi = (int)y;
	float fx = x - xi, fy = y - yi;
	const uint8_t *p = g + (size_t)yi * stride + xi;
	float top = p[0] + fx * (p[1] - p[0]);
	float bot = p[stride] + fx * (p[stride + 1] - p[stride]);
	return top + fy * (bot - top);
}

/*
 * Cuts the row out of the frame along its centre line (deskewing it), scales the characters
 * to OCR_CHAR_H, stretches the contrast and makes it dark on light. Returns the crop's
 * width (its height is in *bh).
 */
static int cut_band(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
		    const struct rec_region *reg, int *bh_out)
{
	float ch = reg->char_h, s = ch / OCR_CHAR_H; /* frame pixels per crop pixel */
	float norm = sqrtf(1 + reg->slope * reg->slope);
	float dx = 1 / norm, dy = reg->slope / norm; /* along the row */
	float u0 = reg->x0 - reg->cx - OCR_SIDE * ch, u1 = reg->x1 - reg->cx + OCR_SIDE * ch;
	int bw = (int)((u1 - u0) / s) + 2 * OCR_PAD;
	int bh = (int)(OCR_BAND * OCR_CHAR_H * 1.5f) + 2 * OCR_PAD;
	if (bw > OCR_MAX_W + 2 * OCR_PAD) {
		bw = OCR_MAX_W + 2 * OCR_PAD;
	}
	if ((size_t)bw * bh > sizeof(r->band)) {
		bh = (int)(sizeof(r->band) / (size_t)bw);
	}
	/* Only the character band is taken from the frame: the margin is left plain (white once
	 * normalised), so the plate's frame, bolts and state name do not reach Tesseract. */
	int hist[256] = {0}, total = 0;
	float vmax = 0.5f * OCR_BAND * ch;
	for (int v = 0; v < bh; v++) {
		float vv = (v - bh * 0.5f) * s;
		for (int u = 0; u < bw; u++) {
			float uu = u0 + (u - OCR_PAD) * s;
			if (fabsf(vv) > vmax || uu < u0 || uu > u1) {
				r->band[(size_t)v * bw + u] = 0;
				r->mask[(size_t)v * bw + u] = 0;
				continue;
			}
			float x = reg->cx + uu * dx - vv * dy, y = reg->cy + uu * dy + vv * dx;
			uint8_t p = (uint8_t)(sample(g, w, h, stride, x, y) + 0.5f);
			r->band[(size_t)v * bw + u] = p;
			r->mask[(size_t)v * bw + u] = 1;
			hist[p]++;
			total++;
		}
	}
	/* contrast stretch between the 3rd and 97th percentiles */
	int lo = 0, hi = 255, acc = 0;
	for (int i = 0; i < 256; i++) {
		acc += hist[i];
		if (acc >= total * 3 / 100) {
			lo = i;
			break;
		}
	}
	acc = 0;
	for (int i = 255; i >= 0; i--) {
		acc += hist[i];
		if (acc >= total * 3 / 100) {
			hi = i;
			break;
		}
	}
	if (hi <= lo) {
		hi = lo + 1;
	}
	uint8_t lut[256];
	for (int i = 0; i < 256; i++) {
		int v = (i - lo) * 255 / (hi - lo);
		v = v < 0 ? 0 : v > 255 ? 255 : v;
		lut[i] = (uint8_t)(reg->light_on_dark ? 255 - v : v);
	}
	for (int i = 0; i < bw * bh; i++) {
		r->band[i] = r->mask[i] ? lut[r->band[i]] : 255;
	}

	*bh_out = bh;
	return bw;
}

static float clampf(float v, float lo, float hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Reads the crop; fills per-character alternatives. Returns the number of characters, or
 * -EIO. */
static int read_band(struct recognizer *r, int bw, int bh, struct rec_position *pos)
{
	TessBaseAPISetImage(r->api, r->band, bw, bh, 1, bw);
	TessBaseAPISetSourceResolution(r->api, 300);
	if (TessBaseAPIRecognize(r->api, NULL) != 0) {
		return -EIO;
	}
	TessResultIterator *it = TessBaseAPIGetIterator(r->api);
	if (!it) {
		return 0;
	}
	int n = 0;
	do {
		char *t = TessResultIteratorGetUTF8Text(it, RIL_SYMBOL);
		if (!t) {
			continue;
		}
		char c = t[0];
		float conf = TessResultIteratorConfidence(it, RIL_SYMBOL);
		TessDeleteText(t);
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
			continue;
		}
		if (n >= RECOGNIZE_MAX_CHARS) {
			n++;
			break;
		}
		struct rec_position *p = &pos[n++];
		p->nalts = 1;
		p->drop = 0;
		p->ch[0] = c;
		p->p[0] = clampf(conf / 100.0f, 0.01f, 0.999f);
		TessChoiceIterator *ci = TessResultIteratorGetChoiceIterator(it);
		if (ci) {
			do {
				const char *ct = TessChoiceIteratorGetUTF8Text(ci);
				float cc = TessChoiceIteratorConfidence(ci);
				if (!ct || !ct[0] || ct[1] || p->nalts >= REC_MAX_ALTS) {
					continue;
				}
				char a = ct[0];
				if (!((a >= 'A' && a <= 'Z') || (a >= '0' && a <= '9'))) {
					continue;
				}
				bool seen = false;
				for (int k = 0; k < p->nalts; k++) {
					seen |= p->ch[k] == a;
				}
				if (!seen) {
					p->ch[p->nalts] = a;
					p->p[p->nalts] = clampf(cc / 100.0f, 0.001f, 0.999f);
					p->nalts++;
				}
			} while (TessChoiceIteratorNext(ci));
			TessChoiceIteratorDelete(ci);
		}
	} while (TessResultIteratorNext(it, RIL_SYMBOL));
	TessResultIteratorDelete(it);
	return n;
}

/*
 * Cuts one character patch out of the frame (REC_PATCH_W x REC_PATCH_H): the row's character
 * height becomes REC_PATCH_CHAR pixels, the patch is centred on the blob's middle [bx0, bx1)
 * and on the row's centre line, deskewed along the row; columns further than
 * REC_PATCH_MARGIN character heights from the blob are blanked; the contrast is stretched
 * between the 3rd and 97th percentiles; the result is dark on light. The classifier was
 * trained on patches cut this way (tools/train-chars/gen_chars.py, degrade_and_cut()).
 */
static void cut_patch(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
		      const struct rec_region *reg, float bx0, float bx1)
{
	float ch = reg->char_h, s = ch / REC_PATCH_CHAR;
	float norm = sqrtf(1 + reg->slope * reg->slope);
	float dx = 1 / norm, dy = reg->slope / norm;
	float xc = 0.5f * (bx0 + bx1), yc = reg->cy + reg->slope * (xc - reg->cx);
	float m = REC_PATCH_MARGIN * ch;
	/* A character wider than the patch (lettering at a wide font's natural width) is
	 * squeezed horizontally to fit, rather than clipped: a squeezed W is a condensed W,
	 * which the classifier knows; a clipped one is a V or an H. */
	float sx = fmaxf(s, (bx1 - bx0 + 2 * m) / REC_PATCH_W);
	bool keep[REC_PATCH_W];
	int hist[256] = {0}, total = 0;
	for (int u = 0; u < REC_PATCH_W; u++) {
		float t = (u + 0.5f - REC_PATCH_W * 0.5f) * sx;
		keep[u] = xc + t >= bx0 - m && xc + t <= bx1 + m;
	}
	for (int v = 0; v < REC_PATCH_H; v++) {
		float q = (v + 0.5f - REC_PATCH_H * 0.5f) * s;
		for (int u = 0; u < REC_PATCH_W; u++) {
			float t = (u + 0.5f - REC_PATCH_W * 0.5f) * sx;
			float x = xc + t * dx - q * dy, y = yc + t * dy + q * dx;
			uint8_t p = (uint8_t)(sample(g, w, h, stride, x - 0.5f, y - 0.5f) + 0.5f);
			r->patch[v * REC_PATCH_W + u] = p;
			if (keep[u]) {
				hist[p]++;
				total++;
			}
		}
	}
	int lo = 0, hi = 255, acc = 0;
	for (int i = 0; i < 256; i++) {
		acc += hist[i];
		if (acc >= total * 3 / 100) {
			lo = i;
			break;
		}
	}
	acc = 0;
	for (int i = 255; i >= 0; i--) {
		acc += hist[i];
		if (acc >= total * 3 / 100) {
			hi = i;
			break;
		}
	}
	if (hi <= lo) {
		hi = lo + 1;
	}
	r->patch_ink = reg->light_on_dark ? 255 - hi : lo;
	r->patch_paper = reg->light_on_dark ? 255 - lo : hi;
	for (int v = 0; v < REC_PATCH_H; v++) {
		for (int u = 0; u < REC_PATCH_W; u++) {
			uint8_t *p = &r->patch[v * REC_PATCH_W + u];
			if (!keep[u]) {
				*p = 255;
				continue;
			}
			int val = (*p - lo) * 255 / (hi - lo);
			val = val < 0 ? 0 : val > 255 ? 255 : val;
			*p = (uint8_t)(reg->light_on_dark ? 255 - val : val);
		}
	}
}

/* Probability that a patch is not a character at all, above which it is left out. Below
 * it, a position's doubt that it is a character (its drop, for the candidates) is that
 * probability or DOUBT_DROP times the doubt about its best reading, whichever is larger: a
 * logo, a bolt or a sticker between characters is read as one, unsurely. */
#define NOT_A_CHAR 0.5f
#define DOUBT_DROP 0.15f

/* A piece whose best reading is under VIEW_BELOW is read again from VIEW_N more cuts, moved
 * along the row by VIEW_SHIFT character heights each way, and the classifier's probabilities
 * over the views averaged. The cut is centred on a blob's or a guess's estimated middle, and
 * an unsure reading is often a cut a little off its character (a bolt, a frame edge or the
 * next character in the patch's margin): averaging over nearby cuts reads what stays in
 * every view. Measured on both eval sets (docs/benchmarks.md): every shift from 0.04 to 0.12
 * helped, 0.10 most; scaled views did not. */
#define VIEW_BELOW 0.9f
#define VIEW_SHIFT 0.10f
#define VIEW_N     2

/* The position (alternatives best first) from the classifier's probabilities in r->prob.
 * False when the patch is not a character. */
static bool classify_position(struct recognizer *r, struct rec_position *p)
{
	const char *labels = rec_classifier_labels(r->chars);
	int nc = rec_classifier_classes(r->chars);
	float junk = 0;
	p->nalts = 0;
	for (int i = 0; i < nc; i++) {
		if (labels[i] == '?') {
			junk += r->prob[i];
			continue;
		}
		/* insert into the sorted alternatives */
		float pi = r->prob[i];
		int k = p->nalts < REC_MAX_ALTS ? p->nalts : REC_MAX_ALTS - 1;
		if (p->nalts == REC_MAX_ALTS && pi <= p->p[k]) {
			continue;
		}
		while (k > 0 && p->p[k - 1] < pi) {
			p->ch[k] = p->ch[k - 1];
			p->p[k] = p->p[k - 1];
			k--;
		}
		p->ch[k] = labels[i];
		p->p[k] = pi;
		if (p->nalts < REC_MAX_ALTS) {
			p->nalts++;
		}
	}
	/* drop alternatives too weak to matter */
	while (p->nalts > 1 && p->p[p->nalts - 1] < 0.01f) {
		p->nalts--;
	}
	for (int k = 0; k < p->nalts; k++) {
		p->p[k] = clampf(p->p[k], 0.001f, 0.999f);
	}
	p->drop = fmaxf(junk, DOUBT_DROP * (1 - p->p[0]));
	return junk < NOT_A_CHAR;
}

static int cmp_float_asc(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* The median blob width of a row. */
static float row_median_width(const struct rec_region *reg)
{
	float widths[REC_MAX_ROW];
	int nb = reg->nchars;
	for (int k = 0; k < nb; k++) {
		widths[k] = reg->cx1[k] - reg->cx0[k];
	}
	qsort(widths, (size_t)nb, sizeof(float), cmp_float_asc);
	return widths[nb / 2];
}

/* How many characters blob @k may be: a blob much wider than its neighbours may be two or
 * three touching characters (or one wide W or M: read_chars() lets the classifier decide). */
static int blob_parts(const struct rec_region *reg, int k, float medw)
{
	float bw = reg->cx1[k] - reg->cx0[k];
	if (bw > 1.6f * medw && bw > 0.75f * reg->char_h) {
		int parts = (int)lrintf(bw / medw);
		return parts < 2 ? 2 : parts > 3 ? 3 : parts;
	}
	return 1;
}

/*
 * The character pieces of a row, left to right, as [x0[i], x1[i]) in frame pixels: each blob,
 * wide blobs split evenly (training data: every split is taken). Returns the number of
 * pieces (at most @max; more is max + 1).
 */
static int row_pieces(const struct rec_region *reg, float *x0, float *x1, int max)
{
	float medw = row_median_width(reg);
	int n = 0;
	for (int k = 0; k < reg->nchars; k++) {
		float a = reg->cx0[k], bw = reg->cx1[k] - a;
		int parts = blob_parts(reg, k, medw);
		for (int j = 0; j < parts; j++) {
			if (n >= max) {
				return max + 1;
			}
			x0[n] = a + bw * j / parts;
			x1[n] = a + bw * (j + 1) / parts;
			n++;
		}
	}
	return n;
}

enum piece_kind { PIECE_BLOB, PIECE_GAP, PIECE_END };

struct piece {
	float x0, x1;
	bool is_char;
	enum piece_kind kind;
	struct rec_position pos;
	float ink, paper; /* the patch's ink and paper grey before stretching */
	bool part;        /* a part of a blob read as two or three characters */
};

/*
 * A 1 and an I are both a bar. Many dies give the 1 a flag, a stroke off the top of its stem
 * to the left (Idaho's 1AD849T), and the I nothing or serifs on both sides; the classifier
 * reads Idaho's flagged 1 as I at 0.46-0.93. bar_flag() measures, in the top quarter of the
 * glyph, the ink of the stem's run left of the stem less that right of it, over the stem's
 * width times those rows (0 for a plain bar or a serif I). On the eval sets' rows read at
 * their truth's length (fifth session, docs/benchmarks.md), 3 of the 13 1's the classifier
 * read as I measured 0.52-0.71 (Idaho's; New Hampshire's 1 has no flag and measures 0), its
 * 23 true I's at most 0.33 (a California serif I beside a C). From FLAG_MIN such a bar is
 * read as a 1 at the I's probability, the I its alternative at FLAG_I of it (0.4 and 0.5
 * measure the same; 0.3 reads that serif I as a 1 and loses a us-dev plate).
 */
#define FLAG_MIN 0.45f
#define FLAG_I   0.5f

/* A glyph in a classifier patch (dark on light, stretched): the longest run of rows with ink
 * [t, b], and each row's first and last ink column, away from the patch's outer columns,
 * where a neighbour's edge may show (-1 for none). False when it is under half a character
 * high. */
struct glyph {
	int t, b;
	int first[REC_PATCH_H], last[REC_PATCH_H];
};

static bool find_glyph(const uint8_t *patch, struct glyph *gl)
{
	enum { U0 = 3, U1 = REC_PATCH_W - 3 };
	int run = 0;
	gl->t = gl->b = -1;
	for (int v = 0; v < REC_PATCH_H; v++) {
		gl->first[v] = gl->last[v] = -1;
		for (int u = U0; u < U1; u++) {
			if (patch[v * REC_PATCH_W + u] < 128) {
				if (gl->first[v] < 0) {
					gl->first[v] = u;
				}
				gl->last[v] = u;
			}
		}
		run = gl->first[v] >= 0 ? run + 1 : 0;
		if (run > 0 && run > gl->b - gl->t + 1) {
			gl->t = v - run + 1;
			gl->b = v;
		}
	}
	return gl->t >= 0 && gl->b - gl->t + 1 >= REC_PATCH_CHAR / 2;
}

static float bar_flag(const uint8_t *patch)
{
	struct glyph gl;
	if (!find_glyph(patch, &gl)) {
		return 0;
	}
	int t = gl.t, gh = gl.b - gl.t + 1;
	const int *first = gl.first, *last = gl.last;
	/* the stem: the median middle and width of the ink in the glyph's middle rows */
	float mid[REC_PATCH_H], wid[REC_PATCH_H];
	int nm = 0;
	for (int v = t + gh * 35 / 100; v < t + gh * 75 / 100; v++) {
		mid[nm] = 0.5f * (float)(first[v] + last[v]);
		wid[nm++] = (float)(last[v] - first[v] + 1);
	}
	if (nm == 0) {
		return 0;
	}
	qsort(mid, (size_t)nm, sizeof(float), cmp_float_asc);
	qsort(wid, (size_t)nm, sizeof(float), cmp_float_asc);
	float c = mid[nm / 2], w = wid[nm / 2];
	/* in the top rows, the run of ink through the stem (a neighbour's ink is apart) */
	int n = ALPR_MAX(2, gh / 4), cu = (int)lrintf(c);
	float left = 0, right = 0;
	for (int v = t; v < t + n; v++) {
		const uint8_t *row = &patch[v * REC_PATCH_W];
		if (row[cu] >= 128) {
			continue;
		}
		int u0 = cu, u1 = cu;
		while (u0 > 0 && row[u0 - 1] < 128) {
			u0--;
		}
		while (u1 + 1 < REC_PATCH_W && row[u1 + 1] < 128) {
			u1++;
		}
		left += fmaxf(0, c - 0.5f * w - (float)u0 + 0.5f);
		right += fmaxf(0, (float)u1 + 0.5f - c - 0.5f * w);
	}
	return (left - right) / ((float)n * w);
}

void rec_read_bar(struct rec_position *p, const uint8_t *patch)
{
	if (p->nalts == 0 || p->ch[0] != 'I' || bar_flag(patch) < FLAG_MIN) {
		return;
	}
	/* the 1 takes the I's probability; the I stays, in the 1's place or the weakest's */
	int one = 0;
	for (int a = 1; a < p->nalts; a++) {
		one = p->ch[a] == '1' ? a : one;
	}
	if (one == 0) {
		one = p->nalts < REC_MAX_ALTS ? p->nalts++ : REC_MAX_ALTS - 1;
	}
	p->ch[0] = '1';
	p->ch[one] = 'I';
	p->p[one] = FLAG_I * p->p[0];
}

/*
 * A D's left side is a straight stem with square corners; O, 0 and Q are round on both
 * sides. left_square() measures the ink in the squares of an eighth of the glyph's height
 * at its box's left corners less that at its right corners (each a share of its square,
 * averaged: about 0.5 for a D, 0 for a round glyph). On the eval sets' rows read at their
 * truth's length (fifth session, docs/benchmarks.md), 35 of the 53 D's measured 0.33 or
 * more and none of the 9 O's over 0.06: from D_SQUARE, a round glyph the classifier read
 * 0 with O and then D among its alternatives has the D read before the O (New York's
 * DCG6624, read 0 at 0.43, O 0.27, D 0.24, was OCG6624). The 0 is left as it is: 6 of 168
 * zeros measured over 0.33 too, and the syntax decides between digit and letter.
 */
#define D_SQUARE 0.3f

static float left_square(const uint8_t *patch)
{
	struct glyph gl;
	if (!find_glyph(patch, &gl)) {
		return 0;
	}
	int x0 = REC_PATCH_W, x1 = -1;
	for (int v = gl.t; v <= gl.b; v++) {
		if (gl.first[v] >= 0) {
			x0 = ALPR_MIN(x0, gl.first[v]);
			x1 = ALPR_MAX(x1, gl.last[v]);
		}
	}
	int k = ALPR_MAX(2, (gl.b - gl.t + 1) / 8);
	if (x1 - x0 + 1 < 2 * k) {
		return 0;
	}
	int corner[4] = {0}; /* top left, bottom left, top right, bottom right */
	for (int c = 0; c < 4; c++) {
		int v0 = c % 2 ? gl.b - k + 1 : gl.t, u0 = c < 2 ? x0 : x1 - k + 1;
		for (int v = v0; v < v0 + k; v++) {
			for (int u = u0; u < u0 + k; u++) {
				corner[c] += patch[v * REC_PATCH_W + u] < 128;
			}
		}
	}
	return (float)(corner[0] + corner[1] - corner[2] - corner[3]) / (float)(2 * k * k);
}

/*
 * A Q is an O with a tail at its lower right, across or inside the bottom of its counter
 * (Mississippi's FSQ769 and HNQ196, Florida's W772UQ: a notch of two or three patch pixels,
 * which the classifier reads 0 at 0.58-0.64, O 0.29-0.35, Q 0.01-0.04). q_tail() measures the
 * ink in the counter's columns (between the strokes' inner edges in the glyph's middle rows)
 * right of its middle less that left of it, in the glyph's bottom two-fifths, less the same
 * in its top two-fifths (a D's top and bottom are alike and cancel; a glyph leaning left
 * measures as a tail too), over half the counter's width times those rows. On the eval
 * sets' rows read at their truth's length (fifth session, docs/benchmarks.md), the 9 O's
 * measured at most 0.11; the Q's the classifier read 0 measured 0.1-0.4, three of four 0.2
 * or more; 16 of 168 zeros measured Q_TAIL or more, so the tail only orders the letters: a
 * round glyph read 0 with a tail has the Q before the O (taking the O's place when it had
 * no Q). 0.08-0.2 measure the same. A glyph read O first is left alone: a state name's O
 * read as Q no longer names the state (plates-dev lost two states that way).
 */
#define Q_TAIL 0.15f

static float q_tail(const uint8_t *patch)
{
	struct glyph gl;
	if (!find_glyph(patch, &gl)) {
		return 0;
	}
	int t = gl.t, b = gl.b, gh = b - t + 1;
	/* the counter: from the end of the left stroke to the start of the right one, the
	 * medians over the middle rows */
	float inl[REC_PATCH_H], inr[REC_PATCH_H];
	int nm = 0;
	for (int v = t + gh * 35 / 100; v <= t + gh * 65 / 100; v++) {
		const uint8_t *row = &patch[v * REC_PATCH_W];
		int u = gl.first[v], l, r;
		if (u < 0) {
			continue;
		}
		while (u <= gl.last[v] && row[u] < 128) {
			u++;
		}
		l = u;
		u = gl.last[v];
		while (u >= gl.first[v] && row[u] < 128) {
			u--;
		}
		r = u + 1;
		if (r > l) {
			inl[nm] = (float)l;
			inr[nm++] = (float)r;
		}
	}
	if (nm < 3) {
		return 0;
	}
	qsort(inl, (size_t)nm, sizeof(float), cmp_float_asc);
	qsort(inr, (size_t)nm, sizeof(float), cmp_float_asc);
	int cl = (int)inl[nm / 2], cr = (int)inr[nm / 2];
	if (cr - cl < 2) {
		return 0;
	}
	float mid = 0.5f * (float)(cl + cr);
	int n = ALPR_MAX(1, gh * 2 / 5), top = 0, bottom = 0;
	for (int k = 0; k < n; k++) {
		for (int u = cl; u < cr; u++) {
			int side = (float)u + 0.5f >= mid ? 1 : -1;
			top += patch[(t + k) * REC_PATCH_W + u] < 128 ? side : 0;
			bottom += patch[(b - k) * REC_PATCH_W + u] < 128 ? side : 0;
		}
	}
	return (float)(bottom - top) / (0.5f * (float)((cr - cl) * n));
}

/* Puts the letter @c before the O at @o among @p's alternatives: in the O's place, the O in
 * @c's; in the O's place with the O gone when @c was not among them and @add. */
static void letter_before(struct rec_position *p, int o, char c, bool add)
{
	int k = -1;
	for (int a = 0; a < p->nalts; a++) {
		k = p->ch[a] == c ? a : k;
	}
	if ((k >= 0 && k < o) || (k < 0 && !add)) {
		return;
	}
	p->ch[o] = c;
	if (k >= 0) {
		p->ch[k] = 'O';
	}
}

void rec_read_round(struct rec_position *p, const uint8_t *patch)
{
	if (p->nalts == 0 || p->ch[0] != '0') {
		return;
	}
	int o = -1;
	for (int a = 0; a < p->nalts; a++) {
		o = p->ch[a] == 'O' ? a : o;
	}
	if (o < 0) {
		return;
	}
	if (left_square(patch) >= D_SQUARE) {
		letter_before(p, o, 'D', false);
	} else if (q_tail(patch) >= Q_TAIL) {
		letter_before(p, o, 'Q', true);
	}
}

/* Cuts and classifies [x0, x1) into @pc. */
static void read_piece(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
		       const struct rec_region *reg, float x0, float x1, struct piece *pc)
{
	pc->x0 = x0;
	pc->x1 = x1;
	pc->part = false;
	cut_patch(r, g, w, h, stride, reg, x0, x1);
	pc->ink = (float)r->patch_ink;
	pc->paper = (float)r->patch_paper;
	rec_classify(r->chars, r->patch, r->prob);
	int nc = rec_classifier_classes(r->chars);
	const char *labels = rec_classifier_labels(r->chars);
	float best = 0;
	for (int i = 0; i < nc; i++) {
		if (labels[i] != '?' && r->prob[i] > best) {
			best = r->prob[i];
		}
	}
	if (best < VIEW_BELOW) {
		float d = VIEW_SHIFT * reg->char_h;
		memcpy(r->prob_acc, r->prob, sizeof(float) * (size_t)nc);
		for (int v = 0; v < VIEW_N; v++) {
			float dx = (float)(v / 2 + 1) * d * (v % 2 ? 1.0f : -1.0f);
			cut_patch(r, g, w, h, stride, reg, x0 + dx, x1 + dx);
			rec_classify(r->chars, r->patch, r->prob);
			for (int i = 0; i < nc; i++) {
				r->prob_acc[i] += r->prob[i];
			}
		}
		for (int i = 0; i < nc; i++) {
			r->prob[i] = r->prob_acc[i] / (float)(VIEW_N + 1);
		}
	}
	pc->is_char = classify_position(r, &pc->pos);
	/* a bar read as I, a 1 if it has a 1's flag; a glyph read 0, its letter a D if its left
	 * corners are square, a Q if it has a Q's tail (measured on the cut centred on it, not
	 * a view) */
	char c = pc->pos.ch[0];
	if (pc->is_char && (c == 'I' || c == '0')) {
		cut_patch(r, g, w, h, stride, reg, x0, x1);
		rec_read_bar(&pc->pos, r->patch);
		rec_read_round(&pc->pos, r->patch);
	}
}

/* The row's pieces, classified: a wide blob is read whole and split, and the reading the
 * classifier is surer of is kept (the geometric mean of the parts' best probabilities
 * against the whole's). Returns the number of pieces, or more than @max. */
static int classify_row(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
			const struct rec_region *reg, struct piece *pcs, int max)
{
	float medw = row_median_width(reg);
	int n = 0;
	for (int k = 0; k < reg->nchars; k++) {
		float a = reg->cx0[k], bw = reg->cx1[k] - a;
		int parts = blob_parts(reg, k, medw);
		if (n + parts > max) {
			return max + 1;
		}
		if (parts == 1) {
			read_piece(r, g, w, h, stride, reg, a, a + bw, &pcs[n++]);
			continue;
		}
		struct piece whole;
		read_piece(r, g, w, h, stride, reg, a, a + bw, &whole);
		float gm = 1;
		for (int j = 0; j < parts; j++) {
			struct piece *pc = &pcs[n + j];
			read_piece(r, g, w, h, stride, reg, a + bw * j / parts,
				   a + bw * (j + 1) / parts, pc);
			gm *= pc->is_char ? pc->pos.p[0] : 0.01f;
		}
		gm = powf(gm, 1.0f / parts);
		if (whole.is_char && whole.pos.p[0] >= gm) {
			pcs[n++] = whole;
		} else {
			for (int j = 0; j < parts; j++) {
				pcs[n + j].part = true;
			}
			n += parts;
		}
	}
	return n;
}

/* A character the locator missed (touching a graphic, a sticker or the frame, or broken)
 * is looked for where the row's rhythm says one should be: in a gap between pieces with
 * room for one or more (by the pitch, or GUESS_FIT character widths of empty room each, at
 * most GUESS_GAP_MAX), and a pitch beyond each end, then a pitch beyond that guess (at most
 * GUESS_END_MAX an end). The gap between character groups holds a space, a dash or a logo,
 * and past the ends are the frame and the bolts: a guess read at GUESS_MIN_P or better is
 * kept with a doubt that it is a character at all (rec_guess_doubt()), so the candidates
 * hold the row with and without it. Measured on the eval sets (tools/bench-recognize.py,
 * docs/benchmarks.md): a hard threshold of 0.6 kept out characters the candidates now
 * recover. Two an end: a third (wip/recog-chars2: a seven-character plate whose row the
 * locator found four long, wts-lg-000199, J868321 read JB682) gained one us-dev top-10, but
 * beside a dealer frame's lettering it reads the frame's letters into the plate
 * (recognize/chained-frame: top-1 7 of 24 with two, 3 with three). On a row not read
 * ROW_FULL long, the first guess past each end, a pitch from the row's end piece where the
 * row's rhythm most surely puts a character, is kept from GUESS_NEXT_P: a character touching
 * the frame there is read from a patch holding part of the frame, less surely than one in
 * the open (wts-lg-000094's first C at 0.24, recognize/framed-ends). Such a weak guess may
 * also be a dash or a space before a group past a gap, so the skip's guesses are tried as
 * well and one read at GUESS_MIN_P or better is kept instead (else a state name's first
 * letter past a space was lost to a guess at 0.26, and the state with it: three plates-dev
 * crops). Measured on both eval sets: 0.15 the same as 0.2; 0.25 and 0.3 one us-dev top-10
 * fewer. */
#define GUESS_MIN_P   0.3f
#define GUESS_NEXT_P  0.2f
#define GUESS_END_MAX 2
#define GUESS_GAP_MAX 3
#define ROW_FULL      7
#define GUESS_FIT     1.0f

float rec_guess_doubt(float p)
{
	return fmaxf(GUESS_DOUBT_MIN, GUESS_DOUBT_SLOPE * (1 - p));
}

/* A guess: the character-wide window centred on @c (in the frame), classified. False when
 * it is not a character read at @min_p or better; else *out, with the doubt that any
 * character is there at all, and *at = @c. */
static bool guess_at(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
		     const struct rec_region *reg, float c, float cw, float min_p,
		     struct piece *out, float *at)
{
	if (c < 0 || c > (float)w) {
		return false;
	}
	struct piece pc;
	read_piece(r, g, w, h, stride, reg, c - 0.5f * cw, c + 0.5f * cw, &pc);
	if (!pc.is_char || pc.pos.p[0] < min_p) {
		return false;
	}
	*out = pc;
	out->pos.drop = fmaxf(out->pos.drop, rec_guess_doubt(pc.pos.p[0]));
	*at = c;
	return true;
}

/* Two narrow pieces close together may be the strokes of one character whose join the
 * locator lost (an H or a U read as two I's): each under STROKE_W of the row's character
 * width, at most STROKE_GAP apart, together under STROKE_UNION widths. Their union is read,
 * and kept when the classifier is surer of it than of the two (the geometric mean of their
 * best probabilities), as classify_row() decides for a wide blob read whole and split: a
 * real "11" stays two. */
#define STROKE_W     0.75f
#define STROKE_GAP   0.7f
#define STROKE_UNION 1.8f
static int merge_strokes(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
			 const struct rec_region *reg, struct piece *pcs, int np, float cw)
{
	int n = 0;
	for (int k = 0; k < np; k++) {
		if (k + 1 < np) {
			struct piece *a = &pcs[k], *b = &pcs[k + 1];
			float wa = a->x1 - a->x0, wb = b->x1 - b->x0, gap = b->x0 - a->x1;
			if (wa < STROKE_W * cw && wb < STROKE_W * cw && gap < STROKE_GAP * cw &&
			    b->x1 - a->x0 < STROKE_UNION * cw) {
				struct piece u;
				read_piece(r, g, w, h, stride, reg, a->x0, b->x1, &u);
				float gm = sqrtf((a->is_char ? a->pos.p[0] : 0.01f) *
						 (b->is_char ? b->pos.p[0] : 0.01f));
				if (u.is_char && u.pos.p[0] > gm) {
					pcs[n++] = u;
					k++;
					continue;
				}
			}
		}
		pcs[n++] = pcs[k];
	}
	return n;
}

int rec_merge_twins(struct rec_span *span, struct rec_position *pos, int n)
{
	int m = 0;
	for (int k = 0; k < n; k++) {
		if (m > 0) {
			float ov = fminf(span[m - 1].x1, span[k].x1) -
				   fmaxf(span[m - 1].x0, span[k].x0);
			float nw = fminf(span[m - 1].x1 - span[m - 1].x0, span[k].x1 - span[k].x0);
			if (pos[m - 1].nalts > 0 && pos[k].nalts > 0 &&
			    pos[m - 1].ch[0] == pos[k].ch[0] && ov > REC_TWIN_OVERLAP * nw) {
				if (pos[k].p[0] > pos[m - 1].p[0]) {
					span[m - 1] = span[k];
					pos[m - 1] = pos[k];
				}
				continue;
			}
		}
		span[m] = span[k];
		pos[m++] = pos[k];
	}
	return m;
}

/* A plate's characters are printed in one ink, the darkest (or, light on dark, the
 * brightest) marks on it; its logos, state outlines, stickers and slogans are mostly in
 * colour, which is lighter in grey. A piece whose ink is lighter than the row's characters'
 * by more than INK_LIFT0 of the row's contrast (the median ink to the median paper) is
 * doubted as a character in proportion, up to INK_DOUBT_MAX at INK_LIFT1: its readings are
 * scaled by the belief that it is a character at all, and the string without it gains. A
 * piece darker than the row is no evidence (shade, dirt, a worn row's better character).
 * Needs INK_MIN_ROW positions to know the row's ink. */
#define INK_LIFT0     0.2f
#define INK_LIFT1     0.55f
#define INK_DOUBT_MAX 0.9f
#define INK_MIN_ROW   4

static void doubt_light_ink(struct piece *pcs, int n)
{
	if (n < INK_MIN_ROW) {
		return;
	}
	float ink[RECOGNIZE_MAX_CHARS], paper[RECOGNIZE_MAX_CHARS];
	for (int k = 0; k < n; k++) {
		ink[k] = pcs[k].ink;
		paper[k] = pcs[k].paper;
	}
	qsort(ink, (size_t)n, sizeof(float), cmp_float_asc);
	qsort(paper, (size_t)n, sizeof(float), cmp_float_asc);
	float mink = ink[n / 2], contrast = paper[n / 2] - mink;
	if (contrast < 16) {
		return; /* too flat a row to judge by */
	}
	for (int k = 0; k < n; k++) {
		struct rec_position *p = &pcs[k].pos;
		float lift = (pcs[k].ink - mink) / contrast;
		float d =
			clampf((lift - INK_LIFT0) / (INK_LIFT1 - INK_LIFT0), 0, 1) * INK_DOUBT_MAX;
		if (d <= p->drop) {
			continue;
		}
		for (int a = 0; a < p->nalts; a++) {
			p->p[a] = fmaxf(p->p[a] * (1 - d), 0.001f);
		}
		p->drop = d;
	}
}

/* A row's end is where a plate's emblem, a stacked county code or suffix, or the frame's
 * edge sits beside the characters, and the locator takes them into the row when they are of
 * the characters' height (North Dakota's and Virginia's round seals, split into two blobs;
 * Wyoming's county number stacked beside the horse; a frame's edge a fifth of a character
 * wide). The classifier reads such a piece unsurely where it reads the row's characters
 * surely, and where the row with it fits a commoner format the candidates kept it (LW1257
 * read MLW1257, BB63 read GDBB63). So a piece at the row's end (and, once that one is
 * doubted, the next one in: END_DOUBT_MAX a side) is doubted as a character at all, its
 * readings scaled by 1 - END_DOUBT, when the row's median reading is END_ROW_SURE or better
 * and the piece is read under END_WEAK; or it is a part of a wide blob read as two or
 * three, read under END_UNSURE (an emblem wider than a character: North Carolina's dog and
 * cat, E074 read JE074; a worn character read as unsurely is one blob, and kept:
 * recognize/worn-ends lost three of 96 when any piece counted); or it is narrower than
 * END_NARROW of the row's character width and not read as a bar (1 or I, the only
 * characters that narrow). On both eval sets' rows aligned to their truth, no real end
 * character met these; each setting's neighbours measured the same or an image or two worse
 * (docs/benchmarks.md). */
#define END_ROW_SURE  0.6f
#define END_WEAK      0.2f
#define END_UNSURE    0.3f
#define END_NARROW    0.35f
#define END_DOUBT     0.8f
#define END_DOUBT_MAX 2

static bool end_doubtful(const struct piece *pc, float cw)
{
	const struct rec_position *p = &pc->pos;
	if (pc->kind != PIECE_BLOB || p->nalts == 0) {
		return false;
	}
	/* A bar is a character's shape (a 1 or an I), not an emblem's or a county code's: one
	 * read unsurely at the end is a 1 cut from a frame or a dealer's band (us-dev's 5ZUC921,
	 * its 21 one blob split in two, the 1 read 0.25), and a frame's edge read as a bar is
	 * the candidates' end drop's to weigh. Measured: us-dev top-1 and top-10 one scene
	 * each more with bars exempt, plates-dev the same. */
	if (p->ch[0] == '1' || p->ch[0] == 'I') {
		return false;
	}
	return p->p[0] < END_WEAK || (pc->part && p->p[0] < END_UNSURE) ||
	       pc->x1 - pc->x0 < END_NARROW * cw;
}

static void doubt_end(struct rec_position *p)
{
	if (END_DOUBT <= p->drop) {
		return;
	}
	for (int a = 0; a < p->nalts; a++) {
		p->p[a] = fmaxf(p->p[a] * (1 - END_DOUBT), 0.001f);
	}
	p->drop = END_DOUBT;
}

static void doubt_ends(struct piece *pcs, int n, float cw)
{
	if (n < INK_MIN_ROW) {
		return;
	}
	float conf[RECOGNIZE_MAX_CHARS];
	for (int k = 0; k < n; k++) {
		conf[k] = pcs[k].pos.nalts ? pcs[k].pos.p[0] : 0;
	}
	qsort(conf, (size_t)n, sizeof(float), cmp_float_asc);
	if (conf[n / 2] < END_ROW_SURE) {
		return;
	}
	for (int k = 0; k < END_DOUBT_MAX && k < n / 2 && end_doubtful(&pcs[k], cw); k++) {
		doubt_end(&pcs[k].pos);
	}
	for (int k = n - 1; k >= n - END_DOUBT_MAX && k >= n - n / 2 && end_doubtful(&pcs[k], cw);
	     k--) {
		doubt_end(&pcs[k].pos);
	}
}

/* The row's character width and pitch (*cw, *pitch; 0 with fewer than three pieces):
 * medians over the pieces; the pitch over neighbours with no room for a character between
 * them (characters the locator missed would double it), or over all when there are none. */
static void row_rhythm(const struct piece *pcs, int np, float *cw, float *pitch)
{
	float tmp[RECOGNIZE_MAX_CHARS];
	*cw = *pitch = 0;
	if (np < 3) {
		return;
	}
	for (int k = 0; k < np; k++) {
		tmp[k] = pcs[k].x1 - pcs[k].x0;
	}
	qsort(tmp, (size_t)np, sizeof(float), cmp_float_asc);
	*cw = tmp[np / 2];
	int nd = 0;
	for (int pass = 0; pass < 2 && nd == 0; pass++) {
		for (int k = 0; k + 1 < np; k++) {
			if (pass == 0 && pcs[k + 1].x0 - pcs[k].x1 >= GUESS_FIT * *cw) {
				continue;
			}
			tmp[nd++] = 0.5f * (pcs[k + 1].x0 + pcs[k + 1].x1 - pcs[k].x0 - pcs[k].x1);
		}
	}
	qsort(tmp, (size_t)nd, sizeof(float), cmp_float_asc);
	*pitch = tmp[(nd - 1) / 2];
}

/* The guesses beyond a row's end, outwards from @c (where a character of the row's width at
 * the end piece would be centred) by @step (the pitch, negative to the left), at most @max,
 * in the order found. A plate's groups are set apart by a dash, a space or a graphic
 * (Nebraska's 5-D2772, Wyoming's 5 [bronco] 503F): where nothing is read a pitch past the
 * row's own end, a character is looked for GUESS_SKIP pitches out (past a dash or a space)
 * and two pitches out (past a graphic), and the surer kept. Only next to the row's end: a
 * skip after a guess reached the plate's frame (wts-lg-000048's edge read L at 0.91).
 * Measured (docs/benchmarks.md): us-dev +1, plates-dev +2 (5-D2772, NY2ND). */
#define GUESS_SKIP 1.5f
static int end_guesses(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
		       const struct rec_region *reg, float c, float step, float cw, bool skip,
		       struct piece *out, int max)
{
	int n = 0;
	bool skipped = false;
	float at = 0;
	while (n < max) {
		float min_p = n == 0 && skip ? GUESS_NEXT_P : GUESS_MIN_P;
		bool next = guess_at(r, g, w, h, stride, reg, c + step, cw, min_p, &out[n], &at);
		/* a first guess read under GUESS_MIN_P may be a dash or a space before a group
		 * past a gap: the skip's guesses are tried too, and one read at GUESS_MIN_P or
		 * better is kept instead */
		if (next && (n > 0 || out[n].pos.p[0] >= GUESS_MIN_P || !skip)) {
			out[n++].kind = PIECE_END;
			c = at;
			continue;
		}
		if (!skip || skipped || n > 0) {
			break;
		}
		/* past a dash or a space (half a pitch more), or past a graphic (a pitch more):
		 * the surer of the two */
		struct piece alt, weak;
		float at1 = at, at2 = 0;
		if (next) {
			weak = out[n];
		}
		bool a = guess_at(r, g, w, h, stride, reg, c + GUESS_SKIP * step, cw, GUESS_MIN_P,
				  &out[n], &at);
		bool b = guess_at(r, g, w, h, stride, reg, c + 2 * step, cw, GUESS_MIN_P, &alt,
				  &at2);
		if (b && (!a || alt.pos.p[0] > out[n].pos.p[0])) {
			out[n] = alt;
			at = at2;
		} else if (!a) {
			if (next) {
				out[n] = weak;
				out[n++].kind = PIECE_END;
				c = at1;
				continue;
			}
			break;
		}
		skipped = true;
		out[n++].kind = PIECE_END;
		c = at;
	}
	return n;
}

/* Reads a row character by character: each piece is cut out and classified; pieces that
 * are not characters are left out. Returns the number of positions written to @pos (more
 * than RECOGNIZE_MAX_CHARS: too many to be a plate). */
static int read_chars(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
		      const struct rec_region *reg, struct rec_position *pos)
{
	struct piece pcs[RECOGNIZE_MAX_CHARS];
	int np = classify_row(r, g, w, h, stride, reg, pcs, RECOGNIZE_MAX_CHARS);
	if (np > RECOGNIZE_MAX_CHARS) {
		return np;
	}
	float pitch = 0, cw = 0;
	row_rhythm(pcs, np, &cw, &pitch);
	/* A row of thin bars (posts, railings, a grille) is not a plate, whatever the
	 * classifier makes of each bar: plate characters are mostly a third of their height
	 * wide or more ('1' and 'I' are the exceptions, never a whole plate). */
	if (np >= 3 && cw < 0.25f * reg->char_h) {
		return 0;
	}
	/* strokes joined into one character change the rhythm: two halves of a broken H
	 * counted as two characters halve the pitch, and the guesses go by it */
	if (np >= 3) {
		int merged = merge_strokes(r, g, w, h, stride, reg, pcs, np, cw);
		if (merged != np) {
			np = merged;
			row_rhythm(pcs, np, &cw, &pitch);
		}
	}
	bool guesses = np >= 3 && pitch > 0.3f * reg->char_h && pitch < 1.2f * reg->char_h;
	struct piece out[RECOGNIZE_MAX_CHARS], ends[GUESS_END_MAX];
	int n = 0, nends = 0;
	float at = 0;
	/* before the first piece, outwards, a pitch from where a character of the row's width
	 * at its edge would be centred (a wide W or a blob of two is no centre to count from);
	 * written left to right */
	int nread = 0;
	for (int k = 0; k < np; k++) {
		nread += pcs[k].is_char;
	}
	/* The skip and the third guess are for plates found short: a row already read
	 * ROW_FULL long (a state name or a slogan) gets neither, or its lettering no longer
	 * matches a state name (plates-dev: with them on every row, 87 crops' states read
	 * instead of 91; with this, 90). */
	bool full = nread >= ROW_FULL;
	if (guesses && np > 0) {
		nends = end_guesses(r, g, w, h, stride, reg, pcs[0].x0 + 0.5f * cw, -pitch, cw,
				    !full, ends, full ? 2 : GUESS_END_MAX);
	}
	for (int j = nends - 1; j >= 0; j--) {
		out[n++] = ends[j];
	}
	for (int k = 0; k < np; k++) {
		if (pcs[k].is_char) {
			if (n >= RECOGNIZE_MAX_CHARS) {
				return n + 1;
			}
			out[n] = pcs[k];
			out[n++].kind = PIECE_BLOB;
		}
		if (!guesses || k + 1 >= np) {
			continue;
		}
		/* evenly in a gap wide enough for one or more: by the pitch, or by the room */
		float ca = 0.5f * (pcs[k].x0 + pcs[k].x1),
		      cb = 0.5f * (pcs[k + 1].x0 + pcs[k + 1].x1);
		float room = pcs[k + 1].x0 - pcs[k].x1;
		int missing = ALPR_MAX((int)lrintf((cb - ca) / pitch) - 1,
				       (int)floorf(room / (GUESS_FIT * cw)));
		if (missing < 1 || missing > GUESS_GAP_MAX) {
			continue;
		}
		for (int j = 1; j <= missing && n < RECOGNIZE_MAX_CHARS; j++) {
			float c = pcs[k].x1 + j * room / (missing + 1);
			if (guess_at(r, g, w, h, stride, reg, c, cw, GUESS_MIN_P, &out[n], &at)) {
				out[n++].kind = PIECE_GAP;
			}
		}
	}
	/* after the last piece, outwards */
	if (guesses && np > 0) {
		n += end_guesses(r, g, w, h, stride, reg, pcs[np - 1].x1 - 0.5f * cw, pitch, cw,
				 !full, &out[n],
				 ALPR_MIN(full ? 2 : GUESS_END_MAX, RECOGNIZE_MAX_CHARS - n));
	}
	doubt_ends(out, n, cw);
	doubt_light_ink(out, n);
	struct rec_span span[RECOGNIZE_MAX_CHARS];
	for (int k = 0; k < n; k++) {
		span[k] = (struct rec_span){out[k].x0, out[k].x1};
		pos[k] = out[k].pos;
	}
	return rec_merge_twins(span, pos, n);
}

int rec_dump_rows(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
		  rec_dump_fn fn, void *arg)
{
	int rc = rec_locate(&r->loc, g, w, h, stride);
	if (rc < 0) {
		return rc;
	}
	uint8_t patches[RECOGNIZE_MAX_CHARS][REC_PATCH_W * REC_PATCH_H];
	for (int i = 0; i < r->loc.nregions && i < OCR_MAX_ROWS; i++) {
		const struct rec_region *reg = &r->loc.regions[i];
		float x0[RECOGNIZE_MAX_CHARS], x1[RECOGNIZE_MAX_CHARS];
		int np = row_pieces(reg, x0, x1, RECOGNIZE_MAX_CHARS);
		if (np > RECOGNIZE_MAX_CHARS) {
			continue;
		}
		for (int k = 0; k < np; k++) {
			cut_patch(r, g, w, h, stride, reg, x0[k], x1[k]);
			memcpy(patches[k], r->patch, sizeof(r->patch));
		}
		fn(arg, reg, &patches[0][0], np);
	}
	return 0;
}

static void plate_geometry(const struct rec_region *reg, struct recognize_plate *p)
{
	/* A US plate is 12 x 6 inches with characters about 2.75 inches tall: the plate is
	 * about twice the character height tall and a character height wider than the row. */
	float ch = reg->char_h;
	float norm = sqrtf(1 + reg->slope * reg->slope);
	float dx = 1 / norm, dy = reg->slope / norm;
	float u0 = reg->x0 - reg->cx - 0.4f * ch, u1 = reg->x1 - reg->cx + 0.4f * ch;
	float v0 = -1.05f * ch, v1 = 0.95f * ch;
	/* A plate is twice as wide as tall: a box much narrower than that holds only part of
	 * the row (characters lost to the frame or to each other), so widen it about the
	 * row's centre (us-dev: one more plate overlapping its truth, mean IoU 0.735 -> 0.740). */
	float minw = 1.8f * (v1 - v0);
	if (u1 - u0 < minw) {
		float mid = (u0 + u1) * 0.5f;
		u0 = mid - 0.5f * minw;
		u1 = mid + 0.5f * minw;
	}
	float us[4] = {u0, u1, u1, u0}, vs[4] = {v0, v0, v1, v1};
	float minx = 1e9f, miny = 1e9f, maxx = -1e9f, maxy = -1e9f;
	for (int i = 0; i < 4; i++) {
		float x = reg->cx + us[i] * dx - vs[i] * dy, y = reg->cy + us[i] * dy + vs[i] * dx;
		p->corners[i][0] = (int)lrintf(x);
		p->corners[i][1] = (int)lrintf(y);
		minx = fminf(minx, x);
		miny = fminf(miny, y);
		maxx = fmaxf(maxx, x);
		maxy = fmaxf(maxy, y);
	}
	p->x = (int)lrintf(minx);
	p->y = (int)lrintf(miny);
	p->w = (int)lrintf(maxx - minx);
	p->h = (int)lrintf(maxy - miny);
}

static float box_overlap(const struct recognize_plate *a, const struct recognize_plate *b)
{
	int ix = ALPR_MIN(a->x + a->w, b->x + b->w) - ALPR_MAX(a->x, b->x);
	int iy = ALPR_MIN(a->y + a->h, b->y + b->h) - ALPR_MAX(a->y, b->y);
	if (ix <= 0 || iy <= 0) {
		return 0;
	}
	return (float)ix * iy / (float)ALPR_MIN(a->w * a->h, b->w * b->h);
}

/* A state read from the plate at least this sure (0..100) decides its syntax. */
#define STATE_SURE 80.0f

/* The plate's candidates, text and per-character confidences from its positions. False when
 * the best reading is not a plate (too short, too long, too unsure). */
static bool fill_text(struct recognizer *r, const struct rec_position *pos, int n,
		      const char *state, bool state_read, struct recognize_plate *p)
{
	p->ncandidates =
		rec_candidates_ex(pos, n, &r->syntax, state, state_read, r->topn, p->candidates);
	if (p->ncandidates == 0) {
		return false;
	}
	const struct recognize_candidate *best = &p->candidates[0];
	int len = (int)strlen(best->text);
	if (len < MIN_PLATE_CHARS || len > MAX_PLATE_CHARS ||
	    best->confidence < MIN_PLATE_CONFIDENCE) {
		return false;
	}
	alpr_strlcpy(p->text, best->text, sizeof(p->text));
	p->confidence = best->confidence;
	/* per-character confidence: the OCR's for characters it read as they stand */
	p->nchars = len;
	for (int c = 0; c < len; c++) {
		float cc = 0;
		for (int k = 0; k < n; k++) {
			for (int a = 0; a < pos[k].nalts; a++) {
				if (pos[k].ch[a] == best->text[c] &&
				    (k == c || k == c + 1 || k + 1 == c)) {
					cc = fmaxf(cc, pos[k].p[a] * 100.0f);
				}
			}
		}
		p->char_confidence[c] = cc;
	}
	return true;
}

/* A state name or slogan row may hold more characters than a registration
 * (PENNSYLVANIA, NORTHDAKOTA, LIVEFREEORDIE): such a row is read for the state only. */
#define STATE_ROW_MAX 24

struct read_row {
	const struct rec_region *reg;
	bool is_long; /* read too long for a plate: its text is read by plate_state() */
	char text[RECOGNIZE_MAX_CHARS + 1];
};

/* The characters of a row too long for a plate, as the classifier reads them one piece
 * each, into @text (STATE_ROW_MAX + 1); empty when longer still. */
static void read_long_row(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
			  const struct rec_region *reg, char *text)
{
	struct piece pcs[STATE_ROW_MAX];
	int np = classify_row(r, g, w, h, stride, reg, pcs, STATE_ROW_MAX), n = 0;
	for (int k = 0; k < np && np <= STATE_ROW_MAX; k++) {
		if (pcs[k].is_char) {
			text[n++] = pcs[k].pos.ch[0];
		}
	}
	text[n] = '\0';
}

/* The issuing state, from rows of smaller lettering just above or below the registration
 * that name a state (data/plates/us-state-names.tsv). Leaves p->state empty when none does,
 * or when two rows name different states. */
static void plate_state(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
			const struct rec_region *plate, const struct read_row *rows, int nrows,
			struct recognize_plate *p)
{
	p->state[0] = '\0';
	p->state_confidence = 0;
	for (int i = 0; i < nrows; i++) {
		const struct rec_region *a = rows[i].reg;
		float ix = fminf(a->x1, plate->x1) - fmaxf(a->x0, plate->x0);
		if (a == plate || a->char_h > 0.85f * plate->char_h || ix <= 0 ||
		    fabsf(a->cy - plate->cy) > 2.5f * plate->char_h) {
			continue;
		}
		char long_text[STATE_ROW_MAX + 1];
		const char *text = rows[i].text;
		if (rows[i].is_long) {
			read_long_row(r, g, w, h, stride, a, long_text);
			text = long_text;
		}
		float score;
		const char *st = rec_state_match(&r->states, text, &score);
		if (!st) {
			continue;
		}
		if (p->state[0] && strcmp(p->state, st) != 0) {
			p->state[0] = '\0'; /* two rows, two states: say nothing */
			p->state_confidence = 0;
			return;
		}
		alpr_strlcpy(p->state, st, sizeof(p->state));
		p->state_confidence = fmaxf(p->state_confidence, 100.0f * score);
	}
}

/* How far from a registration's centre line, in its character heights, the lettering of its
 * own plate and frame lies: a plate is about two character heights tall. */
#define STACK_REACH 1.5f
/* Half a plate's width, in its character heights (a US plate is 12 inches wide, its
 * characters about 2.75 inches tall), and its margin past a row's ends (plate_geometry()). */
#define PLATE_HALF_W 2.2f
#define PLATE_END    0.5f

/*
 * A plate's registration is its tallest lettering: a row of clearly smaller lettering on
 * the plate of a taller row is the state name, a slogan, a logo's or a sticker's words or
 * a dealer's name, however well it reads, and is ranked down. On the plate: within
 * STACK_REACH of the taller row's centre line, and overlapping the plate's width (the
 * row and PLATE_END past its ends, or PLATE_HALF_W character heights either side of its
 * middle, whichever is wider):
 * above or below the registration, inside its band (a graphic's lettering between its
 * character groups) or beside it (Michigan's DONATE LIFE logo left of DONOR, a month
 * sticker's digits at a corner). Lettering further away is not the plate's own: a bus's
 * or a van's painted words above its plate, twice the plate's character height, say
 * nothing about the plate's row (us-dev: two plates under such words were ranked down, at
 * 1.8 and 2.5 of the words' heights; the plates-dev state names and slogans lie within
 * 0.8). A row proposed by a plate rectangle is no taller row: its character height is
 * half the rectangle's, a guess. owner[i] is the taller row whose plate row i is on, or -1.
 */
static void demote_stacked(const struct rec_region *const *row, float *rank, int *owner, int n)
{
	for (int i = 0; i < n; i++) {
		owner[i] = -1;
		for (int j = 0; j < n; j++) {
			const struct rec_region *a = row[i], *b = row[j];
			float mid = 0.5f * (b->x0 + b->x1);
			float px0 = fminf(b->x0 - PLATE_END * b->char_h,
					  mid - PLATE_HALF_W * b->char_h);
			float px1 = fmaxf(b->x1 + PLATE_END * b->char_h,
					  mid + PLATE_HALF_W * b->char_h);
			if (i != j && !b->from_rect && fminf(a->x1, px1) > fmaxf(a->x0, px0) &&
			    b->char_h > 1.3f * a->char_h &&
			    fabsf(a->cy - b->cy) < STACK_REACH * b->char_h) {
				rank[i] *= 0.2f;
				owner[i] = j;
				break;
			}
		}
	}
}

/*
 * A plate read twice, from a row of its character blobs and from a row its rectangle
 * proposed (locate.c: plate_row), keeps the blobs' reading unless the rectangle's reads
 * more characters: the blobs place the characters better; the rectangle finds those the
 * blobs lost to the frame or to each other.
 */
static void prefer_blob_rows(const struct rec_region *const *row,
			     const struct recognize_plate *found, float *rank, int n)
{
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < n; j++) {
			if (!row[i]->from_rect || row[j]->from_rect ||
			    box_overlap(&found[i], &found[j]) <= 0.5f ||
			    strlen(found[i].text) > strlen(found[j].text)) {
				continue;
			}
			rank[i] = fminf(rank[i], 0.99f * rank[j]);
		}
	}
}

/* A row and its reading. */
struct row_reading {
	const struct rec_region *reg;
	struct rec_region moved; /* the row's band moved (read_again), when reg points here */
	int n;
	struct rec_position pos[RECOGNIZE_MAX_CHARS];
};

/* The confidence (0..100) of a row's best plate reading; 0 when it reads as no plate. */
static float reading_confidence(struct recognizer *r, const struct rec_position *pos, int n)
{
	struct recognize_plate q;
	if (n < MIN_PLATE_CHARS - 1 || n > RECOGNIZE_MAX_CHARS) {
		return 0;
	}
	memset(&q, 0, sizeof(q));
	return fill_text(r, pos, n, r->state, false, &q) ? q.confidence : 0;
}

/* A frame none of whose rows reads at AGAIN_BELOW or better (a plate's confidence, 0..100)
 * is read again (read_again()). A row's reading from a moved band replaces its own when it
 * is AGAIN_GAIN times as sure. The moved bands keep AGAIN_KEEP of the row's character
 * height at its top or at its bottom, or AGAIN_MID of it about its middle. Measured on both
 * eval sets (docs/benchmarks.md): AGAIN_BELOW 45-55, AGAIN_GAIN 1.3-1.5, AGAIN_KEEP
 * 0.8-0.82 and AGAIN_MID 0.65-0.75 read the same; below 45, a gain of 1.15 or a top or
 * bottom band of 0.78 lose a plate, one of 0.85 reads a dealer frame's lettering into it. */
#define AGAIN_BELOW 50.0f
#define AGAIN_GAIN  1.4f
#define AGAIN_KEEP  0.8f
#define AGAIN_MID   0.7f

/* Reads rows [@from, @to) of @rd again in moved bands (read_again()), each keeping the
 * surest reading. True when one of them now reads as a sure plate. */
static bool move_bands(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
		       struct row_reading *rd, float *conf, int from, int to)
{
	bool sure = false;
	for (int i = from; i < to; i++) {
		if (rd[i].n < MIN_PLATE_CHARS || rd[i].n > MAX_PLATE_CHARS) {
			continue;
		}
		const struct rec_region *reg = rd[i].reg;
		for (int side = -1; side <= 1; side++) {
			struct rec_region a = *reg;
			float keep = side ? AGAIN_KEEP : AGAIN_MID;
			a.char_h = keep * reg->char_h;
			a.cy = reg->cy + (float)side * 0.5f * (1 - keep) * reg->char_h;
			struct rec_position pos[RECOGNIZE_MAX_CHARS];
			int n = read_chars(r, g, w, h, stride, &a, pos);
			float c = reading_confidence(r, pos, n);
			if (c > AGAIN_GAIN * conf[i]) {
				conf[i] = c;
				rd[i].moved = a;
				rd[i].reg = &rd[i].moved;
				rd[i].n = n;
				memcpy(rd[i].pos, pos, sizeof(pos));
			}
		}
		sure |= conf[i] >= AGAIN_BELOW;
	}
	return sure;
}

/*
 * A second look at a frame where no row reads as a sure plate. Two causes, seen on the
 * plates in dark dealer frames of the eval scenes:
 * - The plate's row is ranked past the rows read (its characters merged with the frame's
 *   bars score worse than the scene's clutter): the rows up to READ_MAX_ROWS are read too.
 * - A row's character height and centre line come from its blobs: characters that touch a
 *   frame's dark band under them (its lettering cut out of it in white) or lettering over
 *   them are labelled with it, and a plate rectangle's row has half the rectangle's height
 *   for its characters, a guess. Such a row is taller than its characters and off their
 *   middle; its patches are cut too tall, the characters small and off centre in them with
 *   the frame's lettering in the margin, and they read unsurely or as other characters.
 *   Every row that reads as a plate's length is read again in the top and in the bottom
 *   of its band and about its middle, and the surest reading kept.
 * The moved bands of the first rows come first: the rows past them are read only when those
 * still read no sure plate (the same figures on the eval sets as reading them at once, 3%
 * fewer characters classified on us-dev). Frames with a sure plate, most of them, cost
 * nothing more. Returns the rows now in @rd.
 */
static int read_again(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
		      struct row_reading *rd, int nrd)
{
	float conf[READ_MAX_ROWS];
	for (int i = 0; i < nrd; i++) {
		conf[i] = reading_confidence(r, rd[i].pos, rd[i].n);
		if (conf[i] >= AGAIN_BELOW) {
			return nrd;
		}
	}
	if (move_bands(r, g, w, h, stride, rd, conf, 0, nrd)) {
		return nrd;
	}
	int first = nrd;
	for (; nrd < r->loc.nregions && nrd < READ_MAX_ROWS; nrd++) {
		rd[nrd].reg = &r->loc.regions[nrd];
		rd[nrd].n = read_chars(r, g, w, h, stride, rd[nrd].reg, rd[nrd].pos);
		conf[nrd] = reading_confidence(r, rd[nrd].pos, rd[nrd].n);
	}
	for (int i = first; i < nrd; i++) {
		if (conf[i] >= AGAIN_BELOW) {
			return nrd;
		}
	}
	move_bands(r, g, w, h, stride, rd, conf, first, nrd);
	return nrd;
}

static int read_frame(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
		      struct recognize_result *out)
{
	int64_t t0 = alpr_monotonic_us();
	int rc = rec_locate(&r->loc, g, w, h, stride);
	if (rc < 0) {
		return rc;
	}
	int64_t t1 = alpr_monotonic_us();
	out->nregions = r->loc.nregions;
	for (int i = 0; i < r->loc.nregions && i < RECOGNIZE_MAX_REGIONS; i++) {
		struct recognize_plate tmp;
		plate_geometry(&r->loc.regions[i], &tmp);
		out->regions[i].x = tmp.x;
		out->regions[i].y = tmp.y;
		out->regions[i].w = tmp.w;
		out->regions[i].h = tmp.h;
		out->regions[i].score = r->loc.regions[i].score;
	}
	struct recognize_plate found[READ_MAX_ROWS];
	float rank[READ_MAX_ROWS];
	const struct rec_region *row[READ_MAX_ROWS];
	struct read_row rows[READ_MAX_ROWS];
	int nrows = 0;
	struct rec_position fpos[READ_MAX_ROWS][RECOGNIZE_MAX_CHARS];
	int fn[READ_MAX_ROWS];
	int nfound = 0;
	struct row_reading rd[READ_MAX_ROWS];
	int nrd = 0;
	for (; nrd < r->loc.nregions && nrd < OCR_MAX_ROWS; nrd++) {
		struct row_reading *e = &rd[nrd];
		e->reg = &r->loc.regions[nrd];
		if (r->chars) {
			e->n = read_chars(r, g, w, h, stride, e->reg, e->pos);
		} else {
			int bh, bw = cut_band(r, g, w, h, stride, e->reg, &bh);
			e->n = read_band(r, bw, bh, e->pos);
		}
		out->nread++;
		if (e->n < 0) {
			return e->n;
		}
	}
	if (r->chars) {
		int more = read_again(r, g, w, h, stride, rd, nrd);
		out->nread += more - nrd;
		nrd = more;
	}
	for (int i = 0; i < nrd; i++) {
		const struct rec_region *reg = rd[i].reg;
		const struct rec_position *pos = rd[i].pos;
		int n = rd[i].n;
		if (n > RECOGNIZE_MAX_CHARS) {
			/* no plate; perhaps a long state name, read only beside a chosen plate */
			rows[nrows].reg = reg;
			rows[nrows].is_long = r->chars != NULL;
			rows[nrows++].text[0] = '\0';
			continue;
		}
		/* every row's best reading, for the state name (plate_state()) */
		rows[nrows].reg = reg;
		rows[nrows].is_long = false;
		for (int k = 0; k < n; k++) {
			rows[nrows].text[k] = pos[k].ch[0];
		}
		rows[nrows].text[n] = '\0';
		nrows++;
		if (n < MIN_PLATE_CHARS - 1) {
			continue;
		}
		struct recognize_plate *p = &found[nfound];
		memset(p, 0, sizeof(*p));
		if (!fill_text(r, pos, n, r->state, false, p)) {
			continue;
		}
		const struct recognize_candidate *best = &p->candidates[0];
		memcpy(fpos[nfound], pos, sizeof(pos[0]) * (size_t)n);
		fn[nfound] = n;
		p->light_on_dark = reg->light_on_dark;
		plate_geometry(reg, p);
		rank[nfound] = p->confidence * (best->syntax_match ? 1.0f : 0.6f) *
			       (0.5f + 0.5f * reg->score);
		row[nfound] = reg;
		nfound++;
	}
	int owner[READ_MAX_ROWS];
	bool shown[READ_MAX_ROWS] = {false};
	demote_stacked(row, rank, owner, nfound);
	prefer_blob_rows(row, found, rank, nfound);
	/* Best first; one result per plate: two rows of one plate overlap, and the lettering
	 * of a plate reported (its state name, a slogan, a logo's or a sticker's words beside
	 * the registration: demote_stacked()) is that plate's, not a vehicle's. Reported, it
	 * was a read of no vehicle, stored and matched as one, often surer than the
	 * registration (plates-dev: a month sticker's 2007, Michigan's DONATE, FIRE FIGHTER;
	 * 4 crops where a plate after the first read surer than the first). */
	out->nplates = 0;
	for (;;) {
		int bi = -1;
		for (int i = 0; i < nfound; i++) {
			if (rank[i] >= 0 && (bi < 0 || rank[i] > rank[bi])) {
				bi = i;
			}
		}
		if (bi < 0 || out->nplates >= r->max_plates) {
			break;
		}
		rank[bi] = -1;
		bool dup = owner[bi] >= 0 && shown[owner[bi]];
		for (int j = 0; j < out->nplates && !dup; j++) {
			dup = box_overlap(&found[bi], &out->plates[j]) > 0.5f;
		}
		if (!dup) {
			struct recognize_plate *p = &found[bi];
			plate_state(r, g, w, h, stride, row[bi], rows, nrows, p);
			/* A plate whose state is read from its own lettering is ranked by that
			 * state's syntaxes alone: fitting another state's is no evidence. */
			if (!r->state[0] && p->state[0] && p->state_confidence >= STATE_SURE) {
				struct recognize_plate q = *p;
				if (fill_text(r, fpos[bi], fn[bi], p->state, true, &q)) {
					*p = q;
				}
			}
			out->plates[out->nplates++] = *p;
			shown[bi] = true;
		}
	}
	int64_t t2 = alpr_monotonic_us();
	out->locate_ms = (double)(t1 - t0) / 1000.0;
	out->ocr_ms = (double)(t2 - t1) / 1000.0;
	return 0;
}

static int grow_grey(struct recognizer *r, size_t n)
{
	if (n <= r->grey_cap) {
		return 0;
	}
	uint8_t *p = realloc(r->grey, n);
	if (!p) {
		return -ENOMEM;
	}
	r->grey = p;
	r->grey_cap = n;
	return 0;
}

int recognize_frame(struct recognizer *r, const uint8_t *pixels, int width, int height,
		    size_t stride, enum recognize_format format, struct recognize_result *out)
{
	if (!r || !pixels || !out || width <= 0 || height <= 0 ||
	    (format != RECOGNIZE_GREY8 && format != RECOGNIZE_RGB24)) {
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (width > RECOGNIZE_MAX_SIDE || height > RECOGNIZE_MAX_SIDE ||
	    (uint64_t)width * (uint64_t)height > RECOGNIZE_MAX_PIXELS) {
		return -EFBIG;
	}
	if (stride < (size_t)width * (size_t)format) {
		return -EINVAL;
	}
	if (format == RECOGNIZE_GREY8) {
		return read_frame(r, pixels, width, height, stride, out);
	}
	int rc = grow_grey(r, (size_t)width * height);
	if (rc < 0) {
		return rc;
	}
	for (int y = 0; y < height; y++) {
		const uint8_t *s = pixels + (size_t)y * stride;
		uint8_t *d = r->grey + (size_t)y * width;
		for (int x = 0; x < width; x++) {
			/* ITU-R BT.601 luma, in integers */
			d[x] = (uint8_t)((77 * s[3 * x] + 150 * s[3 * x + 1] + 29 * s[3 * x + 2]) >>
					 8);
		}
	}
	return read_frame(r, r->grey, width, height, (size_t)width, out);
}

/* ---- encoded images -------------------------------------------------------------------- */

static int fail(char *err, size_t errsz, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errsz, int rc, const char *fmt, ...)
{
	if (errsz) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int check_size(int w, int h, char *err, size_t errsz)
{
	if (w <= 0 || h <= 0) {
		return fail(err, errsz, -ALPR_E_CORRUPT, "damaged image (size %dx%d)", w, h);
	}
	if (w > RECOGNIZE_MAX_SIDE || h > RECOGNIZE_MAX_SIDE ||
	    (uint64_t)w * (uint64_t)h > RECOGNIZE_MAX_PIXELS) {
		return fail(err, errsz, -EFBIG, "image too large (%dx%d, at most %u pixels)", w, h,
			    RECOGNIZE_MAX_PIXELS);
	}
	return 0;
}

/* libjpeg's error manager: errors jump back, warnings are counted, nothing is printed. */
struct jpeg_guard {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
	char msg[JMSG_LENGTH_MAX];
};

static void jpeg_fatal(j_common_ptr cinfo)
{
	struct jpeg_guard *g = (struct jpeg_guard *)cinfo->err;
	g->mgr.format_message(cinfo, g->msg);
	longjmp(g->jump, 1);
}

static void jpeg_quiet(j_common_ptr cinfo)
{
	(void)cinfo;
}

/*
 * Decodes a JPEG straight to grey with libjpeg (Leptonica's reader lets libjpeg print its
 * warnings on stderr). A JPEG that decodes with any warning (truncated, corrupt entropy
 * data) is refused: a half-grey frame is not a frame.
 */
static int check_size(int w, int h, char *err, size_t errsz);
static int grow_grey(struct recognizer *r, size_t n);

static int decode_jpeg(struct recognizer *r, const uint8_t *data, size_t len, int *wp, int *hp,
		       char *err, size_t errsz)
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_guard g;
	memset(&cinfo, 0, sizeof(cinfo));
	memset(&g, 0, sizeof(g));
	cinfo.err = jpeg_std_error(&g.mgr);
	g.mgr.error_exit = jpeg_fatal;
	g.mgr.output_message = jpeg_quiet;
	if (setjmp(g.jump)) {
		jpeg_destroy_decompress(&cinfo);
		return fail(err, errsz, -ALPR_E_CORRUPT, "damaged JPEG (%s)", g.msg);
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, data, (unsigned long)len);
	jpeg_read_header(&cinfo, TRUE);
	int w = (int)cinfo.image_width, h = (int)cinfo.image_height;
	int rc = check_size(w, h, err, errsz);
	if (rc == 0 && (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK)) {
		rc = fail(err, errsz, -ALPR_E_CORRUPT, "unsupported JPEG (CMYK)");
	}
	if (rc == 0 && grow_grey(r, (size_t)w * h) < 0) {
		rc = fail(err, errsz, -ENOMEM, "out of memory");
	}
	if (rc < 0) {
		jpeg_destroy_decompress(&cinfo);
		return rc;
	}
	cinfo.out_color_space = JCS_GRAYSCALE;
	jpeg_start_decompress(&cinfo);
	if ((int)cinfo.output_width != w || (int)cinfo.output_height != h ||
	    cinfo.output_components != 1) {
		jpeg_destroy_decompress(&cinfo);
		return fail(err, errsz, -ALPR_E_CORRUPT, "damaged JPEG (inconsistent size)");
	}
	uint8_t *out = r->grey;
	*wp = w;
	*hp = h;
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW row = out + (size_t)cinfo.output_scanline * w;
		jpeg_read_scanlines(&cinfo, &row, 1);
		if (g.mgr.num_warnings > 0) {
			break;
		}
	}
	if (g.mgr.num_warnings > 0) {
		jpeg_destroy_decompress(&cinfo);
		return fail(err, errsz, -ALPR_E_CORRUPT, "damaged or truncated image");
	}
	jpeg_finish_decompress(&cinfo);
	bool warned = g.mgr.num_warnings > 0;
	jpeg_destroy_decompress(&cinfo);
	if (warned) {
		return fail(err, errsz, -ALPR_E_CORRUPT, "damaged or truncated image");
	}
	return 0;
}

int recognize_image(struct recognizer *r, const uint8_t *data, size_t len,
		    struct recognize_result *out, char *err, size_t errsz)
{
	if (errsz) {
		err[0] = '\0';
	}
	if (!r || !out || (!data && len)) {
		return fail(err, errsz, -EINVAL, "invalid arguments");
	}
	memset(out, 0, sizeof(*out));
	if (len == 0) {
		return fail(err, errsz, -EINVAL, "empty file");
	}
	if (len > RECOGNIZE_MAX_FILE_BYTES) {
		return fail(err, errsz, -EFBIG, "file larger than %u MiB",
			    RECOGNIZE_MAX_FILE_BYTES >> 20);
	}
	l_int32 format = IFF_UNKNOWN, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
	if (len < 12 || findFileFormatBuffer(data, &format) != 0 || format == IFF_UNKNOWN) {
		return fail(err, errsz, -EINVAL, "not an image (unknown format)");
	}
	int rc;
	if (format == IFF_JFIF_JPEG) {
		rc = decode_jpeg(r, data, len, &w, &h, err, errsz);
		if (rc < 0) {
			return rc;
		}
		rc = read_frame(r, r->grey, w, h, (size_t)w, out);
		if (rc < 0) {
			return fail(err, errsz, rc, "recognition failed: %s", alpr_strerror(rc));
		}
		return 0;
	}
	if (pixReadHeaderMem(data, len, &format, &w, &h, &bps, &spp, &cmap) != 0) {
		return fail(err, errsz, -ALPR_E_CORRUPT, "damaged image (unreadable header)");
	}
	rc = check_size(w, h, err, errsz);
	if (rc < 0) {
		return rc;
	}
	/* A PNG ends with its IEND chunk: refuse a truncated one here, before libpng prints
	 * its own complaint on stderr. */
	static const uint8_t iend[] = {'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
	if (format == IFF_PNG && (len < 8 + sizeof(iend) ||
				  memcmp(data + len - sizeof(iend), iend, sizeof(iend)) != 0)) {
		return fail(err, errsz, -ALPR_E_CORRUPT, "damaged or truncated image");
	}
	PIX *pix = pixReadMem(data, len);
	if (!pix) {
		return fail(err, errsz, -ALPR_E_CORRUPT, "damaged or truncated image");
	}
	PIX *g = pixConvertTo8(pix, 0);
	pixDestroy(&pix);
	if (!g || pixGetDepth(g) != 8 || pixGetWidth(g) != w || pixGetHeight(g) != h) {
		pixDestroy(&g);
		return fail(err, errsz, -ALPR_E_CORRUPT, "unsupported image layout");
	}
	rc = grow_grey(r, (size_t)w * h);
	if (rc < 0) {
		pixDestroy(&g);
		return fail(err, errsz, rc, "out of memory");
	}
	l_uint32 *data32 = pixGetData(g);
	l_int32 wpl = pixGetWpl(g);
	for (int y = 0; y < h; y++) {
		l_uint32 *line = data32 + (size_t)y * wpl;
		uint8_t *d = r->grey + (size_t)y * w;
		for (int x = 0; x < w; x++) {
			d[x] = (uint8_t)GET_DATA_BYTE(line, x);
		}
	}
	pixDestroy(&g);
	rc = read_frame(r, r->grey, w, h, (size_t)w, out);
	if (rc < 0) {
		return fail(err, errsz, rc, "recognition failed: %s", alpr_strerror(rc));
	}
	return 0;
}

int recognize_file(struct recognizer *r, const char *path, struct recognize_result *out, char *err,
		   size_t errsz)
{
	if (errsz) {
		err[0] = '\0';
	}
	if (!r || !path || !out) {
		return fail(err, errsz, -EINVAL, "invalid arguments");
	}
	memset(out, 0, sizeof(*out));
	char *buf = NULL;
	size_t len = 0;
	int rc = alpr_read_file(path, RECOGNIZE_MAX_FILE_BYTES, &buf, &len);
	if (rc < 0) {
		return fail(err, errsz, rc, "%s",
			    rc == -EFBIG ? "file too large" : alpr_strerror(rc));
	}
	rc = recognize_image(r, (const uint8_t *)buf, len, out, err, errsz);
	free(buf);
	return rc;
}
