/* fuzz-pseudo-tcp.c: libFuzzer target for the pseudo-TCP engine of
 * reliable mode (core/nav-pseudo-tcp.c)
 *
 * The input is a run of segments, each prefixed by a 16-bit big-endian
 * length.  Every segment is parsed (and its header written back and
 * compared), then fed to two engines: one listening, one that has sent
 * its connect segment.  Between segments the engines are read from,
 * written to and clocked, so garbage meets every state.  No crash, no
 * leak, no sanitizer report.  fuzz-pseudo-tcp-replay (suite 'unit')
 * runs it on the seed corpus and deterministic mutations.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "nav-pseudo-tcp-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define FUZZ_CHECK(cond) G_STMT_START { if (!(cond)) abort (); } G_STMT_END

static gsize written;

static NavPseudoTcpWriteResult
write_packet (NavPseudoTcp *tcp,
              const guint8 *data,
              gsize         len,
              gpointer      user_data)
{
  NavPseudoTcpSegment seg;

  /* What the engine writes must parse. */
  FUZZ_CHECK (nav_pseudo_tcp_segment_parse (data, len, &seg));
  written += len;
  return NAV_PSEUDO_TCP_WRITE_OK;
}

static void
exercise (NavPseudoTcp *tcp,
          guint8        op)
{
  guint8 buf[2048];
  gint64 when;

  memset (buf, op, sizeof buf);
  switch (op & 3)
    {
    case 0:
      nav_pseudo_tcp_recv (tcp, buf, sizeof buf);
      break;
    case 1:
      nav_pseudo_tcp_send (tcp, buf, (op * 17u) % sizeof buf);
      break;
    case 2:
      nav_pseudo_tcp_notify_clock (tcp);
      break;
    default:
      if (op == 0xff)
        nav_pseudo_tcp_shutdown_write (tcp);
      else if (op == 0xfb)
        nav_pseudo_tcp_abort (tcp);
      break;
    }
  if (nav_pseudo_tcp_get_next_clock (tcp, &when))
    FUZZ_CHECK (when >= 0);
  nav_pseudo_tcp_get_available_bytes (tcp);
  nav_pseudo_tcp_get_available_send_space (tcp);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const NavPseudoTcpCallbacks callbacks = { NULL, NULL, NULL, NULL, write_packet };
  NavPseudoTcp *listening = nav_pseudo_tcp_new (0, &callbacks, NULL);
  NavPseudoTcp *connecting = nav_pseudo_tcp_new (0, &callbacks, NULL);
  gsize pos = 0;

  nav_pseudo_tcp_connect (connecting);
  nav_pseudo_tcp_notify_mtu (connecting, NAV_PSEUDO_TCP_DEFAULT_MTU);

  while (pos + 2 <= size)
    {
      gsize len = ((gsize) data[pos] << 8 | data[pos + 1]) & 0x0fff;
      guint8 op = data[pos];
      NavPseudoTcpSegment seg;
      guint8 header[NAV_PSEUDO_TCP_HEADER_SIZE];

      pos += 2;
      len = MIN (len, size - pos);
      /* A copy, so that reads past the segment are caught. */
      {
        guint8 *copy = g_malloc (MAX (len, 1));

        if (len > 0)
          memcpy (copy, data + pos, len);

        if (nav_pseudo_tcp_segment_parse (copy, len, &seg))
          {
            FUZZ_CHECK (len >= NAV_PSEUDO_TCP_HEADER_SIZE);
            FUZZ_CHECK (seg.len == len - NAV_PSEUDO_TCP_HEADER_SIZE);
            nav_pseudo_tcp_segment_write_header (&seg, header);
            FUZZ_CHECK (memcmp (header, copy, NAV_PSEUDO_TCP_HEADER_SIZE) == 0);
          }
        else
          FUZZ_CHECK (len < NAV_PSEUDO_TCP_HEADER_SIZE);
        nav_pseudo_tcp_notify_packet (listening, copy, len);
        nav_pseudo_tcp_notify_packet (connecting, copy, len);
        g_free (copy);
      }
      pos += len;
      exercise (listening, op);
      exercise (connecting, op ^ 0x5a);
    }
  nav_pseudo_tcp_free (listening);
  nav_pseudo_tcp_free (connecting);
  return 0;
}
