/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * Matching a read's candidates against every list. Per candidate, at most:
 *   1 index lookup     exact and look-alike (equiv: canonical plate -> plates)
 *   L index lookups    one character extra in the read (each deletion, in equiv)
 *   2 index lookups    one character missing from the read (del1, and del1r for plates
 *                      added since the last index rebuild)
 * plus one seek into the entries for each plate that matches. The indexes hold only short
 * plates, so they stay in memory; the large entries tree is read only for real matches.
 * with the plates read under one index key capped at HOTLIST_INDEX_SCAN_MAX: the cost does
 * not grow with the size of the list.
 */
#include <stdio.h>
#include <string.h>

#include "hotlist-private.h"

const char *hotlist_match_kind_name(enum hotlist_match_kind k)
{
	switch (k) {
	case HOTLIST_MATCH_EXACT:
		return "exact";
	case HOTLIST_MATCH_EQUIVALENT:
		return "equivalent";
	case HOTLIST_MATCH_EDIT:
		return "edit";
	}
	return "?";
}

/* Internal working set: more than the caller's cap so ranking sees every candidate match. */
#define MATCH_WORK_MAX (HOTLIST_MATCH_MAX * 4)

struct match_ctx {
	struct hotlist *h;
	MDB_txn *txn;
	const uint8_t *bloom; /* the plate filter in the map, or NULL */
	size_t bloom_len;
	const uint8_t *bloomd; /* the filter over del1's keys, or NULL */
	size_t bloomd_len;
	const char *read;       /* the candidate being matched */
	struct hotlist_ecur ec; /* the entries, base and overlay */
	bool ec_open;
	const char *state;
	int64_t now;
	struct hotlist_match *work;
	size_t nwork;
	/* List records read once per call. */
	struct {
		char name[HOTLIST_LIST_NAME_MAX + 1];
		struct hotlist_list_info info;
	} lists[16];
	size_t nlists;
};

static const struct hotlist_list_info *list_info(struct match_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nlists; i++) {
		if (strcmp(c->lists[i].name, name) == 0) {
			return &c->lists[i].info;
		}
	}
	struct hotlist_list_rec rec;
	static const struct hotlist_list_info none = {.alert_level = 2};
	if (hotlist_list_rec_get(c->h, c->txn, name, &rec) < 0) {
		return &none;
	}
	if (c->nlists == ALPR_ARRAY_SIZE(c->lists)) {
		c->nlists = 0; /* more lists than slots: re-read (correct, just slower) */
	}
	size_t i = c->nlists++;
	alpr_strlcpy(c->lists[i].name, name, sizeof(c->lists[i].name));
	/* The digest is not needed for matching: fill the cheap fields only. */
	memset(&c->lists[i].info, 0, sizeof(c->lists[i].info));
	alpr_strlcpy(c->lists[i].info.name, name, sizeof(c->lists[i].info.name));
	c->lists[i].info.priority = rec.priority;
	c->lists[i].info.alert_level = rec.alert_level;
	c->lists[i].info.version = rec.version;
	c->lists[i].info.generated_at = rec.generated_at;
	c->lists[i].info.entry_count = rec.entry_count;
	return &c->lists[i].info;
}

static float kind_weight(enum hotlist_match_kind kind, int npos)
{
	switch (kind) {
	case HOTLIST_MATCH_EXACT:
		return 1.0f;
	case HOTLIST_MATCH_EQUIVALENT:
		return npos <= 1 ? 0.8f : 0.7f;
	case HOTLIST_MATCH_EDIT:
		return 0.6f;
	}
	return 0.0f;
}

static bool better(const struct hotlist_match *a, const struct hotlist_match *b)
{
	if (a->score != b->score) {
		return a->score > b->score;
	}
	if (a->list.priority != b->list.priority) {
		return a->list.priority > b->list.priority;
	}
	return a->kind < b->kind;
}

static bool same_entry(const struct hotlist_entry *a, const struct hotlist_entry *b)
{
	return strcmp(a->plate, b->plate) == 0 && strcmp(a->state, b->state) == 0 &&
	       strcmp(a->list, b->list) == 0 &&
	       strcmp(a->source_record_id, b->source_record_id) == 0;
}

static void offer(struct match_ctx *c, const struct hotlist_match *m)
{
	for (size_t i = 0; i < c->nwork; i++) {
		if (same_entry(&c->work[i].entry, &m->entry)) {
			if (better(m, &c->work[i])) {
				c->work[i] = *m;
			}
			return;
		}
	}
	if (c->nwork < MATCH_WORK_MAX) {
		c->work[c->nwork++] = *m;
		return;
	}
	size_t worst = 0;
	for (size_t i = 1; i < c->nwork; i++) {
		if (better(&c->work[worst], &c->work[i])) {
			worst = i;
		}
	}
	if (better(m, &c->work[worst])) {
		c->work[worst] = *m;
	}
}

/* Every live entry with exactly @plate becomes a match of the given kind. */
static int visit_plate(struct match_ctx *c, const char *plate, struct hotlist_match *tmpl)
{
	char key[HOTLIST_PLATE_MAX + 1];
	size_t n = strlen(plate) + 1;
	MDB_val k = {n, key}, v;
	int rc;

	memcpy(key, plate, n);
	for (rc = hotlist_ecur_seek(&c->ec, key, n); rc == 0; rc = hotlist_ecur_next(&c->ec)) {
		k = c->ec.key;
		v = c->ec.val;
		char l[HOTLIST_LIST_NAME_MAX + 1];
		if (k.mv_size < n || memcmp(k.mv_data, key, n) != 0) {
			break;
		}
		hotlist_key_parts(k.mv_data, k.mv_size, NULL, NULL, l, NULL);
		int r = hotlist_entry_unpack(v.mv_data, v.mv_size, l, &tmpl->entry);
		if (r < 0) {
			return r;
		}
		const struct hotlist_entry *e = &tmpl->entry;
		if ((e->expires_at && c->now >= e->expires_at) ||
		    (e->effective_at && c->now < e->effective_at)) {
			continue;
		}
		bool entry_unknown = strcmp(e->state, "??") == 0;
		tmpl->state_unconfirmed = !c->state || entry_unknown;
		tmpl->state_mismatch =
			c->state && !entry_unknown && strcmp(c->state, e->state) != 0;
		tmpl->list = *list_info(c, l);
		tmpl->score = tmpl->score; /* set by the caller */
		offer(c, tmpl);
	}
	return rc == -ENOENT || rc == 0 ? 0 : rc;
}

static void tmpl_init(struct hotlist_match *m, int cand, const char *p,
		      enum hotlist_match_kind kind, float score)
{
	memset(m, 0, sizeof(*m));
	m->candidate = cand;
	alpr_strlcpy(m->read_plate, p, sizeof(m->read_plate));
	m->kind = kind;
	m->score = score;
}

/* True when @q (already canonicalised as @canon) is a listed plate: one lookup in the small
 * look-alike index instead of a seek into the large entries tree. */
static bool plate_listed(const struct match_ctx *c, MDB_cursor *equiv, const char *q, size_t n)
{
	char canon[HOTLIST_PLATE_MAX + 1];
	MDB_val k = {n, canon}, v = {n, (void *)q};

	if (c->bloom && !hotlist_bloom_maybe(c->bloom, c->bloom_len, 'P', q, n)) {
		return false;
	}
	hotlist_canon(q, canon);
	return mdb_cursor_get(equiv, &k, &v, MDB_GET_BOTH) == 0;
}

/* Plates one character longer than the read, from one deletion index. */
static int match_missing(struct match_ctx *c, MDB_cursor *del1, const uint8_t *filter,
			 size_t filter_len, const char *p, size_t n, int cand, float conf)
{
	struct hotlist_match m;
	MDB_val k = {n, (void *)p}, v;
	int rc, r, seen = 0;

	for (rc = mdb_cursor_get(del1, &k, &v, MDB_SET_KEY);
	     rc == 0 && seen < HOTLIST_INDEX_SCAN_MAX;
	     rc = mdb_cursor_get(del1, &k, &v, MDB_NEXT_DUP), seen++) {
		char q[HOTLIST_PLATE_MAX + 1];
		const char *pc = v.mv_data;
		size_t pos = (unsigned char)pc[0];
		if (v.mv_size != 2 || pos > n) {
			continue;
		}
		memcpy(q, p, pos);
		q[pos] = pc[1];
		memcpy(q + pos + 1, p + pos, n - pos);
		q[n + 1] = '\0';
		tmpl_init(&m, cand, p, HOTLIST_MATCH_EDIT,
			  conf * kind_weight(HOTLIST_MATCH_EDIT, 1));
		m.npositions = 1;
		m.positions[0] = (int)pos;
		m.edit_missing = true;
		r = visit_plate(c, q, &m);
		if (r < 0) {
			return r;
		}
	}
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : hotlist_mdb_err(rc);
}

/* How many plates one character longer than @p (@n characters) the two deletion indexes
 * hold, stale ones included (they are few: the indexes are rebuilt past a share). */
static size_t deletion_count(MDB_cursor *del1[2], const char *p, size_t n)
{
	size_t total = 0;

	for (int idx = 0; idx < 2; idx++) {
		MDB_val k = {n, (void *)p}, v;
		size_t count = 0;
		if (mdb_cursor_get(del1[idx], &k, &v, MDB_SET_KEY) == 0 &&
		    mdb_cursor_count(del1[idx], &count) == 0) {
			total += count;
		}
	}
	return total;
}

/* The look-alike class of a character (ARCHITECTURE: 0/O/D/Q, 1/I, 2/Z, 5/S, 8/B, 6/G). */
static const char *lookalike_class(char ch)
{
	static const char *const classes[] = {"0ODQ", "1I", "2Z", "5S", "8B", "6G"};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(classes); i++) {
		if (strchr(classes[i], ch)) {
			return classes[i];
		}
	}
	return NULL;
}

/* One string the read may be: if the filter says it may be listed, its entries match. */
static int try_plate(struct match_ctx *c, const char *q, size_t n, int cand, float conf,
		     enum hotlist_match_kind kind, const int *pos, int npos)
{
	struct hotlist_match m;

	if (c->bloom && !hotlist_bloom_maybe(c->bloom, c->bloom_len, 'P', q, n)) {
		return 0;
	}
	tmpl_init(&m, cand, c->read, kind, conf * kind_weight(kind, npos));
	m.npositions = npos;
	for (int i = 0; i < npos; i++) {
		m.positions[i] = pos[i];
	}
	return visit_plate(c, q, &m);
}

static int match_one(struct match_ctx *c, MDB_cursor *equiv, MDB_cursor *del1[2], const char *p,
		     int cand, float conf, const struct hotlist_match_options *o, bool fuzzy)
{
	struct hotlist_match m;
	size_t n = strlen(p);
	int r;

	c->read = p;
	if (!fuzzy) {
		/* A lower-ranked candidate: exact matches only. */
		if (c->bloom && !hotlist_bloom_maybe(c->bloom, c->bloom_len, 'P', p, n)) {
			return 0;
		}
		tmpl_init(&m, cand, p, HOTLIST_MATCH_EXACT,
			  conf * kind_weight(HOTLIST_MATCH_EXACT, 0));
		return visit_plate(c, p, &m);
	}

	/* Exact, then look-alike: the read and each of its look-alike substitutions (at most 24
	 * strings for one substitution, 252 for two), each asked of the plate filter first and
	 * read from the entries only when it may be listed. Bounded per candidate, and no listed
	 * plate can be missed however many share a look-alike form. */
	r = try_plate(c, p, n, cand, conf, HOTLIST_MATCH_EXACT, NULL, 0);
	if (r < 0) {
		return r;
	}
	for (size_t i = 0; i < n && o->max_substitutions >= 1; i++) {
		const char *ci = lookalike_class(p[i]);
		for (; ci && *ci; ci++) {
			char q[HOTLIST_PLATE_MAX + 1];
			if (*ci == p[i]) {
				continue;
			}
			memcpy(q, p, n + 1);
			q[i] = *ci;
			int pos[2] = {(int)i, 0};
			r = try_plate(c, q, n, cand, conf, HOTLIST_MATCH_EQUIVALENT, pos, 1);
			if (r < 0) {
				return r;
			}
			for (size_t j = i + 1; j < n && o->max_substitutions >= 2; j++) {
				const char *cj = lookalike_class(p[j]);
				for (; cj && *cj; cj++) {
					char q2[HOTLIST_PLATE_MAX + 1];
					if (*cj == p[j]) {
						continue;
					}
					memcpy(q2, q, n + 1);
					q2[j] = *cj;
					pos[1] = (int)j;
					r = try_plate(c, q2, n, cand, conf,
						      HOTLIST_MATCH_EQUIVALENT, pos, 2);
					if (r < 0) {
						return r;
					}
				}
			}
		}
	}

	if (o->no_edit) {
		return 0;
	}
	/* One character extra in the read: the entry is the read minus one character. The
	 * listed ones are found first (index only), and read only when they are few. */
	if (n >= HOTLIST_EDIT_MIN_LEN) {
		size_t at[HOTLIST_PLATE_MAX], nat = 0;
		for (size_t i = 0; i < n; i++) {
			char q[HOTLIST_PLATE_MAX + 1];
			if (i > 0 && p[i] == p[i - 1]) {
				continue;
			}
			memcpy(q, p, i);
			memcpy(q + i, p + i + 1, n - i);
			if (plate_listed(c, equiv, q, n - 1)) {
				at[nat++] = i;
			}
		}
		for (size_t j = 0; j < nat && nat <= HOTLIST_EDIT_AMBIGUOUS; j++) {
			char q[HOTLIST_PLATE_MAX + 1];
			size_t i = at[j];
			memcpy(q, p, i);
			memcpy(q + i, p + i + 1, n - i);
			tmpl_init(&m, cand, p, HOTLIST_MATCH_EDIT,
				  conf * kind_weight(HOTLIST_MATCH_EDIT, 1));
			m.npositions = 1;
			m.positions[0] = (int)i;
			r = visit_plate(c, q, &m);
			if (r < 0) {
				return r;
			}
		}
	}
	/* One character missing from the read: the read is the entry minus one character.
	 * Counted in both deletion indexes first: past HOTLIST_EDIT_AMBIGUOUS plates, none. */
	if (n + 1 >= HOTLIST_EDIT_MIN_LEN && n + 1 <= HOTLIST_PLATE_MAX &&
	    deletion_count(del1, p, n) <= HOTLIST_EDIT_AMBIGUOUS) {
		for (int idx = 0; idx < 2; idx++) {
			/* del1 has its own filter; del1r is small and unfiltered. */
			r = match_missing(c, del1[idx], idx == 0 ? c->bloomd : NULL,
					  idx == 0 ? c->bloomd_len : 0, p, n, cand, conf);
			if (r < 0) {
				return r;
			}
		}
	}
	return 0;
}

static int cmp_match(const void *a, const void *b)
{
	const struct hotlist_match *x = a, *y = b;
	if (better(x, y)) {
		return -1;
	}
	if (better(y, x)) {
		return 1;
	}
	return strcmp(x->entry.list, y->entry.list);
}

int hotlist_match(struct hotlist *h, const struct hotlist_candidate *cands, size_t ncands,
		  const char *state, const struct hotlist_match_options *opts,
		  struct hotlist_match *out, size_t cap)
{
	static const struct hotlist_match_options defaults = {.max_substitutions = 1};
	struct hotlist_match_options o = opts ? *opts : defaults;
	char seen[HOTLIST_CANDIDATES_MAX][HOTLIST_PLATE_MAX + 1];
	size_t nseen = 0;
	MDB_cursor *equiv = NULL, *del1[2] = {NULL, NULL};
	struct match_ctx c;
	int r;

	if (o.max_substitutions < 0 || o.max_substitutions > 2 || o.fuzzy_candidates < 0 ||
	    (ncands && !cands)) {
		return -EINVAL;
	}
	if (state && (!hotlist_state_valid(state) || strcmp(state, "??") == 0)) {
		state = NULL; /* an unknown state is no state */
	}
	memset(&c, 0, sizeof(c));
	c.h = h;
	c.state = state;
	c.now = alpr_clock_now(h->clock);
	c.work = alpr_xmalloc(MATCH_WORK_MAX * sizeof(*c.work));
	struct hotlist_rtxn rt;
	r = hotlist_rtxn_get(h, &rt);
	c.txn = rt.txn;
	if (r < 0) {
		free(c.work);
		return r;
	}
	MDB_val bk = {5, "bloom"}, bdk = {6, "bloomd"}, bv;
	if (mdb_get(c.txn, h->meta, &bk, &bv) == 0) {
		c.bloom = bv.mv_data;
		c.bloom_len = bv.mv_size;
	}
	if (mdb_get(c.txn, h->meta, &bdk, &bv) == 0) {
		c.bloomd = bv.mv_data;
		c.bloomd_len = bv.mv_size;
	}
	hotlist_ecur_init(&c.ec, &rt);
	c.ec_open = true;
	if (mdb_cursor_open(c.txn, h->equiv, &equiv) || mdb_cursor_open(c.txn, h->del1, &del1[0]) ||
	    mdb_cursor_open(c.txn, h->del1r, &del1[1])) {
		r = -EIO;
		goto out;
	}
	for (size_t i = 0; i < ncands && i < HOTLIST_CANDIDATES_MAX; i++) {
		char p[HOTLIST_PLATE_MAX + 1];
		bool dup = false;
		if (!cands[i].plate ||
		    hotlist_normalize_plate(cands[i].plate, strlen(cands[i].plate), p) < 0) {
			continue;
		}
		for (size_t j = 0; j < nseen && !dup; j++) {
			dup = strcmp(seen[j], p) == 0;
		}
		if (dup) {
			continue;
		}
		memcpy(seen[nseen++], p, sizeof(p));
		float conf = cands[i].confidence;
		if (!(conf > 0.0f) || conf > 1.0f) {
			conf = conf > 1.0f ? 1.0f : 0.01f;
		}
		int nfuzzy = o.fuzzy_candidates > 0 ? o.fuzzy_candidates : 3;
		r = match_one(&c, equiv, del1, p, (int)i, conf, &o, (int)i < nfuzzy);
		if (r < 0) {
			goto out;
		}
	}
	qsort(c.work, c.nwork, sizeof(*c.work), cmp_match);
	size_t nout = ALPR_MIN(c.nwork, cap);
	memcpy(out, c.work, nout * sizeof(*out));
	r = (int)nout;
out:
	if (c.ec_open) {
		hotlist_ecur_close(&c.ec);
	}
	if (equiv) {
		mdb_cursor_close(equiv);
	}
	for (int i = 0; i < 2; i++) {
		if (del1[i]) {
			mdb_cursor_close(del1[i]);
		}
	}
	hotlist_rtxn_put(h, &rt);
	free(c.work);
	return r;
}
