/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * bench-sync: figures for docs/benchmarks.md (Sync). A station in-process on 127.0.0.1 over
 * real TLS with client certificates, units in-process:
 *   1. one unit uploads N reads with 2 KiB crops (reads per second);
 *   2. a unit downloads and applies a signed delta of C changes over a list of B entries;
 *   3. U units sync M reads each at once against the one station.
 * Usage: alpr-bench-sync [--reads N] [--changes C] [--base B] [--units U] [--unit-reads M]
 *                        [--dir DIR]
 */
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotlist.h"
#include "station.h"
#include "store.h"
#include "sync.h"

struct unit {
	char name[32];
	char dir[512];
	struct store *store;
	struct hotlist *hotlist;
	struct sync_client *client;
	struct sync_round_result res;
	int rc;
	double seconds;
};

static const struct policy *policy;
static char station_dir[512], url[64];

static void die(const char *what, int r)
{
	fprintf(stderr, "bench-sync: %s: %s\n", what, alpr_strerror(r));
	exit(1);
}

static void unit_setup(struct unit *u, const char *base, const char *name, bool hotlist)
{
	char tls[600], p[700], src[600];
	int r;
	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->dir, sizeof(u->dir), "%s/%s", base, name);
	snprintf(tls, sizeof(tls), "%s/tls", station_dir);
	if ((r = sync_ca_issue(tls, name, SYNC_ROLE_UNIT, -60, 86400, u->dir)) < 0) {
		die("enroll", r);
	}
	struct store_options so = {.unit_id = name, .policy = policy};
	snprintf(p, sizeof(p), "%s/store", u->dir);
	if ((r = store_open(p, &so, &u->store)) < 0) {
		die("store", r);
	}
	if (hotlist) {
		struct hotlist_options ho = {.policy = policy};
		snprintf(p, sizeof(p), "%s/hotlist", u->dir);
		if ((r = hotlist_open(p, &ho, &u->hotlist)) < 0) {
			die("hotlist", r);
		}
	}
	char cert[700], key[700], ca[700], state[700];
	snprintf(cert, sizeof(cert), "%s/cert.pem", u->dir);
	snprintf(key, sizeof(key), "%s/key.pem", u->dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", u->dir);
	snprintf(state, sizeof(state), "%s/sync", u->dir);
	snprintf(src, sizeof(src), "%s/hotlist-pub.pem", station_dir);
	struct sync_client_options o = {.station_url = url,
					.cert_path = cert,
					.key_path = key,
					.ca_path = ca,
					.hotlist_pubkey_path = src,
					.state_dir = state,
					.store = u->store,
					.hotlist = u->hotlist,
					.stall_timeout_ms = 120000};
	if ((r = sync_client_create(&o, &u->client)) < 0) {
		die("client", r);
	}
}

static void unit_finish(struct unit *u)
{
	sync_client_destroy(u->client);
	hotlist_close(u->hotlist);
	store_close(u->store);
}

static void add_reads(struct unit *u, unsigned n)
{
	static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t crop[2048];
	memcpy(crop, png, 8);
	int64_t now = alpr_clock_now(NULL);
	for (unsigned i = 0; i < n; i++) {
		struct store_read r = {0};
		for (size_t k = 8; k < sizeof(crop); k++) {
			crop[k] = (uint8_t)(k * 31 + i);
		}
		r.captured_at = now - 600 * ALPR_USEC_PER_SEC + i;
		alpr_strlcpy(r.camera, "front-left", sizeof(r.camera));
		snprintf(r.plate, sizeof(r.plate), "B%06u", i % 1000000);
		r.confidence = 0.9f;
		alpr_strlcpy(r.candidates[0].plate, r.plate, sizeof(r.candidates[0].plate));
		r.candidates[0].confidence = 0.9f;
		r.ncandidates = 1;
		alpr_strlcpy(r.state, "NH", sizeof(r.state));
		r.box = (struct store_box){10, 20, 140, 44};
		r.gps = (struct store_gps){STORE_FIX_3D, 43.2, -71.5, 13.4, 90.0, 250};
		r.track_id = i;
		r.frames_voted = 5;
		r.crop = crop;
		r.crop_len = sizeof(crop);
		r.crop_format = STORE_CROP_PNG;
		int rc = store_put_read(u->store, &r, NULL, NULL);
		if (rc < 0) {
			die("store_put_read", rc);
		}
	}
}

static void *unit_thread(void *arg)
{
	struct unit *u = arg;
	int64_t t0 = alpr_monotonic_us();
	u->rc = sync_client_run_once(u->client, &u->res);
	u->seconds = (double)(alpr_monotonic_us() - t0) / 1e6;
	return NULL;
}

static void write_csv(const char *path, unsigned from, unsigned n)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		die(path, -errno);
	}
	fputs("plate,state,category\n", f);
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "H%07u,NH,stolen_vehicle\n", from + i);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"reads", required_argument, NULL, 'r'},
						 {"changes", required_argument, NULL, 'c'},
						 {"base", required_argument, NULL, 'b'},
						 {"units", required_argument, NULL, 'u'},
						 {"unit-reads", required_argument, NULL, 'm'},
						 {"dir", required_argument, NULL, 'd'},
						 {NULL, 0, NULL, 0}};
	int64_t nreads = 100000, changes = 50000, base = 200000, nunits = 50, unit_reads = 1000;
	char dir[256] = "/tmp/bench-sync-XXXXXX";
	const char *user_dir = NULL;
	int opt, r;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int64_t *dst = opt == 'r'   ? &nreads
			       : opt == 'c' ? &changes
			       : opt == 'b' ? &base
			       : opt == 'u' ? &nunits
			       : opt == 'm' ? &unit_reads
					    : NULL;
		if (opt == 'd') {
			user_dir = optarg;
		} else if (!dst || alpr_parse_int64(optarg, strlen(optarg), 0, 10000000, dst) < 0) {
			fprintf(stderr,
				"usage: alpr-bench-sync [--reads N] [--changes C] [--base B] "
				"[--units U] [--unit-reads M] [--dir DIR]\n");
			return 2;
		}
	}
	if (changes / 2 > base) {
		fprintf(stderr, "bench-sync: --changes may be at most twice --base\n");
		return 2;
	}
	if (user_dir) {
		snprintf(dir, sizeof(dir), "%s", user_dir);
		alpr_mkdir_p(dir);
	} else if (!mkdtemp(dir)) {
		die("mkdtemp", -errno);
	}
	alpr_log_init_from_env();
	char err[256];
	struct policy *pol;
	if ((r = policy_load_named("default", &pol, err, sizeof(err))) < 0) {
		fprintf(stderr, "bench-sync: %s\n", err);
		return 1;
	}
	policy = pol;
	snprintf(station_dir, sizeof(station_dir), "%s/station", dir);
	if ((r = station_init(station_dir, NULL, 0)) < 0) {
		die("station_init", r);
	}
	struct station *st;
	struct station_options so = {.dir = station_dir, .policy = policy};
	if ((r = station_start(&so, &st)) < 0) {
		die("station_start", r);
	}
	snprintf(url, sizeof(url), "https://127.0.0.1:%u", station_port(st));
	printf("bench-sync: station on %s, folder %s\n", url, dir);

	/* 1. Upload. */
	if (nreads > 0) {
		struct unit u = {0};
		unit_setup(&u, dir, "bench-up", false);
		int64_t t0 = alpr_monotonic_us();
		add_reads(&u, (unsigned)nreads);
		double tstore = (double)(alpr_monotonic_us() - t0) / 1e6;
		t0 = alpr_monotonic_us();
		r = sync_client_run_once(u.client, &u.res);
		double t = (double)(alpr_monotonic_us() - t0) / 1e6;
		if (r < 0) {
			fprintf(stderr, "bench-sync: upload: %s\n", u.res.error);
			return 1;
		}
		printf("upload: %llu reads with 2 KiB crops in %llu batches of 64: %.1f s, %.0f "
		       "reads/s (storing them on the unit took %.1f s)\n",
		       (unsigned long long)u.res.uploaded, (unsigned long long)u.res.batches, t,
		       (double)u.res.uploaded / t, tstore);
		unit_finish(&u);
	}

	/* 2. A delta of @changes over a list of @base entries: half removals, half additions. */
	if (changes > 0) {
		struct hotlist *desk;
		struct hotlist_options ho = {.policy = policy};
		struct hotlist_import_options io = {.list = "stolen",
						    .mode = HOTLIST_IMPORT_REPLACE};
		struct hotlist_import_result ir;
		char p[600], priv[600], pub[600], d1[600], d2[600];
		snprintf(p, sizeof(p), "%s/desk", dir);
		snprintf(priv, sizeof(priv), "%s/publisher-key.pem", dir);
		snprintf(pub, sizeof(pub), "%s/publisher-pub.pem", station_dir);
		snprintf(d1, sizeof(d1), "%s/v1.delta", dir);
		snprintf(d2, sizeof(d2), "%s/v2.delta", dir);
		if ((r = hotlist_open(p, &ho, &desk)) < 0 || (r = hotlist_keygen(priv, pub)) < 0) {
			die("desk", r);
		}
		snprintf(p, sizeof(p), "%s/v1.csv", dir);
		write_csv(p, 0, (unsigned)base);
		if ((r = hotlist_import_csv(desk, p, &io, &ir)) < 0) {
			die("import v1", r);
		}
		uint64_t v1 = ir.version;
		if ((r = hotlist_delta_write(desk, "stolen", 0, v1, priv, d1)) < 0) {
			die("delta v1", r);
		}
		snprintf(p, sizeof(p), "%s/v2.csv", dir);
		write_csv(p, (unsigned)(changes / 2), (unsigned)base);
		if ((r = hotlist_import_csv(desk, p, &io, &ir)) < 0) {
			die("import v2", r);
		}
		if ((r = hotlist_delta_write(desk, "stolen", v1, ir.version, priv, d2)) < 0) {
			die("delta v2", r);
		}
		struct sync_tls tls = {0};
		char acert[700], akey[700], aca[700], adir[600], tdir[600];
		snprintf(adir, sizeof(adir), "%s/admin", dir);
		snprintf(tdir, sizeof(tdir), "%s/tls", station_dir);
		if ((r = sync_ca_issue(tdir, "admin", SYNC_ROLE_ADMIN, -60, 86400, adir)) < 0) {
			die("enroll admin", r);
		}
		snprintf(acert, sizeof(acert), "%s/cert.pem", adir);
		snprintf(akey, sizeof(akey), "%s/key.pem", adir);
		snprintf(aca, sizeof(aca), "%s/ca.pem", adir);
		tls = (struct sync_tls){acert, akey, aca};
		if ((r = sync_publish(url, &tls, d1, NULL, err, sizeof(err))) < 0) {
			fprintf(stderr, "bench-sync: publish v1: %s\n", err);
			return 1;
		}
		struct unit u = {0};
		unit_setup(&u, dir, "bench-hl", true);
		int64_t t0 = alpr_monotonic_us();
		if ((r = sync_client_run_once(u.client, &u.res)) < 0) {
			fprintf(stderr, "bench-sync: snapshot: %s\n", u.res.error);
			return 1;
		}
		double tsnap = (double)(alpr_monotonic_us() - t0) / 1e6;
		t0 = alpr_monotonic_us();
		if ((r = sync_publish(url, &tls, d2, NULL, err, sizeof(err))) < 0) {
			fprintf(stderr, "bench-sync: publish v2: %s\n", err);
			return 1;
		}
		double tpub = (double)(alpr_monotonic_us() - t0) / 1e6;
		/* The station signs the delta for the first unit that asks; time that apart. */
		t0 = alpr_monotonic_us();
		if ((r = sync_client_run_once(u.client, &u.res)) < 0 || u.res.lists_updated != 1) {
			fprintf(stderr, "bench-sync: delta: %s\n", u.res.error);
			return 1;
		}
		double tdelta = (double)(alpr_monotonic_us() - t0) / 1e6;
		/* Apply alone: the same delta again on a second unit at v1. */
		struct unit u2 = {0};
		unit_setup(&u2, dir, "bench-hl2", true);
		char upub[600];
		snprintf(upub, sizeof(upub), "%s/hotlist-pub.pem", station_dir);
		char served[700], sd1[700];
		snprintf(sd1, sizeof(sd1), "%s/deltas/stolen-0-%llu.delta", station_dir,
			 (unsigned long long)v1);
		snprintf(served, sizeof(served), "%s/deltas/stolen-%llu-%llu.delta", station_dir,
			 (unsigned long long)v1, (unsigned long long)ir.version);
		if ((r = hotlist_delta_apply(u2.hotlist, sd1, upub, NULL, err, sizeof(err))) < 0) {
			fprintf(stderr, "bench-sync: %s\n", err);
			return 1;
		}
		t0 = alpr_monotonic_us();
		if ((r = hotlist_delta_apply(u2.hotlist, served, upub, NULL, err, sizeof(err))) <
		    0) {
			fprintf(stderr, "bench-sync: %s\n", err);
			return 1;
		}
		double tapply = (double)(alpr_monotonic_us() - t0) / 1e6;
		printf("hotlist: list of %lld entries, snapshot sync %.1f s; publish of a "
		       "%lld-change "
		       "delta %.1f s; unit sync of it (station signs it, download, verify, apply) "
		       "%.1f s; hotlist_delta_apply alone %.2f s\n",
		       (long long)base, tsnap, (long long)changes, tpub, tdelta, tapply);
		unit_finish(&u);
		unit_finish(&u2);
		hotlist_close(desk);
	}

	/* 3. Many units at once. */
	if (nunits > 0) {
		struct unit *units = alpr_xcalloc((size_t)nunits, sizeof(*units));
		pthread_t *th = alpr_xcalloc((size_t)nunits, sizeof(*th));
		for (int64_t i = 0; i < nunits; i++) {
			char name[32];
			snprintf(name, sizeof(name), "fleet%03lld", (long long)i);
			unit_setup(&units[i], dir, name, false);
			add_reads(&units[i], (unsigned)unit_reads);
		}
		int64_t t0 = alpr_monotonic_us();
		for (int64_t i = 0; i < nunits; i++) {
			pthread_create(&th[i], NULL, unit_thread, &units[i]);
		}
		double worst = 0;
		uint64_t total = 0;
		int failed = 0;
		for (int64_t i = 0; i < nunits; i++) {
			pthread_join(th[i], NULL);
			worst = fmax(worst, units[i].seconds);
			total += units[i].res.uploaded;
			failed += units[i].rc < 0;
		}
		double t = (double)(alpr_monotonic_us() - t0) / 1e6;
		printf("fleet: %lld units x %lld reads at once: %.1f s wall, %.0f reads/s in "
		       "total, "
		       "slowest unit %.1f s, %d failed rounds\n",
		       (long long)nunits, (long long)unit_reads, t, (double)total / t, worst,
		       failed);
		for (int64_t i = 0; i < nunits; i++) {
			unit_finish(&units[i]);
		}
		free(units);
		free(th);
	}
	station_stop(st);
	policy_destroy(pol);
	return 0;
}
