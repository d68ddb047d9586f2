/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-report: the transparency report (report.h, docs/report.md). A thin tool over the
 * library. Exit 0 on success (or when a re-derived report agrees), 1 on a failure (or a
 * disagreement), 2 for a usage error; every failure is one line on stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "report.h"

#define PROG "alpr-report"

static const char usage_text[] =
	"usage: " PROG " --audit DIR --from DATE --to DATE [--out PREFIX] [--store DIR]\n"
	"       " PROG " --audit DIR --rederive REPORT.json [--pubkey PEM]\n"
	"\n"
	"Writes PREFIX.json and PREFIX.html (default PREFIX: alpr-report) for the period\n"
	"[--from, --to), computed from the audit log, and records the report in the log.\n"
	"--rederive verifies the log, recomputes the report from it alone and says whether\n"
	"the two agree.\n"
	"\n"
	"Options:\n"
	"  --policy NAME     the jurisdiction profile (default: default), or a profile file\n"
	"  --override FILE   the administrator's tightening of the profile, if any\n"
	"  --store DIR       the read store, for the reads held at the end (optional)\n"
	"  --unit-id ID      the store's unit id (default: the audit log's device id)\n"
	"  --json FILE, --html FILE   output paths (instead of --out)\n";

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

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, PROG ": %s%s%s (try --help)\n", msg, arg ? ": " : "", arg ? arg : "");
	return 2;
}

static void on_purge(const struct store_purge_counts *counts, void *userdata)
{
	void **ctx = userdata;
	report_record_purge(ctx[0], ctx[1], counts);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"audit", required_argument, NULL, 'a'},
		{"store", required_argument, NULL, 's'},
		{"policy", required_argument, NULL, 'P'},
		{"override", required_argument, NULL, 'O'},
		{"unit-id", required_argument, NULL, 'I'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"out", required_argument, NULL, 'o'},
		{"json", required_argument, NULL, 'j'},
		{"html", required_argument, NULL, 'H'},
		{"rederive", required_argument, NULL, 'r'},
		{"pubkey", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *audit_dir = NULL, *store_dir = NULL, *policy = "default", *override = NULL;
	const char *unit_id = NULL, *from = NULL, *to = NULL, *out = "alpr-report";
	const char *json = NULL, *html = NULL, *rederive = NULL, *pubkey = NULL;
	char jbuf[4096], hbuf[4096], err[512];
	struct policy *base = NULL, *p = NULL;
	struct audit *a = NULL;
	struct store *s = NULL;
	void *purge_ctx[2] = {NULL, NULL};
	int c, r, code = 0;

	alpr_log_init_from_env();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			audit_dir = optarg;
			break;
		case 's':
			store_dir = optarg;
			break;
		case 'P':
			policy = optarg;
			break;
		case 'O':
			override = optarg;
			break;
		case 'I':
			unit_id = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		case 'H':
			html = optarg;
			break;
		case 'r':
			rederive = optarg;
			break;
		case 'k':
			pubkey = optarg;
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
	if (!audit_dir) {
		return usage_error("--audit DIR is required", NULL);
	}
	struct report_options ro = {.record = true};
	if (!rederive) {
		if (!from || !to) {
			return usage_error("--from and --to are required", NULL);
		}
		if (alpr_time_parse(from, strlen(from), &ro.from_us) < 0) {
			return usage_error("--from: not an ISO 8601 date or time", from);
		}
		if (alpr_time_parse(to, strlen(to), &ro.to_us) < 0) {
			return usage_error("--to: not an ISO 8601 date or time", to);
		}
		if (ro.from_us >= ro.to_us) {
			return usage_error("--from must be before --to", NULL);
		}
	}
	/* A name from data/policy/, or a profile file (a path with a '/'), as alpr-unit. */
	r = strchr(policy, '/') ? policy_load(policy, &base, err, sizeof(err))
				: policy_load_named(policy, &base, err, sizeof(err));
	if (r < 0) {
		return fail(1, "%s", err);
	}
	if (override && (r = policy_load_override(base, override, &p, err, sizeof(err))) < 0 &&
	    r != -ENOENT) {
		policy_destroy(base);
		return fail(1, "%s", err);
	}
	if (!p) {
		p = steal_ptr(&base);
	}
	struct audit_open_opts ao = {.read_only = rederive != NULL};
	if ((r = audit_open(audit_dir, &ao, &a)) < 0) {
		code = fail(1, "%s: %s", audit_dir, alpr_strerror(r));
		goto out;
	}
	if (rederive) {
		struct audit_verify_result vr;
		r = audit_verify(a, pubkey, NULL, &vr);
		if (r < 0) {
			code = fail(1, "audit log does not verify: %s", vr.reason);
			goto out;
		}
		r = report_rederive(a, p, rederive, err, sizeof(err));
		if (r < 0) {
			code = fail(1, "%s", err);
		} else {
			printf("%s: %s\n", rederive, err);
		}
		goto out;
	}
	if (store_dir) {
		purge_ctx[0] = a;
		purge_ctx[1] = p;
		struct store_options so = {
			.unit_id = unit_id ? unit_id : audit_device_id(a),
			.policy = p,
			.on_purge = on_purge,
			.userdata = purge_ctx,
		};
		if ((r = store_open(store_dir, &so, &s)) < 0) {
			code = fail(1, "%s: %s", store_dir, alpr_strerror(r));
			goto out;
		}
	}
	if (!json) {
		snprintf(jbuf, sizeof(jbuf), "%s.json", out);
		json = jbuf;
	}
	if (!html) {
		snprintf(hbuf, sizeof(hbuf), "%s.html", out);
		html = hbuf;
	}
	ro.policy = p;
	ro.store = s;
	ro.json_path = json;
	ro.html_path = html;
	if ((r = report_generate(a, &ro, err, sizeof(err))) < 0) {
		code = fail(1, "%s", err);
		goto out;
	}
	printf("%s\n%s\n", json, html);
out:
	store_close(s);
	audit_close(a);
	policy_destroy(p);
	policy_destroy(base);
	return code;
}
