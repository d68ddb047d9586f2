/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The GStreamer frame source: one pipeline per camera run,
 *
 *   HEAD ! videoconvert ! [videorate max-rate=N] ! appsink caps=GRAY8,w<=max,h<=max
 *
 * with HEAD one of
 *   libcamerasrc [camera-name=NAME]
 *   v4l2src device=DEV ! decodebin               (raw or MJPEG cameras)
 *   filesrc location=PATH ! decodebin            (a video file)
 *   appsrc (our folder feeder) ! decodebin       (a folder of PNG or JPEG images)
 *   videotestsrc is-live=1 pattern=P ! video/x-raw,width=W,height=H,framerate=F/1
 *
 * The appsink's caps reach the source through negotiation, so a camera is asked for a mode
 * no larger than the pool; a file larger than the pool fails to negotiate (a FAILED status).
 * The pipeline is driven from the camera's thread only: start, pull, stop.
 */
#include <stdio.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "capture-private.h"

struct gst_source {
	struct frame_source base;
	struct capture_uri uri;
	struct frame_source_config cfg;

	GstElement *pipeline;
	GstElement *convert; /* where decodebin's video pad links */
	GstElement *sink;
	GstBus *bus;

	GstSample *sample; /* the frame lent out by next(), mapped in vframe */
	GstVideoFrame vframe;
	bool mapped;

	/* Folder replay: the listing taken at start and the next image to push. Touched by
	 * appsrc's streaming thread while the pipeline runs, by the camera thread otherwise. */
	char **files;
	size_t nfiles, next_file;
	const char *image_magic;
	size_t image_magic_len;
	/* Why the feeder stopped early (a bad image), reported once the images before it are
	 * delivered. Written by the streaming thread before it ends the stream; read by the
	 * camera thread after the appsink reports that end. */
	char feed_error[CAPTURE_MESSAGE_MAX];

	/* An error taken off the bus, returned once the frames already in the appsink (decoded
	 * before the error) have been delivered. */
	char bus_error[CAPTURE_MESSAGE_MAX];
	bool failed;
};

static void release_frame(struct gst_source *s)
{
	if (s->mapped) {
		gst_video_frame_unmap(&s->vframe);
		s->mapped = false;
	}
	if (s->sample) {
		gst_sample_unref(s->sample);
		s->sample = NULL;
	}
}

/* One line from a bus error: "element: text (detail)". GStreamer's debug string starts with
 * the source location ("file.c(348): function (): /GstPipeline:...:"); the detail, when
 * there is one, is on the next line. */
static void format_error(GstMessage *msg, char *err, size_t errsz)
{
	GError *e = NULL;
	gchar *debug = NULL;
	const char *detail = NULL;
	GstObject *src = GST_MESSAGE_SRC(msg);
	const char *who = src ? GST_OBJECT_NAME(src) : "pipeline";

	gst_message_parse_error(msg, &e, &debug);
	if (debug && strchr(debug, '\n')) {
		detail = strchr(debug, '\n') + 1;
		((char *)detail)[strcspn(detail, "\n")] = '\0';
	}
	if (src && GST_IS_ELEMENT(src) && gst_element_get_factory(GST_ELEMENT(src))) {
		who = GST_OBJECT_NAME(gst_element_get_factory(GST_ELEMENT(src)));
	}
	snprintf(err, errsz, "%s: %s%s%s%s", who, e ? e->message : "error",
		 detail && detail[0] ? " (" : "", detail && detail[0] ? detail : "",
		 detail && detail[0] ? ")" : "");
	err[strcspn(err, "\n")] = '\0';
	g_clear_error(&e);
	g_free(debug);
}

/* Takes an error or end-of-stream off the bus, waiting up to @wait. 0 when neither. */
static int poll_bus(struct gst_source *s, GstClockTime wait, char *err, size_t errsz)
{
	GstMessage *msg;

	while ((msg = gst_bus_timed_pop_filtered(
			s->bus, wait, GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_WARNING))) {
		int r = 0;

		switch (GST_MESSAGE_TYPE(msg)) {
		case GST_MESSAGE_ERROR:
			format_error(msg, err, errsz);
			r = -EIO;
			break;
		case GST_MESSAGE_EOS:
			r = -ENODATA;
			break;
		default: {
			GError *e = NULL;

			gst_message_parse_warning(msg, &e, NULL);
			alpr_debug("capture", "%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
				   e ? e->message : "warning");
			g_clear_error(&e);
			break;
		}
		}
		gst_message_unref(msg);
		if (r) {
			return r;
		}
		wait = 0;
	}
	return 0;
}

/* ---- the folder feeder ---------------------------------------------------------------- */

/* A bad image ends the replay there; gst_next() turns that end into the error. */
static void feed_fail(struct gst_source *s, GstAppSrc *appsrc, const char *path, const char *why)
{
	snprintf(s->feed_error, sizeof(s->feed_error), "%s: %s", path, why);
	gst_app_src_end_of_stream(appsrc);
}

/* appsrc asks for the next image: read it whole (bounded), check it is the folder's kind,
 * and push it stamped at index / image_fps. A bad file is an error, as in a video. */
static void feed_image(GstAppSrc *appsrc, guint length, gpointer data)
{
	struct gst_source *s = data;
	GError *e = NULL;
	gchar *bytes = NULL;
	gsize len = 0;
	GstClockTime dur = GST_SECOND / (GstClockTime)s->cfg.image_fps;

	if (s->next_file >= s->nfiles) {
		gst_app_src_end_of_stream(appsrc);
		return;
	}
	const char *path = s->files[s->next_file];

	if (!g_file_get_contents(path, &bytes, &len, &e)) {
		feed_fail(s, appsrc, path, e->message);
		g_error_free(e);
		return;
	}
	if (len > CAPTURE_IMAGE_MAX_BYTES) {
		feed_fail(s, appsrc, path, "image larger than 64 MiB");
		g_free(bytes);
		return;
	}
	if (len < s->image_magic_len || memcmp(bytes, s->image_magic, s->image_magic_len) != 0) {
		feed_fail(s, appsrc, path, "not an image of the folder's kind (bad signature)");
		g_free(bytes);
		return;
	}
	GstBuffer *buf = gst_buffer_new_wrapped(bytes, len);

	GST_BUFFER_PTS(buf) = (GstClockTime)s->next_file * dur;
	GST_BUFFER_DURATION(buf) = dur;
	s->next_file++;
	gst_app_src_push_buffer(appsrc, buf);
}

/* ---- building the pipeline ------------------------------------------------------------ */

static GstElement *make(const char *factory, char *err, size_t errsz)
{
	GstElement *e = gst_element_factory_make(factory, NULL);

	if (!e) {
		snprintf(err, errsz, "GStreamer element %s is not installed", factory);
	}
	return e;
}

/* decodebin exposed a stream: video goes to videoconvert; anything else (an audio track)
 * into a fakesink, so an unlinked pad cannot stall or fail the pipeline. */
static void on_pad_added(GstElement *decodebin, GstPad *pad, gpointer data)
{
	struct gst_source *s = data;
	GstCaps *caps = gst_pad_get_current_caps(pad);
	const char *media = "";

	if (!caps) {
		caps = gst_pad_query_caps(pad, NULL);
	}
	if (caps && gst_caps_get_size(caps) > 0) {
		media = gst_structure_get_name(gst_caps_get_structure(caps, 0));
	}
	if (g_str_has_prefix(media, "video/")) {
		GstPad *sinkpad = gst_element_get_static_pad(s->convert, "sink");

		if (!gst_pad_is_linked(sinkpad)) {
			gst_pad_link(pad, sinkpad);
		}
		gst_object_unref(sinkpad);
	} else {
		GstElement *fake = gst_element_factory_make("fakesink", NULL);

		if (fake) {
			g_object_set(fake, "sync", FALSE, "async", FALSE, NULL);
			gst_bin_add(GST_BIN(s->pipeline), fake);
			gst_element_sync_state_with_parent(fake);
			GstPad *sinkpad = gst_element_get_static_pad(fake, "sink");

			gst_pad_link(pad, sinkpad);
			gst_object_unref(sinkpad);
		}
	}
	if (caps) {
		gst_caps_unref(caps);
	}
}

/* Replays are strict: a frame a decoder cannot decode is an error, not a silent skip (the
 * decoders' default), so a corrupt replay file shows as FAILED rather than as fewer
 * frames. Live MJPEG keeps the default tolerance. */
static void on_element_added(GstBin *bin, GstBin *sub, GstElement *element, gpointer data)
{
	GParamSpec *ps = g_object_class_find_property(G_OBJECT_GET_CLASS(element), "max-errors");

	if (ps && G_PARAM_SPEC_VALUE_TYPE(ps) == G_TYPE_INT) {
		g_object_set(element, "max-errors", 0, NULL);
	}
}

static GstElement *build_head(struct gst_source *s, GstElement **decodebin, char *err, size_t errsz)
{
	GstElement *src = NULL;

	*decodebin = NULL;
	switch (s->uri.kind) {
	case CAPTURE_KIND_LIBCAMERA:
		src = make("libcamerasrc", err, errsz);
		if (src && s->uri.arg[0]) {
			g_object_set(src, "camera-name", s->uri.arg, NULL);
		}
		return src;
	case CAPTURE_KIND_V4L2:
		src = make("v4l2src", err, errsz);
		if (src) {
			g_object_set(src, "device", s->uri.arg, NULL);
		}
		break;
	case CAPTURE_KIND_FILE:
		src = make("filesrc", err, errsz);
		if (src) {
			g_object_set(src, "location", s->uri.arg, NULL);
		}
		break;
	case CAPTURE_KIND_FOLDER: {
		GstAppSrcCallbacks cbs = {.need_data = feed_image};
		const char *media =
			s->uri.image_format == CAPTURE_IMAGE_PNG ? "image/png" : "image/jpeg";

		src = make("appsrc", err, errsz);
		if (!src) {
			return NULL;
		}
		GstCaps *caps = gst_caps_new_simple(media, "framerate", GST_TYPE_FRACTION,
						    s->cfg.image_fps, 1, NULL);

		g_object_set(src, "caps", caps, "format", GST_FORMAT_TIME, "is-live", FALSE,
			     "max-buffers", (guint64)2, NULL);
		gst_caps_unref(caps);
		gst_app_src_set_callbacks(GST_APP_SRC(src), &cbs, s, NULL);
		break;
	}
	case CAPTURE_KIND_TEST: {
		src = make("videotestsrc", err, errsz);
		if (!src) {
			return NULL;
		}
		GstElement *filter = make("capsfilter", err, errsz);

		if (!filter) {
			gst_object_unref(src);
			return NULL;
		}
		GstCaps *caps = gst_caps_new_simple(
			"video/x-raw", "width", G_TYPE_INT, s->uri.width, "height", G_TYPE_INT,
			s->uri.height, "framerate", GST_TYPE_FRACTION, s->uri.fps, 1, NULL);

		g_object_set(src, "is-live", TRUE, "pattern", s->uri.pattern, NULL);
		g_object_set(filter, "caps", caps, NULL);
		gst_caps_unref(caps);
		gst_bin_add_many(GST_BIN(s->pipeline), src, filter, NULL);
		gst_element_link(src, filter);
		return filter; /* already in the bin */
	}
	}
	if (!src) {
		return NULL;
	}
	*decodebin = make("decodebin", err, errsz);
	if (!*decodebin) {
		gst_object_unref(src);
		return NULL;
	}
	return src;
}

static int build(struct gst_source *s, char *err, size_t errsz)
{
	GstElement *decodebin, *rate = NULL, *head;
	char range[160];

	/* Every element joins the bin as soon as it is made, so gst_stop() frees it on any
	 * failure below. */
	s->pipeline = gst_pipeline_new(NULL);
	s->convert = make("videoconvert", err, errsz);
	if (!s->convert) {
		return -ENOTSUP;
	}
	gst_bin_add(GST_BIN(s->pipeline), s->convert);
	s->sink = make("appsink", err, errsz);
	if (!s->sink) {
		return -ENOTSUP;
	}
	gst_bin_add(GST_BIN(s->pipeline), s->sink);
	if (s->cfg.fps_limit > 0) {
		rate = make("videorate", err, errsz);
		if (!rate) {
			return -ENOTSUP;
		}
		g_object_set(rate, "drop-only", TRUE, "max-rate", s->cfg.fps_limit, NULL);
		gst_bin_add(GST_BIN(s->pipeline), rate);
	}

	snprintf(range, sizeof(range), "video/x-raw,format=GRAY8,width=[1,%d],height=[1,%d]",
		 s->cfg.max_width, s->cfg.max_height);
	GstCaps *caps = gst_caps_from_string(range);
	/* Live sources and real-time replays keep only the newest sample (a late frame is
	 * worth less than a current one); fast replays block the pipeline instead. */
	bool dropping = s->base.live || s->cfg.realtime;

	g_object_set(s->sink, "caps", caps, "sync", (gboolean)(!s->base.live && s->cfg.realtime),
		     "max-buffers", dropping ? 1u : 2u, "drop", (gboolean)dropping,
		     "enable-last-sample", FALSE, "emit-signals", FALSE, NULL);
	gst_caps_unref(caps);
	if (rate ? !gst_element_link_many(s->convert, rate, s->sink, NULL)
		 : !gst_element_link(s->convert, s->sink)) {
		snprintf(err, errsz, "cannot link videoconvert to appsink");
		return -EIO;
	}

	head = build_head(s, &decodebin, err, errsz);
	if (!head) {
		return -ENOTSUP;
	}
	if (s->uri.kind != CAPTURE_KIND_TEST) {
		gst_bin_add(GST_BIN(s->pipeline), head);
	}
	if (decodebin) {
		gst_bin_add(GST_BIN(s->pipeline), decodebin);
		g_signal_connect(decodebin, "pad-added", G_CALLBACK(on_pad_added), s);
		if (!s->base.live) {
			g_signal_connect(s->pipeline, "deep-element-added",
					 G_CALLBACK(on_element_added), s);
		}
		if (!gst_element_link(head, decodebin)) {
			snprintf(err, errsz, "cannot link the source to decodebin");
			return -EIO;
		}
	} else if (!gst_element_link(head, s->convert)) {
		snprintf(err, errsz, "cannot link the source to videoconvert");
		return -EIO;
	}
	s->bus = gst_element_get_bus(s->pipeline);
	return 0;
}

/* ---- the vtable ----------------------------------------------------------------------- */

static void gst_stop(struct frame_source *base)
{
	struct gst_source *s = (struct gst_source *)base;

	release_frame(s);
	if (s->pipeline) {
		gst_element_set_state(s->pipeline, GST_STATE_NULL);
		gst_object_unref(s->pipeline);
		s->pipeline = NULL;
	}
	if (s->bus) {
		gst_object_unref(s->bus);
		s->bus = NULL;
	}
	s->convert = s->sink = NULL;
	s->feed_error[0] = s->bus_error[0] = '\0';
	s->failed = false;
	g_strfreev(s->files);
	s->files = NULL;
	s->nfiles = s->next_file = 0;
}

static int gst_start(struct frame_source *base, char *err, size_t errsz)
{
	struct gst_source *s = (struct gst_source *)base;
	int r;

	gst_stop(base);
	if (s->uri.kind == CAPTURE_KIND_FOLDER) {
		/* The folder is listed again at every start: a replay folder being filled
		 * by a recorder shows its new images on the next loop. */
		r = capture_list_images(s->uri.arg, &s->files, &s->nfiles, &s->uri.image_format,
					err, errsz);
		if (r < 0) {
			return r;
		}
		s->image_magic = s->uri.image_format == CAPTURE_IMAGE_PNG ? "\x89PNG\r\n\x1a\n"
									  : "\xff\xd8\xff";
		s->image_magic_len = s->uri.image_format == CAPTURE_IMAGE_PNG ? 8 : 3;
	}
	r = build(s, err, errsz);
	if (r < 0) {
		gst_stop(base);
		return r;
	}
	if (gst_element_set_state(s->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		/* The reason is on the bus (libcamerasrc: "Could not find a camera named"). */
		if (poll_bus(s, 0, err, errsz) != -EIO) {
			snprintf(err, errsz, "the pipeline would not start");
		}
		gst_stop(base);
		return -EIO;
	}
	return 0;
}

static int gst_next(struct frame_source *base, int timeout_ms, struct frame_view *view, char *err,
		    size_t errsz)
{
	struct gst_source *s = (struct gst_source *)base;
	GstVideoInfo info;
	int r;

	release_frame(s);
	if (!s->failed) {
		r = poll_bus(s, 0, s->bus_error, sizeof(s->bus_error));
		s->failed = r == -EIO;
	} else {
		r = -EIO;
	}
	if (s->failed) {
		/* Frames that reached the appsink before the error are good: deliver them
		 * first, so a replay gives every frame up to the bad one. */
		s->sample = gst_app_sink_try_pull_sample(GST_APP_SINK(s->sink), 0);
		if (!s->sample) {
			alpr_strlcpy(err, s->bus_error, errsz);
			return -EIO;
		}
	} else {
		s->sample = gst_app_sink_try_pull_sample(GST_APP_SINK(s->sink),
							 (GstClockTime)timeout_ms * GST_MSECOND);
	}
	if (!s->sample) {
		if (r == -ENODATA || gst_app_sink_is_eos(GST_APP_SINK(s->sink))) {
			if (s->feed_error[0]) {
				alpr_strlcpy(err, s->feed_error, errsz);
				return -EIO;
			}
			if (r == -ENODATA) {
				return r; /* the pipeline's EOS, already taken off the bus */
			}
			/* An error upstream is posted before the EOS that follows it reaches
			 * the sink; wait for the pipeline's own EOS to be sure which it was. */
			r = poll_bus(s, GST_SECOND, err, errsz);
			return r == -EIO ? r : -ENODATA;
		}
		return 0;
	}
	GstCaps *caps = gst_sample_get_caps(s->sample);
	GstBuffer *buf = gst_sample_get_buffer(s->sample);

	if (!caps || !buf || !gst_video_info_from_caps(&info, caps) ||
	    GST_VIDEO_INFO_FORMAT(&info) != GST_VIDEO_FORMAT_GRAY8) {
		snprintf(err, errsz, "appsink delivered a sample that is not GRAY8");
		return -EIO;
	}
	if (!gst_video_frame_map(&s->vframe, &info, buf, GST_MAP_READ)) {
		snprintf(err, errsz, "cannot map a frame");
		return -EIO;
	}
	s->mapped = true;
	view->data = GST_VIDEO_FRAME_PLANE_DATA(&s->vframe, 0);
	view->width = GST_VIDEO_FRAME_WIDTH(&s->vframe);
	view->height = GST_VIDEO_FRAME_HEIGHT(&s->vframe);
	view->stride = GST_VIDEO_FRAME_PLANE_STRIDE(&s->vframe, 0);
	view->pts_ns = GST_BUFFER_PTS_IS_VALID(buf) ? (int64_t)GST_BUFFER_PTS(buf) : -1;
	view->latency_ns = -1;
	if (s->base.live && view->pts_ns >= 0) {
		/* How long ago the source stamped the buffer, on the pipeline clock. */
		GstClock *clock = gst_element_get_clock(s->pipeline);
		const GstSegment *seg = gst_sample_get_segment(s->sample);

		if (clock && seg) {
			GstClockTime rt = gst_segment_to_running_time(seg, GST_FORMAT_TIME,
								      (GstClockTime)view->pts_ns);
			GstClockTime now = gst_clock_get_time(clock);
			GstClockTime base_time = gst_element_get_base_time(s->pipeline);

			if (GST_CLOCK_TIME_IS_VALID(rt) && now >= base_time + rt &&
			    now - base_time - rt <= GST_SECOND) {
				view->latency_ns = (int64_t)(now - base_time - rt);
			}
		}
		if (clock) {
			gst_object_unref(clock);
		}
	}
	return 1;
}

static void gst_destroy(struct frame_source *base)
{
	if (base) {
		gst_stop(base);
		g_free(base);
	}
}

static const struct frame_source_impl gst_impl = {
	.start = gst_start,
	.next = gst_next,
	.stop = gst_stop,
	.destroy = gst_destroy,
};

int capture_source_gst_create(const struct capture_uri *uri, const struct frame_source_config *cfg,
			      struct frame_source **out)
{
	struct gst_source *s = g_new0(struct gst_source, 1);

	s->base.impl = &gst_impl;
	s->base.live = uri->kind != CAPTURE_KIND_FILE && uri->kind != CAPTURE_KIND_FOLDER;
	s->uri = *uri;
	s->cfg = *cfg;
	*out = &s->base;
	return 0;
}
