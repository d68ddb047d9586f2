/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-sync: one sync round from a unit's store and hotlist folders to a station, for tests
 * and manual use. Prints one JSON line per status event, then the round's result.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "hotlist.h"
#include "store.h"
#include "sync.h"

static const char usage[] =
	"usage: alpr-sync --station URL --unit ID --creds DIR --store DIR [--hotlist DIR]\n"
	"                 [--state DIR] [--policy NAME|FILE] [--batch N]\n"
	"\n"
	"One sync round: uploads the store's unsynced reads, then downloads newer signed\n"
	"hotlist versions. --creds holds the unit's enrolment (alpr-station enroll): key.pem,\n"
	"cert.pem, ca.pem, hotlist-pub.pem. Exit status: 0 synced, 1 failed, 2 usage.\n";

static void on_status(const struct sync_status *st, void *ud)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I}", "event", sync_event_name(st->event),
			      "message", st->message, "queue_depth", (json_int_t)st->queue_depth,
			      "uploaded", (json_int_t)st->uploaded, "last_sync_at",
			      (json_int_t)st->last_sync_at);
	if (st->list[0]) {
		json_object_set_new(o, "list", json_string(st->list));
		json_object_set_new(o, "list_version", json_integer((json_int_t)st->list_version));
	}
	char *s = json_dumps(o, JSON_COMPACT);
	puts(s);
	free(s);
	json_decref(o);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"station", required_argument, NULL, 's'}, {"unit", required_argument, NULL, 'u'},
		{"creds", required_argument, NULL, 'c'},   {"store", required_argument, NULL, 'S'},
		{"hotlist", required_argument, NULL, 'H'}, {"state", required_argument, NULL, 't'},
		{"policy", required_argument, NULL, 'P'},  {"batch", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	const char *url = NULL, *unit = NULL, *creds = NULL, *store_dir = NULL, *hl_dir = NULL;
	const char *state = NULL, *policy_name = "default";
	int64_t batch = 0;
	int opt;

	alpr_log_init_from_env();
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			url = optarg;
			break;
		case 'u':
			unit = optarg;
			break;
		case 'c':
			creds = optarg;
			break;
		case 'S':
			store_dir = optarg;
			break;
		case 'H':
			hl_dir = optarg;
			break;
		case 't':
			state = optarg;
			break;
		case 'P':
			policy_name = optarg;
			break;
		case 'b':
			if (alpr_parse_int64(optarg, strlen(optarg), 1, 1024, &batch) < 0) {
				fprintf(stderr, "alpr-sync: --batch: not a number in [1, 1024]\n");
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!url || !unit || !creds || !store_dir || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	char cert[4096], key[4096], ca[4096], pub[4096], st_dir[4096], err[512];
	snprintf(cert, sizeof(cert), "%s/cert.pem", creds);
	snprintf(key, sizeof(key), "%s/key.pem", creds);
	snprintf(ca, sizeof(ca), "%s/ca.pem", creds);
	snprintf(pub, sizeof(pub), "%s/hotlist-pub.pem", creds);
	snprintf(st_dir, sizeof(st_dir), "%s", state ? state : store_dir);
	if (!state) {
		snprintf(st_dir, sizeof(st_dir), "%s/sync", store_dir);
	}

	struct policy *policy = NULL;
	struct store *store = NULL;
	struct hotlist *hl = NULL;
	struct sync_client *c = NULL;
	int r = strchr(policy_name, '/')
			? policy_load(policy_name, &policy, err, sizeof(err))
			: policy_load_named(policy_name, &policy, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "alpr-sync: policy: %s\n", err);
		return 1;
	}
	struct store_options so = {.unit_id = unit, .policy = policy};
	if ((r = store_open(store_dir, &so, &store)) < 0) {
		fprintf(stderr, "alpr-sync: store: %s: %s\n", store_dir, alpr_strerror(r));
		goto out;
	}
	if (hl_dir) {
		struct hotlist_options ho = {.policy = policy};
		if ((r = hotlist_open(hl_dir, &ho, &hl)) < 0) {
			fprintf(stderr, "alpr-sync: hotlist: %s: %s\n", hl_dir, alpr_strerror(r));
			goto out;
		}
	}
	struct sync_client_options co = {
		.station_url = url,
		.cert_path = cert,
		.key_path = key,
		.ca_path = ca,
		.hotlist_pubkey_path = pub,
		.state_dir = st_dir,
		.store = store,
		.hotlist = hl,
		.batch_reads = (size_t)batch,
		.on_status = on_status,
	};
	struct sync_round_result res;
	if ((r = sync_client_create(&co, &c)) < 0) {
		fprintf(stderr, "alpr-sync: %s\n", alpr_strerror(r));
		goto out;
	}
	r = sync_client_run_once(c, &res);
	if (r < 0) {
		fprintf(stderr, "alpr-sync: %s\n", res.error);
	}
out:
	sync_client_destroy(c);
	hotlist_close(hl);
	store_close(store);
	policy_destroy(policy);
	return r < 0 ? 1 : 0;
}
