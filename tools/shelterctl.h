/*
 * shelterctl.h — what shelterctl.c lends its subcommand files: the JSON
 * of a picture's parts, so that every command prints them alike.
 */
#ifndef SHELTERD_SHELTERCTL_H
#define SHELTERD_SHELTERCTL_H

#include "common.h"

/* One category's totals (a region's or the country's). */
cJSON *ctl_totals_json(const Shelterd__V1__CategoryTotals *t);
/* A shelter's last reported beds, keyed by category. */
cJSON *ctl_beds_json(const Shelterd__V1__ShelterReply *sh);

#endif
