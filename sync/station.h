/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * station.h: the station server (alpr-station serve), as a library so that the executable
 * stays thin and the benchmark can run one in-process.
 *
 * A station folder holds:
 *   tls/        the CA (ca.pem, ca-key.pem) and the server certificate (sync_ca_init)
 *   db/         LMDB: received reads, crops, their expiry index, per-unit records
 *   hotlist/    the hotlist database (hotlist.h), fed by publishing
 *   hotlist-key.pem, hotlist-pub.pem   the station's signing key for the deltas it serves
 *   publisher-pub.pem                  the administrators' key: published deltas must verify
 *   deltas/     signed deltas and snapshots already served, by (list, from, to)
 *   device-keys/UNIT.pem               each unit's audit device key, from enrolment
 *   agency-pub.pem                     the agency's sharing-agreement key (exports)
 *
 * Threads: one connection per thread (libmicrohttpd); LMDB serialises writes. station_stop
 * waits for every request in flight.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "audit.h"
#include "policy.h"
#include "sync.h"

struct station_options {
	const char *dir;                /* the station folder; required */
	const char *listen_addr;        /* IPv4 or IPv6 literal; NULL: 127.0.0.1 */
	uint16_t port;                  /* 0: any free port (see station_port) */
	const struct policy *policy;    /* retention and refused categories; borrowed */
	const struct alpr_clock *clock; /* NULL: real time; borrowed */
	size_t body_max;                /* request body cap (413 above); 0: SYNC_BODY_MAX */
	size_t map_size;                /* LMDB map of db/; 0: 64 GiB (sparse) */
};

struct station;

/* Makes the folder's CA, server certificate and hotlist signing key when missing (the first
 * run). @hosts as sync_ca_init(). */
int station_init(const char *dir, const char *const *hosts, size_t nhosts);
/* Opens the folder (station_init first) and starts serving HTTPS. */
int station_start(const struct station_options *opts, struct station **out);
uint16_t station_port(const struct station *s);
/* Stops serving and closes; NULL is a no-op. */
void station_stop(struct station *s);
/* ---- the station's audit log (audit.h; docs/sync-protocol.md, "Audit") ------------------
 * DIR/audit, device id STATION_AUDIT_DEVICE, key DIR/audit/device-key.pem. The server records
 * the profile in force at each start (policy.load), every search (POST /v1/search, search.h's
 * "search" records, refusals included), every export (POST /v1/export, sharing.h's "disclose"
 * records, refusals included), every refused unit checkpoint and every publish, applied or
 * refused; the enrolment tool records every enrolment through station_audit_record(). */
#define STATION_AUDIT_DEVICE      "station"
#define STATION_AUDIT_POLICY_LOAD "policy.load"
#define STATION_AUDIT_PUBLISH     "hotlist.publish"
#define STATION_AUDIT_ENROLL      "enroll"
/* A unit's audit checkpoint the station refused (POST /v1/checkpoint); accepted ones are kept
 * in the unit's record, not logged: a unit sends one at every sync. */
#define STATION_AUDIT_CHECKPOINT "audit.checkpoint"

struct station_audit_args {
	const char *user, *role, *action;
	const char *params, *purpose, *case_number, *object_id; /* may be NULL */
	uint64_t count;
	const char *reason; /* NULL: allowed; else denied, one line */
};
/* Opens DIR/audit (creating it), appends one record under profile @p (may be NULL), signs a
 * checkpoint over it and closes. For the tools beside a running server (LMDB allows one
 * writer at a time across processes). 0 or audit.h's errors. */
int station_audit_record(const char *dir, const struct policy *p,
			 const struct station_audit_args *x);

/* ---- units' device keys (docs/sync-protocol.md, "The audit checkpoint") -----------------
 * The Ed25519 public key of a unit's audit log (alpr-audit pubkey), registered at enrolment
 * in DIR/device-keys/UNIT.pem: the only key the station checks that unit's checkpoints
 * with. */
/* DIR/device-keys/UNIT.pem in @buf; -EINVAL for a name that is not a unit id. */
int station_device_key_path(const char *dir, const char *unit, char *buf, size_t bufsz);
/* Registers the key in @pem_path (a public key PEM) for @unit: its hex in @hex, *created
 * when the file was written now (so that a failed enrolment can remove it). The same key
 * again is 0; another key than the one registered is -EEXIST (a unit's log keeps its key);
 * not an Ed25519 key is -ALPR_E_PARSE. */
int station_register_device_key(const char *dir, const char *unit, const char *pem_path,
				char hex[2 * AUDIT_PUBKEY_LEN + 1], bool *created);

/* Removes stored reads and crops past their deadline; *purged (may be NULL) counts reads. */
int station_purge(struct station *s, uint64_t *purged);
