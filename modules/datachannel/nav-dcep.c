/* nav-dcep.c: the Data Channel Establishment Protocol (RFC 8832), its
 * two messages read from and written to bytes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nav-dcep.h"

static guint16
get16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static guint32
get32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

guint8
nav_dcep_message_type (const guint8 *data,
                       gsize         len)
{
  return len > 0 ? data[0] : 0;
}

NavDcepResult
nav_dcep_parse_open (const guint8 *data,
                     gsize         len,
                     NavDcepOpen  *open)
{
  gsize label_len, protocol_len;
  guint8 reliability_kind;

  if (len < NAV_DCEP_OPEN_HEADER_SIZE)
    return NAV_DCEP_TRUNCATED;
  if (data[0] != NAV_DCEP_MESSAGE_OPEN)
    return NAV_DCEP_BAD_TYPE;
  open->channel_type = data[1];
  /* RFC 8832 §5.1: 0x00–0x02 and the same with the unordered bit. */
  reliability_kind = open->channel_type & ~NAV_DCEP_CHANNEL_UNORDERED;
  if (reliability_kind > NAV_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED)
    return NAV_DCEP_BAD_CHANNEL_TYPE;
  open->priority = get16 (data + 2);
  open->reliability = get32 (data + 4);
  label_len = get16 (data + 8);
  protocol_len = get16 (data + 10);
  if (len - NAV_DCEP_OPEN_HEADER_SIZE < label_len + protocol_len)
    return NAV_DCEP_TRUNCATED;
  open->label = (const gchar *) data + NAV_DCEP_OPEN_HEADER_SIZE;
  open->label_len = label_len;
  open->protocol = open->label + label_len;
  open->protocol_len = protocol_len;
  /* Bytes after the protocol are ignored: no stack pads the message,
   * and nothing is lost by tolerating it. */
  return NAV_DCEP_OK;
}

NavDcepResult
nav_dcep_parse_ack (const guint8 *data,
                    gsize         len)
{
  if (len < 1)
    return NAV_DCEP_TRUNCATED;
  if (data[0] != NAV_DCEP_MESSAGE_ACK)
    return NAV_DCEP_BAD_TYPE;
  return NAV_DCEP_OK;
}

GBytes *
nav_dcep_build_open (guint8       channel_type,
                     guint16      priority,
                     guint32      reliability,
                     const gchar *label,
                     const gchar *protocol)
{
  gsize label_len = label != NULL ? strlen (label) : 0;
  gsize protocol_len = protocol != NULL ? strlen (protocol) : 0;
  guint8 *buf;
  gsize len;

  if (label_len > G_MAXUINT16 || protocol_len > G_MAXUINT16)
    return NULL;
  len = NAV_DCEP_OPEN_HEADER_SIZE + label_len + protocol_len;
  buf = g_malloc (len);
  buf[0] = NAV_DCEP_MESSAGE_OPEN;
  buf[1] = channel_type;
  buf[2] = priority >> 8;
  buf[3] = priority & 0xff;
  buf[4] = reliability >> 24;
  buf[5] = (reliability >> 16) & 0xff;
  buf[6] = (reliability >> 8) & 0xff;
  buf[7] = reliability & 0xff;
  buf[8] = label_len >> 8;
  buf[9] = label_len & 0xff;
  buf[10] = protocol_len >> 8;
  buf[11] = protocol_len & 0xff;
  if (label_len > 0)
    memcpy (buf + NAV_DCEP_OPEN_HEADER_SIZE, label, label_len);
  if (protocol_len > 0)
    memcpy (buf + NAV_DCEP_OPEN_HEADER_SIZE + label_len, protocol, protocol_len);
  return g_bytes_new_take (buf, len);
}

const gchar *
nav_dcep_result_to_string (NavDcepResult result)
{
  switch (result)
    {
    case NAV_DCEP_OK:
      return _("no error");
    case NAV_DCEP_TRUNCATED:
      return _("the DCEP message is shorter than its lengths say");
    case NAV_DCEP_BAD_TYPE:
      return _("the DCEP message type is unknown");
    case NAV_DCEP_BAD_CHANNEL_TYPE:
      return _("the DCEP channel type is unknown");
    default:
      return _("unknown DCEP error");
    }
}
