/* nav-server-signaling.h: the signaling part of the nav-server daemon
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

extern const GOptionEntry nav_server_signaling_entries[];

gboolean   nav_server_signaling_knows_option (const gchar  *name);
gint       nav_server_signaling_check        (void);
NavServer *nav_server_signaling_start        (const gchar  *listening_ip,
                                              const gchar  *cert_file,
                                              const gchar  *pkey_file,
                                              GError      **error);
void       nav_server_signaling_free_options (void);
const gchar *nav_server_signaling_help       (void);

G_END_DECLS
