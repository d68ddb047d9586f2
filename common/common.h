/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * common.h: the small toolkit every module uses.
 *
 * - Errors: functions return 0 or a negative errno (-EINVAL, -ENOENT, -ENOSPC, ...). A few
 *   project-specific failures have their own negative codes below the errno range;
 *   alpr_strerror() names any of them.
 * - Logging: alpr_log() with a subsystem tag ("hotlist", "store", ...). The sink and level are
 *   process-wide, set once by main() before any thread starts (the one deliberate global:
 *   a log handler belongs to the process, as in syslog).
 * - Clock: struct alpr_clock is injectable. Production code uses the real UTC clock; tests
 *   use a manual clock they can set and advance, so retention and expiry can be tested.
 * - Time: UTC microseconds since the Unix epoch (int64_t) everywhere, with ISO 8601 parse and
 *   format helpers.
 * - Cleanup: _autofree_ and friends (a GCC/clang cleanup attribute), with steal_ptr() to keep.
 * - Bounded string helpers and strict number parsing (atoi and friends are banned).
 *
 * Threads: everything here is thread-safe except alpr_log_set_*() (call before threads
 * start) and a manual clock, which must not be changed while another thread reads it.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- errors ---------------------------------------------------------------------------- */

/* Project errors beyond errno. Negative like errno codes, and far from errno's range. */
enum alpr_error {
	ALPR_E_FIRST = 10000,
	ALPR_E_PARSE = 10001,     /* malformed input (a CSV row, a JSON body, a date) */
	ALPR_E_SIGNATURE = 10002, /* a signature does not verify */
	ALPR_E_BASE = 10003,      /* a delta's base is not the current version */
	ALPR_E_REFUSED = 10004,   /* refused by the active policy profile */
	ALPR_E_CORRUPT = 10005,   /* stored data fails its integrity check */
	ALPR_E_LAST,
};

/* Names an error: a negative errno or -ALPR_E_*. Never NULL; static storage; thread-safe. */
const char *alpr_strerror(int err);

/* ---- logging --------------------------------------------------------------------------- */

enum alpr_log_level {
	ALPR_LOG_DEBUG = 0,
	ALPR_LOG_INFO = 1,
	ALPR_LOG_WARN = 2,
	ALPR_LOG_ERROR = 3,
	ALPR_LOG_NONE = 4,
};

typedef void (*alpr_log_fn)(enum alpr_log_level level, const char *subsys, const char *msg,
			    void *userdata);

/* Messages below @level are dropped. Default: ALPR_LOG_WARN, or the ALPR_LOG environment
 * variable (debug, info, warn, error, none) read by alpr_log_init_from_env(). */
void alpr_log_set_level(enum alpr_log_level level);
enum alpr_log_level alpr_log_get_level(void);
/* Replace the sink (default: one line to stderr, "alpr[subsys] level: message").
 * NULL restores the default. Call before threads start. */
void alpr_log_set_handler(alpr_log_fn fn, void *userdata);
void alpr_log_init_from_env(void);

__attribute__((format(printf, 3, 4))) void alpr_log(enum alpr_log_level level, const char *subsys,
						    const char *fmt, ...);

#define alpr_debug(subsys, ...) alpr_log(ALPR_LOG_DEBUG, subsys, __VA_ARGS__)
#define alpr_info(subsys, ...)  alpr_log(ALPR_LOG_INFO, subsys, __VA_ARGS__)
#define alpr_warn(subsys, ...)  alpr_log(ALPR_LOG_WARN, subsys, __VA_ARGS__)
#define alpr_error(subsys, ...) alpr_log(ALPR_LOG_ERROR, subsys, __VA_ARGS__)

/* ---- clock and time -------------------------------------------------------------------- */

#define ALPR_USEC_PER_SEC  INT64_C(1000000)
#define ALPR_USEC_PER_MIN  (INT64_C(60) * ALPR_USEC_PER_SEC)
#define ALPR_USEC_PER_HOUR (INT64_C(60) * ALPR_USEC_PER_MIN)
#define ALPR_USEC_PER_DAY  (INT64_C(24) * ALPR_USEC_PER_HOUR)

/*
 * An injectable UTC clock. Embed one (no allocation): alpr_clock_init_real() or
 * alpr_clock_init_manual(). Pass a pointer to the modules that need time; a NULL pointer
 * means the real clock.
 */
struct alpr_clock {
	bool manual;
	int64_t manual_us; /* the time a manual clock reads */
};

void alpr_clock_init_real(struct alpr_clock *clock);
void alpr_clock_init_manual(struct alpr_clock *clock, int64_t start_us);
/* Sets or advances a manual clock. Asserts on a real clock (a programmer error). */
void alpr_clock_set(struct alpr_clock *clock, int64_t now_us);
void alpr_clock_advance(struct alpr_clock *clock, int64_t delta_us);
/* UTC microseconds since the epoch. @clock may be NULL (the real clock). */
int64_t alpr_clock_now(const struct alpr_clock *clock);
/* A monotonic clock for durations (never manual). */
int64_t alpr_monotonic_us(void);

/*
 * Parses ISO 8601: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.frac]]" with "Z", "+HH:MM", "-HHMM"
 * or no zone (taken as UTC); a space may replace the "T". Strict: the whole of @s (length
 * @len) must be consumed and every field in range. Returns 0 and sets *out_us, or -EINVAL.
 */
int alpr_time_parse(const char *s, size_t len, int64_t *out_us);
/* Formats as "YYYY-MM-DDTHH:MM:SSZ" (seconds precision). @buf needs ALPR_TIME_BUFSZ bytes.
 * Returns @buf. */
#define ALPR_TIME_BUFSZ 32
char *alpr_time_format(int64_t us, char *buf, size_t bufsz);

/* ---- strings and numbers --------------------------------------------------------------- */

/* Copies at most @dstsz-1 bytes and always terminates. Returns the length of @src; a result
 * >= @dstsz means the copy was truncated (BSD strlcpy semantics). */
size_t alpr_strlcpy(char *dst, const char *src, size_t dstsz);
/* Strict decimal parsing of the whole of @s (length @len): no sign for unsigned, no
 * whitespace, within [min, max]. 0 or -EINVAL / -ERANGE. */
int alpr_parse_int64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);
/* Hex encode @len bytes into @out (2*len+1 bytes). */
void alpr_hex_encode(const uint8_t *in, size_t len, char *out);
/* Hex decode exactly @outlen bytes from the 2*@outlen hex digits of @in. 0 or -EINVAL. */
int alpr_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen);

/* ---- files ----------------------------------------------------------------------------- */

/* Reads a whole regular file of at most @max bytes into a new NUL-terminated buffer.
 * The caller frees *out. -ENOENT, -EFBIG (over @max), -EISDIR, or another -errno. */
int alpr_read_file(const char *path, size_t max, char **out, size_t *out_len);
/* Writes @len bytes to @path atomically (a temporary file, fsync, rename, fsync of the
 * folder), with @mode. 0 or -errno; on failure @path is untouched. */
int alpr_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* Creates @path and its parents as needed (mode 0700 for new ones). 0 or -errno. */
int alpr_mkdir_p(const char *path);
/* The project's data folder (policy profiles, syntaxes, the OCR model): $ALPR_DATADIR if
 * set, else the source tree's data/ if present, else the installed one. Static storage. */
const char *alpr_datadir(void);

/* ---- cleanup helpers ------------------------------------------------------------------- */

static inline void alpr_freep(void *p)
{
	free(*(void **)p);
}
static inline void alpr_closep(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
	}
}
#define _autofree_  __attribute__((cleanup(alpr_freep)))
#define _autoclose_ __attribute__((cleanup(alpr_closep)))

/* Returns *pp and sets it to NULL: ownership leaves the cleanup scope. */
#define steal_ptr(pp)                                                                              \
	({                                                                                         \
		__typeof__(*(pp)) steal_tmp_ = *(pp);                                              \
		*(pp) = NULL;                                                                      \
		steal_tmp_;                                                                        \
	})
#define steal_fd(fdp)                                                                              \
	({                                                                                         \
		int steal_fd_tmp_ = *(fdp);                                                        \
		*(fdp) = -1;                                                                       \
		steal_fd_tmp_;                                                                     \
	})

/* Allocation that aborts on failure: for small, bounded allocations only (STYLE.md: a tiny
 * allocation failure aborts). Large, input-sized buffers use malloc and return -ENOMEM. */
void *alpr_xmalloc(size_t n);
void *alpr_xcalloc(size_t n, size_t size);
void *alpr_xrealloc(void *p, size_t n);
char *alpr_xstrdup(const char *s);

#define ALPR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALPR_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define ALPR_MAX(a, b)     ((a) > (b) ? (a) : (b))
