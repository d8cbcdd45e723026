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
 */

struct _NavTurnRelayTransport
{
  GObject parent_instance;

  GMainContext *context;
  NavTurnClient *client;
  gulong closed_id;
  gboolean closed;
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_LOCAL_ADDRESS,
  PROP_CLIENT,
  N_PROPS
};

static void nav_turn_relay_transport_transport_init (NavTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavTurnRelayTransport, nav_turn_relay_transport, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_TRANSPORT,
                                                      nav_turn_relay_transport_transport_init))

static gboolean
relay_send (NavTransport      *transport,
            const NavAddress  *to,
            const guint8      *data,
            gsize              len,
            GError           **error)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (transport);

  if (self->closed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           _("The TURN relay transport is closed"));
      return FALSE;
    }
  return nav_turn_client_send (self->client, to, data, len, error);
}

static const NavAddress *
relay_get_local_address (NavTransport *transport)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (transport);

  return nav_turn_client_get_relayed_address (self->client, 0);
}

static NavCandidateTransport
relay_get_protocol (NavTransport *transport)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (transport);

  /* RFC 6544 §4.5: a TCP relayed address is actively opened from. */
  return nav_turn_client_is_tcp_relay (self->client) ? NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE
                                                     : NAV_CANDIDATE_TRANSPORT_UDP;
}

static gboolean
relay_is_reliable (NavTransport *transport)
{
  return nav_turn_client_is_reliable (NAV_TURN_RELAY_TRANSPORT (transport)->client);
}

static void
relay_close (NavTransport *transport)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (transport);

  if (self->closed)
    return;
  self->closed = TRUE;
  /* The task holds the client until the server has answered. */
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
  if (self->closed)
    {
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

  if (self->closed)
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

/**
 * nav_turn_relay_transport_new:
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

static void
nav_turn_relay_transport_constructed (GObject *object)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (object);

  G_OBJECT_CLASS (nav_turn_relay_transport_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
  g_return_if_fail (self->client != NULL);
  nav_turn_client_set_receive_func (self->client, on_client_data, self);
  self->closed_id = g_signal_connect (self->client, "closed",
                                      G_CALLBACK (on_client_closed), self);
}

static void
nav_turn_relay_transport_dispose (GObject *object)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (object);

  if (self->client != NULL)
    {
      nav_turn_client_set_receive_func (self->client, NULL, NULL);
      g_clear_signal_handler (&self->closed_id, self->client);
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

  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_turn_relay_transport_parent_class)->finalize (object);
}

static void
nav_turn_relay_transport_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  NavTurnRelayTransport *self = NAV_TURN_RELAY_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    case PROP_LOCAL_ADDRESS:
      g_value_set_boxed (value, self->client != NULL
                                ? nav_turn_client_get_relayed_address (self->client, 0)
                                : NULL);
      break;
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
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
    case PROP_CONTEXT:
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_turn_relay_transport_class_init (NavTurnRelayTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_turn_relay_transport_constructed;
  object_class->dispose = nav_turn_relay_transport_dispose;
  object_class->finalize = nav_turn_relay_transport_finalize;
  object_class->get_property = nav_turn_relay_transport_get_property;
  object_class->set_property = nav_turn_relay_transport_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_LOCAL_ADDRESS, "local-address");

  /**
   * NavTurnRelayTransport:client:
   *
   * The allocation this transport sends through.
   */
  g_object_class_install_property (object_class, PROP_CLIENT,
    g_param_spec_object ("client", NULL, NULL, NAV_TYPE_TURN_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS));
}

static void
nav_turn_relay_transport_init (NavTurnRelayTransport *self)
{
}
