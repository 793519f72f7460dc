#include "log.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int max_level = LOG_INFO;
static const char *ident = "shelterd";
static enum log_format format = LOG_TEXT;
/* NULL: stderr. Lines come from the loop and from nng's and the backup's
 * threads: the lock keeps a reopen from closing a file under a writer. */
static FILE *file;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

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

void
log_set_format(enum log_format f)
{
	format = f;
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

int
log_format_parse(const char *name)
{
	if (strcmp(name, "text") == 0)
		return LOG_TEXT;
	if (strcmp(name, "json") == 0)
		return LOG_JSON;
	return -1;
}

int
log_open_file(const char *path, char *err, size_t errlen)
{
	FILE *f = NULL;
	int fd;

	if (path != NULL && path[0] != '\0') {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0640);
		if (fd < 0 || (f = fdopen(fd, "a")) == NULL) {
			snprintf(err, errlen, "[log] file %s: %s", path,
			    strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		/* Line buffered: a line is in the file when it is logged. */
		setvbuf(f, NULL, _IOLBF, 0);
	}
	pthread_mutex_lock(&lock);
	if (file != NULL)
		fclose(file);
	file = f;
	pthread_mutex_unlock(&lock);
	return 0;
}

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * our stderr; a child that inherited the variable but writes elsewhere is
 * not under journald (sd_journal_stream_fd(3), systemd.exec(5)).
 */
static bool
under_journald(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/* RFC 3339, UTC, milliseconds: 2026-11-28T20:43:54.123Z */
static void
timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char sec[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.19s.%03dZ", sec, (int)(ts.tv_nsec / 1000000));
}

void
log_msg(int level, const char *fmt, ...)
{
	static const char *const tag[] = { [LOG_ERR] = "error",
		[LOG_WARN] = "warn", [LOG_INFO] = "info",
		[LOG_DEBUG] = "debug" };
	static int journald = -1;
	char line[1024], when[48], prefix[8] = "";
	char *json = NULL;
	cJSON *o;
	va_list ap;
	FILE *out;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (journald < 0)
		journald = under_journald();
	timestamp(when, sizeof(when));
	pthread_mutex_lock(&lock);
	out = file != NULL ? file : stderr;
	if (out == stderr && journald)
		snprintf(prefix, sizeof(prefix), "<%d>", level);
	if (format == LOG_JSON && (o = cJSON_CreateObject()) != NULL) {
		if (cJSON_AddStringToObject(o, "time", when) != NULL &&
		    cJSON_AddStringToObject(o, "level", tag[level]) != NULL &&
		    cJSON_AddStringToObject(o, "ident", ident) != NULL &&
		    cJSON_AddStringToObject(o, "msg", line) != NULL)
			json = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
	}
	/* One fprintf per line so lines from a crash stay whole. */
	if (json != NULL)
		fprintf(out, "%s%s\n", prefix, json);
	else if (out == stderr && journald)
		fprintf(out, "%s%s %s: %s\n", prefix, ident, tag[level], line);
	else
		fprintf(out, "%s %s %s: %s\n", when, ident, tag[level], line);
	pthread_mutex_unlock(&lock);
	cJSON_free(json);
}
