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
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <lmdb.h>

#include "audit.h"
#include "check.h"
#include "common.h"
#include "hotlist.h"
#include "report.h"
#include "search.h"
#include "sharing.h"
#include "station.h"
#include "store.h"
#include "sync-private.h"
#include "sync.h"
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

/* A hit whose read the store could not keep (full, or an I/O error) carries the id "-". The
 * officer must still be able to verify and dispose of it (else its card is stuck on screen),
 * and both actions are recorded, marked unstored, and counted by the report. */
static void test_unstored_hit(void)
{
	struct env e;
	char err[256] = "";
	uint64_t before = 0, after = 0;

	env_open(&e);
	struct audit *a = unit_audit_log(e.ua);
	CHECK_OK(audit_last_seq(a, &before));
	CHECK_OK(unit_audit_verify(e.ua, e.store, STORE_ID_UNSTORED, "B1234", true, err,
				   sizeof(err)));
	CHECK_OK(unit_audit_dispose(e.ua, e.store, STORE_ID_UNSTORED, STORE_HIT_CONFIRMED, "B1234",
				    err, sizeof(err)));
	/* Still no disposition without an officer, or of "unverified". */
	CHECK_INT_EQ(unit_audit_dispose(e.ua, e.store, STORE_ID_UNSTORED, STORE_HIT_UNVERIFIED,
					"B1234", err, sizeof(err)),
		     -ALPR_E_REFUSED);
	CHECK_INT_EQ(unit_audit_dispose(e.ua, e.store, STORE_ID_UNSTORED, STORE_HIT_MISREAD, "",
					err, sizeof(err)),
		     -ALPR_E_REFUSED);
	CHECK_OK(audit_last_seq(a, &after));
	CHECK_INT_EQ(after, before + 4);
	struct recs *rs = read_log(a, before + 1);
	CHECK_STR_EQ(rs->r[0].action, UNIT_AUDIT_VERIFY);
	CHECK_INT_EQ(rs->r[0].outcome, AUDIT_ALLOWED);
	CHECK_STR_CONTAINS(rs->r[0].params, "\"stored\":false");
	CHECK_STR_EQ(rs->r[0].object_id, "");
	CHECK_STR_EQ(rs->r[1].action, REPORT_ACTION_DISPOSITION);
	CHECK_INT_EQ(rs->r[1].outcome, AUDIT_ALLOWED);
	CHECK_STR_CONTAINS(rs->r[1].params, "\"status\":\"confirmed\"");
	CHECK_STR_CONTAINS(rs->r[1].params, "\"stored\":false");
	CHECK_INT_EQ(count_action(rs, REPORT_ACTION_DISPOSITION, AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(rs, REPORT_ACTION_DISPOSITION, AUDIT_DENIED), 2);
	free(rs);
	env_close(&e);
}

/* Power cut in the middle of a disposition: the audit record must be durable before the
 * store's change is, so a cut can leave a record of a disposition the store lacks, never a
 * disposition without its record. A child disposes of a hit while this process holds the
 * audit log's writer lock, so the child stops at its audit append; it is killed there
 * (kill -9). The store must still show the hit unverified. (Were the store written first,
 * the child would stop with the disposition already committed.) */
static void test_dispose_crash(void)
{
	struct env e;
	char hit[STORE_ID_MAX + 1], err[256] = "";
	int ready[2], go[2];

	env_open(&e);
	put_read(&e, "HIT0001", 0, POLICY_CAT_STOLEN_VEHICLE, hit);
	env_close(&e);
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		char c = 0;
		env_open(&e);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1) {
			_exit(2);
		}
		int r = unit_audit_dispose(e.ua, e.store, hit, STORE_HIT_CONFIRMED, "B1234", err,
					   sizeof(err));
		_exit(r == 0 ? 0 : 1);
	}
	char c = 0;
	CHECK(read(ready[0], &c, 1) == 1);
	/* Take the audit log's writer lock, as another writer would hold it. */
	MDB_env *aenv;
	MDB_txn *atxn;
	CHECK_INT_EQ(mdb_env_create(&aenv), 0);
	CHECK_INT_EQ(mdb_env_set_maxdbs(aenv, 8), 0);
	CHECK_INT_EQ(mdb_env_open(aenv, e.audit_dir, 0, 0600), 0);
	CHECK_INT_EQ(mdb_txn_begin(aenv, NULL, 0, &atxn), 0);
	CHECK(write(go[1], "g", 1) == 1);
	struct timespec pause = {0, 500 * 1000 * 1000};
	nanosleep(&pause, NULL);
	int status;
	CHECK_MSG(waitpid(pid, &status, WNOHANG) == 0, "the disposition did not wait for its "
						       "audit record");
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
	mdb_txn_abort(atxn);
	mdb_env_close(aenv);

	env_open(&e);
	struct store_hit h;
	CHECK_OK(store_get_hit(e.store, hit, &h));
	CHECK_MSG(h.status == STORE_HIT_UNVERIFIED,
		  "the store kept a disposition (%s) its audit log never recorded",
		  store_hit_status_name(h.status));
	/* After the cut the disposition goes through, recorded once. */
	struct audit *a = unit_audit_log(e.ua);
	CHECK_OK(unit_audit_dispose(e.ua, e.store, hit, STORE_HIT_CONFIRMED, "B1234", err,
				    sizeof(err)));
	CHECK_OK(store_get_hit(e.store, hit, &h));
	CHECK_INT_EQ(h.status, STORE_HIT_CONFIRMED);
	struct recs *rs = read_log(a, 1);
	CHECK_INT_EQ(count_action(rs, REPORT_ACTION_DISPOSITION, AUDIT_ALLOWED), 1);
	free(rs);
	env_close(&e);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
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

/* ---- a policy change on the unit: tightened (audited), then in force (audited) ---------- */

static struct unit *small_unit(const char *store, const char *override)
{
	struct unit_options o = {0};
	char err[512];
	o.store_dir = store;
	o.unit_id = "car7";
	o.policy_override = override;
	o.ncameras = 1;
	alpr_strlcpy(o.cameras[0].name, "front", sizeof(o.cameras[0].name));
	alpr_strlcpy(o.cameras[0].uri, "test:smpte:64x48@5", sizeof(o.cameras[0].uri));
	struct unit *u;
	int r = unit_create(&o, &u, err, sizeof(err));
	CHECK_MSG(r == 0, "unit_create: %s", err);
	return u;
}

static void test_policy_change(void)
{
	char store[PATH_MAX], log[PATH_MAX], ovr[PATH_MAX], err[512];
	snprintf(store, sizeof(store), "%s", check_path("store"));
	snprintf(log, sizeof(log), "%s/audit", store);
	snprintf(ovr, sizeof(ovr), "%s", check_path("override.json"));

	/* A start under the shipped profile (the override file does not exist yet). */
	unit_destroy(small_unit(store, ovr));

	/* The administrator tightens it on the unit's own log; a looser change is refused. */
	struct policy *base, *t = NULL;
	CHECK_OK(policy_load_named("default", &base, err, sizeof(err)));
	struct audit *a;
	CHECK_OK(audit_open(log, &(struct audit_open_opts){0}, &a));
	CHECK_INT_EQ(search_policy_tighten(a, base, "adm.kay", "administrator",
					   "{\"retention\":{\"read\":\"30d\"}}", ovr, &t, err,
					   sizeof(err)),
		     -ALPR_E_REFUSED);
	CHECK_OK(search_policy_tighten(a, base, "adm.kay", "administrator",
				       "{\"retention\":{\"read\":\"24h\"}}", ovr, &t, err,
				       sizeof(err)));
	audit_close(a);

	/* The next start runs under it, and its record says the profile changed. */
	struct unit *u = small_unit(store, ovr);
	struct recs *rs = read_log(unit_audit(u), 1);
	unit_destroy(u);
	CHECK_INT_EQ(count_action(rs, SEARCH_ACTION_TIGHTEN, AUDIT_DENIED), 1);
	CHECK_INT_EQ(count_action(rs, SEARCH_ACTION_TIGHTEN, AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(rs, UNIT_AUDIT_POLICY_LOAD, AUDIT_ALLOWED), 2);
	const struct rec *pl = last_action(rs, UNIT_AUDIT_POLICY_LOAD);
	CHECK_STR_CONTAINS(pl->params, "\"changed\":true");
	char hex[2 * AUDIT_HASH_LEN + 1];
	alpr_hex_encode(policy_hash(t), AUDIT_HASH_LEN, hex);
	CHECK_STR_EQ(pl->object_id, hex);
	free(rs);
	/* A third start under the same profile is no change. */
	u = small_unit(store, ovr);
	rs = read_log(unit_audit(u), 1);
	unit_destroy(u);
	CHECK_STR_CONTAINS(last_action(rs, UNIT_AUDIT_POLICY_LOAD)->params, "\"changed\":false");
	free(rs);
	/* A hostile override is refused at start, one line naming it. */
	check_write_file(ovr, "{\"retention\": {\"read\": \"1000d\"}}");
	struct unit_options o = {0};
	o.store_dir = store;
	o.unit_id = "car7";
	o.policy_override = ovr;
	o.ncameras = 1;
	alpr_strlcpy(o.cameras[0].name, "front", sizeof(o.cameras[0].name));
	alpr_strlcpy(o.cameras[0].uri, "test:smpte:64x48@5", sizeof(o.cameras[0].uri));
	CHECK(unit_create(&o, &u, err, sizeof(err)) < 0);
	CHECK_STR_CONTAINS(err, "policy override ");
	CHECK(!strchr(err, '\n'));
	policy_destroy(t);
	policy_destroy(base);
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
		/* an early hit's read is followed by its update when the pass closes: one read */
		bool update = json_is_true(json_object_get(o, "update"));
		if (strcmp(type, "read") == 0 && id && strcmp(id, "-") != 0 && !update) {
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

/* alpr-report over the audit log @log from an hour before @started to an hour from now, with
 * @profile, written to @prefix (.html and .json); the JSON at @json, loaded. */
static json_t *report_json(const char *log, int64_t started, const char *prefix,
			   const char *profile, const char *json)
{
	char from[32], to[32], *o = NULL, *e = NULL;
	alpr_time_format(started - ALPR_USEC_PER_HOUR, from, sizeof(from));
	alpr_time_format(alpr_clock_now(NULL) + ALPR_USEC_PER_HOUR, to, sizeof(to));
	char *gen[] = {(char *)env_or_fail("ALPR_REPORT_BIN"),
		       "--audit",
		       (char *)log,
		       "--from",
		       from,
		       "--to",
		       to,
		       "--out",
		       (char *)prefix,
		       "--policy",
		       (char *)profile,
		       NULL};
	CHECK_MSG(run(gen, &o, &e) == 0, "alpr-report: %s%s", o, e);
	free(o);
	free(e);
	json_t *rep = json_load_file(json, 0, NULL);
	CHECK(rep);
	return rep;
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
	json_t *rep = report_json(audit, started, prefix, profile, json);
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

/* ---- the station: every search audited, over real TLS on 127.0.0.1 --------------------- */

static pid_t station_pid;

static void kill_station(void)
{
	if (station_pid > 0) {
		kill(station_pid, SIGTERM);
		waitpid(station_pid, NULL, 0);
		station_pid = 0;
	}
}

/* `alpr-station serve --port 0` on @dir (as tests/test-sync.c starts it); its URL in @url. */
static void station_serve(const char *dir, const char *policy, char *url, size_t urlsz)
{
	const char *bin = env_or_fail("ALPR_STATION_BIN");
	char ready[PATH_MAX], log[PATH_MAX];
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	snprintf(log, sizeof(log), "%s/station.log", dir);
	char *argv[] = {(char *)bin,    "serve", "--dir",    (char *)dir,    "--port", "0",
			"--ready-file", ready,   "--policy", (char *)policy, NULL};
	if (!policy) {
		argv[8] = NULL;
	}
	char devnull_out[PATH_MAX];
	snprintf(devnull_out, sizeof(devnull_out), "%s/station.out", dir);
	station_pid = spawn(argv, NULL, devnull_out, log);
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

/* One request with the credentials in @creds; the status, the answer in *body. */
static long request(const char *url, const char *path, const char *creds, const char *method,
		    const char *body, char **answer)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], full[256];
	struct sync_http h;
	snprintf(cert, sizeof(cert), "%s/cert.pem", creds);
	snprintf(key, sizeof(key), "%s/key.pem", creds);
	snprintf(ca, sizeof(ca), "%s/ca.pem", creds);
	snprintf(full, sizeof(full), "%s%s", url, path);
	struct sync_tls tls = {cert, key, ca};
	struct sync_http_request req = {.method = method,
					.url = full,
					.tls = &tls,
					.content_type = "application/json",
					.body = body,
					.body_len = body ? strlen(body) : 0,
					.connect_timeout_ms = 5000,
					.stall_timeout_ms = 20000};
	CHECK_OK(sync_http_do(&req, &h));
	*answer = h.body ? strdup(h.body) : strdup("");
	long status = h.status;
	sync_http_finish(&h);
	return status;
}

/* The station's audit log (DIR/audit, its path in @log), read whole. Free it. */
static struct recs *station_log(const char *station, char *log, size_t logsz)
{
	struct audit *a;
	struct audit_open_opts ro = {.read_only = true};
	snprintf(log, logsz, "%s/audit", station);
	CHECK_OK(audit_open(log, &ro, &a));
	struct recs *rs = read_log(a, 1);
	audit_close(a);
	return rs;
}

/* One sync round of the unit enrolled in @creds: its store @s (and audit log @a, may be
 * NULL) up to @url. */
static struct sync_round_result unit_sync(const char *url, const char *creds, struct store *s,
					  struct audit *a)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	snprintf(cert, sizeof(cert), "%s/cert.pem", creds);
	snprintf(key, sizeof(key), "%s/key.pem", creds);
	snprintf(ca, sizeof(ca), "%s/ca.pem", creds);
	struct sync_client_options sco = {.station_url = url,
					  .cert_path = cert,
					  .key_path = key,
					  .ca_path = ca,
					  .state_dir = check_path("sync-state"),
					  .store = s,
					  .audit = a};
	struct sync_client *c;
	struct sync_round_result rr;
	CHECK_OK(sync_client_create(&sco, &c));
	CHECK_OK(sync_client_run_once(c, &rr));
	sync_client_destroy(c);
	return rr;
}

static void test_station_search(void)
{
	const char *bin = env_or_fail("ALPR_STATION_BIN");
	char station[PATH_MAX], unitc[PATH_MAX], det[PATH_MAX], admin[PATH_MAX], bad[PATH_MAX];
	char url[64], store[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	char *o, *e, *answer;
	snprintf(station, sizeof(station), "%s", check_path("station"));
	snprintf(unitc, sizeof(unitc), "%s", check_path("car7"));
	snprintf(det, sizeof(det), "%s", check_path("det"));
	snprintf(admin, sizeof(admin), "%s", check_path("admin"));
	snprintf(bad, sizeof(bad), "%s", check_path("bad"));
	snprintf(store, sizeof(store), "%s", check_path("store"));

	/* Enrolments through the tool, each audited; a refused one too. */
	char *init[] = {(char *)bin, "init", "--dir", station, NULL};
	CHECK_INT_EQ(run(init, &o, &e), 0);
	free(o);
	free(e);
	/* The unit's audit log exists first: enrolment registers its public key, the only key
	 * the station checks the unit's checkpoints with. */
	char ulog[PATH_MAX], upub[PATH_MAX], ucp[PATH_MAX], skey[PATH_MAX];
	snprintf(ulog, sizeof(ulog), "%s", check_path("unit-audit"));
	snprintf(upub, sizeof(upub), "%s", check_path("unit-pub.pem"));
	snprintf(ucp, sizeof(ucp), "%s", check_path("station-checkpoint.json"));
	struct policy *p;
	char err[512];
	CHECK_OK(policy_load_named("default", &p, err, sizeof(err)));
	struct unit_audit *ua;
	struct unit_audit_options uao = {.dir = ulog, .device_id = "car7", .policy = p};
	CHECK_OK(unit_audit_create(&uao, &ua, err, sizeof(err)));
	CHECK_OK(audit_export_pubkey(unit_audit_log(ua), upub));
	char *en_unit[] = {(char *)bin, "enroll", "car7", "--device-key", upub,       "--dir",
			   station,     "--out",  unitc,  "--operator",   "sgt.ruiz", NULL};
	char *en_det[] = {(char *)bin, "enroll", "--investigator", "det.ortiz", "--dir", station,
			  "--out",     det,      "--operator",     "sgt.ruiz",  NULL};
	char *en_adm[] = {(char *)bin, "enroll", "--admin",    "admin",    "--dir", station,
			  "--out",     admin,    "--operator", "sgt.ruiz", NULL};
	char *en_bad[] = {(char *)bin, "enroll", "car 8;",     "--dir",    station,
			  "--out",     bad,      "--operator", "sgt.ruiz", NULL};
	char *const *ok_enrolls[] = {en_unit, en_det, en_adm};
	for (size_t i = 0; i < 3; i++) {
		CHECK_MSG(run(ok_enrolls[i], &o, &e) == 0, "enroll: %s", e);
		free(o);
		free(e);
	}
	CHECK_INT_EQ(run(en_bad, &o, &e), 1);
	CHECK_STR_CONTAINS(e, "alpr-station: enroll: car 8;: ");
	CHECK_MSG(strchr(e, '\n') && strchr(e, '\n')[1] == '\0', "not one line: %s", e);
	free(o);
	free(e);

	station_serve(station, NULL, url, sizeof(url));

	/* A unit uploads reads: one of them the plate the investigator looks for. */
	struct store_options so = {.unit_id = "car7", .policy = p, .map_size = 64u << 20};
	struct store *s;
	CHECK_OK(store_open(store, &so, &s));
	const char *plates[] = {"5SOW750", "ABC1234", "XYZ9876"};
	char want[STORE_ID_MAX + 1] = "";
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(plates); i++) {
		struct store_read r = {0};
		r.captured_at = alpr_clock_now(NULL) - (int64_t)(3 - i) * ALPR_USEC_PER_MIN;
		alpr_strlcpy(r.camera, "front", sizeof(r.camera));
		alpr_strlcpy(r.plate, plates[i], sizeof(r.plate));
		r.confidence = 0.9f;
		r.gps.mode = STORE_FIX_NONE;
		struct store_put_result pr;
		CHECK_OK(store_put_read(s, &r, NULL, &pr));
		if (i == 1) {
			alpr_strlcpy(want, pr.id, sizeof(want));
		}
	}
	/* The unit's audit log: its checkpoint goes up with the round. */
	struct sync_round_result rr = unit_sync(url, unitc, s, unit_audit_log(ua));
	CHECK_INT_EQ(rr.uploaded, 3);
	CHECK(rr.checkpoint_sent);
	store_close(s);
	unit_audit_destroy(ua);
	/* The station's copy of the checkpoint verifies the unit's log, with the key the station
	 * registered for it. */
	CHECK_OK(station_device_key_path(station, "car7", skey, sizeof(skey)));
	CHECK_INT_EQ(request(url, "/v1/stats", admin, "GET", NULL, &answer), 200);
	json_t *stats = json_loads(answer, 0, NULL);
	free(answer);
	json_t *cp = json_object_get(json_object_get(json_object_get(stats, "units"), "car7"),
				     "checkpoint");
	CHECK_MSG(json_is_object(cp), "no checkpoint held for car7");
	CHECK(json_dump_file(cp, ucp, JSON_COMPACT) == 0);
	json_decref(stats);
	char *vcp[] = {(char *)env_or_fail("ALPR_AUDIT_BIN"),
		       "--db",
		       ulog,
		       "verify",
		       "--pubkey",
		       skey,
		       "--checkpoint",
		       ucp,
		       NULL};
	CHECK_MSG(run(vcp, &o, &e) == 0, "alpr-audit verify --checkpoint: %s%s", o, e);
	free(o);
	free(e);

	/* An allowed search: the read, and nothing else. */
	const char *allowed = "{\"purpose\": \"stolen_vehicle\", \"case_number\": \"2026-000123\", "
			      "\"justification\": \"Plate reported stolen from a lot on Main St\", "
			      "\"plate\": \"ABC1234\"}";
	CHECK_INT_EQ(request(url, "/v1/search", det, "POST", allowed, &answer), 200);
	json_t *ans = json_loads(answer, 0, NULL);
	CHECK_MSG(ans, "answer: %s", answer);
	CHECK_INT_EQ(json_integer_value(json_object_get(ans, "count")), 1);
	json_t *rd = json_array_get(json_object_get(ans, "reads"), 0);
	CHECK_STR_EQ(json_string_value(json_object_get(rd, "id")), want);
	json_decref(ans);
	free(answer);

	/* Every refusal: refused, one line naming the field, and audited. */
	const struct {
		const char *creds, *body, *answer;
		long status;
	} refused[] = {
		{det, "{\"case_number\": \"2026-000123\", \"plate\": \"ABC1234\"}",
		 "refused: purpose", 403},
		{det,
		 "{\"purpose\": \"civil_immigration_enforcement\", \"case_number\": "
		 "\"2026-000123\", \"plate\": \"ABC1234\"}",
		 "refused: purpose: civil_immigration_enforcement is prohibited", 403},
		{det,
		 "{\"purpose\": \"stolen_vehicle\", \"case_number\": \"42\", \"plate\": "
		 "\"ABC1234\"}",
		 "refused: case number", 403},
		{unitc,
		 "{\"purpose\": \"stolen_vehicle\", \"case_number\": \"2026-000123\", \"plate\": "
		 "\"ABC1234\"}",
		 "refused: role", 403},
		{admin,
		 "{\"purpose\": \"stolen_vehicle\", \"case_number\": \"2026-000123\", \"plate\": "
		 "\"ABC1234\"}",
		 "refused: role", 403},
		{det, "{\"purpose\": \"stolen_vehicle\", \"plate\": \"ABC1234\", \"radius\": 5}",
		 "radius: not a search field", 400},
		{det, "{\"purpose\": \"stolen_vehicle\", \"from\": \"yesterday\"}",
		 "from: not an ISO 8601", 400},
		{det, "{\"purpose\": ", "body: line 1", 400},
		{det, "[\"ABC1234\"]", "body: not a JSON object", 400},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(refused); i++) {
		long st = request(url, "/v1/search", refused[i].creds, "POST", refused[i].body,
				  &answer);
		CHECK_MSG(st == refused[i].status, "refusal %zu: %ld %s", i, st, answer);
		CHECK_STR_CONTAINS(answer, refused[i].answer);
		CHECK(!strchr(answer, '\n') || strchr(answer, '\n')[1] == '\0');
		free(answer);
	}
	/* A publish that does not verify: refused and audited. */
	CHECK(request(url, "/v1/hotlists", admin, "POST", "not a delta", &answer) >= 400);
	free(answer);

	/* A published version adds ABC1234: the station's past read of it is a historical hit,
	 * audited for the publisher. */
	char desk[PATH_MAX], ppriv[PATH_MAX], ppub[PATH_MAX], delta[PATH_MAX];
	snprintf(desk, sizeof(desk), "%s", check_path("desktop-hotlist"));
	snprintf(ppriv, sizeof(ppriv), "%s", check_path("publisher-key.pem"));
	snprintf(ppub, sizeof(ppub), "%s/publisher-pub.pem", station);
	snprintf(delta, sizeof(delta), "%s", check_path("stolen.delta"));
	CHECK_OK(hotlist_keygen(ppriv, ppub));
	struct hotlist_options ho = {.policy = p, .map_size = 64u << 20};
	struct hotlist *h;
	CHECK_OK(hotlist_open(desk, &ho, &h));
	struct hotlist_entry en = {0};
	alpr_strlcpy(en.list, "stolen", sizeof(en.list));
	alpr_strlcpy(en.plate, "ABC1234", sizeof(en.plate));
	alpr_strlcpy(en.state, "TX", sizeof(en.state));
	en.category = POLICY_CAT_STOLEN_PLATE;
	en.source = HOTLIST_SOURCE_STATE;
	alpr_strlcpy(en.source_record_id, "V260001010", sizeof(en.source_record_id));
	uint64_t v = 0, published = 0;
	CHECK_OK(hotlist_add(h, &en, &v, err, sizeof(err)));
	CHECK_OK(hotlist_delta_write(h, "stolen", 0, v, ppriv, delta));
	hotlist_close(h);
	snprintf(cert, sizeof(cert), "%s/cert.pem", admin);
	snprintf(key, sizeof(key), "%s/key.pem", admin);
	snprintf(ca, sizeof(ca), "%s/ca.pem", admin);
	struct sync_tls atls = {cert, key, ca};
	CHECK_OK(sync_publish(url, &atls, delta, &published, err, sizeof(err)));
	CHECK_INT_EQ(published, v);
	kill_station();

	/* The station's log: every search, enrolment and publish; alpr-audit verifies it. */
	char log[PATH_MAX];
	struct recs *rs = station_log(station, log, sizeof(log));
	CHECK_INT_EQ(count_action(rs, SEARCH_ACTION_SEARCH, AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(rs, SEARCH_ACTION_SEARCH, AUDIT_DENIED),
		     ALPR_ARRAY_SIZE(refused));
	const struct rec *sr = NULL;
	for (size_t i = 0; i < rs->n; i++) {
		if (strcmp(rs->r[i].action, SEARCH_ACTION_SEARCH) == 0 &&
		    rs->r[i].outcome == AUDIT_ALLOWED) {
			sr = &rs->r[i];
		}
	}
	CHECK(sr);
	CHECK_STR_EQ(sr->user, "det.ortiz");
	CHECK_STR_EQ(sr->role, "investigator");
	CHECK_STR_EQ(sr->params, allowed); /* verbatim */
	CHECK_INT_EQ(sr->count, 1);
	for (size_t i = 0; i < rs->n; i++) {
		if (strcmp(rs->r[i].action, SEARCH_ACTION_SEARCH) == 0 &&
		    rs->r[i].outcome == AUDIT_DENIED) {
			CHECK(rs->r[i].reason[0]);
		}
	}
	CHECK_INT_EQ(count_action(rs, STATION_AUDIT_ENROLL, AUDIT_ALLOWED), 3);
	CHECK_INT_EQ(count_action(rs, STATION_AUDIT_ENROLL, AUDIT_DENIED), 1);
	CHECK_STR_EQ(last_action(rs, STATION_AUDIT_ENROLL)->user, "sgt.ruiz");
	CHECK_INT_EQ(count_action(rs, STATION_AUDIT_PUBLISH, AUDIT_DENIED), 1);
	CHECK_INT_EQ(count_action(rs, STATION_AUDIT_PUBLISH, AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(rs, SEARCH_ACTION_HIST_CHECK, AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(rs, SEARCH_ACTION_HISTORICAL, AUDIT_ALLOWED), 1);
	const struct rec *hh = last_action(rs, SEARCH_ACTION_HISTORICAL);
	CHECK_STR_EQ(hh->object_id, want);
	CHECK_STR_EQ(hh->user, "admin");
	CHECK(!strstr(hh->params, "ABC1234"));
	CHECK_INT_EQ(count_action(rs, STATION_AUDIT_POLICY_LOAD, AUDIT_ALLOWED), 1);
	free(rs);
	char *verify[] = {(char *)env_or_fail("ALPR_AUDIT_BIN"), "--db", log, "verify", NULL};
	CHECK_MSG(run(verify, &o, &e) == 0, "alpr-audit verify: %s%s", o, e);
	free(o);
	free(e);
	policy_destroy(p);
}

/* A store of unit car7 in @dir with a hit (5SOW750, stolen vehicle) and a read that is not
 * one (ABC1234), both an hour old; their ids in @hit_id and @read_id. */
static struct store *hit_and_read(const char *dir, const struct policy *p, char *hit_id,
				  char *read_id)
{
	struct store_options so = {.unit_id = "car7", .policy = p, .map_size = 64u << 20};
	struct store *s;
	CHECK_OK(store_open(dir, &so, &s));
	for (int i = 0; i < 2; i++) {
		struct store_read r = {0};
		r.captured_at = alpr_clock_now(NULL) - ALPR_USEC_PER_HOUR;
		alpr_strlcpy(r.camera, "front", sizeof(r.camera));
		alpr_strlcpy(r.plate, i ? "ABC1234" : "5SOW750", sizeof(r.plate));
		alpr_strlcpy(r.state, "CA", sizeof(r.state));
		r.confidence = 0.9f;
		r.gps.mode = STORE_FIX_NONE;
		struct store_hit h = {0};
		h.hit_at = r.captured_at;
		alpr_strlcpy(h.list, "stolen", sizeof(h.list));
		alpr_strlcpy(h.plate, "5SOW750", sizeof(h.plate));
		alpr_strlcpy(h.state, "CA", sizeof(h.state));
		h.category = POLICY_CAT_STOLEN_VEHICLE;
		struct store_put_result pr;
		CHECK_OK(store_put_read(s, &r, i ? NULL : &h, &pr));
		alpr_strlcpy(i ? read_id : hit_id, pr.id, STORE_ID_MAX + 1);
	}
	return s;
}

/* ---- alpr-share: disclosures from the command line -------------------------------------- */

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void write_spec(const char *path, const char *type, const char *purposes,
		       const char *rcpt_pub, const char *extra)
{
	char text[2048], issued[32], expires[32];
	alpr_time_format(alpr_clock_now(NULL) - ALPR_USEC_PER_DAY, issued, sizeof(issued));
	alpr_time_format(alpr_clock_now(NULL) + 30 * ALPR_USEC_PER_DAY, expires, sizeof(expires));
	snprintf(text, sizeof(text),
		 "{\"id\": \"AG-2026-001\", \"recipient\": \"Sacramento County Sheriff\", "
		 "\"recipient_type\": \"%s\", \"recipient_key\": \"%s\", \"purposes\": [%s], "
		 "\"data_classes\": [\"hit\"], \"issued\": \"%s\", \"expires\": \"%s\"%s}",
		 type, rcpt_pub, purposes, issued, expires, extra);
	check_write_file(path, text);
}

static void test_share_cli(void)
{
	const char *bin = env_or_fail("ALPR_SHARE_BIN");
	char agency[PATH_MAX], agency_pub[PATH_MAX], rcpt[PATH_MAX], rcpt_pub[PATH_MAX];
	char spec[PATH_MAX], ag[PATH_MAX], agfed[PATH_MAX], store[PATH_MAX], audit[PATH_MAX];
	char out[PATH_MAX], ids[PATH_MAX];
	char *o, *e;
	snprintf(agency, sizeof(agency), "%s", check_path("agency.pem"));
	snprintf(agency_pub, sizeof(agency_pub), "%s", check_path("agency.pub"));
	snprintf(rcpt, sizeof(rcpt), "%s", check_path("rcpt.pem"));
	snprintf(rcpt_pub, sizeof(rcpt_pub), "%s", check_path("rcpt.pub"));
	snprintf(spec, sizeof(spec), "%s", check_path("spec.json"));
	snprintf(ag, sizeof(ag), "%s", check_path("agreement.json"));
	snprintf(agfed, sizeof(agfed), "%s", check_path("agreement-fed.json"));
	snprintf(store, sizeof(store), "%s", check_path("store"));
	snprintf(audit, sizeof(audit), "%s", check_path("audit"));
	snprintf(out, sizeof(out), "%s", check_path("disclosure.bin"));
	snprintf(ids, sizeof(ids), "%s", check_path("ids.txt"));

	char *kg1[] = {(char *)bin, "keygen", "ed25519",  "--priv",
		       agency,      "--pub",  agency_pub, NULL};
	char *kg2[] = {(char *)bin, "keygen", "x25519", "--priv", rcpt, "--pub", rcpt_pub, NULL};
	char *kg3[] = {(char *)bin,
		       "keygen",
		       "rsa",
		       "--priv",
		       (char *)check_path("x.pem"),
		       "--pub",
		       (char *)check_path("x.pub"),
		       NULL};
	CHECK_INT_EQ(run(kg1, &o, &e), 0);
	free(o);
	free(e);
	CHECK_INT_EQ(run(kg2, &o, &e), 0);
	free(o);
	free(e);
	CHECK_INT_EQ(run(kg3, &o, &e), 1);
	CHECK_STR_CONTAINS(e, "alpr-share: keygen rsa: ");
	free(o);
	free(e);

	/* Hostile specs: one line naming the file and the field, exit 1, nothing written. */
	char badkey[PATH_MAX + 16];
	snprintf(badkey, sizeof(badkey), "%s.missing", rcpt_pub);
	const struct {
		const char *type, *purposes, *key, *extra, *policy, *error;
	} bad[] = {
		{"state", "\"stolen_vehicle\"", rcpt_pub, ", \"color\": 1", "default",
		 "color: not a field of an agreement"},
		{"federal", "\"stolen_vehicle\"", rcpt_pub, "", "california",
		 "recipient_type: profile california forbids disclosure to federal agencies"},
		{"galactic", "\"stolen_vehicle\"", rcpt_pub, "", "default",
		 "recipient_type: local, state, out_of_state or federal"},
		{"state", "\"civil_immigration_enforcement\"", rcpt_pub, "", "default",
		 "purposes[0]: not an allowed purpose of profile default"},
		{"state", "\"stolen_vehicle\", 7", rcpt_pub, "", "default",
		 "purposes[1]: not an allowed purpose"},
		{"state", "", rcpt_pub, "", "default", "purposes: a list of 1 to"},
		{"state", "\"stolen_vehicle\"", badkey, "", "default", "recipient_key: "},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(bad); i++) {
		write_spec(spec, bad[i].type, bad[i].purposes, bad[i].key, bad[i].extra);
		char *argv[] = {
			(char *)bin, "agreement", "--spec", spec,       "--agency-key",
			agency,      "--out",     ag,       "--policy", (char *)bad[i].policy,
			NULL};
		CHECK_MSG(run(argv, &o, &e) == 1, "spec %zu: %s", i, e);
		CHECK_MSG(strstr(e, bad[i].error) && strncmp(e, "alpr-share: ", 12) == 0 &&
				  strstr(e, "spec.json: "),
			  "spec %zu: %s", i, e);
		CHECK_MSG(strchr(e, '\n')[1] == '\0', "spec %zu: not one line: %s", i, e);
		CHECK(!exists(ag));
		free(o);
		free(e);
	}
	check_write_file(spec, "{\"id\": \"AG-1\",\n \"recipient\": }");
	char *syn[] = {(char *)bin, "agreement", "--spec", spec, "--agency-key",
		       agency,      "--out",     ag,       NULL};
	CHECK_INT_EQ(run(syn, &o, &e), 1);
	CHECK_STR_CONTAINS(e, "spec.json: line 2: ");
	CHECK(!exists(ag));
	free(o);
	free(e);

	/* Two agreements: a state agency's for hits, a federal one (allowed by the default
	 * profile, forbidden by California's). */
	write_spec(spec, "state", "\"stolen_vehicle\"", rcpt_pub, "");
	CHECK_MSG(run(syn, &o, &e) == 0, "agreement: %s", e);
	free(o);
	free(e);
	write_spec(spec, "federal", "\"stolen_vehicle\"", rcpt_pub, "");
	char *fed[] = {(char *)bin, "agreement", "--spec", spec, "--agency-key",
		       agency,      "--out",     agfed,    NULL};
	CHECK_MSG(run(fed, &o, &e) == 0, "agreement: %s", e);
	free(o);
	free(e);

	/* A store with a hit and a non-hit read, and its log. */
	struct policy *p;
	char err[256];
	CHECK_OK(policy_load_named("default", &p, err, sizeof(err)));
	struct audit *a;
	struct audit_open_opts ao = {.device_id = "car7"};
	CHECK_OK(audit_open(audit, &ao, &a));
	char hit_id[STORE_ID_MAX + 1], read_id[STORE_ID_MAX + 1];
	store_close(hit_and_read(store, p, hit_id, read_id));
	audit_close(a);

	/* One disclosure: encrypted to the recipient, audited. */
	char *ok[] = {(char *)bin,
		      "disclose",
		      "--store",
		      store,
		      "--audit",
		      audit,
		      "--agreement",
		      ag,
		      "--agency-pub",
		      agency_pub,
		      "--user",
		      "det.ortiz",
		      "--role",
		      "investigator",
		      "--purpose",
		      "stolen_vehicle",
		      "--case",
		      "2026-000123",
		      "--id",
		      hit_id,
		      "--out",
		      out,
		      NULL};
	CHECK_MSG(run(ok, &o, &e) == 0, "disclose: %s", e);
	free(o);
	free(e);
	char *open_[] = {(char *)bin, "open", "--in", out, "--key", rcpt, NULL};
	CHECK_INT_EQ(run(open_, &o, &e), 0);
	CHECK_STR_CONTAINS(o, "\"plate\": \"5SOW750\"");
	CHECK_STR_CONTAINS(o, "\"case_number\": \"2026-000123\"");
	free(o);
	free(e);
	unlink(out);

	/* Every refusal: exit 3, one line, audited, nothing written. */
	char tampered[PATH_MAX];
	snprintf(tampered, sizeof(tampered), "%s", check_path("tampered.json"));
	char *agtext = slurp(ag);
	char *at = strstr(agtext, "Sacramento");
	CHECK(at);
	memcpy(at, "Sacramentx", 10);
	check_write_file(tampered, agtext);
	free(agtext);
	check_write_file(ids, "car7-000000000001\n\ncar7-1\"; rm -rf /\n");
	const struct {
		const char *agreement, *role, *purpose, *case_number, *id, *ids_file, *policy,
			*error;
	} refusals[] = {
		{ag, "investigator", "stolen_vehicle", "2026-000123", read_id, NULL, "default",
		 "refused: reads: agreement AG-2026-001 does not cover non-hit read data"},
		{ag, "officer", "stolen_vehicle", "2026-000123", hit_id, NULL, "default",
		 "refused: role: only an investigator"},
		{ag, "investigator", "personal_use", "2026-000123", hit_id, NULL, "default",
		 "refused: purpose: personal_use is not an allowed purpose"},
		{ag, "investigator", "stolen_vehicle", "123", hit_id, NULL, "default",
		 "refused: case number"},
		{agfed, "investigator", "stolen_vehicle", "2026-000123", hit_id, NULL, "california",
		 "refused: recipient: profile california forbids disclosure to federal"},
		{tampered, "investigator", "stolen_vehicle", "2026-000123", hit_id, NULL, "default",
		 "refused: agreement: "},
		{ag, "investigator", "stolen_vehicle", "2026-000123", NULL, ids, "default",
		 "refused: ids: "},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(refusals); i++) {
		char *argv[32];
		int n = 0;
		const char *fixed[] = {bin,
				       "disclose",
				       "--store",
				       store,
				       "--audit",
				       audit,
				       "--agreement",
				       refusals[i].agreement,
				       "--agency-pub",
				       agency_pub,
				       "--user",
				       "det.ortiz",
				       "--role",
				       refusals[i].role,
				       "--purpose",
				       refusals[i].purpose,
				       "--case",
				       refusals[i].case_number,
				       "--out",
				       out,
				       "--policy",
				       refusals[i].policy};
		for (size_t k = 0; k < ALPR_ARRAY_SIZE(fixed); k++) {
			argv[n++] = (char *)fixed[k];
		}
		argv[n++] = refusals[i].id ? "--id" : "--ids";
		argv[n++] = (char *)(refusals[i].id ? refusals[i].id : refusals[i].ids_file);
		argv[n] = NULL;
		CHECK_MSG(run(argv, &o, &e) == 3, "refusal %zu: %s", i, e);
		CHECK_MSG(strstr(e, refusals[i].error), "refusal %zu: %s", i, e);
		CHECK_MSG(strchr(e, '\n')[1] == '\0', "refusal %zu: not one line: %s", i, e);
		CHECK(!exists(out));
		free(o);
		free(e);
	}
	CHECK_OK(audit_open(audit, &(struct audit_open_opts){.read_only = true}, &a));
	struct recs *rs = read_log(a, 1);
	audit_close(a);
	CHECK_INT_EQ(count_action(rs, SHARING_ACTION_DISCLOSE, AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(rs, SHARING_ACTION_DISCLOSE, AUDIT_DENIED),
		     ALPR_ARRAY_SIZE(refusals));
	const struct rec *last = last_action(rs, SHARING_ACTION_DISCLOSE);
	CHECK_STR_CONTAINS(last->reason, "ids.txt:3: not a read id");
	CHECK(!strstr(last->params, "rm -rf"));
	free(rs);
	policy_destroy(p);
}

/* ---- alpr-hotlist import --audit: loaded and refused per category, for the report -------- */

static void test_import_audited(void)
{
	const char *bin = env_or_fail("ALPR_HOTLIST_BIN");
	char db[PATH_MAX], log[PATH_MAX], csv[PATH_MAX], bad[PATH_MAX], profile[PATH_MAX];
	char prefix[PATH_MAX], json[PATH_MAX + 8];
	char *o, *e;
	snprintf(db, sizeof(db), "%s", check_path("hotlist"));
	snprintf(log, sizeof(log), "%s", check_path("audit"));
	snprintf(csv, sizeof(csv), "%s/demo/hotlist.csv", alpr_datadir());
	snprintf(bad, sizeof(bad), "%s", check_path("bad.csv"));
	snprintf(profile, sizeof(profile), "%s", check_path("short.json"));
	snprintf(prefix, sizeof(prefix), "%s", check_path("report"));
	snprintf(json, sizeof(json), "%s.json", prefix);
	short_profile(profile);
	int64_t started = alpr_clock_now(NULL);

	char *ok[] = {(char *)bin, "--db", db,        "import", csv,      "--list",  "state",
		      "--source",  "ncic", "--audit", log,      "--user", "adm.kay", NULL};
	CHECK_MSG(run(ok, &o, &e) == 0, "import: %s", e);
	free(o);
	free(e);
	/* A hostile file: the import fails whole, and that is recorded too. */
	check_write_file(bad, "LIC,LIS,MKE\nABC123,CA,EV\nTOOLONGPLATE99,CA,EV\n");
	char *fails[] = {(char *)bin, "--db",    db,  "import", bad,       "--list",
			 "state",     "--audit", log, "--user", "adm.kay", NULL};
	CHECK(run(fails, &o, &e) != 0);
	CHECK_STR_CONTAINS(e, "bad.csv:3: ");
	free(o);
	free(e);

	struct audit *a;
	CHECK_OK(audit_open(log, &(struct audit_open_opts){.read_only = true}, &a));
	struct recs *rs = read_log(a, 1);
	audit_close(a);
	CHECK_INT_EQ(count_action(rs, "hotlist.import", AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(rs, "hotlist.import", AUDIT_DENIED), 1);
	CHECK_STR_EQ(last_action(rs, "hotlist.import")->user, "adm.kay");
	CHECK_INT_EQ(count_action(rs, REPORT_ACTION_HOTLIST, AUDIT_ALLOWED), 1);
	const struct rec *hl = last_action(rs, REPORT_ACTION_HOTLIST);
	CHECK_STR_CONTAINS(hl->params, "\"refused\":{\"immigration_violator\":1}");
	for (size_t i = 0; i < rs->n; i++) {
		CHECK(!strstr(rs->r[i].params, "IMM0042") && !strstr(rs->r[i].params, "5SOW750"));
	}
	free(rs);

	/* The report counts what the import refused. */
	json_t *rep = report_json(log, started, prefix, profile, json);
	json_t *hot = json_object_get(rep, "hotlist");
	CHECK_INT_EQ(json_integer_value(json_object_get(json_object_get(hot, "refused"),
							"immigration_violator")),
		     1);
	CHECK(json_integer_value(
		      json_object_get(json_object_get(hot, "loaded"), "stolen_vehicle")) >= 1);
	json_decref(rep);
}

/* ---- the station: exports of the reads it holds ------------------------------------------ */

/* An agreement for the state's sheriff (or @type), signed with @key, for @purposes
 * (stolen_vehicle unless NULL), hits only, in force for @days from a day ago (negative:
 * expired). */
static void agreement_file(const char *path, const char *id, enum policy_recipient type,
			   const char *key, const uint8_t rcpt[32], int days)
{
	struct sharing_agreement ag = {.type = type, .npurposes = 1};
	alpr_strlcpy(ag.id, id, sizeof(ag.id));
	alpr_strlcpy(ag.recipient, "Sacramento County Sheriff", sizeof(ag.recipient));
	memcpy(ag.recipient_key, rcpt, 32);
	alpr_strlcpy(ag.purposes[0], "stolen_vehicle", sizeof(ag.purposes[0]));
	ag.classes[POLICY_CLASS_HIT] = true;
	int64_t now = alpr_clock_now(NULL);
	ag.issued_us = days > 0 ? now - ALPR_USEC_PER_DAY : now - 30 * ALPR_USEC_PER_DAY;
	ag.expires_us = now + (int64_t)days * ALPR_USEC_PER_DAY;
	CHECK_OK(sharing_agreement_write(&ag, key, path));
}

/* alpr-station export as @creds; its exit status, stderr in *err. */
static int station_export(const char *url, const char *creds, const char *agreement,
			  const char *purpose, const char *case_number, const char *id,
			  const char *out, char **err)
{
	char *argv[20] = {(char *)env_or_fail("ALPR_STATION_BIN"),
			  "export",
			  "--station",
			  (char *)url,
			  "--creds",
			  (char *)creds,
			  "--agreement",
			  (char *)agreement,
			  "--id",
			  (char *)id,
			  "--out",
			  (char *)out};
	size_t n = 12;
	if (purpose) {
		argv[n++] = "--purpose";
		argv[n++] = (char *)purpose;
	}
	if (case_number) {
		argv[n++] = "--case";
		argv[n++] = (char *)case_number;
	}
	argv[n] = NULL;
	char *o;
	int rc = run(argv, &o, err);
	free(o);
	return rc;
}

/* An investigator exports reads the station holds, under a signed sharing agreement, with
 * alpr-station export: the file decrypts with the recipient's key only; every refusal of the
 * sharing rules (purpose, case number, role, forbidden recipient type, agreement signature
 * and expiry, data class, unknown read) is refused with one line, writes nothing, and every
 * export, allowed or refused, is a disclose record in the station's log. */
static void test_station_export(void)
{
	const char *bin = env_or_fail("ALPR_STATION_BIN");
	char station[PATH_MAX], unitc[PATH_MAX], det[PATH_MAX], url[64], store[PATH_MAX];
	char agency[PATH_MAX], apub[PATH_MAX], rogue[PATH_MAX], rpub[PATH_MAX], rcpt[PATH_MAX];
	char rcpt_pub[PATH_MAX], ag[PATH_MAX], agfed[PATH_MAX], agold[PATH_MAX], agforged[PATH_MAX];
	char out[PATH_MAX], err[512];
	char *o, *e;
	struct {
		char *buf;
		const char *name;
	} paths[] = {{station, "station"},
		     {unitc, "car7"},
		     {det, "det"},
		     {store, "store"},
		     {agency, "agency.pem"},
		     {rogue, "rogue.pem"},
		     {rpub, "rogue.pub"},
		     {rcpt, "rcpt.pem"},
		     {rcpt_pub, "rcpt.pub"},
		     {ag, "ag-state.json"},
		     {agfed, "ag-federal.json"},
		     {agold, "ag-expired.json"},
		     {agforged, "ag-forged.json"},
		     {out, "export.bin"}};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(paths); i++) {
		snprintf(paths[i].buf, PATH_MAX, "%s", check_path(paths[i].name));
	}
	snprintf(apub, sizeof(apub), "%s/agency-pub.pem", station);

	/* The station (California's profile: no federal recipients), its agency key, the
	 * recipient's key, and four agreements. */
	char *init[] = {(char *)bin, "init", "--dir", station, NULL};
	char *en_unit[] = {(char *)bin, "enroll", "car7", "--dir", station, "--out", unitc, NULL};
	char *en_det[] = {(char *)bin, "enroll", "--investigator",
			  "det.ortiz", "--dir",  station,
			  "--out",     det,      NULL};
	char *const *cmds[] = {init, en_unit, en_det};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(cmds); i++) {
		CHECK_MSG(run(cmds[i], &o, &e) == 0, "%s: %s", cmds[i][1], e);
		free(o);
		free(e);
	}
	CHECK_OK(sharing_keygen("ed25519", agency, apub));
	CHECK_OK(sharing_keygen("ed25519", rogue, rpub));
	CHECK_OK(sharing_keygen("x25519", rcpt, rcpt_pub));
	uint8_t rk[32];
	CHECK_OK(sharing_load_raw_pubkey("x25519", rcpt_pub, rk));
	agreement_file(ag, "AG-STATE", POLICY_RECIPIENT_STATE, agency, rk, 30);
	agreement_file(agfed, "AG-FED", POLICY_RECIPIENT_FEDERAL, agency, rk, 30);
	agreement_file(agold, "AG-OLD", POLICY_RECIPIENT_STATE, agency, rk, -1);
	agreement_file(agforged, "AG-STATE", POLICY_RECIPIENT_STATE, rogue, rk, 30);
	station_serve(station, "california", url, sizeof(url));

	/* The unit uploads a hit and a read that is not one. */
	struct policy *p;
	CHECK_OK(policy_load_named("california", &p, err, sizeof(err)));
	char hit_id[STORE_ID_MAX + 1], read_id[STORE_ID_MAX + 1];
	struct store *s = hit_and_read(store, p, hit_id, read_id);
	CHECK_INT_EQ(unit_sync(url, unitc, s, NULL).uploaded, 2);
	store_close(s);
	policy_destroy(p);

	/* The export: the hit, readable by the recipient only. */
	CHECK_MSG(station_export(url, det, ag, "stolen_vehicle", "2026-000123", hit_id, out, &e) ==
			  0,
		  "export: %s", e);
	free(e);
	char *json = NULL;
	size_t len;
	CHECK_OK(sharing_open(out, rcpt, &json, &len));
	CHECK_STR_CONTAINS(json, hit_id);
	CHECK_STR_CONTAINS(json, "\"plate\": \"5SOW750\"");
	CHECK_STR_CONTAINS(json, "\"case_number\": \"2026-000123\"");
	CHECK(!strstr(json, read_id));
	free(json);
	CHECK_INT_EQ(sharing_open(out, rogue, &json, &len), -ALPR_E_PARSE); /* not an X25519 key */
	unlink(out);

	/* Every refusal: exit 3, one line naming what was wrong, nothing written. */
	const struct {
		const char *creds, *agreement, *purpose, *case_number, *id, *why;
	} refused[] = {
		{det, ag, NULL, "2026-000123", hit_id,
		 "refused: purpose: (none) is not an allowed"},
		{det, ag, "civil_immigration_enforcement", "2026-000123", hit_id,
		 "refused: purpose: civil_immigration_enforcement is not an allowed purpose"},
		{det, ag, "missing_person", "2026-000123", hit_id,
		 "refused: purpose: missing_person is not in agreement AG-STATE"},
		{det, ag, "stolen_vehicle", "42", hit_id, "refused: case number: not in the"},
		{det, ag, "stolen_vehicle", NULL, hit_id, "refused: case number: not in the"},
		{unitc, ag, "stolen_vehicle", "2026-000123", hit_id,
		 "refused: role: only an investigator discloses reads"},
		{det, agfed, "stolen_vehicle", "2026-000123", hit_id,
		 "refused: recipient: profile california forbids disclosure to federal agencies"},
		{det, agold, "stolen_vehicle", "2026-000123", hit_id,
		 "refused: agreement: AG-OLD is not in force"},
		{det, agforged, "stolen_vehicle", "2026-000123", hit_id,
		 "refused: agreement: signature: does not verify"},
		{det, ag, "stolen_vehicle", "2026-000123", read_id,
		 "refused: reads: agreement AG-STATE does not cover non-hit read data"},
		{det, ag, "stolen_vehicle", "2026-000123", "car7-000000999999",
		 "refused: reads: car7-000000999999 is not a retained read"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(refused); i++) {
		int rc = station_export(url, refused[i].creds, refused[i].agreement,
					refused[i].purpose, refused[i].case_number, refused[i].id,
					out, &e);
		CHECK_MSG(rc == 3, "refusal %zu: exit %d: %s", i, rc, e);
		CHECK_MSG(strstr(e, refused[i].why), "refusal %zu: %s", i, e);
		CHECK_MSG(strchr(e, '\n') && strchr(e, '\n')[1] == '\0', "not one line: %s", e);
		CHECK(!exists(out));
		free(e);
	}
	/* A body that is not an export: 400, and audited as a refused disclosure too. */
	char *answer;
	CHECK_INT_EQ(
		request(url, "/v1/export", det, "POST", "{\"agreement\": 5, \"ids\": []}", &answer),
		400);
	CHECK_STR_CONTAINS(answer, "agreement: not an agreement object");
	free(answer);
	CHECK_INT_EQ(
		request(url, "/v1/export", det, "POST", "{\"plates\": [\"5SOW750\"]}", &answer),
		400);
	CHECK_STR_CONTAINS(answer, "plates: not a field of an export");
	free(answer);
	kill_station();

	/* The station's log: one allowed disclosure, every refusal; it verifies. */
	char log[PATH_MAX];
	struct recs *rs = station_log(station, log, sizeof(log));
	CHECK_INT_EQ(count_action(rs, SHARING_ACTION_DISCLOSE, AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(rs, SHARING_ACTION_DISCLOSE, AUDIT_DENIED),
		     ALPR_ARRAY_SIZE(refused) + 2);
	const struct rec *ok = NULL;
	for (size_t i = 0; i < rs->n; i++) {
		if (strcmp(rs->r[i].action, SHARING_ACTION_DISCLOSE) == 0) {
			if (rs->r[i].outcome == AUDIT_ALLOWED) {
				ok = &rs->r[i];
			} else {
				CHECK(rs->r[i].reason[0]);
			}
		}
	}
	CHECK(ok);
	CHECK_STR_EQ(ok->user, "det.ortiz");
	CHECK_STR_EQ(ok->role, "investigator");
	CHECK_STR_EQ(ok->object_id, "AG-STATE");
	CHECK_INT_EQ(ok->count, 1);
	CHECK(!strstr(ok->params, "5SOW750"));
	free(rs);
	char *verify[] = {(char *)env_or_fail("ALPR_AUDIT_BIN"), "--db", log, "verify", NULL};
	CHECK_MSG(run(verify, &o, &e) == 0, "alpr-audit verify: %s%s", o, e);
	free(o);
	free(e);
}

static const struct check_case cases[] = {
	{"purge-counts", test_purge_counts},
	{"refusals", test_refusals},
	{"unstored-hit", test_unstored_hit},
	{"dispose-crash", test_dispose_crash},
	{"historical", test_historical},
	{"commands", test_commands},
	{"unit-run", test_unit_run},
	{"station-search", test_station_search},
	{"share-cli", test_share_cli},
	{"policy-change", test_policy_change},
	{"import-audited", test_import_audited},
	{"station-export", test_station_export},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
