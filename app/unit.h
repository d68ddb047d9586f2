/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * unit.h: the unit runtime. Wires the modules into the pipeline of ARCHITECTURE.md:
 *
 *   cameras (capture: one thread and a fixed frame pool per camera)
 *     -> recognition workers (one per core, each with its own recognizer context)
 *     -> results queue (bounded: UNIT_RESULTS_CAP frames' worth of plate reads, no pixels)
 *     -> pipeline thread: tracker (one read per vehicle pass) -> GPS fix at capture time ->
 *        hotlist match -> store -> events
 *   status thread: a status event every status_interval_us, and at once when a camera
 *   changes state, GPS gains or loses its fix, or the store had to drop reads for room.
 *   sync thread (with a station, sync.h): uploads the store's reads and takes signed
 *   hotlist versions in the background; its rounds and errors poke the status thread.
 *
 * Falling behind: a worker gives its frame back to the pool as soon as the recognizer is
 * done with it (before the tracker sees the result). When recognition is slower than the
 * cameras, the cameras' pools run dry and capture drops the oldest waiting frame (counted
 * as skipped): frames are skipped, never plates: a track survives gaps of up to
 * close_gap_us, and nothing queues without bound.
 *
 * Events go to a small bus: subscribers registered before unit_start() are called one event
 * at a time (the bus serialises them), from the pipeline or status thread. A subscriber must
 * return quickly (the UI copies what it needs and wakes its main loop); the pointers in an
 * event are valid only during the call.
 *
 * A frame tap (unit_set_frame_tap()) sees every recognized frame's pixels and plate boxes,
 * from the recognition workers, for a live view.
 *
 * Threads: unit_create/subscribe/start/wait/destroy from one controlling thread at a time
 * (a caller may hand the unit to another thread between calls, as the patrol window does:
 * it starts and waits on a runtime thread while GTK owns the main thread, then destroys
 * after joining it); unit_request_stop() from any thread or a signal-safe context (it
 * writes one byte to a pipe).
 *
 * Errors: 0 or a negative errno; unit_create() writes a one-line reason into its error
 * buffer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "common.h"
#include "gps.h"
#include "hotlist.h"
#include "store.h"
#include "sync.h"

/* Frames' worth of recognition results waiting for the pipeline thread. Each holds up to
 * RECOGNIZE_MAX_PLATES plate reads (a few KiB, no pixels). Two seconds of 4 cameras at 15
 * fps: the pipeline thread is far faster than recognition, so this only absorbs a slow
 * store write; when full, workers wait, the cameras' pools fill and frames are skipped. */
#define UNIT_RESULTS_CAP 128
/* Event subscribers: the headless printer, the UI, a test or benchmark, the audit hook. */
#define UNIT_SUBSCRIBERS_MAX 8
/* Recognition workers at most (one per core is the default). */
#define UNIT_WORKERS_MAX 16
/* Hotlist lists reported in a status event. */
#define UNIT_STATUS_LISTS_MAX 8
/* A status event's reason or message: one line. */
#define UNIT_MESSAGE_MAX 256
/* Early hits: frames that must read exactly the voted text (and be most of the pass) before
 * a pass still in view is matched. Three frames at 15 fps is 0.2 s of a pass; a plate read
 * the same three times, and more often than anything else, is what the final vote would say
 * in the demo drive's passes. */
#define UNIT_EARLY_FRAMES_DEFAULT 3
/* Plate boxes handed to a frame tap per frame (the recognizer finds a few at most). */
#define UNIT_FRAME_PLATES_MAX 8

struct unit_camera_config {
	char name[CAPTURE_NAME_MAX];
	char uri[CAPTURE_URI_MAX];
};

struct unit_options {
	const char *unit_id;     /* the store's unit id; NULL: "unit1" */
	const char *policy_name; /* data/policy/NAME.json; NULL: "default" */
	const char *hotlist_dir; /* NULL: no hotlist (reads are never hits; status says so) */
	const char *store_dir;   /* NULL: no store (reads get ids "-"; status says so) */
	size_t store_map_size;   /* 0: the store's default */
	const char *gps_host;    /* NULL: no GPS (every read has no fix) */
	int gps_port;            /* 0: 2947 */
	struct unit_camera_config cameras[CAPTURE_MAX_CAMERAS];
	size_t ncameras;
	int workers;                /* recognition threads; 0: one per online core */
	bool realtime;              /* replays at their own pace, dropping frames like cameras */
	bool loop;                  /* replays start again at their end */
	int image_fps;              /* frame rate of image-folder replays; 0: 15 */
	int64_t replay_start_us;    /* replay capture times start here; 0: the clock at start */
	int64_t status_interval_us; /* 0: 5 s */
	int64_t close_gap_us;       /* tracker: a pass ends after this long unseen; 0: 1 s */
	unsigned min_frames;        /* tracker: frames needed for a read; 0: 2 */
	/* Early hits (track.h's early_frames): a pass still in view is matched once its vote is
	 * confident; a hit is stored and emitted then (its read event has early set), and the
	 * pass's final vote updates that read when the pass closes (update set), with no second
	 * hit. Passes that do not hit early are read at their close as before.
	 * 0: UNIT_EARLY_FRAMES_DEFAULT; negative: no early hits. */
	int early_frames;
	const char *state;              /* the recognizer's preferred plate syntax state, or NULL */
	const struct alpr_clock *clock; /* NULL: real time */
	/* Docked sync (sync.h): with a station, the runtime runs the sync client on its own
	 * thread over the store and hotlist it opened (a store is then required). Plate
	 * reading never waits on it; its rounds, errors and hotlist changes become status
	 * events. */
	const char *sync_station_url; /* "https://host:port"; NULL: no sync */
	const char *sync_dir;         /* the enrolment (alpr-station enroll): cert.pem, key.pem,
				       * ca.pem, hotlist-pub.pem */
	const char *sync_state_dir;   /* downloads; NULL: STORE_DIR/sync */
	int64_t sync_interval_us;     /* between successful rounds; 0: the client's default */
	int64_t sync_backoff_min_us;  /* 0: the client's default */
	int64_t sync_backoff_max_us;  /* 0: the client's default */
	long sync_connect_timeout_ms; /* 0: the client's default */
	/* At shutdown, after the last read is stored: how long to wait for a last round
	 * (it ends early on an error). 0: 5 s; negative: no last round. */
	int64_t sync_final_wait_us;
	/* The audit log (audit.h; what is recorded: app/unit-audit.h). NULL: STORE_DIR/audit
	 * when there is a store, else no log. Its device id is unit_id. With a station, its
	 * newest checkpoint is signed and sent at every sync. */
	const char *audit_dir;
	const char *audit_key_path; /* the device key; NULL: AUDIT_DIR/device-key.pem */
	/* An administrator's tightening of the profile (alpr-search --tighten, audited there);
	 * NULL or a missing file: none. The profile in force is then the tightened one, and the
	 * log's policy.load record says it changed. */
	const char *policy_override;
};

enum unit_event_type {
	UNIT_EVENT_READ = 0,
	UNIT_EVENT_HIT,
	UNIT_EVENT_STATUS,
};

/* A read: one vehicle pass, as voted by the tracker. */
struct unit_read {
	struct store_read r;   /* id, captured_at, camera, plate, confidence, candidates,
				* state (voted over the frames; "" when not read), box, gps
				* (mode NONE: no fix), track_id, frames_voted, and the crop: the
				* best frame's plate as grey PNG (crops.h), as stored, borrowed
				* for the event; NULL when that frame left the crop ring */
	int gps_error;         /* 0, or -ENODATA (no fix at that time) / -ENODEV (no GPS) */
	int64_t first_seen_us; /* capture time of the plate's first sighting */
	int64_t last_seen_us;  /* and of its last */
	uint64_t frame_seq;    /* the best frame's sequence number in its camera */
	bool early;            /* an early read: the pass is still in view; it hit (unit_hit) */
	bool update;           /* the final vote of a pass read early: the same id, a new read
				* (store_update_hit_read); no hit event follows */
	int store_error;       /* 0, or why the store refused the read (logged; still shown) */
};

struct unit_hit {
	const struct unit_read *read;
	struct hotlist_match match; /* the best match; entry, kind, positions, state flags */
	int nmatches;               /* how many entries matched (the best is above) */
	bool hotlist_stale;         /* the list is older than the policy's maximum age */
	int64_t emitted_at_us;      /* the clock when the hit was emitted (latency) */
};

struct unit_camera_status {
	char name[CAPTURE_NAME_MAX];
	struct capture_camera_stats stats;
};

struct unit_status {
	char reason[UNIT_MESSAGE_MAX]; /* "timer", "camera front: failed", "store full", ... */
	int64_t at_us;
	size_t ncameras;
	struct unit_camera_status cameras[CAPTURE_MAX_CAMERAS];
	bool gps_enabled;
	struct gps_status gps;
	bool hotlist_enabled;
	size_t nlists;
	struct hotlist_list_info lists[UNIT_STATUS_LISTS_MAX];
	int64_t hotlist_age_us;     /* of the oldest list's current version; -1 if none */
	int64_t hotlist_max_age_us; /* the policy's maximum */
	bool hotlist_stale;
	bool store_enabled;
	struct store_stats store;
	uint64_t store_evicted; /* non-hit reads dropped for room since start */
	bool store_full;        /* the last write dropped reads or failed for room */
	uint64_t frames_recognized;
	uint64_t reads, hits;
	bool sync_enabled;
	struct unit_sync_status {
		const char *state;    /* "starting", "ok", "error" (static) */
		int64_t last_sync_at; /* UTC us of the last successful round; 0: never */
		uint64_t queue_depth; /* reads waiting for upload after the last round */
		uint64_t rounds_ok, rounds_failed, consecutive_errors;
		uint64_t uploaded;        /* reads the station acknowledged since start */
		uint64_t reads_refused;   /* reads it refused since start */
		uint64_t hotlist_updates; /* signed versions applied since start */
		uint64_t hotlist_refusals;
		int64_t next_try_us; /* delay to the next round, as of the last one */
		int last_error;      /* the last round's error; 0 when it succeeded */
		char last_error_message[SYNC_MESSAGE_MAX]; /* the last error, kept */
		char message[SYNC_MESSAGE_MAX];            /* the last event's message */
	} sync;
	bool final; /* the last status, after every camera ended or unit_stop() */
};

struct unit_event {
	enum unit_event_type type;
	union {
		const struct unit_read *read;
		const struct unit_hit *hit;
		const struct unit_status *status;
	};
};

typedef void (*unit_event_fn)(const struct unit_event *ev, void *userdata);

/* A recognized frame, for a live view (the patrol window's camera tiles). */
struct unit_frame {
	const char *camera;  /* the camera's name */
	uint64_t seq;        /* the frame's sequence number in its camera (unit_read.frame_seq) */
	int64_t captured_at; /* UTC us */
	const uint8_t *gray; /* 8-bit grey, @stride bytes per row */
	int width, height, stride;
	size_t nplates;
	struct unit_frame_plate {
		int x, y, w, h;                 /* plate box, frame pixels */
		char text[STORE_PLATE_MAX + 1]; /* as read in this frame; "" for a state name row */
	} plates[UNIT_FRAME_PLATES_MAX];
};

/* Called from the recognition workers (several at once), once per recognized frame, before
 * the frame goes back to its pool. Must return quickly (copy what it needs, at the rate it
 * needs: a live view thins frames itself); the frame and its pixels are valid only during
 * the call. */
typedef void (*unit_frame_fn)(const struct unit_frame *f, void *userdata);

struct unit;

/* Opens policy, hotlist, store and GPS, adds the cameras. @opts is copied. On failure
 * writes "what: why" into @err. */
int unit_create(const struct unit_options *opts, struct unit **out, char *err, size_t errsz);
/* Adds a subscriber (before unit_start()). -ENOSPC beyond UNIT_SUBSCRIBERS_MAX. */
int unit_subscribe(struct unit *u, unit_event_fn fn, void *userdata);
/* Sets the frame tap (before unit_start(); one tap; NULL removes it). -EINVAL after start. */
int unit_set_frame_tap(struct unit *u, unit_frame_fn fn, void *userdata);
/* The modules the unit opened, borrowed: valid from unit_create() until unit_destroy(). NULL
 * when not configured (no --hotlist, no --store). Each documents its own thread rules (the
 * hotlist and the store take calls from any thread: the officer's actions below write
 * through them from the patrol window's main thread while the pipeline reads and stores). */
struct hotlist *unit_get_hotlist(struct unit *u);
struct store *unit_get_store(struct unit *u);
const struct policy *unit_get_policy(struct unit *u);
const struct alpr_clock *unit_get_clock(struct unit *u);
/* Starts the cameras and threads. */
int unit_start(struct unit *u);
/* Asks the unit to stop; safe from a signal handler. */
void unit_request_stop(struct unit *u);
/* Waits until every camera has ended (replays) or a stop was requested, then stops the
 * threads, flushes open tracks (their reads are emitted), and emits a final status. */
int unit_wait(struct unit *u);
/* Frees everything; NULL is a no-op. Stops first if needed. */
void unit_destroy(struct unit *u);

/* ---- the officer's actions (audited; app/unit-audit.h) --------------------------------- *
 * For the patrol window (its authenticate, on_disposition and New wanted hooks) and the
 * headless command channel (unit_command). Any thread, after unit_create(). Each writes its
 * audit record before it returns; without an audit log (no store and no audit_dir) they
 * return -ENODEV and change nothing. A refusal is audited and returns -ALPR_E_REFUSED with
 * one line in @err. */

/* An officer's sign-in attempt, accepted or not (@reason: why not, one line). */
int unit_sign_in(struct unit *u, const char *officer, bool accepted, const char *reason);
int unit_sign_out(struct unit *u, const char *officer);
/* The visual check of the hit on @read_id: @match when plate and state match the image. */
int unit_verify_hit(struct unit *u, const char *read_id, const char *officer, bool match, char *err,
		    size_t errsz);
/* A disposition (store.h's state machine) of the hit on @read_id. Needs a store. */
int unit_dispose_hit(struct unit *u, const char *read_id, enum store_hit_status status,
		     const char *officer, char *err, size_t errsz);
/* An officer's hotlist entry ("New wanted"): added, audited, and checked against past reads
 * (historical hits; *nhits, may be NULL). Needs a hotlist. */
int unit_officer_entry(struct unit *u, const struct hotlist_entry *e, const char *officer,
		       uint64_t *nhits, char *err, size_t errsz);
/* The unit's audit log (borrowed, valid until unit_destroy()), or NULL when it has none. */
struct audit *unit_audit(struct unit *u);

/*
 * One line of the headless command channel (alpr-unit --commands), a JSON object:
 *   {"command": "sign_in", "officer": ID}               (accepted: a PIN is the UI's)
 *   {"command": "sign_out", "officer": ID}
 *   {"command": "verify", "officer": ID, "read": READ_ID, "match": true|false}
 *   {"command": "dispose", "officer": ID, "read": READ_ID, "status": "confirmed"|"misread"|
 *    "wrong_state"|"not_actioned"}
 * Unknown keys, a missing or mistyped field, or a line over UNIT_COMMAND_MAX bytes are
 * refused before anything is done: -ALPR_E_PARSE with "field: message" in @err. 0 when done;
 * the action's own error otherwise (its refusal is audited).
 */
#define UNIT_COMMAND_MAX 1024
int unit_command(struct unit *u, const char *line, size_t len, char *err, size_t errsz);

/* The JSON line for an event (no newline) into @buf; the length, or -ENOSPC. */
int unit_event_json(const struct unit_event *ev, char *buf, size_t bufsz);
