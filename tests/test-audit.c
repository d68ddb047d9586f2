/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * audit/: the tamper-evident log. The tamper cases play an attacker who opens the LMDB file
 * directly (no audit API) and changes, deletes, inserts, swaps or cuts records; verify must
 * fail and name the record. The kill-9 case cuts power mid-append.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <jansson.h>
#include <lmdb.h>

#include "audit-private.h"
#include "audit.h"
#include "check.h"
#include "common.h"

#define T0 (INT64_C(1795910400) * ALPR_USEC_PER_SEC) /* 2026-11-29T00:00:00Z */

/* ---- helpers --------------------------------------------------------------------------- */

static struct audit *open_log(const char *dir, struct alpr_clock *clock, uint64_t every_n)
{
	struct audit_open_opts o = {
		.device_id = "unit-0017",
		.clock = clock,
		.checkpoint_every_n = every_n,
		.checkpoint_every_us = 365 * ALPR_USEC_PER_DAY,
	};
	struct audit *a = NULL;

	CHECK_OK(audit_open(dir, &o, &a));
	return a;
}

static void fill_record(struct audit_record *r, unsigned i, char *params, size_t psz)
{
	memset(r, 0, sizeof(*r));
	snprintf(params, psz, "plate=ABC%03u&state=CA&from=2026-11-01", i);
	r->user = "badge-4411";
	r->role = "officer";
	r->action = "search";
	r->params = params;
	r->purpose = "stolen vehicle investigation";
	r->case_number = "26-004417";
	r->result_count = i;
	memset(r->results_hash, (int)i, AUDIT_HASH_LEN);
	memset(r->profile_hash, 0xab, AUDIT_HASH_LEN);
	r->outcome = AUDIT_ALLOWED;
}

static void append_n(struct audit *a, struct alpr_clock *clock, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct audit_record r;
		char params[64];
		uint64_t seq = 0, before = 0;

		CHECK_OK(audit_last_seq(a, &before));
		fill_record(&r, (unsigned)before + 1, params, sizeof(params));
		CHECK_OK(audit_append(a, &r, &seq));
		CHECK_INT_EQ(seq, before + 1);
		if (clock) {
			alpr_clock_advance(clock, ALPR_USEC_PER_SEC);
		}
	}
}

/* A log of @n records with a checkpoint every @every_n, closed again. Its folder's path is
 * kept here, not in check_path()'s ring. */
static const char *make_log(unsigned n, uint64_t every_n)
{
	static char dir[PATH_MAX];
	struct alpr_clock clock;
	struct audit *a;

	alpr_strlcpy(dir, check_path("log"), sizeof(dir));
	alpr_clock_init_manual(&clock, T0);
	a = open_log(dir, &clock, every_n);
	append_n(a, &clock, n);
	audit_close(a);
	return dir;
}

static int verify_dir(const char *dir, const char *pubkey, const char *cp,
		      struct audit_verify_result *res)
{
	struct audit_open_opts o = {.read_only = true};
	struct audit *a = NULL;
	int r;

	CHECK_OK(audit_open(dir, &o, &a));
	r = audit_verify(a, pubkey, cp, res);
	audit_close(a);
	return r;
}

/* Verification must fail with @err and name record @bad, in the result and its reason. */
static void expect_bad(const char *dir, const char *pubkey, const char *cp, int err, uint64_t bad)
{
	struct audit_verify_result res;
	char num[32];
	int r = verify_dir(dir, pubkey, cp, &res);

	CHECK_MSG(r == err, "verify returned %d (%s), want %d; reason: %s", r, alpr_strerror(r),
		  err, res.reason);
	CHECK_MSG(res.first_bad_seq == bad, "first bad record %" PRIu64 ", want %" PRIu64 ": %s",
		  res.first_bad_seq, bad, res.reason);
	snprintf(num, sizeof(num), "record %" PRIu64, bad);
	CHECK_STR_CONTAINS(res.reason, num);
}

static void expect_ok(const char *dir, const char *pubkey, const char *cp, uint64_t last)
{
	struct audit_verify_result res;
	int r = verify_dir(dir, pubkey, cp, &res);

	CHECK_MSG(r == 0, "verify failed: %d: %s", r, res.reason);
	CHECK_INT_EQ(res.first_bad_seq, 0);
	CHECK_INT_EQ(res.last_seq, last);
	CHECK_INT_EQ(res.records, last);
	CHECK_STR_CONTAINS(res.reason, "ok:");
}

/* The attacker's view: the LMDB environment opened directly, one write transaction. */
struct raw {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi records, checkpoints, meta;
};

static void raw_open(struct raw *w, const char *dir)
{
	CHECK(mdb_env_create(&w->env) == 0);
	CHECK(mdb_env_set_maxdbs(w->env, AUDIT_MAX_DBS) == 0);
	CHECK(mdb_env_set_mapsize(w->env, (size_t)1 << 30) == 0);
	CHECK(mdb_env_open(w->env, dir, 0, 0600) == 0);
	CHECK(mdb_txn_begin(w->env, NULL, 0, &w->txn) == 0);
	CHECK(mdb_dbi_open(w->txn, AUDIT_DB_RECORDS, 0, &w->records) == 0);
	CHECK(mdb_dbi_open(w->txn, AUDIT_DB_CHECKPOINTS, 0, &w->checkpoints) == 0);
	CHECK(mdb_dbi_open(w->txn, AUDIT_DB_META, 0, &w->meta) == 0);
}

static void raw_close(struct raw *w)
{
	CHECK(mdb_txn_commit(w->txn) == 0);
	mdb_env_close(w->env);
}

/* Copies record @seq's stored bytes out into @buf (AUDIT_RECORD_MAX bytes). */
static size_t raw_get(struct raw *w, MDB_dbi dbi, uint64_t seq, uint8_t *buf)
{
	uint8_t key[8];
	MDB_val k = {sizeof(key), key}, v;

	audit_seq_key(seq, key);
	CHECK_MSG(mdb_get(w->txn, dbi, &k, &v) == 0, "no stored value at %" PRIu64, seq);
	CHECK(v.mv_size <= AUDIT_RECORD_MAX);
	memcpy(buf, v.mv_data, v.mv_size);
	return v.mv_size;
}

static void raw_put(struct raw *w, MDB_dbi dbi, uint64_t seq, const uint8_t *buf, size_t len)
{
	uint8_t key[8];
	MDB_val k = {sizeof(key), key}, v = {len, (void *)buf};

	audit_seq_key(seq, key);
	CHECK(mdb_put(w->txn, dbi, &k, &v, 0) == 0);
}

static void raw_del(struct raw *w, MDB_dbi dbi, uint64_t seq)
{
	uint8_t key[8];
	MDB_val k = {sizeof(key), key};

	audit_seq_key(seq, key);
	CHECK(mdb_del(w->txn, dbi, &k, NULL) == 0);
}

/* ---- behaviour ------------------------------------------------------------------------- */

struct collect {
	unsigned n;
	uint64_t seqs[16];
	char params[16][64];
	char last_reason[64];
	enum audit_outcome last_outcome;
	int64_t first_time;
	enum audit_time_source first_source;
	unsigned stop_after;
};

static int collect_one(const struct audit_record *r, void *ud)
{
	struct collect *c = ud;

	if (c->n == 0) {
		c->first_time = r->time_us;
		c->first_source = r->time_source;
	}
	CHECK(c->n < ALPR_ARRAY_SIZE(c->seqs));
	c->seqs[c->n] = r->seq;
	alpr_strlcpy(c->params[c->n], r->params, sizeof(c->params[0]));
	alpr_strlcpy(c->last_reason, r->reason, sizeof(c->last_reason));
	c->last_outcome = r->outcome;
	CHECK_STR_EQ(r->device, "unit-0017");
	c->n++;
	return c->stop_after && c->n == c->stop_after ? 42 : 0;
}

/* Records read back verbatim, in order, chained by hash; a reopened log carries on. */
static void test_append_read(void)
{
	const char *dir = check_path("log");
	struct alpr_clock clock;
	struct audit_record r;
	struct collect c = {0};
	char params[64];
	uint64_t seq;
	struct audit *a;
	struct raw w;
	uint8_t b1[AUDIT_RECORD_MAX], b2[AUDIT_RECORD_MAX], h1[AUDIT_HASH_LEN];
	struct audit_decoded *d = alpr_xmalloc(sizeof(*d));
	size_t n1, n2;

	alpr_clock_init_manual(&clock, T0);
	a = open_log(dir, &clock, 0);
	CHECK_STR_EQ(audit_device_id(a), "unit-0017");
	append_n(a, &clock, 2);
	/* A denied search with parameters that are not plain ASCII, kept byte for byte. */
	fill_record(&r, 3, params, sizeof(params));
	r.params = "plate=ÄB\"C 1\nstate=??";
	r.outcome = AUDIT_DENIED;
	r.reason = "purpose 'immigration enforcement' is prohibited";
	CHECK_OK(audit_append(a, &r, &seq));
	CHECK_INT_EQ(seq, 3);
	audit_close(a);

	/* Reopen without naming the device: the log carries on at 4. */
	a = NULL;
	struct audit_open_opts o = {.clock = &clock};
	CHECK_OK(audit_open(dir, &o, &a));
	append_n(a, &clock, 1);
	CHECK_OK(audit_foreach(a, 1, collect_one, &c));
	CHECK_INT_EQ(c.n, 4);
	for (unsigned i = 0; i < 4; i++) {
		CHECK_INT_EQ(c.seqs[i], i + 1);
	}
	CHECK_STR_EQ(c.params[0], "plate=ABC001&state=CA&from=2026-11-01");
	CHECK_STR_EQ(c.params[2], "plate=ÄB\"C 1\nstate=??");
	CHECK_INT_EQ(c.first_time, T0);
	CHECK_INT_EQ(c.first_source, AUDIT_TIME_MANUAL);
	/* From 3, stopping after one: the callback's value comes back. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	CHECK_INT_EQ(audit_foreach(a, 3, collect_one, &c), 42);
	CHECK_INT_EQ(c.seqs[0], 3);
	CHECK_INT_EQ(c.last_outcome, AUDIT_DENIED);
	CHECK_STR_EQ(c.last_reason, "purpose 'immigration enforcement' is prohibited");
	audit_close(a);

	/* Record 2 holds the SHA-256 of record 1's stored bytes; record 1 holds zeros. */
	raw_open(&w, dir);
	n1 = raw_get(&w, w.records, 1, b1);
	n2 = raw_get(&w, w.records, 2, b2);
	raw_close(&w);
	audit_sha256(b1, n1, h1);
	CHECK_OK(audit_record_decode(b2, n2, d, NULL));
	CHECK(memcmp(d->rec.prev_hash, h1, AUDIT_HASH_LEN) == 0);
	CHECK_OK(audit_record_decode(b1, n1, d, NULL));
	static const uint8_t zero[AUDIT_HASH_LEN];
	CHECK(memcmp(d->rec.prev_hash, zero, AUDIT_HASH_LEN) == 0);
	CHECK_STR_EQ(d->rec.purpose, "stolen vehicle investigation");
	CHECK_INT_EQ(d->rec.result_count, 1);
	free(d);
	expect_ok(dir, NULL, NULL, 4);
}

/* Bad records are refused whole, never truncated or half-written. */
static void test_validation(void)
{
	const char *dir = check_path("log");
	struct audit *a = open_log(dir, NULL, 0), *b = NULL;
	struct audit_record r;
	char params[64], *big = alpr_xmalloc(AUDIT_PARAMS_MAX + 2);
	uint64_t seq;
	struct audit_open_opts o = {0};

	fill_record(&r, 1, params, sizeof(params));
	r.user = "";
	CHECK_INT_EQ(audit_append(a, &r, &seq), -EINVAL);
	fill_record(&r, 1, params, sizeof(params));
	r.outcome = AUDIT_DENIED; /* denied without a reason */
	CHECK_INT_EQ(audit_append(a, &r, &seq), -EINVAL);
	fill_record(&r, 1, params, sizeof(params));
	r.reason = "a reason on an allowed search";
	CHECK_INT_EQ(audit_append(a, &r, &seq), -EINVAL);
	fill_record(&r, 1, params, sizeof(params));
	r.purpose = "bad \xff utf-8";
	CHECK_INT_EQ(audit_append(a, &r, &seq), -EINVAL);
	fill_record(&r, 1, params, sizeof(params));
	memset(big, 'x', AUDIT_PARAMS_MAX + 1);
	big[AUDIT_PARAMS_MAX + 1] = '\0';
	r.params = big;
	CHECK_INT_EQ(audit_append(a, &r, &seq), -EINVAL);
	big[AUDIT_PARAMS_MAX] = '\0'; /* exactly at the cap: fine */
	CHECK_OK(audit_append(a, &r, &seq));
	CHECK_INT_EQ(seq, 1); /* the refused ones used no sequence */
	free(big);
	audit_close(a);

	/* A new log needs a device id; an existing one keeps its own. */
	CHECK_INT_EQ(audit_open(check_path("other"), &o, &b), -EINVAL);
	o.device_id = "unit-9999";
	CHECK_INT_EQ(audit_open(dir, &o, &b), -EINVAL);
	o.device_id = "unit 17/../x";
	CHECK_INT_EQ(audit_open(check_path("bad-id"), &o, &b), -EINVAL);
	/* Read-only: no folder, no log; and no appends. */
	o.device_id = NULL;
	o.read_only = true;
	CHECK_INT_EQ(audit_open(check_path("missing"), &o, &b), -ENOENT);
	CHECK_OK(audit_open(dir, &o, &b));
	fill_record(&r, 2, params, sizeof(params));
	CHECK_INT_EQ(audit_append(b, &r, &seq), -EROFS);
	CHECK_INT_EQ(audit_checkpoint(b), -EROFS);
	audit_close(b);
	audit_close(NULL);
}

/* The device key: created 0600, reused, and a different key is refused. */
static void test_device_key(void)
{
	const char *dir = check_path("log");
	char key[PATH_MAX], other[PATH_MAX];
	struct audit_open_opts o = {.device_id = "unit-0017"};
	struct audit *a = NULL;
	struct stat st;

	snprintf(key, sizeof(key), "%s/device-key.pem", dir);
	snprintf(other, sizeof(other), "%s", check_path("other-key.pem"));
	a = open_log(dir, NULL, 0);
	append_n(a, NULL, 1);
	audit_close(a);
	CHECK(stat(key, &st) == 0);
	CHECK_INT_EQ(st.st_mode & 0777, 0600);

	/* A second log makes its own key at another path. */
	o.key_path = other;
	CHECK_OK(audit_open(check_path("log2"), &o, &a));
	audit_close(a);
	CHECK(stat(other, &st) == 0);
	CHECK_INT_EQ(st.st_mode & 0777, 0600);

	/* The first log refuses the second key, and a missing key is not silently replaced. */
	CHECK_INT_EQ(audit_open(dir, &o, &a), -EKEYREJECTED);
	o.key_path = check_path("nowhere.pem");
	CHECK_INT_EQ(audit_open(dir, &o, &a), -ENOENT);
	o.key_path = NULL;
	CHECK_OK(audit_open(dir, &o, &a));
	audit_close(a);
}

/* A checkpoint every N records, signed in the same transaction as the record. */
static void test_checkpoint_every_n(void)
{
	const char *dir = check_path("log");
	struct alpr_clock clock;
	struct audit_checkpoint_info cp;
	struct audit *a;

	alpr_clock_init_manual(&clock, T0);
	a = open_log(dir, &clock, 4);
	CHECK_INT_EQ(audit_last_checkpoint(a, &cp), -ENODATA);
	CHECK_INT_EQ(audit_checkpoint(a), -ENODATA);
	CHECK_INT_EQ(audit_export_checkpoint(a, check_path("cp.json")), -ENODATA);
	append_n(a, &clock, 3);
	CHECK_INT_EQ(audit_last_checkpoint(a, &cp), -ENODATA);
	append_n(a, &clock, 1);
	CHECK_OK(audit_last_checkpoint(a, &cp));
	CHECK_INT_EQ(cp.seq, 4);
	CHECK_STR_EQ(cp.device, "unit-0017");
	append_n(a, &clock, 6);
	CHECK_OK(audit_last_checkpoint(a, &cp));
	CHECK_INT_EQ(cp.seq, 8);
	/* Forced (before a sync): covers 10; forcing again changes nothing. */
	CHECK_OK(audit_checkpoint(a));
	CHECK_OK(audit_last_checkpoint(a, &cp));
	CHECK_INT_EQ(cp.seq, 10);
	int64_t t = cp.time_us;
	alpr_clock_advance(&clock, ALPR_USEC_PER_HOUR);
	CHECK_OK(audit_checkpoint(a));
	CHECK_OK(audit_last_checkpoint(a, &cp));
	CHECK_INT_EQ(cp.time_us, t);
	audit_close(a);

	struct audit_verify_result res;
	CHECK_OK(verify_dir(dir, NULL, NULL, &res));
	CHECK_INT_EQ(res.checkpoints, 3);
	CHECK_INT_EQ(res.signed_seq, 10);
	CHECK(!res.key_trusted);
}

/* ... or every M minutes, whichever comes first. */
static void test_checkpoint_every_minutes(void)
{
	const char *dir = check_path("log");
	struct alpr_clock clock;
	struct audit_checkpoint_info cp;
	struct audit_open_opts o = {
		.device_id = "unit-0017",
		.clock = &clock,
		.checkpoint_every_n = 1000,
		.checkpoint_every_us = 5 * ALPR_USEC_PER_MIN,
	};
	struct audit *a = NULL;

	alpr_clock_init_manual(&clock, T0);
	CHECK_OK(audit_open(dir, &o, &a));
	append_n(a, NULL, 1);
	CHECK_INT_EQ(audit_last_checkpoint(a, &cp), -ENODATA);
	alpr_clock_advance(&clock, 4 * ALPR_USEC_PER_MIN);
	append_n(a, NULL, 1);
	CHECK_INT_EQ(audit_last_checkpoint(a, &cp), -ENODATA);
	alpr_clock_advance(&clock, 2 * ALPR_USEC_PER_MIN);
	append_n(a, NULL, 1);
	CHECK_OK(audit_last_checkpoint(a, &cp));
	CHECK_INT_EQ(cp.seq, 3);
	CHECK_INT_EQ(cp.time_us, T0 + 6 * ALPR_USEC_PER_MIN);
	append_n(a, NULL, 1);
	CHECK_OK(audit_last_checkpoint(a, &cp));
	CHECK_INT_EQ(cp.seq, 3);
	alpr_clock_advance(&clock, 5 * ALPR_USEC_PER_MIN);
	append_n(a, NULL, 1);
	CHECK_OK(audit_last_checkpoint(a, &cp));
	CHECK_INT_EQ(cp.seq, 5);
	audit_close(a);
}

/* The file that goes to the station: JSON, signed, checked field by field when read back. */
static void test_export_checkpoint(void)
{
	const char *dir = make_log(6, 100);
	char cpfile[PATH_MAX], pub[PATH_MAX], *text = NULL;
	struct audit_verify_result res;
	struct alpr_clock clock;
	struct audit *a;

	alpr_clock_init_manual(&clock, T0 + 5 * ALPR_USEC_PER_SEC);
	a = open_log(dir, &clock, 100);
	size_t len;
	json_t *obj;

	snprintf(cpfile, sizeof(cpfile), "%s", check_path("cp.json"));
	snprintf(pub, sizeof(pub), "%s", check_path("device.pub"));
	CHECK_OK(audit_checkpoint(a));
	CHECK_OK(audit_export_checkpoint(a, cpfile));
	CHECK_OK(audit_export_pubkey(a, pub));
	audit_close(a);

	CHECK_OK(alpr_read_file(cpfile, 4096, &text, &len));
	obj = json_loads(text, 0, NULL);
	CHECK(obj);
	CHECK_STR_EQ(json_string_value(json_object_get(obj, "format")), "alpr-audit-checkpoint/1");
	CHECK_STR_EQ(json_string_value(json_object_get(obj, "device")), "unit-0017");
	CHECK_INT_EQ(json_integer_value(json_object_get(obj, "seq")), 6);
	CHECK_INT_EQ(strlen(json_string_value(json_object_get(obj, "signature"))), 128);
	CHECK_STR_EQ(json_string_value(json_object_get(obj, "time")), "2026-11-29T00:00:05Z");

	CHECK_OK(verify_dir(dir, pub, cpfile, &res));
	CHECK(res.key_trusted);
	CHECK_INT_EQ(res.signed_seq, 6);

	/* A station file whose seq was edited no longer verifies. */
	json_object_set_new(obj, "seq", json_integer(5));
	CHECK(json_dump_file(obj, cpfile, 0) == 0);
	CHECK_INT_EQ(verify_dir(dir, pub, cpfile, &res), -ALPR_E_SIGNATURE);
	CHECK_STR_CONTAINS(res.reason, "signature");
	CHECK_INT_EQ(res.first_bad_seq, 0);
	/* Malformed files: one-line reasons naming the file and field. */
	json_object_set_new(obj, "seq", json_string("6"));
	CHECK(json_dump_file(obj, cpfile, 0) == 0);
	CHECK_INT_EQ(verify_dir(dir, pub, cpfile, &res), -ALPR_E_PARSE);
	CHECK_STR_CONTAINS(res.reason, "seq");
	check_write_file(cpfile, "{\"format\": \"alpr-audit-checkpoint/1\", \"extra\": 1}");
	CHECK_INT_EQ(verify_dir(dir, pub, cpfile, &res), -ALPR_E_PARSE);
	CHECK_STR_CONTAINS(res.reason, "extra");
	check_write_file(cpfile, "not json");
	CHECK_INT_EQ(verify_dir(dir, pub, cpfile, &res), -ALPR_E_PARSE);
	CHECK_STR_CONTAINS(res.reason, "cp.json");
	CHECK_INT_EQ(verify_dir(dir, pub, check_path("absent.json"), &res), -ENOENT);
	check_write_file(pub, "not a key");
	CHECK_INT_EQ(verify_dir(dir, pub, NULL, &res), -ALPR_E_PARSE);
	json_decref(obj);
	free(text);
}

/* ---- tampering through the raw LMDB file ----------------------------------------------- */

/* One byte of record 5's action changed: verify names record 5. */
static void test_tamper_change(void)
{
	const char *dir = make_log(10, 100);
	uint8_t buf[AUDIT_RECORD_MAX], *p;
	struct raw w;
	size_t n;

	expect_ok(dir, NULL, NULL, 10);
	raw_open(&w, dir);
	n = raw_get(&w, w.records, 5, buf);
	p = memmem(buf, n, "search", 6);
	CHECK(p);
	p[0] = 'S';
	raw_put(&w, w.records, 5, buf, n);
	raw_close(&w);
	expect_bad(dir, NULL, NULL, -ALPR_E_CORRUPT, 5);

	/* The last record has no successor to vouch for it: only its checkpoint can. */
	const char *dir2 = check_path("log2");
	struct alpr_clock clock;
	alpr_clock_init_manual(&clock, T0);
	struct audit *a = open_log(dir2, &clock, 4);
	append_n(a, &clock, 8);
	audit_close(a);
	raw_open(&w, dir2);
	n = raw_get(&w, w.records, 8, buf);
	p = memmem(buf, n, "ABC008", 6);
	CHECK(p);
	p[5] = '9';
	raw_put(&w, w.records, 8, buf, n);
	raw_close(&w);
	expect_bad(dir2, NULL, NULL, -ALPR_E_CORRUPT, 5);
}

/* Record 5 deleted. */
static void test_tamper_delete(void)
{
	const char *dir = make_log(10, 100);
	struct raw w;

	raw_open(&w, dir);
	raw_del(&w, w.records, 5);
	raw_close(&w);
	expect_bad(dir, NULL, NULL, -ALPR_E_CORRUPT, 5);
}

/* Records 6..10 moved up one and a forged, correctly linked record put in at 6. */
static void test_tamper_insert(void)
{
	const char *dir = make_log(10, 100);
	uint8_t buf[AUDIT_RECORD_MAX], prev[AUDIT_HASH_LEN];
	struct audit_decoded *d = alpr_xmalloc(sizeof(*d));
	struct raw w;
	size_t n;

	raw_open(&w, dir);
	for (uint64_t s = 10; s >= 6; s--) {
		n = raw_get(&w, w.records, s, buf);
		raw_put(&w, w.records, s + 1, buf, n);
	}
	n = raw_get(&w, w.records, 5, buf);
	audit_sha256(buf, n, prev);
	CHECK_OK(audit_record_decode(buf, n, d, NULL));
	d->rec.seq = 6;
	d->rec.params = "plate=FORGED";
	memcpy(d->rec.prev_hash, prev, AUDIT_HASH_LEN);
	CHECK_OK(audit_record_encode(&d->rec, buf, sizeof(buf), &n));
	raw_put(&w, w.records, 6, buf, n);
	raw_close(&w);
	free(d);
	expect_bad(dir, NULL, NULL, -ALPR_E_CORRUPT, 6);
}

/* Records 4 and 7 swapped. */
static void test_tamper_swap(void)
{
	const char *dir = make_log(10, 100);
	uint8_t b4[AUDIT_RECORD_MAX], b7[AUDIT_RECORD_MAX];
	struct raw w;
	size_t n4, n7;

	raw_open(&w, dir);
	n4 = raw_get(&w, w.records, 4, b4);
	n7 = raw_get(&w, w.records, 7, b7);
	raw_put(&w, w.records, 4, b7, n7);
	raw_put(&w, w.records, 7, b4, n4);
	raw_close(&w);
	expect_bad(dir, NULL, NULL, -ALPR_E_CORRUPT, 4);
}

/*
 * A careful attacker changes record 5 and recomputes every later link, so the chain is
 * whole again. The signed checkpoint at 8 no longer matches: records after the last good
 * checkpoint (4) are named.
 */
static void test_tamper_rewrite_chain(void)
{
	const char *dir = make_log(10, 4);
	uint8_t buf[AUDIT_RECORD_MAX], prev[AUDIT_HASH_LEN];
	struct audit_decoded *d = alpr_xmalloc(sizeof(*d));
	struct raw w;
	size_t n;

	raw_open(&w, dir);
	n = raw_get(&w, w.records, 4, buf);
	audit_sha256(buf, n, prev);
	for (uint64_t s = 5; s <= 10; s++) {
		n = raw_get(&w, w.records, s, buf);
		CHECK_OK(audit_record_decode(buf, n, d, NULL));
		if (s == 5) {
			d->rec.case_number = "26-999999";
		}
		memcpy(d->rec.prev_hash, prev, AUDIT_HASH_LEN);
		CHECK_OK(audit_record_encode(&d->rec, buf, sizeof(buf), &n));
		raw_put(&w, w.records, s, buf, n);
		audit_sha256(buf, n, prev);
	}
	raw_close(&w);
	free(d);
	expect_bad(dir, NULL, NULL, -ALPR_E_CORRUPT, 5);
}

/*
 * An attacker with a key of their own rebuilds the whole log and re-signs it. It is
 * consistent with the key stored in it, but not with the device key the station holds.
 */
static void test_tamper_resign(void)
{
	const char *dir = make_log(6, 3);
	char pub[PATH_MAX];
	struct audit_verify_result res;
	struct audit *a = open_log(dir, NULL, 3);

	snprintf(pub, sizeof(pub), "%s", check_path("device.pub"));
	CHECK_OK(audit_export_pubkey(a, pub));
	audit_close(a);
	expect_ok(dir, pub, NULL, 6);

	/* The forgery: same device id, fabricated records, the attacker's key. */
	const char *forged = check_path("forged");
	struct alpr_clock clock;
	alpr_clock_init_manual(&clock, T0);
	a = open_log(forged, &clock, 3);
	append_n(a, &clock, 6);
	audit_close(a);
	CHECK_OK(verify_dir(forged, NULL, NULL, &res));
	CHECK(!res.key_trusted);
	CHECK_STR_CONTAINS(res.reason, "untrusted");
	expect_bad(forged, pub, NULL, -ALPR_E_SIGNATURE, 1);
}

/*
 * The tail cut together with the local checkpoints: only the station's copy of the last
 * checkpoint shows it. A cut that leaves a local checkpoint behind is caught locally.
 */
static void test_tamper_truncate(void)
{
	const char *dir = check_path("log");
	char cpfile[PATH_MAX], pub[PATH_MAX];
	struct alpr_clock clock;
	struct audit_verify_result res;
	struct audit *a;
	struct raw w;

	snprintf(cpfile, sizeof(cpfile), "%s", check_path("station-cp.json"));
	snprintf(pub, sizeof(pub), "%s", check_path("device.pub"));
	alpr_clock_init_manual(&clock, T0);
	a = open_log(dir, &clock, 5);
	append_n(a, &clock, 12);
	CHECK_OK(audit_checkpoint(a)); /* the sync: the station now holds record 12 */
	CHECK_OK(audit_export_checkpoint(a, cpfile));
	CHECK_OK(audit_export_pubkey(a, pub));
	append_n(a, &clock, 5); /* 13..17, a checkpoint at 17 (5 after 12) */
	audit_close(a);
	expect_ok(dir, pub, cpfile, 17);

	/* Naive cut of 15..17: the checkpoint at 17 is left behind. */
	raw_open(&w, dir);
	for (uint64_t s = 15; s <= 17; s++) {
		raw_del(&w, w.records, s);
	}
	raw_close(&w);
	expect_bad(dir, NULL, NULL, -ALPR_E_CORRUPT, 15);

	/* Careful cut of 9..17 with every checkpoint past 8: locally consistent. */
	raw_open(&w, dir);
	for (uint64_t s = 9; s <= 14; s++) {
		raw_del(&w, w.records, s);
	}
	raw_del(&w, w.checkpoints, 10);
	raw_del(&w, w.checkpoints, 12);
	raw_del(&w, w.checkpoints, 17);
	raw_close(&w);
	CHECK_OK(verify_dir(dir, pub, NULL, &res));
	CHECK_INT_EQ(res.last_seq, 8);
	/* ... but not against the station's checkpoint over record 12. */
	expect_bad(dir, pub, cpfile, -ALPR_E_CORRUPT, 9);
	verify_dir(dir, pub, cpfile, &res);
	CHECK_STR_CONTAINS(res.reason, "truncated");
}

/* ---- power cut -------------------------------------------------------------------------- */

static void append_forever(const char *dir, int fd)
{
	struct audit *a = open_log(dir, NULL, 7);

	for (;;) {
		struct audit_record r;
		char params[64];
		uint64_t seq;

		fill_record(&r, 0, params, sizeof(params));
		if (audit_append(a, &r, &seq) < 0 || write(fd, "x", 1) != 1) {
			_exit(3);
		}
	}
}

/* kill -9 in a write loop, three times; every reopen finds a whole, contiguous chain. */
static void test_kill9(void)
{
	const char *dir = check_path("log");
	uint64_t acked = 0;

	for (int round = 0; round < 3; round++) {
		int fds[2], status;
		char c;
		pid_t pid;

		CHECK(pipe(fds) == 0);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			append_forever(dir, fds[1]);
		}
		close(fds[1]);
		/* Let it run a while, then cut at an arbitrary point of an append. */
		for (int i = 0; i < 20 + 7 * round; i++) {
			CHECK(read(fds[0], &c, 1) == 1);
			acked++;
		}
		usleep(1000 * (unsigned)round);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		while (read(fds[0], &c, 1) == 1) {
			acked++; /* appends that returned before the kill */
		}
		close(fds[0]);
	}

	struct audit_verify_result res;
	CHECK_OK(verify_dir(dir, NULL, NULL, &res));
	CHECK_MSG(res.last_seq >= acked, "%" PRIu64 " records, %" PRIu64 " acknowledged",
		  res.last_seq, acked);
	CHECK_INT_EQ(res.records, res.last_seq);
	/* And the log carries on from where it was cut. */
	struct audit *a = open_log(dir, NULL, 7);
	uint64_t before = res.last_seq;
	append_n(a, NULL, 1);
	audit_close(a);
	expect_ok(dir, NULL, NULL, before + 1);
}

/* ---- the command-line tool ------------------------------------------------------------- */

/* Runs build/audit/alpr-audit (found next to this program's folder); returns the exit
 * status and the first line of stdout and stderr. */
static int run_cli(char *out, size_t outsz, char *err, size_t errsz, const char *const *args)
{
	char exe[PATH_MAX], tool[PATH_MAX], *slash;
	const char *outp = check_path("cli.out"), *errp = check_path("cli.err");
	char outpath[PATH_MAX], errpath[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *argv[16];
	size_t argc = 0;
	int status;
	pid_t pid;

	CHECK(n > 0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	snprintf(tool, sizeof(tool), "%s/audit/alpr-audit", exe);
	alpr_strlcpy(outpath, outp, sizeof(outpath));
	alpr_strlcpy(errpath, errp, sizeof(errpath));
	argv[argc++] = tool;
	for (; *args; args++) {
		CHECK(argc < ALPR_ARRAY_SIZE(argv) - 1);
		argv[argc++] = *args;
	}
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int o = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) {
			_exit(127);
		}
		execv(tool, (char *const *)argv);
		_exit(127);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	char *text = NULL;
	size_t len;
	CHECK_OK(alpr_read_file(outpath, 1 << 20, &text, &len));
	alpr_strlcpy(out, text, outsz);
	free(text);
	CHECK_OK(alpr_read_file(errpath, 1 << 20, &text, &len));
	/* stderr: exactly one line, or nothing */
	CHECK_MSG(len == 0 || (strchr(text, '\n') == text + len - 1), "stderr: %s", text);
	alpr_strlcpy(err, text, errsz);
	free(text);
	return WEXITSTATUS(status);
}

static void test_cli(void)
{
	const char *dir = make_log(5, 100);
	char out[4096], err[1024], cp[PATH_MAX], pub[PATH_MAX];
	struct raw w;
	uint8_t buf[AUDIT_RECORD_MAX];
	size_t n;

	snprintf(cp, sizeof(cp), "%s", check_path("cp.json"));
	snprintf(pub, sizeof(pub), "%s", check_path("device.pub"));

	CHECK_INT_EQ(
		run_cli(out, sizeof(out), err, sizeof(err), (const char *const[]){"--help", NULL}),
		0);
	CHECK_STR_CONTAINS(out, "verify");
	CHECK_INT_EQ(
		run_cli(out, sizeof(out), err, sizeof(err), (const char *const[]){"verify", NULL}),
		2);
	CHECK_STR_CONTAINS(err, "--db");
	CHECK_INT_EQ(run_cli(out, sizeof(out), err, sizeof(err),
			     (const char *const[]){"--db", dir, "verify", NULL}),
		     0);
	CHECK_STR_CONTAINS(out, "ok: 5 records");
	CHECK_INT_EQ(run_cli(out, sizeof(out), err, sizeof(err),
			     (const char *const[]){"--db", dir, "pubkey", "--out", pub, NULL}),
		     0);
	CHECK_INT_EQ(run_cli(out, sizeof(out), err, sizeof(err),
			     (const char *const[]){"--db", dir, "checkpoint", "--out", cp, NULL}),
		     0);
	CHECK_STR_CONTAINS(out, "record 5");
	CHECK_INT_EQ(run_cli(out, sizeof(out), err, sizeof(err),
			     (const char *const[]){"--db", dir, "verify", "--pubkey", pub,
						   "--checkpoint", cp, NULL}),
		     0);
	CHECK_STR_CONTAINS(out, "signed through record 5 with the given key");
	CHECK_INT_EQ(
		run_cli(out, sizeof(out), err, sizeof(err),
			(const char *const[]){"--db", dir, "show", "--from", "4", "--json", NULL}),
		0);
	CHECK(strncmp(out, "{\"seq\":4,", 9) == 0);
	CHECK_STR_CONTAINS(out, "\"params\":\"plate=ABC005&state=CA&from=2026-11-01\"");
	CHECK(strchr(out, '\n') && strchr(strchr(out, '\n') + 1, '\n') &&
	      !strchr(strchr(strchr(out, '\n') + 1, '\n') + 1, '\n')); /* two lines */
	CHECK_INT_EQ(run_cli(out, sizeof(out), err, sizeof(err),
			     (const char *const[]){"--db", dir, "show", NULL}),
		     0);
	static const char first[] =
		"1 2026-11-29T00:00:00Z manual device=unit-0017 user=\"badge-4411\" role=";
	CHECK_MSG(strncmp(out, first, strlen(first)) == 0, "show: %s", out);
	CHECK_INT_EQ(run_cli(out, sizeof(out), err, sizeof(err),
			     (const char *const[]){"--db", dir, "show", "--from", "0", NULL}),
		     2);
	CHECK_INT_EQ(run_cli(out, sizeof(out), err, sizeof(err),
			     (const char *const[]){"--db", check_path("none"), "show", NULL}),
		     1);
	CHECK_STR_CONTAINS(err, "cannot open");

	/* Tampered: non-zero, one line naming the record. */
	raw_open(&w, dir);
	n = raw_get(&w, w.records, 3, buf);
	buf[30] ^= 0x40; /* inside the results hash */
	raw_put(&w, w.records, 3, buf, n);
	raw_close(&w);
	CHECK_INT_EQ(run_cli(out, sizeof(out), err, sizeof(err),
			     (const char *const[]){"--db", dir, "verify", "--pubkey", pub,
						   "--checkpoint", cp, NULL}),
		     1);
	CHECK_STR_CONTAINS(err, "FAILED at record 3");
}

static const struct check_case cases[] = {
	{"append-read", test_append_read},
	{"validation", test_validation},
	{"device-key", test_device_key},
	{"checkpoint-every-n", test_checkpoint_every_n},
	{"checkpoint-every-minutes", test_checkpoint_every_minutes},
	{"export-checkpoint", test_export_checkpoint},
	{"tamper-change", test_tamper_change},
	{"tamper-delete", test_tamper_delete},
	{"tamper-insert", test_tamper_insert},
	{"tamper-swap", test_tamper_swap},
	{"tamper-rewrite-chain", test_tamper_rewrite_chain},
	{"tamper-resign", test_tamper_resign},
	{"tamper-truncate", test_tamper_truncate},
	{"kill9", test_kill9},
	{"cli", test_cli},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
