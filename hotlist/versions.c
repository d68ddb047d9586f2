/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * Versions: reconstructing an older version from the current entries and the undo history,
 * CSV export, diff, Ed25519 signatures over a version's manifest, and signed deltas.
 * Formats: docs/hotlist-format.md.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hotlist-private.h"

/* A delta or signature file larger than this is refused before parsing (a 50,000-change
 * delta is about 10 MiB; a full snapshot of 5 million entries about 1 GiB). */
#define DELTA_FILE_MAX (UINT64_C(2) << 30)
#define SIG_FILE_MAX   (64 * 1024)
#define KEY_FILE_MAX   (16 * 1024)

/* ---- reconstructing a version ---- */

struct ov_rec {
	uint64_t off; /* key, then packed entry (packlen 0: absent at that version) */
	uint32_t seq;
	uint16_t keylen, packlen;
};

/* The state of one list at one version: the current entries (unless @cleared) overlaid
 * with @recs (sorted by key, one per key). */
struct version_view {
	bool cleared;
	uint8_t *arena;
	size_t alen, acap;
	struct ov_rec *recs;
	size_t n, cap;
	struct hotlist_list_rec rec; /* the list record at that version */
};

static void view_free(struct version_view *v)
{
	free(v->arena);
	free(v->recs);
	memset(v, 0, sizeof(*v));
}

static void view_push(struct version_view *v, const void *key, size_t kl, const void *packed,
		      size_t pl)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 256;
		v->recs = alpr_xrealloc(v->recs, v->cap * sizeof(*v->recs));
	}
	if (v->alen + kl + pl > v->acap) {
		v->acap = ALPR_MAX(v->acap * 2, v->alen + kl + pl + 65536);
		v->arena = alpr_xrealloc(v->arena, v->acap);
	}
	struct ov_rec *r = &v->recs[v->n];
	r->off = v->alen;
	r->seq = (uint32_t)v->n;
	r->keylen = (uint16_t)kl;
	r->packlen = (uint16_t)pl;
	memcpy(v->arena + v->alen, key, kl);
	if (pl) {
		memcpy(v->arena + v->alen + kl, packed, pl);
	}
	v->alen += kl + pl;
	v->n++;
}

static int cmp_bytes(const void *a, size_t al, const void *b, size_t bl)
{
	int c = memcmp(a, b, ALPR_MIN(al, bl));
	return c ? c : (al > bl) - (al < bl);
}

static int cmp_ov(const void *pa, const void *pb, void *arena)
{
	const struct ov_rec *a = pa, *b = pb;
	const uint8_t *base = arena;
	int c = cmp_bytes(base + a->off, a->keylen, base + b->off, b->keylen);
	/* Earlier pushes are newer undo steps; the last push (the oldest step) wins. */
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

/* Undoes every version of @list newer than @version. -ENOENT when @version is not kept. */
static int view_build(struct hotlist *h, MDB_txn *txn, const char *list, uint64_t version,
		      struct version_view *v)
{
	struct hotlist_list_rec rec;
	MDB_cursor *cur;
	MDB_val k, d;
	int r, rc;
	size_t ll = strlen(list) + 1;

	memset(v, 0, sizeof(*v));
	r = hotlist_list_rec_get(h, txn, list, &rec);
	if (r < 0) {
		return r;
	}
	if (version == 0) {
		version = rec.version;
	}
	if (version > rec.version || version < rec.oldest_version) {
		return -ENOENT;
	}
	v->rec = rec;
	if (version == rec.version) {
		return 0;
	}
	rc = mdb_cursor_open(txn, h->history, &cur);
	if (rc) {
		return hotlist_mdb_err(rc);
	}
	/* Walk history backwards from the newest record of the list. */
	char seek[HOTLIST_LIST_NAME_MAX + 2];
	memcpy(seek, list, ll - 1);
	seek[ll - 1] = '\x01'; /* just past list\0... */
	k.mv_size = ll;
	k.mv_data = seek;
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	rc = rc == 0 ? mdb_cursor_get(cur, &k, &d, MDB_PREV)
		     : mdb_cursor_get(cur, &k, &d, MDB_LAST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &d, MDB_PREV)) {
		const uint8_t *kp = k.mv_data, *dp = d.mv_data;
		if (k.mv_size != ll + 12 || memcmp(kp, list, ll - 1) != 0 || kp[ll - 1] != 0) {
			break;
		}
		uint64_t ver = be64(kp + ll);
		if (ver <= version) {
			break;
		}
		if (d.mv_size < 1) {
			r = -ALPR_E_CORRUPT;
			break;
		}
		switch (dp[0]) {
		case 'H': /* the list as it was before this version */
			if (d.mv_size != 1 + sizeof(rec)) {
				r = -ALPR_E_CORRUPT;
				break;
			}
			memcpy(&v->rec, dp + 1, sizeof(rec));
			if (v->rec.entry_count == 0) {
				/* The version started from an empty list. */
				v->cleared = true;
				v->n = 0;
				v->alen = 0;
			}
			break;
		case 'A': /* added in this version: absent before it */
			view_push(v, dp + 1, d.mv_size - 1, NULL, 0);
			break;
		case 'R': /* removed or updated: the old entry was there before it */
		case 'U': {
			struct hotlist_entry e;
			char key[HOTLIST_KEY_MAX + 1];
			r = hotlist_entry_unpack(dp + 1, d.mv_size - 1, list, &e);
			if (r == 0) {
				size_t kl = hotlist_entry_key(&e, key);
				view_push(v, key, kl, dp + 1, d.mv_size - 1);
			}
			break;
		}
		default:
			r = -ALPR_E_CORRUPT;
		}
		if (r < 0) {
			break;
		}
	}
	mdb_cursor_close(cur);
	if (r < 0) {
		view_free(v);
		return r;
	}
	if (v->rec.version != version) {
		/* Not a version this list ever had (a delta jumped over it). */
		view_free(v);
		return -ENOENT;
	}
	if (v->n) {
		qsort_r(v->recs, v->n, sizeof(*v->recs), cmp_ov, v->arena);
	}
	size_t w = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (i + 1 < v->n &&
		    cmp_bytes(v->arena + v->recs[i].off, v->recs[i].keylen,
			      v->arena + v->recs[i + 1].off, v->recs[i + 1].keylen) == 0) {
			continue;
		}
		v->recs[w++] = v->recs[i];
	}
	v->n = w;
	return 0;
}

/* Iterates the entries of a view in key order. */
struct view_iter {
	struct hotlist *h;
	struct version_view *v;
	const char *list;
	size_t ll;
	struct hotlist_ecur ec; /* the current entries (base and overlay) */
	bool ec_open;
	int rc; /* 0 positioned, -ENOENT at the end, or an error */
	MDB_val k, d;
	size_t oi;
};

static bool key_in_list(const MDB_val *k, const char *list, size_t ll)
{
	const char *kp = k->mv_data;
	const char *z1 = memchr(kp, 0, k->mv_size);
	const char *z2 = z1 ? memchr(z1 + 1, 0, k->mv_size - (size_t)(z1 + 1 - kp)) : NULL;
	if (!z2) {
		return false;
	}
	size_t rest = k->mv_size - (size_t)(z2 + 1 - kp);
	return rest >= ll + 1 && memcmp(z2 + 1, list, ll) == 0 && z2[1 + ll] == '\0';
}

static void iter_advance_cursor(struct view_iter *it, bool first)
{
	for (it->rc = first ? hotlist_ecur_first(&it->ec) : hotlist_ecur_next(&it->ec); it->rc == 0;
	     it->rc = hotlist_ecur_next(&it->ec)) {
		it->k = it->ec.key;
		it->d = it->ec.val;
		if (key_in_list(&it->k, it->list, it->ll)) {
			return;
		}
	}
}

static int iter_init(struct view_iter *it, struct hotlist *h, MDB_txn *txn, const char *list,
		     struct version_view *v)
{
	memset(it, 0, sizeof(*it));
	it->h = h;
	it->v = v;
	it->list = list;
	it->ll = strlen(list);
	it->rc = -ENOENT;
	if (!v->cleared) {
		int r = hotlist_ecur_open(h, txn, &it->ec);
		if (r < 0) {
			return r;
		}
		it->ec_open = true;
		iter_advance_cursor(it, true);
	}
	return 0;
}

static void iter_finish(struct view_iter *it)
{
	if (it->ec_open) {
		hotlist_ecur_close(&it->ec);
		it->ec_open = false;
	}
}

/* Next entry of the view: 1 and *e filled, 0 at the end, or a negative error. */
static int iter_next(struct view_iter *it, struct hotlist_entry *e)
{
	for (;;) {
		bool have_c = it->rc == 0;
		bool have_o = it->oi < it->v->n;
		if (!have_c && !have_o) {
			return it->rc == -ENOENT || it->rc == 0 ? 0 : it->rc;
		}
		const struct ov_rec *o = have_o ? &it->v->recs[it->oi] : NULL;
		int c = !have_c   ? 1
			: !have_o ? -1
				  : cmp_bytes(it->k.mv_data, it->k.mv_size, it->v->arena + o->off,
					      o->keylen);
		if (c < 0 || !o) {
			int r = hotlist_entry_unpack(it->d.mv_data, it->d.mv_size, it->list, e);
			iter_advance_cursor(it, false);
			return r < 0 ? r : 1;
		}
		/* The overlay decides for its key (present: its entry; absent: skip). */
		it->oi++;
		if (c == 0) {
			iter_advance_cursor(it, false);
		}
		if (o->packlen) {
			int r = hotlist_entry_unpack(it->v->arena + o->off + o->keylen, o->packlen,
						     it->list, e);
			return r < 0 ? r : 1;
		}
	}
}

int hotlist_versions(struct hotlist *h, const char *list, uint64_t *oldest, uint64_t *current)
{
	struct hotlist_list_rec rec;
	MDB_txn *txn;
	int r = hotlist_mdb_err(mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn));

	if (r < 0) {
		return r;
	}
	r = hotlist_list_rec_get(h, txn, list, &rec);
	mdb_txn_abort(txn);
	if (r == 0) {
		*oldest = rec.oldest_version;
		*current = rec.version;
	}
	return r;
}

/* Runs @fn over every entry of version @version of @list, in key order, inside one read
 * transaction; fills *rec with the list record at that version. */
static int foreach_version(struct hotlist *h, const char *list, uint64_t version,
			   struct hotlist_list_rec *rec,
			   int (*fn)(const struct hotlist_entry *e, void *ud), void *ud)
{
	struct version_view v;
	struct view_iter it;
	struct hotlist_entry e;
	MDB_txn *txn;
	int r;

	r = hotlist_mdb_err(mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn));
	if (r < 0) {
		return r;
	}
	r = view_build(h, txn, list, version, &v);
	if (r < 0) {
		mdb_txn_abort(txn);
		return r;
	}
	if (rec) {
		*rec = v.rec;
	}
	r = iter_init(&it, h, txn, list, &v);
	while (r == 0 && (r = iter_next(&it, &e)) == 1) {
		r = fn(&e, ud);
	}
	iter_finish(&it);
	view_free(&v);
	mdb_txn_abort(txn);
	return r;
}

/* ---- CSV export ---- */

static void csv_field(FILE *f, const char *s, bool last)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"') {
				fputc('"', f);
			}
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static const char csv_header[] =
	"plate,state,source_record_id,plate_raw,plate_type,plate_year,category,reason,make,"
	"model,year,color,style,vin,source,agency,case_number,entered_at,effective_at,expires_at,"
	"entered_by,covert\n";

static int export_one(const struct hotlist_entry *e, void *ud)
{
	FILE *f = ud;
	char line[HOTLIST_LINE_MAX];
	char *fields[32];
	size_t n = 0;

	/* The canonical line has the export's columns in the same order. */
	hotlist_entry_line(e, line, sizeof(line));
	fields[n++] = line;
	for (char *p = line; *p; p++) {
		if (*p == '\t') {
			*p = '\0';
			fields[n++] = p + 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		csv_field(f, fields[i], i + 1 == n);
	}
	return ferror(f) ? -EIO : 0;
}

int hotlist_export_csv(struct hotlist *h, const char *list, uint64_t version, FILE *out)
{
	uint64_t oldest, current;
	int r = hotlist_versions(h, list, &oldest, &current);

	/* Nothing is written for a version that is not kept (not even the header). */
	if (r < 0) {
		return r;
	}
	if (version != 0 && (version < oldest || version > current)) {
		return -ENOENT;
	}
	fputs(csv_header, out);
	return foreach_version(h, list, version, NULL, export_one, out);
}

/* ---- diff ---- */

/* The entry at @key in a view: its overlay's, else the current entries'. 1 present,
 * 0 absent, negative on error. */
static int view_get(struct hotlist *h, MDB_txn *txn, const char *list, const struct version_view *v,
		    const struct ov_rec *o, const void *key, size_t kl, struct hotlist_entry *e)
{
	if (o) {
		if (!o->packlen) {
			return 0;
		}
		int r = hotlist_entry_unpack(v->arena + o->off + o->keylen, o->packlen, list, e);
		return r < 0 ? r : 1;
	}
	MDB_val d;
	int r = hotlist_entry_get(h, txn, key, kl, &d);
	if (r == -ENOENT) {
		return 0;
	}
	if (r < 0) {
		return r;
	}
	r = hotlist_entry_unpack(d.mv_data, d.mv_size, list, e);
	return r < 0 ? r : 1;
}

static int diff_overlays(struct hotlist *h, MDB_txn *txn, const char *list,
			 const struct version_view *va, const struct version_view *vb,
			 int (*fn)(enum hotlist_change_op op, const struct hotlist_entry *old_e,
				   const struct hotlist_entry *new_e, void *userdata),
			 void *userdata)
{
	size_t i = 0, j = 0;
	int r = 0;

	while (r == 0 && (i < va->n || j < vb->n)) {
		const struct ov_rec *oa = i < va->n ? &va->recs[i] : NULL;
		const struct ov_rec *ob = j < vb->n ? &vb->recs[j] : NULL;
		int c = !oa   ? 1
			: !ob ? -1
			      : cmp_bytes(va->arena + oa->off, oa->keylen, vb->arena + ob->off,
					  ob->keylen);
		const struct version_view *kv = c <= 0 ? va : vb;
		const struct ov_rec *ko = c <= 0 ? oa : ob;
		if (!ko) {
			return -EINVAL; /* unreachable: the loop runs while one overlay has keys */
		}
		const void *key = kv->arena + ko->off;
		size_t kl = ko->keylen;
		struct hotlist_entry ea, eb;
		int pa = view_get(h, txn, list, va, c <= 0 ? oa : NULL, key, kl, &ea);
		int pb = view_get(h, txn, list, vb, c >= 0 ? ob : NULL, key, kl, &eb);
		i += c <= 0;
		j += c >= 0;
		if (pa < 0 || pb < 0) {
			return pa < 0 ? pa : pb;
		}
		if (pa && !pb) {
			r = fn(HOTLIST_CHANGE_REMOVE, &ea, NULL, userdata);
		} else if (!pa && pb) {
			r = fn(HOTLIST_CHANGE_ADD, NULL, &eb, userdata);
		} else if (pa && pb) {
			char la[HOTLIST_LINE_MAX], lb[HOTLIST_LINE_MAX];
			hotlist_entry_line(&ea, la, sizeof(la));
			hotlist_entry_line(&eb, lb, sizeof(lb));
			if (strcmp(la, lb) != 0) {
				r = fn(HOTLIST_CHANGE_UPDATE, &ea, &eb, userdata);
			}
		}
	}
	return r;
}

int hotlist_diff(struct hotlist *h, const char *list, uint64_t from, uint64_t to,
		 int (*fn)(enum hotlist_change_op op, const struct hotlist_entry *old_e,
			   const struct hotlist_entry *new_e, void *userdata),
		 void *userdata)
{
	struct version_view va, vb;
	struct view_iter ia, ib;
	struct hotlist_entry ea, eb;
	char ka[HOTLIST_KEY_MAX + 1], kb[HOTLIST_KEY_MAX + 1];
	MDB_txn *txn;
	int r, ra, rb;

	r = hotlist_mdb_err(mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn));
	if (r < 0) {
		return r;
	}
	r = view_build(h, txn, list, from, &va);
	if (r < 0) {
		mdb_txn_abort(txn);
		return r;
	}
	r = view_build(h, txn, list, to, &vb);
	if (r < 0) {
		view_free(&va);
		mdb_txn_abort(txn);
		return r;
	}
	if (!va.cleared && !vb.cleared) {
		/* Both versions are the current entries with an overlay: they can only differ
		 * where an overlay has a key, so only those keys are compared (a delta between
		 * close versions costs its changes, not the size of the list). */
		r = diff_overlays(h, txn, list, &va, &vb, fn, userdata);
		view_free(&va);
		view_free(&vb);
		mdb_txn_abort(txn);
		return r;
	}
	iter_init(&ia, h, txn, list, &va);
	iter_init(&ib, h, txn, list, &vb);
	ra = iter_next(&ia, &ea);
	rb = iter_next(&ib, &eb);
	r = 0;
	while (r == 0 && (ra == 1 || rb == 1)) {
		int c;
		if (ra == 1 && rb == 1) {
			size_t la = hotlist_entry_key(&ea, ka), lb = hotlist_entry_key(&eb, kb);
			c = cmp_bytes(ka, la, kb, lb);
		} else {
			c = ra == 1 ? -1 : 1;
		}
		if (c < 0) {
			r = fn(HOTLIST_CHANGE_REMOVE, &ea, NULL, userdata);
			ra = iter_next(&ia, &ea);
		} else if (c > 0) {
			r = fn(HOTLIST_CHANGE_ADD, NULL, &eb, userdata);
			rb = iter_next(&ib, &eb);
		} else {
			char la[HOTLIST_LINE_MAX], lb[HOTLIST_LINE_MAX];
			hotlist_entry_line(&ea, la, sizeof(la));
			hotlist_entry_line(&eb, lb, sizeof(lb));
			if (strcmp(la, lb) != 0) {
				r = fn(HOTLIST_CHANGE_UPDATE, &ea, &eb, userdata);
			}
			ra = iter_next(&ia, &ea);
			rb = iter_next(&ib, &eb);
		}
	}
	if (r == 0 && (ra < 0 || rb < 0)) {
		r = ra < 0 ? ra : rb;
	}
	iter_finish(&ia);
	iter_finish(&ib);
	view_free(&va);
	view_free(&vb);
	mdb_txn_abort(txn);
	return r;
}

/* ---- keys and signatures ---- */

int hotlist_keygen(const char *priv_path, const char *pub_path)
{
	EVP_PKEY *key = NULL;
	FILE *f = NULL;
	int fd, r = -EIO;

	if (access(priv_path, F_OK) == 0 || access(pub_path, F_OK) == 0) {
		return -EEXIST;
	}
	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!key) {
		return -EIO;
	}
	fd = open(priv_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f || !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) || fflush(f) ||
	    fsync(fileno(f))) {
		goto out;
	}
	fclose(f);
	f = fopen(pub_path, "wx");
	if (!f || !PEM_write_PUBKEY(f, key)) {
		goto out;
	}
	r = 0;
out:
	if (f) {
		fclose(f);
	} else if (fd >= 0 && r < 0) {
		close(fd);
	}
	EVP_PKEY_free(key);
	return r;
}

static EVP_PKEY *load_key(const char *path, bool private_key)
{
	_autofree_ char *pem = NULL;
	size_t len;
	EVP_PKEY *key;
	BIO *bio;

	if (alpr_read_file(path, KEY_FILE_MAX, &pem, &len) < 0) {
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	key = private_key ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
			  : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key && EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

static int ed25519_sign(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[64])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = 64;
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
		 EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == 64;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

static bool ed25519_verify(EVP_PKEY *key, const void *msg, size_t len, const uint8_t sig[64])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
		  EVP_DigestVerify(ctx, sig, 64, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* Appends "signature HEX\n" over @buf[0..*len) (which has room for it). */
static int sign_append(const char *priv_path, char *buf, size_t *len, size_t cap)
{
	uint8_t sig[64];
	char hex[129];
	EVP_PKEY *key = load_key(priv_path, true);
	int r;

	if (!key) {
		return -EINVAL;
	}
	r = ed25519_sign(key, buf, *len, sig);
	EVP_PKEY_free(key);
	if (r < 0) {
		return r;
	}
	alpr_hex_encode(sig, 64, hex);
	int n = snprintf(buf + *len, cap - *len, "signature %s\n", hex);
	if (n < 0 || (size_t)n >= cap - *len) {
		return -ENOSPC;
	}
	*len += (size_t)n;
	return 0;
}

/* Splits a signed file into the signed part and the signature, and verifies it. */
static int verify_signed(const char *text, size_t len, const char *pub_path, size_t *body_len,
			 char *err, size_t errsz)
{
	uint8_t sig[64];
	EVP_PKEY *key;
	const char *p;

	if (len < 140 || text[len - 1] != '\n') {
		snprintf(err, errsz, "no signature line at the end");
		return -ALPR_E_SIGNATURE;
	}
	/* The last line: "signature " + 128 hex + "\n". */
	p = text + len - 1 - 128 - 10;
	if ((p != text && p[-1] != '\n') || memcmp(p, "signature ", 10) != 0 ||
	    alpr_hex_decode(p + 10, 128, sig, 64) < 0) {
		snprintf(err, errsz, "no signature line at the end");
		return -ALPR_E_SIGNATURE;
	}
	key = load_key(pub_path, false);
	if (!key) {
		snprintf(err, errsz, "%s: not an Ed25519 public key (PEM)", pub_path);
		return -EINVAL;
	}
	bool ok = ed25519_verify(key, text, (size_t)(p - text), sig);
	EVP_PKEY_free(key);
	if (!ok) {
		snprintf(err, errsz, "the signature does not verify with %s", pub_path);
		return -ALPR_E_SIGNATURE;
	}
	*body_len = (size_t)(p - text);
	return 0;
}

/* The content digest of a version, recomputed from its entries. */
struct digest_acc {
	struct hotlist_sum sum;
	uint64_t count;
};

static int digest_one(const struct hotlist_entry *e, void *ud)
{
	struct digest_acc *a = ud;
	char line[HOTLIST_LINE_MAX];
	size_t n = hotlist_entry_line(e, line, sizeof(line));
	hotlist_sum_add(&a->sum, line, n, false);
	a->count++;
	return 0;
}

static int manifest(struct hotlist *h, const char *list, uint64_t version, char *buf, size_t cap,
		    size_t *len)
{
	struct hotlist_list_rec rec;
	struct digest_acc acc = {0};
	uint8_t digest[32];
	char hex[65], when[ALPR_TIME_BUFSZ];
	int r = foreach_version(h, list, version, &rec, digest_one, &acc);

	if (r < 0) {
		return r;
	}
	hotlist_sum_digest(&acc.sum, list, acc.count, digest);
	alpr_hex_encode(digest, 32, hex);
	int n = snprintf(buf, cap,
			 "alpr-hotlist-signature 1\nlist %s\nversion %llu\nentry_count %llu\n"
			 "priority %d\nalert_level %d\ngenerated_at %s\ndigest %s\n",
			 list, (unsigned long long)rec.version, (unsigned long long)acc.count,
			 rec.priority, rec.alert_level,
			 alpr_time_format(rec.generated_at, when, sizeof(when)), hex);
	*len = (size_t)n;
	return 0;
}

int hotlist_sign(struct hotlist *h, const char *list, uint64_t version, const char *priv_path,
		 const char *out_path)
{
	char buf[1024];
	size_t len;
	int r = manifest(h, list, version, buf, sizeof(buf), &len);

	if (r < 0) {
		return r;
	}
	r = sign_append(priv_path, buf, &len, sizeof(buf));
	if (r < 0) {
		return r;
	}
	return alpr_write_file_atomic(out_path, buf, len, 0644);
}

/* Reads "name value\n" header lines. Returns the value's start or NULL. */
static const char *header_value(const char *text, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol) {
			break;
		}
		if ((size_t)(eol - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == ' ') {
			*vlen = (size_t)(eol - p - nl - 1);
			return p + nl + 1;
		}
		if (*p == '+' || *p == '-') {
			break; /* the changes start: no more headers */
		}
		p = eol + 1;
	}
	return NULL;
}

static int header_u64(const char *text, size_t len, const char *name, uint64_t *out)
{
	size_t vl;
	int64_t v;
	const char *s = header_value(text, len, name, &vl);
	if (!s || alpr_parse_int64(s, vl, 0, INT64_MAX, &v) < 0) {
		return -ALPR_E_PARSE;
	}
	*out = (uint64_t)v;
	return 0;
}

static int header_str(const char *text, size_t len, const char *name, char *out, size_t cap)
{
	size_t vl;
	const char *s = header_value(text, len, name, &vl);
	if (!s || vl >= cap) {
		return -ALPR_E_PARSE;
	}
	memcpy(out, s, vl);
	out[vl] = '\0';
	return 0;
}

static int header_digest(const char *text, size_t len, const char *name, uint8_t out[32])
{
	size_t vl;
	const char *s = header_value(text, len, name, &vl);
	if (!s || alpr_hex_decode(s, vl, out, 32) < 0) {
		return -ALPR_E_PARSE;
	}
	return 0;
}

int hotlist_verify(struct hotlist *h, const char *sig_path, const char *pub_path, char *err,
		   size_t errsz)
{
	_autofree_ char *text = NULL;
	char list[HOTLIST_LIST_NAME_MAX + 1], mine[1024];
	uint64_t version;
	size_t len, body, mlen;
	int r;

	r = alpr_read_file(sig_path, SIG_FILE_MAX, &text, &len);
	if (r < 0) {
		snprintf(err, errsz, "%s: %s", sig_path, alpr_strerror(r));
		return r;
	}
	r = verify_signed(text, len, pub_path, &body, err, errsz);
	if (r < 0) {
		return r;
	}
	if (header_str(text, body, "list", list, sizeof(list)) < 0 ||
	    header_u64(text, body, "version", &version) < 0 || version == 0) {
		snprintf(err, errsz, "%s: list, version: missing or malformed", sig_path);
		return -ALPR_E_PARSE;
	}
	r = manifest(h, list, version, mine, sizeof(mine), &mlen);
	if (r < 0) {
		snprintf(err, errsz, "%s: list %s version %llu: %s", sig_path, list,
			 (unsigned long long)version,
			 r == -ENOENT ? "not in this database (or no longer kept)"
				      : alpr_strerror(r));
		return r;
	}
	if (mlen != body || memcmp(mine, text, body) != 0) {
		snprintf(err, errsz,
			 "%s: list %s version %llu: the entries in the database differ from what "
			 "was signed",
			 sig_path, list, (unsigned long long)version);
		return -ALPR_E_SIGNATURE;
	}
	return 0;
}

/* ---- signed deltas ---- */

struct delta_writer {
	char *buf;
	size_t len, cap;
	uint64_t changes;
};

static void dw_append(struct delta_writer *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		w->cap = ALPR_MAX(w->cap * 2, w->len + n + 65536);
		w->buf = alpr_xrealloc(w->buf, w->cap);
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static int delta_one(enum hotlist_change_op op, const struct hotlist_entry *old_e,
		     const struct hotlist_entry *new_e, void *ud)
{
	struct delta_writer *w = ud;
	char line[HOTLIST_LINE_MAX + 2];

	if (op == HOTLIST_CHANGE_REMOVE) {
		int n = snprintf(line, sizeof(line), "-%s\t%s\t%s\n", old_e->plate, old_e->state,
				 old_e->source_record_id);
		dw_append(w, line, (size_t)n);
	} else {
		line[0] = '+';
		size_t n = hotlist_entry_line(new_e, line + 1, sizeof(line) - 2);
		line[1 + n] = '\n';
		dw_append(w, line, n + 2);
	}
	w->changes++;
	return 0;
}

static int snapshot_one(const struct hotlist_entry *e, void *ud)
{
	return delta_one(HOTLIST_CHANGE_ADD, NULL, e, ud);
}

int hotlist_delta_write(struct hotlist *h, const char *list, uint64_t from, uint64_t to,
			const char *priv_path, const char *out_path)
{
	struct delta_writer body = {0}, out = {0};
	struct hotlist_list_rec rf, rt;
	struct version_view vf, vt;
	uint8_t df[32], dt[32];
	char hf[65], ht[65], head[1024], when[ALPR_TIME_BUFSZ];
	MDB_txn *txn;
	int r;

	/* The list records at both ends (for versions, counts and digests). */
	r = hotlist_mdb_err(mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn));
	if (r < 0) {
		return r;
	}
	if (to == 0) {
		struct hotlist_list_rec cur;
		r = hotlist_list_rec_get(h, txn, list, &cur);
		to = cur.version;
	}
	if (r == 0 && from >= to) {
		r = -EINVAL;
	}
	if (r == 0 && from == 0) {
		memset(&vf, 0, sizeof(vf)); /* a snapshot: the base is the empty list */
	} else if (r == 0) {
		r = view_build(h, txn, list, from, &vf);
	}
	if (r == 0) {
		r = view_build(h, txn, list, to, &vt);
		if (r < 0) {
			view_free(&vf);
		}
	}
	mdb_txn_abort(txn);
	if (r < 0) {
		return r;
	}
	rf = vf.rec;
	rt = vt.rec;
	view_free(&vf);
	view_free(&vt);
	if (from == 0) {
		/* A snapshot: every entry of the target is an addition to the empty list. */
		memset(&rf, 0, sizeof(rf));
		r = foreach_version(h, list, to, NULL, snapshot_one, &body);
	} else {
		r = hotlist_diff(h, list, from, to, delta_one, &body);
	}
	if (r < 0) {
		free(body.buf);
		return r;
	}
	hotlist_sum_digest(&rf.sum, list, rf.entry_count, df);
	hotlist_sum_digest(&rt.sum, list, rt.entry_count, dt);
	alpr_hex_encode(df, 32, hf);
	alpr_hex_encode(dt, 32, ht);
	int n = snprintf(
		head, sizeof(head),
		"alpr-hotlist-delta 1\nlist %s\nbase_version %llu\nbase_count %llu\n"
		"base_digest %s\ntarget_version %llu\ntarget_count %llu\ntarget_digest %s\n"
		"priority %d\nalert_level %d\ngenerated_at %s\nchanges %llu\n",
		list, (unsigned long long)from, (unsigned long long)rf.entry_count, hf,
		(unsigned long long)rt.version, (unsigned long long)rt.entry_count, ht, rt.priority,
		rt.alert_level, alpr_time_format(rt.generated_at, when, sizeof(when)),
		(unsigned long long)body.changes);
	dw_append(&out, head, (size_t)n);
	dw_append(&out, body.buf ? body.buf : "", body.len);
	free(body.buf);
	dw_append(&out, "", 0);
	if (out.cap < out.len + 200) {
		out.buf = alpr_xrealloc(out.buf, out.len + 200);
		out.cap = out.len + 200;
	}
	r = sign_append(priv_path, out.buf, &out.len, out.cap);
	if (r == 0) {
		r = alpr_write_file_atomic(out_path, out.buf, out.len, 0644);
	}
	free(out.buf);
	return r;
}

int hotlist_delta_apply(struct hotlist *h, const char *path, const char *pub_path,
			uint64_t *new_version, char *err, size_t errsz)
{
	_autofree_ char *text = NULL;
	struct hotlist_list_rec cur;
	struct hotlist_batch_result br;
	struct hotlist_batch *b = NULL;
	char list[HOTLIST_LIST_NAME_MAX + 1];
	uint64_t base, base_count, target, target_count, nchanges, seen = 0;
	uint8_t base_digest[32], target_digest[32], mine[32];
	int64_t prio, alert, generated_at;
	size_t len, body, vl;
	const char *s;
	MDB_txn *txn = NULL;
	int r;

	int64_t t0 = alpr_monotonic_us();
	r = alpr_read_file(path, DELTA_FILE_MAX, &text, &len);
	if (r < 0) {
		snprintf(err, errsz, "%s: %s", path, alpr_strerror(r));
		return r;
	}
	r = verify_signed(text, len, pub_path, &body, err, errsz);
	if (r < 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errsz, "%s: %s (nothing applied)", path, why);
		return r;
	}
	if (body < 21 || memcmp(text, "alpr-hotlist-delta 1\n", 21) != 0) {
		snprintf(err, errsz, "%s: not a hotlist delta (first line)", path);
		return -ALPR_E_PARSE;
	}
	if (header_str(text, body, "list", list, sizeof(list)) < 0 ||
	    !hotlist_list_name_valid(list) || header_u64(text, body, "base_version", &base) < 0 ||
	    header_u64(text, body, "base_count", &base_count) < 0 ||
	    header_u64(text, body, "target_version", &target) < 0 ||
	    header_u64(text, body, "target_count", &target_count) < 0 ||
	    header_u64(text, body, "changes", &nchanges) < 0 ||
	    header_digest(text, body, "base_digest", base_digest) < 0 ||
	    header_digest(text, body, "target_digest", target_digest) < 0 ||
	    !(s = header_value(text, body, "priority", &vl)) ||
	    alpr_parse_int64(s, vl, -1000, 1000, &prio) < 0 ||
	    !(s = header_value(text, body, "alert_level", &vl)) ||
	    alpr_parse_int64(s, vl, 0, 2, &alert) < 0 ||
	    !(s = header_value(text, body, "generated_at", &vl)) ||
	    alpr_time_parse(s, vl, &generated_at) < 0 || target <= base) {
		snprintf(err, errsz, "%s: header: missing or malformed field", path);
		return -ALPR_E_PARSE;
	}
	r = hotlist_wtxn_begin(h, &txn);
	if (r < 0) {
		return r;
	}
	r = hotlist_list_rec_get(h, txn, list, &cur);
	if (r == -ENOENT) {
		memset(&cur, 0, sizeof(cur));
		r = 0;
	}
	if (r < 0) {
		goto fail;
	}
	if (target <= cur.version) {
		snprintf(err, errsz,
			 "%s: list %s: version %llu is not newer than the current %llu (nothing "
			 "applied)",
			 path, list, (unsigned long long)target, (unsigned long long)cur.version);
		r = -ALPR_E_BASE;
		goto fail;
	}
	if (base != 0) {
		hotlist_sum_digest(&cur.sum, list, cur.entry_count, mine);
		if (base != cur.version || memcmp(mine, base_digest, 32) != 0) {
			snprintf(err, errsz,
				 "%s: list %s: the delta's base is version %llu, this unit has "
				 "%llu%s (nothing applied)",
				 path, list, (unsigned long long)base,
				 (unsigned long long)cur.version,
				 base == cur.version ? " with other content" : "");
			r = -ALPR_E_BASE;
			goto fail;
		}
	}
	/* Parse every change before touching the database. */
	b = hotlist_batch_new();
	const char *p = memchr(text, '\n', body);
	uint64_t lineno = 1;
	for (p = p ? p + 1 : text + body; p < text + body;) {
		const char *eol = memchr(p, '\n', (size_t)(text + body - p));
		lineno++;
		if (!eol) {
			break;
		}
		size_t ln = (size_t)(eol - p);
		if (ln > 0 && (*p == '+' || *p == '-')) {
			struct hotlist_entry e;
			char why[300];
			if (*p == '+') {
				r = hotlist_entry_from_line(p + 1, ln - 1, list, &e, why,
							    sizeof(why));
				if (r == 0 && policy_category_refused(h->policy, e.category)) {
					snprintf(why, sizeof(why),
						 "category: %s is refused by policy profile %s",
						 policy_category_name(e.category),
						 policy_name(h->policy));
					r = -ALPR_E_REFUSED;
				}
				if (r == 0) {
					hotlist_batch_put(b, &e);
				}
			} else {
				char plate[HOTLIST_PLATE_MAX + 1], state[3],
					rid[HOTLIST_SHORT_MAX + 1];
				char key[HOTLIST_KEY_MAX + 1];
				const char *t1 = memchr(p + 1, '\t', ln - 1);
				const char *t2 =
					t1 ? memchr(t1 + 1, '\t', (size_t)(eol - t1 - 1)) : NULL;
				r = -ALPR_E_PARSE;
				snprintf(why, sizeof(why), "removal: malformed");
				if (t2 && (size_t)(t1 - p - 1) <= HOTLIST_PLATE_MAX &&
				    t2 - t1 - 1 == 2 &&
				    (size_t)(eol - t2 - 1) <= HOTLIST_SHORT_MAX) {
					memcpy(plate, p + 1, (size_t)(t1 - p - 1));
					plate[t1 - p - 1] = '\0';
					memcpy(state, t1 + 1, 2);
					state[2] = '\0';
					memcpy(rid, t2 + 1, (size_t)(eol - t2 - 1));
					rid[eol - t2 - 1] = '\0';
					struct hotlist_entry k = {0};
					alpr_strlcpy(k.plate, plate, sizeof(k.plate));
					alpr_strlcpy(k.state, state, sizeof(k.state));
					alpr_strlcpy(k.list, list, sizeof(k.list));
					alpr_strlcpy(k.source_record_id, rid,
						     sizeof(k.source_record_id));
					size_t kl = hotlist_entry_key(&k, key);
					hotlist_batch_del(b, key, kl);
					r = 0;
				}
			}
			if (r < 0) {
				snprintf(err, errsz, "%s:%llu: %s (nothing applied)", path,
					 (unsigned long long)lineno, why);
				goto fail;
			}
			seen++;
		}
		p = eol + 1;
	}
	if (seen != nchanges) {
		snprintf(err, errsz, "%s: changes: the header says %llu, the body has %llu", path,
			 (unsigned long long)nchanges, (unsigned long long)seen);
		r = -ALPR_E_PARSE;
		goto fail;
	}
	int64_t t1 = alpr_monotonic_us();
	/* A snapshot (base 0) replaces whatever the list holds. */
	r = hotlist_batch_apply(h, txn, list, b, base == 0, target, &br);
	int64_t t2 = alpr_monotonic_us();
	if (r < 0) {
		snprintf(err, errsz, "%s: %s (nothing applied)", path, alpr_strerror(r));
		goto fail;
	}
	br.rec.priority = (int32_t)prio;
	br.rec.alert_level = (int32_t)alert;
	/* The version is the station's: its time too (list age, and the signature over the
	 * version's manifest, depend on it). */
	br.rec.generated_at = generated_at;
	hotlist_sum_digest(&br.rec.sum, list, br.rec.entry_count, mine);
	if (br.rec.entry_count != target_count || memcmp(mine, target_digest, 32) != 0 ||
	    br.missing) {
		snprintf(err, errsz,
			 "%s: list %s: the result does not match the delta's target digest "
			 "(nothing applied)",
			 path, list);
		r = -ALPR_E_BASE;
		goto fail;
	}
	r = hotlist_list_rec_put(h, txn, list, &br.rec);
	if (r < 0) {
		goto fail;
	}
	r = hotlist_mdb_err(mdb_txn_commit(txn));
	txn = NULL;
	if (r < 0) {
		snprintf(err, errsz, "%s: %s (nothing applied)", path, alpr_strerror(r));
		goto fail;
	}
	alpr_debug("hotlist", "delta %s: verify and parse %.3f s, apply %.3f s, commit %.3f s",
		   path, (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6,
		   (double)(alpr_monotonic_us() - t2) / 1e6);
	if (new_version) {
		*new_version = target;
	}
	hotlist_batch_free(b);
	return 0;
fail:
	if (txn) {
		mdb_txn_abort(txn);
	}
	hotlist_batch_free(b);
	return r;
}
