/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * search-private.h: helpers shared by search.c, sharing.c and report.c, and what the tests
 * may poke. Not for callers outside search/.
 */
#pragma once

#include "search.h"

/* One audit record with the common fields; outcome denied exactly when @reason is set.
 * Fields that cannot be recorded as given (over their cap, not UTF-8) are replaced by
 * "(unrecordable)"; a missing user or role by "(none)". */
struct search_audit_args {
	const char *user, *role, *action, *params, *purpose, *case_number, *object_id;
	uint64_t result_count;
	const uint8_t *results_hash; /* NULL: zeros */
	const char *reason;          /* NULL: allowed */
};
int search_audit_simple(struct audit *a, const struct policy *p, const struct search_audit_args *x,
			uint64_t *seq_out);

/* Printable UTF-8 (no control characters) of at most @cap bytes; NULL is fine. */
bool search_text_ok(const char *s, size_t cap);
/* A normalised plate: 1 to STORE_PLATE_MAX characters of A-Z 0-9. */
bool search_plate_ok(const char *s);
/* Great-circle distance in metres (haversine, mean Earth radius). */
double search_distance_m(double lat1, double lon1, double lat2, double lon2);
/* SHA-256 over each id followed by "\n", in order: search_result.results_hash. */
void search_ids_hash(const char *const *ids, size_t n, uint8_t out[AUDIT_HASH_LEN]);
