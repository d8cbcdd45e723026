/* test-capability.c: NavDeviceCapability (the election module) measured
 * from this machine and from a fake power supply tree
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <netavanue/netavanue.h>

static GType
capability_type (void)
{
  g_autoptr (NavModuleInfo) module =
    nav_registry_lookup_module (nav_registry_get_default (), "election");
  GType type;

  g_assert_nonnull (module);
  type = g_type_from_name ("NavDeviceCapability");
  g_assert_cmpuint (type, !=, G_TYPE_INVALID);
  return type;
}

static void
write_attr (const gchar *dir,
            const gchar *name,
            const gchar *value)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, value, -1, &error);
  g_assert_no_error (error);
}

static gboolean
nav_device_capability_refresh_for_test (GObject *cap)
{
  gboolean changed = FALSE;

  g_signal_emit_by_name (cap, "refresh", &changed);
  return changed;
}

static void
remove_tree (const gchar *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree gchar *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
on_changed (GObject *capability,
            guint   *count)
{
  (*count)++;
}

/* The real machine: every probe degrades, none fails; the claims are
 * possible ones and the score is the plan's formula of them. */
static void
test_this_machine (void)
{
  g_autoptr (GObject) cap = g_object_new (capability_type (), "poll-interval", 0, NULL);
  g_autoptr (NavCapabilityClaims) claims = NULL;
  g_autofree gchar *model = NULL;
  guint score, codecs;

  g_object_get (cap, "claims", &claims, "score", &score, "cpu-model", &model,
                "codec-count", &codecs, NULL);
  g_test_message ("cpu %u × %s, %u MiB, battery %u, charging %d, network %u, screen %u, modules %u, score %u",
                  claims->cpu_count, model ? model : "?", claims->memory_mb,
                  claims->battery_percent, claims->charging, claims->network_type,
                  claims->screen_width, claims->codec_count, score);
  g_assert_true (nav_capability_claims_is_possible (claims));
  g_assert_cmpuint (claims->cpu_count, ==, g_get_num_processors ());
  g_assert_cmpuint (score, ==, nav_capability_claims_default_score (claims));
  /* The registry has the tiers: election itself at least. */
  g_assert_cmpuint (codecs, >=, 1);
}

/* A fake battery: discharging at 80 %, then 15 % (degraded), then
 * charging; each change emits ::changed once. */
static void
test_fake_battery (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *root = g_dir_make_tmp ("nav-power-XXXXXX", &error);
  g_autofree gchar *bat = g_build_filename (root, "BAT0", NULL);
  g_autofree gchar *ac = g_build_filename (root, "AC", NULL);
  g_autoptr (GObject) cap = NULL;
  g_autoptr (NavCapabilityClaims) claims = NULL;
  gboolean on_battery, desktop;
  guint changed = 0, score_full, score_low;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (bat, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (ac, 0755), ==, 0);
  write_attr (bat, "type", "Battery\n");
  write_attr (bat, "capacity", "80\n");
  write_attr (bat, "status", "Discharging\n");
  write_attr (ac, "type", "Mains\n");
  write_attr (ac, "online", "0\n");

  cap = g_object_new (capability_type (), "power-supply-root", root, "poll-interval", 0, NULL);
  g_signal_connect (cap, "changed", G_CALLBACK (on_changed), &changed);
  g_object_get (cap, "claims", &claims, "on-battery", &on_battery, "desktop", &desktop,
                "score", &score_full, NULL);
  g_assert_cmpuint (claims->battery_percent, ==, 80);
  g_assert_false (claims->charging);
  g_assert_true (on_battery);
  g_assert_false (desktop);
  g_assert_false (nav_capability_claims_is_degraded (claims, 20));
  g_clear_pointer (&claims, nav_capability_claims_free);

  /* Nothing changed: no signal. */
  g_assert_false (nav_device_capability_refresh_for_test (cap));
  g_assert_cmpuint (changed, ==, 0);

  write_attr (bat, "capacity", "15\n");
  g_assert_true (nav_device_capability_refresh_for_test (cap));
  g_assert_cmpuint (changed, ==, 1);
  g_object_get (cap, "claims", &claims, "score", &score_low, NULL);
  g_assert_cmpuint (claims->battery_percent, ==, 15);
  g_assert_true (nav_capability_claims_is_degraded (claims, 20));
  g_assert_cmpuint (score_low, <, score_full);
  g_clear_pointer (&claims, nav_capability_claims_free);

  /* Plugged in. */
  write_attr (ac, "online", "1\n");
  write_attr (bat, "status", "Charging\n");
  g_assert_true (nav_device_capability_refresh_for_test (cap));
  g_assert_cmpuint (changed, ==, 2);
  g_object_get (cap, "claims", &claims, "on-battery", &on_battery, NULL);
  g_assert_true (claims->charging);
  g_assert_false (on_battery);
  g_assert_false (nav_capability_claims_is_degraded (claims, 20));

  /* What the STUN tier and the connection stats tell it. */
  g_object_set (cap, "nat-type", 2, "bandwidth-kbps", 50000, NULL);
  g_assert_cmpuint (changed, ==, 4);
  g_clear_pointer (&claims, nav_capability_claims_free);
  g_object_get (cap, "claims", &claims, NULL);
  g_assert_cmpuint (claims->nat_type, ==, 2);
  g_assert_cmpuint (claims->bandwidth_kbps, ==, 50000);
  g_assert_false (claims->reachable);

  /* A peer's direct link to it succeeded: a claim, which leaves the
   * default score as it was. */
  {
    guint before = nav_capability_claims_default_score (claims);

    g_object_set (cap, "reachable", TRUE, NULL);
    g_assert_cmpuint (changed, ==, 5);
    g_object_set (cap, "reachable", TRUE, NULL);
    g_assert_cmpuint (changed, ==, 5);
    g_clear_pointer (&claims, nav_capability_claims_free);
    g_object_get (cap, "claims", &claims, NULL);
    g_assert_true (claims->reachable);
    g_assert_cmpuint (nav_capability_claims_default_score (claims), ==, before);
  }

  remove_tree (root);
}

/* Two free UDP ports in a row on 127.0.0.1 (the STUN server's and its
 * RFC 5780 alternate); 0 if none found. */
static guint16
free_udp_pair (void)
{
  guint attempt;

  for (attempt = 0; attempt < 20; attempt++)
    {
      g_autoptr (GSocket) a = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, NULL);
      g_autoptr (GSocket) b = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, NULL);
      g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
      g_autoptr (GSocketAddress) bound = NULL;
      g_autoptr (GSocketAddress) next = NULL;
      guint16 port;

      if (!g_socket_bind (a, any, FALSE, NULL))
        continue;
      bound = g_socket_get_local_address (a, NULL);
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      if (port == 65535)
        continue;
      next = g_inet_socket_address_new (lo, port + 1);
      if (g_socket_bind (b, next, FALSE, NULL))
        return port;
    }
  return 0;
}

/* The NAT type from the STUN tier's RFC 5780 discovery, against a real
 * nav-server --stun on 127.0.0.1 and 127.0.0.2: no NAT (1). */
static void
test_nat_type (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GObject) cap = NULL;
  g_autofree gchar *port_arg = NULL;
  g_autofree gchar *stun = NULL;
  guint16 port = free_udp_pair ();
  guint changed = 0, nat = 0;
  gint64 deadline;

  g_assert_cmpuint (port, !=, 0);
  port_arg = g_strdup_printf ("--listening-port=%u", port);
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                             &error, "nav-server", "--stun", "-L", "127.0.0.1",
                             "--alt-listening-ip=127.0.0.2", "--no-tls", port_arg, NULL);
  g_assert_no_error (error);
  /* Listening on the four UDP sockets before the probe is sent (its first
   * request would meet a closed port and fail at once). */
  /* The pipe stays open to the end: the server logs each request. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  {
    guint udp = 0;

    while (udp < 4)
      {
        g_autofree gchar *line = g_data_input_stream_read_line (out, NULL, NULL, &error);

        g_assert_no_error (error);
        g_assert_nonnull (line);   /* the server exited */
        if (strstr (line, "event=listening transport=udp") != NULL)
          udp++;
      }
  }

  cap = g_object_new (capability_type (), "poll-interval", 0, NULL);
  g_object_get (cap, "nat-type", &nat, NULL);
  g_assert_cmpuint (nat, ==, 0);   /* unknown until discovered */
  g_signal_connect (cap, "changed", G_CALLBACK (on_changed), &changed);
  stun = g_strdup_printf ("127.0.0.1:%u", port);
  g_object_set (cap, "stun-server", stun, NULL);

  /* A guard against hangs, not a timed assertion. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (changed == 0 && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_object_get (cap, "nat-type", &nat, NULL);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpuint (nat, ==, 1);

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/capability/this-machine", test_this_machine);
  g_test_add_func ("/capability/fake-battery", test_fake_battery);
  g_test_add_func ("/capability/nat-type", test_nat_type);
  return g_test_run ();
}
