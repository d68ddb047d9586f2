/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The station server: HTTPS with client certificates (libmicrohttpd over GnuTLS), received
 * reads in LMDB keyed by read id, the hotlist distribution. Protocol: docs/sync-protocol.md.
 *
 * An upload batch is validated read by read, then stored in one durable LMDB transaction;
 * only after the commit does the answer list the ids stored, so a unit that marks what the
 * answer lists never marks a read the station could still lose. A read already held is not
 * stored again (idempotent by id); a newer state of its hit (a disposition) replaces an older
 * one, never the reverse, so a replayed old batch changes nothing.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <lmdb.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "audit.h"
#include "hotlist.h"
#include "search.h"
#include "sharing.h"
#include "station.h"
#include "sync-private.h"

#define STATION_MAP_SIZE_DEFAULT (UINT64_C(64) << 30)
/* Reads in one batch: the client sends 64; room for a larger configured batch, and a bound
 * on the work one request can ask for. */
#define STATION_BATCH_READS_MAX 1024
/* A checkpoint file is about 400 bytes (docs/audit-format.md caps it at 4096). */
#define STATION_CHECKPOINT_MAX 4096
/* An export request: a 16 KiB agreement and 1000 read ids of at most 64 bytes. */
#define STATION_EXPORT_MAX (128 * 1024)
/* New entries of one published version checked against the held reads (historical hits);
 * each check reads every held read. A bulk reload above this is not checked, and audited. */
#define STATION_HISTORICAL_MAX 1000
/* Purge no more often than this (it runs at the start of a write). */
#define STATION_PURGE_EVERY_US (60 * ALPR_USEC_PER_SEC)
/* Concurrent connections: a few hundred units per station (ARCHITECTURE.md). */
#define STATION_CONNECTIONS_MAX 1024
/* Per-read header before the canonical JSON in db "reads". */
#define READ_HDR     18
#define PATH_MAX_LEN 4096

struct station {
	char dir[PATH_MAX_LEN];
	const struct policy *policy;
	const struct alpr_clock *clock;
	size_t body_max;
	uint16_t port;
	int listen_fd;
	struct MHD_Daemon *mhd;
	char *tls_key, *tls_cert, *tls_ca;
	MDB_env *env;
	MDB_dbi reads, crops, expiry, units;
	struct hotlist *hotlist;
	struct audit *audit;  /* DIR/audit: searches, publishes, the profile in force */
	pthread_mutex_t lock; /* delta cache generation, publishing, purge timing, exports */
	int64_t last_purge;
	uint64_t exports; /* names each export's temporary file; under lock */
	char hotlist_priv[PATH_MAX_LEN], publisher_pub[PATH_MAX_LEN];
};

enum role_mask {
	ALLOW_UNIT = 1,
	ALLOW_ADMIN = 2,
	ALLOW_INVESTIGATOR = 4,
};

static unsigned role_mask(enum sync_role r)
{
	return r == SYNC_ROLE_UNIT    ? ALLOW_UNIT
	       : r == SYNC_ROLE_ADMIN ? ALLOW_ADMIN
				      : ALLOW_INVESTIGATOR;
}

struct request {
	bool started;
	bool responded;
	bool too_large;
	char *body;
	size_t len, cap;
	char cn[SYNC_UNIT_MAX + 1];
	enum sync_role role;
};

/* ---- helpers --------------------------------------------------------------------------- */

static int path_join(char *buf, size_t sz, const char *dir, const char *name);
static int record(struct audit *a, const struct policy *p, const struct station_audit_args *x);

static int mdb_err(int rc, const char *what)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
		alpr_error("station", "%s: the database is full", what);
		return -ENOSPC;
	default:
		alpr_error("station", "%s: %s", what, mdb_strerror(rc));
		return rc > 0 ? -rc : -EIO;
	}
}

static enum MHD_Result respond(struct MHD_Connection *conn, struct request *rq, unsigned status,
			       json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	size_t n = strlen(text);
	text[n] = '\n';
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(n + 1, text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	enum MHD_Result r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	rq->responded = true;
	return r;
}

__attribute__((format(printf, 4, 5))) static enum MHD_Result
respond_error(struct MHD_Connection *conn, struct request *rq, unsigned status, const char *fmt,
	      ...)
{
	char msg[SYNC_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	alpr_info("station", "%u %s%s%s", status, rq->cn[0] ? rq->cn : "", rq->cn[0] ? ": " : "",
		  msg);
	return respond(conn, rq, status, json_pack("{s:s}", "error", msg));
}

/* Checks the client certificate: present, issued by this station's CA, in its validity
 * period. Fills rq->cn and rq->role. 0, or an HTTP status with @why. */
static unsigned authenticate(struct MHD_Connection *conn, struct request *rq, char *why,
			     size_t whysz)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session) {
		snprintf(why, whysz, "TLS is required");
		return MHD_HTTP_FORBIDDEN;
	}
	gnutls_session_t tls = (gnutls_session_t)ci->tls_session;
	unsigned n = 0, status = 0;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(tls, &n);
	if (!peers || n == 0) {
		snprintf(why, whysz, "client certificate: none presented");
		return MHD_HTTP_UNAUTHORIZED;
	}
	if (gnutls_certificate_verify_peers2(tls, &status) < 0 || status != 0) {
		snprintf(why, whysz, "client certificate: %s",
			 status & GNUTLS_CERT_EXPIRED         ? "expired"
			 : status & GNUTLS_CERT_NOT_ACTIVATED ? "not yet valid"
			 : status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA)
				 ? "not issued by this station's CA"
			 : status & GNUTLS_CERT_REVOKED ? "revoked"
							: "does not verify");
		return MHD_HTTP_FORBIDDEN;
	}
	gnutls_x509_crt_t crt;
	char ou[32];
	size_t cnl = sizeof(rq->cn), oul = sizeof(ou);
	gnutls_x509_crt_init(&crt);
	int rc = gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER);
	if (rc >= 0) {
		rc = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, rq->cn,
						   &cnl);
	}
	if (rc >= 0) {
		rc = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, 0,
						   0, ou, &oul);
	}
	gnutls_x509_crt_deinit(crt);
	if (rc < 0 || cnl == 0 ||
	    strspn(rq->cn, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
		    cnl) {
		rq->cn[0] = '\0';
		snprintf(why, whysz, "client certificate: no usable CN");
		return MHD_HTTP_FORBIDDEN;
	}
	if (strcmp(ou, "unit") == 0) {
		rq->role = SYNC_ROLE_UNIT;
	} else if (strcmp(ou, "admin") == 0) {
		rq->role = SYNC_ROLE_ADMIN;
	} else if (strcmp(ou, "investigator") == 0) {
		rq->role = SYNC_ROLE_INVESTIGATOR;
	} else {
		snprintf(why, whysz, "client certificate: OU is not unit, admin or investigator");
		return MHD_HTTP_FORBIDDEN;
	}
	return 0;
}

/* ---- the received-reads store ---------------------------------------------------------- */

static void be64(uint8_t *p, uint64_t v)
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
		v = v << 8 | p[i];
	}
	return v;
}

/* Expiry key: kind ('r' a read, 'c' its crop), deadline (sign bit flipped, BE), id. */
static size_t expiry_key(uint8_t *k, char kind, int64_t deadline, const char *id)
{
	size_t n = strlen(id);
	k[0] = (uint8_t)kind;
	be64(k + 1, (uint64_t)deadline ^ (UINT64_C(1) << 63));
	memcpy(k + 9, id, n);
	return 9 + n;
}

static int del_expiry(struct station *s, MDB_txn *txn, char kind, int64_t deadline, const char *id)
{
	uint8_t kb[9 + STORE_ID_MAX + 1];
	MDB_val k = {expiry_key(kb, kind, deadline, id), kb};
	int rc = mdb_del(txn, s->expiry, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : mdb_err(rc, "expiry");
}

static int put_expiry(struct station *s, MDB_txn *txn, char kind, int64_t deadline, const char *id)
{
	uint8_t kb[9 + STORE_ID_MAX + 1];
	MDB_val k = {expiry_key(kb, kind, deadline, id), kb}, v = {1, "e"};
	return mdb_err(mdb_put(txn, s->expiry, &k, &v, 0), "expiry");
}

/* Deletes everything past its deadline, in @txn. */
static int purge_txn(struct station *s, MDB_txn *txn, int64_t now, uint64_t *purged)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int r = mdb_err(mdb_cursor_open(txn, s->expiry, &cur), "expiry cursor");
	if (r < 0) {
		return r;
	}
	for (int kind = 0; kind < 2 && r == 0; kind++) {
		uint8_t start = kind == 0 ? 'c' : 'r';
		k.mv_size = 1;
		k.mv_data = &start;
		int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		while (rc == 0 && r == 0) {
			const uint8_t *kb = k.mv_data;
			if (k.mv_size < 10 || kb[0] != start ||
			    (int64_t)(get_be64(kb + 1) ^ (UINT64_C(1) << 63)) > now) {
				break;
			}
			MDB_val id = {k.mv_size - 9, (void *)(kb + 9)};
			if (start == 'r') {
				MDB_val old;
				if (mdb_get(txn, s->reads, &id, &old) == 0 &&
				    old.mv_size >= READ_HDR) {
					int64_t cd = (int64_t)get_be64((uint8_t *)old.mv_data + 8);
					char idb[STORE_ID_MAX + 1];
					size_t n = ALPR_MIN(id.mv_size, STORE_ID_MAX);
					memcpy(idb, id.mv_data, n);
					idb[n] = '\0';
					if (cd) {
						/* The cursor stays valid: this key sorts before. */
						r = del_expiry(s, txn, 'c', cd, idb);
					}
					mdb_del(txn, s->reads, &id, NULL);
					if (purged) {
						(*purged)++;
					}
				}
			}
			rc = mdb_del(txn, s->crops, &id, NULL);
			if (rc != 0 && rc != MDB_NOTFOUND) {
				r = mdb_err(rc, "purge");
				break;
			}
			if ((rc = mdb_cursor_del(cur, 0)) != 0) {
				r = mdb_err(rc, "purge");
				break;
			}
			rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
			if (rc == MDB_NOTFOUND || rc == EINVAL) {
				rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			}
		}
		if (rc != 0 && rc != MDB_NOTFOUND && r == 0) {
			r = mdb_err(rc, "purge");
		}
	}
	mdb_cursor_close(cur);
	return r;
}

int station_purge(struct station *s, uint64_t *purged)
{
	MDB_txn *txn;
	uint64_t n = 0;
	int r = mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn), "purge");
	if (r < 0) {
		return r;
	}
	r = purge_txn(s, txn, alpr_clock_now(s->clock), &n);
	if (r == 0) {
		r = mdb_err(mdb_txn_commit(txn), "purge commit");
	} else {
		mdb_txn_abort(txn);
	}
	if (r == 0 && n) {
		alpr_info("station", "purge: %llu reads past their deadline",
			  (unsigned long long)n);
	}
	if (purged) {
		*purged = n;
	}
	return r;
}

/* The per-unit record (JSON in db "units"). New reference; an empty object when absent. */
static json_t *unit_get(struct station *s, MDB_txn *txn, const char *unit)
{
	MDB_val k = {strlen(unit), (void *)unit}, v;
	json_t *o = NULL;
	if (mdb_get(txn, s->units, &k, &v) == 0) {
		o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
	}
	return json_is_object(o) ? o : (json_decref(o), json_object());
}

static int unit_put(struct station *s, MDB_txn *txn, const char *unit, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	MDB_val k = {strlen(unit), (void *)unit}, v = {strlen(text), text};
	int r = mdb_err(mdb_put(txn, s->units, &k, &v, 0), "units");
	free(text);
	return r;
}

static void unit_add(json_t *o, const char *field, uint64_t n)
{
	json_int_t cur = json_integer_value(json_object_get(o, field));
	json_object_set_new(o, field, json_integer(cur + (json_int_t)n));
}

/* ---- POST /v1/reads -------------------------------------------------------------------- */

/* "UNIT-" and 12 or more digits, UNIT being the certificate's. */
static bool id_is_units(const char *id, const char *unit)
{
	size_t ul = strlen(unit), n = strlen(id);
	if (n < ul + 13 || strncmp(id, unit, ul) != 0 || id[ul] != '-') {
		return false;
	}
	return strspn(id + ul + 1, "0123456789") == n - ul - 1;
}

static int64_t deadline_of(const struct station *s, const struct store_read *r,
			   const struct store_hit *hit, bool has_hit, int64_t *crop_deadline)
{
	enum policy_data_class cls = POLICY_CLASS_READ;
	if (has_hit) {
		cls = hit->status == STORE_HIT_MISREAD || hit->status == STORE_HIT_WRONG_STATE
			      ? POLICY_CLASS_MISREAD_HIT
			      : POLICY_CLASS_HIT;
	}
	int64_t d = r->captured_at + policy_retention_us(s->policy, cls);
	int64_t cd = has_hit ? d
			     : r->captured_at +
				       ALPR_MIN(policy_retention_us(s->policy, POLICY_CLASS_CROP),
						policy_retention_us(s->policy, POLICY_CLASS_READ));
	*crop_deadline = cd;
	return d;
}

/* The revision of a held read (db "reads" value): 0 when its JSON has none. */
static uint32_t held_revision(const MDB_val *v)
{
	json_t *o = json_loadb((const char *)v->mv_data + READ_HDR, v->mv_size - READ_HDR, 0, NULL);
	json_int_t rev = json_integer_value(json_object_get(o, "revision"));
	json_decref(o);
	return rev > 0 && rev <= UINT8_MAX ? (uint32_t)rev : 0;
}

struct accepted {
	struct store_read r;
	struct store_hit hit;
	bool has_hit;
	int64_t deadline, crop_deadline;
};

static enum MHD_Result post_reads(struct station *s, struct MHD_Connection *conn,
				  struct request *rq)
{
	json_error_t jerr;
	if (rq->len == 0) {
		return respond_error(conn, rq, MHD_HTTP_BAD_REQUEST, "body: empty");
	}
	json_t *body = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		return respond_error(conn, rq, MHD_HTTP_BAD_REQUEST, "body: line %d column %d: %s",
				     jerr.line, jerr.column, jerr.text);
	}
	const json_t *fmt = json_object_get(body, "format");
	const json_t *reads = json_object_get(body, "reads");
	if (!json_is_object(body) || json_object_size(body) != 2 || !json_is_string(fmt) ||
	    strcmp(json_string_value(fmt), SYNC_FORMAT_READS) != 0) {
		json_decref(body);
		return respond_error(conn, rq, MHD_HTTP_BAD_REQUEST,
				     "format: expected an object {\"format\": \"%s\", \"reads\": "
				     "[...]}",
				     SYNC_FORMAT_READS);
	}
	if (!json_is_array(reads) || json_array_size(reads) > STATION_BATCH_READS_MAX) {
		json_decref(body);
		return respond_error(conn, rq, MHD_HTTP_BAD_REQUEST,
				     "reads: not an array of at most %d", STATION_BATCH_READS_MAX);
	}
	size_t n = json_array_size(reads), nacc = 0;
	struct accepted *acc = calloc(n ? n : 1, sizeof(*acc));
	json_t *stored = json_array(), *refused = json_array();
	int64_t now = alpr_clock_now(s->clock);
	if (!acc) {
		json_decref(body);
		json_decref(stored);
		json_decref(refused);
		return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct accepted *a = &acc[nacc];
		char err[SYNC_MESSAGE_MAX], rid[STORE_ID_MAX + 1] = "";
		const json_t *o = json_array_get(reads, i);
		const json_t *idv = json_object_get(o, "id");
		if (json_is_string(idv)) {
			alpr_strlcpy(rid, json_string_value(idv), sizeof(rid));
		}
		int rc = sync_read_from_json(o, &a->r, &a->hit, &a->has_hit, err, sizeof(err));
		if (rc == 0 && !id_is_units(a->r.id, rq->cn)) {
			snprintf(err, sizeof(err), "id: not an id of unit %s", rq->cn);
			rc = -EINVAL;
		}
		if (rc == 0 && a->has_hit && policy_category_refused(s->policy, a->hit.category)) {
			snprintf(err, sizeof(err), "hit.category: %s is refused by policy %s",
				 policy_category_name(a->hit.category), policy_name(s->policy));
			rc = -ALPR_E_REFUSED;
		}
		if (rc == 0) {
			a->deadline = deadline_of(s, &a->r, &a->hit, a->has_hit, &a->crop_deadline);
			if (a->deadline <= now) {
				snprintf(err, sizeof(err),
					 "captured_at: past its retention period");
				rc = -ETIME;
			}
		}
		if (rc < 0) {
			if (!rid[0]) {
				/* Without an id the unit cannot mark it: the batch is malformed. */
				store_read_finish(&a->r);
				for (size_t j = 0; j < nacc; j++) {
					store_read_finish(&acc[j].r);
				}
				free(acc);
				json_decref(body);
				json_decref(stored);
				json_decref(refused);
				return respond_error(conn, rq, MHD_HTTP_BAD_REQUEST,
						     "reads[%zu]: %s", i, err);
			}
			json_array_append_new(refused,
					      json_pack("{s:s, s:s}", "id", rid, "reason", err));
			store_read_finish(&a->r);
			continue;
		}
		nacc++;
	}
	json_decref(body);

	/* One durable transaction for the batch. */
	MDB_txn *txn = NULL;
	uint64_t fresh = 0, dup = 0, updated = 0;
	int r = mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn), "batch");
	pthread_mutex_lock(&s->lock);
	bool purge = now - s->last_purge >= STATION_PURGE_EVERY_US;
	if (purge) {
		s->last_purge = now;
	}
	pthread_mutex_unlock(&s->lock);
	if (r == 0 && purge) {
		r = purge_txn(s, txn, now, NULL);
	}
	for (size_t i = 0; i < nacc && r == 0; i++) {
		struct accepted *a = &acc[i];
		MDB_val k = {strlen(a->r.id), a->r.id}, old;
		bool crop = a->r.crop && a->crop_deadline > now;
		int64_t kept_cd = 0; /* the held crop's deadline, when it stays */
		int rc = mdb_get(txn, s->reads, &k, &old);
		if (rc == 0 && old.mv_size >= READ_HDR) {
			const uint8_t *h = old.mv_data;
			/* A newer state replaces an older one, never the reverse: the hit's (no
			 * hit < hit < more dispositions) and the read's revision (an early hit's
			 * read, then its pass's final vote). The unit sends its current state,
			 * which is at least as new in both; anything else is a replay. */
			unsigned in_rank = a->has_hit ? 1 + a->hit.ndispositions : 0;
			unsigned old_rank = h[16] ? 1u + h[17] : 0;
			uint32_t old_rev = held_revision(&old);
			if (in_rank < old_rank || a->r.revision < old_rev ||
			    (in_rank == old_rank && a->r.revision == old_rev)) {
				dup++;
				json_array_append_new(stored, json_string(a->r.id));
				continue;
			}
			int64_t od = (int64_t)get_be64(h), ocd = (int64_t)get_be64(h + 8);
			/* A newer version without a crop (the unit's copy has expired, or it sent
			 * none) leaves the held crop in place under its own deadline: replacing the
			 * read must neither destroy the image nor free it from retention. */
			if (!crop) {
				kept_cd = ocd;
			}
			if ((r = del_expiry(s, txn, 'r', od, a->r.id)) < 0 ||
			    (ocd && crop && (r = del_expiry(s, txn, 'c', ocd, a->r.id)) < 0)) {
				break;
			}
			updated++;
		} else if (rc != MDB_NOTFOUND && rc != 0) {
			r = mdb_err(rc, "reads");
			break;
		} else {
			fresh++;
		}
		json_t *canon = sync_read_to_json(&a->r, a->has_hit ? &a->hit : NULL, false);
		char *text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(canon);
		size_t tl = strlen(text);
		MDB_val v = {READ_HDR + tl, NULL};
		rc = mdb_put(txn, s->reads, &k, &v, MDB_RESERVE);
		if (rc == 0) {
			uint8_t *p = v.mv_data;
			be64(p, (uint64_t)a->deadline);
			be64(p + 8, crop ? (uint64_t)a->crop_deadline : (uint64_t)kept_cd);
			p[16] = a->has_hit;
			p[17] = (uint8_t)a->hit.ndispositions;
			memcpy(p + READ_HDR, text, tl);
		}
		free(text);
		if ((r = mdb_err(rc, "reads")) < 0 ||
		    (r = put_expiry(s, txn, 'r', a->deadline, a->r.id)) < 0) {
			break;
		}
		if (crop) {
			MDB_val cv = {1 + a->r.crop_len, NULL};
			rc = mdb_put(txn, s->crops, &k, &cv, MDB_RESERVE);
			if (rc == 0) {
				((uint8_t *)cv.mv_data)[0] = (uint8_t)a->r.crop_format;
				memcpy((uint8_t *)cv.mv_data + 1, a->r.crop, a->r.crop_len);
			}
			if ((r = mdb_err(rc, "crops")) < 0 ||
			    (r = put_expiry(s, txn, 'c', a->crop_deadline, a->r.id)) < 0) {
				break;
			}
		}
		json_array_append_new(stored, json_string(a->r.id));
	}
	if (r == 0) {
		json_t *u = unit_get(s, txn, rq->cn);
		unit_add(u, "stored", fresh);
		unit_add(u, "updated", updated);
		unit_add(u, "duplicates", dup);
		unit_add(u, "refused", json_array_size(refused));
		json_object_set_new(u, "last_seen", json_integer(now));
		r = unit_put(s, txn, rq->cn, u);
		json_decref(u);
	}
	if (r == 0) {
		/* Durable before the answer: the unit marks synced only what we hold. */
		r = mdb_err(mdb_txn_commit(txn), "batch commit");
		txn = NULL;
	}
	if (txn) {
		mdb_txn_abort(txn);
	}
	for (size_t j = 0; j < nacc; j++) {
		store_read_finish(&acc[j].r);
	}
	free(acc);
	if (r < 0) {
		json_decref(stored);
		json_decref(refused);
		return respond_error(conn, rq,
				     r == -ENOSPC ? MHD_HTTP_INSUFFICIENT_STORAGE
						  : MHD_HTTP_SERVICE_UNAVAILABLE,
				     "store: %s (nothing stored)", alpr_strerror(r));
	}
	alpr_debug("station", "%s: %llu new, %llu updated, %llu already held, %zu refused", rq->cn,
		   (unsigned long long)fresh, (unsigned long long)updated, (unsigned long long)dup,
		   json_array_size(refused));
	return respond(conn, rq, MHD_HTTP_OK,
		       json_pack("{s:s, s:o, s:o}", "format", SYNC_FORMAT_ACK, "stored", stored,
				 "refused", refused));
}

/* ---- POST /v1/checkpoint --------------------------------------------------------------- */

int station_device_key_path(const char *dir, const char *unit, char *buf, size_t bufsz)
{
	size_t n = unit ? strlen(unit) : 0;
	if (!dir || n == 0 || n > SYNC_UNIT_MAX ||
	    strspn(unit, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
		    n ||
	    unit[0] == '.') {
		return -EINVAL;
	}
	int w = snprintf(buf, bufsz, "%s/device-keys/%s.pem", dir, unit);
	return w < 0 || (size_t)w >= bufsz ? -ENAMETOOLONG : 0;
}

int station_register_device_key(const char *dir, const char *unit, const char *pem_path,
				char hex[2 * AUDIT_PUBKEY_LEN + 1], bool *created)
{
	char path[PATH_MAX_LEN], kdir[PATH_MAX_LEN];
	uint8_t key[AUDIT_PUBKEY_LEN], held[AUDIT_PUBKEY_LEN];
	int r;
	*created = false;
	if ((r = station_device_key_path(dir, unit, path, sizeof(path))) < 0 ||
	    (r = audit_pubkey_read(pem_path, key)) < 0) {
		return r;
	}
	alpr_hex_encode(key, AUDIT_PUBKEY_LEN, hex);
	if (audit_pubkey_read(path, held) == 0) {
		/* Another key would let a new log pass for the old one: refused. */
		return memcmp(held, key, AUDIT_PUBKEY_LEN) == 0 ? 0 : -EEXIST;
	}
	if ((r = path_join(kdir, sizeof(kdir), dir, "device-keys")) < 0 ||
	    (r = alpr_mkdir_p(kdir)) < 0 || (r = audit_pubkey_write(key, path)) < 0) {
		return r;
	}
	*created = true;
	return 0;
}

/* A refused checkpoint: nothing stored, one audit record on the station (the body verbatim
 * when it is JSON, else what it was), one line to the unit. */
__attribute__((format(printf, 6, 7))) static enum MHD_Result
refuse_checkpoint(struct station *s, struct MHD_Connection *conn, struct request *rq,
		  unsigned status, const char *params, const char *fmt, ...)
{
	char why[SYNC_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	alpr_warn("station", "%s: audit checkpoint refused: %s", rq->cn, why);
	if (record(s->audit, s->policy,
		   &(struct station_audit_args){.user = rq->cn,
						.role = "unit",
						.action = STATION_AUDIT_CHECKPOINT,
						.params = params,
						.object_id = rq->cn,
						.reason = why}) < 0) {
		return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "audit: the refusal could not be recorded");
	}
	return respond_error(conn, rq, status, "%s", why);
}

static enum MHD_Result post_checkpoint(struct station *s, struct MHD_Connection *conn,
				       struct request *rq)
{
	struct audit_checkpoint_info info;
	uint8_t key[AUDIT_PUBKEY_LEN];
	char why[SYNC_MESSAGE_MAX], kpath[PATH_MAX_LEN];
	json_t *cp = NULL;
	if (rq->len > STATION_CHECKPOINT_MAX) {
		return refuse_checkpoint(s, conn, rq, MHD_HTTP_CONTENT_TOO_LARGE,
					 "(body over 4096 bytes)", "body: over %d bytes",
					 STATION_CHECKPOINT_MAX);
	}
	/* Parsed by the audit module's own reader: one definition of the file. */
	int r = audit_checkpoint_parse(rq->body ? rq->body : "", rq->len, &info, why, sizeof(why));
	if (r == 0) {
		cp = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES, NULL);
	}
	if (!cp) {
		json_t *o = rq->len ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
		json_decref(o);
		return refuse_checkpoint(s, conn, rq,
					 r == -EFBIG ? MHD_HTTP_CONTENT_TOO_LARGE
						     : MHD_HTTP_BAD_REQUEST,
					 o ? rq->body : "(not JSON)", "%s%s",
					 strncmp(why, "line ", 5) == 0 ? "body: " : "", why);
	}
	if (strcmp(info.device, rq->cn) != 0) {
		json_decref(cp);
		return refuse_checkpoint(s, conn, rq, MHD_HTTP_FORBIDDEN, rq->body,
					 "device: %s is not the certificate's unit %s", info.device,
					 rq->cn);
	}
	/* The signature, against the key enrolled for this unit, never the one in the file. */
	r = station_device_key_path(s->dir, rq->cn, kpath, sizeof(kpath));
	if (r == 0) {
		r = audit_pubkey_read(kpath, key);
	}
	if (r < 0) {
		json_decref(cp);
		return refuse_checkpoint(
			s, conn, rq, MHD_HTTP_FORBIDDEN, rq->body,
			"signature: %s for unit %s (alpr-station enroll --device-key)",
			r == -ENOENT ? "no device key is enrolled"
				     : "the enrolled device key is "
				       "unreadable",
			rq->cn);
	}
	if (audit_checkpoint_verify(&info, key) < 0) {
		json_decref(cp);
		return refuse_checkpoint(s, conn, rq, MHD_HTTP_UNPROCESSABLE_CONTENT, rq->body,
					 "signature: does not verify with unit %s's enrolled "
					 "device key",
					 rq->cn);
	}
	MDB_txn *txn;
	r = mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn), "checkpoint");
	if (r < 0) {
		json_decref(cp);
		return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "store: %s",
				     alpr_strerror(r));
	}
	json_t *u = unit_get(s, txn, rq->cn);
	const json_t *old = json_object_get(u, "checkpoint");
	json_int_t oseq = json_integer_value(json_object_get(old, "seq"));
	json_int_t nseq = (json_int_t)info.seq;
	const char *oh = json_string_value(json_object_get(old, "record_hash"));
	const char *nh = json_string_value(json_object_get(cp, "record_hash"));
	/* A log is append-only: a checkpoint below the one held, or the same sequence with
	 * another hash, means the unit's log was cut or rewritten. Keep the one held. */
	if (old && (nseq < oseq || (nseq == oseq && oh && strcasecmp(oh, nh) != 0))) {
		mdb_txn_abort(txn);
		json_decref(u);
		json_decref(cp);
		return refuse_checkpoint(s, conn, rq, MHD_HTTP_CONFLICT, rq->body,
					 "seq: checkpoint %lld conflicts with the station's %lld "
					 "(audit log cut or rewritten?)",
					 (long long)nseq, (long long)oseq);
	}
	json_object_set_new(u, "checkpoint", cp);
	json_object_set_new(u, "checkpoint_received", json_integer(alpr_clock_now(s->clock)));
	r = unit_put(s, txn, rq->cn, u);
	json_decref(u);
	if (r == 0) {
		r = mdb_err(mdb_txn_commit(txn), "checkpoint commit");
	} else {
		mdb_txn_abort(txn);
	}
	if (r < 0) {
		return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "store: %s",
				     alpr_strerror(r));
	}
	return respond(conn, rq, MHD_HTTP_OK, json_pack("{s:I}", "seq", (json_int_t)nseq));
}

/* ---- hotlists -------------------------------------------------------------------------- */

static enum MHD_Result get_lists(struct station *s, struct MHD_Connection *conn, struct request *rq)
{
	struct hotlist_list_info *li = alpr_xcalloc(SYNC_LISTS_MAX, sizeof(*li));
	int n = hotlist_lists(s->hotlist, li, SYNC_LISTS_MAX);
	if (n < 0) {
		free(li);
		return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "hotlist: %s",
				     alpr_strerror(n));
	}
	json_t *arr = json_array();
	for (int i = 0; i < n && i < SYNC_LISTS_MAX; i++) {
		char when[ALPR_TIME_BUFSZ], ver[24];
		snprintf(ver, sizeof(ver), "%llu", (unsigned long long)li[i].version);
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:I, s:s}", "name", li[i].name, "version", ver,
				       "entry_count", (json_int_t)li[i].entry_count, "generated_at",
				       alpr_time_format(li[i].generated_at, when, sizeof(when))));
	}
	free(li);
	return respond(conn, rq, MHD_HTTP_OK, json_pack("{s:o}", "lists", arr));
}

/* The signed file taking @list from @from (0: a snapshot) to @to, made once and kept. */
static int delta_file(struct station *s, const char *list, uint64_t from, uint64_t to, char *path,
		      size_t pathsz)
{
	struct stat st;
	int n = snprintf(path, pathsz, "%s/deltas/%s-%llu-%llu.delta", s->dir, list,
			 (unsigned long long)from, (unsigned long long)to);
	if (n < 0 || (size_t)n >= pathsz) {
		return -ENAMETOOLONG;
	}
	pthread_mutex_lock(&s->lock);
	int r = 0;
	if (stat(path, &st) != 0) {
		int64_t t0 = alpr_monotonic_us();
		r = hotlist_delta_write(s->hotlist, list, from, to, s->hotlist_priv, path);
		if (r == 0) {
			alpr_info("station", "%s: signed %s %llu -> %llu in %.3f s", list,
				  from ? "delta" : "snapshot", (unsigned long long)from,
				  (unsigned long long)to, (double)(alpr_monotonic_us() - t0) / 1e6);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static enum MHD_Result get_delta(struct station *s, struct MHD_Connection *conn, struct request *rq,
				 const char *list)
{
	struct hotlist_list_info info;
	uint64_t oldest = 0, cur = 0;
	int64_t since = 0;
	const char *sv = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
	const char *snap = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "snapshot");
	if (!hotlist_list_name_valid(list)) {
		return respond_error(conn, rq, MHD_HTTP_BAD_REQUEST, "list: not a list name");
	}
	if (!sv || alpr_parse_int64(sv, strlen(sv), 0, INT64_MAX, &since) < 0) {
		return respond_error(conn, rq, MHD_HTTP_BAD_REQUEST, "since: not a version number");
	}
	int r = hotlist_list_get(s->hotlist, list, &info);
	if (r == 0) {
		r = hotlist_versions(s->hotlist, list, &oldest, &cur);
	}
	if (r == -ENOENT) {
		return respond_error(conn, rq, MHD_HTTP_NOT_FOUND, "list: %s is not published",
				     list);
	} else if (r < 0) {
		return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "hotlist: %s",
				     alpr_strerror(r));
	}
	if ((uint64_t)since == cur) {
		struct MHD_Response *resp =
			MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		enum MHD_Result mr = MHD_queue_response(conn, MHD_HTTP_NO_CONTENT, resp);
		MHD_destroy_response(resp);
		rq->responded = true;
		return mr;
	}
	if ((uint64_t)since > cur) {
		return respond_error(conn, rq, MHD_HTTP_CONFLICT,
				     "since: version %lld is newer than the station's %llu",
				     (long long)since, (unsigned long long)cur);
	}
	/* A delta when the unit's version is still kept here, else a snapshot. */
	uint64_t from = since > 0 && (uint64_t)since >= oldest && !snap ? (uint64_t)since : 0;
	char path[PATH_MAX_LEN];
	r = delta_file(s, list, from, cur, path, sizeof(path));
	if (r == -ENOENT && from) {
		from = 0;
		r = delta_file(s, list, 0, cur, path, sizeof(path));
	}
	if (r < 0) {
		return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "hotlist: %s",
				     alpr_strerror(r));
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0) {
			close(fd);
		}
		return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "%s: %s", path,
				     strerror(errno));
	}
	struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(resp, "X-Alpr-Delta-Base", from ? sv : "0");
	enum MHD_Result mr = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	rq->responded = true;
	return mr;
}

static int station_source(void *source, int64_t from_us, int64_t to_us, search_each_fn each,
			  void *userdata);

struct new_entries {
	struct hotlist_entry *e;
	size_t n, cap;
	uint64_t total;
};

static int collect_new(enum hotlist_change_op op, const struct hotlist_entry *old_e,
		       const struct hotlist_entry *new_e, void *userdata)
{
	struct new_entries *ne = userdata;
	/* Removals, and updates that keep the plate, match no past read they did not already. */
	if (op == HOTLIST_CHANGE_REMOVE ||
	    (op == HOTLIST_CHANGE_UPDATE && old_e && strcmp(old_e->plate, new_e->plate) == 0)) {
		return 0;
	}
	ne->total++;
	if (ne->n < ne->cap) {
		ne->e[ne->n++] = *new_e;
	}
	return 0;
}

static int collect_all_new(const struct hotlist_entry *e, void *userdata)
{
	return collect_new(HOTLIST_CHANGE_ADD, NULL, e, userdata);
}

/* After a publish: the entries it added are checked against the reads the station holds
 * (historical hits, search.h), each check and hit audited, by the publisher. At most
 * STATION_HISTORICAL_MAX entries per list and version; a bigger version (a bulk reload) gets
 * one denied check record saying it was not checked. Returns the number of past reads that
 * matched. */
static uint64_t publish_historical(struct station *s, const char *user,
				   const struct hotlist_list_info *before, size_t nbefore)
{
	struct hotlist_list_info after[SYNC_LISTS_MAX];
	uint64_t hits = 0;
	int n = hotlist_lists(s->hotlist, after, SYNC_LISTS_MAX);

	for (int i = 0; i < n; i++) {
		uint64_t from = 0;
		for (size_t k = 0; k < nbefore; k++) {
			if (strcmp(before[k].name, after[i].name) == 0) {
				from = before[k].version;
			}
		}
		if (from >= after[i].version) {
			continue;
		}
		struct new_entries ne = {.cap = STATION_HISTORICAL_MAX};
		ne.e = alpr_xcalloc(ne.cap, sizeof(*ne.e));
		int r = from ? hotlist_diff(s->hotlist, after[i].name, from, after[i].version,
					    collect_new, &ne)
			     : hotlist_foreach(s->hotlist, after[i].name, "", collect_all_new, &ne);
		char obj[80], params[160], why[160] = "";
		snprintf(obj, sizeof(obj), "%s:%llu", after[i].name,
			 (unsigned long long)after[i].version);
		snprintf(params, sizeof(params), "{\"from\":%llu,\"list\":\"%s\",\"to\":%llu}",
			 (unsigned long long)from, after[i].name,
			 (unsigned long long)after[i].version);
		if (r < 0) {
			snprintf(why, sizeof(why),
				 "version: the changes from %llu are not kept (%s)",
				 (unsigned long long)from, alpr_strerror(r));
		} else if (ne.total > ne.cap) {
			snprintf(why, sizeof(why),
				 "entries: %llu new entries, over %d; not checked",
				 (unsigned long long)ne.total, STATION_HISTORICAL_MAX);
		}
		if (why[0]) {
			(void)record(
				s->audit, s->policy,
				&(struct station_audit_args){.user = user,
							     .role = "administrator",
							     .action = SEARCH_ACTION_HIST_CHECK,
							     .params = params,
							     .object_id = obj,
							     .count = ne.total,
							     .reason = why});
		}
		for (size_t k = 0; !why[0] && k < ne.n; k++) {
			const struct hotlist_entry *e = &ne.e[k];
			struct search_entry se = {.plate = e->plate,
						  .state = e->state[0] ? e->state : "??",
						  .category = e->category,
						  .list = e->list,
						  .record_id = e->source_record_id};
			uint64_t c = 0;
			if (search_historical_hits_source(station_source, s, s->audit, s->policy,
							  &se, user, "administrator", NULL, NULL,
							  &c) == 0) {
				hits += c;
			}
		}
		free(ne.e);
	}
	return hits;
}

static enum MHD_Result post_hotlist(struct station *s, struct MHD_Connection *conn,
				    struct request *rq)
{
	char path[PATH_MAX_LEN], err[512] = "";
	uint64_t version = 0;
	int n = snprintf(path, sizeof(path), "%s/incoming/publish-%d-%llx.delta", s->dir,
			 (int)getpid(), (unsigned long long)alpr_monotonic_us());
	if (n < 0 || (size_t)n >= sizeof(path)) {
		return respond_error(conn, rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "path too long");
	}
	int r = alpr_write_file_atomic(path, rq->body, rq->len, 0600);
	if (r < 0) {
		return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "incoming: %s",
				     alpr_strerror(r));
	}
	struct hotlist_list_info before[SYNC_LISTS_MAX];
	pthread_mutex_lock(&s->lock);
	int nbefore = hotlist_lists(s->hotlist, before, SYNC_LISTS_MAX);
	r = hotlist_delta_apply(s->hotlist, path, s->publisher_pub, &version, err, sizeof(err));
	pthread_mutex_unlock(&s->lock);
	unlink(path);
	char params[64], ver[24];
	snprintf(params, sizeof(params), "{\"bytes\":%zu}", rq->len);
	snprintf(ver, sizeof(ver), "%llu", (unsigned long long)version);
	if (r < 0) {
		/* Name the upload, not our temporary file. */
		const char *why = strstr(err, ".delta");
		why = why ? why + 6 : err;
		why += strspn(why, ": ");
		char reason[SYNC_MESSAGE_MAX];
		snprintf(reason, sizeof(reason), "delta: %s", why[0] ? why : alpr_strerror(r));
		if (record(s->audit, s->policy,
			   &(struct station_audit_args){.user = rq->cn,
							.role = "administrator",
							.action = STATION_AUDIT_PUBLISH,
							.params = params,
							.reason = reason}) < 0) {
			return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
					     "audit: the refusal could not be recorded");
		}
		unsigned status = r == -ALPR_E_PARSE       ? MHD_HTTP_BAD_REQUEST
				  : r == -ALPR_E_BASE      ? MHD_HTTP_CONFLICT
				  : r == -ALPR_E_SIGNATURE ? MHD_HTTP_UNPROCESSABLE_CONTENT
				  : r == -ALPR_E_REFUSED   ? MHD_HTTP_UNPROCESSABLE_CONTENT
							   : MHD_HTTP_SERVICE_UNAVAILABLE;
		return respond_error(conn, rq, status, "delta: %s",
				     why[0] ? why : alpr_strerror(r));
	}
	alpr_info("station", "%s published version %llu", rq->cn, (unsigned long long)version);
	/* Applied and served from now on: a publish the log cannot hold is still answered as
	 * done (the version exists), and logged loudly. */
	(void)record(s->audit, s->policy,
		     &(struct station_audit_args){.user = rq->cn,
						  .role = "administrator",
						  .action = STATION_AUDIT_PUBLISH,
						  .params = params,
						  .object_id = ver,
						  .count = 1});
	uint64_t hist = publish_historical(s, rq->cn, before, nbefore < 0 ? 0 : (size_t)nbefore);
	return respond(
		conn, rq, MHD_HTTP_OK,
		json_pack("{s:s, s:I}", "version", ver, "historical_hits", (json_int_t)hist));
}

/* ---- the station's audit log ----------------------------------------------------------- */

/* One record; @params may be NULL. Called with the log open (serving) or from
 * station_audit_record() (the enrolment tool). */
static int record(struct audit *a, const struct policy *p, const struct station_audit_args *x)
{
	struct audit_record rec = {
		.user = x->user && *x->user ? x->user : "(none)",
		.role = x->role,
		.action = x->action,
		.params = x->params,
		.purpose = x->purpose,
		.case_number = x->case_number,
		.object_id = x->object_id,
		.result_count = x->count,
		.outcome = x->reason ? AUDIT_DENIED : AUDIT_ALLOWED,
		.reason = x->reason,
	};
	if (p) {
		memcpy(rec.profile_hash, policy_hash(p), AUDIT_HASH_LEN);
	}
	int r = audit_append(a, &rec, NULL);
	if (r < 0) {
		alpr_error("station", "audit record %s: %s", x->action, alpr_strerror(r));
	}
	return r;
}

static int open_log(const char *dir, struct audit **out)
{
	char p[PATH_MAX_LEN];
	int r = path_join(p, sizeof(p), dir, "audit");
	if (r < 0) {
		return r;
	}
	struct audit_open_opts ao = {.device_id = STATION_AUDIT_DEVICE};
	r = audit_open(p, &ao, out);
	if (r < 0) {
		alpr_error("station", "audit log %s: %s", p, alpr_strerror(r));
	}
	return r;
}

struct newest_rec {
	uint8_t hash[AUDIT_HASH_LEN];
	bool found;
};

static int keep_newest(const struct audit_record *rec, void *userdata)
{
	struct newest_rec *n = userdata;
	memcpy(n->hash, rec->profile_hash, AUDIT_HASH_LEN);
	n->found = true;
	return 0;
}

/* Opens DIR/audit and records the profile in force, and whether it differs from the one the
 * newest record was written under: a profile change at the station is a restart with
 * another --policy. */
static int station_audit_open(struct station *s)
{
	uint64_t last = 0;
	struct newest_rec n = {{0}, false};
	char cur[2 * AUDIT_HASH_LEN + 1], prev[2 * AUDIT_HASH_LEN + 1] = "";
	int r = open_log(s->dir, &s->audit);
	if (r < 0) {
		return r;
	}
	if ((r = audit_last_seq(s->audit, &last)) < 0 ||
	    (last > 0 && (r = audit_foreach(s->audit, last, keep_newest, &n)) < 0)) {
		return r;
	}
	alpr_hex_encode(policy_hash(s->policy), AUDIT_HASH_LEN, cur);
	if (n.found) {
		alpr_hex_encode(n.hash, AUDIT_HASH_LEN, prev);
	}
	json_t *o = json_pack("{s:s, s:b, s:s?}", "profile", policy_name(s->policy), "changed",
			      n.found && strcmp(prev, cur) != 0, "previous_hash",
			      n.found ? prev : NULL);
	char *params = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	r = record(s->audit, s->policy,
		   &(struct station_audit_args){.user = "system",
						.role = "system",
						.action = STATION_AUDIT_POLICY_LOAD,
						.params = params,
						.object_id = cur});
	free(params);
	return r;
}

int station_audit_record(const char *dir, const struct policy *p,
			 const struct station_audit_args *x)
{
	struct audit *a = NULL;
	if (!dir || !x || !x->action) {
		return -EINVAL;
	}
	int r = open_log(dir, &a);
	if (r == 0) {
		r = record(a, p, x);
		if (r == 0) {
			r = audit_checkpoint(a);
		}
	}
	audit_close(a);
	return r;
}

/* ---- POST /v1/search (investigators): purpose-bound, audited ---------------------------- */

/* A held read (db "reads" value @v) decoded, when still within its retention at @now: 0,
 * -ENOENT past its deadline, -EINVAL when it does not decode (logged). */
static int held_decode(const MDB_val *k, const MDB_val *v, int64_t now, struct store_read *rd,
		       struct store_hit *hit, bool *has_hit)
{
	const uint8_t *h = v->mv_data;
	char err[SYNC_MESSAGE_MAX];
	if (v->mv_size < READ_HDR || (int64_t)get_be64(h) <= now) {
		return -ENOENT; /* past its deadline: gone for every reader */
	}
	json_t *o = json_loadb((const char *)h + READ_HDR, v->mv_size - READ_HDR, 0, NULL);
	*has_hit = false;
	if (!o || sync_read_from_json(o, rd, hit, has_hit, err, sizeof(err)) < 0) {
		alpr_warn("station", "read %.*s does not decode; skipped",
			  (int)ALPR_MIN(k->mv_size, 64), (const char *)k->mv_data);
		json_decref(o);
		return -EINVAL;
	}
	json_decref(o);
	return 0;
}

/* search.h's source over the received reads: each retained read in the window, decoded. */
static int station_source(void *source, int64_t from_us, int64_t to_us, search_each_fn each,
			  void *userdata)
{
	struct station *s = source;
	int64_t now = alpr_clock_now(s->clock);
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int r = mdb_err(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), "search");
	if (r < 0) {
		return r;
	}
	r = mdb_err(mdb_cursor_open(txn, s->reads, &cur), "search cursor");
	for (int rc = r ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && r == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct store_read rd;
		struct store_hit hit;
		bool has_hit;
		if (held_decode(&k, &v, now, &rd, &hit, &has_hit) < 0) {
			continue;
		}
		if (rd.captured_at >= from_us && rd.captured_at < to_us) {
			r = each(&rd, has_hit ? &hit : NULL, userdata);
		}
		store_read_finish(&rd);
	}
	if (cur) {
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	return r;
}

static int add_result(const struct store_read *r, const struct store_hit *hit, void *userdata)
{
	json_array_append_new(userdata, sync_read_to_json(r, hit, false));
	return 0;
}

static const char *search_role_of(enum sync_role r)
{
	/* search.h's names; a unit's certificate is no person and names no search role. */
	return r == SYNC_ROLE_INVESTIGATOR ? "investigator"
	       : r == SYNC_ROLE_ADMIN      ? "administrator"
					   : "unit";
}

/* Fills @q from the body (strict: known fields, each of its type). "" or "field: message". */
static void parse_search(json_t *o, struct search_query *q, char *why, size_t whysz)
{
	const char *key;
	json_t *v;
	json_object_foreach (o, key, v) {
		const char **dst = strcmp(key, "purpose") == 0         ? &q->purpose
				   : strcmp(key, "case_number") == 0   ? &q->case_number
				   : strcmp(key, "justification") == 0 ? &q->justification
				   : strcmp(key, "plate") == 0         ? &q->plate
				   : strcmp(key, "partial") == 0       ? &q->partial
								       : NULL;
		if (dst) {
			if (!json_is_string(v)) {
				snprintf(why, whysz, "%s: not a string", key);
				return;
			}
			*dst = json_string_value(v);
		} else if (strcmp(key, "from") == 0 || strcmp(key, "to") == 0) {
			bool from = key[0] == 'f';
			if (!json_is_string(v) ||
			    alpr_time_parse(json_string_value(v), json_string_length(v),
					    from ? &q->from_us : &q->to_us) < 0) {
				snprintf(why, whysz, "%s: not an ISO 8601 date or time", key);
				return;
			}
			*(from ? &q->has_from : &q->has_to) = true;
		} else if (strcmp(key, "near") == 0) {
			double lat, lon, rad;
			if (!json_is_object(v) || json_object_size(v) != 3 ||
			    json_unpack(v, "{s:F, s:F, s:F}", "lat", &lat, "lon", &lon, "radius_m",
					&rad) != 0) {
				snprintf(why, whysz, "near: an object of lat, lon and radius_m");
				return;
			}
			if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) {
				snprintf(why, whysz, "near: lat or lon out of range");
				return;
			}
			q->has_near = true;
			q->lat = lat;
			q->lon = lon;
			q->radius_m = rad;
		} else {
			snprintf(why, whysz, "%.64s: not a search field", key);
			return;
		}
	}
}

static enum MHD_Result post_search(struct station *s, struct MHD_Connection *conn,
				   struct request *rq)
{
	struct search_query q = {.user = rq->cn, .role = search_role_of(rq->role)};
	struct search_result res;
	char why[SEARCH_REASON_MAX] = "";
	json_error_t je;
	json_t *o = NULL;
	int r;

	/* The body is the query's parameters, recorded verbatim when it is recordable text. */
	if (rq->len > AUDIT_PARAMS_MAX) {
		q.params = "(body over 4096 bytes)";
		snprintf(why, sizeof(why), "body: over %d bytes", AUDIT_PARAMS_MAX);
	} else if (!(o = json_loadb(rq->body ? rq->body : "", rq->len, JSON_REJECT_DUPLICATES,
				    &je))) {
		q.params = "(not JSON)";
		snprintf(why, sizeof(why), "body: line %d: %s", je.line, je.text);
	} else if (!json_is_object(o)) {
		q.params = "(not a JSON object)";
		snprintf(why, sizeof(why), "body: not a JSON object");
	} else {
		q.params = rq->body;
		parse_search(o, &q, why, sizeof(why));
	}
	if (why[0]) {
		r = search_refuse(s->audit, s->policy, &q, why);
		json_decref(o);
		if (r != -ALPR_E_REFUSED) {
			return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "audit: %s",
					     alpr_strerror(r));
		}
		return respond_error(conn, rq, MHD_HTTP_BAD_REQUEST, "%s", why);
	}
	json_t *reads = json_array();
	r = search_run_source(station_source, s, s->audit, s->policy, &q, add_result, reads, &res);
	json_decref(o);
	if (r == -ALPR_E_REFUSED) {
		json_decref(reads);
		return respond_error(conn, rq, MHD_HTTP_FORBIDDEN, "refused: %s", res.reason);
	}
	if (r < 0) {
		json_decref(reads);
		return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "search: %s",
				     alpr_strerror(r));
	}
	char hex[2 * AUDIT_HASH_LEN + 1];
	alpr_hex_encode(res.results_hash, AUDIT_HASH_LEN, hex);
	json_t *flags = json_array();
	for (int i = 0; i < SEARCH_FLAG_COUNT; i++) {
		if (res.flags & (1u << i)) {
			json_array_append_new(
				flags, json_string(search_flag_name((enum search_flag)(1u << i))));
		}
	}
	alpr_info("station", "%s searched: %llu reads (audit %llu)", rq->cn,
		  (unsigned long long)res.count, (unsigned long long)res.audit_seq);
	return respond(conn, rq, MHD_HTTP_OK,
		       json_pack("{s:s, s:I, s:I, s:s, s:o, s:o}", "format", "alpr-search/1",
				 "count", (json_int_t)res.count, "audit_seq",
				 (json_int_t)res.audit_seq, "results_hash", hex, "flags", flags,
				 "reads", reads));
}

/* ---- POST /v1/export (investigators): a disclosure of held reads, sharing.h ------------- */

/* sharing.h's lookup over the received reads. */
static int station_get(void *source, const char *id, struct store_read *r, struct store_hit *hit,
		       bool *has_hit)
{
	struct station *s = source;
	MDB_txn *txn;
	MDB_val k = {strlen(id), (void *)id}, v;
	int rc = mdb_err(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), "export");
	if (rc < 0) {
		return rc;
	}
	rc = mdb_get(txn, s->reads, &k, &v);
	rc = rc == 0 ? held_decode(&k, &v, alpr_clock_now(s->clock), r, hit, has_hit)
		     : mdb_err(rc, "export");
	mdb_txn_abort(txn);
	return rc < 0 ? -ENOENT : 0;
}

/* Fills @rq (ids into @ids) and @ag_text from the body. "" or "field: message" in @why. */
static void parse_export(json_t *o, struct sharing_request *x, const char **ids, char **ag_text,
			 char *why, size_t whysz)
{
	const char *key;
	json_t *v;
	json_object_foreach (o, key, v) {
		if (strcmp(key, "purpose") == 0 || strcmp(key, "case_number") == 0) {
			if (!json_is_string(v)) {
				snprintf(why, whysz, "%s: not a string", key);
				return;
			}
			*(key[0] == 'p' ? &x->purpose : &x->case_number) = json_string_value(v);
		} else if (strcmp(key, "agreement") == 0) {
			if (!json_is_object(v)) {
				snprintf(why, whysz, "agreement: not an agreement object");
				return;
			}
			*ag_text = json_dumps(v, JSON_COMPACT);
		} else if (strcmp(key, "ids") == 0) {
			size_t i;
			json_t *e;
			if (!json_is_array(v) || json_array_size(v) > SHARING_IDS_MAX) {
				snprintf(why, whysz, "ids: a list of at most %d read ids",
					 SHARING_IDS_MAX);
				return;
			}
			json_array_foreach (v, i, e) {
				if (!json_is_string(e) || json_string_length(e) == 0 ||
				    json_string_length(e) > STORE_ID_MAX) {
					snprintf(why, whysz, "ids[%zu]: not a read id", i);
					return;
				}
				ids[x->nids++] = json_string_value(e);
			}
		} else {
			snprintf(why, whysz, "%.64s: not a field of an export", key);
			return;
		}
	}
	if (!*ag_text && !why[0]) {
		snprintf(why, whysz, "agreement: missing");
	}
}

static enum MHD_Result post_export(struct station *s, struct MHD_Connection *conn,
				   struct request *rq)
{
	struct sharing_request x = {.user = rq->cn,
				    .role = search_role_of(rq->role),
				    .now_us = alpr_clock_now(s->clock)};
	struct sharing_agreement ag;
	const char **ids = alpr_xcalloc(SHARING_IDS_MAX, sizeof(*ids));
	char why[SEARCH_REASON_MAX] = "", err[512] = "", pub[PATH_MAX_LEN], out[PATH_MAX_LEN];
	char *ag_text = NULL, *data = NULL;
	size_t len = 0;
	json_error_t je;
	json_t *o = NULL;
	int r;

	x.ids = ids;
	if (rq->len > STATION_EXPORT_MAX) {
		snprintf(why, sizeof(why), "body: over %d bytes", STATION_EXPORT_MAX);
	} else if (!(o = json_loadb(rq->body ? rq->body : "", rq->len, JSON_REJECT_DUPLICATES,
				    &je))) {
		snprintf(why, sizeof(why), "body: line %d: %s", je.line, je.text);
	} else if (!json_is_object(o)) {
		snprintf(why, sizeof(why), "body: not a JSON object");
	} else {
		parse_export(o, &x, ids, &ag_text, why, sizeof(why));
	}
	bool malformed = why[0] != '\0';
	if (!malformed) {
		/* Signed by the agency: its public key is installed by hand, as publisher-pub.pem.
		 */
		r = path_join(pub, sizeof(pub), s->dir, "agency-pub.pem");
		if (r == 0) {
			r = sharing_agreement_parse(ag_text, strlen(ag_text), "agreement", pub, &ag,
						    err, sizeof(err));
		}
		if (r < 0) {
			snprintf(why, sizeof(why), "%s",
				 r == -ENOENT ? "agreement: the station holds no agency key "
						"(agency-pub.pem)"
					      : err);
		}
	}
	unsigned status = MHD_HTTP_OK;
	if (why[0]) {
		/* A request that cannot be used is still a request: refused and audited. */
		r = sharing_refuse(s->audit, s->policy, &x, NULL, why);
		status = r != -ALPR_E_REFUSED ? MHD_HTTP_SERVICE_UNAVAILABLE
			 : malformed          ? MHD_HTTP_BAD_REQUEST
					      : MHD_HTTP_FORBIDDEN;
		goto out;
	}
	pthread_mutex_lock(&s->lock);
	uint64_t n = ++s->exports;
	pthread_mutex_unlock(&s->lock);
	snprintf(out, sizeof(out), "%s/incoming/export-%d-%llu.disc", s->dir, (int)getpid(),
		 (unsigned long long)n);
	r = sharing_disclose_source(station_get, s, s->audit, s->policy, &ag, &x, out, why,
				    sizeof(why));
	if (r == -ALPR_E_REFUSED) {
		status = MHD_HTTP_FORBIDDEN;
	} else if (r < 0) {
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
		snprintf(why, sizeof(why), "export: %s", alpr_strerror(r));
	} else if ((r = alpr_read_file(out, SYNC_ANSWER_MAX * 8, &data, &len)) < 0) {
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
		snprintf(why, sizeof(why), "export: %s", alpr_strerror(r));
	}
	unlink(out);
out:
	json_decref(o);
	free(ag_text);
	free(ids);
	if (status != MHD_HTTP_OK) {
		free(data);
		return respond_error(conn, rq, status, "%s%s",
				     status == MHD_HTTP_FORBIDDEN ? "refused: " : "", why);
	}
	alpr_info("station", "%s exported %zu reads to %s under agreement %s", rq->cn, x.nids,
		  ag.recipient, ag.id);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
	enum MHD_Result mr = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	rq->responded = true;
	return mr;
}

/* ---- GET /v1/stats (administrators): counts only, never plates ------------------------- */

static enum MHD_Result get_stats(struct station *s, struct MHD_Connection *conn, struct request *rq)
{
	MDB_txn *txn;
	MDB_stat st;
	MDB_cursor *cur;
	MDB_val k, v;
	int r = mdb_err(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), "stats");
	if (r < 0) {
		return respond_error(conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "store: %s",
				     alpr_strerror(r));
	}
	json_t *o = json_object();
	mdb_stat(txn, s->reads, &st);
	json_object_set_new(o, "reads", json_integer((json_int_t)st.ms_entries));
	mdb_stat(txn, s->crops, &st);
	json_object_set_new(o, "crops", json_integer((json_int_t)st.ms_entries));
	/* SHA-256 over the stored ids in key order, one per line: lets a test (or an auditor
	 * holding the unit's list) check the exact set without the station listing reads. */
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t dg[32];
	char hex[65];
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	mdb_cursor_open(txn, s->reads, &cur);
	for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		EVP_DigestUpdate(md, k.mv_data, k.mv_size);
		EVP_DigestUpdate(md, "\n", 1);
	}
	mdb_cursor_close(cur);
	EVP_DigestFinal_ex(md, dg, NULL);
	EVP_MD_CTX_free(md);
	alpr_hex_encode(dg, 32, hex);
	json_object_set_new(o, "ids_sha256", json_string(hex));
	json_t *units = json_object();
	mdb_cursor_open(txn, s->units, &cur);
	for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char name[SYNC_UNIT_MAX + 1];
		size_t nl = ALPR_MIN(k.mv_size, SYNC_UNIT_MAX);
		memcpy(name, k.mv_data, nl);
		name[nl] = '\0';
		json_t *u = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		if (u) {
			json_object_set_new(units, name, u);
		}
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	json_object_set_new(o, "units", units);
	return respond(conn, rq, MHD_HTTP_OK, o);
}

/* ---- routing --------------------------------------------------------------------------- */

struct route {
	const char *method;
	const char *prefix; /* exact unless it ends in '/' */
	unsigned allow;
	bool body;
};

static const struct route routes[] = {
	{"POST", "/v1/reads", ALLOW_UNIT, true},
	{"POST", "/v1/checkpoint", ALLOW_UNIT, true},
	{"GET", "/v1/hotlists", ALLOW_UNIT | ALLOW_ADMIN, false},
	{"GET", "/v1/hotlists/", ALLOW_UNIT | ALLOW_ADMIN, false},
	{"POST", "/v1/hotlists", ALLOW_ADMIN, true},
	{"GET", "/v1/stats", ALLOW_ADMIN, false},
	/* Every certificate may ask, so that a search by a role that may not search is refused
	 * and audited like any other refusal. */
	{"POST", "/v1/search", ALLOW_UNIT | ALLOW_ADMIN | ALLOW_INVESTIGATOR, true},
	/* The same for a disclosure: a refusal by role is audited like the others. */
	{"POST", "/v1/export", ALLOW_UNIT | ALLOW_ADMIN | ALLOW_INVESTIGATOR, true},
};

static const struct route *route_find(const char *method, const char *url, bool *path_known)
{
	*path_known = false;
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(routes); i++) {
		const struct route *rt = &routes[i];
		size_t pl = strlen(rt->prefix);
		bool match = rt->prefix[pl - 1] == '/' ? strncmp(url, rt->prefix, pl) == 0 &&
								 url[pl] && !strchr(url + pl, '/')
						       : strcmp(url, rt->prefix) == 0;
		if (match) {
			*path_known = true;
			if (strcmp(method, rt->method) == 0) {
				return rt;
			}
		}
	}
	return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct station *s = cls;
	struct request *rq = *con_cls;
	bool known;
	const struct route *rt = route_find(method, url, &known);

	if (!rq) {
		rq = alpr_xcalloc(1, sizeof(*rq));
		*con_cls = rq;
		char why[SYNC_MESSAGE_MAX];
		unsigned st = authenticate(conn, rq, why, sizeof(why));
		if (st) {
			return respond_error(conn, rq, st, "%s", why);
		}
		if (!rt) {
			return respond_error(
				conn, rq, known ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND,
				"%s %s: no such resource", method, url);
		}
		if (!(rt->allow & role_mask(rq->role))) {
			return respond_error(
				conn, rq, MHD_HTTP_FORBIDDEN,
				"%s %s: not allowed for a%s %s certificate", method, url,
				rq->role == SYNC_ROLE_ADMIN || rq->role == SYNC_ROLE_INVESTIGATOR
					? "n"
					: "",
				sync_role_name(rq->role));
		}
		size_t max =
			strcmp(rt->prefix, "/v1/hotlists") == 0 ? SYNC_PUBLISH_MAX : s->body_max;
		const char *cl =
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		int64_t clen;
		if (cl && alpr_parse_int64(cl, strlen(cl), 0, INT64_MAX, &clen) == 0 &&
		    (uint64_t)clen > max) {
			/* Before reading it: the client sees 413 instead of 100 Continue. */
			return respond_error(conn, rq, MHD_HTTP_CONTENT_TOO_LARGE,
					     "body: %lld bytes, over the cap of %zu",
					     (long long)clen, max);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		size_t max = rt && strcmp(rt->prefix, "/v1/hotlists") == 0 ? SYNC_PUBLISH_MAX
									   : s->body_max;
		*upload_data_size = 0;
		if (rq->responded || rq->too_large) {
			return MHD_YES;
		}
		if (rq->len + n > max) {
			rq->too_large = true;
			free(rq->body);
			rq->body = NULL;
			rq->len = rq->cap = 0;
			return MHD_YES;
		}
		if (rq->len + n + 1 > rq->cap) {
			size_t cap = ALPR_MAX(rq->cap * 2, rq->len + n + 1);
			char *nb = realloc(rq->body, cap);
			if (!nb) {
				rq->too_large = true;
				return MHD_YES;
			}
			rq->body = nb;
			rq->cap = cap;
		}
		memcpy(rq->body + rq->len, upload_data, n);
		rq->len += n;
		rq->body[rq->len] = '\0';
		return MHD_YES;
	}
	if (rq->responded) {
		return MHD_YES;
	}
	if (rq->too_large) {
		return respond_error(conn, rq, MHD_HTTP_CONTENT_TOO_LARGE,
				     "body: over the cap of %zu bytes", s->body_max);
	}
	if (strcmp(url, "/v1/reads") == 0) {
		return post_reads(s, conn, rq);
	} else if (strcmp(url, "/v1/checkpoint") == 0) {
		return post_checkpoint(s, conn, rq);
	} else if (strcmp(url, "/v1/hotlists") == 0 && strcmp(method, "GET") == 0) {
		return get_lists(s, conn, rq);
	} else if (strcmp(url, "/v1/hotlists") == 0) {
		return post_hotlist(s, conn, rq);
	} else if (strncmp(url, "/v1/hotlists/", 13) == 0) {
		return get_delta(s, conn, rq, url + 13);
	} else if (strcmp(url, "/v1/search") == 0) {
		return post_search(s, conn, rq);
	} else if (strcmp(url, "/v1/export") == 0) {
		return post_export(s, conn, rq);
	}
	return get_stats(s, conn, rq);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[SYNC_MESSAGE_MAX];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	alpr_debug("station", "microhttpd: %s", msg);
}

/* ---- start and stop -------------------------------------------------------------------- */

static int path_join(char *buf, size_t sz, const char *dir, const char *name)
{
	int n = snprintf(buf, sz, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : 0;
}

int station_init(const char *dir, const char *const *hosts, size_t nhosts)
{
	char p[PATH_MAX_LEN], priv[PATH_MAX_LEN], pub[PATH_MAX_LEN];
	struct stat st;
	int r;
	if ((r = alpr_mkdir_p(dir)) < 0 || (r = path_join(p, sizeof(p), dir, "tls")) < 0 ||
	    (r = sync_ca_init(p, hosts, nhosts)) < 0 ||
	    (r = path_join(priv, sizeof(priv), dir, "hotlist-key.pem")) < 0 ||
	    (r = path_join(pub, sizeof(pub), dir, "hotlist-pub.pem")) < 0) {
		return r;
	}
	if (stat(priv, &st) != 0 && (r = hotlist_keygen(priv, pub)) < 0) {
		return r;
	}
	const char *subdirs[] = {"db", "hotlist", "deltas", "incoming", "device-keys"};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(subdirs); i++) {
		if ((r = path_join(p, sizeof(p), dir, subdirs[i])) < 0 ||
		    (r = alpr_mkdir_p(p)) < 0) {
			return r;
		}
	}
	return 0;
}

static int listen_socket(const char *addr, uint16_t port, int *fd_out, uint16_t *bound)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sl = sizeof(*s6);
	} else {
		return -EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0) {
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*bound = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
	*fd_out = fd;
	return 0;
}

int station_start(const struct station_options *opts, struct station **out)
{
	char p[PATH_MAX_LEN];
	size_t len;
	int r;
	if (!opts || !opts->dir || !opts->policy) {
		return -EINVAL;
	}
	struct station *s = alpr_xcalloc(1, sizeof(*s));
	s->listen_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	alpr_strlcpy(s->dir, opts->dir, sizeof(s->dir));
	s->policy = opts->policy;
	s->clock = opts->clock;
	s->body_max = opts->body_max ? opts->body_max : SYNC_BODY_MAX;
	if ((r = path_join(s->hotlist_priv, sizeof(s->hotlist_priv), s->dir, "hotlist-key.pem")) <
		    0 ||
	    (r = path_join(s->publisher_pub, sizeof(s->publisher_pub), s->dir,
			   "publisher-pub.pem")) < 0) {
		goto fail;
	}
	const char *files[3] = {"tls/server-key.pem", "tls/server.pem", "tls/ca.pem"};
	char **dst[3] = {&s->tls_key, &s->tls_cert, &s->tls_ca};
	for (int i = 0; i < 3; i++) {
		if ((r = path_join(p, sizeof(p), s->dir, files[i])) < 0 ||
		    (r = alpr_read_file(p, 64 * 1024, dst[i], &len)) < 0) {
			alpr_error("station", "%s: %s (run alpr-station init)", p,
				   alpr_strerror(r));
			goto fail;
		}
	}
	/* The received reads. */
	if ((r = path_join(p, sizeof(p), s->dir, "db")) < 0 || (r = alpr_mkdir_p(p)) < 0) {
		goto fail;
	}
	MDB_txn *txn;
	if ((r = mdb_err(mdb_env_create(&s->env), "env")) < 0) {
		goto fail;
	}
	mdb_env_set_maxdbs(s->env, 8);
	mdb_env_set_mapsize(s->env, opts->map_size ? opts->map_size : STATION_MAP_SIZE_DEFAULT);
	mdb_env_set_maxreaders(s->env, STATION_CONNECTIONS_MAX + 16);
	if ((r = mdb_err(mdb_env_open(s->env, p, MDB_NOTLS, 0600), p)) < 0) {
		goto fail;
	}
	int dead;
	mdb_reader_check(s->env, &dead);
	if ((r = mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn), "open")) < 0) {
		goto fail;
	}
	if ((r = mdb_err(mdb_dbi_open(txn, "reads", MDB_CREATE, &s->reads), "reads")) < 0 ||
	    (r = mdb_err(mdb_dbi_open(txn, "crops", MDB_CREATE, &s->crops), "crops")) < 0 ||
	    (r = mdb_err(mdb_dbi_open(txn, "expiry", MDB_CREATE, &s->expiry), "expiry")) < 0 ||
	    (r = mdb_err(mdb_dbi_open(txn, "units", MDB_CREATE, &s->units), "units")) < 0 ||
	    (r = mdb_err(mdb_txn_commit(txn), "open commit")) < 0) {
		if (r != 0) {
			mdb_txn_abort(txn);
		}
		goto fail;
	}
	s->last_purge = alpr_clock_now(s->clock);
	if ((r = station_purge(s, NULL)) < 0) {
		goto fail;
	}
	if ((r = station_audit_open(s)) < 0) {
		goto fail;
	}
	/* The hotlists. */
	struct hotlist_options ho = {.policy = s->policy, .clock = s->clock};
	if ((r = path_join(p, sizeof(p), s->dir, "hotlist")) < 0 ||
	    (r = hotlist_open(p, &ho, &s->hotlist)) < 0) {
		goto fail;
	}
	if ((r = listen_socket(opts->listen_addr ? opts->listen_addr : "127.0.0.1", opts->port,
			       &s->listen_fd, &s->port)) < 0) {
		alpr_error("station", "listen %s:%u: %s",
			   opts->listen_addr ? opts->listen_addr : "127.0.0.1", opts->port,
			   alpr_strerror(r));
		goto fail;
	}
	s->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
					  MHD_USE_POLL | MHD_USE_TLS | MHD_USE_ERROR_LOG,
				  0, NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
				  MHD_OPTION_HTTPS_MEM_KEY, s->tls_key, MHD_OPTION_HTTPS_MEM_CERT,
				  s->tls_cert, MHD_OPTION_HTTPS_MEM_TRUST, s->tls_ca,
				  MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)STATION_CONNECTIONS_MAX,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_END);
	if (!s->mhd) {
		alpr_error("station", "libmicrohttpd failed to start (TLS keys?)");
		r = -EIO;
		goto fail;
	}
	alpr_info("station", "serving https on port %u", s->port);
	*out = s;
	return 0;
fail:
	station_stop(s);
	return r;
}

uint16_t station_port(const struct station *s)
{
	return s->port;
}

void station_stop(struct station *s)
{
	if (!s) {
		return;
	}
	if (s->mhd) {
		MHD_stop_daemon(s->mhd);
	}
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
	}
	hotlist_close(s->hotlist);
	if (s->audit) {
		/* Every record of this run under a signed checkpoint. */
		int r = audit_checkpoint(s->audit);
		if (r < 0 && r != -ENODATA) {
			alpr_warn("station", "audit checkpoint at stop: %s", alpr_strerror(r));
		}
		audit_close(s->audit);
	}
	if (s->env) {
		mdb_env_close(s->env);
	}
	free(s->tls_key);
	free(s->tls_cert);
	free(s->tls_ca);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
