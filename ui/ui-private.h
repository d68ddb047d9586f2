/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* ui-private.h: the widgets the patrol window is built from (ui/ only). */
#pragma once

#include "alpr-ui.h"

G_BEGIN_DECLS

/* ---- AlprHitCard: one hit, full screen ------------------------------------------------- */

#define ALPR_TYPE_HIT_CARD (alpr_hit_card_get_type())
G_DECLARE_FINAL_TYPE(AlprHitCard, alpr_hit_card, ALPR, HIT_CARD, GtkWidget)

/* Signals: "verify" (), "dispose" (int disposition). The window runs the state machine and
 * calls alpr_hit_card_show() again. */
AlprHitCard *alpr_hit_card_new(void);
struct alpr_hit_card_info {
	size_t waiting;     /* other hits queued behind this one */
	int64_t now;        /* for ages */
	int64_t max_age_us; /* the policy's maximum list age; 0: none */
	int64_t guard_us;   /* ignore the check button this long when the hit is new */
	bool night;
	const char *error; /* a failed save, shown on the card; NULL: none */
};
/* Shows @hit (borrowed; the card keeps no pointer to it). */
void alpr_hit_card_show(AlprHitCard *card, const struct alpr_ui_hit *hit,
			const struct alpr_hit_card_info *info);

/* ---- AlprCameraTile: one camera's live view -------------------------------------------- */

#define ALPR_TYPE_CAMERA_TILE (alpr_camera_tile_get_type())
G_DECLARE_FINAL_TYPE(AlprCameraTile, alpr_camera_tile, ALPR, CAMERA_TILE, GtkWidget)

AlprCameraTile *alpr_camera_tile_new(const char *camera);
const char *alpr_camera_tile_get_camera(AlprCameraTile *tile);
/* Takes @frame (a texture) and copies @boxes. */
void alpr_camera_tile_set_frame(AlprCameraTile *tile, GdkTexture *frame,
				const struct store_box *boxes, size_t nboxes);
void alpr_camera_tile_set_status(AlprCameraTile *tile, bool ok, const char *message);
/* Frames shown since the tile was made, and the plate boxes on the one shown now (tests). */
guint alpr_camera_tile_get_frames(AlprCameraTile *tile, size_t *boxes_now);

/* ---- theme, sound, images -------------------------------------------------------------- */

/* Applies the day or night style sheet to @display (one provider per display). */
void alpr_ui_theme_apply(GdkDisplay *display, bool night);
/* Pango markup of an aligned plate with the differing columns highlighted. */
char *alpr_ui_plate_markup(const char *aligned, const bool *differs, size_t len, bool night);

/* The alert WAV when alpr_ui_options.sound_path is NULL: alert.wav in alpr_datadir() (where
 * meson install puts it), else the one in the build tree (a run from the build folder).
 * Newly allocated (g_free). */
char *alpr_ui_default_sound_path(void);

struct alpr_ui_sound;
/* A player for the alert at @path through @sink (NULL: $ALPR_UI_AUDIO_SINK or
 * autoaudiosink). Never NULL. A sink that cannot open (no sound card) is replaced, once,
 * by fakesink with one warning; any other failure is logged and play does nothing. Main
 * thread (its bus watch runs in the default main context). */
struct alpr_ui_sound *alpr_ui_sound_new(const char *path, const char *sink);
void alpr_ui_sound_free(struct alpr_ui_sound *s);
/* Starts the alert from the beginning. FALSE when the pipeline could not be built. */
gboolean alpr_ui_sound_play(struct alpr_ui_sound *s);
/* TRUE when the pipeline was built (for tests and the status bar). */
gboolean alpr_ui_sound_ready(struct alpr_ui_sound *s);
/* The sink factory in use ("autoaudiosink", or "fakesink" after a fallback: no device), or
 * NULL when there is no pipeline. Static until the next play. */
const char *alpr_ui_sound_sink(struct alpr_ui_sound *s);

/* A texture from an encoded crop (PNG/JPEG), or NULL. */
GdkTexture *alpr_ui_texture_from_crop(const uint8_t *crop, size_t len);
/* A texture from GRAY8 pixels (copied into RGB: GTK 4.8 has no grey memory format). */
GdkTexture *alpr_ui_texture_from_gray(const uint8_t *gray, int width, int height, int stride);

G_END_DECLS
