/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-ui.h: the officer's touchscreen UI (GTK4): the patrol window, the hit card, sign-in
 * and the screen lock, and the officer's "New wanted" form.
 *
 * The runtime creates one AlprPatrolWindow and feeds it from its event bus with the
 * alpr_ui_push_*() calls. The officer's actions (sign-in and out, verification,
 * dispositions, "New wanted" entries) go back through hooks the runtime supplies, which
 * audit them (struct alpr_ui_options); without hooks, dispositions go to the store
 * (store_set_disposition) and officer entries to the hotlist's "officer" list directly.
 *
 * Threads: alpr_patrol_window_new() and every alpr_patrol_window_*() function run on the GTK
 * main thread. The alpr_ui_push_*() calls may be made from any thread: each copies what it
 * needs before it returns (the caller's pointers may die right after) and hands the copy to
 * the GTK main loop (g_idle_add), in call order. Frames are thinned to ALPR_UI_TILE_FPS per
 * camera before anything is copied.
 *
 * Ownership: the window borrows the hotlist, store, policy and clock in its options; they
 * must outlive it. Strings in the options are copied.
 *
 * Errors: GTK code reports through GError (domain ALPR_UI_ERROR, code a negative errno or
 * -ALPR_E_*) and shows the officer a one-line message; nothing in the UI asserts on an
 * environment failure (no sound device, a store write refused, a missing crop).
 */
#pragma once

#include <gtk/gtk.h>

#include "common.h"
#include "hotlist.h"
#include "store.h"
#include "ui-model.h"

G_BEGIN_DECLS

#define ALPR_UI_ERROR (alpr_ui_error_quark())
GQuark alpr_ui_error_quark(void);

/* Camera tiles refresh at this rate at most: enough to see the scene, cheap on two cores. */
#define ALPR_UI_TILE_FPS 4
/* Cameras shown, at most (the unit has 2 to 4). */
#define ALPR_UI_CAMERAS_MAX 4
/* Recent reads kept in the strip: more than fit on screen, so a glance back works. */
#define ALPR_UI_RECENT_MAX 12
/* Frames are shrunk (whole-pixel steps) to at most this wide before they cross to the main
 * loop: a tile is at most about 900 px wide on the unit's screen, and the main thread turns
 * each shown frame into an RGB texture. */
#define ALPR_UI_TILE_WIDTH_MAX 800
/* Plate boxes drawn per frame. */
#define ALPR_UI_BOXES_MAX 8

struct alpr_ui_options {
	struct hotlist *hotlist;        /* officer entries go here; NULL disables the form */
	struct store *store;            /* dispositions go here unless on_disposition is set */
	const struct policy *policy;    /* maximum hotlist age; may be NULL */
	const struct alpr_clock *clock; /* NULL: real time */
	/* Checks an officer id and PIN at sign-in and unlock: 0 to accept. Required. */
	int (*authenticate)(const char *officer, const char *pin, void *userdata);

	/* The officer's actions, for the runtime's audit log (app/unit.h: unit_sign_in() and
	 * the others). Every hook is optional: NULL keeps the standalone behaviour noted with
	 * it (alpr-ui-demo sets none but authenticate).
	 * Threads: each is called on the GTK main thread, at the moment the officer acts, and
	 * must return promptly (an audit append, a store write).
	 * Ownership: the strings and the entry are borrowed for the call; @userdata must outlive
	 * the window (on_sign_out runs when the window is disposed).
	 * Errors: 0 or a negative errno. A hook with @err writes one line there; the window
	 * shows it to the officer ("Not verified: ...", "Not saved: ...", "Not added: ...") and
	 * applies nothing: the hit keeps its state and stays on the card, the form keeps its
	 * fields, and the officer can tap again. Without a line, the errno's text is shown. */

	/* Every sign-in attempt (the keypad, unlock, alpr_patrol_window_sign_in()), accepted or
	 * refused: a wrong PIN, an empty field, an attempt during a PIN lockout. @officer is
	 * the id as entered when it is a valid id, else "(invalid)"; @reason (NULL when
	 * accepted) says why not, one line, never the PIN. An error is logged and shown on the
	 * patrol page but never refuses the sign-in: a failing log must not keep an officer
	 * from hits waiting behind the lock. NULL: nothing. */
	int (*on_sign_in)(const char *officer, bool accepted, const char *reason, void *userdata);
	/* The signed-in officer leaves: the Lock button, the idle lock, another officer signing
	 * in over them, or the window closing (disposed) while signed in. Once per sign-in; an
	 * error is logged. NULL: nothing. */
	int (*on_sign_out)(const char *officer, void *userdata);
	/* The officer's visual check of the hit on @read_id: the card's "Plate and state match
	 * the image" (@match true). 0: the hit becomes VERIFIED and the dispositions appear.
	 * NULL: the check is kept in the window only. */
	int (*on_verify)(const char *read_id, const char *officer, bool match, char *err,
			 size_t errsz, void *userdata);
	/* Records one step of a disposition (a status of the store's state machine); a two-step
	 * disposition retried after a failure asks again only for the missing step. NULL:
	 * store_set_disposition() on @store (unaudited); with no store either, nothing is kept
	 * (logged) and the hit leaves. */
	int (*on_disposition)(const char *read_id, enum store_hit_status status,
			      const char *officer, char *err, size_t errsz, void *userdata);
	/* A "New wanted" entry (list "officer", source officer, entered_by the officer), added
	 * in place of hotlist_add() on @hotlist; the window creates the officer list there
	 * first when it is missing. 0: added. NULL: hotlist_add(). Called (like
	 * hotlist_add() in its place) on a worker thread, one entry at a time, so that a slow
	 * add does not stop the window: it must be safe to call from any thread. */
	int (*on_officer_entry)(const struct hotlist_entry *e, const char *officer, char *err,
				size_t errsz, void *userdata);
	void *userdata;          /* for every hook above */
	const char *unit_name;   /* shown in the status bar; NULL: "unit" */
	const char *sound_path;  /* the alert WAV; NULL: alert.wav in alpr_datadir() (where
				    meson install puts it), else the one in the build tree */
	const char *audio_sink;  /* GStreamer sink for the alert; NULL: $ALPR_UI_AUDIO_SINK or
				    autoaudiosink ("fakesink" where there is no sound card) */
	int64_t idle_lock_us;    /* lock after this long untouched; 0: 5 minutes; < 0: never */
	int64_t shift_us;        /* default expiry of officer entries from sign-in; 0: 10 h */
	int64_t verify_guard_us; /* a new card ignores taps on its check button this long (so
				    a tap meant for the previous card cannot verify it); 0: 0.7 s,
				    < 0: none */
	int64_t notice_us;       /* a confirmation in the patrol page's notice line ("Added
				    ...") goes after this long; 0: 10 s. Warnings stay. */
	bool night;              /* start in the night theme */
	bool fullscreen;         /* full screen (the car); else width x height */
	int width, height;       /* 0: 1280 x 800 */
};

/* ---- events from the runtime (any thread) ---------------------------------------------- */

struct alpr_ui_camera_status {
	char name[STORE_CAMERA_MAX + 1];
	bool ok;
	double fps;
	char message[64]; /* "no signal", "restarting": shown when !ok */
};

struct alpr_ui_status {
	size_t ncameras;
	struct alpr_ui_camera_status cameras[ALPR_UI_CAMERAS_MAX];
	bool gps_enabled;
	enum store_fix_mode gps_mode;
	int64_t gps_fix_age_us; /* < 0: no fix yet */
	bool hotlist_enabled;
	uint64_t hotlist_version;
	int64_t hotlist_generated_at; /* of the oldest list in use; 0: unknown */
	char sync[64];                /* "synced 3 min ago", "offline: 120 waiting" */
	bool sync_ok;
	uint64_t store_used_bytes, store_map_bytes;
	bool store_full;
};

typedef struct _AlprPatrolWindow AlprPatrolWindow;

/* A read for the strip: plate, camera, time, state, crop (copied). */
void alpr_ui_push_read(AlprPatrolWindow *win, const struct store_read *r);
/* A hit: the read (with its crop) and its best match. Takes over the screen with the alert
 * sound; queued newest first behind a card the officer has already verified. */
void alpr_ui_push_hit(AlprPatrolWindow *win, const struct store_read *r,
		      const struct hotlist_match *m);
void alpr_ui_push_status(AlprPatrolWindow *win, const struct alpr_ui_status *st);
/* A GRAY8 frame of @camera (@stride bytes per row) with plate boxes (frame pixels); thinned
 * to ALPR_UI_TILE_FPS per camera (a dropped frame costs no copy), and a kept one shrunk to
 * ALPR_UI_TILE_WIDTH_MAX as it is copied. */
void alpr_ui_push_frame(AlprPatrolWindow *win, const char *camera, const uint8_t *gray, int width,
			int height, int stride, const struct store_box *boxes, size_t nboxes);

/* ---- the window (GTK main thread) ------------------------------------------------------ */

#define ALPR_TYPE_PATROL_WINDOW (alpr_patrol_window_get_type())
G_DECLARE_FINAL_TYPE(AlprPatrolWindow, alpr_patrol_window, ALPR, PATROL_WINDOW,
		     GtkApplicationWindow)

/* @opts is copied (the pointers in it are borrowed). */
AlprPatrolWindow *alpr_patrol_window_new(GtkApplication *app, const struct alpr_ui_options *opts);

void alpr_patrol_window_set_night(AlprPatrolWindow *win, bool night);
bool alpr_patrol_window_get_night(AlprPatrolWindow *win);
/* Signs an officer in as the sign-in screen does (for the runtime's own login, and tests).
 * FALSE with @error when refused. */
gboolean alpr_patrol_window_sign_in(AlprPatrolWindow *win, const char *officer, const char *pin,
				    GError **error);
/* Locks now (the idle timer does this on its own). */
void alpr_patrol_window_lock(AlprPatrolWindow *win);
/* The signed-in officer, or NULL. */
const char *alpr_patrol_window_get_officer(AlprPatrolWindow *win);
/* Runs queued pushes now (they normally run from the main loop's idle). */
void alpr_patrol_window_flush(AlprPatrolWindow *win);
/* TRUE when the alert sound's GStreamer pipeline was built (else hits are silent, and the
 * reason was logged). */
gboolean alpr_patrol_window_sound_ready(AlprPatrolWindow *win);
/* The hit queue (borrowed; for the runtime's shutdown check and tests). */
const struct alpr_ui_hit_queue *alpr_patrol_window_get_queue(AlprPatrolWindow *win);

/* ---- helpers --------------------------------------------------------------------------- */

/* The widget named @name (gtk_widget_set_name) under @root, or NULL. */
GtkWidget *alpr_ui_find(GtkWidget *root, const char *name);
/* @w rendered as it is on screen (its native's renderer), or NULL with @error. */
GdkTexture *alpr_ui_render(GtkWidget *w, GError **error);
/* Renders @w to a PNG file. */
gboolean alpr_ui_save_png(GtkWidget *w, const char *path, GError **error);

G_END_DECLS
