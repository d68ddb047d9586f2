/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * hotlist-private.h: internals shared by the hotlist's .c files and its tests. Not API.
 */
#pragma once

#include <lmdb.h>
#include <pthread.h>

#include "hotlist.h"

/* The entry's key in the `entries` database: plate \0 state \0 list \0 record_id. Plate first,
 * so every entry with one plate sits together and an exact lookup is one range seek. */
#define HOTLIST_KEY_MAX                                                                            \
	(HOTLIST_PLATE_MAX + 1 + 2 + 1 + HOTLIST_LIST_NAME_MAX + 1 + HOTLIST_SHORT_MAX)
/* A packed entry: a format byte, then every field (strings as u8 length + bytes). */
#define HOTLIST_PACKED_MAX 1024
/* A canonical line (docs/hotlist-format.md): every field, tab-separated. */
#define HOTLIST_LINE_MAX 1024
/* Versions kept for export and diff (history is pruned past this). Twice-daily NCIC
 * refreshes keep about two weeks. */
#define HOTLIST_VERSIONS_KEPT 32
/* Plates under one look-alike or deletion key read at most: a bound on the cost of one
 * lookup however the list is shaped (a real key has a handful). */
#define HOTLIST_INDEX_SCAN_MAX 64
/* Shortest plates an edit (one missing or extra character) may match: shorter plates would
 * match too much. */
#define HOTLIST_EDIT_MIN_LEN 5
/* An edit is evidence only when few listed plates could explain it: past this many under one
 * edit of a candidate (the plates one character longer than it, or those one character
 * shorter), the read says nothing about which one it was, and none is reported. In dense
 * series (4- to 6-digit numeric plates) a read would otherwise match dozens of unrelated
 * plates, each costing a seek into the entries. */
#define HOTLIST_EDIT_AMBIGUOUS 3

/* Read transactions kept for reuse. A pooled transaction stays live on its snapshot while
 * that snapshot is still the newest: the next lookup uses it as it is, skipping LMDB's renew
 * and the refresh of every named database's record that a renew forces (together about
 * half of a lookup whose pages are cached). When a write has committed since, it is reset
 * and renewed. A write through this handle first resets every idle pooled transaction
 * (hotlist_wtxn_begin), so an idle reader never holds back the reuse of pages that writer
 * frees. One per concurrent matcher is enough. */
#define HOTLIST_TXN_POOL 8

/* A pooled read transaction with the entries cursors it keeps (renewed with it). */
struct hotlist_rtxn {
	MDB_txn *txn;
	MDB_cursor *eb;        /* entries */
	MDB_cursor *eo;        /* entries_o, or NULL while the overlay is empty */
	MDB_cursor *eo_cursor; /* the overlay cursor itself (kept with the transaction) */
	bool live;             /* not reset: still on the snapshot it last read */
};

struct hotlist {
	MDB_env *env;
	pthread_mutex_t pool_lock;
	struct hotlist_rtxn pool[HOTLIST_TXN_POOL];
	int npool;
	MDB_dbi meta, lists, entries, entries_o, equiv, del1, del1r, history;
	/* When the look-alike and deletion indexes are rebuilt (docs/hotlist-format.md):
	 * removed plates are left in them (harmless: every index hit is confirmed against the
	 * entries) until there are this many and this share of all indexed plates, and recent
	 * additions go to the small del1r until it holds this many records. Tests lower them. */
	uint64_t rebuild_min_stale;
	double rebuild_stale_share;
	uint64_t rebuild_max_recent;
	const struct policy *policy;
	const struct alpr_clock *clock;
	bool read_only;
};

/* The additive content digest: the sum, mod 2^256, of SHA-256(canonical line) of every
 * entry, kept per list so a change costs O(1) to account. */
struct hotlist_sum {
	uint8_t b[32];
};
void hotlist_sum_add(struct hotlist_sum *s, const char *line, size_t len, bool subtract);
/* The published digest: SHA-256("alpr-hotlist-digest-v1\n" list "\n" count "\n" sum). */
void hotlist_sum_digest(const struct hotlist_sum *s, const char *list, uint64_t count,
			uint8_t out[32]);

/* The stored form of a list's record in the `lists` database. */
struct hotlist_list_rec {
	uint32_t format;
	int32_t priority;
	int32_t alert_level;
	uint32_t pad;
	uint64_t version;
	uint64_t oldest_version;
	int64_t generated_at;
	uint64_t entry_count;
	struct hotlist_sum sum;
};

size_t hotlist_entry_key(const struct hotlist_entry *e, char *key);
/* Splits a key back into its parts (pointers into caller buffers). */
void hotlist_key_parts(const char *key, size_t len, char *plate, char *state, char *list,
		       char *rid);
size_t hotlist_entry_pack(const struct hotlist_entry *e, uint8_t *out);
int hotlist_entry_unpack(const void *data, size_t len, const char *list, struct hotlist_entry *e);
size_t hotlist_entry_line(const struct hotlist_entry *e, char *out, size_t outsz);
/* Parses a canonical line back into an entry (for deltas). 0 or -ALPR_E_PARSE with @err. */
int hotlist_entry_from_line(const char *line, size_t len, const char *list, struct hotlist_entry *e,
			    char *err, size_t errsz);
/* Validates a whole entry; on failure writes "field: message" to @err. */
int hotlist_entry_validate(const struct hotlist_entry *e, char *err, size_t errsz);
/* Maps each look-alike class to one representative (0,1,2,5,8,6); other characters kept. */
void hotlist_canon(const char *plate, char *out);
bool hotlist_lookalike(char a, char b);

int hotlist_mdb_err(int rc);
/* A read transaction from the pool (or a new one), with renewed entries cursors; give it
 * back with hotlist_rtxn_put(). */
int hotlist_rtxn_get(struct hotlist *h, struct hotlist_rtxn *rt);
void hotlist_rtxn_put(struct hotlist *h, struct hotlist_rtxn *rt);
/* Begins a write transaction, first resetting the idle pooled read transactions (see
 * HOTLIST_TXN_POOL). Returns 0 or a negative errno. */
int hotlist_wtxn_begin(struct hotlist *h, MDB_txn **txn);

/* ---- change batches: the one write path for import, add, remove and deltas ---- */

struct hotlist_batch;
struct hotlist_batch *hotlist_batch_new(void);
void hotlist_batch_free(struct hotlist_batch *b);
/* Queues an upsert (the entry's key decides) or a removal. */
void hotlist_batch_put(struct hotlist_batch *b, const struct hotlist_entry *e);
void hotlist_batch_del(struct hotlist_batch *b, const char *key, size_t keylen);
size_t hotlist_batch_size(const struct hotlist_batch *b);

struct hotlist_batch_result {
	uint64_t added, updated, unchanged, removed, missing;
	uint64_t version;
	struct hotlist_list_rec rec;
};

/* Applies @b to list @list inside @txn: entries, the look-alike and deletion indexes, the
 * version history and the list record. @replace removes every entry of the list that the
 * batch does not put; @clear_first empties the list first (a snapshot). @new_version, when
 * not 0, is the version to record (a delta's target). */
int hotlist_batch_apply(struct hotlist *h, MDB_txn *txn, const char *list, struct hotlist_batch *b,
			bool replace, uint64_t new_version, struct hotlist_batch_result *res);

int hotlist_list_rec_get(struct hotlist *h, MDB_txn *txn, const char *name,
			 struct hotlist_list_rec *rec);
int hotlist_list_rec_put(struct hotlist *h, MDB_txn *txn, const char *name,
			 const struct hotlist_list_rec *rec);
void hotlist_list_info_fill(const char *name, const struct hotlist_list_rec *rec,
			    struct hotlist_list_info *out);

/* ---- entries: the base and the overlay read as one (entries.c) ---- */

/* Batches smaller than this go to the overlay; larger ones (imports) fold the overlay in
 * first and write the base directly. */
#define HOTLIST_OVERLAY_BATCH_MAX 200000
/* The overlay is folded into the base when a change leaves it with more records than this
 * (about eight twice-daily deltas of 50,000 changes). */
#define HOTLIST_OVERLAY_MAX 400000

struct hotlist_ecur {
	MDB_cursor *b, *o;
	int rb, ro;             /* the cursors' last results (0: positioned) */
	MDB_val kb, vb, ko, vo; /* their current records */
	int from;               /* the current record: -1 base, 0 overlay over base, 1 overlay */
	bool borrowed;          /* the cursors belong to a pooled transaction */
	MDB_val key, val;       /* the current merged record (valid until the next call) */
};

/* The entry at @key: 0 and *out (borrowed, valid in @txn), or -ENOENT. */
int hotlist_entry_get(struct hotlist *h, MDB_txn *txn, const void *key, size_t kl, MDB_val *out);
int hotlist_ecur_open(struct hotlist *h, MDB_txn *txn, struct hotlist_ecur *ec);
/* The same over a pooled transaction's cursors (hotlist_ecur_close() leaves them open). */
void hotlist_ecur_init(struct hotlist_ecur *ec, const struct hotlist_rtxn *rt);
void hotlist_ecur_close(struct hotlist_ecur *ec);
/* Position on the first record, the first record >= @key, or the next one: 0 (ec->key,
 * ec->val set) or -ENOENT at the end. */
int hotlist_ecur_first(struct hotlist_ecur *ec);
int hotlist_ecur_seek(struct hotlist_ecur *ec, const void *key, size_t kl);
int hotlist_ecur_next(struct hotlist_ecur *ec);
/* Folds the overlay into the base inside @txn. */
int hotlist_compact_txn(struct hotlist *h, MDB_txn *txn, uint64_t *moved);

/* The plate filter (bloom.c): domain 'P' for a listed plate, 'C' for a look-alike folded
 * form. Stored in the meta database under "bloom". */
size_t hotlist_bloom_size(uint64_t capacity);
void hotlist_bloom_init(uint8_t *blob, size_t len, uint64_t capacity);
bool hotlist_bloom_valid(const uint8_t *blob, size_t len, uint64_t *members, uint64_t *capacity);
void hotlist_bloom_add(uint8_t *blob, size_t len, char domain, const char *s, size_t n);
bool hotlist_bloom_maybe(const uint8_t *blob, size_t len, char domain, const char *s, size_t n);

/* Rebuilds the look-alike and deletion indexes from the entries (inside @txn). */
int hotlist_index_rebuild(struct hotlist *h, MDB_txn *txn);

/* CSV import internals (csv.c). */
int hotlist_csv_parse(struct hotlist *h, const char *path,
		      const struct hotlist_import_options *opts, struct hotlist_batch *b,
		      struct hotlist_import_result *res);
