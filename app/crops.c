/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * crops.c: recent plate crops per camera, and their PNG encoding (crops.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "common.h"
#include "crops.h"
#include "track.h"

#define LOG "unit"

struct slot {
	uint64_t seq; /* 0 with cw 0: empty */
	int x, y, w, h;
	int cw, ch;
	uint8_t px[CROPS_W_MAX * CROPS_H_MAX];
};

struct ring {
	pthread_mutex_t lock;
	struct slot *slots; /* CROPS_RING */
	size_t next;
};

struct unit_crops {
	size_t nrings;
	struct ring rings[];
};

int unit_crops_create(size_t ncameras, struct unit_crops **out)
{
	if (ncameras == 0 || !out) {
		return -EINVAL;
	}
	struct unit_crops *c = alpr_xcalloc(1, sizeof(*c) + ncameras * sizeof(c->rings[0]));
	c->nrings = ncameras;
	for (size_t i = 0; i < ncameras; i++) {
		pthread_mutex_init(&c->rings[i].lock, NULL);
		c->rings[i].slots = alpr_xcalloc(CROPS_RING, sizeof(struct slot));
	}
	*out = c;
	return 0;
}

void unit_crops_destroy(struct unit_crops *c)
{
	if (!c) {
		return;
	}
	for (size_t i = 0; i < c->nrings; i++) {
		pthread_mutex_destroy(&c->rings[i].lock);
		free(c->rings[i].slots);
	}
	free(c);
}

void unit_crops_keep(struct unit_crops *c, unsigned camera, uint64_t seq, const uint8_t *gray,
		     int width, int height, size_t stride, const struct recognize_result *res)
{
	if (!c || camera >= c->nrings) {
		return;
	}
	struct ring *ring = &c->rings[camera];

	pthread_mutex_lock(&ring->lock);
	for (int i = 0; i < res->nplates; i++) {
		const struct recognize_plate *p = &res->plates[i];
		if (!p->text[0] || p->w <= 0 || p->h <= 0 || track_state_code(p->text)) {
			continue;
		}
		/* A margin around the box: the officer sees the plate's edges, and a character
		 * the box cut off. */
		int mx = p->w / 8 + 2, my = p->h / 4 + 2;
		int x0 = ALPR_MAX(0, p->x - mx), y0 = ALPR_MAX(0, p->y - my);
		int x1 = ALPR_MIN(width, p->x + p->w + mx), y1 = ALPR_MIN(height, p->y + p->h + my);
		int sw = x1 - x0, sh = y1 - y0;
		if (sw <= 0 || sh <= 0) {
			continue;
		}
		/* Whole-pixel subsampling keeps it cheap on the worker. */
		int step = ALPR_MAX((sw + CROPS_W_MAX - 1) / CROPS_W_MAX,
				    (sh + CROPS_H_MAX - 1) / CROPS_H_MAX);
		struct slot *s = &ring->slots[ring->next];
		ring->next = (ring->next + 1) % CROPS_RING;
		s->seq = seq;
		s->x = p->x;
		s->y = p->y;
		s->w = p->w;
		s->h = p->h;
		s->cw = ALPR_MAX(1, sw / step);
		s->ch = ALPR_MAX(1, sh / step);
		for (int y = 0; y < s->ch; y++) {
			const uint8_t *src = gray + (size_t)(y0 + y * step) * stride;
			uint8_t *dst = s->px + (size_t)y * (size_t)s->cw;
			for (int x = 0; x < s->cw; x++) {
				dst[x] = src[x0 + x * step];
			}
		}
	}
	pthread_mutex_unlock(&ring->lock);
}

int unit_crops_png(struct unit_crops *c, unsigned camera, uint64_t seq, int x, int y, int w, int h,
		   uint8_t **png, size_t *len)
{
	if (!c || camera >= c->nrings || !png || !len) {
		return -EINVAL;
	}
	struct ring *ring = &c->rings[camera];
	PIX *pix = NULL;

	pthread_mutex_lock(&ring->lock);
	for (size_t i = 0; i < CROPS_RING && !pix; i++) {
		const struct slot *s = &ring->slots[i];
		if (s->cw == 0 || s->seq != seq || s->x != x || s->y != y || s->w != w ||
		    s->h != h) {
			continue;
		}
		pix = pixCreateNoInit(s->cw, s->ch, 8);
		if (!pix) {
			break;
		}
		l_uint32 *data = pixGetData(pix);
		int wpl = pixGetWpl(pix);
		for (int yy = 0; yy < s->ch; yy++) {
			l_uint32 *line = data + (size_t)yy * (size_t)wpl;
			for (int xx = 0; xx < s->cw; xx++) {
				SET_DATA_BYTE(line, xx, s->px[(size_t)yy * (size_t)s->cw + xx]);
			}
		}
	}
	pthread_mutex_unlock(&ring->lock);
	if (!pix) {
		return -ENOENT;
	}
	l_uint8 *buf = NULL;
	size_t n = 0;
	int r = pixWriteMemPng(&buf, &n, pix, 0.0f);
	pixDestroy(&pix);
	if (r != 0 || !buf) {
		alpr_warn(LOG, "a plate crop could not be encoded as PNG");
		return -EIO;
	}
	*png = buf;
	*len = n;
	return 0;
}
