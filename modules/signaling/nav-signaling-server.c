/* nav-signaling-server.c: the signaling server as a NavServer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gi18n-lib.h>
#include <netavanue/netavanue.h>

#include "nav-signaling-server.h"

/**
 * NavSignalingServer:
 *
 * The signaling server of the `signaling` module: peers join a room over
 * a WebSocket and exchange their SDP offers, answers and candidates
 * through it.  A [iface@Nav.Server] registered as `signaling` at the
 * `nav-server` extension point.
 *
 * Incomplete: the WebSocket protocol arrives with the signaling tier.
 * Until then [method@Nav.Server.start] fails with
 * %NAV_ERROR_NOT_SUPPORTED, and [method@Nav.Server.get_stats] reports zero
 * for every counter.
 *
 * Since: 1.0
 */

#define DEFAULT_LISTENING_IP "0.0.0.0"
#define DEFAULT_LISTENING_PORT 8080
#define DEFAULT_MAX_ROOM_SIZE 64

struct _NavSignalingServer
{
  GObject parent_instance;

  GMainContext *context;
  gboolean running;

  gchar *listening_ip;
  guint listening_port;
  guint max_room_size;
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_RUNNING,
  PROP_LISTENING_IP,
  PROP_LISTENING_PORT,
  PROP_MAX_ROOM_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_signaling_server_server_init (NavServerInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavSignalingServer, nav_signaling_server, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_SERVER,
                                                               nav_signaling_server_server_init))

/**
 * nav_signaling_server_register: (skip)
 * @module: the `signaling` module
 *
 * Registers [class@Nav.SignalingServer] in @module.
 */
void
nav_signaling_server_register (GTypeModule *module)
{
  nav_signaling_server_register_type (module);
}

static gboolean
nav_signaling_server_start (NavServer  *server,
                            GError    **error)
{
  g_set_error_literal (error, NAV_ERROR, NAV_ERROR_NOT_SUPPORTED,
                       _("The signaling server arrives with the signaling tier; this build only describes it"));
  return FALSE;
}

static void
nav_signaling_server_stop (NavServer *server)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (server);

  if (!self->running)
    return;
  self->running = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static GVariant *
nav_signaling_server_get_stats (NavServer *server)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&builder, "{st}", "received", (guint64) 0);
  g_variant_builder_add (&builder, "{st}", "answered", (guint64) 0);
  g_variant_builder_add (&builder, "{st}", "dropped", (guint64) 0);
  g_variant_builder_add (&builder, "{st}", "rooms", (guint64) 0);
  g_variant_builder_add (&builder, "{st}", "peers", (guint64) 0);
  return g_variant_builder_end (&builder);
}

static void
nav_signaling_server_server_init (NavServerInterface *iface)
{
  iface->start = nav_signaling_server_start;
  iface->stop = nav_signaling_server_stop;
  iface->get_stats = nav_signaling_server_get_stats;
}

static void
nav_signaling_server_constructed (GObject *object)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (object);

  G_OBJECT_CLASS (nav_signaling_server_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_signaling_server_finalize (GObject *object)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (object);

  g_free (self->listening_ip);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_signaling_server_parent_class)->finalize (object);
}

static void
nav_signaling_server_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (object);

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
    case PROP_MAX_ROOM_SIZE:
      g_value_set_uint (value, self->max_room_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_signaling_server_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (object);

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
    case PROP_MAX_ROOM_SIZE:
      self->max_room_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_signaling_server_class_init (NavSignalingServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_signaling_server_constructed;
  object_class->finalize = nav_signaling_server_finalize;
  object_class->get_property = nav_signaling_server_get_property;
  object_class->set_property = nav_signaling_server_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_RUNNING, "running");
  properties[PROP_RUNNING] = g_object_class_find_property (object_class, "running");

  /**
   * NavSignalingServer:listening-ip:
   *
   * The IP address to listen on; `0.0.0.0` or `::` for every address.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_IP] =
    g_param_spec_string ("listening-ip", "Listening IP",
                         "The IP address to listen on",
                         DEFAULT_LISTENING_IP, rw);

  /**
   * NavSignalingServer:listening-port:
   *
   * The TCP port of the WebSocket endpoint; 0 for any free port.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_PORT] =
    g_param_spec_uint ("listening-port", "Listening port",
                       "The TCP port of the WebSocket endpoint",
                       0, G_MAXUINT16, DEFAULT_LISTENING_PORT, rw);

  /**
   * NavSignalingServer:max-room-size:
   *
   * The most peers one room holds; a peer joining a full room is refused.
   * 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_ROOM_SIZE] =
    g_param_spec_uint ("max-room-size", "Maximum room size",
                       "The most peers in one room; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_MAX_ROOM_SIZE, rw);

  for (guint i = PROP_LISTENING_IP; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties[i]);
}

static void
nav_signaling_server_class_finalize (NavSignalingServerClass *klass)
{
}

static void
nav_signaling_server_init (NavSignalingServer *self)
{
}
