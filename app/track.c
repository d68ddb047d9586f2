/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * track.c: grouping per-frame plate reads into vehicle passes, and voting (track.h).
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "track.h"

/* Cameras the tracker keeps a time for: capture.h's CAPTURE_MAX_CAMERAS. */
#define TRACK_MAX_CAMERAS 8

struct track {
	bool open;
	bool emitted; /* already emitted at max_track_us; stays quiet until it closes */
	bool early;   /* emitted early (tracker_options.early_frames) */
	uint64_t id;
	unsigned camera;
	uint64_t last_seq;
	int64_t first_us, last_us;
	int lx, ly, lw, lh; /* the last box, for association */
	char last_text[TRACK_TEXT_MAX + 1];
	char best_text[TRACK_TEXT_MAX + 1]; /* of the most confident observation */
	float best_conf;
	unsigned nobs;
	unsigned seen;
	struct track_obs obs[TRACK_MAX_OBS];
	int64_t obs_us[TRACK_MAX_OBS];
	uint64_t obs_seq[TRACK_MAX_OBS];
};

struct tracker {
	struct tracker_options opt;
	uint64_t next_id;
	int64_t camera_now[TRACK_MAX_CAMERAS];
	struct track tracks[TRACK_MAX_OPEN];
};

int track_edit_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, TRACK_TEXT_MAX), lb = strnlen(b, TRACK_TEXT_MAX);
	int row[TRACK_TEXT_MAX + 1];

	for (size_t j = 0; j <= lb; j++) {
		row[j] = (int)j;
	}
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int best = ALPR_MIN(row[j] + 1, row[j - 1] + 1);
			row[j] = ALPR_MIN(best, diag + cost);
			diag = up;
		}
	}
	return row[lb];
}

const char *track_state_code(const char *name)
{
	static const char *const names[][2] = {
		{"ALABAMA", "AL"},    {"ALASKA", "AK"},    {"ARIZONA", "AZ"},   {"ARKANSAS", "AR"},
		{"CALIFORNIA", "CA"}, {"COLORADO", "CO"},  {"DELAWARE", "DE"},  {"FLORIDA", "FL"},
		{"GEORGIA", "GA"},    {"HAWAII", "HI"},    {"IDAHO", "ID"},     {"ILLINOIS", "IL"},
		{"INDIANA", "IN"},    {"IOWA", "IA"},      {"KANSAS", "KS"},    {"KENTUCKY", "KY"},
		{"LOUISIANA", "LA"},  {"MAINE", "ME"},     {"MARYLAND", "MD"},  {"MICHIGAN", "MI"},
		{"MINNESOTA", "MN"},  {"MISSOURI", "MO"},  {"MONTANA", "MT"},   {"NEBRASKA", "NE"},
		{"NEVADA", "NV"},     {"NEWYORK", "NY"},   {"NEWJERSEY", "NJ"}, {"NEWMEXICO", "NM"},
		{"OHIO", "OH"},       {"OKLAHOMA", "OK"},  {"OREGON", "OR"},    {"TENNESSEE", "TN"},
		{"TEXAS", "TX"},      {"UTAH", "UT"},      {"VERMONT", "VT"},   {"VIRGINIA", "VA"},
		{"WASHINGTON", "WA"}, {"WISCONSIN", "WI"}, {"WYOMING", "WY"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(names); i++) {
		if (strcmp(name, names[i][0]) == 0) {
			return names[i][1];
		}
	}
	return NULL;
}

int tracker_create(const struct tracker_options *opts, struct tracker **out)
{
	struct tracker_options o = {0};

	if (!out) {
		return -EINVAL;
	}
	if (opts) {
		o = *opts;
	}
	if (o.close_gap_us < 0 || o.max_track_us < 0 || o.min_confidence < 0 ||
	    o.min_confidence > 1) {
		return -EINVAL;
	}
	if (o.close_gap_us == 0) {
		o.close_gap_us = ALPR_USEC_PER_SEC;
	}
	if (o.max_track_us == 0) {
		o.max_track_us = 4 * ALPR_USEC_PER_SEC;
	}
	if (o.min_frames == 0) {
		o.min_frames = 2;
	}
	struct tracker *t = alpr_xcalloc(1, sizeof(*t));
	t->opt = o;
	t->next_id = 1;
	*out = t;
	return 0;
}

void tracker_destroy(struct tracker *t)
{
	free(t);
}

size_t tracker_open_count(const struct tracker *t)
{
	size_t n = 0;

	for (size_t i = 0; i < TRACK_MAX_OPEN; i++) {
		n += t->tracks[i].open;
	}
	return n;
}

/* ---- voting ---------------------------------------------------------------------------- */

struct tally {
	char text[TRACK_TEXT_MAX + 1];
	float score;
};

static void tally_add(struct tally *tl, int *n, int cap, const char *text, float score)
{
	for (int i = 0; i < *n; i++) {
		if (strcmp(tl[i].text, text) == 0) {
			tl[i].score += score;
			return;
		}
	}
	if (*n < cap) {
		alpr_strlcpy(tl[*n].text, text, sizeof(tl[*n].text));
		tl[*n].score = score;
		(*n)++;
		return;
	}
	/* Full: replace the weakest if this one is stronger. */
	int weakest = 0;
	for (int i = 1; i < *n; i++) {
		if (tl[i].score < tl[weakest].score) {
			weakest = i;
		}
	}
	if (tl[weakest].score < score) {
		alpr_strlcpy(tl[weakest].text, text, sizeof(tl[weakest].text));
		tl[weakest].score = score;
	}
}

static int tally_cmp(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;
	return (x->score < y->score) - (x->score > y->score);
}

/* The state, as track.h says: weighted by the frames' confidence, two frames at least, and a
 * majority of the weight of the frames that read any state, or it is noise. */
static void vote_state(const struct track *tr, struct track_read *out)
{
	float total = 0, best_w = 0, best_conf = 0;
	unsigned best_n = 0;

	out->state[0] = '\0';
	out->state_confidence = 0;
	for (unsigned i = 0; i < tr->nobs; i++) {
		if (tr->obs[i].state[0]) {
			total += ALPR_MAX(0.0f, tr->obs[i].state_conf) + 1.0f;
		}
	}
	for (unsigned i = 0; i < tr->nobs; i++) {
		const char *st = tr->obs[i].state;
		if (!st[0]) {
			continue;
		}
		float w = 0, conf = 0;
		unsigned n = 0;
		for (unsigned k = 0; k < tr->nobs; k++) {
			if (strcmp(tr->obs[k].state, st) == 0) {
				float c = ALPR_MAX(0.0f, ALPR_MIN(100.0f, tr->obs[k].state_conf));
				w += c + 1.0f;
				conf += c;
				n++;
			}
		}
		if (w > best_w) {
			best_w = w;
			best_n = n;
			best_conf = conf;
			alpr_strlcpy(out->state, st, sizeof(out->state));
		}
	}
	if (best_n < 2 || best_w * 2 <= total) {
		out->state[0] = '\0';
		return;
	}
	out->state_confidence = (best_w / total) * (best_conf / (float)best_n / 100.0f);
}

static bool vote(const struct tracker *t, const struct track *tr, struct track_read *out)
{
	float len_w[TRACK_TEXT_MAX + 1] = {0};
	unsigned best_i = 0;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < tr->nobs; i++) {
		size_t l = strnlen(tr->obs[i].text, TRACK_TEXT_MAX);
		len_w[l] += tr->obs[i].confidence + 1.0f;
		if (tr->obs[i].confidence > tr->obs[best_i].confidence) {
			best_i = i;
		}
	}
	size_t len = 1;
	for (size_t l = 1; l <= TRACK_TEXT_MAX; l++) {
		if (len_w[l] > len_w[len]) {
			len = l;
		}
	}
	if (len_w[len] <= 0) {
		return false;
	}

	/* Per position, the character with the largest sum of confidences among the frames of
	 * the voted length. Each position's agreement is the winner's share of the weight. */
	float agree_sum = 0, conf_sum = 0;
	unsigned voters = 0;
	for (size_t p = 0; p < len; p++) {
		float w[36] = {0}, total = 0;
		float conf_of[36] = {0};
		unsigned cnt[36] = {0};
		for (unsigned i = 0; i < tr->nobs; i++) {
			const struct track_obs *o = &tr->obs[i];
			if (strnlen(o->text, TRACK_TEXT_MAX) != len) {
				continue;
			}
			char c = o->text[p];
			int k = c >= 'A' && c <= 'Z' ? c - 'A'
						     : (c >= '0' && c <= '9' ? 26 + c - '0' : -1);
			if (k < 0) {
				continue;
			}
			float cw = o->char_conf[p] > 0 ? o->char_conf[p] : o->confidence;
			w[k] += cw + 1.0f;
			conf_of[k] += cw;
			cnt[k]++;
			total += cw + 1.0f;
		}
		int win = 0;
		for (int k = 1; k < 36; k++) {
			if (w[k] > w[win]) {
				win = k;
			}
		}
		out->text[p] = (char)(win < 26 ? 'A' + win : '0' + (win - 26));
		agree_sum += total > 0 ? w[win] / total : 0;
		conf_sum += cnt[win] ? conf_of[win] / (float)cnt[win] / 100.0f : 0;
	}
	out->text[len] = '\0';
	for (unsigned i = 0; i < tr->nobs; i++) {
		voters += strnlen(tr->obs[i].text, TRACK_TEXT_MAX) == len;
	}
	out->confidence = (agree_sum / (float)len) * (conf_sum / (float)len);
	if (out->confidence > 1) {
		out->confidence = 1;
	}

	/* Candidates: the voted text first, then every frame's candidates ranked by their
	 * summed confidence over the track (support across frames, not one frame's opinion). */
	struct tally tl[4 * TRACK_CANDIDATES_MAX];
	int ntl = 0;
	for (unsigned i = 0; i < tr->nobs; i++) {
		const struct track_obs *o = &tr->obs[i];
		for (int c = 0; c < o->ncand && c < TRACK_CANDIDATES_MAX; c++) {
			tally_add(tl, &ntl, (int)ALPR_ARRAY_SIZE(tl), o->cand[c], o->cand_conf[c]);
		}
		if (o->ncand == 0) {
			tally_add(tl, &ntl, (int)ALPR_ARRAY_SIZE(tl), o->text, o->confidence);
		}
	}
	qsort(tl, (size_t)ntl, sizeof(tl[0]), tally_cmp);
	float norm = 100.0f * (float)tr->nobs;
	alpr_strlcpy(out->cand[0], out->text, sizeof(out->cand[0]));
	out->cand_conf[0] = out->confidence;
	out->ncand = 1;
	for (int i = 0; i < ntl && out->ncand < TRACK_CANDIDATES_MAX; i++) {
		if (strcmp(tl[i].text, out->text) == 0) {
			continue;
		}
		float c = tl[i].score / norm;
		alpr_strlcpy(out->cand[out->ncand], tl[i].text, sizeof(out->cand[0]));
		out->cand_conf[out->ncand] = ALPR_MIN(c, out->confidence);
		out->ncand++;
	}

	vote_state(tr, out);

	const struct track_obs *b = &tr->obs[best_i];
	out->track_id = tr->id;
	out->camera = tr->camera;
	out->frames_voted = voters;
	out->frames_seen = tr->seen;
	out->first_us = tr->first_us;
	out->last_us = tr->last_us;
	out->best_us = tr->obs_us[best_i];
	out->best_seq = tr->obs_seq[best_i];
	out->x = b->x;
	out->y = b->y;
	out->w = b->w;
	out->h = b->h;
	return out->frames_voted >= t->opt.min_frames && out->confidence >= t->opt.min_confidence;
}

static void close_track(struct tracker *t, struct track *tr, track_emit_fn emit, void *userdata)
{
	struct track_read r;

	if (!tr->emitted && vote(t, tr, &r) && emit) {
		r.had_early = tr->early;
		emit(&r, userdata);
	}
	tr->open = false;
}

/* ---- association ----------------------------------------------------------------------- */

/* How well @o continues @tr: < 0 when it cannot. The box may move with the vehicle (a few
 * plate widths between sightings at most) and the text may differ in a few characters. */
static float affinity(const struct track *tr, const struct track_obs *o)
{
	/* Against the last reading and the most confident one: one bad frame in the track must
	 * not make the next good one look like another plate. */
	int d = ALPR_MIN(track_edit_distance(tr->last_text, o->text),
			 track_edit_distance(tr->best_text, o->text));
	size_t len = ALPR_MAX(strlen(tr->best_text), strlen(o->text));
	double cx0 = tr->lx + tr->lw / 2.0, cy0 = tr->ly + tr->lh / 2.0;
	double cx1 = o->x + o->w / 2.0, cy1 = o->y + o->h / 2.0;
	double scale = ALPR_MAX(ALPR_MAX(tr->lw, o->w), 16);
	double dist = hypot(cx1 - cx0, cy1 - cy0) / scale;
	if (len == 0 || dist > 3.0) {
		return -1;
	}
	/* Half the characters must agree; right where the plate was, a badly read frame (two
	 * characters agreeing) is still this plate: the vote will outweigh it. */
	if ((size_t)d * 2 > len && !(dist < 0.5 && (size_t)d + 2 <= len)) {
		return -1;
	}
	return (float)(1.0 - (double)d / (double)len) * 2.0f - (float)dist;
}

static void add_obs(struct track *tr, const struct track_obs *o, uint64_t seq, int64_t t_us)
{
	unsigned slot = tr->nobs;

	if (slot == TRACK_MAX_OBS) {
		/* Full: the least confident observation gives way, if weaker than this one. */
		slot = 0;
		for (unsigned i = 1; i < TRACK_MAX_OBS; i++) {
			if (tr->obs[i].confidence < tr->obs[slot].confidence) {
				slot = i;
			}
		}
		if (tr->obs[slot].confidence >= o->confidence) {
			slot = TRACK_MAX_OBS;
		}
	} else {
		tr->nobs++;
	}
	if (slot < TRACK_MAX_OBS) {
		tr->obs[slot] = *o;
		tr->obs[slot].text[TRACK_TEXT_MAX] = '\0';
		tr->obs_us[slot] = t_us;
		tr->obs_seq[slot] = seq;
	}
	tr->seen++;
	tr->last_seq = seq;
	if (t_us > tr->last_us) {
		tr->last_us = t_us;
	}
	if (t_us < tr->first_us) {
		tr->first_us = t_us;
	}
	tr->lx = o->x;
	tr->ly = o->y;
	tr->lw = o->w;
	tr->lh = o->h;
	alpr_strlcpy(tr->last_text, o->text, sizeof(tr->last_text));
	if (o->confidence > tr->best_conf) {
		tr->best_conf = o->confidence;
		alpr_strlcpy(tr->best_text, o->text, sizeof(tr->best_text));
	}
}

static struct track *new_track(struct tracker *t, unsigned camera, track_emit_fn emit,
			       void *userdata)
{
	struct track *oldest = NULL;

	for (size_t i = 0; i < TRACK_MAX_OPEN; i++) {
		struct track *tr = &t->tracks[i];
		if (!tr->open) {
			return tr;
		}
		if (!oldest || tr->last_us < oldest->last_us) {
			oldest = tr;
		}
	}
	close_track(t, oldest, emit, userdata);
	return oldest;
}

/* The early rule (track.h): enough observations read exactly the voted text, and they are
 * most of the track. Voting again per observation costs a few microseconds; it stops once
 * the track has been emitted early. */
static void maybe_early(struct tracker *t, struct track *tr, track_emit_fn emit, void *userdata)
{
	struct track_read r;
	unsigned agree = 0;

	if (t->opt.early_frames == 0 || tr->early || tr->nobs < t->opt.early_frames) {
		return;
	}
	if (!vote(t, tr, &r)) {
		return;
	}
	for (unsigned i = 0; i < tr->nobs; i++) {
		agree += strcmp(tr->obs[i].text, r.text) == 0;
	}
	if (agree < t->opt.early_frames || agree * 2 <= tr->nobs || !r.state[0]) {
		return;
	}
	tr->early = true;
	r.early = true;
	if (emit) {
		emit(&r, userdata);
	}
}

void tracker_frame(struct tracker *t, unsigned camera, uint64_t seq, int64_t t_us,
		   const struct track_obs *obs, size_t n, track_emit_fn emit, void *userdata)
{
	assert(camera < TRACK_MAX_CAMERAS);
	if (t_us > t->camera_now[camera]) {
		t->camera_now[camera] = t_us;
	}
	int64_t now = t->camera_now[camera];

	/* Close what has left the view first, so a returning plate starts a new pass. */
	for (size_t i = 0; i < TRACK_MAX_OPEN; i++) {
		struct track *tr = &t->tracks[i];
		if (!tr->open || tr->camera != camera) {
			continue;
		}
		if (now - tr->last_us > t->opt.close_gap_us) {
			close_track(t, tr, emit, userdata);
		}
	}

	for (size_t k = 0; k < n; k++) {
		const struct track_obs *o = &obs[k];
		if (o->text[0] == '\0') {
			continue;
		}
		struct track *best = NULL;
		float best_a = -1;
		for (size_t i = 0; i < TRACK_MAX_OPEN; i++) {
			struct track *tr = &t->tracks[i];
			if (!tr->open || tr->camera != camera || tr->last_seq == seq) {
				continue; /* one observation per track per frame */
			}
			float a = affinity(tr, o);
			if (a >= 0 && a > best_a) {
				best_a = a;
				best = tr;
			}
		}
		if (!best) {
			best = new_track(t, camera, emit, userdata);
			memset(best, 0, offsetof(struct track, obs));
			best->open = true;
			best->id = t->next_id++;
			best->camera = camera;
			best->first_us = t_us;
			best->last_us = t_us;
		}
		add_obs(best, o, seq, t_us);
		if (!best->emitted && best->last_us - best->first_us >= t->opt.max_track_us) {
			/* A parked car or a slow pass: report it now, keep the track quiet. */
			struct track_read r;
			if (vote(t, best, &r) && emit) {
				r.had_early = best->early;
				emit(&r, userdata);
			}
			best->emitted = true;
		} else if (!best->emitted) {
			maybe_early(t, best, emit, userdata);
		}
	}
}

void tracker_flush(struct tracker *t, track_emit_fn emit, void *userdata)
{
	for (size_t i = 0; i < TRACK_MAX_OPEN; i++) {
		if (t->tracks[i].open) {
			close_track(t, &t->tracks[i], emit, userdata);
		}
	}
}
