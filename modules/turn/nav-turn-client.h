/* nav-turn-client.h: a TURN allocation, client side (RFC 8656, RFC 6062,
 * RFC 6156)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

#include "nav-net.h"

G_BEGIN_DECLS

/**
 * NAV_TURN_CLIENT_ERROR:
 *
 * Error domain of the TURN client, with codes from #NavTurnClientError.
 */
#define NAV_TURN_CLIENT_ERROR (nav_turn_client_error_quark ())

/**
 * NavTurnClientError:
 * @NAV_TURN_CLIENT_ERROR_TIMED_OUT: the server did not answer in time, or
 *   the TCP/TLS connection was not up within the connect timeout.
 * @NAV_TURN_CLIENT_ERROR_UNREACHABLE: the server cannot be reached.
 * @NAV_TURN_CLIENT_ERROR_TLS: the TLS handshake failed.
 * @NAV_TURN_CLIENT_ERROR_UNAUTHORIZED: the server refused the credentials
 *   (401 after a request carrying them, or 441).
 * @NAV_TURN_CLIENT_ERROR_ERROR_RESPONSE: any other error response; the
 *   message holds its code and reason.
 * @NAV_TURN_CLIENT_ERROR_BAD_RESPONSE: a response lacking what it must hold.
 * @NAV_TURN_CLIENT_ERROR_CLOSED: the connection to the server closed, or
 *   the allocation was closed.
 * @NAV_TURN_CLIENT_ERROR_NOT_ALLOCATED: no allocation yet.
 * @NAV_TURN_CLIENT_ERROR_QUEUE_FULL: too much data waits for a permission
 *   or a peer connection.
 *
 * Errors of the TURN client.
 */
typedef enum {
  NAV_TURN_CLIENT_ERROR_TIMED_OUT,
  NAV_TURN_CLIENT_ERROR_UNREACHABLE,
  NAV_TURN_CLIENT_ERROR_TLS,
  NAV_TURN_CLIENT_ERROR_UNAUTHORIZED,
  NAV_TURN_CLIENT_ERROR_ERROR_RESPONSE,
  NAV_TURN_CLIENT_ERROR_BAD_RESPONSE,
  NAV_TURN_CLIENT_ERROR_CLOSED,
  NAV_TURN_CLIENT_ERROR_NOT_ALLOCATED,
  NAV_TURN_CLIENT_ERROR_QUEUE_FULL,
} NavTurnClientError;

GQuark nav_turn_client_error_quark (void);

/* RFC 8656 §9 and §12: permissions last 300 s, channels 600 s; refresh
 * well before. */
#define NAV_TURN_PERMISSION_REFRESH_S 240
#define NAV_TURN_CHANNEL_REFRESH_S 540
#define NAV_TURN_DEFAULT_CONNECT_TIMEOUT_MS 10000

/**
 * NavTurnClientConfig:
 * @server: the server's address
 * @server_name: (nullable): the server's name, the TLS identity
 * @protocol: UDP, TCP or TLS to the server
 * @username: the long-term credential's username
 * @password: its password
 * @family: the relayed address family asked for
 *   (REQUESTED-ADDRESS-FAMILY, RFC 8656 §7.1); %G_SOCKET_FAMILY_INVALID
 *   for the server's default, IPv4
 * @dual: ask for an IPv4 and an IPv6 relayed address
 *   (ADDITIONAL-ADDRESS-FAMILY, RFC 8656 §7.1)
 * @dont_fragment: ask the server to set DF on relayed datagrams
 * @tcp_relay: a TCP allocation (RFC 6062); needs TCP or TLS to the server
 * @use_channels: send through channels (ChannelData) rather than Send
 *   indications
 * @tls_ca_file: (nullable): trust these certificate authorities
 * @tls_insecure: accept any certificate (self-signed test servers)
 * @connect_timeout_ms: bound on TCP connect + TLS handshake
 * @lifetime: the lifetime to ask for, in seconds; 0 for the server's
 * @permission_refresh_s: refresh permissions after this many seconds
 *   (default %NAV_TURN_PERMISSION_REFRESH_S, the lifetime being 300 s)
 * @channel_refresh_s: refresh channel bindings after this many seconds
 *   (default %NAV_TURN_CHANNEL_REFRESH_S, the lifetime being 600 s)
 * @params: retransmission parameters of the transactions
 * @software: (nullable): the SOFTWARE attribute of every request
 *   (RFC 8489 §14.14)
 *
 * What an allocation is made of.
 */
typedef struct
{
  NavAddress server;
  gchar *server_name;
  NavStunProtocol protocol;
  gchar *username;
  gchar *password;
  GSocketFamily family;
  gboolean dual;
  gboolean dont_fragment;
  gboolean tcp_relay;
  gboolean use_channels;
  gchar *tls_ca_file;
  gboolean tls_insecure;
  guint connect_timeout_ms;
  guint lifetime;
  guint permission_refresh_s;
  guint channel_refresh_s;
  NavStunRetransmitParams params;
  gchar *software;
} NavTurnClientConfig;

void nav_turn_client_config_init  (NavTurnClientConfig *config);
void nav_turn_client_config_clear (NavTurnClientConfig *config);

gchar *nav_turn_rest_password (const gchar *secret,
                               const gchar *username);
gchar *nav_turn_rest_username (const gchar *user,
                               gint64       expiry);

typedef void (*NavTurnClientReceiveFunc) (gpointer          client,
                                          const guint8     *data,
                                          gsize             length,
                                          const NavAddress *from,
                                          gpointer          user_data);

#define NAV_TYPE_TURN_CLIENT (nav_turn_client_get_type ())

G_DECLARE_FINAL_TYPE (NavTurnClient, nav_turn_client, NAV, TURN_CLIENT, GObject)

NavTurnClient *nav_turn_client_new              (GMainContext              *context,
                                                 const NavTurnClientConfig *config);
void           nav_turn_client_set_receive_func (NavTurnClient             *self,
                                                 NavTurnClientReceiveFunc   func,
                                                 gpointer                   user_data);

void           nav_turn_client_allocate_async   (NavTurnClient             *self,
                                                 GCancellable              *cancellable,
                                                 GAsyncReadyCallback        callback,
                                                 gpointer                   user_data);
gboolean       nav_turn_client_allocate_finish  (NavTurnClient             *self,
                                                 GAsyncResult              *result,
                                                 GError                   **error);

gboolean       nav_turn_client_send             (NavTurnClient             *self,
                                                 const NavAddress          *peer,
                                                 const guint8              *data,
                                                 gsize                      length,
                                                 GError                   **error);

gboolean       nav_turn_client_permit           (NavTurnClient             *self,
                                                 const NavAddress          *peer,
                                                 GError                   **error);

void           nav_turn_client_permit_async     (NavTurnClient             *self,
                                                 const NavAddress          *peer,
                                                 GCancellable              *cancellable,
                                                 GAsyncReadyCallback        callback,
                                                 gpointer                   user_data);
gboolean       nav_turn_client_permit_finish    (NavTurnClient             *self,
                                                 GAsyncResult              *result,
                                                 GError                   **error);

void           nav_turn_client_connect_async    (NavTurnClient             *self,
                                                 const NavAddress          *peer,
                                                 GCancellable              *cancellable,
                                                 GAsyncReadyCallback        callback,
                                                 gpointer                   user_data);
gboolean       nav_turn_client_connect_finish   (NavTurnClient             *self,
                                                 GAsyncResult              *result,
                                                 GError                   **error);

void           nav_turn_client_close_async      (NavTurnClient             *self,
                                                 GCancellable              *cancellable,
                                                 GAsyncReadyCallback        callback,
                                                 gpointer                   user_data);
gboolean       nav_turn_client_close_finish     (NavTurnClient             *self,
                                                 GAsyncResult              *result,
                                                 GError                   **error);

gboolean          nav_turn_client_is_allocated       (NavTurnClient *self);
const NavAddress *nav_turn_client_get_relayed_address (NavTurnClient *self,
                                                       guint          index_);
guint             nav_turn_client_get_n_relayed_addresses (NavTurnClient *self);
const NavAddress *nav_turn_client_get_mapped_address (NavTurnClient *self);
const NavAddress *nav_turn_client_get_local_address  (NavTurnClient *self);
const NavAddress *nav_turn_client_get_server_address (NavTurnClient *self);
guint             nav_turn_client_get_lifetime       (NavTurnClient *self);
const gchar      *nav_turn_client_get_realm          (NavTurnClient *self);
gboolean          nav_turn_client_is_reliable        (NavTurnClient *self);
gboolean          nav_turn_client_is_tcp_relay       (NavTurnClient *self);
GPtrArray        *nav_turn_client_dup_sockets        (NavTurnClient *self);
guint64           nav_turn_client_get_garbage        (NavTurnClient *self);
guint             nav_turn_client_get_refreshes      (NavTurnClient *self);
guint             nav_turn_client_get_stale_nonces   (NavTurnClient *self);

/* For tests: connections to servers still open in the process. */
guint             nav_turn_client_get_live_connections (void);

/* For tests: feed bytes as if read from the server connection. */
void              nav_turn_client_feed_stream        (NavTurnClient *self,
                                                      const guint8  *data,
                                                      gsize          length);

G_END_DECLS
