/* threaded-example.c: the chat of simple-example.c driven from a thread
 * of its own, in the style of libnice's examples/threaded-example.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Written for libnice's API only and built twice (against libnice and
 * against netavanue-nice-1.0).  As libnice's threaded example does: the
 * main thread only runs the GMainLoop of the agent's context; another
 * thread creates the agent, calls every method, waits on GConds that the
 * signal handlers (run by the main loop) signal — gathering done, then
 * READY — and polls a non-blocking stdin.  The lines exchanged are those
 * of simple-example.c.
 *
 *   threaded-example 0|1 [stun_addr [stun_port]]
 */
#include "example-chat.h"

static gpointer
example_thread (gpointer data)
{
  GIOChannel *input = g_io_channel_unix_new (fileno (stdin));
  NiceAgent *agent;
  guint stream;
  gchar *line = NULL;
  GIOStatus status;

  g_io_channel_set_flags (input, G_IO_FLAG_NONBLOCK, NULL);
  agent = start_threaded_agent (NULL, &stream);

  /* The handlers run in the main thread; this one waits for them. */
  if (!wait_flag (&gathered))
    goto out;
  printf ("Give the other peer this line:\n\n  ");
  print_local_line (agent, stream);
  printf ("\nremote line> ");
  fflush (stdout);
  while (!stopping)
    {
      status = poll_line (input, &line);
      if (status == G_IO_STATUS_NORMAL)
        {
          gboolean ok = apply_remote_line (agent, stream, line);

          g_clear_pointer (&line, g_free);
          if (ok)
            break;
          fprintf (stderr, "could not parse the remote line\n");
        }
      else if (status != G_IO_STATUS_AGAIN)
        {
          /* No peer's line, ever: nothing to wait for. */
          raise_flag (&stopping);
          goto out;
        }
    }

out:
  return finish_thread (agent, stream, input, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  return run_threaded (argc, argv, example_thread);
}
