/* nav-device-capability.c: what a device can offer as a hub
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <netavanue/netavanue.h>

#include "nav-device-capability.h"

/**
 * NavDeviceCapability:
 *
 * What this device can offer to a group of peers as their hub (the peer
 * that relays and coordinates for the others), read from the system when
 * the object is constructed: processors, memory, and whether it runs on
 * battery.  [property@Nav.DeviceCapability:score] sums them up for the
 * hub election: the highest score wins.
 *
 * Incomplete: the signed exchange of capabilities and the election itself
 * arrive with the election tier; this is the local measurement they will
 * use.
 *
 * Since: 1.0
 */

/* Caps, so that one huge machine does not make every other difference
 * irrelevant, and the score fits in 32 bits. */
#define MAX_SCORED_CPUS 64
#define MAX_SCORED_GIB 256
#define POINTS_PER_CPU 100
#define POINTS_PER_GIB 50
#define BATTERY_DIVISOR 4

#define POWER_SUPPLY_DIR "/sys/class/power_supply"

struct _NavDeviceCapability
{
  GObject parent_instance;

  guint cpu_count;
  guint64 memory_bytes;
  gboolean on_battery;
  guint score;
};

enum {
  PROP_0,
  PROP_CPU_COUNT,
  PROP_MEMORY_BYTES,
  PROP_ON_BATTERY,
  PROP_SCORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavDeviceCapability, nav_device_capability, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL, {})

/**
 * nav_device_capability_register: (skip)
 * @module: the `election` module
 *
 * Registers [class@Nav.DeviceCapability] in @module.
 */
void
nav_device_capability_register (GTypeModule *module)
{
  nav_device_capability_register_type (module);
}

/**
 * nav_device_capability_compute_score:
 * @cpu_count: the number of processors
 * @memory_bytes: the physical memory, 0 when unknown
 * @on_battery: whether the device runs on a discharging battery
 *
 * The hub election score:
 *
 *     score = (100 × min (cpu_count, 64) + 50 × min (memory GiB, 256))
 *             ÷ (on battery ? 4 : 1)
 *
 * and at least 1, so that a device alone can always be elected.  Memory
 * is counted in whole GiB, rounded down.  A hub relays and coordinates
 * for every peer of the group: processors and memory measure how many it
 * can serve, and a battery that would drain under that load divides the
 * score, so that a plugged-in laptop beats a discharging one of the same
 * size.
 *
 * Returns: the score
 */
guint
nav_device_capability_compute_score (guint    cpu_count,
                                     guint64  memory_bytes,
                                     gboolean on_battery)
{
  guint64 gib = memory_bytes / (G_GUINT64_CONSTANT (1) << 30);
  guint score;

  score = POINTS_PER_CPU * MIN (cpu_count, MAX_SCORED_CPUS) +
          POINTS_PER_GIB * (guint) MIN (gib, MAX_SCORED_GIB);
  if (on_battery)
    score /= BATTERY_DIVISOR;
  return MAX (score, 1);
}

/* The MemTotal line of /proc/meminfo, in bytes; 0 when unknown. */
static guint64
read_memory_bytes (void)
{
  g_autofree gchar *contents = NULL;
  g_auto (GStrv) lines = NULL;
  gsize i;

  if (!g_file_get_contents ("/proc/meminfo", &contents, NULL, NULL))
    return 0;

  lines = g_strsplit (contents, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    {
      const gchar *p;
      gchar *end;
      guint64 kib;

      if (!g_str_has_prefix (lines[i], "MemTotal:"))
        continue;
      p = lines[i] + strlen ("MemTotal:");
      while (*p == ' ' || *p == '\t')
        p++;
      kib = g_ascii_strtoull (p, &end, 10);
      if (end == p || kib > G_MAXUINT64 / 1024)
        return 0;
      /* The kernel writes "kB" and means KiB. */
      return kib * 1024;
    }
  return 0;
}

static gchar *
read_attribute (const gchar *supply,
                const gchar *attribute)
{
  g_autofree gchar *path = g_build_filename (POWER_SUPPLY_DIR, supply, attribute, NULL);
  gchar *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return g_strstrip (contents);
}

/* On battery: a power supply of type Battery is Discharging.  A machine
 * with no battery, or whose batteries charge or are full, is on mains. */
static gboolean
read_on_battery (void)
{
  g_autoptr (GDir) dir = g_dir_open (POWER_SUPPLY_DIR, 0, NULL);
  const gchar *name;

  if (dir == NULL)
    return FALSE;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *type = read_attribute (name, "type");
      g_autofree gchar *status = NULL;

      if (g_strcmp0 (type, "Battery") != 0)
        continue;
      status = read_attribute (name, "status");
      if (g_strcmp0 (status, "Discharging") == 0)
        return TRUE;
    }
  return FALSE;
}

static void
nav_device_capability_constructed (GObject *object)
{
  NavDeviceCapability *self = NAV_DEVICE_CAPABILITY (object);

  G_OBJECT_CLASS (nav_device_capability_parent_class)->constructed (object);

  self->cpu_count = g_get_num_processors ();
  self->memory_bytes = read_memory_bytes ();
  self->on_battery = read_on_battery ();
  self->score = nav_device_capability_compute_score (self->cpu_count,
                                                     self->memory_bytes,
                                                     self->on_battery);
}

/* Every property is one of the fields measured at construction. */
static const gsize fields[N_PROPS] = {
  [PROP_CPU_COUNT] = G_STRUCT_OFFSET (NavDeviceCapability, cpu_count),
  [PROP_MEMORY_BYTES] = G_STRUCT_OFFSET (NavDeviceCapability, memory_bytes),
  [PROP_ON_BATTERY] = G_STRUCT_OFFSET (NavDeviceCapability, on_battery),
  [PROP_SCORE] = G_STRUCT_OFFSET (NavDeviceCapability, score),
};

NAV_DEFINE_FIELD_PROPERTIES (nav_device_capability, fields)

static void
nav_device_capability_class_init (NavDeviceCapabilityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_device_capability_constructed;
  object_class->get_property = nav_device_capability_get_property;

  /**
   * NavDeviceCapability:cpu-count:
   *
   * The number of processors available to this process.
   *
   * Since: 1.0
   */
  properties[PROP_CPU_COUNT] =
    g_param_spec_uint ("cpu-count", "CPU count",
                       "The number of processors available",
                       0, G_MAXUINT, 0, ro);

  /**
   * NavDeviceCapability:memory-bytes:
   *
   * The physical memory (`MemTotal` of `/proc/meminfo`), in bytes; 0 when
   * it cannot be read.
   *
   * Since: 1.0
   */
  properties[PROP_MEMORY_BYTES] =
    g_param_spec_uint64 ("memory-bytes", "Memory",
                         "The physical memory in bytes, 0 if unknown",
                         0, G_MAXUINT64, 0, ro);

  /**
   * NavDeviceCapability:on-battery:
   *
   * Whether the device runs on a discharging battery (a power supply of
   * type `Battery` with status `Discharging` in `/sys/class/power_supply`).
   *
   * Since: 1.0
   */
  properties[PROP_ON_BATTERY] =
    g_param_spec_boolean ("on-battery", "On battery",
                          "Whether the device runs on a discharging battery",
                          FALSE, ro);

  /**
   * NavDeviceCapability:score:
   *
   * The hub election score, from the other properties; see
   * [func@Nav.device_capability_compute_score].
   *
   * Since: 1.0
   */
  properties[PROP_SCORE] =
    g_param_spec_uint ("score", "Score",
                       "The hub election score: the highest is elected",
                       0, G_MAXUINT, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nav_device_capability_class_finalize (NavDeviceCapabilityClass *klass)
{
}

static void
nav_device_capability_init (NavDeviceCapability *self)
{
}

/**
 * nav_device_capability_new:
 *
 * Measures this device.
 *
 * Returns: (transfer full): the capability
 */
NavDeviceCapability *
nav_device_capability_new (void)
{
  return g_object_new (NAV_TYPE_DEVICE_CAPABILITY, NULL);
}

guint
nav_device_capability_get_cpu_count (NavDeviceCapability *self)
{
  g_return_val_if_fail (NAV_IS_DEVICE_CAPABILITY (self), 0);
  return self->cpu_count;
}

guint64
nav_device_capability_get_memory_bytes (NavDeviceCapability *self)
{
  g_return_val_if_fail (NAV_IS_DEVICE_CAPABILITY (self), 0);
  return self->memory_bytes;
}

gboolean
nav_device_capability_get_on_battery (NavDeviceCapability *self)
{
  g_return_val_if_fail (NAV_IS_DEVICE_CAPABILITY (self), FALSE);
  return self->on_battery;
}

guint
nav_device_capability_get_score (NavDeviceCapability *self)
{
  g_return_val_if_fail (NAV_IS_DEVICE_CAPABILITY (self), 0);
  return self->score;
}
