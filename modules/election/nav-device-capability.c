/* nav-device-capability.c: what a device can offer as a hub, measured
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
 * that relays and coordinates for the others), measured from the system
 * by small probes, each of which degrades to "unknown" on its own:
 *
 * - processors (`g_get_num_processors()`) and their model (`/proc/cpuinfo`);
 * - memory (`MemTotal` of `/proc/meminfo`);
 * - battery level and charging state: UPower's display device over D-Bus
 *   when the system bus has UPower, else the `Battery` supplies of
 *   `/sys/class/power_supply` (or of
 *   [property@Nav.DeviceCapability:power-supply-root], which tests point
 *   at a fake tree);
 * - the network type of the default route's interface (sysfs:
 *   `wireless/` is Wi-Fi, `wwan*` cellular, another ARP type 1 device
 *   Ethernet);
 * - the width of the first connected display (`/sys/class/drm`);
 * - the modules of the registry (codecs and tiers);
 * - the NAT type, from the STUN tier's RFC 5780 discovery when
 *   [property@Nav.DeviceCapability:stun-server] is set;
 * - the bandwidth, which is not guessed: the application sets it from
 *   the connections' own statistics;
 * - whether a peer reached this device directly (a link whose ICE
 *   selected pair has no relayed end), set by the application
 *   ([property@Nav.DeviceCapability:reachable]; a `NavGroup`'s election
 *   claims it by itself for its direct links).  Peers verify it: see
 *   `nav_election_is_member_reachable()`.
 *
 * [method@Nav.DeviceCapability.refresh] measures again and emits
 * [signal@Nav.DeviceCapability::changed] if anything differs; it runs
 * every [property@Nav.DeviceCapability:poll-interval] seconds and when
 * `GNetworkMonitor` reports a network change.
 * [property@Nav.DeviceCapability:claims] is what the device signs into
 * its capability records; [property@Nav.DeviceCapability:score] is
 * nav_capability_claims_default_score() of them.
 *
 * Since: 1.0
 */

#define DEFAULT_POWER_SUPPLY_ROOT "/sys/class/power_supply"
#define POWER_SUPPLY_ROOT_ENV "NAV_POWER_SUPPLY_ROOT"
#define UPOWER_TIMEOUT_MS 250

struct _NavDeviceCapability
{
  GObject parent_instance;

  guint cpu_count;
  gchar *cpu_model;
  guint64 memory_bytes;
  gboolean on_battery;
  guint battery_percent;
  gboolean charging;
  gboolean desktop;
  NavNetworkType network_type;
  guint screen_width;
  guint codec_count;
  guint nat_type;
  guint bandwidth_kbps;
  guint reachable;
  guint score;

  gchar *power_supply_root;
  gchar *stun_server;
  GObject *nat_probe;
  guint poll_interval;
  guint poll_id;
  GNetworkMonitor *monitor;
  gulong monitor_id;
};

enum {
  PROP_0,
  PROP_CPU_COUNT,
  PROP_CPU_MODEL,
  PROP_MEMORY_BYTES,
  PROP_ON_BATTERY,
  PROP_BATTERY_PERCENT,
  PROP_CHARGING,
  PROP_DESKTOP,
  PROP_NETWORK_TYPE,
  PROP_SCREEN_WIDTH,
  PROP_CODEC_COUNT,
  PROP_NAT_TYPE,
  PROP_BANDWIDTH_KBPS,
  PROP_REACHABLE,
  PROP_SCORE,
  PROP_CLAIMS,
  PROP_POWER_SUPPLY_ROOT,
  PROP_POLL_INTERVAL,
  PROP_STUN_SERVER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
static guint changed_signal;
static guint refresh_signal;

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

/* ---------------------------------------------------------------- probes */

/* The value after "key:" on the first line of @path that starts with
 * @key; NULL when absent. */
static gchar *
read_keyed_line (const gchar *path,
                 const gchar *key)
{
  g_autofree gchar *contents = NULL;
  g_auto (GStrv) lines = NULL;
  gsize i;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    {
      const gchar *colon;

      if (!g_str_has_prefix (lines[i], key) || (colon = strchr (lines[i], ':')) == NULL)
        continue;
      return g_strstrip (g_strdup (colon + 1));
    }
  return NULL;
}

/* MemTotal, in bytes; 0 when unknown. */
static guint64
read_memory_bytes (void)
{
  g_autofree gchar *value = read_keyed_line ("/proc/meminfo", "MemTotal");
  gchar *end;
  guint64 kib;

  if (value == NULL)
    return 0;
  kib = g_ascii_strtoull (value, &end, 10);
  if (end == value || kib > G_MAXUINT64 / 1024)
    return 0;
  /* The kernel writes "kB" and means KiB. */
  return kib * 1024;
}

static gchar *
read_cpu_model (void)
{
  gchar *model = read_keyed_line ("/proc/cpuinfo", "model name");

  if (model == NULL)
    model = read_keyed_line ("/proc/cpuinfo", "Hardware");   /* ARM */
  return model;
}

static gchar *
read_trimmed (const gchar *path)
{
  gchar *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return g_strstrip (contents);
}

typedef struct
{
  gboolean found;
  guint percent;
  gboolean charging;
  gboolean discharging;
} Battery;

/* The Battery supplies of @root: the lowest level, charging if any
 * charges or is full (a machine on mains). */
static void
read_sysfs_battery (const gchar *root,
                    Battery     *battery)
{
  g_autoptr (GDir) dir = g_dir_open (root, 0, NULL);
  const gchar *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *type_path = g_build_filename (root, name, "type", NULL);
      g_autofree gchar *status_path = g_build_filename (root, name, "status", NULL);
      g_autofree gchar *capacity_path = g_build_filename (root, name, "capacity", NULL);
      g_autofree gchar *online_path = g_build_filename (root, name, "online", NULL);
      g_autofree gchar *type = read_trimmed (type_path);
      g_autofree gchar *status = NULL;
      g_autofree gchar *capacity = NULL;
      g_autofree gchar *online = NULL;

      if (g_strcmp0 (type, "Mains") == 0)
        {
          online = read_trimmed (online_path);
          if (g_strcmp0 (online, "1") == 0)
            battery->charging = TRUE;
          continue;
        }
      if (g_strcmp0 (type, "Battery") != 0)
        continue;
      status = read_trimmed (status_path);
      capacity = read_trimmed (capacity_path);
      if (capacity != NULL)
        {
          guint64 v;

          if (g_ascii_string_to_unsigned (capacity, 10, 0, 100, &v, NULL))
            battery->percent = battery->found ? MIN (battery->percent, (guint) v) : (guint) v;
          else
            continue;
        }
      else if (!battery->found)
        battery->percent = 100;
      battery->found = TRUE;
      if (g_strcmp0 (status, "Charging") == 0 || g_strcmp0 (status, "Full") == 0)
        battery->charging = TRUE;
      else if (g_strcmp0 (status, "Discharging") == 0)
        battery->discharging = TRUE;
    }
}

/* UPower's display device (the composite battery): Type 2 is a battery,
 * State 1 charging, 2 discharging, 4 fully charged.  FALSE when UPower
 * is not there. */
static gboolean
read_upower_battery (Battery *battery)
{
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) props = NULL;
  guint32 type = 0, state = 0;
  gdouble percentage = 0;
  gboolean present = FALSE;

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, NULL);
  if (bus == NULL)
    return FALSE;
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.UPower",
                                       "/org/freedesktop/UPower/devices/DisplayDevice",
                                       "org.freedesktop.DBus.Properties", "GetAll",
                                       g_variant_new ("(s)", "org.freedesktop.UPower.Device"),
                                       G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE,
                                       UPOWER_TIMEOUT_MS, NULL, NULL);
  if (reply == NULL)
    return FALSE;
  props = g_variant_get_child_value (reply, 0);
  g_variant_lookup (props, "Type", "u", &type);
  g_variant_lookup (props, "State", "u", &state);
  g_variant_lookup (props, "Percentage", "d", &percentage);
  g_variant_lookup (props, "IsPresent", "b", &present);
  if (type == 2 && present)
    {
      battery->found = TRUE;
      battery->percent = (guint) CLAMP (percentage, 0, 100);
      battery->charging = state == 1 || state == 4;
      battery->discharging = state == 2;
    }
  return TRUE;
}

/* The interface of the IPv4 default route (/proc/net/route). */
static gchar *
default_route_interface (void)
{
  g_autofree gchar *contents = NULL;
  g_auto (GStrv) lines = NULL;
  gsize i;

  if (!g_file_get_contents ("/proc/net/route", &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (i = 1; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = g_strsplit_set (lines[i], " \t", -1);
      gchar *name = NULL, *destination = NULL;
      gsize k;

      for (k = 0; fields[k] != NULL; k++)
        {
          if (*fields[k] == '\0')
            continue;
          if (name == NULL)
            name = fields[k];
          else
            {
              destination = fields[k];
              break;
            }
        }
      if (name != NULL && g_strcmp0 (destination, "00000000") == 0)
        return g_strdup (name);
    }
  return NULL;
}

static NavNetworkType
read_network_type (void)
{
  g_autofree gchar *ifname = default_route_interface ();
  g_autofree gchar *wireless = NULL;
  g_autofree gchar *type_path = NULL;
  g_autofree gchar *type = NULL;

  if (ifname == NULL || strchr (ifname, '/') != NULL)
    return NAV_NETWORK_TYPE_UNKNOWN;
  if (g_str_has_prefix (ifname, "wwan") || g_str_has_prefix (ifname, "rmnet"))
    return NAV_NETWORK_TYPE_CELLULAR;
  wireless = g_build_filename ("/sys/class/net", ifname, "wireless", NULL);
  if (g_file_test (wireless, G_FILE_TEST_IS_DIR))
    return NAV_NETWORK_TYPE_WIFI;
  type_path = g_build_filename ("/sys/class/net", ifname, "type", NULL);
  type = read_trimmed (type_path);
  /* ARPHRD_ETHER: a wired link, a bridge or veth of one. */
  if (g_strcmp0 (type, "1") == 0)
    return NAV_NETWORK_TYPE_ETHERNET;
  return NAV_NETWORK_TYPE_UNKNOWN;
}

/* The width of the first mode of the first connected DRM connector. */
static guint
read_screen_width (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/sys/class/drm", 0, NULL);
  const gchar *name;

  if (dir == NULL)
    return 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *status_path = g_build_filename ("/sys/class/drm", name, "status", NULL);
      g_autofree gchar *modes_path = g_build_filename ("/sys/class/drm", name, "modes", NULL);
      g_autofree gchar *status = read_trimmed (status_path);
      g_autofree gchar *modes = NULL;
      guint64 width;

      if (g_strcmp0 (status, "connected") != 0)
        continue;
      modes = read_trimmed (modes_path);
      if (modes != NULL && g_ascii_string_to_unsigned (modes, 10, 1, 16384, &width, NULL))
        return width;
      if (modes != NULL)
        {
          gchar *end;

          width = g_ascii_strtoull (modes, &end, 10);
          if (end != modes && *end == 'x' && width > 0 && width <= 16384)
            return width;
        }
    }
  return 0;
}

static guint
read_codec_count (void)
{
  GList *modules = nav_registry_list_modules (nav_registry_get_default ());
  guint n = g_list_length (modules);

  g_list_free_full (modules, g_object_unref);
  return n;
}

/* ---------------------------------------------------------------- NAT */

static void set_measured (NavDeviceCapability *self, guint *field, guint value);

/* The claims' NAT type from the mapping behaviour RFC 5780 §4.3 found:
 * what decides whether peers can reach a hub directly. */
static guint
nat_type_from_mapping (const gchar *mapping)
{
  if (g_strcmp0 (mapping, "no-nat") == 0)
    return 1;
  if (g_strcmp0 (mapping, "endpoint-independent") == 0)
    return 2;
  if (g_strcmp0 (mapping, "address-dependent") == 0)
    return 3;
  if (g_strcmp0 (mapping, "address-and-port-dependent") == 0)
    return 4;
  return 0;
}

static void
on_nat_result (GObject             *probe,
               GVariant            *result,
               NavDeviceCapability *self)
{
  const gchar *mapping = NULL;

  if (g_variant_lookup (result, "mapping", "&s", &mapping))
    set_measured (self, &self->nat_type, nat_type_from_mapping (mapping));
}

static void
on_nat_failed (GObject             *probe,
               GError              *error,
               NavDeviceCapability *self)
{
  g_debug ("capability: NAT discovery against %s failed: %s", self->stun_server, error->message);
}

/* Runs the STUN tier's NAT discovery against the server set; nothing if
 * the stun module is not installed (the type stays unknown). */
static void
start_nat_discovery (NavDeviceCapability *self)
{
  g_autoptr (GError) error = NULL;

  if (self->nat_probe != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->nat_probe, self);
      nav_gatherer_stop (NAV_GATHERER (self->nat_probe));
      g_clear_object (&self->nat_probe);
    }
  if (self->stun_server == NULL)
    return;
  self->nat_probe = nav_registry_create (nav_registry_get_default (),
                                         NAV_GATHERER_EXTENSION_POINT_NAME, "stun-probe", &error,
                                         "server", self->stun_server, "nat-discovery", TRUE, NULL);
  if (self->nat_probe == NULL)
    {
      g_debug ("capability: no NAT discovery: %s", error->message);
      return;
    }
  g_signal_connect (self->nat_probe, "result", G_CALLBACK (on_nat_result), self);
  g_signal_connect (self->nat_probe, "failed", G_CALLBACK (on_nat_failed), self);
  nav_gatherer_gather (NAV_GATHERER (self->nat_probe), 1, 1, NULL);
}

/* ---------------------------------------------------------------- object */

static void
fill_claims (NavDeviceCapability *self,
             NavCapabilityClaims *c)
{
  memset (c, 0, sizeof *c);
  c->cpu_count = MIN (self->cpu_count, 1024);
  c->memory_mb = (guint32) MIN (self->memory_bytes >> 20, 64u * 1024 * 1024);
  c->battery_percent = self->battery_percent;
  c->charging = self->charging;
  c->desktop = self->desktop;
  c->network_type = self->network_type;
  c->bandwidth_kbps = self->bandwidth_kbps;
  c->screen_width = MIN (self->screen_width, 16384);
  c->codec_count = MIN (self->codec_count, 1024);
  c->nat_type = MIN (self->nat_type, 4);
  c->reachable = self->reachable != 0;
}

static void
update_score (NavDeviceCapability *self)
{
  NavCapabilityClaims c;

  fill_claims (self, &c);
  self->score = nav_capability_claims_default_score (&c);
}

/**
 * nav_device_capability_refresh:
 * @self: a capability
 *
 * Measures the device again.
 *
 * Returns: %TRUE if anything changed (and
 *   [signal@Nav.DeviceCapability::changed] was emitted)
 *
 * Since: 1.0
 */
gboolean
nav_device_capability_refresh (NavDeviceCapability *self)
{
  NavCapabilityClaims before, after;
  Battery battery = { 0 };
  gboolean upower = FALSE;

  g_return_val_if_fail (NAV_IS_DEVICE_CAPABILITY (self), FALSE);

  fill_claims (self, &before);

  self->cpu_count = g_get_num_processors ();
  g_free (self->cpu_model);
  self->cpu_model = read_cpu_model ();
  self->memory_bytes = read_memory_bytes ();

  /* The fake tree of a test wins over the system's UPower. */
  if (g_strcmp0 (self->power_supply_root, DEFAULT_POWER_SUPPLY_ROOT) == 0)
    upower = read_upower_battery (&battery);
  if (!upower)
    read_sysfs_battery (self->power_supply_root, &battery);
  self->battery_percent = battery.found ? battery.percent : NAV_BATTERY_NONE;
  /* "Not charging" (a charge threshold reached on mains) counts as mains:
   * only a discharging battery is on battery. */
  self->charging = battery.found ? !battery.discharging : TRUE;
  self->on_battery = battery.found && battery.discharging;
  /* No battery at all: a desktop (or a server). */
  self->desktop = !battery.found;

  self->network_type = read_network_type ();
  self->screen_width = read_screen_width ();
  self->codec_count = read_codec_count ();
  update_score (self);

  fill_claims (self, &after);
  if (memcmp (&before, &after, sizeof before) == 0)
    return FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLAIMS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCORE]);
  g_signal_emit (self, changed_signal, 0);
  return TRUE;
}

static gboolean
poll_cb (gpointer data)
{
  nav_device_capability_refresh (data);
  return G_SOURCE_CONTINUE;
}

static void
network_changed_cb (GNetworkMonitor *monitor,
                    gboolean         available,
                    gpointer         data)
{
  nav_device_capability_refresh (data);
}

static void
restart_poll (NavDeviceCapability *self)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->poll_interval > 0)
    self->poll_id = g_timeout_add_seconds (self->poll_interval, poll_cb, self);
}

static void
nav_device_capability_constructed (GObject *object)
{
  NavDeviceCapability *self = NAV_DEVICE_CAPABILITY (object);

  G_OBJECT_CLASS (nav_device_capability_parent_class)->constructed (object);

  if (self->power_supply_root == NULL)
    {
      const gchar *env = g_getenv (POWER_SUPPLY_ROOT_ENV);

      self->power_supply_root = g_strdup (env != NULL && *env != '\0' ? env :
                                          DEFAULT_POWER_SUPPLY_ROOT);
    }
  /* Silently: nobody is connected to ::changed yet. */
  nav_device_capability_refresh (self);
  restart_poll (self);
  self->monitor = g_object_ref (g_network_monitor_get_default ());
  self->monitor_id = g_signal_connect (self->monitor, "network-changed",
                                       G_CALLBACK (network_changed_cb), self);
}

static void
nav_device_capability_dispose (GObject *object)
{
  NavDeviceCapability *self = NAV_DEVICE_CAPABILITY (object);

  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->nat_probe != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->nat_probe, self);
      nav_gatherer_stop (NAV_GATHERER (self->nat_probe));
      g_clear_object (&self->nat_probe);
    }
  if (self->monitor != NULL)
    g_clear_signal_handler (&self->monitor_id, self->monitor);
  g_clear_object (&self->monitor);
  G_OBJECT_CLASS (nav_device_capability_parent_class)->dispose (object);
}

static void
nav_device_capability_finalize (GObject *object)
{
  NavDeviceCapability *self = NAV_DEVICE_CAPABILITY (object);

  g_free (self->cpu_model);
  g_free (self->power_supply_root);
  g_free (self->stun_server);
  G_OBJECT_CLASS (nav_device_capability_parent_class)->finalize (object);
}

static void
nav_device_capability_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  NavDeviceCapability *self = NAV_DEVICE_CAPABILITY (object);

  switch (prop_id)
    {
    case PROP_CPU_COUNT: g_value_set_uint (value, self->cpu_count); break;
    case PROP_CPU_MODEL: g_value_set_string (value, self->cpu_model); break;
    case PROP_MEMORY_BYTES: g_value_set_uint64 (value, self->memory_bytes); break;
    case PROP_ON_BATTERY: g_value_set_boolean (value, self->on_battery); break;
    case PROP_BATTERY_PERCENT: g_value_set_uint (value, self->battery_percent); break;
    case PROP_CHARGING: g_value_set_boolean (value, self->charging); break;
    case PROP_DESKTOP: g_value_set_boolean (value, self->desktop); break;
    case PROP_NETWORK_TYPE: g_value_set_enum (value, self->network_type); break;
    case PROP_SCREEN_WIDTH: g_value_set_uint (value, self->screen_width); break;
    case PROP_CODEC_COUNT: g_value_set_uint (value, self->codec_count); break;
    case PROP_NAT_TYPE: g_value_set_uint (value, self->nat_type); break;
    case PROP_BANDWIDTH_KBPS: g_value_set_uint (value, self->bandwidth_kbps); break;
    case PROP_REACHABLE: g_value_set_boolean (value, self->reachable != 0); break;
    case PROP_SCORE: g_value_set_uint (value, self->score); break;
    case PROP_CLAIMS:
      {
        NavCapabilityClaims c;

        fill_claims (self, &c);
        g_value_set_boxed (value, &c);
      }
      break;
    case PROP_POWER_SUPPLY_ROOT: g_value_set_string (value, self->power_supply_root); break;
    case PROP_POLL_INTERVAL: g_value_set_uint (value, self->poll_interval); break;
    case PROP_STUN_SERVER: g_value_set_string (value, self->stun_server); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_measured (NavDeviceCapability *self,
              guint               *field,
              guint                value)
{
  if (*field == value)
    return;
  *field = value;
  update_score (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLAIMS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCORE]);
  g_signal_emit (self, changed_signal, 0);
}

static void
nav_device_capability_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  NavDeviceCapability *self = NAV_DEVICE_CAPABILITY (object);

  switch (prop_id)
    {
    case PROP_NAT_TYPE:
      set_measured (self, &self->nat_type, g_value_get_uint (value));
      break;
    case PROP_BANDWIDTH_KBPS:
      set_measured (self, &self->bandwidth_kbps, g_value_get_uint (value));
      break;
    case PROP_REACHABLE:
      set_measured (self, &self->reachable, g_value_get_boolean (value) ? 1 : 0);
      break;
    case PROP_POWER_SUPPLY_ROOT:
      g_free (self->power_supply_root);
      self->power_supply_root = g_value_dup_string (value);
      break;
    case PROP_POLL_INTERVAL:
      self->poll_interval = g_value_get_uint (value);
      if (self->power_supply_root != NULL)   /* after construction */
        restart_poll (self);
      break;
    case PROP_STUN_SERVER:
      g_free (self->stun_server);
      self->stun_server = g_value_dup_string (value);
      start_nat_discovery (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_device_capability_class_init (NavDeviceCapabilityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_device_capability_constructed;
  object_class->dispose = nav_device_capability_dispose;
  object_class->finalize = nav_device_capability_finalize;
  object_class->get_property = nav_device_capability_get_property;
  object_class->set_property = nav_device_capability_set_property;

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
   * NavDeviceCapability:cpu-model:
   *
   * The processor model (`model name` of `/proc/cpuinfo`), %NULL if
   * unknown.
   *
   * Since: 1.0
   */
  properties[PROP_CPU_MODEL] =
    g_param_spec_string ("cpu-model", NULL, NULL, NULL, ro);

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
   * Whether the device runs on a discharging battery.
   *
   * Since: 1.0
   */
  properties[PROP_ON_BATTERY] =
    g_param_spec_boolean ("on-battery", "On battery",
                          "Whether the device runs on a discharging battery",
                          FALSE, ro);

  /**
   * NavDeviceCapability:battery-percent:
   *
   * The battery level (the lowest of several batteries), or
   * %NAV_BATTERY_NONE without a battery.
   *
   * Since: 1.0
   */
  properties[PROP_BATTERY_PERCENT] =
    g_param_spec_uint ("battery-percent", NULL, NULL, 0, NAV_BATTERY_NONE,
                       NAV_BATTERY_NONE, ro);

  /**
   * NavDeviceCapability:charging:
   *
   * Whether the device is on mains (charging, full, or without a battery).
   *
   * Since: 1.0
   */
  properties[PROP_CHARGING] =
    g_param_spec_boolean ("charging", NULL, NULL, TRUE, ro);

  /**
   * NavDeviceCapability:desktop:
   *
   * Whether the device has no battery (a desktop or a server).
   *
   * Since: 1.0
   */
  properties[PROP_DESKTOP] =
    g_param_spec_boolean ("desktop", NULL, NULL, FALSE, ro);

  /**
   * NavDeviceCapability:network-type:
   *
   * The kind of link of the default route.
   *
   * Since: 1.0
   */
  properties[PROP_NETWORK_TYPE] =
    g_param_spec_enum ("network-type", NULL, NULL, NAV_TYPE_NETWORK_TYPE,
                       NAV_NETWORK_TYPE_UNKNOWN, ro);

  /**
   * NavDeviceCapability:screen-width:
   *
   * The width in pixels of the first connected display, 0 without one.
   *
   * Since: 1.0
   */
  properties[PROP_SCREEN_WIDTH] =
    g_param_spec_uint ("screen-width", NULL, NULL, 0, G_MAXUINT, 0, ro);

  /**
   * NavDeviceCapability:codec-count:
   *
   * The modules of the registry (tiers and codecs this device offers).
   *
   * Since: 1.0
   */
  properties[PROP_CODEC_COUNT] =
    g_param_spec_uint ("codec-count", NULL, NULL, 0, G_MAXUINT, 0, ro);

  /**
   * NavDeviceCapability:nat-type:
   *
   * The NAT type as the STUN tier's RFC 5780 discovery found it (see
   * [struct@Nav.CapabilityClaims]); set by whoever ran the discovery.
   *
   * Since: 1.0
   */
  properties[PROP_NAT_TYPE] =
    g_param_spec_uint ("nat-type", NULL, NULL, 0, 4, 0, rw);

  /**
   * NavDeviceCapability:bandwidth-kbps:
   *
   * The bandwidth measured to the group (from the connections' own
   * statistics), kbit/s; 0 until measured.
   *
   * Since: 1.0
   */
  properties[PROP_BANDWIDTH_KBPS] =
    g_param_spec_uint ("bandwidth-kbps", NULL, NULL, 0, 400000000, 0, rw);

  /**
   * NavDeviceCapability:reachable:
   *
   * Whether some peer's direct link to this device succeeded (its ICE
   * selected pair had no relayed end: the peer reached this device
   * without a TURN server); set by whoever made the link, %FALSE until
   * then.  It is a claim: the other members count it only when a peer
   * that has such a link lists this device in its own signed record
   * (`nav_election_is_member_reachable()`); the default score has no
   * term for it.
   *
   * Since: 1.0
   */
  properties[PROP_REACHABLE] =
    g_param_spec_boolean ("reachable", NULL, NULL, FALSE, rw);

  /**
   * NavDeviceCapability:score:
   *
   * The hub election score: nav_capability_claims_default_score() of
   * [property@Nav.DeviceCapability:claims].
   *
   * Since: 1.0
   */
  properties[PROP_SCORE] =
    g_param_spec_uint ("score", "Score",
                       "The hub election score: the highest is elected",
                       0, G_MAXUINT, 0, ro);

  /**
   * NavDeviceCapability:claims:
   *
   * The measurements as the claims of a capability record.
   *
   * Since: 1.0
   */
  properties[PROP_CLAIMS] =
    g_param_spec_boxed ("claims", NULL, NULL, NAV_TYPE_CAPABILITY_CLAIMS, ro);

  /**
   * NavDeviceCapability:power-supply-root:
   *
   * The directory of power supplies to read (default
   * `/sys/class/power_supply`, or `$NAV_POWER_SUPPLY_ROOT`); another
   * directory also disables UPower, so that a test's fake battery is read.
   *
   * Since: 1.0
   */
  properties[PROP_POWER_SUPPLY_ROOT] =
    g_param_spec_string ("power-supply-root", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NavDeviceCapability:poll-interval:
   *
   * Seconds between two measurements (battery and display have no cheap
   * notification without UPower); 0 measures only on
   * [method@Nav.DeviceCapability.refresh] and network changes.
   *
   * Since: 1.0
   */
  properties[PROP_POLL_INTERVAL] =
    g_param_spec_uint ("poll-interval", NULL, NULL, 0, 3600, 5,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * NavDeviceCapability:stun-server:
   *
   * A STUN server with RFC 5780 support (`HOST:PORT`): when set, the STUN
   * tier's NAT discovery runs against it and sets
   * [property@Nav.DeviceCapability:nat-type] from the mapping behaviour
   * it finds (1 no NAT, 2 endpoint-independent, 3 address-dependent,
   * 4 address-and-port-dependent).
   *
   * Since: 1.0
   */
  properties[PROP_STUN_SERVER] =
    g_param_spec_string ("stun-server", NULL, NULL, NULL, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NavDeviceCapability::changed:
   * @self: the capability
   *
   * Emitted when a measurement changes (plugged in, network switched,
   * module loaded, NAT type, bandwidth or reachability set).
   *
   * Since: 1.0
   */
  changed_signal = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * NavDeviceCapability::refresh:
   * @self: the capability
   *
   * An action signal: emit it to measure again now (the type is the
   * module's, reached by name, so its methods are not linkable).
   *
   * Returns: %TRUE if anything changed
   *
   * Since: 1.0
   */
  refresh_signal = g_signal_new_class_handler ("refresh", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                                               G_CALLBACK (nav_device_capability_refresh),
                                               NULL, NULL, NULL, G_TYPE_BOOLEAN, 0);
}

static void
nav_device_capability_class_finalize (NavDeviceCapabilityClass *klass)
{
}

static void
nav_device_capability_init (NavDeviceCapability *self)
{
  self->battery_percent = NAV_BATTERY_NONE;
  self->charging = TRUE;
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
