/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * The transparency report (report.h; docs/report.md): the records it counts, the figures
 * computed from the log, the HTML and JSON writers, the re-derivation and the scan.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include <openssl/sha.h>
#include "search-private.h"

#define SUBSYS "report"

/* ---- records ----------------------------------------------------------------------------- */

static int record(struct audit *a, const struct policy *p, const char *user, const char *action,
		  json_t *params, const char *object_id)
{
	char *text = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	int r;

	json_decref(params);
	if (!text) {
		return -EINVAL;
	}
	r = search_audit_simple(a, p,
				&(struct search_audit_args){.user = user,
							    .role = "system",
							    .action = action,
							    .params = text,
							    .object_id = object_id},
				NULL);
	free(text);
	return r;
}

int report_record_reads(struct audit *a, const struct policy *p, const char *camera, uint64_t count)
{
	if (!a || !camera || !*camera) {
		return -EINVAL;
	}
	return record(a, p, "system", REPORT_ACTION_READS,
		      json_pack("{s:s, s:I}", "camera", camera, "count", (json_int_t)count), NULL);
}

int report_record_purge(struct audit *a, const struct policy *p, const struct store_purge_counts *c)
{
	if (!a || !c) {
		return -EINVAL;
	}
	return record(a, p, "system", REPORT_ACTION_PURGE,
		      json_pack("{s:I, s:I, s:I, s:I}", "reads", (json_int_t)c->reads, "crops",
				(json_int_t)c->crops, "hits", (json_int_t)c->hits, "misread_hits",
				(json_int_t)c->misread_hits),
		      NULL);
}

static json_t *per_category(const uint64_t v[POLICY_CAT_COUNT])
{
	json_t *o = json_object();
	for (int c = 0; c < POLICY_CAT_COUNT; c++) {
		if (v[c]) {
			json_object_set_new(o, policy_category_name((enum policy_category)c),
					    json_integer((json_int_t)v[c]));
		}
	}
	return o;
}

int report_record_hotlist_load(struct audit *a, const struct policy *p, const char *list,
			       uint64_t version, const uint64_t loaded[POLICY_CAT_COUNT],
			       const uint64_t refused[POLICY_CAT_COUNT])
{
	if (!a || !list || !loaded || !refused) {
		return -EINVAL;
	}
	return record(a, p, "system", REPORT_ACTION_HOTLIST,
		      json_pack("{s:s, s:I, s:o, s:o}", "list", list, "version",
				(json_int_t)version, "loaded", per_category(loaded), "refused",
				per_category(refused)),
		      NULL);
}

int report_record_hit(struct audit *a, const struct policy *p, const char *read_id,
		      enum policy_category category)
{
	if (!a || !read_id || (unsigned)category >= POLICY_CAT_COUNT) {
		return -EINVAL;
	}
	return record(a, p, "system", REPORT_ACTION_HIT,
		      json_pack("{s:s}", "category", policy_category_name(category)), read_id);
}

int report_record_disposition(struct audit *a, const struct policy *p, const char *read_id,
			      const char *officer, enum store_hit_status status)
{
	if (!a || !read_id || !officer || (unsigned)status >= STORE_HIT_STATUS_COUNT) {
		return -EINVAL;
	}
	return record(a, p, officer, REPORT_ACTION_DISPOSITION,
		      json_pack("{s:s}", "status", store_hit_status_name(status)), read_id);
}

/* ---- figures from the log ---------------------------------------------------------------- */

/* Small counted sets. Keys are ids this code wrote (categories, purposes of the profile,
 * field names) or device/camera ids that are only counted, never printed. */
#define KV_MAX    64
#define KV_KEYLEN 96
#define LISTS_MAX 64

struct kv {
	char key[KV_MAX][KV_KEYLEN];
	uint64_t n[KV_MAX];
	size_t len;
	uint64_t other; /* past KV_MAX keys */
};

static void kv_add(struct kv *m, const char *key, uint64_t n)
{
	for (size_t i = 0; i < m->len; i++) {
		if (strcmp(m->key[i], key) == 0) {
			m->n[i] += n;
			return;
		}
	}
	if (m->len == KV_MAX || strlen(key) >= KV_KEYLEN) {
		m->other += n;
		return;
	}
	alpr_strlcpy(m->key[m->len], key, KV_KEYLEN);
	m->n[m->len++] = n;
}

struct figures {
	int64_t from_us, to_us;
	uint64_t through_seq;
	struct kv units, cameras;
	uint64_t captured, purged, purged_crops;
	struct {
		char list[KV_KEYLEN];
		uint64_t loaded[POLICY_CAT_COUNT], refused[POLICY_CAT_COUNT];
	} lists[LISTS_MAX];
	size_t nlists;
	uint64_t hits[POLICY_CAT_COUNT];
	uint64_t dispositions[STORE_HIT_STATUS_COUNT];
	struct kv purposes;   /* allowed searches by purpose */
	struct kv refused_by; /* refused searches by the field that failed */
	uint64_t searches, searches_refused, flags, reviews, historical;
	uint64_t disclosed[POLICY_RECIPIENT_COUNT], disclosures_refused;
};

static uint64_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
							       : 0;
}

static void per_cat_add(json_t *o, uint64_t out[POLICY_CAT_COUNT])
{
	const char *key;
	json_t *v;

	memset(out, 0, POLICY_CAT_COUNT * sizeof(out[0]));
	json_object_foreach (o, key, v) {
		int c = policy_category_from_name(key, strlen(key));
		if (c >= 0 && json_is_integer(v) && json_integer_value(v) > 0) {
			out[c] = (uint64_t)json_integer_value(v);
		}
	}
}

/* "purpose: ..." -> "purpose"; anything not a short lower-case field name -> "other". */
static void reason_field(const char *reason, char *out, size_t outsz)
{
	size_t n = 0;
	while (reason[n] && reason[n] != ':' && n < 24) {
		char c = reason[n];
		if (!((c >= 'a' && c <= 'z') || c == ' ')) {
			break;
		}
		n++;
	}
	if (n == 0 || reason[n] != ':') {
		alpr_strlcpy(out, "other", outsz);
	} else {
		snprintf(out, outsz, "%.*s", (int)n, reason);
	}
}

static int figures_fn(const struct audit_record *rec, void *userdata)
{
	struct figures *f = userdata;
	const char *act = rec->action;
	json_t *o;

	if (rec->seq > f->through_seq) {
		return 1;
	}
	if (rec->time_us < f->from_us || rec->time_us >= f->to_us) {
		return 0;
	}
	o = json_loads(rec->params, 0, NULL);
	if (strcmp(act, REPORT_ACTION_READS) == 0 && json_is_object(o)) {
		char cam[KV_KEYLEN];
		const char *c = json_is_string(json_object_get(o, "camera"))
					? json_string_value(json_object_get(o, "camera"))
					: "?";
		snprintf(cam, sizeof(cam), "%s/%s", rec->device, c);
		kv_add(&f->units, rec->device, 1);
		kv_add(&f->cameras, cam, 1);
		f->captured += jint(o, "count");
	} else if (strcmp(act, REPORT_ACTION_PURGE) == 0 && json_is_object(o)) {
		f->purged += jint(o, "reads") + jint(o, "hits") + jint(o, "misread_hits");
		f->purged_crops += jint(o, "crops");
	} else if (strcmp(act, REPORT_ACTION_HOTLIST) == 0 && json_is_object(o)) {
		const char *list = json_is_string(json_object_get(o, "list"))
					   ? json_string_value(json_object_get(o, "list"))
					   : "?";
		size_t i;
		/* the newest load of each list is what is in force */
		for (i = 0; i < f->nlists; i++) {
			if (strcmp(f->lists[i].list, list) == 0) {
				break;
			}
		}
		if (i == f->nlists && f->nlists < LISTS_MAX) {
			alpr_strlcpy(f->lists[f->nlists++].list, list, KV_KEYLEN);
		}
		if (i < f->nlists) {
			per_cat_add(json_object_get(o, "loaded"), f->lists[i].loaded);
			per_cat_add(json_object_get(o, "refused"), f->lists[i].refused);
		}
	} else if (strcmp(act, REPORT_ACTION_HIT) == 0 && json_is_object(o)) {
		json_t *v = json_object_get(o, "category");
		int c = json_is_string(v) ? policy_category_from_name(json_string_value(v),
								      json_string_length(v))
					  : -1;
		if (c >= 0) {
			f->hits[c]++;
		}
	} else if (strcmp(act, REPORT_ACTION_DISPOSITION) == 0 && json_is_object(o) &&
		   rec->outcome == AUDIT_ALLOWED) {
		/* A refused disposition (the store's state machine said no) changed nothing. */
		json_t *v = json_object_get(o, "status");
		for (int s = 0; json_is_string(v) && s < STORE_HIT_STATUS_COUNT; s++) {
			if (strcmp(json_string_value(v),
				   store_hit_status_name((enum store_hit_status)s)) == 0) {
				f->dispositions[s]++;
			}
		}
	} else if (strcmp(act, SEARCH_ACTION_SEARCH) == 0) {
		if (rec->outcome == AUDIT_ALLOWED) {
			f->searches++;
			kv_add(&f->purposes, rec->purpose, 1);
		} else {
			char field[32];
			f->searches_refused++;
			reason_field(rec->reason, field, sizeof(field));
			kv_add(&f->refused_by, field, 1);
		}
	} else if (strcmp(act, SEARCH_ACTION_FLAG) == 0) {
		f->flags++;
	} else if (strcmp(act, SEARCH_ACTION_REVIEW) == 0 && rec->outcome == AUDIT_ALLOWED) {
		f->reviews++;
	} else if (strcmp(act, SEARCH_ACTION_HISTORICAL) == 0) {
		f->historical++;
	} else if (strcmp(act, "disclose") == 0) {
		json_t *v = json_object_get(o, "recipient_type");
		int t = json_is_string(v) ? policy_recipient_from_name(json_string_value(v),
								       json_string_length(v))
					  : -1;
		if (rec->outcome != AUDIT_ALLOWED) {
			f->disclosures_refused++;
		} else if (t >= 0) {
			f->disclosed[t]++;
		}
	}
	json_decref(o);
	return 0;
}

/* ---- the JSON report --------------------------------------------------------------------- */

struct build {
	uint32_t min;
	json_t *suppressed; /* paths of suppressed counts */
};

/* A count, or null (and its path listed) when it is in [1, min). */
static void put_count(struct build *b, json_t *obj, const char *path, const char *key, uint64_t n)
{
	char full[160];
	if (n > 0 && n < b->min) {
		snprintf(full, sizeof(full), "%s%s%s", path, *path ? "." : "", key);
		json_object_set_new(obj, key, json_null());
		json_array_append_new(b->suppressed, json_string(full));
	} else {
		json_object_set_new(obj, key, json_integer((json_int_t)n));
	}
}

/* "2026-03-01 00:00:00 UTC": no "T" between digits, so the plate scan has nothing to find. */
static char *human_time(int64_t us, char *buf, size_t sz)
{
	char t[ALPR_TIME_BUFSZ];
	alpr_time_format(us, t, sizeof(t));
	t[10] = ' ';
	t[19] = '\0';
	snprintf(buf, sz, "%s UTC", t);
	return buf;
}

struct report_meta {
	int64_t generated_us;
	bool has_held;
	uint64_t held;
	uint8_t cp_hash[AUDIT_HASH_LEN];
};

static json_t *build_json(const struct figures *f, const struct policy *p,
			  const struct report_meta *m)
{
	struct build b = {policy_report_min_count(p), json_array()};
	json_t *o = json_object(), *x, *y;
	char t[64], hex[2 * AUDIT_HASH_LEN + 1], d[POLICY_DURATION_BUFSZ];
	uint64_t loaded[POLICY_CAT_COUNT] = {0}, refused[POLICY_CAT_COUNT] = {0}, total;

	json_object_set_new(o, "format", json_string("alpr-transparency-report/1"));
	x = json_object();
	json_object_set_new(x, "from", json_string(human_time(f->from_us, t, sizeof(t))));
	json_object_set_new(x, "to", json_string(human_time(f->to_us, t, sizeof(t))));
	json_object_set_new(o, "period", x);
	json_object_set_new(o, "generated", json_string(human_time(m->generated_us, t, sizeof(t))));
	alpr_hex_encode(policy_hash(p), AUDIT_HASH_LEN, hex);
	json_object_set_new(o, "profile",
			    json_pack("{s:s, s:s}", "name", policy_name(p), "hash", hex));
	json_object_set_new(o, "suppression_threshold", json_integer(b.min));

	alpr_hex_encode(m->cp_hash, AUDIT_HASH_LEN, hex);
	json_object_set_new(o, "audit",
			    json_pack("{s:I, s:s}", "checkpoint_seq", (json_int_t)f->through_seq,
				      "checkpoint_hash", hex));
	json_object_set_new(o, "in_service",
			    json_pack("{s:I, s:I}", "units", (json_int_t)f->units.len, "cameras",
				      (json_int_t)f->cameras.len));
	x = json_object();
	put_count(&b, x, "reads", "captured", f->captured);
	put_count(&b, x, "reads", "purged", f->purged);
	if (m->has_held) {
		put_count(&b, x, "reads", "held_at_end", m->held);
	} else {
		json_object_set_new(x, "held_at_end", json_null());
	}
	json_object_set_new(o, "reads", x);

	x = json_object();
	for (int c = 0; c < POLICY_CLASS_COUNT; c++) {
		json_object_set_new(
			x, policy_class_name((enum policy_data_class)c),
			json_string(policy_format_duration(
				policy_retention_us(p, (enum policy_data_class)c), d, sizeof(d))));
	}
	json_object_set_new(x, "reads_memory_only", json_boolean(policy_reads_memory_only(p)));
	json_object_set_new(o, "retention", x);

	for (size_t i = 0; i < f->nlists; i++) {
		for (int c = 0; c < POLICY_CAT_COUNT; c++) {
			loaded[c] += f->lists[i].loaded[c];
			refused[c] += f->lists[i].refused[c];
		}
	}
	x = json_object();
	json_object_set_new(x, "lists", json_integer((json_int_t)f->nlists));
	y = json_object();
	for (int c = 0; c < POLICY_CAT_COUNT; c++) {
		if (loaded[c]) {
			put_count(&b, y, "hotlist.loaded", policy_category_name(c), loaded[c]);
		}
	}
	json_object_set_new(x, "loaded", y);
	y = json_object();
	for (int c = 0; c < POLICY_CAT_COUNT; c++) {
		if (refused[c]) {
			put_count(&b, y, "hotlist.refused", policy_category_name(c), refused[c]);
		}
	}
	json_object_set_new(x, "refused", y);
	json_object_set_new(o, "hotlist", x);

	x = json_object();
	y = json_object();
	total = 0;
	for (int c = 0; c < POLICY_CAT_COUNT; c++) {
		total += f->hits[c];
		if (f->hits[c]) {
			put_count(&b, y, "hits.by_category", policy_category_name(c), f->hits[c]);
		}
	}
	put_count(&b, x, "hits", "total", total);
	json_object_set_new(x, "by_category", y);
	put_count(&b, x, "hits", "confirmed", f->dispositions[STORE_HIT_CONFIRMED]);
	put_count(&b, x, "hits", "misread", f->dispositions[STORE_HIT_MISREAD]);
	put_count(&b, x, "hits", "wrong_state", f->dispositions[STORE_HIT_WRONG_STATE]);
	put_count(&b, x, "hits", "not_actioned", f->dispositions[STORE_HIT_NOT_ACTIONED]);
	put_count(&b, x, "hits", "historical", f->historical);
	json_object_set_new(o, "hits", x);

	x = json_object();
	put_count(&b, x, "searches", "allowed", f->searches);
	y = json_object();
	for (size_t i = 0; i < f->purposes.len; i++) {
		put_count(&b, y, "searches.by_purpose", f->purposes.key[i], f->purposes.n[i]);
	}
	json_object_set_new(x, "by_purpose", y);
	put_count(&b, x, "searches", "refused", f->searches_refused);
	y = json_object();
	for (size_t i = 0; i < f->refused_by.len; i++) {
		put_count(&b, y, "searches.refused_by", f->refused_by.key[i], f->refused_by.n[i]);
	}
	json_object_set_new(x, "refused_by", y);
	put_count(&b, x, "searches", "flagged", f->flags);
	put_count(&b, x, "searches", "flags_reviewed", f->reviews);
	json_object_set_new(o, "searches", x);

	x = json_object();
	y = json_object();
	for (int t2 = 0; t2 < POLICY_RECIPIENT_COUNT; t2++) {
		put_count(&b, y, "disclosures.by_recipient_type",
			  policy_recipient_name((enum policy_recipient)t2), f->disclosed[t2]);
	}
	json_object_set_new(x, "by_recipient_type", y);
	put_count(&b, x, "disclosures", "refused", f->disclosures_refused);
	json_object_set_new(o, "disclosures", x);
	json_object_set_new(o, "suppressed", b.suppressed);
	return o;
}

/* ---- the HTML report --------------------------------------------------------------------- */

/* The HTML is small: a few kilobytes of tables and bars. */
#define HTML_MAX (1024 * 1024)

struct sbuf {
	char *p;
	size_t len, cap;
	bool over;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->over) {
		return;
	}
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->over = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		if (b->cap * 2 > HTML_MAX) {
			b->over = true;
			return;
		}
		b->cap *= 2;
		b->p = alpr_xrealloc(b->p, b->cap);
	}
}

/* Text from the report's own JSON: ids and numbers, escaped anyway. */
static void sb_text(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			sb_printf(b, "&lt;");
			break;
		case '>':
			sb_printf(b, "&gt;");
			break;
		case '&':
			sb_printf(b, "&amp;");
			break;
		case '"':
			sb_printf(b, "&quot;");
			break;
		default:
			sb_printf(b, "%c", *s);
		}
	}
}

static void count_text(json_t *v, uint32_t min, char *out, size_t sz)
{
	if (json_is_null(v)) {
		snprintf(out, sz, "&lt;%u", min);
	} else {
		snprintf(out, sz, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	}
}

/* A horizontal bar chart of an object of counts, as inline SVG. Suppressed bars are drawn
 * at the threshold, hatched, and labelled "<N". */
static void sb_chart(struct sbuf *b, const char *title, json_t *obj, uint32_t min)
{
	const char *key;
	json_t *v;
	json_int_t max = 1;
	size_t n = json_object_size(obj), row = 0;

	sb_printf(b, "<h3>");
	sb_text(b, title);
	sb_printf(b, "</h3>\n");
	if (n == 0) {
		sb_printf(b, "<p class=\"none\">none</p>\n");
		return;
	}
	json_object_foreach (obj, key, v) {
		json_int_t x = json_is_null(v) ? (json_int_t)min : json_integer_value(v);
		max = x > max ? x : max;
	}
	sb_printf(b,
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"%zu\" "
		  "role=\"img\" aria-label=\"",
		  n * 26 + 10);
	sb_text(b, title);
	sb_printf(b, "\">\n");
	json_object_foreach (obj, key, v) {
		json_int_t x = json_is_null(v) ? (json_int_t)min : json_integer_value(v);
		int w = (int)(x * 360 / max);
		char label[32];
		count_text(v, min, label, sizeof(label));
		sb_printf(b, "<text x=\"0\" y=\"%zu\" font-size=\"13\">", row * 26 + 22);
		sb_text(b, key);
		sb_printf(b,
			  "</text><rect x=\"200\" y=\"%zu\" width=\"%d\" height=\"18\" "
			  "fill=\"%s\"/><text x=\"%d\" y=\"%zu\" font-size=\"13\">%s</text>\n",
			  row * 26 + 8, w ? w : 1, json_is_null(v) ? "url(#hatch)" : "#3b6ea5",
			  200 + (w ? w : 1) + 6, row * 26 + 22, label);
		row++;
	}
	sb_printf(b, "</svg>\n");
}

static void sb_row(struct sbuf *b, const char *name, json_t *v, uint32_t min)
{
	char c[32];
	sb_printf(b, "<tr><th>");
	sb_text(b, name);
	sb_printf(b, "</th><td>");
	if (json_is_string(v)) {
		sb_text(b, json_string_value(v));
	} else if (json_is_boolean(v)) {
		sb_printf(b, "%s", json_is_true(v) ? "yes" : "no");
	} else if (json_is_integer(v) || json_is_null(v)) {
		count_text(v, min, c, sizeof(c));
		sb_printf(b, "%s", c);
	}
	sb_printf(b, "</td></tr>\n");
}

static void sb_table(struct sbuf *b, const char *title, json_t *obj, uint32_t min)
{
	const char *key;
	json_t *v;

	sb_printf(b, "<h3>");
	sb_text(b, title);
	sb_printf(b, "</h3>\n<table>\n");
	json_object_foreach (obj, key, v) {
		if (!json_is_object(v)) {
			sb_row(b, key, v, min);
		}
	}
	sb_printf(b, "</table>\n");
}

static char *build_html(json_t *r)
{
	struct sbuf b = {alpr_xmalloc(16384), 0, 16384, false};
	uint32_t min = (uint32_t)json_integer_value(json_object_get(r, "suppression_threshold"));
	json_t *hits = json_object_get(r, "hits"), *s = json_object_get(r, "searches");
	json_t *hl = json_object_get(r, "hotlist"), *d = json_object_get(r, "disclosures");

	sb_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		      "<title>ALPR transparency report</title>\n<style>\n"
		      "body{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}\n"
		      "table{border-collapse:collapse}th,td{padding:2px 12px 2px 0;"
		      "text-align:left}\n"
		      "th{font-weight:normal;color:#555}.none{color:#777}\n"
		      "</style></head><body>\n"
		      "<svg width=\"0\" height=\"0\" style=\"position:absolute\"><defs>"
		      "<pattern id=\"hatch\" width=\"6\" height=\"6\" "
		      "patternUnits=\"userSpaceOnUse\"><path d=\"M0,6 l6,-6\" stroke=\"#888\"/>"
		      "</pattern></defs></svg>\n"
		      "<h1>ALPR transparency report</h1>\n<p>");
	sb_text(&b, json_string_value(json_object_get(json_object_get(r, "period"), "from")));
	sb_printf(&b, " to ");
	sb_text(&b, json_string_value(json_object_get(json_object_get(r, "period"), "to")));
	sb_printf(&b, ". Generated ");
	sb_text(&b, json_string_value(json_object_get(r, "generated")));
	sb_printf(&b, ". Profile ");
	sb_text(&b, json_string_value(json_object_get(json_object_get(r, "profile"), "name")));
	sb_printf(&b,
		  ". Counts from 1 to %u are suppressed and shown as &lt;%u. This report "
		  "contains no plates, names or locations.</p>\n",
		  min - 1, min);
	sb_table(&b, "Units and cameras in service", json_object_get(r, "in_service"), min);
	sb_table(&b, "Reads", json_object_get(r, "reads"), min);
	sb_table(&b, "Retention in force", json_object_get(r, "retention"), min);
	sb_printf(&b, "<h2>Hotlists</h2>\n");
	sb_chart(&b, "Entries loaded by category", json_object_get(hl, "loaded"), min);
	sb_chart(&b, "Entries refused by category", json_object_get(hl, "refused"), min);
	sb_printf(&b, "<h2>Hits</h2>\n");
	sb_table(&b, "Hits and their verification", hits, min);
	sb_chart(&b, "Hits by category", json_object_get(hits, "by_category"), min);
	sb_printf(&b, "<h2>Searches</h2>\n");
	sb_table(&b, "Searches", s, min);
	sb_chart(&b, "Searches by purpose", json_object_get(s, "by_purpose"), min);
	sb_chart(&b, "Refused searches by the check that failed", json_object_get(s, "refused_by"),
		 min);
	sb_printf(&b, "<h2>Disclosures</h2>\n");
	sb_chart(&b, "Disclosures by recipient type", json_object_get(d, "by_recipient_type"), min);
	sb_table(&b, "Refused disclosures", d, min);
	sb_printf(
		&b,
		"<h2>Audit</h2>\n<p>Checkpoint over audit record %" JSON_INTEGER_FORMAT
		", record hash <code>",
		json_integer_value(json_object_get(json_object_get(r, "audit"), "checkpoint_seq")));
	sb_text(&b,
		json_string_value(json_object_get(json_object_get(r, "audit"), "checkpoint_hash")));
	sb_printf(&b, "</code>. Profile hash <code>");
	sb_text(&b, json_string_value(json_object_get(json_object_get(r, "profile"), "hash")));
	sb_printf(&b, "</code>. Re-derive with <code>alpr-report --rederive</code>.</p>\n"
		      "</body></html>\n");
	if (b.over) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* ---- the scan ---------------------------------------------------------------------------- */

static bool is_up_or_digit(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool report_scan(const char *text, size_t len, const char *const *forbidden, char *why,
		 size_t whysz)
{
	size_t i = 0;

	while (i < len) {
		/* a maximal run of capitals and digits, bounded by anything else */
		if (is_up_or_digit(text[i]) && (i == 0 || !is_up_or_digit(text[i - 1]))) {
			size_t j = i, letters = 0, digits = 0;
			while (j < len && is_up_or_digit(text[j])) {
				letters += text[j] >= 'A';
				digits += text[j] <= '9';
				j++;
			}
			bool alnum_neighbour =
				(i > 0 && ((text[i - 1] >= 'a' && text[i - 1] <= 'z'))) ||
				(j < len && text[j] >= 'a' && text[j] <= 'z');
			if (j - i >= 5 && j - i <= 8 && letters && digits && !alnum_neighbour) {
				snprintf(why, whysz, "a plate-shaped token at byte %zu: %.*s", i,
					 (int)(j - i), text + i);
				return false;
			}
			i = j;
			continue;
		}
		/* a number with four or more decimals: a coordinate */
		if (text[i] == '.' && i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9') {
			size_t j = i + 1;
			while (j < len && text[j] >= '0' && text[j] <= '9') {
				j++;
			}
			if (j - i - 1 >= 4) {
				snprintf(why, whysz, "a coordinate-shaped number at byte %zu", i);
				return false;
			}
		}
		i++;
	}
	for (size_t k = 0; forbidden && forbidden[k]; k++) {
		if (memmem(text, len, forbidden[k], strlen(forbidden[k]))) {
			snprintf(why, whysz, "a forbidden string: %s", forbidden[k]);
			return false;
		}
	}
	return true;
}

/* ---- generate and re-derive -------------------------------------------------------------- */

static int compute(struct audit *a, struct figures *f)
{
	return audit_foreach(a, 1, figures_fn, f) < 0 ? -EIO : 0;
}

static char *dump(json_t *o)
{
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t n;

	if (!text) {
		return NULL;
	}
	n = strlen(text);
	text = alpr_xrealloc(text, n + 2);
	text[n] = '\n';
	text[n + 1] = 0;
	return text;
}

int report_generate(struct audit *a, const struct report_options *o, char *err, size_t errsz)
{
	struct figures *f = NULL;
	struct report_meta m = {0};
	struct audit_checkpoint_info cp;
	struct store_stats st;
	json_t *j = NULL, *params = NULL;
	char *json_text = NULL, *html = NULL, *ptext = NULL, why[256];
	uint8_t hash[AUDIT_HASH_LEN];
	char hex[2 * AUDIT_HASH_LEN + 1];
	int r;

	if (!a || !o || !o->policy || !o->json_path || o->from_us >= o->to_us) {
		snprintf(err, errsz, "report: a profile, a JSON path and a period are required");
		return -EINVAL;
	}
	if (o->record && (r = audit_checkpoint(a)) < 0 && r != -ENODATA) {
		snprintf(err, errsz, "audit log: checkpoint: %s", alpr_strerror(r));
		return r;
	}
	if ((r = audit_last_checkpoint(a, &cp)) < 0) {
		snprintf(err, errsz, "audit log: %s",
			 r == -ENODATA ? "no checkpoint to anchor the report on"
				       : alpr_strerror(r));
		return r;
	}
	m.generated_us = o->now_us ? o->now_us : alpr_clock_now(NULL);
	memcpy(m.cp_hash, cp.record_hash, AUDIT_HASH_LEN);
	if (o->store) {
		if ((r = store_stats(o->store, &st)) < 0) {
			snprintf(err, errsz, "store: %s", alpr_strerror(r));
			return r;
		}
		m.has_held = true;
		m.held = st.reads + st.memory_reads;
	}
	f = alpr_xcalloc(1, sizeof(*f));
	f->from_us = o->from_us;
	f->to_us = o->to_us;
	f->through_seq = cp.seq;
	if ((r = compute(a, f)) < 0) {
		snprintf(err, errsz, "audit log: cannot be read");
		goto out;
	}
	j = build_json(f, o->policy, &m);
	json_text = dump(j);
	html = o->html_path ? build_html(j) : NULL;
	if (!json_text || (o->html_path && !html)) {
		snprintf(err, errsz, "report: too large");
		r = -EFBIG;
		goto out;
	}
	if (!report_scan(json_text, strlen(json_text), NULL, why, sizeof(why)) ||
	    (html && !report_scan(html, strlen(html), NULL, why, sizeof(why)))) {
		snprintf(err, errsz, "report: refused to write: %s", why);
		r = -ALPR_E_REFUSED;
		goto out;
	}
	if ((r = alpr_write_file_atomic(o->json_path, json_text, strlen(json_text), 0644)) < 0) {
		snprintf(err, errsz, "%s: %s", o->json_path, alpr_strerror(r));
		goto out;
	}
	if (html && (r = alpr_write_file_atomic(o->html_path, html, strlen(html), 0644)) < 0) {
		snprintf(err, errsz, "%s: %s", o->html_path, alpr_strerror(r));
		goto out;
	}
	if (o->record) {
		SHA256((const unsigned char *)json_text, strlen(json_text), hash);
		alpr_hex_encode(hash, AUDIT_HASH_LEN, hex);
		params = json_pack("{s:I, s:I, s:I, s:I, s:o}", "from_us", (json_int_t)o->from_us,
				   "to_us", (json_int_t)o->to_us, "through_seq", (json_int_t)cp.seq,
				   "generated_us", (json_int_t)m.generated_us, "held",
				   m.has_held ? json_integer((json_int_t)m.held) : json_null());
		ptext = params ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		r = search_audit_simple(a, o->policy,
					&(struct search_audit_args){.user = "system",
								    .role = "system",
								    .action = REPORT_ACTION_REPORT,
								    .params = ptext ? ptext : "",
								    .object_id = hex},
					NULL);
		if (r < 0) {
			snprintf(err, errsz, "audit log: %s", alpr_strerror(r));
		}
	}
out:
	free(ptext);
	json_decref(params);
	free(json_text);
	free(html);
	json_decref(j);
	free(f);
	return r;
}

struct find_report {
	const char *hex;
	bool found;
	uint8_t profile_hash[AUDIT_HASH_LEN];
	char params[512];
};

static int find_report_fn(const struct audit_record *rec, void *userdata)
{
	struct find_report *fr = userdata;
	if (strcmp(rec->action, REPORT_ACTION_REPORT) == 0 && rec->outcome == AUDIT_ALLOWED &&
	    strcmp(rec->object_id, fr->hex) == 0) {
		fr->found = true;
		memcpy(fr->profile_hash, rec->profile_hash, AUDIT_HASH_LEN);
		alpr_strlcpy(fr->params, rec->params, sizeof(fr->params));
	}
	return 0;
}

/* The first path where @a and @b differ, into @out. */
static void first_diff(json_t *a, json_t *b, const char *path, char *out, size_t sz)
{
	const char *key;
	json_t *v;

	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach (a, key, v) {
			char p[256];
			snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
			if (!json_equal(v, json_object_get(b, key))) {
				first_diff(v, json_object_get(b, key), p, out, sz);
				return;
			}
		}
		json_object_foreach (b, key, v) {
			if (!json_object_get(a, key)) {
				snprintf(out, sz, "%s%s%s: not in the re-derived report", path,
					 *path ? "." : "", key);
				return;
			}
		}
	}
	snprintf(out, sz, "%s: differs", *path ? path : "(whole report)");
}

int report_rederive(struct audit *a, const struct policy *p, const char *json_path, char *err,
		    size_t errsz)
{
	_autofree_ char *text = NULL;
	struct find_report fr = {0};
	struct figures *f = NULL;
	struct report_meta m = {0};
	json_t *file = NULL, *params = NULL, *mine = NULL;
	uint8_t hash[AUDIT_HASH_LEN];
	char hex[2 * AUDIT_HASH_LEN + 1], diff[300];
	size_t len;
	int r;

	if (!a || !p || !json_path) {
		return -EINVAL;
	}
	if ((r = alpr_read_file(json_path, HTML_MAX, &text, &len)) < 0) {
		snprintf(err, errsz, "%s: %s", json_path, alpr_strerror(r));
		return r;
	}
	SHA256((const unsigned char *)text, len, hash);
	alpr_hex_encode(hash, AUDIT_HASH_LEN, hex);
	fr.hex = hex;
	if ((r = audit_foreach(a, 1, find_report_fn, &fr)) < 0) {
		snprintf(err, errsz, "audit log: %s", alpr_strerror(r));
		return r;
	}
	if (!fr.found) {
		snprintf(err, errsz,
			 "%s: no report record in the log has this file's hash "
			 "(changed since, or not made from this log)",
			 json_path);
		return -ENOENT;
	}
	if (memcmp(fr.profile_hash, policy_hash(p), AUDIT_HASH_LEN) != 0) {
		snprintf(err, errsz, "profile: the report was made under another profile than %s",
			 policy_name(p));
		return -EINVAL;
	}
	params = json_loads(fr.params, 0, NULL);
	file = json_loadb(text, len, 0, NULL);
	if (!json_is_object(params) || !json_is_object(file)) {
		snprintf(err, errsz, "%s: not a report", json_path);
		r = -ALPR_E_PARSE;
		goto out;
	}
	f = alpr_xcalloc(1, sizeof(*f));
	f->from_us = json_integer_value(json_object_get(params, "from_us"));
	f->to_us = json_integer_value(json_object_get(params, "to_us"));
	f->through_seq = (uint64_t)json_integer_value(json_object_get(params, "through_seq"));
	m.generated_us = json_integer_value(json_object_get(params, "generated_us"));
	m.has_held = json_is_integer(json_object_get(params, "held"));
	m.held = m.has_held ? (uint64_t)json_integer_value(json_object_get(params, "held")) : 0;
	if ((r = audit_record_hash(a, f->through_seq, m.cp_hash)) < 0 || (r = compute(a, f)) < 0) {
		snprintf(err, errsz, "audit log: %s", alpr_strerror(r));
		goto out;
	}
	mine = build_json(f, p, &m);
	if (!json_equal(mine, file)) {
		first_diff(mine, file, "", diff, sizeof(diff));
		snprintf(err, errsz, "disagree: %s", diff);
		r = -ALPR_E_CORRUPT;
		goto out;
	}
	snprintf(err, errsz, "agree: every figure re-derived from audit records 1 to %" PRIu64,
		 f->through_seq);
	r = 0;
out:
	json_decref(mine);
	json_decref(params);
	json_decref(file);
	free(f);
	return r;
}
