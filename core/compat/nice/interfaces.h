/* interfaces.h: libnice's network interface helpers, on NetAvanue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Part of NetAvanue's libnice source-compatibility layer.  The lists
 * hold strings (free them with g_list_free_full (list, g_free)), as
 * libnice's do.  nice_interfaces_get_local_ips() lists the addresses the
 * agent gathers from when no local address is given
 * (nav_host_gatherer_list_local_addresses(): interfaces that are up, IPv6
 * link-local addresses left out).
 */
#pragma once

#include <glib.h>
#include "address.h"

G_BEGIN_DECLS

gchar *nice_interfaces_get_ip_for_interface (gchar       *interface_name);
GList *nice_interfaces_get_local_ips        (gboolean     include_loopback);
GList *nice_interfaces_get_local_interfaces (void);
guint  nice_interfaces_get_if_index_by_addr (NiceAddress *addr);

G_END_DECLS
