/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The entries are two LMDB tables read as one: the base (`entries`) and a small overlay
 * (`entries_o`) that takes the changes of deltas and other small batches. A signed delta of
 * 50,000 random changes against millions of entries would otherwise copy-on-write about one
 * leaf page per change (200 MB and about two seconds here); into the overlay it writes a few
 * megabytes, in key order. The overlay wins over the base for a key; a one-byte value 0 is a
 * tombstone (a packed entry never starts with 0). hotlist_compact_txn() folds the overlay into
 * the base: when it passes HOTLIST_OVERLAY_MAX records, before a bulk import, or on request.
 */
#include <string.h>

#include "hotlist-private.h"

static bool tombstone(const MDB_val *v)
{
	return v->mv_size == 1 && ((const uint8_t *)v->mv_data)[0] == 0;
}

int hotlist_entry_get(struct hotlist *h, MDB_txn *txn, const void *key, size_t kl, MDB_val *out)
{
	MDB_val k = {kl, (void *)key};
	int rc = mdb_get(txn, h->entries_o, &k, out);

	if (rc == 0) {
		return tombstone(out) ? -ENOENT : 0;
	}
	if (rc != MDB_NOTFOUND) {
		return hotlist_mdb_err(rc);
	}
	k.mv_size = kl;
	k.mv_data = (void *)key;
	rc = mdb_get(txn, h->entries, &k, out);
	return rc == MDB_NOTFOUND ? -ENOENT : hotlist_mdb_err(rc);
}

int hotlist_ecur_open(struct hotlist *h, MDB_txn *txn, struct hotlist_ecur *ec)
{
	int rc;

	memset(ec, 0, sizeof(*ec));
	ec->rb = ec->ro = MDB_NOTFOUND;
	if ((rc = mdb_cursor_open(txn, h->entries, &ec->b))) {
		return hotlist_mdb_err(rc);
	}
	if ((rc = mdb_cursor_open(txn, h->entries_o, &ec->o))) {
		mdb_cursor_close(ec->b);
		ec->b = NULL;
		return hotlist_mdb_err(rc);
	}
	return 0;
}

void hotlist_ecur_init(struct hotlist_ecur *ec, const struct hotlist_rtxn *rt)
{
	memset(ec, 0, sizeof(*ec));
	ec->rb = ec->ro = MDB_NOTFOUND;
	ec->b = rt->eb;
	/* NULL when the overlay is empty (most of the time): no seek there. */
	ec->o = rt->eo;
	ec->borrowed = true;
}

void hotlist_ecur_close(struct hotlist_ecur *ec)
{
	if (ec->borrowed) {
		ec->b = ec->o = NULL;
		return;
	}
	if (ec->b) {
		mdb_cursor_close(ec->b);
	}
	if (ec->o) {
		mdb_cursor_close(ec->o);
	}
	ec->b = ec->o = NULL;
}

static int cmp_val(const MDB_val *a, const MDB_val *b)
{
	size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
	int c = memcmp(a->mv_data, b->mv_data, n);
	return c ? c : (a->mv_size > b->mv_size) - (a->mv_size < b->mv_size);
}

/* Picks the current record from the two cursors, skipping tombstones. */
static int settle(struct hotlist_ecur *ec)
{
	for (;;) {
		if (ec->rb && ec->rb != MDB_NOTFOUND) {
			return hotlist_mdb_err(ec->rb);
		}
		if (ec->ro && ec->ro != MDB_NOTFOUND) {
			return hotlist_mdb_err(ec->ro);
		}
		bool hb = ec->rb == 0, ho = ec->ro == 0;
		if (!hb && !ho) {
			return -ENOENT;
		}
		int c = !hb ? 1 : !ho ? -1 : cmp_val(&ec->kb, &ec->ko);
		if (c < 0) {
			ec->from = -1;
			ec->key = ec->kb;
			ec->val = ec->vb;
			return 0;
		}
		if (tombstone(&ec->vo)) {
			/* A removal in the overlay: skip it and the base record it hides. */
			ec->ro = mdb_cursor_get(ec->o, &ec->ko, &ec->vo, MDB_NEXT);
			if (c == 0) {
				ec->rb = mdb_cursor_get(ec->b, &ec->kb, &ec->vb, MDB_NEXT);
			}
			continue;
		}
		ec->from = c; /* 0: overlay hides base; 1: overlay only */
		ec->key = ec->ko;
		ec->val = ec->vo;
		return 0;
	}
}

int hotlist_ecur_first(struct hotlist_ecur *ec)
{
	ec->rb = mdb_cursor_get(ec->b, &ec->kb, &ec->vb, MDB_FIRST);
	ec->ro = ec->o ? mdb_cursor_get(ec->o, &ec->ko, &ec->vo, MDB_FIRST) : MDB_NOTFOUND;
	return settle(ec);
}

int hotlist_ecur_seek(struct hotlist_ecur *ec, const void *key, size_t kl)
{
	ec->kb.mv_size = ec->ko.mv_size = kl;
	ec->kb.mv_data = ec->ko.mv_data = (void *)key;
	ec->rb = mdb_cursor_get(ec->b, &ec->kb, &ec->vb, MDB_SET_RANGE);
	ec->ro = ec->o ? mdb_cursor_get(ec->o, &ec->ko, &ec->vo, MDB_SET_RANGE) : MDB_NOTFOUND;
	return settle(ec);
}

int hotlist_ecur_next(struct hotlist_ecur *ec)
{
	if (ec->from <= 0) {
		ec->rb = mdb_cursor_get(ec->b, &ec->kb, &ec->vb, MDB_NEXT);
	}
	if (ec->from >= 0 && ec->o) {
		ec->ro = mdb_cursor_get(ec->o, &ec->ko, &ec->vo, MDB_NEXT);
	}
	return settle(ec);
}

int hotlist_compact_txn(struct hotlist *h, MDB_txn *txn, uint64_t *moved)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t n = 0;
	int rc;

	rc = mdb_cursor_open(txn, h->entries_o, &cur);
	if (rc) {
		return hotlist_mdb_err(rc);
	}
	/* In key order, so the base's pages are visited once each. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		int r2 = tombstone(&v) ? mdb_del(txn, h->entries, &k, NULL)
				       : mdb_put(txn, h->entries, &k, &v, 0);
		if (r2 && r2 != MDB_NOTFOUND) {
			rc = r2;
			break;
		}
		n++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		return hotlist_mdb_err(rc);
	}
	rc = mdb_drop(txn, h->entries_o, 0);
	if (rc) {
		return hotlist_mdb_err(rc);
	}
	if (moved) {
		*moved = n;
	}
	return 0;
}

int hotlist_compact(struct hotlist *h, uint64_t *moved)
{
	MDB_txn *txn;
	int r;

	if (h->read_only) {
		return -EROFS;
	}
	r = hotlist_wtxn_begin(h, &txn);
	if (r < 0) {
		return r;
	}
	r = hotlist_compact_txn(h, txn, moved);
	if (r < 0) {
		mdb_txn_abort(txn);
		return r;
	}
	return hotlist_mdb_err(mdb_txn_commit(txn));
}
