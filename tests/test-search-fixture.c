/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* The shared fixture of the search and report tests (test-search-fixture.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "test-search-fixture.h"

const char *const fixture_forbidden[] = {
	"ABC1234",  "ABC1284",  "XYZ7890",    "7TRK220",    "LMN4567",
	"QRS2468",  "unit42",   "front-left", "rear-right", "det.ortiz",
	"sgt.hale", "ofc.bell", "44.31",      "69.77",      NULL,
};

static void on_purge(const struct store_purge_counts *counts, void *userdata)
{
	struct fixture *f = userdata;
	CHECK_OK(report_record_purge(f->audit, f->policy, counts));
}

void fixture_open(struct fixture *f, const char *policy_name, bool on_purge_audit)
{
	char err[512];
	memset(f, 0, sizeof(*f));
	alpr_clock_init_manual(&f->clock, FIX_T0);
	int r = policy_name[0] == '/'
			? policy_load(policy_name, &f->policy, err, sizeof(err))
			: policy_load_named(policy_name, &f->policy, err, sizeof(err));
	CHECK_MSG(r == 0, "%s", err);
	/* a second fixture in one case gets its own folders */
	static unsigned serial;
	serial++;
	snprintf(f->store_dir, sizeof(f->store_dir), "%s/store%u", check_tmpdir(), serial);
	snprintf(f->audit_dir, sizeof(f->audit_dir), "%s/audit%u", check_tmpdir(), serial);
	struct audit_open_opts ao = {
		.device_id = FIX_UNIT,
		.clock = &f->clock,
		.time_source = AUDIT_TIME_MANUAL,
	};
	CHECK_OK(audit_open(f->audit_dir, &ao, &f->audit));
	struct store_options so = {
		.unit_id = FIX_UNIT,
		.policy = f->policy,
		.clock = &f->clock,
		.map_size = 64 << 20,
		.on_purge = on_purge_audit ? on_purge : NULL,
		.userdata = f,
	};
	CHECK_OK(store_open(f->store_dir, &so, &f->store));
}

void fixture_close(struct fixture *f)
{
	store_close(f->store);
	audit_close(f->audit);
	policy_destroy(f->policy);
	f->store = NULL;
	f->audit = NULL;
	f->policy = NULL;
}

size_t fixture_read(struct fixture *f, const char *plate, int64_t dt_us, double dlat, double dlon,
		    int cat, const char *camera)
{
	struct store_read r;
	struct store_hit h;
	struct store_put_result res;

	memset(&r, 0, sizeof(r));
	r.captured_at = FIX_T0 + dt_us;
	r.clock_source = STORE_CLOCK_GPS;
	alpr_strlcpy(r.camera, camera, sizeof(r.camera));
	alpr_strlcpy(r.plate, plate, sizeof(r.plate));
	r.confidence = 0.9f;
	alpr_strlcpy(r.candidates[0].plate, plate, sizeof(r.candidates[0].plate));
	r.candidates[0].confidence = 0.9f;
	r.ncandidates = 1;
	alpr_strlcpy(r.state, "ME", sizeof(r.state));
	r.state_confidence = 0.8f;
	r.box = (struct store_box){10, 10, 100, 30};
	if (!isnan(dlat)) {
		r.gps = (struct store_gps){STORE_FIX_3D, FIX_LAT + dlat, FIX_LON + dlon, 10, 90,
					   200};
	}
	r.frames_voted = 5;
	if (cat >= 0) {
		memset(&h, 0, sizeof(h));
		alpr_strlcpy(h.list, "state-stolen", sizeof(h.list));
		h.list_version = 3;
		alpr_strlcpy(h.plate, plate, sizeof(h.plate));
		alpr_strlcpy(h.state, "ME", sizeof(h.state));
		h.category = (enum policy_category)cat;
		h.match = STORE_MATCH_EXACT;
	}
	CHECK_OK(store_put_read(f->store, &r, cat >= 0 ? &h : NULL, &res));
	CHECK(f->nids < ALPR_ARRAY_SIZE(f->ids));
	alpr_strlcpy(f->ids[f->nids], res.id, sizeof(f->ids[0]));
	return f->nids++;
}

void fixture_fill(struct fixture *f)
{
	const int64_t H = ALPR_USEC_PER_HOUR;
	/* about 111 m per 0.001 degree of latitude */
	fixture_read(f, "ABC1234", 1 * H, 0, 0, -1, "front-left");
	fixture_read(f, "XYZ7890", 2 * H, 0.001, 0, -1, "front-left");
	fixture_read(f, "ABC1284", 3 * H, 0.05, 0, -1, "rear-right");
	fixture_read(f, "7TRK220", 4 * H, NAN, 0, -1, "rear-right");
	fixture_read(f, "LMN4567", 5 * H, 0.002, 0, POLICY_CAT_STOLEN_VEHICLE, "front-left");
	fixture_read(f, "ABC1234", 20 * H, 0.0005, 0.0005, -1, "front-left");
	fixture_read(f, "QRS2468", 30 * H, 0.2, 0.2, POLICY_CAT_WANTED_PERSON, "rear-right");
	fixture_read(f, "XYZ7890", 40 * H, 0, 0, -1, "rear-right");
	alpr_clock_set(&f->clock, FIX_T0 + 48 * H);
}
