/*
 * fuzz_config.c — libFuzzer target on the INI config: the input is the
 * text of a shelterd.conf, read by the daemon's own config_load (inih and
 * every key's parser) and then config_check, as at start and on SIGHUP.
 * config_load reads a path, so each input is written to one temp file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static char path[64];
static int fd = -1;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char err[512];

	if (fd < 0) {
		char tmp[] = "/tmp/shelterd-fuzz-conf-XXXXXX";

		log_set_level(LOG_ERR);
		if ((fd = mkstemp(tmp)) < 0)
			abort();
		/* Gone from the file system at once; read through the fd. */
		unlink(tmp);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	config_defaults(&cfg);
	if (config_load(&cfg, path, err, sizeof(err)) == 0)
		(void)config_check(&cfg, err, sizeof(err));
	return 0;
}
