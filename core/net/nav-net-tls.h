/* nav-net-tls.h: TLS for the streams of nav-net-stream (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GnuTLS directly, not through GIO: GIO's TLS backend builds a
 * credentials object and loads the system's trust database for every
 * connection (3.8 MB and 12 ms each, issue 14), and runs each handshake
 * in a thread of its own.  Here a server has one credentials object for
 * all its connections (it verifies no client certificate, so it needs no
 * trust database) and one worker thread that runs every handshake without
 * blocking, so that a thousand connections to the TLS port neither take
 * memory nor stall the thread that answers UDP.
 */
#pragma once

#include <glib.h>
#include "netavanue/netavanue.h"

#include "nav-net-stream.h"

G_BEGIN_DECLS

typedef struct _NavNetTlsServer NavNetTlsServer;

typedef struct
{
  guint handshake_timeout_ms;   /* a handshake not done by then is dropped */
  guint max_handshakes;         /* handshakes under way, in all */
  guint max_handshakes_per_ip;  /* handshakes under way from one IP address */
} NavNetTlsLimits;

#define NAV_NET_TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS 10000
#define NAV_NET_TLS_DEFAULT_MAX_HANDSHAKES 256
#define NAV_NET_TLS_DEFAULT_MAX_HANDSHAKES_PER_IP 16

typedef struct
{
  guint64 started;
  guint64 completed;
  guint64 failed;
  guint64 timed_out;
  guint64 refused;              /* over a limit: closed at once */
  guint pending;
} NavNetTlsStats;

/* A handshake completed: @fd and the session (@io_funcs, @io) make the
 * stream, see nav_net_stream_new(); the function owns them. */
typedef void (*NavNetTlsAcceptedFunc) (NavNetTlsServer      *server,
                                       int                   fd,
                                       const NavNetStreamIo *io_funcs,
                                       gpointer              io,
                                       const NavAddress     *remote,
                                       gpointer              user_data);

void             nav_net_tls_limits_init     (NavNetTlsLimits       *limits);

/* Loads the certificate and key (PEM; @key_file NULL: in @cert_file).
 * Completed handshakes are handed to @func in @context. */
NavNetTlsServer *nav_net_tls_server_new      (GMainContext          *context,
                                              const gchar           *cert_file,
                                              const gchar           *key_file,
                                              const NavNetTlsLimits *limits,
                                              NavNetTlsAcceptedFunc  func,
                                              gpointer               user_data,
                                              GError               **error);
/* Stops the worker; handshakes under way are dropped. */
void             nav_net_tls_server_free     (NavNetTlsServer       *server);

/* Takes @fd, just accepted, and runs its handshake in the worker.  FALSE
 * (and @fd closed) when a limit is reached. */
gboolean         nav_net_tls_server_accept   (NavNetTlsServer       *server,
                                              int                    fd,
                                              const NavAddress      *remote);
const NavNetTlsStats *nav_net_tls_server_get_stats (NavNetTlsServer *server);

/* The client side of a stream from nav_net_stream_connect(): the
 * handshake runs once connected, within the connect timeout.  The server
 * is verified against @ca_file (PEM), or the system's trust store when
 * NULL, and against @server_name when not NULL (SNI is sent for a name
 * that is no IP address); @insecure accepts any certificate. */
void             nav_net_tls_client_attach   (NavNetStream          *stream,
                                              const gchar           *server_name,
                                              const gchar           *ca_file,
                                              gboolean               insecure);

G_END_DECLS
