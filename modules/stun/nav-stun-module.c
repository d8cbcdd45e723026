/* nav-stun-module.c: the entry points of libnav-stun.so, and NavStunServer,
 * the STUN server as a NavServer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gi18n-lib.h>
#include <netavanue/netavanue.h>

/**
 * NavStunServer:
 *
 * The STUN server (RFC 8489) of the `stun` module, as the `nav-server`
 * daemon and [method@Nav.Registry.create] see it: a [iface@Nav.Server]
 * registered as `stun` at the `nav-server` extension point.  Given an
 * alternate address, it also serves NAT behaviour discovery (RFC 5780
 * §4.4, §7).
 *
 * Its configuration is its properties, named after coturn's options.
 *
 * Incomplete: the server itself arrives with the STUN tier.  Until then
 * [method@Nav.Server.start] fails with %NAV_ERROR_NOT_SUPPORTED, and
 * [method@Nav.Server.get_stats] reports zero for every counter.
 *
 * Since: 1.0
 */

#define NAV_TYPE_STUN_SERVER (nav_stun_server_get_type ())
G_DECLARE_FINAL_TYPE (NavStunServer, nav_stun_server, NAV, STUN_SERVER, GObject)

#define DEFAULT_LISTENING_IP "0.0.0.0"
/* RFC 8489 §18.2 */
#define DEFAULT_LISTENING_PORT 3478

struct _NavStunServer
{
  GObject parent_instance;

  GMainContext *context;
  gchar *listening_ip;
  guint listening_port;
  gchar *alt_listening_ip;
  guint alt_listening_port;
  gboolean running;

  guint64 received;
  guint64 answered;
  guint64 dropped;
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_RUNNING,
  PROP_LISTENING_IP,
  PROP_LISTENING_PORT,
  PROP_ALT_LISTENING_IP,
  PROP_ALT_LISTENING_PORT,
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
  g_set_error_literal (error, NAV_ERROR, NAV_ERROR_NOT_SUPPORTED,
                       _("The STUN server arrives with the STUN tier; this build only describes it"));
  return FALSE;
}

static void
nav_stun_server_stop (NavServer *server)
{
  NavStunServer *self = NAV_STUN_SERVER (server);

  if (!self->running)
    return;
  self->running = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static GVariant *
nav_stun_server_get_stats (NavServer *server)
{
  NavStunServer *self = NAV_STUN_SERVER (server);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&builder, "{st}", "received", self->received);
  g_variant_builder_add (&builder, "{st}", "answered", self->answered);
  g_variant_builder_add (&builder, "{st}", "dropped", self->dropped);
  return g_variant_builder_end (&builder);
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
nav_stun_server_finalize (GObject *object)
{
  NavStunServer *self = NAV_STUN_SERVER (object);

  g_free (self->listening_ip);
  g_free (self->alt_listening_ip);
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
      g_value_set_boolean (value, self->running);
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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
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
      g_free (self->listening_ip);
      self->listening_ip = g_value_dup_string (value);
      break;
    case PROP_LISTENING_PORT:
      self->listening_port = g_value_get_uint (value);
      break;
    case PROP_ALT_LISTENING_IP:
      g_free (self->alt_listening_ip);
      self->alt_listening_ip = g_value_dup_string (value);
      break;
    case PROP_ALT_LISTENING_PORT:
      self->alt_listening_port = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_stun_server_class_init (NavStunServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_stun_server_constructed;
  object_class->finalize = nav_stun_server_finalize;
  object_class->get_property = nav_stun_server_get_property;
  object_class->set_property = nav_stun_server_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_RUNNING, "running");
  properties[PROP_RUNNING] = g_object_class_find_property (object_class, "running");

  /**
   * NavStunServer:listening-ip:
   *
   * The IP address to listen on (coturn's `listening-ip`); `0.0.0.0` or
   * `::` for every address.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_IP] =
    g_param_spec_string ("listening-ip", "Listening IP",
                         "The IP address to listen on",
                         DEFAULT_LISTENING_IP,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_STATIC_STRINGS);

  /**
   * NavStunServer:listening-port:
   *
   * The UDP and TCP port to listen on (coturn's `listening-port`); 0 for
   * any free port.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_PORT] =
    g_param_spec_uint ("listening-port", "Listening port",
                       "The UDP and TCP port to listen on (RFC 8489 §18.2)",
                       0, G_MAXUINT16, DEFAULT_LISTENING_PORT,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                       G_PARAM_STATIC_STRINGS);

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
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * NavStunServer:alt-listening-port:
   *
   * The second port of NAT behaviour discovery (RFC 5780 §4.4), as
   * coturn's `alt-listening-port`; 0 means
   * [property@Nav.StunServer:listening-port] + 1, coturn's default.
   *
   * Since: 1.0
   */
  properties[PROP_ALT_LISTENING_PORT] =
    g_param_spec_uint ("alt-listening-port", "Alternate listening port",
                       "The second port of NAT behaviour discovery (RFC 5780); 0 for listening-port + 1",
                       0, G_MAXUINT16, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, PROP_LISTENING_IP,
                                   properties[PROP_LISTENING_IP]);
  g_object_class_install_property (object_class, PROP_LISTENING_PORT,
                                   properties[PROP_LISTENING_PORT]);
  g_object_class_install_property (object_class, PROP_ALT_LISTENING_IP,
                                   properties[PROP_ALT_LISTENING_IP]);
  g_object_class_install_property (object_class, PROP_ALT_LISTENING_PORT,
                                   properties[PROP_ALT_LISTENING_PORT]);
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
}

G_MODULE_EXPORT void
g_io_nav_stun_unload (GIOModule *module)
{
}

G_MODULE_EXPORT gchar **
g_io_nav_stun_query (void)
{
  const gchar *points[] = { NAV_SERVER_EXTENSION_POINT_NAME, NULL };

  return g_strdupv ((gchar **) points);
}
