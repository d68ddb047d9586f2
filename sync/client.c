/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The unit's sync client: upload in batches, mark synced only what the station's
 * acknowledgement lists, download signed hotlist deltas, back off with jitter when the link
 * is down. Protocol: docs/sync-protocol.md.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "audit.h"
#include "hotlist.h"
#include "store.h"
#include "sync-private.h"

#define PATH_LEN 4096
/* Hotlist downloads per list per round: a delta, and a snapshot if the delta's base does
 * not match; more would be a station sending something that never applies. */
#define DOWNLOADS_PER_LIST 2

static const char *const event_names[SYNC_EVENT_COUNT] = {
	"round_ok",        "error",         "hotlist_updated",
	"hotlist_refused", "reads_refused", "checkpoint_refused",
};

const char *sync_event_name(enum sync_event ev)
{
	return (unsigned)ev < SYNC_EVENT_COUNT ? event_names[ev] : "?";
}

struct sync_client {
	char url[1024];
	char cert[PATH_LEN], key[PATH_LEN], ca[PATH_LEN], pub[PATH_LEN], state[PATH_LEN];
	struct sync_tls tls;
	struct store *store;
	struct hotlist *hotlist;
	struct audit *audit;
	const struct alpr_clock *clock;
	size_t batch_reads, batch_bytes;
	long connect_ms, stall_ms;
	int64_t backoff_min, backoff_max, interval;
	void (*on_status)(const struct sync_status *st, void *userdata);
	void *userdata;
	CURL *curl; /* kept between requests of a round: one TLS session, keep-alive */
	uint64_t rng;

	/* Shared with the thread. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool running, kicked;
	volatile int cancel;
	int64_t last_sync_at;
	uint64_t consecutive_errors;
};

static void copy_opt(char *dst, size_t sz, const char *src)
{
	alpr_strlcpy(dst, src ? src : "", sz);
}

int sync_client_create(const struct sync_client_options *o, struct sync_client **out)
{
	const char *missing = !o                                      ? "options"
			      : !o->station_url                       ? "station_url"
			      : !o->cert_path                         ? "cert_path"
			      : !o->key_path                          ? "key_path"
			      : !o->ca_path                           ? "ca_path"
			      : !o->state_dir                         ? "state_dir"
			      : !o->store                             ? "store"
			      : o->hotlist && !o->hotlist_pubkey_path ? "hotlist_pubkey_path"
								      : NULL;
	if (missing) {
		alpr_error("sync", "client: %s: missing", missing);
		return -EINVAL;
	}
	if (strncmp(o->station_url, "https://", 8) != 0 || strlen(o->station_url) > 1000) {
		alpr_error("sync", "client: station_url: not an https:// URL");
		return -EINVAL;
	}
	int r = alpr_mkdir_p(o->state_dir);
	if (r < 0) {
		alpr_error("sync", "client: state_dir: %s: %s", o->state_dir, alpr_strerror(r));
		return r;
	}
	struct sync_client *c = alpr_xcalloc(1, sizeof(*c));
	copy_opt(c->url, sizeof(c->url), o->station_url);
	size_t ul = strlen(c->url);
	if (ul && c->url[ul - 1] == '/') {
		c->url[ul - 1] = '\0';
	}
	copy_opt(c->cert, sizeof(c->cert), o->cert_path);
	copy_opt(c->key, sizeof(c->key), o->key_path);
	copy_opt(c->ca, sizeof(c->ca), o->ca_path);
	copy_opt(c->pub, sizeof(c->pub), o->hotlist_pubkey_path);
	copy_opt(c->state, sizeof(c->state), o->state_dir);
	c->tls = (struct sync_tls){c->cert, c->key, c->ca};
	c->store = o->store;
	c->hotlist = o->hotlist;
	c->audit = o->audit;
	c->clock = o->clock;
	c->batch_reads = o->batch_reads ? o->batch_reads : SYNC_BATCH_READS_DEFAULT;
	c->batch_bytes = o->batch_bytes ? o->batch_bytes : SYNC_BATCH_BYTES_DEFAULT;
	c->connect_ms = o->connect_timeout_ms;
	c->stall_ms = o->stall_timeout_ms;
	c->backoff_min = o->backoff_min_us > 0 ? o->backoff_min_us : SYNC_BACKOFF_MIN_US_DEFAULT;
	c->backoff_max = o->backoff_max_us > 0 ? o->backoff_max_us : SYNC_BACKOFF_MAX_US_DEFAULT;
	c->backoff_max = ALPR_MAX(c->backoff_max, c->backoff_min);
	c->interval = o->interval_us > 0 ? o->interval_us : SYNC_INTERVAL_US_DEFAULT;
	c->on_status = o->on_status;
	c->userdata = o->userdata;
	if (getrandom(&c->rng, sizeof(c->rng), 0) != sizeof(c->rng) || c->rng == 0) {
		c->rng = (uint64_t)alpr_monotonic_us() | 1;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	*out = c;
	return 0;
}

void sync_client_destroy(struct sync_client *c)
{
	if (!c) {
		return;
	}
	sync_client_stop(c);
	if (c->curl) {
		curl_easy_cleanup(c->curl);
	}
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
}

/* ---- requests -------------------------------------------------------------------------- */

static int request(struct sync_client *c, const char *method, const char *path, const void *body,
		   size_t len, FILE *out, uint64_t max, struct sync_http *res)
{
	char url[1200];
	snprintf(url, sizeof(url), "%s%s", c->url, path);
	if (!c->curl) {
		c->curl = curl_easy_init();
	}
	struct sync_http_request req = {
		.method = method,
		.url = url,
		.tls = &c->tls,
		.content_type = "application/json",
		.body = body,
		.body_len = len,
		.out = out,
		.max_answer = max,
		.connect_timeout_ms = c->connect_ms,
		.stall_timeout_ms = c->stall_ms,
		.curl = c->curl,
		.cancel = &c->cancel,
	};
	return sync_http_do(&req, res);
}

/* The station's one-line error from a JSON answer, or the status. */
static void answer_error(const struct sync_http *res, char *buf, size_t sz, const char *what)
{
	json_t *o = res->body ? json_loads(res->body, 0, NULL) : NULL;
	const char *e = json_string_value(json_object_get(o, "error"));
	snprintf(buf, sz, "%s: station answered %ld%s%s", what, res->status, e ? ": " : "",
		 e ? e : "");
	json_decref(o);
}

static int status_errno(long status)
{
	switch (status) {
	case 401:
	case 403:
		return -EACCES;
	case 413:
		return -EFBIG;
	case 503:
	case 507:
		return -EAGAIN;
	default:
		return -EPROTO;
	}
}

static void emit(struct sync_client *c, struct sync_status *st)
{
	if (c->on_status) {
		c->on_status(st, c->userdata);
	}
}

/* ---- upload ---------------------------------------------------------------------------- */

struct upload {
	struct sync_client *c;
	struct sync_round_result *res;
	json_t *reads;
	size_t bytes;
	int error;
};

/* Sends the pending batch; marks synced what the answer lists. */
static int flush(struct upload *u)
{
	struct sync_client *c = u->c;
	struct sync_http res;
	size_t n = json_array_size(u->reads);
	if (n == 0) {
		return 0;
	}
	json_t *body = json_pack("{s:s, s:O}", "format", SYNC_FORMAT_READS, "reads", u->reads);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	json_array_clear(u->reads);
	u->bytes = 0;
	int r = request(c, "POST", "/v1/reads", text, strlen(text), NULL, 0, &res);
	free(text);
	if (r < 0) {
		snprintf(u->res->error, sizeof(u->res->error), "upload: %s", res.error);
		return r;
	}
	if (res.status != 200) {
		answer_error(&res, u->res->error, sizeof(u->res->error), "upload");
		r = status_errno(res.status);
		sync_http_finish(&res);
		return r;
	}
	json_error_t jerr;
	json_t *ack = json_loadb(res.body, res.body_len, 0, &jerr);
	sync_http_finish(&res);
	const json_t *stored = json_object_get(ack, "stored");
	const json_t *refused = json_object_get(ack, "refused");
	const json_t *fmt = json_object_get(ack, "format");
	if (!json_is_string(fmt) || strcmp(json_string_value(fmt), SYNC_FORMAT_ACK) != 0 ||
	    !json_is_array(stored) || !json_is_array(refused) ||
	    json_array_size(stored) + json_array_size(refused) > n) {
		json_decref(ack);
		snprintf(u->res->error, sizeof(u->res->error), "upload: a malformed ack");
		return -EPROTO;
	}
	/* Both lists are final: stored is durable at the station; refused will never be
	 * taken (expired, refused category), so retrying it would only block the queue. */
	size_t ns = json_array_size(stored), nr = json_array_size(refused);
	const char **ids = alpr_xcalloc(ns + nr + 1, sizeof(*ids));
	size_t k = 0;
	for (size_t i = 0; i < ns; i++) {
		const char *id = json_string_value(json_array_get(stored, i));
		if (id) {
			ids[k++] = id;
		}
	}
	for (size_t i = 0; i < nr; i++) {
		const json_t *e = json_array_get(refused, i);
		const char *id = json_string_value(json_object_get(e, "id"));
		if (id) {
			ids[k++] = id;
			alpr_warn("sync", "station refused %s: %s", id,
				  json_string_value(json_object_get(e, "reason")));
		}
	}
	r = store_mark_synced(c->store, ids, k);
	free(ids);
	if (r < 0) {
		snprintf(u->res->error, sizeof(u->res->error), "upload: marking synced: %s",
			 alpr_strerror(r));
	} else {
		u->res->uploaded += ns;
		u->res->refused += nr;
		u->res->batches++;
		if (nr) {
			struct sync_status st = {.event = SYNC_EVENT_READS_REFUSED, .refused = nr};
			const json_t *e = json_array_get(refused, 0);
			snprintf(st.message, sizeof(st.message),
				 "station refused %zu read%s (first: %s)", nr, nr == 1 ? "" : "s",
				 json_string_value(json_object_get(e, "reason")));
			emit(c, &st);
		}
	}
	json_decref(ack);
	return r;
}

static int on_unsynced(const struct store_read *r, const struct store_hit *hit, void *ud)
{
	struct upload *u = ud;
	if (u->c->cancel) {
		return -ECANCELED;
	}
	json_t *o = sync_read_to_json(r, hit, true);
	/* Crop bytes dominate; the rest of a read is under 2 KiB. */
	size_t sz = sync_base64_len(r->crop_len) + 2048;
	if (json_array_size(u->reads) > 0 && u->bytes + sz > u->c->batch_bytes) {
		int e = flush(u);
		if (e < 0) {
			json_decref(o);
			u->error = e;
			return e;
		}
	}
	json_array_append_new(u->reads, o);
	u->bytes += sz;
	if (json_array_size(u->reads) >= u->c->batch_reads) {
		int e = flush(u);
		if (e < 0) {
			u->error = e;
			return e;
		}
	}
	return 0;
}

static int upload(struct sync_client *c, struct sync_round_result *res)
{
	struct upload u = {.c = c, .res = res, .reads = json_array()};
	int r = store_foreach_unsynced(c->store, on_unsynced, &u);
	if (r == 0) {
		r = flush(&u);
	} else if (r > 0) {
		r = u.error ? u.error : -EIO;
	}
	json_decref(u.reads);
	if (r < 0 && !res->error[0]) {
		snprintf(res->error, sizeof(res->error), "upload: %s", alpr_strerror(r));
	}
	return r;
}

/* ---- audit checkpoint ------------------------------------------------------------------ */

static int send_checkpoint(struct sync_client *c, struct sync_round_result *res)
{
	char path[PATH_LEN + 32];
	_autofree_ char *text = NULL;
	size_t len;
	struct sync_http h;
	int r = audit_checkpoint(c->audit);
	if (r == -ENODATA) {
		return 0; /* an empty log: nothing to vouch for yet */
	}
	snprintf(path, sizeof(path), "%s/checkpoint.json", c->state);
	if (r < 0 || (r = audit_export_checkpoint(c->audit, path)) < 0 ||
	    (r = alpr_read_file(path, 4096, &text, &len)) < 0) {
		snprintf(res->error, sizeof(res->error), "checkpoint: %s", alpr_strerror(r));
		return r;
	}
	r = request(c, "POST", "/v1/checkpoint", text, len, NULL, 0, &h);
	if (r < 0) {
		snprintf(res->error, sizeof(res->error), "checkpoint: %s", h.error);
		return r;
	}
	if (h.status == 200) {
		res->checkpoint_sent = true;
	} else {
		struct sync_status st = {.event = SYNC_EVENT_CHECKPOINT_REFUSED,
					 .error = status_errno(h.status)};
		answer_error(&h, st.message, sizeof(st.message), "audit checkpoint");
		alpr_warn("sync", "%s", st.message);
		emit(c, &st);
	}
	sync_http_finish(&h);
	return 0;
}

/* ---- hotlist download ------------------------------------------------------------------ */

static int download_list(struct sync_client *c, const char *name, uint64_t station_version,
			 struct sync_round_result *res)
{
	char path[PATH_LEN + 32], rpath[256], err[512];
	bool snapshot = false;
	for (int attempt = 0; attempt < DOWNLOADS_PER_LIST; attempt++) {
		struct hotlist_list_info mine = {0};
		int r = hotlist_list_get(c->hotlist, name, &mine);
		if (r < 0 && r != -ENOENT) {
			return r;
		}
		if (mine.version >= station_version) {
			return 0;
		}
		snprintf(rpath, sizeof(rpath), "/v1/hotlists/%s?since=%llu%s", name,
			 (unsigned long long)mine.version, snapshot ? "&snapshot=1" : "");
		snprintf(path, sizeof(path), "%s/download.delta", c->state);
		FILE *f = fopen(path, "w");
		if (!f) {
			r = -errno;
			snprintf(res->error, sizeof(res->error), "%s: %s", path, strerror(-r));
			return r;
		}
		struct sync_http h;
		r = request(c, "GET", rpath, NULL, 0, f, SYNC_DELTA_MAX, &h);
		if (fclose(f) != 0 && r == 0) {
			r = -EIO;
		}
		if (r < 0) {
			snprintf(res->error, sizeof(res->error), "hotlist %s: %s", name, h.error);
			unlink(path);
			return r;
		}
		if (h.status == 204) {
			sync_http_finish(&h);
			return 0;
		}
		if (h.status != 200) {
			answer_error(&h, res->error, sizeof(res->error), "hotlist");
			sync_http_finish(&h);
			unlink(path);
			return status_errno(h.status);
		}
		sync_http_finish(&h);
		uint64_t v = 0;
		r = hotlist_delta_apply(c->hotlist, path, c->pub, &v, err, sizeof(err));
		unlink(path);
		struct sync_status st = {0};
		alpr_strlcpy(st.list, name, sizeof(st.list));
		if (r == 0) {
			res->lists_updated++;
			st.event = SYNC_EVENT_HOTLIST_UPDATED;
			st.list_version = v;
			snprintf(st.message, sizeof(st.message), "hotlist %s: version %llu", name,
				 (unsigned long long)v);
			emit(c, &st);
			return 0;
		}
		if (r == -ALPR_E_BASE && !snapshot && mine.version > 0) {
			/* Our content is not the delta's base: ask for the whole list. */
			snapshot = true;
			continue;
		}
		res->lists_refused++;
		st.event = SYNC_EVENT_HOTLIST_REFUSED;
		st.error = r;
		st.list_version = mine.version;
		/* hotlist's message starts with our temporary path: drop it. */
		const char *why = strstr(err, "download.delta");
		why = why ? why + 14 : err;
		why += strspn(why, ": ");
		snprintf(st.message, sizeof(st.message),
			 "hotlist %s refused, keeping version %llu: %s", name,
			 (unsigned long long)mine.version, why);
		alpr_warn("sync", "%s", st.message);
		emit(c, &st);
		return 0;
	}
	return 0;
}

static int download(struct sync_client *c, struct sync_round_result *res)
{
	struct sync_http h;
	int r = request(c, "GET", "/v1/hotlists", NULL, 0, NULL, 0, &h);
	if (r < 0) {
		snprintf(res->error, sizeof(res->error), "hotlists: %s", h.error);
		return r;
	}
	if (h.status != 200) {
		answer_error(&h, res->error, sizeof(res->error), "hotlists");
		sync_http_finish(&h);
		return status_errno(h.status);
	}
	json_t *o = json_loadb(h.body, h.body_len, 0, NULL);
	sync_http_finish(&h);
	const json_t *lists = json_object_get(o, "lists");
	if (!json_is_array(lists) || json_array_size(lists) > SYNC_LISTS_MAX) {
		json_decref(o);
		snprintf(res->error, sizeof(res->error), "hotlists: a malformed answer");
		return -EPROTO;
	}
	for (size_t i = 0; i < json_array_size(lists) && r == 0; i++) {
		const json_t *e = json_array_get(lists, i);
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *ver = json_string_value(json_object_get(e, "version"));
		int64_t v;
		if (!name || !hotlist_list_name_valid(name) || !ver ||
		    alpr_parse_int64(ver, strlen(ver), 0, INT64_MAX, &v) < 0) {
			snprintf(res->error, sizeof(res->error), "hotlists[%zu]: malformed", i);
			r = -EPROTO;
			break;
		}
		r = download_list(c, name, (uint64_t)v, res);
	}
	json_decref(o);
	return r;
}

/* ---- rounds ---------------------------------------------------------------------------- */

/* The link (or the station) is unreachable: nothing more to try this round. */
static bool link_down(int r)
{
	return r == -ECONNREFUSED || r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -ECONNRESET ||
	       r == -ECANCELED || r == -EACCES || r == -EIO;
}

static int round_run(struct sync_client *c, struct sync_round_result *res)
{
	struct store_stats ss;
	memset(res, 0, sizeof(*res));
	int r = 0;
	if (c->audit) {
		r = send_checkpoint(c, res);
	}
	if (!link_down(r)) {
		int u = upload(c, res);
		r = r ? r : u;
	}
	/* A refused batch on a working link still lets hotlists in. */
	if (c->hotlist && !link_down(r)) {
		int d = download(c, res);
		r = r ? r : d;
	}
	if (store_stats(c->store, &ss) == 0) {
		res->queue_depth = ss.unsynced;
	}
	pthread_mutex_lock(&c->lock);
	if (r == 0) {
		c->last_sync_at = alpr_clock_now(c->clock);
		c->consecutive_errors = 0;
	} else {
		c->consecutive_errors++;
	}
	pthread_mutex_unlock(&c->lock);
	if (r < 0) {
		if (!res->error[0]) {
			snprintf(res->error, sizeof(res->error), "%s", alpr_strerror(r));
		}
		alpr_info("sync", "round failed: %s", res->error);
	}
	return r;
}

int sync_client_run_once(struct sync_client *c, struct sync_round_result *res)
{
	struct sync_round_result local;
	res = res ? res : &local;
	pthread_mutex_lock(&c->lock);
	bool busy = c->running;
	pthread_mutex_unlock(&c->lock);
	if (busy) {
		return -EBUSY;
	}
	int r = round_run(c, res);
	struct sync_status st = {.event = r ? SYNC_EVENT_ERROR : SYNC_EVENT_ROUND_OK,
				 .error = r,
				 .queue_depth = res->queue_depth,
				 .uploaded = res->uploaded,
				 .refused = res->refused};
	pthread_mutex_lock(&c->lock);
	st.last_sync_at = c->last_sync_at;
	st.consecutive_errors = c->consecutive_errors;
	pthread_mutex_unlock(&c->lock);
	if (r) {
		snprintf(st.message, sizeof(st.message), "%s", res->error);
	} else {
		snprintf(st.message, sizeof(st.message),
			 "synced: %llu reads up, %llu waiting, %llu hotlist updates",
			 (unsigned long long)res->uploaded, (unsigned long long)res->queue_depth,
			 (unsigned long long)res->lists_updated);
	}
	emit(c, &st);
	return r;
}

/* Full jitter over the upper half: [delay/2, delay], delay = min * 2^errors capped. */
static int64_t backoff_delay(struct sync_client *c, uint64_t errors)
{
	int64_t d = c->backoff_min;
	for (uint64_t i = 1; i < errors && d < c->backoff_max; i++) {
		d *= 2;
	}
	d = ALPR_MIN(d, c->backoff_max);
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return d / 2 + (int64_t)(c->rng % (uint64_t)(d / 2 + 1));
}

static void *thread_main(void *arg)
{
	struct sync_client *c = arg;
	for (;;) {
		struct sync_round_result res;
		int r = round_run(c, &res);
		pthread_mutex_lock(&c->lock);
		int64_t delay = r ? backoff_delay(c, c->consecutive_errors) : c->interval;
		struct sync_status st = {.event = r ? SYNC_EVENT_ERROR : SYNC_EVENT_ROUND_OK,
					 .error = r,
					 .last_sync_at = c->last_sync_at,
					 .queue_depth = res.queue_depth,
					 .uploaded = res.uploaded,
					 .refused = res.refused,
					 .consecutive_errors = c->consecutive_errors,
					 .next_try_us = delay};
		bool stop = c->cancel;
		pthread_mutex_unlock(&c->lock);
		if (stop) {
			break;
		}
		if (r) {
			snprintf(st.message, sizeof(st.message), "%s", res.error);
		} else {
			snprintf(st.message, sizeof(st.message),
				 "synced: %llu reads up, %llu waiting, %llu hotlist updates",
				 (unsigned long long)res.uploaded,
				 (unsigned long long)res.queue_depth,
				 (unsigned long long)res.lists_updated);
		}
		emit(c, &st);
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t ns = (int64_t)ts.tv_nsec + (delay % ALPR_USEC_PER_SEC) * 1000;
		ts.tv_sec += (time_t)(delay / ALPR_USEC_PER_SEC + ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		pthread_mutex_lock(&c->lock);
		while (!c->cancel && !c->kicked) {
			if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) != 0) {
				break;
			}
		}
		c->kicked = false;
		stop = c->cancel;
		pthread_mutex_unlock(&c->lock);
		if (stop) {
			break;
		}
	}
	return NULL;
}

int sync_client_start(struct sync_client *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->running) {
		pthread_mutex_unlock(&c->lock);
		return -EALREADY;
	}
	c->cancel = 0;
	c->kicked = false;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&c->cond);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	int r = -pthread_create(&c->thread, NULL, thread_main, c);
	c->running = r == 0;
	pthread_mutex_unlock(&c->lock);
	return r;
}

void sync_client_kick(struct sync_client *c)
{
	pthread_mutex_lock(&c->lock);
	c->kicked = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void sync_client_stop(struct sync_client *c)
{
	pthread_mutex_lock(&c->lock);
	if (!c->running) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->cancel = 1;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_mutex_lock(&c->lock);
	c->running = false;
	c->cancel = 0;
	pthread_mutex_unlock(&c->lock);
}

/* ---- publishing ------------------------------------------------------------------------ */

/* One POST of @body to @station_url + @path by a person's tool (publish, export): 0 when an
 * answer arrived (look at h->status), else the transport's error in @err. */
static int tool_post(const char *station_url, const char *path, const struct sync_tls *tls,
		     const char *content_type, const char *body, size_t len, uint64_t max_answer,
		     struct sync_http *h, char *err, size_t errsz)
{
	char url[1200];
	snprintf(url, sizeof(url), "%s%s", station_url, path);
	struct sync_http_request req = {.method = "POST",
					.url = url,
					.tls = tls,
					.content_type = content_type,
					.body = body,
					.body_len = len,
					.max_answer = max_answer};
	int r = sync_http_do(&req, h);
	if (r < 0) {
		snprintf(err, errsz, "%s", h->error);
	}
	return r;
}

int sync_export(const char *station_url, const struct sync_tls *tls, const char *request,
		const char *out_path, char *err, size_t errsz)
{
	struct sync_http h;
	int r = tool_post(station_url, "/v1/export", tls, "application/json", request,
			  strlen(request), SYNC_EXPORT_MAX, &h, err, errsz);
	if (r < 0) {
		return r;
	}
	if (h.status == 200) {
		r = alpr_write_file_atomic(out_path, h.body, h.body_len, 0600);
		if (r < 0) {
			snprintf(err, errsz, "%s: %s", out_path, alpr_strerror(r));
		}
	} else {
		answer_error(&h, err, errsz, "export");
		r = h.status == 403 ? -ALPR_E_REFUSED : status_errno(h.status);
	}
	sync_http_finish(&h);
	return r;
}

int sync_publish(const char *station_url, const struct sync_tls *tls, const char *delta_path,
		 uint64_t *version, char *err, size_t errsz)
{
	_autofree_ char *text = NULL;
	size_t len;
	struct sync_http h;
	int r = alpr_read_file(delta_path, SYNC_PUBLISH_MAX, &text, &len);
	if (r < 0) {
		snprintf(err, errsz, "%s: %s", delta_path, alpr_strerror(r));
		return r;
	}
	r = tool_post(station_url, "/v1/hotlists", tls, "text/plain", text, len, 0, &h, err, errsz);
	if (r < 0) {
		return r;
	}
	json_t *o = h.body ? json_loads(h.body, 0, NULL) : NULL;
	if (h.status == 200) {
		const char *v = json_string_value(json_object_get(o, "version"));
		int64_t n = 0;
		if (!v || alpr_parse_int64(v, strlen(v), 0, INT64_MAX, &n) < 0) {
			snprintf(err, errsz, "station: a malformed answer");
			r = -EPROTO;
		} else if (version) {
			*version = (uint64_t)n;
		}
	} else {
		answer_error(&h, err, errsz, "publish");
		r = status_errno(h.status);
	}
	json_decref(o);
	sync_http_finish(&h);
	return r;
}
