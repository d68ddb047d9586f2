/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * unit-window.c: the live runtime into the patrol window (unit-window.h). Threads: the bus
 * subscriber runs on the unit's pipeline and status threads (serialised by the bus), the
 * frame tap on its recognition workers (concurrently), everything GTK on the main thread.
 */
#include <glib-unix.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <signal.h>
#include <string.h>

#include "ui-private.h"
#include "unit-window-private.h"
#include "unit-window.h"

/* Plate crops kept per camera. A read arrives when its track closes: up to a few seconds of
 * pass plus the tracker's close gap after its best frame; at 15 fps with two plates seen per
 * frame that is under 200 crops. */
#define CROP_RING 256
/* A kept crop, at most (larger boxes are subsampled): about 19 KiB, so a camera's ring is
 * under 5 MiB, allocated once. On the card it is shown at about this size. */
#define CROP_W_MAX 240
#define CROP_H_MAX 80

struct crop_slot {
	uint64_t seq; /* 0: empty */
	int x, y, w, h;
	int cw, ch;
	uint8_t px[CROP_W_MAX * CROP_H_MAX];
};

struct crop_ring {
	char camera[STORE_CAMERA_MAX + 1]; /* "": unused */
	struct crop_slot *slots;           /* CROP_RING, allocated at the camera's first frame */
	size_t next;
};

struct glue {
	struct unit *unit;
	const struct unit_window_options *opts;
	struct unit_window_actions actions; /* the window's hooks' userdata */
	AlprPatrolWindow *win; /* a reference, set before the unit starts, dropped after join */
	GMainLoop *loop;       /* no GtkApplication: a kiosk needs no D-Bus session or uniqueness */
	GThread *runtime;
	guint duration_source;
	int start_error; /* from the runtime thread */
	char err[256];

	GMutex crop_lock; /* the rings: written by the workers, read by the pipeline thread */
	struct crop_ring rings[ALPR_UI_CAMERAS_MAX];

	/* The last read's encoded crop, for its hit (pipeline thread only: the bus emits a
	 * read and then its hit from the same call). */
	char last_id[STORE_ID_MAX + 1];
	GByteArray *last_crop;
};

/* ---- crops ----------------------------------------------------------------------------- */

static struct crop_ring *ring_for(struct glue *g, const char *camera, bool create)
{
	for (size_t i = 0; i < ALPR_UI_CAMERAS_MAX; i++) {
		if (strcmp(g->rings[i].camera, camera) == 0) {
			return &g->rings[i];
		}
	}
	if (!create) {
		return NULL;
	}
	for (size_t i = 0; i < ALPR_UI_CAMERAS_MAX; i++) {
		if (!g->rings[i].camera[0]) {
			alpr_strlcpy(g->rings[i].camera, camera, sizeof(g->rings[i].camera));
			g->rings[i].slots = g_new0(struct crop_slot, CROP_RING);
			return &g->rings[i];
		}
	}
	return NULL;
}

/* A margin around the box: the officer sees the plate's edges, and a character the box cut
 * off. */
static void crop_rect(const struct unit_frame *f, const struct unit_frame_plate *p, int *x0,
		      int *y0, int *x1, int *y1)
{
	int mx = p->w / 8 + 2, my = p->h / 4 + 2;

	*x0 = MAX(0, p->x - mx);
	*y0 = MAX(0, p->y - my);
	*x1 = MIN(f->width, p->x + p->w + mx);
	*y1 = MIN(f->height, p->y + p->h + my);
}

static void keep_crops(struct glue *g, const struct unit_frame *f)
{
	struct crop_ring *ring;

	g_mutex_lock(&g->crop_lock);
	ring = ring_for(g, f->camera, true);
	for (size_t i = 0; ring && i < f->nplates; i++) {
		const struct unit_frame_plate *p = &f->plates[i];
		struct crop_slot *s;
		int x0, y0, x1, y1, sw, sh, step;

		if (!p->text[0] || p->w <= 0 || p->h <= 0) {
			continue; /* a state name row, or nothing */
		}
		crop_rect(f, p, &x0, &y0, &x1, &y1);
		sw = x1 - x0;
		sh = y1 - y0;
		if (sw <= 0 || sh <= 0) {
			continue;
		}
		/* Whole-pixel subsampling keeps it cheap on the worker; plates are rarely
		 * larger than the cap at 720p. */
		step = MAX((sw + CROP_W_MAX - 1) / CROP_W_MAX, (sh + CROP_H_MAX - 1) / CROP_H_MAX);
		s = &ring->slots[ring->next];
		ring->next = (ring->next + 1) % CROP_RING;
		s->seq = f->seq;
		/* As the runtime stores a read's box (clamped at 0), so that the read finds it. */
		s->x = MAX(p->x, 0);
		s->y = MAX(p->y, 0);
		s->w = MAX(p->w, 0);
		s->h = MAX(p->h, 0);
		s->cw = sw / step;
		s->ch = sh / step;
		for (int y = 0; y < s->ch; y++) {
			const uint8_t *src = f->gray + (size_t)(y0 + y * step) * (size_t)f->stride;
			uint8_t *dst = s->px + (size_t)y * (size_t)s->cw;
			for (int x = 0; x < s->cw; x++) {
				dst[x] = src[x0 + x * step];
			}
		}
	}
	g_mutex_unlock(&g->crop_lock);
}

static void free_pixels(guchar *pixels, gpointer data)
{
	g_free(pixels);
}

/* The read's crop as PNG (the encoding the store and the card use), or NULL when its frame
 * has left the ring. */
static GByteArray *crop_for(struct glue *g, const struct unit_read *rd)
{
	const struct store_read *r = &rd->r;
	struct crop_ring *ring;
	g_autoptr(GdkPixbuf) pb = NULL;
	g_autoptr(GError) error = NULL;
	gchar *buf = NULL;
	gsize len = 0;
	guchar *rgb = NULL;
	int cw = 0, ch = 0;
	GByteArray *out;

	g_mutex_lock(&g->crop_lock);
	ring = ring_for(g, r->camera, false);
	for (size_t i = 0; ring && i < CROP_RING && !rgb; i++) {
		const struct crop_slot *s = &ring->slots[i];

		if (s->seq != rd->frame_seq || s->x != (int)r->box.x || s->y != (int)r->box.y ||
		    s->w != (int)r->box.w || s->h != (int)r->box.h) {
			continue;
		}
		cw = s->cw;
		ch = s->ch;
		rgb = g_malloc((size_t)cw * (size_t)ch * 3);
		for (size_t k = 0; k < (size_t)cw * (size_t)ch; k++) {
			rgb[3 * k] = rgb[3 * k + 1] = rgb[3 * k + 2] = s->px[k];
		}
	}
	g_mutex_unlock(&g->crop_lock);
	if (!rgb) {
		alpr_debug("ui", "read %s: its frame's crop has left the ring", r->id);
		return NULL;
	}
	pb = gdk_pixbuf_new_from_data(rgb, GDK_COLORSPACE_RGB, FALSE, 8, cw, ch, cw * 3,
				      free_pixels, NULL);
	if (!gdk_pixbuf_save_to_buffer(pb, &buf, &len, "png", &error, NULL)) {
		alpr_warn("ui", "read %s: crop not encoded: %s", r->id, error->message);
		return NULL;
	}
	out = g_byte_array_new_take((guint8 *)buf, len);
	return out;
}

/* ---- events (unit threads) ------------------------------------------------------------- */

static void on_frame(const struct unit_frame *f, void *userdata)
{
	struct glue *g = userdata;
	struct store_box boxes[UNIT_FRAME_PLATES_MAX];
	size_t n = 0;

	keep_crops(g, f);
	for (size_t i = 0; i < f->nplates; i++) {
		if (f->plates[i].text[0]) {
			boxes[n++] = (struct store_box){f->plates[i].x, f->plates[i].y,
							f->plates[i].w, f->plates[i].h};
		}
	}
	alpr_ui_push_frame(g->win, f->camera, f->gray, f->width, f->height, f->stride, boxes, n);
}

static void sync_text(const struct unit_status *st, struct alpr_ui_status *o)
{
	char age[32];

	o->sync_ok = true;
	if (!st->sync_enabled) {
		snprintf(o->sync, sizeof(o->sync), "off");
		return;
	}
	if (st->sync.last_sync_at > 0) {
		alpr_ui_age_text(st->at_us - st->sync.last_sync_at, age, sizeof(age));
	}
	if (st->sync.state && strcmp(st->sync.state, "ok") == 0) {
		snprintf(o->sync, sizeof(o->sync), "%s ago", age);
	} else if (st->sync.state && strcmp(st->sync.state, "starting") == 0) {
		snprintf(o->sync, sizeof(o->sync), "starting");
	} else {
		o->sync_ok = false;
		snprintf(o->sync, sizeof(o->sync), "offline: %" G_GUINT64_FORMAT " waiting",
			 st->sync.queue_depth);
	}
}

static void to_ui_status(const struct unit_status *st, struct alpr_ui_status *o)
{
	memset(o, 0, sizeof(*o));
	o->ncameras = MIN(st->ncameras, (size_t)ALPR_UI_CAMERAS_MAX);
	for (size_t i = 0; i < o->ncameras; i++) {
		const struct unit_camera_status *c = &st->cameras[i];
		struct alpr_ui_camera_status *oc = &o->cameras[i];

		alpr_strlcpy(oc->name, c->name, sizeof(oc->name));
		oc->ok = c->stats.state == CAPTURE_RUNNING || c->stats.state == CAPTURE_STARTING;
		if (!oc->ok) {
			/* "ended" for a replay at its end, "failed", "retrying": the officer
			 * must know this camera reads nothing now. */
			snprintf(oc->message, sizeof(oc->message), "%s",
				 st->final && c->stats.state == CAPTURE_STOPPED
					 ? "stopped"
					 : capture_state_name(c->stats.state));
		}
	}
	o->gps_enabled = st->gps_enabled;
	o->gps_fix_age_us = -1;
	o->gps_mode = STORE_FIX_NONE;
	if (st->gps_enabled && (st->gps.state == GPS_FIX_2D || st->gps.state == GPS_FIX_3D)) {
		o->gps_mode = st->gps.state == GPS_FIX_3D ? STORE_FIX_3D : STORE_FIX_2D;
		o->gps_fix_age_us = st->gps.age_ms >= 0 ? st->gps.age_ms * 1000 : -1;
	}
	o->hotlist_enabled = st->hotlist_enabled;
	/* The oldest list decides the age warning (the policy's maximum applies to each);
	 * its version is the one shown. */
	for (size_t i = 0; i < st->nlists; i++) {
		if (!o->hotlist_generated_at ||
		    st->lists[i].generated_at < o->hotlist_generated_at) {
			o->hotlist_generated_at = st->lists[i].generated_at;
			o->hotlist_version = st->lists[i].version;
		}
	}
	sync_text(st, o);
	if (st->store_enabled) {
		o->store_used_bytes = st->store.used_bytes;
		o->store_map_bytes = st->store.map_bytes;
	}
	o->store_full = st->store_full;
}

static void on_event(const struct unit_event *ev, void *userdata)
{
	struct glue *g = userdata;

	switch (ev->type) {
	case UNIT_EVENT_READ: {
		struct store_read r = ev->read->r;

		/* The final vote of a pass whose hit came early: the strip already shows that
		 * read (same id), and its hit card is up; a second row would count one car
		 * twice. The stored read is the updated one. */
		if (ev->read->update) {
			break;
		}
		g_clear_pointer(&g->last_crop, g_byte_array_unref);
		g->last_crop = crop_for(g, ev->read);
		alpr_strlcpy(g->last_id, r.id, sizeof(g->last_id));
		if (g->last_crop) {
			r.crop = g->last_crop->data;
			r.crop_len = g->last_crop->len;
			r.crop_format = STORE_CROP_PNG;
		}
		alpr_ui_push_read(g->win, &r);
		break;
	}
	case UNIT_EVENT_HIT: {
		struct store_read r = ev->hit->read->r;

		if (g->last_crop && strcmp(g->last_id, r.id) == 0) {
			r.crop = g->last_crop->data;
			r.crop_len = g->last_crop->len;
			r.crop_format = STORE_CROP_PNG;
		}
		alpr_ui_push_hit(g->win, &r, &ev->hit->match);
		break;
	}
	case UNIT_EVENT_STATUS: {
		struct alpr_ui_status *st = g_new(struct alpr_ui_status, 1);

		to_ui_status(ev->status, st);
		alpr_ui_push_status(g->win, st);
		g_free(st);
		break;
	}
	}
}

/* ---- the runtime thread ---------------------------------------------------------------- */

static gboolean on_runtime_failed(gpointer data)
{
	struct glue *g = data;

	g_main_loop_quit(g->loop);
	return G_SOURCE_REMOVE;
}

static gboolean on_runtime_ended(gpointer data)
{
	struct glue *g = data;

	g_main_loop_quit(g->loop);
	return G_SOURCE_REMOVE;
}

static gpointer runtime_main(gpointer data)
{
	struct glue *g = data;
	int r = unit_start(g->unit);

	if (r < 0) {
		g->start_error = r;
		g_idle_add(on_runtime_failed, g);
		return NULL;
	}
	/* Every camera ended (a replay) or a stop was asked for. The final status reaches the
	 * window through the bus; the window stays for the officer's open hits. */
	unit_wait(g->unit);
	alpr_info("ui", "the unit stopped: every camera ended or a stop was requested");
	if (g->opts->close_at_end) {
		g_idle_add(on_runtime_ended, g);
	}
	return NULL;
}

/* ---- the officer's actions (GTK main thread; unit-window-private.h) --------------------- */

static int authenticate(const char *officer, const char *pin, void *userdata)
{
	struct unit_window_actions *a = userdata;

	return officers_check(a->officers, officer, pin);
}

static int act_sign_in(const char *officer, bool accepted, const char *reason, void *userdata)
{
	struct unit_window_actions *a = userdata;

	return unit_sign_in(a->unit, officer, accepted, reason);
}

static int act_sign_out(const char *officer, void *userdata)
{
	struct unit_window_actions *a = userdata;

	return unit_sign_out(a->unit, officer);
}

static int act_verify(const char *read_id, const char *officer, bool match, char *err, size_t errsz,
		      void *userdata)
{
	struct unit_window_actions *a = userdata;

	return unit_verify_hit(a->unit, read_id, officer, match, err, errsz);
}

static int act_dispose(const char *read_id, enum store_hit_status status, const char *officer,
		       char *err, size_t errsz, void *userdata)
{
	struct unit_window_actions *a = userdata;

	return unit_dispose_hit(a->unit, read_id, status, officer, err, errsz);
}

static int act_officer_entry(const struct hotlist_entry *e, const char *officer, char *err,
			     size_t errsz, void *userdata)
{
	struct unit_window_actions *a = userdata;
	uint64_t nhits = 0;
	int r = unit_officer_entry(a->unit, e, officer, &nhits, err, errsz);

	if (r == 0 && nhits > 0) {
		/* Historical hits are an investigator's (audited as such), not the officer's. */
		alpr_info("ui", "officer entry by %s: %" G_GUINT64_FORMAT " past reads match",
			  officer, nhits);
	}
	return r;
}

void unit_window_set_actions(struct unit_window_actions *a, struct alpr_ui_options *o)
{
	bool audited = unit_audit(a->unit) != NULL;

	o->authenticate = authenticate;
	o->on_sign_in = audited ? act_sign_in : NULL;
	o->on_sign_out = audited ? act_sign_out : NULL;
	o->on_verify = audited && unit_get_store(a->unit) ? act_verify : NULL;
	o->on_disposition = audited && unit_get_store(a->unit) ? act_dispose : NULL;
	o->on_officer_entry = audited && unit_get_hotlist(a->unit) ? act_officer_entry : NULL;
	o->userdata = a;
}

/* ---- the application ------------------------------------------------------------------- */

static gboolean on_quit_signal(gpointer data)
{
	struct glue *g = data;

	alpr_info("ui", "signal: closing the patrol window");
	g_main_loop_quit(g->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean on_duration(gpointer data)
{
	struct glue *g = data;

	g->duration_source = 0;
	g_main_loop_quit(g->loop);
	return G_SOURCE_REMOVE;
}

static gboolean on_close_request(GtkWindow *win, gpointer data)
{
	struct glue *g = data;

	g_main_loop_quit(g->loop);
	return TRUE; /* unit_window_run() destroys it once the unit has stopped */
}

static gboolean on_start(gpointer data)
{
	struct glue *g = data;
	struct alpr_ui_options o = {0};
	o.hotlist = unit_get_hotlist(g->unit);
	o.store = unit_get_store(g->unit);
	o.policy = unit_get_policy(g->unit);
	o.clock = unit_get_clock(g->unit);
	unit_window_set_actions(&g->actions, &o);
	o.unit_name = g->opts->unit_name;
	o.night = g->opts->night;
	o.fullscreen = g->opts->fullscreen;
	o.width = g->opts->width;
	o.height = g->opts->height;
	o.idle_lock_us = g->opts->idle_lock_us;
	g->win = g_object_ref_sink(alpr_patrol_window_new(NULL, &o));
	g_signal_connect(g->win, "close-request", G_CALLBACK(on_close_request), g);
	gtk_window_present(GTK_WINDOW(g->win));
	alpr_info("ui", "patrol window open (%s theme); sign in to see hits",
		  o.night ? "night" : "day");
	/* The pushes need the window, so the unit starts only now. */
	g->runtime = g_thread_new("alpr-runtime", runtime_main, g);
	if (g->opts->duration_us > 0) {
		g->duration_source =
			g_timeout_add((guint)MIN(g->opts->duration_us / 1000, (int64_t)G_MAXUINT),
				      on_duration, g);
	}
	if (g->opts->on_window) {
		g->opts->on_window(g->win, g->opts->userdata);
	}
	return G_SOURCE_REMOVE;
}

void unit_window_quit(void *window)
{
	/* As the officer closing it: the close-request handler ends the loop. */
	gtk_window_close(GTK_WINDOW(window));
}

int unit_window_run(struct unit *u, const struct unit_window_options *opts, char *err, size_t errsz)
{
	struct glue g = {.unit = u, .opts = opts};
	guint sigs[2];
	int r;

	if (!u || !opts || !opts->officers || officers_count(opts->officers) == 0) {
		snprintf(err, errsz,
			 "the patrol window needs the officers who may sign in "
			 "(--officers FILE)");
		return -EINVAL;
	}
	/* Without either variable GTK cannot connect anywhere: say so before it starts up
	 * (its failed start leaves fontconfig allocations behind). */
	if ((!g_getenv("DISPLAY") || !*g_getenv("DISPLAY")) &&
	    (!g_getenv("WAYLAND_DISPLAY") || !*g_getenv("WAYLAND_DISPLAY"))) {
		snprintf(err, errsz,
			 "cannot open the patrol window: no display (DISPLAY or WAYLAND_DISPLAY); "
			 "use --headless");
		return -ENXIO;
	}
	if (!gtk_init_check()) {
		snprintf(err, errsz,
			 "cannot open the patrol window: the display does not answer (DISPLAY or "
			 "WAYLAND_DISPLAY); use --headless");
		return -ENXIO;
	}
	g.actions.unit = u;
	g.actions.officers = opts->officers;
	g_mutex_init(&g.crop_lock);
	r = unit_subscribe(u, on_event, &g);
	if (r == 0) {
		r = unit_set_frame_tap(u, on_frame, &g);
	}
	if (r < 0) {
		snprintf(err, errsz, "the unit: %s", alpr_strerror(r));
		g_mutex_clear(&g.crop_lock);
		return r;
	}
	g.loop = g_main_loop_new(NULL, FALSE);
	sigs[0] = g_unix_signal_add(SIGINT, on_quit_signal, &g);
	sigs[1] = g_unix_signal_add(SIGTERM, on_quit_signal, &g);
	g_idle_add(on_start, &g);
	g_main_loop_run(g.loop);
	g_source_remove(sigs[0]);
	g_source_remove(sigs[1]);

	/* Stop the unit first: its last events may still push to the window, which stays
	 * alive (our reference) until the runtime thread is joined and the pushes are run. */
	unit_request_stop(u);
	if (g.runtime) {
		g_thread_join(g.runtime);
	}
	if (g.duration_source) {
		g_source_remove(g.duration_source);
	}
	/* A start failure's or the end's idle that did not run: it must not outlive @g. */
	while (g_source_remove_by_user_data(&g)) {
	}
	r = g.start_error;
	if (r < 0) {
		snprintf(err, errsz, "start: %s", alpr_strerror(r));
	}
	if (g.win) {
		const struct alpr_ui_hit_queue *q = alpr_patrol_window_get_queue(g.win);
		size_t open = alpr_ui_hit_queue_len(q);

		if (open > 0) {
			/* They are in the store, unverified: nothing is lost, but say so. */
			alpr_warn("ui",
				  "closing with %zu hit%s not disposed (stored as unverified)",
				  open, open == 1 ? "" : "s");
		}
		alpr_patrol_window_flush(g.win);
		gtk_window_destroy(GTK_WINDOW(g.win));
		alpr_patrol_window_flush(g.win);
		g_object_unref(g.win);
	}
	g_main_loop_unref(g.loop);
	g_clear_pointer(&g.last_crop, g_byte_array_unref);
	for (size_t i = 0; i < ALPR_UI_CAMERAS_MAX; i++) {
		g_free(g.rings[i].slots);
	}
	g_mutex_clear(&g.crop_lock);
	return r;
}
