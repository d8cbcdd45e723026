/* nav-turn-relay-transport.c: a TURN allocation as a NavTransport
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-relay-transport.h"

#include <glib/gi18n-lib.h>

/**
 * NavTurnRelayTransport:
 *
 * A TURN allocation seen as a [iface@Nav.Transport] (DESIGN.md: a relay
 * *is* a transport): [method@Nav.Transport.send] to a peer address goes
 * through the server, creating the permission and binding the channel
 * (or, for an RFC 6062 TCP allocation, connecting to the peer) on first
 * use; what peers send to the relayed address arrives through
 * [signal@Nav.Transport::received] with the peer as source.  Its local
 * address is the relayed address.  [method@Nav.Transport.close] deletes
 * the allocation (Refresh with a zero lifetime, RFC 8656 §7.3).
 *
 * It is registered as `turn` at the `nav-transport` extension point: made
 * by [method@Nav.Registry.create] with its server and credentials as
 * properties, it allocates when initialised with
 * g_async_initable_init_async() (the TURN client of `nav-turn`).  The
 * allocation is then described by read-only properties
 * ([property@Nav.TurnRelayTransport:relayed-addresses], …), and the
 * action signals [signal@Nav.TurnRelayTransport::permit] and
 * [signal@Nav.TurnRelayTransport::connect-peer] install a permission
 * (RFC 8656 §9) or connect to a peer (RFC 6062 §4.3) ahead of any data,
 * their outcome told by [signal@Nav.TurnRelayTransport::permitted],
 * [signal@Nav.TurnRelayTransport::peer-connected] and
 * [signal@Nav.TurnRelayTransport::peer-error].  The `turn` gatherer makes
 * one for each relayed candidate.
 *
 * Since: 1.0
 */

struct _NavTurnRelayTransport
{
  GObject parent_instance;

  GMainContext *context;
  NavTurnClient *client;
  gulong closed_id;
  gulong peer_error_id;
  gboolean closed;

  /* configuration, when the transport makes its own allocation */
  gchar *server;
  NavStunProtocol protocol;
  gchar *username;
  gchar *password;
  gchar *auth_secret;
  gchar *address_family;
  gboolean dont_fragment;
  gboolean tcp_relay;
  gboolean use_channels;
  gchar *tls_ca_file;
  gboolean tls_insecure;
  guint connect_timeout;
  guint lifetime;
  guint permission_refresh;
  guint channel_refresh;
  NavStunRetransmitParams params;
  gchar *software;
  GTask *init_task;
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_LOCAL_ADDRESS,
  PROP_CLIENT,
  PROP_SERVER,
  PROP_PROTOCOL,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_AUTH_SECRET,
  PROP_ADDRESS_FAMILY,
  PROP_DONT_FRAGMENT,
  PROP_TCP_RELAY,
  PROP_USE_CHANNELS,
  PROP_TLS_CA_FILE,
  PROP_TLS_INSECURE,
  PROP_CONNECT_TIMEOUT,
  PROP_LIFETIME,
  PROP_PERMISSION_REFRESH,
  PROP_CHANNEL_REFRESH,
  PROP_STUN_INITIAL_TIMEOUT,
  PROP_STUN_MAX_RETRANSMISSIONS,
  PROP_STUN_RELIABLE_TIMEOUT,
  PROP_SOFTWARE,
  PROP_RELAYED_ADDRESSES,
  PROP_MAPPED_ADDRESS,
  PROP_SERVER_ADDRESS,
  PROP_CLIENT_ADDRESS,
  PROP_GRANTED_LIFETIME,
  PROP_REALM,
  PROP_REFRESHES,
  PROP_STALE_NONCES,
  PROP_GARBAGE,
  N_PROPS
};

enum {
  SIGNAL_PERMIT,
  SIGNAL_CONNECT_PEER,
  SIGNAL_PERMITTED,
  SIGNAL_PEER_CONNECTED,
  SIGNAL_PEER_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void nav_turn_relay_transport_transport_init (NavTransportInterface *iface);
static void nav_turn_relay_transport_async_initable_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavTurnRelayTransport, nav_turn_relay_transport, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_TRANSPORT,
                                                      nav_turn_relay_transport_transport_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE,
                                                      nav_turn_relay_transport_async_initable_init))

static gboolean
relay_send (NavTransport      *transport,
            const NavAddress  *to,
            const guint8      *data,
            gsize              len,
            GError           **error)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (transport);

  if (self->closed || self->client == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           self->closed ? _("The TURN relay transport is closed")
                                        : _("The TURN relay transport has no allocation yet"));
      return FALSE;
    }
  return nav_turn_client_send (self->client, to, data, len, error);
}

static const NavAddress *
relay_get_local_address (NavTransport *transport)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (transport);

  return self->client != NULL ? nav_turn_client_get_relayed_address (self->client, 0) : NULL;
}

static NavCandidateTransport
relay_get_protocol (NavTransport *transport)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (transport);
  gboolean tcp = self->client != NULL ? nav_turn_client_is_tcp_relay (self->client)
                                      : self->tcp_relay;

  /* RFC 6544 §4.5: a TCP relayed address is actively opened from. */
  return tcp ? NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE : NAV_CANDIDATE_TRANSPORT_UDP;
}

static gboolean
relay_is_reliable (NavTransport *transport)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (transport);

  return self->client != NULL ? nav_turn_client_is_reliable (self->client) : self->tcp_relay;
}

static void
relay_close (NavTransport *transport)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (transport);

  if (self->closed)
    return;
  self->closed = TRUE;
  /* The task holds the client until the server has answered. */
  if (self->client != NULL)
    nav_turn_client_close_async (self->client, NULL, NULL, NULL);
  nav_transport_emit_closed (transport, NULL);
}

static void
relay_close_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (nav_turn_client_close_finish (NAV_TURN_CLIENT (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

/* Completes when the server answered the Refresh of lifetime 0 (or the
 * client gave up retransmitting it): nav_agent_close_async() waits for
 * that, as libnice's nice_agent_close_async() does. */
static void
relay_close_async (NavTransport        *transport,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (transport);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, relay_close_async);
  if (self->closed || self->client == NULL)
    {
      self->closed = TRUE;
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  self->closed = TRUE;
  nav_turn_client_close_async (self->client, cancellable, relay_close_done, task);
  nav_transport_emit_closed (transport, NULL);
}

static gboolean
relay_close_finish (NavTransport  *transport,
                    GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, transport), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static GPtrArray *
relay_dup_sockets (NavTransport *transport)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (transport);

  if (self->closed || self->client == NULL)
    return NULL;
  return nav_turn_client_dup_sockets (self->client);
}

static void
nav_turn_relay_transport_transport_init (NavTransportInterface *iface)
{
  iface->send = relay_send;
  iface->get_local_address = relay_get_local_address;
  iface->get_protocol = relay_get_protocol;
  iface->is_reliable = relay_is_reliable;
  iface->close = relay_close;
  iface->close_async = relay_close_async;
  iface->close_finish = relay_close_finish;
  iface->dup_sockets = relay_dup_sockets;
}

static void
on_client_data (gpointer          client,
                const guint8     *data,
                gsize             len,
                const NavAddress *from,
                gpointer          user_data)
{
  nav_transport_deliver (NAV_TRANSPORT (user_data), data, len, from);
}

static void
on_client_closed (NavTurnClient *client,
                  const GError  *error,
                  gpointer       user_data)
{
  NavTurnRelayTransport *self = user_data;

  if (self->closed)
    return;
  self->closed = TRUE;
  nav_transport_emit_closed (NAV_TRANSPORT (self), error);
}

static void
on_client_peer_error (NavTurnClient    *client,
                      const NavAddress *peer,
                      const GError     *error,
                      gpointer          user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_PEER_ERROR], 0, peer, error);
}

static void
take_client (NavTurnRelayTransport *self,
             NavTurnClient         *client)
{
  self->client = client;
  nav_turn_client_set_receive_func (self->client, on_client_data, self);
  self->closed_id = g_signal_connect (self->client, "closed",
                                      G_CALLBACK (on_client_closed), self);
  self->peer_error_id = g_signal_connect (self->client, "peer-error",
                                          G_CALLBACK (on_client_peer_error), self);
}

/* ------------------------------------------------- allocating itself */

static void
allocated (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  NavTurnRelayTransport *self = user_data;
  GTask *task = g_steal_pointer (&self->init_task);
  GError *error = NULL;

  if (!nav_turn_client_allocate_finish (NAV_TURN_CLIENT (source), result, &error))
    g_task_return_error (task, error);
  else
    {
      g_object_notify (G_OBJECT (self), "local-address");
      g_task_return_boolean (task, TRUE);
    }
  g_object_unref (task);
}

static void
server_resolved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  NavTurnRelayTransport *self = user_data;
  GError *error = NULL;
  g_autoptr (NavAddress) server = nav_net_resolve_finish (result, &error);
  NavTurnClientConfig cfg;
  g_autofree gchar *host = NULL;
  guint16 port;

  if (server == NULL)
    {
      GTask *task = g_steal_pointer (&self->init_task);

      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  nav_turn_client_config_init (&cfg);
  cfg.server = *server;
  cfg.protocol = self->protocol;
  if (nav_net_parse_server (self->server, self->protocol, &host, &port, NULL))
    cfg.server_name = g_steal_pointer (&host);
  if (self->auth_secret != NULL)
    {
      /* The TURN REST API: valid a day, as coturn's examples. */
      gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + 86400;

      cfg.username = nav_turn_rest_username (self->username, expiry);
      cfg.password = nav_turn_rest_password (self->auth_secret, cfg.username);
    }
  else
    {
      cfg.username = g_strdup (self->username);
      cfg.password = g_strdup (self->password);
    }
  if (g_strcmp0 (self->address_family, "ipv6") == 0)
    cfg.family = G_SOCKET_FAMILY_IPV6;
  cfg.dual = g_strcmp0 (self->address_family, "dual") == 0;
  cfg.dont_fragment = self->dont_fragment;
  cfg.tcp_relay = self->tcp_relay;
  cfg.use_channels = self->use_channels;
  cfg.tls_ca_file = g_strdup (self->tls_ca_file);
  cfg.tls_insecure = self->tls_insecure;
  cfg.connect_timeout_ms = MAX (self->connect_timeout, 1);
  cfg.lifetime = self->lifetime;
  cfg.permission_refresh_s = MAX (self->permission_refresh, 1);
  cfg.channel_refresh_s = MAX (self->channel_refresh, 1);
  cfg.params = self->params;
  cfg.software = g_strdup (self->software);
  take_client (self, nav_turn_client_new (self->context, &cfg));
  nav_turn_client_config_clear (&cfg);
  nav_turn_client_allocate_async (self->client, g_task_get_cancellable (self->init_task),
                                  allocated, self);
}

static void
relay_init_async (GAsyncInitable      *initable,
                  int                  io_priority,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (initable);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, relay_init_async);
  if (self->client != NULL)
    {
      /* Made on an allocation already (the gatherer's). */
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  if (self->init_task != NULL || self->server == NULL)
    {
      g_task_return_new_error (task, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                               self->server == NULL ? _("No TURN server to allocate on")
                                                    : _("The allocation is already under way"));
      g_object_unref (task);
      return;
    }
  if (self->tcp_relay && self->protocol == NAV_STUN_PROTOCOL_UDP)
    {
      g_task_return_new_error (task, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                               _("A TCP allocation (RFC 6062) needs TCP or TLS to the server"));
      g_object_unref (task);
      return;
    }
  self->init_task = task;
  nav_net_resolve_async (self->context, self->server, self->protocol, G_SOCKET_FAMILY_INVALID,
                         FALSE, cancellable, server_resolved, self);
}

static gboolean
relay_init_finish (GAsyncInitable  *initable,
                   GAsyncResult    *result,
                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, initable), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
nav_turn_relay_transport_async_initable_init (GAsyncInitableIface *iface)
{
  iface->init_async = relay_init_async;
  iface->init_finish = relay_init_finish;
}

/* ----------------------------------------------------- action signals */

/* A permit or connect-peer action, answered by a signal. */
typedef struct
{
  NavTurnRelayTransport *self;
  NavAddress peer;
  gboolean connect;     /* RFC 6062 Connect; otherwise CreatePermission */
} PeerOp;

static void
peer_op_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PeerOp *op = user_data;
  NavTurnClient *client = NAV_TURN_CLIENT (source);
  g_autoptr (GError) error = NULL;
  gboolean ok = op->connect ? nav_turn_client_connect_finish (client, result, &error)
                            : nav_turn_client_permit_finish (client, result, &error);

  if (ok)
    g_signal_emit (op->self, signals[op->connect ? SIGNAL_PEER_CONNECTED : SIGNAL_PERMITTED],
                   0, &op->peer);
  else
    g_signal_emit (op->self, signals[SIGNAL_PEER_ERROR], 0, &op->peer, error);
  g_object_unref (op->self);
  g_free (op);
}

static gboolean
peer_op_start (NavTurnRelayTransport *self,
               const NavAddress      *peer,
               gboolean               connect)
{
  PeerOp *op;

  if (self->client == NULL || self->closed || peer == NULL)
    return FALSE;
  op = g_new0 (PeerOp, 1);
  op->self = g_object_ref (self);
  op->peer = *peer;
  op->connect = connect;
  if (connect)
    nav_turn_client_connect_async (self->client, peer, NULL, peer_op_done, op);
  else
    nav_turn_client_permit_async (self->client, peer, NULL, peer_op_done, op);
  return TRUE;
}

static gboolean
relay_permit (NavTurnRelayTransport *self,
              const NavAddress      *peer)
{
  return peer_op_start (self, peer, FALSE);
}

static gboolean
relay_connect_peer (NavTurnRelayTransport *self,
                    const NavAddress      *peer)
{
  return peer_op_start (self, peer, TRUE);
}

/* ------------------------------------------------------------ public */

/**
 * nav_turn_relay_transport_new: (skip)
 * @client: an allocated client
 *
 * Returns: (transfer full): a transport sending through @client's
 *   allocation
 */
NavTurnRelayTransport *
nav_turn_relay_transport_new (NavTurnClient *client)
{
  g_return_val_if_fail (NAV_IS_TURN_CLIENT (client), NULL);

  return g_object_new (NAV_TYPE_TURN_RELAY_TRANSPORT, "client", client, NULL);
}

NavTurnClient *
nav_turn_relay_transport_get_client (NavTurnRelayTransport *self)
{
  return self->client;
}

/* ----------------------------------------------------------- GObject */

static void
nav_turn_relay_transport_constructed (GObject *object)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (object);

  G_OBJECT_CLASS (nav_turn_relay_transport_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_turn_relay_transport_dispose (GObject *object)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (object);

  if (self->client != NULL)
    {
      nav_turn_client_set_receive_func (self->client, NULL, NULL);
      g_clear_signal_handler (&self->closed_id, self->client);
      g_clear_signal_handler (&self->peer_error_id, self->client);
      if (!self->closed)
        {
          self->closed = TRUE;
          nav_turn_client_close_async (self->client, NULL, NULL, NULL);
        }
      g_clear_object (&self->client);
    }

  G_OBJECT_CLASS (nav_turn_relay_transport_parent_class)->dispose (object);
}

static void
nav_turn_relay_transport_finalize (GObject *object)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (object);

  g_free (self->server);
  g_free (self->username);
  g_free (self->password);
  g_free (self->auth_secret);
  g_free (self->address_family);
  g_free (self->tls_ca_file);
  g_free (self->software);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_turn_relay_transport_parent_class)->finalize (object);
}

static GStrv
relayed_addresses (NavTurnRelayTransport *self)
{
  GStrvBuilder *b = g_strv_builder_new ();
  GStrv strv;

  for (guint i = 0; self->client != NULL && i < nav_turn_client_get_n_relayed_addresses (self->client); i++)
    {
      g_autofree gchar *text = nav_address_to_string (nav_turn_client_get_relayed_address (self->client, i));

      g_strv_builder_add (b, text);
    }
  strv = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return strv;
}

static void
nav_turn_relay_transport_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (object);
  NavTurnClient *c = self->client;

  switch (prop_id)
    {
    case PROP_CONTEXT: g_value_set_boxed (value, self->context); break;
    case PROP_LOCAL_ADDRESS:
      g_value_set_boxed (value, c != NULL ? nav_turn_client_get_relayed_address (c, 0) : NULL);
      break;
    case PROP_CLIENT: g_value_set_object (value, c); break;
    case PROP_SERVER: g_value_set_string (value, self->server); break;
    case PROP_PROTOCOL: g_value_set_string (value, nav_stun_protocol_to_string (self->protocol)); break;
    case PROP_USERNAME: g_value_set_string (value, self->username); break;
    case PROP_PASSWORD: g_value_set_string (value, self->password); break;
    case PROP_AUTH_SECRET: g_value_set_string (value, self->auth_secret); break;
    case PROP_ADDRESS_FAMILY: g_value_set_string (value, self->address_family); break;
    case PROP_DONT_FRAGMENT: g_value_set_boolean (value, self->dont_fragment); break;
    case PROP_TCP_RELAY: g_value_set_boolean (value, self->tcp_relay); break;
    case PROP_USE_CHANNELS: g_value_set_boolean (value, self->use_channels); break;
    case PROP_TLS_CA_FILE: g_value_set_string (value, self->tls_ca_file); break;
    case PROP_TLS_INSECURE: g_value_set_boolean (value, self->tls_insecure); break;
    case PROP_CONNECT_TIMEOUT: g_value_set_uint (value, self->connect_timeout); break;
    case PROP_LIFETIME: g_value_set_uint (value, self->lifetime); break;
    case PROP_PERMISSION_REFRESH: g_value_set_uint (value, self->permission_refresh); break;
    case PROP_CHANNEL_REFRESH: g_value_set_uint (value, self->channel_refresh); break;
    case PROP_SOFTWARE: g_value_set_string (value, self->software); break;
    case PROP_RELAYED_ADDRESSES: g_value_take_boxed (value, relayed_addresses (self)); break;
    case PROP_MAPPED_ADDRESS:
      g_value_set_boxed (value, c != NULL ? nav_turn_client_get_mapped_address (c) : NULL);
      break;
    case PROP_SERVER_ADDRESS:
      g_value_set_boxed (value, c != NULL ? nav_turn_client_get_server_address (c) : NULL);
      break;
    case PROP_CLIENT_ADDRESS:
      g_value_set_boxed (value, c != NULL ? nav_turn_client_get_local_address (c) : NULL);
      break;
    case PROP_GRANTED_LIFETIME: g_value_set_uint (value, c != NULL ? nav_turn_client_get_lifetime (c) : 0); break;
    case PROP_REALM: g_value_set_string (value, c != NULL ? nav_turn_client_get_realm (c) : NULL); break;
    case PROP_REFRESHES: g_value_set_uint (value, c != NULL ? nav_turn_client_get_refreshes (c) : 0); break;
    case PROP_STALE_NONCES: g_value_set_uint (value, c != NULL ? nav_turn_client_get_stale_nonces (c) : 0); break;
    case PROP_GARBAGE: g_value_set_uint64 (value, c != NULL ? nav_turn_client_get_garbage (c) : 0); break;
    default:
      if (!nav_stun_retransmit_params_get_property (&self->params, PROP_STUN_INITIAL_TIMEOUT,
                                                    prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
replace_string (gchar        **field,
                const GValue  *value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

static void
nav_turn_relay_transport_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_CONTEXT: self->context = g_value_dup_boxed (value); break;
    case PROP_CLIENT:
      if (g_value_get_object (value) != NULL)
        take_client (self, g_value_dup_object (value));
      break;
    case PROP_SERVER: replace_string (&self->server, value); break;
    case PROP_PROTOCOL:
      if (!nav_stun_protocol_from_string (g_value_get_string (value), &self->protocol))
        {
          g_warning ("NavTurnRelayTransport: “%s” is not udp, tcp or tls", g_value_get_string (value));
          self->protocol = NAV_STUN_PROTOCOL_UDP;
        }
      break;
    case PROP_USERNAME: replace_string (&self->username, value); break;
    case PROP_PASSWORD: replace_string (&self->password, value); break;
    case PROP_AUTH_SECRET: replace_string (&self->auth_secret, value); break;
    case PROP_ADDRESS_FAMILY: replace_string (&self->address_family, value); break;
    case PROP_DONT_FRAGMENT: self->dont_fragment = g_value_get_boolean (value); break;
    case PROP_TCP_RELAY: self->tcp_relay = g_value_get_boolean (value); break;
    case PROP_USE_CHANNELS: self->use_channels = g_value_get_boolean (value); break;
    case PROP_TLS_CA_FILE: replace_string (&self->tls_ca_file, value); break;
    case PROP_TLS_INSECURE: self->tls_insecure = g_value_get_boolean (value); break;
    case PROP_CONNECT_TIMEOUT: self->connect_timeout = g_value_get_uint (value); break;
    case PROP_LIFETIME: self->lifetime = g_value_get_uint (value); break;
    case PROP_PERMISSION_REFRESH: self->permission_refresh = g_value_get_uint (value); break;
    case PROP_CHANNEL_REFRESH: self->channel_refresh = g_value_get_uint (value); break;
    case PROP_SOFTWARE: replace_string (&self->software, value); break;
    default:
      if (!nav_stun_retransmit_params_set_property (&self->params, PROP_STUN_INITIAL_TIMEOUT,
                                                    prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_turn_relay_transport_class_init (NavTurnRelayTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rwc = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  NavTurnClientConfig defaults;

  object_class->constructed = nav_turn_relay_transport_constructed;
  object_class->dispose = nav_turn_relay_transport_dispose;
  object_class->finalize = nav_turn_relay_transport_finalize;
  object_class->get_property = nav_turn_relay_transport_get_property;
  object_class->set_property = nav_turn_relay_transport_set_property;

  nav_turn_client_config_init (&defaults);
  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_LOCAL_ADDRESS, "local-address");

  /**
   * NavTurnRelayTransport:client: (skip)
   *
   * The allocation this transport sends through, when made on one.
   */
  g_object_class_install_property (object_class, PROP_CLIENT,
    g_param_spec_object ("client", NULL, NULL, NAV_TYPE_TURN_CLIENT, rwc));
  /**
   * NavTurnRelayTransport:server:
   *
   * The TURN server, `HOST[:PORT]` (port 3478, or 5349 over TLS).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_SERVER,
    g_param_spec_string ("server", "Server", "The TURN server, HOST[:PORT]", NULL, rwc));
  /**
   * NavTurnRelayTransport:protocol:
   *
   * `udp`, `tcp` or `tls`, to the server.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_PROTOCOL,
    g_param_spec_string ("protocol", "Protocol", "udp, tcp or tls, to the server", "udp",
                         rwc));
  /**
   * NavTurnRelayTransport:username:
   *
   * The long-term credential's username; with
   * [property@Nav.TurnRelayTransport:auth-secret], the user part of a
   * TURN REST API username.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_USERNAME,
    g_param_spec_string ("username", "Username", "The username", NULL, rwc));
  /**
   * NavTurnRelayTransport:password:
   *
   * The long-term credential's password.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_PASSWORD,
    g_param_spec_string ("password", "Password", "The password", NULL, rwc));
  /**
   * NavTurnRelayTransport:auth-secret:
   *
   * The TURN REST API shared secret (coturn's `static-auth-secret`): the
   * credential is then a username `expiry:user` valid a day and the
   * password base64 (HMAC-SHA1 (secret, username)).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_AUTH_SECRET,
    g_param_spec_string ("auth-secret", "Auth secret", "The TURN REST API shared secret", NULL, rwc));
  /**
   * NavTurnRelayTransport:address-family:
   *
   * The relayed address asked for: `ipv4` (the default), `ipv6`, or
   * `dual` for both (RFC 8656 §7.1).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_ADDRESS_FAMILY,
    g_param_spec_string ("address-family", "Address family", "ipv4, ipv6 or dual", NULL, rwc));
  /**
   * NavTurnRelayTransport:dont-fragment:
   *
   * Ask the server to set DF on relayed datagrams (DONT-FRAGMENT).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_DONT_FRAGMENT,
    g_param_spec_boolean ("dont-fragment", "Don't fragment", "Ask for DF on relayed datagrams",
                          FALSE, rwc));
  /**
   * NavTurnRelayTransport:tcp-relay:
   *
   * A TCP allocation (RFC 6062); needs `tcp` or `tls` to the server.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_TCP_RELAY,
    g_param_spec_boolean ("tcp-relay", "TCP relay", "A TCP allocation (RFC 6062)", FALSE, rwc));
  /**
   * NavTurnRelayTransport:use-channels:
   *
   * Relay through channels (ChannelData), else Send and Data indications.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_USE_CHANNELS,
    g_param_spec_boolean ("use-channels", "Use channels", "Relay through channels", TRUE,
                          rwc));
  /**
   * NavTurnRelayTransport:tls-ca-file:
   *
   * A PEM file of the certificate authorities trusted for TLS; %NULL for
   * the system's.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_TLS_CA_FILE,
    g_param_spec_string ("tls-ca-file", "TLS CA file", "Certificate authorities trusted for TLS",
                         NULL, rwc));
  /**
   * NavTurnRelayTransport:tls-insecure:
   *
   * Accept any TLS certificate (self-signed test servers).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_TLS_INSECURE,
    g_param_spec_boolean ("tls-insecure", "TLS insecure", "Accept any TLS certificate", FALSE, rwc));
  /**
   * NavTurnRelayTransport:connect-timeout:
   *
   * Milliseconds allowed for the TCP connect and the TLS handshake.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_CONNECT_TIMEOUT,
    g_param_spec_uint ("connect-timeout", "Connect timeout", "Milliseconds for connect and handshake",
                       1, G_MAXUINT, defaults.connect_timeout_ms, rwc));
  /**
   * NavTurnRelayTransport:lifetime:
   *
   * The allocation lifetime to ask for, in seconds; 0 for the server's.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_LIFETIME,
    g_param_spec_uint ("lifetime", "Lifetime", "Lifetime asked for, seconds; 0 for the server's",
                       0, G_MAXUINT, 0, rwc));
  /**
   * NavTurnRelayTransport:permission-refresh:
   *
   * Seconds between refreshes of a permission (they last 300 s, RFC 8656
   * §9).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_PERMISSION_REFRESH,
    g_param_spec_uint ("permission-refresh", "Permission refresh", "Seconds between refreshes",
                       1, G_MAXUINT, defaults.permission_refresh_s, rwc));
  /**
   * NavTurnRelayTransport:channel-refresh:
   *
   * Seconds between refreshes of a channel binding (they last 600 s,
   * RFC 8656 §12).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_CHANNEL_REFRESH,
    g_param_spec_uint ("channel-refresh", "Channel refresh", "Seconds between refreshes",
                       1, G_MAXUINT, defaults.channel_refresh_s, rwc));
  /**
   * NavTurnRelayTransport:stun-initial-timeout:
   * NavTurnRelayTransport:stun-max-retransmissions:
   * NavTurnRelayTransport:stun-reliable-timeout:
   *
   * RTO and Rc of the requests over UDP (RFC 8489 §6.2.1; Rc minus one:
   * the transmissions after the first), Ti over TCP and TLS (§6.2.2), in
   * milliseconds: see nav_stun_retransmit_params_install().
   *
   * Since: 1.0
   */
  nav_stun_retransmit_params_install (object_class, PROP_STUN_INITIAL_TIMEOUT, rwc);
  /**
   * NavTurnRelayTransport:software:
   *
   * The SOFTWARE attribute of every request (RFC 8489 §14.14).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_SOFTWARE,
    g_param_spec_string ("software", "Software", "The SOFTWARE attribute of requests", NULL, rwc));
  /**
   * NavTurnRelayTransport:relayed-addresses:
   *
   * The relayed addresses, `IP:PORT`, IPv4 first; empty before the
   * allocation.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_RELAYED_ADDRESSES,
    g_param_spec_boxed ("relayed-addresses", "Relayed addresses", "The relayed addresses",
                        G_TYPE_STRV, ro));
  /**
   * NavTurnRelayTransport:mapped-address:
   *
   * The client's address as the server sees it (XOR-MAPPED-ADDRESS).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_MAPPED_ADDRESS,
    g_param_spec_boxed ("mapped-address", "Mapped address", "The client's address as the server sees it",
                        NAV_TYPE_ADDRESS, ro));
  /**
   * NavTurnRelayTransport:server-address:
   *
   * The server's address (after any ALTERNATE-SERVER redirection).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_SERVER_ADDRESS,
    g_param_spec_boxed ("server-address", "Server address", "The server's address",
                        NAV_TYPE_ADDRESS, ro));
  /**
   * NavTurnRelayTransport:client-address:
   *
   * The local address of the connection to the server.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_CLIENT_ADDRESS,
    g_param_spec_boxed ("client-address", "Client address", "The local address towards the server",
                        NAV_TYPE_ADDRESS, ro));
  /**
   * NavTurnRelayTransport:granted-lifetime:
   *
   * The lifetime the server granted, in seconds.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_GRANTED_LIFETIME,
    g_param_spec_uint ("granted-lifetime", "Granted lifetime", "Seconds the server granted",
                       0, G_MAXUINT, 0, ro));
  /**
   * NavTurnRelayTransport:realm:
   *
   * The server's realm, once it challenged.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_REALM,
    g_param_spec_string ("realm", "Realm", "The server's realm", NULL, ro));
  /**
   * NavTurnRelayTransport:refreshes:
   *
   * How many times the allocation was refreshed.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_REFRESHES,
    g_param_spec_uint ("refreshes", "Refreshes", "Refreshes of the allocation", 0, G_MAXUINT, 0, ro));
  /**
   * NavTurnRelayTransport:stale-nonces:
   *
   * How many times the server's 438 (Stale Nonce) was answered.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_STALE_NONCES,
    g_param_spec_uint ("stale-nonces", "Stale nonces", "Nonces renewed", 0, G_MAXUINT, 0, ro));
  /**
   * NavTurnRelayTransport:garbage:
   *
   * Malformed or unexpected messages from the server, ignored.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_GARBAGE,
    g_param_spec_uint64 ("garbage", "Garbage", "Messages from the server ignored",
                         0, G_MAXUINT64, 0, ro));

  /**
   * NavTurnRelayTransport::permit:
   * @transport: the transport
   * @peer: a peer address (its port does not count, RFC 8656 §9)
   *
   * Action signal: installs a permission for @peer without sending, so
   * that the peer can reach the relayed address first.  The outcome comes
   * as [signal@Nav.TurnRelayTransport::permitted] or
   * [signal@Nav.TurnRelayTransport::peer-error].
   *
   * Returns: %FALSE when there is no allocation
   *
   * Since: 1.0
   */
  signals[SIGNAL_PERMIT] =
    g_signal_new_class_handler ("permit", G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                                G_CALLBACK (relay_permit), NULL, NULL, NULL,
                                G_TYPE_BOOLEAN, 1, NAV_TYPE_ADDRESS);
  /**
   * NavTurnRelayTransport::connect-peer:
   * @transport: the transport
   * @peer: a peer address
   *
   * Action signal of a TCP allocation: connects to @peer (RFC 6062 §4.3)
   * ahead of any data.  The outcome comes as
   * [signal@Nav.TurnRelayTransport::peer-connected] or
   * [signal@Nav.TurnRelayTransport::peer-error].
   *
   * Returns: %FALSE when there is no allocation
   *
   * Since: 1.0
   */
  signals[SIGNAL_CONNECT_PEER] =
    g_signal_new_class_handler ("connect-peer", G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                                G_CALLBACK (relay_connect_peer), NULL, NULL, NULL,
                                G_TYPE_BOOLEAN, 1, NAV_TYPE_ADDRESS);
  /**
   * NavTurnRelayTransport::permitted:
   * @transport: the transport
   * @peer: the peer address
   *
   * The server installed the permission asked for by
   * [signal@Nav.TurnRelayTransport::permit].
   *
   * Since: 1.0
   */
  signals[SIGNAL_PERMITTED] =
    g_signal_new ("permitted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, NAV_TYPE_ADDRESS | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * NavTurnRelayTransport::peer-connected:
   * @transport: the transport
   * @peer: the peer address
   *
   * The connection asked for by
   * [signal@Nav.TurnRelayTransport::connect-peer] is up.
   *
   * Since: 1.0
   */
  signals[SIGNAL_PEER_CONNECTED] =
    g_signal_new ("peer-connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, NAV_TYPE_ADDRESS | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * NavTurnRelayTransport::peer-error:
   * @transport: the transport
   * @peer: the peer address
   * @error: why
   *
   * A permission, a channel or a peer connection failed; the data waiting
   * for it is dropped.
   *
   * Since: 1.0
   */
  signals[SIGNAL_PEER_ERROR] =
    g_signal_new ("peer-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2,
                  NAV_TYPE_ADDRESS | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  nav_turn_client_config_clear (&defaults);
}

static void
nav_turn_relay_transport_init (NavTurnRelayTransport *self)
{
  nav_stun_retransmit_params_init (&self->params);
  self->use_channels = TRUE;
  self->connect_timeout = NAV_TURN_DEFAULT_CONNECT_TIMEOUT_MS;
  self->permission_refresh = NAV_TURN_PERMISSION_REFRESH_S;
  self->channel_refresh = NAV_TURN_CHANNEL_REFRESH_S;
}
