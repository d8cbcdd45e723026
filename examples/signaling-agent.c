/* signaling-agent.c: two processes connect their ICE agents through
 * nav-server's signaling and exchange data both ways.
 *
 *   nav-server --signaling -L 127.0.0.1 --signaling-port=8080 &
 *   signaling-agent ws://127.0.0.1:8080/ red-lion-star 127.0.0.1 &
 *   signaling-agent ws://127.0.0.1:8080/ red-lion-star 127.0.0.1
 *
 * Each: an agent with one stream of one component on LOCAL-IP, a
 * signaling client, and a NavSignalingSession binding them to the room.
 * When the component is ready it sends a line to the other peer; it exits
 * 0 after it has both sent its line and received the other's, printing
 * the selected pair.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <netavanue/netavanue.h>

typedef struct
{
  GMainLoop *loop;
  NavAgent *agent;
  NavSignalingClient *client;
  NavSignalingSession *session;
  const gchar *room;
  guint stream_id;
  gboolean sent;
  gboolean received;
  gint status;
} App;

static void
maybe_done (App *app)
{
  if (app->sent && app->received)
    {
      app->status = 0;
      g_main_loop_quit (app->loop);
    }
}

static void
on_recv (NavAgent *agent,
         guint     stream_id,
         guint     component_id,
         guint     len,
         gchar    *buf,
         gpointer  user_data)
{
  App *app = user_data;

  g_print ("received: %.*s\n", (int) len, buf);
  app->received = TRUE;
  maybe_done (app);
}

static void
on_state (NavAgent *agent,
          guint     stream_id,
          guint     component_id,
          guint     state,
          App      *app)
{
  if (state == NAV_COMPONENT_STATE_READY && !app->sent)
    {
      NavCandidate *local = NULL, *remote = NULL;
      g_autofree gchar *line = g_strdup_printf ("hello from %s",
                                                nav_signaling_client_get_peer_id (app->client));

      if (nav_agent_get_selected_pair (agent, stream_id, component_id, &local, &remote))
        {
          g_autofree gchar *l = nav_address_to_string (&local->addr);
          g_autofree gchar *r = nav_address_to_string (&remote->addr);

          g_print ("selected pair: %s -> %s\n", l, r);
          nav_candidate_free (local);
          nav_candidate_free (remote);
        }
      nav_agent_send (agent, stream_id, component_id, strlen (line), line);
      app->sent = TRUE;
      maybe_done (app);
    }
  else if (state == NAV_COMPONENT_STATE_FAILED)
    {
      g_printerr ("ICE failed\n");
      g_main_loop_quit (app->loop);
    }
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;

  if (!nav_signaling_client_connect_finish (app->client, result, &error))
    {
      g_printerr ("%s\n", error->message);
      g_main_loop_quit (app->loop);
      return;
    }
  app->session = nav_signaling_session_new (app->client, app->agent, app->stream_id, app->room);
  if (!nav_signaling_session_start (app->session, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      g_main_loop_quit (app->loop);
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (NavAddress) local = NULL;
  App app = { 0 };

  if (argc != 4)
    {
      g_printerr ("usage: %s ws://HOST:PORT/ ROOM LOCAL-IP\n", argv[0]);
      return 2;
    }
  app.status = 1;
  app.room = argv[2];
  app.loop = g_main_loop_new (NULL, FALSE);
  app.agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
  local = nav_address_new_from_string (argv[3], NULL);
  if (local == NULL || !nav_agent_add_local_address (app.agent, local))
    {
      g_printerr ("%s is not a local address\n", argv[3]);
      return 2;
    }
  app.stream_id = nav_agent_add_stream (app.agent, 1);
  nav_agent_attach_recv (app.agent, app.stream_id, 1, NULL, on_recv, &app);
  g_signal_connect (app.agent, "component-state-changed", G_CALLBACK (on_state), &app);

  app.client = nav_signaling_client_new (argv[1]);
  nav_signaling_client_connect_async (app.client, NULL, on_connected, &app);
  g_main_loop_run (app.loop);

  g_clear_object (&app.session);
  nav_signaling_client_disconnect (app.client);
  g_object_unref (app.client);
  g_object_unref (app.agent);
  g_main_loop_unref (app.loop);
  return app.status;
}
