/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * officers.h: the officers who may sign in to the patrol window, and their PINs.
 *
 * The file (alpr-unit --officers FILE) holds one officer per line,
 *
 *   ID:ITERATIONS:SALT:HASH
 *
 * where HASH is PBKDF2-HMAC-SHA256 of the PIN (32 bytes, hex) under SALT (16 bytes, hex) with
 * ITERATIONS rounds; '#' starts a comment line. `alpr-unit --hash-pin ID` reads a PIN on its
 * standard input and prints the line. The file holds no PIN, but a 4-digit PIN falls to a
 * brute force of its hash in minutes: keep the file as private as the store's key (mode 0600,
 * owned by the unit's user). Repeated wrong PINs at the window lock sign-in for a while
 * (ui-model.h, the PIN guard), so guessing at the screen is slow.
 *
 * Ownership: officers_load() returns a table the caller frees with officers_destroy(). No
 * function keeps a pointer to caller memory.
 *
 * Threads: a loaded table is read-only: officers_check() may run from any thread.
 *
 * Errors: 0 or a negative errno. officers_load(): the file's own error, -ALPR_E_PARSE with
 * "FILE:LINE: why" in @err, -E2BIG past OFFICERS_MAX. officers_check(): -EACCES for an
 * unknown officer or a wrong PIN (the same answer, and the same work, for both).
 */
#pragma once

#include <stddef.h>

#include "common.h"

/* Officers in one file: a unit serves one agency's shift rota, tens of officers. */
#define OFFICERS_MAX 1024
/* An officer id: as the store's officer field (store.h: STORE_SHORT_MAX). */
#define OFFICERS_ID_MAX 31
/* PBKDF2 rounds for new lines: about 30 ms on the unit's CPU, once per sign-in. */
#define OFFICERS_ITERATIONS 60000

struct officers;

int officers_load(const char *path, struct officers **out, char *err, size_t errsz);
void officers_destroy(struct officers *o);
size_t officers_count(const struct officers *o);
/* 0 when @id is listed and @pin is its PIN; -EACCES otherwise. */
int officers_check(const struct officers *o, const char *id, const char *pin);
/* The file's line for @id and @pin (a fresh random salt), without a newline, into @buf.
 * -EINVAL for an id outside [A-Za-z0-9_.:/-]{1,31} or an empty PIN; -ENOSPC when @buf is
 * short (128 bytes is enough). */
int officers_hash_line(const char *id, const char *pin, char *buf, size_t bufsz);
