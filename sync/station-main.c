/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-station: the station server, its enrolment tool and hotlist publishing
 * (docs/alpr-station.8). Parses options and calls station.c, ca.c and client.c.
 */
#include <getopt.h>
#include <pwd.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "station.h"
#include "sync.h"

static const char usage[] =
	"usage: alpr-station init --dir DIR [--host NAME]...\n"
	"       alpr-station serve --dir DIR [--listen ADDR] [--port N] [--policy NAME|FILE]\n"
	"                          [--ready-file FILE] [--body-max BYTES]\n"
	"       alpr-station enroll UNIT --device-key PEM --dir DIR --out OUTDIR [--days N]\n"
	"       alpr-station enroll --admin NAME --dir DIR --out OUTDIR [--days N]\n"
	"       alpr-station enroll --investigator NAME --dir DIR --out OUTDIR [--days N]\n"
	"       alpr-station publish --station URL --creds DIR --delta FILE\n"
	"       alpr-station export --station URL --creds DIR --agreement FILE --purpose P\n"
	"                           --case C --id READ_ID... --out FILE\n"
	"       alpr-station --help | --version\n"
	"\n"
	"The station for docked sync: units upload reads, hits and dispositions over HTTPS with\n"
	"client certificates and download signed hotlist deltas (docs/sync-protocol.md).\n"
	"\n"
	"  init     make DIR's CA, server certificate (for each --host; default localhost and\n"
	"           127.0.0.1) and hotlist signing key, if missing\n"
	"  serve    serve HTTPS until SIGTERM (init runs first when DIR is new); --port 0 picks\n"
	"           a free port, written to --ready-file once listening\n"
	"  enroll   issue a unit's (or with --admin an administrator's, with --investigator\n"
	"           an investigator's) key and certificate from DIR's CA into OUTDIR: key.pem\n"
	"           cert.pem ca.pem (and hotlist-pub.pem); recorded in DIR/audit, by\n"
	"           --operator NAME (default: the login name). A unit's --device-key is its\n"
	"           audit log's public key (alpr-audit --db LOG pubkey): the station checks\n"
	"           the unit's audit checkpoints with it and refuses them without one\n"
	"  publish  upload a signed delta (alpr-hotlist delta) with an administrator's\n"
	"           certificate (DIR/cert.pem, key.pem, ca.pem); units take it at their next\n"
	"           sync. The station checks it with DIR/publisher-pub.pem.\n"
	"  export   one disclosure of reads the station holds, under a sharing agreement\n"
	"           (alpr-share agreement), with an investigator's certificate: written to\n"
	"           --out encrypted to the recipient; audited at the station, refusals too\n"
	"           (exit 3)\n"
	"\n"
	"Exit status: 0 success, 1 failure, 2 usage, 3 an export refused.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = sig;
}

static int load_policy(const char *name, struct policy **out)
{
	char err[512];
	int r = strchr(name, '/') ? policy_load(name, out, err, sizeof(err))
				  : policy_load_named(name, out, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "alpr-station: policy: %s\n", err[0] ? err : alpr_strerror(r));
	}
	return r;
}

static int parse_u64(const char *opt, const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (alpr_parse_int64(s, strlen(s), min, max, out) < 0) {
		fprintf(stderr, "alpr-station: %s: not a number in [%lld, %lld]: %s\n", opt,
			(long long)min, (long long)max, s);
		return -EINVAL;
	}
	return 0;
}

/* Who runs the tool: --operator, else the login name, else the uid. */
static const char *operator_name(const char *given, char *buf, size_t bufsz)
{
	if (given) {
		return given;
	}
	const struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_name) {
		snprintf(buf, bufsz, "%s", pw->pw_name);
	} else {
		snprintf(buf, bufsz, "uid:%u", (unsigned)getuid());
	}
	return buf;
}

/* Issues a certificate and records it in DIR/audit: an enrolment the log cannot hold is
 * undone (its key and certificate removed), and a refused one is recorded too. */
static int enroll(const char *dir, const char *admin, const char *investigator, const char *unit,
		  bool no_extra, const char *out, int64_t days, const char *operator_given,
		  const char *policy_name, const char *device_key)
{
	char tls[4096], src[4096], dst[4096], who[64], params[256], reason[256] = "";
	char keyhex[2 * AUDIT_PUBKEY_LEN + 1] = "", keypath[4096] = "";
	struct policy *policy = NULL;
	int given = !!admin + !!investigator + !!unit, r;
	bool key_created = false;

	if (given != 1 || !out || !no_extra) {
		fprintf(stderr, "alpr-station: enroll: one of UNIT, --admin NAME or --investigator "
				"NAME, and --out, are required\n");
		return 2;
	}
	if (device_key && !unit) {
		fprintf(stderr, "alpr-station: enroll: --device-key is a unit's\n");
		return 2;
	}
	if (policy_name && load_policy(policy_name, &policy) < 0) {
		return 1;
	}
	enum sync_role role = admin          ? SYNC_ROLE_ADMIN
			      : investigator ? SYNC_ROLE_INVESTIGATOR
					     : SYNC_ROLE_UNIT;
	const char *name = admin ? admin : investigator ? investigator : unit;
	const char *op = operator_name(operator_given, who, sizeof(who));
	/* The device key first: a unit is not enrolled with a key that is not one, nor with
	 * another key than the one its log was registered with. */
	r = 0;
	if (device_key) {
		r = station_register_device_key(dir, name, device_key, keyhex, &key_created);
		station_device_key_path(dir, name, keypath, sizeof(keypath));
	}
	snprintf(params, sizeof(params), "{\"days\":%lld,%s%s%s\"role\":\"%s\"}", (long long)days,
		 keyhex[0] ? "\"device_key\":\"" : "", keyhex, keyhex[0] ? "\"," : "",
		 sync_role_name(role));
	struct station_audit_args x = {.user = op,
				       .role = "administrator",
				       .action = STATION_AUDIT_ENROLL,
				       .params = params,
				       .object_id = name,
				       .count = 1};
	snprintf(tls, sizeof(tls), "%s/tls", dir);
	if (r == -EINVAL) {
		snprintf(reason, sizeof(reason),
			 "enroll: %s (names are [A-Za-z0-9_.-], at most 31)", alpr_strerror(r));
	} else if (r < 0) {
		snprintf(reason, sizeof(reason), "enroll: device key: %s: %s", device_key,
			 r == -EEXIST         ? "another key is registered for this unit"
			 : r == -ALPR_E_PARSE ? "not an Ed25519 public key"
					      : alpr_strerror(r));
	} else {
		r = sync_ca_issue(tls, name, role, -60, days * 86400, out);
		if (r < 0) {
			snprintf(reason, sizeof(reason), "enroll: %s%s", alpr_strerror(r),
				 r == -EINVAL ? " (names are [A-Za-z0-9_.-], at most 31)" : "");
		}
	}
	if (r == 0 && role == SYNC_ROLE_UNIT) {
		_autofree_ char *pem = NULL;
		size_t len;
		snprintf(src, sizeof(src), "%s/hotlist-pub.pem", dir);
		snprintf(dst, sizeof(dst), "%s/hotlist-pub.pem", out);
		if ((r = alpr_read_file(src, 16 * 1024, &pem, &len)) < 0 ||
		    (r = alpr_write_file_atomic(dst, pem, len, 0644)) < 0) {
			fprintf(stderr, "alpr-station: enroll: %s: %s\n", src, alpr_strerror(r));
		}
	}
	if (r < 0) {
		if (!reason[0] || strncmp(reason, "enroll: ", 8) != 0) {
			snprintf(reason, sizeof(reason), "enroll: %s", alpr_strerror(r));
		}
		if (key_created) {
			unlink(keypath);
		}
		/* A name that is not one is recorded as such, not as given. */
		if (r == -EINVAL) {
			x.object_id = NULL;
		}
		x.reason = reason;
		x.count = 0;
		if (station_audit_record(dir, policy, &x) < 0) {
			fprintf(stderr, "alpr-station: enroll: the refusal could not be audited\n");
		}
		fprintf(stderr, "alpr-station: enroll: %s: %s\n", name, reason + 8);
		policy_destroy(policy);
		return 1;
	}
	r = station_audit_record(dir, policy, &x);
	policy_destroy(policy);
	if (r < 0) {
		snprintf(dst, sizeof(dst), "%s/key.pem", out);
		unlink(dst);
		snprintf(dst, sizeof(dst), "%s/cert.pem", out);
		unlink(dst);
		if (key_created) {
			unlink(keypath);
		}
		fprintf(stderr, "alpr-station: enroll: %s/audit: %s; not enrolled\n", dir,
			alpr_strerror(r));
		return 1;
	}
	printf("enrolled %s %s: %s/cert.pem\n",
	       role == SYNC_ROLE_ADMIN ? "administrator" : sync_role_name(role), name, out);
	return 0;
}

/* alpr-station export: the request from the options, the answer to @out. */
static int export_reads(const char *url, const char *creds, const char *agreement,
			const char *purpose, const char *case_number, const char *const *ids,
			size_t nids, const char *out)
{
	char cert[4096], key[4096], ca[4096], err[512] = "";
	json_error_t je;
	if (!url || !creds || !agreement || !out || nids == 0) {
		fprintf(stderr, "alpr-station: export: --station, --creds, --agreement, --out and "
				"at least one --id are required\n");
		return 2;
	}
	json_t *ag = json_load_file(agreement, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(ag)) {
		fprintf(stderr, "alpr-station: export: %s:%d: %s\n", agreement, je.line,
			ag ? "not a JSON object" : je.text);
		json_decref(ag);
		return 1;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < nids; i++) {
		json_array_append_new(arr, json_string(ids[i]));
	}
	json_t *o = json_pack("{s:o, s:s*, s:s*, s:o}", "agreement", ag, "purpose", purpose,
			      "case_number", case_number, "ids", arr);
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body) {
		fprintf(stderr, "alpr-station: export: an option is not UTF-8 text\n");
		return 1;
	}
	snprintf(cert, sizeof(cert), "%s/cert.pem", creds);
	snprintf(key, sizeof(key), "%s/key.pem", creds);
	snprintf(ca, sizeof(ca), "%s/ca.pem", creds);
	struct sync_tls tls = {cert, key, ca};
	int r = sync_export(url, &tls, body, out, err, sizeof(err));
	free(body);
	if (r < 0) {
		fprintf(stderr, "alpr-station: %s\n", err[0] ? err : alpr_strerror(r));
		return r == -ALPR_E_REFUSED ? 3 : 1;
	}
	printf("exported %zu reads to %s\n", nids, out);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'H'},
		{"listen", required_argument, NULL, 'l'},
		{"port", required_argument, NULL, 'p'},
		{"policy", required_argument, NULL, 'P'},
		{"ready-file", required_argument, NULL, 'r'},
		{"body-max", required_argument, NULL, 'b'},
		{"out", required_argument, NULL, 'o'},
		{"days", required_argument, NULL, 'D'},
		{"admin", required_argument, NULL, 'a'},
		{"investigator", required_argument, NULL, 'i'},
		{"operator", required_argument, NULL, 'O'},
		{"station", required_argument, NULL, 's'},
		{"creds", required_argument, NULL, 'c'},
		{"delta", required_argument, NULL, 'f'},
		{"device-key", required_argument, NULL, 'k'},
		{"agreement", required_argument, NULL, 'g'},
		{"purpose", required_argument, NULL, 'u'},
		{"case", required_argument, NULL, 'C'},
		{"id", required_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *listen = "127.0.0.1", *policy_name = "default", *ready = NULL;
	const char *out = NULL, *admin = NULL, *url = NULL, *creds = NULL, *delta = NULL;
	const char *investigator = NULL, *operator= NULL, *device_key = NULL;
	const char *agreement = NULL, *purpose = NULL, *case_number = NULL;
	static const char *ids[1000];
	size_t nids = 0;
	bool policy_given = false;
	const char *hosts[16];
	size_t nhosts = 0;
	int64_t port = 8443, body_max = 0, days = 825;
	int opt;

	alpr_log_init_from_env();
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 'H':
			if (nhosts == ALPR_ARRAY_SIZE(hosts)) {
				fprintf(stderr, "alpr-station: --host: at most 16\n");
				return 2;
			}
			hosts[nhosts++] = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'p':
			if (parse_u64("--port", optarg, 0, 65535, &port) < 0) {
				return 2;
			}
			break;
		case 'P':
			policy_name = optarg;
			policy_given = true;
			break;
		case 'i':
			investigator = optarg;
			break;
		case 'O':
			operator= optarg;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'b':
			if (parse_u64("--body-max", optarg, 1024, SYNC_BODY_MAX, &body_max) < 0) {
				return 2;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'D':
			if (parse_u64("--days", optarg, 1, 3650, &days) < 0) {
				return 2;
			}
			break;
		case 'a':
			admin = optarg;
			break;
		case 's':
			url = optarg;
			break;
		case 'c':
			creds = optarg;
			break;
		case 'f':
			delta = optarg;
			break;
		case 'k':
			device_key = optarg;
			break;
		case 'g':
			agreement = optarg;
			break;
		case 'u':
			purpose = optarg;
			break;
		case 'C':
			case_number = optarg;
			break;
		case 'I':
			if (nids == ALPR_ARRAY_SIZE(ids)) {
				fprintf(stderr,
					"alpr-station: --id: at most 1000 in one request\n");
				return 2;
			}
			ids[nids++] = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			puts("alpr-station 0.1.0");
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[optind++];
	int r;

	if (strcmp(cmd, "publish") == 0) {
		char cert[4096], key[4096], ca[4096], err[512] = "";
		uint64_t version = 0;
		if (!url || !creds || !delta || optind != argc) {
			fprintf(stderr, "alpr-station: publish: --station, --creds and --delta are "
					"required\n");
			return 2;
		}
		snprintf(cert, sizeof(cert), "%s/cert.pem", creds);
		snprintf(key, sizeof(key), "%s/key.pem", creds);
		snprintf(ca, sizeof(ca), "%s/ca.pem", creds);
		struct sync_tls tls = {cert, key, ca};
		r = sync_publish(url, &tls, delta, &version, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "alpr-station: publish: %s\n",
				err[0] ? err : alpr_strerror(r));
			return 1;
		}
		printf("published version %llu\n", (unsigned long long)version);
		return 0;
	}
	if (strcmp(cmd, "export") == 0) {
		if (optind != argc) {
			fputs(usage, stderr);
			return 2;
		}
		return export_reads(url, creds, agreement, purpose, case_number, ids, nids, out);
	}
	if (!dir) {
		fprintf(stderr, "alpr-station: %s: --dir is required\n", cmd);
		return 2;
	}
	if (strcmp(cmd, "init") == 0) {
		r = station_init(dir, nhosts ? hosts : NULL, nhosts);
		if (r < 0) {
			fprintf(stderr, "alpr-station: init: %s: %s\n", dir, alpr_strerror(r));
			return 1;
		}
		return 0;
	}
	if (strcmp(cmd, "enroll") == 0) {
		const char *unit = optind < argc ? argv[optind++] : NULL;
		return enroll(dir, admin, investigator, unit, optind == argc, out, days, operator,
			      policy_given ? policy_name : NULL, device_key);
	}
	if (strcmp(cmd, "serve") != 0 || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}

	struct policy *policy = NULL;
	struct station *st = NULL;
	if (load_policy(policy_name, &policy) < 0) {
		return 1;
	}
	r = station_init(dir, nhosts ? hosts : NULL, nhosts);
	if (r < 0) {
		fprintf(stderr, "alpr-station: init: %s: %s\n", dir, alpr_strerror(r));
		policy_destroy(policy);
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct station_options so = {
		.dir = dir,
		.listen_addr = listen,
		.port = (uint16_t)port,
		.policy = policy,
		.body_max = (size_t)body_max,
	};
	r = station_start(&so, &st);
	if (r < 0) {
		fprintf(stderr, "alpr-station: serve: %s\n", alpr_strerror(r));
		policy_destroy(policy);
		return 1;
	}
	if (ready) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%u\n", station_port(st));
		alpr_write_file_atomic(ready, buf, (size_t)n, 0644);
	}
	fprintf(stderr, "alpr-station: serving %s on https://%s:%u\n", dir, listen,
		station_port(st));
	while (!stop_flag) {
		pause();
	}
	station_stop(st);
	policy_destroy(policy);
	return 0;
}
