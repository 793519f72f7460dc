/*
 * beds — a libshelterd example: report one shelter's beds and print its
 * region's free beds afterwards.
 *
 *	cc beds.c $(pkg-config --cflags --libs shelterd) -o beds
 *	./beds SH-UT-003 women 4 3       # capacity 4, occupied 3
 *
 * The daemon is $SHELTERD_API (or the loopback default); a key in
 * $SHELTERD_KEY signs the requests.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif
#include <shelterd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Send one request; print why when it fails. */
static Shelterd__V1__Reply *
call(const Shelterd__V1__Request *req)
{
	Shelterd__V1__Reply *reply;
	char err[512];

	if (client_call(client_default_api(), 5000, req, &reply, err,
	    sizeof(err)) != EXIT_OK) {
		fprintf(stderr, "beds: %s\n", err);
		return NULL;
	}
	if (reply->code != SHELTERD__V1__CODE__CODE_OK) {
		fprintf(stderr, "beds: refused (%s): %s\n",
		    client_code_name(reply->code), reply->error);
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return NULL;
	}
	return reply;
}

int
main(int argc, char **argv)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__OccupancyUpdate u = SHELTERD__V1__OCCUPANCY_UPDATE__INIT;
	Shelterd__V1__BedCount bc = SHELTERD__V1__BED_COUNT__INIT, *bp = &bc;
	Shelterd__V1__ShelterQuery sq = SHELTERD__V1__SHELTER_QUERY__INIT;
	Shelterd__V1__StatusQuery st = SHELTERD__V1__STATUS_QUERY__INIT;
	Shelterd__V1__Reply *reply;
	struct timespec now;
	char region[64];
	int cat;

	if (argc != 5 || (cat = cat_parse(argv[2])) < 0) {
		fprintf(stderr, "usage: beds SHELTER CATEGORY CAPACITY "
		    "OCCUPIED\n");
		return EXIT_USAGE;
	}
	/* The report: seq increases per shelter; the time in microseconds
	 * does, as shelter-report's default. */
	clock_gettime(CLOCK_REALTIME, &now);
	u.shelter_id = argv[1];
	u.seq = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
	u.observed_at = now.tv_sec;
	u.status = SHELTERD__V1__SHELTER_STATUS__SHELTER_STATUS_OPEN;
	bc.category = (Shelterd__V1__Category)cat;
	bc.capacity = (uint32_t)atoi(argv[3]);
	bc.occupied = (uint32_t)atoi(argv[4]);
	u.n_beds = 1;
	u.beds = &bp;
	req.body_case = SHELTERD__V1__REQUEST__BODY_UPDATE;
	req.update = &u;
	if ((reply = call(&req)) == NULL)
		return EXIT_REFUSED;
	printf("%s seq %llu: stored\n", reply->ack->shelter_id,
	    (unsigned long long)reply->ack->seq);
	shelterd__v1__reply__free_unpacked(reply, NULL);

	/* Which region is it in? */
	sq.shelter_id = argv[1];
	req.body_case = SHELTERD__V1__REQUEST__BODY_SHELTER;
	req.shelter = &sq;
	if ((reply = call(&req)) == NULL)
		return EXIT_REFUSED;
	snprintf(region, sizeof(region), "%s", reply->shelter->region_id);
	shelterd__v1__reply__free_unpacked(reply, NULL);

	/* Its region's free beds in that category. */
	req.body_case = SHELTERD__V1__REQUEST__BODY_STATUS;
	req.status = &st;
	if ((reply = call(&req)) == NULL)
		return EXIT_REFUSED;
	for (size_t r = 0; r < reply->status->n_regions; r++) {
		const Shelterd__V1__RegionStatus *rs =
		    reply->status->regions[r];

		if (strcmp(rs->region_id, region) != 0)
			continue;
		for (size_t c = 0; c < rs->n_totals; c++)
			if ((int)rs->totals[c]->category == cat)
				printf("%s %s: %u of %u free\n", region,
				    cat_name(cat), rs->totals[c]->free,
				    rs->totals[c]->capacity);
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return EXIT_OK;
}
