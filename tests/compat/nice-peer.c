/* nice-peer.c: a peer written for libnice's agent API only
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built twice from this one source: against the real libnice
 * (pkg-config nice) and against NetAvanue's compatibility headers
 * (pkg-config netavanue-nice-1.0), unchanged.  It gathers host
 * candidates on 127.0.0.1, prints its SDP between "SDP" and "." lines,
 * reads the peer's the same way on stdin, connects, sends "hello from
 * NAME" ten times and waits for the peer's, then prints "GOT <message>".
 * On the way it uses the rest of the agent API a program may call
 * (libnice 0.1.21): SOFTWARE, the stream's TOS read back from the
 * selected socket, the default candidate written in the SDP's m= line,
 * and nice_agent_close_async() before the agent is freed.
 *
 *   nice-peer NAME controlling|controlled
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <netinet/in.h>

#include <agent.h>

/* AF41: a TOS an unprivileged process may set. */
#define PEER_TOS 0x88

static GMainLoop *loop;
static gboolean closed;
static gboolean gathered;
static gboolean ready;
static gchar *got;

static void
on_gathering_done (NiceAgent *agent,
                   guint      stream_id,
                   gpointer   data)
{
  gathered = TRUE;
  g_main_loop_quit (loop);
}

static void
on_state (NiceAgent *agent,
          guint      stream_id,
          guint      component_id,
          guint      state,
          gpointer   data)
{
  if (state == NICE_COMPONENT_STATE_READY)
    {
      ready = TRUE;
      g_main_loop_quit (loop);
    }
  else if (state == NICE_COMPONENT_STATE_FAILED)
    {
      fprintf (stderr, "component failed\n");
      exit (1);
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
  if (got == NULL)
    {
      got = g_strndup (buf, len);
      g_main_loop_quit (loop);
    }
}

static GString *remote_sdp;
static gboolean remote_sdp_done;
static gboolean in_sdp;

/* The peer's SDP is read from the main loop, so the agent keeps running
 * (answering early checks) while it arrives. */
static gboolean
on_stdin (GIOChannel   *channel,
          GIOCondition  condition,
          gpointer      data)
{
  gchar *line = NULL;
  GIOStatus status = g_io_channel_read_line (channel, &line, NULL, NULL, NULL);

  if (status == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  if (status != G_IO_STATUS_NORMAL)
    {
      fprintf (stderr, "stdin closed before the peer's SDP\n");
      exit (1);
    }
  if (strcmp (line, "SDP\n") == 0)
    in_sdp = TRUE;
  else if (in_sdp && strcmp (line, ".\n") == 0)
    {
      remote_sdp_done = TRUE;
      g_free (line);
      g_main_loop_quit (loop);
      return G_SOURCE_REMOVE;
    }
  else if (in_sdp)
    g_string_append (remote_sdp, line);
  g_free (line);
  return G_SOURCE_CONTINUE;
}

static void
on_closed (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  closed = TRUE;
  g_main_loop_quit (loop);
}

static gboolean
on_timeout (gpointer data)
{
  fprintf (stderr, "timed out\n");
  exit (1);
  return G_SOURCE_REMOVE;
}

int
main (int    argc,
      char **argv)
{
  NiceAgent *agent;
  NiceAddress address;
  GIOChannel *in;
  gchar *sdp;
  guint stream_id, i;
  NiceCandidate *local = NULL, *remote = NULL, *def;
  gchar ip[NICE_ADDRESS_STRING_LEN];
  gchar m_line[64];
  GSocket *socket;
  GPtrArray *sockets;
  gint tos = -1;

  if (argc != 3)
    {
      fprintf (stderr, "usage: nice-peer NAME controlling|controlled\n");
      return 2;
    }
  loop = g_main_loop_new (NULL, FALSE);
  g_timeout_add_seconds (30, on_timeout, NULL);

  agent = nice_agent_new (g_main_loop_get_context (loop), NICE_COMPATIBILITY_RFC5245);
  g_object_set (agent, "controlling-mode", strcmp (argv[2], "controlling") == 0,
                "upnp", FALSE, "ice-tcp", FALSE, NULL);
  nice_address_init (&address);
  if (!nice_address_set_from_string (&address, "127.0.0.1"))
    return 1;
  nice_agent_add_local_address (agent, &address);
  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), NULL);
  g_signal_connect (agent, "component-state-changed", G_CALLBACK (on_state), NULL);

  nice_agent_set_software (agent, "nice-peer");
  stream_id = nice_agent_add_stream (agent, 1);
  nice_agent_set_stream_name (agent, stream_id, "text");
  nice_agent_set_stream_tos (agent, stream_id, PEER_TOS);
  nice_agent_attach_recv (agent, stream_id, 1, g_main_loop_get_context (loop), on_recv, NULL);
  nice_agent_gather_candidates (agent, stream_id);
  /* Each handler quits the loop; wait for the one wanted. */
  while (!gathered)
    g_main_loop_run (loop);

  sdp = nice_agent_generate_local_sdp (agent);
  /* The SDP's m= line carries the default candidate's port. */
  def = nice_agent_get_default_local_candidate (agent, stream_id, 1);
  if (def == NULL)
    {
      fprintf (stderr, "no default candidate\n");
      return 1;
    }
  g_snprintf (m_line, sizeof m_line, "m=text %u ", nice_address_get_port (&def->addr));
  if (strstr (sdp, m_line) == NULL)
    {
      fprintf (stderr, "the SDP has no \"%s\"\n", m_line);
      return 1;
    }
  nice_candidate_free (def);
  printf ("SDP\n%s.\n", sdp);
  fflush (stdout);
  g_free (sdp);

  remote_sdp = g_string_new (NULL);
  in = g_io_channel_unix_new (0);
  g_io_add_watch (in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
  while (!remote_sdp_done)
    g_main_loop_run (loop);
  g_io_channel_unref (in);
  if (nice_agent_parse_remote_sdp (agent, remote_sdp->str) < 1)
    {
      fprintf (stderr, "cannot parse the peer's SDP\n");
      return 1;
    }
  g_string_free (remote_sdp, TRUE);

  while (!ready)
    g_main_loop_run (loop);
  if (!nice_agent_get_selected_pair (agent, stream_id, 1, &local, &remote))
    {
      fprintf (stderr, "no selected pair\n");
      return 1;
    }
  nice_address_to_string (&remote->addr, ip);
  printf ("SELECTED %s %s:%u\n", nice_candidate_type_to_string (local->type), ip,
          nice_address_get_port (&remote->addr));

  /* A host pair over UDP has a socket, among the component's, and it
   * carries the stream's TOS. */
  socket = nice_agent_get_selected_socket (agent, stream_id, 1);
  sockets = nice_agent_get_sockets (agent, stream_id, 1);
  if (socket == NULL || !g_ptr_array_find (sockets, socket, NULL) ||
      !g_socket_get_option (socket, IPPROTO_IP, IP_TOS, &tos, NULL))
    {
      fprintf (stderr, "no selected socket among the component's\n");
      return 1;
    }
  printf ("TOS %d\n", tos);
  g_object_unref (socket);
  g_ptr_array_unref (sockets);

  for (i = 0; i < 10; i++)
    {
      gchar *msg = g_strdup_printf ("hello from %s", argv[1]);

      nice_agent_send (agent, stream_id, 1, strlen (msg), msg);
      g_free (msg);
    }
  while (got == NULL)
    g_main_loop_run (loop);
  printf ("GOT %s\n", got);
  fflush (stdout);

  /* Let the last datagrams and answers leave before closing. */
  g_timeout_add (300, (GSourceFunc) g_main_loop_quit, loop);
  g_main_loop_run (loop);
  nice_agent_close_async (agent, on_closed, NULL);
  while (!closed)
    g_main_loop_run (loop);
  printf ("CLOSED\n");
  fflush (stdout);
  g_free (got);
  g_object_unref (agent);
  g_main_loop_unref (loop);
  return 0;
}
