/*
 * keygen — Ed25519 key pairs for a registry's parties: every shelter, every
 * region, the national coordinator and the operator. Writes each secret key
 * to its own file (mode 0600) for its owner, and the public keys into a copy
 * of the registry (keys.csv) for the daemon, which so never holds a secret.
 *
 *   keygen --registry registry/demo --out DIR
 *     DIR/registry/{regions,shelters,keys}.csv   give to shelterd
 *     DIR/keys/shelter-SH-UT-003.key, ...        give each to its owner
 *     DIR/keys/daemon.key                        shelterd's own: [security]
 *                                                daemon_key (audit head)
 *     DIR/daemon.pub                             its public key, for
 *                                                inspectors (audit verify)
 *   keygen --party shelter:SH-UT-003 --out DIR [--registry REG]
 *     one party's new key: DIR/keys/shelter-SH-UT-003.key, and its line
 *     in REG/keys.csv replaced (or printed, without --registry)
 *
 * Key file names have "-" where the identity has ":": a ":" breaks scp,
 * rsync and PATH-like lists, and is not allowed on some file systems.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csvio.h"
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

/* keys/IDENTITY.key with ':' as '-'. */
static void
key_path(const char *out, const char *identity, char *path, size_t len)
{
	char name[128];
	size_t i;

	for (i = 0; identity[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = identity[i] == ':' ? '-' : identity[i];
	name[i] = '\0';
	snprintf(path, len, "%s/keys/%s.key", out, name);
}

/*
 * One key pair: the secret to its own file (mode 0600; with excl, never
 * over an existing one), the public key's keys.csv line to csv (or, for
 * the daemon, which is no registry party, to daemon.pub). 0 or -1.
 */
static int
key_pair(const char *out, const char *identity, FILE *csv, bool excl)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char pkhex[2 * sizeof(pk) + 1], skhex[2 * sizeof(sk) + 1];
	char path[4096], text[512];
	size_t n;
	int fd, rc = 0;

	key_path(out, identity, path, sizeof(path));
	crypto_sign_keypair(pk, sk);
	sodium_bin2hex(pkhex, sizeof(pkhex), pk, sizeof(pk));
	sodium_bin2hex(skhex, sizeof(skhex), sk, sizeof(sk));
	n = (size_t)snprintf(text, sizeof(text), "# shelterd signing key: "
	    "keep it secret\nidentity %s\nsecret %s\n", identity, skhex);
	fd = open(path, O_WRONLY | O_CREAT | (excl ? O_EXCL : O_TRUNC),
	    0600);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n || close(fd) != 0) {
		fprintf(stderr, "keygen: cannot write %s: %s%s\n", path,
		    strerror(errno), errno == EEXIST ? " (remove it first to "
		    "replace the key)" : "");
		rc = -1;
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(skhex, sizeof(skhex));
	sodium_memzero(text, sizeof(text));
	if (rc == 0 && csv != NULL) {
		const char *const row[2] = { identity, pkhex };

		rc = csvio_write_row(csv, ',', row, 2);
	} else if (rc == 0) {
		snprintf(text, sizeof(text), "%s\n", pkhex);
		rc |= spill(out, "daemon.pub", text, 0644);
	}
	return rc;
}

/* One key pair of the whole registry's: replaces an older file. */
static int
one(const char *out, const char *identity, FILE *csv)
{
	return key_pair(out, identity, csv, false) == 0 ? 0 : 1;
}

/* national, operator, region:ID or shelter:ID; ID letters, digits, '-'
 * and '_' (it becomes part of a file name). */
static bool
identity_ok(const char *id, const char **what)
{
	const char *p;

	if (strcmp(id, "national") == 0 || strcmp(id, "operator") == 0) {
		*what = NULL;
		return true;
	}
	if (strncmp(id, "region:", 7) == 0)
		p = id + 7;
	else if (strncmp(id, "shelter:", 8) == 0)
		p = id + 8;
	else
		return false;
	*what = p;
	if (*p == '\0' || strlen(p) > 40)
		return false;
	for (; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

/* Should the line (from 1) be left out: a line of one of the party's
 * records? */
static bool
party_line(const struct csvio_table *t, const char *identity,
    unsigned line)
{
	for (size_t i = 0; i < t->n_rows; i++) {
		const struct csvio_row *r = &t->rows[i];

		if (r->n_fields > 0 && strcmp(r->fields[0], identity) == 0 &&
		    line >= r->line && line <= r->end_line)
			return true;
	}
	return false;
}

/*
 * REG/keys.csv with the party's record replaced by the one in line
 * (appended when it had none; the file made when missing), through a
 * rename so shelterd never reads half a file. The file is read as
 * shelterd reads it (core/csvio.c); its other lines, comments, byte-order
 * mark and separator stay as they were. 0 or -1.
 */
static int
replace_key_line(const char *regdir, const char *identity, const char *line)
{
	struct csvio_table t = { 0 }, mine = { 0 };
	char path[4096], tmp[4200], err[512], *text = NULL;
	const char *p;
	unsigned no = 1;
	FILE *out;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/keys.csv", regdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (access(path, F_OK) == 0 &&
	    (text = registry_read_file(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "keygen: %s\n", err);
		return -1;
	}
	if (csvio_read(&t, text ? text : "", text ? strlen(text) : 0,
	    CSVIO_COMMENTS, err, sizeof(err)) != 0 ||
	    csvio_read(&mine, line, strlen(line), 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "keygen: %s %s: nothing was changed\n", path,
		    err);
		free(text);
		return -1;
	}
	if ((out = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "keygen: %s: %s\n", tmp, strerror(errno));
		rc = -1;
		goto done;
	}
	for (p = text; p != NULL && *p != '\0'; no++) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);

		if (!party_line(&t, identity, no)) {
			fwrite(p, 1, n, out);
			if (nl == NULL)
				fputc('\n', out);
		}
		p += n;
	}
	if (ftell(out) == 0) {
		static const char *const head[] = { "identity",
			"public_key_hex" };

		csvio_write_row(out, ',', head, 2);
	}
	if (mine.n_rows == 1)
		csvio_write_row(out, t.sep, (const char *const *)
		    mine.rows[0].fields, mine.rows[0].n_fields);
	if (fclose(out) != 0 || mine.n_rows != 1 || rename(tmp, path) != 0) {
		fprintf(stderr, "keygen: cannot write %s: %s\n", path,
		    strerror(errno));
		unlink(tmp);
		rc = -1;
	}
done:
	csvio_free(&t);
	csvio_free(&mine);
	free(text);
	return rc;
}

/* keygen --party ID --out DIR [--registry REG]. Exit status. */
static int
one_party(const char *party, const char *out, const char *regdir)
{
	struct registry reg = { 0 };
	char *regions = NULL, *shelters = NULL, err[512], dir[4096];
	char *line = NULL, path[4096];
	size_t linelen = 0;
	const char *id;
	FILE *csv;
	int rc = 1;

	if (!identity_ok(party, &id)) {
		fprintf(stderr, "keygen: '%s' is not a party: national, "
		    "operator, region:ID or shelter:ID\n", party);
		return 2;
	}
	if (regdir != NULL) {
		if ((regions = slurp(regdir, "regions.csv")) == NULL ||
		    (shelters = slurp(regdir, "shelters.csv")) == NULL)
			goto out;
		if (registry_parse(&reg, regions, shelters, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "keygen: %s: %s\n", regdir, err);
			goto out;
		}
		if (id != NULL && (strncmp(party, "region:", 7) == 0 ?
		    registry_region(&reg, id) < 0 :
		    registry_shelter(&reg, id) == NULL)) {
			fprintf(stderr, "keygen: %s is not in the registry "
			    "%s\n", party, regdir);
			goto out;
		}
	}
	mkdir(out, 0700);
	snprintf(dir, sizeof(dir), "%s/keys", out);
	mkdir(dir, 0700);
	if ((csv = open_memstream(&line, &linelen)) == NULL)
		goto out;
	if (key_pair(out, party, csv, true) != 0) {
		fclose(csv);
		goto out;
	}
	fclose(csv);
	key_path(out, party, path, sizeof(path));
	if (regdir == NULL) {
		fputs(line, stdout);
		fprintf(stderr, "keygen: secret key in %s; add the line above "
		    "to the registry's keys.csv (or give --registry)\n", path);
	} else {
		if (replace_key_line(regdir, party, line) != 0)
			goto out;
		printf("keygen: %s: secret key in %s, public key in "
		    "%s/keys.csv (restart shelterd to use it)\n", party, path,
		    regdir);
	}
	rc = 0;
out:
	free(line);
	registry_free(&reg);
	free(regions);
	free(shelters);
	return rc;
}

static void
usage(void)
{
	fputs("Usage: keygen --registry DIR --out DIR\n"
	    "       keygen --party ID --out DIR [--registry DIR]\n"
	    "Make Ed25519 key pairs that sign requests to shelterd.\n\n"
	    "  -r, --registry DIR  the registry (regions.csv, shelters.csv)\n"
	    "  -o, --out DIR       where keys/ (and registry/) go\n"
	    "  -p, --party ID      one party only: national, operator, "
	    "region:ID or\n"
	    "                      shelter:ID\n"
	    "  -h, --help          print this help and exit\n\n"
	    "Without --party: a key pair for every shelter, region, the "
	    "national\ncoordinator and the operator. Writes OUT/registry/ "
	    "(the registry with\nkeys.csv: public keys, for shelterd) and "
	    "OUT/keys/ (one secret key file\nper party, mode 0600, for its "
	    "owner), with OUT/keys/daemon.key for shelterd\nitself "
	    "([security] daemon_key: it signs the audit log) and "
	    "OUT/daemon.pub,\nits public key, for inspectors.\n"
	    "With --party: a new key pair for that party only: "
	    "OUT/keys/NAME.key\n(never over an existing one), and its line "
	    "in the registry's keys.csv\nreplaced (without --registry: "
	    "printed).\n"
	    "Key files are named after the party with '-' for ':', e.g.\n"
	    "keys/shelter-SH-UT-003.key.\n", stdout);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "registry", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "party", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *src = NULL, *out = NULL, *party = NULL;
	struct registry reg = { 0 };
	char *regions, *shelters, err[512], dir[4096], id[64];
	FILE *csv;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "r:o:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			src = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			party = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			fprintf(stderr, "Try 'keygen --help'.\n");
			return 2;
		}
	}
	if (party != NULL && out != NULL && optind == argc)
		return one_party(party, out, src);
	if (src == NULL || out == NULL || optind != argc) {
		fprintf(stderr, "keygen: need --registry and --out, or --party "
		    "and --out\n");
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
