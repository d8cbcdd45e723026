/* nav-signaling-json.c: a strict RFC 8259 reader for signaling messages
 *
 * Why not json-glib on the server: its parser recurses once per nesting
 * level (a 1 MiB message of '[' overflowed the stack), accepts comments
 * and single-quoted strings (which threw a pre-parse depth count off),
 * builds a tree of GObjects per message, and hands strings back as
 * C strings (a room id "abc\u0000x" read as "abc").  This reader is
 * iterative with a fixed depth limit, accepts RFC 8259 only (UTF-8
 * checked), allocates nothing, and records the spans of the top-level
 * members so that a forwarded message is the sender's text spliced, not
 * re-serialised.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <string.h>

#include "nav-signaling-json.h"

/* Nesting is tracked in the bits of one word. */
#define MAX_TRACKED_DEPTH 64

static const struct {
  const gchar *name;
  guint len;
} key_names[NAV_SIGNALING_N_KEYS] = {
  [NAV_SIGNALING_KEY_V] = { "v", 1 },
  [NAV_SIGNALING_KEY_TYPE] = { "type", 4 },
  [NAV_SIGNALING_KEY_ROOM] = { "room", 4 },
  [NAV_SIGNALING_KEY_TO] = { "to", 2 },
  [NAV_SIGNALING_KEY_FROM] = { "from", 4 },
  [NAV_SIGNALING_KEY_TOKEN] = { "token", 5 },
  [NAV_SIGNALING_KEY_SDP] = { "sdp", 3 },
  [NAV_SIGNALING_KEY_CANDIDATE] = { "candidate", 9 },
  [NAV_SIGNALING_KEY_ID] = { "id", 2 },
  [NAV_SIGNALING_KEY_PEER] = { "peer", 4 },
  [NAV_SIGNALING_KEY_PEERS] = { "peers", 5 },
  [NAV_SIGNALING_KEY_CODE] = { "code", 4 },
  [NAV_SIGNALING_KEY_REASON] = { "reason", 6 },
  [NAV_SIGNALING_KEY_REF] = { "ref", 3 },
  [NAV_SIGNALING_KEY_IDLE_TIMEOUT] = { "idle-timeout", 12 },
  [NAV_SIGNALING_KEY_MAX_MESSAGE_SIZE] = { "max-message-size", 16 },
  [NAV_SIGNALING_KEY_TOKEN_REQUIRED] = { "token-required", 14 },
};

static inline const gchar *
skip_ws (const gchar *p,
         const gchar *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

static inline gint
hex_value (gchar c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* @p at the opening quote; returns past the closing quote, or NULL.
 * @escaped: whether the string holds a backslash. */
static const gchar *
skip_string (const gchar *p,
             const gchar *end,
             gboolean    *escaped)
{
  p++;
  while (p < end)
    {
      guchar c = (guchar) *p;

      if (c == '"')
        return p + 1;
      if (c == '\\')
        {
          if (escaped != NULL)
            *escaped = TRUE;
          if (++p >= end)
            return NULL;
          switch (*p)
            {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
              p++;
              break;
            case 'u':
              if (end - p < 5 || hex_value (p[1]) < 0 || hex_value (p[2]) < 0 ||
                  hex_value (p[3]) < 0 || hex_value (p[4]) < 0)
                return NULL;
              p += 5;
              break;
            default:
              return NULL;
            }
        }
      else if (c < 0x20)
        return NULL;                      /* RFC 8259 §7: control characters are escaped */
      else if (c < 0x80)
        p++;
      else
        {
          gunichar u = g_utf8_get_char_validated (p, end - p);
          if (u == (gunichar) -1 || u == (gunichar) -2)
            return NULL;
          p = g_utf8_next_char (p);
        }
    }
  return NULL;
}

/* RFC 8259 §6; returns past the number, or NULL. */
static const gchar *
skip_number (const gchar *p,
             const gchar *end)
{
  if (p < end && *p == '-')
    p++;
  if (p >= end)
    return NULL;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (p < end && g_ascii_isdigit (*p))
      p++;
  else
    return NULL;
  if (p < end && *p == '.')
    {
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return NULL;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return NULL;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  return p;
}

static const gchar *
skip_literal (const gchar *p,
              const gchar *end,
              const gchar *word,
              gsize        len)
{
  if ((gsize) (end - p) < len || memcmp (p, word, len) != 0)
    return NULL;
  return p + len;
}

/* One value, iteratively: containers are tracked in the bits of @stack
 * (1: object, 0: array), so no input can make it recurse.  @depth is the
 * nesting already around the value.  Returns past the value, or NULL
 * with @status set. */
static const gchar *
skip_value (const gchar   *p,
            const gchar   *end,
            guint          depth,
            guint          max_depth,
            NavJsonKind   *kind,
            NavJsonStatus *status)
{
  guint64 stack = 0;
  guint level = 0;                      /* containers opened here */

  *status = NAV_JSON_INVALID;
  for (;;)
    {
      /* A value. */
      p = skip_ws (p, end);
      if (p >= end)
        return NULL;
      switch (*p)
        {
        case '{':
        case '[':
          if (depth + level + 1 > max_depth)
            {
              *status = NAV_JSON_TOO_DEEP;
              return NULL;
            }
          if (level == 0 && kind != NULL)
            *kind = *p == '{' ? NAV_JSON_OBJECT : NAV_JSON_ARRAY;
          stack = (stack << 1) | (*p == '{' ? 1 : 0);
          level++;
          p = skip_ws (p + 1, end);
          if (p < end && (*p == '}' || *p == ']'))
            break;                      /* empty: closed below */
          if (stack & 1)
            goto key;
          continue;
        case '"':
          if (level == 0 && kind != NULL)
            *kind = NAV_JSON_STRING;
          p = skip_string (p, end, NULL);
          break;
        case 't':
          if (level == 0 && kind != NULL)
            *kind = NAV_JSON_TRUE;
          p = skip_literal (p, end, "true", 4);
          break;
        case 'f':
          if (level == 0 && kind != NULL)
            *kind = NAV_JSON_FALSE;
          p = skip_literal (p, end, "false", 5);
          break;
        case 'n':
          if (level == 0 && kind != NULL)
            *kind = NAV_JSON_NULL;
          p = skip_literal (p, end, "null", 4);
          break;
        default:
          if (level == 0 && kind != NULL)
            *kind = NAV_JSON_NUMBER;
          p = skip_number (p, end);
          break;
        }
      if (p == NULL)
        return NULL;

      /* After a value: close containers, or go on to the next item. */
      for (;;)
        {
          if (level == 0)
            {
              *status = NAV_JSON_OK;
              return p;
            }
          p = skip_ws (p, end);
          if (p >= end)
            return NULL;
          if (*p == ((stack & 1) ? '}' : ']'))
            {
              p++;
              stack >>= 1;
              level--;
              continue;
            }
          if (*p != ',')
            return NULL;
          p++;
          break;
        }
      if (!(stack & 1))
        continue;
    key:
      p = skip_ws (p, end);
      if (p >= end || *p != '"' || (p = skip_string (p, end, NULL)) == NULL)
        return NULL;
      p = skip_ws (p, end);
      if (p >= end || *p != ':')
        return NULL;
      p++;
    }
}

/* Any JSON text (RFC 8259 §2), nested at most @max_depth deep. */
NavJsonStatus
nav_json_validate (const gchar *data,
                   gsize        len,
                   guint        max_depth)
{
  const gchar *end = data + len;
  NavJsonStatus status;
  const gchar *p;

  g_return_val_if_fail (max_depth <= MAX_TRACKED_DEPTH, NAV_JSON_INVALID);

  p = skip_value (data, end, 0, max_depth, NULL, &status);
  if (p == NULL)
    return status;
  return skip_ws (p, end) == end ? NAV_JSON_OK : NAV_JSON_INVALID;
}

/* Unescapes the string at @quote (already checked by skip_string()) into
 * @out, at most @size bytes; returns the length, or -1 when it does not
 * fit.  Lone surrogates become U+FFFD. */
static gssize
decode_into (const gchar *quote,
             const gchar *end,
             gchar       *out,
             gsize        size)
{
  const gchar *p = quote + 1;
  gsize n = 0;

  while (p < end && *p != '"')
    {
      gchar utf8[6];
      gsize k = 1;

      if (*p != '\\')
        {
          utf8[0] = *p++;
        }
      else
        {
          gunichar u;

          p++;
          switch (*p)
            {
            case 'b': utf8[0] = '\b'; p++; break;
            case 'f': utf8[0] = '\f'; p++; break;
            case 'n': utf8[0] = '\n'; p++; break;
            case 'r': utf8[0] = '\r'; p++; break;
            case 't': utf8[0] = '\t'; p++; break;
            case 'u':
              u = (hex_value (p[1]) << 12) | (hex_value (p[2]) << 8) |
                  (hex_value (p[3]) << 4) | hex_value (p[4]);
              p += 5;
              if (u >= 0xd800 && u < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u')
                {
                  gint h1 = hex_value (p[2]), h2 = hex_value (p[3]);
                  gint h3 = hex_value (p[4]), h4 = hex_value (p[5]);
                  gunichar low = (h1 << 12) | (h2 << 8) | (h3 << 4) | h4;

                  if (h1 >= 0 && h2 >= 0 && h3 >= 0 && h4 >= 0 && low >= 0xdc00 && low < 0xe000)
                    {
                      u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
                      p += 6;
                    }
                }
              if (u >= 0xd800 && u < 0xe000)
                u = 0xfffd;
              k = g_unichar_to_utf8 (u, utf8);
              break;
            default:                    /* '"', '\\', '/' */
              utf8[0] = *p++;
              break;
            }
        }
      if (n + k > size)
        return -1;
      memcpy (out + n, utf8, k);
      n += k;
    }
  return n;
}

/* A string's text, unescaped and NUL-terminated (it may hold NULs:
 * check @len). */
gchar *
nav_json_decode_string (const gchar *quote,
                        const gchar *end,
                        gsize       *len)
{
  /* Unescaping never makes a string longer than its escaped form. */
  gsize size = end - quote;
  gchar *out = g_malloc (size + 1);
  gssize n = decode_into (quote, end, out, size);

  g_assert (n >= 0);
  out[n] = '\0';
  if (len != NULL)
    *len = n;
  return out;
}

static gint
identify_key (const gchar *quote,
              const gchar *after,
              gboolean     escaped)
{
  gchar buf[24];
  const gchar *name = quote + 1;
  gssize len = after - quote - 2;
  gint i;

  if (escaped)
    {
      len = decode_into (quote, after, buf, sizeof buf);
      if (len < 0)
        return -1;
      name = buf;
    }
  for (i = 0; i < NAV_SIGNALING_N_KEYS; i++)
    if ((gssize) key_names[i].len == len && memcmp (key_names[i].name, name, len) == 0)
      return i;
  return -1;
}

/* A message: one JSON object, nested at most @max_depth deep (the object
 * itself is level 1), at most NAV_JSON_MAX_MEMBERS members, the members
 * the protocol reads at most once each. */
NavJsonStatus
nav_signaling_message_parse (NavSignalingMessage *msg,
                             const gchar         *data,
                             gsize                len,
                             guint                max_depth)
{
  const gchar *end = data + len;
  const gchar *p;
  NavJsonStatus status;

  g_return_val_if_fail (max_depth >= 1 && max_depth <= MAX_TRACKED_DEPTH, NAV_JSON_INVALID);

  msg->data = data;
  msg->len = len;
  msg->n_members = 0;
  memset (msg->index, -1, sizeof msg->index);

  p = skip_ws (data, end);
  if (p >= end || *p != '{')
    {
      status = nav_json_validate (data, len, max_depth);
      return status == NAV_JSON_OK ? NAV_JSON_NOT_OBJECT : status;
    }
  p = skip_ws (p + 1, end);
  if (p < end && *p == '}')
    p++;
  else
    for (;;)
      {
        NavJsonMember *m;
        const gchar *key_end;
        gboolean escaped = FALSE;

        if (p >= end || *p != '"' || (key_end = skip_string (p, end, &escaped)) == NULL)
          return NAV_JSON_INVALID;
        if (msg->n_members == NAV_JSON_MAX_MEMBERS)
          {
            /* Still a depth or syntax error if the rest is one. */
            status = nav_json_validate (data, len, max_depth);
            return status == NAV_JSON_OK ? NAV_JSON_TOO_MANY_MEMBERS : status;
          }
        m = &msg->members[msg->n_members];
        m->start = p;
        m->key = identify_key (p, key_end, escaped);
        p = skip_ws (key_end, end);
        if (p >= end || *p != ':')
          return NAV_JSON_INVALID;
        m->value = skip_ws (p + 1, end);
        p = skip_value (m->value, end, 1, max_depth, &m->kind, &status);
        if (p == NULL)
          return status;
        m->end = p;
        if (m->key >= 0)
          {
            if (msg->index[m->key] >= 0)
              {
                status = nav_json_validate (data, len, max_depth);
                return status == NAV_JSON_OK ? NAV_JSON_DUPLICATE : status;
              }
            msg->index[m->key] = msg->n_members;
          }
        msg->n_members++;
        p = skip_ws (p, end);
        if (p < end && *p == ',')
          {
            p = skip_ws (p + 1, end);
            continue;
          }
        if (p < end && *p == '}')
          {
            p++;
            break;
          }
        return NAV_JSON_INVALID;
      }
  return skip_ws (p, end) == end ? NAV_JSON_OK : NAV_JSON_INVALID;
}

const NavJsonMember *
nav_signaling_message_get (const NavSignalingMessage *msg,
                           NavSignalingKey            key)
{
  gint i = msg->index[key];

  return i >= 0 ? &msg->members[i] : NULL;
}

/* The string member @key unescaped into @buf (NUL-terminated); FALSE
 * when absent, not a string, or longer than @size - 1 bytes.  The text
 * may hold NULs: *@len is its length. */
gboolean
nav_signaling_message_get_string (const NavSignalingMessage *msg,
                                  NavSignalingKey            key,
                                  gchar                     *buf,
                                  gsize                      size,
                                  gsize                     *len)
{
  const NavJsonMember *m = nav_signaling_message_get (msg, key);
  gssize n;

  if (m == NULL || m->kind != NAV_JSON_STRING || size == 0)
    return FALSE;
  n = decode_into (m->value, m->end, buf, size - 1);
  if (n < 0)
    return FALSE;
  buf[n] = '\0';
  if (len != NULL)
    *len = n;
  return TRUE;
}

/* Any top-level member, by name (for objects other than protocol
 * messages, such as Redis envelopes). */
const NavJsonMember *
nav_signaling_message_find (const NavSignalingMessage *msg,
                            const gchar               *name)
{
  gsize len = strlen (name);
  guint i;

  for (i = 0; i < msg->n_members; i++)
    {
      const NavJsonMember *m = &msg->members[i];
      const gchar *key_end = skip_string (m->start, m->value, NULL);
      gchar buf[64];
      gssize n;

      if (key_end == NULL)
        continue;
      n = decode_into (m->start, key_end, buf, sizeof buf);
      if (n == (gssize) len && memcmp (buf, name, len) == 0)
        return m;
    }
  return NULL;
}

/* The string member @key, unescaped; NULL when absent or not a string,
 * or when it holds a NUL (no C string can carry it). */
gchar *
nav_signaling_message_dup_string (const NavSignalingMessage *msg,
                                  NavSignalingKey            key)
{
  return nav_json_member_dup_string (nav_signaling_message_get (msg, key));
}

gchar *
nav_json_member_dup_string (const NavJsonMember *m)
{
  gchar *s;
  gsize len;

  if (m == NULL || m->kind != NAV_JSON_STRING)
    return NULL;
  s = nav_json_decode_string (m->value, m->end, &len);
  if (strlen (s) != len)
    g_clear_pointer (&s, g_free);
  return s;
}

/* An integer member (no fraction, no exponent, within 64 bits). */
gboolean
nav_signaling_message_get_int (const NavSignalingMessage *msg,
                               NavSignalingKey            key,
                               gint64                    *value)
{
  const NavJsonMember *m = nav_signaling_message_get (msg, key);
  gchar buf[24];
  gsize len;
  gchar *endp = NULL;
  gint64 v;

  if (m == NULL || m->kind != NAV_JSON_NUMBER)
    return FALSE;
  len = m->end - m->value;
  if (len >= sizeof buf || memchr (m->value, '.', len) != NULL ||
      memchr (m->value, 'e', len) != NULL || memchr (m->value, 'E', len) != NULL)
    return FALSE;
  memcpy (buf, m->value, len);
  buf[len] = '\0';
  errno = 0;
  v = g_ascii_strtoll (buf, &endp, 10);
  if (errno != 0 || endp != buf + len)
    return FALSE;
  *value = v;
  return TRUE;
}

/* An array member's strings (other elements are skipped); NULL when
 * absent or not an array.  The array is flat: strings only matter. */
gchar **
nav_signaling_message_dup_strv (const NavSignalingMessage *msg,
                                NavSignalingKey            key)
{
  const NavJsonMember *m = nav_signaling_message_get (msg, key);
  GPtrArray *out;
  const gchar *p;
  NavJsonStatus status;

  if (m == NULL || m->kind != NAV_JSON_ARRAY)
    return NULL;
  out = g_ptr_array_new ();
  p = skip_ws (m->value + 1, m->end);
  while (p < m->end && *p != ']')
    {
      NavJsonKind kind = 0;
      const gchar *next = skip_value (p, m->end, 0, MAX_TRACKED_DEPTH, &kind, &status);

      if (next == NULL)
        break;
      if (kind == NAV_JSON_STRING)
        {
          gsize len;
          gchar *s = nav_json_decode_string (p, next, &len);

          if (strlen (s) == len)
            g_ptr_array_add (out, s);
          else
            g_free (s);
        }
      p = skip_ws (next, m->end);
      if (p < m->end && *p == ',')
        p = skip_ws (p + 1, m->end);
    }
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

/* Appends @s (UTF-8, @len bytes or NUL-terminated) as a JSON string. */
void
nav_json_append_string (GString     *out,
                        const gchar *s,
                        gssize       len)
{
  const gchar *p, *end, *run;

  if (len < 0)
    len = strlen (s);
  end = s + len;
  g_string_append_c (out, '"');
  for (p = run = s; p < end; p++)
    {
      guchar c = (guchar) *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, p - run);
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default: g_string_append_printf (out, "\\u%04x", c); break;
        }
      run = p + 1;
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}
