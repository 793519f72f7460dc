/*
 * wire.h — the store's structs as the wire's messages (alerts and
 * placements). The messages point into the structs: keep them until
 * packed.
 */
#ifndef SHELTERD_WIRE_H
#define SHELTERD_WIRE_H

#include <stdbool.h>

#include "shelterd.pb-c.h"
#include "store.h"

void wire_alert(Shelterd__V1__Alert *out, struct alert_state *a);
/* The placement as its requester sees it: the held shelter is named only
 * once it accepted, unless disclose (the shelter's own holds). exclude
 * holds room for PLACE_EXCLUDE_MAX pointers. */
void wire_placement(Shelterd__V1__Placement *out, struct placement_state *p,
    char **exclude, bool disclose);

#endif
