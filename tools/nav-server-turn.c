/* nav-server-turn.c: the TURN part of nav-server: its options, its help,
 * and the server built from them through the registry (the server lives
 * in the turn module)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "nav-server-turn.h"

/* coturn's option names and meanings (turnserver(1)) */
static gchar *opt_relay_ip;
static gchar *opt_external_ip;
static gchar *opt_realm;
static gboolean opt_lt_cred_mech;
static gboolean opt_use_auth_secret;
static gchar *opt_static_auth_secret;
static gboolean opt_no_auth;
static gchar **opt_users;
static gchar *opt_userdb;
static gint opt_min_port = 49152;
static gint opt_max_port = 65535;
static gint opt_user_quota;
static gint opt_total_quota;
static gint64 opt_max_bps;
static gboolean opt_allow_loopback_peers;
static gchar **opt_denied_peer_ips;
static gchar **opt_allowed_peer_ips;
static gint opt_max_allocate_lifetime = 3600;
static gint opt_default_allocate_lifetime = 600;
static gint opt_permission_lifetime = 300;
static gint opt_channel_lifetime = 600;
static gint opt_stale_nonce = 600;
static gint opt_relay_threads = -1;

const GOptionEntry nav_server_turn_entries[] = {
  { "relay-ip", 0, 0, G_OPTION_ARG_STRING, &opt_relay_ip,
    N_("TURN: address relays are allocated on; one IPv4 and one IPv6, comma-separated "
       "(default: the listening address)"), N_("IP") },
  { "external-ip", 'X', 0, G_OPTION_ARG_STRING, &opt_external_ip,
    N_("TURN: public IPv4 address to advertise when behind a 1:1 NAT"), N_("IP") },
  { "realm", 'r', 0, G_OPTION_ARG_STRING, &opt_realm,
    N_("TURN: realm of the long-term credentials"), N_("REALM") },
  { "lt-cred-mech", 'a', 0, G_OPTION_ARG_NONE, &opt_lt_cred_mech,
    N_("TURN: long-term credential mechanism with --user / --userdb"), NULL },
  { "user", 'u', 0, G_OPTION_ARG_STRING_ARRAY, &opt_users,
    N_("TURN: a user, name:password (or name:0xMD5KEY); may be repeated"), N_("NAME:PASSWORD") },
  { "userdb", 'b', 0, G_OPTION_ARG_FILENAME, &opt_userdb,
    N_("TURN: file of users, one name:password a line"), N_("FILE") },
  { "use-auth-secret", 0, 0, G_OPTION_ARG_NONE, &opt_use_auth_secret,
    N_("TURN: accept TURN REST API credentials (user expiry:name, password "
       "base64(HMAC-SHA1(secret, user)))"), NULL },
  { "static-auth-secret", 0, 0, G_OPTION_ARG_STRING, &opt_static_auth_secret,
    N_("TURN: the shared secret of --use-auth-secret"), N_("SECRET") },
  { "no-auth", 'z', 0, G_OPTION_ARG_NONE, &opt_no_auth,
    N_("TURN: relay without credentials (closed test networks only)"), NULL },
  { "min-port", 0, 0, G_OPTION_ARG_INT, &opt_min_port,
    N_("TURN: lowest relay port (default: 49152)"), N_("PORT") },
  { "max-port", 0, 0, G_OPTION_ARG_INT, &opt_max_port,
    N_("TURN: highest relay port (default: 65535)"), N_("PORT") },
  { "user-quota", 0, 0, G_OPTION_ARG_INT, &opt_user_quota,
    N_("TURN: allocations one user may hold at once (default: 0, no limit)"), N_("N") },
  { "total-quota", 0, 0, G_OPTION_ARG_INT, &opt_total_quota,
    N_("TURN: allocations the server holds at once (default: 0, no limit)"), N_("N") },
  { "max-bps", 0, 0, G_OPTION_ARG_INT64, &opt_max_bps,
    N_("TURN: bandwidth cap of one allocation, bytes a second (default: 0, none)"), N_("BYTES") },
  { "allow-loopback-peers", 0, 0, G_OPTION_ARG_NONE, &opt_allow_loopback_peers,
    N_("TURN: relay to loopback peers (refused by default)"), NULL },
  { "denied-peer-ip", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_denied_peer_ips,
    N_("TURN: never relay to this range (IP, FIRST-LAST or IP/PREFIX); may be repeated"), N_("RANGE") },
  { "allowed-peer-ip", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_allowed_peer_ips,
    N_("TURN: relay to this range even if denied otherwise; may be repeated"), N_("RANGE") },
  { "max-allocate-lifetime", 0, 0, G_OPTION_ARG_INT, &opt_max_allocate_lifetime,
    N_("TURN: longest allocation lifetime granted, seconds (default: 3600)"), N_("SECONDS") },
  { "default-allocate-lifetime", 0, 0, G_OPTION_ARG_INT, &opt_default_allocate_lifetime,
    N_("TURN: allocation lifetime when the client asks for less, seconds (default: 600)"), N_("SECONDS") },
  { "permission-lifetime", 0, 0, G_OPTION_ARG_INT, &opt_permission_lifetime,
    N_("TURN: permission lifetime, seconds (default: 300)"), N_("SECONDS") },
  { "channel-lifetime", 0, 0, G_OPTION_ARG_INT, &opt_channel_lifetime,
    N_("TURN: channel binding lifetime, seconds (default: 600)"), N_("SECONDS") },
  { "relay-threads", 0, 0, G_OPTION_ARG_INT, &opt_relay_threads,
    N_("TURN: worker threads relaying over UDP, each owning the allocations it received "
       "(default: --threads, one per CPU; 0: none, the main thread)"), N_("N") },
  { "stale-nonce", 0, 0, G_OPTION_ARG_INT, &opt_stale_nonce,
    N_("TURN: seconds a nonce stays valid before 438 Stale Nonce (default: 600)"), N_("SECONDS") },
  G_OPTION_ENTRY_NULL
};

gboolean
nav_server_turn_is_option (const gchar *name)
{
  guint i;

  for (i = 0; nav_server_turn_entries[i].long_name != NULL; i++)
    if (g_str_equal (nav_server_turn_entries[i].long_name, name))
      return TRUE;
  return FALSE;
}

const gchar *
nav_server_turn_help (void)
{
  return _("The TURN server (--turn) relays for clients that authenticated\n"
           "(RFC 8656): UDP relays for clients over UDP, TCP and TLS, TCP relays\n"
           "(RFC 6062) for clients over TCP and TLS, IPv6 relays on request\n"
           "(RFC 6156).  It answers Binding requests too, so --stun --turn\n"
           "runs one server on the listening ports.  Its UDP clients are served by\n"
           "--relay-threads worker threads (one per CPU by default), each with a\n"
           "socket of its own on the port; an allocation, its relayed sockets and\n"
           "its traffic belong to the thread that received its Allocate.  Peers\n"
           "in loopback, private and link-local ranges are refused unless\n"
           "--allow-loopback-peers or\n"
           "--allowed-peer-ip says otherwise.\n"
           "\n"
           "TURN examples:\n"
           "  nav-server --turn --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 \\\n"
           "    --lt-cred-mech --user=alice:secret --realm=example.org\n"
           "  nav-server --turn --use-auth-secret --static-auth-secret=S3CR3T \\\n"
           "    --realm=example.org --user-quota=10 --total-quota=1000\n");
}

static gboolean
check_range (gint         value,
             gint         min,
             gint         max,
             const gchar *name,
             GError     **error)
{
  if (value < min || value > max)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--%s: %d is out of range (%d to %d)"), name, value, min, max);
      return FALSE;
    }
  return TRUE;
}

/* coturn starts with --lt-cred-mech and no user, then refuses every
 * client: nav-server refuses to start instead.  The users are those of
 * --user and the name:password lines of --userdb (a userdb that cannot
 * be read is the TURN server's own error, at start). */
gboolean
nav_server_turn_check_users (GError **error)
{
  guint n = opt_users != NULL ? g_strv_length (opt_users) : 0;

  if (!opt_lt_cred_mech && opt_users == NULL && opt_userdb == NULL)
    return TRUE;
  if (opt_use_auth_secret || opt_no_auth)
    return TRUE;
  if (n == 0 && opt_userdb != NULL)
    {
      g_autofree gchar *contents = NULL;
      g_auto (GStrv) lines = NULL;

      if (!g_file_get_contents (opt_userdb, &contents, NULL, NULL))
        return TRUE;
      lines = g_strsplit (contents, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          const gchar *line = g_strstrip (lines[i]);

          if (line[0] != '\0' && line[0] != '#')
            n++;
        }
    }
  if (n == 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("The long-term credential mechanism has no users: give at least "
                             "one user (name:password) or a userdb file that lists some"));
      return FALSE;
    }
  return TRUE;
}

NavServer *
nav_server_turn_new (gchar       **listening_ips,
                     gint          listening_port,
                     gint          tls_listening_port,
                     const gchar  *cert,
                     const gchar  *pkey,
                     gboolean      no_udp,
                     gboolean      no_tcp,
                     gboolean      no_tls,
                     const gchar  *software,
                     guint         tcp_idle_timeout_ms,
                     guint         max_tcp_connections,
                     guint         threads,
                     const gchar  *steering,
                     GError      **error)
{
  static const gchar *const default_ips[] = { "0.0.0.0", "::", NULL };
  gboolean lt_cred_mech = opt_lt_cred_mech;

  if (!check_range (opt_min_port, 1, 65535, "min-port", error) ||
      !check_range (opt_max_port, 1, 65535, "max-port", error) ||
      !check_range (opt_user_quota, 0, G_MAXINT, "user-quota", error) ||
      !check_range (opt_total_quota, 0, G_MAXINT, "total-quota", error) ||
      !check_range (opt_max_allocate_lifetime, 1, G_MAXINT, "max-allocate-lifetime", error) ||
      !check_range (opt_default_allocate_lifetime, 1, G_MAXINT, "default-allocate-lifetime", error) ||
      !check_range (opt_permission_lifetime, 1, G_MAXINT, "permission-lifetime", error) ||
      !check_range (opt_channel_lifetime, 1, G_MAXINT, "channel-lifetime", error) ||
      !check_range (opt_stale_nonce, 1, G_MAXINT, "stale-nonce", error) ||
      !check_range (opt_relay_threads, -1, 256, "relay-threads", error))
    return NULL;
  if (opt_max_bps < 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--max-bps must not be negative"));
      return NULL;
    }
  /* as coturn: users imply the long-term mechanism */
  if ((opt_users != NULL || opt_userdb != NULL) && !opt_use_auth_secret)
    lt_cred_mech = TRUE;

  return NAV_SERVER (nav_registry_create (nav_registry_get_default (),
                       NAV_SERVER_EXTENSION_POINT_NAME, "turn", error,
                       "listening-ips", listening_ips != NULL ? listening_ips : (gchar **) default_ips,
                       "listening-port", (guint) listening_port,
                       "tls-listening-port", (guint) tls_listening_port,
                       "relay-ip", opt_relay_ip,
                       "external-ip", opt_external_ip,
                       "realm", opt_realm,
                       "lt-cred-mech", lt_cred_mech,
                       "use-auth-secret", opt_use_auth_secret,
                       "static-auth-secret", opt_static_auth_secret,
                       "no-auth", opt_no_auth,
                       "users", opt_users,
                       "userdb", opt_userdb,
                       "min-port", (guint) opt_min_port,
                       "max-port", (guint) opt_max_port,
                       "user-quota", (guint) opt_user_quota,
                       "total-quota", (guint) opt_total_quota,
                       "max-bps", (guint64) opt_max_bps,
                       "allow-loopback-peers", opt_allow_loopback_peers,
                       "denied-peer-ip", opt_denied_peer_ips,
                       "allowed-peer-ip", opt_allowed_peer_ips,
                       "max-allocate-lifetime", (guint) opt_max_allocate_lifetime,
                       "default-allocate-lifetime", (guint) MIN (opt_default_allocate_lifetime,
                                                                  opt_max_allocate_lifetime),
                       "permission-lifetime", (guint) opt_permission_lifetime,
                       "channel-lifetime", (guint) opt_channel_lifetime,
                       "stale-nonce", (guint) opt_stale_nonce,
                       "no-udp", no_udp,
                       "no-tcp", no_tcp,
                       "no-tls", no_tls,
                       "cert", cert,
                       "pkey", pkey,
                       "software", software,
                       "tcp-idle-timeout", tcp_idle_timeout_ms,
                       "max-tcp-connections", max_tcp_connections,
                       "threads", opt_relay_threads >= 0 ? (guint) opt_relay_threads : threads,
                       "steering", steering != NULL ? steering : "hash",
                       NULL));
}

void
nav_server_turn_free_options (void)
{
  g_clear_pointer (&opt_relay_ip, g_free);
  g_clear_pointer (&opt_external_ip, g_free);
  g_clear_pointer (&opt_realm, g_free);
  g_clear_pointer (&opt_static_auth_secret, g_free);
  g_clear_pointer (&opt_users, g_strfreev);
  g_clear_pointer (&opt_userdb, g_free);
  g_clear_pointer (&opt_denied_peer_ips, g_strfreev);
  g_clear_pointer (&opt_allowed_peer_ips, g_strfreev);
}
