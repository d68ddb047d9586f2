/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * event-json.c: one JSON object per event (unit_event_json), the format `alpr-unit
 * --headless` prints and docs/alpr-unit.1 documents.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "unit.h"

/* "2026-11-29T07:48:06.123Z": seconds from alpr_time_format, milliseconds added. */
static json_t *time_json(int64_t us)
{
	char buf[ALPR_TIME_BUFSZ + 8];
	int64_t sec_us = us - ((us % ALPR_USEC_PER_SEC) + ALPR_USEC_PER_SEC) % ALPR_USEC_PER_SEC;

	alpr_time_format(sec_us, buf, ALPR_TIME_BUFSZ);
	size_t len = strlen(buf);
	if (len > 0 && buf[len - 1] == 'Z') {
		snprintf(buf + len - 1, sizeof(buf) - (len - 1), ".%03dZ",
			 (int)((us - sec_us) / 1000));
	}
	return json_string(buf);
}

static json_t *real_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *gps_json(const struct unit_read *rd)
{
	const struct store_gps *g = &rd->r.gps;

	if (g->mode == STORE_FIX_NONE) {
		return json_pack("{s:b,s:s}", "fix", 0, "reason",
				 rd->gps_error == -ENODEV ? "no gps" : "no fix");
	}
	return json_pack("{s:b,s:i,s:f,s:f,s:o,s:o,s:i}", "fix", 1, "mode", (int)g->mode, "lat",
			 g->lat, "lon", g->lon, "speed_mps", real_or_null(g->speed_mps),
			 "heading_deg", real_or_null(g->heading_deg), "fix_age_ms",
			 (int)g->fix_age_ms);
}

static json_t *read_json(const struct unit_read *rd)
{
	const struct store_read *r = &rd->r;
	json_t *cands = json_array();

	for (uint32_t i = 0; i < r->ncandidates; i++) {
		json_array_append_new(
			cands, json_pack("{s:s,s:f}", "plate", r->candidates[i].plate, "confidence",
					 round(r->candidates[i].confidence * 1000) / 1000));
	}
	json_t *o = json_pack(
		"{s:s,s:s,s:s,s:f,s:o,s:o,s:s,s:o,s:I,s:[iiii],s:o,s:I,s:i,s:I,s:o,s:o}", "event",
		"read", "id", r->id, "plate", r->plate, "confidence",
		round(r->confidence * 1000) / 1000, "candidates", cands, "state",
		r->state[0] ? json_string(r->state) : json_null(), "camera", r->camera, "time",
		time_json(r->captured_at), "time_us", (json_int_t)r->captured_at, "box", r->box.x,
		r->box.y, r->box.w, r->box.h, "gps", gps_json(rd), "track_id",
		(json_int_t)r->track_id, "frames_voted", (int)r->frames_voted, "frame_seq",
		(json_int_t)rd->frame_seq, "first_seen", time_json(rd->first_seen_us), "stored",
		json_boolean(rd->store_error == 0 && r->id[0] != '-'));
	/* How sure the tracker's vote is of the state (0 when not read: "state" is null). */
	/* An early read (the pass still in view; it hit), or the final vote updating one. */
	if (rd->early) {
		json_object_set_new(o, "early", json_true());
	}
	if (rd->update) {
		json_object_set_new(o, "update", json_true());
	}
	json_object_set_new(o, "state_confidence",
			    json_real(r->state[0] ? round(r->state_confidence * 1000) / 1000 : 0));
	return o;
}

/* The state check the officer is shown: "mismatch" (the plate's state was read and is not
 * the entry's), "match" (read and the same), or "not confirmed" whenever the state was not
 * read or the entry's state is unknown: never "match" on no evidence. */
static const char *state_check(const struct unit_hit *h)
{
	const struct hotlist_match *m = &h->match;

	if (m->state_mismatch && h->read->r.state[0]) {
		return "mismatch";
	}
	if (m->state_unconfirmed || m->state_mismatch || !h->read->r.state[0] ||
	    strcmp(h->read->r.state, "??") == 0) {
		return "not confirmed";
	}
	return "match";
}

static json_t *hit_json(const struct unit_hit *h)
{
	const struct hotlist_match *m = &h->match;
	const struct hotlist_entry *e = &m->entry;
	const struct unit_read *rd = h->read;
	json_t *pos = json_array();

	for (int i = 0; i < m->npositions && i < 2; i++) {
		json_array_append_new(pos, json_integer(m->positions[i]));
	}
	json_t *entry = json_pack(
		"{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "list", e->list,
		"list_version", (json_int_t)m->list.version, "plate", e->plate, "state", e->state,
		"category", policy_category_name(e->category), "reason", e->reason, "make", e->make,
		"model", e->model, "color", e->color, "record_id", e->source_record_id, "agency",
		e->agency, "case_number", e->case_number);
	if (e->year) {
		json_object_set_new(entry, "year", json_integer(e->year));
	}
	json_object_set_new(entry, "expires_at",
			    e->expires_at ? time_json(e->expires_at) : json_null());
	json_object_set_new(entry, "alert_level", json_integer(m->list.alert_level));

	json_t *o = json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:b,s:b,s:b,s:s,s:i,s:b}", "event", "hit",
		"read_id", rd->r.id, "plate", rd->r.plate, "camera", rd->r.camera, "match",
		hotlist_match_kind_name(m->kind), "positions", pos, "entry", entry, "read_plate",
		m->read_plate, "time", time_json(rd->r.captured_at), "state_mismatch",
		m->state_mismatch, "state_unconfirmed", m->state_unconfirmed, "edit_missing",
		m->kind == HOTLIST_MATCH_EDIT && m->edit_missing, "status", "unverified", "matches",
		h->nmatches, "hotlist_stale", h->hotlist_stale);
	json_object_set_new(o, "gps", gps_json(rd));
	json_object_set_new(o, "read_state",
			    rd->r.state[0] ? json_string(rd->r.state) : json_null());
	json_object_set_new(o, "state_check", json_string(state_check(h)));
	json_object_set_new(
		o, "latency_ms",
		json_integer((json_int_t)((h->emitted_at_us - rd->last_seen_us) / 1000)));
	return o;
}

static const char *gps_state_name(enum gps_state s)
{
	switch (s) {
	case GPS_NO_DAEMON:
		return "no_gpsd";
	case GPS_NO_FIX:
		return "no_fix";
	case GPS_FIX_2D:
		return "2d";
	default:
		return "3d";
	}
}

static json_t *status_json(const struct unit_status *st)
{
	json_t *cams = json_array();
	uint64_t skipped = 0;

	for (size_t i = 0; i < st->ncameras; i++) {
		const struct capture_camera_stats *c = &st->cameras[i].stats;
		skipped += c->dropped;
		json_array_append_new(
			cams, json_pack("{s:s,s:s,s:I,s:I,s:I,s:i,s:s}", "name",
					st->cameras[i].name, "state", capture_state_name(c->state),
					"frames", (json_int_t)c->frames, "delivered",
					(json_int_t)c->delivered, "skipped", (json_int_t)c->dropped,
					"failures", (int)c->failures, "message", c->message));
	}
	json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:b}", "event", "status", "reason", st->reason,
			      "time", time_json(st->at_us), "cameras", cams, "final", st->final);

	if (st->gps_enabled) {
		json_object_set_new(o, "gps",
				    json_pack("{s:s,s:I,s:I,s:i}", "state",
					      gps_state_name(st->gps.state), "age_ms",
					      (json_int_t)st->gps.age_ms, "fixes",
					      (json_int_t)st->gps.fixes, "connections",
					      (int)st->gps.connections));
	} else {
		json_object_set_new(o, "gps", json_pack("{s:s}", "state", "disabled"));
	}

	if (st->hotlist_enabled) {
		json_t *lists = json_array();
		for (size_t i = 0; i < st->nlists; i++) {
			const struct hotlist_list_info *l = &st->lists[i];
			json_array_append_new(
				lists, json_pack("{s:s,s:I,s:I,s:o}", "name", l->name, "version",
						 (json_int_t)l->version, "entries",
						 (json_int_t)l->entry_count, "generated_at",
						 time_json(l->generated_at)));
		}
		json_object_set_new(
			o, "hotlist",
			json_pack("{s:o,s:I,s:I,s:b}", "lists", lists, "age_s",
				  (json_int_t)(st->hotlist_age_us < 0
						       ? -1
						       : st->hotlist_age_us / ALPR_USEC_PER_SEC),
				  "max_age_s",
				  (json_int_t)(st->hotlist_max_age_us / ALPR_USEC_PER_SEC), "stale",
				  st->hotlist_stale));
	} else {
		json_object_set_new(o, "hotlist", json_pack("{s:s}", "state", "disabled"));
	}

	if (st->store_enabled) {
		json_object_set_new(
			o, "store",
			json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "reads",
				  (json_int_t)st->store.reads, "hits", (json_int_t)st->store.hits,
				  "unsynced", (json_int_t)st->store.unsynced, "used_bytes",
				  (json_int_t)st->store.used_bytes, "map_bytes",
				  (json_int_t)st->store.map_bytes, "evicted",
				  (json_int_t)st->store_evicted, "full", st->store_full));
	} else {
		json_object_set_new(o, "store", json_pack("{s:s}", "state", "disabled"));
	}
	if (st->sync_enabled) {
		const struct unit_sync_status *sy = &st->sync;
		json_t *so = json_pack(
			"{s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "state",
			sy->state ? sy->state : "starting", "last_sync_at",
			sy->last_sync_at > 0 ? time_json(sy->last_sync_at) : json_null(),
			"queue_depth", (json_int_t)sy->queue_depth, "uploaded",
			(json_int_t)sy->uploaded, "reads_refused", (json_int_t)sy->reads_refused,
			"rounds_ok", (json_int_t)sy->rounds_ok, "rounds_failed",
			(json_int_t)sy->rounds_failed, "consecutive_errors",
			(json_int_t)sy->consecutive_errors, "hotlist_updates",
			(json_int_t)sy->hotlist_updates, "hotlist_refusals",
			(json_int_t)sy->hotlist_refusals, "next_try_ms",
			(json_int_t)(sy->next_try_us / 1000), "message", sy->message);
		json_object_set_new(so, "last_error",
				    sy->last_error_message[0] ? json_string(sy->last_error_message)
							      : json_null());
		json_object_set_new(o, "sync", so);
	} else {
		json_object_set_new(o, "sync", json_pack("{s:s}", "state", "disabled"));
	}
	json_object_set_new(o, "pipeline",
			    json_pack("{s:I,s:I,s:I,s:I}", "frames_recognized",
				      (json_int_t)st->frames_recognized, "frames_skipped",
				      (json_int_t)skipped, "reads", (json_int_t)st->reads, "hits",
				      (json_int_t)st->hits));
	return o;
}

int unit_event_json(const struct unit_event *ev, char *buf, size_t bufsz)
{
	json_t *o = NULL;

	switch (ev->type) {
	case UNIT_EVENT_READ:
		o = read_json(ev->read);
		break;
	case UNIT_EVENT_HIT:
		o = hit_json(ev->hit);
		break;
	case UNIT_EVENT_STATUS:
		o = status_json(ev->status);
		break;
	}
	if (!o) {
		return -EINVAL;
	}
	size_t n = json_dumpb(o, buf, bufsz, JSON_COMPACT | JSON_REAL_PRECISION(9));
	json_decref(o);
	if (n == 0 || n >= bufsz) {
		return -ENOSPC;
	}
	buf[n] = '\0';
	return (int)n;
}
