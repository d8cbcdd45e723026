/* nav-stun-module.c: the entry points of libnav-stun.so, and NavStunServer,
 * the STUN server as a NavServer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

#include "nav-stun-gatherer.h"
#include "nav-stun-server.h"

/**
 * NavStunServer:
 *
 * The STUN server (RFC 8489) of the `stun` module, as
 * [method@Nav.Registry.create] sees it: a [iface@Nav.Server] registered
 * as `stun` at the `nav-server` extension point.  It answers Binding
 * requests over UDP, TCP and, given a certificate, TLS; given an alternate
 * address it also serves NAT behaviour discovery (RFC 5780 §4.4, §7).
 *
 * Its configuration is its properties, named after coturn's options.  The
 * work is done by the tier's Binding server, the one `nav-server --stun`
 * runs; this type gives it the registry's face: one listening IP as a
 * string, the bound ports readable once started.
 *
 * Since: 1.0
 */

#define NAV_TYPE_STUN_SERVER (nav_stun_server_get_type ())
G_DECLARE_FINAL_TYPE (NavStunServer, nav_stun_server, NAV, STUN_SERVER, GObject)

struct _NavStunServer
{
  GObject parent_instance;

  GMainContext *context;
  gchar *listening_ip;
  guint listening_port;
  gchar *alt_listening_ip;
  guint alt_listening_port;
  guint tls_listening_port;
  gchar *cert;
  gchar *pkey;
  gchar *software;

  NavStunBindingServer *impl;   /* while running */
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_RUNNING,
  PROP_LISTENING_IP,
  PROP_LISTENING_PORT,
  PROP_ALT_LISTENING_IP,
  PROP_ALT_LISTENING_PORT,
  PROP_TLS_LISTENING_PORT,
  PROP_CERT,
  PROP_PKEY,
  PROP_SOFTWARE,
  PROP_PORT,
  PROP_ALT_PORT,
  PROP_TLS_PORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_stun_server_server_init (NavServerInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavStunServer, nav_stun_server, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_SERVER,
                                                               nav_stun_server_server_init))

static gboolean
nav_stun_server_start (NavServer  *server,
                       GError    **error)
{
  NavStunServer *self = NAV_STUN_SERVER (server);
  const gchar *ips[2] = { self->listening_ip, NULL };
  g_autoptr (NavStunBindingServer) impl = NULL;

  if (self->impl != NULL)
    return TRUE;

  impl = g_object_new (NAV_TYPE_STUN_BINDING_SERVER,
                       "context", self->context,
                       "listening-ips", self->listening_ip != NULL ? ips : NULL,
                       "listening-port", self->listening_port,
                       "alt-listening-ip", self->alt_listening_ip,
                       "alt-listening-port", self->alt_listening_port,
                       "tls-listening-port", self->tls_listening_port,
                       "cert-file", self->cert,
                       "pkey-file", self->pkey,
                       "software", self->software,
                       NULL);
  if (!nav_server_start (NAV_SERVER (impl), error))
    return FALSE;

  self->impl = g_steal_pointer (&impl);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;
}

static void
nav_stun_server_stop (NavServer *server)
{
  NavStunServer *self = NAV_STUN_SERVER (server);

  if (self->impl == NULL)
    return;
  nav_server_stop (NAV_SERVER (self->impl));
  g_clear_object (&self->impl);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* The counters of the Binding server while it runs (the last run's are
 * gone once stopped, as a restarted daemon's would be): zero before. */
static GVariant *
nav_stun_server_get_stats (NavServer *server)
{
  NavStunServer *self = NAV_STUN_SERVER (server);
  g_autoptr (NavStunBindingServer) idle = NULL;

  if (self->impl != NULL)
    return nav_server_get_stats (NAV_SERVER (self->impl));

  idle = g_object_new (NAV_TYPE_STUN_BINDING_SERVER, "context", self->context, NULL);
  return nav_server_get_stats (NAV_SERVER (idle));
}

static void
nav_stun_server_server_init (NavServerInterface *iface)
{
  iface->start = nav_stun_server_start;
  iface->stop = nav_stun_server_stop;
  iface->get_stats = nav_stun_server_get_stats;
}

static void
nav_stun_server_constructed (GObject *object)
{
  NavStunServer *self = NAV_STUN_SERVER (object);

  G_OBJECT_CLASS (nav_stun_server_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_stun_server_dispose (GObject *object)
{
  nav_stun_server_stop (NAV_SERVER (object));

  G_OBJECT_CLASS (nav_stun_server_parent_class)->dispose (object);
}

static void
nav_stun_server_finalize (GObject *object)
{
  NavStunServer *self = NAV_STUN_SERVER (object);

  g_free (self->listening_ip);
  g_free (self->alt_listening_ip);
  g_free (self->cert);
  g_free (self->pkey);
  g_free (self->software);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_stun_server_parent_class)->finalize (object);
}

static void
nav_stun_server_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NavStunServer *self = NAV_STUN_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->impl != NULL);
      break;
    case PROP_LISTENING_IP:
      g_value_set_string (value, self->listening_ip);
      break;
    case PROP_LISTENING_PORT:
      g_value_set_uint (value, self->listening_port);
      break;
    case PROP_ALT_LISTENING_IP:
      g_value_set_string (value, self->alt_listening_ip);
      break;
    case PROP_ALT_LISTENING_PORT:
      g_value_set_uint (value, self->alt_listening_port);
      break;
    case PROP_TLS_LISTENING_PORT:
      g_value_set_uint (value, self->tls_listening_port);
      break;
    case PROP_CERT:
      g_value_set_string (value, self->cert);
      break;
    case PROP_PKEY:
      g_value_set_string (value, self->pkey);
      break;
    case PROP_SOFTWARE:
      g_value_set_string (value, self->software);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->impl != NULL ? nav_stun_binding_server_get_port (self->impl) : 0);
      break;
    case PROP_ALT_PORT:
      g_value_set_uint (value, self->impl != NULL ? nav_stun_binding_server_get_alt_port (self->impl) : 0);
      break;
    case PROP_TLS_PORT:
      g_value_set_uint (value, self->impl != NULL ? nav_stun_binding_server_get_tls_port (self->impl) : 0);
      break;
    default:
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
nav_stun_server_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  NavStunServer *self = NAV_STUN_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_LISTENING_IP:
      replace_string (&self->listening_ip, value);
      break;
    case PROP_LISTENING_PORT:
      self->listening_port = g_value_get_uint (value);
      break;
    case PROP_ALT_LISTENING_IP:
      replace_string (&self->alt_listening_ip, value);
      break;
    case PROP_ALT_LISTENING_PORT:
      self->alt_listening_port = g_value_get_uint (value);
      break;
    case PROP_TLS_LISTENING_PORT:
      self->tls_listening_port = g_value_get_uint (value);
      break;
    case PROP_CERT:
      replace_string (&self->cert, value);
      break;
    case PROP_PKEY:
      replace_string (&self->pkey, value);
      break;
    case PROP_SOFTWARE:
      replace_string (&self->software, value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_stun_server_class_init (NavStunServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_stun_server_constructed;
  object_class->dispose = nav_stun_server_dispose;
  object_class->finalize = nav_stun_server_finalize;
  object_class->get_property = nav_stun_server_get_property;
  object_class->set_property = nav_stun_server_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_RUNNING, "running");
  properties[PROP_RUNNING] = g_object_class_find_property (object_class, "running");

  /**
   * NavStunServer:listening-ip:
   *
   * The IP address to listen on (coturn's `listening-ip`); %NULL for every
   * IPv4 and IPv6 address.  In RFC 5780 mode, the primary address.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_IP] =
    g_param_spec_string ("listening-ip", "Listening IP",
                         "The IP address to listen on; unset for every address",
                         NULL, rw);

  /**
   * NavStunServer:listening-port:
   *
   * The UDP and TCP port to listen on (coturn's `listening-port`); 0 for
   * any free port, then read [property@Nav.StunServer:port].
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_PORT] =
    g_param_spec_uint ("listening-port", "Listening port",
                       "The UDP and TCP port to listen on (RFC 8489 §18.2); 0 for any",
                       0, G_MAXUINT16, NAV_STUN_DEFAULT_PORT,
                       rw | G_PARAM_CONSTRUCT);

  /**
   * NavStunServer:alt-listening-ip:
   *
   * The second IP address of NAT behaviour discovery (RFC 5780 §4.4), as
   * coturn's `alt-listening-ip`: the server answers CHANGE-REQUEST from it
   * and advertises it in OTHER-ADDRESS.  %NULL disables RFC 5780.
   *
   * Since: 1.0
   */
  properties[PROP_ALT_LISTENING_IP] =
    g_param_spec_string ("alt-listening-ip", "Alternate listening IP",
                         "The second IP address of NAT behaviour discovery (RFC 5780)",
                         NULL, rw);

  /**
   * NavStunServer:alt-listening-port:
   *
   * The second port of NAT behaviour discovery (RFC 5780 §4.4), as
   * coturn's `alt-listening-port`; 0 means the listening port plus one,
   * coturn's default.
   *
   * Since: 1.0
   */
  properties[PROP_ALT_LISTENING_PORT] =
    g_param_spec_uint ("alt-listening-port", "Alternate listening port",
                       "The second port of NAT behaviour discovery (RFC 5780); 0 for listening-port + 1",
                       0, G_MAXUINT16, 0, rw);

  /**
   * NavStunServer:tls-listening-port:
   *
   * The TLS port (coturn's `tls-listening-port`); TLS is served only with
   * a certificate.
   *
   * Since: 1.0
   */
  properties[PROP_TLS_LISTENING_PORT] =
    g_param_spec_uint ("tls-listening-port", "TLS listening port",
                       "The TLS port (RFC 8489 §18.2); 0 for any",
                       0, G_MAXUINT16, NAV_STUN_DEFAULT_TLS_PORT,
                       rw | G_PARAM_CONSTRUCT);

  /**
   * NavStunServer:cert:
   *
   * The certificate file, PEM (coturn's `cert`); without one there is no
   * TLS listener.
   *
   * Since: 1.0
   */
  properties[PROP_CERT] =
    g_param_spec_string ("cert", "Certificate", "The certificate file (PEM)", NULL, rw);

  /**
   * NavStunServer:pkey:
   *
   * The private key file, PEM (coturn's `pkey`); unset means the key is in
   * the certificate file.
   *
   * Since: 1.0
   */
  properties[PROP_PKEY] =
    g_param_spec_string ("pkey", "Private key", "The private key file (PEM)", NULL, rw);

  /**
   * NavStunServer:software:
   *
   * The SOFTWARE attribute of responses (RFC 8489 §14.14); unset sends
   * none.
   *
   * Since: 1.0
   */
  properties[PROP_SOFTWARE] =
    g_param_spec_string ("software", "Software", "The SOFTWARE attribute of responses", NULL, rw);

  /**
   * NavStunServer:port:
   *
   * The UDP and TCP port the running server is bound to; 0 when stopped.
   *
   * Since: 1.0
   */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", "Port", "The bound UDP and TCP port; 0 when stopped",
                       0, G_MAXUINT16, 0, ro);

  /**
   * NavStunServer:alt-port:
   *
   * The alternate port the running server is bound to in RFC 5780 mode.
   *
   * Since: 1.0
   */
  properties[PROP_ALT_PORT] =
    g_param_spec_uint ("alt-port", "Alternate port", "The bound alternate port (RFC 5780); 0 when unused",
                       0, G_MAXUINT16, 0, ro);

  /**
   * NavStunServer:tls-port:
   *
   * The TLS port the running server is bound to; 0 without TLS.
   *
   * Since: 1.0
   */
  properties[PROP_TLS_PORT] =
    g_param_spec_uint ("tls-port", "TLS port", "The bound TLS port; 0 without TLS",
                       0, G_MAXUINT16, 0, ro);

  for (guint i = PROP_LISTENING_IP; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties[i]);
}

static void
nav_stun_server_class_finalize (NavStunServerClass *klass)
{
}

static void
nav_stun_server_init (NavStunServer *self)
{
}

/* The module's entry points.  GIO derives their names from the file name,
 * libnav-stun.so; they and the descriptor are the only exported symbols. */

NAV_DEFINE_MODULE ("stun",
                   "STUN client, server and NAT behaviour discovery",
                   NAV_VERSION_S,
                   "LGPL-2.1-or-later",
                   "NetAvanue");

G_MODULE_EXPORT void    g_io_nav_stun_load   (GIOModule *module);
G_MODULE_EXPORT void    g_io_nav_stun_unload (GIOModule *module);
G_MODULE_EXPORT gchar **g_io_nav_stun_query  (void);

G_MODULE_EXPORT void
g_io_nav_stun_load (GIOModule *module)
{
  /* GLib never unloads types: pin the module for the whole process. */
  g_type_module_use (G_TYPE_MODULE (module));

  nav_stun_server_register_type (G_TYPE_MODULE (module));
  nav_module_implement (module, NAV_SERVER_EXTENSION_POINT_NAME,
                        NAV_TYPE_STUN_SERVER, "stun", 10);
  /* The gatherer is a static type of the tier's library, registered on
   * first use; the module is pinned, so the type outlives every use. */
  nav_module_implement (module, NAV_GATHERER_EXTENSION_POINT_NAME,
                        NAV_TYPE_STUN_GATHERER, "stun", 10);
}

G_MODULE_EXPORT void
g_io_nav_stun_unload (GIOModule *module)
{
}

G_MODULE_EXPORT gchar **
g_io_nav_stun_query (void)
{
  const gchar *points[] = { NAV_SERVER_EXTENSION_POINT_NAME,
                            NAV_GATHERER_EXTENSION_POINT_NAME, NULL };

  return g_strdupv ((gchar **) points);
}
