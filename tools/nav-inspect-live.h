/* nav-inspect-live.h: nav-inspect --live, the client of the objects a
 * process exports (core/inspect/nav-inspect-export.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @target: NULL (every process), "PID" or "PID/OBJECT". */
int nav_inspect_live (const gchar *target,
                      gboolean     follow,
                      gboolean     json);

G_END_DECLS
