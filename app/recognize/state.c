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
			why = "text is not 4 to 31 characters";
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

/* A row's lettering is read by the plate-character classifier, which gives a letter and the
 * digit of its shape alike (a state name's O read 0, its I read 1): such a pair costs half an
 * error. So does a word's I missing from the row: in small lettering an I is a bar too thin
 * to be kept as a character (VIRGINIA read VRGINA, CAROLINA read CAROLNA). Costs are
 * counted in half errors. */
static int sub_cost(char a, char b)
{
	static const char *const look[] = {"0OQD", "1IL", "5S", "8B", "2Z", "6G"};
	if (a == b) {
		return 0;
	}
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(look); i++) {
		if (strchr(look[i], a) && strchr(look[i], b)) {
			return 1;
		}
	}
	return 2;
}

/* How the row's text @a may lie against a word @b. */
enum align_kind {
	ALIGN_WHOLE,  /* the whole text against the whole word */
	ALIGN_PART,   /* the text against a part of the word (the row holds a piece of it) */
	ALIGN_INSIDE, /* the whole word against the text less up to two characters an end
		       * (a sticker or a bolt read onto the row's ends) */
};

#define INSIDE_SKIP 2

/* Edit distance between a[0..al) and b[0..bl), in half errors, aligned as @kind says. */
static int edit_distance(const char *a, size_t al, const char *b, size_t bl, enum align_kind kind)
{
	enum { BIG = 999 };
	int d[32][32];
	if (al >= 32 || bl >= 32) {
		return BIG;
	}
	for (size_t i = 0; i <= al; i++) {
		for (size_t j = 0; j <= bl; j++) {
			int v;
			if (i == 0) {
				v = kind == ALIGN_PART ? 0 : 2 * (int)j;
			} else if (j == 0) {
				v = kind == ALIGN_INSIDE ? (i <= INSIDE_SKIP ? 0 : BIG)
							 : 2 * (int)i;
			} else {
				int sub = d[i - 1][j - 1] + sub_cost(a[i - 1], b[j - 1]);
				int del = d[i - 1][j] + 2;
				int ins = d[i][j - 1] + (b[j - 1] == 'I' ? 1 : 2);
				v = ALPR_MIN(sub, ALPR_MIN(del, ins));
			}
			d[i][j] = v;
		}
	}
	int best = BIG;
	size_t i0 = kind == ALIGN_INSIDE && al > INSIDE_SKIP ? al - INSIDE_SKIP : al;
	for (size_t i = i0; i <= al; i++) {
		for (size_t j = kind == ALIGN_PART ? 0 : bl; j <= bl; j++) {
			best = ALPR_MIN(best, d[i][j]);
		}
	}
	return best;
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
		float d = 0.5f * (float)edit_distance(text, tl, w->text, wl, ALIGN_WHOLE);
		float allowed = wl >= 10 ? 2 : 1;
		float sc = d <= allowed ? 1.0f - d / (float)wl : 0;
		/* or, for a long word a row cannot hold whole, a long part of it with one error */
		if (tl >= 7 && wl > tl) {
			float dp = 0.5f * (float)edit_distance(text, tl, w->text, wl, ALIGN_PART);
			if (dp <= 1) {
				sc = ALPR_MAX(sc, 0.9f * (1.0f - dp / (float)tl));
			}
		}
		/* or a word of six or more letters whole, inside a row read a little longer */
		if (wl >= 6 && tl > wl) {
			float di = 0.5f * (float)edit_distance(text, tl, w->text, wl, ALIGN_INSIDE);
			if (di <= 1) {
				sc = ALPR_MAX(sc, 0.9f * (1.0f - di / (float)wl));
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
