/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * unit-window-private.h: the glue's side of the patrol window's officer actions (ui/ and
 * tests only). The window calls its alpr_ui_options hooks (alpr-ui.h); the glue points them
 * at the runtime's audited entry points (app/unit.h), so that window mode audits what
 * headless mode audits: sign-in (accepted or refused) and sign-out, each verification,
 * disposition and officer entry, each with the officer's id (unit-audit.h says what the
 * records hold). Kept apart from unit_window_run() so that tests reach it without a display.
 *
 * Threads: the hooks run on the GTK main thread; the unit_*() actions they call take any
 * thread. Ownership: @a and what it points at are borrowed and must outlive the window.
 */
#pragma once

#include "alpr-ui.h"
#include "officers.h"
#include "unit.h"

/* The hooks' userdata. */
struct unit_window_actions {
	struct unit *unit;               /* created; its audit log, store and hotlist are used */
	const struct officers *officers; /* who may sign in */
};

/* Sets @o's authenticate (officers_check()) and officer-action hooks, with @a as userdata.
 * Which hooks are set follows what the unit opened:
 *   - with an audit log: on_sign_in, on_sign_out (unit_sign_in(), unit_sign_out());
 *   - with a log and a store: on_verify, on_disposition (unit_verify_hit(),
 *     unit_dispose_hit()), each refusal audited and its one line shown on the card;
 *   - with a log and a hotlist: on_officer_entry (unit_officer_entry(): added, audited,
 *     and checked against past reads).
 * The rest stay NULL, the window's standalone behaviour: a unit without a store has no log
 * (and keeps no dispositions), and one with --audit but no store still adds officer entries
 * audited but cannot check or dispose hits it never stored. */
void unit_window_set_actions(struct unit_window_actions *a, struct alpr_ui_options *o);
