/*
 * auth.c — who sent a request. nng 1.5.2 cannot tell the daemon which
 * certificate a TLS peer presented (NNG_OPT_TLS_PEER_CN came in 1.6), so
 * identity is proven inside the message: an Ed25519 signature (libsodium)
 * over the request bytes, the signer's identity, a timestamp and a nonce,
 * checked against the public key in the registry's keys.csv.
 *
 * Replays: a timestamp outside [security] max_clock_skew_secs is refused,
 * and a (signer, nonce) seen inside the window is refused. The cache of
 * seen nonces is in memory, so a replay within the window right after a
 * restart is not caught here — the requests themselves are idempotent
 * (seq, request_id, acknowledged alerts), so it is still not applied twice.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "auth.h"
#include "log.h"
#include "util.h"
#include "ctx.h"
#include "ops.h"
#include "wirecheck.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

struct seen {
	uint64_t key;   /* hash of signer and nonce; 0: empty */
	int64_t until;  /* forget after this time */
};

struct auth {
	struct seen *slots;
	size_t mask;    /* capacity - 1, a power of two */
};

int
auth_init(struct ctx *s)
{
	size_t cap = 1;

	if (sodium_init() < 0) {
		log_err("libsodium cannot initialise");
		return -1;
	}
	while (cap < s->cfg->replay_cache)
		cap <<= 1;
	s->auth = calloc(1, sizeof(*s->auth));
	REQUIRE(s->auth != NULL);
	s->auth->slots = calloc(cap, sizeof(*s->auth->slots));
	REQUIRE(s->auth->slots != NULL);
	s->auth->mask = cap - 1;
	return 0;
}

void
auth_deinit(struct ctx *s)
{
	if (s->auth != NULL)
		free(s->auth->slots);
	free(s->auth);
	s->auth = NULL;
}

static uint64_t
seen_key(const char *signer, uint64_t nonce)
{
	uint8_t h[8];
	uint64_t k = 0;

	/* A keyed hash would be stronger; this only has to spread. */
	crypto_generichash(h, sizeof(h), (const uint8_t *)signer,
	    strlen(signer), (const uint8_t *)&nonce, sizeof(nonce));
	memcpy(&k, h, sizeof(k));
	return k ? k : 1;
}

/* 0: first time; 1: a replay; -1: the cache is full (refuse, BUSY). */
static int
remember(struct auth *a, uint64_t key, int64_t now, int64_t until)
{
	size_t i = key & a->mask;

	for (size_t probe = 0; probe < 64; probe++, i = (i + 1) & a->mask) {
		struct seen *e = &a->slots[i];

		if (e->key == key && e->until >= now)
			return 1;
		if (e->key == 0 || e->until < now) {
			e->key = key;
			e->until = until;
			return 0;
		}
	}
	return -1;
}

/*
 * Decode a Request and check every string in it (core/wirecheck.c): the
 * one place the daemon turns peer bytes into a Request.
 */
static int
decode_request(const uint8_t *buf, size_t len, Shelterd__V1__Request **req,
    char *err, size_t errlen)
{
	if ((*req = shelterd__v1__request__unpack(NULL, len, buf)) == NULL) {
		snprintf(err, errlen, "not a shelterd.v1.Request (%zu bytes "
		    "that do not decode)", len);
		return CODE(BAD_REQUEST);
	}
	if (wirecheck_strings(&shelterd__v1__request__descriptor, buf, len,
	    err, errlen) != 0) {
		shelterd__v1__request__free_unpacked(*req, NULL);
		*req = NULL;
		return CODE(BAD_REQUEST);
	}
	return 0;
}

#define REFUSE(code, ...)                               \
	do {                                            \
		snprintf(err, errlen, __VA_ARGS__);     \
		rc = CODE(code);                        \
		goto out;                               \
	} while (0)

int
auth_open(struct ctx *s, const uint8_t *buf, size_t len,
    Shelterd__V1__Request **req, struct identity *id, char *err,
    size_t errlen, int64_t now)
{
	Shelterd__V1__SignedRequest *env;
	const struct reg_key *key;
	int64_t skew = s->cfg->max_clock_skew_secs;
	uint8_t *msg = NULL, be[8];
	char signer[64];
	size_t slen, n;
	int rc = 0, seen;

	*req = NULL;
	memset(id, 0, sizeof(*id));
	env = shelterd__v1__signed_request__unpack(NULL, len, buf);
	if (env == NULL || env->signed_request.len == 0) {
		/* Not an envelope: a plain Request. */
		if (env != NULL)
			shelterd__v1__signed_request__free_unpacked(env, NULL);
		if (!s->cfg->allow_unsigned) {
			snprintf(err, errlen, "requests must be signed: give "
			    "the client its key (--key FILE)");
			return CODE(UNAUTHENTICATED);
		}
		return decode_request(buf, len, req, err, errlen);
	}
	/* The signer is peer bytes until its key has checked them. */
	wirecheck_escape(env->signer, strlen(env->signer), signer,
	    sizeof(signer));
	if (authz_parse(env->signer, id) != 0)
		REFUSE(UNAUTHENTICATED, "signer '%s' is not shelter:ID, "
		    "region:ID, national or operator", signer);
	if ((key = registry_key(s->reg, env->signer)) == NULL)
		REFUSE(UNAUTHENTICATED, "unknown signer '%s': no public key "
		    "in the registry", signer);
	if (env->timestamp < now - skew || env->timestamp > now + skew)
		REFUSE(UNAUTHENTICATED, "timestamp %lld is more than %lld s "
		    "from the daemon's clock (%lld): check the clock, or this "
		    "is a replay", (long long)env->timestamp, (long long)skew,
		    (long long)now);
	if (env->signature.len != crypto_sign_BYTES)
		REFUSE(UNAUTHENTICATED, "signature must be %d bytes",
		    crypto_sign_BYTES);
	/* The signed bytes, as docs/security.md and the proto describe. */
	slen = strlen(env->signer);
	n = 12 + slen + 1 + 16 + env->signed_request.len;
	msg = malloc(n);
	REQUIRE(msg != NULL);
	memcpy(msg, "shelterd.v1", 12);
	memcpy(msg + 12, env->signer, slen + 1);
	util_put_be64(be, (uint64_t)env->timestamp);
	memcpy(msg + 13 + slen, be, 8);
	util_put_be64(be, env->nonce);
	memcpy(msg + 21 + slen, be, 8);
	memcpy(msg + 29 + slen, env->signed_request.data,
	    env->signed_request.len);
	if (crypto_sign_verify_detached(env->signature.data, msg, n,
	    key->public_key) != 0)
		REFUSE(UNAUTHENTICATED, "bad signature for %s: signed with "
		    "another key, or altered on the way", signer);
	seen = remember(s->auth, seen_key(env->signer, env->nonce), now,
	    env->timestamp + skew);
	if (seen == 1)
		REFUSE(UNAUTHENTICATED, "replayed request (nonce already seen "
		    "from %s): not applied", signer);
	if (seen < 0)
		REFUSE(BUSY, "too many signed requests in the replay window; "
		    "try again");
	rc = decode_request(env->signed_request.data,
	    env->signed_request.len, req, err, errlen);
out:
	free(msg);
	shelterd__v1__signed_request__free_unpacked(env, NULL);
	if (rc != 0 && rc != CODE(BAD_REQUEST))
		memset(id, 0, sizeof(*id));
	return rc;
}
