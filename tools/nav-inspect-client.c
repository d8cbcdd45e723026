/* nav-inspect-client.c: the client side of the export
 * (core/inspect/nav-inspect-export.c): the exporting processes, found on
 * the session bus and by their sockets, and the calls to them; shared by
 * nav-inspect --live and nav-server's internals page
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <netavanue/netavanue.h>

#include "nav-inspect-client.h"


void
nav_inspect_endpoint_free (gpointer data)
{
  Endpoint *e = data;

  g_clear_object (&e->connection);
  g_free (e->bus_name);
  g_free (e->where);
  g_free (e);
}

static gint
compare_endpoints (gconstpointer a,
                   gconstpointer b)
{
  const Endpoint *x = *(Endpoint * const *) a, *y = *(Endpoint * const *) b;

  return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static gboolean
process_alive (guint pid)
{
  g_autofree gchar *proc = g_strdup_printf ("/proc/%u", pid);

  return g_file_test (proc, G_FILE_TEST_IS_DIR);
}

/* The exporting processes: on the session bus, and by their sockets;
 * only @only_pid's when it is not 0. */
GPtrArray *
nav_inspect_find_endpoints (guint only_pid)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (nav_inspect_endpoint_free);
  g_autofree gchar *dir = g_build_filename (g_get_user_runtime_dir (), "netavanue", NULL);
  g_autoptr (GDir) d = NULL;
  const gchar *entry;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL)
    {
      g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
      g_autoptr (GVariant) names = NULL;

      if (bus != NULL)
        names = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                             "org.freedesktop.DBus", "ListNames", NULL,
                                             G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE,
                                             CALL_TIMEOUT_MS, NULL, NULL);
      if (names != NULL)
        {
          g_autofree const gchar **list = NULL;

          g_variant_get (names, "(^a&s)", &list);
          for (guint i = 0; list[i] != NULL; i++)
            {
              const gchar *prefix = NAV_INSPECT_BUS_NAME_PREFIX ".P";
              guint64 pid;

              if (!g_str_has_prefix (list[i], prefix) ||
                  !g_ascii_string_to_unsigned (list[i] + strlen (prefix), 10, 1, G_MAXUINT, &pid, NULL) ||
                  (only_pid != 0 && pid != only_pid))
                continue;
              Endpoint *e = g_new0 (Endpoint, 1);

              e->pid = (guint) pid;
              e->connection = g_object_ref (bus);
              e->bus_name = g_strdup (list[i]);
              e->where = g_strdup (list[i]);
              g_ptr_array_add (found, e);
            }
        }
    }

  d = g_dir_open (dir, 0, NULL);
  while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, entry, NULL);
      g_autofree gchar *escaped = NULL;
      g_autofree gchar *address = NULL;
      g_autoptr (GError) error = NULL;
      GDBusConnection *connection;
      guint64 pid;
      gchar *dot = strchr (entry, '.');
      g_autofree gchar *stem = dot != NULL ? g_strndup (entry, dot - entry) : NULL;

      if (stem == NULL || !g_str_equal (dot, ".socket") ||
          !g_ascii_string_to_unsigned (stem, 10, 1, G_MAXUINT, &pid, NULL) ||
          (only_pid != 0 && pid != only_pid) || !process_alive ((guint) pid))
        continue;
      escaped = g_dbus_address_escape_value (path);
      address = g_strdup_printf ("unix:path=%s", escaped);
      connection = g_dbus_connection_new_for_address_sync (address,
                                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                                           NULL, NULL, &error);
      if (connection == NULL)
        {
          g_printerr (_("Cannot attach to process %u: %s\n"), (guint) pid, error->message);
          continue;
        }
      Endpoint *e = g_new0 (Endpoint, 1);

      e->pid = (guint) pid;
      e->connection = connection;
      e->where = g_steal_pointer (&path);
      g_ptr_array_add (found, e);
    }
  g_ptr_array_sort (found, compare_endpoints);
  return found;
}

GVariant *
nav_inspect_call (Endpoint           *e,
                  const gchar        *path,
                  const gchar        *iface,
                  const gchar        *method,
                  GVariant           *params,
                  const GVariantType *reply,
                  GError            **error)
{
  /* A name another process gave: not trusted to make a path. */
  if (!g_variant_is_object_path (path))
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, _("Not an object path: %s"), path);
      return NULL;
    }
  return g_dbus_connection_call_sync (e->connection, e->bus_name, path, iface, method, params, reply,
                                      G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, error);
}

gchar *
nav_inspect_get_program (Endpoint *e)
{
  g_autoptr (GVariant) reply = nav_inspect_call (e, NAV_INSPECT_OBJECT_PATH, "org.freedesktop.DBus.Properties",
                                     "Get", g_variant_new ("(ss)", PROCESS_IFACE, "Program"),
                                     G_VARIANT_TYPE ("(v)"), NULL);
  g_autoptr (GVariant) value = NULL;

  if (reply == NULL)
    return g_strdup ("?");
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

/* a(sss): name, type, state */
GVariant *
nav_inspect_list_objects (Endpoint  *e,
                          GError   **error)
{
  g_autoptr (GVariant) reply = nav_inspect_call (e, NAV_INSPECT_OBJECT_PATH, PROCESS_IFACE, "ListObjects", NULL,
                                     G_VARIANT_TYPE ("(a(sss))"), error);

  return reply != NULL ? g_variant_get_child_value (reply, 0) : NULL;
}

