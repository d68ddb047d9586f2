/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * sound.c: the hit alert through GStreamer (filesrc ! wavparse ! audioconvert ! audioresample
 * ! sink). The pipeline is built once, at start, so a missing sound card or plugin is found
 * and logged before the first hit rather than during it; each hit seeks it back to the start.
 */
#include <gst/gst.h>

#include "ui-private.h"

struct alpr_ui_sound {
	GstElement *pipeline; /* NULL when it could not be built */
	guint bus_watch;
	bool playing; /* between play and EOS: a burst of hits sounds one alert, not a stutter */
};

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
	struct alpr_ui_sound *s = data;

	switch (GST_MESSAGE_TYPE(msg)) {
	case GST_MESSAGE_EOS:
		s->playing = false;
		gst_element_set_state(s->pipeline, GST_STATE_READY);
		break;
	case GST_MESSAGE_ERROR: {
		g_autoptr(GError) err = NULL;

		gst_message_parse_error(msg, &err, NULL);
		alpr_warn("ui", "alert sound: %s", err->message);
		s->playing = false;
		gst_element_set_state(s->pipeline, GST_STATE_READY);
		break;
	}
	default:
		break;
	}
	return G_SOURCE_CONTINUE;
}

struct alpr_ui_sound *alpr_ui_sound_new(const char *path, const char *sink)
{
	struct alpr_ui_sound *s = g_new0(struct alpr_ui_sound, 1);
	g_autoptr(GError) err = NULL;
	g_autofree char *desc = NULL;
	g_autoptr(GstBus) bus = NULL;

	if (!gst_init_check(NULL, NULL, &err)) {
		alpr_warn("ui", "alert sound: GStreamer: %s", err->message);
		return s;
	}
	if (!sink) {
		sink = g_getenv("ALPR_UI_AUDIO_SINK");
	}
	if (!sink || !*sink) {
		sink = "autoaudiosink";
	}
	if (!path || !g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		alpr_warn("ui", "alert sound: no file %s", path ? path : "(none)");
		return s;
	}
	/* The sink is a factory name, never a pipeline fragment: it comes from the environment. */
	if (!g_regex_match_simple("^[a-z0-9]+$", sink, 0, 0)) {
		alpr_warn("ui", "alert sound: bad sink name");
		return s;
	}
	{
		g_autofree char *quoted = g_strescape(path, NULL);
		desc = g_strdup_printf("filesrc location=\"%s\" ! wavparse ! audioconvert ! "
				       "audioresample ! %s name=sink",
				       quoted, sink);
	}
	s->pipeline = gst_parse_launch(desc, &err);
	if (!s->pipeline || err) {
		alpr_warn("ui", "alert sound: %s", err ? err->message : "no pipeline");
		if (s->pipeline) {
			gst_object_unref(s->pipeline);
			s->pipeline = NULL;
		}
		return s;
	}
	if (g_strcmp0(sink, "fakesink") == 0) {
		/* Play at the audio's pace, as a sound card would. */
		GstElement *fs = gst_bin_get_by_name(GST_BIN(s->pipeline), "sink");
		g_object_set(fs, "sync", TRUE, NULL);
		gst_object_unref(fs);
	}
	bus = gst_element_get_bus(s->pipeline);
	s->bus_watch = gst_bus_add_watch(bus, on_bus, s);
	gst_element_set_state(s->pipeline, GST_STATE_READY);
	return s;
}

void alpr_ui_sound_free(struct alpr_ui_sound *s)
{
	if (!s) {
		return;
	}
	if (s->pipeline) {
		gst_element_set_state(s->pipeline, GST_STATE_NULL);
		if (s->bus_watch) {
			g_source_remove(s->bus_watch);
		}
		gst_object_unref(s->pipeline);
	}
	g_free(s);
}

gboolean alpr_ui_sound_play(struct alpr_ui_sound *s)
{
	if (!s->pipeline) {
		return FALSE;
	}
	if (s->playing) {
		return TRUE;
	}
	gst_element_set_state(s->pipeline, GST_STATE_READY);
	s->playing =
		gst_element_set_state(s->pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
	return s->playing;
}

gboolean alpr_ui_sound_ready(struct alpr_ui_sound *s)
{
	return s->pipeline != NULL;
}
