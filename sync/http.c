/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * One HTTPS request with libcurl: client certificate, the station CA as the only trust
 * anchor, timeouts, a capped answer, cancellation. Shared by the client, publishing and the
 * tests.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "sync-private.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct sink {
	CURL *curl;
	FILE *out;
	char *buf;
	size_t len, cap;
	uint64_t max, written;
	bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (s->written + n > s->max) {
		s->too_big = true;
		return 0;
	}
	s->written += n;
	if (s->out && status >= 200 && status < 300) {
		return fwrite(ptr, 1, n, s->out) == n ? n : 0;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = ALPR_MAX(s->cap * 2, s->len + n + 1);
		s->buf = alpr_xrealloc(s->buf, cap);
		s->cap = cap;
	}
	memcpy(s->buf + s->len, ptr, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

static int on_progress(void *ud, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
	const volatile int *cancel = ud;
	return cancel && *cancel ? 1 : 0;
}

static int curl_errno(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return -ECONNRESET;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return -EACCES;
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	case CURLE_FILESIZE_EXCEEDED:
		return -EFBIG;
	default:
		return -EIO;
	}
}

int sync_http_do(const struct sync_http_request *req, struct sync_http *res)
{
	struct sink sink = {0};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	CURL *curl = req->curl;
	int r = 0;

	memset(res, 0, sizeof(*res));
	pthread_once(&curl_once, curl_init_once);
	if (!curl) {
		curl = curl_easy_init();
		if (!curl) {
			snprintf(res->error, sizeof(res->error), "curl_easy_init failed");
			return -ENOMEM;
		}
	} else {
		curl_easy_reset(curl);
	}
	sink.curl = curl;
	sink.out = req->out;
	sink.max = req->max_answer ? req->max_answer : SYNC_ANSWER_MAX;

	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_CAINFO, req->tls->ca_path);
	/* Pinning: the station CA only, never the system store. */
	curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->tls->cert_path) {
		curl_easy_setopt(curl, CURLOPT_SSLCERT, req->tls->cert_path);
	}
	if (req->tls->key_path) {
		curl_easy_setopt(curl, CURLOPT_SSLKEY, req->tls->key_path);
	}
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms > 0 ? req->connect_timeout_ms
						     : (long)SYNC_CONNECT_TIMEOUT_MS_DEFAULT);
	long stall = req->stall_timeout_ms > 0 ? req->stall_timeout_ms
					       : (long)SYNC_STALL_TIMEOUT_MS_DEFAULT;
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (stall + 999) / 1000);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sink.max);
	if (req->cancel) {
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (void *)req->cancel);
	}
	if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		if (req->content_type) {
			char h[128];
			snprintf(h, sizeof(h), "Content-Type: %s", req->content_type);
			headers = curl_slist_append(headers, h);
		}
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	} else {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	}
	CURLcode c = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
	if (c != CURLE_OK) {
		r = sink.too_big ? -EFBIG : curl_errno(c);
		/* A station that answered before reading the whole body (413) closes the
		 * connection; curl may then report a send error with the answer in hand. */
		if (res->status >= 400 && (c == CURLE_SEND_ERROR || c == CURLE_RECV_ERROR)) {
			r = 0;
		} else {
			snprintf(res->error, sizeof(res->error), "%s: %s", req->url,
				 errbuf[0] ? errbuf : curl_easy_strerror(c));
		}
	}
	if (r == 0) {
		res->body = steal_ptr(&sink.buf);
		res->body_len = sink.len;
	}
	free(sink.buf);
	curl_slist_free_all(headers);
	if (!req->curl) {
		curl_easy_cleanup(curl);
	}
	return r;
}

void sync_http_finish(struct sync_http *res)
{
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
}
