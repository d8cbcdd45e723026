/* nav-certificate.c: the certificate of a DTLS endpoint, and its
 * fingerprints
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The core reads certificates only as far as fingerprints need: the PEM
 * armour and the DER bytes, hashed with nettle.  Making certificates and
 * checking that a private key belongs to one is the DTLS backend's
 * (libnav-datachannel.so, GnuTLS).
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <nettle/nettle-meta.h>

#include "netavanue/netavanue.h"

/**
 * NavCertificate:
 *
 * An X.509 certificate, with its private key when it is ours: what a
 * [iface@Nav.DtlsChannel] presents, and what the peer's fingerprint
 * (SDP `a=fingerprint`, RFC 8122) is checked against.
 *
 * WebRTC endpoints use self-signed certificates: the fingerprint
 * exchanged in the offer and answer is what ties the DTLS peer to the
 * one you signalled with.  [func@Nav.Certificate.generate_async] makes an
 * ECDSA P-256 one, valid for 30 days, as browsers do;
 * [ctor@Nav.Certificate.new_from_pem] loads one you keep (an identity
 * that survives restarts), and
 * [method@Nav.Certificate.get_certificate_pem] with
 * [method@Nav.Certificate.get_private_key_pem] saves it.
 *
 * A certificate is immutable and may be used from any thread.
 *
 * Since: 1.0
 */
struct _NavCertificate
{
  GObject parent_instance;

  GBytes *der;
  gchar *private_key_pem;
};

G_DEFINE_FINAL_TYPE (NavCertificate, nav_certificate, G_TYPE_OBJECT)

/* PEM text larger than this is not a certificate we would use. */
#define MAX_PEM_LENGTH (64 * 1024)

/* RFC 8122 §5: the hash functions of the "Hash Function Textual Names"
 * registry that are not obsolete, weakest first (MD2 and MD5 are refused
 * as fingerprints by RFC 8122 §5). */
static const struct {
  const gchar *name;
  const struct nettle_hash *hash;
} hash_functions[] = {
  { "sha-1", &nettle_sha1 },
  { "sha-224", &nettle_sha224 },
  { "sha-256", &nettle_sha256 },
  { "sha-384", &nettle_sha384 },
  { "sha-512", &nettle_sha512 },
};

static void
nav_certificate_finalize (GObject *object)
{
  NavCertificate *self = NAV_CERTIFICATE (object);

  g_clear_pointer (&self->der, g_bytes_unref);
  if (self->private_key_pem != NULL)
    {
      memset (self->private_key_pem, 0, strlen (self->private_key_pem));
      g_free (self->private_key_pem);
    }

  G_OBJECT_CLASS (nav_certificate_parent_class)->finalize (object);
}

static void
nav_certificate_class_init (NavCertificateClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nav_certificate_finalize;
}

static void
nav_certificate_init (NavCertificate *self)
{
}

/* ------------------------------------------------------------ PEM, DER */

/* The length a DER SEQUENCE says it has, header included; 0 when @der
 * does not start with a well-formed one (X.690 §8.1.3, definite form). */
static gsize
der_sequence_length (const guint8 *der,
                     gsize         len)
{
  gsize n, content = 0, i;

  if (len < 2 || der[0] != 0x30)
    return 0;
  if (der[1] < 0x80)
    return 2 + der[1];
  n = der[1] & 0x7f;
  if (n == 0 || n > 4 || len < 2 + n)
    return 0;
  for (i = 0; i < n; i++)
    content = (content << 8) | der[2 + i];
  return 2 + n + content;
}

/* The DER bytes of the first PEM block of @label in @pem. */
static GBytes *
pem_decode (const gchar *pem,
            const gchar *label)
{
  g_autofree gchar *begin = g_strdup_printf ("-----BEGIN %s-----", label);
  g_autofree gchar *end = g_strdup_printf ("-----END %s-----", label);
  const gchar *start, *stop;
  g_autofree gchar *body = NULL;
  guchar *der;
  gsize len;

  start = strstr (pem, begin);
  if (start == NULL)
    return NULL;
  start += strlen (begin);
  stop = strstr (start, end);
  if (stop == NULL)
    return NULL;
  body = g_strndup (start, stop - start);
  /* Base64 only, whitespace aside: g_base64_decode() would skip what
   * is not base64 silently. */
  for (const gchar *p = body; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=' && !g_ascii_isspace (*p))
      return NULL;
  der = g_base64_decode (body, &len);
  if (der == NULL || len == 0)
    {
      g_free (der);
      return NULL;
    }
  return g_bytes_new_take (der, len);
}

static gchar *
pem_encode (GBytes      *der,
            const gchar *label)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (der, &len);
  g_autofree gchar *b64 = g_base64_encode (data, len);
  GString *out = g_string_new (NULL);
  gsize n = strlen (b64), i;

  g_string_append_printf (out, "-----BEGIN %s-----\n", label);
  /* RFC 7468 §2: lines of 64 characters. */
  for (i = 0; i < n; i += 64)
    {
      g_string_append_len (out, b64 + i, MIN (64, n - i));
      g_string_append_c (out, '\n');
    }
  g_string_append_printf (out, "-----END %s-----\n", label);
  return g_string_free (out, FALSE);
}

static gboolean
der_is_certificate (GBytes *der)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (der, &len);

  return der_sequence_length (data, len) == len;
}

/* ------------------------------------------------------------ making */

/**
 * nav_certificate_new_from_der:
 * @der: the certificate, DER-encoded
 *
 * Wraps a certificate without its private key: the peer's, as a DTLS
 * channel received it.  Only its outer structure is checked.
 *
 * Returns: (transfer full) (nullable): the certificate, %NULL when @der
 *   is not one
 *
 * Since: 1.0
 */
NavCertificate *
nav_certificate_new_from_der (GBytes *der)
{
  NavCertificate *self;

  g_return_val_if_fail (der != NULL, NULL);

  if (!der_is_certificate (der))
    return NULL;
  self = g_object_new (NAV_TYPE_CERTIFICATE, NULL);
  self->der = g_bytes_ref (der);
  return self;
}

/**
 * nav_certificate_new_from_pem:
 * @certificate_pem: the certificate, PEM-encoded (RFC 7468 `CERTIFICATE`)
 * @private_key_pem: (nullable): its private key, PEM-encoded (PKCS #8
 *   `PRIVATE KEY`, or `EC PRIVATE KEY`), or %NULL for a certificate
 *   that only identifies a peer
 * @error: return location for a #GError
 *
 * Loads a certificate saved with
 * [method@Nav.Certificate.get_certificate_pem] and
 * [method@Nav.Certificate.get_private_key_pem], or made by another tool
 * (`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 …`).
 * With a private key, the DTLS backend checks that the two belong
 * together.
 *
 * Returns: (transfer full): the certificate, or %NULL with @error set
 *   (%NAV_DTLS_ERROR_BAD_CERTIFICATE; %NAV_DTLS_ERROR_NOT_AVAILABLE with
 *   a private key and no DTLS backend)
 *
 * Since: 1.0
 */
NavCertificate *
nav_certificate_new_from_pem (const gchar  *certificate_pem,
                              const gchar  *private_key_pem,
                              GError      **error)
{
  g_autoptr (GBytes) der = NULL;
  NavCertificate *self;

  g_return_val_if_fail (certificate_pem != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (strlen (certificate_pem) > MAX_PEM_LENGTH ||
      (private_key_pem != NULL && strlen (private_key_pem) > MAX_PEM_LENGTH))
    {
      g_set_error_literal (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_BAD_CERTIFICATE,
                           _("The PEM text is too long to be a certificate"));
      return NULL;
    }
  der = pem_decode (certificate_pem, "CERTIFICATE");
  if (der == NULL || !der_is_certificate (der))
    {
      g_set_error_literal (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_BAD_CERTIFICATE,
                           _("No PEM-encoded certificate found"));
      return NULL;
    }
  if (private_key_pem != NULL)
    {
      NavDtlsBackend *backend = nav_dtls_backend_get_default (error);

      if (backend == NULL ||
          !NAV_DTLS_BACKEND_GET_IFACE (backend)->check_certificate (backend, certificate_pem,
                                                                    private_key_pem, error))
        return NULL;
    }
  self = g_object_new (NAV_TYPE_CERTIFICATE, NULL);
  self->der = g_steal_pointer (&der);
  self->private_key_pem = g_strdup (private_key_pem);
  return self;
}

/**
 * nav_certificate_generate:
 * @error: return location for a #GError
 *
 * Makes a self-signed ECDSA P-256 certificate and its key, valid from a
 * day ago for 30 days, as browsers make theirs for WebRTC (RFC 8827
 * §6.5).  It takes a millisecond or so: in a main loop, prefer
 * [func@Nav.Certificate.generate_async].
 *
 * Returns: (transfer full): the certificate, or %NULL with @error set
 *   (%NAV_DTLS_ERROR_NOT_AVAILABLE without a DTLS backend)
 *
 * Since: 1.0
 */
NavCertificate *
nav_certificate_generate (GError **error)
{
  NavDtlsBackend *backend;
  g_autofree gchar *cert_pem = NULL;
  g_autofree gchar *key_pem = NULL;
  g_autoptr (GBytes) der = NULL;
  NavCertificate *self;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  backend = nav_dtls_backend_get_default (error);
  if (backend == NULL)
    return NULL;
  if (!NAV_DTLS_BACKEND_GET_IFACE (backend)->generate_certificate (backend, &cert_pem, &key_pem,
                                                                   error))
    return NULL;
  der = pem_decode (cert_pem, "CERTIFICATE");
  if (der == NULL || !der_is_certificate (der))
    {
      g_set_error_literal (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_FAILED,
                           _("The DTLS backend made no usable certificate"));
      return NULL;
    }
  self = g_object_new (NAV_TYPE_CERTIFICATE, NULL);
  self->der = g_steal_pointer (&der);
  self->private_key_pem = g_steal_pointer (&key_pem);
  return self;
}

static void
generate_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GError *error = NULL;
  NavCertificate *certificate = nav_certificate_generate (&error);

  if (certificate == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, certificate, g_object_unref);
}

/**
 * nav_certificate_generate_async:
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called in the thread-default main context
 *   when the certificate is made
 * @user_data: data for @callback
 *
 * Makes a certificate as [func@Nav.Certificate.generate] does, in a
 * worker thread.
 *
 * Since: 1.0
 */
void
nav_certificate_generate_async (GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, nav_certificate_generate_async);
  g_task_set_check_cancellable (task, TRUE);
  g_task_run_in_thread (task, generate_thread);
}

/**
 * nav_certificate_generate_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the certificate, or %NULL with @error set
 *
 * Since: 1.0
 */
NavCertificate *
nav_certificate_generate_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        nav_certificate_generate_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------ reading */

/**
 * nav_certificate_get_certificate_pem:
 * @self: a certificate
 *
 * Returns: (transfer full): the certificate, PEM-encoded
 *
 * Since: 1.0
 */
gchar *
nav_certificate_get_certificate_pem (NavCertificate *self)
{
  g_return_val_if_fail (NAV_IS_CERTIFICATE (self), NULL);

  return pem_encode (self->der, "CERTIFICATE");
}

/**
 * nav_certificate_get_private_key_pem:
 * @self: a certificate
 *
 * Returns: (nullable): the private key, PEM-encoded, %NULL for a
 *   certificate without one (the peer's).  Keep it secret.
 *
 * Since: 1.0
 */
const gchar *
nav_certificate_get_private_key_pem (NavCertificate *self)
{
  g_return_val_if_fail (NAV_IS_CERTIFICATE (self), NULL);

  return self->private_key_pem;
}

/**
 * nav_certificate_has_private_key:
 * @self: a certificate
 *
 * Returns: whether the certificate comes with its private key
 *
 * Since: 1.0
 */
gboolean
nav_certificate_has_private_key (NavCertificate *self)
{
  g_return_val_if_fail (NAV_IS_CERTIFICATE (self), FALSE);

  return self->private_key_pem != NULL;
}

/**
 * nav_certificate_get_der:
 * @self: a certificate
 *
 * Returns: (transfer none): the certificate, DER-encoded
 *
 * Since: 1.0
 */
GBytes *
nav_certificate_get_der (NavCertificate *self)
{
  g_return_val_if_fail (NAV_IS_CERTIFICATE (self), NULL);

  return self->der;
}

static gint
find_hash (const gchar *name,
           gsize        len)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (hash_functions); i++)
    if (strlen (hash_functions[i].name) == len &&
        g_ascii_strncasecmp (hash_functions[i].name, name, len) == 0)
      return (gint) i;
  return -1;
}

static gchar *
fingerprint_of (NavCertificate *self,
                guint           hash_index)
{
  const struct nettle_hash *hash = hash_functions[hash_index].hash;
  g_autofree guint8 *ctx = g_malloc (hash->context_size);
  guint8 digest[64];
  gsize len;
  const guint8 *data = g_bytes_get_data (self->der, &len);
  GString *out = g_string_sized_new (hash->digest_size * 3);
  guint i;

  hash->init (ctx);
  hash->update (ctx, len, data);
  hash->digest (ctx, hash->digest_size, digest);
  /* RFC 8122 §5: uppercase hex pairs separated by colons. */
  for (i = 0; i < hash->digest_size; i++)
    g_string_append_printf (out, i == 0 ? "%02X" : ":%02X", digest[i]);
  return g_string_free (out, FALSE);
}

/**
 * nav_certificate_get_fingerprint:
 * @self: a certificate
 * @algorithm: (nullable): a hash function's textual name (RFC 8122 §5):
 *   `sha-1`, `sha-224`, `sha-256`, `sha-384` or `sha-512`; %NULL for
 *   `sha-256`
 *
 * Returns the certificate's fingerprint as SDP writes it
 * (`4A:AD:B9:…`), without the algorithm's name.
 *
 * Returns: (transfer full) (nullable): the fingerprint, %NULL for an
 *   unknown @algorithm
 *
 * Since: 1.0
 */
gchar *
nav_certificate_get_fingerprint (NavCertificate *self,
                                 const gchar    *algorithm)
{
  gint index;

  g_return_val_if_fail (NAV_IS_CERTIFICATE (self), NULL);

  if (algorithm == NULL)
    algorithm = "sha-256";
  index = find_hash (algorithm, strlen (algorithm));
  return index >= 0 ? fingerprint_of (self, index) : NULL;
}

/* Splits "sha-256 AB:CD:…" (RFC 8122 §5: hash-func SP fingerprint).
 * Returns the hash function's index in hash_functions, -1 for a
 * well-formed fingerprint of an unknown function, -2 for a malformed
 * one; @hex gets the start of the fingerprint. */
static gint
parse_fingerprint (const gchar  *fingerprint,
                   const gchar **hex)
{
  const gchar *space, *p;
  gsize n_bytes = 0;
  gint index;

  if (fingerprint == NULL)
    return -2;
  space = strchr (fingerprint, ' ');
  if (space == NULL || space == fingerprint)
    return -2;
  for (p = fingerprint; p < space; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return -2;
  p = space;
  while (*p == ' ')
    p++;
  *hex = p;
  for (;;)
    {
      if (!g_ascii_isxdigit (p[0]) || !g_ascii_isxdigit (p[1]))
        return -2;
      n_bytes++;
      p += 2;
      if (*p == '\0' || g_ascii_isspace (*p))
        break;
      if (*p != ':')
        return -2;
      p++;
    }
  while (g_ascii_isspace (*p))
    p++;
  if (*p != '\0')
    return -2;
  index = find_hash (fingerprint, space - fingerprint);
  if (index >= 0 && n_bytes != hash_functions[index].hash->digest_size)
    return -2;
  return index;
}

/**
 * nav_certificate_fingerprint_is_valid:
 * @fingerprint: the value of an SDP `a=fingerprint` attribute
 *   (`sha-256 4A:AD:…`)
 *
 * Checks the syntax of a fingerprint (RFC 8122 §5): a hash function's
 * name, a space, and hex pairs separated by colons, as many as the hash
 * function gives when it is one we know.
 *
 * Returns: whether @fingerprint is well-formed
 *
 * Since: 1.0
 */
gboolean
nav_certificate_fingerprint_is_valid (const gchar *fingerprint)
{
  const gchar *hex;

  return parse_fingerprint (fingerprint, &hex) >= -1;
}

static gboolean
hex_equal (const gchar *a,
           const gchar *b)
{
  while (*a != '\0' && !g_ascii_isspace (*a) && *b != '\0')
    {
      if (g_ascii_tolower (*a) != g_ascii_tolower (*b))
        return FALSE;
      a++;
      b++;
    }
  return (*a == '\0' || g_ascii_isspace (*a)) && *b == '\0';
}

/**
 * nav_certificate_check_fingerprints:
 * @self: a certificate, the peer's
 * @fingerprints: (array zero-terminated=1): the fingerprints the peer
 *   signalled, each as the value of an SDP `a=fingerprint` attribute
 * @error: return location for a #GError
 *
 * Checks the peer's certificate against its signalled fingerprints as
 * RFC 8122 §5 says: of the hash functions the peer used that we know,
 * the strongest is chosen, and the certificate must match one of the
 * fingerprints made with it.  Hex digits may be in either case.
 *
 * Returns: %TRUE when the certificate matches; %FALSE with @error set
 *   otherwise: %NAV_DTLS_ERROR_BAD_FINGERPRINT when no fingerprint is
 *   well-formed with a known hash function,
 *   %NAV_DTLS_ERROR_FINGERPRINT_MISMATCH when none matches
 *
 * Since: 1.0
 */
gboolean
nav_certificate_check_fingerprints (NavCertificate       *self,
                                    const gchar * const  *fingerprints,
                                    GError              **error)
{
  gint best = -1;
  g_autofree gchar *ours = NULL;
  guint i;

  g_return_val_if_fail (NAV_IS_CERTIFICATE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (i = 0; fingerprints != NULL && fingerprints[i] != NULL; i++)
    {
      const gchar *hex;

      best = MAX (best, parse_fingerprint (fingerprints[i], &hex));
    }
  if (best < 0)
    {
      g_set_error_literal (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_BAD_FINGERPRINT,
                           _("The peer signalled no fingerprint with a hash function we know"));
      return FALSE;
    }
  ours = fingerprint_of (self, best);
  for (i = 0; fingerprints[i] != NULL; i++)
    {
      const gchar *hex;

      if (parse_fingerprint (fingerprints[i], &hex) == best && hex_equal (hex, ours))
        return TRUE;
    }
  g_set_error (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_FINGERPRINT_MISMATCH,
               _("The peer's certificate (%s %s) matches none of the fingerprints it signalled"),
               hash_functions[best].name, ours);
  return FALSE;
}
