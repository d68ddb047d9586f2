/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * test-ui: the patrol window and the hit card on a real X server (Xvfb, started here on a
 * free display number; scripts/install-deps.sh installs it), fed from the demo data through
 * the runtime's own push calls. GTK renders with cairo (no GPU); screenshots come from GTK's
 * renderer (no screen grab) and are analysed pixel by pixel.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"
#include "demo-data.h"
#include "ui-private.h"

/* Displays tried for our own Xvfb: far from the usual :0 and :99 of CI tools. */
#define DISPLAY_FIRST 140
#define DISPLAY_LAST  240

static pid_t xvfb_pid = -1;

static void stop_xvfb(void)
{
	if (xvfb_pid > 0) {
		kill(xvfb_pid, SIGTERM);
		waitpid(xvfb_pid, NULL, 0);
		xvfb_pid = -1;
	}
}

static void start_display(int width, int height)
{
	char geometry[32], lock[64], sock[64], disp[16];

	if (xvfb_pid > 0) {
		return; /* one server per case; a case may open several windows */
	}
	snprintf(geometry, sizeof(geometry), "%dx%dx24", width, height);
	for (int n = DISPLAY_FIRST; n <= DISPLAY_LAST; n++) {
		struct stat st;
		pid_t pid;

		snprintf(lock, sizeof(lock), "/tmp/.X%d-lock", n);
		snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%d", n);
		if (stat(lock, &st) == 0 || stat(sock, &st) == 0) {
			continue;
		}
		snprintf(disp, sizeof(disp), ":%d", n);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			execlp("Xvfb", "Xvfb", disp, "-screen", "0", geometry, "-nolisten", "tcp",
			       "-noreset", (char *)NULL);
			_exit(127);
		}
		/* Up when its socket appears; gone when another test took the number first. */
		for (int i = 0; i < 500; i++) {
			int status;

			if (waitpid(pid, &status, WNOHANG) == pid) {
				CHECK_MSG(!(WIFEXITED(status) && WEXITSTATUS(status) == 127),
					  "Xvfb is not installed (scripts/install-deps.sh)");
				pid = -1;
				break;
			}
			if (stat(sock, &st) == 0) {
				break;
			}
			g_usleep(10000);
		}
		if (pid < 0) {
			continue;
		}
		xvfb_pid = pid;
		atexit(stop_xvfb);
		setenv("DISPLAY", disp, 1);
		setenv("GDK_BACKEND", "x11", 1);
		setenv("GSK_RENDERER", "cairo", 1);
		setenv("ALPR_UI_AUDIO_SINK", "fakesink", 1);
		setenv("GTK_A11Y", "none", 1);
		setenv("NO_AT_BRIDGE", "1", 1);
		CHECK_MSG(gtk_init_check(), "gtk_init_check failed on %s", disp);
		return;
	}
	check_fail(__FILE__, __LINE__, "no free X display in :%d..:%d", DISPLAY_FIRST,
		   DISPLAY_LAST);
}

/* The check button's guard against stray taps: off, except where a test is about it. */
static int64_t setup_guard_us = -1;

struct fixture {
	struct alpr_ui_demo *demo;
	struct alpr_ui_options opts;
	AlprPatrolWindow *win;
	GtkWidget *w;
};

static void setup(struct fixture *f, int width, int height, bool night, bool signed_in)
{
	char err[256];
	g_autoptr(GError) error = NULL;

	start_display(width, height);
	memset(f, 0, sizeof(*f));
	CHECK_MSG(alpr_ui_demo_open(check_tmpdir(), &f->demo, err, sizeof(err)) == 0, "%s", err);
	alpr_ui_demo_options(f->demo, &f->opts);
	f->opts.width = width;
	f->opts.height = height;
	f->opts.night = night;
	f->opts.idle_lock_us = -1;
	f->opts.verify_guard_us = setup_guard_us;
	f->win = alpr_patrol_window_new(NULL, &f->opts);
	f->w = GTK_WIDGET(f->win);
	gtk_window_present(GTK_WINDOW(f->win));
	if (signed_in) {
		CHECK(alpr_patrol_window_sign_in(f->win, ALPR_UI_DEMO_OFFICER, ALPR_UI_DEMO_PIN,
						 &error));
	}
	alpr_ui_demo_wait_frames(f->w, 2);
}

static void teardown(struct fixture *f)
{
	gtk_window_destroy(GTK_WINDOW(f->win));
	while (g_main_context_pending(NULL)) {
		g_main_context_iteration(NULL, FALSE);
	}
	alpr_ui_demo_close(f->demo);
}

static GtkWidget *find(struct fixture *f, const char *name)
{
	GtkWidget *w = alpr_ui_find(f->w, name);

	CHECK_MSG(w != NULL, "no widget named %s", name);
	return w;
}

/* Present, mapped, and with an area on screen: what an officer could actually see. */
static bool shown(GtkWidget *w)
{
	return w && gtk_widget_is_drawable(w) && gtk_widget_get_width(w) > 0 &&
	       gtk_widget_get_height(w) > 0;
}

static void check_shown(struct fixture *f, const char *name)
{
	CHECK_MSG(shown(find(f, name)), "%s is not visible", name);
}

static const char *page(struct fixture *f)
{
	return gtk_stack_get_visible_child_name(GTK_STACK(find(f, "pages")));
}

static void tap(struct fixture *f, const char *name)
{
	GtkWidget *b = find(f, name);

	CHECK_MSG(shown(b), "%s is not visible: it cannot be tapped", name);
	/* As a touch does: an insensitive button ignores it; a sensitive one clicks at once
	 * (gtk_widget_activate would click only after its 250 ms press animation). */
	if (gtk_widget_is_sensitive(b)) {
		g_signal_emit_by_name(b, "clicked");
	}
	alpr_ui_demo_wait_frames(f->w, 1);
}

static const char *label_text(struct fixture *f, const char *name)
{
	return gtk_label_get_text(GTK_LABEL(find(f, name)));
}

/* Ink height of a label's text in pixels: what "plate text 48 px high" means. */
static int ink_height(GtkWidget *label)
{
	PangoRectangle ink;

	pango_layout_get_pixel_extents(gtk_label_get_layout(GTK_LABEL(label)), &ink, NULL);
	return ink.height;
}

/* Every visible button under @root is a glove-sized target. */
static int check_touch_targets(GtkWidget *root)
{
	int n = 0;

	if (GTK_IS_BUTTON(root) && shown(root)) {
		CHECK_MSG(gtk_widget_get_width(root) >= 48 && gtk_widget_get_height(root) >= 48,
			  "button %s is %dx%d, under 48 px", gtk_widget_get_name(root),
			  gtk_widget_get_width(root), gtk_widget_get_height(root));
		n++;
	}
	for (GtkWidget *c = gtk_widget_get_first_child(root); c;
	     c = gtk_widget_get_next_sibling(c)) {
		n += check_touch_targets(c);
	}
	return n;
}

struct pixel_stats {
	size_t white;  /* 255,255,255 */
	size_t bright; /* every channel >= 230 */
	size_t total;
};

static struct pixel_stats analyse(GdkTexture *t)
{
	int w = gdk_texture_get_width(t), h = gdk_texture_get_height(t);
	size_t stride = (size_t)w * 4;
	g_autofree guchar *px = g_malloc(stride * (size_t)h);
	struct pixel_stats s = {0};

	gdk_texture_download(t, px, stride); /* B G R A premultiplied (cairo's ARGB32) */
	for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
		const guchar *p = px + 4 * i;

		s.white += p[0] == 255 && p[1] == 255 && p[2] == 255;
		s.bright += p[0] >= 230 && p[1] >= 230 && p[2] >= 230;
		s.total++;
	}
	return s;
}

static GdkTexture *screenshot(struct fixture *f, const char *name)
{
	g_autoptr(GError) error = NULL;
	GdkTexture *t;

	alpr_ui_demo_wait_frames(f->w, 2);
	t = alpr_ui_render(f->w, &error);
	CHECK_MSG(t != NULL, "render: %s", error ? error->message : "?");
	CHECK(gdk_texture_save_to_png(t, check_path(name)));
	CHECK_INT_EQ(gdk_texture_get_width(t), f->opts.width);
	CHECK_INT_EQ(gdk_texture_get_height(t), f->opts.height);
	return t;
}

static void wait_sensitive(struct fixture *f, const char *name)
{
	GtkWidget *b = find(f, name);

	for (int i = 0; i < 300 && !gtk_widget_is_sensitive(b); i++) {
		alpr_ui_demo_wait_frames(f->w, 1);
		g_usleep(10000);
	}
	CHECK_MSG(gtk_widget_is_sensitive(b), "%s never became tappable", name);
}

static void check_patrol(int width, int height)
{
	struct fixture f;
	int minw, minh;
	g_autoptr(GdkTexture) t = NULL;
	int plates = 0;

	setup(&f, width, height, false, true);
	alpr_ui_demo_push_scene(f.demo, f.win);
	CHECK(alpr_ui_demo_push_reads(f.demo, f.win, false, NULL) > 0);
	t = screenshot(&f, "patrol.png");
	CHECK_STR_EQ(page(&f), "patrol");
	/* It fits: nothing asks for more than the screen. */
	gtk_widget_measure(find(&f, "pages"), GTK_ORIENTATION_HORIZONTAL, -1, &minw, NULL, NULL,
			   NULL);
	gtk_widget_measure(find(&f, "pages"), GTK_ORIENTATION_VERTICAL, width, &minh, NULL, NULL,
			   NULL);
	CHECK_MSG(minw <= width && minh <= height, "needs %dx%d on a %dx%d screen", minw, minh,
		  width, height);
	CHECK_INT_EQ(gtk_widget_get_width(f.w), width);
	for (const char *const *n =
		     (const char *const[]){"status-bar", "status-camera-front",
					   "status-camera-rear", "status-gps", "status-hotlist",
					   "status-sync", "status-storage", "status-officer",
					   "tile-front", "tile-rear", "reads-strip",
					   "patrol-new-wanted", NULL};
	     *n; n++) {
		check_shown(&f, *n);
	}
	CHECK_STR_EQ(label_text(&f, "status-gps"), "GPS 3D, live");
	CHECK_STR_CONTAINS(label_text(&f, "status-hotlist"), "Hotlist v");
	CHECK_STR_EQ(label_text(&f, "status-officer"), "Officer 4471");
	for (GtkWidget *item = gtk_widget_get_first_child(find(&f, "reads-box")); item;
	     item = gtk_widget_get_next_sibling(item)) {
		GtkWidget *plate = alpr_ui_find(item, "read-plate");

		CHECK(plate != NULL);
		if (shown(plate)) {
			CHECK_MSG(ink_height(plate) >= 48, "strip plate %s is %d px high",
				  gtk_label_get_text(GTK_LABEL(plate)), ink_height(plate));
			plates++;
		}
	}
	CHECK_MSG(plates >= 3, "only %d reads visible in the strip", plates);
	CHECK(check_touch_targets(find(&f, "patrol")) >= 3);
	teardown(&f);
}

static void test_patrol_1280(void)
{
	check_patrol(1280, 800);
}

static void test_patrol_1024(void)
{
	check_patrol(1024, 768);
}

/* The hit flow: unverified card, no dispositions, guarded check, dispositions, queue. */
static void test_hit_flow(void)
{
	struct fixture f;
	const struct alpr_ui_hit_queue *q;
	struct alpr_ui_hit *cur;
	struct store_hit sh;
	char read_id[STORE_ID_MAX + 1];
	size_t n;
	static const char *const disps[] = {"disp-confirmed-stopped", "disp-confirmed-not-stopped",
					    "disp-misread", "disp-wrong-state",
					    "disp-not-actioned"};

	setup_guard_us = 0; /* the default guard */
	setup(&f, 1280, 800, false, true);
	alpr_ui_demo_push_scene(f.demo, f.win);
	CHECK_INT_EQ(alpr_ui_demo_push_reads(f.demo, f.win, true, "8BKR412"), 6);
	alpr_ui_demo_wait_frames(f.w, 2);
	q = alpr_patrol_window_get_queue(f.win);
	CHECK_INT_EQ(alpr_ui_hit_queue_len(q), 6);
	CHECK_STR_EQ(page(&f), "hit");
	cur = alpr_ui_hit_queue_current(q);
	CHECK_STR_EQ(cur->match.entry.plate, "8BKR412");
	CHECK_INT_EQ(cur->sound_requests, 1);
	CHECK(alpr_patrol_window_sound_ready(f.win));

	for (const char *const *nm =
		     (const char *const[]){"hitcard-category", "hitcard-status", "hitcard-crop",
					   "hitcard-read-plate", "hitcard-entry-plate",
					   "hitcard-match", "hitcard-state", "hitcard-reason",
					   "hitcard-vehicle", "hitcard-source", "hitcard-entry-age",
					   "hitcard-list-age", "hitcard-verify", NULL};
	     *nm; nm++) {
		check_shown(&f, *nm);
	}
	CHECK_STR_EQ(label_text(&f, "hitcard-status"), "UNVERIFIED");
	CHECK_STR_EQ(label_text(&f, "hitcard-category"), "FELONY VEHICLE");
	CHECK_STR_EQ(label_text(&f, "hitcard-read-plate"), "BBKR412");
	CHECK_STR_EQ(label_text(&f, "hitcard-entry-plate"), "8BKR412");
	CHECK_STR_EQ(label_text(&f, "hitcard-match"), "Match: look-alike: 8/B at position 1");
	CHECK_STR_EQ(label_text(&f, "hitcard-state"), "state matches: TX");
	CHECK_STR_EQ(label_text(&f, "hitcard-vehicle"), "2015 Ford F150, white");
	CHECK_STR_EQ(label_text(&f, "hitcard-waiting"), "5 more hits waiting");
	/* The differing character is marked in the markup (a highlight span). */
	CHECK_STR_CONTAINS(gtk_label_get_label(GTK_LABEL(find(&f, "hitcard-entry-plate"))),
			   "underline=\"double\">8</span>");
	CHECK(!shown(find(&f, "hitcard-dispositions")));
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(disps); i++) {
		CHECK_MSG(!shown(find(&f, disps[i])), "%s is visible before verification",
			  disps[i]);
	}
	g_autoptr(GdkTexture) t = screenshot(&f, "hitcard-unverified.png");

	/* A tap in the first moments of a new card is ignored (meant for the last one). */
	CHECK(!gtk_widget_is_sensitive(find(&f, "hitcard-verify")));
	tap(&f, "hitcard-verify");
	CHECK_INT_EQ(cur->state, ALPR_UI_HIT_UNVERIFIED);
	CHECK(!shown(find(&f, "hitcard-dispositions")));

	wait_sensitive(&f, "hitcard-verify");
	tap(&f, "hitcard-verify");
	CHECK_INT_EQ(cur->state, ALPR_UI_HIT_VERIFIED);
	CHECK_STR_EQ(label_text(&f, "hitcard-status"), "VERIFIED");
	CHECK(!shown(find(&f, "hitcard-verify")));
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(disps); i++) {
		check_shown(&f, disps[i]);
	}
	CHECK(check_touch_targets(find(&f, "hitcard")) >= 5);

	/* Misread: stored with officer and time; the queue pops; the next card is unverified. */
	alpr_strlcpy(read_id, cur->read_id, sizeof(read_id));
	tap(&f, "disp-misread");
	CHECK_OK(store_get_hit(f.opts.store, read_id, &sh));
	CHECK_INT_EQ(sh.status, STORE_HIT_MISREAD);
	CHECK_INT_EQ(sh.ndispositions, 1);
	CHECK_STR_EQ(sh.dispositions[0].officer, "4471");
	CHECK(sh.dispositions[0].at > 0);
	CHECK_INT_EQ(alpr_ui_hit_queue_len(q), 5);
	CHECK_STR_EQ(page(&f), "hit");
	CHECK_STR_EQ(label_text(&f, "hitcard-status"), "UNVERIFIED");
	CHECK(!shown(find(&f, "hitcard-dispositions")));
	CHECK_STR_EQ(label_text(&f, "hitcard-waiting"), "4 more hits waiting");

	/* Confirmed, not stopped: the store's two-step path. */
	cur = alpr_ui_hit_queue_current(q);
	alpr_strlcpy(read_id, cur->read_id, sizeof(read_id));
	wait_sensitive(&f, "hitcard-verify");
	tap(&f, "hitcard-verify");
	tap(&f, "disp-confirmed-not-stopped");
	CHECK_OK(store_get_hit(f.opts.store, read_id, &sh));
	CHECK_INT_EQ(sh.status, STORE_HIT_NOT_ACTIONED);
	CHECK_INT_EQ(sh.ndispositions, 2);
	CHECK_INT_EQ(sh.dispositions[0].status, STORE_HIT_CONFIRMED);

	/* The rest: every one needs its check and a disposition; then back to patrol. */
	for (n = alpr_ui_hit_queue_len(q); n > 0; n--) {
		CHECK_STR_EQ(page(&f), "hit");
		CHECK(!shown(find(&f, "hitcard-dispositions")));
		wait_sensitive(&f, "hitcard-verify");
		tap(&f, "hitcard-verify");
		tap(&f, "disp-not-actioned");
		CHECK_INT_EQ(alpr_ui_hit_queue_len(q), n - 1);
	}
	CHECK_STR_EQ(page(&f), "patrol");
	teardown(&f);
}

/* A card's wording for the state and the other match kinds. */
static void test_hit_texts(void)
{
	struct fixture f;
	const struct alpr_ui_hit_queue *q;

	setup(&f, 1280, 800, false, true);
	CHECK_INT_EQ(alpr_ui_demo_push_reads(f.demo, f.win, true, "7XYZ890"), 6);
	alpr_ui_demo_wait_frames(f.w, 2);
	q = alpr_patrol_window_get_queue(f.win);
	CHECK_STR_EQ(alpr_ui_hit_queue_current(q)->match.entry.plate, "7XYZ890");
	CHECK_STR_EQ(label_text(&f, "hitcard-state"), "STATE NOT CONFIRMED: read AZ, entry NV");
	CHECK(gtk_widget_has_css_class(find(&f, "hitcard-state"), "state-bad"));
	CHECK_STR_EQ(label_text(&f, "hitcard-category"), "AMBER ALERT");
	CHECK_STR_EQ(label_text(&f, "hitcard-match"), "Match: exact");
	teardown(&f);

	setup(&f, 1280, 800, false, true);
	CHECK_INT_EQ(alpr_ui_demo_push_reads(f.demo, f.win, true, "6TRK539"), 6);
	alpr_ui_demo_wait_frames(f.w, 2);
	CHECK_STR_EQ(label_text(&f, "hitcard-match"),
		     "Match: one character missing: 9 at position 7");
	CHECK_STR_EQ(label_text(&f, "hitcard-read-plate"), "6TRK53_");
	teardown(&f);

	setup(&f, 1280, 800, false, true);
	CHECK_INT_EQ(alpr_ui_demo_push_reads(f.demo, f.win, true, "4MNP218"), 6);
	alpr_ui_demo_wait_frames(f.w, 2);
	CHECK_STR_EQ(label_text(&f, "hitcard-state"), "STATE NOT CONFIRMED: state not read");
	teardown(&f);
}

/* Night: nothing bright white anywhere on the hit card; day has white (the analysis works). */
static void test_night(void)
{
	struct fixture f;
	struct pixel_stats night, day;

	setup(&f, 1280, 800, true, true);
	alpr_ui_demo_push_scene(f.demo, f.win);
	alpr_ui_demo_push_reads(f.demo, f.win, true, "8BKR412");
	{
		g_autoptr(GdkTexture) t = screenshot(&f, "hitcard-night.png");
		night = analyse(t);
	}
	CHECK_STR_EQ(page(&f), "hit");
	CHECK_MSG(night.white == 0 && night.bright == 0,
		  "night hit card: %zu pure white and %zu bright pixels", night.white,
		  night.bright);
	alpr_patrol_window_set_night(f.win, false);
	{
		g_autoptr(GdkTexture) t = screenshot(&f, "hitcard-day.png");
		day = analyse(t);
	}
	CHECK_MSG(day.white > 1000, "day hit card has only %zu white pixels", day.white);
	/* Patrol at night too: tiles, crops and status all dim. */
	alpr_patrol_window_set_night(f.win, true);
	while (alpr_ui_hit_queue_len(alpr_patrol_window_get_queue(f.win)) > 0) {
		tap(&f, "hitcard-verify");
		tap(&f, "disp-not-actioned");
	}
	CHECK_STR_EQ(page(&f), "patrol");
	{
		g_autoptr(GdkTexture) t = screenshot(&f, "patrol-night.png");
		night = analyse(t);
	}
	CHECK_MSG(night.white == 0 && night.bright == 0,
		  "night patrol: %zu pure white and %zu bright pixels", night.white, night.bright);
	teardown(&f);
}

/* Plate text is at least 48 px high on the card, day and night. */
static void test_plate_size(void)
{
	struct fixture f;

	setup(&f, 1024, 768, false, true);
	alpr_ui_demo_push_reads(f.demo, f.win, true, "8BKR412");
	alpr_ui_demo_wait_frames(f.w, 2);
	CHECK_MSG(ink_height(find(&f, "hitcard-read-plate")) >= 48, "read plate %d px",
		  ink_height(find(&f, "hitcard-read-plate")));
	CHECK_MSG(ink_height(find(&f, "hitcard-entry-plate")) >= 48, "entry plate %d px",
		  ink_height(find(&f, "hitcard-entry-plate")));
	CHECK(gtk_widget_get_height(find(&f, "hitcard-entry-plate")) >= 48);
	CHECK(check_touch_targets(find(&f, "hitcard")) >= 1);
	teardown(&f);
}

/* Sign-in with the keypad, a refused PIN, the lock, hits waiting behind it, the idle lock. */
static void test_sign_in_lock(void)
{
	struct fixture f;

	setup(&f, 1280, 800, false, false);
	CHECK_STR_EQ(page(&f), "signin");
	CHECK(alpr_patrol_window_get_officer(f.win) == NULL);
	check_shown(&f, "signin-officer");
	check_shown(&f, "signin-pin");
	CHECK(check_touch_targets(find(&f, "signin")) >= 12);
	gtk_editable_set_text(GTK_EDITABLE(find(&f, "signin-officer")), "4471");
	gtk_widget_grab_focus(find(&f, "signin-pin"));
	tap(&f, "key-1");
	tap(&f, "key-1");
	tap(&f, "signin-ok");
	CHECK_STR_EQ(page(&f), "signin");
	CHECK_STR_EQ(label_text(&f, "signin-error"), "Officer id or PIN not accepted");
	gtk_widget_grab_focus(find(&f, "signin-pin"));
	tap(&f, "key-2");
	tap(&f, "key-5");
	tap(&f, "key-8");
	tap(&f, "key-9");
	tap(&f, "key-del");
	tap(&f, "key-0");
	tap(&f, "signin-ok");
	CHECK_STR_EQ(page(&f), "patrol");
	CHECK_STR_EQ(alpr_patrol_window_get_officer(f.win), "4471");

	tap(&f, "patrol-lock");
	CHECK_STR_EQ(page(&f), "signin");
	CHECK(alpr_patrol_window_get_officer(f.win) == NULL);
	alpr_ui_demo_push_reads(f.demo, f.win, true, NULL);
	alpr_ui_demo_wait_frames(f.w, 2);
	CHECK_STR_EQ(page(&f), "signin"); /* a hit never shows on a locked screen */
	check_shown(&f, "signin-notice");
	CHECK_STR_CONTAINS(label_text(&f, "signin-notice"), "6 HITS WAITING");
	CHECK(alpr_patrol_window_sign_in(f.win, "4471", "2580", NULL));
	CHECK_STR_EQ(page(&f), "hit");
	teardown(&f);

	/* Five wrong PINs in a row: sign-in locks, and then even the right PIN is refused. */
	setup(&f, 1280, 800, false, false);
	for (int i = 0; i < ALPR_UI_PIN_TRIES_MAX; i++) {
		gtk_editable_set_text(GTK_EDITABLE(find(&f, "signin-officer")), "4471");
		gtk_editable_set_text(GTK_EDITABLE(find(&f, "signin-pin")), "1111");
		tap(&f, "signin-ok");
	}
	CHECK_STR_CONTAINS(label_text(&f, "signin-error"), "Too many wrong PINs");
	{
		g_autoptr(GError) error = NULL;
		CHECK(!alpr_patrol_window_sign_in(f.win, "4471", "2580", &error));
		CHECK_STR_CONTAINS(error->message, "Too many wrong PINs: wait");
	}
	CHECK_STR_EQ(page(&f), "signin");
	teardown(&f);

	/* Idle: locks by itself. */
	setup(&f, 1280, 800, false, false);
	gtk_window_destroy(GTK_WINDOW(f.win));
	f.opts.idle_lock_us = ALPR_USEC_PER_SEC;
	f.win = alpr_patrol_window_new(NULL, &f.opts);
	f.w = GTK_WIDGET(f.win);
	gtk_window_present(GTK_WINDOW(f.win));
	CHECK(alpr_patrol_window_sign_in(f.win, "4471", "2580", NULL));
	CHECK_STR_EQ(page(&f), "patrol");
	for (int i = 0; i < 40 && strcmp(page(&f), "signin") != 0; i++) {
		alpr_ui_demo_wait_frames(f.w, 1);
		g_usleep(100000);
	}
	CHECK_STR_EQ(page(&f), "signin");
	teardown(&f);
}

/* New wanted: required case number, added to the officer list, matches at once. */
static void test_new_wanted(void)
{
	struct fixture f;
	struct hotlist_entry e[4];
	struct hotlist_match m[4];
	struct hotlist_candidate c = {"7ABC123", 0.9f};
	int64_t now = alpr_clock_now(NULL);

	setup(&f, 1024, 768, false, true);
	tap(&f, "patrol-new-wanted");
	CHECK_STR_EQ(page(&f), "wanted");
	CHECK(check_touch_targets(find(&f, "wanted")) >= 4);
	gtk_editable_set_text(GTK_EDITABLE(find(&f, "wanted-plate")), "7ABC 123");
	gtk_editable_set_text(GTK_EDITABLE(find(&f, "wanted-state")), "ca");
	gtk_editable_set_text(GTK_EDITABLE(find(&f, "wanted-reason")), "Hit and run");
	tap(&f, "wanted-save");
	CHECK_STR_EQ(page(&f), "wanted");
	CHECK_STR_EQ(label_text(&f, "wanted-error"), "Case number is required");
	CHECK_INT_EQ(hotlist_lookup(f.opts.hotlist, "7ABC123", e, 4), 0);
	gtk_editable_set_text(GTK_EDITABLE(find(&f, "wanted-case")), "2026-009001");
	tap(&f, "wanted-save");
	CHECK_STR_EQ(page(&f), "patrol");
	CHECK_INT_EQ(hotlist_lookup(f.opts.hotlist, "7ABC123", e, 4), 1);
	CHECK_STR_EQ(e[0].list, "officer");
	CHECK_STR_EQ(e[0].state, "CA");
	CHECK_STR_EQ(e[0].case_number, "2026-009001");
	CHECK_STR_EQ(e[0].entered_by, "4471");
	CHECK_INT_EQ(e[0].source, HOTLIST_SOURCE_OFFICER);
	/* Default expiry: the end of the shift (10 h from sign-in), to the minute. */
	CHECK(e[0].expires_at > now + 9 * ALPR_USEC_PER_HOUR);
	CHECK(e[0].expires_at <= now + 10 * ALPR_USEC_PER_HOUR);
	CHECK_INT_EQ(hotlist_match(f.opts.hotlist, &c, 1, "CA", NULL, m, 4), 1);
	CHECK_STR_EQ(m[0].entry.list, "officer");
	check_shown(&f, "patrol-notice");
	teardown(&f);
}

/* The runtime pushes from its own threads: everything arrives, in order. */
struct pusher {
	AlprPatrolWindow *win;
};

static gpointer push_thread(gpointer data)
{
	struct pusher *p = data;
	uint8_t gray[64 * 32];

	memset(gray, 90, sizeof(gray));
	for (int i = 0; i < 5; i++) {
		struct store_read r;

		memset(&r, 0, sizeof(r));
		snprintf(r.plate, sizeof(r.plate), "THR%03d", i);
		alpr_strlcpy(r.camera, "front", sizeof(r.camera));
		alpr_strlcpy(r.state, "CA", sizeof(r.state));
		r.captured_at = alpr_clock_now(NULL);
		alpr_ui_push_read(p->win, &r);
	}
	for (int i = 0; i < 50; i++) {
		alpr_ui_push_frame(p->win, "front", gray, 64, 32, 64, NULL, 0);
	}
	return NULL;
}

static void test_threads(void)
{
	struct fixture f;
	struct pusher p;
	GThread *t;
	GtkWidget *first;

	setup(&f, 1280, 800, false, true);
	p.win = f.win;
	t = g_thread_new("pusher", push_thread, &p);
	g_thread_join(t);
	alpr_patrol_window_flush(f.win);
	alpr_ui_demo_wait_frames(f.w, 2);
	first = gtk_widget_get_first_child(find(&f, "reads-box"));
	CHECK(first != NULL);
	CHECK_STR_EQ(gtk_label_get_text(GTK_LABEL(alpr_ui_find(first, "read-plate"))), "THR004");
	check_shown(&f, "tile-front");
	teardown(&f);
}

/* No sound card here: a sink that cannot open, or one that does not exist, falls back to
 * fakesink (one warning) and the alert still "plays" without blocking; autoaudiosink either
 * finds a device or falls back the same way. */
static void test_sound_fallback(void)
{
	static const char *const sinks[] = {"osssink", "nosuchsink", "autoaudiosink"};

	g_unsetenv("ALPR_UI_AUDIO_SINK");
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(sinks); i++) {
		struct alpr_ui_sound *s = alpr_ui_sound_new(ALPR_UI_ALERT_WAV, sinks[i]);

		CHECK_MSG(alpr_ui_sound_ready(s), "%s: no pipeline at all", sinks[i]);
		if (i < 2) {
			CHECK_STR_EQ(alpr_ui_sound_sink(s), "fakesink");
		} else {
			CHECK(alpr_ui_sound_sink(s) != NULL);
			fprintf(stderr, "autoaudiosink here: %s\n", alpr_ui_sound_sink(s));
		}
		CHECK(alpr_ui_sound_play(s));
		CHECK(alpr_ui_sound_play(s)); /* a burst: one alert, no error */
		alpr_ui_sound_free(s);
	}
}

int main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{"patrol-1280", test_patrol_1280},
		{"patrol-1024", test_patrol_1024},
		{"hit-flow", test_hit_flow},
		{"hit-texts", test_hit_texts},
		{"night", test_night},
		{"plate-size", test_plate_size},
		{"sign-in-lock", test_sign_in_lock},
		{"new-wanted", test_new_wanted},
		{"threads", test_threads},
		{"sound-fallback", test_sound_fallback},
	};
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
