/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * Purpose-bound search, review flags, historical hits and audited tightening (search.h; the
 * rules in docs/search.md).
 *
 * Error handling: a single forward `goto out` where there is cleanup.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "search-private.h"
#include "search.h"

#define SUBSYS "search"

static const char *const role_names[SEARCH_ROLE_COUNT] = {
	[SEARCH_ROLE_OFFICER] = "officer",       [SEARCH_ROLE_INVESTIGATOR] = "investigator",
	[SEARCH_ROLE_SUPERVISOR] = "supervisor", [SEARCH_ROLE_ADMINISTRATOR] = "administrator",
	[SEARCH_ROLE_AUDITOR] = "auditor",
};

static const char *const flag_names[SEARCH_FLAG_COUNT] = {
	"repeat-plate",
	"vague-justification",
	"repeated-justification",
	"bulk-area",
};

/* Justifications that say nothing about the case (compared case-insensitively, whole). */
static const char *const boilerplate[] = {
	"investigation",
	"ongoing investigation",
	"police business",
	"law enforcement purpose",
	"routine check",
	"check",
	"n/a",
	"na",
	"none",
	"test",
	"follow up",
	"follow-up",
	"suspicious",
	"suspicious vehicle",
	"per supervisor",
	"see case",
	"same as before",
};

const char *search_role_name(enum search_role r)
{
	return (unsigned)r < SEARCH_ROLE_COUNT ? role_names[r] : "?";
}

int search_role_from_name(const char *name)
{
	for (int i = 0; name && i < SEARCH_ROLE_COUNT; i++) {
		if (strcmp(role_names[i], name) == 0) {
			return i;
		}
	}
	return -EINVAL;
}

const char *search_flag_name(enum search_flag f)
{
	for (int i = 0; i < SEARCH_FLAG_COUNT; i++) {
		if ((unsigned)f == 1u << i) {
			return flag_names[i];
		}
	}
	return "?";
}

/* ---- small helpers (search-private.h) ---------------------------------------------------- */

bool search_text_ok(const char *s, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	if (!s) {
		return true;
	}
	while (*p) {
		unsigned c = *p, need, min;
		uint32_t cp;
		if (c < 0x20 || c == 0x7f) {
			return false;
		}
		if (c < 0x80) {
			p++;
			n++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		for (unsigned i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				return false;
			}
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			return false;
		}
		p += need + 1;
		n += need + 1;
	}
	return n <= cap;
}

/* A field for an audit record: the text, or a placeholder when it cannot be recorded as is
 * (over its cap or not UTF-8; the refusal says so). */
static const char *fit(const char *s, size_t cap)
{
	if (!s || !*s) {
		return "";
	}
	return search_text_ok(s, cap) ? s : "(unrecordable)";
}

int search_audit_simple(struct audit *a, const struct policy *p, const struct search_audit_args *x,
			uint64_t *seq_out)
{
	struct audit_record rec = {
		.user = fit(x->user, AUDIT_TEXT_MAX),
		.role = fit(x->role, AUDIT_TEXT_MAX),
		.action = x->action,
		.params = fit(x->params, AUDIT_PARAMS_MAX),
		.purpose = fit(x->purpose, AUDIT_TEXT_MAX),
		.case_number = fit(x->case_number, AUDIT_TEXT_MAX),
		.object_id = fit(x->object_id, AUDIT_TEXT_MAX),
		.result_count = x->result_count,
		.outcome = x->reason ? AUDIT_DENIED : AUDIT_ALLOWED,
		.reason = x->reason,
	};
	int r;

	if (!*rec.user) {
		rec.user = "(none)";
	}
	if (!*rec.role) {
		rec.role = "(none)";
	}
	if (x->results_hash) {
		memcpy(rec.results_hash, x->results_hash, AUDIT_HASH_LEN);
	}
	if (p) {
		memcpy(rec.profile_hash, policy_hash(p), AUDIT_HASH_LEN);
	}
	r = audit_append(a, &rec, seq_out);
	if (r < 0) {
		alpr_error(SUBSYS, "audit record %s: %s", x->action, alpr_strerror(r));
	}
	return r;
}

bool search_plate_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > STORE_PLATE_MAX) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) {
			return false;
		}
	}
	return true;
}

/* ---- matching -------------------------------------------------------------------------- */

bool search_pattern_match(const char *pat, const char *s)
{
	const char *star = NULL, *mark = NULL;

	/* The classic iterative glob: on a mismatch, back up to the last '*' and let it
	 * swallow one more character. Linear in practice for plates of 8 characters. */
	while (*s) {
		if (*pat == '?' || *pat == *s) {
			pat++;
			s++;
		} else if (*pat == '*') {
			star = pat++;
			mark = s;
		} else if (star) {
			pat = star + 1;
			s = ++mark;
		} else {
			return false;
		}
	}
	while (*pat == '*') {
		pat++;
	}
	return *pat == '\0';
}

static bool pattern_ok(const char *pat, char *why, size_t whysz)
{
	size_t n = strlen(pat), literals = 0, fixed = 0;

	if (n == 0 || n > SEARCH_PATTERN_MAX) {
		snprintf(why, whysz, "partial plate: 1 to %d characters of A-Z 0-9 ? *",
			 SEARCH_PATTERN_MAX);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = pat[i];
		if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			literals++;
			fixed++;
		} else if (c == '?') {
			fixed++;
		} else if (c != '*') {
			snprintf(why, whysz, "partial plate: '%c' is not A-Z 0-9 ? *", c);
			return false;
		}
	}
	if (literals < SEARCH_MIN_LITERALS) {
		snprintf(why, whysz, "partial plate: name at least %d characters of the plate",
			 SEARCH_MIN_LITERALS);
		return false;
	}
	if (fixed > STORE_PLATE_MAX) {
		snprintf(why, whysz, "partial plate: longer than any plate (%d)", STORE_PLATE_MAX);
		return false;
	}
	return true;
}

double search_distance_m(double lat1, double lon1, double lat2, double lon2)
{
	const double rad = M_PI / 180.0, earth = 6371008.8; /* mean radius, metres */
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double h = sin(dlat / 2) * sin(dlat / 2) +
		   cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * earth * asin(sqrt(fmin(1.0, h)));
}

static bool plate_or_candidate(const struct store_read *r, const char *plate, const char *pat)
{
	if (plate ? strcmp(r->plate, plate) == 0 : search_pattern_match(pat, r->plate)) {
		return true;
	}
	for (uint32_t i = 0; i < r->ncandidates && i < STORE_CANDIDATES_MAX; i++) {
		const char *c = r->candidates[i].plate;
		if (plate ? strcmp(c, plate) == 0 : search_pattern_match(pat, c)) {
			return true;
		}
	}
	return false;
}

/* ---- search ---------------------------------------------------------------------------- */

struct found {
	struct store_read r; /* crop not kept */
	struct store_hit hit;
	bool has_hit;
};

struct run_ctx {
	const struct search_query *q;
	enum search_role role;
	size_t unit_len;
	struct found *found;
	size_t n, cap;
	bool too_many;
};

static int collect(const struct store_read *r, const struct store_hit *hit, void *userdata)
{
	struct run_ctx *c = userdata;
	const struct search_query *q = c->q;

	if (c->role == SEARCH_ROLE_OFFICER &&
	    (!hit || strncmp(r->id, q->unit, c->unit_len) != 0 || r->id[c->unit_len] != '-')) {
		return 0;
	}
	if ((q->plate || q->partial) && !plate_or_candidate(r, q->plate, q->partial)) {
		return 0;
	}
	if (q->has_near &&
	    (r->gps.mode == STORE_FIX_NONE ||
	     search_distance_m(q->lat, q->lon, r->gps.lat, r->gps.lon) > q->radius_m)) {
		return 0;
	}
	if (c->n == SEARCH_RESULTS_MAX) {
		c->too_many = true;
		return 1;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct found *f = realloc(c->found, cap * sizeof(*f));
		if (!f) {
			return -ENOMEM;
		}
		c->found = f;
		c->cap = cap;
	}
	struct found *f = &c->found[c->n++];
	f->r = *r;
	f->r.crop = NULL;
	f->r.crop_len = 0;
	f->r.crop_format = STORE_CROP_NONE;
	f->has_hit = hit != NULL;
	if (hit) {
		f->hit = *hit;
	}
	return 0;
}

void search_ids_hash(const char *const *ids, size_t n, uint8_t out[AUDIT_HASH_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (!md) {
		abort();
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; i < n; i++) {
		EVP_DigestUpdate(md, ids[i], strlen(ids[i]));
		EVP_DigestUpdate(md, "\n", 1);
	}
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
}

/* The parameters as a JSON object, when the caller did not give them verbatim. */
static char *params_from_query(const struct search_query *q)
{
	json_t *o = json_object();
	char t[ALPR_TIME_BUFSZ], near[96];
	char *s;

	if (q->plate) {
		json_object_set_new(o, "plate", json_string(q->plate));
	}
	if (q->partial) {
		json_object_set_new(o, "partial", json_string(q->partial));
	}
	if (q->has_from) {
		json_object_set_new(o, "from",
				    json_string(alpr_time_format(q->from_us, t, sizeof(t))));
	}
	if (q->has_to) {
		json_object_set_new(o, "to", json_string(alpr_time_format(q->to_us, t, sizeof(t))));
	}
	if (q->has_near) {
		snprintf(near, sizeof(near), "%.6f,%.6f,%.0f", q->lat, q->lon, q->radius_m);
		json_object_set_new(o, "near", json_string(near));
	}
	if (q->unit) {
		json_object_set_new(o, "unit", json_string(q->unit));
	}
	if (q->justification) {
		json_object_set_new(o, "justification", json_string(q->justification));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s; /* NULL when a field is not UTF-8: the caller refuses */
}

/* The reason @q must be refused, or false. */
static bool refusal(const struct policy *p, const struct search_query *q, const char *params,
		    enum search_role *role, char *why, size_t whysz)
{
	int j;

	if (!params) {
		snprintf(why, whysz, "parameters: not valid text");
		return true;
	}
	if (!search_text_ok(params, AUDIT_PARAMS_MAX)) {
		snprintf(why, whysz, "parameters: over %d bytes or not valid text",
			 AUDIT_PARAMS_MAX);
		return true;
	}
	if (!q->user || !*q->user || !search_text_ok(q->user, AUDIT_TEXT_MAX)) {
		snprintf(why, whysz, "user: a user id is required");
		return true;
	}
	j = search_role_from_name(q->role);
	if (j < 0) {
		snprintf(why, whysz,
			 "role: one of officer, investigator, supervisor, administrator, "
			 "auditor is required");
		return true;
	}
	*role = (enum search_role)j;
	if (*role != SEARCH_ROLE_INVESTIGATOR && *role != SEARCH_ROLE_OFFICER) {
		snprintf(why, whysz, "role: a%s %s may not search stored reads",
			 *role == SEARCH_ROLE_ADMINISTRATOR || *role == SEARCH_ROLE_AUDITOR ? "n"
											    : "",
			 role_names[*role]);
		return true;
	}
	if (!q->purpose || !*q->purpose) {
		snprintf(why, whysz, "purpose: a search needs a purpose from profile %s",
			 policy_name(p));
		return true;
	}
	j = policy_purpose_find(p, q->purpose);
	if (j < 0) {
		snprintf(why, whysz, "purpose: \"%.64s\" is not a purpose of profile %s",
			 search_text_ok(q->purpose, 64) ? q->purpose : "?", policy_name(p));
		return true;
	}
	if (policy_purpose_prohibited(p, (size_t)j)) {
		snprintf(why, whysz, "purpose: %s is prohibited by profile %s", q->purpose,
			 policy_name(p));
		return true;
	}
	if (!q->case_number || !*q->case_number) {
		snprintf(why, whysz, "case number: a search needs a case number (%s)",
			 policy_case_number_format(p));
		return true;
	}
	if (!policy_case_number_ok(p, q->case_number)) {
		snprintf(why, whysz, "case number: not in the profile's format %s",
			 policy_case_number_format(p));
		return true;
	}
	if (q->justification && !search_text_ok(q->justification, SEARCH_JUSTIFY_MAX)) {
		snprintf(why, whysz, "justification: over %d bytes or not valid text",
			 SEARCH_JUSTIFY_MAX);
		return true;
	}
	if (!q->plate && !q->partial && !q->has_near) {
		snprintf(why, whysz,
			 "criteria: a search needs a plate, a partial plate or an area");
		return true;
	}
	if (q->plate && q->partial) {
		snprintf(why, whysz, "criteria: a plate or a partial plate, not both");
		return true;
	}
	if (q->plate && !search_plate_ok(q->plate)) {
		snprintf(why, whysz, "plate: 1 to %d characters of A-Z 0-9", STORE_PLATE_MAX);
		return true;
	}
	if (q->partial && !pattern_ok(q->partial, why, whysz)) {
		return true;
	}
	if (q->has_from && q->has_to && q->from_us >= q->to_us) {
		snprintf(why, whysz, "time window: from must be before to");
		return true;
	}
	if (q->has_near && !(q->lat >= -90 && q->lat <= 90 && q->lon >= -180 && q->lon <= 180 &&
			     q->radius_m > 0 && q->radius_m <= SEARCH_RADIUS_MAX_M)) {
		snprintf(why, whysz, "area: latitude, longitude and a radius of 1 to %.0f m",
			 SEARCH_RADIUS_MAX_M);
		return true;
	}
	if (*role == SEARCH_ROLE_OFFICER &&
	    (!q->unit || !*q->unit || strlen(q->unit) > STORE_UNIT_ID_MAX)) {
		snprintf(why, whysz,
			 "unit: an officer searches their own unit's hits; name the unit");
		return true;
	}
	return false;
}

/* ---- flags ----------------------------------------------------------------------------- */

#define FLAG_SCAN_TIMES 1024 /* earlier searches remembered per rule: past the threshold */

struct flag_scan {
	const struct search_query *q;
	uint64_t self;
	int64_t now;
	int64_t plate_times[FLAG_SCAN_TIMES];
	size_t nplate;
	/* case numbers the same justification was used with */
	char cases[SEARCH_REPEAT_REASON_CASES][AUDIT_TEXT_MAX + 1];
	int64_t case_times[SEARCH_REPEAT_REASON_CASES];
	size_t ncases;
};

static const char *json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int flag_scan_fn(const struct audit_record *rec, void *userdata)
{
	struct flag_scan *f = userdata;
	const struct search_query *q = f->q;
	json_t *o;

	if (rec->seq == f->self) {
		f->now = rec->time_us;
		return 1; /* the newest that counts */
	}
	if (strcmp(rec->action, SEARCH_ACTION_SEARCH) != 0 || rec->outcome != AUDIT_ALLOWED ||
	    strcmp(rec->user, q->user) != 0) {
		return 0;
	}
	o = json_loads(rec->params, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return 0;
	}
	if ((q->plate && str_eq(json_str(o, "plate"), q->plate)) ||
	    (q->partial && str_eq(json_str(o, "partial"), q->partial))) {
		if (f->nplate == FLAG_SCAN_TIMES) {
			memmove(f->plate_times, f->plate_times + 1,
				(FLAG_SCAN_TIMES - 1) * sizeof(f->plate_times[0]));
			f->nplate--;
		}
		f->plate_times[f->nplate++] = rec->time_us;
	}
	if (q->justification && str_eq(json_str(o, "justification"), q->justification) &&
	    strcmp(rec->case_number, q->case_number) != 0) {
		size_t i;
		for (i = 0; i < f->ncases; i++) {
			if (strcmp(f->cases[i], rec->case_number) == 0) {
				f->case_times[i] = rec->time_us;
				break;
			}
		}
		if (i == f->ncases) {
			/* keep the newest distinct cases */
			if (f->ncases == SEARCH_REPEAT_REASON_CASES) {
				memmove(f->cases, f->cases + 1,
					sizeof(f->cases[0]) * (f->ncases - 1));
				memmove(f->case_times, f->case_times + 1,
					sizeof(f->case_times[0]) * (f->ncases - 1));
				f->ncases--;
			}
			alpr_strlcpy(f->cases[f->ncases], rec->case_number, sizeof(f->cases[0]));
			f->case_times[f->ncases++] = rec->time_us;
		}
	}
	json_decref(o);
	return 0;
}

static bool vague(const char *j)
{
	char low[SEARCH_JUSTIFY_MAX + 1];
	size_t n = 0;

	if (!j) {
		return true;
	}
	/* trimmed, lower case */
	while (*j == ' ') {
		j++;
	}
	for (; *j && n < sizeof(low) - 1; j++) {
		low[n++] = (*j >= 'A' && *j <= 'Z') ? (char)(*j - 'A' + 'a') : *j;
	}
	while (n && (low[n - 1] == ' ' || low[n - 1] == '.')) {
		n--;
	}
	low[n] = 0;
	if (n < SEARCH_VAGUE_MIN_LEN) {
		return true;
	}
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(boilerplate); i++) {
		if (strcmp(low, boilerplate[i]) == 0) {
			return true;
		}
	}
	return false;
}

static int raise_flag(struct audit *a, const struct policy *p, const struct search_query *q,
		      uint64_t search_seq, enum search_flag flag, const char *detail)
{
	char obj[64], *params;
	json_t *o = json_pack("{s:s, s:s}", "rule", search_flag_name(flag), "detail", detail);
	int r;

	snprintf(obj, sizeof(obj), "search:%" PRIu64, search_seq);
	params = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	r = search_audit_simple(a, p,
				&(struct search_audit_args){.user = q->user,
							    .role = q->role,
							    .action = SEARCH_ACTION_FLAG,
							    .params = params,
							    .purpose = q->purpose,
							    .case_number = q->case_number,
							    .object_id = obj},
				NULL);
	free(params);
	return r;
}

/* Applies the flag rules to the search audited at @seq; returns the flags raised. */
static int flag_search(struct audit *a, const struct policy *p, const struct search_query *q,
		       uint64_t seq, uint64_t count, unsigned *flags)
{
	struct flag_scan *f = alpr_xcalloc(1, sizeof(*f));
	char detail[160];
	size_t repeats = 1, cases = 1;
	int r;

	*flags = 0;
	f->q = q;
	f->self = seq;
	r = audit_foreach(a, 1, flag_scan_fn, f);
	if (r < 0) {
		goto out;
	}
	for (size_t i = 0; i < f->nplate; i++) {
		repeats += f->plate_times[i] > f->now - SEARCH_REPEAT_WINDOW_US;
	}
	for (size_t i = 0; i < f->ncases; i++) {
		cases += f->case_times[i] > f->now - SEARCH_REPEAT_WINDOW_US;
	}
	if ((q->plate || q->partial) && repeats >= SEARCH_REPEAT_PLATE_N) {
		snprintf(detail, sizeof(detail),
			 "%zu searches of the same plate by one user in %d days", repeats,
			 (int)(SEARCH_REPEAT_WINDOW_US / ALPR_USEC_PER_DAY));
		*flags |= SEARCH_FLAG_REPEAT_PLATE;
		if ((r = raise_flag(a, p, q, seq, SEARCH_FLAG_REPEAT_PLATE, detail)) < 0) {
			goto out;
		}
	}
	if (vague(q->justification)) {
		snprintf(detail, sizeof(detail), "%s",
			 q->justification ? "justification short or boilerplate"
					  : "no justification given");
		*flags |= SEARCH_FLAG_VAGUE;
		if ((r = raise_flag(a, p, q, seq, SEARCH_FLAG_VAGUE, detail)) < 0) {
			goto out;
		}
	}
	if (q->justification && cases >= SEARCH_REPEAT_REASON_CASES) {
		snprintf(detail, sizeof(detail),
			 "the same justification on %zu case numbers in %d days", cases,
			 (int)(SEARCH_REPEAT_WINDOW_US / ALPR_USEC_PER_DAY));
		*flags |= SEARCH_FLAG_REPEAT_REASON;
		if ((r = raise_flag(a, p, q, seq, SEARCH_FLAG_REPEAT_REASON, detail)) < 0) {
			goto out;
		}
	}
	if (q->has_near && (!(q->plate || q->partial) || q->radius_m > SEARCH_BULK_RADIUS_M ||
			    count > SEARCH_BULK_RESULTS)) {
		snprintf(detail, sizeof(detail), "%s",
			 !(q->plate || q->partial) ? "an area search without a plate"
			 : q->radius_m > SEARCH_BULK_RADIUS_M
				 ? "an area search wider than 1000 m"
				 : "an area search returning more than 100 reads");
		*flags |= SEARCH_FLAG_BULK_AREA;
		if ((r = raise_flag(a, p, q, seq, SEARCH_FLAG_BULK_AREA, detail)) < 0) {
			goto out;
		}
	} else if (!q->has_near && count > SEARCH_BULK_RESULTS && q->partial) {
		snprintf(detail, sizeof(detail), "a partial plate returning more than 100 reads");
		*flags |= SEARCH_FLAG_BULK_AREA;
		if ((r = raise_flag(a, p, q, seq, SEARCH_FLAG_BULK_AREA, detail)) < 0) {
			goto out;
		}
	}
	r = 0;
out:
	free(f);
	return r;
}

static int store_source(void *source, int64_t from_us, int64_t to_us, search_each_fn each,
			void *userdata)
{
	return store_foreach_in_window(source, from_us, to_us, each, userdata);
}

int search_run(struct store *s, struct audit *a, const struct policy *p,
	       const struct search_query *q, search_result_fn fn, void *userdata,
	       struct search_result *res)
{
	if (!s) {
		return -EINVAL;
	}
	return search_run_source(store_source, s, a, p, q, fn, userdata, res);
}

int search_run_source(search_source_fn source_fn, void *source, struct audit *a,
		      const struct policy *p, const struct search_query *q, search_result_fn fn,
		      void *userdata, struct search_result *res)
{
	struct search_result dummy;
	struct run_ctx c = {.q = q};
	char *built = NULL;
	const char *params;
	const char **ids = NULL;
	enum search_role role = SEARCH_ROLE_COUNT;
	int r;

	if (!source_fn || !a || !p || !q) {
		return -EINVAL;
	}
	res = res ? res : &dummy;
	memset(res, 0, sizeof(*res));
	params = q->params;
	if (!params) {
		params = built = params_from_query(q);
	}
	struct search_audit_args x = {
		.user = q->user,
		.role = q->role,
		.action = SEARCH_ACTION_SEARCH,
		.params = params ? params : "(unrecordable)",
		.purpose = q->purpose,
		.case_number = q->case_number,
	};
	if (refusal(p, q, params, &role, res->reason, sizeof(res->reason))) {
		goto refuse;
	}
	c.role = role;
	c.unit_len = q->unit ? strlen(q->unit) : 0;
	r = source_fn(source, q->has_from ? q->from_us : INT64_MIN,
		      q->has_to ? q->to_us : INT64_MAX, collect, &c);
	if (r < 0) {
		goto out;
	}
	if (c.too_many) {
		snprintf(res->reason, sizeof(res->reason),
			 "results: more than %d reads; narrow the time window or the area",
			 SEARCH_RESULTS_MAX);
		goto refuse;
	}
	ids = alpr_xcalloc(c.n ? c.n : 1, sizeof(*ids));
	for (size_t i = 0; i < c.n; i++) {
		ids[i] = c.found[i].r.id;
	}
	search_ids_hash(ids, c.n, res->results_hash);
	res->count = c.n;
	x.result_count = c.n;
	x.results_hash = res->results_hash;
	/* The record first: nothing is returned that is not audited. */
	r = search_audit_simple(a, p, &x, &res->audit_seq);
	if (r < 0) {
		goto out;
	}
	r = flag_search(a, p, q, res->audit_seq, c.n, &res->flags);
	if (r < 0) {
		goto out;
	}
	for (size_t i = 0; fn && i < c.n; i++) {
		if (fn(&c.found[i].r, c.found[i].has_hit ? &c.found[i].hit : NULL, userdata) != 0) {
			break;
		}
	}
	r = 0;
	goto out;
refuse:
	x.reason = res->reason;
	r = search_audit_simple(a, p, &x, &res->audit_seq);
	if (r == 0) {
		r = -ALPR_E_REFUSED;
	}
out:
	free(ids);
	free(c.found);
	free(built);
	return r;
}

int search_refuse(struct audit *a, const struct policy *p, const struct search_query *q,
		  const char *reason)
{
	int r;

	if (!a || !q || !reason || !*reason) {
		return -EINVAL;
	}
	r = search_audit_simple(a, p,
				&(struct search_audit_args){.user = q->user,
							    .role = q->role,
							    .action = SEARCH_ACTION_SEARCH,
							    .params = q->params,
							    .purpose = q->purpose,
							    .case_number = q->case_number,
							    .reason = reason},
				NULL);
	return r < 0 ? r : -ALPR_E_REFUSED;
}

/* ---- flags and review ------------------------------------------------------------------ */

static bool parse_ref(const char *obj, const char *prefix, uint64_t *seq)
{
	size_t n = strlen(prefix);
	int64_t v;

	if (strncmp(obj, prefix, n) != 0 ||
	    alpr_parse_int64(obj + n, strlen(obj + n), 1, INT64_MAX, &v) < 0) {
		return false;
	}
	*seq = (uint64_t)v;
	return true;
}

struct reviewed {
	uint64_t *seqs;
	size_t n, cap;
};

static int reviewed_fn(const struct audit_record *rec, void *userdata)
{
	struct reviewed *rv = userdata;
	uint64_t seq;

	if (strcmp(rec->action, SEARCH_ACTION_REVIEW) == 0 && rec->outcome == AUDIT_ALLOWED &&
	    parse_ref(rec->object_id, "flag:", &seq)) {
		if (rv->n == rv->cap) {
			rv->cap = rv->cap ? rv->cap * 2 : 64;
			rv->seqs = alpr_xrealloc(rv->seqs, rv->cap * sizeof(*rv->seqs));
		}
		rv->seqs[rv->n++] = seq;
	}
	return 0;
}

struct list_ctx {
	struct reviewed *rv;
	bool all;
	int (*fn)(const struct search_flag_info *f, void *userdata);
	void *userdata;
};

static int list_fn(const struct audit_record *rec, void *userdata)
{
	struct list_ctx *c = userdata;
	struct search_flag_info f = {
		.flag_seq = rec->seq, .time_us = rec->time_us, .user = rec->user};
	json_t *o;
	int r;

	if (strcmp(rec->action, SEARCH_ACTION_FLAG) != 0 ||
	    !parse_ref(rec->object_id, "search:", &f.search_seq)) {
		return 0;
	}
	for (size_t i = 0; i < c->rv->n; i++) {
		f.reviewed |= c->rv->seqs[i] == rec->seq;
	}
	if (f.reviewed && !c->all) {
		return 0;
	}
	o = json_loads(rec->params, 0, NULL);
	f.rule = json_str(o, "rule") ? json_str(o, "rule") : "?";
	f.detail = json_str(o, "detail") ? json_str(o, "detail") : "";
	r = c->fn(&f, c->userdata);
	json_decref(o);
	return r;
}

static int refuse_simple(struct audit *a, const struct policy *p, const char *user,
			 const char *role, const char *action, const char *params, const char *why)
{
	int r = search_audit_simple(a, p,
				    &(struct search_audit_args){.user = user,
								.role = role,
								.action = action,
								.params = params,
								.reason = why},
				    NULL);
	return r < 0 ? r : -ALPR_E_REFUSED;
}

int search_flags_foreach(struct audit *a, const struct policy *p, const char *user,
			 const char *role, bool all,
			 int (*fn)(const struct search_flag_info *f, void *userdata),
			 void *userdata)
{
	struct reviewed rv = {0};
	int rl = search_role_from_name(role), r;

	if (!a || !fn) {
		return -EINVAL;
	}
	if (!user || !*user) {
		return refuse_simple(a, p, user, role, "flag.list", "",
				     "user: a user id is required");
	}
	if (rl != SEARCH_ROLE_SUPERVISOR && rl != SEARCH_ROLE_AUDITOR) {
		return refuse_simple(a, p, user, role, "flag.list", "",
				     "role: only a supervisor or an auditor reads review flags");
	}
	r = search_audit_simple(a, p,
				&(struct search_audit_args){.user = user,
							    .role = role,
							    .action = "flag.list",
							    .params = all ? "all" : "open"},
				NULL);
	if (r < 0) {
		return r;
	}
	r = audit_foreach(a, 1, reviewed_fn, &rv);
	if (r == 0) {
		struct list_ctx c = {&rv, all, fn, userdata};
		r = audit_foreach(a, 1, list_fn, &c);
	}
	free(rv.seqs);
	return r;
}

struct find_flag {
	uint64_t seq;
	bool found;
	char user[AUDIT_TEXT_MAX + 1];
};

static int find_flag_fn(const struct audit_record *rec, void *userdata)
{
	struct find_flag *f = userdata;

	if (rec->seq == f->seq) {
		f->found = strcmp(rec->action, SEARCH_ACTION_FLAG) == 0;
		alpr_strlcpy(f->user, rec->user, sizeof(f->user));
	}
	return 1; /* only the first record from f->seq */
}

int search_flag_review(struct audit *a, const struct policy *p, const char *user, const char *role,
		       uint64_t flag_seq, const char *decision, const char *note, char *reason,
		       size_t reasonsz)
{
	struct find_flag ff = {.seq = flag_seq};
	char obj[64], *params;
	json_t *o;
	int r;

	if (!a) {
		return -EINVAL;
	}
	o = json_pack("{s:I, s:s?, s:s?}", "flag", (json_int_t)flag_seq, "decision", decision,
		      "note", note);
	params = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	snprintf(obj, sizeof(obj), "flag:%" PRIu64, flag_seq);
	if (!user || !*user) {
		snprintf(reason, reasonsz, "user: a user id is required");
	} else if (search_role_from_name(role) != SEARCH_ROLE_SUPERVISOR) {
		snprintf(reason, reasonsz, "role: only a supervisor reviews flags");
	} else if (!decision || (strcmp(decision, "cleared") && strcmp(decision, "referred"))) {
		snprintf(reason, reasonsz, "decision: \"cleared\" or \"referred\" is required");
	} else if (!note || strlen(note) < 10 || !search_text_ok(note, SEARCH_JUSTIFY_MAX)) {
		snprintf(reason, reasonsz, "note: 10 to %d characters saying why are required",
			 SEARCH_JUSTIFY_MAX);
	} else if ((r = audit_foreach(a, flag_seq, find_flag_fn, &ff)) < 0) {
		free(params);
		return r;
	} else if (!ff.found) {
		snprintf(reason, reasonsz, "flag: %" PRIu64 " is not a review flag", flag_seq);
	} else if (strcmp(ff.user, user) == 0) {
		snprintf(reason, reasonsz,
			 "flag: a supervisor may not review a flag on their own "
			 "search");
	} else {
		r = search_audit_simple(a, p,
					&(struct search_audit_args){.user = user,
								    .role = role,
								    .action = SEARCH_ACTION_REVIEW,
								    .params = params,
								    .object_id = obj},
					NULL);
		free(params);
		return r;
	}
	r = search_audit_simple(a, p,
				&(struct search_audit_args){.user = user,
							    .role = role,
							    .action = SEARCH_ACTION_REVIEW,
							    .params = params ? params : "",
							    .object_id = obj,
							    .reason = reason},
				NULL);
	free(params);
	return r < 0 ? r : -ALPR_E_REFUSED;
}

/* ---- historical hits ------------------------------------------------------------------- */

struct hist_ctx {
	const struct search_entry *e;
	struct found *found;
	size_t n, cap;
};

static int hist_collect(const struct store_read *r, const struct store_hit *hit, void *userdata)
{
	struct hist_ctx *c = userdata;

	if (!plate_or_candidate(r, c->e->plate, NULL)) {
		return 0;
	}
	if (c->n == SEARCH_RESULTS_MAX) {
		return 1; /* a plate read ten thousand times in retention: the first suffice */
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->found = alpr_xrealloc(c->found, c->cap * sizeof(*c->found));
	}
	struct found *f = &c->found[c->n++];
	f->r = *r;
	f->r.crop = NULL;
	f->r.crop_len = 0;
	f->r.crop_format = STORE_CROP_NONE;
	f->has_hit = hit != NULL;
	if (hit) {
		f->hit = *hit;
	}
	return 0;
}

int search_historical_hits(struct store *s, struct audit *a, const struct policy *p,
			   const struct search_entry *e, const char *user, const char *role,
			   search_result_fn fn, void *userdata, uint64_t *count)
{
	if (!s) {
		return -EINVAL;
	}
	return search_historical_hits_source(store_source, s, a, p, e, user, role, fn, userdata,
					     count);
}

int search_historical_hits_source(search_source_fn source_fn, void *source, struct audit *a,
				  const struct policy *p, const struct search_entry *e,
				  const char *user, const char *role, search_result_fn fn,
				  void *userdata, uint64_t *count)
{
	struct hist_ctx c = {.e = e};
	uint8_t hash[AUDIT_HASH_LEN];
	const char **ids = NULL;
	char *params = NULL, why[SEARCH_REASON_MAX] = "";
	json_t *o;
	int r;

	if (!source_fn || !a || !p || !e) {
		return -EINVAL;
	}
	if (count) {
		*count = 0;
	}
	/* What the records say about the entry: its list, category and record id, never the
	 * plate (the read ids carry the link). */
	o = json_pack("{s:s?, s:s, s:s?, s:s?}", "list", e->list, "category",
		      policy_category_name(e->category), "record_id", e->record_id, "state",
		      e->state);
	params = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (!params) {
		snprintf(why, sizeof(why), "entry: not valid text");
	} else if (!search_plate_ok(e->plate)) {
		snprintf(why, sizeof(why), "entry: plate is not 1 to %d characters of A-Z 0-9",
			 STORE_PLATE_MAX);
	} else if (policy_category_refused(p, e->category)) {
		snprintf(why, sizeof(why), "category: %s is refused by profile %s",
			 policy_category_name(e->category), policy_name(p));
	}
	if (*why) {
		r = search_audit_simple(
			a, p,
			&(struct search_audit_args){.user = user,
						    .role = role,
						    .action = SEARCH_ACTION_HIST_CHECK,
						    .params = params ? params : "",
						    .reason = why},
			NULL);
		free(params);
		return r < 0 ? r : -ALPR_E_REFUSED;
	}
	r = source_fn(source, INT64_MIN, INT64_MAX, hist_collect, &c);
	if (r < 0) {
		goto out;
	}
	ids = alpr_xcalloc(c.n ? c.n : 1, sizeof(*ids));
	for (size_t i = 0; i < c.n; i++) {
		ids[i] = c.found[i].r.id;
	}
	search_ids_hash(ids, c.n, hash);
	r = search_audit_simple(a, p,
				&(struct search_audit_args){.user = user,
							    .role = role,
							    .action = SEARCH_ACTION_HIST_CHECK,
							    .params = params,
							    .result_count = c.n,
							    .results_hash = hash},
				NULL);
	for (size_t i = 0; r == 0 && i < c.n; i++) {
		r = search_audit_simple(
			a, p,
			&(struct search_audit_args){.user = user,
						    .role = role,
						    .action = SEARCH_ACTION_HISTORICAL,
						    .params = params,
						    .object_id = ids[i],
						    .result_count = 1},
			NULL);
	}
	if (r < 0) {
		goto out;
	}
	if (count) {
		*count = c.n;
	}
	for (size_t i = 0; fn && i < c.n; i++) {
		if (fn(&c.found[i].r, c.found[i].has_hit ? &c.found[i].hit : NULL, userdata) != 0) {
			break;
		}
	}
out:
	free(ids);
	free(c.found);
	free(params);
	return r;
}

/* ---- tightening ------------------------------------------------------------------------ */

int search_policy_tighten(struct audit *a, const struct policy *base, const char *user,
			  const char *role, const char *change, const char *override_path,
			  struct policy **out, char *err, size_t errsz)
{
	struct policy *t = NULL;
	char hex[2 * AUDIT_HASH_LEN + 1];
	int r, ra;

	if (!a || !base || !change || !override_path || !out) {
		return -EINVAL;
	}
	if (!user || !*user) {
		snprintf(err, errsz, "user: a user id is required");
		r = -ALPR_E_REFUSED;
	} else if (search_role_from_name(role) != SEARCH_ROLE_ADMINISTRATOR) {
		snprintf(err, errsz, "role: only an administrator changes the profile");
		r = -ALPR_E_REFUSED;
	} else {
		r = policy_tighten(base, change, strlen(change), &t, err, errsz);
	}
	if (r == 0) {
		alpr_hex_encode(policy_hash(t), AUDIT_HASH_LEN, hex);
	}
	/* The record before the override: a change in force is always in the log. */
	ra = search_audit_simple(a, r == 0 ? t : base,
				 &(struct search_audit_args){.user = user,
							     .role = role,
							     .action = SEARCH_ACTION_TIGHTEN,
							     .params = change,
							     .object_id = r == 0 ? hex : "",
							     .reason = r == 0 ? NULL : err},
				 NULL);
	if (ra < 0) {
		policy_destroy(t);
		snprintf(err, errsz, "audit log: %s (the change is not in force)",
			 alpr_strerror(ra));
		return ra;
	}
	if (r < 0) {
		return r;
	}
	r = policy_write_override(t, override_path);
	if (r < 0) {
		/* Audited as made but not written: a second record says it did not take. */
		snprintf(err, errsz, "%s: %s (the change is not in force)", override_path,
			 alpr_strerror(r));
		search_audit_simple(a, base,
				    &(struct search_audit_args){.user = user,
								.role = role,
								.action = SEARCH_ACTION_TIGHTEN,
								.params = change,
								.object_id = hex,
								.reason = err},
				    NULL);
		policy_destroy(t);
		return r;
	}
	*out = t;
	return 0;
}
