/* nice-api.c: the corners of libnice's API a program may touch beyond
 * the agent's methods, written for libnice only
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built twice from this one source, like nice-messages.c: against the
 * real libnice (pkg-config nice) and against NetAvanue's compatibility
 * layer (pkg-config netavanue-nice-1.0).  Both builds must pass, so the
 * libnice build proves each expectation: nice.h and its version check,
 * the interface helpers, the debug switches, the enums programs name
 * (every NiceCompatibility value, NiceProxyType), the class macros,
 * nice_component_state_to_string(), and gather_candidates() returning
 * FALSE when the component's port range is taken.  Where the two differ
 * on purpose (NetAvanue refuses libnice's Google and Microsoft dialects
 * with a warning) the program says which library it runs on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net/if.h>
#include <gio/gio.h>

#include <nice.h>

#if !NICE_CHECK_VERSION (0, 1, 18) || NICE_CHECK_VERSION (99, 0, 0)
#error "NICE_CHECK_VERSION disagrees with the API level"
#endif

static gboolean netavanue;
static guint dialect_warnings;

static void
fail (const gchar *what)
{
  fprintf (stderr, "FAIL: %s\n", what);
  exit (1);
}

static gboolean
list_has (GList       *list,
          const gchar *s)
{
  return g_list_find_custom (list, s, (GCompareFunc) strcmp) != NULL;
}

static void
check_interfaces (void)
{
  GList *with_lo = nice_interfaces_get_local_ips (TRUE);
  GList *without_lo = nice_interfaces_get_local_ips (FALSE);
  GList *names = nice_interfaces_get_local_interfaces ();
  gchar lo_name[] = "lo";
  gchar *ip = nice_interfaces_get_ip_for_interface (lo_name);
  NiceAddress addr;

  if (!list_has (with_lo, "127.0.0.1"))
    fail ("get_local_ips (TRUE) lacks 127.0.0.1");
  if (list_has (without_lo, "127.0.0.1"))
    fail ("get_local_ips (FALSE) lists 127.0.0.1");
  if (!list_has (names, "lo"))
    fail ("get_local_interfaces lacks lo");
  if (g_strcmp0 (ip, "127.0.0.1") != 0)
    fail ("get_ip_for_interface (lo) is not 127.0.0.1");
  nice_address_init (&addr);
  if (!nice_address_set_from_string (&addr, "127.0.0.1"))
    fail ("127.0.0.1 does not parse");
  if (nice_interfaces_get_if_index_by_addr (&addr) != if_nametoindex ("lo"))
    fail ("get_if_index_by_addr (127.0.0.1) is not lo's index");
  g_list_free_full (with_lo, g_free);
  g_list_free_full (without_lo, g_free);
  g_list_free_full (names, g_free);
  g_free (ip);
}

static void
check_names (void)
{
  /* Every value a program may name compiles, with libnice's numbers. */
  static const NiceCompatibility compat[] = {
    NICE_COMPATIBILITY_RFC5245, NICE_COMPATIBILITY_DRAFT19, NICE_COMPATIBILITY_GOOGLE,
    NICE_COMPATIBILITY_MSN, NICE_COMPATIBILITY_WLM2009, NICE_COMPATIBILITY_OC2007,
    NICE_COMPATIBILITY_OC2007R2, NICE_COMPATIBILITY_LAST,
  };
  static const NiceProxyType proxy[] = {
    NICE_PROXY_TYPE_NONE, NICE_PROXY_TYPE_SOCKS5, NICE_PROXY_TYPE_HTTP, NICE_PROXY_TYPE_LAST,
  };

  if (compat[0] != 0 || compat[1] != 0 || compat[2] != 1 || compat[6] != 5 || compat[7] != 5)
    fail ("NiceCompatibility values differ from libnice's");
  if (proxy[1] != 1 || proxy[3] != 2)
    fail ("NiceProxyType values differ from libnice's");
  if (strcmp (nice_component_state_to_string (NICE_COMPONENT_STATE_CONNECTED), "connected") != 0 ||
      strcmp (nice_component_state_to_string (NICE_COMPONENT_STATE_LAST), "invalid") != 0)
    fail ("nice_component_state_to_string");
}

/* Counts the warnings about a refused dialect, prints everything. */
static GLogWriterOutput
writer (GLogLevelFlags   level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0 && (level & G_LOG_LEVEL_WARNING) &&
        strstr (fields[i].value, "NICE_COMPATIBILITY_") != NULL)
      dialect_warnings++;
  return g_log_writer_default (level, fields, n_fields, data);
}

static void
check_agent (void)
{
  NiceAgent *agent = nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245);
  NiceAgentClass *klass;
  NiceAgent *other;

  if (agent == NULL || !NICE_IS_AGENT (agent) ||
      !g_type_is_a (G_OBJECT_TYPE (agent), nice_agent_get_type ()))
    fail ("nice_agent_new");
  klass = NICE_AGENT_GET_CLASS (agent);
  if (!NICE_IS_AGENT_CLASS (klass) || NICE_AGENT_CLASS (klass) != klass)
    fail ("the class macros");

  /* libnice speaks Google Talk's dialect; NetAvanue refuses it with a
   * warning, and so every dialect but RFC 5245. */
  other = nice_agent_new (NULL, NICE_COMPATIBILITY_GOOGLE);
  if (netavanue ? other != NULL : other == NULL)
    fail ("nice_agent_new (NICE_COMPATIBILITY_GOOGLE)");
  if (other != NULL)
    g_object_unref (other);
  other = nice_agent_new_full (NULL, NICE_COMPATIBILITY_OC2007R2, NICE_AGENT_OPTION_NONE);
  if (netavanue ? other != NULL : other == NULL)
    fail ("nice_agent_new_full (NICE_COMPATIBILITY_OC2007R2)");
  if (other != NULL)
    g_object_unref (other);
  if (dialect_warnings != (netavanue ? 2u : 0u))
    fail ("a refused dialect without a warning naming it");
  g_object_unref (agent);
}

/* libnice flips its own switch; NetAvanue's output is GLib's debug
 * output of its log domains, which the switches open and close. */
static void
check_debug (void)
{
  nice_debug_enable (TRUE);
  if (netavanue && (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, "nav-ice") ||
                    g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, "nav-stun")))
    fail ("nice_debug_enable (TRUE) left the ICE or STUN debug output off");
  nice_debug_disable (TRUE);
  if (netavanue && !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, "nav-ice"))
    fail ("nice_debug_disable (TRUE) left the debug output on");
  nice_debug_enable (FALSE);
  if (netavanue && (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, "nav-ice") ||
                    !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, "nav-stun")))
    fail ("nice_debug_enable (FALSE) is not the ICE output alone");
  nice_debug_disable (FALSE);
}

/* A UDP port of 127.0.0.1 held by the returned socket. */
static GSocket *
hold_port (guint *port)
{
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any = g_inet_socket_address_new (lo, 0);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, NULL);
  GSocketAddress *bound;

  if (socket == NULL || !g_socket_bind (socket, any, FALSE, NULL))
    fail ("binding a UDP socket");
  bound = g_socket_get_local_address (socket, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (any);
  g_object_unref (lo);
  return socket;
}

/* libnice: a component whose port range is taken gets no candidate, and
 * gather_candidates() says FALSE. */
static void
check_gather_exhausted (void)
{
  NiceAgent *agent = nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245);
  NiceAddress addr;
  GSocket *held;
  GSList *local;
  guint port, stream;

  g_object_set (agent, "ice-tcp", FALSE, NULL);
  nice_address_init (&addr);
  nice_address_set_from_string (&addr, "127.0.0.1");
  nice_agent_add_local_address (agent, &addr);
  stream = nice_agent_add_stream (agent, 1);
  held = hold_port (&port);
  nice_agent_set_port_range (agent, stream, 1, port, port);
  if (nice_agent_gather_candidates (agent, stream))
    fail ("gather_candidates with the port range taken is TRUE");
  local = nice_agent_get_local_candidates (agent, stream, 1);
  if (local != NULL)
    fail ("candidates gathered with the port range taken");
  g_object_unref (held);
  if (!nice_agent_gather_candidates (agent, stream))
    fail ("gather_candidates once the port is free is FALSE");
  local = nice_agent_get_local_candidates (agent, stream, 1);
  if (g_slist_length (local) != 1)
    fail ("not one candidate once the port is free");
  g_slist_free_full (local, (GDestroyNotify) nice_candidate_free);
  g_object_unref (agent);
}

int
main (int   argc,
      char *argv[])
{
  NiceAgent *probe;

  g_log_set_writer_func (writer, NULL, NULL);
  g_unsetenv ("G_MESSAGES_DEBUG");
  probe = nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245);
  netavanue = strcmp (G_OBJECT_TYPE_NAME (probe), "NavAgent") == 0;
  printf ("agent type %s\n", G_OBJECT_TYPE_NAME (probe));
  g_object_unref (probe);

  check_names ();
  check_interfaces ();
  check_debug ();
  check_agent ();
  check_gather_exhausted ();
  printf ("OK\n");
  return 0;
}
