/* nav-net-framing.h: where a message ends on a byte stream (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  /* No framing: bytes are handed on as they arrive (RFC 6062 data
   * connections once bound). */
  NAV_NET_FRAMING_RAW,
  /* RFC 4571 §2: a 16-bit length in network byte order, then that many
   * bytes (ICE-TCP, RFC 6544 §3).  The payload is handed on. */
  NAV_NET_FRAMING_RFC4571,
  /* STUN messages back to back: each says its own length (RFC 8489
   * §6.2.2).  The whole message is handed on. */
  NAV_NET_FRAMING_STUN,
  /* STUN messages and ChannelData, the latter padded to a multiple of
   * four bytes over streams (RFC 8656 §12.5).  The whole frame, padding
   * included, is handed on. */
  NAV_NET_FRAMING_TURN,
  /* What a TURN server accepts on a stream: as NAV_NET_FRAMING_TURN, but
   * ChannelData of RFC 5766's range 0x4000–0x7FFF (clients of its time,
   * coturn's among them, pick channels up to 0x7FFF) and any STUN header,
   * cookie or not: the server answers or counts what it gets.  Only the
   * first two bits 1x start no frame. */
  NAV_NET_FRAMING_TURN_SERVER,
} NavNetFraming;

/* Largest frame of each framing, header included. */
#define NAV_NET_RFC4571_MAX_FRAME (2 + 65535)
#define NAV_NET_STUN_MAX_FRAME (20 + 65532)

/* The length of the frame that starts at @data, header and padding
 * included, once @length bytes are there: > 0 the frame's length (which
 * may exceed @length: wait for more), 0 when the header is incomplete,
 * -1 when @data starts no frame of this framing (a stream that cannot be
 * resynchronised).  RAW frames are whatever is there. */
gssize   nav_net_frame_length   (NavNetFraming  framing,
                                 const guint8  *data,
                                 gsize          length);

/* Where the payload starts in a frame: 2 for RFC 4571, else 0. */
guint    nav_net_frame_header   (NavNetFraming  framing);

/* The frame of STUN over TCP (RFC 8489 §6.2.2): a STUN header whose
 * first two bits are 0, whose length is a multiple of 4 and, from 8 bytes
 * on, with the magic cookie (as nav_stun_message_peek_length()). */
gssize   nav_net_stun_frame_length (const guint8 *data,
                                    gsize         length);

/* TURN over TCP and TLS (RFC 8656 §12.5): a STUN message with the magic
 * cookie, or ChannelData with a channel number in 0x4000–0x4FFF, padded
 * to 4 bytes. */
gssize   nav_net_turn_frame_length (const guint8 *data,
                                    gsize         length);

/* The framing NAV_NET_FRAMING_TURN_SERVER reads. */
gssize   nav_net_turn_server_frame_length (const guint8 *data,
                                           gsize         length);

/* Writes the RFC 4571 header of a @length-byte message to @header. */
static inline void
nav_net_rfc4571_header (guint8 header[2],
                        gsize  length)
{
  header[0] = (length >> 8) & 0xff;
  header[1] = length & 0xff;
}

G_END_DECLS
