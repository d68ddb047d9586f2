/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The GPS client: one thread per client speaks to gpsd through libgps; callers read the
 * shared state under a mutex. See gps.h for the model.
 *
 * Our header and libgps' share the name gps.h. "gps.h" (quotes) finds ours next to this
 * file; <gps.h> finds libgps' because this library's meson target adds no include path for
 * this folder (implicit_include_directories: false).
 */
#include "gps.h"

#include <gps.h>

#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define LOG_TAG "gps"

/* Reconnect backoff: start fast (gpsd restarting takes a moment), double up to the cap. */
#define RECONNECT_MIN_MS         100
#define RECONNECT_MAX_MS_DEFAULT 5000
#define STALE_MS_DEFAULT         3000
/* How long the thread sleeps in poll() between checks when gpsd is silent. The stop pipe
 * wakes it at once, so this only bounds how often it re-checks its state. */
#define POLL_MS 500
/* One gpsd JSON report. gpsd's own limit (GPS_JSON_RESPONSE_MAX) is 4096; a longer line is
 * truncated by libgps and its class check below fails, so it is ignored. */
#define MSG_MAX 4096
/* gps_read() returning 0 while poll() says readable, this many times in a row, means the
 * connection is wedged; drop it and reconnect rather than spin. */
#define MAX_EMPTY_READS 64
#define HOST_MAX        256

struct entry {
	int64_t time_us;       /* GPS time of the fix */
	int64_t recv_mono_us;  /* when it arrived (monotonic) */
	int64_t recv_clock_us; /* when it arrived (the client's clock) */
	double lat, lon, alt_m, speed_mps, heading_deg;
	int mode;       /* 2 or 3 */
	bool after_gap; /* fix or gpsd was lost between the previous entry and this one */
};

struct gps {
	char host[HOST_MAX];
	char port[8];
	const struct alpr_clock *clock;
	int reconnect_max_ms;
	int stale_ms;

	pthread_t thread;
	int stop_pipe[2]; /* writing a byte to [1] stops the thread */

	pthread_mutex_t lock; /* guards everything below */
	bool connected;
	int cur_mode;       /* mode of the newest TPV (0 when disconnected) */
	bool pending_gap;   /* fix or gpsd lost since the newest entry */
	struct entry *ring; /* GPS_HISTORY_CAP entries, oldest at ring[head] */
	size_t head, count;
	uint64_t fixes;
	unsigned connections;
};

/* ---- history (caller holds the lock) ------------------------------------------------- */

static struct entry *at(struct gps *g, size_t i)
{
	return &g->ring[(g->head + i) % GPS_HISTORY_CAP];
}

static void history_add(struct gps *g, const struct entry *e)
{
	if (g->count > 0) {
		struct entry *newest = at(g, g->count - 1);

		if (e->time_us == newest->time_us) {
			/* gpsd reports an epoch once per sentence (RMC then GGA): the later
			 * report refines the same fix (2D becomes 3D). Keep its gap flag. */
			bool gap = newest->after_gap;

			*newest = *e;
			newest->after_gap = gap;
			return;
		}
		if (e->time_us < newest->time_us) {
			/* A log replayed again, or a receiver's time jump. The ring must stay
			 * in time order for lookups; an earlier track is not this one. */
			alpr_warn(LOG_TAG,
				  "GPS time went backwards by %" PRId64 " ms; history restarted",
				  (newest->time_us - e->time_us) / 1000);
			g->head = 0;
			g->count = 0;
		}
	}
	if (g->count == GPS_HISTORY_CAP) {
		g->head = (g->head + 1) % GPS_HISTORY_CAP;
		g->count--;
	}
	*at(g, g->count) = *e;
	at(g, g->count)->after_gap = g->pending_gap || g->count == 0;
	g->count++;
	g->pending_gap = false;
	g->fixes++;
}

/* Index of the first entry later than @t (count if none). */
static size_t upper_bound(struct gps *g, int64_t t)
{
	size_t lo = 0, hi = g->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (at(g, mid)->time_us <= t) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static void entry_to_fix(const struct entry *e, struct gps_fix *fix)
{
	*fix = (struct gps_fix){
		.time_us = e->time_us,
		.lat = e->lat,
		.lon = e->lon,
		.alt_m = e->alt_m,
		.speed_mps = e->speed_mps,
		.heading_deg = e->heading_deg,
		.mode = e->mode,
		.after_gap = e->after_gap,
	};
}

static double lerp(double a, double b, double f)
{
	/* An unknown end makes the result unknown, not half of the other end. */
	return a + (b - a) * f;
}

static double lerp_angle(double a, double b, double f)
{
	double d = fmod(b - a + 540.0, 360.0) - 180.0; /* shortest way round, in (-180, 180] */
	double r = fmod(a + d * f + 360.0, 360.0);

	return r;
}

static double lerp_lon(double a, double b, double f)
{
	double d = b - a;

	if (d > 180.0) {
		d -= 360.0;
	} else if (d < -180.0) {
		d += 360.0;
	}
	double r = a + d * f;
	if (r > 180.0) {
		r -= 360.0;
	} else if (r < -180.0) {
		r += 360.0;
	}
	return r;
}

/* ---- the thread ---------------------------------------------------------------------- */

static bool is_current(struct gps *g, int mode)
{
	return g->connected && mode >= MODE_2D;
}

/* Sleeps @ms or until asked to stop. Returns true when asked to stop. */
static bool wait_stop(struct gps *g, int ms)
{
	struct pollfd p = {.fd = g->stop_pipe[0], .events = POLLIN};

	return poll(&p, 1, ms) > 0;
}

static int64_t timespec_us(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * ALPR_USEC_PER_SEC + ts->tv_nsec / 1000;
}

static void handle_tpv(struct gps *g, const struct gps_data_t *d)
{
	const struct gps_fix_t *f = &d->fix;
	int64_t t = timespec_us(&f->time);
	bool usable = f->mode >= MODE_2D && isfinite(f->latitude) && isfinite(f->longitude) &&
		      fabs(f->latitude) <= 90.0 && fabs(f->longitude) <= 180.0 && t > 0;

	pthread_mutex_lock(&g->lock);
	if (!usable) {
		/* No fix (or a fix we cannot place in time): the track breaks here, and
		 * lookups after the newest fix stop holding it. */
		if (g->cur_mode >= MODE_2D) {
			alpr_info(LOG_TAG, "fix lost (mode %d)", f->mode);
		}
		g->cur_mode = f->mode >= MODE_NO_FIX ? MODE_NO_FIX : f->mode;
		if (g->count > 0) {
			g->pending_gap = true;
		}
		pthread_mutex_unlock(&g->lock);
		return;
	}
	struct entry e = {
		.time_us = t,
		.recv_mono_us = alpr_monotonic_us(),
		.recv_clock_us = alpr_clock_now(g->clock),
		.lat = f->latitude,
		.lon = f->longitude,
		.alt_m = f->mode >= MODE_3D && isfinite(f->altMSL) ? f->altMSL : NAN,
		.speed_mps = isfinite(f->speed) && f->speed >= 0 ? f->speed : NAN,
		.heading_deg =
			isfinite(f->track) ? fmod(fmod(f->track, 360.0) + 360.0, 360.0) : NAN,
		.mode = f->mode >= MODE_3D ? 3 : 2,
	};
	if (g->cur_mode < MODE_2D) {
		alpr_info(LOG_TAG, "%dD fix", e.mode);
	}
	g->cur_mode = e.mode;
	history_add(g, &e);
	pthread_mutex_unlock(&g->lock);
}

static void set_connected(struct gps *g, bool connected)
{
	pthread_mutex_lock(&g->lock);
	g->connected = connected;
	g->cur_mode = 0;
	if (connected) {
		g->connections++;
	} else if (g->count > 0) {
		g->pending_gap = true;
	}
	pthread_mutex_unlock(&g->lock);
}

/* Reads reports until the connection fails or we are asked to stop. True on stop. */
static bool read_loop(struct gps *g, struct gps_data_t *d)
{
	char msg[MSG_MAX];
	int empty = 0;

	for (;;) {
		struct pollfd p[2] = {
			{.fd = d->gps_fd, .events = POLLIN},
			{.fd = g->stop_pipe[0], .events = POLLIN},
		};
		/* libgps buffers what one recv() brought: drain it before polling the socket. */
		if (!gps_waiting(d, 0)) {
			int r = poll(p, 2, POLL_MS);

			if (r < 0 && errno != EINTR) {
				return false;
			}
			if (p[1].revents) {
				return true;
			}
			if (r <= 0) {
				continue;
			}
		}
		msg[0] = '\0';
		int n = gps_read(d, msg, sizeof(msg));

		if (n < 0) {
			return false; /* gpsd closed the connection or the socket failed */
		}
		if (n == 0) {
			if (++empty >= MAX_EMPTY_READS) {
				alpr_warn(LOG_TAG, "gpsd connection wedged; reconnecting");
				return false;
			}
			continue;
		}
		empty = 0;
		msg[sizeof(msg) - 1] = '\0';
		if (strstr(msg, "\"class\":\"TPV\"")) {
			handle_tpv(g, d);
		}
	}
}

static void *thread_main(void *arg)
{
	struct gps *g = arg;
	int backoff = RECONNECT_MIN_MS;
	bool outage_logged = false;

	for (;;) {
		struct gps_data_t d;

		memset(&d, 0, sizeof(d));
		if (gps_open(g->host, g->port, &d) != 0) {
			if (!outage_logged) {
				alpr_warn(LOG_TAG, "no gpsd at %s:%s (%s); retrying", g->host,
					  g->port, gps_errstr(errno));
				outage_logged = true;
			}
			if (wait_stop(g, backoff)) {
				break;
			}
			backoff = ALPR_MIN(backoff * 2, g->reconnect_max_ms);
			continue;
		}
		if (gps_stream(&d, WATCH_ENABLE | WATCH_JSON, NULL) != 0) {
			alpr_warn(LOG_TAG, "gpsd at %s:%s refused WATCH; retrying", g->host,
				  g->port);
			gps_close(&d);
			if (wait_stop(g, backoff)) {
				break;
			}
			backoff = ALPR_MIN(backoff * 2, g->reconnect_max_ms);
			continue;
		}
		alpr_info(LOG_TAG, "connected to gpsd at %s:%s", g->host, g->port);
		outage_logged = false;
		backoff = RECONNECT_MIN_MS;
		set_connected(g, true);
		bool stop = read_loop(g, &d);
		set_connected(g, false);
		gps_close(&d);
		if (stop) {
			break;
		}
		alpr_warn(LOG_TAG, "lost gpsd at %s:%s; reconnecting", g->host, g->port);
		outage_logged = true;
		if (wait_stop(g, backoff)) {
			break;
		}
	}
	return NULL;
}

/* ---- public API ---------------------------------------------------------------------- */

bool gps_supported(void)
{
	return true;
}

int gps_create(const char *host, int port, const struct alpr_clock *clock,
	       const struct gps_options *opts, struct gps **out)
{
	struct gps *g;
	int r;

	if (!out || port < 0 || port > 65535 ||
	    (opts && (opts->reconnect_max_ms < 0 || opts->stale_ms < 0))) {
		return -EINVAL;
	}
	if (!host) {
		host = GPS_DEFAULT_HOST;
	}
	if (!*host || strlen(host) >= HOST_MAX) {
		return -EINVAL;
	}
	g = alpr_xcalloc(1, sizeof(*g));
	alpr_strlcpy(g->host, host, sizeof(g->host));
	snprintf(g->port, sizeof(g->port), "%d", port ? port : GPS_DEFAULT_PORT);
	g->clock = clock;
	g->reconnect_max_ms =
		opts && opts->reconnect_max_ms ? opts->reconnect_max_ms : RECONNECT_MAX_MS_DEFAULT;
	g->reconnect_max_ms = ALPR_MAX(g->reconnect_max_ms, RECONNECT_MIN_MS);
	g->stale_ms = opts && opts->stale_ms ? opts->stale_ms : STALE_MS_DEFAULT;
	g->ring = alpr_xcalloc(GPS_HISTORY_CAP, sizeof(*g->ring));
	g->stop_pipe[0] = g->stop_pipe[1] = -1;
	pthread_mutex_init(&g->lock, NULL);
	if (pipe2(g->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	r = -pthread_create(&g->thread, NULL, thread_main, g);
	if (r < 0) {
		goto fail;
	}
	*out = g;
	return 0;

fail:
	alpr_error(LOG_TAG, "cannot start the GPS client: %s", alpr_strerror(r));
	if (g->stop_pipe[0] >= 0) {
		close(g->stop_pipe[0]);
		close(g->stop_pipe[1]);
	}
	pthread_mutex_destroy(&g->lock);
	free(g->ring);
	free(g);
	return r;
}

void gps_destroy(struct gps *g)
{
	if (!g) {
		return;
	}
	char c = 'q';
	ssize_t n;

	do {
		n = write(g->stop_pipe[1], &c, 1);
	} while (n < 0 && errno == EINTR);
	pthread_join(g->thread, NULL);
	close(g->stop_pipe[0]);
	close(g->stop_pipe[1]);
	pthread_mutex_destroy(&g->lock);
	free(g->ring);
	free(g);
}

void gps_status(struct gps *g, struct gps_status *st)
{
	int64_t now = alpr_monotonic_us();

	pthread_mutex_lock(&g->lock);
	*st = (struct gps_status){
		.state = GPS_NO_DAEMON,
		.age_ms = -1,
		.fixes = g->fixes,
		.connections = g->connections,
	};
	if (g->count > 0) {
		const struct entry *newest = at(g, g->count - 1);

		st->last_fix_us = newest->time_us;
		st->age_ms = (now - newest->recv_mono_us) / 1000;
	}
	if (g->connected) {
		st->state = GPS_NO_FIX;
		if (is_current(g, g->cur_mode) && st->age_ms >= 0 && st->age_ms <= g->stale_ms) {
			st->state = g->cur_mode >= MODE_3D ? GPS_FIX_3D : GPS_FIX_2D;
		}
	}
	pthread_mutex_unlock(&g->lock);
}

int gps_fix_at(struct gps *g, int64_t t_us, struct gps_fix *fix)
{
	int r = -ENODATA;

	pthread_mutex_lock(&g->lock);
	size_t i = upper_bound(g, t_us);

	if (i == 0) {
		goto out; /* before the history (or no history) */
	}
	const struct entry *a = at(g, i - 1);

	if (a->time_us == t_us) {
		entry_to_fix(a, fix);
		r = 0;
		goto out;
	}
	if (i == g->count) {
		/* After the newest fix: hold it briefly, but only while nothing worse has been
		 * reported since (no "no fix", no lost gpsd). */
		if (!g->pending_gap && g->connected && t_us - a->time_us <= GPS_MAX_HOLD_US) {
			entry_to_fix(a, fix);
			fix->time_us = t_us;
			fix->fix_age_ms = (t_us - a->time_us) / 1000;
			fix->after_gap = false;
			r = 0;
		}
		goto out;
	}
	const struct entry *b = at(g, i);

	if (b->after_gap || b->time_us - a->time_us > GPS_MAX_GAP_US) {
		goto out;
	}
	double f = (double)(t_us - a->time_us) / (double)(b->time_us - a->time_us);

	*fix = (struct gps_fix){
		.time_us = t_us,
		.lat = lerp(a->lat, b->lat, f),
		.lon = lerp_lon(a->lon, b->lon, f),
		.alt_m = lerp(a->alt_m, b->alt_m, f),
		.speed_mps = lerp(a->speed_mps, b->speed_mps, f),
		.heading_deg = isfinite(a->heading_deg) && isfinite(b->heading_deg)
				       ? lerp_angle(a->heading_deg, b->heading_deg, f)
				       : NAN,
		.mode = ALPR_MIN(a->mode, b->mode),
		.fix_age_ms = ALPR_MIN(t_us - a->time_us, b->time_us - t_us) / 1000,
		.interpolated = true,
	};
	r = 0;
out:
	pthread_mutex_unlock(&g->lock);
	return r;
}

int gps_time_offset(struct gps *g, int64_t *offset_us)
{
	struct gps_status st;
	int r = -ENODATA;

	gps_status(g, &st);
	if (st.state != GPS_FIX_3D) {
		return -ENODATA;
	}
	pthread_mutex_lock(&g->lock);
	if (g->count >= GPS_TIME_MIN_FIXES && !g->pending_gap) {
		bool ok = true;

		for (size_t k = 0; ok && k < GPS_TIME_MIN_FIXES; k++) {
			const struct entry *e = at(g, g->count - 1 - k);

			/* The oldest of the run may follow a gap; the ones after it may not. */
			ok = e->mode == 3 && (k == GPS_TIME_MIN_FIXES - 1 || !e->after_gap);
		}
		if (ok) {
			const struct entry *newest = at(g, g->count - 1);

			*offset_us = newest->time_us - newest->recv_clock_us;
			r = 0;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return r;
}

size_t gps_history(struct gps *g, struct gps_fix *out, size_t max)
{
	pthread_mutex_lock(&g->lock);
	size_t n = ALPR_MIN(max, g->count);
	size_t first = g->count - n;

	for (size_t k = 0; k < n; k++) {
		entry_to_fix(at(g, first + k), &out[k]);
	}
	pthread_mutex_unlock(&g->lock);
	return n;
}
