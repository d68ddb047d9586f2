/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * search/report: the transparency report. A week of fixture activity (hotlist loads, reads,
 * hits, dispositions, searches allowed and refused, a refused disclosure, a purge) under a
 * manual clock gives a deterministic report, compared with golden files; every report made
 * here is scanned for plates, names and coordinates; the report re-derived from the log must
 * agree, and a forged one must not.
 *
 * Regenerate the golden files (after a deliberate format change) with
 * ALPR_REGEN_GOLDEN=1 build/tests/test-report golden
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "check.h"
#include "common.h"
#include "sharing.h"
#include "test-search-fixture.h"

#define DAY ALPR_USEC_PER_DAY

static const char golden_header[] =
	"# Golden transparency report, made by tests/test-report.c (case 'golden') from the\n"
	"# fixture in tests/test-search-fixture.c under tests/data/report-policy.json with a\n"
	"# manual clock. Regenerate: ALPR_REGEN_GOLDEN=1 build/tests/test-report golden\n"
	"# (lines starting with '# ' at the top are this header, not the report)\n";

static const char *policy_path(void)
{
	static char p[1024];
	snprintf(p, sizeof(p), "%s/report-policy.json", check_datadir());
	return p;
}

/* A week of activity, every record at its own time. */
static void activity(struct fixture *f)
{
	uint64_t loaded[POLICY_CAT_COUNT] = {0}, refused[POLICY_CAT_COUNT] = {0};
	struct search_result res;

	fixture_fill(f); /* clock at T0 + 48 h */
	loaded[POLICY_CAT_STOLEN_VEHICLE] = 1200;
	loaded[POLICY_CAT_STOLEN_PLATE] = 300;
	loaded[POLICY_CAT_WANTED_PERSON] = 40;
	loaded[POLICY_CAT_AMBER_ALERT] = 2;
	refused[POLICY_CAT_IMMIGRATION_VIOLATOR] = 17;
	CHECK_OK(report_record_hotlist_load(f->audit, f->policy, "state-stolen", 3, loaded,
					    refused));
	/* a newer version of the same list replaces the first in the count */
	loaded[POLICY_CAT_STOLEN_VEHICLE] = 1210;
	CHECK_OK(report_record_hotlist_load(f->audit, f->policy, "state-stolen", 4, loaded,
					    refused));
	memset(loaded, 0, sizeof(loaded));
	memset(refused, 0, sizeof(refused));
	loaded[POLICY_CAT_BOLO] = 3;
	CHECK_OK(report_record_hotlist_load(f->audit, f->policy, "local", 1, loaded, refused));
	CHECK_OK(report_record_reads(f->audit, f->policy, "front-left", 5200));
	CHECK_OK(report_record_reads(f->audit, f->policy, "rear-right", 4800));
	for (int i = 0; i < 6; i++) {
		CHECK_OK(report_record_hit(f->audit, f->policy, f->ids[4],
					   POLICY_CAT_STOLEN_VEHICLE));
	}
	CHECK_OK(report_record_hit(f->audit, f->policy, f->ids[6], POLICY_CAT_WANTED_PERSON));
	for (int i = 0; i < 5; i++) {
		CHECK_OK(report_record_disposition(f->audit, f->policy, f->ids[4], "ofc.bell",
						   STORE_HIT_CONFIRMED));
	}
	CHECK_OK(report_record_disposition(f->audit, f->policy, f->ids[6], "ofc.bell",
					   STORE_HIT_MISREAD));
	alpr_clock_advance(&f->clock, ALPR_USEC_PER_HOUR);

	/* searches: seven allowed, refusals of several kinds */
	const char *plates[] = {"ABC1234", "XYZ7890", "LMN4567", "QRS2468",
				"7TRK220", "ABC1284", "XYZ7890"};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(plates); i++) {
		struct search_query q = {
			.user = "det.ortiz",
			.role = "investigator",
			.purpose = i < 5 ? "stolen_vehicle" : "missing_person",
			.case_number = "2026-000123",
			.plate = plates[i],
			.justification = "Vehicle reported stolen from the Main St lot",
		};
		CHECK_OK(search_run(f->store, f->audit, f->policy, &q, NULL, NULL, &res));
		alpr_clock_advance(&f->clock, 10 * ALPR_USEC_PER_MIN);
	}
	const struct {
		const char *role, *purpose, *case_number;
	} bad[] = {
		{"investigator", "civil_immigration_enforcement", "2026-000124"},
		{"investigator", "personal_use", "2026-000124"},
		{"investigator", "stolen_vehicle", "1"},
		{"administrator", "stolen_vehicle", "2026-000124"},
		{"investigator", NULL, "2026-000124"},
		{"investigator", "first_amendment_activity", "2026-000124"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(bad); i++) {
		struct search_query q = {
			.user = "det.ortiz",
			.role = bad[i].role,
			.purpose = bad[i].purpose,
			.case_number = bad[i].case_number,
			.plate = "ABC1234",
		};
		CHECK_INT_EQ(search_run(f->store, f->audit, f->policy, &q, NULL, NULL, &res),
			     -ALPR_E_REFUSED);
	}
	/* a refused disclosure (an officer may not disclose) */
	struct sharing_agreement ag = {.id = "AG-1",
				       .recipient = "County",
				       .type = POLICY_RECIPIENT_LOCAL,
				       .purposes = {"stolen_vehicle"},
				       .npurposes = 1,
				       .classes = {[POLICY_CLASS_HIT] = true},
				       .issued_us = FIX_T0,
				       .expires_us = FIX_T0 + 30 * DAY};
	const char *ids[] = {f->ids[4]};
	struct sharing_request rq = {.user = "ofc.bell",
				     .role = "officer",
				     .purpose = "stolen_vehicle",
				     .case_number = "2026-000123",
				     .ids = ids,
				     .nids = 1,
				     .now_us = FIX_T0 + 3 * DAY};
	char reason[256];
	CHECK_INT_EQ(sharing_disclose(f->store, f->audit, f->policy, &ag, &rq,
				      check_path("never.bin"), reason, sizeof(reason)),
		     -ALPR_E_REFUSED);
	/* the purge after 72 h of the first reads: audited with its counts */
	alpr_clock_set(&f->clock, FIX_T0 + 5 * ALPR_USEC_PER_HOUR + 72 * ALPR_USEC_PER_HOUR);
	CHECK_OK(store_purge(f->store, NULL));
	alpr_clock_set(&f->clock, FIX_T0 + 7 * DAY);
}

static void make_report(struct fixture *f, const char *json, const char *html)
{
	char err[512];
	struct report_options o = {
		.from_us = FIX_T0,
		.to_us = FIX_T0 + 7 * DAY,
		.policy = f->policy,
		.store = f->store,
		.json_path = json,
		.html_path = html,
		.now_us = FIX_T0 + 7 * DAY,
		.record = true,
	};
	int r = report_generate(f->audit, &o, err, sizeof(err));
	CHECK_MSG(r == 0, "%s", err);
}

static char *slurp(const char *path, size_t *len)
{
	char *t = NULL;
	CHECK_OK(alpr_read_file(path, 1 << 20, &t, len));
	return t;
}

/* The golden file's text without its header. */
static const char *strip_header(const char *t)
{
	while (strncmp(t, "# ", 2) == 0) {
		const char *nl = strchr(t, '\n');
		CHECK(nl);
		t = nl + 1;
	}
	return t;
}

static void compare_golden(const char *made, const char *name)
{
	char gpath[1024];
	size_t len;
	_autofree_ char *text = slurp(made, &len);
	snprintf(gpath, sizeof(gpath), "%s/%s", check_datadir(), name);
	if (getenv("ALPR_REGEN_GOLDEN")) {
		char *all = alpr_xmalloc(sizeof(golden_header) + len);
		memcpy(all, golden_header, sizeof(golden_header) - 1);
		memcpy(all + sizeof(golden_header) - 1, text, len + 1);
		CHECK_OK(alpr_write_file_atomic(gpath, all, strlen(all), 0644));
		free(all);
		fprintf(stderr, "regenerated %s\n", gpath);
		return;
	}
	size_t glen;
	_autofree_ char *golden = slurp(gpath, &glen);
	const char *g = strip_header(golden);
	CHECK_MSG(strcmp(g, text) == 0, "%s differs from %s (ALPR_REGEN_GOLDEN=1 to refresh)", made,
		  gpath);
}

static void scan_file(const char *path)
{
	size_t len;
	char why[256];
	_autofree_ char *t = slurp(path, &len);
	CHECK_MSG(report_scan(t, len, fixture_forbidden, why, sizeof(why)), "%s: %s", path, why);
}

static void test_golden(void)
{
	struct fixture f;
	fixture_open(&f, policy_path(), true);
	activity(&f);
	const char *json = check_path("report.json"), *html = check_path("report.html");
	make_report(&f, json, html);
	compare_golden(json, "report-golden-json.txt");
	compare_golden(html, "report-golden-html.txt");
	scan_file(json);
	scan_file(html);
	fixture_close(&f);
}

static void test_figures(void)
{
	struct fixture f;
	size_t len;
	fixture_open(&f, policy_path(), true);
	activity(&f);
	const char *json = check_path("report.json");
	make_report(&f, json, NULL);
	_autofree_ char *t = slurp(json, &len);
	json_t *r = json_loads(t, 0, NULL);
	CHECK(r);
#define GET(...) json_integer_value(json_object_get(__VA_ARGS__))
	json_t *reads = json_object_get(r, "reads");
	CHECK_INT_EQ(GET(reads, "captured"), 10000);
	/* the purge deleted four non-hit reads and four reads are held: both under 5, so
	 * suppressed, and listed as such */
	CHECK(json_is_null(json_object_get(reads, "purged")));
	CHECK(json_is_null(json_object_get(reads, "held_at_end")));
	CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(r, "suppressed"), 0)),
		     "reads.purged");
	json_t *ins = json_object_get(r, "in_service");
	CHECK_INT_EQ(GET(ins, "units"), 1);
	CHECK_INT_EQ(GET(ins, "cameras"), 2);
	json_t *hl = json_object_get(r, "hotlist");
	CHECK_INT_EQ(GET(json_object_get(hl, "loaded"), "stolen_vehicle"), 1210);
	CHECK_INT_EQ(GET(json_object_get(hl, "refused"), "immigration_violator"), 17);
	/* suppressed below 5: amber_alert 2, bolo 3 */
	CHECK(json_is_null(json_object_get(json_object_get(hl, "loaded"), "amber_alert")));
	CHECK(json_is_null(json_object_get(json_object_get(hl, "loaded"), "bolo")));
	json_t *hits = json_object_get(r, "hits");
	CHECK_INT_EQ(GET(json_object_get(hits, "by_category"), "stolen_vehicle"), 6);
	CHECK(json_is_null(json_object_get(json_object_get(hits, "by_category"), "wanted_person")));
	CHECK_INT_EQ(GET(hits, "total"), 7);
	CHECK_INT_EQ(GET(hits, "confirmed"), 5);
	CHECK(json_is_null(json_object_get(hits, "misread")));
	CHECK_INT_EQ(GET(hits, "wrong_state"), 0);
	json_t *s = json_object_get(r, "searches");
	CHECK_INT_EQ(GET(s, "allowed"), 7);
	CHECK_INT_EQ(GET(json_object_get(s, "by_purpose"), "stolen_vehicle"), 5);
	CHECK(json_is_null(json_object_get(json_object_get(s, "by_purpose"), "missing_person")));
	CHECK_INT_EQ(GET(s, "refused"), 6);
	/* four refused on purpose, one on role, one on the case number: all under 5 */
	CHECK(json_is_null(json_object_get(json_object_get(s, "refused_by"), "purpose")));
	CHECK(json_is_null(json_object_get(json_object_get(s, "refused_by"), "role")));
	json_t *d = json_object_get(r, "disclosures");
	CHECK(json_is_null(json_object_get(d, "refused")));
	CHECK_INT_EQ(GET(json_object_get(d, "by_recipient_type"), "federal"), 0);
	json_t *sup = json_object_get(r, "suppressed");
	CHECK(json_array_size(sup) >= 5);
	CHECK_STR_EQ(json_string_value(json_object_get(json_object_get(r, "retention"), "read")),
		     "3d");
	/* the checkpoint named is a real one, over the last record counted */
	json_t *au = json_object_get(r, "audit");
	struct audit_checkpoint_info cp;
	uint8_t h[AUDIT_HASH_LEN];
	char hex[65];
	CHECK_OK(audit_record_hash(f.audit, (uint64_t)GET(au, "checkpoint_seq"), h));
	alpr_hex_encode(h, AUDIT_HASH_LEN, hex);
	CHECK_STR_EQ(json_string_value(json_object_get(au, "checkpoint_hash")), hex);
	CHECK_OK(audit_last_checkpoint(f.audit, &cp));
	CHECK(cp.seq >= (uint64_t)GET(au, "checkpoint_seq"));
	CHECK_OK(audit_verify(f.audit, NULL, NULL, &(struct audit_verify_result){0}));
#undef GET
	json_decref(r);
	fixture_close(&f);
}

static void test_scan(void)
{
	static const struct {
		const char *text;
		bool clean;
	} rows[] = {
		{"{\"stolen_vehicle\": 12, \"hash\": \"3b6ea5c0ffee\"}", true},
		{"2026-03-01 00:00:00 UTC", true},
		{"seen ABC1234 twice", false},
		{"\"plate\":\"7TRK220\"", false},
		{"HQ 911 and ABCDE and 12345", true},
		{"at 44.3106,-69.7795", false},
		{"ratio 0.25", true},
		{"<text>XK4</text>", true},
		{"GA9Q7LM", false},
	};
	char why[256];
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		CHECK_MSG(report_scan(rows[i].text, strlen(rows[i].text), NULL, why, sizeof(why)) ==
				  rows[i].clean,
			  "%s", rows[i].text);
	}
	const char *const forbidden[] = {"det.ortiz", NULL};
	CHECK(!report_scan("by det.ortiz", 12, forbidden, why, sizeof(why)));
	CHECK_STR_CONTAINS(why, "det.ortiz");
}

static void test_rederive(void)
{
	struct fixture f;
	char err[512];
	fixture_open(&f, policy_path(), true);
	activity(&f);
	const char *json = check_path("report.json");
	make_report(&f, json, check_path("report.html"));
	/* more activity after the report does not change what it covered */
	CHECK_OK(report_record_reads(f.audit, f.policy, "front-left", 99));
	CHECK_OK(report_rederive(f.audit, f.policy, json, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "agree");

	/* an edited report is not the one recorded */
	size_t len;
	_autofree_ char *t = slurp(json, &len);
	char *at = strstr(t, "\"captured\": 10000");
	CHECK(at);
	at[strlen("\"captured\": 1")] = '9';
	const char *forged = check_path("forged.json");
	check_write_file(forged, t);
	CHECK_INT_EQ(report_rederive(f.audit, f.policy, forged, err, sizeof(err)), -ENOENT);
	/* ... and one recorded by hand (a forged "report" record) disagrees, naming the field */
	uint8_t h[AUDIT_HASH_LEN];
	char hex[65], params[512];
	SHA256((const unsigned char *)t, strlen(t), h);
	alpr_hex_encode(h, AUDIT_HASH_LEN, hex);
	uint64_t through;
	json_t *r = json_loads(t, 0, NULL);
	through = (uint64_t)json_integer_value(
		json_object_get(json_object_get(r, "audit"), "checkpoint_seq"));
	json_decref(r);
	snprintf(params, sizeof(params),
		 "{\"from_us\":%" PRId64 ",\"generated_us\":%" PRId64 ",\"held\":4,\"through_seq\":"
		 "%" PRIu64 ",\"to_us\":%" PRId64 "}",
		 FIX_T0, FIX_T0 + 7 * DAY, through, FIX_T0 + 7 * DAY);
	struct audit_record rec = {.user = "mallory",
				   .role = "system",
				   .action = "report",
				   .params = params,
				   .object_id = hex};
	memcpy(rec.profile_hash, policy_hash(f.policy), AUDIT_HASH_LEN);
	CHECK_OK(audit_append(f.audit, &rec, NULL));
	CHECK_INT_EQ(report_rederive(f.audit, f.policy, forged, err, sizeof(err)), -ALPR_E_CORRUPT);
	CHECK_STR_CONTAINS(err, "disagree: reads.captured");

	/* another profile than the one in force when it was made */
	struct policy *ca = NULL;
	CHECK_OK(policy_load_named("california", &ca, err, sizeof(err)));
	CHECK_INT_EQ(report_rederive(f.audit, ca, json, err, sizeof(err)), -EINVAL);
	policy_destroy(ca);
	fixture_close(&f);
}

static int run(const char *args, char *out, size_t outsz)
{
	char cmd[4096];
	const char *bin = getenv("ALPR_REPORT_BIN");
	CHECK_MSG(bin, "ALPR_REPORT_BIN is not set");
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", bin, args);
	FILE *p = popen(cmd, "r");
	CHECK(p);
	size_t n = fread(out, 1, outsz - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli(void)
{
	struct fixture f;
	char out[4096], args[2048];
	fixture_open(&f, "default", true);
	activity(&f);
	fixture_close(&f);

	const char *prefix = check_path("weekly");
	snprintf(args, sizeof(args),
		 "--audit %s --store %s --from 2026-03-01 --to 2026-03-08 --out %s", f.audit_dir,
		 f.store_dir, prefix);
	CHECK_MSG(run(args, out, sizeof(out)) == 0, "%s", out);
	char json[1100], html[1100];
	snprintf(json, sizeof(json), "%s.json", prefix);
	snprintf(html, sizeof(html), "%s.html", prefix);
	scan_file(json);
	scan_file(html);
	size_t len;
	_autofree_ char *h = slurp(html, &len);
	CHECK_STR_CONTAINS(h, "<svg");
	CHECK(strstr(h, "http-equiv") == NULL && strstr(h, "<script") == NULL &&
	      strstr(h, "<link") == NULL && strstr(h, "src=") == NULL); /* no external assets */

	snprintf(args, sizeof(args), "--audit %s --rederive %s", f.audit_dir, json);
	CHECK_MSG(run(args, out, sizeof(out)) == 0, "%s", out);
	CHECK_STR_CONTAINS(out, "agree");
	/* usage and bad input */
	CHECK_INT_EQ(run("--from 2026-03-01", out, sizeof(out)), 2);
	snprintf(args, sizeof(args), "--audit %s --from 2026-03-08 --to 2026-03-01", f.audit_dir);
	CHECK_INT_EQ(run(args, out, sizeof(out)), 2);
	snprintf(args, sizeof(args), "--audit %s --rederive %s", f.audit_dir, html);
	CHECK_INT_EQ(run(args, out, sizeof(out)), 1);
	CHECK_STR_CONTAINS(out, "no report record");
}

static const struct check_case cases[] = {
	{"golden", test_golden},     {"figures", test_figures}, {"scan", test_scan},
	{"rederive", test_rederive}, {"cli", test_cli},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
