/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * gps.h: the unit's GPS client. A libgps client of gpsd on its own thread, a bounded history
 * of fixes, and "where was the car at time t" for tagging plate reads.
 *
 * Model
 *   gps_create() starts a thread that connects to gpsd (default localhost:2947), asks for
 *   JSON reports (WATCH) and keeps every TPV fix (2D or 3D) in a ring of the last
 *   GPS_HISTORY_CAP fixes. When gpsd is absent or dies the thread retries with a capped
 *   exponential backoff, forever, until gps_destroy(). Nothing here ever blocks on gpsd: the
 *   calls below read the thread's shared state under a mutex and return at once.
 *
 *   All times are int64 UTC microseconds since the epoch (common.h). Fix times are GPS time
 *   as gpsd reports it; a caller looking up "the fix at capture time" passes the capture
 *   time in the same time base (gps_time_offset() corrects a wrong system clock).
 *
 * No stale borrowing
 *   A lookup never hands out an old position as if it were current. gps_fix_at() interpolates
 *   only between two consecutive fixes at most GPS_MAX_GAP_US apart with no loss of fix or of
 *   gpsd between them, and holds the newest fix for at most GPS_MAX_HOLD_US after it (and only
 *   while gpsd still reports a fix). Anything else is -ENODATA, which the read records as
 *   "no GPS fix".
 *
 * Threads
 *   Every function may be called from any thread, concurrently, except that gps_destroy()
 *   must not race with other calls on the same object. Two clients in one process are
 *   independent (no globals; gpsd and libgps keep no per-process state we rely on).
 *
 * Errors
 *   0 or a negative errno. Losing gpsd or the fix is not an error of these calls: it is a
 *   state (gps_status()) and -ENODATA from the lookups.
 *
 * Note on includes: this header shares its name with libgps' <gps.h>. Code using this
 * module includes "gps.h" with gps_dep; it must not also need libgps' header.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct gps;

/* Fixes kept in the history: 20 minutes at 1 Hz (2 minutes at 10 Hz). Lookups reach back
 * seconds (a read is tagged within moments of capture); the long GPS track is the store's
 * job, so the ring is bounded and allocated once at create. */
#define GPS_HISTORY_CAP 1200

/* gps_fix_at() interpolates only between fixes at most this far apart: one missed 1 Hz
 * epoch is tolerated (2 s), a longer silence is a gap in the track, not a straight line. */
#define GPS_MAX_GAP_US (2500 * INT64_C(1000))

/* gps_fix_at() may answer with the newest fix for a time at most this far after it (one
 * 1 Hz period plus delivery latency), and only while gpsd has reported nothing worse since. */
#define GPS_MAX_HOLD_US (1500 * INT64_C(1000))

/* gps_time_offset() trusts GPS time after this many consecutive 3D fixes: a receiver's first
 * fix after a cold start can carry a wrong time (week rollover, leap seconds not yet known). */
#define GPS_TIME_MIN_FIXES 3

#define GPS_DEFAULT_HOST "localhost"
#define GPS_DEFAULT_PORT 2947

enum gps_state {
	GPS_NO_DAEMON = 0, /* not connected to gpsd (absent, dead, or not reached yet) */
	GPS_NO_FIX = 1,    /* connected, but no current fix (no receiver, no sky, fix too old) */
	GPS_FIX_2D = 2,    /* a current 2D fix (latitude/longitude; no altitude) */
	GPS_FIX_3D = 3,    /* a current 3D fix */
};

struct gps_status {
	enum gps_state state;
	int64_t last_fix_us;  /* GPS time of the newest fix in the history; 0 if none */
	int64_t age_ms;       /* milliseconds since that fix arrived (monotonic); -1 if none */
	uint64_t fixes;       /* fixes received since create (the same epoch refined counts once) */
	unsigned connections; /* successful connections to gpsd since create */
};

struct gps_fix {
	int64_t time_us;    /* the time asked for (gps_fix_at) or of the fix (gps_history) */
	double lat;         /* degrees, WGS84 */
	double lon;         /* degrees, WGS84, in [-180, 180] */
	double alt_m;       /* height above mean sea level; NAN in 2D */
	double speed_mps;   /* speed over ground; NAN if the receiver did not say */
	double heading_deg; /* course over ground, true north, [0, 360); NAN if unknown */
	int mode;           /* 2 (2D) or 3 (3D); the worse of the two fixes interpolated */
	int64_t fix_age_ms; /* how far @time_us is from the nearest real fix used: 0 for an exact
			     * fix, up to GPS_MAX_HOLD_US / 1000 when holding the newest one */
	bool interpolated;  /* between two fixes rather than a fix itself */
	bool after_gap;     /* gps_history(): a loss of fix or of gpsd came before this fix */
};

struct gps_options {
	int reconnect_max_ms; /* cap on the reconnect backoff; 0: 5000. Starts at 100 ms. */
	int stale_ms;         /* a fix that arrived longer ago than this no longer counts as
			       * current in gps_status(); 0: 3000 */
};

/* Whether this build has GPS support (meson -Dgps=enabled|auto with libgps found). Without
 * it gps_create() returns -ENOTSUP and nothing else here ever reports a fix. */
bool gps_supported(void);

/*
 * Creates a client and starts its thread. @host: gpsd's host name or address (NULL:
 * "localhost"); @port: 1..65535 (0: 2947); @clock: the clock gps_time_offset() compares GPS
 * time with (NULL: the real clock); it must outlive the client. @opts may be NULL.
 * Succeeds whether or not gpsd is running (the state says). The host should be local: a
 * connect attempt blocks the thread (not the caller) until the system gives up.
 * Returns 0 and *out (free with gps_destroy()), -EINVAL for a bad argument, -ENOTSUP in a
 * build without GPS support, or -errno when the thread cannot start.
 */
int gps_create(const char *host, int port, const struct alpr_clock *clock,
	       const struct gps_options *opts, struct gps **out);

/* Stops the thread (within about 100 ms), closes the connection, frees @g. NULL is a no-op. */
void gps_destroy(struct gps *g);

/* The current state and the newest fix's time and age. Always succeeds. */
void gps_status(struct gps *g, struct gps_status *st);

/*
 * Where the car was at @t_us (GPS time). Returns 0 and fills *fix: a fix itself when @t_us
 * is one, an interpolation between the two fixes around @t_us (linear in position and speed,
 * shortest way round for heading), or the newest fix held for up to GPS_MAX_HOLD_US.
 * -ENODATA when there is no fix close enough: before the history, after the newest fix by
 * more than the hold (or after gpsd reported no fix or went away), or in a gap longer than
 * GPS_MAX_GAP_US or across a loss of fix. *fix is untouched on error.
 */
int gps_fix_at(struct gps *g, int64_t t_us, struct gps_fix *fix);

/*
 * GPS time as a trusted time source: *offset_us = GPS time - @clock's time, measured when
 * the newest fix arrived, so that alpr_clock_now(clock) + *offset_us is UTC by GPS. Only
 * when the state is GPS_FIX_3D and the last GPS_TIME_MIN_FIXES fixes are consecutive 3D
 * fixes; -ENODATA otherwise. Accuracy is about a second (NMEA reports arrive up to a second
 * after the epoch they describe): right for correcting an unset clock, not for timing.
 */
int gps_time_offset(struct gps *g, int64_t *offset_us);

/*
 * Copies the newest fixes of the history, oldest first, into @out (up to @max). Returns how
 * many were copied (>= 0). The whole track for the store's GPS track class, and for tests.
 */
size_t gps_history(struct gps *g, struct gps_fix *out, size_t max);
