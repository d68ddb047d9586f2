/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * demo-data.h: feeds an AlprPatrolWindow from the project's demo data, through the same
 * alpr_ui_push_*() calls the runtime uses: data/demo/hotlist.csv imported into a hotlist in a
 * work folder, data/demo/reads.tsv matched against it and stored (with rendered plate crops)
 * in a store there, two synthetic camera scenes, and a status. For alpr-ui-demo, the
 * screenshot script and the ui tests. GTK main thread only.
 */
#pragma once

#include "alpr-ui.h"

/* Officers the demo accepts (authenticate callback). */
#define ALPR_UI_DEMO_OFFICER "4471"
#define ALPR_UI_DEMO_PIN     "2580"

struct alpr_ui_demo;

/* Opens policy "default", a hotlist and a store under @workdir (which must exist). */
int alpr_ui_demo_open(const char *workdir, struct alpr_ui_demo **out, char *err, size_t errsz);
void alpr_ui_demo_close(struct alpr_ui_demo *d);
/* Fills the data members of @o (hotlist, store, policy, authenticate, userdata). */
void alpr_ui_demo_options(struct alpr_ui_demo *d, struct alpr_ui_options *o);
/* Pushes a status and one frame per camera. */
void alpr_ui_demo_push_scene(struct alpr_ui_demo *d, AlprPatrolWindow *w);
/* Matches and stores every demo read, pushes each to the strip and, when @hits, every hit;
 * the hit on entry plate @top (if any) is pushed last, so it is the newest. Returns the
 * number of hits found (pushed or not), or a negative errno. */
int alpr_ui_demo_push_reads(struct alpr_ui_demo *d, AlprPatrolWindow *w, bool hits,
			    const char *top);
/* Runs the main loop until @widget has been drawn @n more times (at most 5 s). */
void alpr_ui_demo_wait_frames(GtkWidget *widget, int n);
