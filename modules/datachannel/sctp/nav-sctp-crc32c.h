/* nav-sctp-crc32c.h: the SCTP checksum (RFC 9260 §6.8, Appendix A)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* CRC32c (Castagnoli, reflected polynomial 0x82F63B78) of @len bytes,
 * continuing @crc (start with 0).  The SSE4.2 instruction when the CPU has
 * it (checked once, at run time), a slicing-by-8 table otherwise. */
guint32 nav_sctp_crc32c_update (guint32       crc,
                                const guint8 *data,
                                gsize         len);

/* The same with the table only: the reference the tests compare with. */
guint32 nav_sctp_crc32c_update_table (guint32       crc,
                                      const guint8 *data,
                                      gsize         len);

/* TRUE when the hardware instruction is used. */
gboolean nav_sctp_crc32c_is_accelerated (void);

/* The checksum of a whole SCTP packet, computed as if its checksum field
 * (bytes 8–11) were zero, as the value to store little-endian there. */
guint32 nav_sctp_crc32c_packet (const guint8 *packet,
                                gsize         len);

G_END_DECLS
