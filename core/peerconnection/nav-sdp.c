/* nav-sdp.c: SDP (RFC 8866) as JSEP (RFC 8829) uses it for a data
 * channel m-line (RFC 8841), parsed from and written to text
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The parser takes what browsers and other WebRTC stacks write (Chromium,
 * Firefox, aiortc, libdatachannel; tests/peerconnection/sdp has them):
 * LF or CRLF line ends, ICE and DTLS attributes at session or media
 * level, extra m-lines (audio, video) and attributes we do not use,
 * which are kept out of what we write back.  Everything is checked:
 * the text comes from the network.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-sdp-private.h"

NavSdp *
nav_sdp_new (void)
{
  NavSdp *sdp = g_new0 (NavSdp, 1);

  sdp->origin_username = g_strdup ("-");
  sdp->bundle = g_ptr_array_new_with_free_func (g_free);
  sdp->media = g_ptr_array_new ();
  return sdp;
}

static void
media_free (NavSdpMedia *m)
{
  g_free (m->media);
  g_free (m->proto);
  g_free (m->fmt);
  g_free (m->connection);
  g_free (m->mid);
  g_free (m->ice_ufrag);
  g_free (m->ice_pwd);
  g_ptr_array_unref (m->fingerprints);
  g_ptr_array_unref (m->candidates);
  g_free (m);
}

void
nav_sdp_free (NavSdp *sdp)
{
  if (sdp == NULL)
    return;
  g_free (sdp->origin_username);
  g_free (sdp->nat_type);
  g_ptr_array_unref (sdp->bundle);
  g_ptr_array_foreach (sdp->media, (GFunc) media_free, NULL);
  g_ptr_array_unref (sdp->media);
  g_free (sdp);
}

static NavSdpSctpForm
sctp_form (const gchar *proto,
           const gchar *fmt)
{
  if ((g_strcmp0 (proto, "UDP/DTLS/SCTP") == 0 || g_strcmp0 (proto, "TCP/DTLS/SCTP") == 0) &&
      g_strcmp0 (fmt, "webrtc-datachannel") == 0)
    return NAV_SDP_SCTP_WEBRTC;
  if (g_strcmp0 (proto, "DTLS/SCTP") == 0)
    return NAV_SDP_SCTP_LEGACY;
  return NAV_SDP_SCTP_NONE;
}

NavSdpMedia *
nav_sdp_media_new (const gchar *media,
                   guint        port,
                   const gchar *proto,
                   const gchar *fmt)
{
  NavSdpMedia *m = g_new0 (NavSdpMedia, 1);

  m->media = g_strdup (media);
  m->port = port;
  m->proto = g_strdup (proto);
  m->fmt = g_strdup (fmt);
  m->fingerprints = g_ptr_array_new_with_free_func (g_free);
  m->candidates = g_ptr_array_new_with_free_func (g_free);
  m->sctp = sctp_form (proto, fmt);
  if (m->sctp == NAV_SDP_SCTP_LEGACY)
    {
      guint64 port64;

      if (g_ascii_string_to_unsigned (fmt, 10, 1, 65535, &port64, NULL))
        m->sctp_port = port64;
    }
  return m;
}

NavSdpMedia *
nav_sdp_add_media (NavSdp      *sdp,
                   NavSdpMedia *media)
{
  g_ptr_array_add (sdp->media, media);
  return media;
}

const gchar *
nav_sdp_setup_to_string (NavSdpSetup setup)
{
  switch (setup)
    {
    case NAV_SDP_SETUP_ACTPASS:
      return "actpass";
    case NAV_SDP_SETUP_ACTIVE:
      return "active";
    case NAV_SDP_SETUP_PASSIVE:
      return "passive";
    case NAV_SDP_SETUP_HOLDCONN:
      return "holdconn";
    case NAV_SDP_SETUP_NONE:
    default:
      return NULL;
    }
}

/* RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/". */
gboolean
nav_sdp_ice_chars_valid (const gchar *s,
                         gsize        min,
                         gsize        max)
{
  gsize n, i;

  if (s == NULL)
    return FALSE;
  n = strlen (s);
  if (n < min || n > max)
    return FALSE;
  for (i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------ parsing */

typedef struct {
  NavSdp *sdp;
  NavSdpMedia *session;         /* the session-level attributes */
  NavSdpMedia *current;         /* the m-line being read, or session */
  guint line;
  gboolean seen_version;
  gboolean session_end_of_candidates;
} Parser;

static gboolean
fail (Parser       *p,
      GError      **error,
      const gchar  *why)
{
  g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
               _("Malformed SDP, line %u: %s"), p->line, why);
  return FALSE;
}

/* A token of printable ASCII, no space (RFC 8866 §9: token, and the
 * byte-strings we write back). */
static gboolean
is_token (const gchar *s,
          gsize        max)
{
  gsize n = 0;

  for (; *s != '\0'; s++, n++)
    if (*s <= ' ' || *s >= 0x7f || n >= max)
      return FALSE;
  return n > 0;
}

static void
set_string (gchar       **field,
            const gchar  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static gboolean
parse_attribute (Parser       *p,
                 gchar        *attr,
                 GError      **error)
{
  NavSdpMedia *m = p->current;
  gboolean session = m == p->session;
  gchar *value = strchr (attr, ':');
  const gchar *name = attr;

  if (value != NULL)
    *value++ = '\0';

  if (g_strcmp0 (name, "group") == 0 && value != NULL && g_str_has_prefix (value, "BUNDLE"))
    {
      g_auto (GStrv) mids = g_strsplit (value, " ", -1);
      guint i;

      if (!session)
        return fail (p, error, _("a=group in an m-line"));
      g_ptr_array_set_size (p->sdp->bundle, 0);
      for (i = 1; mids[i] != NULL; i++)
        if (mids[i][0] != '\0' && p->sdp->bundle->len < NAV_SDP_MAX_MEDIA)
          {
            if (!is_token (mids[i], 32))
              return fail (p, error, _("a bad mid in a=group:BUNDLE"));
            g_ptr_array_add (p->sdp->bundle, g_strdup (mids[i]));
          }
    }
  else if (g_strcmp0 (name, "ice-lite") == 0)
    p->sdp->ice_lite = TRUE;
  else if (g_strcmp0 (name, "x-nav-nat") == 0)
    {
      /* NetAvanue's NAT type (nav-agent-strategy.c): words of letters and
       * dashes, "MAPPING FILTERING" or a classification.  Session level
       * only; browsers ignore it as any unknown attribute (RFC 8866
       * §5.13). */
      gsize n = value != NULL ? strlen (value) : 0;

      if (n == 0 || n > NAV_SDP_MAX_NAT_TYPE || strspn (value, "abcdefghijklmnopqrstuvwxyz- ") != n)
        return fail (p, error, _("a bad a=x-nav-nat"));
      if (session)
        set_string (&p->sdp->nat_type, value);
    }
  else if (g_strcmp0 (name, "ice-ufrag") == 0)
    {
      if (!nav_sdp_ice_chars_valid (value, 4, 256))
        return fail (p, error, _("a bad a=ice-ufrag"));
      set_string (&m->ice_ufrag, value);
    }
  else if (g_strcmp0 (name, "ice-pwd") == 0)
    {
      if (!nav_sdp_ice_chars_valid (value, 22, 256))
        return fail (p, error, _("a bad a=ice-pwd"));
      set_string (&m->ice_pwd, value);
    }
  else if (g_strcmp0 (name, "ice-options") == 0)
    {
      /* Space-separated (RFC 8839 §5.6); libdatachannel writes
       * "ice2,trickle". */
      g_auto (GStrv) options = g_strsplit_set (value != NULL ? value : "", " ,", -1);

      m->ice_trickle = g_strv_contains ((const gchar * const *) options, "trickle");
    }
  else if (g_strcmp0 (name, "fingerprint") == 0)
    {
      if (value == NULL || !nav_certificate_fingerprint_is_valid (value))
        return fail (p, error, _("a bad a=fingerprint"));
      if (m->fingerprints->len < NAV_SDP_MAX_FINGERPRINTS)
        g_ptr_array_add (m->fingerprints, g_strdup (value));
    }
  else if (g_strcmp0 (name, "setup") == 0)
    {
      if (g_strcmp0 (value, "actpass") == 0)
        m->setup = NAV_SDP_SETUP_ACTPASS;
      else if (g_strcmp0 (value, "active") == 0)
        m->setup = NAV_SDP_SETUP_ACTIVE;
      else if (g_strcmp0 (value, "passive") == 0)
        m->setup = NAV_SDP_SETUP_PASSIVE;
      else if (g_strcmp0 (value, "holdconn") == 0)
        m->setup = NAV_SDP_SETUP_HOLDCONN;
      else
        return fail (p, error, _("a bad a=setup"));
    }
  else if (g_strcmp0 (name, "end-of-candidates") == 0)
    {
      if (session)
        p->session_end_of_candidates = TRUE;
      else
        m->end_of_candidates = TRUE;
    }
  else if (session)
    {
      /* Nothing else we use is a session attribute. */
    }
  else if (g_strcmp0 (name, "mid") == 0)
    {
      if (value == NULL || !is_token (value, 32))
        return fail (p, error, _("a bad a=mid"));
      set_string (&m->mid, value);
    }
  else if (g_strcmp0 (name, "sctp-port") == 0)
    {
      guint64 port;

      if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 1, 65535, &port, NULL))
        return fail (p, error, _("a bad a=sctp-port"));
      m->sctp_port = port;
    }
  else if (g_strcmp0 (name, "sctpmap") == 0)
    {
      guint64 port;
      g_auto (GStrv) parts = g_strsplit (value != NULL ? value : "", " ", 3);

      /* "5000 webrtc-datachannel 65535" (the draft before RFC 8841). */
      if (parts[0] == NULL || !g_ascii_string_to_unsigned (parts[0], 10, 1, 65535, &port, NULL))
        return fail (p, error, _("a bad a=sctpmap"));
      m->sctp_port = port;
    }
  else if (g_strcmp0 (name, "max-message-size") == 0)
    {
      guint64 size;

      /* RFC 8841 §6: 0 means "no limit"; huge values are capped. */
      if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &size, NULL))
        return fail (p, error, _("a bad a=max-message-size"));
      m->max_message_size = size;
    }
  else if (g_strcmp0 (name, "candidate") == 0)
    {
      if (value == NULL || value[0] == '\0')
        return fail (p, error, _("an empty a=candidate"));
      /* Checked when applied: a candidate the agent cannot use (an
       * mDNS name, an unknown transport) is skipped, not fatal. */
      if (m->candidates->len < NAV_SDP_MAX_CANDIDATES)
        g_ptr_array_add (m->candidates, g_strconcat ("candidate:", value, NULL));
    }
  else if (g_strcmp0 (name, "bundle-only") == 0)
    m->bundle_only = TRUE;
  /* Everything else (rtpmap, msid, extmap, sendrecv, …) is ignored. */
  return TRUE;
}

static gboolean
parse_media (Parser       *p,
             const gchar  *value,
             GError      **error)
{
  g_auto (GStrv) tokens = g_strsplit (value, " ", 4);
  g_autofree gchar *port_text = NULL;
  gchar *slash;
  guint64 port;
  guint i;

  for (i = 0; i < 3; i++)
    if (tokens[i] == NULL || !is_token (tokens[i], 64))
      return fail (p, error, _("a bad m= line"));
  port_text = g_strdup (tokens[1]);
  /* "port/number of ports" (RFC 8866 §5.14). */
  slash = strchr (port_text, '/');
  if (slash != NULL)
    *slash = '\0';
  if (!g_ascii_string_to_unsigned (port_text, 10, 0, 65535, &port, NULL))
    return fail (p, error, _("a bad port in an m= line"));
  if (tokens[3] == NULL || tokens[3][0] == '\0' || strlen (tokens[3]) > 1024)
    return fail (p, error, _("an m= line without formats"));
  if (p->sdp->media->len >= NAV_SDP_MAX_MEDIA)
    return fail (p, error, _("too many m= lines"));
  p->current = nav_sdp_add_media (p->sdp, nav_sdp_media_new (tokens[0], port, tokens[2],
                                                             tokens[3]));
  return TRUE;
}

static gboolean
parse_origin (Parser       *p,
              const gchar  *value,
              GError      **error)
{
  g_auto (GStrv) tokens = g_strsplit (value, " ", -1);

  if (g_strv_length (tokens) != 6 || !is_token (tokens[0], 256))
    return fail (p, error, _("a bad o= line"));
  set_string (&p->sdp->origin_username, tokens[0]);
  /* Numbers in practice (RFC 8866 §5.2 allows any digits: bigger ones
   * are kept as 0). */
  if (!g_ascii_string_to_unsigned (tokens[1], 10, 0, G_MAXUINT64, &p->sdp->session_id, NULL))
    p->sdp->session_id = 0;
  if (!g_ascii_string_to_unsigned (tokens[2], 10, 0, G_MAXUINT64, &p->sdp->session_version, NULL))
    p->sdp->session_version = 0;
  return TRUE;
}

static gboolean
parse_line (Parser       *p,
            gchar        *line,
            GError      **error)
{
  gchar type = line[0];
  gchar *value = line + 2;

  if (!p->seen_version)
    {
      if (strcmp (line, "v=0") != 0)
        return fail (p, error, _("the first line is not v=0"));
      p->seen_version = TRUE;
      return TRUE;
    }
  switch (type)
    {
    case 'o':
      return p->current == p->session ? parse_origin (p, value, error) : TRUE;
    case 'm':
      return parse_media (p, value, error);
    case 'c':
      if (p->current != p->session)
        {
          g_auto (GStrv) tokens = g_strsplit (value, " ", -1);

          if (g_strv_length (tokens) < 3 || !is_token (tokens[2], 64))
            return fail (p, error, _("a bad c= line"));
          set_string (&p->current->connection, tokens[2]);
        }
      return TRUE;
    case 'a':
      return parse_attribute (p, value, error);
    default:
      /* s=, t=, b=, i=, … */
      return TRUE;
    }
}

static void
inherit (NavSdpMedia *m,
         NavSdpMedia *session)
{
  guint i;

  if (m->ice_ufrag == NULL)
    m->ice_ufrag = g_strdup (session->ice_ufrag);
  if (m->ice_pwd == NULL)
    m->ice_pwd = g_strdup (session->ice_pwd);
  m->ice_trickle = m->ice_trickle || session->ice_trickle;
  if (m->fingerprints->len == 0)
    for (i = 0; i < session->fingerprints->len; i++)
      g_ptr_array_add (m->fingerprints, g_strdup (g_ptr_array_index (session->fingerprints, i)));
  if (m->setup == NAV_SDP_SETUP_NONE)
    m->setup = session->setup;
}

NavSdp *
nav_sdp_parse (const gchar  *text,
               gsize         length,
               GError      **error)
{
  g_autoptr (NavSdp) sdp = NULL;
  g_autofree gchar *copy = NULL;
  Parser p = { 0 };
  gchar *line, *next;
  gboolean ok = TRUE;
  guint i;

  if (length > NAV_SDP_MAX_LENGTH)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   /* %lu, not G_GSIZE_FORMAT: xgettext cuts a message there */
                   _("The SDP is too long (%lu bytes)"), (unsigned long) length);
      return NULL;
    }
  if (text == NULL || length == 0)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT, _("The SDP is empty"));
      return NULL;
    }
  if (memchr (text, '\0', length) != NULL)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("The SDP holds a NUL byte"));
      return NULL;
    }
  copy = g_strndup (text, length);
  sdp = nav_sdp_new ();
  p.sdp = sdp;
  p.session = nav_sdp_media_new ("", 0, "", "");
  p.current = p.session;

  for (line = copy; ok && line != NULL && *line != '\0'; line = next)
    {
      gsize len;

      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      len = strlen (line);
      if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
      p.line++;
      if (len == 0)
        continue;
      /* RFC 8866 §5: type=value, one lower-case letter, no control
       * characters. */
      if (len < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z')
        {
          ok = fail (&p, error, _("not a type=value line"));
          break;
        }
      for (i = 0; i < len; i++)
        if ((guchar) line[i] < 0x20 && line[i] != '\t')
          {
            ok = fail (&p, error, _("a control character"));
            break;
          }
      if (ok)
        ok = parse_line (&p, line, error);
    }
  if (ok && !p.seen_version)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT, _("The SDP is empty"));
      ok = FALSE;
    }
  if (ok)
    for (i = 0; i < sdp->media->len; i++)
      {
        NavSdpMedia *m = g_ptr_array_index (sdp->media, i);

        inherit (m, p.session);
        m->end_of_candidates = m->end_of_candidates || p.session_end_of_candidates;
      }
  media_free (p.session);
  return ok ? g_steal_pointer (&sdp) : NULL;
}

NavSdpMedia *
nav_sdp_find_data_media (const NavSdp *sdp,
                         guint        *index)
{
  guint i;

  for (i = 0; i < sdp->media->len; i++)
    {
      NavSdpMedia *m = g_ptr_array_index (sdp->media, i);

      if (g_strcmp0 (m->media, "application") == 0 && m->sctp != NAV_SDP_SCTP_NONE &&
          (m->port != 0 || m->bundle_only))
        {
          if (index != NULL)
            *index = i;
          return m;
        }
    }
  return NULL;
}

gboolean
nav_sdp_is_bundled (const NavSdp *sdp,
                    const gchar  *mid)
{
  guint i;

  for (i = 0; mid != NULL && i < sdp->bundle->len; i++)
    if (g_strcmp0 (g_ptr_array_index (sdp->bundle, i), mid) == 0)
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------ writing */

static void
append_media (GString           *out,
              const NavSdpMedia *m)
{
  const gchar *address = m->connection != NULL ? m->connection : "0.0.0.0";
  const gchar *setup = nav_sdp_setup_to_string (m->setup);
  guint i;

  g_string_append_printf (out, "m=%s %u %s %s\r\n", m->media, m->port, m->proto, m->fmt);
  g_string_append_printf (out, "c=IN %s %s\r\n", strchr (address, ':') != NULL ? "IP6" : "IP4",
                          address);
  if (m->bundle_only)
    g_string_append (out, "a=bundle-only\r\n");
  if (m->mid != NULL)
    g_string_append_printf (out, "a=mid:%s\r\n", m->mid);
  if (m->port == 0 && !m->bundle_only)
    /* Rejected (RFC 8829 §5.3.1): nothing more. */
    return;
  if (m->ice_ufrag != NULL)
    g_string_append_printf (out, "a=ice-ufrag:%s\r\n", m->ice_ufrag);
  if (m->ice_pwd != NULL)
    g_string_append_printf (out, "a=ice-pwd:%s\r\n", m->ice_pwd);
  if (m->ice_trickle)
    g_string_append (out, "a=ice-options:trickle\r\n");
  for (i = 0; i < m->fingerprints->len; i++)
    g_string_append_printf (out, "a=fingerprint:%s\r\n",
                            (const gchar *) g_ptr_array_index (m->fingerprints, i));
  if (setup != NULL)
    g_string_append_printf (out, "a=setup:%s\r\n", setup);
  if (m->sctp == NAV_SDP_SCTP_WEBRTC && m->sctp_port != 0)
    g_string_append_printf (out, "a=sctp-port:%u\r\n", m->sctp_port);
  else if (m->sctp == NAV_SDP_SCTP_LEGACY && m->sctp_port != 0)
    /* RFC 8841's predecessor: the stream count is the most SCTP
     * allows. */
    g_string_append_printf (out, "a=sctpmap:%u webrtc-datachannel 65535\r\n", m->sctp_port);
  if (m->sctp != NAV_SDP_SCTP_NONE && m->max_message_size != 0)
    g_string_append_printf (out, "a=max-message-size:%" G_GUINT64_FORMAT "\r\n",
                            m->max_message_size);
  for (i = 0; i < m->candidates->len; i++)
    g_string_append_printf (out, "a=%s\r\n", (const gchar *) g_ptr_array_index (m->candidates, i));
  if (m->end_of_candidates)
    g_string_append (out, "a=end-of-candidates\r\n");
}

gchar *
nav_sdp_to_string (const NavSdp *sdp)
{
  GString *out = g_string_new ("v=0\r\n");
  guint i;

  /* RFC 8829 §5.2.1: o=- <random id> <version> IN IP4 127.0.0.1. */
  g_string_append_printf (out, "o=%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                          " IN IP4 127.0.0.1\r\n", sdp->origin_username, sdp->session_id,
                          sdp->session_version);
  g_string_append (out, "s=-\r\nt=0 0\r\n");
  if (sdp->ice_lite)
    g_string_append (out, "a=ice-lite\r\n");
  if (sdp->nat_type != NULL)
    g_string_append_printf (out, "a=x-nav-nat:%s\r\n", sdp->nat_type);
  if (sdp->bundle->len > 0)
    {
      g_string_append (out, "a=group:BUNDLE");
      for (i = 0; i < sdp->bundle->len; i++)
        g_string_append_printf (out, " %s", (const gchar *) g_ptr_array_index (sdp->bundle, i));
      g_string_append (out, "\r\n");
    }
  for (i = 0; i < sdp->media->len; i++)
    append_media (out, g_ptr_array_index (sdp->media, i));
  return g_string_free (out, FALSE);
}
