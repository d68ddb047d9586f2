/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-capture: runs the capture module on some cameras and prints what arrives, for manual
 * checks on a car or a bench.
 *
 *   alpr-capture --camera front=libcamera: --camera rear=file:drive.webm --frames 100
 *
 * Status events print as they happen; at the end, one line per camera with frames
 * delivered, dropped, failures and the delivered rate. Exit status 0 when at least one
 * frame arrived, 1 otherwise, 2 for a usage error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: alpr-capture --camera NAME=URI [--camera NAME=URI ...] [options]\n"
		   "  URI: libcamera:[NAME] | v4l2:/dev/videoN | file:PATH (video or folder of\n"
		   "       images) | test:[PATTERN][:WxH][@FPS]\n"
		   "  --frames N      stop after N frames in all (default 100)\n"
		   "  --seconds S     stop after S seconds (default 30)\n"
		   "  --pool N        frames per camera pool (default 4)\n"
		   "  --max WxH       largest frame (default 1920x1080)\n"
		   "  --fps-limit N   drop frames above N per second\n"
		   "  --realtime      replay files at their own rate (default: as fast as taken)\n"
		   "  --loop          replay files again at their end\n"
		   "  --hold-ms N     pretend to work N ms on each frame (a slow consumer)\n"
		   "  --verbose       one line per frame\n");
}

static void on_status(const struct capture_status *st, void *userdata)
{
	printf("status %s %s", st->camera, capture_state_name(st->state));
	if (st->message[0]) {
		printf(": %s", st->message);
	}
	if (st->retry_in_ms >= 0) {
		printf(" (retry in %d ms)", st->retry_in_ms);
	}
	printf("\n");
	fflush(stdout);
}

static int parse_num(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (alpr_parse_int64(s, strlen(s), min, max, out) < 0) {
		fprintf(stderr, "alpr-capture: bad number \"%s\" (%" PRId64 "..%" PRId64 ")\n", s,
			min, max);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"camera", required_argument, NULL, 'c'},
		{"frames", required_argument, NULL, 'n'},
		{"seconds", required_argument, NULL, 's'},
		{"pool", required_argument, NULL, 'p'},
		{"max", required_argument, NULL, 'm'},
		{"fps-limit", required_argument, NULL, 'f'},
		{"realtime", no_argument, NULL, 'r'},
		{"loop", no_argument, NULL, 'l'},
		{"hold-ms", required_argument, NULL, 'H'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct capture_options opts = {.on_status = on_status};
	const char *cams[CAPTURE_MAX_CAMERAS];
	size_t ncams = 0;
	int64_t frames = 100, seconds = 30, hold_ms = 0, v;
	bool verbose = false;
	int opt;

	alpr_log_init_from_env();
	while ((opt = getopt_long(argc, argv, "c:n:s:p:m:f:rlH:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (ncams >= CAPTURE_MAX_CAMERAS || !strchr(optarg, '=')) {
				fprintf(stderr, "alpr-capture: --camera NAME=URI, at most %d\n",
					CAPTURE_MAX_CAMERAS);
				return 2;
			}
			cams[ncams++] = optarg;
			break;
		case 'n':
			if (parse_num(optarg, 1, INT64_C(1) << 40, &frames) < 0) {
				return 2;
			}
			break;
		case 's':
			if (parse_num(optarg, 1, 86400, &seconds) < 0) {
				return 2;
			}
			break;
		case 'p':
			if (parse_num(optarg, 1, CAPTURE_POOL_MAX, &v) < 0) {
				return 2;
			}
			opts.pool_frames = (unsigned)v;
			break;
		case 'm': {
			const char *x = strchr(optarg, 'x');
			int64_t w, h;

			if (!x ||
			    alpr_parse_int64(optarg, (size_t)(x - optarg), 16, CAPTURE_DIM_MAX,
					     &w) < 0 ||
			    parse_num(x + 1, 16, CAPTURE_DIM_MAX, &h) < 0) {
				fprintf(stderr, "alpr-capture: --max WIDTHxHEIGHT\n");
				return 2;
			}
			opts.max_width = (int)w;
			opts.max_height = (int)h;
			break;
		}
		case 'f':
			if (parse_num(optarg, 1, 1000, &v) < 0) {
				return 2;
			}
			opts.fps_limit = (int)v;
			break;
		case 'r':
			opts.pacing = CAPTURE_PACE_REALTIME;
			break;
		case 'l':
			opts.loop = true;
			break;
		case 'H':
			if (parse_num(optarg, 0, 10000, &hold_ms) < 0) {
				return 2;
			}
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (ncams == 0 || optind != argc) {
		usage(stderr);
		return 2;
	}

	struct capture *c = NULL;
	int r = capture_create(&opts, &c);

	if (r < 0) {
		fprintf(stderr, "alpr-capture: %s\n", alpr_strerror(r));
		return 1;
	}
	for (size_t i = 0; i < ncams; i++) {
		char name[CAPTURE_NAME_MAX];
		const char *eq = strchr(cams[i], '=');
		size_t n = (size_t)(eq - cams[i]);

		if (n >= sizeof(name)) {
			fprintf(stderr, "alpr-capture: camera name too long\n");
			capture_destroy(c);
			return 2;
		}
		memcpy(name, cams[i], n);
		name[n] = '\0';
		r = capture_add_camera(c, name, eq + 1);
		if (r < 0) {
			/* capture_add_camera() has logged the one-line reason. */
			capture_destroy(c);
			return 2;
		}
	}
	r = capture_start(c);
	if (r < 0) {
		fprintf(stderr, "alpr-capture: cannot start: %s\n", alpr_strerror(r));
		capture_destroy(c);
		return 1;
	}

	int64_t t0 = alpr_monotonic_us(), end = t0 + seconds * ALPR_USEC_PER_SEC;
	int64_t got = 0;

	while (got < frames) {
		struct capture_frame *f;
		int64_t now = alpr_monotonic_us();

		if (now >= end) {
			break;
		}
		r = capture_next_frame(c, (int)ALPR_MIN((end - now) / 1000 + 1, 1000), &f);
		if (r == -EAGAIN) {
			continue;
		}
		if (r < 0) {
			break; /* every camera has ended or failed for good */
		}
		got++;
		if (verbose) {
			char ts[ALPR_TIME_BUFSZ];

			printf("frame %s seq=%" PRIu64 " %dx%d at=%s+%06" PRId64 "us pts=%" PRId64
			       "\n",
			       f->camera, f->seq, f->width, f->height,
			       alpr_time_format(f->captured_at_us, ts, sizeof(ts)),
			       f->captured_at_us % ALPR_USEC_PER_SEC, f->pts_us);
		}
		if (hold_ms > 0) {
			usleep((useconds_t)(hold_ms * 1000));
		}
		capture_release_frame(c, f);
	}
	double secs = (double)(alpr_monotonic_us() - t0) / 1e6;

	capture_stop(c);
	for (size_t i = 0; i < capture_camera_count(c); i++) {
		struct capture_camera_stats st;
		const char *name = capture_camera_name(c, i);

		capture_camera_stats(c, name, &st);
		printf("camera %s: %s, %" PRIu64 " frames, %" PRIu64 " delivered, %" PRIu64
		       " dropped, %u failures, %.1f fps\n",
		       name, capture_state_name(st.state), st.frames, st.delivered, st.dropped,
		       st.failures, secs > 0 ? (double)st.delivered / secs : 0.0);
	}
	capture_destroy(c);
	return got > 0 ? 0 : 1;
}
