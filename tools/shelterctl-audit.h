/*
 * shelterctl-audit.h — `shelterctl audit verify|export` (docs/audit.md).
 */
#ifndef SHELTERD_SHELTERCTL_AUDIT_H
#define SHELTERD_SHELTERCTL_AUDIT_H

#include "common.h"

/* argv[0] is "audit"; its own options follow. Returns the exit status. */
int audit_cli(int argc, char **argv);

#endif
