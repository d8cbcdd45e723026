/* nav-net-framing.c: where a message ends on a byte stream (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-net-framing.h"

#define STUN_HEADER 20
#define CHANNEL_DATA_HEADER 4
/* RFC 8656 §12: channel numbers 0x4000 through 0x4FFF */
#define CHANNEL_MIN 0x4000
#define CHANNEL_MAX 0x4FFF

gssize
nav_net_stun_frame_length (const guint8 *data,
                           gsize         length)
{
  gsize body;

  if (length < 4)
    return 0;
  if ((data[0] & 0xC0) != 0)
    return -1;
  body = ((gsize) data[2] << 8) | data[3];
  if ((body & 3) != 0)
    return -1;
  if (length >= 8 &&
      (data[4] != 0x21 || data[5] != 0x12 || data[6] != 0xA4 || data[7] != 0x42))
    return -1;
  return STUN_HEADER + body;
}

gssize
nav_net_turn_frame_length (const guint8 *data,
                           gsize         length)
{
  gsize body;

  if (length < 4)
    return 0;
  body = ((gsize) data[2] << 8) | data[3];
  if ((data[0] & 0xC0) == 0x40)
    {
      guint16 channel = ((guint16) data[0] << 8) | data[1];

      if (channel < CHANNEL_MIN || channel > CHANNEL_MAX)
        return -1;
      return CHANNEL_DATA_HEADER + ((body + 3) & ~(gsize) 3);
    }
  if ((data[0] & 0xC0) == 0)
    {
      if (length < 8)
        return 0;
      if ((body & 3) != 0 ||
          data[4] != 0x21 || data[5] != 0x12 || data[6] != 0xA4 || data[7] != 0x42)
        return -1;
      return STUN_HEADER + body;
    }
  return -1;
}

gssize
nav_net_turn_server_frame_length (const guint8 *data,
                                  gsize         length)
{
  gsize body;

  if (length < 4)
    return 0;
  body = ((gsize) data[2] << 8) | data[3];
  if ((data[0] & 0xC0) == 0x40)
    return CHANNEL_DATA_HEADER + ((body + 3) & ~(gsize) 3);
  if ((data[0] & 0xC0) == 0)
    return STUN_HEADER + body;
  return -1;
}

gssize
nav_net_frame_length (NavNetFraming  framing,
                      const guint8  *data,
                      gsize          length)
{
  switch (framing)
    {
    case NAV_NET_FRAMING_RFC4571:
      if (length < 2)
        return 0;
      return 2 + (((gsize) data[0] << 8) | data[1]);
    case NAV_NET_FRAMING_STUN:
      return nav_net_stun_frame_length (data, length);
    case NAV_NET_FRAMING_TURN:
      return nav_net_turn_frame_length (data, length);
    case NAV_NET_FRAMING_TURN_SERVER:
      return nav_net_turn_server_frame_length (data, length);
    case NAV_NET_FRAMING_RAW:
    default:
      return length;
    }
}

guint
nav_net_frame_header (NavNetFraming framing)
{
  return framing == NAV_NET_FRAMING_RFC4571 ? 2 : 0;
}
