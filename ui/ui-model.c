/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* ui-model.c: the hit state machine, the hit queue and the card's text (ui-model.h). */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ui-model.h"

const char *alpr_ui_hit_state_name(enum alpr_ui_hit_state st)
{
	switch (st) {
	case ALPR_UI_HIT_UNVERIFIED:
		return "UNVERIFIED";
	case ALPR_UI_HIT_VERIFIED:
		return "VERIFIED";
	case ALPR_UI_HIT_DISPOSED:
		return "DISPOSED";
	}
	return "?";
}

const char *alpr_ui_disposition_label(enum alpr_ui_disposition d)
{
	static const char *const labels[ALPR_UI_DISP_COUNT] = {
		[ALPR_UI_DISP_CONFIRMED_STOPPED] = "Confirmed: stopped",
		[ALPR_UI_DISP_CONFIRMED_NOT_STOPPED] = "Confirmed: not stopped",
		[ALPR_UI_DISP_MISREAD] = "Misread",
		[ALPR_UI_DISP_WRONG_STATE] = "Wrong state",
		[ALPR_UI_DISP_NOT_ACTIONED] = "Not actioned",
	};
	if ((unsigned)d >= ALPR_UI_DISP_COUNT) {
		return "?";
	}
	return labels[d];
}

size_t alpr_ui_disposition_statuses(enum alpr_ui_disposition d, enum store_hit_status out[2])
{
	switch (d) {
	case ALPR_UI_DISP_CONFIRMED_STOPPED:
		out[0] = STORE_HIT_CONFIRMED;
		return 1;
	case ALPR_UI_DISP_CONFIRMED_NOT_STOPPED:
		/* The store's only two-step path: the plate was checked, then no action. */
		out[0] = STORE_HIT_CONFIRMED;
		out[1] = STORE_HIT_NOT_ACTIONED;
		return 2;
	case ALPR_UI_DISP_MISREAD:
		out[0] = STORE_HIT_MISREAD;
		return 1;
	case ALPR_UI_DISP_WRONG_STATE:
		out[0] = STORE_HIT_WRONG_STATE;
		return 1;
	case ALPR_UI_DISP_NOT_ACTIONED:
		out[0] = STORE_HIT_NOT_ACTIONED;
		return 1;
	case ALPR_UI_DISP_COUNT:
		break;
	}
	return 0;
}

struct alpr_ui_hit *alpr_ui_hit_create(const char *read_id, const char *camera, int64_t captured_at,
				       const char *read_state, const struct hotlist_match *m,
				       const uint8_t *crop, size_t crop_len)
{
	struct alpr_ui_hit *h = alpr_xcalloc(1, sizeof(*h));

	alpr_strlcpy(h->read_id, read_id ? read_id : "", sizeof(h->read_id));
	alpr_strlcpy(h->camera, camera ? camera : "", sizeof(h->camera));
	alpr_strlcpy(h->read_state, read_state ? read_state : "", sizeof(h->read_state));
	h->captured_at = captured_at;
	h->match = *m;
	if (crop && crop_len > 0) {
		h->crop = alpr_xmalloc(crop_len);
		memcpy(h->crop, crop, crop_len);
		h->crop_len = crop_len;
	}
	h->state = ALPR_UI_HIT_UNVERIFIED;
	return h;
}

void alpr_ui_hit_destroy(struct alpr_ui_hit *h)
{
	if (!h) {
		return;
	}
	free(h->crop);
	free(h);
}

int alpr_ui_hit_verify(struct alpr_ui_hit *h, int64_t now)
{
	if (h->state == ALPR_UI_HIT_VERIFIED) {
		return -EALREADY;
	}
	if (h->state != ALPR_UI_HIT_UNVERIFIED) {
		return -EPERM;
	}
	h->state = ALPR_UI_HIT_VERIFIED;
	h->verified_at = now;
	return 0;
}

int alpr_ui_hit_dispose(struct alpr_ui_hit *h, enum alpr_ui_disposition d, const char *officer,
			int64_t now)
{
	if ((unsigned)d >= ALPR_UI_DISP_COUNT || !officer || !officer[0] ||
	    strlen(officer) > ALPR_UI_OFFICER_MAX) {
		return -EINVAL;
	}
	if (h->state != ALPR_UI_HIT_VERIFIED) {
		return -EPERM;
	}
	h->state = ALPR_UI_HIT_DISPOSED;
	h->disposition = d;
	alpr_strlcpy(h->officer, officer, sizeof(h->officer));
	h->disposed_at = now;
	return 0;
}

int alpr_ui_hit_steps_todo(const struct alpr_ui_hit *h, enum alpr_ui_disposition d,
			   enum store_hit_status out[2])
{
	enum store_hit_status all[2];
	size_t n = alpr_ui_disposition_statuses(d, all);
	int k = 0;

	if (n == 0) {
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(h->recorded & (1u << all[i]))) {
			out[k++] = all[i];
		}
	}
	return k;
}

void alpr_ui_hit_step_recorded(struct alpr_ui_hit *h, enum store_hit_status st)
{
	if ((unsigned)st < STORE_HIT_STATUS_COUNT) {
		h->recorded |= 1u << st;
	}
}

/* ---- the queue ------------------------------------------------------------------------- */

void alpr_ui_hit_queue_init(struct alpr_ui_hit_queue *q)
{
	memset(q, 0, sizeof(*q));
	q->next_seq = 1;
}

void alpr_ui_hit_queue_finish(struct alpr_ui_hit_queue *q)
{
	for (size_t i = 0; i < q->n; i++) {
		alpr_ui_hit_destroy(q->items[i]);
	}
	free(q->items);
	memset(q, 0, sizeof(*q));
}

int alpr_ui_hit_queue_push(struct alpr_ui_hit_queue *q, struct alpr_ui_hit *h)
{
	/* The same stored read twice is one hit; reads the store could not keep all carry
	 * STORE_ID_UNSTORED and are each a hit of their own. */
	bool stored = h->read_id[0] && strcmp(h->read_id, STORE_ID_UNSTORED) != 0;
	for (size_t i = 0; i < q->n && stored; i++) {
		if (strcmp(q->items[i]->read_id, h->read_id) == 0) {
			alpr_ui_hit_destroy(h);
			return -EEXIST;
		}
	}
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		q->items = alpr_xrealloc(q->items, q->cap * sizeof(*q->items));
	}
	memmove(q->items + 1, q->items, q->n * sizeof(*q->items));
	h->seq = q->next_seq++;
	q->items[0] = h;
	q->n++;
	return 0;
}

size_t alpr_ui_hit_queue_len(const struct alpr_ui_hit_queue *q)
{
	return q->n;
}

struct alpr_ui_hit *alpr_ui_hit_queue_nth(const struct alpr_ui_hit_queue *q, size_t i)
{
	return i < q->n ? q->items[i] : NULL;
}

struct alpr_ui_hit *alpr_ui_hit_queue_current(const struct alpr_ui_hit_queue *q)
{
	for (size_t i = 0; i < q->n; i++) {
		if (q->items[i]->state == ALPR_UI_HIT_VERIFIED) {
			return q->items[i];
		}
	}
	return q->n ? q->items[0] : NULL;
}

int alpr_ui_hit_queue_remove(struct alpr_ui_hit_queue *q, struct alpr_ui_hit *h)
{
	for (size_t i = 0; i < q->n; i++) {
		if (q->items[i] != h) {
			continue;
		}
		if (h->state != ALPR_UI_HIT_DISPOSED) {
			return -EPERM;
		}
		memmove(q->items + i, q->items + i + 1, (q->n - i - 1) * sizeof(*q->items));
		q->n--;
		alpr_ui_hit_destroy(h);
		return 0;
	}
	return -ENOENT;
}

/* ---- text ------------------------------------------------------------------------------ */

static void plain_diff(const char *read, const char *entry, struct alpr_ui_plate_diff *out)
{
	size_t rl = strlen(read), el = strlen(entry);
	size_t len = ALPR_MIN(ALPR_MAX(rl, el), (size_t)ALPR_UI_DIFF_MAX);

	for (size_t i = 0; i < len; i++) {
		out->read[i] = i < rl ? read[i] : '_';
		out->entry[i] = i < el ? entry[i] : '_';
		out->differs[i] = out->read[i] != out->entry[i];
	}
	out->read[len] = out->entry[len] = '\0';
	out->len = len;
}

int alpr_ui_plate_diff(const struct hotlist_match *m, struct alpr_ui_plate_diff *out)
{
	const char *read = m->read_plate, *entry = m->entry.plate;
	size_t rl = strlen(read), el = strlen(entry);
	int p = m->npositions > 0 ? m->positions[0] : -1;

	memset(out, 0, sizeof(*out));
	switch (m->kind) {
	case HOTLIST_MATCH_EXACT:
	case HOTLIST_MATCH_EQUIVALENT:
		if (rl != el) {
			break;
		}
		plain_diff(read, entry, out);
		for (int i = 0; i < m->npositions && i < 2; i++) {
			if (m->positions[i] < 0 || (size_t)m->positions[i] >= el) {
				return -EINVAL;
			}
			out->differs[m->positions[i]] = true;
		}
		return 0;
	case HOTLIST_MATCH_EDIT: {
		/* A missing character is a gap in the read at the entry's index; an extra one
		 * is a gap in the entry at the read's index. */
		bool missing = m->edit_missing;
		const char *longer = missing ? entry : read, *shorter = missing ? read : entry;
		size_t ll = missing ? el : rl;
		char *lo = missing ? out->entry : out->read, *so = missing ? out->read : out->entry;

		if (ll != strlen(shorter) + 1 || p < 0 || (size_t)p >= ll) {
			break;
		}
		for (size_t i = 0, j = 0; i < ll; i++) {
			lo[i] = longer[i];
			so[i] = (size_t)p == i ? '_' : shorter[j++];
			out->differs[i] = lo[i] != so[i];
		}
		lo[ll] = so[ll] = '\0';
		out->len = ll;
		return 0;
	}
	}
	plain_diff(read, entry, out);
	return -EINVAL;
}

static size_t append(char *buf, size_t bufsz, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t append(char *buf, size_t bufsz, size_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (at >= bufsz) {
		return at;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + at, bufsz - at, fmt, ap);
	va_end(ap);
	return n < 0 ? at : ALPR_MIN(at + (size_t)n, bufsz - 1);
}

void alpr_ui_match_words(const struct hotlist_match *m, char *buf, size_t bufsz)
{
	const char *read = m->read_plate, *entry = m->entry.plate;
	size_t at = 0;

	buf[0] = '\0';
	switch (m->kind) {
	case HOTLIST_MATCH_EXACT:
		append(buf, bufsz, 0, "exact");
		return;
	case HOTLIST_MATCH_EQUIVALENT:
		at = append(buf, bufsz, at, "look-alike:");
		for (int i = 0; i < m->npositions && i < 2; i++) {
			int p = m->positions[i];
			bool ok = p >= 0 && (size_t)p < strlen(entry) && (size_t)p < strlen(read);
			at = append(buf, bufsz, at, "%s %c/%c at position %d", i ? "," : "",
				    ok ? entry[p] : '?', ok ? read[p] : '?', p + 1);
		}
		return;
	case HOTLIST_MATCH_EDIT: {
		int p = m->npositions > 0 ? m->positions[0] : -1;
		const char *s = m->edit_missing ? entry : read;
		char c = p >= 0 && (size_t)p < strlen(s) ? s[p] : '?';

		append(buf, bufsz, 0, "%s: %c at position %d",
		       m->edit_missing ? "one character missing" : "one extra character", c, p + 1);
		return;
	}
	}
	append(buf, bufsz, 0, "unknown match");
}

bool alpr_ui_state_text(const char *read_state, const struct hotlist_match *m, char *buf,
			size_t bufsz)
{
	const char *es = m->entry.state;
	bool read_known = read_state && read_state[0] && strcmp(read_state, "??") != 0;
	bool entry_known = es[0] && strcmp(es, "??") != 0;

	if (!read_known) {
		snprintf(buf, bufsz, "STATE NOT CONFIRMED: state not read");
		return false;
	}
	if (!entry_known) {
		snprintf(buf, bufsz, "STATE NOT CONFIRMED: entry has no state");
		return false;
	}
	if (strcmp(read_state, es) != 0 || m->state_mismatch) {
		snprintf(buf, bufsz, "STATE NOT CONFIRMED: read %s, entry %s", read_state, es);
		return false;
	}
	if (m->state_unconfirmed) {
		snprintf(buf, bufsz, "STATE NOT CONFIRMED: read %s, entry %s", read_state, es);
		return false;
	}
	snprintf(buf, bufsz, "state matches: %s", es);
	return true;
}

void alpr_ui_age_text(int64_t age_us, char *buf, size_t bufsz)
{
	if (age_us < 0) {
		snprintf(buf, bufsz, "unknown");
	} else if (age_us < ALPR_USEC_PER_MIN) {
		snprintf(buf, bufsz, "just now");
	} else if (age_us < ALPR_USEC_PER_HOUR) {
		snprintf(buf, bufsz, "%d min", (int)(age_us / ALPR_USEC_PER_MIN));
	} else if (age_us < 2 * ALPR_USEC_PER_DAY) {
		snprintf(buf, bufsz, "%d h", (int)(age_us / ALPR_USEC_PER_HOUR));
	} else {
		snprintf(buf, bufsz, "%lld days", (long long)(age_us / ALPR_USEC_PER_DAY));
	}
}

bool alpr_ui_list_stale(int64_t generated_at, int64_t now, int64_t max_age_us)
{
	if (max_age_us <= 0) {
		return false;
	}
	return generated_at <= 0 || now - generated_at > max_age_us;
}

static const char *color_word(const char *code)
{
	/* NCIC VCO codes as they appear in state lists. */
	static const char *const table[][2] = {
		{"BLK", "black"},  {"WHI", "white"},  {"SIL", "silver"}, {"GRY", "grey"},
		{"RED", "red"},    {"BLU", "blue"},   {"GRN", "green"},  {"YEL", "yellow"},
		{"BRO", "brown"},  {"GLD", "gold"},   {"TAN", "tan"},    {"MAR", "maroon"},
		{"ONG", "orange"}, {"PLE", "purple"}, {"BGE", "beige"},  {"TEA", "teal"},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(table); i++) {
		if (strcasecmp(code, table[i][0]) == 0) {
			return table[i][1];
		}
	}
	return code;
}

void alpr_ui_vehicle_text(const struct hotlist_entry *e, char *buf, size_t bufsz)
{
	size_t at = 0;

	buf[0] = '\0';
	if (e->year > 0) {
		at = append(buf, bufsz, at, "%d", e->year);
	}
	if (e->make[0]) {
		at = append(buf, bufsz, at, "%s%s", at ? " " : "", e->make);
	}
	if (e->model[0]) {
		at = append(buf, bufsz, at, "%s%s", at ? " " : "", e->model);
	}
	if (e->color[0]) {
		at = append(buf, bufsz, at, "%s%s", at ? ", " : "", color_word(e->color));
	}
	if (e->style[0]) {
		at = append(buf, bufsz, at, "%s%s", at ? ", " : "", e->style);
	}
	if (at == 0) {
		append(buf, bufsz, 0, "no description");
	}
}

void alpr_ui_category_text(enum policy_category cat, char *buf, size_t bufsz)
{
	size_t i;

	alpr_strlcpy(buf, policy_category_name(cat), bufsz);
	for (i = 0; buf[i]; i++) {
		if (buf[i] == '_') {
			buf[i] = ' ';
		}
	}
}

int alpr_ui_category_level(enum policy_category cat)
{
	switch (cat) {
	case POLICY_CAT_AMBER_ALERT:
	case POLICY_CAT_FELONY_VEHICLE:
	case POLICY_CAT_WANTED_PERSON:
	case POLICY_CAT_MISSING_PERSON:
		return 2;
	case POLICY_CAT_STOLEN_VEHICLE:
	case POLICY_CAT_STOLEN_PLATE:
	case POLICY_CAT_PROTECTION_ORDER:
		return 1;
	default:
		return 0;
	}
}

void alpr_ui_phonetic(const char *plate, char *buf, size_t bufsz)
{
	static const char *const letters[26] = {
		"alfa",   "bravo",   "charlie", "delta",  "echo",   "foxtrot", "golf",
		"hotel",  "india",   "juliett", "kilo",   "lima",   "mike",    "november",
		"oscar",  "papa",    "quebec",  "romeo",  "sierra", "tango",   "uniform",
		"victor", "whiskey", "x-ray",   "yankee", "zulu",
	};
	static const char *const digits[10] = {"zero", "one", "two",   "three", "four",
					       "five", "six", "seven", "eight", "niner"};
	size_t at = 0;

	buf[0] = '\0';
	for (const char *c = plate; *c; c++) {
		int u = toupper((unsigned char)*c);
		const char *w = NULL;

		if (u >= 'A' && u <= 'Z') {
			w = letters[u - 'A'];
		} else if (u >= '0' && u <= '9') {
			w = digits[u - '0'];
		}
		if (w) {
			at = append(buf, bufsz, at, "%s%s", at ? " " : "", w);
		}
	}
}

int64_t alpr_ui_end_of_shift(int64_t signed_in_at, int64_t shift_us, int64_t now)
{
	int64_t end = signed_in_at + shift_us;

	return ALPR_MAX(end, now + ALPR_USEC_PER_HOUR);
}

/* ---- the PIN guard --------------------------------------------------------------------- */

void alpr_ui_pin_guard_init(struct alpr_ui_pin_guard *g)
{
	memset(g, 0, sizeof(*g));
}

int64_t alpr_ui_pin_guard_wait_us(const struct alpr_ui_pin_guard *g, int64_t now)
{
	return g->locked_until > now ? g->locked_until - now : 0;
}

bool alpr_ui_pin_guard_record(struct alpr_ui_pin_guard *g, bool ok, int64_t now)
{
	if (ok) {
		g->failures = 0;
		return false;
	}
	if (++g->failures < ALPR_UI_PIN_TRIES_MAX) {
		return false;
	}
	g->failures = 0;
	g->locked_until = now + ALPR_UI_PIN_LOCKOUT_US;
	g->lockouts++;
	return true;
}
