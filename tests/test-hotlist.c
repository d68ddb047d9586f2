/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * hotlist/: what an officer or administrator would notice if it broke: a listed plate not
 * matching (or matching as the wrong kind), a bad file half-imported, a refused category
 * stored, an expired entry alerting, a tampered list or delta accepted.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"
#include "hotlist-private.h"

#define T0 (INT64_C(1795910400) * ALPR_USEC_PER_SEC) /* 2026-11-29T00:00:00Z */

struct fixture {
	struct policy *policy;
	struct alpr_clock clock;
	struct hotlist *h;
};

static void fx_open_at(struct fixture *f, const char *dir)
{
	char err[256];
	struct hotlist_options o = {0};

	if (!f->policy) {
		CHECK_MSG(policy_load_named("default", &f->policy, err, sizeof(err)) == 0, "%s",
			  err);
		alpr_clock_init_manual(&f->clock, T0);
	}
	o.policy = f->policy;
	o.clock = &f->clock;
	o.map_size = 256u << 20;
	CHECK_OK(hotlist_open(dir, &o, &f->h));
}

static void fx_open(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	fx_open_at(f, check_path("db"));
}

static void fx_close(struct fixture *f)
{
	hotlist_close(f->h);
	policy_destroy(f->policy);
	memset(f, 0, sizeof(*f));
}

static struct hotlist_import_result import_text(struct fixture *f, const char *list,
						const char *csv, int want)
{
	struct hotlist_import_options o = {.list = list};
	struct hotlist_import_result res;
	const char *path = check_path("in.csv");

	check_write_file(path, csv);
	int r = hotlist_import_csv(f->h, path, &o, &res);
	CHECK_MSG(r == want, "import returned %d (%s), want %d: %s", r, alpr_strerror(r), want,
		  res.error);
	return res;
}

static int match1(struct fixture *f, const char *plate, const char *state,
		  const struct hotlist_match_options *o, struct hotlist_match *out, size_t cap)
{
	struct hotlist_candidate c = {plate, 0.9f};
	int n = hotlist_match(f->h, &c, 1, state, o, out, cap);
	CHECK_MSG(n >= 0, "match %s: %s", plate, alpr_strerror(n));
	return n;
}

static const char basic_csv[] =
	"plate,state,category,reason,make,model,color,year,expires_at\n"
	"5SOW750,CA,stolen_vehicle,Stolen 2026-11-20,Honda,Civic,BLK,2019,\n"
	"8ABC123,CA,felony_vehicle,Armed robbery suspect,Ford,F150,WHI,2015,\n"
	"7XYZ890,NV,amber_alert,Child abduction,Toyota,Camry,SIL,2021,\n"
	"ABC1234,TX,stolen_plate,Plate stolen,,,,,\n"
	"1GOOD23,??,bolo,Unknown state,,,,,\n";

/* ---- validation ---- */

static void test_normalize(void)
{
	static const struct {
		const char *raw, *norm;
	} rows[] = {
		{"5sow750", "5SOW750"},
		{"ABC 123", "ABC123"},
		{"abc-1234", "ABC1234"},
		{" 7.XY Z ", "7XYZ"},
		{"12345678", "12345678"},
		{"123456789", NULL},
		{"", NULL},
		{"- ", NULL},
		{"ÄBC123", NULL},
		{"AB\tC", NULL},
		{"A", "A"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		char out[HOTLIST_PLATE_MAX + 1];
		int r = hotlist_normalize_plate(rows[i].raw, strlen(rows[i].raw), out);
		if (rows[i].norm) {
			CHECK_MSG(r == 0, "'%s' rejected", rows[i].raw);
			CHECK_STR_EQ(out, rows[i].norm);
		} else {
			CHECK_MSG(r == -EINVAL, "'%s' accepted as '%s'", rows[i].raw, out);
		}
	}
	static const struct {
		const char *s;
		bool ok;
	} states[] = {{"CA", true},  {"DC", true},  {"PR", true}, {"ON", true},   {"??", true},
		      {"XX", false}, {"ca", false}, {"C", false}, {"CAL", false}, {"", false}};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(states); i++) {
		CHECK_MSG(hotlist_state_valid(states[i].s) == states[i].ok, "state '%s'",
			  states[i].s);
	}
	CHECK(hotlist_list_name_valid("ncic"));
	CHECK(hotlist_list_name_valid("local-2"));
	CHECK(!hotlist_list_name_valid("-x"));
	CHECK(!hotlist_list_name_valid("NCIC"));
	CHECK(!hotlist_list_name_valid("a/b"));
	CHECK(!hotlist_list_name_valid(""));
}

/* ---- import ---- */

static void test_import_basic(void)
{
	struct fixture f;
	struct hotlist_entry e[4];
	struct hotlist_list_info info;

	fx_open(&f);
	struct hotlist_import_result res = import_text(&f, "state", basic_csv, 0);
	CHECK_INT_EQ(res.rows, 5);
	CHECK_INT_EQ(res.added, 5);
	CHECK_INT_EQ(res.rejected, 0);
	CHECK_INT_EQ(res.version, 1);
	CHECK_INT_EQ(hotlist_lookup(f.h, "8abc 123", e, 4), 1);
	CHECK_STR_EQ(e[0].plate, "8ABC123");
	CHECK_STR_EQ(e[0].state, "CA");
	CHECK_STR_EQ(e[0].make, "Ford");
	CHECK_STR_EQ(e[0].list, "state");
	CHECK_INT_EQ(e[0].year, 2015);
	CHECK_INT_EQ(e[0].category, POLICY_CAT_FELONY_VEHICLE);
	CHECK_INT_EQ(hotlist_lookup(f.h, "1GOOD23", e, 4), 1);
	CHECK_STR_EQ(e[0].state, "??");
	CHECK_OK(hotlist_list_get(f.h, "state", &info));
	CHECK_INT_EQ(info.entry_count, 5);
	CHECK_INT_EQ(info.version, 1);
	fx_close(&f);
}

static void test_import_formats(void)
{
	/* The same two entries in every accepted shape of file. */
	static const char *const files[] = {
		"plate,state,category\n5SOW750,CA,stolen_vehicle\nABC1234,TX,stolen_plate\n",
		"\xef\xbb\xbfplate;state;category\r\n5SOW750;CA;stolen_vehicle\r\nABC1234;TX;"
		"stolen_plate\r\n",
		"LIC|LIS|MKE|VMA\n5SOW750|CA|EV|HOND\nABC1234|TX|EL|\n",
		"LIC\tLIS\tMKE\n5sow 750\tca\tEV\nabc-1234\ttx\tstolen_plate",
		"\"plate\",\"state\",\"category\",\"reason\"\n\"5SOW750\",\"CA\",\"stolen_"
		"vehicle\","
		"\"Stolen, keys \"\"left\"\" in car\"\n\nABC1234,TX,stolen_plate,\n",
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(files); i++) {
		struct fixture f;
		struct hotlist_entry e[2];
		memset(&f, 0, sizeof(f));
		char dbname[16];
		snprintf(dbname, sizeof(dbname), "db%zu", i);
		fx_open_at(&f, check_path(dbname));
		struct hotlist_import_result res = import_text(&f, "fmt", files[i], 0);
		CHECK_MSG(res.added == 2, "file %zu: added %llu", i, (unsigned long long)res.added);
		CHECK_INT_EQ(hotlist_lookup(f.h, "5SOW750", e, 2), 1);
		CHECK_STR_EQ(e[0].state, "CA");
		CHECK_INT_EQ(e[0].category, POLICY_CAT_STOLEN_VEHICLE);
		CHECK_INT_EQ(hotlist_lookup(f.h, "ABC1234", e, 2), 1);
		CHECK_INT_EQ(e[0].category, POLICY_CAT_STOLEN_PLATE);
		if (i == 4) {
			CHECK_INT_EQ(hotlist_lookup(f.h, "5SOW750", e, 2), 1);
			CHECK_STR_EQ(e[0].reason, "Stolen, keys \"left\" in car");
		}
		fx_close(&f);
	}
}

static void test_import_bad(void)
{
	/* Each file fails as a whole with a one-line error naming the file, line and field,
	 * and the list keeps its previous version and content. */
	static const struct {
		const char *csv, *err;
	} rows[] = {
		{"", "in.csv: empty file"},
		{"\n\n", "in.csv: empty file"},
		{"plate,state\nABC123,CA\n", "in.csv:1: category:"},
		{"foo,bar\n1,2\n", "in.csv:1: plate:"},
		{"plate,plate,category\nA,B,local\n", "in.csv:1: plate: the column appears twice"},
		{"plate,state,category\nABC123,CA\n",
		 "in.csv:2: row: 2 fields where the header has 3"},
		{"plate,state,category\nABC123,CA,local\nXYZ789,ZZ,local\n",
		 "in.csv:3: state: 'ZZ'"},
		{"plate,state,category\nABC123,CA,aliens\n", "in.csv:2: category: 'aliens'"},
		{"plate,state,category\nABCDEFGHJ,CA,local\n", "in.csv:2: plate: 'ABCDEFGHJ'"},
		{"plate,state,category\n---,CA,local\n", "in.csv:2: plate:"},
		{"plate,state,category,reason\nABC123,CA,local,"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
		 "in.csv:2: reason: longer than 200"},
		{"plate,state,category,expires_at\nABC123,CA,local,next tuesday\n",
		 "in.csv:2: expires_at: 'next tuesday'"},
		{"plate,state,category,year\nABC123,CA,local,19x5\n", "in.csv:2: year:"},
		{"plate,state,category\n\"ABC123,CA,local\n",
		 "in.csv:2: unterminated quoted field"},
		{"plate,state,category\n\"ABC\"123,CA,local\n",
		 "in.csv:2: text after a closing quote"},
		{"plate,state,category\nAB\x01C,CA,local\n", "in.csv:2: plate:"},
		{"plate,state,category\nABC123,CA,local,\xff\xfe\n", "in.csv:2:"},
		{"plate,state,category\nABC\0"
		 "123,CA,local\n",
		 "in.csv:2: binary data"},
		{"plate,state,category,make\nABC123,CA,local,\xc3\x28\n",
		 "in.csv:2: column 4: not UTF-8"},
	};
	struct fixture f;
	struct hotlist_list_info before, after;
	struct hotlist_entry e[2];

	fx_open(&f);
	import_text(&f, "state", basic_csv, 0);
	CHECK_OK(hotlist_list_get(f.h, "state", &before));
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		struct hotlist_import_options o = {.list = "state"};
		struct hotlist_import_result res;
		const char *path = check_path("in.csv");
		/* Some rows hold a NUL byte on purpose: write them with their real length. */
		size_t len = strlen(rows[i].csv);
		if (strstr(rows[i].err, "binary")) {
			len = sizeof("plate,state,category\nABC\0"
				     "123,CA,local\n") -
			      1;
		}
		FILE *fp = fopen(path, "w");
		CHECK(fp);
		fwrite(rows[i].csv, 1, len, fp);
		fclose(fp);
		int r = hotlist_import_csv(f.h, path, &o, &res);
		CHECK_MSG(r < 0, "row %zu imported", i);
		CHECK_STR_CONTAINS(res.error, rows[i].err);
		CHECK_MSG(!strchr(res.error, '\n'), "row %zu: error is not one line", i);
		CHECK_OK(hotlist_list_get(f.h, "state", &after));
		CHECK_INT_EQ(after.version, before.version);
		CHECK_INT_EQ(after.entry_count, before.entry_count);
		CHECK(memcmp(after.digest, before.digest, 32) == 0);
	}
	/* The row before the bad one was not imported either. */
	CHECK_INT_EQ(hotlist_lookup(f.h, "ABC123", e, 2), 0);
	fx_close(&f);
}

struct lines {
	char text[4096];
	int n;
};

static void collect_line(const char *line, void *ud)
{
	struct lines *l = ud;
	size_t len = strlen(l->text);
	snprintf(l->text + len, sizeof(l->text) - len, "%s\n", line);
	l->n++;
}

static void test_import_skip_invalid(void)
{
	struct fixture f;
	struct lines lines = {.n = 0};
	struct hotlist_import_options o = {
		.list = "state", .skip_invalid = true, .report = collect_line, .userdata = &lines};
	struct hotlist_import_result res;
	struct hotlist_entry e[2];
	const char *path = check_path("in.csv");

	fx_open(&f);
	check_write_file(path, "plate,state,category,colour\n"
			       "GOOD1,CA,local,RED\n"
			       "BAD 2,XX,local,\n"
			       "GOOD3,TX,local,\n"
			       "GOOD4,TX,nonsense,\n"
			       "GOOD5,TX,local,\n");
	CHECK_OK(hotlist_import_csv(f.h, path, &o, &res));
	CHECK_INT_EQ(res.rows, 5);
	CHECK_INT_EQ(res.added, 3);
	CHECK_INT_EQ(res.rejected, 2);
	CHECK_INT_EQ(lines.n, 2);
	CHECK_STR_CONTAINS(lines.text, "in.csv:3: state: 'XX'");
	CHECK_STR_CONTAINS(lines.text, "in.csv:5: category: 'nonsense'");
	CHECK_INT_EQ(hotlist_lookup(f.h, "GOOD5", e, 2), 1);
	CHECK_INT_EQ(hotlist_lookup(f.h, "GOOD1", e, 2), 1);
	CHECK_STR_EQ(e[0].color, "RED");
	CHECK_INT_EQ(hotlist_lookup(f.h, "BAD2", e, 2), 0);
	fx_close(&f);
}

static void test_refused_category(void)
{
	struct fixture f;
	struct hotlist_entry e[2], add = {0};
	struct hotlist_stats st;
	char err[256];

	fx_open(&f);
	struct hotlist_import_result res =
		import_text(&f, "ncic",
			    "LIC,LIS,MKE\nIMM001,TX,EIV\nSTL001,TX,EV\nIMM002,CA,"
			    "immigration_violator\n",
			    0);
	CHECK_INT_EQ(res.added, 1);
	CHECK_INT_EQ(res.refused, 2);
	CHECK_INT_EQ(hotlist_lookup(f.h, "IMM001", e, 2), 0);
	CHECK_INT_EQ(hotlist_lookup(f.h, "IMM002", e, 2), 0);
	CHECK_OK(hotlist_stats(f.h, &st));
	CHECK_INT_EQ(st.by_category[POLICY_CAT_IMMIGRATION_VIOLATOR], 0);
	CHECK_INT_EQ(st.entries, 1);
	/* Nor by a single add. */
	alpr_strlcpy(add.list, "local", sizeof(add.list));
	alpr_strlcpy(add.plate, "IMM003", sizeof(add.plate));
	alpr_strlcpy(add.state, "CA", sizeof(add.state));
	add.category = POLICY_CAT_IMMIGRATION_VIOLATOR;
	CHECK_INT_EQ(hotlist_add(f.h, &add, NULL, err, sizeof(err)), -ALPR_E_REFUSED);
	CHECK_STR_CONTAINS(err, "immigration_violator is refused");
	CHECK_INT_EQ(hotlist_lookup(f.h, "IMM003", e, 2), 0);
	/* A file of nothing but refused rows must not empty the list. */
	import_text(&f, "ncic", "LIC,LIS,MKE\nIMM001,TX,EIV\n", -ALPR_E_PARSE);
	CHECK_INT_EQ(hotlist_lookup(f.h, "STL001", e, 2), 1);
	fx_close(&f);
}

static void test_replace_and_merge(void)
{
	struct fixture f;
	struct hotlist_entry e[2];
	struct hotlist_import_options o = {.list = "state", .mode = HOTLIST_IMPORT_MERGE};
	struct hotlist_import_result res;
	const char *path = check_path("merge.csv");

	fx_open(&f);
	import_text(&f, "state", basic_csv, 0);
	/* Replace: the new extract drops a recovered vehicle, changes one, adds one. */
	res = import_text(&f, "state",
			  "plate,state,category,reason,make,model,color,year\n"
			  "5SOW750,CA,stolen_vehicle,Stolen 2026-11-20,Honda,Civic,BLU,2019\n"
			  "8ABC123,CA,felony_vehicle,Armed robbery suspect,Ford,F150,WHI,2015\n"
			  "7XYZ890,NV,amber_alert,Child abduction,Toyota,Camry,SIL,2021\n"
			  "1GOOD23,??,bolo,Unknown state,,,,\n"
			  "NEW0001,AZ,stolen_vehicle,,,,,\n",
			  0);
	CHECK_INT_EQ(res.added, 1);
	CHECK_INT_EQ(res.updated, 1);
	CHECK_INT_EQ(res.unchanged, 3);
	CHECK_INT_EQ(res.removed, 1);
	CHECK_INT_EQ(res.version, 2);
	CHECK_INT_EQ(hotlist_lookup(f.h, "ABC1234", e, 2), 0);
	CHECK_INT_EQ(hotlist_lookup(f.h, "5SOW750", e, 2), 1);
	CHECK_STR_EQ(e[0].color, "BLU");
	/* Merge: adds without removing. */
	check_write_file(path, "plate,state,category\nMRG0001,WA,bolo\n");
	CHECK_OK(hotlist_import_csv(f.h, path, &o, &res));
	CHECK_INT_EQ(res.added, 1);
	CHECK_INT_EQ(res.removed, 0);
	CHECK_INT_EQ(hotlist_lookup(f.h, "NEW0001", e, 2), 1);
	CHECK_INT_EQ(hotlist_lookup(f.h, "MRG0001", e, 2), 1);
	/* The removed plate no longer matches even fuzzily. */
	struct hotlist_match m[8];
	CHECK_INT_EQ(match1(&f, "ABC1234", NULL, NULL, m, 8), 0);
	CHECK_INT_EQ(match1(&f, "A8C1234", NULL, NULL, m, 8), 0);
	fx_close(&f);
}

/* ---- matching ---- */

static void test_match_kinds(void)
{
	static const struct {
		const char *read;
		int max_subst;
		const char *plate; /* best match, or NULL for none */
		enum hotlist_match_kind kind;
		int npos, pos0, pos1;
		bool missing;
	} rows[] = {
		{"5SOW750", 1, "5SOW750", HOTLIST_MATCH_EXACT, 0, 0, 0, false},
		{"5S0W750", 1, "5SOW750", HOTLIST_MATCH_EQUIVALENT, 1, 2, 0, false},
		{"55OW750", 1, "5SOW750", HOTLIST_MATCH_EQUIVALENT, 1, 1, 0, false},
		{"AABC123", 1, NULL, 0, 0, 0, 0, false}, /* A/8 are not look-alikes */
		{"BABC123", 1, "8ABC123", HOTLIST_MATCH_EQUIVALENT, 1, 0, 0, false},
		{"BA8C123", 1, NULL, 0, 0, 0, 0, false}, /* two substitutions, one allowed */
		{"BA8C123", 2, "8ABC123", HOTLIST_MATCH_EQUIVALENT, 2, 0, 2, false},
		{"7XYZ89O", 1, "7XYZ890", HOTLIST_MATCH_EQUIVALENT, 1, 6, 0, false},
		{"7XY2890", 1, "7XYZ890", HOTLIST_MATCH_EQUIVALENT, 1, 3, 0, false},
		/* 3 and 7 are not look-alikes: the wrongful-stop case. */
		{"5SOW350", 2, NULL, 0, 0, 0, 0, false},
		/* One character extra in the read (at read position 3). */
		{"8ABCC123", 1, "8ABC123", HOTLIST_MATCH_EDIT, 1, 3, 0, false},
		{"X8ABC123", 1, "8ABC123", HOTLIST_MATCH_EDIT, 1, 0, 0, false},
		/* One character missing from the read (entry position 0, 6). */
		{"ABC123", 1, "8ABC123", HOTLIST_MATCH_EDIT, 1, 0, 0, true},
		{"7XYZ89", 1, "7XYZ890", HOTLIST_MATCH_EDIT, 1, 6, 0, true},
		/* Missing and substituted at once is too far. */
		{"A8C123", 2, NULL, 0, 0, 0, 0, false},
		{"QQQQQQ", 2, NULL, 0, 0, 0, 0, false},
	};
	struct fixture f;

	fx_open(&f);
	import_text(&f, "state", basic_csv, 0);
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(rows); i++) {
		struct hotlist_match m[8];
		struct hotlist_match_options o = {.max_substitutions = rows[i].max_subst};
		int n = match1(&f, rows[i].read, NULL, &o, m, 8);
		if (!rows[i].plate) {
			CHECK_MSG(n == 0, "%s matched %s (%s)", rows[i].read,
				  n ? m[0].entry.plate : "",
				  n ? hotlist_match_kind_name(m[0].kind) : "");
			continue;
		}
		CHECK_MSG(n >= 1, "%s: no match", rows[i].read);
		CHECK_STR_EQ(m[0].entry.plate, rows[i].plate);
		CHECK_MSG(m[0].kind == rows[i].kind, "%s: kind %s", rows[i].read,
			  hotlist_match_kind_name(m[0].kind));
		CHECK_INT_EQ(m[0].npositions, rows[i].npos);
		if (rows[i].npos > 0) {
			CHECK_INT_EQ(m[0].positions[0], rows[i].pos0);
		}
		if (rows[i].npos > 1) {
			CHECK_INT_EQ(m[0].positions[1], rows[i].pos1);
		}
		CHECK_INT_EQ(m[0].edit_missing, rows[i].missing);
		CHECK_STR_EQ(m[0].read_plate, rows[i].read);
		CHECK_STR_EQ(m[0].list.name, "state");
	}
	/* Edits can be switched off. */
	struct hotlist_match m[8];
	struct hotlist_match_options noedit = {.max_substitutions = 1, .no_edit = true};
	CHECK_INT_EQ(match1(&f, "ABC123", NULL, &noedit, m, 8), 0);
	/* Out-of-range options are refused. */
	struct hotlist_match_options bad = {.max_substitutions = 3};
	struct hotlist_candidate c = {"5SOW750", 1.0f};
	CHECK_INT_EQ(hotlist_match(f.h, &c, 1, NULL, &bad, m, 8), -EINVAL);
	fx_close(&f);
}

static void test_match_candidates_ranked(void)
{
	struct fixture f;
	struct hotlist_match m[8];
	/* The OCR's top candidate is a look-alike; the third is exact. */
	struct hotlist_candidate c[] = {
		{"8A8C123", 0.60f},  {"BABC123", 0.55f}, {"8ABC123", 0.50f},
		{"garbage!!", 0.4f}, {NULL, 0.3f},       {"8ABC123", 0.2f},
	};

	fx_open(&f);
	import_text(&f, "state", basic_csv, 0);
	CHECK_OK(hotlist_list_set(f.h, "state", 5, 2));
	int n = hotlist_match(f.h, c, ALPR_ARRAY_SIZE(c), "CA", NULL, m, 8);
	/* One match per entry, the best kind for it. */
	CHECK_INT_EQ(n, 1);
	CHECK_STR_EQ(m[0].entry.plate, "8ABC123");
	CHECK_INT_EQ(m[0].kind, HOTLIST_MATCH_EXACT);
	CHECK_INT_EQ(m[0].candidate, 2);
	CHECK_INT_EQ(m[0].list.priority, 5);
	CHECK(!m[0].state_mismatch);
	CHECK(!m[0].state_unconfirmed);

	/* Beyond the OCR's top three candidates, only exact matches count: a look-alike of a
	 * listed plate in fifth place is noise, the listed plate itself in fifth place is not. */
	struct hotlist_candidate low[] = {
		{"QQQ111", 0.9f}, {"QQQ112", 0.8f},  {"QQQ113", 0.7f},
		{"QQQ114", 0.6f}, {"BABC123", 0.5f},
	};
	CHECK_INT_EQ(hotlist_match(f.h, low, ALPR_ARRAY_SIZE(low), "CA", NULL, m, 8), 0);
	low[4].plate = "8ABC123";
	CHECK_INT_EQ(hotlist_match(f.h, low, ALPR_ARRAY_SIZE(low), "CA", NULL, m, 8), 1);
	CHECK_INT_EQ(m[0].kind, HOTLIST_MATCH_EXACT);
	CHECK_INT_EQ(m[0].candidate, 4);
	/* The window can be widened. */
	low[4].plate = "BABC123";
	struct hotlist_match_options wide = {.max_substitutions = 1, .fuzzy_candidates = 5};
	CHECK_INT_EQ(hotlist_match(f.h, low, ALPR_ARRAY_SIZE(low), "CA", &wide, m, 8), 1);
	CHECK_INT_EQ(m[0].kind, HOTLIST_MATCH_EQUIVALENT);
	fx_close(&f);
}

static void test_match_state(void)
{
	struct fixture f;
	struct hotlist_match m[8];

	fx_open(&f);
	import_text(&f, "state", basic_csv, 0);
	/* A plate listed in CA, read in NV: returned, flagged, never hidden. */
	CHECK_INT_EQ(match1(&f, "5SOW750", "NV", NULL, m, 8), 1);
	CHECK(m[0].state_mismatch);
	CHECK(!m[0].state_unconfirmed);
	/* No state read: not a mismatch, but not confirmed. */
	CHECK_INT_EQ(match1(&f, "5SOW750", NULL, NULL, m, 8), 1);
	CHECK(!m[0].state_mismatch);
	CHECK(m[0].state_unconfirmed);
	/* The same read state. */
	CHECK_INT_EQ(match1(&f, "5SOW750", "CA", NULL, m, 8), 1);
	CHECK(!m[0].state_mismatch && !m[0].state_unconfirmed);
	/* An entry of unknown state ("??") is never confirmed by the read's state. */
	CHECK_INT_EQ(match1(&f, "1GOOD23", "CA", NULL, m, 8), 1);
	CHECK(!m[0].state_mismatch && m[0].state_unconfirmed);
	/* The same plate in two states and two lists: both returned, the read's state first. */
	import_text(&f, "local", "plate,state,category\n5SOW750,OR,local\n", 0);
	CHECK_INT_EQ(match1(&f, "5SOW750", "OR", NULL, m, 8), 2);
	CHECK_STR_EQ(m[0].entry.state, "OR");
	CHECK(!m[0].state_mismatch);
	CHECK_STR_EQ(m[1].entry.state, "CA");
	CHECK(m[1].state_mismatch);
	fx_close(&f);
}

static void test_expiry(void)
{
	struct fixture f;
	struct hotlist_match m[4];
	struct hotlist_stats st;

	fx_open(&f);
	import_text(&f, "local",
		    "plate,state,category,effective_at,expires_at\n"
		    "EXP0001,CA,local,2026-11-28T00:00:00Z,2026-11-29T12:00:00Z\n"
		    "FUT0001,CA,local,2026-11-30,\n"
		    "ALW0001,CA,local,,\n",
		    0);
	/* 2026-11-29T00:00Z: EXP live, FUT not yet. */
	CHECK_INT_EQ(match1(&f, "EXP0001", "CA", NULL, m, 4), 1);
	CHECK_INT_EQ(match1(&f, "FUT0001", "CA", NULL, m, 4), 0);
	/* One second before expiry: still live; at expiry: gone. */
	alpr_clock_set(&f.clock, T0 + 12 * ALPR_USEC_PER_HOUR - ALPR_USEC_PER_SEC);
	CHECK_INT_EQ(match1(&f, "EXP0001", "CA", NULL, m, 4), 1);
	alpr_clock_set(&f.clock, T0 + 12 * ALPR_USEC_PER_HOUR);
	CHECK_INT_EQ(match1(&f, "EXP0001", "CA", NULL, m, 4), 0);
	/* Not even as a look-alike. */
	CHECK_INT_EQ(match1(&f, "EXP000I", "CA", NULL, m, 4), 0);
	CHECK_OK(hotlist_stats(f.h, &st));
	CHECK_INT_EQ(st.expired, 1);
	CHECK_INT_EQ(st.not_yet, 1);
	alpr_clock_set(&f.clock, T0 + ALPR_USEC_PER_DAY);
	CHECK_INT_EQ(match1(&f, "FUT0001", "CA", NULL, m, 4), 1);
	CHECK_INT_EQ(match1(&f, "ALW0001", "CA", NULL, m, 4), 1);
	fx_close(&f);
}

static void test_add_remove(void)
{
	struct fixture f;
	struct hotlist_entry e = {0}, out[2];
	struct hotlist_match m[4];
	uint64_t v = 0;
	char err[256];

	fx_open(&f);
	alpr_strlcpy(e.list, "officer", sizeof(e.list));
	alpr_strlcpy(e.plate, "WNT0042", sizeof(e.plate));
	alpr_strlcpy(e.state, "WA", sizeof(e.state));
	alpr_strlcpy(e.case_number, "2026-004211", sizeof(e.case_number));
	e.category = POLICY_CAT_WANTED_PERSON;
	e.source = HOTLIST_SOURCE_OFFICER;
	e.expires_at = T0 + 8 * ALPR_USEC_PER_HOUR;
	CHECK_OK(hotlist_add(f.h, &e, &v, err, sizeof(err)));
	CHECK_INT_EQ(v, 1);
	CHECK_INT_EQ(match1(&f, "WNT0042", "WA", NULL, m, 4), 1);
	CHECK_INT_EQ(match1(&f, "WNTOO42", "WA",
			    &(struct hotlist_match_options){.max_substitutions = 2}, m, 4),
		     1);
	/* Invalid entries are refused with the field named. */
	struct hotlist_entry bad = e;
	alpr_strlcpy(bad.state, "QQ", sizeof(bad.state));
	CHECK_INT_EQ(hotlist_add(f.h, &bad, NULL, err, sizeof(err)), -ALPR_E_PARSE);
	CHECK_STR_CONTAINS(err, "state:");
	bad = e;
	alpr_strlcpy(bad.plate, "wnt 42", sizeof(bad.plate));
	CHECK_INT_EQ(hotlist_add(f.h, &bad, NULL, err, sizeof(err)), -ALPR_E_PARSE);
	CHECK_STR_CONTAINS(err, "plate:");
	CHECK_OK(hotlist_remove(f.h, "officer", "wnt-0042", NULL, &v));
	CHECK_INT_EQ(v, 2);
	CHECK_INT_EQ(hotlist_lookup(f.h, "WNT0042", out, 2), 0);
	CHECK_INT_EQ(match1(&f, "WNT0042", "WA", NULL, m, 4), 0);
	CHECK_INT_EQ(match1(&f, "WNTOO42", "WA",
			    &(struct hotlist_match_options){.max_substitutions = 2}, m, 4),
		     0);
	CHECK_INT_EQ(hotlist_remove(f.h, "officer", "WNT0042", NULL, NULL), -ENOENT);
	CHECK_INT_EQ(hotlist_remove(f.h, "nolist", "WNT0042", NULL, NULL), -ENOENT);
	fx_close(&f);
}

static uint64_t db_count(struct fixture *f, MDB_dbi dbi)
{
	MDB_txn *txn;
	MDB_stat st;
	CHECK(mdb_txn_begin(f->h->env, NULL, MDB_RDONLY, &txn) == 0);
	mdb_stat(txn, dbi, &st);
	mdb_txn_abort(txn);
	return st.ms_entries;
}

/* Removed plates stay in the indexes until a rebuild; plates added to a non-empty list go
 * to the small recent deletion index. Matching must be right throughout. */
static void test_index_maintenance(void)
{
	struct fixture f;
	struct hotlist_match m[4];
	char csv[8192] = "plate,category\n", line[32];

	fx_open(&f);
	for (int i = 0; i < 40; i++) {
		snprintf(line, sizeof(line), "KP%05d,local\n", i);
		strncat(csv, line, sizeof(csv) - strlen(csv) - 1);
	}
	import_text(&f, "local", csv, 0);
	CHECK_INT_EQ(db_count(&f, f.h->equiv), 40);
	CHECK_INT_EQ(db_count(&f, f.h->del1r), 0);
	/* Additions after the first import: into del1r, and found with a character missing. */
	struct hotlist_import_options o = {.list = "local", .mode = HOTLIST_IMPORT_MERGE};
	struct hotlist_import_result res;
	check_write_file(check_path("add.csv"), "plate,category\nNEW7001,local\nNEW7002,local\n");
	CHECK_OK(hotlist_import_csv(f.h, check_path("add.csv"), &o, &res));
	CHECK(db_count(&f, f.h->del1r) > 0);
	CHECK_INT_EQ(match1(&f, "NEW701", NULL, NULL, m, 4), 1);
	CHECK_STR_EQ(m[0].entry.plate, "NEW7001");
	CHECK(m[0].edit_missing);
	/* The plate filter learnt the new plates too: exact, look-alike and extra-character
	 * matches go through it. */
	CHECK_INT_EQ(match1(&f, "NEW7002", NULL, NULL, m, 4), 1);
	CHECK_INT_EQ(m[0].kind, HOTLIST_MATCH_EXACT);
	CHECK_INT_EQ(match1(&f, "NEW70O2", NULL, NULL, m, 4), 1);
	CHECK_INT_EQ(m[0].kind, HOTLIST_MATCH_EQUIVALENT);
	CHECK_INT_EQ(match1(&f, "NEW70022", NULL, NULL, m, 4), 1);
	CHECK_INT_EQ(m[0].kind, HOTLIST_MATCH_EDIT);
	/* Removals leave stale index records that never match. */
	CHECK_OK(hotlist_remove(f.h, "local", "KP00001", NULL, NULL));
	CHECK_INT_EQ(db_count(&f, f.h->equiv), 42);
	CHECK_INT_EQ(match1(&f, "KP00001", NULL, NULL, m, 4), 0);
	int n = match1(&f, "KP0001", NULL, NULL, m, 4); /* KP00010.. match, KP00001 not */
	for (int i = 0; i < n; i++) {
		CHECK_MSG(strcmp(m[i].entry.plate, "KP00001") != 0, "a removed plate matched");
	}
	/* Past the thresholds, the next change rebuilds the indexes from the entries. */
	f.h->rebuild_min_stale = 10;
	f.h->rebuild_stale_share = 0.2;
	strcpy(csv, "plate,category\nNEW7001,local\n");
	for (int i = 20; i < 40; i++) {
		snprintf(line, sizeof(line), "KP%05d,local\n", i);
		strncat(csv, line, sizeof(csv) - strlen(csv) - 1);
	}
	res = import_text(&f, "local", csv, 0);
	CHECK_INT_EQ(res.removed, 20);
	CHECK_INT_EQ(db_count(&f, f.h->equiv), 21);
	CHECK_INT_EQ(db_count(&f, f.h->del1r), 0);
	CHECK_INT_EQ(match1(&f, "NEW701", NULL, NULL, m, 4), 1);
	CHECK_INT_EQ(match1(&f, "KP00O25", NULL, NULL, m, 4), 1);
	CHECK_INT_EQ(match1(&f, "KP00005", NULL, NULL, m, 4), 0);
	fx_close(&f);
}

/* However many listed plates share one look-alike form, an exact plate always matches (the
 * look-alike scan is bounded; the exact check is not part of it). */
static void test_many_lookalikes(void)
{
	struct fixture f;
	struct hotlist_match m[HOTLIST_MATCH_MAX];
	char csv[16384] = "plate,category\n";

	fx_open(&f);
	/* 256 plates, every combination of 8 and B in 8 positions: one folded form. */
	for (int bits = 0; bits < 256; bits++) {
		char p[9];
		for (int i = 0; i < 8; i++) {
			p[i] = bits & (1 << (7 - i)) ? 'B' : '8';
		}
		p[8] = '\0';
		size_t len = strlen(csv);
		snprintf(csv + len, sizeof(csv) - len, "%s,local\n", p);
	}
	import_text(&f, "local", csv, 0);
	static const char *const exact[] = {"88888888", "BBBBBBBB", "B8B8B8B8", "8BBBBBBB"};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(exact); i++) {
		int n = match1(&f, exact[i], NULL, NULL, m, ALPR_ARRAY_SIZE(m));
		CHECK_MSG(n >= 1, "%s: no match", exact[i]);
		CHECK_STR_EQ(m[0].entry.plate, exact[i]);
		CHECK_INT_EQ(m[0].kind, HOTLIST_MATCH_EXACT);
	}
	fx_close(&f);
}

/* In a dense numeric series, a read one character short or long could be any of many listed
 * plates: such an edit is no evidence for any one of them, and none is reported (else one
 * read of "1234" would put dozens of unrelated plates before the officer). An edit that few
 * listed plates explain still matches. HOTLIST_EDIT_AMBIGUOUS is 3. */
static void test_edit_ambiguous(void)
{
	struct fixture f;
	struct hotlist_match m[HOTLIST_MATCH_MAX];

	fx_open(&f);
	/* Read 1234, one character missing: 12345 alone explains it... */
	import_text(&f, "a", "plate,category\n12345,local\n", 0);
	CHECK_INT_EQ(match1(&f, "1234", NULL, NULL, m, HOTLIST_MATCH_MAX), 1);
	CHECK_STR_EQ(m[0].entry.plate, "12345");
	CHECK_INT_EQ(m[0].kind, HOTLIST_MATCH_EDIT);
	CHECK(m[0].edit_missing);
	/* ...three still do (the limit)... */
	import_text(&f, "a", "plate,category\n12345,local\n12346,local\n91234,local\n", 0);
	CHECK_INT_EQ(match1(&f, "1234", NULL, NULL, m, HOTLIST_MATCH_MAX), 3);
	/* ...ten do not. */
	char csv[512] = "plate,category\n";
	for (int d = 0; d < 10; d++) {
		size_t len = strlen(csv);
		snprintf(csv + len, sizeof(csv) - len, "1234%d,local\n", d);
	}
	import_text(&f, "a", csv, 0);
	CHECK_INT_EQ(match1(&f, "1234", NULL, NULL, m, HOTLIST_MATCH_MAX), 0);
	/* Exact and look-alike matches are never held back: 12341 read exactly, 1234I as a
	 * look-alike of it. */
	CHECK_INT_EQ(match1(&f, "12341", NULL, NULL, m, HOTLIST_MATCH_MAX), 1);
	CHECK_INT_EQ(m[0].kind, HOTLIST_MATCH_EXACT);
	CHECK(match1(&f, "1234I", NULL, NULL, m, HOTLIST_MATCH_MAX) >= 1);
	CHECK_INT_EQ(m[0].kind, HOTLIST_MATCH_EQUIVALENT);

	/* Read 123456, one character extra: one listed plate among its deletions matches... */
	fx_close(&f);
	fx_open_at(&f, check_path("db2"));
	import_text(&f, "b", "plate,category\n12356,local\n", 0);
	CHECK_INT_EQ(match1(&f, "123456", NULL, NULL, m, HOTLIST_MATCH_MAX), 1);
	CHECK_STR_EQ(m[0].entry.plate, "12356");
	CHECK(!m[0].edit_missing);
	/* ...four of its six deletions listed match none. */
	import_text(&f, "b", "plate,category\n12356,local\n23456,local\n13456,local\n12345,local\n",
		    0);
	CHECK_INT_EQ(match1(&f, "123456", NULL, NULL, m, HOTLIST_MATCH_MAX), 0);
	fx_close(&f);
}

/* The plate filter never says "not listed" for a listed plate, and rarely says "maybe" for
 * one that is not (each maybe costs a real lookup). */
static void test_bloom(void)
{
	size_t len = hotlist_bloom_size(20000);
	uint8_t *blob = calloc(1, len);
	uint64_t members, capacity;
	char s[16];
	int fp = 0;

	CHECK(blob);
	hotlist_bloom_init(blob, len, 20000);
	CHECK(hotlist_bloom_valid(blob, len, &members, &capacity));
	CHECK_INT_EQ(capacity, 20000);
	for (int i = 0; i < 20000; i++) {
		snprintf(s, sizeof(s), "P%07d", i);
		hotlist_bloom_add(blob, len, 'P', s, strlen(s));
	}
	CHECK(hotlist_bloom_valid(blob, len, &members, &capacity));
	CHECK_INT_EQ(members, 20000);
	for (int i = 0; i < 20000; i++) {
		snprintf(s, sizeof(s), "P%07d", i);
		CHECK_MSG(hotlist_bloom_maybe(blob, len, 'P', s, strlen(s)), "%s lost", s);
	}
	for (int i = 0; i < 100000; i++) {
		snprintf(s, sizeof(s), "Q%07d", i);
		fp += hotlist_bloom_maybe(blob, len, 'P', s, strlen(s));
	}
	CHECK_MSG(fp < 3000, "false positives %d of 100000", fp);
	/* The same string in the other domain is a different member. */
	int cross = 0;
	for (int i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "P%07d", i);
		cross += hotlist_bloom_maybe(blob, len, 'C', s, strlen(s));
	}
	CHECK_MSG(cross < 60, "domain 'C' answered maybe for %d of 1000 'P' members", cross);
	/* A damaged filter answers "maybe" to everything (slower, never wrong). */
	blob[0] ^= 1;
	CHECK(!hotlist_bloom_valid(blob, len, &members, &capacity));
	CHECK(hotlist_bloom_maybe(blob, len, 'P', "ZZZZ", 4));
	free(blob);
}

/* Two hotlists side by side in one process: no hidden globals. */
static void test_two_databases(void)
{
	struct fixture a, b;
	struct hotlist_entry e[2];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	fx_open_at(&a, check_path("a"));
	fx_open_at(&b, check_path("b"));
	import_text(&a, "x", "plate,category\nAAA111,local\n", 0);
	import_text(&b, "x", "plate,category\nBBB222,local\n", 0);
	CHECK_INT_EQ(hotlist_lookup(a.h, "AAA111", e, 2), 1);
	CHECK_INT_EQ(hotlist_lookup(a.h, "BBB222", e, 2), 0);
	CHECK_INT_EQ(hotlist_lookup(b.h, "BBB222", e, 2), 1);
	CHECK_INT_EQ(hotlist_lookup(b.h, "AAA111", e, 2), 0);
	fx_close(&a);
	fx_close(&b);
}

/* Lookups keep their read snapshot between calls while it is still the newest
 * (HOTLIST_TXN_POOL). A write by this handle or by another process must be seen by the very
 * next lookup, and an idle kept snapshot must not hold back the reuse of the pages that
 * writes free: the file would grow with every change. */
static void test_live_snapshot(void)
{
	struct fixture f;
	struct hotlist_entry e = {0}, out[2];
	char err[256];

	fx_open(&f);
	import_text(&f, "x", basic_csv, 0);
	CHECK_INT_EQ(hotlist_lookup(f.h, "NEW0001", out, 2), 0);

	/* Another process adds a plate: the next lookup here sees it. */
	pid_t pid = fork();
	if (pid == 0) {
		struct fixture c = {0};
		fx_open_at(&c, check_path("db"));
		struct hotlist_entry ce = {0};
		alpr_strlcpy(ce.list, "x", sizeof(ce.list));
		alpr_strlcpy(ce.plate, "NEW0001", sizeof(ce.plate));
		alpr_strlcpy(ce.state, "OR", sizeof(ce.state));
		ce.category = POLICY_CAT_STOLEN_VEHICLE;
		_exit(hotlist_add(c.h, &ce, NULL, err, sizeof(err)) == 0 ? 0 : 1);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_INT_EQ(hotlist_lookup(f.h, "NEW0001", out, 2), 1);
	CHECK_STR_EQ(out[0].state, "OR");

	/* Writes through this handle while the file is watched: the first half each followed
	 * by a lookup that must see it, the second half with none (the kept snapshot stays
	 * idle through them all). With the idle snapshot released before each write, freed
	 * pages are reused and the map's high-water mark settles. */
	alpr_strlcpy(e.list, "x", sizeof(e.list));
	alpr_strlcpy(e.state, "WA", sizeof(e.state));
	alpr_strlcpy(e.reason, "churn", sizeof(e.reason));
	e.category = POLICY_CAT_STOLEN_VEHICLE;
	MDB_envinfo ei;
	size_t settled = 0;
	for (int i = 0; i < 400; i++) {
		snprintf(e.plate, sizeof(e.plate), "CH%04d", i % 50);
		if (i % 2 == 0) {
			CHECK_OK(hotlist_add(f.h, &e, NULL, err, sizeof(err)));
			CHECK(i >= 200 || hotlist_lookup(f.h, e.plate, out, 2) == 1);
		} else {
			snprintf(e.plate, sizeof(e.plate), "CH%04d", (i - 1) % 50);
			CHECK_OK(hotlist_remove(f.h, "x", e.plate, NULL, NULL));
			CHECK(i >= 200 || hotlist_lookup(f.h, e.plate, out, 2) == 0);
		}
		if (i == 199) {
			/* Leave a snapshot kept idle for the second half. */
			CHECK_INT_EQ(hotlist_lookup(f.h, "NEW0001", out, 2), 1);
			mdb_env_info(f.h->env, &ei);
			settled = ei.me_last_pgno;
		}
	}
	mdb_env_info(f.h->env, &ei);
	CHECK_INT_EQ(hotlist_lookup(f.h, "CH0049", out, 2), 0);
	CHECK_INT_EQ(hotlist_lookup(f.h, "NEW0001", out, 2), 1);
	CHECK_MSG(ei.me_last_pgno <= settled + 8,
		  "the map grew from %zu to %zu pages over 200 more writes: an idle read "
		  "snapshot holds freed pages",
		  settled, (size_t)ei.me_last_pgno);
	fx_close(&f);
}

/* The map is advised for 2 MB pages (hotlist.c, map_hugepages()): a lookup's misses in the
 * lower levels of a large tree are then no longer TLB misses too (docs/benchmarks.md). The
 * kernel shows the advice as "hg" in the mapping's VmFlags; a read-only handle gets it too. */
static bool map_advised(const char *dir)
{
	char want[PATH_MAX], line[1024];
	bool in = false, hg = false, seen = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	snprintf(want, sizeof(want), "%s/data.mdb", dir);
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			size_t n = strcspn(line, "\n");
			line[n] = '\0';
			in = n >= strlen(want) && strcmp(line + n - strlen(want), want) == 0;
			seen |= in;
		} else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			hg |= strstr(line, " hg") != NULL;
		}
	}
	if (f) {
		fclose(f);
	}
	CHECK_MSG(seen, "no mapping of %s in /proc/self/smaps", want);
	return hg;
}

static void test_huge_map(void)
{
	struct fixture f;

	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) != 0) {
		printf("# this kernel has no transparent huge pages: nothing to advise\n");
		return;
	}
	fx_open(&f);
	import_text(&f, "x", basic_csv, 0);
	CHECK_MSG(map_advised(check_path("db")), "the hotlist's map is not advised for 2 MB pages");
	fx_close(&f);

	struct hotlist_options o = {.read_only = true, .map_size = 256u << 20};
	char err[256];
	struct hotlist *h;
	CHECK_MSG(policy_load_named("default", &f.policy, err, sizeof(err)) == 0, "%s", err);
	o.policy = f.policy;
	CHECK_OK(hotlist_open(check_path("db"), &o, &h));
	CHECK_MSG(map_advised(check_path("db")), "a read-only map is not advised for 2 MB pages");
	hotlist_close(h);
	policy_destroy(f.policy);
}

/* ---- versions ---- */

static char *export_string(struct fixture *f, const char *list, uint64_t version, int *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	*r = hotlist_export_csv(f->h, list, version, m);
	fclose(m);
	return buf;
}

struct diff_acc {
	char text[2048];
};

static int diff_one(enum hotlist_change_op op, const struct hotlist_entry *o,
		    const struct hotlist_entry *n, void *ud)
{
	struct diff_acc *d = ud;
	size_t len = strlen(d->text);
	static const char sym[] = {'+', '-', '~'};
	snprintf(d->text + len, sizeof(d->text) - len, "%c%s/%s ", sym[op], n ? n->plate : o->plate,
		 n ? n->state : o->state);
	return 0;
}

static void test_versions_export_diff(void)
{
	struct fixture f;
	struct diff_acc d = {""};
	uint64_t oldest, cur;
	int r;

	fx_open(&f);
	import_text(&f, "state", basic_csv, 0);
	char *v1 = export_string(&f, "state", 0, &r);
	CHECK_OK(r);
	CHECK_STR_CONTAINS(v1, "plate,state,source_record_id");
	CHECK_STR_CONTAINS(v1, "8ABC123,CA,,8ABC123,,,felony_vehicle,Armed robbery suspect,Ford");
	import_text(&f, "state",
		    "plate,state,category,reason,make,model,color,year\n"
		    "5SOW750,CA,stolen_vehicle,Stolen 2026-11-20,Honda,Civic,BLU,2019\n"
		    "NEW0001,AZ,stolen_vehicle,,,,,\n",
		    0);
	CHECK_OK(hotlist_versions(f.h, "state", &oldest, &cur));
	CHECK_INT_EQ(cur, 2);
	/* Version 1 is still there, exactly as it was. */
	char *again = export_string(&f, "state", 1, &r);
	CHECK_OK(r);
	CHECK_STR_EQ(again, v1);
	CHECK_OK(hotlist_diff(f.h, "state", 1, 2, diff_one, &d));
	/* In key order (plate first). */
	CHECK_STR_EQ(d.text, "-1GOOD23/?? ~5SOW750/CA -7XYZ890/NV -8ABC123/CA -ABC1234/TX "
			     "+NEW0001/AZ ");
	/* Diffing backwards inverts it. */
	memset(&d, 0, sizeof(d));
	CHECK_OK(hotlist_diff(f.h, "state", 2, 1, diff_one, &d));
	CHECK_STR_CONTAINS(d.text, "-NEW0001/AZ");
	CHECK_STR_CONTAINS(d.text, "+8ABC123/CA");
	/* Export round trip: importing the export reproduces the version. */
	check_write_file(check_path("v1.csv"), v1);
	struct hotlist_import_options o = {.list = "copy"};
	struct hotlist_import_result res;
	CHECK_OK(hotlist_import_csv(f.h, check_path("v1.csv"), &o, &res));
	CHECK_INT_EQ(res.added, 5);
	char *copy = export_string(&f, "copy", 0, &r);
	CHECK_STR_EQ(copy, v1);
	char *none = export_string(&f, "state", 7, &r);
	CHECK_INT_EQ(r, -ENOENT);
	free(none);
	free(v1);
	free(again);
	free(copy);
	fx_close(&f);
}

static void test_versions_pruned(void)
{
	struct fixture f;
	uint64_t oldest, cur;
	int r;
	char csv[128];

	fx_open(&f);
	for (int i = 1; i <= HOTLIST_VERSIONS_KEPT + 3; i++) {
		snprintf(csv, sizeof(csv), "plate,category\nKEEP001,local\nV%05d,local\n", i);
		import_text(&f, "local", csv, 0);
	}
	CHECK_OK(hotlist_versions(f.h, "local", &oldest, &cur));
	CHECK_INT_EQ(cur, HOTLIST_VERSIONS_KEPT + 3);
	CHECK_INT_EQ(oldest, cur - HOTLIST_VERSIONS_KEPT + 1);
	char *s = export_string(&f, "local", oldest, &r);
	CHECK_OK(r);
	snprintf(csv, sizeof(csv), "V%05llu,", (unsigned long long)oldest);
	CHECK_STR_CONTAINS(s, csv);
	free(s);
	s = export_string(&f, "local", oldest - 1, &r);
	CHECK_INT_EQ(r, -ENOENT);
	free(s);
	fx_close(&f);
}

/* Key paths outlive check_path()'s ring of buffers. */
static char priv[4096], pub[4096];

static void keys(void)
{
	snprintf(priv, sizeof(priv), "%s", check_path("priv.pem"));
	snprintf(pub, sizeof(pub), "%s", check_path("pub.pem"));
	CHECK_OK(hotlist_keygen(priv, pub));
}

static void test_sign_verify(void)
{
	struct fixture f;
	char err[256];

	fx_open(&f);
	keys();
	CHECK_INT_EQ(hotlist_keygen(priv, check_path("x.pem")), -EEXIST);
	import_text(&f, "state", basic_csv, 0);
	CHECK_OK(hotlist_sign(f.h, "state", 0, priv, check_path("v1.sig")));
	CHECK_MSG(hotlist_verify(f.h, check_path("v1.sig"), pub, err, sizeof(err)) == 0, "%s", err);
	/* A new version does not change what version 1 was. */
	import_text(&f, "state", "plate,category\nZZZ999,local\n", 0);
	CHECK_MSG(hotlist_verify(f.h, check_path("v1.sig"), pub, err, sizeof(err)) == 0, "%s", err);
	/* Another key: refused. */
	CHECK_OK(hotlist_keygen(check_path("priv2.pem"), check_path("pub2.pem")));
	CHECK_INT_EQ(
		hotlist_verify(f.h, check_path("v1.sig"), check_path("pub2.pem"), err, sizeof(err)),
		-ALPR_E_SIGNATURE);
	/* An edited manifest: refused. */
	char *text;
	size_t len;
	CHECK_OK(alpr_read_file(check_path("v1.sig"), 4096, &text, &len));
	char *p = strstr(text, "entry_count 5");
	CHECK(p);
	p[12] = '4';
	check_write_file(check_path("bad.sig"), text);
	free(text);
	CHECK_INT_EQ(hotlist_verify(f.h, check_path("bad.sig"), pub, err, sizeof(err)),
		     -ALPR_E_SIGNATURE);
	/* The database edited behind the library's back: the signature no longer holds. */
	fx_close(&f);
	memset(&f, 0, sizeof(f));
	fx_open(&f);
	MDB_txn *txn;
	CHECK(mdb_txn_begin(f.h->env, NULL, 0, &txn) == 0);
	struct hotlist_entry e;
	struct hotlist_entry out[1];
	CHECK_OK(hotlist_sign(f.h, "state", 0, priv, check_path("v2.sig")));
	CHECK_INT_EQ(hotlist_lookup(f.h, "ZZZ999", out, 1), 1);
	e = out[0];
	alpr_strlcpy(e.make, "Chevrolet", sizeof(e.make));
	char key[HOTLIST_KEY_MAX + 1];
	uint8_t packed[HOTLIST_PACKED_MAX];
	MDB_val k = {hotlist_entry_key(&e, key), key}, v = {hotlist_entry_pack(&e, packed), packed};
	/* Into whichever table holds the entry now (a small change sits in the overlay). */
	MDB_val old;
	MDB_dbi where = mdb_get(txn, f.h->entries_o, &k, &old) == 0 ? f.h->entries_o : f.h->entries;
	CHECK(mdb_put(txn, where, &k, &v, 0) == 0);
	CHECK(mdb_txn_commit(txn) == 0);
	int r = hotlist_verify(f.h, check_path("v2.sig"), pub, err, sizeof(err));
	CHECK_INT_EQ(r, -ALPR_E_SIGNATURE);
	CHECK_STR_CONTAINS(err, "differ from what was signed");
	fx_close(&f);
}

static void test_delta(void)
{
	struct fixture station, unit;
	struct hotlist_entry e[2];
	struct hotlist_list_info si, ui;
	uint64_t v;
	char err[256];
	int r;

	memset(&station, 0, sizeof(station));
	memset(&unit, 0, sizeof(unit));
	fx_open_at(&station, check_path("station"));
	fx_open_at(&unit, check_path("unit"));
	keys();
	import_text(&station, "state", basic_csv, 0);
	/* A full snapshot brings the unit to version 1. */
	CHECK_OK(hotlist_delta_write(station.h, "state", 0, 1, priv, check_path("snap1")));
	CHECK_MSG(hotlist_delta_apply(unit.h, check_path("snap1"), pub, &v, err, sizeof(err)) == 0,
		  "%s", err);
	CHECK_INT_EQ(v, 1);
	/* Version 2 on the station, as a delta from 1. */
	import_text(&station, "state",
		    "plate,state,category,reason,make,model,color,year\n"
		    "5SOW750,CA,stolen_vehicle,Stolen 2026-11-20,Honda,Civic,BLU,2019\n"
		    "NEW0001,AZ,stolen_vehicle,,,,,\n",
		    0);
	CHECK_OK(hotlist_delta_write(station.h, "state", 1, 2, priv, check_path("d12")));

	/* Tampered: one byte changed in a change line. */
	char *text;
	size_t len;
	CHECK_OK(alpr_read_file(check_path("d12"), 1 << 20, &text, &len));
	char *p = strstr(text, "+NEW0001");
	CHECK(p);
	p[4] = '9';
	FILE *fp = fopen(check_path("d12.bad"), "w");
	fwrite(text, 1, len, fp);
	fclose(fp);
	r = hotlist_delta_apply(unit.h, check_path("d12.bad"), pub, &v, err, sizeof(err));
	CHECK_MSG(r == -ALPR_E_SIGNATURE, "%d: %s", r, err);
	CHECK_STR_CONTAINS(err, "nothing applied");
	/* Unsigned (signature line removed). */
	fp = fopen(check_path("d12.unsigned"), "w");
	fwrite(text, 1, (size_t)(strstr(text, "signature ") - text), fp);
	fclose(fp);
	free(text);
	CHECK_INT_EQ(
		hotlist_delta_apply(unit.h, check_path("d12.unsigned"), pub, &v, err, sizeof(err)),
		-ALPR_E_SIGNATURE);
	CHECK_OK(hotlist_list_get(unit.h, "state", &ui));
	CHECK_INT_EQ(ui.version, 1);
	CHECK_INT_EQ(hotlist_lookup(unit.h, "NEW0001", e, 2), 0);

	/* The genuine delta applies, an hour later by the unit's clock; the unit now equals the
	 * station. */
	alpr_clock_advance(&unit.clock, ALPR_USEC_PER_HOUR);
	CHECK_MSG(hotlist_delta_apply(unit.h, check_path("d12"), pub, &v, err, sizeof(err)) == 0,
		  "%s", err);
	CHECK_INT_EQ(v, 2);
	CHECK_OK(hotlist_list_get(unit.h, "state", &ui));
	CHECK_OK(hotlist_list_get(station.h, "state", &si));
	CHECK(memcmp(ui.digest, si.digest, 32) == 0);
	CHECK_INT_EQ(ui.entry_count, 2);
	CHECK_INT_EQ(hotlist_lookup(unit.h, "NEW0001", e, 2), 1);
	CHECK_INT_EQ(hotlist_lookup(unit.h, "8ABC123", e, 2), 0);
	/* The unit holds the station's version exactly: its time too, so the station's signature
	 * over version 2 verifies on the unit. */
	CHECK_INT_EQ(ui.generated_at, si.generated_at);
	CHECK_OK(hotlist_sign(station.h, "state", 2, priv, check_path("v2.sig")));
	r = hotlist_verify(unit.h, check_path("v2.sig"), pub, err, sizeof(err));
	CHECK_MSG(r == 0, "station signature on the unit: %s", err);

	/* Replayed: the base is no longer current. */
	CHECK_INT_EQ(hotlist_delta_apply(unit.h, check_path("d12"), pub, &v, err, sizeof(err)),
		     -ALPR_E_BASE);
	/* An older snapshot: refused, the list kept. */
	CHECK_INT_EQ(hotlist_delta_apply(unit.h, check_path("snap1"), pub, &v, err, sizeof(err)),
		     -ALPR_E_BASE);
	CHECK_STR_CONTAINS(err, "not newer");
	/* A delta whose base the unit does not have (1->3 while the unit is at 2). */
	import_text(&station, "state", "plate,category\nTHR0003,local\n", 0);
	CHECK_OK(hotlist_delta_write(station.h, "state", 1, 3, priv, check_path("d13")));
	CHECK_INT_EQ(hotlist_delta_apply(unit.h, check_path("d13"), pub, &v, err, sizeof(err)),
		     -ALPR_E_BASE);
	CHECK_STR_CONTAINS(err, "base is version 1");
	CHECK_INT_EQ(hotlist_lookup(unit.h, "THR0003", e, 2), 0);
	/* A snapshot of 3 replaces whatever the unit has. */
	CHECK_OK(hotlist_delta_write(station.h, "state", 0, 3, priv, check_path("snap3")));
	CHECK_OK(hotlist_delta_apply(unit.h, check_path("snap3"), pub, &v, err, sizeof(err)));
	CHECK_INT_EQ(hotlist_lookup(unit.h, "THR0003", e, 2), 1);
	CHECK_INT_EQ(hotlist_lookup(unit.h, "NEW0001", e, 2), 0);
	/* And a unit with a stricter policy refuses a delta carrying a refused category. */
	fx_close(&station);
	fx_close(&unit);
}

/* Writes @body, signed with the trusted key, to @path: a station's signature over content the
 * station's own delta writer would never produce. */
static void write_signed(const char *path, const char *body)
{
	char out[4096];
	size_t len = strlen(body);
	EVP_PKEY *key = NULL;
	FILE *kf = fopen(priv, "r");
	CHECK(kf);
	key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
	fclose(kf);
	CHECK(key);
	uint8_t sig[64];
	size_t sl = 64;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	CHECK(EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1);
	CHECK(EVP_DigestSign(ctx, sig, &sl, (const uint8_t *)body, len) == 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	char hex[129];
	alpr_hex_encode(sig, 64, hex);
	CHECK(len + 140 < sizeof(out));
	snprintf(out, sizeof(out), "%ssignature %s\n", body, hex);
	check_write_file(path, out);
}

#define DELTA_HEAD                                                                                 \
	"alpr-hotlist-delta 1\nlist ncic\nbase_version 0\nbase_count 0\nbase_digest %064d\n"       \
	"target_version 1\ntarget_count 1\ntarget_digest %064d\npriority 0\nalert_level 2\n"       \
	"generated_at 2026-11-29T00:00:00Z\n"

/* Signed deltas whose content is wrong: a refused category, and hostile content a signature
 * does not excuse. Each is refused whole, with a one-line reason, and nothing is applied. */
static void test_delta_refused_category(void)
{
	struct fixture f;
	struct hotlist_entry e[2];
	char err[256], body[2048];
	uint64_t v;

	keys();
	fx_open(&f);
	/* A station with a looser profile might send a refused category. */
	snprintf(body, sizeof(body),
		 DELTA_HEAD
		 "changes 1\n"
		 "+IMM001\tTX\t\tIMM001\t\t\timmigration_violator\t\t\t\t\t\t\t\tncic\t\t"
		 "\t\t\t\t\t0\n",
		 0, 0);
	write_signed(check_path("imm.delta"), body);
	int r = hotlist_delta_apply(f.h, check_path("imm.delta"), pub, &v, err, sizeof(err));
	CHECK_INT_EQ(r, -ALPR_E_REFUSED);
	CHECK_STR_CONTAINS(err, "immigration_violator is refused");
	CHECK_INT_EQ(hotlist_lookup(f.h, "IMM001", e, 2), 0);

	char head[512];
	snprintf(head, sizeof(head), DELTA_HEAD, 0, 0);
	static const struct {
		bool head; /* the body follows a well-formed header */
		const char *body, *err;
		int code;
	} hostile[] = {
		{false, "", "no signature line", -ALPR_E_SIGNATURE},
		{false, "\x01\x02 garbage \xff\n", "not a hotlist delta", -ALPR_E_PARSE},
		{false, "alpr-hotlist-delta 1\nlist ncic\nbase_version 0\nchanges 0\n",
		 "header:", -ALPR_E_PARSE},
		{true,
		 "changes "
		 "2\n+AAA111\tCA\t\tAAA111\t\t\tlocal\t\t\t\t\t\t\t\tlocal\t\t\t\t\t\t\t0\n",
		 "changes: the header says 2, the body has 1", -ALPR_E_PARSE},
		{true, "changes 1\n+AAA111\tCA\tonly four fields\n", ":13: entry:", -ALPR_E_PARSE},
		{true,
		 "changes "
		 "1\n+AAA111\tZZ\t\tAAA111\t\t\tlocal\t\t\t\t\t\t\t\tlocal\t\t\t\t\t\t\t0\n",
		 ":13: state:", -ALPR_E_PARSE},
		{true, "changes 1\n-AAA111\n", ":13: removal: malformed", -ALPR_E_PARSE},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(hostile); i++) {
		const char *path = check_path("hostile.delta");
		snprintf(body, sizeof(body), "%s%s", hostile[i].head ? head : "", hostile[i].body);
		if (i == 0) {
			check_write_file(path, "");
		} else {
			write_signed(path, body);
		}
		r = hotlist_delta_apply(f.h, path, pub, &v, err, sizeof(err));
		CHECK_MSG(r == hostile[i].code, "hostile delta %zu: %d (%s)", i, r, err);
		CHECK_STR_CONTAINS(err, hostile[i].err);
		CHECK_MSG(!strchr(err, '\n'), "hostile delta %zu: error is not one line", i);
		CHECK_INT_EQ(hotlist_lookup(f.h, "AAA111", e, 2), 0);
		struct hotlist_list_info info;
		CHECK_INT_EQ(hotlist_list_get(f.h, "ncic", &info), -ENOENT);
	}
	fx_close(&f);
}

/* ---- power cut ---- */

static void write_big_csv(const char *path, int rows, char prefix)
{
	FILE *fp = fopen(path, "w");
	CHECK(fp);
	fputs("plate,state,category,reason,make,model,color\n", fp);
	for (int i = 0; i < rows; i++) {
		fprintf(fp, "%c%06d,CA,stolen_vehicle,Reported stolen,Honda,Civic,BLK\n", prefix,
			i);
	}
	fclose(fp);
}

static void test_crash_during_import(void)
{
	struct fixture f;
	struct hotlist_list_info before, after;
	char err[256];
	const char *big = check_path("big.csv");

	fx_open(&f);
	keys();
	import_text(&f, "state", basic_csv, 0);
	CHECK_OK(hotlist_sign(f.h, "state", 0, priv, check_path("v1.sig")));
	CHECK_OK(hotlist_list_get(f.h, "state", &before));
	fx_close(&f);
	write_big_csv(big, 150000, 'K');

	/* Kill the importing process at several moments; each time the database must reopen
	 * with version 1 intact and verifiable. */
	for (int attempt = 0; attempt < 4; attempt++) {
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			struct fixture c;
			struct hotlist_import_options o = {.list = "state"};
			struct hotlist_import_result res;
			memset(&c, 0, sizeof(c));
			fx_open(&c);
			hotlist_import_csv(c.h, big, &o, &res);
			_exit(0);
		}
		struct timespec ts = {0, (long)(50 + 120 * attempt) * 1000000L};
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);

		memset(&f, 0, sizeof(f));
		fx_open(&f);
		CHECK_OK(hotlist_list_get(f.h, "state", &after));
		if (after.version == before.version) {
			CHECK_INT_EQ(after.entry_count, 5);
			CHECK(memcmp(after.digest, before.digest, 32) == 0);
		} else {
			/* The import committed before the kill: all of it, never part. */
			CHECK_INT_EQ(after.entry_count, 150000);
		}
		CHECK_MSG(hotlist_verify(f.h, check_path("v1.sig"), pub, err, sizeof(err)) == 0,
			  "attempt %d: %s", attempt, err);
		struct hotlist_match m[2];
		CHECK_INT_EQ(match1(&f, "8ABC123", "CA", NULL, m, 2),
			     after.version == before.version ? 1 : 0);
		fx_close(&f);
	}
}

/* Small changes go to the overlay; everything a user sees is the same before and after the
 * overlay is folded into the main table. */
static void test_overlay(void)
{
	struct fixture f;
	struct hotlist_entry e[4];
	struct hotlist_match m[4];
	struct hotlist_list_info before, after;
	char csv[16384] = "plate,state,category,color\n", line[64];
	int r;

	fx_open(&f);
	keys();
	for (int i = 0; i < 300; i++) {
		snprintf(line, sizeof(line), "OV%05d,CA,stolen_vehicle,BLK\n", i);
		strncat(csv, line, sizeof(csv) - strlen(csv) - 1);
	}
	import_text(&f, "state", csv, 0);
	CHECK_INT_EQ(db_count(&f, f.h->entries), 300);
	CHECK_INT_EQ(db_count(&f, f.h->entries_o), 0);
	/* A small replace: one removed, one changed, one added. */
	char *p = strstr(csv, "OV00007,CA,stolen_vehicle,BLK\n");
	CHECK(p);
	memmove(p, p + 30, strlen(p + 30) + 1);
	p = strstr(csv, "OV00009,CA,stolen_vehicle,BLK");
	memcpy(p + 26, "RED", 3);
	strncat(csv, "NEWOV01,NV,felony_vehicle,WHI\n", sizeof(csv) - strlen(csv) - 1);
	struct hotlist_import_result res = import_text(&f, "state", csv, 0);
	CHECK_INT_EQ(res.added, 1);
	CHECK_INT_EQ(res.updated, 1);
	CHECK_INT_EQ(res.removed, 1);
	CHECK(db_count(&f, f.h->entries_o) >= 3);
	CHECK_INT_EQ(db_count(&f, f.h->entries), 300);
	/* Every reader sees the merged state. */
	CHECK_INT_EQ(hotlist_lookup(f.h, "OV00007", e, 4), 0);
	CHECK_INT_EQ(hotlist_lookup(f.h, "OV00009", e, 4), 1);
	CHECK_STR_EQ(e[0].color, "RED");
	CHECK_INT_EQ(match1(&f, "OV00007", NULL, NULL, m, 4), 0);
	CHECK_INT_EQ(match1(&f, "NEWOV01", "NV", NULL, m, 4), 1);
	CHECK_INT_EQ(match1(&f, "NEWOVO1", "NV", NULL, m, 4), 1);
	CHECK_OK(hotlist_list_get(f.h, "state", &before));
	CHECK_INT_EQ(before.entry_count, 300);
	char *v2 = export_string(&f, "state", 0, &r);
	CHECK_OK(r);
	CHECK(!strstr(v2, "OV00007,"));
	CHECK_STR_CONTAINS(v2, "NEWOV01,NV,");
	char *v1 = export_string(&f, "state", 1, &r);
	CHECK_OK(r);
	CHECK_STR_CONTAINS(v1, "OV00007,CA,");
	CHECK_OK(hotlist_sign(f.h, "state", 0, priv, check_path("v2.sig")));
	/* Fold the overlay in: nothing a user sees changes. */
	uint64_t moved = 0;
	CHECK_OK(hotlist_compact(f.h, &moved));
	CHECK(moved >= 3);
	CHECK_INT_EQ(db_count(&f, f.h->entries_o), 0);
	CHECK_INT_EQ(db_count(&f, f.h->entries), 300);
	CHECK_OK(hotlist_list_get(f.h, "state", &after));
	CHECK(memcmp(before.digest, after.digest, 32) == 0);
	char *c2 = export_string(&f, "state", 0, &r);
	CHECK_STR_EQ(c2, v2);
	char *c1 = export_string(&f, "state", 1, &r);
	CHECK_STR_EQ(c1, v1);
	char err[256];
	r = hotlist_verify(f.h, check_path("v2.sig"), pub, err, sizeof(err));
	CHECK_MSG(r == 0, "%s", err);
	CHECK_INT_EQ(hotlist_lookup(f.h, "OV00007", e, 4), 0);
	CHECK_INT_EQ(match1(&f, "NEWOV01", "NV", NULL, m, 4), 1);
	/* A bulk import with changes still in the overlay folds them in first. */
	CHECK_OK(hotlist_remove(f.h, "state", "OV00001", NULL, NULL));
	CHECK(db_count(&f, f.h->entries_o) > 0);
	struct hotlist_batch *b = hotlist_batch_new();
	for (int i = 0; i < HOTLIST_OVERLAY_BATCH_MAX; i++) {
		struct hotlist_entry x = {0};
		snprintf(x.plate, sizeof(x.plate), "BK%06d", i);
		alpr_strlcpy(x.state, "TX", sizeof(x.state));
		alpr_strlcpy(x.list, "bulk", sizeof(x.list));
		hotlist_batch_put(b, &x);
	}
	MDB_txn *txn;
	struct hotlist_batch_result br;
	CHECK(mdb_txn_begin(f.h->env, NULL, 0, &txn) == 0);
	CHECK_OK(hotlist_batch_apply(f.h, txn, "bulk", b, false, 0, &br));
	CHECK(mdb_txn_commit(txn) == 0);
	hotlist_batch_free(b);
	CHECK_INT_EQ(db_count(&f, f.h->entries_o), 0);
	CHECK_INT_EQ(hotlist_lookup(f.h, "OV00001", e, 4), 0);
	CHECK_INT_EQ(hotlist_lookup(f.h, "BK000123", e, 4), 1);
	CHECK_INT_EQ(hotlist_lookup(f.h, "OV00009", e, 4), 1);
	free(v1);
	free(v2);
	free(c1);
	free(c2);
	fx_close(&f);
}

/* A power cut while the overlay is being folded in leaves the list as it was or as it
 * became, never in between. */
static void test_crash_during_compaction(void)
{
	struct fixture f;
	struct hotlist_list_info before, after;
	char err[256];

	fx_open(&f);
	keys();
	write_big_csv(check_path("big.csv"), 120000, 'C');
	struct hotlist_import_options o = {.list = "state"};
	struct hotlist_import_result res;
	CHECK_OK(hotlist_import_csv(f.h, check_path("big.csv"), &o, &res));
	/* 100,000 changes in the overlay, version 2. */
	struct hotlist_batch *b = hotlist_batch_new();
	for (int i = 0; i < 100000; i++) {
		struct hotlist_entry x = {0};
		snprintf(x.plate, sizeof(x.plate), "C%06d", i);
		alpr_strlcpy(x.state, "CA", sizeof(x.state));
		alpr_strlcpy(x.list, "state", sizeof(x.list));
		alpr_strlcpy(x.reason, "Updated", sizeof(x.reason));
		hotlist_batch_put(b, &x);
	}
	MDB_txn *txn;
	struct hotlist_batch_result br;
	CHECK(mdb_txn_begin(f.h->env, NULL, 0, &txn) == 0);
	CHECK_OK(hotlist_batch_apply(f.h, txn, "state", b, false, 0, &br));
	CHECK(mdb_txn_commit(txn) == 0);
	hotlist_batch_free(b);
	CHECK_INT_EQ(db_count(&f, f.h->entries_o), 100000);
	CHECK_OK(hotlist_sign(f.h, "state", 0, priv, check_path("v2.sig")));
	CHECK_OK(hotlist_list_get(f.h, "state", &before));
	fx_close(&f);

	for (int attempt = 0; attempt < 3; attempt++) {
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			struct fixture c;
			memset(&c, 0, sizeof(c));
			fx_open(&c);
			hotlist_compact(c.h, NULL);
			_exit(0);
		}
		struct timespec ts = {0, (long)(30 + 60 * attempt) * 1000000L};
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		memset(&f, 0, sizeof(f));
		fx_open(&f);
		CHECK_OK(hotlist_list_get(f.h, "state", &after));
		CHECK_INT_EQ(after.entry_count, before.entry_count);
		CHECK(memcmp(after.digest, before.digest, 32) == 0);
		int r = hotlist_verify(f.h, check_path("v2.sig"), pub, err, sizeof(err));
		CHECK_MSG(r == 0, "attempt %d: %s", attempt, err);
		struct hotlist_entry e[2];
		CHECK_INT_EQ(hotlist_lookup(f.h, "C000042", e, 2), 1);
		CHECK_STR_EQ(e[0].reason, "Updated");
		uint64_t in_overlay = db_count(&f, f.h->entries_o);
		CHECK_MSG(in_overlay == 0 || in_overlay == 100000, "half-folded overlay: %llu",
			  (unsigned long long)in_overlay);
		fx_close(&f);
	}
}

static const struct check_case cases[] = {
	{"normalize", test_normalize},
	{"import-basic", test_import_basic},
	{"import-formats", test_import_formats},
	{"import-bad", test_import_bad},
	{"import-skip-invalid", test_import_skip_invalid},
	{"refused-category", test_refused_category},
	{"replace-and-merge", test_replace_and_merge},
	{"match-kinds", test_match_kinds},
	{"match-candidates-ranked", test_match_candidates_ranked},
	{"match-state", test_match_state},
	{"expiry", test_expiry},
	{"add-remove", test_add_remove},
	{"index-maintenance", test_index_maintenance},
	{"bloom", test_bloom},
	{"many-lookalikes", test_many_lookalikes},
	{"edit-ambiguous", test_edit_ambiguous},
	{"overlay", test_overlay},
	{"two-databases", test_two_databases},
	{"live-snapshot", test_live_snapshot},
	{"huge-map", test_huge_map},
	{"versions-export-diff", test_versions_export_diff},
	{"versions-pruned", test_versions_pruned},
	{"sign-verify", test_sign_verify},
	{"delta", test_delta},
	{"delta-refused-category", test_delta_refused_category},
	{"crash-during-import", test_crash_during_import},
	{"crash-during-compaction", test_crash_during_compaction},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
