/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * theme.c: the day and night style, plate markup, and images.
 *
 * Night: nothing bright. An officer's eyes are adapted to a dark road; a white screen in the
 * cab blinds them for seconds and lights them up for anyone outside. Every night colour keeps
 * its channels under about 210, and camera images and crops are dimmed with a CSS filter.
 * Day: high contrast for sunlight. Sizes are for gloved fingers and glances: buttons at least
 * 56 px, plate text 66 px or more (a cap height of 48 px or more), status text 20 px bold.
 */
#include <string.h>

#include "ui-private.h"

static const char css[] =
	/* ---- both themes: sizes ---- */
	"window.alpr { font-family: 'DejaVu Sans'; font-size: 20px; }\n"
	".alpr button { min-height: 56px; min-width: 56px; font-size: 22px; font-weight: bold;"
	"  border-radius: 10px; padding: 6px 16px; background-image: none; box-shadow: none;"
	"  text-shadow: none; border-width: 2px; border-style: solid; }\n"
	".alpr entry { min-height: 56px; font-size: 28px; }\n"
	".alpr dropdown button { font-size: 24px; }\n"
	".plate { font-family: 'DejaVu Sans Mono'; font-weight: bold; font-size: 66px; }\n"
	".plate-card { font-size: 84px; }\n"
	".plate-entry { border-width: 4px; border-style: solid; border-radius: 12px;"
	"  padding: 0 18px; }\n"
	".statusbar { padding: 6px 10px; }\n"
	".status-item { font-size: 20px; font-weight: bold; padding: 6px 10px;"
	"  border-radius: 6px; }\n"
	".hit-header { padding: 10px 20px; }\n"
	".hit-category { font-size: 40px; font-weight: bold; }\n"
	".hit-badge { font-size: 30px; font-weight: bold; padding: 6px 16px; border-radius: 8px; "
	"}\n"
	".hit-waiting { font-size: 22px; font-weight: bold; }\n"
	".hit-side-title { font-size: 18px; font-weight: bold; }\n"
	".match-words { font-size: 30px; font-weight: bold; }\n"
	".state-line { font-size: 30px; font-weight: bold; }\n"
	".detail-key { font-size: 18px; }\n"
	".detail-value { font-size: 22px; font-weight: bold; }\n"
	".verify-button { min-height: 96px; font-size: 32px; }\n"
	".disp-button { min-height: 88px; font-size: 22px; }\n"
	".hit-error { font-size: 22px; font-weight: bold; }\n"
	".read-item { padding: 6px 10px; border-radius: 8px; }\n"
	".read-meta { font-size: 18px; font-weight: bold; }\n"
	".read-item.read-hit { border-left: 10px solid #c62828; }\n"
	".night .read-item.read-hit { border-left-color: #5e1410; }\n"
	".tile-name { background-color: rgba(0,0,0,0.65); color: #f0f3f6; }\n"
	".night .tile-name { color: #8f8675; }\n"
	".tile-name.bad { background-color: #b3261e; color: #ffffff; }\n"
	".night .tile-name.bad { background-color: #50130f; color: #d09080; }\n"
	".hit-vehicle { font-size: 30px; font-weight: bold; }\n"
	".statusbar flowboxchild { padding: 0; }\n"
	".big-title { font-size: 40px; font-weight: bold; }\n"
	".keypad button { min-width: 96px; min-height: 72px; font-size: 32px; }\n"
	".form-label { font-size: 22px; font-weight: bold; }\n"
	".form-error { font-size: 22px; font-weight: bold; }\n"
	".notice { font-size: 22px; font-weight: bold; padding: 6px 12px; border-radius: 6px; }\n"
	/* ---- day ---- */
	"window.alpr { background-color: #dfe4ea; color: #0d1117; }\n"
	".alpr button { background-color: #c5ccd4; color: #0d1117; border-color: #6d7782; }\n"
	".alpr button:active { background-color: #98a2ad; }\n"
	".alpr button:disabled { color: #6d7782; }\n"
	".alpr entry { background-color: #ffffff; color: #0d1117; }\n"
	".statusbar { background-color: #263038; color: #f0f3f6; }\n"
	".status-item.warn { background-color: #e39a00; color: #000000; }\n"
	".status-item.bad { background-color: #b3261e; color: #ffffff; }\n"
	".plate-entry { background-color: #ffffff; color: #000000; border-color: #1d1d1d; }\n"
	".hit-level-0 { background-color: #1e5aa8; color: #ffffff; }\n"
	".hit-level-1 { background-color: #d06d00; color: #ffffff; }\n"
	".hit-level-2 { background-color: #c62828; color: #ffffff; }\n"
	".hit-badge.unverified { background-color: #ffd000; color: #000000; }\n"
	".hit-badge.verified { background-color: #1b5e20; color: #ffffff; }\n"
	".state-bad { color: #b3261e; }\n"
	".state-ok { color: #1b5e20; }\n"
	".stale { color: #b3261e; }\n"
	".verify-button { background-color: #1b5e20; color: #ffffff; border-color: #0d3010; }\n"
	".verify-button:disabled { background-color: #8fae92; color: #e0e8e0; }\n"
	".disp-button.confirm { background-color: #c62828; color: #ffffff; }\n"
	".read-item { background-color: #f1f4f7; }\n"
	".hit-error, .form-error { color: #b3261e; }\n"
	".notice { background-color: #1b5e20; color: #ffffff; }\n"
	/* ---- night: nothing bright; images dimmed ---- */
	"window.alpr.night { background-color: #07090b; color: #9c9280; }\n"
	".night button { background-color: #161b21; color: #a89c85; border-color: #333b44; }\n"
	".night button:active { background-color: #262e37; }\n"
	".night button:disabled { color: #4a4f55; }\n"
	".night entry { background-color: #12161a; color: #b0a48c; }\n"
	".night .statusbar { background-color: #0e1216; color: #8f8675; }\n"
	".night .status-item.warn { background-color: #4d3400; color: #d0a860; }\n"
	".night .status-item.bad { background-color: #50130f; color: #d09080; }\n"
	".night .plate-entry { background-color: #15191e; color: #c9b58c; border-color: #5f584a; "
	"}\n"
	".night .hit-level-0 { background-color: #13283f; color: #b8b0a0; }\n"
	".night .hit-level-1 { background-color: #4a2b05; color: #c8b090; }\n"
	".night .hit-level-2 { background-color: #4e120e; color: #c8a898; }\n"
	".night .hit-badge.unverified { background-color: #5a4800; color: #e0c060; }\n"
	".night .hit-badge.verified { background-color: #163318; color: #a8c0a0; }\n"
	".night .state-bad { color: #d06a58; }\n"
	".night .state-ok { color: #84a878; }\n"
	".night .stale { color: #d06a58; }\n"
	".night .verify-button { background-color: #16361a; color: #b4c8a4; border-color: #2d4a30; "
	"}\n"
	".night .verify-button:disabled { background-color: #102012; color: #4a5a4a; }\n"
	".night .disp-button.confirm { background-color: #4e120e; color: #c8a898; }\n"
	".night .read-item { background-color: #0f1317; }\n"
	".night .hit-error, .night .form-error { color: #d06a58; }\n"
	".night .notice { background-color: #163318; color: #a8c0a0; }\n"
	".night picture.crop, .night .camera-tile { filter: brightness(0.55); }\n"
	".night popover contents, .night popover arrow { background-color: #12161a;"
	"  color: #a89c85; }\n";

void alpr_ui_theme_apply(GdkDisplay *display, bool night)
{
	/* One provider per display, made on first use; night is a window class. */
	GtkCssProvider *p = g_object_get_data(G_OBJECT(display), "alpr-css");

	(void)night;
	if (p) {
		return;
	}
	p = gtk_css_provider_new();
	gtk_css_provider_load_from_data(p, css, -1);
	gtk_style_context_add_provider_for_display(display, GTK_STYLE_PROVIDER(p),
						   GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
	g_object_set_data_full(G_OBJECT(display), "alpr-css", p, g_object_unref);
}

char *alpr_ui_plate_markup(const char *aligned, const bool *differs, size_t len, bool night)
{
	/* A differing column: a solid block behind the character and a double underline, so
	 * it shows without colour vision too. */
	const char *bg = night ? "#7a5a00" : "#ffd000";
	const char *fg = night ? "#e8c888" : "#000000";
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < len && aligned[i]; i++) {
		char c[2] = {aligned[i], '\0'};
		char *esc = g_markup_escape_text(c, -1);

		if (differs[i]) {
			g_string_append_printf(s,
					       "<span background=\"%s\" foreground=\"%s\" "
					       "underline=\"double\">%s</span>",
					       bg, fg, esc);
		} else {
			g_string_append(s, esc);
		}
		g_free(esc);
	}
	return g_string_free(s, FALSE);
}

GdkTexture *alpr_ui_texture_from_crop(const uint8_t *crop, size_t len)
{
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error = NULL;
	GdkTexture *t;

	if (!crop || len == 0) {
		return NULL;
	}
	bytes = g_bytes_new(crop, len);
	t = gdk_texture_new_from_bytes(bytes, &error);
	if (!t) {
		alpr_warn("ui", "plate crop does not decode: %s", error->message);
	}
	return t;
}

GdkTexture *alpr_ui_texture_from_gray(const uint8_t *gray, int width, int height, int stride)
{
	/* One RGB copy per shown frame, at ALPR_UI_TILE_FPS: a texture owns its bytes, so a
	 * shared pool would need the renderer's help; four small copies a second are cheap. */
	size_t rowsz = (size_t)width * 3;
	guchar *rgb;
	GBytes *bytes;
	GdkTexture *t;

	if (!gray || width <= 0 || height <= 0 || stride < width) {
		return NULL;
	}
	rgb = g_malloc(rowsz * (size_t)height);
	for (int y = 0; y < height; y++) {
		const uint8_t *src = gray + (size_t)y * (size_t)stride;
		guchar *dst = rgb + (size_t)y * rowsz;

		for (int x = 0; x < width; x++) {
			dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = src[x];
		}
	}
	bytes = g_bytes_new_take(rgb, rowsz * (size_t)height);
	t = gdk_memory_texture_new(width, height, GDK_MEMORY_R8G8B8, bytes, rowsz);
	g_bytes_unref(bytes);
	return t;
}

GtkWidget *alpr_ui_find(GtkWidget *root, const char *name)
{
	if (!root) {
		return NULL;
	}
	if (g_strcmp0(gtk_widget_get_name(root), name) == 0) {
		return root;
	}
	for (GtkWidget *c = gtk_widget_get_first_child(root); c;
	     c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *w = alpr_ui_find(c, name);
		if (w) {
			return w;
		}
	}
	return NULL;
}

GdkTexture *alpr_ui_render(GtkWidget *w, GError **error)
{
	int width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
	GtkNative *native = gtk_widget_get_native(w);
	GskRenderer *renderer = native ? gtk_native_get_renderer(native) : NULL;
	g_autoptr(GdkPaintable) paintable = NULL;
	GtkSnapshot *snap;
	GskRenderNode *node;
	GdkTexture *t;

	if (!renderer || width <= 0 || height <= 0) {
		g_set_error(error, ALPR_UI_ERROR, -ENODEV, "%s is not on screen",
			    gtk_widget_get_name(w));
		return NULL;
	}
	paintable = gtk_widget_paintable_new(w);
	snap = gtk_snapshot_new();
	gdk_paintable_snapshot(paintable, snap, width, height);
	node = gtk_snapshot_free_to_node(snap);
	if (!node) {
		g_set_error(error, ALPR_UI_ERROR, -ENODATA, "%s draws nothing",
			    gtk_widget_get_name(w));
		return NULL;
	}
	t = gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, width, height));
	gsk_render_node_unref(node);
	return t;
}

gboolean alpr_ui_save_png(GtkWidget *w, const char *path, GError **error)
{
	g_autoptr(GdkTexture) t = alpr_ui_render(w, error);

	if (!t) {
		return FALSE;
	}
	if (!gdk_texture_save_to_png(t, path)) {
		g_set_error(error, ALPR_UI_ERROR, -EIO, "cannot write %s", path);
		return FALSE;
	}
	return TRUE;
}

GQuark alpr_ui_error_quark(void)
{
	return g_quark_from_static_string("alpr-ui-error");
}
