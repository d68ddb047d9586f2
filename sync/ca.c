/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The station's certificate authority, with libcrypto: EC P-256 keys, SHA-256 signatures,
 * X.509 v3. The role travels in the subject's OU ("unit", "admin", "station") and the id in
 * its CN; the station trusts nothing but this CA.
 */
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sync.h"

/* Validity: a CA outlives its fleet; unit certificates are renewed at enrolment. */
#define CA_DAYS     3650
#define SERVER_DAYS 825

static const char *const role_names[SYNC_ROLE_COUNT] = {"unit", "admin", "station", "investigator"};

const char *sync_role_name(enum sync_role role)
{
	return (unsigned)role < SYNC_ROLE_COUNT ? role_names[role] : "?";
}

static int crypto_fail(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];
	ERR_error_string_n(e, buf, sizeof(buf));
	alpr_error("sync", "ca: %s: %s", what, buf);
	ERR_clear_error();
	return -EIO;
}

static bool name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SYNC_UNIT_MAX) {
		return false;
	}
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static int write_pem(const char *path, EVP_PKEY *key, X509 *cert, unsigned mode)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	int ok = key ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
		     : PEM_write_bio_X509(b, cert);
	if (!ok) {
		BIO_free(b);
		return crypto_fail(path);
	}
	long n = BIO_get_mem_data(b, &data);
	int r = alpr_write_file_atomic(path, data, (size_t)n, mode);
	BIO_free(b);
	if (r < 0) {
		alpr_error("sync", "%s: %s", path, alpr_strerror(r));
	}
	return r;
}

static int read_pem(const char *path, EVP_PKEY **key, X509 **cert)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		return -errno;
	}
	if (key) {
		*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	} else {
		*cert = PEM_read_X509(f, NULL, NULL, NULL);
	}
	fclose(f);
	if (key ? !*key : !*cert) {
		return crypto_fail(path);
	}
	return 0;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext) {
		return crypto_fail(value);
	}
	int ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : crypto_fail("adding an extension");
}

/* Builds and signs a certificate for @key. @issuer NULL: self-signed (the CA). */
static int make_cert(EVP_PKEY *key, const char *cn, const char *ou, X509 *issuer,
		     EVP_PKEY *issuer_key, int64_t not_before_s, int64_t not_after_s,
		     const char *san, enum sync_role role, bool ca, X509 **out)
{
	X509 *c = X509_new();
	uint8_t serial[16];
	int r = 0;
	if (RAND_bytes(serial, sizeof(serial)) != 1) {
		X509_free(c);
		return crypto_fail("serial");
	}
	serial[0] &= 0x7f; /* positive */
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
	BN_free(bn);
	X509_set_version(c, 2);
	X509_gmtime_adj(X509_getm_notBefore(c), (long)not_before_s);
	X509_gmtime_adj(X509_getm_notAfter(c), (long)not_after_s);
	X509_set_pubkey(c, key);
	X509_NAME *name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"alpr-station",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC, (const unsigned char *)ou, -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	X509 *iss = issuer ? issuer : c;
	if (ca) {
		if ((r = add_ext(c, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")) <
			    0 ||
		    (r = add_ext(c, iss, NID_key_usage, "critical,keyCertSign,cRLSign")) < 0) {
			goto out;
		}
	} else {
		if ((r = add_ext(c, iss, NID_basic_constraints, "critical,CA:FALSE")) < 0 ||
		    (r = add_ext(c, iss, NID_key_usage, "critical,digitalSignature")) < 0 ||
		    (r = add_ext(c, iss, NID_ext_key_usage,
				 role == SYNC_ROLE_STATION ? "serverAuth" : "clientAuth")) < 0) {
			goto out;
		}
	}
	if (san && (r = add_ext(c, iss, NID_subject_alt_name, san)) < 0) {
		goto out;
	}
	if ((r = add_ext(c, iss, NID_subject_key_identifier, "hash")) < 0 ||
	    (issuer && (r = add_ext(c, iss, NID_authority_key_identifier, "keyid:always")) < 0)) {
		goto out;
	}
	if (X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) <= 0) {
		r = crypto_fail("signing a certificate");
	}
out:
	if (r < 0) {
		X509_free(c);
		return r;
	}
	*out = c;
	return 0;
}

static int path_in(char *buf, size_t sz, const char *dir, const char *name)
{
	int n = snprintf(buf, sz, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int sync_ca_init(const char *dir, const char *const *hosts, size_t nhosts)
{
	static const char *const default_hosts[] = {"localhost", "127.0.0.1"};
	char ca_key[4096], ca_crt[4096], srv_key[4096], srv_crt[4096];
	EVP_PKEY *cakey = NULL, *skey = NULL;
	X509 *cacert = NULL, *scert = NULL;
	int r;

	if ((r = alpr_mkdir_p(dir)) < 0 ||
	    (r = path_in(ca_key, sizeof(ca_key), dir, "ca-key.pem")) < 0 ||
	    (r = path_in(ca_crt, sizeof(ca_crt), dir, "ca.pem")) < 0 ||
	    (r = path_in(srv_key, sizeof(srv_key), dir, "server-key.pem")) < 0 ||
	    (r = path_in(srv_crt, sizeof(srv_crt), dir, "server.pem")) < 0) {
		return r;
	}
	if (!exists(ca_key)) {
		cakey = EVP_EC_gen("P-256");
		if (!cakey) {
			return crypto_fail("CA key");
		}
		if ((r = make_cert(cakey, "alpr-station CA", "ca", NULL, NULL, -60,
				   (int64_t)CA_DAYS * 86400, NULL, SYNC_ROLE_STATION, true,
				   &cacert)) < 0 ||
		    (r = write_pem(ca_key, cakey, NULL, 0600)) < 0 ||
		    (r = write_pem(ca_crt, NULL, cacert, 0644)) < 0) {
			goto out;
		}
	} else if ((r = read_pem(ca_key, &cakey, NULL)) < 0 ||
		   (r = read_pem(ca_crt, NULL, &cacert)) < 0) {
		goto out;
	}
	if (!exists(srv_key)) {
		char san[1024] = "";
		size_t used = 0;
		if (!hosts || nhosts == 0) {
			hosts = default_hosts;
			nhosts = ALPR_ARRAY_SIZE(default_hosts);
		}
		for (size_t i = 0; i < nhosts; i++) {
			unsigned char addr[16];
			bool ip = inet_pton(AF_INET, hosts[i], addr) == 1 ||
				  inet_pton(AF_INET6, hosts[i], addr) == 1;
			int n = snprintf(san + used, sizeof(san) - used, "%s%s:%s", i ? "," : "",
					 ip ? "IP" : "DNS", hosts[i]);
			if (n < 0 || (size_t)n >= sizeof(san) - used) {
				r = -ENAMETOOLONG;
				goto out;
			}
			used += (size_t)n;
		}
		skey = EVP_EC_gen("P-256");
		if (!skey) {
			r = crypto_fail("server key");
			goto out;
		}
		if ((r = make_cert(skey, hosts[0], "station", cacert, cakey, -60,
				   (int64_t)SERVER_DAYS * 86400, san, SYNC_ROLE_STATION, false,
				   &scert)) < 0 ||
		    (r = write_pem(srv_key, skey, NULL, 0600)) < 0 ||
		    (r = write_pem(srv_crt, NULL, scert, 0644)) < 0) {
			goto out;
		}
	}
out:
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(skey);
	X509_free(cacert);
	X509_free(scert);
	return r;
}

int sync_ca_issue(const char *ca_dir, const char *name, enum sync_role role, int64_t not_before_s,
		  int64_t not_after_s, const char *out_dir)
{
	char ca_key[4096], ca_crt[4096], key_path[4096], crt_path[4096], ca_out[4096];
	EVP_PKEY *cakey = NULL, *key = NULL;
	X509 *cacert = NULL, *cert = NULL;
	int r;

	if (!name_valid(name) || role == SYNC_ROLE_STATION || (unsigned)role >= SYNC_ROLE_COUNT ||
	    not_after_s <= not_before_s) {
		return -EINVAL;
	}
	if ((r = path_in(ca_key, sizeof(ca_key), ca_dir, "ca-key.pem")) < 0 ||
	    (r = path_in(ca_crt, sizeof(ca_crt), ca_dir, "ca.pem")) < 0 ||
	    (r = path_in(key_path, sizeof(key_path), out_dir, "key.pem")) < 0 ||
	    (r = path_in(crt_path, sizeof(crt_path), out_dir, "cert.pem")) < 0 ||
	    (r = path_in(ca_out, sizeof(ca_out), out_dir, "ca.pem")) < 0) {
		return r;
	}
	if (exists(key_path)) {
		return -EEXIST;
	}
	if ((r = alpr_mkdir_p(out_dir)) < 0 || (r = read_pem(ca_key, &cakey, NULL)) < 0 ||
	    (r = read_pem(ca_crt, NULL, &cacert)) < 0) {
		goto out;
	}
	key = EVP_EC_gen("P-256");
	if (!key) {
		r = crypto_fail("key");
		goto out;
	}
	if ((r = make_cert(key, name, role_names[role], cacert, cakey, not_before_s, not_after_s,
			   NULL, role, false, &cert)) < 0 ||
	    (r = write_pem(key_path, key, NULL, 0600)) < 0 ||
	    (r = write_pem(crt_path, NULL, cert, 0644)) < 0 ||
	    (r = write_pem(ca_out, NULL, cacert, 0644)) < 0) {
		goto out;
	}
out:
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
	X509_free(cacert);
	X509_free(cert);
	return r;
}
