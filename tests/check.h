/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * check.h: the project's minimal test harness (plain C, no GLib in core tests).
 *
 * A test program declares a table of cases and calls check_main():
 *
 *	static const struct check_case cases[] = {{"parse", test_parse}, ...};
 *	int main(int argc, char **argv) { return check_main(argc, argv, cases, N); }
 *
 * `prog` runs every case; `prog NAME` runs one; `prog --list` prints the names;
 * `prog --registered A B ...` fails unless A B ... is exactly the table (meson registers
 * each case as its own test; this keeps meson's list and the table in step).
 *
 * A failed CHECK prints FILE:LINE and the expression, then exits 1. check_tmpdir() gives
 * each case a fresh folder, removed when the case passes and kept (and named) when it fails.
 */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct check_case {
	const char *name;
	void (*fn)(void);
};

int check_main(int argc, char **argv, const struct check_case *cases, size_t n);
/* A fresh private folder for the running case. Static storage until the case ends. */
const char *check_tmpdir(void);
/* Path to a file in the running case's folder. Static ring of buffers: copy if kept. */
const char *check_path(const char *name);
/* Writes a file (aborts the case on failure). */
void check_write_file(const char *path, const char *text);
/* The source tree's tests/data folder. */
const char *check_datadir(void);

__attribute__((noreturn, format(printf, 3, 4))) void check_fail(const char *file, int line,
								const char *fmt, ...);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			check_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond);                 \
		}                                                                                  \
	} while (0)

#define CHECK_MSG(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			check_fail(__FILE__, __LINE__, __VA_ARGS__);                               \
		}                                                                                  \
	} while (0)

#define CHECK_INT_EQ(a, b)                                                                         \
	do {                                                                                       \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
		if (check_a_ != check_b_) {                                                        \
			check_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, check_a_, \
				   check_b_);                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                                         \
	do {                                                                                       \
		const char *check_a_ = (a), *check_b_ = (b);                                       \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                   \
			check_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,       \
				   check_a_ ? check_a_ : "(null)",                                 \
				   check_b_ ? check_b_ : "(null)");                                \
		}                                                                                  \
	} while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                                            \
	do {                                                                                       \
		const char *check_h_ = (hay), *check_n_ = (needle);                                \
		if (!check_h_ || !strstr(check_h_, check_n_)) {                                    \
			check_fail(__FILE__, __LINE__, "%s does not contain \"%s\": \"%s\"", #hay, \
				   check_n_, check_h_ ? check_h_ : "(null)");                      \
		}                                                                                  \
	} while (0)

#define CHECK_OK(expr)                                                                             \
	do {                                                                                       \
		int check_r_ = (expr);                                                             \
		if (check_r_ < 0) {                                                                \
			check_fail(__FILE__, __LINE__, "%s failed: %d (%s)", #expr, check_r_,      \
				   alpr_strerror(check_r_));                                       \
		}                                                                                  \
	} while (0)
