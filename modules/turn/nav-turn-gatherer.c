/* nav-turn-gatherer.c: the relayed candidate gatherer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-gatherer.h"
#include "nav-turn-relay-transport.h"

#include <string.h>

#include <glib/gi18n-lib.h>

/**
 * NavTurnGatherer:
 *
 * Finds relayed candidates (RFC 8445 §5.1.1.2): for each component it
 * makes one allocation on the TURN server and turns each relayed address
 * into a candidate of type relay whose owner is a
 * [class@Nav.TurnRelayTransport] on that allocation.  The candidate's base
 * is the relayed address itself (RFC 8445 §5.1.1.2), its related address
 * the mapped address the server saw.
 *
 * Properties (all construct-time):
 *
 * - `server`: `HOST[:PORT]` of the TURN server (default port 3478, 5349
 *   for TLS)
 * - `transport`: `udp`, `tcp` or `tls`, to the server
 * - `username`, `password`: the long-term credentials (for the TURN REST
 *   API, `expiry:user` and the base64 HMAC, see tools/nav-turn)
 * - `tcp-relay`: an RFC 6062 TCP allocation (needs `tcp` or `tls`)
 * - `address-family`: `ipv4` (default), `ipv6`, or `dual` for both
 *   (RFC 8656 §7.1 REQUESTED- and ADDITIONAL-ADDRESS-FAMILY)
 * - `tls-ca-file`, `tls-insecure`: how the server's certificate is checked
 * - `connect-timeout`: milliseconds allowed for the TCP connect and TLS
 *   handshake, so that gathering never hangs on a dead server
 * - `stun-initial-timeout`, `stun-max-retransmissions`: how requests over
 *   UDP are retransmitted (RTO and Rc − 1 of RFC 8489 §6.2.1)
 * - `stun-reliable-timeout`: how long a request over TCP or TLS waits for
 *   its response (Ti of RFC 8489 §6.2.2)
 * - `software`: the SOFTWARE attribute of every request (RFC 8489 §14.14)
 *
 * A failed allocation yields no candidate, a debug message and `done`.
 */

struct _NavTurnGatherer
{
  GObject parent_instance;

  GMainContext *context;
  gchar *server;
  gchar *transport;
  gchar *username;
  gchar *password;
  gboolean tcp_relay;
  gchar *address_family;
  gchar *tls_ca_file;
  gboolean tls_insecure;
  guint connect_timeout;
  NavStunRetransmitParams params;
  gchar *software;

  GPtrArray *gatherings;        /* of Gathering* */
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_SERVER,
  PROP_TRANSPORT,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_TCP_RELAY,
  PROP_ADDRESS_FAMILY,
  PROP_TLS_CA_FILE,
  PROP_TLS_INSECURE,
  PROP_CONNECT_TIMEOUT,
  PROP_STUN_INITIAL_TIMEOUT,
  PROP_STUN_MAX_RETRANSMISSIONS,
  PROP_STUN_RELIABLE_TIMEOUT,
  PROP_SOFTWARE,
  N_PROPS
};

static void nav_turn_gatherer_gatherer_init (NavGathererInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavTurnGatherer, nav_turn_gatherer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_GATHERER,
                                                      nav_turn_gatherer_gatherer_init))

typedef struct
{
  NavTurnGatherer *self;        /* weak: the gatherer owns the gathering */
  guint stream_id;
  guint component_id;
  GCancellable *cancellable;
  NavTurnClient *client;
  NavTurnRelayTransport *transport;     /* kept for the candidates' life */
  gboolean done;
} Gathering;

static void
gathering_free (Gathering *g)
{
  g_cancellable_cancel (g->cancellable);
  g_object_unref (g->cancellable);
  g_clear_object (&g->transport);
  g_clear_object (&g->client);
  g_free (g);
}

static void
gathering_done (Gathering *g)
{
  if (g->done)
    return;
  g->done = TRUE;
  nav_gatherer_emit_done (NAV_GATHERER (g->self), g->stream_id, g->component_id);
}

static NavStunProtocol
protocol_of (NavTurnGatherer *self)
{
  if (g_strcmp0 (self->transport, "tls") == 0)
    return NAV_STUN_PROTOCOL_TLS;
  if (g_strcmp0 (self->transport, "tcp") == 0)
    return NAV_STUN_PROTOCOL_TCP;
  return NAV_STUN_PROTOCOL_UDP;
}

/* The local preference of a relayed candidate: UDP to the server first. */
static guint
relay_preference (NavTurnGatherer *self)
{
  switch (protocol_of (self))
    {
    case NAV_STUN_PROTOCOL_TLS:
      return 32767;
    case NAV_STUN_PROTOCOL_TCP:
      return 49151;
    case NAV_STUN_PROTOCOL_UDP:
    default:
      return 65535;
    }
}

/* The allocation failed: ::server-failed says why, the TURN client's error
 * (NAV_TURN_CLIENT_ERROR_UNAUTHORIZED for refused credentials, _TIMED_OUT
 * for a server that never answered, …) with the server's name in front. */
static void
relay_failed (Gathering    *g,
              const GError *error)
{
  g_autoptr (GError) named = g_error_new (error->domain, error->code, _("TURN server %s: %s"),
                                          g->self->server, error->message);

  nav_gatherer_emit_failed (NAV_GATHERER (g->self), g->stream_id, g->component_id, named);
}

static void
allocated (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Gathering *g = user_data;
  g_autoptr (GError) error = NULL;
  NavTurnClient *client = NAV_TURN_CLIENT (source);

  if (!nav_turn_client_allocate_finish (client, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("event=relay-failed server=%s error=\"%s\"", g->self->server, error->message);
          relay_failed (g, error);
          gathering_done (g);
        }
      return;
    }
  g->transport = nav_turn_relay_transport_new (client);
  for (guint i = 0; i < nav_turn_client_get_n_relayed_addresses (client); i++)
    {
      g_autoptr (NavCandidate) c = nav_candidate_new (NAV_CANDIDATE_TYPE_RELAYED);
      g_autofree gchar *foundation = NULL;
      g_autofree gchar *ip = NULL;
      const NavAddress *relayed = nav_turn_client_get_relayed_address (client, i);

      c->transport = nav_transport_get_protocol (NAV_TRANSPORT (g->transport));
      c->addr = *relayed;
      c->base_addr = *relayed;
      c->related_addr = *nav_turn_client_get_mapped_address (client);
      c->stream_id = g->stream_id;
      c->component_id = g->component_id;
      /* RFC 8445 §5.1.2.1 leaves the local preference to us: a relay
       * reached over UDP is better than one over TCP, and TCP than TLS
       * (less overhead, no head-of-line blocking). */
      c->priority = nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_RELAYED, c->transport,
                                                    relay_preference (g->self) - i,
                                                    g->component_id);
      /* RFC 8445 §5.1.1.3: same type, server and transport protocol to
       * the server, same foundation. */
      ip = nav_address_ip_to_string (relayed);
      foundation = g_strdup_printf ("%u", g_str_hash (g->self->server) ^ g_str_hash (ip) ^
                                          (guint) c->transport ^
                                          ((guint) protocol_of (g->self) << 8) ^ 0x5245u);
      nav_candidate_set_foundation (c, foundation);
      nav_candidate_set_owner (c, NAV_TRANSPORT (g->transport));
      nav_gatherer_emit_candidate_gathered (NAV_GATHERER (g->self), c);
    }
  gathering_done (g);
}

static void
server_resolved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Gathering *g = user_data;
  NavTurnGatherer *self;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) server = nav_net_resolve_finish (result, &error);
  NavTurnClientConfig cfg;
  g_autofree gchar *host = NULL;
  guint16 port;

  if (server == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("event=relay-failed server=%s error=\"%s\"", g->self->server, error->message);
          {
            g_autoptr (GError) unresolved = g_error_new (NAV_ERROR, NAV_ERROR_INVALID_ADDRESS,
                                                         _("The TURN server %s cannot be resolved: %s"),
                                                         g->self->server, error->message);

            nav_gatherer_emit_failed (NAV_GATHERER (g->self), g->stream_id, g->component_id, unresolved);
          }
          gathering_done (g);
        }
      return;
    }
  self = g->self;
  nav_turn_client_config_init (&cfg);
  cfg.server = *server;
  cfg.protocol = protocol_of (self);
  if (nav_net_parse_server (self->server, cfg.protocol, &host, &port, NULL))
    cfg.server_name = g_steal_pointer (&host);
  cfg.username = g_strdup (self->username);
  cfg.password = g_strdup (self->password);
  cfg.tcp_relay = self->tcp_relay;
  if (g_strcmp0 (self->address_family, "ipv6") == 0)
    cfg.family = G_SOCKET_FAMILY_IPV6;
  cfg.dual = g_strcmp0 (self->address_family, "dual") == 0;
  cfg.tls_ca_file = g_strdup (self->tls_ca_file);
  cfg.tls_insecure = self->tls_insecure;
  cfg.connect_timeout_ms = self->connect_timeout;
  /* Every transaction of the allocation (Allocate, Refresh,
   * CreatePermission, ChannelBind) retransmits with these. */
  cfg.params = self->params;
  cfg.software = g_strdup (self->software);
  g->client = nav_turn_client_new (self->context, &cfg);
  nav_turn_client_config_clear (&cfg);
  nav_turn_client_allocate_async (g->client, g->cancellable, allocated, g);
}

static void
nav_turn_gatherer_gather (NavGatherer *gatherer,
                          guint        stream_id,
                          guint        component_id,
                          GPtrArray   *bases)
{
  NavTurnGatherer *self = NAV_TURN_GATHERER (gatherer);
  Gathering *g = g_new0 (Gathering, 1);

  g->self = self;
  g->stream_id = stream_id;
  g->component_id = component_id;
  g->cancellable = g_cancellable_new ();
  g_ptr_array_add (self->gatherings, g);
  if (self->server == NULL)
    {
      gathering_done (g);
      return;
    }
  nav_net_resolve_async (self->context, self->server, protocol_of (self),
                         G_SOCKET_FAMILY_INVALID, FALSE, g->cancellable, server_resolved, g);
}

static void
nav_turn_gatherer_stop (NavGatherer *gatherer)
{
  NavTurnGatherer *self = NAV_TURN_GATHERER (gatherer);

  for (guint i = 0; i < self->gatherings->len; i++)
    {
      Gathering *g = self->gatherings->pdata[i];

      if (!g->done)
        {
          g_cancellable_cancel (g->cancellable);
          if (g->client != NULL && g->transport == NULL)
            nav_turn_client_close_async (g->client, NULL, NULL, NULL);
          gathering_done (g);
        }
    }
}

/* NavGatherer.configure: the TURN server, its credentials and how its
 * requests are retransmitted; the settings not set keep their value. */
static gboolean
nav_turn_gatherer_configure (NavGatherer      *gatherer,
                             const NavConfig  *config,
                             GError          **error)
{
  static const gchar * const taken[] = {
    "relay-server", "relay-type", "relay-username", "relay-password",
    "stun-initial-timeout", "stun-max-retransmissions", "stun-reliable-timeout",
    "software", NULL
  };
  static const struct { const gchar *setting; gsize offset; } strings[] = {
    { "relay-server", G_STRUCT_OFFSET (NavTurnGatherer, server) },
    { "relay-username", G_STRUCT_OFFSET (NavTurnGatherer, username) },
    { "relay-password", G_STRUCT_OFFSET (NavTurnGatherer, password) },
    { "software", G_STRUCT_OFFSET (NavTurnGatherer, software) },
  };
  NavTurnGatherer *self = NAV_TURN_GATHERER (gatherer);
  NavRelayType type;
  guint retransmissions;

  if (!nav_config_check (config, taken, G_OBJECT_TYPE_NAME (self), error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    if (nav_config_is_set (config, strings[i].setting))
      {
        gchar **field = G_STRUCT_MEMBER_P (self, strings[i].offset);

        g_free (*field);
        nav_config_get (config, strings[i].setting, field, NULL);
      }
  if (nav_config_is_set (config, "relay-type"))
    {
      nav_config_get (config, "relay-type", &type, NULL);
      g_free (self->transport);
      self->transport = g_strdup (type == NAV_RELAY_TYPE_TURN_TLS ? "tls" :
                                  type == NAV_RELAY_TYPE_TURN_TCP ? "tcp" : "udp");
    }
  if (nav_config_is_set (config, "stun-initial-timeout"))
    nav_config_get (config, "stun-initial-timeout", &self->params.rto_ms, NULL);
  if (nav_config_is_set (config, "stun-max-retransmissions"))
    {
      nav_config_get (config, "stun-max-retransmissions", &retransmissions, NULL);
      self->params.rc = retransmissions + 1;
    }
  if (nav_config_is_set (config, "stun-reliable-timeout"))
    nav_config_get (config, "stun-reliable-timeout", &self->params.ti_ms, NULL);
  return TRUE;
}

static void
nav_turn_gatherer_gatherer_init (NavGathererInterface *iface)
{
  iface->gather = nav_turn_gatherer_gather;
  iface->stop = nav_turn_gatherer_stop;
  iface->configure = nav_turn_gatherer_configure;
}

/**
 * nav_turn_gatherer_new:
 * @context: (nullable): the main context
 * @server: `HOST[:PORT]` of the TURN server
 * @username: the username
 * @password: the password
 *
 * Returns: (transfer full): a gatherer allocating over UDP
 */
NavTurnGatherer *
nav_turn_gatherer_new (GMainContext *context,
                       const gchar  *server,
                       const gchar  *username,
                       const gchar  *password)
{
  return g_object_new (NAV_TYPE_TURN_GATHERER, "context", context, "server", server,
                       "username", username, "password", password, NULL);
}

static void
nav_turn_gatherer_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NavTurnGatherer *self = NAV_TURN_GATHERER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT: g_value_set_boxed (value, self->context); break;
    case PROP_SERVER: g_value_set_string (value, self->server); break;
    case PROP_TRANSPORT: g_value_set_string (value, self->transport); break;
    case PROP_USERNAME: g_value_set_string (value, self->username); break;
    case PROP_PASSWORD: g_value_set_string (value, self->password); break;
    case PROP_TCP_RELAY: g_value_set_boolean (value, self->tcp_relay); break;
    case PROP_ADDRESS_FAMILY: g_value_set_string (value, self->address_family); break;
    case PROP_TLS_CA_FILE: g_value_set_string (value, self->tls_ca_file); break;
    case PROP_TLS_INSECURE: g_value_set_boolean (value, self->tls_insecure); break;
    case PROP_CONNECT_TIMEOUT: g_value_set_uint (value, self->connect_timeout); break;
    case PROP_SOFTWARE: g_value_set_string (value, self->software); break;
    default:
      if (!nav_stun_retransmit_params_get_property (&self->params, PROP_STUN_INITIAL_TIMEOUT,
                                                    prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_turn_gatherer_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NavTurnGatherer *self = NAV_TURN_GATHERER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_clear_pointer (&self->context, g_main_context_unref);
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_SERVER: g_free (self->server); self->server = g_value_dup_string (value); break;
    case PROP_TRANSPORT: g_free (self->transport); self->transport = g_value_dup_string (value); break;
    case PROP_USERNAME: g_free (self->username); self->username = g_value_dup_string (value); break;
    case PROP_PASSWORD: g_free (self->password); self->password = g_value_dup_string (value); break;
    case PROP_TCP_RELAY: self->tcp_relay = g_value_get_boolean (value); break;
    case PROP_ADDRESS_FAMILY:
      g_free (self->address_family);
      self->address_family = g_value_dup_string (value);
      break;
    case PROP_TLS_CA_FILE: g_free (self->tls_ca_file); self->tls_ca_file = g_value_dup_string (value); break;
    case PROP_TLS_INSECURE: self->tls_insecure = g_value_get_boolean (value); break;
    case PROP_CONNECT_TIMEOUT: self->connect_timeout = g_value_get_uint (value); break;
    case PROP_SOFTWARE: g_free (self->software); self->software = g_value_dup_string (value); break;
    default:
      if (!nav_stun_retransmit_params_set_property (&self->params, PROP_STUN_INITIAL_TIMEOUT,
                                                    prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_turn_gatherer_constructed (GObject *object)
{
  NavTurnGatherer *self = NAV_TURN_GATHERER (object);

  G_OBJECT_CLASS (nav_turn_gatherer_parent_class)->constructed (object);
  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_turn_gatherer_dispose (GObject *object)
{
  NavTurnGatherer *self = NAV_TURN_GATHERER (object);

  if (self->gatherings != NULL)
    g_ptr_array_set_size (self->gatherings, 0);
  G_OBJECT_CLASS (nav_turn_gatherer_parent_class)->dispose (object);
}

static void
nav_turn_gatherer_finalize (GObject *object)
{
  NavTurnGatherer *self = NAV_TURN_GATHERER (object);

  g_ptr_array_unref (self->gatherings);
  g_free (self->server);
  g_free (self->transport);
  g_free (self->username);
  g_free (self->password);
  g_free (self->address_family);
  g_free (self->tls_ca_file);
  g_free (self->software);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (nav_turn_gatherer_parent_class)->finalize (object);
}

static void
nav_turn_gatherer_class_init (NavTurnGathererClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_turn_gatherer_constructed;
  object_class->dispose = nav_turn_gatherer_dispose;
  object_class->finalize = nav_turn_gatherer_finalize;
  object_class->get_property = nav_turn_gatherer_get_property;
  object_class->set_property = nav_turn_gatherer_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_install_property (object_class, PROP_SERVER,
    g_param_spec_string ("server", NULL, "HOST[:PORT] of the TURN server", NULL, flags));
  g_object_class_install_property (object_class, PROP_TRANSPORT,
    g_param_spec_string ("transport", NULL, "udp, tcp or tls, to the server", "udp", flags));
  g_object_class_install_property (object_class, PROP_USERNAME,
    g_param_spec_string ("username", NULL, "The long-term credential's username", NULL, flags));
  g_object_class_install_property (object_class, PROP_PASSWORD,
    g_param_spec_string ("password", NULL, "The long-term credential's password", NULL, flags));
  g_object_class_install_property (object_class, PROP_TCP_RELAY,
    g_param_spec_boolean ("tcp-relay", NULL, "An RFC 6062 TCP allocation", FALSE, flags));
  g_object_class_install_property (object_class, PROP_ADDRESS_FAMILY,
    g_param_spec_string ("address-family", NULL, "ipv4, ipv6 or dual (RFC 8656 §7.1)",
                         "ipv4", flags));
  g_object_class_install_property (object_class, PROP_TLS_CA_FILE,
    g_param_spec_string ("tls-ca-file", NULL, "Trust these certificate authorities", NULL, flags));
  g_object_class_install_property (object_class, PROP_TLS_INSECURE,
    g_param_spec_boolean ("tls-insecure", NULL, "Accept any TLS certificate", FALSE, flags));
  g_object_class_install_property (object_class, PROP_CONNECT_TIMEOUT,
    g_param_spec_uint ("connect-timeout", NULL, "Milliseconds for TCP connect and TLS handshake",
                       1, G_MAXUINT, NAV_TURN_DEFAULT_CONNECT_TIMEOUT_MS, flags));
  /**
   * NavTurnGatherer:stun-initial-timeout:
   * NavTurnGatherer:stun-max-retransmissions:
   * NavTurnGatherer:stun-reliable-timeout:
   *
   * How requests to the server are sent again, the same settings as
   * every object that runs STUN transactions (see
   * nav_stun_retransmit_params_install()): over UDP, the first
   * retransmission timeout in milliseconds (RTO of RFC 8489 §6.2.1, the
   * interval doubling after each transmission; after the last one the
   * client waits 16 times RTO, Rm, before the allocation fails) and the
   * transmissions after the first (Rc minus one; the default, 6, is the
   * RFC's Rc of 7); over TCP or TLS, how long a request, sent once,
   * waits for its response (Ti of §6.2.2, default 39.5 s; the
   * connection and TLS handshake before it are bounded by
   * [property@Nav.TurnGatherer:connect-timeout]).
   *
   * Since: 1.0
   */
  nav_stun_retransmit_params_install (object_class, PROP_STUN_INITIAL_TIMEOUT, flags);
  /**
   * NavTurnGatherer:software:
   *
   * The SOFTWARE attribute (RFC 8489 §14.14, fewer than 128 characters)
   * of every request of the allocation (Allocate, Refresh,
   * CreatePermission, ChannelBind), or %NULL for none: what the agent's
   * [method@Nav.Agent.set_software] sets.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_SOFTWARE,
    g_param_spec_string ("software", NULL, "SOFTWARE attribute of the requests", NULL, flags));
}

static void
nav_turn_gatherer_init (NavTurnGatherer *self)
{
  nav_stun_retransmit_params_init (&self->params);
  self->gatherings = g_ptr_array_new_with_free_func ((GDestroyNotify) gathering_free);
}
