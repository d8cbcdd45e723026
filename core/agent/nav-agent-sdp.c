/* nav-agent-sdp.c: NavAgent's SDP, in libnice's text
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nav-agent-private.h"
#include "nav-agent-sdp-private.h"
#include "nav-agent-strategy-private.h"
#include "../discovery/nav-mdns-local-private.h"

/* ------------------------------------------------------------------- SDP */

static const gchar *
sdp_type (NavCandidateType type)
{
  switch (type)
    {
    case NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return "srflx";
    case NAV_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return "prflx";
    case NAV_CANDIDATE_TYPE_RELAYED:
      return "relay";
    case NAV_CANDIDATE_TYPE_HOST:
    default:
      return "host";
    }
}

/* RFC 8839 §5.1, in libnice's spelling: "a=candidate:" foundation,
 * component, "UDP"/"TCP", priority, address, port, "typ" type, then raddr
 * and rport for reflexive and relayed candidates, tcptype for TCP. */
static void
append_candidate (GString            *sdp,
                  const NavCandidate *c,
                  gboolean            hide_related)
{
  g_autofree gchar *ip = nav_address_ip_to_string (&c->addr);

  g_string_append_printf (sdp, "a=candidate:%s %u %s %u %s %u typ %s",
                          c->foundation, c->component_id,
                          c->transport == NAV_CANDIDATE_TRANSPORT_UDP ? "UDP" : "TCP",
                          c->priority, ip, nav_address_get_port (&c->addr),
                          sdp_type (c->type));
  /* The privacy mode (force-relay): a relayed candidate's related
   * address is our public address; written as the unspecified one, as
   * browsers do with the relay policy (RFC 8839 §5.1 requires the field). */
  if (c->type != NAV_CANDIDATE_TYPE_HOST && nav_address_is_valid (&c->related_addr) && hide_related)
    g_string_append (sdp, nav_address_get_family (&c->related_addr) == G_SOCKET_FAMILY_IPV6
                          ? " raddr :: rport 0" : " raddr 0.0.0.0 rport 0");
  else if (c->type != NAV_CANDIDATE_TYPE_HOST && nav_address_is_valid (&c->related_addr))
    {
      g_autofree gchar *raddr = nav_address_ip_to_string (&c->related_addr);

      g_string_append_printf (sdp, " raddr %s rport %u", raddr,
                              nav_address_get_port (&c->related_addr));
    }
  switch (c->transport)
    {
    case NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE:
      g_string_append (sdp, " tcptype active");
      break;
    case NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE:
      g_string_append (sdp, " tcptype passive");
      break;
    case NAV_CANDIDATE_TRANSPORT_TCP_SO:
      g_string_append (sdp, " tcptype so");
      break;
    case NAV_CANDIDATE_TRANSPORT_UDP:
    default:
      break;
    }
}

static gboolean
offered (NavAgent           *agent,
         const NavCandidate *c)
{
  if (c->type == NAV_CANDIDATE_TYPE_PEER_REFLEXIVE)
    return FALSE;
  return !agent->force_relay || c->type == NAV_CANDIDATE_TYPE_RELAYED;
}

/* The default candidate (RFC 8839 §4.2: the one most likely to work for
 * a peer that does not speak ICE), chosen as libnice chooses it, so that
 * the m= and c= lines are libnice's: for the first component the IPv4
 * candidate of lowest priority (relayed before reflexive before host;
 * TCP below UDP of its type), for the others the first IPv4 candidate of
 * the same foundation as the first component's.  Only candidates the SDP
 * offers count (relayed ones with force-relay).  Called with the lock
 * held. */
const NavCandidate *
nav_agent_default_candidate (NavAgent       *agent,
                   AgentComponent *component)
{
  AgentStream *stream = component->stream;
  const NavCandidate *rtp = NULL, *best = NULL;
  guint i;

  if (component->id != 1)
    {
      rtp = nav_agent_default_candidate (agent, &stream->components[0]);
      if (rtp == NULL)
        return NULL;
    }
  for (i = 0; i < component->local->len; i++)
    {
      const NavCandidate *c = g_ptr_array_index (component->local, i);

      if (nav_address_ip_version (&c->addr) != 4 || !offered (agent, c))
        continue;
      if (rtp != NULL)
        {
          if (g_str_equal (c->foundation, rtp->foundation))
            return c;
        }
      else if (best == NULL || c->priority < best->priority)
        best = c;
    }
  return best;
}

/* Called with the lock held. */
static void
append_stream_sdp (NavAgent    *agent,
                   GString     *sdp,
                   AgentStream *stream,
                   gboolean     include_non_ice)
{
  guint i, j;

  if (include_non_ice)
    {
      const NavCandidate *rtp = nav_agent_default_candidate (agent, &stream->components[0]);
      const NavCandidate *rtcp = stream->n_components > 1
                                 ? nav_agent_default_candidate (agent, &stream->components[1]) : NULL;
      g_autofree gchar *ip = rtp != NULL ? nav_address_ip_to_string (&rtp->addr)
                                         : g_strdup ("0.0.0.0");

      g_string_append_printf (sdp, "m=%s %u ICE/SDP\n",
                              stream->name != NULL ? stream->name : "-",
                              rtp != NULL ? nav_address_get_port (&rtp->addr) : 0);
      g_string_append_printf (sdp, "c=IN %s %s\n",
                              rtp != NULL && nav_address_ip_version (&rtp->addr) == 6
                              ? "IP6" : "IP4", ip);
      if (rtcp != NULL)
        g_string_append_printf (sdp, "a=rtcp:%u\n", nav_address_get_port (&rtcp->addr));
    }
  g_string_append_printf (sdp, "a=ice-ufrag:%s\n", stream->local_ufrag);
  g_string_append_printf (sdp, "a=ice-pwd:%s\n", stream->local_pwd);
  for (i = 0; i < stream->n_components; i++)
    {
      AgentComponent *component = &stream->components[i];

      for (j = 0; j < component->local->len; j++)
        {
          const NavCandidate *c = g_ptr_array_index (component->local, j);

          if (!offered (agent, c))
            continue;
          append_candidate (sdp, c, agent->force_relay);
          g_string_append_c (sdp, '\n');
        }
    }
  /* RFC 8840 §4.1.3 (and RFC 8838 §13): a trickling agent says when it
   * has no more candidates.  libnice 0.1.21 never writes the line (its
   * parser ignores it); only trickle agents do here, so the SDP of a
   * non-trickle agent stays libnice's text. */
  if (agent->ice_trickle && stream->gathering_done)
    g_string_append (sdp, "a=end-of-candidates\n");
}

static gint
compare_ids (gconstpointer a,
             gconstpointer b)
{
  guint ia = GPOINTER_TO_UINT (a), ib = GPOINTER_TO_UINT (b);

  return ia < ib ? -1 : ia > ib;
}

static GList *
sorted_stream_ids (NavAgent *agent)
{
  return g_list_sort (g_hash_table_get_keys (agent->streams), compare_ids);
}

/**
 * nav_agent_generate_local_sdp:
 * @agent: an agent
 *
 * Writes the SDP of every stream, in libnice's format
 * (`nice_agent_generate_local_sdp()`): per stream an `m=` line with the
 * stream's name (or `-`) and the default candidate's port
 * ([method@Nav.Agent.get_default_local_candidate]), a `c=` line, an
 * `a=rtcp:` line with two components or more, `a=ice-ufrag:`,
 * `a=ice-pwd:` and one `a=candidate:` line per local candidate.
 *
 * Beyond libnice (whose parser ignores these lines): a lite agent
 * ([property@Nav.Agent:full-mode] %FALSE) starts with `a=ice-lite`
 * (RFC 8839 §5.3), and with [property@Nav.Agent:ice-trickle] a stream
 * whose gathering is done ends with `a=end-of-candidates` (RFC 8840
 * §4.1.3).  [method@Nav.Agent.parse_remote_sdp] reads both: a full agent
 * takes the controlling role against a lite peer (RFC 8445 §6.1.1), and
 * end-of-candidates calls [method@Nav.Agent.peer_candidate_gathering_done].
 *
 * Returns: (transfer full): the SDP text
 *
 * Since: 1.0
 */
gchar *
nav_agent_generate_local_sdp (NavAgent *agent)
{
  GString *sdp = g_string_new (NULL);
  GList *ids, *l;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);

  nav_agent_lock (agent);
  /* RFC 8839 §5.3: a session-level line (libnice writes none). */
  if (!agent->full_mode)
    g_string_append (sdp, "a=ice-lite\n");
  nav_agent_strategy_append_sdp (agent, sdp);
  ids = sorted_stream_ids (agent);
  for (l = ids; l != NULL; l = l->next)
    append_stream_sdp (agent, sdp, nav_agent_lookup_stream (agent, GPOINTER_TO_UINT (l->data)), TRUE);
  g_list_free (ids);
  nav_agent_unlock_and_emit (agent);
  return g_string_free (sdp, FALSE);
}

/**
 * nav_agent_generate_local_stream_sdp:
 * @agent: an agent
 * @stream_id: a stream
 * @include_non_ice: whether to write the `m=`, `c=` and `a=rtcp:` lines
 *
 * Writes the SDP of one stream, as `nice_agent_generate_local_stream_sdp()`.
 *
 * Returns: (transfer full) (nullable): the SDP text, or %NULL when the
 *   stream does not exist
 *
 * Since: 1.0
 */
gchar *
nav_agent_generate_local_stream_sdp (NavAgent *agent,
                                     guint     stream_id,
                                     gboolean  include_non_ice)
{
  AgentStream *stream;
  GString *sdp;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);

  nav_agent_lock (agent);
  stream = nav_agent_lookup_stream (agent, stream_id);
  if (stream == NULL)
    {
      nav_agent_unlock_and_emit (agent);
      return NULL;
    }
  sdp = g_string_new (NULL);
  append_stream_sdp (agent, sdp, stream, include_non_ice);
  nav_agent_unlock_and_emit (agent);
  return g_string_free (sdp, FALSE);
}

/**
 * nav_agent_generate_local_candidate_sdp:
 * @agent: an agent
 * @candidate: a candidate
 *
 * Writes one `a=candidate:` line (without line end), as
 * `nice_agent_generate_local_candidate_sdp()`.
 *
 * Returns: (transfer full): the line
 *
 * Since: 1.0
 */
gchar *
nav_agent_generate_local_candidate_sdp (NavAgent     *agent,
                                        NavCandidate *candidate)
{
  GString *sdp;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (candidate != NULL, NULL);

  sdp = g_string_new (NULL);
  append_candidate (sdp, candidate, agent->force_relay);
  return g_string_free (sdp, FALSE);
}

static gboolean
parse_uint (const gchar *s,
            guint64      max,
            guint64     *out)
{
  return g_ascii_string_to_unsigned (s, 10, 0, max, out, NULL);
}

static gboolean
is_ice_chars (const gchar *s,
              gsize        min,
              gsize        max)
{
  gsize n = strlen (s), i;

  if (n < min || n > max)
    return FALSE;
  for (i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return FALSE;
  return TRUE;
}

/* Parses one candidate attribute; @line may start with "a=candidate:" or
 * "candidate:".  Untrusted input: everything is checked.  On %NULL, @why
 * (nullable) is what was wrong, untranslated (N_()). */
#define REFUSE(reason) G_STMT_START { if (why != NULL) *why = (reason); return NULL; } G_STMT_END

static NavCandidate *
parse_candidate (const gchar  *line,
                 guint         stream_id,
                 const gchar **why)
{
  g_auto (GStrv) tokens = NULL;
  g_autoptr (NavCandidate) c = NULL;
  const gchar *foundation;
  guint64 component, priority, port;
  guint n, i;

  if (g_str_has_prefix (line, "a="))
    line += 2;
  if (!g_str_has_prefix (line, "candidate:"))
    REFUSE (N_("not a candidate attribute"));
  line += strlen ("candidate:");
  tokens = g_strsplit_set (line, " \r\n", -1);
  /* Drop empty tokens of repeated spaces. */
  for (i = 0, n = 0; tokens[i] != NULL; i++)
    {
      if (tokens[i][0] == '\0')
        {
          g_free (tokens[i]);
          continue;
        }
      tokens[n++] = tokens[i];
    }
  tokens[n] = NULL;
  if (n < 8 || g_strcmp0 (tokens[6], "typ") != 0)
    REFUSE (N_("fewer than eight fields, or no “typ”"));

  foundation = tokens[0];
  if (!is_ice_chars (foundation, 1, NAV_CANDIDATE_MAX_FOUNDATION - 1))
    REFUSE (N_("invalid foundation"));
  if (!parse_uint (tokens[1], 256, &component) || component == 0)
    REFUSE (N_("invalid component id"));
  if (!parse_uint (tokens[3], G_MAXUINT32, &priority))
    REFUSE (N_("invalid priority"));
  if (!parse_uint (tokens[5], 65535, &port))
    REFUSE (N_("invalid port"));

  if (g_ascii_strcasecmp (tokens[7], "host") == 0)
    c = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);
  else if (g_ascii_strcasecmp (tokens[7], "srflx") == 0)
    c = nav_candidate_new (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
  else if (g_ascii_strcasecmp (tokens[7], "prflx") == 0)
    c = nav_candidate_new (NAV_CANDIDATE_TYPE_PEER_REFLEXIVE);
  else if (g_ascii_strcasecmp (tokens[7], "relay") == 0)
    c = nav_candidate_new (NAV_CANDIDATE_TYPE_RELAYED);
  else
    REFUSE (N_("unknown candidate type"));

  if (g_ascii_strcasecmp (tokens[2], "UDP") == 0)
    c->transport = NAV_CANDIDATE_TRANSPORT_UDP;
  else if (g_ascii_strcasecmp (tokens[2], "TCP") == 0)
    c->transport = NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE;
  else
    REFUSE (N_("unknown transport"));

  if (!nav_address_set_ip_from_string (&c->addr, tokens[4], NULL))
    REFUSE (N_("invalid connection address"));
  nav_address_set_port (&c->addr, port);
  c->base_addr = c->addr;
  c->priority = priority;
  c->stream_id = stream_id;
  c->component_id = component;
  nav_candidate_set_foundation (c, foundation);

  /* Extensions come in name/value pairs (RFC 8839 §5.1); unknown ones
   * (generation, network-id, …) are skipped. */
  for (i = 8; i + 1 < n; i += 2)
    {
      const gchar *name = tokens[i], *value = tokens[i + 1];

      if (g_strcmp0 (name, "raddr") == 0)
        {
          guint rport = nav_address_get_port (&c->related_addr);

          if (!nav_address_set_ip_from_string (&c->related_addr, value, NULL))
            REFUSE (N_("invalid raddr"));
          nav_address_set_port (&c->related_addr, rport);
        }
      else if (g_strcmp0 (name, "rport") == 0)
        {
          guint64 rport;

          if (!parse_uint (value, 65535, &rport))
            REFUSE (N_("invalid rport"));
          if (nav_address_is_valid (&c->related_addr))
            nav_address_set_port (&c->related_addr, rport);
        }
      else if (g_strcmp0 (name, "tcptype") == 0)
        {
          if (c->transport == NAV_CANDIDATE_TRANSPORT_UDP)
            REFUSE (N_("tcptype on a UDP candidate"));
          if (g_strcmp0 (value, "active") == 0)
            c->transport = NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE;
          else if (g_strcmp0 (value, "passive") == 0)
            c->transport = NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE;
          else if (g_strcmp0 (value, "so") == 0)
            c->transport = NAV_CANDIDATE_TRANSPORT_TCP_SO;
          else
            REFUSE (N_("unknown tcptype"));
        }
    }
  return g_steal_pointer (&c);
}
#undef REFUSE

/**
 * nav_agent_parse_remote_candidate_sdp:
 * @agent: an agent
 * @stream_id: the stream the candidate is for
 * @sdp: one `a=candidate:` line
 *
 * Parses one candidate line, as `nice_agent_parse_remote_candidate_sdp()`.
 *
 * Returns: (transfer full) (nullable): the candidate, or %NULL when the
 *   line is not a valid candidate
 *
 * Since: 1.0
 */
NavCandidate *
nav_agent_parse_remote_candidate_sdp (NavAgent    *agent,
                                      guint        stream_id,
                                      const gchar *sdp)
{
  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (sdp != NULL, NULL);

  /* A `.local` name (RFC 8828 §5.1): resolved by mDNS, then added to the
   * stream by the resolver. */
  if (nav_mdns_candidate_resolve (agent, stream_id, sdp))
    return NULL;
  return parse_candidate (sdp, stream_id, NULL);
}

/**
 * nav_agent_parse_remote_stream_sdp:
 * @agent: an agent
 * @stream_id: a stream
 * @sdp: the SDP of one stream
 * @ufrag: (out) (optional) (nullable) (transfer full): the `a=ice-ufrag:`
 * @pwd: (out) (optional) (nullable) (transfer full): the `a=ice-pwd:`
 *
 * Parses the SDP of one stream without applying it, as
 * `nice_agent_parse_remote_stream_sdp()`.
 *
 * Returns: (element-type NavCandidate) (transfer full) (nullable): the
 *   candidates, or %NULL on a malformed candidate line
 *
 * Since: 1.0
 */
GSList *
nav_agent_parse_remote_stream_sdp (NavAgent     *agent,
                                   guint         stream_id,
                                   const gchar  *sdp,
                                   gchar       **ufrag,
                                   gchar       **pwd)
{
  g_auto (GStrv) lines = NULL;
  GSList *candidates = NULL;
  guint i;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (sdp != NULL, NULL);

  if (ufrag != NULL)
    *ufrag = NULL;
  if (pwd != NULL)
    *pwd = NULL;
  lines = g_strsplit (sdp, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    {
      gchar *line = g_strchomp (lines[i]);

      if (g_str_has_prefix (line, "a=ice-ufrag:") && ufrag != NULL)
        {
          g_free (*ufrag);
          *ufrag = g_strdup (line + strlen ("a=ice-ufrag:"));
        }
      else if (g_str_has_prefix (line, "a=ice-pwd:") && pwd != NULL)
        {
          g_free (*pwd);
          *pwd = g_strdup (line + strlen ("a=ice-pwd:"));
        }
      else if (g_str_has_prefix (line, "a=candidate:"))
        {
          NavCandidate *c = parse_candidate (line, stream_id, NULL);

          if (c == NULL)
            {
              g_slist_free_full (candidates, (GDestroyNotify) nav_candidate_free);
              return NULL;
            }
          candidates = g_slist_append (candidates, c);
        }
    }
  return candidates;
}

/**
 * nav_agent_parse_remote_sdp:
 * @agent: an agent
 * @sdp: the peer's SDP, as [method@Nav.Agent.generate_local_sdp] writes it
 *
 * Applies the peer's SDP, as `nice_agent_parse_remote_sdp()`: the `m=`
 * sections go to the agent's streams in order, each section's credentials
 * and candidates to its stream.  [method@Nav.Agent.parse_remote_sdp_full]
 * says which line was wrong.
 *
 * Returns: the number of candidates added, or -1 when the SDP has more
 *   streams than the agent or a malformed candidate line
 *
 * Since: 1.0
 */
int
nav_agent_parse_remote_sdp (NavAgent    *agent,
                            const gchar *sdp)
{
  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);
  g_return_val_if_fail (sdp != NULL, -1);

  return nav_agent_parse_remote_sdp_full (agent, sdp, NULL);
}

/* The offending line, for the message: at most 100 characters, as the
 * peer's bytes may be anything. */
static gchar *
quote_line (const gchar *line)
{
  g_autofree gchar *valid = g_utf8_make_valid (line, -1);
  g_autofree gchar *head = NULL;

  if (g_utf8_strlen (valid, -1) <= 100)
    return g_steal_pointer (&valid);
  head = g_utf8_substring (valid, 0, 100);
  return g_strconcat (head, "…", NULL);
}

/**
 * nav_agent_parse_remote_sdp_full:
 * @agent: an agent
 * @sdp: the peer's SDP, as [method@Nav.Agent.generate_local_sdp] writes it
 * @error: return location for a #GError
 *
 * [method@Nav.Agent.parse_remote_sdp] with an error that says which line
 * was wrong and why (`NAV_ERROR_INVALID_ARGUMENT`): "Line 7 of the remote
 * SDP: invalid port: a=candidate:…", for an application to show or log.
 * Nothing is applied when it fails.
 *
 * Returns: the number of candidates added, or -1 with @error set
 *
 * Since: 1.0
 */
int
nav_agent_parse_remote_sdp_full (NavAgent     *agent,
                                 const gchar  *sdp,
                                 GError      **error)
{
  typedef struct {
    guint stream_id;
    gchar *ufrag;
    gchar *pwd;
    GSList *candidates;
    gboolean end_of_candidates;
  } Section;
  gboolean remote_lite = FALSE, session_end_of_candidates = FALSE;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GArray) sections = g_array_new (FALSE, TRUE, sizeof (Section));
  GList *ids, *next;
  Section *current = NULL;
  int added = 0, ret;
  guint i;

  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);
  g_return_val_if_fail (sdp != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  nav_agent_lock (agent);
  ids = sorted_stream_ids (agent);
  nav_agent_unlock_and_emit (agent);

  ret = 0;
  next = ids;
  lines = g_strsplit (sdp, "\n", -1);
  for (i = 0; lines[i] != NULL && ret == 0; i++)
    {
      gchar *line = g_strchomp (lines[i]);

      if (g_str_has_prefix (line, "m="))
        {
          Section section = { 0, };

          if (next == NULL)
            {
              g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("Line %u of the remote SDP: a media section (m=) beyond the "
                             "agent's %u stream(s)"),
                           i + 1, g_list_length (ids));
              ret = -1;
              break;
            }
          section.stream_id = GPOINTER_TO_UINT (next->data);
          next = next->next;
          g_array_append_val (sections, section);
          current = &g_array_index (sections, Section, sections->len - 1);
        }
      /* Before the candidates are added: the plan sorts them. */
      else if (g_str_has_prefix (line, NAV_STRATEGY_SDP_ATTRIBUTE))
        nav_agent_strategy_set_remote_nat (agent, line + strlen (NAV_STRATEGY_SDP_ATTRIBUTE));
      /* RFC 8839 §5.3: session level, though a media-level one is taken too. */
      else if (g_str_equal (line, "a=ice-lite"))
        remote_lite = TRUE;
      /* RFC 8840 §4.1.3: for one stream, or for all at session level. */
      else if (g_str_equal (line, "a=end-of-candidates"))
        {
          if (current == NULL)
            session_end_of_candidates = TRUE;
          else
            current->end_of_candidates = TRUE;
        }
      else if (current == NULL)
        continue;
      else if (g_str_has_prefix (line, "a=ice-ufrag:"))
        {
          g_free (current->ufrag);
          current->ufrag = g_strdup (line + strlen ("a=ice-ufrag:"));
        }
      else if (g_str_has_prefix (line, "a=ice-pwd:"))
        {
          g_free (current->pwd);
          current->pwd = g_strdup (line + strlen ("a=ice-pwd:"));
        }
      else if (g_str_has_prefix (line, "a=candidate:"))
        {
          NavCandidate *c;
          const gchar *why;

          /* A `.local` name: added once mDNS resolved it. */
          if (nav_mdns_candidate_resolve (agent, current->stream_id, line))
            continue;
          why = NULL;
          c = parse_candidate (line, current->stream_id, &why);
          if (c == NULL)
            {
              g_autofree gchar *quoted = quote_line (line);

              g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("Line %u of the remote SDP: %s: %s"), i + 1,
                           why != NULL ? _(why) : "", quoted);
              ret = -1;
            }
          else
            current->candidates = g_slist_append (current->candidates, c);
        }
    }

  /* RFC 8445 §6.1.1: against a lite peer the full agent controls. */
  if (ret == 0 && remote_lite)
    {
      gboolean full;

      nav_agent_lock (agent);
      full = agent->full_mode;
      nav_agent_unlock_and_emit (agent);
      if (full)
        g_object_set (agent, "controlling-mode", TRUE, NULL);
    }
  for (i = 0; i < sections->len; i++)
    {
      Section *section = &g_array_index (sections, Section, i);

      if (ret == 0)
        {
          AgentStream *stream;
          guint c;

          if (section->ufrag != NULL && section->pwd != NULL)
            nav_agent_set_remote_credentials (agent, section->stream_id, section->ufrag,
                                              section->pwd);
          nav_agent_lock (agent);
          stream = nav_agent_lookup_stream (agent, section->stream_id);
          for (c = 1; stream != NULL && c <= stream->n_components; c++)
            {
              GSList *of_component = NULL, *l;
              int n;

              for (l = section->candidates; l != NULL; l = l->next)
                if (((NavCandidate *) l->data)->component_id == c)
                  of_component = g_slist_append (of_component, l->data);
              n = nav_agent_set_remote_candidates (agent, section->stream_id, c, of_component);
              if (n > 0)
                added += n;
              g_slist_free (of_component);
            }
          nav_agent_unlock_and_emit (agent);
          if (section->end_of_candidates || session_end_of_candidates)
            nav_agent_peer_candidate_gathering_done (agent, section->stream_id);
        }
      g_free (section->ufrag);
      g_free (section->pwd);
      g_slist_free_full (section->candidates, (GDestroyNotify) nav_candidate_free);
    }
  g_list_free (ids);
  return ret < 0 ? -1 : added;
}
