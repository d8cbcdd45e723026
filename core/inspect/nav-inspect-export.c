/* nav-inspect-export.c: the process's agents, peer connections and
 * servers on D-Bus, read-only, for nav-inspect --live
 *
 * Every NavAgent and NavPeerConnection is tracked from construction (a
 * weak reference in a table: nothing else).  Once the export is started
 * (NAV_DEBUG_EXPORT=1, or nav_inspect_export_start()), a thread of its
 * own serves them: on the session bus under the name
 * org.netavanue.Inspect.P<pid> when there is a session bus, otherwise on
 * a peer-to-peer D-Bus socket $XDG_RUNTIME_DIR/netavanue/<pid>.socket.
 * The objects are a subtree enumerated when asked for, so an object
 * that goes simply stops being listed; ObjectRemoved says so to those
 * attached.  Events (state changes, selected pairs, gathering) are
 * forwarded only while a client is attached (or on the bus): unattended,
 * the export costs a test of a counter per event, and nothing per
 * datagram.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "inspect/nav-inspect-private.h"

#define PROCESS_IFACE "org.netavanue.Inspect.Process"
#define OBJECT_IFACE "org.netavanue.Inspect.Object"
/* How long GetStats waits for a peer connection's main context. */
#define STATS_TIMEOUT_US (2 * G_USEC_PER_SEC)

static const gchar introspection_xml[] =
  "<node>"
  "  <interface name='" PROCESS_IFACE "'>"
  "    <method name='ListObjects'>"
  "      <arg name='objects' type='a(sss)' direction='out'/>"
  "    </method>"
  "    <property name='Pid' type='u' access='read'/>"
  "    <property name='Program' type='s' access='read'/>"
  "    <property name='Version' type='s' access='read'/>"
  "    <signal name='ObjectAdded'>"
  "      <arg name='name' type='s'/>"
  "      <arg name='type' type='s'/>"
  "    </signal>"
  "    <signal name='ObjectRemoved'>"
  "      <arg name='name' type='s'/>"
  "    </signal>"
  "  </interface>"
  "  <interface name='" OBJECT_IFACE "'>"
  "    <method name='GetStats'>"
  "      <arg name='stats' type='a{sa{sv}}' direction='out'/>"
  "    </method>"
  "    <method name='GetProperties'>"
  "      <arg name='properties' type='a{sv}' direction='out'/>"
  "    </method>"
  "    <property name='Name' type='s' access='read'/>"
  "    <property name='Type' type='s' access='read'/>"
  "    <property name='State' type='s' access='read'/>"
  "    <signal name='Event'>"
  "      <arg name='kind' type='s'/>"
  "      <arg name='details' type='a{sv}'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

typedef struct {
  gchar *name;                  /* "agent1", "peer_connection2", … */
  gchar *type;
  GWeakRef ref;
  GMainContext *context;        /* a peer connection's: its stats are read there */
  gchar *state;                 /* a summary, from the last event */
  gboolean hooked;              /* its signals are forwarded */
} Record;

static GMutex lock;
static GHashTable *records;     /* name → Record */
static GHashTable *counters;    /* kind → last number */
static gboolean active;
static gint n_clients;          /* atomic: p2p connections, +1 for the bus */

/* The export thread's, set up once. */
static GMainContext *export_context;
static GDBusNodeInfo *node_info;
static GDBusServer *server;
static GDBusConnection *bus;
static GPtrArray *connections;  /* GDBusConnection: the bus's, or each p2p client's */
static gchar *address;
static gchar *socket_path;

static void
record_free (gpointer data)
{
  Record *r = data;

  g_weak_ref_clear (&r->ref);
  g_free (r->name);
  g_free (r->type);
  g_free (r->state);
  g_clear_pointer (&r->context, g_main_context_unref);
  g_free (r);
}

/* ----------------------------------------------------------- emitting */

typedef struct {
  gchar *path;
  gchar *iface;
  gchar *signal;
  GVariant *params;
} Emission;

static gboolean
emit_in_thread (gpointer data)
{
  Emission *e = data;

  for (guint i = 0; connections != NULL && i < connections->len; i++)
    g_dbus_connection_emit_signal (g_ptr_array_index (connections, i), NULL, e->path, e->iface,
                                   e->signal, e->params, NULL);
  return G_SOURCE_REMOVE;
}

static void
emission_free (gpointer data)
{
  Emission *e = data;

  g_free (e->path);
  g_free (e->iface);
  g_free (e->signal);
  g_variant_unref (e->params);
  g_free (e);
}

/* From any thread: a signal to everyone attached, from the export's
 * thread. */
static void
emit (const gchar *path,
      const gchar *iface,
      const gchar *signal,
      GVariant    *params)
{
  Emission *e = g_new0 (Emission, 1);

  e->path = g_strdup (path);
  e->iface = g_strdup (iface);
  e->signal = g_strdup (signal);
  e->params = g_variant_ref_sink (params);
  g_main_context_invoke_full (export_context, G_PRIORITY_DEFAULT, emit_in_thread, e, emission_free);
}

static gboolean
attached (void)
{
  return g_atomic_int_get (&n_clients) > 0;
}

/* The summary of @name's object; whether it changed. */
static gboolean
set_state (const gchar *name,
           const gchar *state)
{
  gboolean changed = FALSE;
  Record *r;

  g_mutex_lock (&lock);
  r = records != NULL ? g_hash_table_lookup (records, name) : NULL;
  if (r != NULL && g_strcmp0 (r->state, state) != 0)
    {
      g_free (r->state);
      r->state = g_strdup (state);
      changed = TRUE;
    }
  g_mutex_unlock (&lock);
  return changed;
}

/* An event of @name's object: Event, and PropertiesChanged when @state
 * changed the summary. */
static void
object_event (const gchar *name,
              const gchar *kind,
              GVariant    *details,
              const gchar *state)
{
  g_autofree gchar *path = g_strdup_printf (NAV_INSPECT_OBJECT_PATH "/%s", name);
  gboolean changed = FALSE;

  g_variant_ref_sink (details);
  if (state != NULL)
    changed = set_state (name, state);
  emit (path, OBJECT_IFACE, "Event", g_variant_new ("(s@a{sv})", kind, details));
  if (changed)
    {
      GVariantBuilder b;

      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&b, "{sv}", "State", g_variant_new_string (state));
      emit (path, "org.freedesktop.DBus.Properties", "PropertiesChanged",
            g_variant_new ("(sa{sv}as)", OBJECT_IFACE, &b, NULL));
    }
  g_variant_unref (details);
}

/* ------------------------------------------------ the objects' signals */

static const gchar *
component_state_name (guint state)
{
  static const gchar *const names[] = {
    "disconnected", "gathering", "connecting", "connected", "ready", "failed",
  };

  return state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

static void
on_component_state (NavAgent *agent,
                    guint     stream_id,
                    guint     component_id,
                    guint     state,
                    gchar    *name)
{
  GVariantBuilder b;
  g_autofree gchar *summary = g_strdup_printf ("stream %u component %u %s", stream_id, component_id,
                                               component_state_name (state));

  /* The summary ListObjects gives is kept in any case (a state change
   * is rare); the event only goes to those attached. */
  if (!attached ())
    {
      set_state (name, summary);
      return;
    }
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "stream", g_variant_new_uint32 (stream_id));
  g_variant_builder_add (&b, "{sv}", "component", g_variant_new_uint32 (component_id));
  g_variant_builder_add (&b, "{sv}", "state", g_variant_new_string (component_state_name (state)));
  object_event (name, "component-state-changed", g_variant_builder_end (&b), summary);
}

static gchar *
describe_candidate (const NavCandidate *c)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  return g_strdup_printf ("%s %s %s", nav_address_to_string_buf (&c->addr, buf),
                          nav_candidate_type_to_string (c->type),
                          nav_candidate_transport_to_string (c->transport));
}

static void
on_selected_pair (NavAgent     *agent,
                  guint         stream_id,
                  guint         component_id,
                  NavCandidate *local,
                  NavCandidate *remote,
                  gchar        *name)
{
  GVariantBuilder b;
  g_autofree gchar *l = NULL;
  g_autofree gchar *r = NULL;

  if (!attached ())
    return;
  l = describe_candidate (local);
  r = describe_candidate (remote);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "stream", g_variant_new_uint32 (stream_id));
  g_variant_builder_add (&b, "{sv}", "component", g_variant_new_uint32 (component_id));
  g_variant_builder_add (&b, "{sv}", "local", g_variant_new_string (l));
  g_variant_builder_add (&b, "{sv}", "remote", g_variant_new_string (r));
  object_event (name, "new-selected-pair", g_variant_builder_end (&b), NULL);
}

static void
on_new_candidate (NavAgent     *agent,
                  NavCandidate *candidate,
                  gchar        *name)
{
  GVariantBuilder b;
  g_autofree gchar *c = NULL;

  if (!attached ())
    return;
  c = describe_candidate (candidate);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "stream", g_variant_new_uint32 (candidate->stream_id));
  g_variant_builder_add (&b, "{sv}", "component", g_variant_new_uint32 (candidate->component_id));
  g_variant_builder_add (&b, "{sv}", "candidate", g_variant_new_string (c));
  object_event (name, "new-candidate", g_variant_builder_end (&b), NULL);
}

static void
on_gathering_done (NavAgent *agent,
                   guint     stream_id,
                   gchar    *name)
{
  GVariantBuilder b;

  if (!attached ())
    return;
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "stream", g_variant_new_uint32 (stream_id));
  object_event (name, "gathering-done", g_variant_builder_end (&b), NULL);
}

static void
on_gathering_error (NavAgent     *agent,
                    guint         stream_id,
                    guint         component_id,
                    const GError *error,
                    gchar        *name)
{
  GVariantBuilder b;

  if (!attached ())
    return;
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "stream", g_variant_new_uint32 (stream_id));
  g_variant_builder_add (&b, "{sv}", "component", g_variant_new_uint32 (component_id));
  g_variant_builder_add (&b, "{sv}", "error", g_variant_new_string (error->message));
  object_event (name, "gathering-error", g_variant_builder_end (&b), NULL);
}

/* Any object: a property that changed (a peer connection's states, a
 * server's), with its value when it is a simple one. */
static GVariant *property_value (GObject *object, GParamSpec *pspec);

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gchar      *name)
{
  GVariantBuilder b;
  g_autoptr (GVariant) value = NULL;
  g_autofree gchar *summary = NULL;

  if (!attached ())
    {
      if (g_str_equal (pspec->name, "connection-state"))
        {
          value = property_value (object, pspec);
          if (value != NULL)
            set_state (name, g_variant_get_string (value, NULL));
        }
      return;
    }
  /* property_value() gives a floating reference: the builder would take
   * it over, and the g_autoptr above unref it once more (a notification
   * of a number, while a client was attached, freed the value under the
   * emission still queued for the export's thread). */
  value = property_value (object, pspec);
  if (value != NULL)
    g_variant_ref_sink (value);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "property", g_variant_new_string (pspec->name));
  if (value != NULL)
    g_variant_builder_add (&b, "{sv}", "value", value);
  if (g_str_equal (pspec->name, "connection-state") && value != NULL &&
      g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    summary = g_strdup (g_variant_get_string (value, NULL));
  object_event (name, "notify", g_variant_builder_end (&b), summary);
}

/* Called with the lock held. */
static void
hook (Record  *r,
      GObject *object)
{
  if (r->hooked)
    return;
  r->hooked = TRUE;
  if (NAV_IS_AGENT (object))
    {
      g_signal_connect_data (object, "component-state-changed", G_CALLBACK (on_component_state),
                             g_strdup (r->name), (GClosureNotify) g_free, 0);
      g_signal_connect_data (object, "new-selected-pair-full", G_CALLBACK (on_selected_pair),
                             g_strdup (r->name), (GClosureNotify) g_free, 0);
      g_signal_connect_data (object, "new-candidate-full", G_CALLBACK (on_new_candidate),
                             g_strdup (r->name), (GClosureNotify) g_free, 0);
      g_signal_connect_data (object, "candidate-gathering-done", G_CALLBACK (on_gathering_done),
                             g_strdup (r->name), (GClosureNotify) g_free, 0);
      /* A TURN server that refused the credentials, a STUN server that
       * never answered. */
      g_signal_connect_data (object, "gathering-error", G_CALLBACK (on_gathering_error),
                             g_strdup (r->name), (GClosureNotify) g_free, 0);
    }
  else
    g_signal_connect_data (object, "notify", G_CALLBACK (on_notify), g_strdup (r->name),
                           (GClosureNotify) g_free, 0);
}

/* ------------------------------------------------------------ tracking */

static void
on_object_gone (gpointer  data,
                GObject  *where_the_object_was)
{
  gchar *name = data;
  gboolean was_active;

  g_mutex_lock (&lock);
  if (records != NULL)
    g_hash_table_remove (records, name);
  was_active = active;
  g_mutex_unlock (&lock);
  if (was_active)
    emit (NAV_INSPECT_OBJECT_PATH, PROCESS_IFACE, "ObjectRemoved", g_variant_new ("(s)", name));
  g_free (name);
}

static void
track (GObject     *object,
       const gchar *kind)
{
  Record *r = g_new0 (Record, 1);
  guint n;
  gboolean is_active;

  g_mutex_lock (&lock);
  if (records == NULL)
    {
      records = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, record_free);
      counters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    }
  n = GPOINTER_TO_UINT (g_hash_table_lookup (counters, kind)) + 1;
  g_hash_table_insert (counters, g_strdup (kind), GUINT_TO_POINTER (n));
  r->name = g_strdup_printf ("%s%u", kind, n);
  /* A D-Bus object path element: [A-Za-z0-9_] only. */
  for (gchar *c = r->name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c))
      *c = '_';
  r->type = g_strdup (G_OBJECT_TYPE_NAME (object));
  g_weak_ref_init (&r->ref, object);
  if (NAV_IS_PEER_CONNECTION (object))
    {
      g_autoptr (GMainContext) context = NULL;

      g_object_get (object, "main-context", &context, NULL);
      r->context = context != NULL ? g_main_context_ref (context) : NULL;
    }
  r->state = g_strdup ("");
  g_hash_table_insert (records, r->name, r);
  g_object_weak_ref (object, on_object_gone, g_strdup (r->name));
  is_active = active;
  if (is_active)
    hook (r, object);
  g_mutex_unlock (&lock);
  if (is_active)
    emit (NAV_INSPECT_OBJECT_PATH, PROCESS_IFACE, "ObjectAdded",
          g_variant_new ("(ss)", r->name, G_OBJECT_TYPE_NAME (object)));
}

/* NAV_DEBUG_EXPORT=1 starts the export with the first object. */
static void
check_environment (void)
{
  static gsize checked;

  if (g_once_init_enter (&checked))
    {
      if (g_strcmp0 (g_getenv ("NAV_DEBUG_EXPORT"), "1") == 0)
        {
          g_autoptr (GError) error = NULL;

          if (!nav_inspect_export_start (&error))
            g_warning ("NAV_DEBUG_EXPORT: %s", error->message);
        }
      g_once_init_leave (&checked, 1);
    }
}

void
nav_inspect_track (GObject     *object,
                   const gchar *kind)
{
  track (object, kind);
  check_environment ();
}

/**
 * nav_inspect_export_object:
 * @object: an object
 * @kind: what it is, a word: the object is named after it (`turn_server1`;
 *   characters other than letters, digits and `_` become `_`)
 *
 * Makes @object visible to `nav-inspect --live` while it lives, as the
 * process's agents and peer connections are: its readable properties,
 * and their changes as events.  Agents and peer connections need not be
 * given: they are known from construction.
 *
 * Since: 1.0
 */
void
nav_inspect_export_object (GObject     *object,
                           const gchar *kind)
{
  g_return_if_fail (G_IS_OBJECT (object));
  g_return_if_fail (kind != NULL && *kind != '\0');

  track (object, kind);
  check_environment ();
}

/* ------------------------------------------------------------- methods */

static GVariant *
property_value (GObject    *object,
                GParamSpec *pspec)
{
  g_auto (GValue) value = G_VALUE_INIT;
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);

  if (!(pspec->flags & G_PARAM_READABLE))
    return NULL;
  /* Secrets are not shown. */
  if (g_strrstr (pspec->name, "password") != NULL || g_strrstr (pspec->name, "credential") != NULL ||
      g_strrstr (pspec->name, "secret") != NULL || g_strrstr (pspec->name, "key") != NULL)
    return NULL;
  g_value_init (&value, type);
  g_object_get_property (object, pspec->name, &value);
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_BOOLEAN:
      return g_variant_new_boolean (g_value_get_boolean (&value));
    case G_TYPE_INT:
      return g_variant_new_int32 (g_value_get_int (&value));
    case G_TYPE_UINT:
      return g_variant_new_uint32 (g_value_get_uint (&value));
    case G_TYPE_INT64:
      return g_variant_new_int64 (g_value_get_int64 (&value));
    case G_TYPE_UINT64:
      return g_variant_new_uint64 (g_value_get_uint64 (&value));
    case G_TYPE_DOUBLE:
      return g_variant_new_double (g_value_get_double (&value));
    case G_TYPE_STRING:
      return g_value_get_string (&value) != NULL ? g_variant_new_string (g_value_get_string (&value))
                                                 : NULL;
    case G_TYPE_ENUM:
      {
        GEnumValue *v = g_enum_get_value (G_ENUM_CLASS (g_type_class_peek (type)),
                                          g_value_get_enum (&value));

        return g_variant_new_string (v != NULL ? v->value_nick : "?");
      }
    default:
      return NULL;
    }
}

static GVariant *
get_properties (GObject *object)
{
  GVariantBuilder b;
  g_autofree GParamSpec **pspecs = NULL;
  guint n = 0;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n);
  for (guint i = 0; i < n; i++)
    {
      GVariant *v = property_value (object, pspecs[i]);

      if (v != NULL)
        g_variant_builder_add (&b, "{sv}", pspecs[i]->name, v);
    }
  return g_variant_builder_end (&b);
}

/* A peer connection's statistics, read in its own main context. */
typedef struct {
  GMutex mutex;
  GCond cond;
  gboolean done;
  GObject *object;
  GVariant *result;
} StatsCall;

static void
stats_call_clear (gpointer data)
{
  StatsCall *call = data;

  g_mutex_clear (&call->mutex);
  g_cond_clear (&call->cond);
  g_clear_object (&call->object);
  g_clear_pointer (&call->result, g_variant_unref);
}

static gboolean
stats_in_context (gpointer data)
{
  StatsCall *call = data;
  GVariant *stats = nav_peer_connection_get_stats (NAV_PEER_CONNECTION (call->object));

  g_mutex_lock (&call->mutex);
  call->result = stats;
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->mutex);
  return G_SOURCE_REMOVE;
}

static void
stats_call_release (gpointer data)
{
  g_atomic_rc_box_release_full (data, stats_call_clear);
}

static GVariant *
get_stats (GObject      *object,
           GMainContext *context)
{
  StatsCall *call;
  GVariant *result = NULL;
  gint64 deadline;

  if (NAV_IS_AGENT (object))
    return nav_agent_get_stats (NAV_AGENT (object));
  /* A server's counters (nav_server_get_stats()) as one report. */
  if (NAV_IS_SERVER (object))
    {
      g_autoptr (GVariant) values = nav_server_get_stats (NAV_SERVER (object));
      GVariantBuilder reports, b;
      GVariantIter iter;
      const gchar *key;
      guint64 value;

      g_variant_builder_init (&reports, NAV_STATS_VARIANT_TYPE);
      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&b, "{sv}", "id", g_variant_new_string ("S"));
      g_variant_builder_add (&b, "{sv}", "type", g_variant_new_string ("server"));
      g_variant_builder_add (&b, "{sv}", "timestamp", g_variant_new_double (g_get_real_time () / 1000.0));
      g_variant_iter_init (&iter, values);
      while (g_variant_iter_next (&iter, "{&st}", &key, &value))
        g_variant_builder_add (&b, "{sv}", key, g_variant_new_uint64 (value));
      g_variant_builder_add (&reports, "{s@a{sv}}", "S", g_variant_builder_end (&b));
      return g_variant_ref_sink (g_variant_builder_end (&reports));
    }
  if (!NAV_IS_PEER_CONNECTION (object))
    return g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("{sa{sv}}"), NULL, 0));

  call = g_atomic_rc_box_new0 (StatsCall);
  g_mutex_init (&call->mutex);
  g_cond_init (&call->cond);
  call->object = g_object_ref (object);
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, stats_in_context,
                              g_atomic_rc_box_acquire (call), stats_call_release);
  deadline = g_get_monotonic_time () + STATS_TIMEOUT_US;
  g_mutex_lock (&call->mutex);
  while (!call->done)
    if (!g_cond_wait_until (&call->cond, &call->mutex, deadline))
      break;
  if (call->done)
    result = g_steal_pointer (&call->result);
  g_mutex_unlock (&call->mutex);
  stats_call_release (call);
  /* Its context does not run: what the agent alone says. */
  if (result == NULL)
    result = nav_agent_get_stats (nav_peer_connection_get_agent (NAV_PEER_CONNECTION (object)));
  return result;
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const gchar * const *) a, *(const gchar * const *) b);
}

static GPtrArray *
list_names (void)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_mutex_lock (&lock);
  if (records != NULL)
    {
      g_hash_table_iter_init (&iter, records);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (names, g_strdup (key));
    }
  g_mutex_unlock (&lock);
  g_ptr_array_sort (names, compare_names);
  return names;
}

static void
process_method (GDBusConnection       *connection,
                const gchar           *sender,
                const gchar           *object_path,
                const gchar           *interface_name,
                const gchar           *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  g_autoptr (GPtrArray) names = list_names ();
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sss)"));
  g_mutex_lock (&lock);
  for (guint i = 0; i < names->len; i++)
    {
      Record *r = g_hash_table_lookup (records, g_ptr_array_index (names, i));

      if (r != NULL)
        g_variant_builder_add (&b, "(sss)", r->name, r->type, r->state);
    }
  g_mutex_unlock (&lock);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(sss))", &b));
}

static GVariant *
process_property (GDBusConnection  *connection,
                  const gchar      *sender,
                  const gchar      *object_path,
                  const gchar      *interface_name,
                  const gchar      *property_name,
                  GError          **error,
                  gpointer          user_data)
{
  if (g_str_equal (property_name, "Pid"))
    return g_variant_new_uint32 ((guint32) getpid ());
  if (g_str_equal (property_name, "Program"))
    return g_variant_new_string (g_get_prgname () != NULL ? g_get_prgname () : "");
  return g_variant_new_string (NAV_VERSION_S);
}

/* The object at @path, with a reference, and its record's copy. */
static GObject *
lookup_object (const gchar   *path,
               gchar        **name,
               gchar        **type,
               gchar        **state,
               GMainContext **context)
{
  const gchar *node = strrchr (path, '/') + 1;
  GObject *object = NULL;
  Record *r;

  g_mutex_lock (&lock);
  r = records != NULL ? g_hash_table_lookup (records, node) : NULL;
  if (r != NULL)
    {
      object = g_weak_ref_get (&r->ref);
      if (name != NULL)
        *name = g_strdup (r->name);
      if (type != NULL)
        *type = g_strdup (r->type);
      if (state != NULL)
        *state = g_strdup (r->state);
      if (context != NULL)
        *context = r->context != NULL ? g_main_context_ref (r->context) : NULL;
    }
  g_mutex_unlock (&lock);
  return object;
}

static void
object_method (GDBusConnection       *connection,
               const gchar           *sender,
               const gchar           *object_path,
               const gchar           *interface_name,
               const gchar           *method_name,
               GVariant              *parameters,
               GDBusMethodInvocation *invocation,
               gpointer               user_data)
{
  g_autoptr (GMainContext) context = NULL;
  g_autoptr (GObject) object = lookup_object (object_path, NULL, NULL, NULL, &context);
  g_autoptr (GVariant) stats = NULL;

  /* Gone since it was listed. */
  if (object == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT,
                                             _("The object %s is gone"), object_path);
      return;
    }
  if (g_str_equal (method_name, "GetProperties"))
    {
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(@a{sv})", get_properties (object)));
      return;
    }
  stats = get_stats (object, context);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@a{sa{sv}})", stats));
}

static GVariant *
object_property (GDBusConnection  *connection,
                 const gchar      *sender,
                 const gchar      *object_path,
                 const gchar      *interface_name,
                 const gchar      *property_name,
                 GError          **error,
                 gpointer          user_data)
{
  g_autofree gchar *name = NULL, *type = NULL, *state = NULL;
  g_autoptr (GObject) object = lookup_object (object_path, &name, &type, &state, NULL);

  if (name == NULL)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, _("The object %s is gone"),
                   object_path);
      return NULL;
    }
  if (g_str_equal (property_name, "Name"))
    return g_variant_new_string (name);
  if (g_str_equal (property_name, "Type"))
    return g_variant_new_string (type);
  return g_variant_new_string (state);
}

static const GDBusInterfaceVTable process_vtable = { process_method, process_property, NULL, { 0 } };
static const GDBusInterfaceVTable object_vtable = { object_method, object_property, NULL, { 0 } };

static gchar **
subtree_enumerate (GDBusConnection *connection,
                   const gchar     *sender,
                   const gchar     *object_path,
                   gpointer         user_data)
{
  g_autoptr (GPtrArray) names = list_names ();

  g_ptr_array_add (names, NULL);
  return (gchar **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static GDBusInterfaceInfo **
subtree_introspect (GDBusConnection *connection,
                    const gchar     *sender,
                    const gchar     *object_path,
                    const gchar     *node,
                    gpointer         user_data)
{
  GPtrArray *infos = g_ptr_array_new ();

  g_ptr_array_add (infos, g_dbus_interface_info_ref (node_info->interfaces[node == NULL ? 0 : 1]));
  g_ptr_array_add (infos, NULL);
  return (GDBusInterfaceInfo **) g_ptr_array_free (infos, FALSE);
}

static const GDBusInterfaceVTable *
subtree_dispatch (GDBusConnection *connection,
                  const gchar     *sender,
                  const gchar     *object_path,
                  const gchar     *interface_name,
                  const gchar     *node,
                  gpointer        *out_user_data,
                  gpointer         user_data)
{
  *out_user_data = NULL;
  if (node == NULL && g_strcmp0 (interface_name, PROCESS_IFACE) == 0)
    return &process_vtable;
  if (node != NULL && g_strcmp0 (interface_name, OBJECT_IFACE) == 0)
    return &object_vtable;
  return NULL;
}

static const GDBusSubtreeVTable subtree_vtable = {
  subtree_enumerate, subtree_introspect, subtree_dispatch, { 0 }
};

/* ---------------------------------------------------------- the thread */

static void
on_connection_closed (GDBusConnection *connection,
                      gboolean         remote_peer_vanished,
                      GError          *error,
                      gpointer         user_data)
{
  if (g_ptr_array_remove (connections, connection))
    g_atomic_int_add (&n_clients, -1);
}

static gboolean
serve_connection (GDBusConnection *connection,
                  GError         **error)
{
  if (g_dbus_connection_register_subtree (connection, NAV_INSPECT_OBJECT_PATH, &subtree_vtable,
                                          G_DBUS_SUBTREE_FLAGS_NONE, NULL, NULL, error) == 0)
    return FALSE;
  g_ptr_array_add (connections, g_object_ref (connection));
  g_atomic_int_add (&n_clients, 1);
  return TRUE;
}

static gboolean
on_new_connection (GDBusServer     *srv,
                   GDBusConnection *connection,
                   gpointer         user_data)
{
  g_autoptr (GError) error = NULL;

  if (!serve_connection (connection, &error))
    {
      g_debug ("nav-inspect export: %s", error->message);
      return FALSE;
    }
  g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), NULL);
  return TRUE;
}

/* Only the user's own processes may attach (EXTERNAL authentication:
 * the peer's uid is ours). */
static gboolean
on_authorize (GDBusAuthObserver *observer,
              GIOStream         *stream,
              GCredentials      *credentials,
              gpointer           user_data)
{
  return credentials != NULL && g_credentials_get_unix_user (credentials, NULL) == getuid ();
}

static void
remove_socket (void)
{
  if (socket_path != NULL)
    g_unlink (socket_path);
}

static gboolean
start_p2p (GError **error)
{
  g_autofree gchar *dir = g_build_filename (g_get_user_runtime_dir (), "netavanue", NULL);
  g_autofree gchar *guid = g_dbus_generate_guid ();
  g_autoptr (GDBusAuthObserver) observer = g_dbus_auth_observer_new ();
  g_autofree gchar *escaped = NULL;
  g_autofree gchar *listen = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), _("Cannot create %s: %s"), dir,
                   g_strerror (errsv));
      return FALSE;
    }
  socket_path = g_strdup_printf ("%s/%d.socket", dir, (int) getpid ());
  g_unlink (socket_path);
  escaped = g_dbus_address_escape_value (socket_path);
  listen = g_strdup_printf ("unix:path=%s", escaped);
  g_signal_connect (observer, "authorize-authenticated-peer", G_CALLBACK (on_authorize), NULL);
  server = g_dbus_server_new_sync (listen, G_DBUS_SERVER_FLAGS_NONE, guid, observer, NULL, error);
  if (server == NULL)
    return FALSE;
  g_signal_connect (server, "new-connection", G_CALLBACK (on_new_connection), NULL);
  g_dbus_server_start (server);
  address = g_strdup (g_dbus_server_get_client_address (server));
  atexit (remove_socket);
  return TRUE;
}

static gboolean
start_bus (GError **error)
{
  g_autofree gchar *name = g_strdup_printf (NAV_INSPECT_BUS_NAME_PREFIX ".P%d", (int) getpid ());

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, error);
  if (bus == NULL || !serve_connection (bus, error))
    {
      g_clear_object (&bus);
      return FALSE;
    }
  g_bus_own_name_on_connection (bus, name, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE, NULL, NULL, NULL,
                                NULL);
  address = g_steal_pointer (&name);
  return TRUE;
}

typedef struct {
  GMutex mutex;
  GCond cond;
  gboolean done;
  gboolean ok;
  GError *error;
} Setup;

static gpointer
export_thread (gpointer data)
{
  Setup *setup = data;
  g_autoptr (GMainLoop) loop = NULL;
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (export_context);
  connections = g_ptr_array_new_with_free_func (g_object_unref);
  node_info = g_dbus_node_info_new_for_xml (introspection_xml, NULL);
  /* The session bus when there is one, a socket of our own otherwise. */
  ok = g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL && start_bus (NULL);
  if (!ok)
    ok = start_p2p (&error);
  g_mutex_lock (&setup->mutex);
  setup->ok = ok;
  setup->error = error;
  setup->done = TRUE;
  g_cond_signal (&setup->cond);
  g_mutex_unlock (&setup->mutex);
  if (!ok)
    return NULL;
  loop = g_main_loop_new (export_context, FALSE);
  g_main_loop_run (loop);
  return NULL;
}

/**
 * nav_inspect_export_start:
 * @error: return location for a #GError
 *
 * Exports the process's agents, peer connections and the objects given
 * to [func@Nav.inspect_export_object] on D-Bus, read-only, for
 * `nav-inspect --live`: on the session bus when there is one (the name
 * `org.netavanue.Inspect.P<pid>`), otherwise on a peer-to-peer socket
 * `$XDG_RUNTIME_DIR/netavanue/<pid>.socket` that only the same user may
 * connect to.  Setting `NAV_DEBUG_EXPORT=1` in the environment does the
 * same when the first agent or peer connection is made.
 *
 * A thread of its own serves the requests; while nobody is attached the
 * objects' events are not even formatted.  Calling it again does nothing.
 *
 * Returns: %TRUE when the export runs
 *
 * Since: 1.0
 */
gboolean
nav_inspect_export_start (GError **error)
{
  static GMutex start_lock;
  Setup setup = { 0 };
  GHashTableIter iter;
  Record *r;
  gboolean ok;

  g_mutex_lock (&start_lock);
  if (active)
    {
      g_mutex_unlock (&start_lock);
      return TRUE;
    }
  export_context = g_main_context_new ();
  g_mutex_init (&setup.mutex);
  g_cond_init (&setup.cond);
  g_thread_unref (g_thread_new ("nav-inspect", export_thread, &setup));
  g_mutex_lock (&setup.mutex);
  while (!setup.done)
    g_cond_wait (&setup.cond, &setup.mutex);
  g_mutex_unlock (&setup.mutex);
  g_mutex_clear (&setup.mutex);
  g_cond_clear (&setup.cond);
  ok = setup.ok;
  if (!ok)
    {
      g_propagate_error (error, setup.error);
      g_clear_pointer (&export_context, g_main_context_unref);
      g_mutex_unlock (&start_lock);
      return FALSE;
    }

  /* What exists already is forwarded from now on. */
  g_mutex_lock (&lock);
  active = TRUE;
  if (records != NULL)
    {
      g_hash_table_iter_init (&iter, records);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &r))
        {
          g_autoptr (GObject) object = g_weak_ref_get (&r->ref);

          if (object != NULL)
            hook (r, object);
        }
    }
  g_mutex_unlock (&lock);
  g_mutex_unlock (&start_lock);
  return TRUE;
}

/**
 * nav_inspect_export_is_active:
 *
 * Returns: whether [func@Nav.inspect_export_start] (or
 *   `NAV_DEBUG_EXPORT=1`) started the export
 *
 * Since: 1.0
 */
gboolean
nav_inspect_export_is_active (void)
{
  gboolean is_active;

  g_mutex_lock (&lock);
  is_active = active;
  g_mutex_unlock (&lock);
  return is_active;
}

/**
 * nav_inspect_export_dup_address:
 *
 * Returns where the export is: the D-Bus address of its socket, or its
 * name on the session bus.
 *
 * Returns: (transfer full) (nullable): the address, %NULL when the export
 *   does not run
 *
 * Since: 1.0
 */
gchar *
nav_inspect_export_dup_address (void)
{
  gchar *copy;

  g_mutex_lock (&lock);
  copy = active ? g_strdup (address) : NULL;
  g_mutex_unlock (&lock);
  return copy;
}
