/* nav-net-listener.h: a listening TCP socket and its accept loop
 * (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include "netavanue/netavanue.h"

#include "nav-net-socket.h"

G_BEGIN_DECLS

typedef struct _NavNetListener NavNetListener;

/* A connection accepted: @fd is non-blocking and close-on-exec, and the
 * function owns it (it may close it at once to refuse the connection). */
typedef void (*NavNetAcceptFunc) (NavNetListener   *listener,
                                  int               fd,
                                  const NavAddress *remote,
                                  gpointer          user_data);

typedef struct
{
  guint64 accepted;
  guint64 paused;       /* times accept(2) ran out of descriptors or memory */
  guint64 errors;       /* other accept(2) failures */
} NavNetListenerStats;

/* Listens on @address (port 0 for any) with @backlog, SO_REUSEADDR (a
 * restarted server binds over TIME_WAIT) plus @flags, and accepts in
 * @context.  When accept(2) fails with EMFILE, ENFILE, ENOBUFS or ENOMEM
 * the listener stops watching its socket (which would otherwise poll
 * readable for ever, the connection waiting in the backlog) and tries
 * again after a delay that doubles from 10 ms to 1 s, going back to
 * watching once an accept succeeds or the backlog is empty. */
NavNetListener *nav_net_listener_new     (GMainContext      *context,
                                          const NavAddress  *address,
                                          NavNetSocketFlags  flags,
                                          int                backlog,
                                          NavNetAcceptFunc   func,
                                          gpointer           user_data,
                                          const gchar       *kind,
                                          GError           **error);
/* From a socket already bound (not yet listening). */
NavNetListener *nav_net_listener_new_from_fd (GMainContext      *context,
                                              int                fd,
                                              int                backlog,
                                              NavNetAcceptFunc   func,
                                              gpointer           user_data,
                                              const gchar       *kind,
                                              GError           **error);
void            nav_net_listener_free    (NavNetListener    *listener);

const NavAddress *nav_net_listener_get_address (NavNetListener *listener);
int             nav_net_listener_get_fd  (NavNetListener    *listener);
/* The listening socket as a GSocket, for socket options; made on first
 * use. */
GSocket        *nav_net_listener_get_socket (NavNetListener *listener);
/* Stops and restarts accepting (the backlog keeps filling meanwhile). */
void            nav_net_listener_set_accepting (NavNetListener *listener,
                                                gboolean        accepting);
const NavNetListenerStats *nav_net_listener_get_stats (NavNetListener *listener);

G_END_DECLS
