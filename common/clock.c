/* SPDX-License-Identifier: LicenseRef-Proprietary */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"

void alpr_clock_init_real(struct alpr_clock *clock)
{
	clock->manual = false;
	clock->manual_us = 0;
}

void alpr_clock_init_manual(struct alpr_clock *clock, int64_t start_us)
{
	clock->manual = true;
	clock->manual_us = start_us;
}

void alpr_clock_set(struct alpr_clock *clock, int64_t now_us)
{
	assert(clock && clock->manual);
	clock->manual_us = now_us;
}

void alpr_clock_advance(struct alpr_clock *clock, int64_t delta_us)
{
	assert(clock && clock->manual);
	clock->manual_us += delta_us;
}

int64_t alpr_clock_now(const struct alpr_clock *clock)
{
	struct timespec ts;

	if (clock && clock->manual) {
		return clock->manual_us;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * ALPR_USEC_PER_SEC + ts.tv_nsec / 1000;
}

int64_t alpr_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * ALPR_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Days since the epoch for a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads exactly @n digits at *p (bounded by @end). */
static bool digits(const char **p, const char *end, int n, int *out)
{
	int v = 0;

	if (end - *p < n) {
		return false;
	}
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9') {
			return false;
		}
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

int alpr_time_parse(const char *s, size_t len, int64_t *out_us)
{
	const char *p = s, *end = s + len;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac_us = 0, off_min = 0;

	if (!digits(&p, end, 4, &y) || p >= end || *p++ != '-' || !digits(&p, end, 2, &mo) ||
	    p >= end || *p++ != '-' || !digits(&p, end, 2, &d)) {
		return -EINVAL;
	}
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo)) {
		return -EINVAL;
	}
	if (p < end) {
		if (*p != 'T' && *p != 't' && *p != ' ') {
			return -EINVAL;
		}
		p++;
		if (!digits(&p, end, 2, &h) || p >= end || *p++ != ':' ||
		    !digits(&p, end, 2, &mi)) {
			return -EINVAL;
		}
		if (p < end && *p == ':') {
			p++;
			if (!digits(&p, end, 2, &sec)) {
				return -EINVAL;
			}
			if (p < end && (*p == '.' || *p == ',')) {
				int scale = 100000, ndig = 0;
				p++;
				while (p < end && *p >= '0' && *p <= '9') {
					if (ndig < 6) {
						frac_us += (*p - '0') * scale;
						scale /= 10;
					}
					ndig++;
					p++;
				}
				if (ndig == 0 || ndig > 9) {
					return -EINVAL;
				}
			}
		}
		if (h > 23 || mi > 59 || sec > 59) {
			return -EINVAL;
		}
		if (p < end) {
			if (*p == 'Z' || *p == 'z') {
				p++;
			} else if (*p == '+' || *p == '-') {
				int sign = *p == '-' ? -1 : 1, oh, om;
				p++;
				if (!digits(&p, end, 2, &oh)) {
					return -EINVAL;
				}
				if (p < end && *p == ':') {
					p++;
				}
				if (!digits(&p, end, 2, &om) || oh > 23 || om > 59) {
					return -EINVAL;
				}
				off_min = sign * (oh * 60 + om);
			} else {
				return -EINVAL;
			}
		}
	}
	if (p != end) {
		return -EINVAL;
	}
	int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
		       sec - (int64_t)off_min * 60;
	*out_us = secs * ALPR_USEC_PER_SEC + frac_us;
	return 0;
}

char *alpr_time_format(int64_t us, char *buf, size_t bufsz)
{
	time_t t = (time_t)(us / ALPR_USEC_PER_SEC);
	struct tm tm;

	if (us < 0 && us % ALPR_USEC_PER_SEC) {
		t--;
	}
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, bufsz, "invalid-time");
		return buf;
	}
	snprintf(buf, bufsz, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}
