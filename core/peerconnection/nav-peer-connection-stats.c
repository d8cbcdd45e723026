/* nav-peer-connection-stats.c: NavPeerConnection's statistics
 * (nav_peer_connection_get_stats()): its agent's, its DTLS transport's
 * state, its data channels and itself, as RTCPeerConnection.getStats()
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-peer-connection-private.h"
#include "inspect/nav-stats-private.h"

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* A channel made or announced: reported while it lives. */
void
nav_peer_connection_stats_add_channel (NavPeerConnection *self,
                                       NavDataChannel    *channel)
{
  GWeakRef *ref;

  if (self->stats_channels == NULL)
    self->stats_channels = g_ptr_array_new_with_free_func (weak_ref_free);
  for (guint i = 0; i < self->stats_channels->len; i++)
    {
      g_autoptr (GObject) other = g_weak_ref_get (g_ptr_array_index (self->stats_channels, i));

      if (other == (GObject *) channel)
        return;
    }
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, channel);
  g_ptr_array_add (self->stats_channels, ref);
}

static const gchar *
enum_nick (GType type,
           gint  value)
{
  GEnumClass *klass = g_type_class_ref (type);
  GEnumValue *v = g_enum_get_value (klass, value);
  const gchar *nick = v != NULL ? v->value_nick : "unknown";

  g_type_class_unref (klass);   /* the enum types stay registered */
  return nick;
}

/* RTCDataChannelState */
static const gchar *
channel_state (NavChannelState state)
{
  switch (state)
    {
    case NAV_CHANNEL_STATE_CONNECTING:
      return "connecting";
    case NAV_CHANNEL_STATE_OPEN:
      return "open";
    case NAV_CHANNEL_STATE_CLOSING:
      return "closing";
    default:
      return "closed";
    }
}

/* A counter of the channel's implementation, when it keeps one (the
 * datachannel module's read-only properties messages-sent and so on). */
static void
add_counter (GVariantBuilder *b,
             NavDataChannel  *channel,
             const gchar     *property,
             const gchar     *name)
{
  guint64 value = 0;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (channel), property) == NULL)
    return;
  g_object_get (channel, property, &value, NULL);
  g_variant_builder_add (b, "{sv}", name, g_variant_new_uint64 (value));
}

/* RTCDataChannelStats */
static void
add_channel (GVariantBuilder *reports,
             NavDataChannel  *channel,
             guint            index,
             gdouble          now,
             guint           *opened,
             guint           *closed)
{
  g_autofree gchar *id = g_strdup_printf ("D%u", index);
  g_autofree gchar *label = nav_data_channel_dup_label (channel);
  g_autofree gchar *protocol = nav_data_channel_dup_protocol (channel);
  NavChannelState state = nav_channel_get_state (NAV_CHANNEL (channel));
  GVariantBuilder b;

  if (state == NAV_CHANNEL_STATE_OPEN || state == NAV_CHANNEL_STATE_CLOSING)
    (*opened)++;
  else if (state == NAV_CHANNEL_STATE_CLOSED)
    (*closed)++;
  nav_stats_report_begin (&b, "data-channel", id, now);
  g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (label != NULL ? label : ""));
  g_variant_builder_add (&b, "{sv}", "protocol",
                         g_variant_new_string (protocol != NULL ? protocol : ""));
  g_variant_builder_add (&b, "{sv}", "dataChannelIdentifier",
                         g_variant_new_int32 (nav_data_channel_get_id (channel)));
  g_variant_builder_add (&b, "{sv}", "state", g_variant_new_string (channel_state (state)));
  add_counter (&b, channel, "messages-sent", "messagesSent");
  add_counter (&b, channel, "bytes-sent", "bytesSent");
  add_counter (&b, channel, "messages-received", "messagesReceived");
  add_counter (&b, channel, "bytes-received", "bytesReceived");
  nav_stats_report_end (reports, &b, id);
}

/**
 * nav_peer_connection_get_stats:
 * @self: a peer connection
 *
 * Returns the connection's statistics, as `RTCPeerConnection.getStats()`
 * (W3C webrtc-stats): the reports of its agent ([method@Nav.Agent.get_stats]),
 * whose transport report adds `dtlsState` and `dtlsRole`, one
 * `data-channel` report per data channel alive (`label`, `protocol`,
 * `dataChannelIdentifier`, `state`, `messagesSent`, `bytesSent`,
 * `messagesReceived`, `bytesReceived`), and one `peer-connection` report
 * (id `P`: `dataChannelsOpened`, `dataChannelsClosed` among those alive,
 * `connectionState`, `iceConnectionState`, `iceGatheringState`,
 * `signalingState`).  Call it in the connection's main context.
 *
 * Returns: (transfer full): the reports, of type %NAV_STATS_VARIANT_TYPE
 *
 * Since: 1.0
 */
GVariant *
nav_peer_connection_get_stats (NavPeerConnection *self)
{
  GVariantBuilder reports, b;
  g_autoptr (GVariant) agent_stats = NULL;
  g_autofree gchar *ice_transport = NULL;
  GVariantIter iter;
  const gchar *id;
  GVariant *report;
  gdouble now = nav_stats_now ();
  guint opened = 0, closed = 0;

  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NULL);

  g_variant_builder_init (&reports, NAV_STATS_VARIANT_TYPE);
  if (self->agent != NULL)
    {
      agent_stats = nav_agent_get_stats (self->agent);
      ice_transport = g_strdup_printf ("T%u-1", self->stream_id);
      g_variant_iter_init (&iter, agent_stats);
      while (g_variant_iter_next (&iter, "{&s@a{sv}}", &id, &report))
        {
          if (self->dtls != NULL && g_str_equal (id, ice_transport))
            {
              GVariantIter members;
              const gchar *key;
              GVariant *value;
              NavChannelState state = nav_channel_get_state (NAV_CHANNEL (self->dtls));

              g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
              g_variant_iter_init (&members, report);
              while (g_variant_iter_next (&members, "{&sv}", &key, &value))
                {
                  g_variant_builder_add (&b, "{sv}", key, value);
                  g_variant_unref (value);
                }
              /* RTCDtlsTransportState */
              g_variant_builder_add (&b, "{sv}", "dtlsState",
                                     g_variant_new_string (state == NAV_CHANNEL_STATE_OPEN ? "connected"
                                                           : state == NAV_CHANNEL_STATE_CONNECTING ? "connecting"
                                                           : "closed"));
              if (self->dtls_role_known)
                g_variant_builder_add (&b, "{sv}", "dtlsRole",
                                       g_variant_new_string (self->dtls_role == NAV_DTLS_ROLE_CLIENT ? "client"
                                                                                                    : "server"));
              g_variant_builder_add (&reports, "{s@a{sv}}", id, g_variant_builder_end (&b));
            }
          else
            g_variant_builder_add (&reports, "{s@a{sv}}", id, report);
          g_variant_unref (report);
        }
    }

  for (guint i = 0; self->stats_channels != NULL && i < self->stats_channels->len; i++)
    {
      g_autoptr (NavDataChannel) channel = g_weak_ref_get (g_ptr_array_index (self->stats_channels, i));

      if (channel != NULL)
        add_channel (&reports, channel, i, now, &opened, &closed);
    }

  nav_stats_report_begin (&b, "peer-connection", "P", now);
  g_variant_builder_add (&b, "{sv}", "dataChannelsOpened", g_variant_new_uint32 (opened));
  g_variant_builder_add (&b, "{sv}", "dataChannelsClosed", g_variant_new_uint32 (closed));
  g_variant_builder_add (&b, "{sv}", "connectionState",
                         g_variant_new_string (enum_nick (NAV_TYPE_PEER_CONNECTION_STATE,
                                                          self->connection_state)));
  g_variant_builder_add (&b, "{sv}", "iceConnectionState",
                         g_variant_new_string (enum_nick (NAV_TYPE_ICE_CONNECTION_STATE, self->ice_state)));
  g_variant_builder_add (&b, "{sv}", "iceGatheringState",
                         g_variant_new_string (enum_nick (NAV_TYPE_ICE_GATHERING_STATE,
                                                          self->gathering_state)));
  g_variant_builder_add (&b, "{sv}", "signalingState",
                         g_variant_new_string (enum_nick (NAV_TYPE_SIGNALING_STATE, self->signaling_state)));
  nav_stats_report_end (&reports, &b, "P");
  return g_variant_ref_sink (g_variant_builder_end (&reports));
}
