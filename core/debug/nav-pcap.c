/* nav-pcap.c: NAV_DEBUG_PCAP=FILE, what the process's UDP transports send
 * and receive, and its data channels' decrypted SCTP packets, as pcapng
 * for Wireshark
 *
 * The file (pcapng, draft-ietf-opsawg-pcapng) has two interfaces of
 * LINKTYPE_RAW (raw IPv4/IPv6): 0, "wire", the UDP datagrams with their
 * real addresses (Wireshark dissects STUN, TURN, DTLS by itself); 1,
 * "sctp", the plaintext SCTP packets of the DTLS associations over a
 * dummy IPv4 header of protocol 132, as libwebrtc's text2pcap dumps make
 * them readable.  Each packet says its direction (epb_flags).  Written
 * under a lock and flushed packet by packet: it is a debugging aid, off
 * unless asked for, and then one test of a flag per datagram.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "debug/nav-pcap-private.h"

#define BLOCK_SHB 0x0A0D0D0Au
#define BLOCK_IDB 0x00000001u
#define BLOCK_EPB 0x00000006u
#define LINKTYPE_RAW 101
#define OPT_END 0
#define OPT_IF_NAME 2
#define OPT_EPB_FLAGS 2
#define IPPROTO_SCTP_NUMBER 132
#define MAX_PACKET 65535

gboolean nav_pcap_on;
static GMutex pcap_lock;
static FILE *pcap_file;

static void
put16 (GByteArray *b,
       guint16     v)
{
  g_byte_array_append (b, (const guint8 *) &v, 2);
}

static void
put32 (GByteArray *b,
       guint32     v)
{
  g_byte_array_append (b, (const guint8 *) &v, 4);
}

static void
pad4 (GByteArray *b)
{
  static const guint8 zeros[4] = { 0 };

  if (b->len % 4 != 0)
    g_byte_array_append (b, zeros, 4 - b->len % 4);
}

/* A block: its type, total length, body, total length again (host byte
 * order: the SHB's byte-order magic says which). */
static void
write_block (guint32     type,
             GByteArray *body)
{
  guint32 total = body->len + 12;

  pad4 (body);
  total = body->len + 12;
  fwrite (&type, 4, 1, pcap_file);
  fwrite (&total, 4, 1, pcap_file);
  fwrite (body->data, 1, body->len, pcap_file);
  fwrite (&total, 4, 1, pcap_file);
}

static void
write_interface (const gchar *name)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint16 len = (guint16) strlen (name);

  put16 (b, LINKTYPE_RAW);
  put16 (b, 0);
  put32 (b, 0);                 /* snaplen: no limit */
  put16 (b, OPT_IF_NAME);
  put16 (b, len);
  g_byte_array_append (b, (const guint8 *) name, len);
  pad4 (b);
  put16 (b, OPT_END);
  put16 (b, 0);
  write_block (BLOCK_IDB, b);
}

static void
open_file (const gchar *path)
{
  g_autoptr (GByteArray) shb = g_byte_array_new ();

  pcap_file = fopen (path, "wb");
  if (pcap_file == NULL)
    {
      g_warning ("NAV_DEBUG_PCAP: cannot write %s: %s", path, g_strerror (errno));
      return;
    }
  put32 (shb, 0x1A2B3C4Du);     /* byte-order magic */
  put16 (shb, 1);
  put16 (shb, 0);
  put32 (shb, 0xFFFFFFFFu);     /* section length: unknown */
  put32 (shb, 0xFFFFFFFFu);
  write_block (BLOCK_SHB, shb);
  write_interface ("wire");
  write_interface ("sctp");
  fflush (pcap_file);
  nav_pcap_on = TRUE;
}

void
nav_pcap_init (void)
{
  static gsize once;

  if (g_once_init_enter (&once))
    {
      const gchar *path = g_getenv ("NAV_DEBUG_PCAP");

      if (path != NULL && *path != '\0')
        open_file (path);
      g_once_init_leave (&once, 1);
    }
}

/**
 * nav_debug_pcap_is_active:
 *
 * Returns whether `NAV_DEBUG_PCAP=FILE` is capturing: what the process's
 * UDP transports send and receive, and its data channels' SCTP packets
 * before encryption and after decryption, are written to FILE as pcapng.
 *
 * Returns: %TRUE while capturing
 *
 * Since: 1.0
 */
gboolean
nav_debug_pcap_is_active (void)
{
  nav_pcap_init ();
  return nav_pcap_on;
}

/* RFC 791 header checksum. */
static guint16
ip_checksum (const guint8 *h,
             gsize         len)
{
  guint32 sum = 0;

  for (gsize i = 0; i + 1 < len; i += 2)
    sum += (guint32) (h[i] << 8 | h[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (guint16) ~sum;
}

static void
be16 (guint8 *p,
      guint   v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

/* The IP (and UDP, for @protocol 17) headers of a packet of @len bytes
 * from @src to @dst into @out; their length, 0 when the addresses cannot
 * make one. */
static gsize
ip_headers (guint8           *out,
            guint             protocol,
            const NavAddress *src,
            const NavAddress *dst,
            gsize             len)
{
  gsize udp = protocol == IPPROTO_UDP ? 8 : 0;
  guint8 *p;

  if (nav_address_get_family (src) == G_SOCKET_FAMILY_IPV6 &&
      nav_address_get_family (dst) == G_SOCKET_FAMILY_IPV6)
    {
      memset (out, 0, 40 + udp);
      out[0] = 0x60;
      be16 (out + 4, (guint) (udp + len));
      out[6] = (guint8) protocol;
      out[7] = 64;
      memcpy (out + 8, nav_address_get_ipv6 (src), 16);
      memcpy (out + 24, nav_address_get_ipv6 (dst), 16);
      p = out + 40;
    }
  else if (nav_address_get_family (src) == G_SOCKET_FAMILY_IPV4 &&
           nav_address_get_family (dst) == G_SOCKET_FAMILY_IPV4)
    {
      guint32 s = g_htonl (nav_address_get_ipv4 (src)), d = g_htonl (nav_address_get_ipv4 (dst));

      memset (out, 0, 20 + udp);
      out[0] = 0x45;
      be16 (out + 2, (guint) (20 + udp + len));
      out[6] = 0x40;            /* DF */
      out[8] = 64;
      out[9] = (guint8) protocol;
      memcpy (out + 12, &s, 4);
      memcpy (out + 16, &d, 4);
      be16 (out + 10, ip_checksum (out, 20));
      p = out + 20;
    }
  else
    return 0;
  if (udp > 0)
    {
      be16 (p, nav_address_get_port (src));
      be16 (p + 2, nav_address_get_port (dst));
      be16 (p + 4, (guint) (8 + len));
      /* Checksum 0: none (RFC 768); Wireshark does not check it. */
    }
  return (gsize) (p - out) + udp;
}

static void
write_packet (guint         interface,
              gboolean      outgoing,
              const guint8 *headers,
              gsize         headers_len,
              const GOutputVector *vectors,
              gint          n_vectors)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  gint64 now = g_get_real_time ();
  gsize len = headers_len;

  for (gint i = 0; i < n_vectors; i++)
    len += vectors[i].size;
  put32 (b, interface);
  put32 (b, (guint32) ((guint64) now >> 32));
  put32 (b, (guint32) now);     /* microseconds, the default resolution */
  put32 (b, (guint32) len);
  put32 (b, (guint32) len);
  g_byte_array_append (b, headers, headers_len);
  for (gint i = 0; i < n_vectors; i++)
    g_byte_array_append (b, vectors[i].buffer, vectors[i].size);
  pad4 (b);
  put16 (b, OPT_EPB_FLAGS);
  put16 (b, 4);
  put32 (b, outgoing ? 2 : 1);  /* direction: outbound, inbound */
  put16 (b, OPT_END);
  put16 (b, 0);
  g_mutex_lock (&pcap_lock);
  write_block (BLOCK_EPB, b);
  fflush (pcap_file);
  g_mutex_unlock (&pcap_lock);
}

void
nav_pcap_write_vectors (gboolean             outgoing,
                        const NavAddress    *local,
                        const NavAddress    *remote,
                        const GOutputVector *vectors,
                        gint                 n_vectors)
{
  guint8 headers[48];
  gsize len = 0, n;

  if (!nav_pcap_on || local == NULL || remote == NULL)
    return;
  for (gint i = 0; i < n_vectors; i++)
    len += vectors[i].size;
  if (len > MAX_PACKET - 48)
    return;
  n = outgoing ? ip_headers (headers, IPPROTO_UDP, local, remote, len)
               : ip_headers (headers, IPPROTO_UDP, remote, local, len);
  if (n > 0)
    write_packet (0, outgoing, headers, n, vectors, n_vectors);
}

/**
 * nav_debug_pcap_write:
 * @layer: what the packet is
 * @outgoing: whether we send it (else we received it)
 * @local: (nullable): our address (%NAV_DEBUG_PCAP_UDP)
 * @remote: (nullable): the peer's address (%NAV_DEBUG_PCAP_UDP)
 * @data: (array length=len): the packet
 * @len: its length
 *
 * Adds a packet to the `NAV_DEBUG_PCAP` capture when it runs
 * ([func@Nav.debug_pcap_is_active]): a UDP datagram between @local and
 * @remote, or a decrypted SCTP packet (the datachannel module writes
 * these).  Does nothing otherwise.
 *
 * Since: 1.0
 */
void
nav_debug_pcap_write (NavDebugPcapLayer  layer,
                      gboolean           outgoing,
                      const NavAddress  *local,
                      const NavAddress  *remote,
                      const guint8      *data,
                      gsize              len)
{
  GOutputVector vector = { data, len };

  if (!nav_debug_pcap_is_active ())
    return;
  if (layer == NAV_DEBUG_PCAP_UDP)
    {
      nav_pcap_write_vectors (outgoing, local, remote, &vector, 1);
      return;
    }
  if (len <= MAX_PACKET - 20)
    {
      g_autoptr (NavAddress) us = nav_address_new_from_string ("192.0.2.1", NULL);
      g_autoptr (NavAddress) peer = nav_address_new_from_string ("192.0.2.2", NULL);
      guint8 headers[20];
      gsize n = outgoing ? ip_headers (headers, IPPROTO_SCTP_NUMBER, us, peer, len)
                         : ip_headers (headers, IPPROTO_SCTP_NUMBER, peer, us, len);

      write_packet (1, outgoing, headers, n, &vector, 1);
    }
}
