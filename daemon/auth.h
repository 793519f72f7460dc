/*
 * auth.h — who sent a request: the signature against the registry's
 * public keys, the time window and the replay cache (docs/security.md).
 */
#ifndef SHELTERD_AUTH_H
#define SHELTERD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "authz.h"
#include "shelterd.pb-c.h"

struct ctx;

/* A verified signed request's nonce, remembered once it is authorized. */
struct auth_nonce {
	uint64_t nonce;
	int64_t until;  /* 0: not signed (nothing to remember) */
};

int auth_init(struct ctx *s);
void auth_deinit(struct ctx *s);
/*
 * Decode a plain or signed request: signature, time window, and a replay
 * of a nonce already remembered is refused. 0 or a CODE with the reason in
 * err; on 0, *nonce is what auth_remember() must record.
 */
int auth_open(struct ctx *s, const uint8_t *buf, size_t len,
    Shelterd__V1__Request **req, struct identity *id,
    struct auth_nonce *nonce, char *err, size_t errlen, int64_t now);
/*
 * Remember the nonce of a request that passed the role check (only then:
 * requests refused as FORBIDDEN must not fill the cache). 0; or
 * UNAUTHENTICATED (the same nonce earlier in this batch) or BUSY (the
 * signer's own quota is full) with the reason in err.
 */
int auth_remember(struct ctx *s, const struct identity *id,
    const struct auth_nonce *nonce, char *err, size_t errlen, int64_t now);

#endif
