/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 'memrun policy [show [USER] | apply]'. */
#pragma once

int policy_command(int argc, char **argv);
