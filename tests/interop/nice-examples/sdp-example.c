/* sdp-example.c: the chat of threaded-example.c with SDP as the peers'
 * exchange, in the style of libnice's examples/sdp-example.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Written for libnice's API only and built twice (against libnice and
 * against netavanue-nice-1.0).  The threads are those of
 * threaded-example.c; the local data is nice_agent_generate_local_sdp()
 * of a stream named "text", base64-encoded on one line, and the peer's
 * line is decoded and given to nice_agent_parse_remote_sdp().
 *
 *   sdp-example 0|1 [stun_addr [stun_port]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <agent.h>

#include <gio/gnetworking.h>

static GMainLoop *loop;
static const gchar *stun_server;
static guint stun_port;
static gboolean controlling;

static GMutex lock;
static GCond cond;
static gboolean gathered, negotiated, stopping;

static void
raise_flag (gboolean *flag)
{
  g_mutex_lock (&lock);
  *flag = TRUE;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
}

static gboolean
wait_flag (gboolean *flag)
{
  gboolean ok;

  g_mutex_lock (&lock);
  while (!*flag && !stopping)
    g_cond_wait (&cond, &lock);
  ok = *flag;
  g_mutex_unlock (&lock);
  return ok;
}

static void
on_gathering_done (NiceAgent *agent,
                   guint      stream_id,
                   gpointer   data)
{
  raise_flag (&gathered);
}

static void
on_state (NiceAgent *agent,
          guint      stream_id,
          guint      component_id,
          guint      state,
          gpointer   data)
{
  g_debug ("stream %u component %u: %s", stream_id, component_id,
           nice_component_state_to_string (state));
  if (state == NICE_COMPONENT_STATE_READY)
    raise_flag (&negotiated);
  else if (state == NICE_COMPONENT_STATE_FAILED)
    {
      fprintf (stderr, "the connection failed\n");
      g_main_loop_quit (loop);
    }
}

static void
on_recv (NiceAgent *agent,
         guint      stream_id,
         guint      component_id,
         guint      len,
         gchar     *buf,
         gpointer   data)
{
  if (len == 1 && buf[0] == '\0')
    {
      g_main_loop_quit (loop);
      return;
    }
  printf ("%.*s", (int) len, buf);
  fflush (stdout);
}

static GIOStatus
poll_line (GIOChannel  *input,
           gchar      **line)
{
  GIOStatus status = g_io_channel_read_line (input, line, NULL, NULL, NULL);

  if (status == G_IO_STATUS_AGAIN)
    g_usleep (G_USEC_PER_SEC / 10);
  return status;
}

static gpointer
example_thread (gpointer data)
{
  GIOChannel *input = g_io_channel_unix_new (fileno (stdin));
  NiceAgent *agent;
  guint stream;
  gchar *line = NULL, *sdp, *encoded;
  GIOStatus status;

  g_io_channel_set_flags (input, G_IO_FLAG_NONBLOCK, NULL);
  agent = nice_agent_new (g_main_loop_get_context (loop), NICE_COMPATIBILITY_RFC5245);
  if (agent == NULL)
    g_error ("no agent");
  if (stun_server != NULL)
    g_object_set (agent, "stun-server", stun_server, "stun-server-port", stun_port, NULL);
  g_object_set (agent, "controlling-mode", controlling, NULL);
  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), NULL);
  g_signal_connect (agent, "component-state-changed", G_CALLBACK (on_state), NULL);
  stream = nice_agent_add_stream (agent, 1);
  if (stream == 0)
    g_error ("no stream");
  /* The SDP's m= line is named after the stream. */
  nice_agent_set_stream_name (agent, stream, "text");
  nice_agent_attach_recv (agent, stream, 1, g_main_loop_get_context (loop), on_recv, NULL);
  if (!nice_agent_gather_candidates (agent, stream))
    g_error ("gathering did not start");

  if (!wait_flag (&gathered))
    goto out;
  sdp = nice_agent_generate_local_sdp (agent);
  encoded = g_base64_encode ((const guchar *) sdp, strlen (sdp));
  printf ("Local SDP:\n%s\nGive the other peer this line:\n\n  %s\n\nremote line> ", sdp,
          encoded);
  fflush (stdout);
  g_free (sdp);
  g_free (encoded);
  while (!stopping)
    {
      status = poll_line (input, &line);
      if (status == G_IO_STATUS_NORMAL)
        {
          gsize len = 0;
          gchar *remote;
          gboolean ok;

          g_strstrip (line);
          remote = (gchar *) g_base64_decode (line, &len);
          remote = g_realloc (remote, len + 1);
          remote[len] = '\0';
          /* At least one candidate taken. */
          ok = len > 0 && nice_agent_parse_remote_sdp (agent, remote) > 0;
          g_free (remote);
          g_clear_pointer (&line, g_free);
          if (ok)
            break;
          fprintf (stderr, "could not parse the remote SDP\n");
        }
      else if (status != G_IO_STATUS_AGAIN)
        goto out;
    }

  if (!wait_flag (&negotiated))
    goto out;
  printf ("\nNegotiation complete\n\nSend lines to the other peer (end of input to quit):\nchat> ");
  fflush (stdout);
  while (!stopping)
    {
      status = poll_line (input, &line);
      if (status == G_IO_STATUS_NORMAL)
        {
          nice_agent_send (agent, stream, 1, strlen (line), line);
          g_clear_pointer (&line, g_free);
          printf ("chat> ");
          fflush (stdout);
        }
      else if (status != G_IO_STATUS_AGAIN)
        {
          nice_agent_send (agent, stream, 1, 1, "\0");
          break;
        }
    }

out:
  g_object_unref (agent);
  g_io_channel_unref (input);
  g_main_loop_quit (loop);
  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  GThread *thread;

  if (argc < 2 || argc > 4 || (strcmp (argv[1], "0") != 0 && strcmp (argv[1], "1") != 0))
    {
      fprintf (stderr, "Usage: %s 0|1 [stun_addr [stun_port]]\n", argv[0]);
      return EXIT_FAILURE;
    }
  controlling = argv[1][0] == '1';
  if (argc > 2)
    {
      stun_server = argv[2];
      stun_port = argc > 3 ? (guint) atoi (argv[3]) : 3478;
    }
  g_networking_init ();

  loop = g_main_loop_new (NULL, FALSE);
  thread = g_thread_new ("example", example_thread, NULL);
  g_main_loop_run (loop);
  raise_flag (&stopping);
  g_thread_join (thread);
  g_main_loop_unref (loop);
  return EXIT_SUCCESS;
}
