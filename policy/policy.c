/* SPDX-License-Identifier: LicenseRef-Proprietary */
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

struct policy {
	char name[POLICY_NAME_MAX];
	char source[POLICY_SOURCE_MAX];
	bool refused[POLICY_CAT_COUNT];
	int64_t retention_us[POLICY_CLASS_COUNT];
	bool reads_memory_only;
	int64_t max_hotlist_age_us;
	uint8_t hash[SHA256_DIGEST_LENGTH];
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
