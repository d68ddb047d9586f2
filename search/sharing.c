/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * Sharing agreements and encrypted disclosures (sharing.h; formats in docs/search.md).
 *
 * Error handling: a single forward `goto out` per function where there is cleanup.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "search-private.h"
#include "sharing.h"

#define SUBSYS           "sharing"
#define AGREEMENT_FORMAT "alpr-sharing-agreement/1"
#define AGREEMENT_MAX    (16 * 1024)
#define DISC_MAGIC       "ALPRDSC1"
#define DISC_MAGIC_LEN   8
#define DISC_INFO        "alpr-disclosure/1"
#define NONCE_LEN        12
#define TAG_LEN          16
/* A disclosure of SHARING_IDS_MAX reads is well under a megabyte of JSON. */
#define DISC_MAX (8 * 1024 * 1024)

static int key_type(const char *kind)
{
	if (strcmp(kind, "ed25519") == 0) {
		return EVP_PKEY_ED25519;
	}
	if (strcmp(kind, "x25519") == 0) {
		return EVP_PKEY_X25519;
	}
	return -1;
}

int sharing_keygen(const char *kind, const char *priv_path, const char *pub_path)
{
	int type = key_type(kind), r = -EIO;
	EVP_PKEY *k = NULL;
	BIO *b = NULL;
	char *data;
	long len;

	if (type < 0 || !priv_path || !pub_path) {
		return -EINVAL;
	}
	k = EVP_PKEY_Q_keygen(NULL, NULL, type == EVP_PKEY_ED25519 ? "ED25519" : "X25519");
	if (!k) {
		return -EIO;
	}
	b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
		goto out;
	}
	len = BIO_get_mem_data(b, &data);
	if ((r = alpr_write_file_atomic(priv_path, data, (size_t)len, 0600)) < 0) {
		goto out;
	}
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	r = -EIO;
	if (!b || !PEM_write_bio_PUBKEY(b, k)) {
		goto out;
	}
	len = BIO_get_mem_data(b, &data);
	r = alpr_write_file_atomic(pub_path, data, (size_t)len, 0644);
out:
	BIO_free(b);
	EVP_PKEY_free(k);
	return r;
}

/* Loads a PEM key of @type: a public key, or the public half of a private key. */
static int load_key(const char *path, int type, bool want_private, EVP_PKEY **out)
{
	_autofree_ char *text = NULL;
	size_t len;
	EVP_PKEY *k = NULL;
	BIO *b;
	int r;

	r = alpr_read_file(path, 16 * 1024, &text, &len);
	if (r < 0) {
		return r;
	}
	b = BIO_new_mem_buf(text, (int)len);
	if (!b) {
		return -ENOMEM;
	}
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	if (!k && !want_private) {
		BIO_free(b);
		b = BIO_new_mem_buf(text, (int)len);
		k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	}
	BIO_free(b);
	OPENSSL_cleanse(text, len);
	if (!k || EVP_PKEY_get_id(k) != type) {
		EVP_PKEY_free(k);
		return -ALPR_E_PARSE;
	}
	*out = k;
	return 0;
}

int sharing_load_raw_pubkey(const char *kind, const char *path, uint8_t out[32])
{
	int type = key_type(kind), r;
	EVP_PKEY *k = NULL;
	size_t n = 32;

	if (type < 0) {
		return -EINVAL;
	}
	if ((r = load_key(path, type, false, &k)) < 0) {
		return r;
	}
	r = EVP_PKEY_get_raw_public_key(k, out, &n) == 1 && n == 32 ? 0 : -ALPR_E_PARSE;
	EVP_PKEY_free(k);
	return r;
}

/* ---- agreements ------------------------------------------------------------------------ */

static json_t *agreement_json(const struct sharing_agreement *ag)
{
	char hex[65], t1[ALPR_TIME_BUFSZ], t2[ALPR_TIME_BUFSZ];
	json_t *purposes = json_array(), *classes = json_array();

	for (size_t i = 0; i < ag->npurposes; i++) {
		json_array_append_new(purposes, json_string(ag->purposes[i]));
	}
	for (int c = 0; c < POLICY_CLASS_COUNT; c++) {
		if (ag->classes[c]) {
			json_array_append_new(
				classes, json_string(policy_class_name((enum policy_data_class)c)));
		}
	}
	alpr_hex_encode(ag->recipient_key, 32, hex);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:I, s:s, s:I}", "format",
			 AGREEMENT_FORMAT, "id", ag->id, "recipient", ag->recipient,
			 "recipient_type", policy_recipient_name(ag->type), "recipient_key", hex,
			 "purposes", purposes, "data_classes", classes, "issued",
			 alpr_time_format(ag->issued_us, t1, sizeof(t1)), "issued_us",
			 (json_int_t)ag->issued_us, "expires",
			 alpr_time_format(ag->expires_us, t2, sizeof(t2)), "expires_us",
			 (json_int_t)ag->expires_us);
}

/* The signed message: the tag, a zero byte, then the canonical JSON without "signature". */
static char *signed_message(json_t *o, size_t *len)
{
	char *body = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	size_t tag = sizeof(AGREEMENT_FORMAT), blen;
	char *msg;

	if (!body) {
		return NULL;
	}
	blen = strlen(body);
	msg = alpr_xmalloc(tag + blen);
	memcpy(msg, AGREEMENT_FORMAT, tag); /* includes the NUL */
	memcpy(msg + tag, body, blen);
	free(body);
	*len = tag + blen;
	return msg;
}

int sharing_agreement_write(const struct sharing_agreement *ag, const char *agency_key_path,
			    const char *path)
{
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t sig[64];
	size_t siglen = sizeof(sig), mlen;
	char hex[129], *msg = NULL, *text = NULL;
	json_t *o = NULL;
	int r;

	if (!ag || !agency_key_path || !path) {
		return -EINVAL;
	}
	if ((r = load_key(agency_key_path, EVP_PKEY_ED25519, true, &k)) < 0) {
		return r;
	}
	o = agreement_json(ag);
	msg = o ? signed_message(o, &mlen) : NULL;
	md = EVP_MD_CTX_new();
	r = -EIO;
	if (!msg || !md || EVP_DigestSignInit(md, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const uint8_t *)msg, mlen) != 1) {
		goto out;
	}
	alpr_hex_encode(sig, siglen, hex);
	json_object_set_new(o, "signature", json_string(hex));
	text = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));
	r = text ? alpr_write_file_atomic(path, text, strlen(text), 0644) : -ENOMEM;
out:
	free(text);
	free(msg);
	json_decref(o);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return r;
}

#define BAD(...)                                                                                   \
	do {                                                                                       \
		snprintf(err, errsz, __VA_ARGS__);                                                 \
		r = -ALPR_E_PARSE;                                                                 \
		goto out;                                                                          \
	} while (0)

static bool id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SHARING_ID_MAX) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-')) {
			return false;
		}
	}
	return true;
}

int sharing_agreement_load(const char *path, const char *agency_pub_path,
			   struct sharing_agreement *out, char *err, size_t errsz)
{
	_autofree_ char *text = NULL;
	size_t len;
	int r = alpr_read_file(path, AGREEMENT_MAX, &text, &len);
	if (r < 0) {
		snprintf(err, errsz, "%s: %s", path, alpr_strerror(r));
		return r;
	}
	return sharing_agreement_parse(text, len, path, agency_pub_path, out, err, errsz);
}

int sharing_agreement_parse(const char *text, size_t len, const char *path,
			    const char *agency_pub_path, struct sharing_agreement *out, char *err,
			    size_t errsz)
{
	struct sharing_agreement ag = {0};
	json_t *o = NULL, *v, *e;
	json_error_t jerr;
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t sig[64];
	char *msg = NULL;
	const char *key;
	size_t mlen, i;
	int r;

	if (len > AGREEMENT_MAX) {
		snprintf(err, errsz, "%s: over %d bytes", path, AGREEMENT_MAX);
		return -EFBIG;
	}
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		BAD("%s:%d: %s", path, jerr.line, o ? "not an object" : jerr.text);
	}
	json_object_foreach (o, key, v) {
		static const char *const known[] = {
			"format",        "id",       "recipient",    "recipient_type",
			"recipient_key", "purposes", "data_classes", "issued",
			"issued_us",     "expires",  "expires_us",   "signature"};
		bool ok = false;
		for (i = 0; i < ALPR_ARRAY_SIZE(known); i++) {
			ok |= strcmp(key, known[i]) == 0;
		}
		if (!ok) {
			BAD("%s: %s: unknown field", path, key);
		}
	}
	v = json_object_get(o, "format");
	if (!json_is_string(v) || strcmp(json_string_value(v), AGREEMENT_FORMAT) != 0) {
		BAD("%s: format: \"%s\" expected", path, AGREEMENT_FORMAT);
	}
	v = json_object_get(o, "id");
	if (!json_is_string(v) || !id_ok(json_string_value(v))) {
		BAD("%s: id: 1 to %d characters of [A-Za-z0-9._-] required", path, SHARING_ID_MAX);
	}
	alpr_strlcpy(ag.id, json_string_value(v), sizeof(ag.id));
	v = json_object_get(o, "recipient");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > SHARING_RECIPIENT_MAX ||
	    !search_text_ok(json_string_value(v), SHARING_RECIPIENT_MAX)) {
		BAD("%s: recipient: the recipient agency's name is required", path);
	}
	alpr_strlcpy(ag.recipient, json_string_value(v), sizeof(ag.recipient));
	v = json_object_get(o, "recipient_type");
	int t = json_is_string(v)
			? policy_recipient_from_name(json_string_value(v), json_string_length(v))
			: -EINVAL;
	if (t < 0) {
		BAD("%s: recipient_type: local, state, out_of_state or federal required", path);
	}
	ag.type = (enum policy_recipient)t;
	v = json_object_get(o, "recipient_key");
	if (!json_is_string(v) || json_string_length(v) != 64 ||
	    alpr_hex_decode(json_string_value(v), 64, ag.recipient_key, 32) < 0) {
		BAD("%s: recipient_key: 64 hex digits (an X25519 public key) required", path);
	}
	v = json_object_get(o, "purposes");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > SHARING_PURPOSES_MAX) {
		BAD("%s: purposes: 1 to %d purpose ids required", path, SHARING_PURPOSES_MAX);
	}
	json_array_foreach (v, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > POLICY_PURPOSE_ID_MAX) {
			BAD("%s: purposes[%zu]: a purpose id required", path, i);
		}
		alpr_strlcpy(ag.purposes[ag.npurposes++], json_string_value(e),
			     sizeof(ag.purposes[0]));
	}
	v = json_object_get(o, "data_classes");
	if (!json_is_array(v) || json_array_size(v) == 0) {
		BAD("%s: data_classes: a list such as [\"hit\"] required", path);
	}
	json_array_foreach (v, i, e) {
		int c;
		for (c = 0; c < POLICY_CLASS_COUNT; c++) {
			if (json_is_string(e) &&
			    strcmp(json_string_value(e),
				   policy_class_name((enum policy_data_class)c)) == 0) {
				break;
			}
		}
		if (c != POLICY_CLASS_READ && c != POLICY_CLASS_HIT) {
			BAD("%s: data_classes[%zu]: \"read\" or \"hit\" required", path, i);
		}
		ag.classes[c] = true;
	}
	if (!json_is_integer(json_object_get(o, "issued_us")) ||
	    !json_is_integer(json_object_get(o, "expires_us"))) {
		BAD("%s: issued_us, expires_us: integers required", path);
	}
	ag.issued_us = json_integer_value(json_object_get(o, "issued_us"));
	ag.expires_us = json_integer_value(json_object_get(o, "expires_us"));
	if (ag.expires_us <= ag.issued_us) {
		BAD("%s: expires_us: must be after issued_us", path);
	}
	v = json_object_get(o, "signature");
	if (!json_is_string(v) || json_string_length(v) != 128 ||
	    alpr_hex_decode(json_string_value(v), 128, sig, 64) < 0) {
		BAD("%s: signature: 128 hex digits required", path);
	}
	/* Verify over exactly what the fields say, re-encoded: a reordered or re-spaced file
	 * still verifies, a changed value does not. */
	json_t *canon = agreement_json(&ag);
	json_object_del(o, "signature");
	if (!canon || !json_equal(canon, o)) {
		json_decref(canon);
		BAD("%s: a field is not in its canonical form (times must match their _us values)",
		    path);
	}
	msg = signed_message(canon, &mlen);
	json_decref(canon);
	if ((r = load_key(agency_pub_path, EVP_PKEY_ED25519, false, &k)) < 0) {
		snprintf(err, errsz, "%s: %s", agency_pub_path,
			 r == -ALPR_E_PARSE ? "not an Ed25519 key" : alpr_strerror(r));
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!msg || !md || EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestVerify(md, sig, 64, (const uint8_t *)msg, mlen) != 1) {
		snprintf(err, errsz, "%s: signature: does not verify against %s", path,
			 agency_pub_path);
		r = -ALPR_E_SIGNATURE;
		goto out;
	}
	*out = ag;
	r = 0;
out:
	free(msg);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	json_decref(o);
	return r;
}

/* ---- encryption ------------------------------------------------------------------------ */

/* The AES key from the X25519 shared secret: HKDF-SHA-256, salt ephemeral || recipient
 * public keys, info DISC_INFO. */
static int derive(EVP_PKEY *priv, EVP_PKEY *peer, const uint8_t eph_pub[32],
		  const uint8_t rcpt_pub[32], uint8_t key[32])
{
	uint8_t secret[32], salt[64];
	size_t slen = sizeof(secret), klen = 32;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(priv, NULL), *h = NULL;
	int r = -EIO;

	if (!c || EVP_PKEY_derive_init(c) != 1 || EVP_PKEY_derive_set_peer(c, peer) != 1 ||
	    EVP_PKEY_derive(c, secret, &slen) != 1 || slen != 32) {
		goto out;
	}
	memcpy(salt, eph_pub, 32);
	memcpy(salt + 32, rcpt_pub, 32);
	h = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	if (!h || EVP_PKEY_derive_init(h) != 1 || EVP_PKEY_CTX_set_hkdf_md(h, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set1_hkdf_salt(h, salt, sizeof(salt)) != 1 ||
	    EVP_PKEY_CTX_set1_hkdf_key(h, secret, 32) != 1 ||
	    EVP_PKEY_CTX_add1_hkdf_info(h, (const uint8_t *)DISC_INFO, strlen(DISC_INFO)) != 1 ||
	    EVP_PKEY_derive(h, key, &klen) != 1 || klen != 32) {
		goto out;
	}
	r = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_CTX_free(h);
	return r;
}

static int gcm(bool enc, const uint8_t key[32], const uint8_t *nonce, const uint8_t *aad,
	       size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, r = -EIO;

	if (!c || EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) != 1) {
		goto out;
	}
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1) {
		goto out;
	}
	if (EVP_CipherFinal_ex(c, out + n, &n) != 1) {
		r = enc ? -EIO : -ALPR_E_CORRUPT;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1) {
		goto out;
	}
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

/* Writes DISC_MAGIC | ephemeral public key (32) | nonce (12) | ciphertext | tag (16). */
static int seal_to(const uint8_t rcpt_pub[32], const char *plain, size_t len, const char *path)
{
	EVP_PKEY *eph = NULL, *peer = NULL;
	uint8_t key[32], eph_pub[32], *buf = NULL;
	size_t n = 32, hdr = DISC_MAGIC_LEN + 32 + NONCE_LEN;
	int r = -EIO;

	peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, rcpt_pub, 32);
	eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	if (!peer || !eph || EVP_PKEY_get_raw_public_key(eph, eph_pub, &n) != 1) {
		goto out;
	}
	if ((r = derive(eph, peer, eph_pub, rcpt_pub, key)) < 0) {
		goto out;
	}
	buf = malloc(hdr + len + TAG_LEN);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(buf, DISC_MAGIC, DISC_MAGIC_LEN);
	memcpy(buf + DISC_MAGIC_LEN, eph_pub, 32);
	if (RAND_bytes(buf + DISC_MAGIC_LEN + 32, NONCE_LEN) != 1) {
		r = -EIO;
		goto out;
	}
	r = gcm(true, key, buf + DISC_MAGIC_LEN + 32, buf, DISC_MAGIC_LEN + 32,
		(const uint8_t *)plain, len, buf + hdr, buf + hdr + len);
	if (r == 0) {
		r = alpr_write_file_atomic(path, buf, hdr + len + TAG_LEN, 0600);
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(buf);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(peer);
	return r;
}

int sharing_open(const char *path, const char *recipient_key_path, char **json_out, size_t *len_out)
{
	_autofree_ char *data = NULL;
	EVP_PKEY *k = NULL, *eph = NULL;
	uint8_t key[32], rcpt_pub[32];
	size_t len, n = 32, hdr = DISC_MAGIC_LEN + 32 + NONCE_LEN, plen;
	char *plain = NULL;
	int r;

	if ((r = alpr_read_file(path, DISC_MAX, &data, &len)) < 0) {
		return r;
	}
	if (len < hdr + TAG_LEN || memcmp(data, DISC_MAGIC, DISC_MAGIC_LEN) != 0) {
		return -ALPR_E_CORRUPT;
	}
	if ((r = load_key(recipient_key_path, EVP_PKEY_X25519, true, &k)) < 0) {
		return r;
	}
	const uint8_t *p = (const uint8_t *)data;
	eph = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, p + DISC_MAGIC_LEN, 32);
	r = -EIO;
	if (!eph || EVP_PKEY_get_raw_public_key(k, rcpt_pub, &n) != 1) {
		goto out;
	}
	if ((r = derive(k, eph, p + DISC_MAGIC_LEN, rcpt_pub, key)) < 0) {
		goto out;
	}
	plen = len - hdr - TAG_LEN;
	plain = malloc(plen + 1);
	if (!plain) {
		r = -ENOMEM;
		goto out;
	}
	r = gcm(false, key, p + DISC_MAGIC_LEN + 32, p, DISC_MAGIC_LEN + 32, p + hdr, plen,
		(uint8_t *)plain, (uint8_t *)data + hdr + plen);
	if (r < 0) {
		free(plain);
		plain = NULL;
		goto out;
	}
	plain[plen] = 0;
	*json_out = plain;
	if (len_out) {
		*len_out = plen;
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	EVP_PKEY_free(k);
	EVP_PKEY_free(eph);
	return r;
}

/* ---- disclosure ------------------------------------------------------------------------ */

static json_t *read_json(const struct store_read *r, const struct store_hit *hit)
{
	char t[ALPR_TIME_BUFSZ];
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", r->id, "captured_at",
			      alpr_time_format(r->captured_at, t, sizeof(t)), "plate", r->plate,
			      "state", r->state, "camera", r->camera);
	if (r->gps.mode != STORE_FIX_NONE) {
		json_object_set_new(o, "lat", json_real(r->gps.lat));
		json_object_set_new(o, "lon", json_real(r->gps.lon));
	}
	if (hit) {
		json_object_set_new(o, "hit",
				    json_pack("{s:s, s:s}", "category",
					      policy_category_name(hit->category), "status",
					      store_hit_status_name(hit->status)));
	}
	return o;
}

/* A unit's store as a source of reads to disclose. */
static int store_get(void *source, const char *id, struct store_read *r, struct store_hit *hit,
		     bool *has_hit)
{
	struct store *s = source;
	*has_hit = store_get_hit(s, id, hit) == 0;
	return store_get_read(s, id, r);
}

int sharing_disclose(struct store *s, struct audit *a, const struct policy *p,
		     const struct sharing_agreement *ag, const struct sharing_request *rq,
		     const char *out_path, char *reason, size_t reasonsz)
{
	if (!s) {
		return -EINVAL;
	}
	return sharing_disclose_source(store_get, s, a, p, ag, rq, out_path, reason, reasonsz);
}

int sharing_disclose_source(sharing_get_fn get, void *source, struct audit *a,
			    const struct policy *p, const struct sharing_agreement *ag,
			    const struct sharing_request *rq, const char *out_path, char *reason,
			    size_t reasonsz)
{
	int64_t now = rq && rq->now_us ? rq->now_us : alpr_clock_now(NULL);
	json_t *reads = json_array(), *doc = NULL, *pj;
	uint8_t hash[AUDIT_HASH_LEN];
	char *params = NULL, *text = NULL, t[ALPR_TIME_BUFSZ];
	bool purpose_listed = false;
	int j, r;

	if (!get || !a || !p || !ag || !rq || !out_path || !reason) {
		json_decref(reads);
		return -EINVAL;
	}
	*reason = 0;
	pj = json_pack("{s:s, s:s, s:s, s:I}", "agreement", ag->id, "recipient", ag->recipient,
		       "recipient_type", policy_recipient_name(ag->type), "reads",
		       (json_int_t)rq->nids);
	params = pj ? json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(pj);
	for (size_t i = 0; i < ag->npurposes; i++) {
		purpose_listed |= rq->purpose && strcmp(ag->purposes[i], rq->purpose) == 0;
	}
	j = rq->purpose ? policy_purpose_find(p, rq->purpose) : -ENOENT;
	if (!rq->user || !*rq->user) {
		snprintf(reason, reasonsz, "user: a user id is required");
	} else if (search_role_from_name(rq->role) != SEARCH_ROLE_INVESTIGATOR) {
		snprintf(reason, reasonsz, "role: only an investigator discloses reads");
	} else if (policy_sharing_rule(p, ag->type) == POLICY_SHARING_FORBIDDEN) {
		snprintf(reason, reasonsz,
			 "recipient: profile %s forbids disclosure to %s agencies", policy_name(p),
			 policy_recipient_name(ag->type));
	} else if (now >= ag->expires_us || now < ag->issued_us) {
		snprintf(reason, reasonsz, "agreement: %s is not in force (expires %s)", ag->id,
			 alpr_time_format(ag->expires_us, t, sizeof(t)));
	} else if (j < 0 || policy_purpose_prohibited(p, (size_t)j)) {
		snprintf(reason, reasonsz, "purpose: %s is not an allowed purpose of profile %s",
			 rq->purpose && search_text_ok(rq->purpose, 64) ? rq->purpose : "(none)",
			 policy_name(p));
	} else if (!purpose_listed) {
		snprintf(reason, reasonsz, "purpose: %s is not in agreement %s", rq->purpose,
			 ag->id);
	} else if (!policy_case_number_ok(p, rq->case_number)) {
		snprintf(reason, reasonsz, "case number: not in the profile's format %s",
			 policy_case_number_format(p));
	} else if (rq->nids == 0 || rq->nids > SHARING_IDS_MAX || !rq->ids) {
		snprintf(reason, reasonsz, "reads: 1 to %d read ids per disclosure",
			 SHARING_IDS_MAX);
	} else if (!params) {
		snprintf(reason, reasonsz, "request: not valid text");
	}
	for (size_t i = 0; !*reason && i < rq->nids; i++) {
		struct store_read rd;
		struct store_hit hit;
		bool has_hit = false;
		r = get(source, rq->ids[i], &rd, &hit, &has_hit);
		if (r < 0) {
			snprintf(reason, reasonsz, "reads: %.64s is not a retained read",
				 search_text_ok(rq->ids[i], 64) ? rq->ids[i] : "?");
			break;
		}
		if (!ag->classes[has_hit ? POLICY_CLASS_HIT : POLICY_CLASS_READ]) {
			snprintf(reason, reasonsz,
				 "reads: agreement %s does not cover %s data (%s)", ag->id,
				 has_hit ? "hit" : "non-hit read", rd.id);
			store_read_finish(&rd);
			break;
		}
		json_array_append_new(reads, read_json(&rd, has_hit ? &hit : NULL));
		store_read_finish(&rd);
	}
	struct search_audit_args x = {
		.user = rq->user,
		.role = rq->role,
		.action = SHARING_ACTION_DISCLOSE,
		.params = params ? params : "",
		.purpose = rq->purpose,
		.case_number = rq->case_number,
		.object_id = ag->id,
	};
	if (*reason) {
		x.reason = reason;
		r = search_audit_simple(a, p, &x, NULL);
		r = r < 0 ? r : -ALPR_E_REFUSED;
		goto out;
	}
	search_ids_hash(rq->ids, rq->nids, hash);
	x.result_count = rq->nids;
	x.results_hash = hash;
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "format", "alpr-disclosure/1",
			"agreement", ag->id, "recipient", ag->recipient, "purpose", rq->purpose,
			"case_number", rq->case_number, "disclosed_at",
			alpr_time_format(now, t, sizeof(t)), "reads", reads);
	text = doc ? json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(1)) : NULL;
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	/* The record first: nothing leaves that is not in the log. */
	if ((r = search_audit_simple(a, p, &x, NULL)) < 0) {
		goto out;
	}
	r = seal_to(ag->recipient_key, text, strlen(text), out_path);
	if (r < 0) {
		snprintf(reason, reasonsz, "%s: %s (the disclosure was not written)", out_path,
			 alpr_strerror(r));
		x.reason = reason;
		search_audit_simple(a, p, &x, NULL);
	}
out:
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
	}
	free(text);
	free(params);
	json_decref(doc);
	json_decref(reads);
	return r;
}

int sharing_refuse(struct audit *a, const struct policy *p, const struct sharing_request *rq,
		   const char *agreement_path, const char *reason)
{
	if (!a || !rq || !reason || !*reason) {
		return -EINVAL;
	}
	json_t *pj = json_pack(
		"{s:s?, s:I}", "agreement_file",
		agreement_path && search_text_ok(agreement_path, 512) ? agreement_path : NULL,
		"reads", (json_int_t)rq->nids);
	char *params = pj ? json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(pj);
	struct search_audit_args x = {
		.user = rq->user,
		.role = rq->role,
		.action = SHARING_ACTION_DISCLOSE,
		.params = params ? params : "",
		.purpose = rq->purpose,
		.case_number = rq->case_number,
		.reason = reason,
	};
	int r = search_audit_simple(a, p, &x, NULL);
	free(params);
	return r < 0 ? r : -ALPR_E_REFUSED;
}
