/* fuzz-dcep.c: libFuzzer target for the DCEP messages of the data
 * channel tier (modules/datachannel/nav-dcep.c), what a peer sends on
 * PPID 50
 *
 * Reads the input as DATA_CHANNEL_OPEN and as DATA_CHANNEL_ACK; an OPEN
 * that reads is written back from what was read and must read again to
 * the same fields.  The same file is linked into fuzz-dcep-replay
 * (run-fuzz-replay.c), which every build runs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nav-dcep.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* abort () rather than g_assert (), which G_DISABLE_ASSERT would remove */
#define FUZZ_CHECK(cond) G_STMT_START { if (!(cond)) abort (); } G_STMT_END

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  NavDcepOpen open, again;
  NavDcepResult result = nav_dcep_parse_open (data, size, &open);

  (void) nav_dcep_message_type (data, size);
  (void) nav_dcep_parse_ack (data, size);
  FUZZ_CHECK (nav_dcep_result_to_string (result) != NULL);
  if (result == NAV_DCEP_OK)
    {
      gchar *label, *protocol;
      GBytes *written;
      const guint8 *bytes;
      gsize len;

      FUZZ_CHECK (open.label >= (const gchar *) data &&
                  open.protocol + open.protocol_len <= (const gchar *) data + size);
      /* Labels with NUL bytes are cut there when written as C strings. */
      label = g_strndup (open.label, open.label_len);
      protocol = g_strndup (open.protocol, open.protocol_len);
      written = nav_dcep_build_open (open.channel_type, open.priority, open.reliability, label,
                                     protocol);
      FUZZ_CHECK (written != NULL);
      bytes = g_bytes_get_data (written, &len);
      FUZZ_CHECK (nav_dcep_parse_open (bytes, len, &again) == NAV_DCEP_OK);
      FUZZ_CHECK (again.channel_type == open.channel_type && again.priority == open.priority &&
                  again.reliability == open.reliability);
      FUZZ_CHECK (again.label_len == strlen (label) && again.protocol_len == strlen (protocol));
      FUZZ_CHECK (memcmp (again.label, label, again.label_len) == 0);
      g_bytes_unref (written);
      g_free (label);
      g_free (protocol);
    }
  return 0;
}
