/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What memrun's own capabilities allow, and what to say when one lacks. */
#include "caps.h"

#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "privilege.h"

/* The inode of the initial user namespace (PROC_USER_INIT_INO). */
#define USER_NS_INIT_INO 0xEFFFFFFDU

static bool in_user_namespace(void)
{
	struct stat st;

	/* Unreadable (no /proc): assume the host's, as the kernel then does. */
	return stat("/proc/self/ns/user", &st) == 0 && st.st_ino != USER_NS_INIT_INO;
}

static bool have_effective(cap_value_t cap)
{
	cap_flag_value_t value = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (!caps)
		return false;
	if (cap_get_flag(caps, cap, CAP_EFFECTIVE, &value) < 0)
		value = CAP_CLEAR;
	cap_free(caps);
	return value == CAP_SET;
}

bool caps_have_sys_resource(void)
{
	/* An elevated memrun has it in effect in the job's child only. */
	return (have_effective(CAP_SYS_RESOURCE) || privilege_can_raise(CAP_SYS_RESOURCE)) &&
	       !in_user_namespace();
}

bool caps_have_sys_admin(void)
{
	return have_effective(CAP_SYS_ADMIN);
}

enum caps_standing caps_standing(void)
{
	if (in_user_namespace())
		return CAPS_STANDING_USER_NAMESPACE;
	return geteuid() == 0 ? CAPS_STANDING_ROOT : CAPS_STANDING_USER;
}

const char *caps_sys_resource_lacking(void)
{
	return "needs CAP_SYS_RESOURCE, which memrun does not have";
}

const char *caps_sys_resource_remedy(enum caps_standing standing)
{
	switch (standing) {
	case CAPS_STANDING_ROOT:
		/* Root already: "sudo" would change nothing.  A container's
		 * default set and a unit's CapabilityBoundingSet= drop it. */
		return "memrun runs as root, but without it (a container or a restricted "
		       "service drops it): grant it with docker run --cap-add=SYS_RESOURCE, "
		       "or CAP_SYS_RESOURCE in the CapabilityBoundingSet= of its systemd unit";
	case CAPS_STANDING_USER_NAMESPACE:
		return "run memrun as root outside the user namespace it runs in (a "
		       "rootless container, say): capabilities held in one do not count "
		       "for this";
	case CAPS_STANDING_USER:
		break;
	}
	return "run memrun as root (sudo memrun ...)";
}
