/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * gps-none.c: gps.h for a build without GPS support (meson -Dgps=disabled, or libgps not
 * found with -Dgps=auto). gps_create() refuses with -ENOTSUP, so a unit asked for a GPS says
 * so at start; without one every read already says "no gps". The rest keeps gps.h's
 * contract for a client that can never connect.
 */
#include "gps.h"

bool gps_supported(void)
{
	return false;
}

int gps_create(const char *host, int port, const struct alpr_clock *clock,
	       const struct gps_options *opts, struct gps **out)
{
	(void)host;
	(void)port;
	(void)clock;
	(void)opts;
	if (out) {
		*out = NULL;
	}
	return -ENOTSUP;
}

void gps_destroy(struct gps *g)
{
	(void)g;
}

void gps_status(struct gps *g, struct gps_status *st)
{
	(void)g;
	*st = (struct gps_status){.state = GPS_NO_DAEMON, .age_ms = -1};
}

int gps_fix_at(struct gps *g, int64_t t_us, struct gps_fix *fix)
{
	(void)g;
	(void)t_us;
	(void)fix;
	return -ENODATA;
}

int gps_time_offset(struct gps *g, int64_t *offset_us)
{
	(void)g;
	(void)offset_us;
	return -ENODATA;
}

size_t gps_history(struct gps *g, struct gps_fix *out, size_t max)
{
	(void)g;
	(void)out;
	(void)max;
	return 0;
}
