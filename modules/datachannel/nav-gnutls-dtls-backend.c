/* nav-gnutls-dtls-backend.c: the data channel tier's NavDtlsBackend:
 * certificates and DTLS channels through GnuTLS
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "nav-gnutls-dtls.h"

/* RFC 8827 §6.5 and what browsers do: a fresh self-signed certificate,
 * valid for 30 days, back-dated a day against clock skew. */
#define VALIDITY_DAYS 30
#define BACKDATE_SECONDS (24 * 60 * 60)

struct _NavGnutlsDtlsBackend
{
  GObject parent_instance;
};

static void nav_gnutls_dtls_backend_iface_init (NavDtlsBackendInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavGnutlsDtlsBackend, nav_gnutls_dtls_backend, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_DTLS_BACKEND,
                                                               nav_gnutls_dtls_backend_iface_init))

static gchar *
datum_to_string (gnutls_datum_t *datum)
{
  gchar *s = g_strndup ((const gchar *) datum->data, datum->size);

  gnutls_memset (datum->data, 0, datum->size);
  gnutls_free (datum->data);
  datum->data = NULL;
  return s;
}

static gboolean
generate_certificate (NavDtlsBackend  *backend,
                      gchar          **certificate_pem,
                      gchar          **private_key_pem,
                      GError         **error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t cert_datum = { NULL, 0 }, key_datum = { NULL, 0 };
  guint8 serial[16];
  time_t now = time (NULL);
  gint ret;

  ret = gnutls_x509_privkey_init (&key);
  if (ret == 0)
    ret = gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                        GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0);
  if (ret == 0)
    ret = gnutls_x509_crt_init (&crt);
  if (ret == 0)
    ret = gnutls_x509_crt_set_version (crt, 3);
  if (ret == 0)
    ret = gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial);
  if (ret == 0)
    {
      /* RFC 5280 §4.1.2.2: positive, at most 20 bytes. */
      serial[0] = (serial[0] & 0x7f) | 0x01;
      ret = gnutls_x509_crt_set_serial (crt, serial, sizeof serial);
    }
  if (ret == 0)
    ret = gnutls_x509_crt_set_activation_time (crt, now - BACKDATE_SECONDS);
  if (ret == 0)
    ret = gnutls_x509_crt_set_expiration_time (crt, now + VALIDITY_DAYS * 24 * 60 * 60);
  if (ret == 0)
    ret = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, "NetAvanue",
                                         strlen ("NetAvanue"));
  if (ret == 0)
    ret = gnutls_x509_crt_set_key (crt, key);
  if (ret == 0)
    ret = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0);
  if (ret == 0)
    ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &cert_datum);
  if (ret == 0)
    ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
                                             &key_datum);
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  if (key != NULL)
    gnutls_x509_privkey_deinit (key);
  if (ret != 0)
    {
      if (cert_datum.data != NULL)
        gnutls_free (cert_datum.data);
      g_set_error (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_FAILED,
                   _("No certificate could be made: %s"), gnutls_strerror (ret));
      return FALSE;
    }
  *certificate_pem = datum_to_string (&cert_datum);
  *private_key_pem = datum_to_string (&key_datum);
  return TRUE;
}

static gboolean
check_certificate (NavDtlsBackend  *backend,
                   const gchar     *certificate_pem,
                   const gchar     *private_key_pem,
                   GError         **error)
{
  gnutls_certificate_credentials_t credentials;
  gnutls_datum_t cert = { (guchar *) certificate_pem, strlen (certificate_pem) };
  gnutls_datum_t key = { (guchar *) private_key_pem, strlen (private_key_pem) };
  gint ret;

  ret = gnutls_certificate_allocate_credentials (&credentials);
  if (ret == 0)
    {
      ret = gnutls_certificate_set_x509_key_mem2 (credentials, &cert, &key,
                                                  GNUTLS_X509_FMT_PEM, NULL, 0);
      gnutls_certificate_free_credentials (credentials);
    }
  if (ret < 0)
    {
      g_set_error (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_BAD_CERTIFICATE,
                   _("The certificate and private key cannot be used: %s"),
                   gnutls_strerror (ret));
      return FALSE;
    }
  return TRUE;
}

static NavDtlsChannel *
create_channel (NavDtlsBackend  *backend,
                NavChannel      *lower,
                GMainContext    *context,
                GError         **error)
{
  return nav_gnutls_dtls_channel_new (lower, context);
}

static void
nav_gnutls_dtls_backend_iface_init (NavDtlsBackendInterface *iface)
{
  iface->generate_certificate = generate_certificate;
  iface->check_certificate = check_certificate;
  iface->create_channel = create_channel;
}

static void
nav_gnutls_dtls_backend_class_init (NavGnutlsDtlsBackendClass *klass)
{
}

static void
nav_gnutls_dtls_backend_class_finalize (NavGnutlsDtlsBackendClass *klass)
{
}

static void
nav_gnutls_dtls_backend_init (NavGnutlsDtlsBackend *self)
{
}

void
nav_gnutls_dtls_backend_register (GTypeModule *module)
{
  nav_gnutls_dtls_backend_register_type (module);
}
