/*
 * log.h — one line per message. Under journald (JOURNAL_STREAM names our
 * stderr) each line keeps a syslog-style "<N>" level prefix that journald
 * turns into the priority (SyslogLevelPrefix=yes) and no timestamp of its
 * own (journald stamps it); elsewhere, and in a [log] file, each line
 * starts with an RFC 3339 UTC timestamp. [log] format = json writes one
 * JSON object per line instead (time, level, ident, msg).
 */
#ifndef SHELTERD_LOG_H
#define SHELTERD_LOG_H

#include <stddef.h>

enum log_level { LOG_ERR = 3, LOG_WARN = 4, LOG_INFO = 6, LOG_DEBUG = 7 };
enum log_format { LOG_TEXT, LOG_JSON };

void log_set_level(int level);
/* The program name in each line (default "shelterd"). */
void log_set_ident(const char *name);
int log_level_parse(const char *name); /* error|warn|info|debug, or -1 */
int log_format_parse(const char *name); /* text|json, or -1 */
void log_set_format(enum log_format format);
/*
 * Log to this file (appended, created 0640) instead of stderr; NULL or ""
 * goes back to stderr. Called again with the same path it reopens the file
 * (after logrotate moved it). 0, or -1 with err (the old target is kept).
 */
int log_open_file(const char *path, char *err, size_t errlen);
void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* For "cannot continue" only: logs and exits. Never for peer input. */
#define REQUIRE(cond)                                                      \
	do {                                                               \
		if (!(cond)) {                                             \
			log_err("internal error: %s failed at %s:%d", #cond, \
			    __FILE__, __LINE__);                           \
			abort();                                           \
		}                                                          \
	} while (0)

#endif
