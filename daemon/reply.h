/*
 * reply.h — packing a reply into the message that routes it back. A leaf:
 * every verb's module packs its own reply (it points into the module's
 * stack), with the item's result as code and error.
 */
#ifndef SHELTERD_REPLY_H
#define SHELTERD_REPLY_H

#include <nng/nng.h>

#include "ops.h"
#include "shelterd.pb-c.h"

/* Pack reply into it->msg with the item's result as code and error;
 * marks the item packed. */
void api_pack(struct item *it, Shelterd__V1__Reply *reply);
/* Pack reply into msg as it is (replies made outside a batch). */
void api_pack_msg(nng_msg *msg, const Shelterd__V1__Reply *reply);

#endif
