/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * Docked sync over real TLS on 127.0.0.1: a real alpr-station process (its path in
 * ALPR_STATION_BIN), certificates made at test time, the unit's client in-process. The
 * fault cases put a TCP proxy between them that cuts connections at random points.
 */
#include <arpa/inet.h>
#include <math.h>
#include <openssl/evp.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "audit.h"
#include "check.h"
#include "hotlist.h"
#include "store.h"
#include "station.h"
#include "sync-private.h"
#include "sync.h"

extern char **environ;

#define SEC ALPR_USEC_PER_SEC

/* ---- the station process --------------------------------------------------------------- */

struct station_proc {
	pid_t pid;
	uint16_t port;
	char dir[1024];
	char url[64];
};

/* Runs the tool in environment variable @env with @args (NULL-terminated), its output in
 * check_path(@out_name) and check_path(@err_name). Its exit status. */
static int spawn_cli(const char *env, const char *out_name, const char *err_name,
		     const char *const *args)
{
	const char *bin = getenv(env);
	const char *argv[24] = {bin};
	size_t n = 1;
	pid_t pid;
	int ws;
	CHECK_MSG(bin, "%s is not set", env);
	for (; args[n - 1] && n < ALPR_ARRAY_SIZE(argv) - 1; n++) {
		argv[n] = args[n - 1];
	}
	argv[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, check_path(out_name), O_WRONLY | O_CREAT | O_TRUNC,
					 0600);
	posix_spawn_file_actions_addopen(&fa, 2, check_path(err_name), O_WRONLY | O_CREAT | O_TRUNC,
					 0600);
	CHECK(posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ) == 0);
	posix_spawn_file_actions_destroy(&fa);
	CHECK(waitpid(pid, &ws, 0) == pid);
	CHECK(WIFEXITED(ws));
	return WEXITSTATUS(ws);
}

/* alpr-station with @args; its exit status, stderr in check_path("cli.stderr"). */
static int station_cli_status(const char *const *args)
{
	return spawn_cli("ALPR_STATION_BIN", "cli.stdout", "cli.stderr", args);
}

static void run_station_cli(const char *const *args)
{
	CHECK_MSG(station_cli_status(args) == 0, "alpr-station %s failed", args[0]);
}

/* A free loopback port (bound and released: the station binds it right after). */
static uint16_t free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &l) == 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Stations started by this process, stopped at exit even when a CHECK fails. */
static pid_t running[8];

static void kill_running(void)
{
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(running); i++) {
		if (running[i] > 0) {
			kill(running[i], SIGKILL);
			waitpid(running[i], NULL, 0);
			running[i] = 0;
		}
	}
}

static void track(pid_t old, pid_t pid)
{
	static bool registered;
	if (!registered) {
		atexit(kill_running);
		registered = true;
	}
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(running); i++) {
		if (running[i] == old) {
			running[i] = pid;
			return;
		}
	}
}

/* Starts `alpr-station serve` on @port (0: any) and waits until it listens. */
static void station_up(struct station_proc *sp, uint16_t port)
{
	const char *bin = getenv("ALPR_STATION_BIN");
	char portbuf[8], ready[1100], log[1100];
	CHECK_MSG(bin, "ALPR_STATION_BIN is not set");
	snprintf(portbuf, sizeof(portbuf), "%u", port);
	snprintf(ready, sizeof(ready), "%s/ready", sp->dir);
	snprintf(log, sizeof(log), "%s/station.log", sp->dir);
	unlink(ready);
	const char *argv[] = {"alpr-station", "serve",        "--dir", sp->dir, "--port",
			      portbuf,        "--ready-file", ready,   NULL};
	int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	CHECK(logfd >= 0);
	sp->pid = fork();
	CHECK(sp->pid >= 0);
	if (sp->pid == 0) {
		/* The station dies with the test, whatever happens to the test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(logfd, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(logfd);
	track(0, sp->pid);
	/* Up to 30 s: the sanitizer build starts slowly on a busy machine. */
	for (int i = 0; i < 3000; i++) {
		char *text = NULL;
		size_t len;
		int ws;
		if (alpr_read_file(ready, 64, &text, &len) == 0) {
			int64_t p;
			CHECK_OK(alpr_parse_int64(text, strcspn(text, "\n"), 1, 65535, &p));
			free(text);
			sp->port = (uint16_t)p;
			snprintf(sp->url, sizeof(sp->url), "https://127.0.0.1:%u", sp->port);
			return;
		}
		CHECK_MSG(waitpid(sp->pid, &ws, WNOHANG) == 0, "alpr-station exited; see %s", log);
		usleep(10000);
	}
	check_fail(__FILE__, __LINE__, "alpr-station did not start in 30 s");
}

static void station_down(struct station_proc *sp)
{
	int ws;
	if (sp->pid <= 0) {
		return;
	}
	kill(sp->pid, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(sp->pid, &ws, WNOHANG) == sp->pid) {
			track(sp->pid, 0);
			sp->pid = 0;
			CHECK_MSG(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "station exit status %d",
				  ws);
			return;
		}
		usleep(10000);
	}
	kill(sp->pid, SIGKILL);
	waitpid(sp->pid, &ws, 0);
	track(sp->pid, 0);
	sp->pid = 0;
	check_fail(__FILE__, __LINE__, "alpr-station did not stop on SIGTERM in 10 s");
}

/* A station folder with its CA and keys, and the publisher's signing key beside it. */
static void station_make(struct station_proc *sp)
{
	snprintf(sp->dir, sizeof(sp->dir), "%s", check_path("station"));
	CHECK_OK(station_init(sp->dir, NULL, 0));
}

/* ---- certificates ---------------------------------------------------------------------- */

struct creds {
	char dir[1024];
	char cert[1100], key[1100], ca[1100], pub[1100];
	struct sync_tls tls;
};

static void creds_paths(struct creds *c, const char *dir)
{
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->cert, sizeof(c->cert), "%s/cert.pem", dir);
	snprintf(c->key, sizeof(c->key), "%s/key.pem", dir);
	snprintf(c->ca, sizeof(c->ca), "%s/ca.pem", dir);
	snprintf(c->pub, sizeof(c->pub), "%s/hotlist-pub.pem", dir);
	c->tls = (struct sync_tls){c->cert, c->key, c->ca};
}

static void enroll(const struct station_proc *sp, const char *name, enum sync_role role,
		   int64_t from_s, int64_t to_s, struct creds *c)
{
	char tls[1100], src[1100];
	_autofree_ char *pem = NULL;
	size_t len;
	creds_paths(c, check_path(name));
	snprintf(tls, sizeof(tls), "%s/tls", sp->dir);
	CHECK_OK(sync_ca_issue(tls, name, role, from_s, to_s, c->dir));
	snprintf(src, sizeof(src), "%s/hotlist-pub.pem", sp->dir);
	CHECK_OK(alpr_read_file(src, 16384, &pem, &len));
	CHECK_OK(alpr_write_file_atomic(c->pub, pem, len, 0644));
}

/* ---- the unit -------------------------------------------------------------------------- */

struct unit {
	struct policy *policy;
	struct store *store;
	struct hotlist *hotlist;
	struct audit *audit;
	struct sync_client *client;
	struct creds creds;
	char state[1100];
	/* status events seen */
	pthread_mutex_t lock;
	unsigned events[SYNC_EVENT_COUNT];
	uint64_t max_consecutive_errors;
	char last_message[SYNC_EVENT_COUNT][SYNC_MESSAGE_MAX];
};

static void on_status(const struct sync_status *st, void *ud)
{
	struct unit *u = ud;
	pthread_mutex_lock(&u->lock);
	u->events[st->event]++;
	u->max_consecutive_errors = ALPR_MAX(u->max_consecutive_errors, st->consecutive_errors);
	alpr_strlcpy(u->last_message[st->event], st->message, SYNC_MESSAGE_MAX);
	pthread_mutex_unlock(&u->lock);
}

static void unit_open(struct unit *u, const char *name, const char *url, bool with_hotlist,
		      const struct sync_client_options *extra)
{
	char err[256], path[1100];
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	creds_paths(&u->creds, check_path(name));
	CHECK_OK(policy_load_named("default", &u->policy, err, sizeof(err)));
	struct store_options so = {.unit_id = name, .policy = u->policy};
	snprintf(path, sizeof(path), "%s/store", u->creds.dir);
	CHECK_OK(store_open(path, &so, &u->store));
	if (with_hotlist) {
		struct hotlist_options ho = {.policy = u->policy};
		snprintf(path, sizeof(path), "%s/hotlist", u->creds.dir);
		CHECK_OK(hotlist_open(path, &ho, &u->hotlist));
	}
	snprintf(u->state, sizeof(u->state), "%s/sync", u->creds.dir);
	struct sync_client_options o = extra ? *extra : (struct sync_client_options){0};
	o.station_url = url;
	o.cert_path = u->creds.cert;
	o.key_path = u->creds.key;
	o.ca_path = u->creds.ca;
	o.hotlist_pubkey_path = u->creds.pub;
	o.state_dir = u->state;
	o.store = u->store;
	o.hotlist = u->hotlist;
	o.on_status = on_status;
	o.userdata = u;
	if (!o.connect_timeout_ms) {
		o.connect_timeout_ms = 3000;
	}
	if (!o.stall_timeout_ms) {
		o.stall_timeout_ms = 10000;
	}
	CHECK_OK(sync_client_create(&o, &u->client));
}

static void unit_close(struct unit *u)
{
	sync_client_destroy(u->client);
	audit_close(u->audit);
	hotlist_close(u->hotlist);
	store_close(u->store);
	policy_destroy(u->policy);
	pthread_mutex_destroy(&u->lock);
}

/* Stores @n reads (every third with a PNG crop) and returns the first id in @first. */
static void add_reads(struct unit *u, unsigned n, unsigned seed, char *first)
{
	static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t crop[2048];
	memcpy(crop, png, 8);
	for (unsigned i = 0; i < n; i++) {
		struct store_read r = {0};
		struct store_put_result res;
		for (size_t k = 8; k < sizeof(crop); k++) {
			crop[k] = (uint8_t)(k * 31 + i + seed);
		}
		r.captured_at = alpr_clock_now(NULL) - 60 * SEC;
		r.clock_source = STORE_CLOCK_GPS;
		alpr_strlcpy(r.camera, "front-left", sizeof(r.camera));
		snprintf(r.plate, sizeof(r.plate), "S%06u", (seed * 10000 + i) % 1000000);
		r.confidence = 0.9f;
		alpr_strlcpy(r.candidates[0].plate, r.plate, sizeof(r.candidates[0].plate));
		r.candidates[0].confidence = 0.9f;
		r.ncandidates = 1;
		alpr_strlcpy(r.state, "NH", sizeof(r.state));
		r.state_confidence = 0.7f;
		r.box = (struct store_box){10, 20, 140, 44};
		r.gps = (struct store_gps){STORE_FIX_3D, 43.2, -71.5, 13.4, NAN, 250};
		r.track_id = seed * 100000u + i;
		r.frames_voted = 5;
		if (i % 3 == 0) {
			r.crop = crop;
			r.crop_len = sizeof(crop);
			r.crop_format = STORE_CROP_PNG;
		}
		CHECK_OK(store_put_read(u->store, &r, NULL, &res));
		if (first && i == 0) {
			alpr_strlcpy(first, res.id, STORE_ID_MAX + 1);
		}
	}
}

static uint64_t unsynced(struct unit *u)
{
	struct store_stats st;
	CHECK_OK(store_stats(u->store, &st));
	return st.unsynced;
}

/* ---- HTTP helpers ---------------------------------------------------------------------- */

static long http(const char *url, const char *path, const struct sync_tls *tls, const char *method,
		 const char *body, size_t len, char **answer)
{
	char full[256];
	struct sync_http res;
	snprintf(full, sizeof(full), "%s%s", url, path);
	struct sync_http_request req = {.method = method,
					.url = full,
					.tls = tls,
					.content_type = "application/json",
					.body = body,
					.body_len = len,
					.connect_timeout_ms = 5000,
					.stall_timeout_ms = 20000};
	int r = sync_http_do(&req, &res);
	if (r < 0) {
		if (answer) {
			*answer = alpr_xstrdup(res.error);
		}
		return r;
	}
	if (answer) {
		*answer = res.body ? steal_ptr(&res.body) : alpr_xstrdup("");
	}
	sync_http_finish(&res);
	return res.status;
}

/* GET /v1/stats with an administrator certificate. New reference. */
static json_t *stats(const struct station_proc *sp, const struct creds *admin)
{
	char *body = NULL;
	long st = http(sp->url, "/v1/stats", &admin->tls, "GET", NULL, 0, &body);
	CHECK_MSG(st == 200, "stats: %ld %s", st, body);
	json_t *o = json_loads(body, 0, NULL);
	free(body);
	CHECK(o);
	return o;
}

static json_int_t stat_int(const json_t *o, const char *unit, const char *field)
{
	const json_t *x =
		unit ? json_object_get(json_object_get(json_object_get(o, "units"), unit), field)
		     : json_object_get(o, field);
	return json_integer_value(x);
}

/* ---- hotlists on the desktop ----------------------------------------------------------- */

struct desk {
	struct policy *policy;
	struct hotlist *h;
	char priv[1100];
};

static void desk_open(struct desk *d, const struct station_proc *sp)
{
	char err[256], pub[1100];
	CHECK_OK(policy_load_named("default", &d->policy, err, sizeof(err)));
	struct hotlist_options ho = {.policy = d->policy};
	CHECK_OK(hotlist_open(check_path("desk"), &ho, &d->h));
	snprintf(d->priv, sizeof(d->priv), "%s", check_path("publisher-key.pem"));
	snprintf(pub, sizeof(pub), "%s/publisher-pub.pem", sp->dir);
	CHECK_OK(hotlist_keygen(d->priv, pub));
}

static void desk_close(struct desk *d)
{
	hotlist_close(d->h);
	policy_destroy(d->policy);
}

/* Imports @csv as the whole list "stolen"; writes the signed delta from @from to @out. */
static uint64_t desk_version(struct desk *d, const char *csv, uint64_t from, const char *out)
{
	struct hotlist_import_options o = {.list = "stolen", .mode = HOTLIST_IMPORT_REPLACE};
	struct hotlist_import_result res;
	check_write_file(check_path("list.csv"), csv);
	CHECK_OK(hotlist_import_csv(d->h, check_path("list.csv"), &o, &res));
	CHECK_OK(hotlist_delta_write(d->h, "stolen", from, res.version, d->priv, out));
	return res.version;
}

/* ---- a TCP proxy that cuts connections ------------------------------------------------- */

struct proxy {
	int listen_fd;
	uint16_t port, upstream;
	double cut_probability;
	volatile int stop;
	pthread_t thread;
	pthread_mutex_t lock;
	unsigned seed;
	unsigned active, connections, cuts;
};

struct pipe_pair {
	struct proxy *p;
	int a, b;
	uint64_t cut_at;   /* bytes forwarded before the cut; UINT64_MAX: never */
	bool answers_only; /* count only the station's bytes (cuts land on answers: lost acks) */
};

static void *pipe_main(void *arg)
{
	struct pipe_pair *pp = arg;
	uint64_t moved = 0;
	char buf[4096];
	bool cut = false;
	while (!pp->p->stop) {
		struct pollfd fds[2] = {{pp->a, POLLIN, 0}, {pp->b, POLLIN, 0}};
		if (poll(fds, 2, 100) < 0) {
			break;
		}
		bool done = false;
		for (int i = 0; i < 2 && !done; i++) {
			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				continue;
			}
			ssize_t n = read(i ? pp->b : pp->a, buf, sizeof(buf));
			if (n <= 0) {
				done = true;
				break;
			}
			size_t want = (size_t)n;
			if (pp->answers_only && i == 0) {
				if (write(pp->b, buf, want) != (ssize_t)want) {
					done = true;
				}
				continue;
			}
			if (moved + want > pp->cut_at) {
				want = (size_t)(pp->cut_at - moved);
				cut = done = true;
			}
			if (want && write(i ? pp->a : pp->b, buf, want) != (ssize_t)want) {
				done = true;
			}
			moved += want;
		}
		if (done) {
			break;
		}
	}
	/* A reset, not a polite close: what a dropped link looks like mid-transfer. */
	struct linger lg = {1, 0};
	setsockopt(pp->a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(pp->a);
	close(pp->b);
	pthread_mutex_lock(&pp->p->lock);
	pp->p->active--;
	pp->p->cuts += cut;
	pthread_mutex_unlock(&pp->p->lock);
	free(pp);
	return NULL;
}

static void *proxy_main(void *arg)
{
	struct proxy *p = arg;
	while (!p->stop) {
		struct pollfd pf = {p->listen_fd, POLLIN, 0};
		if (poll(&pf, 1, 100) <= 0) {
			continue;
		}
		int a = accept(p->listen_fd, NULL, NULL);
		if (a < 0) {
			continue;
		}
		int b = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in up = {.sin_family = AF_INET,
					 .sin_port = htons(p->upstream),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		if (b < 0 || connect(b, (struct sockaddr *)&up, sizeof(up)) != 0) {
			close(a);
			if (b >= 0) {
				close(b);
			}
			continue;
		}
		struct pipe_pair *pp = alpr_xcalloc(1, sizeof(*pp));
		pp->p = p;
		pp->a = a;
		pp->b = b;
		pp->cut_at = UINT64_MAX;
		pthread_mutex_lock(&p->lock);
		if ((double)rand_r(&p->seed) / RAND_MAX < p->cut_probability) {
			/* Anywhere from the TLS handshake to the third 10-read batch (about
			 * 20 KB each) on a kept-alive connection. */
			pp->cut_at = (uint64_t)(rand_r(&p->seed) % 60000);
			/* Or, one time in two, in the station's answers: the TLS server flight
			 * (about 1.5 KB) then acks of about 500 bytes each, so that some batches
			 * are stored but their ack is lost. */
			if (rand_r(&p->seed) % 2) {
				pp->answers_only = true;
				pp->cut_at = 1500 + (uint64_t)(rand_r(&p->seed) % 3000);
			}
		}
		p->active++;
		p->connections++;
		pthread_mutex_unlock(&p->lock);
		pthread_t t;
		pthread_create(&t, NULL, pipe_main, pp);
		pthread_detach(t);
	}
	return NULL;
}

static void proxy_start(struct proxy *p, uint16_t upstream, double cut_probability, unsigned seed)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->upstream = upstream;
	p->cut_probability = cut_probability;
	p->seed = seed;
	p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(p->listen_fd >= 0);
	CHECK(bind(p->listen_fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(listen(p->listen_fd, 16) == 0);
	CHECK(getsockname(p->listen_fd, (struct sockaddr *)&a, &l) == 0);
	p->port = ntohs(a.sin_port);
	CHECK(pthread_create(&p->thread, NULL, proxy_main, p) == 0);
}

static void proxy_stop(struct proxy *p)
{
	p->stop = 1;
	pthread_join(p->thread, NULL);
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&p->lock);
		unsigned active = p->active;
		pthread_mutex_unlock(&p->lock);
		if (!active) {
			break;
		}
		usleep(10000);
	}
	close(p->listen_fd);
	pthread_mutex_destroy(&p->lock);
}

/* SHA-256 of "ID\n" for ids "UNIT-000000000001" .. @n, as the station's ids_sha256. */
static void expected_ids(const char *unit, uint64_t first_seq, uint64_t n, char hex[65])
{
	size_t cap = n * (STORE_ID_MAX + 2) + 1, len = 0;
	char *all = alpr_xmalloc(cap);
	for (uint64_t i = 0; i < n; i++) {
		len += (size_t)snprintf(all + len, cap - len, "%s-%012llu\n", unit,
					(unsigned long long)(first_seq + i));
	}
	uint8_t dg[32];
	unsigned dl = 0;
	CHECK(EVP_Digest(all, len, dg, &dl, EVP_sha256(), NULL) == 1);
	alpr_hex_encode(dg, 32, hex);
	free(all);
}

/* ---- cases ----------------------------------------------------------------------------- */

/* Reads, a hit with its disposition and the audit checkpoint go up; the first hotlist comes
 * down as a snapshot, the next as a delta; the CLI tools work end to end. */
static void test_happy_path(void)
{
	struct station_proc sp = {0};
	struct creds admin, unitc;
	struct desk d;
	struct unit u;
	struct sync_round_result res;
	char first[STORE_ID_MAX + 1];
	snprintf(sp.dir, sizeof(sp.dir), "%s", check_path("station"));
	run_station_cli((const char *[]){"init", "--dir", sp.dir, NULL});
	/* The unit's audit log exists first: enrolment registers its public key. */
	struct audit *ulog;
	struct audit_open_opts ao = {.device_id = "unit1"};
	CHECK_OK(audit_open(check_path("unit1/audit"), &ao, &ulog));
	CHECK_OK(audit_export_pubkey(ulog, check_path("unit1-audit.pem")));
	run_station_cli((const char *[]){"enroll", "unit1", "--device-key",
					 check_path("unit1-audit.pem"), "--dir", sp.dir, "--out",
					 check_path("unit1"), NULL});
	run_station_cli((const char *[]){"enroll", "--admin", "alice", "--dir", sp.dir, "--out",
					 check_path("alice"), NULL});
	creds_paths(&admin, check_path("alice"));
	creds_paths(&unitc, check_path("unit1"));
	desk_open(&d, &sp);
	uint64_t v1 = desk_version(&d,
				   "plate,state,category\nHOT1234,NH,stolen_vehicle\n"
				   "HOT5678,MA,felony_vehicle\n",
				   0, check_path("v1.delta"));
	station_up(&sp, 0);
	run_station_cli((const char *[]){"publish", "--station", sp.url, "--creds",
					 check_path("alice"), "--delta", check_path("v1.delta"),
					 NULL});

	unit_open(&u, "unit1", sp.url, true, NULL);
	u.audit = ulog;
	struct audit_record rec = {.user = "officer7", .role = "officer", .action = "search"};
	CHECK_OK(audit_append(u.audit, &rec, NULL));
	sync_client_destroy(u.client);
	struct sync_client_options o = {.station_url = sp.url,
					.cert_path = unitc.cert,
					.key_path = unitc.key,
					.ca_path = unitc.ca,
					.hotlist_pubkey_path = unitc.pub,
					.state_dir = u.state,
					.store = u.store,
					.hotlist = u.hotlist,
					.audit = u.audit,
					.batch_reads = 8,
					.on_status = on_status,
					.userdata = &u};
	CHECK_OK(sync_client_create(&o, &u.client));

	add_reads(&u, 20, 1, first);
	/* One read is a hit the officer confirmed. */
	struct store_hit hit = {0};
	hit.hit_at = alpr_clock_now(NULL) - 30 * SEC;
	alpr_strlcpy(hit.list, "stolen", sizeof(hit.list));
	hit.list_version = v1;
	alpr_strlcpy(hit.plate, "HOT1234", sizeof(hit.plate));
	alpr_strlcpy(hit.state, "NH", sizeof(hit.state));
	hit.category = POLICY_CAT_STOLEN_VEHICLE;
	CHECK_OK(store_add_hit(u.store, first, &hit, NULL));
	CHECK_OK(store_set_disposition(u.store, first, STORE_HIT_CONFIRMED, "officer7"));

	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.uploaded, 20);
	CHECK_INT_EQ(res.batches, 3);
	CHECK_INT_EQ(res.queue_depth, 0);
	CHECK(res.checkpoint_sent);
	CHECK_INT_EQ(res.lists_updated, 1);
	struct hotlist_list_info li;
	CHECK_OK(hotlist_list_get(u.hotlist, "stolen", &li));
	CHECK_INT_EQ(li.version, v1);
	CHECK_INT_EQ(li.entry_count, 2);
	CHECK_INT_EQ(u.events[SYNC_EVENT_HOTLIST_UPDATED], 1);
	CHECK_INT_EQ(u.events[SYNC_EVENT_ROUND_OK], 1);
	CHECK_STR_CONTAINS(u.last_message[SYNC_EVENT_ROUND_OK], "20 reads up");

	json_t *s = stats(&sp, &admin);
	CHECK_INT_EQ(stat_int(s, NULL, "reads"), 20);
	CHECK_INT_EQ(stat_int(s, NULL, "crops"), 7);
	CHECK_INT_EQ(stat_int(s, "unit1", "stored"), 20);
	CHECK_INT_EQ(json_integer_value(json_object_get(
			     json_object_get(json_object_get(json_object_get(s, "units"), "unit1"),
					     "checkpoint"),
			     "seq")),
		     1);
	json_decref(s);

	/* A second version goes down as a delta; a round with nothing new changes nothing. */
	uint64_t v2 = desk_version(&d,
				   "plate,state,category\nHOT1234,NH,stolen_vehicle\n"
				   "HOT5678,MA,felony_vehicle\nNEW0001,VT,bolo\n",
				   v1, check_path("v2.delta"));
	uint64_t pv = 0;
	char err[256];
	CHECK_OK(sync_publish(sp.url, &admin.tls, check_path("v2.delta"), &pv, err, sizeof(err)));
	CHECK_INT_EQ(pv, v2);
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.uploaded, 0);
	CHECK_INT_EQ(res.lists_updated, 1);
	CHECK_OK(hotlist_list_get(u.hotlist, "stolen", &li));
	CHECK_INT_EQ(li.version, v2);
	CHECK_INT_EQ(li.entry_count, 3);
	struct hotlist_candidate cand = {"NEW0001", 0.9f};
	struct hotlist_match m[4];
	CHECK_INT_EQ(hotlist_match(u.hotlist, &cand, 1, "VT", NULL, m, 4), 1);
	struct stat st;
	char cached[1200];
	snprintf(cached, sizeof(cached), "%s/deltas/stolen-%llu-%llu.delta", sp.dir,
		 (unsigned long long)v1, (unsigned long long)v2);
	CHECK_MSG(stat(cached, &st) == 0, "no delta %s: the unit got a snapshot", cached);

	/* A disposition changes later: the read goes up again and replaces the station's. */
	CHECK_OK(store_set_disposition(u.store, first, STORE_HIT_NOT_ACTIONED, "officer7"));
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.uploaded, 1);
	s = stats(&sp, &admin);
	CHECK_INT_EQ(stat_int(s, NULL, "reads"), 20);
	CHECK_INT_EQ(stat_int(s, "unit1", "updated"), 1);
	json_decref(s);

	unit_close(&u);
	desk_close(&d);
	station_down(&sp);
}

/* The station is down: rounds fail with growing backoff, nothing is marked; it comes up and
 * the background thread drains the queue. */
static void test_station_down_up(void)
{
	struct station_proc sp = {0};
	struct creds admin;
	struct unit u;
	station_make(&sp);
	uint16_t port = free_port();
	char url[64];
	snprintf(url, sizeof(url), "https://127.0.0.1:%u", port);
	enroll(&sp, "unit2", SYNC_ROLE_UNIT, -60, 86400, &u.creds);
	enroll(&sp, "admin", SYNC_ROLE_ADMIN, -60, 86400, &admin);
	struct sync_client_options o = {.backoff_min_us = 20000, .backoff_max_us = 200000};
	unit_open(&u, "unit2", url, false, &o);
	add_reads(&u, 50, 2, NULL);

	struct sync_round_result res;
	CHECK(sync_client_run_once(u.client, &res) == -ECONNREFUSED);
	CHECK_INT_EQ(res.uploaded, 0);
	CHECK_INT_EQ(unsynced(&u), 50);
	CHECK_STR_CONTAINS(u.last_message[SYNC_EVENT_ERROR], "127.0.0.1");

	CHECK_OK(sync_client_start(u.client));
	CHECK(sync_client_run_once(u.client, NULL) == -EBUSY);
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&u.lock);
		uint64_t e = u.max_consecutive_errors;
		pthread_mutex_unlock(&u.lock);
		if (e >= 4) {
			break;
		}
		usleep(10000);
	}
	CHECK(u.max_consecutive_errors >= 4);
	CHECK_INT_EQ(unsynced(&u), 50);

	station_up(&sp, port);
	sync_client_kick(u.client);
	for (int i = 0; i < 3000 && unsynced(&u) > 0; i++) {
		usleep(10000);
	}
	CHECK_INT_EQ(unsynced(&u), 0);
	sync_client_stop(u.client);
	CHECK(u.events[SYNC_EVENT_ROUND_OK] >= 1);
	json_t *s = stats(&sp, &admin);
	CHECK_INT_EQ(stat_int(s, NULL, "reads"), 50);
	json_decref(s);
	unit_close(&u);
	station_down(&sp);
}

/* 100 uploads through a proxy that cuts nine connections in ten at a random byte, the
 * station restarted halfway: every read arrives exactly once. */
static void test_cut_connections(void)
{
	struct station_proc sp = {0};
	struct creds admin;
	struct proxy px;
	struct unit u;
	char url[64];
	station_make(&sp);
	enroll(&sp, "unit3", SYNC_ROLE_UNIT, -60, 86400, &u.creds);
	enroll(&sp, "admin", SYNC_ROLE_ADMIN, -60, 86400, &admin);
	uint16_t port = free_port();
	station_up(&sp, port);
	proxy_start(&px, sp.port, 0.9, 20240611u);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u", px.port);
	struct sync_client_options o = {
		.batch_reads = 10, .connect_timeout_ms = 2000, .stall_timeout_ms = 5000};
	unit_open(&u, "unit3", url, false, &o);
	unsigned failed = 0, rounds = 0;
	for (unsigned up = 0; up < 100; up++) {
		add_reads(&u, 10, 3 + up, NULL);
		if (up == 50) {
			station_down(&sp);
			station_up(&sp, port);
		}
		rounds++;
		failed += sync_client_run_once(u.client, NULL) < 0;
	}
	/* Then until the queue drains, bounded. */
	for (int i = 0; i < 500 && unsynced(&u) > 0; i++) {
		rounds++;
		failed += sync_client_run_once(u.client, NULL) < 0;
	}
	proxy_stop(&px);
	fprintf(stderr, "cut-connections: %u rounds, %u failed, %u connections, %u cut\n", rounds,
		failed, px.connections, px.cuts);
	CHECK_INT_EQ(unsynced(&u), 0);
	CHECK(px.cuts >= 10);
	CHECK(failed >= 1); /* curl retries a dead kept-alive connection itself */

	char hex[65];
	expected_ids("unit3", 1, 1000, hex);
	json_t *s = stats(&sp, &admin);
	CHECK_INT_EQ(stat_int(s, NULL, "reads"), 1000);
	CHECK_STR_EQ(json_string_value(json_object_get(s, "ids_sha256")), hex);
	/* Stored once each: new inserts equal reads; resent ones were counted, not stored. */
	CHECK_INT_EQ(stat_int(s, "unit3", "stored"), 1000);
	CHECK_INT_EQ(stat_int(s, "unit3", "updated"), 0);
	fprintf(stderr, "cut-connections: %lld reads resent after a lost ack, stored once\n",
		(long long)stat_int(s, "unit3", "duplicates"));
	CHECK(stat_int(s, "unit3", "duplicates") > 0);
	json_decref(s);
	unit_close(&u);
	station_down(&sp);
}

/* A delta changed after signing is refused by the unit, which keeps its list and says so;
 * the station refuses tampered, unsigned and older publications. */
static void test_tampered_delta(void)
{
	struct station_proc sp = {0};
	struct creds admin;
	struct desk d;
	struct unit u;
	struct sync_round_result res;
	char err[512], path[1200];
	station_make(&sp);
	enroll(&sp, "unit4", SYNC_ROLE_UNIT, -60, 86400, &u.creds);
	enroll(&sp, "admin", SYNC_ROLE_ADMIN, -60, 86400, &admin);
	desk_open(&d, &sp);
	uint64_t v1 = desk_version(&d, "plate,state,category\nTAM0001,NH,stolen_vehicle\n", 0,
				   check_path("v1.delta"));
	station_up(&sp, 0);
	CHECK_OK(sync_publish(sp.url, &admin.tls, check_path("v1.delta"), NULL, err, sizeof(err)));
	unit_open(&u, "unit4", sp.url, true, NULL);
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.lists_updated, 1);

	/* Publishing: a changed byte, a missing signature, an old version. */
	uint64_t v2 = desk_version(&d,
				   "plate,state,category\nTAM0001,NH,stolen_vehicle\n"
				   "TAM0002,NH,stolen_plate\n",
				   v1, check_path("v2.delta"));
	_autofree_ char *text = NULL;
	size_t len;
	CHECK_OK(alpr_read_file(check_path("v2.delta"), 1 << 20, &text, &len));
	char *p = strstr(text, "TAM0002");
	CHECK(p);
	p[6] = '3';
	check_write_file(check_path("bad.delta"), text);
	CHECK(sync_publish(sp.url, &admin.tls, check_path("bad.delta"), NULL, err, sizeof(err)) ==
	      -EPROTO);
	CHECK_STR_CONTAINS(err, "422");
	p[6] = '2';
	*strstr(text, "signature ") = '\0';
	check_write_file(check_path("unsigned.delta"), text);
	CHECK(sync_publish(sp.url, &admin.tls, check_path("unsigned.delta"), NULL, err,
			   sizeof(err)) < 0);
	CHECK_STR_CONTAINS(err, "delta");
	CHECK_OK(sync_publish(sp.url, &admin.tls, check_path("v2.delta"), NULL, err, sizeof(err)));
	CHECK(sync_publish(sp.url, &admin.tls, check_path("v1.delta"), NULL, err, sizeof(err)) ==
	      -EPROTO);
	CHECK_STR_CONTAINS(err, "409");

	/* The station's cached delta is changed on disk (a compromised station store). */
	char *body = NULL;
	char q[64];
	snprintf(q, sizeof(q), "/v1/hotlists/stolen?since=%llu", (unsigned long long)v1);
	CHECK_INT_EQ(http(sp.url, q, &admin.tls, "GET", NULL, 0, &body), 200);
	free(body);
	snprintf(path, sizeof(path), "%s/deltas/stolen-%llu-%llu.delta", sp.dir,
		 (unsigned long long)v1, (unsigned long long)v2);
	_autofree_ char *served = NULL;
	CHECK_OK(alpr_read_file(path, 1 << 20, &served, &len));
	p = strstr(served, "TAM0002");
	CHECK(p);
	p[0] = 'X';
	CHECK_OK(alpr_write_file_atomic(path, served, len, 0644));
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.lists_updated, 0);
	CHECK_INT_EQ(res.lists_refused, 1);
	struct hotlist_list_info li;
	CHECK_OK(hotlist_list_get(u.hotlist, "stolen", &li));
	CHECK_INT_EQ(li.version, v1);
	CHECK_INT_EQ(u.events[SYNC_EVENT_HOTLIST_REFUSED], 1);
	CHECK_STR_CONTAINS(u.last_message[SYNC_EVENT_HOTLIST_REFUSED], "keeping version");
	CHECK_STR_CONTAINS(u.last_message[SYNC_EVENT_HOTLIST_REFUSED], "signature");

	/* Repaired: the next round takes it. */
	unlink(path);
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.lists_updated, 1);
	CHECK_OK(hotlist_list_get(u.hotlist, "stolen", &li));
	CHECK_INT_EQ(li.version, v2);
	unit_close(&u);
	desk_close(&d);
	station_down(&sp);
}

/* No certificate, an expired one, one from another CA, and the wrong role are refused. */
static void test_bad_certs(void)
{
	struct station_proc sp = {0}, other = {0};
	struct creds good, expired, foreign, admin;
	char *body = NULL;
	const char *batch = "{\"format\":\"alpr-sync-reads/1\",\"reads\":[]}";
	station_make(&sp);
	enroll(&sp, "unit5", SYNC_ROLE_UNIT, -60, 86400, &good);
	enroll(&sp, "old5", SYNC_ROLE_UNIT, -2 * 86400, -86400, &expired);
	enroll(&sp, "admin", SYNC_ROLE_ADMIN, -60, 86400, &admin);
	snprintf(other.dir, sizeof(other.dir), "%s", check_path("other-station"));
	CHECK_OK(station_init(other.dir, NULL, 0));
	enroll(&other, "alien", SYNC_ROLE_UNIT, -60, 86400, &foreign);
	/* The foreign unit trusts our station's CA (it only lacks a certificate from it). */
	_autofree_ char *ca = NULL;
	size_t len;
	CHECK_OK(alpr_read_file(good.ca, 65536, &ca, &len));
	CHECK_OK(alpr_write_file_atomic(foreign.ca, ca, len, 0644));
	station_up(&sp, 0);

	CHECK_INT_EQ(http(sp.url, "/v1/reads", &good.tls, "POST", batch, strlen(batch), &body),
		     200);
	free(body);
	struct sync_tls none = {NULL, NULL, good.ca};
	CHECK_INT_EQ(http(sp.url, "/v1/reads", &none, "POST", batch, strlen(batch), &body), 401);
	CHECK_STR_CONTAINS(body, "none presented");
	free(body);
	CHECK_INT_EQ(http(sp.url, "/v1/reads", &expired.tls, "POST", batch, strlen(batch), &body),
		     403);
	CHECK_STR_CONTAINS(body, "expired");
	free(body);
	CHECK_INT_EQ(http(sp.url, "/v1/reads", &foreign.tls, "POST", batch, strlen(batch), &body),
		     403);
	CHECK_STR_CONTAINS(body, "not issued by this station's CA");
	free(body);
	CHECK_INT_EQ(http(sp.url, "/v1/reads", &admin.tls, "POST", batch, strlen(batch), &body),
		     403);
	CHECK_STR_CONTAINS(body, "not allowed");
	free(body);
	CHECK_INT_EQ(http(sp.url, "/v1/hotlists", &good.tls, "POST", "x", 1, &body), 403);
	free(body);
	CHECK_INT_EQ(http(sp.url, "/v1/stats", &good.tls, "GET", NULL, 0, &body), 403);
	free(body);
	/* The unit pins the station CA: a station with another CA is not trusted. */
	char other_ca[1200];
	snprintf(other_ca, sizeof(other_ca), "%s/tls/ca.pem", other.dir);
	struct sync_tls wrong_ca = {good.cert, good.key, other_ca};
	CHECK(http(sp.url, "/v1/hotlists", &wrong_ca, "GET", NULL, 0, &body) < 0);
	free(body);

	/* The client with an expired certificate: a failed round, nothing marked. */
	struct unit u;
	unit_open(&u, "old5", sp.url, false, NULL);
	add_reads(&u, 3, 5, NULL);
	struct sync_round_result res;
	CHECK(sync_client_run_once(u.client, &res) == -EACCES);
	CHECK_STR_CONTAINS(res.error, "expired");
	CHECK_INT_EQ(unsynced(&u), 3);
	unit_close(&u);
	station_down(&sp);
}

/* A body over the cap is refused with 413 before it is read. */
static void test_oversized(void)
{
	struct station_proc sp = {0};
	struct creds unitc;
	station_make(&sp);
	enroll(&sp, "unit6", SYNC_ROLE_UNIT, -60, 86400, &unitc);
	station_up(&sp, 0);
	size_t n = SYNC_BODY_MAX + 1;
	char *big = alpr_xmalloc(n);
	memset(big, ' ', n);
	char *body = NULL;
	CHECK_INT_EQ(http(sp.url, "/v1/reads", &unitc.tls, "POST", big, n, &body), 413);
	CHECK_STR_CONTAINS(body, "over the cap");
	free(body);
	free(big);
	/* The station still serves. */
	const char *batch = "{\"format\":\"alpr-sync-reads/1\",\"reads\":[]}";
	CHECK_INT_EQ(http(sp.url, "/v1/reads", &unitc.tls, "POST", batch, strlen(batch), &body),
		     200);
	free(body);
	station_down(&sp);
}

/* Malformed bodies get 400 and a one-line message naming the place; a read that breaks one
 * field, is past its retention or hits a refused category is refused by id. */
static void test_malformed(void)
{
	struct station_proc sp = {0};
	struct creds unitc, admin;
	char *body = NULL;
	station_make(&sp);
	enroll(&sp, "unit7", SYNC_ROLE_UNIT, -60, 86400, &unitc);
	enroll(&sp, "admin", SYNC_ROLE_ADMIN, -60, 86400, &admin);
	station_up(&sp, 0);
	static const struct {
		const char *body;
		const char *message;
	} bad[] = {
		{"{\"format\": \"alpr-sync-reads/1\", \"reads\": [", "body: line 1 column"},
		{"", "body: empty"},
		{"[1, 2]", "format:"},
		{"{\"format\": \"other/1\", \"reads\": []}", "format:"},
		{"{\"format\": \"alpr-sync-reads/1\", \"reads\": {}}", "reads: not an array"},
		{"{\"format\": \"alpr-sync-reads/1\", \"reads\": [{\"plate\": \"ABC\"}]}",
		 "reads[0]: id: missing"},
		{"{\"format\": \"alpr-sync-reads/1\", \"reads\": [], \"reads\": []}", "duplicate"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(bad); i++) {
		CHECK_INT_EQ(http(sp.url, "/v1/reads", &unitc.tls, "POST", bad[i].body,
				  strlen(bad[i].body), &body),
			     400);
		CHECK_STR_CONTAINS(body, bad[i].message);
		CHECK(strchr(body, '\n') == body + strlen(body) - 1);
		free(body);
	}

	/* Read-level refusals: by id, so the unit can mark them and move on. */
	struct store_read r = {0};
	struct store_hit hit = {0};
	int64_t now = alpr_clock_now(NULL);
	alpr_strlcpy(r.id, "unit7-000000000001", sizeof(r.id));
	r.captured_at = now - 60 * SEC;
	alpr_strlcpy(r.camera, "front", sizeof(r.camera));
	alpr_strlcpy(r.plate, "GOOD123", sizeof(r.plate));
	r.confidence = 0.8f;
	json_t *reads = json_array();
	json_array_append_new(reads, sync_read_to_json(&r, NULL, false));
	json_t *o = sync_read_to_json(&r, NULL, false);
	json_object_set_new(o, "id", json_string("unit7-000000000002"));
	json_object_set_new(o, "plate", json_string("bad-pl"));
	json_array_append_new(reads, o);
	alpr_strlcpy(r.id, "unit7-000000000003", sizeof(r.id));
	r.captured_at = now - 4 * ALPR_USEC_PER_DAY; /* default non-hit retention: 72 h */
	json_array_append_new(reads, sync_read_to_json(&r, NULL, false));
	alpr_strlcpy(r.id, "unit7-000000000004", sizeof(r.id));
	r.captured_at = now - 60 * SEC;
	alpr_strlcpy(hit.list, "ice", sizeof(hit.list));
	alpr_strlcpy(hit.plate, "GOOD123", sizeof(hit.plate));
	alpr_strlcpy(hit.state, "??", sizeof(hit.state));
	hit.category = POLICY_CAT_IMMIGRATION_VIOLATOR;
	json_array_append_new(reads, sync_read_to_json(&r, &hit, false));
	alpr_strlcpy(r.id, "unit9-000000000005", sizeof(r.id));
	json_array_append_new(reads, sync_read_to_json(&r, NULL, false));
	json_t *batch = json_pack("{s:s, s:o}", "format", SYNC_FORMAT_READS, "reads", reads);
	char *text = json_dumps(batch, JSON_COMPACT);
	json_decref(batch);
	CHECK_INT_EQ(http(sp.url, "/v1/reads", &unitc.tls, "POST", text, strlen(text), &body), 200);
	free(text);
	json_t *ack = json_loads(body, 0, NULL);
	free(body);
	CHECK_INT_EQ(json_array_size(json_object_get(ack, "stored")), 1);
	const json_t *ref = json_object_get(ack, "refused");
	CHECK_INT_EQ(json_array_size(ref), 4);
	static const char *const reasons[] = {
		"plate: a character outside its alphabet", "captured_at: past its retention period",
		"hit.category: immigration_violator is refused", "id: not an id of unit unit7"};
	for (size_t i = 0; i < 4; i++) {
		CHECK_STR_CONTAINS(
			json_string_value(json_object_get(json_array_get(ref, i), "reason")),
			reasons[i]);
	}
	json_decref(ack);
	json_t *s = stats(&sp, &admin);
	CHECK_INT_EQ(stat_int(s, NULL, "reads"), 1);
	json_decref(s);

	/* The checkpoint and unknown resources. */
	CHECK_INT_EQ(http(sp.url, "/v1/checkpoint", &unitc.tls, "POST", "{}", 2, &body), 400);
	CHECK_STR_CONTAINS(body, "format:");
	free(body);
	CHECK_INT_EQ(http(sp.url, "/v1/nothing", &unitc.tls, "GET", NULL, 0, &body), 404);
	free(body);
	CHECK_INT_EQ(http(sp.url, "/v1/hotlists/none?since=0", &unitc.tls, "GET", NULL, 0, &body),
		     404);
	free(body);
	CHECK_INT_EQ(http(sp.url, "/v1/hotlists/x?since=-1", &unitc.tls, "GET", NULL, 0, &body),
		     400);
	CHECK_STR_CONTAINS(body, "since:");
	free(body);
	station_down(&sp);
}

/* An old batch replayed (as a unit that lost the ack would) is stored once, and an old state
 * of a hit never replaces a newer one. */
static void test_replay(void)
{
	struct station_proc sp = {0};
	struct creds admin;
	struct unit u;
	struct sync_round_result res;
	char first[STORE_ID_MAX + 1], *body = NULL;
	station_make(&sp);
	enroll(&sp, "unit8", SYNC_ROLE_UNIT, -60, 86400, &u.creds);
	enroll(&sp, "admin", SYNC_ROLE_ADMIN, -60, 86400, &admin);
	station_up(&sp, 0);
	unit_open(&u, "unit8", sp.url, false, NULL);
	add_reads(&u, 5, 8, first);
	struct store_hit hit = {0};
	hit.hit_at = alpr_clock_now(NULL) - 30 * SEC;
	alpr_strlcpy(hit.list, "stolen", sizeof(hit.list));
	alpr_strlcpy(hit.plate, "S080000", sizeof(hit.plate));
	alpr_strlcpy(hit.state, "NH", sizeof(hit.state));
	hit.category = POLICY_CAT_STOLEN_PLATE;
	CHECK_OK(store_add_hit(u.store, first, &hit, NULL));

	/* The batch as the unit sends it, kept for replay. */
	json_t *reads = json_array();
	for (int i = 1; i <= 5; i++) {
		struct store_read r;
		struct store_hit h;
		char id[STORE_ID_MAX + 1];
		snprintf(id, sizeof(id), "unit8-%012d", i);
		CHECK_OK(store_get_read(u.store, id, &r));
		bool has = store_get_hit(u.store, id, &h) == 0;
		json_array_append_new(reads, sync_read_to_json(&r, has ? &h : NULL, true));
		store_read_finish(&r);
	}
	json_t *batch = json_pack("{s:s, s:o}", "format", SYNC_FORMAT_READS, "reads", reads);
	char *old = json_dumps(batch, JSON_COMPACT);
	json_decref(batch);

	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.uploaded, 5);
	CHECK_OK(store_set_disposition(u.store, first, STORE_HIT_MISREAD, "officer9"));
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.uploaded, 1);

	for (int k = 0; k < 3; k++) {
		CHECK_INT_EQ(
			http(sp.url, "/v1/reads", &u.creds.tls, "POST", old, strlen(old), &body),
			200);
		json_t *ack = json_loads(body, 0, NULL);
		free(body);
		CHECK_INT_EQ(json_array_size(json_object_get(ack, "stored")), 5);
		json_decref(ack);
	}
	free(old);
	json_t *s = stats(&sp, &admin);
	CHECK_INT_EQ(stat_int(s, NULL, "reads"), 5);
	CHECK_INT_EQ(stat_int(s, "unit8", "stored"), 5);
	CHECK_INT_EQ(stat_int(s, "unit8", "updated"), 1);
	CHECK_INT_EQ(stat_int(s, "unit8", "duplicates"), 15);
	json_decref(s);
	unit_close(&u);
	station_down(&sp);
}

/* `alpr-hotlist ARGS...` (ALPR_HOTLIST_BIN); its exit status, its stdout and stderr in
 * hl.stdout and hl.stderr. */
static int run_hotlist_cli(const char *const *args)
{
	return spawn_cli("ALPR_HOTLIST_BIN", "hl.stdout", "hl.stderr", args);
}

static char *slurp_path(const char *name)
{
	char *text = NULL;
	size_t len;
	CHECK_OK(alpr_read_file(check_path(name), 1 << 20, &text, &len));
	return text;
}

/* `alpr-hotlist publish` with an administrator certificate: a delta file, then a delta
 * written from the desk's database on the fly; each time the unit's next sync takes the new
 * version. A unit's certificate cannot publish. */
static void test_hotlist_publish(void)
{
	struct station_proc sp = {0};
	struct desk d;
	struct unit u;
	struct sync_round_result res;
	struct hotlist_list_info li;
	char desk[1100], *text;
	snprintf(sp.dir, sizeof(sp.dir), "%s", check_path("station"));
	snprintf(desk, sizeof(desk), "%s", check_path("desk"));
	run_station_cli((const char *[]){"init", "--dir", sp.dir, NULL});
	run_station_cli((const char *[]){"enroll", "unit1", "--dir", sp.dir, "--out",
					 check_path("unit1"), NULL});
	run_station_cli((const char *[]){"enroll", "--admin", "alice", "--dir", sp.dir, "--out",
					 check_path("alice"), NULL});
	desk_open(&d, &sp);
	uint64_t v1 = desk_version(&d,
				   "plate,state,category\nHOT1234,NH,stolen_vehicle\n"
				   "HOT5678,MA,felony_vehicle\n",
				   0, check_path("v1.delta"));
	station_up(&sp, 0);
	unit_open(&u, "unit1", sp.url, true, NULL);

	/* A delta file. */
	CHECK_INT_EQ(run_hotlist_cli((const char *[]){"publish", "--station", sp.url, "--creds",
						      check_path("alice"), check_path("v1.delta"),
						      NULL}),
		     0);
	text = slurp_path("hl.stdout");
	char want[64];
	snprintf(want, sizeof(want), "published version %llu", (unsigned long long)v1);
	CHECK_STR_CONTAINS(text, want);
	free(text);
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.lists_updated, 1);
	CHECK_OK(hotlist_list_get(u.hotlist, "stolen", &li));
	CHECK_INT_EQ(li.version, v1);
	CHECK_INT_EQ(li.entry_count, 2);

	/* A new version, its delta written by the tool itself (--from), as JSON. */
	struct hotlist_import_options io = {.list = "stolen", .mode = HOTLIST_IMPORT_REPLACE};
	struct hotlist_import_result ir;
	check_write_file(check_path("list.csv"), "plate,state,category\nHOT1234,NH,stolen_vehicle\n"
						 "HOT5678,MA,felony_vehicle\nNEW0001,VT,bolo\n");
	CHECK_OK(hotlist_import_csv(d.h, check_path("list.csv"), &io, &ir));
	uint64_t v2 = ir.version;
	desk_close(&d);
	char from[32];
	snprintf(from, sizeof(from), "%llu", (unsigned long long)v1);
	CHECK_INT_EQ(run_hotlist_cli((const char *[]){
			     "--db", desk, "--json", "publish", "--station", sp.url, "--cert",
			     check_path("alice/cert.pem"), "--tls-key", check_path("alice/key.pem"),
			     "--ca", check_path("alice/ca.pem"), "--list", "stolen", "--from", from,
			     "--key", check_path("publisher-key.pem"), NULL}),
		     0);
	text = slurp_path("hl.stdout");
	json_t *o = json_loads(text, 0, NULL);
	CHECK_MSG(o, "not JSON: %s", text);
	CHECK_INT_EQ(json_integer_value(json_object_get(o, "version")), v2);
	json_decref(o);
	free(text);
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.lists_updated, 1);
	CHECK_OK(hotlist_list_get(u.hotlist, "stolen", &li));
	CHECK_INT_EQ(li.version, v2);
	CHECK_INT_EQ(li.entry_count, 3);
	struct hotlist_candidate cand = {"NEW0001", 0.9f};
	struct hotlist_match m[4];
	CHECK_INT_EQ(hotlist_match(u.hotlist, &cand, 1, "VT", NULL, m, 4), 1);

	/* A unit's certificate is refused; so is publishing without a station. */
	CHECK_INT_EQ(run_hotlist_cli((const char *[]){"publish", "--station", sp.url, "--creds",
						      check_path("unit1"), check_path("v1.delta"),
						      NULL}),
		     2);
	text = slurp_path("hl.stderr");
	CHECK_STR_CONTAINS(text, "alpr-hotlist: publish: ");
	free(text);
	CHECK_INT_EQ(run_hotlist_cli((const char *[]){"publish", "--creds", check_path("alice"),
						      check_path("v1.delta"), NULL}),
		     2);
	text = slurp_path("hl.stderr");
	CHECK_STR_CONTAINS(text, "--station URL is required");
	free(text);
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.lists_updated, 0);

	unit_close(&u);
	station_down(&sp);
}

/* POST /v1/checkpoint with @text as unit @c; the status, the answer in *answer. */
static long post_checkpoint(const struct station_proc *sp, const struct creds *c, const char *text,
			    char **answer)
{
	return http(sp->url, "/v1/checkpoint", &c->tls, "POST", text, strlen(text), answer);
}

/* Signs a checkpoint over @log's newest record; its JSON text (free it). */
static char *checkpoint_text(struct audit *log, const char *name)
{
	char *text = NULL;
	size_t len;
	CHECK_OK(audit_checkpoint(log));
	CHECK_OK(audit_export_checkpoint(log, check_path(name)));
	CHECK_OK(alpr_read_file(check_path(name), 4096, &text, &len));
	return text;
}

/* @text with field @field replaced by @value (a JSON value). */
static char *with_field(const char *text, const char *field, json_t *value)
{
	json_t *o = json_loads(text, 0, NULL);
	CHECK(o);
	json_object_set_new(o, field, value);
	char *out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

static void append_records(struct audit *log, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct audit_record rec = {
			.user = "officer7", .role = "officer", .action = "search"};
		CHECK_OK(audit_append(log, &rec, NULL));
	}
}

/* alpr-audit --db LOG verify --pubkey KEY --checkpoint HELD: its exit status. */
static int verify_with_held(const char *log, const char *key, const char *held)
{
	return spawn_cli("ALPR_AUDIT_BIN", "audit.stdout", "audit.stderr",
			 (const char *[]){"--db", log, "verify", "--pubkey", key, "--checkpoint",
					  held, NULL});
}

struct denied_count {
	unsigned denied, allowed;
	char last_reason[256];
};

static int count_checkpoint_records(const struct audit_record *rec, void *ud)
{
	struct denied_count *d = ud;
	if (strcmp(rec->action, STATION_AUDIT_CHECKPOINT) == 0) {
		if (rec->outcome == AUDIT_DENIED) {
			d->denied++;
			alpr_strlcpy(d->last_reason, rec->reason, sizeof(d->last_reason));
		} else {
			d->allowed++;
		}
	}
	return 0;
}

/* The station checks a unit's audit checkpoint against the device key registered at
 * enrolment: a good one is kept; a tampered signature, another log's key, a changed hash or
 * sequence, another unit's device id, or a unit without a registered key is refused (one
 * line naming the field), audited at the station, and changes nothing it holds. The
 * station's copy then verifies the unit's log with alpr-audit. */
static void test_checkpoint_signature(void)
{
	struct station_proc sp = {0};
	struct creds admin, u9, u10;
	struct audit *log9, *forged, *log10;
	char *answer = NULL, keyfile[1200];
	snprintf(sp.dir, sizeof(sp.dir), "%s", check_path("station"));
	run_station_cli((const char *[]){"init", "--dir", sp.dir, NULL});
	/* unit9's log; another log claiming to be unit9 (made elsewhere, its own key); unit10,
	 * enrolled without a device key. */
	struct audit_open_opts o9 = {.device_id = "unit9"}, o10 = {.device_id = "unit10"};
	CHECK_OK(audit_open(check_path("log9"), &o9, &log9));
	CHECK_OK(audit_open(check_path("forged"), &o9, &forged));
	CHECK_OK(audit_open(check_path("log10"), &o10, &log10));
	CHECK_OK(audit_export_pubkey(log9, check_path("log9.pem")));
	CHECK_OK(audit_export_pubkey(forged, check_path("forged.pem")));
	run_station_cli((const char *[]){"enroll", "unit9", "--device-key", check_path("log9.pem"),
					 "--dir", sp.dir, "--out", check_path("unit9"), NULL});
	creds_paths(&u9, check_path("unit9"));
	enroll(&sp, "unit10", SYNC_ROLE_UNIT, -60, 86400, &u10);
	enroll(&sp, "admin", SYNC_ROLE_ADMIN, -60, 86400, &admin);
	/* Enrolling unit9 again with another key is refused (and nothing is issued). */
	CHECK_INT_EQ(station_cli_status((const char *[]){"enroll", "unit9", "--device-key",
							 check_path("forged.pem"), "--dir", sp.dir,
							 "--out", check_path("unit9b"), NULL}),
		     1);
	char *err = slurp_path("cli.stderr");
	CHECK_STR_CONTAINS(err, "device key: ");
	CHECK_STR_CONTAINS(err, "another key is registered for this unit");
	free(err);
	CHECK(access(check_path("unit9b/cert.pem"), F_OK) != 0);
	/* Not a key at all. */
	check_write_file(check_path("junk.pem"), "-----BEGIN PUBLIC KEY-----\nAAAA\n");
	CHECK_INT_EQ(station_cli_status((const char *[]){"enroll", "unit11", "--device-key",
							 check_path("junk.pem"), "--dir", sp.dir,
							 "--out", check_path("unit11"), NULL}),
		     1);
	err = slurp_path("cli.stderr");
	CHECK_STR_CONTAINS(err, "not an Ed25519 public key");
	free(err);
	CHECK(access(check_path("unit11/cert.pem"), F_OK) != 0);
	station_up(&sp, 0);

	/* A good checkpoint is kept. */
	append_records(log9, 1);
	char *first = checkpoint_text(log9, "cp1.json");
	CHECK_INT_EQ(post_checkpoint(&sp, &u9, first, &answer), 200);
	free(answer);
	append_records(log9, 2);
	char *good = checkpoint_text(log9, "cp3.json");
	json_t *held = json_loads(first, 0, NULL);
	const char *held_hash = json_string_value(json_object_get(held, "record_hash"));

	/* The refusals. */
	append_records(forged, 3);
	char *other_key = checkpoint_text(forged, "forged.json");
	append_records(log10, 1);
	char *unkeyed = checkpoint_text(log10, "cp10.json");
	json_t *g = json_loads(good, 0, NULL);
	char sig[129];
	alpr_strlcpy(sig, json_string_value(json_object_get(g, "signature")), sizeof(sig));
	sig[5] = sig[5] == '0' ? '1' : '0';
	char *bad_sig = with_field(good, "signature", json_string(sig));
	char *bad_hash = with_field(good, "record_hash", json_string(held_hash));
	char *bad_seq = with_field(good, "seq", json_integer(4));
	char *bad_time =
		with_field(good, "time_us",
			   json_integer(json_integer_value(json_object_get(g, "time_us")) + 1));
	json_decref(g);
	const struct {
		const struct creds *c;
		const char *text, *why;
		long status;
	} refused[] = {
		{&u9, bad_sig, "signature: does not verify with unit unit9's enrolled device key",
		 422},
		{&u9, other_key, "signature: does not verify", 422},
		{&u9, bad_hash, "signature: does not verify", 422},
		{&u9, bad_seq, "signature: does not verify", 422},
		{&u9, bad_time, "signature: does not verify", 422},
		{&u10, good, "device: unit9 is not the certificate's unit unit10", 403},
		{&u10, unkeyed, "signature: no device key is enrolled for unit unit10", 403},
		{&u9, first + 1, "body: ", 400},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(refused); i++) {
		long st = post_checkpoint(&sp, refused[i].c, refused[i].text, &answer);
		CHECK_MSG(st == refused[i].status, "refusal %zu: %ld %s", i, st, answer);
		CHECK_STR_CONTAINS(answer, refused[i].why);
		CHECK_MSG(strchr(answer, '\n') && strchr(answer, '\n')[1] == '\0',
			  "not one line: %s", answer);
		free(answer);
		/* Nothing stored: the station still holds the first checkpoint. */
		json_t *s = stats(&sp, &admin);
		json_t *cp = json_object_get(json_object_get(json_object_get(s, "units"), "unit9"),
					     "checkpoint");
		CHECK_INT_EQ(json_integer_value(json_object_get(cp, "seq")), 1);
		CHECK_STR_EQ(json_string_value(json_object_get(cp, "record_hash")), held_hash);
		CHECK(!json_object_get(json_object_get(json_object_get(s, "units"), "unit10"),
				       "checkpoint"));
		json_decref(s);
	}

	/* The good one is taken; an older one after it is a conflict. */
	CHECK_INT_EQ(post_checkpoint(&sp, &u9, good, &answer), 200);
	free(answer);
	CHECK_INT_EQ(post_checkpoint(&sp, &u9, first, &answer), 409);
	CHECK_STR_CONTAINS(answer, "seq: checkpoint 1 conflicts with the station's 3");
	free(answer);

	/* The station's copy verifies the unit's log with the key the station registered. */
	json_t *s = stats(&sp, &admin);
	json_t *cp = json_object_get(json_object_get(json_object_get(s, "units"), "unit9"),
				     "checkpoint");
	CHECK_INT_EQ(json_integer_value(json_object_get(cp, "seq")), 3);
	CHECK(json_dump_file(cp, check_path("held.json"), JSON_COMPACT) == 0);
	json_decref(s);
	CHECK_OK(station_device_key_path(sp.dir, "unit9", keyfile, sizeof(keyfile)));
	audit_close(log9);
	CHECK_INT_EQ(verify_with_held(check_path("log9"), keyfile, check_path("held.json")), 0);
	char *out = slurp_path("audit.stdout");
	CHECK_STR_CONTAINS(out, "signed through record 3 with the given key");
	free(out);
	/* ... and catches the other log, which is not the one the station vouches for. */
	CHECK_INT_EQ(verify_with_held(check_path("forged"), keyfile, check_path("held.json")), 1);
	station_down(&sp);

	/* Every refusal is a record in the station's audit log. */
	char sa[1200];
	struct audit *slog;
	struct audit_open_opts ro = {.read_only = true};
	struct denied_count dc = {0};
	snprintf(sa, sizeof(sa), "%s/audit", sp.dir);
	CHECK_OK(audit_open(sa, &ro, &slog));
	CHECK_OK(audit_foreach(slog, 1, count_checkpoint_records, &dc));
	audit_close(slog);
	CHECK_INT_EQ(dc.denied, ALPR_ARRAY_SIZE(refused) + 1);
	CHECK_INT_EQ(dc.allowed, 0);
	CHECK_STR_CONTAINS(dc.last_reason, "seq: checkpoint 1 conflicts");

	json_decref(held);
	free(first);
	free(good);
	free(other_key);
	free(unkeyed);
	free(bad_sig);
	free(bad_hash);
	free(bad_seq);
	free(bad_time);
	audit_close(forged);
	audit_close(log10);
}

/* The read the station holds for @plate, found by an investigator's search. New reference. */
static json_t *held_read(const struct station_proc *sp, const struct creds *det, const char *plate)
{
	char q[256], *body = NULL;
	snprintf(q, sizeof(q),
		 "{\"purpose\": \"stolen_vehicle\", \"case_number\": \"2026-000123\", "
		 "\"justification\": \"Early hit on a stolen plate, checking its final read\", "
		 "\"plate\": \"%s\"}",
		 plate);
	long st = http(sp->url, "/v1/search", &det->tls, "POST", q, strlen(q), &body);
	CHECK_MSG(st == 200, "search: %ld %s", st, body);
	json_t *o = json_loads(body, 0, NULL);
	free(body);
	CHECK_INT_EQ(json_integer_value(json_object_get(o, "count")), 1);
	json_t *rd = json_incref(json_array_get(json_object_get(o, "reads"), 0));
	json_decref(o);
	return rd;
}

/* One read of @u as the unit sends it now, in a batch of its own (JSON text; free it). */
static char *batch_of(struct unit *u, const char *id)
{
	struct store_read r;
	struct store_hit h;
	CHECK_OK(store_get_read(u->store, id, &r));
	bool has = store_get_hit(u->store, id, &h) == 0;
	json_t *batch = json_pack("{s:s, s:[o]}", "format", SYNC_FORMAT_READS, "reads",
				  sync_read_to_json(&r, has ? &h : NULL, true));
	store_read_finish(&r);
	char *text = json_dumps(batch, JSON_COMPACT);
	json_decref(batch);
	return text;
}

static void post_batch(const struct station_proc *sp, struct unit *u, const char *batch)
{
	char *body = NULL;
	CHECK_INT_EQ(http(sp->url, "/v1/reads", &u->creds.tls, "POST", batch, strlen(batch), &body),
		     200);
	CHECK_STR_CONTAINS(body, "\"stored\":[\"unit12-");
	free(body);
}

/* An early hit's read goes up, then its pass's final vote replaces it under the same id
 * (revision 1): the station takes the newer version, keeps it through a later disposition,
 * and a replay of the early version or of an older state changes nothing. */
static void test_early_hit_update(void)
{
	struct station_proc sp = {0};
	struct creds admin, det;
	struct unit u;
	struct sync_round_result res;
	station_make(&sp);
	enroll(&sp, "unit12", SYNC_ROLE_UNIT, -60, 86400, &u.creds);
	enroll(&sp, "admin", SYNC_ROLE_ADMIN, -60, 86400, &admin);
	enroll(&sp, "det", SYNC_ROLE_INVESTIGATOR, -60, 86400, &det);
	station_up(&sp, 0);
	unit_open(&u, "unit12", sp.url, false, NULL);

	/* The early read: three frames agreed, the vehicle still in view; it hit. */
	struct store_read r = {0};
	r.captured_at = alpr_clock_now(NULL) - 60 * SEC;
	alpr_strlcpy(r.camera, "front", sizeof(r.camera));
	alpr_strlcpy(r.plate, "EAR1234", sizeof(r.plate));
	alpr_strlcpy(r.state, "NH", sizeof(r.state));
	r.confidence = 0.8f;
	r.gps.mode = STORE_FIX_NONE;
	r.track_id = 77;
	r.frames_voted = 3;
	struct store_hit hit = {0};
	hit.hit_at = r.captured_at;
	alpr_strlcpy(hit.list, "stolen", sizeof(hit.list));
	alpr_strlcpy(hit.plate, "EAR1234", sizeof(hit.plate));
	alpr_strlcpy(hit.state, "NH", sizeof(hit.state));
	hit.category = POLICY_CAT_STOLEN_PLATE;
	struct store_put_result pr;
	CHECK_OK(store_put_read(u.store, &r, &hit, &pr));
	char *early = batch_of(&u, pr.id);
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.uploaded, 1);
	json_t *rd = held_read(&sp, &det, "EAR1234");
	CHECK_INT_EQ(json_integer_value(json_object_get(rd, "frames_voted")), 3);
	CHECK(!json_object_get(rd, "revision"));
	json_decref(rd);

	/* The pass closes: the final vote of nine frames, surer, replaces the stored read. */
	r.frames_voted = 9;
	r.confidence = 0.97f;
	CHECK_OK(store_update_hit_read(u.store, pr.id, &r));
	char *final = batch_of(&u, pr.id);
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.uploaded, 1);
	rd = held_read(&sp, &det, "EAR1234");
	CHECK_INT_EQ(json_integer_value(json_object_get(rd, "frames_voted")), 9);
	CHECK_INT_EQ(json_integer_value(json_object_get(rd, "revision")), 1);
	json_decref(rd);
	json_t *s = stats(&sp, &admin);
	CHECK_INT_EQ(stat_int(s, NULL, "reads"), 1);
	CHECK_INT_EQ(stat_int(s, "unit12", "stored"), 1);
	CHECK_INT_EQ(stat_int(s, "unit12", "updated"), 1);
	json_decref(s);

	/* The officer confirms: the final read keeps its votes and gains the disposition. */
	CHECK_OK(store_set_disposition(u.store, pr.id, STORE_HIT_CONFIRMED, "officer7"));
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.uploaded, 1);

	/* Replays: the early version, the final one before the disposition, the current one.
	 * Each is acknowledged (the unit may mark it) and changes nothing. */
	char *current = batch_of(&u, pr.id);
	const char *replays[] = {early, final, current, early};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(replays); i++) {
		post_batch(&sp, &u, replays[i]);
		rd = held_read(&sp, &det, "EAR1234");
		CHECK_INT_EQ(json_integer_value(json_object_get(rd, "frames_voted")), 9);
		CHECK_INT_EQ(json_integer_value(json_object_get(rd, "revision")), 1);
		json_t *disp = json_object_get(json_object_get(rd, "hit"), "dispositions");
		CHECK_INT_EQ(json_array_size(disp), 1);
		CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(disp, 0), "status")),
			     "confirmed");
		json_decref(rd);
	}
	s = stats(&sp, &admin);
	CHECK_INT_EQ(stat_int(s, NULL, "reads"), 1);
	CHECK_INT_EQ(stat_int(s, "unit12", "updated"), 2);
	CHECK_INT_EQ(stat_int(s, "unit12", "duplicates"), 4);
	json_decref(s);

	/* A revision out of range is refused by id, like any invalid field. */
	char *bad = strdup(current);
	char *p = strstr(bad, "\"revision\":1");
	CHECK(p);
	memcpy(p, "\"revision\":0", 12);
	char *body = NULL;
	CHECK_INT_EQ(http(sp.url, "/v1/reads", &u.creds.tls, "POST", bad, strlen(bad), &body), 200);
	CHECK_STR_CONTAINS(body, "revision: out of range");
	free(body);
	free(bad);
	free(early);
	free(final);
	free(current);
	unit_close(&u);
	station_down(&sp);
}

/* Every crop the station holds (db "crops") has its deadline in the expiry index, where the
 * purge finds it: a crop without one would be kept forever. */
static void check_crops_expire(const struct station_proc *sp, size_t want_crops)
{
	char dbdir[1100];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi crops, expiry;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t n = 0;

	snprintf(dbdir, sizeof(dbdir), "%s/db", sp->dir);
	CHECK(mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 16) == 0);
	CHECK(mdb_env_open(env, dbdir, MDB_RDONLY, 0600) == 0);
	CHECK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) == 0);
	CHECK(mdb_dbi_open(txn, "crops", 0, &crops) == 0);
	CHECK(mdb_dbi_open(txn, "expiry", 0, &expiry) == 0);
	CHECK(mdb_cursor_open(txn, crops, &cur) == 0);
	for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		/* Expiry keys: 'c', 8 bytes of deadline, the id (station.c, expiry_key()). */
		MDB_cursor *ec;
		MDB_val ek, ev;
		bool found = false;
		CHECK(mdb_cursor_open(txn, expiry, &ec) == 0);
		for (int r2 = mdb_cursor_get(ec, &ek, &ev, MDB_FIRST); r2 == 0 && !found;
		     r2 = mdb_cursor_get(ec, &ek, &ev, MDB_NEXT)) {
			found = ek.mv_size == 9 + k.mv_size &&
				((const char *)ek.mv_data)[0] == 'c' &&
				memcmp((const char *)ek.mv_data + 9, k.mv_data, k.mv_size) == 0;
		}
		mdb_cursor_close(ec);
		CHECK_MSG(found, "the crop of %.*s has no deadline: it would never be purged",
			  (int)k.mv_size, (const char *)k.mv_data);
		n++;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	CHECK_INT_EQ(n, want_crops);
}

/* A newer version of a held read that carries no crop (the unit's copy expired first, or it
 * was sent without) replaces the read and leaves the held crop under its own deadline. */
static void test_replaced_crop(void)
{
	struct station_proc sp = {0};
	struct creds admin;
	struct unit u;
	struct sync_round_result res;
	char id[STORE_ID_MAX + 1];

	station_make(&sp);
	enroll(&sp, "unit12", SYNC_ROLE_UNIT, -60, 86400, &u.creds);
	enroll(&sp, "admin", SYNC_ROLE_ADMIN, -60, 86400, &admin);
	station_up(&sp, 0);
	unit_open(&u, "unit12", sp.url, false, NULL);
	add_reads(&u, 1, 3, id); /* read 0 of add_reads() carries a crop */
	CHECK_OK(sync_client_run_once(u.client, &res));
	CHECK_INT_EQ(res.uploaded, 1);
	json_t *s = stats(&sp, &admin);
	CHECK_INT_EQ(stat_int(s, NULL, "crops"), 1);
	json_decref(s);

	/* Revision 1 of the read, without its crop. */
	char *text = batch_of(&u, id);
	json_t *batch = json_loads(text, 0, NULL);
	free(text);
	json_t *rd = json_array_get(json_object_get(batch, "reads"), 0);
	CHECK(json_object_del(rd, "crop") == 0);
	json_object_set_new(rd, "revision", json_integer(1));
	text = json_dumps(batch, JSON_COMPACT);
	json_decref(batch);
	post_batch(&sp, &u, text);
	free(text);
	s = stats(&sp, &admin);
	CHECK_INT_EQ(stat_int(s, "unit12", "updated"), 1);
	CHECK_INT_EQ(stat_int(s, NULL, "crops"), 1);
	json_decref(s);

	unit_close(&u);
	station_down(&sp);
	check_crops_expire(&sp, 1);
}

static const struct check_case cases[] = {
	{"happy-path", test_happy_path},
	{"station-down-up", test_station_down_up},
	{"cut-connections", test_cut_connections},
	{"tampered-delta", test_tampered_delta},
	{"bad-certs", test_bad_certs},
	{"oversized", test_oversized},
	{"malformed", test_malformed},
	{"replay", test_replay},
	{"hotlist-publish", test_hotlist_publish},
	{"checkpoint-signature", test_checkpoint_signature},
	{"early-hit-update", test_early_hit_update},
	{"replaced-crop", test_replaced_crop},
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
