/*
 * admit.h — which connections a socket takes: at most `max_total` at once,
 * and at most `max_per_peer` from one peer address, so that one flooding
 * host cannot take every slot from the others.
 *
 * It counts what it admitted, never what was announced: a connection is
 * counted from admit_pipe() returning 0 until admit_release() of the same
 * pipe, and releasing a pipe it refused (nng tells of the removal of every
 * pipe it announced, also of those closed at once) changes nothing.
 *
 * A peer is an IPv4 address, or the /64 prefix of an IPv6 address (one
 * host commonly holds a whole /64). Pure: no locks; the caller serializes.
 */
#ifndef SHELTERD_ADMIT_H
#define SHELTERD_ADMIT_H

#include <stdbool.h>
#include <stdint.h>

enum {
	ADMIT_PEER_BYTES = 16,
	ADMIT_OK = 0,
	ADMIT_FULL = 1,       /* max_total connections */
	ADMIT_PEER_FULL = 2,  /* max_per_peer from this peer */
};

struct admit;

/* max_per_peer 0: no cap per peer. secret keys the hash (16 bytes). NULL
 * when out of memory. */
struct admit *admit_new(uint32_t max_total, uint32_t max_per_peer,
    const uint8_t secret[16]);
void admit_free(struct admit *a);

/* The peer key of an IPv4 address (network order, 4 bytes) or an IPv6
 * one (16 bytes); any other address family: all zero (one shared peer). */
void admit_peer_v4(const uint8_t addr[4], uint8_t peer[ADMIT_PEER_BYTES]);
void admit_peer_v6(const uint8_t addr[16], uint8_t peer[ADMIT_PEER_BYTES]);

/* ADMIT_OK (counted), ADMIT_FULL or ADMIT_PEER_FULL (refused: close it).
 * A pipe id already admitted is refused as ADMIT_FULL. */
int admit_pipe(struct admit *a, uint32_t pipe_id,
    const uint8_t peer[ADMIT_PEER_BYTES], bool per_peer);
/* The pipe is gone; true when it had been admitted. */
bool admit_release(struct admit *a, uint32_t pipe_id);

uint32_t admit_count(const struct admit *a);
uint32_t admit_peer_count(const struct admit *a,
    const uint8_t peer[ADMIT_PEER_BYTES]);

#endif
