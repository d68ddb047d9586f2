/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * camera-tile.c: AlprCameraTile, one camera's live view: the latest frame letterboxed into
 * the tile, the plate boxes drawn over it, the camera's name, and a plain statement when the
 * camera is down (the unit keeps reading from the others; the officer must know).
 */
#include <string.h>

#include "ui-private.h"

struct _AlprCameraTile {
	GtkWidget parent;
	char *camera;
	GdkTexture *frame;
	struct store_box boxes[ALPR_UI_BOXES_MAX];
	size_t nboxes;
	guint frames; /* frames shown since creation */
	bool ok;
	GtkWidget *label; /* name and status, over the image */
};

G_DEFINE_FINAL_TYPE(AlprCameraTile, alpr_camera_tile, GTK_TYPE_WIDGET)

static void tile_snapshot(GtkWidget *w, GtkSnapshot *snap)
{
	AlprCameraTile *t = ALPR_CAMERA_TILE(w);
	float width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
	GdkRGBA bg = {0.05f, 0.06f, 0.07f, 1.0f};

	gtk_snapshot_append_color(snap, &bg, &GRAPHENE_RECT_INIT(0, 0, width, height));
	if (t->frame) {
		float fw = gdk_texture_get_width(t->frame), fh = gdk_texture_get_height(t->frame);
		float scale = MIN(width / fw, height / fh);
		float dw = fw * scale, dh = fh * scale;
		float ox = (width - dw) / 2, oy = (height - dh) / 2;
		/* Plate boxes: a thick amber outline, visible on a grey scene. */
		GdkRGBA amber = {1.0f, 0.72f, 0.0f, 1.0f};
		GdkRGBA colors[4] = {amber, amber, amber, amber};
		float bw[4] = {3, 3, 3, 3};

		gtk_snapshot_append_texture(snap, t->frame, &GRAPHENE_RECT_INIT(ox, oy, dw, dh));
		for (size_t i = 0; i < t->nboxes; i++) {
			const struct store_box *b = &t->boxes[i];
			GskRoundedRect r;

			gsk_rounded_rect_init_from_rect(
				&r,
				&GRAPHENE_RECT_INIT(ox + b->x * scale - 3, oy + b->y * scale - 3,
						    b->w * scale + 6, b->h * scale + 6),
				4);
			gtk_snapshot_append_border(snap, &r, bw, colors);
		}
	}
	if (!t->ok || !t->frame) {
		GdkRGBA shade = {0.0f, 0.0f, 0.0f, 0.5f};
		gtk_snapshot_append_color(snap, &shade, &GRAPHENE_RECT_INIT(0, 0, width, height));
	}
	gtk_widget_snapshot_child(w, t->label, snap);
}

static void tile_measure(GtkWidget *w, GtkOrientation o, int for_size, int *min, int *nat,
			 int *min_base, int *nat_base)
{
	*min = o == GTK_ORIENTATION_HORIZONTAL ? 240 : 135;
	*nat = o == GTK_ORIENTATION_HORIZONTAL ? 640 : 360;
}

static void tile_size_allocate(GtkWidget *w, int width, int height, int baseline)
{
	AlprCameraTile *t = ALPR_CAMERA_TILE(w);
	int lw, lh;

	gtk_widget_measure(t->label, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &lw, NULL, NULL);
	gtk_widget_measure(t->label, GTK_ORIENTATION_VERTICAL, lw, NULL, &lh, NULL, NULL);
	gtk_widget_size_allocate(t->label, &(GtkAllocation){8, 8, MIN(lw, width - 16), lh}, -1);
}

static void update_label(AlprCameraTile *t, const char *message)
{
	g_autofree char *text = NULL;

	if (t->ok) {
		text = g_strdup(t->camera);
	} else {
		text = g_strdup_printf("%s: %s", t->camera, message && *message ? message : "down");
	}
	gtk_label_set_text(GTK_LABEL(t->label), text);
	if (t->ok) {
		gtk_widget_remove_css_class(t->label, "bad");
	} else {
		gtk_widget_add_css_class(t->label, "bad");
	}
}

static void tile_dispose(GObject *o)
{
	AlprCameraTile *t = ALPR_CAMERA_TILE(o);

	g_clear_pointer(&t->label, gtk_widget_unparent);
	g_clear_object(&t->frame);
	g_clear_pointer(&t->camera, g_free);
	G_OBJECT_CLASS(alpr_camera_tile_parent_class)->dispose(o);
}

static void alpr_camera_tile_class_init(AlprCameraTileClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = tile_dispose;
	wc->snapshot = tile_snapshot;
	wc->measure = tile_measure;
	wc->size_allocate = tile_size_allocate;
	gtk_widget_class_set_css_name(wc, "cameratile");
}

static void alpr_camera_tile_init(AlprCameraTile *t)
{
	t->ok = true;
	t->label = gtk_label_new("");
	gtk_widget_add_css_class(t->label, "status-item");
	gtk_widget_add_css_class(t->label, "tile-name");
	gtk_widget_set_parent(t->label, GTK_WIDGET(t));
	gtk_widget_add_css_class(GTK_WIDGET(t), "camera-tile");
	gtk_widget_set_hexpand(GTK_WIDGET(t), TRUE);
	gtk_widget_set_vexpand(GTK_WIDGET(t), TRUE);
}

AlprCameraTile *alpr_camera_tile_new(const char *camera)
{
	AlprCameraTile *t = g_object_new(ALPR_TYPE_CAMERA_TILE, NULL);
	g_autofree char *name = g_strdup_printf("tile-%s", camera);

	t->camera = g_strdup(camera);
	gtk_widget_set_name(GTK_WIDGET(t), name);
	update_label(t, NULL);
	return t;
}

const char *alpr_camera_tile_get_camera(AlprCameraTile *tile)
{
	return tile->camera;
}

guint alpr_camera_tile_get_frames(AlprCameraTile *tile, size_t *boxes_now)
{
	if (boxes_now) {
		*boxes_now = tile->nboxes;
	}
	return tile->frames;
}

void alpr_camera_tile_set_frame(AlprCameraTile *tile, GdkTexture *frame,
				const struct store_box *boxes, size_t nboxes)
{
	g_set_object(&tile->frame, frame);
	tile->frames++;
	tile->nboxes = MIN(nboxes, (size_t)ALPR_UI_BOXES_MAX);
	if (tile->nboxes) {
		memcpy(tile->boxes, boxes, tile->nboxes * sizeof(*boxes));
	}
	gtk_widget_queue_draw(GTK_WIDGET(tile));
}

void alpr_camera_tile_set_status(AlprCameraTile *tile, bool ok, const char *message)
{
	tile->ok = ok;
	update_label(tile, message);
	gtk_widget_queue_draw(GTK_WIDGET(tile));
}
