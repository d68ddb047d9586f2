/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * unit-command.c: the headless command channel (unit_command in unit.h): one JSON object per
 * line, checked whole before anything is done, then one audited officer action.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

static const char *const statuses[] = {"confirmed", "misread", "wrong_state", "not_actioned"};
static const enum store_hit_status status_values[] = {
	STORE_HIT_CONFIRMED, STORE_HIT_MISREAD, STORE_HIT_WRONG_STATE, STORE_HIT_NOT_ACTIONED};

/* The keys a command may have, each with its JSON type. */
struct field {
	const char *name;
	json_type type;
	bool required;
};

struct command_def {
	const char *name;
	struct field fields[4];
};

static const struct command_def commands[] = {
	{"sign_in", {{"officer", JSON_STRING, true}}},
	{"sign_out", {{"officer", JSON_STRING, true}}},
	{"verify",
	 {{"officer", JSON_STRING, true}, {"read", JSON_STRING, true}, {"match", JSON_TRUE, true}}},
	{"dispose",
	 {{"officer", JSON_STRING, true},
	  {"read", JSON_STRING, true},
	  {"status", JSON_STRING, true}}},
};

static bool type_ok(const json_t *v, json_type t)
{
	return t == JSON_TRUE ? json_is_boolean(v) : json_typeof(v) == t;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int unit_command(struct unit *u, const char *line, size_t len, char *err, size_t errsz)
{
	json_error_t je;
	const struct command_def *def = NULL;
	int r = -ALPR_E_PARSE;

	if (!u || !line) {
		return -EINVAL;
	}
	if (len > UNIT_COMMAND_MAX) {
		snprintf(err, errsz, "line: over %d bytes", UNIT_COMMAND_MAX);
		return -ALPR_E_PARSE;
	}
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		snprintf(err, errsz, "json: column %d: %s", je.column, je.text);
		return -ALPR_E_PARSE;
	}
	if (!json_is_object(o)) {
		snprintf(err, errsz, "json: not an object");
		goto out;
	}
	const char *name = str(o, "command");
	for (size_t i = 0; name && i < ALPR_ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, name) == 0) {
			def = &commands[i];
		}
	}
	if (!def) {
		snprintf(err, errsz, "command: %s", name ? "unknown" : "missing or not a string");
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach (o, key, v) {
		if (strcmp(key, "command") == 0) {
			continue;
		}
		const struct field *f = NULL;
		for (size_t i = 0; i < ALPR_ARRAY_SIZE(def->fields) && def->fields[i].name; i++) {
			if (strcmp(def->fields[i].name, key) == 0) {
				f = &def->fields[i];
			}
		}
		if (!f) {
			snprintf(err, errsz, "%.64s: not a field of %s", key, def->name);
			goto out;
		}
		if (!type_ok(v, f->type)) {
			snprintf(err, errsz, "%s: not a %s", key,
				 f->type == JSON_TRUE ? "boolean" : "string");
			goto out;
		}
	}
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(def->fields) && def->fields[i].name; i++) {
		if (def->fields[i].required && !json_object_get(o, def->fields[i].name)) {
			snprintf(err, errsz, "%s: missing", def->fields[i].name);
			goto out;
		}
	}
	const char *officer = str(o, "officer");
	if (strcmp(def->name, "sign_in") == 0) {
		r = unit_sign_in(u, officer, true, NULL);
	} else if (strcmp(def->name, "sign_out") == 0) {
		r = unit_sign_out(u, officer);
	} else if (strcmp(def->name, "verify") == 0) {
		r = unit_verify_hit(u, str(o, "read"), officer,
				    json_is_true(json_object_get(o, "match")), err, errsz);
	} else {
		const char *st = str(o, "status");
		size_t k;
		for (k = 0; k < ALPR_ARRAY_SIZE(statuses) && strcmp(statuses[k], st) != 0; k++) {
		}
		if (k == ALPR_ARRAY_SIZE(statuses)) {
			snprintf(err, errsz,
				 "status: not one of confirmed, misread, wrong_state, "
				 "not_actioned");
			goto out;
		}
		r = unit_dispose_hit(u, str(o, "read"), status_values[k], officer, err, errsz);
	}
	if (r < 0 && r != -ALPR_E_REFUSED && !err[0]) {
		snprintf(err, errsz, "%s: %s", def->name, alpr_strerror(r));
	}
out:
	json_decref(o);
	return r;
}
