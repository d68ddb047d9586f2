/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-ui-demo: the patrol window fed from the demo data (demo-data.h), without cameras or
 * the unit runtime. Sign in as officer 4471, PIN 2580.
 *
 *   alpr-ui-demo [--night] [--fullscreen] [--size WxH] [--signed-in] [--top PLATE]
 *   alpr-ui-demo --screenshots DIR [--size WxH]
 *
 * --screenshots writes DIR/patrol-day.png, patrol-night.png, hitcard-day.png and
 * hitcard-night.png (rendered by GTK itself, no screen grab) and exits.
 */
#include <ftw.h>
#include <stdio.h>
#include <string.h>

#include "demo-data.h"

struct demo_app {
	struct alpr_ui_demo *demo;
	struct alpr_ui_options opts;
	const char *screenshots;
	const char *top;
	bool signed_in;
	int status;
};

static void shoot(GtkWidget *win, const char *dir, const char *name, struct demo_app *a)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	alpr_ui_demo_wait_frames(win, 3);
	if (!alpr_ui_save_png(win, path, &error)) {
		fprintf(stderr, "alpr-ui-demo: %s\n", error->message);
		a->status = 1;
		return;
	}
	printf("%s\n", path);
}

static void on_activate(GtkApplication *app, gpointer data)
{
	struct demo_app *a = data;
	AlprPatrolWindow *w = alpr_patrol_window_new(app, &a->opts);
	GtkWidget *win = GTK_WIDGET(w);
	g_autoptr(GError) error = NULL;

	gtk_window_present(GTK_WINDOW(w));
	if (a->signed_in || a->screenshots) {
		if (!alpr_patrol_window_sign_in(w, ALPR_UI_DEMO_OFFICER, ALPR_UI_DEMO_PIN,
						&error)) {
			fprintf(stderr, "alpr-ui-demo: %s\n", error->message);
		}
	}
	alpr_ui_demo_push_scene(a->demo, w);
	if (!a->screenshots) {
		alpr_ui_demo_push_reads(a->demo, w, true, a->top);
		return;
	}
	alpr_ui_demo_push_reads(a->demo, w, false, NULL);
	alpr_patrol_window_set_night(w, false);
	shoot(win, a->screenshots, "patrol-day.png", a);
	alpr_patrol_window_set_night(w, true);
	shoot(win, a->screenshots, "patrol-night.png", a);
	/* The same reads again are hits now: every one queued, the top one shown. */
	alpr_ui_demo_push_reads(a->demo, w, true, a->top ? a->top : "8BKR412");
	shoot(win, a->screenshots, "hitcard-night.png", a);
	alpr_patrol_window_set_night(w, false);
	shoot(win, a->screenshots, "hitcard-day.png", a);
	gtk_window_destroy(GTK_WINDOW(w));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(int argc, char **argv)
{
	struct demo_app a = {0};
	g_autoptr(GtkApplication) app = NULL;
	g_autofree char *work = NULL;
	char err[256];
	int r;

	alpr_log_init_from_env();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--night") == 0) {
			a.opts.night = true;
		} else if (strcmp(argv[i], "--fullscreen") == 0) {
			a.opts.fullscreen = true;
		} else if (strcmp(argv[i], "--signed-in") == 0) {
			a.signed_in = true;
		} else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc &&
			   sscanf(argv[i + 1], "%dx%d", &a.opts.width, &a.opts.height) == 2 &&
			   a.opts.width >= 640 && a.opts.height >= 480) {
			i++;
		} else if (strcmp(argv[i], "--screenshots") == 0 && i + 1 < argc) {
			a.screenshots = argv[++i];
		} else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) {
			a.top = argv[++i];
		} else {
			fprintf(stderr, "usage: alpr-ui-demo [--night] [--fullscreen] [--size WxH] "
					"[--signed-in] [--top PLATE] [--screenshots DIR]\n");
			return 2;
		}
	}
	work = g_dir_make_tmp("alpr-ui-demo-XXXXXX", NULL);
	if (!work) {
		fprintf(stderr, "alpr-ui-demo: no temporary folder\n");
		return 1;
	}
	r = alpr_ui_demo_open(work, &a.demo, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "alpr-ui-demo: %s\n", err);
		nftw(work, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		return 1;
	}
	alpr_ui_demo_options(a.demo, &a.opts);
	if (a.screenshots) {
		a.opts.idle_lock_us = -1;
		a.opts.verify_guard_us = -1;
	}
	app = gtk_application_new("org.example.AlprUiDemo", G_APPLICATION_NON_UNIQUE);
	g_signal_connect(app, "activate", G_CALLBACK(on_activate), &a);
	r = g_application_run(G_APPLICATION(app), 1, argv);
	alpr_ui_demo_close(a.demo);
	nftw(work, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return r != 0 ? r : a.status;
}
