/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The GPS client against a real gpsd: each case generates an NMEA log with tools/gen-nmea.py
 * (and its CSV of what the log says), replays it through `gpsfake -1 -q -P PORT -c 0.05`
 * (Debian's gpsd-clients, which runs a private gpsd), and checks what the client reports.
 *
 * gpsfake feeds the log from the moment it starts (at 0.05 s a sentence, so 0.1 s per 1 Hz
 * epoch), so a client sees the log from wherever it joined: the cases compare fixes with the
 * CSV row of the same time rather than assume where the replay started.
 *
 * Every gpsfake runs in its own process group; the group is killed at the end of the case,
 * on a failed CHECK (atexit) and on the watchdog alarm, so no gpsd outlives a test.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"
#include "common.h"
#include "gps.h"

extern char **environ;

#define GEN_NMEA ALPR_SRC_DATADIR "/../tools/gen-nmea.py"
/* Each case must end well inside meson's 30 s default; the watchdog ends a hung one. */
#define CASE_TIMEOUT_S 25
/* How long to wait for something the replay will produce within a few seconds. */
#define WAIT_MS 10000
/* NMEA carries 1e-4 minutes (0.2 m); allow for float formatting either side. */
#define DEG_TOL   2e-6
#define MAX_FAKES 4
#define MAX_TRUTH 2000

/* ---- gpsfake processes ---------------------------------------------------------------- */

static pid_t fakes[MAX_FAKES]; /* process group ids of running gpsfakes; 0 = free slot */

static void kill_all_fakes(void)
{
	for (int i = 0; i < MAX_FAKES; i++) {
		if (fakes[i] > 0) {
			kill(-fakes[i], SIGKILL);
			waitpid(fakes[i], NULL, 0);
			fakes[i] = 0;
		}
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: test-gps case timed out; killing gpsfake\n";

	for (int i = 0; i < MAX_FAKES; i++) {
		if (fakes[i] > 0) {
			kill(-fakes[i], SIGKILL);
		}
	}
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* A TCP port nothing listens on now (the kernel's pick). Also (re)arms the watchdog: every
 * case starts by picking a port. */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	alarm(CASE_TIMEOUT_S);
	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	close(fd);
	return ntohs(a.sin_port);
}

static bool port_listening(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	CHECK(fd >= 0);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static pid_t spawn(char *const argv[], const char *out_path, bool own_group)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	posix_spawnattr_init(&attr);
	if (own_group) {
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
		posix_spawnattr_setpgroup(&attr, 0);
	}
	int r = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);

	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	CHECK_MSG(r == 0, "cannot run %s: %s", argv[0], strerror(r));
	return pid;
}

/* Starts `gpsfake -1 -q -P port -c 0.05 log` and waits until its gpsd accepts clients. */
static pid_t fake_start(int port, const char *log)
{
	char port_s[16];
	int slot = -1;

	snprintf(port_s, sizeof(port_s), "%d", port);
	for (int i = 0; i < MAX_FAKES; i++) {
		if (fakes[i] == 0) {
			slot = i;
			break;
		}
	}
	CHECK(slot >= 0);
	char *argv[] = {"gpsfake", "-1", "-q", "-P", port_s, "-c", "0.05", (char *)log, NULL};
	pid_t pid = spawn(argv, check_path("gpsfake.log"), true);

	fakes[slot] = pid;
	int64_t deadline = alpr_monotonic_us() + WAIT_MS * INT64_C(1000);

	while (!port_listening(port)) {
		int st;

		CHECK_MSG(waitpid(pid, &st, WNOHANG) == 0,
			  "gpsfake exited before listening on %d; see gpsfake.log", port);
		CHECK_MSG(alpr_monotonic_us() < deadline, "gpsfake not listening on %d", port);
		sleep_ms(20);
	}
	return pid;
}

/* Kills gpsfake and its gpsd at once, as a crash or a kill -9 would. */
static void fake_kill(pid_t pid)
{
	for (int i = 0; i < MAX_FAKES; i++) {
		if (fakes[i] == pid) {
			kill(-pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fakes[i] = 0;
		}
	}
}

/* ---- generated logs and their truth ---------------------------------------------------- */

struct truth_row {
	int64_t us;
	int fix; /* 0, 2, 3 */
	double lat, lon, speed, heading;
};

struct truth {
	struct truth_row rows[MAX_TRUTH];
	size_t n;
};

/* Runs tools/gen-nmea.py --out DIR/NAME.nmea --truth DIR/NAME.csv ARGS... */
static const char *gen_log(const char *name, struct truth *truth, const char *const *args)
{
	static char log[4][512];
	static unsigned next;
	char *log_path = log[next++ % 4];
	char csv[512];
	char *argv[32];
	size_t n = 0;
	int st;

	snprintf(log_path, sizeof(log[0]), "%s/%s.nmea", check_tmpdir(), name);
	snprintf(csv, sizeof(csv), "%s/%s.csv", check_tmpdir(), name);
	argv[n++] = "python3";
	argv[n++] = GEN_NMEA;
	argv[n++] = "--out";
	argv[n++] = log_path;
	argv[n++] = "--truth";
	argv[n++] = csv;
	for (size_t i = 0; args[i]; i++) {
		CHECK(n < ALPR_ARRAY_SIZE(argv) - 1);
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	pid_t pid = spawn(argv, check_path("gen-nmea.log"), false);

	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "gen-nmea.py failed; see gen-nmea.log");

	_autofree_ char *text = NULL;
	size_t len;

	CHECK_OK(alpr_read_file(csv, 1 << 20, &text, &len));
	truth->n = 0;
	char *line = strchr(text, '\n'); /* skip the header */

	while (line && line[1]) {
		char *p = line + 1, *end;
		struct truth_row r = {0};

		line = strchr(p, '\n');
		r.us = strtoll(p, &end, 10);
		CHECK(*end == ',');
		p = strchr(end + 1, ','); /* skip the ISO time */
		CHECK(p);
		r.fix = (int)strtol(p + 1, &end, 10);
		if (r.fix) {
			r.lat = strtod(end + 1, &end);
			r.lon = strtod(end + 1, &end);
			r.speed = strtod(end + 1, &end);
			r.heading = strtod(end + 1, &end);
		}
		CHECK(truth->n < MAX_TRUTH);
		truth->rows[truth->n++] = r;
	}
	CHECK(truth->n > 0);
	return log_path;
}

static const struct truth_row *truth_at(const struct truth *t, int64_t us)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->rows[i].us == us) {
			return &t->rows[i];
		}
	}
	return NULL;
}

/* ---- waiting on the client ------------------------------------------------------------ */

static void status(struct gps *g, struct gps_status *st)
{
	gps_status(g, st);
}

/* Waits until the client reports @state (and at least @min_fixes fixes). */
static void wait_state(struct gps *g, enum gps_state state, uint64_t min_fixes)
{
	int64_t deadline = alpr_monotonic_us() + WAIT_MS * INT64_C(1000);
	struct gps_status st;

	for (;;) {
		status(g, &st);
		if (st.state == state && st.fixes >= min_fixes) {
			return;
		}
		CHECK_MSG(alpr_monotonic_us() < deadline,
			  "waited for state %d with %" PRIu64 " fixes; have state %d, %" PRIu64
			  " fixes",
			  state, min_fixes, st.state, st.fixes);
		sleep_ms(10);
	}
}

static struct gps *client(int port, const struct alpr_clock *clock)
{
	struct gps *g = NULL;
	struct gps_options opts = {.reconnect_max_ms = 200, .stale_ms = 1000};

	CHECK_OK(gps_create("127.0.0.1", port, clock, &opts, &g));
	CHECK(g);
	return g;
}

/* Every fix in the history is a good epoch of the log, with its coordinates. Returns how
 * many fixes were checked. */
static size_t check_history_matches(struct gps *g, const struct truth *t)
{
	static struct gps_fix h[GPS_HISTORY_CAP];
	size_t n = gps_history(g, h, GPS_HISTORY_CAP);

	for (size_t i = 0; i < n; i++) {
		const struct truth_row *r = truth_at(t, h[i].time_us);
		char when[ALPR_TIME_BUFSZ];

		alpr_time_format(h[i].time_us, when, sizeof(when));
		CHECK_MSG(r, "fix at %s (%" PRId64 ") is not an epoch of the log", when,
			  h[i].time_us);
		CHECK_MSG(r->fix >= 2, "fix at %s comes from a no-fix epoch", when);
		CHECK_MSG(fabs(h[i].lat - r->lat) < DEG_TOL && fabs(h[i].lon - r->lon) < DEG_TOL,
			  "fix at %s: %.7f,%.7f, log says %.7f,%.7f", when, h[i].lat, h[i].lon,
			  r->lat, r->lon);
		CHECK_MSG(fabs(h[i].speed_mps - r->speed) < 0.01, "fix at %s: speed %.3f != %.3f",
			  when, h[i].speed_mps, r->speed);
		CHECK_MSG(fabs(h[i].heading_deg - r->heading) < 0.05,
			  "fix at %s: heading %.1f != %.1f", when, h[i].heading_deg, r->heading);
		CHECK(h[i].mode == 2 || h[i].mode == 3);
		CHECK(!h[i].interpolated && h[i].fix_age_ms == 0);
	}
	return n;
}

/* ---- cases ---------------------------------------------------------------------------- */

static struct truth truth_a, truth_b;

/* Fixes arrive with the log's coordinates, speed and heading, and with its 3D and 2D modes. */
static void test_fixes(void)
{
	static const char *const args[] = {"--seed", "11",    "--duration", "200",
					   "--2d",   "45:25", NULL};
	const char *log = gen_log("drive", &truth_a, args);
	int port = free_port();

	fake_start(port, log);
	struct gps *g = client(port, NULL);
	bool saw_3d = false, saw_2d = false;
	int64_t deadline = alpr_monotonic_us() + 15 * ALPR_USEC_PER_SEC;
	struct gps_status st;

	/* The 2D segment replays 4.5 s into the log: watch the state go 3D, 2D, 3D. */
	while (!(saw_3d && saw_2d) && alpr_monotonic_us() < deadline) {
		status(g, &st);
		saw_3d |= st.state == GPS_FIX_3D;
		saw_2d |= saw_3d && st.state == GPS_FIX_2D;
		sleep_ms(5);
	}
	CHECK_MSG(saw_3d && saw_2d, "states seen: 3D %d, 2D %d", saw_3d, saw_2d);
	wait_state(g, GPS_FIX_3D, 0);
	status(g, &st);
	CHECK(st.connections == 1);
	CHECK(st.age_ms >= 0 && st.age_ms < 1000);
	CHECK(truth_at(&truth_a, st.last_fix_us));

	size_t n = check_history_matches(g, &truth_a);
	CHECK_MSG(n >= 20, "only %zu fixes", n);

	/* The modes follow the log, away from the segment's edges (gpsd merges RMC and GGA of
	 * one epoch, so the first epoch of a segment can carry the previous mode). */
	static struct gps_fix h[GPS_HISTORY_CAP];
	size_t n2d = 0, n3d = 0;

	n = gps_history(g, h, GPS_HISTORY_CAP);
	for (size_t i = 1; i < n; i++) {
		const struct truth_row *r = truth_at(&truth_a, h[i].time_us);
		const struct truth_row *prev = truth_at(&truth_a, h[i].time_us - ALPR_USEC_PER_SEC);

		if (prev && prev->fix == r->fix) {
			CHECK_INT_EQ(h[i].mode, r->fix);
			n2d += r->fix == 2;
			n3d += r->fix == 3;
			if (r->fix == 2) {
				CHECK(isnan(h[i].alt_m));
			} else {
				CHECK(isfinite(h[i].alt_m) && h[i].alt_m > 170 && h[i].alt_m < 190);
			}
		}
	}
	CHECK_MSG(n2d >= 10 && n3d >= 10, "2D fixes %zu, 3D fixes %zu", n2d, n3d);
	gps_destroy(g);
	kill_all_fakes();
}

/* fix_at() interpolates between two fixes and answers a fix's own time exactly. */
static void test_interpolate(void)
{
	static const char *const args[] = {"--seed", "5", "--duration", "200", NULL};
	const char *log = gen_log("drive", &truth_a, args);
	int port = free_port();

	fake_start(port, log);
	struct gps *g = client(port, NULL);

	wait_state(g, GPS_FIX_3D, 12);

	static struct gps_fix h[GPS_HISTORY_CAP];
	size_t n = gps_history(g, h, GPS_HISTORY_CAP);
	size_t tested = 0;

	for (size_t i = 1; i < n; i++) {
		const struct gps_fix *a = &h[i - 1], *b = &h[i];
		struct gps_fix f;

		if (b->after_gap || b->time_us - a->time_us != ALPR_USEC_PER_SEC) {
			continue;
		}
		/* A quarter of the way from a to b. */
		CHECK_OK(gps_fix_at(g, a->time_us + 250000, &f));
		CHECK(f.interpolated);
		CHECK_INT_EQ(f.time_us, a->time_us + 250000);
		CHECK_INT_EQ(f.fix_age_ms, 250);
		CHECK(fabs(f.lat - (a->lat + 0.25 * (b->lat - a->lat))) < 1e-9);
		CHECK(fabs(f.lon - (a->lon + 0.25 * (b->lon - a->lon))) < 1e-9);
		CHECK(fabs(f.speed_mps - (a->speed_mps + 0.25 * (b->speed_mps - a->speed_mps))) <
		      1e-9);
		CHECK(f.mode == 3);
		/* The point lies between the two fixes: a car does ~12 m in a second. */
		CHECK(fabs(f.lat - a->lat) <= fabs(b->lat - a->lat) + 1e-12);
		CHECK(fabs(f.lon - a->lon) <= fabs(b->lon - a->lon) + 1e-12);
		/* Heading: the shortest way round (a turn 270 -> 0 passes 315, not 135). */
		double d = fmod(b->heading_deg - a->heading_deg + 540.0, 360.0) - 180.0;
		double want = fmod(a->heading_deg + 0.25 * d + 360.0, 360.0);
		CHECK(fabs(f.heading_deg - want) < 1e-9);

		/* Three quarters: now b is the nearer fix. */
		CHECK_OK(gps_fix_at(g, b->time_us - 250000, &f));
		CHECK_INT_EQ(f.fix_age_ms, 250);

		/* A fix's own time gives the fix itself. */
		CHECK_OK(gps_fix_at(g, a->time_us, &f));
		CHECK(!f.interpolated && f.fix_age_ms == 0);
		CHECK(f.lat == a->lat && f.lon == a->lon);
		tested++;
	}
	CHECK_MSG(tested >= 10, "only %zu pairs of fixes", tested);
	gps_destroy(g);
	kill_all_fakes();
}

/* A time outside the history, or in a no-fix stretch, gives -ENODATA: never a stale fix. */
static void test_no_stale(void)
{
	/* No fix from 40 s to 52 s of the log (4 s to 5.2 s into the replay). */
	static const char *const args[] = {"--seed",  "9",     "--duration", "120",
					   "--nofix", "40:12", NULL};
	const char *log = gen_log("drive", &truth_a, args);
	int port = free_port();
	struct gps_fix f;
	struct gps_status st;

	fake_start(port, log);
	struct gps *g = client(port, NULL);

	wait_state(g, GPS_FIX_3D, 5);
	/* While gpsd says "no fix", a read taken now says so, though a fix is 0.5 s old. */
	wait_state(g, GPS_NO_FIX, 0);
	status(g, &st);
	CHECK(st.last_fix_us > 0);
	CHECK_INT_EQ(gps_fix_at(g, st.last_fix_us + 500000, &f), -ENODATA);
	CHECK_INT_EQ(gps_fix_at(g, st.last_fix_us + 10 * ALPR_USEC_PER_SEC, &f), -ENODATA);
	/* Reads taken before the loss keep their real fix. */
	CHECK_OK(gps_fix_at(g, st.last_fix_us, &f));
	int64_t last_before_gap = st.last_fix_us;

	/* The fix comes back after the stretch. */
	wait_state(g, GPS_FIX_3D, 0);
	status(g, &st);
	CHECK(st.last_fix_us > last_before_gap + 5 * ALPR_USEC_PER_SEC);

	/* Across the stretch there are fixes on both sides, yet nothing in between. */
	for (int64_t t = last_before_gap + 100000; t < last_before_gap + 13 * ALPR_USEC_PER_SEC;
	     t += 250000) {
		const struct truth_row *r =
			truth_at(&truth_a, (t / ALPR_USEC_PER_SEC) * ALPR_USEC_PER_SEC);
		int rc = gps_fix_at(g, t, &f);

		if (r && r->fix == 0) {
			CHECK_MSG(rc == -ENODATA, "a fix at %" PRId64 " in the no-fix stretch", t);
		}
	}
	/* Just after the last fix before the loss: the next fix follows the gap, so no
	 * interpolation and no holding. */
	CHECK_INT_EQ(gps_fix_at(g, last_before_gap + 200000, &f), -ENODATA);

	/* Before the oldest fix, and long after the newest. */
	static struct gps_fix h[GPS_HISTORY_CAP];
	size_t n = gps_history(g, h, GPS_HISTORY_CAP);
	CHECK(n > 0);
	CHECK_INT_EQ(gps_fix_at(g, h[0].time_us - 1, &f), -ENODATA);
	CHECK_INT_EQ(gps_fix_at(g, h[0].time_us - 3600 * ALPR_USEC_PER_SEC, &f), -ENODATA);
	CHECK_INT_EQ(gps_fix_at(g, h[n - 1].time_us + 3600 * ALPR_USEC_PER_SEC, &f), -ENODATA);

	/* A silent receiver (gpsd frozen with its connection open): the newest fix is held
	 * for GPS_MAX_HOLD_US, then nothing; and after stale_ms the state is "no fix". */
	wait_state(g, GPS_FIX_3D, 0);
	for (int i = 0; i < MAX_FAKES; i++) {
		if (fakes[i] > 0) {
			kill(-fakes[i], SIGSTOP);
		}
	}
	sleep_ms(150); /* let the last report in flight land */
	status(g, &st);
	CHECK_OK(gps_fix_at(g, st.last_fix_us + 1000000, &f));
	CHECK(!f.interpolated);
	CHECK_INT_EQ(f.fix_age_ms, 1000);
	CHECK_INT_EQ(gps_fix_at(g, st.last_fix_us + GPS_MAX_HOLD_US + 1, &f), -ENODATA);
	wait_state(g, GPS_NO_FIX, 0);
	status(g, &st);
	CHECK(st.age_ms >= 1000);
	for (int i = 0; i < MAX_FAKES; i++) {
		if (fakes[i] > 0) {
			kill(-fakes[i], SIGCONT);
		}
	}
	check_history_matches(g, &truth_a);
	gps_destroy(g);
	kill_all_fakes();
}

/* No gpsd at all: the state says so, lookups refuse, nothing crashes. */
static void test_no_daemon(void)
{
	int port = free_port();
	struct gps *g = client(port, NULL);
	struct gps_status st;
	struct gps_fix f;
	int64_t off;

	sleep_ms(700); /* several reconnect attempts */
	status(g, &st);
	CHECK_INT_EQ(st.state, GPS_NO_DAEMON);
	CHECK_INT_EQ(st.connections, 0);
	CHECK_INT_EQ(st.fixes, 0);
	CHECK_INT_EQ(st.age_ms, -1);
	CHECK_INT_EQ(gps_fix_at(g, alpr_clock_now(NULL), &f), -ENODATA);
	CHECK_INT_EQ(gps_time_offset(g, &off), -ENODATA);
	CHECK_INT_EQ(gps_history(g, &f, 1), 0);
	gps_destroy(g);

	/* Bad arguments are refused; destroy(NULL) is a no-op. */
	CHECK_INT_EQ(gps_create(NULL, 70000, NULL, NULL, &g), -EINVAL);
	CHECK_INT_EQ(gps_create("", 0, NULL, NULL, &g), -EINVAL);
	CHECK_INT_EQ(gps_create(NULL, 0, NULL, NULL, NULL), -EINVAL);
	gps_destroy(NULL);

	/* Defaults (localhost:2947) start and stop cleanly whether or not a gpsd is there. */
	CHECK_OK(gps_create(NULL, 0, NULL, NULL, &g));
	gps_destroy(g);
}

/* gpsd killed mid-run: no daemon and no fix, then a new gpsd on the same port: recovery. */
static void test_restart(void)
{
	static const char *const args_a[] = {"--seed", "3", "--duration", "300", NULL};
	static const char *const args_b[] = {
		"--seed", "4", "--duration", "300", "--start", "2025-01-15T09:00:00Z", NULL};
	const char *log_a = gen_log("before", &truth_a, args_a);
	const char *log_b = gen_log("after", &truth_b, args_b);
	int port = free_port();
	struct gps_status st;
	struct gps_fix f;

	pid_t fake = fake_start(port, log_a);
	struct gps *g = client(port, NULL);

	wait_state(g, GPS_FIX_3D, 5);
	fake_kill(fake);
	wait_state(g, GPS_NO_DAEMON, 0);
	status(g, &st);
	int64_t last_a = st.last_fix_us;
	CHECK(truth_at(&truth_a, last_a));
	/* A read taken now has no fix, even moments after the last one. */
	CHECK_INT_EQ(gps_fix_at(g, last_a + 300000, &f), -ENODATA);
	/* The fixes from before the loss still tag the reads taken then. */
	CHECK_OK(gps_fix_at(g, last_a, &f));

	sleep_ms(300); /* the client keeps retrying */
	status(g, &st);
	CHECK_INT_EQ(st.state, GPS_NO_DAEMON);

	fake_start(port, log_b);
	wait_state(g, GPS_FIX_3D, st.fixes + 3);
	status(g, &st);
	CHECK_INT_EQ(st.connections, 2);
	CHECK(truth_at(&truth_b, st.last_fix_us));

	/* The track has a gap at the restart: nothing interpolated across it. */
	CHECK_INT_EQ(gps_fix_at(g, last_a + 500000, &f), -ENODATA);
	static struct gps_fix h[GPS_HISTORY_CAP];
	size_t n = gps_history(g, h, GPS_HISTORY_CAP);
	size_t first_b = n;
	for (size_t i = 0; i < n; i++) {
		if (h[i].time_us > last_a) {
			first_b = i;
			break;
		}
	}
	CHECK(first_b < n);
	CHECK(h[first_b].after_gap);
	CHECK(truth_at(&truth_b, h[first_b].time_us));
	CHECK(truth_at(&truth_a, h[first_b - 1].time_us));
	gps_destroy(g);
	kill_all_fakes();
}

/* Garbage, bad checksums carrying a far-away position, truncated sentences and binary junk
 * in the feed: no crash, and only the good sentences become fixes. */
static void test_hostile(void)
{
	static const char *const args[] = {"--seed", "21", "--duration", "200", "--hostile", NULL};
	const char *log = gen_log("hostile", &truth_a, args);
	int port = free_port();

	fake_start(port, log);
	struct gps *g = client(port, NULL);

	wait_state(g, GPS_FIX_3D, 25);
	/* Every fix is a good epoch at its own coordinates: none is the far-away point
	 * (45S 20W) and none sits at the half-second the bad sentences carry. */
	size_t n = check_history_matches(g, &truth_a);
	CHECK_MSG(n >= 25, "only %zu fixes", n);
	static struct gps_fix h[GPS_HISTORY_CAP];
	n = gps_history(g, h, GPS_HISTORY_CAP);
	for (size_t i = 0; i < n; i++) {
		CHECK(h[i].lat > 0 && h[i].lon < -80);
		CHECK(h[i].time_us % ALPR_USEC_PER_SEC == 0);
	}
	gps_destroy(g);
	kill_all_fakes();
}

/* GPS time corrects a wrong clock with a good (3D) fix, and only then. Two clients in one
 * process, each on its own gpsd, see their own drives. */
static void test_time_two_clients(void)
{
	static const char *const args_3d[] = {"--seed", "1", "--duration", "200", NULL};
	static const char *const args_2d[] = {"--seed", "2",       "--duration", "200",
					      "--lat",  "51.5074", "--lon",      "-0.1278",
					      "--2d",   "0:200",   NULL};
	const char *log_3d = gen_log("car3d", &truth_a, args_3d);
	const char *log_2d = gen_log("car2d", &truth_b, args_2d);
	int port_3d = free_port();
	int port_2d = free_port();

	while (port_2d == port_3d) {
		port_2d = free_port();
	}
	struct alpr_clock unset_rtc;
	int64_t off;

	/* The unit's clock after a flat battery: 2001. */
	alpr_clock_init_manual(&unset_rtc, INT64_C(978307200) * ALPR_USEC_PER_SEC);
	fake_start(port_3d, log_3d);
	fake_start(port_2d, log_2d);
	struct gps *g3 = client(port_3d, &unset_rtc);
	struct gps *g2 = client(port_2d, &unset_rtc);

	wait_state(g3, GPS_FIX_3D, GPS_TIME_MIN_FIXES + 1);
	wait_state(g2, GPS_FIX_2D, GPS_TIME_MIN_FIXES + 1);

	/* Corrected time = clock + offset is the GPS time of a 3D epoch of the log. */
	CHECK_OK(gps_time_offset(g3, &off));
	int64_t corrected = alpr_clock_now(&unset_rtc) + off;
	const struct truth_row *r = truth_at(&truth_a, corrected);
	CHECK_MSG(r && r->fix == 3, "corrected time %" PRId64 " is not a 3D epoch", corrected);
	/* A 2D fix does not vouch for the time. */
	CHECK_INT_EQ(gps_time_offset(g2, &off), -ENODATA);

	/* Each client has its own drive: Springfield IL and London. */
	CHECK(check_history_matches(g3, &truth_a) > 0);
	CHECK(check_history_matches(g2, &truth_b) > 0);
	struct gps_fix f;
	CHECK(gps_history(g2, &f, 1) == 1 && f.lat > 51 && f.lat < 52 && f.mode == 2);

	/* Once gpsd is gone, the time is no longer vouched for either. */
	kill_all_fakes();
	wait_state(g3, GPS_NO_DAEMON, 0);
	CHECK_INT_EQ(gps_time_offset(g3, &off), -ENODATA);
	gps_destroy(g3);
	gps_destroy(g2);
}

static const struct check_case cases[] = {
	{"fixes", test_fixes},
	{"interpolate", test_interpolate},
	{"no-stale", test_no_stale},
	{"no-daemon", test_no_daemon},
	{"restart", test_restart},
	{"hostile-nmea", test_hostile},
	{"time-two-clients", test_time_two_clients},
};

int main(int argc, char **argv)
{
	atexit(kill_all_fakes);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
