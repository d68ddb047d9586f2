/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The transparency report (report.h; docs/report.md): the records it counts, the figures
 * computed from the log, the HTML and JSON writers, the re-derivation and the scan.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "search-private.h"

#define SUBSYS "report"

/* ---- records ----------------------------------------------------------------------------- */

static int record(struct audit *a, const struct policy *p, const char *user, const char *action,
		  json_t *params, const char *object_id)
{
	char *text = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	int r;

	json_decref(params);
	if (!text) {
		return -EINVAL;
	}
	r = search_audit_simple(a, p,
				&(struct search_audit_args){.user = user,
							    .role = "system",
							    .action = action,
							    .params = text,
							    .object_id = object_id},
				NULL);
	free(text);
	return r;
}

int report_record_reads(struct audit *a, const struct policy *p, const char *camera, uint64_t count)
{
	if (!a || !camera || !*camera) {
		return -EINVAL;
	}
	return record(a, p, "system", REPORT_ACTION_READS,
		      json_pack("{s:s, s:I}", "camera", camera, "count", (json_int_t)count), NULL);
}

int report_record_purge(struct audit *a, const struct policy *p, const struct store_purge_counts *c)
{
	if (!a || !c) {
		return -EINVAL;
	}
	return record(a, p, "system", REPORT_ACTION_PURGE,
		      json_pack("{s:I, s:I, s:I, s:I}", "reads", (json_int_t)c->reads, "crops",
				(json_int_t)c->crops, "hits", (json_int_t)c->hits, "misread_hits",
				(json_int_t)c->misread_hits),
		      NULL);
}

static json_t *per_category(const uint64_t v[POLICY_CAT_COUNT])
{
	json_t *o = json_object();
	for (int c = 0; c < POLICY_CAT_COUNT; c++) {
		if (v[c]) {
			json_object_set_new(o, policy_category_name((enum policy_category)c),
					    json_integer((json_int_t)v[c]));
		}
	}
	return o;
}

int report_record_hotlist_load(struct audit *a, const struct policy *p, const char *list,
			       uint64_t version, const uint64_t loaded[POLICY_CAT_COUNT],
			       const uint64_t refused[POLICY_CAT_COUNT])
{
	if (!a || !list || !loaded || !refused) {
		return -EINVAL;
	}
	return record(a, p, "system", REPORT_ACTION_HOTLIST,
		      json_pack("{s:s, s:I, s:o, s:o}", "list", list, "version",
				(json_int_t)version, "loaded", per_category(loaded), "refused",
				per_category(refused)),
		      NULL);
}

int report_record_hit(struct audit *a, const struct policy *p, const char *read_id,
		      enum policy_category category)
{
	if (!a || !read_id || (unsigned)category >= POLICY_CAT_COUNT) {
		return -EINVAL;
	}
	return record(a, p, "system", REPORT_ACTION_HIT,
		      json_pack("{s:s}", "category", policy_category_name(category)), read_id);
}

int report_record_disposition(struct audit *a, const struct policy *p, const char *read_id,
			      const char *officer, enum store_hit_status status)
{
	if (!a || !read_id || !officer || (unsigned)status >= STORE_HIT_STATUS_COUNT) {
		return -EINVAL;
	}
	return record(a, p, officer, REPORT_ACTION_DISPOSITION,
		      json_pack("{s:s}", "status", store_hit_status_name(status)), read_id);
}
