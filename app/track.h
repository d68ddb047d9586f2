/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * track.h: multi-frame tracking and voting (ARCHITECTURE.md: "track & vote").
 *
 * A vehicle passing a camera is in view for a second or more: 15 or more frames, each read
 * by the recognizer with its own small errors (a 0 for a D in one frame, a missing character
 * in another). The tracker groups the per-frame reads of one plate into a track, by camera,
 * position (the box moves a little between frames) and text similarity (a few characters may
 * differ), and when the plate has left the view (no observation for close_gap_us of that
 * camera's capture time) it votes: the most supported length, then per character position
 * the character with the largest sum of confidences. The result is one read per vehicle
 * pass, with frames_voted and candidates ranked by support over the whole track.
 *
 * Frames skipped by a busy recognizer just make gaps in a track; a track stays alive as
 * long as its camera's time has not moved close_gap_us past its last observation.
 *
 * Memory: every track and observation slot is allocated by tracker_create(); observing
 * allocates nothing. Beyond TRACK_MAX_OBS observations a track keeps the most confident
 * ones. Beyond TRACK_MAX_OPEN open tracks the oldest track is closed early (voted and
 * emitted), so a crowd of plates cannot grow memory.
 *
 * Threads: a tracker is used by one thread at a time (the runtime's pipeline thread).
 * Errors: 0 or a negative errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest plate text (recognize.h's RECOGNIZE_MAX_CHARS). */
#define TRACK_TEXT_MAX 10
/* Candidates kept per observation and per voted read (store.h keeps 10). */
#define TRACK_CANDIDATES_MAX 10
/* Observations kept per track: 3 s of one camera at 15 fps. A parked car seen for minutes
 * keeps its most confident 45 frames. */
#define TRACK_MAX_OBS 45
/* Open tracks at once, all cameras together: 4 cameras with a handful of plates each. */
#define TRACK_MAX_OPEN 32

/* One plate in one frame, as the recognizer read it. */
struct track_obs {
	char text[TRACK_TEXT_MAX + 1];
	float confidence;                /* 0..100 */
	float char_conf[TRACK_TEXT_MAX]; /* 0..100 per character of @text */
	int x, y, w, h;                  /* plate box, frame pixels */
	int ncand;                       /* 0..TRACK_CANDIDATES_MAX */
	char cand[TRACK_CANDIDATES_MAX][TRACK_TEXT_MAX + 1];
	float cand_conf[TRACK_CANDIDATES_MAX]; /* 0..100 */
	char state[3];    /* USPS code read from the plate's printed state name, or "" */
	float state_conf; /* 0..100, the recognizer's confidence in @state */
};

/* One vehicle pass: the voted read. */
struct track_read {
	uint64_t track_id; /* from 1, per tracker */
	unsigned camera;
	char text[TRACK_TEXT_MAX + 1];
	float confidence; /* 0..1: agreement between frames times the characters' confidence */
	int ncand;        /* the voted text first */
	char cand[TRACK_CANDIDATES_MAX][TRACK_TEXT_MAX + 1];
	float cand_conf[TRACK_CANDIDATES_MAX]; /* 0..1 */
	uint32_t frames_voted;                 /* observations that agreed on the length */
	uint32_t frames_seen;                  /* every observation in the track */
	int64_t first_us, last_us;             /* capture times of the first and last sighting */
	int64_t best_us;                       /* capture time of the most confident frame */
	uint64_t best_seq;                     /* its frame sequence number */
	int x, y, w, h;                        /* its plate box */
	/* The state, voted like the characters: each frame that read one gives it its
	 * confidence (+1). It needs two frames and more than half of the state weight, or it
	 * is "" (not read). Frames that read no state do not vote: the state's lettering is
	 * small and read in the nearer frames only. */
	char state[3];
	float state_confidence; /* 0..1: the winner's share of the weight times its frames'
				 * mean confidence; 0 when not read */
	bool early;             /* a provisional vote while the pass is in view (early_frames) */
	bool had_early;         /* the final vote of a track that was emitted early */
};

/* @read->early: a provisional vote of a pass still in view (once per track); the final one
 * follows when the track closes, with @read->had_early. */
typedef void (*track_emit_fn)(const struct track_read *read, void *userdata);

struct tracker_options {
	int64_t close_gap_us; /* a track closes after this long unseen; 0: 1 s */
	int64_t max_track_us; /* a longer track is emitted now, then kept quiet; 0: 4 s */
	unsigned min_frames;  /* tracks with fewer observations are dropped; 0: 2 */
	float min_confidence; /* tracks whose voted confidence is lower are dropped (0..1) */
	/* Early reads (off when 0): while a pass is still in view, once early_frames
	 * observations read exactly the voted text and they are more than half of the track's
	 * observations, and the state vote has a state (an early hit must not know less about
	 * the state than the final one: "state not confirmed" would then stick to it; a plate
	 * whose state is never read is emitted at its close only), and the vote passes
	 * min_frames and min_confidence, the track is emitted once with early set; when it closes
	 * it is emitted again, final, with had_early set. A hit can then be raised a close gap
	 * sooner. */
	unsigned early_frames;
};

struct tracker;

/* @opts may be NULL. 0 and *out, or -EINVAL. */
int tracker_create(const struct tracker_options *opts, struct tracker **out);
/* NULL is a no-op. Open tracks are dropped, not emitted (call tracker_flush() first). */
void tracker_destroy(struct tracker *t);

/*
 * Adds the plates of one frame of camera @camera captured at @t_us (@n may be 0: a frame with
 * no plate still moves the camera's time on). Tracks of that camera that have been unseen for
 * close_gap_us, and tracks older than max_track_us, are voted and passed to @emit (which may
 * be NULL), in the calling thread, before this returns. Frames may come slightly out of order
 * (several recognition workers): a camera's time is the newest frame seen.
 */
void tracker_frame(struct tracker *t, unsigned camera, uint64_t seq, int64_t t_us,
		   const struct track_obs *obs, size_t n, track_emit_fn emit, void *userdata);

/* Votes and emits every open track (the end of a replay, a shutdown). */
void tracker_flush(struct tracker *t, track_emit_fn emit, void *userdata);

/* Open tracks now (diagnostics, tests). */
size_t tracker_open_count(const struct tracker *t);

/* The USPS code of a state name as printed on plates ("ARIZONA" -> "AZ"), or NULL. */
const char *track_state_code(const char *name);

/* Levenshtein distance between two short strings (exposed for tests). */
int track_edit_distance(const char *a, const char *b);
