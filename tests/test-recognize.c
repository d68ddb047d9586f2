/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * Tests for app/recognize: synthetic plates with known text (generated here from a fixed seed
 * with Leptonica's built-in bitmap font, placed skewed in a cluttered 720p scene), hostile
 * image files, the frame API's limits, the syntax table and candidate ranking, and the
 * alpr-read tool as a user runs it.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <leptonica/allheaders.h>

#include "check.h"
#include "common.h"
#include "recognize-private.h"
#include "recognize.h"

/* ---- a small deterministic generator --------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *g)
{
	g->s = g->s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(g->s >> 33);
}

/* uniform in [lo, hi] */
static int rnd_in(struct rng *g, int lo, int hi)
{
	return lo + (int)(rnd(g) % (uint32_t)(hi - lo + 1));
}

static float rnd_f(struct rng *g, float lo, float hi)
{
	return lo + (hi - lo) * (float)(rnd(g) % 10001) / 10000.0f;
}

static void random_text(struct rng *g, char *out)
{
	static const char *const patterns[] = {"AAA9999", "9AAA999", "AA99999", "999AAA",
					       "AAA999",  "9AA9999", "AAA9A99"};
	/* Letters Leptonica's font draws unlike any digit (its O and 0 are one shape, so are
	 * its I and 1): the test is about finding and reading, not about that font. */
	static const char letters[] = "ABCEFGHJKLMNPRTUVWXYZ";
	static const char digits[] = "23456789";
	const char *p = patterns[rnd(g) % ALPR_ARRAY_SIZE(patterns)];
	size_t i = 0;
	for (; p[i]; i++) {
		out[i] = p[i] == 'A' ? letters[rnd(g) % (sizeof(letters) - 1)]
				     : digits[rnd(g) % (sizeof(digits) - 1)];
	}
	out[i] = '\0';
}

struct image {
	int w, h;
	uint8_t *px;
};

static uint8_t get_px(const struct image *im, int x, int y)
{
	return im->px[(size_t)y * im->w + x];
}

/* Renders @text dark on white, characters @char_h pixels tall, into a new grey image. */
static struct image render_text(L_BMF *bmf, const char *text, int char_h, struct rng *g)
{
	PIX *line = pixCreate(60 * (int)strlen(text) + 60, 80, 8);
	pixSetAll(line);
	int x = 10;
	for (const char *c = text; *c; c++) {
		char one[2] = {*c, '\0'};
		l_int32 wd = 0, over = 0;
		pixSetTextline(line, bmf, one, 0, x, 55, &wd, &over);
		x += wd + 4 + rnd_in(g, 0, 2);
	}
	/* the ink's bounding box */
	int w = pixGetWidth(line), h = pixGetHeight(line);
	int x0 = w, y0 = h, x1 = -1, y1 = -1;
	for (int y = 0; y < h; y++) {
		l_uint32 *row = pixGetData(line) + (size_t)y * pixGetWpl(line);
		for (int xx = 0; xx < w; xx++) {
			if (GET_DATA_BYTE(row, xx) < 128) {
				x0 = ALPR_MIN(x0, xx);
				x1 = ALPR_MAX(x1, xx);
				y0 = ALPR_MIN(y0, y);
				y1 = ALPR_MAX(y1, y);
			}
		}
	}
	BOX *box = boxCreate(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
	PIX *ink = pixClipRectangle(line, box, NULL);
	/* plate lettering is tall and narrow */
	float sy = (float)char_h / (float)(y1 - y0 + 1), sx = sy * rnd_f(g, 0.65f, 0.85f);
	PIX *scaled = pixScale(ink, sx, sy);
	struct image out = {pixGetWidth(scaled), pixGetHeight(scaled), NULL};
	out.px = alpr_xmalloc((size_t)out.w * out.h);
	for (int y = 0; y < out.h; y++) {
		l_uint32 *row = pixGetData(scaled) + (size_t)y * pixGetWpl(scaled);
		for (int xx = 0; xx < out.w; xx++) {
			out.px[(size_t)y * out.w + xx] = (uint8_t)GET_DATA_BYTE(row, xx);
		}
	}
	pixDestroy(&scaled);
	pixDestroy(&ink);
	boxDestroy(&box);
	pixDestroy(&line);
	return out;
}

struct scene {
	struct image im;
	char text[16];
	int cx, cy;  /* the plate's centre */
	int char_h;  /* the characters' height, before rotation */
	int text_w;  /* the row's width, before rotation */
	float angle; /* radians */
	bool light;  /* light characters on a dark plate */
};

/* What make_scene_opts() varies; make_scene() is the synthetic-plates case's mix. */
struct scene_opts {
	int hmin, hmax;   /* character height, pixels */
	float amin, amax; /* |skew|, degrees */
	int light;        /* 0 dark on light, 1 light on dark, -1 one in four light */
	bool tight;       /* the frame's top and bottom bars touch the characters */
	bool broken;      /* every character broken across its middle */
};

static struct scene make_scene_opts(L_BMF *bmf, struct rng *g, const struct scene_opts *o);

/* A 1280x720 scene: a gradient, clutter (boxes, bars, stray glyph-sized blobs), a plate with
 * a frame and @text at a random place, size, angle and polarity, then noise. */
static struct scene make_scene(L_BMF *bmf, struct rng *g)
{
	return make_scene_opts(bmf, g, NULL);
}

static struct scene make_scene_opts(L_BMF *bmf, struct rng *g, const struct scene_opts *o)
{
	struct scene s = {.im = {1280, 720, NULL}};
	random_text(g, s.text);
	struct image *im = &s.im;
	im->px = alpr_xmalloc((size_t)im->w * im->h);
	int base = rnd_in(g, 60, 160), gx = rnd_in(g, -40, 40);
	for (int y = 0; y < im->h; y++) {
		for (int x = 0; x < im->w; x++) {
			im->px[(size_t)y * im->w + x] =
				(uint8_t)(base + gx * x / im->w + y * 40 / im->h);
		}
	}
	for (int k = 0; k < 30; k++) {
		int bw = rnd_in(g, 10, 300), bh = rnd_in(g, 3, 200);
		int bx = rnd_in(g, 0, im->w - bw - 1), by = rnd_in(g, 0, im->h - bh - 1);
		uint8_t v = (uint8_t)rnd_in(g, 0, 255);
		for (int y = by; y < by + bh; y++) {
			memset(im->px + (size_t)y * im->w + bx, v, (size_t)bw);
		}
	}
	int char_h = o ? rnd_in(g, o->hmin, o->hmax) : rnd_in(g, 14, 40);
	bool light = rnd_in(g, 0, 3) == 0;
	if (o && o->light >= 0) {
		light = o->light == 1;
	}
	struct image t = render_text(bmf, s.text, char_h, g);
	if (o && o->broken) {
		memset(t.px + (size_t)(t.h / 2) * t.w, 255, (size_t)t.w);
	}
	int pw = t.w + char_h, ph = 2 * char_h, border = ALPR_MAX(2, char_h / 8);
	if (o && o->tight) {
		/* a dealer's surround: bars above and below overlap the characters by a pixel */
		ph = t.h + 2 * border - 2;
	}
	int bg = light ? rnd_in(g, 20, 60) : rnd_in(g, 190, 240);
	int ink = light ? rnd_in(g, 200, 245) : rnd_in(g, 10, 60);
	struct image plate = {pw, ph, alpr_xmalloc((size_t)pw * ph)};
	for (int y = 0; y < ph; y++) {
		for (int x = 0; x < pw; x++) {
			bool edge =
				x < border || y < border || x >= pw - border || y >= ph - border;
			plate.px[(size_t)y * pw + x] = (uint8_t)(edge ? ink : bg);
		}
	}
	int ox = (pw - t.w) / 2, oy = (ph - t.h) / 2 + (o && o->tight ? 0 : char_h / 10);
	for (int y = 0; y < t.h; y++) {
		for (int x = 0; x < t.w; x++) {
			int a = 255 - get_px(&t, x, y); /* ink coverage */
			uint8_t *p = &plate.px[(size_t)(y + oy) * pw + x + ox];
			*p = (uint8_t)((*p * (255 - a) + ink * a) / 255);
		}
	}
	s.char_h = char_h;
	s.text_w = t.w;
	s.light = light;
	free(t.px);
	/* paste rotated about its centre, sampling bilinearly */
	float deg = o ? rnd_f(g, o->amin, o->amax) * (rnd_in(g, 0, 1) ? 1 : -1) : rnd_f(g, -10, 10);
	float ang = deg * (float)M_PI / 180.0f, ca = cosf(ang), sa = sinf(ang);
	s.angle = ang;
	int half = (int)(sqrtf((float)(pw * pw + ph * ph)) / 2) + 2;
	s.cx = rnd_in(g, half + 4, im->w - half - 5);
	s.cy = rnd_in(g, half + 4, im->h - half - 5);
	for (int y = s.cy - half; y <= s.cy + half; y++) {
		for (int x = s.cx - half; x <= s.cx + half; x++) {
			float dx = (float)(x - s.cx), dy = (float)(y - s.cy);
			float u = ca * dx + sa * dy + pw / 2.0f, v = -sa * dx + ca * dy + ph / 2.0f;
			if (u < 0 || v < 0 || u >= pw - 1 || v >= ph - 1) {
				continue;
			}
			int ui = (int)u, vi = (int)v;
			float fu = u - ui, fv = v - vi;
			float a = get_px(&plate, ui, vi), b = get_px(&plate, ui + 1, vi);
			float c = get_px(&plate, ui, vi + 1), d = get_px(&plate, ui + 1, vi + 1);
			float val = (a + fu * (b - a)) * (1 - fv) + (c + fu * (d - c)) * fv;
			im->px[(size_t)y * im->w + x] = (uint8_t)(val + 0.5f);
		}
	}
	free(plate.px);
	for (size_t i = 0; i < (size_t)im->w * im->h; i++) {
		int v = im->px[i] + rnd_in(g, -6, 6);
		im->px[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
	return s;
}

static struct recognizer *new_recognizer(int topn)
{
	struct recognize_options o = {.topn = topn};
	struct recognizer *r = NULL;
	CHECK_OK(recognize_create(&o, &r));
	return r;
}

/* Leptonica's bitmap font, which the synthetic plates are lettered in. */
static L_BMF *new_font(void)
{
	L_BMF *bmf = bmfCreate(NULL, 20);
	CHECK(bmf);
	return bmf;
}

/* Prints "@what: top-1 T, top-10 N of @n" and checks the stated rates. */
static void check_rates(const char *what, int top1, int topn, int n, int min1, int minn)
{
	printf("%s: top-1 %d, top-10 %d of %d\n", what, top1, topn, n);
	CHECK_MSG(top1 >= min1, "%s: top-1 %d of %d, stated %d", what, top1, n, min1);
	CHECK_MSG(topn >= minn, "%s: top-10 %d of %d, stated %d", what, topn, n, minn);
}

/* ---- cases ----------------------------------------------------------------------------- */

#define N_SYNTHETIC 24

static void test_synthetic_plates(void)
{
	struct rng g = {20240601};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	static struct recognize_result res;
	int found = 0, top1 = 0, topn = 0;
	for (int i = 0; i < N_SYNTHETIC; i++) {
		struct scene s = make_scene(bmf, &g);
		CHECK_OK(recognize_frame(r, s.im.px, s.im.w, s.im.h, (size_t)s.im.w,
					 RECOGNIZE_GREY8, &res));
		bool f = false, t1 = false, tn = false;
		for (int p = 0; p < res.nplates; p++) {
			const struct recognize_plate *pl = &res.plates[p];
			if (s.cx >= pl->x && s.cx < pl->x + pl->w && s.cy >= pl->y &&
			    s.cy < pl->y + pl->h) {
				f = true;
			}
			for (int c = 0; c < pl->ncandidates; c++) {
				tn |= strcmp(pl->candidates[c].text, s.text) == 0;
			}
		}
		t1 = res.nplates > 0 && strcmp(res.plates[0].text, s.text) == 0;
		found += f;
		top1 += t1;
		topn += tn;
		printf("  %-8s at %4d,%3d: %s%s\n", s.text, s.cx, s.cy,
		       res.nplates ? res.plates[0].text : "-",
		       t1   ? ""
		       : tn ? " (in top 10)"
			    : " (miss)");
		free(s.im.px);
	}
	printf("synthetic: found %d/%d, top-1 %d, top-10 %d\n", found, N_SYNTHETIC, top1, topn);
	/* The stated rates: at least 90% found, two in three read exactly, four in five with
	 * the truth among the candidates. Measured with Tesseract's eng model: found 24,
	 * top-1 21, top-10 22 (the misses are look-alikes and dropped characters). */
	CHECK_MSG(found >= N_SYNTHETIC * 90 / 100, "found %d of %d", found, N_SYNTHETIC);
	CHECK_MSG(top1 >= N_SYNTHETIC * 2 / 3, "top-1 %d of %d", top1, N_SYNTHETIC);
	CHECK_MSG(topn >= N_SYNTHETIC * 80 / 100, "top-10 %d of %d", topn, N_SYNTHETIC);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * Localisation alone, on the plates it used to miss: small ones, skewed ones, light on dark,
 * and characters touching a surround's bars. A plate is located when one of the rows sent
 * to OCR (the first six) lies on it, spans at least 85% of its characters' width and has
 * about their height. Measured at these seeds (40 scenes per kind): small 33, skewed 39,
 * light on dark 39, touching 37; before frame-bar erasure and row completion (f2e8463^):
 * 25, 34, 34 and 28, most of the misses rows cut short. Each stated rate is 2 to 4 scenes
 * under the measurement and above the old figure.
 */
#define N_LOCATE 40

static bool located(const struct rec_locator *l, const struct scene *s)
{
	float ca = fabsf(cosf(s->angle)), sa = fabsf(sinf(s->angle));
	/* the row's width and its characters' height as an upright box sees them */
	float want_w = (float)s->text_w * ca, want_h = (float)s->char_h * ca;
	for (int i = 0; i < l->nregions && i < 6; i++) {
		const struct rec_region *r = &l->regions[i];
		float pad = 0.5f * (float)s->char_h;
		bool on = (float)s->cx >= r->x0 - pad && (float)s->cx <= r->x1 + pad &&
			  (float)s->cy >= r->y0 - pad && (float)s->cy <= r->y1 + pad;
		float hr = r->char_h / want_h;
		if (on && r->x1 - r->x0 >= 0.85f * want_w && hr > 0.7f && hr < 1.3f + sa) {
			return true;
		}
	}
	return false;
}

static void test_locate_hard(void)
{
	static const struct {
		const char *name;
		struct scene_opts o;
		int min_found;
	} kinds[] = {
		/* plates 25-30 px tall in a 720p scene */
		{"small", {10, 13, 0, 5, -1, false, false}, 31},
		/* the brief's limit */
		{"skewed 10-15 deg", {14, 32, 10, 15, -1, false, false}, 36},
		{"light on dark", {12, 32, 0, 8, 1, false, false}, 36},
		{"touching the frame", {12, 32, 0, 5, 0, true, false}, 33},
	};
	L_BMF *bmf = new_font();
	struct rec_locator l;
	rec_locator_init(&l);
	for (size_t k = 0; k < ALPR_ARRAY_SIZE(kinds); k++) {
		struct rng g = {20261129 + k};
		int found = 0;
		for (int i = 0; i < N_LOCATE; i++) {
			struct scene s = make_scene_opts(bmf, &g, &kinds[k].o);
			CHECK_OK(rec_locate(&l, s.im.px, s.im.w, s.im.h, (size_t)s.im.w));
			bool f = located(&l, &s);
			found += f;
			if (!f) {
				printf("  %s: %-8s at %4d,%3d, %d px, %.1f deg, %s: not located\n",
				       kinds[k].name, s.text, s.cx, s.cy, s.char_h,
				       (double)(s.angle * 180.0f / (float)M_PI),
				       s.light ? "light" : "dark");
			}
			free(s.im.px);
		}
		printf("locate %s: %d/%d\n", kinds[k].name, found, N_LOCATE);
		CHECK_MSG(found >= kinds[k].min_found, "%s: located %d of %d, want %d",
			  kinds[k].name, found, N_LOCATE, kinds[k].min_found);
	}
	rec_locator_finish(&l);
	bmfDestroy(&bmf);
}

/* ---- scenes: what lies around the plate ------------------------------------------------ */

/* Blends rendered text @t (dark on white) into @im at (@x, @y) in grey @ink, over a box of
 * grey @bg reaching @pad pixels beyond the text (no box when @bg < 0). Clipped to @im. */
static void paste_text(struct image *im, const struct image *t, int x, int y, int ink, int bg,
		       int pad)
{
	for (int v = y - pad; v < y + t->h + pad; v++) {
		for (int u = x - pad; u < x + t->w + pad; u++) {
			if (u < 0 || v < 0 || u >= im->w || v >= im->h) {
				continue;
			}
			uint8_t *p = &im->px[(size_t)v * im->w + u];
			if (bg >= 0) {
				*p = (uint8_t)bg;
			}
			if (u >= x && v >= y && u < x + t->w && v < y + t->h) {
				int a = 255 - get_px(t, u - x, v - y);
				*p = (uint8_t)((*p * (255 - a) + ink * a) / 255);
			}
		}
	}
}

static bool plate_covers(const struct recognize_plate *p, int x, int y)
{
	return x >= p->x && x < p->x + p->w && y >= p->y && y < p->y + p->h;
}

/*
 * A camera's date and time stamp, light digits on a dark band along the frame's top or
 * bottom edge, is not a plate: reported, it is a false read sent to the hotlist (a stamp's
 * eight sure digits fit a numeric plate syntax and outrank a plate read less surely). Each
 * scene has a plate and a stamp; every other one has no plate at all, only the stamp and
 * clutter. Measured at this seed: this code reports the stamp in none of 16 scenes and reads
 * 5 of the 8 plates exactly (the synthetic-plates rate); before (6a1bfcc), it reported the
 * stamp in 9.
 */
#define N_STAMPS 16

static void test_date_stamp(void)
{
	struct rng g = {20261206};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	static struct recognize_result res;
	int stamped = 0, top1 = 0, plates = 0;
	for (int i = 0; i < N_STAMPS; i++) {
		struct scene_opts o = {16, 28, 0, 5, 0, false, false};
		struct scene s = make_scene_opts(bmf, &g, &o);
		bool with_plate = i % 2 == 0;
		if (!with_plate) {
			/* the plate painted over with the scene's own grey */
			int half = 3 * s.char_h + s.text_w / 2;
			for (int y = ALPR_MAX(s.cy - half, 0); y < ALPR_MIN(s.cy + half, s.im.h);
			     y++) {
				for (int x = ALPR_MAX(s.cx - half, 0);
				     x < ALPR_MIN(s.cx + half, s.im.w); x++) {
					s.im.px[(size_t)y * s.im.w + x] = 120;
				}
			}
		}
		char text[32];
		snprintf(text, sizeof(text), "20%02d-%02d-%02d %02d:%02d:%02d", rnd_in(&g, 10, 26),
			 rnd_in(&g, 1, 12), rnd_in(&g, 1, 28), rnd_in(&g, 0, 23), rnd_in(&g, 0, 59),
			 rnd_in(&g, 0, 59));
		int ch = rnd_in(&g, 10, 13);
		struct image t = render_text(bmf, text, ch, &g);
		bool top = rnd_in(&g, 0, 1);
		int sy = top ? rnd_in(&g, 3, 5) : s.im.h - t.h - rnd_in(&g, 3, 5);
		int sx = rnd_in(&g, 6, 40);
		/* white, outlined dark, straight on the scene */
		for (int k = 0; k < 4; k++) {
			paste_text(&s.im, &t, sx + (k & 1 ? 1 : -1), sy + (k & 2 ? 1 : -1), 20, -1,
				   0);
		}
		paste_text(&s.im, &t, sx, sy, rnd_in(&g, 225, 250), -1, 0);
		CHECK_OK(recognize_frame(r, s.im.px, s.im.w, s.im.h, (size_t)s.im.w,
					 RECOGNIZE_GREY8, &res));
		bool on_stamp = false;
		for (int p = 0; p < res.nplates; p++) {
			on_stamp |= plate_covers(&res.plates[p], sx + t.w / 2, sy + t.h / 2);
		}
		bool t1 = res.nplates > 0 && strcmp(res.plates[0].text, s.text) == 0;
		printf("  %-8s %s, stamp %s at %s: read %s%s\n", with_plate ? s.text : "(none)",
		       with_plate ? "" : "  ", text, top ? "top" : "bottom",
		       res.nplates ? res.plates[0].text : "-", on_stamp ? " (stamp reported)" : "");
		stamped += on_stamp;
		plates += with_plate;
		top1 += with_plate && t1;
		free(t.px);
		free(s.im.px);
	}
	printf("date stamps: reported %d of %d, plates read %d of %d\n", stamped, N_STAMPS, top1,
	       plates);
	CHECK_MSG(stamped == 0, "a date stamp was reported as a plate in %d of %d scenes", stamped,
		  N_STAMPS);
	CHECK_MSG(top1 >= plates / 2, "plates read %d of %d", top1, plates);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * A vehicle's painted lettering, twice the plate's character height or more, above the
 * plate (a bus's "SCHOOL BUS", a van's trade) is not the plate's own lettering: the plate's
 * row is read first. Before (6a1bfcc), any row stacked under a taller one within 2.5 of the
 * taller row's character heights was ranked down as a state name or a slogan, and the
 * painted word, read as a plate, came first. Measured at this seed: this code reports the
 * plate's row first in 10 of 12 scenes; before, in none.
 */
#define N_PAINTED 12

static void test_painted_lettering(void)
{
	static const char *const words[] = {"SCHOOL",  "FLASH",  "TRANSIT",
					    "PLUMBER", "LIGHTS", "CATERING"};
	struct rng g = {4242};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	static struct recognize_result res;
	int top1 = 0, n = 0;
	while (n < N_PAINTED) {
		struct scene_opts o = {14, 20, 0, 3, 0, false, false};
		struct scene s = make_scene_opts(bmf, &g, &o);
		int bh = (int)((float)s.char_h * rnd_f(&g, 2.0f, 2.4f));
		int dy = (int)((float)bh * rnd_f(&g, 1.8f, 2.3f)); /* centre to centre */
		struct image t = render_text(bmf, words[rnd(&g) % ALPR_ARRAY_SIZE(words)], bh, &g);
		int tx = s.cx - t.w / 2, ty = s.cy - dy - t.h / 2;
		if (ty < 12 || tx < 12 || tx + t.w > s.im.w - 12) {
			free(t.px);
			free(s.im.px);
			continue;
		}
		/* the body around the word, down to the plate's top */
		paste_text(&s.im, &t, tx, ty, rnd_in(&g, 10, 60), rnd_in(&g, 170, 230), bh / 2);
		CHECK_OK(recognize_frame(r, s.im.px, s.im.w, s.im.h, (size_t)s.im.w,
					 RECOGNIZE_GREY8, &res));
		bool t1 = res.nplates > 0 && plate_covers(&res.plates[0], s.cx, s.cy);
		printf("  %-8s under lettering %d px tall: read %s%s\n", s.text, bh,
		       res.nplates ? res.plates[0].text : "-", t1 ? "" : " (not the plate)");
		top1 += t1;
		n++;
		free(t.px);
		free(s.im.px);
	}
	printf("painted lettering: plate read first %d of %d\n", top1, N_PAINTED);
	CHECK_MSG(top1 >= N_PAINTED * 2 / 3, "plate read first %d of %d", top1, N_PAINTED);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * A state's name longer than any registration (PENNSYLVANIA, NORTHDAKOTA, LIVEFREEORDIE)
 * printed under the plate's characters, a third of their height: the plate is read, and the
 * row, more than ten characters, names the plate's state. Before, a row read longer than a
 * plate was dropped before the state was looked for. Measured at this seed: 8 of 12 scenes
 * with the state read, none wrong; before, 2 (rows read short enough to be kept). The
 * stated rate is 6.
 */
#define N_LONG_STATE 12

static void test_long_state_row(void)
{
	static const char *const words[][2] = {
		{"PENNSYLVANIA", "PA"},  {"NORTHDAKOTA", "ND"},  {"LIVEFREEORDIE", "NH"},
		{"MASSACHUSETTS", "MA"}, {"WESTVIRGINIA", "WV"}, {"NEWHAMPSHIRE", "NH"},
	};
	struct rng g = {20261209};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	static struct recognize_result res;
	int read = 0, wrong = 0, n = 0;
	while (n < N_LONG_STATE) {
		struct scene_opts o = {30, 40, 0, 0, 0, false, false};
		struct scene s = make_scene_opts(bmf, &g, &o);
		int k = (int)(rnd(&g) % ALPR_ARRAY_SIZE(words));
		int bh = (int)((float)s.char_h * rnd_f(&g, 0.33f, 0.4f));
		struct image t = render_text(bmf, words[k][0], bh, &g);
		int tx = s.cx - t.w / 2, ty = s.cy + (int)(1.4f * (float)s.char_h);
		if (ty + t.h > s.im.h - 12 || tx < 12 || tx + t.w > s.im.w - 12) {
			free(t.px);
			free(s.im.px);
			continue;
		}
		paste_text(&s.im, &t, tx, ty, rnd_in(&g, 10, 50), rnd_in(&g, 200, 235), bh / 2);
		CHECK_OK(recognize_frame(r, s.im.px, s.im.w, s.im.h, (size_t)s.im.w,
					 RECOGNIZE_GREY8, &res));
		const char *got = res.nplates > 0 && plate_covers(&res.plates[0], s.cx, s.cy)
					  ? res.plates[0].state
					  : "";
		printf("  %-8s over %s: state %s\n", s.text, words[k][0], got[0] ? got : "-");
		read += strcmp(got, words[k][1]) == 0;
		wrong += got[0] && strcmp(got, words[k][1]) != 0;
		n++;
		free(t.px);
		free(s.im.px);
	}
	printf("long state rows: state read %d of %d, %d wrong\n", read, N_LONG_STATE, wrong);
	CHECK_INT_EQ(wrong, 0);
	CHECK_MSG(read >= 6, "state read %d of %d, stated 6", read, N_LONG_STATE);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/* An encoded JPEG of a small synthetic scene (Leptonica's encoder). */
static uint8_t *make_jpeg(size_t *len)
{
	PIX *pix = pixCreate(320, 200, 8);
	pixSetAll(pix);
	for (int y = 60; y < 140; y++) {
		for (int x = 40; x < 280; x++) {
			pixSetPixel(pix, x, y, (x / 16 + y / 16) % 2 ? 30 : 220);
		}
	}
	l_uint8 *data = NULL;
	size_t n = 0;
	CHECK(pixWriteMem(&data, &n, pix, IFF_JFIF_JPEG) == 0);
	pixDestroy(&pix);
	*len = n;
	return data;
}

static void expect_error(struct recognizer *r, const uint8_t *data, size_t len, int want,
			 const char *want_text)
{
	static struct recognize_result res;
	char err[256];
	int rc = recognize_image(r, data, len, &res, err, sizeof(err));
	CHECK_MSG(rc == want, "got %d (%s) want %d: %s", rc, alpr_strerror(rc), want, err);
	CHECK_STR_CONTAINS(err, want_text);
	CHECK(!strchr(err, '\n'));
	CHECK_INT_EQ(res.nplates, 0);
}

static void test_bad_input(void)
{
	setMsgSeverity(L_SEVERITY_NONE);
	struct recognizer *r = new_recognizer(0);
	static struct recognize_result res;
	char err[256];
	size_t len;
	uint8_t *jpeg = make_jpeg(&len);
	/* the whole JPEG reads */
	CHECK_OK(recognize_image(r, jpeg, len, &res, err, sizeof(err)));
	/* truncated at several points: refused, never read half-grey */
	const size_t cuts[] = {len / 3, len / 2, len - 20, 200};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(cuts); i++) {
		int rc = recognize_image(r, jpeg, cuts[i], &res, err, sizeof(err));
		CHECK_MSG(rc == -ALPR_E_CORRUPT, "cut at %zu of %zu: %d (%s)", cuts[i], len, rc,
			  err);
		CHECK(err[0] && !strchr(err, '\n'));
	}
	lept_free(jpeg);
	/* zero-sized */
	expect_error(r, (const uint8_t *)"", 0, -EINVAL, "empty");
	/* a text file (named .jpg on disk: the name does not matter, the bytes do) */
	const char *text = "plate,state\nABC1234,MO\n";
	expect_error(r, (const uint8_t *)text, strlen(text), -EINVAL, "not an image");
	/* enormous dimensions in a tiny file: refused from the header, before decoding */
	const char *pgm = "P5\n100000 100000\n255\n\x01\x02\x03\x04";
	expect_error(r, (const uint8_t *)pgm, strlen(pgm) + 1, -EFBIG, "too large");
	/* a PNG header claiming 60000 x 60000 (CRC as written by any encoder is not checked
	 * before the size: the size check must come first) */
	static const uint8_t png[] = {0x89, 'P', 'N',  'G',  '\r', '\n', 0x1a, '\n', 0,    0,
				      0,    13,  'I',  'H',  'D',  'R',  0,    0,    0xea, 0x60,
				      0,    0,   0xea, 0x60, 8,    0,    0,    0,    0,    0,
				      0,    0,   0,    0,    0,    0,    0,    0,    0,    0};
	expect_error(r, png, sizeof(png), -EFBIG, "too large");
	/* a file: missing, a folder, and a text file named .jpg */
	CHECK_INT_EQ(recognize_file(r, check_path("missing.jpg"), &res, err, sizeof(err)), -ENOENT);
	CHECK_INT_EQ(recognize_file(r, check_tmpdir(), &res, err, sizeof(err)), -EISDIR);
	check_write_file(check_path("notes.jpg"), text);
	CHECK_INT_EQ(recognize_file(r, check_path("notes.jpg"), &res, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "not an image");
	recognize_destroy(r);
}

/* ---- the character classifier's file ---------------------------------------------------- */

struct buf {
	uint8_t b[8192];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	CHECK(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(b, x, 4);
}

static void put_f32(struct buf *b, float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	put_u32(b, u);
}

/* A valid two-layer net: one 3x3 convolution (1 -> 1 channel, a single centre weight, so
 * the activation is the ink itself) and a dense layer with classes "A", "B" and "?": "A"
 * sums the top half's ink, "B" the bottom half's, "?" is a constant. */
static void tiny_net(struct buf *b)
{
	b->n = 0;
	put(b, "ALPRCNN1", 8);
	put_u32(b, REC_PATCH_W);
	put_u32(b, REC_PATCH_H);
	put_u32(b, 3);
	put_u32(b, 2);
	put(b, "AB?", 3);
	put_u32(b, 1);
	put_u32(b, 1);
	put_u32(b, 1);
	for (int i = 0; i < 9; i++) {
		put_f32(b, i == 4 ? 1.0f : 0.0f);
	}
	put_f32(b, 0);
	int w = REC_PATCH_W / 2, h = REC_PATCH_H / 2;
	put_u32(b, 3);
	put_u32(b, (uint32_t)(w * h));
	put_u32(b, 3);
	for (int cls = 0; cls < 3; cls++) {
		for (int i = 0; i < w * h; i++) {
			bool top = i / w < h / 2;
			put_f32(b, cls == 0 ? (top ? 0.1f : 0) : cls == 1 ? (top ? 0 : 0.1f) : 0);
		}
	}
	put_f32(b, 0);
	put_f32(b, 0);
	put_f32(b, 0.5f);
}

static void expect_bad_net(const struct buf *b, int want, const char *what)
{
	const char *path = check_path("bad.cnn");
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(b->b, 1, b->n, f) == b->n && fclose(f) == 0);
	struct rec_classifier *c = NULL;
	char err[512] = "";
	int rc = rec_classifier_load(path, &c, err, sizeof(err));
	CHECK_MSG(rc == want, "%s: %d (%s)", what, rc, err);
	CHECK(c == NULL);
	/* one line, naming the file and what is wrong */
	CHECK_STR_CONTAINS(err, path);
	CHECK_STR_CONTAINS(err, what);
	CHECK(!strchr(err, '\n'));
}

static void test_classifier_file(void)
{
	struct buf b;
	tiny_net(&b);
	const char *path = check_path("tiny.cnn");
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(b.b, 1, b.n, f) == b.n && fclose(f) == 0);
	struct rec_classifier *c = NULL;
	char err[512] = "";
	CHECK_OK(rec_classifier_load(path, &c, err, sizeof(err)));
	CHECK_INT_EQ(rec_classifier_classes(c), 3);
	CHECK_STR_EQ(rec_classifier_labels(c), "AB?");
	/* ink in the top half reads "A", in the bottom half "B", none at all "?" */
	uint8_t patch[REC_PATCH_W * REC_PATCH_H];
	float prob[3];
	memset(patch, 255, sizeof(patch));
	memset(patch, 0, sizeof(patch) / 2);
	rec_classify(c, patch, prob);
	CHECK(prob[0] > 0.9f && fabsf(prob[0] + prob[1] + prob[2] - 1) < 1e-4f);
	memset(patch, 255, sizeof(patch));
	memset(patch + sizeof(patch) / 2, 0, sizeof(patch) / 2);
	rec_classify(c, patch, prob);
	CHECK(prob[1] > 0.9f);
	memset(patch, 255, sizeof(patch));
	rec_classify(c, patch, prob);
	CHECK(prob[2] > prob[0] && prob[2] > prob[1]);
	rec_classifier_free(c);

	/* hostile files: each refused with its reason, nothing loaded */
	struct buf bad = b;
	memcpy(bad.b, "ALPRCNN2", 8);
	expect_bad_net(&bad, -ALPR_E_PARSE, "magic");
	for (size_t cut = 8; cut < b.n; cut += b.n / 7 + 1) {
		bad = b;
		bad.n = cut;
		expect_bad_net(&bad, -ALPR_E_PARSE, "truncated");
	}
	bad = b;
	bad.b[8] = 23; /* width */
	expect_bad_net(&bad, -ALPR_E_PARSE, "patches");
	bad = b;
	bad.b[16] = 99; /* classes */
	expect_bad_net(&bad, -ALPR_E_PARSE, "classes");
	bad = b;
	bad.b[24 + 1] = 'a'; /* a label */
	expect_bad_net(&bad, -ALPR_E_PARSE, "label");
	bad = b;
	bad.b[24 + 3] = 7; /* the first layer's kind */
	expect_bad_net(&bad, -ALPR_E_PARSE, "unknown kind");
	bad = b;
	float nan = NAN;
	memcpy(bad.b + 24 + 3 + 12, &nan, 4); /* the first weight */
	expect_bad_net(&bad, -ALPR_E_PARSE, "not a number");
	bad = b;
	put(&bad, "x", 1);
	expect_bad_net(&bad, -ALPR_E_PARSE, "after the last layer");
	/* a missing file is -ENOENT, named */
	CHECK_INT_EQ(rec_classifier_load(check_path("none.cnn"), &c, err, sizeof(err)), -ENOENT);
	CHECK_STR_CONTAINS(err, "none.cnn");
}

static void test_state_names(void)
{
	static struct rec_states st;
	char path[PATH_MAX], err[PATH_MAX + 64] = "";
	snprintf(path, sizeof(path), "%s/plates/us-state-names.tsv", getenv("ALPR_DATADIR"));
	CHECK_OK(rec_states_load(&st, path, err, sizeof(err)));
	CHECK(st.n >= 51);
	float score;
	/* whole names, a misread letter allowed, slogans, and the part of a long name a row
	 * can hold */
	const char *const cases[][2] = {
		{"COLORADO", "CO"}, {"COLORRDO", "CO"},     {"HAWAII", "HI"},
		{"NEWYORK", "NY"},  {"PENNSYLVAN", "PA"},   {"SUNSHINESTATE", "FL"},
		{"VIRGINIA", "VA"}, {"WESTVIRGINIA", "WV"}, {"LIVEFREEORDIE", "NH"},
		{"TEXAS", "TX"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(cases); i++) {
		const char *got = rec_state_match(&st, cases[i][0], &score);
		CHECK_MSG(got && strcmp(got, cases[i][1]) == 0, "%s: %s, not %s", cases[i][0],
			  got ? got : "nothing", cases[i][1]);
		CHECK(score > 0.5f && score <= 1.0f);
	}
	/* registrations and noise name no state */
	const char *const none[] = {"ABC1234", "7XYZ890", "IIII", "JLJL", "OHIO2", "STATE"};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(none); i++) {
		const char *got = rec_state_match(&st, none[i], &score);
		CHECK_MSG(!got || strcmp(none[i], "OHIO2") == 0, "%s named %s", none[i], got);
	}
	/* hostile files: the line and what is wrong, nothing kept */
	const char *bad[][2] = {
		{"TEXAS TX\n", "expected TEXT<TAB>STATE"}, {"texas\tTX\n", "not A-Z0-9"},
		{"TEXAS\tTexas\n", "two-letter"},          {"TEX\tTX\n", "4 to 31"},
		{"# ok\nTEXAS\tTX\nUTAH\tU\n", ":3:"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(bad); i++) {
		const char *f = check_path("names.tsv");
		check_write_file(f, bad[i][0]);
		CHECK_INT_EQ(rec_states_load(&st, f, err, sizeof(err)), -ALPR_E_PARSE);
		CHECK_STR_CONTAINS(err, f);
		CHECK_STR_CONTAINS(err, bad[i][1]);
		CHECK_INT_EQ(st.n, 0);
	}
	CHECK_INT_EQ(rec_states_load(&st, check_path("none.tsv"), err, sizeof(err)), -ENOENT);
}

/* Loads data/plates/us-state-names.tsv into @st. */
static void load_state_names(struct rec_states *st)
{
	char path[PATH_MAX], err[PATH_MAX + 64] = "";
	snprintf(path, sizeof(path), "%s/plates/us-state-names.tsv", getenv("ALPR_DATADIR"));
	CHECK_OK(rec_states_load(st, path, err, sizeof(err)));
}

/* @word as the plate-character classifier reads a row of a state's lettering, one of three
 * ways (@how): two letters read as the digits of their shape (O 0, I 1, S 5, B 8, Z 2, G 6),
 * when the word has two (one, with @how 3); one to two characters of a sticker or a bolt read onto
 * each end; a part of a long word (a row split at a graphic) with a letter lost inside it. */
static void misread_state_word(struct rng *g, const char *word, int how, char *out)
{
	static const char from[] = "OISBZG", to[] = "015826";
	static const char any[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t wl = strlen(word), n = 0;
	if (how == 0 || how == 3) {
		memmove(out, word, wl + 1);
		for (int k = 0, tries = 0; k < (how == 0 ? 2 : 1) && tries < 64; tries++) {
			size_t i = (size_t)rnd_in(g, 0, (int)wl - 1);
			const char *f = strchr(from, out[i]);
			if (out[i] && f) {
				out[i] = to[f - from];
				k++;
			}
		}
	} else if (how == 1) {
		int a = rnd_in(g, 1, 2), b = rnd_in(g, 1, 2);
		for (int k = 0; k < a; k++) {
			out[n++] = any[rnd(g) % (sizeof(any) - 1)];
		}
		memcpy(out + n, word, wl);
		n += wl;
		for (int k = 0; k < b; k++) {
			out[n++] = any[rnd(g) % (sizeof(any) - 1)];
		}
		out[n] = '\0';
	} else {
		size_t a = (size_t)rnd_in(g, 1, 2), len = wl - a - (size_t)rnd_in(g, 0, 1);
		size_t lost = a + (size_t)rnd_in(g, 2, (int)len - 3);
		for (size_t i = a; i < a + len; i++) {
			if (i != lost) {
				out[n++] = word[i];
			}
		}
		out[n] = '\0';
	}
}

/* Counts @text, a reading of table word @i, as a row (*rows), and as naming the word's state
 * (*right) or another (*wrong, printed). */
static void tally_state_row(const struct rec_states *st, int i, const char *text, int *rows,
			    int *right, int *wrong)
{
	float score;
	const char *got = rec_state_match(st, text, &score);
	(*rows)++;
	if (got && strcmp(got, st->w[i].state) == 0) {
		(*right)++;
	} else if (got) {
		(*wrong)++;
		printf("  %s read %s named %s\n", st->w[i].text, text, got);
	}
}

/*
 * A state's name or slogan as the reader reads the small lettering of a plate: the
 * classifier, trained on plate capitals, reads a state name's O as 0 and its I as 1, a
 * sticker's characters run onto a row's ends, a graphic splits a slogan and a letter is
 * lost. Every word of the table six letters or longer (nine or longer for a part), read
 * each of the three ways from this seed: the row must name its state, or, when a part is
 * shared by two states ("CAROLINA"), none; never another. Measured at this seed: before
 * (whole words with one error, two from ten letters; a part in a window of the row's own
 * length; the table without the slogans added with this test) 89 of 220 rows named their
 * state; after (a letter read as its look-alike digit half an error, a part aligned anywhere
 * in the word, the whole word inside a row read up to two characters longer an end) 226 of
 * 238. None wrong either way. The stated rate is 215. Registrations never name one.
 */
static void test_state_misread(void)
{
	static struct rec_states st;
	load_state_names(&st);
	struct rng g = {20261206};
	int rows = 0, right = 0, wrong = 0;
	for (int i = 0; i < st.n; i++) {
		const char *word = st.w[i].text;
		size_t wl = strlen(word);
		for (int how = 0; how < 3; how++) {
			char text[64];
			if (wl < 6 || (how == 2 && wl < 9)) {
				continue;
			}
			misread_state_word(&g, word, how, text);
			tally_state_row(&st, i, text, &rows, &right, &wrong);
		}
	}
	printf("state-misread: %d of %d rows named their state, %d another\n", right, rows, wrong);
	CHECK_INT_EQ(wrong, 0);
	CHECK_MSG(right >= 215, "%d of %d named their state, stated 215", right, rows);
	/* registrations, read with the same look-alikes, name no state */
	for (int k = 0; k < 500; k++) {
		char text[16];
		float score;
		random_text(&g, text);
		const char *got = rec_state_match(&st, text, &score);
		CHECK_MSG(!got, "%s named %s", text, got);
	}
}

/*
 * A thin I in a state's small lettering is often no character the row keeps: VIRGINIA read
 * VRGINA, CAROLINA read CAROLNA. Every table word of six letters or more with one or two
 * I's, read with its I's lost and, from this seed, one other letter read as the digit of
 * its shape when it has such a letter: it must name
 * its state or, for a part two states share, none; never another. Measured at this seed:
 * before (a lost I a whole error) 22 of the 42 rows named their state, after 37. The stated
 * rate is 34.
 */
static void test_state_lost_i(void)
{
	static struct rec_states st;
	load_state_names(&st);
	struct rng g = {20261208};
	int rows = 0, right = 0, wrong = 0;
	for (int i = 0; i < st.n; i++) {
		const char *word = st.w[i].text;
		size_t wl = strlen(word), n = 0, nis = 0;
		char text[32];
		for (size_t k = 0; k < wl; k++) {
			nis += word[k] == 'I';
		}
		if (wl < 6 || nis < 1 || nis > 2) {
			continue;
		}
		for (size_t k = 0; k < wl; k++) {
			if (word[k] != 'I') {
				text[n++] = word[k];
			}
		}
		text[n] = '\0';
		misread_state_word(&g, text, 3, text);
		tally_state_row(&st, i, text, &rows, &right, &wrong);
	}
	printf("state-lost-i: %d of %d rows named their state, %d another\n", right, rows, wrong);
	CHECK_INT_EQ(wrong, 0);
	CHECK_MSG(right >= 34, "%d of %d named their state, stated 34", right, rows);
}

/*
 * Slogans printed on the states' current standard plates, each read as the reader reads a
 * slogan row: a part of it (a graphic or a line break splits it), from this seed. Before,
 * the table lacked them (New York's "The Empire State" held only as "Empire State"): none
 * named its state.
 */
static void test_state_slogans(void)
{
	static struct rec_states st;
	load_state_names(&st);
	const char *const slogans[][2] = {
		{"THEEMPIRESTATE", "NY"},        {"PEACEGARDENSTATE", "ND"},
		{"GREATFACESGREATPLACES", "SD"}, {"NATIVEAMERICA", "OK"},
		{"FIRSTINFREEDOM", "NC"},        {"TAXATIONWITHOUTREPRESENTATION", "DC"},
	};
	struct rng g = {20261207};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(slogans); i++) {
		const char *s = slogans[i][0];
		int sl = (int)strlen(s);
		/* a part from the start (the row's first line) and a part from inside */
		for (int k = 0; k < 2; k++) {
			char text[32];
			int a = k == 0 ? 0 : rnd_in(&g, 1, sl - 9),
			    len = rnd_in(&g, 8, ALPR_MIN(11, sl - a));
			memcpy(text, s + a, (size_t)len);
			text[len] = '\0';
			float score;
			const char *got = rec_state_match(&st, text, &score);
			CHECK_MSG(got && strcmp(got, slogans[i][1]) == 0, "%s: %s named %s", s,
				  text, got ? got : "nothing");
		}
	}
}

/*
 * Characters the locator cannot see: a plate crop (the plate fills the frame, as a camera's
 * plate finder gives it) whose lettering touches graphics below it, the way a state's
 * picture runs into the characters: the touched characters are not character-shaped blobs
 * any more. One is inside the row, one at an end; the reader has to find them where the
 * row's rhythm puts them. Measured at this seed (24 plates): with guesses one pitch out at
 * the ends counted from the end blob's centre, in gaps counted by the pitch, and kept only
 * when read at 0.6 or better (before 2026-11-29), top-1 2 and top-10 4; with guesses
 * counted from the row's edges and by the room in a gap, two an end, kept as doubtful
 * characters from 0.3, top-1 8 and top-10 16 (the broken characters read unsurely, so the
 * string without them often ranks first). The stated rates are 2 and 3 under that.
 */
#define N_HIDDEN 24

/* Adds sensor noise (+-5) to @im, reads it, and says whether @text is the best plate's
 * reading (returned) and whether it is among any plate's candidates (*in_topn). */
static bool read_noisy(struct recognizer *r, struct image *im, struct rng *g, const char *text,
		       struct recognize_result *res, bool *in_topn)
{
	for (size_t k = 0; k < (size_t)im->w * im->h; k++) {
		int v = im->px[k] + rnd_in(g, -5, 5);
		im->px[k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
	CHECK_OK(recognize_frame(r, im->px, im->w, im->h, (size_t)im->w, RECOGNIZE_GREY8, res));
	*in_topn = false;
	for (int p = 0; p < res->nplates; p++) {
		for (int c = 0; c < res->plates[p].ncandidates; c++) {
			*in_topn |= strcmp(res->plates[p].candidates[c].text, text) == 0;
		}
	}
	return res->nplates > 0 && strcmp(res->plates[0].text, text) == 0;
}

/* The column spans [x0, x1) of ink (grey < 128) in @t, left to right: the characters of a
 * rendered row. Returns how many, at most @cap. */
static int ink_columns(const struct image *t, int *x0, int *x1, int cap)
{
	int n = 0;
	bool in = false;

	for (int x = 0; x < t->w && n < cap; x++) {
		bool ink = false;
		for (int y = 0; y < t->h; y++) {
			ink |= get_px(t, x, y) < 128;
		}
		if (ink && !in) {
			x0[n] = x;
		}
		if (!ink && in) {
			x1[n++] = x;
		}
		in = ink;
	}
	if (in && n < cap) {
		x1[n++] = t->w;
	}
	return n;
}

/* Reads @im as read_noisy() does, counts the result into *top1 and *topn and prints it,
 * @note after the text. */
static void tally_read(struct recognizer *r, struct image *im, struct rng *g, const char *text,
		       const char *note, int *top1, int *topn)
{
	static struct recognize_result res;
	bool tn, t1 = read_noisy(r, im, g, text, &res, &tn);
	*top1 += t1;
	*topn += tn;
	printf("  %-8s%s: %s%s\n", text, note, res.nplates ? res.plates[0].text : "-",
	       t1   ? ""
	       : tn ? " (in top 10)"
		    : " (miss)");
}

/* A plate crop (the plate fills the frame) of the rendered row @t: ink 30 on paper 225, in a
 * margin of @mx and @my pixels; the columns [@lx0, @lx1) of @t in grey @logo instead. */
static struct image plate_crop(const struct image *t, int mx, int my, int lx0, int lx1, int logo)
{
	struct image im = {t->w + 2 * mx, t->h + 2 * my, NULL};
	im.px = alpr_xmalloc((size_t)im.w * im.h);
	memset(im.px, 225, (size_t)im.w * im.h);
	for (int y = 0; y < t->h; y++) {
		for (int x = 0; x < t->w; x++) {
			int a = 255 - get_px(t, x, y);
			int c = x >= lx0 && x < lx1 ? logo : 30;
			uint8_t *p = &im.px[(size_t)(y + my) * im.w + x + mx];
			*p = (uint8_t)((*p * (255 - a) + c * a) / 255);
		}
	}
	return im;
}

static void test_hidden_characters(void)
{
	struct rng g = {777};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0;
	for (int i = 0; i < N_HIDDEN; i++) {
		char text[16];
		random_text(&g, text);
		int ch = rnd_in(&g, 36, 48);
		struct image t = render_text(bmf, text, ch, &g);
		/* the characters' column spans in the rendered row */
		int cx0[16], cx1[16], nc = ink_columns(&t, cx0, cx1, 16);
		int mx = ch / 2, my = (int)(0.6f * ch);
		struct image im = plate_crop(&t, mx, my, 0, 0, 0);
		/* one inner character and one end character broken across the middle (worn
		 * paint, a font's thin joins): two short blobs, neither character-shaped */
		int hide[2] = {rnd_in(&g, 2, 3), rnd_in(&g, 0, 1) ? 0 : (int)strlen(text) - 1};
		int gap = ALPR_MAX(2, ch / 12);
		for (int k = 0; k < 2 && nc == (int)strlen(text); k++) {
			int c = hide[k];
			for (int y = my + t.h / 2 - gap / 2; y < my + t.h / 2 - gap / 2 + gap;
			     y++) {
				memset(im.px + (size_t)y * im.w + mx + cx0[c], 225,
				       (size_t)(cx1[c] - cx0[c]));
			}
		}
		char note[32];
		snprintf(note, sizeof(note), " (hidden %d, %d)", hide[0], hide[1]);
		tally_read(r, &im, &g, text, note, &top1, &topn);
		free(t.px);
		free(im.px);
	}
	check_rates("hidden characters", top1, topn, N_HIDDEN, 6, 13);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * Letters whose strokes the locator sees apart: an H or a U whose join is faint (a thin
 * crossbar at low resolution, worn paint) is two upright blobs, each an 'I' to the
 * classifier. The reader tries the two as one and keeps the surer reading. Plate crops as
 * in hidden-characters, one letter an H or a U with the ink between its stems faded to a
 * quarter. Measured at this seed: read as two strokes (before 2026-11-29) top-1 7, top-10
 * 7 (2HAM336 read 2IIAM336); tried as one, 13 and 13. The stated rate is 2 under that.
 */
#define N_JOINS 24

static void test_faint_joins(void)
{
	struct rng g = {4242};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0;
	for (int i = 0; i < N_JOINS; i++) {
		char text[16];
		random_text(&g, text);
		int len = (int)strlen(text), at = -1;
		for (int k = 0; k < len && at < 0; k++) {
			if (text[k] >= 'A' && text[k] <= 'Z') {
				at = k;
			}
		}
		CHECK(at >= 0);
		text[at] = rnd_in(&g, 0, 1) ? 'H' : 'U';
		int ch = rnd_in(&g, 30, 44);
		struct image t = render_text(bmf, text, ch, &g);
		int cx0[16], cx1[16], nc = ink_columns(&t, cx0, cx1, 16);
		CHECK_INT_EQ(nc, len);
		/* fade the ink between the stems */
		int lw = cx1[at] - cx0[at];
		for (int y = 0; y < t.h; y++) {
			for (int x = cx0[at] + lw * 3 / 10; x < cx0[at] + lw * 7 / 10; x++) {
				uint8_t *p = &t.px[(size_t)y * t.w + x];
				*p = (uint8_t)(255 - (255 - *p) * 1 / 4);
			}
		}
		int mx = ch / 2, my = (int)(0.6f * ch);
		struct image im = plate_crop(&t, mx, my, 0, 0, 0);
		tally_read(r, &im, &g, text, "", &top1, &topn);
		free(t.px);
		free(im.px);
	}
	check_rates("faint joins", top1, topn, N_JOINS, 11, 11);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * A coloured graphic between the character groups: Louisiana's state outline, Mississippi's
 * county seal, a sticker. In grey it is lighter than the characters, which a state prints
 * all in one ink, and the classifier may still read it as a character (TAF389 read
 * TAF4389). Plate crops as in hidden-characters, six characters in two groups of three
 * with a glyph drawn in the gap between them in a lighter grey (half-way from the ink to
 * the paper). Measured at this seed: with no regard for the ink (before wip/recog-syntax)
 * top-1 1 and top-10 3 of 24, the glyph read into the plate; the glyph doubted by its
 * lighter ink, 12 and 19 (the other misses are the bitmap font's J read I and the like).
 * The stated rates are 9 and 15.
 */
#define N_LOGOS 24

/* AAA999 or 999AAA: two groups of three, in the letters and digits random_text() uses. */
static void two_groups(struct rng *g, char text[7])
{
	static const char letters[] = "ABCEFGHJKLMNPRTUVWXYZ", digits[] = "23456789";
	bool letters_first = rnd_in(g, 0, 1);
	for (int k = 0; k < 6; k++) {
		bool letter = (k < 3) == letters_first;
		text[k] = letter ? letters[rnd(g) % (sizeof(letters) - 1)]
				 : digits[rnd(g) % (sizeof(digits) - 1)];
	}
	text[6] = '\0';
}

static void test_light_logo(void)
{
	struct rng g = {9090};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0;
	for (int i = 0; i < N_LOGOS; i++) {
		/* AAA999 or 999AAA, and the glyph in the gap between the groups */
		char text[8], with[9];
		two_groups(&g, text);
		memcpy(with, text, 3);
		with[3] = "4KXH8"[rnd(&g) % 5];
		memcpy(with + 4, text + 3, 4);
		int ch = rnd_in(&g, 36, 48);
		struct image t = render_text(bmf, with, ch, &g);
		int cx0[16], cx1[16], nc = ink_columns(&t, cx0, cx1, 16);
		CHECK_INT_EQ(nc, 7);
		struct image im = plate_crop(&t, ch / 2, (int)(0.6f * ch), cx0[3], cx1[3],
					     rnd_in(&g, 120, 140));
		char note[32];
		snprintf(note, sizeof(note), " (drawn %s)", with);
		tally_read(r, &im, &g, text, note, &top1, &topn);
		free(t.px);
		free(im.px);
	}
	check_rates("light logos", top1, topn, N_LOGOS, 9, 15);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/* A rendered row of @len characters standing apart (two touching ones are drawn again), in
 * @text, @ch pixels tall (from [@hmin, @hmax]), with their column spans in @cx0 and @cx1
 * (16 each). */
static struct image render_apart(L_BMF *bmf, struct rng *g, size_t len, int hmin, int hmax,
				 char *text, int *ch, int *cx0, int *cx1)
{
	for (;;) {
		do {
			random_text(g, text);
		} while (strlen(text) != len);
		*ch = rnd_in(g, hmin, hmax);
		struct image t = render_text(bmf, text, *ch, g);
		if (ink_columns(&t, cx0, cx1, 16) == (int)len) {
			return t;
		}
		free(t.px);
	}
}

/*
 * A plate's character groups are set apart by a dash, a space or a graphic (Nebraska's
 * 5-D2772, Wyoming's 5 [bronco] 503F, Virginia's 25895 [ship] J): a character alone at
 * one end, two pitches from its group, with a dash between, is no part of the row the
 * locator groups by rhythm, and a guess one pitch past the row's end reads the dash.
 * Where the lone character is also worn (broken across its middle, as in hidden-characters)
 * only a guess can find it. Plate crops as in hidden-characters, six characters, the first
 * or the last moved a pitch further out, worn, and a dash drawn in the gap. Measured at
 * this seed with the classifier of run 10: guesses that stop at the first pitch that reads
 * nothing (before wip/recog-chars2) top-1 1, top-10 3 of 24; looked for past the gap, 5
 * and 8 (run 9's weights: 1 and 3 before, 9 and 13 after; the rest are the worn character
 * read as another, or the dash read). The stated rates are 4 and 6.
 */
#define N_GROUPS 24

static void test_group_ends(void)
{
	struct rng g = {5151};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0;
	for (int i = 0; i < N_GROUPS; i++) {
		char text[16];
		int ch, cx0[16], cx1[16];
		struct image t = render_apart(bmf, &g, 6, 36, 48, text, &ch, cx0, cx1);
		/* the row with a pitch of paper inserted after the first or before the last
		 * character, and a dash across the middle of the widened gap */
		bool first = rnd_in(&g, 0, 1);
		int cut = first ? cx1[0] : cx1[4];
		int pitch = (cx0[5] - cx0[0]) / 5;
		int extra = pitch;
		struct image s = {t.w + extra, t.h, NULL};
		s.px = alpr_xmalloc((size_t)s.w * s.h);
		memset(s.px, 255, (size_t)s.w * s.h);
		for (int y = 0; y < t.h; y++) {
			memcpy(s.px + (size_t)y * s.w, t.px + (size_t)y * t.w, (size_t)cut);
			memcpy(s.px + (size_t)y * s.w + cut + extra, t.px + (size_t)y * t.w + cut,
			       (size_t)(t.w - cut));
		}
		int gap0 = cut, gap1 = (first ? cx0[1] : cx0[5]) + extra;
		int dw = (gap1 - gap0) * 2 / 5, dx = (gap0 + gap1 - dw) / 2;
		for (int y = t.h / 2 - ch / 16; y <= t.h / 2 + ch / 16; y++) {
			memset(s.px + (size_t)y * s.w + dx, 0, (size_t)dw);
		}
		/* the character set apart worn across its middle, as in hidden-characters:
		 * two short blobs, so only a guess finds it */
		int a0 = first ? cx0[0] : cx0[5] + extra, a1 = first ? cx1[0] : cx1[5] + extra;
		int gap = ALPR_MAX(2, ch / 12);
		for (int y = t.h / 2 - gap / 2; y < t.h / 2 - gap / 2 + gap; y++) {
			memset(s.px + (size_t)y * s.w + a0, 255, (size_t)(a1 - a0));
		}
		int mx = ch / 2, my = (int)(0.6f * ch);
		struct image im = plate_crop(&s, mx, my, 0, 0, 0);
		tally_read(r, &im, &g, text, first ? " (first apart)" : " (last apart)", &top1,
			   &topn);
		free(s.px);
		free(t.px);
		free(im.px);
	}
	check_rates("group ends", top1, topn, N_GROUPS, 4, 6);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * A row the locator finds short by three characters (worn paint, a sticker or the frame's
 * shadow over one end of a seven-character plate) is completed by guesses a pitch apart
 * past its end. Plate crops as in hidden-characters, seven characters, the first or the last
 * three broken across their middle (the broken characters read unsurely, and the locator
 * still groups some of their halves, so most rows are misread either way). Measured at
 * this seed with the classifier of run 10: two guesses an end (before wip/recog-chars2)
 * top-1 7, top-10 14 of 96 (rows read one short); three, 6 and 17 (one read exactly
 * before now has an extra character ranked over it; run 9's weights: 9 and 17 before, 12
 * and 24 after). The stated top-10 rate is 16.
 */
#define N_WORN_ENDS 96

static void test_worn_ends(void)
{
	struct rng g = {3131};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0;
	for (int i = 0; i < N_WORN_ENDS; i++) {
		char text[16];
		int ch, cx0[16], cx1[16];
		struct image t = render_apart(bmf, &g, 7, 36, 48, text, &ch, cx0, cx1);
		int mx = ch / 2, my = (int)(0.6f * ch);
		struct image im = plate_crop(&t, mx, my, 0, 0, 0);
		bool first = rnd_in(&g, 0, 1);
		int gap = ALPR_MAX(2, ch / 12);
		for (int c = first ? 0 : 4; c < (first ? 3 : 7); c++) {
			for (int y = my + t.h / 2 - gap / 2; y < my + t.h / 2 - gap / 2 + gap;
			     y++) {
				memset(im.px + (size_t)y * im.w + mx + cx0[c], 225,
				       (size_t)(cx1[c] - cx0[c]));
			}
		}
		tally_read(r, &im, &g, text, first ? " (first three worn)" : " (last three worn)",
			   &top1, &topn);
		free(t.px);
		free(im.px);
	}
	printf("worn ends: top-1 %d, top-10 %d of %d\n", top1, topn, N_WORN_ENDS);
	CHECK_MSG(topn >= 16, "top-10 %d of %d", topn, N_WORN_ENDS);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * A row the locator found only in part is completed along its character band, and the
 * characters completion walks over are read: three characters of a six-character plate
 * stand on marks that make them taller than the rest (bolts, a sticker's edge, a frame's
 * lettering touching them), so they are no row of the plate's height, and the locator
 * finds the other three alone; a row of three is no plate, and guessing a character or
 * two past its ends does not make up the three. Plate crops as in hidden-characters.
 * Measured at this seed: this code top-1 6, top-10 11 of 24 (the marked characters read
 * less surely: the marks come into their patches); before (a3faa79), when completion
 * moved the row's ends but the reader read only the blobs, 1 and 3. The stated rates are 2
 * and 3 under this code's.
 */
#define N_COMPLETED 24

/* Reads N_COMPLETED plate crops of six characters, @marked of them at one end standing on
 * marks (@seed the generator's), and checks that at least @min1 are read exactly and @minn
 * have the truth in the top 10. */
static void read_marked(uint64_t seed, int marked, int min1, int minn)
{
	int top1 = 0, topn = 0;
	struct rng g = {seed};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	for (int i = 0; i < N_COMPLETED; i++) {
		char text[16];
		int ch, cx0[16], cx1[16];
		struct image t = render_apart(bmf, &g, 6, 30, 44, text, &ch, cx0, cx1);
		int mx = ch / 2, my = (int)(0.8f * ch);
		struct image im = {t.w + 2 * mx, t.h + 2 * my, NULL};
		im.px = alpr_xmalloc((size_t)im.w * im.h);
		memset(im.px, 225, (size_t)im.w * im.h);
		paste_text(&im, &t, mx, my, 30, -1, 0);
		/* a mark under each of the characters at one end, touching it */
		int first = rnd_in(&g, 0, 1) ? 0 : 6 - marked;
		for (int k = first; k < first + marked; k++) {
			for (int y = my + t.h - 1; y < my + t.h + ch * 3 / 10; y++) {
				memset(im.px + (size_t)y * im.w + mx + cx0[k], 30,
				       (size_t)(cx1[k] - cx0[k]));
			}
		}
		char note[48];
		snprintf(note, sizeof(note), " %d px, marks under the %s %d", ch,
			 first ? "last" : "first", marked);
		tally_read(r, &im, &g, text, note, &top1, &topn);
		free(t.px);
		free(im.px);
	}
	printf("completed rows of %d: top-1 %d, top-10 %d of %d\n", 6 - marked, top1, topn,
	       N_COMPLETED);
	CHECK_MSG(top1 >= min1, "top-1 %d of %d", top1, N_COMPLETED);
	CHECK_MSG(topn >= minn, "top-10 %d of %d", topn, N_COMPLETED);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

static void test_completed_rows(void)
{
	read_marked(2026, 3, 4, 8);
}

/*
 * As completed-rows, two characters of six at one end standing on marks: the locator finds
 * a row of four, which is no plate either (five to eight characters but for rare vanity
 * and motorcycle plates). Before (6d17186), only rows of three took the pieces completion
 * walked over, and the two were left to guesses past the row's ends. Measured at this
 * seed: this code top-1 17, top-10 21 of 24 (14 and 20 with the classifier of run 10);
 * before, 10 and 12. The stated rates are 12 and 18.
 */
static void test_completed_fours(void)
{
	read_marked(2027, 2, 12, 18);
}

/*
 * Small plates whose characters make no character-shaped blobs (each broken across its
 * middle: worn paint, a low resolution; 12-15 px characters, whose halves are under the
 * 8 px the locator looks for) are found from the plate's light rectangle inside its frame.
 * Located as in locate-hard. Measured at this seed: this code locates 13 of 24, reads 5
 * exactly and 6 in the top 10 (the broken characters read badly); before (3667897), 4, 4
 * and 5. The stated rates are 3 and 1 under this code's.
 */
#define N_RECTS 24

static void test_plate_rectangles(void)
{
	struct rng g = {99};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0, found = 0;
	struct rec_locator l;
	rec_locator_init(&l);
	for (int i = 0; i < N_RECTS; i++) {
		struct scene_opts o = {12, 15, 0, 3, 0, false, true};
		struct scene s = make_scene_opts(bmf, &g, &o);
		CHECK_OK(rec_locate(&l, s.im.px, s.im.w, s.im.h, (size_t)s.im.w));
		found += located(&l, &s);
		char note[16];
		snprintf(note, sizeof(note), " %d px", s.char_h);
		tally_read(r, &s.im, &g, s.text, note, &top1, &topn);
		free(s.im.px);
	}
	printf("plate rectangles: located %d, top-1 %d, top-10 %d of %d\n", found, top1, topn,
	       N_RECTS);
	rec_locator_finish(&l);
	CHECK_MSG(found >= 10, "located %d of %d", found, N_RECTS);
	CHECK_MSG(topn >= 5, "top-10 %d of %d", topn, N_RECTS);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * A plate's emblem between its character groups carries small lettering of its own (a
 * Marine Corps emblem's motto, Alaska's "50" graphic with ALASKA down its side): a row of
 * small characters inside the registration's band. Plate crops of 64-80 px characters in
 * two groups of three, a light emblem box in the gap with a five-letter word about a
 * sixth of their height in it. The two rows overlap, and the small word's box lies inside
 * the registration's: before (c40797f), rows overlapping by 0.6 of the smaller box were one
 * row found twice, the better scoring kept, and the registration, its large characters
 * scoring less, was dropped when the word's row scored more. Measured at this seed: this
 * code top-1 20, top-10 21 of 24; before, 6 and 6 (the word read as the plate). The stated
 * rates are 16 and 18.
 */
#define N_INSIDE 24

static void test_lettering_inside(void)
{
	static const char *const words[] = {"SEMPER", "ALASKA", "FIDEL", "CORPS", "STATE", "TRUST"};
	struct rng g = {5150};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0;
	for (int i = 0; i < N_INSIDE; i++) {
		char text[8], a[4], b[4];
		two_groups(&g, text);
		memcpy(a, text, 3);
		memcpy(b, text + 3, 3);
		a[3] = b[3] = '\0';
		int ch = rnd_in(&g, 64, 80);
		struct image ta = render_text(bmf, a, ch, &g), tb = render_text(bmf, b, ch, &g);
		struct image tw = render_text(bmf, words[rnd(&g) % ALPR_ARRAY_SIZE(words)],
					      ch * rnd_in(&g, 15, 19) / 100, &g);
		int gap = tw.w + ch / 3, mx = ch / 3, my = (int)(0.5f * ch);
		struct image im = {ta.w + gap + tb.w + 2 * mx, ch + 2 * my, NULL};
		im.px = alpr_xmalloc((size_t)im.w * im.h);
		memset(im.px, 225, (size_t)im.w * im.h);
		paste_text(&im, &ta, mx, my, 30, -1, 0);
		paste_text(&im, &tb, mx + ta.w + gap, my, 30, -1, 0);
		/* the emblem: a lighter box in the gap, its word in the lower half of the band */
		int ex = mx + ta.w + ch / 6, ey = my + ch / 2;
		paste_text(&im, &tw, ex + (gap - ch / 3 - tw.w) / 2, ey, rnd_in(&g, 20, 40),
			   rnd_in(&g, 175, 195), ch / 12);
		char note[32];
		snprintf(note, sizeof(note), " (%d px)", ch);
		tally_read(r, &im, &g, text, note, &top1, &topn);
		free(ta.px);
		free(tb.px);
		free(tw.px);
		free(im.px);
	}
	check_rates("lettering inside", top1, topn, N_INSIDE, 16, 18);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * Large characters over printed scenery: a plate filling a crop, its characters 64-80 px
 * tall and an eighth of their height apart, with mountains printed in a middle grey
 * rising into their feet (Idaho's, Virginia's, Texas's plates; the crop slightly soft). At
 * the locator's faint margin the scenery joins the characters into blobs too wide to be
 * one, and no row of the registration's height is found: the slogan under it is read
 * instead, or nothing. At a strong margin at half scale the scenery drops out of the mask
 * and the characters stand apart. Measured at this seed: this code top-1 17, top-10 23 of
 * 24; before (2e044c9), 8 and 12. The stated rates are 14 and 19.
 */
#define N_SCENERY 24

/* A box blur of radius @rad, across then down, in place. */
static void box_blur(struct image *im, int rad)
{
	uint8_t *tmp = alpr_xmalloc((size_t)im->w * im->h);
	for (int pass = 0; pass < 2; pass++) {
		int n = pass ? im->h : im->w, m = pass ? im->w : im->h;
		for (int j = 0; j < m; j++) {
			for (int i = 0; i < n; i++) {
				int sum = 0, cnt = 0;
				for (int k = ALPR_MAX(i - rad, 0); k <= ALPR_MIN(i + rad, n - 1);
				     k++) {
					sum += pass ? im->px[(size_t)k * im->w + j]
						    : im->px[(size_t)j * im->w + k];
					cnt++;
				}
				size_t at = pass ? (size_t)i * im->w + j : (size_t)j * im->w + i;
				tmp[at] = (uint8_t)(sum / cnt);
			}
		}
		memcpy(im->px, tmp, (size_t)im->w * im->h);
	}
	free(tmp);
}

static void test_printed_scenery(void)
{
	struct rng g = {31337};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0;
	for (int i = 0; i < N_SCENERY; i++) {
		char text[16];
		random_text(&g, text);
		int len = (int)strlen(text), ch = rnd_in(&g, 64, 80);
		struct image t = render_text(bmf, text, ch, &g);
		int cx0[16], cx1[16];
		if (ink_columns(&t, cx0, cx1, 16) != len) {
			free(t.px);
			i--;
			continue;
		}
		/* the characters moved together, an eighth of their height apart */
		int gap = ch / 8, mx = ch / 3, my = ch / 2, x = mx;
		int w = 2 * mx;
		for (int k = 0; k < len; k++) {
			w += cx1[k] - cx0[k] + (k ? gap : 0);
		}
		struct image im = {w, ch + 2 * my, NULL};
		im.px = alpr_xmalloc((size_t)im.w * im.h);
		memset(im.px, 225, (size_t)im.w * im.h);
		for (int k = 0; k < len; k++) {
			struct image c = {cx1[k] - cx0[k], t.h,
					  alpr_xmalloc((size_t)(cx1[k] - cx0[k]) * t.h)};
			for (int y = 0; y < t.h; y++) {
				memcpy(c.px + (size_t)y * c.w, t.px + (size_t)y * t.w + cx0[k],
				       (size_t)c.w);
			}
			paste_text(&im, &c, x, my, 30, -1, 0);
			x += c.w + gap;
			free(c.px);
		}
		/* scenery printed behind the characters' feet: mountains whose tops rise into
		 * the characters */
		int peak = my + ch * 8 / 10, foot = my + ch + ch / 4;
		for (int xx = 0; xx < im.w; xx++) {
			int ph = (xx * 7 / 3) % (ch / 2);
			int top = peak + (ph < ch / 4 ? ch / 4 - ph : ph - ch / 4);
			for (int y = top; y < foot && y < im.h; y++) {
				uint8_t *p = &im.px[(size_t)y * im.w + xx];
				*p = (uint8_t)ALPR_MIN(*p, 150);
			}
		}
		struct image sl = render_text(bmf, "LAND OF PLATES", ch / 5, &g);
		paste_text(&im, &sl, (im.w - sl.w) / 2, foot + (im.h - foot - sl.h) / 2, 30, -1, 0);
		box_blur(&im, ch / 50);
		char note[32];
		snprintf(note, sizeof(note), " (%d px)", ch);
		tally_read(r, &im, &g, text, note, &top1, &topn);
		free(sl.px);
		free(t.px);
		free(im.px);
	}
	check_rates("printed scenery", top1, topn, N_SCENERY, 14, 19);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * Lettering beside a registration, on its plate: a logo's word left of it (Michigan's
 * DONATE LIFE) or a registration sticker's digits at the plate's top corner past its end
 * (Illinois's month sticker over FAMILY). Plate crops of a vanity registration (five or
 * six letters, 60-76 px: no syntax prefers it) with a logo box left of it holding a word
 * 0.4 of its height, or a sticker of four digits a fifth of its height at its top right.
 * Before (92704eb), only rows stacked over the registration's span were ranked down as
 * its plate's lettering, and the word or the sticker (four digits fit a syntax), read as
 * surely, came first. Measured at this seed: this code reports the registration first in
 * 24 of 24, top-1 18 (14 with the classifier of run 10); before, 15 and 14. The stated
 * rates are 21 and 12. The word or the sticker, the registration's plate's own lettering,
 * is not reported as a plate of its own either (a read of no vehicle): before (04fda1e),
 * it was in 16 of the 24.
 */
#define N_BESIDE 24

static void test_lettering_beside(void)
{
	static const char *const words[] = {"LIFE", "HOPE", "CARE", "FISH", "SAVE", "HERO"};
	static const char letters[] = "ABCEFGHJKLMNPRTUVWXYZ";
	struct rng g = {6061};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	static struct recognize_result res;
	int top1 = 0, first = 0, stray = 0;
	for (int i = 0; i < N_BESIDE; i++) {
		char text[8];
		int len = rnd_in(&g, 5, 6);
		for (int k = 0; k < len; k++) {
			text[k] = letters[rnd(&g) % (sizeof(letters) - 1)];
		}
		text[len] = '\0';
		int ch = rnd_in(&g, 60, 76);
		bool logo = i % 2 == 0;
		struct image t = render_text(bmf, text, ch, &g);
		char digits[5];
		snprintf(digits, sizeof(digits), "%02d%02d", rnd_in(&g, 1, 12), rnd_in(&g, 10, 29));
		const char *word = logo ? words[rnd(&g) % ALPR_ARRAY_SIZE(words)] : digits;
		struct image w = render_text(bmf, word, logo ? ch * 4 / 10 : ch / 5, &g);
		/* the logo box left of the registration, the sticker right of its end */
		int lw = logo ? w.w + ch / 4 : 0, sw = logo ? 0 : w.w + ch / 5;
		int mx = ch / 3, my = ch / 2, tx = mx + lw + (logo ? ch / 6 : 0);
		struct image im = {tx + t.w + sw + mx, ch + 2 * my, NULL};
		im.px = alpr_xmalloc((size_t)im.w * im.h);
		memset(im.px, 225, (size_t)im.w * im.h);
		paste_text(&im, &t, tx, my, 30, -1, 0);
		if (logo) {
			paste_text(&im, &w, mx + ch / 8, my + ch / 2, 40, 190, ch / 8);
		} else {
			paste_text(&im, &w, tx + t.w + ch / 5, my / 4, 30, 200, ch / 20);
		}
		bool tn, t1 = read_noisy(r, &im, &g, text, &res, &tn);
		bool on =
			res.nplates > 0 && plate_covers(&res.plates[0], tx + t.w / 2, my + ch / 2);
		printf("  %-8s %d px, %s: read %s%s\n", text, ch,
		       logo ? "a logo's word left of it" : "a sticker past its end",
		       res.nplates ? res.plates[0].text : "-", on ? "" : " (not the registration)");
		top1 += t1;
		first += on;
		for (int k = 1; k < res.nplates; k++) {
			if (strcmp(res.plates[k].text, word) == 0) {
				printf("    and its %s reported as a plate\n", word);
				stray++;
				break;
			}
		}
		free(t.px);
		free(w.px);
		free(im.px);
	}
	printf("lettering beside: registration first %d, top-1 %d, the lettering reported %d of "
	       "%d\n",
	       first, top1, stray, N_BESIDE);
	CHECK_MSG(first >= 21, "registration first %d of %d", first, N_BESIDE);
	CHECK_MSG(stray == 0, "the plate's own lettering reported as a plate in %d of %d", stray,
		  N_BESIDE);
	CHECK_MSG(top1 >= 12, "top-1 %d of %d", top1, N_BESIDE);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * A plate between a dealer frame's lettering of its characters' height, left and right of
 * it, close enough that the locator links the frame's letters and the plate's characters
 * into one chain, longer than any row (us-dev: us7's 5VCF203). Plate crops of a random
 * registration between two four-letter words a little higher on the line. Before
 * (846efb2), a chain longer than twelve blobs was dropped whole and nothing, or a
 * fragment, was read. Measured at this seed: this code top-1 8, top-10 11 of 24 (the best
 * window takes in a frame letter, or its end letters are misread); before, 1 and 1. The
 * stated rates are 6 and 8.
 */
#define N_CHAINED 24

static void test_chained_frame(void)
{
	static const char *const words[] = {"AUTO", "MALL", "FORD", "KIAS", "JEEP", "VANS"};
	struct rng g = {8080};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0;
	for (int i = 0; i < N_CHAINED; i++) {
		char text[16];
		random_text(&g, text);
		int ch = rnd_in(&g, 40, 60);
		struct image t = render_text(bmf, text, ch, &g);
		struct image a = render_text(bmf, words[rnd(&g) % ALPR_ARRAY_SIZE(words)], ch, &g);
		struct image b = render_text(bmf, words[rnd(&g) % ALPR_ARRAY_SIZE(words)], ch, &g);
		int gap = ch / 4, my = ch, up = ch / 8;
		struct image im = {a.w + t.w + b.w + 2 * gap + ch, ch + 2 * my, NULL};
		im.px = alpr_xmalloc((size_t)im.w * im.h);
		memset(im.px, 225, (size_t)im.w * im.h);
		paste_text(&im, &a, ch / 2, my - up, 30, -1, 0);
		paste_text(&im, &t, ch / 2 + a.w + gap, my, 30, -1, 0);
		paste_text(&im, &b, ch / 2 + a.w + gap + t.w + gap, my - up, 30, -1, 0);
		char note[32];
		snprintf(note, sizeof(note), " (%d px)", ch);
		tally_read(r, &im, &g, text, note, &top1, &topn);
		free(t.px);
		free(a.px);
		free(b.px);
		free(im.px);
	}
	check_rates("chained frame", top1, topn, N_CHAINED, 6, 8);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * A county code or a suffix printed small and stacked beside the registration (Wyoming's
 * county number left of it, North Carolina's "IC" right of it): two characters of half the
 * registration's height, one on the other and touching, a blob of its height that the
 * locator takes into the row. The classifier reads it unsurely where it reads the
 * registration surely, and where the row with it fits a commoner format than the
 * registration alone (AA9999 with a letter before it, AAA999 with a digit after it) the
 * candidates kept it. Plate crops as in hidden-characters, AA9999 with the code left or
 * AAA999 with it right, a sixth of the height apart. Measured at this seed: with no doubt
 * at the row's ends (before wip/recog-ends) top-1 19, top-10 38 of 48 (KU2984 read
 * RKU2984, AUC567 read AUC5678); with it, 24 and 38. The stated rates are 22 and 36.
 */
#define N_STACKED 48

static void test_stacked_code(void)
{
	static const char letters[] = "ABCEFGHJKLMNPRTUVWXYZ", digits[] = "23456789";
	static const char code[] = "0123456789ABCI";
	struct rng g = {6161};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0;
	for (int i = 0; i < N_STACKED; i++) {
		bool left = rnd_in(&g, 0, 1);
		const char *pat = left ? "AA9999" : "AAA999";
		char text[8];
		for (int k = 0; k < 6; k++) {
			text[k] = pat[k] == 'A' ? letters[rnd(&g) % (sizeof(letters) - 1)]
						: digits[rnd(&g) % (sizeof(digits) - 1)];
		}
		text[6] = '\0';
		int ch = rnd_in(&g, 36, 48);
		struct image t = render_text(bmf, text, ch, &g);
		int mx = 2 * ch, my = (int)(0.6f * ch);
		struct image im = plate_crop(&t, mx, my, 0, 0, 0);
		/* the code: two characters a little over half the height, touching */
		char top[2] = {code[rnd(&g) % (sizeof(code) - 1)], '\0'};
		char bot[2] = {code[rnd(&g) % (sizeof(code) - 1)], '\0'};
		int sh = ch * 52 / 100;
		struct image a = render_text(bmf, top, sh, &g), b = render_text(bmf, bot, sh, &g);
		int sw = ALPR_MAX(a.w, b.w), gap = ch / 6;
		int sx = left ? mx - gap - sw : mx + t.w + gap;
		paste_text(&im, &a, sx + (sw - a.w) / 2, my, 30, -1, 0);
		paste_text(&im, &b, sx + (sw - b.w) / 2, my + t.h - b.h, 30, -1, 0);
		char note[32];
		snprintf(note, sizeof(note), " (%s%s %s)", top, bot, left ? "left" : "right");
		tally_read(r, &im, &g, text, note, &top1, &topn);
		free(a.px);
		free(b.px);
		free(t.px);
		free(im.px);
	}
	check_rates("stacked code", top1, topn, N_STACKED, 22, 36);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * A dealer's plate frame: a dark band along the plate's bottom with the dealer's name cut
 * out of it in bold white capitals, the registration's characters standing on it
 * (California's dealer frames in the us-dev scenes), the frame's top bar over a light
 * margin. The characters are labelled with the pieces of the band their feet touch, and the
 * row is found taller than they are, its middle low: cut from that band, the characters
 * are small and high in their patches with the band's lettering under them, and read
 * unsurely or as others (us-dev's 5ZUC921 read 529C24). Scenes of 640 x 360 with such a
 * plate, characters 18-24 px, the band about 0.4 of their height. Measured at this
 * seed: top-1 3, top-10 12 of 24, the rows read again in moved bands (read_again()); before
 * (2c421de), 1 and 3. The stated rates are 2 and 9.
 */
#define N_BANDS 24

/* N_BANDS such scenes from @seed, each registration's last character @last unless 0. */
static void dealer_band_scenes(uint32_t seed, char last, int *top1, int *topn)
{
	struct rng g = {seed};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	for (int i = 0; i < N_BANDS; i++) {
		char text[16];
		random_text(&g, text);
		if (last) {
			text[strlen(text) - 1] = last;
		}
		int ch = rnd_in(&g, 18, 24);
		struct image t = render_text(bmf, text, ch, &g);
		struct image im = {640, 360, NULL};
		im.px = alpr_xmalloc((size_t)im.w * im.h);
		int body = rnd_in(&g, 140, 200);
		for (int y = 0; y < im.h; y++) {
			memset(im.px + (size_t)y * im.w, body - y / 12, (size_t)im.w);
		}
		int side = ch / 3, top = ch / 3, margin = ch / 2, band = ch / 4 + 3;
		int pw = t.w + 2 * side + ch, ph = top + margin + ch + band;
		int px = rnd_in(&g, 20, im.w - pw - 20), py = rnd_in(&g, 20, im.h - ph - 20);
		int frame = rnd_in(&g, 15, 45), paper = rnd_in(&g, 195, 235);
		for (int y = py; y < py + ph; y++) {
			for (int x = px; x < px + pw; x++) {
				bool inner = x >= px + side && x < px + pw - side &&
					     y >= py + top && y < py + top + margin + ch;
				im.px[(size_t)y * im.w + x] = (uint8_t)(inner ? paper : frame);
			}
		}
		/* the characters' feet on the band, one pixel into it */
		paste_text(&im, &t, px + (pw - t.w) / 2, py + top + margin + 1, frame + 10, -1, 0);
		/* the dealer's name in bold white capitals across the band: its strokes cut the
		 * band into pieces shorter than a frame bar, which the characters' feet touch */
		for (int x = px + side; x + 3 < px + pw - side; x += rnd_in(&g, 4, 6)) {
			int y0 = py + top + margin + ch, y1 = py + ph - 2;
			for (int y = y0; y < y1; y++) {
				memset(im.px + (size_t)y * im.w + x, 240, rnd_in(&g, 1, 2) + 1);
			}
		}
		box_blur(&im, 1);
		char note[32];
		snprintf(note, sizeof(note), " (%d px)", ch);
		tally_read(r, &im, &g, text, note, top1, topn);
		free(t.px);
		free(im.px);
	}
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

static void test_dealer_band(void)
{
	int top1 = 0, topn = 0;
	dealer_band_scenes(3127, 0, &top1, &topn);
	check_rates("dealer band", top1, topn, N_BANDS, 2, 9);
}

/*
 * Registrations ending in 1 over a dealer's band (us-dev's 5ZUC921): where the band joins the
 * 1 to its neighbour, the blob is split and the 1 read unsurely from its band-cut patch,
 * like an emblem's part at a row's end; but a bar is a character's shape and is not doubted
 * as a character (end_doubtful()). Measured at this seed: top-1 4, top-10 7 of 24; with bars
 * doubted like the other end pieces, top-1 3 (the one scene of the 24 where the band splits
 * the last two characters' blob; the stated rates are the measured ones).
 */
static void test_band_final_one(void)
{
	int top1 = 0, topn = 0;
	dealer_band_scenes(4, '1', &top1, &topn);
	check_rates("band final one", top1, topn, N_BANDS, 4, 7);
}

/*
 * The frame touching the registration's first or last character: the character and the
 * frame's edge are one blob, taller than a character, so the locator leaves it out of the
 * row and only the end guess a pitch past the row reads it, from a patch that holds part
 * of the frame. Plate crops as in hidden-characters, six or seven characters 28-40 px
 * tall, blurred a little (a small plate seen from afar), a bar of ink an eighth of the
 * height wide and 1.6 heights tall (the frame's edge) overlapping the first or the last
 * character by a pixel; a row whose rendered characters touch is left out. Measured at
 * this seed (119 crops): the guess next to the row kept from 0.3 (before wip/recog-ends)
 * top-1 57, top-10 84 (MY58863 read MY586); from 0.2, 58 and 91. The stated rates are 52
 * and 88.
 */
#define N_FRAMED 120

static void test_framed_ends(void)
{
	struct rng g = {5151};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0, n = 0;
	for (int i = 0; i < N_FRAMED; i++) {
		char text[16];
		random_text(&g, text);
		int ch = rnd_in(&g, 28, 40);
		struct image t = render_text(bmf, text, ch, &g);
		int cx0[16], cx1[16], nc = ink_columns(&t, cx0, cx1, 16);
		if (nc != (int)strlen(text)) {
			free(t.px); /* two characters drawn touching: no end character to find */
			continue;
		}
		int mx = ch, my = ch;
		struct image im = plate_crop(&t, mx, my, 0, 0, 0);
		bool left = rnd_in(&g, 0, 1);
		int bw = ALPR_MAX(3, ch / 8), bh = ch * 16 / 10, cy = my + t.h / 2;
		int bx = left ? mx + cx0[0] - bw + 1 : mx + cx1[nc - 1] - 1;
		for (int y = cy - bh / 2; y < cy + bh / 2; y++) {
			memset(im.px + (size_t)y * im.w + bx, 30, (size_t)bw);
		}
		box_blur(&im, 1);
		tally_read(r, &im, &g, text, left ? " (frame left)" : " (frame right)", &top1,
			   &topn);
		n++;
		free(t.px);
		free(im.px);
	}
	check_rates("framed ends", top1, topn, n, 52, 88);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

/*
 * A plate ranked past the rows read: a grille's slats, railings or a fence make rows of
 * narrow outlined blobs of a character's height, as regular as a plate's characters and
 * scoring as well, that read as no plate (too narrow to be characters). Scenes of small
 * plates whose characters touch the frame's bars and are broken across the middle (found by
 * their rectangle, a row scoring 0.8; 16-20 px characters), eight rows of eight slats
 * elsewhere in the frame. Measured at this seed: top-1 5, top-10 7 of 24 with the rows past
 * the sixth read when none of the six reads as a sure plate (read_again()); before
 * (2c421de), 1 and 1 (the plate's row ranked 7th-9th in most scenes). The stated rates are
 * 3 and 5.
 */
#define N_SLATS 24

static void test_slat_rows(void)
{
	struct rng g = {1188};
	L_BMF *bmf = new_font();
	struct recognizer *r = new_recognizer(10);
	int top1 = 0, topn = 0;
	for (int i = 0; i < N_SLATS; i++) {
		struct scene_opts o = {16, 20, 0, 3, 0, false, true};
		struct scene s = make_scene_opts(bmf, &g, &o);
		int half = s.text_w / 2 + 3 * s.char_h;
		for (int k = 0; k < 8; k++) {
			int sh = rnd_in(&g, 18, 26), sw = 3, pitch = rnd_in(&g, 11, 13);
			int x0, y0;
			do {
				x0 = rnd_in(&g, 10, s.im.w - 8 * pitch - 10);
				y0 = rnd_in(&g, 10, s.im.h - sh - 10);
			} while (x0 < s.cx + half && x0 + 8 * pitch > s.cx - half &&
				 y0 < s.cy + half && y0 + sh > s.cy - half);
			int v = s.im.px[(size_t)y0 * s.im.w + x0] > 128 ? 20 : 235;
			for (int j = 0; j < 8; j++) {
				int x = x0 + j * pitch;
				for (int y = y0; y < y0 + sh; y++) {
					uint8_t *row = s.im.px + (size_t)y * s.im.w;
					row[x] = row[x + sw - 1] = (uint8_t)v;
					if (y == y0 || y == y0 + sh - 1) {
						memset(row + x, v, (size_t)sw);
					}
				}
			}
		}
		char note[16];
		snprintf(note, sizeof(note), " %d px", s.char_h);
		tally_read(r, &s.im, &g, s.text, note, &top1, &topn);
		free(s.im.px);
	}
	check_rates("slat rows", top1, topn, N_SLATS, 3, 5);
	recognize_destroy(r);
	bmfDestroy(&bmf);
}

static void test_frame_api(void)
{
	struct recognizer *a = new_recognizer(5), *b = new_recognizer(1);
	static struct recognize_result res;
	uint8_t px[64 * 48 * 3];
	memset(px, 128, sizeof(px));
	CHECK_INT_EQ(recognize_frame(a, NULL, 64, 48, 64, RECOGNIZE_GREY8, &res), -EINVAL);
	CHECK_INT_EQ(recognize_frame(a, px, 0, 48, 64, RECOGNIZE_GREY8, &res), -EINVAL);
	CHECK_INT_EQ(recognize_frame(a, px, 64, -1, 64, RECOGNIZE_GREY8, &res), -EINVAL);
	CHECK_INT_EQ(recognize_frame(a, px, 64, 48, 63, RECOGNIZE_GREY8, &res), -EINVAL);
	CHECK_INT_EQ(recognize_frame(a, px, 64, 48, 64, RECOGNIZE_RGB24, &res), -EINVAL);
	CHECK_INT_EQ(recognize_frame(a, px, 64, 48, 64, (enum recognize_format)2, &res), -EINVAL);
	CHECK_INT_EQ(recognize_frame(a, px, 100000, 2, 100000, RECOGNIZE_GREY8, &res), -EFBIG);
	CHECK_INT_EQ(recognize_frame(a, px, 10000, 10000, 10000, RECOGNIZE_GREY8, &res), -EFBIG);
	/* a flat frame has no plates; tiny frames are fine */
	CHECK_OK(recognize_frame(a, px, 64, 48, 64, RECOGNIZE_GREY8, &res));
	CHECK_INT_EQ(res.nplates, 0);
	CHECK_OK(recognize_frame(b, px, 64, 48, 64 * 3, RECOGNIZE_RGB24, &res));
	CHECK_OK(recognize_frame(b, px, 1, 1, 1, RECOGNIZE_GREY8, &res));
	CHECK_INT_EQ(res.nplates, 0);

	/* Two recognizers side by side, RGB and grey, give the same reading. */
	struct rng g = {7};
	L_BMF *bmf = new_font();
	struct scene s = make_scene(bmf, &g);
	uint8_t *rgb = alpr_xmalloc((size_t)s.im.w * s.im.h * 3);
	for (size_t i = 0; i < (size_t)s.im.w * s.im.h; i++) {
		rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = s.im.px[i];
	}
	static struct recognize_result ra, rb;
	CHECK_OK(recognize_frame(a, s.im.px, s.im.w, s.im.h, (size_t)s.im.w, RECOGNIZE_GREY8, &ra));
	CHECK_OK(recognize_frame(b, rgb, s.im.w, s.im.h, (size_t)s.im.w * 3, RECOGNIZE_RGB24, &rb));
	CHECK(ra.nplates > 0 && rb.nplates > 0);
	CHECK_STR_EQ(ra.plates[0].text, rb.plates[0].text);
	CHECK(ra.plates[0].ncandidates <= 5);
	CHECK_INT_EQ(rb.plates[0].ncandidates, 1);
	/* the same frame again through the same context: the same answer (buffers reused) */
	CHECK_OK(recognize_frame(a, s.im.px, s.im.w, s.im.h, (size_t)s.im.w, RECOGNIZE_GREY8, &rb));
	CHECK_STR_EQ(ra.plates[0].text, rb.plates[0].text);
	CHECK_INT_EQ(ra.plates[0].x, rb.plates[0].x);
	free(rgb);
	free(s.im.px);
	bmfDestroy(&bmf);

	/* options */
	struct recognizer *c = NULL;
	struct recognize_options bad = {.topn = RECOGNIZE_MAX_CANDIDATES + 1};
	CHECK_INT_EQ(recognize_create(&bad, &c), -EINVAL);
	struct recognize_options bad_state = {.state = "MOO"};
	CHECK_INT_EQ(recognize_create(&bad_state, &c), -EINVAL);
	struct recognize_options nodata = {.datadir = check_tmpdir()};
	CHECK_INT_EQ(recognize_create(&nodata, &c), -ENOENT);
	CHECK(c == NULL);
	recognize_destroy(NULL);
	recognize_destroy(a);
	recognize_destroy(b);
}

static void test_syntax(void)
{
	static struct rec_syntax s;
	char err[512];
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/plates/us-syntax.tsv", alpr_datadir());
	CHECK_OK(rec_syntax_load(&s, path, err, sizeof(err)));
	CHECK(s.n > 50);
	CHECK(rec_pattern_match("9AAA999", "7ABC123"));
	CHECK(!rec_pattern_match("9AAA999", "7ABC12"));
	CHECK(!rec_pattern_match("9AAA999", "7ABC1234"));
	CHECK(!rec_pattern_match("9AAA999", "AABC123"));
	CHECK(rec_syntax_match(&s, "7ABC123", "CA"));
	CHECK(rec_syntax_match(&s, "7ABC123", "ca"));
	CHECK(!rec_syntax_match(&s, "7ABC123", "NY"));
	CHECK(rec_syntax_match(&s, "7ABC123", NULL));
	CHECK(rec_syntax_match(&s, "ABC1234", ""));
	CHECK(!rec_syntax_match(&s, "ABCDEFGH", NULL));
	/* Every state has a table, with the earlier issues still on the road and the county-
	 * coded series: Nebraska's 5-D2772, New Jersey's ABC-12D beside A12-BCD, Texas's
	 * AB1-C234, an older Californian 123-ABC, Wyoming's county-coded numbers. */
	static const char *const states[] = {
		"AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA",
		"ID", "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS",
		"MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA",
		"RI", "SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV", "WY"};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(states); i++) {
		int k = 0;
		for (int e = 0; e < s.n; e++) {
			k += strcmp(s.e[e].state, states[i]) == 0;
		}
		CHECK_MSG(k >= (strcmp(states[i], "VT") == 0 ? 1 : 2), "%s has %d patterns",
			  states[i], k);
	}
	CHECK(rec_syntax_match(&s, "5D2772", "NE"));
	CHECK(rec_syntax_match(&s, "ABC12D", "NJ"));
	CHECK(rec_syntax_match(&s, "A12BCD", "NJ"));
	CHECK(rec_syntax_match(&s, "AB1C234", "TX"));
	CHECK(rec_syntax_match(&s, "123ABC", "CA"));
	CHECK(rec_syntax_match(&s, "221234", "WY"));
	/* How common a format is: a state's share, or the states' average. */
	CHECK(fabsf(rec_syntax_prior(&s, "ABC1234", "VA") - 0.75f) < 0.01f);
	CHECK(rec_syntax_prior(&s, "ABC123", NULL) > 5 * rec_syntax_prior(&s, "1234AB", NULL));
	CHECK(rec_syntax_prior(&s, "1234AB", NULL) > 0);
	CHECK(rec_syntax_prior(&s, "ABCDEFGH", NULL) == 0);
	CHECK(rec_syntax_prior(&s, "ABC123", NULL) <= 1);

	const char *bad[] = {"MO\tAA9A9A\n", "Missouri\tAA9A9A\t100\n", "MO\tAA9A9A\tmany\n",
			     "MO\t\t100\n", "MO\tAAAAAAAAAAAAAAAA\t100\n"};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(bad); i++) {
		char text[128];
		snprintf(text, sizeof(text), "# comment\nMO\tAA9A9A\t100\n%s", bad[i]);
		check_write_file(check_path("syntax.tsv"), text);
		CHECK_INT_EQ(rec_syntax_load(&s, check_path("syntax.tsv"), err, sizeof(err)),
			     -ALPR_E_PARSE);
		CHECK_STR_CONTAINS(err, "syntax.tsv:3:");
	}
	CHECK_INT_EQ(rec_syntax_load(&s, check_path("none.tsv"), err, sizeof(err)), -ENOENT);
}

static struct rec_position pos1(char c, float p)
{
	struct rec_position r = {.nalts = 1};
	r.ch[0] = c;
	r.p[0] = p;
	return r;
}

static void load_us_syntax(struct rec_syntax *s)
{
	char path[PATH_MAX], err[256];
	snprintf(path, sizeof(path), "%s/plates/us-syntax.tsv", alpr_datadir());
	CHECK_OK(rec_syntax_load(s, path, err, sizeof(err)));
}

/* Reads @n positions into candidates (no state) and counts the best against @truth. */
static void tally_plate(const struct rec_position *pos, int n, const struct rec_syntax *s,
			const char *truth, int *right, int *total)
{
	struct recognize_candidate out[RECOGNIZE_MAX_CANDIDATES];
	int nc = rec_candidates(pos, n, s, NULL, 10, out);
	CHECK(nc > 0);
	(*total)++;
	if (nc > 0 && strcmp(out[0].text, truth) == 0) {
		(*right)++;
	} else {
		printf("# %s read %s\n", truth, nc > 0 ? out[0].text : "-");
	}
}

static void test_candidates(void)
{
	static struct rec_syntax s;
	load_us_syntax(&s);
	struct recognize_candidate out[RECOGNIZE_MAX_CANDIDATES];

	/* A clear read that fits a syntax comes first, alone at the top. */
	struct rec_position p[8] = {pos1('A', 0.99f), pos1('B', 0.99f), pos1('C', 0.99f),
				    pos1('1', 0.99f), pos1('2', 0.99f), pos1('3', 0.99f),
				    pos1('4', 0.99f)};
	int n = rec_candidates(p, 7, &s, NULL, 10, out);
	CHECK(n == 10);
	CHECK_STR_EQ(out[0].text, "ABC1234");
	CHECK(out[0].syntax_match);
	for (int i = 1; i < n; i++) {
		CHECK(out[i].confidence <= out[i - 1].confidence);
		CHECK(strcmp(out[i].text, out[0].text) != 0);
	}

	/* A letter read unsurely where the syntax wants a digit: the look-alike digit wins.
	 * "ABCS234" fits no syntax; "ABC5234" (S -> 5) does. */
	p[3] = pos1('S', 0.6f);
	n = rec_candidates(p, 7, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "ABC5234");
	bool seen = false;
	for (int i = 0; i < n; i++) {
		seen |= strcmp(out[i].text, "ABCS234") == 0;
	}
	CHECK(seen);
	/* Read surely, the letter stands (plates outside the syntax table exist), and the
	 * syntax's choice is still among the candidates for the hotlist. */
	p[3] = pos1('S', 0.98f);
	n = rec_candidates(p, 7, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "ABCS234");
	seen = false;
	for (int i = 0; i < n; i++) {
		seen |= strcmp(out[i].text, "ABC5234") == 0;
	}
	CHECK(seen);

	/* Tesseract's own alternatives are used and ranked by the product of probabilities. */
	p[3] = pos1('1', 0.6f);
	p[3].ch[1] = '7';
	p[3].p[1] = 0.4f;
	p[3].nalts = 2;
	n = rec_candidates(p, 7, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "ABC1234");
	CHECK_STR_EQ(out[1].text, "ABC7234");

	/* A preferred state: its syntax beats another state's. CA is 9AAA999, NY AAA9999. */
	struct rec_position q[7] = {pos1('7', 0.9f), pos1('A', 0.9f), pos1('B', 0.9f),
				    pos1('C', 0.9f), pos1('1', 0.9f), pos1('2', 0.9f),
				    pos1('3', 0.9f)};
	q[0].ch[1] = 'T';
	q[0].p[1] = 0.85f;
	q[0].nalts = 2;
	n = rec_candidates(q, 7, &s, "CA", 3, out);
	CHECK_INT_EQ(n, 3);
	CHECK_STR_EQ(out[0].text, "7ABC123");
	CHECK(out[0].syntax_match);

	/* A state read from the plate: a string fitting another state's format (999AAA, not in
	 * Maine's table) beats one fitting no format however its glyph reads (a Q's tail); a
	 * string fitting the read state's own (Maine's 9999AA) beats both. */
	struct rec_position me[6] = {pos1('1', 0.95f), pos1('0', 0.95f), pos1('Q', 0.5f),
				     pos1('A', 0.95f), pos1('J', 0.95f), pos1('A', 0.95f)};
	me[2].ch[1] = '0';
	me[2].p[1] = 0.3f;
	me[2].nalts = 2;
	n = rec_candidates_ex(me, 6, &s, "ME", true, 3, out);
	CHECK_STR_EQ(out[0].text, "100AJA");
	me[3] = pos1('A', 0.5f);
	me[3].ch[1] = '4';
	me[3].p[1] = 0.45f;
	me[3].nalts = 2;
	n = rec_candidates_ex(me, 6, &s, "ME", true, 3, out);
	CHECK_STR_EQ(out[0].text, "1004JA");

	/* A look-alike whose two readings both fit a syntax: the commoner format wins when the
	 * reader is unsure (999AAA is a format of most states; 9999AA of a few older issues),
	 * and a sure reading still stands. */
	struct rec_position o[6] = {pos1('3', 0.95f), pos1('5', 0.95f), pos1('5', 0.95f),
				    pos1('0', 0.55f), pos1('C', 0.95f), pos1('T', 0.95f)};
	o[3].ch[1] = 'O';
	o[3].p[1] = 0.45f;
	o[3].nalts = 2;
	n = rec_candidates(o, 6, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "355OCT");
	seen = false;
	for (int i = 0; i < n; i++) {
		seen |= strcmp(out[i].text, "3550CT") == 0;
	}
	CHECK(seen);
	o[3].p[0] = 0.95f;
	o[3].p[1] = 0.05f;
	n = rec_candidates(o, 6, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "3550CT");

	/* A bar read surely as I where the syntax wants a digit: plate typefaces draw I and 1
	 * alike, and the classifier's I is often a 1, so the syntax decides (NH 2757814). */
	struct rec_position nh[7] = {pos1('2', 0.97f), pos1('7', 0.97f), pos1('5', 0.97f),
				     pos1('7', 0.97f), pos1('8', 0.97f), pos1('I', 0.97f),
				     pos1('4', 0.97f)};
	n = rec_candidates(nh, 7, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "2757814");

	/* A character the reader found where the row's rhythm put one (the locator missed
	 * it): read surely, it stays, even where the plate then fits no syntax (Maine's
	 * vanity M0000SE, read 0000SE); read unsurely, the row without it wins. */
	struct rec_position v[7] = {pos1('M', 0.91f), pos1('0', 0.95f), pos1('0', 0.95f),
				    pos1('0', 0.95f), pos1('0', 0.95f), pos1('S', 0.95f),
				    pos1('E', 0.95f)};
	v[0].drop = rec_guess_doubt(0.91f);
	n = rec_candidates(v, 7, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "M0000SE");
	v[0] = pos1('M', 0.35f);
	v[0].drop = rec_guess_doubt(0.35f);
	n = rec_candidates(v, 7, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "0000SE");

	/* A state read from the plate prices its own formats by their shares (California:
	 * 9AAA999 nine plates in ten, AAA999 one in twenty); a state the user chose is only a
	 * preference, its formats alike. An unsure '1' before ABC123 (doubt 0.5): */
	struct rec_position ca[7] = {pos1('1', 0.45f), pos1('A', 0.95f), pos1('B', 0.95f),
				     pos1('C', 0.95f), pos1('1', 0.95f), pos1('2', 0.95f),
				     pos1('3', 0.95f)};
	ca[0].drop = 0.5f;
	n = rec_candidates_ex(ca, 7, &s, "CA", false, 10, out);
	CHECK_STR_EQ(out[0].text, "ABC123");
	n = rec_candidates_ex(ca, 7, &s, "CA", true, 10, out);
	CHECK_STR_EQ(out[0].text, "1ABC123");

	/* An extra character at an end (a frame read as "1") can be dropped. */
	struct rec_position e[8] = {pos1('1', 0.4f),  pos1('A', 0.95f), pos1('B', 0.95f),
				    pos1('C', 0.95f), pos1('1', 0.95f), pos1('2', 0.95f),
				    pos1('3', 0.95f), pos1('4', 0.95f)};
	n = rec_candidates(e, 8, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "ABC1234");

	/* A logo between the character groups read unsurely as a character: the row without it
	 * fits a syntax and wins, the row with it stays a candidate. Its alternatives fill the
	 * position (six, as the classifier gives them), and the string without it still gets
	 * in: the "no character" alternative displaces the weakest. */
	struct rec_position m[7] = {pos1('A', 0.95f), pos1('B', 0.95f), pos1('C', 0.95f),
				    pos1('4', 0.3f),  pos1('1', 0.95f), pos1('2', 0.95f),
				    pos1('3', 0.95f)};
	static const char junk[] = "4KNVMH";
	for (int a = 0; a < REC_MAX_ALTS; a++) {
		m[3].ch[a] = junk[a];
		m[3].p[a] = a == 0 ? 0.3f : 0.1f - 0.01f * (float)a;
	}
	m[3].nalts = REC_MAX_ALTS;
	m[3].drop = 0.35f;
	n = rec_candidates(m, 7, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "ABC123");
	seen = false;
	for (int i = 0; i < n; i++) {
		seen |= strcmp(out[i].text, "ABC4123") == 0;
	}
	CHECK(seen);
	/* Read surely, the same character stands: a drop is a doubt, not a rule. */
	m[3] = pos1('4', 0.95f);
	m[3].drop = 0.02f;
	n = rec_candidates(m, 7, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "ABC4123");

	/* A position the classifier could hardly read (a sticker: '1' at 0.08) is not made a
	 * sure '7' or 'T' by the look-alike table: its look-alikes are no likelier than it, so
	 * the string without it wins. "ABC7123" and "ABCT123" would fit no syntax either way;
	 * "ABC1123" neither. */
	m[3] = pos1('1', 0.08f);
	m[3].drop = 0.15f * 0.92f;
	n = rec_candidates(m, 7, &s, NULL, 10, out);
	CHECK_STR_EQ(out[0].text, "ABC123");

	/* At most two positions are left out of a string: a nine-character row (a date stamp,
	 * a slogan) does not become a shorter plate by dropping more, however doubtful each of
	 * its characters is. */
	struct rec_position d[9];
	for (int i = 0; i < 9; i++) {
		d[i] = pos1("ABCDEFGHJ"[i], 0.5f);
		d[i].drop = 0.9f;
	}
	n = rec_candidates(d, 9, &s, NULL, RECOGNIZE_MAX_CANDIDATES, out);
	CHECK(n > 0);
	for (int i = 0; i < n; i++) {
		CHECK_MSG(strlen(out[i].text) >= 7, "candidate %s", out[i].text);
	}

	/* nothing in, nothing out */
	CHECK_INT_EQ(rec_candidates(p, 0, &s, NULL, 10, out), 0);
}

/* A 1 the classifier reads as I. Plate dies draw both as a bar (New Hampshire's 1 has no
 * flag) and states leave I out of their serials, so an I whose neighbours are all digits is
 * a 1: NH's 1410502 was read I410502, which fits Idaho's A999999 as well as 1410502 fits
 * NH's 9999999. An I beside a letter stays an I (vanity words, ARI1234's I beside its 1).
 * Plates and readings from a fixed seed: every character read at 0.9-0.99, the 1 read as I
 * at 0.5-0.98 with the 1 second. */
#define N_BARS 120
/* A round letter read unsurely as O (below 0.3 its look-alikes 0, D and Q tie it: the
 * classifier gave no evidence against them) and a digit read with a second, different digit a
 * little less likely (the truth, as wts-lg-000149's 6MWF778 against the read 6MWF783): the second
 * reading must come before the ties' look-alike variants, which still stay in the top 10 for the
 * hotlist. California's 9AAA999 from a fixed seed, without a syntax (which prices the
 * look-alikes' formats apart). Before, the ties (0, D, Q) filled ranks 1-4, and the reading
 * the classifier favoured was not always first among them. */
#define N_TIES 40
static void test_tie_variants(void)
{
	struct rng g = {.s = 6778};
	int second_ok = 0, first_ok = 0, kept = 0;
	for (int t = 0; t < N_TIES; t++) {
		const char *pat = "9AAA999";
		char text[8], read[8], var[8];
		struct rec_position pos[7];
		for (int i = 0; i < 7; i++) {
			text[i] = pat[i] == 'A' ? "ABCEFGHKLMNPRSTVWXY"[rnd(&g) % 19]
						: "345689"[rnd(&g) % 6];
			pos[i] = pos1(text[i], rnd_f(&g, 0.9f, 0.99f));
		}
		text[7] = '\0';
		int round = rnd_in(&g, 1, 3), digit = rnd_in(&g, 4, 5);
		text[round] = 'O';
		pos[round] = pos1('O', rnd_f(&g, 0.15f, 0.28f));
		/* the digit: read as the next digit, the truth second */
		char other = (char)('3' + (text[digit] - '3' + 1) % 7);
		float p = rnd_f(&g, 0.45f, 0.6f);
		pos[digit] = pos1(other, p);
		pos[digit].ch[1] = text[digit];
		pos[digit].p[1] = p * rnd_f(&g, 0.6f, 0.9f);
		pos[digit].nalts = 2;
		memcpy(read, text, sizeof(read));
		read[digit] = other;
		memcpy(var, read, sizeof(var));
		var[round] = 'D';
		struct recognize_candidate out[RECOGNIZE_MAX_CANDIDATES];
		int n = rec_candidates(pos, 7, NULL, NULL, 10, out);
		CHECK(n > 2);
		first_ok += n > 0 && strcmp(out[0].text, read) == 0;
		second_ok += n > 1 && strcmp(out[1].text, text) == 0;
		for (int i = 0; i < n; i++) {
			kept += strcmp(out[i].text, var) == 0;
		}
	}
	printf("# the reading first %d, the second reading second %d, the tie kept %d, of %d\n",
	       first_ok, second_ok, kept, N_TIES);
	CHECK_INT_EQ(first_ok, N_TIES);
	CHECK_INT_EQ(second_ok, N_TIES);
	CHECK_INT_EQ(kept, N_TIES);
}

static void test_i_among_digits(void)
{
	static struct rec_syntax s;
	load_us_syntax(&s);
	struct rng g = {.s = 1410502};
	static const char *const digit_runs[] = {"9999999", "999999",  "99999",
						 "999AAA",  "AAA9999", "99A9999"};
	static const char *const letter_runs[] = {"AAA9999", "AAA999", "9AAA999"};
	int ones = 0, ones_right = 0, eyes = 0, eyes_right = 0;
	for (int t = 0; t < N_BARS; t++) {
		bool letter = t % 3 == 2;
		const char *pat = letter ? letter_runs[rnd(&g) % ALPR_ARRAY_SIZE(letter_runs)]
					 : digit_runs[rnd(&g) % ALPR_ARRAY_SIZE(digit_runs)];
		int n = (int)strlen(pat);
		char text[RECOGNIZE_MAX_CHARS + 1];
		struct rec_position pos[RECOGNIZE_MAX_CHARS];
		for (int i = 0; i < n; i++) {
			text[i] = pat[i] == 'A' ? "ABCEFGHKLMNPRSTUVWXYZ"[rnd(&g) % 21]
						: "23456789"[rnd(&g) % 8];
			pos[i] = pos1(text[i], rnd_f(&g, 0.9f, 0.99f));
		}
		text[n] = '\0';
		/* the bar: a 1 among digits, or an I in a run of letters (possibly at its end,
		 * beside a digit) */
		int at;
		do {
			at = rnd_in(&g, 0, n - 1);
		} while (pat[at] != (letter ? 'A' : '9') ||
			 (!letter && at > 0 && pat[at - 1] == 'A') ||
			 (!letter && at + 1 < n && pat[at + 1] == 'A') ||
			 (letter &&
			  !((at > 0 && pat[at - 1] == 'A') || (at + 1 < n && pat[at + 1] == 'A'))));
		text[at] = letter ? 'I' : '1';
		float p = rnd_f(&g, 0.5f, 0.98f);
		pos[at] = pos1('I', p);
		pos[at].ch[1] = '1';
		pos[at].p[1] = 0.5f * (1 - p);
		pos[at].nalts = 2;
		if (letter) {
			tally_plate(pos, n, &s, text, &eyes_right, &eyes);
		} else {
			tally_plate(pos, n, &s, text, &ones_right, &ones);
		}
	}
	printf("# 1 read as I among digits: %d of %d right; I among letters: %d of %d\n",
	       ones_right, ones, eyes_right, eyes);
	CHECK_MSG(ones_right == ones, "1s among digits: %d of %d", ones_right, ones);
	CHECK_MSG(eyes_right == eyes, "Is among letters: %d of %d", eyes_right, eyes);
}

/* Dark ink, a little noisy, at row @v, column @u of a classifier patch, when @ink. */
static void ink_at(uint8_t *patch, struct rng *g, int v, int u, bool ink)
{
	if (ink) {
		patch[v * REC_PATCH_W + u] = (uint8_t)rnd_in(g, 0, 60);
	}
}

/* A bar drawn into a classifier patch (white, REC_PATCH_W x REC_PATCH_H): a stem @sw wide
 * whose left edge is at @x, the glyph's REC_PATCH_CHAR rows high and centred as cut_patch()
 * centres it; @kind 0 a plain bar, 1 an I with serifs both sides, 2 a 1 with a flag (a
 * stroke down to the left from the stem's top) and a base. A neighbour's edge at the
 * patch's left side when @neighbour. */
static void draw_bar(uint8_t *patch, struct rng *g, int kind, int x, int sw, bool neighbour)
{
	memset(patch, 255, REC_PATCH_W * REC_PATCH_H);
	int t = (REC_PATCH_H - REC_PATCH_CHAR) / 2, b = t + REC_PATCH_CHAR - 1;
	int serif = rnd_in(g, 3, 4), flag = rnd_in(g, 5, 7);
	for (int v = t; v <= b; v++) {
		for (int u = 0; u < REC_PATCH_W; u++) {
			bool ink = u >= x && u < x + sw;
			if (kind == 1 && (v < t + 3 || v > b - 2)) {
				ink |= u >= x - serif && u < x + sw + serif;
			}
			if (kind == 2) {
				/* the flag: a stroke down to the left from the stem's top, as thick
				 * across as a slanted stroke of the stem's width */
				int d = v - t;
				ink |= d < flag && u >= x - d - 1 && u < x - d + sw;
				ink |= v > b - 2 && u >= x - serif && u < x + sw + serif;
			}
			if (neighbour && u < 2 + (v - t) % 3) {
				ink = true;
			}
			ink_at(patch, g, v, u, ink);
		}
	}
}

/* A 1 with a flag that the classifier reads as I (Idaho's 1AD849T read IAD849T, its 1 read
 * I at 0.93): a flagged bar is a 1, a plain bar or a serif I stays an I. Bars drawn from a
 * fixed seed at varied places, widths and flag lengths, some beside a neighbour's ink; each
 * read I at 0.5-0.95, the plate read through the candidates. */
#define N_FLAGS 90
static void test_flagged_one(void)
{
	static struct rec_syntax s;
	load_us_syntax(&s);
	struct rng g = {.s = 1849};
	uint8_t patch[REC_PATCH_W * REC_PATCH_H];
	int ones = 0, ones_right = 0, eyes = 0, eyes_right = 0;
	for (int t = 0; t < N_FLAGS; t++) {
		int kind = t % 3, sw = rnd_in(&g, 3, 4);
		draw_bar(patch, &g, kind, rnd_in(&g, 10, 12), sw, rnd(&g) % 2);
		/* 1AD849T, Idaho's county-coded vanity; IAD849T would be its I's reading */
		const char *truth = kind == 2 ? "1AD849T" : "IAD849T";
		struct rec_position pos[7];
		for (int i = 0; i < 7; i++) {
			pos[i] = pos1("IAD849T"[i], rnd_f(&g, 0.9f, 0.99f));
		}
		float p = rnd_f(&g, 0.5f, 0.95f);
		pos[0] = pos1('I', p);
		pos[0].ch[1] = '1';
		pos[0].p[1] = 0.3f * (1 - p);
		pos[0].nalts = 2;
		rec_read_bar(&pos[0], patch);
		if (kind == 2) {
			tally_plate(pos, 7, &s, truth, &ones_right, &ones);
		} else {
			tally_plate(pos, 7, &s, truth, &eyes_right, &eyes);
		}
	}
	printf("# flagged 1s read as 1: %d of %d; plain and serif Is kept: %d of %d\n", ones_right,
	       ones, eyes_right, eyes);
	CHECK_MSG(ones_right == ones, "flagged 1s: %d of %d", ones_right, ones);
	CHECK_MSG(eyes_right == eyes, "Is: %d of %d", eyes_right, eyes);
}

/* A round glyph drawn into a classifier patch (white, REC_PATCH_W x REC_PATCH_H): an
 * elliptical ring @wd wide, its stroke @sw, the glyph's REC_PATCH_CHAR rows high: an O when
 * @kind is 0, a D when 1 (its left half a straight stem with square corners), a Q when 2 (a
 * tail of the stroke's width from inside the counter's bottom out past its lower right). */
static void draw_round(uint8_t *patch, struct rng *g, int kind, int x, int wd, int sw)
{
	memset(patch, 255, REC_PATCH_W * REC_PATCH_H);
	int t = (REC_PATCH_H - REC_PATCH_CHAR) / 2, b = t + REC_PATCH_CHAR - 1;
	float cx = (float)x + 0.5f * (float)wd, cy = 0.5f * (float)(t + b + 1);
	float rx = 0.5f * (float)wd, ry = 0.5f * (float)REC_PATCH_CHAR;
	for (int v = t; v <= b; v++) {
		for (int u = 0; u < REC_PATCH_W; u++) {
			float px = (float)u + 0.5f - cx, py = (float)v + 0.5f - cy;
			float out = px * px / (rx * rx) + py * py / (ry * ry);
			float in = px * px / ((rx - (float)sw) * (rx - (float)sw)) +
				   py * py / ((ry - (float)sw) * (ry - (float)sw));
			bool ink = out <= 1 && in >= 1;
			if (kind == 1 && px < 0) {
				ink = u >= x && (u < x + sw || v < t + sw || v > b - sw);
			}
			if (kind == 2 && py > 0.3f * ry) {
				/* from (0.1 rx, 0.3 ry) to (rx, ry) from the centre */
				float along = (py - 0.3f * ry) / (0.7f * ry);
				float tx = 0.1f * rx + along * 0.9f * rx;
				ink |= fabsf(px - tx) < 0.5f * (float)sw + 0.5f;
			}
			ink_at(patch, g, v, u, ink);
		}
	}
}

/* Round glyphs drawn from @seed at varied places, widths and strokes, every other one of
 * @kind (draw_round()) and the rest O's, at position @at of @plate (whose character there is
 * @kind's letter); each read by the classifier 0 first at @p0lo-@p0hi, O second, and the
 * letter third at @share of the O. Each of @kind must be read as its letter, no O as it. */
#define N_ROUNDS 60
static void check_round_letter(const char *plate, int at, int kind, float p0lo, float p0hi,
			       float share, uint64_t seed)
{
	static struct rec_syntax s;
	load_us_syntax(&s);
	struct rng g = {.s = seed};
	uint8_t patch[REC_PATCH_W * REC_PATCH_H];
	int n = (int)strlen(plate), ls = 0, ls_right = 0, os = 0, os_kept = 0;
	for (int t = 0; t < N_ROUNDS; t++) {
		bool letter = t % 2;
		int wd = rnd_in(&g, 11, 14);
		draw_round(patch, &g, letter ? kind : 0, rnd_in(&g, 4, REC_PATCH_W - 4 - wd), wd,
			   rnd_in(&g, 3, 4));
		struct rec_position pos[RECOGNIZE_MAX_CHARS];
		for (int i = 0; i < n; i++) {
			pos[i] = pos1(plate[i], rnd_f(&g, 0.9f, 0.99f));
		}
		float p0 = rnd_f(&g, p0lo, p0hi), po = rnd_f(&g, 0.45f, 0.75f) * (1 - p0);
		pos[at] = pos1('0', p0);
		pos[at].ch[1] = 'O';
		pos[at].p[1] = po;
		pos[at].ch[2] = plate[at];
		pos[at].p[2] = share * po;
		pos[at].nalts = 3;
		rec_read_round(&pos[at], patch);
		if (letter) {
			tally_plate(pos, n, &s, plate, &ls_right, &ls);
			continue;
		}
		struct recognize_candidate out[RECOGNIZE_MAX_CANDIDATES];
		CHECK(rec_candidates(pos, n, &s, NULL, 10, out) > 0);
		os++;
		os_kept += out[0].text[at] != plate[at];
	}
	printf("# %c read %c: %d of %d; O not read %c: %d of %d\n", plate[at], plate[at], ls_right,
	       ls, plate[at], os_kept, os);
	CHECK_MSG(ls_right == ls, "%c: %d of %d", plate[at], ls_right, ls);
	CHECK_MSG(os_kept == os, "O: %d of %d", os_kept, os);
}

/* A D read as a round glyph (New York's DCG6624 read OCG6624: its D read 0 at 0.43, O at 0.27
 * and D at 0.24): a glyph with square left corners is read D before O; a round one is not
 * made a D. */
static void test_square_d(void)
{
	check_round_letter("DCG6624", 0, 1, 0.4f, 0.45f, 0.9f, 6624);
}

/* A Q the classifier reads 0 (Florida's W772UQ read W772UO: its Q read 0 at 0.58, O 0.30, Q
 * 0.04): a round glyph with a tail at its counter's lower right is read Q before O; an O
 * is not made a Q. */
static void test_q_tail(void)
{
	check_round_letter("W772UQ", 5, 2, 0.55f, 0.65f, 0.13f, 1225);
}

/* One character seen twice: Idaho's DRIFTER was read DRIFTTER, its second T a blob over
 * two thirds of a gap guess's width; a real double letter stands apart. */
static void test_twins(void)
{
	struct rec_span span[8] = {{0, 10},  {12, 22}, {24, 34}, {36, 46},
				   {48, 58}, {51, 61}, {63, 73}, {75, 85}};
	struct rec_position pos[8] = {pos1('D', 0.9f), pos1('R', 0.9f),  pos1('I', 0.9f),
				      pos1('F', 0.9f), pos1('T', 0.36f), pos1('T', 0.91f),
				      pos1('E', 0.9f), pos1('R', 0.9f)};
	CHECK_INT_EQ(rec_merge_twins(span, pos, 8), 7);
	char text[8];
	for (int k = 0; k < 7; k++) {
		text[k] = pos[k].ch[0];
	}
	text[7] = '\0';
	CHECK_STR_EQ(text, "DRIFTER");
	/* the surer of the two is kept, with its span */
	CHECK(fabsf(pos[4].p[0] - 0.91f) < 1e-6f);
	CHECK(fabsf(span[4].x0 - 51) < 1e-6f);
	/* side by side (MISSY's SS), or overlapping less than half, they are two */
	struct rec_span s2[3] = {{0, 10}, {11, 21}, {17, 27}};
	struct rec_position p2[3] = {pos1('S', 0.9f), pos1('S', 0.9f), pos1('S', 0.9f)};
	CHECK_INT_EQ(rec_merge_twins(s2, p2, 3), 3);
	/* overlapping, but read as different characters: the candidates judge */
	struct rec_span s3[2] = {{0, 10}, {3, 13}};
	struct rec_position p3[2] = {pos1('G', 0.2f), pos1('E', 0.5f)};
	CHECK_INT_EQ(rec_merge_twins(s3, p3, 2), 2);
}

/* alpr-read as a user runs it: a good image and a corrupt one in one call. */
static void test_cli(void)
{
	const char *bin = getenv("ALPR_READ_BIN");
	CHECK_MSG(bin, "ALPR_READ_BIN is not set");
	setMsgSeverity(L_SEVERITY_NONE);
	/* a synthetic scene written as PNG, a truncated JPEG, a text file named .jpg */
	struct rng g = {99};
	L_BMF *bmf = new_font();
	struct scene s = make_scene(bmf, &g);
	PIX *pix = pixCreate(s.im.w, s.im.h, 8);
	for (int y = 0; y < s.im.h; y++) {
		for (int x = 0; x < s.im.w; x++) {
			pixSetPixel(pix, x, y, s.im.px[(size_t)y * s.im.w + x]);
		}
	}
	char good[PATH_MAX], trunc[PATH_MAX], text[PATH_MAX], cmd[4 * PATH_MAX + 256];
	snprintf(good, sizeof(good), "%s", check_path("scene.png"));
	snprintf(trunc, sizeof(trunc), "%s", check_path("cut.jpg"));
	snprintf(text, sizeof(text), "%s", check_path("text.jpg"));
	CHECK(pixWrite(good, pix, IFF_PNG) == 0);
	l_uint8 *jpeg = NULL;
	size_t len = 0;
	CHECK(pixWriteMem(&jpeg, &len, pix, IFF_JFIF_JPEG) == 0);
	FILE *f = fopen(trunc, "wb");
	CHECK(f && fwrite(jpeg, 1, len / 2, f) == len / 2);
	fclose(f);
	lept_free(jpeg);
	pixDestroy(&pix);
	check_write_file(text, "not an image\n");

	snprintf(cmd, sizeof(cmd), "'%s' --json --topn 3 '%s' '%s' '%s' >'%s' 2>'%s'", bin, trunc,
		 good, text, check_path("out"), check_path("err"));
	int st = system(cmd);
	CHECK(WIFEXITED(st));
	CHECK_INT_EQ(WEXITSTATUS(st), 1);
	char *out = NULL, *errs = NULL;
	size_t n;
	CHECK_OK(alpr_read_file(check_path("out"), 1 << 20, &out, &n));
	CHECK_OK(alpr_read_file(check_path("err"), 1 << 20, &errs, &n));
	/* one JSON line for the good file, with the plate read; one error line per bad file */
	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
	CHECK_STR_CONTAINS(out, "\"file\":");
	CHECK_STR_CONTAINS(out, "scene.png");
	CHECK_STR_CONTAINS(out, "\"processing_ms\":");
	CHECK_STR_CONTAINS(out, "\"box\":[");
	CHECK_STR_CONTAINS(out, "\"corners\":[[");
	CHECK_STR_CONTAINS(out, "\"candidates\":[{\"plate\":");
	/* the plate itself: its text is the synthetic-plates case's business */
	CHECK_STR_CONTAINS(out, "\"results\":[{\"plate\":\"");
	CHECK_STR_CONTAINS(errs, "cut.jpg: damaged or truncated image\n");
	CHECK_STR_CONTAINS(errs, "text.jpg: not an image");
	int lines = 0;
	for (const char *c = errs; *c; c++) {
		lines += *c == '\n';
	}
	CHECK_INT_EQ(lines, 2);
	free(out);
	free(errs);

	/* usage errors */
	snprintf(cmd, sizeof(cmd), "'%s' --topn 0 x.jpg 2>/dev/null", bin);
	st = system(cmd);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	snprintf(cmd, sizeof(cmd), "'%s' --state Missouri x.jpg 2>/dev/null", bin);
	st = system(cmd);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	free(s.im.px);
	bmfDestroy(&bmf);
}

int main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{"synthetic-plates", test_synthetic_plates},
		{"locate-hard", test_locate_hard},
		{"date-stamp", test_date_stamp},
		{"painted-lettering", test_painted_lettering},
		{"completed-rows", test_completed_rows},
		{"group-ends", test_group_ends},
		{"worn-ends", test_worn_ends},
		{"completed-fours", test_completed_fours},
		{"plate-rectangles", test_plate_rectangles},
		{"lettering-inside", test_lettering_inside},
		{"printed-scenery", test_printed_scenery},
		{"lettering-beside", test_lettering_beside},
		{"chained-frame", test_chained_frame},
		{"stacked-code", test_stacked_code},
		{"framed-ends", test_framed_ends},
		{"dealer-band", test_dealer_band},
		{"band-final-one", test_band_final_one},
		{"slat-rows", test_slat_rows},
		{"bad-input", test_bad_input},
		{"classifier-file", test_classifier_file},
		{"state-names", test_state_names},
		{"state-misread", test_state_misread},
		{"state-slogans", test_state_slogans},
		{"state-lost-i", test_state_lost_i},
		{"long-state-row", test_long_state_row},
		{"hidden-characters", test_hidden_characters},
		{"faint-joins", test_faint_joins},
		{"light-logo", test_light_logo},
		{"frame-api", test_frame_api},
		{"syntax", test_syntax},
		{"candidates", test_candidates},
		{"i-among-digits", test_i_among_digits},
		{"tie-variants", test_tie_variants},
		{"flagged-one", test_flagged_one},
		{"square-d", test_square_d},
		{"q-tail", test_q_tail},
		{"twins", test_twins},
		{"cli", test_cli},
	};
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
