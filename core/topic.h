/*
 * topic.h — the pub/sub topic of an event: one rule for the daemon and for
 * shelter-node, which republishes the national events of its region.
 *
 *   esc/<region|national>/<level>/<shelter|region|national|stale|ack|
 *       early|placement>/<category|->[/<shelter>]
 *   place/<from_region>/<state>/<request_id>    (a placement step)
 *
 * Region first, then level, so `esc/VR09/` follows a region and
 * `esc/VR09/critical/` its critical alerts. A placement step never names
 * the held shelter; an unplaced request's critical escalation is under
 * esc/ like every alert.
 */
#ifndef SHELTERD_TOPIC_H
#define SHELTERD_TOPIC_H

#include <stddef.h>

#include "shelterd.pb-c.h"

/* Like snprintf: the length the topic has (without the NUL). */
int event_topic(const Shelterd__V1__Event *ev, char *buf, size_t len);

#endif
