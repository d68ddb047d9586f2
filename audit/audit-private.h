/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * audit-private.h: what the audit tests may poke. The tests play an attacker who rewrites the
 * LMDB file directly, so they need the database names and the record codec. Not for
 * production callers: use audit.h.
 */
#pragma once

#include "audit.h"

/* LMDB layout (docs/audit-format.md). */
#define AUDIT_DB_RECORDS     "records"
#define AUDIT_DB_CHECKPOINTS "checkpoints"
#define AUDIT_DB_META        "meta"
#define AUDIT_MAX_DBS        4

#define AUDIT_RECORD_VERSION 1
/* Fixed part of an encoded record, then nine length-prefixed text fields. */
#define AUDIT_RECORD_FIXED 123
#define AUDIT_RECORD_TEXTS 9
/* The largest encoded record. */
#define AUDIT_RECORD_MAX                                                                           \
	(AUDIT_RECORD_FIXED + AUDIT_RECORD_TEXTS * 4 + AUDIT_DEVICE_MAX + 7 * AUDIT_TEXT_MAX +     \
	 AUDIT_PARAMS_MAX)

/* A decoded record: the struct and the NUL-terminated copies of its strings. */
struct audit_decoded {
	struct audit_record rec;
	char text[AUDIT_RECORD_MAX + AUDIT_RECORD_TEXTS];
};

/* Encodes @rec (every field, including those the log fills) into @buf. 0 and *len, or
 * -EINVAL (a field over its cap, not UTF-8, or an enum out of range). */
int audit_record_encode(const struct audit_record *rec, uint8_t *buf, size_t cap, size_t *len);
/* Strict decoding: the whole of @data, every length within its cap, text UTF-8. 0 or
 * -ALPR_E_CORRUPT, with a short reason in @why (may be NULL). */
int audit_record_decode(const uint8_t *data, size_t len, struct audit_decoded *out,
			const char **why);
/* SHA-256 of @len bytes. */
void audit_sha256(const void *data, size_t len, uint8_t out[AUDIT_HASH_LEN]);
/* Big-endian sequence keys. */
void audit_seq_key(uint64_t seq, uint8_t key[8]);
