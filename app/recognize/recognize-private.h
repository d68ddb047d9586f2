/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * recognize-private.h: the pipeline's parts, for the module's own files and its tests.
 * Not a public API: names and structures change with the pipeline.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recognize.h"

/* ---- localisation (locate.c) ----------------------------------------------------------- */

/* Most row hypotheses kept per frame (the best by score); the rest are dropped. */
#define REC_MAX_REGIONS 48
/* Most character blobs considered per binarisation; a frame full of texture has more, and
 * the excess (the smallest first... in scan order) is ignored rather than stored. */
#define REC_MAX_BLOBS 16384
/* Most plate-shaped light blobs kept per frame. */
#define REC_MAX_RECTS 32
/* Most characters kept per row. */
#define REC_MAX_ROW 12

struct rec_blob {
	int x0, y0, x1, y1; /* inclusive bounds, in the working image */
	int area;
};

/* A row of character-shaped blobs: a plate hypothesis, in frame pixels. */
struct rec_region {
	float x0, y0, x1, y1; /* the row's bounding box */
	float cy;             /* centre line: y = cy + slope * (x - cx) */
	float cx;
	float slope;
	float char_h; /* median character height */
	float fill;   /* median share of a character's box that is ink */
	int nchars;
	bool light_on_dark;
	bool from_rect; /* proposed by a plate rectangle, not grouped from blobs */
	float score;
	/* character boxes (frame pixels), left to right */
	float cx0[REC_MAX_ROW], cx1[REC_MAX_ROW];
};

struct rec_locator {
	/* working images, grown as needed and reused (capacity in pixels) */
	uint8_t *grey;
	size_t grey_cap;
	uint8_t *half;
	size_t half_cap;
	uint32_t *integral;
	size_t integral_cap;
	uint8_t *mask;
	size_t mask_cap;
	uint8_t *mean;
	size_t mean_cap;
	uint8_t *colrun; /* a run length per column (erase_long_runs) */
	size_t colrun_cap;
	uint32_t *bandcols; /* a bit per band row, per column (complete_row) */
	size_t bandcols_cap;
	void *runs; /* two rows of foreground runs (locate.c) */
	size_t runs_cap;
	void *cc; /* connected-component records (locate.c) */
	size_t cc_cap;
	struct rec_blob *blobs;
	struct rec_blob *row_blobs;
	int *order;
	int *link;
	/* light blobs shaped like a plate (locate.c: plate_row), in working pixels */
	int nrects;
	struct rec_blob rects[REC_MAX_RECTS];
	int nregions;
	struct rec_region regions[REC_MAX_REGIONS * 4];
};

void rec_locator_init(struct rec_locator *l);
void rec_locator_finish(struct rec_locator *l);
/* Finds row hypotheses in a grey frame. Fills l->regions[0..l->nregions), best first, at
 * most REC_MAX_REGIONS. 0 or -ENOMEM. */
int rec_locate(struct rec_locator *l, const uint8_t *grey, int w, int h, size_t stride);

/* ---- syntax (syntax.c) ----------------------------------------------------------------- */

#define REC_MAX_SYNTAX 512

struct rec_syntax_entry {
	char state[3];
	char pattern[RECOGNIZE_MAX_CHARS + 1];
	int weight;
	float share; /* the pattern's share of its state's plates (its weight over the state's) */
};

struct rec_syntax {
	int n;
	int nstates; /* states with at least one pattern */
	struct rec_syntax_entry e[REC_MAX_SYNTAX];
};

/* The next line of a data file read whole into [*p, end), which alpr_read_file() ends with a
 * NUL: cut in place (NUL-terminated, a CR before the LF dropped); *p moves past it and
 * *lineno counts it. NULL at the end. Shared by the syntax and state-name loaders. */
char *rec_next_line(char **p, char *end, int *lineno);
/* Loads a syntax table (STATE<TAB>PATTERN<TAB>WEIGHT lines, '#' comments). On a bad line:
 * -ALPR_E_PARSE and a message naming the line in @err. -ENOENT when missing. */
int rec_syntax_load(struct rec_syntax *s, const char *path, char *err, size_t errsz);
/* Does @text fit a pattern of @state (NULL or "" for any state)? */
bool rec_syntax_match(const struct rec_syntax *s, const char *text, const char *state);
/* How common @text's format is (0..1): the share of @state's plates whose pattern it fits,
 * or with no state (NULL or ""), that share averaged over the states (each state as likely).
 * 0 when it fits no pattern. */
float rec_syntax_prior(const struct rec_syntax *s, const char *text, const char *state);
/* Does @text fit the pattern @pattern ('9' digit, 'A' letter, else itself)? */
bool rec_pattern_match(const char *pattern, const char *text);

/* ---- candidates (candidates.c) --------------------------------------------------------- */

#define REC_MAX_ALTS 6

/* One character position as the OCR saw it: alternatives best first, probabilities 0..1,
 * and the probability that it holds no character at all (a logo, a dash, a sticker or the
 * frame read as one; 0 when the reader has no such doubt): the candidates include the
 * string without it. */
struct rec_position {
	int nalts;
	char ch[REC_MAX_ALTS];
	float p[REC_MAX_ALTS];
	float drop;
};

/* Builds up to @topn candidates from @n positions into @out (ranked, best first), adding the
 * usual look-alike characters as weaker alternatives and preferring strings that fit a
 * syntax of @state (any state when NULL/""). Returns how many were written. */
int rec_candidates(const struct rec_position *pos, int n, const struct rec_syntax *syn,
		   const char *state, int topn, struct recognize_candidate *out);
/* The same; with @state_read (the state was read from the plate itself), strings that fit
 * only another state's syntaxes are priced like strings that fit none. */
int rec_candidates_ex(const struct rec_position *pos, int n, const struct rec_syntax *syn,
		      const char *state, bool state_read, int topn,
		      struct recognize_candidate *out);

/* ---- the reader's rows (recognize.c) --------------------------------------------------- */

/* Where a position was read along the row, [x0, x1) in frame pixels. */
struct rec_span {
	float x0, x1;
};

/* Characters on a plate stand side by side, never over each other: two neighbouring
 * positions whose spans overlap by more than REC_TWIN_OVERLAP of the narrower one's width
 * and whose best readings are the same character are one character seen twice (a wide
 * blob's split half and the next blob, a guess beside the blob it missed), and only the
 * surer is kept. Compacts @span and @pos (@n, left to right) in place; returns the new
 * count. */
#define REC_TWIN_OVERLAP 0.5f
int rec_merge_twins(struct rec_span *span, struct rec_position *pos, int n);

/* The doubt that a guess (a character looked for where the row's rhythm puts one, not found
 * by the locator) is a character at all, given its best reading's probability @p. On the
 * eval sets' rows, guesses read at 0.85 or more were characters 68 times in 70; those read
 * under 0.5, extras (a logo, a bolt, the frame) 14 times in 17. The doubt falls with the
 * reading, GUESS_DOUBT_SLOPE * (1 - p) (at 0.44 the two weigh alike), and never below
 * GUESS_DOUBT_MIN, so the row without even a sure guess is still a candidate. A flat 0.4
 * before: a sure guess lost to any syntax, an unsure one stood against it. */
#define GUESS_DOUBT_SLOPE 0.8f
#define GUESS_DOUBT_MIN   0.05f
float rec_guess_doubt(float p);

/* A bar the classifier read as I (@pos's best), cut as @patch (REC_PATCH_W x REC_PATCH_H, as
 * the classifier sees it): read as a 1 when it has a 1's flag, a stroke off the top of its
 * stem to the left (recognize.c: bar_flag()). Leaves any other position as it is. */
void rec_read_bar(struct rec_position *pos, const uint8_t *patch);
/* A round glyph the classifier read 0 (@pos's best) with an O among its alternatives,
 * cut as @patch: the D goes before the O when the glyph's left corners are square, as a D's
 * are (recognize.c: left_square()), the Q when its counter's bottom has a Q's tail
 * (q_tail()); the 0 stays where it is. Leaves any other position as it is. */
void rec_read_round(struct rec_position *pos, const uint8_t *patch);

/* ---- the character classifier (classify.c) --------------------------------------------- */

/* A character patch: the character's height is REC_PATCH_CHAR pixels, centred on the blob's
 * middle and the row's centre line, columns beyond the blob blanked, contrast stretched,
 * dark on light. tools/train-chars/gen_chars.py makes its training patches the same way. */
#define REC_PATCH_W    24
#define REC_PATCH_H    32
#define REC_PATCH_CHAR 26
/* Columns further than this many character heights from the blob's edges are blanked. */
#define REC_PATCH_MARGIN 0.10f
/* Most classes a model may have (A-Z, 0-9 and '?' for "not a character" need 37). */
#define REC_CLASS_MAX 64

struct rec_classifier;

/* Loads a classifier file (format: tools/train-chars/train.py). Returns 0 and *out (free
 * with rec_classifier_free()), -ENOENT and other -errno from reading, -ALPR_E_PARSE with a
 * one-line reason naming the file and field in @err, or -ENOMEM. Owns its working buffers:
 * one classifier per thread. */
int rec_classifier_load(const char *path, struct rec_classifier **out, char *err, size_t errsz);
void rec_classifier_free(struct rec_classifier *c);
/* The class labels, one character each ('?' is "not a character"); borrowed. */
const char *rec_classifier_labels(const struct rec_classifier *c);
int rec_classifier_classes(const struct rec_classifier *c);
/* Classifies one REC_PATCH_W x REC_PATCH_H patch; @prob gets one probability per class
 * (they sum to 1). Allocates nothing. */
void rec_classify(struct rec_classifier *c, const uint8_t *patch, float *prob);

/* Training data (tools/train-chars/dump-patches.c): localises @g (grey) and, for each row the
 * recognizer would read, calls @fn with the row and its character patches, cut exactly as
 * the classifier sees them (@n patches of REC_PATCH_W x REC_PATCH_H bytes, left to right).
 * Returns 0 or rec_locate()'s errors. */
struct recognizer;
typedef void (*rec_dump_fn)(void *arg, const struct rec_region *reg, const uint8_t *patches, int n);
int rec_dump_rows(struct recognizer *r, const uint8_t *g, int w, int h, size_t stride,
		  rec_dump_fn fn, void *arg);

/* ---- the issuing state from the plate's lettering (state.c) ---------------------------- */

#define REC_MAX_STATE_WORDS 256

struct rec_state_word {
	char text[32]; /* A-Z0-9, no spaces */
	char state[3];
};

struct rec_states {
	int n;
	struct rec_state_word w[REC_MAX_STATE_WORDS];
};

/* Loads data/plates/us-state-names.tsv (TEXT<TAB>STATE lines, '#' comments). On a bad line:
 * -ALPR_E_PARSE and a message naming the file and line in @err. -ENOENT when missing. */
int rec_states_load(struct rec_states *s, const char *path, char *err, size_t errsz);
/* The state a row of lettering names (borrowed, "CO"), or NULL when it names none or two
 * states match equally well. *score (0..1) says how closely it matched. */
const char *rec_state_match(const struct rec_states *s, const char *text, float *score);
