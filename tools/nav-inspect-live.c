/* nav-inspect-live.c: nav-inspect --live: the processes that export
 * their objects (NAV_DEBUG_EXPORT=1 or nav_inspect_export_start()), what
 * each object holds, and --follow, its events as they happen
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <netavanue/netavanue.h>

#include "nav-inspect-live.h"
#include "nav-inspect-client.h"


static void
print_json (GVariant *v)
{
  g_autofree gchar *json = nav_stats_to_json (v, FALSE);

  g_print ("%s\n", json);
}

/* ------------------------------------------------------------- listing */

static int
list_processes (gboolean json)
{
  g_autoptr (GPtrArray) endpoints = nav_inspect_find_endpoints (0);
  GVariantBuilder all;

  g_variant_builder_init (&all, G_VARIANT_TYPE ("aa{sv}"));
  if (endpoints->len == 0 && !json)
    g_print ("%s\n", _("No process exports its objects (run it with NAV_DEBUG_EXPORT=1)."));
  for (guint i = 0; i < endpoints->len; i++)
    {
      Endpoint *e = g_ptr_array_index (endpoints, i);
      g_autofree gchar *program = nav_inspect_get_program (e);
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) objects = nav_inspect_list_objects (e, &error);
      GVariantBuilder p;

      if (objects == NULL)
        {
          g_printerr (_("Process %u: %s\n"), e->pid, error->message);
          continue;
        }
      if (json)
        {
          g_variant_builder_init (&p, G_VARIANT_TYPE_VARDICT);
          g_variant_builder_add (&p, "{sv}", "pid", g_variant_new_uint32 (e->pid));
          g_variant_builder_add (&p, "{sv}", "program", g_variant_new_string (program));
          g_variant_builder_add (&p, "{sv}", "address", g_variant_new_string (e->where));
          g_variant_builder_add (&p, "{sv}", "objects", objects);
          g_variant_builder_add_value (&all, g_variant_builder_end (&p));
          continue;
        }
      g_print ("%u  %s  (%s)\n", e->pid, program, e->where);
      {
        GVariantIter iter;
        const gchar *name, *type, *state;

        g_variant_iter_init (&iter, objects);
        while (g_variant_iter_next (&iter, "(&s&s&s)", &name, &type, &state))
          g_print ("  %u/%-20s %-22s %s\n", e->pid, name, type, state);
      }
    }
  if (json)
    {
      g_autoptr (GVariant) v = g_variant_ref_sink (g_variant_builder_end (&all));

      print_json (v);
    }
  else
    g_variant_builder_clear (&all);
  return EXIT_SUCCESS;
}

/* --------------------------------------------------------- one object */

static const gchar *
lookup_s (GVariant    *report,
          const gchar *key)
{
  const gchar *s = NULL;

  return g_variant_lookup (report, key, "&s", &s) ? s : "";
}

static guint64
lookup_t (GVariant    *report,
          const gchar *key)
{
  guint64 v = 0;

  g_variant_lookup (report, key, "t", &v);
  return v;
}

/* The reports of @type on the transport @transport_id, in their order. */
static GPtrArray *
reports_of (GVariant    *stats,
            const gchar *type,
            const gchar *transport_id)
{
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariantIter iter;
  GVariant *report;

  g_variant_iter_init (&iter, stats);
  while (g_variant_iter_next (&iter, "{&s@a{sv}}", NULL, &report))
    {
      if (g_str_equal (lookup_s (report, "type"), type) &&
          g_str_equal (lookup_s (report, "transportId"), transport_id))
        g_ptr_array_add (found, report);
      else
        g_variant_unref (report);
    }
  return found;
}

static void
print_candidates (GVariant    *stats,
                  const gchar *transport_id,
                  const gchar *type,
                  const gchar *title)
{
  g_autoptr (GPtrArray) reports = reports_of (stats, type, transport_id);

  if (reports->len > 0)
    g_print ("    %s\n", title);
  for (guint i = 0; i < reports->len; i++)
    {
      GVariant *report = g_ptr_array_index (reports, i);
      guint32 port = 0, priority = 0;

      g_variant_lookup (report, "port", "u", &port);
      g_variant_lookup (report, "priority", "u", &priority);
      g_print ("      %-14s %-5s %-3s %s:%u  priority %u%s%s\n", lookup_s (report, "id"),
               lookup_s (report, "candidateType"), lookup_s (report, "protocol"),
               lookup_s (report, "address"), port, priority,
               *lookup_s (report, "url") != '\0' ? "  " : "", lookup_s (report, "url"));
    }
}

static void
print_pairs (GVariant    *stats,
             const gchar *transport_id)
{
  g_autoptr (GPtrArray) reports = reports_of (stats, "candidate-pair", transport_id);

  if (reports->len > 0)
    g_print ("    %s\n", _("pairs:"));
  for (guint i = 0; i < reports->len; i++)
    {
      GVariant *report = g_ptr_array_index (reports, i);
      gboolean nominated = FALSE, selected = FALSE;
      gdouble rtt = -1;
      g_autofree gchar *rtt_text = NULL;

      g_variant_lookup (report, "nominated", "b", &nominated);
      g_variant_lookup (report, "selected", "b", &selected);
      rtt_text = g_variant_lookup (report, "currentRoundTripTime", "d", &rtt)
                 ? g_strdup_printf ("%.3f ms", rtt * 1000) : g_strdup ("-");
      g_print ("      %s %s -> %s  %s%s%s  rtt %s  requests %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
               " responses %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " consent %" G_GUINT64_FORMAT "\n",
               selected ? "*" : " ", lookup_s (report, "localCandidateId"),
               lookup_s (report, "remoteCandidateId"), lookup_s (report, "state"),
               nominated ? " nominated" : "", selected ? " selected" : "", rtt_text,
               lookup_t (report, "requestsSent"), lookup_t (report, "requestsReceived"),
               lookup_t (report, "responsesReceived"), lookup_t (report, "responsesSent"),
               lookup_t (report, "consentRequestsSent"));
    }
}

/* Streams and components (the transports), their candidates and pairs;
 * data channels; the peer connection. */
static void
print_stats (GVariant *stats)
{
  GVariantIter iter;
  const gchar *id;
  GVariant *report;

  g_variant_iter_init (&iter, stats);
  while (g_variant_iter_next (&iter, "{&s@a{sv}}", &id, &report))
    {
      const gchar *type = lookup_s (report, "type");

      if (g_str_equal (type, "transport"))
        {
          guint32 stream = 0, component = 0;

          g_variant_lookup (report, "streamId", "u", &stream);
          g_variant_lookup (report, "componentId", "u", &component);
          g_print ("  %s %u %s %u: %s, %s%s%s%s%s\n", _("stream"), stream, _("component"), component,
                   lookup_s (report, "iceState"), lookup_s (report, "iceRole"),
                   *lookup_s (report, "dtlsState") != '\0' ? ", DTLS " : "",
                   lookup_s (report, "dtlsState"),
                   *lookup_s (report, "selectedCandidatePairId") != '\0' ? ", selected " : "",
                   lookup_s (report, "selectedCandidatePairId"));
          g_print ("    %s %" G_GUINT64_FORMAT " packets %" G_GUINT64_FORMAT " bytes, %s %" G_GUINT64_FORMAT
                   " packets %" G_GUINT64_FORMAT " bytes, %s %" G_GUINT64_FORMAT "\n",
                   _("sent"), lookup_t (report, "packetsSent"), lookup_t (report, "bytesSent"),
                   _("received"), lookup_t (report, "packetsReceived"), lookup_t (report, "bytesReceived"),
                   _("dropped"), lookup_t (report, "packetsDiscardedOnReceive"));
          print_candidates (stats, id, "local-candidate", _("local candidates:"));
          print_candidates (stats, id, "remote-candidate", _("remote candidates:"));
          print_pairs (stats, id);
        }
      else if (g_str_equal (type, "data-channel"))
        g_print ("  %s %s \"%s\" (%s): %s, %s %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                 " messages, %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " bytes\n",
                 _("data channel"), id, lookup_s (report, "label"), lookup_s (report, "protocol"),
                 lookup_s (report, "state"), _("sent/received"), lookup_t (report, "messagesSent"),
                 lookup_t (report, "messagesReceived"), lookup_t (report, "bytesSent"),
                 lookup_t (report, "bytesReceived"));
      else if (g_str_equal (type, "server"))
        {
          GVariantIter members;
          const gchar *key;
          GVariant *value;

          g_variant_iter_init (&members, report);
          while (g_variant_iter_next (&members, "{&sv}", &key, &value))
            {
              if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
                g_print ("  %-28s %" G_GUINT64_FORMAT "\n", key, g_variant_get_uint64 (value));
              g_variant_unref (value);
            }
        }
      else if (g_str_equal (type, "peer-connection"))
        g_print ("  %s: %s, ICE %s, %s %s, %s %s\n", _("peer connection"),
                 lookup_s (report, "connectionState"), lookup_s (report, "iceConnectionState"),
                 _("gathering"), lookup_s (report, "iceGatheringState"), _("signaling"),
                 lookup_s (report, "signalingState"));
      g_variant_unref (report);
    }
}

static gboolean
show_object (Endpoint    *e,
             const gchar *name,
             const gchar *type,
             const gchar *state,
             gboolean     json,
             GVariantBuilder *out)
{
  g_autofree gchar *path = g_strdup_printf (NAV_INSPECT_OBJECT_PATH "/%s", name);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) stats = nav_inspect_call (e, path, OBJECT_IFACE, "GetStats", NULL,
                                     G_VARIANT_TYPE ("(a{sa{sv}})"), &error);
  g_autoptr (GVariant) props = NULL;
  g_autoptr (GVariant) inner = NULL;

  /* Gone since it was listed: said, not fatal. */
  if (stats == NULL)
    {
      g_printerr ("%u/%s: %s\n", e->pid, name, error->message);
      return FALSE;
    }
  inner = g_variant_get_child_value (stats, 0);
  if (g_variant_n_children (inner) == 0)
    {
      g_autoptr (GVariant) reply = nav_inspect_call (e, path, OBJECT_IFACE, "GetProperties", NULL,
                                         G_VARIANT_TYPE ("(a{sv})"), NULL);

      if (reply != NULL)
        props = g_variant_get_child_value (reply, 0);
    }
  if (json)
    {
      GVariantBuilder o;

      g_variant_builder_init (&o, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&o, "{sv}", "type", g_variant_new_string (type));
      g_variant_builder_add (&o, "{sv}", "state", g_variant_new_string (state));
      g_variant_builder_add (&o, "{sv}", "stats", inner);
      if (props != NULL)
        g_variant_builder_add (&o, "{sv}", "properties", props);
      g_variant_builder_add (out, "{sv}", name, g_variant_builder_end (&o));
      return TRUE;
    }
  g_print ("%u/%s  %s  %s\n", e->pid, name, type, state);
  print_stats (inner);
  if (props != NULL)
    {
      GVariantIter iter;
      const gchar *key;
      GVariant *value;

      g_variant_iter_init (&iter, props);
      while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
        {
          g_autofree gchar *text = g_variant_print (value, FALSE);

          g_print ("  %-28s %s\n", key, text);
          g_variant_unref (value);
        }
    }
  g_print ("\n");
  return TRUE;
}

/* ---------------------------------------------------------- following */

typedef struct {
  GMainLoop *loop;
  guint pid;
  gchar *object;                /* NULL: all */
  gboolean json;
} Follow;

static void
print_event (Follow      *f,
             const gchar *object,
             const gchar *kind,
             GVariant    *details)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *time = g_date_time_format (now, "%H:%M:%S.%f");

  if (f->object != NULL && g_strcmp0 (object, f->object) != 0)
    return;
  time[12] = '\0';              /* milliseconds */
  if (f->json)
    {
      GVariantBuilder b;
      g_autoptr (GVariant) v = NULL;

      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&b, "{sv}", "time", g_variant_new_double (g_get_real_time () / 1000.0));
      g_variant_builder_add (&b, "{sv}", "pid", g_variant_new_uint32 (f->pid));
      g_variant_builder_add (&b, "{sv}", "object", g_variant_new_string (object));
      g_variant_builder_add (&b, "{sv}", "event", g_variant_new_string (kind));
      if (details != NULL)
        g_variant_builder_add (&b, "{sv}", "details", details);
      v = g_variant_ref_sink (g_variant_builder_end (&b));
      print_json (v);
    }
  else
    {
      GString *line = g_string_new (NULL);

      g_string_append_printf (line, "%s %u/%s %s", time, f->pid, object, kind);
      if (details != NULL)
        {
          GVariantIter iter;
          const gchar *key;
          GVariant *value;

          g_variant_iter_init (&iter, details);
          while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
            {
              if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
                g_string_append_printf (line, " %s=%s", key, g_variant_get_string (value, NULL));
              else
                {
                  g_autofree gchar *text = g_variant_print (value, FALSE);

                  g_string_append_printf (line, " %s=%s", key, text);
                }
              g_variant_unref (value);
            }
        }
      g_print ("%s\n", line->str);
      g_string_free (line, TRUE);
    }
  fflush (stdout);
}

static void
on_signal (GDBusConnection *connection,
           const gchar     *sender,
           const gchar     *path,
           const gchar     *iface,
           const gchar     *signal,
           GVariant        *params,
           gpointer         user_data)
{
  Follow *f = user_data;

  if (g_str_equal (signal, "Event"))
    {
      const gchar *kind;
      g_autoptr (GVariant) details = NULL;

      g_variant_get (params, "(&s@a{sv})", &kind, &details);
      print_event (f, strrchr (path, '/') + 1, kind, details);
    }
  else if (g_str_equal (signal, "ObjectAdded"))
    {
      const gchar *name, *type;
      GVariantBuilder b;

      g_variant_get (params, "(&s&s)", &name, &type);
      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&b, "{sv}", "type", g_variant_new_string (type));
      print_event (f, name, "added", g_variant_builder_end (&b));
    }
  else if (g_str_equal (signal, "ObjectRemoved"))
    {
      const gchar *name;

      g_variant_get (params, "(&s)", &name);
      print_event (f, name, "removed", NULL);
    }
}

static void
on_closed (GDBusConnection *connection,
           gboolean         vanished,
           GError          *error,
           Follow          *f)
{
  g_main_loop_quit (f->loop);
}

static void
on_name_vanished (GDBusConnection *connection,
                  const gchar     *name,
                  Follow          *f)
{
  g_main_loop_quit (f->loop);
}

static gboolean
on_interrupt (gpointer data)
{
  g_main_loop_quit (((Follow *) data)->loop);
  return G_SOURCE_CONTINUE;
}

static int
follow (Endpoint    *e,
        const gchar *object,
        gboolean     json)
{
  Follow f = { g_main_loop_new (NULL, FALSE), e->pid, g_strdup (object), json };
  g_autoptr (GVariant) objects = NULL;
  g_autoptr (GError) error = NULL;
  guint sub, watch = 0, sigint;

  sub = g_dbus_connection_signal_subscribe (e->connection, e->bus_name, NULL, NULL, NULL, NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE, on_signal, &f, NULL);
  if (e->bus_name != NULL)
    watch = g_bus_watch_name_on_connection (e->connection, e->bus_name, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                            NULL, (GBusNameVanishedCallback) on_name_vanished, &f, NULL);
  g_signal_connect (e->connection, "closed", G_CALLBACK (on_closed), &f);
  g_dbus_connection_set_exit_on_close (e->connection, FALSE);
  sigint = g_unix_signal_add (SIGINT, on_interrupt, &f);
  /* A round trip: the subscription holds from here on. */
  objects = nav_inspect_list_objects (e, &error);
  if (objects == NULL)
    {
      g_printerr ("%u: %s\n", e->pid, error->message);
      return EXIT_FAILURE;
    }
  print_event (&f, object != NULL ? object : "*", "following", NULL);
  g_main_loop_run (f.loop);
  if (!json)
    g_print (_("Process %u is gone\n"), e->pid);
  g_dbus_connection_signal_unsubscribe (e->connection, sub);
  if (watch != 0)
    g_bus_unwatch_name (watch);
  g_source_remove (sigint);
  g_signal_handlers_disconnect_by_data (e->connection, &f);
  g_main_loop_unref (f.loop);
  g_free (f.object);
  return EXIT_SUCCESS;
}

/* ----------------------------------------------------------------- main */

int
nav_inspect_live (const gchar *target,
                  gboolean     following,
                  gboolean     json)
{
  g_autoptr (GPtrArray) endpoints = NULL;
  g_autofree gchar *pid_text = NULL;
  const gchar *object = NULL;
  const gchar *slash;
  guint64 pid;
  Endpoint *e;

  if (target == NULL && !following)
    return list_processes (json);
  if (target == NULL)
    {
      g_printerr ("%s\n", _("--follow needs a process: --live PID[/OBJECT] --follow"));
      return EXIT_FAILURE;
    }
  slash = strchr (target, '/');
  pid_text = slash != NULL ? g_strndup (target, slash - target) : g_strdup (target);
  object = slash != NULL && slash[1] != '\0' ? slash + 1 : NULL;
  if (!g_ascii_string_to_unsigned (pid_text, 10, 1, G_MAXUINT, &pid, NULL))
    {
      g_printerr (_("Not a process id: %s\n"), pid_text);
      return EXIT_FAILURE;
    }
  endpoints = nav_inspect_find_endpoints ((guint) pid);
  if (endpoints->len == 0)
    {
      g_printerr (_("Process %u exports no objects (run it with NAV_DEBUG_EXPORT=1)\n"), (guint) pid);
      return EXIT_FAILURE;
    }
  e = g_ptr_array_index (endpoints, 0);
  if (following)
    return follow (e, object, json);

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GVariant) objects = nav_inspect_list_objects (e, &error);
    GVariantBuilder out;
    GVariantIter iter;
    const gchar *name, *type, *state;
    gboolean found = FALSE;

    if (objects == NULL)
      {
        g_printerr ("%u: %s\n", e->pid, error->message);
        return EXIT_FAILURE;
      }
    g_variant_builder_init (&out, G_VARIANT_TYPE_VARDICT);
    g_variant_iter_init (&iter, objects);
    while (g_variant_iter_next (&iter, "(&s&s&s)", &name, &type, &state))
      if (object == NULL || g_str_equal (object, name))
        found |= show_object (e, name, type, state, json, &out);
    if (json)
      {
        g_autoptr (GVariant) v = g_variant_ref_sink (g_variant_builder_end (&out));

        print_json (v);
      }
    else
      g_variant_builder_clear (&out);
    if (object != NULL && !found)
      {
        g_printerr (_("Process %u has no object %s\n"), e->pid, object);
        return EXIT_FAILURE;
      }
  }
  return EXIT_SUCCESS;
}
