#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void
util_put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

uint64_t
util_get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void
util_put_be32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

uint32_t
util_get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
util_copy(char *dst, size_t len, const char *src)
{
	size_t n;

	/* Not snprintf("%s"): a history sample copies a shelter id for
	 * every stored report, and the printf machinery was 6 % of the
	 * daemon's CPU in batch mode (BENCHMARKS.md). */
	if (len == 0)
		return;
	n = src != NULL ? strnlen(src, len - 1) : 0;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

int
util_make_dirs(const char *dir)
{
	char path[1024];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path)) {
		errno = n == 0 ? ENOENT : ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

bool
util_url_is_local(const char *url)
{
	static const char *const local[] = { "ipc://", "inproc://",
		"tcp://127.", "tcp://localhost:", "tcp://[::1]",
		"tls+tcp://127.", "tls+tcp://localhost:", "tls+tcp://[::1]",
		"ws://127.", "ws://localhost:", "ws://[::1]", "wss://127.",
		"wss://localhost:", "wss://[::1]", "http://127.",
		"http://localhost:", "http://[::1]" };

	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strncmp(url, local[i], strlen(local[i])) == 0)
			return true;
	return false;
}
