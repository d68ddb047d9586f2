/* SPDX-License-Identifier: LicenseRef-Proprietary */
/* US plate syntaxes (data/plates/us-syntax.tsv): loading and matching. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "recognize-private.h"

/* The table is a few kilobytes; anything larger is not the project's file. */
#define SYNTAX_MAX_BYTES (1u << 20)

bool rec_pattern_match(const char *pattern, const char *text)
{
	size_t i = 0;
	for (; pattern[i] && text[i]; i++) {
		char p = pattern[i], c = text[i];
		if (p == '9') {
			if (c < '0' || c > '9') {
				return false;
			}
		} else if (p == 'A') {
			if (c < 'A' || c > 'Z') {
				return false;
			}
		} else if (p != c) {
			return false;
		}
	}
	return !pattern[i] && !text[i];
}

bool rec_syntax_match(const struct rec_syntax *s, const char *text, const char *state)
{
	bool any = !state || !state[0];
	for (int i = 0; i < s->n; i++) {
		if (!any && strcasecmp(s->e[i].state, state) != 0) {
			continue;
		}
		if (rec_pattern_match(s->e[i].pattern, text)) {
			return true;
		}
	}
	return false;
}

float rec_syntax_prior(const struct rec_syntax *s, const char *text, const char *state)
{
	bool any = !state || !state[0];
	float sum = 0;
	for (int i = 0; i < s->n; i++) {
		if (!any && strcasecmp(s->e[i].state, state) != 0) {
			continue;
		}
		if (rec_pattern_match(s->e[i].pattern, text)) {
			sum += s->e[i].share;
		}
	}
	return any ? (s->nstates ? sum / (float)s->nstates : 0) : sum;
}

/* Each pattern's share of its state's weight (all alike when the state's weights are 0), and
 * the number of states. */
static void syntax_shares(struct rec_syntax *s)
{
	s->nstates = 0;
	for (int i = 0; i < s->n; i++) {
		int total = 0, count = 0;
		bool first = true;
		for (int j = 0; j < s->n; j++) {
			if (strcmp(s->e[j].state, s->e[i].state) == 0) {
				total += s->e[j].weight;
				count++;
				first &= j >= i;
			}
		}
		s->e[i].share =
			total > 0 ? (float)s->e[i].weight / (float)total : 1.0f / (float)count;
		s->nstates += first;
	}
}

char *rec_next_line(char **p, char *end, int *lineno)
{
	if (*p >= end) {
		return NULL;
	}
	char *line = *p;
	char *nl = memchr(line, '\n', (size_t)(end - line));
	char *e = nl ? nl : end;
	(*lineno)++;
	if (e > line && e[-1] == '\r') {
		e[-1] = '\0';
	}
	*e = '\0';
	*p = e + 1;
	return line;
}

static int bad_line(char *err, size_t errsz, const char *path, int line, const char *why)
{
	if (errsz) {
		snprintf(err, errsz, "%s:%d: %s", path, line, why);
	}
	return -ALPR_E_PARSE;
}

int rec_syntax_load(struct rec_syntax *s, const char *path, char *err, size_t errsz)
{
	_autofree_ char *buf = NULL;
	size_t len;
	s->n = 0;
	s->nstates = 0;
	int r = alpr_read_file(path, SYNTAX_MAX_BYTES, &buf, &len);
	if (r < 0) {
		if (errsz) {
			snprintf(err, errsz, "%s: %s", path, alpr_strerror(r));
		}
		return r;
	}
	int lineno = 0;
	char *p = buf, *line;
	while ((line = rec_next_line(&p, buf + len, &lineno))) {
		if (!line[0] || line[0] == '#') {
			continue;
		}
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t1 || !t2) {
			return bad_line(err, errsz, path, lineno,
					"expected STATE<TAB>PATTERN<TAB>WEIGHT");
		}
		size_t sl = (size_t)(t1 - line), pl = (size_t)(t2 - t1 - 1);
		int64_t weight;
		if (sl != 2 || !isupper((unsigned char)line[0]) ||
		    !isupper((unsigned char)line[1])) {
			return bad_line(err, errsz, path, lineno, "state is not a two-letter code");
		}
		if (pl < 1 || pl > RECOGNIZE_MAX_CHARS) {
			return bad_line(err, errsz, path, lineno, "pattern length out of range");
		}
		if (alpr_parse_int64(t2 + 1, strlen(t2 + 1), 0, 100, &weight) < 0) {
			return bad_line(err, errsz, path, lineno, "weight is not 0..100");
		}
		if (s->n >= REC_MAX_SYNTAX) {
			return bad_line(err, errsz, path, lineno, "too many patterns");
		}
		struct rec_syntax_entry *e = &s->e[s->n++];
		memcpy(e->state, line, 2);
		e->state[2] = '\0';
		memcpy(e->pattern, t1 + 1, pl);
		e->pattern[pl] = '\0';
		e->weight = (int)weight;
	}
	syntax_shares(s);
	return 0;
}
