/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * ui-model.h: the officer UI's logic, in plain C with no GTK, so that it is tested without a
 * display (tests/test-ui-model.c).
 *
 * - The hit state machine: a hit is UNVERIFIED until the officer confirms, on the card, that
 *   plate and state match the image (VERIFIED); only a verified hit takes a disposition
 *   (DISPOSED). A disposition carries the officer and the time, and maps onto the store's
 *   own status state machine (store.h) with alpr_ui_disposition_statuses().
 * - The hit queue: undisposed hits, newest first; a hit leaves only once disposed, so none
 *   is lost; a hit the officer has verified stays on screen until disposed, even when newer
 *   hits arrive (nothing changes under the officer's finger between check and decision).
 * - Text for glances: the character diff between the read and the entry's plate, the match
 *   kind in words, the state check, ages, the vehicle description, phonetic spelling.
 *
 * Ownership: struct alpr_ui_hit is plain data except crop (malloc'd, owned by the hit, freed
 * by alpr_ui_hit_destroy()). The queue owns the hits pushed into it. Not thread-safe: the UI
 * uses all of this from the GTK main thread only.
 *
 * Errors: 0 or a negative errno: -EINVAL (bad argument), -EPERM (a transition the state
 * machine refuses), -EALREADY (already in that state), -EEXIST (a hit for that read is
 * already queued), -ENOENT (not in the queue).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "hotlist.h"
#include "store.h"

enum alpr_ui_hit_state {
	ALPR_UI_HIT_UNVERIFIED = 0, /* the card shows only the check button */
	ALPR_UI_HIT_VERIFIED,       /* the officer confirmed plate and state visually */
	ALPR_UI_HIT_DISPOSED,       /* a disposition is recorded; the hit may leave the queue */
};
const char *alpr_ui_hit_state_name(enum alpr_ui_hit_state st);

/* The officer's choices once a hit is verified (the order of the buttons). */
enum alpr_ui_disposition {
	ALPR_UI_DISP_CONFIRMED_STOPPED = 0,
	ALPR_UI_DISP_CONFIRMED_NOT_STOPPED,
	ALPR_UI_DISP_MISREAD,
	ALPR_UI_DISP_WRONG_STATE,
	ALPR_UI_DISP_NOT_ACTIONED,
	ALPR_UI_DISP_COUNT,
};
/* Button text ("Confirmed: stopped"). Static storage. */
const char *alpr_ui_disposition_label(enum alpr_ui_disposition d);
/* The store statuses that record @d, in order (store_set_disposition() once per status):
 * confirmed-not-stopped is CONFIRMED then NOT_ACTIONED, the store's two-step path. Returns
 * the count (1 or 2), or 0 for an invalid @d. */
size_t alpr_ui_disposition_statuses(enum alpr_ui_disposition d, enum store_hit_status out[2]);

#define ALPR_UI_OFFICER_MAX STORE_SHORT_MAX

/* One hit as the UI holds it. */
struct alpr_ui_hit {
	uint64_t seq; /* arrival order, set by the queue */
	char read_id[STORE_ID_MAX + 1];
	char camera[STORE_CAMERA_MAX + 1];
	int64_t captured_at;
	char read_state[3];         /* the read's state, "" or "??" when not read */
	struct hotlist_match match; /* entry, list, kind, positions, matched read plate */
	uint8_t *crop;              /* encoded plate crop (PNG or JPEG), owned; may be NULL */
	size_t crop_len;
	enum alpr_ui_hit_state state;
	int64_t verified_at;
	enum alpr_ui_disposition disposition; /* valid when DISPOSED */
	char officer[ALPR_UI_OFFICER_MAX + 1];
	int64_t disposed_at;
	unsigned recorded;       /* bit 1u << status: store statuses already recorded for this
				    hit (alpr_ui_hit_steps_todo) */
	unsigned sound_requests; /* times the alert sound was asked for this hit */
};

/* A new UNVERIFIED hit; copies @crop (may be NULL). Aborts on allocation failure (small). */
struct alpr_ui_hit *alpr_ui_hit_create(const char *read_id, const char *camera, int64_t captured_at,
				       const char *read_state, const struct hotlist_match *m,
				       const uint8_t *crop, size_t crop_len);
void alpr_ui_hit_destroy(struct alpr_ui_hit *h);

/* UNVERIFIED -> VERIFIED. -EALREADY when verified, -EPERM when disposed. */
int alpr_ui_hit_verify(struct alpr_ui_hit *h, int64_t now);
/* VERIFIED -> DISPOSED with @d by @officer (non-empty, fits ALPR_UI_OFFICER_MAX) at @now.
 * -EPERM when unverified or already disposed, -EINVAL for a bad @d or officer. */
int alpr_ui_hit_dispose(struct alpr_ui_hit *h, enum alpr_ui_disposition d, const char *officer,
			int64_t now);

/* The store statuses of @d still to record for @h, in order, into @out: those of
 * alpr_ui_disposition_statuses() not yet marked with alpr_ui_hit_step_recorded(). A retry
 * after a half-saved two-step path (confirmed recorded, not-actioned failed) asks only for
 * what is missing, so the store and the audit log see each step once. Returns the count (0:
 * nothing left), or -EINVAL for a bad @d. */
int alpr_ui_hit_steps_todo(const struct alpr_ui_hit *h, enum alpr_ui_disposition d,
			   enum store_hit_status out[2]);
/* Marks @st as recorded for @h (the store or the runtime took it). */
void alpr_ui_hit_step_recorded(struct alpr_ui_hit *h, enum store_hit_status st);

/* ---- the queue ------------------------------------------------------------------------- */

struct alpr_ui_hit_queue {
	/* Newest first. Grows without a cap on purpose: dropping an undisposed hit is the one
	 * thing the queue must never do, and a shift's hits are tens, each about 2 KiB. */
	struct alpr_ui_hit **items;
	size_t n, cap;
	uint64_t next_seq;
};

void alpr_ui_hit_queue_init(struct alpr_ui_hit_queue *q);
/* Destroys every hit still queued. */
void alpr_ui_hit_queue_finish(struct alpr_ui_hit_queue *q);
/* Takes ownership of @h (also on error, when it is destroyed). -EEXIST when a hit for the
 * same read id is queued (a re-delivered event: the first one stays). */
int alpr_ui_hit_queue_push(struct alpr_ui_hit_queue *q, struct alpr_ui_hit *h);
size_t alpr_ui_hit_queue_len(const struct alpr_ui_hit_queue *q);
/* The @i-th hit, newest first; NULL past the end. Borrowed. */
struct alpr_ui_hit *alpr_ui_hit_queue_nth(const struct alpr_ui_hit_queue *q, size_t i);
/* The hit the card shows: a VERIFIED hit (the officer is deciding) if there is one, else
 * the newest. NULL when empty. Borrowed. */
struct alpr_ui_hit *alpr_ui_hit_queue_current(const struct alpr_ui_hit_queue *q);
/* Removes and destroys @h once it is DISPOSED (-EPERM before, -ENOENT if not queued). */
int alpr_ui_hit_queue_remove(struct alpr_ui_hit_queue *q, struct alpr_ui_hit *h);

/* ---- text ------------------------------------------------------------------------------ */

/* The read and the entry's plate aligned column by column: '_' marks the column where one
 * side has no character (the read lacks one, or has one extra), differs[] the columns the
 * officer must look at. */
#define ALPR_UI_DIFF_MAX (HOTLIST_PLATE_MAX + 1)
struct alpr_ui_plate_diff {
	char read[ALPR_UI_DIFF_MAX + 1];
	char entry[ALPR_UI_DIFF_MAX + 1];
	bool differs[ALPR_UI_DIFF_MAX];
	size_t len;
};
/* From the match's kind, positions and edit direction; any column that differs beyond them
 * is marked too (the highlight never hides a difference). -EINVAL when the plates and the
 * match do not fit together (then *out holds a plain column-by-column comparison). */
int alpr_ui_plate_diff(const struct hotlist_match *m, struct alpr_ui_plate_diff *out);

/* "exact"; "look-alike: 8/B at position 1" (the entry's character, then the read's; 1-based);
 * "one character missing: 9 at position 7"; "one extra character: X at position 3". */
void alpr_ui_match_words(const struct hotlist_match *m, char *buf, size_t bufsz);

/* The state check for the card. Returns true when confirmed (read and known, equal to the
 * entry's known state, and the match does not flag it); writes "state matches: CA" or
 * "STATE NOT CONFIRMED: state not read" / "...: read AZ, entry NV" / "...: entry has no
 * state". */
bool alpr_ui_state_text(const char *read_state, const struct hotlist_match *m, char *buf,
			size_t bufsz);

/* An age for a glance: "just now", "12 min", "5 h", "3 days"; "unknown" for @age_us < 0. */
void alpr_ui_age_text(int64_t age_us, char *buf, size_t bufsz);
/* True when a list generated at @generated_at is older than @max_age_us at @now (or its
 * time is unknown). @max_age_us <= 0: never stale. */
bool alpr_ui_list_stale(int64_t generated_at, int64_t now, int64_t max_age_us);

/* "2015 Ford F150, white"; NCIC colour codes spelled out; "no description" when empty. */
void alpr_ui_vehicle_text(const struct hotlist_entry *e, char *buf, size_t bufsz);
/* "stolen vehicle" (the category name with spaces). */
void alpr_ui_category_text(enum policy_category cat, char *buf, size_t bufsz);
/* Alert level of a category for the card's colour: 2 danger to life (amber alert, felony
 * vehicle, wanted or missing person), 1 stolen and protection orders, 0 the rest. */
int alpr_ui_category_level(enum policy_category cat);
/* "five sierra oscar whiskey seven five zero": for espeak-ng. */
void alpr_ui_phonetic(const char *plate, char *buf, size_t bufsz);
/* Default expiry of an officer's entry: the end of the shift (@signed_in_at + @shift_us),
 * but at least an hour from @now. */
int64_t alpr_ui_end_of_shift(int64_t signed_in_at, int64_t shift_us, int64_t now);

/* ---- the PIN guard --------------------------------------------------------------------- */

/* Wrong PINs in a row before sign-in locks, and for how long. Counted per unit, not per
 * officer id: someone guessing would just change the id. */
#define ALPR_UI_PIN_TRIES_MAX  5
#define ALPR_UI_PIN_LOCKOUT_US (60 * ALPR_USEC_PER_SEC)

struct alpr_ui_pin_guard {
	unsigned failures;    /* wrong PINs since the last success or lockout */
	int64_t locked_until; /* monotonic us; 0: not locked */
	uint64_t lockouts;    /* since start (for the log and tests) */
};

void alpr_ui_pin_guard_init(struct alpr_ui_pin_guard *g);
/* Microseconds left of a lockout at monotonic time @now, or 0 when a PIN may be tried. */
int64_t alpr_ui_pin_guard_wait_us(const struct alpr_ui_pin_guard *g, int64_t now);
/* Records a checked PIN at @now: a success clears the count; the ALPR_UI_PIN_TRIES_MAX-th
 * failure in a row locks for ALPR_UI_PIN_LOCKOUT_US (and returns true). */
bool alpr_ui_pin_guard_record(struct alpr_ui_pin_guard *g, bool ok, int64_t now);
