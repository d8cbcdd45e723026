/* nav-server-stats.c: the HTTP stats endpoint of nav-server
 *
 * One small HTTP server (libsoup 3) that shows the counters of every
 * NavServer the daemon runs, keyed by the server's name (stun, turn,
 * signaling), the way coturn's Prometheus exporter does:
 *
 *   GET /health   {"status":"ok","servers":["turn"]}
 *   GET /stats    {"turn":{"received":12,…},…}  (JSON, every counter)
 *   GET /metrics  Prometheus text exposition format 0.0.4:
 *                 nav_turn_received_total 12, nav_turn_allocations 1, …
 *
 * Counters only grow, so they are Prometheus counters with the
 * `_total` suffix; the few values that go up and down (current
 * allocations, connections, rooms, peers) are gauges.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "nav-server-stats.h"

typedef struct
{
  gchar *name;
  NavServer *server;
} Entry;

struct _NavServerStats
{
  SoupServer *soup;
  GPtrArray *entries;   /* of Entry */
  guint port;
};

/* Values of get_stats() that are current amounts, not running totals. */
static const gchar * const gauges[] = {
  "allocations", "connections", "tcp-connections", "rooms", "peers", NULL
};

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_free (e->name);
  g_object_unref (e->server);
  g_free (e);
}

/**
 * nav_server_stats_new:
 *
 * Returns: (transfer full): an endpoint that serves nothing until
 *   [func@nav_server_stats_listen]
 */
NavServerStats *
nav_server_stats_new (void)
{
  NavServerStats *self = g_new0 (NavServerStats, 1);

  self->entries = g_ptr_array_new_with_free_func (entry_free);
  return self;
}

/**
 * nav_server_stats_add:
 * @self: an endpoint
 * @name: the server's name, `[a-z]+` (stun, turn, signaling)
 * @server: the server whose [method@Nav.Server.get_stats] to show
 */
void
nav_server_stats_add (NavServerStats *self,
                      const gchar    *name,
                      NavServer      *server)
{
  Entry *e = g_new0 (Entry, 1);

  g_return_if_fail (NAV_IS_SERVER (server));
  e->name = g_strdup (name);
  e->server = g_object_ref (server);
  g_ptr_array_add (self->entries, e);
}

/* A Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*, so `-` becomes `_`. */
static gchar *
metric_name (const gchar *server,
             const gchar *key,
             gboolean     counter)
{
  GString *s = g_string_new ("nav_");
  const gchar *p;

  for (p = server; *p != '\0'; p++)
    g_string_append_c (s, g_ascii_isalnum (*p) ? g_ascii_tolower (*p) : '_');
  g_string_append_c (s, '_');
  for (p = key; *p != '\0'; p++)
    g_string_append_c (s, g_ascii_isalnum (*p) ? g_ascii_tolower (*p) : '_');
  if (counter && !g_str_has_suffix (s->str, "_total"))
    g_string_append (s, "_total");
  return g_string_free (s, FALSE);
}

static gchar *
render_json (NavServerStats *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  guint i;

  json_builder_begin_object (builder);
  for (i = 0; i < self->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (self->entries, i);
      g_autoptr (GVariant) stats = nav_server_get_stats (e->server);
      GVariantIter iter;
      const gchar *key;
      guint64 value;

      json_builder_set_member_name (builder, e->name);
      json_builder_begin_object (builder);
      g_variant_iter_init (&iter, stats);
      while (g_variant_iter_next (&iter, "{&st}", &key, &value))
        {
          json_builder_set_member_name (builder, key);
          /* JSON numbers are doubles to most readers, but counters
           * stay below 2^53 for centuries */
          json_builder_add_int_value (builder, (gint64) MIN (value, (guint64) G_MAXINT64));
        }
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

static gchar *
render_metrics (NavServerStats *self)
{
  GString *out = g_string_new (NULL);
  guint i;

  for (i = 0; i < self->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (self->entries, i);
      g_autoptr (GVariant) stats = nav_server_get_stats (e->server);
      GVariantIter iter;
      const gchar *key;
      guint64 value;

      g_variant_iter_init (&iter, stats);
      while (g_variant_iter_next (&iter, "{&st}", &key, &value))
        {
          gboolean counter = !g_strv_contains (gauges, key);
          g_autofree gchar *name = metric_name (e->name, key, counter);

          g_string_append_printf (out, "# HELP %s %s server: %s\n", name, e->name, key);
          g_string_append_printf (out, "# TYPE %s %s\n", name, counter ? "counter" : "gauge");
          g_string_append_printf (out, "%s %" G_GUINT64_FORMAT "\n", name, value);
        }
    }
  return g_string_free (out, FALSE);
}

static void
on_request (SoupServer        *soup,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  NavServerStats *self = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  const gchar *type = "application/json";
  gchar *body;

  if (!g_str_equal (method, SOUP_METHOD_GET) && !g_str_equal (method, SOUP_METHOD_HEAD))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
      return;
    }
  if (g_str_equal (path, "/health"))
    {
      g_autoptr (GString) s = g_string_new ("{\"status\":\"ok\",\"servers\":[");
      guint i;

      for (i = 0; i < self->entries->len; i++)
        g_string_append_printf (s, "%s\"%s\"", i > 0 ? "," : "",
                                ((Entry *) g_ptr_array_index (self->entries, i))->name);
      g_string_append (s, "]}\n");
      body = g_strdup (s->str);
    }
  else if (g_str_equal (path, "/stats"))
    body = render_json (self);
  else if (g_str_equal (path, "/metrics"))
    {
      body = render_metrics (self);
      type = "text/plain; version=0.0.4; charset=utf-8";
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_TAKE, body, strlen (body));
}

/**
 * nav_server_stats_listen:
 * @self: an endpoint
 * @ip: the address to listen on (plain HTTP: keep it private)
 * @port: the TCP port, 0 for any free one
 * @error: return location for a #GError
 *
 * Starts answering on the thread-default main context.
 *
 * Returns: %TRUE when listening
 */
gboolean
nav_server_stats_listen (NavServerStats *self,
                         const gchar    *ip,
                         guint           port,
                         GError        **error)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (ip);
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) local_error = NULL;
  GSList *uris;

  g_return_val_if_fail (self->soup == NULL, FALSE);

  if (inet == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not an IP address"), ip);
      return FALSE;
    }
  self->soup = g_object_new (SOUP_TYPE_SERVER,
                             "server-header", "netavanue-stats/" PACKAGE_VERSION " ",
                             NULL);
  soup_server_add_handler (self->soup, NULL, on_request, self, NULL);
  address = g_inet_socket_address_new (inet, port);
  if (!soup_server_listen (self->soup, address, 0, &local_error))
    {
      g_clear_object (&self->soup);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Cannot listen for stats on %s port %u: %s"), ip, port, local_error->message);
      return FALSE;
    }
  uris = soup_server_get_uris (self->soup);
  self->port = uris != NULL ? (guint) g_uri_get_port (uris->data) : port;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

/**
 * nav_server_stats_get_port:
 * @self: a listening endpoint
 *
 * Returns: the TCP port it listens on
 */
guint
nav_server_stats_get_port (NavServerStats *self)
{
  return self->port;
}

/**
 * nav_server_stats_free:
 * @self: (transfer full): an endpoint
 *
 * Stops listening and drops the references to the servers.
 */
void
nav_server_stats_free (NavServerStats *self)
{
  if (self == NULL)
    return;
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_ptr_array_unref (self->entries);
  g_free (self);
}
