/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * capture-private.h: the frame source interface under capture.c, and URI parsing.
 *
 * STYLE.md: hardware sits behind a small vtable with a replay backend always built. Here the
 * one backend is GStreamer (source-gst.c), which serves cameras and replays alike: the car
 * and the tests differ only in the source element at the head of the pipeline. Another
 * backend (a vendor SDK, a network camera) would implement the same four calls.
 */
#pragma once

#include "capture.h"

enum capture_kind {
	CAPTURE_KIND_LIBCAMERA,
	CAPTURE_KIND_V4L2,
	CAPTURE_KIND_FILE,   /* a video file */
	CAPTURE_KIND_FOLDER, /* a folder of images */
	CAPTURE_KIND_TEST,
};

enum capture_image_format {
	CAPTURE_IMAGE_PNG,
	CAPTURE_IMAGE_JPEG,
};

/* A parsed camera URI. */
struct capture_uri {
	enum capture_kind kind;
	char arg[CAPTURE_URI_MAX];              /* camera name, device, path or test pattern */
	int pattern;                            /* test: videotestsrc's pattern value */
	int width, height, fps;                 /* test: the generated size and rate */
	enum capture_image_format image_format; /* folder: the kind of its images */
};

/*
 * Parses and checks @uri (see capture.h "Sources"). 0, or -EINVAL / -ENOENT / -ENOTSUP with
 * a one-line reason in @err.
 */
int capture_parse_uri(const char *uri, struct capture_uri *out, char *err, size_t errsz);

/*
 * Lists the images of a folder in byte order of their names: *out is a NULL-terminated,
 * g_strfreev()-able array of full paths, *format their kind. -ENOENT (none, or no folder),
 * -EINVAL (PNG and JPEG mixed), -E2BIG (over CAPTURE_FOLDER_MAX_FILES), with @err.
 */
int capture_list_images(const char *dir, char ***out, size_t *n, enum capture_image_format *format,
			char *err, size_t errsz);

/* A frame as the source has it: borrowed until the next call on the source. */
struct frame_view {
	const uint8_t *data; /* GRAY8 */
	int width, height, stride;
	int64_t pts_ns;     /* -1 when none */
	int64_t latency_ns; /* live: buffer timestamp to arrival, -1 when unknown */
};

struct frame_source;

struct frame_source_impl {
	/* Builds and starts the pipeline. 0, or a negative errno with @err. */
	int (*start)(struct frame_source *s, char *err, size_t errsz);
	/* Waits up to @timeout_ms for a frame: 1 and *view; 0 for none yet; -ENODATA at the end
	 * of the stream; another negative errno with @err when the source failed. */
	int (*next)(struct frame_source *s, int timeout_ms, struct frame_view *view, char *err,
		    size_t errsz);
	/* Tears the pipeline down (start may follow). Safe when not started. */
	void (*stop)(struct frame_source *s);
	void (*destroy)(struct frame_source *s);
};

struct frame_source {
	const struct frame_source_impl *impl;
	bool live;
};

struct frame_source_config {
	int max_width, max_height;
	int fps_limit; /* 0: none */
	bool realtime; /* replays: pace at the stream's timestamps */
	int image_fps; /* folder replays */
};

/* The GStreamer backend. Returns 0 and *out, or -ENOMEM. */
int capture_source_gst_create(const struct capture_uri *uri, const struct frame_source_config *cfg,
			      struct frame_source **out);
