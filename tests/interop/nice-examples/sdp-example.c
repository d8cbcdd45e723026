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
#include "example-chat.h"

static gpointer
example_thread (gpointer data)
{
  GIOChannel *input = g_io_channel_unix_new (fileno (stdin));
  NiceAgent *agent;
  guint stream;
  gchar *line = NULL, *sdp, *encoded;
  GIOStatus status;

  g_io_channel_set_flags (input, G_IO_FLAG_NONBLOCK, NULL);
  /* The SDP's m= line is named after the stream. */
  agent = start_threaded_agent ("text", &stream);

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
        {
          /* No peer's line, ever: nothing to wait for. */
          raise_flag (&stopping);
          goto out;
        }
    }

out:
  return finish_thread (agent, stream, input, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  return run_threaded (argc, argv, example_thread);
}
