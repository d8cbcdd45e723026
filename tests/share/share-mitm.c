/* share-mitm.c: a man in the middle of nav-share, as a hostile
 * signaling server could be: it meets the sender in room ROOM of one
 * server as if it were the receiver, and the receiver in room ROOM of
 * another as if it were the sender, with DTLS certificates of its own on
 * each side, and relays the control messages between the two unchanged.
 * It knows no code.  The PAKE binds both ends' DTLS fingerprints, so
 * the ends must notice and stop before any file's name or byte passes:
 * it prints each message type it relayed as "relayed TYPE" and exits 0
 * once both sides are gone.
 *
 *   share-mitm ws://SENDER-SIDE/ ws://RECEIVER-SIDE/ ROOM TIMEOUT
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netavanue/netavanue.h>

typedef struct _Side Side;

struct _Side {
  const gchar *name;
  gboolean makes_channel;
  NavSignalingClient *client;
  NavSignalingSession *session;
  NavPeerConnection *pc;
  NavDataChannel *control;
  GPtrArray *pending;           /* for this side, before its channel opens */
  Side *other;
  gboolean gone;
};

static GMainLoop *loop;
static const gchar *room;

static void
maybe_quit (Side *side)
{
  if (side->gone && side->other->gone)
    g_main_loop_quit (loop);
}

static void
deliver (Side        *side,
         const gchar *text)
{
  if (side->control != NULL && nav_channel_get_state (NAV_CHANNEL (side->control)) == NAV_CHANNEL_STATE_OPEN)
    nav_data_channel_send_text (side->control, text, NULL);
  else
    g_ptr_array_add (side->pending, g_strdup (text));
}

static void
on_text (NavDataChannel *channel,
         const gchar    *text,
         gpointer        user_data)
{
  Side *side = user_data;
  const gchar *type = strstr (text, "\"t\":\"");
  g_autofree gchar *name = type != NULL ? g_strndup (type + 5, strcspn (type + 5, "\"")) : g_strdup ("?");

  g_print ("relayed %s from the %s\n", name, side->name);
  fflush (stdout);
  deliver (side->other, text);
}

static void
on_state (NavChannel      *channel,
          NavChannelState  state,
          gpointer         user_data)
{
  Side *side = user_data;
  guint i;

  if (state == NAV_CHANNEL_STATE_OPEN)
    {
      for (i = 0; i < side->pending->len; i++)
        nav_data_channel_send_text (side->control, g_ptr_array_index (side->pending, i), NULL);
      g_ptr_array_set_size (side->pending, 0);
    }
  else if (state >= NAV_CHANNEL_STATE_CLOSING && !side->gone)
    {
      g_print ("the %s left\n", side->name);
      side->gone = TRUE;
      maybe_quit (side);
    }
}

static void
watch (Side           *side,
       NavDataChannel *channel)
{
  side->control = g_object_ref (channel);
  g_signal_connect (channel, "text-message", G_CALLBACK (on_text), side);
  g_signal_connect (channel, "state-changed", G_CALLBACK (on_state), side);
  if (nav_channel_get_state (NAV_CHANNEL (channel)) == NAV_CHANNEL_STATE_OPEN)
    on_state (NAV_CHANNEL (channel), NAV_CHANNEL_STATE_OPEN, side);
}

static void
on_data_channel (NavPeerConnection *pc,
                 NavDataChannel    *channel,
                 gpointer           user_data)
{
  Side *side = user_data;

  if (side->control == NULL)
    watch (side, channel);
}

static void
on_negotiated (NavSignalingSession *session,
               const gchar         *peer,
               gpointer             user_data)
{
  Side *side = user_data;
  g_autoptr (NavDataChannel) channel = NULL;

  if (!side->makes_channel || side->control != NULL)
    return;
  channel = nav_peer_connection_create_data_channel (side->pc, "nav-share", NULL, NULL);
  if (channel != NULL)
    watch (side, channel);
}

static void
on_peer_left (NavSignalingClient *client,
              const gchar        *which_room,
              const gchar        *peer,
              gpointer            user_data)
{
  Side *side = user_data;

  if (!side->gone && side->session != NULL &&
      g_strcmp0 (peer, nav_signaling_session_get_remote_peer (side->session)) == 0)
    {
      g_print ("the %s left the room\n", side->name);
      side->gone = TRUE;
      maybe_quit (side);
    }
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Side *side = user_data;
  g_autoptr (GError) error = NULL;

  if (!nav_signaling_client_connect_finish (side->client, result, &error))
    {
      g_printerr ("share-mitm: %s: %s\n", side->name, error->message);
      g_main_loop_quit (loop);
      return;
    }
  side->pc = g_object_new (NAV_TYPE_PEER_CONNECTION, "data-channels", TRUE, NULL);
  g_signal_connect (side->pc, "data-channel", G_CALLBACK (on_data_channel), side);
  side->session = nav_signaling_session_new_for_peer_connection (side->client, side->pc, room);
  g_signal_connect (side->session, "negotiated", G_CALLBACK (on_negotiated), side);
  g_signal_connect (side->client, "peer-left", G_CALLBACK (on_peer_left), side);
  if (!nav_signaling_session_start (side->session, NULL, &error))
    {
      g_printerr ("share-mitm: %s: %s\n", side->name, error->message);
      g_main_loop_quit (loop);
    }
}

static gboolean
on_timeout (gpointer user_data)
{
  g_print ("timed out\n");
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
side_clear (Side *side)
{
  if (side->control != NULL)
    g_signal_handlers_disconnect_by_data (side->control, side);
  g_clear_object (&side->control);
  g_clear_object (&side->session);
  if (side->pc != NULL)
    {
      g_signal_handlers_disconnect_by_data (side->pc, side);
      nav_peer_connection_close (side->pc);
    }
  g_clear_object (&side->pc);
  if (side->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (side->client, side);
      nav_signaling_client_disconnect (side->client);
    }
  g_ptr_array_unref (side->pending);
}

int
main (int    argc,
      char **argv)
{
  Side sender = { "sender", FALSE }, receiver = { "receiver", TRUE };

  if (argc != 5)
    {
      g_printerr ("usage: share-mitm SENDER-URL RECEIVER-URL ROOM TIMEOUT\n");
      return 2;
    }
  room = argv[3];
  loop = g_main_loop_new (NULL, FALSE);
  sender.other = &receiver;
  receiver.other = &sender;
  sender.pending = g_ptr_array_new_with_free_func (g_free);
  receiver.pending = g_ptr_array_new_with_free_func (g_free);
  /* Towards the sender we play the receiver, and the reverse. */
  sender.client = nav_signaling_client_new (argv[1]);
  receiver.client = nav_signaling_client_new (argv[2]);
  nav_signaling_client_connect_async (sender.client, NULL, on_connected, &sender);
  nav_signaling_client_connect_async (receiver.client, NULL, on_connected, &receiver);
  g_timeout_add_seconds (atoi (argv[4]), on_timeout, NULL);
  g_main_loop_run (loop);
  side_clear (&sender);
  side_clear (&receiver);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&sender.client);
  g_clear_object (&receiver.client);
  g_main_loop_unref (loop);
  return 0;
}
