/*
 * audit.c — the audit log in the store (docs/audit.md).
 *
 * db "audit": seq (big-endian u64) -> a packed AuditEntry; meta
 * "audit_head" -> a packed AuditHead: the last seq, its hash and the
 * daemon's signature. An entry is written in the txn of what it records,
 * so it is there exactly when that is: an aborted nested txn takes its
 * entries with it. The head is read from the txn for every entry (never
 * cached), for the same reason, and signed again: one Ed25519 signature
 * (~50 µs) per placement step or acknowledgement, which are few.
 *
 * What it holds is no one's personal data: ids of requests, shelters and
 * regions, the decision, and a case_ref only as a hash keyed by the
 * daemon's secret, so that the exported file cannot be tried against
 * guessed case_refs and blanking a case_ref after retention leaves the
 * chain whole.
 */
#include "audit.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auditchain.h"
#include "ctx.h"
#include "log.h"
#include "names.h"
#include "placement.h"
#include "reply.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x
#define KIND(x) SHELTERD__V1__AUDIT_KIND__AUDIT_KIND_##x

struct audit {
	bool has_key;
	uint8_t sk[AUDIT_SK];
	uint8_t pk[AUDIT_PK];
	uint8_t case_key[32];
};

static const MDB_val head_key = { 10, (void *)"audit_head" };
static const MDB_val registry_key_name = { 14, (void *)"audit_registry" };

/* ---- the daemon's key ---------------------------------------------- */

/* A keygen key file: "identity daemon" and "secret <128 hex digits>". */
static int
load_key(struct audit *a, const char *path)
{
	char line[512], hex[2 * AUDIT_SK + 1];
	bool ok = false;
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		log_err("[security] daemon_key %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "secret %128s", hex) == 1 &&
		    sodium_hex2bin(a->sk, sizeof(a->sk), hex, strlen(hex),
		    NULL, &n, NULL) == 0 && n == sizeof(a->sk))
			ok = true;
	fclose(f);
	sodium_memzero(line, sizeof(line));
	sodium_memzero(hex, sizeof(hex));
	if (!ok) {
		log_err("[security] daemon_key %s holds no 'secret' line of "
		    "%d hex digits: make one with keygen", path,
		    2 * AUDIT_SK);
		return -1;
	}
	crypto_sign_ed25519_sk_to_pk(a->pk, a->sk);
	audit_case_key(a->sk, a->case_key);
	a->has_key = true;
	return 0;
}

/* ---- appending ------------------------------------------------------ */

static void
be64(uint64_t v, uint8_t out[8])
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

/* The head as stored: seq 0 and a zero hash when there is none. */
static int
get_head(struct ctx *s, MDB_txn *txn, uint64_t *seq, uint8_t hash[AUDIT_HASH])
{
	Shelterd__V1__AuditHead *h;
	MDB_val k = head_key, v;
	int rc = mdb_get(txn, s->store->meta, &k, &v);

	*seq = 0;
	memset(hash, 0, AUDIT_HASH);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return store_error(rc);
	h = shelterd__v1__audit_head__unpack(NULL, v.mv_size, v.mv_data);
	if (h == NULL || h->hash.len != AUDIT_HASH) {
		if (h != NULL)
			shelterd__v1__audit_head__free_unpacked(h, NULL);
		return STORE_ECORRUPT;
	}
	*seq = h->seq;
	memcpy(hash, h->hash.data, AUDIT_HASH);
	shelterd__v1__audit_head__free_unpacked(h, NULL);
	return 0;
}

static int
put_head(struct ctx *s, MDB_txn *txn, uint64_t seq,
    const uint8_t hash[AUDIT_HASH], int64_t now)
{
	Shelterd__V1__AuditHead h = SHELTERD__V1__AUDIT_HEAD__INIT;
	uint8_t pk[AUDIT_PK], sig[AUDIT_SIG], buf[256];
	MDB_val k = head_key, v;

	h.seq = seq;
	h.hash.data = (uint8_t *)hash;
	h.hash.len = AUDIT_HASH;
	h.at = now;
	if (s->audit->has_key)
		audit_head_sign(&h, s->audit->sk, pk, sig);
	REQUIRE(shelterd__v1__audit_head__get_packed_size(&h) <= sizeof(buf));
	v.mv_size = shelterd__v1__audit_head__pack(&h, buf);
	v.mv_data = buf;
	return store_error(mdb_put(txn, s->store->meta, &k, &v, 0));
}

/* Give e its seq, time and link, store it and sign the new head. */
static int
append(struct ctx *s, MDB_txn *txn, Shelterd__V1__AuditEntry *e, int64_t now)
{
	uint8_t prev[AUDIT_HASH], hash[AUDIT_HASH], key[8], *buf;
	uint64_t seq;
	size_t len;
	MDB_val k = { sizeof(key), key }, v;
	int rc;

	if ((rc = get_head(s, txn, &seq, prev)) != 0)
		return rc;
	e->seq = seq + 1;
	e->at = now;
	e->prev.data = prev;
	e->prev.len = AUDIT_HASH;
	len = shelterd__v1__audit_entry__get_packed_size(e);
	buf = malloc(len ? len : 1);
	REQUIRE(buf != NULL);
	shelterd__v1__audit_entry__pack(e, buf);
	be64(e->seq, key);
	v.mv_size = len;
	v.mv_data = buf;
	/* Append-only: a seq that exists already is a corrupt head. */
	rc = mdb_put(txn, s->store->audit, &k, &v, MDB_NOOVERWRITE);
	audit_hash(buf, len, hash);
	free(buf);
	if (rc == MDB_KEYEXIST)
		return STORE_ECORRUPT;
	if (rc != 0)
		return store_error(rc);
	return put_head(s, txn, e->seq, hash, now);
}

/* Who acted: the signer and its key id, or what acted instead. */
static void
set_actor(struct ctx *s, const struct identity *who,
    Shelterd__V1__AuditEntry *e, char *buf, size_t len,
    uint8_t kid[AUDIT_KEY_ID])
{
	const struct reg_key *k;

	if (who == NULL) {
		e->actor = (char *)"daemon";
		return;
	}
	if (who->role == ROLE_NONE) {
		e->actor = (char *)"unsigned/loopback";
		return;
	}
	authz_format(who, buf, len);
	e->actor = buf;
	if ((k = registry_key(s->reg, buf)) != NULL) {
		audit_key_id(k->public_key, kid);
		e->actor_key_id.data = kid;
		e->actor_key_id.len = AUDIT_KEY_ID;
	}
}

int
audit_placement(struct ctx *s, MDB_txn *txn, const struct placement_state *p,
    int step, int64_t now)
{
	Shelterd__V1__AuditEntry e = SHELTERD__V1__AUDIT_ENTRY__INIT;
	uint8_t kid[AUDIT_KEY_ID], ch[AUDIT_CASE_HASH];
	char who[64], decision[64];

	set_actor(s, s->actor, &e, who, sizeof(who), kid);
	e.kind = KIND(PLACEMENT);
	if (step == SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_DECLINED)
		snprintf(decision, sizeof(decision), "declined: %s",
		    place_reason_key(p->last_reason));
	else
		snprintf(decision, sizeof(decision), "%s",
		    placement_state_name(step));
	e.decision = decision;
	e.request_id = (char *)p->request_id;
	/* Without the daemon's secret a hash of a case_ref could be undone
	 * by trying likely ones: then it is left out. */
	if (s->audit->has_key && p->case_ref[0] != '\0') {
		audit_case_hash(s->audit->case_key, p->case_ref, ch);
		e.case_ref_hash.data = ch;
		e.case_ref_hash.len = sizeof(ch);
	}
	e.region_id = (char *)p->from_region;
	e.shelter_id = (char *)p->held_shelter;
	return append(s, txn, &e, now);
}

int
audit_alert_ack(struct ctx *s, MDB_txn *txn, const struct identity *who,
    const struct alert_state *a, int64_t now)
{
	Shelterd__V1__AuditEntry e = SHELTERD__V1__AUDIT_ENTRY__INIT;
	uint8_t kid[AUDIT_KEY_ID];
	char by[64], detail[96];

	set_actor(s, who, &e, by, sizeof(by), kid);
	e.kind = KIND(ALERT_ACK);
	e.decision = (char *)"acknowledged";
	e.region_id = (char *)a->region;
	e.shelter_id = (char *)a->shelter;
	snprintf(detail, sizeof(detail), "%s %s alert, raised by event %"
	    PRIu64, level_name(a->level), a->category ?
	    cat_name(a->category) : "all", a->opened_seq);
	e.detail = detail;
	return append(s, txn, &e, now);
}

/* The shape of a registry: regions, shelters and what they offer, never
 * names (a rename is not a change that matters here). */
static void
fingerprint(const struct registry *reg, uint8_t out[AUDIT_HASH])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, AUDIT_HASH);
	for (size_t i = 0; i < reg->n_regions; i++)
		crypto_generichash_update(&st,
		    (const uint8_t *)reg->regions[i].id,
		    strlen(reg->regions[i].id) + 1);
	for (size_t i = 0; i < reg->n_shelters; i++) {
		const struct reg_shelter *sh = &reg->shelters[i];
		uint8_t b[4] = { (uint8_t)sh->region, (uint8_t)(sh->region >>
			8), sh->categories, sh->security_level };

		crypto_generichash_update(&st, (const uint8_t *)sh->id,
		    strlen(sh->id) + 1);
		crypto_generichash_update(&st, b, sizeof(b));
	}
	crypto_generichash_final(&st, out, AUDIT_HASH);
}

static int
note_registry(struct ctx *s, MDB_txn *txn, const struct registry *reg)
{
	uint8_t fp[AUDIT_HASH];
	MDB_val k = registry_key_name, v = { sizeof(fp), fp };

	fingerprint(reg, fp);
	return store_error(mdb_put(txn, s->store->meta, &k, &v, 0));
}

int
audit_import(struct ctx *s, MDB_txn *txn, const struct identity *who,
    const char *source, const struct registry *next, const uint32_t counts[4],
    int64_t now)
{
	Shelterd__V1__AuditEntry e = SHELTERD__V1__AUDIT_ENTRY__INIT;
	uint8_t kid[AUDIT_KEY_ID];
	char by[64], detail[256];
	int rc;

	set_actor(s, who, &e, by, sizeof(by), kid);
	e.kind = KIND(IMPORT);
	e.decision = (char *)"imported";
	snprintf(detail, sizeof(detail), "%zu shelters from %.80s: %" PRIu32
	    " added, %" PRIu32 " removed, %" PRIu32 " changed, %" PRIu32
	    " unchanged", next->n_shelters, source, counts[REG_ADDED],
	    counts[REG_REMOVED], counts[REG_CHANGED], counts[REG_UNCHANGED]);
	e.detail = detail;
	if ((rc = append(s, txn, &e, now)) != 0)
		return rc;
	return note_registry(s, txn, next);
}

int
audit_table_import(struct ctx *s, MDB_txn *txn, const struct identity *who,
    const char *decision, const char *rows, const char *source, size_t n,
    int64_t now)
{
	Shelterd__V1__AuditEntry e = SHELTERD__V1__AUDIT_ENTRY__INIT;
	uint8_t kid[AUDIT_KEY_ID];
	char by[64], detail[160];

	set_actor(s, who, &e, by, sizeof(by), kid);
	e.kind = KIND(IMPORT);
	e.decision = (char *)decision;
	snprintf(detail, sizeof(detail), "%zu %s from %.80s", n, rows,
	    source);
	e.detail = detail;
	return append(s, txn, &e, now);
}

int
audit_reserve(struct ctx *s, MDB_txn *txn, const struct identity *who,
    const struct reserve_activation *r, int64_t now)
{
	Shelterd__V1__AuditEntry e = SHELTERD__V1__AUDIT_ENTRY__INIT;
	uint8_t kid[AUDIT_KEY_ID];
	char by[64], detail[200];

	set_actor(s, who, &e, by, sizeof(by), kid);
	e.kind = KIND(RESERVE);
	e.decision = (char *)(r->ended == RESERVE_RELEASED ? "released" :
	    "activated");
	e.region_id = (char *)r->region;
	snprintf(detail, sizeof(detail), "activation %" PRIu64 ": %u %s beds "
	    "until %" PRId64 " (%.79s)", r->id, r->beds, cat_name(r->category),
	    r->until, r->reason);
	e.detail = detail;
	return append(s, txn, &e, now);
}

int
audit_reserve_answer(struct ctx *s, MDB_txn *txn, const struct identity *who,
    const struct reserve_activation *r, const struct reserve_answer *a,
    int64_t now)
{
	Shelterd__V1__AuditEntry e = SHELTERD__V1__AUDIT_ENTRY__INIT;
	uint8_t kid[AUDIT_KEY_ID];
	char by[64], detail[96];

	set_actor(s, who, &e, by, sizeof(by), kid);
	e.kind = KIND(RESERVE);
	e.decision = (char *)(a->confirmed ? "confirmed" : "refused");
	e.region_id = (char *)r->region;
	e.shelter_id = (char *)a->shelter;
	snprintf(detail, sizeof(detail), "activation %" PRIu64 ": %u %s beds",
	    r->id, a->beds, cat_name(r->category));
	e.detail = detail;
	return append(s, txn, &e, now);
}

int
audit_seq_reset(struct ctx *s, MDB_txn *txn, const struct identity *who,
    const char *shelter_id, uint64_t previous_seq, int64_t now)
{
	Shelterd__V1__AuditEntry e = SHELTERD__V1__AUDIT_ENTRY__INIT;
	uint8_t kid[AUDIT_KEY_ID];
	char by[64], detail[64];

	set_actor(s, who, &e, by, sizeof(by), kid);
	e.kind = KIND(SEQUENCE_RESET);
	e.decision = (char *)"seq reset";
	e.shelter_id = (char *)shelter_id;
	snprintf(detail, sizeof(detail), "from %" PRIu64, previous_seq);
	e.detail = detail;
	return append(s, txn, &e, now);
}

/* The daemon started on a registry other than the one it last recorded
 * (another --registry, an edited file). */
static int
check_registry(struct ctx *s, MDB_txn *txn, int64_t now, bool *changed)
{
	Shelterd__V1__AuditEntry e = SHELTERD__V1__AUDIT_ENTRY__INIT;
	uint8_t fp[AUDIT_HASH];
	MDB_val k = registry_key_name, v;
	char detail[128], hex[17];
	int rc = mdb_get(txn, s->store->meta, &k, &v);

	*changed = false;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_error(rc);
	fingerprint(s->reg, fp);
	if (rc == 0 && v.mv_size == sizeof(fp) &&
	    memcmp(v.mv_data, fp, sizeof(fp)) == 0)
		return 0;
	sodium_bin2hex(hex, sizeof(hex), fp, 8);
	e.kind = KIND(REGISTRY_CHANGE);
	e.actor = (char *)"daemon";
	e.decision = (char *)(rc == MDB_NOTFOUND ? "registry first seen" :
	    "registry changed");
	snprintf(detail, sizeof(detail), "%zu regions, %zu shelters, "
	    "fingerprint %s", s->reg->n_regions, s->reg->n_shelters, hex);
	e.detail = detail;
	*changed = true;
	if ((rc = append(s, txn, &e, now)) != 0)
		return rc;
	return note_registry(s, txn, s->reg);
}

/* ---- checking the stored chain ---------------------------------------- */

/* Walk every entry of the store: 0, or -1 with v telling why. */
static int
verify_store(struct ctx *s, MDB_txn *txn, struct audit_verify *v)
{
	Shelterd__V1__AuditHead *head = NULL;
	MDB_cursor *cur;
	MDB_val k, d;
	int rc;

	audit_verify_start(v, 1, (const uint8_t[AUDIT_HASH]){ 0 });
	if (mdb_cursor_open(txn, s->store->audit, &cur) != 0)
		return -1;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		uint64_t seq = 0;

		for (size_t i = 0; i < k.mv_size && i < 8; i++)
			seq = seq << 8 | ((const uint8_t *)k.mv_data)[i];
		if (audit_verify_entry(v, k.mv_size == 8 ? seq : 0,
		    d.mv_data, d.mv_size) != 0)
			break;
	}
	mdb_cursor_close(cur);
	k = head_key;
	if (mdb_get(txn, s->store->meta, &k, &d) == 0)
		head = shelterd__v1__audit_head__unpack(NULL, d.mv_size,
		    d.mv_data);
	rc = audit_verify_end(v, head, s->audit->has_key ? s->audit->pk :
	    NULL);
	if (head != NULL)
		shelterd__v1__audit_head__free_unpacked(head, NULL);
	return rc;
}

int
audit_init(struct ctx *s)
{
	struct audit_verify v;
	MDB_txn *txn;
	bool changed;
	int rc;

	s->audit = calloc(1, sizeof(*s->audit));
	REQUIRE(s->audit != NULL);
	if (s->cfg->daemon_key[0] != '\0') {
		if (load_key(s->audit, s->cfg->daemon_key) != 0)
			return -1;
	} else {
		log_warn("no [security] daemon_key: the audit log is chained "
		    "but its head is not signed, so a rewrite of the whole "
		    "log cannot be told (make a key with keygen)");
	}
	if ((rc = store_begin(s->store, NULL, 1, &txn)) != 0)
		return -1;
	/* A broken chain is the inspector's business, not a reason to stop
	 * placing people: it is logged, loudly, and kept as it is. */
	if (verify_store(s, txn, &v) != 0)
		log_err("audit log: %s (shelterctl audit verify tells more)",
		    v.why);
	else
		log_info("audit log: %" PRIu64 " entries, chain intact%s",
		    v.n, s->audit->has_key ? ", head signed" : "");
	if ((rc = check_registry(s, txn, (int64_t)time(NULL),
	    &changed)) != 0) {
		mdb_txn_abort(txn);
		log_err("audit log: %s", store_strerror(rc));
		return -1;
	}
	if ((rc = store_commit(txn)) != 0) {
		log_err("audit log: %s", store_strerror(rc));
		return -1;
	}
	return 0;
}

void
audit_deinit(struct ctx *s)
{
	if (s->audit != NULL)
		sodium_memzero(s->audit, sizeof(*s->audit));
	free(s->audit);
	s->audit = NULL;
}

/* ---- the verb -------------------------------------------------------- */

/* Entries per export: one reply. The chain is verified in full before
 * each export, on the loop thread, in time linear in the log's length:
 * fine for the thousands of entries a month brings; move it to the thread
 * pool (like reports) should logs grow to millions. */
enum { EXPORT_MAX = 100000 };

void
audit_op_export(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const Shelterd__V1__AuditQuery *q = it->req->audit;
	Shelterd__V1__AuditExport ex = SHELTERD__V1__AUDIT_EXPORT__INIT;
	Shelterd__V1__AuditHead head = SHELTERD__V1__AUDIT_HEAD__INIT;
	uint8_t last[AUDIT_HASH], pk[AUDIT_PK], sig[AUDIT_SIG], key[8];
	uint64_t top, from = q->from ? q->from : 1, to;
	struct audit_verify v;
	ProtobufCBinaryData *ents = NULL;
	MDB_val k = { sizeof(key), key }, d;
	size_t n = 0;

	if (get_head(s, rtxn, &top, last) != 0) {
		op_fail(&it->res, CODE(INTERNAL), "the audit head cannot be "
		    "read");
		return;
	}
	to = q->to && q->to < top ? q->to : top;
	if (top == 0 || from > to || to - from >= EXPORT_MAX) {
		op_fail(&it->res, CODE(BAD_REQUEST), "no entries %" PRIu64
		    " to %" PRIu64 ": the log holds 1 to %" PRIu64 " (at "
		    "most %d per export)", from, to, top, EXPORT_MAX);
		return;
	}
	if (!s->audit->has_key) {
		op_fail(&it->res, CODE(BAD_REQUEST), "the daemon has no key "
		    "([security] daemon_key): it cannot vouch for an export");
		return;
	}
	/* It signs only what its own chain still holds, whole. */
	if (verify_store(s, rtxn, &v) != 0) {
		op_fail(&it->res, CODE(CONFLICT), "the audit log is broken: "
		    "%s", v.why);
		return;
	}
	ents = calloc(to - from + 1, sizeof(*ents));
	REQUIRE(ents != NULL);
	for (uint64_t seq = from; seq <= to; seq++) {
		be64(seq, key);
		if (mdb_get(rtxn, s->store->audit, &k, &d) != 0)
			break;
		ents[n].data = d.mv_data;  /* valid while rtxn is */
		ents[n].len = d.mv_size;
		n++;
	}
	if (n != to - from + 1) {
		/* The chain verified a moment ago: only a store error. */
		free(ents);
		op_fail(&it->res, CODE(INTERNAL), "audit entry %" PRIu64
		    " cannot be read", from + n);
		return;
	}
	audit_hash(ents[n - 1].data, ents[n - 1].len, last);
	head.seq = from + n - 1;
	head.hash.data = last;
	head.hash.len = AUDIT_HASH;
	head.at = (int64_t)time(NULL);
	audit_head_sign(&head, s->audit->sk, pk, sig);
	ex.entries = ents;
	ex.n_entries = n;
	ex.head = &head;
	reply->body_case = SHELTERD__V1__REPLY__BODY_AUDIT_EXPORT;
	reply->audit_export = &ex;
	api_pack(it, reply);
	free(ents);
}
