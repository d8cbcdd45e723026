/* nav-signaling-json.h: a strict RFC 8259 reader for signaling messages,
 * and the escaping the writers need
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  NAV_JSON_OK = 0,
  NAV_JSON_INVALID,           /* not RFC 8259 JSON */
  NAV_JSON_TOO_DEEP,          /* nested deeper than allowed */
  NAV_JSON_NOT_OBJECT,        /* valid JSON, not an object */
  NAV_JSON_TOO_MANY_MEMBERS,
  NAV_JSON_DUPLICATE,         /* a member the protocol reads appears twice */
} NavJsonStatus;

typedef enum {
  NAV_JSON_STRING = 1,
  NAV_JSON_NUMBER,
  NAV_JSON_OBJECT,
  NAV_JSON_ARRAY,
  NAV_JSON_TRUE,
  NAV_JSON_FALSE,
  NAV_JSON_NULL,
} NavJsonKind;

/* The top-level members the protocol reads (docs/signaling.md). */
typedef enum {
  NAV_SIGNALING_KEY_V,
  NAV_SIGNALING_KEY_TYPE,
  NAV_SIGNALING_KEY_ROOM,
  NAV_SIGNALING_KEY_TO,
  NAV_SIGNALING_KEY_FROM,
  NAV_SIGNALING_KEY_TOKEN,
  NAV_SIGNALING_KEY_SDP,
  NAV_SIGNALING_KEY_CANDIDATE,
  NAV_SIGNALING_KEY_ID,
  NAV_SIGNALING_KEY_PEER,
  NAV_SIGNALING_KEY_PEERS,
  NAV_SIGNALING_KEY_CODE,
  NAV_SIGNALING_KEY_REASON,
  NAV_SIGNALING_KEY_REF,
  NAV_SIGNALING_KEY_IDLE_TIMEOUT,
  NAV_SIGNALING_KEY_MAX_MESSAGE_SIZE,
  NAV_SIGNALING_KEY_TOKEN_REQUIRED,
  NAV_SIGNALING_N_KEYS
} NavSignalingKey;

/* A message has at most this many members; signaling messages have
 * fewer than ten. */
#define NAV_JSON_MAX_MEMBERS 64

typedef struct
{
  const gchar *start;         /* the key's opening quote */
  const gchar *value;         /* the value's first byte */
  const gchar *end;           /* past the value */
  NavJsonKind kind;
  gint key;                   /* a NavSignalingKey, or -1 */
} NavJsonMember;

/* A parsed message: spans into the caller's buffer, nothing allocated. */
typedef struct
{
  const gchar *data;
  gsize len;
  guint n_members;
  gint8 index[NAV_SIGNALING_N_KEYS];          /* into members; -1: absent */
  NavJsonMember members[NAV_JSON_MAX_MEMBERS];
} NavSignalingMessage;

NavJsonStatus nav_json_validate                (const gchar *data,
                                                gsize        len,
                                                guint        max_depth);
NavJsonStatus nav_signaling_message_parse      (NavSignalingMessage *msg,
                                                const gchar         *data,
                                                gsize                len,
                                                guint                max_depth);
const NavJsonMember *nav_signaling_message_get (const NavSignalingMessage *msg,
                                                NavSignalingKey            key);
gboolean      nav_signaling_message_get_string (const NavSignalingMessage *msg,
                                                NavSignalingKey            key,
                                                gchar                     *buf,
                                                gsize                      size,
                                                gsize                     *len);
gchar        *nav_signaling_message_dup_string (const NavSignalingMessage *msg,
                                                NavSignalingKey            key);
const NavJsonMember *nav_signaling_message_find (const NavSignalingMessage *msg,
                                                 const gchar               *name);
gchar        *nav_json_member_dup_string       (const NavJsonMember       *member);
gboolean      nav_signaling_message_get_int    (const NavSignalingMessage *msg,
                                                NavSignalingKey            key,
                                                gint64                    *value);
gchar       **nav_signaling_message_dup_strv   (const NavSignalingMessage *msg,
                                                NavSignalingKey            key);

gchar        *nav_json_decode_string           (const gchar *quote,
                                                const gchar *end,
                                                gsize       *len);
void          nav_json_append_string           (GString     *out,
                                                const gchar *s,
                                                gssize       len);

G_END_DECLS
