/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * unit-audit.c: the runtime's audit hooks (unit-audit.h). Every record goes through the
 * search/ module's writers where one exists (report.h, search.h), so that the report and its
 * re-derivation count what the runtime wrote.
 */
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "search.h"
#include "unit-audit.h"

#define LOG "unit-audit"

struct list_version {
	char name[HOTLIST_LIST_NAME_MAX + 1];
	uint64_t version;
};

struct unit_audit {
	struct audit *log;
	const struct policy *policy;
	const struct alpr_clock *clock;

	pthread_mutex_t lock; /* the counters and list versions */
	char cameras[UNIT_AUDIT_CAMERAS_MAX][STORE_CAMERA_MAX + 1];
	uint64_t counts[UNIT_AUDIT_CAMERAS_MAX];
	size_t ncameras;
	int64_t counted_since;
	struct list_version lists[UNIT_AUDIT_LISTS_MAX];
	size_t nlists;
};

/* One record of this file's own vocabulary. @params is stolen (NULL: none). */
static int append(struct unit_audit *ua, const char *user, const char *role, const char *action,
		  json_t *params, const char *object_id, uint64_t count, const char *reason)
{
	char *text = params ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(params);
	if (params && !text) {
		return -EINVAL;
	}
	struct audit_record rec = {
		.user = user && *user ? user : "(none)",
		.role = role,
		.action = action,
		.params = text,
		.object_id = object_id,
		.result_count = count,
		.outcome = reason ? AUDIT_DENIED : AUDIT_ALLOWED,
		.reason = reason,
	};
	memcpy(rec.profile_hash, policy_hash(ua->policy), AUDIT_HASH_LEN);
	int r = audit_append(ua->log, &rec, NULL);
	if (r < 0) {
		alpr_error(LOG, "audit record %s: %s", action, alpr_strerror(r));
	}
	free(text);
	return r;
}

/* ---- life cycle ------------------------------------------------------------------------ */

struct newest {
	uint8_t profile_hash[AUDIT_HASH_LEN];
	bool found;
};

static int keep_newest(const struct audit_record *rec, void *userdata)
{
	struct newest *n = userdata;
	memcpy(n->profile_hash, rec->profile_hash, AUDIT_HASH_LEN);
	n->found = true;
	return 0;
}

int unit_audit_create(const struct unit_audit_options *o, struct unit_audit **out, char *err,
		      size_t errsz)
{
	if (!o || !o->dir || !o->device_id || !o->policy || !out) {
		snprintf(err, errsz, "audit: a folder, a device id and a profile are required");
		return -EINVAL;
	}
	struct unit_audit *ua = alpr_xcalloc(1, sizeof(*ua));
	ua->policy = o->policy;
	ua->clock = o->clock;
	pthread_mutex_init(&ua->lock, NULL);
	struct audit_open_opts ao = {
		.device_id = o->device_id,
		.key_path = o->key_path,
		.clock = o->clock,
	};
	int r = audit_open(o->dir, &ao, &ua->log);
	if (r < 0) {
		snprintf(err, errsz, "audit %s: %s%s", o->dir, alpr_strerror(r),
			 r == -EINVAL ? " (a log of another unit id?)" : "");
		unit_audit_destroy(ua);
		return r;
	}
	ua->counted_since = alpr_clock_now(ua->clock);

	/* A profile change between runs: the newest record names the profile it was written
	 * under (every record carries its hash). */
	uint64_t last = 0;
	struct newest n = {0};
	r = audit_last_seq(ua->log, &last);
	if (r == 0 && last > 0) {
		r = audit_foreach(ua->log, last, keep_newest, &n);
	}
	if (r < 0) {
		snprintf(err, errsz, "audit %s: %s", o->dir, alpr_strerror(r));
		unit_audit_destroy(ua);
		return r;
	}
	char prev[2 * AUDIT_HASH_LEN + 1] = "", cur[2 * AUDIT_HASH_LEN + 1];
	alpr_hex_encode(policy_hash(o->policy), AUDIT_HASH_LEN, cur);
	if (n.found) {
		alpr_hex_encode(n.profile_hash, AUDIT_HASH_LEN, prev);
	}
	/* The profile the previous start ran under, kept beside the log (records written in
	 * between, such as a policy.tighten, carry the profile they made). A lost file falls
	 * back to the newest record. */
	char inforce[PATH_MAX], *text = NULL;
	size_t tlen = 0;
	snprintf(inforce, sizeof(inforce), "%s/%s", o->dir, UNIT_AUDIT_POLICY_FILE);
	if (alpr_read_file(inforce, 2 * AUDIT_HASH_LEN + 1, &text, &tlen) == 0 &&
	    tlen >= 2 * AUDIT_HASH_LEN) {
		memcpy(prev, text, 2 * AUDIT_HASH_LEN);
		prev[2 * AUDIT_HASH_LEN] = '\0';
		n.found = true;
	}
	free(text);
	bool changed = n.found && strcmp(prev, cur) != 0;
	r = append(ua, "system", "system", UNIT_AUDIT_POLICY_LOAD,
		   json_pack("{s:s, s:b, s:s?}", "profile", policy_name(o->policy), "changed",
			     changed, "previous_hash", n.found ? prev : NULL),
		   cur, 0, NULL);
	if (r == 0) {
		r = alpr_write_file_atomic(inforce, cur, 2 * AUDIT_HASH_LEN, 0644);
	}
	if (r < 0) {
		snprintf(err, errsz, "audit %s: %s", o->dir, alpr_strerror(r));
		unit_audit_destroy(ua);
		return r;
	}
	*out = ua;
	return 0;
}

void unit_audit_destroy(struct unit_audit *ua)
{
	if (!ua) {
		return;
	}
	if (ua->log) {
		/* unit_wait() wrote the counts of a run; anything counted since still goes. */
		bool any = false;
		for (size_t i = 0; i < ua->ncameras; i++) {
			any |= ua->counts[i] > 0;
		}
		if (any) {
			unit_audit_flush_reads(ua);
		}
		int r = audit_checkpoint(ua->log);
		if (r < 0 && r != -ENODATA) {
			alpr_warn(LOG, "checkpoint at shutdown: %s", alpr_strerror(r));
		}
		audit_close(ua->log);
	}
	pthread_mutex_destroy(&ua->lock);
	free(ua);
}

struct audit *unit_audit_log(struct unit_audit *ua)
{
	return ua ? ua->log : NULL;
}

/* ---- the report's records -------------------------------------------------------------- */

void unit_audit_on_purge(const struct store_purge_counts *counts, void *userdata)
{
	struct unit_audit *ua = userdata;
	if (ua && counts) {
		/* A failure is logged by the writer; the purge itself has happened. */
		(void)report_record_purge(ua->log, ua->policy, counts);
	}
}

int unit_audit_set_cameras(struct unit_audit *ua, const char *const *names, size_t n)
{
	if (!ua || n > UNIT_AUDIT_CAMERAS_MAX) {
		return -EINVAL;
	}
	pthread_mutex_lock(&ua->lock);
	for (size_t i = 0; i < n; i++) {
		alpr_strlcpy(ua->cameras[i], names[i], sizeof(ua->cameras[i]));
		ua->counts[i] = 0;
	}
	ua->ncameras = n;
	pthread_mutex_unlock(&ua->lock);
	return 0;
}

/* Takes the counts under the lock, writes them outside it. */
static int write_counts(struct unit_audit *ua, char names[][STORE_CAMERA_MAX + 1],
			const uint64_t *counts, size_t n)
{
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		int ri = report_record_reads(ua->log, ua->policy, names[i], counts[i]);
		if (ri < 0 && r == 0) {
			r = ri;
		}
	}
	return r;
}

static size_t take_counts(struct unit_audit *ua, char names[][STORE_CAMERA_MAX + 1],
			  uint64_t *counts)
{
	size_t n = ua->ncameras;
	for (size_t i = 0; i < n; i++) {
		memcpy(names[i], ua->cameras[i], sizeof(ua->cameras[i]));
		counts[i] = ua->counts[i];
		ua->counts[i] = 0;
	}
	ua->counted_since = alpr_clock_now(ua->clock);
	return n;
}

void unit_audit_read(struct unit_audit *ua, const char *camera)
{
	char names[UNIT_AUDIT_CAMERAS_MAX][STORE_CAMERA_MAX + 1];
	uint64_t counts[UNIT_AUDIT_CAMERAS_MAX];
	size_t n = 0;

	if (!ua || !camera) {
		return;
	}
	pthread_mutex_lock(&ua->lock);
	for (size_t i = 0; i < ua->ncameras; i++) {
		if (strcmp(ua->cameras[i], camera) == 0) {
			ua->counts[i]++;
			break;
		}
	}
	if (alpr_clock_now(ua->clock) - ua->counted_since >= UNIT_AUDIT_READS_EVERY_US) {
		n = take_counts(ua, names, counts);
	}
	pthread_mutex_unlock(&ua->lock);
	if (n) {
		(void)write_counts(ua, names, counts, n);
	}
}

int unit_audit_flush_reads(struct unit_audit *ua)
{
	char names[UNIT_AUDIT_CAMERAS_MAX][STORE_CAMERA_MAX + 1];
	uint64_t counts[UNIT_AUDIT_CAMERAS_MAX];

	if (!ua) {
		return -EINVAL;
	}
	pthread_mutex_lock(&ua->lock);
	size_t n = take_counts(ua, names, counts);
	pthread_mutex_unlock(&ua->lock);
	return write_counts(ua, names, counts, n);
}

int unit_audit_hit(struct unit_audit *ua, const char *read_id, enum policy_category category)
{
	if (!ua) {
		return -EINVAL;
	}
	return report_record_hit(ua->log, ua->policy, read_id, category);
}

/* ---- hotlist versions and historical hits ---------------------------------------------- */

struct cat_count {
	uint64_t n[POLICY_CAT_COUNT];
};

static int count_entry(const struct hotlist_entry *e, void *userdata)
{
	struct cat_count *c = userdata;
	if ((unsigned)e->category < POLICY_CAT_COUNT) {
		c->n[e->category]++;
	}
	return 0;
}

/* "hotlist.load" for one list, or for "*" (every list) from the database's own counts. */
static int record_load(struct unit_audit *ua, struct hotlist *h, const char *list, uint64_t version)
{
	uint64_t refused[POLICY_CAT_COUNT] = {0};
	struct cat_count c = {{0}};
	int r;

	if (strcmp(list, "*") == 0) {
		struct hotlist_stats st;
		r = hotlist_stats(h, &st);
		memcpy(c.n, st.by_category, sizeof(c.n));
	} else {
		r = hotlist_foreach(h, list, "", count_entry, &c);
	}
	if (r < 0) {
		return r;
	}
	/* Refused entries never reach a unit (the importer and the station refuse them). */
	return report_record_hotlist_load(ua->log, ua->policy, list, version, c.n, refused);
}

int unit_audit_hotlist_loaded(struct unit_audit *ua, struct hotlist *h)
{
	struct hotlist_list_info info[UNIT_AUDIT_LISTS_MAX];
	struct hotlist_stats st;

	if (!ua || !h) {
		return -EINVAL;
	}
	int n = hotlist_lists(h, info, UNIT_AUDIT_LISTS_MAX);
	if (n < 0) {
		return n;
	}
	int r = hotlist_stats(h, &st);
	if (r < 0) {
		return r;
	}
	pthread_mutex_lock(&ua->lock);
	ua->nlists = (size_t)ALPR_MIN(n, UNIT_AUDIT_LISTS_MAX);
	uint64_t newest = 0;
	for (size_t i = 0; i < ua->nlists; i++) {
		alpr_strlcpy(ua->lists[i].name, info[i].name, sizeof(ua->lists[i].name));
		ua->lists[i].version = info[i].version;
		newest = ALPR_MAX(newest, info[i].version);
	}
	size_t nl = ua->nlists;
	pthread_mutex_unlock(&ua->lock);
	if (st.entries > UNIT_AUDIT_COUNT_PER_LIST_MAX || n > UNIT_AUDIT_LISTS_MAX) {
		return record_load(ua, h, "*", newest);
	}
	for (size_t i = 0; i < nl; i++) {
		r = record_load(ua, h, info[i].name, info[i].version);
		if (r < 0) {
			return r;
		}
	}
	return 0;
}

struct added {
	struct hotlist_entry *e;
	size_t n, cap;
	uint64_t total;
};

static int collect_added(enum hotlist_change_op op, const struct hotlist_entry *old_e,
			 const struct hotlist_entry *new_e, void *userdata)
{
	struct added *a = userdata;
	/* An update that keeps the plate changes nothing a past read could match. */
	if (op == HOTLIST_CHANGE_REMOVE ||
	    (op == HOTLIST_CHANGE_UPDATE && old_e && strcmp(old_e->plate, new_e->plate) == 0)) {
		return 0;
	}
	a->total++;
	if (a->n < a->cap) {
		a->e[a->n++] = *new_e;
	}
	return 0;
}

static int collect_all(const struct hotlist_entry *e, void *userdata)
{
	return collect_added(HOTLIST_CHANGE_ADD, NULL, e, userdata);
}

static int historical(struct unit_audit *ua, struct store *s, const struct hotlist_entry *e,
		      const char *user, const char *role, uint64_t *nhits)
{
	struct search_entry se = {
		.plate = e->plate,
		.state = e->state[0] ? e->state : "??",
		.category = e->category,
		.list = e->list,
		.record_id = e->source_record_id,
	};
	uint64_t n = 0;
	int r = search_historical_hits(s, ua->log, ua->policy, &se, user, role, NULL, NULL, &n);
	if (r == 0 && nhits) {
		*nhits += n;
	}
	return r;
}

int unit_audit_hotlist_updated(struct unit_audit *ua, struct store *s, struct hotlist *h,
			       const char *list, uint64_t version, uint64_t *nhits)
{
	uint64_t from = 0;
	size_t i;
	int r;

	if (nhits) {
		*nhits = 0;
	}
	if (!ua || !h || !list) {
		return -EINVAL;
	}
	pthread_mutex_lock(&ua->lock);
	for (i = 0; i < ua->nlists && strcmp(ua->lists[i].name, list) != 0; i++) {
	}
	if (i < ua->nlists) {
		from = ua->lists[i].version;
	}
	pthread_mutex_unlock(&ua->lock);

	r = unit_audit_hotlist_loaded(ua, h);
	if (r < 0 || !s || from >= version) {
		return r;
	}
	struct added a = {.cap = UNIT_AUDIT_HISTORICAL_MAX};
	a.e = alpr_xcalloc(a.cap, sizeof(*a.e));
	if (from > 0) {
		r = hotlist_diff(h, list, from, version, collect_added, &a);
	} else {
		/* A list new to this unit: every entry is new. */
		r = hotlist_foreach(h, list, "", collect_all, &a);
	}
	char obj[HOTLIST_LIST_NAME_MAX + 24];
	snprintf(obj, sizeof(obj), "%s:%llu", list, (unsigned long long)version);
	if (r < 0) {
		/* The old version is no longer kept (a snapshot replaced it): say so. */
		char why[160];
		snprintf(why, sizeof(why), "version: the changes from %llu are not kept (%s)",
			 (unsigned long long)from, alpr_strerror(r));
		r = append(ua, "sync", "system", SEARCH_ACTION_HIST_CHECK,
			   json_pack("{s:s, s:I, s:I}", "list", list, "from", (json_int_t)from,
				     "to", (json_int_t)version),
			   obj, 0, why);
	} else if (a.total > a.cap) {
		char why[160];
		snprintf(why, sizeof(why),
			 "entries: %llu new entries, over the unit's %d; not checked here",
			 (unsigned long long)a.total, UNIT_AUDIT_HISTORICAL_MAX);
		r = append(ua, "sync", "system", SEARCH_ACTION_HIST_CHECK,
			   json_pack("{s:s, s:I, s:I}", "list", list, "from", (json_int_t)from,
				     "to", (json_int_t)version),
			   obj, a.total, why);
	} else {
		for (size_t k = 0; k < a.n; k++) {
			int rk = historical(ua, s, &a.e[k], "sync", "system", nhits);
			if (rk < 0 && rk != -ALPR_E_REFUSED && r == 0) {
				r = rk;
			}
		}
	}
	free(a.e);
	pthread_mutex_lock(&ua->lock);
	for (i = 0; i < ua->nlists; i++) {
		if (strcmp(ua->lists[i].name, list) == 0) {
			ua->lists[i].version = version;
		}
	}
	pthread_mutex_unlock(&ua->lock);
	return r;
}

/* ---- the officer ----------------------------------------------------------------------- */

int unit_audit_sign_in(struct unit_audit *ua, const char *officer, bool accepted,
		       const char *reason)
{
	if (!ua) {
		return -EINVAL;
	}
	return append(ua, officer, "officer", UNIT_AUDIT_SIGN_IN, NULL, NULL, 0,
		      accepted            ? NULL
		      : reason && *reason ? reason
					  : "refused");
}

int unit_audit_sign_out(struct unit_audit *ua, const char *officer)
{
	if (!ua) {
		return -EINVAL;
	}
	return append(ua, officer, "officer", UNIT_AUDIT_SIGN_OUT, NULL, NULL, 0, NULL);
}

static bool officer_ok(const char *officer)
{
	size_t n = officer ? strlen(officer) : 0;
	if (n == 0 || n > STORE_SHORT_MAX) {
		return false;
	}
	for (const char *p = officer; *p; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("_.:/-", *p))) {
			return false;
		}
	}
	return true;
}

/* A record id or agency: empty, or store.h's short-field alphabet. */
static bool short_ok(const char *s)
{
	return !*s || officer_ok(s);
}

static bool read_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > STORE_ID_MAX) {
		return false;
	}
	for (const char *p = id; *p; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("_.-", *p))) {
			return false;
		}
	}
	return true;
}

/* A refusal: one line in @err, one denied record, -ALPR_E_REFUSED (or the audit error). */
/* A hit whose read the store could not keep (full, or an I/O error): the officer must still
 * be able to verify it and clear its card, and what they did is recorded all the same, with
 * "stored": false and no object id. There is no stored state to check it against. */
static bool unstored(const char *read_id)
{
	return read_id && strcmp(read_id, STORE_ID_UNSTORED) == 0;
}

static int refuse(struct unit_audit *ua, const char *officer, const char *action, json_t *params,
		  const char *object_id, char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

static int refuse(struct unit_audit *ua, const char *officer, const char *action, json_t *params,
		  const char *object_id, char *err, size_t errsz, const char *fmt, ...)
{
	char why[SEARCH_REASON_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (err) {
		alpr_strlcpy(err, why, errsz);
	}
	/* Hostile text is not recorded as such: an id that fails its syntax is replaced. */
	int r = append(ua, officer_ok(officer) ? officer : "(invalid)", "officer", action, params,
		       read_id_ok(object_id) ? object_id : NULL, 0, why);
	return r < 0 ? r : -ALPR_E_REFUSED;
}

int unit_audit_verify(struct unit_audit *ua, struct store *s, const char *read_id,
		      const char *officer, bool match, char *err, size_t errsz)
{
	struct store_hit hit;

	if (!ua || !s) {
		return -EINVAL;
	}
	json_t *params = json_pack("{s:b}", "match", match);
	if (!officer_ok(officer)) {
		return refuse(ua, officer, UNIT_AUDIT_VERIFY, params, read_id, err, errsz,
			      "officer: not a valid officer id");
	}
	if (unstored(read_id)) {
		json_object_set_new(params, "stored", json_false());
		return append(ua, officer, "officer", UNIT_AUDIT_VERIFY, params, NULL, 1, NULL);
	}
	if (!read_id_ok(read_id)) {
		return refuse(ua, officer, UNIT_AUDIT_VERIFY, params, NULL, err, errsz,
			      "read: not a read id");
	}
	int r = store_get_hit(s, read_id, &hit);
	if (r < 0) {
		return refuse(ua, officer, UNIT_AUDIT_VERIFY, params, read_id, err, errsz,
			      "read: %s: %s", read_id,
			      r == -ENOENT ? "no such hit (or past its retention)"
					   : alpr_strerror(r));
	}
	return append(ua, officer, "officer", UNIT_AUDIT_VERIFY, params, read_id, 1, NULL);
}

struct dispose_ctx {
	struct unit_audit *ua;
	const char *read_id, *officer;
	enum store_hit_status status;
	bool recorded;
};

static int record_disposition(void *arg)
{
	struct dispose_ctx *c = arg;
	int r = report_record_disposition(c->ua->log, c->ua->policy, c->read_id, c->officer,
					  c->status);
	c->recorded = r == 0;
	return r;
}

int unit_audit_dispose(struct unit_audit *ua, struct store *s, const char *read_id,
		       enum store_hit_status status, const char *officer, char *err, size_t errsz)
{
	if (!ua || !s) {
		return -EINVAL;
	}
	bool status_ok = (unsigned)status < STORE_HIT_STATUS_COUNT;
	json_t *params =
		json_pack("{s:s}", "status", status_ok ? store_hit_status_name(status) : "?");
	if (!officer_ok(officer)) {
		return refuse(ua, officer, REPORT_ACTION_DISPOSITION, params, read_id, err, errsz,
			      "officer: not a valid officer id");
	}
	if (!read_id_ok(read_id)) {
		return refuse(ua, officer, REPORT_ACTION_DISPOSITION, params, NULL, err, errsz,
			      "read: not a read id");
	}
	if (!status_ok || status == STORE_HIT_UNVERIFIED) {
		return refuse(ua, officer, REPORT_ACTION_DISPOSITION, params, read_id, err, errsz,
			      "status: not a disposition");
	}
	if (unstored(read_id)) {
		/* Counted by the report like any disposition: the hit itself was recorded
		 * (unit_audit_hit) with the same id. */
		json_object_set_new(params, "stored", json_false());
		return append(ua, officer, "officer", REPORT_ACTION_DISPOSITION, params, NULL, 1,
			      NULL);
	}
	/* The audit record is made durable inside the store's transaction, before its commit:
	 * a power cut may leave a record of a disposition the store lacks, never the reverse. */
	struct dispose_ctx dc = {ua, read_id, officer, status, false};
	int r = store_set_disposition_hooked(s, read_id, status, officer, record_disposition, &dc);
	if (r < 0 && dc.recorded) {
		/* Recorded, then the store's commit failed: say so in the log too. */
		alpr_error(LOG, "disposition of %s recorded but not stored: %s", read_id,
			   alpr_strerror(r));
		snprintf(err, errsz, "store: %s", alpr_strerror(r));
		return r;
	}
	if (r == -EPERM || r == -EALREADY || r == -ENOENT || r == -EINVAL) {
		struct store_hit hit;
		const char *from = store_get_hit(s, read_id, &hit) == 0
					   ? store_hit_status_name(hit.status)
					   : NULL;
		return refuse(ua, officer, REPORT_ACTION_DISPOSITION, params, read_id, err, errsz,
			      "status: %s%s%s", r == -ENOENT ? "no such hit" : "not allowed",
			      from ? " from " : "", from ? from : "");
	}
	json_decref(params);
	if (r < 0) {
		snprintf(err, errsz, "store: %s", alpr_strerror(r));
		return r;
	}
	return 0;
}

int unit_audit_officer_entry(struct unit_audit *ua, struct store *s, struct hotlist *h,
			     const struct hotlist_entry *e, const char *officer, uint64_t *nhits,
			     char *err, size_t errsz)
{
	char herr[512] = "";
	uint64_t version = 0;

	if (nhits) {
		*nhits = 0;
	}
	if (!ua || !h || !e) {
		return -EINVAL;
	}
	bool cat_ok = (unsigned)e->category < POLICY_CAT_COUNT;
	/* The entry by list, category, state and record id; never the plate. */
	json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:I}", "list",
				   hotlist_list_name_valid(e->list) ? e->list : "?", "category",
				   cat_ok ? policy_category_name(e->category) : "?", "state",
				   hotlist_state_valid(e->state) ? e->state : "?", "record_id",
				   short_ok(e->source_record_id) ? e->source_record_id : "?",
				   "expires_us", (json_int_t)e->expires_at);
	if (!officer_ok(officer)) {
		return refuse(ua, officer, UNIT_AUDIT_OFFICER_ENTRY, params, NULL, err, errsz,
			      "officer: not a valid officer id");
	}
	if (cat_ok && policy_category_refused(ua->policy, e->category)) {
		return refuse(ua, officer, UNIT_AUDIT_OFFICER_ENTRY, params, NULL, err, errsz,
			      "category: %s is refused by profile %s",
			      policy_category_name(e->category), policy_name(ua->policy));
	}
	int r = hotlist_add(h, e, &version, herr, sizeof(herr));
	if (r == -ALPR_E_PARSE || r == -EINVAL || r == -ALPR_E_REFUSED) {
		return refuse(ua, officer, UNIT_AUDIT_OFFICER_ENTRY, params, NULL, err, errsz,
			      "entry: %s", herr[0] ? herr : alpr_strerror(r));
	}
	if (r < 0) {
		json_decref(params);
		snprintf(err, errsz, "hotlist: %s", alpr_strerror(r));
		return r;
	}
	char obj[HOTLIST_LIST_NAME_MAX + 24];
	snprintf(obj, sizeof(obj), "%s:%llu", e->list, (unsigned long long)version);
	r = append(ua, officer, "officer", UNIT_AUDIT_OFFICER_ENTRY, params, obj, 1, NULL);
	pthread_mutex_lock(&ua->lock);
	for (size_t i = 0; i < ua->nlists; i++) {
		if (strcmp(ua->lists[i].name, e->list) == 0) {
			ua->lists[i].version = version;
		}
	}
	pthread_mutex_unlock(&ua->lock);
	if (r == 0 && s) {
		uint64_t n = 0;
		r = historical(ua, s, e, officer, "officer", &n);
		if (nhits) {
			*nhits = n;
		}
	}
	return r;
}
