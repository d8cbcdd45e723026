/* nav-turn-server.c: the TURN server as a NavServer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gi18n-lib.h>
#include <netavanue/netavanue.h>

#include "nav-turn-server.h"

/**
 * NavTurnServer:
 *
 * The TURN server (RFC 8656, with RFC 6062 TCP allocations) of the `turn`
 * module: a [iface@Nav.Server] registered as `turn` at the `nav-server`
 * extension point.  Its properties are coturn's options of the same name
 * and meaning, so that a coturn configuration translates line by line.
 *
 * Incomplete: relaying arrives with the TURN tier.  Until then
 * [method@Nav.Server.start] checks the configuration (and fails with
 * %NAV_ERROR_INVALID_ARGUMENT when it is inconsistent), then fails with
 * %NAV_ERROR_NOT_SUPPORTED; [method@Nav.Server.get_stats] reports zero for
 * every counter.
 *
 * Since: 1.0
 */

#define DEFAULT_LISTENING_IP "0.0.0.0"
/* RFC 8656 §4: the STUN ports */
#define DEFAULT_LISTENING_PORT 3478
#define DEFAULT_TLS_LISTENING_PORT 5349
/* coturn's defaults: the dynamic port range of RFC 6335 §6 */
#define DEFAULT_MIN_PORT 49152
#define DEFAULT_MAX_PORT 65535
/* coturn's defaults, in seconds */
#define DEFAULT_MAX_ALLOCATE_LIFETIME 3600
#define DEFAULT_STALE_NONCE 600

struct _NavTurnServer
{
  GObject parent_instance;

  GMainContext *context;
  gboolean running;

  gchar *listening_ip;
  guint listening_port;
  guint tls_listening_port;
  gchar *relay_ip;
  gchar *external_ip;
  gchar *realm;
  guint min_port;
  guint max_port;
  gboolean lt_cred_mech;
  gboolean use_auth_secret;
  gchar *static_auth_secret;
  guint user_quota;
  guint total_quota;
  guint max_allocate_lifetime;
  guint stale_nonce;
  gboolean no_udp;
  gboolean no_tcp;
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_RUNNING,
  PROP_LISTENING_IP,
  PROP_LISTENING_PORT,
  PROP_TLS_LISTENING_PORT,
  PROP_RELAY_IP,
  PROP_EXTERNAL_IP,
  PROP_REALM,
  PROP_MIN_PORT,
  PROP_MAX_PORT,
  PROP_LT_CRED_MECH,
  PROP_USE_AUTH_SECRET,
  PROP_STATIC_AUTH_SECRET,
  PROP_USER_QUOTA,
  PROP_TOTAL_QUOTA,
  PROP_MAX_ALLOCATE_LIFETIME,
  PROP_STALE_NONCE,
  PROP_NO_UDP,
  PROP_NO_TCP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_turn_server_server_init (NavServerInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavTurnServer, nav_turn_server, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_SERVER,
                                                               nav_turn_server_server_init))

/**
 * nav_turn_server_register: (skip)
 * @module: the `turn` module
 *
 * Registers [class@Nav.TurnServer] in @module.
 */
void
nav_turn_server_register (GTypeModule *module)
{
  nav_turn_server_register_type (module);
}

static gboolean
check_configuration (NavTurnServer  *self,
                     GError        **error)
{
  if (self->min_port > self->max_port)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("The relay port range is empty: min-port %u is above max-port %u"),
                   self->min_port, self->max_port);
      return FALSE;
    }
  if (self->no_udp && self->no_tcp)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("With both no-udp and no-tcp the server would listen on nothing"));
      return FALSE;
    }
  if (self->use_auth_secret &&
      (self->static_auth_secret == NULL || *self->static_auth_secret == '\0'))
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("use-auth-secret needs a static-auth-secret"));
      return FALSE;
    }
  /* RFC 8489 §9.2: the long-term mechanism sends REALM in every
   * challenge, so it needs one. */
  if ((self->lt_cred_mech || self->use_auth_secret) &&
      (self->realm == NULL || *self->realm == '\0'))
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("The long-term credential mechanism needs a realm"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
nav_turn_server_start (NavServer  *server,
                       GError    **error)
{
  NavTurnServer *self = NAV_TURN_SERVER (server);

  if (!check_configuration (self, error))
    return FALSE;

  g_set_error_literal (error, NAV_ERROR, NAV_ERROR_NOT_SUPPORTED,
                       _("The TURN server arrives with the TURN tier; this build only describes it"));
  return FALSE;
}

static void
nav_turn_server_stop (NavServer *server)
{
  NavTurnServer *self = NAV_TURN_SERVER (server);

  if (!self->running)
    return;
  self->running = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static GVariant *
nav_turn_server_get_stats (NavServer *server)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&builder, "{st}", "received", (guint64) 0);
  g_variant_builder_add (&builder, "{st}", "answered", (guint64) 0);
  g_variant_builder_add (&builder, "{st}", "dropped", (guint64) 0);
  g_variant_builder_add (&builder, "{st}", "allocations", (guint64) 0);
  return g_variant_builder_end (&builder);
}

static void
nav_turn_server_server_init (NavServerInterface *iface)
{
  iface->start = nav_turn_server_start;
  iface->stop = nav_turn_server_stop;
  iface->get_stats = nav_turn_server_get_stats;
}

static void
nav_turn_server_constructed (GObject *object)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  G_OBJECT_CLASS (nav_turn_server_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_turn_server_finalize (GObject *object)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  g_free (self->listening_ip);
  g_free (self->relay_ip);
  g_free (self->external_ip);
  g_free (self->realm);
  g_free (self->static_auth_secret);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_turn_server_parent_class)->finalize (object);
}

static void
nav_turn_server_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_LISTENING_IP:
      g_value_set_string (value, self->listening_ip);
      break;
    case PROP_LISTENING_PORT:
      g_value_set_uint (value, self->listening_port);
      break;
    case PROP_TLS_LISTENING_PORT:
      g_value_set_uint (value, self->tls_listening_port);
      break;
    case PROP_RELAY_IP:
      g_value_set_string (value, self->relay_ip);
      break;
    case PROP_EXTERNAL_IP:
      g_value_set_string (value, self->external_ip);
      break;
    case PROP_REALM:
      g_value_set_string (value, self->realm);
      break;
    case PROP_MIN_PORT:
      g_value_set_uint (value, self->min_port);
      break;
    case PROP_MAX_PORT:
      g_value_set_uint (value, self->max_port);
      break;
    case PROP_LT_CRED_MECH:
      g_value_set_boolean (value, self->lt_cred_mech);
      break;
    case PROP_USE_AUTH_SECRET:
      g_value_set_boolean (value, self->use_auth_secret);
      break;
    case PROP_STATIC_AUTH_SECRET:
      g_value_set_string (value, self->static_auth_secret);
      break;
    case PROP_USER_QUOTA:
      g_value_set_uint (value, self->user_quota);
      break;
    case PROP_TOTAL_QUOTA:
      g_value_set_uint (value, self->total_quota);
      break;
    case PROP_MAX_ALLOCATE_LIFETIME:
      g_value_set_uint (value, self->max_allocate_lifetime);
      break;
    case PROP_STALE_NONCE:
      g_value_set_uint (value, self->stale_nonce);
      break;
    case PROP_NO_UDP:
      g_value_set_boolean (value, self->no_udp);
      break;
    case PROP_NO_TCP:
      g_value_set_boolean (value, self->no_tcp);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_string (gchar        **field,
            const GValue  *value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

static void
nav_turn_server_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_LISTENING_IP:
      set_string (&self->listening_ip, value);
      break;
    case PROP_LISTENING_PORT:
      self->listening_port = g_value_get_uint (value);
      break;
    case PROP_TLS_LISTENING_PORT:
      self->tls_listening_port = g_value_get_uint (value);
      break;
    case PROP_RELAY_IP:
      set_string (&self->relay_ip, value);
      break;
    case PROP_EXTERNAL_IP:
      set_string (&self->external_ip, value);
      break;
    case PROP_REALM:
      set_string (&self->realm, value);
      break;
    case PROP_MIN_PORT:
      self->min_port = g_value_get_uint (value);
      break;
    case PROP_MAX_PORT:
      self->max_port = g_value_get_uint (value);
      break;
    case PROP_LT_CRED_MECH:
      self->lt_cred_mech = g_value_get_boolean (value);
      break;
    case PROP_USE_AUTH_SECRET:
      self->use_auth_secret = g_value_get_boolean (value);
      break;
    case PROP_STATIC_AUTH_SECRET:
      set_string (&self->static_auth_secret, value);
      break;
    case PROP_USER_QUOTA:
      self->user_quota = g_value_get_uint (value);
      break;
    case PROP_TOTAL_QUOTA:
      self->total_quota = g_value_get_uint (value);
      break;
    case PROP_MAX_ALLOCATE_LIFETIME:
      self->max_allocate_lifetime = g_value_get_uint (value);
      break;
    case PROP_STALE_NONCE:
      self->stale_nonce = g_value_get_uint (value);
      break;
    case PROP_NO_UDP:
      self->no_udp = g_value_get_boolean (value);
      break;
    case PROP_NO_TCP:
      self->no_tcp = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define RW (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS)

static void
nav_turn_server_class_init (NavTurnServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_turn_server_constructed;
  object_class->finalize = nav_turn_server_finalize;
  object_class->get_property = nav_turn_server_get_property;
  object_class->set_property = nav_turn_server_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_RUNNING, "running");
  properties[PROP_RUNNING] = g_object_class_find_property (object_class, "running");

  /**
   * NavTurnServer:listening-ip:
   *
   * The IP address to listen on; `0.0.0.0` or `::` for every address.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_IP] =
    g_param_spec_string ("listening-ip", "Listening IP",
                         "The IP address to listen on",
                         DEFAULT_LISTENING_IP, RW);

  /**
   * NavTurnServer:listening-port:
   *
   * The UDP and TCP port of TURN requests; 0 for any free port.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_PORT] =
    g_param_spec_uint ("listening-port", "Listening port",
                       "The UDP and TCP port to listen on",
                       0, G_MAXUINT16, DEFAULT_LISTENING_PORT, RW);

  /**
   * NavTurnServer:tls-listening-port:
   *
   * The port of TURN over TLS (RFC 8656 §3.1); 0 for any free port.
   *
   * Since: 1.0
   */
  properties[PROP_TLS_LISTENING_PORT] =
    g_param_spec_uint ("tls-listening-port", "TLS listening port",
                       "The port of TURN over TLS",
                       0, G_MAXUINT16, DEFAULT_TLS_LISTENING_PORT, RW);

  /**
   * NavTurnServer:relay-ip:
   *
   * The IP address relayed transport addresses are allocated on; %NULL
   * for the listening address.
   *
   * Since: 1.0
   */
  properties[PROP_RELAY_IP] =
    g_param_spec_string ("relay-ip", "Relay IP",
                         "The IP address relays are allocated on (default: the listening IP)",
                         NULL, RW);

  /**
   * NavTurnServer:external-ip:
   *
   * The public address to advertise in XOR-RELAYED-ADDRESS when the server
   * is behind a 1:1 NAT; %NULL when it is not.
   *
   * Since: 1.0
   */
  properties[PROP_EXTERNAL_IP] =
    g_param_spec_string ("external-ip", "External IP",
                         "The public IP to advertise when behind a 1:1 NAT",
                         NULL, RW);

  /**
   * NavTurnServer:realm:
   *
   * The realm of the long-term credential mechanism (RFC 8489 §9.2).
   *
   * Since: 1.0
   */
  properties[PROP_REALM] =
    g_param_spec_string ("realm", "Realm",
                         "The realm of the long-term credentials",
                         NULL, RW);

  /**
   * NavTurnServer:min-port:
   *
   * The lowest port of relayed transport addresses.
   *
   * Since: 1.0
   */
  properties[PROP_MIN_PORT] =
    g_param_spec_uint ("min-port", "Minimum relay port",
                       "The lowest port of relayed addresses",
                       1, G_MAXUINT16, DEFAULT_MIN_PORT, RW);

  /**
   * NavTurnServer:max-port:
   *
   * The highest port of relayed transport addresses.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_PORT] =
    g_param_spec_uint ("max-port", "Maximum relay port",
                       "The highest port of relayed addresses",
                       1, G_MAXUINT16, DEFAULT_MAX_PORT, RW);

  /**
   * NavTurnServer:lt-cred-mech:
   *
   * Whether clients authenticate with the long-term credential mechanism
   * (RFC 8489 §9.2).
   *
   * Since: 1.0
   */
  properties[PROP_LT_CRED_MECH] =
    g_param_spec_boolean ("lt-cred-mech", "Long-term credentials",
                          "Authenticate clients with long-term credentials",
                          FALSE, RW);

  /**
   * NavTurnServer:use-auth-secret:
   *
   * Whether credentials are time-limited and signed with
   * [property@Nav.TurnServer:static-auth-secret] (the TURN REST API
   * convention), so several servers share nothing but the secret.
   *
   * Since: 1.0
   */
  properties[PROP_USE_AUTH_SECRET] =
    g_param_spec_boolean ("use-auth-secret", "Use auth secret",
                          "Accept time-limited credentials signed with the shared secret",
                          FALSE, RW);

  /**
   * NavTurnServer:static-auth-secret:
   *
   * The secret of [property@Nav.TurnServer:use-auth-secret].
   *
   * Since: 1.0
   */
  properties[PROP_STATIC_AUTH_SECRET] =
    g_param_spec_string ("static-auth-secret", "Static auth secret",
                         "The shared secret of time-limited credentials",
                         NULL, RW);

  /**
   * NavTurnServer:user-quota:
   *
   * The most allocations one user may hold at once; 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_USER_QUOTA] =
    g_param_spec_uint ("user-quota", "User quota",
                       "Allocations per user; 0 for no limit",
                       0, G_MAXUINT, 0, RW);

  /**
   * NavTurnServer:total-quota:
   *
   * The most allocations the server holds at once; 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_TOTAL_QUOTA] =
    g_param_spec_uint ("total-quota", "Total quota",
                       "Allocations in total; 0 for no limit",
                       0, G_MAXUINT, 0, RW);

  /**
   * NavTurnServer:max-allocate-lifetime:
   *
   * The longest lifetime, in seconds, granted to an allocation
   * (RFC 8656 §7.2).
   *
   * Since: 1.0
   */
  properties[PROP_MAX_ALLOCATE_LIFETIME] =
    g_param_spec_uint ("max-allocate-lifetime", "Maximum allocation lifetime",
                       "The longest allocation lifetime granted, in seconds",
                       600, G_MAXUINT32, DEFAULT_MAX_ALLOCATE_LIFETIME, RW);

  /**
   * NavTurnServer:stale-nonce:
   *
   * How many seconds a nonce stays valid before the client is asked to
   * use a new one (438 Stale Nonce, RFC 8489 §9.2.4).
   *
   * Since: 1.0
   */
  properties[PROP_STALE_NONCE] =
    g_param_spec_uint ("stale-nonce", "Stale nonce",
                       "Seconds a nonce stays valid",
                       1, G_MAXUINT32, DEFAULT_STALE_NONCE, RW);

  /**
   * NavTurnServer:no-udp:
   *
   * Do not listen on UDP.
   *
   * Since: 1.0
   */
  properties[PROP_NO_UDP] =
    g_param_spec_boolean ("no-udp", "No UDP",
                          "Do not listen on UDP",
                          FALSE, RW);

  /**
   * NavTurnServer:no-tcp:
   *
   * Do not listen on TCP (nor TLS).
   *
   * Since: 1.0
   */
  properties[PROP_NO_TCP] =
    g_param_spec_boolean ("no-tcp", "No TCP",
                          "Do not listen on TCP",
                          FALSE, RW);

  for (guint i = PROP_LISTENING_IP; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties[i]);
}

static void
nav_turn_server_class_finalize (NavTurnServerClass *klass)
{
}

static void
nav_turn_server_init (NavTurnServer *self)
{
}
