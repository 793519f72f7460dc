/*
 * shelterctl-audit.c — `shelterctl audit`: check the audit log's chain in
 * a data directory, a backup or an exported file, and export a stretch of
 * it for an inspector (docs/audit.md). Verifying needs no daemon: only the
 * store (read-only) or the file, and the daemon's public key.
 */
#include "shelterctl-audit.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditchain.h"
#include "names.h"

static void
audit_usage(FILE *out)
{
	fprintf(out,
	    "Usage: shelterctl audit verify (--data-dir DIR | --backup DIR) "
	    "[--pubkey KEY] [--print]\n"
	    "       shelterctl audit verify FILE --pubkey KEY [--print]\n"
	    "       shelterctl audit export [--from SEQ] [--to SEQ] --out "
	    "FILE [--api URL] [--key FILE]\n"
	    "Check the tamper-evident audit log: every entry chained to the "
	    "one before by\nits hash, the last one vouched for by the "
	    "daemon's signature. Names the first\nentry that was changed, "
	    "taken out or moved.\n"
	    "\n"
	    "  --data-dir DIR  the daemon's store (read-only; it may be "
	    "running)\n"
	    "  --backup DIR    a copy made by shelterctl backup\n"
	    "  FILE            a file made by audit export\n"
	    "  --pubkey KEY    the daemon's public key: 64 hex digits or a "
	    "file holding\n"
	    "                  them (keygen's daemon.pub). Required for a "
	    "FILE; without it\n"
	    "                  a store is checked against the key its head "
	    "names, which\n"
	    "                  proves nothing about who signed\n"
	    "  --print         print every entry checked\n"
	    "  --from, --to    export: the first and last seq (default: "
	    "all)\n"
	    "  --out FILE      export: where to write\n"
	    "\n"
	    "Exit status: 0 the log verifies, 1 it does not (or the daemon "
	    "refused),\n2 bad usage, 3 daemon not reachable.\n");
}

/* 64 hex digits, or a file whose first word they are. */
static int
read_pubkey(const char *arg, uint8_t pk[AUDIT_PK])
{
	char buf[256] = "";
	size_t n = 0;
	FILE *f;

	if (strlen(arg) == 2 * AUDIT_PK && sodium_hex2bin(pk, AUDIT_PK, arg,
	    2 * AUDIT_PK, NULL, &n, NULL) == 0 && n == AUDIT_PK)
		return 0;
	if ((f = fopen(arg, "r")) == NULL) {
		fprintf(stderr, "shelterctl: --pubkey %s: not 64 hex digits "
		    "and not a file: %s\n", arg, strerror(errno));
		return -1;
	}
	if (fscanf(f, "%255s", buf) != 1)
		buf[0] = '\0';
	fclose(f);
	if (strlen(buf) != 2 * AUDIT_PK || sodium_hex2bin(pk, AUDIT_PK, buf,
	    2 * AUDIT_PK, NULL, &n, NULL) != 0 || n != AUDIT_PK) {
		fprintf(stderr, "shelterctl: --pubkey %s holds no public key "
		    "(64 hex digits)\n", arg);
		return -1;
	}
	return 0;
}

static void
print_entry(const uint8_t *bytes, size_t len)
{
	Shelterd__V1__AuditEntry *e =
	    shelterd__v1__audit_entry__unpack(NULL, len, bytes);
	char when[32], kid[2 * AUDIT_KEY_ID + 1] = "-";

	if (e == NULL) {
		printf("(an entry that does not decode)\n");
		return;
	}
	client_format_time(e->at, when, sizeof(when));
	if (e->actor_key_id.len == AUDIT_KEY_ID)
		sodium_bin2hex(kid, sizeof(kid), e->actor_key_id.data,
		    AUDIT_KEY_ID);
	printf("%6" PRIu64 " %s %-15s %-18s key %-16s %s%s%s%s%s%s%s%s%s\n",
	    e->seq, when, audit_kind_name(e->kind), e->actor, kid, e->decision,
	    *e->request_id ? " request " : "", e->request_id,
	    *e->region_id ? " region " : "", e->region_id,
	    *e->shelter_id ? " shelter " : "", e->shelter_id,
	    *e->detail ? ": " : "", e->detail);
	shelterd__v1__audit_entry__free_unpacked(e, NULL);
}

static int
report(const struct audit_verify *v, const char *what, bool pinned)
{
	if (v->bad) {
		printf("%s: BROKEN at entry %" PRIu64 ": %s\n", what,
		    v->bad_seq, v->why);
		return 1;
	}
	printf("%s: %" PRIu64 " entr%s, chain intact, head signed by %s\n",
	    what, v->n, v->n == 1 ? "y" : "ies", pinned ? "the given key" :
	    "the key it names (not pinned: give --pubkey)");
	return 0;
}

static int
verify_store(const char *dir, bool backup, const uint8_t *pk, bool print)
{
	Shelterd__V1__AuditHead *head = NULL;
	struct audit_verify v;
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi audit, meta;
	MDB_cursor *cur;
	MDB_val k, d;
	int rc;

	/* A backup has no writer: no lock file needed (it may be on
	 * read-only media). A live store shares the daemon's locks. */
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 16)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS |
	    (backup ? MDB_NOLOCK : 0), 0)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", 0, &meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "audit", 0, &audit)) != 0) {
		fprintf(stderr, "shelterctl: %s: %s\n", dir, mdb_strerror(rc));
		if (txn != NULL)
			mdb_txn_abort(txn);
		mdb_env_close(env);
		return 1;
	}
	audit_verify_start(&v, 1, (const uint8_t[AUDIT_HASH]){ 0 });
	if ((rc = mdb_cursor_open(txn, audit, &cur)) != 0) {
		fprintf(stderr, "shelterctl: %s: %s\n", dir, mdb_strerror(rc));
		mdb_txn_abort(txn);
		mdb_env_close(env);
		return 1;
	}
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		uint64_t seq = 0;

		for (size_t i = 0; i < k.mv_size && i < 8; i++)
			seq = seq << 8 | ((const uint8_t *)k.mv_data)[i];
		if (print)
			print_entry(d.mv_data, d.mv_size);
		if (audit_verify_entry(&v, k.mv_size == 8 ? seq : 0,
		    d.mv_data, d.mv_size) != 0)
			break;
	}
	mdb_cursor_close(cur);
	k.mv_size = 10;
	k.mv_data = (void *)"audit_head";
	if (mdb_get(txn, meta, &k, &d) == 0)
		head = shelterd__v1__audit_head__unpack(NULL, d.mv_size,
		    d.mv_data);
	audit_verify_end(&v, head, pk);
	if (head != NULL)
		shelterd__v1__audit_head__free_unpacked(head, NULL);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return report(&v, dir, pk != NULL);
}

static int
verify_file(const char *path, const uint8_t *pk, bool print)
{
	Shelterd__V1__AuditExport *ex;
	struct audit_verify v;
	uint8_t *buf;
	long len;
	FILE *f = fopen(path, "rb");

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "shelterctl: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return 1;
	}
	if ((buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "shelterctl: %s: cannot read it\n", path);
		fclose(f);
		free(buf);
		return 1;
	}
	fclose(f);
	ex = shelterd__v1__audit_export__unpack(NULL, (size_t)len, buf);
	free(buf);
	if (ex == NULL || ex->n_entries == 0) {
		printf("%s: BROKEN: not an audit export (or an empty one)\n",
		    path);
		if (ex != NULL)
			shelterd__v1__audit_export__free_unpacked(ex, NULL);
		return 1;
	}
	/* An export starts anywhere: its first entry's own seq and link
	 * are taken as they are, every later one must follow. */
	{
		Shelterd__V1__AuditEntry *first =
		    shelterd__v1__audit_entry__unpack(NULL,
		    ex->entries[0].len, ex->entries[0].data);
		uint64_t seq = first ? first->seq : 1;

		if (first != NULL)
			shelterd__v1__audit_entry__free_unpacked(first, NULL);
		audit_verify_start(&v, seq, NULL);
		for (size_t i = 0; i < ex->n_entries; i++) {
			if (print)
				print_entry(ex->entries[i].data,
				    ex->entries[i].len);
			if (audit_verify_entry(&v, seq + i,
			    ex->entries[i].data, ex->entries[i].len) != 0)
				break;
		}
	}
	audit_verify_end(&v, ex->head, pk);
	shelterd__v1__audit_export__free_unpacked(ex, NULL);
	return report(&v, path, true);
}

static int
export(const char *api, int timeout_ms, uint64_t from, uint64_t to,
    const char *out)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__AuditQuery q = SHELTERD__V1__AUDIT_QUERY__INIT;
	Shelterd__V1__Reply *reply;
	const Shelterd__V1__AuditExport *ex;
	uint8_t *buf;
	size_t len;
	char err[512];
	FILE *f;
	int rc;

	q.from = from;
	q.to = to;
	req.body_case = SHELTERD__V1__REQUEST__BODY_AUDIT;
	req.audit = &q;
	if ((rc = client_call(api, timeout_ms, &req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "shelterctl: %s\n", err);
		return rc;
	}
	if (reply->code != SHELTERD__V1__CODE__CODE_OK ||
	    reply->body_case != SHELTERD__V1__REPLY__BODY_AUDIT_EXPORT) {
		fprintf(stderr, "shelterctl: refused (%s): %s\n",
		    client_code_name(reply->code), reply->error);
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return EXIT_REFUSED;
	}
	ex = reply->audit_export;
	len = shelterd__v1__audit_export__get_packed_size(ex);
	if ((buf = malloc(len ? len : 1)) == NULL)
		abort();
	shelterd__v1__audit_export__pack(ex, buf);
	if ((f = fopen(out, "wb")) == NULL || fwrite(buf, 1, len, f) != len ||
	    fclose(f) != 0) {
		fprintf(stderr, "shelterctl: %s: %s\n", out, strerror(errno));
		free(buf);
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return EXIT_USAGE;
	}
	printf("audit entries %" PRIu64 " to %" PRIu64 " written to %s "
	    "(%zu bytes), head signed by the daemon\n", ex->n_entries ?
	    ex->head->seq - ex->n_entries + 1 : 0, ex->head->seq, out, len);
	free(buf);
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return EXIT_OK;
}

enum { OPT_DATA_DIR = 300, OPT_BACKUP, OPT_PUBKEY, OPT_PRINT, OPT_FROM,
	OPT_TO, OPT_OUT };

int
audit_cli(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, OPT_DATA_DIR },
		{ "backup", required_argument, NULL, OPT_BACKUP },
		{ "pubkey", required_argument, NULL, OPT_PUBKEY },
		{ "print", no_argument, NULL, OPT_PRINT },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "api", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *out = NULL, *api = client_default_api();
	const char *cmd;
	uint8_t pk[AUDIT_PK];
	bool has_pk = false, backup = false, print = false;
	long long from = 0, to = 0, timeout = 30000;
	int c;

	if (sodium_init() < 0)
		return EXIT_REFUSED;
	optind = 1;
	while ((c = getopt_long(argc, argv, "a:T:K:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DATA_DIR:
		case OPT_BACKUP:
			dir = optarg;
			backup = c == OPT_BACKUP;
			break;
		case OPT_PUBKEY:
			if (read_pubkey(optarg, pk) != 0)
				return EXIT_USAGE;
			has_pk = true;
			break;
		case OPT_PRINT:
			print = true;
			break;
		case OPT_FROM:
		case OPT_TO:
			if (client_parse_num(optarg, 1ll << 62) < 1) {
				fprintf(stderr, "shelterctl: --from and --to "
				    "are entry numbers (1, 2, ...)\n");
				return EXIT_USAGE;
			}
			*(c == OPT_FROM ? &from : &to) =
			    client_parse_num(optarg, 1ll << 62);
			break;
		case OPT_OUT:
			out = optarg;
			break;
		case 'a':
			api = optarg;
			break;
		case 'T':
			if ((timeout = client_parse_num(optarg,
			    3600000)) < 1)
				return EXIT_USAGE;
			break;
		case 'K':
			client_set_key(optarg);
			break;
		case 'h':
			audit_usage(stdout);
			return EXIT_OK;
		default:
			audit_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		goto bad;
	cmd = argv[optind++];
	if (strcmp(cmd, "verify") == 0) {
		if (dir != NULL && optind == argc)
			return verify_store(dir, backup, has_pk ? pk : NULL,
			    print);
		if (dir == NULL && optind + 1 == argc) {
			if (!has_pk) {
				fprintf(stderr, "shelterctl: verifying a file "
				    "needs the daemon's --pubkey: the file "
				    "alone proves nothing\n");
				return EXIT_USAGE;
			}
			return verify_file(argv[optind], pk, print);
		}
	} else if (strcmp(cmd, "export") == 0 && optind == argc &&
	    out != NULL) {
		if (to != 0 && from > to)
			goto bad;
		return export(api, (int)timeout, (uint64_t)from,
		    (uint64_t)to, out);
	}
bad:
	audit_usage(stderr);
	return EXIT_USAGE;
}
