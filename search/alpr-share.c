/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-share: disclosures to other agencies (sharing.h, docs/search.md "Sharing"). A thin
 * tool over the library: key pairs, signed sharing agreements from a small JSON spec, one
 * encrypted disclosure per request (audited, refusals too), and the recipient's side.
 * Exit 0 on success, 3 when a disclosure was refused (and audited), 1 on another failure
 * (a file that does not parse: one line naming the file, line and field), 2 on a usage
 * error. Nothing is written on a failure.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "sharing.h"

#define PROG "alpr-share"

enum { EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_REFUSED = 3 };

/* An agreement spec is a short JSON object; a list of ids at most SHARING_IDS_MAX lines. */
#define SPEC_MAX_BYTES (16 * 1024)
#define IDS_MAX_BYTES  (SHARING_IDS_MAX * (STORE_ID_MAX + 2))

static const char usage_text[] =
	"usage: " PROG " keygen ed25519|x25519 --priv FILE --pub FILE\n"
	"       " PROG " agreement --spec SPEC.json --agency-key PEM --out FILE\n"
	"                 [--policy NAME|FILE]\n"
	"       " PROG " disclose --store DIR --audit DIR --agreement FILE --agency-pub PEM\n"
	"                 --user U --role investigator --purpose P --case C\n"
	"                 (--id READ_ID... | --ids FILE) --out FILE\n"
	"                 [--policy NAME|FILE] [--unit-id ID] [--store-key FILE]\n"
	"       " PROG " open --in FILE --key PEM\n"
	"\n"
	"keygen     the agency's signing key (ed25519) or a recipient's encryption key (x25519)\n"
	"agreement  signs a sharing agreement from SPEC: {\"id\", \"recipient\",\n"
	"           \"recipient_type\": local|state|out_of_state|federal, \"recipient_key\": the\n"
	"           recipient's x25519 public key file, \"purposes\": [...], \"data_classes\":\n"
	"           [\"read\", \"hit\"], \"issued\": ISO 8601, \"expires\": ISO 8601}; refused "
	"when\n"
	"           the profile forbids the recipient type or a purpose is not one it allows\n"
	"disclose   one request: the reads, encrypted to the agreement's recipient, audited\n"
	"           (a refusal is audited too: exit 3)\n"
	"open       the recipient's side: decrypts a disclosure and prints its JSON\n";

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

struct opts {
	const char *priv, *pub, *spec, *agency_key, *agency_pub, *out, *in, *key, *policy;
	const char *store, *audit, *agreement, *user, *role, *purpose, *case_number, *ids_file;
	const char *unit_id, *store_key;
	const char *ids[SHARING_IDS_MAX];
	size_t nids;
};

static int load_profile(const char *name, struct policy **out)
{
	char err[512] = "";
	int r = strchr(name, '/') ? policy_load(name, out, err, sizeof(err))
				  : policy_load_named(name, out, err, sizeof(err));
	if (r < 0) {
		fail(EXIT_FAIL, "%s", err[0] ? err : alpr_strerror(r));
	}
	return r;
}

/* ---- agreement ------------------------------------------------------------------------- */

static const char *const spec_keys[] = {
	"id",       "recipient",    "recipient_type", "recipient_key",
	"purposes", "data_classes", "issued",         "expires"};

static int spec_error(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int spec_error(const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail(EXIT_FAIL, "%s: %s", path, msg);
}

static bool id_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= SHARING_ID_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Printable text without control characters (a name for the recipient's agency). */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SHARING_RECIPIENT_MAX) {
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			return false;
		}
	}
	return true;
}

static int cmd_agreement(const struct opts *o)
{
	struct sharing_agreement ag = {0};
	struct policy *p = NULL;
	json_error_t je;
	char *text = NULL;
	size_t len;
	int code = EXIT_FAIL;

	if (!o->spec || !o->agency_key || !o->out) {
		return usage_error("agreement needs --spec, --agency-key and --out", NULL);
	}
	if (load_profile(o->policy, &p) < 0) {
		return EXIT_FAIL;
	}
	int r = alpr_read_file(o->spec, SPEC_MAX_BYTES, &text, &len);
	if (r < 0) {
		policy_destroy(p);
		return fail(EXIT_FAIL, "%s: %s%s", o->spec, alpr_strerror(r),
			    r == -EFBIG ? " (a spec is at most 16 KiB)" : "");
	}
	json_t *s = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!s) {
		code = spec_error(o->spec, "line %d: %s", je.line, je.text);
		goto out;
	}
	if (!json_is_object(s)) {
		code = spec_error(o->spec, "not a JSON object");
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach (s, key, v) {
		bool known = false;
		for (size_t i = 0; i < ALPR_ARRAY_SIZE(spec_keys); i++) {
			known |= strcmp(key, spec_keys[i]) == 0;
		}
		if (!known) {
			code = spec_error(o->spec, "%.64s: not a field of an agreement", key);
			goto out;
		}
	}
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(spec_keys); i++) {
		if (!json_object_get(s, spec_keys[i])) {
			code = spec_error(o->spec, "%s: missing", spec_keys[i]);
			goto out;
		}
	}
	const char *id = json_string_value(json_object_get(s, "id"));
	const char *rcpt = json_string_value(json_object_get(s, "recipient"));
	const char *type = json_string_value(json_object_get(s, "recipient_type"));
	const char *keyf = json_string_value(json_object_get(s, "recipient_key"));
	const char *issued = json_string_value(json_object_get(s, "issued"));
	const char *expires = json_string_value(json_object_get(s, "expires"));
	if (!id || !id_ok(id)) {
		code = spec_error(o->spec, "id: 1 to %d of [A-Za-z0-9._-]", SHARING_ID_MAX);
		goto out;
	}
	if (!rcpt || !name_ok(rcpt)) {
		code = spec_error(o->spec, "recipient: a name of 1 to %d printable bytes",
				  SHARING_RECIPIENT_MAX);
		goto out;
	}
	int t = type ? policy_recipient_from_name(type, strlen(type)) : -EINVAL;
	if (t < 0) {
		code = spec_error(o->spec, "recipient_type: local, state, out_of_state or federal");
		goto out;
	}
	if (policy_sharing_rule(p, (enum policy_recipient)t) == POLICY_SHARING_FORBIDDEN) {
		code = spec_error(o->spec,
				  "recipient_type: profile %s forbids disclosure to %s agencies",
				  policy_name(p), type);
		goto out;
	}
	if (!issued || alpr_time_parse(issued, strlen(issued), &ag.issued_us) < 0) {
		code = spec_error(o->spec, "issued: not an ISO 8601 date or time");
		goto out;
	}
	if (!expires || alpr_time_parse(expires, strlen(expires), &ag.expires_us) < 0 ||
	    ag.expires_us <= ag.issued_us) {
		code = spec_error(o->spec, "expires: an ISO 8601 date or time after issued");
		goto out;
	}
	json_t *purposes = json_object_get(s, "purposes");
	if (!json_is_array(purposes) || json_array_size(purposes) == 0 ||
	    json_array_size(purposes) > SHARING_PURPOSES_MAX) {
		code = spec_error(o->spec, "purposes: a list of 1 to %d purposes",
				  SHARING_PURPOSES_MAX);
		goto out;
	}
	size_t i;
	json_array_foreach (purposes, i, v) {
		const char *pu = json_string_value(v);
		int j = pu ? policy_purpose_find(p, pu) : -ENOENT;
		if (j < 0 || policy_purpose_prohibited(p, (size_t)j)) {
			code = spec_error(o->spec,
					  "purposes[%zu]: not an allowed purpose of profile %s", i,
					  policy_name(p));
			goto out;
		}
		alpr_strlcpy(ag.purposes[ag.npurposes++], pu, sizeof(ag.purposes[0]));
	}
	json_t *classes = json_object_get(s, "data_classes");
	if (!json_is_array(classes) || json_array_size(classes) == 0 ||
	    json_array_size(classes) > 2) {
		code = spec_error(o->spec, "data_classes: a list of \"read\" and/or \"hit\"");
		goto out;
	}
	json_array_foreach (classes, i, v) {
		const char *c = json_string_value(v);
		if (c && strcmp(c, "read") == 0) {
			ag.classes[POLICY_CLASS_READ] = true;
		} else if (c && strcmp(c, "hit") == 0) {
			ag.classes[POLICY_CLASS_HIT] = true;
		} else {
			code = spec_error(o->spec, "data_classes[%zu]: \"read\" or \"hit\"", i);
			goto out;
		}
	}
	alpr_strlcpy(ag.id, id, sizeof(ag.id));
	alpr_strlcpy(ag.recipient, rcpt, sizeof(ag.recipient));
	ag.type = (enum policy_recipient)t;
	if (!keyf || (r = sharing_load_raw_pubkey("x25519", keyf, ag.recipient_key)) < 0) {
		code = spec_error(o->spec, "recipient_key: %s: %s", keyf ? keyf : "(not a string)",
				  keyf ? alpr_strerror(r) : "a file name");
		goto out;
	}
	r = sharing_agreement_write(&ag, o->agency_key, o->out);
	if (r < 0) {
		code = fail(EXIT_FAIL, "%s: %s (agency key %s)", o->out, alpr_strerror(r),
			    o->agency_key);
		goto out;
	}
	printf("agreement %s for %s (%s) written to %s\n", ag.id, ag.recipient, type, o->out);
	code = 0;
out:
	json_decref(s);
	policy_destroy(p);
	return code;
}

/* ---- disclose -------------------------------------------------------------------------- */

static bool read_id_ok(const char *s, size_t n)
{
	return n > 0 && n <= STORE_ID_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") >= n;
}

/* The ids file: one read id per line, blank lines ignored. On a bad line, "FILE:LINE: ..." in
 * @why. The ids point into *text (the caller frees it). */
static int load_ids(const char *path, char **text, const char **ids, size_t *nids, char *why,
		    size_t whysz)
{
	size_t len;
	int r = alpr_read_file(path, IDS_MAX_BYTES, text, &len);
	if (r < 0) {
		snprintf(why, whysz, "ids: %s: %s", path, alpr_strerror(r));
		return r;
	}
	unsigned line = 0;
	for (char *p = *text; p < *text + len;) {
		char *nl = memchr(p, '\n', (size_t)(*text + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(*text + len - p);
		line++;
		if (n > 0 && p[n - 1] == '\r') {
			n--;
		}
		if (n > 0) {
			if (!read_id_ok(p, n) || memchr(p, '\0', n)) {
				snprintf(why, whysz, "ids: %s:%u: not a read id", path, line);
				return -EINVAL;
			}
			if (*nids == SHARING_IDS_MAX) {
				snprintf(why, whysz, "ids: %s:%u: more than %d ids in one request",
					 path, line, SHARING_IDS_MAX);
				return -EINVAL;
			}
			p[n] = '\0';
			ids[(*nids)++] = p;
		}
		p = nl ? nl + 1 : *text + len;
	}
	return 0;
}

static int cmd_disclose(struct opts *o)
{
	struct policy *p = NULL;
	struct audit *a = NULL;
	struct store *s = NULL;
	struct sharing_agreement ag;
	char reason[512] = "", err[512] = "";
	char *idtext = NULL;
	int code = EXIT_FAIL, r;

	if (!o->store || !o->audit || !o->agreement || !o->agency_pub || !o->out) {
		return usage_error("disclose needs --store, --audit, --agreement, --agency-pub "
				   "and --out",
				   NULL);
	}
	if (o->ids_file && o->nids) {
		return usage_error("--id and --ids are exclusive", NULL);
	}
	if (load_profile(o->policy, &p) < 0) {
		return EXIT_FAIL;
	}
	struct audit_open_opts ao = {0};
	if ((r = audit_open(o->audit, &ao, &a)) < 0) {
		code = fail(EXIT_FAIL, "%s: %s", o->audit, alpr_strerror(r));
		goto out;
	}
	struct sharing_request rq = {.user = o->user,
				     .role = o->role,
				     .purpose = o->purpose,
				     .case_number = o->case_number,
				     .ids = o->ids,
				     .nids = o->nids};
	/* A request that cannot be used is still a request: refused and audited. */
	if (o->ids_file &&
	    load_ids(o->ids_file, &idtext, o->ids, &o->nids, reason, sizeof(reason)) < 0) {
		rq.nids = o->nids;
		goto refuse;
	}
	rq.nids = o->nids;
	if ((r = sharing_agreement_load(o->agreement, o->agency_pub, &ag, err, sizeof(err))) < 0) {
		snprintf(reason, sizeof(reason), "agreement: %s", err[0] ? err : alpr_strerror(r));
		goto refuse;
	}
	struct store_options so = {.unit_id = o->unit_id ? o->unit_id : audit_device_id(a),
				   .policy = p,
				   .key_path = o->store_key};
	if ((r = store_open(o->store, &so, &s)) < 0) {
		code = fail(EXIT_FAIL, "%s: %s", o->store, alpr_strerror(r));
		goto out;
	}
	r = sharing_disclose(s, a, p, &ag, &rq, o->out, reason, sizeof(reason));
	if (r == -ALPR_E_REFUSED) {
		code = fail(EXIT_REFUSED, "refused: %s", reason);
	} else if (r < 0) {
		code = fail(EXIT_FAIL, "%s", reason[0] ? reason : alpr_strerror(r));
	} else {
		printf("disclosed %zu reads to %s under agreement %s: %s\n", rq.nids, ag.recipient,
		       ag.id, o->out);
		code = 0;
	}
	goto out;
refuse:
	r = sharing_refuse(a, p, &rq, o->agreement, reason);
	code = r == -ALPR_E_REFUSED
		       ? fail(EXIT_REFUSED, "refused: %s", reason)
		       : fail(EXIT_FAIL, "%s; and the audit failed: %s", reason, alpr_strerror(r));
out:
	store_close(s);
	audit_close(a);
	policy_destroy(p);
	free(idtext);
	return code;
}

/* ---- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"priv", required_argument, NULL, 'k'},
		{"pub", required_argument, NULL, 'K'},
		{"spec", required_argument, NULL, 's'},
		{"agency-key", required_argument, NULL, 'a'},
		{"agency-pub", required_argument, NULL, 'A'},
		{"out", required_argument, NULL, 'o'},
		{"in", required_argument, NULL, 'i'},
		{"key", required_argument, NULL, 'y'},
		{"policy", required_argument, NULL, 'P'},
		{"store", required_argument, NULL, 'S'},
		{"store-key", required_argument, NULL, 'T'},
		{"audit", required_argument, NULL, 'U'},
		{"agreement", required_argument, NULL, 'g'},
		{"user", required_argument, NULL, 'u'},
		{"role", required_argument, NULL, 'r'},
		{"purpose", required_argument, NULL, 'p'},
		{"case", required_argument, NULL, 'c'},
		{"id", required_argument, NULL, 'I'},
		{"ids", required_argument, NULL, 'f'},
		{"unit-id", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct opts o = {.policy = "default"};
	int c;

	alpr_log_init_from_env();
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o.priv = optarg;
			break;
		case 'K':
			o.pub = optarg;
			break;
		case 's':
			o.spec = optarg;
			break;
		case 'a':
			o.agency_key = optarg;
			break;
		case 'A':
			o.agency_pub = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'i':
			o.in = optarg;
			break;
		case 'y':
			o.key = optarg;
			break;
		case 'P':
			o.policy = optarg;
			break;
		case 'S':
			o.store = optarg;
			break;
		case 'T':
			o.store_key = optarg;
			break;
		case 'U':
			o.audit = optarg;
			break;
		case 'g':
			o.agreement = optarg;
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
		case 'I':
			if (o.nids == SHARING_IDS_MAX) {
				return usage_error("--id: too many ids for one request", NULL);
			}
			o.ids[o.nids++] = optarg;
			break;
		case 'f':
			o.ids_file = optarg;
			break;
		case 'n':
			o.unit_id = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage_error("unknown option", NULL);
		}
	}
	if (optind >= argc) {
		return usage_error("no command (keygen, agreement, disclose, open)", NULL);
	}
	const char *cmd = argv[optind++];
	if (strcmp(cmd, "keygen") == 0) {
		const char *kind = optind < argc ? argv[optind++] : NULL;
		if (!kind || optind != argc || !o.priv || !o.pub) {
			return usage_error("keygen ed25519|x25519 --priv FILE --pub FILE", NULL);
		}
		int r = sharing_keygen(kind, o.priv, o.pub);
		if (r < 0) {
			return fail(EXIT_FAIL, "keygen %s: %s%s", kind, alpr_strerror(r),
				    r == -EINVAL ? " (ed25519 or x25519)" : "");
		}
		return 0;
	}
	if (optind != argc) {
		return usage_error("unexpected argument", argv[optind]);
	}
	if (strcmp(cmd, "agreement") == 0) {
		return cmd_agreement(&o);
	}
	if (strcmp(cmd, "disclose") == 0) {
		return cmd_disclose(&o);
	}
	if (strcmp(cmd, "open") == 0) {
		char *json = NULL;
		size_t len;
		if (!o.in || !o.key) {
			return usage_error("open needs --in and --key", NULL);
		}
		int r = sharing_open(o.in, o.key, &json, &len);
		if (r < 0) {
			return fail(EXIT_FAIL, "%s: %s", o.in,
				    r == -ALPR_E_CORRUPT ? "does not decrypt with this key"
							 : alpr_strerror(r));
		}
		fwrite(json, 1, len, stdout);
		fputc('\n', stdout);
		free(json);
		return 0;
	}
	return usage_error("unknown command", cmd);
}
