/* test-capability.c: NavDeviceCapability (the election module) measured
 * from this machine and from a fake power supply tree
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
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

  remove_tree (root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/capability/this-machine", test_this_machine);
  g_test_add_func ("/capability/fake-battery", test_fake_battery);
  return g_test_run ();
}
