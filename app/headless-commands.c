/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * headless-commands.c: alpr-unit --commands (headless-commands.h).
 */
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "headless-commands.h"

struct headless_commands {
	struct unit *u;
	pthread_t thread;
	atomic_bool stop;
	unsigned refused;
	/* One line, plus room to notice that it is too long. */
	char line[UNIT_COMMAND_MAX + 2];
};

static void answer(unsigned long lineno, int r, const char *err)
{
	json_t *o = json_pack("{s:s, s:I, s:b}", "event", "command", "line", (json_int_t)lineno,
			      "ok", r == 0);
	if (r < 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "stdin:%lu: %s", lineno,
			 err[0] ? err : alpr_strerror(r));
		json_object_set_new(o, "error", json_string(msg));
		fprintf(stderr, "alpr-unit: %s\n", msg);
	}
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	flockfile(stdout);
	fputs(text, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	funlockfile(stdout);
	free(text);
}

static void run_line(struct headless_commands *hc, unsigned long lineno, size_t len, bool overlong)
{
	char err[384] = "";
	int r;

	if (overlong || len > UNIT_COMMAND_MAX) {
		snprintf(err, sizeof(err), "line: over %d bytes", UNIT_COMMAND_MAX);
		r = -ALPR_E_PARSE;
	} else {
		r = unit_command(hc->u, hc->line, len, err, sizeof(err));
	}
	hc->refused += r < 0;
	answer(lineno, r, err);
}

static void *reader(void *arg)
{
	struct headless_commands *hc = arg;
	size_t len = 0;
	bool overlong = false;
	unsigned long lineno = 0;
	char buf[512];

	while (!atomic_load(&hc->stop)) {
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		int pr = poll(&pfd, 1, 200);
		if (pr <= 0) {
			continue;
		}
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0) {
			/* End of input (or an error: the same for a command channel); a last
			 * line without its newline still counts. */
			if (len > 0 || overlong) {
				run_line(hc, ++lineno, len, overlong);
			}
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (len < UNIT_COMMAND_MAX + 1) {
					hc->line[len++] = buf[i];
				} else {
					overlong = true;
				}
				continue;
			}
			lineno++;
			if (len > 0 || overlong) { /* blank lines are not commands */
				run_line(hc, lineno, len, overlong);
			}
			len = 0;
			overlong = false;
		}
	}
	return NULL;
}

int headless_commands_start(struct unit *u, struct headless_commands **out)
{
	struct headless_commands *hc = alpr_xcalloc(1, sizeof(*hc));
	hc->u = u;
	atomic_init(&hc->stop, false);
	int r = -pthread_create(&hc->thread, NULL, reader, hc);
	if (r < 0) {
		free(hc);
		return r;
	}
	*out = hc;
	return 0;
}

unsigned headless_commands_join(struct headless_commands *hc, bool now)
{
	if (!hc) {
		return 0;
	}
	if (now) {
		atomic_store(&hc->stop, true);
	}
	pthread_join(hc->thread, NULL);
	unsigned refused = hc->refused;
	free(hc);
	return refused;
}
