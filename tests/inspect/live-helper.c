/* live-helper.c: a process with two agents on loopback, exported for
 * nav-inspect --live (NAV_DEBUG_EXPORT=1 in its environment), driven by
 * lines on its standard input:
 *
 *   connect   gathers, exchanges candidates, says "connected" once READY
 *   destroy   drops the second agent (while clients may be attached)
 *   send N    sends N datagrams of 100 bytes from the first agent
 *   stream    sends 10 such datagrams each 20 ms from then on
 *   quit
 *
 * It says "ready PID" once its agents exist and the export runs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib-unix.h>

#include "../ice/agent-test-util.h"

static NavAgent *agents[2];
static guint streams[2];
static AgentTestWatch watches[2];
static GMainLoop *loop;
static GString *input;

static void
say (const gchar *line)
{
  printf ("%s\n", line);
  fflush (stdout);
}

static gboolean
both_ready (gpointer data)
{
  return watches[0].state == NAV_COMPONENT_STATE_READY &&
         watches[1].state == NAV_COMPONENT_STATE_READY;
}

static gboolean
both_gathered (gpointer data)
{
  return watches[0].gathered && watches[1].gathered;
}

static gboolean
stream_tick (gpointer data)
{
  gchar buf[100] = { 0 };

  if (agents[0] == NULL)
    return G_SOURCE_REMOVE;
  for (guint i = 0; i < 10; i++)
    nav_agent_send (agents[0], streams[0], 1, sizeof buf, buf);
  return G_SOURCE_CONTINUE;
}

static void
command (const gchar *line)
{
  if (g_str_equal (line, "connect"))
    {
      g_assert_true (nav_agent_gather_candidates (agents[0], streams[0]));
      g_assert_true (nav_agent_gather_candidates (agents[1], streams[1]));
      wait_for (both_gathered, NULL);
      agent_test_signal_credentials_both (agents[0], streams[0], agents[1], streams[1]);
      agent_test_signal_candidates_both (agents[0], streams[0], agents[1], streams[1]);
      wait_for (both_ready, NULL);
      say ("connected");
    }
  else if (g_str_equal (line, "destroy"))
    {
      g_clear_object (&agents[1]);
      say ("destroyed");
    }
  else if (g_str_has_prefix (line, "send "))
    {
      gchar buf[100] = { 0 };
      guint n = (guint) g_ascii_strtoull (line + 5, NULL, 10);

      for (guint i = 0; i < n; i++)
        nav_agent_send (agents[0], streams[0], 1, sizeof buf, buf);
      say ("sent");
    }
  else if (g_str_equal (line, "stream"))
    {
      g_timeout_add (20, stream_tick, NULL);
      say ("streaming");
    }
  else if (g_str_equal (line, "quit"))
    g_main_loop_quit (loop);
}

static gboolean
on_stdin (gint         fd,
          GIOCondition condition,
          gpointer     data)
{
  gchar buf[256];
  gssize n = read (fd, buf, sizeof buf);
  gchar *nl;

  if (n <= 0)
    {
      g_main_loop_quit (loop);
      return G_SOURCE_REMOVE;
    }
  g_string_append_len (input, buf, n);
  while ((nl = strchr (input->str, '\n')) != NULL)
    {
      g_autofree gchar *line = g_strndup (input->str, nl - input->str);

      g_string_erase (input, 0, nl - input->str + 1);
      command (line);
    }
  return G_SOURCE_CONTINUE;
}

int
main (int    argc,
      char **argv)
{
  gboolean gathered[2];
  g_autofree gchar *address = NULL;
  g_autofree gchar *ready = NULL;

  g_set_prgname ("live-helper");
  for (guint i = 0; i < 2; i++)
    {
      agents[i] = agent_test_new_loopback (NAV_AGENT_OPTION_NONE, &gathered[i]);
      g_object_set (agents[i], "controlling-mode", i == 0, NULL);
      streams[i] = nav_agent_add_stream (agents[i], 1);
      agent_test_watch (agents[i], &watches[i]);
    }
  /* NAV_DEBUG_EXPORT=1 started it with the first agent. */
  g_assert_true (nav_inspect_export_is_active ());
  address = nav_inspect_export_dup_address ();
  g_assert_nonnull (address);
  ready = g_strdup_printf ("ready %d %s", (int) getpid (), address);
  say (ready);

  loop = g_main_loop_new (NULL, FALSE);
  input = g_string_new (NULL);
  g_unix_fd_add (0, G_IO_IN | G_IO_HUP, on_stdin, NULL);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
  g_string_free (input, TRUE);
  g_clear_object (&agents[0]);
  g_clear_object (&agents[1]);
  return EXIT_SUCCESS;
}
