/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * report.h: the transparency report, computed from the audit log, and the audit records it
 * counts. docs/report.md defines each record's params and each figure of the report.
 *
 * The report never contains plates, names or locations: it is made of counts, settings and
 * one hash. Counts from 1 to the profile's report_min_count minus one are suppressed
 * (printed "<N", null in JSON with "suppressed": true) so that a small count cannot point at
 * one vehicle or one person.
 *
 * Generating a report appends one audit record (action "report") with the report's SHA-256
 * and the store snapshot it used; report_rederive() recomputes the report from the log alone
 * up to that record and says whether the two agree.
 *
 * Ownership: nothing kept. Threads: as the audit and store handles passed in.
 * Errors: 0 or a negative errno; one line in @err where there is one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "policy.h"
#include "store.h"

/* ---- the records the report counts (docs/report.md) ------------------------------------ */

#define REPORT_ACTION_READS       "reads.captured"
#define REPORT_ACTION_PURGE       "store.purge"
#define REPORT_ACTION_HOTLIST     "hotlist.load"
#define REPORT_ACTION_HIT         "hit"
#define REPORT_ACTION_DISPOSITION "hit.disposition"
#define REPORT_ACTION_REPORT      "report"

/* @count reads captured by @camera (a camera name, not a place) since the last such record:
 * the runtime writes one per camera every hour and at shutdown. User "system". */
int report_record_reads(struct audit *a, const struct policy *p, const char *camera,
			uint64_t count);
/* A purge's counts (store_options.on_purge calls this): rows deleted per class. */
int report_record_purge(struct audit *a, const struct policy *p,
			const struct store_purge_counts *counts);
/* A hotlist version loaded: entries per category loaded and refused (POLICY_CAT_COUNT
 * each). The list name is recorded; entries are not. */
int report_record_hotlist_load(struct audit *a, const struct policy *p, const char *list,
			       uint64_t version, const uint64_t loaded[POLICY_CAT_COUNT],
			       const uint64_t refused[POLICY_CAT_COUNT]);
/* A hit on read @read_id, of an entry in @category. */
int report_record_hit(struct audit *a, const struct policy *p, const char *read_id,
		      enum policy_category category);
/* An officer's disposition of the hit on @read_id. */
int report_record_disposition(struct audit *a, const struct policy *p, const char *read_id,
			      const char *officer, enum store_hit_status status);

/* ---- the report ------------------------------------------------------------------------ */

struct report_options {
	int64_t from_us, to_us;      /* the period [from, to): audit record times */
	const struct policy *policy; /* the profile in force; required */
	struct store *store;         /* for the reads held at the end; NULL: not reported */
	const char *html_path;       /* NULL: no HTML */
	const char *json_path;       /* required */
	/* The generation time printed in the report; 0: the real clock. Tests fix it. */
	int64_t now_us;
	/* Append the "report" audit record (and sign a checkpoint first, so the report can name
	 * the checkpoint covering everything it counts). False for a read-only log: the report
	 * then names the newest existing checkpoint and cannot be re-derived by record. */
	bool record;
};

/*
 * Computes the report over the audit log @a (records up to the newest checkpoint) for the
 * period, writes JSON (and HTML), scans both with report_scan() (a failing scan writes
 * nothing and returns -ALPR_E_REFUSED), and appends the "report" record when opts->record.
 * -ENODATA when the log has no checkpoint to anchor the report on.
 */
int report_generate(struct audit *a, const struct report_options *opts, char *err, size_t errsz);

/*
 * Re-derives the report at @json_path from the log alone: finds its "report" record (by the
 * file's SHA-256), recomputes every figure from the records it covered, with the profile
 * @p (whose hash must be the one recorded) and the store snapshot recorded, and compares.
 * 0 when they agree; -ALPR_E_CORRUPT when they do not, with the first differing field in
 * @err; -ENOENT when no record names the report.
 */
int report_rederive(struct audit *a, const struct policy *p, const char *json_path, char *err,
		    size_t errsz);

/*
 * Scans report text for what must never be in it: a token shaped like a plate (a run of 5 to
 * 8 capital letters and digits with at least one of each), a coordinate (a number with 4 or
 * more decimals), or any of @forbidden (NULL-terminated list: the fixture's plates, names,
 * places; may be NULL). True when clean; otherwise false with what was found in @why.
 */
bool report_scan(const char *text, size_t len, const char *const *forbidden, char *why,
		 size_t whysz);
