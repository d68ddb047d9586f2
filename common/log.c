/* SPDX-License-Identifier: LicenseRef-Proprietary */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common.h"

/* The process-wide log sink: the one deliberate global (see common.h). Set before threads. */
static struct {
	enum alpr_log_level level;
	alpr_log_fn fn;
	void *userdata;
} sink = {ALPR_LOG_WARN, NULL, NULL};

static const char *level_name(enum alpr_log_level level)
{
	switch (level) {
	case ALPR_LOG_DEBUG:
		return "debug";
	case ALPR_LOG_INFO:
		return "info";
	case ALPR_LOG_WARN:
		return "warning";
	case ALPR_LOG_ERROR:
		return "error";
	case ALPR_LOG_NONE:
		break;
	}
	return "?";
}

void alpr_log_set_level(enum alpr_log_level level)
{
	sink.level = level;
}

enum alpr_log_level alpr_log_get_level(void)
{
	return sink.level;
}

void alpr_log_set_handler(alpr_log_fn fn, void *userdata)
{
	sink.fn = fn;
	sink.userdata = userdata;
}

void alpr_log_init_from_env(void)
{
	const char *v = getenv("ALPR_LOG");
	static const char *const names[] = {"debug", "info", "warn", "error", "none"};

	if (!v) {
		return;
	}
	for (size_t i = 0; i < ALPR_ARRAY_SIZE(names); i++) {
		if (strcasecmp(v, names[i]) == 0) {
			sink.level = (enum alpr_log_level)i;
			return;
		}
	}
}

void alpr_log(enum alpr_log_level level, const char *subsys, const char *fmt, ...)
{
	/* A log line is bounded: longer messages are cut rather than allocated. */
	char msg[1024];
	va_list ap;

	if (level < sink.level || level >= ALPR_LOG_NONE) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sink.fn) {
		sink.fn(level, subsys, msg, sink.userdata);
		return;
	}
	fprintf(stderr, "alpr[%s] %s: %s\n", subsys ? subsys : "-", level_name(level), msg);
}
