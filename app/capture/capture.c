/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * Cameras, their threads and pools (capture.h says what; this says how).
 *
 * One lock per capture guards the pools, the queue of ready frames and the counters; a
 * camera thread holds it only to take or queue a frame, never while it talks to GStreamer
 * or copies pixels. Each pool frame is always in exactly one place: its camera's free list,
 * the capture's ready queue, the camera thread's hands (being filled), or the consumer's.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <gst/gst.h>

#include "capture-private.h"

#define DEFAULT_POOL_FRAMES 4
#define DEFAULT_MAX_WIDTH   1920
#define DEFAULT_MAX_HEIGHT  1080
#define DEFAULT_IMAGE_FPS   10
#define DEFAULT_RETRY_MIN   250
#define DEFAULT_RETRY_MAX   5000
#define DEFAULT_STALL_MS    10000
/* How long a camera thread waits in one call before it looks at the stop flag again. */
#define POLL_MS 50

enum frame_place { IN_FREE, IN_READY, IN_FILL, IN_CONSUMER };

struct pool_frame {
	struct capture_frame pub; /* first: capture_release_frame() casts back */
	struct camera *cam;
	struct pool_frame *prev, *next; /* ready queue (both) or free list (next) */
	enum frame_place place;
	uint8_t *pixels;
};

struct camera {
	struct capture *c;
	unsigned index;
	char name[CAPTURE_NAME_MAX];
	struct capture_uri uri;
	struct frame_source *src;
	GThread *thread;

	struct pool_frame *frames;
	uint8_t *pixels;
	struct pool_frame *free_list;

	/* Under c->lock. */
	struct capture_camera_stats stats;
	bool done; /* ended or failed for good: no more frames from this camera */

	/* The camera thread's own. */
	int64_t replay_offset_us; /* added to replay times: the length of earlier loops */
	int64_t first_pts_ns;     /* this run's first PTS, -1 before it */
	int64_t last_pts_ns;      /* this run's latest PTS */
	int64_t last_captured_us;
};

struct capture {
	struct capture_options opts;
	GMutex lock;
	GCond ready_cond; /* a frame was queued, a camera finished, or stop */
	GCond free_cond;  /* a frame was released, or stop */
	struct camera *cams[CAPTURE_MAX_CAMERAS];
	size_t ncams;
	struct pool_frame *ready_head, *ready_tail;
	bool running;
	bool stopping;
	int64_t replay_start_us;
};

const char *capture_state_name(enum capture_state state)
{
	switch (state) {
	case CAPTURE_STARTING:
		return "starting";
	case CAPTURE_RUNNING:
		return "running";
	case CAPTURE_FAILED:
		return "failed";
	case CAPTURE_RETRYING:
		return "retrying";
	case CAPTURE_ENDED:
		return "ended";
	case CAPTURE_STOPPED:
		return "stopped";
	}
	return "unknown";
}

/* ---- the ready queue and the pools (c->lock held) -------------------------------------- */

static void ready_push(struct capture *c, struct pool_frame *f)
{
	f->place = IN_READY;
	f->next = NULL;
	f->prev = c->ready_tail;
	if (c->ready_tail) {
		c->ready_tail->next = f;
	} else {
		c->ready_head = f;
	}
	c->ready_tail = f;
}

static void ready_unlink(struct capture *c, struct pool_frame *f)
{
	if (f->prev) {
		f->prev->next = f->next;
	} else {
		c->ready_head = f->next;
	}
	if (f->next) {
		f->next->prev = f->prev;
	} else {
		c->ready_tail = f->prev;
	}
	f->prev = f->next = NULL;
}

static void free_push(struct camera *cam, struct pool_frame *f)
{
	f->place = IN_FREE;
	f->prev = NULL;
	f->next = cam->free_list;
	cam->free_list = f;
	cam->stats.pool_in_use--;
}

static struct pool_frame *free_pop(struct camera *cam)
{
	struct pool_frame *f = cam->free_list;

	if (f) {
		cam->free_list = f->next;
		f->next = NULL;
		f->place = IN_FILL;
		cam->stats.pool_in_use++;
		if (cam->stats.pool_in_use > cam->stats.pool_in_use_max) {
			cam->stats.pool_in_use_max = cam->stats.pool_in_use;
		}
	}
	return f;
}

/* A frame to fill for a camera that must not wait: a free one, else the camera's oldest
 * frame still queued (that frame is dropped), else NULL (the new frame is dropped). */
static struct pool_frame *take_frame_dropping(struct capture *c, struct camera *cam)
{
	struct pool_frame *f = free_pop(cam);

	if (f) {
		return f;
	}
	for (f = c->ready_head; f; f = f->next) {
		if (f->cam == cam) {
			ready_unlink(c, f);
			f->place = IN_FILL;
			cam->stats.dropped++;
			cam->stats.delivered--;
			return f;
		}
	}
	cam->stats.dropped++;
	return NULL;
}

/* ---- status --------------------------------------------------------------------------- */

static void emit(struct camera *cam, enum capture_state state, const char *message, int retry_in_ms,
		 unsigned attempt)
{
	struct capture *c = cam->c;
	bool terminal = state == CAPTURE_ENDED || (state == CAPTURE_FAILED && retry_in_ms < 0);

	g_mutex_lock(&c->lock);
	cam->stats.state = state;
	if (state == CAPTURE_FAILED) {
		cam->stats.failures++;
	}
	if (state == CAPTURE_FAILED || state == CAPTURE_ENDED) {
		alpr_strlcpy(cam->stats.message, message, sizeof(cam->stats.message));
	}
	g_mutex_unlock(&c->lock);

	if (state == CAPTURE_FAILED) {
		alpr_warn("capture", "camera %s failed: %s%s", cam->name, message,
			  retry_in_ms >= 0 ? "; retrying" : "");
	} else {
		alpr_info("capture", "camera %s %s%s%s", cam->name, capture_state_name(state),
			  message[0] ? ": " : "", message);
	}
	if (c->opts.on_status) {
		struct capture_status st = {
			.camera = cam->name,
			.state = state,
			.message = message,
			.retry_in_ms = state == CAPTURE_FAILED ? retry_in_ms : -1,
			.attempt = attempt,
		};

		c->opts.on_status(&st, c->opts.userdata);
	}
	/* Only after the callback: when capture_next_frame() says -ENODATA, every camera's
	 * last event has been delivered. */
	if (terminal) {
		g_mutex_lock(&c->lock);
		cam->done = true;
		g_cond_broadcast(&c->ready_cond);
		g_mutex_unlock(&c->lock);
	}
}

static bool stopping(struct capture *c)
{
	g_mutex_lock(&c->lock);
	bool s = c->stopping;
	g_mutex_unlock(&c->lock);
	return s;
}

/* Sleeps @ms or until stop. Returns true when stopping. */
static bool wait_or_stop(struct capture *c, int ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
	bool s;

	g_mutex_lock(&c->lock);
	while (!c->stopping && g_cond_wait_until(&c->free_cond, &c->lock, deadline)) {
	}
	s = c->stopping;
	g_mutex_unlock(&c->lock);
	return s;
}

/* ---- the camera thread ---------------------------------------------------------------- */

static int64_t capture_time(struct camera *cam, const struct frame_view *v)
{
	struct capture *c = cam->c;
	int64_t t;

	if (cam->src->live) {
		t = alpr_clock_now(c->opts.clock);
		if (v->latency_ns > 0) {
			t -= v->latency_ns / 1000;
		}
		return t;
	}
	/* Replay: start + offset of earlier loops + PTS from this run's first frame. Without
	 * a PTS, one image interval after the last frame. */
	if (v->pts_ns >= 0) {
		if (cam->first_pts_ns < 0) {
			cam->first_pts_ns = v->pts_ns;
		}
		cam->last_pts_ns = v->pts_ns;
		t = c->replay_start_us + cam->replay_offset_us +
		    (v->pts_ns - cam->first_pts_ns) / 1000;
	} else {
		t = cam->last_captured_us + ALPR_USEC_PER_SEC / c->opts.image_fps;
	}
	if (cam->last_captured_us && t <= cam->last_captured_us) {
		t = cam->last_captured_us + 1;
	}
	cam->last_captured_us = t;
	return t;
}

/* Pulls frames until stop (0), the end of the stream (-ENODATA) or a failure (< 0, @err).
 * *frames counts the frames this run produced. */
static int run(struct camera *cam, uint64_t *frames, unsigned attempt, char *err, size_t errsz)
{
	struct capture *c = cam->c;
	bool waits = !cam->src->live && c->opts.pacing == CAPTURE_PACE_FAST;
	int64_t progress_us = alpr_monotonic_us(); /* the last frame, or the start */

	for (;;) {
		struct frame_view v;
		struct pool_frame *f = NULL;
		int r;

		if (waits) {
			/* A fast replay: hold the pipeline (appsink backs up) until the consumer
			 * gives a frame back, so no frame of the file is lost. */
			bool waited = false;
			g_mutex_lock(&c->lock);
			while (!c->stopping && !cam->free_list) {
				g_cond_wait_until(&c->free_cond, &c->lock,
						  g_get_monotonic_time() + POLL_MS * 1000);
				waited = true;
			}
			bool s = c->stopping;

			f = s ? NULL : free_pop(cam);
			g_mutex_unlock(&c->lock);
			if (s) {
				return 0;
			}
			if (waited) {
				/* Waiting for the consumer is not the source stalling. */
				progress_us = alpr_monotonic_us();
			}
		} else if (stopping(c)) {
			return 0;
		}

		r = cam->src->impl->next(cam->src, POLL_MS, &v, err, errsz);
		if (r <= 0) {
			if (f) {
				g_mutex_lock(&c->lock);
				free_push(cam, f);
				g_mutex_unlock(&c->lock);
			}
			if (r == 0 && c->opts.stall_ms > 0 &&
			    alpr_monotonic_us() - progress_us > (int64_t)c->opts.stall_ms * 1000) {
				snprintf(err, errsz, "no frame for %d ms (the source stalled)",
					 c->opts.stall_ms);
				return -ETIMEDOUT;
			}
			if (r == 0) {
				continue;
			}
			return r;
		}
		progress_us = alpr_monotonic_us();
		if (v.width > c->opts.max_width || v.height > c->opts.max_height) {
			/* The caps forbid this; a source that ignores them is a failure. */
			snprintf(err, errsz, "a %dx%d frame is larger than the pool's %dx%d",
				 v.width, v.height, c->opts.max_width, c->opts.max_height);
			if (f) {
				g_mutex_lock(&c->lock);
				free_push(cam, f);
				g_mutex_unlock(&c->lock);
			}
			return -EIO;
		}
		if (++*frames == 1) {
			/* Once per start, not again at each loop of a replay. */
			g_mutex_lock(&c->lock);
			bool was_running = cam->stats.state == CAPTURE_RUNNING;
			g_mutex_unlock(&c->lock);
			if (!was_running) {
				emit(cam, CAPTURE_RUNNING, "", -1, attempt);
			}
		}

		g_mutex_lock(&c->lock);
		uint64_t seq = ++cam->stats.frames;

		if (!f) {
			f = take_frame_dropping(c, cam);
		}
		g_mutex_unlock(&c->lock);
		int64_t captured = capture_time(cam, &v);

		if (!f) {
			continue;
		}
		for (int y = 0; y < v.height; y++) {
			memcpy(f->pixels + (size_t)y * (size_t)v.width,
			       v.data + (size_t)y * (size_t)v.stride, (size_t)v.width);
		}
		f->pub.seq = seq;
		f->pub.width = v.width;
		f->pub.height = v.height;
		f->pub.stride = v.width;
		f->pub.captured_at_us = captured;
		f->pub.pts_us = v.pts_ns >= 0 ? v.pts_ns / 1000 : -1;

		g_mutex_lock(&c->lock);
		ready_push(c, f);
		cam->stats.delivered++;
		g_cond_broadcast(&c->ready_cond);
		g_mutex_unlock(&c->lock);
	}
}

static gpointer camera_thread(gpointer data)
{
	struct camera *cam = data;
	struct capture *c = cam->c;
	int delay = c->opts.retry_min_ms;
	unsigned attempt = 0;
	char err[CAPTURE_MESSAGE_MAX];

	cam->replay_offset_us = 0;
	cam->last_captured_us = 0;
	emit(cam, CAPTURE_STARTING, "", -1, 0);
	for (;;) {
		uint64_t frames = 0;
		int64_t t0 = alpr_monotonic_us();
		int r;

		err[0] = '\0';
		cam->first_pts_ns = -1;
		cam->last_pts_ns = -1;
		r = cam->src->impl->start(cam->src, err, sizeof(err));
		if (r == 0) {
			r = run(cam, &frames, attempt, err, sizeof(err));
		}
		cam->src->impl->stop(cam->src);
		if (r == 0 || stopping(c)) {
			break;
		}
		if (r == -ENODATA) {
			if (!cam->src->live && c->opts.loop && frames > 0) {
				/* Next loop's times follow on from this one's last frame by the
				 * mean frame interval (timestamps in a WebM are whole ms, so the
				 * last interval alone would drift a millisecond per loop). */
				int64_t span = cam->last_pts_ns - cam->first_pts_ns;
				int64_t step = span > 0 && frames > 1
						       ? span / (int64_t)(frames - 1) / 1000
						       : ALPR_USEC_PER_SEC / c->opts.image_fps;

				cam->replay_offset_us += (span > 0 ? span / 1000 : 0) + step;
				continue;
			}
			if (cam->src->live) {
				snprintf(err, sizeof(err), "the source stopped (end of stream)");
			} else {
				snprintf(err, sizeof(err), "end of replay after %" PRIu64 " frames",
					 frames);
			}
			if (!cam->src->live) {
				emit(cam, CAPTURE_ENDED, err, -1, attempt);
				break;
			}
		}
		if (!err[0]) {
			snprintf(err, sizeof(err), "%s", alpr_strerror(r));
		}
		if (!cam->src->live) {
			emit(cam, CAPTURE_FAILED, err, -1, attempt);
			break;
		}
		/* A run that lasted a while was a working camera that then failed: start the
		 * backoff again. A camera that fails at once backs off further each time. */
		if (alpr_monotonic_us() - t0 >= (int64_t)c->opts.retry_max_ms * 1000) {
			delay = c->opts.retry_min_ms;
		}
		emit(cam, CAPTURE_FAILED, err, delay, attempt);
		if (wait_or_stop(c, delay)) {
			break;
		}
		delay = ALPR_MIN(delay * 2, c->opts.retry_max_ms);
		attempt++;
		emit(cam, CAPTURE_RETRYING, "", -1, attempt);
	}
	return NULL;
}

/* ---- the API -------------------------------------------------------------------------- */

int capture_create(const struct capture_options *opts, struct capture **out)
{
	struct capture_options o = {0};
	GError *e = NULL;

	if (opts) {
		o = *opts;
	}
	if (o.pool_frames == 0) {
		o.pool_frames = DEFAULT_POOL_FRAMES;
	}
	if (o.max_width == 0 && o.max_height == 0) {
		o.max_width = DEFAULT_MAX_WIDTH;
		o.max_height = DEFAULT_MAX_HEIGHT;
	}
	if (o.image_fps == 0) {
		o.image_fps = DEFAULT_IMAGE_FPS;
	}
	if (o.retry_min_ms == 0) {
		o.retry_min_ms = DEFAULT_RETRY_MIN;
	}
	if (o.retry_max_ms == 0) {
		o.retry_max_ms = ALPR_MAX(DEFAULT_RETRY_MAX, o.retry_min_ms);
	}
	if (o.stall_ms == 0) {
		o.stall_ms = DEFAULT_STALL_MS;
	}
	if (o.pool_frames > CAPTURE_POOL_MAX || o.max_width < 16 || o.max_height < 16 ||
	    o.max_width > CAPTURE_DIM_MAX || o.max_height > CAPTURE_DIM_MAX || o.fps_limit < 0 ||
	    o.fps_limit > 1000 || o.image_fps < 1 || o.image_fps > 1000 || o.retry_min_ms < 1 ||
	    o.retry_max_ms < o.retry_min_ms || o.retry_max_ms > 3600 * 1000 ||
	    o.stall_ms > 3600 * 1000 ||
	    (o.pacing != CAPTURE_PACE_FAST && o.pacing != CAPTURE_PACE_REALTIME) ||
	    o.replay_start_us < 0) {
		return -EINVAL;
	}
	if (!gst_init_check(NULL, NULL, &e)) {
		alpr_error("capture", "GStreamer: %s", e ? e->message : "cannot initialise");
		g_clear_error(&e);
		return -ENOSYS;
	}
	struct capture *c = g_new0(struct capture, 1);

	c->opts = o;
	g_mutex_init(&c->lock);
	g_cond_init(&c->ready_cond);
	g_cond_init(&c->free_cond);
	*out = c;
	return 0;
}

static void camera_free(struct camera *cam)
{
	if (cam->src) {
		cam->src->impl->destroy(cam->src);
	}
	g_free(cam->frames);
	g_free(cam->pixels);
	g_free(cam);
}

void capture_destroy(struct capture *c)
{
	if (!c) {
		return;
	}
	capture_stop(c);
	for (size_t i = 0; i < c->ncams; i++) {
		camera_free(c->cams[i]);
	}
	g_mutex_clear(&c->lock);
	g_cond_clear(&c->ready_cond);
	g_cond_clear(&c->free_cond);
	g_free(c);
}

static bool valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= CAPTURE_NAME_MAX) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];

		if (!g_ascii_isalnum(ch) && ch != '-' && ch != '_') {
			return false;
		}
	}
	return true;
}

int capture_add_camera(struct capture *c, const char *name, const char *uri)
{
	struct capture_uri u;
	char err[CAPTURE_MESSAGE_MAX];
	int r;

	if (c->running) {
		return -EBUSY;
	}
	if (!valid_name(name)) {
		alpr_error("capture", "camera name \"%s\": want 1..%d letters, digits, - or _",
			   name ? name : "", CAPTURE_NAME_MAX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->ncams; i++) {
		if (strcmp(c->cams[i]->name, name) == 0) {
			alpr_error("capture", "camera %s: added twice", name);
			return -EEXIST;
		}
	}
	if (c->ncams >= CAPTURE_MAX_CAMERAS) {
		alpr_error("capture", "camera %s: more than %d cameras", name, CAPTURE_MAX_CAMERAS);
		return -ENOSPC;
	}
	r = capture_parse_uri(uri, &u, err, sizeof(err));
	if (r < 0) {
		alpr_error("capture", "camera %s: %s", name, err);
		return r;
	}

	size_t frame_bytes = (size_t)c->opts.max_width * (size_t)c->opts.max_height;
	struct camera *cam = g_new0(struct camera, 1);

	cam->c = c;
	cam->index = (unsigned)c->ncams;
	alpr_strlcpy(cam->name, name, sizeof(cam->name));
	cam->uri = u;
	cam->frames = g_new0(struct pool_frame, c->opts.pool_frames);
	/* The pool is the one large allocation: fail softly rather than abort. */
	cam->pixels = g_try_malloc(frame_bytes * c->opts.pool_frames);
	if (!cam->pixels) {
		alpr_error("capture", "camera %s: cannot allocate %u frames of %dx%d", name,
			   c->opts.pool_frames, c->opts.max_width, c->opts.max_height);
		camera_free(cam);
		return -ENOMEM;
	}
	cam->stats.pool_in_use = c->opts.pool_frames; /* free_push counts down */
	for (unsigned i = 0; i < c->opts.pool_frames; i++) {
		struct pool_frame *f = &cam->frames[c->opts.pool_frames - 1 - i];

		f->cam = cam;
		f->pixels = cam->pixels + frame_bytes * (c->opts.pool_frames - 1 - i);
		f->pub.camera = cam->name;
		f->pub.camera_index = cam->index;
		f->pub.data = f->pixels;
		free_push(cam, f);
	}
	struct frame_source_config cfg = {
		.max_width = c->opts.max_width,
		.max_height = c->opts.max_height,
		.fps_limit = c->opts.fps_limit,
		.realtime = c->opts.pacing == CAPTURE_PACE_REALTIME,
		.image_fps = c->opts.image_fps,
	};

	r = capture_source_gst_create(&u, &cfg, &cam->src);
	if (r < 0) {
		camera_free(cam);
		return r;
	}
	cam->stats.state = CAPTURE_STOPPED;
	cam->stats.live = cam->src->live;
	c->cams[c->ncams++] = cam;
	return 0;
}

int capture_start(struct capture *c)
{
	if (c->running) {
		return -EBUSY;
	}
	if (c->ncams == 0) {
		return -ENOENT;
	}
	g_mutex_lock(&c->lock);
	c->stopping = false;
	c->replay_start_us =
		c->opts.replay_start_us ? c->opts.replay_start_us : alpr_clock_now(c->opts.clock);
	for (size_t i = 0; i < c->ncams; i++) {
		c->cams[i]->done = false;
	}
	c->running = true;
	g_mutex_unlock(&c->lock);
	for (size_t i = 0; i < c->ncams; i++) {
		struct camera *cam = c->cams[i];
		GError *e = NULL;
		char tname[16];

		snprintf(tname, sizeof(tname), "cap-%s", cam->name);
		cam->thread = g_thread_try_new(tname, camera_thread, cam, &e);
		if (!cam->thread) {
			alpr_error("capture", "camera %s: cannot start a thread: %s", cam->name,
				   e ? e->message : "?");
			g_clear_error(&e);
			capture_stop(c);
			return -EAGAIN;
		}
	}
	return 0;
}

void capture_stop(struct capture *c)
{
	if (!c->running) {
		return;
	}
	g_mutex_lock(&c->lock);
	c->stopping = true;
	g_cond_broadcast(&c->free_cond);
	g_cond_broadcast(&c->ready_cond);
	g_mutex_unlock(&c->lock);
	for (size_t i = 0; i < c->ncams; i++) {
		struct camera *cam = c->cams[i];

		if (cam->thread) {
			g_thread_join(cam->thread);
			cam->thread = NULL;
		}
		g_mutex_lock(&c->lock);
		if (!cam->done) {
			cam->stats.state = CAPTURE_STOPPED;
		}
		cam->done = true;
		g_mutex_unlock(&c->lock);
	}
	g_mutex_lock(&c->lock);
	c->running = false;
	g_mutex_unlock(&c->lock);
}

static bool all_done(struct capture *c)
{
	for (size_t i = 0; i < c->ncams; i++) {
		if (!c->cams[i]->done) {
			return false;
		}
	}
	return true;
}

int capture_next_frame(struct capture *c, int timeout_ms, struct capture_frame **out)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	int r = 0;

	g_mutex_lock(&c->lock);
	while (!c->ready_head) {
		if (c->stopping || !c->running) {
			r = -EAGAIN;
			break;
		}
		if (all_done(c)) {
			r = -ENODATA;
			break;
		}
		if (timeout_ms == 0) {
			r = -EAGAIN;
			break;
		}
		if (timeout_ms < 0) {
			g_cond_wait(&c->ready_cond, &c->lock);
		} else if (!g_cond_wait_until(&c->ready_cond, &c->lock, deadline)) {
			r = c->ready_head ? 0 : -EAGAIN;
			break;
		}
	}
	if (r == 0) {
		struct pool_frame *f = c->ready_head;

		ready_unlink(c, f);
		f->place = IN_CONSUMER;
		*out = &f->pub;
	}
	g_mutex_unlock(&c->lock);
	return r;
}

void capture_release_frame(struct capture *c, struct capture_frame *frame)
{
	struct pool_frame *f = (struct pool_frame *)frame;

	if (!frame) {
		return;
	}
	g_mutex_lock(&c->lock);
	assert(f->place == IN_CONSUMER && f->cam->c == c);
	free_push(f->cam, f);
	g_cond_broadcast(&c->free_cond);
	g_mutex_unlock(&c->lock);
}

int capture_camera_stats(struct capture *c, const char *name, struct capture_camera_stats *st)
{
	for (size_t i = 0; i < c->ncams; i++) {
		if (strcmp(c->cams[i]->name, name) == 0) {
			g_mutex_lock(&c->lock);
			*st = c->cams[i]->stats;
			g_mutex_unlock(&c->lock);
			return 0;
		}
	}
	return -ENOENT;
}

size_t capture_camera_count(const struct capture *c)
{
	return c->ncams;
}

const char *capture_camera_name(const struct capture *c, size_t index)
{
	return index < c->ncams ? c->cams[index]->name : NULL;
}
