/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * hotlist.h: the hotlist engine. Entries live in an LMDB environment (one folder); several
 * named lists share it, each with a priority, an alert level and a version.
 *
 * Matching (hotlist_match) forgives what OCR confuses, at a bounded number of key lookups per
 * candidate whatever the list size:
 *   exact       the plate as read;
 *   equivalent  look-alike substitutions within the classes 0/O/D/Q, 1/I, 2/Z, 5/S, 8/B, 6/G
 *               (at most 1 by default, up to 2), one lookup of the look-alike index;
 *   edit        one character missing from or added to the read, one lookup per deleted
 *               position plus one lookup of the deletion index.
 * A match whose state differs from the read's is returned and flagged, never hidden.
 *
 * Versions: every change (import, add, remove, delta) makes a new version of the list it
 * touches. A version's content digest is defined in docs/hotlist-format.md; a version can be
 * signed (Ed25519) and verified, exported as CSV, and diffed against an older one; a signed
 * delta applies atomically only if its signature holds and its base is the current version.
 *
 * Ownership and threads: struct hotlist is one LMDB environment; open it once per process
 * and path (LMDB's rule). Matching and lookups may run from any number of threads at once
 * (each call uses its own short read transaction). Writes (import, add, remove, apply) are
 * serialised by LMDB; a write never blocks readers. Returned strings are owned by the
 * struct they sit in. No function keeps a pointer to caller memory after it returns.
 *
 * Errors: 0 or a negative errno. -ENOENT (no such list, entry or version), -EINVAL (bad
 * argument), -ENOSPC (the map is full), -ALPR_E_PARSE (bad input; a one-line message in the
 * report or error buffer), -ALPR_E_SIGNATURE, -ALPR_E_BASE, -ALPR_E_REFUSED, -ALPR_E_CORRUPT.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "policy.h"

/* Field caps. A field longer than its cap is a validation error, never truncated. */
#define HOTLIST_PLATE_MAX     8  /* NCIC: 1 to 8 characters A-Z 0-9 */
#define HOTLIST_PLATE_RAW_MAX 31 /* as printed, before normalisation */
#define HOTLIST_LIST_NAME_MAX 31 /* [a-z0-9_-], first a letter or digit */
#define HOTLIST_REASON_MAX    200
#define HOTLIST_SHORT_MAX     31 /* make, model, colour, style, plate type, ids */
#define HOTLIST_VIN_MAX       17
#define HOTLIST_AGENCY_MAX    9 /* NCIC ORI */

enum hotlist_source {
	HOTLIST_SOURCE_LOCAL = 0,
	HOTLIST_SOURCE_NCIC,
	HOTLIST_SOURCE_STATE,
	HOTLIST_SOURCE_OFFICER,
	HOTLIST_SOURCE_COUNT,
};
const char *hotlist_source_name(enum hotlist_source s);
int hotlist_source_from_name(const char *name, size_t len);

/* One hotlist entry. Plain data: copy it freely. Empty string = not given; a time of 0 =
 * not given. Its identity within a list is (plate, state, source_record_id). */
struct hotlist_entry {
	char list[HOTLIST_LIST_NAME_MAX + 1];
	char plate[HOTLIST_PLATE_MAX + 1]; /* normalised */
	char plate_raw[HOTLIST_PLATE_RAW_MAX + 1];
	char state[3];                          /* USPS or province code, or "??" */
	char plate_type[HOTLIST_SHORT_MAX + 1]; /* NCIC LIT, e.g. "PC" */
	int plate_year;                         /* NCIC LIY; 0 = not given */
	enum policy_category category;
	char reason[HOTLIST_REASON_MAX + 1];
	char make[HOTLIST_SHORT_MAX + 1];
	char model[HOTLIST_SHORT_MAX + 1];
	int year; /* vehicle year; 0 = not given */
	char color[HOTLIST_SHORT_MAX + 1];
	char style[HOTLIST_SHORT_MAX + 1];
	char vin[HOTLIST_VIN_MAX + 1];
	enum hotlist_source source;
	char source_record_id[HOTLIST_SHORT_MAX + 1]; /* NCIC NIC */
	char agency[HOTLIST_AGENCY_MAX + 1];          /* NCIC ORI */
	char case_number[HOTLIST_SHORT_MAX + 1];      /* NCIC OCA */
	int64_t entered_at;                           /* UTC microseconds */
	int64_t effective_at;
	int64_t expires_at;
	char entered_by[HOTLIST_SHORT_MAX + 1];
	bool covert;
};

/* ---- validation helpers (no database needed) ------------------------------------------- */

/* NCIC normalisation: upper case, spaces and symbols dropped, 1 to 8 of A-Z 0-9. Writes
 * HOTLIST_PLATE_MAX+1 bytes to @out. 0, or -EINVAL (empty, too long, or a character that is
 * neither ASCII alphanumeric nor a space or symbol, such as a non-ASCII letter). */
int hotlist_normalize_plate(const char *raw, size_t len, char *out);
/* True for a USPS state or territory code, a Canadian province code, or "??". Upper case. */
bool hotlist_state_valid(const char *state);
/* True when @name is a valid list name. */
bool hotlist_list_name_valid(const char *name);

/* ---- opening --------------------------------------------------------------------------- */

struct hotlist;

struct hotlist_options {
	const struct policy *policy;    /* refused categories; required, borrowed for the
					   hotlist's lifetime */
	const struct alpr_clock *clock; /* NULL: real time; borrowed */
	size_t map_size;                /* LMDB map size in bytes; 0: the default (64 GiB,
					   sparse) */
	bool read_only;                 /* open an existing database for reading only */
};

/* Opens (creating when needed and not read-only) the hotlist database in folder @dir.
 * Runs mdb_reader_check() to clear stale readers left by a crash. */
int hotlist_open(const char *dir, const struct hotlist_options *opts, struct hotlist **out);
/* Closes; NULL is a no-op. No other thread may be using @h. */
void hotlist_close(struct hotlist *h);

/* ---- lists ----------------------------------------------------------------------------- */

struct hotlist_list_info {
	char name[HOTLIST_LIST_NAME_MAX + 1];
	int priority;    /* higher wins when one read matches several lists */
	int alert_level; /* 0 silent (log only), 1 notify, 2 alarm */
	uint64_t version;
	int64_t generated_at; /* when the version was made (UTC microseconds) */
	uint64_t entry_count;
	uint8_t digest[32]; /* content digest of this version (docs/hotlist-format.md) */
};

/* Creates list @name, or updates its priority and alert level (a new version). */
int hotlist_list_set(struct hotlist *h, const char *name, int priority, int alert_level);
int hotlist_list_get(struct hotlist *h, const char *name, struct hotlist_list_info *out);
/* Fills up to @cap lists in name order; returns how many lists exist (may exceed @cap). */
int hotlist_lists(struct hotlist *h, struct hotlist_list_info *out, size_t cap);

/* ---- import ---------------------------------------------------------------------------- */

enum hotlist_import_mode {
	HOTLIST_IMPORT_REPLACE = 0, /* the file is the whole list: entries not in it are removed */
	HOTLIST_IMPORT_MERGE,       /* add and update only */
};

struct hotlist_import_options {
	const char *list; /* target list; created with priority 0, alert 2 if missing */
	enum hotlist_import_mode mode;
	bool skip_invalid;                  /* import the valid rows and report the rest */
	enum hotlist_source default_source; /* for rows without a source column */
	/* Called every ~100,000 rows with the bytes parsed so far (for a progress bar).
	 * May be NULL. */
	void (*progress)(uint64_t done_bytes, uint64_t total_bytes, void *userdata);
	void *userdata;
	/* Each rejected row is reported here as one line "FILE:LINE: field: message".
	 * May be NULL (then they are counted only). */
	void (*report)(const char *line, void *userdata);
};

struct hotlist_import_result {
	uint64_t rows; /* data rows read */
	uint64_t added;
	uint64_t updated;
	uint64_t unchanged;
	uint64_t removed; /* REPLACE only */
	uint64_t refused; /* in a category the policy refuses: counted, never stored */
	uint64_t refused_by_category[POLICY_CAT_COUNT]; /* the same, per category (report) */
	uint64_t rejected; /* invalid rows (with skip_invalid), or 1+ when the import failed */
	uint64_t version;  /* the list's version after the import */
	char error[512];   /* the first error, "FILE:LINE: field: message", when failed */
};

/*
 * Imports the CSV file at @path: a header row naming columns by ARCHITECTURE names or NCIC
 * codes, delimiter , ; | or tab (detected from the header), UTF-8 with or without BOM, CRLF
 * or LF, RFC 4180 quoting. One LMDB transaction: on any failure nothing changes. Without
 * skip_invalid, the first invalid row fails the import (-ALPR_E_PARSE, result->error set).
 */
int hotlist_import_csv(struct hotlist *h, const char *path,
		       const struct hotlist_import_options *opts,
		       struct hotlist_import_result *result);

/* ---- single entries -------------------------------------------------------------------- */

/* Adds or replaces one entry (validated as an imported row; a refused category is
 * -ALPR_E_REFUSED). Makes a new version of the entry's list; *version gets it (may be NULL).
 * @err gets a one-line message on -ALPR_E_PARSE. */
int hotlist_add(struct hotlist *h, const struct hotlist_entry *e, uint64_t *version, char *err,
		size_t errsz);
/* Removes entries of @list with @plate (normalised here) and, when @state is not NULL, that
 * state. -ENOENT when nothing matched. */
int hotlist_remove(struct hotlist *h, const char *list, const char *plate, const char *state,
		   uint64_t *version);
/* Entries whose normalised plate equals @plate, in any list (expired ones included). Fills
 * up to @cap; returns how many exist. */
int hotlist_lookup(struct hotlist *h, const char *plate, struct hotlist_entry *out, size_t cap);

/* Calls @fn for every entry whose plate starts with @prefix (normalised; "" for all) and,
 * if @list is not NULL, in that list. @fn returns 0 to go on or non-zero to stop, which is
 * then returned. Runs inside one read transaction: keep @fn short. */
int hotlist_foreach(struct hotlist *h, const char *list, const char *prefix,
		    int (*fn)(const struct hotlist_entry *e, void *userdata), void *userdata);

/* ---- matching -------------------------------------------------------------------------- */

#define HOTLIST_MATCH_MAX      32 /* matches returned for one read, at most */
#define HOTLIST_CANDIDATES_MAX 32

enum hotlist_match_kind {
	HOTLIST_MATCH_EXACT = 0,
	HOTLIST_MATCH_EQUIVALENT, /* look-alike substitutions */
	HOTLIST_MATCH_EDIT,       /* one character missing from or added to the read */
};
const char *hotlist_match_kind_name(enum hotlist_match_kind k);

struct hotlist_candidate {
	const char *plate; /* as read; normalised by the matcher */
	float confidence;  /* 0..1 */
};

struct hotlist_match_options {
	int max_substitutions; /* look-alike substitutions allowed: 0, 1 (default) or 2 */
	bool no_edit;          /* disable one-character-missing/extra matching */
	/* Look-alike and edit matching apply to the first this many candidates (the OCR's
	 * best); later candidates match only exactly. 0 means the default, 3. Against a list
	 * of millions, fuzzy matching of every one of ten candidates finds 20 or more
	 * unrelated plates for a typical read (docs/benchmarks.md): noise for the officer. */
	int fuzzy_candidates;
};

struct hotlist_match {
	struct hotlist_entry entry;
	struct hotlist_list_info list; /* the list it came from */
	enum hotlist_match_kind kind;
	int candidate; /* index of the candidate that matched */
	char read_plate[HOTLIST_PLATE_MAX + 1];
	/* EQUIVALENT: positions (0-based, in the entry's plate) that differ; EDIT: the one
	 * position missing from the read (entry index) or extra in it (read index). */
	int positions[2];
	int npositions;
	bool edit_missing;      /* EDIT: the read lacks the entry's character at positions[0] */
	bool state_mismatch;    /* the read's state is known and differs from the entry's */
	bool state_unconfirmed; /* the read had no state, or the entry's state is "??" */
	float score;            /* ranking: kind, candidate confidence, list priority */
};

/*
 * Matches a read's candidates (normalised here; invalid ones skipped) against every list:
 * every candidate exactly, the first fuzzy_candidates also by look-alike and edit.
 * @state is the read's state guess or NULL. Entries outside their effective/expiry window
 * (by the hotlist's clock) never match. Fills up to @cap matches, best first, one per entry
 * (the entry's best match); returns the number filled, or a negative errno. @opts may be NULL.
 */
int hotlist_match(struct hotlist *h, const struct hotlist_candidate *cands, size_t ncands,
		  const char *state, const struct hotlist_match_options *opts,
		  struct hotlist_match *out, size_t cap);

/* ---- versions, export, diff ------------------------------------------------------------ */

/* Versions of @list kept for export and diff: from *oldest to *current. */
int hotlist_versions(struct hotlist *h, const char *list, uint64_t *oldest, uint64_t *current);
/* Writes version @version (0: current) of @list as CSV with ARCHITECTURE column names,
 * sorted by plate, state and record id (re-importable). -ENOENT if the version is no longer
 * kept. */
int hotlist_export_csv(struct hotlist *h, const char *list, uint64_t version, FILE *out);

enum hotlist_change_op {
	HOTLIST_CHANGE_ADD = 0,
	HOTLIST_CHANGE_REMOVE,
	HOTLIST_CHANGE_UPDATE,
};

/* Calls @fn for each difference between versions @from and @to (from < to, or from > to)
 * of @list in key order: ADD with the new entry, REMOVE with the old, UPDATE with both. */
int hotlist_diff(struct hotlist *h, const char *list, uint64_t from, uint64_t to,
		 int (*fn)(enum hotlist_change_op op, const struct hotlist_entry *old_e,
			   const struct hotlist_entry *new_e, void *userdata),
		 void *userdata);

/* ---- signing and signed deltas --------------------------------------------------------- */

/* Creates an Ed25519 key pair: the private key as PEM at @priv_path (mode 0600) and the
 * public key as PEM at @pub_path. Refuses to overwrite (-EEXIST). */
int hotlist_keygen(const char *priv_path, const char *pub_path);

/* Signs version @version (0: current) of @list: writes a signature file (the manifest of
 * docs/hotlist-format.md and its signature) to @out_path. */
int hotlist_sign(struct hotlist *h, const char *list, uint64_t version, const char *priv_path,
		 const char *out_path);
/* Verifies the signature file at @sig_path with the public key at @pub_path against the
 * database: the manifest's list and version must be kept and its digest must be that
 * version's content, recomputed from the entries. 0, -ALPR_E_SIGNATURE, -ENOENT. @err gets
 * a one-line reason. */
int hotlist_verify(struct hotlist *h, const char *sig_path, const char *pub_path, char *err,
		   size_t errsz);

/* Writes a signed delta taking @list from version @from to version @to (docs/hotlist-format.md). */
int hotlist_delta_write(struct hotlist *h, const char *list, uint64_t from, uint64_t to,
			const char *priv_path, const char *out_path);
/* Applies the signed delta at @path atomically: only if its signature verifies with the
 * public key at @pub_path, its base version and digest are the list's current ones, every
 * change validates, and the resulting digest equals the delta's target digest. Otherwise
 * nothing changes (-ALPR_E_SIGNATURE, -ALPR_E_BASE, -ALPR_E_PARSE, -ALPR_E_REFUSED). */
int hotlist_delta_apply(struct hotlist *h, const char *path, const char *pub_path,
			uint64_t *new_version, char *err, size_t errsz);

/* ---- maintenance ----------------------------------------------------------------------- */

/* Small changes (signed deltas, single entries) go to a small overlay so that they apply in
 * well under a second; the overlay is folded into the main table when it grows past a bound,
 * before a bulk import, or here (a unit does it when docked or idle: it rewrites the pages
 * the changes touched, about 200 MB for 50,000 changes over 5 million entries). *moved gets
 * the number of records folded (may be NULL). -EROFS on a read-only database. */
int hotlist_compact(struct hotlist *h, uint64_t *moved);

/* ---- statistics ------------------------------------------------------------------------ */

struct hotlist_stats {
	uint64_t entries;
	uint64_t lists;
	uint64_t by_category[POLICY_CAT_COUNT];
	uint64_t expired;  /* past expires_at now */
	uint64_t not_yet;  /* before effective_at now */
	uint64_t db_bytes; /* pages in use times page size */
	uint64_t map_bytes;
};
int hotlist_stats(struct hotlist *h, struct hotlist_stats *out);
