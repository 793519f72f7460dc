/*
 * reply.c — pack a reply into the message whose header routes it back.
 */
#include "reply.h"

#include <stdlib.h>

#include "log.h"

void
api_pack_msg(nng_msg *msg, const Shelterd__V1__Reply *reply)
{
	size_t len = shelterd__v1__reply__get_packed_size(reply);

	/* Clearing keeps the header: it routes the reply to its requester. */
	nng_msg_clear(msg);
	REQUIRE(nng_msg_realloc(msg, len) == 0);
	shelterd__v1__reply__pack(reply, nng_msg_body(msg));
}

void
api_pack(struct item *it, Shelterd__V1__Reply *reply)
{
	reply->code = (Shelterd__V1__Code)op_wire_code(&it->res);
	reply->error = it->res.msg;
	api_pack_msg(it->msg, reply);
	it->packed = true;
}
