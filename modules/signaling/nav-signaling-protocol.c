/* nav-signaling-protocol.c: the signaling wire protocol, version 1
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <sys/random.h>

#include "nav-signaling-protocol.h"

static const struct {
  const gchar *name;
  NavSignalingMessageType type;
} message_types[] = {
  { "join", NAV_SIGNALING_MSG_JOIN },
  { "leave", NAV_SIGNALING_MSG_LEAVE },
  { "offer", NAV_SIGNALING_MSG_OFFER },
  { "answer", NAV_SIGNALING_MSG_ANSWER },
  { "candidate", NAV_SIGNALING_MSG_CANDIDATE },
  { "end-of-candidates", NAV_SIGNALING_MSG_END_OF_CANDIDATES },
  { "bye", NAV_SIGNALING_MSG_BYE },
  { "ping", NAV_SIGNALING_MSG_PING },
  { "pong", NAV_SIGNALING_MSG_PONG },
};

NavSignalingMessageType
nav_signaling_type_from_string (const gchar *type)
{
  gsize i;

  if (type == NULL)
    return NAV_SIGNALING_MSG_UNKNOWN;
  for (i = 0; i < G_N_ELEMENTS (message_types); i++)
    if (strcmp (type, message_types[i].name) == 0)
      return message_types[i].type;
  return NAV_SIGNALING_MSG_UNKNOWN;
}

/* The messages a peer sends to another peer (or the room) through the
 * server, as opposed to those addressed to the server itself. */
gboolean
nav_signaling_type_is_forwarded (NavSignalingMessageType type)
{
  switch (type)
    {
    case NAV_SIGNALING_MSG_OFFER:
    case NAV_SIGNALING_MSG_ANSWER:
    case NAV_SIGNALING_MSG_CANDIDATE:
    case NAV_SIGNALING_MSG_END_OF_CANDIDATES:
    case NAV_SIGNALING_MSG_BYE:
      return TRUE;
    default:
      return FALSE;
    }
}

/* json-glib's parser recurses once per nesting level: a 64 KiB frame of
 * '[' would recurse 65536 deep.  Refuse deep documents before parsing;
 * signaling messages are flat. */
gboolean
nav_signaling_check_nesting (const gchar *data,
                             gsize        len,
                             guint        max_depth)
{
  guint depth = 0;
  gboolean in_string = FALSE;
  gsize i;

  for (i = 0; i < len; i++)
    {
      gchar c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          if (++depth > max_depth)
            return FALSE;
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }
  return TRUE;
}

/* Room and peer ids: 1 to 64 characters of [A-Za-z0-9._-], so they are
 * safe in logs, Redis channel names and URLs. */
gboolean
nav_signaling_id_is_valid (const gchar *id)
{
  gsize i;

  if (id == NULL || id[0] == '\0')
    return FALSE;
  for (i = 0; id[i] != '\0'; i++)
    {
      gchar c = id[i];

      if (i >= NAV_SIGNALING_MAX_ID_LENGTH)
        return FALSE;
      if (!g_ascii_isalnum (c) && c != '-' && c != '_' && c != '.')
        return FALSE;
    }
  return TRUE;
}

/* Crockford's base32 alphabet, lower case: no i, l, o, u, so a code read
 * aloud or copied by hand survives.  Each character carries 5 bits. */
static const gchar code_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* A code of @length characters from the kernel's CSPRNG (never GLib's
 * Mersenne twister, whose output is predictable from earlier outputs):
 * 5 × @length bits of entropy, 40 bits for a room code. */
gchar *
nav_signaling_random_code (guint length)
{
  guint8 raw[64];
  gchar *code;
  guint i;

  g_return_val_if_fail (length > 0 && length <= sizeof raw, NULL);

  if (getrandom (raw, length, 0) != (gssize) length)
    g_error ("getrandom() failed");
  code = g_malloc (length + 1);
  for (i = 0; i < length; i++)
    code[i] = code_alphabet[raw[i] & 31];
  code[length] = '\0';
  return code;
}

/* A join token is "EXPIRES.SIGNATURE": EXPIRES the Unix time after which
 * it is refused, SIGNATURE the lowercase hex HMAC-SHA256 of
 * "EXPIRES:ROOM" under the shared secret — the same idea as the TURN REST
 * API credentials coturn accepts, bound to one room. */
gchar *
nav_signaling_token_sign (const gchar *secret,
                          const gchar *room,
                          gint64       expires)
{
  g_autofree gchar *data = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expires, room);
  g_autofree gchar *mac = g_compute_hmac_for_string (G_CHECKSUM_SHA256,
                                                     (const guchar *) secret,
                                                     strlen (secret), data, -1);

  return g_strdup_printf ("%" G_GINT64_FORMAT ".%s", expires, mac);
}

gboolean
nav_signaling_token_verify (const gchar *secret,
                            const gchar *room,
                            const gchar *token,
                            gint64       now)
{
  g_autofree gchar *expected = NULL;
  const gchar *dot;
  gchar *end = NULL;
  gint64 expires;
  guint8 diff = 0;
  gsize i, len;

  if (token == NULL || secret == NULL || room == NULL)
    return FALSE;
  dot = strchr (token, '.');
  if (dot == NULL || dot == token || dot - token > 20)
    return FALSE;
  expires = g_ascii_strtoll (token, &end, 10);
  if (end != dot || expires < now)
    return FALSE;

  expected = nav_signaling_token_sign (secret, room, expires);
  len = strlen (expected);
  if (strlen (token) != len)
    return FALSE;
  /* Constant time: the position of the first wrong byte must not show in
   * the time taken. */
  for (i = 0; i < len; i++)
    diff |= (guint8) (expected[i] ^ token[i]);
  return diff == 0;
}

gchar *
nav_signaling_build_error (gint         code,
                           const gchar *reason,
                           const gchar *ref_type)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "v");
  json_builder_add_int_value (b, NAV_SIGNALING_PROTOCOL_VERSION);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "error");
  json_builder_set_member_name (b, "code");
  json_builder_add_int_value (b, code);
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, reason);
  if (ref_type != NULL && g_utf8_validate (ref_type, -1, NULL) && strlen (ref_type) <= 32)
    {
      json_builder_set_member_name (b, "ref");
      json_builder_add_string_value (b, ref_type);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}
