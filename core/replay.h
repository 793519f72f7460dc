/*
 * replay.h — the nonces each signer has used inside the time window, so
 * that a captured signed request is refused when it comes again.
 *
 * Each signer has a table of its own, keyed by a hash with a secret made
 * at start (SipHash, libsodium's crypto_shorthash): a signer can neither
 * grind a nonce into another signer's slots nor fill them, and at most
 * `quota` of its own unexpired nonces are kept, so a flooding key only
 * ever refuses itself. Tables are grown on demand: memory is about 32
 * bytes per remembered nonce, at most `quota` nonces per signer that
 * sends. Only verified signers should be remembered (the number of
 * signers is then bounded by the registry's keys).
 *
 * Pure: no I/O, no clock (callers pass `now`). Not thread-safe.
 */
#ifndef SHELTERD_REPLAY_H
#define SHELTERD_REPLAY_H

#include <stddef.h>
#include <stdint.h>

enum { REPLAY_SECRET_BYTES = 16 };

struct replay;

/* NULL when out of memory. quota: unexpired nonces per signer, >= 1. */
struct replay *replay_new(const uint8_t secret[REPLAY_SECRET_BYTES],
    uint32_t quota);
void replay_free(struct replay *r);

/* 1 when (signer, nonce) is remembered and not expired at now, else 0. */
int replay_seen(const struct replay *r, const char *signer, uint64_t nonce,
    int64_t now);

/*
 * Remember (signer, nonce) until `until` (forgotten once now > until).
 * 0: remembered; 1: already remembered and unexpired (a replay); -1: the
 * signer already holds `quota` unexpired nonces (refuse it: BUSY), or out
 * of memory. Other signers are never affected.
 */
int replay_remember(struct replay *r, const char *signer, uint64_t nonce,
    int64_t now, int64_t until);

/* Unexpired nonces of a signer at now (tests, metrics). */
size_t replay_count(const struct replay *r, const char *signer,
    int64_t now);

#endif
