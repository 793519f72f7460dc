/*
 * shelterctl.h — what shelterctl's subcommand files share. The JSON of
 * a picture's parts is core/json.h's, so that every command (and the
 * daemon's /api/ reads) prints them alike.
 */
#ifndef SHELTERD_SHELTERCTL_H
#define SHELTERD_SHELTERCTL_H

#include "common.h"


#endif
