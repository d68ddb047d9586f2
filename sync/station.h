/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * station.h: the station server (alpr-station serve), as a library so that the executable
 * stays thin and the benchmark can run one in-process.
 *
 * A station folder holds:
 *   tls/        the CA (ca.pem, ca-key.pem) and the server certificate (sync_ca_init)
 *   db/         LMDB: received reads, crops, their expiry index, per-unit records
 *   hotlist/    the hotlist database (hotlist.h), fed by publishing
 *   hotlist-key.pem, hotlist-pub.pem   the station's signing key for the deltas it serves
 *   publisher-pub.pem                  the administrators' key: published deltas must verify
 *   deltas/     signed deltas and snapshots already served, by (list, from, to)
 *
 * Threads: one connection per thread (libmicrohttpd); LMDB serialises writes. station_stop
 * waits for every request in flight.
 */
#pragma once

#include <stdint.h>

#include "policy.h"
#include "sync.h"

struct station_options {
	const char *dir;                /* the station folder; required */
	const char *listen_addr;        /* IPv4 or IPv6 literal; NULL: 127.0.0.1 */
	uint16_t port;                  /* 0: any free port (see station_port) */
	const struct policy *policy;    /* retention and refused categories; borrowed */
	const struct alpr_clock *clock; /* NULL: real time; borrowed */
	size_t body_max;                /* request body cap (413 above); 0: SYNC_BODY_MAX */
	size_t map_size;                /* LMDB map of db/; 0: 64 GiB (sparse) */
};

struct station;

/* Makes the folder's CA, server certificate and hotlist signing key when missing (the first
 * run). @hosts as sync_ca_init(). */
int station_init(const char *dir, const char *const *hosts, size_t nhosts);
/* Opens the folder (station_init first) and starts serving HTTPS. */
int station_start(const struct station_options *opts, struct station **out);
uint16_t station_port(const struct station *s);
/* Stops serving and closes; NULL is a no-op. */
void station_stop(struct station *s);
/* Removes stored reads and crops past their deadline; *purged (may be NULL) counts reads. */
int station_purge(struct station *s, uint64_t *purged);
