/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* Tests for the jurisdiction profile's search, sharing and report settings and for
 * tightening (policy.h). The retention basics are in test-common.c. */
#include <string.h>

#include "check.h"
#include "common.h"
#include "policy.h"

static struct policy *load(const char *name)
{
	char err[512];
	struct policy *p = NULL;
	int r = policy_load_named(name, &p, err, sizeof(err));
	CHECK_MSG(r == 0, "%s: %s", name, err);
	return p;
}

/* A profile from JSON text, or NULL with the error in @err. */
static struct policy *load_text(const char *json, char *err, size_t errsz, int *r_out)
{
	struct policy *p = NULL;
	const char *path = check_path("p.json");
	check_write_file(path, json);
	*r_out = policy_load(path, &p, err, errsz);
	return p;
}

#define BASE_FIELDS                                                                                \
	"\"profile\":\"x\",\"source\":\"s\",\"retention\":{\"read\":\"1d\",\"crop\":\"1d\","       \
	"\"hit\":\"1d\",\"misread_hit\":\"1d\",\"gps_track\":\"1d\",\"audit\":\"1y\"},"            \
	"\"refused_categories\":[],\"max_hotlist_age\":\"1d\""

static void test_profiles(void)
{
	static const char *const names[] = {"default", "maine", "minnesota", "new-hampshire",
					    "california"};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(names); i++) {
		struct policy *p = load(names[i]);
		/* The four prohibited purposes are listed and cannot be chosen. */
		const char *core[] = {POLICY_PURPOSE_IMMIGRATION, POLICY_PURPOSE_FIRST_AMEND,
				      POLICY_PURPOSE_PROTECTED, POLICY_PURPOSE_PERSONAL};
		for (size_t k = 0; k < ALPR_ARRAY_SIZE(core); k++) {
			int j = policy_purpose_find(p, core[k]);
			CHECK_MSG(j >= 0, "%s lacks %s", names[i], core[k]);
			CHECK(policy_purpose_prohibited(p, (size_t)j));
		}
		int j = policy_purpose_find(p, "stolen_vehicle");
		CHECK(j >= 0 && !policy_purpose_prohibited(p, (size_t)j));
		CHECK(strlen(policy_purpose_label(p, (size_t)j)) > 5);
		CHECK_STR_EQ(policy_case_number_format(p), "YYYY-NNNNNN");
		CHECK_INT_EQ(policy_report_min_count(p), 5);
		CHECK_INT_EQ(policy_sharing_rule(p, POLICY_RECIPIENT_LOCAL),
			     POLICY_SHARING_AGREEMENT);
		policy_destroy(p);
	}
	/* California: Civ. Code 1798.90.55(b), no out-of-state or federal recipients. */
	struct policy *ca = load("california");
	CHECK_STR_CONTAINS(policy_source(ca), "1798.90.55(b)");
	CHECK_INT_EQ(policy_sharing_rule(ca, POLICY_RECIPIENT_STATE), POLICY_SHARING_AGREEMENT);
	CHECK_INT_EQ(policy_sharing_rule(ca, POLICY_RECIPIENT_OUT_OF_STATE),
		     POLICY_SHARING_FORBIDDEN);
	CHECK_INT_EQ(policy_sharing_rule(ca, POLICY_RECIPIENT_FEDERAL), POLICY_SHARING_FORBIDDEN);
	CHECK_INT_EQ(policy_retention_us(ca, POLICY_CLASS_READ), 60 * ALPR_USEC_PER_DAY);
	CHECK(policy_category_refused(ca, POLICY_CAT_IMMIGRATION_VIOLATOR));
	policy_destroy(ca);
}

static void test_defaults(void)
{
	char err[512];
	int r;
	/* A profile without the new fields: nothing shared, the core purposes prohibited and
	 * nothing else allowed, the default case format and threshold. */
	struct policy *p = load_text("{" BASE_FIELDS "}", err, sizeof(err), &r);
	CHECK_MSG(r == 0, "%s", err);
	CHECK_INT_EQ(policy_purpose_count(p), 4);
	for (size_t i = 0; i < policy_purpose_count(p); i++) {
		CHECK(policy_purpose_prohibited(p, i));
	}
	CHECK(!policy_purpose_prohibited(p, 99));
	CHECK(policy_purpose_id(p, 99) == NULL);
	for (int t = 0; t < POLICY_RECIPIENT_COUNT; t++) {
		CHECK_INT_EQ(policy_sharing_rule(p, (enum policy_recipient)t),
			     POLICY_SHARING_FORBIDDEN);
	}
	CHECK_STR_EQ(policy_case_number_format(p), "YYYY-NNNNNN");
	CHECK_INT_EQ(policy_report_min_count(p), 5);
	policy_destroy(p);
}

static void test_bad_fields(void)
{
	static const struct {
		const char *json;
		const char *err;
	} rows[] = {
		{"{" BASE_FIELDS ",\"search_purposes\":{}}", "search_purposes: an array"},
		{"{" BASE_FIELDS ",\"search_purposes\":[{\"id\":\"Bad Id\",\"label\":\"l\","
		 "\"prohibited\":false}]}",
		 "search_purposes[0].id:"},
		{"{" BASE_FIELDS ",\"search_purposes\":[{\"id\":\"a\",\"label\":\"\","
		 "\"prohibited\":false}]}",
		 "search_purposes[0].label:"},
		{"{" BASE_FIELDS ",\"search_purposes\":[{\"id\":\"a\",\"label\":\"l\"}]}",
		 "search_purposes[0].prohibited:"},
		{"{" BASE_FIELDS ",\"search_purposes\":[{\"id\":\"a\",\"label\":\"l\","
		 "\"prohibited\":false},{\"id\":\"a\",\"label\":\"l\",\"prohibited\":true}]}",
		 "search_purposes[1].id: \"a\" listed twice"},
		{"{" BASE_FIELDS ",\"search_purposes\":[{\"id\":\"personal_use\",\"label\":\"l\","
		 "\"prohibited\":false}]}",
		 "\"personal_use\" is prohibited in every profile"},
		{"{" BASE_FIELDS ",\"case_number_format\":\"\"}", "case_number_format:"},
		{"{" BASE_FIELDS ",\"case_number_format\":\"YYYY-case\"}", "case_number_format:"},
		{"{" BASE_FIELDS ",\"case_number_format\":\"YYYY-Q\"}", "case_number_format:"},
		{"{" BASE_FIELDS ",\"sharing\":{\"federal\":\"allowed\"}}",
		 "sharing.federal: \"agreement\" or \"forbidden\""},
		{"{" BASE_FIELDS ",\"sharing\":{\"martian\":\"forbidden\"}}",
		 "sharing.martian: unknown recipient type"},
		{"{" BASE_FIELDS ",\"report_min_count\":0}", "report_min_count:"},
		{"{" BASE_FIELDS ",\"report_min_count\":\"5\"}", "report_min_count:"},
	};
	char err[512];
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		int r;
		struct policy *p = load_text(rows[i].json, err, sizeof(err), &r);
		CHECK_MSG(r == -ALPR_E_PARSE && p == NULL, "row %zu: %d", i, r);
		CHECK_STR_CONTAINS(err, rows[i].err);
		CHECK_STR_CONTAINS(err, "p.json");
	}
}

static void test_case_number(void)
{
	static const struct {
		const char *fmt, *s;
		bool ok;
	} rows[] = {
		{"YYYY-NNNNNN", "2026-000123", true},
		{"YYYY-NNNNNN", "2026-00012", false},
		{"YYYY-NNNNNN", "2026-0001234", false},
		{"YYYY-NNNNNN", "2026/000123", false},
		{"YYYY-NNNNNN", "", false},
		{"YYYY-NNNNNN", "abcd-000123", false},
		{"AA-XXXX", "PD-7Z9Q", true},
		{"AA-XXXX", "pd-7Z9Q", false},
		{"\\C\\R-NNN", "CR-042", true},
		{"\\C\\R-NNN", "CX-042", false},
	};
	char err[512], json[1024];
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		int r;
		char fmt[64] = "";
		/* JSON-escape the backslashes */
		for (const char *c = rows[i].fmt; *c; c++) {
			size_t n = strlen(fmt);
			if (*c == '\\') {
				fmt[n++] = '\\';
			}
			fmt[n] = *c;
			fmt[n + 1] = 0;
		}
		snprintf(json, sizeof(json), "{" BASE_FIELDS ",\"case_number_format\":\"%s\"}",
			 fmt);
		struct policy *p = load_text(json, err, sizeof(err), &r);
		CHECK_MSG(r == 0, "row %zu: %s", i, err);
		CHECK_MSG(policy_case_number_ok(p, rows[i].s) == rows[i].ok, "row %zu: %s / %s", i,
			  rows[i].fmt, rows[i].s);
		CHECK(!policy_case_number_ok(p, NULL));
		policy_destroy(p);
	}
	CHECK(!policy_case_format_valid("NN\\"));
	CHECK(!policy_case_format_valid("NN NN"));
	CHECK(policy_case_format_valid("#NNN"));
}

static struct policy *tighten(const struct policy *base, const char *change, int expect,
			      const char *msg)
{
	char err[512] = "";
	struct policy *out = NULL;
	int r = policy_tighten(base, change, strlen(change), &out, err, sizeof(err));
	CHECK_MSG(r == expect, "%s: %d (%s)", change, r, err);
	if (msg) {
		CHECK_STR_CONTAINS(err, msg);
	}
	if (expect == 0) {
		CHECK(out != NULL);
		CHECK(policy_at_least_as_strict(out, base));
	} else {
		CHECK(out == NULL);
	}
	return out;
}

static void test_tighten(void)
{
	struct policy *base = load("default");
	struct policy *t;

	/* Stricter values are accepted, one at a time and together. */
	t = tighten(base,
		    "{\"retention\":{\"read\":\"48h\",\"audit\":\"3y\"},"
		    "\"refused_categories\":[\"immigration_violator\",\"gang\"],"
		    "\"prohibit_purposes\":[\"protection_order\"],"
		    "\"sharing\":{\"federal\":\"forbidden\"},\"max_hotlist_age\":\"12h\","
		    "\"reads_memory_only\":true,\"report_min_count\":11}",
		    0, NULL);
	CHECK_INT_EQ(policy_retention_us(t, POLICY_CLASS_READ), 48 * ALPR_USEC_PER_HOUR);
	CHECK_INT_EQ(policy_retention_us(t, POLICY_CLASS_HIT), 365 * ALPR_USEC_PER_DAY);
	CHECK_INT_EQ(policy_retention_us(t, POLICY_CLASS_AUDIT), 3 * 365 * ALPR_USEC_PER_DAY);
	CHECK(policy_category_refused(t, POLICY_CAT_GANG));
	CHECK(policy_purpose_prohibited(t, (size_t)policy_purpose_find(t, "protection_order")));
	CHECK_INT_EQ(policy_sharing_rule(t, POLICY_RECIPIENT_FEDERAL), POLICY_SHARING_FORBIDDEN);
	CHECK_INT_EQ(policy_sharing_rule(t, POLICY_RECIPIENT_STATE), POLICY_SHARING_AGREEMENT);
	CHECK_INT_EQ(policy_max_hotlist_age_us(t), 12 * ALPR_USEC_PER_HOUR);
	CHECK(policy_reads_memory_only(t));
	CHECK_INT_EQ(policy_report_min_count(t), 11);
	CHECK_STR_EQ(policy_name(t), "default");
	CHECK(memcmp(policy_hash(t), policy_hash(base), 32) != 0);
	CHECK(!policy_at_least_as_strict(base, t));

	/* Every loosening is refused, naming the field; nothing is returned. */
	static const struct {
		const char *change, *msg;
	} loose[] = {
		{"{\"retention\":{\"read\":\"96h\"}}",
		 "retention.read: 4d is longer than the profile's 2d"},
		{"{\"retention\":{\"audit\":\"1y\"}}", "retention.audit: 365d is shorter"},
		{"{\"refused_categories\":[\"gang\"]}", "immigration_violator is refused"},
		{"{\"sharing\":{\"federal\":\"agreement\"}}", "sharing.federal"},
		{"{\"max_hotlist_age\":\"48h\"}", "max_hotlist_age: 2d is longer"},
		{"{\"reads_memory_only\":false}", "reads_memory_only"},
		{"{\"report_min_count\":3}", "report_min_count: 3 is below"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(loose); i++) {
		tighten(t, loose[i].change, -ALPR_E_REFUSED, loose[i].msg);
	}
	/* Malformed changes, and settings tightening cannot touch. */
	tighten(base, "[]", -ALPR_E_PARSE, "must be a JSON object");
	tighten(base, "{\"case_number_format\":\"NN\"}", -ALPR_E_PARSE,
		"case_number_format: not a setting");
	tighten(base, "{\"search_purposes\":[]}", -ALPR_E_PARSE, "search_purposes: not a setting");
	tighten(base, "{\"prohibit_purposes\":[\"spying\"]}", -ALPR_E_PARSE,
		"prohibit_purposes[0]");
	tighten(base, "{\"retention\":{\"photos\":\"1d\"}}", -ALPR_E_PARSE,
		"retention.photos: unknown");
	tighten(base, "{\"base\":\"maine\"}", -ALPR_E_PARSE, "another profile");
	tighten(base, "{", -ALPR_E_PARSE, "policy change:");
	/* An unchanged value is not a loosening. */
	policy_destroy(tighten(base, "{\"retention\":{\"read\":\"72h\"}}", 0, NULL));
	policy_destroy(t);
	policy_destroy(base);
}

static void test_override(void)
{
	struct policy *base = load("california"), *t, *again = NULL;
	char err[512];
	const char *path = check_path("override.json");

	t = tighten(base,
		    "{\"retention\":{\"read\":\"30d\"},\"sharing\":{\"state\":\"forbidden\"}}", 0,
		    NULL);
	CHECK_OK(policy_write_override(t, path));
	CHECK_OK(policy_load_override(base, path, &again, err, sizeof(err)));
	CHECK_INT_EQ(policy_retention_us(again, POLICY_CLASS_READ), 30 * ALPR_USEC_PER_DAY);
	CHECK_INT_EQ(policy_sharing_rule(again, POLICY_RECIPIENT_STATE), POLICY_SHARING_FORBIDDEN);
	CHECK(memcmp(policy_hash(again), policy_hash(t), 32) == 0);
	policy_destroy(again);
	again = NULL;

	/* A hand-edited override that loosens is refused at load, naming the file. */
	check_write_file(path, "{\"format\":\"alpr-policy-override/1\",\"base\":\"california\","
			       "\"sharing\":{\"federal\":\"agreement\"}}");
	CHECK_INT_EQ(policy_load_override(base, path, &again, err, sizeof(err)), -ALPR_E_REFUSED);
	CHECK(again == NULL);
	CHECK_STR_CONTAINS(err, "override.json");
	CHECK_STR_CONTAINS(err, "sharing.federal");
	/* Another profile's override is refused too. */
	struct policy *maine = load("maine");
	CHECK_OK(policy_write_override(maine, path));
	CHECK_INT_EQ(policy_load_override(base, path, &again, err, sizeof(err)), -ALPR_E_PARSE);
	CHECK_INT_EQ(policy_load_override(base, check_path("none.json"), &again, err, sizeof(err)),
		     -ENOENT);
	policy_destroy(maine);
	policy_destroy(t);
	policy_destroy(base);
}

static void test_duration_format(void)
{
	char b[POLICY_DURATION_BUFSZ];
	CHECK_STR_EQ(policy_format_duration(72 * ALPR_USEC_PER_HOUR, b, sizeof(b)), "3d");
	CHECK_STR_EQ(policy_format_duration(3 * ALPR_USEC_PER_MIN, b, sizeof(b)), "3m");
	CHECK_STR_EQ(policy_format_duration(90 * ALPR_USEC_PER_SEC, b, sizeof(b)), "90s");
	CHECK_STR_EQ(policy_format_duration(25 * ALPR_USEC_PER_HOUR, b, sizeof(b)), "25h");
}

static const struct check_case cases[] = {
	{"profiles", test_profiles},
	{"defaults", test_defaults},
	{"bad-fields", test_bad_fields},
	{"case-number", test_case_number},
	{"tighten", test_tighten},
	{"override", test_override},
	{"duration-format", test_duration_format},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
