/*
 * log.h — one line per message on stderr, with a syslog-style "<N>" level
 * prefix that journald understands (SyslogLevelPrefix=yes), so the same
 * output reads well on a terminal and in `journalctl -u shelterd`.
 */
#ifndef SHELTERD_LOG_H
#define SHELTERD_LOG_H

enum log_level { LOG_ERR = 3, LOG_WARN = 4, LOG_INFO = 6, LOG_DEBUG = 7 };

void log_set_level(int level);
/* The program name in each line (default "shelterd"). */
void log_set_ident(const char *name);
int log_level_parse(const char *name); /* error|warn|info|debug, or -1 */
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
