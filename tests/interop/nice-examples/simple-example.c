/* simple-example.c: a text chat between two peers over ICE, in the
 * style of libnice's examples/simple-example.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Written for libnice's API only and built twice (against libnice and
 * against NetAvanue's netavanue-nice-1.0), it uses that API the way
 * libnice's simple example does: one GMainLoop in the main thread, the
 * agent on its context, stdin read through a GIOChannel watch, the
 * local data printed as one line "ufrag pwd cand cand …" (each candidate
 * "foundation,priority,address,port,type") once gathering is done, the
 * peer's line read back, and chat lines sent once the component is
 * CONNECTED (it asks nice_agent_get_selected_pair() then).  End of
 * input sends one NUL byte, which makes the peer quit too.
 *
 *   simple-example 0|1 [stun_addr [stun_port]]
 */
#include "example-chat.h"

static GIOChannel *input;
static guint stream;

static gboolean read_chat_line (GIOChannel *channel, GIOCondition condition, gpointer data);

static gboolean
read_remote_line (GIOChannel   *channel,
                  GIOCondition  condition,
                  gpointer      data)
{
  NiceAgent *agent = data;
  gchar *line = NULL;
  gboolean again = TRUE;
  GIOStatus status = g_io_channel_read_line (channel, &line, NULL, NULL, NULL);

  if (status == G_IO_STATUS_EOF || status == G_IO_STATUS_ERROR)
    {
      /* No peer's line, ever. */
      g_main_loop_quit (loop);
      return FALSE;
    }
  if (status == G_IO_STATUS_NORMAL)
    {
      if (apply_remote_line (agent, stream, line))
        again = FALSE;            /* the checks run; chat once connected */
      else
        {
          fprintf (stderr, "could not parse the remote line\n");
          printf ("remote line> ");
          fflush (stdout);
        }
    }
  g_free (line);
  return again;
}

static void
on_gathering_done (NiceAgent *agent,
                   guint      stream_id,
                   gpointer   data)
{
  printf ("Give the other peer this line:\n\n  ");
  print_local_line (agent, stream_id);
  printf ("\nremote line> ");
  fflush (stdout);
  g_io_add_watch (input, G_IO_IN | G_IO_HUP, read_remote_line, agent);
}

static void
on_state (NiceAgent *agent,
          guint      stream_id,
          guint      component_id,
          guint      state,
          gpointer   data)
{
  if (state == NICE_COMPONENT_STATE_CONNECTED)
    {
      /* As libnice's example: the pair is known once CONNECTED. */
      print_selected_pair (agent, stream_id);
      printf ("\nSend lines to the other peer (end of input to quit):\nchat> ");
      fflush (stdout);
      g_io_add_watch (input, G_IO_IN | G_IO_HUP, read_chat_line, agent);
    }
  else if (state == NICE_COMPONENT_STATE_FAILED)
    {
      fprintf (stderr, "the connection failed\n");
      g_main_loop_quit (loop);
    }
}

static void
on_selected_pair (NiceAgent *agent,
                  guint      stream_id,
                  guint      component_id,
                  gchar     *lfoundation,
                  gchar     *rfoundation,
                  gpointer   data)
{
  g_debug ("selected pair %s %s", lfoundation, rfoundation);
}

static gboolean
read_chat_line (GIOChannel   *channel,
                GIOCondition  condition,
                gpointer      data)
{
  NiceAgent *agent = data;
  gchar *line = NULL;

  if (g_io_channel_read_line (channel, &line, NULL, NULL, NULL) == G_IO_STATUS_NORMAL)
    {
      nice_agent_send (agent, stream, 1, strlen (line), line);
      g_free (line);
      printf ("chat> ");
      fflush (stdout);
      return TRUE;
    }
  /* End of input: the peer hears it as one NUL byte. */
  nice_agent_send (agent, stream, 1, 1, "\0");
  g_main_loop_quit (loop);
  return FALSE;
}

int
main (int   argc,
      char *argv[])
{
  NiceAgent *agent;

  if (!parse_arguments (argc, argv))
    return EXIT_FAILURE;
  g_networking_init ();

  loop = g_main_loop_new (NULL, FALSE);
  input = g_io_channel_unix_new (fileno (stdin));

  agent = nice_agent_new (g_main_loop_get_context (loop), NICE_COMPATIBILITY_RFC5245);
  if (agent == NULL)
    g_error ("no agent");
  if (stun_server != NULL)
    {
      g_object_set (agent, "stun-server", stun_server, NULL);
      g_object_set (agent, "stun-server-port", stun_port, NULL);
    }
  g_object_set (agent, "controlling-mode", controlling, NULL);

  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), NULL);
  g_signal_connect (agent, "new-selected-pair", G_CALLBACK (on_selected_pair), NULL);
  g_signal_connect (agent, "component-state-changed", G_CALLBACK (on_state), NULL);

  stream = nice_agent_add_stream (agent, 1);
  if (stream == 0)
    g_error ("no stream");
  nice_agent_attach_recv (agent, stream, 1, g_main_loop_get_context (loop), on_recv, NULL);
  if (!nice_agent_gather_candidates (agent, stream))
    g_error ("gathering did not start");

  g_main_loop_run (loop);

  g_object_unref (agent);
  g_io_channel_unref (input);
  g_main_loop_unref (loop);
  return EXIT_SUCCESS;
}
