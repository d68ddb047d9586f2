/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * headless-commands.h: alpr-unit --commands: the officer's actions as JSON lines on stdin
 * (unit_command in unit.h), for a head unit without the patrol window and for tests.
 *
 * A thread reads stdin line by line and runs each line through unit_command(); each line
 * gets one JSON line on stdout, {"event":"command","line":N,"ok":true} or
 * {"event":"command","line":N,"ok":false,"error":"stdin:N: field: message"}, and a refused or
 * malformed line also goes to stderr as "alpr-unit: stdin:N: ...". A line over
 * UNIT_COMMAND_MAX bytes is refused whole (the rest of it is skipped).
 *
 * Ownership and threads: headless_commands_start() borrows @u and the stdout lock
 * (flockfile), and must be joined with headless_commands_join() before unit_destroy().
 * Errors: 0 or a negative errno (pthread_create's).
 */
#pragma once

#include <stdbool.h>

#include "unit.h"

struct headless_commands;

int headless_commands_start(struct unit *u, struct headless_commands **out);
/* Waits for stdin to end, or stops reading at once when @now (a signal stopped the unit),
 * then frees. NULL is a no-op. Returns the number of lines refused. */
unsigned headless_commands_join(struct headless_commands *hc, bool now);
