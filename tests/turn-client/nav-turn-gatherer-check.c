/* nav-turn-gatherer-check.c: the relay gatherer and the relay transport as
 * a library user reaches them, through the registry by name only: gather a
 * relayed candidate from a TURN server, send through its transport to an
 * echo peer and get the echo back.  Run by tests/interop/test-coturn-turn.py
 * against a real coturn.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <netavanue/netavanue.h>

typedef struct
{
  GMainLoop *loop;
  NavCandidate *relay;
  gboolean done;
  gboolean echoed;
} Check;

static void
on_candidate (NavGatherer  *gatherer,
              NavCandidate *candidate,
              gpointer      user_data)
{
  Check *c = user_data;
  g_autofree gchar *text = nav_candidate_to_string (candidate);

  g_print ("candidate: %s\n", text);
  if (candidate->type == NAV_CANDIDATE_TYPE_RELAYED && c->relay == NULL)
    c->relay = nav_candidate_copy (candidate);
}

static void
on_done (NavGatherer *gatherer,
         guint        stream_id,
         guint        component_id,
         gpointer     user_data)
{
  Check *c = user_data;

  c->done = TRUE;
  g_main_loop_quit (c->loop);
}

static void
on_received (NavTransport     *transport,
             GBytes           *bytes,
             const NavAddress *from,
             gpointer          user_data)
{
  Check *c = user_data;
  gsize len;
  const gchar *data = g_bytes_get_data (bytes, &len);

  if (len == 11 && memcmp (data, "hello relay", 11) == 0)
    {
      c->echoed = TRUE;
      g_main_loop_quit (c->loop);
    }
}

static gboolean
on_timeout (gpointer user_data)
{
  g_main_loop_quit (((Check *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) gatherer = NULL;
  g_autoptr (GPtrArray) bases = g_ptr_array_new ();
  g_autoptr (NavAddress) peer = NULL;
  gchar buf[NAV_ADDRESS_STRING_LEN];
  Check c = { 0 };
  guint timeout;

  if (argc != 6)
    {
      g_printerr ("usage: %s SERVER TRANSPORT USER PASSWORD PEER\n", argv[0]);
      return 2;
    }
  peer = nav_address_new_from_string (argv[5], &error);
  if (peer == NULL)
    {
      g_printerr ("FAIL: %s\n", error->message);
      return 1;
    }
  gatherer = nav_registry_create (nav_registry_get_default (), NAV_GATHERER_EXTENSION_POINT_NAME,
                                  "turn", &error,
                                  "server", argv[1], "transport", argv[2],
                                  "username", argv[3], "password", argv[4],
                                  "tls-insecure", TRUE, NULL);
  if (gatherer == NULL)
    {
      g_printerr ("FAIL: no turn gatherer in the registry: %s\n", error->message);
      return 1;
    }
  c.loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (gatherer, "candidate-gathered", G_CALLBACK (on_candidate), &c);
  g_signal_connect (gatherer, "done", G_CALLBACK (on_done), &c);
  timeout = g_timeout_add_seconds (20, on_timeout, &c);
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, bases);
  g_main_loop_run (c.loop);
  if (!c.done || c.relay == NULL)
    {
      g_printerr ("FAIL: gathering %s without a relayed candidate\n",
                  c.done ? "ended" : "timed out");
      return 1;
    }
  if (c.relay->owner == NULL ||
      !nav_address_equal (nav_transport_get_local_address (c.relay->owner), &c.relay->addr) ||
      !nav_address_equal (&c.relay->base_addr, &c.relay->addr) ||
      !nav_address_is_valid (&c.relay->related_addr))
    {
      g_printerr ("FAIL: the relayed candidate's transport, base or related address is wrong\n");
      return 1;
    }
  {
    gchar related[NAV_ADDRESS_STRING_LEN];

    g_print ("relayed %s related %s\n", nav_address_to_string_buf (&c.relay->addr, buf),
             nav_address_to_string_buf (&c.relay->related_addr, related));
  }

  g_signal_connect (c.relay->owner, "received", G_CALLBACK (on_received), &c);
  if (!nav_transport_send (c.relay->owner, peer, (const guint8 *) "hello relay", 11, &error))
    {
      g_printerr ("FAIL: send: %s\n", error->message);
      return 1;
    }
  g_main_loop_run (c.loop);
  g_source_remove (timeout);
  if (!c.echoed)
    {
      g_printerr ("FAIL: no echo through the relay transport\n");
      return 1;
    }
  g_print ("echo received through the relay transport\n");
  nav_transport_close (c.relay->owner);
  /* Let the Refresh with a zero lifetime go out. */
  timeout = g_timeout_add (300, on_timeout, &c);
  g_main_loop_run (c.loop);
  nav_candidate_free (c.relay);
  g_main_loop_unref (c.loop);
  return 0;
}
