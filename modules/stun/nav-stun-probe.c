/* nav-stun-probe.c: the STUN client as a gatherer of its own socket:
 * one Binding transaction, or NAT behaviour discovery
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-stun-probe.h"
#include "nav-stun-client.h"
#include "nav-nat-discovery.h"

#include <glib/gi18n-lib.h>

/**
 * NavStunProbe:
 *
 * The STUN client of the `stun` module as the registry offers it: a
 * [iface@Nav.Gatherer] registered as `stun-probe` at the `nav-gatherer`
 * extension point, what `nav-stun` runs.  Unlike the `stun` gatherer,
 * which sends from the sockets of host candidates, it asks from a socket
 * of its own (or a TCP or TLS connection) and ignores the bases given to
 * [method@Nav.Gatherer.gather]:
 *
 * - by default, one Binding transaction (RFC 8489 §6.2) with
 *   [property@Nav.StunProbe:server] over
 *   [property@Nav.StunProbe:protocol]; the reflexive address comes as a
 *   server-reflexive candidate (its base and related address the local
 *   address, no owner) and, with everything the response told,
 *   in [signal@Nav.StunProbe::result];
 * - with [property@Nav.StunProbe:nat-discovery], the tests of RFC 5780
 *   §4.3 and §4.4 over UDP, the classification in
 *   [signal@Nav.StunProbe::result].
 *
 * A failure is told by [signal@Nav.StunProbe::failed] in the
 * #NAV_ERROR domain (%NAV_ERROR_TIMED_OUT when no response came); then
 * [signal@Nav.Gatherer::done] follows, as after a success.
 *
 * Since: 1.0
 */

struct _NavStunProbe
{
  GObject parent_instance;

  GMainContext *context;
  gchar *server;
  NavStunProtocol protocol;
  GSocketFamily family;
  gchar *local_ip;
  gchar *tls_ca_file;
  gboolean tls_insecure;
  gboolean use_srv;
  gchar *software;
  gboolean nat_discovery;
  NavStunRetransmitParams params;

  NavStunClient *client;        /* while gathering */
  GCancellable *cancellable;
  guint stream_id;
  guint component_id;
  gboolean gathering;
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_SERVER,
  PROP_PROTOCOL,
  PROP_FAMILY,
  PROP_LOCAL_IP,
  PROP_TLS_CA_FILE,
  PROP_TLS_INSECURE,
  PROP_USE_SRV,
  PROP_SOFTWARE,
  PROP_NAT_DISCOVERY,
  PROP_STUN_INITIAL_TIMEOUT,
  PROP_STUN_MAX_RETRANSMISSIONS,
  PROP_STUN_RELIABLE_TIMEOUT,
  N_PROPS
};

enum {
  SIGNAL_RESULT,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void nav_stun_probe_gatherer_init (NavGathererInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavStunProbe, nav_stun_probe, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_GATHERER,
                                                      nav_stun_probe_gatherer_init))

static void
finish (NavStunProbe *self)
{
  if (!self->gathering)
    return;
  self->gathering = FALSE;
  g_clear_object (&self->cancellable);
  nav_gatherer_emit_done (NAV_GATHERER (self), self->stream_id, self->component_id);
}

/* The client's errors in the public domain, the message kept. */
static void
fail (NavStunProbe *self,
      const GError *error)
{
  g_autoptr (GError) public_error = NULL;
  gint code = NAV_ERROR_FAILED;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      finish (self);
      return;
    }
  if (g_error_matches (error, NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_TIMED_OUT))
    code = NAV_ERROR_TIMED_OUT;
  else if (g_error_matches (error, NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_RESOLVE_FAILED))
    code = NAV_ERROR_INVALID_ADDRESS;
  public_error = g_error_new_literal (NAV_ERROR, code, error->message);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, public_error);
  finish (self);
}

static void
add_address (GVariantDict     *dict,
             const gchar      *key,
             const NavAddress *address)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  g_variant_dict_insert (dict, key, "s", nav_address_to_string_buf (address, buf));
}

static void
emit_candidate (NavStunProbe     *self,
                const NavAddress *mapped,
                const NavAddress *local)
{
  g_autoptr (NavCandidate) c = nav_candidate_new (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);

  c->transport = self->protocol == NAV_STUN_PROTOCOL_UDP ? NAV_CANDIDATE_TRANSPORT_UDP
                                                         : NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE;
  c->addr = *mapped;
  c->base_addr = *local;
  c->related_addr = *local;
  c->stream_id = self->stream_id;
  c->component_id = self->component_id;
  c->priority = nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE,
                                                c->transport, 65535, self->component_id);
  nav_candidate_set_foundation (c, "probe");
  nav_gatherer_emit_candidate_gathered (NAV_GATHERER (self), c);
}

static void
binding_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (NavStunProbe) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavStunBindingResult) r = NULL;
  g_auto (GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  r = nav_stun_client_binding_finish (NAV_STUN_CLIENT (source), result, &error);
  if (!self->gathering)
    return;
  if (r == NULL)
    {
      fail (self, error);
      return;
    }
  g_variant_dict_insert (&dict, "protocol", "s", nav_stun_protocol_to_string (r->protocol));
  add_address (&dict, "mapped", &r->mapped);
  add_address (&dict, "local", &r->local);
  add_address (&dict, "server", &r->server);
  g_variant_dict_insert (&dict, "rtt-us", "x", r->rtt_us);
  g_variant_dict_insert (&dict, "transmissions", "u", r->transmissions);
  if (r->software != NULL)
    g_variant_dict_insert (&dict, "software", "s", r->software);
  if (r->has_other_address)
    add_address (&dict, "other-address", &r->other_address);
  if (r->has_response_origin)
    add_address (&dict, "response-origin", &r->response_origin);
  emit_candidate (self, &r->mapped, &r->local);
  g_signal_emit (self, signals[SIGNAL_RESULT], 0, g_variant_dict_end (&dict));
  finish (self);
}

static void
nat_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (NavStunProbe) self = user_data;
  g_autoptr (GError) error = NULL;
  NavNatClassification c;
  g_auto (GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  GVariantBuilder strategies;
  static const NavNatType peers[] = {
    NAV_NAT_TYPE_OPEN_INTERNET, NAV_NAT_TYPE_FULL_CONE, NAV_NAT_TYPE_RESTRICTED_CONE,
    NAV_NAT_TYPE_PORT_RESTRICTED_CONE, NAV_NAT_TYPE_SYMMETRIC, NAV_NAT_TYPE_UDP_BLOCKED
  };

  if (!nav_nat_discover_finish (NAV_STUN_CLIENT (source), result, &c, &error))
    {
      if (self->gathering)
        fail (self, error);
      return;
    }
  if (!self->gathering)
    return;
  g_variant_dict_insert (&dict, "nat-type", "s", nav_nat_type_to_string (c.type));
  g_variant_dict_insert (&dict, "nat-type-display", "s", nav_nat_type_to_display_string (c.type));
  g_variant_dict_insert (&dict, "mapping", "s", nav_nat_behaviour_to_string (c.mapping));
  g_variant_dict_insert (&dict, "filtering", "s", nav_nat_behaviour_to_string (c.filtering));
  /* RFC 5780 needs OTHER-ADDRESS: without it nothing is classified. */
  g_variant_dict_insert (&dict, "rfc5780", "b",
                         !(c.type == NAV_NAT_TYPE_UNKNOWN && c.mapping == NAV_NAT_BEHAVIOUR_UNKNOWN));
  if (c.type != NAV_NAT_TYPE_UDP_BLOCKED)
    {
      add_address (&dict, "mapped", &c.mapped);
      add_address (&dict, "local", &c.local);
    }
  /* What each kind of peer implies: (peer's type, strategy, ms to try
   * directly first or 0). */
  g_variant_builder_init (&strategies, G_VARIANT_TYPE ("a(ssu)"));
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      guint timeout = 0;
      NavNatStrategy s = nav_nat_strategy_for_pair (c.type, peers[i], &timeout);

      g_variant_builder_add (&strategies, "(ssu)", nav_nat_type_to_string (peers[i]),
                             nav_nat_strategy_to_string (s), timeout);
    }
  g_variant_dict_insert_value (&dict, "strategies", g_variant_builder_end (&strategies));
  if (c.type != NAV_NAT_TYPE_UDP_BLOCKED)
    emit_candidate (self, &c.mapped, &c.local);
  g_signal_emit (self, signals[SIGNAL_RESULT], 0, g_variant_dict_end (&dict));
  finish (self);
}

static void
nat_resolved (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (NavStunProbe) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) server = NULL;

  server = nav_stun_client_resolve_finish (NAV_STUN_CLIENT (source), result, &error);
  if (!self->gathering)
    return;
  if (server == NULL)
    {
      fail (self, error);
      return;
    }
  nav_nat_discover_async (self->client, server, self->cancellable, nat_done, g_object_ref (self));
}

static void
nav_stun_probe_gather (NavGatherer *gatherer,
                       guint        stream_id,
                       guint        component_id,
                       GPtrArray   *bases)
{
  NavStunProbe *self = NAV_STUN_PROBE (gatherer);

  g_return_if_fail (!self->gathering);

  self->gathering = TRUE;
  self->stream_id = stream_id;
  self->component_id = component_id;
  self->cancellable = g_cancellable_new ();
  g_clear_object (&self->client);
  self->client = g_object_new (NAV_TYPE_STUN_CLIENT,
                               "context", self->context,
                               "family", self->family,
                               "local-ip", self->local_ip,
                               "tls-ca-file", self->tls_ca_file,
                               "tls-insecure", self->tls_insecure,
                               "use-srv", self->use_srv,
                               "software", self->software,
                               NULL);
  nav_stun_client_set_retransmit_params (self->client, &self->params);
  if (self->server == NULL)
    {
      g_autoptr (GError) error = g_error_new_literal (NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                                                      _("No STUN server to ask"));

      g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
      finish (self);
      return;
    }
  /* Callbacks come in the client's context, the probe's. */
  if (self->nat_discovery)
    nav_stun_client_resolve_async (self->client, self->server, NAV_STUN_PROTOCOL_UDP,
                                   self->cancellable, nat_resolved, g_object_ref (self));
  else
    nav_stun_client_binding_async (self->client, self->server, self->protocol,
                                   self->cancellable, binding_done, g_object_ref (self));
}

static void
nav_stun_probe_stop (NavGatherer *gatherer)
{
  NavStunProbe *self = NAV_STUN_PROBE (gatherer);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  finish (self);
}

static void
nav_stun_probe_gatherer_init (NavGathererInterface *iface)
{
  iface->gather = nav_stun_probe_gather;
  iface->stop = nav_stun_probe_stop;
}

static void
nav_stun_probe_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  NavStunProbe *self = NAV_STUN_PROBE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT: g_value_set_boxed (value, self->context); break;
    case PROP_SERVER: g_value_set_string (value, self->server); break;
    case PROP_PROTOCOL: g_value_set_string (value, nav_stun_protocol_to_string (self->protocol)); break;
    case PROP_FAMILY: g_value_set_enum (value, self->family); break;
    case PROP_LOCAL_IP: g_value_set_string (value, self->local_ip); break;
    case PROP_TLS_CA_FILE: g_value_set_string (value, self->tls_ca_file); break;
    case PROP_TLS_INSECURE: g_value_set_boolean (value, self->tls_insecure); break;
    case PROP_USE_SRV: g_value_set_boolean (value, self->use_srv); break;
    case PROP_SOFTWARE: g_value_set_string (value, self->software); break;
    case PROP_NAT_DISCOVERY: g_value_set_boolean (value, self->nat_discovery); break;
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
nav_stun_probe_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  NavStunProbe *self = NAV_STUN_PROBE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_clear_pointer (&self->context, g_main_context_unref);
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_SERVER: replace_string (&self->server, value); break;
    case PROP_PROTOCOL:
      if (!nav_stun_protocol_from_string (g_value_get_string (value), &self->protocol))
        {
          g_warning ("NavStunProbe: “%s” is not udp, tcp or tls", g_value_get_string (value));
          self->protocol = NAV_STUN_PROTOCOL_UDP;
        }
      break;
    case PROP_FAMILY: self->family = g_value_get_enum (value); break;
    case PROP_LOCAL_IP: replace_string (&self->local_ip, value); break;
    case PROP_TLS_CA_FILE: replace_string (&self->tls_ca_file, value); break;
    case PROP_TLS_INSECURE: self->tls_insecure = g_value_get_boolean (value); break;
    case PROP_USE_SRV: self->use_srv = g_value_get_boolean (value); break;
    case PROP_SOFTWARE: replace_string (&self->software, value); break;
    case PROP_NAT_DISCOVERY: self->nat_discovery = g_value_get_boolean (value); break;
    default:
      if (!nav_stun_retransmit_params_set_property (&self->params, PROP_STUN_INITIAL_TIMEOUT,
                                                    prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_stun_probe_constructed (GObject *object)
{
  NavStunProbe *self = NAV_STUN_PROBE (object);

  G_OBJECT_CLASS (nav_stun_probe_parent_class)->constructed (object);
  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_stun_probe_dispose (GObject *object)
{
  NavStunProbe *self = NAV_STUN_PROBE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (nav_stun_probe_parent_class)->dispose (object);
}

static void
nav_stun_probe_finalize (GObject *object)
{
  NavStunProbe *self = NAV_STUN_PROBE (object);

  g_free (self->server);
  g_free (self->local_ip);
  g_free (self->tls_ca_file);
  g_free (self->software);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_stun_probe_parent_class)->finalize (object);
}

static void
nav_stun_probe_class_init (NavStunProbeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = nav_stun_probe_get_property;
  object_class->set_property = nav_stun_probe_set_property;
  object_class->constructed = nav_stun_probe_constructed;
  object_class->dispose = nav_stun_probe_dispose;
  object_class->finalize = nav_stun_probe_finalize;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  /**
   * NavStunProbe:server:
   *
   * The STUN server: `HOST[:PORT]`, `[IPV6]:PORT`, or a `stun:`/`stuns:`
   * URI (RFC 7064).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_SERVER,
    g_param_spec_string ("server", "Server", "The STUN server, HOST[:PORT]", NULL, rw));
  /**
   * NavStunProbe:protocol:
   *
   * `udp`, `tcp` or `tls` (RFC 8489 §6.2).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_PROTOCOL,
    g_param_spec_string ("protocol", "Protocol", "udp, tcp or tls", "udp", rw));
  /**
   * NavStunProbe:family:
   *
   * The address family the server's name resolves to;
   * %G_SOCKET_FAMILY_INVALID for any.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_FAMILY,
    g_param_spec_enum ("family", "Family", "The address family of the server",
                       G_TYPE_SOCKET_FAMILY, G_SOCKET_FAMILY_INVALID, rw));
  /**
   * NavStunProbe:local-ip:
   *
   * The local `IP` or `IP:PORT` UDP requests leave from; %NULL for any.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_LOCAL_IP,
    g_param_spec_string ("local-ip", "Local IP", "Where UDP requests leave from", NULL, rw));
  /**
   * NavStunProbe:tls-ca-file:
   *
   * A PEM file of the certificate authorities trusted for TLS; %NULL for
   * the system's.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_TLS_CA_FILE,
    g_param_spec_string ("tls-ca-file", "TLS CA file", "Certificate authorities trusted for TLS",
                         NULL, rw));
  /**
   * NavStunProbe:tls-insecure:
   *
   * Accept any TLS certificate (self-signed test servers).
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_TLS_INSECURE,
    g_param_spec_boolean ("tls-insecure", "TLS insecure", "Accept any TLS certificate", FALSE, rw));
  /**
   * NavStunProbe:use-srv:
   *
   * Look the server up through DNS SRV records (RFC 8489 §8.1) when no
   * port is given.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_USE_SRV,
    g_param_spec_boolean ("use-srv", "Use SRV", "Look the server up through SRV records", FALSE, rw));
  /**
   * NavStunProbe:software:
   *
   * The SOFTWARE attribute of the requests (RFC 8489 §14.14); %NULL for
   * none.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_SOFTWARE,
    g_param_spec_string ("software", "Software", "The SOFTWARE attribute of the requests", NULL, rw));
  /**
   * NavStunProbe:nat-discovery:
   *
   * Classify the NAT (RFC 5780 §4.3, §4.4; the server needs two
   * addresses) instead of one Binding transaction.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_NAT_DISCOVERY,
    g_param_spec_boolean ("nat-discovery", "NAT discovery", "Classify the NAT (RFC 5780)", FALSE, rw));
  /**
   * NavStunProbe:stun-initial-timeout:
   * NavStunProbe:stun-max-retransmissions:
   * NavStunProbe:stun-reliable-timeout:
   *
   * RTO and Rc of RFC 8489 §6.2.1 (Rc minus one: the transmissions
   * after the first over UDP), Ti of §6.2.2 over TCP and TLS, in
   * milliseconds: see nav_stun_retransmit_params_install().
   *
   * Since: 1.0
   */
  nav_stun_retransmit_params_install (object_class, PROP_STUN_INITIAL_TIMEOUT, rw);

  /**
   * NavStunProbe::result:
   * @probe: the probe
   * @result: an `a{sv}` dictionary: for a Binding, `protocol`, `mapped`,
   *   `local`, `server` (strings, addresses as `IP:PORT`), `rtt-us`
   *   (int64), `transmissions` (uint32), and when the response had them
   *   `software`, `other-address`, `response-origin`; for NAT discovery,
   *   `nat-type`, `nat-type-display`, `mapping`, `filtering` (strings),
   *   `rfc5780` (whether the server supports it), `mapped` and `local`
   *   unless UDP is blocked, and `strategies`, `a(ssu)`: per kind of peer,
   *   the strategy and the milliseconds to try directly first
   *
   * What the probe found, before [signal@Nav.Gatherer::done].
   *
   * Since: 1.0
   */
  signals[SIGNAL_RESULT] =
    g_signal_new ("result", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_VARIANT);
  /**
   * NavStunProbe::failed:
   * @probe: the probe
   * @error: why, in the #NAV_ERROR domain (%NAV_ERROR_TIMED_OUT: no
   *   response in time; %NAV_ERROR_INVALID_ADDRESS: the server's name)
   *
   * The probe failed, before [signal@Nav.Gatherer::done].
   *
   * Since: 1.0
   */
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
nav_stun_probe_init (NavStunProbe *self)
{
  nav_stun_retransmit_params_init (&self->params);
  self->family = G_SOCKET_FAMILY_INVALID;
}
