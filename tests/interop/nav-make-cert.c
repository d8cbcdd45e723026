/* nav-make-cert.c: writes a self-signed certificate and its key (PEM) for
 * the TLS interop tests, valid for 127.0.0.1, ::1 and localhost.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define CHECK(x) do { int r_ = (x); if (r_ < 0) { fprintf (stderr, "%s: %s\n", #x, gnutls_strerror (r_)); return 1; } } while (0)

static int
write_file (const char           *path,
            const gnutls_datum_t *d)
{
  FILE *f = fopen (path, "wb");

  if (f == NULL || fwrite (d->data, 1, d->size, f) != d->size)
    {
      perror (path);
      return 1;
    }
  return fclose (f) == 0 ? 0 : 1;
}

int
main (int   argc,
      char *argv[])
{
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t out;
  unsigned char serial[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  unsigned char ip4[4], ip6[16];
  time_t now = time (NULL);

  if (argc != 3)
    {
      fprintf (stderr, "usage: %s CERT.pem KEY.pem\n", argv[0]);
      return 2;
    }
  inet_pton (AF_INET, "127.0.0.1", ip4);
  inet_pton (AF_INET6, "::1", ip6);

  CHECK (gnutls_x509_privkey_init (&key));
  CHECK (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                       GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0));
  CHECK (gnutls_x509_crt_init (&crt));
  CHECK (gnutls_x509_crt_set_version (crt, 3));
  CHECK (gnutls_x509_crt_set_serial (crt, serial, sizeof serial));
  CHECK (gnutls_x509_crt_set_activation_time (crt, now - 3600));
  CHECK (gnutls_x509_crt_set_expiration_time (crt, now + 7 * 86400));
  CHECK (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost", strlen ("localhost")));
  CHECK (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, "localhost", strlen ("localhost"), GNUTLS_FSAN_APPEND));
  CHECK (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, ip4, sizeof ip4, GNUTLS_FSAN_APPEND));
  CHECK (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, ip6, sizeof ip6, GNUTLS_FSAN_APPEND));
  /* Its own CA, so clients can trust it with a CA file. */
  CHECK (gnutls_x509_crt_set_basic_constraints (crt, 1, -1));
  CHECK (gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN));
  CHECK (gnutls_x509_crt_set_key (crt, key));
  CHECK (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0));

  CHECK (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out));
  if (write_file (argv[1], &out))
    return 1;
  gnutls_free (out.data);
  CHECK (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &out));
  if (write_file (argv[2], &out))
    return 1;
  gnutls_free (out.data);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
  return 0;
}
