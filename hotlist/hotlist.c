/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The hotlist database: opening, lists, and the batch applier through which every change
 * (import, add, remove, signed delta) goes, so that entries, indexes, history and the
 * list's digest can never disagree.
 *
 * Named databases (docs/hotlist-format.md):
 *   meta     "format" -> "1"
 *   lists    name -> struct hotlist_list_rec
 *   entries  plate\0state\0list\0record_id -> packed entry
 *   equiv    look-alike canonical plate -> plate (dupsort): one lookup finds every plate
 *            that differs from a read only by look-alike characters
 *   del1     plate with one character deleted -> (position, character) (dupsort, dupfixed):
 *            one lookup finds every plate one character longer than a read
 *   del1r    the same for plates added since the last index rebuild (small, so a delta's
 *            additions touch few pages; matching probes both)
 *   history  list\0 version(8, big-endian) seq(4, big-endian) -> undo record
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "hotlist-private.h"

#define HOTLIST_DEFAULT_MAP_SIZE (UINT64_C(64) << 30) /* sparse: costs nothing until used */
#define HOTLIST_FORMAT           "1"

int hotlist_mdb_err(int rc)
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
		return rc > 0 ? -rc : -EIO;
	}
}

/*
 * Asks the kernel to map the database file with 2 MB pages where it can (MADV_HUGEPAGE on
 * LMDB's map). A lookup descends a 1.5 GB tree whose lower levels miss the cache; with 4 kB
 * pages each of those misses is also a TLB miss and, in a virtual machine, a nested page
 * walk. With the advice, the page cache reads the file in 2 MB folios (where the filesystem
 * supports them: ext4 and XFS on Linux 6.x) and maps them whole: the lookup's p99 fell by
 * about 0.5 us on a 5M-entry list (docs/benchmarks.md). The map's address is not part of
 * LMDB's API (mdb_env_info() gives it only with MDB_FIXEDMAP), so it is found in
 * /proc/self/maps by the data file's device and inode. Advice only: any failure (no procfs,
 * THP disabled, an old kernel) leaves the map as it was, which is still correct.
 * Returns the number of bytes advised, or a negative errno.
 */
static int64_t map_hugepages(MDB_env *env)
{
	char line[512];
	struct stat st;
	int64_t advised = 0;
	mdb_filehandle_t fd;
	FILE *f;

	if (mdb_env_get_fd(env, &fd) || fstat(fd, &st) < 0) {
		return -EBADF;
	}
	f = fopen("/proc/self/maps", "re");
	if (!f) {
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi;
		unsigned maj, mnr;
		uint64_t ino;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %*s %*s %x:%x %" SCNu64, &lo, &hi, &maj,
			   &mnr, &ino) != 5 ||
		    ino != (uint64_t)st.st_ino || makedev(maj, mnr) != st.st_dev || hi <= lo) {
			continue;
		}
		if (madvise((void *)lo, hi - lo, MADV_HUGEPAGE) == 0) {
			advised += (int64_t)(hi - lo);
		}
	}
	fclose(f);
	return advised;
}

int hotlist_open(const char *dir, const struct hotlist_options *opts, struct hotlist **out)
{
	struct hotlist *h;
	MDB_txn *txn = NULL;
	int rc, dead;
	unsigned flags = MDB_NOTLS;

	if (!opts || !opts->policy) {
		return -EINVAL;
	}
	if (!opts->read_only) {
		rc = alpr_mkdir_p(dir);
		if (rc < 0) {
			return rc;
		}
	}
	h = alpr_xcalloc(1, sizeof(*h));
	pthread_mutex_init(&h->pool_lock, NULL);
	h->policy = opts->policy;
	h->rebuild_min_stale = 100000;
	h->rebuild_stale_share = 0.2;
	h->rebuild_max_recent = 4000000;
	h->clock = opts->clock;
	h->read_only = opts->read_only;
	if ((rc = mdb_env_create(&h->env)) || (rc = mdb_env_set_maxdbs(h->env, 8)) ||
	    (rc = mdb_env_set_mapsize(h->env, opts->map_size ? opts->map_size
							     : HOTLIST_DEFAULT_MAP_SIZE))) {
		goto fail;
	}
	/* Readers run from the match workers while an import writes: NOTLS lets a read
	 * transaction belong to the call, not the thread. */
	if (opts->read_only) {
		flags |= MDB_RDONLY;
	}
	rc = mdb_env_open(h->env, dir, flags, 0600);
	if (rc) {
		goto fail;
	}
	int64_t advised = map_hugepages(h->env);
	if (advised <= 0) {
		alpr_debug("hotlist", "%s: no huge-page advice for the map (%s)", dir,
			   advised < 0 ? alpr_strerror((int)advised) : "no mapping found");
	}
	mdb_reader_check(h->env, &dead);
	if (dead) {
		alpr_warn("hotlist", "%s: cleared %d stale readers left by a crash", dir, dead);
	}
	rc = mdb_txn_begin(h->env, NULL, opts->read_only ? MDB_RDONLY : 0, &txn);
	if (rc) {
		goto fail;
	}
	unsigned create = opts->read_only ? 0 : MDB_CREATE;
	if ((rc = mdb_dbi_open(txn, "meta", create, &h->meta)) ||
	    (rc = mdb_dbi_open(txn, "lists", create, &h->lists)) ||
	    (rc = mdb_dbi_open(txn, "entries", create, &h->entries)) ||
	    (rc = mdb_dbi_open(txn, "entries_o", create, &h->entries_o)) ||
	    (rc = mdb_dbi_open(txn, "equiv", create | MDB_DUPSORT, &h->equiv)) ||
	    (rc = mdb_dbi_open(txn, "del1", create | MDB_DUPSORT | MDB_DUPFIXED, &h->del1)) ||
	    (rc = mdb_dbi_open(txn, "del1r", create | MDB_DUPSORT | MDB_DUPFIXED, &h->del1r)) ||
	    (rc = mdb_dbi_open(txn, "history", create, &h->history))) {
		goto fail;
	}
	MDB_val k = {6, "format"}, v;
	rc = mdb_get(txn, h->meta, &k, &v);
	if (rc == MDB_NOTFOUND && !opts->read_only) {
		v.mv_data = HOTLIST_FORMAT;
		v.mv_size = 1;
		rc = mdb_put(txn, h->meta, &k, &v, 0);
	} else if (rc == 0 && (v.mv_size != 1 || memcmp(v.mv_data, HOTLIST_FORMAT, 1) != 0)) {
		alpr_error("hotlist", "%s: unknown database format", dir);
		rc = MDB_INVALID;
	}
	if (rc) {
		goto fail;
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc) {
		goto fail;
	}
	*out = h;
	return 0;
fail:
	if (txn) {
		mdb_txn_abort(txn);
	}
	alpr_debug("hotlist", "open %s: %s", dir, mdb_strerror(rc));
	if (rc == ENOENT) {
		rc = MDB_NOTFOUND;
	}
	mdb_env_close(h->env);
	pthread_mutex_destroy(&h->pool_lock);
	free(h);
	return rc == EACCES ? -EACCES : hotlist_mdb_err(rc);
}

void hotlist_close(struct hotlist *h)
{
	if (!h) {
		return;
	}
	for (int i = 0; i < h->npool; i++) {
		mdb_cursor_close(h->pool[i].eb);
		mdb_cursor_close(h->pool[i].eo_cursor);
		mdb_txn_abort(h->pool[i].txn);
	}
	mdb_env_close(h->env);
	pthread_mutex_destroy(&h->pool_lock);
	free(h);
}

/* The overlay cursor is renewed only when the overlay holds records; an empty overlay (the
 * usual state) costs no cursor refresh and no seek. rt->eo_cursor keeps the cursor itself. */
static int renew_overlay(struct hotlist *h, struct hotlist_rtxn *rt)
{
	MDB_stat st;
	int rc = mdb_stat(rt->txn, h->entries_o, &st);

	if (rc) {
		return rc;
	}
	if (st.ms_entries == 0) {
		rt->eo = NULL;
		return 0;
	}
	rt->eo = rt->eo_cursor;
	return mdb_cursor_renew(rt->txn, rt->eo);
}

int hotlist_rtxn_get(struct hotlist *h, struct hotlist_rtxn *rt)
{
	bool have = false;
	int rc;

	pthread_mutex_lock(&h->pool_lock);
	if (h->npool > 0) {
		*rt = h->pool[--h->npool];
		have = true;
	}
	pthread_mutex_unlock(&h->pool_lock);
	if (have && rt->live) {
		MDB_envinfo ei;
		if (mdb_env_info(h->env, &ei) == 0 && ei.me_last_txnid == mdb_txn_id(rt->txn)) {
			return 0; /* still the newest snapshot: use it as it is */
		}
		mdb_txn_reset(rt->txn);
		rt->live = false;
	}
	if (have) {
		if ((rc = mdb_txn_renew(rt->txn)) == 0 &&
		    (rc = mdb_cursor_renew(rt->txn, rt->eb)) == 0 &&
		    (rc = renew_overlay(h, rt)) == 0) {
			return 0;
		}
		mdb_cursor_close(rt->eb);
		mdb_cursor_close(rt->eo_cursor);
		mdb_txn_abort(rt->txn);
	}
	memset(rt, 0, sizeof(*rt));
	if ((rc = mdb_txn_begin(h->env, NULL, MDB_RDONLY, &rt->txn))) {
		return hotlist_mdb_err(rc);
	}
	if ((rc = mdb_cursor_open(rt->txn, h->entries, &rt->eb)) ||
	    (rc = mdb_cursor_open(rt->txn, h->entries_o, &rt->eo_cursor))) {
		if (rt->eb) {
			mdb_cursor_close(rt->eb);
		}
		mdb_txn_abort(rt->txn);
		return hotlist_mdb_err(rc);
	}
	rt->eo = rt->eo_cursor;
	return 0;
}

void hotlist_rtxn_put(struct hotlist *h, struct hotlist_rtxn *rt)
{
	bool kept = false;

	/* Kept live on its snapshot (reset by the next get if a write has committed since, or
	 * by hotlist_wtxn_begin). Read-only cursors outlive a reset and are renewed with the
	 * transaction. */
	rt->live = true;
	pthread_mutex_lock(&h->pool_lock);
	if (h->npool < HOTLIST_TXN_POOL) {
		h->pool[h->npool++] = *rt;
		kept = true;
	}
	pthread_mutex_unlock(&h->pool_lock);
	if (!kept) {
		mdb_cursor_close(rt->eb);
		mdb_cursor_close(rt->eo_cursor);
		mdb_txn_abort(rt->txn);
	}
}

int hotlist_wtxn_begin(struct hotlist *h, MDB_txn **txn)
{
	pthread_mutex_lock(&h->pool_lock);
	for (int i = 0; i < h->npool; i++) {
		if (h->pool[i].live) {
			mdb_txn_reset(h->pool[i].txn);
			h->pool[i].live = false;
		}
	}
	pthread_mutex_unlock(&h->pool_lock);
	return hotlist_mdb_err(mdb_txn_begin(h->env, NULL, 0, txn));
}

/* ---- list records ---- */

int hotlist_list_rec_get(struct hotlist *h, MDB_txn *txn, const char *name,
			 struct hotlist_list_rec *rec)
{
	MDB_val k = {strlen(name), (void *)name}, v;
	int rc = mdb_get(txn, h->lists, &k, &v);

	if (rc) {
		return hotlist_mdb_err(rc);
	}
	if (v.mv_size != sizeof(*rec)) {
		return -ALPR_E_CORRUPT;
	}
	memcpy(rec, v.mv_data, sizeof(*rec));
	return 0;
}

int hotlist_list_rec_put(struct hotlist *h, MDB_txn *txn, const char *name,
			 const struct hotlist_list_rec *rec)
{
	MDB_val k = {strlen(name), (void *)name}, v = {sizeof(*rec), (void *)rec};
	return hotlist_mdb_err(mdb_put(txn, h->lists, &k, &v, 0));
}

void hotlist_list_info_fill(const char *name, const struct hotlist_list_rec *rec,
			    struct hotlist_list_info *out)
{
	memset(out, 0, sizeof(*out));
	alpr_strlcpy(out->name, name, sizeof(out->name));
	out->priority = rec->priority;
	out->alert_level = rec->alert_level;
	out->version = rec->version;
	out->generated_at = rec->generated_at;
	out->entry_count = rec->entry_count;
	hotlist_sum_digest(&rec->sum, name, rec->entry_count, out->digest);
}

static void list_rec_init(struct hotlist_list_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->format = 1;
	rec->alert_level = 2;
}

int hotlist_list_set(struct hotlist *h, const char *name, int priority, int alert_level)
{
	struct hotlist_batch_result res;
	struct hotlist_batch *b;
	MDB_txn *txn;
	int r;

	if (!hotlist_list_name_valid(name) || alert_level < 0 || alert_level > 2 ||
	    priority < -1000 || priority > 1000) {
		return -EINVAL;
	}
	r = hotlist_wtxn_begin(h, &txn);
	if (r < 0) {
		return r;
	}
	/* The settings are part of the version: an empty batch makes the new version. */
	b = hotlist_batch_new();
	r = hotlist_batch_apply(h, txn, name, b, false, 0, &res);
	if (r == 0) {
		res.rec.priority = priority;
		res.rec.alert_level = alert_level;
		r = hotlist_list_rec_put(h, txn, name, &res.rec);
	}
	hotlist_batch_free(b);
	if (r < 0) {
		mdb_txn_abort(txn);
		return r;
	}
	return hotlist_mdb_err(mdb_txn_commit(txn));
}

int hotlist_list_get(struct hotlist *h, const char *name, struct hotlist_list_info *out)
{
	struct hotlist_list_rec rec;
	MDB_txn *txn;
	int r;

	r = hotlist_mdb_err(mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn));
	if (r < 0) {
		return r;
	}
	r = hotlist_list_rec_get(h, txn, name, &rec);
	mdb_txn_abort(txn);
	if (r == 0) {
		hotlist_list_info_fill(name, &rec, out);
	}
	return r;
}

int hotlist_lists(struct hotlist *h, struct hotlist_list_info *out, size_t cap)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int r, n = 0, rc;

	r = hotlist_mdb_err(mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn));
	if (r < 0) {
		return r;
	}
	mdb_cursor_open(txn, h->lists, &cur);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((size_t)n < cap && v.mv_size == sizeof(struct hotlist_list_rec) &&
		    k.mv_size <= HOTLIST_LIST_NAME_MAX) {
			char name[HOTLIST_LIST_NAME_MAX + 1];
			struct hotlist_list_rec rec;
			memcpy(name, k.mv_data, k.mv_size);
			name[k.mv_size] = '\0';
			memcpy(&rec, v.mv_data, sizeof(rec));
			hotlist_list_info_fill(name, &rec, &out[n]);
		}
		n++;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return n;
}

/* ---- batches ---- */

struct batch_op {
	uint64_t prefix; /* the key's first 8 bytes, big-endian: most comparisons end here */
	uint64_t off;    /* key then packed entry, in the arena */
	uint32_t seq;    /* insertion order: the last put of a key wins */
	uint16_t keylen;
	uint16_t packlen; /* 0 for a removal */
};

struct hotlist_batch {
	uint8_t *arena;
	size_t arena_len, arena_cap;
	struct batch_op *ops;
	size_t nops, cap;
};

struct hotlist_batch *hotlist_batch_new(void)
{
	return alpr_xcalloc(1, sizeof(struct hotlist_batch));
}

void hotlist_batch_free(struct hotlist_batch *b)
{
	if (!b) {
		return;
	}
	free(b->arena);
	free(b->ops);
	free(b);
}

size_t hotlist_batch_size(const struct hotlist_batch *b)
{
	return b->nops;
}

static void batch_push(struct hotlist_batch *b, const void *key, size_t keylen, const void *packed,
		       size_t packlen)
{
	if (b->nops == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->ops = alpr_xrealloc(b->ops, b->cap * sizeof(*b->ops));
	}
	if (b->arena_len + keylen + packlen > b->arena_cap) {
		b->arena_cap = ALPR_MAX(b->arena_cap * 2, (size_t)65536);
		b->arena = alpr_xrealloc(b->arena, b->arena_cap);
	}
	struct batch_op *op = &b->ops[b->nops];
	const uint8_t *kb = key;
	op->prefix = 0;
	for (size_t i = 0; i < 8; i++) {
		op->prefix = op->prefix << 8 | (i < keylen ? kb[i] : 0);
	}
	op->off = b->arena_len;
	op->seq = (uint32_t)b->nops;
	op->keylen = (uint16_t)keylen;
	op->packlen = (uint16_t)packlen;
	memcpy(b->arena + b->arena_len, key, keylen);
	if (packlen) {
		memcpy(b->arena + b->arena_len + keylen, packed, packlen);
	}
	b->arena_len += keylen + packlen;
	b->nops++;
}

void hotlist_batch_put(struct hotlist_batch *b, const struct hotlist_entry *e)
{
	char key[HOTLIST_KEY_MAX + 1];
	uint8_t packed[HOTLIST_PACKED_MAX];
	size_t kl = hotlist_entry_key(e, key);
	size_t pl = hotlist_entry_pack(e, packed);

	batch_push(b, key, kl, packed, pl);
}

void hotlist_batch_del(struct hotlist_batch *b, const char *key, size_t keylen)
{
	batch_push(b, key, keylen, NULL, 0);
}

static int cmp_keys(const void *a, size_t al, const void *b, size_t bl)
{
	int c = memcmp(a, b, ALPR_MIN(al, bl));
	return c ? c : (al > bl) - (al < bl);
}

static int cmp_ops(const void *pa, const void *pb, void *arena)
{
	const struct batch_op *a = pa, *b = pb;
	const uint8_t *base = arena;
	if (a->prefix != b->prefix) {
		return a->prefix < b->prefix ? -1 : 1;
	}
	int c = cmp_keys(base + a->off, a->keylen, base + b->off, b->keylen);
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/* Sorts by key and keeps the last op of each key. */
static void sort_ops(struct hotlist_batch *b)
{
	size_t w = 0;

	if (b->nops == 0) {
		return;
	}
	qsort_r(b->ops, b->nops, sizeof(*b->ops), cmp_ops, b->arena);
	for (size_t i = 0; i < b->nops; i++) {
		if (i + 1 < b->nops &&
		    cmp_keys(b->arena + b->ops[i].off, b->ops[i].keylen,
			     b->arena + b->ops[i + 1].off, b->ops[i + 1].keylen) == 0) {
			continue;
		}
		b->ops[w++] = b->ops[i];
	}
	b->nops = w;
}

/*
 * Index changes are collected for the whole batch, sorted, and written in key order (with
 * MDB_APPENDDUP into an empty index). A first import of millions of plates makes about seven
 * deletion-index records per plate, so the records are packed into integers that sort in
 * LMDB's byte order: a plate of at most 8 characters from 0-9 A-Z is 8 six-bit codes, with
 * 0 for "no character", which sorts a shorter plate before a longer one it prefixes.
 */
static unsigned char_code(char c)
{
	return c >= '0' && c <= '9' ? (unsigned)(c - '0' + 1) : (unsigned)(c - 'A' + 11);
}

static char code_char(unsigned v)
{
	return v <= 10 ? (char)('0' + v - 1) : (char)('A' + v - 11);
}

static uint64_t enc48(const char *s, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < HOTLIST_PLATE_MAX; i++) {
		v = v << 6 | (i < n ? char_code(s[i]) : 0);
	}
	return v;
}

static size_t dec48(uint64_t v, char *out)
{
	size_t n = 0;
	for (int i = HOTLIST_PLATE_MAX - 1; i >= 0; i--) {
		unsigned c = (unsigned)(v >> (6 * i)) & 63;
		if (c == 0) {
			break;
		}
		out[n++] = code_char(c);
	}
	return n;
}

struct eq_rec {
	uint64_t key; /* the folded plate */
	uint64_t val; /* the plate */
};

struct idx_vec {
	struct eq_rec *eq; /* look-alike: folded plate -> plate */
	size_t neq, capeq;
	uint64_t *d1; /* deletion: variant << 16 | position << 8 | character code */
	size_t nd1, capd1;
};

struct idx_changes {
	struct idx_vec add; /* only additions: removals wait for a rebuild */
};

static void index_plate(struct idx_changes *ch, const char *plate)
{
	struct idx_vec *iv = &ch->add;
	char canon[HOTLIST_PLATE_MAX + 1], var[HOTLIST_PLATE_MAX];
	size_t n = strlen(plate);

	hotlist_canon(plate, canon);
	if (iv->neq == iv->capeq) {
		iv->capeq = iv->capeq ? iv->capeq * 2 : 256;
		iv->eq = alpr_xrealloc(iv->eq, iv->capeq * sizeof(*iv->eq));
	}
	iv->eq[iv->neq].key = enc48(canon, n);
	iv->eq[iv->neq].val = enc48(plate, n);
	iv->neq++;
	if (n < HOTLIST_EDIT_MIN_LEN) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && plate[i] == plate[i - 1]) {
			continue; /* same variant as deleting i-1 */
		}
		memcpy(var, plate, i);
		memcpy(var + i, plate + i + 1, n - i - 1);
		if (iv->nd1 == iv->capd1) {
			iv->capd1 = iv->capd1 ? iv->capd1 * 2 : 1024;
			iv->d1 = alpr_xrealloc(iv->d1, iv->capd1 * sizeof(*iv->d1));
		}
		iv->d1[iv->nd1++] =
			enc48(var, n - 1) << 16 | (uint64_t)i << 8 | char_code(plate[i]);
	}
}

static void idx_changes_free(struct idx_changes *ch)
{
	free(ch->add.eq);
	free(ch->add.d1);
}

static int cmp_eq(const void *pa, const void *pb)
{
	const struct eq_rec *a = pa, *b = pb;
	if (a->key != b->key) {
		return a->key < b->key ? -1 : 1;
	}
	return (a->val > b->val) - (a->val < b->val);
}

static int cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
	return (a > b) - (a < b);
}

/* LSD radix sort, 16 bits a pass: millions of deletion records sort in a fraction of the
 * time qsort takes. */
static void radix_sort_u64(uint64_t *v, size_t n)
{
	uint64_t *tmp, *src = v;
	size_t *count;

	if (n < 2) {
		return;
	}
	tmp = malloc(n * sizeof(*tmp));
	count = malloc(65536 * sizeof(*count));
	if (!tmp || !count) {
		/* No memory for the fast path: fall back to an in-place sort. */
		free(tmp);
		free(count);
		qsort(v, n, sizeof(*v), cmp_u64);
		return;
	}
	uint64_t *dst = tmp;
	for (int pass = 0; pass < 4; pass++) {
		int shift = 16 * pass;
		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++) {
			count[(src[i] >> shift) & 0xffff]++;
		}
		size_t sum = 0;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++) {
			dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
		}
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	/* After an even number of passes the sorted data is back in @v. */
	free(tmp);
	free(count);
}

static int meta_u64(MDB_txn *txn, MDB_dbi meta, const char *name, uint64_t *out)
{
	MDB_val k = {strlen(name), (void *)name}, v;
	int rc = mdb_get(txn, meta, &k, &v);

	*out = 0;
	if (rc == MDB_NOTFOUND) {
		return 0;
	}
	if (rc) {
		return hotlist_mdb_err(rc);
	}
	if (v.mv_size != sizeof(*out)) {
		return -ALPR_E_CORRUPT;
	}
	memcpy(out, v.mv_data, sizeof(*out));
	return 0;
}

static int meta_put_u64(MDB_txn *txn, MDB_dbi meta, const char *name, uint64_t val)
{
	MDB_val k = {strlen(name), (void *)name}, v = {sizeof(val), &val};
	return hotlist_mdb_err(mdb_put(txn, meta, &k, &v, 0));
}

/* Writes the additions in @iv: look-alike records to equiv, deletion records to @d1 (del1
 * for a first import or a rebuild, del1r otherwise). Sorted, and appended when the target
 * is empty. */
/* Adds the look-alike records to the plate filter, creating it (from the whole look-alike
 * index, sized for it with room to grow) when there is none. */
static int bloom_update(struct hotlist *h, MDB_txn *txn, const struct eq_rec *recs, size_t n)
{
	MDB_val k = {5, "bloom"}, v, nv;
	uint64_t members, capacity;
	char kb[HOTLIST_PLATE_MAX], vb[HOTLIST_PLATE_MAX];
	int rc = mdb_get(txn, h->meta, &k, &v);

	if (rc == 0 && hotlist_bloom_valid(v.mv_data, v.mv_size, &members, &capacity)) {
		if (n == 0) {
			return 0;
		}
		/* The new value may reuse the old one's pages: copy it out first. */
		uint8_t *copy = malloc(v.mv_size);
		if (!copy) {
			return -ENOMEM;
		}
		memcpy(copy, v.mv_data, v.mv_size);
		nv.mv_size = v.mv_size;
		rc = mdb_put(txn, h->meta, &k, &nv, MDB_RESERVE);
		if (rc == 0) {
			memcpy(nv.mv_data, copy, nv.mv_size);
			for (size_t i = 0; i < n; i++) {
				size_t kl = dec48(recs[i].key, kb), vl = dec48(recs[i].val, vb);
				hotlist_bloom_add(nv.mv_data, nv.mv_size, 'C', kb, kl);
				hotlist_bloom_add(nv.mv_data, nv.mv_size, 'P', vb, vl);
			}
		}
		free(copy);
		return hotlist_mdb_err(rc);
	}
	if (rc && rc != MDB_NOTFOUND) {
		return hotlist_mdb_err(rc);
	}
	MDB_stat st;
	MDB_cursor *cur;
	mdb_stat(txn, h->equiv, &st);
	/* Two members per plate (folded form and plate), a quarter more for growth. */
	capacity = ALPR_MAX(st.ms_entries * 2 + st.ms_entries / 2, (uint64_t)10000);
	nv.mv_size = hotlist_bloom_size(capacity);
	if ((rc = mdb_put(txn, h->meta, &k, &nv, MDB_RESERVE)) ||
	    (rc = mdb_cursor_open(txn, h->equiv, &cur))) {
		return hotlist_mdb_err(rc);
	}
	hotlist_bloom_init(nv.mv_data, nv.mv_size, capacity);
	MDB_val ck, cv;
	for (rc = mdb_cursor_get(cur, &ck, &cv, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &ck, &cv, MDB_NEXT)) {
		hotlist_bloom_add(nv.mv_data, nv.mv_size, 'C', ck.mv_data, ck.mv_size);
		hotlist_bloom_add(nv.mv_data, nv.mv_size, 'P', cv.mv_data, cv.mv_size);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : hotlist_mdb_err(rc);
}

/* True when the plate filter has passed its design capacity (time to rebuild). */
static bool bloom_full(struct hotlist *h, MDB_txn *txn)
{
	MDB_val k = {5, "bloom"}, v;
	uint64_t members, capacity;
	return mdb_get(txn, h->meta, &k, &v) == 0 &&
	       hotlist_bloom_valid(v.mv_data, v.mv_size, &members, &capacity) &&
	       members > capacity + capacity / 2;
}

static int apply_vec(struct hotlist *h, MDB_txn *txn, MDB_dbi d1, struct idx_vec *iv)
{
	MDB_dbi equiv = h->equiv;
	MDB_cursor *ce = NULL, *cd = NULL;
	MDB_stat st;
	int rc;
	char kb[HOTLIST_PLATE_MAX], vb[HOTLIST_PLATE_MAX];

	if ((rc = mdb_cursor_open(txn, equiv, &ce)) || (rc = mdb_cursor_open(txn, d1, &cd))) {
		goto out;
	}
	if (iv->neq) {
		qsort(iv->eq, iv->neq, sizeof(*iv->eq), cmp_eq);
	}
	mdb_stat(txn, equiv, &st);
	unsigned flags = MDB_NODUPDATA | (st.ms_entries == 0 ? MDB_APPENDDUP : 0);
	for (size_t i = 0; i < iv->neq; i++) {
		if (i > 0 && iv->eq[i].key == iv->eq[i - 1].key &&
		    iv->eq[i].val == iv->eq[i - 1].val) {
			continue;
		}
		MDB_val k = {dec48(iv->eq[i].key, kb), kb}, v = {dec48(iv->eq[i].val, vb), vb};
		rc = mdb_cursor_put(ce, &k, &v, flags);
		if (rc && rc != MDB_KEYEXIST) {
			goto out;
		}
	}
	radix_sort_u64(iv->d1, iv->nd1);
	mdb_stat(txn, d1, &st);
	flags = MDB_NODUPDATA | (st.ms_entries == 0 ? MDB_APPENDDUP : 0);
	for (size_t i = 0; i < iv->nd1; i++) {
		uint64_t r = iv->d1[i];
		if (i > 0 && r == iv->d1[i - 1]) {
			continue;
		}
		vb[0] = (char)((r >> 8) & 0xff);
		vb[1] = code_char((unsigned)(r & 63));
		MDB_val k = {dec48(r >> 16, kb), kb}, v = {2, vb};
		rc = mdb_cursor_put(cd, &k, &v, flags);
		if (rc && rc != MDB_KEYEXIST) {
			goto out;
		}
	}
	mdb_cursor_close(ce);
	mdb_cursor_close(cd);
	ce = cd = NULL;
	if (d1 == h->del1 && iv->nd1) {
		/* del1 is only ever written whole (a first import or a rebuild: additions to a
		 * non-empty list go to del1r), so its filter is written once here and costs a
		 * delta nothing. */
		MDB_val bk = {6, "bloomd"}, bv;
		uint64_t cap = iv->nd1 + iv->nd1 / 8;
		bv.mv_size = hotlist_bloom_size(cap);
		rc = mdb_put(txn, h->meta, &bk, &bv, MDB_RESERVE);
		if (rc) {
			goto out;
		}
		hotlist_bloom_init(bv.mv_data, bv.mv_size, cap);
		for (size_t i = 0; i < iv->nd1; i++) {
			if (i > 0 && (iv->d1[i] >> 16) == (iv->d1[i - 1] >> 16)) {
				continue;
			}
			size_t kl = dec48(iv->d1[i] >> 16, kb);
			hotlist_bloom_add(bv.mv_data, bv.mv_size, 'D', kb, kl);
		}
	}
	return bloom_update(h, txn, iv->eq, iv->neq);
out:
	if (ce) {
		mdb_cursor_close(ce);
	}
	if (cd) {
		mdb_cursor_close(cd);
	}
	return hotlist_mdb_err(rc);
}

int hotlist_index_rebuild(struct hotlist *h, MDB_txn *txn)
{
	struct idx_changes idx = {0};
	char last[HOTLIST_PLATE_MAX + 1] = "";
	struct hotlist_ecur ec;
	int rc, r;

	MDB_val bk = {5, "bloom"}, bdk = {6, "bloomd"};
	rc = mdb_del(txn, h->meta, &bk, NULL);
	if (rc == 0 || rc == MDB_NOTFOUND) {
		rc = mdb_del(txn, h->meta, &bdk, NULL);
	}
	if (rc && rc != MDB_NOTFOUND) {
		return hotlist_mdb_err(rc);
	}
	if ((rc = mdb_drop(txn, h->equiv, 0)) || (rc = mdb_drop(txn, h->del1, 0)) ||
	    (rc = mdb_drop(txn, h->del1r, 0))) {
		return hotlist_mdb_err(rc);
	}
	r = hotlist_ecur_open(h, txn, &ec);
	if (r < 0) {
		return r;
	}
	for (r = hotlist_ecur_first(&ec); r == 0; r = hotlist_ecur_next(&ec)) {
		size_t n = strnlen(ec.key.mv_data,
				   ALPR_MIN(ec.key.mv_size, (size_t)HOTLIST_PLATE_MAX));
		if (n == strlen(last) && memcmp(ec.key.mv_data, last, n) == 0) {
			continue; /* entries are sorted by plate: one index record per plate */
		}
		memcpy(last, ec.key.mv_data, n);
		last[n] = '\0';
		index_plate(&idx, last);
	}
	hotlist_ecur_close(&ec);
	r = r == -ENOENT ? 0 : r;
	if (r == 0) {
		r = apply_vec(h, txn, h->del1, &idx.add);
	}
	if (r == 0) {
		r = meta_put_u64(txn, h->meta, "stale_plates", 0);
	}
	if (r == 0) {
		r = meta_put_u64(txn, h->meta, "recent_records", 0);
	}
	idx_changes_free(&idx);
	if (r == 0) {
		alpr_info("hotlist", "rebuilt the look-alike and deletion indexes");
	}
	return r;
}

/* History keys: list \0 version(BE 8) seq(BE 4). */
static size_t history_key(char *out, const char *list, uint64_t version, uint32_t seq)
{
	size_t n = strlen(list);
	memcpy(out, list, n + 1);
	for (int i = 0; i < 8; i++) {
		out[n + 1 + i] = (char)(version >> (56 - 8 * i));
	}
	for (int i = 0; i < 4; i++) {
		out[n + 9 + i] = (char)(seq >> (24 - 8 * i));
	}
	return n + 13;
}

#define HIST_KEY_MAX (HOTLIST_LIST_NAME_MAX + 13)

static int history_put(MDB_txn *txn, MDB_dbi dbi, const char *list, uint64_t version, uint32_t seq,
		       char op, const void *data, size_t len)
{
	char key[HIST_KEY_MAX];
	uint8_t val[1 + HOTLIST_KEY_MAX + HOTLIST_PACKED_MAX];
	MDB_val k = {history_key(key, list, version, seq), key}, v = {1 + len, val};

	val[0] = (uint8_t)op;
	memcpy(val + 1, data, len);
	/* Keys arrive in increasing order within a version. */
	return hotlist_mdb_err(mdb_put(txn, dbi, &k, &v, 0));
}

/* Drops history that only older-than-kept versions need. */
static int history_prune(struct hotlist *h, MDB_txn *txn, const char *list, uint64_t upto)
{
	char key[HIST_KEY_MAX], first[HIST_KEY_MAX];
	size_t fl = history_key(first, list, 0, 0);
	MDB_cursor *cur;
	MDB_val k = {fl, first}, v;
	int rc;

	rc = mdb_cursor_open(txn, h->history, &cur);
	if (rc) {
		return hotlist_mdb_err(rc);
	}
	size_t ll = strlen(list) + 1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != ll + 12 || memcmp(k.mv_data, first, ll) != 0) {
			break;
		}
		memcpy(key, k.mv_data, k.mv_size);
		uint64_t ver = 0;
		for (int i = 0; i < 8; i++) {
			ver = ver << 8 | (uint8_t)key[ll + i];
		}
		if (ver > upto) {
			break;
		}
		rc = mdb_cursor_del(cur, 0);
		if (rc) {
			break;
		}
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : hotlist_mdb_err(rc);
}

/* Collects the keys of every entry of @list (a scan: only REPLACE imports and snapshots
 * need it, and they rewrite the list anyway). */
static int list_keys(struct hotlist *h, MDB_txn *txn, const char *list, struct hotlist_batch *out)
{
	struct hotlist_ecur ec;
	int r;
	size_t ll = strlen(list);

	r = hotlist_ecur_open(h, txn, &ec);
	if (r < 0) {
		return r;
	}
	for (r = hotlist_ecur_first(&ec); r == 0; r = hotlist_ecur_next(&ec)) {
		MDB_val k = ec.key;
		const char *kp = k.mv_data;
		const char *z1 = memchr(kp, 0, k.mv_size);
		const char *z2 = z1 ? memchr(z1 + 1, 0, k.mv_size - (size_t)(z1 + 1 - kp)) : NULL;
		if (!z2) {
			continue;
		}
		size_t rest = k.mv_size - (size_t)(z2 + 1 - kp);
		if (rest >= ll + 1 && memcmp(z2 + 1, list, ll) == 0 && z2[1 + ll] == '\0') {
			hotlist_batch_del(out, kp, k.mv_size);
		}
	}
	hotlist_ecur_close(&ec);
	return r == -ENOENT ? 0 : r;
}

int hotlist_batch_apply(struct hotlist *h, MDB_txn *txn, const char *list, struct hotlist_batch *b,
			bool replace, uint64_t new_version, struct hotlist_batch_result *res)
{
	struct hotlist_list_rec rec, prev;
	struct idx_changes idx = {0};
	uint64_t stale = 0;
	MDB_cursor *cur = NULL;
	MDB_stat st;
	uint32_t hseq = 1;
	int r, rc;
	char line[HOTLIST_LINE_MAX];
	char plate[HOTLIST_PLATE_MAX + 1];

	memset(res, 0, sizeof(*res));
	r = hotlist_list_rec_get(h, txn, list, &rec);
	if (r == -ENOENT) {
		list_rec_init(&rec);
	} else if (r < 0) {
		return r;
	}
	prev = rec;
	uint64_t version = new_version ? new_version : rec.version + 1;
	if (version <= rec.version) {
		return -ALPR_E_BASE;
	}
	/* A list that was empty needs no undo records for what is added: undoing this version
	 * is "empty the list". This keeps the first import of a large list cheap. */
	bool from_empty = rec.entry_count == 0;

	if (replace && rec.entry_count > 0) {
		/* Every current entry not put again is removed: queue removals first, so a put
		 * of the same key (later in insertion order) wins in sort_ops(). */
		struct hotlist_batch *old = hotlist_batch_new();
		r = list_keys(h, txn, list, old);
		if (r < 0) {
			hotlist_batch_free(old);
			return r;
		}
		for (size_t i = 0; i < b->nops; i++) {
			const struct batch_op *op = &b->ops[i];
			batch_push(old, b->arena + op->off, op->keylen,
				   b->arena + op->off + op->keylen, op->packlen);
		}
		/* Swap the merged batch in. */
		struct hotlist_batch tmp = *b;
		*b = *old;
		*old = tmp;
		hotlist_batch_free(old);
	}
	sort_ops(b);

	/* Small batches (deltas, single entries) go to the overlay; bulk ones fold the overlay
	 * in first and write the main table, appending when it is empty (entries.c). */
	MDB_stat ost;
	mdb_stat(txn, h->entries_o, &ost);
	mdb_stat(txn, h->entries, &st);
	bool overlay = st.ms_entries > 0 && b->nops < HOTLIST_OVERLAY_BATCH_MAX;
	if (!overlay && ost.ms_entries > 0) {
		if ((r = hotlist_compact_txn(h, txn, NULL)) < 0) {
			goto out;
		}
		mdb_stat(txn, h->entries, &st);
	}
	bool append = !overlay && st.ms_entries == 0;
	if ((rc = mdb_cursor_open(txn, overlay ? h->entries_o : h->entries, &cur))) {
		r = hotlist_mdb_err(rc);
		goto out;
	}
	for (size_t i = 0; i < b->nops; i++) {
		const struct batch_op *op = &b->ops[i];
		const uint8_t *key = b->arena + op->off;
		const uint8_t *packed = key + op->keylen;
		MDB_val k = {op->keylen, (void *)key}, v;
		struct hotlist_entry olde, newe;
		bool have_old = false;
		size_t pl = strnlen((const char *)key, op->keylen);

		memcpy(plate, key, ALPR_MIN(pl, (size_t)HOTLIST_PLATE_MAX));
		plate[ALPR_MIN(pl, (size_t)HOTLIST_PLATE_MAX)] = '\0';
		if (!append) {
			r = hotlist_entry_get(h, txn, key, op->keylen, &v);
			if (r == 0) {
				have_old = true;
				r = hotlist_entry_unpack(v.mv_data, v.mv_size, list, &olde);
				if (r < 0) {
					goto out;
				}
			} else if (r != -ENOENT) {
				goto out;
			}
			r = 0;
		}
		if (op->packlen == 0) {
			if (!have_old) {
				res->missing++;
				continue;
			}
			size_t ol = hotlist_entry_line(&olde, line, sizeof(line));
			hotlist_sum_add(&rec.sum, line, ol, true);
			if (overlay) {
				/* A tombstone hides the main table's record until compaction. */
				static const uint8_t tomb = 0;
				MDB_val tv = {1, (void *)&tomb};
				rc = mdb_cursor_put(cur, &k, &tv, 0);
			} else {
				rc = mdb_del(txn, h->entries, &k, NULL);
			}
			if (rc) {
				r = hotlist_mdb_err(rc);
				goto out;
			}
			uint8_t buf[HOTLIST_PACKED_MAX];
			size_t bl = hotlist_entry_pack(&olde, buf);
			r = history_put(txn, h->history, list, version, hseq++, 'R', buf, bl);
			if (r < 0) {
				goto out;
			}
			/* Left in the indexes (harmless) until the next rebuild. Counted without
			 * checking whether another entry still has the plate: a seek per removal
			 * costs more than rebuilding a little early. */
			stale++;
			rec.entry_count--;
			res->removed++;
			continue;
		}
		if (have_old && v.mv_size == op->packlen &&
		    memcmp(v.mv_data, packed, v.mv_size) == 0) {
			res->unchanged++;
			continue;
		}
		r = hotlist_entry_unpack(packed, op->packlen, list, &newe);
		if (r < 0) {
			goto out;
		}
		/* Index every added entry's plate: the index puts are idempotent, and a seek to
		 * find out whether the plate is already listed costs more than the put. */
		bool new_plate = !have_old;
		v.mv_size = op->packlen;
		v.mv_data = (void *)packed;
		k.mv_size = op->keylen;
		k.mv_data = (void *)key;
		rc = mdb_cursor_put(cur, &k, &v, append ? MDB_APPEND : 0);
		if (rc) {
			r = hotlist_mdb_err(rc);
			goto out;
		}
		size_t nl = hotlist_entry_line(&newe, line, sizeof(line));
		hotlist_sum_add(&rec.sum, line, nl, false);
		if (have_old) {
			size_t ol = hotlist_entry_line(&olde, line, sizeof(line));
			hotlist_sum_add(&rec.sum, line, ol, true);
			uint8_t buf[HOTLIST_PACKED_MAX];
			size_t bl = hotlist_entry_pack(&olde, buf);
			r = history_put(txn, h->history, list, version, hseq++, 'U', buf, bl);
			res->updated++;
		} else {
			if (!from_empty) {
				r = history_put(txn, h->history, list, version, hseq++, 'A', key,
						op->keylen);
			}
			rec.entry_count++;
			res->added++;
		}
		if (r < 0) {
			goto out;
		}
		if (new_plate) {
			index_plate(&idx, plate);
		}
	}
	if (overlay) {
		mdb_stat(txn, h->entries_o, &ost);
		if (ost.ms_entries > HOTLIST_OVERLAY_MAX) {
			mdb_cursor_close(cur);
			cur = NULL;
			r = hotlist_compact_txn(h, txn, NULL);
			if (r < 0) {
				goto out;
			}
		}
	}
	/* Index additions: straight into del1 when it is empty (a first import), else into the
	 * small del1r; a rebuild folds everything back when stale or recent records pile up. */
	{
		MDB_stat d1st, eqst;
		uint64_t old_stale, recent;
		mdb_stat(txn, h->del1, &d1st);
		bool to_main = d1st.ms_entries == 0;
		if ((r = apply_vec(h, txn, to_main ? h->del1 : h->del1r, &idx.add)) < 0 ||
		    (r = meta_u64(txn, h->meta, "stale_plates", &old_stale)) < 0 ||
		    (r = meta_u64(txn, h->meta, "recent_records", &recent)) < 0) {
			goto out;
		}
		stale += old_stale;
		if (!to_main) {
			recent += idx.add.nd1;
		}
		mdb_stat(txn, h->equiv, &eqst);
		if ((stale >= h->rebuild_min_stale &&
		     (double)stale >= h->rebuild_stale_share * (double)eqst.ms_entries) ||
		    recent > h->rebuild_max_recent || bloom_full(h, txn)) {
			r = hotlist_index_rebuild(h, txn);
		} else if ((r = meta_put_u64(txn, h->meta, "stale_plates", stale)) == 0) {
			r = meta_put_u64(txn, h->meta, "recent_records", recent);
		}
		if (r < 0) {
			goto out;
		}
	}
	/* The version's header record restores the list record when the version is undone. */
	r = history_put(txn, h->history, list, version, 0, 'H', &prev, sizeof(prev));
	if (r < 0) {
		goto out;
	}
	rec.version = version;
	rec.generated_at = alpr_clock_now(h->clock);
	if (rec.version - rec.oldest_version >= HOTLIST_VERSIONS_KEPT) {
		rec.oldest_version = rec.version - HOTLIST_VERSIONS_KEPT + 1;
		r = history_prune(h, txn, list, rec.oldest_version);
		if (r < 0) {
			goto out;
		}
	}
	r = hotlist_list_rec_put(h, txn, list, &rec);
	res->version = version;
	res->rec = rec;
out:
	if (cur) {
		mdb_cursor_close(cur);
	}
	idx_changes_free(&idx);
	return r;
}

/* ---- import, add, remove ---- */

int hotlist_import_csv(struct hotlist *h, const char *path,
		       const struct hotlist_import_options *opts,
		       struct hotlist_import_result *result)
{
	struct hotlist_batch_result br;
	struct hotlist_batch *b;
	MDB_txn *txn;
	int r;

	memset(result, 0, sizeof(*result));
	if (h->read_only || !opts || !opts->list || !hotlist_list_name_valid(opts->list)) {
		snprintf(result->error, sizeof(result->error), "%s: list: '%s' is not a list name",
			 path, opts && opts->list ? opts->list : "");
		return -EINVAL;
	}
	b = hotlist_batch_new();
	r = hotlist_csv_parse(h, path, opts, b, result);
	if (r < 0) {
		hotlist_batch_free(b);
		return r;
	}
	r = hotlist_wtxn_begin(h, &txn);
	if (r == 0) {
		r = hotlist_batch_apply(h, txn, opts->list, b, opts->mode == HOTLIST_IMPORT_REPLACE,
					0, &br);
		if (r == 0) {
			r = hotlist_mdb_err(mdb_txn_commit(txn));
		} else {
			mdb_txn_abort(txn);
		}
	}
	hotlist_batch_free(b);
	if (r < 0) {
		snprintf(result->error, sizeof(result->error), "%s: %s (nothing was imported)",
			 path, alpr_strerror(r));
		result->added = result->updated = result->unchanged = result->removed = 0;
		return r;
	}
	result->added = br.added;
	result->updated = br.updated;
	result->unchanged = br.unchanged;
	result->removed = br.removed;
	result->version = br.version;
	return 0;
}

int hotlist_add(struct hotlist *h, const struct hotlist_entry *e, uint64_t *version, char *err,
		size_t errsz)
{
	struct hotlist_batch_result br;
	struct hotlist_batch *b;
	MDB_txn *txn;
	int r;

	r = hotlist_entry_validate(e, err, errsz);
	if (r < 0) {
		return r;
	}
	if (policy_category_refused(h->policy, e->category)) {
		snprintf(err, errsz, "category: %s is refused by policy profile %s",
			 policy_category_name(e->category), policy_name(h->policy));
		return -ALPR_E_REFUSED;
	}
	r = hotlist_wtxn_begin(h, &txn);
	if (r < 0) {
		return r;
	}
	b = hotlist_batch_new();
	hotlist_batch_put(b, e);
	r = hotlist_batch_apply(h, txn, e->list, b, false, 0, &br);
	hotlist_batch_free(b);
	if (r < 0) {
		mdb_txn_abort(txn);
		snprintf(err, errsz, "%s", alpr_strerror(r));
		return r;
	}
	r = hotlist_mdb_err(mdb_txn_commit(txn));
	if (r == 0 && version) {
		*version = br.version;
	}
	return r;
}

int hotlist_remove(struct hotlist *h, const char *list, const char *plate, const char *state,
		   uint64_t *version)
{
	char norm[HOTLIST_PLATE_MAX + 1], key[HOTLIST_KEY_MAX + 1];
	struct hotlist_batch_result br;
	struct hotlist_list_rec rec;
	struct hotlist_batch *b;
	struct hotlist_ecur ec;
	MDB_txn *txn;
	MDB_val k;
	int r, rc;

	if (hotlist_normalize_plate(plate, strlen(plate), norm) < 0 ||
	    (state && !hotlist_state_valid(state))) {
		return -EINVAL;
	}
	r = hotlist_wtxn_begin(h, &txn);
	if (r < 0) {
		return r;
	}
	r = hotlist_list_rec_get(h, txn, list, &rec);
	if (r < 0) {
		mdb_txn_abort(txn);
		return r;
	}
	b = hotlist_batch_new();
	size_t n = strlen(norm) + 1;
	memcpy(key, norm, n);
	k.mv_size = n;
	k.mv_data = key;
	hotlist_ecur_open(h, txn, &ec);
	for (rc = hotlist_ecur_seek(&ec, k.mv_data, k.mv_size); rc == 0;
	     rc = hotlist_ecur_next(&ec)) {
		k = ec.key;
		char p[HOTLIST_PLATE_MAX + 1], s[3], l[HOTLIST_LIST_NAME_MAX + 1];
		if (k.mv_size < n || memcmp(k.mv_data, key, n) != 0) {
			break;
		}
		hotlist_key_parts(k.mv_data, k.mv_size, p, s, l, NULL);
		if (strcmp(l, list) == 0 && (!state || strcmp(s, state) == 0)) {
			hotlist_batch_del(b, k.mv_data, k.mv_size);
		}
	}
	hotlist_ecur_close(&ec);
	if (hotlist_batch_size(b) == 0) {
		hotlist_batch_free(b);
		mdb_txn_abort(txn);
		return -ENOENT;
	}
	r = hotlist_batch_apply(h, txn, list, b, false, 0, &br);
	hotlist_batch_free(b);
	if (r < 0) {
		mdb_txn_abort(txn);
		return r;
	}
	r = hotlist_mdb_err(mdb_txn_commit(txn));
	if (r == 0 && version) {
		*version = br.version;
	}
	return r;
}

int hotlist_lookup(struct hotlist *h, const char *plate, struct hotlist_entry *out, size_t cap)
{
	char norm[HOTLIST_PLATE_MAX + 1];
	struct hotlist_rtxn rt;
	struct hotlist_ecur ec;
	MDB_val k, v;
	int r, rc, n = 0;

	if (hotlist_normalize_plate(plate, strlen(plate), norm) < 0) {
		return -EINVAL;
	}
	r = hotlist_rtxn_get(h, &rt);
	if (r < 0) {
		return r;
	}
	size_t len = strlen(norm) + 1;
	k.mv_size = len;
	k.mv_data = norm;
	hotlist_ecur_init(&ec, &rt);
	for (rc = hotlist_ecur_seek(&ec, k.mv_data, k.mv_size); rc == 0;
	     rc = hotlist_ecur_next(&ec)) {
		k = ec.key;
		v = ec.val;
		char l[HOTLIST_LIST_NAME_MAX + 1];
		if (k.mv_size < len || memcmp(k.mv_data, norm, len) != 0) {
			break;
		}
		if ((size_t)n < cap) {
			hotlist_key_parts(k.mv_data, k.mv_size, NULL, NULL, l, NULL);
			r = hotlist_entry_unpack(v.mv_data, v.mv_size, l, &out[n]);
			if (r < 0) {
				break;
			}
		}
		n++;
	}
	hotlist_ecur_close(&ec);
	hotlist_rtxn_put(h, &rt);
	return r < 0 ? r : n;
}

int hotlist_foreach(struct hotlist *h, const char *list, const char *prefix,
		    int (*fn)(const struct hotlist_entry *e, void *userdata), void *userdata)
{
	char norm[HOTLIST_PLATE_MAX + 1] = "";
	struct hotlist_entry e;
	MDB_txn *txn;
	struct hotlist_ecur ec;
	MDB_val k, v;
	int r, rc;
	size_t pl = 0;

	if (prefix && *prefix) {
		if (hotlist_normalize_plate(prefix, strlen(prefix), norm) < 0) {
			return -EINVAL;
		}
		pl = strlen(norm);
	}
	r = hotlist_mdb_err(mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn));
	if (r < 0) {
		return r;
	}
	hotlist_ecur_open(h, txn, &ec);
	k.mv_size = pl ? pl : 1;
	k.mv_data = pl ? norm : "";
	rc = pl ? hotlist_ecur_seek(&ec, k.mv_data, k.mv_size) : hotlist_ecur_first(&ec);
	for (; rc == 0; rc = hotlist_ecur_next(&ec)) {
		k = ec.key;
		v = ec.val;
		char l[HOTLIST_LIST_NAME_MAX + 1];
		if (k.mv_size < pl || memcmp(k.mv_data, norm, pl) != 0) {
			break;
		}
		hotlist_key_parts(k.mv_data, k.mv_size, NULL, NULL, l, NULL);
		if (list && strcmp(l, list) != 0) {
			continue;
		}
		r = hotlist_entry_unpack(v.mv_data, v.mv_size, l, &e);
		if (r < 0) {
			break;
		}
		r = fn(&e, userdata);
		if (r != 0) {
			break;
		}
	}
	hotlist_ecur_close(&ec);
	mdb_txn_abort(txn);
	return r;
}

static int stats_one(const struct hotlist_entry *e, void *ud)
{
	struct {
		struct hotlist_stats *st;
		int64_t now;
	} *c = ud;

	c->st->entries++;
	c->st->by_category[e->category]++;
	if (e->expires_at && c->now >= e->expires_at) {
		c->st->expired++;
	} else if (e->effective_at && c->now < e->effective_at) {
		c->st->not_yet++;
	}
	return 0;
}

int hotlist_stats(struct hotlist *h, struct hotlist_stats *out)
{
	struct {
		struct hotlist_stats *st;
		int64_t now;
	} c = {out, alpr_clock_now(h->clock)};
	MDB_envinfo info;
	MDB_stat st;
	int r;

	memset(out, 0, sizeof(*out));
	r = hotlist_foreach(h, NULL, NULL, stats_one, &c);
	if (r < 0) {
		return r;
	}
	r = hotlist_lists(h, NULL, 0);
	if (r < 0) {
		return r;
	}
	out->lists = (uint64_t)r;
	mdb_env_info(h->env, &info);
	mdb_env_stat(h->env, &st);
	out->db_bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	out->map_bytes = info.me_mapsize;
	return 0;
}
