/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * search/: purpose-bound search. Every refusal path is driven and its audit record read back;
 * allowed searches are checked against the reads they must find and the hash the audit
 * record holds; the flag rules, historical hits, audited tightening and the store's window
 * query are exercised on the shared fixture; the alpr-search tool runs as a user would.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "common.h"
#include "search-private.h"
#include "sharing.h"
#include "test-search-fixture.h"

/* ---- reading the log back -------------------------------------------------------------- */

struct rec_copy {
	uint64_t seq;
	char action[64], user[64], role[64], purpose[64], case_number[64], object_id[128];
	char params[1024], reason[256];
	enum audit_outcome outcome;
	uint64_t result_count;
	uint8_t results_hash[AUDIT_HASH_LEN];
};

struct recs {
	struct rec_copy r[256];
	size_t n;
};

static int copy_fn(const struct audit_record *rec, void *userdata)
{
	struct recs *rs = userdata;
	struct rec_copy *c;

	CHECK(rs->n < ALPR_ARRAY_SIZE(rs->r));
	c = &rs->r[rs->n++];
	c->seq = rec->seq;
	alpr_strlcpy(c->action, rec->action, sizeof(c->action));
	alpr_strlcpy(c->user, rec->user, sizeof(c->user));
	alpr_strlcpy(c->role, rec->role, sizeof(c->role));
	alpr_strlcpy(c->purpose, rec->purpose, sizeof(c->purpose));
	alpr_strlcpy(c->case_number, rec->case_number, sizeof(c->case_number));
	alpr_strlcpy(c->object_id, rec->object_id, sizeof(c->object_id));
	alpr_strlcpy(c->params, rec->params, sizeof(c->params));
	alpr_strlcpy(c->reason, rec->reason, sizeof(c->reason));
	c->outcome = rec->outcome;
	c->result_count = rec->result_count;
	memcpy(c->results_hash, rec->results_hash, AUDIT_HASH_LEN);
	return 0;
}

static struct recs *read_log(struct audit *a)
{
	static struct recs rs;
	rs.n = 0;
	CHECK_OK(audit_foreach(a, 1, copy_fn, &rs));
	return &rs;
}

static size_t count_action(struct audit *a, const char *action, int outcome)
{
	struct recs *rs = read_log(a);
	size_t n = 0;
	for (size_t i = 0; i < rs->n; i++) {
		n += strcmp(rs->r[i].action, action) == 0 &&
		     (outcome < 0 || (int)rs->r[i].outcome == outcome);
	}
	return n;
}

static const struct rec_copy *last_action(struct audit *a, const char *action)
{
	struct recs *rs = read_log(a);
	for (size_t i = rs->n; i-- > 0;) {
		if (strcmp(rs->r[i].action, action) == 0) {
			return &rs->r[i];
		}
	}
	check_fail(__FILE__, __LINE__, "no %s record", action);
}

/* ---- results --------------------------------------------------------------------------- */

struct got {
	char ids[64][STORE_ID_MAX + 1];
	size_t n;
};

static int got_fn(const struct store_read *r, const struct store_hit *hit, void *userdata)
{
	struct got *g = userdata;
	CHECK(g->n < ALPR_ARRAY_SIZE(g->ids));
	CHECK(r->crop == NULL);
	alpr_strlcpy(g->ids[g->n++], r->id, sizeof(g->ids[0]));
	return 0;
}

static struct search_query investigator(void)
{
	return (struct search_query){
		.user = "det.ortiz",
		.role = "investigator",
		.purpose = "stolen_vehicle",
		.case_number = "2026-000123",
		.justification = "Vehicle reported stolen from Main St lot on 28 Feb",
	};
}

/* ---- cases ----------------------------------------------------------------------------- */

static void test_refusals(void)
{
	struct fixture f;
	fixture_open(&f, "default", false);
	fixture_fill(&f);

	static const struct {
		const char *name;
		const char *user, *role, *purpose, *case_number, *plate, *partial, *unit;
		bool near;
		double radius;
		const char *reason;
	} rows[] = {
		{"no user", "", "investigator", "stolen_vehicle", "2026-000001", "ABC1234", NULL,
		 NULL, false, 0, "user:"},
		{"no role", "det.ortiz", NULL, "stolen_vehicle", "2026-000001", "ABC1234", NULL,
		 NULL, false, 0, "role:"},
		{"unknown role", "det.ortiz", "chief", "stolen_vehicle", "2026-000001", "ABC1234",
		 NULL, NULL, false, 0, "role:"},
		{"administrator", "adm.kay", "administrator", "stolen_vehicle", "2026-000001",
		 "ABC1234", NULL, NULL, false, 0, "role: an administrator may not search"},
		{"auditor", "aud.lee", "auditor", "stolen_vehicle", "2026-000001", "ABC1234", NULL,
		 NULL, false, 0, "role: an auditor may not search"},
		{"supervisor", "sgt.hale", "supervisor", "stolen_vehicle", "2026-000001", "ABC1234",
		 NULL, NULL, false, 0, "role: a supervisor may not search"},
		{"no purpose", "det.ortiz", "investigator", NULL, "2026-000001", "ABC1234", NULL,
		 NULL, false, 0, "purpose: a search needs a purpose"},
		{"unknown purpose", "det.ortiz", "investigator", "curiosity", "2026-000001",
		 "ABC1234", NULL, NULL, false, 0, "purpose: \"curiosity\" is not a purpose"},
		{"immigration", "det.ortiz", "investigator", "civil_immigration_enforcement",
		 "2026-000001", "ABC1234", NULL, NULL, false, 0,
		 "purpose: civil_immigration_enforcement is prohibited"},
		{"first amendment", "det.ortiz", "investigator", "first_amendment_activity",
		 "2026-000001", "ABC1234", NULL, NULL, false, 0, "is prohibited"},
		{"protected class", "det.ortiz", "investigator", "protected_class_targeting",
		 "2026-000001", "ABC1234", NULL, NULL, false, 0, "is prohibited"},
		{"personal use", "det.ortiz", "investigator", "personal_use", "2026-000001",
		 "ABC1234", NULL, NULL, false, 0, "is prohibited"},
		{"no case", "det.ortiz", "investigator", "stolen_vehicle", NULL, "ABC1234", NULL,
		 NULL, false, 0, "case number: a search needs a case number"},
		{"bad case", "det.ortiz", "investigator", "stolen_vehicle", "26-1", "ABC1234", NULL,
		 NULL, false, 0, "case number: not in the profile's format YYYY-NNNNNN"},
		{"no criteria", "det.ortiz", "investigator", "stolen_vehicle", "2026-000001", NULL,
		 NULL, NULL, false, 0, "criteria:"},
		{"bad plate", "det.ortiz", "investigator", "stolen_vehicle", "2026-000001",
		 "abc 123", NULL, NULL, false, 0, "plate:"},
		{"wildcard only", "det.ortiz", "investigator", "stolen_vehicle", "2026-000001",
		 NULL, "*", NULL, false, 0, "partial plate: name at least"},
		{"bad pattern", "det.ortiz", "investigator", "stolen_vehicle", "2026-000001", NULL,
		 "AB%1", NULL, false, 0, "partial plate:"},
		{"huge area", "det.ortiz", "investigator", "stolen_vehicle", "2026-000001", NULL,
		 NULL, NULL, true, 1e6, "area:"},
		{"officer no unit", "ofc.bell", "officer", "stolen_vehicle", "2026-000001",
		 "ABC1234", NULL, NULL, false, 0, "unit:"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		struct search_query q = {
			.user = rows[i].user,
			.role = rows[i].role,
			.purpose = rows[i].purpose,
			.case_number = rows[i].case_number,
			.plate = rows[i].plate,
			.partial = rows[i].partial,
			.unit = rows[i].unit,
			.has_near = rows[i].near,
			.lat = FIX_LAT,
			.lon = FIX_LON,
			.radius_m = rows[i].radius,
			.justification = "Vehicle reported stolen from Main St lot on 28 Feb",
		};
		struct search_result res;
		struct got g = {0};
		size_t before = count_action(f.audit, SEARCH_ACTION_SEARCH, AUDIT_DENIED);
		int r = search_run(f.store, f.audit, f.policy, &q, got_fn, &g, &res);
		CHECK_MSG(r == -ALPR_E_REFUSED, "%s: %d", rows[i].name, r);
		CHECK_MSG(g.n == 0, "%s: results returned", rows[i].name);
		CHECK_STR_CONTAINS(res.reason, rows[i].reason);
		CHECK_MSG(strchr(res.reason, '\n') == NULL, "%s: not one line", rows[i].name);
		/* audited: a denied search record with the reason and the parameters */
		CHECK_INT_EQ(count_action(f.audit, SEARCH_ACTION_SEARCH, AUDIT_DENIED), before + 1);
		const struct rec_copy *rec = last_action(f.audit, SEARCH_ACTION_SEARCH);
		CHECK_INT_EQ(rec->seq, res.audit_seq);
		CHECK_STR_EQ(rec->reason, res.reason);
		CHECK_INT_EQ(rec->result_count, 0);
		if (rows[i].user && *rows[i].user) {
			CHECK_STR_EQ(rec->user, rows[i].user);
		}
		if (rows[i].purpose) {
			CHECK_STR_EQ(rec->purpose, rows[i].purpose);
		}
		if (rows[i].plate) {
			CHECK_STR_CONTAINS(rec->params, rows[i].plate);
		}
	}
	/* A purpose dropped by an administrator's tightening is refused the same way. */
	struct policy *t = NULL;
	char err[256];
	const char *change = "{\"prohibit_purposes\":[\"stolen_vehicle\"]}";
	CHECK_OK(policy_tighten(f.policy, change, strlen(change), &t, err, sizeof(err)));
	struct search_query q = investigator();
	q.plate = "ABC1234";
	struct search_result res;
	CHECK_INT_EQ(search_run(f.store, f.audit, t, &q, NULL, NULL, &res), -ALPR_E_REFUSED);
	CHECK_STR_CONTAINS(res.reason, "stolen_vehicle is prohibited");
	policy_destroy(t);
	CHECK_OK(audit_verify(f.audit, NULL, NULL, &(struct audit_verify_result){0}));
	fixture_close(&f);
}

static void test_allowed(void)
{
	struct fixture f;
	struct search_result res;
	fixture_open(&f, "default", false);
	fixture_fill(&f);

	/* exact plate: two reads of ABC1234 */
	struct search_query q = investigator();
	q.plate = "ABC1234";
	struct got g = {0};
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, got_fn, &g, &res));
	CHECK_INT_EQ(res.count, 2);
	CHECK_INT_EQ(g.n, 2);
	CHECK_STR_EQ(g.ids[0], f.ids[0]);
	CHECK_STR_EQ(g.ids[1], f.ids[5]);
	const struct rec_copy *rec = last_action(f.audit, SEARCH_ACTION_SEARCH);
	CHECK_INT_EQ(rec->seq, res.audit_seq);
	CHECK_INT_EQ(rec->outcome, AUDIT_ALLOWED);
	CHECK_INT_EQ(rec->result_count, 2);
	CHECK_STR_EQ(rec->user, "det.ortiz");
	CHECK_STR_EQ(rec->role, "investigator");
	CHECK_STR_EQ(rec->purpose, "stolen_vehicle");
	CHECK_STR_EQ(rec->case_number, "2026-000123");
	CHECK_STR_CONTAINS(rec->params, "\"plate\":\"ABC1234\"");
	uint8_t h[AUDIT_HASH_LEN];
	const char *ids[] = {f.ids[0], f.ids[5]};
	search_ids_hash(ids, 2, h);
	CHECK(memcmp(h, rec->results_hash, AUDIT_HASH_LEN) == 0);
	CHECK(memcmp(h, res.results_hash, AUDIT_HASH_LEN) == 0);

	/* time window: only the first */
	q.has_from = true;
	q.from_us = FIX_T0;
	q.has_to = true;
	q.to_us = FIX_T0 + 10 * ALPR_USEC_PER_HOUR;
	memset(&g, 0, sizeof(g));
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, got_fn, &g, &res));
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.ids[0], f.ids[0]);

	/* partial: ABC12?4 finds ABC1234 twice and ABC1284 */
	q = investigator();
	q.partial = "ABC12?4";
	memset(&g, 0, sizeof(g));
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, got_fn, &g, &res));
	CHECK_INT_EQ(g.n, 3);
	q.partial = "*7890";
	memset(&g, 0, sizeof(g));
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, got_fn, &g, &res));
	CHECK_INT_EQ(g.n, 2);

	/* area: 300 m around the centre, no plate: reads 0, 1, 4, 5, 7 (not the far ones, not
	 * the one without a fix); flagged as a bulk area search */
	q = investigator();
	q.has_near = true;
	q.lat = FIX_LAT;
	q.lon = FIX_LON;
	q.radius_m = 300;
	memset(&g, 0, sizeof(g));
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, got_fn, &g, &res));
	CHECK_INT_EQ(g.n, 5);
	CHECK(res.flags & SEARCH_FLAG_BULK_AREA);
	/* plate and area together */
	q.plate = "XYZ7890";
	memset(&g, 0, sizeof(g));
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, got_fn, &g, &res));
	CHECK_INT_EQ(g.n, 2);
	CHECK(!(res.flags & SEARCH_FLAG_BULK_AREA));

	/* an officer sees their own unit's hits only, whatever the plate pattern */
	q = investigator();
	q.user = "ofc.bell";
	q.role = "officer";
	q.partial = "*4*6*";
	q.unit = FIX_UNIT;
	memset(&g, 0, sizeof(g));
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, got_fn, &g, &res));
	CHECK_INT_EQ(g.n, 2); /* LMN4567 and QRS2468, the hits */
	q.unit = "unit7";
	memset(&g, 0, sizeof(g));
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, got_fn, &g, &res));
	CHECK_INT_EQ(g.n, 0);

	/* expired reads are never found: 72 h after the last read */
	alpr_clock_set(&f.clock, FIX_T0 + 40 * ALPR_USEC_PER_HOUR + 72 * ALPR_USEC_PER_HOUR);
	q = investigator();
	q.plate = "XYZ7890";
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, NULL, NULL, &res));
	CHECK_INT_EQ(res.count, 0);
	CHECK_OK(audit_verify(f.audit, NULL, NULL, &(struct audit_verify_result){0}));
	fixture_close(&f);
}

static void test_pattern(void)
{
	static const struct {
		const char *pat, *s;
		bool ok;
	} rows[] = {
		{"AB?12*", "ABC123", true}, {"AB?12*", "ABC12", true},  {"AB?12*", "AB12", false},
		{"*123", "XYZ123", true},   {"*123", "XYZ1234", false}, {"A*B*C", "AXXBYYC", true},
		{"A*B*C", "AXXBYY", false}, {"??", "AB", true},         {"??", "ABC", false},
		{"A**1", "AZZ1", true},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		CHECK_MSG(search_pattern_match(rows[i].pat, rows[i].s) == rows[i].ok, "%s / %s",
			  rows[i].pat, rows[i].s);
	}
	/* about 111 km per degree of latitude */
	double d = search_distance_m(44.0, -70.0, 45.0, -70.0);
	CHECK(fabs(d - 111195) < 100);
}

struct flag_list {
	char rules[32][40];
	uint64_t seqs[32];
	size_t n;
};

static int flag_fn(const struct search_flag_info *fi, void *userdata)
{
	struct flag_list *l = userdata;
	CHECK(l->n < ALPR_ARRAY_SIZE(l->rules));
	alpr_strlcpy(l->rules[l->n], fi->rule, sizeof(l->rules[0]));
	l->seqs[l->n++] = fi->flag_seq;
	return 0;
}

static void test_flags(void)
{
	struct fixture f;
	struct search_result res;
	char why[256];
	fixture_open(&f, "default", false);
	fixture_fill(&f);

	/* the same plate, three times by one user: flagged the third time */
	struct search_query q = investigator();
	q.plate = "XYZ7890";
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, NULL, NULL, &res));
	CHECK_INT_EQ(res.flags, 0);
	alpr_clock_advance(&f.clock, ALPR_USEC_PER_HOUR);
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, NULL, NULL, &res));
	CHECK_INT_EQ(res.flags, 0);
	/* another user's search of it does not count */
	q.user = "det.ruiz";
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, NULL, NULL, &res));
	CHECK_INT_EQ(res.flags, 0);
	q.user = "det.ortiz";
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, NULL, NULL, &res));
	CHECK_INT_EQ(res.flags, SEARCH_FLAG_REPEAT_PLATE);
	uint64_t flagged_search = res.audit_seq;

	/* vague: missing, short, boilerplate */
	q = investigator();
	q.plate = "ABC1234";
	q.justification = NULL;
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, NULL, NULL, &res));
	CHECK(res.flags & SEARCH_FLAG_VAGUE);
	q.justification = "  Ongoing Investigation. ";
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, NULL, NULL, &res));
	CHECK(res.flags & SEARCH_FLAG_VAGUE);

	/* the same justification on three case numbers */
	const char *cases[] = {"2026-000201", "2026-000202", "2026-000203"};
	const char *plates[] = {"LMN4567", "QRS2468", "7TRK220"};
	for (size_t i = 0; i < 3; i++) {
		q = investigator();
		q.user = "det.vance";
		q.case_number = cases[i];
		q.plate = plates[i];
		q.justification = "Vehicle seen near the scene of the burglary";
		CHECK_OK(search_run(f.store, f.audit, f.policy, &q, NULL, NULL, &res));
		CHECK_INT_EQ(!!(res.flags & SEARCH_FLAG_REPEAT_REASON), i == 2);
	}

	/* bulk area: wide radius */
	q = investigator();
	q.plate = "QRS2468";
	q.has_near = true;
	q.lat = FIX_LAT;
	q.lon = FIX_LON;
	q.radius_m = 5000;
	CHECK_OK(search_run(f.store, f.audit, f.policy, &q, NULL, NULL, &res));
	CHECK(res.flags & SEARCH_FLAG_BULK_AREA);

	/* every flag is an audit record pointing at its search */
	CHECK_INT_EQ(count_action(f.audit, SEARCH_ACTION_FLAG, AUDIT_ALLOWED), 5);

	/* a supervisor lists them (audited); an officer may not */
	struct flag_list l = {0};
	CHECK_OK(search_flags_foreach(f.audit, f.policy, "sgt.hale", "supervisor", false, flag_fn,
				      &l));
	CHECK_INT_EQ(l.n, 5);
	CHECK_STR_EQ(l.rules[0], "repeat-plate");
	CHECK_INT_EQ(
		search_flags_foreach(f.audit, f.policy, "ofc.bell", "officer", false, flag_fn, &l),
		-ALPR_E_REFUSED);
	CHECK_INT_EQ(count_action(f.audit, "flag.list", AUDIT_DENIED), 1);

	/* review: refused for another role, a bad decision, a missing note, a search record,
	 * one's own search; then cleared, and no longer open */
	CHECK_INT_EQ(search_flag_review(f.audit, f.policy, "det.ortiz", "investigator", l.seqs[0],
					"cleared", "looked at it myself", why, sizeof(why)),
		     -ALPR_E_REFUSED);
	CHECK_STR_CONTAINS(why, "role:");
	CHECK_INT_EQ(search_flag_review(f.audit, f.policy, "sgt.hale", "supervisor", l.seqs[0],
					"ignore", "because I said so", why, sizeof(why)),
		     -ALPR_E_REFUSED);
	CHECK_STR_CONTAINS(why, "decision:");
	CHECK_INT_EQ(search_flag_review(f.audit, f.policy, "sgt.hale", "supervisor", l.seqs[0],
					"cleared", "ok", why, sizeof(why)),
		     -ALPR_E_REFUSED);
	CHECK_STR_CONTAINS(why, "note:");
	CHECK_INT_EQ(search_flag_review(f.audit, f.policy, "sgt.hale", "supervisor", flagged_search,
					"cleared", "repeat checks on one theft", why, sizeof(why)),
		     -ALPR_E_REFUSED);
	CHECK_STR_CONTAINS(why, "is not a review flag");
	CHECK_INT_EQ(search_flag_review(f.audit, f.policy, "det.ortiz", "supervisor", l.seqs[0],
					"cleared", "repeat checks on one theft", why, sizeof(why)),
		     -ALPR_E_REFUSED);
	CHECK_STR_CONTAINS(why, "own search");
	CHECK_OK(search_flag_review(f.audit, f.policy, "sgt.hale", "supervisor", l.seqs[0],
				    "cleared", "repeat checks on one theft, same case", why,
				    sizeof(why)));
	CHECK_INT_EQ(count_action(f.audit, SEARCH_ACTION_REVIEW, AUDIT_DENIED), 5);
	CHECK_INT_EQ(count_action(f.audit, SEARCH_ACTION_REVIEW, AUDIT_ALLOWED), 1);
	memset(&l, 0, sizeof(l));
	CHECK_OK(search_flags_foreach(f.audit, f.policy, "aud.lee", "auditor", false, flag_fn, &l));
	CHECK_INT_EQ(l.n, 4);
	memset(&l, 0, sizeof(l));
	CHECK_OK(search_flags_foreach(f.audit, f.policy, "aud.lee", "auditor", true, flag_fn, &l));
	CHECK_INT_EQ(l.n, 5);
	fixture_close(&f);
}

static void test_historical(void)
{
	struct fixture f;
	struct got g = {0};
	uint64_t n = 0;
	fixture_open(&f, "default", false);
	fixture_fill(&f);

	struct search_entry e = {
		.plate = "ABC1234",
		.state = "ME",
		.category = POLICY_CAT_FELONY_VEHICLE,
		.list = "local",
		.record_id = "L-77",
	};
	CHECK_OK(search_historical_hits(f.store, f.audit, f.policy, &e, "sgt.hale", "supervisor",
					got_fn, &g, &n));
	CHECK_INT_EQ(n, 2);
	CHECK_INT_EQ(g.n, 2);
	CHECK_INT_EQ(count_action(f.audit, SEARCH_ACTION_HISTORICAL, AUDIT_ALLOWED), 2);
	const struct rec_copy *rec = last_action(f.audit, SEARCH_ACTION_HISTORICAL);
	CHECK_STR_EQ(rec->object_id, f.ids[5]);
	/* the record names the entry by list and record id, never by plate */
	CHECK(strstr(rec->params, "ABC1234") == NULL);
	CHECK_STR_CONTAINS(rec->params, "\"record_id\":\"L-77\"");
	rec = last_action(f.audit, SEARCH_ACTION_HIST_CHECK);
	CHECK_INT_EQ(rec->result_count, 2);
	/* the past reads are unchanged: still not hits */
	struct store_hit hit;
	CHECK_INT_EQ(store_get_hit(f.store, f.ids[0], &hit), -ENOENT);

	/* past retention: not found */
	alpr_clock_set(&f.clock, FIX_T0 + 21 * ALPR_USEC_PER_HOUR + 72 * ALPR_USEC_PER_HOUR);
	CHECK_OK(search_historical_hits(f.store, f.audit, f.policy, &e, "sgt.hale", "supervisor",
					NULL, NULL, &n));
	CHECK_INT_EQ(n, 0);

	/* a refused category is refused and audited */
	e.category = POLICY_CAT_IMMIGRATION_VIOLATOR;
	CHECK_INT_EQ(search_historical_hits(f.store, f.audit, f.policy, &e, "sgt.hale",
					    "supervisor", NULL, NULL, &n),
		     -ALPR_E_REFUSED);
	rec = last_action(f.audit, SEARCH_ACTION_HIST_CHECK);
	CHECK_INT_EQ(rec->outcome, AUDIT_DENIED);
	CHECK_STR_CONTAINS(rec->reason, "immigration_violator is refused");
	fixture_close(&f);
}

static void test_tighten_audited(void)
{
	struct fixture f;
	struct policy *t = NULL;
	char err[512];
	const char *ovr = check_path("override.json");
	fixture_open(&f, "california", false);

	/* another role: refused, audited, nothing written */
	CHECK_INT_EQ(search_policy_tighten(f.audit, f.policy, "det.ortiz", "investigator",
					   "{\"retention\":{\"read\":\"30d\"}}", ovr, &t, err,
					   sizeof(err)),
		     -ALPR_E_REFUSED);
	CHECK(t == NULL);
	CHECK(access(ovr, F_OK) != 0);
	/* looser: refused, audited */
	CHECK_INT_EQ(search_policy_tighten(f.audit, f.policy, "adm.kay", "administrator",
					   "{\"sharing\":{\"federal\":\"agreement\"}}", ovr, &t,
					   err, sizeof(err)),
		     -ALPR_E_REFUSED);
	CHECK_STR_CONTAINS(err, "sharing.federal");
	/* stricter: in force, written, audited with the new profile's hash */
	CHECK_OK(search_policy_tighten(f.audit, f.policy, "adm.kay", "administrator",
				       "{\"retention\":{\"read\":\"30d\"}}", ovr, &t, err,
				       sizeof(err)));
	CHECK_INT_EQ(policy_retention_us(t, POLICY_CLASS_READ), 30 * ALPR_USEC_PER_DAY);
	CHECK(access(ovr, F_OK) == 0);
	CHECK_INT_EQ(count_action(f.audit, SEARCH_ACTION_TIGHTEN, AUDIT_DENIED), 2);
	const struct rec_copy *rec = last_action(f.audit, SEARCH_ACTION_TIGHTEN);
	char hex[65];
	alpr_hex_encode(policy_hash(t), 32, hex);
	CHECK_INT_EQ(rec->outcome, AUDIT_ALLOWED);
	CHECK_STR_EQ(rec->object_id, hex);
	CHECK_STR_EQ(rec->params, "{\"retention\":{\"read\":\"30d\"}}");
	policy_destroy(t);
	fixture_close(&f);
}

struct purge_seen {
	uint64_t reads, hits;
};

static int purge_fn(const struct audit_record *rec, void *userdata)
{
	struct purge_seen *s = userdata;
	if (strcmp(rec->action, REPORT_ACTION_PURGE) == 0) {
		unsigned long long r, c, h, m;
		CHECK(sscanf(rec->params,
			     "{\"crops\":%llu,\"hits\":%llu,\"misread_hits\":%llu,"
			     "\"reads\":%llu}",
			     &c, &h, &m, &r) == 4);
		s->reads += r;
		s->hits += h + m;
	}
	return 0;
}

static void test_purge_audit(void)
{
	struct fixture f;
	struct store_stats before, after;
	struct store_purge_counts counts;
	struct purge_seen seen = {0};
	fixture_open(&f, "default", true);
	fixture_fill(&f);

	CHECK_OK(store_stats(f.store, &before));
	CHECK_INT_EQ(before.reads, 8);
	/* 72 h after read 4: the first five non-hit reads are past 72 h, no hit is past 1 y */
	alpr_clock_set(&f.clock, FIX_T0 + 5 * ALPR_USEC_PER_HOUR + 72 * ALPR_USEC_PER_HOUR);
	CHECK_OK(store_purge(f.store, &counts));
	CHECK_OK(store_stats(f.store, &after));
	CHECK_OK(audit_foreach(f.audit, 1, purge_fn, &seen));
	CHECK_INT_EQ(counts.reads, 4);
	CHECK_INT_EQ(seen.reads, counts.reads);
	CHECK_INT_EQ(seen.reads + seen.hits, before.reads - after.reads);
	/* a year later everything is gone, and the log says so to the row */
	alpr_clock_set(&f.clock, FIX_T0 + 400 * ALPR_USEC_PER_DAY);
	CHECK_OK(store_purge(f.store, &counts));
	CHECK_OK(store_stats(f.store, &after));
	CHECK_INT_EQ(after.reads, 0);
	memset(&seen, 0, sizeof(seen));
	CHECK_OK(audit_foreach(f.audit, 1, purge_fn, &seen));
	CHECK_INT_EQ(seen.reads + seen.hits, before.reads);
	CHECK_INT_EQ(seen.hits, 2);
	fixture_close(&f);
}

struct win {
	size_t n;
	bool saw_hit;
};

static int win_fn(const struct store_read *r, const struct store_hit *hit, void *userdata)
{
	struct win *w = userdata;
	w->n++;
	w->saw_hit |= hit != NULL;
	return 0;
}

static int stop_fn(const struct store_read *r, const struct store_hit *hit, void *userdata)
{
	return 7;
}

static void test_store_window(void)
{
	struct fixture f;
	struct win w = {0};
	fixture_open(&f, "default", false);
	fixture_fill(&f);
	CHECK_OK(store_foreach_in_window(f.store, FIX_T0, FIX_T0 + 6 * ALPR_USEC_PER_HOUR, win_fn,
					 &w));
	CHECK_INT_EQ(w.n, 5);
	CHECK(w.saw_hit);
	CHECK_INT_EQ(store_foreach_in_window(f.store, 2, 1, win_fn, &w), -EINVAL);
	/* a callback's non-zero return stops the walk and is returned */
	CHECK_INT_EQ(store_foreach_in_window(f.store, INT64_MIN, INT64_MAX, stop_fn, &w), 7);
	fixture_close(&f);

	/* memory-only reads (New Hampshire) are found too, until their 3 minutes are up */
	fixture_open(&f, "new-hampshire", false);
	alpr_clock_set(&f.clock, FIX_T0 + 60 * ALPR_USEC_PER_SEC);
	fixture_read(&f, "ABC1234", 30 * ALPR_USEC_PER_SEC, 0, 0, -1, "front-left");
	fixture_read(&f, "LMN4567", 40 * ALPR_USEC_PER_SEC, 0, 0, POLICY_CAT_STOLEN_VEHICLE,
		     "front-left");
	memset(&w, 0, sizeof(w));
	CHECK_OK(store_foreach_in_window(f.store, INT64_MIN, INT64_MAX, win_fn, &w));
	CHECK_INT_EQ(w.n, 2);
	alpr_clock_set(&f.clock, FIX_T0 + 4 * ALPR_USEC_PER_MIN);
	memset(&w, 0, sizeof(w));
	CHECK_OK(store_foreach_in_window(f.store, INT64_MIN, INT64_MAX, win_fn, &w));
	CHECK_INT_EQ(w.n, 1);
	CHECK(w.saw_hit);
	fixture_close(&f);
}

static void test_sharing(void)
{
	struct fixture f;
	char reason[256], err[512];
	fixture_open(&f, "california", false);
	fixture_fill(&f);

	const char *agency = check_path("agency.pem"), *agency_pub = check_path("agency.pub");
	const char *rcpt = check_path("rcpt.pem"), *rcpt_pub = check_path("rcpt.pub");
	const char *other = check_path("other.pem"), *other_pub = check_path("other.pub");
	CHECK_OK(sharing_keygen("ed25519", agency, agency_pub));
	CHECK_OK(sharing_keygen("x25519", rcpt, rcpt_pub));
	CHECK_OK(sharing_keygen("x25519", other, other_pub));
	CHECK_INT_EQ(sharing_keygen("rsa", other, other_pub), -EINVAL);

	struct sharing_agreement ag = {
		.id = "AG-2026-001",
		.recipient = "Sacramento County Sheriff",
		.type = POLICY_RECIPIENT_STATE,
		.purposes = {"stolen_vehicle", "missing_person"},
		.npurposes = 2,
		.classes = {[POLICY_CLASS_HIT] = true},
		.issued_us = FIX_T0 - ALPR_USEC_PER_DAY,
		.expires_us = FIX_T0 + 30 * ALPR_USEC_PER_DAY,
	};
	CHECK_OK(sharing_load_raw_pubkey("x25519", rcpt_pub, ag.recipient_key));
	const char *agp = check_path("agreement.json");
	CHECK_OK(sharing_agreement_write(&ag, agency, agp));
	struct sharing_agreement got;
	CHECK_OK(sharing_agreement_load(agp, agency_pub, &got, err, sizeof(err)));
	CHECK_STR_EQ(got.recipient, ag.recipient);
	CHECK(got.classes[POLICY_CLASS_HIT] && !got.classes[POLICY_CLASS_READ]);

	/* one disclosure: the hit on LMN4567, encrypted to the recipient, audited */
	const char *ids[] = {f.ids[4]};
	struct sharing_request rq = {
		.user = "det.ortiz",
		.role = "investigator",
		.purpose = "stolen_vehicle",
		.case_number = "2026-000123",
		.ids = ids,
		.nids = 1,
		.now_us = FIX_T0 + 48 * ALPR_USEC_PER_HOUR,
	};
	const char *out = check_path("disclosure.bin");
	CHECK_OK(sharing_disclose(f.store, f.audit, f.policy, &got, &rq, out, reason,
				  sizeof(reason)));
	char *json = NULL;
	size_t len;
	CHECK_OK(sharing_open(out, rcpt, &json, &len));
	CHECK_STR_CONTAINS(json, "\"plate\": \"LMN4567\"");
	CHECK_STR_CONTAINS(json, "\"case_number\": \"2026-000123\"");
	free(json);
	/* the ciphertext does not carry the plate; another key cannot open it */
	char *raw = NULL;
	CHECK_OK(alpr_read_file(out, 1 << 20, &raw, &len));
	CHECK(memmem(raw, len, "LMN4567", 7) == NULL);
	free(raw);
	CHECK_INT_EQ(sharing_open(out, other, &json, &len), -ALPR_E_CORRUPT);
	const struct rec_copy *rec = last_action(f.audit, SHARING_ACTION_DISCLOSE);
	CHECK_INT_EQ(rec->outcome, AUDIT_ALLOWED);
	CHECK_INT_EQ(rec->result_count, 1);
	CHECK_STR_EQ(rec->object_id, "AG-2026-001");
	CHECK_STR_CONTAINS(rec->params, "\"recipient_type\":\"state\"");
	unlink(out);

	/* every refusal is refused, audited, and writes nothing */
	struct sharing_agreement fed = got;
	fed.type = POLICY_RECIPIENT_FEDERAL;
	struct sharing_agreement oos = got;
	oos.type = POLICY_RECIPIENT_OUT_OF_STATE;
	const char *read_ids[] = {f.ids[0]};
	const char *bogus[] = {"unit42-000000009999"};
	static const struct {
		const char *name, *role, *purpose, *case_number, *msg;
		int which; /* 0 state, 1 federal, 2 out of state */
		int ids;   /* 0 the hit, 1 a non-hit read, 2 unknown */
		int64_t now;
	} rows[] = {
		{"federal", "investigator", "stolen_vehicle", "2026-000123",
		 "recipient: profile california forbids disclosure to federal", 1, 0, 0},
		{"out of state", "investigator", "stolen_vehicle", "2026-000123",
		 "forbids disclosure to out_of_state", 2, 0, 0},
		{"role", "officer", "stolen_vehicle", "2026-000123", "role:", 0, 0, 0},
		{"expired", "investigator", "stolen_vehicle", "2026-000123",
		 "agreement: AG-2026-001 is not in force", 0, 0, 31 * ALPR_USEC_PER_DAY},
		{"prohibited purpose", "investigator", "civil_immigration_enforcement",
		 "2026-000123", "purpose: civil_immigration_enforcement is not an allowed", 0, 0,
		 0},
		{"purpose not agreed", "investigator", "felony_investigation", "2026-000123",
		 "is not in agreement", 0, 0, 0},
		{"bad case", "investigator", "stolen_vehicle", "123", "case number:", 0, 0, 0},
		{"data class", "investigator", "stolen_vehicle", "2026-000123",
		 "does not cover non-hit read data", 0, 1, 0},
		{"unknown read", "investigator", "stolen_vehicle", "2026-000123",
		 "is not a retained read", 0, 2, 0},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		struct sharing_request q = rq;
		q.role = rows[i].role;
		q.purpose = rows[i].purpose;
		q.case_number = rows[i].case_number;
		q.ids = rows[i].ids == 0 ? ids : rows[i].ids == 1 ? read_ids : bogus;
		if (rows[i].now) {
			q.now_us = FIX_T0 + rows[i].now;
		}
		const struct sharing_agreement *use = rows[i].which == 1   ? &fed
						      : rows[i].which == 2 ? &oos
									   : &got;
		size_t before = count_action(f.audit, SHARING_ACTION_DISCLOSE, AUDIT_DENIED);
		CHECK_MSG(sharing_disclose(f.store, f.audit, f.policy, use, &q, out, reason,
					   sizeof(reason)) == -ALPR_E_REFUSED,
			  "%s", rows[i].name);
		CHECK_STR_CONTAINS(reason, rows[i].msg);
		CHECK_MSG(access(out, F_OK) != 0, "%s: a file was written", rows[i].name);
		CHECK_INT_EQ(count_action(f.audit, SHARING_ACTION_DISCLOSE, AUDIT_DENIED),
			     before + 1);
		CHECK_STR_EQ(last_action(f.audit, SHARING_ACTION_DISCLOSE)->reason, reason);
	}

	/* an agreement edited after signing, or signed by another key, does not load */
	char *text = NULL;
	CHECK_OK(alpr_read_file(agp, 1 << 16, &text, &len));
	char *at = strstr(text, "\"state\"");
	CHECK(at);
	const char *tampered_path = check_path("tampered.json");
	char tampered[8192];
	snprintf(tampered, sizeof(tampered), "%.*s\"local\"%s", (int)(at - text), text, at + 7);
	check_write_file(tampered_path, tampered);
	free(text);
	CHECK_INT_EQ(sharing_agreement_load(tampered_path, agency_pub, &got, err, sizeof(err)),
		     -ALPR_E_SIGNATURE);
	CHECK_STR_CONTAINS(err, "signature: does not verify");
	CHECK_OK(sharing_keygen("ed25519", other, other_pub));
	CHECK_INT_EQ(sharing_agreement_load(agp, other_pub, &got, err, sizeof(err)),
		     -ALPR_E_SIGNATURE);
	check_write_file(tampered_path, "{\"format\":\"alpr-sharing-agreement/1\",\"x\":1}");
	CHECK_INT_EQ(sharing_agreement_load(tampered_path, agency_pub, &got, err, sizeof(err)),
		     -ALPR_E_PARSE);
	CHECK_STR_CONTAINS(err, "x: unknown field");
	fixture_close(&f);
}

/* ---- the tool -------------------------------------------------------------------------- */

static int run(const char *args, char *out, size_t outsz)
{
	char cmd[4096];
	const char *bin = getenv("ALPR_SEARCH_BIN");
	CHECK_MSG(bin, "ALPR_SEARCH_BIN is not set");
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", bin, args);
	FILE *p = popen(cmd, "r");
	CHECK(p);
	size_t n = fread(out, 1, outsz - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli(void)
{
	struct fixture f;
	char out[8192], args[2048], base[1400];
	fixture_open(&f, "default", false);
	/* the tool uses the real clock: reads from an hour ago */
	int64_t now = alpr_clock_now(NULL);
	alpr_clock_set(&f.clock, now);
	int64_t back = now - FIX_T0 - ALPR_USEC_PER_HOUR;
	fixture_read(&f, "ABC1234", back, 0, 0, -1, "front-left");
	fixture_read(&f, "XYZ7890", back, 0, 0, -1, "front-left");
	fixture_close(&f);
	snprintf(base, sizeof(base), "--store %s --audit %s --user det.ortiz", f.store_dir,
		 f.audit_dir);

	snprintf(args, sizeof(args),
		 "%s --role investigator --purpose stolen_vehicle --case 2026-000123 --plate "
		 "ABC1234 --justification 'Vehicle reported stolen from Main St lot'",
		 base);
	CHECK_INT_EQ(run(args, out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "\"plate\":\"ABC1234\"");
	CHECK_STR_CONTAINS(out, "1 reads (audit record");
	CHECK(strstr(out, "XYZ7890") == NULL);

	static const struct {
		const char *args, *msg;
	} refused[] = {
		{"--role investigator --case 2026-000123 --plate ABC1234", "refused: purpose:"},
		{"--role investigator --purpose personal_use --case 2026-000123 --plate ABC1234",
		 "refused: purpose: personal_use is prohibited"},
		{"--role investigator --purpose stolen_vehicle --case 12 --plate ABC1234",
		 "refused: case number:"},
		{"--role administrator --purpose stolen_vehicle --case 2026-000123 --plate ABC1234",
		 "refused: role: an administrator may not search"},
		{"--role investigator --purpose stolen_vehicle --case 2026-000123 --plate ABC1234 "
		 "--from yesterday",
		 "refused: from:"},
		{"--role investigator --purpose stolen_vehicle --case 2026-000123 --near 1,2",
		 "refused: near:"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(refused); i++) {
		snprintf(args, sizeof(args), "%s %s", base, refused[i].args);
		CHECK_MSG(run(args, out, sizeof(out)) == 3, "%s", refused[i].args);
		CHECK_STR_CONTAINS(out, refused[i].msg);
		CHECK_MSG(strchr(out, '\n') == out + strlen(out) - 1, "not one line: %s", out);
	}
	/* usage errors are not searches */
	CHECK_INT_EQ(run("--store x", out, sizeof(out)), 2);
	CHECK_INT_EQ(run("--bogus", out, sizeof(out)), 2);

	/* every attempt above is in the log: 1 allowed, 6 denied */
	struct audit *a = NULL;
	struct audit_open_opts ao = {.read_only = true};
	CHECK_OK(audit_open(f.audit_dir, &ao, &a));
	CHECK_INT_EQ(count_action(a, SEARCH_ACTION_SEARCH, AUDIT_ALLOWED), 1);
	CHECK_INT_EQ(count_action(a, SEARCH_ACTION_SEARCH, AUDIT_DENIED), 6);
	const struct rec_copy *rec = last_action(a, SEARCH_ACTION_SEARCH);
	CHECK_STR_CONTAINS(rec->params, "\"near\":\"1,2\"");
	audit_close(a);

	/* flags: a supervisor reads them; an investigator may not */
	snprintf(args, sizeof(args), "--audit %s --user sgt.hale --role supervisor --flags",
		 f.audit_dir);
	CHECK_INT_EQ(run(args, out, sizeof(out)), 0);
	snprintf(args, sizeof(args), "--audit %s --user det.ortiz --role investigator --flags",
		 f.audit_dir);
	CHECK_INT_EQ(run(args, out, sizeof(out)), 3);

	/* tightening from the tool */
	const char *change = check_path("change.json");
	check_write_file(change, "{\"retention\":{\"read\":\"48h\"}}");
	snprintf(args, sizeof(args),
		 "--audit %s --user adm.kay --role administrator --tighten %s --override %s",
		 f.audit_dir, change, check_path("override.json"));
	CHECK_INT_EQ(run(args, out, sizeof(out)), 0);
	check_write_file(change, "{\"retention\":{\"read\":\"96h\"}}");
	CHECK_INT_EQ(run(args, out, sizeof(out)), 3);
	CHECK_STR_CONTAINS(out, "refused: retention.read:");
}

static const struct check_case cases[] = {
	{"refusals", test_refusals},       {"allowed", test_allowed},
	{"pattern", test_pattern},         {"flags", test_flags},
	{"historical", test_historical},   {"tighten-audited", test_tighten_audited},
	{"purge-audit", test_purge_audit}, {"store-window", test_store_window},
	{"sharing", test_sharing},         {"cli", test_cli},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
