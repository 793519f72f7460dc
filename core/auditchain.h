/*
 * auditchain.h — the chain of the tamper-evident audit log (docs/audit.md).
 * Pure: entry bytes in, hashes, signatures and verdicts out (libsodium's
 * BLAKE2b and Ed25519). The daemon appends (daemon/audit.c); shelterctl
 * and an inspector verify with this same code and the daemon's public key.
 */
#ifndef SHELTERD_AUDIT_H
#define SHELTERD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shelterd.pb-c.h"

enum {
	AUDIT_HASH = 32,        /* BLAKE2b-256 of an entry's bytes */
	AUDIT_KEY_ID = 8,       /* of a signer's public key */
	AUDIT_CASE_HASH = 16,   /* keyed hash of a case_ref */
	AUDIT_PK = 32,          /* Ed25519 public key */
	AUDIT_SK = 64,          /* Ed25519 secret key (libsodium's form) */
	AUDIT_SIG = 64,
};

/* The hash an entry is chained by: BLAKE2b-256 of its stored bytes. */
void audit_hash(const uint8_t *entry, size_t len, uint8_t out[AUDIT_HASH]);
/* A signer's key id, as entries record it. */
void audit_key_id(const uint8_t pk[AUDIT_PK], uint8_t out[AUDIT_KEY_ID]);
/* The key case_refs are hashed with, derived from the daemon's secret key
 * (so that a file given to an inspector cannot be tried against guessed
 * case_refs), and the hash itself. */
void audit_case_key(const uint8_t sk[AUDIT_SK], uint8_t key[32]);
void audit_case_hash(const uint8_t key[32], const char *case_ref,
    uint8_t out[AUDIT_CASE_HASH]);

/* Sign a head (seq and hash set) with sk: fills public_key and signature
 * into the caller's buffers pk and sig, which the head then points to. */
void audit_head_sign(Shelterd__V1__AuditHead *head, const uint8_t sk[AUDIT_SK],
    uint8_t pk[AUDIT_PK], uint8_t sig[AUDIT_SIG]);
/* 0 when head's signature is by pk (or, pk NULL, by the key the head
 * names); -1 otherwise. */
int audit_head_check(const Shelterd__V1__AuditHead *head,
    const uint8_t *pk);

/*
 * Walk a chain entry by entry: audit_verify_start, then audit_verify_entry
 * for each stored entry in key order, then audit_verify_end with the head.
 * The first problem is kept, with the seq of the entry it names: the one
 * changed (its hash is not what the next entry or the head records), the
 * one missing, or the one out of place.
 */
struct audit_verify {
	uint64_t next_seq;          /* what the next entry must be */
	uint8_t prev[AUDIT_HASH];   /* hash of the last entry seen */
	uint64_t n;                 /* entries seen */
	bool bad;
	uint64_t bad_seq;           /* the entry named */
	char why[256];
};

/* first_seq: 1 for a whole chain; an export starts where it starts and
 * takes its first entry's prev as given (prev NULL). */
void audit_verify_start(struct audit_verify *v, uint64_t first_seq,
    const uint8_t *prev);
/* key_seq: the seq the entry is stored under (an export: its place).
 * 0, or -1 once something is wrong (later calls are ignored). */
int audit_verify_entry(struct audit_verify *v, uint64_t key_seq,
    const uint8_t *bytes, size_t len);
/* The head must cover the last entry seen and be signed by pk (NULL: by
 * the key it names, which proves nothing about who made it: pin it).
 * head NULL: none was found. 0 or -1. */
int audit_verify_end(struct audit_verify *v,
    const Shelterd__V1__AuditHead *head, const uint8_t *pk);

#endif
