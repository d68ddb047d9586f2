/* SPDX-License-Identifier: LicenseRef-Proprietary */
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "policy.h"

/* A profile is a few hundred bytes of JSON; anything past this is not a profile. */
#define POLICY_FILE_MAX   (64 * 1024)
#define POLICY_NAME_MAX   64
#define POLICY_SOURCE_MAX 1024
/* A change or override is smaller than a profile. */
#define POLICY_CHANGE_MAX (16 * 1024)
/* The suppression threshold's range: 1 suppresses nothing; past 1000 a small agency's
 * report would be blank. */
#define REPORT_MIN_COUNT_DEFAULT 5
#define REPORT_MIN_COUNT_MAX     1000
#define CASE_FORMAT_DEFAULT      "YYYY-NNNNNN"
#define OVERRIDE_FORMAT          "alpr-policy-override/1"

struct purpose {
	char id[POLICY_PURPOSE_ID_MAX + 1];
	char label[POLICY_PURPOSE_LABEL_MAX + 1];
	bool prohibited;
};

struct policy {
	char name[POLICY_NAME_MAX];
	char source[POLICY_SOURCE_MAX];
	bool refused[POLICY_CAT_COUNT];
	int64_t retention_us[POLICY_CLASS_COUNT];
	bool reads_memory_only;
	int64_t max_hotlist_age_us;
	struct purpose purposes[POLICY_PURPOSES_MAX];
	size_t npurposes;
	char case_format[POLICY_CASE_FORMAT_MAX + 1];
	enum policy_sharing sharing[POLICY_RECIPIENT_COUNT];
	uint32_t report_min_count;
	uint8_t hash[SHA256_DIGEST_LENGTH];
};

/* Prohibited in every profile (policy.h). Labels used when a profile does not list them. */
static const struct {
	const char *id, *label;
} core_prohibited[] = {
	{POLICY_PURPOSE_IMMIGRATION, "Civil immigration enforcement"},
	{POLICY_PURPOSE_FIRST_AMEND, "Monitoring activity protected by the First Amendment"},
	{POLICY_PURPOSE_PROTECTED, "Targeting a person by a protected characteristic"},
	{POLICY_PURPOSE_PERSONAL, "Personal use"},
};

static const char *const recipient_names[POLICY_RECIPIENT_COUNT] = {
	[POLICY_RECIPIENT_LOCAL] = "local",
	[POLICY_RECIPIENT_STATE] = "state",
	[POLICY_RECIPIENT_OUT_OF_STATE] = "out_of_state",
	[POLICY_RECIPIENT_FEDERAL] = "federal",
};

static const char *const sharing_names[] = {
	[POLICY_SHARING_FORBIDDEN] = "forbidden",
	[POLICY_SHARING_AGREEMENT] = "agreement",
};

static const char *const category_names[POLICY_CAT_COUNT] = {
	[POLICY_CAT_STOLEN_VEHICLE] = "stolen_vehicle",
	[POLICY_CAT_STOLEN_PLATE] = "stolen_plate",
	[POLICY_CAT_FELONY_VEHICLE] = "felony_vehicle",
	[POLICY_CAT_WANTED_PERSON] = "wanted_person",
	[POLICY_CAT_MISSING_PERSON] = "missing_person",
	[POLICY_CAT_AMBER_ALERT] = "amber_alert",
	[POLICY_CAT_PROTECTION_ORDER] = "protection_order",
	[POLICY_CAT_SEX_OFFENDER] = "sex_offender",
	[POLICY_CAT_GANG] = "gang",
	[POLICY_CAT_SUPERVISED_RELEASE] = "supervised_release",
	[POLICY_CAT_BOLO] = "bolo",
	[POLICY_CAT_REGISTRATION] = "registration",
	[POLICY_CAT_LOCAL] = "local",
	[POLICY_CAT_IMMIGRATION_VIOLATOR] = "immigration_violator",
};

static const char *const class_names[POLICY_CLASS_COUNT] = {
	[POLICY_CLASS_READ] = "read",
	[POLICY_CLASS_CROP] = "crop",
	[POLICY_CLASS_HIT] = "hit",
	[POLICY_CLASS_MISREAD_HIT] = "misread_hit",
	[POLICY_CLASS_GPS_TRACK] = "gps_track",
	[POLICY_CLASS_AUDIT] = "audit",
};

const char *policy_category_name(enum policy_category cat)
{
	return (unsigned)cat < POLICY_CAT_COUNT ? category_names[cat] : "?";
}

int policy_category_from_name(const char *name, size_t len)
{
	for (int i = 0; i < POLICY_CAT_COUNT; i++) {
		if (strlen(category_names[i]) == len && memcmp(category_names[i], name, len) == 0) {
			return i;
		}
	}
	return -EINVAL;
}

const char *policy_class_name(enum policy_data_class cls)
{
	return (unsigned)cls < POLICY_CLASS_COUNT ? class_names[cls] : "?";
}

int policy_parse_duration(const char *s, size_t len, int64_t *out_us)
{
	int64_t n, unit;

	if (len < 2) {
		return -EINVAL;
	}
	switch (s[len - 1]) {
	case 's':
		unit = ALPR_USEC_PER_SEC;
		break;
	case 'm':
		unit = ALPR_USEC_PER_MIN;
		break;
	case 'h':
		unit = ALPR_USEC_PER_HOUR;
		break;
	case 'd':
		unit = ALPR_USEC_PER_DAY;
		break;
	case 'y':
		unit = 365 * ALPR_USEC_PER_DAY;
		break;
	default:
		return -EINVAL;
	}
	/* Up to a century, whatever the unit: enough for any retention and far from overflow. */
	if (alpr_parse_int64(s, len - 1, 0, 100 * 365 * ALPR_USEC_PER_DAY / unit, &n) < 0 ||
	    s[0] == '+' || s[0] == '-') {
		return -EINVAL;
	}
	*out_us = n * unit;
	return 0;
}

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		snprintf(err, errsz, __VA_ARGS__);                                                 \
		r = -ALPR_E_PARSE;                                                                 \
		goto out;                                                                          \
	} while (0)

static int get_duration(json_t *obj, const char *key, int64_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v)) {
		return -EINVAL;
	}
	return policy_parse_duration(json_string_value(v), json_string_length(v), out);
}

char *policy_format_duration(int64_t us, char *buf, size_t bufsz)
{
	static const struct {
		int64_t unit;
		char c;
	} units[] = {{ALPR_USEC_PER_DAY, 'd'},
		     {ALPR_USEC_PER_HOUR, 'h'},
		     {ALPR_USEC_PER_MIN, 'm'},
		     {ALPR_USEC_PER_SEC, 's'}};

	for (size_t i = 0; i < ALPR_ARRAY_SIZE(units); i++) {
		if (us % units[i].unit == 0 || i == ALPR_ARRAY_SIZE(units) - 1) {
			snprintf(buf, bufsz, "%" PRId64 "%c", us / units[i].unit, units[i].c);
			break;
		}
	}
	return buf;
}

static bool purpose_id_ok(const char *s, size_t len)
{
	if (len == 0 || len > POLICY_PURPOSE_ID_MAX) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_')) {
			return false;
		}
	}
	return true;
}

static bool is_core_prohibited(const char *id)
{
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(core_prohibited); i++) {
		if (strcmp(core_prohibited[i].id, id) == 0) {
			return true;
		}
	}
	return false;
}

bool policy_case_format_valid(const char *format)
{
	size_t len = strlen(format);

	if (len == 0 || len > POLICY_CASE_FORMAT_MAX) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)format[i];
		if (c < 0x21 || c > 0x7e) {
			return false; /* printable ASCII, no spaces */
		}
		if (c == '\\') {
			if (i + 1 == len) {
				return false;
			}
			i++;
		} else if (c >= 'a' && c <= 'z') {
			return false; /* reserved: a lower-case letter is neither class nor literal
				       */
		} else if (c >= 'A' && c <= 'Z' && c != 'N' && c != 'Y' && c != 'A' && c != 'X') {
			return false; /* a literal letter needs a backslash */
		}
	}
	return true;
}

static bool case_matches(const char *fmt, const char *s)
{
	for (; *fmt; fmt++, s++) {
		char c = *s;
		if (!c) {
			return false;
		}
		switch (*fmt) {
		case 'N':
		case 'Y':
			if (c < '0' || c > '9') {
				return false;
			}
			break;
		case 'A':
			if (c < 'A' || c > 'Z') {
				return false;
			}
			break;
		case 'X':
			if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
				return false;
			}
			break;
		case '\\':
			fmt++;
			if (c != *fmt) {
				return false;
			}
			break;
		default:
			if (c != *fmt) {
				return false;
			}
		}
	}
	return *s == '\0';
}

/* Parses "search_purposes" (may be absent) and adds the core prohibited ones. */
static int load_purposes(struct policy *p, json_t *root, const char *path, char *err, size_t errsz)
{
	json_t *v = json_object_get(root, "search_purposes"), *e;
	size_t i;

	if (v && !json_is_array(v)) {
		snprintf(err, errsz, "%s: search_purposes: an array of purposes is required", path);
		return -ALPR_E_PARSE;
	}
	json_array_foreach (v, i, e) {
		json_t *id = json_object_get(e, "id"), *label = json_object_get(e, "label");
		json_t *pro = json_object_get(e, "prohibited");
		struct purpose *pp;

		if (p->npurposes >= POLICY_PURPOSES_MAX - ALPR_ARRAY_SIZE(core_prohibited)) {
			snprintf(err, errsz, "%s: search_purposes: more than %zu purposes", path,
				 POLICY_PURPOSES_MAX - ALPR_ARRAY_SIZE(core_prohibited));
			return -ALPR_E_PARSE;
		}
		if (!json_is_object(e) || !json_is_string(id) ||
		    !purpose_id_ok(json_string_value(id), json_string_length(id))) {
			snprintf(err, errsz,
				 "%s: search_purposes[%zu].id: 1 to %d characters of [a-z0-9_] "
				 "required",
				 path, i, POLICY_PURPOSE_ID_MAX);
			return -ALPR_E_PARSE;
		}
		if (!json_is_string(label) || json_string_length(label) == 0 ||
		    json_string_length(label) > POLICY_PURPOSE_LABEL_MAX) {
			snprintf(err, errsz,
				 "%s: search_purposes[%zu].label: 1 to %d characters required",
				 path, i, POLICY_PURPOSE_LABEL_MAX);
			return -ALPR_E_PARSE;
		}
		if (!json_is_boolean(pro)) {
			snprintf(err, errsz,
				 "%s: search_purposes[%zu].prohibited: true or false required",
				 path, i);
			return -ALPR_E_PARSE;
		}
		if (policy_purpose_find(p, json_string_value(id)) >= 0) {
			snprintf(err, errsz, "%s: search_purposes[%zu].id: \"%s\" listed twice",
				 path, i, json_string_value(id));
			return -ALPR_E_PARSE;
		}
		if (json_is_false(pro) && is_core_prohibited(json_string_value(id))) {
			snprintf(err, errsz,
				 "%s: search_purposes[%zu]: \"%s\" is prohibited in every profile",
				 path, i, json_string_value(id));
			return -ALPR_E_PARSE;
		}
		pp = &p->purposes[p->npurposes++];
		alpr_strlcpy(pp->id, json_string_value(id), sizeof(pp->id));
		alpr_strlcpy(pp->label, json_string_value(label), sizeof(pp->label));
		pp->prohibited = json_is_true(pro);
	}
	for (i = 0; i < ALPR_ARRAY_SIZE(core_prohibited); i++) {
		if (policy_purpose_find(p, core_prohibited[i].id) < 0) {
			struct purpose *pp = &p->purposes[p->npurposes++];
			alpr_strlcpy(pp->id, core_prohibited[i].id, sizeof(pp->id));
			alpr_strlcpy(pp->label, core_prohibited[i].label, sizeof(pp->label));
			pp->prohibited = true;
		}
	}
	return 0;
}

static int sharing_from_name(const char *s)
{
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(sharing_names); i++) {
		if (strcmp(sharing_names[i], s) == 0) {
			return (int)i;
		}
	}
	return -EINVAL;
}

/* Parses a "sharing" object into @out (only the keys present). */
static int parse_sharing(json_t *v, enum policy_sharing out[POLICY_RECIPIENT_COUNT],
			 const char *path, char *err, size_t errsz)
{
	const char *key;
	json_t *e;

	if (!json_is_object(v)) {
		snprintf(err, errsz,
			 "%s: sharing: an object of rules per recipient type is required", path);
		return -ALPR_E_PARSE;
	}
	json_object_foreach (v, key, e) {
		int rt = policy_recipient_from_name(key, strlen(key));
		int rule = json_is_string(e) ? sharing_from_name(json_string_value(e)) : -EINVAL;
		if (rt < 0) {
			snprintf(err, errsz,
				 "%s: sharing.%s: unknown recipient type (local, state, "
				 "out_of_state, federal)",
				 path, key);
			return -ALPR_E_PARSE;
		}
		if (rule < 0) {
			snprintf(err, errsz,
				 "%s: sharing.%s: \"agreement\" or \"forbidden\" required (nothing "
				 "leaves the agency without an agreement)",
				 path, key);
			return -ALPR_E_PARSE;
		}
		out[rt] = (enum policy_sharing)rule;
	}
	return 0;
}

static int parse_min_count(json_t *v, uint32_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > REPORT_MIN_COUNT_MAX) {
		return -EINVAL;
	}
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

int policy_load(const char *path, struct policy **out, char *err, size_t errsz)
{
	_autofree_ char *text = NULL;
	struct policy *p = NULL;
	json_error_t jerr;
	json_t *root = NULL, *v;
	size_t len;
	int r;

	r = alpr_read_file(path, POLICY_FILE_MAX, &text, &len);
	if (r < 0) {
		snprintf(err, errsz, "%s: %s", path, alpr_strerror(r));
		return r;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errsz, "%s:%d: %s", path, jerr.line, jerr.text);
		return -ALPR_E_PARSE;
	}
	p = alpr_xcalloc(1, sizeof(*p));
	if (!json_is_object(root)) {
		FAIL("%s: the profile must be a JSON object", path);
	}
	v = json_object_get(root, "profile");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) >= sizeof(p->name)) {
		FAIL("%s: profile: a name of 1 to %zu characters is required", path,
		     sizeof(p->name) - 1);
	}
	alpr_strlcpy(p->name, json_string_value(v), sizeof(p->name));
	v = json_object_get(root, "source");
	if (!json_is_string(v) || json_string_length(v) >= sizeof(p->source)) {
		FAIL("%s: source: a citation of the law or rule behind the profile is required",
		     path);
	}
	alpr_strlcpy(p->source, json_string_value(v), sizeof(p->source));

	json_t *ret = json_object_get(root, "retention");
	if (!json_is_object(ret)) {
		FAIL("%s: retention: an object of durations per data class is required", path);
	}
	for (int c = 0; c < POLICY_CLASS_COUNT; c++) {
		if (get_duration(ret, class_names[c], &p->retention_us[c]) < 0) {
			FAIL("%s: retention.%s: a duration such as \"72h\" or \"21d\" is required",
			     path, class_names[c]);
		}
	}
	const char *key;
	json_object_foreach (ret, key, v) {
		bool known = false;
		for (int c = 0; c < POLICY_CLASS_COUNT; c++) {
			known |= strcmp(key, class_names[c]) == 0;
		}
		if (!known) {
			FAIL("%s: retention.%s: unknown data class", path, key);
		}
	}
	v = json_object_get(root, "reads_memory_only");
	if (v && !json_is_boolean(v)) {
		FAIL("%s: reads_memory_only: must be true or false", path);
	}
	p->reads_memory_only = json_is_true(v);

	v = json_object_get(root, "refused_categories");
	if (!json_is_array(v)) {
		FAIL("%s: refused_categories: an array of category names is required", path);
	}
	size_t i;
	json_t *e;
	json_array_foreach (v, i, e) {
		int cat = json_is_string(e) ? policy_category_from_name(json_string_value(e),
									json_string_length(e))
					    : -EINVAL;
		if (cat < 0) {
			FAIL("%s: refused_categories[%zu]: not a known category", path, i);
		}
		p->refused[cat] = true;
	}
	if (get_duration(root, "max_hotlist_age", &p->max_hotlist_age_us) < 0) {
		FAIL("%s: max_hotlist_age: a duration such as \"24h\" is required", path);
	}
	if ((r = load_purposes(p, root, path, err, errsz)) < 0) {
		goto out;
	}
	v = json_object_get(root, "case_number_format");
	if (v && (!json_is_string(v) || !policy_case_format_valid(json_string_value(v)))) {
		FAIL("%s: case_number_format: a pattern of N, Y, A, X and literals, at most %d "
		     "characters, is required",
		     path, POLICY_CASE_FORMAT_MAX);
	}
	alpr_strlcpy(p->case_format, v ? json_string_value(v) : CASE_FORMAT_DEFAULT,
		     sizeof(p->case_format));
	v = json_object_get(root, "sharing");
	if (v && (r = parse_sharing(v, p->sharing, path, err, errsz)) < 0) {
		goto out;
	}
	p->report_min_count = REPORT_MIN_COUNT_DEFAULT;
	v = json_object_get(root, "report_min_count");
	if (v && parse_min_count(v, &p->report_min_count) < 0) {
		FAIL("%s: report_min_count: an integer from 1 to %d is required", path,
		     REPORT_MIN_COUNT_MAX);
	}
	SHA256((const unsigned char *)text, len, p->hash);
	*out = steal_ptr(&p);
	r = 0;
out:
	json_decref(root);
	free(p);
	return r;
}

int policy_load_named(const char *name, struct policy **out, char *err, size_t errsz)
{
	char path[PATH_MAX];

	if (!*name || strchr(name, '/') || name[0] == '.') {
		snprintf(err, errsz, "policy '%s': a profile name has no '/' and no leading '.'",
			 name);
		return -EINVAL;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/policy/%s.json", alpr_datadir(), name) >=
	    sizeof(path)) {
		snprintf(err, errsz, "policy '%s': name too long", name);
		return -ENAMETOOLONG;
	}
	return policy_load(path, out, err, errsz);
}

void policy_destroy(struct policy *p)
{
	free(p);
}

const char *policy_name(const struct policy *p)
{
	return p->name;
}

const char *policy_source(const struct policy *p)
{
	return p->source;
}

bool policy_category_refused(const struct policy *p, enum policy_category cat)
{
	return (unsigned)cat < POLICY_CAT_COUNT && p->refused[cat];
}

int64_t policy_retention_us(const struct policy *p, enum policy_data_class cls)
{
	return (unsigned)cls < POLICY_CLASS_COUNT ? p->retention_us[cls] : 0;
}

bool policy_reads_memory_only(const struct policy *p)
{
	return p->reads_memory_only;
}

int64_t policy_max_hotlist_age_us(const struct policy *p)
{
	return p->max_hotlist_age_us;
}

const uint8_t *policy_hash(const struct policy *p)
{
	return p->hash;
}

/* ---- purposes, case numbers, sharing, report -------------------------------------------- */

size_t policy_purpose_count(const struct policy *p)
{
	return p->npurposes;
}

const char *policy_purpose_id(const struct policy *p, size_t i)
{
	return i < p->npurposes ? p->purposes[i].id : NULL;
}

const char *policy_purpose_label(const struct policy *p, size_t i)
{
	return i < p->npurposes ? p->purposes[i].label : NULL;
}

bool policy_purpose_prohibited(const struct policy *p, size_t i)
{
	return i < p->npurposes && p->purposes[i].prohibited;
}

int policy_purpose_find(const struct policy *p, const char *id)
{
	for (size_t i = 0; id && i < p->npurposes; i++) {
		if (strcmp(p->purposes[i].id, id) == 0) {
			return (int)i;
		}
	}
	return -ENOENT;
}

const char *policy_case_number_format(const struct policy *p)
{
	return p->case_format;
}

bool policy_case_number_ok(const struct policy *p, const char *case_number)
{
	return case_number && case_matches(p->case_format, case_number);
}

const char *policy_recipient_name(enum policy_recipient r)
{
	return (unsigned)r < POLICY_RECIPIENT_COUNT ? recipient_names[r] : "?";
}

int policy_recipient_from_name(const char *name, size_t len)
{
	for (int i = 0; i < POLICY_RECIPIENT_COUNT; i++) {
		if (strlen(recipient_names[i]) == len &&
		    memcmp(recipient_names[i], name, len) == 0) {
			return i;
		}
	}
	return -EINVAL;
}

enum policy_sharing policy_sharing_rule(const struct policy *p, enum policy_recipient r)
{
	return (unsigned)r < POLICY_RECIPIENT_COUNT ? p->sharing[r] : POLICY_SHARING_FORBIDDEN;
}

uint32_t policy_report_min_count(const struct policy *p)
{
	return p->report_min_count;
}

/* ---- tightening ------------------------------------------------------------------------ */

bool policy_at_least_as_strict(const struct policy *p, const struct policy *base)
{
	for (int c = 0; c < POLICY_CLASS_COUNT; c++) {
		bool ok = c == POLICY_CLASS_AUDIT ? p->retention_us[c] >= base->retention_us[c]
						  : p->retention_us[c] <= base->retention_us[c];
		if (!ok) {
			return false;
		}
	}
	for (int c = 0; c < POLICY_CAT_COUNT; c++) {
		if (base->refused[c] && !p->refused[c]) {
			return false;
		}
	}
	/* A prohibited purpose stays listed and prohibited; an allowed one may go either way. */
	for (size_t i = 0; i < base->npurposes; i++) {
		int j = policy_purpose_find(p, base->purposes[i].id);
		if (base->purposes[i].prohibited && (j < 0 || !p->purposes[j].prohibited)) {
			return false;
		}
	}
	for (size_t i = 0; i < p->npurposes; i++) {
		if (!p->purposes[i].prohibited &&
		    policy_purpose_find(base, p->purposes[i].id) < 0) {
			return false; /* a new allowed purpose */
		}
	}
	for (int r = 0; r < POLICY_RECIPIENT_COUNT; r++) {
		if (p->sharing[r] > base->sharing[r]) {
			return false;
		}
	}
	return p->max_hotlist_age_us <= base->max_hotlist_age_us &&
	       (!base->reads_memory_only || p->reads_memory_only) &&
	       p->report_min_count >= base->report_min_count &&
	       strcmp(p->case_format, base->case_format) == 0;
}

/* The profile's settings as JSON. @full adds what tightening cannot change (name, source,
 * case format, purpose labels): the canonical form hashed for a tightened profile. */
static json_t *to_json(const struct policy *p, bool full)
{
	json_t *o = json_object(), *ret = json_object(), *cats = json_array();
	json_t *pro = json_array(), *sh = json_object();
	char d[POLICY_DURATION_BUFSZ];

	for (int c = 0; c < POLICY_CLASS_COUNT; c++) {
		json_object_set_new(
			ret, class_names[c],
			json_string(policy_format_duration(p->retention_us[c], d, sizeof(d))));
	}
	json_object_set_new(o, "retention", ret);
	for (int c = 0; c < POLICY_CAT_COUNT; c++) {
		if (p->refused[c]) {
			json_array_append_new(cats, json_string(category_names[c]));
		}
	}
	json_object_set_new(o, "refused_categories", cats);
	for (size_t i = 0; i < p->npurposes; i++) {
		if (p->purposes[i].prohibited) {
			json_array_append_new(pro, json_string(p->purposes[i].id));
		}
	}
	json_object_set_new(o, "prohibit_purposes", pro);
	for (int r = 0; r < POLICY_RECIPIENT_COUNT; r++) {
		json_object_set_new(sh, recipient_names[r],
				    json_string(sharing_names[p->sharing[r]]));
	}
	json_object_set_new(o, "sharing", sh);
	json_object_set_new(
		o, "max_hotlist_age",
		json_string(policy_format_duration(p->max_hotlist_age_us, d, sizeof(d))));
	json_object_set_new(o, "reads_memory_only", json_boolean(p->reads_memory_only));
	json_object_set_new(o, "report_min_count", json_integer(p->report_min_count));
	if (full) {
		json_t *all = json_array();
		json_object_set_new(o, "profile", json_string(p->name));
		json_object_set_new(o, "source", json_string(p->source));
		json_object_set_new(o, "case_number_format", json_string(p->case_format));
		for (size_t i = 0; i < p->npurposes; i++) {
			json_array_append_new(all,
					      json_pack("{s:s, s:s, s:b}", "id", p->purposes[i].id,
							"label", p->purposes[i].label, "prohibited",
							p->purposes[i].prohibited));
		}
		json_object_set_new(o, "search_purposes", all);
	}
	return o;
}

#define REFUSE(...)                                                                                \
	do {                                                                                       \
		snprintf(err, errsz, __VA_ARGS__);                                                 \
		r = -ALPR_E_REFUSED;                                                               \
		goto out;                                                                          \
	} while (0)

int policy_tighten(const struct policy *base, const char *change, size_t len, struct policy **out,
		   char *err, size_t errsz)
{
	struct policy *p = NULL;
	json_error_t jerr;
	json_t *root = NULL, *v, *e;
	const char *key;
	char d1[POLICY_DURATION_BUFSZ], d2[POLICY_DURATION_BUFSZ];
	size_t i;
	int r;

	if (!base || !change || !out || len > POLICY_CHANGE_MAX) {
		snprintf(err, errsz, "policy change: missing or over %d bytes", POLICY_CHANGE_MAX);
		return -EINVAL;
	}
	root = json_loadb(change, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errsz, "policy change:%d: %s", jerr.line, jerr.text);
		return -ALPR_E_PARSE;
	}
	p = alpr_xmalloc(sizeof(*p));
	*p = *base;
	if (!json_is_object(root)) {
		FAIL("policy change: must be a JSON object");
	}
	json_object_foreach (root, key, v) {
		if (strcmp(key, "format") == 0) {
			if (!json_is_string(v) || strcmp(json_string_value(v), OVERRIDE_FORMAT)) {
				FAIL("policy change: format: \"%s\" expected", OVERRIDE_FORMAT);
			}
		} else if (strcmp(key, "base") == 0) {
			if (!json_is_string(v) || strcmp(json_string_value(v), base->name)) {
				FAIL("policy change: base: written for another profile than \"%s\"",
				     base->name);
			}
		} else if (strcmp(key, "retention") == 0) {
			const char *cls;
			if (!json_is_object(v)) {
				FAIL("policy change: retention: an object of durations is "
				     "required");
			}
			json_object_foreach (v, cls, e) {
				int c;
				int64_t us;
				for (c = 0; c < POLICY_CLASS_COUNT; c++) {
					if (strcmp(cls, class_names[c]) == 0) {
						break;
					}
				}
				if (c == POLICY_CLASS_COUNT) {
					FAIL("policy change: retention.%s: unknown data class",
					     cls);
				}
				if (!json_is_string(e) ||
				    policy_parse_duration(json_string_value(e),
							  json_string_length(e), &us) < 0) {
					FAIL("policy change: retention.%s: a duration such as "
					     "\"48h\" "
					     "is required",
					     cls);
				}
				if (c == POLICY_CLASS_AUDIT && us < base->retention_us[c]) {
					REFUSE("retention.audit: %s is shorter than the profile's "
					       "%s "
					       "(audit retention is a minimum; a profile may only "
					       "be "
					       "tightened)",
					       policy_format_duration(us, d1, sizeof(d1)),
					       policy_format_duration(base->retention_us[c], d2,
								      sizeof(d2)));
				}
				if (c != POLICY_CLASS_AUDIT && us > base->retention_us[c]) {
					REFUSE("retention.%s: %s is longer than the profile's %s "
					       "(a "
					       "profile may only be tightened)",
					       cls, policy_format_duration(us, d1, sizeof(d1)),
					       policy_format_duration(base->retention_us[c], d2,
								      sizeof(d2)));
				}
				p->retention_us[c] = us;
			}
		} else if (strcmp(key, "refused_categories") == 0) {
			bool listed[POLICY_CAT_COUNT] = {false};
			if (!json_is_array(v)) {
				FAIL("policy change: refused_categories: an array is required");
			}
			json_array_foreach (v, i, e) {
				int cat = json_is_string(e)
						  ? policy_category_from_name(json_string_value(e),
									      json_string_length(e))
						  : -EINVAL;
				if (cat < 0) {
					FAIL("policy change: refused_categories[%zu]: not a known "
					     "category",
					     i);
				}
				listed[cat] = true;
			}
			for (int c = 0; c < POLICY_CAT_COUNT; c++) {
				if (base->refused[c] && !listed[c]) {
					REFUSE("refused_categories: %s is refused by the profile "
					       "and "
					       "must stay refused",
					       category_names[c]);
				}
				p->refused[c] = listed[c];
			}
		} else if (strcmp(key, "prohibit_purposes") == 0) {
			if (!json_is_array(v)) {
				FAIL("policy change: prohibit_purposes: an array of purpose ids is "
				     "required");
			}
			json_array_foreach (v, i, e) {
				int j = json_is_string(e)
						? policy_purpose_find(p, json_string_value(e))
						: -EINVAL;
				if (j < 0) {
					FAIL("policy change: prohibit_purposes[%zu]: not a purpose "
					     "of "
					     "the profile",
					     i);
				}
				p->purposes[j].prohibited = true;
			}
		} else if (strcmp(key, "sharing") == 0) {
			enum policy_sharing sh[POLICY_RECIPIENT_COUNT];
			memcpy(sh, base->sharing, sizeof(sh));
			if ((r = parse_sharing(v, sh, "policy change", err, errsz)) < 0) {
				goto out;
			}
			for (int rt = 0; rt < POLICY_RECIPIENT_COUNT; rt++) {
				if (sh[rt] > base->sharing[rt]) {
					REFUSE("sharing.%s: the profile forbids it; a profile may "
					       "only "
					       "be tightened",
					       recipient_names[rt]);
				}
			}
			memcpy(p->sharing, sh, sizeof(sh));
		} else if (strcmp(key, "max_hotlist_age") == 0) {
			int64_t us;
			if (get_duration(root, key, &us) < 0) {
				FAIL("policy change: max_hotlist_age: a duration such as \"12h\" "
				     "is "
				     "required");
			}
			if (us > base->max_hotlist_age_us) {
				REFUSE("max_hotlist_age: %s is longer than the profile's %s (a "
				       "profile may only be tightened)",
				       policy_format_duration(us, d1, sizeof(d1)),
				       policy_format_duration(base->max_hotlist_age_us, d2,
							      sizeof(d2)));
			}
			p->max_hotlist_age_us = us;
		} else if (strcmp(key, "reads_memory_only") == 0) {
			if (!json_is_boolean(v)) {
				FAIL("policy change: reads_memory_only: true or false required");
			}
			if (base->reads_memory_only && json_is_false(v)) {
				REFUSE("reads_memory_only: the profile keeps non-hit reads in "
				       "memory "
				       "only; a profile may only be tightened");
			}
			p->reads_memory_only = json_is_true(v);
		} else if (strcmp(key, "report_min_count") == 0) {
			uint32_t n;
			if (parse_min_count(v, &n) < 0) {
				FAIL("policy change: report_min_count: an integer from 1 to %d is "
				     "required",
				     REPORT_MIN_COUNT_MAX);
			}
			if (n < base->report_min_count) {
				REFUSE("report_min_count: %u is below the profile's %u (a profile "
				       "may "
				       "only be tightened)",
				       n, base->report_min_count);
			}
			p->report_min_count = n;
		} else {
			FAIL("policy change: %s: not a setting that can be tightened", key);
		}
	}
	{
		json_t *canon = to_json(p, true);
		char *text = json_dumps(canon, JSON_SORT_KEYS | JSON_COMPACT);
		json_decref(canon);
		if (!text) {
			abort(); /* a tiny allocation */
		}
		SHA256((const unsigned char *)text, strlen(text), p->hash);
		free(text);
	}
	*out = steal_ptr(&p);
	r = 0;
out:
	json_decref(root);
	free(p);
	return r;
}

int policy_write_override(const struct policy *p, const char *path)
{
	json_t *o = to_json(p, false);
	char *text;
	int r;

	json_object_set_new(o, "format", json_string(OVERRIDE_FORMAT));
	json_object_set_new(o, "base", json_string(p->name));
	text = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(o);
	if (!text) {
		return -ENOMEM;
	}
	r = alpr_write_file_atomic(path, text, strlen(text), 0644);
	free(text);
	return r;
}

int policy_load_override(const struct policy *base, const char *path, struct policy **out,
			 char *err, size_t errsz)
{
	_autofree_ char *text = NULL;
	size_t len;
	int r;

	r = alpr_read_file(path, POLICY_CHANGE_MAX, &text, &len);
	if (r < 0) {
		snprintf(err, errsz, "%s: %s", path, alpr_strerror(r));
		return r;
	}
	r = policy_tighten(base, text, len, out, err, errsz);
	if (r < 0) {
		/* name the file: "policy change: x" becomes "PATH: x" */
		char msg[512];
		const char *m = strncmp(err, "policy change", 13) == 0 ? err + 13 : err;
		snprintf(msg, sizeof(msg), "%s%s%s", path, *m == ':' ? "" : ": ", m);
		alpr_strlcpy(err, msg, errsz);
	}
	return r;
}
