/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * Plate localisation by grouping character-shaped blobs.
 *
 * A plate is, before anything else, a short straight row of 4 to 8 dark (or light) blobs of
 * one height on a uniform background. Edges and textures are everywhere in a street scene;
 * rows of equal blobs are rare outside plates and printed text. So: binarise locally (a pixel
 * is foreground when it is darker, or lighter, than the mean of its neighbourhood by a
 * margin), label the connected blobs, keep those shaped like characters, link each to its
 * nearest aligned right neighbour of the same height, and score the rows. Small plates are
 * found at the working scale (at most 1280 px), large ones at half that, with the same
 * window: the window only needs to be a few strokes wide.
 *
 * Memory: every buffer lives in struct rec_locator, grows to the largest frame seen and is
 * reused; nothing is allocated per frame once the sizes are reached.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "recognize-private.h"

/* Localisation works on frames at most this large on their longer side: a 720p frame as it
 * is, 1080p scaled by 2/3. Plates 25 px tall in 720p have characters of about 12 px. */
#define WORK_MAX_SIDE 1280
/* Local mean window radius (a 25 x 25 window). */
#define WIN_RADIUS 12
/* The binarisations: level (0 working scale, 1 half) and contrast margin in grey levels.
 * A small margin finds faint characters; a large one keeps only the cores of the strokes,
 * which separates characters from a dark plate frame they nearly touch, and from each
 * other: large characters (a plate filling a crop, a near car) stand closer than a window
 * apart, and blur, embossing and a graphic behind them join them into blobs too wide to be
 * one at the small margin (plates-dev: 0.797 -> 0.843 top-1 with {1, 30}; margins 24 to 35
 * measure within a crop of each other, 40 and more lose a us-dev scene's top-10). */
static const struct {
	int level, margin;
} passes[] = {{0, 7}, {0, 20}, {1, 7}, {1, 30}};
/* Character heights looked for at each level, in that level's pixels. Level 1 is half scale,
 * so together they cover 8 to 100 px characters in the working image. The bands overlap
 * little: a narrow band lets erase_long_runs() cut shorter frame bars (measured on us-dev:
 * 8-30 and 14-50 find more plates than 8-40 and 18-50, 8-22 and 11-50, or 8-34 and 16-50). */
static const int level_hmin[2] = {8, 14};
static const int level_hmax[2] = {40, 50};
static const int level_erase[2] = {30, 50};
#define ERASE_H(level) (level_erase[level] * 11 / 10 + 1)
#define ERASE_V(level) (level_hmax[level] + 1)

/* The best rows are completed at their ends (complete_row) before duplicates go. */
#define COMPLETE_ROWS 64
/* Rows scoring less are dropped. */
#define MIN_ROW_SCORE 0.05f
struct cc {
	int32_t parent;
	int16_t x0, y0, x1, y1;
	int32_t area;
};

void rec_locator_init(struct rec_locator *l)
{
	memset(l, 0, sizeof(*l));
	l->blobs = alpr_xcalloc(REC_MAX_BLOBS, sizeof(*l->blobs));
	l->row_blobs = alpr_xcalloc(REC_MAX_BLOBS, sizeof(*l->row_blobs));
	l->order = alpr_xcalloc(REC_MAX_BLOBS, sizeof(*l->order));
	l->link = alpr_xcalloc(REC_MAX_BLOBS, sizeof(*l->link));
}

void rec_locator_finish(struct rec_locator *l)
{
	free(l->grey);
	free(l->half);
	free(l->integral);
	free(l->mask);
	free(l->mean);
	free(l->colrun);
	free(l->bandcols);
	free(l->runs);
	free(l->cc);
	free(l->blobs);
	free(l->row_blobs);
	free(l->order);
	free(l->link);
	memset(l, 0, sizeof(*l));
}

static int grow(void **p, size_t *cap, size_t n, size_t elsize)
{
	if (n <= *cap) {
		return 0;
	}
	void *q = realloc(*p, n * elsize);
	if (!q) {
		return -ENOMEM;
	}
	*p = q;
	*cap = n;
	return 0;
}

/* Area-ish downscale by a factor in [1, 16]: the mean of the source pixels each output pixel
 * covers, sampled on a grid of at most 3 x 3. */
static void downscale(const uint8_t *src, int sw, int sh, size_t stride, uint8_t *dst, int dw,
		      int dh)
{
	float fx = (float)sw / dw, fy = (float)sh / dh;
	for (int v = 0; v < dh; v++) {
		int ya = (int)(v * fy), yb = ALPR_MIN((int)((v + 1) * fy), sh) - 1;
		int ym = (ya + yb) / 2;
		const uint8_t *ra = src + (size_t)ya * stride, *rm = src + (size_t)ym * stride,
			      *rb = src + (size_t)ALPR_MAX(yb, ya) * stride;
		for (int u = 0; u < dw; u++) {
			int xa = (int)(u * fx),
			    xb = ALPR_MAX(ALPR_MIN((int)((u + 1) * fx), sw) - 1, xa);
			int xm = (xa + xb) / 2;
			int s = ra[xa] + ra[xm] + ra[xb] + rm[xa] + rm[xm] + rm[xb] + rb[xa] +
				rb[xm] + rb[xb];
			dst[(size_t)v * dw + u] = (uint8_t)(s / 9);
		}
	}
}

static void integrate(const uint8_t *img, int w, int h, uint32_t *ii)
{
	size_t W = (size_t)w + 1;
	memset(ii, 0, W * sizeof(*ii));
	for (int y = 0; y < h; y++) {
		uint32_t run = 0;
		uint32_t *row = ii + (size_t)(y + 1) * W, *above = ii + (size_t)y * W;
		row[0] = 0;
		for (int x = 0; x < w; x++) {
			run += img[(size_t)y * w + x];
			row[x + 1] = above[x + 1] + run;
		}
	}
}

/* The local mean of every pixel over the window (clipped at the borders). */
static void local_mean(int w, int h, const uint32_t *ii, uint8_t *mean)
{
	size_t W = (size_t)w + 1;
	for (int y = 0; y < h; y++) {
		int ya = ALPR_MAX(y - WIN_RADIUS, 0), yb = ALPR_MIN(y + WIN_RADIUS + 1, h);
		const uint32_t *ra = ii + (size_t)ya * W, *rb = ii + (size_t)yb * W;
		uint8_t *out = mean + (size_t)y * w;
		int x = 0;
		int xe = ALPR_MIN(WIN_RADIUS, w);
		for (; x < xe; x++) {
			int xa = 0, xb = ALPR_MIN(x + WIN_RADIUS + 1, w);
			uint32_t area = (uint32_t)((yb - ya) * (xb - xa));
			out[x] = (uint8_t)((rb[xb] - rb[xa] - ra[xb] + ra[xa]) / area);
		}
		/* the interior, where the window is whole across */
		uint32_t area = (uint32_t)((yb - ya) * (2 * WIN_RADIUS + 1));
		uint32_t inv = (uint32_t)((1u << 24) / area) + 1;
		for (; x + WIN_RADIUS + 1 <= w; x++) {
			int xa = x - WIN_RADIUS, xb = x + WIN_RADIUS + 1;
			uint32_t sum = rb[xb] - rb[xa] - ra[xb] + ra[xa];
			out[x] = (uint8_t)(((uint64_t)sum * inv) >> 24);
		}
		for (; x < w; x++) {
			int xa = ALPR_MAX(x - WIN_RADIUS, 0), xb = w;
			uint32_t a = (uint32_t)((yb - ya) * (xb - xa));
			out[x] = (uint8_t)((rb[xb] - rb[xa] - ra[xb] + ra[xa]) / a);
		}
	}
}

/* Foreground where the pixel is darker (or lighter) than its local mean by @margin. */
static void binarise(const uint8_t *restrict img, const uint8_t *restrict mean, size_t n,
		     bool light, int margin, uint8_t *restrict mask)
{
	/* in blocks of 16 with no aliasing, which -O2 turns into vector code; then the rest */
	size_t i = 0;
	if (light) {
		for (; i + 16 <= n; i += 16) {
			for (size_t j = i; j < i + 16; j++) {
				mask[j] = (int)img[j] - (int)mean[j] > margin;
			}
		}
		for (; i < n; i++) {
			mask[i] = (int)img[i] - (int)mean[i] > margin;
		}
	} else {
		for (; i + 16 <= n; i += 16) {
			for (size_t j = i; j < i + 16; j++) {
				mask[j] = (int)mean[j] - (int)img[j] > margin;
			}
		}
		for (; i < n; i++) {
			mask[i] = (int)mean[i] - (int)img[i] > margin;
		}
	}
}

/*
 * Erases the mask's runs too long to belong to a character of at most @hmax pixels: rows
 * longer than a character may be wide, columns taller than one may be high. A blob shaped
 * like a character has no such run, so no character is lost; what goes are the plate
 * frame's bars, bumpers and body lines that characters touch, which would otherwise join
 * the characters into one blob too large to be one. @colrun holds a counter per column.
 */
static void erase_long_runs(uint8_t *mask, int w, int h, int lh, int lv, uint8_t *colrun)
{
	const uint64_t ones = 0x0101010101010101ull;
	lv = ALPR_MIN(lv, 63);
	bool marked = false;
	/* Column runs are counted eight columns at a time, one byte each, capped at 64 (more
	 * than any lv): the mask is 0 or 1 per byte, so nothing carries between bytes. */
	int w8 = (w + 7) / 8 * 8;
	memset(colrun, 0, (size_t)w8);
	for (int y = 0; y <= h; y++) {
		const uint8_t *m = mask + (size_t)ALPR_MIN(y, h - 1) * w;
		for (int x = 0; x < w8; x += 8) {
			uint64_t on = 0, run;
			if (y < h) {
				memcpy(&on, m + x, (size_t)ALPR_MIN(8, w - x));
			}
			memcpy(&run, colrun + x, 8);
			if (!(on | run)) {
				continue;
			}
			/* a run of lv or more (high bit) ending here (not on) */
			uint64_t ended = (run + (0x80 - lv) * ones) & ~(on * 0xff) & (0x80 * ones);
			run = (run + ones) & (on * 0xff);
			run &= ~((run & (0x40 * ones)) >> 6); /* 65 back to 64 */
			memcpy(colrun + x, &run, 8);
			for (; ended; ended &= ended - 1) {
				int c = x + __builtin_ctzll(ended) / 8;
				/* marked, not cleared: the row pass still sees the whole mask */
				for (int k = y - 1; k >= 0 && mask[(size_t)k * w + c]; k--) {
					mask[(size_t)k * w + c] = 2;
				}
				marked = true;
			}
		}
	}
	for (int y = 0; y < h; y++) {
		uint8_t *m = mask + (size_t)y * w;
		int x = 0;
		while (x < w) {
			while (x + 8 <= w) {
				uint64_t word;
				memcpy(&word, m + x, 8);
				if (word) {
					break;
				}
				x += 8;
			}
			while (x < w && !m[x]) {
				x++;
			}
			int s = x;
			while (x < w && m[x]) {
				x++;
			}
			if (x - s >= lh) {
				memset(m + s, 0, (size_t)(x - s));
			}
		}
		if (!marked) {
			continue;
		}
		for (x = 0; x + 8 <= w; x += 8) {
			uint64_t word;
			memcpy(&word, m + x, 8);
			word &= ones; /* 2 (a long column) to 0 */
			memcpy(m + x, &word, 8);
		}
		for (; x < w; x++) {
			m[x] &= 1;
		}
	}
}

static int32_t find(struct cc *c, int32_t i)
{
	while (c[i].parent != i) {
		c[i].parent = c[c[i].parent].parent;
		i = c[i].parent;
	}
	return i;
}

static void unite(struct cc *c, int32_t a, int32_t b)
{
	a = find(c, a);
	b = find(c, b);
	if (a < b) {
		c[b].parent = a;
	} else if (b < a) {
		c[a].parent = b;
	}
}

struct run {
	int16_t x0, x1;
	int32_t label;
};

/* Appends the foreground runs of one mask row to @runs; returns how many. Background is
 * skipped eight bytes at a time (most of a frame is background). */
static int row_runs(const uint8_t *m, int w, struct run *runs)
{
	int n = 0, x = 0;
	while (x < w) {
		while (x + 8 <= w) {
			uint64_t word;
			memcpy(&word, m + x, 8);
			if (word) {
				break;
			}
			x += 8;
		}
		while (x < w && !m[x]) {
			x++;
		}
		if (x >= w) {
			break;
		}
		int s = x;
		while (x < w && m[x]) {
			x++;
		}
		runs[n++] = (struct run){(int16_t)s, (int16_t)(x - 1), 0};
	}
	return n;
}

static bool char_shaped(const struct rec_blob *b, int hmin, int hmax)
{
	int bw = b->x1 - b->x0 + 1, bh = b->y1 - b->y0 + 1;
	if (bh < hmin || bh > hmax || bw > bh * 15 / 10 || bh > bw * 12 || b->area < 10) {
		return false;
	}
	float fill = (float)b->area / ((float)bw * bh);
	/* thin strokes ("1", "I") fill their box; other characters leave holes */
	return !(fill < 0.12f || (fill > 0.92f && bh < 3 * bw));
}

/* Plate rectangles (plate_row): a plate's light background inside a darker frame or
 * bumper, a blob of the light mask with the characters as holes, about twice as wide as
 * tall (1.5 to 3: a frame's lettering can cover the plate's top or bottom), at least half
 * of its box, RECT_HMIN to RECT_HMAX working pixels tall (small plates: larger ones make
 * rows of blobs). */
#define RECT_HMIN 16
#define RECT_HMAX 90
static bool plate_shaped(const struct rec_blob *b, int scale)
{
	int bw = (b->x1 - b->x0 + 1) * scale, bh = (b->y1 - b->y0 + 1) * scale;
	return bh >= RECT_HMIN && bh <= RECT_HMAX && bw * 2 >= bh * 3 && bw <= bh * 3 &&
	       b->area * 2 >= (b->x1 - b->x0 + 1) * (b->y1 - b->y0 + 1);
}

/* Labels the mask's 8-connected blobs (run by run, with union-find) and keeps the
 * character-shaped ones. Returns how many blobs were stored in l->blobs. */
static int label_blobs(struct rec_locator *l, int w, int h, int hmin, int hmax, int rect_scale)
{
	struct cc *c = l->cc;
	int32_t n = 1; /* label 0 is unused */
	struct run *prev = l->runs, *cur = prev + (w / 2 + 2);
	int nprev = 0;

	for (int y = 0; y < h; y++) {
		int ncur = row_runs(l->mask + (size_t)y * w, w, cur);
		int j = 0;
		for (int i = 0; i < ncur; i++) {
			struct run *r = &cur[i];
			int32_t L = 0;
			/* previous-row runs touching this one (8-connected: one pixel diagonal) */
			while (j < nprev && prev[j].x1 < r->x0 - 1) {
				j++;
			}
			for (int k = j; k < nprev && prev[k].x0 <= r->x1 + 1; k++) {
				if (!L) {
					L = prev[k].label;
				} else {
					unite(c, L, prev[k].label);
				}
			}
			if (!L) {
				L = n++;
				c[L] = (struct cc){L, r->x0, (int16_t)y, r->x1, (int16_t)y, 0};
			}
			r->label = L;
			struct cc *s = &c[L];
			s->area += r->x1 - r->x0 + 1;
			if (r->x0 < s->x0) {
				s->x0 = r->x0;
			}
			if (r->x1 > s->x1) {
				s->x1 = r->x1;
			}
			s->y1 = (int16_t)y;
		}
		struct run *t = prev;
		prev = cur;
		cur = t;
		nprev = ncur;
	}
	/* Fold every label's box into its root (roots have the smallest label). */
	for (int32_t i = 1; i < n; i++) {
		int32_t r = find(c, i);
		if (r == i) {
			continue;
		}
		struct cc *a = &c[r], *b = &c[i];
		a->x0 = ALPR_MIN(a->x0, b->x0);
		a->y0 = ALPR_MIN(a->y0, b->y0);
		a->x1 = ALPR_MAX(a->x1, b->x1);
		a->y1 = ALPR_MAX(a->y1, b->y1);
		a->area += b->area;
		b->area = 0;
	}
	int nb = 0;
	for (int32_t i = 1; i < n && nb < REC_MAX_BLOBS; i++) {
		const struct cc *s = &c[i];
		if (s->parent != i || s->area == 0) {
			continue;
		}
		if (s->x0 == 0 || s->y0 == 0 || s->x1 == w - 1 || s->y1 == h - 1) {
			continue; /* cut by the frame edge */
		}
		struct rec_blob b = {s->x0, s->y0, s->x1, s->y1, s->area};
		if (rect_scale && plate_shaped(&b, rect_scale) && l->nrects < REC_MAX_RECTS) {
			int k = rect_scale;
			l->rects[l->nrects++] =
				(struct rec_blob){b.x0 * k, b.y0 * k, b.x1 * k + k - 1,
						  b.y1 * k + k - 1, b.area * k * k};
		}
		if (char_shaped(&b, hmin, hmax)) {
			l->blobs[nb++] = b;
		}
	}
	return nb;
}

static int cmp_x0(const void *a, const void *b, void *arg)
{
	const struct rec_blob *bl = arg;
	const struct rec_blob *A = &bl[*(const int *)a], *B = &bl[*(const int *)b];
	return (A->x0 > B->x0) - (A->x0 < B->x0);
}

struct group_key {
	const int *root;
	const struct rec_blob *b;
};

/* by group, then left to right */
static int cmp_group(const void *a, const void *b, void *arg)
{
	const struct group_key *k = arg;
	int i = *(const int *)a, j = *(const int *)b;
	if (k->root[i] != k->root[j]) {
		return (k->root[i] > k->root[j]) - (k->root[i] < k->root[j]);
	}
	return (k->b[i].x0 > k->b[j].x0) - (k->b[i].x0 < k->b[j].x0);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

static int bfind(int *parent, int i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

/* Fits and scores a row from blobs (sorted by x) in level pixels; writes frame pixels. */
static bool make_region(const struct rec_blob *b, int n, float scale, bool light,
			struct rec_region *out)
{
	if (n < 2 || n > REC_MAX_ROW) {
		return false;
	}
	float hs[REC_MAX_ROW], fills[REC_MAX_ROW], sx = 0, sy = 0, sxx = 0, sxy = 0;
	float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
	for (int i = 0; i < n; i++) {
		float cx = (b[i].x0 + b[i].x1) * 0.5f, cy = (b[i].y0 + b[i].y1) * 0.5f;
		hs[i] = (float)(b[i].y1 - b[i].y0 + 1);
		fills[i] = (float)b[i].area / (hs[i] * (float)(b[i].x1 - b[i].x0 + 1));
		sx += cx;
		sy += cy;
		sxx += cx * cx;
		sxy += cx * cy;
		x0 = fminf(x0, (float)b[i].x0);
		y0 = fminf(y0, (float)b[i].y0);
		x1 = fmaxf(x1, (float)b[i].x1 + 1);
		y1 = fmaxf(y1, (float)b[i].y1 + 1);
	}
	float mx = sx / n, my = sy / n, var = sxx / n - mx * mx;
	float slope = var > 1e-3f ? (sxy / n - mx * my) / var : 0;
	if (fabsf(slope) > 0.3f) { /* about 17 degrees */
		return false;
	}
	qsort(hs, (size_t)n, sizeof(float), cmp_float);
	float hmed = hs[n / 2], hmean = 0, hvar = 0, resid = 0;
	for (int i = 0; i < n; i++) {
		hmean += hs[i];
	}
	hmean /= n;
	for (int i = 0; i < n; i++) {
		hvar += (hs[i] - hmean) * (hs[i] - hmean);
		float cx = (b[i].x0 + b[i].x1) * 0.5f, cy = (b[i].y0 + b[i].y1) * 0.5f;
		float d = cy - (my + slope * (cx - mx));
		resid += d * d;
	}
	float cv = sqrtf(hvar / n) / hmean, rr = sqrtf(resid / n) / hmed;
	float width = (x1 - x0) / hmed;
	static const float nscore[] = {0, 0, 0.2f, 0.5f, 0.8f, 1, 1, 1, 1, 0.7f, 0.5f, 0.3f, 0.2f};
	float score = nscore[n] * fmaxf(0, 1 - 3 * cv) * fmaxf(0, 1 - 3 * rr);
	/* Characters are strokes: most leave much of their box empty. A row of solid bars is
	 * more often the background showing between characters that touch the plate's frame
	 * (seen in the opposite polarity), railings or a grille. */
	qsort(fills, (size_t)n, sizeof(float), cmp_float);
	float fill = fills[n / 2];
	if (fill > 0.7f) {
		score *= fmaxf(0.1f, 1 - 3 * (fill - 0.7f));
	}
	if (width > 9.0f) {
		score *= 0.5f;
	}
	memset(out, 0, sizeof(*out));
	out->x0 = x0 * scale;
	out->y0 = y0 * scale;
	out->x1 = x1 * scale;
	out->y1 = y1 * scale;
	out->cx = (mx + 0.5f) * scale;
	out->cy = (my + 0.5f) * scale;
	out->slope = slope;
	out->char_h = hmed * scale;
	out->fill = fill;
	out->nchars = n;
	out->light_on_dark = light;
	out->score = score;
	for (int i = 0; i < n; i++) {
		out->cx0[i] = b[i].x0 * scale;
		out->cx1[i] = (b[i].x1 + 1) * scale;
	}
	return true;
}

/* Stores a row; when the store is full, in place of the weakest row if it scores higher
 * (a cluttered frame fills the store in its first binarisations, and the later ones must
 * still be heard). */
static void keep_region(struct rec_locator *l, const struct rec_region *r)
{
	int cap = (int)ALPR_ARRAY_SIZE(l->regions);
	if (l->nregions < cap) {
		l->regions[l->nregions++] = *r;
		return;
	}
	int wi = 0;
	for (int i = 1; i < cap; i++) {
		if (l->regions[i].score < l->regions[wi].score) {
			wi = i;
		}
	}
	if (r->score > l->regions[wi].score) {
		l->regions[wi] = *r;
	}
}

/* The lengths of the windows best_window() tries (a plate's four to eight characters) and
 * the share of its score a window keeps: a run inside a chain longer than a plate is a line
 * of text more often than a plate, a hypothesis read only when few rows outscore it
 * (0.2-0.3 measure the same; at 0.4 and more slogans' windows outrank plates). */
#define WINDOW_MIN   4
#define WINDOW_MAX   8
#define WINDOW_SCORE 0.3f

/*
 * A group of @n blobs (indices into l->blobs, in x order) too long to be one row: a plate's
 * characters chained with a dealer frame's lettering of their height on both sides (us-dev:
 * us7's 5VCF203 between the frame's letters), or a line of text. It was dropped whole; its
 * best scoring run of WINDOW_MIN to WINDOW_MAX consecutive blobs is kept instead, at
 * WINDOW_SCORE of its score (the plate's own characters are of one height on one line, the
 * frame's letters stand apart from them).
 */
static void best_window(struct rec_locator *l, const int *idx, int n, float scale, bool light)
{
	struct rec_region best = {.score = 0}, r;
	for (int len = WINDOW_MIN; len <= WINDOW_MAX; len++) {
		for (int s = 0; s + len <= n; s++) {
			for (int k = 0; k < len; k++) {
				l->row_blobs[k] = l->blobs[idx[s + k]];
			}
			if (make_region(l->row_blobs, len, scale, light, &r) &&
			    r.score > best.score) {
				best = r;
			}
		}
	}
	best.score *= WINDOW_SCORE;
	if (best.score > MIN_ROW_SCORE) {
		keep_region(l, &best);
	}
}

/* Groups the blobs of one binarisation into rows and appends them to l->regions. */
static void group_rows(struct rec_locator *l, int nb, float scale, bool light)
{
	const struct rec_blob *b = l->blobs;
	int *ord = l->order, *link = l->link;
	for (int i = 0; i < nb; i++) {
		ord[i] = i;
		link[i] = i; /* union-find parent */
	}
	qsort_r(ord, (size_t)nb, sizeof(int), cmp_x0, (void *)b);

	/* Link each blob to its nearest right neighbour of the same height on the same line. */
	for (int oi = 0; oi < nb; oi++) {
		const struct rec_blob *p = &b[ord[oi]];
		float ph = (float)(p->y1 - p->y0 + 1), pcy = (p->y0 + p->y1) * 0.5f;
		int best = -1;
		float best_cost = 1e9f;
		for (int oj = oi + 1; oj < nb; oj++) {
			const struct rec_blob *q = &b[ord[oj]];
			if (q->x0 > p->x1 + 1.3f * ph) {
				break;
			}
			float qh = (float)(q->y1 - q->y0 + 1), qcy = (q->y0 + q->y1) * 0.5f;
			float hr = fminf(ph, qh) / fmaxf(ph, qh), dy = fabsf(qcy - pcy);
			if (hr < 0.8f || dy > 0.3f * fmaxf(ph, qh) || q->x0 < p->x1 - 0.2f * ph) {
				continue;
			}
			float cost = (q->x0 - p->x1) / ph + dy / ph + (1 - hr);
			if (cost < best_cost) {
				best_cost = cost;
				best = ord[oj];
			}
		}
		if (best >= 0) {
			int ra = bfind(link, ord[oi]), rb = bfind(link, best);
			if (ra != rb) {
				link[rb] = ra;
			}
		}
	}
	/* Gather each group (in x order) and fit it. */
	for (int i = 0; i < nb; i++) {
		ord[i] = i;
	}
	for (int i = 0; i < nb; i++) {
		link[i] = bfind(link, i);
	}
	struct group_key key = {link, b};
	qsort_r(ord, (size_t)nb, sizeof(int), cmp_group, &key);
	for (int s = 0; s < nb;) {
		int e = s;
		while (e < nb && link[ord[e]] == link[ord[s]]) {
			e++;
		}
		int n = e - s;
		if (n >= 2 && n <= REC_MAX_ROW) {
			for (int k = 0; k < n; k++) {
				l->row_blobs[k] = b[ord[s + k]];
			}
			struct rec_region r;
			if (make_region(l->row_blobs, n, scale, light, &r) &&
			    r.score > MIN_ROW_SCORE) {
				keep_region(l, &r);
			}
		} else if (n > REC_MAX_ROW) {
			best_window(l, ord + s, n, scale, light);
		}
		s = e;
	}
}

static float overlap(const struct rec_region *a, const struct rec_region *b)
{
	float ix = fminf(a->x1, b->x1) - fmaxf(a->x0, b->x0);
	float iy = fminf(a->y1, b->y1) - fmaxf(a->y0, b->y0);
	if (ix <= 0 || iy <= 0) {
		return 0;
	}
	float aa = (a->x1 - a->x0) * (a->y1 - a->y0), ab = (b->x1 - b->x0) * (b->y1 - b->y0);
	return ix * iy / fminf(aa, ab);
}

/* Joins rows split by a wide gap (a logo or a dash between character groups). */
static void merge_rows(struct rec_locator *l)
{
	for (int i = 0; i < l->nregions; i++) {
		for (int j = 0; j < l->nregions; j++) {
			struct rec_region *a = &l->regions[i], *b = &l->regions[j];
			if (i == j || a->nchars == 0 || b->nchars == 0 ||
			    a->light_on_dark != b->light_on_dark) {
				continue;
			}
			float h = fmaxf(a->char_h, b->char_h);
			float gap = b->x0 - a->x1;
			if (fminf(a->char_h, b->char_h) / h < 0.8f || gap < -0.1f * h ||
			    gap > 2.5f * h || a->nchars + b->nchars > 9) {
				continue;
			}
			float bcx = (b->x0 + b->x1) * 0.5f;
			float pred = a->cy + a->slope * (bcx - a->cx);
			float bcy = b->cy + b->slope * (bcx - b->cx);
			if (fabsf(pred - bcy) > 0.25f * h) {
				continue;
			}
			/* refit from the character boxes: rebuild blobs in frame pixels */
			struct rec_blob bl[REC_MAX_ROW];
			int n = 0;
			const struct rec_region *parts[2] = {a, b};
			for (int k = 0; k < 2; k++) {
				const struct rec_region *p = parts[k];
				for (int c = 0; c < p->nchars && n < REC_MAX_ROW; c++) {
					float ccx = (p->cx0[c] + p->cx1[c]) * 0.5f;
					float ccy = p->cy + p->slope * (ccx - p->cx);
					int bx0 = (int)p->cx0[c], bx1 = (int)p->cx1[c] - 1;
					int by0 = (int)(ccy - p->char_h * 0.5f);
					int by1 = (int)(ccy + p->char_h * 0.5f) - 1;
					/* the row's fill, for the refit's score */
					int area = (int)(p->fill * (float)(bx1 - bx0 + 1) *
							 (float)(by1 - by0 + 1));
					bl[n++] = (struct rec_blob){bx0, by0, bx1, by1,
								    ALPR_MAX(area, 1)};
				}
			}
			struct rec_region m;
			if (make_region(bl, n, 1.0f, a->light_on_dark, &m)) {
				*a = m;
				b->nchars = 0;
				b->score = 0;
			}
		}
	}
}

/* Does the ink in columns [xa, xb] go on above and below the characters (returned), and in
 * what share of the columns both ways (@both)? Past the image's edge counts as ink: what
 * reaches it may be anything, and a row is not completed into the unknown. */
static bool beyond_band(const uint8_t *g, int ww, int wh, const struct rec_region *r, float cx,
			float cy, float ch, int thr, int xa, int xb, float *both)
{
	bool up = false, down = false;
	int nboth = 0;
	/* across the row, not straight down: the frame's side leans with the plate */
	int du = (int)lrintf(r->slope * 0.75f * ch);
	for (int x = xa; x <= xb; x++) {
		float yc = cy + r->slope * ((float)x - cx);
		int yu = (int)lrintf(yc - 0.75f * ch), yd = (int)lrintf(yc + 0.75f * ch);
		int xu = x + du, xd = x - du;
		bool u = true, d = true;
		if (yu >= 0 && xu >= 0 && xu < ww) {
			int v = g[(size_t)yu * ww + xu];
			u = r->light_on_dark ? v > thr : v <= thr;
		}
		if (yd < wh && xd >= 0 && xd < ww) {
			int v = g[(size_t)yd * ww + xd];
			d = r->light_on_dark ? v > thr : v <= thr;
		}
		up |= u;
		down |= d;
		nboth += u && d;
	}
	*both = (float)nboth / (float)(xb - xa + 1);
	return up && down;
}

/* Rows of at most this many characters take the pieces completion walks over as characters
 * of their own (add_pieces). */
#define ADD_ROW_MAX 4

/*
 * Adds the pieces complete_row() walked over to the row's characters: the character reader
 * reads a row's character boxes, not its extent, and a row of three or four is short of
 * most plates (five to eight characters; four only on rare vanity and motorcycle plates);
 * guessing a character or two past its ends does not make up what the locator lost to a
 * surround, a sticker or a logo. Longer rows are left as they are: their pieces past the
 * ends are as often the plate's graphics or frame, read as a character too surely for the
 * candidates to leave it out (measured on plates-dev: rows of any length gain three crops
 * and lose seven, and two us-dev scenes; rows of up to four gain two and lose none, once the
 * half-scale strong binarisation finds the rows of large characters whole). @nadd[0] pieces
 * left of the row, outward, and @nadd[1] right of it, in working pixels; nothing is added when they
 * do not all fit.
 */
static void add_pieces(struct rec_region *r, int add0[2][REC_MAX_ROW], int add1[2][REC_MAX_ROW],
		       const int nadd[2], float scale)
{
	int n = r->nchars + nadd[0] + nadd[1];
	if (nadd[0] + nadd[1] == 0 || n > REC_MAX_ROW || r->nchars > ADD_ROW_MAX) {
		return;
	}
	float x0[REC_MAX_ROW], x1[REC_MAX_ROW];
	int k = 0;
	for (int i = nadd[0] - 1; i >= 0; i--, k++) {
		x0[k] = (float)add0[0][i] * scale;
		x1[k] = (float)(add1[0][i] + 1) * scale;
	}
	for (int i = 0; i < r->nchars; i++, k++) {
		x0[k] = r->cx0[i];
		x1[k] = r->cx1[i];
	}
	for (int i = 0; i < nadd[1]; i++, k++) {
		x0[k] = (float)add0[1][i] * scale;
		x1[k] = (float)(add1[1][i] + 1) * scale;
	}
	memcpy(r->cx0, x0, sizeof(x0[0]) * (size_t)n);
	memcpy(r->cx1, x1, sizeof(x1[0]) * (size_t)n);
	r->nchars = n;
}

/* A band along a row's centre line (y = cy + sl * (x - cx)): nrows samples, step apart,
 * from half above the line to half below, in working pixels. */
struct band {
	float cx, cy, sl;
	int half, nrows;
	float step;
};

/* The ink threshold over the band in columns [x0, x1]: Otsu's, moved towards the ink's
 * level. False when the band has too few samples. */
static bool band_threshold(const uint8_t *g, int ww, int wh, const struct band *bd, int x0, int x1,
			   bool light, int *thr)
{
	int hist[256] = {0}, total = 0;
	for (int x = x0; x <= x1; x++) {
		float yc = bd->cy + bd->sl * ((float)x - bd->cx) - (float)bd->half;
		for (int k = 0; k < bd->nrows; k++) {
			int y = (int)lrintf(yc + (float)k * bd->step);
			if (y >= 0 && y < wh) {
				hist[g[(size_t)y * ww + x]]++;
				total++;
			}
		}
	}
	if (total < 16) {
		return false;
	}
	double sum = 0, sumb = 0, best = -1;
	for (int i = 0; i < 256; i++) {
		sum += (double)i * hist[i];
	}
	int wb = 0;
	double dark = 0, lt = 255;
	for (int i = 0; i < 256; i++) {
		wb += hist[i];
		sumb += (double)i * hist[i];
		if (wb == 0 || wb == total) {
			continue;
		}
		double mb = sumb / wb, mf = (sum - sumb) / (total - wb);
		double between = (double)wb * (total - wb) * (mb - mf) * (mb - mf);
		if (between > best) {
			best = between;
			dark = mb;
			lt = mf;
		}
	}
	/* Ink is what is near the ink's level, not merely past Otsu's threshold: the scene
	 * beyond the plate is often a middle grey that would pass for either. */
	*thr = (int)(light ? lt - 0.4 * (lt - dark) : dark + 0.4 * (lt - dark));
	return true;
}

/* One bit per sampled band row, per column of [xa, xb], into @cols. */
static void band_columns(const uint8_t *g, int ww, int wh, const struct band *bd, int xa, int xb,
			 int thr, bool light, uint32_t *cols)
{
	for (int x = xa; x <= xb; x++) {
		float yc = bd->cy + bd->sl * ((float)x - bd->cx) - (float)bd->half;
		uint32_t bits = 0;
		for (int k = 0; k < bd->nrows; k++) {
			int y = (int)lrintf(yc + (float)k * bd->step);
			if (y < 0 || y >= wh) {
				continue;
			}
			int v = g[(size_t)y * ww + x];
			bool ink = light ? v > thr : v <= thr;
			bits |= (uint32_t)ink << k;
		}
		cols[x - xa] = bits;
	}
}

/* Samples a band across the row at most this many pixels tall (complete_row). */
#define BAND_ROWS 32

/*
 * Completes a row that lost characters at its ends: to the frame (a character joined to a
 * side bar or to a dealer surround), to a neighbour, or to a different height. Looks only
 * at the inner part of the character band (the middle 80% of the character height along
 * the row's line), where frame bars above and below do not reach, binarised at a threshold
 * set by the row's own characters (Otsu), and walks outward from each end over ink that
 * spans the band from top to bottom, as characters do and clutter rarely does. Updates the
 * row's x extent, which sets the OCR crop and the plate box.
 */
static void complete_row(struct rec_locator *l, int ww, int wh, float scale, struct rec_region *r)
{
	float ch = r->char_h / scale, cx = r->cx / scale, cy = r->cy / scale, sl = r->slope;
	if (ch < 6) {
		return;
	}
	int half = (int)(0.4f * ch);
	int nrows = ALPR_MIN(2 * half + 1, BAND_ROWS);
	float step = (float)(2 * half) / (float)ALPR_MAX(nrows - 1, 1);
	int rx0 = (int)(r->x0 / scale), rx1 = (int)(r->x1 / scale) - 1;
	int xa = ALPR_MAX(0, (int)((float)rx0 - 4 * ch));
	int xb = ALPR_MIN(ww - 1, (int)((float)rx1 + 4 * ch));
	if (xb - xa + 1 > WORK_MAX_SIDE || rx0 < xa || rx1 > xb || rx1 <= rx0) {
		return;
	}
	const uint8_t *g = l->grey;
	struct band bd = {cx, cy, sl, half, nrows, step};
	int thr;
	if (!band_threshold(g, ww, wh, &bd, rx0, rx1, r->light_on_dark, &thr)) {
		return;
	}
	uint32_t *cols = l->bandcols;
	band_columns(g, ww, wh, &bd, xa, xb, thr, r->light_on_dark, cols);
	uint32_t all = nrows >= 32 ? 0xffffffffu : (1u << nrows) - 1;
	/* a piece may be several characters long: those of a small plate touch each other */
	int maxgap = (int)(0.6f * ch), maxseg = (int)(3.5f * ch), maxrow = (int)(6 * ch);
	/* The ends walk outward: a piece of ink (a run of inked columns) is a character when
	 * together its columns cover 80% of the band's rows; one in the row's reach moves the
	 * end to it. One under half a character wide whose ink goes on above and below the
	 * characters is the frame's side, not a "1"; a wider one whose ink does so in half its
	 * columns, far more than the row's own characters do, is a graphic, a sticker or a bolt
	 * beside them (the row's share allows for a surround the characters touch); a wide
	 * solid one is the scene past the plate's edge. Any of these ends the walk. */
	/* how much the row's own characters meet ink above and below (a tight surround) */
	float row_both;
	beyond_band(g, ww, wh, r, cx, cy, ch, thr, rx0, rx1, &row_both);
	/* the pieces walked over, outward from each end, [x0, x1] in working pixels */
	int add0[2][REC_MAX_ROW], add1[2][REC_MAX_ROW], nadd[2] = {0, 0};
	for (int dir = -1; dir <= 1; dir += 2) {
		int end = dir < 0 ? rx0 : rx1;
		int x = end + dir;
		for (;;) {
			while (x >= xa && x <= xb && !cols[x - xa] &&
			       (dir < 0 ? end - x : x - end) <= maxgap) {
				x += dir;
			}
			if (x < xa || x > xb || (dir < 0 ? end - x : x - end) > maxgap ||
			    !cols[x - xa]) {
				break;
			}
			int s = x, inked = 0;
			uint32_t cover = 0;
			while (x >= xa && x <= xb && cols[x - xa]) {
				cover |= cols[x - xa];
				inked += __builtin_popcount(cols[x - xa]);
				x += dir;
			}
			int e = x - dir, width = dir < 0 ? s - e + 1 : e - s + 1;
			int newlen = dir < 0 ? rx1 - e + 1 : e - rx0 + 1;
			bool tall = __builtin_popcount(cover & all) * 10 >= nrows * 8;
			float both;
			bool past = beyond_band(g, ww, wh, r, cx, cy, ch, thr, ALPR_MIN(s, e),
						ALPR_MAX(s, e), &both);
			bool bar = width < 0.5f * ch ? past : both >= 0.5f && both > 2 * row_both;
			/* cut by the image's edge, as label_blobs() refuses a blob */
			bar |= ALPR_MIN(s, e) == 0 || ALPR_MAX(s, e) == ww - 1;
			/* strokes leave gaps; a wide solid block is background past the plate */
			bool solid = width >= 0.5f * ch && inked * 20 > width * nrows * 17;
			if (!tall || bar || solid || width > maxseg || newlen > maxrow) {
				break;
			}
			end = e;
			if (dir < 0) {
				rx0 = e;
			} else {
				rx1 = e;
			}
			/* a character's ink ends above and below it: a piece whose ink goes
			 * on both ways is walked over but not read (a frame's side or a
			 * graphic behind the characters) */
			int side = dir > 0;
			if (nadd[side] < REC_MAX_ROW && !past) {
				add0[side][nadd[side]] = ALPR_MIN(s, e);
				add1[side][nadd[side]++] = ALPR_MAX(s, e);
			}
		}
	}
	r->x0 = fminf(r->x0, (float)rx0 * scale);
	r->x1 = fmaxf(r->x1, (float)(rx1 + 1) * scale);
	add_pieces(r, add0, add1, nadd, scale);
}

/* The light binarisation whose blobs are looked at for plate rectangles. */
#define RECT_MARGIN 7
/* What a row found from its plate rectangle scores (0.7 with nine pieces, more than a
 * plate has): about what a row of blobs on a plate scores, so that it is among the rows
 * read (us-dev: the same figures from 0.75 to 0.9; under 0.7 the rows are not read). */
#define RECT_SCORE 0.8f

/* Ink rows above and below the band in columns [x0, x1], up to @lim rows each way: the
 * piece's height. */
static int piece_height(const uint8_t *g, int ww, int wh, const struct band *bd, int x0, int x1,
			int thr, int lim)
{
	int top = (int)lrintf(bd->cy) - bd->half, bot = (int)lrintf(bd->cy) + bd->half;
	for (int dir = -1; dir <= 1; dir += 2) {
		for (int k = 0; k < lim; k++) {
			int y = dir < 0 ? top - 1 : bot + 1;
			if (y < 0 || y >= wh) {
				break;
			}
			bool ink = false;
			for (int x = x0; x <= x1 && !ink; x++) {
				ink = g[(size_t)y * ww + x] <= thr;
			}
			if (!ink) {
				break;
			}
			if (dir < 0) {
				top = y;
			} else {
				bot = y;
			}
		}
	}
	return bot - top + 1;
}

/*
 * A row from a plate rectangle: small plates whose characters touch each other or a dark
 * frame make no row of character-shaped blobs, but the plate's light background inside
 * the frame is a blob of its own, about twice as wide as tall. Its characters are dark
 * pieces across the middle of it: the band through its centre, half its height, cut where
 * no column has ink; a piece that spans the band is a character (or two touching). Stored
 * as a row (dark on light) when four to nine are found.
 */
static void plate_row(struct rec_locator *l, int ww, int wh, float scale, const struct rec_blob *rc)
{
	float rh = (float)(rc->y1 - rc->y0 + 1), rw = (float)(rc->x1 - rc->x0 + 1);
	float ch = 0.5f * rh, cy = 0.5f * (float)(rc->y0 + rc->y1),
	      cx = 0.5f * (float)(rc->x0 + rc->x1);
	int half = (int)(0.4f * ch);
	int nrows = ALPR_MIN(2 * half + 1, BAND_ROWS);
	if (half < 3) {
		return;
	}
	struct band bd = {cx, cy, 0, half, nrows, (float)(2 * half) / (float)(nrows - 1)};
	int xa = ALPR_MAX(0, rc->x0 + (int)(0.03f * rw)),
	    xb = ALPR_MIN(ww - 1, rc->x1 - (int)(0.03f * rw));
	int thr;
	if (xb - xa < 8 || !band_threshold(l->grey, ww, wh, &bd, xa, xb, false, &thr)) {
		return;
	}
	uint32_t *cols = l->bandcols;
	band_columns(l->grey, ww, wh, &bd, xa, xb, thr, false, cols);
	uint32_t all = nrows >= 32 ? 0xffffffffu : (1u << nrows) - 1;
	struct rec_blob bl[REC_MAX_ROW];
	int n = 0;
	for (int x = xa; x <= xb;) {
		if (!cols[x - xa]) {
			x++;
			continue;
		}
		int s = x, inked = 0;
		uint32_t cover = 0;
		while (x <= xb && cols[x - xa]) {
			cover |= cols[x - xa];
			inked += __builtin_popcount(cols[x - xa]);
			x++;
		}
		int width = x - s;
		bool tall = __builtin_popcount(cover & all) * 10 >= nrows * 8;
		bool solid = width >= 0.5f * ch && inked * 20 > width * nrows * 17;
		if (!tall || solid || width > 3.5f * ch || width < 2) {
			continue;
		}
		if (n == REC_MAX_ROW) {
			return;
		}
		int ph = piece_height(l->grey, ww, wh, &bd, s, x - 1, thr, (int)(0.5f * ch));
		int y0 = (int)lrintf(cy) - ph / 2;
		bl[n++] = (struct rec_blob){s, y0, x - 1, y0 + ph - 1, width * ph / 2};
	}
	struct rec_region r;
	if (n >= 4 && n <= 9 && make_region(bl, n, scale, false, &r)) {
		r.score = RECT_SCORE * (n <= 8 ? 1.0f : 0.7f);
		r.from_rect = true;
		keep_region(l, &r);
	}
}

/* Overlay text: light characters closer than STAMP_EDGE of their heights to the frame's top
 * or bottom edge (dark ones closer than STAMP_EDGE_DARK), under STAMP_SMALL of the frame's
 * height tall. */
#define STAMP_EDGE      0.65f
#define STAMP_EDGE_DARK 0.5f
#define STAMP_SMALL     0.05f

/*
 * A camera's date and time stamp: white or yellow lettering, often outlined dark, burnt
 * into the frame along its top or bottom edge. Its digits, eight or more, read as surely as
 * any plate and fit a numeric syntax. A whole plate's characters have the plate's margin
 * and frame above and below them: characters this close to the edge are a stamp's, or a
 * plate's the edge cuts (read whole in the next frame). Light lettering is the stamp's
 * own; its dark outline makes rows too, nearer the edge than a dark plate's characters come
 * (us-dev: a plate whose frame touches the top edge has its characters 0.64 of their height
 * below it; the stamps' light rows 0.25-0.56). Small rows only: in a crop of a plate (the
 * plate filling the frame) the characters come near the edges too.
 */
static bool overlay_text(const struct rec_region *r, int h)
{
	float edge = fminf(r->y0, (float)h - r->y1);
	float reach = r->light_on_dark ? STAMP_EDGE : STAMP_EDGE_DARK;
	return edge < reach * r->char_h && r->char_h < STAMP_SMALL * (float)h;
}

/* Drops the rows of overlay text, and the rows of their dark outline (a row of either
 * polarity on an overlay row, its characters about as tall). */
static void drop_overlay(struct rec_locator *l, int h)
{
	bool stamp[ALPR_ARRAY_SIZE(l->regions)];
	for (int i = 0; i < l->nregions; i++) {
		stamp[i] = overlay_text(&l->regions[i], h);
	}
	int k = 0;
	for (int i = 0; i < l->nregions; i++) {
		const struct rec_region *a = &l->regions[i];
		bool drop = stamp[i];
		for (int j = 0; j < l->nregions && !drop; j++) {
			const struct rec_region *b = &l->regions[j];
			float hr = a->char_h / b->char_h;
			drop = stamp[j] && hr > 0.7f && hr < 1.4f && overlap(a, b) > 0.5f;
		}
		if (!drop) {
			l->regions[k++] = *a;
		}
	}
	l->nregions = k;
}

/* Rows of one polarity and origin whose boxes overlap by more than DUP_OVERLAP of the
 * smaller, with characters within DUP_HEIGHT of each other's height, are one row found twice
 * (at both levels, in both binarisations). A row of much smaller lettering inside a larger
 * row's box is another row: a state name or slogan across a logo inside the registration's
 * band, which scores better than the registration's large characters and would otherwise
 * take its place (plates-dev: ALASKA on Alaska's "50" graphic, a Marine Corps emblem between
 * Colorado's character groups). */
#define DUP_OVERLAP 0.6f
#define DUP_HEIGHT  1.4f
static bool same_row(const struct rec_region *a, const struct rec_region *b)
{
	return a->light_on_dark == b->light_on_dark && a->from_rect == b->from_rect &&
	       a->char_h < DUP_HEIGHT * b->char_h && b->char_h < DUP_HEIGHT * a->char_h &&
	       overlap(a, b) > DUP_OVERLAP;
}

static int cmp_score(const void *a, const void *b)
{
	float x = ((const struct rec_region *)a)->score, y = ((const struct rec_region *)b)->score;
	return (x < y) - (x > y);
}

int rec_locate(struct rec_locator *l, const uint8_t *grey, int w, int h, size_t stride)
{
	l->nregions = 0;
	l->nrects = 0;
	float scale = fmaxf(1.0f, (float)ALPR_MAX(w, h) / WORK_MAX_SIDE);
	int ww = (int)(w / scale), wh = (int)(h / scale);
	if (ww < 16 || wh < 16) {
		return 0;
	}
	size_t npix = (size_t)ww * wh;
	int r = 0;
	r |= grow((void **)&l->grey, &l->grey_cap, npix, 1);
	r |= grow((void **)&l->half, &l->half_cap, npix / 4 + 1, 1);
	r |= grow((void **)&l->integral, &l->integral_cap, (size_t)(ww + 1) * (wh + 1),
		  sizeof(uint32_t));
	r |= grow((void **)&l->mask, &l->mask_cap, npix, 1);
	r |= grow((void **)&l->mean, &l->mean_cap, npix, 1);
	r |= grow((void **)&l->colrun, &l->colrun_cap, (size_t)ww + 8, 1);
	r |= grow((void **)&l->bandcols, &l->bandcols_cap, (size_t)ww, sizeof(uint32_t));
	r |= grow(&l->runs, &l->runs_cap, (size_t)(ww / 2 + 2) * 2, sizeof(struct run));
	/* at most one provisional label per two pixels, plus the background */
	r |= grow(&l->cc, &l->cc_cap, npix / 2 + 2, sizeof(struct cc));
	if (r < 0) {
		return -ENOMEM;
	}
	if (scale > 1.0f) {
		downscale(grey, w, h, stride, l->grey, ww, wh);
	} else {
		for (int y = 0; y < wh; y++) {
			memcpy(l->grey + (size_t)y * ww, grey + (size_t)y * stride, (size_t)ww);
		}
	}
	int hw = ww / 2, hh = wh / 2;
	for (int y = 0; y < hh; y++) {
		const uint8_t *a = l->grey + (size_t)(2 * y) * ww, *b = a + ww;
		for (int x = 0; x < hw; x++) {
			l->half[(size_t)y * hw + x] =
				(uint8_t)((a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1] + 2) /
					  4);
		}
	}
	for (size_t pass = 0; pass < ALPR_ARRAY_SIZE(passes); pass++) {
		int level = passes[pass].level;
		const uint8_t *img = level == 0 ? l->grey : l->half;
		int iw = level == 0 ? ww : hw, ih = level == 0 ? wh : hh;
		if (iw < 16 || ih < 16) {
			continue;
		}
		if (pass == 0 || passes[pass - 1].level != level) {
			integrate(img, iw, ih, l->integral);
			local_mean(iw, ih, l->integral, l->mean);
		}
		for (int pol = 0; pol < 2; pol++) {
			binarise(img, l->mean, (size_t)iw * ih, pol == 1, passes[pass].margin,
				 l->mask);
			/* Not for light on dark: erasing the light margins above and below
			 * dark characters cuts the plate's background into character-sized
			 * pieces between them, a row that outscores the characters. */
			if (pol == 0) {
				erase_long_runs(l->mask, iw, ih, ERASE_H(level), ERASE_V(level),
						l->colrun);
			}
			int rs = pol == 1 && passes[pass].margin == RECT_MARGIN ? 1 + level : 0;
			int nb = label_blobs(l, iw, ih, level_hmin[level], level_hmax[level], rs);
			group_rows(l, nb, scale * (level == 0 ? 1.0f : 2.0f), pol == 1);
		}
	}
	merge_rows(l);
	for (int i = 0; i < l->nrects; i++) {
		plate_row(l, ww, wh, scale, &l->rects[i]);
	}
	/* Drop weak rows, then duplicates (the same row at both levels). */
	int k = 0;
	for (int i = 0; i < l->nregions; i++) {
		if (l->regions[i].nchars >= 3 && l->regions[i].score > MIN_ROW_SCORE) {
			l->regions[k++] = l->regions[i];
		}
	}
	l->nregions = k;
	qsort(l->regions, (size_t)l->nregions, sizeof(l->regions[0]), cmp_score);
	for (int i = 0; i < l->nregions && i < COMPLETE_ROWS; i++) {
		complete_row(l, ww, wh, scale, &l->regions[i]);
	}
	drop_overlay(l, h);
	k = 0;
	for (int i = 0; i < l->nregions && k < REC_MAX_REGIONS; i++) {
		bool dup = false;
		for (int j = 0; j < k && !dup; j++) {
			dup = same_row(&l->regions[i], &l->regions[j]);
		}
		if (!dup) {
			l->regions[k++] = l->regions[i];
		}
	}
	l->nregions = k;
	return 0;
}
