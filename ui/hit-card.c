/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * hit-card.c: AlprHitCard, one hit full screen. What the officer must compare sits side by
 * side at the top: the plate crop and the read above the entry's plate, the differing
 * characters highlighted; then the match kind and the state check in words; then what the
 * entry says. The bottom holds one thing at a time: the check button while the hit is
 * unverified, the dispositions once it is verified; there is no close button.
 */
#include <string.h>

#include "ui-private.h"

struct _AlprHitCard {
	GtkWidget parent;
	GtkWidget *root;
	GtkWidget *header, *category, *waiting, *badge;
	GtkWidget *read_title, *crop, *read_plate;
	GtkWidget *entry_title, *entry_plate;
	GtkWidget *match_words, *state_line;
	GtkWidget *reason, *vehicle, *source, *entered, *list_age;
	GtkWidget *error;
	GtkWidget *verify_row, *verify, *speak;
	GtkWidget *dispositions;
	uint64_t shown_seq;
	guint guard_source;
	char phonetic[256];
};

G_DEFINE_FINAL_TYPE(AlprHitCard, alpr_hit_card, GTK_TYPE_WIDGET)

enum { SIG_VERIFY, SIG_DISPOSE, SIG_SPEAK, N_SIGNALS };
static guint signals[N_SIGNALS];

static void on_verify(GtkButton *b, gpointer data)
{
	g_signal_emit(data, signals[SIG_VERIFY], 0);
}

static void on_speak(GtkButton *b, gpointer data)
{
	AlprHitCard *c = data;
	g_signal_emit(c, signals[SIG_SPEAK], 0, c->phonetic);
}

static void on_dispose(GtkButton *b, gpointer data)
{
	int d = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(b), "disposition"));
	g_signal_emit(data, signals[SIG_DISPOSE], 0, d);
}

static GtkWidget *label(const char *name, const char *css_class, float xalign)
{
	GtkWidget *l = gtk_label_new("");

	gtk_widget_set_name(l, name);
	if (css_class) {
		gtk_widget_add_css_class(l, css_class);
	}
	gtk_label_set_xalign(GTK_LABEL(l), xalign);
	gtk_label_set_wrap(GTK_LABEL(l), TRUE);
	return l;
}

static GtkWidget *detail(GtkGrid *grid, int row, const char *key, const char *name)
{
	GtkWidget *k = gtk_label_new(key), *v = label(name, "detail-value", 0);

	gtk_widget_add_css_class(k, "detail-key");
	gtk_label_set_xalign(GTK_LABEL(k), 1);
	gtk_label_set_wrap(GTK_LABEL(v), TRUE);
	gtk_label_set_ellipsize(GTK_LABEL(v), PANGO_ELLIPSIZE_END);
	gtk_label_set_lines(GTK_LABEL(v), 2);
	gtk_widget_set_hexpand(v, TRUE);
	gtk_grid_attach(grid, k, 0, row, 1, 1);
	gtk_grid_attach(grid, v, 1, row, 1, 1);
	return v;
}

static void alpr_hit_card_init(AlprHitCard *c)
{
	GtkWidget *cmp, *grid, *body, *spacer;
	static const char *const disp_names[ALPR_UI_DISP_COUNT] = {
		"disp-confirmed-stopped", "disp-confirmed-not-stopped", "disp-misread",
		"disp-wrong-state",       "disp-not-actioned",
	};

	gtk_widget_set_name(GTK_WIDGET(c), "hitcard");
	c->root = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	gtk_widget_set_parent(c->root, GTK_WIDGET(c));

	c->header = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 16);
	gtk_widget_add_css_class(c->header, "hit-header");
	c->category = label("hitcard-category", "hit-category", 0);
	c->waiting = label("hitcard-waiting", "hit-waiting", 1);
	c->badge = label("hitcard-status", "hit-badge", 0.5);
	gtk_widget_set_hexpand(c->category, TRUE);
	gtk_label_set_wrap(GTK_LABEL(c->category), FALSE);
	gtk_label_set_wrap(GTK_LABEL(c->waiting), FALSE);
	gtk_label_set_wrap(GTK_LABEL(c->badge), FALSE);
	gtk_box_append(GTK_BOX(c->header), c->category);
	gtk_box_append(GTK_BOX(c->header), c->waiting);
	gtk_box_append(GTK_BOX(c->header), c->badge);
	gtk_box_append(GTK_BOX(c->root), c->header);

	body = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	gtk_widget_set_margin_start(body, 20);
	gtk_widget_set_margin_end(body, 20);
	gtk_widget_set_vexpand(body, TRUE);
	gtk_box_append(GTK_BOX(c->root), body);

	/* Read and entry side by side, plate under plate, so differing characters line up. */
	cmp = gtk_grid_new();
	gtk_grid_set_column_homogeneous(GTK_GRID(cmp), TRUE);
	gtk_grid_set_column_spacing(GTK_GRID(cmp), 24);
	gtk_grid_set_row_spacing(GTK_GRID(cmp), 4);
	c->read_title = label("hitcard-read-title", "hit-side-title", 0.5);
	c->crop = gtk_picture_new();
	gtk_widget_set_name(c->crop, "hitcard-crop");
	gtk_widget_add_css_class(c->crop, "crop");
	gtk_picture_set_can_shrink(GTK_PICTURE(c->crop), TRUE);
	gtk_picture_set_content_fit(GTK_PICTURE(c->crop), GTK_CONTENT_FIT_CONTAIN);
	gtk_widget_set_size_request(c->crop, 320, 120);
	c->read_plate = label("hitcard-read-plate", "plate", 0.5);
	gtk_widget_add_css_class(c->read_plate, "plate-card");
	gtk_label_set_wrap(GTK_LABEL(c->read_plate), FALSE);
	gtk_widget_set_halign(c->read_plate, GTK_ALIGN_CENTER);
	c->entry_title = label("hitcard-entry-title", "hit-side-title", 0.5);
	c->vehicle = label("hitcard-vehicle", "hit-vehicle", 0.5);
	gtk_widget_set_valign(c->vehicle, GTK_ALIGN_CENTER);
	c->entry_plate = label("hitcard-entry-plate", "plate", 0.5);
	gtk_widget_add_css_class(c->entry_plate, "plate-card");
	gtk_widget_add_css_class(c->entry_plate, "plate-entry");
	gtk_label_set_wrap(GTK_LABEL(c->entry_plate), FALSE);
	gtk_widget_set_halign(c->entry_plate, GTK_ALIGN_CENTER);
	gtk_grid_attach(GTK_GRID(cmp), c->read_title, 0, 0, 1, 1);
	gtk_grid_attach(GTK_GRID(cmp), c->crop, 0, 1, 1, 1);
	gtk_grid_attach(GTK_GRID(cmp), c->read_plate, 0, 2, 1, 1);
	gtk_grid_attach(GTK_GRID(cmp), c->entry_title, 1, 0, 1, 1);
	gtk_grid_attach(GTK_GRID(cmp), c->vehicle, 1, 1, 1, 1);
	gtk_grid_attach(GTK_GRID(cmp), c->entry_plate, 1, 2, 1, 1);
	gtk_box_append(GTK_BOX(body), cmp);

	c->match_words = label("hitcard-match", "match-words", 0);
	c->state_line = label("hitcard-state", "state-line", 0);
	gtk_box_append(GTK_BOX(body), c->match_words);
	gtk_box_append(GTK_BOX(body), c->state_line);

	grid = gtk_grid_new();
	gtk_grid_set_column_spacing(GTK_GRID(grid), 16);
	gtk_grid_set_row_spacing(GTK_GRID(grid), 2);
	c->reason = detail(GTK_GRID(grid), 0, "Reason", "hitcard-reason");
	c->source = detail(GTK_GRID(grid), 1, "Source", "hitcard-source");
	c->entered = detail(GTK_GRID(grid), 2, "Entry age", "hitcard-entry-age");
	c->list_age = detail(GTK_GRID(grid), 3, "List age", "hitcard-list-age");
	gtk_box_append(GTK_BOX(body), grid);

	spacer = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	gtk_widget_set_vexpand(spacer, TRUE);
	gtk_box_append(GTK_BOX(body), spacer);
	c->error = label("hitcard-error", "hit-error", 0);
	gtk_widget_set_visible(c->error, FALSE);
	gtk_box_append(GTK_BOX(body), c->error);

	c->verify_row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	c->verify = gtk_button_new_with_label("Plate and state match the image");
	gtk_widget_set_name(c->verify, "hitcard-verify");
	gtk_widget_add_css_class(c->verify, "verify-button");
	gtk_widget_set_hexpand(c->verify, TRUE);
	g_signal_connect(c->verify, "clicked", G_CALLBACK(on_verify), c);
	c->speak = gtk_button_new_with_label("Read aloud");
	gtk_widget_set_name(c->speak, "hitcard-speak");
	gtk_widget_add_css_class(c->speak, "verify-aside");
	g_signal_connect(c->speak, "clicked", G_CALLBACK(on_speak), c);
	gtk_box_append(GTK_BOX(c->verify_row), c->verify);
	gtk_box_append(GTK_BOX(c->verify_row), c->speak);
	gtk_widget_set_margin_start(c->verify_row, 20);
	gtk_widget_set_margin_end(c->verify_row, 20);
	gtk_widget_set_margin_bottom(c->verify_row, 16);
	gtk_box_append(GTK_BOX(c->root), c->verify_row);

	c->dispositions = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 10);
	gtk_widget_set_name(c->dispositions, "hitcard-dispositions");
	gtk_box_set_homogeneous(GTK_BOX(c->dispositions), TRUE);
	for (int d = 0; d < ALPR_UI_DISP_COUNT; d++) {
		GtkWidget *b = gtk_button_new_with_label(alpr_ui_disposition_label(d));
		GtkWidget *l = gtk_button_get_child(GTK_BUTTON(b));

		gtk_label_set_wrap(GTK_LABEL(l), TRUE);
		gtk_label_set_justify(GTK_LABEL(l), GTK_JUSTIFY_CENTER);
		gtk_widget_set_name(b, disp_names[d]);
		gtk_widget_add_css_class(b, "disp-button");
		if (d == ALPR_UI_DISP_CONFIRMED_STOPPED) {
			gtk_widget_add_css_class(b, "confirm");
		}
		g_object_set_data(G_OBJECT(b), "disposition", GINT_TO_POINTER(d));
		g_signal_connect(b, "clicked", G_CALLBACK(on_dispose), c);
		gtk_box_append(GTK_BOX(c->dispositions), b);
	}
	gtk_widget_set_margin_start(c->dispositions, 20);
	gtk_widget_set_margin_end(c->dispositions, 20);
	gtk_widget_set_margin_bottom(c->dispositions, 16);
	gtk_widget_set_visible(c->dispositions, FALSE);
	gtk_box_append(GTK_BOX(c->root), c->dispositions);
}

static void card_dispose(GObject *o)
{
	AlprHitCard *c = ALPR_HIT_CARD(o);

	if (c->guard_source) {
		g_source_remove(c->guard_source);
		c->guard_source = 0;
	}
	g_clear_pointer(&c->root, gtk_widget_unparent);
	G_OBJECT_CLASS(alpr_hit_card_parent_class)->dispose(o);
}

static void alpr_hit_card_class_init(AlprHitCardClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = card_dispose;
	gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
	gtk_widget_class_set_css_name(wc, "hitcard");
	signals[SIG_VERIFY] = g_signal_new("verify", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					   NULL, NULL, NULL, G_TYPE_NONE, 0);
	signals[SIG_DISPOSE] =
		g_signal_new("dispose-hit", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
	signals[SIG_SPEAK] = g_signal_new("speak", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

AlprHitCard *alpr_hit_card_new(void)
{
	return g_object_new(ALPR_TYPE_HIT_CARD, NULL);
}

static gboolean guard_done(gpointer data)
{
	AlprHitCard *c = data;

	c->guard_source = 0;
	gtk_widget_set_sensitive(c->verify, TRUE);
	return G_SOURCE_REMOVE;
}

static void set_class(GtkWidget *w, const char *cls, bool on)
{
	if (on) {
		gtk_widget_add_css_class(w, cls);
	} else {
		gtk_widget_remove_css_class(w, cls);
	}
}

void alpr_hit_card_show(AlprHitCard *c, const struct alpr_ui_hit *hit,
			const struct alpr_hit_card_info *info)
{
	const struct hotlist_match *m = &hit->match;
	const struct hotlist_entry *e = &m->entry;
	struct alpr_ui_plate_diff diff;
	char buf[512], age[32];
	g_autofree char *read_markup = NULL, *entry_markup = NULL, *text = NULL;
	g_autoptr(GdkTexture) crop = NULL;
	bool verified = hit->state != ALPR_UI_HIT_UNVERIFIED;
	bool state_ok, stale;
	int level = alpr_ui_category_level(e->category);

	/* Header: category in the colour of its level; how many more are waiting. */
	for (int i = 0; i < 3; i++) {
		char cls[16];
		snprintf(cls, sizeof(cls), "hit-level-%d", i);
		set_class(c->header, cls, i == level);
	}
	alpr_ui_category_text(e->category, buf, sizeof(buf));
	text = g_ascii_strup(buf, -1);
	gtk_label_set_text(GTK_LABEL(c->category), text);
	g_clear_pointer(&text, g_free);
	if (info->waiting > 0) {
		text = g_strdup_printf("%zu more hit%s waiting", info->waiting,
				       info->waiting == 1 ? "" : "s");
		gtk_label_set_text(GTK_LABEL(c->waiting), text);
		g_clear_pointer(&text, g_free);
	} else {
		gtk_label_set_text(GTK_LABEL(c->waiting), "");
	}
	gtk_label_set_text(GTK_LABEL(c->badge), verified ? "VERIFIED" : "UNVERIFIED");
	set_class(c->badge, "unverified", !verified);
	set_class(c->badge, "verified", verified);

	/* The comparison. */
	{
		g_autoptr(GDateTime) dt =
			g_date_time_new_from_unix_local(hit->captured_at / ALPR_USEC_PER_SEC);
		g_autofree char *when = dt ? g_date_time_format(dt, "%H:%M:%S") : g_strdup("?");

		text = g_strdup_printf("READ: %s camera at %s, state %s",
				       hit->camera[0] ? hit->camera : "?", when,
				       hit->read_state[0] ? hit->read_state : "??");
	}
	gtk_label_set_text(GTK_LABEL(c->read_title), text);
	g_clear_pointer(&text, g_free);
	crop = alpr_ui_texture_from_crop(hit->crop, hit->crop_len);
	gtk_picture_set_paintable(GTK_PICTURE(c->crop), GDK_PAINTABLE(crop));
	gtk_widget_set_visible(c->crop, crop != NULL);
	(void)alpr_ui_plate_diff(m, &diff); /* on -EINVAL it still holds a plain comparison */
	read_markup = alpr_ui_plate_markup(diff.read, diff.differs, diff.len, info->night);
	entry_markup = alpr_ui_plate_markup(diff.entry, diff.differs, diff.len, info->night);
	gtk_label_set_markup(GTK_LABEL(c->read_plate), read_markup);
	gtk_label_set_markup(GTK_LABEL(c->entry_plate), entry_markup);
	text = g_strdup_printf("HOTLIST: list %s v%" G_GUINT64_FORMAT ", state %s", e->list,
			       m->list.version, e->state);
	gtk_label_set_text(GTK_LABEL(c->entry_title), text);
	g_clear_pointer(&text, g_free);

	alpr_ui_match_words(m, buf, sizeof(buf));
	text = g_strdup_printf("Match: %s", buf);
	gtk_label_set_text(GTK_LABEL(c->match_words), text);
	g_clear_pointer(&text, g_free);
	state_ok = alpr_ui_state_text(hit->read_state, m, buf, sizeof(buf));
	gtk_label_set_text(GTK_LABEL(c->state_line), buf);
	set_class(c->state_line, "state-ok", state_ok);
	set_class(c->state_line, "state-bad", !state_ok);

	/* What the entry says. */
	gtk_label_set_text(GTK_LABEL(c->reason), e->reason[0] ? e->reason : "no reason given");
	alpr_ui_vehicle_text(e, buf, sizeof(buf));
	gtk_label_set_text(GTK_LABEL(c->vehicle), buf);
	text = g_strdup_printf("%s%s%s%s%s%s%s", hotlist_source_name(e->source),
			       e->agency[0] ? ", agency " : "", e->agency,
			       e->source_record_id[0] ? ", record " : "", e->source_record_id,
			       e->case_number[0] ? ", case " : "", e->case_number);
	gtk_label_set_text(GTK_LABEL(c->source), text);
	g_clear_pointer(&text, g_free);
	alpr_ui_age_text(e->entered_at > 0 ? info->now - e->entered_at : -1, age, sizeof(age));
	gtk_label_set_text(GTK_LABEL(c->entered), age);
	stale = alpr_ui_list_stale(m->list.generated_at, info->now, info->max_age_us);
	alpr_ui_age_text(m->list.generated_at > 0 ? info->now - m->list.generated_at : -1, age,
			 sizeof(age));
	text = g_strdup_printf("%s%s", age,
			       stale ? ": OLDER THAN POLICY ALLOWS, check by radio" : "");
	gtk_label_set_text(GTK_LABEL(c->list_age), text);
	g_clear_pointer(&text, g_free);
	set_class(c->list_age, "stale", stale);

	gtk_label_set_text(GTK_LABEL(c->error), info->error ? info->error : "");
	gtk_widget_set_visible(c->error, info->error != NULL);

	/* The bottom: the check, or the dispositions, never both. */
	gtk_widget_set_visible(c->verify_row, !verified);
	gtk_widget_set_visible(c->dispositions, verified);
	alpr_ui_phonetic(m->entry.plate, c->phonetic, sizeof(c->phonetic));
	{
		g_autofree char *espeak = g_find_program_in_path("espeak-ng");
		gtk_widget_set_visible(c->speak, espeak != NULL);
	}
	if (hit->seq != c->shown_seq) {
		c->shown_seq = hit->seq;
		if (c->guard_source) {
			g_source_remove(c->guard_source);
			c->guard_source = 0;
		}
		if (!verified && info->guard_us > 0) {
			gtk_widget_set_sensitive(c->verify, FALSE);
			c->guard_source =
				g_timeout_add((guint)(info->guard_us / 1000), guard_done, c);
		} else {
			gtk_widget_set_sensitive(c->verify, TRUE);
		}
	}
}
