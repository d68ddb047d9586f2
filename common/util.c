/* SPDX-License-Identifier: LicenseRef-Proprietary */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

size_t alpr_strlcpy(char *dst, const char *src, size_t dstsz)
{
	size_t n = strlen(src);

	if (dstsz) {
		size_t c = n < dstsz - 1 ? n : dstsz - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int alpr_parse_int64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;
	bool neg = false;
	size_t i = 0;

	if (len == 0) {
		return -EINVAL;
	}
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		i = 1;
		if (len == 1) {
			return -EINVAL;
		}
	}
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -EINVAL;
		}
		int d = s[i] - '0';
		if (neg ? v < (INT64_MIN + d) / 10 : v > (INT64_MAX - d) / 10) {
			return -ERANGE;
		}
		v = neg ? v * 10 - d : v * 10 + d;
	}
	if (v < min || v > max) {
		return -ERANGE;
	}
	*out = v;
	return 0;
}

void alpr_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

int alpr_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
	if (inlen != 2 * outlen) {
		return -EINVAL;
	}
	for (size_t i = 0; i < outlen; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			return -EINVAL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int alpr_read_file(const char *path, size_t max, char **out, size_t *out_len)
{
	_autoclose_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_autofree_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (fd < 0) {
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		return -EISDIR;
	}
	if (S_ISREG(st.st_mode) && (size_t)st.st_size > max) {
		return -EFBIG;
	}
	/* Not every file reports its size (pipes, /proc): read in steps up to @max. */
	size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	buf = malloc(cap);
	if (!buf) {
		return -ENOMEM;
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > max) {
				return -EFBIG;
			}
			size_t ncap = cap * 2 > max + 1 ? max + 2 : cap * 2;
			char *n = realloc(buf, ncap);
			if (!n) {
				return -ENOMEM;
			}
			buf = n;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		if (r == 0) {
			break;
		}
		len += (size_t)r;
		if (len > max) {
			return -EFBIG;
		}
	}
	buf[len] = '\0';
	*out = steal_ptr(&buf);
	if (out_len) {
		*out_len = len;
	}
	return 0;
}

int alpr_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *p = data;
	int fd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp)) {
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		return -errno;
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			r = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0) {
		r = -errno;
	}
	if (close(fd) < 0 && r == 0) {
		r = -errno;
	}
	if (r == 0 && rename(tmp, path) < 0) {
		r = -errno;
	}
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	alpr_strlcpy(dir, path, sizeof(dir));
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int alpr_mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	if (alpr_strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		return -ENAMETOOLONG;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
				return -errno;
			}
			*p = '/';
		}
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
		return -errno;
	}
	struct stat st;
	if (stat(buf, &st) < 0) {
		return -errno;
	}
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

const char *alpr_datadir(void)
{
	const char *env = getenv("ALPR_DATADIR");
	struct stat st;

	if (env && *env) {
		return env;
	}
	if (stat(ALPR_SRC_DATADIR, &st) == 0 && S_ISDIR(st.st_mode)) {
		return ALPR_SRC_DATADIR;
	}
	return ALPR_DATADIR;
}

void *alpr_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		abort();
	}
	return p;
}

void *alpr_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		abort();
	}
	return p;
}

void *alpr_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		abort();
	}
	return q;
}

char *alpr_xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p) {
		abort();
	}
	return p;
}
