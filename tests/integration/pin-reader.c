/*
 * pin-reader — hold one LMDB read txn open on a data directory until stdin
 * closes. While it is open, LMDB may not reuse a page freed after it
 * began, so every later write needs fresh pages: a test can fill the map
 * for good and then meet MAP_FULL in any write, however small
 * (tests/integration/10-store-full-verbs.py).
 *
 *   pin-reader DIR    prints "pinned" once the txn is open
 */
#include <lmdb.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	char buf[64];
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pin-reader DIR\n");
		return 2;
	}
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 16)) != 0 ||
	    (rc = mdb_env_open(env, argv[1], MDB_RDONLY | MDB_NOTLS,
	    0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0) {
		fprintf(stderr, "pin-reader: %s\n", mdb_strerror(rc));
		return 1;
	}
	printf("pinned\n");
	fflush(stdout);
	while (fgets(buf, sizeof(buf), stdin) != NULL)
		;
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return 0;
}
