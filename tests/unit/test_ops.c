/*
 * test_ops.c — the request table: every body of a Request has a row that
 * is wired completely, and results reach the wire with one sign rule.
 * The bodies come from the proto's own descriptor, so a verb added to the
 * proto without a row fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ops.h"
#include "store.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

/* The fields of Request's oneof `body`, from the descriptor. */
static size_t
body_fields(const ProtobufCFieldDescriptor **out, size_t max)
{
	const ProtobufCMessageDescriptor *d =
	    &shelterd__v1__request__descriptor;
	size_t n = 0;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) == 0)
			continue;
		assert_true(n < max);
		out[n++] = f;
	}
	return n;
}

static void
every_body_has_a_complete_row(void **state)
{
	const ProtobufCFieldDescriptor *f[64];
	size_t n = body_fields(f, 64);

	(void)state;
	assert_true(n >= 19);
	for (size_t i = 0; i < n; i++) {
		/* protobuf-c numbers a oneof's cases by field number. */
		const struct op *op = ops_find((int)f[i]->id);

		if (op == NULL)
			fail_msg("Request.%s (field %u) has no row in "
			    "daemon/ops.c", f[i]->name, f[i]->id);
		assert_string_equal(op->name, f[i]->name);
		assert_non_null(op->reply);
		assert_non_null(op->action);
		if (op->kind == OP_WRITE_BATCH || op->kind == OP_WRITE_NESTED)
			assert_non_null(op->apply);
		else
			assert_null(op->apply);
		/* Nobody at all may make it: a row half-wired. */
		assert_true(op->roles != 0 || op->may != NULL);
	}
}

static void
every_row_is_a_body(void **state)
{
	const ProtobufCFieldDescriptor *f[64];
	size_t n = body_fields(f, 64), rows, named = 0;
	const struct op *row = ops_rows(&rows);

	(void)state;
	for (size_t r = 0; r < rows; r++) {
		bool found = false;

		if (row[r].name == NULL)
			continue;
		named++;
		for (size_t i = 0; i < n; i++)
			found |= f[i]->id == r &&
			    strcmp(f[i]->name, row[r].name) == 0;
		if (!found)
			fail_msg("row %zu '%s' is no body of Request", r,
			    row[r].name);
	}
	assert_int_equal(named, n);
	assert_null(ops_find(0));
	assert_null(ops_find(-1));
	assert_null(ops_find(100000));
}

static void
hint_names_every_body(void **state)
{
	const ProtobufCFieldDescriptor *f[64];
	size_t n = body_fields(f, 64);
	const char *names = ops_names();

	(void)state;
	for (size_t i = 0; i < n; i++)
		assert_non_null(strstr(names, f[i]->name));
}

static void
one_sign_rule(void **state)
{
	struct op_result r = { 0 };

	(void)state;
	assert_int_equal(op_wire_code(&r), CODE(OK));
	assert_int_equal(op_fail(&r, CODE(NOT_FOUND), "no %s", "x"),
	    CODE(NOT_FOUND));
	assert_int_equal(op_wire_code(&r), CODE(NOT_FOUND));
	assert_string_equal(r.msg, "no x");
	/* A store error met anywhere reaches the client as what it is,
	 * with a message, never as a protocol code of the same number. */
	memset(&r, 0, sizeof(r));
	r.rc = STORE_EFULL;
	assert_int_equal(op_wire_code(&r), CODE(STORE_FULL));
	assert_non_null(strstr(r.msg, "full"));
	memset(&r, 0, sizeof(r));
	r.rc = STORE_EIO;
	assert_int_equal(op_wire_code(&r), CODE(INTERNAL));
	assert_true(r.msg[0] != '\0');
	op_fail(&r, STORE_EFULL, "placement not stored");
	assert_int_equal(op_wire_code(&r), CODE(STORE_FULL));
	assert_string_equal(r.msg, "placement not stored");
}

static void
refusal_names_the_allowed_roles(void **state)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__AckAlert ack = SHELTERD__V1__ACK_ALERT__INIT;
	Shelterd__V1__BackupRequest bk = SHELTERD__V1__BACKUP_REQUEST__INIT;
	Shelterd__V1__ResetSeq rs = SHELTERD__V1__RESET_SEQ__INIT;
	struct identity id;
	struct op_result r = { 0 };

	(void)state;
	assert_int_equal(authz_parse("region:R1", &id), 0);
	req.body_case = SHELTERD__V1__REQUEST__BODY_ACK_ALERT;
	req.ack_alert = &ack;
	assert_int_equal(ops_authorize(ops_find((int)req.body_case), &id,
	    &req, NULL, &r), CODE(FORBIDDEN));
	assert_string_equal(r.msg, "only the national coordinator may "
	    "acknowledge alerts, not region:R1");
	req.body_case = SHELTERD__V1__REQUEST__BODY_BACKUP;
	req.backup = &bk;
	assert_int_equal(ops_authorize(ops_find((int)req.body_case), &id,
	    &req, NULL, &r), CODE(FORBIDDEN));
	assert_string_equal(r.msg, "only the operator may take backups, "
	    "not region:R1");
	/* A reset seq lets anything through once: the operator's only. */
	req.body_case = SHELTERD__V1__REQUEST__BODY_RESET_SEQ;
	req.reset_seq = &rs;
	assert_int_equal(authz_parse("national", &id), 0);
	assert_int_equal(ops_authorize(ops_find((int)req.body_case), &id,
	    &req, NULL, &r), CODE(FORBIDDEN));
	assert_int_equal(authz_parse("operator", &id), 0);
	assert_int_equal(ops_authorize(ops_find((int)req.body_case), &id,
	    &req, NULL, &r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_body_has_a_complete_row),
		cmocka_unit_test(every_row_is_a_body),
		cmocka_unit_test(hint_names_every_body),
		cmocka_unit_test(one_sign_rule),
		cmocka_unit_test(refusal_names_the_allowed_roles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
