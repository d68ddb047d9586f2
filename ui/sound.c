/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * sound.c: the hit alert through GStreamer (filesrc ! wavparse ! audioconvert ! audioresample
 * ! sink). The pipeline is built once, at start, so a missing sound card or plugin is found
 * and logged before the first hit rather than during it; each hit seeks it back to the start.
 *
 * No sound device (a unit whose speaker is unplugged, this project's build machines): the
 * requested sink failing to reach READY, autoaudiosink settling on its own fake sink, or an
 * error while playing all end the same way: one warning, and the pipeline is rebuilt once
 * with fakesink, which plays at the audio's pace and makes no sound. The card still takes
 * the screen; a hit is never held up by the sound. State changes to PLAYING are
 * asynchronous, so play never blocks the main loop.
 */
#include <gst/gst.h>

#include "ui-private.h"

struct alpr_ui_sound {
	char *path;
	GstElement *pipeline; /* NULL when it could not be built */
	guint bus_watch;
	char sink[32];  /* the sink in use: the requested one, or "fakesink" */
	bool playing;   /* between play and EOS: a burst of hits sounds one alert */
	bool fell_back; /* already on fakesink after a failure: log no more */
};

static void teardown(struct alpr_ui_sound *s)
{
	if (!s->pipeline) {
		return;
	}
	gst_element_set_state(s->pipeline, GST_STATE_NULL);
	if (s->bus_watch) {
		g_source_remove(s->bus_watch);
		s->bus_watch = 0;
	}
	gst_object_unref(s->pipeline);
	s->pipeline = NULL;
	s->playing = false;
}

static gboolean build(struct alpr_ui_sound *s, const char *sink);

/* Once: the device is gone or was never there; the alert goes to fakesink from now on. */
static void fall_back(struct alpr_ui_sound *s, const char *why)
{
	if (s->fell_back) {
		return;
	}
	s->fell_back = true;
	alpr_warn("ui", "alert sound: %s through %s; no sound device, hits are silent (fakesink)",
		  why, s->sink);
	teardown(s);
	build(s, "fakesink");
}

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
		if (!s->fell_back && strcmp(s->sink, "fakesink") != 0) {
			/* This watch belongs to the pipeline being replaced: it ends by
			 * returning G_SOURCE_REMOVE, not through teardown()'s remove. */
			s->bus_watch = 0;
			fall_back(s, err->message);
			return G_SOURCE_REMOVE;
		}
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

/* True when autoaudiosink chose its fake sink: it found no device that would open. */
static bool auto_sink_is_fake(GstElement *sink)
{
	bool fake = false;
	GstIterator *it;
	GValue v = G_VALUE_INIT;

	if (!GST_IS_BIN(sink)) {
		return false;
	}
	it = gst_bin_iterate_recurse(GST_BIN(sink));
	while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
		GstElement *e = g_value_get_object(&v);
		GstElementFactory *f = gst_element_get_factory(e);

		if (f && strcmp(GST_OBJECT_NAME(f), "fakesink") == 0) {
			fake = true;
		}
		g_value_reset(&v);
	}
	g_value_unset(&v);
	gst_iterator_free(it);
	return fake;
}

static gboolean build(struct alpr_ui_sound *s, const char *sink)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *desc = NULL;
	g_autofree char *quoted = g_strescape(s->path, NULL);
	g_autoptr(GstBus) bus = NULL;
	GstElement *se;

	alpr_strlcpy(s->sink, sink, sizeof(s->sink));
	desc = g_strdup_printf("filesrc location=\"%s\" ! wavparse ! audioconvert ! "
			       "audioresample ! %s name=sink",
			       quoted, sink);
	s->pipeline = gst_parse_launch(desc, &err);
	if (!s->pipeline || err) {
		g_autofree char *why = g_strdup(err ? err->message : "no pipeline");

		if (s->pipeline) {
			gst_object_unref(s->pipeline);
			s->pipeline = NULL;
		}
		if (strcmp(sink, "fakesink") != 0) {
			fall_back(s, why);
		} else {
			alpr_warn("ui", "alert sound: %s", why);
		}
		return s->pipeline != NULL;
	}
	se = gst_bin_get_by_name(GST_BIN(s->pipeline), "sink");
	if (strcmp(sink, "fakesink") == 0) {
		/* Play at the audio's pace, as a sound card would. */
		g_object_set(se, "sync", TRUE, NULL);
	}
	bus = gst_element_get_bus(s->pipeline);
	s->bus_watch = gst_bus_add_watch(bus, on_bus, s);
	if (gst_element_set_state(s->pipeline, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE) {
		gst_object_unref(se);
		fall_back(s, "the sink would not open");
		return s->pipeline != NULL;
	}
	if (strcmp(sink, "autoaudiosink") == 0 && auto_sink_is_fake(se)) {
		gst_object_unref(se);
		fall_back(s, "autoaudiosink found no device");
		return s->pipeline != NULL;
	}
	gst_object_unref(se);
	return TRUE;
}

struct alpr_ui_sound *alpr_ui_sound_new(const char *path, const char *sink)
{
	struct alpr_ui_sound *s = g_new0(struct alpr_ui_sound, 1);
	g_autoptr(GError) err = NULL;

	s->path = g_strdup(path);
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
	build(s, sink);
	return s;
}

void alpr_ui_sound_free(struct alpr_ui_sound *s)
{
	if (!s) {
		return;
	}
	teardown(s);
	g_free(s->path);
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
	if (!s->playing && strcmp(s->sink, "fakesink") != 0) {
		fall_back(s, "the sink would not play");
		s->playing = s->pipeline && gst_element_set_state(s->pipeline, GST_STATE_PLAYING) !=
						    GST_STATE_CHANGE_FAILURE;
	}
	return s->playing;
}

gboolean alpr_ui_sound_ready(struct alpr_ui_sound *s)
{
	return s->pipeline != NULL;
}

const char *alpr_ui_sound_sink(struct alpr_ui_sound *s)
{
	return s->pipeline ? s->sink : NULL;
}
