/* nav-demo-group.h: nav-demo --group N (issue 18)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Adds the group options (--group, --group-member, …) to @context. */
void     nav_demo_group_add_options (GOptionContext *context);
/* Whether --group or --group-member was given. */
gboolean nav_demo_group_requested   (void);
/* Runs the group demo (or one member of it); returns the exit status. */
int      nav_demo_group_run         (const gchar *argv0,
                                     const gchar *signal_uri,
                                     const gchar *room,
                                     gint         timeout_s);

G_END_DECLS
