#include "auditchain.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define HEAD_DOMAIN "shelterd.audit.v1"
#define CASE_DOMAIN "shelterd.audit.case_ref.v1"

void
audit_hash(const uint8_t *entry, size_t len, uint8_t out[AUDIT_HASH])
{
	crypto_generichash(out, AUDIT_HASH, entry, len, NULL, 0);
}

void
audit_key_id(const uint8_t pk[AUDIT_PK], uint8_t out[AUDIT_KEY_ID])
{
	crypto_generichash(out, AUDIT_KEY_ID, pk, AUDIT_PK, NULL, 0);
}

void
audit_case_key(const uint8_t sk[AUDIT_SK], uint8_t key[32])
{
	/* The domain as the key: a different use of sk, never the same
	 * bytes as anything signed. */
	crypto_generichash(key, 32, sk, AUDIT_SK,
	    (const uint8_t *)CASE_DOMAIN, sizeof(CASE_DOMAIN) - 1);
}

void
audit_case_hash(const uint8_t key[32], const char *case_ref,
    uint8_t out[AUDIT_CASE_HASH])
{
	crypto_generichash(out, AUDIT_CASE_HASH, (const uint8_t *)case_ref,
	    strlen(case_ref), key, 32);
}

/* "shelterd.audit.v1\0", seq big-endian, hash. */
enum { HEAD_MSG = sizeof(HEAD_DOMAIN) + 8 + AUDIT_HASH };

static int
head_message(const Shelterd__V1__AuditHead *h, uint8_t out[HEAD_MSG])
{
	uint64_t seq = h->seq;

	if (h->hash.len != AUDIT_HASH)
		return -1;
	memcpy(out, HEAD_DOMAIN, sizeof(HEAD_DOMAIN));
	for (int i = 7; i >= 0; i--, seq >>= 8)
		out[sizeof(HEAD_DOMAIN) + i] = (uint8_t)seq;
	memcpy(out + sizeof(HEAD_DOMAIN) + 8, h->hash.data, AUDIT_HASH);
	return 0;
}

void
audit_head_sign(Shelterd__V1__AuditHead *head, const uint8_t sk[AUDIT_SK],
    uint8_t pk[AUDIT_PK], uint8_t sig[AUDIT_SIG])
{
	uint8_t msg[HEAD_MSG];

	head->public_key.len = 0;
	head->signature.len = 0;
	if (head_message(head, msg) != 0)
		return;
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	head->public_key.data = pk;
	head->public_key.len = AUDIT_PK;
	head->signature.data = sig;
	head->signature.len = AUDIT_SIG;
}

int
audit_head_check(const Shelterd__V1__AuditHead *head, const uint8_t *pk)
{
	uint8_t msg[HEAD_MSG];

	if (pk == NULL) {
		if (head->public_key.len != AUDIT_PK)
			return -1;
		pk = head->public_key.data;
	}
	if (head->signature.len != AUDIT_SIG || head_message(head, msg) != 0)
		return -1;
	return crypto_sign_verify_detached(head->signature.data, msg,
	    sizeof(msg), pk) == 0 ? 0 : -1;
}

static int
verdict(struct audit_verify *v, uint64_t seq, const char *fmt,
    unsigned long long a, unsigned long long b)
{
	v->bad = true;
	v->bad_seq = seq;
	snprintf(v->why, sizeof(v->why), fmt, a, b);
	return -1;
}

void
audit_verify_start(struct audit_verify *v, uint64_t first_seq,
    const uint8_t *prev)
{
	memset(v, 0, sizeof(*v));
	v->next_seq = first_seq;
	if (prev != NULL)
		memcpy(v->prev, prev, AUDIT_HASH);
	else
		v->next_seq |= 1ull << 63; /* take the first prev as given */
}

int
audit_verify_entry(struct audit_verify *v, uint64_t key_seq,
    const uint8_t *bytes, size_t len)
{
	Shelterd__V1__AuditEntry *e;
	bool given = v->next_seq >> 63;
	uint64_t want = v->next_seq & ~(1ull << 63);
	int rc = 0;

	if (v->bad)
		return -1;
	if (key_seq != want) {
		/* Keys run 1, 2, ...: a gap is an entry taken out. */
		return key_seq > want ?
		    verdict(v, want, "entry %llu is missing (the next "
		    "stored is %llu)", want, key_seq) :
		    verdict(v, key_seq, "entry %llu is stored twice or out "
		    "of order (%llu expected)", key_seq, want);
	}
	if ((e = shelterd__v1__audit_entry__unpack(NULL, len,
	    bytes)) == NULL)
		return verdict(v, key_seq, "entry %llu does not decode (%llu "
		    "bytes): it was changed", key_seq, len);
	if (e->seq != key_seq)
		rc = verdict(v, key_seq, "entry %llu holds entry %llu: "
		    "entries were moved or reordered", key_seq, e->seq);
	else if (e->prev.len != AUDIT_HASH)
		rc = verdict(v, key_seq, "entry %llu has no link to entry "
		    "%llu: it was changed", key_seq, key_seq - 1);
	else if (!given && sodium_memcmp(e->prev.data, v->prev,
	    AUDIT_HASH) != 0)
		/* The link is in this entry, the change in the one before:
		 * its bytes no longer hash to what was recorded. */
		rc = verdict(v, key_seq - 1, "entry %llu was changed: its "
		    "hash is not the one entry %llu records", key_seq - 1,
		    key_seq);
	shelterd__v1__audit_entry__free_unpacked(e, NULL);
	if (rc != 0)
		return rc;
	audit_hash(bytes, len, v->prev);
	v->next_seq = key_seq + 1;
	v->n++;
	return 0;
}

int
audit_verify_end(struct audit_verify *v,
    const Shelterd__V1__AuditHead *head, const uint8_t *pk)
{
	uint64_t last = (v->next_seq & ~(1ull << 63)) - 1;

	if (v->bad)
		return -1;
	if (head == NULL)
		return v->n == 0 ? 0 : verdict(v, last, "no signed head: "
		    "entry %llu (the last) is vouched for by nothing", last,
		    0);
	if (head->seq > last)
		return verdict(v, last + 1, "entry %llu is missing: the "
		    "signed head covers %llu", last + 1, head->seq);
	if (head->seq < last)
		return verdict(v, head->seq + 1, "entry %llu was added "
		    "after the last signed head (%llu)", head->seq + 1,
		    head->seq);
	if (v->n > 0 && (head->hash.len != AUDIT_HASH ||
	    sodium_memcmp(head->hash.data, v->prev, AUDIT_HASH) != 0))
		return verdict(v, last, "entry %llu was changed: its hash is "
		    "not the one the signed head records", last, 0);
	if (head->signature.len == 0)
		return verdict(v, last, "the head (entry %llu) is not "
		    "signed: give the daemon a key ([security] daemon_key)",
		    last, 0);
	if (audit_head_check(head, pk) != 0)
		return verdict(v, last, "the head's signature (entry %llu) "
		    "is not the daemon's: the log was rewritten", last, 0);
	return 0;
}
