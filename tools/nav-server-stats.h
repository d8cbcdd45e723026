/* nav-server-stats.h: the HTTP stats endpoint of nav-server
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

typedef struct _NavServerStats NavServerStats;

NavServerStats *nav_server_stats_new    (void);
void            nav_server_stats_add    (NavServerStats *self,
                                         const gchar    *name,
                                         NavServer      *server);
gboolean        nav_server_stats_listen (NavServerStats *self,
                                         const gchar    *ip,
                                         guint           port,
                                         GError        **error);
guint           nav_server_stats_get_port (NavServerStats *self);
void            nav_server_stats_free   (NavServerStats *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavServerStats, nav_server_stats_free)

G_END_DECLS
