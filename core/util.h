/*
 * util.h — the small helpers every part of shelterd needs once: big-endian
 * keys, a bounded string copy, mkdir -p and "is this address local".
 * Pure C and POSIX, no sockets or store.
 */
#ifndef SHELTERD_UTIL_H
#define SHELTERD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Big-endian, so that LMDB's byte order of keys is their numeric order. */
void util_put_be64(unsigned char *p, uint64_t v);
uint64_t util_get_be64(const unsigned char *p);
void util_put_be32(unsigned char *p, uint32_t v);
uint32_t util_get_be32(const unsigned char *p);

/* Copy src (NULL as "") into dst of len bytes, cut short if need be and
 * always terminated. */
void util_copy(char *dst, size_t len, const char *src);

/* mkdir -p with mode 0700: 0, or -1 with errno (ENAMETOOLONG for a path
 * of 1 KiB or more). */
int util_make_dirs(const char *dir);

/* ipc://, inproc:// or loopback (127.x, localhost, [::1]) in any of the
 * transports shelterd listens on: tcp, tls+tcp, ws, wss. */
bool util_url_is_local(const char *url);

#endif
