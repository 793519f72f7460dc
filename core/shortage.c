#include "shortage.h"

#include <string.h>

void
shortage_eval(const struct shortage_params *p, const struct shortage_in *in,
    struct shortage_out *out)
{
	uint32_t clear_below;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->n_days; i++) {
		out->days_critical += in->days[i].critical;
		/* A day before the history began is not a day short. */
		out->days_below_norm += in->has_norm && in->days[i].known &&
		    in->days[i].capacity < in->norm;
	}
	/* Below the norm only when the history saw the whole window: a
	 * daemon that started yesterday knows nothing of last month. */
	if (in->has_norm && in->covered && in->n_days > 0 &&
	    out->days_below_norm == in->n_days && in->capacity < in->norm)
		out->why |= SHORTAGE_BELOW_NORM;
	if (out->days_critical >= p->critical_days)
		out->why |= SHORTAGE_CRITICAL_DAYS;
	if (!in->open) {
		out->open = out->why != 0;
		return;
	}
	/* Open: clear only well inside both bounds. With critical_days no
	 * larger than clear_days, only a window without a critical day. */
	clear_below = p->critical_days > p->clear_days ?
	    p->critical_days - p->clear_days : 1;
	out->open = (in->has_norm && in->capacity < in->norm) ||
	    out->days_critical >= clear_below;
}
