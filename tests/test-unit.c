/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * test-unit: the unit runtime (app/): the tracker's voting, the whole pipeline on the demo
 * generator's drive (real GStreamer replays, real Tesseract, real LMDB hotlist and store,
 * real gpsd through gpsfake), alpr-unit's command line, and faults: a camera failing mid-run,
 * gpsd killed and restarted, a full store, kill -9.
 *
 * The drive: ALPR_UNIT_DRIVE is a folder made at build time by tools/gen-demo-drive.py
 * --png (front/ and rear/ PNG folders and truth.csv, one row per vehicle pass).
 * ALPR_UNIT_BIN is the built alpr-unit; ALPR_STATION_BIN the built alpr-station, for the
 * docked-sync cases (a real station over TLS on 127.0.0.1, as tests/test-sync.c runs it).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <jansson.h>

#include "check.h"
#include "common.h"
#include "station.h"
#include "sync-private.h"
#include "sync.h"
#include "officers.h"
#include "track.h"
#include "unit.h"

extern char **environ;

#define MAX_EVENTS 4096
#define MAX_PASSES 64

/* ---- helpers --------------------------------------------------------------------------- */

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

static const char *drive_dir(void)
{
	const char *d = getenv("ALPR_UNIT_DRIVE");
	CHECK_MSG(d && *d, "ALPR_UNIT_DRIVE is not set (meson test sets it)");
	return d;
}

struct pass {
	char camera[16], plate[16], role[16];
};

static size_t load_truth(struct pass *p, size_t cap)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/truth.csv", drive_dir());
	FILE *f = fopen(path, "r");
	CHECK_MSG(f, "cannot open %s", path);
	char line[512];
	size_t n = 0;
	CHECK(fgets(line, sizeof(line), f)); /* header */
	while (n < cap && fgets(line, sizeof(line), f)) {
		char *field[10];
		int k = 0;
		line[strcspn(line, "\r\n")] = '\0';
		for (char *t = line; t && k < 10;) {
			field[k++] = t;
			t = strchr(t, ',');
			if (t) {
				*t++ = '\0';
			}
		}
		CHECK(k == 10);
		alpr_strlcpy(p[n].camera, field[0], sizeof(p[n].camera));
		alpr_strlcpy(p[n].plate, field[1], sizeof(p[n].plate));
		alpr_strlcpy(p[n].role, field[9], sizeof(p[n].role));
		n++;
	}
	fclose(f);
	return n;
}

/* What a test subscriber keeps of each event. */
struct ev {
	enum unit_event_type type;
	char plate[16], camera[16], id[STORE_ID_MAX + 1], reason[UNIT_MESSAGE_MAX];
	char entry_plate[16];
	enum hotlist_match_kind kind;
	bool gps_fix, final;
	bool state_mismatch;
	char state[3];      /* the read's voted state */
	bool early, update; /* an early read (it hit), the final vote updating one */
	int64_t t_us, mono_us;
	uint64_t evicted;
	bool store_full;
	int gps_state;
};

struct events {
	pthread_mutex_t lock;
	size_t n;
	struct ev ev[MAX_EVENTS];
};

static void collect(const struct unit_event *e, void *userdata)
{
	struct events *es = userdata;
	pthread_mutex_lock(&es->lock);
	if (es->n < MAX_EVENTS) {
		struct ev *v = &es->ev[es->n++];
		memset(v, 0, sizeof(*v));
		v->type = e->type;
		v->mono_us = alpr_monotonic_us();
		if (e->type == UNIT_EVENT_READ) {
			alpr_strlcpy(v->plate, e->read->r.plate, sizeof(v->plate));
			alpr_strlcpy(v->camera, e->read->r.camera, sizeof(v->camera));
			alpr_strlcpy(v->id, e->read->r.id, sizeof(v->id));
			v->gps_fix = e->read->r.gps.mode != STORE_FIX_NONE;
			v->t_us = e->read->r.captured_at;
			alpr_strlcpy(v->state, e->read->r.state, sizeof(v->state));
			v->early = e->read->early;
			v->update = e->read->update;
		} else if (e->type == UNIT_EVENT_HIT) {
			alpr_strlcpy(v->plate, e->hit->read->r.plate, sizeof(v->plate));
			alpr_strlcpy(v->camera, e->hit->read->r.camera, sizeof(v->camera));
			alpr_strlcpy(v->id, e->hit->read->r.id, sizeof(v->id));
			alpr_strlcpy(v->entry_plate, e->hit->match.entry.plate,
				     sizeof(v->entry_plate));
			v->kind = e->hit->match.kind;
			v->state_mismatch = e->hit->match.state_mismatch;
			alpr_strlcpy(v->state, e->hit->read->r.state, sizeof(v->state));
		} else {
			alpr_strlcpy(v->reason, e->status->reason, sizeof(v->reason));
			v->final = e->status->final;
			v->evicted = e->status->store_evicted;
			v->store_full = e->status->store_full;
			v->gps_state = e->status->gps_enabled ? (int)e->status->gps.state : -1;
		}
	}
	pthread_mutex_unlock(&es->lock);
}

static struct events *events_new(void)
{
	struct events *es = calloc(1, sizeof(*es));
	CHECK(es);
	pthread_mutex_init(&es->lock, NULL);
	return es;
}

static void events_free(struct events *es)
{
	pthread_mutex_destroy(&es->lock);
	free(es);
}

static const char *hotlist_dir(void)
{
	static char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", check_path("hotlist"));
	struct policy *p;
	char err[256];
	CHECK_OK(policy_load_named("default", &p, err, sizeof(err)));
	struct hotlist_options ho = {.policy = p};
	struct hotlist *h;
	CHECK_OK(hotlist_open(dir, &ho, &h));
	char csv[PATH_MAX];
	snprintf(csv, sizeof(csv), "%s/demo/hotlist.csv", alpr_datadir());
	struct hotlist_import_options io = {.list = "state", .default_source = HOTLIST_SOURCE_NCIC};
	struct hotlist_import_result res;
	CHECK_OK(hotlist_import_csv(h, csv, &io, &res));
	CHECK(res.refused == 1);
	hotlist_close(h);
	policy_destroy(p);
	return dir;
}

static void set_camera(struct unit_options *o, const char *name, const char *uri)
{
	struct unit_camera_config *c = &o->cameras[o->ncameras++];
	alpr_strlcpy(c->name, name, sizeof(c->name));
	alpr_strlcpy(c->uri, uri, sizeof(c->uri));
}

static void drive_cameras(struct unit_options *o)
{
	char uri[PATH_MAX];
	snprintf(uri, sizeof(uri), "file:%s/front", drive_dir());
	set_camera(o, "front", uri);
	snprintf(uri, sizeof(uri), "file:%s/rear", drive_dir());
	set_camera(o, "rear", uri);
}

static struct unit *run_unit(const struct unit_options *o, struct events *es)
{
	struct unit *u;
	char err[512] = "";
	int r = unit_create(o, &u, err, sizeof(err));
	CHECK_MSG(r == 0, "unit_create: %s", err);
	CHECK_OK(unit_subscribe(u, collect, es));
	CHECK_OK(unit_start(u));
	return u;
}

/* Events of @type; reads count once per pass (an early read's update is not another). */
static size_t count(struct events *es, enum unit_event_type type)
{
	size_t n = 0;
	for (size_t i = 0; i < es->n; i++) {
		n += es->ev[i].type == type && !es->ev[i].update;
	}
	return n;
}

static bool has_read(struct events *es, const char *camera, const char *plate)
{
	for (size_t i = 0; i < es->n; i++) {
		const struct ev *v = &es->ev[i];
		if (v->type == UNIT_EVENT_READ && strcmp(v->camera, camera) == 0 &&
		    strcmp(v->plate, plate) == 0) {
			return true;
		}
	}
	return false;
}

static const struct ev *find_status(struct events *es, const char *needle)
{
	for (size_t i = 0; i < es->n; i++) {
		if (es->ev[i].type == UNIT_EVENT_STATUS && strstr(es->ev[i].reason, needle)) {
			return &es->ev[i];
		}
	}
	return NULL;
}

/* ---- processes ------------------------------------------------------------------------- */

static pid_t spawn_to(char *const argv[], const char *out_path, const char *err_path)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	int r = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	CHECK_MSG(r == 0, "cannot run %s: %s", argv[0], strerror(r));
	return pid;
}

static int wait_exit(pid_t pid)
{
	int st;
	CHECK(waitpid(pid, &st, 0) == pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *path)
{
	char *text = NULL;
	size_t len;
	int r = alpr_read_file(path, 16u << 20, &text, &len);
	CHECK_MSG(r == 0, "%s: %s", path, alpr_strerror(r));
	return text;
}

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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
	CHECK(fd >= 0);
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static pid_t fake_pid; /* gpsfake's process group, killed on exit */

static void kill_fake(void)
{
	if (fake_pid > 0) {
		kill(-fake_pid, SIGKILL);
		waitpid(fake_pid, NULL, 0);
		fake_pid = 0;
	}
}

/* An NMEA route starting now, replayed in real time by gpsfake on @port. */
static void fake_start(int port)
{
	char start[ALPR_TIME_BUFSZ], port_s[16], nmea[PATH_MAX], gen[PATH_MAX];
	alpr_time_format(alpr_clock_now(NULL), start, sizeof(start));
	snprintf(nmea, sizeof(nmea), "%s", check_path("drive.nmea"));
	snprintf(gen, sizeof(gen), "%s/../tools/gen-nmea.py", alpr_datadir());
	unlink(nmea);
	/* Long enough for the generous waits of gps-restart under ASan: the log must not end
	 * (and the fixes stop) before the test kills gpsd. */
	char *gargv[] = {"/usr/bin/python3", gen,   "--seed", "7",  "--duration", "900",
			 "--start",          start, "--out",  nmea, NULL};
	CHECK(wait_exit(spawn_to(gargv, check_path("gen.out"), check_path("gen.out"))) == 0);
	snprintf(port_s, sizeof(port_s), "%d", port);
	char *fargv[] = {"gpsfake", "-1", "-q", "-P", port_s, "-c", "0.45", nmea, NULL};
	fake_pid = spawn_to(fargv, check_path("gpsfake.log"), check_path("gpsfake.log"));
	atexit(kill_fake);
	for (int i = 0; i < 100 && !port_listening(port); i++) {
		sleep_ms(100);
	}
	CHECK(port_listening(port));
}

/* ---- the tracker ----------------------------------------------------------------------- */

struct sim_rng {
	uint64_t s;
};

static uint32_t sim_next(struct sim_rng *g)
{
	g->s = g->s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(g->s >> 33);
}

static const char confusable[] = "0O8B5S2Z1I6G";

/* One frame's noisy reading of @truth: each character misread (as a look-alike, at lower
 * confidence) with probability 1/6, and one frame in eight loses a character. */
static void noisy_obs(struct sim_rng *g, const char *truth, int frame, struct track_obs *o)
{
	memset(o, 0, sizeof(*o));
	size_t len = strlen(truth), j = 0;
	bool drop = sim_next(g) % 8 == 0;
	size_t drop_at = sim_next(g) % len;
	float total = 0;
	for (size_t i = 0; i < len; i++) {
		if (drop && i == drop_at) {
			continue;
		}
		char c = truth[i];
		float conf = 85 + (float)(sim_next(g) % 15);
		if (sim_next(g) % 6 == 0) {
			const char *p = strchr(confusable, c);
			c = p ? confusable[(p - confusable) ^ 1] : (char)('A' + sim_next(g) % 26);
			conf = 55 + (float)(sim_next(g) % 30);
		}
		o->text[j] = c;
		o->char_conf[j] = conf;
		total += conf;
		j++;
	}
	o->text[j] = '\0';
	o->confidence = total / (float)j;
	o->x = 400 + frame * 6;
	o->y = 500 - frame * 3;
	o->w = 200 + frame * 2;
	o->h = 60;
	alpr_strlcpy(o->cand[0], o->text, sizeof(o->cand[0]));
	o->cand_conf[0] = o->confidence;
	o->ncand = 1;
}

struct emitted {
	size_t n;
	struct track_read r[64];
};

static void on_emit(const struct track_read *r, void *userdata)
{
	struct emitted *e = userdata;
	if (e->n < ALPR_ARRAY_SIZE(e->r)) {
		e->r[e->n++] = *r;
	}
}

static void test_track_vote(void)
{
	static const char *plates[] = {"7ABC123", "5SOW750", "8BKR412", "2GHT771", "6TRK539"};
	struct sim_rng g = {42};
	int single_ok = 0, single_n = 0, voted_ok = 0, voted_n = 0;

	for (int seq_i = 0; seq_i < 100; seq_i++) {
		const char *truth = plates[seq_i % 5];
		struct tracker *t;
		struct emitted em = {0};
		CHECK_OK(tracker_create(NULL, &t));
		int64_t t0 = (int64_t)seq_i * 10 * ALPR_USEC_PER_SEC;
		for (int f = 0; f < 15; f++) {
			struct track_obs o;
			noisy_obs(&g, truth, f, &o);
			single_ok += strcmp(o.text, truth) == 0;
			single_n++;
			tracker_frame(t, 0, (uint64_t)f + 1, t0 + f * 66667, &o, 1, on_emit, &em);
		}
		/* Empty frames after the pass close the track. */
		for (int f = 15; f < 30; f++) {
			tracker_frame(t, 0, (uint64_t)f + 1, t0 + f * 66667, NULL, 0, on_emit, &em);
		}
		CHECK_INT_EQ(em.n, 1); /* one read per vehicle pass */
		CHECK_MSG(em.r[0].frames_voted >= 10 && em.r[0].frames_seen >= 13,
			  "voted %u seen %u", em.r[0].frames_voted, em.r[0].frames_seen);
		voted_ok += strcmp(em.r[0].text, truth) == 0;
		voted_n++;
		tracker_destroy(t);
	}
	double single = (double)single_ok / single_n, voted = (double)voted_ok / voted_n;
	printf("single-frame exact %.1f%%, voted %.1f%%\n", 100 * single, 100 * voted);
	CHECK_MSG(single < 0.5, "the simulated frames should be noisy (%.2f)", single);
	CHECK_MSG(voted >= 0.97, "voting should recover the plate (%.2f)", voted);
}

/* A clean reading of @text in frame @frame of a pass. */
static void clean_obs(const char *text, int frame, struct track_obs *o)
{
	memset(o, 0, sizeof(*o));
	alpr_strlcpy(o->text, text, sizeof(o->text));
	o->confidence = 95;
	for (size_t i = 0; i < strlen(text); i++) {
		o->char_conf[i] = 95;
	}
	o->x = 400 + frame * 6;
	o->y = 500 - frame * 3;
	o->w = 200;
	o->h = 60;
}

/* One pass of 8 frames of 5SOW750; frame f reads state @states[f] ("" none) at @conf[f]. */
static struct track_read state_pass(const char *const *states, const float *conf)
{
	struct tracker *t;
	struct emitted em = {0};
	CHECK_OK(tracker_create(NULL, &t));
	for (int f = 0; f < 8; f++) {
		struct track_obs o;
		clean_obs("5SOW750", f, &o);
		alpr_strlcpy(o.state, states[f], sizeof(o.state));
		o.state_conf = conf[f];
		tracker_frame(t, 0, (uint64_t)f + 1, f * 66667, &o, 1, on_emit, &em);
	}
	tracker_flush(t, on_emit, &em);
	tracker_destroy(t);
	CHECK_INT_EQ(em.n, 1);
	return em.r[0];
}

/* Early reads: once, when three frames agree on the voted text and a state, then the final
 * vote at the close with had_early; never when the frames disagree. */
static void test_track_early(void)
{
	struct tracker_options to = {.early_frames = 3};
	static const char *const texts[2][8] = {
		{"5SOW750", "5SOW75", "5SOW750", "5SOW750", "5SOW750", "5SOW750", "5SOW750",
		 "5SOW750"},
		{"5SOW750", "SSOW750", "5S0W750", "5SOW7S0", "55OW750", "5SOW750", "5SQW750",
		 "5SOWT50"},
	};
	for (int k = 0; k < 2; k++) {
		struct tracker *t;
		struct emitted em = {0};
		CHECK_OK(tracker_create(&to, &t));
		for (int f = 0; f < 8; f++) {
			struct track_obs o;
			clean_obs(texts[k][f], f, &o);
			alpr_strlcpy(o.state, "CA", sizeof(o.state));
			o.state_conf = 90;
			tracker_frame(t, 0, (uint64_t)f + 1, f * 66667, &o, 1, on_emit, &em);
			if (k == 0 && f == 2) {
				CHECK_INT_EQ(em.n, 0); /* two frames agree: not yet */
			}
			if (k == 0 && f == 3) {
				CHECK_INT_EQ(em.n, 1); /* the third: early */
				CHECK(em.r[0].early && !em.r[0].had_early);
				CHECK_STR_EQ(em.r[0].text, "5SOW750");
				CHECK_STR_EQ(em.r[0].state, "CA");
			}
		}
		tracker_flush(t, on_emit, &em);
		tracker_destroy(t);
		if (k == 0) {
			CHECK_INT_EQ(em.n, 2);
			CHECK(!em.r[1].early && em.r[1].had_early);
			CHECK_INT_EQ(em.r[1].frames_voted, 7);
		} else {
			/* Frames that disagree: only the final vote, at the close. */
			CHECK_INT_EQ(em.n, 1);
			CHECK(!em.r[0].early && !em.r[0].had_early);
		}
	}
}

/* The state the recognizer reads from the plate, voted across the frames of a pass. */
static void test_track_state(void)
{
	static const float c80[8] = {80, 80, 80, 80, 80, 80, 80, 80};
	/* Most frames read no state (it is small); the ones that do agree. */
	static const char *const agree[8] = {"", "", "CA", "", "CA", "CA", "", ""};
	struct track_read r = state_pass(agree, c80);
	CHECK_STR_EQ(r.state, "CA");
	CHECK_MSG(r.state_confidence > 0.79f && r.state_confidence < 0.81f, "confidence %.3f",
		  r.state_confidence);
	/* One frame is not enough. */
	static const char *const once[8] = {"", "", "", "CA", "", "", "", ""};
	r = state_pass(once, c80);
	CHECK_STR_EQ(r.state, "");
	CHECK(r.state_confidence == 0);
	/* Weighted by confidence: two sure frames outvote three unsure ones. */
	static const char *const split[8] = {"NV", "NV", "CA", "CA", "CA", "", "", ""};
	static const float sure[8] = {95, 95, 10, 10, 10, 0, 0, 0};
	r = state_pass(split, sure);
	CHECK_STR_EQ(r.state, "NV");
	/* No majority of the weight: not read, rather than a guess. */
	static const char *const tie[8] = {"NV", "NV", "CA", "CA", "", "", "", ""};
	r = state_pass(tie, c80);
	CHECK_STR_EQ(r.state, "");
	/* Nothing read: "". */
	static const char *const none[8] = {"", "", "", "", "", "", "", ""};
	r = state_pass(none, c80);
	CHECK_STR_EQ(r.state, "");
}

/* A hit's state check from a real hotlist match: "mismatch" when the plate's state was read
 * and differs, "match" when read and equal, "not confirmed" when not read (never "match"). */
static void hit_state_check(struct hotlist *h, const char *read_state, const char *want_check)
{
	struct unit_read rd;
	memset(&rd, 0, sizeof(rd));
	alpr_strlcpy(rd.r.id, "unit1-000000000001", sizeof(rd.r.id));
	alpr_strlcpy(rd.r.plate, "5SOW750", sizeof(rd.r.plate));
	alpr_strlcpy(rd.r.camera, "front", sizeof(rd.r.camera));
	alpr_strlcpy(rd.r.state, read_state, sizeof(rd.r.state));
	rd.r.state_confidence = read_state[0] ? 0.8f : 0;
	rd.r.captured_at = alpr_clock_now(NULL);
	rd.gps_error = -ENODEV;
	struct hotlist_candidate hc = {"5SOW750", 0.9f};
	struct hotlist_match m[4];
	int n = hotlist_match(h, &hc, 1, read_state[0] ? read_state : NULL, NULL, m, 4);
	CHECK_INT_EQ(n, 1);
	CHECK_STR_EQ(m[0].entry.state, "CA");
	struct unit_hit hit = {.read = &rd, .match = m[0], .nmatches = n};
	struct unit_event ev = {.type = UNIT_EVENT_HIT, .hit = &hit};
	char buf[8192];
	CHECK(unit_event_json(&ev, buf, sizeof(buf)) > 0);
	json_error_t jerr;
	json_t *o = json_loads(buf, 0, &jerr);
	CHECK_MSG(o, "hit JSON: %s", jerr.text);
	CHECK_STR_EQ(json_string_value(json_object_get(o, "state_check")), want_check);
	json_t *rs = json_object_get(o, "read_state");
	if (read_state[0]) {
		CHECK_STR_EQ(json_string_value(rs), read_state);
	} else {
		CHECK(json_is_null(rs));
	}
	CHECK(json_is_true(json_object_get(o, "state_mismatch")) ==
	      (strcmp(want_check, "mismatch") == 0));
	json_decref(o);
}

static void test_hit_state(void)
{
	struct policy *p;
	char err[256];
	CHECK_OK(policy_load_named("default", &p, err, sizeof(err)));
	struct hotlist_options ho = {.policy = p};
	struct hotlist *h;
	CHECK_OK(hotlist_open(hotlist_dir(), &ho, &h));
	hit_state_check(h, "", "not confirmed");
	hit_state_check(h, "NV", "mismatch");
	hit_state_check(h, "CA", "match");
	hotlist_close(h);
	policy_destroy(p);
}

static void test_track_passes(void)
{
	struct tracker *t;
	struct emitted em = {0};
	struct track_obs a, b;

	CHECK_OK(tracker_create(NULL, &t));
	/* Two plates in the same frames, far apart: two tracks. */
	for (int f = 0; f < 10; f++) {
		struct track_obs two[2];
		clean_obs("4MNP218", f, &a);
		clean_obs("3DEF456", f, &b);
		b.x += 600;
		two[0] = a;
		two[1] = b;
		tracker_frame(t, 0, (uint64_t)f + 1, f * 66667, two, 2, on_emit, &em);
	}
	CHECK_INT_EQ(tracker_open_count(t), 2);
	/* A gap longer than the close gap, then the same plate again: a second pass. */
	for (int f = 30; f < 40; f++) {
		clean_obs("4MNP218", f - 30, &a);
		tracker_frame(t, 0, (uint64_t)f + 1, f * 66667, &a, 1, on_emit, &em);
	}
	CHECK_INT_EQ(em.n, 2);
	tracker_flush(t, on_emit, &em);
	CHECK_INT_EQ(em.n, 3);
	CHECK_INT_EQ(tracker_open_count(t), 0);
	/* Other cameras keep their own time: camera 1's frames do not close camera 0's track. */
	clean_obs("9HJK103", 0, &a);
	tracker_frame(t, 0, 100, 10 * ALPR_USEC_PER_SEC, &a, 1, on_emit, &em);
	clean_obs("9HJK103", 1, &a);
	tracker_frame(t, 0, 101, 10 * ALPR_USEC_PER_SEC + 66667, &a, 1, on_emit, &em);
	tracker_frame(t, 1, 5, 20 * ALPR_USEC_PER_SEC, NULL, 0, on_emit, &em);
	CHECK_INT_EQ(tracker_open_count(t), 1);
	/* A crowd beyond TRACK_MAX_OPEN: the oldest tracks close early, memory stays fixed. */
	for (int k = 0; k < TRACK_MAX_OPEN + 8; k++) {
		struct track_obs o = {.confidence = 90, .x = k * 1000, .w = 100, .h = 30};
		snprintf(o.text, sizeof(o.text), "C%05d", k);
		tracker_frame(t, 2, (uint64_t)k + 1, k, &o, 1, on_emit, &em);
	}
	CHECK(tracker_open_count(t) <= TRACK_MAX_OPEN);
	CHECK_INT_EQ(track_edit_distance("6TRK539", "6TRK53"), 1);
	CHECK_INT_EQ(track_edit_distance("ABC", "XBZ"), 2);
	tracker_destroy(t);
}

/* ---- the pipeline ---------------------------------------------------------------------- */

static void test_pipeline(void)
{
	struct pass passes[MAX_PASSES];
	size_t np = load_truth(passes, MAX_PASSES);
	struct unit_options o = {0};
	struct events *es = events_new();

	o.hotlist_dir = hotlist_dir();
	o.store_dir = check_path("store");
	o.status_interval_us = ALPR_USEC_PER_SEC;
	drive_cameras(&o);
	struct unit *u = run_unit(&o, es);
	CHECK_OK(unit_wait(u));
	unit_destroy(u);

	/* Every vehicle pass is read once, by its camera. */
	size_t nread = 0;
	for (size_t i = 0; i < np; i++) {
		bool ok = has_read(es, passes[i].camera, passes[i].plate);
		if (!ok) {
			printf("not read: %s %s\n", passes[i].camera, passes[i].plate);
		}
		nread += ok;
	}
	CHECK_MSG(nread * 100 >= np * 95, "recall %zu of %zu", nread, np);
	CHECK(count(es, UNIT_EVENT_READ) <= np + 1);
	/* Hits: exactly the listed cases, with the right kind; none for expired or refused. */
	for (size_t i = 0; i < es->n; i++) {
		const struct ev *v = &es->ev[i];
		if (v->type != UNIT_EVENT_HIT) {
			continue;
		}
		const char *role = NULL;
		for (size_t k = 0; k < np; k++) {
			if (strcmp(passes[k].plate, v->plate) == 0) {
				role = passes[k].role;
			}
		}
		CHECK_MSG(role, "false hit on %s", v->plate);
		if (strcmp(role, "exact") == 0 || strcmp(role, "otherstate") == 0) {
			CHECK_INT_EQ(v->kind, HOTLIST_MATCH_EXACT);
		} else if (strcmp(role, "lookalike") == 0) {
			CHECK_INT_EQ(v->kind, HOTLIST_MATCH_EQUIVALENT);
			CHECK_STR_EQ(v->entry_plate, "8BKR412");
		} else if (strcmp(role, "edit") == 0) {
			CHECK_INT_EQ(v->kind, HOTLIST_MATCH_EDIT);
		} else {
			CHECK_MSG(false, "%s (%s) must not hit", v->plate, role);
		}
		CHECK(strncmp(v->id, "unit1-", 6) == 0); /* stored with its hit */
		/* The state read from the plate reaches the match: the car listed in another
		 * state is a mismatch, the others are not. */
		CHECK_MSG(v->state_mismatch == (strcmp(role, "otherstate") == 0),
			  "%s (%s): read state '%s', mismatch %d", v->plate, role, v->state,
			  v->state_mismatch);
	}
	CHECK(count(es, UNIT_EVENT_HIT) >= 1);
	/* Early hits: one hit per pass at most, and a pass that hit early gets its final
	 * vote as an update of the same stored read, later. */
	size_t nearly = 0;
	for (size_t i = 0; i < es->n; i++) {
		const struct ev *v = &es->ev[i];
		if (v->type == UNIT_EVENT_HIT) {
			for (size_t k = i + 1; k < es->n; k++) {
				CHECK_MSG(!(es->ev[k].type == UNIT_EVENT_HIT &&
					    strcmp(es->ev[k].camera, v->camera) == 0 &&
					    strcmp(es->ev[k].entry_plate, v->entry_plate) == 0),
					  "two hits on %s for one pass", v->entry_plate);
			}
		}
		if (v->type != UNIT_EVENT_READ || !v->early) {
			continue;
		}
		nearly++;
		bool updated = false;
		for (size_t k = i + 1; k < es->n; k++) {
			updated |= es->ev[k].type == UNIT_EVENT_READ && es->ev[k].update &&
				   strcmp(es->ev[k].id, v->id) == 0;
		}
		CHECK_MSG(updated, "early read %s (%s) never updated", v->id, v->plate);
	}
	CHECK_MSG(nearly >= 1, "no hit was raised while its pass was in view");
	/* Status: periodic ones and the final one, last. */
	CHECK(count(es, UNIT_EVENT_STATUS) >= 2);
	CHECK(es->ev[es->n - 1].type == UNIT_EVENT_STATUS && es->ev[es->n - 1].final);
	events_free(es);
}

/* ---- plate crops in stored reads ------------------------------------------------------- */

/* True when the raw database file holds @needle (@n bytes) anywhere: what a thief with the
 * disk sees. */
static bool store_file_has(const char *dir, const void *needle, size_t n)
{
	char path[PATH_MAX];
	char *data = NULL;
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	CHECK_OK(alpr_read_file(path, (size_t)1 << 30, &data, &len));
	bool found = memmem(data, len, needle, n) != NULL;
	free(data);
	return found;
}

static bool is_hit_id(struct events *es, const char *id)
{
	for (size_t i = 0; i < es->n; i++) {
		if (es->ev[i].type == UNIT_EVENT_HIT && strcmp(es->ev[i].id, id) == 0) {
			return true;
		}
	}
	return false;
}

static const unsigned char png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

/* Counts the stored reads of @es that still have a PNG crop, split by hit and non-hit, and
 * the non-hit reads that are gone. */
static void count_crops(struct store *st, struct events *es, size_t *hit_crops, size_t *read_crops,
			size_t *reads_gone)
{
	*hit_crops = *read_crops = *reads_gone = 0;
	for (size_t i = 0; i < es->n; i++) {
		const struct ev *v = &es->ev[i];
		if (v->type != UNIT_EVENT_READ || v->update) {
			continue;
		}
		struct store_read r;
		int e = store_get_read(st, v->id, &r);
		bool hit = is_hit_id(es, v->id);
		if (e == -ENOENT) {
			CHECK_MSG(!hit, "hit %s (%s) gone before its deadline", v->id, v->plate);
			(*reads_gone)++;
			continue;
		}
		CHECK_OK(e);
		if (r.crop) {
			CHECK_INT_EQ(r.crop_format, STORE_CROP_PNG);
			CHECK(r.crop_len > sizeof(png_magic));
			CHECK(memcmp(r.crop, png_magic, sizeof(png_magic)) == 0);
			*(hit ? hit_crops : read_crops) += 1;
		}
		store_read_finish(&r);
	}
}

static struct store *open_store_at(const char *dir, const struct policy *p,
				   const struct alpr_clock *clock)
{
	struct store_options so = {.unit_id = "unit1", .policy = p, .clock = clock};
	struct store *st;
	CHECK_OK(store_open(dir, &so, &st));
	return st;
}

static void test_crops(void)
{
	struct unit_options o = {0};
	struct events *es = events_new();
	struct alpr_clock clock;
	alpr_clock_init_manual(&clock, alpr_clock_now(NULL));

	o.hotlist_dir = hotlist_dir();
	o.store_dir = check_path("store");
	o.clock = &clock;
	drive_cameras(&o);
	struct unit *u = run_unit(&o, es);
	CHECK_OK(unit_wait(u));
	unit_destroy(u);

	/* Every read and hit is stored with the PNG crop of its best frame. */
	struct policy *p;
	char err[256];
	CHECK_OK(policy_load_named("default", &p, err, sizeof(err)));
	int64_t first = INT64_MAX, last = 0;
	size_t nreads = 0, nhits = 0;
	for (size_t i = 0; i < es->n; i++) {
		const struct ev *v = &es->ev[i];
		if (v->type == UNIT_EVENT_READ && !v->update) {
			CHECK_MSG(strncmp(v->id, "unit1-", 6) == 0, "read %s not stored", v->plate);
			first = ALPR_MIN(first, v->t_us);
			last = ALPR_MAX(last, v->t_us);
			nreads++;
		}
		nhits += v->type == UNIT_EVENT_HIT;
	}
	CHECK_MSG(nreads >= 4 && nhits >= 1, "%zu reads, %zu hits", nreads, nhits);
	size_t hit_crops, read_crops, gone;
	struct store *st = open_store_at(o.store_dir, p, &clock);
	count_crops(st, es, &hit_crops, &read_crops, &gone);
	/* A read whose best frame left the ring has no crop: rare, never most. */
	CHECK_MSG((hit_crops + read_crops) * 10 >= nreads * 9, "%zu crops for %zu reads",
		  hit_crops + read_crops, nreads);
	CHECK_INT_EQ(hit_crops, nhits);
	store_close(st);

	/* One second before the last non-hit crop's deadline: still there (the store purges at
	 * open). */
	int64_t crop_ttl = policy_retention_us(p, POLICY_CLASS_CROP);
	CHECK(crop_ttl <= policy_retention_us(p, POLICY_CLASS_HIT));
	alpr_clock_set(&clock, first + crop_ttl - ALPR_USEC_PER_SEC);
	st = open_store_at(o.store_dir, p, &clock);
	size_t hc, rc;
	count_crops(st, es, &hc, &rc, &gone);
	CHECK_INT_EQ(hc, hit_crops);
	CHECK_INT_EQ(rc, read_crops);
	CHECK_INT_EQ(gone, 0);

	/* At the last one's deadline every non-hit crop is gone (with its read: the default
	 * profile gives both 72 h), hits keep theirs (a year), before any purge ... */
	alpr_clock_set(&clock, last + crop_ttl);
	count_crops(st, es, &hc, &rc, &gone);
	CHECK_INT_EQ(rc, 0);
	CHECK_INT_EQ(hc, hit_crops);
	CHECK_INT_EQ(gone, nreads - nhits);
	/* ... and the purge deletes them, crops and reads in one transaction. */
	struct store_purge_counts pc;
	CHECK_OK(store_purge(st, &pc));
	CHECK_INT_EQ(pc.reads, nreads - nhits);
	CHECK_INT_EQ(pc.crops, read_crops);
	CHECK_INT_EQ(pc.hits, 0);
	struct store_stats ss;
	CHECK_OK(store_stats(st, &ss));
	CHECK_INT_EQ(ss.crops, hit_crops);
	store_close(st);

	/* In the file: no plate and no image in plaintext, before and after the purge. */
	CHECK(!store_file_has(o.store_dir, png_magic, sizeof(png_magic)));
	CHECK(!store_file_has(o.store_dir, "IHDR", 4));
	for (size_t i = 0; i < es->n; i++) {
		if (es->ev[i].type == UNIT_EVENT_READ && strlen(es->ev[i].plate) >= 5) {
			CHECK_MSG(!store_file_has(o.store_dir, es->ev[i].plate,
						  strlen(es->ev[i].plate)),
				  "plate %s in plaintext in data.mdb", es->ev[i].plate);
		}
	}
	policy_destroy(p);
	events_free(es);
}

/* ---- alpr-unit ------------------------------------------------------------------------- */

static int run_cli(char *const argv[], char **out, char **err)
{
	char o[PATH_MAX], e[PATH_MAX];
	snprintf(o, sizeof(o), "%s", check_path("cli.out"));
	snprintf(e, sizeof(e), "%s", check_path("cli.err"));
	unlink(o);
	unlink(e);
	int rc = wait_exit(spawn_to(argv, o, e));
	*out = slurp(o);
	*err = slurp(e);
	return rc;
}

static void test_cli(void)
{
	const char *bin = getenv("ALPR_UNIT_BIN");
	char *out, *err;
	CHECK(bin);

	char *help[] = {(char *)bin, "--help", NULL};
	CHECK_INT_EQ(run_cli(help, &out, &err), 0);
	CHECK_STR_CONTAINS(out, "--headless");
	CHECK_STR_CONTAINS(out, "--officers FILE");
	CHECK_STR_CONTAINS(out, "--camera NAME=URI");
	free(out);
	free(err);

	char front[PATH_MAX];
	snprintf(front, sizeof(front), "front=file:%s/front", drive_dir());
	/* The window (ui suite: ui/live-cli opens it): who may sign in is required, and
	 * without a display it says so. */
	char *window[] = {(char *)bin, "--camera", front, NULL};
	CHECK_INT_EQ(run_cli(window, &out, &err), 2);
	CHECK_STR_CONTAINS(err, "the patrol window needs --officers FILE");
	free(out);
	free(err);
	char officers[PATH_MAX], line[160];
	snprintf(officers, sizeof(officers), "%s", check_path("officers"));
	CHECK_OK(officers_hash_line("4471", "2580", line, sizeof(line)));
	check_write_file(officers, line);
	char *nodisplay[] = {(char *)bin, "--camera", front, "--officers", officers, NULL};
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	CHECK_INT_EQ(run_cli(nodisplay, &out, &err), 1);
	CHECK_STR_CONTAINS(err, "no display (DISPLAY or WAYLAND_DISPLAY); use --headless");
	free(out);
	free(err);

	char *bad[] = {(char *)bin, "--headless", "--camera", "front", NULL};
	CHECK_INT_EQ(run_cli(bad, &out, &err), 2);
	CHECK_STR_CONTAINS(err, "NAME=URI");
	free(out);
	free(err);

	char *missing[] = {(char *)bin, "--headless", "--camera", "front=file:/nonexistent", NULL};
	CHECK_INT_EQ(run_cli(missing, &out, &err), 1);
	CHECK_STR_CONTAINS(err, "camera front");
	free(out);
	free(err);

	/* A config file, overridden by the command line's store. */
	char cfg[PATH_MAX], json[3 * PATH_MAX];
	snprintf(cfg, sizeof(cfg), "%s", check_path("unit.json"));
	snprintf(json, sizeof(json),
		 "{\"cameras\": {\"front\": \"file:%s/front\"}, \"hotlist\": \"%s\", "
		 "\"store\": \"/nonexistent/store\", \"unit_id\": \"car7\"}",
		 drive_dir(), hotlist_dir());
	check_write_file(cfg, json);
	char store[PATH_MAX];
	snprintf(store, sizeof(store), "%s", check_path("store"));
	char *headless[] = {(char *)bin, "--headless", "--config", cfg, "--store", store, NULL};
	CHECK_INT_EQ(run_cli(headless, &out, &err), 0);
	CHECK_STR_CONTAINS(out, "{\"event\":\"read\",\"id\":\"car7-");
	CHECK_STR_CONTAINS(out, "\"candidates\":[{\"plate\":");
	CHECK_STR_CONTAINS(out, "\"gps\":{\"fix\":false,\"reason\":\"no gps\"}");
	CHECK_STR_CONTAINS(out, "{\"event\":\"status\"");
	CHECK_STR_CONTAINS(out, "\"hotlist\":{\"lists\":[{\"name\":\"state\"");
	CHECK_STR_CONTAINS(out, "\"final\":true");
	/* One JSON object per line. */
	for (char *l = out; *l; l = strchr(l, '\n') + 1) {
		CHECK(*l == '{');
		CHECK(strchr(l, '\n'));
	}
	free(out);
	free(err);

	check_write_file(cfg, "{\"cameras\": {\"front\": 7}}");
	char *badcfg[] = {(char *)bin, "--headless", "--config", cfg, NULL};
	CHECK_INT_EQ(run_cli(badcfg, &out, &err), 2);
	CHECK_STR_CONTAINS(err, "unit.json: cameras.front");
	free(out);
	free(err);
}

/* ---- faults ---------------------------------------------------------------------------- */

/* A copy of the rear camera's frames with one truncated in the middle. */
static void broken_copy(const char *dst, int break_at)
{
	char src[PATH_MAX];
	snprintf(src, sizeof(src), "%s/rear", drive_dir());
	CHECK(mkdir(dst, 0700) == 0);
	DIR *d = opendir(src);
	CHECK(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.') {
			continue;
		}
		char from[PATH_MAX + 256], to[PATH_MAX + 256];
		snprintf(from, sizeof(from), "%s/%s", src, de->d_name);
		snprintf(to, sizeof(to), "%s/%s", dst, de->d_name);
		char *data;
		size_t len;
		CHECK_OK(alpr_read_file(from, 16u << 20, &data, &len));
		long idx = strtol(de->d_name, NULL, 10); /* "00020.png" */
		if (idx == break_at) {
			len = len / 3;
		}
		CHECK_OK(alpr_write_file_atomic(to, data, len, 0600));
		free(data);
	}
	closedir(d);
}

static void test_camera_error(void)
{
	struct unit_options o = {0};
	struct events *es = events_new();
	char uri[PATH_MAX];

	broken_copy(check_path("rear-broken"), 20);
	snprintf(uri, sizeof(uri), "file:%s/front", drive_dir());
	set_camera(&o, "front", uri);
	snprintf(uri, sizeof(uri), "file:%s", check_path("rear-broken"));
	set_camera(&o, "rear", uri);
	o.hotlist_dir = hotlist_dir();
	struct unit *u = run_unit(&o, es);
	CHECK_OK(unit_wait(u));
	unit_destroy(u);

	const struct ev *failed = find_status(es, "camera rear: failed");
	CHECK_MSG(failed, "no status event for the failed camera");
	/* The front camera keeps reading after the rear one failed. */
	size_t front_after = 0;
	for (const struct ev *v = failed; v < es->ev + es->n; v++) {
		front_after += v->type == UNIT_EVENT_READ && strcmp(v->camera, "front") == 0;
	}
	CHECK_MSG(front_after >= 1, "no front read after the rear camera failed");
	events_free(es);
}

/* Fills the store at @dir with old non-hit reads (and four hits first) until it has evicted
 * for room once, then @more reads. Returns how many reads after the first eviction it took
 * to evict again (when @more is large enough to reach it), else 0. */
static int fill_store(const char *dir, const struct store_options *so, int more,
		      char hit_ids[4][STORE_ID_MAX + 1])
{
	struct store *s;
	int evictions = 0, since = 0, gap = 0;

	CHECK_OK(store_open(dir, so, &s));
	struct store_read r = {.captured_at = alpr_clock_now(NULL) - ALPR_USEC_PER_HOUR,
			       .camera = "front",
			       .plate = "1FIL000",
			       .confidence = 0.9f,
			       .gps.mode = STORE_FIX_NONE};
	for (int i = 0; i < 4; i++) {
		struct store_hit h = {.list = "state", .plate = "1FIL000", .state = "CA"};
		struct store_put_result pr;
		CHECK_OK(store_put_read(s, &r, &h, &pr));
		alpr_strlcpy(hit_ids[i], pr.id, sizeof(hit_ids[i]));
	}
	for (int i = 0; i < 100000; i++) {
		struct store_put_result pr;
		r.captured_at += 1000;
		CHECK_OK(store_put_read(s, &r, NULL, &pr));
		if (evictions > 0) {
			since++;
		}
		if (pr.evicted) {
			evictions++;
			if (evictions == 2) {
				gap = since;
				break;
			}
		}
		if (evictions == 1 && since >= more) {
			break;
		}
	}
	store_close(s);
	return gap;
}

static void test_store_full(void)
{
	struct policy *p;
	char err[256];
	char dir[PATH_MAX];
	size_t map = 1u << 20;
	char hit_ids[4][STORE_ID_MAX + 1];

	CHECK_OK(policy_load_named("default", &p, err, sizeof(err)));
	struct store_options so = {.unit_id = "unit1", .policy = p, .map_size = map};
	/* Measure how many reads fit between two evictions, then fill a fresh store to two
	 * reads short of its next eviction: the unit's own reads must make room. */
	int gap = fill_store(check_path("probe"), &so, 1 << 30, hit_ids);
	CHECK(gap > 2);
	snprintf(dir, sizeof(dir), "%s", check_path("store"));
	fill_store(dir, &so, gap - 2, hit_ids);
	struct store *s;

	struct unit_options o = {0};
	struct events *es = events_new();
	o.hotlist_dir = hotlist_dir();
	o.store_dir = dir;
	o.store_map_size = map;
	drive_cameras(&o);
	struct unit *u = run_unit(&o, es);
	CHECK_OK(unit_wait(u));
	unit_destroy(u);

	const struct ev *full = find_status(es, "store full");
	CHECK_MSG(full, "no status event saying the store is full");
	CHECK_STR_CONTAINS(full->reason, "oldest reads dropped");
	CHECK(es->ev[es->n - 1].evicted > 0);

	/* Hits are never dropped: the old ones and every new one are still there. */
	CHECK_OK(store_open(dir, &so, &s));
	for (int i = 0; i < 4; i++) {
		struct store_hit h;
		CHECK_OK(store_get_hit(s, hit_ids[i], &h));
	}
	size_t nhits = 0;
	for (size_t i = 0; i < es->n; i++) {
		if (es->ev[i].type == UNIT_EVENT_HIT) {
			struct store_hit h;
			CHECK_OK(store_get_hit(s, es->ev[i].id, &h));
			nhits++;
		}
	}
	CHECK(nhits >= 1);
	store_close(s);
	policy_destroy(p);
	events_free(es);
}

/* The sequence number of the last read id in @text ("unit1-000000000042"), 0 if none. */
static pid_t looping_pid; /* kill9's first run (--loop), killed at exit if still there */

static void kill_looping(void)
{
	if (looping_pid > 0) {
		kill(looping_pid, SIGKILL);
		waitpid(looping_pid, NULL, 0);
		looping_pid = 0;
	}
}

static uint64_t ids_in(const char *text, uint64_t *first)
{
	uint64_t last = 0;
	*first = 0;
	for (const char *p = strstr(text, "\"id\":\"unit1-"); p;
	     p = strstr(p + 1, "\"id\":\"unit1-")) {
		uint64_t v = strtoull(p + 12, NULL, 10);
		const char *eol = strchr(p, '\n');
		const char *upd = strstr(p, "\"update\":true");
		if (upd && (!eol || upd < eol)) {
			continue; /* an early read's final vote: its id again, by design */
		}
		CHECK_MSG(v > last, "read ids must increase (%" PRIu64 " after %" PRIu64 ")", v,
			  last);
		if (!*first) {
			*first = v;
		}
		last = v;
	}
	return last;
}

static void test_kill9(void)
{
	const char *bin = getenv("ALPR_UNIT_BIN");
	char front[PATH_MAX], rear[PATH_MAX], store[PATH_MAX], out1[PATH_MAX], out2[PATH_MAX];
	CHECK(bin);
	snprintf(front, sizeof(front), "front=file:%s/front", drive_dir());
	snprintf(rear, sizeof(rear), "rear=file:%s/rear", drive_dir());
	snprintf(store, sizeof(store), "%s", check_path("store"));
	snprintf(out1, sizeof(out1), "%s", check_path("run1.out"));
	snprintf(out2, sizeof(out2), "%s", check_path("run2.out"));
	const char *hl = hotlist_dir();

	/* A busy run: both cameras looping, killed once it has stored a few reads. */
	char *argv[] = {(char *)bin, "--headless", "--camera", front, "--camera", rear,
			"--hotlist", (char *)hl,   "--store",  store, "--loop",   NULL};
	pid_t pid = spawn_to(argv, out1, check_path("run1.err"));
	/* It loops for ever: a failed check below must not leave it running. */
	looping_pid = pid;
	atexit(kill_looping);
	/* Generous: under ASan on a loaded machine the first reads take tens of seconds. */
	int64_t deadline = alpr_monotonic_us() + 120 * ALPR_USEC_PER_SEC;
	for (;;) {
		char *text = slurp(out1);
		uint64_t first, last = ids_in(text, &first);
		free(text);
		if (last >= 4) {
			break;
		}
		CHECK_MSG(alpr_monotonic_us() < deadline, "no reads before the kill");
		sleep_ms(100);
	}
	sleep_ms(150); /* in the middle of more work */
	kill(pid, SIGKILL);
	CHECK_INT_EQ(wait_exit(pid), 128 + SIGKILL);
	looping_pid = 0;
	char *text1 = slurp(out1);
	uint64_t first1, last1 = ids_in(text1, &first1);
	free(text1);

	/* Restart: the store opens clean, every read printed before the kill is there, and
	 * the new ids continue above every id handed out before. */
	char *argv2[] = {(char *)bin, "--headless", "--camera", front, "--hotlist",
			 (char *)hl,  "--store",    store,      NULL};
	CHECK_INT_EQ(wait_exit(spawn_to(argv2, out2, check_path("run2.err"))), 0);
	char *text2 = slurp(out2);
	uint64_t first2, last2 = ids_in(text2, &first2);
	free(text2);
	CHECK_MSG(first2 > last1, "an id was reused: %" PRIu64 " <= %" PRIu64, first2, last1);
	CHECK(last2 >= first2);

	struct policy *p;
	char err[256];
	CHECK_OK(policy_load_named("default", &p, err, sizeof(err)));
	struct store_options so = {.unit_id = "unit1", .policy = p};
	struct store *s;
	CHECK_OK(store_open(store, &so, &s));
	for (uint64_t seq = first1; seq <= last1; seq++) {
		char id[STORE_ID_MAX + 1];
		struct store_read r;
		snprintf(id, sizeof(id), "unit1-%012" PRIu64, seq);
		CHECK_OK(store_get_read(s, id, &r));
		store_read_finish(&r);
	}
	store_close(s);
	policy_destroy(p);
}

static size_t reads_with_fix(struct events *es, size_t from, size_t to, size_t *total)
{
	size_t n = 0;
	*total = 0;
	for (size_t i = from; i < to && i < es->n; i++) {
		if (es->ev[i].type == UNIT_EVENT_READ) {
			(*total)++;
			n += es->ev[i].gps_fix;
		}
	}
	return n;
}

/* Reads from @from on with no fix, counted back from the newest (a trailing run). */
static size_t trailing_no_fix(struct events *es, size_t from)
{
	size_t n = 0;
	for (size_t i = es->n; i > from; i--) {
		const struct ev *v = &es->ev[i - 1];
		if (v->type != UNIT_EVENT_READ) {
			continue;
		}
		if (v->gps_fix) {
			break;
		}
		n++;
	}
	return n;
}

/* Polls (every 500 ms, up to @deadline_ms) until @done(es, from) says so; the event count
 * when it did, or 0 at the deadline. Generous deadlines: ASan on a loaded machine reads a
 * real-time replay at a fraction of its frames. */
static size_t poll_events(struct events *es, size_t from, int deadline_ms,
			  bool (*done)(struct events *es, size_t from))
{
	for (int waited = 0; waited < deadline_ms; waited += 500) {
		pthread_mutex_lock(&es->lock);
		size_t n = es->n;
		bool ok = done(es, from);
		pthread_mutex_unlock(&es->lock);
		if (ok) {
			return n;
		}
		sleep_ms(500);
	}
	return 0;
}

static bool two_fixed_reads(struct events *es, size_t from)
{
	size_t total;
	return reads_with_fix(es, from, es->n, &total) >= 2;
}

/* gpsd is gone: the newest reads say no fix. GPS time runs a little ahead of the wall clock
 * (gpsfake -c 0.45, two sentences per epoch), so reads taken just after the kill may still
 * fall between fixes already received and carry an interpolated one: wait for a run of
 * reads without, however long that takes. */
static bool three_unfixed_reads(struct events *es, size_t from)
{
	return trailing_no_fix(es, from) >= 3;
}

static bool one_fixed_read(struct events *es, size_t from)
{
	size_t total;
	return reads_with_fix(es, from, es->n, &total) >= 1;
}

static void test_gps_restart(void)
{
	int port = free_port();
	struct unit_options o = {0};
	struct events *es = events_new();

	fake_start(port);
	o.gps_host = "127.0.0.1";
	o.gps_port = port;
	o.realtime = true;
	o.loop = true;
	o.close_gap_us = 300 * INT64_C(1000);
	drive_cameras(&o);
	struct unit *u = run_unit(&o, es);

	/* Reads with a fix; then gpsd dies: reads say no fix; gpsd is back: fixes again. Each
	 * phase polls for what it needs (bounded) instead of sleeping a fixed time: on a loaded
	 * machine, or under ASan, reads come far more slowly, and that is not what this test is
	 * about. */
	size_t before = poll_events(es, 0, 180000, two_fixed_reads);
	CHECK_MSG(before > 0, "no two reads with a GPS fix within 180 s");
	kill_fake();
	size_t during = poll_events(es, before, 180000, three_unfixed_reads);
	CHECK_MSG(during > 0, "reads kept a fix for 180 s after gpsd was killed");
	fake_start(port);
	/* gpsd comes back, the client reconnects after its backoff (at most 5 s) and fixes flow
	 * again. */
	size_t after = poll_events(es, during, 180000, one_fixed_read);
	unit_request_stop(u);
	CHECK_OK(unit_wait(u));
	unit_destroy(u);
	kill_fake();

	CHECK_MSG(after > 0, "no read with a fix within 180 s of gpsd's restart");
	CHECK(find_status(es, "gps: no gpsd") || find_status(es, "gps: no fix"));
	events_free(es);
}

/* ---- docked sync ----------------------------------------------------------------------- */

static pid_t station_pid;

static void kill_station(void)
{
	if (station_pid > 0) {
		kill(station_pid, SIGKILL);
		waitpid(station_pid, NULL, 0);
		station_pid = 0;
	}
}

/* `alpr-station serve --port 0` on @dir; returns its URL in @url once it listens. */
static void station_serve(const char *dir, char *url, size_t urlsz)
{
	const char *bin = getenv("ALPR_STATION_BIN");
	char ready[PATH_MAX], log[PATH_MAX];
	CHECK_MSG(bin, "ALPR_STATION_BIN is not set");
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	snprintf(log, sizeof(log), "%s/station.log", dir);
	const char *argv[] = {"alpr-station", "serve", "--dir", dir, "--port", "0",
			      "--ready-file", ready,   NULL};
	int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	CHECK(logfd >= 0);
	station_pid = fork();
	CHECK(station_pid >= 0);
	if (station_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(logfd, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(logfd);
	atexit(kill_station);
	for (int i = 0; i < 3000; i++) {
		char *text = NULL;
		size_t len;
		int64_t p;
		if (alpr_read_file(ready, 64, &text, &len) == 0) {
			CHECK_OK(alpr_parse_int64(text, strcspn(text, "\n"), 1, 65535, &p));
			free(text);
			snprintf(url, urlsz, "https://127.0.0.1:%u", (unsigned)p);
			return;
		}
		CHECK_MSG(waitpid(station_pid, NULL, WNOHANG) == 0, "alpr-station exited; see %s",
			  log);
		sleep_ms(10);
	}
	check_fail(__FILE__, __LINE__, "alpr-station did not start in 30 s");
}

/* A certificate from the station's CA into @out (and the hotlist key beside it). */
static void enroll_in(const char *station, const char *name, enum sync_role role, const char *out)
{
	char tls[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	char *pem = NULL;
	size_t len;
	snprintf(tls, sizeof(tls), "%s/tls", station);
	CHECK_OK(sync_ca_issue(tls, name, role, -60, 86400, out));
	snprintf(src, sizeof(src), "%s/hotlist-pub.pem", station);
	snprintf(dst, sizeof(dst), "%s/hotlist-pub.pem", out);
	CHECK_OK(alpr_read_file(src, 16384, &pem, &len));
	CHECK_OK(alpr_write_file_atomic(dst, pem, len, 0644));
	free(pem);
}

/* The station's reads stored for @unit, asked over TLS with an administrator certificate. */
static long long station_stored(const char *url, const char *admin, const char *unit)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], full[256];
	struct sync_http h;
	snprintf(cert, sizeof(cert), "%s/cert.pem", admin);
	snprintf(key, sizeof(key), "%s/key.pem", admin);
	snprintf(ca, sizeof(ca), "%s/ca.pem", admin);
	snprintf(full, sizeof(full), "%s/v1/stats", url);
	struct sync_tls tls = {cert, key, ca};
	struct sync_http_request req = {.method = "GET",
					.url = full,
					.tls = &tls,
					.content_type = "application/json",
					.connect_timeout_ms = 5000,
					.stall_timeout_ms = 20000};
	CHECK_OK(sync_http_do(&req, &h));
	CHECK_MSG(h.status == 200, "stats: %ld", (long)h.status);
	json_t *o = json_loads(h.body, 0, NULL);
	CHECK(o);
	long long n = json_integer_value(
		json_object_get(json_object_get(json_object_get(o, "units"), unit), "stored"));
	json_decref(o);
	sync_http_finish(&h);
	return n;
}

/* The events alpr-unit printed: reads counted, the last status kept (new reference). */
static json_t *scan_events(const char *out, size_t *nreads, size_t *nsync_ok, size_t *nsync_err)
{
	json_t *last = NULL;
	*nreads = *nsync_ok = *nsync_err = 0;
	for (const char *l = out; *l;) {
		const char *nl = strchr(l, '\n');
		CHECK(nl);
		json_error_t je;
		json_t *o = json_loadb(l, (size_t)(nl - l), 0, &je);
		CHECK_MSG(o, "not JSON: %.*s", (int)(nl - l), l);
		const char *ev = json_string_value(json_object_get(o, "event"));
		if (ev && strcmp(ev, "read") == 0) {
			/* An early read's update is the same read, not another. */
			*nreads += !json_is_true(json_object_get(o, "update"));
			json_decref(o);
		} else if (ev && strcmp(ev, "status") == 0) {
			const char *reason = json_string_value(json_object_get(o, "reason"));
			if (reason && strstr(reason, "sync: round_ok")) {
				(*nsync_ok)++;
			}
			if (reason && strstr(reason, "sync: error")) {
				(*nsync_err)++;
			}
			json_decref(last);
			last = o;
		} else {
			json_decref(o);
		}
		l = nl + 1;
	}
	CHECK(last);
	return last;
}

static void run_synced_unit(const char *url, const char *creds, const char *store, char **out,
			    char **err, int64_t *elapsed_us)
{
	const char *bin = getenv("ALPR_UNIT_BIN");
	char front[PATH_MAX], hl[PATH_MAX];
	CHECK(bin);
	snprintf(front, sizeof(front), "front=file:%s/front", drive_dir());
	snprintf(hl, sizeof(hl), "%s", hotlist_dir());
	char *argv[] = {(char *)bin,  "--hotlist",   hl,
			"--headless", "--camera",    front,
			"--store",    (char *)store, "--unit-id",
			"car7",       "--station",   (char *)url,
			"--sync-dir", (char *)creds, "--status-interval",
			"1",          NULL};
	int64_t t0 = alpr_monotonic_us();
	CHECK_INT_EQ(run_cli(argv, out, err), 0);
	*elapsed_us = alpr_monotonic_us() - t0;
}

/* alpr-unit with a station: the reads reach the station and the status events report the
 * completed sync (last sync time, empty queue). */
static void test_sync_station(void)
{
	char station[PATH_MAX], url[64], creds[PATH_MAX], admin[PATH_MAX], store[PATH_MAX];
	char *out, *err;
	size_t nreads, nok, nerr;
	int64_t elapsed;
	snprintf(station, sizeof(station), "%s", check_path("station"));
	snprintf(creds, sizeof(creds), "%s", check_path("car7"));
	snprintf(admin, sizeof(admin), "%s", check_path("admin"));
	snprintf(store, sizeof(store), "%s", check_path("store"));
	CHECK_OK(station_init(station, NULL, 0));
	enroll_in(station, "car7", SYNC_ROLE_UNIT, creds);
	enroll_in(station, "admin", SYNC_ROLE_ADMIN, admin);
	station_serve(station, url, sizeof(url));

	run_synced_unit(url, creds, store, &out, &err, &elapsed);
	json_t *last = scan_events(out, &nreads, &nok, &nerr);
	CHECK_MSG(nreads > 0, "no reads; stderr: %s", err);
	CHECK(json_is_true(json_object_get(last, "final")));
	json_t *sy = json_object_get(last, "sync");
	CHECK_STR_EQ(json_string_value(json_object_get(sy, "state")), "ok");
	CHECK(json_is_string(json_object_get(sy, "last_sync_at")));
	CHECK_INT_EQ(json_integer_value(json_object_get(sy, "queue_depth")), 0);
	CHECK_INT_EQ(json_integer_value(json_object_get(sy, "uploaded")), nreads);
	CHECK(json_integer_value(json_object_get(sy, "rounds_ok")) >= 1);
	CHECK_INT_EQ(
		json_integer_value(json_object_get(json_object_get(last, "store"), "unsynced")), 0);
	CHECK_MSG(nok >= 1, "no status event for a completed sync round");
	CHECK_INT_EQ(station_stored(url, admin, "car7"), (long long)nreads);
	json_decref(last);
	free(out);
	free(err);
	kill_station();
}

/* The station is down: plate reading goes on at full pace, the status events report the
 * sync error, the reads stay queued in the store, and the unit stops without waiting. */
static void test_sync_station_down(void)
{
	char url[64], creds[PATH_MAX], store[PATH_MAX], station[PATH_MAX];
	char *out, *err;
	size_t nreads, nok, nerr;
	int64_t elapsed;
	snprintf(station, sizeof(station), "%s", check_path("station"));
	snprintf(creds, sizeof(creds), "%s", check_path("car7"));
	snprintf(store, sizeof(store), "%s", check_path("store"));
	CHECK_OK(station_init(station, NULL, 0));
	enroll_in(station, "car7", SYNC_ROLE_UNIT, creds);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", free_port()); /* nobody listens */

	run_synced_unit(url, creds, store, &out, &err, &elapsed);
	json_t *last = scan_events(out, &nreads, &nok, &nerr);
	CHECK_MSG(nreads > 0, "no reads; stderr: %s", err);
	CHECK_INT_EQ(nok, 0);
	CHECK_MSG(nerr >= 1, "no status event for the sync error");
	json_t *sy = json_object_get(last, "sync");
	CHECK_STR_EQ(json_string_value(json_object_get(sy, "state")), "error");
	CHECK(json_is_null(json_object_get(sy, "last_sync_at")));
	CHECK(json_is_string(json_object_get(sy, "last_error")));
	CHECK(json_integer_value(json_object_get(sy, "rounds_failed")) >= 1);
	CHECK_INT_EQ(json_integer_value(json_object_get(sy, "queue_depth")), nreads);
	CHECK_INT_EQ(
		json_integer_value(json_object_get(json_object_get(last, "store"), "unsynced")),
		nreads);
	/* The replay alone takes seconds; a blocked pipeline or shutdown would take the
	 * connect timeout or the backoff many times over. */
	CHECK_MSG(elapsed < 120 * ALPR_USEC_PER_SEC, "took %lld us", (long long)elapsed);
	json_decref(last);
	free(out);
	free(err);
}

/* The officers file: the right PIN signs in, a wrong PIN or an unknown id does not, and a
 * bad line is refused with its number. */
static void test_officers(void)
{
	char l1[160], l2[160], text[512], err[256] = "";
	struct officers *o;
	const char *path = check_path("officers");

	CHECK_OK(officers_hash_line("4471", "2580", l1, sizeof(l1)));
	CHECK_OK(officers_hash_line("sgt:12", "990011", l2, sizeof(l2)));
	CHECK(strncmp(l1, "4471:", 5) == 0);
	CHECK(!strstr(l1, "2580")); /* no PIN in the file */
	snprintf(text, sizeof(text), "# rota\n%s\r\n\n%s", l1, l2);
	check_write_file(path, text);
	CHECK_OK(officers_load(path, &o, err, sizeof(err)));
	CHECK_INT_EQ(officers_count(o), 2);
	CHECK_OK(officers_check(o, "4471", "2580"));
	CHECK_OK(officers_check(o, "sgt:12", "990011"));
	CHECK_INT_EQ(officers_check(o, "4471", "2581"), -EACCES);
	CHECK_INT_EQ(officers_check(o, "4471", ""), -EACCES);
	CHECK_INT_EQ(officers_check(o, "9999", "2580"), -EACCES);
	CHECK_INT_EQ(officers_check(o, "sgt:12", "2580"), -EACCES);
	officers_destroy(o);

	/* Two salts for the same PIN: different lines. */
	CHECK_OK(officers_hash_line("4471", "2580", l2, sizeof(l2)));
	CHECK(strcmp(l1, l2) != 0);
	CHECK_INT_EQ(officers_hash_line("bad id", "1", l2, sizeof(l2)), -EINVAL);
	CHECK_INT_EQ(officers_hash_line("4471", "", l2, sizeof(l2)), -EINVAL);
	CHECK_INT_EQ(officers_hash_line("4471", "1", l2, 20), -ENOSPC);

	snprintf(text, sizeof(text), "%s\n4472:60000:00:11\n", l1);
	check_write_file(path, text);
	CHECK_INT_EQ(officers_load(path, &o, err, sizeof(err)), -ALPR_E_PARSE);
	CHECK_STR_CONTAINS(err, "officers:2: expected ID:ITERATIONS:SALT:HASH");
	CHECK_INT_EQ(officers_load(check_path("missing"), &o, err, sizeof(err)), -ENOENT);
}

static const struct check_case cases[] = {
	{"track-vote", test_track_vote},
	{"officers", test_officers},
	{"track-passes", test_track_passes},
	{"track-state", test_track_state},
	{"track-early", test_track_early},
	{"hit-state", test_hit_state},
	{"pipeline", test_pipeline},
	{"crops", test_crops},
	{"cli", test_cli},
	{"camera-error", test_camera_error},
	{"store-full", test_store_full},
	{"kill9", test_kill9},
	{"gps-restart", test_gps_restart},
	{"sync-station", test_sync_station},
	{"sync-station-down", test_sync_station_down},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
