/* nav-sctp-crc32c.c: the SCTP checksum (RFC 9260 §6.8, Appendix A)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * CRC32c runs over every packet sent and received (unless both ends use
 * zero checksums, RFC 9653), so it is on the hot path: x86-64 CPUs since
 * 2008 have an instruction for it (SSE4.2 crc32), eight bytes per step;
 * elsewhere a slicing-by-8 table does eight bytes per step in software.
 */
#include "config.h"

#include "nav-sctp-crc32c.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NAV_SCTP_CRC32C_X86 1
#include <nmmintrin.h>
#endif

#define CRC32C_POLY 0x82F63B78u

static guint32 crc_table[8][256];

static void
crc_table_init (void)
{
  for (guint i = 0; i < 256; i++)
    {
      guint32 c = i;

      for (guint k = 0; k < 8; k++)
        c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
      crc_table[0][i] = c;
    }
  for (guint i = 0; i < 256; i++)
    for (guint t = 1; t < 8; t++)
      crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

static guint32
crc_table_run (guint32       crc,
               const guint8 *p,
               gsize         len)
{
  while (len > 0 && ((guintptr) p & 7) != 0)
    {
      crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
      len--;
    }
  while (len >= 8)
    {
      guint32 lo, hi;

      memcpy (&lo, p, 4);
      memcpy (&hi, p + 4, 4);
      lo = GUINT32_FROM_LE (lo) ^ crc;
      hi = GUINT32_FROM_LE (hi);
      crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff]
          ^ crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24]
          ^ crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff]
          ^ crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
      p += 8;
      len -= 8;
    }
  while (len-- > 0)
    crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
  return crc;
}

#ifdef NAV_SCTP_CRC32C_X86
__attribute__((target ("sse4.2")))
static guint32
crc_hw_run (guint32       crc,
            const guint8 *p,
            gsize         len)
{
  guint64 c = crc;

  while (len > 0 && ((guintptr) p & 7) != 0)
    {
      c = _mm_crc32_u8 ((guint32) c, *p++);
      len--;
    }
  while (len >= 8)
    {
      guint64 v;

      memcpy (&v, p, 8);
      c = _mm_crc32_u64 (c, v);
      p += 8;
      len -= 8;
    }
  while (len-- > 0)
    c = _mm_crc32_u8 ((guint32) c, *p++);
  return (guint32) c;
}
#endif

typedef enum {
  CRC_UNKNOWN,
  CRC_TABLE,
  CRC_HW,
} CrcImpl;

static CrcImpl
crc_impl (void)
{
  static gsize once = 0;
  static CrcImpl impl = CRC_TABLE;

  if (g_once_init_enter (&once))
    {
      crc_table_init ();
#ifdef NAV_SCTP_CRC32C_X86
      __builtin_cpu_init ();
      if (__builtin_cpu_supports ("sse4.2") && g_getenv ("NAV_SCTP_CRC32C_TABLE") == NULL)
        impl = CRC_HW;
#endif
      g_once_init_leave (&once, 1);
    }
  return impl;
}

guint32
nav_sctp_crc32c_update_table (guint32       crc,
                              const guint8 *data,
                              gsize         len)
{
  crc_impl ();
  return ~crc_table_run (~crc, data, len);
}

guint32
nav_sctp_crc32c_update (guint32       crc,
                        const guint8 *data,
                        gsize         len)
{
#ifdef NAV_SCTP_CRC32C_X86
  if (crc_impl () == CRC_HW)
    return ~crc_hw_run (~crc, data, len);
#endif
  return nav_sctp_crc32c_update_table (crc, data, len);
}

gboolean
nav_sctp_crc32c_is_accelerated (void)
{
  return crc_impl () == CRC_HW;
}

guint32
nav_sctp_crc32c_packet (const guint8 *packet,
                        gsize         len)
{
  static const guint8 zero[4] = { 0, 0, 0, 0 };
  guint32 crc;

  g_return_val_if_fail (len >= 12, 0);
  crc = nav_sctp_crc32c_update (0, packet, 8);
  crc = nav_sctp_crc32c_update (crc, zero, 4);
  return nav_sctp_crc32c_update (crc, packet + 12, len - 12);
}
