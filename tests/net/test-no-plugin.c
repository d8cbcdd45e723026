/* test-no-plugin.c: the core needs no plugin (issue 13): two NavAgents
 * whose module directory holds the tier modules only (NAV_MODULE_DIR, no
 * NAV_MODULE_PATH, no tcp-framing plugin) connect over UDP and over
 * ICE-TCP, and exchange data both ways.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <netavanue/netavanue.h>

#include "agent-test-util.h"

static const gchar * const tiers[] = { "stun", "turn", "ice", "signaling", "election", NULL };

typedef struct
{
  NavAgent *agent;
  guint stream_id;
  gboolean gathered;
  NavComponentState state;
  GString *received;
} Peer;

static void
on_recv (NavAgent *agent,
         guint     stream_id,
         guint     component_id,
         guint     len,
         gchar    *buf,
         gpointer  user_data)
{
  g_string_append_len (((Peer *) user_data)->received, buf, len);
}

static gboolean
both_gathered (gpointer data)
{
  Peer *p = data;

  return p[0].gathered && p[1].gathered;
}

static gboolean
both_ready (gpointer data)
{
  Peer *p = data;

  return p[0].state == NAV_COMPONENT_STATE_READY && p[1].state == NAV_COMPONENT_STATE_READY;
}

static gboolean
both_received (gpointer data)
{
  Peer *p = data;

  return strstr (p[0].received->str, "from b") != NULL && strstr (p[1].received->str, "from a") != NULL;
}

static void
peer_init (Peer     *p,
           gboolean  controlling,
           gboolean  udp,
           gboolean  tcp)
{
  memset (p, 0, sizeof *p);
  p->agent = agent_test_new_loopback (NAV_AGENT_OPTION_NONE, &p->gathered);
  g_object_set (p->agent, "controlling-mode", controlling, "ice-udp", udp, "ice-tcp", tcp, NULL);
  p->received = g_string_new (NULL);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (agent_test_set_state),
                    &p->state);
  p->stream_id = nav_agent_add_stream (p->agent, 1);
  g_assert_cmpuint (p->stream_id, >, 0);
  g_assert_true (nav_agent_attach_recv (p->agent, p->stream_id, 1, NULL, on_recv, p));
}

static void
peer_clear (Peer *p)
{
  g_object_unref (p->agent);
  g_string_free (p->received, TRUE);
}

static void
connect_and_talk (gboolean udp,
                  gboolean tcp)
{
  Peer p[2];
  NavCandidate *local = NULL, *remote = NULL;

  peer_init (&p[0], TRUE, udp, tcp);
  peer_init (&p[1], FALSE, udp, tcp);
  g_assert_true (nav_agent_gather_candidates (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_gather_candidates (p[1].agent, p[1].stream_id));
  wait_for (both_gathered, p);
  agent_test_signal_credentials_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  agent_test_signal_candidates_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  wait_for (both_ready, p);

  g_assert_true (nav_agent_get_selected_pair (p[0].agent, p[0].stream_id, 1, &local, &remote));
  g_assert_true (tcp ? local->transport != NAV_CANDIDATE_TRANSPORT_UDP
                     : local->transport == NAV_CANDIDATE_TRANSPORT_UDP);
  nav_candidate_free (local);
  nav_candidate_free (remote);

  g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 6, "from a"), ==, 6);
  g_assert_cmpint (nav_agent_send (p[1].agent, p[1].stream_id, 1, 6, "from b"), ==, 6);
  wait_for (both_received, p);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

static void
test_udp (void)
{
  connect_and_talk (TRUE, FALSE);
}

static void
test_ice_tcp (void)
{
  connect_and_talk (FALSE, TRUE);
}

/* Only the tiers were found: no plugin, nothing from a module path. */
static void
test_registry_has_no_plugin (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  GList *modules = nav_registry_list_modules (registry);
  g_autoptr (GError) error = NULL;

  for (GList *l = modules; l != NULL; l = l->next)
    {
      const gchar *name = nav_module_info_get_name (l->data);

      if (g_strcmp0 (name, "core") == 0)
        continue;
      g_assert_true (g_strv_contains (tiers, name));
      g_assert_true (nav_module_info_get_loaded (l->data));
    }
  g_list_free_full (modules, g_object_unref);
  g_assert_null (nav_registry_lookup (registry, NAV_TRANSPORT_EXTENSION_POINT_NAME,
                                      "tcp-framing", &error));
  g_assert_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_UNKNOWN_IMPLEMENTATION);
}

int
main (int    argc,
      char **argv)
{
  const gchar *build = g_getenv ("NAV_BUILD_ROOT");
  g_autofree gchar *dir = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (build);

  /* A module directory with the tier modules only, before the registry
   * is first used. */
  dir = g_dir_make_tmp ("nav-tiers-XXXXXX", NULL);
  g_assert_nonnull (dir);
  for (guint i = 0; tiers[i] != NULL; i++)
    {
      g_autofree gchar *name = g_strdup_printf ("libnav-%s.so", tiers[i]);
      g_autofree gchar *target = g_build_filename (build, "modules", tiers[i], name, NULL);
      g_autofree gchar *link = g_build_filename (dir, name, NULL);

      g_assert_true (g_file_test (target, G_FILE_TEST_EXISTS));
      g_assert_cmpint (symlink (target, link), ==, 0);
    }
  g_setenv ("NAV_MODULE_DIR", dir, TRUE);
  g_unsetenv ("NAV_MODULE_PATH");

  g_test_add_func ("/no-plugin/registry", test_registry_has_no_plugin);
  g_test_add_func ("/no-plugin/udp", test_udp);
  g_test_add_func ("/no-plugin/ice-tcp", test_ice_tcp);
  status = g_test_run ();

  for (guint i = 0; tiers[i] != NULL; i++)
    {
      g_autofree gchar *name = g_strdup_printf ("libnav-%s.so", tiers[i]);
      g_autofree gchar *link = g_build_filename (dir, name, NULL);

      g_unlink (link);
    }
  g_rmdir (dir);
  return status;
}
