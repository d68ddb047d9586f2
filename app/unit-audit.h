/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * unit-audit.h: the unit runtime's audit hooks (issue 7; docs/audit-format.md, docs/report.md).
 * Private to app/: unit.c calls these at each accountable step, and the public unit_*()
 * officer actions of unit.h go through them.
 *
 * What the unit writes to its audit log (one LMDB folder, audit.h):
 *   - at start, "policy.load": the profile in force, and whether it differs from the one the
 *     previous start ran under (a policy change between runs: another profile, or an
 *     administrator's tightening, itself a "policy.tighten" record of search.h);
 *   - "hotlist.load" per start and per signed version applied (report_record_hotlist_load);
 *   - "reads.captured" per camera, hourly and at shutdown (report_record_reads);
 *   - "hit" for each hit, written before the hit is shown (report_record_hit);
 *   - "store.purge" for every purge that deleted rows, the store's own counts
 *     (report_record_purge, from store_options.on_purge);
 *   - "officer.sign-in" / "officer.sign-out", "hit.verify", "hit.disposition" (allowed, or
 *     denied with the store's refusal), "hotlist.officer-entry";
 *   - historical hits ("hotlist.historical-check", "hit.historical"; search.h) for entries
 *     added by a signed version or an officer entry.
 * Nothing here writes a plate: records name reads by id and entries by list, category and
 * record id.
 *
 * Ownership: unit_audit_create() returns a handle the caller frees with unit_audit_destroy();
 * it borrows the policy and clock, which must outlive it. Threads: every function may be
 * called from any thread (the pipeline, the sync client's, the store's purge thread, the
 * controlling thread); the audit handle serialises appends and a mutex guards the counters.
 * Errors: 0 or a negative errno (audit.h's codes); -ALPR_E_REFUSED for an officer action the
 * store or hotlist refused, audited, with one line in @err.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "hotlist.h"
#include "policy.h"
#include "store.h"

/* Actions this file adds to the vocabulary of docs/report.md. */
#define UNIT_AUDIT_POLICY_LOAD   "policy.load"
#define UNIT_AUDIT_SIGN_IN       "officer.sign-in"
#define UNIT_AUDIT_SIGN_OUT      "officer.sign-out"
#define UNIT_AUDIT_VERIFY        "hit.verify"
#define UNIT_AUDIT_OFFICER_ENTRY "hotlist.officer-entry"

/* Beside the log: the hash of the profile the last start ran under, to tell a change. */
#define UNIT_AUDIT_POLICY_FILE "policy-in-force"

/* Cameras counted for "reads.captured" (capture.h's CAPTURE_MAX_CAMERAS at most). */
#define UNIT_AUDIT_CAMERAS_MAX 8
/* Lists whose versions are followed for historical hits. */
#define UNIT_AUDIT_LISTS_MAX 64
/* New entries of one signed version checked against past reads on the unit. Each check reads
 * every retained read and writes records; a bigger version (a bulk reload) is not checked
 * here, and one denied "hotlist.historical-check" record says so. */
#define UNIT_AUDIT_HISTORICAL_MAX 1000
/* Above this many entries in the hotlist, "hotlist.load" is one record for every list ("*")
 * from the database's counts per category, instead of one per list (which reads every entry:
 * seconds at 5 million). */
#define UNIT_AUDIT_COUNT_PER_LIST_MAX 200000
/* How often "reads.captured" is written per camera. */
#define UNIT_AUDIT_READS_EVERY_US ALPR_USEC_PER_HOUR

struct unit_audit;

struct unit_audit_options {
	const char *dir;                /* the log's folder; required */
	const char *device_id;          /* the unit id; required */
	const char *key_path;           /* NULL: DIR/device-key.pem */
	const struct policy *policy;    /* required; borrowed */
	const struct alpr_clock *clock; /* NULL: real time; borrowed */
};

/* Opens (or starts) the log and writes the "policy.load" record. "what: why" in @err. */
int unit_audit_create(const struct unit_audit_options *o, struct unit_audit **out, char *err,
		      size_t errsz);
/* Writes what is still counted ("reads.captured"), signs a checkpoint and closes. NULL: no-op. */
void unit_audit_destroy(struct unit_audit *ua);
/* The log (borrowed, the handle's lifetime): for the sync client's checkpoint upload. */
struct audit *unit_audit_log(struct unit_audit *ua);

/* store_options.on_purge: one "store.purge" record with the counts the store deleted. */
void unit_audit_on_purge(const struct store_purge_counts *counts, void *userdata);

/* The cameras (names) whose reads are counted, in capture order. */
int unit_audit_set_cameras(struct unit_audit *ua, const char *const *names, size_t n);
/* One read by @camera; writes "reads.captured" for every camera when the hour is up. */
void unit_audit_read(struct unit_audit *ua, const char *camera);
/* Writes "reads.captured" for every camera now (shutdown) and restarts the counts. */
int unit_audit_flush_reads(struct unit_audit *ua);
/* A hit on read @read_id in @category, before it is shown. */
int unit_audit_hit(struct unit_audit *ua, const char *read_id, enum policy_category category);

/* "hotlist.load" for each list now in @h (or one for "*", see above), and remembers each list's
 * version for unit_audit_hotlist_updated(). */
int unit_audit_hotlist_loaded(struct unit_audit *ua, struct hotlist *h);
/* A signed version of @list was applied: "hotlist.load" for every list again, then historical hits
 * for the entries it added or changed (up to UNIT_AUDIT_HISTORICAL_MAX). *nhits (may be NULL) gets
 * the number of past reads that matched. */
int unit_audit_hotlist_updated(struct unit_audit *ua, struct store *s, struct hotlist *h,
			       const char *list, uint64_t version, uint64_t *nhits);

/* The officer's actions. */
int unit_audit_sign_in(struct unit_audit *ua, const char *officer, bool accepted,
		       const char *reason);
int unit_audit_sign_out(struct unit_audit *ua, const char *officer);
/* The visual check of the hit on @read_id: @match true when plate and state match the image.
 * -ENOENT (audited, denied) when the store has no such hit. @read_id STORE_ID_UNSTORED (a hit
 * whose read the store could not keep) is recorded with "stored": false and accepted, so the
 * officer can still clear the card; the same holds for unit_audit_dispose(). */
int unit_audit_verify(struct unit_audit *ua, struct store *s, const char *read_id,
		      const char *officer, bool match, char *err, size_t errsz);
/* store_set_disposition() with its "hit.disposition" record made durable inside the store's
 * transaction, before the commit (a power cut leaves at worst a record of a disposition the
 * store lacks, never a disposition without its record); a refusal by the store is audited
 * (denied, with the store's reason) and returns -ALPR_E_REFUSED. */
int unit_audit_dispose(struct unit_audit *ua, struct store *s, const char *read_id,
		       enum store_hit_status status, const char *officer, char *err, size_t errsz);
/* hotlist_add() of @e then "hotlist.officer-entry" and historical hits; a refused entry
 * (category, field) is audited and returns -ALPR_E_REFUSED with one line in @err. */
int unit_audit_officer_entry(struct unit_audit *ua, struct store *s, struct hotlist *h,
			     const struct hotlist_entry *e, const char *officer, uint64_t *nhits,
			     char *err, size_t errsz);
