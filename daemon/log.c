#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int max_level = LOG_INFO;
static const char *ident = "shelterd";

void
log_set_ident(const char *name)
{
	ident = name;
}

void
log_set_level(int level)
{
	max_level = level;
}

int
log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} names[] = { { "error", LOG_ERR }, { "warn", LOG_WARN },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG } };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0)
			return names[i].level;
	return -1;
}

void
log_msg(int level, const char *fmt, ...)
{
	static const char *const tag[] = { [LOG_ERR] = "error",
		[LOG_WARN] = "warn", [LOG_INFO] = "info",
		[LOG_DEBUG] = "debug" };
	char line[1024];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so lines from a crash stay whole. */
	fprintf(stderr, "<%d>%s %s: %s\n", level, ident, tag[level], line);
}
