/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * unit.c: the unit runtime: threads, the bounded results queue, the pipeline thread and the
 * event bus (unit.h).
 */
#include <assert.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "crops.h"
#include "recognize.h"
#include "track.h"
#include "unit-audit.h"
#include "unit.h"

#define LOG "unit"

/* One recognized frame: what the pipeline thread needs, no pixels. */
struct frame_result {
	unsigned camera;
	uint64_t seq;
	int64_t t_us;
	size_t n;
	struct track_obs obs[RECOGNIZE_MAX_PLATES];
};

struct subscriber {
	unit_event_fn fn;
	void *userdata;
};

struct worker {
	struct unit *u;
	pthread_t thread;
	bool running;
	struct recognizer *rec;
	struct recognize_result res; /* large: per worker, reused for every frame */
};

struct unit {
	struct unit_options opt;
	char unit_id[STORE_UNIT_ID_MAX + 1];
	const struct alpr_clock *clock;

	struct policy *policy;
	struct hotlist *hotlist;
	struct store *store;
	struct gps *gps;
	struct capture *capture;
	struct tracker *tracker;
	struct unit_crops *crops; /* the best frame's crop for each read (crops.h) */
	struct sync_client *sync;
	bool sync_started;
	struct unit_audit *audit; /* NULL: no audit log */

	int nworkers;
	struct worker workers[UNIT_WORKERS_MAX];
	pthread_t pipeline_thread, status_thread;
	bool pipeline_running, status_running, started, waited;

	/* The results queue: a ring of UNIT_RESULTS_CAP, allocated once. */
	pthread_mutex_t qlock;
	pthread_cond_t qnot_empty, qnot_full;
	struct frame_result *q;
	size_t qhead, qlen;
	int workers_done;
	bool stopping; /* set by unit_wait(): workers leave, the pipeline drains */

	/* The frame tap: fixed before start, called from the workers without a lock. */
	unit_frame_fn frame_fn;
	void *frame_userdata;

	/* The bus. Subscribers are fixed before start; the lock serialises calls. */
	pthread_mutex_t bus_lock;
	struct subscriber subs[UNIT_SUBSCRIBERS_MAX];
	size_t nsubs;

	/* Status: reasons pending for the status thread, and counters. */
	pthread_mutex_t st_lock;
	pthread_cond_t st_cond;
	char st_reason[UNIT_MESSAGE_MAX];
	bool st_pending, st_quit;
	int gps_state_seen;
	uint64_t frames_recognized, reads, hits, store_evicted;
	bool store_full;
	struct unit_sync_status sync_st; /* under st_lock */
	pthread_cond_t sync_cond;        /* with st_lock: a round ended */

	int wake[2]; /* unit_request_stop() and the pipeline's end write here */

	/* Early hits (pipeline thread only): the passes whose early read raised a hit, and the
	 * id it was stored under, until their final vote updates it. A ring: a track whose final
	 * vote never comes (it fell below min_frames) is overwritten in time. */
	struct early_hit {
		uint64_t track_id; /* 0: free */
		char id[STORE_ID_MAX + 1];
	} early[2 * TRACK_MAX_OPEN];
	size_t early_next;
};

/* ---- the bus --------------------------------------------------------------------------- */

static void emit(struct unit *u, const struct unit_event *ev)
{
	pthread_mutex_lock(&u->bus_lock);
	for (size_t i = 0; i < u->nsubs; i++) {
		u->subs[i].fn(ev, u->subs[i].userdata);
	}
	pthread_mutex_unlock(&u->bus_lock);
}

int unit_subscribe(struct unit *u, unit_event_fn fn, void *userdata)
{
	if (!u || !fn || u->started) {
		return -EINVAL;
	}
	if (u->nsubs == UNIT_SUBSCRIBERS_MAX) {
		return -ENOSPC;
	}
	u->subs[u->nsubs++] = (struct subscriber){fn, userdata};
	return 0;
}

int unit_set_frame_tap(struct unit *u, unit_frame_fn fn, void *userdata)
{
	if (!u || u->started) {
		return -EINVAL;
	}
	u->frame_fn = fn;
	u->frame_userdata = userdata;
	return 0;
}

struct hotlist *unit_get_hotlist(struct unit *u)
{
	return u->hotlist;
}

struct store *unit_get_store(struct unit *u)
{
	return u->store;
}

const struct policy *unit_get_policy(struct unit *u)
{
	return u->policy;
}

const struct alpr_clock *unit_get_clock(struct unit *u)
{
	return u->clock;
}

/* ---- status ---------------------------------------------------------------------------- */

/* Queues a reason for an immediate status event (any thread). */
static void status_poke(struct unit *u, const char *reason)
{
	pthread_mutex_lock(&u->st_lock);
	size_t len = strlen(u->st_reason);
	if (len == 0) {
		alpr_strlcpy(u->st_reason, reason, sizeof(u->st_reason));
	} else if (len + 2 < sizeof(u->st_reason)) {
		snprintf(u->st_reason + len, sizeof(u->st_reason) - len, "; %s", reason);
	}
	u->st_pending = true;
	pthread_cond_signal(&u->st_cond);
	pthread_mutex_unlock(&u->st_lock);
}

static void collect_status(struct unit *u, const char *reason, struct unit_status *st)
{
	memset(st, 0, sizeof(*st));
	alpr_strlcpy(st->reason, reason, sizeof(st->reason));
	st->at_us = alpr_clock_now(u->clock);
	st->ncameras = capture_camera_count(u->capture);
	for (size_t i = 0; i < st->ncameras; i++) {
		const char *name = capture_camera_name(u->capture, i);
		alpr_strlcpy(st->cameras[i].name, name, sizeof(st->cameras[i].name));
		capture_camera_stats(u->capture, name, &st->cameras[i].stats);
	}
	st->gps_enabled = u->gps != NULL;
	if (u->gps) {
		gps_status(u->gps, &st->gps);
	}
	st->hotlist_enabled = u->hotlist != NULL;
	st->hotlist_age_us = -1;
	st->hotlist_max_age_us = policy_max_hotlist_age_us(u->policy);
	if (u->hotlist) {
		int n = hotlist_lists(u->hotlist, st->lists, UNIT_STATUS_LISTS_MAX);
		st->nlists = n > 0 ? (size_t)ALPR_MIN(n, UNIT_STATUS_LISTS_MAX) : 0;
		for (size_t i = 0; i < st->nlists; i++) {
			int64_t age = st->at_us - st->lists[i].generated_at;
			if (age > st->hotlist_age_us) {
				st->hotlist_age_us = age;
			}
		}
		st->hotlist_stale = st->hotlist_age_us > st->hotlist_max_age_us;
	}
	st->store_enabled = u->store != NULL;
	if (u->store) {
		store_stats(u->store, &st->store);
	}
	pthread_mutex_lock(&u->st_lock);
	st->store_evicted = u->store_evicted;
	st->store_full = u->store_full;
	st->frames_recognized = u->frames_recognized;
	st->reads = u->reads;
	st->hits = u->hits;
	st->sync_enabled = u->sync != NULL;
	st->sync = u->sync_st;
	pthread_mutex_unlock(&u->st_lock);
}

static void emit_status(struct unit *u, const char *reason, bool final)
{
	struct unit_status *st = alpr_xmalloc(sizeof(*st));

	collect_status(u, reason, st);
	st->final = final;
	struct unit_event ev = {.type = UNIT_EVENT_STATUS, .status = st};
	emit(u, &ev);
	free(st);
}

/* A signed version was applied (the sync client's thread): audited, and its new entries
 * checked against past reads; historical hits reach the officer as a status event. */
static void audit_hotlist_update(struct unit *u, const char *list, uint64_t version)
{
	uint64_t nhits = 0;
	if (!u->audit) {
		return;
	}
	int r = unit_audit_hotlist_updated(u->audit, u->store, u->hotlist, list, version, &nhits);
	if (r < 0) {
		alpr_warn(LOG, "hotlist %s: audit of version %llu: %s", list,
			  (unsigned long long)version, alpr_strerror(r));
	}
	if (nhits > 0) {
		char reason[UNIT_MESSAGE_MAX];
		snprintf(reason, sizeof(reason),
			 "historical hits: %llu past reads match new entries of %s",
			 (unsigned long long)nhits, list);
		status_poke(u, reason);
	}
}

/* The sync client's thread: keep what the status events report, then poke the status
 * thread. Never blocks on the pipeline. */
static void on_sync_status(const struct sync_status *ss, void *userdata)
{
	struct unit *u = userdata;
	struct unit_sync_status *st = &u->sync_st;
	char reason[UNIT_MESSAGE_MAX];

	pthread_mutex_lock(&u->st_lock);
	alpr_strlcpy(st->message, ss->message, sizeof(st->message));
	st->last_sync_at = ss->last_sync_at;
	switch (ss->event) {
	case SYNC_EVENT_ROUND_OK:
	case SYNC_EVENT_ERROR:
		st->queue_depth = ss->queue_depth;
		st->uploaded += ss->uploaded;
		st->reads_refused += ss->refused;
		st->consecutive_errors = ss->consecutive_errors;
		st->next_try_us = ss->next_try_us;
		st->last_error = ss->error;
		if (ss->event == SYNC_EVENT_ROUND_OK) {
			st->state = "ok";
			st->rounds_ok++;
		} else {
			st->state = "error";
			st->rounds_failed++;
			alpr_strlcpy(st->last_error_message, ss->message,
				     sizeof(st->last_error_message));
		}
		pthread_cond_broadcast(&u->sync_cond);
		break;
	case SYNC_EVENT_HOTLIST_UPDATED:
		st->hotlist_updates++;
		break;
	case SYNC_EVENT_HOTLIST_REFUSED:
		st->hotlist_refusals++;
		alpr_strlcpy(st->last_error_message, ss->message, sizeof(st->last_error_message));
		break;
	default:
		alpr_strlcpy(st->last_error_message, ss->message, sizeof(st->last_error_message));
		break;
	}
	pthread_mutex_unlock(&u->st_lock);
	snprintf(reason, sizeof(reason), "sync: %s: %s", sync_event_name(ss->event), ss->message);
	status_poke(u, reason);
	if (ss->event == SYNC_EVENT_HOTLIST_UPDATED) {
		audit_hotlist_update(u, ss->list, ss->list_version);
	}
}

static const char *gps_state_text(int state)
{
	switch (state) {
	case GPS_NO_DAEMON:
		return "gps: no gpsd";
	case GPS_NO_FIX:
		return "gps: no fix";
	case GPS_FIX_2D:
		return "gps: 2D fix";
	default:
		return "gps: 3D fix";
	}
}

static void *status_main(void *arg)
{
	struct unit *u = arg;
	int64_t interval = u->opt.status_interval_us;
	int64_t next = alpr_monotonic_us() + interval;

	pthread_mutex_lock(&u->st_lock);
	while (!u->st_quit) {
		/* Wake at least twice a second to notice GPS changes. */
		int64_t now = alpr_monotonic_us();
		int64_t wait_us = ALPR_MIN(next - now, 500 * INT64_C(1000));
		if (!u->st_pending && wait_us > 0) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t ns = ts.tv_nsec + (wait_us % ALPR_USEC_PER_SEC) * 1000;
			ts.tv_sec += (time_t)(wait_us / ALPR_USEC_PER_SEC + ns / 1000000000);
			ts.tv_nsec = (long)(ns % 1000000000);
			pthread_cond_timedwait(&u->st_cond, &u->st_lock, &ts);
			if (u->st_quit) {
				break;
			}
		}
		char reason[UNIT_MESSAGE_MAX] = "";
		if (u->st_pending) {
			alpr_strlcpy(reason, u->st_reason, sizeof(reason));
			u->st_reason[0] = '\0';
			u->st_pending = false;
		}
		pthread_mutex_unlock(&u->st_lock);

		if (u->gps) {
			struct gps_status gs;
			gps_status(u->gps, &gs);
			if ((int)gs.state != u->gps_state_seen) {
				u->gps_state_seen = (int)gs.state;
				size_t len = strlen(reason);
				snprintf(reason + len, sizeof(reason) - len, "%s%s",
					 len ? "; " : "", gps_state_text(gs.state));
			}
		}
		now = alpr_monotonic_us();
		if (reason[0] == '\0' && now >= next) {
			alpr_strlcpy(reason, "timer", sizeof(reason));
		}
		if (reason[0] != '\0') {
			emit_status(u, reason, false);
			next = now + interval;
		}
		pthread_mutex_lock(&u->st_lock);
	}
	pthread_mutex_unlock(&u->st_lock);
	return NULL;
}

static void on_camera_status(const struct capture_status *cs, void *userdata)
{
	struct unit *u = userdata;
	char reason[UNIT_MESSAGE_MAX];

	if (cs->state == CAPTURE_RUNNING && cs->attempt == 0) {
		return; /* the first frame of a healthy start is not news */
	}
	snprintf(reason, sizeof(reason), "camera %s: %s%s%s", cs->camera,
		 capture_state_name(cs->state), cs->message[0] ? ": " : "", cs->message);
	status_poke(u, reason);
}

/* ---- recognition workers --------------------------------------------------------------- */

static void fill_obs(const struct recognize_plate *p, struct track_obs *o)
{
	memset(o, 0, sizeof(*o));
	alpr_strlcpy(o->text, p->text, sizeof(o->text));
	o->confidence = p->confidence;
	for (int i = 0; i < p->nchars && i < TRACK_TEXT_MAX; i++) {
		o->char_conf[i] = p->char_confidence[i];
	}
	if (p->state[0]) {
		/* The recognizer read the state from the plate's own lettering. */
		alpr_strlcpy(o->state, p->state, sizeof(o->state));
		o->state_conf = p->state_confidence;
	}
	o->x = p->x;
	o->y = p->y;
	o->w = p->w;
	o->h = p->h;
	for (int i = 0; i < p->ncandidates && o->ncand < TRACK_CANDIDATES_MAX; i++) {
		alpr_strlcpy(o->cand[o->ncand], p->candidates[i].text, sizeof(o->cand[0]));
		o->cand_conf[o->ncand] = p->candidates[i].confidence;
		o->ncand++;
	}
}

/* US plates print the state's name above the number; the recognizer reads that row as a
 * plate of its own. A row that spells a state name, just above another plate and about as
 * wide, becomes that plate's state and is not a read itself. */
static void attach_states(struct frame_result *fr)
{
	for (size_t i = 0; i < fr->n; i++) {
		const char *code = track_state_code(fr->obs[i].text);
		if (!code) {
			continue;
		}
		const struct track_obs *s = &fr->obs[i];
		int scx = s->x + s->w / 2;
		for (size_t k = 0; k < fr->n; k++) {
			struct track_obs *p = &fr->obs[k];
			if (k == i || track_state_code(p->text)) {
				continue;
			}
			int below = p->y - (s->y + s->h);
			if (scx >= p->x && scx <= p->x + p->w && below > -p->h / 2 &&
			    below < p->h && s->w < p->w * 2) {
				if (!p->state[0]) { /* the recognizer's own reading first */
					alpr_strlcpy(p->state, code, sizeof(p->state));
					p->state_conf = s->confidence;
				}
				fr->obs[i].text[0] = '\0'; /* the tracker skips empty texts */
			}
		}
	}
}

/* The live view's copy of a frame: the pixels stay the pool's, the boxes go on the stack. */
static void tap_frame(struct unit *u, const struct capture_frame *f,
		      const struct recognize_result *res)
{
	struct unit_frame uf = {
		.camera = capture_camera_name(u->capture, f->camera_index),
		.seq = f->seq,
		.captured_at = f->captured_at_us,
		.gray = f->data,
		.width = f->width,
		.height = f->height,
		.stride = (int)f->stride,
	};

	for (int i = 0; i < res->nplates && uf.nplates < UNIT_FRAME_PLATES_MAX; i++) {
		const struct recognize_plate *p = &res->plates[i];
		struct unit_frame_plate *o = &uf.plates[uf.nplates++];
		o->x = p->x;
		o->y = p->y;
		o->w = p->w;
		o->h = p->h;
		if (track_state_code(p->text) ||
		    hotlist_normalize_plate(p->text, strlen(p->text), o->text) < 0) {
			o->text[0] = '\0';
		}
	}
	u->frame_fn(&uf, u->frame_userdata);
}

static bool is_stopping(struct unit *u)
{
	pthread_mutex_lock(&u->qlock);
	bool s = u->stopping;
	pthread_mutex_unlock(&u->qlock);
	return s;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct unit *u = w->u;
	struct frame_result fr;

	while (!is_stopping(u)) {
		struct capture_frame *f;
		int r = capture_next_frame(u->capture, 200, &f);
		if (r == -EAGAIN) {
			continue;
		}
		if (r < 0) {
			break; /* -ENODATA: every camera has ended or failed for good */
		}
		r = recognize_frame(w->rec, f->data, f->width, f->height, (size_t)f->stride,
				    RECOGNIZE_GREY8, &w->res);
		fr.camera = f->camera_index;
		fr.seq = f->seq;
		fr.t_us = f->captured_at_us;
		if (u->frame_fn && r >= 0) {
			tap_frame(u, f, &w->res);
		}
		if (r >= 0) {
			unit_crops_keep(u->crops, f->camera_index, f->seq, f->data, f->width,
					f->height, (size_t)f->stride, &w->res);
		}
		/* The frame goes back to its pool before anything else waits. */
		capture_release_frame(u->capture, f);
		fr.n = 0;
		if (r < 0) {
			alpr_warn(LOG, "recognition failed on a frame: %s", alpr_strerror(r));
		} else {
			for (int i = 0; i < w->res.nplates && fr.n < RECOGNIZE_MAX_PLATES; i++) {
				fill_obs(&w->res.plates[i], &fr.obs[fr.n++]);
			}
			attach_states(&fr);
		}

		pthread_mutex_lock(&u->qlock);
		while (u->qlen == UNIT_RESULTS_CAP && !u->stopping) {
			pthread_cond_wait(&u->qnot_full, &u->qlock);
		}
		if (u->qlen < UNIT_RESULTS_CAP) {
			u->q[(u->qhead + u->qlen) % UNIT_RESULTS_CAP] = fr;
			u->qlen++;
			pthread_cond_signal(&u->qnot_empty);
		}
		pthread_mutex_unlock(&u->qlock);
	}
	pthread_mutex_lock(&u->qlock);
	u->workers_done++;
	pthread_cond_broadcast(&u->qnot_empty);
	pthread_mutex_unlock(&u->qlock);
	return NULL;
}

/* ---- the pipeline: track -> GPS -> match -> store -> events ----------------------------- */

static enum store_match_kind store_kind(enum hotlist_match_kind k)
{
	switch (k) {
	case HOTLIST_MATCH_EXACT:
		return STORE_MATCH_EXACT;
	case HOTLIST_MATCH_EQUIVALENT:
		return STORE_MATCH_EQUIVALENT;
	default:
		return STORE_MATCH_EDIT;
	}
}

static bool store_text_ok(const char *s)
{
	for (; *s; s++) {
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.:/-", *s))) {
			return false;
		}
	}
	return true;
}

static void fill_store_hit(const struct hotlist_match *m, int64_t now, struct store_hit *h)
{
	memset(h, 0, sizeof(*h));
	h->hit_at = now;
	alpr_strlcpy(h->list, m->entry.list, sizeof(h->list));
	h->list_version = m->list.version;
	alpr_strlcpy(h->plate, m->entry.plate, sizeof(h->plate));
	alpr_strlcpy(h->state, m->entry.state[0] ? m->entry.state : "??", sizeof(h->state));
	h->category = m->entry.category;
	if (store_text_ok(m->entry.source_record_id)) {
		alpr_strlcpy(h->record_id, m->entry.source_record_id, sizeof(h->record_id));
	}
	if (store_text_ok(m->entry.agency)) {
		alpr_strlcpy(h->agency, m->entry.agency, sizeof(h->agency));
	}
	h->match = store_kind(m->kind);
	h->npositions = (uint32_t)ALPR_MAX(0, ALPR_MIN(m->npositions, 2));
	for (uint32_t i = 0; i < h->npositions; i++) {
		h->positions[i] = m->positions[i];
	}
	h->edit_missing = m->edit_missing;
	h->state_mismatch = m->state_mismatch;
	h->state_unconfirmed = m->state_unconfirmed;
}

/* The read's crop from its best frame, as PNG (owned by @r's caller; freed after the
 * events). A frame that has left the ring leaves the read without a crop. */
static void attach_crop(struct unit *u, const struct track_read *tr, struct store_read *r)
{
	int e = unit_crops_png(u->crops, tr->camera, tr->best_seq, tr->x, tr->y, tr->w, tr->h,
			       &r->crop, &r->crop_len);
	if (e < 0) {
		alpr_debug(LOG, "read of %s: no crop of its best frame: %s", tr->text,
			   alpr_strerror(e));
		r->crop = NULL;
		r->crop_len = 0;
		return;
	}
	r->crop_format = STORE_CROP_PNG;
}

/* ---- early hits ------------------------------------------------------------------------ */

static void remember_early(struct unit *u, uint64_t track_id, const char *id)
{
	struct early_hit *e = &u->early[u->early_next];
	u->early_next = (u->early_next + 1) % ALPR_ARRAY_SIZE(u->early);
	e->track_id = track_id;
	alpr_strlcpy(e->id, id, sizeof(e->id));
}

/* The final vote of a pass whose early read raised a hit: the stored read becomes the final
 * one under the same id (the hit, and any disposition the officer already gave, stay) and a
 * read event with update set says so. No second hit: one hit per pass. False when the pass
 * is not known (its entry was overwritten): it is then handled as a new read. */
static bool finish_early(struct unit *u, const struct track_read *tr, struct unit_read *rd)
{
	struct early_hit *e = NULL;

	for (size_t i = 0; i < ALPR_ARRAY_SIZE(u->early) && !e; i++) {
		if (u->early[i].track_id == tr->track_id) {
			e = &u->early[i];
		}
	}
	if (!e) {
		return false;
	}
	alpr_strlcpy(rd->r.id, e->id, sizeof(rd->r.id));
	e->track_id = 0;
	if (u->store && strcmp(rd->r.id, STORE_ID_UNSTORED) != 0) {
		rd->store_error = store_update_hit_read(u->store, rd->r.id, &rd->r);
		if (rd->store_error < 0) {
			alpr_warn(LOG, "read %s: final vote (%s) not stored: %s", rd->r.id,
				  rd->r.plate, alpr_strerror(rd->store_error));
		}
	}
	rd->update = true;
	struct unit_event ev = {.type = UNIT_EVENT_READ, .read = rd};
	emit(u, &ev);
	return true;
}

static void on_track_read(const struct track_read *tr, void *userdata)
{
	struct unit *u = userdata;
	struct unit_read rd;
	struct store_read *r = &rd.r;

	memset(&rd, 0, sizeof(rd));
	if (hotlist_normalize_plate(tr->text, strlen(tr->text), r->plate) < 0) {
		alpr_debug(LOG, "dropping a read of %s: not a plate (NCIC: 1 to 8 A-Z 0-9)",
			   tr->text);
		return;
	}
	if (track_state_code(r->plate)) {
		/* A state's printed name read on its own (its plate number was not read in the
		 * same frames): not a plate. A vanity plate spelling a state name is lost; a
		 * stream of bogus "NEVADA" reads would be worse. */
		alpr_debug(LOG, "dropping a read of %s: a state name", r->plate);
		return;
	}
	r->captured_at = tr->best_us;
	r->clock_source = STORE_CLOCK_SYSTEM;
	alpr_strlcpy(r->camera, capture_camera_name(u->capture, tr->camera), sizeof(r->camera));
	r->confidence = tr->confidence;
	for (int i = 0; i < tr->ncand && r->ncandidates < STORE_CANDIDATES_MAX; i++) {
		struct store_candidate *c = &r->candidates[r->ncandidates];
		if (hotlist_normalize_plate(tr->cand[i], strlen(tr->cand[i]), c->plate) < 0) {
			continue;
		}
		c->confidence = ALPR_MAX(0.0f, ALPR_MIN(1.0f, tr->cand_conf[i]));
		r->ncandidates++;
	}
	r->box = (struct store_box){ALPR_MAX(tr->x, 0), ALPR_MAX(tr->y, 0), ALPR_MAX(tr->w, 0),
				    ALPR_MAX(tr->h, 0)};
	alpr_strlcpy(r->state, tr->state, sizeof(r->state));
	r->state_confidence = tr->state[0] ? tr->state_confidence : 0;
	r->track_id = tr->track_id;
	r->frames_voted = tr->frames_voted;
	rd.first_seen_us = tr->first_us;
	rd.last_seen_us = tr->last_us;
	rd.frame_seq = tr->best_seq;
	attach_crop(u, tr, r);

	/* Where the car was when the best frame was taken. */
	r->gps.mode = STORE_FIX_NONE;
	rd.gps_error = -ENODEV;
	if (u->gps) {
		struct gps_fix fix;
		rd.gps_error = gps_fix_at(u->gps, r->captured_at, &fix);
		if (rd.gps_error == 0) {
			r->gps.mode = fix.mode == 3 ? STORE_FIX_3D : STORE_FIX_2D;
			r->gps.lat = fix.lat;
			r->gps.lon = fix.lon;
			r->gps.speed_mps =
				isfinite(fix.speed_mps) && fix.speed_mps >= 0 ? fix.speed_mps : NAN;
			r->gps.heading_deg = fix.heading_deg;
			r->gps.fix_age_ms = (int32_t)ALPR_MIN(fix.fix_age_ms, INT32_MAX);
		}
	}

	if (tr->had_early && finish_early(u, tr, &rd)) {
		free(r->crop);
		return;
	}

	/* Match: every candidate, the read's state when it has one. */
	struct hotlist_match *matches = NULL;
	int nm = 0;
	if (u->hotlist) {
		struct hotlist_candidate hc[STORE_CANDIDATES_MAX];
		for (uint32_t i = 0; i < r->ncandidates; i++) {
			hc[i] = (struct hotlist_candidate){r->candidates[i].plate,
							   r->candidates[i].confidence};
		}
		matches = alpr_xcalloc(4, sizeof(*matches));
		nm = hotlist_match(u->hotlist, hc, r->ncandidates, r->state[0] ? r->state : NULL,
				   NULL, matches, 4);
		if (nm < 0) {
			alpr_warn(LOG, "hotlist match failed: %s", alpr_strerror(nm));
			nm = 0;
		}
	}
	if (tr->early && nm == 0) {
		/* An early read only matters when it hits; the pass's read comes at its close. */
		free(matches);
		free(r->crop);
		return;
	}
	struct store_hit sh;
	int64_t now = alpr_clock_now(u->clock);
	if (nm > 0) {
		fill_store_hit(&matches[0], now, &sh);
	}

	/* Store, with the hit in the same transaction. */
	alpr_strlcpy(r->id, STORE_ID_UNSTORED, sizeof(r->id));
	if (u->store) {
		struct store_put_result pr;
		int sr = store_put_read(u->store, r, nm > 0 ? &sh : NULL, &pr);
		rd.store_error = sr;
		if (sr == 0) {
			alpr_strlcpy(r->id, pr.id, sizeof(r->id));
		} else {
			alpr_warn(LOG, "read of %s not stored: %s", r->plate, alpr_strerror(sr));
		}
		bool full = sr == -ENOSPC || (sr == 0 && pr.evicted > 0);
		pthread_mutex_lock(&u->st_lock);
		if (sr == 0) {
			u->store_evicted += pr.evicted;
		}
		bool was_full = u->store_full;
		u->store_full = full;
		pthread_mutex_unlock(&u->st_lock);
		if (full) {
			char msg[UNIT_MESSAGE_MAX];
			if (sr == -ENOSPC) {
				snprintf(msg, sizeof(msg),
					 "store full: only hits left, read %s "
					 "not stored",
					 r->plate);
			} else {
				snprintf(msg, sizeof(msg),
					 "store full: %u oldest reads dropped (hits are kept)",
					 pr.evicted);
			}
			status_poke(u, msg);
		} else if (was_full) {
			status_poke(u, "store: room again");
		}
	}

	pthread_mutex_lock(&u->st_lock);
	u->reads++;
	u->hits += nm > 0;
	pthread_mutex_unlock(&u->st_lock);
	if (u->audit) {
		unit_audit_read(u->audit, r->camera);
		/* The hit's record is durable before the officer sees it. */
		if (nm > 0) {
			(void)unit_audit_hit(u->audit, r->id, matches[0].entry.category);
		}
	}

	if (tr->early) {
		remember_early(u, tr->track_id, r->id);
	}
	rd.early = tr->early;
	struct unit_event ev = {.type = UNIT_EVENT_READ, .read = &rd};
	emit(u, &ev);
	if (nm > 0) {
		struct unit_hit hit = {.read = &rd, .nmatches = nm};
		hit.match = matches[0];
		int64_t age = now - matches[0].list.generated_at;
		hit.hotlist_stale = age > policy_max_hotlist_age_us(u->policy);
		hit.emitted_at_us = alpr_clock_now(u->clock);
		ev = (struct unit_event){.type = UNIT_EVENT_HIT, .hit = &hit};
		emit(u, &ev);
	}
	free(matches);
	free(r->crop);
}

static void *pipeline_main(void *arg)
{
	struct unit *u = arg;
	struct frame_result *fr = alpr_xmalloc(sizeof(*fr));

	for (;;) {
		pthread_mutex_lock(&u->qlock);
		while (u->qlen == 0 && u->workers_done < u->nworkers) {
			pthread_cond_wait(&u->qnot_empty, &u->qlock);
		}
		if (u->qlen == 0) {
			pthread_mutex_unlock(&u->qlock);
			break;
		}
		*fr = u->q[u->qhead];
		u->qhead = (u->qhead + 1) % UNIT_RESULTS_CAP;
		u->qlen--;
		pthread_cond_signal(&u->qnot_full);
		pthread_mutex_unlock(&u->qlock);

		pthread_mutex_lock(&u->st_lock);
		u->frames_recognized++;
		pthread_mutex_unlock(&u->st_lock);
		tracker_frame(u->tracker, fr->camera, fr->seq, fr->t_us, fr->obs, fr->n,
			      on_track_read, u);
	}
	tracker_flush(u->tracker, on_track_read, u);
	free(fr);
	/* Tell unit_wait() the run is over (every camera ended or failed for good). */
	(void)!write(u->wake[1], "e", 1);
	return NULL;
}

/* ---- the audit log (unit-audit.h) ------------------------------------------------------ */

/* Opens the log before the store and hotlist, so that the purge at the store's opening and
 * the hotlist as loaded are recorded. */
static int audit_open_for(struct unit *u, const struct unit_options *opts, char *err, size_t errsz)
{
	char dir[PATH_MAX];
	if (opts->audit_dir) {
		snprintf(dir, sizeof(dir), "%s", opts->audit_dir);
	} else if (opts->store_dir) {
		snprintf(dir, sizeof(dir), "%s/audit", opts->store_dir);
	} else {
		return 0;
	}
	struct unit_audit_options ao = {
		.dir = dir,
		.device_id = u->unit_id,
		.key_path = opts->audit_key_path,
		.policy = u->policy,
		.clock = u->clock,
	};
	return unit_audit_create(&ao, &u->audit, err, errsz);
}

/* Every read is stored: the counts go to the log, and a checkpoint covers them for the last
 * sync round. */
static void audit_at_stop(struct unit *u)
{
	if (!u->audit) {
		return;
	}
	int r = unit_audit_flush_reads(u->audit);
	if (r == 0) {
		r = audit_checkpoint(unit_audit_log(u->audit));
	}
	if (r < 0 && r != -ENODATA) {
		alpr_warn(LOG, "audit at stop: %s", alpr_strerror(r));
	}
}

struct audit *unit_audit(struct unit *u)
{
	return u ? unit_audit_log(u->audit) : NULL;
}

int unit_sign_in(struct unit *u, const char *officer, bool accepted, const char *reason)
{
	return u && u->audit ? unit_audit_sign_in(u->audit, officer, accepted, reason) : -ENODEV;
}

int unit_sign_out(struct unit *u, const char *officer)
{
	return u && u->audit ? unit_audit_sign_out(u->audit, officer) : -ENODEV;
}

int unit_verify_hit(struct unit *u, const char *read_id, const char *officer, bool match, char *err,
		    size_t errsz)
{
	if (!u || !u->audit || !u->store) {
		snprintf(err, errsz, "no audit log or no store");
		return -ENODEV;
	}
	return unit_audit_verify(u->audit, u->store, read_id, officer, match, err, errsz);
}

int unit_dispose_hit(struct unit *u, const char *read_id, enum store_hit_status status,
		     const char *officer, char *err, size_t errsz)
{
	if (!u || !u->audit || !u->store) {
		snprintf(err, errsz, "no audit log or no store");
		return -ENODEV;
	}
	return unit_audit_dispose(u->audit, u->store, read_id, status, officer, err, errsz);
}

int unit_officer_entry(struct unit *u, const struct hotlist_entry *e, const char *officer,
		       uint64_t *nhits, char *err, size_t errsz)
{
	if (!u || !u->audit || !u->hotlist) {
		snprintf(err, errsz, "no audit log or no hotlist");
		return -ENODEV;
	}
	return unit_audit_officer_entry(u->audit, u->store, u->hotlist, e, officer, nhits, err,
					errsz);
}

/* ---- life cycle ------------------------------------------------------------------------ */

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		snprintf(err, errsz, __VA_ARGS__);                                                 \
		goto fail;                                                                         \
	} while (0)

int unit_create(const struct unit_options *opts, struct unit **out, char *err, size_t errsz)
{
	char perr[256] = "";
	int r = 0;

	if (!opts || !out || opts->ncameras == 0 || opts->ncameras > CAPTURE_MAX_CAMERAS ||
	    opts->workers < 0 || opts->workers > UNIT_WORKERS_MAX) {
		snprintf(err, errsz,
			 "options: at least one camera, at most %d, and 0 to %d workers",
			 CAPTURE_MAX_CAMERAS, UNIT_WORKERS_MAX);
		return -EINVAL;
	}
	struct unit *u = alpr_xcalloc(1, sizeof(*u));
	u->opt = *opts;
	u->wake[0] = u->wake[1] = -1;
	pthread_mutex_init(&u->qlock, NULL);
	pthread_cond_init(&u->qnot_empty, NULL);
	pthread_cond_init(&u->qnot_full, NULL);
	pthread_mutex_init(&u->bus_lock, NULL);
	pthread_mutex_init(&u->st_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->st_cond, &ca);
	pthread_cond_init(&u->sync_cond, &ca);
	pthread_condattr_destroy(&ca);
	u->gps_state_seen = -1;
	u->clock = opts->clock;
	alpr_strlcpy(u->unit_id, opts->unit_id ? opts->unit_id : "unit1", sizeof(u->unit_id));
	u->opt.unit_id = u->unit_id;
	/* Borrowed strings are not kept: the options' paths are used here only. */
	u->opt.policy_name = NULL;
	u->opt.hotlist_dir = NULL;
	u->opt.store_dir = NULL;
	u->opt.gps_host = NULL;
	u->opt.state = NULL;
	u->opt.sync_station_url = NULL;
	u->opt.sync_dir = NULL;
	u->opt.sync_state_dir = NULL;
	u->opt.audit_dir = NULL;
	u->opt.audit_key_path = NULL;
	u->opt.policy_override = NULL;
	if (u->opt.sync_final_wait_us == 0) {
		u->opt.sync_final_wait_us = 5 * ALPR_USEC_PER_SEC;
	}
	if (u->opt.status_interval_us <= 0) {
		u->opt.status_interval_us = 5 * ALPR_USEC_PER_SEC;
	}
	if (pipe2(u->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		FAIL("pipe: %s", alpr_strerror(r));
	}

	const char *pname = opts->policy_name ? opts->policy_name : "default";
	/* A name from data/policy/, or a profile file's path (as alpr-station --policy). */
	r = strchr(pname, '/') ? policy_load(pname, &u->policy, perr, sizeof(perr))
			       : policy_load_named(pname, &u->policy, perr, sizeof(perr));
	if (r < 0) {
		FAIL("policy %s: %s", pname, perr[0] ? perr : alpr_strerror(r));
	}
	if (opts->policy_override) {
		struct policy *t = NULL;
		r = policy_load_override(u->policy, opts->policy_override, &t, perr, sizeof(perr));
		if (r < 0 && r != -ENOENT) {
			FAIL("policy override %s: %s", opts->policy_override,
			     perr[0] ? perr : alpr_strerror(r));
		}
		if (t) {
			policy_destroy(u->policy);
			u->policy = t;
		}
		r = 0;
	}

	r = audit_open_for(u, opts, err, errsz);
	if (r < 0) {
		goto fail;
	}

	if (opts->hotlist_dir) {
		struct hotlist_options ho = {.policy = u->policy, .clock = u->clock};
		r = hotlist_open(opts->hotlist_dir, &ho, &u->hotlist);
		if (r < 0) {
			FAIL("hotlist %s: %s", opts->hotlist_dir, alpr_strerror(r));
		}
		if (u->audit && (r = unit_audit_hotlist_loaded(u->audit, u->hotlist)) < 0) {
			FAIL("audit: hotlist load: %s", alpr_strerror(r));
		}
	}
	if (opts->store_dir) {
		struct store_options so = {
			.unit_id = u->unit_id,
			.policy = u->policy,
			.clock = u->clock,
			.map_size = opts->store_map_size,
			.purge_interval_us = 10 * ALPR_USEC_PER_MIN,
			/* Purges at open, on the timer and on demand are audited. */
			.on_purge = u->audit ? unit_audit_on_purge : NULL,
			.userdata = u->audit,
		};
		r = store_open(opts->store_dir, &so, &u->store);
		if (r < 0) {
			FAIL("store %s: %s", opts->store_dir, alpr_strerror(r));
		}
	}
	if (opts->sync_station_url) {
		char cert[PATH_MAX], key[PATH_MAX], cafile[PATH_MAX], pub[PATH_MAX],
			state[PATH_MAX];
		if (!u->store || !opts->sync_dir) {
			r = -EINVAL;
			FAIL("sync %s: needs a store and the unit's enrolment folder",
			     opts->sync_station_url);
		}
		snprintf(cert, sizeof(cert), "%s/cert.pem", opts->sync_dir);
		snprintf(key, sizeof(key), "%s/key.pem", opts->sync_dir);
		snprintf(cafile, sizeof(cafile), "%s/ca.pem", opts->sync_dir);
		snprintf(pub, sizeof(pub), "%s/hotlist-pub.pem", opts->sync_dir);
		if (opts->sync_state_dir) {
			snprintf(state, sizeof(state), "%s", opts->sync_state_dir);
		} else {
			snprintf(state, sizeof(state), "%s/sync", opts->store_dir);
		}
		struct sync_client_options sco = {
			.station_url = opts->sync_station_url,
			.cert_path = cert,
			.key_path = key,
			.ca_path = cafile,
			.hotlist_pubkey_path = pub,
			.state_dir = state,
			.store = u->store,
			.hotlist = u->hotlist,
			.audit = unit_audit_log(u->audit),
			.clock = u->clock,
			.connect_timeout_ms = opts->sync_connect_timeout_ms,
			.backoff_min_us = opts->sync_backoff_min_us,
			.backoff_max_us = opts->sync_backoff_max_us,
			.interval_us = opts->sync_interval_us,
			.on_status = on_sync_status,
			.userdata = u,
		};
		r = sync_client_create(&sco, &u->sync);
		if (r < 0) {
			FAIL("sync %s: %s", opts->sync_station_url, alpr_strerror(r));
		}
		u->sync_st.state = "starting";
	}
	if (opts->gps_host) {
		r = gps_create(opts->gps_host, opts->gps_port, u->clock, NULL, &u->gps);
		if (r == -ENOTSUP) {
			FAIL("gps %s: this build has no GPS support (meson -Dgps=disabled)",
			     opts->gps_host);
		}
		if (r < 0) {
			FAIL("gps %s: %s", opts->gps_host, alpr_strerror(r));
		}
	}

	struct capture_options co = {
		.pool_frames = 4,
		.max_width = 1920,
		.max_height = 1080,
		.pacing = opts->realtime ? CAPTURE_PACE_REALTIME : CAPTURE_PACE_FAST,
		.loop = opts->loop,
		.image_fps = opts->image_fps > 0 ? opts->image_fps : 15,
		.replay_start_us = opts->replay_start_us,
		.clock = u->clock,
		.on_status = on_camera_status,
		.userdata = u,
	};
	r = capture_create(&co, &u->capture);
	if (r < 0) {
		FAIL("capture: %s", alpr_strerror(r));
	}
	for (size_t i = 0; i < opts->ncameras; i++) {
		const struct unit_camera_config *cam = &opts->cameras[i];
		for (const char *p = cam->name; *p; p++) {
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
			      *p == '_')) {
				r = -EINVAL;
				FAIL("camera %s: a name is lower-case letters, digits, - and _",
				     cam->name);
			}
		}
		r = capture_add_camera(u->capture, cam->name, cam->uri);
		if (r < 0) {
			FAIL("camera %s=%s: %s", cam->name, cam->uri, alpr_strerror(r));
		}
	}

	if (u->audit) {
		const char *names[CAPTURE_MAX_CAMERAS];
		for (size_t i = 0; i < opts->ncameras; i++) {
			names[i] = opts->cameras[i].name;
		}
		unit_audit_set_cameras(u->audit, names, opts->ncameras);
	}

	r = unit_crops_create(opts->ncameras, &u->crops);
	if (r < 0) {
		FAIL("crops: %s", alpr_strerror(r));
	}

	struct tracker_options to = {.close_gap_us = opts->close_gap_us,
				     .min_frames = opts->min_frames};
	to.early_frames = opts->early_frames < 0    ? 0
			  : opts->early_frames == 0 ? UNIT_EARLY_FRAMES_DEFAULT
						    : (unsigned)opts->early_frames;
	r = tracker_create(&to, &u->tracker);
	if (r < 0) {
		FAIL("tracker: %s", alpr_strerror(r));
	}

	u->nworkers = opts->workers;
	if (u->nworkers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		u->nworkers = (int)ALPR_MAX(1, ALPR_MIN(n, UNIT_WORKERS_MAX));
	}
	struct recognize_options ro = {.state = opts->state};
	for (int i = 0; i < u->nworkers; i++) {
		u->workers[i].u = u;
		r = recognize_create(&ro, &u->workers[i].rec);
		if (r < 0) {
			FAIL("recognizer: %s", alpr_strerror(r));
		}
	}
	u->q = alpr_xcalloc(UNIT_RESULTS_CAP, sizeof(*u->q));
	*out = u;
	return 0;
fail:
	unit_destroy(u);
	return r < 0 ? r : -EINVAL;
}

int unit_start(struct unit *u)
{
	int r;

	if (!u || u->started) {
		return -EINVAL;
	}
	u->started = true;
	r = capture_start(u->capture);
	if (r < 0) {
		return r;
	}
	for (int i = 0; i < u->nworkers; i++) {
		r = -pthread_create(&u->workers[i].thread, NULL, worker_main, &u->workers[i]);
		if (r < 0) {
			goto fail;
		}
		u->workers[i].running = true;
	}
	r = -pthread_create(&u->pipeline_thread, NULL, pipeline_main, u);
	if (r < 0) {
		goto fail;
	}
	u->pipeline_running = true;
	r = -pthread_create(&u->status_thread, NULL, status_main, u);
	if (r < 0) {
		goto fail;
	}
	u->status_running = true;
	if (u->sync) {
		r = sync_client_start(u->sync);
		if (r < 0) {
			goto fail;
		}
		u->sync_started = true;
	}
	return 0;
fail:
	unit_request_stop(u);
	unit_wait(u);
	return r;
}

void unit_request_stop(struct unit *u)
{
	(void)!write(u->wake[1], "s", 1);
}

/* At shutdown, every read stored: a last round for what is still queued (bounded by
 * sync_final_wait_us, ended early by an error: a station that is down is not waited for),
 * then the client's thread stops, cancelling a transfer still in flight. */
static void sync_finish(struct unit *u)
{
	if (!u->sync) {
		return;
	}
	if (u->sync_started && u->opt.sync_final_wait_us > 0) {
		pthread_mutex_lock(&u->st_lock);
		uint64_t before = u->sync_st.rounds_ok + u->sync_st.rounds_failed;
		pthread_mutex_unlock(&u->st_lock);
		sync_client_kick(u->sync);
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t w = u->opt.sync_final_wait_us;
		int64_t ns = ts.tv_nsec + (w % ALPR_USEC_PER_SEC) * 1000;
		ts.tv_sec += (time_t)(w / ALPR_USEC_PER_SEC + ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		pthread_mutex_lock(&u->st_lock);
		for (;;) {
			const struct unit_sync_status *st = &u->sync_st;
			if (st->rounds_ok + st->rounds_failed > before &&
			    (st->last_error != 0 || st->queue_depth == 0)) {
				break;
			}
			if (pthread_cond_timedwait(&u->sync_cond, &u->st_lock, &ts) != 0) {
				break;
			}
		}
		pthread_mutex_unlock(&u->st_lock);
	}
	sync_client_stop(u->sync);
}

int unit_wait(struct unit *u)
{
	if (!u || !u->started || u->waited) {
		return -EINVAL;
	}
	u->waited = true;
	if (u->pipeline_running) {
		struct pollfd pfd = {.fd = u->wake[0], .events = POLLIN};
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR) {
		}
	}
	pthread_mutex_lock(&u->qlock);
	u->stopping = true;
	pthread_cond_broadcast(&u->qnot_full);
	pthread_mutex_unlock(&u->qlock);
	capture_stop(u->capture);
	for (int i = 0; i < u->nworkers; i++) {
		if (u->workers[i].running) {
			pthread_join(u->workers[i].thread, NULL);
			u->workers[i].running = false;
		}
	}
	/* Workers that never started still count as done for the pipeline's drain. */
	pthread_mutex_lock(&u->qlock);
	u->workers_done = u->nworkers;
	pthread_cond_broadcast(&u->qnot_empty);
	pthread_mutex_unlock(&u->qlock);
	if (u->pipeline_running) {
		pthread_join(u->pipeline_thread, NULL);
		u->pipeline_running = false;
	}
	audit_at_stop(u);
	sync_finish(u);
	if (u->status_running) {
		pthread_mutex_lock(&u->st_lock);
		u->st_quit = true;
		pthread_cond_signal(&u->st_cond);
		pthread_mutex_unlock(&u->st_lock);
		pthread_join(u->status_thread, NULL);
		u->status_running = false;
	}
	emit_status(u, "final", true);
	return 0;
}

void unit_destroy(struct unit *u)
{
	if (!u) {
		return;
	}
	if (u->started && !u->waited) {
		unit_request_stop(u);
		unit_wait(u);
	}
	capture_destroy(u->capture);
	for (int i = 0; i < UNIT_WORKERS_MAX; i++) {
		recognize_destroy(u->workers[i].rec);
	}
	tracker_destroy(u->tracker);
	unit_crops_destroy(u->crops);
	gps_destroy(u->gps);
	sync_client_destroy(u->sync);
	store_close(u->store);
	unit_audit_destroy(u->audit); /* after the store: its purge thread audits */
	hotlist_close(u->hotlist);
	policy_destroy(u->policy);
	free(u->q);
	for (int i = 0; i < 2; i++) {
		if (u->wake[i] >= 0) {
			close(u->wake[i]);
		}
	}
	pthread_cond_destroy(&u->sync_cond);
	pthread_cond_destroy(&u->st_cond);
	pthread_mutex_destroy(&u->st_lock);
	pthread_mutex_destroy(&u->bus_lock);
	pthread_cond_destroy(&u->qnot_full);
	pthread_cond_destroy(&u->qnot_empty);
	pthread_mutex_destroy(&u->qlock);
	free(u);
}
