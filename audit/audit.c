/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The audit log: records and checkpoints in LMDB, SHA-256 chain, Ed25519 checkpoints.
 * Formats: docs/audit-format.md. Cleanup style in this file: a single forward `goto out`.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <lmdb.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "audit-private.h"
#include "audit.h"
#include "common.h"

#define SUBSYS "audit"

/* A PEM key is a few hundred bytes; anything much larger is not a key. */
#define KEY_FILE_MAX 16384
/* The station's checkpoint file is about 400 bytes of JSON. */
#define CHECKPOINT_FILE_MAX 4096
#define CHECKPOINT_FORMAT   "alpr-audit-checkpoint/1"
/* Domain separation: a checkpoint signature can never be mistaken for a hotlist signature. */
#define CHECKPOINT_SIG_TAG "alpr-audit-checkpoint/1"
/* version, seq, record hash, time, device length; then the device id and the signature. */
#define CHECKPOINT_FIXED   53
#define CHECKPOINT_MAX     (CHECKPOINT_FIXED + AUDIT_DEVICE_MAX + AUDIT_SIG_LEN)
#define CHECKPOINT_MSG_MAX (sizeof(CHECKPOINT_SIG_TAG) + CHECKPOINT_FIXED - 1 + AUDIT_DEVICE_MAX)
#define DEFAULT_MAP_SIZE   ((size_t)1 << 30)
#define META_VERSION       "version"
#define META_DEVICE        "device"
#define META_PUBKEY        "pubkey"
#define PUBKEY_LEN         AUDIT_PUBKEY_LEN

struct audit {
	MDB_env *env;
	MDB_dbi records;
	MDB_dbi checkpoints;
	MDB_dbi meta;
	bool read_only;
	char dir[PATH_MAX];
	char device[AUDIT_DEVICE_MAX + 1];
	EVP_PKEY *key; /* the private device key; NULL on a read-only handle */
	uint8_t pubkey[PUBKEY_LEN];
	bool have_pubkey;
	const struct alpr_clock *clock;
	atomic_int time_source;
	uint64_t every_n;
	int64_t every_us;
};

/* ---- small helpers --------------------------------------------------------------------- */

const char *audit_time_source_name(enum audit_time_source src)
{
	static const char *const names[] = {"system", "ntp", "gps", "manual"};
	return (unsigned)src < ALPR_ARRAY_SIZE(names) ? names[src] : "?";
}

const char *audit_outcome_name(enum audit_outcome o)
{
	static const char *const names[] = {"allowed", "denied"};
	return (unsigned)o < ALPR_ARRAY_SIZE(names) ? names[o] : "?";
}

/* LMDB's codes stop here (STYLE.md). System errors come back from LMDB as positive errno. */
static int mdb_error(int rc, const char *what)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
		return -ENOSPC;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		alpr_error(SUBSYS, "%s: %s", what, mdb_strerror(rc));
		return -ALPR_E_CORRUPT;
	default:
		if (rc > 0) {
			return -rc;
		}
		alpr_error(SUBSYS, "%s: %s", what, mdb_strerror(rc));
		return -EIO;
	}
}

static int crypto_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	alpr_error(SUBSYS, "%s: %s", what, e ? buf : "libcrypto failure");
	ERR_clear_error();
	return -EIO;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void audit_seq_key(uint64_t seq, uint8_t key[8])
{
	put_be64(key, seq);
}

void audit_sha256(const void *data, size_t len, uint8_t out[AUDIT_HASH_LEN])
{
	unsigned int n = AUDIT_HASH_LEN;

	if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL)) {
		/* Only on allocation failure inside libcrypto: treat like a failed malloc. */
		crypto_error("SHA-256");
		abort();
	}
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF, no NUL. */
static bool utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp;

		if (c == 0) {
			return false;
		} else if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n) {
			return false;
		}
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				return false;
			}
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			return false;
		}
		i += n + 1;
	}
	return true;
}

/* A device id goes into file names and JSON: keep it to a safe alphabet. */
static bool device_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > AUDIT_DEVICE_MAX) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':')) {
			return false;
		}
	}
	return true;
}

/* ---- record codec ---------------------------------------------------------------------- */

/* The text fields in their encoded order, with their caps. */
static const size_t text_caps[AUDIT_RECORD_TEXTS] = {
	AUDIT_DEVICE_MAX, AUDIT_TEXT_MAX, AUDIT_TEXT_MAX, AUDIT_TEXT_MAX, AUDIT_PARAMS_MAX,
	AUDIT_TEXT_MAX,   AUDIT_TEXT_MAX, AUDIT_TEXT_MAX, AUDIT_TEXT_MAX,
};
static const char *const text_names[AUDIT_RECORD_TEXTS] = {
	"device",  "user",        "role",      "action", "params",
	"purpose", "case_number", "object_id", "reason",
};

static void record_texts(const struct audit_record *rec, const char *t[AUDIT_RECORD_TEXTS])
{
	t[0] = rec->device;
	t[1] = rec->user;
	t[2] = rec->role;
	t[3] = rec->action;
	t[4] = rec->params;
	t[5] = rec->purpose;
	t[6] = rec->case_number;
	t[7] = rec->object_id;
	t[8] = rec->reason;
}

static const char **record_text_slot(struct audit_record *rec, size_t i)
{
	const char **slots[AUDIT_RECORD_TEXTS] = {
		&rec->device,  &rec->user,        &rec->role,      &rec->action, &rec->params,
		&rec->purpose, &rec->case_number, &rec->object_id, &rec->reason,
	};
	return slots[i];
}

int audit_record_encode(const struct audit_record *rec, uint8_t *buf, size_t cap, size_t *len)
{
	const char *t[AUDIT_RECORD_TEXTS];
	size_t pos = AUDIT_RECORD_FIXED;

	if ((unsigned)rec->time_source >= AUDIT_TIME_COUNT ||
	    (unsigned)rec->outcome >= AUDIT_OUTCOME_COUNT || cap < AUDIT_RECORD_FIXED) {
		return -EINVAL;
	}
	buf[0] = AUDIT_RECORD_VERSION;
	put_be64(buf + 1, rec->seq);
	put_be64(buf + 9, (uint64_t)rec->time_us);
	buf[17] = (uint8_t)rec->time_source;
	buf[18] = (uint8_t)rec->outcome;
	put_be64(buf + 19, rec->result_count);
	memcpy(buf + 27, rec->results_hash, AUDIT_HASH_LEN);
	memcpy(buf + 59, rec->profile_hash, AUDIT_HASH_LEN);
	memcpy(buf + 91, rec->prev_hash, AUDIT_HASH_LEN);
	record_texts(rec, t);
	for (size_t i = 0; i < AUDIT_RECORD_TEXTS; i++) {
		const char *s = t[i] ? t[i] : "";
		size_t n = strlen(s);

		if (n > text_caps[i]) {
			alpr_debug(SUBSYS, "%s: %zu bytes, over the cap of %zu", text_names[i], n,
				   text_caps[i]);
			return -EINVAL;
		}
		if (!utf8_valid((const uint8_t *)s, n)) {
			alpr_debug(SUBSYS, "%s: not UTF-8", text_names[i]);
			return -EINVAL;
		}
		if (cap - pos < 4 + n) {
			return -EINVAL;
		}
		put_be32(buf + pos, (uint32_t)n);
		memcpy(buf + pos + 4, s, n);
		pos += 4 + n;
	}
	*len = pos;
	return 0;
}

int audit_record_decode(const uint8_t *data, size_t len, struct audit_decoded *out,
			const char **why)
{
	const char *dummy;
	size_t pos = AUDIT_RECORD_FIXED, tpos = 0;
	struct audit_record *rec = &out->rec;

	if (!why) {
		why = &dummy;
	}
	memset(rec, 0, sizeof(*rec));
	if (len < AUDIT_RECORD_FIXED) {
		*why = "shorter than a record";
		return -ALPR_E_CORRUPT;
	}
	if (data[0] != AUDIT_RECORD_VERSION) {
		*why = "unknown record version";
		return -ALPR_E_CORRUPT;
	}
	if (data[17] >= AUDIT_TIME_COUNT || data[18] >= AUDIT_OUTCOME_COUNT) {
		*why = "time source or outcome out of range";
		return -ALPR_E_CORRUPT;
	}
	rec->seq = get_be64(data + 1);
	rec->time_us = (int64_t)get_be64(data + 9);
	rec->time_source = (enum audit_time_source)data[17];
	rec->outcome = (enum audit_outcome)data[18];
	rec->result_count = get_be64(data + 19);
	memcpy(rec->results_hash, data + 27, AUDIT_HASH_LEN);
	memcpy(rec->profile_hash, data + 59, AUDIT_HASH_LEN);
	memcpy(rec->prev_hash, data + 91, AUDIT_HASH_LEN);
	for (size_t i = 0; i < AUDIT_RECORD_TEXTS; i++) {
		uint32_t n;

		if (len - pos < 4) {
			*why = "truncated text field";
			return -ALPR_E_CORRUPT;
		}
		n = get_be32(data + pos);
		pos += 4;
		if (n > text_caps[i] || len - pos < n) {
			*why = "text field over its cap or past the end";
			return -ALPR_E_CORRUPT;
		}
		if (!utf8_valid(data + pos, n)) {
			*why = "text field not UTF-8";
			return -ALPR_E_CORRUPT;
		}
		memcpy(out->text + tpos, data + pos, n);
		out->text[tpos + n] = '\0';
		*record_text_slot(rec, i) = out->text + tpos;
		tpos += n + 1;
		pos += n;
	}
	if (pos != len) {
		*why = "trailing bytes after the record";
		return -ALPR_E_CORRUPT;
	}
	return 0;
}

/* ---- checkpoint codec ------------------------------------------------------------------ */

static size_t checkpoint_encode(const struct audit_checkpoint_info *cp, uint8_t *buf)
{
	size_t n = strlen(cp->device);

	buf[0] = 1;
	put_be64(buf + 1, cp->seq);
	memcpy(buf + 9, cp->record_hash, AUDIT_HASH_LEN);
	put_be64(buf + 41, (uint64_t)cp->time_us);
	put_be32(buf + 49, (uint32_t)n);
	memcpy(buf + CHECKPOINT_FIXED, cp->device, n);
	memcpy(buf + CHECKPOINT_FIXED + n, cp->signature, AUDIT_SIG_LEN);
	return CHECKPOINT_FIXED + n + AUDIT_SIG_LEN;
}

static int checkpoint_decode(const uint8_t *data, size_t len, struct audit_checkpoint_info *cp)
{
	uint32_t n;

	memset(cp, 0, sizeof(*cp));
	if (len < CHECKPOINT_FIXED + AUDIT_SIG_LEN || data[0] != 1) {
		return -ALPR_E_CORRUPT;
	}
	n = get_be32(data + 49);
	if (n > AUDIT_DEVICE_MAX || len != CHECKPOINT_FIXED + n + AUDIT_SIG_LEN) {
		return -ALPR_E_CORRUPT;
	}
	cp->seq = get_be64(data + 1);
	memcpy(cp->record_hash, data + 9, AUDIT_HASH_LEN);
	cp->time_us = (int64_t)get_be64(data + 41);
	memcpy(cp->device, data + CHECKPOINT_FIXED, n);
	cp->device[n] = '\0';
	if (!device_id_valid(cp->device)) {
		return -ALPR_E_CORRUPT;
	}
	memcpy(cp->signature, data + CHECKPOINT_FIXED + n, AUDIT_SIG_LEN);
	return 0;
}

/* What the device key signs: a tag, then the checkpoint's fields as stored. */
static size_t checkpoint_message(const struct audit_checkpoint_info *cp, uint8_t *msg)
{
	uint8_t enc[CHECKPOINT_MAX];
	size_t n = checkpoint_encode(cp, enc);

	memcpy(msg, CHECKPOINT_SIG_TAG, sizeof(CHECKPOINT_SIG_TAG)); /* with its NUL */
	memcpy(msg + sizeof(CHECKPOINT_SIG_TAG), enc + 1, n - 1 - AUDIT_SIG_LEN);
	return sizeof(CHECKPOINT_SIG_TAG) + n - 1 - AUDIT_SIG_LEN;
}

static int checkpoint_sign(EVP_PKEY *key, struct audit_checkpoint_info *cp)
{
	uint8_t msg[CHECKPOINT_MSG_MAX];
	size_t mlen = checkpoint_message(cp, msg), siglen = AUDIT_SIG_LEN;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r = 0;

	if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, cp->signature, &siglen, msg, mlen) != 1 ||
	    siglen != AUDIT_SIG_LEN) {
		r = crypto_error("signing a checkpoint");
	}
	EVP_MD_CTX_free(ctx);
	return r;
}

static bool checkpoint_sig_ok(EVP_PKEY *pub, const struct audit_checkpoint_info *cp)
{
	uint8_t msg[CHECKPOINT_MSG_MAX];
	size_t mlen = checkpoint_message(cp, msg);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub) == 1 &&
	     EVP_DigestVerify(ctx, cp->signature, AUDIT_SIG_LEN, msg, mlen) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* ---- keys ------------------------------------------------------------------------------ */

/* Never prompt on a terminal for a passphrase: the device key is not encrypted. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return 0;
}

/* Reads a PEM key file. @want_private: only a private key; else a public key, or the public
 * half of a private key. */
static int load_key(const char *path, bool want_private, EVP_PKEY **out)
{
	char *buf = NULL;
	size_t len;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	int r = alpr_read_file(path, KEY_FILE_MAX, &buf, &len);

	if (r < 0) {
		goto out;
	}
	if (!want_private) {
		bio = BIO_new_mem_buf(buf, (int)len);
		key = bio ? PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL) : NULL;
		BIO_free(bio);
	}
	if (!key) {
		bio = BIO_new_mem_buf(buf, (int)len);
		key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
		BIO_free(bio);
	}
	ERR_clear_error();
	if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		key = NULL;
		r = -ALPR_E_PARSE;
		goto out;
	}
	*out = key;
out:
	if (buf) {
		OPENSSL_cleanse(buf, len);
	}
	free(buf);
	return r;
}

static int raw_pubkey(EVP_PKEY *key, uint8_t out[PUBKEY_LEN])
{
	size_t n = PUBKEY_LEN;

	if (EVP_PKEY_get_raw_public_key(key, out, &n) != 1 || n != PUBKEY_LEN) {
		return crypto_error("reading a public key");
	}
	return 0;
}

static int fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, r = 0;

	alpr_strlcpy(dir, path, sizeof(dir));
	slash = strrchr(dir, '/');
	if (!slash) {
		alpr_strlcpy(dir, ".", sizeof(dir));
	} else if (slash == dir) {
		dir[1] = '\0';
	} else {
		*slash = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	if (fsync(fd) < 0) {
		r = -errno;
	}
	close(fd);
	return r;
}

/*
 * Creates a new Ed25519 key at @path, mode 0600, or loads the one another process created
 * first. Written to a temporary file and link()ed into place, so the key file is never seen
 * half-written and two processes never end up holding different keys.
 */
static int create_key(const char *path, EVP_PKEY **out)
{
	char tmp[PATH_MAX];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	char *pem = NULL;
	long pemlen = 0;
	int fd = -1, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= sizeof(tmp)) {
		return -ENAMETOOLONG;
	}
	ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &key) != 1) {
		r = crypto_error("generating the device key");
		goto out;
	}
	bio = BIO_new(BIO_s_mem());
	if (!bio || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1) {
		r = crypto_error("encoding the device key");
		goto out;
	}
	pemlen = BIO_get_mem_data(bio, &pem);
	fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0) {
		r = -errno;
		tmp[0] = '\0';
		goto out;
	}
	for (long off = 0; off < pemlen;) {
		ssize_t w = write(fd, pem + off, (size_t)(pemlen - off));
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w < 0) {
			r = -errno;
			goto out;
		}
		off += w;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		goto out;
	}
	if (link(tmp, path) < 0) {
		r = -errno;
		if (r == -EEXIST) {
			/* Another process won the race: use its key. */
			EVP_PKEY_free(key);
			key = NULL;
			r = load_key(path, true, &key);
		}
		goto out;
	}
	r = fsync_parent(path);
	alpr_info(SUBSYS, "created device key %s", path);
out:
	if (fd >= 0) {
		close(fd);
	}
	if (tmp[0]) {
		unlink(tmp);
	}
	if (pem) {
		OPENSSL_cleanse(pem, (size_t)pemlen);
	}
	BIO_free(bio);
	EVP_PKEY_CTX_free(ctx);
	if (r < 0) {
		EVP_PKEY_free(key);
	} else {
		*out = key;
	}
	return r;
}

static void check_key_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & 077)) {
		alpr_warn(SUBSYS,
			  "device key %s is readable by others (mode %03o); it should be 0600",
			  path, (unsigned)(st.st_mode & 0777));
	}
}

/* ---- open and close -------------------------------------------------------------------- */

static int meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name, MDB_val *val)
{
	MDB_val k = {strlen(name), (void *)name};
	return mdb_error(mdb_get(txn, dbi, &k, val), "reading log metadata");
}

static int meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, const void *data, size_t len)
{
	MDB_val k = {strlen(name), (void *)name}, v = {len, (void *)data};
	return mdb_error(mdb_put(txn, dbi, &k, &v, 0), "writing log metadata");
}

/* Reads or sets up the metadata: format version, device id, and the signing key. */
static int open_meta(struct audit *a, MDB_txn *txn, const struct audit_open_opts *opts,
		     const char *key_path)
{
	MDB_val v;
	int r;

	r = meta_get(txn, a->meta, META_VERSION, &v);
	if (r == 0) {
		if (v.mv_size != 1 || *(const uint8_t *)v.mv_data != AUDIT_RECORD_VERSION) {
			alpr_error(SUBSYS, "%s: unknown audit log version", a->dir);
			return -ALPR_E_CORRUPT;
		}
	} else if (r == -ENOENT && !a->read_only) {
		uint8_t ver = AUDIT_RECORD_VERSION;
		if ((r = meta_put(txn, a->meta, META_VERSION, &ver, 1)) < 0) {
			return r;
		}
	} else {
		return r == -ENOENT ? -ALPR_E_CORRUPT : r;
	}

	r = meta_get(txn, a->meta, META_DEVICE, &v);
	if (r == 0) {
		if (v.mv_size > AUDIT_DEVICE_MAX) {
			return -ALPR_E_CORRUPT;
		}
		memcpy(a->device, v.mv_data, v.mv_size);
		a->device[v.mv_size] = '\0';
		if (!device_id_valid(a->device)) {
			return -ALPR_E_CORRUPT;
		}
		if (opts->device_id && strcmp(opts->device_id, a->device) != 0) {
			alpr_error(SUBSYS, "%s: the log belongs to device '%s', not '%s'", a->dir,
				   a->device, opts->device_id);
			return -EINVAL;
		}
	} else if (r == -ENOENT && !a->read_only) {
		if (!opts->device_id || !device_id_valid(opts->device_id)) {
			alpr_error(SUBSYS,
				   "%s: a new log needs a device id ([A-Za-z0-9._:-], 1 to "
				   "%d characters)",
				   a->dir, AUDIT_DEVICE_MAX);
			return -EINVAL;
		}
		alpr_strlcpy(a->device, opts->device_id, sizeof(a->device));
		if ((r = meta_put(txn, a->meta, META_DEVICE, a->device, strlen(a->device))) < 0) {
			return r;
		}
	} else {
		return r == -ENOENT ? -ALPR_E_CORRUPT : r;
	}

	r = meta_get(txn, a->meta, META_PUBKEY, &v);
	if (r == 0) {
		if (v.mv_size != PUBKEY_LEN) {
			return -ALPR_E_CORRUPT;
		}
		memcpy(a->pubkey, v.mv_data, PUBKEY_LEN);
		a->have_pubkey = true;
	} else if (r != -ENOENT || a->read_only) {
		return r == -ENOENT ? -ALPR_E_CORRUPT : r;
	}
	if (a->read_only) {
		return 0;
	}

	if (a->have_pubkey) {
		uint8_t pub[PUBKEY_LEN];

		r = load_key(key_path, true, &a->key);
		if (r < 0) {
			alpr_error(SUBSYS, "device key %s: %s", key_path, alpr_strerror(r));
			return r;
		}
		if ((r = raw_pubkey(a->key, pub)) < 0) {
			return r;
		}
		if (memcmp(pub, a->pubkey, PUBKEY_LEN) != 0) {
			alpr_error(SUBSYS,
				   "device key %s is not the key the log at %s was started "
				   "with",
				   key_path, a->dir);
			return -EKEYREJECTED;
		}
	} else {
		r = load_key(key_path, true, &a->key);
		if (r == -ENOENT) {
			r = create_key(key_path, &a->key);
		}
		if (r < 0) {
			alpr_error(SUBSYS, "device key %s: %s", key_path, alpr_strerror(r));
			return r;
		}
		if ((r = raw_pubkey(a->key, a->pubkey)) < 0 ||
		    (r = meta_put(txn, a->meta, META_PUBKEY, a->pubkey, PUBKEY_LEN)) < 0) {
			return r;
		}
		a->have_pubkey = true;
	}
	check_key_mode(key_path);
	return 0;
}

int audit_open(const char *dir, const struct audit_open_opts *opts_in, struct audit **out)
{
	static const struct audit_open_opts no_opts;
	const struct audit_open_opts *opts = opts_in ? opts_in : &no_opts;
	char key_path[PATH_MAX];
	struct audit *a;
	MDB_txn *txn = NULL;
	unsigned dbflags;
	struct stat st;
	int dead, r;

	if (!dir || !*dir || !out || (unsigned)opts->time_source >= AUDIT_TIME_COUNT ||
	    opts->checkpoint_every_us < 0) {
		return -EINVAL;
	}
	if (opts->key_path) {
		if (alpr_strlcpy(key_path, opts->key_path, sizeof(key_path)) >= sizeof(key_path)) {
			return -ENAMETOOLONG;
		}
	} else if ((size_t)snprintf(key_path, sizeof(key_path), "%s/device-key.pem", dir) >=
		   sizeof(key_path)) {
		return -ENAMETOOLONG;
	}
	a = alpr_xcalloc(1, sizeof(*a));
	a->read_only = opts->read_only;
	a->clock = opts->clock;
	atomic_init(&a->time_source, (int)opts->time_source);
	a->every_n = opts->checkpoint_every_n ? opts->checkpoint_every_n
					      : AUDIT_CHECKPOINT_EVERY_N_DEFAULT;
	a->every_us = opts->checkpoint_every_us ? opts->checkpoint_every_us
						: AUDIT_CHECKPOINT_EVERY_US_DEFAULT;
	if (alpr_strlcpy(a->dir, dir, sizeof(a->dir)) >= sizeof(a->dir)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	if (a->read_only) {
		if (stat(dir, &st) < 0) {
			r = -errno;
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			r = -ENOTDIR;
			goto out;
		}
	} else if ((r = alpr_mkdir_p(dir)) < 0) {
		goto out;
	}

	if ((r = mdb_error(mdb_env_create(&a->env), "creating the LMDB environment")) < 0) {
		goto out;
	}
	mdb_env_set_maxdbs(a->env, AUDIT_MAX_DBS);
	mdb_env_set_mapsize(a->env, opts->map_size ? opts->map_size : DEFAULT_MAP_SIZE);
	r = mdb_error(mdb_env_open(a->env, dir, a->read_only ? MDB_RDONLY : 0, 0600),
		      "opening the audit log");
	if (r < 0) {
		goto out;
	}
	/* Clear reader slots left by processes that died (kill -9, power cut). */
	mdb_reader_check(a->env, &dead);

	r = mdb_error(mdb_txn_begin(a->env, NULL, a->read_only ? MDB_RDONLY : 0, &txn),
		      "starting a transaction");
	if (r < 0) {
		goto out;
	}
	dbflags = a->read_only ? 0 : MDB_CREATE;
	if ((r = mdb_error(mdb_dbi_open(txn, AUDIT_DB_RECORDS, dbflags, &a->records), "records")) <
		    0 ||
	    (r = mdb_error(mdb_dbi_open(txn, AUDIT_DB_CHECKPOINTS, dbflags, &a->checkpoints),
			   "checkpoints")) < 0 ||
	    (r = mdb_error(mdb_dbi_open(txn, AUDIT_DB_META, dbflags, &a->meta), "meta")) < 0) {
		if (r == -ENOENT) {
			alpr_error(SUBSYS, "%s is not an audit log", dir);
		}
		goto out;
	}
	if ((r = open_meta(a, txn, opts, key_path)) < 0) {
		goto out;
	}
	r = mdb_error(mdb_txn_commit(txn), "setting up the audit log");
	txn = NULL;
out:
	if (txn) {
		mdb_txn_abort(txn);
	}
	if (r < 0) {
		audit_close(a);
		return r;
	}
	*out = a;
	return 0;
}

void audit_close(struct audit *a)
{
	if (!a) {
		return;
	}
	if (a->env) {
		mdb_env_close(a->env);
	}
	EVP_PKEY_free(a->key);
	free(a);
}

const char *audit_device_id(const struct audit *a)
{
	return a->device;
}

void audit_set_time_source(struct audit *a, enum audit_time_source src)
{
	if ((unsigned)src < AUDIT_TIME_COUNT) {
		atomic_store(&a->time_source, (int)src);
	}
}

/* ---- append and checkpoints ------------------------------------------------------------ */

/* The newest record in @txn: its sequence and hash. *seq is 0 for an empty log. */
static int last_record(struct audit *a, MDB_txn *txn, uint64_t *seq, uint8_t hash[AUDIT_HASH_LEN])
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, r;

	if ((r = mdb_error(mdb_cursor_open(txn, a->records, &cur), "opening a cursor")) < 0) {
		return r;
	}
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (rc == MDB_NOTFOUND) {
		*seq = 0;
		if (hash) {
			memset(hash, 0, AUDIT_HASH_LEN);
		}
		r = 0;
	} else if ((r = mdb_error(rc, "reading the last record")) == 0) {
		if (k.mv_size != 8) {
			r = -ALPR_E_CORRUPT;
		} else {
			*seq = get_be64(k.mv_data);
			if (hash) {
				audit_sha256(v.mv_data, v.mv_size, hash);
			}
		}
	}
	mdb_cursor_close(cur);
	return r;
}

/* The newest checkpoint in @txn; -ENODATA when there is none. */
static int last_checkpoint(struct audit *a, MDB_txn *txn, struct audit_checkpoint_info *cp)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, r;

	if ((r = mdb_error(mdb_cursor_open(txn, a->checkpoints, &cur), "opening a cursor")) < 0) {
		return r;
	}
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (rc == MDB_NOTFOUND) {
		r = -ENODATA;
	} else if ((r = mdb_error(rc, "reading the last checkpoint")) == 0) {
		r = checkpoint_decode(v.mv_data, v.mv_size, cp);
	}
	mdb_cursor_close(cur);
	return r;
}

static int put_checkpoint(struct audit *a, MDB_txn *txn, uint64_t seq,
			  const uint8_t hash[AUDIT_HASH_LEN], int64_t now)
{
	struct audit_checkpoint_info cp = {.seq = seq, .time_us = now};
	uint8_t key[8], val[CHECKPOINT_MAX];
	MDB_val k = {sizeof(key), key}, v;
	int r;

	memcpy(cp.record_hash, hash, AUDIT_HASH_LEN);
	alpr_strlcpy(cp.device, a->device, sizeof(cp.device));
	if ((r = checkpoint_sign(a->key, &cp)) < 0) {
		return r;
	}
	put_be64(key, seq);
	v.mv_data = val;
	v.mv_size = checkpoint_encode(&cp, val);
	return mdb_error(mdb_put(txn, a->checkpoints, &k, &v, 0), "storing a checkpoint");
}

static bool checkpoint_due(struct audit *a, MDB_txn *txn, uint64_t seq, int64_t now)
{
	struct audit_checkpoint_info cp;
	int64_t since;

	if (last_checkpoint(a, txn, &cp) == 0) {
		since = cp.time_us;
	} else {
		/* No checkpoint yet (or an unreadable one: sign a fresh one): count from the
		 * first record. */
		uint8_t key[8];
		MDB_val k = {sizeof(key), key}, v;

		cp.seq = 0;
		put_be64(key, 1);
		if (mdb_get(txn, a->records, &k, &v) != 0 || v.mv_size < AUDIT_RECORD_FIXED) {
			return true;
		}
		since = (int64_t)get_be64((const uint8_t *)v.mv_data + 9);
	}
	return seq - cp.seq >= a->every_n || now - since >= a->every_us;
}

int audit_append(struct audit *a, const struct audit_record *rec, uint64_t *seq_out)
{
	struct audit_record r0;
	uint8_t buf[AUDIT_RECORD_MAX], key[8], hash[AUDIT_HASH_LEN];
	MDB_val k = {sizeof(key), key}, v;
	MDB_txn *txn = NULL;
	uint64_t last;
	size_t len;
	int r;

	if (!a || !rec) {
		return -EINVAL;
	}
	if (a->read_only) {
		return -EROFS;
	}
	if (!rec->user || !*rec->user || !rec->role || !*rec->role || !rec->action ||
	    !*rec->action) {
		alpr_debug(SUBSYS, "a record needs a user, a role and an action");
		return -EINVAL;
	}
	if ((rec->outcome == AUDIT_DENIED) != (rec->reason && *rec->reason)) {
		alpr_debug(SUBSYS, "a reason is given when and only when the outcome is denied");
		return -EINVAL;
	}
	r0 = *rec;
	r0.device = a->device;
	r0.time_us = alpr_clock_now(a->clock);
	r0.time_source = (enum audit_time_source)atomic_load(&a->time_source);
	if (a->clock && a->clock->manual) {
		r0.time_source = AUDIT_TIME_MANUAL;
	}

	if ((r = mdb_error(mdb_txn_begin(a->env, NULL, 0, &txn), "starting an append")) < 0) {
		return r;
	}
	if ((r = last_record(a, txn, &last, r0.prev_hash)) < 0) {
		goto out;
	}
	r0.seq = last + 1;
	if ((r = audit_record_encode(&r0, buf, sizeof(buf), &len)) < 0) {
		goto out;
	}
	put_be64(key, r0.seq);
	v.mv_size = len;
	v.mv_data = buf;
	/* MDB_APPEND: the key must sort after every other; a second guard against reuse. */
	if ((r = mdb_error(mdb_put(txn, a->records, &k, &v, MDB_APPEND), "appending a record")) <
	    0) {
		goto out;
	}
	if (checkpoint_due(a, txn, r0.seq, r0.time_us)) {
		audit_sha256(buf, len, hash);
		if ((r = put_checkpoint(a, txn, r0.seq, hash, r0.time_us)) < 0) {
			goto out;
		}
	}
	r = mdb_error(mdb_txn_commit(txn), "committing an append");
	txn = NULL;
	if (r == 0 && seq_out) {
		*seq_out = r0.seq;
	}
out:
	if (txn) {
		mdb_txn_abort(txn);
	}
	return r;
}

int audit_checkpoint(struct audit *a)
{
	struct audit_checkpoint_info cp;
	uint8_t hash[AUDIT_HASH_LEN];
	MDB_txn *txn = NULL;
	uint64_t last;
	int r;

	if (!a) {
		return -EINVAL;
	}
	if (a->read_only) {
		return -EROFS;
	}
	if ((r = mdb_error(mdb_txn_begin(a->env, NULL, 0, &txn), "starting a checkpoint")) < 0) {
		return r;
	}
	if ((r = last_record(a, txn, &last, hash)) < 0) {
		goto out;
	}
	if (last == 0) {
		r = -ENODATA;
		goto out;
	}
	if (last_checkpoint(a, txn, &cp) == 0 && cp.seq == last &&
	    memcmp(cp.record_hash, hash, AUDIT_HASH_LEN) == 0) {
		r = 0; /* already covered */
		goto out;
	}
	if ((r = put_checkpoint(a, txn, last, hash, alpr_clock_now(a->clock))) < 0) {
		goto out;
	}
	r = mdb_error(mdb_txn_commit(txn), "committing a checkpoint");
	txn = NULL;
out:
	if (txn) {
		mdb_txn_abort(txn);
	}
	return r;
}

int audit_last_checkpoint(struct audit *a, struct audit_checkpoint_info *out)
{
	MDB_txn *txn;
	int r;

	if ((r = mdb_error(mdb_txn_begin(a->env, NULL, MDB_RDONLY, &txn), "reading")) < 0) {
		return r;
	}
	r = last_checkpoint(a, txn, out);
	mdb_txn_abort(txn);
	return r;
}

int audit_last_seq(struct audit *a, uint64_t *out)
{
	MDB_txn *txn;
	int r;

	if ((r = mdb_error(mdb_txn_begin(a->env, NULL, MDB_RDONLY, &txn), "reading")) < 0) {
		return r;
	}
	r = last_record(a, txn, out, NULL);
	mdb_txn_abort(txn);
	return r;
}

int audit_record_hash(struct audit *a, uint64_t seq, uint8_t out[AUDIT_HASH_LEN])
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	MDB_txn *txn;
	int r;

	if (!a || !out || seq == 0) {
		return -EINVAL;
	}
	if ((r = mdb_error(mdb_txn_begin(a->env, NULL, MDB_RDONLY, &txn), "reading")) < 0) {
		return r;
	}
	audit_seq_key(seq, kb);
	r = mdb_get(txn, a->records, &k, &v);
	if (r == MDB_NOTFOUND) {
		r = -ENOENT;
	} else if ((r = mdb_error(r, "reading")) == 0) {
		audit_sha256(v.mv_data, v.mv_size, out);
	}
	mdb_txn_abort(txn);
	return r;
}

/* ---- export ---------------------------------------------------------------------------- */

static int write_json(const char *path, json_t *obj)
{
	char *text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t n;
	int r;

	if (!text) {
		return -ENOMEM;
	}
	n = strlen(text);
	text = alpr_xrealloc(text, n + 2);
	text[n] = '\n';
	text[n + 1] = '\0';
	r = alpr_write_file_atomic(path, text, n + 1, 0644);
	free(text);
	return r;
}

int audit_export_checkpoint(struct audit *a, const char *path)
{
	struct audit_checkpoint_info cp;
	char hash_hex[2 * AUDIT_HASH_LEN + 1], sig_hex[2 * AUDIT_SIG_LEN + 1];
	char pub_hex[2 * PUBKEY_LEN + 1], when[ALPR_TIME_BUFSZ];
	json_t *obj;
	int r;

	if (!a || !path) {
		return -EINVAL;
	}
	if ((r = audit_last_checkpoint(a, &cp)) < 0) {
		return r;
	}
	alpr_hex_encode(cp.record_hash, AUDIT_HASH_LEN, hash_hex);
	alpr_hex_encode(cp.signature, AUDIT_SIG_LEN, sig_hex);
	alpr_hex_encode(a->pubkey, PUBKEY_LEN, pub_hex);
	alpr_time_format(cp.time_us, when, sizeof(when));
	obj = json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:s}", "format", CHECKPOINT_FORMAT,
			"device", cp.device, "seq", (json_int_t)cp.seq, "record_hash", hash_hex,
			"time", when, "time_us", (json_int_t)cp.time_us, "public_key", pub_hex,
			"signature", sig_hex);
	if (!obj) {
		return -ENOMEM;
	}
	r = write_json(path, obj);
	json_decref(obj);
	return r;
}

int audit_pubkey_write(const uint8_t pubkey[AUDIT_PUBKEY_LEN], const char *path)
{
	EVP_PKEY *pub = NULL;
	BIO *bio = NULL;
	char *pem;
	long n;
	int r;

	if (!pubkey || !path) {
		return -EINVAL;
	}
	pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pubkey, PUBKEY_LEN);
	bio = BIO_new(BIO_s_mem());
	if (!pub || !bio || PEM_write_bio_PUBKEY(bio, pub) != 1) {
		r = crypto_error("encoding the public key");
		goto out;
	}
	n = BIO_get_mem_data(bio, &pem);
	r = alpr_write_file_atomic(path, pem, (size_t)n, 0644);
out:
	BIO_free(bio);
	EVP_PKEY_free(pub);
	return r;
}

int audit_export_pubkey(struct audit *a, const char *path)
{
	if (!a || !path) {
		return -EINVAL;
	}
	return audit_pubkey_write(a->pubkey, path);
}

int audit_pubkey_read(const char *path, uint8_t out[AUDIT_PUBKEY_LEN])
{
	EVP_PKEY *key = NULL;
	int r;

	if (!path || !out) {
		return -EINVAL;
	}
	if ((r = load_key(path, false, &key)) < 0) {
		return r;
	}
	r = raw_pubkey(key, out);
	EVP_PKEY_free(key);
	return r;
}

/* ---- reading --------------------------------------------------------------------------- */

int audit_foreach(struct audit *a, uint64_t from_seq, audit_record_fn fn, void *userdata)
{
	struct audit_decoded *d;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	uint8_t key[8];
	MDB_val k = {sizeof(key), key}, v;
	MDB_cursor_op op = MDB_SET_RANGE;
	int rc, r;

	if (!a || !fn) {
		return -EINVAL;
	}
	d = alpr_xmalloc(sizeof(*d));
	if ((r = mdb_error(mdb_txn_begin(a->env, NULL, MDB_RDONLY, &txn), "reading")) < 0 ||
	    (r = mdb_error(mdb_cursor_open(txn, a->records, &cur), "opening a cursor")) < 0) {
		goto out;
	}
	put_be64(key, from_seq);
	for (;;) {
		rc = mdb_cursor_get(cur, &k, &v, op);
		op = MDB_NEXT;
		if (rc == MDB_NOTFOUND) {
			r = 0;
			break;
		}
		if ((r = mdb_error(rc, "reading a record")) < 0) {
			break;
		}
		if ((r = audit_record_decode(v.mv_data, v.mv_size, d, NULL)) < 0) {
			break;
		}
		if ((r = fn(&d->rec, userdata)) != 0) {
			break;
		}
	}
out:
	if (cur) {
		mdb_cursor_close(cur);
	}
	if (txn) {
		mdb_txn_abort(txn);
	}
	free(d);
	return r;
}

/* ---- verification ---------------------------------------------------------------------- */

__attribute__((format(printf, 4, 5))) static int vfail(struct audit_verify_result *res,
						       uint64_t bad, int err, const char *fmt, ...)
{
	va_list ap;

	res->first_bad_seq = bad;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	return err;
}

static int json_get(json_t *obj, const char *name, json_type type, json_t **out)
{
	json_t *v = json_object_get(obj, name);

	if (!v || json_typeof(v) != type) {
		return -ALPR_E_PARSE;
	}
	*out = v;
	return 0;
}

int audit_checkpoint_parse(const char *text, size_t len, struct audit_checkpoint_info *cp,
			   char *why, size_t whysz)
{
	static const char *const known[] = {"format",  "device",     "seq",       "record_hash",
					    "time_us", "public_key", "signature", "time"};
	json_error_t jerr;
	json_t *obj = NULL, *v;
	const char *key, *field = NULL;
	json_t *val;
	int r = -ALPR_E_PARSE;

	if (!text || !cp || !why) {
		return -EINVAL;
	}
	memset(cp, 0, sizeof(*cp));
	*why = '\0';
	if (len > CHECKPOINT_FILE_MAX) {
		snprintf(why, whysz, "body: over %d bytes", CHECKPOINT_FILE_MAX);
		return -EFBIG;
	}
	obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj || !json_is_object(obj)) {
		snprintf(why, whysz, "line %d: %s", obj ? 1 : jerr.line,
			 obj ? "not a JSON object" : jerr.text);
		goto out;
	}
	json_object_foreach (obj, key, val) {
		bool ok = false;
		for (size_t i = 0; i < ALPR_ARRAY_SIZE(known); i++) {
			ok = ok || strcmp(key, known[i]) == 0;
		}
		if (!ok) {
			snprintf(why, whysz, "%.40s: unknown field", key);
			goto out;
		}
	}
	field = "format";
	if (json_get(obj, field, JSON_STRING, &v) < 0 ||
	    strcmp(json_string_value(v), CHECKPOINT_FORMAT) != 0) {
		goto bad;
	}
	field = "device";
	if (json_get(obj, field, JSON_STRING, &v) < 0 || !device_id_valid(json_string_value(v))) {
		goto bad;
	}
	alpr_strlcpy(cp->device, json_string_value(v), sizeof(cp->device));
	field = "seq";
	if (json_get(obj, field, JSON_INTEGER, &v) < 0 || json_integer_value(v) < 1) {
		goto bad;
	}
	cp->seq = (uint64_t)json_integer_value(v);
	field = "time_us";
	if (json_get(obj, field, JSON_INTEGER, &v) < 0) {
		goto bad;
	}
	cp->time_us = json_integer_value(v);
	field = "record_hash";
	if (json_get(obj, field, JSON_STRING, &v) < 0 ||
	    json_string_length(v) != 2 * AUDIT_HASH_LEN ||
	    alpr_hex_decode(json_string_value(v), json_string_length(v), cp->record_hash,
			    AUDIT_HASH_LEN) < 0) {
		goto bad;
	}
	field = "signature";
	if (json_get(obj, field, JSON_STRING, &v) < 0 ||
	    json_string_length(v) != 2 * AUDIT_SIG_LEN ||
	    alpr_hex_decode(json_string_value(v), json_string_length(v), cp->signature,
			    AUDIT_SIG_LEN) < 0) {
		goto bad;
	}
	r = 0;
	goto out;
bad:
	snprintf(why, whysz, "%s: missing or malformed", field);
out:
	json_decref(obj);
	return r;
}

/* Reads the station's checkpoint file. Hostile input: bounded size, every field checked. */
static int read_checkpoint_file(const char *path, struct audit_checkpoint_info *cp,
				struct audit_verify_result *res)
{
	char *buf = NULL, why[AUDIT_REASON_MAX];
	size_t len;
	int r = alpr_read_file(path, CHECKPOINT_FILE_MAX, &buf, &len);

	memset(cp, 0, sizeof(*cp));
	if (r < 0) {
		vfail(res, 0, r, "%s: %s", path, alpr_strerror(r));
	} else if ((r = audit_checkpoint_parse(buf, len, cp, why, sizeof(why))) < 0) {
		vfail(res, 0, r, "%s: %s", path, why);
	}
	free(buf);
	return r;
}

int audit_checkpoint_verify(const struct audit_checkpoint_info *cp,
			    const uint8_t pubkey[AUDIT_PUBKEY_LEN])
{
	EVP_PKEY *pub;
	bool ok;

	if (!cp || !pubkey) {
		return -EINVAL;
	}
	pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pubkey, AUDIT_PUBKEY_LEN);
	if (!pub) {
		return crypto_error("loading a public key");
	}
	ok = checkpoint_sig_ok(pub, cp);
	EVP_PKEY_free(pub);
	return ok ? 0 : -ALPR_E_SIGNATURE;
}

/* Walks the checkpoints database alongside the records. */
struct cp_walk {
	MDB_cursor *cur;
	bool have;      /* cp holds the next checkpoint not yet reached */
	bool malformed; /* the stored value did not decode */
	struct audit_checkpoint_info cp;
};

static int cp_walk_next(struct cp_walk *w, MDB_cursor_op op)
{
	MDB_val k, v;
	int rc = mdb_cursor_get(w->cur, &k, &v, op);

	w->have = false;
	w->malformed = false;
	if (rc == MDB_NOTFOUND) {
		return 0;
	}
	if (rc != 0) {
		return mdb_error(rc, "reading a checkpoint");
	}
	w->have = true;
	if (k.mv_size != 8 || checkpoint_decode(v.mv_data, v.mv_size, &w->cp) < 0 ||
	    w->cp.seq != get_be64(k.mv_data) || w->cp.seq == 0) {
		w->malformed = true;
		w->cp.seq = k.mv_size == 8 ? get_be64(k.mv_data) : 0;
	}
	return 0;
}

/* Checks one checkpoint against the record it covers (@hash; NULL: the record is missing). */
static int check_cp(struct audit *a, EVP_PKEY *pub, const struct cp_walk *w, const uint8_t *hash,
		    uint64_t *last_good, const char *whose, struct audit_verify_result *res)
{
	const struct audit_checkpoint_info *cp = &w->cp;

	if (w->malformed) {
		return vfail(res, *last_good + 1, -ALPR_E_CORRUPT,
			     "%s checkpoint at record %" PRIu64 " is malformed", whose, cp->seq);
	}
	if (strcmp(cp->device, a->device) != 0) {
		return vfail(res, *last_good + 1, -ALPR_E_CORRUPT,
			     "%s checkpoint at record %" PRIu64 " names device '%s', not '%s'",
			     whose, cp->seq, cp->device, a->device);
	}
	if (!checkpoint_sig_ok(pub, cp)) {
		return vfail(res, *last_good + 1, -ALPR_E_SIGNATURE,
			     "%s checkpoint at record %" PRIu64
			     ": signature does not verify; from record %" PRIu64
			     " on, the log is unproven",
			     whose, cp->seq, *last_good + 1);
	}
	if (!hash) {
		return vfail(res, res->last_seq + 1, -ALPR_E_CORRUPT,
			     "the log ends at record %" PRIu64 " but the %s checkpoint covers "
			     "record %" PRIu64 ": from record %" PRIu64
			     " on, records were deleted (truncated)",
			     res->last_seq, whose, cp->seq, res->last_seq + 1);
	}
	if (memcmp(hash, cp->record_hash, AUDIT_HASH_LEN) != 0) {
		return vfail(res, *last_good + 1, -ALPR_E_CORRUPT,
			     "from record %" PRIu64 " on, the log does not match the %s signed "
			     "checkpoint at record %" PRIu64 " (rewritten)",
			     *last_good + 1, whose, cp->seq);
	}
	res->checkpoints++;
	*last_good = ALPR_MAX(*last_good, cp->seq);
	res->signed_seq = ALPR_MAX(res->signed_seq, cp->seq);
	return 0;
}

static int verify_txn(struct audit *a, MDB_txn *txn, EVP_PKEY *pub, const struct cp_walk *station,
		      struct audit_verify_result *res)
{
	struct audit_decoded *d = alpr_xmalloc(sizeof(*d));
	struct cp_walk w = {0};
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint8_t prev[AUDIT_HASH_LEN] = {0}, hash[AUDIT_HASH_LEN];
	uint64_t expect = 1, last_good = 0;
	bool station_done = !station;
	const char *why;
	int rc, r;

	if ((r = mdb_error(mdb_cursor_open(txn, a->records, &cur), "opening a cursor")) < 0 ||
	    (r = mdb_error(mdb_cursor_open(txn, a->checkpoints, &w.cur), "opening a cursor")) < 0 ||
	    (r = cp_walk_next(&w, MDB_FIRST)) < 0) {
		vfail(res, 0, r, "cannot read the log: %s", alpr_strerror(r));
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), expect++) {
		uint64_t seq;

		if (k.mv_size != 8) {
			r = vfail(res, expect, -ALPR_E_CORRUPT,
				  "record %" PRIu64 ": a key of %zu bytes is not a sequence",
				  expect, k.mv_size);
			goto out;
		}
		seq = get_be64(k.mv_data);
		if (seq != expect) {
			r = vfail(res, expect, -ALPR_E_CORRUPT,
				  "record %" PRIu64 " is missing (deleted): the next one stored is "
				  "%" PRIu64,
				  expect, seq);
			goto out;
		}
		if (audit_record_decode(v.mv_data, v.mv_size, d, &why) < 0) {
			r = vfail(res, seq, -ALPR_E_CORRUPT, "record %" PRIu64 ": %s", seq, why);
			goto out;
		}
		if (d->rec.seq != seq) {
			/* A record that says it is earlier than where it sits had something put
			 * in front of it: if it does not link to its predecessor, that
			 * predecessor is the intruder. */
			if (d->rec.seq < seq && seq > 1 &&
			    memcmp(d->rec.prev_hash, prev, AUDIT_HASH_LEN) != 0) {
				r = vfail(res, seq - 1, -ALPR_E_CORRUPT,
					  "record %" PRIu64 " was inserted or changed: the next "
					  "record (which says it is %" PRIu64
					  ") does not link to it",
					  seq - 1, d->rec.seq);
				goto out;
			}
			r = vfail(res, seq, -ALPR_E_CORRUPT,
				  "record %" PRIu64 " carries sequence %" PRIu64
				  " (inserted, moved or reordered)",
				  seq, d->rec.seq);
			goto out;
		}
		if (strcmp(d->rec.device, a->device) != 0) {
			r = vfail(res, seq, -ALPR_E_CORRUPT,
				  "record %" PRIu64 " names device '%s', not '%s'", seq,
				  d->rec.device, a->device);
			goto out;
		}
		if (memcmp(d->rec.prev_hash, prev, AUDIT_HASH_LEN) != 0) {
			/* The link in record seq vouches for record seq-1: that one is the
			 * first that can no longer be shown to be what was written. */
			if (seq == 1) {
				r = vfail(res, 1, -ALPR_E_CORRUPT,
					  "record 1 does not start the chain");
			} else {
				r = vfail(res, seq - 1, -ALPR_E_CORRUPT,
					  "record %" PRIu64
					  " does not match the hash record %" PRIu64
					  " holds (changed)",
					  seq - 1, seq);
			}
			goto out;
		}
		audit_sha256(v.mv_data, v.mv_size, hash);
		memcpy(prev, hash, AUDIT_HASH_LEN);
		res->records++;
		res->last_seq = seq;
		/* The station's copy first: a local checkpoint at the same record that
		 * disagrees with it must not count as the last good one. */
		if (!station_done && station->cp.seq == seq) {
			station_done = true;
			if ((r = check_cp(a, pub, station, hash, &last_good, "station's", res)) <
			    0) {
				goto out;
			}
		}
		while (w.have && w.cp.seq <= seq) {
			if ((r = check_cp(a, pub, &w, w.cp.seq == seq ? hash : NULL, &last_good,
					  "stored", res)) < 0) {
				goto out;
			}
			if ((r = cp_walk_next(&w, MDB_NEXT)) < 0) {
				goto out;
			}
		}
	}
	if (rc != MDB_NOTFOUND) {
		r = vfail(res, expect, mdb_error(rc, "reading a record"),
			  "cannot read record %" PRIu64, expect);
		goto out;
	}
	/* Checkpoints past the end: the tail was cut. */
	if (!station_done &&
	    (r = check_cp(a, pub, station, NULL, &last_good, "station's", res)) < 0) {
		goto out;
	}
	if (w.have && (r = check_cp(a, pub, &w, NULL, &last_good, "stored", res)) < 0) {
		goto out;
	}
	r = 0;
out:
	if (cur) {
		mdb_cursor_close(cur);
	}
	if (w.cur) {
		mdb_cursor_close(w.cur);
	}
	free(d);
	return r;
}

int audit_verify(struct audit *a, const char *pubkey_path, const char *checkpoint_path,
		 struct audit_verify_result *res)
{
	struct cp_walk station = {0};
	EVP_PKEY *pub = NULL;
	MDB_txn *txn = NULL;
	int r;

	if (!res) {
		return -EINVAL;
	}
	memset(res, 0, sizeof(*res));
	if (!a) {
		return vfail(res, 0, -EINVAL, "no log");
	}
	if (pubkey_path) {
		if ((r = load_key(pubkey_path, false, &pub)) < 0) {
			return vfail(res, 0, r, "%s: not an Ed25519 key: %s", pubkey_path,
				     alpr_strerror(r));
		}
		res->key_trusted = true;
	} else if (a->have_pubkey) {
		pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, a->pubkey, PUBKEY_LEN);
		if (!pub) {
			return vfail(res, 0, crypto_error("loading the stored key"),
				     "cannot load the log's stored public key");
		}
	} else {
		return vfail(res, 0, -ALPR_E_CORRUPT, "the log holds no public key");
	}
	if (checkpoint_path) {
		if ((r = read_checkpoint_file(checkpoint_path, &station.cp, res)) < 0) {
			goto out;
		}
		if (strcmp(station.cp.device, a->device) != 0) {
			r = vfail(res, 0, -EINVAL, "%s is a checkpoint of device '%s', not '%s'",
				  checkpoint_path, station.cp.device, a->device);
			goto out;
		}
		if (!checkpoint_sig_ok(pub, &station.cp)) {
			r = vfail(res, 0, -ALPR_E_SIGNATURE,
				  "%s: signature does not verify with the device key",
				  checkpoint_path);
			goto out;
		}
	}
	if ((r = mdb_error(mdb_txn_begin(a->env, NULL, MDB_RDONLY, &txn), "reading")) < 0) {
		vfail(res, 0, r, "cannot read the log: %s", alpr_strerror(r));
		goto out;
	}
	r = verify_txn(a, txn, pub, checkpoint_path ? &station : NULL, res);
	mdb_txn_abort(txn);
	if (r == 0) {
		const char *key = res->key_trusted ? "given" : "log's own (untrusted)";
		int n;

		if (res->signed_seq == 0) {
			n = snprintf(res->reason, sizeof(res->reason),
				     "ok: %" PRIu64
				     " records, chain intact, no checkpoint yet (%s key)",
				     res->records, key);
		} else {
			n = snprintf(res->reason, sizeof(res->reason),
				     "ok: %" PRIu64 " records, chain intact, signed through record "
				     "%" PRIu64 " with the %s key",
				     res->records, res->signed_seq, key);
		}
		if (res->signed_seq < res->last_seq && n > 0 && (size_t)n < sizeof(res->reason)) {
			snprintf(res->reason + n, sizeof(res->reason) - (size_t)n,
				 "; records %" PRIu64 "..%" PRIu64
				 " are chained but not yet signed",
				 res->signed_seq + 1, res->last_seq);
		}
	}
out:
	EVP_PKEY_free(pub);
	return r;
}
