/* nav-signaling-protocol.h: the signaling wire protocol, version 1
 * (docs/signaling.md): limits, error and close codes, message types,
 * validation, join tokens, and the text of every message the server and
 * the client write.  The one definition of the protocol: the server and
 * the client both use it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "nav-signaling-json.h"

G_BEGIN_DECLS

/* The protocol version this server speaks; every message carries it as
 * "v". */
#define NAV_SIGNALING_PROTOCOL_VERSION 1

/* Limits, see docs/signaling.md "Limits". */
#define NAV_SIGNALING_MAX_ID_LENGTH      64
#define NAV_SIGNALING_MAX_NESTING        16
#define NAV_SIGNALING_ROOM_CODE_LENGTH    8

/* Error codes of "error" messages, HTTP-like so they read at a glance. */
typedef enum {
  NAV_SIGNALING_ERROR_BAD_MESSAGE      = 400,  /* not JSON, not an object, missing field */
  NAV_SIGNALING_ERROR_UNAUTHORIZED     = 401,  /* join token missing, invalid or expired */
  NAV_SIGNALING_ERROR_NOT_IN_ROOM      = 403,  /* sending to a room one has not joined */
  NAV_SIGNALING_ERROR_NO_SUCH_PEER     = 404,  /* "to" names no peer of the room */
  NAV_SIGNALING_ERROR_ROOM_FULL        = 409,
  NAV_SIGNALING_ERROR_TOO_LARGE        = 413,
  NAV_SIGNALING_ERROR_UNKNOWN_TYPE     = 415,
  NAV_SIGNALING_ERROR_BAD_VERSION      = 426,
  NAV_SIGNALING_ERROR_RATE_LIMITED     = 429,
  NAV_SIGNALING_ERROR_TOO_MANY_ROOMS   = 431,
  NAV_SIGNALING_ERROR_UNAVAILABLE      = 503,  /* backend (Redis) unreachable */
} NavSignalingErrorCode;

/* WebSocket close codes the protocol uses (RFC 6455 §7.4.1). */
#define NAV_SIGNALING_CLOSE_NORMAL          1000
#define NAV_SIGNALING_CLOSE_GOING_AWAY      1001
#define NAV_SIGNALING_CLOSE_PROTOCOL_ERROR  1002
#define NAV_SIGNALING_CLOSE_UNSUPPORTED     1003
#define NAV_SIGNALING_CLOSE_POLICY          1008
#define NAV_SIGNALING_CLOSE_TOO_BIG         1009
#define NAV_SIGNALING_CLOSE_TRY_AGAIN_LATER 1013

/* The message types; see nav_signaling_type_from_string(). */
typedef enum {
  NAV_SIGNALING_MSG_UNKNOWN = 0,
  NAV_SIGNALING_MSG_JOIN,
  NAV_SIGNALING_MSG_LEAVE,
  NAV_SIGNALING_MSG_OFFER,
  NAV_SIGNALING_MSG_ANSWER,
  NAV_SIGNALING_MSG_CANDIDATE,
  NAV_SIGNALING_MSG_END_OF_CANDIDATES,
  NAV_SIGNALING_MSG_BYE,
  NAV_SIGNALING_MSG_PING,
  NAV_SIGNALING_MSG_PONG,
} NavSignalingMessageType;

NavSignalingMessageType nav_signaling_type_from_string (const gchar *type);
gboolean  nav_signaling_type_is_forwarded (NavSignalingMessageType type);

gboolean  nav_signaling_check_nesting  (const gchar *data,
                                        gsize        len,
                                        guint        max_depth);
gboolean  nav_signaling_id_is_valid    (const gchar *id);
gboolean  nav_signaling_id_is_valid_len (const gchar *id,
                                        gsize        len);
gchar    *nav_signaling_random_code    (guint        length);

gchar    *nav_signaling_token_sign     (const gchar *secret,
                                        const gchar *room,
                                        gint64       expires);
gboolean  nav_signaling_token_verify   (const gchar *secret,
                                        const gchar *room,
                                        const gchar *token,
                                        gint64       now);

gchar    *nav_signaling_build_error    (gint         code,
                                        const gchar *reason,
                                        const gchar *ref_type);
gchar    *nav_signaling_build_welcome  (const gchar *peer,
                                        guint        max_message_size,
                                        guint        idle_timeout,
                                        gboolean     token_required);
gchar    *nav_signaling_build_room_event (const gchar *type,
                                          const gchar *room,
                                          const gchar *peer);
gchar    *nav_signaling_build_joined   (const gchar        *room,
                                        const gchar        *peer,
                                        const gchar *const *peers,
                                        guint               n_peers);
gchar    *nav_signaling_build_pong     (const NavSignalingMessage *ping);
gchar    *nav_signaling_build_forward  (const NavSignalingMessage *msg,
                                        const gchar               *from,
                                        const gchar               *room,
                                        gsize                      prefix,
                                        gsize                     *len);
gchar    *nav_signaling_build_request  (const gchar        *type,
                                        const gchar        *room,
                                        const gchar        *to,
                                        const gchar *const *names,
                                        const gchar *const *values);

G_END_DECLS
