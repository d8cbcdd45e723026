/* nav-certificate.h: the certificate of a DTLS endpoint, and its
 * fingerprints
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>

G_BEGIN_DECLS

#define NAV_TYPE_CERTIFICATE (nav_certificate_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavCertificate, nav_certificate, NAV, CERTIFICATE, GObject)

NAV_AVAILABLE_IN_ALL
NavCertificate *nav_certificate_generate            (GError             **error);
NAV_AVAILABLE_IN_ALL
void            nav_certificate_generate_async      (GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
NAV_AVAILABLE_IN_ALL
NavCertificate *nav_certificate_generate_finish     (GAsyncResult        *result,
                                                     GError             **error);
NAV_AVAILABLE_IN_ALL
NavCertificate *nav_certificate_new_from_pem        (const gchar         *certificate_pem,
                                                     const gchar         *private_key_pem,
                                                     GError             **error);
NAV_AVAILABLE_IN_ALL
NavCertificate *nav_certificate_new_from_der        (GBytes              *der);

NAV_AVAILABLE_IN_ALL
gchar          *nav_certificate_get_certificate_pem (NavCertificate      *self);
NAV_AVAILABLE_IN_ALL
const gchar    *nav_certificate_get_private_key_pem (NavCertificate      *self);
NAV_AVAILABLE_IN_ALL
gboolean        nav_certificate_has_private_key     (NavCertificate      *self);
NAV_AVAILABLE_IN_ALL
GBytes         *nav_certificate_get_der             (NavCertificate      *self);
NAV_AVAILABLE_IN_ALL
gchar          *nav_certificate_get_fingerprint     (NavCertificate      *self,
                                                     const gchar         *algorithm);
NAV_AVAILABLE_IN_ALL
gboolean        nav_certificate_check_fingerprints  (NavCertificate      *self,
                                                     const gchar * const *fingerprints,
                                                     GError             **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_certificate_fingerprint_is_valid (const gchar        *fingerprint);

G_END_DECLS
