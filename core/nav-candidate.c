/* nav-candidate.c: an ICE candidate
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "netavanue/netavanue.h"

G_DEFINE_BOXED_TYPE (NavCandidate, nav_candidate, nav_candidate_copy, nav_candidate_free)

/**
 * nav_candidate_new:
 * @type: the candidate's type
 *
 * Allocates a candidate of @type, with UDP transport, unset addresses and
 * no foundation.
 *
 * Returns: (transfer full): a new candidate
 *
 * Since: 1.0
 */
NavCandidate *
nav_candidate_new (NavCandidateType type)
{
  NavCandidate *c = g_new0 (NavCandidate, 1);

  c->type = type;
  c->transport = NAV_CANDIDATE_TRANSPORT_UDP;
  nav_address_init (&c->addr);
  nav_address_init (&c->base_addr);
  nav_address_init (&c->related_addr);
  return c;
}

/**
 * nav_candidate_copy:
 * @candidate: a candidate
 *
 * Copies @candidate, its strings, and takes a reference on its owner.
 *
 * Returns: (transfer full): a copy of @candidate
 *
 * Since: 1.0
 */
NavCandidate *
nav_candidate_copy (const NavCandidate *candidate)
{
  NavCandidate *c;

  g_return_val_if_fail (candidate != NULL, NULL);

  c = g_memdup2 (candidate, sizeof (NavCandidate));
  c->username = g_strdup (candidate->username);
  c->password = g_strdup (candidate->password);
  if (c->owner != NULL)
    g_object_ref (c->owner);
  return c;
}

/**
 * nav_candidate_free:
 * @candidate: (transfer full): a candidate
 *
 * Frees @candidate, its strings, and drops its reference on its owner.
 *
 * Since: 1.0
 */
void
nav_candidate_free (NavCandidate *candidate)
{
  if (candidate == NULL)
    return;

  g_free (candidate->username);
  g_free (candidate->password);
  g_clear_object (&candidate->owner);
  g_free (candidate);
}

/**
 * nav_candidate_set_owner:
 * @candidate: a candidate
 * @owner: (nullable): the transport that sends and receives for it
 *
 * Sets the transport that owns a local candidate, taking a reference.
 *
 * Since: 1.0
 */
void
nav_candidate_set_owner (NavCandidate *candidate,
                         NavTransport *owner)
{
  g_return_if_fail (candidate != NULL);
  g_return_if_fail (owner == NULL || NAV_IS_TRANSPORT (owner));

  g_set_object (&candidate->owner, owner);
}

/**
 * nav_candidate_set_foundation:
 * @candidate: a candidate
 * @foundation: the foundation: 1 to 32 `ice-char`s (RFC 8445 §5.1.1.3);
 *   longer ones are cut
 *
 * Sets the foundation of @candidate.
 *
 * Since: 1.0
 */
void
nav_candidate_set_foundation (NavCandidate *candidate,
                              const gchar  *foundation)
{
  g_return_if_fail (candidate != NULL);
  g_return_if_fail (foundation != NULL);

  g_strlcpy (candidate->foundation, foundation, NAV_CANDIDATE_MAX_FOUNDATION);
}

/**
 * nav_candidate_get_foundation:
 * @candidate: a candidate
 *
 * Returns: (transfer none): the foundation of @candidate
 *
 * Since: 1.0
 */
const gchar *
nav_candidate_get_foundation (const NavCandidate *candidate)
{
  g_return_val_if_fail (candidate != NULL, NULL);

  return candidate->foundation;
}

/**
 * nav_candidate_equal_target:
 * @a: a candidate
 * @b: another candidate
 *
 * Whether two candidates reach the same place: same transport protocol
 * family (UDP or TCP) and same address and port, as libnice's
 * `nice_candidate_equal_target`.
 *
 * Returns: %TRUE when @a and @b have the same target
 *
 * Since: 1.0
 */
gboolean
nav_candidate_equal_target (const NavCandidate *a,
                            const NavCandidate *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  return ((a->transport == NAV_CANDIDATE_TRANSPORT_UDP) ==
          (b->transport == NAV_CANDIDATE_TRANSPORT_UDP)) &&
         nav_address_equal (&a->addr, &b->addr);
}

static guint
type_preference (NavCandidateType      type,
                 NavCandidateTransport transport)
{
  /* RFC 8445 §5.1.2.2 recommends 126/110/100/0.  RFC 6544 §4.2 has TCP
   * candidates ranked below UDP ones of the same type so that UDP wins
   * when both work: the same spread libnice uses. */
  gboolean udp = transport == NAV_CANDIDATE_TRANSPORT_UDP;

  switch (type)
    {
    case NAV_CANDIDATE_TYPE_HOST:
      return udp ? 126 : 80;
    case NAV_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return udp ? 110 : 60;
    case NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return udp ? 100 : 50;
    case NAV_CANDIDATE_TYPE_RELAYED:
    default:
      return udp ? 10 : 0;
    }
}

/**
 * nav_candidate_compute_priority:
 * @type: the candidate's type
 * @transport: its transport protocol
 * @local_preference: 0 to 65535, higher for preferred interfaces
 * @component_id: its component, 1 to 256
 *
 * The priority of RFC 8445 §5.1.2.1:
 * `2^24 × type preference + 2^8 × local preference + (256 − component)`.
 * Relayed UDP candidates get a type preference of 10 rather than 0 so
 * that a relay over UDP is preferred to one over TCP.
 *
 * Returns: the priority
 *
 * Since: 1.0
 */
guint32
nav_candidate_compute_priority (NavCandidateType      type,
                                NavCandidateTransport transport,
                                guint                 local_preference,
                                guint                 component_id)
{
  g_return_val_if_fail (component_id >= 1 && component_id <= 256, 0);

  return (type_preference (type, transport) << 24) +
         (MIN (local_preference, 65535u) << 8) +
         (256 - component_id);
}

/**
 * nav_candidate_type_to_string:
 * @type: a candidate type
 *
 * Returns: the SDP name of @type (`host`, `srflx`, `prflx`, `relay`)
 *
 * Since: 1.0
 */
const gchar *
nav_candidate_type_to_string (NavCandidateType type)
{
  switch (type)
    {
    case NAV_CANDIDATE_TYPE_HOST:
      return "host";
    case NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return "srflx";
    case NAV_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return "prflx";
    case NAV_CANDIDATE_TYPE_RELAYED:
      return "relay";
    default:
      return "unknown";
    }
}

/**
 * nav_candidate_transport_to_string:
 * @transport: a candidate transport
 *
 * Returns: the SDP name of @transport (`udp`, `tcp-act`, `tcp-pass`,
 *   `tcp-so`)
 *
 * Since: 1.0
 */
const gchar *
nav_candidate_transport_to_string (NavCandidateTransport transport)
{
  switch (transport)
    {
    case NAV_CANDIDATE_TRANSPORT_UDP:
      return "udp";
    case NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE:
      return "tcp-act";
    case NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE:
      return "tcp-pass";
    case NAV_CANDIDATE_TRANSPORT_TCP_SO:
      return "tcp-so";
    default:
      return "unknown";
    }
}

/**
 * nav_candidate_to_string:
 * @candidate: a candidate
 *
 * A one-line description for logs and tools, e.g.
 * `host udp 192.0.2.1:5000 prio 2130706431 foundation 1 (stream 1, component 1)`.
 *
 * Returns: (transfer full): the description
 *
 * Since: 1.0
 */
gchar *
nav_candidate_to_string (const NavCandidate *candidate)
{
  gchar addr[NAV_ADDRESS_STRING_LEN], related[NAV_ADDRESS_STRING_LEN];
  GString *s;

  g_return_val_if_fail (candidate != NULL, NULL);

  s = g_string_new (NULL);
  g_string_append_printf (s, "%s %s %s prio %u foundation %s",
                          nav_candidate_type_to_string (candidate->type),
                          nav_candidate_transport_to_string (candidate->transport),
                          nav_address_to_string_buf (&candidate->addr, addr),
                          candidate->priority, candidate->foundation);
  if (nav_address_is_valid (&candidate->related_addr))
    g_string_append_printf (s, " raddr %s",
                            nav_address_to_string_buf (&candidate->related_addr,
                                                       related));
  g_string_append_printf (s, " (stream %u, component %u)",
                          candidate->stream_id, candidate->component_id);
  return g_string_free (s, FALSE);
}
