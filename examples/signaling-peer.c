/* signaling-peer.c: two processes find each other through nav-server's
 * signaling and trade an offer, an answer and candidates.
 *
 *   nav-server --signaling -L 127.0.0.1 --signaling-port=8080 &
 *   signaling-peer ws://127.0.0.1:8080/ red-lion-star &
 *   signaling-peer ws://127.0.0.1:8080/ red-lion-star
 *
 * The first peer waits; the second finds it in the room and offers.  Both
 * exit 0 once the exchange is complete.  With a NavAgent, the strings
 * sent here are nav_agent_generate_local_sdp() and the candidates of
 * ::new-candidate-full; see docs/signaling.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

typedef struct
{
  GMainLoop *loop;
  const gchar *room;
  gint status;
} App;

static void
on_joined (NavSignalingClient  *client,
           const gchar         *room,
           const gchar * const *peers,
           App                 *app)
{
  g_print ("joined %s as %s, %u peer(s) there\n", room,
           nav_signaling_client_get_peer_id (client), g_strv_length ((gchar **) peers));
  /* Whoever arrives second offers to whoever was there. */
  if (peers[0] != NULL)
    {
      nav_signaling_client_send_offer (client, room, peers[0], "v=0\r\n(offer)\r\n", NULL);
      nav_signaling_client_send_candidate (client, room, peers[0],
                                           "candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host", NULL);
      nav_signaling_client_send_end_of_candidates (client, room, peers[0], NULL);
    }
}

static void
on_offer (NavSignalingClient *client,
          const gchar        *room,
          const gchar        *from,
          const gchar        *sdp,
          App                *app)
{
  g_print ("offer from %s:\n%s", from, sdp);
  nav_signaling_client_send_answer (client, room, from, "v=0\r\n(answer)\r\n", NULL);
  nav_signaling_client_send_candidate (client, room, from,
                                       "candidate:1 1 UDP 2130706431 192.0.2.2 6000 typ host", NULL);
  nav_signaling_client_send_end_of_candidates (client, room, from, NULL);
}

static void
on_answer (NavSignalingClient *client,
           const gchar        *room,
           const gchar        *from,
           const gchar        *sdp,
           App                *app)
{
  g_print ("answer from %s:\n%s", from, sdp);
}

static void
on_candidate (NavSignalingClient *client,
              const gchar        *room,
              const gchar        *from,
              const gchar        *candidate,
              App                *app)
{
  g_print ("candidate from %s: %s\n", from, candidate);
}

static void
on_end_of_candidates (NavSignalingClient *client,
                      const gchar        *room,
                      const gchar        *from,
                      App                *app)
{
  g_print ("%s has no more candidates: done\n", from);
  app->status = 0;
  g_main_loop_quit (app->loop);
}

static void
on_server_error (NavSignalingClient *client,
                 gint                code,
                 const gchar        *reason,
                 const gchar        *ref,
                 App                *app)
{
  g_printerr ("server error %d: %s\n", code, reason);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;

  if (!nav_signaling_client_connect_finish (NAV_SIGNALING_CLIENT (source), result, &error) ||
      !nav_signaling_client_join (NAV_SIGNALING_CLIENT (source), app->room, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      g_main_loop_quit (app->loop);
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (NavSignalingClient) client = NULL;
  App app = { NULL, NULL, 1 };

  if (argc != 3)
    {
      g_printerr ("usage: %s ws://HOST:PORT/ ROOM\n", argv[0]);
      return 2;
    }
  app.loop = g_main_loop_new (NULL, FALSE);
  app.room = argv[2];
  client = nav_signaling_client_new (argv[1]);
  g_signal_connect (client, "joined", G_CALLBACK (on_joined), &app);
  g_signal_connect (client, "offer", G_CALLBACK (on_offer), &app);
  g_signal_connect (client, "answer", G_CALLBACK (on_answer), &app);
  g_signal_connect (client, "candidate", G_CALLBACK (on_candidate), &app);
  g_signal_connect (client, "end-of-candidates", G_CALLBACK (on_end_of_candidates), &app);
  g_signal_connect (client, "server-error", G_CALLBACK (on_server_error), &app);
  nav_signaling_client_connect_async (client, NULL, on_connected, &app);
  g_main_loop_run (app.loop);
  nav_signaling_client_disconnect (client);
  g_main_loop_unref (app.loop);
  return app.status;
}
