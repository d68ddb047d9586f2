/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The read store (store.h; formats in docs/store.md).
 *
 * Named databases, keys big-endian so that LMDB's byte order is numeric order:
 *   meta      "format" -> "1"; "unit_id" -> the unit id; "next_seq" -> u64, the next read
 *             sequence; "key_check" -> a sealed constant proving the key file is this store's
 *   reads     seq -> sealed packed read (no crop)
 *   crops     seq -> sealed (format byte, image bytes)
 *   hits      seq -> sealed packed hit with its dispositions
 *   rows      seq -> plaintext bookkeeping: class, flags, captured_at (no plate)
 *   expiry    class(1) captured_at(8, sign-flipped) seq(8) -> "": retention as range deletes
 *   unsynced  seq -> "": the sync queue
 *
 * Error handling: a single forward `goto out` per function where there is cleanup; MDB_*
 * codes become negative errnos in store_mdb_err() and nowhere else.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <lmdb.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "store.h"

#define SUBSYS       "store"
#define STORE_FORMAT "1"
#define KEY_FILE     "store.key"

#define KEY_LEN       32 /* AES-256 */
#define NONCE_LEN     12 /* GCM's 96-bit nonce, random per record */
#define TAG_LEN       16
#define SEAL_OVERHEAD (NONCE_LEN + TAG_LEN)
/* A packed read or hit. The largest possible read packs to about 450 bytes and a hit with
 * STORE_DISPOSITIONS_MAX dispositions to about 500: room to grow without a format change. */
#define PACKED_MAX 2048
#define PACK_FMT   1
/* Memory-only reads take sequence numbers from blocks reserved in the file this many at a
 * time: one small write per block instead of one per read, and still never reused. */
#define SEQ_BLOCK 64
/* A full map: rounds of deleting the oldest non-hit reads before a write gives up, and how
 * many the first round deletes (doubling each round: at most 16 * 255 reads per write). */
#define EVICT_ROUNDS 8
#define EVICT_FIRST  16
/* The headroom: 1/16 of the map, at least 64 pages (what a purge of a few hundred rows
 * dirties), at most 4096 (16 MiB). */
#define HEADROOM_MIN 64
#define HEADROOM_MAX 4096
/* Reads collected per read transaction by the sync iterator. */
#define SYNC_BATCH 64

#define EXPIRY_KEY_LEN 17
#define ROW_LEN        16

/* Row classes: the first byte of an expiry key and the class in a row. */
#define CLASS_READ    'r' /* non-hit read */
#define CLASS_CROP    'c' /* the crop of a non-hit read (expiry only) */
#define CLASS_HIT     'h'
#define CLASS_MISREAD 'm' /* a hit marked misread or wrong state */

#define ROW_CROP   0x01u /* a crop is stored */
#define ROW_SYNCED 0x02u /* the station has it */

static const char KEY_CHECK[] = "alpr-store key check v1";

struct row {
	uint8_t cls;
	uint8_t flags;
	int64_t captured_at;
	uint8_t revision; /* store_read.revision; 0 in rows written before it existed */
};

struct mem_read {
	uint64_t seq;
	struct store_read r; /* r.crop is owned */
};

struct store {
	MDB_env *env;
	MDB_dbi meta, reads, crops, hits, rows, expiry, unsynced;
	char unit_id[STORE_UNIT_ID_MAX + 1];
	const struct policy *policy;
	const struct alpr_clock *clock;
	uint8_t key[KEY_LEN];
	void (*on_purge)(const struct store_purge_counts *counts, void *userdata);
	void *userdata;

	/* Memory-only mode: the ring (oldest first) and the reserved sequence block. Guarded
	 * by mem_lock, which is taken before LMDB's write lock, never after. */
	bool memory_only;
	pthread_mutex_t mem_lock;
	struct mem_read *mem;
	size_t mem_len, mem_cap;
	uint64_t seq_next, seq_end;
	/* Free pages kept for the writes that delete or change: a purge must never find the
	 * map too full to run (deleting needs pages too, LMDB being copy-on-write). */
	uint64_t headroom;

	/* The purge timer. */
	bool timer;
	int64_t interval_us;
	pthread_t thread;
	pthread_mutex_t timer_lock;
	pthread_cond_t timer_cond;
	bool stopping;
};

/* ---- small helpers --------------------------------------------------------------------- */

static int store_mdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return -ENOSPC;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return -ALPR_E_CORRUPT;
	case MDB_READERS_FULL:
	case MDB_MAP_RESIZED:
		return -EAGAIN;
	default:
		if (rc > 0) {
			return -rc;
		}
		alpr_error(SUBSYS, "lmdb: %s", mdb_strerror(rc));
		return -EIO;
	}
}

static void be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

static void expiry_key(uint8_t *k, uint8_t cls, int64_t captured_at, uint64_t seq)
{
	k[0] = cls;
	/* Flipping the sign bit makes signed times sort as unsigned big-endian bytes. */
	be64_put(k + 1, (uint64_t)captured_at ^ (UINT64_C(1) << 63));
	be64_put(k + 9, seq);
}

static int64_t expiry_key_time(const uint8_t *k)
{
	return (int64_t)(be64_get(k + 1) ^ (UINT64_C(1) << 63));
}

static void row_encode(const struct row *r, uint8_t *out)
{
	memset(out, 0, ROW_LEN);
	out[0] = 1; /* format */
	out[1] = r->cls;
	out[2] = r->flags;
	out[3] = r->revision;
	be64_put(out + 8, (uint64_t)r->captured_at);
}

static int row_decode(const MDB_val *v, struct row *r)
{
	const uint8_t *p = v->mv_data;
	if (v->mv_size != ROW_LEN || p[0] != 1 ||
	    (p[1] != CLASS_READ && p[1] != CLASS_HIT && p[1] != CLASS_MISREAD)) {
		return -ALPR_E_CORRUPT;
	}
	r->cls = p[1];
	r->flags = p[2];
	r->revision = p[3];
	r->captured_at = (int64_t)be64_get(p + 8);
	return 0;
}

static enum policy_data_class policy_class(uint8_t cls)
{
	switch (cls) {
	case CLASS_CROP:
		return POLICY_CLASS_CROP;
	case CLASS_HIT:
		return POLICY_CLASS_HIT;
	case CLASS_MISREAD:
		return POLICY_CLASS_MISREAD_HIT;
	default:
		return POLICY_CLASS_READ;
	}
}

/* True at and after the class's deadline, captured_at + time-to-live. */
static bool past_deadline(const struct store *s, uint8_t cls, int64_t captured_at, int64_t now)
{
	int64_t ttl = policy_retention_us(s->policy, policy_class(cls));
	return captured_at <= now - ttl;
}

/* A non-hit read's crop never outlives its read. */
static bool crop_gone(const struct store *s, int64_t captured_at, int64_t now)
{
	return past_deadline(s, CLASS_CROP, captured_at, now) ||
	       past_deadline(s, CLASS_READ, captured_at, now);
}

/* ---- ids ------------------------------------------------------------------------------- */

static void format_id(const struct store *s, uint64_t seq, char *out)
{
	snprintf(out, STORE_ID_MAX + 1, "%s-%012" PRIu64, s->unit_id, seq);
}

/* 0 and *seq, -EINVAL for a malformed id, -ENOENT for another unit's. */
static int parse_id(const struct store *s, const char *id, uint64_t *seq)
{
	size_t len, ulen;
	const char *dash;
	int64_t v;

	if (!id) {
		return -EINVAL;
	}
	len = strnlen(id, STORE_ID_MAX + 1);
	if (len > STORE_ID_MAX) {
		return -EINVAL;
	}
	dash = strrchr(id, '-');
	if (!dash || dash == id || (size_t)(id + len - dash - 1) < 1) {
		return -EINVAL;
	}
	if (alpr_parse_int64(dash + 1, (size_t)(id + len - dash - 1), 1, INT64_MAX, &v) < 0) {
		return -EINVAL;
	}
	ulen = (size_t)(dash - id);
	if (ulen != strlen(s->unit_id) || memcmp(id, s->unit_id, ulen) != 0) {
		return -ENOENT;
	}
	*seq = (uint64_t)v;
	return 0;
}

/* ---- validation ------------------------------------------------------------------------ */

enum alphabet {
	ALPHA_PLATE,  /* A-Z 0-9 */
	ALPHA_CAMERA, /* a-z 0-9 _ - */
	ALPHA_UNIT,   /* A-Z a-z 0-9 _ . - */
	ALPHA_SHORT,  /* A-Z a-z 0-9 _ . : / - */
};

static bool char_ok(char c, enum alphabet a)
{
	bool digit = c >= '0' && c <= '9', upper = c >= 'A' && c <= 'Z',
	     lower = c >= 'a' && c <= 'z';

	switch (a) {
	case ALPHA_PLATE:
		return digit || upper;
	case ALPHA_CAMERA:
		return digit || lower || c == '_' || c == '-';
	case ALPHA_UNIT:
		return digit || upper || lower || c == '_' || c == '.' || c == '-';
	case ALPHA_SHORT:
		return digit || upper || lower || c == '_' || c == '.' || c == ':' || c == '/' ||
		       c == '-';
	}
	return false;
}

/* A NUL-terminated string within @cap bytes (the array size), of @min characters or more,
 * all in @a. */
static bool text_ok(const char *s, size_t cap, size_t min, enum alphabet a)
{
	size_t len = strnlen(s, cap);
	if (len >= cap || len < min) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (!char_ok(s[i], a)) {
			return false;
		}
	}
	return true;
}

static bool state_ok(const char *st)
{
	size_t len = strnlen(st, 3);
	if (len == 0) {
		return true;
	}
	if (len != 2) {
		return false;
	}
	return (st[0] == '?' && st[1] == '?') ||
	       (st[0] >= 'A' && st[0] <= 'Z' && st[1] >= 'A' && st[1] <= 'Z');
}

static bool conf_ok(float c)
{
	return isfinite(c) && c >= 0.0f && c <= 1.0f;
}

static bool list_ok(const char *name)
{
	return text_ok(name, STORE_LIST_MAX + 1, 1, ALPHA_CAMERA) && name[0] != '_' &&
	       name[0] != '-';
}

static bool crop_ok(const uint8_t *crop, size_t len, int fmt)
{
	static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

	switch (fmt) {
	case STORE_CROP_NONE:
		return len == 0;
	case STORE_CROP_JPEG:
		return crop && len >= 4 && len <= STORE_CROP_MAX && crop[0] == 0xff &&
		       crop[1] == 0xd8 && crop[2] == 0xff;
	case STORE_CROP_PNG:
		return crop && len >= 8 && len <= STORE_CROP_MAX && memcmp(crop, png, 8) == 0;
	default:
		return false;
	}
}

static bool gps_ok(const struct store_gps *g)
{
	switch ((int)g->mode) {
	case STORE_FIX_NONE:
		return true;
	case STORE_FIX_2D:
	case STORE_FIX_3D:
		break;
	default:
		return false;
	}
	return isfinite(g->lat) && g->lat >= -90.0 && g->lat <= 90.0 && isfinite(g->lon) &&
	       g->lon >= -180.0 && g->lon <= 180.0 &&
	       (isnan(g->speed_mps) || (isfinite(g->speed_mps) && g->speed_mps >= 0.0)) &&
	       (isnan(g->heading_deg) || (g->heading_deg >= 0.0 && g->heading_deg < 360.0)) &&
	       g->fix_age_ms >= 0;
}

/* Everything but the crop, which the unpacked form carries separately. */
static bool read_fields_ok(const struct store_read *r)
{
	if (r->captured_at <= 0 || (unsigned)r->clock_source >= STORE_CLOCK_COUNT ||
	    !text_ok(r->camera, sizeof(r->camera), 1, ALPHA_CAMERA) ||
	    !text_ok(r->plate, sizeof(r->plate), 1, ALPHA_PLATE) || !conf_ok(r->confidence) ||
	    r->ncandidates > STORE_CANDIDATES_MAX || !state_ok(r->state) ||
	    !conf_ok(r->state_confidence) || r->box.x < 0 || r->box.y < 0 || r->box.w < 0 ||
	    r->box.h < 0 || !gps_ok(&r->gps)) {
		return false;
	}
	for (uint32_t i = 0; i < r->ncandidates; i++) {
		if (!text_ok(r->candidates[i].plate, sizeof(r->candidates[i].plate), 1,
			     ALPHA_PLATE) ||
		    !conf_ok(r->candidates[i].confidence)) {
			return false;
		}
	}
	return true;
}

static bool read_ok(const struct store_read *r)
{
	return read_fields_ok(r) && crop_ok(r->crop, r->crop_len, (int)r->crop_format);
}

/* The entry and match of a hit; its status and dispositions are the store's. */
static bool hit_ok(const struct store_hit *h)
{
	if (h->hit_at < 0 || !list_ok(h->list) ||
	    !text_ok(h->plate, sizeof(h->plate), 1, ALPHA_PLATE) || !state_ok(h->state) ||
	    (unsigned)h->category >= POLICY_CAT_COUNT ||
	    !text_ok(h->record_id, sizeof(h->record_id), 0, ALPHA_SHORT) ||
	    !text_ok(h->agency, sizeof(h->agency), 0, ALPHA_SHORT) ||
	    (unsigned)h->match >= STORE_MATCH_COUNT || h->npositions > 2) {
		return false;
	}
	for (uint32_t i = 0; i < h->npositions; i++) {
		if (h->positions[i] < 0 || h->positions[i] > STORE_PLATE_MAX) {
			return false;
		}
	}
	return true;
}

/* ---- packing --------------------------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool over;
};

struct rbuf {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static void w_bytes(struct wbuf *w, const void *d, size_t n)
{
	if (w->over || n > w->cap - w->len) {
		w->over = true;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void w_u8(struct wbuf *w, uint8_t v)
{
	w_bytes(w, &v, 1);
}

static void w_u64(struct wbuf *w, uint64_t v)
{
	uint8_t b[8];
	be64_put(b, v);
	w_bytes(w, b, 8);
}

static void w_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	w_bytes(w, b, 4);
}

static void w_f32(struct wbuf *w, float f)
{
	uint32_t v;
	memcpy(&v, &f, 4);
	w_u32(w, v);
}

static void w_f64(struct wbuf *w, double f)
{
	uint64_t v;
	memcpy(&v, &f, 8);
	w_u64(w, v);
}

static void w_str(struct wbuf *w, const char *s)
{
	size_t n = strlen(s);
	w_u8(w, (uint8_t)n); /* every field is under 256 bytes (validated) */
	w_bytes(w, s, n);
}

static void r_bytes(struct rbuf *r, void *d, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		memset(d, 0, n);
		return;
	}
	memcpy(d, r->p + r->off, n);
	r->off += n;
}

static uint8_t r_u8(struct rbuf *r)
{
	uint8_t v;
	r_bytes(r, &v, 1);
	return v;
}

static uint64_t r_u64(struct rbuf *r)
{
	uint8_t b[8];
	r_bytes(r, b, 8);
	return be64_get(b);
}

static uint32_t r_u32(struct rbuf *r)
{
	uint8_t b[4];
	r_bytes(r, b, 4);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static float r_f32(struct rbuf *r)
{
	uint32_t v = r_u32(r);
	float f;
	memcpy(&f, &v, 4);
	return f;
}

static double r_f64(struct rbuf *r)
{
	uint64_t v = r_u64(r);
	double f;
	memcpy(&f, &v, 8);
	return f;
}

static void r_str(struct rbuf *r, char *out, size_t cap)
{
	size_t n = r_u8(r);
	if (n >= cap) {
		r->bad = true;
		n = 0;
	}
	r_bytes(r, out, n);
	out[r->bad ? 0 : n] = '\0';
}

static size_t pack_read(const struct store_read *r, uint8_t *out, size_t cap)
{
	struct wbuf w = {out, 0, cap, false};

	w_u8(&w, PACK_FMT);
	w_u64(&w, (uint64_t)r->captured_at);
	w_u8(&w, (uint8_t)r->clock_source);
	w_str(&w, r->camera);
	w_str(&w, r->plate);
	w_f32(&w, r->confidence);
	w_u8(&w, (uint8_t)r->ncandidates);
	for (uint32_t i = 0; i < r->ncandidates; i++) {
		w_str(&w, r->candidates[i].plate);
		w_f32(&w, r->candidates[i].confidence);
	}
	w_str(&w, r->state);
	w_f32(&w, r->state_confidence);
	w_u32(&w, (uint32_t)r->box.x);
	w_u32(&w, (uint32_t)r->box.y);
	w_u32(&w, (uint32_t)r->box.w);
	w_u32(&w, (uint32_t)r->box.h);
	w_u8(&w, (uint8_t)r->gps.mode);
	w_f64(&w, r->gps.lat);
	w_f64(&w, r->gps.lon);
	w_f64(&w, r->gps.speed_mps);
	w_f64(&w, r->gps.heading_deg);
	w_u32(&w, (uint32_t)r->gps.fix_age_ms);
	w_u64(&w, r->track_id);
	w_u32(&w, r->frames_voted);
	return w.over ? 0 : w.len;
}

static int unpack_read(const uint8_t *in, size_t len, struct store_read *r)
{
	struct rbuf b = {in, len, 0, false};

	memset(r, 0, sizeof(*r));
	if (r_u8(&b) != PACK_FMT) {
		return -ALPR_E_CORRUPT;
	}
	r->captured_at = (int64_t)r_u64(&b);
	r->clock_source = (enum store_clock_source)r_u8(&b);
	r_str(&b, r->camera, sizeof(r->camera));
	r_str(&b, r->plate, sizeof(r->plate));
	r->confidence = r_f32(&b);
	r->ncandidates = r_u8(&b);
	if (r->ncandidates > STORE_CANDIDATES_MAX) {
		return -ALPR_E_CORRUPT;
	}
	for (uint32_t i = 0; i < r->ncandidates; i++) {
		r_str(&b, r->candidates[i].plate, sizeof(r->candidates[i].plate));
		r->candidates[i].confidence = r_f32(&b);
	}
	r_str(&b, r->state, sizeof(r->state));
	r->state_confidence = r_f32(&b);
	r->box.x = (int32_t)r_u32(&b);
	r->box.y = (int32_t)r_u32(&b);
	r->box.w = (int32_t)r_u32(&b);
	r->box.h = (int32_t)r_u32(&b);
	r->gps.mode = (enum store_fix_mode)r_u8(&b);
	r->gps.lat = r_f64(&b);
	r->gps.lon = r_f64(&b);
	r->gps.speed_mps = r_f64(&b);
	r->gps.heading_deg = r_f64(&b);
	r->gps.fix_age_ms = (int32_t)r_u32(&b);
	r->track_id = r_u64(&b);
	r->frames_voted = r_u32(&b);
	if (b.bad || b.off != b.len || !read_fields_ok(r)) {
		return -ALPR_E_CORRUPT;
	}
	return 0;
}

static size_t pack_hit(const struct store_hit *h, uint8_t *out, size_t cap)
{
	struct wbuf w = {out, 0, cap, false};

	w_u8(&w, PACK_FMT);
	w_u64(&w, (uint64_t)h->hit_at);
	w_str(&w, h->list);
	w_u64(&w, h->list_version);
	w_str(&w, h->plate);
	w_str(&w, h->state);
	w_u8(&w, (uint8_t)h->category);
	w_str(&w, h->record_id);
	w_str(&w, h->agency);
	w_u8(&w, (uint8_t)h->match);
	w_u8(&w, (uint8_t)h->npositions);
	w_u32(&w, (uint32_t)h->positions[0]);
	w_u32(&w, (uint32_t)h->positions[1]);
	w_u8(&w, (uint8_t)(h->edit_missing | h->state_mismatch << 1 | h->state_unconfirmed << 2));
	w_u8(&w, (uint8_t)h->status);
	w_u8(&w, (uint8_t)h->ndispositions);
	for (uint32_t i = 0; i < h->ndispositions; i++) {
		w_u8(&w, (uint8_t)h->dispositions[i].status);
		w_str(&w, h->dispositions[i].officer);
		w_u64(&w, (uint64_t)h->dispositions[i].at);
	}
	return w.over ? 0 : w.len;
}

static int unpack_hit(const uint8_t *in, size_t len, struct store_hit *h)
{
	struct rbuf b = {in, len, 0, false};
	uint8_t flags;

	memset(h, 0, sizeof(*h));
	if (r_u8(&b) != PACK_FMT) {
		return -ALPR_E_CORRUPT;
	}
	h->hit_at = (int64_t)r_u64(&b);
	r_str(&b, h->list, sizeof(h->list));
	h->list_version = r_u64(&b);
	r_str(&b, h->plate, sizeof(h->plate));
	r_str(&b, h->state, sizeof(h->state));
	h->category = (enum policy_category)r_u8(&b);
	r_str(&b, h->record_id, sizeof(h->record_id));
	r_str(&b, h->agency, sizeof(h->agency));
	h->match = (enum store_match_kind)r_u8(&b);
	h->npositions = r_u8(&b);
	h->positions[0] = (int32_t)r_u32(&b);
	h->positions[1] = (int32_t)r_u32(&b);
	flags = r_u8(&b);
	h->edit_missing = flags & 1;
	h->state_mismatch = flags & 2;
	h->state_unconfirmed = flags & 4;
	h->status = (enum store_hit_status)r_u8(&b);
	h->ndispositions = r_u8(&b);
	if (h->ndispositions > STORE_DISPOSITIONS_MAX ||
	    (unsigned)h->status >= STORE_HIT_STATUS_COUNT) {
		return -ALPR_E_CORRUPT;
	}
	for (uint32_t i = 0; i < h->ndispositions; i++) {
		h->dispositions[i].status = (enum store_hit_status)r_u8(&b);
		r_str(&b, h->dispositions[i].officer, sizeof(h->dispositions[i].officer));
		h->dispositions[i].at = (int64_t)r_u64(&b);
	}
	if (b.bad || b.off != b.len || !hit_ok(h)) {
		return -ALPR_E_CORRUPT;
	}
	return 0;
}

/* ---- sealing (AES-256-GCM) ------------------------------------------------------------- */

static int crypto_fail(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	alpr_error(SUBSYS, "%s: %s", what, e ? buf : "libcrypto failure");
	ERR_clear_error();
	return -EIO;
}

/* Associated data: the record's kind and key, so a sealed value cannot be replayed under
 * another sequence number or as another kind of record. */
static void seal_aad(uint8_t kind, uint64_t seq, uint8_t aad[16])
{
	memcpy(aad, "alpr-st", 7);
	aad[7] = kind;
	be64_put(aad + 8, seq);
}

/* Seals @a then @b (either may be empty) into @out, which has len_a + len_b + SEAL_OVERHEAD
 * bytes: nonce, ciphertext, tag. */
static int seal(const struct store *s, uint8_t kind, uint64_t seq, const void *a, size_t len_a,
		const void *b, size_t len_b, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t aad[16];
	uint8_t *ct = out + NONCE_LEN;
	int n, r = 0;

	seal_aad(kind, seq, aad);
	if (!ctx || RAND_bytes(out, NONCE_LEN) != 1 ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, s->key, out) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, sizeof(aad)) != 1 ||
	    (len_a && EVP_EncryptUpdate(ctx, ct, &n, a, (int)len_a) != 1) ||
	    (len_b && EVP_EncryptUpdate(ctx, ct + len_a, &n, b, (int)len_b) != 1) ||
	    EVP_EncryptFinal_ex(ctx, ct + len_a + len_b, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, ct + len_a + len_b) != 1) {
		r = crypto_fail("encrypting a record");
	}
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* Opens a sealed value of @len bytes into @out (len - SEAL_OVERHEAD bytes).
 * -ALPR_E_CORRUPT when it does not authenticate. */
static int unseal(const struct store *s, uint8_t kind, uint64_t seq, const uint8_t *in, size_t len,
		  uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t aad[16], tag[TAG_LEN];
	size_t ctlen;
	int n, r = 0;

	if (len < SEAL_OVERHEAD || len - SEAL_OVERHEAD > INT_MAX) {
		return -ALPR_E_CORRUPT;
	}
	ctlen = len - SEAL_OVERHEAD;
	memcpy(tag, in + NONCE_LEN + ctlen, TAG_LEN);
	seal_aad(kind, seq, aad);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, s->key, in) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, sizeof(aad)) != 1 ||
	    (ctlen && EVP_DecryptUpdate(ctx, out, &n, in + NONCE_LEN, (int)ctlen) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1) {
		r = crypto_fail("decrypting a record");
	} else if (EVP_DecryptFinal_ex(ctx, out + ctlen, &n) != 1) {
		ERR_clear_error();
		OPENSSL_cleanse(out, ctlen);
		r = -ALPR_E_CORRUPT;
	}
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* Seals straight into LMDB's page (MDB_RESERVE): the plaintext never touches the map. */
static int put_sealed(struct store *s, MDB_txn *txn, MDB_dbi dbi, uint8_t kind, uint64_t seq,
		      const void *a, size_t len_a, const void *b, size_t len_b)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v = {len_a + len_b + SEAL_OVERHEAD, NULL};
	int r;

	be64_put(kb, seq);
	r = store_mdb_err(mdb_put(txn, dbi, &k, &v, MDB_RESERVE));
	if (r < 0) {
		return r;
	}
	return seal(s, kind, seq, a, len_a, b, len_b, v.mv_data);
}

/* ---- the key file ---------------------------------------------------------------------- */

static int key_load(const char *path, uint8_t key[KEY_LEN])
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0) {
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != KEY_LEN) {
		close(fd);
		alpr_error(SUBSYS, "store key %s is not a %d-byte file", path, KEY_LEN);
		return -EKEYREJECTED;
	}
	if (st.st_mode & 077) {
		alpr_warn(SUBSYS, "store key %s was readable by others (mode %03o); set to 0600",
			  path, (unsigned)(st.st_mode & 0777));
		if (fchmod(fd, 0600) < 0) {
			alpr_warn(SUBSYS, "chmod %s: %s", path, alpr_strerror(-errno));
		}
	}
	n = read(fd, key, KEY_LEN);
	close(fd);
	if (n != KEY_LEN) {
		OPENSSL_cleanse(key, KEY_LEN);
		return n < 0 ? -errno : -EIO;
	}
	return 0;
}

/*
 * Creates the key file: 32 random bytes, mode 0600, written whole to a temporary file and
 * link()ed into place, so it is never seen half-written and a second process racing this
 * one ends up with the first one's key (link refuses to overwrite).
 */
static int key_create(const char *path, uint8_t key[KEY_LEN])
{
	char tmp[PATH_MAX];
	int r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid()) >= sizeof(tmp)) {
		return -ENAMETOOLONG;
	}
	if (RAND_priv_bytes(key, KEY_LEN) != 1) {
		return crypto_fail("generating the store key");
	}
	r = alpr_write_file_atomic(tmp, key, KEY_LEN, 0600);
	if (r < 0) {
		return r;
	}
	if (chmod(tmp, 0600) < 0 || link(tmp, path) < 0) {
		r = -errno;
	}
	unlink(tmp);
	if (r == -EEXIST) {
		OPENSSL_cleanse(key, KEY_LEN);
		return key_load(path, key);
	}
	if (r == 0) {
		alpr_info(SUBSYS, "created store key %s", path);
	}
	return r;
}

/* ---- opening --------------------------------------------------------------------------- */

static int meta_get_u64(struct store *s, MDB_txn *txn, const char *name, uint64_t *out)
{
	MDB_val k = {strlen(name), (void *)name}, v;
	int r = store_mdb_err(mdb_get(txn, s->meta, &k, &v));

	if (r < 0) {
		return r;
	}
	if (v.mv_size != 8) {
		return -ALPR_E_CORRUPT;
	}
	*out = be64_get(v.mv_data);
	return 0;
}

static int meta_put(struct store *s, MDB_txn *txn, const char *name, const void *d, size_t n)
{
	MDB_val k = {strlen(name), (void *)name}, v = {n, (void *)d};
	return store_mdb_err(mdb_put(txn, s->meta, &k, &v, 0));
}

/* Takes @n sequence numbers from the counter, in the caller's transaction: they are
 * allocated exactly when the transaction commits, so a crash can never hand them out twice. */
static int seq_alloc(struct store *s, MDB_txn *txn, uint64_t n, uint64_t *first)
{
	uint8_t b[8];
	uint64_t next = 1;
	int r = meta_get_u64(s, txn, "next_seq", &next);

	if (r < 0 && r != -ENOENT) {
		return r;
	}
	*first = next;
	be64_put(b, next + n);
	return meta_put(s, txn, "next_seq", b, 8);
}

/* Sets up or checks the metadata and the key, in the opening write transaction. */
static int open_meta(struct store *s, MDB_txn *txn, const char *dir, const char *key_path)
{
	MDB_val k = {6, "format"}, v;
	uint8_t check[sizeof(KEY_CHECK) - 1 + SEAL_OVERHEAD], plain[sizeof(KEY_CHECK) - 1];
	int r;

	r = store_mdb_err(mdb_get(txn, s->meta, &k, &v));
	if (r == -ENOENT) {
		/* A new store: use a key provisioned beforehand, or make one. */
		r = key_load(key_path, s->key);
		if (r == -ENOENT) {
			r = key_create(key_path, s->key);
		}
		if (r < 0) {
			alpr_error(SUBSYS, "store key %s: %s", key_path, alpr_strerror(r));
			return r;
		}
		if ((r = seal(s, 'k', 0, KEY_CHECK, sizeof(KEY_CHECK) - 1, NULL, 0, check)) < 0 ||
		    (r = meta_put(s, txn, "format", STORE_FORMAT, 1)) < 0 ||
		    (r = meta_put(s, txn, "unit_id", s->unit_id, strlen(s->unit_id))) < 0 ||
		    (r = meta_put(s, txn, "key_check", check, sizeof(check))) < 0) {
			return r;
		}
		return 0;
	}
	if (r < 0) {
		return r;
	}
	if (v.mv_size != 1 || memcmp(v.mv_data, STORE_FORMAT, 1) != 0) {
		alpr_error(SUBSYS, "%s: unknown store format", dir);
		return -ALPR_E_CORRUPT;
	}
	k = (MDB_val){7, "unit_id"};
	r = store_mdb_err(mdb_get(txn, s->meta, &k, &v));
	if (r < 0) {
		return r == -ENOENT ? -ALPR_E_CORRUPT : r;
	}
	if (v.mv_size != strlen(s->unit_id) || memcmp(v.mv_data, s->unit_id, v.mv_size) != 0) {
		alpr_error(SUBSYS, "%s belongs to unit '%.*s', not '%s': read ids would change",
			   dir, (int)ALPR_MIN(v.mv_size, (size_t)STORE_UNIT_ID_MAX),
			   (char *)v.mv_data, s->unit_id);
		return -EINVAL;
	}
	r = key_load(key_path, s->key);
	if (r == -ENOENT) {
		alpr_error(SUBSYS,
			   "store key %s is missing: the reads in %s cannot be decrypted without "
			   "it (by design); move the store aside to start a new one",
			   key_path, dir);
		return -ENOKEY;
	}
	if (r < 0) {
		return r;
	}
	k = (MDB_val){9, "key_check"};
	r = store_mdb_err(mdb_get(txn, s->meta, &k, &v));
	if (r < 0) {
		return r == -ENOENT ? -ALPR_E_CORRUPT : r;
	}
	if (v.mv_size != sizeof(check)) {
		return -ALPR_E_CORRUPT;
	}
	r = unseal(s, 'k', 0, v.mv_data, v.mv_size, plain);
	if (r == -ALPR_E_CORRUPT || (r == 0 && memcmp(plain, KEY_CHECK, sizeof(plain)) != 0)) {
		alpr_error(SUBSYS, "store key %s is not the key of %s: refusing to open", key_path,
			   dir);
		return -EKEYREJECTED;
	}
	return r;
}

static void *purge_thread(void *arg);

int store_open(const char *dir, const struct store_options *opts, struct store **out)
{
	char key_path[PATH_MAX];
	struct store *s;
	MDB_txn *txn = NULL;
	int r, dead;

	if (!dir || !opts || !opts->policy || !opts->unit_id || !out ||
	    !text_ok(opts->unit_id, STORE_UNIT_ID_MAX + 1, 1, ALPHA_UNIT) ||
	    opts->purge_interval_us < 0) {
		return -EINVAL;
	}
	if (opts->key_path) {
		if (alpr_strlcpy(key_path, opts->key_path, sizeof(key_path)) >= sizeof(key_path)) {
			return -ENAMETOOLONG;
		}
	} else if ((size_t)snprintf(key_path, sizeof(key_path), "%s/%s", dir, KEY_FILE) >=
		   sizeof(key_path)) {
		return -ENAMETOOLONG;
	}
	r = alpr_mkdir_p(dir);
	if (r < 0) {
		return r;
	}
	s = alpr_xcalloc(1, sizeof(*s));
	alpr_strlcpy(s->unit_id, opts->unit_id, sizeof(s->unit_id));
	s->policy = opts->policy;
	s->clock = opts->clock;
	s->on_purge = opts->on_purge;
	s->userdata = opts->userdata;
	s->memory_only = policy_reads_memory_only(opts->policy);
	s->mem_cap = opts->memory_reads ? opts->memory_reads : STORE_MEMORY_READS_DEFAULT;
	if (s->memory_only) {
		s->mem = alpr_xcalloc(s->mem_cap, sizeof(*s->mem));
	}
	pthread_mutex_init(&s->mem_lock, NULL);

	if ((r = store_mdb_err(mdb_env_create(&s->env))) < 0 ||
	    (r = store_mdb_err(mdb_env_set_maxdbs(s->env, 8))) < 0 ||
	    (r = store_mdb_err(mdb_env_set_mapsize(
		     s->env, opts->map_size ? opts->map_size : STORE_MAP_SIZE_DEFAULT))) < 0) {
		goto fail;
	}
	/* NOTLS: the purge thread and the callers each run their own read transactions. */
	r = store_mdb_err(mdb_env_open(s->env, dir, MDB_NOTLS, 0600));
	if (r < 0) {
		alpr_error(SUBSYS, "opening %s: %s", dir, alpr_strerror(r));
		goto fail;
	}
	{
		MDB_envinfo info;
		MDB_stat st;
		mdb_env_info(s->env, &info);
		mdb_env_stat(s->env, &st);
		s->headroom = info.me_mapsize / st.ms_psize / 16;
		s->headroom = ALPR_MAX(s->headroom, (uint64_t)HEADROOM_MIN);
		s->headroom = ALPR_MIN(s->headroom, (uint64_t)HEADROOM_MAX);
	}
	mdb_reader_check(s->env, &dead);
	if (dead) {
		alpr_warn(SUBSYS, "%s: cleared %d stale readers left by a crash", dir, dead);
	}
	if ((r = store_mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn))) < 0) {
		goto fail;
	}
	if ((r = store_mdb_err(mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta))) < 0 ||
	    (r = store_mdb_err(mdb_dbi_open(txn, "reads", MDB_CREATE, &s->reads))) < 0 ||
	    (r = store_mdb_err(mdb_dbi_open(txn, "crops", MDB_CREATE, &s->crops))) < 0 ||
	    (r = store_mdb_err(mdb_dbi_open(txn, "hits", MDB_CREATE, &s->hits))) < 0 ||
	    (r = store_mdb_err(mdb_dbi_open(txn, "rows", MDB_CREATE, &s->rows))) < 0 ||
	    (r = store_mdb_err(mdb_dbi_open(txn, "expiry", MDB_CREATE, &s->expiry))) < 0 ||
	    (r = store_mdb_err(mdb_dbi_open(txn, "unsynced", MDB_CREATE, &s->unsynced))) < 0 ||
	    (r = open_meta(s, txn, dir, key_path)) < 0) {
		goto fail;
	}
	r = store_mdb_err(mdb_txn_commit(txn));
	txn = NULL;
	if (r < 0) {
		goto fail;
	}

	/* Whatever expired while the unit was off goes before anything can read it. */
	r = store_purge(s, NULL);
	if (r < 0) {
		alpr_warn(SUBSYS, "purge at start: %s", alpr_strerror(r));
	}
	if (opts->purge_interval_us > 0) {
		pthread_condattr_t ca;

		s->interval_us = opts->purge_interval_us;
		pthread_mutex_init(&s->timer_lock, NULL);
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->timer_cond, &ca);
		pthread_condattr_destroy(&ca);
		if (pthread_create(&s->thread, NULL, purge_thread, s) != 0) {
			pthread_cond_destroy(&s->timer_cond);
			pthread_mutex_destroy(&s->timer_lock);
			r = -EAGAIN;
			goto fail;
		}
		s->timer = true;
	}
	*out = s;
	return 0;
fail:
	if (txn) {
		mdb_txn_abort(txn);
	}
	mdb_env_close(s->env);
	OPENSSL_cleanse(s->key, sizeof(s->key));
	pthread_mutex_destroy(&s->mem_lock);
	free(s->mem);
	free(s);
	return r;
}

static void mem_free_at(struct store *s, size_t i)
{
	struct store_read *r = &s->mem[i].r;
	if (r->crop) {
		OPENSSL_cleanse(r->crop, r->crop_len);
		free(r->crop);
	}
	OPENSSL_cleanse(&s->mem[i], sizeof(s->mem[i]));
}

/* Removes ring slot @i, keeping the rest in order. Called with mem_lock held. */
static void mem_remove(struct store *s, size_t i)
{
	mem_free_at(s, i);
	memmove(&s->mem[i], &s->mem[i + 1], (s->mem_len - i - 1) * sizeof(*s->mem));
	s->mem_len--;
}

void store_close(struct store *s)
{
	if (!s) {
		return;
	}
	if (s->timer) {
		pthread_mutex_lock(&s->timer_lock);
		s->stopping = true;
		pthread_cond_signal(&s->timer_cond);
		pthread_mutex_unlock(&s->timer_lock);
		pthread_join(s->thread, NULL);
		pthread_cond_destroy(&s->timer_cond);
		pthread_mutex_destroy(&s->timer_lock);
	}
	while (s->mem_len > 0) {
		mem_remove(s, s->mem_len - 1);
	}
	mdb_env_close(s->env);
	OPENSSL_cleanse(s->key, sizeof(s->key));
	pthread_mutex_destroy(&s->mem_lock);
	free(s->mem);
	free(s);
}

/* ---- writing, with room made on a full map --------------------------------------------- */

typedef int (*write_fn)(struct store *s, MDB_txn *txn, void *ctx);

static int del_key(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t len)
{
	MDB_val k = {len, (void *)key};
	int r = store_mdb_err(mdb_del(txn, dbi, &k, NULL));
	return r == -ENOENT ? 0 : r;
}

/* Deletes every trace of read @seq: row, read, crop, hit, queue entry and expiry keys.
 * Sets *had_crop. */
static int delete_read(struct store *s, MDB_txn *txn, uint64_t seq, const struct row *row,
		       bool *had_crop)
{
	uint8_t kb[8], ek[EXPIRY_KEY_LEN];
	MDB_val k = {8, kb}, v;
	int r;

	be64_put(kb, seq);
	*had_crop = mdb_get(txn, s->crops, &k, &v) == 0;
	if ((r = del_key(txn, s->reads, kb, 8)) < 0 || (r = del_key(txn, s->crops, kb, 8)) < 0 ||
	    (r = del_key(txn, s->hits, kb, 8)) < 0 || (r = del_key(txn, s->rows, kb, 8)) < 0 ||
	    (r = del_key(txn, s->unsynced, kb, 8)) < 0) {
		return r;
	}
	expiry_key(ek, row->cls, row->captured_at, seq);
	if ((r = del_key(txn, s->expiry, ek, sizeof(ek))) < 0) {
		return r;
	}
	expiry_key(ek, CLASS_CROP, row->captured_at, seq);
	return del_key(txn, s->expiry, ek, sizeof(ek));
}

/* The first expiry key of class @cls, if any: 0, -ENOENT, or an error. */
static int first_of_class(struct store *s, MDB_cursor *cur, uint8_t cls, uint8_t *key_out)
{
	uint8_t lo[1] = {cls};
	MDB_val k = {1, lo}, v;
	int r = store_mdb_err(mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE));

	if (r < 0) {
		return r;
	}
	if (k.mv_size != EXPIRY_KEY_LEN) {
		return -ALPR_E_CORRUPT;
	}
	if (((const uint8_t *)k.mv_data)[0] != cls) {
		return -ENOENT;
	}
	memcpy(key_out, k.mv_data, EXPIRY_KEY_LEN);
	return 0;
}

static int row_get(struct store *s, MDB_txn *txn, uint64_t seq, struct row *row)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	int r;

	be64_put(kb, seq);
	r = store_mdb_err(mdb_get(txn, s->rows, &k, &v));
	return r < 0 ? r : row_decode(&v, row);
}

static int row_put(struct store *s, MDB_txn *txn, uint64_t seq, const struct row *row)
{
	uint8_t kb[8], rb[ROW_LEN];
	MDB_val k = {8, kb}, v = {ROW_LEN, rb};

	be64_put(kb, seq);
	row_encode(row, rb);
	return store_mdb_err(mdb_put(txn, s->rows, &k, &v, 0));
}

/* Deletes up to @max of the oldest non-hit reads in one transaction; *n gets how many. */
static int evict_oldest(struct store *s, unsigned max, unsigned *n)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	uint8_t ek[EXPIRY_KEY_LEN];
	int r;

	*n = 0;
	r = store_mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn));
	if (r < 0) {
		return r;
	}
	r = store_mdb_err(mdb_cursor_open(txn, s->expiry, &cur));
	while (r == 0 && *n < max) {
		struct row row;
		bool had_crop;
		uint64_t seq;

		r = first_of_class(s, cur, CLASS_READ, ek);
		if (r < 0) {
			break;
		}
		seq = be64_get(ek + 9);
		row = (struct row){CLASS_READ, 0, expiry_key_time(ek), 0};
		r = delete_read(s, txn, seq, &row, &had_crop);
		if (r == 0) {
			(*n)++;
		}
	}
	if (r == -ENOENT) {
		r = 0; /* no non-hit read left */
	}
	if (r == 0 && *n > 0) {
		r = store_mdb_err(mdb_txn_commit(txn));
	} else {
		mdb_txn_abort(txn);
	}
	if (r < 0) {
		*n = 0;
	}
	return r;
}

/*
 * Pages a new write may still take: the never-used tail of the map, plus the free list when
 * the tail is short (a scan of LMDB's free-page database, only near full).
 */
static int room_pages(struct store *s, uint64_t *out)
{
	MDB_envinfo info;
	MDB_stat st;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t map_pages, tail, nfree = 0;
	int rc;

	mdb_env_info(s->env, &info);
	mdb_env_stat(s->env, &st);
	map_pages = info.me_mapsize / st.ms_psize;
	tail = map_pages > info.me_last_pgno + 1 ? map_pages - info.me_last_pgno - 1 : 0;
	if (tail >= s->headroom) {
		*out = tail;
		return 0;
	}
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
	if (rc) {
		return store_mdb_err(rc);
	}
	/* Database 0 is LMDB's free list: txnid -> page list, whose first word is its length. */
	rc = mdb_cursor_open(txn, 0, &cur);
	if (rc == 0) {
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			size_t n;
			if (v.mv_size >= sizeof(n)) {
				memcpy(&n, v.mv_data, sizeof(n));
				nfree += n;
			}
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	*out = tail + nfree;
	return 0;
}

/* Makes sure a growing write leaves the headroom free, deleting the oldest non-hit reads if
 * it must (bounded: EVICT_ROUNDS rounds of EVICT_FIRST, doubling). -ENOSPC when only hits
 * are left: the headroom stays for purges and dispositions. */
static int make_room(struct store *s, uint32_t *evicted)
{
	unsigned batch = EVICT_FIRST, total = 0;
	int r = 0;

	for (int round = 0; round < EVICT_ROUNDS; round++) {
		uint64_t room = 0;
		unsigned n;

		if ((r = room_pages(s, &room)) < 0 || room >= s->headroom) {
			break;
		}
		if ((r = evict_oldest(s, batch, &n)) < 0) {
			break;
		}
		if (n == 0) {
			alpr_error(SUBSYS, "store full of hits: no room for new reads");
			r = -ENOSPC;
			break;
		}
		total += n;
		batch *= 2;
	}
	if (total) {
		alpr_warn(SUBSYS, "store full: dropped the %u oldest non-hit reads", total);
		if (evicted) {
			*evicted += total;
		}
	}
	return r;
}

/*
 * Runs @fn in a write transaction and commits. A write that @grows the store (a new read or
 * hit) first makes room (make_room); if it still meets a full map (a large crop), it deletes
 * more of the oldest non-hit reads and tries again, a bounded number of times: a unit on
 * patrol keeps recording the newest reads and every hit. Other writes (purge, dispositions,
 * sync marks) use the headroom kept for them. *evicted counts the reads deleted (may be
 * NULL). -ENOSPC when only hits are left.
 */
static int write_txn(struct store *s, write_fn fn, void *ctx, uint32_t *evicted, bool grows)
{
	unsigned batch = EVICT_FIRST;
	int r;

	if (grows && (r = make_room(s, evicted)) < 0) {
		return r;
	}
	for (int round = 0;; round++) {
		MDB_txn *txn;
		unsigned n = 0;

		r = store_mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn));
		if (r < 0) {
			return r;
		}
		r = fn(s, txn, ctx);
		if (r == 0) {
			r = store_mdb_err(mdb_txn_commit(txn));
		} else {
			mdb_txn_abort(txn);
		}
		if (r != -ENOSPC || !grows || round == EVICT_ROUNDS) {
			return r;
		}
		if ((r = evict_oldest(s, batch, &n)) < 0) {
			return r;
		}
		if (n == 0) {
			alpr_error(SUBSYS, "store full of hits: no room for new reads");
			return -ENOSPC;
		}
		alpr_warn(SUBSYS, "store full: dropped the %u oldest non-hit reads", n);
		if (evicted) {
			*evicted += n;
		}
		batch *= 2;
	}
}

/* ---- reads ----------------------------------------------------------------------------- */

struct put_ctx {
	const struct store_read *read;
	const struct store_hit *hit; /* NULL: a non-hit read */
	bool have_seq;               /* a memory-only read keeps the sequence it has */
	uint64_t seq;
	int64_t now;
};

static int mark_unsynced(struct store *s, MDB_txn *txn, uint64_t seq)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v = {1, "u"};

	be64_put(kb, seq);
	return store_mdb_err(mdb_put(txn, s->unsynced, &k, &v, 0));
}

static int expiry_put(struct store *s, MDB_txn *txn, uint8_t cls, int64_t t, uint64_t seq)
{
	uint8_t ek[EXPIRY_KEY_LEN];
	MDB_val k = {sizeof(ek), ek}, v = {1, "e"};

	expiry_key(ek, cls, t, seq);
	return store_mdb_err(mdb_put(txn, s->expiry, &k, &v, 0));
}

/* Seals and stores @hit (dispositions included) as the hit of @seq. */
static int hit_put(struct store *s, MDB_txn *txn, uint64_t seq, const struct store_hit *hit)
{
	uint8_t packed[PACKED_MAX];
	size_t n = pack_hit(hit, packed, sizeof(packed));
	int r;

	if (n == 0) {
		return -EINVAL;
	}
	r = put_sealed(s, txn, s->hits, 'h', seq, packed, n, NULL, 0);
	OPENSSL_cleanse(packed, n);
	return r;
}

/* A new hit as stored: the entry and match from the caller, unverified, no dispositions. */
static void hit_init(struct store_hit *dst, const struct store_hit *src, int64_t now)
{
	*dst = *src;
	memset(dst->read_id, 0, sizeof(dst->read_id));
	if (dst->hit_at == 0) {
		dst->hit_at = now;
	}
	dst->status = STORE_HIT_UNVERIFIED;
	dst->ndispositions = 0;
	memset(dst->dispositions, 0, sizeof(dst->dispositions));
}

static int put_fn(struct store *s, MDB_txn *txn, void *arg)
{
	struct put_ctx *c = arg;
	const struct store_read *rd = c->read;
	uint8_t packed[PACKED_MAX], fmt = (uint8_t)rd->crop_format, kb[8];
	struct row row = {c->hit ? CLASS_HIT : CLASS_READ, rd->crop_len ? ROW_CROP : 0,
			  rd->captured_at, 0};
	MDB_val k = {8, kb}, v;
	size_t n;
	int r;

	if (!c->have_seq && (r = seq_alloc(s, txn, 1, &c->seq)) < 0) {
		return r;
	}
	/* An id is never reused: a sequence already in the file is a bug, not an overwrite. */
	be64_put(kb, c->seq);
	if (mdb_get(txn, s->rows, &k, &v) == 0) {
		alpr_error(SUBSYS, "read sequence %" PRIu64 " already stored", c->seq);
		return -ALPR_E_CORRUPT;
	}
	n = pack_read(rd, packed, sizeof(packed));
	if (n == 0) {
		return -EINVAL;
	}
	r = put_sealed(s, txn, s->reads, 'r', c->seq, packed, n, NULL, 0);
	OPENSSL_cleanse(packed, n);
	if (r == 0 && rd->crop_len) {
		r = put_sealed(s, txn, s->crops, 'c', c->seq, &fmt, 1, rd->crop, rd->crop_len);
	}
	if (r == 0 && c->hit) {
		struct store_hit h;
		hit_init(&h, c->hit, c->now);
		r = hit_put(s, txn, c->seq, &h);
	}
	if (r == 0) {
		r = row_put(s, txn, c->seq, &row);
	}
	if (r == 0) {
		r = expiry_put(s, txn, row.cls, rd->captured_at, c->seq);
	}
	if (r == 0 && rd->crop_len && !c->hit) {
		r = expiry_put(s, txn, CLASS_CROP, rd->captured_at, c->seq);
	}
	if (r == 0) {
		r = mark_unsynced(s, txn, c->seq);
	}
	return r;
}

static int seq_block_fn(struct store *s, MDB_txn *txn, void *arg)
{
	return seq_alloc(s, txn, SEQ_BLOCK, arg);
}

/* Memory-only mode: keeps a non-hit read in the ring. */
static int put_memory(struct store *s, const struct store_read *r, struct store_put_result *res)
{
	struct mem_read *m;
	uint8_t *crop = NULL;
	int rc = 0;

	if (r->crop_len) {
		crop = malloc(r->crop_len);
		if (!crop) {
			return -ENOMEM;
		}
		memcpy(crop, r->crop, r->crop_len);
	}
	pthread_mutex_lock(&s->mem_lock);
	if (s->seq_next == s->seq_end) {
		uint64_t first = 0;
		rc = write_txn(s, seq_block_fn, &first, &res->evicted, false);
		if (rc == 0) {
			s->seq_next = first;
			s->seq_end = first + SEQ_BLOCK;
		}
	}
	if (rc == 0) {
		if (s->mem_len == s->mem_cap) {
			mem_remove(s, 0);
			res->memory_dropped++;
		}
		m = &s->mem[s->mem_len++];
		m->seq = s->seq_next++;
		m->r = *r;
		m->r.crop = steal_ptr(&crop);
		format_id(s, m->seq, m->r.id);
		alpr_strlcpy(res->id, m->r.id, sizeof(res->id));
		res->in_memory = true;
	}
	pthread_mutex_unlock(&s->mem_lock);
	free(crop);
	return rc;
}

int store_put_read(struct store *s, const struct store_read *r, const struct store_hit *hit,
		   struct store_put_result *res)
{
	struct store_put_result dummy;
	struct put_ctx c = {r, hit, false, 0, 0};
	int rc;

	if (!res) {
		res = &dummy;
	}
	memset(res, 0, sizeof(*res));
	if (!s || !r || !read_ok(r) || (hit && !hit_ok(hit))) {
		return -EINVAL;
	}
	if (s->memory_only && !hit) {
		return put_memory(s, r, res);
	}
	c.now = alpr_clock_now(s->clock);
	rc = write_txn(s, put_fn, &c, &res->evicted, true);
	if (rc == 0) {
		format_id(s, c.seq, res->id);
	}
	return rc;
}

void store_read_finish(struct store_read *r)
{
	if (r && r->crop) {
		free(r->crop);
		r->crop = NULL;
		r->crop_len = 0;
	}
}

/* A copy of memory-only read @seq, crop included, when held and not expired. */
static int get_memory(struct store *s, uint64_t seq, struct store_read *out)
{
	int64_t now = alpr_clock_now(s->clock);
	int r = -ENOENT;

	pthread_mutex_lock(&s->mem_lock);
	for (size_t i = 0; i < s->mem_len; i++) {
		const struct store_read *m = &s->mem[i].r;
		if (s->mem[i].seq != seq) {
			continue;
		}
		if (past_deadline(s, CLASS_READ, m->captured_at, now)) {
			break;
		}
		*out = *m;
		out->crop = NULL;
		out->crop_len = 0;
		out->crop_format = STORE_CROP_NONE;
		if (m->crop && !crop_gone(s, m->captured_at, now)) {
			out->crop = malloc(m->crop_len);
			if (!out->crop) {
				r = -ENOMEM;
				break;
			}
			memcpy(out->crop, m->crop, m->crop_len);
			out->crop_len = m->crop_len;
			out->crop_format = m->crop_format;
		}
		r = 0;
		break;
	}
	pthread_mutex_unlock(&s->mem_lock);
	return r;
}

/*
 * Loads read @seq (and its hit into @hit, when it has one and @hit is not NULL; *has_hit
 * says) in one read transaction. -ENOENT when absent or past its deadline.
 */
static int load(struct store *s, uint64_t seq, struct store_read *out, struct store_hit *hit,
		bool *has_hit)
{
	uint8_t kb[8], plain[PACKED_MAX];
	MDB_val k = {8, kb}, v;
	int64_t now = alpr_clock_now(s->clock);
	struct row row;
	MDB_txn *txn;
	int r;

	memset(out, 0, sizeof(*out));
	if (has_hit) {
		*has_hit = false;
	}
	be64_put(kb, seq);
	r = store_mdb_err(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn));
	if (r < 0) {
		return r;
	}
	r = row_get(s, txn, seq, &row);
	if (r < 0) {
		goto out;
	}
	if (past_deadline(s, row.cls, row.captured_at, now)) {
		r = -ENOENT;
		goto out;
	}
	if ((r = store_mdb_err(mdb_get(txn, s->reads, &k, &v))) < 0) {
		r = r == -ENOENT ? -ALPR_E_CORRUPT : r;
		goto out;
	}
	if (v.mv_size > sizeof(plain) + SEAL_OVERHEAD) {
		r = -ALPR_E_CORRUPT;
		goto out;
	}
	if ((r = unseal(s, 'r', seq, v.mv_data, v.mv_size, plain)) < 0 ||
	    (r = unpack_read(plain, v.mv_size - SEAL_OVERHEAD, out)) < 0) {
		goto out;
	}
	format_id(s, seq, out->id);
	out->revision = row.revision;
	if ((row.cls != CLASS_READ || !crop_gone(s, row.captured_at, now)) &&
	    mdb_get(txn, s->crops, &k, &v) == 0) {
		uint8_t *crop;
		if (v.mv_size < SEAL_OVERHEAD + 1 ||
		    v.mv_size > STORE_CROP_MAX + 1 + SEAL_OVERHEAD) {
			r = -ALPR_E_CORRUPT;
			goto out;
		}
		crop = malloc(v.mv_size - SEAL_OVERHEAD);
		if (!crop) {
			r = -ENOMEM;
			goto out;
		}
		r = unseal(s, 'c', seq, v.mv_data, v.mv_size, crop);
		if (r == 0) {
			out->crop_format = (enum store_crop_format)crop[0];
			out->crop_len = v.mv_size - SEAL_OVERHEAD - 1;
			memmove(crop, crop + 1, out->crop_len);
			out->crop = crop;
			if (!crop_ok(out->crop, out->crop_len, (int)out->crop_format)) {
				r = -ALPR_E_CORRUPT;
			}
		} else {
			free(crop);
		}
		if (r < 0) {
			goto out;
		}
	}
	if (row.cls != CLASS_READ && hit) {
		if ((r = store_mdb_err(mdb_get(txn, s->hits, &k, &v))) < 0) {
			r = r == -ENOENT ? -ALPR_E_CORRUPT : r;
			goto out;
		}
		if (v.mv_size > sizeof(plain) + SEAL_OVERHEAD) {
			r = -ALPR_E_CORRUPT;
			goto out;
		}
		if ((r = unseal(s, 'h', seq, v.mv_data, v.mv_size, plain)) < 0 ||
		    (r = unpack_hit(plain, v.mv_size - SEAL_OVERHEAD, hit)) < 0) {
			goto out;
		}
		format_id(s, seq, hit->read_id);
		if (has_hit) {
			*has_hit = true;
		}
	}
out:
	mdb_txn_abort(txn);
	OPENSSL_cleanse(plain, sizeof(plain));
	if (r < 0) {
		store_read_finish(out);
		if (r == -ALPR_E_CORRUPT) {
			alpr_error(SUBSYS, "read %s-%012" PRIu64 " fails its integrity check",
				   s->unit_id, seq);
		}
	}
	return r;
}

int store_get_read(struct store *s, const char *id, struct store_read *out)
{
	uint64_t seq;
	int r;

	if (!s || !out) {
		return -EINVAL;
	}
	r = parse_id(s, id, &seq);
	if (r < 0) {
		return r;
	}
	if (s->memory_only) {
		r = get_memory(s, seq, out);
		if (r != -ENOENT) {
			return r;
		}
	}
	return load(s, seq, out, NULL, NULL);
}

/* ---- hits ------------------------------------------------------------------------------ */

struct hit_ctx {
	uint64_t seq;
	const struct store_hit *hit;
	int64_t now;
	enum store_hit_status status; /* disposition */
	const char *officer;
	int (*before_commit)(void *arg); /* disposition: may be NULL */
	void *before_commit_arg;
};

static int add_hit_fn(struct store *s, MDB_txn *txn, void *arg)
{
	struct hit_ctx *c = arg;
	uint8_t ek[EXPIRY_KEY_LEN];
	struct store_hit h;
	struct row row;
	int r = row_get(s, txn, c->seq, &row);

	if (r < 0) {
		return r;
	}
	if (row.cls != CLASS_READ) {
		return -EEXIST;
	}
	if (past_deadline(s, CLASS_READ, row.captured_at, c->now)) {
		return -ENOENT;
	}
	hit_init(&h, c->hit, c->now);
	if ((r = hit_put(s, txn, c->seq, &h)) < 0) {
		return r;
	}
	/* From now on read and crop live as long as the hit. */
	expiry_key(ek, CLASS_READ, row.captured_at, c->seq);
	if ((r = del_key(txn, s->expiry, ek, sizeof(ek))) < 0) {
		return r;
	}
	expiry_key(ek, CLASS_CROP, row.captured_at, c->seq);
	if ((r = del_key(txn, s->expiry, ek, sizeof(ek))) < 0) {
		return r;
	}
	if (crop_gone(s, row.captured_at, c->now)) {
		/* Expired but not purged yet: it must not come back to life as a hit's image. */
		uint8_t kb[8];
		be64_put(kb, c->seq);
		if ((r = del_key(txn, s->crops, kb, 8)) < 0) {
			return r;
		}
		row.flags &= (uint8_t)~ROW_CROP;
	}
	row.cls = CLASS_HIT;
	row.flags &= (uint8_t)~ROW_SYNCED;
	if ((r = row_put(s, txn, c->seq, &row)) < 0 ||
	    (r = expiry_put(s, txn, CLASS_HIT, row.captured_at, c->seq)) < 0) {
		return r;
	}
	return mark_unsynced(s, txn, c->seq);
}

int store_add_hit(struct store *s, const char *read_id, const struct store_hit *hit,
		  struct store_put_result *res)
{
	struct store_put_result dummy;
	struct hit_ctx c = {0};
	int r;

	if (!res) {
		res = &dummy;
	}
	memset(res, 0, sizeof(*res));
	if (!s || !hit || !hit_ok(hit)) {
		return -EINVAL;
	}
	r = parse_id(s, read_id, &c.seq);
	if (r < 0) {
		return r;
	}
	c.hit = hit;
	c.now = alpr_clock_now(s->clock);
	if (s->memory_only) {
		/* A memory-only read that became a hit is written now, under the id it has. */
		pthread_mutex_lock(&s->mem_lock);
		for (size_t i = 0; i < s->mem_len; i++) {
			struct mem_read *m = &s->mem[i];
			struct put_ctx pc = {&m->r, hit, true, m->seq, c.now};
			struct store_read copy;

			if (m->seq != c.seq) {
				continue;
			}
			if (past_deadline(s, CLASS_READ, m->r.captured_at, c.now)) {
				break; /* the purge will take it */
			}
			copy = m->r;
			if (crop_gone(s, m->r.captured_at, c.now)) {
				copy.crop = NULL;
				copy.crop_len = 0;
				copy.crop_format = STORE_CROP_NONE;
			}
			pc.read = &copy;
			r = write_txn(s, put_fn, &pc, &res->evicted, true);
			if (r == 0) {
				mem_remove(s, i);
				format_id(s, c.seq, res->id);
			}
			pthread_mutex_unlock(&s->mem_lock);
			return r;
		}
		pthread_mutex_unlock(&s->mem_lock);
	}
	r = write_txn(s, add_hit_fn, &c, &res->evicted, true);
	if (r == 0) {
		format_id(s, c.seq, res->id);
	}
	return r;
}

int store_get_hit(struct store *s, const char *read_id, struct store_hit *out)
{
	struct store_read rd;
	bool has_hit;
	uint64_t seq;
	int r;

	if (!s || !out) {
		return -EINVAL;
	}
	r = parse_id(s, read_id, &seq);
	if (r < 0) {
		return r;
	}
	r = load(s, seq, &rd, out, &has_hit);
	store_read_finish(&rd);
	if (r == 0 && !has_hit) {
		r = -ENOENT;
	}
	return r;
}

const char *store_hit_status_name(enum store_hit_status st)
{
	static const char *const names[] = {"unverified", "confirmed", "misread", "wrong_state",
					    "not_actioned"};
	return (unsigned)st < ALPR_ARRAY_SIZE(names) ? names[st] : "?";
}

const char *store_match_kind_name(enum store_match_kind k)
{
	static const char *const names[] = {"exact", "equivalent", "edit"};
	return (unsigned)k < ALPR_ARRAY_SIZE(names) ? names[k] : "?";
}

/* The disposition state machine (store.h). */
/* ---- updating a hit's read ------------------------------------------------------------ */

struct update_ctx {
	uint64_t seq;
	const struct store_read *read;
	int64_t now;
};

static int update_fn(struct store *s, MDB_txn *txn, void *arg)
{
	struct update_ctx *c = arg;
	struct store_read rd = *c->read;
	uint8_t packed[PACKED_MAX], fmt = (uint8_t)rd.crop_format;
	struct row row;
	size_t n;
	int r = row_get(s, txn, c->seq, &row);

	if (r < 0) {
		return r;
	}
	if (past_deadline(s, row.cls, row.captured_at, c->now)) {
		return -ENOENT;
	}
	if (row.cls == CLASS_READ) {
		return -EPERM;
	}
	/* The deadline was counted from the stored capture time; it stays. */
	rd.captured_at = row.captured_at;
	n = pack_read(&rd, packed, sizeof(packed));
	if (n == 0) {
		return -EINVAL;
	}
	r = put_sealed(s, txn, s->reads, 'r', c->seq, packed, n, NULL, 0);
	OPENSSL_cleanse(packed, n);
	if (r == 0 && rd.crop_len) {
		r = put_sealed(s, txn, s->crops, 'c', c->seq, &fmt, 1, rd.crop, rd.crop_len);
		row.flags |= ROW_CROP;
	}
	if (r < 0) {
		return r;
	}
	row.flags &= (uint8_t)~ROW_SYNCED;
	if (row.revision < UINT8_MAX) {
		row.revision++;
	}
	if ((r = row_put(s, txn, c->seq, &row)) < 0) {
		return r;
	}
	return mark_unsynced(s, txn, c->seq);
}

int store_update_hit_read(struct store *s, const char *read_id, const struct store_read *r)
{
	struct update_ctx c = {0};
	int e;

	if (!s || !r || !read_ok(r)) {
		return -EINVAL;
	}
	if ((e = parse_id(s, read_id, &c.seq)) < 0) {
		return e;
	}
	c.read = r;
	c.now = alpr_clock_now(s->clock);
	return write_txn(s, update_fn, &c, NULL, true);
}

static bool transition_ok(enum store_hit_status from, enum store_hit_status to)
{
	switch (from) {
	case STORE_HIT_UNVERIFIED:
		return to == STORE_HIT_CONFIRMED || to == STORE_HIT_MISREAD ||
		       to == STORE_HIT_WRONG_STATE || to == STORE_HIT_NOT_ACTIONED;
	case STORE_HIT_CONFIRMED:
		return to == STORE_HIT_NOT_ACTIONED;
	default:
		return false;
	}
}

static int disposition_fn(struct store *s, MDB_txn *txn, void *arg)
{
	struct hit_ctx *c = arg;
	uint8_t kb[8], plain[PACKED_MAX], ek[EXPIRY_KEY_LEN];
	MDB_val k = {8, kb}, v;
	struct store_hit h;
	struct row row;
	int r = row_get(s, txn, c->seq, &row);

	if (r < 0) {
		return r;
	}
	if (row.cls == CLASS_READ || past_deadline(s, row.cls, row.captured_at, c->now)) {
		return -ENOENT;
	}
	be64_put(kb, c->seq);
	if ((r = store_mdb_err(mdb_get(txn, s->hits, &k, &v))) < 0) {
		return r == -ENOENT ? -ALPR_E_CORRUPT : r;
	}
	if (v.mv_size > sizeof(plain) + SEAL_OVERHEAD) {
		return -ALPR_E_CORRUPT;
	}
	r = unseal(s, 'h', c->seq, v.mv_data, v.mv_size, plain);
	if (r == 0) {
		r = unpack_hit(plain, v.mv_size - SEAL_OVERHEAD, &h);
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	if (r < 0) {
		return r;
	}
	if (h.status == c->status) {
		return -EALREADY;
	}
	if (!transition_ok(h.status, c->status) || h.ndispositions >= STORE_DISPOSITIONS_MAX) {
		return -EPERM;
	}
	h.status = c->status;
	h.dispositions[h.ndispositions].status = c->status;
	alpr_strlcpy(h.dispositions[h.ndispositions].officer, c->officer,
		     sizeof(h.dispositions[0].officer));
	h.dispositions[h.ndispositions].at = c->now;
	h.ndispositions++;
	if ((r = hit_put(s, txn, c->seq, &h)) < 0) {
		return r;
	}
	if ((c->status == STORE_HIT_MISREAD || c->status == STORE_HIT_WRONG_STATE) &&
	    row.cls == CLASS_HIT) {
		/* A misread is someone else's plate: it gets the shorter misread_hit life. */
		expiry_key(ek, CLASS_HIT, row.captured_at, c->seq);
		if ((r = del_key(txn, s->expiry, ek, sizeof(ek))) < 0 ||
		    (r = expiry_put(s, txn, CLASS_MISREAD, row.captured_at, c->seq)) < 0) {
			return r;
		}
		row.cls = CLASS_MISREAD;
	}
	row.flags &= (uint8_t)~ROW_SYNCED;
	if ((r = row_put(s, txn, c->seq, &row)) < 0 || (r = mark_unsynced(s, txn, c->seq)) < 0) {
		return r;
	}
	/* Last, once nothing here can refuse: write_txn commits right after. */
	return c->before_commit ? c->before_commit(c->before_commit_arg) : 0;
}

int store_set_disposition(struct store *s, const char *read_id, enum store_hit_status status,
			  const char *officer)
{
	return store_set_disposition_hooked(s, read_id, status, officer, NULL, NULL);
}

int store_set_disposition_hooked(struct store *s, const char *read_id, enum store_hit_status status,
				 const char *officer, int (*before_commit)(void *arg), void *arg)
{
	struct hit_ctx c = {0};
	int r;

	if (!s || (unsigned)status >= STORE_HIT_STATUS_COUNT || !officer ||
	    !text_ok(officer, STORE_SHORT_MAX + 1, 1, ALPHA_SHORT)) {
		return -EINVAL;
	}
	r = parse_id(s, read_id, &c.seq);
	if (r < 0) {
		return r;
	}
	c.status = status;
	c.officer = officer;
	c.before_commit = before_commit;
	c.before_commit_arg = arg;
	c.now = alpr_clock_now(s->clock);
	return write_txn(s, disposition_fn, &c, NULL, false);
}

/* ---- retention ------------------------------------------------------------------------- */

struct purge_ctx {
	int64_t now;
	struct store_purge_counts counts;
};

static int purge_class(struct store *s, MDB_txn *txn, MDB_cursor *cur, uint8_t cls,
		       struct purge_ctx *c)
{
	uint8_t ek[EXPIRY_KEY_LEN];
	int r;

	for (;;) {
		int64_t t;
		uint64_t seq;
		struct row row;
		bool had_crop;

		r = first_of_class(s, cur, cls, ek);
		if (r == -ENOENT) {
			return 0;
		}
		if (r < 0) {
			return r;
		}
		t = expiry_key_time(ek);
		if (!past_deadline(s, cls, t, c->now)) {
			return 0; /* the index is in time order: the rest is younger */
		}
		seq = be64_get(ek + 9);
		if (cls == CLASS_CROP) {
			uint8_t kb[8];
			be64_put(kb, seq);
			if ((r = del_key(txn, s->crops, kb, 8)) < 0 ||
			    (r = del_key(txn, s->expiry, ek, sizeof(ek))) < 0) {
				return r;
			}
			if (row_get(s, txn, seq, &row) == 0) {
				row.flags &= (uint8_t)~ROW_CROP;
				if ((r = row_put(s, txn, seq, &row)) < 0) {
					return r;
				}
			}
			c->counts.crops++;
			continue;
		}
		row = (struct row){cls, 0, t, 0};
		if ((r = delete_read(s, txn, seq, &row, &had_crop)) < 0) {
			return r;
		}
		switch (cls) {
		case CLASS_READ:
			c->counts.reads++;
			c->counts.crops += had_crop;
			break;
		case CLASS_HIT:
			c->counts.hits++;
			break;
		default:
			c->counts.misread_hits++;
			break;
		}
	}
}

static int purge_fn(struct store *s, MDB_txn *txn, void *arg)
{
	static const uint8_t classes[] = {CLASS_CROP, CLASS_READ, CLASS_HIT, CLASS_MISREAD};
	struct purge_ctx *c = arg;
	MDB_cursor *cur;
	int r;

	memset(&c->counts, 0, sizeof(c->counts));
	r = store_mdb_err(mdb_cursor_open(txn, s->expiry, &cur));
	for (size_t i = 0; r == 0 && i < ALPR_ARRAY_SIZE(classes); i++) {
		r = purge_class(s, txn, cur, classes[i], c);
	}
	return r;
}

/* Memory-only reads past their deadline go; crops past theirs are dropped. */
static void purge_memory(struct store *s, int64_t now, struct store_purge_counts *counts)
{
	pthread_mutex_lock(&s->mem_lock);
	for (size_t i = 0; i < s->mem_len;) {
		struct store_read *m = &s->mem[i].r;
		if (past_deadline(s, CLASS_READ, m->captured_at, now)) {
			counts->reads++;
			counts->crops += m->crop != NULL;
			mem_remove(s, i);
			continue;
		}
		if (m->crop && crop_gone(s, m->captured_at, now)) {
			OPENSSL_cleanse(m->crop, m->crop_len);
			free(m->crop);
			m->crop = NULL;
			m->crop_len = 0;
			m->crop_format = STORE_CROP_NONE;
			counts->crops++;
		}
		i++;
	}
	pthread_mutex_unlock(&s->mem_lock);
}

int store_purge(struct store *s, struct store_purge_counts *counts)
{
	struct purge_ctx c = {0};
	int r;

	if (!s) {
		return -EINVAL;
	}
	c.now = alpr_clock_now(s->clock);
	r = write_txn(s, purge_fn, &c, NULL, false);
	if (r < 0) {
		alpr_error(SUBSYS, "purge: %s", alpr_strerror(r));
		memset(&c.counts, 0, sizeof(c.counts));
	}
	if (s->memory_only) {
		purge_memory(s, c.now, &c.counts);
	}
	if (counts) {
		*counts = c.counts;
	}
	if (s->on_purge &&
	    (c.counts.reads || c.counts.crops || c.counts.hits || c.counts.misread_hits)) {
		s->on_purge(&c.counts, s->userdata);
	}
	return r;
}

static void *purge_thread(void *arg)
{
	struct store *s = arg;
	struct timespec ts;

	pthread_mutex_lock(&s->timer_lock);
	while (!s->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t ns = ts.tv_nsec + (s->interval_us % ALPR_USEC_PER_SEC) * 1000;
		ts.tv_sec += (time_t)(s->interval_us / ALPR_USEC_PER_SEC + ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		while (!s->stopping &&
		       pthread_cond_timedwait(&s->timer_cond, &s->timer_lock, &ts) == 0) {
			/* woken early: only store_close() signals */
		}
		if (s->stopping) {
			break;
		}
		pthread_mutex_unlock(&s->timer_lock);
		store_purge(s, NULL);
		pthread_mutex_lock(&s->timer_lock);
	}
	pthread_mutex_unlock(&s->timer_lock);
	return NULL;
}

/* ---- sync ------------------------------------------------------------------------------ */

int store_foreach_unsynced(struct store *s,
			   int (*fn)(const struct store_read *r, const struct store_hit *hit,
				     void *userdata),
			   void *userdata)
{
	uint64_t after = 0;

	if (!s || !fn) {
		return -EINVAL;
	}
	for (;;) {
		uint64_t seqs[SYNC_BATCH];
		size_t n = 0;
		uint8_t kb[8];
		MDB_val k = {8, kb}, v;
		MDB_cursor *cur;
		MDB_txn *txn;
		int r, rc;

		/* Collect a batch in a short read transaction; call back outside it. */
		r = store_mdb_err(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn));
		if (r < 0) {
			return r;
		}
		be64_put(kb, after + 1);
		mdb_cursor_open(txn, s->unsynced, &cur);
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && n < SYNC_BATCH;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (k.mv_size == 8) {
				seqs[n++] = be64_get(k.mv_data);
			}
		}
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
		if (n == 0) {
			return 0;
		}
		for (size_t i = 0; i < n; i++) {
			struct store_read rd;
			struct store_hit hit;
			bool has_hit;

			after = seqs[i];
			r = load(s, seqs[i], &rd, &hit, &has_hit);
			if (r == -ENOENT) {
				continue; /* expired, or purged since: never handed over */
			}
			if (r < 0) {
				return r;
			}
			r = fn(&rd, has_hit ? &hit : NULL, userdata);
			store_read_finish(&rd);
			if (r != 0) {
				return r;
			}
		}
	}
}

struct synced_ctx {
	const uint64_t *seqs;
	size_t n;
};

static int synced_fn(struct store *s, MDB_txn *txn, void *arg)
{
	struct synced_ctx *c = arg;

	for (size_t i = 0; i < c->n; i++) {
		uint8_t kb[8];
		struct row row;
		int r;

		be64_put(kb, c->seqs[i]);
		if ((r = del_key(txn, s->unsynced, kb, 8)) < 0) {
			return r;
		}
		r = row_get(s, txn, c->seqs[i], &row);
		if (r == -ENOENT) {
			continue; /* purged since: fine */
		}
		if (r < 0) {
			return r;
		}
		if (!(row.flags & ROW_SYNCED)) {
			row.flags |= ROW_SYNCED;
			if ((r = row_put(s, txn, c->seqs[i], &row)) < 0) {
				return r;
			}
		}
	}
	return 0;
}

int store_mark_synced(struct store *s, const char *const *ids, size_t n)
{
	struct synced_ctx c;
	uint64_t *seqs;
	int r = 0;

	if (!s || (n && !ids)) {
		return -EINVAL;
	}
	if (n == 0) {
		return 0;
	}
	if (n > SIZE_MAX / sizeof(*seqs)) {
		return -EINVAL;
	}
	seqs = malloc(n * sizeof(*seqs));
	if (!seqs) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		if (parse_id(s, ids[i], &seqs[i]) < 0) {
			r = -EINVAL;
		}
	}
	if (r == 0) {
		c = (struct synced_ctx){seqs, n};
		r = write_txn(s, synced_fn, &c, NULL, false);
	}
	free(seqs);
	return r;
}

/* ---- search ---------------------------------------------------------------------------- */

int store_foreach_in_window(struct store *s, int64_t from_us, int64_t to_us,
			    int (*fn)(const struct store_read *r, const struct store_hit *hit,
				      void *userdata),
			    void *userdata)
{
	uint64_t after = 0;
	int r;

	if (!s || !fn || from_us > to_us) {
		return -EINVAL;
	}
	/* The file: batches of sequences picked from the plaintext rows (time and class, no
	 * plate) in a short read transaction; decrypt and call back outside it, as sync does. */
	for (;;) {
		uint64_t seqs[SYNC_BATCH];
		size_t n = 0;
		uint8_t kb[8];
		MDB_val k = {8, kb}, v;
		MDB_cursor *cur;
		MDB_txn *txn;
		int64_t now = alpr_clock_now(s->clock);
		int rc;
		bool more = false;

		r = store_mdb_err(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn));
		if (r < 0) {
			return r;
		}
		be64_put(kb, after + 1);
		mdb_cursor_open(txn, s->rows, &cur);
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			struct row row;
			if (k.mv_size != 8) {
				continue;
			}
			after = be64_get(k.mv_data);
			if (row_decode(&v, &row) < 0 || row.captured_at < from_us ||
			    row.captured_at >= to_us ||
			    past_deadline(s, row.cls, row.captured_at, now)) {
				continue;
			}
			seqs[n++] = after;
			if (n == SYNC_BATCH) {
				more = true;
				break;
			}
		}
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
		for (size_t i = 0; i < n; i++) {
			struct store_read rd;
			struct store_hit hit;
			bool has_hit;

			r = load(s, seqs[i], &rd, &hit, &has_hit);
			if (r == -ENOENT) {
				continue;
			}
			if (r < 0) {
				return r;
			}
			r = fn(&rd, has_hit ? &hit : NULL, userdata);
			store_read_finish(&rd);
			if (r != 0) {
				return r;
			}
		}
		if (!more) {
			break;
		}
	}
	/* The memory-only ring: copy the matching sequences under the lock, then fetch each
	 * (get_memory copies it) and call back without the lock held. */
	if (s->memory_only) {
		uint64_t *seqs = NULL;
		size_t n = 0;

		pthread_mutex_lock(&s->mem_lock);
		if (s->mem_len) {
			seqs = malloc(s->mem_len * sizeof(*seqs));
			if (!seqs) {
				pthread_mutex_unlock(&s->mem_lock);
				return -ENOMEM;
			}
		}
		for (size_t i = 0; i < s->mem_len; i++) {
			int64_t t = s->mem[i].r.captured_at;
			if (t >= from_us && t < to_us) {
				seqs[n++] = s->mem[i].seq;
			}
		}
		pthread_mutex_unlock(&s->mem_lock);
		for (size_t i = 0; i < n; i++) {
			struct store_read rd;
			r = get_memory(s, seqs[i], &rd);
			if (r == -ENOENT) {
				continue;
			}
			if (r < 0) {
				free(seqs);
				return r;
			}
			format_id(s, seqs[i], rd.id);
			r = fn(&rd, NULL, userdata);
			store_read_finish(&rd);
			if (r != 0) {
				free(seqs);
				return r;
			}
		}
		free(seqs);
	}
	return 0;
}

/* ---- status ---------------------------------------------------------------------------- */

int store_stats(struct store *s, struct store_stats *out)
{
	MDB_envinfo info;
	MDB_stat st;
	MDB_txn *txn;
	int r;

	if (!s || !out) {
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	r = store_mdb_err(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn));
	if (r < 0) {
		return r;
	}
	mdb_stat(txn, s->reads, &st);
	out->reads = st.ms_entries;
	mdb_stat(txn, s->crops, &st);
	out->crops = st.ms_entries;
	mdb_stat(txn, s->hits, &st);
	out->hits = st.ms_entries;
	mdb_stat(txn, s->unsynced, &st);
	out->unsynced = st.ms_entries;
	out->next_seq = 1;
	r = meta_get_u64(s, txn, "next_seq", &out->next_seq);
	if (r == -ENOENT) {
		r = 0;
	}
	mdb_txn_abort(txn);
	mdb_env_info(s->env, &info);
	mdb_env_stat(s->env, &st);
	out->used_bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	out->map_bytes = info.me_mapsize;
	pthread_mutex_lock(&s->mem_lock);
	out->memory_reads = s->mem_len;
	pthread_mutex_unlock(&s->mem_lock);
	return r;
}
