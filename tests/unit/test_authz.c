/*
 * test_authz.c — who may do what: the roles of the request table's rows
 * (daemon/ops.c) and the predicates of core/authz.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "authz.h"
#include "ops.h"

static const char regions_csv[] =
    "code,name,province,seat,lat,lon,neighbours\n"
    "R1,One,P,S,1,1,R2\n"
    "R2,Two,P,S,2,2,R1\n";
static const char shelters_csv[] =
    "id,name,region,security_level,beds\n"
    "S1,Shelter One,R1,0,women:4\n"
    "S2,Shelter Two,R2,0,women:4\n";

static struct registry reg;

static int
setup(void **state)
{
	char err[256];

	(void)state;
	memset(&reg, 0, sizeof(reg));
	return registry_parse(&reg, regions_csv, shelters_csv, err,
	    sizeof(err));
}

static int
teardown(void **state)
{
	(void)state;
	registry_free(&reg);
	return 0;
}

static struct identity
who(const char *signer)
{
	struct identity id;

	assert_int_equal(authz_parse(signer, &id), 0);
	return id;
}

/* Ask the request table's row, as the daemon does: 0 or -1. */
static int
check(const char *signer, const Shelterd__V1__Request *req)
{
	struct identity id = who(signer);
	struct op_result res = { 0 };
	const struct op *op = ops_find((int)req->body_case);

	assert_non_null(op);
	return ops_authorize(op, &id, req, &reg, &res) == 0 ? 0 : -1;
}

static void
parse_identities(void **state)
{
	struct identity id;

	(void)state;
	assert_int_equal(authz_parse("shelter:S1", &id), 0);
	assert_int_equal(id.role, ROLE_SHELTER);
	assert_string_equal(id.id, "S1");
	assert_int_equal(authz_parse("region:R2", &id), 0);
	assert_int_equal(id.role, ROLE_REGION);
	assert_int_equal(authz_parse("national", &id), 0);
	assert_int_equal(id.role, ROLE_NATIONAL);
	assert_int_equal(authz_parse("operator", &id), 0);
	assert_int_equal(id.role, ROLE_OPERATOR);
	assert_int_equal(authz_parse("shelter:", &id), -1);
	assert_int_equal(authz_parse("admin", &id), -1);
	assert_int_equal(authz_parse(NULL, &id), -1);
}

static void
updates(void **state)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__OccupancyUpdate up = SHELTERD__V1__OCCUPANCY_UPDATE__INIT;

	(void)state;
	up.shelter_id = (char *)"S1";
	req.body_case = SHELTERD__V1__REQUEST__BODY_UPDATE;
	req.update = &up;
	assert_int_equal(check("shelter:S1", &req), 0);
	assert_int_equal(check("shelter:S2", &req), -1);
	assert_int_equal(check("region:R1", &req), 0);  /* its gateway */
	assert_int_equal(check("region:R2", &req), -1);
	assert_int_equal(check("national", &req), -1);
	assert_int_equal(check("operator", &req), -1);
}

static void
batch_needs_every_update_allowed(void **state)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__OccupancyBatch b = SHELTERD__V1__OCCUPANCY_BATCH__INIT;
	Shelterd__V1__OccupancyUpdate u1 = SHELTERD__V1__OCCUPANCY_UPDATE__INIT;
	Shelterd__V1__OccupancyUpdate u2 = SHELTERD__V1__OCCUPANCY_UPDATE__INIT;
	Shelterd__V1__OccupancyUpdate *v[2] = { &u1, &u2 };

	(void)state;
	u1.shelter_id = (char *)"S1";
	u2.shelter_id = (char *)"S1";
	b.updates = v;
	b.n_updates = 2;
	req.body_case = SHELTERD__V1__REQUEST__BODY_BATCH;
	req.batch = &b;
	assert_int_equal(check("region:R1", &req), 0);
	u2.shelter_id = (char *)"S2";
	assert_int_equal(check("region:R1", &req), -1);
}

static void
the_plan(void **state)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__PlanQuery pq = SHELTERD__V1__PLAN_QUERY__INIT;
	struct identity id = who("region:R2");
	struct op_result res = { 0 };

	(void)state;
	pq.region_id = (char *)"";
	req.body_case = SHELTERD__V1__REQUEST__BODY_PLAN;
	req.plan = &pq;
	assert_int_equal(check("national", &req), 0);
	assert_int_equal(check("operator", &req), 0);
	assert_int_equal(check("region:R1", &req), -1);
	assert_int_equal(check("shelter:S1", &req), -1);
	/* A region may read its own rows, and only those. */
	pq.region_id = (char *)"R1";
	assert_int_equal(check("region:R1", &req), 0);
	assert_int_equal(check("region:R2", &req), -1);
	assert_int_equal(check("shelter:S1", &req), -1);
	assert_int_equal(check("national", &req), 0);
	assert_int_equal(ops_authorize(ops_find((int)req.body_case), &id,
	    &req, &reg, &res), SHELTERD__V1__CODE__CODE_FORBIDDEN);
	assert_string_equal(res.msg, "region:R2 may read the plan of its "
	    "own region only (--region), not 'R1'");
}

static void
reserve_answers_by_the_shelter_itself(void **state)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__ReserveAnswer ra = SHELTERD__V1__RESERVE_ANSWER__INIT;
	Shelterd__V1__ReserveQuery rq = SHELTERD__V1__RESERVE_QUERY__INIT;

	(void)state;
	ra.shelter_id = (char *)"S1";
	req.body_case = SHELTERD__V1__REQUEST__BODY_RESERVE_ANSWER;
	req.reserve_answer = &ra;
	assert_int_equal(check("shelter:S1", &req), 0);
	assert_int_equal(check("shelter:S2", &req), -1);
	assert_int_equal(check("region:R1", &req), -1);
	assert_int_equal(check("national", &req), -1);
	rq.shelter_id = (char *)"S2";
	req.body_case = SHELTERD__V1__REQUEST__BODY_RESERVE_QUERY;
	req.reserve_query = &rq;
	assert_int_equal(check("shelter:S2", &req), 0);
	assert_int_equal(check("shelter:S1", &req), -1);
	assert_int_equal(check("national", &req), 0);
	/* Activation: the national coordinator only. */
	req.body_case = SHELTERD__V1__REQUEST__BODY_RESERVE_ACTIVATE;
	assert_int_equal(check("national", &req), 0);
	assert_int_equal(check("operator", &req), -1);
	assert_int_equal(check("region:R1", &req), -1);
	assert_int_equal(check("shelter:S1", &req), -1);
}

static void
acks_only_national(void **state)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__AckAlert ack = SHELTERD__V1__ACK_ALERT__INIT;

	(void)state;
	req.body_case = SHELTERD__V1__REQUEST__BODY_ACK_ALERT;
	req.ack_alert = &ack;
	assert_int_equal(check("national", &req), 0);
	assert_int_equal(check("operator", &req), -1);
	assert_int_equal(check("region:R1", &req), -1);
	assert_int_equal(check("shelter:S1", &req), -1);
}

static void
placements(void **state)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__PlacementRequest pr =
	    SHELTERD__V1__PLACEMENT_REQUEST__INIT;
	Shelterd__V1__PlacementAnswer ans =
	    SHELTERD__V1__PLACEMENT_ANSWER__INIT;
	struct identity r1 = who("region:R1"), nat = who("national");
	struct identity sh = who("shelter:S1");

	(void)state;
	pr.from_region = (char *)"R1";
	req.body_case = SHELTERD__V1__REQUEST__BODY_PLACE;
	req.place = &pr;
	assert_int_equal(check("region:R1", &req), 0);
	assert_int_equal(check("region:R2", &req), -1);
	assert_int_equal(check("shelter:S1", &req), -1);
	assert_int_equal(check("national", &req), 0);
	ans.shelter_id = (char *)"S1";
	req.body_case = SHELTERD__V1__REQUEST__BODY_ANSWER;
	req.answer = &ans;
	assert_int_equal(check("shelter:S1", &req), 0);
	assert_int_equal(check("shelter:S2", &req), -1);
	assert_int_equal(check("region:R1", &req), -1);
	assert_int_equal(authz_owns_placement(&r1, "R1"), 1);
	assert_int_equal(authz_owns_placement(&r1, "R2"), 0);
	assert_int_equal(authz_owns_placement(&nat, "R2"), 1);
	assert_int_equal(authz_owns_placement(&sh, "R1"), 0);
}

static void
reads(void **state)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__StatusQuery sq = SHELTERD__V1__STATUS_QUERY__INIT;
	Shelterd__V1__ShelterQuery shq = SHELTERD__V1__SHELTER_QUERY__INIT;

	(void)state;
	req.body_case = SHELTERD__V1__REQUEST__BODY_STATUS;
	req.status = &sq;
	assert_int_equal(check("shelter:S1", &req), 0);
	assert_int_equal(check("operator", &req), 0);
	shq.shelter_id = (char *)"S2";
	req.body_case = SHELTERD__V1__REQUEST__BODY_SHELTER;
	req.shelter = &shq;
	assert_int_equal(check("shelter:S2", &req), 0);
	assert_int_equal(check("shelter:S1", &req), -1);
	assert_int_equal(check("region:R2", &req), 0);
	assert_int_equal(check("region:R1", &req), -1);
	assert_int_equal(check("national", &req), 0);
}

static void
export_and_import(void **state)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__ExportQuery eq = SHELTERD__V1__EXPORT_QUERY__INIT;
	Shelterd__V1__RegistryImport ri = SHELTERD__V1__REGISTRY_IMPORT__INIT;

	(void)state;
	req.body_case = SHELTERD__V1__REQUEST__BODY_EXPORT_QUERY;
	req.export_query = &eq;
	assert_int_equal(check("national", &req), 0);
	assert_int_equal(check("operator", &req), 0);
	assert_int_equal(check("region:R1", &req), -1);
	assert_int_equal(check("shelter:S1", &req), -1);
	req.body_case = SHELTERD__V1__REQUEST__BODY_REGISTRY_IMPORT;
	req.registry_import = &ri;
	assert_int_equal(check("operator", &req), 0);
	assert_int_equal(check("national", &req), -1);
	assert_int_equal(check("region:R1", &req), -1);
	assert_int_equal(check("shelter:S1", &req), -1);
}

static void
refusal_names_the_identity(void **state)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__OccupancyUpdate up = SHELTERD__V1__OCCUPANCY_UPDATE__INIT;
	struct identity id = who("shelter:S2");
	struct op_result res = { 0 };

	(void)state;
	up.shelter_id = (char *)"S1";
	req.body_case = SHELTERD__V1__REQUEST__BODY_UPDATE;
	req.update = &up;
	assert_int_equal(ops_authorize(ops_find((int)req.body_case), &id,
	    &req, &reg, &res), SHELTERD__V1__CODE__CODE_FORBIDDEN);
	assert_string_equal(res.msg, "shelter:S2 may not report for shelter "
	    "'S1'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_identities),
		cmocka_unit_test(updates),
		cmocka_unit_test(batch_needs_every_update_allowed),
		cmocka_unit_test(acks_only_national),
		cmocka_unit_test(placements),
		cmocka_unit_test(reads),
		cmocka_unit_test(the_plan),
		cmocka_unit_test(reserve_answers_by_the_shelter_itself),
		cmocka_unit_test(export_and_import),
		cmocka_unit_test(refusal_names_the_identity),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
