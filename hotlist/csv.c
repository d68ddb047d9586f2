/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * CSV import: a header row naming columns (ARCHITECTURE names or NCIC field codes), a
 * delimiter detected from the header (, ; | tab), UTF-8 with or without a BOM, CRLF or LF,
 * RFC 4180 quoting. Input is hostile: every row is bounded and validated, and the first
 * problem is reported as "FILE:LINE: field: message".
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "hotlist-private.h"

/* A CSV file larger than this is not a hotlist (5 million NCIC rows are about 1 GiB). */
#define CSV_FILE_MAX (UINT64_C(8) << 30)
/* One field: the longest column (reason) is 200 characters; allow quoting overhead. */
#define CSV_FIELD_MAX   1024
#define CSV_COLUMNS_MAX 64

enum col {
	COL_IGNORE = -1,
	COL_PLATE = 0,
	COL_PLATE_RAW,
	COL_STATE,
	COL_PLATE_TYPE,
	COL_PLATE_YEAR,
	COL_CATEGORY,
	COL_REASON,
	COL_MAKE,
	COL_MODEL,
	COL_YEAR,
	COL_COLOR,
	COL_STYLE,
	COL_VIN,
	COL_SOURCE,
	COL_RECORD_ID,
	COL_AGENCY,
	COL_CASE,
	COL_ENTERED_AT,
	COL_EFFECTIVE_AT,
	COL_EXPIRES_AT,
	COL_ENTERED_BY,
	COL_COVERT,
	COL_COUNT,
};

static const struct {
	const char *name, *ncic;
	enum col col;
} columns[] = {
	{"plate", "LIC", COL_PLATE},           {"plate_raw", NULL, COL_PLATE_RAW},
	{"state", "LIS", COL_STATE},           {"plate_type", "LIT", COL_PLATE_TYPE},
	{"plate_year", "LIY", COL_PLATE_YEAR}, {"category", "MKE", COL_CATEGORY},
	{"reason", NULL, COL_REASON},          {"make", "VMA", COL_MAKE},
	{"model", "VMO", COL_MODEL},           {"year", "VYR", COL_YEAR},
	{"color", "VCO", COL_COLOR},           {"colour", NULL, COL_COLOR},
	{"style", "VST", COL_STYLE},           {"vin", "VIN", COL_VIN},
	{"source", NULL, COL_SOURCE},          {"source_record_id", "NIC", COL_RECORD_ID},
	{"agency", "ORI", COL_AGENCY},         {"case_number", "OCA", COL_CASE},
	{"entered_at", NULL, COL_ENTERED_AT},  {"effective_at", NULL, COL_EFFECTIVE_AT},
	{"expires_at", NULL, COL_EXPIRES_AT},  {"entered_by", NULL, COL_ENTERED_BY},
	{"covert", NULL, COL_COVERT},
};

/* NCIC message keys (MKE) as they appear in hot-file extracts, mapped to categories
 * (docs/hotlist-format.md). A category name is accepted too. */
static const struct {
	const char *mke;
	enum policy_category cat;
} mke_codes[] = {
	{"EV", POLICY_CAT_STOLEN_VEHICLE},
	{"V", POLICY_CAT_STOLEN_VEHICLE},
	{"EL", POLICY_CAT_STOLEN_PLATE},
	{"L", POLICY_CAT_STOLEN_PLATE},
	{"EVF", POLICY_CAT_FELONY_VEHICLE},
	{"F", POLICY_CAT_FELONY_VEHICLE},
	{"EW", POLICY_CAT_WANTED_PERSON},
	{"W", POLICY_CAT_WANTED_PERSON},
	{"EM", POLICY_CAT_MISSING_PERSON},
	{"EMD", POLICY_CAT_MISSING_PERSON},
	{"EME", POLICY_CAT_MISSING_PERSON},
	{"EMI", POLICY_CAT_MISSING_PERSON},
	{"EMJ", POLICY_CAT_MISSING_PERSON},
	{"EMV", POLICY_CAT_MISSING_PERSON},
	{"EPO", POLICY_CAT_PROTECTION_ORDER},
	{"EXS", POLICY_CAT_SEX_OFFENDER},
	{"EGM", POLICY_CAT_GANG},
	{"ESR", POLICY_CAT_SUPERVISED_RELEASE},
	{"EIV", POLICY_CAT_IMMIGRATION_VIOLATOR},
};

static int category_parse(const char *s, size_t n)
{
	char up[8];
	int cat = policy_category_from_name(s, n);

	if (cat >= 0) {
		return cat;
	}
	if (n == 0 || n >= sizeof(up)) {
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		up[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	}
	up[n] = '\0';
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(mke_codes); i++) {
		if (strcmp(up, mke_codes[i].mke) == 0) {
			return (int)mke_codes[i].cat;
		}
	}
	return -EINVAL;
}

struct csv {
	const char *path;
	const char *p, *end;
	uint64_t line; /* line number of the row being read */
	char delim;
	char *fields[CSV_COLUMNS_MAX];
	size_t lens[CSV_COLUMNS_MAX];
	char buf[CSV_COLUMNS_MAX][CSV_FIELD_MAX + 1];
	size_t nfields;
	char err[512];
};

static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0 && c >= 0xc2) {
			len = 2;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
		} else if ((c & 0xf8) == 0xf0 && c <= 0xf4) {
			len = 4;
		} else {
			return false;
		}
		if (i + len > n) {
			return false;
		}
		for (size_t j = 1; j < len; j++) {
			if ((s[i + j] & 0xc0) != 0x80) {
				return false;
			}
		}
		i += len;
	}
	return true;
}

/* Reads one row into c->fields. 1: a row, 0: end of file, negative: error in c->err. */
static int read_row(struct csv *c)
{
	size_t nf = 0, fl = 0;
	bool quoted = false, was_quoted = false, any = false;
	uint64_t start_line = c->line;

	if (c->p >= c->end) {
		return 0;
	}
	for (;;) {
		if (c->p >= c->end) {
			if (quoted) {
				snprintf(c->err, sizeof(c->err),
					 "%s:%llu: unterminated quoted field", c->path,
					 (unsigned long long)start_line);
				return -ALPR_E_PARSE;
			}
			break;
		}
		char ch = *c->p++;
		if (ch == '\0') {
			snprintf(c->err, sizeof(c->err),
				 "%s:%llu: binary data (a NUL byte): not a CSV file", c->path,
				 (unsigned long long)c->line);
			return -ALPR_E_PARSE;
		}
		if (quoted) {
			if (ch == '"') {
				if (c->p < c->end && *c->p == '"') {
					c->p++;
				} else {
					quoted = false;
					continue;
				}
			} else if (ch == '\n') {
				c->line++;
			}
		} else if (ch == '"' && fl == 0 && !was_quoted) {
			quoted = was_quoted = true;
			any = true;
			continue;
		} else if (ch == c->delim || ch == '\n' || ch == '\r') {
			if (ch == '\r' && c->p < c->end && *c->p == '\n') {
				c->p++;
			}
			if (nf == CSV_COLUMNS_MAX) {
				snprintf(c->err, sizeof(c->err), "%s:%llu: more than %d columns",
					 c->path, (unsigned long long)start_line, CSV_COLUMNS_MAX);
				return -ALPR_E_PARSE;
			}
			c->buf[nf][fl] = '\0';
			c->fields[nf] = c->buf[nf];
			c->lens[nf] = fl;
			nf++;
			fl = 0;
			was_quoted = false;
			if (ch != c->delim) {
				c->line++;
				if (nf == 1 && c->lens[0] == 0 && !any) {
					/* A blank line: skip it. */
					nf = 0;
					start_line = c->line;
					if (c->p >= c->end) {
						return 0;
					}
					continue;
				}
				c->nfields = nf;
				return 1;
			}
			any = true;
			continue;
		} else if (was_quoted) {
			snprintf(c->err, sizeof(c->err),
				 "%s:%llu: text after a closing quote in column %zu", c->path,
				 (unsigned long long)start_line, nf + 1);
			return -ALPR_E_PARSE;
		}
		any = true;
		if (fl == CSV_FIELD_MAX) {
			snprintf(c->err, sizeof(c->err),
				 "%s:%llu: column %zu: longer than %d bytes", c->path,
				 (unsigned long long)start_line, nf + 1, CSV_FIELD_MAX);
			return -ALPR_E_PARSE;
		}
		if (nf == CSV_COLUMNS_MAX) {
			snprintf(c->err, sizeof(c->err), "%s:%llu: more than %d columns", c->path,
				 (unsigned long long)start_line, CSV_COLUMNS_MAX);
			return -ALPR_E_PARSE;
		}
		c->buf[nf][fl++] = ch;
	}
	/* The last row without a final newline. */
	if (nf == CSV_COLUMNS_MAX) {
		snprintf(c->err, sizeof(c->err), "%s:%llu: more than %d columns", c->path,
			 (unsigned long long)start_line, CSV_COLUMNS_MAX);
		return -ALPR_E_PARSE;
	}
	c->buf[nf][fl] = '\0';
	c->fields[nf] = c->buf[nf];
	c->lens[nf] = fl;
	nf++;
	c->line++;
	if (nf == 1 && fl == 0 && !any) {
		return 0;
	}
	c->nfields = nf;
	return 1;
}

static char detect_delim(const char *p, const char *end)
{
	static const char cands[] = {',', ';', '|', '\t'};
	size_t counts[4] = {0};
	bool quoted = false;

	for (; p < end && (quoted || (*p != '\n' && *p != '\r')); p++) {
		if (*p == '"') {
			quoted = !quoted;
		}
		for (int i = 0; i < 4 && !quoted; i++) {
			counts[i] += *p == cands[i];
		}
	}
	int best = 0;
	for (int i = 1; i < 4; i++) {
		if (counts[i] > counts[best]) {
			best = i;
		}
	}
	return cands[best];
}

static void trim(char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) {
		(*n)--;
	}
	(*s)[*n] = '\0';
}

static int set_text(char *dst, size_t cap, const char *s, size_t n, const char *field, char *err,
		    size_t errsz)
{
	if (n >= cap) {
		snprintf(err, errsz, "%s: longer than %zu characters", field, cap - 1);
		return -ALPR_E_PARSE;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int set_year(int *dst, const char *s, size_t n, const char *field, char *err, size_t errsz)
{
	int64_t v;
	if (n == 0) {
		*dst = 0;
		return 0;
	}
	if (alpr_parse_int64(s, n, 1900, 2100, &v) < 0) {
		snprintf(err, errsz, "%s: '%.*s' is not a year", field, (int)ALPR_MIN(n, 16), s);
		return -ALPR_E_PARSE;
	}
	*dst = (int)v;
	return 0;
}

static int set_time(int64_t *dst, const char *s, size_t n, const char *field, char *err,
		    size_t errsz)
{
	int64_t us;
	if (n == 0) {
		*dst = 0;
		return 0;
	}
	if (alpr_time_parse(s, n, &us) < 0) {
		snprintf(err, errsz, "%s: '%.*s' is not an ISO 8601 date or time", field,
			 (int)ALPR_MIN(n, 40), s);
		return -ALPR_E_PARSE;
	}
	/* Whole seconds: the canonical form has no fractions (docs/hotlist-format.md). */
	*dst = us - us % ALPR_USEC_PER_SEC;
	return 0;
}

/* Fills @e from one row. 0, or -ALPR_E_PARSE with "field: message" in @err. */
static int row_to_entry(struct csv *c, const int *map, const struct hotlist_import_options *o,
			struct hotlist_entry *e, char *err, size_t errsz)
{
	bool have_raw = false;
	int r = 0;

	memset(e, 0, sizeof(*e));
	alpr_strlcpy(e->list, o->list, sizeof(e->list));
	e->source = o->default_source;
	alpr_strlcpy(e->state, "??", sizeof(e->state));
	for (size_t i = 0; i < c->nfields && r == 0; i++) {
		char *s = c->fields[i];
		size_t n = c->lens[i];
		trim(&s, &n);
		switch ((enum col)map[i]) {
		case COL_IGNORE:
		case COL_COUNT:
			break;
		case COL_PLATE:
			if (n > HOTLIST_PLATE_RAW_MAX ||
			    hotlist_normalize_plate(s, n, e->plate) < 0) {
				snprintf(err, errsz,
					 "plate: '%.*s' is not a plate (1 to %d letters and "
					 "digits)",
					 (int)ALPR_MIN(n, 40), s, HOTLIST_PLATE_MAX);
				r = -ALPR_E_PARSE;
			} else if (!have_raw) {
				memcpy(e->plate_raw, s, n);
				e->plate_raw[n] = '\0';
			}
			break;
		case COL_PLATE_RAW:
			if (n) {
				r = set_text(e->plate_raw, sizeof(e->plate_raw), s, n, "plate_raw",
					     err, errsz);
				have_raw = true;
			}
			break;
		case COL_STATE:
			if (n == 0) {
				break; /* stays "??" */
			}
			if (n != 2) {
				snprintf(err, errsz, "state: '%.*s' is not a USPS or province code",
					 (int)ALPR_MIN(n, 40), s);
				r = -ALPR_E_PARSE;
				break;
			}
			e->state[0] = (char)(s[0] >= 'a' && s[0] <= 'z' ? s[0] - 32 : s[0]);
			e->state[1] = (char)(s[1] >= 'a' && s[1] <= 'z' ? s[1] - 32 : s[1]);
			e->state[2] = '\0';
			if (!hotlist_state_valid(e->state)) {
				snprintf(err, errsz, "state: '%.*s' is not a USPS or province code",
					 (int)n, s);
				r = -ALPR_E_PARSE;
			}
			break;
		case COL_PLATE_TYPE:
			r = set_text(e->plate_type, sizeof(e->plate_type), s, n, "plate_type", err,
				     errsz);
			break;
		case COL_PLATE_YEAR:
			r = set_year(&e->plate_year, s, n, "plate_year", err, errsz);
			break;
		case COL_CATEGORY: {
			int cat = category_parse(s, n);
			if (cat < 0) {
				snprintf(err, errsz, "category: '%.*s' is not a known category",
					 (int)ALPR_MIN(n, 40), s);
				r = -ALPR_E_PARSE;
			} else {
				e->category = (enum policy_category)cat;
			}
			break;
		}
		case COL_REASON:
			r = set_text(e->reason, sizeof(e->reason), s, n, "reason", err, errsz);
			break;
		case COL_MAKE:
			r = set_text(e->make, sizeof(e->make), s, n, "make", err, errsz);
			break;
		case COL_MODEL:
			r = set_text(e->model, sizeof(e->model), s, n, "model", err, errsz);
			break;
		case COL_YEAR:
			r = set_year(&e->year, s, n, "year", err, errsz);
			break;
		case COL_COLOR:
			r = set_text(e->color, sizeof(e->color), s, n, "color", err, errsz);
			break;
		case COL_STYLE:
			r = set_text(e->style, sizeof(e->style), s, n, "style", err, errsz);
			break;
		case COL_VIN:
			r = set_text(e->vin, sizeof(e->vin), s, n, "vin", err, errsz);
			break;
		case COL_SOURCE:
			if (n) {
				int src = hotlist_source_from_name(s, n);
				if (src < 0) {
					snprintf(err, errsz,
						 "source: '%.*s' is not ncic, state, local or "
						 "officer",
						 (int)ALPR_MIN(n, 40), s);
					r = -ALPR_E_PARSE;
				} else {
					e->source = (enum hotlist_source)src;
				}
			}
			break;
		case COL_RECORD_ID:
			r = set_text(e->source_record_id, sizeof(e->source_record_id), s, n,
				     "source_record_id", err, errsz);
			break;
		case COL_AGENCY:
			r = set_text(e->agency, sizeof(e->agency), s, n, "agency", err, errsz);
			break;
		case COL_CASE:
			r = set_text(e->case_number, sizeof(e->case_number), s, n, "case_number",
				     err, errsz);
			break;
		case COL_ENTERED_AT:
			r = set_time(&e->entered_at, s, n, "entered_at", err, errsz);
			break;
		case COL_EFFECTIVE_AT:
			r = set_time(&e->effective_at, s, n, "effective_at", err, errsz);
			break;
		case COL_EXPIRES_AT:
			r = set_time(&e->expires_at, s, n, "expires_at", err, errsz);
			break;
		case COL_ENTERED_BY:
			r = set_text(e->entered_by, sizeof(e->entered_by), s, n, "entered_by", err,
				     errsz);
			break;
		case COL_COVERT:
			if (n == 0 || (n == 1 && (s[0] == '0' || s[0] == '1'))) {
				e->covert = n == 1 && s[0] == '1';
			} else if (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0) {
				e->covert = strcasecmp(s, "true") == 0;
			} else {
				snprintf(err, errsz, "covert: '%.*s' is not 0, 1, true or false",
					 (int)ALPR_MIN(n, 40), s);
				r = -ALPR_E_PARSE;
			}
			break;
		}
	}
	if (r == 0) {
		r = hotlist_entry_validate(e, err, errsz);
	}
	return r;
}

int hotlist_csv_parse(struct hotlist *h, const char *path, const struct hotlist_import_options *o,
		      struct hotlist_batch *b, struct hotlist_import_result *res)
{
	int map[CSV_COLUMNS_MAX];
	bool have[COL_COUNT] = {false};
	struct csv *c = NULL;
	struct stat st;
	void *mem = MAP_FAILED;
	int fd, r;
	char err[400];

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(res->error, sizeof(res->error), "%s: %s", path, alpr_strerror(r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(res->error, sizeof(res->error), "%s: not a regular file", path);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > CSV_FILE_MAX) {
		close(fd);
		snprintf(res->error, sizeof(res->error), "%s: larger than %llu GiB", path,
			 (unsigned long long)(CSV_FILE_MAX >> 30));
		return -EFBIG;
	}
	if (st.st_size == 0) {
		close(fd);
		snprintf(res->error, sizeof(res->error), "%s: empty file (no header row)", path);
		return -ALPR_E_PARSE;
	}
	mem = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (mem == MAP_FAILED) {
		r = -errno;
		snprintf(res->error, sizeof(res->error), "%s: %s", path, alpr_strerror(r));
		return r;
	}
	madvise(mem, (size_t)st.st_size, MADV_SEQUENTIAL);
	c = alpr_xcalloc(1, sizeof(*c));
	c->path = path;
	c->p = mem;
	c->end = c->p + st.st_size;
	c->line = 1;
	if (c->end - c->p >= 3 && memcmp(c->p, "\xef\xbb\xbf", 3) == 0) {
		c->p += 3;
	}
	c->delim = detect_delim(c->p, c->end);

	r = read_row(c);
	if (r <= 0) {
		snprintf(res->error, sizeof(res->error), "%s", r < 0 ? c->err : "");
		if (r == 0) {
			snprintf(res->error, sizeof(res->error), "%s: empty file (no header row)",
				 path);
		}
		r = -ALPR_E_PARSE;
		goto out;
	}
	size_t ncols = c->nfields;
	for (size_t i = 0; i < ncols; i++) {
		char *s = c->fields[i];
		size_t n = c->lens[i];
		trim(&s, &n);
		map[i] = COL_IGNORE;
		if (!valid_utf8((const unsigned char *)s, n)) {
			snprintf(res->error, sizeof(res->error),
				 "%s:1: column %zu: the header is not UTF-8 text", path, i + 1);
			r = -ALPR_E_PARSE;
			goto out;
		}
		for (size_t j = 0; j < ALPR_ARRAY_SIZE(columns); j++) {
			if (strcasecmp(s, columns[j].name) == 0 ||
			    (columns[j].ncic && strcmp(s, columns[j].ncic) == 0)) {
				map[i] = columns[j].col;
			}
		}
		if (map[i] != COL_IGNORE) {
			if (have[map[i]]) {
				snprintf(res->error, sizeof(res->error),
					 "%s:1: %s: the column appears twice", path, s);
				r = -ALPR_E_PARSE;
				goto out;
			}
			have[map[i]] = true;
		} else if (o->report) {
			char line[300];
			snprintf(line, sizeof(line), "%s:1: %.*s: unknown column ignored", path,
				 (int)ALPR_MIN(n, 64), s);
			o->report(line, o->userdata);
		}
	}
	if (!have[COL_PLATE] || !have[COL_CATEGORY]) {
		snprintf(res->error, sizeof(res->error),
			 "%s:1: %s: the header names no such column (%s)", path,
			 !have[COL_PLATE] ? "plate" : "category",
			 !have[COL_PLATE] ? "plate or LIC" : "category or MKE");
		r = -ALPR_E_PARSE;
		goto out;
	}

	uint64_t next_progress = 100000;
	for (;;) {
		struct hotlist_entry e;
		uint64_t row_line = c->line;
		r = read_row(c);
		if (r == 0) {
			break;
		}
		if (r < 0) {
			/* A structural error: the rest of the file cannot be trusted. */
			snprintf(res->error, sizeof(res->error), "%s", c->err);
			res->rejected++;
			goto out;
		}
		res->rows++;
		if (o->progress && res->rows >= next_progress) {
			o->progress((uint64_t)(c->p - (const char *)mem), (uint64_t)st.st_size,
				    o->userdata);
			next_progress += 100000;
		}
		r = 0;
		for (size_t i = 0; i < c->nfields && r == 0; i++) {
			if (!valid_utf8((const unsigned char *)c->fields[i], c->lens[i])) {
				snprintf(err, sizeof(err), "column %zu: not UTF-8 text", i + 1);
				r = -ALPR_E_PARSE;
			}
		}
		if (r == 0 && c->nfields != ncols) {
			snprintf(err, sizeof(err), "row: %zu fields where the header has %zu",
				 c->nfields, ncols);
			r = -ALPR_E_PARSE;
		}
		if (r == 0) {
			r = row_to_entry(c, map, o, &e, err, sizeof(err));
		}
		if (r < 0) {
			char line[600];
			snprintf(line, sizeof(line), "%s:%llu: %s", path,
				 (unsigned long long)row_line, err);
			res->rejected++;
			if (!res->error[0]) {
				snprintf(res->error, sizeof(res->error), "%s", line);
			}
			if (o->report) {
				o->report(line, o->userdata);
			}
			if (!o->skip_invalid) {
				goto out;
			}
			r = 0;
			continue;
		}
		if (policy_category_refused(h->policy, e.category)) {
			res->refused++;
			res->refused_by_category[e.category]++;
			continue;
		}
		hotlist_batch_put(b, &e);
	}
	r = 0;
	if (o->skip_invalid) {
		/* The rows skipped were reported; the import itself succeeds. */
		res->error[0] = '\0';
	}
	if (o->mode == HOTLIST_IMPORT_REPLACE && hotlist_batch_size(b) == 0) {
		/* A truncated or empty extract must not silently empty a live hotlist. */
		snprintf(res->error, sizeof(res->error),
			 "%s: no entries to import; refusing to empty list '%s' (remove entries "
			 "explicitly instead)",
			 path, o->list);
		r = -ALPR_E_PARSE;
	}
out:
	if (o->progress && r == 0) {
		o->progress((uint64_t)st.st_size, (uint64_t)st.st_size, o->userdata);
	}
	free(c);
	munmap(mem, (size_t)st.st_size);
	return r;
}
