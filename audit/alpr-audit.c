/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-audit: verify, show and checkpoint an audit log (audit.h). A thin tool: it parses
 * options and calls the library. Every failure ends in one line on stderr and a non-zero
 * exit: 1 when the log fails verification or an operation fails, 2 for a usage error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "common.h"

#define PROG "alpr-audit"

static const char usage_text[] =
	"usage: " PROG " --db DIR COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  verify [--pubkey PEM] [--checkpoint FILE]\n"
	"      Check the hash chain and every signed checkpoint. --pubkey is the device's\n"
	"      public key as the station registered it (default: the key stored in the log,\n"
	"      which proves consistency only). --checkpoint is the station's copy of the last\n"
	"      checkpoint: it also catches a cut tail. Exit 0 when the log verifies.\n"
	"  show [--from N] [--json]\n"
	"      Print the records from sequence N (default 1), one per line.\n"
	"  checkpoint --out FILE [--key PEM]\n"
	"      Sign a checkpoint over the newest record (with the device key, default\n"
	"      DIR/device-key.pem) and write it to FILE for the station.\n"
	"  pubkey --out FILE\n"
	"      Write the device's public key (PEM) for the station to register.\n"
	"\n"
	"Options:\n"
	"  --db DIR   the audit log folder\n"
	"  --help     this text\n";

/* The library logs the detail of a failure; the tool folds the last error into its one
 * line instead of printing a second one. */
struct log_capture {
	char last_error[512];
};

static void log_handler(enum alpr_log_level level, const char *subsys, const char *msg,
			void *userdata)
{
	struct log_capture *cap = userdata;

	if (level >= ALPR_LOG_ERROR) {
		alpr_strlcpy(cap->last_error, msg, sizeof(cap->last_error));
	} else {
		fprintf(stderr, PROG ": %s: %s\n", level == ALPR_LOG_WARN ? "warning" : "note",
			msg);
	}
}

__attribute__((format(printf, 2, 3))) static int fail(const struct log_capture *cap,
						      const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cap && cap->last_error[0]) {
		fprintf(stderr, " (%s)", cap->last_error);
	}
	fputc('\n', stderr);
	return 1;
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, PROG ": %s%s%s (try --help)\n", msg, arg ? ": " : "", arg ? arg : "");
	return 2;
}

/* Prints @s quoted, with backslash, quote and control bytes escaped: one record, one line. */
static void put_quoted(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			printf("\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			printf("\\x%02x", c);
		} else {
			putchar(c);
		}
	}
	putchar('"');
}

struct show_opts {
	bool json;
};

static int show_text(const struct audit_record *r)
{
	char when[ALPR_TIME_BUFSZ], rh[2 * AUDIT_HASH_LEN + 1];

	alpr_hex_encode(r->results_hash, AUDIT_HASH_LEN, rh);
	printf("%" PRIu64 " %s %s device=%s user=", r->seq,
	       alpr_time_format(r->time_us, when, sizeof(when)),
	       audit_time_source_name(r->time_source), r->device);
	put_quoted(r->user);
	fputs(" role=", stdout);
	put_quoted(r->role);
	fputs(" action=", stdout);
	put_quoted(r->action);
	printf(" outcome=%s", audit_outcome_name(r->outcome));
	if (r->outcome == AUDIT_DENIED) {
		fputs(" reason=", stdout);
		put_quoted(r->reason);
	}
	fputs(" purpose=", stdout);
	put_quoted(r->purpose);
	fputs(" case=", stdout);
	put_quoted(r->case_number);
	if (r->object_id[0]) {
		fputs(" object=", stdout);
		put_quoted(r->object_id);
	}
	printf(" results=%" PRIu64 " results_hash=%.16s params=", r->result_count, rh);
	put_quoted(r->params);
	putchar('\n');
	return 0;
}

static int show_json(const struct audit_record *r)
{
	char when[ALPR_TIME_BUFSZ], rh[2 * AUDIT_HASH_LEN + 1], ph[2 * AUDIT_HASH_LEN + 1];
	char prev[2 * AUDIT_HASH_LEN + 1];
	json_t *obj;

	alpr_hex_encode(r->results_hash, AUDIT_HASH_LEN, rh);
	alpr_hex_encode(r->profile_hash, AUDIT_HASH_LEN, ph);
	alpr_hex_encode(r->prev_hash, AUDIT_HASH_LEN, prev);
	/* The decoder guarantees UTF-8 text, so json_pack cannot fail on a string. */
	obj = json_pack(
		"{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, "
		"s:s, s:s, s:s}",
		"seq", (json_int_t)r->seq, "time", alpr_time_format(r->time_us, when, sizeof(when)),
		"time_us", (json_int_t)r->time_us, "time_source",
		audit_time_source_name(r->time_source), "device", r->device, "user", r->user,
		"role", r->role, "action", r->action, "params", r->params, "purpose", r->purpose,
		"case_number", r->case_number, "object_id", r->object_id, "result_count",
		(json_int_t)r->result_count, "results_hash", rh, "outcome",
		audit_outcome_name(r->outcome), "reason", r->reason, "profile_hash", ph);
	if (!obj) {
		return -ENOMEM;
	}
	json_object_set_new(obj, "prev_hash", json_string(prev));
	json_dumpf(obj, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(obj);
	return 0;
}

static int show_one(const struct audit_record *r, void *userdata)
{
	const struct show_opts *o = userdata;
	int ret = o->json ? show_json(r) : show_text(r);

	if (ret == 0 && ferror(stdout)) {
		ret = -EIO;
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct log_capture cap = {{0}};
	const char *db = NULL, *cmd = NULL, *pubkey = NULL, *checkpoint = NULL, *out = NULL;
	const char *key = NULL, *from_s = NULL;
	bool json = false;
	struct audit_open_opts opts = {0};
	struct audit *a = NULL;
	int r, status = 0;

	alpr_log_init_from_env();
	alpr_log_set_handler(log_handler, &cap);

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char **slot = NULL;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (strcmp(arg, "--json") == 0) {
			json = true;
			continue;
		} else if (strcmp(arg, "--db") == 0) {
			slot = &db;
		} else if (strcmp(arg, "--pubkey") == 0) {
			slot = &pubkey;
		} else if (strcmp(arg, "--checkpoint") == 0) {
			slot = &checkpoint;
		} else if (strcmp(arg, "--out") == 0) {
			slot = &out;
		} else if (strcmp(arg, "--key") == 0) {
			slot = &key;
		} else if (strcmp(arg, "--from") == 0) {
			slot = &from_s;
		} else if (arg[0] == '-') {
			return usage_error("unknown option", arg);
		} else if (!cmd) {
			cmd = arg;
			continue;
		} else {
			return usage_error("unexpected argument", arg);
		}
		if (i + 1 >= argc) {
			return usage_error("option needs a value", arg);
		}
		*slot = argv[++i];
	}
	if (!db) {
		return usage_error("--db DIR is required", NULL);
	}
	if (!cmd) {
		return usage_error("no command (verify, show, checkpoint, pubkey)", NULL);
	}

	if (strcmp(cmd, "verify") == 0) {
		struct audit_verify_result res;

		if (out || key || from_s || json) {
			return usage_error("verify takes --pubkey and --checkpoint only", NULL);
		}
		opts.read_only = true;
		if ((r = audit_open(db, &opts, &a)) < 0) {
			return fail(&cap, "%s: cannot open the audit log: %s", db,
				    alpr_strerror(r));
		}
		r = audit_verify(a, pubkey, checkpoint, &res);
		if (r == 0) {
			printf("%s\n", res.reason);
		} else if (res.first_bad_seq) {
			status = fail(NULL, "%s: FAILED at record %" PRIu64 ": %s", db,
				      res.first_bad_seq, res.reason);
		} else {
			status = fail(NULL, "%s: cannot verify: %s", db, res.reason);
		}
	} else if (strcmp(cmd, "show") == 0) {
		struct show_opts so = {.json = json};
		int64_t from = 1;

		if (out || key || pubkey || checkpoint) {
			return usage_error("show takes --from and --json only", NULL);
		}
		if (from_s && alpr_parse_int64(from_s, strlen(from_s), 1, INT64_MAX, &from) < 0) {
			return usage_error("--from needs a sequence number >= 1", from_s);
		}
		opts.read_only = true;
		if ((r = audit_open(db, &opts, &a)) < 0) {
			return fail(&cap, "%s: cannot open the audit log: %s", db,
				    alpr_strerror(r));
		}
		r = audit_foreach(a, (uint64_t)from, show_one, &so);
		if (fflush(stdout) != 0 && r == 0) {
			r = -EIO;
		}
		if (r < 0) {
			status = fail(&cap, "%s: show: %s%s", db, alpr_strerror(r),
				      r == -ALPR_E_CORRUPT ? " (run verify)" : "");
		}
	} else if (strcmp(cmd, "checkpoint") == 0) {
		if (!out) {
			return usage_error("checkpoint needs --out FILE", NULL);
		}
		if (pubkey || checkpoint || from_s || json) {
			return usage_error("checkpoint takes --out and --key only", NULL);
		}
		opts.key_path = key;
		if ((r = audit_open(db, &opts, &a)) < 0) {
			return fail(&cap, "%s: cannot open the audit log: %s", db,
				    alpr_strerror(r));
		}
		r = audit_checkpoint(a);
		if (r == -ENODATA) {
			status = fail(NULL, "%s: the log is empty: nothing to checkpoint", db);
		} else if (r < 0) {
			status = fail(&cap, "%s: checkpoint: %s", db, alpr_strerror(r));
		} else if ((r = audit_export_checkpoint(a, out)) < 0) {
			status = fail(&cap, "%s: %s", out, alpr_strerror(r));
		} else {
			struct audit_checkpoint_info cp;
			if (audit_last_checkpoint(a, &cp) == 0) {
				printf("checkpoint over record %" PRIu64 " written to %s\n", cp.seq,
				       out);
			}
		}
	} else if (strcmp(cmd, "pubkey") == 0) {
		if (!out) {
			return usage_error("pubkey needs --out FILE", NULL);
		}
		if (pubkey || checkpoint || from_s || json || key) {
			return usage_error("pubkey takes --out only", NULL);
		}
		opts.read_only = true;
		if ((r = audit_open(db, &opts, &a)) < 0) {
			return fail(&cap, "%s: cannot open the audit log: %s", db,
				    alpr_strerror(r));
		}
		if ((r = audit_export_pubkey(a, out)) < 0) {
			status = fail(&cap, "%s: %s", out, alpr_strerror(r));
		}
	} else {
		return usage_error("unknown command", cmd);
	}
	audit_close(a);
	return status;
}
