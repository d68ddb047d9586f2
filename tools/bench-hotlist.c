/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-bench-hotlist: the hotlist benchmark (docs/benchmarks.md).
 *
 * Generates a realistic list (plates following data/plates/us-syntax.tsv, every category,
 * NCIC-style record ids, vehicles, dates) of N entries from a seed, then measures:
 * CSV import, exact lookup p50/p99, 10-candidate match p50/p99, writing and applying a
 * signed delta of 50,000 changes, database size and peak RSS. Prints figures; never fails
 * on a slow machine.
 *
 *   alpr-bench-hotlist [--entries N] [--seed S] [--dir DIR] [--keep]
 */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hotlist-private.h"

/* As many patterns as the recognizer takes (REC_MAX_SYNTAX); the table has about 150. */
#define SYNTAX_MAX 512

struct syntax {
	char state[3];
	char pattern[HOTLIST_PLATE_MAX + 1];
	int weight;
};

struct bench {
	uint64_t rng;
	struct syntax syn[SYNTAX_MAX];
	size_t nsyn;
	int total_weight;
	char (*plates)[HOTLIST_PLATE_MAX + 1];
	char (*states)[3];
	size_t n;
};

static uint64_t rnd(struct bench *b)
{
	/* xorshift64*: reproducible from the seed, fast enough for millions of rows. */
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * UINT64_C(2685821657736338717);
}

static int rnd_below(struct bench *b, int n)
{
	return (int)(rnd(b) % (uint64_t)n);
}

static int load_syntax(struct bench *b)
{
	char path[PATH_MAX], line[256];
	snprintf(path, sizeof(path), "%s/plates/us-syntax.tsv", alpr_datadir());
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "alpr-bench-hotlist: %s: %m\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct syntax *s = &b->syn[b->nsyn];
		char st[8], pat[16];
		int w;
		if (line[0] == '#' || sscanf(line, "%7s %15s %d", st, pat, &w) != 3 ||
		    strlen(st) != 2 || strlen(pat) > HOTLIST_PLATE_MAX) {
			continue;
		}
		if (b->nsyn == SYNTAX_MAX) {
			/* a silently shortened table would drop the last states from the lists */
			fprintf(stderr, "alpr-bench-hotlist: %s: more than %d patterns\n", path,
				SYNTAX_MAX);
			fclose(f);
			return -1;
		}
		memcpy(s->state, st, 3);
		memcpy(s->pattern, pat, strlen(pat) + 1);
		s->weight = w;
		b->total_weight += w;
		b->nsyn++;
	}
	fclose(f);
	return b->nsyn ? 0 : -1;
}

static void gen_plate(struct bench *b, char *plate, char *state)
{
	int w = rnd_below(b, b->total_weight);
	size_t i = 0;
	while (w >= b->syn[i].weight) {
		w -= b->syn[i].weight;
		i++;
	}
	const char *p = b->syn[i].pattern;
	size_t n = strlen(p);
	for (size_t j = 0; j < n; j++) {
		if (p[j] == '9') {
			plate[j] = (char)('0' + rnd_below(b, 10));
		} else if (p[j] == 'A') {
			/* Plates avoid I, O and Q in most states: so do we. */
			static const char letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
			plate[j] = letters[rnd_below(b, (int)sizeof(letters) - 1)];
		} else {
			plate[j] = p[j];
		}
	}
	plate[n] = '\0';
	memcpy(state, b->syn[i].state, 3);
}

static double now_s(void)
{
	return (double)alpr_monotonic_us() / 1e6;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void percentiles(int64_t *ns, size_t n, double *p50, double *p99, double *max)
{
	qsort(ns, n, sizeof(*ns), cmp_i64);
	*p50 = (double)ns[n / 2] / 1000.0;
	*p99 = (double)ns[(n * 99) / 100] / 1000.0;
	*max = (double)ns[n - 1] / 1000.0;
}

static const char *const makes[] = {"Honda", "Toyota", "Ford", "Chevrolet", "Nissan", "Hyundai",
				    "Kia",   "Subaru", "Jeep", "Dodge",     "BMW",    "Tesla"};
static const char *const models[] = {"Civic",    "Camry",   "F150",    "Silverado",
				     "Altima",   "Elantra", "Sorento", "Outback",
				     "Wrangler", "Charger", "X3",      "Model 3"};
static const char *const colors[] = {"BLK", "WHI", "SIL", "GRY", "BLU", "RED", "GRN", "TAN"};
static const char *const reasons[] = {"Reported stolen",
				      "Plate reported stolen",
				      "Felony warrant, armed",
				      "Missing endangered adult",
				      "AMBER alert",
				      "Protection order respondent",
				      "Registration expired",
				      "Be on the lookout, burglary",
				      "Local: abandoned vehicle",
				      "Supervised release condition"};

static int generate_csv(struct bench *b, const char *path, size_t n, size_t *refused)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		return -errno;
	}
	static char buf[1 << 20];
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	fputs("LIC,LIS,LIT,MKE,VMA,VMO,VYR,VCO,NIC,ORI,OCA,reason,entered_at,expires_at\n", f);
	b->plates = alpr_xcalloc(n, sizeof(*b->plates));
	b->states = alpr_xcalloc(n, sizeof(*b->states));
	b->n = n;
	*refused = 0;
	for (size_t i = 0; i < n; i++) {
		gen_plate(b, b->plates[i], b->states[i]);
		/* Every category; civil immigration lists appear in real NCIC extracts and
		 * must be refused, so the benchmark includes them (0.2%). */
		int r = rnd_below(b, 1000);
		const char *mke;
		if (r < 2) {
			mke = "EIV";
			(*refused)++;
		} else if (r < 500) {
			mke = "EV";
		} else if (r < 700) {
			mke = "EL";
		} else if (r < 760) {
			mke = "EVF";
		} else if (r < 840) {
			mke = "EW";
		} else if (r < 880) {
			mke = "EMJ";
		} else if (r < 885) {
			mke = "amber_alert";
		} else if (r < 910) {
			mke = "EPO";
		} else if (r < 930) {
			mke = "EXS";
		} else if (r < 945) {
			mke = "EGM";
		} else if (r < 960) {
			mke = "ESR";
		} else if (r < 975) {
			mke = "bolo";
		} else if (r < 990) {
			mke = "registration";
		} else {
			mke = "local";
		}
		int m = rnd_below(b, (int)ALPR_ARRAY_SIZE(makes));
		int day = 1 + rnd_below(b, 28), mon = 1 + rnd_below(b, 11);
		bool expires = rnd_below(b, 10) == 0;
		fprintf(f,
			"%s,%s,PC,%s,%s,%s,%d,%s,V%09zu,%s%07d,%d-%06d,\"%s\",2026-%02d-%02dT08:00:"
			"00Z,%s\n",
			b->plates[i], b->states[i], mke, makes[m], models[m],
			2000 + rnd_below(b, 27), colors[rnd_below(b, (int)ALPR_ARRAY_SIZE(colors))],
			i, b->states[i], rnd_below(b, 10000000), 2026, rnd_below(b, 1000000),
			reasons[rnd_below(b, (int)ALPR_ARRAY_SIZE(reasons))], mon, day,
			expires ? "2027-06-30" : "");
	}
	return fclose(f) == 0 ? 0 : -EIO;
}

/* Reads a file through the page cache (warm) or drops it from the cache (cold). */
static void cache_file(const char *path, bool warm)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return;
	}
	if (warm) {
		static char buf[1 << 20];
		while (read(fd, buf, sizeof(buf)) > 0) {
		}
	} else {
		fdatasync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	close(fd);
}

static double cpu_s(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

static long peak_rss_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

static void make_lookalike(struct bench *b, char *p)
{
	/* Swap one character for a look-alike where the plate has one. */
	static const char *const pairs[] = {"0O", "O0", "1I", "I1", "2Z", "Z2", "5S",
					    "S5", "8B", "B8", "6G", "G6", "DO", "Q0"};
	size_t n = strlen(p);
	for (int tries = 0; tries < 16; tries++) {
		size_t i = (size_t)rnd_below(b, (int)n);
		for (size_t k = 0; k < ALPR_ARRAY_SIZE(pairs); k++) {
			if (p[i] == pairs[k][0]) {
				p[i] = pairs[k][1];
				return;
			}
		}
	}
}

static void mutate(struct bench *b, char *p)
{
	static const char alnum[] = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
	size_t n = strlen(p);
	p[rnd_below(b, (int)n)] = alnum[rnd_below(b, (int)sizeof(alnum) - 1)];
}

/* A unit that has run for a while has the database's pages mapped; a fresh process pays a
 * page fault on the first touch of each. Touch them once (timed apart), so the lookups
 * measure the B-tree, not the page tables: every record of every database is read through
 * the map, as a unit's long-running matcher would have done. */
static void warm_map(struct hotlist *h)
{
	MDB_dbi dbis[] = {h->entries, h->equiv, h->del1, h->del1r, h->meta, h->lists};
	MDB_txn *wt;
	uint64_t recs = 0;
	unsigned sum = 0;
	double t = now_s();

	mdb_txn_begin(h->env, NULL, MDB_RDONLY, &wt);
	for (size_t d = 0; d < ALPR_ARRAY_SIZE(dbis); d++) {
		MDB_cursor *wc;
		MDB_val wk, wv;
		mdb_cursor_open(wt, dbis[d], &wc);
		for (int rc = mdb_cursor_get(wc, &wk, &wv, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(wc, &wk, &wv, MDB_NEXT)) {
			const volatile uint8_t *vp = wv.mv_data;
			for (size_t off = 0; off < wv.mv_size; off += 4096) {
				sum += vp[off];
			}
			recs++;
		}
		mdb_cursor_close(wc);
	}
	mdb_txn_abort(wt);
	printf("%-28s %10.2f s   (%llu records read once; checksum %u)\n", "warm the map",
	       now_s() - t, (unsigned long long)recs, sum & 0xff);
}

/* Times @count lookups of plates drawn from b->plates[0..n) and prints p50/p99/max. Each
 * plate is copied out of the generation table before the clock starts: a unit looks up a
 * string its recogniser has just written, not one that costs a cache miss to fetch. */
static void time_lookups(struct hotlist *h, struct bench *b, size_t n, int64_t *ns, size_t count,
			 const char *label)
{
	struct hotlist_entry out[8];
	size_t found = 0;
	double p50, p99, mx;

	for (size_t i = 0; i < count; i++) {
		char p[HOTLIST_PLATE_MAX + 1];
		memcpy(p, b->plates[rnd(b) % n], sizeof(p));
		int64_t t0 = now_ns();
		int k = hotlist_lookup(h, p, out, 8);
		ns[i] = now_ns() - t0;
		found += k > 0;
	}
	percentiles(ns, count, &p50, &p99, &mx);
	printf("%-28s p50 %6.2f us  p99 %6.2f us  max %7.1f us  (%zu lookups, %zu found)\n", label,
	       p50, p99, mx, count, found);
}

/* Times @count reads of 10 candidates matched against the list and prints p50/p99/max: half
 * are listed vehicles whose top candidate is a look-alike misread, half are vehicles not on
 * the list; the other nine candidates are one-character mutations of the first. */
static void time_matches(struct hotlist *h, struct bench *b, size_t n, int64_t *ns, size_t count,
			 const char *label)
{
	struct hotlist_match *m = alpr_xcalloc(HOTLIST_MATCH_MAX, sizeof(*m));
	size_t hits = 0;
	double p50, p99, mx;

	for (size_t i = 0; i < count; i++) {
		char cand[10][HOTLIST_PLATE_MAX + 1];
		char st2[3];
		struct hotlist_candidate cs[10];
		if (i % 2 == 0) {
			memcpy(cand[0], b->plates[rnd(b) % n], HOTLIST_PLATE_MAX + 1);
			make_lookalike(b, cand[0]);
		} else {
			gen_plate(b, cand[0], st2);
		}
		for (int k = 1; k < 10; k++) {
			memcpy(cand[k], cand[0], sizeof(cand[0]));
			mutate(b, cand[k]);
		}
		for (int k = 0; k < 10; k++) {
			cs[k].plate = cand[k];
			cs[k].confidence = 0.9f - 0.08f * (float)k;
		}
		int64_t t0 = now_ns();
		int k = hotlist_match(h, cs, 10, NULL, NULL, m, HOTLIST_MATCH_MAX);
		ns[i] = now_ns() - t0;
		hits += k > 0 && i % 2 == 0;
	}
	percentiles(ns, count, &p50, &p99, &mx);
	printf("%-28s p50 %6.2f us  p99 %6.2f us  max %7.1f us  (%zu reads, %zu of %zu listed "
	       "found)\n",
	       label, p50, p99, mx, count, hits, count / 2);
	free(m);
}

static int collect_plate(const struct hotlist_entry *e, void *userdata)
{
	struct bench *b = userdata;
	memcpy(b->plates[b->n++], e->plate, HOTLIST_PLATE_MAX + 1);
	return 0;
}

/* --lookups-only DB: the lookup and match figures alone, three rounds each, against an existing
 * database (a unit left by --skip-apply), so two builds can be compared on the same file in the
 * same minute. The plates looked up are the database's own. */
static int lookups_only(const char *dir, uint64_t seed)
{
	char err[512];
	struct policy *pol;
	struct hotlist *h;
	struct hotlist_stats hs;
	struct bench b = {.rng = seed * UINT64_C(0x9E3779B97F4A7C15) | 1};
	enum { LOOKUPS = 200000 };

	if (load_syntax(&b) < 0) {
		return 1;
	}

	if (policy_load_named("default", &pol, err, sizeof(err)) < 0) {
		fprintf(stderr, "alpr-bench-hotlist: %s\n", err);
		return 1;
	}
	/* As a unit after a restart (see main()): the map is read in 2 MB pages. */
	char dbf[PATH_MAX + 16];
	snprintf(dbf, sizeof(dbf), "%s/data.mdb", dir);
	cache_file(dbf, false);
	struct hotlist_options ho = {.policy = pol, .read_only = true};
	int r = hotlist_open(dir, &ho, &h);
	if (r < 0 || (r = hotlist_stats(h, &hs)) < 0) {
		fprintf(stderr, "alpr-bench-hotlist: %s: %s\n", dir, alpr_strerror(r));
		return 1;
	}
	b.plates = alpr_xcalloc(hs.entries ? hs.entries : 1, sizeof(*b.plates));
	hotlist_foreach(h, NULL, "", collect_plate, &b);
	if (b.n == 0) {
		fprintf(stderr, "alpr-bench-hotlist: %s: no entries\n", dir);
		return 1;
	}
	printf("alpr-bench-hotlist: lookups only, %zu entries in %s\n", b.n, dir);
	warm_map(h);
	int64_t *ns = alpr_xcalloc(LOOKUPS, sizeof(*ns));
	for (int round = 0; round < 3; round++) {
		time_lookups(h, &b, b.n, ns, LOOKUPS, "exact lookup");
	}
	for (int round = 0; round < 3; round++) {
		time_matches(h, &b, b.n, ns, LOOKUPS / 4, "match, 10 candidates");
	}
	free(ns);
	free(b.plates);
	hotlist_close(h);
	policy_destroy(pol);
	return 0;
}

/* The unit's side: a fresh process (exec'd, not forked from the station's gigabytes), as on a
 * real unit. */
static int apply_on_unit(const char *unit, const char *delta, const char *pub, const char *label)
{
	char err[512];
	struct policy *pol;
	double t;
	int r;

	if (policy_load_named("default", &pol, err, sizeof(err)) < 0) {
		fprintf(stderr, "alpr-bench-hotlist: %s\n", err);
		return 1;
	}
	struct hotlist_options ho = {.policy = pol};
	struct hotlist *uh;
	uint64_t nv;
	r = hotlist_open(unit, &ho, &uh);
	if (r < 0) {
		fprintf(stderr, "alpr-bench-hotlist: %s: %s\n", unit, alpr_strerror(r));
		return 1;
	}
	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	t = now_s();
	r = hotlist_delta_apply(uh, delta, pub, &nv, err, sizeof(err));
	double apply_s = now_s() - t;
	getrusage(RUSAGE_SELF, &ru1);
	if (r < 0) {
		fprintf(stderr, "alpr-bench-hotlist: apply: %s\n", err);
		return 1;
	}
	printf("%-28s %10.2f s   (verify, check base, write, check target digest, commit; "
	       "%.2f s CPU)\n",
	       label, apply_s, cpu_s(&ru1) - cpu_s(&ru0));
	/* The deferred cost: folding the overlay into the main table, at idle. */
	uint64_t moved = 0;
	t = now_s();
	r = hotlist_compact(uh, &moved);
	if (r < 0) {
		fprintf(stderr, "alpr-bench-hotlist: compact: %s\n", alpr_strerror(r));
		return 1;
	}
	printf("%-28s %10.2f s   (%llu records folded into the main table, when idle)\n",
	       strstr(label, "cold") ? "compact, cold cache" : "compact on the unit", now_s() - t,
	       (unsigned long long)moved);
	hotlist_close(uh);
	policy_destroy(pol);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"entries", required_argument, NULL, 'n'},
						 {"seed", required_argument, NULL, 's'},
						 {"dir", required_argument, NULL, 'd'},
						 {"keep", no_argument, NULL, 'k'},
						 {"skip-apply", no_argument, NULL, 'a'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	struct bench b = {0};
	size_t n = 5000000;
	uint64_t seed = 1;
	char dir[PATH_MAX] = "";
	bool keep = false, skip_apply = false;
	int c, r;

	alpr_log_init_from_env();
	if (argc == 3 && strcmp(argv[1], "--lookups-only") == 0) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		return lookups_only(argv[2], 1);
	}
	if (argc == 6 && strcmp(argv[1], "--apply-only") == 0) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		return apply_on_unit(argv[2], argv[3], argv[4], argv[5]);
	}
	while ((c = getopt_long(argc, argv, "n:s:d:kh", longopts, NULL)) != -1) {
		int64_t v;
		switch (c) {
		case 'n':
			if (alpr_parse_int64(optarg, strlen(optarg), 1000, 50000000, &v) < 0) {
				fprintf(stderr,
					"alpr-bench-hotlist: --entries: 1000 to 50000000\n");
				return 2;
			}
			n = (size_t)v;
			break;
		case 's':
			if (alpr_parse_int64(optarg, strlen(optarg), 1, INT64_MAX, &v) < 0) {
				fprintf(stderr, "alpr-bench-hotlist: --seed: a positive integer\n");
				return 2;
			}
			seed = (uint64_t)v;
			break;
		case 'd':
			alpr_strlcpy(dir, optarg, sizeof(dir));
			break;
		case 'k':
			keep = true;
			break;
		case 'a':
			/* Leave the unit at version 1 with the delta beside it, for profiling. */
			skip_apply = keep = true;
			break;
		default:
			printf("usage: alpr-bench-hotlist [--entries N] [--seed S] [--dir DIR] "
			       "[--keep] [--skip-apply]\n"
			       "       alpr-bench-hotlist --lookups-only DB\n");
			return c == 'h' ? 0 : 2;
		}
	}
	b.rng = seed * UINT64_C(0x9E3779B97F4A7C15) | 1;
	if (load_syntax(&b) < 0) {
		return 1;
	}
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/var/tmp/alpr-bench-XXXXXX");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
	} else if (alpr_mkdir_p(dir) < 0) {
		perror(dir);
		return 1;
	}
	char csv[PATH_MAX], station[PATH_MAX], unit[PATH_MAX], priv[PATH_MAX], pub[PATH_MAX],
		delta[PATH_MAX];
	snprintf(csv, sizeof(csv), "%s/list.csv", dir);
	snprintf(station, sizeof(station), "%s/station", dir);
	snprintf(unit, sizeof(unit), "%s/unit", dir);
	snprintf(priv, sizeof(priv), "%s/priv.pem", dir);
	snprintf(pub, sizeof(pub), "%s/pub.pem", dir);
	snprintf(delta, sizeof(delta), "%s/delta", dir);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("alpr-bench-hotlist: %zu entries, seed %llu, in %s\n", n, (unsigned long long)seed,
	       dir);
	double t = now_s();
	size_t refused;
	r = generate_csv(&b, csv, n, &refused);
	if (r < 0) {
		fprintf(stderr, "alpr-bench-hotlist: %s: %s\n", csv, alpr_strerror(r));
		return 1;
	}
	struct stat st;
	stat(csv, &st);
	printf("%-28s %10.1f s   (%lld MB CSV, not part of the import)\n", "generate", now_s() - t,
	       (long long)st.st_size >> 20);

	char err[512];
	struct policy *pol;
	if (policy_load_named("default", &pol, err, sizeof(err)) < 0) {
		fprintf(stderr, "alpr-bench-hotlist: %s\n", err);
		return 1;
	}
	struct hotlist_options ho = {.policy = pol};
	struct hotlist *h;
	r = hotlist_open(station, &ho, &h);
	if (r < 0) {
		fprintf(stderr, "alpr-bench-hotlist: %s: %s\n", station, alpr_strerror(r));
		return 1;
	}
	struct hotlist_import_options io = {.list = "ncic", .default_source = HOTLIST_SOURCE_NCIC};
	struct hotlist_import_result res;
	t = now_s();
	r = hotlist_import_csv(h, csv, &io, &res);
	double import_s = now_s() - t;
	if (r < 0) {
		fprintf(stderr, "alpr-bench-hotlist: import: %s\n", res.error);
		return 1;
	}
	printf("%-28s %10.1f s   (%.0f rows/s; added %llu, refused %llu, rejected %llu)\n",
	       "import (one transaction)", import_s, (double)res.rows / import_s,
	       (unsigned long long)res.added, (unsigned long long)res.refused,
	       (unsigned long long)res.rejected);
	struct hotlist_stats hs;
	hotlist_stats(h, &hs);
	printf("%-28s %10.1f MB  (%.0f bytes per entry)\n", "database size",
	       (double)hs.db_bytes / 1048576.0, (double)hs.db_bytes / (double)res.added);

	warm_map(h);

	/* Exact lookups of listed plates. */
	enum { LOOKUPS = 200000, MATCHES = 50000 };
	int64_t *ns = alpr_xcalloc(LOOKUPS, sizeof(*ns));
	time_lookups(h, &b, n, ns, LOOKUPS, "exact lookup, after import");
	time_matches(h, &b, n, ns, MATCHES, "match, after import");

	/* The unit's case: a unit reads its database after a restart, not as an import left it
	 * in the page cache (written 4 kB at a time, so mapped 4 kB at a time). Drop the file
	 * from the cache and reopen: the map is then read in the 2 MB pages hotlist_open()
	 * asks for (hotlist.c, map_hugepages()). */
	hotlist_close(h);
	char dbf[PATH_MAX + 16];
	snprintf(dbf, sizeof(dbf), "%s/data.mdb", station);
	cache_file(dbf, false);
	r = hotlist_open(station, &ho, &h);
	if (r < 0) {
		fprintf(stderr, "alpr-bench-hotlist: %s: %s\n", station, alpr_strerror(r));
		return 1;
	}
	warm_map(h);
	time_lookups(h, &b, n, ns, LOOKUPS, "exact lookup, restarted");
	time_matches(h, &b, n, ns, MATCHES, "match, restarted");

	/* A delta of 50,000 changes: copy the database as a unit holding version 1, change
	 * the station's list, write the signed delta, apply it on the unit. */
	if (hotlist_keygen(priv, pub) < 0 || alpr_mkdir_p(unit) < 0) {
		fprintf(stderr, "alpr-bench-hotlist: keys or %s failed\n", unit);
		return 1;
	}
	t = now_s();
	char unit_cold[PATH_MAX];
	snprintf(unit_cold, sizeof(unit_cold), "%s/unit-cold", dir);
	if (alpr_mkdir_p(unit_cold) < 0) {
		perror(unit_cold);
		return 1;
	}
	r = mdb_env_copy2(h->env, unit, MDB_CP_COMPACT);
	if (r == 0) {
		r = mdb_env_copy2(h->env, unit_cold, MDB_CP_COMPACT);
	}
	/* Flush the copy now: a unit's database is long on disk when a delta arrives, and the
	 * apply's commit must not be charged for writing out a 1 GB copy. */
	int ufd = open(unit, O_RDONLY | O_DIRECTORY);
	if (ufd >= 0) {
		syncfs(ufd);
		close(ufd);
	}
	printf("%-28s %10.1f s   (two compacting copies of the database: units at version 1)\n",
	       "copy to unit", now_s() - t);
	struct hotlist_batch *batch = hotlist_batch_new();
	struct hotlist_entry out[8];
	for (size_t i = 0; i < 50000; i++) {
		size_t idx = rnd(&b) % n;
		struct hotlist_entry e;
		int k = hotlist_lookup(h, b.plates[idx], out, 8);
		if (i % 5 < 2 && k > 0) { /* 40% removals */
			char key[HOTLIST_KEY_MAX + 1];
			size_t kl = hotlist_entry_key(&out[0], key);
			hotlist_batch_del(batch, key, kl);
		} else if (i % 5 < 4 && k > 0) { /* 40% updates */
			e = out[0];
			alpr_strlcpy(e.color, "RED", sizeof(e.color));
			alpr_strlcpy(e.reason, "Updated by the benchmark", sizeof(e.reason));
			hotlist_batch_put(batch, &e);
		} else { /* 20% additions */
			memset(&e, 0, sizeof(e));
			alpr_strlcpy(e.list, "ncic", sizeof(e.list));
			gen_plate(&b, e.plate, e.state);
			snprintf(e.source_record_id, sizeof(e.source_record_id), "N%09zu", i);
			e.category = POLICY_CAT_STOLEN_VEHICLE;
			e.source = HOTLIST_SOURCE_NCIC;
			hotlist_batch_put(batch, &e);
		}
	}
	MDB_txn *txn;
	struct hotlist_batch_result br;
	t = now_s();
	mdb_txn_begin(h->env, NULL, 0, &txn);
	r = hotlist_batch_apply(h, txn, "ncic", batch, false, 0, &br);
	if (r == 0) {
		r = hotlist_mdb_err(mdb_txn_commit(txn));
	} else {
		mdb_txn_abort(txn);
	}
	hotlist_batch_free(batch);
	if (r < 0) {
		fprintf(stderr, "alpr-bench-hotlist: station change: %s\n", alpr_strerror(r));
		return 1;
	}
	printf("%-28s %10.2f s   (+%llu ~%llu -%llu on the station)\n", "station: 50,000 changes",
	       now_s() - t, (unsigned long long)br.added, (unsigned long long)br.updated,
	       (unsigned long long)br.removed);
	t = now_s();
	r = hotlist_delta_write(h, "ncic", 1, 2, priv, delta);
	if (r < 0) {
		fprintf(stderr, "alpr-bench-hotlist: delta: %s\n", alpr_strerror(r));
		return 1;
	}
	stat(delta, &st);
	printf("%-28s %10.2f s   (%lld KB, signed)\n", "write delta 1->2", now_s() - t,
	       (long long)st.st_size >> 10);
	hotlist_close(h);
	/* The station and the unit are different machines: the station's writes must not be
	 * flushed during (and charged to) the unit's apply. */
	int sfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (sfd >= 0) {
		syncfs(sfd);
		close(sfd);
	}
	if (skip_apply) {
		printf("skipped the apply: unit %s, delta %s, key %s\n", unit, delta, pub);
		return 0;
	}

	/* The unit is another machine: apply in a fresh process, not one holding the station's
	 * gigabytes. */
	fflush(stdout);
	/* A unit that has been matching reads has its database in the page cache; one just
	 * switched on does not. Apply the delta on one of each. */
	char mdb_path[PATH_MAX];
	for (int cold = 0; cold < 2; cold++) {
		const char *u = cold ? unit_cold : unit;
		snprintf(mdb_path, sizeof(mdb_path), "%s/data.mdb", u);
		cache_file(mdb_path, !cold);
		pid_t pid = fork();
		if (pid == 0) {
			execl("/proc/self/exe", argv[0], "--apply-only", u, delta, pub,
			      cold ? "apply delta, cold cache" : "apply delta on the unit",
			      (char *)NULL);
			_exit(127);
		}
		int status = 1;
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "alpr-bench-hotlist: the unit's apply failed\n");
			return 1;
		}
	}
	printf("%-28s %10ld MB\n", "peak RSS", peak_rss_mb());

	free(ns);
	free(b.plates);
	free(b.states);
	policy_destroy(pol);
	if (!keep) {
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0) {
			fprintf(stderr, "alpr-bench-hotlist: could not remove %s\n", dir);
		}
	}
	return 0;
}
