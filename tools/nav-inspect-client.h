/* nav-inspect-client.h: the client side of the export, for nav-inspect
 * --live and nav-server's internals page (nav-inspect-client.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PROCESS_IFACE "org.netavanue.Inspect.Process"
#define OBJECT_IFACE "org.netavanue.Inspect.Object"
#define CALL_TIMEOUT_MS 10000

typedef struct {
  guint pid;
  GDBusConnection *connection;
  gchar *bus_name;              /* NULL on a peer-to-peer connection */
  gchar *where;                 /* the bus name or the socket */
} Endpoint;

void       nav_inspect_endpoint_free  (gpointer            data);
/* The exporting processes (only @only_pid's unless 0), by pid. */
GPtrArray *nav_inspect_find_endpoints (guint               only_pid);
GVariant  *nav_inspect_call           (Endpoint           *e,
                                       const gchar        *path,
                                       const gchar        *iface,
                                       const gchar        *method,
                                       GVariant           *params,
                                       const GVariantType *reply,
                                       GError            **error);
gchar     *nav_inspect_get_program    (Endpoint           *e);
/* a(sss): name, type, state */
GVariant  *nav_inspect_list_objects   (Endpoint           *e,
                                       GError            **error);

G_END_DECLS
