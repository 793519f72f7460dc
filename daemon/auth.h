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

int auth_init(struct ctx *s);
void auth_deinit(struct ctx *s);
/* Decode a plain or signed request; 0 or a CODE with the reason in err. */
int auth_open(struct ctx *s, const uint8_t *buf, size_t len,
    Shelterd__V1__Request **req, struct identity *id, char *err,
    size_t errlen, int64_t now);

#endif
