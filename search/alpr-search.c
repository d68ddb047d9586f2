/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-search: purpose-bound search of a read store, the supervisor's flag review and an
 * administrator's profile tightening, each audited (search.h, docs/search.md). A thin tool:
 * it parses options and calls the library. Exit 0 on success, 3 when the request was refused
 * (and audited), 1 on another failure, 2 for a usage error; every failure is one line on
 * stderr.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "report.h"
#include "search.h"

#define PROG "alpr-search"

enum { EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_REFUSED = 3 };

static const char usage_text[] =
	"usage: " PROG " --store DIR --audit DIR --user U --role R --purpose P --case C\n"
	"                   [--plate P | --partial 'AB?12*'] [--from T --to T]\n"
	"                   [--near LAT,LON,RADIUS_M] [--justification TEXT] [--unit ID]\n"
	"       " PROG " --audit DIR --user U --role supervisor|auditor --flags [--all]\n"
	"       " PROG " --audit DIR --user U --role supervisor --review SEQ\n"
	"                   --decision cleared|referred --note TEXT\n"
	"       " PROG " --audit DIR --user U --role administrator --tighten CHANGE.json\n"
	"                   --override FILE\n"
	"\n"
	"Options:\n"
	"  --store DIR        the read store folder (its key: DIR/store.key or --store-key)\n"
	"  --audit DIR        the audit log folder (must exist)\n"
	"  --policy NAME      the jurisdiction profile (default: default)\n"
	"  --override FILE    the administrator's tightening of the profile, if any\n"
	"  --unit-id ID       the store's unit id (default: the audit log's device id)\n"
	"  --user, --role     who searches, and as what (officer, investigator, ...)\n"
	"  --purpose, --case  a purpose id of the profile and a case number in its format\n"
	"  --plate, --partial an exact plate, or a pattern with ? (one) and * (any run)\n"
	"  --from, --to       capture-time window (ISO 8601)\n"
	"  --near             an area: latitude,longitude,radius in metres\n"
	"  --unit             an officer's own unit id (officers see its hits only)\n"
	"Results are JSON lines on stdout; the summary and any flags on stderr.\n";

struct opts {
	const char *store, *audit, *policy, *override, *unit_id, *store_key;
	const char *user, *role, *purpose, *case_number, *plate, *partial, *from, *to, *near;
	const char *justification, *unit, *review, *decision, *note, *tighten;
	bool flags, all;
};

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, PROG ": %s%s%s (try --help)\n", msg, arg ? ": " : "", arg ? arg : "");
	return EXIT_USAGE;
}

__attribute__((format(printf, 2, 3))) static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int print_read(const struct store_read *r, const struct store_hit *hit, void *userdata)
{
	char t[ALPR_TIME_BUFSZ];
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "id", r->id, "captured_at",
			      alpr_time_format(r->captured_at, t, sizeof(t)), "camera", r->camera,
			      "plate", r->plate, "state", r->state, "confidence",
			      (double)r->confidence);
	char *line;

	if (r->gps.mode != STORE_FIX_NONE) {
		json_object_set_new(o, "lat", json_real(r->gps.lat));
		json_object_set_new(o, "lon", json_real(r->gps.lon));
	}
	if (hit) {
		json_object_set_new(o, "hit",
				    json_pack("{s:s, s:s, s:s}", "list", hit->list, "category",
					      policy_category_name(hit->category), "status",
					      store_hit_status_name(hit->status)));
	}
	line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (line) {
		puts(line);
		free(line);
	}
	return 0;
}

static int print_flag(const struct search_flag_info *f, void *userdata)
{
	char t[ALPR_TIME_BUFSZ];
	printf("flag %" PRIu64 " search %" PRIu64 " %s user=%s rule=%s%s: %s\n", f->flag_seq,
	       f->search_seq, alpr_time_format(f->time_us, t, sizeof(t)), f->user, f->rule,
	       f->reviewed ? " (reviewed)" : "", f->detail);
	return 0;
}

static void on_purge(const struct store_purge_counts *counts, void *userdata)
{
	void **ctx = userdata;
	report_record_purge(ctx[0], ctx[1], counts);
}

/* The options as given, for the audit record. */
static char *verbatim(const struct opts *o)
{
	json_t *j = json_object();
	const struct {
		const char *key, *val;
	} f[] = {{"plate", o->plate},
		 {"partial", o->partial},
		 {"from", o->from},
		 {"to", o->to},
		 {"near", o->near},
		 {"unit", o->unit},
		 {"justification", o->justification}};
	char *s;

	for (size_t i = 0; i < ALPR_ARRAY_SIZE(f); i++) {
		if (f[i].val) {
			json_object_set_new(j, f[i].key,
					    json_stringn_nocheck(f[i].val, strlen(f[i].val)));
		}
	}
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static bool parse_near(const char *s, double *lat, double *lon, double *rad)
{
	char *end;
	*lat = strtod(s, &end);
	if (end == s || *end != ',') {
		return false;
	}
	s = end + 1;
	*lon = strtod(s, &end);
	if (end == s || *end != ',') {
		return false;
	}
	s = end + 1;
	*rad = strtod(s, &end);
	return end != s && *end == '\0';
}

static int run_search(const struct opts *o, struct audit *a, const struct policy *p)
{
	struct store_options so = {0};
	struct store *s = NULL;
	struct search_result res;
	void *purge_ctx[2] = {a, (void *)p};
	_autofree_ char *params = verbatim(o);
	struct search_query q = {
		.user = o->user,
		.role = o->role,
		.purpose = o->purpose,
		.case_number = o->case_number,
		.justification = o->justification,
		.unit = o->unit,
		.plate = o->plate,
		.partial = o->partial,
		.params = params,
	};
	char why[SEARCH_REASON_MAX] = "";
	int r;

	if (o->from && alpr_time_parse(o->from, strlen(o->from), &q.from_us) < 0) {
		snprintf(why, sizeof(why), "from: not an ISO 8601 time");
	} else if (o->to && alpr_time_parse(o->to, strlen(o->to), &q.to_us) < 0) {
		snprintf(why, sizeof(why), "to: not an ISO 8601 time");
	} else if (o->near && !parse_near(o->near, &q.lat, &q.lon, &q.radius_m)) {
		snprintf(why, sizeof(why), "near: LAT,LON,RADIUS_M expected");
	}
	q.has_from = o->from != NULL;
	q.has_to = o->to != NULL;
	q.has_near = o->near != NULL;
	if (*why) {
		r = search_refuse(a, p, &q, why);
		return r == -ALPR_E_REFUSED ? fail(EXIT_REFUSED, "refused: %s", why)
					    : fail(EXIT_FAIL, "audit log: %s", alpr_strerror(r));
	}
	so.unit_id = o->unit_id ? o->unit_id : audit_device_id(a);
	so.policy = p;
	so.key_path = o->store_key;
	so.on_purge = on_purge;
	so.userdata = purge_ctx;
	r = store_open(o->store, &so, &s);
	if (r < 0) {
		return fail(EXIT_FAIL, "%s: %s", o->store, alpr_strerror(r));
	}
	r = search_run(s, a, p, &q, print_read, NULL, &res);
	store_close(s);
	if (r == -ALPR_E_REFUSED) {
		return fail(EXIT_REFUSED, "refused: %s", res.reason);
	}
	if (r < 0) {
		return fail(EXIT_FAIL, "search: %s", alpr_strerror(r));
	}
	fprintf(stderr, PROG ": %" PRIu64 " reads (audit record %" PRIu64 ")\n", res.count,
		res.audit_seq);
	for (int i = 0; i < SEARCH_FLAG_COUNT; i++) {
		if (res.flags & (1u << i)) {
			fprintf(stderr, PROG ": flagged for supervisor review: %s\n",
				search_flag_name((enum search_flag)(1u << i)));
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"store", required_argument, NULL, 's'},
		{"audit", required_argument, NULL, 'a'},
		{"policy", required_argument, NULL, 'P'},
		{"override", required_argument, NULL, 'O'},
		{"unit-id", required_argument, NULL, 'I'},
		{"store-key", required_argument, NULL, 'K'},
		{"user", required_argument, NULL, 'u'},
		{"role", required_argument, NULL, 'r'},
		{"purpose", required_argument, NULL, 'p'},
		{"case", required_argument, NULL, 'c'},
		{"plate", required_argument, NULL, 'l'},
		{"partial", required_argument, NULL, 'L'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"near", required_argument, NULL, 'n'},
		{"justification", required_argument, NULL, 'j'},
		{"unit", required_argument, NULL, 'U'},
		{"flags", no_argument, NULL, 'F'},
		{"all", no_argument, NULL, 'A'},
		{"review", required_argument, NULL, 'R'},
		{"decision", required_argument, NULL, 'D'},
		{"note", required_argument, NULL, 'N'},
		{"tighten", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct opts o = {.policy = "default"};
	struct audit_open_opts ao = {0};
	struct audit *a = NULL;
	struct policy *base = NULL, *p = NULL;
	char err[512];
	int c, r, code = 0;

	alpr_log_init_from_env();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.store = optarg;
			break;
		case 'a':
			o.audit = optarg;
			break;
		case 'P':
			o.policy = optarg;
			break;
		case 'O':
			o.override = optarg;
			break;
		case 'I':
			o.unit_id = optarg;
			break;
		case 'K':
			o.store_key = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'r':
			o.role = optarg;
			break;
		case 'p':
			o.purpose = optarg;
			break;
		case 'c':
			o.case_number = optarg;
			break;
		case 'l':
			o.plate = optarg;
			break;
		case 'L':
			o.partial = optarg;
			break;
		case 'f':
			o.from = optarg;
			break;
		case 't':
			o.to = optarg;
			break;
		case 'n':
			o.near = optarg;
			break;
		case 'j':
			o.justification = optarg;
			break;
		case 'U':
			o.unit = optarg;
			break;
		case 'F':
			o.flags = true;
			break;
		case 'A':
			o.all = true;
			break;
		case 'R':
			o.review = optarg;
			break;
		case 'D':
			o.decision = optarg;
			break;
		case 'N':
			o.note = optarg;
			break;
		case 'T':
			o.tighten = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage_error("unknown option", NULL);
		}
	}
	if (optind < argc) {
		return usage_error("unexpected argument", argv[optind]);
	}
	if (!o.audit) {
		return usage_error("--audit DIR is required (every search is audited)", NULL);
	}
	if (!o.flags && !o.review && !o.tighten && !o.store) {
		return usage_error("--store DIR is required for a search", NULL);
	}
	if (o.tighten && !o.override) {
		return usage_error("--tighten needs --override FILE", NULL);
	}
	r = policy_load_named(o.policy, &base, err, sizeof(err));
	if (r < 0) {
		return fail(EXIT_FAIL, "%s", err);
	}
	if (o.override) {
		r = policy_load_override(base, o.override, &p, err, sizeof(err));
		if (r == -ENOENT) {
			r = 0;
		} else if (r < 0) {
			policy_destroy(base);
			return fail(EXIT_FAIL, "%s", err);
		}
	}
	if (!p) {
		p = base;
		base = NULL;
	}
	r = audit_open(o.audit, &ao, &a);
	if (r < 0) {
		code = fail(EXIT_FAIL, "%s: %s", o.audit, alpr_strerror(r));
		goto out;
	}
	if (o.flags) {
		r = search_flags_foreach(a, p, o.user, o.role, o.all, print_flag, NULL);
		code = r == -ALPR_E_REFUSED ? fail(EXIT_REFUSED, "refused: role: only a supervisor "
								 "or an auditor reads review flags")
		       : r < 0              ? fail(EXIT_FAIL, "flags: %s", alpr_strerror(r))
					    : 0;
	} else if (o.review) {
		int64_t seq;
		char why[SEARCH_REASON_MAX];
		if (alpr_parse_int64(o.review, strlen(o.review), 1, INT64_MAX, &seq) < 0) {
			code = usage_error("--review needs a flag's sequence number", o.review);
			goto out;
		}
		r = search_flag_review(a, p, o.user, o.role, (uint64_t)seq, o.decision, o.note, why,
				       sizeof(why));
		code = r == -ALPR_E_REFUSED ? fail(EXIT_REFUSED, "refused: %s", why)
		       : r < 0              ? fail(EXIT_FAIL, "review: %s", alpr_strerror(r))
					    : 0;
	} else if (o.tighten) {
		_autofree_ char *change = NULL;
		struct policy *t = NULL;
		size_t len;
		r = alpr_read_file(o.tighten, 16 * 1024, &change, &len);
		if (r < 0) {
			code = fail(EXIT_FAIL, "%s: %s", o.tighten, alpr_strerror(r));
			goto out;
		}
		r = search_policy_tighten(a, p, o.user, o.role, change, o.override, &t, err,
					  sizeof(err));
		code = r == -ALPR_E_REFUSED || r == -ALPR_E_PARSE
			       ? fail(EXIT_REFUSED, "refused: %s", err)
		       : r < 0 ? fail(EXIT_FAIL, "%s", err)
			       : 0;
		if (r == 0) {
			fprintf(stderr, PROG ": profile %s tightened; override written to %s\n",
				policy_name(t), o.override);
		}
		policy_destroy(t);
	} else {
		code = run_search(&o, a, p);
	}
out:
	audit_close(a);
	policy_destroy(p);
	policy_destroy(base);
	return code;
}
