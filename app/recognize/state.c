/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The issuing state from the plate's own lettering: rows read above or below the
 * registration (the state's name, or a slogan only one state prints) are compared with the
 * words of data/plates/us-state-names.tsv, allowing a misread letter or two.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "recognize-private.h"

#define STATES_MAX_BYTES (1u << 20)

int rec_states_load(struct rec_states *s, const char *path, char *err, size_t errsz)
{
	_autofree_ char *buf = NULL;
	size_t len;
	s->n = 0;
	int r = alpr_read_file(path, STATES_MAX_BYTES, &buf, &len);
	if (r < 0) {
		if (errsz) {
			snprintf(err, errsz, "%s: %s", path, alpr_strerror(r));
		}
		return r;
	}
	int lineno = 0;
	char *p = buf, *line;
	while ((line = rec_next_line(&p, buf + len, &lineno))) {
		if (!line[0] || line[0] == '#') {
			continue;
		}
		const char *why = NULL;
		char *tab = strchr(line, '\t');
		size_t tl = tab ? (size_t)(tab - line) : 0;
		if (!tab) {
			why = "expected TEXT<TAB>STATE";
		} else if (tl < 4 || tl >= sizeof(s->w[0].text)) {
			why = "text is not 4 to 23 characters";
		} else if (strlen(tab + 1) != 2 || !isupper((unsigned char)tab[1]) ||
			   !isupper((unsigned char)tab[2])) {
			why = "state is not a two-letter code";
		} else if (s->n >= REC_MAX_STATE_WORDS) {
			why = "too many words";
		}
		for (size_t i = 0; !why && i < tl; i++) {
			if (!isupper((unsigned char)line[i]) && !isdigit((unsigned char)line[i])) {
				why = "text is not A-Z0-9";
			}
		}
		if (why) {
			if (errsz) {
				snprintf(err, errsz, "%s:%d: %s", path, lineno, why);
			}
			s->n = 0;
			return -ALPR_E_PARSE;
		}
		struct rec_state_word *w = &s->w[s->n++];
		memcpy(w->text, line, tl);
		w->text[tl] = '\0';
		memcpy(w->state, tab + 1, 3);
	}
	return 0;
}

/* Edit distance between a and b[0..bl). */
static int edit_distance(const char *a, size_t al, const char *b, size_t bl)
{
	int d[2][32];
	if (al >= 32 || bl >= 32) {
		return 99;
	}
	for (size_t j = 0; j <= bl; j++) {
		d[0][j] = (int)j;
	}
	for (size_t i = 1; i <= al; i++) {
		int *cur = d[i & 1], *prev = d[(i - 1) & 1];
		cur[0] = (int)i;
		for (size_t j = 1; j <= bl; j++) {
			int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = ALPR_MIN(sub, ALPR_MIN(del, ins));
		}
	}
	return d[al & 1][bl];
}

const char *rec_state_match(const struct rec_states *s, const char *text, float *score)
{
	size_t tl = strlen(text);
	const char *best = NULL;
	float best_score = 0;
	bool tie = false;
	if (tl < 4) {
		return NULL;
	}
	for (int i = 0; i < s->n; i++) {
		const struct rec_state_word *w = &s->w[i];
		size_t wl = strlen(w->text);
		/* the whole word, a misread letter per five allowed */
		int d = edit_distance(text, tl, w->text, wl);
		int allowed = wl >= 10 ? 2 : 1;
		float sc = d <= allowed ? 1.0f - (float)d / (float)wl : 0;
		/* or, for a long word a row cannot hold whole, a long part of it with one error */
		if (tl >= 7 && wl > tl) {
			for (size_t k = 0; k + tl <= wl + 1; k++) {
				size_t n = ALPR_MIN(tl, wl - k);
				int dp = edit_distance(text, tl, w->text + k, n);
				if (dp <= 1) {
					sc = ALPR_MAX(sc, 0.9f * (1.0f - (float)dp / (float)tl));
				}
			}
		}
		if (sc <= 0) {
			continue;
		}
		if (sc > best_score + 1e-6f) {
			best = w->state;
			best_score = sc;
			tie = false;
		} else if (sc > best_score - 1e-6f && strcmp(best, w->state) != 0) {
			tie = true;
		}
	}
	if (!best || tie) {
		return NULL;
	}
	*score = best_score;
	return best;
}
