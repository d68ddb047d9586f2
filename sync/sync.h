/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * sync.h: docked sync between a unit and the station (docs/sync-protocol.md).
 *
 * Three parts share this header:
 *
 * - The unit's client (sync_client_*): uploads the store's unsynced reads, hits and
 *   dispositions in batches over HTTPS with the unit's client certificate, marks a read synced
 *   only when the station's acknowledgement lists it as stored durably, and downloads the
 *   station's signed hotlist deltas (or a snapshot when the unit is too far behind), applying
 *   them with hotlist_delta_apply(), which refuses an unsigned, tampered or older version.
 *   It runs one round on request (sync_client_run_once) or on its own thread with capped
 *   exponential backoff and jitter (sync_client_start), and reports every round, error and
 *   hotlist change to a status callback.
 * - Publishing (sync_publish): an administrator uploads a signed delta to the station.
 * - The station's certificate authority (sync_ca_*): the CA, the station's TLS certificate and
 *   the certificates of units and administrators, with libcrypto.
 *
 * The station server itself is alpr-station (station.c); tests reach it over TLS only.
 *
 * Ownership and lifetime: sync_client_create() copies every string of its options and borrows
 * store, hotlist, policy and audit, which must outlive the client. Status structs passed to
 * the callback are borrowed for the call.
 *
 * Threads: one client may run rounds from one thread at a time: sync_client_run_once() from
 * the caller's thread, or the client's own thread after sync_client_start() (then
 * run_once returns -EBUSY). The status callback runs on the thread doing the round and must
 * not call sync_client_stop() or destroy(). Plate reading never waits for sync: the store
 * and hotlist use their own short transactions, and network I/O happens outside them.
 *
 * Errors: 0 or a negative errno. -EINVAL (bad options), -ECONNREFUSED / -EHOSTUNREACH /
 * -ETIMEDOUT / -ECONNRESET (the link), -EACCES (the station refused our certificate),
 * -EPROTO (the station answered something this protocol does not allow), -EFBIG (the
 * station's answer over its cap), -ECANCELED (stopped), and the store's and hotlist's codes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "policy.h"

struct store;
struct hotlist;
struct audit;

/* Defaults and caps (docs/sync-protocol.md). */
/* Reads per upload batch: 64 is one store iteration batch; a batch costs one durable commit
 * at the station. */
#define SYNC_BATCH_READS_DEFAULT 64
/* Bytes of JSON per batch before it is sent early: a quarter of the station's body cap, so
 * that one more read (at most a 256 KiB crop, 342 KiB as base64) never crosses it. */
#define SYNC_BATCH_BYTES_DEFAULT (4 * 1024 * 1024)
/* The station refuses (413) a request body over this: sixteen of the client's batches. */
#define SYNC_BODY_MAX (16 * 1024 * 1024)
/* A published delta: a 50,000-change delta is about 10 MiB, a 5-million-entry snapshot
 * about 1 GiB; publishing a snapshot that large goes through a file copy, not this API. */
#define SYNC_PUBLISH_MAX (256 * 1024 * 1024)
/* A hotlist download: hotlist.c's own cap on a delta file. */
#define SYNC_DELTA_MAX (UINT64_C(2) << 30)
/* An acknowledgement or other JSON answer from the station. */
#define SYNC_ANSWER_MAX (1024 * 1024)
/* A unit id (the certificate's CN): as store.h's. */
#define SYNC_UNIT_MAX 31
/* Lists a station serves, at most. */
#define SYNC_LISTS_MAX 64
/* Error and event messages: one line. */
#define SYNC_MESSAGE_MAX 256

#define SYNC_CONNECT_TIMEOUT_MS_DEFAULT 10000
/* A transfer slower than 1 KiB/s for this long is cut (a link that died without a FIN). */
#define SYNC_STALL_TIMEOUT_MS_DEFAULT 30000
#define SYNC_BACKOFF_MIN_US_DEFAULT   (2 * ALPR_USEC_PER_SEC)
#define SYNC_BACKOFF_MAX_US_DEFAULT   (5 * ALPR_USEC_PER_MIN)
#define SYNC_INTERVAL_US_DEFAULT      (1 * ALPR_USEC_PER_MIN)

/* ---- the unit's client ----------------------------------------------------------------- */

enum sync_event {
	SYNC_EVENT_ROUND_OK = 0,       /* a round finished: everything queued went up */
	SYNC_EVENT_ERROR,              /* a round failed; the next try is in next_try_us */
	SYNC_EVENT_HOTLIST_UPDATED,    /* a list moved to a newer signed version */
	SYNC_EVENT_HOTLIST_REFUSED,    /* a download was refused; the unit keeps its list */
	SYNC_EVENT_READS_REFUSED,      /* the station refused reads (expired, refused category) */
	SYNC_EVENT_CHECKPOINT_REFUSED, /* the station refused the audit checkpoint */
	SYNC_EVENT_COUNT,
};
/* "round_ok", "error", ...; "?" out of range. Static storage. */
const char *sync_event_name(enum sync_event ev);

struct sync_status {
	enum sync_event event;
	int error;                   /* the round's error, 0 when none */
	int64_t last_sync_at;        /* UTC microseconds of the last successful round; 0: never */
	uint64_t queue_depth;        /* reads waiting for upload, after this round */
	uint64_t uploaded;           /* reads the station acknowledged in this round */
	uint64_t refused;            /* reads it refused in this round (they are not retried) */
	uint64_t consecutive_errors; /* failed rounds in a row */
	int64_t next_try_us;         /* background thread: delay to the next round */
	char list[32];               /* HOTLIST_*: the list */
	uint64_t list_version;       /* HOTLIST_UPDATED: the new version; REFUSED: the kept one */
	char message[SYNC_MESSAGE_MAX]; /* one line for the officer and the log */
};

struct sync_client_options {
	const char *station_url; /* "https://host:port"; required */
	const char *cert_path;   /* the unit's certificate (PEM); required */
	const char *key_path;    /* its private key (PEM); required */
	const char *ca_path;     /* the station CA, the only one trusted (pinning); required */
	/* The station's hotlist signing key (PEM): deltas must verify with it. Required when
	 * @hotlist is set. */
	const char *hotlist_pubkey_path;
	/* Where downloads are written before they are applied; required. Created (0700). */
	const char *state_dir;
	struct store *store;            /* required; borrowed */
	struct hotlist *hotlist;        /* NULL: no hotlist download; borrowed */
	struct audit *audit;            /* NULL: no checkpoint upload; borrowed */
	const struct alpr_clock *clock; /* NULL: real time; borrowed */
	size_t batch_reads;             /* 0: SYNC_BATCH_READS_DEFAULT */
	size_t batch_bytes;             /* 0: SYNC_BATCH_BYTES_DEFAULT */
	long connect_timeout_ms;        /* 0: the default */
	long stall_timeout_ms;          /* 0: the default */
	int64_t backoff_min_us;         /* 0: the default */
	int64_t backoff_max_us;         /* 0: the default */
	int64_t interval_us;            /* background: between successful rounds; 0: default */
	/* Called after every round and for every event; may be NULL. */
	void (*on_status)(const struct sync_status *st, void *userdata);
	void *userdata;
};

struct sync_round_result {
	uint64_t uploaded;            /* reads acknowledged as stored */
	uint64_t refused;             /* reads the station refused (marked synced: never retried) */
	uint64_t batches;             /* upload requests acknowledged */
	uint64_t lists_updated;       /* hotlist versions applied */
	uint64_t lists_refused;       /* hotlist downloads refused */
	uint64_t queue_depth;         /* unsynced reads after the round */
	bool checkpoint_sent;         /* the audit checkpoint was accepted */
	char error[SYNC_MESSAGE_MAX]; /* the first error, one line */
};

struct sync_client;

/* Creates a client; nothing touches the network yet. -EINVAL names the missing option in
 * the log. */
int sync_client_create(const struct sync_client_options *opts, struct sync_client **out);
/* Stops the thread if running and frees; NULL is a no-op. */
void sync_client_destroy(struct sync_client *c);

/*
 * One round: the audit checkpoint (when an audit log is set), every unsynced read in
 * batches, then the hotlists. A failure stops the upload where it is (what was acknowledged
 * stays marked; the rest is retried next round) but the hotlist step still runs if the
 * station answered. Returns 0 when the round completed, else the first error; @res (may be
 * NULL) says what was done either way. -EBUSY while the background thread runs.
 */
int sync_client_run_once(struct sync_client *c, struct sync_round_result *res);

/* Starts the background thread: a round now, then every interval_us after a success, or
 * after a backoff (min * 2^errors, capped at max, with jitter in [delay/2, delay]) after a
 * failure. -EALREADY when running. */
int sync_client_start(struct sync_client *c);
/* Asks the thread for a round now (a link came up, the unit docked). */
void sync_client_kick(struct sync_client *c);
/* Stops the thread, cancelling a transfer in flight (what was acknowledged stays marked;
 * the rest is retried at the next start). No-op when not running. */
void sync_client_stop(struct sync_client *c);

/* ---- publishing ------------------------------------------------------------------------ */

struct sync_tls {
	const char *cert_path; /* client certificate (PEM) */
	const char *key_path;  /* its key (PEM) */
	const char *ca_path;   /* the station CA */
};

/* Uploads the signed delta at @delta_path (from `alpr-hotlist delta`) to @station_url with
 * an administrator certificate. The station verifies it with the publisher's key and
 * applies it; units take it at their next sync. 0 and *version (may be NULL), or a negative
 * errno with the station's one-line answer in @err. */
int sync_publish(const char *station_url, const struct sync_tls *tls, const char *delta_path,
		 uint64_t *version, char *err, size_t errsz);

/* ---- exporting held reads -------------------------------------------------------------- */

/* A disclosure file from the station (sharing.h's format): at most this. */
#define SYNC_EXPORT_MAX (8 * 1024 * 1024)

/* Asks the station for a disclosure of reads it holds (POST /v1/export, docs/sync-protocol.md)
 * with an investigator's certificate. @request is the JSON body ({"agreement", "purpose",
 * "case_number", "ids"}). On success the file, encrypted to the agreement's recipient, is
 * written to @out_path (mode 0600). -ALPR_E_REFUSED when the station refused it (and audited
 * the refusal), another negative errno otherwise; the station's one line in @err. */
int sync_export(const char *station_url, const struct sync_tls *tls, const char *request,
		const char *out_path, char *err, size_t errsz);

/* ---- the station's certificate authority ----------------------------------------------- */

enum sync_role {
	SYNC_ROLE_UNIT = 0, /* a patrol unit: uploads reads, downloads hotlists */
	SYNC_ROLE_ADMIN,    /* a hotlist administrator: publishes */
	SYNC_ROLE_STATION,  /* the station's own TLS server certificate */
	/* A person who searches the station's reads (POST /v1/search): purpose-bound and
	 * audited, search.h's investigator role. */
	SYNC_ROLE_INVESTIGATOR,
	SYNC_ROLE_COUNT,
};
/* "unit", "admin", "station", "investigator": the certificate's OU. */
const char *sync_role_name(enum sync_role role);

/*
 * In folder @dir: makes the CA (ca-key.pem, mode 0600, and ca.pem) if there is none, and the
 * station's server certificate (server-key.pem, server.pem) for the names and addresses in
 * @hosts (DNS names or IP literals; NULL/0: "localhost" and 127.0.0.1). Existing files are
 * kept. EC P-256 keys, SHA-256 signatures.
 */
int sync_ca_init(const char *dir, const char *const *hosts, size_t nhosts);

/*
 * Issues a key and certificate for @name (a unit id or administrator name, [A-Za-z0-9_.-],
 * at most SYNC_UNIT_MAX) in @role, signed by the CA in @ca_dir, valid from now +
 * @not_before_s to now + @not_after_s (seconds; a negative end makes an expired certificate,
 * for tests). Writes @out_dir/key.pem (0600), cert.pem and ca.pem. -EEXIST if key.pem exists.
 */
int sync_ca_issue(const char *ca_dir, const char *name, enum sync_role role, int64_t not_before_s,
		  int64_t not_after_s, const char *out_dir);
