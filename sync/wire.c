/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The wire format of a read (docs/sync-protocol.md): JSON via jansson, crops as base64.
 * Decoding treats the body as hostile: every field typed, in range and within its cap,
 * unknown fields refused, so what the station stores is exactly what the unit could have
 * stored.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hotlist.h"
#include "sync-private.h"

/* ---- base64 ---------------------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t sync_base64_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

void sync_base64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t i, o = 0;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	if (c == '+') {
		return 62;
	}
	if (c == '/') {
		return 63;
	}
	return -1;
}

int sync_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	size_t o = 0;
	if (inlen % 4 != 0) {
		return -EINVAL;
	}
	for (size_t i = 0; i < inlen; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			v[k] = b64_value(in[i + k]);
			if (in[i + k] == '=' && i + 4 == inlen && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (v[k] < 0 || pad) {
				return -EINVAL; /* a bad character, or data after padding */
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		/* Canonical: the bits under the padding are zero. */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff))) {
			return -EINVAL;
		}
		out[o++] = (uint8_t)(w >> 16);
		if (pad < 2) {
			out[o++] = (uint8_t)(w >> 8);
		}
		if (pad < 1) {
			out[o++] = (uint8_t)w;
		}
	}
	*outlen = o;
	return 0;
}

/* ---- names ----------------------------------------------------------------------------- */

static const char *const clock_names[STORE_CLOCK_COUNT] = {"system", "ntp", "gps"};
static const char *const crop_names[] = {"none", "jpeg", "png"};

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			return (int)i;
		}
	}
	return -EINVAL;
}

static int status_from_name(const char *s)
{
	for (int i = 0; i < STORE_HIT_STATUS_COUNT; i++) {
		if (strcmp(store_hit_status_name((enum store_hit_status)i), s) == 0) {
			return i;
		}
	}
	return -EINVAL;
}

static int match_from_name(const char *s)
{
	for (int i = 0; i < STORE_MATCH_COUNT; i++) {
		if (strcmp(store_match_kind_name((enum store_match_kind)i), s) == 0) {
			return i;
		}
	}
	return -EINVAL;
}

/* ---- encoding -------------------------------------------------------------------------- */

static json_t *num_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

json_t *sync_read_to_json(const struct store_read *r, const struct store_hit *hit, bool with_crop)
{
	json_t *o = json_object();
	json_t *cands = json_array();
	for (uint32_t i = 0; i < r->ncandidates && i < STORE_CANDIDATES_MAX; i++) {
		json_array_append_new(cands,
				      json_pack("{s:s, s:f}", "plate", r->candidates[i].plate,
						"confidence", (double)r->candidates[i].confidence));
	}
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "captured_at", json_integer(r->captured_at));
	json_object_set_new(o, "clock", json_string(clock_names[r->clock_source]));
	json_object_set_new(o, "camera", json_string(r->camera));
	json_object_set_new(o, "plate", json_string(r->plate));
	json_object_set_new(o, "confidence", json_real(r->confidence));
	json_object_set_new(o, "candidates", cands);
	json_object_set_new(o, "state", json_string(r->state));
	json_object_set_new(o, "state_confidence", json_real(r->state_confidence));
	json_object_set_new(o, "box",
			    json_pack("[i, i, i, i]", r->box.x, r->box.y, r->box.w, r->box.h));
	if (r->gps.mode == STORE_FIX_NONE) {
		json_object_set_new(o, "gps", json_null());
	} else {
		json_t *g = json_object();
		json_object_set_new(g, "mode", json_integer(r->gps.mode));
		json_object_set_new(g, "lat", json_real(r->gps.lat));
		json_object_set_new(g, "lon", json_real(r->gps.lon));
		json_object_set_new(g, "speed", num_or_null(r->gps.speed_mps));
		json_object_set_new(g, "heading", num_or_null(r->gps.heading_deg));
		json_object_set_new(g, "fix_age_ms", json_integer(r->gps.fix_age_ms));
		json_object_set_new(o, "gps", g);
	}
	/* JSON integers are signed 64-bit in jansson: a track id above 2^63 would not survive,
	 * so it travels as a decimal string. */
	char tid[24];
	snprintf(tid, sizeof(tid), "%llu", (unsigned long long)r->track_id);
	json_object_set_new(o, "track_id", json_string(tid));
	json_object_set_new(o, "frames_voted", json_integer(r->frames_voted));
	if (r->revision) {
		json_object_set_new(o, "revision", json_integer(r->revision));
	}
	if (with_crop && r->crop && r->crop_len > 0 && r->crop_format != STORE_CROP_NONE) {
		char *data = alpr_xmalloc(sync_base64_len(r->crop_len) + 1);
		sync_base64_encode(r->crop, r->crop_len, data);
		json_object_set_new(o, "crop",
				    json_pack("{s:s, s:s}", "format", crop_names[r->crop_format],
					      "data", data));
		free(data);
	}
	if (hit) {
		json_t *h = json_object();
		json_t *pos = json_array();
		json_t *disp = json_array();
		for (uint32_t i = 0; i < hit->npositions && i < 2; i++) {
			json_array_append_new(pos, json_integer(hit->positions[i]));
		}
		for (uint32_t i = 0; i < hit->ndispositions && i < STORE_DISPOSITIONS_MAX; i++) {
			const struct store_disposition *d = &hit->dispositions[i];
			json_array_append_new(disp,
					      json_pack("{s:s, s:s, s:I}", "status",
							store_hit_status_name(d->status), "officer",
							d->officer, "at", (json_int_t)d->at));
		}
		snprintf(tid, sizeof(tid), "%llu", (unsigned long long)hit->list_version);
		json_object_set_new(h, "hit_at", json_integer(hit->hit_at));
		json_object_set_new(h, "list", json_string(hit->list));
		json_object_set_new(h, "list_version", json_string(tid));
		json_object_set_new(h, "plate", json_string(hit->plate));
		json_object_set_new(h, "state", json_string(hit->state));
		json_object_set_new(h, "category",
				    json_string(policy_category_name(hit->category)));
		json_object_set_new(h, "record_id", json_string(hit->record_id));
		json_object_set_new(h, "agency", json_string(hit->agency));
		json_object_set_new(h, "match", json_string(store_match_kind_name(hit->match)));
		json_object_set_new(h, "positions", pos);
		json_object_set_new(h, "edit_missing", json_boolean(hit->edit_missing));
		json_object_set_new(h, "state_mismatch", json_boolean(hit->state_mismatch));
		json_object_set_new(h, "state_unconfirmed", json_boolean(hit->state_unconfirmed));
		json_object_set_new(h, "status", json_string(store_hit_status_name(hit->status)));
		json_object_set_new(h, "dispositions", disp);
		json_object_set_new(o, "hit", h);
	}
	return o;
}

/* ---- decoding -------------------------------------------------------------------------- */

struct dec {
	char *err;
	size_t errsz;
	const char *prefix;
};

static int fail(struct dec *d, const char *field, const char *msg)
{
	snprintf(d->err, d->errsz, "%s%s: %s", d->prefix, field, msg);
	return -EINVAL;
}

/* Refuses members other than @allowed (NULL-terminated). */
static int only_known(struct dec *d, const json_t *o, const char *const *allowed)
{
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)o, k, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++) {
			ok = ok || strcmp(k, allowed[i]) == 0;
		}
		if (!ok) {
			char f[80];
			snprintf(f, sizeof(f), "%.64s", k);
			return fail(d, f, "unknown field");
		}
	}
	return 0;
}

/* A string member of at most @cap bytes, every byte in @alphabet (NULL: printable ASCII). */
static int get_str(struct dec *d, const json_t *o, const char *field, char *out, size_t cap,
		   const char *alphabet, bool allow_empty)
{
	const json_t *v = json_object_get(o, field);
	if (!json_is_string(v)) {
		return fail(d, field, v ? "not a string" : "missing");
	}
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n >= cap) {
		return fail(d, field, "too long");
	}
	if (n == 0 && !allow_empty) {
		return fail(d, field, "empty");
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (alphabet ? !strchr(alphabet, c) || c == 0 : (c < 0x20 || c > 0x7e)) {
			return fail(d, field, "a character outside its alphabet");
		}
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int get_int(struct dec *d, const json_t *o, const char *field, int64_t min, int64_t max,
		   int64_t *out)
{
	const json_t *v = json_object_get(o, field);
	if (!json_is_integer(v)) {
		return fail(d, field, v ? "not an integer" : "missing");
	}
	json_int_t x = json_integer_value(v);
	if (x < min || x > max) {
		return fail(d, field, "out of range");
	}
	*out = x;
	return 0;
}

static int get_u64str(struct dec *d, const json_t *o, const char *field, uint64_t *out)
{
	char buf[24];
	int64_t hi;
	int r = get_str(d, o, field, buf, sizeof(buf), "0123456789", false);
	if (r < 0) {
		return r;
	}
	/* Parse as two halves: alpr_parse_int64 stops at INT64_MAX. */
	size_t n = strlen(buf);
	if (n > 20 || (n > 1 && buf[0] == '0')) {
		return fail(d, field, "not a canonical decimal");
	}
	if (n <= 18) {
		if (alpr_parse_int64(buf, n, 0, INT64_MAX, &hi) < 0) {
			return fail(d, field, "out of range");
		}
		*out = (uint64_t)hi;
		return 0;
	}
	int64_t lo;
	if (alpr_parse_int64(buf, n - 9, 0, INT64_MAX, &hi) < 0 ||
	    alpr_parse_int64(buf + n - 9, 9, 0, 999999999, &lo) < 0 ||
	    (uint64_t)hi > (UINT64_MAX - (uint64_t)lo) / 1000000000u) {
		return fail(d, field, "out of range");
	}
	*out = (uint64_t)hi * 1000000000u + (uint64_t)lo;
	return 0;
}

static int get_real(struct dec *d, const json_t *o, const char *field, double min, double max,
		    bool nullable, double *out)
{
	const json_t *v = json_object_get(o, field);
	if (nullable && json_is_null(v)) {
		*out = NAN;
		return 0;
	}
	if (!json_is_number(v)) {
		return fail(d, field, v ? "not a number" : "missing");
	}
	double x = json_number_value(v);
	if (!(x >= min && x <= max)) {
		return fail(d, field, "out of range");
	}
	*out = x;
	return 0;
}

static int get_bool(struct dec *d, const json_t *o, const char *field, bool *out)
{
	const json_t *v = json_object_get(o, field);
	if (!json_is_boolean(v)) {
		return fail(d, field, v ? "not a boolean" : "missing");
	}
	*out = json_is_true(v);
	return 0;
}

#define ALNUM_UP     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define ID_CHARS     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
#define CAMERA_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"
#define SHORT_CHARS  ID_CHARS ":/"

static int decode_hit(struct dec *d, const json_t *h, struct store_hit *hit)
{
	static const char *const known[] = {"hit_at",
					    "list",
					    "list_version",
					    "plate",
					    "state",
					    "category",
					    "record_id",
					    "agency",
					    "match",
					    "positions",
					    "edit_missing",
					    "state_mismatch",
					    "state_unconfirmed",
					    "status",
					    "dispositions",
					    NULL};
	char name[40];
	int64_t v;
	int r;
	d->prefix = "hit.";
	if (!json_is_object(h)) {
		return fail(d, "hit", "not an object");
	}
	if ((r = only_known(d, h, known)) < 0 ||
	    (r = get_int(d, h, "hit_at", 0, INT64_MAX, &v)) < 0) {
		return r;
	}
	hit->hit_at = v;
	if ((r = get_str(d, h, "list", hit->list, sizeof(hit->list),
			 "abcdefghijklmnopqrstuvwxyz0123456789_-", false)) < 0 ||
	    (r = get_u64str(d, h, "list_version", &hit->list_version)) < 0 ||
	    (r = get_str(d, h, "plate", hit->plate, sizeof(hit->plate), ALNUM_UP, false)) < 0 ||
	    (r = get_str(d, h, "state", hit->state, sizeof(hit->state), ALNUM_UP "?", false)) < 0 ||
	    (r = get_str(d, h, "record_id", hit->record_id, sizeof(hit->record_id), SHORT_CHARS,
			 true)) < 0 ||
	    (r = get_str(d, h, "agency", hit->agency, sizeof(hit->agency), SHORT_CHARS, true)) <
		    0) {
		return r;
	}
	if (!hotlist_list_name_valid(hit->list)) {
		return fail(d, "list", "not a list name");
	}
	if (!hotlist_state_valid(hit->state)) {
		return fail(d, "state", "not a state code");
	}
	if ((r = get_str(d, h, "category", name, sizeof(name), NULL, false)) < 0) {
		return r;
	}
	if ((r = policy_category_from_name(name, strlen(name))) < 0) {
		return fail(d, "category", "unknown category");
	}
	hit->category = (enum policy_category)r;
	if ((r = get_str(d, h, "match", name, sizeof(name), NULL, false)) < 0) {
		return r;
	}
	if ((r = match_from_name(name)) < 0) {
		return fail(d, "match", "unknown match kind");
	}
	hit->match = (enum store_match_kind)r;
	const json_t *pos = json_object_get(h, "positions");
	if (!json_is_array(pos) || json_array_size(pos) > 2) {
		return fail(d, "positions", "not an array of at most 2");
	}
	hit->npositions = (uint32_t)json_array_size(pos);
	for (size_t i = 0; i < hit->npositions; i++) {
		const json_t *p = json_array_get(pos, i);
		if (!json_is_integer(p) || json_integer_value(p) < 0 ||
		    json_integer_value(p) >= STORE_PLATE_MAX + 1) {
			return fail(d, "positions", "not a plate position");
		}
		hit->positions[i] = (int32_t)json_integer_value(p);
	}
	if ((r = get_bool(d, h, "edit_missing", &hit->edit_missing)) < 0 ||
	    (r = get_bool(d, h, "state_mismatch", &hit->state_mismatch)) < 0 ||
	    (r = get_bool(d, h, "state_unconfirmed", &hit->state_unconfirmed)) < 0 ||
	    (r = get_str(d, h, "status", name, sizeof(name), NULL, false)) < 0) {
		return r;
	}
	if ((r = status_from_name(name)) < 0) {
		return fail(d, "status", "unknown status");
	}
	hit->status = (enum store_hit_status)r;
	const json_t *disp = json_object_get(h, "dispositions");
	if (!json_is_array(disp) || json_array_size(disp) > STORE_DISPOSITIONS_MAX) {
		return fail(d, "dispositions", "not an array of at most 8");
	}
	hit->ndispositions = (uint32_t)json_array_size(disp);
	d->prefix = "hit.dispositions[].";
	for (size_t i = 0; i < hit->ndispositions; i++) {
		static const char *const dknown[] = {"status", "officer", "at", NULL};
		const json_t *o = json_array_get(disp, i);
		struct store_disposition *dd = &hit->dispositions[i];
		if (!json_is_object(o)) {
			return fail(d, "", "not an object");
		}
		if ((r = only_known(d, o, dknown)) < 0 ||
		    (r = get_str(d, o, "status", name, sizeof(name), NULL, false)) < 0) {
			return r;
		}
		if ((r = status_from_name(name)) < 0) {
			return fail(d, "status", "unknown status");
		}
		dd->status = (enum store_hit_status)r;
		if ((r = get_str(d, o, "officer", dd->officer, sizeof(dd->officer), SHORT_CHARS,
				 true)) < 0 ||
		    (r = get_int(d, o, "at", 0, INT64_MAX, &v)) < 0) {
			return r;
		}
		dd->at = v;
	}
	return 0;
}

int sync_read_from_json(const json_t *o, struct store_read *r, struct store_hit *hit, bool *has_hit,
			char *err, size_t errsz)
{
	static const char *const known[] = {
		"id",         "captured_at", "clock",        "camera",           "plate",
		"confidence", "candidates",  "state",        "state_confidence", "box",
		"gps",        "track_id",    "frames_voted", "revision",         "crop",
		"hit",        NULL};
	struct dec d = {.err = err, .errsz = errsz, .prefix = ""};
	char name[40];
	int64_t v;
	double x;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(hit, 0, sizeof(*hit));
	*has_hit = false;
	if (!json_is_object(o)) {
		return fail(&d, "read", "not an object");
	}
	if ((rc = only_known(&d, o, known)) < 0 ||
	    (rc = get_str(&d, o, "id", r->id, sizeof(r->id), ID_CHARS, false)) < 0 ||
	    (rc = get_int(&d, o, "captured_at", 1, INT64_MAX, &v)) < 0) {
		return rc;
	}
	r->captured_at = v;
	if ((rc = get_str(&d, o, "clock", name, sizeof(name), NULL, false)) < 0) {
		return rc;
	}
	if ((rc = name_index(clock_names, STORE_CLOCK_COUNT, name)) < 0) {
		return fail(&d, "clock", "unknown clock source");
	}
	r->clock_source = (enum store_clock_source)rc;
	if ((rc = get_str(&d, o, "camera", r->camera, sizeof(r->camera), CAMERA_CHARS, false)) <
		    0 ||
	    (rc = get_str(&d, o, "plate", r->plate, sizeof(r->plate), ALNUM_UP, false)) < 0 ||
	    (rc = get_real(&d, o, "confidence", 0, 1, false, &x)) < 0) {
		return rc;
	}
	r->confidence = (float)x;
	const json_t *c = json_object_get(o, "candidates");
	if (!json_is_array(c) || json_array_size(c) > STORE_CANDIDATES_MAX) {
		return fail(&d, "candidates", "not an array of at most 10");
	}
	r->ncandidates = (uint32_t)json_array_size(c);
	d.prefix = "candidates[].";
	for (size_t i = 0; i < r->ncandidates; i++) {
		static const char *const cknown[] = {"plate", "confidence", NULL};
		const json_t *e = json_array_get(c, i);
		if (!json_is_object(e)) {
			return fail(&d, "", "not an object");
		}
		if ((rc = only_known(&d, e, cknown)) < 0 ||
		    (rc = get_str(&d, e, "plate", r->candidates[i].plate,
				  sizeof(r->candidates[i].plate), ALNUM_UP, false)) < 0 ||
		    (rc = get_real(&d, e, "confidence", 0, 1, false, &x)) < 0) {
			return rc;
		}
		r->candidates[i].confidence = (float)x;
	}
	d.prefix = "";
	if ((rc = get_str(&d, o, "state", r->state, sizeof(r->state), ALNUM_UP "?", true)) < 0 ||
	    (rc = get_real(&d, o, "state_confidence", 0, 1, false, &x)) < 0) {
		return rc;
	}
	if (r->state[0] && !hotlist_state_valid(r->state)) {
		return fail(&d, "state", "not a state code");
	}
	r->state_confidence = (float)x;
	const json_t *b = json_object_get(o, "box");
	if (!json_is_array(b) || json_array_size(b) != 4) {
		return fail(&d, "box", "not an array of 4 integers");
	}
	int32_t *bv[4] = {&r->box.x, &r->box.y, &r->box.w, &r->box.h};
	for (size_t i = 0; i < 4; i++) {
		const json_t *e = json_array_get(b, i);
		if (!json_is_integer(e) || json_integer_value(e) < 0 ||
		    json_integer_value(e) > INT32_MAX) {
			return fail(&d, "box", "not an array of 4 integers >= 0");
		}
		*bv[i] = (int32_t)json_integer_value(e);
	}
	const json_t *g = json_object_get(o, "gps");
	if (json_is_object(g)) {
		static const char *const gknown[] = {"mode",    "lat",        "lon", "speed",
						     "heading", "fix_age_ms", NULL};
		d.prefix = "gps.";
		if ((rc = only_known(&d, g, gknown)) < 0 ||
		    (rc = get_int(&d, g, "mode", 2, 3, &v)) < 0) {
			return rc;
		}
		r->gps.mode = (enum store_fix_mode)v;
		if ((rc = get_real(&d, g, "lat", -90, 90, false, &r->gps.lat)) < 0 ||
		    (rc = get_real(&d, g, "lon", -180, 180, false, &r->gps.lon)) < 0 ||
		    (rc = get_real(&d, g, "speed", 0, 1e4, true, &r->gps.speed_mps)) < 0 ||
		    (rc = get_real(&d, g, "heading", 0, 360, true, &r->gps.heading_deg)) < 0 ||
		    (rc = get_int(&d, g, "fix_age_ms", 0, INT32_MAX, &v)) < 0) {
			return rc;
		}
		if (r->gps.heading_deg >= 360) {
			return fail(&d, "heading", "out of range");
		}
		r->gps.fix_age_ms = (int32_t)v;
		d.prefix = "";
	} else if (!json_is_null(g)) {
		return fail(&d, "gps", "not an object or null");
	}
	if ((rc = get_u64str(&d, o, "track_id", &r->track_id)) < 0 ||
	    (rc = get_int(&d, o, "frames_voted", 0, UINT32_MAX, &v)) < 0) {
		return rc;
	}
	r->frames_voted = (uint32_t)v;
	if (json_object_get(o, "revision")) {
		if ((rc = get_int(&d, o, "revision", 1, UINT8_MAX, &v)) < 0) {
			return rc;
		}
		r->revision = (uint32_t)v;
	}
	const json_t *h = json_object_get(o, "hit");
	if (h) {
		if ((rc = decode_hit(&d, h, hit)) < 0) {
			return rc;
		}
		*has_hit = true;
		d.prefix = "";
	}
	const json_t *cr = json_object_get(o, "crop");
	if (cr) {
		static const char *const crknown[] = {"format", "data", NULL};
		d.prefix = "crop.";
		if (!json_is_object(cr)) {
			return fail(&d, "", "not an object");
		}
		if ((rc = only_known(&d, cr, crknown)) < 0 ||
		    (rc = get_str(&d, cr, "format", name, sizeof(name), NULL, false)) < 0) {
			return rc;
		}
		rc = name_index(crop_names, ALPR_ARRAY_SIZE(crop_names), name);
		if (rc <= 0) {
			return fail(&d, "format", "not jpeg or png");
		}
		const json_t *data = json_object_get(cr, "data");
		if (!json_is_string(data)) {
			return fail(&d, "data", "not a string");
		}
		size_t n = json_string_length(data);
		if (n == 0 || n > sync_base64_len(STORE_CROP_MAX)) {
			return fail(&d, "data", "empty or over the crop cap (256 KiB)");
		}
		r->crop = alpr_xmalloc(n / 4 * 3);
		if (sync_base64_decode(json_string_value(data), n, r->crop, &r->crop_len) < 0 ||
		    r->crop_len > STORE_CROP_MAX) {
			store_read_finish(r);
			return fail(&d, "data", "not canonical base64");
		}
		r->crop_format = (enum store_crop_format)rc;
	}
	return 0;
}
