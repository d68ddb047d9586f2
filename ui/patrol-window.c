/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * patrol-window.c: AlprPatrolWindow, the whole officer UI in one window with four pages:
 * sign-in (also the lock screen), patrol (status bar, camera tiles, recent reads), the hit
 * card, and the "New wanted" form. Hits take the screen from patrol and from the form; on
 * the lock screen they wait (with the sound) until an officer signs in.
 */
#include <string.h>

#include "ui-private.h"

#define IDLE_LOCK_DEFAULT    (5 * ALPR_USEC_PER_MIN)
#define NOTICE_DEFAULT       (10 * ALPR_USEC_PER_SEC)
#define SHIFT_DEFAULT        (10 * ALPR_USEC_PER_HOUR)
#define VERIFY_GUARD_DEFAULT (700 * 1000)
#define OFFICER_LIST         "officer"
/* The officer list outranks the state and NCIC lists: the officer who entered it is here. */
#define OFFICER_LIST_PRIORITY 20

struct frame_slot {
	char camera[STORE_CAMERA_MAX + 1];
	int64_t last_us; /* monotonic time of the last frame let through */
};

struct _AlprPatrolWindow {
	GtkApplicationWindow parent;
	struct alpr_ui_options opts; /* the string members point at the copies below */
	char *unit_name, *sound_path, *audio_sink;
	bool night, disposed;

	GtkWidget *stack;
	/* sign-in */
	GtkWidget *signin_title, *signin_officer, *signin_pin, *signin_error, *signin_notice;
	GtkWidget *keypad_target;
	/* patrol */
	GtkWidget *st_cameras, *st_gps, *st_hotlist, *st_sync, *st_storage, *st_officer, *st_clock;
	GtkWidget *tiles_grid;
	AlprCameraTile *tiles[ALPR_UI_CAMERAS_MAX];
	size_t ntiles;
	GtkWidget *reads_box;
	size_t nreads;
	GtkWidget *notice, *night_button;
	/* hit */
	AlprHitCard *card;
	char *hit_error; /* shown on the card of the hit below only */
	char hit_error_id[STORE_ID_MAX + 1];
	/* new wanted */
	GtkWidget *w_plate, *w_state, *w_category, *w_reason, *w_case, *w_expiry, *w_error;
	GtkWidget *w_save;
	bool w_busy; /* an entry is being added on a worker thread */
	GtkStringList *w_categories;
	int64_t w_expires_at;

	struct alpr_ui_hit_queue queue;
	char officer[ALPR_UI_OFFICER_MAX + 1];
	struct alpr_ui_pin_guard pin_guard;
	int64_t signed_in_at;
	bool locked;
	int64_t last_activity_us; /* monotonic */
	guint tick_source;
	int64_t notice_until_us; /* monotonic; 0: the notice stays until replaced */
	struct alpr_ui_sound *sound;

	GMutex frame_lock; /* frame_slots: checked on the runtime's threads */
	struct frame_slot frame_slots[ALPR_UI_CAMERAS_MAX];
};

G_DEFINE_FINAL_TYPE(AlprPatrolWindow, alpr_patrol_window, GTK_TYPE_APPLICATION_WINDOW)

static int64_t now_us(AlprPatrolWindow *w)
{
	return alpr_clock_now(w->opts.clock);
}

static void set_class(GtkWidget *w, const char *cls, bool on)
{
	if (on) {
		gtk_widget_add_css_class(w, cls);
	} else {
		gtk_widget_remove_css_class(w, cls);
	}
}

/* Wall-clock time for the officer: local time, as the car's clock shows. */
static char *local_time(int64_t us, const char *fmt)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(us / ALPR_USEC_PER_SEC);

	return dt ? g_date_time_format(dt, fmt) : g_strdup("?");
}

static GtkWidget *named(GtkWidget *w, const char *name)
{
	gtk_widget_set_name(w, name);
	return w;
}

static GtkWidget *status_label(const char *name, const char *text)
{
	GtkWidget *l = named(gtk_label_new(text), name);

	gtk_widget_add_css_class(l, "status-item");
	return l;
}

static GtkWidget *button(const char *name, const char *text, GCallback cb, gpointer data)
{
	GtkWidget *b = named(gtk_button_new_with_label(text), name);

	g_signal_connect(b, "clicked", cb, data);
	return b;
}

/* ---- pages ----------------------------------------------------------------------------- */

static void show_current(AlprPatrolWindow *w);

static void show_patrol_or_hit(AlprPatrolWindow *w)
{
	if (w->locked || !w->officer[0]) {
		gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "signin");
		return;
	}
	show_current(w);
}

static void update_signin_notice(AlprPatrolWindow *w)
{
	size_t n = alpr_ui_hit_queue_len(&w->queue);
	g_autofree char *text = NULL;

	if (n == 0) {
		gtk_widget_set_visible(w->signin_notice, FALSE);
		return;
	}
	text = g_strdup_printf("%zu HIT%s WAITING: sign in to see %s", n, n == 1 ? "" : "S",
			       n == 1 ? "it" : "them");
	gtk_label_set_text(GTK_LABEL(w->signin_notice), text);
	gtk_widget_set_visible(w->signin_notice, TRUE);
}

static void show_current(AlprPatrolWindow *w)
{
	struct alpr_ui_hit *cur = alpr_ui_hit_queue_current(&w->queue);
	struct alpr_hit_card_info info = {0};

	if (w->locked || !w->officer[0]) {
		update_signin_notice(w);
		gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "signin");
		return;
	}
	if (!cur) {
		const char *page = gtk_stack_get_visible_child_name(GTK_STACK(w->stack));
		if (g_strcmp0(page, "wanted") != 0) {
			gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "patrol");
		}
		return;
	}
	info.waiting = alpr_ui_hit_queue_len(&w->queue) - 1;
	info.now = now_us(w);
	info.max_age_us = w->opts.policy ? policy_max_hotlist_age_us(w->opts.policy) : 0;
	info.guard_us = w->opts.verify_guard_us;
	info.night = w->night;
	info.error =
		w->hit_error && strcmp(w->hit_error_id, cur->read_id) == 0 ? w->hit_error : NULL;
	alpr_hit_card_show(w->card, cur, &info);
	gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "hit");
}

/* ---- sign-in and lock ------------------------------------------------------------------ */

/* A warning: it stays until another notice replaces it. */
static void show_notice(AlprPatrolWindow *w, const char *text)
{
	gtk_label_set_text(GTK_LABEL(w->notice), text);
	gtk_widget_set_visible(w->notice, TRUE);
	w->notice_until_us = 0;
}

/* A confirmation: it goes after opts.notice_us (on_tick()), so that an old one is not read
 * as news later in the shift. */
static void show_notice_brief(AlprPatrolWindow *w, const char *text)
{
	show_notice(w, text);
	w->notice_until_us = alpr_monotonic_us() + w->opts.notice_us;
}

static bool officer_id_valid(const char *officer)
{
	return officer && *officer && strlen(officer) <= ALPR_UI_OFFICER_MAX &&
	       g_regex_match_simple("^[A-Za-z0-9_.:/-]+$", officer, 0, 0);
}

/* The attempt, for the audit hook; @reason NULL when accepted. */
static void report_sign_in(AlprPatrolWindow *w, const char *officer, const char *reason)
{
	const char *who = officer_id_valid(officer) ? officer : "(invalid)";
	int r;

	if (!w->opts.on_sign_in) {
		return;
	}
	r = w->opts.on_sign_in(who, reason == NULL, reason, w->opts.userdata);
	if (r < 0) {
		/* Never refuses the sign-in: hits may be waiting behind the lock. */
		g_autofree char *msg = g_strdup_printf("Sign-in not recorded in the audit log (%s)",
						       alpr_strerror(r));

		alpr_warn("ui", "officer %s: sign-in not recorded: %s", who, alpr_strerror(r));
		if (!reason) {
			show_notice(w, msg);
		}
	}
}

/* The signed-in officer leaves (lock, idle lock, another officer, the window closing). */
static void sign_out(AlprPatrolWindow *w, const char *why)
{
	int r;

	if (!w->officer[0] || w->locked) {
		return;
	}
	w->locked = true;
	alpr_info("ui", "officer %s signed out (%s)", w->officer, why);
	if (w->opts.on_sign_out) {
		r = w->opts.on_sign_out(w->officer, w->opts.userdata);
		if (r < 0) {
			alpr_warn("ui", "officer %s: sign-out not recorded: %s", w->officer,
				  alpr_strerror(r));
		}
	}
}

gboolean alpr_patrol_window_sign_in(AlprPatrolWindow *w, const char *officer, const char *pin,
				    GError **error)
{
	int r;

	if (!officer_id_valid(officer)) {
		report_sign_in(w, officer, "officer: not a valid officer id");
		g_set_error(error, ALPR_UI_ERROR, -EINVAL, "Enter your officer id");
		return FALSE;
	}
	if (!pin || !*pin) {
		report_sign_in(w, officer, "pin: empty");
		g_set_error(error, ALPR_UI_ERROR, -EINVAL, "Enter your PIN");
		return FALSE;
	}
	/* Monotonic: setting the car's clock back must not shorten a lockout. */
	int64_t mono = alpr_monotonic_us();
	int64_t wait = alpr_ui_pin_guard_wait_us(&w->pin_guard, mono);
	if (wait > 0) {
		report_sign_in(w, officer, "pin: sign-in locked after too many wrong PINs");
		g_set_error(error, ALPR_UI_ERROR, -EBUSY, "Too many wrong PINs: wait %lld s",
			    (long long)((wait + ALPR_USEC_PER_SEC - 1) / ALPR_USEC_PER_SEC));
		return FALSE;
	}
	r = w->opts.authenticate ? w->opts.authenticate(officer, pin, w->opts.userdata) : -EPERM;
	if (r != 0) {
		bool locked = alpr_ui_pin_guard_record(&w->pin_guard, false, mono);

		alpr_warn("ui", "sign-in refused for officer %s%s", officer,
			  locked ? ": too many wrong PINs, sign-in locked" : "");
		report_sign_in(w, officer,
			       locked ? "pin: not accepted; too many wrong PINs, sign-in locked"
				      : "pin: officer id or PIN not accepted");
		if (locked) {
			g_set_error(error, ALPR_UI_ERROR, -EBUSY,
				    "Too many wrong PINs: sign-in locked for %lld s",
				    (long long)(ALPR_UI_PIN_LOCKOUT_US / ALPR_USEC_PER_SEC));
		} else {
			g_set_error(error, ALPR_UI_ERROR, r, "Officer id or PIN not accepted");
		}
		return FALSE;
	}
	alpr_ui_pin_guard_record(&w->pin_guard, true, mono);
	if (strcmp(w->officer, officer) != 0) {
		sign_out(w, "another officer signed in"); /* no-op when locked or nobody */
	}
	report_sign_in(w, officer, NULL);
	if (strcmp(w->officer, officer) != 0 || !w->signed_in_at) {
		w->signed_in_at = now_us(w);
		w->w_expires_at = 0;
	}
	alpr_strlcpy(w->officer, officer, sizeof(w->officer));
	w->locked = false;
	w->last_activity_us = alpr_monotonic_us();
	{
		g_autofree char *text = g_strdup_printf("Officer %s", officer);
		gtk_label_set_text(GTK_LABEL(w->st_officer), text);
	}
	alpr_info("ui", "officer %s signed in", officer);
	show_patrol_or_hit(w);
	return TRUE;
}

void alpr_patrol_window_lock(AlprPatrolWindow *w)
{
	g_autofree char *title = NULL;

	if (!w->officer[0]) {
		return;
	}
	sign_out(w, "locked");
	title = g_strdup_printf("Locked. Officer %s, enter your PIN", w->officer);
	gtk_label_set_text(GTK_LABEL(w->signin_title), title);
	gtk_editable_set_text(GTK_EDITABLE(w->signin_officer), w->officer);
	gtk_editable_set_text(GTK_EDITABLE(w->signin_pin), "");
	gtk_label_set_text(GTK_LABEL(w->signin_error), "");
	w->keypad_target = w->signin_pin;
	update_signin_notice(w);
	gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "signin");
}

const char *alpr_patrol_window_get_officer(AlprPatrolWindow *w)
{
	return w->officer[0] && !w->locked ? w->officer : NULL;
}

static void on_signin(GtkWidget *b, gpointer data)
{
	AlprPatrolWindow *w = data;
	g_autoptr(GError) error = NULL;
	const char *officer = gtk_editable_get_text(GTK_EDITABLE(w->signin_officer));
	const char *pin = gtk_editable_get_text(GTK_EDITABLE(w->signin_pin));

	if (!alpr_patrol_window_sign_in(w, officer, pin, &error)) {
		gtk_label_set_text(GTK_LABEL(w->signin_error), error->message);
	} else {
		gtk_label_set_text(GTK_LABEL(w->signin_error), "");
	}
	gtk_editable_set_text(GTK_EDITABLE(w->signin_pin), "");
}

static void on_key(GtkButton *b, gpointer data)
{
	AlprPatrolWindow *w = data;
	const char *key = g_object_get_data(G_OBJECT(b), "key");
	GtkEditable *e = GTK_EDITABLE(w->keypad_target ? w->keypad_target : w->signin_pin);
	const char *text = gtk_editable_get_text(e);
	g_autofree char *next = NULL;

	if (strcmp(key, "del") == 0) {
		size_t n = strlen(text);
		next = g_strndup(text, n ? n - 1 : 0);
	} else {
		next = g_strconcat(text, key, NULL);
	}
	gtk_editable_set_text(e, next);
	gtk_editable_set_position(e, -1);
}

static void on_entry_focus(GtkEventControllerFocus *c, gpointer data)
{
	AlprPatrolWindow *w = data;
	w->keypad_target = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(c));
}

static void track_focus(AlprPatrolWindow *w, GtkWidget *entry)
{
	GtkEventController *c = gtk_event_controller_focus_new();

	g_signal_connect(c, "enter", G_CALLBACK(on_entry_focus), w);
	gtk_widget_add_controller(entry, c);
}

static GtkWidget *build_signin(AlprPatrolWindow *w)
{
	GtkWidget *page = named(gtk_box_new(GTK_ORIENTATION_VERTICAL, 16), "signin");
	GtkWidget *grid = gtk_grid_new(), *keypad = gtk_grid_new(), *l;
	static const char *const keys[12] = {"1", "2", "3", "4",   "5", "6",
					     "7", "8", "9", "del", "0", NULL};

	gtk_widget_set_halign(page, GTK_ALIGN_CENTER);
	gtk_widget_set_valign(page, GTK_ALIGN_CENTER);
	w->signin_title = named(gtk_label_new("Sign in"), "signin-title");
	gtk_widget_add_css_class(w->signin_title, "big-title");
	gtk_box_append(GTK_BOX(page), w->signin_title);
	w->signin_notice = named(gtk_label_new(""), "signin-notice");
	gtk_widget_add_css_class(w->signin_notice, "status-item");
	gtk_widget_add_css_class(w->signin_notice, "bad");
	gtk_widget_set_visible(w->signin_notice, FALSE);
	gtk_box_append(GTK_BOX(page), w->signin_notice);

	gtk_grid_set_row_spacing(GTK_GRID(grid), 10);
	gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
	l = gtk_label_new("Officer id");
	gtk_widget_add_css_class(l, "form-label");
	gtk_grid_attach(GTK_GRID(grid), l, 0, 0, 1, 1);
	w->signin_officer = named(gtk_entry_new(), "signin-officer");
	gtk_entry_set_input_purpose(GTK_ENTRY(w->signin_officer), GTK_INPUT_PURPOSE_DIGITS);
	gtk_entry_set_max_length(GTK_ENTRY(w->signin_officer), ALPR_UI_OFFICER_MAX);
	gtk_grid_attach(GTK_GRID(grid), w->signin_officer, 1, 0, 1, 1);
	l = gtk_label_new("PIN");
	gtk_widget_add_css_class(l, "form-label");
	gtk_grid_attach(GTK_GRID(grid), l, 0, 1, 1, 1);
	w->signin_pin = named(gtk_password_entry_new(), "signin-pin");
	gtk_grid_attach(GTK_GRID(grid), w->signin_pin, 1, 1, 1, 1);
	g_signal_connect(w->signin_pin, "activate", G_CALLBACK(on_signin), w);
	track_focus(w, w->signin_officer);
	track_focus(w, w->signin_pin);
	gtk_box_append(GTK_BOX(page), grid);

	/* A keypad: nobody types a PIN with gloves on a slanted screen's tiny keyboard. */
	gtk_widget_add_css_class(keypad, "keypad");
	gtk_grid_set_row_spacing(GTK_GRID(keypad), 8);
	gtk_grid_set_column_spacing(GTK_GRID(keypad), 8);
	gtk_widget_set_halign(keypad, GTK_ALIGN_CENTER);
	for (int i = 0; i < 12; i++) {
		GtkWidget *b;

		if (!keys[i]) {
			b = button("signin-ok", "Sign in", G_CALLBACK(on_signin), w);
		} else {
			g_autofree char *name = g_strdup_printf("key-%s", keys[i]);
			b = button(name, strcmp(keys[i], "del") == 0 ? "\u232b" : keys[i],
				   G_CALLBACK(on_key), w);
			g_object_set_data(G_OBJECT(b), "key", (gpointer)keys[i]);
		}
		gtk_grid_attach(GTK_GRID(keypad), b, i % 3, i / 3, 1, 1);
	}
	gtk_box_append(GTK_BOX(page), keypad);
	w->signin_error = named(gtk_label_new(""), "signin-error");
	gtk_widget_add_css_class(w->signin_error, "form-error");
	gtk_box_append(GTK_BOX(page), w->signin_error);
	return page;
}

/* ---- status bar ------------------------------------------------------------------------ */

static AlprCameraTile *tile_for(AlprPatrolWindow *w, const char *camera)
{
	for (size_t i = 0; i < w->ntiles; i++) {
		if (strcmp(alpr_camera_tile_get_camera(w->tiles[i]), camera) == 0) {
			return w->tiles[i];
		}
	}
	if (w->ntiles == ALPR_UI_CAMERAS_MAX) {
		return NULL;
	}
	w->tiles[w->ntiles] = alpr_camera_tile_new(camera);
	/* Two cameras stack (16:9 scenes fill a tall column); a third and fourth start a second
	 * column. */
	gtk_grid_attach(GTK_GRID(w->tiles_grid), GTK_WIDGET(w->tiles[w->ntiles]),
			(int)(w->ntiles / 2), (int)(w->ntiles % 2), 1, 1);
	return w->tiles[w->ntiles++];
}

static void apply_status(AlprPatrolWindow *w, const struct alpr_ui_status *st)
{
	GtkWidget *child;
	char age[32], text[160];
	int64_t now = now_us(w);
	int64_t max_age = w->opts.policy ? policy_max_hotlist_age_us(w->opts.policy) : 0;

	while ((child = gtk_widget_get_first_child(w->st_cameras))) {
		gtk_box_remove(GTK_BOX(w->st_cameras), child);
	}
	for (size_t i = 0; i < st->ncameras && i < ALPR_UI_CAMERAS_MAX; i++) {
		const struct alpr_ui_camera_status *c = &st->cameras[i];
		g_autofree char *name = g_strdup_printf("status-camera-%s", c->name);
		AlprCameraTile *tile = tile_for(w, c->name);
		GtkWidget *l;

		if (c->ok) {
			snprintf(text, sizeof(text), "%s OK", c->name);
		} else {
			snprintf(text, sizeof(text), "%s: %s", c->name,
				 c->message[0] ? c->message : "DOWN");
		}
		l = status_label(name, text);
		set_class(l, "bad", !c->ok);
		gtk_box_append(GTK_BOX(w->st_cameras), l);
		if (tile) {
			alpr_camera_tile_set_status(tile, c->ok, c->message);
		}
	}

	if (!st->gps_enabled) {
		snprintf(text, sizeof(text), "GPS off");
	} else if (st->gps_mode == STORE_FIX_NONE || st->gps_fix_age_us < 0) {
		snprintf(text, sizeof(text), "NO GPS FIX");
	} else {
		alpr_ui_age_text(st->gps_fix_age_us, age, sizeof(age));
		snprintf(text, sizeof(text), "GPS %s, %s",
			 st->gps_mode == STORE_FIX_3D ? "3D" : "2D",
			 st->gps_fix_age_us < ALPR_USEC_PER_MIN ? "live" : age);
	}
	gtk_label_set_text(GTK_LABEL(w->st_gps), text);
	set_class(w->st_gps, "bad",
		  st->gps_enabled && (st->gps_mode == STORE_FIX_NONE || st->gps_fix_age_us < 0));
	set_class(w->st_gps, "warn",
		  !st->gps_enabled || st->gps_fix_age_us > 10 * ALPR_USEC_PER_SEC);

	if (!st->hotlist_enabled) {
		snprintf(text, sizeof(text), "NO HOTLIST");
		set_class(w->st_hotlist, "bad", true);
		set_class(w->st_hotlist, "warn", false);
	} else {
		bool stale = alpr_ui_list_stale(st->hotlist_generated_at, now, max_age);

		alpr_ui_age_text(st->hotlist_generated_at > 0 ? now - st->hotlist_generated_at : -1,
				 age, sizeof(age));
		snprintf(text, sizeof(text),
			 stale ? "HOTLIST v%" G_GUINT64_FORMAT " %s OLD"
			       : "Hotlist v%" G_GUINT64_FORMAT ", %s",
			 st->hotlist_version, age);
		set_class(w->st_hotlist, "bad", false);
		set_class(w->st_hotlist, "warn", stale);
	}
	gtk_label_set_text(GTK_LABEL(w->st_hotlist), text);

	snprintf(text, sizeof(text), "Sync %s", st->sync[0] ? st->sync : "unknown");
	gtk_label_set_text(GTK_LABEL(w->st_sync), text);
	set_class(w->st_sync, "warn", !st->sync_ok);

	if (st->store_full) {
		snprintf(text, sizeof(text), "STORAGE FULL");
	} else if (st->store_map_bytes > 0) {
		snprintf(text, sizeof(text), "Storage %d%%",
			 (int)(100.0 * (double)st->store_used_bytes / (double)st->store_map_bytes));
	} else {
		snprintf(text, sizeof(text), "No storage");
	}
	gtk_label_set_text(GTK_LABEL(w->st_storage), text);
	set_class(w->st_storage, "bad", st->store_full || st->store_map_bytes == 0);
	set_class(w->st_storage, "warn",
		  !st->store_full && st->store_map_bytes > 0 &&
			  st->store_used_bytes * 10 > st->store_map_bytes * 9);
}

static GtkWidget *build_statusbar(AlprPatrolWindow *w)
{
	/* A flow box: at 1024 px, or with a long warning, items wrap to a second row rather
	 * than being cut (a cut warning is a hidden warning). */
	GtkWidget *bar = named(gtk_flow_box_new(), "status-bar");
	GtkWidget *items[8];
	size_t n = 0;

	gtk_widget_add_css_class(bar, "statusbar");
	gtk_flow_box_set_selection_mode(GTK_FLOW_BOX(bar), GTK_SELECTION_NONE);
	gtk_flow_box_set_max_children_per_line(GTK_FLOW_BOX(bar), 16);
	gtk_flow_box_set_column_spacing(GTK_FLOW_BOX(bar), 6);
	gtk_flow_box_set_row_spacing(GTK_FLOW_BOX(bar), 2);
	gtk_flow_box_set_homogeneous(GTK_FLOW_BOX(bar), FALSE);
	w->st_cameras = named(gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6), "status-cameras");
	items[n++] = w->st_cameras;
	items[n++] = w->st_gps = status_label("status-gps", "GPS starting");
	items[n++] = w->st_hotlist = status_label("status-hotlist", "Hotlist starting");
	items[n++] = w->st_sync = status_label("status-sync", "Sync starting");
	items[n++] = w->st_storage = status_label("status-storage", "Storage starting");
	/* Amber until the runtime's first status (apply_status()) says otherwise. */
	for (size_t i = 1; i < n; i++) {
		gtk_widget_add_css_class(items[i], "warn");
	}
	items[n++] = w->st_officer = status_label("status-officer", "");
	items[n++] = w->st_clock = status_label("status-clock", "");
	for (size_t i = 0; i < n; i++) {
		gtk_widget_set_halign(items[i], GTK_ALIGN_START);
		gtk_flow_box_append(GTK_FLOW_BOX(bar), items[i]);
	}
	return bar;
}

/* ---- recent reads ---------------------------------------------------------------------- */

static void add_read(AlprPatrolWindow *w, const struct store_read *r)
{
	GtkWidget *item = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
	GtkWidget *top = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	GtkWidget *meta, *plate, *pic;
	g_autoptr(GdkTexture) crop = alpr_ui_texture_from_crop(r->crop, r->crop_len);
	g_autofree char *when = local_time(r->captured_at, "%H:%M:%S");
	g_autofree char *text = NULL;

	gtk_widget_add_css_class(item, "read-item");
	gtk_widget_set_name(item, "read-item");
	g_object_set_data_full(G_OBJECT(item), "read-id", g_strdup(r->id), g_free);
	pic = gtk_picture_new_for_paintable(GDK_PAINTABLE(crop));
	gtk_widget_add_css_class(pic, "crop");
	gtk_picture_set_can_shrink(GTK_PICTURE(pic), TRUE);
	gtk_widget_set_size_request(pic, 150, 40);
	gtk_box_append(GTK_BOX(top), pic);
	text = g_strdup_printf("%s\n%s  %s", r->camera, when, r->state[0] ? r->state : "??");
	meta = gtk_label_new(text);
	gtk_widget_add_css_class(meta, "read-meta");
	gtk_label_set_xalign(GTK_LABEL(meta), 0);
	gtk_box_append(GTK_BOX(top), meta);
	gtk_box_append(GTK_BOX(item), top);
	plate = named(gtk_label_new(r->plate), "read-plate");
	gtk_widget_add_css_class(plate, "plate");
	gtk_label_set_xalign(GTK_LABEL(plate), 0);
	gtk_box_append(GTK_BOX(item), plate);

	gtk_box_prepend(GTK_BOX(w->reads_box), item);
	if (++w->nreads > ALPR_UI_RECENT_MAX) {
		gtk_box_remove(GTK_BOX(w->reads_box), gtk_widget_get_last_child(w->reads_box));
		w->nreads--;
	}
}

/* ---- hits ------------------------------------------------------------------------------ */

/* A message for the card of the hit on @read_id (NULL: none); the card of any other hit does
 * not show it. */
static void set_hit_error(AlprPatrolWindow *w, const char *read_id, char *msg)
{
	g_free(w->hit_error);
	w->hit_error = msg;
	alpr_strlcpy(w->hit_error_id, read_id ? read_id : "", sizeof(w->hit_error_id));
}

/* The officer's one line for a hook's failure: its own reason, else the errno's text. */
static const char *hook_reason(int r, const char *err)
{
	return err[0] ? err : alpr_strerror(r);
}

static int record_step(AlprPatrolWindow *w, const char *read_id, enum store_hit_status st,
		       char *err, size_t errsz)
{
	int r;

	if (w->opts.on_disposition) {
		return w->opts.on_disposition(read_id, st, w->officer, err, errsz,
					      w->opts.userdata);
	} else if (w->opts.store) {
		r = store_set_disposition(w->opts.store, read_id, st, w->officer);
	} else {
		/* A unit running without a store (its status bar says so) has nowhere to keep
		 * it; trapping the officer in the card would help no one. */
		alpr_warn("ui", "no store: disposition %s of %s not recorded",
			  store_hit_status_name(st), read_id);
		r = 0;
	}
	/* The store has it already (a step recorded before this window knew): not an error. */
	return r == -EALREADY ? 0 : r;
}

static void on_card_verify(AlprHitCard *card, gpointer data)
{
	AlprPatrolWindow *w = data;
	struct alpr_ui_hit *cur = alpr_ui_hit_queue_current(&w->queue);
	char err[256] = "";
	int r;

	if (!cur || !alpr_patrol_window_get_officer(w) || cur->state != ALPR_UI_HIT_UNVERIFIED) {
		return;
	}
	if (w->opts.on_verify) {
		r = w->opts.on_verify(cur->read_id, w->officer, true, err, sizeof(err),
				      w->opts.userdata);
		if (r < 0) {
			/* Still unverified, with the reason: the officer taps again. */
			alpr_warn("ui", "verification of %s not recorded: %s", cur->read_id,
				  hook_reason(r, err));
			set_hit_error(w, cur->read_id,
				      g_strdup_printf("Not verified: %s", hook_reason(r, err)));
			show_current(w);
			return;
		}
	}
	if (alpr_ui_hit_verify(cur, now_us(w)) == 0) {
		alpr_info("ui", "hit %s verified by officer %s", cur->read_id, w->officer);
	}
	set_hit_error(w, NULL, NULL);
	show_current(w);
}

static void on_card_dispose(AlprHitCard *card, int d, gpointer data)
{
	AlprPatrolWindow *w = data;
	struct alpr_ui_hit *cur = alpr_ui_hit_queue_current(&w->queue);
	enum store_hit_status steps[2];
	char err[256] = "";
	int n, r = 0;

	if (!cur || cur->state != ALPR_UI_HIT_VERIFIED || !alpr_patrol_window_get_officer(w)) {
		return;
	}
	/* Only the steps not yet recorded: after a half-saved two-step path, a retry must not
	 * ask the store (and the audit log) for the first step again. */
	n = alpr_ui_hit_steps_todo(cur, d, steps);
	r = n < 0 ? n : 0;
	for (int i = 0; i < n && r == 0; i++) {
		r = record_step(w, cur->read_id, steps[i], err, sizeof(err));
		if (r == 0) {
			alpr_ui_hit_step_recorded(cur, steps[i]);
		}
	}
	if (r < 0) {
		/* The hit stays, verified, with the reason: the officer taps again. */
		if (r == -ALPR_E_REFUSED) {
			set_hit_error(w, cur->read_id,
				      g_strdup_printf("Not saved: %s", hook_reason(r, err)));
		} else {
			set_hit_error(w, cur->read_id,
				      g_strdup_printf("Not saved (%s). Tap the disposition again.",
						      hook_reason(r, err)));
		}
		alpr_warn("ui", "disposition of %s not saved: %s", cur->read_id,
			  hook_reason(r, err));
		show_current(w);
		return;
	}
	set_hit_error(w, NULL, NULL);
	alpr_ui_hit_dispose(cur, d, w->officer, now_us(w));
	alpr_info("ui", "hit %s: %s by officer %s", cur->read_id, alpr_ui_disposition_label(d),
		  w->officer);
	alpr_ui_hit_queue_remove(&w->queue, cur);
	show_current(w);
}

static void on_card_speak(AlprHitCard *card, const char *text, gpointer data)
{
	const char *argv[] = {"espeak-ng", "-s", "140", text, NULL};
	g_autoptr(GError) error = NULL;

	if (!g_spawn_async(NULL, (char **)argv, NULL,
			   G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
				   G_SPAWN_STDERR_TO_DEV_NULL,
			   NULL, NULL, NULL, &error)) {
		alpr_warn("ui", "espeak-ng: %s", error->message);
	}
}

static void add_hit(AlprPatrolWindow *w, struct alpr_ui_hit *hit)
{
	struct alpr_ui_hit *h = hit;

	if (alpr_ui_hit_queue_push(&w->queue, hit) < 0) {
		return; /* the same read again: the first one is queued */
	}
	h->sound_requests++;
	alpr_ui_sound_play(w->sound);
	for (GtkWidget *c = gtk_widget_get_first_child(w->reads_box); c;
	     c = gtk_widget_get_next_sibling(c)) {
		if (g_strcmp0(g_object_get_data(G_OBJECT(c), "read-id"), h->read_id) == 0) {
			gtk_widget_add_css_class(c, "read-hit");
		}
	}
	show_current(w);
}

/* ---- new wanted ------------------------------------------------------------------------ */

static void update_expiry(AlprPatrolWindow *w)
{
	g_autofree char *text = local_time(w->w_expires_at, "%a %d %b, %H:%M");

	gtk_label_set_text(GTK_LABEL(w->w_expiry), text);
}

static void on_new_wanted(GtkButton *b, gpointer data)
{
	AlprPatrolWindow *w = data;

	if (!w->opts.hotlist) {
		gtk_label_set_text(GTK_LABEL(w->notice), "No hotlist: entries cannot be added");
		gtk_widget_set_visible(w->notice, TRUE);
		return;
	}
	w->w_expires_at = alpr_ui_end_of_shift(w->signed_in_at, w->opts.shift_us, now_us(w));
	w->w_expires_at -= w->w_expires_at % ALPR_USEC_PER_MIN;
	update_expiry(w);
	gtk_label_set_text(GTK_LABEL(w->w_error), "");
	gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "wanted");
}

static void on_expiry_step(GtkButton *b, gpointer data)
{
	AlprPatrolWindow *w = data;
	int hours = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(b), "hours"));
	int64_t next = w->w_expires_at + hours * ALPR_USEC_PER_HOUR;

	if (next > now_us(w)) {
		w->w_expires_at = next;
		update_expiry(w);
	}
}

static void on_wanted_cancel(GtkButton *b, gpointer data)
{
	AlprPatrolWindow *w = data;

	gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "patrol");
	show_current(w);
}

static void clear_wanted(AlprPatrolWindow *w)
{
	gtk_editable_set_text(GTK_EDITABLE(w->w_plate), "");
	gtk_editable_set_text(GTK_EDITABLE(w->w_state), "");
	gtk_editable_set_text(GTK_EDITABLE(w->w_reason), "");
	gtk_editable_set_text(GTK_EDITABLE(w->w_case), "");
}

/* A New wanted entry on its way into the hotlist (worker thread), and its outcome. */
struct wanted_job {
	struct hotlist_entry e;
	char officer[ALPR_UI_OFFICER_MAX + 1];
	char category[64];
	int (*on_officer_entry)(const struct hotlist_entry *e, const char *officer, char *err,
				size_t errsz, void *userdata);
	void *userdata;
	struct hotlist *hotlist;
	int r;
	uint64_t version;
	char err[256];
};

static void wanted_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	struct wanted_job *job = data;

	if (job->on_officer_entry) {
		job->r = job->on_officer_entry(&job->e, job->officer, job->err, sizeof(job->err),
					       job->userdata);
	} else {
		job->r = hotlist_add(job->hotlist, &job->e, &job->version, job->err,
				     sizeof(job->err));
		if (job->r != -ALPR_E_PARSE) {
			job->err[0] = '\0'; /* hotlist_add() writes a line only for a parse error */
		}
	}
	g_task_return_boolean(task, TRUE);
}

static void on_wanted_done(GObject *source, GAsyncResult *res, gpointer data)
{
	AlprPatrolWindow *w = ALPR_PATROL_WINDOW(source);
	struct wanted_job *job = g_task_get_task_data(G_TASK(res));
	int r = job->r;

	if (r < 0) {
		alpr_warn("ui", "officer %s: entry not added: %s", job->officer,
			  hook_reason(r, job->err));
	} else if (job->on_officer_entry) {
		/* The new version is the runtime's to log, and audit. */
		alpr_info("ui", "officer %s added %s %s (%s) to list %s", job->officer,
			  job->e.plate, job->e.state, job->category, OFFICER_LIST);
	} else {
		alpr_info("ui",
			  "officer %s added %s %s (%s) to list %s, version %" G_GUINT64_FORMAT,
			  job->officer, job->e.plate, job->e.state, job->category, OFFICER_LIST,
			  job->version);
	}
	if (w->disposed) {
		return; /* the window closed meanwhile: the entry is in (or not), logged above */
	}
	w->w_busy = false;
	gtk_widget_set_sensitive(w->w_save, TRUE);
	if (r < 0) {
		/* The form keeps its fields: the officer corrects one and saves again. */
		g_autofree char *msg = g_strdup_printf("Not added: %s", hook_reason(r, job->err));
		gtk_label_set_text(GTK_LABEL(w->w_error), msg);
		return;
	}
	gtk_label_set_text(GTK_LABEL(w->w_error), "");
	{
		g_autofree char *msg =
			g_strdup_printf("Added %s %s to the officer list: it matches from now on",
					job->e.plate, job->e.state);
		show_notice_brief(w, msg);
	}
	clear_wanted(w);
	/* Back to patrol, unless the officer has gone elsewhere (signed out, a hit) meanwhile. */
	if (g_strcmp0(gtk_stack_get_visible_child_name(GTK_STACK(w->stack)), "wanted") == 0) {
		gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "patrol");
	}
	show_current(w);
}

static void on_wanted_save(GtkButton *b, gpointer data)
{
	AlprPatrolWindow *w = data;
	struct hotlist_entry e;
	struct hotlist_list_info li;
	const char *plate = gtk_editable_get_text(GTK_EDITABLE(w->w_plate));
	g_autofree char *state = g_ascii_strup(gtk_editable_get_text(GTK_EDITABLE(w->w_state)), -1);
	const char *reason = gtk_editable_get_text(GTK_EDITABLE(w->w_reason));
	const char *case_no = gtk_editable_get_text(GTK_EDITABLE(w->w_case));
	guint sel = gtk_drop_down_get_selected(GTK_DROP_DOWN(w->w_category));
	const char *cat = gtk_string_list_get_string(w->w_categories, sel);
	int r;

	if (w->w_busy) {
		return;
	}
	memset(&e, 0, sizeof(e));
	alpr_strlcpy(e.list, OFFICER_LIST, sizeof(e.list));
	if (hotlist_normalize_plate(plate, strlen(plate), e.plate) < 0) {
		gtk_label_set_text(GTK_LABEL(w->w_error), "Plate: 1 to 8 letters and digits");
		return;
	}
	alpr_strlcpy(e.plate_raw, plate, sizeof(e.plate_raw));
	if (!*state) {
		g_free(state);
		state = g_strdup("??");
	}
	if (!hotlist_state_valid(state)) {
		gtk_label_set_text(GTK_LABEL(w->w_error),
				   "State: a two-letter code, or ?? if unknown");
		return;
	}
	alpr_strlcpy(e.state, state, sizeof(e.state));
	if (!*case_no) {
		gtk_label_set_text(GTK_LABEL(w->w_error), "Case number is required");
		return;
	}
	if (!cat) {
		gtk_label_set_text(GTK_LABEL(w->w_error), "Choose a category");
		return;
	}
	{
		g_autofree char *name = g_strdelimit(g_strdup(cat), " ", '_');
		r = policy_category_from_name(name, strlen(name));
	}
	if (r < 0) {
		gtk_label_set_text(GTK_LABEL(w->w_error), "Choose a category");
		return;
	}
	e.category = r;
	alpr_strlcpy(e.reason, reason, sizeof(e.reason));
	alpr_strlcpy(e.case_number, case_no, sizeof(e.case_number));
	e.source = HOTLIST_SOURCE_OFFICER;
	e.entered_at = now_us(w);
	e.expires_at = w->w_expires_at;
	alpr_strlcpy(e.entered_by, w->officer, sizeof(e.entered_by));

	r = hotlist_list_get(w->opts.hotlist, OFFICER_LIST, &li);
	if (r == -ENOENT) {
		r = hotlist_list_set(w->opts.hotlist, OFFICER_LIST, OFFICER_LIST_PRIORITY, 2);
	}
	if (r < 0) {
		g_autofree char *msg = g_strdup_printf("Not added: %s", alpr_strerror(r));
		gtk_label_set_text(GTK_LABEL(w->w_error), msg);
		return;
	}
	/* The add (and, through the hook, the check of every stored read against the new entry,
	 * which grows with the store) runs on a worker thread: the window keeps drawing and
	 * alerting meanwhile. Save stays off until it is done. */
	struct wanted_job *job = g_new0(struct wanted_job, 1);
	job->e = e;
	alpr_strlcpy(job->officer, w->officer, sizeof(job->officer));
	alpr_strlcpy(job->category, cat, sizeof(job->category));
	job->on_officer_entry = w->opts.on_officer_entry;
	job->userdata = w->opts.userdata;
	job->hotlist = w->opts.hotlist;
	w->w_busy = true;
	gtk_widget_set_sensitive(w->w_save, FALSE);
	gtk_label_set_text(GTK_LABEL(w->w_error), "Adding\u2026");
	GTask *task = g_task_new(w, NULL, on_wanted_done, NULL);
	g_task_set_task_data(task, job, g_free);
	g_task_run_in_thread(task, wanted_thread);
	g_object_unref(task);
}

static GtkWidget *form_label(const char *text)
{
	GtkWidget *l = gtk_label_new(text);

	gtk_widget_add_css_class(l, "form-label");
	gtk_label_set_xalign(GTK_LABEL(l), 1);
	return l;
}

static GtkWidget *build_wanted(AlprPatrolWindow *w)
{
	GtkWidget *page = named(gtk_box_new(GTK_ORIENTATION_VERTICAL, 14), "wanted");
	GtkWidget *grid = gtk_grid_new(), *title, *row, *b;

	gtk_widget_set_margin_start(page, 40);
	gtk_widget_set_margin_end(page, 40);
	gtk_widget_set_margin_top(page, 20);
	title = gtk_label_new("New wanted vehicle (officer list)");
	gtk_widget_add_css_class(title, "big-title");
	gtk_box_append(GTK_BOX(page), title);
	gtk_grid_set_row_spacing(GTK_GRID(grid), 10);
	gtk_grid_set_column_spacing(GTK_GRID(grid), 14);

	w->w_plate = named(gtk_entry_new(), "wanted-plate");
	gtk_entry_set_max_length(GTK_ENTRY(w->w_plate), HOTLIST_PLATE_RAW_MAX);
	gtk_widget_set_hexpand(w->w_plate, TRUE);
	w->w_state = named(gtk_entry_new(), "wanted-state");
	gtk_entry_set_max_length(GTK_ENTRY(w->w_state), 2);
	gtk_entry_set_placeholder_text(GTK_ENTRY(w->w_state), "??");
	w->w_categories = gtk_string_list_new(NULL);
	for (int c = 0; c < POLICY_CAT_COUNT; c++) {
		char text[48];

		if (w->opts.policy && policy_category_refused(w->opts.policy, c)) {
			continue; /* refused at every hop: not even offered */
		}
		alpr_ui_category_text(c, text, sizeof(text));
		gtk_string_list_append(w->w_categories, text);
	}
	w->w_category = named(gtk_drop_down_new(G_LIST_MODEL(g_object_ref(w->w_categories)), NULL),
			      "wanted-category");
	w->w_reason = named(gtk_entry_new(), "wanted-reason");
	gtk_entry_set_max_length(GTK_ENTRY(w->w_reason), HOTLIST_REASON_MAX);
	w->w_case = named(gtk_entry_new(), "wanted-case");
	gtk_entry_set_max_length(GTK_ENTRY(w->w_case), HOTLIST_SHORT_MAX);
	gtk_entry_set_placeholder_text(GTK_ENTRY(w->w_case), "required");

	gtk_grid_attach(GTK_GRID(grid), form_label("Plate"), 0, 0, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), w->w_plate, 1, 0, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), form_label("State"), 2, 0, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), w->w_state, 3, 0, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), form_label("Category"), 0, 1, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), w->w_category, 1, 1, 3, 1);
	gtk_grid_attach(GTK_GRID(grid), form_label("Reason"), 0, 2, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), w->w_reason, 1, 2, 3, 1);
	gtk_grid_attach(GTK_GRID(grid), form_label("Case number"), 0, 3, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), w->w_case, 1, 3, 3, 1);
	gtk_grid_attach(GTK_GRID(grid), form_label("Expires"), 0, 4, 1, 1);
	row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 10);
	w->w_expiry = named(gtk_label_new(""), "wanted-expiry");
	gtk_widget_add_css_class(w->w_expiry, "detail-value");
	gtk_box_append(GTK_BOX(row), w->w_expiry);
	b = button("wanted-expiry-minus", "\u2212 1 h", G_CALLBACK(on_expiry_step), w);
	g_object_set_data(G_OBJECT(b), "hours", GINT_TO_POINTER(-1));
	gtk_box_append(GTK_BOX(row), b);
	b = button("wanted-expiry-plus", "+ 1 h", G_CALLBACK(on_expiry_step), w);
	g_object_set_data(G_OBJECT(b), "hours", GINT_TO_POINTER(1));
	gtk_box_append(GTK_BOX(row), b);
	gtk_grid_attach(GTK_GRID(grid), row, 1, 4, 3, 1);
	gtk_box_append(GTK_BOX(page), grid);

	w->w_error = named(gtk_label_new(""), "wanted-error");
	gtk_widget_add_css_class(w->w_error, "form-error");
	gtk_box_append(GTK_BOX(page), w->w_error);
	row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 16);
	gtk_box_set_homogeneous(GTK_BOX(row), TRUE);
	gtk_box_append(GTK_BOX(row),
		       button("wanted-cancel", "Cancel", G_CALLBACK(on_wanted_cancel), w));
	w->w_save = button("wanted-save", "Save", G_CALLBACK(on_wanted_save), w);
	gtk_box_append(GTK_BOX(row), w->w_save);
	gtk_box_append(GTK_BOX(page), row);
	return page;
}

/* ---- patrol page ----------------------------------------------------------------------- */

static void on_night(GtkButton *b, gpointer data)
{
	AlprPatrolWindow *w = data;
	alpr_patrol_window_set_night(w, !w->night);
}

static void on_lock(GtkButton *b, gpointer data)
{
	alpr_patrol_window_lock(data);
}

static GtkWidget *build_patrol(AlprPatrolWindow *w)
{
	GtkWidget *page = named(gtk_box_new(GTK_ORIENTATION_VERTICAL, 0), "patrol");
	GtkWidget *main_row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 10);
	GtkWidget *scroll = named(gtk_scrolled_window_new(), "reads-strip");
	GtkWidget *bottom = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	GtkWidget *spacer = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);

	gtk_box_append(GTK_BOX(page), build_statusbar(w));

	w->tiles_grid = named(gtk_grid_new(), "patrol-tiles");
	gtk_grid_set_row_spacing(GTK_GRID(w->tiles_grid), 8);
	gtk_grid_set_column_spacing(GTK_GRID(w->tiles_grid), 8);
	gtk_grid_set_row_homogeneous(GTK_GRID(w->tiles_grid), TRUE);
	gtk_grid_set_column_homogeneous(GTK_GRID(w->tiles_grid), TRUE);
	gtk_widget_set_hexpand(w->tiles_grid, TRUE);
	gtk_widget_set_vexpand(w->tiles_grid, TRUE);
	gtk_box_append(GTK_BOX(main_row), w->tiles_grid);

	w->reads_box = named(gtk_box_new(GTK_ORIENTATION_VERTICAL, 8), "reads-box");
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), w->reads_box);
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
				       GTK_POLICY_AUTOMATIC);
	gtk_widget_set_size_request(scroll, 350, -1);
	gtk_box_append(GTK_BOX(main_row), scroll);
	gtk_widget_set_margin_start(main_row, 8);
	gtk_widget_set_margin_end(main_row, 8);
	gtk_widget_set_margin_top(main_row, 8);
	gtk_widget_set_vexpand(main_row, TRUE);
	gtk_box_append(GTK_BOX(page), main_row);

	gtk_widget_set_margin_start(bottom, 8);
	gtk_widget_set_margin_end(bottom, 8);
	gtk_widget_set_margin_top(bottom, 8);
	gtk_widget_set_margin_bottom(bottom, 8);
	gtk_box_append(GTK_BOX(bottom),
		       button("patrol-new-wanted", "New wanted", G_CALLBACK(on_new_wanted), w));
	w->night_button = button("patrol-night", "Night", G_CALLBACK(on_night), w);
	gtk_box_append(GTK_BOX(bottom), w->night_button);
	gtk_box_append(GTK_BOX(bottom), button("patrol-lock", "Lock", G_CALLBACK(on_lock), w));
	w->notice = named(gtk_label_new(""), "patrol-notice");
	gtk_widget_add_css_class(w->notice, "notice");
	gtk_label_set_ellipsize(GTK_LABEL(w->notice), PANGO_ELLIPSIZE_END);
	gtk_widget_set_visible(w->notice, FALSE);
	gtk_box_append(GTK_BOX(bottom), w->notice);
	gtk_widget_set_hexpand(spacer, TRUE);
	gtk_box_append(GTK_BOX(bottom), spacer);
	gtk_box_append(GTK_BOX(page), bottom);
	return page;
}

/* ---- the window ------------------------------------------------------------------------ */

void alpr_patrol_window_set_night(AlprPatrolWindow *w, bool night)
{
	w->night = night;
	set_class(GTK_WIDGET(w), "night", night);
	gtk_button_set_label(GTK_BUTTON(w->night_button), night ? "Day" : "Night");
	if (alpr_ui_hit_queue_current(&w->queue)) {
		show_current(w); /* the highlight colours are in the plate markup */
	}
}

bool alpr_patrol_window_get_night(AlprPatrolWindow *w)
{
	return w->night;
}

gboolean alpr_patrol_window_sound_ready(AlprPatrolWindow *w)
{
	return w->sound && alpr_ui_sound_ready(w->sound);
}

const struct alpr_ui_hit_queue *alpr_patrol_window_get_queue(AlprPatrolWindow *w)
{
	return &w->queue;
}

static gboolean on_tick(gpointer data)
{
	AlprPatrolWindow *w = data;
	g_autofree char *text = local_time(now_us(w), "%H:%M");

	gtk_label_set_text(GTK_LABEL(w->st_clock), text);
	if (w->notice_until_us && alpr_monotonic_us() >= w->notice_until_us) {
		gtk_widget_set_visible(w->notice, FALSE);
		w->notice_until_us = 0;
	}
	if (w->officer[0] && !w->locked && w->opts.idle_lock_us > 0 &&
	    alpr_monotonic_us() - w->last_activity_us > w->opts.idle_lock_us) {
		alpr_info("ui", "locked after %lld s idle",
			  (long long)(w->opts.idle_lock_us / ALPR_USEC_PER_SEC));
		alpr_patrol_window_lock(w);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_any_event(GtkEventControllerLegacy *c, GdkEvent *ev, gpointer data)
{
	AlprPatrolWindow *w = data;
	GdkEventType t = gdk_event_get_event_type(ev);

	if (t == GDK_BUTTON_PRESS || t == GDK_TOUCH_BEGIN || t == GDK_KEY_PRESS ||
	    t == GDK_MOTION_NOTIFY || t == GDK_SCROLL) {
		w->last_activity_us = alpr_monotonic_us();
	}
	return FALSE;
}

static void window_dispose(GObject *o)
{
	AlprPatrolWindow *w = ALPR_PATROL_WINDOW(o);

	/* The window closing while an officer is signed in: they leave with it. */
	sign_out(w, "window closed");
	w->disposed = true;
	if (w->tick_source) {
		g_source_remove(w->tick_source);
		w->tick_source = 0;
	}
	g_clear_pointer(&w->sound, alpr_ui_sound_free);
	g_clear_object(&w->w_categories);
	G_OBJECT_CLASS(alpr_patrol_window_parent_class)->dispose(o);
}

static void window_finalize(GObject *o)
{
	AlprPatrolWindow *w = ALPR_PATROL_WINDOW(o);

	alpr_ui_hit_queue_finish(&w->queue);
	g_free(w->unit_name);
	g_free(w->sound_path);
	g_free(w->audio_sink);
	g_free(w->hit_error);
	g_mutex_clear(&w->frame_lock);
	G_OBJECT_CLASS(alpr_patrol_window_parent_class)->finalize(o);
}

static void alpr_patrol_window_class_init(AlprPatrolWindowClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = window_dispose;
	G_OBJECT_CLASS(klass)->finalize = window_finalize;
}

static void alpr_patrol_window_init(AlprPatrolWindow *w)
{
	alpr_ui_hit_queue_init(&w->queue);
	alpr_ui_pin_guard_init(&w->pin_guard);
	g_mutex_init(&w->frame_lock);
}

char *alpr_ui_default_sound_path(void)
{
	char *p = g_build_filename(alpr_datadir(), "alert.wav", NULL);

	if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
		return p;
	}
	g_free(p);
	return g_strdup(ALPR_UI_ALERT_WAV);
}

AlprPatrolWindow *alpr_patrol_window_new(GtkApplication *app, const struct alpr_ui_options *opts)
{
	AlprPatrolWindow *w = g_object_new(ALPR_TYPE_PATROL_WINDOW, "application", app, NULL);
	GtkEventController *legacy;

	w->opts = *opts;
	w->unit_name = g_strdup(opts->unit_name ? opts->unit_name : "unit");
	w->sound_path =
		opts->sound_path ? g_strdup(opts->sound_path) : alpr_ui_default_sound_path();
	w->audio_sink = g_strdup(opts->audio_sink);
	w->opts.unit_name = w->unit_name;
	w->opts.sound_path = w->sound_path;
	w->opts.audio_sink = w->audio_sink;
	if (w->opts.notice_us <= 0) {
		w->opts.notice_us = NOTICE_DEFAULT;
	}
	if (w->opts.idle_lock_us == 0) {
		w->opts.idle_lock_us = IDLE_LOCK_DEFAULT;
	}
	if (w->opts.shift_us <= 0) {
		w->opts.shift_us = SHIFT_DEFAULT;
	}
	if (w->opts.verify_guard_us == 0) {
		w->opts.verify_guard_us = VERIFY_GUARD_DEFAULT;
	}

	gtk_widget_add_css_class(GTK_WIDGET(w), "alpr");
	gtk_window_set_title(GTK_WINDOW(w), "ALPR patrol");
	/* No title bar: the unit is a kiosk, and a screenshot shows what the officer sees. */
	gtk_window_set_decorated(GTK_WINDOW(w), FALSE);
	gtk_window_set_default_size(GTK_WINDOW(w), opts->width > 0 ? opts->width : 1280,
				    opts->height > 0 ? opts->height : 800);
	if (opts->fullscreen) {
		gtk_window_fullscreen(GTK_WINDOW(w));
	}
	alpr_ui_theme_apply(gtk_widget_get_display(GTK_WIDGET(w)), opts->night);

	w->stack = named(gtk_stack_new(), "pages");
	gtk_stack_set_transition_type(GTK_STACK(w->stack), GTK_STACK_TRANSITION_TYPE_NONE);
	gtk_stack_add_named(GTK_STACK(w->stack), build_signin(w), "signin");
	gtk_stack_add_named(GTK_STACK(w->stack), build_patrol(w), "patrol");
	w->card = alpr_hit_card_new();
	g_signal_connect(w->card, "verify", G_CALLBACK(on_card_verify), w);
	g_signal_connect(w->card, "dispose-hit", G_CALLBACK(on_card_dispose), w);
	g_signal_connect(w->card, "speak", G_CALLBACK(on_card_speak), w);
	gtk_stack_add_named(GTK_STACK(w->stack), GTK_WIDGET(w->card), "hit");
	gtk_stack_add_named(GTK_STACK(w->stack), build_wanted(w), "wanted");
	gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "signin");
	gtk_window_set_child(GTK_WINDOW(w), w->stack);
	gtk_label_set_text(GTK_LABEL(w->signin_title), "Sign in");
	alpr_patrol_window_set_night(w, opts->night);

	legacy = gtk_event_controller_legacy_new();
	gtk_event_controller_set_propagation_phase(legacy, GTK_PHASE_CAPTURE);
	g_signal_connect(legacy, "event", G_CALLBACK(on_any_event), w);
	gtk_widget_add_controller(GTK_WIDGET(w), legacy);
	w->last_activity_us = alpr_monotonic_us();
	w->tick_source = g_timeout_add_seconds(1, on_tick, w);
	on_tick(w);

	w->sound = alpr_ui_sound_new(w->sound_path, w->audio_sink);
	return w;
}

/* ---- pushes from any thread ------------------------------------------------------------ */

enum push_kind { PUSH_READ, PUSH_HIT, PUSH_STATUS, PUSH_FRAME };

struct push {
	enum push_kind kind;
	AlprPatrolWindow *win; /* a reference */
	struct store_read read;
	uint8_t *crop; /* the read's crop, copied */
	struct hotlist_match match;
	struct alpr_ui_status status;
	char camera[STORE_CAMERA_MAX + 1];
	uint8_t *gray;
	int width, height;
	struct store_box boxes[ALPR_UI_BOXES_MAX];
	size_t nboxes;
};

static void push_free(gpointer data)
{
	struct push *p = data;

	g_object_unref(p->win);
	g_free(p->crop);
	g_free(p->gray);
	g_free(p);
}

static gboolean push_run(gpointer data)
{
	struct push *p = data;
	AlprPatrolWindow *w = p->win;

	if (w->disposed) {
		return G_SOURCE_REMOVE;
	}
	switch (p->kind) {
	case PUSH_READ:
		add_read(w, &p->read);
		break;
	case PUSH_HIT:
		add_hit(w, alpr_ui_hit_create(p->read.id, p->read.camera, p->read.captured_at,
					      p->read.state, &p->match, p->read.crop,
					      p->read.crop_len));
		break;
	case PUSH_STATUS:
		apply_status(w, &p->status);
		break;
	case PUSH_FRAME: {
		AlprCameraTile *tile = tile_for(w, p->camera);
		g_autoptr(GdkTexture) t =
			alpr_ui_texture_from_gray(p->gray, p->width, p->height, p->width);

		if (tile && t) {
			alpr_camera_tile_set_frame(tile, t, p->boxes, p->nboxes);
		}
		break;
	}
	}
	return G_SOURCE_REMOVE;
}

static struct push *push_new(AlprPatrolWindow *w, enum push_kind kind)
{
	struct push *p = g_new0(struct push, 1);

	p->kind = kind;
	p->win = g_object_ref(w);
	return p;
}

static void push_read_copy(struct push *p, const struct store_read *r)
{
	p->read = *r;
	if (r->crop && r->crop_len > 0 && r->crop_len <= STORE_CROP_MAX) {
		p->crop = g_memdup2(r->crop, r->crop_len);
		p->read.crop = p->crop;
	} else {
		p->read.crop = NULL;
		p->read.crop_len = 0;
	}
}

static void push_post(struct push *p)
{
	g_idle_add_full(G_PRIORITY_DEFAULT, push_run, p, push_free);
}

void alpr_ui_push_read(AlprPatrolWindow *w, const struct store_read *r)
{
	struct push *p = push_new(w, PUSH_READ);

	push_read_copy(p, r);
	push_post(p);
}

void alpr_ui_push_hit(AlprPatrolWindow *w, const struct store_read *r,
		      const struct hotlist_match *m)
{
	struct push *p = push_new(w, PUSH_HIT);

	push_read_copy(p, r);
	p->match = *m;
	push_post(p);
}

void alpr_ui_push_status(AlprPatrolWindow *w, const struct alpr_ui_status *st)
{
	struct push *p = push_new(w, PUSH_STATUS);

	p->status = *st;
	push_post(p);
}

void alpr_ui_push_frame(AlprPatrolWindow *w, const char *camera, const uint8_t *gray, int width,
			int height, int stride, const struct store_box *boxes, size_t nboxes)
{
	int64_t now = alpr_monotonic_us();
	struct frame_slot *slot = NULL;
	struct push *p;
	int step;

	if (!camera || !gray || width <= 0 || height <= 0 || stride < width) {
		return;
	}
	g_mutex_lock(&w->frame_lock);
	for (size_t i = 0; i < ALPR_UI_CAMERAS_MAX && !slot; i++) {
		if (strcmp(w->frame_slots[i].camera, camera) == 0) {
			slot = &w->frame_slots[i];
		}
	}
	for (size_t i = 0; i < ALPR_UI_CAMERAS_MAX && !slot; i++) {
		if (!w->frame_slots[i].camera[0]) {
			slot = &w->frame_slots[i];
		}
	}
	if (!slot ||
	    (slot->camera[0] && now - slot->last_us < ALPR_USEC_PER_SEC / ALPR_UI_TILE_FPS)) {
		g_mutex_unlock(&w->frame_lock);
		return;
	}
	alpr_strlcpy(slot->camera, camera, sizeof(slot->camera));
	slot->last_us = now;
	g_mutex_unlock(&w->frame_lock);

	p = push_new(w, PUSH_FRAME);
	alpr_strlcpy(p->camera, camera, sizeof(p->camera));
	/* Shrink by a whole step, averaging step x step blocks (a 720p frame: 640 x 360). */
	step = (width + ALPR_UI_TILE_WIDTH_MAX - 1) / ALPR_UI_TILE_WIDTH_MAX;
	p->width = width / step;
	p->height = height / step;
	p->gray = g_malloc((size_t)p->width * (size_t)p->height);
	for (int y = 0; y < p->height; y++) {
		uint8_t *dst = p->gray + (size_t)y * (size_t)p->width;

		if (step == 1) {
			memcpy(dst, gray + (size_t)y * (size_t)stride, (size_t)width);
			continue;
		}
		for (int x = 0; x < p->width; x++) {
			unsigned sum = 0;

			for (int dy = 0; dy < step; dy++) {
				const uint8_t *src =
					gray + (size_t)(y * step + dy) * (size_t)stride + x * step;
				for (int dx = 0; dx < step; dx++) {
					sum += src[dx];
				}
			}
			dst[x] = (uint8_t)(sum / (unsigned)(step * step));
		}
	}
	p->nboxes = MIN(nboxes, (size_t)ALPR_UI_BOXES_MAX);
	for (size_t i = 0; i < p->nboxes; i++) {
		p->boxes[i] = (struct store_box){boxes[i].x / step, boxes[i].y / step,
						 boxes[i].w / step, boxes[i].h / step};
	}
	push_post(p);
}

void alpr_patrol_window_flush(AlprPatrolWindow *w)
{
	while (g_main_context_pending(NULL)) {
		g_main_context_iteration(NULL, FALSE);
	}
}
