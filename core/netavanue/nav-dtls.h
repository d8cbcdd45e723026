/* nav-dtls.h: DTLS as a channel stacked on another, and the backend that
 * makes such channels and certificates
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-channel.h>
#include <netavanue/nav-certificate.h>

G_BEGIN_DECLS

/**
 * NAV_DTLS_BACKEND_EXTENSION_POINT_NAME:
 *
 * The name of the extension point where [iface@Nav.DtlsBackend]
 * implementations register (`libnav-datachannel.so`: `gnutls`).
 */
#define NAV_DTLS_BACKEND_EXTENSION_POINT_NAME "nav-dtls-backend"

/**
 * NAV_DTLS_ERROR:
 *
 * The error domain of DTLS channels and certificates: codes in
 * [error@Nav.DtlsError].
 *
 * Since: 1.0
 */
#define NAV_DTLS_ERROR (nav_dtls_error_quark ())

/**
 * NavDtlsError:
 * @NAV_DTLS_ERROR_FAILED: another failure.
 * @NAV_DTLS_ERROR_NOT_AVAILABLE: no DTLS backend is installed (the
 *   `datachannel` module is missing).
 * @NAV_DTLS_ERROR_BAD_CERTIFICATE: a certificate or private key could not
 *   be read, or they do not belong together.
 * @NAV_DTLS_ERROR_FINGERPRINT_MISMATCH: the peer's certificate matches
 *   none of the fingerprints it signalled.
 * @NAV_DTLS_ERROR_BAD_FINGERPRINT: a fingerprint is malformed or uses no
 *   hash function we know.
 * @NAV_DTLS_ERROR_HANDSHAKE_FAILED: the handshake failed (a fatal alert
 *   from the peer or a protocol error).
 * @NAV_DTLS_ERROR_TIMED_OUT: the handshake did not complete in time.
 * @NAV_DTLS_ERROR_CLOSED: the channel, or the channel below it, is
 *   closed.
 *
 * Errors of [iface@Nav.DtlsChannel], [iface@Nav.DtlsBackend] and
 * [class@Nav.Certificate].
 *
 * Since: 1.0
 */
typedef enum {
  NAV_DTLS_ERROR_FAILED,
  NAV_DTLS_ERROR_NOT_AVAILABLE,
  NAV_DTLS_ERROR_BAD_CERTIFICATE,
  NAV_DTLS_ERROR_FINGERPRINT_MISMATCH,
  NAV_DTLS_ERROR_BAD_FINGERPRINT,
  NAV_DTLS_ERROR_HANDSHAKE_FAILED,
  NAV_DTLS_ERROR_TIMED_OUT,
  NAV_DTLS_ERROR_CLOSED,
} NavDtlsError;

/**
 * NavDtlsRole:
 * @NAV_DTLS_ROLE_CLIENT: sends the ClientHello (`a=setup:active`).
 * @NAV_DTLS_ROLE_SERVER: waits for it (`a=setup:passive`).
 *
 * The side of the handshake a [iface@Nav.DtlsChannel] takes.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_DTLS_ROLE_CLIENT,
  NAV_DTLS_ROLE_SERVER,
} NavDtlsRole;

#define NAV_TYPE_DTLS_CHANNEL (nav_dtls_channel_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (NavDtlsChannel, nav_dtls_channel, NAV, DTLS_CHANNEL, NavChannel)

/**
 * NavDtlsChannelInterface:
 * @g_iface: the parent interface.
 * @start: starts the handshake (see [method@Nav.DtlsChannel.start]).
 * @get_role: the role given to @start.
 * @dup_peer_certificate: the peer's certificate once the handshake is
 *   done, %NULL before.
 * @get_cipher_suite: the negotiated cipher suite's IANA name, %NULL before
 *   the handshake is done.
 * @dup_error: why the channel closed, %NULL when it did not fail.
 * @get_dropped_records: how many records were dropped.
 *
 * The virtual methods of [iface@Nav.DtlsChannel].
 *
 * Since: 1.0
 */
struct _NavDtlsChannelInterface
{
  GTypeInterface g_iface;

  gboolean         (*start)                (NavDtlsChannel      *self,
                                            NavDtlsRole          role,
                                            NavCertificate      *certificate,
                                            const gchar * const *remote_fingerprints,
                                            guint                initial_timeout_ms,
                                            GError             **error);
  NavDtlsRole      (*get_role)             (NavDtlsChannel      *self);
  NavCertificate * (*dup_peer_certificate) (NavDtlsChannel      *self);
  const gchar *    (*get_cipher_suite)     (NavDtlsChannel      *self);
  GError *         (*dup_error)            (NavDtlsChannel      *self);
  guint64          (*get_dropped_records)  (NavDtlsChannel      *self);

  /*< private >*/
  gpointer padding[8];
};

NAV_AVAILABLE_IN_ALL
gboolean        nav_dtls_channel_start                (NavDtlsChannel      *self,
                                                       NavDtlsRole          role,
                                                       NavCertificate      *certificate,
                                                       const gchar * const *remote_fingerprints,
                                                       guint                initial_timeout_ms,
                                                       GError             **error);
NAV_AVAILABLE_IN_ALL
NavDtlsRole     nav_dtls_channel_get_role             (NavDtlsChannel      *self);
NAV_AVAILABLE_IN_ALL
NavCertificate *nav_dtls_channel_dup_peer_certificate (NavDtlsChannel      *self);
NAV_AVAILABLE_IN_ALL
const gchar    *nav_dtls_channel_get_cipher_suite     (NavDtlsChannel      *self);
NAV_AVAILABLE_IN_ALL
GError         *nav_dtls_channel_dup_error            (NavDtlsChannel      *self);
NAV_AVAILABLE_IN_ALL
guint64         nav_dtls_channel_get_dropped_records  (NavDtlsChannel      *self);

#define NAV_TYPE_DTLS_BACKEND (nav_dtls_backend_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (NavDtlsBackend, nav_dtls_backend, NAV, DTLS_BACKEND, GObject)

/**
 * NavDtlsBackendInterface:
 * @g_iface: the parent interface.
 * @generate_certificate: makes a self-signed ECDSA P-256 certificate and
 *   its key, both in PEM; may block (called from a worker thread by
 *   [func@Nav.Certificate.generate_async]).
 * @check_certificate: checks that a certificate and a private key in PEM
 *   can be used together.
 * @create_channel: makes a DTLS channel over @lower, not started.
 *
 * The virtual methods of [iface@Nav.DtlsBackend].  An implementation is
 * a stateless object, made once per process; every method may be called
 * from any thread.
 *
 * Since: 1.0
 */
struct _NavDtlsBackendInterface
{
  GTypeInterface g_iface;

  gboolean         (*generate_certificate) (NavDtlsBackend  *self,
                                            gchar          **certificate_pem,
                                            gchar          **private_key_pem,
                                            GError         **error);
  gboolean         (*check_certificate)    (NavDtlsBackend  *self,
                                            const gchar     *certificate_pem,
                                            const gchar     *private_key_pem,
                                            GError         **error);
  NavDtlsChannel * (*create_channel)       (NavDtlsBackend  *self,
                                            NavChannel      *lower,
                                            GMainContext    *context,
                                            GError         **error);

  /*< private >*/
  gpointer padding[8];
};

NAV_AVAILABLE_IN_ALL
NavDtlsBackend *nav_dtls_backend_get_default          (GError             **error);
NAV_AVAILABLE_IN_ALL
NavDtlsChannel *nav_dtls_backend_create_channel       (NavDtlsBackend      *self,
                                                       NavChannel          *lower,
                                                       GMainContext        *context,
                                                       GError             **error);

NAV_AVAILABLE_IN_ALL
GQuark          nav_dtls_error_quark                  (void);

G_END_DECLS
