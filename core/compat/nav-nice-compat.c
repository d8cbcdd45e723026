/* nav-nice-compat.c: libnetavanue-nice-1.0, the part of libnice's API
 * that the compatibility headers cannot map to NetAvanue with a macro
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Agents of libnice's ICE dialects (only RFC 5245 is spoken here),
 * libnice's interface helpers and debug switches, and
 * nice_component_state_to_string().  Only the nice_* functions are
 * exported.
 */
#include "config.h"

#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <glib/gi18n-lib.h>

#include "nice.h"

#define NICE_COMPAT_EXPORT __attribute__ ((visibility ("default")))

/* ----------------------------------------------------------- agents */

/* libnice's dialects other than RFC 5245 are refused: an agent that
 * spoke RFC 5245 to a Google Talk or Office Communicator peer would only
 * fail later, and less clearly.  NAV_COMPATIBILITY_RFC8445, a value
 * libnice leaves free, is taken too. */
static gboolean
dialect_supported (NiceCompatibility  compat,
                   NavCompatibility  *nav)
{
  static const gchar * const names[] = {
    [NICE_COMPATIBILITY_GOOGLE] = "NICE_COMPATIBILITY_GOOGLE",
    [NICE_COMPATIBILITY_MSN] = "NICE_COMPATIBILITY_MSN",
    [NICE_COMPATIBILITY_WLM2009] = "NICE_COMPATIBILITY_WLM2009",
    [NICE_COMPATIBILITY_OC2007] = "NICE_COMPATIBILITY_OC2007",
    [NICE_COMPATIBILITY_OC2007R2] = "NICE_COMPATIBILITY_OC2007R2",
  };

  if (compat == NICE_COMPATIBILITY_RFC5245 || (gint) compat == NAV_COMPATIBILITY_RFC8445)
    {
      *nav = (NavCompatibility) compat;
      return TRUE;
    }
  if ((guint) compat < G_N_ELEMENTS (names))
    g_warning (_("No agent created: NetAvanue does not speak libnice's %s dialect of ICE; "
                 "use NICE_COMPATIBILITY_RFC5245"), names[compat]);
  else
    g_warning (_("No agent created: unknown libnice compatibility mode %d; "
                 "use NICE_COMPATIBILITY_RFC5245"), (gint) compat);
  return FALSE;
}

NICE_COMPAT_EXPORT NiceAgent *
nice_agent_new (GMainContext      *ctx,
                NiceCompatibility  compat)
{
  NavCompatibility nav = NAV_COMPATIBILITY_RFC5245;

  return dialect_supported (compat, &nav) ? nav_agent_new (ctx, nav) : NULL;
}

NICE_COMPAT_EXPORT NiceAgent *
nice_agent_new_full (GMainContext      *ctx,
                     NiceCompatibility  compat,
                     NiceAgentOption    flags)
{
  NavCompatibility nav = NAV_COMPATIBILITY_RFC5245;

  return dialect_supported (compat, &nav) ? nav_agent_new_full (ctx, nav, flags) : NULL;
}

NICE_COMPAT_EXPORT NiceAgent *
nice_agent_new_reliable (GMainContext      *ctx,
                         NiceCompatibility  compat)
{
  NavCompatibility nav = NAV_COMPATIBILITY_RFC5245;

  return dialect_supported (compat, &nav) ? nav_agent_new_reliable (ctx, nav) : NULL;
}

NICE_COMPAT_EXPORT const gchar *
nice_component_state_to_string (NiceComponentState state)
{
  static const gchar * const names[] = {
    "disconnected", "gathering", "connecting", "connected", "ready", "failed"
  };

  return (guint) state < G_N_ELEMENTS (names) ? names[state] : "invalid";
}

/* ------------------------------------------------------- interfaces */

NICE_COMPAT_EXPORT GList *
nice_interfaces_get_local_ips (gboolean include_loopback)
{
  GList *addresses = nav_host_gatherer_list_local_addresses (include_loopback, TRUE, TRUE);
  GList *ips = NULL;

  for (GList *l = addresses; l != NULL; l = l->next)
    ips = g_list_prepend (ips, nav_address_ip_to_string (l->data));
  g_list_free_full (addresses, (GDestroyNotify) nav_address_free);
  return g_list_reverse (ips);
}

static gboolean
is_ip (const struct ifaddrs *ifa)
{
  return ifa->ifa_addr != NULL &&
         (ifa->ifa_addr->sa_family == AF_INET || ifa->ifa_addr->sa_family == AF_INET6);
}

NICE_COMPAT_EXPORT GList *
nice_interfaces_get_local_interfaces (void)
{
  struct ifaddrs *all, *ifa;
  GList *names = NULL;

  if (getifaddrs (&all) != 0)
    return NULL;
  for (ifa = all; ifa != NULL; ifa = ifa->ifa_next)
    if (is_ip (ifa) && g_list_find_custom (names, ifa->ifa_name, (GCompareFunc) strcmp) == NULL)
      names = g_list_prepend (names, g_strdup (ifa->ifa_name));
  freeifaddrs (all);
  return g_list_reverse (names);
}

/* The interface's first IPv4 address, as libnice answers; its first IPv6
 * one when it has none. */
NICE_COMPAT_EXPORT gchar *
nice_interfaces_get_ip_for_interface (gchar *interface_name)
{
  struct ifaddrs *all, *ifa;
  NavAddress found;
  gboolean have = FALSE;

  g_return_val_if_fail (interface_name != NULL, NULL);

  if (getifaddrs (&all) != 0)
    return NULL;
  nav_address_init (&found);
  for (ifa = all; ifa != NULL; ifa = ifa->ifa_next)
    {
      NavAddress addr;

      if (!is_ip (ifa) || strcmp (ifa->ifa_name, interface_name) != 0)
        continue;
      nav_address_init (&addr);
      if (!nav_address_set_from_sockaddr (&addr, ifa->ifa_addr,
                                          ifa->ifa_addr->sa_family == AF_INET6
                                          ? sizeof (struct sockaddr_in6)
                                          : sizeof (struct sockaddr_in)))
        continue;
      if (!have || (ifa->ifa_addr->sa_family == AF_INET &&
                    nav_address_get_family (&found) != G_SOCKET_FAMILY_IPV4))
        {
          found = addr;
          have = TRUE;
        }
    }
  freeifaddrs (all);
  return have ? nav_address_ip_to_string (&found) : NULL;
}

NICE_COMPAT_EXPORT guint
nice_interfaces_get_if_index_by_addr (NiceAddress *addr)
{
  struct ifaddrs *all, *ifa;
  guint index = 0;

  g_return_val_if_fail (addr != NULL, 0);

  if (getifaddrs (&all) != 0)
    return 0;
  for (ifa = all; ifa != NULL && index == 0; ifa = ifa->ifa_next)
    {
      NavAddress a;

      nav_address_init (&a);
      if (is_ip (ifa) &&
          nav_address_set_from_sockaddr (&a, ifa->ifa_addr,
                                         ifa->ifa_addr->sa_family == AF_INET6
                                         ? sizeof (struct sockaddr_in6)
                                         : sizeof (struct sockaddr_in)) &&
          nav_address_equal_no_port (&a, addr))
        index = if_nametoindex (ifa->ifa_name);
    }
  freeifaddrs (all);
  return index;
}

/* ------------------------------------------------------------ debug */

/* The domains are kept in G_MESSAGES_DEBUG, which GLib's default writer
 * reads at each debug message (as NAV_DEBUG is applied, nav-registry.c). */
static void
set_debug_domains (gboolean enable,
                   gboolean with_stun)
{
  static const gchar * const core[] = { "nav", "nav-ice", NULL };
  static const gchar * const stun[] = { "nav-stun", "nav-turn", NULL };
  g_auto (GStrv) current = g_strsplit (g_getenv ("G_MESSAGES_DEBUG") ?: "", " ", -1);
  g_autoptr (GPtrArray) domains = g_ptr_array_new ();
  g_autofree gchar *joined = NULL;
  guint i;

  for (i = 0; current[i] != NULL; i++)
    {
      gboolean ours = g_strv_contains (core, current[i]) ||
                      (with_stun && g_strv_contains (stun, current[i]));

      if (current[i][0] != '\0' && !ours)
        g_ptr_array_add (domains, current[i]);
    }
  if (enable)
    {
      for (i = 0; core[i] != NULL; i++)
        g_ptr_array_add (domains, (gpointer) core[i]);
      for (i = 0; with_stun && stun[i] != NULL; i++)
        g_ptr_array_add (domains, (gpointer) stun[i]);
    }
  g_ptr_array_add (domains, NULL);
  joined = g_strjoinv (" ", (gchar **) domains->pdata);
  if (joined[0] != '\0')
    g_setenv ("G_MESSAGES_DEBUG", joined, TRUE);
  else
    g_unsetenv ("G_MESSAGES_DEBUG");
}

NICE_COMPAT_EXPORT void
nice_debug_enable (gboolean with_stun)
{
  set_debug_domains (TRUE, with_stun);
}

NICE_COMPAT_EXPORT void
nice_debug_disable (gboolean with_stun)
{
  set_debug_domains (FALSE, with_stun);
}
