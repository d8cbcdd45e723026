/* nav-net-resolve.c: STUN and TURN server names (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-net-resolve.h"
#include "nav-stun-transaction.h"

#include <string.h>

#include <glib/gi18n-lib.h>

const gchar *
nav_stun_protocol_to_string (NavStunProtocol protocol)
{
  switch (protocol)
    {
    case NAV_STUN_PROTOCOL_UDP: return "udp";
    case NAV_STUN_PROTOCOL_TCP: return "tcp";
    case NAV_STUN_PROTOCOL_TLS: return "tls";
    default: return "?";
    }
}

gboolean
nav_stun_protocol_from_string (const gchar     *text,
                               NavStunProtocol *protocol)
{
  if (text == NULL || g_ascii_strcasecmp (text, "udp") == 0)
    *protocol = NAV_STUN_PROTOCOL_UDP;
  else if (g_ascii_strcasecmp (text, "tcp") == 0)
    *protocol = NAV_STUN_PROTOCOL_TCP;
  else if (g_ascii_strcasecmp (text, "tls") == 0)
    *protocol = NAV_STUN_PROTOCOL_TLS;
  else
    return FALSE;
  return TRUE;
}

gboolean
nav_net_parse_server (const gchar      *server,
                      NavStunProtocol   protocol,
                      gchar           **host,
                      guint16          *port,
                      GError          **error)
{
  const gchar *s = server;
  const gchar *colon;
  guint64 p = protocol == NAV_STUN_PROTOCOL_TLS ? 5349 : 3478;

  /* RFC 7064 URIs: stun:host[:port], stuns:host[:port] */
  if (g_str_has_prefix (s, "stuns:"))
    s += 6;
  else if (g_str_has_prefix (s, "stun:"))
    s += 5;

  if (s[0] == '[')
    {
      const gchar *end = strchr (s, ']');

      if (end == NULL)
        goto bad;
      *host = g_strndup (s + 1, end - s - 1);
      colon = end[1] == ':' ? end + 1 : NULL;
      if (end[1] != '\0' && colon == NULL)
        goto bad_free;
    }
  else
    {
      colon = strchr (s, ':');
      if (colon != NULL && strchr (colon + 1, ':') != NULL)
        colon = NULL;   /* a bare IPv6 address */
      *host = colon != NULL ? g_strndup (s, colon - s) : g_strdup (s);
    }
  if ((*host)[0] == '\0')
    goto bad_free;
  if (colon != NULL &&
      (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &p, NULL)))
    goto bad_free;
  *port = p;
  return TRUE;

bad_free:
  g_clear_pointer (host, g_free);
bad:
  g_set_error (error, NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_RESOLVE_FAILED,
               _("“%s” is not a server address (HOST[:PORT] or [IPV6]:PORT)"), server);
  return FALSE;
}

typedef struct
{
  GMainContext *context;
  gchar *host;
  guint16 port;
  GSocketFamily family;
} ResolveData;

static void
resolve_data_free (ResolveData *d)
{
  g_main_context_unref (d->context);
  g_free (d->host);
  g_free (d);
}

static void
resolve_by_name_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  ResolveData *d = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  GList *addresses, *l;
  NavAddress *found = NULL;

  addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  for (l = addresses; l != NULL && found == NULL; l = l->next)
    {
      GInetAddress *ia = l->data;
      g_autoptr (GSocketAddress) sa = NULL;

      if (d->family != G_SOCKET_FAMILY_INVALID && g_inet_address_get_family (ia) != d->family)
        continue;
      sa = g_inet_socket_address_new (ia, d->port);
      found = nav_address_new_from_socket_address (sa, NULL);
    }
  g_resolver_free_addresses (addresses);
  if (found == NULL)
    {
      g_task_return_new_error (task, NAV_STUN_CLIENT_ERROR,
                               NAV_STUN_CLIENT_ERROR_RESOLVE_FAILED,
                               _("Cannot resolve “%s”: %s"), d->host,
                               error != NULL ? error->message
                                             : _("no address of the wanted family"));
      return;
    }
  g_task_return_pointer (task, found, (GDestroyNotify) nav_address_free);
}

static void
resolve_by_name (GTask *task)
{
  ResolveData *d = g_task_get_task_data (task);
  g_autoptr (GResolver) resolver = g_resolver_get_default ();
  GResolverNameLookupFlags flags = G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT;

  if (d->family == G_SOCKET_FAMILY_IPV4)
    flags = G_RESOLVER_NAME_LOOKUP_FLAGS_IPV4_ONLY;
  else if (d->family == G_SOCKET_FAMILY_IPV6)
    flags = G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY;
  g_main_context_push_thread_default (d->context);
  g_resolver_lookup_by_name_with_flags_async (resolver, d->host, flags,
                                              g_task_get_cancellable (task),
                                              resolve_by_name_done, task);
  g_main_context_pop_thread_default (d->context);
}

static void
resolve_srv_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  ResolveData *d = g_task_get_task_data (task);
  GList *targets;

  /* RFC 8489 §8.1: use the SRV target when there is one, else the name
   * itself with the default port. */
  targets = g_resolver_lookup_service_finish (G_RESOLVER (source), result, NULL);
  if (targets != NULL)
    {
      GSrvTarget *t = targets->data;

      g_free (d->host);
      d->host = g_strdup (g_srv_target_get_hostname (t));
      d->port = g_srv_target_get_port (t);
      g_resolver_free_targets (targets);
    }
  resolve_by_name (task);
}

void
nav_net_resolve_async (GMainContext        *context,
                       const gchar         *server,
                       NavStunProtocol      protocol,
                       GSocketFamily        family,
                       gboolean             use_srv,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GInetAddress) literal = NULL;
  g_autoptr (GError) error = NULL;
  ResolveData *d;
  gboolean explicit_port;

  /* The task completes in the thread-default context of its creation. */
  if (context != NULL)
    g_main_context_push_thread_default (context);
  task = g_task_new (NULL, cancellable, callback, user_data);
  if (context != NULL)
    g_main_context_pop_thread_default (context);
  g_task_set_source_tag (task, nav_net_resolve_async);
  d = g_new0 (ResolveData, 1);
  d->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  d->family = family;
  g_task_set_task_data (task, d, (GDestroyNotify) resolve_data_free);
  if (!nav_net_parse_server (server, protocol, &d->host, &d->port, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  explicit_port = strchr (server, ']') != NULL ? strstr (server, "]:") != NULL
                                               : (strchr (server, ':') != NULL &&
                                                  strchr (server, ':') == strrchr (server, ':') &&
                                                  !g_str_has_prefix (server, "stun"));
  literal = g_inet_address_new_from_string (d->host);
  if (literal != NULL)
    {
      g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (literal, d->port);

      if (family != G_SOCKET_FAMILY_INVALID && g_inet_address_get_family (literal) != family)
        {
          g_task_return_new_error (task, NAV_STUN_CLIENT_ERROR,
                                   NAV_STUN_CLIENT_ERROR_RESOLVE_FAILED,
                                   _("%s is not of the requested address family"), d->host);
          return;
        }
      g_task_return_pointer (task, nav_address_new_from_socket_address (sa, NULL),
                             (GDestroyNotify) nav_address_free);
      return;
    }
  if (use_srv && !explicit_port)
    {
      g_autoptr (GResolver) resolver = g_resolver_get_default ();

      g_main_context_push_thread_default (d->context);
      g_resolver_lookup_service_async (resolver,
                                       protocol == NAV_STUN_PROTOCOL_TLS ? "stuns" : "stun",
                                       protocol == NAV_STUN_PROTOCOL_UDP ? "udp" : "tcp",
                                       d->host, cancellable, resolve_srv_done,
                                       g_steal_pointer (&task));
      g_main_context_pop_thread_default (d->context);
      return;
    }
  resolve_by_name (g_steal_pointer (&task));
}

NavAddress *
nav_net_resolve_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
