/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * sync-private.h: what the station, the client and the tests share: the JSON codec of a read
 * (docs/sync-protocol.md), base64, and one HTTPS request with a client certificate.
 * Not for other modules: use sync.h.
 */
#pragma once

#include <jansson.h>
#include <stdio.h>

#include "store.h"
#include "sync.h"

#define SYNC_FORMAT_READS "alpr-sync-reads/1"
#define SYNC_FORMAT_ACK   "alpr-sync-ack/1"

/* Base64 (RFC 4648, with padding, no line breaks). Encode writes 4*ceil(len/3)+1 bytes.
 * Decode is strict (no whitespace, correct padding): 0 and *outlen, or -EINVAL; @out needs
 * 3*(inlen/4) bytes. */
size_t sync_base64_len(size_t len);
void sync_base64_encode(const uint8_t *in, size_t len, char *out);
int sync_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t *outlen);

/* One read (and its hit, may be NULL) as the protocol's JSON object; crop included when
 * @with_crop. Never NULL (aborts on allocation failure). */
json_t *sync_read_to_json(const struct store_read *r, const struct store_hit *hit, bool with_crop);
/* Strict decoding of a read object: every field typed, in range, within its cap; unknown
 * fields refused. Fills @r (its crop malloc'd: free with store_read_finish) and @hit with
 * *has_hit. 0, or -EINVAL with "field: message" in @err. */
int sync_read_from_json(const json_t *o, struct store_read *r, struct store_hit *hit, bool *has_hit,
			char *err, size_t errsz);

/* One HTTPS request. */
struct sync_http {
	long status; /* HTTP status, 0 when none arrived */
	char *body;  /* the answer (NUL-terminated), malloc'd; NULL when written to file */
	size_t body_len;
	char error[SYNC_MESSAGE_MAX]; /* transport error, one line */
};
struct sync_http_request {
	const char *method; /* "GET" or "POST" */
	const char *url;
	const struct sync_tls *tls; /* cert and key may be NULL: no client certificate */
	const char *content_type;
	const void *body;
	size_t body_len;
	FILE *out;           /* the answer goes here when not NULL (2xx only) */
	uint64_t max_answer; /* 0: SYNC_ANSWER_MAX */
	long connect_timeout_ms;
	long stall_timeout_ms;
	void *curl;                 /* a CURL easy handle to reuse (keep-alive), or NULL */
	const volatile int *cancel; /* non-zero aborts the transfer (-ECANCELED) */
};
/* Performs @req. 0 when an HTTP answer arrived (any status: look at @res->status), or a
 * negative errno for the transport (res->error says which). Free res->body. */
int sync_http_do(const struct sync_http_request *req, struct sync_http *res);
void sync_http_finish(struct sync_http *res);
