/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * test-accountability: issue 7 wired into the runtime. The unit's audit hooks
 * (app/unit-audit.h) over a real store, hotlist and audit log with a manual clock; a real
 * alpr-unit run on the test drive whose hit, verification, disposition and purge records
 * `alpr-audit verify` accepts and whose report re-derives; historical hits from a real signed
 * delta; every refusal of an officer action audited; hostile command lines refused whole.
 *
 * Environment (meson sets it): ALPR_UNIT_BIN, ALPR_AUDIT_BIN, ALPR_REPORT_BIN, the built
 * tools; ALPR_UNIT_DRIVE, the demo generator's 10-second drive (PNG folders).
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "check.h"
#include "common.h"
#include "hotlist.h"
#include "report.h"
#include "search.h"
#include "store.h"
#include "unit-audit.h"
#include "unit.h"

extern char **environ;

#define T0 (INT64_C(1795910400) * ALPR_USEC_PER_SEC) /* 2026-11-29T00:00:00Z */

/* ---- the log, copied out --------------------------------------------------------------- */

struct rec {
	uint64_t seq;
	char user[64], role[32], action[64], object_id[128], reason[256];
	char params[1024];
	enum audit_outcome outcome;
	uint64_t count;
};

struct recs {
	struct rec r[512];
	size_t n;
};

static int copy_rec(const struct audit_record *a, void *userdata)
{
	struct recs *rs = userdata;
	CHECK(rs->n < ALPR_ARRAY_SIZE(rs->r));
	struct rec *r = &rs->r[rs->n++];
	r->seq = a->seq;
	alpr_strlcpy(r->user, a->user ? a->user : "", sizeof(r->user));
	alpr_strlcpy(r->role, a->role ? a->role : "", sizeof(r->role));
	alpr_strlcpy(r->action, a->action ? a->action : "", sizeof(r->action));
	alpr_strlcpy(r->object_id, a->object_id ? a->object_id : "", sizeof(r->object_id));
	alpr_strlcpy(r->reason, a->reason ? a->reason : "", sizeof(r->reason));
	alpr_strlcpy(r->params, a->params ? a->params : "", sizeof(r->params));
	r->outcome = a->outcome;
	r->count = a->result_count;
	return 0;
}

static struct recs *read_log(struct audit *a, uint64_t from)
{
	struct recs *rs = alpr_xcalloc(1, sizeof(*rs));
	CHECK_OK(audit_foreach(a, from, copy_rec, rs));
	return rs;
}

static size_t count_action(const struct recs *rs, const char *action, int outcome)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->n; i++) {
		n += strcmp(rs->r[i].action, action) == 0 &&
		     (outcome < 0 || (int)rs->r[i].outcome == outcome);
	}
	return n;
}

static const struct rec *last_action(const struct recs *rs, const char *action)
{
	for (size_t i = rs->n; i-- > 0;) {
		if (strcmp(rs->r[i].action, action) == 0) {
			return &rs->r[i];
		}
	}
	check_fail(__FILE__, __LINE__, "no %s record", action);
}

static long long param_int(const struct rec *r, const char *key)
{
	json_t *o = json_loads(r->params, 0, NULL);
	CHECK_MSG(o, "params of %s: %s", r->action, r->params);
	json_t *v = json_object_get(o, key);
	CHECK_MSG(json_is_integer(v), "%s has no integer %s: %s", r->action, key, r->params);
	long long n = json_integer_value(v);
	json_decref(o);
	return n;
}

/* ---- a store, a log and a hotlist with a manual clock ---------------------------------- */

struct env {
	struct alpr_clock clock;
	struct policy *policy;
	struct store *store;
	struct unit_audit *ua;
	struct hotlist *hotlist;
	char store_dir[512], audit_dir[512];
};

static void env_open(struct env *e)
{
	char err[512] = "";
	memset(e, 0, sizeof(*e));
	alpr_clock_init_manual(&e->clock, T0);
	CHECK_OK(policy_load_named("default", &e->policy, err, sizeof(err)));
	snprintf(e->store_dir, sizeof(e->store_dir), "%s", check_path("store"));
	snprintf(e->audit_dir, sizeof(e->audit_dir), "%s", check_path("audit"));
	struct unit_audit_options ao = {
		.dir = e->audit_dir, .device_id = "car7", .policy = e->policy, .clock = &e->clock};
	int r = unit_audit_create(&ao, &e->ua, err, sizeof(err));
	CHECK_MSG(r == 0, "unit_audit_create: %s", err);
	struct store_options so = {.unit_id = "car7",
				   .policy = e->policy,
				   .clock = &e->clock,
				   .map_size = 64u << 20,
				   .on_purge = unit_audit_on_purge,
				   .userdata = e->ua};
	CHECK_OK(store_open(e->store_dir, &so, &e->store));
	struct hotlist_options ho = {
		.policy = e->policy, .clock = &e->clock, .map_size = 64u << 20};
	CHECK_OK(hotlist_open(check_path("hotlist"), &ho, &e->hotlist));
}

static void env_close(struct env *e)
{
	store_close(e->store);
	hotlist_close(e->hotlist);
	unit_audit_destroy(e->ua);
	policy_destroy(e->policy);
}

/* A read of @plate @dt_us after the clock, with a hit in @cat when @cat >= 0. Its id in @id. */
static void put_read(struct env *e, const char *plate, int64_t dt_us, int cat, char *id)
{
	struct store_read r = {0};
	r.captured_at = alpr_clock_now(&e->clock) + dt_us;
	alpr_strlcpy(r.camera, "front", sizeof(r.camera));
	alpr_strlcpy(r.plate, plate, sizeof(r.plate));
	r.confidence = 0.9f;
	alpr_strlcpy(r.candidates[0].plate, plate, sizeof(r.candidates[0].plate));
	r.candidates[0].confidence = 0.9f;
	r.ncandidates = 1;
	r.gps.mode = STORE_FIX_NONE;
	struct store_hit h = {0};
	if (cat >= 0) {
		alpr_strlcpy(h.list, "state", sizeof(h.list));
		h.list_version = 1;
		alpr_strlcpy(h.plate, plate, sizeof(h.plate));
		alpr_strlcpy(h.state, "CA", sizeof(h.state));
		h.category = (enum policy_category)cat;
	}
	struct store_put_result pr;
	CHECK_OK(store_put_read(e->store, &r, cat >= 0 ? &h : NULL, &pr));
	alpr_strlcpy(id, pr.id, STORE_ID_MAX + 1);
}

static uint64_t stored_rows(struct store *s)
{
	struct store_stats st;
	CHECK_OK(store_stats(s, &st));
	return st.reads;
}

/* ---- purges: the counts in the log are the rows deleted --------------------------------- */

static void test_purge_counts(void)
{
	struct env e;
	char ids[8][STORE_ID_MAX + 1], err[256];
	env_open(&e);
	for (int i = 0; i < 5; i++) {
		char plate[9];
		snprintf(plate, sizeof(plate), "RD%04d", i);
		put_read(&e, plate, i * ALPR_USEC_PER_SEC, -1, ids[i]);
	}
	put_read(&e, "HIT0001", 10 * ALPR_USEC_PER_SEC, POLICY_CAT_STOLEN_VEHICLE, ids[5]);
	put_read(&e, "HIT0002", 11 * ALPR_USEC_PER_SEC, POLICY_CAT_STOLEN_VEHICLE, ids[6]);
	CHECK_OK(unit_audit_dispose(e.ua, e.store, ids[6], STORE_HIT_MISREAD, "B1234", err,
				    sizeof(err)));
	struct audit *a = unit_audit_log(e.ua);

	/* Each step past a deadline: one store.purge record whose counts are the rows the
	 * store deleted, measured by the store's own statistics before and after. */
	const struct {
		int64_t advance_us;
		uint64_t reads, hits, misread;
	} steps[] = {
		{73 * ALPR_USEC_PER_HOUR, 5, 0, 0}, /* non-hit reads: 72 h */
		{31 * ALPR_USEC_PER_DAY, 0, 0, 1},  /* misread hits: 30 days */
		{366 * ALPR_USEC_PER_DAY, 0, 1, 0}, /* hits: 365 days */
	};
	for (size_t k = 0; k < ALPR_ARRAY_SIZE(steps); k++) {
		alpr_clock_advance(&e.clock, steps[k].advance_us);
		uint64_t before = stored_rows(e.store), last = 0;
		CHECK_OK(audit_last_seq(a, &last));
		struct store_purge_counts c;
		CHECK_OK(store_purge(e.store, &c));
		uint64_t deleted = before - stored_rows(e.store);
		struct recs *rs = read_log(a, last + 1);
		CHECK_INT_EQ(count_action(rs, REPORT_ACTION_PURGE, AUDIT_ALLOWED), 1);
		const struct rec *p = last_action(rs, REPORT_ACTION_PURGE);
		CHECK_INT_EQ(param_int(p, "reads"), steps[k].reads);
		CHECK_INT_EQ(param_int(p, "hits"), steps[k].hits);
		CHECK_INT_EQ(param_int(p, "misread_hits"), steps[k].misread);
		CHECK_INT_EQ(param_int(p, "reads") + param_int(p, "hits") +
				     param_int(p, "misread_hits"),
			     deleted);
		CHECK_INT_EQ(param_int(p, "reads"), c.reads);
		free(rs);
	}
	/* A purge that deletes nothing writes nothing. */
	uint64_t last = 0, after = 0;
	CHECK_OK(audit_last_seq(a, &last));
	CHECK_OK(store_purge(e.store, NULL));
	CHECK_OK(audit_last_seq(a, &after));
	CHECK_INT_EQ(after, last);
	env_close(&e);
}

/* ---- every refusal of an officer action is refused and audited ------------------------- */

static void test_refusals(void)
{
	struct env e;
	char hit[STORE_ID_MAX + 1], plain[STORE_ID_MAX + 1], err[256];
	env_open(&e);
	put_read(&e, "HIT0001", 0, POLICY_CAT_STOLEN_VEHICLE, hit);
	put_read(&e, "PLAIN01", 1, -1, plain);
	struct audit *a = unit_audit_log(e.ua);
	CHECK_OK(unit_audit_dispose(e.ua, e.store, hit, STORE_HIT_CONFIRMED, "B1234", err,
				    sizeof(err)));

	struct hotlist_entry imm = {0};
	alpr_strlcpy(imm.list, "officer", sizeof(imm.list));
	alpr_strlcpy(imm.plate, "IMM0042", sizeof(imm.plate));
	alpr_strlcpy(imm.state, "TX", sizeof(imm.state));
	imm.category = POLICY_CAT_IMMIGRATION_VIOLATOR;
	imm.source = HOTLIST_SOURCE_OFFICER;

	const struct {
		const char *name, *action, *reason;
		int which; /* 0 dispose, 1 verify, 2 officer entry */
		const char *read, *officer;
		enum store_hit_status status;
	} cases[] = {
		{"no such hit", REPORT_ACTION_DISPOSITION, "status: no such hit", 0,
		 "car7-999999999999", "B1234", STORE_HIT_CONFIRMED},
		{"a read without a hit", REPORT_ACTION_DISPOSITION, "status: no such hit", 0, NULL,
		 "B1234", STORE_HIT_MISREAD},
		{"confirmed to misread", REPORT_ACTION_DISPOSITION,
		 "status: not allowed from confirmed", 0, hit, "B1234", STORE_HIT_MISREAD},
		{"the same status again", REPORT_ACTION_DISPOSITION,
		 "status: not allowed from confirmed", 0, hit, "B1234", STORE_HIT_CONFIRMED},
		{"unverified is not a disposition", REPORT_ACTION_DISPOSITION,
		 "status: not a disposition", 0, hit, "B1234", STORE_HIT_UNVERIFIED},
		{"no officer", REPORT_ACTION_DISPOSITION, "officer: not a valid officer id", 0, hit,
		 "", STORE_HIT_NOT_ACTIONED},
		{"hostile officer", REPORT_ACTION_DISPOSITION, "officer: not a valid officer id", 0,
		 hit, "B1\n{\"x\"", STORE_HIT_NOT_ACTIONED},
		{"hostile read id", REPORT_ACTION_DISPOSITION, "read: not a read id", 0,
		 "car7-1\"; DROP", "B1234", STORE_HIT_NOT_ACTIONED},
		{"verify a read without a hit", UNIT_AUDIT_VERIFY, "read: ", 1, NULL, "B1234", 0},
		{"verify by no officer", UNIT_AUDIT_VERIFY, "officer: not a valid officer id", 1,
		 hit, "", 0},
		{"refused category", UNIT_AUDIT_OFFICER_ENTRY,
		 "category: immigration_violator is refused by profile default", 2, NULL, "B1234",
		 0},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(cases); i++) {
		uint64_t before = 0, after = 0;
		err[0] = '\0';
		CHECK_OK(audit_last_seq(a, &before));
		const char *rid = cases[i].read ? cases[i].read : plain;
		int r;
		if (cases[i].which == 0) {
			r = unit_audit_dispose(e.ua, e.store, rid, cases[i].status,
					       cases[i].officer, err, sizeof(err));
		} else if (cases[i].which == 1) {
			r = unit_audit_verify(e.ua, e.store, rid, cases[i].officer, true, err,
					      sizeof(err));
		} else {
			r = unit_audit_officer_entry(e.ua, e.store, e.hotlist, &imm,
						     cases[i].officer, NULL, err, sizeof(err));
		}
		CHECK_MSG(r == -ALPR_E_REFUSED, "%s: %d (%s)", cases[i].name, r, err);
		CHECK_MSG(strncmp(err, cases[i].reason, strlen(cases[i].reason)) == 0,
			  "%s: reason \"%s\"", cases[i].name, err);
		CHECK_OK(audit_last_seq(a, &after));
		CHECK_MSG(after == before + 1, "%s: not one record", cases[i].name);
		struct recs *rs = read_log(a, after);
		CHECK_STR_EQ(rs->r[0].action, cases[i].action);
		CHECK_INT_EQ(rs->r[0].outcome, AUDIT_DENIED);
		CHECK_STR_EQ(rs->r[0].reason, err);
		/* Hostile text never reaches the log as given. */
		CHECK(!strchr(rs->r[0].user, '\n') && !strchr(rs->r[0].object_id, '"'));
		free(rs);
	}
	/* Nothing changed: the hit is still confirmed, the entry was never added. */
	struct store_hit h;
	CHECK_OK(store_get_hit(e.store, hit, &h));
	CHECK_INT_EQ(h.status, STORE_HIT_CONFIRMED);
	struct hotlist_entry found[2];
	CHECK_INT_EQ(hotlist_lookup(e.hotlist, "IMM0042", found, 2), 0);

	/* A denied sign-in is audited with its reason; a refused disposition is not counted
	 * by the report (only allowed ones are). */
	CHECK_OK(unit_audit_sign_in(e.ua, "B1234", false, "pin: wrong PIN"));
	struct recs *rs = read_log(a, 1);
	const struct rec *si = last_action(rs, UNIT_AUDIT_SIGN_IN);
	CHECK_INT_EQ(si->outcome, AUDIT_DENIED);
	CHECK_STR_EQ(si->reason, "pin: wrong PIN");
	CHECK_INT_EQ(count_action(rs, REPORT_ACTION_DISPOSITION, AUDIT_ALLOWED), 1);
	free(rs);
	env_close(&e);
}

/* ---- historical hits from a real signed delta and an officer entry ---------------------- */

static void test_historical(void)
{
	struct env e;
	char past[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1], old[STORE_ID_MAX + 1], err[512];
	env_open(&e);
	/* Three past reads: one the station's new entry matches, one an officer's entry
	 * matches, and one past its retention by the time the entry arrives. */
	put_read(&e, "OLD0001", 0, -1, old);
	alpr_clock_advance(&e.clock, 60 * ALPR_USEC_PER_HOUR);
	put_read(&e, "NEW0001", 0, -1, past);
	put_read(&e, "OFC0001", 0, -1, other);
	alpr_clock_advance(&e.clock, 13 * ALPR_USEC_PER_HOUR); /* OLD0001 is 73 h old */

	/* The station's hotlist: version 1, then version 2 adding NEW0001 and OLD0001. */
	struct hotlist *st;
	struct hotlist_options ho = {.policy = e.policy, .clock = &e.clock, .map_size = 64u << 20};
	CHECK_OK(hotlist_open(check_path("station-hotlist"), &ho, &st));
	char priv[512], pub[512], d1[512], d2[512];
	snprintf(priv, sizeof(priv), "%s", check_path("key.pem"));
	snprintf(pub, sizeof(pub), "%s", check_path("pub.pem"));
	snprintf(d1, sizeof(d1), "%s", check_path("v1.delta"));
	snprintf(d2, sizeof(d2), "%s", check_path("v2.delta"));
	CHECK_OK(hotlist_keygen(priv, pub));
	struct hotlist_entry en = {0};
	alpr_strlcpy(en.list, "state", sizeof(en.list));
	alpr_strlcpy(en.plate, "ZZZ0001", sizeof(en.plate));
	alpr_strlcpy(en.state, "CA", sizeof(en.state));
	en.category = POLICY_CAT_STOLEN_VEHICLE;
	en.source = HOTLIST_SOURCE_STATE;
	alpr_strlcpy(en.source_record_id, "V1", sizeof(en.source_record_id));
	uint64_t v = 0;
	CHECK_OK(hotlist_add(st, &en, &v, err, sizeof(err)));
	CHECK_OK(hotlist_delta_write(st, "state", 0, v, priv, d1));
	uint64_t v1 = v;
	alpr_strlcpy(en.plate, "NEW0001", sizeof(en.plate));
	alpr_strlcpy(en.source_record_id, "V2", sizeof(en.source_record_id));
	CHECK_OK(hotlist_add(st, &en, &v, err, sizeof(err)));
	alpr_strlcpy(en.plate, "OLD0001", sizeof(en.plate));
	alpr_strlcpy(en.source_record_id, "V3", sizeof(en.source_record_id));
	CHECK_OK(hotlist_add(st, &en, &v, err, sizeof(err)));
	CHECK_OK(hotlist_delta_write(st, "state", v1, v, priv, d2));
	hotlist_close(st);

	/* The unit takes version 1 (a list new to it), then version 2, as its sync does. */
	uint64_t got = 0, nhits = 99;
	CHECK_OK(unit_audit_hotlist_loaded(e.ua, e.hotlist));
	CHECK_OK(hotlist_delta_apply(e.hotlist, d1, pub, &got, err, sizeof(err)));
	CHECK_OK(unit_audit_hotlist_updated(e.ua, e.store, e.hotlist, "state", got, &nhits));
	CHECK_INT_EQ(nhits, 0);
	CHECK_OK(hotlist_delta_apply(e.hotlist, d2, pub, &got, err, sizeof(err)));
	CHECK_OK(unit_audit_hotlist_updated(e.ua, e.store, e.hotlist, "state", got, &nhits));
	CHECK_INT_EQ(nhits, 1);

	struct recs *rs = read_log(unit_audit_log(e.ua), 1);
	/* One check per new entry (ZZZ0001, then NEW0001 and OLD0001), one historical hit:
	 * the past read of NEW0001, by id, never by plate. */
	CHECK_INT_EQ(count_action(rs, SEARCH_ACTION_HIST_CHECK, AUDIT_ALLOWED), 3);
	CHECK_INT_EQ(count_action(rs, SEARCH_ACTION_HISTORICAL, AUDIT_ALLOWED), 1);
	const struct rec *hh = last_action(rs, SEARCH_ACTION_HISTORICAL);
	CHECK_STR_EQ(hh->object_id, past);
	CHECK(!strstr(hh->params, "NEW0001"));
	/* The unit held no list at first (no record), then one per version applied. */
	CHECK_INT_EQ(count_action(rs, REPORT_ACTION_HOTLIST, AUDIT_ALLOWED), 2);
	const struct rec *hl = last_action(rs, REPORT_ACTION_HOTLIST);
	CHECK_STR_CONTAINS(hl->params, "\"stolen_vehicle\":3");
	free(rs);

	/* An officer's entry: added, audited, and checked against past reads too. */
	struct hotlist_entry oe = {0};
	alpr_strlcpy(oe.list, "officer", sizeof(oe.list));
	alpr_strlcpy(oe.plate, "OFC0001", sizeof(oe.plate));
	alpr_strlcpy(oe.state, "??", sizeof(oe.state));
	oe.category = POLICY_CAT_BOLO;
	oe.source = HOTLIST_SOURCE_OFFICER;
	oe.expires_at = alpr_clock_now(&e.clock) + 10 * ALPR_USEC_PER_HOUR;
	CHECK_OK(unit_audit_officer_entry(e.ua, e.store, e.hotlist, &oe, "B1234", &nhits, err,
					  sizeof(err)));
	CHECK_INT_EQ(nhits, 1);
	rs = read_log(unit_audit_log(e.ua), 1);
	const struct rec *oer = last_action(rs, UNIT_AUDIT_OFFICER_ENTRY);
	CHECK_STR_EQ(oer->user, "B1234");
	CHECK(!strstr(oer->params, "OFC0001"));
	hh = last_action(rs, SEARCH_ACTION_HISTORICAL);
	CHECK_STR_EQ(hh->object_id, other);
	CHECK_STR_EQ(hh->user, "B1234");
	free(rs);
	env_close(&e);
}

/* ---- the command channel: hostile lines are refused whole, nothing recorded ------------ */

static void test_commands(void)
{
	struct unit_options o = {0};
	char store[512], err[512];
	snprintf(store, sizeof(store), "%s", check_path("store"));
	o.store_dir = store;
	o.unit_id = "car7";
	o.ncameras = 1;
	alpr_strlcpy(o.cameras[0].name, "front", sizeof(o.cameras[0].name));
	alpr_strlcpy(o.cameras[0].uri, "test:smpte:64x48@5", sizeof(o.cameras[0].uri));
	struct unit *u;
	int r = unit_create(&o, &u, err, sizeof(err));
	CHECK_MSG(r == 0, "unit_create: %s", err);
	struct audit *a = unit_audit(u);
	CHECK(a);

	char longline[UNIT_COMMAND_MAX + 64];
	memset(longline, ' ', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	const struct {
		const char *line, *error;
	} bad[] = {
		{"not json", "json: "},
		{"[1,2]", "json: not an object"},
		{"{}", "command: missing or not a string"},
		{"{\"command\": \"explode\"}", "command: unknown"},
		{"{\"command\": \"sign_in\"}", "officer: missing"},
		{"{\"command\": \"sign_in\", \"officer\": 7}", "officer: not a string"},
		{"{\"command\": \"sign_in\", \"officer\": \"B1\", \"pin\": \"1234\"}",
		 "pin: not a field of sign_in"},
		{"{\"command\": \"verify\", \"officer\": \"B1\", \"read\": \"car7-1\", \"match\": "
		 "\"yes\"}",
		 "match: not a boolean"},
		{"{\"command\": \"dispose\", \"officer\": \"B1\", \"read\": \"car7-1\", "
		 "\"status\": "
		 "\"arrested\"}",
		 "status: not one of"},
		{"{\"command\": \"sign_in\", \"officer\": \"B1\", \"officer\": \"B2\"}", "json: "},
		{longline, "line: over"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(bad); i++) {
		uint64_t before = 0, after = 0;
		err[0] = '\0';
		CHECK_OK(audit_last_seq(a, &before));
		r = unit_command(u, bad[i].line, strlen(bad[i].line), err, sizeof(err));
		CHECK_MSG(r == -ALPR_E_PARSE, "line %zu: %d", i, r);
		CHECK_MSG(strncmp(err, bad[i].error, strlen(bad[i].error)) == 0, "line %zu: \"%s\"",
			  i, err);
		CHECK(!strchr(err, '\n'));
		CHECK_OK(audit_last_seq(a, &after));
		CHECK_MSG(after == before, "line %zu: something was recorded", i);
	}
	/* A good line does what it says, once. */
	const char *ok = "{\"command\": \"sign_in\", \"officer\": \"B1234\"}";
	CHECK_OK(unit_command(u, ok, strlen(ok), err, sizeof(err)));
	struct recs *rs = read_log(a, 1);
	CHECK_INT_EQ(count_action(rs, UNIT_AUDIT_SIGN_IN, AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(rs, UNIT_AUDIT_POLICY_LOAD, AUDIT_ALLOWED), 1);
	free(rs);
	unit_destroy(u);
}

/* ---- a real alpr-unit run --------------------------------------------------------------- */

static const char *env_or_fail(const char *name)
{
	const char *v = getenv(name);
	CHECK_MSG(v && *v, "%s is not set (meson test sets it)", name);
	return v;
}

static pid_t spawn(char *const argv[], int *stdin_fd, const char *out_path, const char *err_path)
{
	posix_spawn_file_actions_t fa;
	int p[2] = {-1, -1};
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	if (stdin_fd) {
		CHECK(pipe2(p, O_CLOEXEC) == 0);
		posix_spawn_file_actions_adddup2(&fa, p[0], STDIN_FILENO);
	} else {
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	}
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path, O_WRONLY | O_CREAT | O_TRUNC,
					 0600);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path, O_WRONLY | O_CREAT | O_TRUNC,
					 0600);
	int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	CHECK_MSG(r == 0, "cannot run %s: %s", argv[0], strerror(r));
	if (stdin_fd) {
		close(p[0]);
		*stdin_fd = p[1];
	}
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

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

static int run(char *const argv[], char **out, char **err)
{
	char o[512], e[512];
	snprintf(o, sizeof(o), "%s", check_path("cmd.out"));
	snprintf(e, sizeof(e), "%s", check_path("cmd.err"));
	int rc = wait_exit(spawn(argv, NULL, o, e));
	*out = slurp(o);
	*err = slurp(e);
	return rc;
}

struct run_events {
	char hits[16][STORE_ID_MAX + 1];
	size_t nhits, nreads;
	char commands[16][512]; /* the command answers, by line */
	size_t ncommands;
};

static void scan(const char *text, struct run_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		json_t *o = json_loadb(l, len, 0, NULL);
		CHECK_MSG(o, "not a JSON line: %.*s", (int)len, l);
		const char *type = json_string_value(json_object_get(o, "event"));
		const char *id = json_string_value(json_object_get(o, "id"));
		if (strcmp(type, "read") == 0 && id && strcmp(id, "-") != 0) {
			ev->nreads++;
		} else if (strcmp(type, "hit") == 0 && ev->nhits < 16) {
			const char *rid = json_string_value(json_object_get(o, "read_id"));
			CHECK_MSG(rid, "a hit without its read's id: %.*s", (int)len, l);
			alpr_strlcpy(ev->hits[ev->nhits++], rid, sizeof(ev->hits[0]));
		} else if (strcmp(type, "command") == 0 && ev->ncommands < 16) {
			snprintf(ev->commands[ev->ncommands++], sizeof(ev->commands[0]), "%.*s",
				 (int)len, l);
		}
		json_decref(o);
		l = nl ? nl + 1 : l + len;
	}
}

static void send_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void send_line(int fd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	CHECK(n > 0 && (size_t)n < sizeof(line) - 1);
	line[n++] = '\n';
	CHECK(write(fd, line, (size_t)n) == n);
}

/* A hotlist from the demo's list, as test-unit.c makes it. */
static void make_hotlist(const char *dir)
{
	struct policy *p;
	char err[256], csv[512];
	CHECK_OK(policy_load_named("default", &p, err, sizeof(err)));
	struct hotlist_options ho = {.policy = p};
	struct hotlist *h;
	CHECK_OK(hotlist_open(dir, &ho, &h));
	snprintf(csv, sizeof(csv), "%s/demo/hotlist.csv", alpr_datadir());
	struct hotlist_import_options io = {.list = "state", .default_source = HOTLIST_SOURCE_NCIC};
	struct hotlist_import_result res;
	CHECK_OK(hotlist_import_csv(h, csv, &io, &res));
	hotlist_close(h);
	policy_destroy(p);
}

/* The default profile with short lives for non-hit reads and misread hits, and no
 * suppression, so that the second run purges the first's and the report shows small
 * counts. */
static void short_profile(const char *path)
{
	char src[512];
	snprintf(src, sizeof(src), "%s/policy/default.json", alpr_datadir());
	json_t *o = json_load_file(src, 0, NULL);
	CHECK(o);
	json_object_set_new(o, "profile", json_string("test-short"));
	json_t *ret = json_object_get(o, "retention");
	json_object_set_new(ret, "read", json_string("2s"));
	json_object_set_new(ret, "crop", json_string("2s"));
	json_object_set_new(ret, "misread_hit", json_string("2s"));
	json_object_set_new(o, "report_min_count", json_integer(1));
	CHECK(json_dump_file(o, path, JSON_INDENT(2)) == 0);
	json_decref(o);
}

static uint64_t store_reads(const char *dir, const struct policy *p)
{
	struct store_options so = {.unit_id = "car7", .policy = p};
	struct store *s;
	CHECK_OK(store_open(dir, &so, &s));
	uint64_t n = stored_rows(s);
	store_close(s);
	return n;
}

static void test_unit_run(void)
{
	const char *bin = env_or_fail("ALPR_UNIT_BIN");
	const char *drive = env_or_fail("ALPR_UNIT_DRIVE");
	char hotlist[512], store[512], audit[512], profile[512], front[600], rear[600];
	char out1[512], err1[512], out2[512], err2[512], pubkey[512], prefix[512], json[600];
	snprintf(hotlist, sizeof(hotlist), "%s", check_path("hotlist"));
	snprintf(store, sizeof(store), "%s", check_path("store"));
	snprintf(audit, sizeof(audit), "%s", check_path("audit"));
	snprintf(profile, sizeof(profile), "%s", check_path("short.json"));
	snprintf(out1, sizeof(out1), "%s", check_path("run1.out"));
	snprintf(err1, sizeof(err1), "%s", check_path("run1.err"));
	snprintf(out2, sizeof(out2), "%s", check_path("run2.out"));
	snprintf(err2, sizeof(err2), "%s", check_path("run2.err"));
	snprintf(pubkey, sizeof(pubkey), "%s", check_path("device-pub.pem"));
	snprintf(prefix, sizeof(prefix), "%s", check_path("report"));
	snprintf(json, sizeof(json), "%s.json", prefix);
	snprintf(front, sizeof(front), "front=file:%s/front", drive);
	snprintf(rear, sizeof(rear), "rear=file:%s/rear", drive);
	make_hotlist(hotlist);
	short_profile(profile);
	int64_t started = alpr_clock_now(NULL);

	/* Run 1: the drive, with the officer's actions on stdin. */
	char *argv1[] = {(char *)bin, "--headless", "--commands", "--camera", front, "--camera",
			 rear,        "--hotlist",  hotlist,      "--store",  store, "--audit",
			 audit,       "--unit-id",  "car7",       NULL};
	int in;
	pid_t pid = spawn(argv1, &in, out1, err1);
	send_line(in, "{\"command\": \"sign_in\", \"officer\": \"B1234\"}");
	/* The run ends with stdin: wait for the final status, then act on its hits. */
	char *text = NULL;
	for (int i = 0; i < 1200; i++) {
		free(text);
		text = slurp(out1);
		if (strstr(text, "\"final\":true")) {
			break;
		}
		sleep_ms(100);
	}
	CHECK_MSG(strstr(text, "\"final\":true"), "run 1 did not end; stderr: %s", slurp(err1));
	struct run_events ev1;
	scan(text, &ev1);
	free(text);
	CHECK_MSG(ev1.nhits >= 2, "run 1: %zu hits", ev1.nhits);
	send_line(in,
		  "{\"command\": \"verify\", \"officer\": \"B1234\", \"read\": \"%s\", "
		  "\"match\": false}",
		  ev1.hits[0]);
	send_line(in,
		  "{\"command\": \"dispose\", \"officer\": \"B1234\", \"read\": \"%s\", "
		  "\"status\": \"misread\"}",
		  ev1.hits[0]);
	send_line(in,
		  "{\"command\": \"verify\", \"officer\": \"B1234\", \"read\": \"%s\", "
		  "\"match\": true}",
		  ev1.hits[1]);
	send_line(in,
		  "{\"command\": \"dispose\", \"officer\": \"B1234\", \"read\": \"%s\", "
		  "\"status\": \"confirmed\"}",
		  ev1.hits[1]);
	/* Refused by the store (confirmed is not undone into misread): audited. */
	send_line(in,
		  "{\"command\": \"dispose\", \"officer\": \"B1234\", \"read\": \"%s\", "
		  "\"status\": \"misread\"}",
		  ev1.hits[1]);
	/* Malformed: refused whole, nothing done. */
	send_line(in,
		  "{\"command\": \"dispose\", \"officer\": \"B1234\", \"read\": \"%s\", "
		  "\"status\": \"arrested\"}",
		  ev1.hits[1]);
	send_line(in, "{\"command\": \"sign_out\", \"officer\": \"B1234\"}");
	close(in);
	CHECK_INT_EQ(wait_exit(pid), 0);
	text = slurp(out1);
	scan(text, &ev1);
	free(text);
	CHECK_INT_EQ(ev1.ncommands, 8);
	for (size_t i = 0; i < 8; i++) {
		bool ok = i != 5 && i != 6;
		CHECK_MSG(strstr(ev1.commands[i], ok ? "\"ok\":true" : "\"ok\":false"),
			  "command %zu: %s", i + 1, ev1.commands[i]);
	}
	CHECK_STR_CONTAINS(ev1.commands[5], "stdin:6: status: not allowed from confirmed");
	CHECK_STR_CONTAINS(ev1.commands[6], "stdin:7: status: not one of");
	char *errtext = slurp(err1);
	CHECK_STR_CONTAINS(errtext, "alpr-unit: stdin:7: status: not one of");
	free(errtext);

	struct policy *def;
	char perr[256];
	CHECK_OK(policy_load_named("default", &def, perr, sizeof(perr)));
	uint64_t before = store_reads(store, def);
	CHECK_INT_EQ(before, ev1.nreads);

	/* Run 2, past the short lives: the store's purge at opening is audited with the rows
	 * it deleted (run 1's non-hit reads and its misread hit). */
	sleep_ms(2500);
	char *argv2[] = {(char *)bin, "--headless", "--camera", front,   "--camera", rear,
			 "--hotlist", hotlist,      "--store",  store,   "--audit",  audit,
			 "--unit-id", "car7",       "--policy", profile, NULL};
	pid = spawn(argv2, NULL, out2, err2);
	CHECK_INT_EQ(wait_exit(pid), 0);
	text = slurp(out2);
	struct run_events ev2;
	scan(text, &ev2);
	free(text);
	uint64_t after = store_reads(store, def);
	uint64_t deleted = before + ev2.nreads - after;
	CHECK_MSG(deleted > 1, "run 2 deleted %llu rows", (unsigned long long)deleted);

	/* The log, as the unit wrote it. */
	struct audit *a;
	struct audit_open_opts ro = {.read_only = true};
	CHECK_OK(audit_open(audit, &ro, &a));
	struct recs *rs = read_log(a, 1);
	CHECK_OK(audit_export_pubkey(a, pubkey));
	audit_close(a);
	CHECK_INT_EQ(count_action(rs, REPORT_ACTION_HIT, AUDIT_ALLOWED), ev1.nhits + ev2.nhits);
	for (size_t i = 0; i < ev1.nhits; i++) {
		bool found = false;
		for (size_t k = 0; k < rs->n; k++) {
			found |= strcmp(rs->r[k].action, REPORT_ACTION_HIT) == 0 &&
				 strcmp(rs->r[k].object_id, ev1.hits[i]) == 0;
		}
		CHECK_MSG(found, "no hit record for %s", ev1.hits[i]);
	}
	CHECK_INT_EQ(count_action(rs, UNIT_AUDIT_VERIFY, AUDIT_ALLOWED), 2);
	CHECK_INT_EQ(count_action(rs, REPORT_ACTION_DISPOSITION, AUDIT_ALLOWED), 2);
	CHECK_INT_EQ(count_action(rs, REPORT_ACTION_DISPOSITION, AUDIT_DENIED), 1);
	CHECK_INT_EQ(count_action(rs, UNIT_AUDIT_SIGN_IN, AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(rs, UNIT_AUDIT_SIGN_OUT, AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(rs, REPORT_ACTION_PURGE, AUDIT_ALLOWED), 1);
	const struct rec *p = last_action(rs, REPORT_ACTION_PURGE);
	CHECK_INT_EQ(param_int(p, "reads") + param_int(p, "hits") + param_int(p, "misread_hits"),
		     deleted);
	CHECK_INT_EQ(param_int(p, "misread_hits"), 1);
	CHECK_INT_EQ(param_int(p, "hits"), 0);
	/* The second run's profile is a change, and says so. */
	CHECK_INT_EQ(count_action(rs, UNIT_AUDIT_POLICY_LOAD, AUDIT_ALLOWED), 2);
	CHECK_STR_CONTAINS(last_action(rs, UNIT_AUDIT_POLICY_LOAD)->params, "\"changed\":true");
	long long captured = 0;
	for (size_t k = 0; k < rs->n; k++) {
		if (strcmp(rs->r[k].action, REPORT_ACTION_READS) == 0) {
			captured += param_int(&rs->r[k], "count");
		}
	}
	CHECK_INT_EQ(captured, ev1.nreads + ev2.nreads);
	free(rs);

	/* alpr-audit verify accepts it, against the device key as a station registers it. */
	char *o, *e;
	char *verify[] = {(char *)env_or_fail("ALPR_AUDIT_BIN"),
			  "--db",
			  audit,
			  "verify",
			  "--pubkey",
			  pubkey,
			  NULL};
	CHECK_MSG(run(verify, &o, &e) == 0, "alpr-audit verify: %s%s", o, e);
	free(o);
	free(e);

	/* The report over both runs, and its re-derivation from the log alone. */
	char from[32], to[32];
	alpr_time_format(started - ALPR_USEC_PER_HOUR, from, sizeof(from));
	alpr_time_format(alpr_clock_now(NULL) + ALPR_USEC_PER_HOUR, to, sizeof(to));
	char *gen[] = {(char *)env_or_fail("ALPR_REPORT_BIN"),
		       "--audit",
		       audit,
		       "--from",
		       from,
		       "--to",
		       to,
		       "--out",
		       prefix,
		       "--policy",
		       profile,
		       NULL};
	CHECK_MSG(run(gen, &o, &e) == 0, "alpr-report: %s%s", o, e);
	free(o);
	free(e);
	json_t *rep = json_load_file(json, 0, NULL);
	CHECK(rep);
	json_t *hits = json_object_get(rep, "hits");
	CHECK_INT_EQ(json_integer_value(json_object_get(hits, "total")), ev1.nhits + ev2.nhits);
	CHECK_INT_EQ(json_integer_value(json_object_get(hits, "misread")), 1);
	CHECK_INT_EQ(json_integer_value(json_object_get(hits, "confirmed")), 1);
	json_t *reads = json_object_get(rep, "reads");
	CHECK_INT_EQ(json_integer_value(json_object_get(reads, "captured")),
		     ev1.nreads + ev2.nreads);
	CHECK_INT_EQ(json_integer_value(json_object_get(reads, "purged")), deleted);
	json_t *svc = json_object_get(rep, "in_service");
	CHECK_INT_EQ(json_integer_value(json_object_get(svc, "units")), 1);
	CHECK_INT_EQ(json_integer_value(json_object_get(svc, "cameras")), 2);
	json_decref(rep);
	char *red[] = {(char *)env_or_fail("ALPR_REPORT_BIN"),
		       "--audit",
		       audit,
		       "--rederive",
		       json,
		       "--pubkey",
		       pubkey,
		       "--policy",
		       profile,
		       NULL};
	CHECK_MSG(run(red, &o, &e) == 0, "alpr-report --rederive: %s%s", o, e);
	CHECK_STR_CONTAINS(o, "agree");
	free(o);
	free(e);
	policy_destroy(def);
}

static const struct check_case cases[] = {
	{"purge-counts", test_purge_counts}, {"refusals", test_refusals},
	{"historical", test_historical},     {"commands", test_commands},
	{"unit-run", test_unit_run},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
