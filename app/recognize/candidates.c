/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * Plate candidates from per-character alternatives.
 *
 * Tesseract gives, for each character it read, a few alternatives with confidences. Plates
 * have no dictionary, so the second choice is often right where the first is a look-alike
 * (0 and O, 8 and B, 1 and I): the hotlist matcher is given the best strings, not one.
 * Strings are ranked by the product of their characters' probabilities; the usual look-alikes
 * are added as weak alternatives (Tesseract's LSTM is often sure of the wrong one), the end
 * characters may be dropped (a plate frame or bolt read as "1" or "I"), so may a position the
 * reader doubts is a character at all (rec_position.drop: a logo, a dash, a guess in the gap
 * between character groups), and strings that fit no plate syntax are demoted.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "recognize-private.h"

/* Beam width: enough to keep every string within a few look-alikes of the best. */
#define BEAM 256
/* A look-alike's probability: a small floor plus a share of the doubt about the character it
 * stands in for. With Tesseract the floor was 0.1, above NO_SYNTAX_FACTOR, so a syntax always
 * overrode one character however sure the OCR was (Tesseract's LSTM is often sure of the
 * wrong one of a pair). The character classifier's probabilities are calibrated: a sure
 * reading now stands against the syntax (vanity plates and formats missing from the table
 * exist), an unsure one still yields to it. Measured on the eval sets: floor 0.1 -> 0.02
 * moved top-1 0.613 -> 0.631 (us-dev) and 0.579 -> 0.605 (plates-dev). A look-alike is never
 * more likely than the reading it stands in for: for a position the classifier could not
 * read (a logo or a sticker, p0 0.1) it is no better than the rest of its guesses, and the
 * string without the position (its drop) can win. */
#define LOOKALIKE_FLOOR  0.02f
#define LOOKALIKE_FACTOR 0.4f
/* The one pair the classifier confuses far more often than its probabilities say: on the
 * eval sets' rows read at their truth's length, 11 of its 33 'I's were 1s (6 of the 24 read
 * at 0.9 or more; plate typefaces draw both as a plain bar, and I is a rare letter on
 * plates). The 1 is given I_AS_ONE (1 in 3 against 2 in 3) of the I's probability, so the
 * syntax decides between them: NH's 2757814 was read 27578I4, which fits no syntax. */
#define I_AS_ONE 0.5f
/* An I whose neighbours are all digits is a 1, and the I only its look-alike (at I_AS_ONE of
 * the reading's probability). Serials put their letters in runs and states leave I out of
 * them (beside digits it is a 1 in most dies: New Hampshire's 1 is a plain bar); an I on a
 * plate is a vanity word's, among letters. On the eval sets' rows read at their truth's
 * length (fifth session, docs/benchmarks.md), the classifier's I beside digits only was a 1
 * 8 times in 8 (NH's 1410502 read I410502, ID's 108565 read I08565); all 23 true I's stood
 * beside a letter. */
/* The price of a string that fits no syntax (of the preferred state, else of any state). */
#define NO_SYNTAX_FACTOR   0.08f
#define OTHER_STATE_FACTOR 0.5f
/* With a state read from the plate, a string that fits none of its formats but another
 * state's: the syntax table is approximate (a state's older or newer series, formats it
 * lacks), so another state's format is still a plate's shape, priced READ_OTHER_FACTOR and
 * its format's share among all states, always below the read state's rarest format
 * (FORMAT_FLOOR's price) and above a string that fits none. Maine's 100AJA, a 999AAA its
 * table lacks, was read 10QAJA (Q's tail) against NO_SYNTAX_FACTOR for both. Measured on
 * plates-dev: 0.2, 0.3 and 0.5 one crop more, 0.1 one fewer; us-dev the same. */
#define READ_OTHER_FACTOR 0.3f
/* A position's doubt that it is a character at all, below which the string without it is
 * not worth a place in the beam; and the most positions one string leaves out (one fewer
 * lets a nine-character row of a date stamp or a slogan become a seven-character plate
 * less often, but costs more real plates: measured 1 vs 2, 0.604 vs 0.613 us-dev top-1). */
/* A string's format: its share of the plates (rec_syntax_prior(): of the state's, or
 * averaged over the states) against FORMAT_COMMON, the share of the commonest formats
 * (AAA999, AAA9999 and 999AAA each hold about a fifth of the states' plates), to the power
 * FORMAT_WEIGHT, and no less than FORMAT_FLOOR: where two readings of a look-alike both fit
 * a syntax, the commoner format is the likelier plate (355OCT, 999AAA, against 3550CT,
 * 9999AA, the format of a few states' older issues). Rare formats are still formats: the
 * floor keeps them well above a string that fits none (NO_SYNTAX_FACTOR). */
#define FORMAT_COMMON 0.2f
#define FORMAT_WEIGHT 0.3f
#define FORMAT_FLOOR  0.1f
#define MIN_DROP      0.01f
#define MAX_DROPS     2
/* The look-alikes of a reading at 0.3 or less are capped at the reading's probability
 * (above) and tie it, though the classifier gave no evidence for them, only none against. A
 * round 0 expands to O, D, Q and U, a 7 to T and 1, each string at the reading's probability,
 * and such ties crowded the top 10 with variants of one string, pushing out strings read
 * differently. Among strings at equal probability, the one the classifier itself favours
 * comes first, and a string that differs from it only by one look-alike is ranked at
 * TIE_VARIANT of its probability: still listed for the hotlist (whose matcher also tries the
 * look-alikes of the first candidates), after strings read otherwise that are nearly as
 * likely (measured 0.3, 0.5 and 0.7: the same gain, docs/benchmarks.md). */
#define TIE_VARIANT 0.5f

static const char *lookalikes(char c)
{
	switch (c) {
	case '0':
		return "ODQU";
	case 'O':
		return "0DQ";
	case 'D':
		return "0O";
	case 'Q':
		return "O0";
	case 'U':
		return "0V";
	case '1':
		return "IT7";
	case 'I':
		return "1T";
	case 'T':
		return "17";
	case '7':
		return "T1";
	case '2':
		return "Z";
	case 'Z':
		return "2";
	case '5':
		return "S";
	case 'S':
		return "5";
	case '8':
		return "B";
	case 'B':
		return "8";
	case '6':
		return "G";
	case 'G':
		return "6C";
	case 'C':
		return "G";
	case '4':
		return "A";
	case 'A':
		return "4";
	case 'H':
		return "M";
	case 'M':
		return "H";
	case 'V':
		return "Y";
	case 'Y':
		return "V";
	default:
		return "";
	}
}

/* Does position @i of @in stand among digits: every neighbour read (one at the row's ends)
 * reads a digit first? */
static bool among_digits(const struct rec_position *in, int n, int i)
{
	int nd = 0;
	for (int j = i - 1; j <= i + 1; j += 2) {
		if (j < 0 || j >= n || in[j].nalts == 0) {
			continue;
		}
		if (in[j].ch[0] < '0' || in[j].ch[0] > '9') {
			return false;
		}
		nd++;
	}
	return nd > 0;
}

/* Reads @pos's best as @c, at the best's probability; the old best takes @c's place as an
 * alternative, if @c was one. */
static void swap_best(struct rec_position *pos, char c)
{
	for (int a = 1; a < pos->nalts; a++) {
		if (pos->ch[a] == c) {
			pos->ch[a] = pos->ch[0];
			break;
		}
	}
	pos->ch[0] = c;
}

static float format_price(float prior)
{
	return FORMAT_WEIGHT * logf(fminf(1, fmaxf(prior / FORMAT_COMMON, FORMAT_FLOOR)));
}

struct beam_entry {
	char text[RECOGNIZE_MAX_CHARS + 1];
	int len;
	int drops; /* positions left out */
	float logp;
	float raw;  /* log-probability by the reader's own alternatives (no look-alikes) */
	float rank; /* logp, less the price of a tied look-alike variant */
};

/* Equal probability first by the reader's own preference, then by text (a stable order). */
static int cmp_tie(const void *a, const void *b)
{
	const struct beam_entry *x = a, *y = b;
	if (x->logp != y->logp) {
		return (x->logp < y->logp) - (x->logp > y->logp);
	}
	if (x->raw != y->raw) {
		return (x->raw < y->raw) - (x->raw > y->raw);
	}
	return strcmp(x->text, y->text);
}

static int cmp_rank(const void *a, const void *b)
{
	const struct beam_entry *x = a, *y = b;
	if (x->rank != y->rank) {
		return (x->rank < y->rank) - (x->rank > y->rank);
	}
	return cmp_tie(a, b);
}

/* Do @a and @b (of one length) differ at exactly one place, by a look-alike? */
static bool one_lookalike_apart(const char *a, const char *b)
{
	int at = -1;
	for (int i = 0; a[i] || b[i]; i++) {
		if (a[i] != b[i]) {
			if (at >= 0 || !a[i] || !b[i]) {
				return false;
			}
			at = i;
		}
	}
	return at >= 0 && (strchr(lookalikes(a[at]), b[at]) || strchr(lookalikes(b[at]), a[at]));
}

/* Ranks each of @beam (sorted by cmp_tie) that ties a better one and is one look-alike from
 * it at TIE_VARIANT of its probability, and sorts by rank. */
static void rank_tie_variants(struct beam_entry *beam, int n)
{
	int run = 0;
	for (int b = 0; b < n; b++) {
		beam[b].rank = beam[b].logp;
		if (b > 0 && beam[b].logp != beam[b - 1].logp) {
			run = b;
		}
		for (int a = run; a < b; a++) {
			if (one_lookalike_apart(beam[a].text, beam[b].text)) {
				beam[b].rank += logf(TIE_VARIANT);
				break;
			}
		}
	}
	qsort(beam, (size_t)n, sizeof(beam[0]), cmp_rank);
}

/* Adds alternative @c with probability @p to @pos unless it is there already; when @pos is
 * full, in place of its weakest alternative if that is weaker. */
static void add_alt(struct rec_position *pos, char c, float p)
{
	int weakest = 0;
	for (int i = 0; i < pos->nalts; i++) {
		if (pos->ch[i] == c) {
			if (p > pos->p[i]) {
				pos->p[i] = p;
			}
			return;
		}
		if (pos->p[i] < pos->p[weakest]) {
			weakest = i;
		}
	}
	if (pos->nalts < REC_MAX_ALTS) {
		pos->ch[pos->nalts] = c;
		pos->p[pos->nalts] = p;
		pos->nalts++;
	} else if (pos->nalts > 1 && weakest > 0 && p > pos->p[weakest]) {
		pos->ch[weakest] = c;
		pos->p[weakest] = p;
	}
}

int rec_candidates(const struct rec_position *in, int n, const struct rec_syntax *syn,
		   const char *state, int topn, struct recognize_candidate *out)
{
	return rec_candidates_ex(in, n, syn, state, false, topn, out);
}

int rec_candidates_ex(const struct rec_position *in, int n, const struct rec_syntax *syn,
		      const char *state, bool state_read, int topn, struct recognize_candidate *out)
{
	if (n <= 0 || topn <= 0) {
		return 0;
	}
	n = ALPR_MIN(n, RECOGNIZE_MAX_CHARS);
	struct rec_position pos[RECOGNIZE_MAX_CHARS];
	float raw[RECOGNIZE_MAX_CHARS][REC_MAX_ALTS];
	for (int i = 0; i < n; i++) {
		pos[i] = in[i];
		if (pos[i].nalts == 0) {
			continue;
		}
		bool one = pos[i].ch[0] == 'I' && among_digits(in, n, i);
		if (one) {
			swap_best(&pos[i], '1');
		}
		struct rec_position own = pos[i];
		float p0 = pos[i].p[0];
		for (const char *l = lookalikes(pos[i].ch[0]); *l; l++) {
			float pl = LOOKALIKE_FLOOR + LOOKALIKE_FACTOR * (1 - p0);
			if ((pos[i].ch[0] == 'I' && *l == '1') || (one && *l == 'I')) {
				pl = fmaxf(pl, I_AS_ONE * p0);
			}
			add_alt(&pos[i], *l, fminf(p0, pl));
		}
		/* the end characters may be the plate's frame or a bolt */
		float drop = pos[i].drop;
		if (n >= 5 && (i == 0 || i == n - 1)) {
			drop = fmaxf(drop, 0.1f * (1 - p0) + 0.01f);
		}
		if (drop >= MIN_DROP) {
			add_alt(&pos[i], '\0', drop);
		}
		for (int a = 0; a < pos[i].nalts; a++) {
			float pr = pos[i].ch[a] ? 1e-4f : pos[i].p[a];
			for (int o = 0; o < own.nalts; o++) {
				if (own.ch[o] == pos[i].ch[a]) {
					pr = own.p[o];
				}
			}
			raw[i][a] = logf(fmaxf(pr, 1e-4f));
		}
	}

	static_assert(BEAM * REC_MAX_ALTS <= 2048, "beam scratch");
	struct beam_entry beam[BEAM], next[BEAM * REC_MAX_ALTS];
	int nbeam = 1;
	memset(&beam[0], 0, sizeof(beam[0]));
	for (int i = 0; i < n; i++) {
		int nn = 0;
		for (int b = 0; b < nbeam; b++) {
			for (int a = 0; a < pos[i].nalts; a++) {
				struct beam_entry e = beam[b];
				if (pos[i].ch[a]) {
					e.text[e.len++] = pos[i].ch[a];
					e.text[e.len] = '\0';
				} else if (++e.drops > MAX_DROPS) {
					continue;
				}
				e.logp += logf(fmaxf(pos[i].p[a], 1e-4f));
				e.raw += raw[i][a];
				next[nn++] = e;
			}
		}
		qsort(next, (size_t)nn, sizeof(next[0]), cmp_tie);
		nbeam = ALPR_MIN(nn, BEAM);
		memcpy(beam, next, (size_t)nbeam * sizeof(beam[0]));
	}
	/* Syntax: prefer the chosen state's patterns, then any state's; among them, the
	 * commoner formats. A state read from the plate prices its formats by their shares;
	 * a state the user chose (the unit's home state) is only a preference, its formats
	 * alike (measured on us-dev with --state CA: pricing them by CA's shares lost 2 of
	 * 111, its older AAA999 and 999AAA plates at 5% each against a guess read into
	 * 9AAA999). */
	bool have_state = state && state[0];
	for (int b = 0; b < nbeam; b++) {
		if (beam[b].len < 2) {
			beam[b].logp = -1e9f;
			continue;
		}
		if (!syn) {
			beam[b].logp += logf(NO_SYNTAX_FACTOR);
			continue;
		}
		float prior = have_state ? rec_syntax_prior(syn, beam[b].text, state) : 0;
		if (prior > 0) {
			beam[b].logp += state_read ? format_price(prior) : 0;
			continue;
		}
		prior = rec_syntax_prior(syn, beam[b].text, NULL);
		if (prior > 0 && state_read) {
			beam[b].logp += logf(READ_OTHER_FACTOR) + format_price(prior);
		} else if (prior > 0) {
			beam[b].logp += have_state ? logf(OTHER_STATE_FACTOR) : format_price(prior);
		} else {
			beam[b].logp += logf(NO_SYNTAX_FACTOR);
		}
	}
	qsort(beam, (size_t)nbeam, sizeof(beam[0]), cmp_tie);
	rank_tie_variants(beam, nbeam);
	int k = 0;
	for (int b = 0; b < nbeam && k < topn; b++) {
		if (beam[b].logp < -1e8f) {
			break;
		}
		bool dup = false;
		for (int j = 0; j < k && !dup; j++) {
			dup = strcmp(out[j].text, beam[b].text) == 0;
		}
		if (dup) {
			continue;
		}
		struct recognize_candidate *c = &out[k];
		alpr_strlcpy(c->text, beam[b].text, sizeof(c->text));
		/* the geometric mean of the character probabilities, never above the one before */
		float conf = 100.0f * expf(beam[b].logp / (float)beam[b].len);
		if (k > 0 && conf > out[k - 1].confidence) {
			conf = out[k - 1].confidence;
		}
		c->confidence = conf;
		c->syntax_match = syn && rec_syntax_match(syn, c->text, have_state ? state : NULL);
		k++;
	}
	return k;
}
