/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "caps.h"

#include <sys/capability.h>

bool caps_have_sys_resource(void)
{
	cap_flag_value_t value = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (!caps)
		return false;
	if (cap_get_flag(caps, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &value) < 0)
		value = CAP_CLEAR;
	cap_free(caps);
	return value == CAP_SET;
}
