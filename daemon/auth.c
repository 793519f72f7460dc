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
#include "replay.h"
#include "wirecheck.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

struct auth {
	struct replay *cache;
};

int
auth_init(struct ctx *s)
{
	uint8_t secret[REPLAY_SECRET_BYTES];

	if (sodium_init() < 0) {
		log_err("libsodium cannot initialise");
		return -1;
	}
	/* Made at start and never shown: nobody can aim a nonce at a slot. */
	randombytes_buf(secret, sizeof(secret));
	s->auth = calloc(1, sizeof(*s->auth));
	REQUIRE(s->auth != NULL);
	s->auth->cache = replay_new(secret, s->cfg->replay_cache);
	sodium_memzero(secret, sizeof(secret));
	REQUIRE(s->auth->cache != NULL);
	return 0;
}

void
auth_deinit(struct ctx *s)
{
	if (s->auth != NULL)
		replay_free(s->auth->cache);
	free(s->auth);
	s->auth = NULL;
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
    Shelterd__V1__Request **req, struct identity *id,
    struct auth_nonce *nonce, char *err, size_t errlen, int64_t now)
{
	Shelterd__V1__SignedRequest *env;
	const struct reg_key *key;
	int64_t skew = s->cfg->max_clock_skew_secs;
	uint8_t *msg = NULL, be[8];
	char signer[64], canon[48];
	size_t slen, n;
	int rc = 0;

	*req = NULL;
	memset(id, 0, sizeof(*id));
	memset(nonce, 0, sizeof(*nonce));
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
	/* The same name auth_remember() files it under. */
	authz_format(id, canon, sizeof(canon));
	if (replay_seen(s->auth->cache, canon, env->nonce, now))
		REFUSE(UNAUTHENTICATED, "replayed request (nonce already seen "
		    "from %s): not applied", signer);
	/* Remembered by auth_remember() once the role check passed: a
	 * refused request must not use up its signer's quota, nor anyone's. */
	nonce->nonce = env->nonce;
	nonce->until = env->timestamp + skew;
	rc = decode_request(env->signed_request.data,
	    env->signed_request.len, req, err, errlen);
out:
	free(msg);
	shelterd__v1__signed_request__free_unpacked(env, NULL);
	if (rc != 0 && rc != CODE(BAD_REQUEST))
		memset(id, 0, sizeof(*id));
	if (rc != 0)
		memset(nonce, 0, sizeof(*nonce));
	return rc;
}

int
auth_remember(struct ctx *s, const struct identity *id,
    const struct auth_nonce *nonce, char *err, size_t errlen, int64_t now)
{
	char signer[48];
	int rc;

	if (nonce->until == 0)
		return 0; /* unsigned: the loopback demo */
	authz_format(id, signer, sizeof(signer));
	rc = replay_remember(s->auth->cache, signer, nonce->nonce, now,
	    nonce->until);
	if (rc == 1) {
		/* Twice in one batch: the first one was just remembered. */
		snprintf(err, errlen, "replayed request (nonce already seen "
		    "from %s): not applied", signer);
		return CODE(UNAUTHENTICATED);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s sent more than %u signed requests "
		    "in the replay window ([security] replay_cache, %u s): "
		    "try again later", signer, s->cfg->replay_cache,
		    s->cfg->max_clock_skew_secs);
		return CODE(BUSY);
	}
	return 0;
}
