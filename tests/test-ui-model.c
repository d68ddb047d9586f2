/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* test-ui-model: the officer UI's logic without a display (ui/ui-model.h). */
#include <string.h>

#include "check.h"
#include "common.h"
#include "ui-model.h"

static struct hotlist_match mk_match(const char *read, const char *entry,
				     enum hotlist_match_kind kind, int p0, int p1, bool missing)
{
	struct hotlist_match m;

	memset(&m, 0, sizeof(m));
	alpr_strlcpy(m.read_plate, read, sizeof(m.read_plate));
	alpr_strlcpy(m.entry.plate, entry, sizeof(m.entry.plate));
	alpr_strlcpy(m.entry.state, "TX", sizeof(m.entry.state));
	m.entry.category = POLICY_CAT_FELONY_VEHICLE;
	m.kind = kind;
	if (p0 >= 0) {
		m.positions[m.npositions++] = p0;
	}
	if (p1 >= 0) {
		m.positions[m.npositions++] = p1;
	}
	m.edit_missing = missing;
	return m;
}

static struct alpr_ui_hit *mk_hit(const char *read_id)
{
	struct hotlist_match m = mk_match("8BKR412", "8BKR412", HOTLIST_MATCH_EXACT, -1, -1, false);
	static const uint8_t crop[] = {1, 2, 3};

	return alpr_ui_hit_create(read_id, "front", 1000, "TX", &m, crop, sizeof(crop));
}

/* Nothing is disposed before the officer has checked plate and state; then exactly once. */
static void test_state_machine(void)
{
	struct alpr_ui_hit *h = mk_hit("unit1-000000000001");

	CHECK_INT_EQ(h->state, ALPR_UI_HIT_UNVERIFIED);
	CHECK_INT_EQ(h->crop_len, 3);
	CHECK_INT_EQ(alpr_ui_hit_dispose(h, ALPR_UI_DISP_CONFIRMED_STOPPED, "4471", 5), -EPERM);
	CHECK_INT_EQ(alpr_ui_hit_dispose(h, ALPR_UI_DISP_MISREAD, "4471", 5), -EPERM);
	CHECK_INT_EQ(h->state, ALPR_UI_HIT_UNVERIFIED);
	CHECK_OK(alpr_ui_hit_verify(h, 10));
	CHECK_INT_EQ(h->verified_at, 10);
	CHECK_INT_EQ(alpr_ui_hit_verify(h, 11), -EALREADY);
	CHECK_INT_EQ(alpr_ui_hit_dispose(h, ALPR_UI_DISP_COUNT, "4471", 12), -EINVAL);
	CHECK_INT_EQ(alpr_ui_hit_dispose(h, ALPR_UI_DISP_MISREAD, "", 12), -EINVAL);
	CHECK_INT_EQ(alpr_ui_hit_dispose(h, ALPR_UI_DISP_MISREAD, NULL, 12), -EINVAL);
	CHECK_INT_EQ(h->state, ALPR_UI_HIT_VERIFIED);
	CHECK_OK(alpr_ui_hit_dispose(h, ALPR_UI_DISP_CONFIRMED_NOT_STOPPED, "4471", 12));
	CHECK_INT_EQ(h->state, ALPR_UI_HIT_DISPOSED);
	CHECK_STR_EQ(h->officer, "4471");
	CHECK_INT_EQ(h->disposed_at, 12);
	CHECK_INT_EQ(alpr_ui_hit_dispose(h, ALPR_UI_DISP_MISREAD, "4471", 13), -EPERM);
	CHECK_INT_EQ(alpr_ui_hit_verify(h, 13), -EPERM);
	CHECK_INT_EQ(h->disposition, ALPR_UI_DISP_CONFIRMED_NOT_STOPPED);
	alpr_ui_hit_destroy(h);
	alpr_ui_hit_destroy(NULL);
}

/* Every UI disposition is a path the store's own state machine accepts. */
static void test_disposition_statuses(void)
{
	enum store_hit_status st[2];

	CHECK_INT_EQ(alpr_ui_disposition_statuses(ALPR_UI_DISP_CONFIRMED_STOPPED, st), 1);
	CHECK_INT_EQ(st[0], STORE_HIT_CONFIRMED);
	CHECK_INT_EQ(alpr_ui_disposition_statuses(ALPR_UI_DISP_CONFIRMED_NOT_STOPPED, st), 2);
	CHECK_INT_EQ(st[0], STORE_HIT_CONFIRMED);
	CHECK_INT_EQ(st[1], STORE_HIT_NOT_ACTIONED);
	CHECK_INT_EQ(alpr_ui_disposition_statuses(ALPR_UI_DISP_MISREAD, st), 1);
	CHECK_INT_EQ(st[0], STORE_HIT_MISREAD);
	CHECK_INT_EQ(alpr_ui_disposition_statuses(ALPR_UI_DISP_WRONG_STATE, st), 1);
	CHECK_INT_EQ(st[0], STORE_HIT_WRONG_STATE);
	CHECK_INT_EQ(alpr_ui_disposition_statuses(ALPR_UI_DISP_NOT_ACTIONED, st), 1);
	CHECK_INT_EQ(st[0], STORE_HIT_NOT_ACTIONED);
	CHECK_INT_EQ(alpr_ui_disposition_statuses(ALPR_UI_DISP_COUNT, st), 0);
	for (int d = 0; d < ALPR_UI_DISP_COUNT; d++) {
		CHECK(strcmp(alpr_ui_disposition_label(d), "?") != 0);
	}
}

/* A retry after a half-saved two-step disposition asks only for the missing step: the store
 * and the audit log see each step once (a repeated step would be refused and audited). */
static void test_steps_todo(void)
{
	struct alpr_ui_hit *h = mk_hit("unit1-000000000002");
	enum store_hit_status st[2];

	CHECK_INT_EQ(alpr_ui_hit_steps_todo(h, ALPR_UI_DISP_COUNT, st), -EINVAL);
	CHECK_INT_EQ(alpr_ui_hit_steps_todo(h, ALPR_UI_DISP_CONFIRMED_NOT_STOPPED, st), 2);
	CHECK_INT_EQ(st[0], STORE_HIT_CONFIRMED);
	CHECK_INT_EQ(st[1], STORE_HIT_NOT_ACTIONED);
	/* The first step went through, the second failed: the retry has one step left. */
	alpr_ui_hit_step_recorded(h, STORE_HIT_CONFIRMED);
	CHECK_INT_EQ(alpr_ui_hit_steps_todo(h, ALPR_UI_DISP_CONFIRMED_NOT_STOPPED, st), 1);
	CHECK_INT_EQ(st[0], STORE_HIT_NOT_ACTIONED);
	/* Changing the mind to "stopped": the store already holds it, nothing to ask. */
	CHECK_INT_EQ(alpr_ui_hit_steps_todo(h, ALPR_UI_DISP_CONFIRMED_STOPPED, st), 0);
	/* Another disposition is still asked for (the store decides whether it may follow). */
	CHECK_INT_EQ(alpr_ui_hit_steps_todo(h, ALPR_UI_DISP_MISREAD, st), 1);
	CHECK_INT_EQ(st[0], STORE_HIT_MISREAD);
	alpr_ui_hit_step_recorded(h, STORE_HIT_STATUS_COUNT); /* ignored */
	alpr_ui_hit_step_recorded(h, STORE_HIT_NOT_ACTIONED);
	CHECK_INT_EQ(alpr_ui_hit_steps_todo(h, ALPR_UI_DISP_CONFIRMED_NOT_STOPPED, st), 0);
	alpr_ui_hit_destroy(h);
}

/* Newest first; a verified hit stays on screen; only disposed hits leave; none is lost. */
static void test_queue(void)
{
	struct alpr_ui_hit_queue q;
	struct alpr_ui_hit *a, *b, *c;
	char id[STORE_ID_MAX + 1];

	alpr_ui_hit_queue_init(&q);
	CHECK(alpr_ui_hit_queue_current(&q) == NULL);
	a = mk_hit("u-000000000001");
	b = mk_hit("u-000000000002");
	c = mk_hit("u-000000000003");
	CHECK_OK(alpr_ui_hit_queue_push(&q, a));
	CHECK(alpr_ui_hit_queue_current(&q) == a);
	CHECK_OK(alpr_ui_hit_queue_push(&q, b));
	CHECK(alpr_ui_hit_queue_current(&q) == b);
	CHECK(alpr_ui_hit_queue_nth(&q, 1) == a);
	/* The same read delivered twice is one hit. */
	CHECK_INT_EQ(alpr_ui_hit_queue_push(&q, mk_hit("u-000000000001")), -EEXIST);
	CHECK_INT_EQ(alpr_ui_hit_queue_len(&q), 2);
	/* Reads the store could not keep share one id: each is a hit of its own. */
	struct alpr_ui_hit *u1 = mk_hit(STORE_ID_UNSTORED), *u2 = mk_hit(STORE_ID_UNSTORED);
	CHECK_OK(alpr_ui_hit_queue_push(&q, u1));
	CHECK_OK(alpr_ui_hit_queue_push(&q, u2));
	CHECK_INT_EQ(alpr_ui_hit_queue_len(&q), 4);
	CHECK(alpr_ui_hit_queue_nth(&q, 0) == u2 && alpr_ui_hit_queue_nth(&q, 1) == u1);
	struct alpr_ui_hit *us[] = {u2, u1};
	for (size_t i = 0; i < 2; i++) {
		CHECK_OK(alpr_ui_hit_verify(us[i], 1));
		CHECK_OK(alpr_ui_hit_dispose(us[i], ALPR_UI_DISP_MISREAD, "4471", 2));
		CHECK_OK(alpr_ui_hit_queue_remove(&q, us[i]));
	}
	CHECK_INT_EQ(alpr_ui_hit_queue_len(&q), 2);
	/* The officer verifies b; c arrives: b stays on screen until disposed. */
	CHECK_OK(alpr_ui_hit_verify(b, 1));
	CHECK_OK(alpr_ui_hit_queue_push(&q, c));
	CHECK(alpr_ui_hit_queue_nth(&q, 0) == c);
	CHECK(alpr_ui_hit_queue_current(&q) == b);
	CHECK_INT_EQ(alpr_ui_hit_queue_remove(&q, b), -EPERM);
	CHECK_OK(alpr_ui_hit_dispose(b, ALPR_UI_DISP_MISREAD, "4471", 2));
	CHECK_OK(alpr_ui_hit_queue_remove(&q, b));
	CHECK(alpr_ui_hit_queue_current(&q) == c);
	CHECK_INT_EQ(alpr_ui_hit_queue_remove(&q, a), -EPERM);
	CHECK_INT_EQ(alpr_ui_hit_queue_len(&q), 2);
	CHECK(c->seq > a->seq);

	/* A burst far beyond a shift's worth: every one kept, in order. */
	for (int i = 0; i < 500; i++) {
		snprintf(id, sizeof(id), "u-%012d", 100 + i);
		CHECK_OK(alpr_ui_hit_queue_push(&q, mk_hit(id)));
	}
	CHECK_INT_EQ(alpr_ui_hit_queue_len(&q), 502);
	CHECK_STR_EQ(alpr_ui_hit_queue_nth(&q, 0)->read_id, "u-000000000599");
	CHECK_STR_EQ(alpr_ui_hit_queue_nth(&q, 501)->read_id, "u-000000000001");
	for (size_t i = 1; i < alpr_ui_hit_queue_len(&q); i++) {
		CHECK(alpr_ui_hit_queue_nth(&q, i - 1)->seq > alpr_ui_hit_queue_nth(&q, i)->seq);
	}
	/* Dispose them all from the front, as the card does: the queue empties. */
	while (alpr_ui_hit_queue_len(&q) > 0) {
		struct alpr_ui_hit *cur = alpr_ui_hit_queue_current(&q);
		CHECK_OK(alpr_ui_hit_verify(cur, 3));
		CHECK_OK(alpr_ui_hit_dispose(cur, ALPR_UI_DISP_NOT_ACTIONED, "4471", 4));
		CHECK_OK(alpr_ui_hit_queue_remove(&q, cur));
	}
	CHECK_INT_EQ(alpr_ui_hit_queue_remove(&q, a), -ENOENT); /* a is gone (destroyed) */
	alpr_ui_hit_queue_finish(&q);
}

struct diff_case {
	const char *read, *entry;
	enum hotlist_match_kind kind;
	int p0, p1;
	bool missing;
	const char *want_read, *want_entry, *want_marks; /* '^' under differing columns */
	int rc;
};

/* The highlighted characters are exactly the ones the officer must look at. */
static void test_diff(void)
{
	static const struct diff_case cases[] = {
		{"5SOW750", "5SOW750", HOTLIST_MATCH_EXACT, -1, -1, false, "5SOW750", "5SOW750",
		 "       ", 0},
		{"BBKR412", "8BKR412", HOTLIST_MATCH_EQUIVALENT, 0, -1, false, "BBKR412", "8BKR412",
		 "^      ", 0},
		{"8LMNOO4", "8LMN004", HOTLIST_MATCH_EQUIVALENT, 4, 5, false, "8LMNOO4", "8LMN004",
		 "    ^^ ", 0},
		{"6TRK53", "6TRK539", HOTLIST_MATCH_EDIT, 6, -1, true, "6TRK53_", "6TRK539",
		 "      ^", 0},
		{"6TK539", "6TRK539", HOTLIST_MATCH_EDIT, 2, -1, true, "6T_K539", "6TRK539",
		 "  ^    ", 0},
		{"6TRRK539", "6TRK539", HOTLIST_MATCH_EDIT, 3, -1, false, "6TRRK539", "6TR_K539",
		 "   ^    ", 0},
		/* A match that does not fit its plates: plain comparison, flagged. */
		{"ABC", "ABCD", HOTLIST_MATCH_EQUIVALENT, 1, -1, false, "ABC_", "ABCD", "   ^",
		 -EINVAL},
		{"6TRK53", "6TRK539", HOTLIST_MATCH_EDIT, 9, -1, true, "6TRK53_", "6TRK539",
		 "      ^", -EINVAL},
		/* A position the matcher names is highlighted even if the characters agree. */
		{"ABC123", "ABC123", HOTLIST_MATCH_EQUIVALENT, 2, -1, false, "ABC123", "ABC123",
		 "  ^   ", 0},
	};
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(cases); i++) {
		const struct diff_case *c = &cases[i];
		struct hotlist_match m =
			mk_match(c->read, c->entry, c->kind, c->p0, c->p1, c->missing);
		struct alpr_ui_plate_diff d;
		char marks[ALPR_UI_DIFF_MAX + 1];

		CHECK_INT_EQ(alpr_ui_plate_diff(&m, &d), c->rc);
		CHECK_STR_EQ(d.read, c->want_read);
		CHECK_STR_EQ(d.entry, c->want_entry);
		for (size_t j = 0; j < d.len; j++) {
			marks[j] = d.differs[j] ? '^' : ' ';
		}
		marks[d.len] = '\0';
		CHECK_MSG(strcmp(marks, c->want_marks) == 0, "case %zu: marks \"%s\" want \"%s\"",
			  i, marks, c->want_marks);
	}
}

static void test_words(void)
{
	char buf[128];
	struct hotlist_match m;

	m = mk_match("5SOW750", "5SOW750", HOTLIST_MATCH_EXACT, -1, -1, false);
	alpr_ui_match_words(&m, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "exact");
	m = mk_match("5SOW75B", "5SOW758", HOTLIST_MATCH_EQUIVALENT, 6, -1, false);
	alpr_ui_match_words(&m, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "look-alike: 8/B at position 7");
	m = mk_match("8LMNOO4", "8LMN004", HOTLIST_MATCH_EQUIVALENT, 4, 5, false);
	alpr_ui_match_words(&m, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "look-alike: 0/O at position 5, 0/O at position 6");
	m = mk_match("6TRK53", "6TRK539", HOTLIST_MATCH_EDIT, 6, -1, true);
	alpr_ui_match_words(&m, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "one character missing: 9 at position 7");
	m = mk_match("6TRRK539", "6TRK539", HOTLIST_MATCH_EDIT, 3, -1, false);
	alpr_ui_match_words(&m, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "one extra character: R at position 4");
	/* A small buffer truncates, never overflows. */
	m = mk_match("8LMNOO4", "8LMN004", HOTLIST_MATCH_EQUIVALENT, 4, 5, false);
	alpr_ui_match_words(&m, buf, 12);
	CHECK_STR_EQ(buf, "look-alike:");
}

/* STATE NOT CONFIRMED whenever the state was not read, is unknown, or differs. */
static void test_state_text(void)
{
	char buf[96];
	struct hotlist_match m = mk_match("7XYZ890", "7XYZ890", HOTLIST_MATCH_EXACT, -1, -1, false);

	alpr_strlcpy(m.entry.state, "NV", sizeof(m.entry.state));
	CHECK(!alpr_ui_state_text("AZ", &m, buf, sizeof(buf)));
	CHECK_STR_EQ(buf, "STATE NOT CONFIRMED: read AZ, entry NV");
	CHECK(!alpr_ui_state_text("??", &m, buf, sizeof(buf)));
	CHECK_STR_CONTAINS(buf, "STATE NOT CONFIRMED: state not read");
	CHECK(!alpr_ui_state_text("", &m, buf, sizeof(buf)));
	CHECK_STR_CONTAINS(buf, "STATE NOT CONFIRMED");
	CHECK(!alpr_ui_state_text(NULL, &m, buf, sizeof(buf)));
	CHECK(alpr_ui_state_text("NV", &m, buf, sizeof(buf)));
	CHECK_STR_EQ(buf, "state matches: NV");
	/* The matcher's own flags win over an equal-looking pair. */
	m.state_unconfirmed = true;
	CHECK(!alpr_ui_state_text("NV", &m, buf, sizeof(buf)));
	m.state_unconfirmed = false;
	alpr_strlcpy(m.entry.state, "??", sizeof(m.entry.state));
	CHECK(!alpr_ui_state_text("NV", &m, buf, sizeof(buf)));
	CHECK_STR_EQ(buf, "STATE NOT CONFIRMED: entry has no state");
}

static void test_ages(void)
{
	char buf[32];

	alpr_ui_age_text(-1, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "unknown");
	alpr_ui_age_text(5 * ALPR_USEC_PER_SEC, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "just now");
	alpr_ui_age_text(12 * ALPR_USEC_PER_MIN + 5, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "12 min");
	alpr_ui_age_text(5 * ALPR_USEC_PER_HOUR + 59 * ALPR_USEC_PER_MIN, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "5 h");
	alpr_ui_age_text(30 * ALPR_USEC_PER_HOUR, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "30 h");
	alpr_ui_age_text(3 * ALPR_USEC_PER_DAY + 1, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "3 days");

	CHECK(!alpr_ui_list_stale(100 * ALPR_USEC_PER_HOUR, 110 * ALPR_USEC_PER_HOUR,
				  24 * ALPR_USEC_PER_HOUR));
	CHECK(alpr_ui_list_stale(100 * ALPR_USEC_PER_HOUR, 125 * ALPR_USEC_PER_HOUR,
				 24 * ALPR_USEC_PER_HOUR));
	CHECK(alpr_ui_list_stale(0, 125 * ALPR_USEC_PER_HOUR, 24 * ALPR_USEC_PER_HOUR));
	CHECK(!alpr_ui_list_stale(0, 125 * ALPR_USEC_PER_HOUR, 0));

	CHECK_INT_EQ(alpr_ui_end_of_shift(0, 10 * ALPR_USEC_PER_HOUR, ALPR_USEC_PER_HOUR),
		     10 * ALPR_USEC_PER_HOUR);
	CHECK_INT_EQ(alpr_ui_end_of_shift(0, 10 * ALPR_USEC_PER_HOUR, 12 * ALPR_USEC_PER_HOUR),
		     13 * ALPR_USEC_PER_HOUR);
}

static void test_texts(void)
{
	struct hotlist_entry e;
	char buf[128];

	memset(&e, 0, sizeof(e));
	alpr_ui_vehicle_text(&e, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "no description");
	e.year = 2015;
	alpr_strlcpy(e.make, "Ford", sizeof(e.make));
	alpr_strlcpy(e.model, "F150", sizeof(e.model));
	alpr_strlcpy(e.color, "WHI", sizeof(e.color));
	alpr_ui_vehicle_text(&e, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "2015 Ford F150, white");
	alpr_strlcpy(e.color, "ZZZ", sizeof(e.color));
	alpr_ui_vehicle_text(&e, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "2015 Ford F150, ZZZ");

	alpr_ui_category_text(POLICY_CAT_STOLEN_VEHICLE, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "stolen vehicle");
	CHECK_INT_EQ(alpr_ui_category_level(POLICY_CAT_AMBER_ALERT), 2);
	CHECK_INT_EQ(alpr_ui_category_level(POLICY_CAT_STOLEN_PLATE), 1);
	CHECK_INT_EQ(alpr_ui_category_level(POLICY_CAT_REGISTRATION), 0);

	alpr_ui_phonetic("5SOW750", buf, sizeof(buf));
	CHECK_STR_EQ(buf, "five sierra oscar whiskey seven five zero");
	alpr_ui_phonetic("9x-1", buf, sizeof(buf));
	CHECK_STR_EQ(buf, "niner x-ray one");
}

/* Five wrong PINs lock sign-in for a minute; a right PIN before that clears the count; a
 * lockout ends by itself and the count starts again. Times are given, not waited for. */
static void test_pin_lockout(void)
{
	struct alpr_ui_pin_guard g;
	const int64_t t0 = 1000 * ALPR_USEC_PER_SEC;

	alpr_ui_pin_guard_init(&g);
	CHECK_INT_EQ(alpr_ui_pin_guard_wait_us(&g, t0), 0);
	for (int i = 0; i < ALPR_UI_PIN_TRIES_MAX - 1; i++) {
		CHECK(!alpr_ui_pin_guard_record(&g, false, t0 + i));
		CHECK_INT_EQ(alpr_ui_pin_guard_wait_us(&g, t0 + i), 0);
	}
	/* A right PIN: the four failures are forgiven. */
	CHECK(!alpr_ui_pin_guard_record(&g, true, t0 + 10));
	for (int i = 0; i < ALPR_UI_PIN_TRIES_MAX - 1; i++) {
		CHECK(!alpr_ui_pin_guard_record(&g, false, t0 + 20 + i));
	}
	CHECK_INT_EQ(alpr_ui_pin_guard_wait_us(&g, t0 + 30), 0);
	/* The fifth in a row locks for 60 s. */
	CHECK(alpr_ui_pin_guard_record(&g, false, t0 + 30));
	CHECK_INT_EQ(g.lockouts, 1);
	CHECK_INT_EQ(alpr_ui_pin_guard_wait_us(&g, t0 + 30), ALPR_UI_PIN_LOCKOUT_US);
	CHECK_INT_EQ(ALPR_UI_PIN_LOCKOUT_US, 60 * ALPR_USEC_PER_SEC);
	CHECK(alpr_ui_pin_guard_wait_us(&g, t0 + 30 + ALPR_UI_PIN_LOCKOUT_US - 1) == 1);
	CHECK_INT_EQ(alpr_ui_pin_guard_wait_us(&g, t0 + 30 + ALPR_UI_PIN_LOCKOUT_US), 0);
	/* After it: five more wrong PINs to lock again, not one. */
	int64_t t1 = t0 + 30 + ALPR_UI_PIN_LOCKOUT_US;
	for (int i = 0; i < ALPR_UI_PIN_TRIES_MAX - 1; i++) {
		CHECK(!alpr_ui_pin_guard_record(&g, false, t1 + i));
	}
	CHECK(alpr_ui_pin_guard_record(&g, false, t1 + 10));
	CHECK_INT_EQ(g.lockouts, 2);
	CHECK(alpr_ui_pin_guard_wait_us(&g, t1 + 10) > 0);
}

int main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{"state-machine", test_state_machine},
		{"disposition-statuses", test_disposition_statuses},
		{"steps-todo", test_steps_todo},
		{"queue", test_queue},
		{"diff", test_diff},
		{"words", test_words},
		{"state-text", test_state_text},
		{"ages", test_ages},
		{"texts", test_texts},
		{"pin-lockout", test_pin_lockout},
	};
	return check_main(argc, argv, cases, ALPR_ARRAY_SIZE(cases));
}
