/* nav-dcep.h: the Data Channel Establishment Protocol (RFC 8832), its
 * two messages read from and written to bytes; plain C on GLib types
 * (the fuzz target links it alone)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 8831 §8 and RFC 8832 §8.1: the payload protocol identifiers. */
#define NAV_DCEP_PPID_CONTROL 50
#define NAV_DCEP_PPID_STRING 51
#define NAV_DCEP_PPID_BINARY_PARTIAL 52   /* deprecated: a part of a message */
#define NAV_DCEP_PPID_BINARY 53
#define NAV_DCEP_PPID_STRING_PARTIAL 54   /* deprecated: a part of a message */
#define NAV_DCEP_PPID_STRING_EMPTY 56
#define NAV_DCEP_PPID_BINARY_EMPTY 57

/* RFC 8832 §5: message types. */
#define NAV_DCEP_MESSAGE_ACK 0x02
#define NAV_DCEP_MESSAGE_OPEN 0x03

/* RFC 8832 §5.1: channel types.  The high bit is "unordered". */
#define NAV_DCEP_CHANNEL_RELIABLE 0x00
#define NAV_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT 0x01
#define NAV_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED 0x02
#define NAV_DCEP_CHANNEL_UNORDERED 0x80

/* The fixed part of DATA_CHANNEL_OPEN. */
#define NAV_DCEP_OPEN_HEADER_SIZE 12

typedef struct {
  guint8 channel_type;
  guint16 priority;
  guint32 reliability;          /* retransmissions or milliseconds */
  const gchar *label;           /* into the message, not terminated */
  gsize label_len;
  const gchar *protocol;        /* into the message, not terminated */
  gsize protocol_len;
} NavDcepOpen;

typedef enum {
  NAV_DCEP_OK,
  NAV_DCEP_TRUNCATED,           /* shorter than its lengths say */
  NAV_DCEP_BAD_TYPE,            /* not OPEN, not ACK */
  NAV_DCEP_BAD_CHANNEL_TYPE,    /* a channel type RFC 8832 does not define */
} NavDcepResult;

/* The type of a DCEP message, or 0 when it is empty. */
guint8         nav_dcep_message_type   (const guint8 *data,
                                        gsize         len);
/* Reads a DATA_CHANNEL_OPEN (untrusted bytes); @open points into @data. */
NavDcepResult  nav_dcep_parse_open     (const guint8 *data,
                                        gsize         len,
                                        NavDcepOpen  *open);
/* Reads a DATA_CHANNEL_ACK: one byte, 0x02. */
NavDcepResult  nav_dcep_parse_ack      (const guint8 *data,
                                        gsize         len);
/* Writes a DATA_CHANNEL_OPEN; NULL when the label or protocol is longer
 * than 65,535 bytes. */
GBytes        *nav_dcep_build_open     (guint8        channel_type,
                                        guint16       priority,
                                        guint32       reliability,
                                        const gchar  *label,
                                        const gchar  *protocol);
const gchar   *nav_dcep_result_to_string (NavDcepResult result);

G_END_DECLS
