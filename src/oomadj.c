/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "oomadj.h"

#include <fcntl.h>

#include "caps.h"
#include "util.h"

#define OOM_SCORE_ADJ_PATH "/proc/self/oom_score_adj"

int oomadj_apply(const struct plan *plan)
{
	char buf[16];
	int fd, len, n;
	long long v;

	if (!plan->values[SETTING_OOM_SCORE_ADJ].set)
		return 0;
	v = plan->values[SETTING_OOM_SCORE_ADJ].number;
	/* No snprintf: this runs between fork and exec. */
	len = 0;
	if (v < 0)
		buf[len++] = '-', v = -v;
	{
		char digits[8];
		int nd = 0;
		do
			digits[nd++] = (char)('0' + v % 10);
		while ((v /= 10) > 0);
		while (nd > 0)
			buf[len++] = digits[--nd];
	}
	fd = open(OOM_SCORE_ADJ_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = (int)write(fd, buf, (size_t)len);
	if (n < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	return n == len ? 0 : -EIO;
}

int oomadj_read_self(int *ret)
{
	char buf[32];
	long long v;
	ssize_t n = read_small_file(OOM_SCORE_ADJ_PATH, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_int64(buf, -1000, 1000, &v) < 0)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

void oomadj_explain_failure(const struct plan *plan, int err)
{
	const struct setting_value *v = &plan->values[SETTING_OOM_SCORE_ADJ];
	char from[256];
	int current = 0;

	origin_describe(&v->origin, from, sizeof(from));
	if ((err == -EACCES || err == -EPERM) && !caps_have_sys_resource()) {
		oomadj_read_self(&current);
		log_error("cannot set oom_score_adj to %lld (from %s): lowering it below %d %s",
			  v->number, from, current, caps_sys_resource_lacking());
		log_hint("%s; or use a value of %d or more (--oom-score-adj %d)",
			 caps_sys_resource_remedy(caps_standing()), current,
			 current < 0 ? current : 0);
		return;
	}
	log_error_errno(err, "cannot set oom_score_adj to %lld (from %s)", v->number, from);
}
