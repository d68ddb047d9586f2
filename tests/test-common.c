/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* common/: time parsing (every date in a hotlist goes through it), strict integers,
 * hex, atomic files, the injectable clock, and the policy profiles that ship in data/. */
#include <sys/stat.h>

#include "check.h"
#include "common.h"
#include "policy.h"

static void test_time_parse(void)
{
	static const struct {
		const char *s;
		int ok;
		int64_t us;
	} rows[] = {
		{"1970-01-01", 0, 0},
		{"2026-11-29", 0, INT64_C(1795910400) * 1000000},
		{"2026-11-29T06:48:51Z", 0,
		 (INT64_C(1795910400) + 6 * 3600 + 48 * 60 + 51) * 1000000},
		{"2026-11-29 06:48:51", 0,
		 (INT64_C(1795910400) + 6 * 3600 + 48 * 60 + 51) * 1000000},
		{"2026-11-29T06:48", 0, (INT64_C(1795910400) + 6 * 3600 + 48 * 60) * 1000000},
		{"2026-11-29T08:48:51+02:00", 0,
		 (INT64_C(1795910400) + 6 * 3600 + 48 * 60 + 51) * 1000000},
		{"2026-11-29T01:48:51-0500", 0,
		 (INT64_C(1795910400) + 6 * 3600 + 48 * 60 + 51) * 1000000},
		{"2026-11-29T06:48:51.250Z", 0,
		 (INT64_C(1795910400) + 6 * 3600 + 48 * 60 + 51) * 1000000 + 250000},
		{"2024-02-29", 0, INT64_C(1709164800) * 1000000},
		{"2025-02-29", -EINVAL, 0}, /* not a leap year */
		{"2026-13-01", -EINVAL, 0},
		{"2026-11-31", -EINVAL, 0},
		{"2026-11-29T24:00:00Z", -EINVAL, 0},
		{"2026-11-29T06:48:51Q", -EINVAL, 0},
		{"2026-11-29T", -EINVAL, 0},
		{"26-11-29", -EINVAL, 0},
		{"2026/11/29", -EINVAL, 0},
		{"", -EINVAL, 0},
		{"2026-11-29x", -EINVAL, 0},
		{"1969-12-31", -EINVAL, 0},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		int64_t us = -1;
		int r = alpr_time_parse(rows[i].s, strlen(rows[i].s), &us);
		CHECK_MSG(r == rows[i].ok, "'%s': got %d, want %d", rows[i].s, r, rows[i].ok);
		if (r == 0) {
			CHECK_MSG(us == rows[i].us, "'%s': got %" PRId64 ", want %" PRId64,
				  rows[i].s, us, rows[i].us);
		}
	}
	char buf[ALPR_TIME_BUFSZ];
	CHECK_STR_EQ(alpr_time_format(INT64_C(1795910400) * 1000000 + 5, buf, sizeof(buf)),
		     "2026-11-29T00:00:00Z");
}

static void test_parse_int(void)
{
	int64_t v;
	CHECK_OK(alpr_parse_int64("2026", 4, 0, 9999, &v));
	CHECK_INT_EQ(v, 2026);
	CHECK_OK(alpr_parse_int64("-5", 2, -10, 10, &v));
	CHECK_INT_EQ(v, -5);
	CHECK_INT_EQ(alpr_parse_int64("12a", 3, 0, 999, &v), -EINVAL);
	CHECK_INT_EQ(alpr_parse_int64(" 12", 3, 0, 999, &v), -EINVAL);
	CHECK_INT_EQ(alpr_parse_int64("", 0, 0, 999, &v), -EINVAL);
	CHECK_INT_EQ(alpr_parse_int64("-", 1, -9, 999, &v), -EINVAL);
	CHECK_INT_EQ(alpr_parse_int64("1000", 4, 0, 999, &v), -ERANGE);
	CHECK_INT_EQ(alpr_parse_int64("99999999999999999999", 20, 0, INT64_MAX, &v), -ERANGE);
	CHECK_OK(alpr_parse_int64("9223372036854775807", 19, 0, INT64_MAX, &v));
	CHECK_INT_EQ(v, INT64_MAX);
}

static void test_hex_and_strlcpy(void)
{
	uint8_t in[3] = {0x00, 0xab, 0xff}, out[3];
	char hex[7], small[4];
	alpr_hex_encode(in, 3, hex);
	CHECK_STR_EQ(hex, "00abff");
	CHECK_OK(alpr_hex_decode("00ABff", 6, out, 3));
	CHECK(memcmp(in, out, 3) == 0);
	CHECK_INT_EQ(alpr_hex_decode("00abfg", 6, out, 3), -EINVAL);
	CHECK_INT_EQ(alpr_hex_decode("00ab", 4, out, 3), -EINVAL);
	CHECK_INT_EQ(alpr_strlcpy(small, "ABCDEFG", sizeof(small)), 7);
	CHECK_STR_EQ(small, "ABC");
}

static void test_files(void)
{
	char *text = NULL;
	size_t len;
	const char *p = check_path("sub/dir/file");
	struct stat st;

	CHECK_OK(alpr_mkdir_p(check_path("sub/dir")));
	CHECK_OK(alpr_write_file_atomic(p, "secret", 6, 0600));
	CHECK(stat(p, &st) == 0);
	CHECK_INT_EQ(st.st_mode & 0777, 0600);
	CHECK_OK(alpr_read_file(p, 100, &text, &len));
	CHECK_INT_EQ(len, 6);
	CHECK_STR_EQ(text, "secret");
	free(text);
	CHECK_INT_EQ(alpr_read_file(p, 5, &text, &len), -EFBIG);
	CHECK_INT_EQ(alpr_read_file(check_path("missing"), 5, &text, &len), -ENOENT);
	CHECK_INT_EQ(alpr_read_file(check_path("sub"), 5, &text, &len), -EISDIR);
	/* A file where a folder should be is reported, not papered over. */
	CHECK_INT_EQ(alpr_mkdir_p(p), -ENOTDIR);
}

static void test_clock(void)
{
	struct alpr_clock c;
	alpr_clock_init_manual(&c, 1000);
	CHECK_INT_EQ(alpr_clock_now(&c), 1000);
	alpr_clock_advance(&c, ALPR_USEC_PER_SEC);
	CHECK_INT_EQ(alpr_clock_now(&c), 1000 + ALPR_USEC_PER_SEC);
	alpr_clock_init_real(&c);
	/* The real clock is after the date this code was written. */
	CHECK(alpr_clock_now(&c) > INT64_C(1795910400) * 1000000);
	CHECK(alpr_clock_now(NULL) > INT64_C(1795910400) * 1000000);
}

static void test_strerror(void)
{
	CHECK_STR_EQ(alpr_strerror(-ALPR_E_SIGNATURE), "signature does not verify");
	CHECK_STR_EQ(alpr_strerror(-ENOENT), "No such file or directory");
	CHECK_STR_EQ(alpr_strerror(-99999), "unknown error");
}

static void test_policy_profiles(void)
{
	static const struct {
		const char *name;
		int64_t read_us;
		bool memory_only;
	} rows[] = {
		{"default", 72 * ALPR_USEC_PER_HOUR, false},
		{"new-hampshire", 3 * ALPR_USEC_PER_MIN, true},
		{"maine", 21 * ALPR_USEC_PER_DAY, false},
		{"minnesota", 60 * ALPR_USEC_PER_DAY, false},
	};
	char err[256];
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		struct policy *p = NULL;
		int r = policy_load_named(rows[i].name, &p, err, sizeof(err));
		CHECK_MSG(r == 0, "%s: %s", rows[i].name, err);
		CHECK_STR_EQ(policy_name(p), rows[i].name);
		CHECK_INT_EQ(policy_retention_us(p, POLICY_CLASS_READ), rows[i].read_us);
		CHECK_INT_EQ(policy_reads_memory_only(p), rows[i].memory_only);
		/* Every shipped profile refuses civil immigration enforcement lists. */
		CHECK(policy_category_refused(p, POLICY_CAT_IMMIGRATION_VIOLATOR));
		CHECK(!policy_category_refused(p, POLICY_CAT_STOLEN_VEHICLE));
		CHECK(strlen(policy_source(p)) > 20);
		policy_destroy(p);
	}
	policy_destroy(NULL);
}

static void test_policy_bad(void)
{
	static const struct {
		const char *json;
		const char *err;
	} rows[] = {
		{"", "bad.json:1:"},
		{"[]", "must be a JSON object"},
		{"{\"profile\":\"x\"}", "source:"},
		{"{\"profile\":\"x\",\"source\":\"s\"}", "retention:"},
		{"{\"profile\":\"x\",\"source\":\"s\",\"retention\":{\"read\":\"3 days\"}}",
		 "retention.read:"},
		{"{\"profile\":\"x\",\"source\":\"s\",\"retention\":{\"read\":\"1d\",\"crop\":"
		 "\"1d\","
		 "\"hit\":\"1d\",\"misread_hit\":\"1d\",\"gps_track\":\"1d\",\"audit\":\"1y\","
		 "\"photos\":\"1d\"}}",
		 "retention.photos: unknown data class"},
		{"{\"profile\":\"x\",\"source\":\"s\",\"retention\":{\"read\":\"1d\",\"crop\":"
		 "\"1d\","
		 "\"hit\":\"1d\",\"misread_hit\":\"1d\",\"gps_track\":\"1d\",\"audit\":\"1y\"},"
		 "\"refused_categories\":[\"stolen_vehicle\",\"aliens\"],\"max_hotlist_age\":"
		 "\"1d\"}",
		 "refused_categories[1]: not a known category"},
		{"{\"profile\":\"x\",\"source\":\"s\",\"retention\":{\"read\":\"1d\",\"crop\":"
		 "\"1d\","
		 "\"hit\":\"1d\",\"misread_hit\":\"1d\",\"gps_track\":\"1d\",\"audit\":\"1y\"},"
		 "\"refused_categories\":[]}",
		 "max_hotlist_age:"},
		{"{\"profile\":\"x\",\"profile\":\"y\"}", "duplicate"},
	};
	char err[256];
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		struct policy *p = NULL;
		const char *path = check_path("bad.json");
		check_write_file(path, rows[i].json);
		int r = policy_load(path, &p, err, sizeof(err));
		CHECK_MSG(r < 0 && p == NULL, "row %zu loaded", i);
		CHECK_STR_CONTAINS(err, rows[i].err);
		CHECK_STR_CONTAINS(err, "bad.json");
	}
	struct policy *p = NULL;
	CHECK(policy_load_named("../etc/passwd", &p, err, sizeof(err)) == -EINVAL);
	CHECK(policy_load_named("no-such-state", &p, err, sizeof(err)) == -ENOENT);
	CHECK_STR_CONTAINS(err, "no-such-state.json");
	int64_t us;
	CHECK_INT_EQ(policy_parse_duration("-3m", 3, &us), -EINVAL);
	CHECK_INT_EQ(policy_parse_duration("3", 1, &us), -EINVAL);
	CHECK_OK(policy_parse_duration("1y", 2, &us));
	CHECK_INT_EQ(us, 365 * ALPR_USEC_PER_DAY);
}

static const struct check_case cases[] = {
	{"time-parse", test_time_parse},
	{"parse-int", test_parse_int},
	{"hex-strlcpy", test_hex_and_strlcpy},
	{"files", test_files},
	{"clock", test_clock},
	{"strerror", test_strerror},
	{"policy-profiles", test_policy_profiles},
	{"policy-bad", test_policy_bad},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
