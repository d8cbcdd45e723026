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

/* Whether @data nests no deeper than @max_depth.  The strict reader
 * decides (RFC 8259 only: no comments, no single quotes, nothing that
 * could make it count wrong); text that is not JSON is not "too deep",
 * it fails the parse that follows. */
gboolean
nav_signaling_check_nesting (const gchar *data,
                             gsize        len,
                             guint        max_depth)
{
  return nav_json_validate (data, len, MIN (max_depth, 64)) != NAV_JSON_TOO_DEEP;
}

/* Room and peer ids: 1 to 64 characters of [A-Za-z0-9._-], so they are
 * safe in logs, Redis channel names and URLs. */
gboolean
nav_signaling_id_is_valid (const gchar *id)
{
  return id != NULL && nav_signaling_id_is_valid_len (id, strlen (id));
}

/* The same for a decoded string that may hold NULs or control
 * characters ("abc\u0000x" is not the room "abc"). */
gboolean
nav_signaling_id_is_valid_len (const gchar *id,
                               gsize        len)
{
  gsize i;

  if (id == NULL || len == 0 || len > NAV_SIGNALING_MAX_ID_LENGTH)
    return FALSE;
  for (i = 0; i < len; i++)
    {
      gchar c = id[i];

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

/* ----------------------------------------------------- message texts */

static GString *
begin_message (const gchar *type)
{
  GString *out = g_string_sized_new (128);

  g_string_append_printf (out, "{\"v\":%d,\"type\":", NAV_SIGNALING_PROTOCOL_VERSION);
  nav_json_append_string (out, type, -1);
  return out;
}

static void
add_string (GString     *out,
            const gchar *name,
            const gchar *value)
{
  g_string_append_printf (out, ",\"%s\":", name);
  nav_json_append_string (out, value, -1);
}

static gchar *
end_message (GString *out)
{
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

gchar *
nav_signaling_build_error (gint         code,
                           const gchar *reason,
                           const gchar *ref_type)
{
  GString *out = begin_message ("error");

  g_string_append_printf (out, ",\"code\":%d", code);
  add_string (out, "reason", reason);
  if (ref_type != NULL && g_utf8_validate (ref_type, -1, NULL) && strlen (ref_type) <= 32)
    add_string (out, "ref", ref_type);
  return end_message (out);
}

gchar *
nav_signaling_build_welcome (const gchar *peer,
                             guint        max_message_size,
                             guint        idle_timeout,
                             gboolean     token_required)
{
  GString *out = begin_message ("welcome");

  add_string (out, "peer", peer);
  g_string_append_printf (out, ",\"max-message-size\":%u,\"idle-timeout\":%u,\"token-required\":%s",
                          max_message_size, idle_timeout, token_required ? "true" : "false");
  return end_message (out);
}

/* {"v":1,"type":TYPE,"room":ROOM,"peer":PEER} */
gchar *
nav_signaling_build_room_event (const gchar *type,
                                const gchar *room,
                                const gchar *peer)
{
  GString *out = begin_message (type);

  add_string (out, "room", room);
  add_string (out, "peer", peer);
  return end_message (out);
}

gchar *
nav_signaling_build_joined (const gchar        *room,
                            const gchar        *peer,
                            const gchar *const *peers,
                            guint               n_peers)
{
  GString *out = begin_message ("joined");
  guint i;

  add_string (out, "room", room);
  add_string (out, "peer", peer);
  g_string_append (out, ",\"peers\":[");
  for (i = 0; i < n_peers; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      nav_json_append_string (out, peers[i], -1);
    }
  g_string_append_c (out, ']');
  return end_message (out);
}

/* The ping's "id" is copied as it came, when it is a string, a number or
 * a boolean. */
gchar *
nav_signaling_build_pong (const NavSignalingMessage *ping)
{
  const NavJsonMember *id = ping != NULL ? nav_signaling_message_get (ping, NAV_SIGNALING_KEY_ID) : NULL;
  GString *out = begin_message ("pong");

  if (id != NULL && (id->kind == NAV_JSON_STRING || id->kind == NAV_JSON_NUMBER ||
                     id->kind == NAV_JSON_TRUE || id->kind == NAV_JSON_FALSE))
    {
      g_string_append (out, ",\"id\":");
      g_string_append_len (out, id->value, id->end - id->value);
    }
  return end_message (out);
}

static gboolean
dropped_when_forwarded (gint key)
{
  return key == NAV_SIGNALING_KEY_V || key == NAV_SIGNALING_KEY_FROM ||
         key == NAV_SIGNALING_KEY_ROOM || key == NAV_SIGNALING_KEY_TOKEN;
}

/* A forwarded message: the sender's members as they came, spliced, but
 * "v", "from" and "room" set by the server and "token" removed
 * (docs/signaling.md "Messages").  @from and @room are ids (no escaping
 * needed).  The text starts @prefix bytes into the returned block, which
 * has room for a NUL after it; *@len is the text's length. */
gchar *
nav_signaling_build_forward (const NavSignalingMessage *msg,
                             const gchar               *from,
                             const gchar               *room,
                             gsize                      prefix,
                             gsize                     *len)
{
  static const gchar head[] = "{\"v\":1,\"from\":\"";
  gsize from_len = strlen (from), room_len = strlen (room);
  gsize total = sizeof head - 1 + from_len + strlen ("\",\"room\":\"") + room_len + 1 + 1;
  gchar *block, *p;
  guint i;

  G_STATIC_ASSERT (NAV_SIGNALING_PROTOCOL_VERSION == 1);
  for (i = 0; i < msg->n_members; i++)
    if (!dropped_when_forwarded (msg->members[i].key))
      total += 1 + (msg->members[i].end - msg->members[i].start);
  block = g_malloc (prefix + total + 1);
  p = block + prefix;
  memcpy (p, head, sizeof head - 1);
  p += sizeof head - 1;
  memcpy (p, from, from_len);
  p += from_len;
  memcpy (p, "\",\"room\":\"", 10);
  p += 10;
  memcpy (p, room, room_len);
  p += room_len;
  *p++ = '"';
  for (i = 0; i < msg->n_members; i++)
    {
      const NavJsonMember *m = &msg->members[i];

      if (dropped_when_forwarded (m->key))
        continue;
      *p++ = ',';
      memcpy (p, m->start, m->end - m->start);
      p += m->end - m->start;
    }
  *p++ = '}';
  *p = '\0';
  *len = p - (block + prefix);
  g_assert (*len == total);
  return block;
}

/* A client's message: "v", "type", then "room" and "to" when given,
 * then the string members @names = @values (NULL values are left out). */
gchar *
nav_signaling_build_request (const gchar        *type,
                             const gchar        *room,
                             const gchar        *to,
                             const gchar *const *names,
                             const gchar *const *values)
{
  GString *out = begin_message (type);
  guint i;

  if (room != NULL)
    add_string (out, "room", room);
  if (to != NULL)
    add_string (out, "to", to);
  for (i = 0; names != NULL && names[i] != NULL; i++)
    if (values[i] != NULL)
      add_string (out, names[i], values[i]);
  return end_message (out);
}
