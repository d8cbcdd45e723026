/* nav-turn-server-policy.c: which peers the TURN server relays to
 * (coturn's denied-peer-ip, allowed-peer-ip, allow-loopback-peers)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 8656 §21.4 (and coturn's defaults made stricter): a relay must not
 * become a way into the server's own networks, nor into anything else
 * that is not globally reachable.  The special-purpose ranges of RFC 6890
 * (with RFC 6598, RFC 7335, RFC 8215) are refused, and an IPv6 address
 * that stands for an IPv4 one is judged as that IPv4 address too: the
 * IPv4-mapped ::ffff:0:0/96 (a dual-stack socket would reach the IPv4
 * host), the NAT64 prefixes 64:ff9b::/96 and 64:ff9b:1::/48 (a NAT64
 * gateway would), 6to4 2002::/16 (RFC 3056: the relay router) and Teredo
 * 2001::/32 (RFC 4380: the client, its address inverted in the last 32
 * bits).
 */
#include "config.h"

#include "nav-turn-server-private.h"

#include <string.h>

#include <glib/gi18n-lib.h>

static void
ip_bytes (const NavAddress *addr,
          guint8           *out)
{
  if (nav_address_get_family (addr) == G_SOCKET_FAMILY_IPV4)
    {
      guint32 v = nav_address_get_ipv4 (addr);

      out[0] = v >> 24; out[1] = v >> 16; out[2] = v >> 8; out[3] = v;
      return;
    }
  memcpy (out, nav_address_get_ipv6 (addr), 16);
}

static gboolean
parse_range (const gchar    *text,
             NavTurnIpRange *range,
             GError        **error)
{
  g_auto (GStrv) parts = NULL;
  NavAddress a, b;
  gsize len;

  memset (range, 0, sizeof *range);
  if (strchr (text, '/') != NULL)
    {
      guint64 bits;
      gsize i;

      parts = g_strsplit (text, "/", 2);
      if (!nav_address_set_ip_from_string (&a, g_strstrip (parts[0]), error))
        return FALSE;
      range->family = nav_address_get_family (&a);
      len = range->family == G_SOCKET_FAMILY_IPV4 ? 4 : 16;
      if (!g_ascii_string_to_unsigned (g_strstrip (parts[1]), 10, 0, len * 8, &bits, error))
        return FALSE;
      ip_bytes (&a, range->lo);
      memcpy (range->hi, range->lo, 16);
      for (i = 0; i < len; i++)
        {
          guint keep = bits >= (i + 1) * 8 ? 8 : (bits > i * 8 ? bits - i * 8 : 0);
          guint8 mask = keep == 0 ? 0 : (guint8) (0xFF << (8 - keep));

          range->lo[i] &= mask;
          range->hi[i] |= (guint8) ~mask;
        }
      return TRUE;
    }
  parts = g_strsplit (text, "-", 2);
  if (!nav_address_set_ip_from_string (&a, g_strstrip (parts[0]), error))
    return FALSE;
  b = a;
  if (parts[1] != NULL && !nav_address_set_ip_from_string (&b, g_strstrip (parts[1]), error))
    return FALSE;
  if (nav_address_get_family (&a) != nav_address_get_family (&b))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("“%s” mixes IPv4 and IPv6"), text);
      return FALSE;
    }
  range->family = nav_address_get_family (&a);
  ip_bytes (&a, range->lo);
  ip_bytes (&b, range->hi);
  return TRUE;
}

gboolean
nav_turn_parse_ranges (gchar  **texts,
                       GArray **out,
                       GError **error)
{
  guint i;

  *out = g_array_new (FALSE, FALSE, sizeof (NavTurnIpRange));
  if (texts == NULL)
    return TRUE;
  for (i = 0; texts[i] != NULL; i++)
    {
      g_auto (GStrv) parts = g_strsplit (texts[i], ",", -1);

      for (guint j = 0; parts[j] != NULL; j++)
        {
          NavTurnIpRange range;

          if (g_strstrip (parts[j])[0] == '\0')
            continue;
          if (!parse_range (parts[j], &range, error))
            return FALSE;
          g_array_append_val (*out, range);
        }
    }
  return TRUE;
}

static gboolean
in_ranges (GArray           *ranges,
           const NavAddress *addr)
{
  guint8 ip[16];
  GSocketFamily family = nav_address_get_family (addr);
  gsize len = family == G_SOCKET_FAMILY_IPV4 ? 4 : 16;
  guint i;

  if (ranges == NULL || ranges->len == 0)
    return FALSE;
  ip_bytes (addr, ip);
  for (i = 0; i < ranges->len; i++)
    {
      NavTurnIpRange *r = &g_array_index (ranges, NavTurnIpRange, i);

      if (r->family == family && memcmp (ip, r->lo, len) >= 0 && memcmp (ip, r->hi, len) <= 0)
        return TRUE;
    }
  return FALSE;
}

static void
set_ipv4 (NavAddress       *out,
          const guint8     *p,
          gboolean          invert,
          const NavAddress *from)
{
  guint32 v = ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];

  nav_address_init (out);
  nav_address_set_ipv4 (out, invert ? ~v : v);
  nav_address_set_port (out, nav_address_get_port (from));
}

gboolean
nav_turn_embedded_ipv4 (const NavAddress *address,
                        NavAddress       *ipv4,
                        gboolean         *mapped)
{
  static const guint8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const guint8 nat64[12] = { 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
  const guint8 *a;

  *mapped = FALSE;
  if (nav_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    return FALSE;
  a = nav_address_get_ipv6 (address);
  /* ::ffff:a.b.c.d, RFC 4291 §2.5.5.2: the IPv4 address itself. */
  if (memcmp (a, v4mapped, 12) == 0)
    {
      *mapped = TRUE;
      set_ipv4 (ipv4, a + 12, FALSE, address);
      return TRUE;
    }
  /* 64:ff9b::/96 (RFC 6052) and 64:ff9b:1::/48 (RFC 8215): the IPv4
   * address in the last 32 bits. */
  if (memcmp (a, nat64, 12) == 0 ||
      (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && a[4] == 0x00 && a[5] == 0x01))
    {
      set_ipv4 (ipv4, a + 12, FALSE, address);
      return TRUE;
    }
  /* 2002:V4ADDR::/48 (RFC 3056 §2) */
  if (a[0] == 0x20 && a[1] == 0x02)
    {
      set_ipv4 (ipv4, a + 2, FALSE, address);
      return TRUE;
    }
  /* 2001:0000:SERVER:FLAGS:PORT:CLIENT (RFC 4380 §4): the client's
   * address, inverted. */
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && a[3] == 0x00)
    {
      set_ipv4 (ipv4, a + 12, TRUE, address);
      return TRUE;
    }
  return FALSE;
}

/* RFC 6890 and its updates: the IPv4 ranges that are not globally
 * reachable, beyond the private (RFC 1918, RFC 6598), loopback and
 * link-local ones nav_address_is_private() knows. */
static gboolean
ipv4_special (guint32 ip)
{
  return (ip >> 24) == 0 ||                             /* 0.0.0.0/8 "this network" */
         (ip >> 8) == 0xC00000 ||                       /* 192.0.0.0/24 protocol assignments */
         (ip >> 8) == 0xC00002 ||                       /* 192.0.2.0/24 TEST-NET-1 */
         (ip >> 17) == (0xC612 >> 1) ||                 /* 198.18.0.0/15 benchmarking */
         (ip >> 8) == 0xC63364 ||                       /* 198.51.100.0/24 TEST-NET-2 */
         (ip >> 8) == 0xCB0071 ||                       /* 203.0.113.0/24 TEST-NET-3 */
         (ip >> 28) >= 0xE;                             /* multicast, reserved, broadcast */
}

static gboolean
ipv6_special (const guint8 *a)
{
  static const guint8 discard[8] = { 0x01, 0x00, 0, 0, 0, 0, 0, 0 };

  return a[0] == 0xFF ||                                      /* ff00::/8 multicast */
         memcmp (a, discard, 8) == 0 ||                       /* 100::/64 discard-only */
         (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) || /* 2001:db8::/32 */
         (a[0] == 0x20 && a[1] == 0x01 && a[2] <= 0x01) ||    /* 2001::/23 IETF assignments */
         (a[0] == 0x00 && a[1] == 0x00 &&                     /* ::/8 but ::1 (loopback, */
          !(memcmp (a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0)); /* judged below) */
}

gboolean
nav_turn_peer_policy_allows (const NavTurnPeerPolicy *policy,
                             const NavAddress        *peer)
{
  NavAddress v4;
  gboolean mapped = FALSE;

  if (in_ranges (policy->allowed, peer))
    return TRUE;
  if (nav_turn_embedded_ipv4 (peer, &v4, &mapped))
    {
      /* An IPv4-mapped address is that IPv4 address; an address of a
       * translation or tunnel prefix reaches its IPv4 host, and goes only
       * where that host may be reached. */
      if (mapped)
        return nav_turn_peer_policy_allows (policy, &v4);
      if (!nav_turn_peer_policy_allows (policy, &v4))
        return FALSE;
      if (in_ranges (policy->denied, peer))
        return FALSE;
      /* Teredo sits in 2001::/23: judged by its client, not refused. */
      return nav_address_get_port (peer) != 0;
    }
  if (in_ranges (policy->denied, peer))
    return FALSE;
  if (nav_address_is_any (peer) || nav_address_get_port (peer) == 0)
    return FALSE;
  if (nav_address_is_loopback (peer))
    return policy->allow_loopback;
  if (nav_address_get_family (peer) == G_SOCKET_FAMILY_IPV4 &&
      ipv4_special (nav_address_get_ipv4 (peer)))
    return FALSE;
  if (nav_address_get_family (peer) == G_SOCKET_FAMILY_IPV6 &&
      ipv6_special (nav_address_get_ipv6 (peer)))
    return FALSE;
  if (nav_address_is_private (peer) || nav_address_is_link_local (peer))
    return FALSE;
  return TRUE;
}
