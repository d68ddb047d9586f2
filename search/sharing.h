/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * sharing.h: disclosures to other agencies. Nothing leaves the agency by default: a
 * disclosure needs a sharing agreement (a JSON object signed with the agency's Ed25519 key:
 * recipient, recipient type, the recipient's X25519 public key, allowed purposes and data
 * classes, expiry), a recipient type the profile does not forbid, and a purpose-bound request
 * by an investigator. Each disclosure is one request, written as one file encrypted to the
 * recipient's key (X25519, HKDF-SHA-256, AES-256-GCM), and one audit record (action
 * "disclose"); a refused request is audited too. Formats: docs/search.md, "Sharing".
 *
 * Ownership: plain structs, no allocation except sharing_open()'s output.
 * Errors: 0 or a negative errno; -ALPR_E_SIGNATURE (an agreement that does not verify),
 * -ALPR_E_PARSE (a malformed agreement or key), -ALPR_E_REFUSED (refused and audited, the
 * one line in @reason), -ALPR_E_CORRUPT (a disclosure file that does not decrypt).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "policy.h"
#include "store.h"

#define SHARING_ACTION_DISCLOSE "disclose"

#define SHARING_ID_MAX        63  /* agreement id: [A-Za-z0-9._-] */
#define SHARING_RECIPIENT_MAX 127 /* the recipient agency's name */
#define SHARING_PURPOSES_MAX  16
#define SHARING_IDS_MAX       1000 /* reads in one disclosure: one request, not a feed */

struct sharing_agreement {
	char id[SHARING_ID_MAX + 1];
	char recipient[SHARING_RECIPIENT_MAX + 1];
	enum policy_recipient type;
	uint8_t recipient_key[32]; /* X25519 public key, raw */
	char purposes[SHARING_PURPOSES_MAX][POLICY_PURPOSE_ID_MAX + 1];
	size_t npurposes;
	bool classes[POLICY_CLASS_COUNT]; /* which data classes may be disclosed (read, hit) */
	int64_t issued_us, expires_us;
};

/* Makes a key pair: "ed25519" (the agency's signing key) or "x25519" (a recipient's
 * encryption key). Private key PEM (PKCS#8, mode 0600), public key PEM. */
int sharing_keygen(const char *kind, const char *priv_path, const char *pub_path);
/* The raw 32-byte public key in a PEM public (or private) key file of @kind. */
int sharing_load_raw_pubkey(const char *kind, const char *path, uint8_t out[32]);

/* Signs @ag with the agency's Ed25519 private key and writes the agreement file. */
int sharing_agreement_write(const struct sharing_agreement *ag, const char *agency_key_path,
			    const char *path);
/* Loads an agreement and verifies its signature against the agency's public key. Expiry is
 * checked at disclosure, not here. One line in @err on failure. */
int sharing_agreement_load(const char *path, const char *agency_pub_path,
			   struct sharing_agreement *out, char *err, size_t errsz);

/* sharing_agreement_load() of the agreement in @text (@len bytes, at most 16 KiB); @name
 * stands for the file in messages. */
int sharing_agreement_parse(const char *text, size_t len, const char *name,
			    const char *agency_pub_path, struct sharing_agreement *out, char *err,
			    size_t errsz);

struct sharing_request {
	const char *user, *role, *purpose, *case_number;
	const char *const *ids; /* the reads to disclose */
	size_t nids;
	int64_t now_us; /* 0: the real clock (expiry check) */
};

/*
 * Discloses the reads @rq->ids to the agreement's recipient: checks the request (role
 * investigator, a purpose the profile allows and the agreement lists, a case number in the
 * profile's format, the recipient type not forbidden by the profile, the agreement not
 * expired, every read retained and of a data class the agreement allows, at most
 * SHARING_IDS_MAX), audits it, then writes @out_path (mode 0600) encrypted to the
 * recipient's key. A refusal is audited and returns -ALPR_E_REFUSED with one line in @reason.
 */
int sharing_disclose(struct store *s, struct audit *a, const struct policy *p,
		     const struct sharing_agreement *ag, const struct sharing_request *rq,
		     const char *out_path, char *reason, size_t reasonsz);

/* Where sharing_disclose_source() finds the read @id: 0 with *r (its crop, if any, freed by the
 * caller with store_read_finish) and *hit when *has_hit; -ENOENT when it is not held or past
 * its retention. */
typedef int (*sharing_get_fn)(void *source, const char *id, struct store_read *r,
			      struct store_hit *hit, bool *has_hit);
/* sharing_disclose() over another source of reads than a unit's store: the same checks, audit
 * record and file. The station discloses the reads it holds this way (POST /v1/export). */
int sharing_disclose_source(sharing_get_fn get, void *source, struct audit *a,
			    const struct policy *p, const struct sharing_agreement *ag,
			    const struct sharing_request *rq, const char *out_path, char *reason,
			    size_t reasonsz);

/* Audits a disclosure refused before its agreement could be used (a file that does not load
 * or verify, a malformed list of ids): one denied "disclose" record naming @agreement_path
 * and the number of ids, with @reason (one line). -ALPR_E_REFUSED once audited, or the audit
 * error. */
int sharing_refuse(struct audit *a, const struct policy *p, const struct sharing_request *rq,
		   const char *agreement_path, const char *reason);

/* The recipient's side: decrypts a disclosure file with their X25519 private key into a
 * NUL-terminated JSON text the caller frees. */
int sharing_open(const char *path, const char *recipient_key_path, char **json_out,
		 size_t *len_out);
