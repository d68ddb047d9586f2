/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * audit.h: the tamper-evident audit log.
 *
 * Every search of stored reads, every denied search and every other accountable action writes
 * one record. The log is append-only and hash-chained: each record holds the SHA-256 of the
 * record before it, so changing, deleting, inserting or reordering a record breaks the chain
 * at that point. Every N records or M minutes the unit signs a checkpoint (sequence, record
 * hash, time, device id) with its Ed25519 device key; the newest checkpoint goes to the
 * station at every sync. A rewriter who recomputes the chain cannot re-sign the checkpoints
 * without the key, and one who cuts the tail is caught against the checkpoint the station
 * holds. The byte formats are in docs/audit-format.md.
 *
 * Records refer to the data they mention only by id or hash (the query's parameters, as the
 * user typed them, are kept verbatim), so they can outlive that data: the policy's audit
 * retention is a minimum of one year, and nothing in this module deletes records.
 *
 * Storage: one LMDB environment (a folder) per log, with named databases "records",
 * "checkpoints" and "meta". Each append is one durable LMDB transaction: after a power cut
 * the log holds every record whose audit_append() returned, and nothing half-written.
 *
 * Ownership and lifetime: audit_open() returns a handle the caller owns and frees with
 * audit_close(). The handle copies what it needs from the options; it keeps no pointer to
 * caller memory except opts->clock, which must outlive it. Records passed to the callback
 * of audit_foreach() are borrowed and valid only during that call.
 *
 * Threads: LMDB's rule applies: open a given folder once per process (and after any fork()).
 * One handle may be shared by any number of threads: appends are serialised by LMDB's write
 * lock and hold no other state; audit_foreach() and audit_verify() use their own short read
 * transactions. A callback must not call back into the same handle.
 *
 * Errors: 0 or a negative errno. -EINVAL (a bad argument, or a field over its cap or not
 * UTF-8), -ENOENT (no such log folder, or key file for an existing log), -EROFS (writing
 * through a read-only handle), -ENOSPC (the LMDB map is full), -EKEYREJECTED (the key file is
 * not the key this log was started with), -ALPR_E_PARSE (a malformed key or checkpoint file),
 * -ALPR_E_CORRUPT (the log fails its integrity check), -ALPR_E_SIGNATURE (a signature does not
 * verify), -EIO (another LMDB or libcrypto failure, logged). No MDB_* code leaves this module.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define AUDIT_HASH_LEN   32 /* SHA-256 */
#define AUDIT_SIG_LEN    64 /* Ed25519 */
#define AUDIT_PUBKEY_LEN 32 /* Ed25519, raw */

/* Field caps, in bytes without the terminating NUL. A longer field is rejected (-EINVAL),
 * never truncated: an audit record that silently lost part of a query is worse than none. */
#define AUDIT_DEVICE_MAX 64   /* a unit id such as "unit-0017" */
#define AUDIT_TEXT_MAX   256  /* user, role, action, purpose, case number, object id, reason */
#define AUDIT_PARAMS_MAX 4096 /* a search's parameters, verbatim; searches are short forms */

/* Room for audit_verify_result.reason: one line. */
#define AUDIT_REASON_MAX 256

/* Defaults for the checkpoint triggers (audit_open_opts). */
#define AUDIT_CHECKPOINT_EVERY_N_DEFAULT  100
#define AUDIT_CHECKPOINT_EVERY_US_DEFAULT (15 * ALPR_USEC_PER_MIN)

/* Where the record's time came from. The order is part of the record format: append only. */
enum audit_time_source {
	AUDIT_TIME_SYSTEM = 0, /* the unit's system clock, not known to be synchronised */
	AUDIT_TIME_NTP,        /* system clock synchronised by NTP (e.g. docked at the station) */
	AUDIT_TIME_GPS,        /* system clock disciplined by GPS time */
	AUDIT_TIME_MANUAL,     /* a manual clock (tests, replays) */
	AUDIT_TIME_COUNT,
};
/* "system", "ntp", "gps", "manual"; "?" out of range. Static storage. */
const char *audit_time_source_name(enum audit_time_source src);

/* The order is part of the record format: append only. */
enum audit_outcome {
	AUDIT_ALLOWED = 0,
	AUDIT_DENIED,
	AUDIT_OUTCOME_COUNT,
};
/* "allowed", "denied"; "?" out of range. Static storage. */
const char *audit_outcome_name(enum audit_outcome o);

/*
 * One audit record. Text fields are NUL-terminated UTF-8 with no other NUL; NULL is the same
 * as "" (not given).
 *
 * On audit_append() the caller fills the fields marked "caller"; the log fills the others
 * (their input values are ignored). user, role and action are required; reason is required
 * when and only when outcome is AUDIT_DENIED.
 */
struct audit_record {
	uint64_t seq;                       /* log: 1, 2, 3, ... without gaps */
	int64_t time_us;                    /* log: UTC microseconds, from the handle's clock */
	enum audit_time_source time_source; /* log: see audit_set_time_source() */
	const char *device;                 /* log: the handle's device id */
	uint8_t prev_hash[AUDIT_HASH_LEN];  /* log: SHA-256 of the previous record; 0s for seq 1 */
	const char *user;                   /* caller: who acted (badge or account id) */
	const char *role;                   /* caller: the role they acted in ("officer") */
	const char *action;                 /* caller: "search", "export", "hotlist.load", ... */
	const char *params;                 /* caller: the query's parameters, verbatim */
	const char *purpose;                /* caller: the stated purpose */
	const char *case_number;            /* caller: the case number given */
	const char *object_id;              /* caller: id or hash of the one object acted on */
	uint64_t result_count;              /* caller: records returned */
	uint8_t results_hash[AUDIT_HASH_LEN]; /* caller: SHA-256 over the returned records' ids */
	enum audit_outcome outcome;           /* caller */
	const char *reason;                   /* caller: why it was denied */
	uint8_t profile_hash[AUDIT_HASH_LEN]; /* caller: policy_hash() of the active profile */
};

struct audit;

struct audit_open_opts {
	/* This unit's id, written into every record and checkpoint. Required when the log is
	 * created; on an existing log NULL means "the one stored", anything else must match. */
	const char *device_id;
	/* The Ed25519 device key (PEM, PKCS#8). NULL means "<dir>/device-key.pem". Created with
	 * mode 0600 when a new log is started and the file does not exist. Not needed (and not
	 * read) for a read-only handle. */
	const char *key_path;
	/* Borrowed; must outlive the handle. NULL means the real clock. */
	const struct alpr_clock *clock;
	/* The time source recorded until audit_set_time_source() says otherwise. */
	enum audit_time_source time_source;
	/* Sign a checkpoint when this many records are not yet covered by one (0: default). */
	uint64_t checkpoint_every_n;
	/* ... or when the newest checkpoint is this old at an append (0: default). */
	int64_t checkpoint_every_us;
	/* LMDB map size in bytes (0: 1 GiB, about 200 000 records of the largest kind). */
	size_t map_size;
	/* Open for reading (audit_foreach, audit_verify) only; the folder must exist. */
	bool read_only;
};

/*
 * Opens the log in folder @dir, creating the folder (mode 0700) and the log if needed unless
 * opts->read_only. On success *out is a new handle. Errors: see the top of this file; on a
 * mismatched device id -EINVAL, on a mismatched key -EKEYREJECTED.
 */
int audit_open(const char *dir, const struct audit_open_opts *opts, struct audit **out);
/* Closes the handle; NULL is a no-op. Every returned append is already durable. */
void audit_close(struct audit *a);

/* Borrowed; valid for the handle's lifetime. */
const char *audit_device_id(const struct audit *a);
/* Sets the time source recorded by later appends (e.g. when GPS time is acquired). Not
 * synchronised with concurrent appends: an append racing this call records either source. */
void audit_set_time_source(struct audit *a, enum audit_time_source src);

/*
 * Appends @rec as the next record in one durable transaction: fills in the sequence, time,
 * time source, device and previous hash, and signs a checkpoint in the same transaction when
 * one is due. *seq_out (may be NULL) is the new record's sequence. @rec is not modified and
 * not kept. -EINVAL for a field over its cap, not UTF-8, or a missing required field;
 * -EROFS on a read-only handle; -ENOSPC when the map is full.
 */
int audit_append(struct audit *a, const struct audit_record *rec, uint64_t *seq_out);

/*
 * Signs a checkpoint over the newest record now (e.g. just before a sync). If the newest
 * record already has one, does nothing and returns 0. -ENODATA on an empty log, -EROFS on a
 * read-only handle.
 */
int audit_checkpoint(struct audit *a);

/* What a checkpoint says. */
struct audit_checkpoint_info {
	uint64_t seq;                        /* the newest record it covers */
	uint8_t record_hash[AUDIT_HASH_LEN]; /* that record's SHA-256 */
	int64_t time_us;                     /* when it was signed */
	char device[AUDIT_DEVICE_MAX + 1];
	uint8_t signature[AUDIT_SIG_LEN];
};

/* The newest checkpoint. -ENODATA when there is none. */
int audit_last_checkpoint(struct audit *a, struct audit_checkpoint_info *out);

/*
 * Writes the newest checkpoint to @path (atomically, mode 0644) as the small JSON file the
 * station keeps (docs/audit-format.md). It does not sign a new one: call audit_checkpoint()
 * first to cover the newest record. -ENODATA when there is no checkpoint.
 */
int audit_export_checkpoint(struct audit *a, const char *path);

/* Writes the device's public key to @path (PEM SubjectPublicKeyInfo, atomically, mode 0644):
 * what the station registers for this unit. Works on a read-only handle (the public key is
 * stored in the log). */
int audit_export_pubkey(struct audit *a, const char *path);

/* The device's public key in a PEM file (SubjectPublicKeyInfo, or the public half of a private
 * key) as 32 raw bytes. -ALPR_E_PARSE when it is not an Ed25519 key. */
int audit_pubkey_read(const char *path, uint8_t out[AUDIT_PUBKEY_LEN]);
/* Writes @pubkey as PEM SubjectPublicKeyInfo (atomically, mode 0644). */
int audit_pubkey_write(const uint8_t pubkey[AUDIT_PUBKEY_LEN], const char *path);

/* Parses a checkpoint file's JSON (audit_export_checkpoint(), docs/audit-format.md) from
 * @text: at most 4096 bytes, no unknown or duplicate field, every field typed and of its
 * length. It does not verify the signature. 0, or -ALPR_E_PARSE (-EFBIG over the cap) with
 * one line naming the field in @why ("record_hash: missing or malformed"). */
int audit_checkpoint_parse(const char *text, size_t len, struct audit_checkpoint_info *out,
			   char *why, size_t whysz);
/* Checks @cp's Ed25519 signature against @pubkey (the key registered for its device, never
 * the one a file carries): 0, or -ALPR_E_SIGNATURE. */
int audit_checkpoint_verify(const struct audit_checkpoint_info *cp,
			    const uint8_t pubkey[AUDIT_PUBKEY_LEN]);

/* The last record's sequence (0 for an empty log), in *out. */
int audit_last_seq(struct audit *a, uint64_t *out);

/* The hash of record @seq as stored (docs/audit-format.md: SHA-256 of the whole value), the
 * value a checkpoint over @seq signs. It does not verify the chain (audit_verify() does).
 * -ENOENT when there is no such record. */
int audit_record_hash(struct audit *a, uint64_t seq, uint8_t out[AUDIT_HASH_LEN]);

/*
 * Calls @fn for each record with sequence >= @from_seq, in order, within one read
 * transaction. @fn returns 0 to go on; any other value stops the walk and is returned. @rec
 * and its strings are valid only during the call. A record that cannot be decoded stops the
 * walk with -ALPR_E_CORRUPT (audit_verify says more). @fn must not block for long (the read
 * transaction pins the pages it sees) nor call into @a.
 */
typedef int (*audit_record_fn)(const struct audit_record *rec, void *userdata);
int audit_foreach(struct audit *a, uint64_t from_seq, audit_record_fn fn, void *userdata);

struct audit_verify_result {
	uint64_t records;     /* records read */
	uint64_t last_seq;    /* the newest sequence found */
	uint64_t checkpoints; /* checkpoints whose signature verified (station's included) */
	uint64_t signed_seq;  /* the newest record covered by a verified checkpoint (0: none) */
	bool key_trusted;     /* signatures were checked against the caller's key, not the one
				 stored in the log (which a rewriter could replace) */
	/* The lowest sequence that can no longer be shown to be what the device wrote; 0 when
	 * the log verifies or verification could not run. */
	uint64_t first_bad_seq;
	char reason[AUDIT_REASON_MAX]; /* one line, on success too */
};

/*
 * Verifies the whole log: every record decodes, sits at its own sequence, without gaps, and
 * links to the hash of the one before; every stored checkpoint is signed by the device key
 * and matches the record it covers; no checkpoint covers a record that is missing. With
 * @checkpoint_path (the station's copy of a checkpoint, from audit_export_checkpoint()), also
 * that it is signed and the log still holds the record it covers, unchanged: this catches a
 * tail cut together with the local checkpoints.
 *
 * @pubkey_path: the device's public key (PEM; a private key file is accepted too) as the
 * station registered it. NULL checks signatures against the key stored in the log, which
 * proves consistency but not authenticity (result->key_trusted is false).
 *
 * Returns 0 when the log verifies; -ALPR_E_CORRUPT or -ALPR_E_SIGNATURE when it does not,
 * with first_bad_seq and the reason; another negative errno when verification could not run
 * (an unreadable key or checkpoint file: -ENOENT, -ALPR_E_PARSE, ...; reason says which).
 * @result must not be NULL.
 */
int audit_verify(struct audit *a, const char *pubkey_path, const char *checkpoint_path,
		 struct audit_verify_result *result);
