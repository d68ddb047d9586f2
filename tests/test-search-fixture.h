/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * test-search-fixture.h: a unit's store and audit log with a manual clock and a handful of
 * reads, shared by test-search.c and test-report.c. Every plate, camera and place used here
 * is listed in fixture_forbidden, so a report test can prove none of them leaks.
 */
#pragma once

#include "audit.h"
#include "policy.h"
#include "report.h"
#include "search.h"
#include "store.h"

#define FIX_T0   (INT64_C(1772323200) * ALPR_USEC_PER_SEC) /* 2026-03-01T00:00:00Z */
#define FIX_UNIT "unit42"
#define FIX_LAT  44.3106
#define FIX_LON  (-69.7795)

struct fixture {
	struct alpr_clock clock;
	struct policy *policy;
	struct store *store;
	struct audit *audit;
	char store_dir[512], audit_dir[512];
	/* ids of the reads put by fixture_fill(), in order */
	char ids[16][STORE_ID_MAX + 1];
	size_t nids;
};

/* Plates, cameras and people of the fixture: none may appear in a report. */
extern const char *const fixture_forbidden[];

/* Opens a fresh store and log under the case's tmpdir with profile @policy_name (a name, or
 * an absolute path), the clock
 * at FIX_T0. @on_purge_audit: the store's on_purge writes report_record_purge(). */
void fixture_open(struct fixture *f, const char *policy_name, bool on_purge_audit);
void fixture_close(struct fixture *f);
/* Puts one read: @plate at FIX_T0 + @dt_us, @dlat/@dlon degrees from the centre (NaN: no
 * fix), with a hit in @cat when @cat >= 0. Returns its index in f->ids. */
size_t fixture_read(struct fixture *f, const char *plate, int64_t dt_us, double dlat, double dlon,
		    int cat, const char *camera);
/* The standard set: eight reads over two days, two of them hits. */
void fixture_fill(struct fixture *f);
