/* nav-dtls.c: the DTLS channel and DTLS backend interfaces
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The core links no TLS library: DTLS (GnuTLS) lives in the data channel
 * tier, libnav-datachannel.so, which implements these two interfaces.
 * The core reaches it through the registry, as GIO reaches its TLS
 * backend through the "gio-tls-backend" extension point
 * (docs/peerconnection.md).
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"

G_DEFINE_QUARK (nav-dtls-error-quark, nav_dtls_error)

/**
 * NavDtlsChannel:
 *
 * DTLS 1.2 (RFC 6347) as a [iface@Nav.Channel] stacked on another
 * channel: what it sends is encrypted into records sent on the channel
 * below, what it receives is decrypted from records that channel
 * delivers.  [class@Nav.PeerConnection] stacks one on the datagram
 * channel of its ICE component ([method@Nav.Agent.get_channel]); since
 * the agent rebinds that channel to each new selected pair, the DTLS
 * association survives a path change or an ICE restart without a new
 * handshake.
 *
 * A channel is made by a [iface@Nav.DtlsBackend]
 * ([method@Nav.DtlsBackend.create_channel]) and does nothing until
 * [method@Nav.DtlsChannel.start] gives it its role, its certificate and
 * the peer's fingerprints; the records that arrive before (a ClientHello
 * that came before the answer did) are kept and handled then.  It is
 * %NAV_CHANNEL_STATE_CONNECTING until the handshake is done, then
 * %NAV_CHANNEL_STATE_OPEN; it ends %NAV_CHANNEL_STATE_CLOSED, with
 * [method@Nav.DtlsChannel.dup_error] saying why when it failed.
 *
 * The peer's certificate must match one of the fingerprints given to
 * [method@Nav.DtlsChannel.start] (RFC 8122 §5); the server requests the
 * client's certificate, so both sides are authenticated.
 *
 * Since: 1.0
 */

G_DEFINE_INTERFACE (NavDtlsChannel, nav_dtls_channel, NAV_TYPE_CHANNEL)

static void
nav_dtls_channel_default_init (NavDtlsChannelInterface *iface)
{
}

/**
 * nav_dtls_channel_start:
 * @self: a DTLS channel
 * @role: the side of the handshake to take
 * @certificate: our certificate, with its private key
 * @remote_fingerprints: (array zero-terminated=1): the fingerprints the
 *   peer signalled, each as the value of an SDP `a=fingerprint` attribute
 *   (`sha-256 4A:AD:…`); case does not matter
 * @initial_timeout_ms: the first retransmission timeout of the
 *   handshake, in milliseconds; 0 for the default (1 s, RFC 6347
 *   §4.2.4.1).  [class@Nav.PeerConnection] derives it from the round-trip
 *   time ICE measured.
 * @error: return location for a #GError
 *
 * Starts the handshake: a client sends its ClientHello as soon as the
 * channel below is open; a server answers the ClientHello it kept, if
 * one came already, or waits for one.  Retransmissions run from the
 * channel's main context, without blocking it.
 *
 * Returns: %TRUE when the handshake started; %FALSE with @error set
 *   when the arguments are unusable (%NAV_DTLS_ERROR_BAD_CERTIFICATE,
 *   %NAV_DTLS_ERROR_BAD_FINGERPRINT), or when the channel was started
 *   or closed already
 *
 * Since: 1.0
 */
gboolean
nav_dtls_channel_start (NavDtlsChannel       *self,
                        NavDtlsRole           role,
                        NavCertificate       *certificate,
                        const gchar * const  *remote_fingerprints,
                        guint                 initial_timeout_ms,
                        GError              **error)
{
  g_return_val_if_fail (NAV_IS_DTLS_CHANNEL (self), FALSE);
  g_return_val_if_fail (NAV_IS_CERTIFICATE (certificate), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (remote_fingerprints == NULL || remote_fingerprints[0] == NULL)
    {
      g_set_error_literal (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_BAD_FINGERPRINT,
                           _("The peer signalled no certificate fingerprint"));
      return FALSE;
    }
  if (!nav_certificate_has_private_key (certificate))
    {
      g_set_error_literal (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_BAD_CERTIFICATE,
                           _("The certificate has no private key"));
      return FALSE;
    }
  return NAV_DTLS_CHANNEL_GET_IFACE (self)->start (self, role, certificate, remote_fingerprints,
                                                  initial_timeout_ms, error);
}

/**
 * nav_dtls_channel_get_role:
 * @self: a DTLS channel
 *
 * Returns: the role given to [method@Nav.DtlsChannel.start]
 *   (%NAV_DTLS_ROLE_CLIENT before)
 *
 * Since: 1.0
 */
NavDtlsRole
nav_dtls_channel_get_role (NavDtlsChannel *self)
{
  g_return_val_if_fail (NAV_IS_DTLS_CHANNEL (self), NAV_DTLS_ROLE_CLIENT);

  return NAV_DTLS_CHANNEL_GET_IFACE (self)->get_role (self);
}

/**
 * nav_dtls_channel_dup_peer_certificate:
 * @self: a DTLS channel
 *
 * Returns: (transfer full) (nullable): the certificate the peer
 *   presented (without a private key), once the handshake is done
 *
 * Since: 1.0
 */
NavCertificate *
nav_dtls_channel_dup_peer_certificate (NavDtlsChannel *self)
{
  g_return_val_if_fail (NAV_IS_DTLS_CHANNEL (self), NULL);

  return NAV_DTLS_CHANNEL_GET_IFACE (self)->dup_peer_certificate (self);
}

/**
 * nav_dtls_channel_get_cipher_suite:
 * @self: a DTLS channel
 *
 * Returns: (nullable): the IANA name of the negotiated cipher suite
 *   (`TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`), once the handshake is
 *   done
 *
 * Since: 1.0
 */
const gchar *
nav_dtls_channel_get_cipher_suite (NavDtlsChannel *self)
{
  g_return_val_if_fail (NAV_IS_DTLS_CHANNEL (self), NULL);

  return NAV_DTLS_CHANNEL_GET_IFACE (self)->get_cipher_suite (self);
}

/**
 * nav_dtls_channel_dup_error:
 * @self: a DTLS channel
 *
 * Returns: (transfer full) (nullable): why the channel failed (a
 *   [error@Nav.DtlsError]), %NULL while it has not
 *
 * Since: 1.0
 */
GError *
nav_dtls_channel_dup_error (NavDtlsChannel *self)
{
  g_return_val_if_fail (NAV_IS_DTLS_CHANNEL (self), NULL);

  return NAV_DTLS_CHANNEL_GET_IFACE (self)->dup_error (self);
}

/**
 * nav_dtls_channel_get_dropped_records:
 * @self: a DTLS channel
 *
 * Returns how many datagrams or records the channel dropped: those that
 * are not DTLS (RFC 7983 §7: STUN, TURN channel data, RTP), those that
 * failed authentication (forged or corrupted), replays (RFC 6347
 * §4.1.2.6), and those that came while no handshake could use them.
 *
 * Returns: the number dropped so far
 *
 * Since: 1.0
 */
guint64
nav_dtls_channel_get_dropped_records (NavDtlsChannel *self)
{
  g_return_val_if_fail (NAV_IS_DTLS_CHANNEL (self), 0);

  return NAV_DTLS_CHANNEL_GET_IFACE (self)->get_dropped_records (self);
}

/**
 * NavDtlsBackend:
 *
 * What makes [iface@Nav.DtlsChannel]s and the certificates they use:
 * implemented by a module at the `nav-dtls-backend` extension point
 * (`gnutls` in `libnav-datachannel.so`), found through the registry by
 * [func@Nav.DtlsBackend.get_default], as GIO finds its TLS backend.
 *
 * Since: 1.0
 */

G_DEFINE_INTERFACE (NavDtlsBackend, nav_dtls_backend, G_TYPE_OBJECT)

static void
nav_dtls_backend_default_init (NavDtlsBackendInterface *iface)
{
}

/**
 * nav_dtls_backend_get_default:
 * @error: return location for a #GError
 *
 * Returns the DTLS backend the registry prefers (`NAV_USE_NAV_DTLS_BACKEND`
 * chooses another), made once per process.
 *
 * Returns: (transfer none): the backend, or %NULL with @error set
 *   (%NAV_DTLS_ERROR_NOT_AVAILABLE) when no module provides one
 *
 * Since: 1.0
 */
NavDtlsBackend *
nav_dtls_backend_get_default (GError **error)
{
  static NavDtlsBackend *backend;
  static GMutex lock;
  NavDtlsBackend *result;

  g_mutex_lock (&lock);
  if (backend == NULL)
    {
      g_autoptr (GError) local_error = NULL;
      GObject *object = nav_registry_create (nav_registry_get_default (),
                                             NAV_DTLS_BACKEND_EXTENSION_POINT_NAME, NULL,
                                             &local_error, NULL);

      if (object == NULL)
        {
          g_mutex_unlock (&lock);
          g_set_error (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_NOT_AVAILABLE,
                       _("DTLS is not available (is the datachannel module installed?): %s"),
                       local_error->message);
          return NULL;
        }
      /* Kept for the life of the process, as GIO's TLS backend. */
      backend = NAV_DTLS_BACKEND (object);
    }
  result = backend;
  g_mutex_unlock (&lock);
  return result;
}

/**
 * nav_dtls_backend_create_channel:
 * @self: a DTLS backend
 * @lower: the channel the records travel on
 * @context: (nullable): the main context of the channel's timers and
 *   receive path, which must be @lower's; %NULL for the thread-default
 *   one
 * @error: return location for a #GError
 *
 * Makes a DTLS channel over @lower.  It takes @lower's receive function
 * ([method@Nav.Channel.set_receive_func]) at once, keeping what arrives
 * until [method@Nav.DtlsChannel.start].
 *
 * Returns: (transfer full): the channel, not started, or %NULL with
 *   @error set
 *
 * Since: 1.0
 */
NavDtlsChannel *
nav_dtls_backend_create_channel (NavDtlsBackend  *self,
                                 NavChannel      *lower,
                                 GMainContext    *context,
                                 GError         **error)
{
  g_return_val_if_fail (NAV_IS_DTLS_BACKEND (self), NULL);
  g_return_val_if_fail (NAV_IS_CHANNEL (lower), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return NAV_DTLS_BACKEND_GET_IFACE (self)->create_channel (self, lower, context, error);
}
