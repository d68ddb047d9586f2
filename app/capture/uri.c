/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * Camera URIs: libcamera:NAME, v4l2:/dev/videoN, file:PATH, test:[PATTERN][:WxH][@FPS].
 * What can be known before starting is checked here, so a typo in the unit's configuration
 * is a one-line error at start-up rather than a camera that retries forever.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <gst/gst.h>

#include "capture-private.h"

bool capture_libcamera_supported(void)
{
	return ALPR_HAVE_LIBCAMERA;
}

static bool element_installed(const char *factory)
{
	GstElementFactory *f = gst_element_factory_find(factory);

	if (!f) {
		return false;
	}
	gst_object_unref(f);
	return true;
}

/* videotestsrc's pattern names come from the element itself, so the list is never stale. */
static int test_pattern(const char *nick, int *value)
{
	GstElement *e = gst_element_factory_make("videotestsrc", NULL);
	int r = -EINVAL;

	if (!e) {
		return -ENOTSUP;
	}
	GParamSpec *ps = g_object_class_find_property(G_OBJECT_GET_CLASS(e), "pattern");

	if (ps && G_IS_PARAM_SPEC_ENUM(ps)) {
		GEnumValue *v = g_enum_get_value_by_nick(G_PARAM_SPEC_ENUM(ps)->enum_class, nick);

		if (v) {
			*value = v->value;
			r = 0;
		}
	}
	gst_object_unref(e);
	return r;
}

/* "WxH" with both in 16..CAPTURE_DIM_MAX. */
static int parse_size(const char *s, size_t len, int *w, int *h)
{
	const char *x = memchr(s, 'x', len);
	int64_t a, b;

	if (!x || alpr_parse_int64(s, (size_t)(x - s), 16, CAPTURE_DIM_MAX, &a) < 0 ||
	    alpr_parse_int64(x + 1, len - (size_t)(x + 1 - s), 16, CAPTURE_DIM_MAX, &b) < 0) {
		return -EINVAL;
	}
	*w = (int)a;
	*h = (int)b;
	return 0;
}

static int parse_test(const char *spec, struct capture_uri *out, char *err, size_t errsz)
{
	const char *at = strchr(spec, '@');
	size_t head_len = at ? (size_t)(at - spec) : strlen(spec);
	const char *colon = memchr(spec, ':', head_len);
	size_t pat_len = colon ? (size_t)(colon - spec) : head_len;
	char pattern[64];
	int r;

	out->kind = CAPTURE_KIND_TEST;
	out->width = 640;
	out->height = 480;
	out->fps = 15;
	if (pat_len >= sizeof(pattern)) {
		snprintf(err, errsz, "test pattern name too long");
		return -EINVAL;
	}
	memcpy(pattern, spec, pat_len);
	pattern[pat_len] = '\0';
	if (pat_len == 0) {
		alpr_strlcpy(pattern, "smpte", sizeof(pattern));
	}
	r = test_pattern(pattern, &out->pattern);
	if (r == -ENOTSUP) {
		snprintf(err, errsz, "videotestsrc is not installed (gstreamer1.0-plugins-base)");
		return r;
	}
	if (r < 0) {
		snprintf(err, errsz, "unknown test pattern \"%s\" (smpte, ball, snow, ...)",
			 pattern);
		return r;
	}
	alpr_strlcpy(out->arg, pattern, sizeof(out->arg));
	if (colon && parse_size(colon + 1, head_len - pat_len - 1, &out->width, &out->height) < 0) {
		snprintf(err, errsz, "bad test size \"%.*s\" (want WIDTHxHEIGHT, 16..%d)",
			 (int)(head_len - pat_len - 1), colon + 1, CAPTURE_DIM_MAX);
		return -EINVAL;
	}
	if (at) {
		int64_t fps;

		if (alpr_parse_int64(at + 1, strlen(at + 1), 1, 240, &fps) < 0) {
			snprintf(err, errsz, "bad test frame rate \"%s\" (want 1..240)", at + 1);
			return -EINVAL;
		}
		out->fps = (int)fps;
	}
	return 0;
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n > m && strcasecmp(name + n - m, suffix) == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int capture_list_images(const char *dir, char ***out, size_t *n, enum capture_image_format *format,
			char *err, size_t errsz)
{
	DIR *d = opendir(dir);
	GPtrArray *names;
	struct dirent *de;
	int pngs = 0, jpegs = 0, r = 0;

	if (!d) {
		r = -errno;
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		return r;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((de = readdir(d))) {
		bool png = has_suffix(de->d_name, ".png");
		bool jpeg = has_suffix(de->d_name, ".jpg") || has_suffix(de->d_name, ".jpeg");

		if (de->d_name[0] == '.' || (!png && !jpeg)) {
			continue;
		}
		if (names->len >= CAPTURE_FOLDER_MAX_FILES) {
			snprintf(err, errsz, "%s: more than %d images", dir,
				 CAPTURE_FOLDER_MAX_FILES);
			r = -E2BIG;
			goto out;
		}
		pngs += png;
		jpegs += jpeg;
		g_ptr_array_add(names, g_build_filename(dir, de->d_name, NULL));
	}
	if (names->len == 0) {
		snprintf(err, errsz, "%s: no .png, .jpg or .jpeg images in the folder", dir);
		r = -ENOENT;
		goto out;
	}
	if (pngs && jpegs) {
		snprintf(err, errsz,
			 "%s: mixes PNG and JPEG images; a replay folder holds one kind", dir);
		r = -EINVAL;
		goto out;
	}
	qsort(names->pdata, names->len, sizeof(char *), cmp_names);
	*format = pngs ? CAPTURE_IMAGE_PNG : CAPTURE_IMAGE_JPEG;
	*n = names->len;
	g_ptr_array_add(names, NULL);
	*out = (char **)g_ptr_array_free(names, FALSE);
	names = NULL;
out:
	if (names) {
		g_ptr_array_free(names, TRUE);
	}
	closedir(d);
	return r;
}

int capture_parse_uri(const char *uri, struct capture_uri *out, char *err, size_t errsz)
{
	const char *colon = uri ? strchr(uri, ':') : NULL;
	const char *arg = colon ? colon + 1 : NULL;
	size_t scheme_len = colon ? (size_t)(colon - uri) : 0;
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (!colon) {
		snprintf(err, errsz,
			 "\"%s\": not a camera URI (libcamera:NAME, v4l2:/dev/videoN, "
			 "file:PATH, test:PATTERN)",
			 uri ? uri : "");
		return -EINVAL;
	}
	if (strlen(uri) >= CAPTURE_URI_MAX) {
		snprintf(err, errsz, "URI longer than %d bytes", CAPTURE_URI_MAX - 1);
		return -EINVAL;
	}
	if (scheme_len == 4 && strncmp(uri, "test", 4) == 0) {
		return parse_test(arg, out, err, errsz);
	}
	alpr_strlcpy(out->arg, arg, sizeof(out->arg));
	if (scheme_len == 9 && strncmp(uri, "libcamera", 9) == 0) {
		out->kind = CAPTURE_KIND_LIBCAMERA;
		if (!capture_libcamera_supported()) {
			snprintf(err, errsz,
				 "\"%s\": this build has no libcamera support "
				 "(meson -Dlibcamera=disabled)",
				 uri);
			return -ENOTSUP;
		}
		if (!element_installed("libcamerasrc")) {
			snprintf(err, errsz,
				 "libcamerasrc is not installed (gstreamer1.0-libcamera)");
			return -ENOTSUP;
		}
		return 0;
	}
	if (scheme_len == 4 && strncmp(uri, "v4l2", 4) == 0) {
		out->kind = CAPTURE_KIND_V4L2;
		/* The device may be unplugged now: that is a run-time failure, retried. */
		if (arg[0] != '/') {
			snprintf(err, errsz,
				 "\"%s\": a V4L2 device is an absolute path "
				 "(v4l2:/dev/video0)",
				 uri);
			return -EINVAL;
		}
		if (!element_installed("v4l2src")) {
			snprintf(err, errsz,
				 "v4l2src is not installed (gstreamer1.0-plugins-good)");
			return -ENOTSUP;
		}
		return 0;
	}
	if (scheme_len == 4 && strncmp(uri, "file", 4) == 0) {
		if (arg[0] == '\0') {
			snprintf(err, errsz, "\"%s\": no path", uri);
			return -EINVAL;
		}
		if (stat(arg, &st) < 0) {
			int r = -errno;

			snprintf(err, errsz, "%s: %s", arg, strerror(errno));
			return r;
		}
		if (S_ISDIR(st.st_mode)) {
			char **files = NULL;
			size_t n = 0;
			int r;

			out->kind = CAPTURE_KIND_FOLDER;
			r = capture_list_images(arg, &files, &n, &out->image_format, err, errsz);
			g_strfreev(files);
			return r;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errsz, "%s: not a regular file or a folder", arg);
			return -EINVAL;
		}
		out->kind = CAPTURE_KIND_FILE;
		return 0;
	}
	snprintf(err, errsz, "\"%.*s\": unknown camera URI scheme (libcamera, v4l2, file, test)",
		 (int)ALPR_MIN(scheme_len, 64), uri);
	return -EINVAL;
}
