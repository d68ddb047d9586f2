/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * store.h: the unit's read store. Reads (ARCHITECTURE.md's fields), their plate crops, hits
 * and the officer's dispositions live in one LMDB environment (a folder), encrypted at rest,
 * and are deleted when the jurisdiction's policy profile says their time is up.
 *
 * Identity: every read gets an id "UNIT-SSSSSSSSSSSS", the unit id and a 64-bit sequence
 * number (12 digits or more). The sequence is allocated in the same LMDB transaction that
 * stores the read, so an id is never reused, not even after a power cut (kill -9) or when a
 * read is later deleted; ids have gaps, never repeats. The id is the key for idempotent sync.
 *
 * Encryption: every read, crop and hit is sealed with AES-256-GCM under the unit's store key
 * (32 random bytes in a key file, mode 0600, made at first run), with a fresh random 96-bit
 * nonce per record and the record's kind and key as associated data, so a record cannot be
 * moved to another key or kind unnoticed. What stays plaintext is bookkeeping without plates:
 * sequence numbers, capture times, data class and sync flags. A wrong key file is refused at
 * open (-EKEYREJECTED). If the key file is lost the data cannot be read, by design; see
 * docs/store.md for where the key lives, who may read it, and rotation (future work).
 *
 * Retention: each stored row belongs to a data class of the policy (policy.h): a non-hit read
 * (POLICY_CLASS_READ), its crop (POLICY_CLASS_CROP, never outliving its read), a hit
 * (POLICY_CLASS_HIT, read and crop included) or a hit marked misread or wrong state
 * (POLICY_CLASS_MISREAD_HIT). Its deadline is captured_at + the class's time-to-live: at the
 * deadline and after, it is gone for every reader (store_get_read, sync) even before a purge
 * has deleted the bytes; store_purge() deletes everything past its deadline in one LMDB
 * transaction. A purge runs at store_open() and then every purge_interval_us on the store's
 * own thread when that option is set. The GPS track class belongs to app/gps; the fix inside
 * a read follows the read's class.
 *
 * Memory-only mode: when the profile says policy_reads_memory_only() (New Hampshire), non-hit
 * reads are kept in a bounded ring in memory and never written to the file; a read that
 * becomes a hit (store_put_read with a hit, or store_add_hit) is written then, with its id.
 * Memory-only reads are never handed to sync.
 *
 * A full store: when the LMDB map is full, a write deletes the oldest non-hit reads (in a
 * bounded number of rounds) and retries; hits are never dropped for room. The write then
 * succeeds and reports it in store_put_result.evicted, which the runtime turns into a status
 * event ("store full: oldest reads dropped"). Only when nothing but hits is left does a write
 * fail with -ENOSPC.
 *
 * Ownership and lifetime: store_open() returns a handle the caller owns and frees with
 * store_close(). The handle copies unit_id and key_path; it borrows opts->policy and
 * opts->clock, which must outlive it. A struct store_read filled by store_get_read() or
 * handed to a store_foreach_unsynced() callback owns its crop buffer only in the first case:
 * release it with store_read_finish(). Nothing else returned points into the store.
 *
 * Threads: LMDB's rule applies: open a given folder once per process, after any fork(). One
 * handle may be used from any number of threads at once: writes are serialised by LMDB's
 * write lock, reads use their own short read transactions, the in-memory ring has its own
 * lock. No read transaction is held across a callback. A callback (on_purge, the sync
 * iterator's) may call back into the store, except store_close().
 *
 * Errors: 0 or a negative errno. -EINVAL (a bad argument or hostile input: a field over its
 * cap or outside its alphabet, a crop over STORE_CROP_MAX or not the format it claims; nothing
 * is written), -ENOENT (no such read or hit, or it has expired), -EEXIST (the read already
 * has a hit), -EPERM (a disposition the state machine does not allow), -EALREADY (the hit
 * already has that status), -ENOSPC (the store is full of hits), -ENOKEY (the key file is
 * missing for an existing store), -EKEYREJECTED (the key file is not this store's key),
 * -ALPR_E_CORRUPT (a record fails authentication or does not parse), -EIO (another LMDB or
 * libcrypto failure, logged). No MDB_* code leaves this module.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "policy.h"

/* Field caps, in bytes without the terminating NUL. A field that fills its array without a
 * NUL, or breaks its alphabet, is refused (-EINVAL), never truncated. */
#define STORE_UNIT_ID_MAX 31                           /* [A-Za-z0-9_.-], e.g. "unit42" */
#define STORE_ID_MAX      (STORE_UNIT_ID_MAX + 1 + 20) /* unit id, '-', up to 20 digits */
/* The id the unit gives a read it could not store (no store, or the store refused it: full,
 * or an I/O error). Never an id the store hands out; several reads may carry it. */
#define STORE_ID_UNSTORED    "-"
#define STORE_CAMERA_MAX     31 /* [a-z0-9_-], e.g. "front-left" */
#define STORE_PLATE_MAX      8  /* NCIC: A-Z 0-9, as hotlist.h */
#define STORE_CANDIDATES_MAX 10 /* OCR alternatives kept per read */
#define STORE_LIST_MAX       31 /* a hotlist list name */
#define STORE_SHORT_MAX      31 /* record id, agency, officer id: [A-Za-z0-9_.:/-] */
/* A plate crop is a small image of the plate region; 256 KiB is ten times a 400x100 PNG. */
#define STORE_CROP_MAX (256 * 1024)
/* Dispositions kept per hit: the state machine's longest path is 2; room for the future. */
#define STORE_DISPOSITIONS_MAX 8

/* Defaults for struct store_options. */
#define STORE_MAP_SIZE_DEFAULT (UINT64_C(4) << 30) /* sparse: costs nothing until used */
/* Non-hit reads held in memory-only mode. Three minutes of four cameras at 5 reads/s. */
#define STORE_MEMORY_READS_DEFAULT 4096

/* Where captured_at came from, so a report can weigh the timestamp. */
enum store_clock_source {
	STORE_CLOCK_SYSTEM = 0, /* the unit's clock, not known to be synchronised */
	STORE_CLOCK_NTP,        /* system clock synchronised by NTP */
	STORE_CLOCK_GPS,        /* GPS time (gps_time_offset) */
	STORE_CLOCK_COUNT,
};

enum store_crop_format {
	STORE_CROP_NONE = 0,
	STORE_CROP_JPEG,
	STORE_CROP_PNG,
};

/* gpsd's fix modes: no fix, 2D, 3D. */
enum store_fix_mode {
	STORE_FIX_NONE = 0,
	STORE_FIX_2D = 2,
	STORE_FIX_3D = 3,
};

struct store_gps {
	enum store_fix_mode mode; /* STORE_FIX_NONE: no fix; the other fields are ignored */
	double lat;               /* degrees WGS84, [-90, 90] */
	double lon;               /* degrees WGS84, [-180, 180] */
	double speed_mps;         /* >= 0, or NaN when unknown */
	double heading_deg;       /* [0, 360), or NaN when unknown */
	int32_t fix_age_ms;       /* age of the fix at capture time, >= 0 */
};

struct store_candidate {
	char plate[STORE_PLATE_MAX + 1];
	float confidence; /* 0..1 */
};

/* A plate box in the camera frame, pixels. */
struct store_box {
	int32_t x, y, w, h; /* all >= 0 */
};

/* One read: one vehicle pass as voted by the tracker. Plain data except crop. */
struct store_read {
	char id[STORE_ID_MAX + 1]; /* set by the store; ignored by store_put_read() */
	int64_t captured_at;       /* UTC microseconds, > 0 */
	enum store_clock_source clock_source;
	char camera[STORE_CAMERA_MAX + 1];
	char plate[STORE_PLATE_MAX + 1]; /* normalised A-Z 0-9, 1 to 8 */
	float confidence;                /* 0..1 */
	struct store_candidate candidates[STORE_CANDIDATES_MAX];
	uint32_t ncandidates;
	char state[3];          /* USPS code, "??" or "" (not read) */
	float state_confidence; /* 0..1 */
	struct store_box box;
	/* The crop: borrowed by store_put_read(); owned (malloc) in a read filled by
	 * store_get_read(), freed by store_read_finish(). NULL / 0 / NONE when absent (or
	 * purged: a crop may have a shorter life than its read). */
	uint8_t *crop;
	size_t crop_len;
	enum store_crop_format crop_format;
	struct store_gps gps;
	uint64_t track_id;
	uint32_t frames_voted;
	/* Set by the store (ignored by store_put_read()): 0 as first stored, then one more at
	 * each store_update_hit_read() (at most 255). The station keeps the highest revision of
	 * a read (docs/sync-protocol.md, "Newer wins"). */
	uint32_t revision;
};

/* Frees the crop of a read filled by store_get_read(); the struct itself is the caller's. */
void store_read_finish(struct store_read *r);

enum store_match_kind {
	STORE_MATCH_EXACT = 0,
	STORE_MATCH_EQUIVALENT, /* look-alike substitutions at positions[] */
	STORE_MATCH_EDIT,       /* one character missing or extra at positions[0] */
	STORE_MATCH_COUNT,
};
const char *store_match_kind_name(enum store_match_kind k);

/*
 * A hit's status. The state machine (store_set_disposition):
 *   unverified -> confirmed | misread | wrong_state | not_actioned
 *   confirmed  -> not_actioned
 * misread, wrong_state and not_actioned are final. misread and wrong_state move the hit to
 * the policy's misread_hit retention class.
 */
enum store_hit_status {
	STORE_HIT_UNVERIFIED = 0,
	STORE_HIT_CONFIRMED,    /* officer checked plate and state visually: they match */
	STORE_HIT_MISREAD,      /* the plate is not the entry's */
	STORE_HIT_WRONG_STATE,  /* plate matches, state does not */
	STORE_HIT_NOT_ACTIONED, /* no action taken (could not check, or chose not to) */
	STORE_HIT_STATUS_COUNT,
};
const char *store_hit_status_name(enum store_hit_status st);

struct store_disposition {
	enum store_hit_status status;
	char officer[STORE_SHORT_MAX + 1];
	int64_t at; /* UTC microseconds, from the store's clock */
};

/* A read that matched a hotlist entry. Plain data. */
struct store_hit {
	char read_id[STORE_ID_MAX + 1]; /* set by the store */
	int64_t hit_at;                 /* when the match was made; 0: the store's clock now */
	/* The entry, as matched (a copy: the hotlist may change later). */
	char list[STORE_LIST_MAX + 1];
	uint64_t list_version;
	char plate[STORE_PLATE_MAX + 1]; /* the entry's plate */
	char state[3];                   /* the entry's state, or "??" */
	enum policy_category category;
	char record_id[STORE_SHORT_MAX + 1]; /* NCIC NIC or local id; may be "" */
	char agency[STORE_SHORT_MAX + 1];    /* ORI; may be "" */
	/* How it matched (hotlist_match). */
	enum store_match_kind match;
	int32_t positions[2];
	uint32_t npositions; /* 0..2 */
	bool edit_missing;
	bool state_mismatch;
	bool state_unconfirmed;
	/* Set by the store: the current status and every disposition, oldest first. Ignored
	 * on input (a new hit is unverified). */
	enum store_hit_status status;
	struct store_disposition dispositions[STORE_DISPOSITIONS_MAX];
	uint32_t ndispositions;
};

/* ---- opening --------------------------------------------------------------------------- */

struct store_purge_counts {
	uint64_t reads;        /* non-hit reads deleted (with their crops) */
	uint64_t crops;        /* non-hit crops deleted, with their read or alone */
	uint64_t hits;         /* hits deleted (read, crop and hit) */
	uint64_t misread_hits; /* hits marked misread or wrong state deleted */
};

struct store_options {
	const char *unit_id;            /* required; recorded at creation, must match after */
	const struct policy *policy;    /* required; borrowed */
	const struct alpr_clock *clock; /* NULL: real time; borrowed */
	const char *key_path;           /* NULL: DIR/store.key */
	size_t map_size;                /* 0: STORE_MAP_SIZE_DEFAULT */
	size_t memory_reads;            /* memory-only ring size; 0: the default */
	int64_t purge_interval_us;      /* > 0: purge on a timer on the store's thread */
	/* Called after every purge that deleted something (at open, on the timer, and from
	 * store_purge()), for the audit log. May be NULL. From the purging thread. */
	void (*on_purge)(const struct store_purge_counts *counts, void *userdata);
	void *userdata;
};

struct store;

/*
 * Opens the store in folder @dir, creating folder, database and key file on first run.
 * Loads the key (creating it only when the database is new), checks it against the
 * database, clears stale readers left by a crash, runs a purge, and starts the purge timer.
 */
int store_open(const char *dir, const struct store_options *opts, struct store **out);
/* Stops the timer and closes; NULL is a no-op. No other thread may be using @s. */
void store_close(struct store *s);

/* ---- reads and hits -------------------------------------------------------------------- */

struct store_put_result {
	char id[STORE_ID_MAX + 1]; /* the read's id */
	bool in_memory;            /* memory-only mode kept it off the disk */
	/* Non-hit reads deleted to make room (0 normally). Non-zero: raise a status event. */
	uint32_t evicted;
	/* Memory-only: older reads dropped because the ring was full. */
	uint32_t memory_dropped;
};

/*
 * Validates and stores @r (its id field is ignored), with its hit when @hit is not NULL
 * (hit->read_id ignored): one transaction, or nothing. Fills @res (may be NULL).
 */
int store_put_read(struct store *s, const struct store_read *r, const struct store_hit *hit,
		   struct store_put_result *res);
/* Fills @out with read @id, crop included (free it with store_read_finish()). -ENOENT when
 * unknown or past its deadline. */
int store_get_read(struct store *s, const char *id, struct store_read *out);

/* Records that read @read_id hit @hit (a later match, or a hotlist update). A memory-only
 * read is written to the file now. -EEXIST when it already has a hit. @res may be NULL. */
int store_add_hit(struct store *s, const char *read_id, const struct store_hit *hit,
		  struct store_put_result *res);
int store_get_hit(struct store *s, const char *read_id, struct store_hit *out);
/* Replaces the read of hit @read_id with @r (its id and captured_at are ignored: the id, the
 * capture time and so the deadline stay), keeping the hit and its dispositions, and queues it
 * for sync again. For a hit raised while the vehicle was still in view (the runtime's early
 * hit), whose pass's final vote comes later. @r's crop, when it has one, replaces the stored
 * crop; without one the stored crop stays. One transaction. The read's revision goes up by
 * one, so that a station already holding the early version replaces it with this one (and
 * never the reverse). -ENOENT (unknown or expired),
 * -EPERM (a read without a hit: a non-hit read is never rewritten), -EINVAL. */
int store_update_hit_read(struct store *s, const char *read_id, const struct store_read *r);
/* Records the officer's disposition of the hit on @read_id, at the clock's time. -EPERM for a
 * transition the state machine refuses, -EALREADY when it is the current status. The hit
 * is queued for sync again. */
int store_set_disposition(struct store *s, const char *read_id, enum store_hit_status status,
			  const char *officer);
/* The same, calling @before_commit(@arg) inside the store's write transaction once every check
 * has passed and the change is written, just before the commit; a negative return abandons
 * the change and is returned. The unit makes its audit record durable there, so that a power
 * cut can leave a record of a disposition the store lacks, never a disposition without its
 * record. Called at most once, on the calling thread, with the store's writer lock held:
 * keep it short and do not call back into the store. */
int store_set_disposition_hooked(struct store *s, const char *read_id, enum store_hit_status status,
				 const char *officer, int (*before_commit)(void *arg), void *arg);

/* ---- retention ------------------------------------------------------------------------- */

/* Deletes everything at or past its deadline, rows and crops in one transaction (memory-only
 * reads too), and fills @counts (may be NULL). Crash-safe: all of it or none. */
int store_purge(struct store *s, struct store_purge_counts *counts);

/* ---- sync ------------------------------------------------------------------------------ */

/*
 * Calls @fn for every stored read not yet marked synced (and every hit whose disposition
 * changed since), oldest sequence first, with its hit or NULL. Expired data and memory-only
 * reads are never passed. @fn runs outside any transaction (it may do network I/O); the read
 * and its crop are borrowed for the call. @fn returns 0 to go on or non-zero to stop, which is
 * then returned.
 */
int store_foreach_unsynced(struct store *s,
			   int (*fn)(const struct store_read *r, const struct store_hit *hit,
				     void *userdata),
			   void *userdata);
/* Marks @n reads synced. Idempotent: unknown, expired or already-synced ids are fine.
 * -EINVAL (nothing marked) when an id is not this unit's id syntax. */
int store_mark_synced(struct store *s, const char *const *ids, size_t n);

/* ---- search ---------------------------------------------------------------------------- */

/*
 * Calls @fn for every read captured in [@from_us, @to_us) that is still within retention, with
 * its hit or NULL: the file's reads in sequence order, then the memory-only ring's. For the
 * purpose-bound search and historical hits (search/): there is no plate index, so every read in
 * the window is decrypted and the caller filters. The read (crop included) and hit are borrowed
 * for the call; @fn runs outside any transaction and may call back into the store, except
 * store_close(). @fn returns 0 to go on or non-zero to stop, which is then returned. A read
 * purged or expired between collection and the call is skipped. -EINVAL for a bad argument or
 * @from_us > @to_us.
 */
int store_foreach_in_window(struct store *s, int64_t from_us, int64_t to_us,
			    int (*fn)(const struct store_read *r, const struct store_hit *hit,
				      void *userdata),
			    void *userdata);

/* ---- status ---------------------------------------------------------------------------- */

struct store_stats {
	uint64_t reads;        /* reads in the file (hits included) */
	uint64_t crops;        /* crops in the file */
	uint64_t hits;         /* hits in the file */
	uint64_t unsynced;     /* reads waiting for sync */
	uint64_t memory_reads; /* memory-only reads held */
	uint64_t next_seq;     /* every read id issued so far has a lower sequence */
	uint64_t used_bytes;   /* pages in use times page size */
	uint64_t map_bytes;    /* the map size */
};
int store_stats(struct store *s, struct store_stats *out);
