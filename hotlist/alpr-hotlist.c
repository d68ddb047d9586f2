/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-hotlist: manage a hotlist database from the command line (hotlist.h). A thin tool:
 * each command parses its options and calls the library.
 *
 * Exit status, like grep's: 0 success; 1 a negative answer (match found nothing, remove
 * found nothing, verify or apply found a signature or base that does not hold); 2 a usage
 * error, bad input or any other failure. Every failure is one line on stderr, prefixed
 * "alpr-hotlist: ", naming the file, line and field where there is one.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common.h"
#include "hotlist.h"
#include "policy.h"
#include "report.h"
#include "sync.h"

#define PROG "alpr-hotlist"

enum {
	EXIT_NEGATIVE = 1,
	EXIT_ERROR = 2,
};

/* Lists read for `lists` and to pick the default list; a unit carries a handful. */
#define LISTS_MAX 256
/* Header warnings held back during an import (one per unknown column at most). */
#define REPORTS_MAX 80
/* A signature file is a short manifest (the library refuses more than this too). */
#define SIG_FILE_MAX (64 * 1024)

static const char usage_text[] =
	"usage: " PROG " --db DIR [--policy NAME] [--json] COMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"Commands:\n"
	"  import FILE [--list NAME] [--merge] [--skip-invalid] [--source "
	"ncic|state|local|officer]\n"
	"      [--audit DIR [--user NAME]]\n"
	"      Import a CSV file (ARCHITECTURE column names or NCIC codes). By default the\n"
	"      file is the whole list (replace); --merge only adds and updates. --audit\n"
	"      records the import and the entries loaded and refused per category.\n"
	"  add --plate P --category C [--list L] [--state XX] [--reason R] [--make M] [--model M]\n"
	"      [--color C] [--year Y] [--style S] [--vin V] [--plate-type T] [--plate-year Y]\n"
	"      [--case N] [--record-id ID] [--agency ORI] [--source S] [--effective TIME]\n"
	"      [--expires TIME] [--entered-by NAME] [--covert]\n"
	"      Add or replace one entry (times in ISO 8601).\n"
	"  remove PLATE [--list L] [--state XX]\n"
	"      Remove the entries of a list with that plate (and state).\n"
	"  search PREFIX [--list L]\n"
	"      Print entries whose plate starts with PREFIX (\"\" for all).\n"
	"  match [--state XX] [--max-subst 0|1|2] [--no-edit] PLATE...\n"
	"      Match each plate as a read: exact, look-alike (equivalent) and one-character\n"
	"      (edit) matches. Exit 0 when something matched, 1 when nothing did.\n"
	"  compact\n"
	"      Fold recent changes (deltas, single entries) into the main table; a unit does\n"
	"      this when docked or idle (see hotlist_compact in hotlist.h).\n"
	"  stats\n"
	"      Entry counts by category, expired entries, database size.\n"
	"  lists\n"
	"      Show the lists with version, entry count, priority, alert level and age.\n"
	"  list-set NAME [--priority N] [--alert-level 0|1|2]\n"
	"      Create a list or change its priority and alert level (0 silent, 1 notify,\n"
	"      2 alarm).\n"
	"  export [--list L] [--version N] [-o FILE]\n"
	"      Write a version (default: current) as CSV, to stdout by default.\n"
	"  diff [--list L] FROM TO\n"
	"      Print the changes between two versions: + added, - removed, ~ updated.\n"
	"  keygen PRIV PUB\n"
	"      Create an Ed25519 key pair (PEM files; never overwrites).\n"
	"  sign [--list L] [--version N] --key PRIV -o SIG\n"
	"      Sign a version of a list.\n"
	"  verify SIG --pubkey PUB [--current]\n"
	"      Check a signature file against the database (the version it names).\n"
	"      --current: that version must also be the list's current one. Exit 1 when\n"
	"      it does not hold.\n"
	"  delta [--list L] --from V1 [--to V2] --key PRIV -o FILE\n"
	"      Write a signed delta from V1 to V2 (default: current); --from 0 writes a full\n"
	"      snapshot.\n"
	"  apply DELTA --pubkey PUB\n"
	"      Apply a signed delta atomically. Exit 1 when its signature or base does not\n"
	"      hold; nothing is applied then.\n"
	"  publish --station URL (--creds DIR | --cert PEM --tls-key PEM --ca PEM)\n"
	"      (DELTA | [--list L] --from V1 [--to V2] --key PRIV)\n"
	"      Upload a signed delta to the station with an administrator's certificate\n"
	"      (alpr-station enroll --admin; --creds DIR holds cert.pem, key.pem, ca.pem):\n"
	"      a DELTA file, or one written from this database as `delta` would. Units take\n"
	"      it at their next sync.\n"
	"\n"
	"Options (before or after the command):\n"
	"  --db DIR        the hotlist database folder (every command but keygen and\n"
	"                  publish of a DELTA file)\n"
	"  --policy NAME   the policy profile (default: default)\n"
	"  --json          machine-readable output on stdout\n"
	"  --help          this text\n"
	"\n"
	"Without --list, a command uses the database's only list (or \"default\" when the\n"
	"database has none yet). Exit status: 0 success, 1 a negative answer, 2 an error.\n"
	"See alpr-hotlist(1).\n";

struct ctx {
	const char *db;
	const char *policy_name;
	bool json;
	struct policy *policy;
	struct hotlist *h;
	char list_buf[HOTLIST_LIST_NAME_MAX + 1];
	char last_error[512]; /* the library's last logged error, folded into our one line */
};

static void log_handler(enum alpr_log_level level, const char *subsys, const char *msg,
			void *userdata)
{
	struct ctx *c = userdata;

	if (level >= ALPR_LOG_ERROR) {
		alpr_strlcpy(c->last_error, msg, sizeof(c->last_error));
	} else {
		fprintf(stderr, PROG ": %s: %s\n", level == ALPR_LOG_WARN ? "warning" : "note",
			msg);
	}
}

/* Prints the one error line and returns @status. */
__attribute__((format(printf, 3, 4))) static int fail(const struct ctx *c, int status,
						      const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (c && c->last_error[0]) {
		fprintf(stderr, " (%s)", c->last_error);
	}
	fputc('\n', stderr);
	return status;
}

static int usage_error(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, PROG ": %s%s%s%s%s (try --help)\n", cmd ? cmd : "", cmd ? ": " : "", msg,
		arg ? ": " : "", arg ? arg : "");
	return EXIT_ERROR;
}

/* ---- small parsers ---- */

static bool parse_u64(const char *s, uint64_t *out)
{
	int64_t v;

	if (alpr_parse_int64(s, strlen(s), 0, INT64_MAX, &v) < 0) {
		return false;
	}
	*out = (uint64_t)v;
	return true;
}

static bool parse_int(const char *s, int min, int max, int *out)
{
	int64_t v;

	if (alpr_parse_int64(s, strlen(s), min, max, &v) < 0) {
		return false;
	}
	*out = (int)v;
	return true;
}

/* Upper-cases a two-letter state into @out and checks it. */
static bool parse_state(const char *s, char out[3])
{
	if (strlen(s) != 2) {
		return false;
	}
	for (int i = 0; i < 2; i++) {
		out[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	}
	out[2] = '\0';
	return hotlist_state_valid(out);
}

static bool valid_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t len;
		if (*s < 0x80) {
			s++;
			continue;
		} else if ((*s & 0xe0) == 0xc0 && *s >= 0xc2) {
			len = 2;
		} else if ((*s & 0xf0) == 0xe0) {
			len = 3;
		} else if ((*s & 0xf8) == 0xf0 && *s <= 0xf4) {
			len = 4;
		} else {
			return false;
		}
		for (size_t j = 1; j < len; j++) {
			if ((s[j] & 0xc0) != 0x80) {
				return false;
			}
		}
		s += len;
	}
	return true;
}

static const char *alert_name(int level)
{
	switch (level) {
	case 0:
		return "silent";
	case 1:
		return "notify";
	default:
		return "alarm";
	}
}

/* ---- JSON helpers: output must stay valid JSON whatever the data holds ---- */

/* A JSON string; bytes that are not UTF-8 become U+FFFD rather than dropping the field. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);

	if (!j) {
		size_t n = strlen(s);
		char *fixed = alpr_xmalloc(3 * n + 1), *o = fixed;
		for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
			if (*p < 0x80) {
				*o++ = (char)*p;
			} else {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
			}
		}
		*o = '\0';
		j = json_string(fixed);
		free(fixed);
	}
	return j ? j : json_null();
}

static json_t *jtime(int64_t us)
{
	char buf[ALPR_TIME_BUFSZ];

	return us ? json_string(alpr_time_format(us, buf, sizeof(buf))) : json_null();
}

static json_t *jint_or_null(int v)
{
	return v ? json_integer(v) : json_null();
}

static json_t *entry_json(const struct hotlist_entry *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "list", jstr(e->list));
	json_object_set_new(o, "plate", jstr(e->plate));
	json_object_set_new(o, "plate_raw", jstr(e->plate_raw));
	json_object_set_new(o, "state", jstr(e->state));
	json_object_set_new(o, "plate_type", jstr(e->plate_type));
	json_object_set_new(o, "plate_year", jint_or_null(e->plate_year));
	json_object_set_new(o, "category", jstr(policy_category_name(e->category)));
	json_object_set_new(o, "reason", jstr(e->reason));
	json_object_set_new(o, "make", jstr(e->make));
	json_object_set_new(o, "model", jstr(e->model));
	json_object_set_new(o, "year", jint_or_null(e->year));
	json_object_set_new(o, "color", jstr(e->color));
	json_object_set_new(o, "style", jstr(e->style));
	json_object_set_new(o, "vin", jstr(e->vin));
	json_object_set_new(o, "source", jstr(hotlist_source_name(e->source)));
	json_object_set_new(o, "source_record_id", jstr(e->source_record_id));
	json_object_set_new(o, "agency", jstr(e->agency));
	json_object_set_new(o, "case_number", jstr(e->case_number));
	json_object_set_new(o, "entered_at", jtime(e->entered_at));
	json_object_set_new(o, "effective_at", jtime(e->effective_at));
	json_object_set_new(o, "expires_at", jtime(e->expires_at));
	json_object_set_new(o, "entered_by", jstr(e->entered_by));
	json_object_set_new(o, "covert", json_boolean(e->covert));
	return o;
}

/* Prints @j on one line and drops it. */
static void json_put(json_t *j)
{
	/* Six digits: scores are floats, and %.17g of a float is noise. */
	json_dumpf(j, stdout,
		   JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
	json_decref(j);
}

static void json_print(json_t *j)
{
	json_put(j);
	putchar('\n');
}

/* One entry for people: plate, state, list, category, then what is known. */
static void entry_print(const struct hotlist_entry *e)
{
	char when[ALPR_TIME_BUFSZ];

	printf("%-8s %-2s %-12s %s", e->plate, e->state, e->list,
	       policy_category_name(e->category));
	if (e->reason[0]) {
		printf(" \"%s\"", e->reason);
	}
	if (e->year) {
		printf(" %d", e->year);
	}
	const char *vehicle[] = {e->color, e->make, e->model, e->style};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(vehicle); i++) {
		if (vehicle[i][0]) {
			printf(" %s", vehicle[i]);
		}
	}
	if (e->case_number[0]) {
		printf(" case=%s", e->case_number);
	}
	if (e->source_record_id[0]) {
		printf(" id=%s", e->source_record_id);
	}
	if (e->expires_at) {
		printf(" expires=%s", alpr_time_format(e->expires_at, when, sizeof(when)));
	}
	if (e->covert) {
		fputs(" covert", stdout);
	}
	putchar('\n');
}

/* ---- option parsing shared by every command ---- */

enum {
	OPT_DB = 1000,
	OPT_POLICY,
	OPT_JSON,
	OPT_HELP,
	OPT_LIST,
	OPT_MERGE,
	OPT_SKIP_INVALID,
	OPT_SOURCE,
	OPT_STATE,
	OPT_MAX_SUBST,
	OPT_NO_EDIT,
	OPT_VERSION,
	OPT_KEY,
	OPT_PUBKEY,
	OPT_FROM,
	OPT_TO,
	OPT_PRIORITY,
	OPT_ALERT_LEVEL,
	OPT_PLATE,
	OPT_CATEGORY,
	OPT_REASON,
	OPT_MAKE,
	OPT_MODEL,
	OPT_COLOR,
	OPT_YEAR,
	OPT_STYLE,
	OPT_VIN,
	OPT_PLATE_TYPE,
	OPT_PLATE_YEAR,
	OPT_CASE,
	OPT_RECORD_ID,
	OPT_AGENCY,
	OPT_EFFECTIVE,
	OPT_EXPIRES,
	OPT_ENTERED_BY,
	OPT_COVERT,
	OPT_CURRENT,
	OPT_STATION,
	OPT_CREDS,
	OPT_CERT,
	OPT_TLS_KEY,
	OPT_CA,
	OPT_AUDIT,
	OPT_USER,
};

#define COMMON_OPTIONS                                                                             \
	{"db", required_argument, NULL, OPT_DB}, {"policy", required_argument, NULL, OPT_POLICY},  \
		{"json", no_argument, NULL, OPT_JSON}, {"help", no_argument, NULL, OPT_HELP},      \
	{                                                                                          \
		NULL, 0, NULL, 0                                                                   \
	}

/* getopt_long over a command's own arguments (argv[0] is the command name). Returns the
 * option, 0 at the end (positional arguments from *optind on), or -1 after printing a
 * usage error (*status set). Handles the common options itself. */
static int next_opt(struct ctx *c, int argc, char **argv, const struct option *opts,
		    const char *shortopts, int *status)
{
	for (;;) {
		int o = getopt_long(argc, argv, shortopts, opts, NULL);
		switch (o) {
		case -1:
			return 0;
		case OPT_DB:
			c->db = optarg;
			break;
		case OPT_POLICY:
			c->policy_name = optarg;
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_HELP:
		case 'h':
			fputs(usage_text, stdout);
			*status = 0;
			return -1;
		case ':':
			*status = usage_error(argv[0], "option needs a value", argv[optind - 1]);
			return -1;
		case '?':
			*status = usage_error(argv[0], "unknown option", argv[optind - 1]);
			return -1;
		default:
			return o;
		}
	}
}

/* Opens the policy and the database. */
static int ctx_open(struct ctx *c, bool read_only)
{
	char err[512];
	struct hotlist_options ho = {0};
	int r;

	if (!c->db) {
		return usage_error(NULL, "--db DIR is required", NULL);
	}
	r = policy_load_named(c->policy_name, &c->policy, err, sizeof(err));
	if (r < 0) {
		return fail(c, EXIT_ERROR, "policy %s: %s", c->policy_name,
			    r == -ALPR_E_PARSE ? err : alpr_strerror(r));
	}
	ho.policy = c->policy;
	ho.read_only = read_only;
	r = hotlist_open(c->db, &ho, &c->h);
	if (r == -ENOENT) {
		return fail(c, EXIT_ERROR, "%s: no hotlist database here (import or add first)",
			    c->db);
	} else if (r < 0) {
		return fail(c, EXIT_ERROR, "%s: %s", c->db, alpr_strerror(r));
	}
	return 0;
}

/* The list a command works on: @given, else the database's only list, else "default" when
 * the database has no list yet and @create_ok. */
static int resolve_list(struct ctx *c, const char *given, bool create_ok, const char **out)
{
	static struct hotlist_list_info infos[LISTS_MAX];
	int n;

	if (given) {
		if (!hotlist_list_name_valid(given)) {
			return fail(c, EXIT_ERROR,
				    "--list: '%s' is not a list name (a-z 0-9 - _, up to %d)",
				    given, HOTLIST_LIST_NAME_MAX);
		}
		*out = given;
		return 0;
	}
	n = hotlist_lists(c->h, infos, LISTS_MAX);
	if (n < 0) {
		return fail(c, EXIT_ERROR, "%s: %s", c->db, alpr_strerror(n));
	}
	if (n == 1) {
		alpr_strlcpy(c->list_buf, infos[0].name, sizeof(c->list_buf));
		*out = c->list_buf;
		return 0;
	}
	if (n == 0 && create_ok) {
		*out = "default";
		return 0;
	}
	if (n == 0) {
		return fail(c, EXIT_ERROR, "%s: the database has no lists", c->db);
	}
	return fail(c, EXIT_ERROR, "--list: required, the database has %d lists", n);
}

static int list_error(struct ctx *c, const char *list, int r)
{
	if (r == -ENOENT) {
		return fail(c, EXIT_ERROR, "list %s: no such list or version", list);
	}
	return fail(c, EXIT_ERROR, "list %s: %s", list, alpr_strerror(r));
}

/* Checks that @version (0: current) of @list is kept, before anything is printed: output
 * that stops half way would look like a result. */
static int check_version(struct ctx *c, const char *list, uint64_t version)
{
	uint64_t oldest, cur;
	int r = hotlist_versions(c->h, list, &oldest, &cur);

	if (r < 0) {
		return list_error(c, list, r);
	}
	if (version > cur || (version != 0 && version < oldest)) {
		return fail(c, EXIT_ERROR,
			    "list %s: version %" PRIu64 " is not kept (versions %" PRIu64
			    " to %" PRIu64 ")",
			    list, version, ALPR_MAX(oldest, UINT64_C(1)), cur);
	}
	return 0;
}

/* ---- import ---- */

struct import_ui {
	struct ctx *c;
	bool skip_invalid;
	bool tty;
	bool shown;
	const char *path;
	int64_t start_us;
	uint64_t calls;
	char *held[REPORTS_MAX]; /* reports held back until the import ends */
	size_t nheld;
};

static void import_progress(uint64_t done, uint64_t total, void *userdata)
{
	struct import_ui *ui = userdata;

	if (!ui->tty) {
		return;
	}
	if (done >= total) {
		/* Parsing is done; the database write that follows reports no progress. */
		if (ui->shown) {
			fprintf(stderr,
				"\r" PROG ": importing %s: 100%%, writing the database\033[K",
				ui->path);
			fflush(stderr);
		}
		return;
	}
	/* The library calls every 100,000 rows. */
	ui->calls++;
	uint64_t rows = ui->calls * 100000;
	double secs = (double)(alpr_monotonic_us() - ui->start_us) / 1e6;
	fprintf(stderr, "\r" PROG ": importing %s: %3.0f%% %" PRIu64 " rows, %.0f rows/s\033[K",
		ui->path, total ? 100.0 * (double)done / (double)total : 0.0, rows,
		secs > 0 ? (double)rows / secs : 0.0);
	fflush(stderr);
	ui->shown = true;
}

static void import_report(const char *line, void *userdata)
{
	struct import_ui *ui = userdata;

	if (ui->shown) {
		fputs("\r\033[K", stderr);
		ui->shown = false;
	}
	if (ui->skip_invalid) {
		/* Skipped rows and header warnings as they come. */
		fprintf(stderr, PROG ": %s\n", line);
	} else if (ui->nheld < REPORTS_MAX) {
		/* Without --skip-invalid the failing row is also the import's error: hold the
		 * reports so that it is printed once. */
		ui->held[ui->nheld++] = alpr_xstrdup(line);
	}
}

/* --audit DIR: the log a desktop or station keeps of its imports. A new log's device id is
 * "desktop"; an existing one keeps its own. */
static int import_audit_open(struct ctx *c, const char *dir, struct audit **out)
{
	char probe[PATH_MAX];
	struct stat st;
	snprintf(probe, sizeof(probe), "%s/data.mdb", dir);
	struct audit_open_opts ao = {.device_id = stat(probe, &st) == 0 ? NULL : "desktop"};
	int r = audit_open(dir, &ao, out);
	if (r < 0) {
		return fail(c, EXIT_ERROR, "--audit %s: %s", dir, alpr_strerror(r));
	}
	return 0;
}

struct cat_counts {
	uint64_t n[POLICY_CAT_COUNT];
};

static int count_category(const struct hotlist_entry *e, void *userdata)
{
	struct cat_counts *cc = userdata;
	if ((unsigned)e->category < POLICY_CAT_COUNT) {
		cc->n[e->category]++;
	}
	return 0;
}

/* One "hotlist.import" record by @user (allowed, or denied when the import failed), and on
 * success the report's "hotlist.load" (entries per category loaded, and refused). Counts and
 * names only: no entry, no plate. */
static int import_audit(struct ctx *c, struct audit *log, const char *user, const char *list,
			const struct hotlist_import_result *res, int import_r)
{
	char who[64], obj[64], reason[128];
	if (!user) {
		const struct passwd *pw = getpwuid(getuid());
		snprintf(who, sizeof(who), "%s", pw && pw->pw_name ? pw->pw_name : "unknown");
		user = who;
	}
	json_t *o =
		json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "list", list, "rows",
			  (json_int_t)res->rows, "added", (json_int_t)res->added, "updated",
			  (json_int_t)res->updated, "removed", (json_int_t)res->removed, "refused",
			  (json_int_t)res->refused, "rejected", (json_int_t)res->rejected);
	char *params = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	snprintf(obj, sizeof(obj), "%s:%" PRIu64, list, res->version);
	snprintf(reason, sizeof(reason), "import: %s", alpr_strerror(import_r));
	struct audit_record rec = {
		.user = user,
		.role = "administrator",
		.action = "hotlist.import",
		.params = params,
		.object_id = import_r < 0 ? NULL : obj,
		.result_count = res->added + res->updated,
		.outcome = import_r < 0 ? AUDIT_DENIED : AUDIT_ALLOWED,
		.reason = import_r < 0 ? reason : NULL,
	};
	memcpy(rec.profile_hash, policy_hash(c->policy), sizeof(rec.profile_hash));
	int r = audit_append(log, &rec, NULL);
	free(params);
	if (r == 0 && import_r == 0) {
		struct cat_counts loaded = {{0}};
		r = hotlist_foreach(c->h, list, "", count_category, &loaded);
		if (r == 0) {
			r = report_record_hotlist_load(log, c->policy, list, res->version, loaded.n,
						       res->refused_by_category);
		}
	}
	if (r == 0) {
		r = audit_checkpoint(log);
	}
	return r;
}

static int cmd_import(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", required_argument, NULL, OPT_LIST},
		{"merge", no_argument, NULL, OPT_MERGE},
		{"skip-invalid", no_argument, NULL, OPT_SKIP_INVALID},
		{"source", required_argument, NULL, OPT_SOURCE},
		{"audit", required_argument, NULL, OPT_AUDIT},
		{"user", required_argument, NULL, OPT_USER},
		COMMON_OPTIONS,
	};
	const char *audit_dir = NULL, *user = NULL;
	struct hotlist_import_options io = {.mode = HOTLIST_IMPORT_REPLACE,
					    .default_source = HOTLIST_SOURCE_LOCAL};
	struct hotlist_import_result res;
	struct import_ui ui = {.c = c};
	const char *list = NULL;
	int o, status = 0, r;

	while ((o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
		if (o == OPT_LIST) {
			list = optarg;
		} else if (o == OPT_MERGE) {
			io.mode = HOTLIST_IMPORT_MERGE;
		} else if (o == OPT_SKIP_INVALID) {
			io.skip_invalid = true;
		} else if (o == OPT_AUDIT) {
			audit_dir = optarg;
		} else if (o == OPT_USER) {
			user = optarg;
		} else if (o == OPT_SOURCE) {
			int s = hotlist_source_from_name(optarg, strlen(optarg));
			if (s < 0) {
				return usage_error(argv[0],
						   "--source: not ncic, state, local or officer",
						   optarg);
			}
			io.default_source = (enum hotlist_source)s;
		}
	}
	if (o < 0) {
		return status;
	}
	if (argc - optind != 1) {
		return usage_error(argv[0], "expects one FILE", NULL);
	}
	ui.path = argv[optind];
	if ((r = ctx_open(c, false)) != 0 || (r = resolve_list(c, list, true, &list)) != 0) {
		return r;
	}
	/* The log opens first: an import it could not record is not started. */
	struct audit *log = NULL;
	if (audit_dir && (r = import_audit_open(c, audit_dir, &log)) != 0) {
		return r;
	}
	ui.skip_invalid = io.skip_invalid;
	ui.tty = isatty(STDERR_FILENO) == 1;
	ui.start_us = alpr_monotonic_us();
	io.list = list;
	io.progress = import_progress;
	io.report = import_report;
	io.userdata = &ui;
	r = hotlist_import_csv(c->h, ui.path, &io, &res);
	if (ui.shown) {
		fputs("\r\033[K", stderr);
	}
	for (size_t i = 0; i < ui.nheld; i++) {
		if (r == 0 || strcmp(ui.held[i], res.error) != 0) {
			fprintf(stderr, PROG ": %s\n", ui.held[i]);
		}
		free(ui.held[i]);
	}
	if (log) {
		int ra = import_audit(c, log, user, list, &res, r);
		audit_close(log);
		if (ra < 0) {
			return fail(c, EXIT_ERROR, "%s: %s: the import %s but is not in the log",
				    audit_dir, alpr_strerror(ra), r < 0 ? "failed" : "is done");
		}
	}
	if (r < 0) {
		return fail(c, EXIT_ERROR, "%s", res.error[0] ? res.error : alpr_strerror(r));
	}
	if (c->json) {
		json_print(json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "file",
				     ui.path, "list", list, "version", (json_int_t)res.version,
				     "rows", (json_int_t)res.rows, "added", (json_int_t)res.added,
				     "updated", (json_int_t)res.updated, "unchanged",
				     (json_int_t)res.unchanged, "removed", (json_int_t)res.removed,
				     "refused", (json_int_t)res.refused, "rejected",
				     (json_int_t)res.rejected));
	} else {
		printf("%s: list %s version %" PRIu64 ": %" PRIu64 " rows, %" PRIu64
		       " added, %" PRIu64 " updated, %" PRIu64 " unchanged, %" PRIu64
		       " removed, %" PRIu64 " refused by policy %s, %" PRIu64 " rejected\n",
		       ui.path, list, res.version, res.rows, res.added, res.updated, res.unchanged,
		       res.removed, res.refused, policy_name(c->policy), res.rejected);
	}
	return 0;
}

/* ---- add, remove ---- */

static int set_text(struct ctx *c, char *dst, size_t cap, const char *val, const char *field)
{
	if (strlen(val) >= cap) {
		return fail(c, EXIT_ERROR, "%s: longer than %zu characters", field, cap - 1);
	}
	if (!valid_utf8(val)) {
		return fail(c, EXIT_ERROR, "%s: not UTF-8 text", field);
	}
	alpr_strlcpy(dst, val, cap);
	return 0;
}

static int set_time(struct ctx *c, int64_t *dst, const char *val, const char *field)
{
	int64_t us;

	if (alpr_time_parse(val, strlen(val), &us) < 0) {
		return fail(c, EXIT_ERROR, "%s: '%s' is not an ISO 8601 date or time", field, val);
	}
	/* Whole seconds, as an import stores them (the canonical form has no fractions). */
	*dst = us - us % ALPR_USEC_PER_SEC;
	return 0;
}

static int cmd_add(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", required_argument, NULL, OPT_LIST},
		{"plate", required_argument, NULL, OPT_PLATE},
		{"state", required_argument, NULL, OPT_STATE},
		{"category", required_argument, NULL, OPT_CATEGORY},
		{"reason", required_argument, NULL, OPT_REASON},
		{"make", required_argument, NULL, OPT_MAKE},
		{"model", required_argument, NULL, OPT_MODEL},
		{"color", required_argument, NULL, OPT_COLOR},
		{"colour", required_argument, NULL, OPT_COLOR},
		{"year", required_argument, NULL, OPT_YEAR},
		{"style", required_argument, NULL, OPT_STYLE},
		{"vin", required_argument, NULL, OPT_VIN},
		{"plate-type", required_argument, NULL, OPT_PLATE_TYPE},
		{"plate-year", required_argument, NULL, OPT_PLATE_YEAR},
		{"case", required_argument, NULL, OPT_CASE},
		{"record-id", required_argument, NULL, OPT_RECORD_ID},
		{"agency", required_argument, NULL, OPT_AGENCY},
		{"source", required_argument, NULL, OPT_SOURCE},
		{"effective", required_argument, NULL, OPT_EFFECTIVE},
		{"expires", required_argument, NULL, OPT_EXPIRES},
		{"entered-by", required_argument, NULL, OPT_ENTERED_BY},
		{"covert", no_argument, NULL, OPT_COVERT},
		COMMON_OPTIONS,
	};
	struct hotlist_entry e = {0};
	const char *list = NULL, *plate = NULL, *category = NULL;
	char err[512];
	uint64_t version;
	int o = 0, status = 0, r = 0;

	alpr_strlcpy(e.state, "??", sizeof(e.state));
	e.source = HOTLIST_SOURCE_LOCAL;
	while (r == 0 && (o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
		switch (o) {
		case OPT_LIST:
			list = optarg;
			break;
		case OPT_PLATE:
			plate = optarg;
			break;
		case OPT_CATEGORY:
			category = optarg;
			break;
		case OPT_STATE:
			if (!parse_state(optarg, e.state)) {
				r = fail(c, EXIT_ERROR,
					 "state: '%s' is not a USPS or province code", optarg);
			}
			break;
		case OPT_REASON:
			r = set_text(c, e.reason, sizeof(e.reason), optarg, "reason");
			break;
		case OPT_MAKE:
			r = set_text(c, e.make, sizeof(e.make), optarg, "make");
			break;
		case OPT_MODEL:
			r = set_text(c, e.model, sizeof(e.model), optarg, "model");
			break;
		case OPT_COLOR:
			r = set_text(c, e.color, sizeof(e.color), optarg, "color");
			break;
		case OPT_STYLE:
			r = set_text(c, e.style, sizeof(e.style), optarg, "style");
			break;
		case OPT_VIN:
			r = set_text(c, e.vin, sizeof(e.vin), optarg, "vin");
			break;
		case OPT_PLATE_TYPE:
			r = set_text(c, e.plate_type, sizeof(e.plate_type), optarg, "plate_type");
			break;
		case OPT_CASE:
			r = set_text(c, e.case_number, sizeof(e.case_number), optarg,
				     "case_number");
			break;
		case OPT_RECORD_ID:
			r = set_text(c, e.source_record_id, sizeof(e.source_record_id), optarg,
				     "source_record_id");
			break;
		case OPT_AGENCY:
			r = set_text(c, e.agency, sizeof(e.agency), optarg, "agency");
			break;
		case OPT_ENTERED_BY:
			r = set_text(c, e.entered_by, sizeof(e.entered_by), optarg, "entered_by");
			break;
		case OPT_YEAR:
			if (!parse_int(optarg, 1900, 2100, &e.year)) {
				r = fail(c, EXIT_ERROR, "year: '%s' is not a year", optarg);
			}
			break;
		case OPT_PLATE_YEAR:
			if (!parse_int(optarg, 1900, 2100, &e.plate_year)) {
				r = fail(c, EXIT_ERROR, "plate_year: '%s' is not a year", optarg);
			}
			break;
		case OPT_SOURCE: {
			int s = hotlist_source_from_name(optarg, strlen(optarg));
			if (s < 0) {
				r = fail(c, EXIT_ERROR,
					 "source: '%s' is not ncic, state, local or officer",
					 optarg);
			} else {
				e.source = (enum hotlist_source)s;
			}
			break;
		}
		case OPT_EFFECTIVE:
			r = set_time(c, &e.effective_at, optarg, "effective_at");
			break;
		case OPT_EXPIRES:
			r = set_time(c, &e.expires_at, optarg, "expires_at");
			break;
		case OPT_COVERT:
			e.covert = true;
			break;
		}
	}
	if (r != 0) {
		return r;
	}
	if (o < 0) {
		return status;
	}
	if (optind != argc) {
		return usage_error(argv[0], "unexpected argument", argv[optind]);
	}
	if (!plate || !category) {
		return usage_error(argv[0],
				   !plate ? "--plate is required" : "--category is required", NULL);
	}
	if (strlen(plate) > HOTLIST_PLATE_RAW_MAX ||
	    hotlist_normalize_plate(plate, strlen(plate), e.plate) < 0) {
		return fail(c, EXIT_ERROR,
			    "plate: '%s' is not a plate (1 to %d letters and digits)", plate,
			    HOTLIST_PLATE_MAX);
	}
	alpr_strlcpy(e.plate_raw, plate, sizeof(e.plate_raw));
	int cat = policy_category_from_name(category, strlen(category));
	if (cat < 0) {
		return fail(c, EXIT_ERROR, "category: '%s' is not a known category", category);
	}
	e.category = (enum policy_category)cat;
	if ((r = ctx_open(c, false)) != 0 || (r = resolve_list(c, list, true, &list)) != 0) {
		return r;
	}
	alpr_strlcpy(e.list, list, sizeof(e.list));
	int64_t now = alpr_clock_now(NULL);
	e.entered_at = now - now % ALPR_USEC_PER_SEC;
	err[0] = '\0';
	r = hotlist_add(c->h, &e, &version, err, sizeof(err));
	if (r < 0) {
		return fail(c, EXIT_ERROR, "%s", err[0] ? err : alpr_strerror(r));
	}
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "list", jstr(list));
		json_object_set_new(j, "version", json_integer((json_int_t)version));
		json_object_set_new(j, "entry", entry_json(&e));
		json_print(j);
	} else {
		printf("added %s %s to list %s (version %" PRIu64 ")\n", e.plate, e.state, list,
		       version);
	}
	return 0;
}

static int cmd_remove(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", required_argument, NULL, OPT_LIST},
		{"plate", required_argument, NULL, OPT_PLATE},
		{"state", required_argument, NULL, OPT_STATE},
		COMMON_OPTIONS,
	};
	const char *list = NULL, *plate = NULL;
	char state[3] = "";
	uint64_t version;
	int o, status = 0, r;

	while ((o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
		if (o == OPT_LIST) {
			list = optarg;
		} else if (o == OPT_PLATE) {
			plate = optarg;
		} else if (o == OPT_STATE && !parse_state(optarg, state)) {
			return fail(c, EXIT_ERROR, "state: '%s' is not a USPS or province code",
				    optarg);
		}
	}
	if (o < 0) {
		return status;
	}
	if (!plate && optind < argc) {
		plate = argv[optind++];
	}
	if (!plate || optind != argc) {
		return usage_error(argv[0], "expects one PLATE", NULL);
	}
	if ((r = ctx_open(c, false)) != 0 || (r = resolve_list(c, list, false, &list)) != 0) {
		return r;
	}
	r = hotlist_remove(c->h, list, plate, state[0] ? state : NULL, &version);
	if (r == -ENOENT) {
		fail(c, 0, "remove: %s%s%s: not in list %s", plate, state[0] ? " " : "", state,
		     list);
		return EXIT_NEGATIVE;
	} else if (r == -EINVAL) {
		return fail(c, EXIT_ERROR, "plate: '%s' is not a plate", plate);
	} else if (r < 0) {
		return list_error(c, list, r);
	}
	if (c->json) {
		json_print(json_pack("{s:s, s:I}", "list", list, "version", (json_int_t)version));
	} else {
		printf("removed %s%s%s from list %s (version %" PRIu64 ")\n", plate,
		       state[0] ? " " : "", state, list, version);
	}
	return 0;
}

/* ---- search ---- */

struct search_state {
	bool json;
	uint64_t n;
};

static int search_one(const struct hotlist_entry *e, void *userdata)
{
	struct search_state *s = userdata;

	if (s->json) {
		/* Streamed: a list may hold millions of entries. */
		fputs(s->n ? "," : "", stdout);
		json_put(entry_json(e));
	} else {
		entry_print(e);
	}
	s->n++;
	return ferror(stdout) ? -EIO : 0;
}

static int cmd_search(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", required_argument, NULL, OPT_LIST},
		COMMON_OPTIONS,
	};
	struct search_state s = {0};
	const char *list = NULL, *prefix = "";
	char norm[HOTLIST_PLATE_MAX + 1];
	int o, status = 0, r;

	while ((o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
		if (o == OPT_LIST) {
			list = optarg;
		}
	}
	if (o < 0) {
		return status;
	}
	if (argc - optind > 1) {
		return usage_error(argv[0], "expects one PREFIX", NULL);
	}
	if (optind < argc) {
		prefix = argv[optind];
	}
	if (prefix[0] && (strlen(prefix) > HOTLIST_PLATE_RAW_MAX ||
			  hotlist_normalize_plate(prefix, strlen(prefix), norm) < 0)) {
		return fail(c, EXIT_ERROR, "prefix: '%s' is not the start of a plate", prefix);
	}
	if (list && !hotlist_list_name_valid(list)) {
		return fail(c, EXIT_ERROR, "--list: '%s' is not a list name", list);
	}
	if ((r = ctx_open(c, true)) != 0) {
		return r;
	}
	s.json = c->json;
	if (s.json) {
		fputs("{\"entries\":[", stdout);
	}
	r = hotlist_foreach(c->h, list, prefix, search_one, &s);
	if (s.json) {
		fputs("]}\n", stdout);
	}
	if (r < 0) {
		return fail(c, EXIT_ERROR, "search: %s", alpr_strerror(r));
	}
	return 0;
}

/* ---- match ---- */

static json_t *match_json(const struct hotlist_match *m)
{
	json_t *o = json_object(), *pos = json_array();

	for (int i = 0; i < m->npositions; i++) {
		json_array_append_new(pos, json_integer(m->positions[i]));
	}
	json_object_set_new(o, "read", jstr(m->read_plate));
	json_object_set_new(o, "plate", jstr(m->entry.plate));
	json_object_set_new(o, "state", jstr(m->entry.state));
	json_object_set_new(o, "category", jstr(policy_category_name(m->entry.category)));
	json_object_set_new(o, "list", jstr(m->entry.list));
	json_object_set_new(o, "kind", jstr(hotlist_match_kind_name(m->kind)));
	json_object_set_new(o, "positions", pos);
	json_object_set_new(o, "state_mismatch", json_boolean(m->state_mismatch));
	json_object_set_new(o, "state_unconfirmed", json_boolean(m->state_unconfirmed));
	if (m->kind == HOTLIST_MATCH_EDIT) {
		json_object_set_new(o, "edit_missing", json_boolean(m->edit_missing));
	}
	json_object_set_new(o, "priority", json_integer(m->list.priority));
	json_object_set_new(o, "alert_level", json_integer(m->list.alert_level));
	json_object_set_new(o, "score", json_real(m->score));
	json_object_set_new(o, "entry", entry_json(&m->entry));
	return o;
}

static void match_print(const struct hotlist_match *m)
{
	printf("%-8s -> %-8s %-2s list=%s (%s) %s %s", m->read_plate, m->entry.plate,
	       m->entry.state, m->list.name, alert_name(m->list.alert_level),
	       policy_category_name(m->entry.category), hotlist_match_kind_name(m->kind));
	if (m->npositions > 0) {
		printf(" at %d", m->positions[0]);
		for (int i = 1; i < m->npositions; i++) {
			printf(",%d", m->positions[i]);
		}
		if (m->kind == HOTLIST_MATCH_EDIT) {
			fputs(m->edit_missing ? " (missing from the read)" : " (extra in the read)",
			      stdout);
		}
	}
	if (m->state_mismatch) {
		fputs(" STATE MISMATCH", stdout);
	} else if (m->state_unconfirmed) {
		fputs(" state unconfirmed", stdout);
	}
	if (m->entry.reason[0]) {
		printf(" \"%s\"", m->entry.reason);
	}
	putchar('\n');
}

static int cmd_match(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"state", required_argument, NULL, OPT_STATE},
		{"max-subst", required_argument, NULL, OPT_MAX_SUBST},
		{"no-edit", no_argument, NULL, OPT_NO_EDIT},
		COMMON_OPTIONS,
	};
	static struct hotlist_match found[HOTLIST_MATCH_MAX];
	struct hotlist_match_options mo = {.max_substitutions = 1};
	char state[3] = "", norm[HOTLIST_PLATE_MAX + 1];
	json_t *all = NULL;
	int o, status = 0, r, total = 0;

	while ((o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
		if (o == OPT_STATE && !parse_state(optarg, state)) {
			return fail(c, EXIT_ERROR, "state: '%s' is not a USPS or province code",
				    optarg);
		} else if (o == OPT_MAX_SUBST && !parse_int(optarg, 0, 2, &mo.max_substitutions)) {
			return usage_error(argv[0], "--max-subst: not 0, 1 or 2", optarg);
		} else if (o == OPT_NO_EDIT) {
			mo.no_edit = true;
		}
	}
	if (o < 0) {
		return status;
	}
	if (optind == argc) {
		return usage_error(argv[0], "expects at least one PLATE", NULL);
	}
	for (int i = optind; i < argc; i++) {
		if (strlen(argv[i]) > HOTLIST_PLATE_RAW_MAX ||
		    hotlist_normalize_plate(argv[i], strlen(argv[i]), norm) < 0) {
			return fail(c, EXIT_ERROR,
				    "plate: '%s' is not a plate (1 to %d letters and "
				    "digits)",
				    argv[i], HOTLIST_PLATE_MAX);
		}
	}
	if ((r = ctx_open(c, true)) != 0) {
		return r;
	}
	if (c->json) {
		all = json_array();
	}
	/* Each PLATE is a read of its own (one candidate, full confidence). */
	for (int i = optind; i < argc; i++) {
		struct hotlist_candidate cand = {argv[i], 1.0f};
		int n = hotlist_match(c->h, &cand, 1, state[0] ? state : NULL, &mo, found,
				      HOTLIST_MATCH_MAX);
		if (n < 0) {
			json_decref(all);
			return fail(c, EXIT_ERROR, "match %s: %s", argv[i], alpr_strerror(n));
		}
		for (int k = 0; k < n; k++) {
			if (all) {
				json_array_append_new(all, match_json(&found[k]));
			} else {
				match_print(&found[k]);
			}
		}
		if (n == 0 && !all) {
			hotlist_normalize_plate(argv[i], strlen(argv[i]), norm);
			printf("%-8s no match\n", norm);
		}
		total += n;
	}
	if (all) {
		json_t *j = json_object();
		json_object_set_new(j, "matches", all);
		json_print(j);
	}
	return total > 0 ? 0 : EXIT_NEGATIVE;
}

/* ---- stats, lists, list-set ---- */

/* The start of a command that takes no arguments: the common options, no argument, the
 * database opened. True: go on; false: return *exit (help was printed, or an error). */
static bool start_without_args(struct ctx *c, int argc, char **argv, bool read_only, int *exit)
{
	static const struct option opts[] = {COMMON_OPTIONS};
	int o, status = 0;

	while ((o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
	}
	if (o < 0) {
		*exit = status;
		return false;
	}
	if (optind != argc) {
		*exit = usage_error(argv[0], "unexpected argument", argv[optind]);
		return false;
	}
	*exit = ctx_open(c, read_only);
	return *exit == 0;
}

static int cmd_stats(struct ctx *c, int argc, char **argv)
{
	struct hotlist_stats st;
	int r;

	if (!start_without_args(c, argc, argv, true, &r)) {
		return r;
	}
	r = hotlist_stats(c->h, &st);
	if (r < 0) {
		return fail(c, EXIT_ERROR, "stats: %s", alpr_strerror(r));
	}
	if (c->json) {
		json_t *cats = json_object();
		for (int i = 0; i < POLICY_CAT_COUNT; i++) {
			json_object_set_new(cats, policy_category_name((enum policy_category)i),
					    json_integer((json_int_t)st.by_category[i]));
		}
		json_print(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:s}", "entries",
				     (json_int_t)st.entries, "lists", (json_int_t)st.lists,
				     "expired", (json_int_t)st.expired, "not_yet_effective",
				     (json_int_t)st.not_yet, "db_bytes", (json_int_t)st.db_bytes,
				     "map_bytes", (json_int_t)st.map_bytes, "by_category", cats,
				     "policy", policy_name(c->policy)));
		return 0;
	}
	printf("entries:           %" PRIu64 "\n", st.entries);
	printf("lists:             %" PRIu64 "\n", st.lists);
	printf("expired:           %" PRIu64 "\n", st.expired);
	printf("not yet effective: %" PRIu64 "\n", st.not_yet);
	printf("database:          %.1f MiB in use\n", (double)st.db_bytes / (1024.0 * 1024.0));
	printf("policy:            %s\n", policy_name(c->policy));
	printf("by category:\n");
	for (int i = 0; i < POLICY_CAT_COUNT; i++) {
		if (st.by_category[i]) {
			printf("  %-22s %" PRIu64 "\n",
			       policy_category_name((enum policy_category)i), st.by_category[i]);
		}
	}
	return 0;
}

static void format_age(int64_t us, char *buf, size_t n)
{
	int64_t s = us / ALPR_USEC_PER_SEC;

	if (s < 0) {
		snprintf(buf, n, "future");
	} else if (s < 60) {
		snprintf(buf, n, "%llds", (long long)s);
	} else if (s < 3600) {
		snprintf(buf, n, "%lldm", (long long)(s / 60));
	} else if (s < 86400) {
		snprintf(buf, n, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	} else {
		snprintf(buf, n, "%lldd%02lldh", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600));
	}
}

static int cmd_lists(struct ctx *c, int argc, char **argv)
{
	static struct hotlist_list_info infos[LISTS_MAX];
	int r, n;

	if (!start_without_args(c, argc, argv, true, &r)) {
		return r;
	}
	n = hotlist_lists(c->h, infos, LISTS_MAX);
	if (n < 0) {
		return fail(c, EXIT_ERROR, "lists: %s", alpr_strerror(n));
	}
	n = ALPR_MIN(n, LISTS_MAX);
	int64_t now = alpr_clock_now(NULL), max_age = policy_max_hotlist_age_us(c->policy);
	json_t *arr = c->json ? json_array() : NULL;
	if (!arr) {
		printf("%-20s %8s %10s %8s %-6s %s\n", "LIST", "VERSION", "ENTRIES", "PRIORITY",
		       "ALERT", "AGE");
	}
	for (int i = 0; i < n; i++) {
		const struct hotlist_list_info *l = &infos[i];
		int64_t age = now - l->generated_at;
		bool stale = max_age > 0 && age > max_age;
		char hex[65], agebuf[32];
		uint64_t oldest = 0, cur = 0;
		hotlist_versions(c->h, l->name, &oldest, &cur);
		if (arr) {
			alpr_hex_encode(l->digest, sizeof(l->digest), hex);
			json_array_append_new(
				arr, json_pack("{s:s, s:I, s:I, s:I, s:i, s:i, s:s, s:o, s:I, "
					       "s:b, s:s}",
					       "name", l->name, "version", (json_int_t)l->version,
					       "oldest_version",
					       (json_int_t)ALPR_MAX(oldest, UINT64_C(1)),
					       "entry_count", (json_int_t)l->entry_count,
					       "priority", l->priority, "alert_level",
					       l->alert_level, "alert", alert_name(l->alert_level),
					       "generated_at", jtime(l->generated_at),
					       "age_seconds", (json_int_t)(age / ALPR_USEC_PER_SEC),
					       "stale", stale, "digest", hex));
		} else {
			format_age(age, agebuf, sizeof(agebuf));
			printf("%-20s %8" PRIu64 " %10" PRIu64 " %8d %-6s %s%s\n", l->name,
			       l->version, l->entry_count, l->priority, alert_name(l->alert_level),
			       agebuf, stale ? " (stale)" : "");
		}
	}
	if (arr) {
		json_t *j = json_object();
		json_object_set_new(j, "lists", arr);
		json_print(j);
	}
	return 0;
}

static int cmd_list_set(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"priority", required_argument, NULL, OPT_PRIORITY},
		{"alert-level", required_argument, NULL, OPT_ALERT_LEVEL},
		COMMON_OPTIONS,
	};
	struct hotlist_list_info info;
	const char *prio_s = NULL, *alert_s = NULL, *name;
	int o, status = 0, r, prio = 0, alert = 2;

	while ((o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
		if (o == OPT_PRIORITY) {
			prio_s = optarg;
		} else if (o == OPT_ALERT_LEVEL) {
			alert_s = optarg;
		}
	}
	if (o < 0) {
		return status;
	}
	if (argc - optind != 1) {
		return usage_error(argv[0], "expects one NAME", NULL);
	}
	name = argv[optind];
	if (!prio_s && !alert_s) {
		return usage_error(argv[0], "give --priority, --alert-level or both", NULL);
	}
	if (!hotlist_list_name_valid(name)) {
		return fail(c, EXIT_ERROR, "list: '%s' is not a list name (a-z 0-9 - _, up to %d)",
			    name, HOTLIST_LIST_NAME_MAX);
	}
	if (prio_s && !parse_int(prio_s, -1000, 1000, &prio)) {
		return usage_error(argv[0], "--priority: not a number from -1000 to 1000", prio_s);
	}
	if (alert_s && !parse_int(alert_s, 0, 2, &alert)) {
		if (strcmp(alert_s, "silent") == 0) {
			alert = 0;
		} else if (strcmp(alert_s, "notify") == 0) {
			alert = 1;
		} else if (strcmp(alert_s, "alarm") == 0) {
			alert = 2;
		} else {
			return usage_error(argv[0], "--alert-level: not 0, 1 or 2", alert_s);
		}
	}
	if ((r = ctx_open(c, false)) != 0) {
		return r;
	}
	/* An option not given keeps the list's current value. */
	r = hotlist_list_get(c->h, name, &info);
	if (r == 0) {
		prio = prio_s ? prio : info.priority;
		alert = alert_s ? alert : info.alert_level;
	} else if (r != -ENOENT) {
		return list_error(c, name, r);
	}
	r = hotlist_list_set(c->h, name, prio, alert);
	if (r == 0) {
		r = hotlist_list_get(c->h, name, &info);
	}
	if (r < 0) {
		return list_error(c, name, r);
	}
	if (c->json) {
		json_print(json_pack("{s:s, s:I, s:i, s:i}", "name", name, "version",
				     (json_int_t)info.version, "priority", info.priority,
				     "alert_level", info.alert_level));
	} else {
		printf("list %s: priority %d, alert level %d (%s), version %" PRIu64 "\n", name,
		       info.priority, info.alert_level, alert_name(info.alert_level), info.version);
	}
	return 0;
}

/* ---- export, diff ---- */

/* Writes the export to a temporary file next to @path and renames it into place, so a
 * failed export never leaves a half file where a good one was. */
static int export_to_file(struct ctx *c, const char *list, uint64_t version, const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp)) {
		return fail(c, EXIT_ERROR, "%s: path too long", path);
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		return fail(c, EXIT_ERROR, "%s: %s", path, alpr_strerror(-errno));
	}
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return fail(c, EXIT_ERROR, "%s: %s", path, alpr_strerror(r));
	}
	r = hotlist_export_csv(c->h, list, version, f);
	if (r == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
		r = -errno;
	}
	if (fclose(f) != 0 && r == 0) {
		r = -errno;
	}
	if (r == 0 && rename(tmp, path) != 0) {
		r = -errno;
	}
	if (r < 0) {
		unlink(tmp);
		if (r == -ENOENT) {
			return list_error(c, list, r);
		}
		return fail(c, EXIT_ERROR, "%s: %s", path, alpr_strerror(r));
	}
	return 0;
}

static int cmd_export(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", required_argument, NULL, OPT_LIST},
		{"version", required_argument, NULL, OPT_VERSION},
		{"output", required_argument, NULL, 'o'},
		COMMON_OPTIONS,
	};
	const char *list = NULL, *out = NULL;
	uint64_t version = 0;
	int o, status = 0, r;

	while ((o = next_opt(c, argc, argv, opts, ":ho:", &status)) > 0) {
		if (o == OPT_LIST) {
			list = optarg;
		} else if (o == OPT_VERSION && !parse_u64(optarg, &version)) {
			return usage_error(argv[0], "--version: not a version number", optarg);
		} else if (o == 'o') {
			out = optarg;
		}
	}
	if (o < 0) {
		return status;
	}
	if (optind != argc) {
		return usage_error(argv[0], "unexpected argument", argv[optind]);
	}
	if ((r = ctx_open(c, true)) != 0 || (r = resolve_list(c, list, false, &list)) != 0 ||
	    (r = check_version(c, list, version)) != 0) {
		return r;
	}
	if (out && strcmp(out, "-") != 0) {
		return export_to_file(c, list, version, out);
	}
	r = hotlist_export_csv(c->h, list, version, stdout);
	if (r < 0) {
		return list_error(c, list, r);
	}
	return 0;
}

struct diff_state {
	bool json;
	uint64_t n;
};

static int diff_one(enum hotlist_change_op op, const struct hotlist_entry *old_e,
		    const struct hotlist_entry *new_e, void *userdata)
{
	struct diff_state *d = userdata;
	json_t *jo = old_e ? entry_json(old_e) : NULL, *jn = new_e ? entry_json(new_e) : NULL;
	json_t *fields = json_array();
	const char *key;
	json_t *v;

	if (jo && jn) {
		/* The fields that changed, found by comparing the two entries field by field. */
		json_object_foreach (jo, key, v) {
			if (!json_equal(v, json_object_get(jn, key))) {
				json_array_append_new(fields, json_string(key));
			}
		}
	}
	if (d->json) {
		json_t *ch = json_object();
		static const char *const names[] = {"add", "remove", "update"};
		json_object_set_new(ch, "op", json_string(names[op]));
		if (op == HOTLIST_CHANGE_UPDATE) {
			json_object_set_new(ch, "fields", json_incref(fields));
			json_object_set_new(ch, "old", json_incref(jo));
			json_object_set_new(ch, "new", json_incref(jn));
		} else {
			json_object_set_new(ch, "entry", json_incref(jo ? jo : jn));
		}
		fputs(d->n ? "," : "", stdout);
		json_put(ch);
	} else if (op == HOTLIST_CHANGE_UPDATE) {
		printf("~ %-8s %-2s", new_e->plate, new_e->state);
		if (new_e->source_record_id[0]) {
			printf(" id=%s", new_e->source_record_id);
		}
		size_t i;
		json_array_foreach (fields, i, v) {
			const char *k = json_string_value(v);
			char *a = json_dumps(json_object_get(jo, k), JSON_ENCODE_ANY);
			char *b = json_dumps(json_object_get(jn, k), JSON_ENCODE_ANY);
			printf("%s %s: %s -> %s", i ? "," : "", k, a ? a : "?", b ? b : "?");
			free(a);
			free(b);
		}
		putchar('\n');
	} else {
		fputs(op == HOTLIST_CHANGE_ADD ? "+ " : "- ", stdout);
		entry_print(op == HOTLIST_CHANGE_ADD ? new_e : old_e);
	}
	json_decref(fields);
	json_decref(jo);
	json_decref(jn);
	d->n++;
	return ferror(stdout) ? -EIO : 0;
}

static int cmd_diff(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", required_argument, NULL, OPT_LIST},
		COMMON_OPTIONS,
	};
	struct diff_state d = {0};
	const char *list = NULL;
	uint64_t from, to;
	int o, status = 0, r;

	while ((o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
		if (o == OPT_LIST) {
			list = optarg;
		}
	}
	if (o < 0) {
		return status;
	}
	if (argc - optind != 2) {
		return usage_error(argv[0], "expects FROM and TO versions", NULL);
	}
	if (!parse_u64(argv[optind], &from) || !parse_u64(argv[optind + 1], &to) || from == 0 ||
	    to == 0) {
		return usage_error(argv[0], "FROM and TO: not version numbers", NULL);
	}
	if ((r = ctx_open(c, true)) != 0 || (r = resolve_list(c, list, false, &list)) != 0 ||
	    (r = check_version(c, list, from)) != 0 || (r = check_version(c, list, to)) != 0) {
		return r;
	}
	d.json = c->json;
	if (d.json) {
		printf("{\"list\":");
		json_put(jstr(list));
		printf(",\"from\":%" PRIu64 ",\"to\":%" PRIu64 ",\"changes\":[", from, to);
	}
	r = hotlist_diff(c->h, list, from, to, diff_one, &d);
	if (d.json) {
		fputs("]}\n", stdout);
	}
	if (r < 0) {
		return list_error(c, list, r);
	}
	return 0;
}

/* ---- keys, signatures, deltas ---- */

static int cmd_keygen(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {COMMON_OPTIONS};
	int o, status = 0, r;

	while ((o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
	}
	if (o < 0) {
		return status;
	}
	if (argc - optind != 2) {
		return usage_error(argv[0], "expects PRIV and PUB paths", NULL);
	}
	r = hotlist_keygen(argv[optind], argv[optind + 1]);
	if (r == -EEXIST) {
		return fail(c, EXIT_ERROR, "keygen: %s or %s exists; refusing to overwrite a key",
			    argv[optind], argv[optind + 1]);
	} else if (r < 0) {
		return fail(c, EXIT_ERROR, "keygen: %s", alpr_strerror(r));
	}
	if (c->json) {
		json_print(json_pack("{s:s, s:s}", "private_key", argv[optind], "public_key",
				     argv[optind + 1]));
	} else {
		printf("wrote private key %s and public key %s\n", argv[optind], argv[optind + 1]);
	}
	return 0;
}

static int cmd_sign(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", required_argument, NULL, OPT_LIST},
		{"version", required_argument, NULL, OPT_VERSION},
		{"key", required_argument, NULL, OPT_KEY},
		{"output", required_argument, NULL, 'o'},
		COMMON_OPTIONS,
	};
	const char *list = NULL, *key = NULL, *out = NULL;
	uint64_t version = 0, oldest, cur;
	int o, status = 0, r;

	while ((o = next_opt(c, argc, argv, opts, ":ho:", &status)) > 0) {
		if (o == OPT_LIST) {
			list = optarg;
		} else if (o == OPT_VERSION && !parse_u64(optarg, &version)) {
			return usage_error(argv[0], "--version: not a version number", optarg);
		} else if (o == OPT_KEY) {
			key = optarg;
		} else if (o == 'o') {
			out = optarg;
		}
	}
	if (o < 0) {
		return status;
	}
	if (optind != argc) {
		return usage_error(argv[0], "unexpected argument", argv[optind]);
	}
	if (!key || !out) {
		return usage_error(argv[0], !key ? "--key PRIV is required" : "-o SIG is required",
				   NULL);
	}
	if ((r = ctx_open(c, true)) != 0 || (r = resolve_list(c, list, false, &list)) != 0) {
		return r;
	}
	r = hotlist_versions(c->h, list, &oldest, &cur);
	if (r < 0) {
		return list_error(c, list, r);
	}
	version = version ? version : cur;
	r = hotlist_sign(c->h, list, version, key, out);
	if (r == -ENOENT) {
		return fail(c, EXIT_ERROR,
			    "sign: list %s version %" PRIu64
			    ": no such version (or no longer kept), or %s: no such file",
			    list, version, key);
	} else if (r < 0) {
		return fail(c, EXIT_ERROR, "sign: %s", alpr_strerror(r));
	}
	if (c->json) {
		json_print(json_pack("{s:s, s:I, s:s}", "list", list, "version",
				     (json_int_t)version, "signature", out));
	} else {
		printf("signed list %s version %" PRIu64 ": %s\n", list, version, out);
	}
	return 0;
}

/* Reads the list and version a signature file names (already verified by the library). */
static void sig_header(const char *path, char list[HOTLIST_LIST_NAME_MAX + 1], uint64_t *version)
{
	_autofree_ char *text = NULL;
	size_t len;

	if (alpr_read_file(path, SIG_FILE_MAX, &text, &len) < 0) {
		return;
	}
	for (char *line = text; line && *line;) {
		char *eol = strchr(line, '\n');
		if (eol) {
			*eol = '\0';
		}
		if (strncmp(line, "list ", 5) == 0) {
			alpr_strlcpy(list, line + 5, HOTLIST_LIST_NAME_MAX + 1);
		} else if (strncmp(line, "version ", 8) == 0) {
			parse_u64(line + 8, version);
		}
		line = eol ? eol + 1 : NULL;
	}
}

static int cmd_verify(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"pubkey", required_argument, NULL, OPT_PUBKEY},
		{"current", no_argument, NULL, OPT_CURRENT},
		COMMON_OPTIONS,
	};
	const char *pub = NULL, *sig;
	char err[512] = "", list[HOTLIST_LIST_NAME_MAX + 1] = "";
	uint64_t version = 0, oldest = 0, cur = 0;
	bool need_current = false;
	int o, status = 0, r;

	while ((o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
		if (o == OPT_PUBKEY) {
			pub = optarg;
		} else if (o == OPT_CURRENT) {
			need_current = true;
		}
	}
	if (o < 0) {
		return status;
	}
	if (argc - optind != 1 || !pub) {
		return usage_error(argv[0], "expects SIG --pubkey PUB", NULL);
	}
	sig = argv[optind];
	if ((r = ctx_open(c, true)) != 0) {
		return r;
	}
	r = hotlist_verify(c->h, sig, pub, err, sizeof(err));
	if (r == 0) {
		/* The signature holds for the version it names; say whether that is the list's
		 * current one (a unit wants to know it runs what was signed). */
		sig_header(sig, list, &version);
		if (hotlist_versions(c->h, list, &oldest, &cur) < 0) {
			cur = 0;
		}
		if (need_current && version != cur) {
			snprintf(err, sizeof(err),
				 "%s: list %s: signed version %" PRIu64
				 " is not the current version %" PRIu64,
				 sig, list, version, cur);
			r = -ALPR_E_SIGNATURE;
		}
	}
	if (c->json) {
		const char *why = r == 0 ? "" : err[0] ? err : alpr_strerror(r);
		json_print(json_pack("{s:s, s:b, s:s, s:s, s:I, s:I}", "signature", sig, "valid",
				     r == 0, "error", why, "list", list, "version",
				     (json_int_t)version, "current_version", (json_int_t)cur));
	}
	if (r < 0) {
		/* Name the file when the library's reason does not. */
		const char *why = err[0] ? err : alpr_strerror(r);
		bool named = strncmp(why, sig, strlen(sig)) == 0;
		fail(c, 0, "verify: %s%s%s", named ? "" : sig, named ? "" : ": ", why);
		return r == -ALPR_E_SIGNATURE ? EXIT_NEGATIVE : EXIT_ERROR;
	}
	if (!c->json) {
		printf("%s: good signature; the database holds list %s version %" PRIu64
		       " as signed%s\n",
		       sig, list, version, version == cur ? " (the current version)" : "");
		if (version != cur) {
			printf("%s: note: the current version of list %s is %" PRIu64 "\n", sig,
			       list, cur);
		}
	}
	return 0;
}

static int cmd_delta(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", required_argument, NULL, OPT_LIST},
		{"from", required_argument, NULL, OPT_FROM},
		{"to", required_argument, NULL, OPT_TO},
		{"key", required_argument, NULL, OPT_KEY},
		{"output", required_argument, NULL, 'o'},
		COMMON_OPTIONS,
	};
	const char *list = NULL, *key = NULL, *out = NULL, *from_s = NULL;
	uint64_t from = 0, to = 0, oldest, cur;
	int o, status = 0, r;

	while ((o = next_opt(c, argc, argv, opts, ":ho:", &status)) > 0) {
		if (o == OPT_LIST) {
			list = optarg;
		} else if (o == OPT_FROM) {
			from_s = optarg;
			if (!parse_u64(optarg, &from)) {
				return usage_error(argv[0], "--from: not a version number", optarg);
			}
		} else if (o == OPT_TO && !parse_u64(optarg, &to)) {
			return usage_error(argv[0], "--to: not a version number", optarg);
		} else if (o == OPT_KEY) {
			key = optarg;
		} else if (o == 'o') {
			out = optarg;
		}
	}
	if (o < 0) {
		return status;
	}
	if (optind != argc) {
		return usage_error(argv[0], "unexpected argument", argv[optind]);
	}
	if (!from_s || !key || !out) {
		return usage_error(argv[0], "--from V1, --key PRIV and -o FILE are required", NULL);
	}
	if ((r = ctx_open(c, true)) != 0 || (r = resolve_list(c, list, false, &list)) != 0) {
		return r;
	}
	r = hotlist_versions(c->h, list, &oldest, &cur);
	if (r < 0) {
		return list_error(c, list, r);
	}
	to = to ? to : cur;
	if (from >= to) {
		return fail(c, EXIT_ERROR,
			    "delta: --from %" PRIu64 " is not before version %" PRIu64, from, to);
	}
	r = hotlist_delta_write(c->h, list, from, to, key, out);
	if (r == -ENOENT) {
		return fail(c, EXIT_ERROR,
			    "delta: list %s: version %" PRIu64 " or %" PRIu64
			    " is not kept (oldest %" PRIu64 "), or %s: no such file",
			    list, from, to, oldest, key);
	} else if (r < 0) {
		return fail(c, EXIT_ERROR, "delta: %s", alpr_strerror(r));
	}
	if (c->json) {
		json_print(json_pack("{s:s, s:I, s:I, s:s}", "list", list, "from", (json_int_t)from,
				     "to", (json_int_t)to, "delta", out));
	} else {
		if (from) {
			printf("wrote delta of list %s from version %" PRIu64 " to %" PRIu64
			       ": %s\n",
			       list, from, to, out);
		} else {
			printf("wrote snapshot of list %s version %" PRIu64 ": %s\n", list, to,
			       out);
		}
	}
	return 0;
}

static int cmd_apply(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"pubkey", required_argument, NULL, OPT_PUBKEY},
		COMMON_OPTIONS,
	};
	const char *pub = NULL, *path;
	char err[512] = "";
	uint64_t version = 0;
	int o, status = 0, r;

	while ((o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
		if (o == OPT_PUBKEY) {
			pub = optarg;
		}
	}
	if (o < 0) {
		return status;
	}
	if (argc - optind != 1 || !pub) {
		return usage_error(argv[0], "expects DELTA --pubkey PUB", NULL);
	}
	path = argv[optind];
	if ((r = ctx_open(c, false)) != 0) {
		return r;
	}
	r = hotlist_delta_apply(c->h, path, pub, &version, err, sizeof(err));
	if (r == -ALPR_E_SIGNATURE || r == -ALPR_E_BASE) {
		fail(c, 0, "apply: %s", err[0] ? err : alpr_strerror(r));
		return EXIT_NEGATIVE;
	} else if (r < 0) {
		return fail(c, EXIT_ERROR, "apply: %s", err[0] ? err : alpr_strerror(r));
	}
	if (c->json) {
		json_print(json_pack("{s:s, s:I}", "delta", path, "version", (json_int_t)version));
	} else {
		printf("%s: applied; the list is now at version %" PRIu64 "\n", path, version);
	}
	return 0;
}

static int cmd_compact(struct ctx *c, int argc, char **argv)
{
	uint64_t moved = 0;
	int r;

	if (!start_without_args(c, argc, argv, false, &r)) {
		return r;
	}
	r = hotlist_compact(c->h, &moved);
	if (r < 0) {
		return fail(c, EXIT_ERROR, "compact: %s", alpr_strerror(r));
	}
	if (c->json) {
		json_print(json_pack("{s:I}", "folded", (json_int_t)moved));
	} else {
		printf("folded %llu recent changes into the main table\n",
		       (unsigned long long)moved);
	}
	return 0;
}

/* ---- publishing to the station ---- */

static int cmd_publish(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"station", required_argument, NULL, OPT_STATION},
		{"creds", required_argument, NULL, OPT_CREDS},
		{"cert", required_argument, NULL, OPT_CERT},
		{"tls-key", required_argument, NULL, OPT_TLS_KEY},
		{"ca", required_argument, NULL, OPT_CA},
		{"list", required_argument, NULL, OPT_LIST},
		{"from", required_argument, NULL, OPT_FROM},
		{"to", required_argument, NULL, OPT_TO},
		{"key", required_argument, NULL, OPT_KEY},
		COMMON_OPTIONS,
	};
	const char *url = NULL, *creds = NULL, *cert = NULL, *tkey = NULL, *ca = NULL;
	const char *list = NULL, *key = NULL, *from_s = NULL, *delta = NULL;
	char cbuf[PATH_MAX], kbuf[PATH_MAX], abuf[PATH_MAX], tmp[PATH_MAX] = "", err[512] = "";
	uint64_t from = 0, to = 0, oldest, cur, version = 0;
	int o, status = 0, r;

	while ((o = next_opt(c, argc, argv, opts, ":h", &status)) > 0) {
		if (o == OPT_STATION) {
			url = optarg;
		} else if (o == OPT_CREDS) {
			creds = optarg;
		} else if (o == OPT_CERT) {
			cert = optarg;
		} else if (o == OPT_TLS_KEY) {
			tkey = optarg;
		} else if (o == OPT_CA) {
			ca = optarg;
		} else if (o == OPT_LIST) {
			list = optarg;
		} else if (o == OPT_FROM) {
			from_s = optarg;
			if (!parse_u64(optarg, &from)) {
				return usage_error(argv[0], "--from: not a version number", optarg);
			}
		} else if (o == OPT_TO && !parse_u64(optarg, &to)) {
			return usage_error(argv[0], "--to: not a version number", optarg);
		} else if (o == OPT_KEY) {
			key = optarg;
		}
	}
	if (o < 0) {
		return status;
	}
	if (argc - optind > 1) {
		return usage_error(argv[0], "unexpected argument", argv[optind + 1]);
	}
	delta = optind < argc ? argv[optind] : NULL;
	if (!url) {
		return usage_error(argv[0], "--station URL is required", NULL);
	}
	if (creds) {
		snprintf(cbuf, sizeof(cbuf), "%s/cert.pem", creds);
		snprintf(kbuf, sizeof(kbuf), "%s/key.pem", creds);
		snprintf(abuf, sizeof(abuf), "%s/ca.pem", creds);
		cert = cert ? cert : cbuf;
		tkey = tkey ? tkey : kbuf;
		ca = ca ? ca : abuf;
	}
	if (!cert || !tkey || !ca) {
		return usage_error(
			argv[0], "--creds DIR, or --cert, --tls-key and --ca, are required", NULL);
	}
	if (delta && (from_s || key || list || to)) {
		return usage_error(argv[0], "a DELTA file or --from/--key, not both", NULL);
	}
	if (!delta && (!from_s || !key)) {
		return usage_error(argv[0],
				   "a DELTA file, or --from V1 and --key PRIV, is required", NULL);
	}
	if (!delta) {
		if ((r = ctx_open(c, true)) != 0 ||
		    (r = resolve_list(c, list, false, &list)) != 0) {
			return r;
		}
		r = hotlist_versions(c->h, list, &oldest, &cur);
		if (r < 0) {
			return list_error(c, list, r);
		}
		to = to ? to : cur;
		if (from >= to) {
			return fail(c, EXIT_ERROR,
				    "publish: --from %" PRIu64 " is not before version %" PRIu64,
				    from, to);
		}
		const char *tdir = getenv("TMPDIR");
		snprintf(tmp, sizeof(tmp), "%s/alpr-publish-XXXXXX", tdir && *tdir ? tdir : "/tmp");
		int fd = mkstemp(tmp);
		if (fd < 0) {
			return fail(c, EXIT_ERROR, "publish: %s: %s", tmp, alpr_strerror(-errno));
		}
		close(fd);
		r = hotlist_delta_write(c->h, list, from, to, key, tmp);
		if (r < 0) {
			unlink(tmp);
			return fail(c, EXIT_ERROR, "publish: delta of list %s: %s", list,
				    r == -ENOENT ? "a version is not kept, or no such key file"
						 : alpr_strerror(r));
		}
		delta = tmp;
	}
	struct sync_tls tls = {cert, tkey, ca};
	r = sync_publish(url, &tls, delta, &version, err, sizeof(err));
	if (tmp[0]) {
		unlink(tmp);
	}
	if (r < 0) {
		return fail(c, EXIT_ERROR, "publish: %s", err[0] ? err : alpr_strerror(r));
	}
	if (c->json) {
		json_print(json_pack("{s:s, s:I}", "station", url, "version", (json_int_t)version));
	} else {
		printf("published version %" PRIu64 " to %s\n", version, url);
	}
	return 0;
}

/* ---- main ---- */

static const struct command {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
} commands[] = {
	{"import", cmd_import},   {"add", cmd_add},           {"remove", cmd_remove},
	{"search", cmd_search},   {"match", cmd_match},       {"stats", cmd_stats},
	{"lists", cmd_lists},     {"list-set", cmd_list_set}, {"export", cmd_export},
	{"diff", cmd_diff},       {"keygen", cmd_keygen},     {"sign", cmd_sign},
	{"verify", cmd_verify},   {"delta", cmd_delta},       {"apply", cmd_apply},
	{"compact", cmd_compact}, {"publish", cmd_publish},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {COMMON_OPTIONS};
	struct ctx c = {.policy_name = "default"};
	const struct command *cmd = NULL;
	int o, status = 0;

	alpr_log_init_from_env();
	alpr_log_set_handler(log_handler, &c);
	opterr = 0;

	/* Global options stop at the command name ("+"); the command parses the rest. */
	while ((o = next_opt(&c, argc, argv, opts, "+:h", &status)) > 0) {
	}
	if (o < 0) {
		return status;
	}
	if (optind == argc) {
		return usage_error(NULL, "no command given", NULL);
	}
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			cmd = &commands[i];
		}
	}
	if (!cmd) {
		return usage_error(NULL, "unknown command", argv[optind]);
	}
	int cargc = argc - optind;
	char **cargv = argv + optind;
	optind = 0; /* glibc: a full reset for the command's own options */
	status = cmd->fn(&c, cargc, cargv);

	hotlist_close(c.h);
	policy_destroy(c.policy);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, PROG ": stdout: write error\n");
		return EXIT_ERROR;
	}
	return status;
}
