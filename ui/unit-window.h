/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * unit-window.h: the patrol window fed by the live unit runtime (alpr-unit without
 * --headless). The glue between app/unit.h and the GTK window (alpr-ui.h); plain C types
 * only, so alpr-unit's main.c stays free of GLib.
 *
 * What crosses, and how:
 * - read, hit and status events: the unit's bus calls a subscriber on its pipeline or status
 *   thread; the subscriber copies the event into the window's push calls (alpr_ui_push_*),
 *   which hand the copy to the GTK main loop with g_idle_add. No GTK call is made off the
 *   main thread.
 * - frames: a frame tap on the recognition workers. The window thins them to
 *   ALPR_UI_TILE_FPS per camera before copying; the glue also keeps, per camera, a ring of
 *   the last CROP_RING plate crops (small grey copies, allocated once) so that a read, which
 *   the tracker emits a second or more after its best frame, gets that frame's crop: the
 *   image the officer checks the plate against on the hit card.
 * - the officer's actions go through the runtime's audited entry points (unit.h), from the
 *   window's hooks on the GTK main thread (unit-window-private.h): each sign-in attempt and
 *   sign-out (lock, idle lock, closing), each verification, each disposition step (to the
 *   unit's store, with the signed-in officer; the store stamps the time), and "New wanted"
 *   entries (to the unit's hotlist, "officer" list, matched from the next read on). A
 *   refusal is audited by the runtime and its one line shown to the officer; the hit or
 *   the form stays as it was.
 *
 * Life cycle: unit_window_run() takes a created, not yet started unit, subscribes to it,
 * opens the window, starts the unit on a runtime thread (which then waits for it: the
 * cameras ending, or a stop), and returns when the window is closed, SIGINT or SIGTERM
 * arrives, or the duration passes. It stops the unit, joins the runtime thread and closes
 * the window before returning; the caller then destroys the unit. The window stays open
 * after a replay ends (its status bar says so) until it is closed.
 *
 * Ownership: the options and everything they point at are borrowed for the call.
 *
 * Errors: 0 when the window ran; -ENXIO when no display can be opened (DISPLAY or
 * WAYLAND_DISPLAY unset or unreachable); -EINVAL for bad options (no officers); the
 * unit's own error when it fails to start. A one-line reason goes into @err.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "officers.h"
#include "unit.h"

struct unit_window_options {
	const struct officers *officers; /* who may sign in; required */
	const char *unit_name;           /* in the status bar; NULL: the unit id */
	bool night;                      /* start in the night theme */
	bool fullscreen;                 /* the car's screen; else width x height */
	int width, height;               /* 0: 1280 x 800 */
	int64_t duration_us;             /* close the window after this long; 0: never */
	bool close_at_end;               /* close it once every camera has ended (replays:
					    demos and tests); else it stays for open hits */
	int64_t idle_lock_us;            /* as alpr_ui_options; 0: 5 min; < 0: never */
	/* Tests: called on the main thread once the window is shown and the unit started,
	 * with the AlprPatrolWindow (a void pointer: this header has no GTK). */
	void (*on_window)(void *window, void *userdata);
	void *userdata;
};

int unit_window_run(struct unit *u, const struct unit_window_options *opts, char *err,
		    size_t errsz);

/* Tests: closes the window run by unit_window_run() from the main thread, as the officer
 * closing it would. */
void unit_window_quit(void *window);
