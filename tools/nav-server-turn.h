/* nav-server-turn.h: the TURN part of nav-server
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

extern const GOptionEntry nav_server_turn_entries[];

gboolean   nav_server_turn_is_option   (const gchar  *name);
const gchar *nav_server_turn_help      (void);
NavServer *nav_server_turn_new         (gchar       **listening_ips,
                                        gint          listening_port,
                                        gint          tls_listening_port,
                                        const gchar  *cert,
                                        const gchar  *pkey,
                                        gboolean      no_udp,
                                        gboolean      no_tcp,
                                        gboolean      no_tls,
                                        const gchar  *software,
                                        guint         tcp_idle_timeout_ms,
                                        guint         max_tcp_connections,
                                        guint         threads,
                                        const gchar  *steering,
                                        GError      **error);
gboolean   nav_server_turn_check_users  (GError      **error);
void       nav_server_turn_free_options (void);

G_END_DECLS
