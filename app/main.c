/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * alpr-unit: the patrol unit. Parses options (and a config file), builds the runtime
 * (unit.h), and either prints every event as a JSON line (--headless) or opens the patrol
 * window. docs/alpr-unit.1 is the manual.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "officers.h"
#include "unit-window.h"
#include "headless-commands.h"
#include "unit.h"

/* A config file is a small JSON object; anything larger is not one. */
#define CONFIG_MAX_BYTES (64 * 1024)
/* One event line: a read with ten candidates is under 2 KiB, a status with 8 cameras and 8
 * lists under 6 KiB. */
#define EVENT_LINE_MAX (16 * 1024)

static struct unit *the_unit;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
	if (the_unit) {
		unit_request_stop(the_unit);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: alpr-unit [--headless] [OPTION]...\n"
		"       alpr-unit --hash-pin ID < PIN\n"
		"The patrol unit: cameras -> plate reading -> hotlist -> store -> events.\n"
		"Without --headless it opens the officer's patrol window (GTK; needs a display "
		"and\n"
		"--officers).\n"
		"  --headless            print one JSON object per line for each event (read, "
		"hit,\n"
		"                        status) instead of opening the patrol window\n"
		"  --officers FILE       who may sign in to the window: ID:ITERATIONS:SALT:HASH\n"
		"                        lines (alpr-unit --hash-pin ID makes one)\n"
		"  --night               start the window in the night theme\n"
		"  --fullscreen          the window fills the screen (the car)\n"
		"  --size WxH            the window's size otherwise (default 1280x800)\n"
		"  --events-out FILE     also write the JSON event lines to FILE (- for standard\n"
		"                        output) while the window is open\n"
		"  --close-at-end        close the window once every camera has ended (replays)\n"
		"  --hash-pin ID         read a PIN on standard input and print the officers line\n"
		"  --config FILE         read options from a JSON file (command-line options win)\n"
		"  --camera NAME=URI     add a camera (repeatable): libcamera:NAME, "
		"v4l2:/dev/videoN,\n"
		"                        file:VIDEO-OR-FOLDER, test:[PATTERN][:WxH][@FPS]\n"
		"  --hotlist DIR         the hotlist database (alpr-hotlist --db DIR)\n"
		"  --store DIR           the read store (created on first run)\n"
		"  --gps HOST[:PORT]     gpsd to ask for fixes (default port 2947)\n"
		"  --policy NAME|FILE    the jurisdiction profile, data/policy/NAME.json "
		"(default),\n"
		"                        or a profile file (a path with a '/')\n"
		"  --override FILE       an administrator's tightening of the profile "
		"(alpr-search\n"
		"                        --tighten); a missing file is none\n"
		"  --audit DIR           the audit log (default STORE/audit with --store)\n"
		"  --commands            read the officer's actions as JSON lines on stdin "
		"(sign_in,\n"
		"                        sign_out, verify, dispose; alpr-unit(1)); run until "
		"stdin ends\n"
		"  --unit-id ID          this unit's id in read ids (default unit1)\n"
		"  --state XX            prefer this state's plate syntaxes\n"
		"  --realtime            replay files at their own pace, skipping frames like a "
		"camera\n"
		"  --loop                replay files again at their end\n"
		"  --image-fps N         frame rate of a folder of images (default 15)\n"
		"  --workers N           recognition threads (default: one per core)\n"
		"  --status-interval S   seconds between status events (default 5)\n"
		"  --duration S          stop after S seconds\n"
		"  --store-map-size MB   the store's LMDB map size (tests: a small store fills)\n"
		"  --station URL         sync with this station (https://HOST:PORT) in the\n"
		"                        background; needs --store and --sync-dir\n"
		"  --sync-dir DIR        this unit's enrolment (alpr-station enroll): cert.pem,\n"
		"                        key.pem, ca.pem, hotlist-pub.pem\n"
		"  -h, --help            this text\n"
		"Exit status: 0 when every camera ended, a signal stopped the unit or the window\n"
		"was closed; 1 on a failure to start (no display for the window, a camera, store\n"
		"or hotlist that does not open); 2 on a usage error.\n");
}

static int add_camera(struct unit_options *o, const char *spec, char *err, size_t errsz)
{
	const char *eq = strchr(spec, '=');

	if (!eq || eq == spec || !eq[1]) {
		snprintf(err, errsz, "--camera %s: expected NAME=URI", spec);
		return -EINVAL;
	}
	if (o->ncameras == CAPTURE_MAX_CAMERAS) {
		snprintf(err, errsz, "--camera: at most %d cameras", CAPTURE_MAX_CAMERAS);
		return -ENOSPC;
	}
	struct unit_camera_config *c = &o->cameras[o->ncameras];
	size_t nlen = (size_t)(eq - spec);
	if (nlen >= sizeof(c->name) || strlen(eq + 1) >= sizeof(c->uri)) {
		snprintf(err, errsz, "--camera %s: name or URI too long", spec);
		return -EINVAL;
	}
	for (size_t i = 0; i < o->ncameras; i++) {
		if (strlen(o->cameras[i].name) == nlen &&
		    memcmp(o->cameras[i].name, spec, nlen) == 0) {
			/* The command line replaces a camera of the same name from the config. */
			alpr_strlcpy(o->cameras[i].uri, eq + 1, sizeof(o->cameras[i].uri));
			return 0;
		}
	}
	memcpy(c->name, spec, nlen);
	c->name[nlen] = '\0';
	alpr_strlcpy(c->uri, eq + 1, sizeof(c->uri));
	o->ncameras++;
	return 0;
}

static int parse_gps(const char *s, char *host, size_t hostsz, int *port, char *err, size_t errsz)
{
	const char *colon = strrchr(s, ':');
	size_t hlen = colon ? (size_t)(colon - s) : strlen(s);
	int64_t p = 0;

	if (hlen == 0 || hlen >= hostsz ||
	    (colon && alpr_parse_int64(colon + 1, strlen(colon + 1), 1, 65535, &p) < 0)) {
		snprintf(err, errsz, "--gps %s: expected HOST[:PORT] with a port 1-65535", s);
		return -EINVAL;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	*port = (int)p;
	return 0;
}

struct strings {
	char hotlist[1024], store[1024], gps_host[256], policy[64], unit_id[32], state[3];
	char station[1024], sync_dir[1024], officers[1024], audit[1024], override[1024];
};

static int copy_field(char *dst, size_t dstsz, const char *v, const char *what, char *err,
		      size_t errsz)
{
	if (alpr_strlcpy(dst, v, dstsz) >= dstsz) {
		snprintf(err, errsz, "%s: too long", what);
		return -EINVAL;
	}
	return 0;
}

/* The config file: {"cameras": {"front": "file:..."}, "hotlist": DIR, "store": DIR,
 * "gps": "HOST[:PORT]", "station": URL, "sync_dir": DIR, "policy": NAME, "unit_id": ID, "state":
 * XX, "officers": FILE, "workers": N, "status_interval_s": S, "realtime": bool, "loop": bool}.
 * Unknown keys are errors. */
static int load_config(const char *path, struct unit_options *o, struct strings *s, char *err,
		       size_t errsz)
{
	char *text = NULL;
	size_t len;
	int r = alpr_read_file(path, CONFIG_MAX_BYTES, &text, &len);

	if (r < 0) {
		snprintf(err, errsz, "%s: %s", path, alpr_strerror(r));
		return r;
	}
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!root || !json_is_object(root)) {
		snprintf(err, errsz, "%s:%d: %s", path, root ? 1 : je.line,
			 root ? "not a JSON object" : je.text);
		json_decref(root);
		return -ALPR_E_PARSE;
	}
	const char *key;
	json_t *v;
	r = 0;
	json_object_foreach (root, key, v) {
		char what[128];
		snprintf(what, sizeof(what), "%s: %s", path, key);
		if (strcmp(key, "cameras") == 0 && json_is_object(v)) {
			const char *name;
			json_t *uri;
			json_object_foreach (v, name, uri) {
				char spec[CAPTURE_NAME_MAX + CAPTURE_URI_MAX + 2];
				if (!json_is_string(uri)) {
					snprintf(err, errsz, "%s.%s: a URI string", what, name);
					r = -ALPR_E_PARSE;
					goto out;
				}
				snprintf(spec, sizeof(spec), "%s=%s", name, json_string_value(uri));
				r = add_camera(o, spec, err, errsz);
				if (r < 0) {
					goto out;
				}
			}
		} else if (json_is_string(v) &&
			   (strcmp(key, "hotlist") == 0 || strcmp(key, "store") == 0 ||
			    strcmp(key, "policy") == 0 || strcmp(key, "unit_id") == 0 ||
			    strcmp(key, "state") == 0 || strcmp(key, "gps") == 0 ||
			    strcmp(key, "station") == 0 || strcmp(key, "sync_dir") == 0 ||
			    strcmp(key, "officers") == 0)) {
			const char *sv = json_string_value(v);
			if (strcmp(key, "hotlist") == 0) {
				r = copy_field(s->hotlist, sizeof(s->hotlist), sv, what, err,
					       errsz);
			} else if (strcmp(key, "store") == 0) {
				r = copy_field(s->store, sizeof(s->store), sv, what, err, errsz);
			} else if (strcmp(key, "policy") == 0) {
				r = copy_field(s->policy, sizeof(s->policy), sv, what, err, errsz);
			} else if (strcmp(key, "unit_id") == 0) {
				r = copy_field(s->unit_id, sizeof(s->unit_id), sv, what, err,
					       errsz);
			} else if (strcmp(key, "state") == 0) {
				r = copy_field(s->state, sizeof(s->state), sv, what, err, errsz);
			} else if (strcmp(key, "station") == 0) {
				r = copy_field(s->station, sizeof(s->station), sv, what, err,
					       errsz);
			} else if (strcmp(key, "sync_dir") == 0) {
				r = copy_field(s->sync_dir, sizeof(s->sync_dir), sv, what, err,
					       errsz);
			} else if (strcmp(key, "officers") == 0) {
				r = copy_field(s->officers, sizeof(s->officers), sv, what, err,
					       errsz);
			} else {
				r = parse_gps(sv, s->gps_host, sizeof(s->gps_host), &o->gps_port,
					      err, errsz);
			}
			if (r < 0) {
				goto out;
			}
		} else if (strcmp(key, "workers") == 0 && json_is_integer(v) &&
			   json_integer_value(v) >= 0 &&
			   json_integer_value(v) <= UNIT_WORKERS_MAX) {
			o->workers = (int)json_integer_value(v);
		} else if (strcmp(key, "status_interval_s") == 0 && json_is_number(v) &&
			   json_number_value(v) > 0 && json_number_value(v) <= 3600) {
			o->status_interval_us = (int64_t)(json_number_value(v) * 1e6);
		} else if (strcmp(key, "realtime") == 0 && json_is_boolean(v)) {
			o->realtime = json_is_true(v);
		} else if (strcmp(key, "loop") == 0 && json_is_boolean(v)) {
			o->loop = json_is_true(v);
		} else {
			snprintf(err, errsz, "%s: unknown key or wrong type", what);
			r = -ALPR_E_PARSE;
			goto out;
		}
	}
out:
	json_decref(root);
	return r;
}

struct printer {
	FILE *out;
	char line[EVENT_LINE_MAX];
};

static void print_event(const struct unit_event *ev, void *userdata)
{
	struct printer *p = userdata;
	int n = unit_event_json(ev, p->line, sizeof(p->line));

	if (n < 0) {
		alpr_error("unit", "an event did not fit its line (%s)", alpr_strerror(n));
		return;
	}
	/* One line at a time: the --commands answers share stdout. */
	flockfile(p->out);
	fputs(p->line, p->out);
	fputc('\n', p->out);
	fflush(p->out);
	funlockfile(p->out);
}

static int parse_num(const char *opt, const char *v, int64_t min, int64_t max, int64_t *out)
{
	if (alpr_parse_int64(v, strlen(v), min, max, out) < 0) {
		fprintf(stderr, "alpr-unit: %s %s: expected a number from %lld to %lld\n", opt, v,
			(long long)min, (long long)max);
		return -EINVAL;
	}
	return 0;
}

enum {
	OPT_HEADLESS = 256,
	OPT_CONFIG,
	OPT_CAMERA,
	OPT_HOTLIST,
	OPT_STORE,
	OPT_GPS,
	OPT_POLICY,
	OPT_UNIT_ID,
	OPT_STATE,
	OPT_REALTIME,
	OPT_LOOP,
	OPT_IMAGE_FPS,
	OPT_WORKERS,
	OPT_STATUS,
	OPT_DURATION,
	OPT_MAP,
	OPT_STATION,
	OPT_SYNC_DIR,
	OPT_OFFICERS,
	OPT_NIGHT,
	OPT_FULLSCREEN,
	OPT_SIZE,
	OPT_EVENTS_OUT,
	OPT_HASH_PIN,
	OPT_CLOSE_AT_END,
	OPT_AUDIT,
	OPT_COMMANDS,
	OPT_OVERRIDE,
};

/* --hash-pin ID: the PIN on standard input (one line; never on the command line, where
 * ps and the shell's history would keep it). */
static int hash_pin(const char *id)
{
	char pin[128], line[256];
	int r;

	if (!fgets(pin, sizeof(pin), stdin)) {
		fprintf(stderr, "alpr-unit: --hash-pin: no PIN on standard input\n");
		return 2;
	}
	pin[strcspn(pin, "\r\n")] = '\0';
	r = officers_hash_line(id, pin, line, sizeof(line));
	memset(pin, 0, sizeof(pin));
	if (r < 0) {
		fprintf(stderr, "alpr-unit: --hash-pin: %s\n",
			r == -EINVAL ? "an id of 1-31 [A-Za-z0-9_.:/-] and a non-empty PIN"
				     : alpr_strerror(r));
		return 2;
	}
	printf("%s\n", line);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"headless", no_argument, NULL, OPT_HEADLESS},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"camera", required_argument, NULL, OPT_CAMERA},
		{"hotlist", required_argument, NULL, OPT_HOTLIST},
		{"store", required_argument, NULL, OPT_STORE},
		{"gps", required_argument, NULL, OPT_GPS},
		{"policy", required_argument, NULL, OPT_POLICY},
		{"unit-id", required_argument, NULL, OPT_UNIT_ID},
		{"state", required_argument, NULL, OPT_STATE},
		{"realtime", no_argument, NULL, OPT_REALTIME},
		{"loop", no_argument, NULL, OPT_LOOP},
		{"image-fps", required_argument, NULL, OPT_IMAGE_FPS},
		{"workers", required_argument, NULL, OPT_WORKERS},
		{"status-interval", required_argument, NULL, OPT_STATUS},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"store-map-size", required_argument, NULL, OPT_MAP},
		{"station", required_argument, NULL, OPT_STATION},
		{"sync-dir", required_argument, NULL, OPT_SYNC_DIR},
		{"officers", required_argument, NULL, OPT_OFFICERS},
		{"night", no_argument, NULL, OPT_NIGHT},
		{"fullscreen", no_argument, NULL, OPT_FULLSCREEN},
		{"size", required_argument, NULL, OPT_SIZE},
		{"events-out", required_argument, NULL, OPT_EVENTS_OUT},
		{"hash-pin", required_argument, NULL, OPT_HASH_PIN},
		{"close-at-end", no_argument, NULL, OPT_CLOSE_AT_END},
		{"audit", required_argument, NULL, OPT_AUDIT},
		{"commands", no_argument, NULL, OPT_COMMANDS},
		{"override", required_argument, NULL, OPT_OVERRIDE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct unit_options o;
	static struct strings s, cli;
	char err[512] = "";
	bool headless = false, commands = false;
	struct unit_window_options wo = {0};
	const char *events_out = NULL;
	int64_t duration_s = 0, v;
	int cli_gps_port = -1;
	const char *config = NULL;
	int c;

	alpr_log_init_from_env();
	/* First pass: --config and --help, so the command line can override the file. */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?') {
			usage(stderr);
			return 2;
		}
		if (c == OPT_CONFIG) {
			config = optarg;
		}
		if (c == OPT_HASH_PIN) {
			return hash_pin(optarg);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "alpr-unit: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	if (config && load_config(config, &o, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "alpr-unit: %s\n", err);
		return 2;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int r = 0;
		switch (c) {
		case OPT_HEADLESS:
			headless = true;
			break;
		case OPT_CONFIG:
			break;
		case OPT_CAMERA:
			r = add_camera(&o, optarg, err, sizeof(err));
			break;
		case OPT_HOTLIST:
			r = copy_field(cli.hotlist, sizeof(cli.hotlist), optarg, "--hotlist", err,
				       sizeof(err));
			break;
		case OPT_STORE:
			r = copy_field(cli.store, sizeof(cli.store), optarg, "--store", err,
				       sizeof(err));
			break;
		case OPT_STATION:
			r = copy_field(cli.station, sizeof(cli.station), optarg, "--station", err,
				       sizeof(err));
			break;
		case OPT_SYNC_DIR:
			r = copy_field(cli.sync_dir, sizeof(cli.sync_dir), optarg, "--sync-dir",
				       err, sizeof(err));
			break;
		case OPT_OFFICERS:
			r = copy_field(cli.officers, sizeof(cli.officers), optarg, "--officers",
				       err, sizeof(err));
			break;
		case OPT_NIGHT:
			wo.night = true;
			break;
		case OPT_FULLSCREEN:
			wo.fullscreen = true;
			break;
		case OPT_CLOSE_AT_END:
			wo.close_at_end = true;
			break;
		case OPT_SIZE: {
			char *x = strchr(optarg, 'x');
			int64_t wv, hv;
			if (!x ||
			    alpr_parse_int64(optarg, (size_t)(x - optarg), 640, 7680, &wv) < 0 ||
			    alpr_parse_int64(x + 1, strlen(x + 1), 480, 4320, &hv) < 0) {
				fprintf(stderr,
					"alpr-unit: --size %s: expected WxH, at least "
					"640x480\n",
					optarg);
				return 2;
			}
			wo.width = (int)wv;
			wo.height = (int)hv;
			break;
		}
		case OPT_EVENTS_OUT:
			events_out = optarg;
			break;
		case OPT_AUDIT:
			r = copy_field(cli.audit, sizeof(cli.audit), optarg, "--audit", err,
				       sizeof(err));
			break;
		case OPT_COMMANDS:
			commands = true;
			break;
		case OPT_OVERRIDE:
			r = copy_field(cli.override, sizeof(cli.override), optarg, "--override",
				       err, sizeof(err));
			break;
		case OPT_GPS:
			r = parse_gps(optarg, cli.gps_host, sizeof(cli.gps_host), &cli_gps_port,
				      err, sizeof(err));
			break;
		case OPT_POLICY:
			r = copy_field(cli.policy, sizeof(cli.policy), optarg, "--policy", err,
				       sizeof(err));
			break;
		case OPT_UNIT_ID:
			r = copy_field(cli.unit_id, sizeof(cli.unit_id), optarg, "--unit-id", err,
				       sizeof(err));
			break;
		case OPT_STATE:
			r = copy_field(cli.state, sizeof(cli.state), optarg, "--state", err,
				       sizeof(err));
			break;
		case OPT_REALTIME:
			o.realtime = true;
			break;
		case OPT_LOOP:
			o.loop = true;
			break;
		case OPT_IMAGE_FPS:
			if (parse_num("--image-fps", optarg, 1, 240, &v) < 0) {
				return 2;
			}
			o.image_fps = (int)v;
			break;
		case OPT_WORKERS:
			if (parse_num("--workers", optarg, 1, UNIT_WORKERS_MAX, &v) < 0) {
				return 2;
			}
			o.workers = (int)v;
			break;
		case OPT_STATUS:
			if (parse_num("--status-interval", optarg, 1, 3600, &v) < 0) {
				return 2;
			}
			o.status_interval_us = v * ALPR_USEC_PER_SEC;
			break;
		case OPT_DURATION:
			if (parse_num("--duration", optarg, 1, 7 * 24 * 3600, &duration_s) < 0) {
				return 2;
			}
			break;
		case OPT_MAP:
			if (parse_num("--store-map-size", optarg, 1, 1 << 20, &v) < 0) {
				return 2;
			}
			o.store_map_size = (size_t)v << 20;
			break;
		default:
			break;
		}
		if (r < 0) {
			fprintf(stderr, "alpr-unit: %s\n", err);
			return 2;
		}
	}
	/* The command line wins over the file. */
	if (cli.hotlist[0]) {
		memcpy(s.hotlist, cli.hotlist, sizeof(s.hotlist));
	}
	if (cli.store[0]) {
		memcpy(s.store, cli.store, sizeof(s.store));
	}
	if (cli.gps_host[0]) {
		memcpy(s.gps_host, cli.gps_host, sizeof(s.gps_host));
		o.gps_port = cli_gps_port;
	}
	if (cli.policy[0]) {
		memcpy(s.policy, cli.policy, sizeof(s.policy));
	}
	if (cli.unit_id[0]) {
		memcpy(s.unit_id, cli.unit_id, sizeof(s.unit_id));
	}
	if (cli.state[0]) {
		memcpy(s.state, cli.state, sizeof(s.state));
	}
	if (cli.station[0]) {
		memcpy(s.station, cli.station, sizeof(s.station));
	}
	if (cli.sync_dir[0]) {
		memcpy(s.sync_dir, cli.sync_dir, sizeof(s.sync_dir));
	}
	if (cli.officers[0]) {
		memcpy(s.officers, cli.officers, sizeof(s.officers));
	}

	if (!headless && !s.officers[0]) {
		fprintf(stderr, "alpr-unit: the patrol window needs --officers FILE (who may sign "
				"in; alpr-unit --hash-pin ID makes a line), or run --headless\n");
		return 2;
	}
	if (o.ncameras == 0) {
		fprintf(stderr, "alpr-unit: no camera (use --camera NAME=URI or a config file)\n");
		return 2;
	}
	o.hotlist_dir = s.hotlist[0] ? s.hotlist : NULL;
	o.store_dir = s.store[0] ? s.store : NULL;
	o.gps_host = s.gps_host[0] ? s.gps_host : NULL;
	o.policy_name = s.policy[0] ? s.policy : NULL;
	o.unit_id = s.unit_id[0] ? s.unit_id : NULL;
	o.state = s.state[0] ? s.state : NULL;
	o.sync_station_url = s.station[0] ? s.station : NULL;
	o.sync_dir = s.sync_dir[0] ? s.sync_dir : NULL;
	o.audit_dir = cli.audit[0] ? cli.audit : NULL;
	o.policy_override = cli.override[0] ? cli.override : NULL;
	if (o.sync_station_url && (!o.store_dir || !o.sync_dir)) {
		fprintf(stderr, "alpr-unit: --station needs --store and --sync-dir\n");
		return 2;
	}

	struct officers *officers = NULL;
	if (!headless) {
		int r = officers_load(s.officers, &officers, err, sizeof(err));
		if (r == 0 && officers_count(officers) == 0) {
			snprintf(err, sizeof(err), "%s: no officer listed", s.officers);
			r = -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "alpr-unit: --officers %s\n", err);
			officers_destroy(officers);
			return 2;
		}
	}
	/* Event lines: standard output when headless, else only with --events-out. */
	static struct printer printer;
	if (!events_out && headless) {
		events_out = "-";
	}
	if (events_out && strcmp(events_out, "-") == 0) {
		printer.out = stdout;
	} else if (events_out) {
		printer.out = fopen(events_out, "we");
		if (!printer.out) {
			fprintf(stderr, "alpr-unit: --events-out %s: %s\n", events_out,
				strerror(errno));
			officers_destroy(officers);
			return 1;
		}
	}

	struct unit *u;
	int r = unit_create(&o, &u, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "alpr-unit: %s\n", err);
		officers_destroy(officers);
		return 1;
	}
	if (printer.out) {
		unit_subscribe(u, print_event, &printer);
	}
	if (!headless) {
		/* The window owns the main thread, signals and the duration; it starts the
		 * unit once it is shown and stops it when closed. */
		wo.officers = officers;
		wo.unit_name = s.unit_id[0] ? s.unit_id : NULL;
		wo.duration_us = duration_s * ALPR_USEC_PER_SEC;
		r = unit_window_run(u, &wo, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "alpr-unit: %s\n", err);
		}
		unit_destroy(u);
		officers_destroy(officers);
		if (printer.out && printer.out != stdout) {
			fclose(printer.out);
		}
		return r < 0 ? 1 : 0;
	}

	the_unit = u;
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (duration_s > 0) {
		sigaction(SIGALRM, &sa, NULL);
		alarm((unsigned)duration_s);
	}
	r = unit_start(u);
	if (r < 0) {
		fprintf(stderr, "alpr-unit: start: %s\n", alpr_strerror(r));
		unit_destroy(u);
		return 1;
	}
	struct headless_commands *hc = NULL;
	if (commands && (r = headless_commands_start(u, &hc)) < 0) {
		fprintf(stderr, "alpr-unit: --commands: %s\n", alpr_strerror(r));
	}
	unit_wait(u);
	/* With --commands the run ends with stdin (or a signal), so that the officer's last
	 * actions on the hits of the run are taken and audited. */
	headless_commands_join(hc, got_signal != 0);
	the_unit = NULL;
	unit_destroy(u);
	if (printer.out && printer.out != stdout) {
		fclose(printer.out);
	}
	return 0;
}
