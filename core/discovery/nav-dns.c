/* nav-dns.c: DNS messages for mDNS and DNS-SD, parsed and written
 *
 * The parser takes bytes from anyone on the link: every length is
 * checked against what is left, compression pointers must point
 * backwards (so no loop is possible, and a hop count bounds the work
 * anyway), names stay within RFC 1035's limits, and records of the
 * types this code reads must have the RDATA their type says.  Anything
 * else is refused with a NavDnsError, never half-applied.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nav-dns.h"

#include <string.h>

G_DEFINE_QUARK (nav-dns-error-quark, nav_dns_error)

/* ------------------------------------------------------------ names */

/* Unescapes a presentation-form name into wire labels (without the
 * final zero).  Returns the number of bytes, or -1 when the name is
 * malformed or too long. */
static gssize
name_to_wire (const gchar *name,
              guint8      *out)    /* NAV_DNS_MAX_NAME bytes */
{
  const gchar *p = name;
  gsize len = 0;

  if (p[0] == '\0' || (p[0] == '.' && p[1] == '\0'))
    return 0;
  while (*p != '\0')
    {
      gsize label_start, label_len;

      if (len >= NAV_DNS_MAX_NAME)
        return -1;
      label_start = len++;

      while (*p != '\0' && *p != '.')
        {
          guint c;

          if (*p == '\\')
            {
              p++;
              if (g_ascii_isdigit (p[0]) && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2]))
                {
                  c = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
                  if (c > 255)
                    return -1;
                  p += 3;
                }
              else if (*p != '\0')
                c = (guint8) *p++;
              else
                return -1;
            }
          else
            c = (guint8) *p++;
          if (len >= NAV_DNS_MAX_NAME)
            return -1;
          out[len++] = (guint8) c;
        }
      label_len = len - label_start - 1;
      if (label_len == 0 || label_len > NAV_DNS_MAX_LABEL)
        return -1;
      out[label_start] = (guint8) label_len;
      /* A trailing dot ends the name like the end of the string. */
      if (*p == '.')
        p++;
    }
  /* The final zero byte counts too. */
  if (len + 1 > NAV_DNS_MAX_NAME)
    return -1;
  return len;
}

static void
append_label_text (GString      *text,
                   const guint8 *label,
                   gsize         len)
{
  gsize i;

  for (i = 0; i < len; i++)
    {
      guint8 c = label[i];

      if (c == '.' || c == '\\')
        {
          g_string_append_c (text, '\\');
          g_string_append_c (text, c);
        }
      else if (c <= 0x20 || c == 0x7f)
        g_string_append_printf (text, "\\%03u", c);
      else
        g_string_append_c (text, c);
    }
}

gboolean
nav_dns_name_is_valid (const gchar *name)
{
  guint8 wire[NAV_DNS_MAX_NAME];

  return name != NULL && name_to_wire (name, wire) > 0;
}

/* Label by label, each unescaped, compared ignoring ASCII case. */
gboolean
nav_dns_name_equal (const gchar *a,
                    const gchar *b)
{
  guint8 wa[NAV_DNS_MAX_NAME], wb[NAV_DNS_MAX_NAME];
  gssize la, lb, i;

  if (a == NULL || b == NULL)
    return a == b;
  la = name_to_wire (a, wa);
  lb = name_to_wire (b, wb);
  if (la < 0 || lb < 0 || la != lb)
    return la < 0 && lb < 0 && g_ascii_strcasecmp (a, b) == 0;
  for (i = 0; i < la; i++)
    if (g_ascii_tolower (wa[i]) != g_ascii_tolower (wb[i]))
      return FALSE;
  return TRUE;
}

guint
nav_dns_name_hash (gconstpointer name)
{
  guint8 wire[NAV_DNS_MAX_NAME];
  gssize len = name_to_wire (name, wire), i;
  guint h = 5381;

  if (len < 0)
    return g_str_hash (name);
  for (i = 0; i < len; i++)
    h = h * 33 + g_ascii_tolower (wire[i]);
  return h;
}

/* Whether @name ends with the labels of @suffix. */
gboolean
nav_dns_name_has_suffix (const gchar *name,
                         const gchar *suffix)
{
  guint8 wn[NAV_DNS_MAX_NAME], ws[NAV_DNS_MAX_NAME];
  gssize ln = name_to_wire (name, wn), ls = name_to_wire (suffix, ws);
  gssize pos = 0, i;

  if (ln < 0 || ls < 0 || ls > ln)
    return FALSE;
  /* Walk the labels of @name to the one where @suffix would start. */
  while (pos < ln && ln - pos > ls)
    pos += 1 + wn[pos];
  if (ln - pos != ls)
    return FALSE;
  for (i = 0; i < ls; i++)
    if (g_ascii_tolower (wn[pos + i]) != g_ascii_tolower (ws[i]))
      return FALSE;
  return TRUE;
}

gchar *
nav_dns_label_escape (const gchar *label)
{
  GString *text = g_string_new (NULL);

  append_label_text (text, (const guint8 *) label, strlen (label));
  return g_string_free (text, FALSE);
}

gchar *
nav_dns_name_first_label (const gchar *name)
{
  guint8 wire[NAV_DNS_MAX_NAME];
  gssize len = name_to_wire (name, wire);

  if (len <= 0)
    return NULL;
  return g_strndup ((const gchar *) wire + 1, wire[0]);
}

/* ------------------------------------------------------------ parsing */

typedef struct {
  const guint8 *data;
  gsize len;
  gsize pos;
} Reader;

static gboolean
read_u16 (Reader  *r,
          guint16 *v)
{
  if (r->len - r->pos < 2)
    return FALSE;
  *v = (guint16) (r->data[r->pos] << 8 | r->data[r->pos + 1]);
  r->pos += 2;
  return TRUE;
}

static gboolean
read_u32 (Reader  *r,
          guint32 *v)
{
  if (r->len - r->pos < 4)
    return FALSE;
  *v = (guint32) r->data[r->pos] << 24 | (guint32) r->data[r->pos + 1] << 16 |
       (guint32) r->data[r->pos + 2] << 8 | r->data[r->pos + 3];
  r->pos += 4;
  return TRUE;
}

/* Reads a name at r->pos (RFC 1035 §4.1.4).  Pointers must point before
 * the label that holds them: a loop cannot be built, and each hop goes
 * strictly backwards, so the walk ends. */
static gchar *
read_name (Reader  *r,
           GError **error)
{
  GString *text = g_string_new (NULL);
  gsize pos = r->pos, wire_len = 1, limit = r->pos;
  gboolean jumped = FALSE;
  guint hops = 0;

  while (TRUE)
    {
      guint8 len;

      if (pos >= r->len)
        goto truncated;
      len = r->data[pos];
      if ((len & 0xc0) == 0xc0)
        {
          gsize target;

          if (pos + 1 >= r->len)
            goto truncated;
          target = (gsize) (len & 0x3f) << 8 | r->data[pos + 1];
          if (target >= limit || ++hops > 128)
            {
              g_set_error (error, NAV_DNS_ERROR, NAV_DNS_ERROR_BAD_NAME,
                           "compression pointer at %" G_GSIZE_FORMAT " does not point backwards", pos);
              goto fail;
            }
          if (!jumped)
            r->pos = pos + 2;
          jumped = TRUE;
          limit = target;
          pos = target;
          continue;
        }
      if ((len & 0xc0) != 0)
        {
          g_set_error (error, NAV_DNS_ERROR, NAV_DNS_ERROR_BAD_NAME,
                       "label type 0x%02x at %" G_GSIZE_FORMAT, len & 0xc0, pos);
          goto fail;
        }
      if (len == 0)
        {
          if (!jumped)
            r->pos = pos + 1;
          break;
        }
      if (r->len - pos - 1 < len)
        goto truncated;
      wire_len += 1 + len;
      if (wire_len > NAV_DNS_MAX_NAME)
        {
          g_set_error_literal (error, NAV_DNS_ERROR, NAV_DNS_ERROR_BAD_NAME, "name longer than 255 bytes");
          goto fail;
        }
      if (text->len > 0)
        g_string_append_c (text, '.');
      append_label_text (text, r->data + pos + 1, len);
      pos += 1 + len;
    }
  if (text->len == 0)
    g_string_append_c (text, '.');
  return g_string_free (text, FALSE);

truncated:
  g_set_error_literal (error, NAV_DNS_ERROR, NAV_DNS_ERROR_TRUNCATED, "name runs past the message");
fail:
  g_string_free (text, TRUE);
  return NULL;
}

static void
question_free (gpointer data)
{
  NavDnsQuestion *q = data;

  g_free (q->name);
  g_free (q);
}

NavDnsMessage *
nav_dns_message_new (guint16 id,
                     guint16 flags)
{
  NavDnsMessage *m = g_new0 (NavDnsMessage, 1);

  m->id = id;
  m->flags = flags;
  m->questions = g_ptr_array_new_with_free_func (question_free);
  m->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_dns_record_free);
  m->authority = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_dns_record_free);
  m->additional = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_dns_record_free);
  return m;
}

void
nav_dns_message_free (NavDnsMessage *message)
{
  if (message == NULL)
    return;
  g_ptr_array_unref (message->questions);
  g_ptr_array_unref (message->answers);
  g_ptr_array_unref (message->authority);
  g_ptr_array_unref (message->additional);
  g_free (message);
}

static void
record_clear_data (NavDnsRecord *r)
{
  switch (r->type)
    {
    case NAV_DNS_TYPE_PTR:
      g_clear_pointer (&r->data.ptr, g_free);
      break;
    case NAV_DNS_TYPE_SRV:
      g_clear_pointer (&r->data.srv.target, g_free);
      break;
    case NAV_DNS_TYPE_TXT:
      g_clear_pointer (&r->data.txt, g_ptr_array_unref);
      break;
    case NAV_DNS_TYPE_NSEC:
      g_clear_pointer (&r->data.nsec.next, g_free);
      break;
    default:
      break;
    }
  g_clear_pointer (&r->raw, g_bytes_unref);
}

NavDnsRecord *
nav_dns_record_new (const gchar *name,
                    guint16      type,
                    guint32      ttl,
                    gboolean     cache_flush)
{
  NavDnsRecord *r = g_new0 (NavDnsRecord, 1);

  r->name = g_strdup (name);
  r->type = type;
  r->klass = NAV_DNS_CLASS_IN;
  r->ttl = ttl;
  r->cache_flush = cache_flush;
  if (type == NAV_DNS_TYPE_TXT)
    r->data.txt = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return r;
}

void
nav_dns_record_free (NavDnsRecord *record)
{
  if (record == NULL)
    return;
  record_clear_data (record);
  g_free (record->name);
  g_free (record);
}

NavDnsRecord *
nav_dns_record_copy (const NavDnsRecord *record)
{
  NavDnsRecord *r = g_new0 (NavDnsRecord, 1);
  guint i;

  *r = *record;
  r->name = g_strdup (record->name);
  if (record->raw != NULL)
    r->raw = g_bytes_ref (record->raw);
  switch (record->type)
    {
    case NAV_DNS_TYPE_PTR:
      r->data.ptr = g_strdup (record->data.ptr);
      break;
    case NAV_DNS_TYPE_SRV:
      r->data.srv.target = g_strdup (record->data.srv.target);
      break;
    case NAV_DNS_TYPE_TXT:
      r->data.txt = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      for (i = 0; record->data.txt != NULL && i < record->data.txt->len; i++)
        g_ptr_array_add (r->data.txt, g_bytes_ref (g_ptr_array_index (record->data.txt, i)));
      break;
    case NAV_DNS_TYPE_NSEC:
      r->data.nsec.next = g_strdup (record->data.nsec.next);
      break;
    default:
      break;
    }
  return r;
}

static gboolean
parse_rdata (Reader        *r,
             NavDnsRecord  *rec,
             gsize          rdlen,
             GError       **error)
{
  gsize end = r->pos + rdlen;
  Reader sub = *r;

  switch (rec->type)
    {
    case NAV_DNS_TYPE_A:
      if (rdlen != 4)
        goto bad;
      memcpy (rec->data.a, r->data + r->pos, 4);
      break;
    case NAV_DNS_TYPE_AAAA:
      if (rdlen != 16)
        goto bad;
      memcpy (rec->data.aaaa, r->data + r->pos, 16);
      break;
    case NAV_DNS_TYPE_PTR:
      /* The name may point anywhere before, but must end inside RDATA. */
      sub.len = end;
      rec->data.ptr = read_name (&sub, error);
      if (rec->data.ptr == NULL)
        return FALSE;
      if (sub.pos != end)
        goto bad;
      break;
    case NAV_DNS_TYPE_SRV:
      sub.len = end;
      if (!read_u16 (&sub, &rec->data.srv.priority) || !read_u16 (&sub, &rec->data.srv.weight) ||
          !read_u16 (&sub, &rec->data.srv.port))
        goto bad;
      rec->data.srv.target = read_name (&sub, error);
      if (rec->data.srv.target == NULL)
        return FALSE;
      if (sub.pos != end)
        goto bad;
      break;
    case NAV_DNS_TYPE_TXT:
      {
        gsize pos = r->pos;

        rec->data.txt = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
        while (pos < end)
          {
            guint8 n = r->data[pos];

            if (end - pos - 1 < n)
              goto bad;
            /* RFC 6763 §6.1: an empty string only as the whole record. */
            if (n > 0)
              g_ptr_array_add (rec->data.txt, g_bytes_new (r->data + pos + 1, n));
            pos += 1 + n;
          }
        break;
      }
    case NAV_DNS_TYPE_NSEC:
      {
        guint8 window, blen;

        sub.len = end;
        rec->data.nsec.next = read_name (&sub, error);
        if (rec->data.nsec.next == NULL)
          return FALSE;
        /* RFC 4034 §4.1.2: windows; mDNS uses window 0 only (RFC 6762
         * §6.1), others are skipped. */
        while (sub.pos < end)
          {
            if (end - sub.pos < 2)
              goto bad;
            window = sub.data[sub.pos];
            blen = sub.data[sub.pos + 1];
            if (blen == 0 || blen > 32 || end - sub.pos - 2 < blen)
              goto bad;
            if (window == 0)
              memcpy (rec->data.nsec.bitmap, sub.data + sub.pos + 2, blen);
            sub.pos += 2 + blen;
          }
        break;
      }
    default:
      rec->raw = g_bytes_new (r->data + r->pos, rdlen);
      break;
    }
  r->pos = end;
  return TRUE;

bad:
  g_set_error (error, NAV_DNS_ERROR, NAV_DNS_ERROR_BAD_RECORD,
               "record %s of type %u has malformed data (%" G_GSIZE_FORMAT " bytes)",
               rec->name, rec->type, rdlen);
  return FALSE;
}

static NavDnsRecord *
parse_record (Reader  *r,
              GError **error)
{
  g_autoptr (NavDnsRecord) rec = g_new0 (NavDnsRecord, 1);
  guint16 klass, rdlen;

  rec->name = read_name (r, error);
  if (rec->name == NULL)
    return NULL;
  /* The type is set last: until then, record_clear_data frees nothing. */
  {
    guint16 type;

    if (!read_u16 (r, &type) || !read_u16 (r, &klass) || !read_u32 (r, &rec->ttl) ||
        !read_u16 (r, &rdlen) || r->len - r->pos < rdlen)
      {
        g_set_error (error, NAV_DNS_ERROR, NAV_DNS_ERROR_TRUNCATED, "record %s runs past the message",
                     rec->name);
        return NULL;
      }
    rec->type = type;
  }
  rec->cache_flush = (klass & NAV_DNS_CLASS_TOP_BIT) != 0;
  rec->klass = klass & ~NAV_DNS_CLASS_TOP_BIT;
  /* RFC 6762 §10: TTLs above 2^31 - 1 are read as 0 (RFC 2181 §8). */
  if (rec->ttl > G_MAXINT32)
    rec->ttl = 0;
  if (!parse_rdata (r, rec, rdlen, error))
    return NULL;
  return g_steal_pointer (&rec);
}

NavDnsMessage *
nav_dns_message_parse (const guint8  *data,
                       gsize          len,
                       GError       **error)
{
  g_autoptr (NavDnsMessage) m = NULL;
  Reader r = { data, len, 0 };
  guint16 id, flags, counts[4];
  GPtrArray *sections[3];
  guint i, s;

  if (len > NAV_DNS_MAX_MESSAGE)
    {
      g_set_error (error, NAV_DNS_ERROR, NAV_DNS_ERROR_TOO_LARGE,
                   "message of %" G_GSIZE_FORMAT " bytes (at most %u)", len, NAV_DNS_MAX_MESSAGE);
      return NULL;
    }
  if (!read_u16 (&r, &id) || !read_u16 (&r, &flags) || !read_u16 (&r, &counts[0]) ||
      !read_u16 (&r, &counts[1]) || !read_u16 (&r, &counts[2]) || !read_u16 (&r, &counts[3]))
    {
      g_set_error_literal (error, NAV_DNS_ERROR, NAV_DNS_ERROR_TRUNCATED, "shorter than a DNS header");
      return NULL;
    }
  if ((guint) counts[0] + counts[1] + counts[2] + counts[3] > NAV_DNS_MAX_RECORDS)
    {
      g_set_error (error, NAV_DNS_ERROR, NAV_DNS_ERROR_TOO_LARGE, "%u entries (at most %u)",
                   (guint) counts[0] + counts[1] + counts[2] + counts[3], NAV_DNS_MAX_RECORDS);
      return NULL;
    }
  m = nav_dns_message_new (id, flags);
  for (i = 0; i < counts[0]; i++)
    {
      NavDnsQuestion *q;
      gchar *name = read_name (&r, error);
      guint16 type, klass;

      if (name == NULL)
        return NULL;
      if (!read_u16 (&r, &type) || !read_u16 (&r, &klass))
        {
          g_free (name);
          g_set_error_literal (error, NAV_DNS_ERROR, NAV_DNS_ERROR_TRUNCATED, "question runs past the message");
          return NULL;
        }
      q = g_new0 (NavDnsQuestion, 1);
      q->name = name;
      q->type = type;
      q->unicast = (klass & NAV_DNS_CLASS_TOP_BIT) != 0;
      q->klass = klass & ~NAV_DNS_CLASS_TOP_BIT;
      g_ptr_array_add (m->questions, q);
    }
  sections[0] = m->answers;
  sections[1] = m->authority;
  sections[2] = m->additional;
  for (s = 0; s < 3; s++)
    for (i = 0; i < counts[s + 1]; i++)
      {
        NavDnsRecord *rec = parse_record (&r, error);

        if (rec == NULL)
          return NULL;
        g_ptr_array_add (sections[s], rec);
      }
  if (r.pos != r.len)
    {
      g_set_error (error, NAV_DNS_ERROR, NAV_DNS_ERROR_TRAILING, "%" G_GSIZE_FORMAT " bytes after the last record",
                   r.len - r.pos);
      return NULL;
    }
  return g_steal_pointer (&m);
}

/* ------------------------------------------------------------ writing */

typedef struct {
  GByteArray *out;
  gsize max_len;
  /* Offsets of names already written, for compression: each entry is the
   * offset of a suffix (a label sequence) in @out. */
  GArray *offsets;
  gboolean overflow;
} Writer;

static void
put_bytes (Writer       *w,
           const void   *data,
           gsize         len)
{
  if (w->out->len + len > w->max_len)
    {
      w->overflow = TRUE;
      return;
    }
  g_byte_array_append (w->out, data, len);
}

static void
put_u16 (Writer  *w,
         guint16  v)
{
  guint8 b[2] = { v >> 8, v & 0xff };

  put_bytes (w, b, 2);
}

static void
put_u32 (Writer  *w,
         guint32  v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };

  put_bytes (w, b, 4);
}

/* Whether the labels at @wire (ending in a zero, uncompressed) equal the
 * name at @offset in the output (possibly compressed). */
static gboolean
suffix_matches (const GByteArray *out,
                gsize             offset,
                const guint8     *wire)
{
  gsize pos = offset, i = 0;
  guint hops = 0;

  while (TRUE)
    {
      guint8 len;

      if (pos >= out->len)
        return FALSE;
      len = out->data[pos];
      if ((len & 0xc0) == 0xc0)
        {
          if (pos + 1 >= out->len || ++hops > 128)
            return FALSE;
          pos = (gsize) (len & 0x3f) << 8 | out->data[pos + 1];
          continue;
        }
      if (len != wire[i])
        return FALSE;
      if (len == 0)
        return TRUE;
      /* Exact bytes: a pointer to a name in another case would change
       * the case of what is written (RFC 4343 §4: case is preserved). */
      if (pos + 1 + len > out->len || memcmp (out->data + pos + 1, wire + i + 1, len) != 0)
        return FALSE;
      pos += 1 + len;
      i += 1 + len;
    }
}

static void
put_name (Writer      *w,
          const gchar *name)
{
  guint8 wire[NAV_DNS_MAX_NAME + 1];
  gssize len = name_to_wire (name, wire);
  gsize pos = 0;

  if (len < 0)
    {
      w->overflow = TRUE;   /* never written: the caller checked */
      return;
    }
  wire[len] = 0;
  while ((gssize) pos < len)
    {
      guint i;

      for (i = 0; i < w->offsets->len; i++)
        {
          gsize off = g_array_index (w->offsets, gsize, i);

          if (suffix_matches (w->out, off, wire + pos))
            {
              put_u16 (w, 0xc000 | (guint16) off);
              return;
            }
        }
      if (w->out->len < 0x3fff)
        {
          gsize off = w->out->len;

          g_array_append_val (w->offsets, off);
        }
      put_bytes (w, wire + pos, 1 + wire[pos]);
      pos += 1 + wire[pos];
    }
  put_bytes (w, "", 1);
}

static void
put_record (Writer             *w,
            const NavDnsRecord *rec)
{
  gsize rdlen_pos, start;
  guint i;

  put_name (w, rec->name);
  put_u16 (w, rec->type);
  put_u16 (w, rec->klass | (rec->cache_flush ? NAV_DNS_CLASS_TOP_BIT : 0));
  put_u32 (w, rec->ttl);
  rdlen_pos = w->out->len;
  put_u16 (w, 0);
  start = w->out->len;
  switch (rec->type)
    {
    case NAV_DNS_TYPE_A:
      put_bytes (w, rec->data.a, 4);
      break;
    case NAV_DNS_TYPE_AAAA:
      put_bytes (w, rec->data.aaaa, 16);
      break;
    case NAV_DNS_TYPE_PTR:
      put_name (w, rec->data.ptr);
      break;
    case NAV_DNS_TYPE_SRV:
      put_u16 (w, rec->data.srv.priority);
      put_u16 (w, rec->data.srv.weight);
      put_u16 (w, rec->data.srv.port);
      /* RFC 6762 §18.14 allows compressing the SRV target. */
      put_name (w, rec->data.srv.target);
      break;
    case NAV_DNS_TYPE_TXT:
      if (rec->data.txt == NULL || rec->data.txt->len == 0)
        put_bytes (w, "", 1);   /* RFC 6763 §6.1: one empty string */
      for (i = 0; rec->data.txt != NULL && i < rec->data.txt->len; i++)
        {
          gsize n;
          const guint8 *s = g_bytes_get_data (g_ptr_array_index (rec->data.txt, i), &n);
          guint8 n8 = (guint8) MIN (n, 255);

          put_bytes (w, &n8, 1);
          put_bytes (w, s, n8);
        }
      break;
    case NAV_DNS_TYPE_NSEC:
      {
        guint8 window[2] = { 0, 0 };
        gint last = -1, b;

        /* RFC 6762 §6.1: the next domain name is the record's own name,
         * not compressed (RFC 4034 §4.1.1). */
        {
          guint8 wire[NAV_DNS_MAX_NAME + 1];
          gssize n = name_to_wire (rec->data.nsec.next, wire);

          if (n < 0)
            {
              w->overflow = TRUE;
              return;
            }
          wire[n] = 0;
          put_bytes (w, wire, n + 1);
        }
        for (b = 31; b >= 0 && last < 0; b--)
          if (rec->data.nsec.bitmap[b] != 0)
            last = b;
        if (last >= 0)
          {
            window[1] = (guint8) (last + 1);
            put_bytes (w, window, 2);
            put_bytes (w, rec->data.nsec.bitmap, last + 1);
          }
        break;
      }
    default:
      if (rec->raw != NULL)
        put_bytes (w, g_bytes_get_data (rec->raw, NULL), g_bytes_get_size (rec->raw));
      break;
    }
  if (!w->overflow)
    {
      gsize rdlen = w->out->len - start;

      w->out->data[rdlen_pos] = rdlen >> 8;
      w->out->data[rdlen_pos + 1] = rdlen & 0xff;
    }
}

GBytes *
nav_dns_message_write (const NavDnsMessage *m,
                       gsize                max_len)
{
  Writer w = { g_byte_array_new (), MIN (max_len, NAV_DNS_MAX_MESSAGE), g_array_new (FALSE, FALSE, sizeof (gsize)), FALSE };
  GPtrArray *sections[3] = { m->answers, m->authority, m->additional };
  guint i, s;

  put_u16 (&w, m->id);
  put_u16 (&w, m->flags);
  put_u16 (&w, m->questions->len);
  put_u16 (&w, m->answers->len);
  put_u16 (&w, m->authority->len);
  put_u16 (&w, m->additional->len);
  for (i = 0; i < m->questions->len; i++)
    {
      const NavDnsQuestion *q = g_ptr_array_index (m->questions, i);

      put_name (&w, q->name);
      put_u16 (&w, q->type);
      put_u16 (&w, q->klass | (q->unicast ? NAV_DNS_CLASS_TOP_BIT : 0));
    }
  for (s = 0; s < 3; s++)
    for (i = 0; i < sections[s]->len; i++)
      put_record (&w, g_ptr_array_index (sections[s], i));
  g_array_unref (w.offsets);
  if (w.overflow)
    {
      g_byte_array_unref (w.out);
      return NULL;
    }
  return g_byte_array_free_to_bytes (w.out);
}

NavDnsQuestion *
nav_dns_message_add_question (NavDnsMessage *message,
                              const gchar   *name,
                              guint16        type,
                              gboolean       unicast)
{
  NavDnsQuestion *q = g_new0 (NavDnsQuestion, 1);

  q->name = g_strdup (name);
  q->type = type;
  q->klass = NAV_DNS_CLASS_IN;
  q->unicast = unicast;
  g_ptr_array_add (message->questions, q);
  return q;
}

NavDnsRecord *
nav_dns_message_add_record (NavDnsMessage *message,
                            NavDnsSection  section,
                            const gchar   *name,
                            guint16        type,
                            guint32        ttl,
                            gboolean       cache_flush)
{
  NavDnsRecord *r = nav_dns_record_new (name, type, ttl, cache_flush);

  switch (section)
    {
    case NAV_DNS_SECTION_ANSWER:
      g_ptr_array_add (message->answers, r);
      break;
    case NAV_DNS_SECTION_AUTHORITY:
      g_ptr_array_add (message->authority, r);
      break;
    default:
      g_ptr_array_add (message->additional, r);
      break;
    }
  return r;
}

/* ------------------------------------------------------------ records */

/* The RDATA as written without compression, for comparisons. */
GBytes *
nav_dns_record_get_rdata (const NavDnsRecord *rec)
{
  NavDnsMessage m = { 0, };
  g_autoptr (GPtrArray) answers = g_ptr_array_new ();
  g_autoptr (GPtrArray) empty = g_ptr_array_new ();
  NavDnsRecord copy = *rec;
  GBytes *bytes, *rdata;
  gsize len;
  const guint8 *data;

  /* One record named "." in a message of its own: the name is one byte
   * and nothing before it can be pointed to but the root. */
  copy.name = (gchar *) ".";
  g_ptr_array_add (answers, &copy);
  m.questions = m.authority = m.additional = empty;
  m.answers = answers;
  bytes = nav_dns_message_write (&m, NAV_DNS_MAX_MESSAGE);
  if (bytes == NULL)
    return g_bytes_new (NULL, 0);
  data = g_bytes_get_data (bytes, &len);
  /* header 12, name 1, type, class, ttl 8, rdlength 2 */
  rdata = g_bytes_new_from_bytes (bytes, 23, len - 23);
  g_bytes_unref (bytes);
  (void) data;
  return rdata;
}

gint
nav_dns_record_compare (const NavDnsRecord *a,
                        const NavDnsRecord *b)
{
  g_autoptr (GBytes) ra = NULL;
  g_autoptr (GBytes) rb = NULL;
  gsize la, lb;
  const guint8 *da, *db;
  gint c;

  if (a->klass != b->klass)
    return a->klass < b->klass ? -1 : 1;
  if (a->type != b->type)
    return a->type < b->type ? -1 : 1;
  ra = nav_dns_record_get_rdata (a);
  rb = nav_dns_record_get_rdata (b);
  da = g_bytes_get_data (ra, &la);
  db = g_bytes_get_data (rb, &lb);
  /* RFC 6762 §8.2: byte by byte; a prefix sorts first. */
  c = memcmp (da, db, MIN (la, lb));
  if (c != 0)
    return c < 0 ? -1 : 1;
  return la == lb ? 0 : (la < lb ? -1 : 1);
}

gboolean
nav_dns_record_equal_data (const NavDnsRecord *a,
                           const NavDnsRecord *b)
{
  if (a->type != b->type || a->klass != b->klass || !nav_dns_name_equal (a->name, b->name))
    return FALSE;
  switch (a->type)
    {
    case NAV_DNS_TYPE_A:
      return memcmp (a->data.a, b->data.a, 4) == 0;
    case NAV_DNS_TYPE_AAAA:
      return memcmp (a->data.aaaa, b->data.aaaa, 16) == 0;
    case NAV_DNS_TYPE_PTR:
      return nav_dns_name_equal (a->data.ptr, b->data.ptr);
    case NAV_DNS_TYPE_SRV:
      return a->data.srv.priority == b->data.srv.priority && a->data.srv.weight == b->data.srv.weight &&
             a->data.srv.port == b->data.srv.port && nav_dns_name_equal (a->data.srv.target, b->data.srv.target);
    default:
      return nav_dns_record_compare (a, b) == 0;
    }
}

void
nav_dns_record_add_txt (NavDnsRecord *record,
                        const gchar  *key,
                        const gchar  *value)
{
  g_autofree gchar *s = value != NULL ? g_strconcat (key, "=", value, NULL) : g_strdup (key);
  gsize len = MIN (strlen (s), 255);

  g_return_if_fail (record->type == NAV_DNS_TYPE_TXT);
  g_ptr_array_add (record->data.txt, g_bytes_new (s, len));
}

gchar *
nav_dns_record_get_txt (const NavDnsRecord *record,
                        const gchar        *key)
{
  gsize klen = strlen (key);
  guint i;

  if (record->type != NAV_DNS_TYPE_TXT || record->data.txt == NULL)
    return NULL;
  for (i = 0; i < record->data.txt->len; i++)
    {
      gsize n;
      const gchar *s = g_bytes_get_data (g_ptr_array_index (record->data.txt, i), &n);

      if (n < klen || g_ascii_strncasecmp (s, key, klen) != 0)
        continue;
      if (n == klen)
        return g_strdup ("");
      if (s[klen] == '=')
        return g_strndup (s + klen + 1, n - klen - 1);
    }
  return NULL;
}
