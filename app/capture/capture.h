/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * capture.h: the unit's cameras. A set of named cameras (front, rear, left, right), each a
 * GStreamer pipeline ending in an appsink, delivering 8-bit grey frames from a pool sized at
 * start, each stamped with its UTC capture time.
 *
 * Sources (the URI given to capture_add_camera())
 *   libcamera:NAME       a roof camera through libcamera's own element, libcamerasrc
 *                        (camera-name=NAME; an empty NAME takes the first camera found)
 *   v4l2:/dev/videoN     a V4L2 device through v4l2src (raw or MJPEG, via decodebin)
 *   file:PATH            replay: a video file (decodebin picks the demuxer and decoder), or
 *                        a folder of PNG or JPEG images read in byte order of their names
 *   test:[PATTERN][:WxH][@FPS]
 *                        videotestsrc, live: PATTERN is one of its pattern names (smpte,
 *                        ball, snow, ...; default smpte), default 640x480 at 15 fps
 *   libcamera, v4l2 and test sources are "live"; file sources are "replay". Every source
 *   goes through the same code below the source element: videoconvert to GRAY8 (the Y plane
 *   where the source gives YUV), an optional videorate cap, the appsink, the pool.
 *
 * Frames and the pool (no allocation per frame)
 *   Each camera owns opts.pool_frames frames of max_width x max_height bytes, allocated by
 *   capture_add_camera(). A camera thread pulls each sample from its appsink, copies the
 *   grey plane into a free pool frame (so no GStreamer buffer is held while the consumer
 *   works: libcamera has only a few buffers and holding them stalls the sensor) and queues
 *   it. capture_next_frame() hands out queued frames of all cameras in arrival order;
 *   capture_release_frame() returns one to its pool.
 *   When a live camera (or a replay in CAPTURE_PACE_REALTIME) finds its pool empty it drops a
 *   frame and counts it: the oldest frame still queued (not yet taken) is recycled for the
 *   new one, or, when the consumer holds every frame, the new frame is discarded. Memory never
 *   grows. A replay in CAPTURE_PACE_FAST instead waits for a free frame, so every frame of the
 *   file is delivered as fast as the consumer takes them (benchmarks, deterministic tests).
 *   frame->seq counts every frame the source produced, so dropped frames show as gaps.
 *
 * Capture time (frame->captured_at_us, UTC microseconds)
 *   Live: the clock (opts.clock) at appsink arrival, minus the pipeline's measured delay
 *   from the buffer's timestamp to arrival when that is between 0 and 1 s (libcamerasrc and
 *   v4l2src stamp buffers when the sensor delivers them).
 *   Replay: opts.replay_start_us (0: the clock at capture_start()) plus the frame's PTS
 *   relative to the stream's first frame, so a replay yields the same times every run.
 *   Within one camera's replay the times strictly increase, across loops too.
 *
 * Failures (status events)
 *   Each camera reports its state through opts.on_status: STARTING on the first start,
 *   RUNNING at the first frame of each run, FAILED with a one-line message on a pipeline
 *   error (a missing or unplugged camera, a corrupt file, a decoder error), ENDED when a
 *   replay reaches its end, and RETRYING when a live camera is started again. A failed live
 *   camera is retried after retry_in_ms, doubling from opts.retry_min_ms up to
 *   opts.retry_max_ms (reset to the minimum after a run that lasted retry_max_ms), until
 *   capture_stop(). A failed replay is not retried (the same file would fail the same way).
 *   A replay with opts.loop starts again at its end instead of ending. One camera's failure
 *   never stops or delays another: each camera has its own thread, pipeline and pool.
 *   Decoders in replays are strict (a single undecodable frame is an error); live MJPEG
 *   decoding tolerates the odd bad frame, as a camera on a bumpy road will produce them.
 *
 * Threads
 *   capture_create/add_camera/start/stop/destroy are called from one controlling thread.
 *   capture_next_frame, capture_release_frame and capture_camera_stats may be called from any
 *   thread while the capture runs. on_status is called from a camera's thread, one camera at
 *   a time per camera, never with a lock held: it may call capture_camera_stats() but not
 *   capture_stop() or capture_destroy(), and it should return quickly.
 *
 * Errors: 0 or a negative errno; capture_add_camera() also logs one line ("capture" tag)
 * saying what is wrong with the URI. A camera failing at run time is a status, not an error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct capture;

/* Cameras in one capture: a patrol car carries 2 to 4; room for a trailer or a test rig. */
#define CAPTURE_MAX_CAMERAS 8
/* A camera name ("front") including its terminating NUL: letters, digits, '-', '_'. */
#define CAPTURE_NAME_MAX 32
/* A camera URI including its terminating NUL (a replay path is the long case). */
#define CAPTURE_URI_MAX 1024
/* A status message including its NUL: one line, GStreamer's error text and the element. */
#define CAPTURE_MESSAGE_MAX 256
/* Frames per camera in the pool: enough for the recogniser to hold one or two while the
 * camera fills the next; more only adds latency. */
#define CAPTURE_POOL_MAX 64
/* The largest frame a pool may be sized for: 4096 x 4096 grey is 16 MiB per frame. */
#define CAPTURE_DIM_MAX 4096
/* A folder replay lists at most this many images (a long drive at 15 fps is ~50 000). */
#define CAPTURE_FOLDER_MAX_FILES 200000
/* An image in a folder replay is read whole; larger ones are refused as hostile. */
#define CAPTURE_IMAGE_MAX_BYTES (64u << 20)

enum capture_state {
	CAPTURE_STARTING = 0, /* added and starting for the first time */
	CAPTURE_RUNNING = 1,  /* delivering frames */
	CAPTURE_FAILED = 2,   /* an error; retry_in_ms >= 0 when it will be retried */
	CAPTURE_RETRYING = 3, /* starting again after a failure */
	CAPTURE_ENDED = 4,    /* a replay reached its end (terminal) */
	CAPTURE_STOPPED = 5,  /* not started, or stopped by capture_stop() */
};

/* Names a state ("running"). Static storage. */
const char *capture_state_name(enum capture_state state);

/* Whether this build has the libcamera: source (meson -Dlibcamera, on unless disabled).
 * Without it capture_add_camera() refuses libcamera: URIs with -ENOTSUP. */
bool capture_libcamera_supported(void);

struct capture_status {
	const char *camera; /* the camera's name */
	enum capture_state state;
	const char *message; /* one line: why it failed or ended; "" otherwise */
	int retry_in_ms;     /* FAILED: the delay before the next attempt, -1 for no retry;
			      * other states: -1 */
	unsigned attempt;    /* 0 for the first start; n for the n-th retry */
};

/* Called from the camera's thread; the strings are valid only during the call. */
typedef void (*capture_status_fn)(const struct capture_status *status, void *userdata);

enum capture_pacing {
	/* A replay runs as fast as the consumer takes frames; none is dropped. */
	CAPTURE_PACE_FAST = 0,
	/* A replay runs at its own timestamps, like a camera, and drops frames the consumer
	 * has no room for (the demo). */
	CAPTURE_PACE_REALTIME = 1,
};

struct capture_options {
	unsigned pool_frames;           /* per camera, 1..CAPTURE_POOL_MAX; 0: 4 */
	int max_width, max_height;      /* pool frame size and the largest frame accepted (the
					 * caps ask a camera for no more); 0: 1920 x 1080 */
	int fps_limit;                  /* drop frames above this rate (videorate); 0: no limit */
	enum capture_pacing pacing;     /* replays only */
	bool loop;                      /* a replay starts again at its end (the demo) */
	int image_fps;                  /* the frame rate of a folder of images; 0: 10 */
	int64_t replay_start_us;        /* replay capture times start here; 0: clock at start */
	int retry_min_ms;               /* first retry delay of a failed live camera; 0: 250 */
	int retry_max_ms;               /* cap on the doubling delay; 0: 5000 */
	int stall_ms;                   /* a camera that gives no frame, no error and no end
					 * for this long (not counting waits for a free pool
					 * frame) has failed, and a live one is restarted: a
					 * frozen sensor or a pipeline that hangs says so instead
					 * of going quiet; 0: 10000; < 0: never */
	const struct alpr_clock *clock; /* UTC time for frames; NULL: the real clock. Must
					 * outlive the capture. */
	capture_status_fn on_status;    /* may be NULL */
	void *userdata;
};

/* A frame from the pool. Read-only for the consumer; valid until capture_release_frame(). */
struct capture_frame {
	const char *camera;     /* the camera's name; valid until capture_destroy() */
	unsigned camera_index;  /* order of capture_add_camera(), from 0 */
	uint64_t seq;           /* per camera, from 1, counting dropped frames too */
	int width, height;      /* pixels */
	int stride;             /* bytes between rows (== width) */
	const uint8_t *data;    /* GRAY8, height * stride bytes */
	int64_t captured_at_us; /* UTC microseconds (see "Capture time") */
	int64_t pts_us;         /* the source's presentation time, -1 if it had none */
};

struct capture_camera_stats {
	enum capture_state state;
	bool live;                         /* libcamera, v4l2, test: retried; file: not */
	uint64_t frames;                   /* frames the source produced (== the last seq) */
	uint64_t delivered;                /* frames queued for the consumer */
	uint64_t dropped;                  /* frames dropped for want of a free pool frame */
	unsigned failures;                 /* FAILED events */
	unsigned pool_in_use;              /* frames queued or held by the consumer now */
	unsigned pool_in_use_max;          /* the most ever in use (never above pool_frames) */
	char message[CAPTURE_MESSAGE_MAX]; /* the last FAILED or ENDED message */
};

/*
 * Creates an empty capture (no camera yet). Initialises GStreamer if needed. @opts may be
 * NULL (all defaults). Returns 0 and *out (free with capture_destroy()), -EINVAL for an
 * option out of range, or -ENOSYS when GStreamer cannot be initialised.
 */
int capture_create(const struct capture_options *opts, struct capture **out);

/*
 * Stops the capture if running and frees it, with every pool frame: frames still held by
 * the consumer become invalid. NULL is a no-op.
 */
void capture_destroy(struct capture *c);

/*
 * Adds camera @name reading @uri (see "Sources") and allocates its pool. Only before
 * capture_start() (-EBUSY otherwise). Checks what can be checked now: the scheme and syntax
 * (-EINVAL), that a replay file or folder exists (-ENOENT) and a folder holds images
 * (-ENOENT) of one kind (-EINVAL), that the element is installed (-ENOTSUP, e.g. no
 * gstreamer1.0-libcamera). A live camera that is absent now is not an error: it fails at
 * start and is retried. -EEXIST for a duplicate name, -ENOSPC beyond CAPTURE_MAX_CAMERAS,
 * -ENOMEM when the pool cannot be allocated.
 */
int capture_add_camera(struct capture *c, const char *name, const char *uri);

/* Starts every camera's thread. 0, -EBUSY if already running, -ENOENT with no camera, or
 * -errno when a thread cannot start (nothing is left running then). May be called again
 * after capture_stop(); replays start again from their beginning. */
int capture_start(struct capture *c);

/* Stops every camera (within about 200 ms) and joins the threads. Queued frames stay
 * queued and held frames stay valid. Wakes a capture_next_frame() waiting in another thread
 * (it returns -EAGAIN). No-op when not running. */
void capture_stop(struct capture *c);

/*
 * Takes the oldest queued frame of any camera, waiting up to @timeout_ms (0: do not wait;
 * negative: wait until a frame comes or the capture stops). Returns 0 and *out, to be given
 * back with capture_release_frame(); -EAGAIN when none came in time (or the capture
 * stopped); -ENODATA when no frame can come any more: the queue is empty and every camera
 * has ended or failed for good.
 */
int capture_next_frame(struct capture *c, int timeout_ms, struct capture_frame **out);

/* Returns @frame to its camera's pool. @frame must come from capture_next_frame() on @c and
 * not be released twice (asserts). NULL is a no-op. */
void capture_release_frame(struct capture *c, struct capture_frame *frame);

/* Copies camera @name's state and counters into *st. 0 or -ENOENT for an unknown name. */
int capture_camera_stats(struct capture *c, const char *name, struct capture_camera_stats *st);

/* The number of cameras, and the name of camera @index (NULL past the end). */
size_t capture_camera_count(const struct capture *c);
const char *capture_camera_name(const struct capture *c, size_t index);
