/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * policy.h: the jurisdiction profile.
 *
 * A profile is a JSON file under data/policy/ (one per jurisdiction) saying how long each
 * class of data may be kept, which hotlist categories are refused at every hop (desktop
 * import, station, unit load), and how old a hotlist may be before its alerts are marked
 * stale. The format is documented in docs/policy-profiles.md.
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
