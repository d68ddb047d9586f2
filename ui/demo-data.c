/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* demo-data.c: the demo feed for the patrol window (demo-data.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pango/pangocairo.h>

#include "demo-data.h"

/* Demo reads are short lines; the file is small. */
#define DEMO_READS_MAX 64
#define DEMO_LINE_MAX  512
#define DEMO_CROP_W    240
#define DEMO_CROP_H    72
#define DEMO_SCENE_W   640
#define DEMO_SCENE_H   360

struct alpr_ui_demo {
	struct policy *policy;
	struct hotlist *hotlist;
	struct store *store;
	uint64_t state_version;
	int64_t state_generated_at;
};

static int demo_auth(const char *officer, const char *pin, void *userdata)
{
	static const char *const officers[][2] = {{ALPR_UI_DEMO_OFFICER, ALPR_UI_DEMO_PIN},
						  {"5120", "1357"}};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(officers); i++) {
		if (strcmp(officer, officers[i][0]) == 0 && strcmp(pin, officers[i][1]) == 0) {
			return 0;
		}
	}
	return -EPERM;
}

int alpr_ui_demo_open(const char *workdir, struct alpr_ui_demo **out, char *err, size_t errsz)
{
	struct alpr_ui_demo *d = g_new0(struct alpr_ui_demo, 1);
	struct hotlist_options ho = {0};
	struct hotlist_import_options io = {0};
	struct hotlist_import_result ir;
	struct hotlist_list_info li;
	struct store_options so = {0};
	g_autofree char *hdir = g_build_filename(workdir, "hotlist", NULL);
	g_autofree char *sdir = g_build_filename(workdir, "store", NULL);
	g_autofree char *csv = g_build_filename(alpr_datadir(), "demo", "hotlist.csv", NULL);
	struct hotlist_entry e;
	int r;

	r = policy_load_named("default", &d->policy, err, errsz);
	if (r < 0) {
		goto fail;
	}
	ho.policy = d->policy;
	r = hotlist_open(hdir, &ho, &d->hotlist);
	if (r < 0) {
		snprintf(err, errsz, "hotlist %s: %s", hdir, alpr_strerror(r));
		goto fail;
	}
	io.list = "state";
	io.mode = HOTLIST_IMPORT_REPLACE;
	io.skip_invalid = true;
	io.default_source = HOTLIST_SOURCE_NCIC;
	r = hotlist_import_csv(d->hotlist, csv, &io, &ir);
	if (r == 0) {
		r = hotlist_list_set(d->hotlist, "state", 10, 2);
	}
	if (r < 0) {
		snprintf(err, errsz, "import %s: %s", csv,
			 ir.error[0] ? ir.error : alpr_strerror(r));
		goto fail;
	}
	/* An officer's own entry, as the demo script adds one. */
	memset(&e, 0, sizeof(e));
	alpr_strlcpy(e.list, "officer", sizeof(e.list));
	alpr_strlcpy(e.plate, "2GHT771", sizeof(e.plate));
	alpr_strlcpy(e.plate_raw, "2GHT 771", sizeof(e.plate_raw));
	alpr_strlcpy(e.state, "CA", sizeof(e.state));
	e.category = POLICY_CAT_WANTED_PERSON;
	alpr_strlcpy(e.reason, "Suspect vehicle, burglary in progress", sizeof(e.reason));
	alpr_strlcpy(e.case_number, "2026-004211", sizeof(e.case_number));
	alpr_strlcpy(e.entered_by, ALPR_UI_DEMO_OFFICER, sizeof(e.entered_by));
	e.source = HOTLIST_SOURCE_OFFICER;
	e.entered_at = alpr_clock_now(NULL) - 40 * ALPR_USEC_PER_MIN;
	e.expires_at = alpr_clock_now(NULL) + 8 * ALPR_USEC_PER_HOUR;
	r = hotlist_list_set(d->hotlist, "officer", 20, 2);
	if (r == 0) {
		r = hotlist_add(d->hotlist, &e, NULL, err, errsz);
	}
	if (r == 0) {
		r = hotlist_list_get(d->hotlist, "state", &li);
	}
	if (r < 0) {
		snprintf(err, errsz, "officer entry: %s", alpr_strerror(r));
		goto fail;
	}
	d->state_version = li.version;
	d->state_generated_at = li.generated_at;

	so.unit_id = "demo1";
	so.policy = d->policy;
	r = store_open(sdir, &so, &d->store);
	if (r < 0) {
		snprintf(err, errsz, "store %s: %s", sdir, alpr_strerror(r));
		goto fail;
	}
	*out = d;
	return 0;
fail:
	alpr_ui_demo_close(d);
	return r;
}

void alpr_ui_demo_close(struct alpr_ui_demo *d)
{
	if (!d) {
		return;
	}
	store_close(d->store);
	hotlist_close(d->hotlist);
	policy_destroy(d->policy);
	g_free(d);
}

void alpr_ui_demo_options(struct alpr_ui_demo *d, struct alpr_ui_options *o)
{
	o->hotlist = d->hotlist;
	o->store = d->store;
	o->policy = d->policy;
	o->authenticate = demo_auth;
	o->userdata = d;
	if (!o->unit_name) {
		o->unit_name = "demo1";
	}
}

/* ---- pictures -------------------------------------------------------------------------- */

static const char *state_name(const char *code)
{
	static const char *const names[][2] = {
		{"CA", "California"}, {"TX", "TEXAS"}, {"AZ", "ARIZONA"}, {"NV", "NEVADA"}};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(names); i++) {
		if (strcmp(code, names[i][0]) == 0) {
			return names[i][1];
		}
	}
	return "";
}

/* A plate as a camera sees it: off-white, a state name on top, the characters, soft edges. */
static void draw_plate(cairo_t *cr, double x, double y, double w, double h, const char *plate,
		       const char *state)
{
	PangoLayout *layout = pango_cairo_create_layout(cr);
	PangoFontDescription *font;
	cairo_pattern_t *shade;
	int tw, th;

	shade = cairo_pattern_create_linear(x, y, x, y + h);
	cairo_pattern_add_color_stop_rgb(shade, 0, 0.93, 0.93, 0.90);
	cairo_pattern_add_color_stop_rgb(shade, 1, 0.74, 0.75, 0.73);
	cairo_rectangle(cr, x, y, w, h);
	cairo_set_source(cr, shade);
	cairo_fill_preserve(cr);
	cairo_pattern_destroy(shade);
	cairo_set_source_rgb(cr, 0.15, 0.15, 0.2);
	cairo_set_line_width(cr, h * 0.04);
	cairo_stroke(cr);

	font = pango_font_description_from_string("DejaVu Sans Bold");
	pango_font_description_set_absolute_size(font, h * 0.16 * PANGO_SCALE);
	pango_layout_set_font_description(layout, font);
	pango_layout_set_text(layout, state_name(state), -1);
	pango_layout_get_pixel_size(layout, &tw, &th);
	cairo_set_source_rgb(cr, 0.6, 0.1, 0.1);
	cairo_move_to(cr, x + (w - tw) / 2, y + h * 0.04);
	pango_cairo_show_layout(cr, layout);
	pango_font_description_free(font);

	font = pango_font_description_from_string("DejaVu Sans Mono Bold");
	pango_font_description_set_absolute_size(font, h * 0.58 * PANGO_SCALE);
	pango_layout_set_font_description(layout, font);
	pango_layout_set_text(layout, plate, -1);
	pango_layout_get_pixel_size(layout, &tw, &th);
	cairo_set_source_rgb(cr, 0.08, 0.1, 0.25);
	cairo_move_to(cr, x + (w - tw) / 2, y + h * 0.22);
	pango_cairo_show_layout(cr, layout);
	pango_font_description_free(font);
	g_object_unref(layout);
}

static cairo_status_t png_append(void *closure, const unsigned char *data, unsigned int len)
{
	g_byte_array_append(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

static GByteArray *render_crop(const char *plate, const char *state)
{
	cairo_surface_t *s =
		cairo_image_surface_create(CAIRO_FORMAT_RGB24, DEMO_CROP_W, DEMO_CROP_H);
	cairo_t *cr = cairo_create(s);
	GByteArray *png = g_byte_array_new();

	cairo_set_source_rgb(cr, 0.3, 0.3, 0.32);
	cairo_paint(cr);
	draw_plate(cr, 6, 4, DEMO_CROP_W - 12, DEMO_CROP_H - 8, plate, state);
	cairo_destroy(cr);
	cairo_surface_write_to_png_stream(s, png_append, png);
	cairo_surface_destroy(s);
	return png;
}

static void push_scene_frame(AlprPatrolWindow *w, const char *camera, const char *plate,
			     const char *state, double shift)
{
	cairo_surface_t *s =
		cairo_image_surface_create(CAIRO_FORMAT_RGB24, DEMO_SCENE_W, DEMO_SCENE_H);
	cairo_t *cr = cairo_create(s);
	struct store_box box = {(int)(250 + shift), 232, 120, 34};
	g_autofree uint8_t *gray = g_malloc(DEMO_SCENE_W * DEMO_SCENE_H);
	const uint8_t *px;
	int stride;

	/* Night road: dark sky, grey road with lane marks, a car's rear with its plate. */
	cairo_set_source_rgb(cr, 0.12, 0.13, 0.16);
	cairo_paint(cr);
	cairo_move_to(cr, 0, DEMO_SCENE_H);
	cairo_line_to(cr, 270, 140);
	cairo_line_to(cr, 370, 140);
	cairo_line_to(cr, DEMO_SCENE_W, DEMO_SCENE_H);
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.31);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.7, 0.7, 0.6);
	for (int i = 0; i < 4; i++) {
		cairo_rectangle(cr, 316, 160 + i * 50, 8, 24 + i * 6);
	}
	cairo_fill(cr);
	cairo_rectangle(cr, 190 + shift, 150, 240, 140);
	cairo_set_source_rgb(cr, 0.22, 0.23, 0.27);
	cairo_fill(cr);
	cairo_rectangle(cr, 205 + shift, 160, 210, 50);
	cairo_set_source_rgb(cr, 0.08, 0.09, 0.1);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.55, 0.12, 0.1);
	cairo_rectangle(cr, 196 + shift, 222, 36, 18);
	cairo_rectangle(cr, 388 + shift, 222, 36, 18);
	cairo_fill(cr);
	draw_plate(cr, box.x, box.y, box.w, box.h, plate, state);
	cairo_destroy(cr);
	cairo_surface_flush(s);

	px = cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s);
	for (int y = 0; y < DEMO_SCENE_H; y++) {
		const uint32_t *row = (const uint32_t *)(px + (size_t)y * (size_t)stride);
		for (int x = 0; x < DEMO_SCENE_W; x++) {
			uint32_t v = row[x];
			gray[y * DEMO_SCENE_W + x] =
				(uint8_t)((((v >> 16) & 0xff) * 77 + ((v >> 8) & 0xff) * 150 +
					   (v & 0xff) * 29) >>
					  8);
		}
	}
	cairo_surface_destroy(s);
	alpr_ui_push_frame(w, camera, gray, DEMO_SCENE_W, DEMO_SCENE_H, DEMO_SCENE_W, &box, 1);
}

void alpr_ui_demo_push_scene(struct alpr_ui_demo *d, AlprPatrolWindow *w)
{
	struct alpr_ui_status st = {0};
	struct store_stats ss;

	st.ncameras = 2;
	alpr_strlcpy(st.cameras[0].name, "front", sizeof(st.cameras[0].name));
	st.cameras[0].ok = true;
	st.cameras[0].fps = 15;
	alpr_strlcpy(st.cameras[1].name, "rear", sizeof(st.cameras[1].name));
	st.cameras[1].ok = true;
	st.cameras[1].fps = 15;
	st.gps_enabled = true;
	st.gps_mode = STORE_FIX_3D;
	st.gps_fix_age_us = ALPR_USEC_PER_SEC;
	st.hotlist_enabled = true;
	st.hotlist_version = d->state_version;
	st.hotlist_generated_at = d->state_generated_at;
	alpr_strlcpy(st.sync, "12 min ago", sizeof(st.sync));
	st.sync_ok = true;
	if (store_stats(d->store, &ss) == 0) {
		st.store_used_bytes = ss.used_bytes;
		st.store_map_bytes = ss.map_bytes;
	}
	alpr_ui_push_status(w, &st);
	push_scene_frame(w, "front", "5SOW750", "CA", 0);
	push_scene_frame(w, "rear", "4MNP218", "CA", 60);
}

/* ---- reads ----------------------------------------------------------------------------- */

static void store_hit_from(const struct hotlist_match *m, struct store_hit *h)
{
	memset(h, 0, sizeof(*h));
	alpr_strlcpy(h->list, m->entry.list, sizeof(h->list));
	h->list_version = m->list.version;
	alpr_strlcpy(h->plate, m->entry.plate, sizeof(h->plate));
	alpr_strlcpy(h->state, m->entry.state, sizeof(h->state));
	h->category = m->entry.category;
	alpr_strlcpy(h->record_id, m->entry.source_record_id, sizeof(h->record_id));
	alpr_strlcpy(h->agency, m->entry.agency, sizeof(h->agency));
	h->match = (enum store_match_kind)m->kind;
	h->npositions = (uint32_t)m->npositions;
	h->positions[0] = m->positions[0];
	h->positions[1] = m->positions[1];
	h->edit_missing = m->edit_missing;
	h->state_mismatch = m->state_mismatch;
	h->state_unconfirmed = m->state_unconfirmed;
}

struct demo_hit {
	struct store_read r;
	GByteArray *crop;
	struct hotlist_match m;
};

int alpr_ui_demo_push_reads(struct alpr_ui_demo *d, AlprPatrolWindow *w, bool hits, const char *top)
{
	g_autofree char *path = g_build_filename(alpr_datadir(), "demo", "reads.tsv", NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	struct demo_hit pending[DEMO_READS_MAX];
	size_t npending = 0, nlines;
	int64_t now = alpr_clock_now(NULL);
	int nhits = 0, r = 0;

	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		return -ENOENT;
	}
	lines = g_strsplit(text, "\n", DEMO_READS_MAX + 8);
	nlines = g_strv_length(lines);
	for (size_t i = 0; i < nlines; i++) {
		g_auto(GStrv) f = NULL, cands = NULL;
		struct hotlist_candidate hc[STORE_CANDIDATES_MAX];
		struct hotlist_match m[4];
		struct store_read rd;
		struct store_hit sh;
		struct store_put_result res;
		GByteArray *crop;
		size_t nc = 0;
		int nm;

		if (!lines[i][0] || lines[i][0] == '#' || strlen(lines[i]) > DEMO_LINE_MAX) {
			continue;
		}
		f = g_strsplit(lines[i], "\t", 3);
		if (g_strv_length(f) != 3) {
			continue;
		}
		cands = g_strsplit(f[2], " ", STORE_CANDIDATES_MAX);
		memset(&rd, 0, sizeof(rd));
		for (size_t c = 0; cands[c] && nc < STORE_CANDIDATES_MAX; c++) {
			char *colon = strchr(cands[c], ':');

			if (!colon) {
				continue;
			}
			*colon = '\0';
			alpr_strlcpy(rd.candidates[nc].plate, cands[c],
				     sizeof(rd.candidates[nc].plate));
			rd.candidates[nc].confidence = (float)g_ascii_strtod(colon + 1, NULL);
			hc[nc].plate = rd.candidates[nc].plate;
			hc[nc].confidence = rd.candidates[nc].confidence;
			nc++;
		}
		if (nc == 0) {
			continue;
		}
		rd.ncandidates = (uint32_t)nc;
		alpr_strlcpy(rd.plate, rd.candidates[0].plate, sizeof(rd.plate));
		rd.confidence = rd.candidates[0].confidence;
		alpr_strlcpy(rd.camera, f[0], sizeof(rd.camera));
		alpr_strlcpy(rd.state, f[1], sizeof(rd.state));
		rd.state_confidence = strcmp(f[1], "??") ? 0.8f : 0.0f;
		rd.captured_at = now - (int64_t)(nlines - i) * 25 * ALPR_USEC_PER_SEC;
		rd.clock_source = STORE_CLOCK_GPS;
		rd.box = (struct store_box){250, 232, 120, 34};
		rd.gps.mode = STORE_FIX_3D;
		rd.gps.lat = 38.5816 + 0.001 * (double)i;
		rd.gps.lon = -121.4944;
		rd.gps.speed_mps = 13.0;
		rd.gps.heading_deg = 90.0;
		rd.frames_voted = 5;

		nm = hotlist_match(d->hotlist, hc, nc, strcmp(f[1], "??") ? f[1] : NULL, NULL, m,
				   ALPR_ARRAY_SIZE(m));
		/* The camera sees the real plate: the entry's when it is a true hit. */
		crop = render_crop(nm > 0 ? m[0].entry.plate : rd.plate,
				   nm > 0 && !m[0].state_mismatch ? m[0].entry.state : f[1]);
		rd.crop = crop->data;
		rd.crop_len = crop->len;
		rd.crop_format = STORE_CROP_PNG;
		if (nm > 0) {
			store_hit_from(&m[0], &sh);
		}
		r = store_put_read(d->store, &rd, nm > 0 ? &sh : NULL, &res);
		if (r < 0) {
			g_byte_array_unref(crop);
			break;
		}
		alpr_strlcpy(rd.id, res.id, sizeof(rd.id));
		alpr_ui_push_read(w, &rd);
		if (nm > 0 && hits && npending < DEMO_READS_MAX) {
			pending[npending].r = rd;
			pending[npending].crop = crop;
			pending[npending].m = m[0];
			npending++;
			crop = NULL;
		}
		nhits += nm > 0;
		if (crop) {
			g_byte_array_unref(crop);
		}
	}
	/* Hits in order, the one on @top last (newest). */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < npending; i++) {
			bool is_top = top && strcmp(pending[i].m.entry.plate, top) == 0;

			if (is_top == (pass == 1)) {
				alpr_ui_push_hit(w, &pending[i].r, &pending[i].m);
			}
		}
	}
	for (size_t i = 0; i < npending; i++) {
		g_byte_array_unref(pending[i].crop);
	}
	return r < 0 ? r : nhits;
}

static gboolean count_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
	int *left = data;

	if (*left > 0) {
		(*left)--;
	}
	return *left > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void alpr_ui_demo_wait_frames(GtkWidget *widget, int n)
{
	int left = n;
	int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	guint id = gtk_widget_add_tick_callback(widget, count_tick, &left, NULL);

	while (left > 0 && g_get_monotonic_time() < deadline) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(2000);
	}
	if (left > 0) {
		gtk_widget_remove_tick_callback(widget, id);
	}
	/* Whatever else is queued (pushes, layout) runs too. */
	while (g_main_context_pending(NULL)) {
		g_main_context_iteration(NULL, FALSE);
	}
}
