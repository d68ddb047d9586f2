/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* officers.c: the officers file and PIN checks (officers.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "officers.h"

#define SALT_LEN 16
#define HASH_LEN 32
/* The file: OFFICERS_MAX lines of under 128 bytes, with room for comments. */
#define FILE_MAX (OFFICERS_MAX * 256)
#define ITER_MIN 1000
#define ITER_MAX 10000000

struct officer {
	char id[OFFICERS_ID_MAX + 1];
	int iterations;
	uint8_t salt[SALT_LEN], hash[HASH_LEN];
};

struct officers {
	size_t n;
	struct officer *list;
};

static bool id_ok(const char *s, size_t len)
{
	if (len == 0 || len > OFFICERS_ID_MAX) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr("_.:/-", c))) {
			return false;
		}
	}
	return true;
}

static int derive(const char *pin, const uint8_t *salt, int iterations, uint8_t *out)
{
	if (PKCS5_PBKDF2_HMAC(pin, (int)strlen(pin), salt, SALT_LEN, iterations, EVP_sha256(),
			      HASH_LEN, out) != 1) {
		return -EIO;
	}
	return 0;
}

/* One line "ID:ITER:SALT:HASH" of @len bytes (no newline) into @o. */
static int parse_line(const char *s, size_t len, struct officer *o)
{
	const char *f[4], *p = s + len;
	size_t flen[4];
	int64_t iter;

	/* Split from the right: HASH, SALT, ITER, then the id (which may hold ':', the store's
	 * officer alphabet allows it). */
	for (int k = 3; k > 0; k--) {
		const char *c = p;
		while (c > s && c[-1] != ':') {
			c--;
		}
		if (c == s) {
			return -ALPR_E_PARSE;
		}
		f[k] = c;
		flen[k] = (size_t)(p - c);
		p = c - 1;
	}
	f[0] = s;
	flen[0] = (size_t)(p - s);
	if (!id_ok(f[0], flen[0]) ||
	    alpr_parse_int64(f[1], flen[1], ITER_MIN, ITER_MAX, &iter) < 0 ||
	    flen[2] != 2 * SALT_LEN || alpr_hex_decode(f[2], flen[2], o->salt, SALT_LEN) < 0 ||
	    flen[3] != 2 * HASH_LEN || alpr_hex_decode(f[3], flen[3], o->hash, HASH_LEN) < 0) {
		return -ALPR_E_PARSE;
	}
	memcpy(o->id, f[0], flen[0]);
	o->id[flen[0]] = '\0';
	o->iterations = (int)iter;
	return 0;
}

int officers_load(const char *path, struct officers **out, char *err, size_t errsz)
{
	char *text = NULL;
	size_t len;
	int r = alpr_read_file(path, FILE_MAX, &text, &len);

	if (r < 0) {
		snprintf(err, errsz, "%s: %s", path, alpr_strerror(r));
		return r;
	}
	struct officers *o = alpr_xcalloc(1, sizeof(*o));
	o->list = alpr_xcalloc(OFFICERS_MAX, sizeof(*o->list));
	size_t lineno = 0;
	for (char *line = text; line < text + len;) {
		char *nl = memchr(line, '\n', (size_t)(text + len - line));
		size_t ll = nl ? (size_t)(nl - line) : (size_t)(text + len - line);
		lineno++;
		if (ll > 0 && line[ll - 1] == '\r') {
			ll--;
		}
		if (ll > 0 && line[0] != '#') {
			if (o->n == OFFICERS_MAX) {
				snprintf(err, errsz, "%s:%zu: more than %d officers", path, lineno,
					 OFFICERS_MAX);
				r = -E2BIG;
				goto fail;
			}
			if (parse_line(line, ll, &o->list[o->n]) < 0) {
				snprintf(err, errsz,
					 "%s:%zu: expected ID:ITERATIONS:SALT:HASH "
					 "(alpr-unit --hash-pin ID)",
					 path, lineno);
				r = -ALPR_E_PARSE;
				goto fail;
			}
			o->n++;
		}
		line = nl ? nl + 1 : text + len;
	}
	free(text);
	*out = o;
	return 0;
fail:
	free(text);
	officers_destroy(o);
	return r;
}

void officers_destroy(struct officers *o)
{
	if (!o) {
		return;
	}
	OPENSSL_cleanse(o->list, OFFICERS_MAX * sizeof(*o->list));
	free(o->list);
	free(o);
}

size_t officers_count(const struct officers *o)
{
	return o ? o->n : 0;
}

int officers_check(const struct officers *o, const char *id, const char *pin)
{
	/* An unknown officer costs the same derivation as a known one (no timing oracle). */
	static const uint8_t dummy_salt[SALT_LEN];
	const struct officer *found = NULL;
	uint8_t got[HASH_LEN];

	if (!o || !id || !pin || !*pin) {
		return -EACCES;
	}
	for (size_t i = 0; i < o->n && !found; i++) {
		if (strcmp(o->list[i].id, id) == 0) {
			found = &o->list[i];
		}
	}
	if (derive(pin, found ? found->salt : dummy_salt,
		   found ? found->iterations : OFFICERS_ITERATIONS, got) < 0) {
		return -EACCES;
	}
	bool ok = found && CRYPTO_memcmp(got, found->hash, HASH_LEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok ? 0 : -EACCES;
}

int officers_hash_line(const char *id, const char *pin, char *buf, size_t bufsz)
{
	uint8_t salt[SALT_LEN], hash[HASH_LEN];
	char salt_hex[2 * SALT_LEN + 1], hash_hex[2 * HASH_LEN + 1];
	int r;

	if (!id || !id_ok(id, strlen(id)) || !pin || !*pin) {
		return -EINVAL;
	}
	if (RAND_bytes(salt, SALT_LEN) != 1) {
		return -EIO;
	}
	r = derive(pin, salt, OFFICERS_ITERATIONS, hash);
	if (r < 0) {
		return r;
	}
	alpr_hex_encode(salt, SALT_LEN, salt_hex);
	alpr_hex_encode(hash, HASH_LEN, hash_hex);
	OPENSSL_cleanse(hash, sizeof(hash));
	int n = snprintf(buf, bufsz, "%s:%d:%s:%s", id, OFFICERS_ITERATIONS, salt_hex, hash_hex);
	return n < 0 || (size_t)n >= bufsz ? -ENOSPC : 0;
}
