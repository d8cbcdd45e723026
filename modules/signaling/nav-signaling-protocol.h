/* nav-signaling-protocol.h: the signaling wire protocol, version 1
 * (docs/signaling.md): limits, error codes, validation, join tokens
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

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

G_END_DECLS
