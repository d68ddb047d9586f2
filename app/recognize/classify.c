/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The character classifier: a small convolutional net, trained by tools/train-chars/ and
 * stored in data/ocr/chars.cnn, run here in plain C. The file format is described in
 * tools/train-chars/train.py; classify_load() checks every field against the sizes this code
 * supports before trusting it.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "recognize-private.h"

enum { LAYER_CONV = 1, LAYER_DENSE_RELU = 2, LAYER_DENSE = 3 };

#define MAX_LAYERS   8
#define MAX_CHANNELS 128
#define MAX_UNITS    4096

struct layer {
	int kind, in, out;
	float *w, *b;
};

struct rec_classifier {
	int w, h, nclasses, nlayers;
	char labels[REC_CLASS_MAX + 1];
	struct layer layer[MAX_LAYERS];
	float *weights; /* every layer's weights and biases, one block */
	/* activations: two ping-pong buffers, padded by one pixel on each side */
	float *act[2];
	size_t act_len;
};

static int bad(char *err, size_t errsz, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(char *err, size_t errsz, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errsz) {
		snprintf(err, errsz, "%s: %s", path, msg);
	}
	return -ALPR_E_PARSE;
}

static bool take(const uint8_t **p, const uint8_t *end, void *dst, size_t n)
{
	if ((size_t)(end - *p) < n) {
		return false;
	}
	memcpy(dst, *p, n);
	*p += n;
	return true;
}

static bool take_u32(const uint8_t **p, const uint8_t *end, int *v)
{
	uint8_t b[4];
	if (!take(p, end, b, 4)) {
		return false;
	}
	uint32_t u =
		(uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	if (u > 1u << 20) {
		return false;
	}
	*v = (int)u;
	return true;
}

int rec_classifier_load(const char *path, struct rec_classifier **out, char *err, size_t errsz)
{
	char *raw = NULL;
	size_t len = 0;
	int rc = alpr_read_file(path, 16u << 20, &raw, &len);
	if (rc < 0) {
		if (errsz) {
			snprintf(err, errsz, "%s: %s", path, alpr_strerror(rc));
		}
		return rc;
	}
	uint8_t *data = (uint8_t *)raw;
	struct rec_classifier *c = calloc(1, sizeof(*c));
	if (!c) {
		free(data);
		return -ENOMEM;
	}
	const uint8_t *p = data, *end = data + len;
	char magic[8];
	if (!take(&p, end, magic, 8) || memcmp(magic, "ALPRCNN1", 8) != 0) {
		rc = bad(err, errsz, path, "not a character classifier (magic)");
		goto fail;
	}
	if (!take_u32(&p, end, &c->w) || !take_u32(&p, end, &c->h) ||
	    !take_u32(&p, end, &c->nclasses) || !take_u32(&p, end, &c->nlayers)) {
		rc = bad(err, errsz, path, "truncated header");
		goto fail;
	}
	if (c->w != REC_PATCH_W || c->h != REC_PATCH_H) {
		rc = bad(err, errsz, path, "input %dx%d, this build cuts %dx%d patches", c->w, c->h,
			 REC_PATCH_W, REC_PATCH_H);
		goto fail;
	}
	if (c->nclasses < 2 || c->nclasses > REC_CLASS_MAX) {
		rc = bad(err, errsz, path, "classes: %d (2..%d)", c->nclasses, REC_CLASS_MAX);
		goto fail;
	}
	if (c->nlayers < 1 || c->nlayers > MAX_LAYERS) {
		rc = bad(err, errsz, path, "layers: %d (1..%d)", c->nlayers, MAX_LAYERS);
		goto fail;
	}
	if (!take(&p, end, c->labels, (size_t)c->nclasses)) {
		rc = bad(err, errsz, path, "truncated labels");
		goto fail;
	}
	for (int i = 0; i < c->nclasses; i++) {
		char l = c->labels[i];
		if (!((l >= 'A' && l <= 'Z') || (l >= '0' && l <= '9') || l == '?')) {
			rc = bad(err, errsz, path, "label %d: not A-Z, 0-9 or '?'", i);
			goto fail;
		}
	}
	/* Walk the layers once to check shapes and count the weights. */
	const uint8_t *layers = p;
	size_t nweights = 0, maxact = 0;
	int cw = c->w, chh = c->h, units = 1; /* current activation: units channels of cw x chh */
	bool flat = false;
	for (int i = 0; i < c->nlayers; i++) {
		struct layer *L = &c->layer[i];
		if (!take_u32(&p, end, &L->kind) || !take_u32(&p, end, &L->in) ||
		    !take_u32(&p, end, &L->out)) {
			rc = bad(err, errsz, path, "layer %d: truncated", i + 1);
			goto fail;
		}
		size_t nw;
		if (L->kind == LAYER_CONV) {
			if (flat || L->in != units || L->out < 1 || L->out > MAX_CHANNELS ||
			    cw < 2 || chh < 2) {
				rc = bad(err, errsz, path,
					 "layer %d: convolution %d->%d does not fit", i + 1, L->in,
					 L->out);
				goto fail;
			}
			nw = (size_t)L->out * L->in * 9;
			maxact = ALPR_MAX(maxact, (size_t)L->out * (cw + 2) * (chh + 2));
			cw /= 2;
			chh /= 2;
			units = L->out;
		} else if (L->kind == LAYER_DENSE_RELU || L->kind == LAYER_DENSE) {
			int inputs = flat ? units : units * cw * chh;
			if (L->in != inputs || L->out < 1 || L->out > MAX_UNITS) {
				rc = bad(err, errsz, path,
					 "layer %d: dense %d->%d, expected %d inputs", i + 1, L->in,
					 L->out, inputs);
				goto fail;
			}
			nw = (size_t)L->out * L->in;
			flat = true;
			units = L->out;
			maxact = ALPR_MAX(maxact, (size_t)units);
		} else {
			rc = bad(err, errsz, path, "layer %d: unknown kind %d", i + 1, L->kind);
			goto fail;
		}
		nw += (size_t)L->out;
		if ((size_t)(end - p) < nw * 4) {
			rc = bad(err, errsz, path, "layer %d: truncated weights", i + 1);
			goto fail;
		}
		p += nw * 4;
		nweights += nw;
	}
	if (!flat || units != c->nclasses || c->layer[c->nlayers - 1].kind != LAYER_DENSE) {
		rc = bad(err, errsz, path, "the last layer must be dense with %d outputs",
			 c->nclasses);
		goto fail;
	}
	if (p != end) {
		rc = bad(err, errsz, path, "%zu bytes after the last layer", (size_t)(end - p));
		goto fail;
	}
	maxact = ALPR_MAX(maxact, (size_t)(c->w + 2) * (c->h + 2));
	c->weights = malloc(nweights * sizeof(float));
	c->act[0] = calloc(maxact, sizeof(float));
	c->act[1] = calloc(maxact, sizeof(float));
	c->act_len = maxact;
	if (!c->weights || !c->act[0] || !c->act[1]) {
		rc = -ENOMEM;
		goto fail;
	}
	/* Second walk: copy the little-endian floats. */
	p = layers;
	float *w = c->weights;
	for (int i = 0; i < c->nlayers; i++) {
		struct layer *L = &c->layer[i];
		p += 12;
		size_t nw =
			L->kind == LAYER_CONV ? (size_t)L->out * L->in * 9 : (size_t)L->out * L->in;
		for (size_t k = 0; k < nw + (size_t)L->out; k++, p += 4) {
			uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24;
			float f;
			memcpy(&f, &u, 4);
			if (!isfinite(f)) {
				rc = bad(err, errsz, path, "layer %d: weight %zu is not a number",
					 i + 1, k);
				goto fail;
			}
			w[k] = f;
		}
		L->w = w;
		L->b = w + nw;
		w += nw + (size_t)L->out;
		if (L->kind != LAYER_CONV) {
			/* The file is output-major; dense() reads input-major. */
			float *t = malloc(nw * sizeof(float));
			if (!t) {
				rc = -ENOMEM;
				goto fail;
			}
			for (int o = 0; o < L->out; o++) {
				for (int k = 0; k < L->in; k++) {
					t[(size_t)k * L->out + o] = L->w[(size_t)o * L->in + k];
				}
			}
			memcpy(L->w, t, nw * sizeof(float));
			free(t);
		}
	}
	free(data);
	*out = c;
	return 0;
fail:
	free(data);
	rec_classifier_free(c);
	return rc;
}

void rec_classifier_free(struct rec_classifier *c)
{
	if (!c) {
		return;
	}
	free(c->weights);
	free(c->act[0]);
	free(c->act[1]);
	free(c);
}

const char *rec_classifier_labels(const struct rec_classifier *c)
{
	return c->labels;
}

int rec_classifier_classes(const struct rec_classifier *c)
{
	return c->nclasses;
}

static inline float max2(float a, float b)
{
	return a > b ? a : b;
}

/* @acc[i] += k0 * s[i] + k1 * s[i + 1] + k2 * s[i + 2] for i < n: one row of a 3x3 kernel
 * over a whole padded plane at once, a loop the compiler vectorises. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
/* AVX2 where the processor has it (8 floats a step, 4 with SSE2), chosen when the program
 * loads. */
__attribute__((target_clones("avx2", "default")))
#endif
static void
conv_row(float *restrict acc, const float *restrict s, float k0, float k1, float k2, int n)
{
	for (int i = 0; i < n; i++) {
		acc[i] += k0 * s[i] + k1 * s[i + 1] + k2 * s[i + 2];
	}
}

/* 3x3 convolution (zero padding) + ReLU + 2x2 max pooling. @in holds L->in channels of
 * (w+2) x (h+2) with a zero border; @out gets L->out channels of (w/2+2) x (h/2+2), also
 * bordered. The sums are taken over the padded width (pw), so that each kernel row is one
 * long loop over the plane; the two columns past each row's end are computed and unused. */
static void conv_block(const struct layer *L, const float *in, int w, int h, float *out)
{
	int pw = w + 2, ow = w / 2, oh = h / 2, opw = ow + 2;
	int n = h * pw - 2; /* acc[y * pw + x], x < w, is the output at (x, y) */
	float acc[(REC_PATCH_W + 2) * (REC_PATCH_H + 2)];
	memset(out, 0, sizeof(float) * (size_t)L->out * opw * (oh + 2));
	for (int o = 0; o < L->out; o++) {
		for (int i = 0; i < n; i++) {
			acc[i] = L->b[o];
		}
		for (int c = 0; c < L->in; c++) {
			const float *k = L->w + ((size_t)o * L->in + c) * 9;
			const float *src = in + (size_t)c * pw * (h + 2);
			conv_row(acc, src, k[0], k[1], k[2], n);
			conv_row(acc, src + pw, k[3], k[4], k[5], n);
			conv_row(acc, src + 2 * pw, k[6], k[7], k[8], n);
		}
		float *dst = out + (size_t)o * opw * (oh + 2);
		for (int y = 0; y < oh; y++) {
			for (int x = 0; x < ow; x++) {
				const float *a = acc + (2 * y) * pw + 2 * x;
				float m = max2(max2(a[0], a[1]), max2(a[pw], a[pw + 1]));
				dst[(y + 1) * opw + x + 1] = m > 0 ? m : 0;
			}
		}
	}
}

/* A dense layer, its weights stored input-major (transposed at load): each input adds its
 * column to the outputs, a loop the compiler vectorises, and the zeros that ReLU leaves (about
 * half of them) cost nothing. */
static void dense(const struct layer *L, const float *in, float *restrict out)
{
	for (int o = 0; o < L->out; o++) {
		out[o] = L->b[o];
	}
	for (int i = 0; i < L->in; i++) {
		float x = in[i];
		if (x == 0) {
			continue;
		}
		const float *restrict wc = L->w + (size_t)i * L->out;
		for (int o = 0; o < L->out; o++) {
			out[o] += wc[o] * x;
		}
	}
	if (L->kind == LAYER_DENSE_RELU) {
		for (int o = 0; o < L->out; o++) {
			out[o] = out[o] < 0 ? 0 : out[o];
		}
	}
}

void rec_classify(struct rec_classifier *c, const uint8_t *patch, float *prob)
{
	int w = c->w, h = c->h;
	float *in = c->act[0], *out = c->act[1];
	memset(in, 0, sizeof(float) * (size_t)(w + 2) * (h + 2));
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			in[(y + 1) * (w + 2) + x + 1] =
				(float)(255 - patch[y * w + x]) * (1.0f / 255);
		}
	}
	bool flat = false;
	int units = 1;
	for (int l = 0; l < c->nlayers; l++) {
		const struct layer *L = &c->layer[l];
		if (L->kind == LAYER_CONV) {
			conv_block(L, in, w, h, out);
			w /= 2;
			h /= 2;
		} else {
			if (!flat) {
				/* strip the borders: channel, row, column order, as the trainer
				 * flattens */
				float *f = out;
				for (int ch = 0; ch < units; ch++) {
					for (int y = 0; y < h; y++) {
						for (int x = 0; x < w; x++) {
							*f++ = in[((size_t)ch * (h + 2) + y + 1) *
									  (w + 2) +
								  x + 1];
						}
					}
				}
				float *t = in;
				in = out;
				out = t;
				flat = true;
			}
			dense(L, in, out);
		}
		units = L->out;
		float *t = in;
		in = out;
		out = t;
	}
	/* softmax */
	float mx = in[0], sum = 0;
	for (int i = 1; i < c->nclasses; i++) {
		mx = max2(mx, in[i]);
	}
	for (int i = 0; i < c->nclasses; i++) {
		prob[i] = expf(in[i] - mx);
		sum += prob[i];
	}
	for (int i = 0; i < c->nclasses; i++) {
		prob[i] /= sum;
	}
}
