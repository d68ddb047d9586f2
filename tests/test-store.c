/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * app/store/: the read store. Retention cases drive the injectable clock to one second
 * before each class's deadline and to the deadline itself; privacy cases read the raw
 * data.mdb bytes the way anyone holding the unit's disk could; the kill-9 case cuts power in
 * the middle of a write loop.
 */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <lmdb.h>

#include "check.h"
#include "common.h"
#include "policy.h"
#include "store.h"

#define T0   (INT64_C(1795910400) * ALPR_USEC_PER_SEC) /* 2026-11-29T00:00:00Z */
#define UNIT "unit42"
#define SEC  ALPR_USEC_PER_SEC

/* ---- helpers --------------------------------------------------------------------------- */

static struct policy *load_policy(const char *name)
{
	struct policy *p = NULL;
	char err[256];

	CHECK_OK(policy_load_named(name, &p, err, sizeof(err)));
	return p;
}

static int open_opts(const char *dir, const struct policy *p, struct alpr_clock *clock,
		     size_t map_size, struct store **out)
{
	struct store_options o = {
		.unit_id = UNIT,
		.policy = p,
		.clock = clock,
		.map_size = map_size,
	};
	return store_open(dir, &o, out);
}

static struct store *open_store(const char *dir, const struct policy *p, struct alpr_clock *clock)
{
	struct store *s = NULL;
	CHECK_OK(open_opts(dir, p, clock, 0, &s));
	return s;
}

/* A fake PNG crop: the signature, then bytes that vary with @seed. */
static void make_crop(uint8_t *buf, size_t len, unsigned seed)
{
	static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	memcpy(buf, png, 8);
	for (size_t i = 8; i < len; i++) {
		buf[i] = (uint8_t)(i * 31 + seed * 7);
	}
}

/* A read with every field set. @crop may be NULL for none. */
static void make_read(struct store_read *r, const char *plate, int64_t t, uint8_t *crop,
		      size_t crop_len)
{
	memset(r, 0, sizeof(*r));
	r->captured_at = t;
	r->clock_source = STORE_CLOCK_GPS;
	alpr_strlcpy(r->camera, "front-left", sizeof(r->camera));
	alpr_strlcpy(r->plate, plate, sizeof(r->plate));
	r->confidence = 0.91f;
	alpr_strlcpy(r->candidates[0].plate, plate, sizeof(r->candidates[0].plate));
	r->candidates[0].confidence = 0.91f;
	alpr_strlcpy(r->candidates[1].plate, "XQ8J7W", sizeof(r->candidates[1].plate));
	r->candidates[1].confidence = 0.42f;
	r->ncandidates = 2;
	alpr_strlcpy(r->state, "NH", sizeof(r->state));
	r->state_confidence = 0.77f;
	r->box = (struct store_box){412, 388, 140, 44};
	if (crop) {
		r->crop = crop;
		r->crop_len = crop_len;
		r->crop_format = STORE_CROP_PNG;
	}
	r->gps = (struct store_gps){STORE_FIX_3D, 43.2081, -71.5376, 13.4, 271.5, 350};
	r->track_id = 7001;
	r->frames_voted = 9;
}

static void make_hit(struct store_hit *h, const char *plate)
{
	memset(h, 0, sizeof(*h));
	h->hit_at = T0 + 2 * SEC;
	alpr_strlcpy(h->list, "ncic-stolen", sizeof(h->list));
	h->list_version = 17;
	alpr_strlcpy(h->plate, plate, sizeof(h->plate));
	alpr_strlcpy(h->state, "NH", sizeof(h->state));
	h->category = POLICY_CAT_STOLEN_VEHICLE;
	alpr_strlcpy(h->record_id, "V123456789", sizeof(h->record_id));
	alpr_strlcpy(h->agency, "NH0010000", sizeof(h->agency));
	h->match = STORE_MATCH_EQUIVALENT;
	h->positions[0] = 2;
	h->npositions = 1;
	h->state_unconfirmed = true;
}

static void put(struct store *s, const struct store_read *r, const struct store_hit *h,
		char *id_out)
{
	struct store_put_result res;
	CHECK_OK(store_put_read(s, r, h, &res));
	CHECK_INT_EQ(res.evicted, 0);
	alpr_strlcpy(id_out, res.id, STORE_ID_MAX + 1);
}

static bool present(struct store *s, const char *id)
{
	struct store_read r;
	int rc = store_get_read(s, id, &r);

	CHECK_MSG(rc == 0 || rc == -ENOENT, "get %s: %s", id, alpr_strerror(rc));
	store_read_finish(&r);
	return rc == 0;
}

static bool has_crop(struct store *s, const char *id)
{
	struct store_read r;
	bool yes;

	CHECK_OK(store_get_read(s, id, &r));
	yes = r.crop_len > 0;
	store_read_finish(&r);
	return yes;
}

/* True when the raw database file holds @needle anywhere (what a thief with the disk sees). */
static bool file_has(const char *dir, const char *needle)
{
	char path[PATH_MAX];
	char *data = NULL;
	size_t len = 0;
	bool found;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	CHECK_OK(alpr_read_file(path, (size_t)1 << 30, &data, &len));
	found = memmem(data, len, needle, strlen(needle)) != NULL;
	free(data);
	return found;
}

static void stats(struct store *s, struct store_stats *st)
{
	CHECK_OK(store_stats(s, st));
}

/* ---- round trip and identity ----------------------------------------------------------- */

static void test_roundtrip(void)
{
	struct policy *p = load_policy("default");
	struct alpr_clock clock;
	uint8_t crop[3000];
	struct store_read r, g;
	struct store_hit h, gh;
	char id[STORE_ID_MAX + 1], hid[STORE_ID_MAX + 1];
	struct store *s;

	alpr_clock_init_manual(&clock, T0 + 5 * SEC);
	s = open_store(check_path("db"), p, &clock);
	make_crop(crop, sizeof(crop), 1);
	make_read(&r, "QZX4821", T0, crop, sizeof(crop));
	put(s, &r, NULL, id);
	CHECK_STR_EQ(id, UNIT "-000000000001");

	CHECK_OK(store_get_read(s, id, &g));
	CHECK_STR_EQ(g.id, id);
	CHECK_INT_EQ(g.captured_at, T0);
	CHECK_INT_EQ(g.clock_source, STORE_CLOCK_GPS);
	CHECK_STR_EQ(g.camera, "front-left");
	CHECK_STR_EQ(g.plate, "QZX4821");
	CHECK(g.confidence == 0.91f);
	CHECK_INT_EQ(g.ncandidates, 2);
	CHECK_STR_EQ(g.candidates[0].plate, "QZX4821");
	CHECK_STR_EQ(g.candidates[1].plate, "XQ8J7W");
	CHECK(g.candidates[1].confidence == 0.42f);
	CHECK_STR_EQ(g.state, "NH");
	CHECK(g.state_confidence == 0.77f);
	CHECK_INT_EQ(g.box.x, 412);
	CHECK_INT_EQ(g.box.y, 388);
	CHECK_INT_EQ(g.box.w, 140);
	CHECK_INT_EQ(g.box.h, 44);
	CHECK_INT_EQ(g.crop_format, STORE_CROP_PNG);
	CHECK_INT_EQ(g.crop_len, sizeof(crop));
	CHECK(memcmp(g.crop, crop, sizeof(crop)) == 0);
	CHECK_INT_EQ(g.gps.mode, STORE_FIX_3D);
	CHECK(g.gps.lat == 43.2081 && g.gps.lon == -71.5376);
	CHECK(g.gps.speed_mps == 13.4 && g.gps.heading_deg == 271.5);
	CHECK_INT_EQ(g.gps.fix_age_ms, 350);
	CHECK_INT_EQ(g.track_id, 7001);
	CHECK_INT_EQ(g.frames_voted, 9);
	store_read_finish(&g);
	CHECK(g.crop == NULL);
	CHECK_INT_EQ(store_get_hit(s, id, &gh), -ENOENT); /* not a hit */

	/* A read with no fix, no crop, unknown speed, and a hit stored with it. */
	make_read(&r, "B7K2P9", T0 + SEC, NULL, 0);
	r.gps = (struct store_gps){STORE_FIX_NONE, 0, 0, NAN, NAN, 0};
	r.state[0] = '\0';
	make_hit(&h, "B7K2PQ");
	put(s, &r, &h, hid);
	CHECK_STR_EQ(hid, UNIT "-000000000002");
	CHECK_OK(store_get_read(s, hid, &g));
	CHECK_INT_EQ(g.crop_len, 0);
	CHECK(g.crop == NULL);
	CHECK_INT_EQ(g.gps.mode, STORE_FIX_NONE);
	CHECK_STR_EQ(g.state, "");
	store_read_finish(&g);
	CHECK_OK(store_get_hit(s, hid, &gh));
	CHECK_STR_EQ(gh.read_id, hid);
	CHECK_INT_EQ(gh.hit_at, T0 + 2 * SEC);
	CHECK_STR_EQ(gh.list, "ncic-stolen");
	CHECK_INT_EQ(gh.list_version, 17);
	CHECK_STR_EQ(gh.plate, "B7K2PQ");
	CHECK_STR_EQ(gh.state, "NH");
	CHECK_INT_EQ(gh.category, POLICY_CAT_STOLEN_VEHICLE);
	CHECK_STR_EQ(gh.record_id, "V123456789");
	CHECK_STR_EQ(gh.agency, "NH0010000");
	CHECK_INT_EQ(gh.match, STORE_MATCH_EQUIVALENT);
	CHECK_INT_EQ(gh.npositions, 1);
	CHECK_INT_EQ(gh.positions[0], 2);
	CHECK(gh.state_unconfirmed && !gh.state_mismatch && !gh.edit_missing);
	CHECK_INT_EQ(gh.status, STORE_HIT_UNVERIFIED);
	CHECK_INT_EQ(gh.ndispositions, 0);

	/* A later hit on the first read (hit_at 0: the store's clock). */
	make_hit(&h, "QZX4821");
	h.hit_at = 0;
	h.match = STORE_MATCH_EXACT;
	h.npositions = 0;
	CHECK_OK(store_add_hit(s, id, &h, NULL));
	CHECK_INT_EQ(store_add_hit(s, id, &h, NULL), -EEXIST);
	CHECK_OK(store_get_hit(s, id, &gh));
	CHECK_INT_EQ(gh.hit_at, T0 + 5 * SEC);
	CHECK_INT_EQ(gh.match, STORE_MATCH_EXACT);
	CHECK(has_crop(s, id));

	/* And it all survives a reopen; the key file is the owner's alone. */
	store_close(s);
	struct stat st;
	CHECK(stat(check_path("db/store.key"), &st) == 0);
	CHECK_INT_EQ(st.st_mode & 0777, 0600);
	CHECK_INT_EQ(st.st_size, 32);
	s = open_store(check_path("db"), p, &clock);
	CHECK_OK(store_get_read(s, id, &g));
	CHECK(g.crop_len == sizeof(crop) && memcmp(g.crop, crop, sizeof(crop)) == 0);
	store_read_finish(&g);
	CHECK_OK(store_get_hit(s, hid, &gh));
	CHECK_STR_EQ(gh.plate, "B7K2PQ");
	store_close(s);
	policy_destroy(p);
}

static void test_ids_unique(void)
{
	struct policy *p = load_policy("default");
	struct alpr_clock clock;
	char ids[30][STORE_ID_MAX + 1];
	struct store_read r;
	int n = 0;

	alpr_clock_init_manual(&clock, T0);
	for (int round = 0; round < 3; round++) {
		struct store *s = open_store(check_path("db"), p, &clock);
		for (int i = 0; i < 10; i++) {
			make_read(&r, "QZX4821", T0 + n * SEC, NULL, 0);
			put(s, &r, NULL, ids[n]);
			n++;
		}
		/* Every read stored so far is still found under its id. */
		for (int i = 0; i < n; i++) {
			CHECK_MSG(present(s, ids[i]), "%s lost after reopen", ids[i]);
		}
		store_close(s);
	}
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++) {
			CHECK_MSG(strcmp(ids[i], ids[j]) != 0, "id %s reused", ids[i]);
		}
		CHECK(strncmp(ids[i], UNIT "-", strlen(UNIT) + 1) == 0);
	}
	CHECK_STR_EQ(ids[29], UNIT "-000000000030");

	/* Deleting reads (a purge) never frees their ids for reuse. */
	alpr_clock_set(&clock, T0 + 100 * ALPR_USEC_PER_DAY);
	struct store *s = open_store(check_path("db"), p, &clock);
	struct store_stats st;
	stats(s, &st);
	CHECK_INT_EQ(st.reads, 0);
	make_read(&r, "QZX4821", T0 + 100 * ALPR_USEC_PER_DAY, NULL, 0);
	char last[STORE_ID_MAX + 1];
	put(s, &r, NULL, last);
	CHECK_STR_EQ(last, UNIT "-000000000031");

	/* The store belongs to its unit: another unit id is refused, ids would change. */
	store_close(s);
	struct store_options o = {.unit_id = "unit43", .policy = p, .clock = &clock};
	CHECK_INT_EQ(store_open(check_path("db"), &o, &s), -EINVAL);
	policy_destroy(p);
}

static void test_wrong_key(void)
{
	struct policy *p = load_policy("default");
	struct alpr_clock clock;
	char dir[PATH_MAX], key[PATH_MAX], saved[PATH_MAX], id[STORE_ID_MAX + 1];
	struct store_read r;
	struct store *s;
	char *orig = NULL;
	size_t len;

	alpr_strlcpy(dir, check_path("db"), sizeof(dir));
	alpr_strlcpy(key, check_path("db/store.key"), sizeof(key));
	alpr_strlcpy(saved, check_path("saved.key"), sizeof(saved));
	alpr_clock_init_manual(&clock, T0);
	s = open_store(dir, p, &clock);
	make_read(&r, "QZX4821", T0, NULL, 0);
	put(s, &r, NULL, id);
	store_close(s);
	CHECK_OK(alpr_read_file(key, 64, &orig, &len));
	CHECK_INT_EQ(len, 32);
	CHECK(rename(key, saved) == 0);

	/* Another unit's key, same size: refused, not silently used. */
	uint8_t other[32];
	for (int i = 0; i < 32; i++) {
		other[i] = (uint8_t)(orig[i] ^ 0x5a);
	}
	CHECK_OK(alpr_write_file_atomic(key, other, sizeof(other), 0600));
	CHECK_INT_EQ(open_opts(dir, p, &clock, 0, &s), -EKEYREJECTED);
	/* A truncated key file. */
	CHECK_OK(alpr_write_file_atomic(key, other, 16, 0600));
	CHECK_INT_EQ(open_opts(dir, p, &clock, 0, &s), -EKEYREJECTED);
	/* No key file for an existing store: refused, and no new key is made over the data. */
	CHECK(unlink(key) == 0);
	CHECK_INT_EQ(open_opts(dir, p, &clock, 0, &s), -ENOKEY);
	CHECK(access(key, F_OK) != 0);

	/* The right key opens it again, and the read is there. */
	CHECK(rename(saved, key) == 0);
	s = open_store(dir, p, &clock);
	CHECK(present(s, id));
	store_close(s);

	/* A key somewhere else (key_path), made at first run with mode 0600. */
	struct store_options o = {.unit_id = UNIT,
				  .policy = p,
				  .clock = &clock,
				  .key_path = check_path("elsewhere.key")};
	CHECK_OK(store_open(check_path("db2"), &o, &s));
	store_close(s);
	struct stat st;
	CHECK(stat(check_path("elsewhere.key"), &st) == 0);
	CHECK_INT_EQ(st.st_mode & 0777, 0600);
	CHECK(access(check_path("db2/store.key"), F_OK) != 0);
	free(orig);
	policy_destroy(p);
}

/* Swaps the values of two keys of database @db in the raw LMDB file, as someone with the
 * disk (but not the key) could. */
static void swap_raw(const char *dir, const char *db, uint64_t a, uint64_t b)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t ka[8], kb[8];
	MDB_val k1 = {8, ka}, k2 = {8, kb}, v1, v2;
	void *c1, *c2;
	size_t l1, l2;

	for (int i = 7; i >= 0; i--) {
		ka[i] = (uint8_t)a;
		kb[i] = (uint8_t)b;
		a >>= 8;
		b >>= 8;
	}
	CHECK(mdb_env_create(&env) == 0);
	CHECK(mdb_env_set_maxdbs(env, 8) == 0);
	CHECK(mdb_env_open(env, dir, 0, 0600) == 0);
	CHECK(mdb_txn_begin(env, NULL, 0, &txn) == 0);
	CHECK(mdb_dbi_open(txn, db, 0, &dbi) == 0);
	CHECK(mdb_get(txn, dbi, &k1, &v1) == 0);
	CHECK(mdb_get(txn, dbi, &k2, &v2) == 0);
	l1 = v1.mv_size;
	l2 = v2.mv_size;
	c1 = alpr_xmalloc(l1);
	c2 = alpr_xmalloc(l2);
	memcpy(c1, v1.mv_data, l1);
	memcpy(c2, v2.mv_data, l2);
	v1 = (MDB_val){l2, c2};
	v2 = (MDB_val){l1, c1};
	CHECK(mdb_put(txn, dbi, &k1, &v1, 0) == 0);
	CHECK(mdb_put(txn, dbi, &k2, &v2, 0) == 0);
	CHECK(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
	free(c1);
	free(c2);
}

/* Sealed records are bound to their place: moved between reads they refuse to open, rather
 * than show one car's plate under another read's time and place. */
static void test_tamper(void)
{
	struct policy *p = load_policy("default");
	struct alpr_clock clock;
	char dir[PATH_MAX], a[STORE_ID_MAX + 1], b[STORE_ID_MAX + 1], c[STORE_ID_MAX + 1];
	uint8_t crop[300];
	struct store_read r;
	struct store *s;

	alpr_strlcpy(dir, check_path("db"), sizeof(dir));
	alpr_clock_init_manual(&clock, T0);
	s = open_store(dir, p, &clock);
	make_crop(crop, sizeof(crop), 1);
	make_read(&r, "QZX4821", T0, crop, sizeof(crop));
	put(s, &r, NULL, a);
	make_read(&r, "B7K2P9", T0, crop, sizeof(crop));
	put(s, &r, NULL, b);
	make_read(&r, "HJT5530", T0, crop, sizeof(crop));
	put(s, &r, NULL, c);
	store_close(s);

	swap_raw(dir, "reads", 1, 2);
	swap_raw(dir, "crops", 2, 3);
	alpr_log_set_level(ALPR_LOG_NONE);
	s = open_store(dir, p, &clock);
	CHECK_INT_EQ(store_get_read(s, a, &r), -ALPR_E_CORRUPT);
	CHECK_INT_EQ(store_get_read(s, b, &r), -ALPR_E_CORRUPT);
	CHECK_INT_EQ(store_get_read(s, c, &r), -ALPR_E_CORRUPT);
	store_close(s);
	/* Put back, they open again: the check is the binding, not damage. */
	swap_raw(dir, "reads", 1, 2);
	swap_raw(dir, "crops", 2, 3);
	s = open_store(dir, p, &clock);
	CHECK(present(s, a) && present(s, b) && present(s, c));
	CHECK_OK(store_get_read(s, b, &r));
	CHECK_STR_EQ(r.plate, "B7K2P9");
	store_read_finish(&r);
	store_close(s);
	alpr_log_set_level(ALPR_LOG_WARN);
	policy_destroy(p);
}

/* ---- retention ------------------------------------------------------------------------- */

struct item {
	const char *what;
	char id[STORE_ID_MAX + 1];
	int64_t deadline;
	bool crop; /* the item is the crop of id, not the read */
};

/* Each item is present exactly while now < its deadline. */
static void check_items(struct store *s, const struct item *items, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		bool want = now < items[i].deadline;
		bool got = items[i].crop ? present(s, items[i].id) && has_crop(s, items[i].id)
					 : present(s, items[i].id);
		CHECK_MSG(got == want, "%s at deadline%+" PRId64 "s: %s, expected %s",
			  items[i].what, (now - items[i].deadline) / SEC, got ? "present" : "gone",
			  want ? "present" : "gone");
	}
}

static void retention_profile(const char *profile)
{
	struct policy *p = load_policy(profile);
	int64_t ttl_read = policy_retention_us(p, POLICY_CLASS_READ);
	int64_t ttl_crop = policy_retention_us(p, POLICY_CLASS_CROP);
	int64_t ttl_hit = policy_retention_us(p, POLICY_CLASS_HIT);
	int64_t ttl_mis = policy_retention_us(p, POLICY_CLASS_MISREAD_HIT);
	struct item items[5] = {
		{"non-hit read", "", T0 + ttl_read, false},
		{"non-hit crop", "", T0 + ALPR_MIN(ttl_crop, ttl_read), true},
		{"hit", "", T0 + ttl_hit, false},
		{"hit crop", "", T0 + ttl_hit, true},
		{"misread hit", "", T0 + ttl_mis, false},
	};
	const char *plates[] = {"QZX4821", "B7K2P9", "HJT5530"};
	struct alpr_clock clock;
	uint8_t crop[512];
	struct store_read r;
	struct store_hit h;
	char dir[PATH_MAX];
	struct store *s;

	alpr_strlcpy(dir, check_path("db"), sizeof(dir));
	alpr_clock_init_manual(&clock, T0);
	s = open_store(dir, p, &clock);
	make_crop(crop, sizeof(crop), 3);
	make_read(&r, plates[0], T0, crop, sizeof(crop));
	put(s, &r, NULL, items[0].id);
	alpr_strlcpy(items[1].id, items[0].id, sizeof(items[1].id));
	make_read(&r, plates[1], T0, crop, sizeof(crop));
	make_hit(&h, plates[1]);
	put(s, &r, &h, items[2].id);
	alpr_strlcpy(items[3].id, items[2].id, sizeof(items[3].id));
	make_read(&r, plates[2], T0, NULL, 0);
	make_hit(&h, plates[2]);
	put(s, &r, &h, items[4].id);
	CHECK_OK(store_set_disposition(s, items[4].id, STORE_HIT_MISREAD, "badge-4411"));

	/* Deadlines in time order (the clock only moves forward). */
	int64_t deadlines[ALPR_ARRAY_SIZE(items)];
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(items); i++) {
		size_t j = i;
		for (; j > 0 && deadlines[j - 1] > items[i].deadline; j--) {
			deadlines[j] = deadlines[j - 1];
		}
		deadlines[j] = items[i].deadline;
	}
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(items); i++) {
		struct store_purge_counts c;
		int64_t d = deadlines[i];

		if (i > 0 && d == deadlines[i - 1]) {
			continue;
		}

		/* One second before: everything due later or now is still there. */
		alpr_clock_set(&clock, d - SEC);
		CHECK_OK(store_purge(s, &c));
		check_items(s, items, ALPR_ARRAY_SIZE(items), d - SEC);
		/* At the deadline: gone, for readers and (after the purge) in the file. */
		alpr_clock_set(&clock, d);
		check_items(s, items, ALPR_ARRAY_SIZE(items), d);
		CHECK_OK(store_purge(s, &c));
		check_items(s, items, ALPR_ARRAY_SIZE(items), d);
	}
	/* Every deadline passed: the file holds no read, crop or hit any more. */
	struct store_stats st;
	stats(s, &st);
	CHECK_INT_EQ(st.reads, 0);
	CHECK_INT_EQ(st.crops, 0);
	CHECK_INT_EQ(st.hits, 0);
	CHECK_INT_EQ(st.unsynced, 0);
	store_close(s);
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(plates); i++) {
		CHECK(!file_has(dir, plates[i]));
	}
	policy_destroy(p);
}

static void test_retention_default(void)
{
	retention_profile("default");
}

static void test_retention_maine(void)
{
	struct policy *p = load_policy("maine");
	CHECK_INT_EQ(policy_retention_us(p, POLICY_CLASS_READ), 21 * ALPR_USEC_PER_DAY);
	policy_destroy(p);
	retention_profile("maine");
}

static void test_retention_minnesota(void)
{
	struct policy *p = load_policy("minnesota");
	CHECK_INT_EQ(policy_retention_us(p, POLICY_CLASS_READ), 60 * ALPR_USEC_PER_DAY);
	policy_destroy(p);
	retention_profile("minnesota");
}

static void test_new_hampshire(void)
{
	struct policy *p = load_policy("new-hampshire");
	struct alpr_clock clock;
	char dir[PATH_MAX], ids[20][STORE_ID_MAX + 1], hit_id[STORE_ID_MAX + 1];
	char plates[20][STORE_PLATE_MAX + 1];
	struct store_put_result res;
	struct store_purge_counts c;
	struct store_stats st;
	uint8_t crop[256];
	struct store_read r;
	struct store_hit h;
	struct store *s;

	CHECK(policy_reads_memory_only(p));
	alpr_strlcpy(dir, check_path("db"), sizeof(dir));
	alpr_clock_init_manual(&clock, T0);
	s = open_store(dir, p, &clock);
	make_crop(crop, sizeof(crop), 5);
	for (int i = 0; i < 20; i++) {
		snprintf(plates[i], sizeof(plates[i]), "NHQ%04d", i);
		make_read(&r, plates[i], T0, crop, sizeof(crop));
		CHECK_OK(store_put_read(s, &r, NULL, &res));
		CHECK(res.in_memory);
		alpr_strlcpy(ids[i], res.id, sizeof(ids[i]));
		CHECK(present(s, ids[i]));
		CHECK(has_crop(s, ids[i]));
	}
	/* Not one non-hit read reached the file, not even encrypted. */
	stats(s, &st);
	CHECK_INT_EQ(st.reads, 0);
	CHECK_INT_EQ(st.memory_reads, 20);
	/* A read that hits is recorded, at once. */
	make_read(&r, "HJT5530", T0, crop, sizeof(crop));
	make_hit(&h, "HJT5530");
	CHECK_OK(store_put_read(s, &r, &h, &res));
	CHECK(!res.in_memory);
	alpr_strlcpy(hit_id, res.id, sizeof(hit_id));
	/* A read that becomes a hit later is written then, under the id it had. */
	make_hit(&h, plates[3]);
	CHECK_OK(store_add_hit(s, ids[3], &h, &res));
	CHECK_STR_EQ(res.id, ids[3]);
	stats(s, &st);
	CHECK_INT_EQ(st.reads, 2);
	CHECK_INT_EQ(st.hits, 2);
	CHECK_INT_EQ(st.memory_reads, 19);

	/* Memory reads are never transmitted: the sync queue holds the two hits only. */
	CHECK_INT_EQ(st.unsynced, 2);

	/* 3 minutes: present one second before, purged at the deadline. */
	alpr_clock_set(&clock, T0 + 3 * ALPR_USEC_PER_MIN - SEC);
	CHECK_OK(store_purge(s, &c));
	CHECK_INT_EQ(c.reads, 0);
	CHECK(present(s, ids[0]) && present(s, ids[19]));
	alpr_clock_set(&clock, T0 + 3 * ALPR_USEC_PER_MIN);
	CHECK(!present(s, ids[0]));
	CHECK_OK(store_purge(s, &c));
	CHECK_INT_EQ(c.reads, 19);
	CHECK_INT_EQ(c.crops, 19);
	for (int i = 0; i < 20; i++) {
		CHECK_INT_EQ(present(s, ids[i]), i == 3);
	}
	CHECK(present(s, hit_id));
	store_close(s);
	for (int i = 0; i < 20; i++) {
		CHECK(!file_has(dir, plates[i]));
	}
	/* After a restart the hits are there (they were on disk) and nothing else. */
	s = open_store(dir, p, &clock);
	CHECK(present(s, hit_id));
	CHECK(present(s, ids[3]));
	CHECK(has_crop(s, ids[3]));
	stats(s, &st);
	CHECK_INT_EQ(st.reads, 2);
	CHECK_INT_EQ(st.memory_reads, 0);
	/* New ids after a restart never reuse the memory reads' ids. */
	make_read(&r, "NHQ9999", T0 + 3 * ALPR_USEC_PER_MIN, NULL, 0);
	CHECK_OK(store_put_read(s, &r, NULL, &res));
	for (int i = 0; i < 20; i++) {
		CHECK(strcmp(res.id, ids[i]) != 0);
	}
	CHECK(strcmp(res.id, hit_id) != 0);
	store_close(s);
	policy_destroy(p);
}

static const char *const privacy_plates[] = {"QZX4821", "B7K2P9",  "HJT5530", "WMV3317",
					     "KLD0962", "PRX7741", "ZNC1185"};

static void test_no_plaintext(void)
{
	struct policy *p = load_policy("default");
	const size_t n = ALPR_ARRAY_SIZE(privacy_plates);
	struct alpr_clock clock;
	char dir[PATH_MAX], id[STORE_ID_MAX + 1];
	struct store_read r;
	struct store_hit h;
	uint8_t crop[1024];
	struct store *s;

	alpr_strlcpy(dir, check_path("db"), sizeof(dir));
	alpr_clock_init_manual(&clock, T0);
	s = open_store(dir, p, &clock);
	make_crop(crop, sizeof(crop), 9);
	/* The crop carries a plate-like marker too: images are encrypted like rows. */
	memcpy(crop + 100, "CROPMARK", 8);
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < n; i++) {
			make_read(&r, privacy_plates[i], T0 + round * SEC, crop, sizeof(crop));
			alpr_strlcpy(r.candidates[1].plate, privacy_plates[(i + 1) % n],
				     sizeof(r.candidates[1].plate));
			if (i % 3 == 0) {
				make_hit(&h, privacy_plates[i]);
				put(s, &r, &h, id);
				CHECK_OK(store_set_disposition(s, id, STORE_HIT_CONFIRMED,
							       "badge-4411"));
			} else {
				put(s, &r, NULL, id);
			}
		}
	}
	/* The camera name shows the plaintext check works on this file at all. */
	store_close(s);
	CHECK(!file_has(dir, "front-left"));
	CHECK(!file_has(dir, "badge-4411"));
	CHECK(!file_has(dir, "CROPMARK"));
	CHECK(!file_has(dir, "ncic-stolen"));
	for (size_t i = 0; i < n; i++) {
		CHECK_MSG(!file_has(dir, privacy_plates[i]), "plate %s in plaintext in data.mdb",
			  privacy_plates[i]);
	}
	CHECK(file_has(dir, UNIT)); /* the unit id is plaintext: the reader does see the file */

	/* After the non-hit reads are purged (72 h), still nothing. */
	alpr_clock_set(&clock, T0 + 73 * ALPR_USEC_PER_HOUR);
	s = open_store(dir, p, &clock); /* purges at start */
	struct store_stats st;
	stats(s, &st);
	CHECK_INT_EQ(st.reads, 20 * 3);
	store_close(s);
	for (size_t i = 0; i < n; i++) {
		CHECK(!file_has(dir, privacy_plates[i]));
	}
	CHECK(!file_has(dir, "CROPMARK"));
	policy_destroy(p);
}

/* ---- purge ----------------------------------------------------------------------------- */

static struct store_purge_counts cb_counts;
static atomic_int cb_calls;

static void on_purge(const struct store_purge_counts *c, void *userdata)
{
	cb_counts = *c;
	atomic_fetch_add(&cb_calls, 1);
}

static void test_purge_counts(void)
{
	struct policy *p = load_policy("default");
	struct alpr_clock clock;
	char id[STORE_ID_MAX + 1];
	struct store_purge_counts c;
	struct store_stats a, b;
	struct store_read r;
	struct store_hit h;
	uint8_t crop[700];
	struct store *s;

	alpr_clock_init_manual(&clock, T0);
	struct store_options o = {
		.unit_id = UNIT, .policy = p, .clock = &clock, .on_purge = on_purge};
	CHECK_OK(store_open(check_path("db"), &o, &s));
	make_crop(crop, sizeof(crop), 2);
	for (int i = 0; i < 5; i++) { /* non-hit reads with crops */
		make_read(&r, "QZX4821", T0 + i, crop, sizeof(crop));
		put(s, &r, NULL, id);
	}
	for (int i = 0; i < 3; i++) { /* non-hit reads without */
		make_read(&r, "B7K2P9", T0 + i, NULL, 0);
		put(s, &r, NULL, id);
	}
	for (int i = 0; i < 4; i++) { /* hits, two with crops */
		make_read(&r, "HJT5530", T0 + i, i < 2 ? crop : NULL, sizeof(crop));
		make_hit(&h, "HJT5530");
		put(s, &r, &h, id);
	}
	for (int i = 0; i < 2; i++) { /* misread hits with crops */
		make_read(&r, "WMV3317", T0 + i, crop, sizeof(crop));
		make_hit(&h, "WMV3317");
		put(s, &r, &h, id);
		CHECK_OK(store_set_disposition(s, id, STORE_HIT_WRONG_STATE, "badge-4411"));
	}
	stats(s, &a);
	CHECK_INT_EQ(a.reads, 14);
	CHECK_INT_EQ(a.crops, 9);
	CHECK_INT_EQ(a.hits, 6);

	/* 72 h: the non-hit reads and their crops. */
	alpr_clock_set(&clock, T0 + 72 * ALPR_USEC_PER_HOUR + 10);
	atomic_store(&cb_calls, 0);
	CHECK_OK(store_purge(s, &c));
	stats(s, &b);
	CHECK_INT_EQ(c.reads, 8);
	CHECK_INT_EQ(c.crops, 5);
	CHECK_INT_EQ(c.hits + c.misread_hits, 0);
	CHECK_INT_EQ(a.reads - b.reads, c.reads);
	CHECK_INT_EQ(a.crops - b.crops, c.crops);
	CHECK_INT_EQ(atomic_load(&cb_calls), 1);
	CHECK(memcmp(&cb_counts, &c, sizeof(c)) == 0);
	/* Nothing more is due: a second purge deletes nothing and says so. */
	CHECK_OK(store_purge(s, &c));
	CHECK_INT_EQ(c.reads + c.crops + c.hits + c.misread_hits, 0);
	CHECK_INT_EQ(atomic_load(&cb_calls), 1);

	/* 30 days: the misread hits, with their crops. */
	a = b;
	alpr_clock_set(&clock, T0 + 30 * ALPR_USEC_PER_DAY + 10);
	CHECK_OK(store_purge(s, &c));
	stats(s, &b);
	CHECK_INT_EQ(c.misread_hits, 2);
	CHECK_INT_EQ(c.reads + c.crops + c.hits, 0);
	CHECK_INT_EQ(a.reads - b.reads, 2);
	CHECK_INT_EQ(a.hits - b.hits, 2);
	CHECK_INT_EQ(a.crops - b.crops, 2);

	/* A year: the hits. */
	a = b;
	alpr_clock_set(&clock, T0 + 365 * ALPR_USEC_PER_DAY + 10);
	CHECK_OK(store_purge(s, &c));
	stats(s, &b);
	CHECK_INT_EQ(c.hits, 4);
	CHECK_INT_EQ(a.reads - b.reads, 4);
	CHECK_INT_EQ(a.hits - b.hits, 4);
	CHECK_INT_EQ(a.crops - b.crops, 2);
	CHECK_INT_EQ(b.reads + b.crops + b.hits + b.unsynced, 0);
	store_close(s);
	policy_destroy(p);
}

static void test_purge_start_timer(void)
{
	struct policy *p = load_policy("default");
	struct alpr_clock clock;
	char id[STORE_ID_MAX + 1];
	struct store_read r;
	struct store *s;

	/* At start: what expired while the unit was off is gone before anyone reads. */
	alpr_clock_init_manual(&clock, T0);
	s = open_store(check_path("db"), p, &clock);
	make_read(&r, "QZX4821", T0, NULL, 0);
	put(s, &r, NULL, id);
	store_close(s);
	alpr_clock_set(&clock, T0 + 72 * ALPR_USEC_PER_HOUR);
	atomic_store(&cb_calls, 0);
	struct store_options o = {
		.unit_id = UNIT, .policy = p, .clock = &clock, .on_purge = on_purge};
	CHECK_OK(store_open(check_path("db"), &o, &s));
	CHECK_INT_EQ(atomic_load(&cb_calls), 1);
	CHECK_INT_EQ(cb_counts.reads, 1);
	store_close(s);

	/* On the timer: a read already past its deadline is purged within a few ticks, with
	 * the clock left alone (the timer thread reads it). */
	atomic_store(&cb_calls, 0);
	o.purge_interval_us = 20 * 1000;
	CHECK_OK(store_open(check_path("db"), &o, &s));
	make_read(&r, "QZX4821", T0 - 1, NULL, 0);
	CHECK_OK(store_put_read(s, &r, NULL, NULL));
	for (int i = 0; i < 500 && atomic_load(&cb_calls) == 0; i++) {
		usleep(10 * 1000);
	}
	CHECK_INT_EQ(atomic_load(&cb_calls), 1);
	struct store_stats st;
	stats(s, &st);
	CHECK_INT_EQ(st.reads, 0);
	store_close(s);
	policy_destroy(p);
}

/* ---- hits ------------------------------------------------------------------------------ */

/* An early hit's read replaced by the pass's final vote: same id, capture time, hit and
 * dispositions; a new crop; queued for sync again; a non-hit read is never rewritten. */
static void test_update_hit_read(void)
{
	struct policy *p = load_policy("default");
	struct alpr_clock clock;
	char a[STORE_ID_MAX + 1], b[STORE_ID_MAX + 1];
	uint8_t crop1[600], crop2[900];
	struct store_read r, got;
	struct store_hit h, g;
	struct store *s;

	alpr_clock_init_manual(&clock, T0);
	s = open_store(check_path("db"), p, &clock);
	make_crop(crop1, sizeof(crop1), 1);
	make_crop(crop2, sizeof(crop2), 2);
	make_read(&r, "HJT553", T0, crop1, sizeof(crop1));
	make_hit(&h, "HJT5530");
	put(s, &r, &h, a);
	CHECK_OK(store_set_disposition(s, a, STORE_HIT_CONFIRMED, "4471"));
	const char *ids[] = {a};
	CHECK_OK(store_mark_synced(s, ids, 1));
	struct store_stats st;
	stats(s, &st);
	CHECK_INT_EQ(st.unsynced, 0);

	make_read(&r, "HJT5530", T0 + 3 * SEC, crop2, sizeof(crop2));
	r.frames_voted = 21;
	CHECK_OK(store_update_hit_read(s, a, &r));
	CHECK_OK(store_get_read(s, a, &got));
	CHECK_STR_EQ(got.plate, "HJT5530");
	CHECK_INT_EQ(got.frames_voted, 21);
	CHECK_INT_EQ(got.revision, 1); /* the station keeps the highest revision */
	CHECK(got.captured_at == T0);  /* the deadline does not move */
	CHECK(got.crop_len == sizeof(crop2) && memcmp(got.crop, crop2, sizeof(crop2)) == 0);
	store_read_finish(&got);
	CHECK_OK(store_get_hit(s, a, &g));
	CHECK_STR_EQ(g.plate, "HJT5530");
	CHECK_INT_EQ(g.status, STORE_HIT_CONFIRMED);
	CHECK_INT_EQ(g.ndispositions, 1);
	stats(s, &st);
	CHECK_INT_EQ(st.unsynced, 1); /* the station gets the final read */
	CHECK_INT_EQ(st.reads, 1);
	CHECK(!file_has(check_path("db"), "HJT5530"));

	/* Without a crop the stored one stays. */
	make_read(&r, "HJT5530", T0, NULL, 0);
	r.revision = 7; /* the store's to set, not the caller's */
	CHECK_OK(store_update_hit_read(s, a, &r));
	CHECK(has_crop(s, a));
	CHECK_OK(store_get_read(s, a, &got));
	CHECK_INT_EQ(got.revision, 2);
	store_read_finish(&got);

	/* A non-hit read, an unknown id, a bad read, an expired hit. */
	make_read(&r, "WMV3317", T0, NULL, 0);
	put(s, &r, NULL, b);
	CHECK_INT_EQ(store_update_hit_read(s, b, &r), -EPERM);
	CHECK_INT_EQ(store_update_hit_read(s, "unit1-999999999999", &r), -ENOENT);
	r.plate[0] = '\0';
	CHECK_INT_EQ(store_update_hit_read(s, a, &r), -EINVAL);
	make_read(&r, "HJT5530", T0, NULL, 0);
	alpr_clock_set(&clock, T0 + policy_retention_us(p, POLICY_CLASS_HIT));
	CHECK_INT_EQ(store_update_hit_read(s, a, &r), -ENOENT);
	store_close(s);
	policy_destroy(p);
}

static void test_disposition(void)
{
	struct policy *p = load_policy("default");
	struct alpr_clock clock;
	char a[STORE_ID_MAX + 1], b[STORE_ID_MAX + 1], plain[STORE_ID_MAX + 1];
	struct store_read r;
	struct store_hit h, g;
	struct store *s;

	alpr_clock_init_manual(&clock, T0);
	s = open_store(check_path("db"), p, &clock);
	make_read(&r, "HJT5530", T0, NULL, 0);
	make_hit(&h, "HJT5530");
	put(s, &r, &h, a);
	put(s, &r, &h, b);
	put(s, &r, NULL, plain);

	/* unverified -> confirmed, with who and when. */
	alpr_clock_set(&clock, T0 + 40 * SEC);
	CHECK_OK(store_set_disposition(s, a, STORE_HIT_CONFIRMED, "badge-4411"));
	CHECK_OK(store_get_hit(s, a, &g));
	CHECK_INT_EQ(g.status, STORE_HIT_CONFIRMED);
	CHECK_INT_EQ(g.ndispositions, 1);
	CHECK_INT_EQ(g.dispositions[0].status, STORE_HIT_CONFIRMED);
	CHECK_STR_EQ(g.dispositions[0].officer, "badge-4411");
	CHECK_INT_EQ(g.dispositions[0].at, T0 + 40 * SEC);
	/* Illegal: back to unverified, or confirmed then misread; a repeat is reported. */
	CHECK_INT_EQ(store_set_disposition(s, a, STORE_HIT_UNVERIFIED, "badge-4411"), -EPERM);
	CHECK_INT_EQ(store_set_disposition(s, a, STORE_HIT_MISREAD, "badge-4411"), -EPERM);
	CHECK_INT_EQ(store_set_disposition(s, a, STORE_HIT_CONFIRMED, "badge-4411"), -EALREADY);
	/* confirmed -> not_actioned, by a second officer; then it is final. */
	alpr_clock_set(&clock, T0 + 95 * SEC);
	CHECK_OK(store_set_disposition(s, a, STORE_HIT_NOT_ACTIONED, "badge-5120"));
	CHECK_INT_EQ(store_set_disposition(s, a, STORE_HIT_CONFIRMED, "badge-4411"), -EPERM);
	CHECK_OK(store_get_hit(s, a, &g));
	CHECK_INT_EQ(g.status, STORE_HIT_NOT_ACTIONED);
	CHECK_INT_EQ(g.ndispositions, 2);
	CHECK_STR_EQ(g.dispositions[1].officer, "badge-5120");
	CHECK_INT_EQ(g.dispositions[1].at, T0 + 95 * SEC);
	CHECK_INT_EQ(g.dispositions[0].status, STORE_HIT_CONFIRMED);

	/* unverified -> wrong_state, final. */
	CHECK_OK(store_set_disposition(s, b, STORE_HIT_WRONG_STATE, "badge-4411"));
	CHECK_INT_EQ(store_set_disposition(s, b, STORE_HIT_CONFIRMED, "badge-4411"), -EPERM);
	CHECK_INT_EQ(store_set_disposition(s, b, STORE_HIT_NOT_ACTIONED, "badge-4411"), -EPERM);
	CHECK_OK(store_get_hit(s, b, &g));
	CHECK_INT_EQ(g.status, STORE_HIT_WRONG_STATE);

	/* No hit, bad status, bad officer, unknown read. */
	CHECK_INT_EQ(store_set_disposition(s, plain, STORE_HIT_CONFIRMED, "badge-4411"), -ENOENT);
	CHECK_INT_EQ(store_set_disposition(s, a, (enum store_hit_status)99, "badge-4411"), -EINVAL);
	CHECK_INT_EQ(store_set_disposition(s, b, STORE_HIT_MISREAD, "bad officer"), -EINVAL);
	CHECK_INT_EQ(store_set_disposition(s, b, STORE_HIT_MISREAD, ""), -EINVAL);
	CHECK_INT_EQ(store_set_disposition(s, UNIT "-000000009999", STORE_HIT_CONFIRMED, "b-1"),
		     -ENOENT);
	CHECK_OK(store_get_hit(s, b, &g));
	CHECK_INT_EQ(g.ndispositions, 1);
	CHECK(strcmp(store_hit_status_name(STORE_HIT_WRONG_STATE), "wrong_state") == 0);
	store_close(s);
	policy_destroy(p);
}

/* ---- sync ------------------------------------------------------------------------------ */

struct seen {
	char ids[16][STORE_ID_MAX + 1];
	bool hit[16];
	int n;
};

static int collect(const struct store_read *r, const struct store_hit *hit, void *userdata)
{
	struct seen *s = userdata;
	CHECK(s->n < 16);
	alpr_strlcpy(s->ids[s->n], r->id, sizeof(s->ids[0]));
	s->hit[s->n] = hit != NULL;
	if (hit) {
		CHECK_STR_EQ(hit->read_id, r->id);
	}
	s->n++;
	return 0;
}

static int stop_at_first(const struct store_read *r, const struct store_hit *hit, void *userdata)
{
	return 7;
}

static struct seen unsynced(struct store *s)
{
	struct seen seen = {0};
	CHECK_OK(store_foreach_unsynced(s, collect, &seen));
	return seen;
}

static void test_unsynced(void)
{
	struct policy *p = load_policy("default");
	struct alpr_clock clock;
	char old[STORE_ID_MAX + 1], b[STORE_ID_MAX + 1], c[STORE_ID_MAX + 1], d[STORE_ID_MAX + 1];
	struct store_read r;
	struct store_hit h;
	struct seen seen;
	struct store *s;

	alpr_clock_init_manual(&clock, T0);
	s = open_store(check_path("db"), p, &clock);
	make_read(&r, "QZX4821", T0 - 73 * ALPR_USEC_PER_HOUR, NULL, 0); /* already expired */
	put(s, &r, NULL, old);
	make_read(&r, "B7K2P9", T0, NULL, 0);
	put(s, &r, NULL, b);
	make_read(&r, "HJT5530", T0 - 100 * ALPR_USEC_PER_DAY, NULL, 0); /* an old hit: kept */
	make_hit(&h, "HJT5530");
	put(s, &r, &h, c);
	make_read(&r, "WMV3317", T0 + SEC, NULL, 0);
	put(s, &r, NULL, d);

	/* The expired read is never handed over, even before a purge deleted it. */
	seen = unsynced(s);
	CHECK_INT_EQ(seen.n, 3);
	CHECK_STR_EQ(seen.ids[0], b);
	CHECK_STR_EQ(seen.ids[1], c);
	CHECK(seen.hit[1] && !seen.hit[0]);
	CHECK_STR_EQ(seen.ids[2], d);

	/* Synced ones are skipped; marking is idempotent and forgiving of unknown ids. */
	const char *ids1[] = {b, old, UNIT "-000000123456"};
	CHECK_OK(store_mark_synced(s, ids1, 3));
	CHECK_OK(store_mark_synced(s, ids1, 3));
	/* A malformed id refuses the whole call: d stays unsynced. */
	const char *bad[] = {d, "unit42-12x"};
	CHECK_INT_EQ(store_mark_synced(s, bad, 2), -EINVAL);
	const char *other[] = {d, "unit43-000000000004"};
	CHECK_INT_EQ(store_mark_synced(s, other, 2), -EINVAL);
	seen = unsynced(s);
	CHECK_INT_EQ(seen.n, 2);
	CHECK_STR_EQ(seen.ids[0], c);
	CHECK_STR_EQ(seen.ids[1], d);

	/* The callback's non-zero return stops the walk and comes back. */
	CHECK_INT_EQ(store_foreach_unsynced(s, stop_at_first, NULL), 7);
	const char *ids2[] = {c};
	CHECK_OK(store_mark_synced(s, ids2, 1));
	seen = unsynced(s);
	CHECK_INT_EQ(seen.n, 1);
	/* A disposition changes the hit: it goes back in the queue. */
	CHECK_OK(store_set_disposition(s, c, STORE_HIT_CONFIRMED, "badge-4411"));
	seen = unsynced(s);
	CHECK_INT_EQ(seen.n, 2);
	CHECK_STR_EQ(seen.ids[0], c);

	/* d reaches its 72 h deadline: no longer handed over. */
	alpr_clock_set(&clock, T0 + SEC + 72 * ALPR_USEC_PER_HOUR);
	seen = unsynced(s);
	CHECK_INT_EQ(seen.n, 1);
	CHECK_STR_EQ(seen.ids[0], c);
	store_close(s);
	policy_destroy(p);
}

/* ---- faults ---------------------------------------------------------------------------- */

static void test_full_map(void)
{
	struct policy *p = load_policy("default");
	struct alpr_clock clock;
	/* Crops of one overflow page each fill the map in a few hundred writes (each one a
	 * durable commit, so the case stays quick on a real disk). */
	static char ids[400][STORE_ID_MAX + 1];
	static bool is_hit[400];
	const int nreads = 400, every = 20;
	struct store_put_result res;
	uint8_t crop[3500];
	struct store_read r;
	struct store_hit h;
	struct store *s;
	uint32_t evicted = 0;
	int n = 0, flagged = 0;

	alpr_clock_init_manual(&clock, T0);
	CHECK_OK(open_opts(check_path("db"), p, &clock, 1 << 20, &s)); /* a 1 MiB map */
	make_crop(crop, sizeof(crop), 4);
	for (; n < nreads; n++) {
		make_read(&r, "QZX4821", T0 + n * SEC, crop, sizeof(crop));
		is_hit[n] = n % every == 0;
		make_hit(&h, "QZX4821");
		CHECK_OK(store_put_read(s, &r, is_hit[n] ? &h : NULL, &res));
		alpr_strlcpy(ids[n], res.id, sizeof(ids[n]));
		evicted += res.evicted;
		flagged += res.evicted > 0;
	}
	/* The map filled up: the runtime was told (the flag behind the status event). */
	CHECK_MSG(flagged > 0, "no eviction reported in %d reads on a 1 MiB map", n);
	/* Every hit is kept; the non-hit reads kept are the newest ones. */
	int kept = 0, first_kept = -1;
	for (int i = 0; i < n; i++) {
		bool here = present(s, ids[i]);
		if (is_hit[i]) {
			CHECK_MSG(here, "hit %s dropped", ids[i]);
			continue;
		}
		if (here) {
			kept++;
			if (first_kept < 0) {
				first_kept = i;
			}
		} else {
			CHECK_MSG(first_kept < 0, "%s dropped but older %s kept", ids[i],
				  ids[first_kept]);
		}
	}
	CHECK(present(s, ids[n - 1]));
	CHECK_INT_EQ(kept + (int)evicted, n - n / every);

	/* Only hits left to write: non-hit reads go first, and when nothing but hits
	 * remains the store says -ENOSPC rather than drop one. */
	int rc = 0, hits = 0;
	for (int i = 0; i < 100000 && rc == 0; i++) {
		make_read(&r, "HJT5530", T0 + (n + i) * SEC, crop, sizeof(crop));
		make_hit(&h, "HJT5530");
		rc = store_put_read(s, &r, &h, &res);
		hits += rc == 0;
	}
	CHECK_INT_EQ(rc, -ENOSPC);
	struct store_stats st;
	stats(s, &st);
	CHECK_INT_EQ(st.hits, (uint64_t)(n / every + hits));
	CHECK_INT_EQ(st.reads, st.hits); /* every non-hit read made room */
	for (int i = 0; i < n; i += every) {
		CHECK(present(s, ids[i]));
	}
	store_close(s);
	policy_destroy(p);
}

/* The child of the kill-9 case: writes reads until killed, acknowledging each stored read
 * (its sequence and the loop counter it carries as track_id) on @fd. */
__attribute__((noreturn)) static void write_forever(const char *dir, const struct policy *p, int fd)
{
	uint8_t crop[900];
	struct store *s;
	struct store_put_result res;
	struct store_read r;

	alpr_log_set_level(ALPR_LOG_NONE);
	if (open_opts(dir, p, NULL, 0, &s) < 0) {
		_exit(3);
	}
	make_crop(crop, sizeof(crop), 6);
	for (uint64_t i = 0;; i++) {
		int64_t seq;
		uint64_t msg[2];

		make_read(&r, "QZX4821", alpr_clock_now(NULL), i % 2 ? crop : NULL, sizeof(crop));
		r.track_id = i;
		if (store_put_read(s, &r, NULL, &res) < 0 ||
		    alpr_parse_int64(res.id + strlen(UNIT) + 1, strlen(res.id) - strlen(UNIT) - 1,
				     1, INT64_MAX, &seq) < 0) {
			_exit(4);
		}
		msg[0] = (uint64_t)seq;
		msg[1] = i;
		if (write(fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
			_exit(5);
		}
	}
}

struct kill_seen {
	uint64_t max_seq;
	uint64_t count;
	uint8_t *seen; /* by sequence */
	size_t cap;
};

static int note_read(const struct store_read *r, const struct store_hit *hit, void *userdata)
{
	struct kill_seen *k = userdata;
	int64_t seq;

	CHECK_OK(alpr_parse_int64(r->id + strlen(UNIT) + 1, strlen(r->id) - strlen(UNIT) - 1, 1,
				  INT64_MAX, &seq));
	CHECK((size_t)seq < k->cap);
	CHECK_MSG(!k->seen[seq], "read %s twice", r->id);
	k->seen[seq] = 1;
	k->max_seq = ALPR_MAX(k->max_seq, (uint64_t)seq);
	k->count++;
	return 0;
}

static void test_kill9(void)
{
	struct policy *p = load_policy("default");
	char dir[PATH_MAX];
	static uint64_t acked[200000][2];
	size_t nacked = 0;

	alpr_strlcpy(dir, check_path("db"), sizeof(dir));
	for (int round = 0; round < 4; round++) {
		int fds[2], status;
		uint64_t msg[2];
		pid_t pid;

		CHECK(pipe(fds) == 0);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			write_forever(dir, p, fds[1]);
		}
		close(fds[1]);
		/* Let it run, then cut it at an arbitrary point of a write. */
		for (int i = 0; i < 30 + 11 * round; i++) {
			CHECK(read(fds[0], msg, sizeof(msg)) == (ssize_t)sizeof(msg));
			CHECK(nacked < ALPR_ARRAY_SIZE(acked));
			memcpy(acked[nacked++], msg, sizeof(msg));
		}
		usleep(700 * (unsigned)round);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d",
			  status);
		while (read(fds[0], msg, sizeof(msg)) == (ssize_t)sizeof(msg)) {
			CHECK(nacked < ALPR_ARRAY_SIZE(acked));
			memcpy(acked[nacked++], msg, sizeof(msg)); /* stored before the kill */
		}
		close(fds[0]);
	}

	/* The store opens clean, every acknowledged read is there as written, no sequence was
	 * handed out twice, and every stored record decrypts. */
	struct store *s = open_store(dir, p, NULL);
	uint64_t max_acked = 0;
	for (size_t i = 0; i < nacked; i++) {
		char id[STORE_ID_MAX + 1];
		struct store_read r;

		snprintf(id, sizeof(id), UNIT "-%012" PRIu64, acked[i][0]);
		CHECK_OK(store_get_read(s, id, &r));
		CHECK_INT_EQ(r.track_id, acked[i][1]);
		store_read_finish(&r);
		for (size_t j = i + 1; j < nacked && j < i + 2; j++) {
			CHECK_MSG(acked[j][0] > acked[i][0], "sequence %" PRIu64 " reused",
				  acked[j][0]);
		}
		max_acked = ALPR_MAX(max_acked, acked[i][0]);
	}
	struct kill_seen k = {0, 0, NULL, (size_t)max_acked + 1000};
	k.seen = alpr_xcalloc(k.cap, 1);
	CHECK_OK(store_foreach_unsynced(s, note_read, &k));
	CHECK(k.count >= nacked);
	CHECK(k.max_seq <= max_acked + 4); /* at most the reads stored but not yet acked */

	/* And the next id is new. */
	struct store_put_result res;
	struct store_read r;
	int64_t seq;
	make_read(&r, "QZX4821", alpr_clock_now(NULL), NULL, 0);
	CHECK_OK(store_put_read(s, &r, NULL, &res));
	CHECK_OK(alpr_parse_int64(res.id + strlen(UNIT) + 1, strlen(res.id) - strlen(UNIT) - 1, 1,
				  INT64_MAX, &seq));
	CHECK((uint64_t)seq > k.max_seq);
	free(k.seen);
	store_close(s);
	policy_destroy(p);
}

/* True when @r differs from the good read make_read() builds. */
static bool read_changed(const struct store_read *r, uint8_t *crop)
{
	struct store_read good;
	make_read(&good, "QZX4821", T0, crop, 64);
	return memcmp(&good, r, sizeof(good)) != 0;
}

static void test_hostile(void)
{
	struct policy *p = load_policy("default");
	static uint8_t big[STORE_CROP_MAX + 1];
	struct alpr_clock clock;
	struct store_read r;
	struct store_hit h;
	struct store *s;
	uint8_t crop[64];
	struct store_stats st;

	alpr_clock_init_manual(&clock, T0);
	s = open_store(check_path("db"), p, &clock);
	make_crop(crop, sizeof(crop), 8);

/* A read mutation is refused with and without a hit; a hit mutation with a good read. */
#define REFUSED(mutation)                                                                          \
	do {                                                                                       \
		make_read(&r, "QZX4821", T0, crop, sizeof(crop));                                  \
		make_hit(&h, "QZX4821");                                                           \
		mutation;                                                                          \
		CHECK_INT_EQ(store_put_read(s, &r, &h, NULL), -EINVAL);                            \
		if (read_changed(&r, crop)) {                                                      \
			CHECK_INT_EQ(store_put_read(s, &r, NULL, NULL), -EINVAL);                  \
		}                                                                                  \
	} while (0)

	/* Overlong fields: arrays filled to the brim with no NUL. */
	REFUSED(memset(r.plate, 'A', sizeof(r.plate)));
	REFUSED(memset(r.camera, 'a', sizeof(r.camera)));
	REFUSED(memset(r.state, 'A', sizeof(r.state)));
	REFUSED(memset(r.candidates[1].plate, 'B', sizeof(r.candidates[1].plate)));
	REFUSED(memset(h.list, 'l', sizeof(h.list)));
	REFUSED(memset(h.record_id, 'R', sizeof(h.record_id)));
	/* Bad names and values. */
	REFUSED(alpr_strlcpy(r.camera, "Front Left!", sizeof(r.camera)));
	REFUSED(alpr_strlcpy(r.camera, "../../etc", sizeof(r.camera)));
	REFUSED(r.camera[0] = '\0');
	REFUSED(alpr_strlcpy(r.plate, "ab-12", sizeof(r.plate)));
	REFUSED(r.plate[0] = '\0');
	REFUSED(alpr_strlcpy(r.state, "X1", sizeof(r.state)));
	REFUSED(r.confidence = NAN);
	REFUSED(r.confidence = 1.5f);
	REFUSED(r.ncandidates = STORE_CANDIDATES_MAX + 1);
	REFUSED(r.candidates[1].confidence = -0.1f);
	REFUSED(r.captured_at = 0);
	REFUSED(r.clock_source = (enum store_clock_source)7);
	REFUSED(r.box.w = -1);
	REFUSED(r.gps.lat = 91.0);
	REFUSED(r.gps.heading_deg = 360.0);
	REFUSED(r.gps.mode = (enum store_fix_mode)1);
	REFUSED(r.gps.fix_age_ms = -5);
	/* Crops: over the cap, not what they claim, claimed but absent. */
	make_crop(big, sizeof(big), 1);
	REFUSED((r.crop = big, r.crop_len = sizeof(big)));
	REFUSED(r.crop_format = STORE_CROP_JPEG);
	REFUSED(r.crop = NULL);
	REFUSED(r.crop_format = (enum store_crop_format)9);
	REFUSED((r.crop_format = STORE_CROP_NONE));
	/* Hits. */
	REFUSED(h.category = (enum policy_category)99);
	REFUSED(alpr_strlcpy(h.list, "-x", sizeof(h.list)));
	REFUSED(h.npositions = 3);
	REFUSED(h.positions[0] = -1);
	REFUSED(alpr_strlcpy(h.agency, "NH 001", sizeof(h.agency)));
	REFUSED(h.match = (enum store_match_kind)5);

	/* Malformed ids. */
	struct store_read g;
	CHECK_INT_EQ(store_get_read(s, "unit42-", &g), -EINVAL);
	CHECK_INT_EQ(store_get_read(s, "unit42-12a", &g), -EINVAL);
	CHECK_INT_EQ(store_get_read(s, "unit42-1 ", &g), -EINVAL);
	CHECK_INT_EQ(store_get_read(s, "000000000001", &g), -EINVAL);
	CHECK_INT_EQ(store_get_read(s, "unit42-000000000000", &g), -EINVAL);
	CHECK_INT_EQ(store_get_read(s, "unit42-99999999999999999999999", &g), -EINVAL);
	CHECK_INT_EQ(store_get_read(s, NULL, &g), -EINVAL);
	CHECK_INT_EQ(store_get_read(s, "unit43-000000000001", &g), -ENOENT);
	make_hit(&h, "QZX4821");
	CHECK_INT_EQ(store_add_hit(s, "unit42-1x", &h, NULL), -EINVAL);

	/* Nothing was written, and no id was used up. */
	stats(s, &st);
	CHECK_INT_EQ(st.reads + st.crops + st.hits + st.unsynced, 0);
	CHECK_INT_EQ(st.next_seq, 1);
	/* Options. */
	struct store *t;
	struct store_options o = {.unit_id = "unit 42", .policy = p};
	CHECK_INT_EQ(store_open(check_path("db2"), &o, &t), -EINVAL);
	o.unit_id = NULL;
	CHECK_INT_EQ(store_open(check_path("db2"), &o, &t), -EINVAL);
	o.unit_id = UNIT;
	o.policy = NULL;
	CHECK_INT_EQ(store_open(check_path("db2"), &o, &t), -EINVAL);
	store_close(s);
	policy_destroy(p);
}

static const struct check_case cases[] = {
	{"roundtrip", test_roundtrip},
	{"ids-unique", test_ids_unique},
	{"wrong-key", test_wrong_key},
	{"tamper", test_tamper},
	{"retention-default", test_retention_default},
	{"retention-maine", test_retention_maine},
	{"retention-minnesota", test_retention_minnesota},
	{"new-hampshire", test_new_hampshire},
	{"no-plaintext", test_no_plaintext},
	{"purge-counts", test_purge_counts},
	{"purge-start-timer", test_purge_start_timer},
	{"disposition", test_disposition},
	{"update-hit-read", test_update_hit_read},
	{"unsynced", test_unsynced},
	{"full-map", test_full_map},
	{"kill9", test_kill9},
	{"hostile", test_hostile},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
