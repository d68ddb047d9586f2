/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * search.h: purpose-bound search of stored reads, the supervisor's review flags, historical
 * hits and audited policy tightening. The rules are in docs/search.md.
 *
 * Every search, allowed or refused, is one audit record (action "search"): who, in which
 * role, the purpose and case number as given, the parameters verbatim, the number of reads
 * returned and the SHA-256 over their ids. A search runs only with a role that may search, a
 * purpose the profile lists and does not prohibit, and a case number in the profile's format.
 * Results reach the caller only after the audit record is durable: if the log cannot be
 * written, nothing is returned.
 *
 * The search/ module also holds sharing (sharing.h) and the transparency report (report.h):
 * three headers over one library, because the three share the audit vocabulary below and a
 * single header would be three manuals in one file.
 *
 * Ownership: nothing returned points into the store or the log; reads passed to a callback
 * are borrowed for the call. Threads: the functions keep no state; they are as thread-safe as
 * the store and audit handles passed in (both may be shared).
 *
 * Errors: 0 or a negative errno. -ALPR_E_REFUSED: the request was refused and the refusal
 * audited (the one-line reason is in the result's reason). -EINVAL: a malformed argument that
 * is a programmer error (NULL handles). Errors from the store and the log pass through; when
 * the audit record of a refusal cannot be written the audit error is returned instead.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "policy.h"
#include "store.h"

/* ---- the audit vocabulary (docs/report.md lists each action's params) ------------------ */

#define SEARCH_ACTION_SEARCH     "search"         /* a purpose-bound search */
#define SEARCH_ACTION_FLAG       "search.flag"    /* a search flagged for supervisor review */
#define SEARCH_ACTION_REVIEW     "flag.review"    /* a supervisor's decision on a flag */
#define SEARCH_ACTION_HISTORICAL "hit.historical" /* a past read matching a new entry */
#define SEARCH_ACTION_HIST_CHECK "hotlist.historical-check" /* one new entry checked */
#define SEARCH_ACTION_TIGHTEN    "policy.tighten"

/* ---- roles ----------------------------------------------------------------------------- */

enum search_role {
	SEARCH_ROLE_OFFICER = 0,   /* sees their own unit's hits only */
	SEARCH_ROLE_INVESTIGATOR,  /* purpose-bound search of all reads */
	SEARCH_ROLE_SUPERVISOR,    /* approves, reviews flags; no data search */
	SEARCH_ROLE_ADMINISTRATOR, /* configuration; no data search at all */
	SEARCH_ROLE_AUDITOR,       /* reads the audit log only */
	SEARCH_ROLE_COUNT,
};
/* "officer", "investigator", "supervisor", "administrator", "auditor"; "?" out of range. */
const char *search_role_name(enum search_role r);
/* The role named @name, or -EINVAL. */
int search_role_from_name(const char *name);

/* ---- search ---------------------------------------------------------------------------- */

/* Caps: a search returns at most this many reads (a bigger result is refused as too broad:
 * narrow the window or the area), a partial plate is at most STORE_PLATE_MAX characters plus
 * wildcards, and an area's radius at most SEARCH_RADIUS_MAX_M. */
#define SEARCH_RESULTS_MAX  10000
#define SEARCH_PATTERN_MAX  16
#define SEARCH_RADIUS_MAX_M 50000.0
#define SEARCH_JUSTIFY_MAX  200 /* the free-text justification */
#define SEARCH_REASON_MAX   256 /* a refusal's one line */
#define SEARCH_MIN_LITERALS 2   /* a partial plate names at least this many characters */

struct search_query {
	const char *user;          /* required: badge or account id */
	const char *role;          /* required: a search_role name */
	const char *purpose;       /* required: a purpose id of the profile */
	const char *case_number;   /* required: in the profile's case_number_format */
	const char *justification; /* optional free text (flagged when missing or vague) */
	const char *unit;          /* the officer's unit id (role officer only) */
	/* What to find: at least one of plate, partial or area. */
	const char *plate;   /* exact plate (A-Z 0-9), matched against the read and its
			      * OCR candidates */
	const char *partial; /* pattern: A-Z 0-9, '?' one character, '*' any run */
	bool has_from, has_to;
	int64_t from_us, to_us; /* capture-time window [from, to); open ends: all retained */
	bool has_near;
	double lat, lon, radius_m; /* reads with a GPS fix within radius_m metres */
	/* The parameters exactly as the user gave them, for the audit record. NULL: a JSON
	 * object built from the fields above. */
	const char *params;
};

/* Flags raised for supervisor review (bits of search_result.flags; docs/search.md). */
enum search_flag {
	SEARCH_FLAG_REPEAT_PLATE = 1u << 0,  /* same plate by one user, repeatedly */
	SEARCH_FLAG_VAGUE = 1u << 1,         /* justification missing, short or boilerplate */
	SEARCH_FLAG_REPEAT_REASON = 1u << 2, /* one justification reused across cases */
	SEARCH_FLAG_BULK_AREA = 1u << 3,     /* an area search without a plate, a wide one,
						or one with many results */
};
#define SEARCH_FLAG_COUNT 4
/* "repeat-plate", "vague-justification", "repeated-justification", "bulk-area". */
const char *search_flag_name(enum search_flag f);

/* Thresholds of the flag rules. */
#define SEARCH_REPEAT_PLATE_N      3 /* searches of one plate by one user ... */
#define SEARCH_REPEAT_WINDOW_US    (30 * ALPR_USEC_PER_DAY) /* ... within this window */
#define SEARCH_VAGUE_MIN_LEN       20
#define SEARCH_REPEAT_REASON_CASES 3 /* one justification on this many case numbers */
#define SEARCH_BULK_RADIUS_M       1000.0
#define SEARCH_BULK_RESULTS        100

struct search_result {
	uint64_t count;                       /* reads returned */
	uint8_t results_hash[AUDIT_HASH_LEN]; /* SHA-256 over each id and "\n", in order */
	uint64_t audit_seq;                   /* the search's audit record */
	unsigned flags;                       /* enum search_flag bits raised */
	char reason[SEARCH_REASON_MAX];       /* one line when refused */
};

/* Called once per result, after the audit record is written; return non-zero to stop. */
typedef int (*search_result_fn)(const struct store_read *r, const struct store_hit *hit,
				void *userdata);

/*
 * Runs @q over @s under profile @p and audits it in @a. On success (0) calls @fn (may be NULL)
 * for every result, oldest first, and fills @res. A refusal returns -ALPR_E_REFUSED, audited,
 * with the reason in res->reason and no results. Refusals: missing user or role, unknown role
 * or one that may not search, no purpose, an unknown or prohibited purpose, no case number or
 * one not in the profile's format, no plate/partial/area, a malformed plate, pattern, window or
 * area, an officer without a unit, more than SEARCH_RESULTS_MAX results.
 */
int search_run(struct store *s, struct audit *a, const struct policy *p,
	       const struct search_query *q, search_result_fn fn, void *userdata,
	       struct search_result *res);

/* Where search_run_source() finds reads: calls @each for every read captured in [@from_us,
 * @to_us) and still within retention, with its hit or NULL, as store_foreach_in_window()
 * does (the read and hit borrowed for the call; a non-zero return stops the walk and is
 * returned). The station's received reads are such a source. */
typedef int (*search_each_fn)(const struct store_read *r, const struct store_hit *hit,
			      void *userdata);
typedef int (*search_source_fn)(void *source, int64_t from_us, int64_t to_us, search_each_fn each,
				void *userdata);
/* search_run() over another source of reads than a unit's store: the same checks, audit
 * record, flags and results. */
int search_run_source(search_source_fn source_fn, void *source, struct audit *a,
		      const struct policy *p, const struct search_query *q, search_result_fn fn,
		      void *userdata, struct search_result *res);

/* Audits a search refused before it could be expressed as a query (a malformed date or area
 * in a tool's options): @q's fields as far as they parsed, @q->params verbatim, @reason one
 * line. Returns -ALPR_E_REFUSED once audited, or the audit error. */
int search_refuse(struct audit *a, const struct policy *p, const struct search_query *q,
		  const char *reason);

/* Whether @plate matches the partial pattern @pattern ('?' one, '*' any run). */
bool search_pattern_match(const char *pattern, const char *plate);

/* ---- flags and review ------------------------------------------------------------------ */

struct search_flag_info {
	uint64_t flag_seq;   /* the flag's audit record */
	uint64_t search_seq; /* the search it is about */
	int64_t time_us;
	const char *user; /* whose search */
	const char *rule; /* search_flag_name() */
	const char *detail;
	bool reviewed;
};

/* Calls @fn for each flag in the log (open ones only unless @all), oldest first. The strings
 * are borrowed for the call. Reading flags is itself audited (action "flag.list"), which
 * needs role supervisor or auditor; other roles are refused (-ALPR_E_REFUSED, audited). */
int search_flags_foreach(struct audit *a, const struct policy *p, const char *user,
			 const char *role, bool all,
			 int (*fn)(const struct search_flag_info *f, void *userdata),
			 void *userdata);

/* A supervisor's decision on flag @flag_seq: @decision "cleared" or "referred", with a note.
 * Audited (action "flag.review"); another role, an unknown flag or decision is refused. */
int search_flag_review(struct audit *a, const struct policy *p, const char *user, const char *role,
		       uint64_t flag_seq, const char *decision, const char *note, char *reason,
		       size_t reasonsz);

/* ---- historical hits ------------------------------------------------------------------- */

/* A hotlist entry just added, as far as historical hits need it. */
struct search_entry {
	const char *plate; /* normalised A-Z 0-9 */
	const char *state; /* USPS code or "??" */
	enum policy_category category;
	const char *list;      /* the list it was added to */
	const char *record_id; /* NCIC NIC or local id; may be "" */
};

/*
 * Checks every read still within retention against @e (the read's plate or any OCR
 * candidate equal to the entry's plate): each match is a historical hit, audited (action
 * "hit.historical", object_id the read id) and passed to @fn for the investigator, and the
 * check itself is one audit record (action "hotlist.historical-check") with the count and
 * results hash. Reads are not changed: a historical hit does not make a past read a hit or
 * extend its retention. @user/@role: who added the entry. *count (may be NULL) gets the number
 * of historical hits. A refused category is refused (-ALPR_E_REFUSED, audited).
 */
int search_historical_hits(struct store *s, struct audit *a, const struct policy *p,
			   const struct search_entry *e, const char *user, const char *role,
			   search_result_fn fn, void *userdata, uint64_t *count);

/* search_historical_hits() over another source of reads (search_run_source()): the station
 * checks the reads it holds when a version is published. */
int search_historical_hits_source(search_source_fn source_fn, void *source, struct audit *a,
				  const struct policy *p, const struct search_entry *e,
				  const char *user, const char *role, search_result_fn fn,
				  void *userdata, uint64_t *count);

/* ---- policy tightening ----------------------------------------------------------------- */

/*
 * An administrator's change to the profile in force: checks the role (administrator),
 * applies @change through policy_tighten(), writes the override to @override_path and audits
 * it (action "policy.tighten", the change verbatim, object_id the new profile's hash in hex).
 * A refused change (another role, a looser value, a malformed change) is audited too and
 * returns -ALPR_E_REFUSED or -ALPR_E_PARSE with the one line in @err. On success *out is the
 * new profile (the caller frees it).
 */
int search_policy_tighten(struct audit *a, const struct policy *base, const char *user,
			  const char *role, const char *change, const char *override_path,
			  struct policy **out, char *err, size_t errsz);
