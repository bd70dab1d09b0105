/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 'memrun profiles [list | show NAME]'. */
#pragma once

int profiles_command(int argc, char **argv);
