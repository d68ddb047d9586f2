/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* alpr-hotlist, the command-line tool, run as a user runs it: the built binary (path in
 * $ALPR_HOTLIST_BIN) in a fresh folder, checking exit status, stdout and stderr. Every error
 * must be one line on stderr, and --json output must parse. */
#include <spawn.h>
#include <fcntl.h>
#include <sys/wait.h>

#include <jansson.h>

#include "check.h"
#include "common.h"

extern char **environ;

/* What one run printed; the buffers live until the next run. */
struct run {
	int status; /* exit status, or 128 + signal */
	char *out, *err;
};

static struct run last;

/* Output of one run, at most: the tests print a few entries. */
#define RUN_OUTPUT_MAX (4 << 20)

static char *slurp(const char *path)
{
	char *text = NULL;
	size_t len;
	int r = alpr_read_file(path, RUN_OUTPUT_MAX, &text, &len);

	CHECK_MSG(r == 0, "read %s: %s", path, alpr_strerror(r));
	return text;
}

/* Runs the tool with @args (NULL-terminated) in the case's folder. */
static const struct run *run_argv(const char *const *args)
{
	const char *bin = getenv("ALPR_HOTLIST_BIN");
	const char *argv[64];
	posix_spawn_file_actions_t fa;
	size_t n = 0;
	pid_t pid;
	int ws;

	CHECK_MSG(bin && *bin, "ALPR_HOTLIST_BIN is not set (run through meson test)");
	CHECK_MSG(chdir(check_tmpdir()) == 0, "chdir %s: %m", check_tmpdir());
	argv[n++] = bin;
	for (; *args; args++) {
		CHECK(n + 1 < ALPR_ARRAY_SIZE(argv));
		argv[n++] = *args;
	}
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "run.stdout", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, "run.stderr", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int r = posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	CHECK_MSG(r == 0, "spawn %s: %s", bin, alpr_strerror(-r));
	CHECK(waitpid(pid, &ws, 0) == pid);
	free(last.out);
	free(last.err);
	last.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	last.out = slurp("run.stdout");
	last.err = slurp("run.stderr");
	return &last;
}

#define RUN(...) run_argv((const char *const[]){__VA_ARGS__, NULL})

/* The run's exit status must be @want; on a mismatch show what it printed. */
#define CHECK_STATUS(res, want)                                                                    \
	CHECK_MSG((res)->status == (want), "exit %d, wanted %d\nstdout: %s\nstderr: %s",           \
		  (res)->status, (want), (res)->out, (res)->err)

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		n += *s == '\n';
	}
	return n;
}

/* stderr is exactly one line, "alpr-hotlist: ..." containing @needle. */
static void check_one_error_line(const struct run *res, const char *needle)
{
	CHECK_MSG(count_lines(res->err) == 1, "stderr is not one line: \"%s\"", res->err);
	CHECK_MSG(strncmp(res->err, "alpr-hotlist: ", 14) == 0, "no prefix: \"%s\"", res->err);
	CHECK_STR_CONTAINS(res->err, needle);
}

static json_t *parse_json(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	CHECK_MSG(j != NULL, "not JSON (%s at line %d): %s", e.text, e.line, text);
	return j;
}

static json_int_t jint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	CHECK_MSG(json_is_integer(v), "\"%s\" is not an integer", key);
	return json_integer_value(v);
}

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	CHECK_MSG(json_is_string(v), "\"%s\" is not a string", key);
	return json_string_value(v);
}

static const char small_csv[] =
	"plate,state,category,reason,make,model,color,year\n"
	"ABC1234,MN,stolen_vehicle,Stolen from lot,Toyota,Camry,Blue,2015\n"
	"XYZ9876,WI,felony_vehicle,\"Armed, dangerous\",Ford,F150,Red,2010\n"
	"B0B5555,MN,wanted_person,,,,,\n";

static void import_small(void)
{
	check_write_file(check_path("small.csv"), small_csv);
	const struct run *res = RUN("--db", "db", "import", "small.csv", "--list", "hot");
	CHECK_STATUS(res, 0);
	CHECK_STR_EQ(res->err, "");
}

/* Matches one plate with --json and returns the single match object (owned by *root). */
static json_t *match_one(json_t **root, const char *plate, const char *state)
{
	const struct run *res =
		state ? RUN("--db", "db", "--json", "match", "--state", state, plate)
		      : RUN("--db", "db", "match", plate, "--json");
	CHECK_STATUS(res, 0);
	*root = parse_json(res->out);
	json_t *matches = json_object_get(*root, "matches");
	CHECK(json_is_array(matches));
	CHECK_INT_EQ(json_array_size(matches), 1);
	return json_array_get(matches, 0);
}

static void test_match_kinds(void)
{
	json_t *root, *m;

	import_small();

	/* Exact, with the read's state agreeing. */
	m = match_one(&root, "ABC1234", "MN");
	CHECK_STR_EQ(jstr(m, "plate"), "ABC1234");
	CHECK_STR_EQ(jstr(m, "state"), "MN");
	CHECK_STR_EQ(jstr(m, "category"), "stolen_vehicle");
	CHECK_STR_EQ(jstr(m, "list"), "hot");
	CHECK_STR_EQ(jstr(m, "kind"), "exact");
	CHECK(json_is_array(json_object_get(m, "positions")));
	CHECK_INT_EQ(json_array_size(json_object_get(m, "positions")), 0);
	CHECK(json_is_false(json_object_get(m, "state_mismatch")));
	json_decref(root);

	/* The same plate read in another state: returned, and flagged. */
	m = match_one(&root, "ABC1234", "WI");
	CHECK_STR_EQ(jstr(m, "kind"), "exact");
	CHECK(json_is_true(json_object_get(m, "state_mismatch")));
	json_decref(root);

	/* A look-alike: Z read for 2 at position 4. */
	m = match_one(&root, "ABC1Z34", NULL);
	CHECK_STR_EQ(jstr(m, "plate"), "ABC1234");
	CHECK_STR_EQ(jstr(m, "kind"), "equivalent");
	json_t *pos = json_object_get(m, "positions");
	CHECK_INT_EQ(json_array_size(pos), 1);
	CHECK_INT_EQ(json_integer_value(json_array_get(pos, 0)), 4);
	json_decref(root);

	/* One character missing from the read. */
	m = match_one(&root, "XYZ976", NULL);
	CHECK_STR_EQ(jstr(m, "plate"), "XYZ9876");
	CHECK_STR_EQ(jstr(m, "kind"), "edit");
	CHECK_INT_EQ(json_array_size(json_object_get(m, "positions")), 1);
	json_decref(root);

	/* --no-edit turns the last one off; --max-subst 0 the look-alike. */
	const struct run *res = RUN("--db", "db", "match", "--no-edit", "XYZ976");
	CHECK_STATUS(res, 1);
	res = RUN("--db", "db", "match", "--max-subst", "0", "ABC1Z34");
	CHECK_STATUS(res, 1);
	res = RUN("--db", "db", "match", "--max-subst", "3", "ABC1Z34");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "--max-subst");

	/* Human output names the plate and the kind. */
	res = RUN("--db", "db", "match", "ABC1Z34");
	CHECK_STATUS(res, 0);
	CHECK_STR_CONTAINS(res->out, "ABC1234");
	CHECK_STR_CONTAINS(res->out, "equivalent");
}

static void test_match_none(void)
{
	import_small();
	const struct run *res = RUN("--db", "db", "--json", "match", "QQQ777");
	CHECK_STATUS(res, 1);
	CHECK_STR_EQ(res->err, "");
	json_t *root = parse_json(res->out);
	CHECK_INT_EQ(json_array_size(json_object_get(root, "matches")), 0);
	json_decref(root);

	res = RUN("--db", "db", "match", "QQQ777");
	CHECK_STATUS(res, 1);
	CHECK_STR_CONTAINS(res->out, "no match");

	/* Not a plate at all is an error, not "no match". */
	res = RUN("--db", "db", "match", "TOOLONGPLATE123");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "plate:");
}

static void test_import_ncic(void)
{
	check_write_file(check_path("ncic.csv"), "LIC|LIS|MKE|NIC|OCA|VMA|VCO\r\n"
						 "DEF111|MN|EV|V123456789|CASE-1|HOND|BLK\r\n"
						 "GHI222|WI|EL|V987654321|||\r\n");
	const struct run *res = RUN("--db", "db", "--json", "import", "ncic.csv", "--list", "ncic",
				    "--source", "ncic");
	CHECK_STATUS(res, 0);
	json_t *j = parse_json(res->out);
	CHECK_INT_EQ(jint(j, "added"), 2);
	CHECK_INT_EQ(jint(j, "rejected"), 0);
	json_decref(j);

	res = RUN("--db", "db", "search", "DEF", "--json");
	CHECK_STATUS(res, 0);
	j = parse_json(res->out);
	json_t *entries = json_object_get(j, "entries");
	CHECK_INT_EQ(json_array_size(entries), 1);
	json_t *e = json_array_get(entries, 0);
	CHECK_STR_EQ(jstr(e, "category"), "stolen_vehicle");
	CHECK_STR_EQ(jstr(e, "case_number"), "CASE-1");
	CHECK_STR_EQ(jstr(e, "source_record_id"), "V123456789");
	CHECK_STR_EQ(jstr(e, "make"), "HOND");
	CHECK_STR_EQ(jstr(e, "source"), "ncic");
	json_decref(j);

	res = RUN("--db", "db", "match", "GHI222");
	CHECK_STATUS(res, 0);
	CHECK_STR_CONTAINS(res->out, "stolen_plate");
}

static void test_import_bad(void)
{
	check_write_file(check_path("bad.csv"), "plate,state,category\n"
						"AAA111,MN,stolen_vehicle\n"
						"BBB222,XX,stolen_vehicle\n"
						"CCC333,MN,stolen_vehicle\n");
	const struct run *res = RUN("--db", "db", "import", "bad.csv");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "bad.csv:3: state:");
	CHECK_STR_EQ(res->out, "");

	/* Nothing was imported: the import is all or nothing. */
	res = RUN("--db", "db", "match", "AAA111");
	CHECK_STATUS(res, 1);

	check_write_file(check_path("bad2.csv"), "plate,state,category\n"
						 "DDD444,MN,no_such_category\n");
	res = RUN("--db", "db", "--json", "import", "bad2.csv");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "bad2.csv:2: category:");

	res = RUN("--db", "db", "import", "missing.csv");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "missing.csv");
}

static void test_skip_invalid(void)
{
	check_write_file(check_path("mixed.csv"), "plate,state,category\n"
						  "AAA111,MN,stolen_vehicle\n"
						  "BBB222,XX,stolen_vehicle\n"
						  "CCC333,MN,stolen_vehicle\n"
						  "DDD444,MN,bogus\n");
	const struct run *res =
		RUN("--db", "db", "import", "mixed.csv", "--skip-invalid", "--json", "--list", "l");
	CHECK_STATUS(res, 0);
	CHECK_INT_EQ(count_lines(res->err), 2);
	CHECK_STR_CONTAINS(res->err, "alpr-hotlist: mixed.csv:3: state:");
	CHECK_STR_CONTAINS(res->err, "alpr-hotlist: mixed.csv:5: category:");
	json_t *j = parse_json(res->out);
	CHECK_INT_EQ(jint(j, "rows"), 4);
	CHECK_INT_EQ(jint(j, "added"), 2);
	CHECK_INT_EQ(jint(j, "rejected"), 2);
	json_decref(j);
	res = RUN("--db", "db", "match", "CCC333");
	CHECK_STATUS(res, 0);
}

static void test_import_refused(void)
{
	/* The default profile refuses immigration_violator: counted, never stored. */
	check_write_file(check_path("r.csv"), "plate,state,category\n"
					      "AAA111,MN,stolen_vehicle\n"
					      "IMM999,MN,immigration_violator\n");
	const struct run *res = RUN("--db", "db", "--json", "import", "r.csv");
	CHECK_STATUS(res, 0);
	json_t *j = parse_json(res->out);
	CHECK_INT_EQ(jint(j, "added"), 1);
	CHECK_INT_EQ(jint(j, "updated"), 0);
	CHECK_INT_EQ(jint(j, "refused"), 1);
	CHECK_INT_EQ(jint(j, "rejected"), 0);
	json_decref(j);
	res = RUN("--db", "db", "match", "IMM999");
	CHECK_STATUS(res, 1);

	/* A second import of the same file updates nothing and still refuses the row. */
	res = RUN("--db", "db", "import", "r.csv");
	CHECK_STATUS(res, 0);
	CHECK_STR_CONTAINS(res->out, "1 refused");

	/* add refuses it too, naming the field. */
	res = RUN("--db", "db", "add", "--plate", "IMM999", "--category", "immigration_violator");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "category:");
}

static void test_sign_verify(void)
{
	import_small();
	const struct run *res = RUN("keygen", "k.pem", "k.pub");
	CHECK_STATUS(res, 0);
	res = RUN("keygen", "k.pem", "k.pub");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "k.pem");
	res = RUN("keygen", "other.pem", "other.pub");
	CHECK_STATUS(res, 0);

	res = RUN("--db", "db", "sign", "--list", "hot", "--key", "k.pem", "-o", "hot.sig");
	CHECK_STATUS(res, 0);
	res = RUN("--db", "db", "verify", "hot.sig", "--pubkey", "k.pub", "--current");
	CHECK_STATUS(res, 0);
	CHECK_STR_CONTAINS(res->out, "good signature");

	/* The wrong key. */
	res = RUN("--db", "db", "verify", "hot.sig", "--pubkey", "other.pub");
	CHECK_STATUS(res, 1);
	check_one_error_line(res, "hot.sig");

	/* An edited signature file. */
	char *sig = slurp(check_path("hot.sig"));
	char *p = strstr(sig, "entry_count 3");
	CHECK(p != NULL);
	p[12] = '4';
	check_write_file(check_path("edited.sig"), sig);
	free(sig);
	res = RUN("--db", "db", "verify", "edited.sig", "--pubkey", "k.pub");
	CHECK_STATUS(res, 1);
	check_one_error_line(res, "edited.sig");

	/* After a change the list is no longer what was signed. */
	res = RUN("--db", "db", "add", "--list", "hot", "--plate", "NEW123", "--category", "bolo");
	CHECK_STATUS(res, 0);
	res = RUN("--db", "db", "--json", "verify", "hot.sig", "--pubkey", "k.pub", "--current");
	CHECK_STATUS(res, 1);
	check_one_error_line(res, "not the current version");
	json_t *j = parse_json(res->out);
	CHECK(json_is_false(json_object_get(j, "valid")));
	json_decref(j);
}

static char *export_of(const char *db, const char *list)
{
	const struct run *res = RUN("--db", db, "export", "--list", list);
	CHECK_STATUS(res, 0);
	return alpr_xstrdup(res->out);
}

static void test_delta_apply(void)
{
	import_small();
	const struct run *res = RUN("keygen", "k.pem", "k.pub");
	CHECK_STATUS(res, 0);

	/* A full snapshot into an empty unit. */
	res = RUN("--db", "db", "delta", "--list", "hot", "--from", "0", "--key", "k.pem", "-o",
		  "snap.delta");
	CHECK_STATUS(res, 0);
	res = RUN("--db", "unit", "apply", "snap.delta", "--pubkey", "k.pub");
	CHECK_STATUS(res, 0);
	char *a = export_of("db", "hot"), *b = export_of("unit", "hot");
	CHECK_STR_EQ(a, b);
	free(a);
	free(b);

	/* A change, shipped as a delta from version 1. */
	res = RUN("--db", "db", "add", "--list", "hot", "--plate", "NEW123", "--state", "MN",
		  "--category", "bolo", "--reason", "seen leaving the scene");
	CHECK_STATUS(res, 0);
	res = RUN("--db", "db", "delta", "--list", "hot", "--from", "1", "--key", "k.pem", "-o",
		  "d2.delta");
	CHECK_STATUS(res, 0);

	/* Tampered: refused, and the unit keeps what it had. */
	char *text = slurp(check_path("d2.delta"));
	char *p = strstr(text, "seen leaving");
	CHECK(p != NULL);
	memcpy(p, "SEEN", 4);
	check_write_file(check_path("tampered.delta"), text);
	free(text);
	char *before = export_of("unit", "hot");
	res = RUN("--db", "unit", "apply", "tampered.delta", "--pubkey", "k.pub");
	CHECK_STATUS(res, 1);
	check_one_error_line(res, "tampered.delta");
	char *after = export_of("unit", "hot");
	CHECK_STR_EQ(before, after);
	free(before);
	free(after);
	res = RUN("--db", "unit", "match", "NEW123");
	CHECK_STATUS(res, 1);

	/* The real one applies; then both ends hold the same list. */
	res = RUN("--db", "unit", "--json", "apply", "d2.delta", "--pubkey", "k.pub");
	CHECK_STATUS(res, 0);
	json_t *j = parse_json(res->out);
	CHECK_INT_EQ(jint(j, "version"), 2);
	json_decref(j);
	a = export_of("db", "hot");
	b = export_of("unit", "hot");
	CHECK_STR_EQ(a, b);
	free(a);
	free(b);

	/* Applying it twice is refused (its base is gone). */
	res = RUN("--db", "unit", "apply", "d2.delta", "--pubkey", "k.pub");
	CHECK_STATUS(res, 1);
	check_one_error_line(res, "d2.delta");
}

static void test_export_roundtrip(void)
{
	check_write_file(check_path("full.csv"),
			 "plate,state,category,reason,make,expires_at,source_record_id,covert\n"
			 "ABC1234,MN,stolen_vehicle,\"Quoted \"\"reason\"\", with comma\",Toyota,"
			 "2099-01-01,R1,1\n"
			 "ABC1234,MN,stolen_plate,second record,,2099-06-30T12:00:00Z,R2,0\n"
			 "ZZZ9,??,bolo,,,,,\n");
	const struct run *res = RUN("--db", "db", "import", "full.csv", "--list", "l");
	CHECK_STATUS(res, 0);
	res = RUN("--db", "db", "export", "-o", "e1.csv");
	CHECK_STATUS(res, 0);
	char *e1 = slurp(check_path("e1.csv"));
	char *stdout_copy = export_of("db", "l");
	CHECK_STR_EQ(e1, stdout_copy);
	free(stdout_copy);
	CHECK_INT_EQ(count_lines(e1), 4);

	res = RUN("--db", "db2", "import", "e1.csv", "--list", "l");
	CHECK_STATUS(res, 0);
	res = RUN("--db", "db2", "export", "--list", "l", "-o", "e2.csv");
	CHECK_STATUS(res, 0);
	char *e2 = slurp(check_path("e2.csv"));
	CHECK_STR_EQ(e1, e2);
	free(e1);
	free(e2);

	/* A version that does not exist: one error line, and no half output. */
	res = RUN("--db", "db", "export", "--list", "l", "--version", "99");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "list l: version 99");
	CHECK_STR_EQ(res->out, "");
	res = RUN("--db", "db", "--json", "diff", "--list", "l", "1", "99");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "version 99");
	CHECK_STR_EQ(res->out, "");
}

static void test_add_remove_diff(void)
{
	import_small();
	const struct run *res =
		RUN("--db", "db", "--json", "add", "--list", "hot", "--plate", "new 123", "--state",
		    "mn", "--category", "stolen_plate", "--reason", "reported today", "--make",
		    "Kia", "--model", "Rio", "--color", "White", "--year", "2019", "--case",
		    "24-001", "--expires", "2030-01-01", "--entered-by", "officer7");
	CHECK_STATUS(res, 0);
	json_t *j = parse_json(res->out);
	CHECK_INT_EQ(jint(j, "version"), 2);
	json_t *e = json_object_get(j, "entry");
	CHECK_STR_EQ(jstr(e, "plate"), "NEW123");
	CHECK_STR_EQ(jstr(e, "state"), "MN");
	CHECK_STR_EQ(jstr(e, "expires_at"), "2030-01-01T00:00:00Z");
	CHECK_STR_EQ(jstr(e, "entered_by"), "officer7");
	json_decref(j);

	res = RUN("--db", "db", "search", "NEW");
	CHECK_STATUS(res, 0);
	CHECK_INT_EQ(count_lines(res->out), 1);
	CHECK_STR_CONTAINS(res->out, "NEW123");
	CHECK_STR_CONTAINS(res->out, "reported today");

	res = RUN("--db", "db", "diff", "--list", "hot", "1", "2");
	CHECK_STATUS(res, 0);
	CHECK_INT_EQ(count_lines(res->out), 1);
	CHECK(strncmp(res->out, "+ NEW123", 8) == 0);

	/* An update (add replaces the whole entry): the changed fields are named. */
	res = RUN("--db", "db", "add", "--plate", "NEW123", "--state", "MN", "--category",
		  "stolen_plate", "--reason", "recovered?");
	CHECK_STATUS(res, 0);
	res = RUN("--db", "db", "--json", "diff", "2", "3");
	CHECK_STATUS(res, 0);
	j = parse_json(res->out);
	json_t *ch = json_array_get(json_object_get(j, "changes"), 0);
	CHECK_STR_EQ(jstr(ch, "op"), "update");
	json_t *fields = json_object_get(ch, "fields");
	bool reason = false, plate = false;
	for (size_t i = 0; i < json_array_size(fields); i++) {
		const char *f = json_string_value(json_array_get(fields, i));
		reason = reason || strcmp(f, "reason") == 0;
		plate = plate || strcmp(f, "plate") == 0;
	}
	CHECK(reason && !plate);
	json_decref(j);

	res = RUN("--db", "db", "remove", "NEW123", "--state", "MN");
	CHECK_STATUS(res, 0);
	res = RUN("--db", "db", "diff", "3", "4");
	CHECK_STATUS(res, 0);
	CHECK(strncmp(res->out, "- NEW123", 8) == 0);
	res = RUN("--db", "db", "remove", "NEW123");
	CHECK_STATUS(res, 1);
	check_one_error_line(res, "NEW123");

	/* compact folds the recent changes (the add, update and removal above) into the main table;
	 * nothing a user sees changes, and a second compact has nothing left to fold. */
	res = RUN("--db", "db", "export");
	CHECK_STATUS(res, 0);
	char *before = strdup(res->out);
	res = RUN("--db", "db", "--json", "compact");
	CHECK_STATUS(res, 0);
	j = parse_json(res->out);
	CHECK_INT_EQ(jint(j, "folded"), 1); /* one key: added, changed, removed */
	json_decref(j);
	res = RUN("--db", "db", "export");
	CHECK_STATUS(res, 0);
	CHECK_STR_EQ(res->out, before);
	free(before);
	res = RUN("--db", "db", "compact");
	CHECK_STATUS(res, 0);
	CHECK_STR_CONTAINS(res->out, "folded 0 recent changes");

	/* Bad input to add: one line naming the field. */
	res = RUN("--db", "db", "add", "--plate", "AB1", "--category", "bolo", "--expires",
		  "next tuesday");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "expires_at:");
	res = RUN("--db", "db", "add", "--plate", "AB1", "--category", "bolo", "--state", "ZZ");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "state:");
}

static void test_lists(void)
{
	import_small();
	const struct run *res =
		RUN("--db", "db", "list-set", "hot", "--priority", "10", "--alert-level", "1");
	CHECK_STATUS(res, 0);
	res = RUN("--db", "db", "list-set", "local", "--alert-level", "0");
	CHECK_STATUS(res, 0);
	res = RUN("--db", "db", "--json", "lists");
	CHECK_STATUS(res, 0);
	json_t *j = parse_json(res->out);
	json_t *lists = json_object_get(j, "lists");
	CHECK_INT_EQ(json_array_size(lists), 2);
	json_t *hot = json_array_get(lists, 0);
	CHECK_STR_EQ(jstr(hot, "name"), "hot");
	CHECK_INT_EQ(jint(hot, "priority"), 10);
	CHECK_INT_EQ(jint(hot, "alert_level"), 1);
	CHECK_INT_EQ(jint(hot, "entry_count"), 3);
	CHECK_INT_EQ(jint(hot, "version"), 2);
	int64_t us;
	const char *when = jstr(hot, "generated_at");
	CHECK_OK(alpr_time_parse(when, strlen(when), &us));
	json_decref(j);

	res = RUN("--db", "db", "lists");
	CHECK_STATUS(res, 0);
	CHECK_STR_CONTAINS(res->out, "notify");
	CHECK_STR_CONTAINS(res->out, "silent");

	/* Two lists now: a command that needs one must be told which. */
	res = RUN("--db", "db", "export");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "--list");

	res = RUN("--db", "db", "--json", "stats");
	CHECK_STATUS(res, 0);
	j = parse_json(res->out);
	CHECK_INT_EQ(jint(j, "entries"), 3);
	CHECK_INT_EQ(jint(j, "lists"), 2);
	CHECK_INT_EQ(jint(json_object_get(j, "by_category"), "wanted_person"), 1);
	json_decref(j);
}

static void test_help(void)
{
	static const char *const commands[] = {
		"import", "add",  "remove", "search", "match",  "stats", "lists", "list-set",
		"export", "diff", "keygen", "sign",   "verify", "delta", "apply",
	};
	const struct run *res = RUN("--help");
	CHECK_STATUS(res, 0);
	CHECK_STR_EQ(res->err, "");
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(commands); i++) {
		char needle[32];
		snprintf(needle, sizeof(needle), "  %s ", commands[i]);
		if (!strstr(res->out, needle)) {
			snprintf(needle, sizeof(needle), "  %s\n", commands[i]);
		}
		CHECK_STR_CONTAINS(res->out, needle);
	}
	CHECK_STR_CONTAINS(res->out, "--json");
	res = RUN("match", "--help");
	CHECK_STATUS(res, 0);
	CHECK_STR_CONTAINS(res->out, "usage:");
}

static void test_usage_errors(void)
{
	const struct run *res = RUN("--db", "db", "frobnicate");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "frobnicate");
	CHECK_STR_EQ(res->out, "");

	res = RUN("match", "ABC123");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "--db");

	res = RUN("--db", "db", "match", "--frob", "ABC123");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "--frob");

	res = RUN("--db", "db", "export", "--list");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "--list");

	res = RUN(NULL);
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "command");

	/* A read on a folder with no database says so, and creates nothing. */
	res = RUN("--db", "nothing-here", "search", "");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "nothing-here");

	res = RUN("--db", "db", "--policy", "no-such-profile", "stats");
	CHECK_STATUS(res, 2);
	check_one_error_line(res, "no-such-profile");
}

static const struct check_case cases[] = {
	{"match-kinds", test_match_kinds},
	{"match-none", test_match_none},
	{"import-ncic", test_import_ncic},
	{"import-bad", test_import_bad},
	{"skip-invalid", test_skip_invalid},
	{"import-refused", test_import_refused},
	{"sign-verify", test_sign_verify},
	{"delta-apply", test_delta_apply},
	{"export-roundtrip", test_export_roundtrip},
	{"add-remove-diff", test_add_remove_diff},
	{"lists", test_lists},
	{"help", test_help},
	{"usage-errors", test_usage_errors},
};

int main(int argc, char **argv)
{
	int r = check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));

	free(last.out);
	free(last.err);
	return r;
}
