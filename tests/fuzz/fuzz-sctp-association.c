/* fuzz-sctp-association.c: libFuzzer target for the SCTP association
 * (modules/datachannel/sctp): packets into an established association
 *
 * Two associations connect over a simulated link (tests/sctp/sctp-link.c,
 * virtual time) and exchange a few messages; then the input is cut into
 * records, each a packet handed to B as if A had sent it, with the
 * verification tag and the checksum made right (unless the record says
 * not), so that the fuzzer gets past them into every chunk handler.
 * Between records the clock moves, the real peers talk, and B sends,
 * resets streams or shuts down.  No crash, no leak, no sanitizer report,
 * and B never holds more than its bounds.  fuzz-sctp-association-replay
 * (suite 'unit') runs it on the seed corpus and deterministic mutations.
 *
 * Record: 16-bit big-endian length (low 12 bits), one control byte, then
 * the packet.  Control bits: 0x01 keep the tag, 0x02 keep the checksum,
 * 0x04 let 200 ms pass, 0x08 A sends, 0x10 B sends, 0x20 B resets a
 * stream, 0x40 let 5 s pass.  The first byte of the input chooses I-DATA
 * (bit 0) and zero checksums (bit 1).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "sctp-link.h"
#include "nav-sctp-crc32c.h"
#include "nav-sctp-packet.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define FUZZ_CHECK(cond) G_STMT_START { if (!(cond)) abort (); } G_STMT_END
#define MS G_GINT64_CONSTANT (1000)
#define RECEIVE_BUFFER (256 * 1024)

static gboolean
connected (SctpWorld *w,
           gpointer   data)
{
  return w->a.connected > 0 && w->b.connected > 0;
}

static void
send_some (SctpEnd *e,
           guint    n)
{
  for (guint i = 0; i < 3; i++)
    {
      GBytes *m = sctp_payload (n + i, 1 + (n * 977 + i * 3001) % 5000);
      NavSctpSendOptions o = { .unordered = (n + i) % 2, .max_retransmits = (n % 3) - 1, .lifetime_ms = -1 };

      nav_sctp_association_send_bytes (e->assoc, (n + i) % 4, 53, m, &o, NULL);
      g_bytes_unref (m);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  NavSctpOptions o;
  SctpWorld *w;
  guint32 b_tag;
  gsize pos = 1;
  guint n = 0;

  if (size < 1)
    return 0;
  nav_sctp_options_init (&o);
  o.enable_interleaving = data[0] & 1;
  o.zero_checksum = (data[0] & 2) != 0;
  o.receive_buffer = RECEIVE_BUFFER;
  o.heartbeat_interval_us = 2 * G_USEC_PER_SEC;
  o.rto_min_us = 100 * MS;
  o.rto_initial_us = 100 * MS;
  w = sctp_world_new (1, &o, &o);
  w->a.capture = TRUE;
  w->a.link.delay_us = w->b.link.delay_us = 5 * MS;
  nav_sctp_association_connect (w->a.assoc);
  nav_sctp_association_connect (w->b.assoc);
  FUZZ_CHECK (sctp_world_run_until (w, connected, NULL, 60 * G_USEC_PER_SEC));
  send_some (&w->a, 0);
  send_some (&w->b, 100);
  sctp_world_run_for (w, 3 * MS);
  b_tag = sctp_end_wire_tag (&w->a);

  while (pos + 3 <= size)
    {
      gsize len = ((gsize) (data[pos] << 8) | data[pos + 1]) & 0x0fff;
      guint8 ctl = data[pos + 2];
      guint8 *p;
      NavSctpStats s;

      pos += 3;
      len = MIN (len, size - pos);
      /* A copy of the record's size exactly: reads past it are caught. */
      p = g_malloc (MAX (len, 1));
      if (len > 0)
        memcpy (p, data + pos, len);
      pos += len;
      if (len >= NAV_SCTP_COMMON_HEADER_SIZE)
        {
          if (!(ctl & 0x01))
            {
              nav_sctp_put16 (p, 5000);
              nav_sctp_put16 (p + 2, 5000);
              nav_sctp_put32 (p + 4, b_tag);
            }
          if (!(ctl & 0x02))
            {
              guint32 crc = nav_sctp_crc32c_packet (p, len);

              p[8] = crc & 0xff;
              p[9] = (crc >> 8) & 0xff;
              p[10] = (crc >> 16) & 0xff;
              p[11] = crc >> 24;
            }
        }
      sctp_end_inject (&w->b, p, len);
      g_free (p);

      if (ctl & 0x08)
        send_some (&w->a, ++n);
      if (ctl & 0x10)
        send_some (&w->b, ++n);
      if (ctl & 0x20)
        {
          guint16 sid = n % 4;

          nav_sctp_association_reset_streams (w->b.assoc, &sid, 1, NULL);
        }
      sctp_world_run_for (w, (ctl & 0x40) ? 5000 * MS : (ctl & 0x04) ? 200 * MS : 1 * MS);
      nav_sctp_association_get_stats (w->b.assoc, &s);
      /* The bounds hold whatever came: twice the window, and the growth
       * of one reassembly buffer. */
      FUZZ_CHECK (s.receive_held <= 2 * (RECEIVE_BUFFER + 4 * 1200) + o.max_message_size);
    }
  /* The end of the run: everything settles or times out. */
  sctp_world_run_for (w, 2000 * MS);
  if (data[0] & 4)
    {
      nav_sctp_association_shutdown (w->b.assoc);
      sctp_world_run_for (w, 5000 * MS);
    }
  sctp_world_free (w);
  return 0;
}
