/*
 * keygen — Ed25519 key pairs for a registry's parties: every shelter, every
 * region, the national coordinator and the operator. Writes each secret key
 * to its own file (mode 0600) for its owner, and the public keys into a copy
 * of the registry (keys.csv) for the daemon, which so never holds a secret.
 *
 *   keygen --registry registry/demo --out DIR
 *     DIR/registry/{regions,shelters,keys}.csv   give to shelterd
 *     DIR/keys/shelter:SH-UT-003.key, ...        give each to its owner
 *     DIR/keys/daemon.key                        shelterd's own: [security]
 *                                                daemon_key (audit head)
 *     DIR/daemon.pub                             its public key, for
 *                                                inspectors (audit verify)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load.h"
#include "registry.h"

static char *
slurp(const char *dir, const char *name)
{
	char path[4096], err[512], *buf;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((buf = registry_read_file(path, err, sizeof(err))) == NULL)
		fprintf(stderr, "keygen: %s\n", err);
	return buf;
}

static int
spill(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[4096];
	int fd;
	size_t n = strlen(text);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n || close(fd) != 0) {
		fprintf(stderr, "keygen: cannot write %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* One key pair: the secret to keys/, the public key to keys.csv (or, for
 * the daemon, which is no registry party, to daemon.pub). */
static int
one(const char *out, const char *identity, FILE *csv)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char pkhex[2 * sizeof(pk) + 1], skhex[2 * sizeof(sk) + 1];
	char name[128], text[512];
	int rc;

	crypto_sign_keypair(pk, sk);
	sodium_bin2hex(pkhex, sizeof(pkhex), pk, sizeof(pk));
	sodium_bin2hex(skhex, sizeof(skhex), sk, sizeof(sk));
	snprintf(name, sizeof(name), "keys/%s.key", identity);
	snprintf(text, sizeof(text), "# shelterd signing key: keep it "
	    "secret\nidentity %s\nsecret %s\n", identity, skhex);
	rc = spill(out, name, text, 0600);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(skhex, sizeof(skhex));
	sodium_memzero(text, sizeof(text));
	if (csv != NULL) {
		fprintf(csv, "%s,%s\n", identity, pkhex);
	} else {
		snprintf(text, sizeof(text), "%s\n", pkhex);
		rc |= spill(out, "daemon.pub", text, 0644);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "registry", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *src = NULL, *out = NULL;
	struct registry reg = { 0 };
	char *regions, *shelters, err[512], dir[4096], id[64];
	FILE *csv;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "r:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			src = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			printf("Usage: keygen --registry DIR --out DIR\n"
			    "Make Ed25519 key pairs for every shelter, region, "
			    "the national\ncoordinator and the operator of a "
			    "registry. Writes OUT/registry/\n(the registry "
			    "with keys.csv: public keys, for shelterd) and "
			    "OUT/keys/\n(one secret key file per party, mode "
			    "0600, for its owner: --key FILE), with\n"
			    "OUT/keys/daemon.key for shelterd itself "
			    "([security] daemon_key: it signs\nthe audit log) "
			    "and OUT/daemon.pub, its public key, for "
			    "inspectors.\n");
			return 0;
		default:
			fprintf(stderr, "Try 'keygen --help'.\n");
			return 2;
		}
	}
	if (src == NULL || out == NULL || optind != argc) {
		fprintf(stderr, "keygen: need --registry and --out\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	if ((regions = slurp(src, "regions.csv")) == NULL ||
	    (shelters = slurp(src, "shelters.csv")) == NULL)
		return 1;
	if (registry_parse(&reg, regions, shelters, err, sizeof(err)) != 0) {
		fprintf(stderr, "keygen: %s: %s\n", src, err);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/registry", out);
	mkdir(out, 0700);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/keys", out);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/registry", out);
	if (spill(dir, "regions.csv", regions, 0644) != 0 ||
	    spill(dir, "shelters.csv", shelters, 0644) != 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s/registry/keys.csv", out);
	if ((csv = fopen(dir, "w")) == NULL) {
		fprintf(stderr, "keygen: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	fprintf(csv, "identity,public_key_hex\n");
	rc |= one(out, "daemon", NULL);
	rc |= one(out, "national", csv);
	rc |= one(out, "operator", csv);
	for (size_t i = 0; i < reg.n_regions; i++) {
		snprintf(id, sizeof(id), "region:%s", reg.regions[i].id);
		rc |= one(out, id, csv);
	}
	for (size_t i = 0; i < reg.n_shelters; i++) {
		snprintf(id, sizeof(id), "shelter:%s", reg.shelters[i].id);
		rc |= one(out, id, csv);
	}
	if (fclose(csv) != 0)
		rc = 1;
	printf("keygen: %zu key pairs: public keys in %s/registry/keys.csv "
	    "and %s/daemon.pub, secret keys in %s/keys/\n",
	    reg.n_regions + reg.n_shelters + 3, out, out, out);
	registry_free(&reg);
	free(regions);
	free(shelters);
	return rc ? 1 : 0;
}
