/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * policy.h: the jurisdiction profile.
 *
 * A profile is a JSON file under data/policy/ (one per jurisdiction) saying how long each
 * class of data may be kept, which hotlist categories are refused at every hop (desktop
 * import, station, unit load), and how old a hotlist may be before its alerts are marked
 * stale; the search purposes it allows and prohibits, the case-number format a search must
 * quote, the sharing rule per recipient type and the transparency report's suppression
 * threshold. The format is documented in docs/policy-profiles.md.
 *
 * Tightening: an administrator may make a profile stricter, never looser. policy_tighten()
 * applies a change (a small JSON object) to a loaded profile and refuses any value that is
 * not at least as strict as the profile's; policy_write_override() keeps the result in an
 * override file and policy_load_override() re-applies it (through the same check, so a
 * hand-edited override that loosens anything is refused at load). Auditing each change is
 * the caller's (search.h: search_policy_tighten()); this module does not depend on audit/.
 *
 * Ownership: policy_load() returns a profile the caller owns and frees with
 * policy_destroy(). A loaded profile is immutable, so any number of threads may read it.
 *
 * Errors: 0 or a negative errno; a parse failure is -ALPR_E_PARSE with a one-line message
 * naming the file and field in the caller's error buffer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hotlist categories (ARCHITECTURE.md). The order is part of the on-disk hotlist format:
 * append only. */
enum policy_category {
	POLICY_CAT_STOLEN_VEHICLE = 0,
	POLICY_CAT_STOLEN_PLATE,
	POLICY_CAT_FELONY_VEHICLE,
	POLICY_CAT_WANTED_PERSON,
	POLICY_CAT_MISSING_PERSON,
	POLICY_CAT_AMBER_ALERT,
	POLICY_CAT_PROTECTION_ORDER,
	POLICY_CAT_SEX_OFFENDER,
	POLICY_CAT_GANG,
	POLICY_CAT_SUPERVISED_RELEASE,
	POLICY_CAT_BOLO,
	POLICY_CAT_REGISTRATION,
	POLICY_CAT_LOCAL,
	POLICY_CAT_IMMIGRATION_VIOLATOR,
	POLICY_CAT_COUNT,
};

/* The category's name ("stolen_vehicle"); "?" for an out-of-range value. Static storage. */
const char *policy_category_name(enum policy_category cat);
/* Looks a category up by name (exact, lower case, @len bytes). The category or -EINVAL. */
int policy_category_from_name(const char *name, size_t len);

/* Data classes with a time-to-live counted from capture time. */
enum policy_data_class {
	POLICY_CLASS_READ = 0,    /* a read that matched nothing */
	POLICY_CLASS_CROP,        /* the image of such a read */
	POLICY_CLASS_HIT,         /* a read that matched a hotlist entry, with its images */
	POLICY_CLASS_MISREAD_HIT, /* a hit the officer marked misread or wrong state */
	POLICY_CLASS_GPS_TRACK,   /* the unit's own GPS history */
	POLICY_CLASS_AUDIT,       /* audit records (a minimum, not a maximum) */
	POLICY_CLASS_COUNT,
};

const char *policy_class_name(enum policy_data_class cls);

struct policy;

/* Loads the profile at @path. On a parse failure writes "PATH: field: message" to @err. */
int policy_load(const char *path, struct policy **out, char *err, size_t errsz);
/* Loads data/policy/NAME.json from alpr_datadir(). @name is a plain name (no '/'). */
int policy_load_named(const char *name, struct policy **out, char *err, size_t errsz);
/* Frees @p; NULL is a no-op. */
void policy_destroy(struct policy *p);

/* Borrowed strings, valid for the profile's lifetime. */
const char *policy_name(const struct policy *p);
const char *policy_source(const struct policy *p);

bool policy_category_refused(const struct policy *p, enum policy_category cat);
/* Time-to-live of a data class, in microseconds. */
int64_t policy_retention_us(const struct policy *p, enum policy_data_class cls);
/* True when non-hit reads may be kept only in memory (New Hampshire). */
bool policy_reads_memory_only(const struct policy *p);
/* A hotlist older than this marks its alerts stale. */
int64_t policy_max_hotlist_age_us(const struct policy *p);
/* SHA-256 of the profile file as loaded (32 bytes), for audit records. */
const uint8_t *policy_hash(const struct policy *p);

/* Parses a duration: "90s", "3m", "72h", "21d", "1y" (365 days). 0 or -EINVAL. */
int policy_parse_duration(const char *s, size_t len, int64_t *out_us);
/* Formats a duration in the largest unit that divides it exactly ("72h", "21d", "90s").
 * @buf needs POLICY_DURATION_BUFSZ bytes. Returns @buf. */
#define POLICY_DURATION_BUFSZ 24
char *policy_format_duration(int64_t us, char *buf, size_t bufsz);

/* ---- search purposes ------------------------------------------------------------------- */

/* Caps of the profile's purpose list. */
#define POLICY_PURPOSES_MAX      32
#define POLICY_PURPOSE_ID_MAX    48  /* [a-z0-9_], e.g. "stolen_vehicle_investigation" */
#define POLICY_PURPOSE_LABEL_MAX 128 /* for people */
#define POLICY_CASE_FORMAT_MAX   32  /* the case-number pattern */

/* The purposes every profile prohibits, whether it lists them or not (they are added as
 * prohibited when absent; a profile that lists one as allowed is refused at load). */
#define POLICY_PURPOSE_IMMIGRATION "civil_immigration_enforcement"
#define POLICY_PURPOSE_FIRST_AMEND "first_amendment_activity"
#define POLICY_PURPOSE_PROTECTED   "protected_class_targeting"
#define POLICY_PURPOSE_PERSONAL    "personal_use"

/* The number of purposes in the profile (allowed and prohibited), and each one's fields by
 * index (0 .. count-1; borrowed strings valid for the profile's lifetime; NULL / false out of
 * range). */
size_t policy_purpose_count(const struct policy *p);
const char *policy_purpose_id(const struct policy *p, size_t i);
const char *policy_purpose_label(const struct policy *p, size_t i);
bool policy_purpose_prohibited(const struct policy *p, size_t i);
/* The index of purpose @id (exact match), or -ENOENT. */
int policy_purpose_find(const struct policy *p, const char *id);

/* The case-number pattern ("YYYY-NNNNNN"): N and Y a digit, A a letter A-Z, X a letter or
 * digit, '\' makes the next character literal, anything else is itself. Borrowed. */
const char *policy_case_number_format(const struct policy *p);
/* Whether @case_number matches the profile's pattern exactly (whole string). */
bool policy_case_number_ok(const struct policy *p, const char *case_number);
/* Checks a pattern's syntax (what the loader checks). */
bool policy_case_format_valid(const char *format);

/* ---- sharing --------------------------------------------------------------------------- */

/* Recipient types of a disclosure. The order is part of the audit vocabulary: append only. */
enum policy_recipient {
	POLICY_RECIPIENT_LOCAL = 0,    /* another agency in the same state and county/city */
	POLICY_RECIPIENT_STATE,        /* a state agency, or a local one elsewhere in the state */
	POLICY_RECIPIENT_OUT_OF_STATE, /* any agency of another state */
	POLICY_RECIPIENT_FEDERAL,      /* a federal agency */
	POLICY_RECIPIENT_COUNT,
};
/* "local", "state", "out_of_state", "federal"; "?" out of range. Static storage. */
const char *policy_recipient_name(enum policy_recipient r);
/* The recipient type named @name (@len bytes), or -EINVAL. */
int policy_recipient_from_name(const char *name, size_t len);

/* Nothing leaves the agency without a signed sharing agreement, so there is no "allowed"
 * rule: a recipient type is either open to agreements or closed to everyone. */
enum policy_sharing {
	POLICY_SHARING_FORBIDDEN = 0, /* never, whatever agreement is shown (the default) */
	POLICY_SHARING_AGREEMENT,     /* only under a signed, unexpired sharing agreement */
};
enum policy_sharing policy_sharing_rule(const struct policy *p, enum policy_recipient r);

/* ---- transparency report --------------------------------------------------------------- */

/* Counts in [1, this) are suppressed in the transparency report (default 5). */
uint32_t policy_report_min_count(const struct policy *p);

/* ---- tightening ------------------------------------------------------------------------ */

/*
 * Applies @change (a JSON object of @len bytes; docs/policy-profiles.md, "Tightening") to
 * @base and returns the stricter profile in *out (a new profile the caller frees). Every
 * value must be at least as strict as @base's: a shorter or equal retention (a longer or
 * equal one for "audit", which is a minimum), more refused categories, more prohibited
 * purposes, a sharing rule no more open, an equal or shorter max_hotlist_age, memory-only
 * reads never switched off, an equal or higher report_min_count. A looser value is
 * -ALPR_E_REFUSED, a malformed change -ALPR_E_PARSE; both leave a one-line message naming
 * the field in @err and *out untouched. The result keeps @base's name and source; its
 * policy_hash() is the SHA-256 of its canonical JSON form (policy_write_override's bytes).
 */
int policy_tighten(const struct policy *base, const char *change, size_t len, struct policy **out,
		   char *err, size_t errsz);
/* Writes @p's tightenable settings to @path as a change object (atomically, mode 0644),
 * which policy_load_override() re-applies to a base profile. 0 or -errno. */
int policy_write_override(const struct policy *p, const char *path);
/* Loads the override at @path (policy_write_override's format) and applies it to @base
 * through policy_tighten(). -ENOENT when there is no override. */
int policy_load_override(const struct policy *base, const char *path, struct policy **out,
			 char *err, size_t errsz);
/* Whether @p is at least as strict as @base in every setting policy_tighten() checks. */
bool policy_at_least_as_strict(const struct policy *p, const struct policy *base);
