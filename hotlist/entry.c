/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* The entry model: normalisation, validation, the packed on-disk form, the canonical line
 * that digests and signatures are computed over, and the look-alike classes. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "hotlist-private.h"

static const char *const source_names[HOTLIST_SOURCE_COUNT] = {
	[HOTLIST_SOURCE_LOCAL] = "local",
	[HOTLIST_SOURCE_NCIC] = "ncic",
	[HOTLIST_SOURCE_STATE] = "state",
	[HOTLIST_SOURCE_OFFICER] = "officer",
};

const char *hotlist_source_name(enum hotlist_source s)
{
	return (unsigned)s < HOTLIST_SOURCE_COUNT ? source_names[s] : "?";
}

int hotlist_source_from_name(const char *name, size_t len)
{
	for (int i = 0; i < HOTLIST_SOURCE_COUNT; i++) {
		if (strlen(source_names[i]) == len &&
		    strncasecmp(source_names[i], name, len) == 0) {
			return i;
		}
	}
	return -EINVAL;
}

int hotlist_normalize_plate(const char *raw, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (c >= 'a' && c <= 'z') {
			c = (unsigned char)(c - 'a' + 'A');
		}
		if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			if (n == HOTLIST_PLATE_MAX) {
				return -EINVAL;
			}
			out[n++] = (char)c;
		} else if (c >= 0x80 || c < 0x20 || c == 0x7f) {
			/* Non-ASCII letters (a plate cannot hold them) and control bytes. */
			return -EINVAL;
		}
		/* Spaces, dashes, dots and other ASCII symbols are dropped (NCIC rule). */
	}
	out[n] = '\0';
	return n ? 0 : -EINVAL;
}

/* USPS codes for the 50 states, DC and the inhabited territories; Canadian provinces and
 * territories; and "??" for a state not known. Sorted for bsearch. */
static const char states[][3] = {
	"??", "AB", "AK", "AL", "AR", "AS", "AZ", "BC", "CA", "CO", "CT", "DC", "DE", "FL",
	"GA", "GU", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MB", "MD", "ME",
	"MI", "MN", "MO", "MP", "MS", "MT", "NB", "NC", "ND", "NE", "NH", "NJ", "NL", "NM",
	"NS", "NT", "NU", "NV", "NY", "OH", "OK", "ON", "OR", "PA", "PE", "PR", "QC", "RI",
	"SC", "SD", "SK", "TN", "TX", "UT", "VA", "VI", "VT", "WA", "WI", "WV", "WY", "YT",
};

static int cmp_state(const void *a, const void *b)
{
	return memcmp(a, b, 2);
}

bool hotlist_state_valid(const char *state)
{
	if (strlen(state) != 2) {
		return false;
	}
	return bsearch(state, states, ALPR_ARRAY_SIZE(states), sizeof(states[0]), cmp_state);
}

bool hotlist_list_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > HOTLIST_LIST_NAME_MAX) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '-' && c != '_'))) {
			return false;
		}
	}
	return true;
}

static char canon_char(char c)
{
	switch (c) {
	case 'O':
	case 'D':
	case 'Q':
		return '0';
	case 'I':
		return '1';
	case 'Z':
		return '2';
	case 'S':
		return '5';
	case 'B':
		return '8';
	case 'G':
		return '6';
	default:
		return c;
	}
}

void hotlist_canon(const char *plate, char *out)
{
	size_t i;

	for (i = 0; plate[i]; i++) {
		out[i] = canon_char(plate[i]);
	}
	out[i] = '\0';
}

bool hotlist_lookalike(char a, char b)
{
	return a != b && canon_char(a) == canon_char(b);
}

size_t hotlist_entry_key(const struct hotlist_entry *e, char *key)
{
	int n = snprintf(key, HOTLIST_KEY_MAX + 1, "%s%c%s%c%s%c%s", e->plate, 0, e->state, 0,
			 e->list, 0, e->source_record_id);
	return (size_t)n;
}

void hotlist_key_parts(const char *key, size_t len, char *plate, char *state, char *list, char *rid)
{
	char *outs[4] = {plate, state, list, rid};
	static const size_t caps[4] = {HOTLIST_PLATE_MAX, 2, HOTLIST_LIST_NAME_MAX,
				       HOTLIST_SHORT_MAX};
	size_t part = 0, n = 0;

	for (size_t i = 0; i <= len && part < 4; i++) {
		if (i == len || key[i] == '\0') {
			if (outs[part]) {
				outs[part][n] = '\0';
			}
			part++;
			n = 0;
		} else if (n < caps[part]) {
			if (outs[part]) {
				outs[part][n] = key[i];
			}
			n++;
		}
	}
	for (; part < 4; part++) {
		if (outs[part]) {
			outs[part][0] = '\0';
		}
	}
}

/* ---- packing ---- */

#define PACK_FORMAT 1

static uint8_t *put_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s);
	*p++ = (uint8_t)n;
	memcpy(p, s, n);
	return p + n;
}

static uint8_t *put_i64(uint8_t *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	for (int i = 0; i < 8; i++) {
		*p++ = (uint8_t)(u >> (8 * i));
	}
	return p;
}

size_t hotlist_entry_pack(const struct hotlist_entry *e, uint8_t *out)
{
	uint8_t *p = out;

	*p++ = PACK_FORMAT;
	*p++ = (uint8_t)e->category;
	*p++ = (uint8_t)e->source;
	*p++ = e->covert ? 1 : 0;
	p = put_i64(p, e->plate_year);
	p = put_i64(p, e->year);
	p = put_i64(p, e->entered_at);
	p = put_i64(p, e->effective_at);
	p = put_i64(p, e->expires_at);
	p = put_str(p, e->plate);
	p = put_str(p, e->state);
	p = put_str(p, e->source_record_id);
	p = put_str(p, e->plate_raw);
	p = put_str(p, e->plate_type);
	p = put_str(p, e->reason);
	p = put_str(p, e->make);
	p = put_str(p, e->model);
	p = put_str(p, e->color);
	p = put_str(p, e->style);
	p = put_str(p, e->vin);
	p = put_str(p, e->agency);
	p = put_str(p, e->case_number);
	p = put_str(p, e->entered_by);
	return (size_t)(p - out);
}

struct reader {
	const uint8_t *p, *end;
	bool bad;
};

static void get_str(struct reader *r, char *out, size_t cap)
{
	if (r->p >= r->end) {
		r->bad = true;
		out[0] = '\0';
		return;
	}
	size_t n = *r->p++;
	if (n >= cap || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		out[0] = '\0';
		return;
	}
	memcpy(out, r->p, n);
	out[n] = '\0';
	r->p += n;
}

static int64_t get_i64(struct reader *r)
{
	uint64_t u = 0;
	if (r->end - r->p < 8) {
		r->bad = true;
		return 0;
	}
	for (int i = 0; i < 8; i++) {
		u |= (uint64_t)r->p[i] << (8 * i);
	}
	r->p += 8;
	return (int64_t)u;
}

int hotlist_entry_unpack(const void *data, size_t len, const char *list, struct hotlist_entry *e)
{
	struct reader r = {data, (const uint8_t *)data + len, false};

	memset(e, 0, sizeof(*e));
	if (len < 4 || r.p[0] != PACK_FORMAT) {
		return -ALPR_E_CORRUPT;
	}
	e->category = r.p[1];
	e->source = r.p[2];
	e->covert = r.p[3] != 0;
	r.p += 4;
	e->plate_year = (int)get_i64(&r);
	e->year = (int)get_i64(&r);
	e->entered_at = get_i64(&r);
	e->effective_at = get_i64(&r);
	e->expires_at = get_i64(&r);
	get_str(&r, e->plate, sizeof(e->plate));
	get_str(&r, e->state, sizeof(e->state));
	get_str(&r, e->source_record_id, sizeof(e->source_record_id));
	get_str(&r, e->plate_raw, sizeof(e->plate_raw));
	get_str(&r, e->plate_type, sizeof(e->plate_type));
	get_str(&r, e->reason, sizeof(e->reason));
	get_str(&r, e->make, sizeof(e->make));
	get_str(&r, e->model, sizeof(e->model));
	get_str(&r, e->color, sizeof(e->color));
	get_str(&r, e->style, sizeof(e->style));
	get_str(&r, e->vin, sizeof(e->vin));
	get_str(&r, e->agency, sizeof(e->agency));
	get_str(&r, e->case_number, sizeof(e->case_number));
	get_str(&r, e->entered_by, sizeof(e->entered_by));
	if (r.bad || e->category >= POLICY_CAT_COUNT || e->source >= HOTLIST_SOURCE_COUNT) {
		return -ALPR_E_CORRUPT;
	}
	alpr_strlcpy(e->list, list, sizeof(e->list));
	return 0;
}

/* ---- the canonical line ---- */

/* The canonical line (docs/hotlist-format.md) is computed for every entry an import or
 * delta touches (the content digest), so it is built by hand rather than with snprintf. */
struct linebuf {
	char *p, *end;
};

static void lb_str(struct linebuf *b, const char *s)
{
	size_t n = strlen(s);
	if (n > (size_t)(b->end - b->p)) {
		n = (size_t)(b->end - b->p);
	}
	memcpy(b->p, s, n);
	b->p += n;
}

static void lb_char(struct linebuf *b, char c)
{
	if (b->p < b->end) {
		*b->p++ = c;
	}
}

static void lb_digits(struct linebuf *b, int v, int width)
{
	char d[12];
	int n = 0;
	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && n < (int)sizeof(d));
	while (n < width) {
		d[n++] = '0';
	}
	while (n > 0) {
		lb_char(b, d[--n]);
	}
}

static void lb_int(struct linebuf *b, int v)
{
	if (v > 0) {
		lb_digits(b, v, 1);
	}
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

/* "YYYY-MM-DDTHH:MM:SSZ", or nothing for 0 (not given). Times are whole seconds >= 0. */
static void lb_time(struct linebuf *b, int64_t us)
{
	if (us <= 0) {
		return;
	}
	int64_t secs = us / ALPR_USEC_PER_SEC;
	int64_t days = secs / 86400, rem = secs % 86400;
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	lb_digits(b, y, 4);
	lb_char(b, '-');
	lb_digits(b, m, 2);
	lb_char(b, '-');
	lb_digits(b, d, 2);
	lb_char(b, 'T');
	lb_digits(b, (int)(rem / 3600), 2);
	lb_char(b, ':');
	lb_digits(b, (int)(rem / 60 % 60), 2);
	lb_char(b, ':');
	lb_digits(b, (int)(rem % 60), 2);
	lb_char(b, 'Z');
}

size_t hotlist_entry_line(const struct hotlist_entry *e, char *out, size_t outsz)
{
	struct linebuf b = {out, out + outsz - 1};

	lb_str(&b, e->plate);
	lb_char(&b, '\t');
	lb_str(&b, e->state);
	lb_char(&b, '\t');
	lb_str(&b, e->source_record_id);
	lb_char(&b, '\t');
	lb_str(&b, e->plate_raw);
	lb_char(&b, '\t');
	lb_str(&b, e->plate_type);
	lb_char(&b, '\t');
	lb_int(&b, e->plate_year);
	lb_char(&b, '\t');
	lb_str(&b, policy_category_name(e->category));
	lb_char(&b, '\t');
	lb_str(&b, e->reason);
	lb_char(&b, '\t');
	lb_str(&b, e->make);
	lb_char(&b, '\t');
	lb_str(&b, e->model);
	lb_char(&b, '\t');
	lb_int(&b, e->year);
	lb_char(&b, '\t');
	lb_str(&b, e->color);
	lb_char(&b, '\t');
	lb_str(&b, e->style);
	lb_char(&b, '\t');
	lb_str(&b, e->vin);
	lb_char(&b, '\t');
	lb_str(&b, hotlist_source_name(e->source));
	lb_char(&b, '\t');
	lb_str(&b, e->agency);
	lb_char(&b, '\t');
	lb_str(&b, e->case_number);
	lb_char(&b, '\t');
	lb_time(&b, e->entered_at);
	lb_char(&b, '\t');
	lb_time(&b, e->effective_at);
	lb_char(&b, '\t');
	lb_time(&b, e->expires_at);
	lb_char(&b, '\t');
	lb_str(&b, e->entered_by);
	lb_char(&b, '\t');
	lb_char(&b, e->covert ? '1' : '0');
	*b.p = '\0';
	return (size_t)(b.p - out);
}

/* ---- validation ---- */

static bool printable(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f) {
			return false;
		}
	}
	return true;
}

int hotlist_entry_validate(const struct hotlist_entry *e, char *err, size_t errsz)
{
	char norm[HOTLIST_PLATE_MAX + 1];
	const struct {
		const char *name, *value;
	} texts[] = {
		{"plate_raw", e->plate_raw},
		{"plate_type", e->plate_type},
		{"reason", e->reason},
		{"make", e->make},
		{"model", e->model},
		{"color", e->color},
		{"style", e->style},
		{"vin", e->vin},
		{"source_record_id", e->source_record_id},
		{"agency", e->agency},
		{"case_number", e->case_number},
		{"entered_by", e->entered_by},
	};

	if (!hotlist_list_name_valid(e->list)) {
		snprintf(err, errsz, "list: '%s' is not a list name (a-z 0-9 - _, up to %d)",
			 e->list, HOTLIST_LIST_NAME_MAX);
		return -ALPR_E_PARSE;
	}
	if (hotlist_normalize_plate(e->plate, strlen(e->plate), norm) < 0 ||
	    strcmp(norm, e->plate) != 0) {
		snprintf(err, errsz, "plate: '%s' is not a normalised plate (1 to %d of A-Z 0-9)",
			 e->plate, HOTLIST_PLATE_MAX);
		return -ALPR_E_PARSE;
	}
	if (!hotlist_state_valid(e->state)) {
		snprintf(err, errsz, "state: '%s' is not a USPS or province code or ??", e->state);
		return -ALPR_E_PARSE;
	}
	if ((unsigned)e->category >= POLICY_CAT_COUNT) {
		snprintf(err, errsz, "category: out of range");
		return -ALPR_E_PARSE;
	}
	if ((unsigned)e->source >= HOTLIST_SOURCE_COUNT) {
		snprintf(err, errsz, "source: out of range");
		return -ALPR_E_PARSE;
	}
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(texts); i++) {
		if (!printable(texts[i].value)) {
			snprintf(err, errsz, "%s: control characters are not allowed",
				 texts[i].name);
			return -ALPR_E_PARSE;
		}
	}
	if (e->year != 0 && (e->year < 1900 || e->year > 2100)) {
		snprintf(err, errsz, "year: %d is not a vehicle year", e->year);
		return -ALPR_E_PARSE;
	}
	if (e->plate_year != 0 && (e->plate_year < 1900 || e->plate_year > 2100)) {
		snprintf(err, errsz, "plate_year: %d is not a year", e->plate_year);
		return -ALPR_E_PARSE;
	}
	if (e->expires_at && e->effective_at && e->expires_at <= e->effective_at) {
		snprintf(err, errsz, "expires_at: not after effective_at");
		return -ALPR_E_PARSE;
	}
	if (e->entered_at < 0 || e->effective_at < 0 || e->expires_at < 0) {
		snprintf(err, errsz, "entered_at: before 1970");
		return -ALPR_E_PARSE;
	}
	return 0;
}

/* ---- the additive digest ---- */

void hotlist_sum_add(struct hotlist_sum *s, const char *line, size_t len, bool subtract)
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	unsigned carry = 0;

	SHA256((const unsigned char *)line, len, h);
	/* Big-endian 256-bit add or subtract, mod 2^256. */
	for (int i = 31; i >= 0; i--) {
		if (subtract) {
			int v = (int)s->b[i] - (int)h[i] - (int)carry;
			carry = v < 0;
			s->b[i] = (uint8_t)(v + (v < 0 ? 256 : 0));
		} else {
			unsigned v = (unsigned)s->b[i] + h[i] + carry;
			carry = v >> 8;
			s->b[i] = (uint8_t)v;
		}
	}
}

void hotlist_sum_digest(const struct hotlist_sum *s, const char *list, uint64_t count,
			uint8_t out[32])
{
	char buf[128 + sizeof(s->b)];
	int n = snprintf(buf, 128, "alpr-hotlist-digest-v1\n%s\n%llu\n", list,
			 (unsigned long long)count);

	memcpy(buf + n, s->b, sizeof(s->b));
	SHA256((const unsigned char *)buf, (size_t)n + sizeof(s->b), out);
}

/* ---- parsing a canonical line (deltas) ---- */

#define LINE_FIELDS 22

static int copy_field(char *dst, size_t cap, const char *s, size_t n, const char *name, char *err,
		      size_t errsz)
{
	if (n >= cap) {
		snprintf(err, errsz, "%s: longer than %zu characters", name, cap - 1);
		return -ALPR_E_PARSE;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int int_field(int *dst, const char *s, size_t n, const char *name, char *err, size_t errsz)
{
	int64_t v;
	if (n == 0) {
		*dst = 0;
		return 0;
	}
	if (alpr_parse_int64(s, n, 1900, 2100, &v) < 0) {
		snprintf(err, errsz, "%s: not a year", name);
		return -ALPR_E_PARSE;
	}
	*dst = (int)v;
	return 0;
}

static int time_field(int64_t *dst, const char *s, size_t n, const char *name, char *err,
		      size_t errsz)
{
	if (n == 0) {
		*dst = 0;
		return 0;
	}
	/* Only the canonical form: "YYYY-MM-DDTHH:MM:SSZ". */
	if (n != 20 || s[19] != 'Z' || alpr_time_parse(s, n, dst) < 0) {
		snprintf(err, errsz, "%s: not a canonical UTC time", name);
		return -ALPR_E_PARSE;
	}
	return 0;
}

int hotlist_entry_from_line(const char *line, size_t len, const char *list, struct hotlist_entry *e,
			    char *err, size_t errsz)
{
	const char *f[LINE_FIELDS];
	size_t fl[LINE_FIELDS], nf = 0;
	const char *p = line, *end = line + len;
	int r = 0, cat, src;

	memset(e, 0, sizeof(*e));
	while (nf < LINE_FIELDS) {
		const char *t = memchr(p, '\t', (size_t)(end - p));
		f[nf] = p;
		fl[nf] = (size_t)((t ? t : end) - p);
		nf++;
		if (!t) {
			break;
		}
		p = t + 1;
	}
	if (nf != LINE_FIELDS || f[LINE_FIELDS - 1] + fl[LINE_FIELDS - 1] != end) {
		snprintf(err, errsz, "entry: %d tab-separated fields expected", LINE_FIELDS);
		return -ALPR_E_PARSE;
	}
	alpr_strlcpy(e->list, list, sizeof(e->list));
	cat = policy_category_from_name(f[6], fl[6]);
	src = hotlist_source_from_name(f[14], fl[14]);
	if (cat < 0) {
		snprintf(err, errsz, "category: not a known category");
		return -ALPR_E_PARSE;
	}
	if (src < 0) {
		snprintf(err, errsz, "source: not a known source");
		return -ALPR_E_PARSE;
	}
	e->category = (enum policy_category)cat;
	e->source = (enum hotlist_source)src;
	if ((r = copy_field(e->plate, sizeof(e->plate), f[0], fl[0], "plate", err, errsz)) ||
	    (r = copy_field(e->state, sizeof(e->state), f[1], fl[1], "state", err, errsz)) ||
	    (r = copy_field(e->source_record_id, sizeof(e->source_record_id), f[2], fl[2],
			    "source_record_id", err, errsz)) ||
	    (r = copy_field(e->plate_raw, sizeof(e->plate_raw), f[3], fl[3], "plate_raw", err,
			    errsz)) ||
	    (r = copy_field(e->plate_type, sizeof(e->plate_type), f[4], fl[4], "plate_type", err,
			    errsz)) ||
	    (r = int_field(&e->plate_year, f[5], fl[5], "plate_year", err, errsz)) ||
	    (r = copy_field(e->reason, sizeof(e->reason), f[7], fl[7], "reason", err, errsz)) ||
	    (r = copy_field(e->make, sizeof(e->make), f[8], fl[8], "make", err, errsz)) ||
	    (r = copy_field(e->model, sizeof(e->model), f[9], fl[9], "model", err, errsz)) ||
	    (r = int_field(&e->year, f[10], fl[10], "year", err, errsz)) ||
	    (r = copy_field(e->color, sizeof(e->color), f[11], fl[11], "color", err, errsz)) ||
	    (r = copy_field(e->style, sizeof(e->style), f[12], fl[12], "style", err, errsz)) ||
	    (r = copy_field(e->vin, sizeof(e->vin), f[13], fl[13], "vin", err, errsz)) ||
	    (r = copy_field(e->agency, sizeof(e->agency), f[15], fl[15], "agency", err, errsz)) ||
	    (r = copy_field(e->case_number, sizeof(e->case_number), f[16], fl[16], "case_number",
			    err, errsz)) ||
	    (r = time_field(&e->entered_at, f[17], fl[17], "entered_at", err, errsz)) ||
	    (r = time_field(&e->effective_at, f[18], fl[18], "effective_at", err, errsz)) ||
	    (r = time_field(&e->expires_at, f[19], fl[19], "expires_at", err, errsz)) ||
	    (r = copy_field(e->entered_by, sizeof(e->entered_by), f[20], fl[20], "entered_by", err,
			    errsz))) {
		return r;
	}
	if (fl[21] != 1 || (f[21][0] != '0' && f[21][0] != '1')) {
		snprintf(err, errsz, "covert: 0 or 1 expected");
		return -ALPR_E_PARSE;
	}
	e->covert = f[21][0] == '1';
	return hotlist_entry_validate(e, err, errsz);
}
