/* nav-device-identity.c: the device's Ed25519 key pair and stable id
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <nettle/eddsa.h>
#include <nettle/sha2.h>

#include "netavanue/netavanue.h"
#include "nav-election-private.h"

G_DEFINE_QUARK (nav-election-error-quark, nav_election_error)

/**
 * NavDeviceIdentity:
 *
 * The device's own Ed25519 key pair (RFC 8032), created on first use and
 * kept in `$XDG_CONFIG_HOME/netavanue/device-identity` (mode 0600, written
 * atomically), and the stable device id derived from its public key: the
 * first 16 bytes of SHA-256 (public key), in lower-case hex.  The id does
 * not depend on MAC addresses or host names, and changes only if the file
 * is removed.
 *
 * Capability records ([struct@Nav.CapabilityRecord]) are signed with this
 * key, and a member of a group is known by it.
 *
 * Since: 1.0
 */

/* The file: magic, the 32-byte private key (the seed of RFC 8032
 * §5.1.5), the 32-byte public key derived from it. */
#define IDENTITY_MAGIC "NAVID\x01\0\0"
#define IDENTITY_MAGIC_SIZE 8
#define KEY_SIZE 32
#define IDENTITY_FILE_SIZE (IDENTITY_MAGIC_SIZE + 2 * KEY_SIZE)
#define DEVICE_ID_BYTES 16

struct _NavDeviceIdentity
{
  GObject parent_instance;

  guint8 private_key[KEY_SIZE];
  guint8 public_key[KEY_SIZE];
  gchar *device_id;
  gchar *path;
};

enum {
  PROP_0,
  PROP_DEVICE_ID,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (NavDeviceIdentity, nav_device_identity, G_TYPE_OBJECT)

static void
nav_device_identity_finalize (GObject *object)
{
  NavDeviceIdentity *self = NAV_DEVICE_IDENTITY (object);

  memset (self->private_key, 0, sizeof self->private_key);
  g_free (self->device_id);
  g_free (self->path);
  G_OBJECT_CLASS (nav_device_identity_parent_class)->finalize (object);
}

static void
nav_device_identity_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  NavDeviceIdentity *self = NAV_DEVICE_IDENTITY (object);

  switch (prop_id)
    {
    case PROP_DEVICE_ID:
      g_value_set_string (value, self->device_id);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_device_identity_class_init (NavDeviceIdentityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = nav_device_identity_finalize;
  object_class->get_property = nav_device_identity_get_property;

  /**
   * NavDeviceIdentity:device-id:
   *
   * The stable device id: 32 lower-case hex digits, the first 16 bytes
   * of SHA-256 of the public key.
   *
   * Since: 1.0
   */
  properties[PROP_DEVICE_ID] =
    g_param_spec_string ("device-id", NULL, NULL, NULL, ro);

  /**
   * NavDeviceIdentity:path:
   *
   * The file the key pair is kept in, or %NULL for an ephemeral identity.
   *
   * Since: 1.0
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nav_device_identity_init (NavDeviceIdentity *self)
{
}

static gchar *
device_id_from_key (const guint8 *public_key)
{
  struct sha256_ctx ctx;
  guint8 digest[SHA256_DIGEST_SIZE];
  GString *s = g_string_sized_new (2 * DEVICE_ID_BYTES);
  gsize i;

  sha256_init (&ctx);
  sha256_update (&ctx, KEY_SIZE, public_key);
  sha256_digest (&ctx, sizeof digest, digest);
  for (i = 0; i < DEVICE_ID_BYTES; i++)
    g_string_append_printf (s, "%02x", digest[i]);
  return g_string_free (s, FALSE);
}

/**
 * nav_device_id_from_public_key:
 * @public_key: an Ed25519 public key (%NAV_DEVICE_PUBLIC_KEY_SIZE bytes)
 *
 * The device id of a public key, as [property@Nav.DeviceIdentity:device-id].
 *
 * Returns: (transfer full) (nullable): the id, or %NULL if @public_key has
 *   the wrong size
 *
 * Since: 1.0
 */
gchar *
nav_device_id_from_public_key (GBytes *public_key)
{
  g_return_val_if_fail (public_key != NULL, NULL);

  if (g_bytes_get_size (public_key) != KEY_SIZE)
    return NULL;
  return device_id_from_key (g_bytes_get_data (public_key, NULL));
}

static gboolean
random_bytes (guint8 *buffer,
              gsize   length)
{
  gsize done = 0;

  while (done < length)
    {
      gssize n = getrandom (buffer + done, length - done, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      done += n;
    }
  return TRUE;
}

static NavDeviceIdentity *
identity_from_private (const guint8 *private_key,
                       const gchar  *path)
{
  NavDeviceIdentity *self = g_object_new (NAV_TYPE_DEVICE_IDENTITY, NULL);

  memcpy (self->private_key, private_key, KEY_SIZE);
  ed25519_sha512_public_key (self->public_key, self->private_key);
  self->device_id = device_id_from_key (self->public_key);
  self->path = g_strdup (path);
  return self;
}

/**
 * nav_device_identity_new_ephemeral:
 *
 * A fresh key pair kept in memory only (tests, and processes that must
 * not share the device's identity).
 *
 * Returns: (transfer full): the identity
 *
 * Since: 1.0
 */
NavDeviceIdentity *
nav_device_identity_new_ephemeral (void)
{
  guint8 seed[KEY_SIZE];
  NavDeviceIdentity *self;

  if (!random_bytes (seed, sizeof seed))
    g_error ("getrandom() failed: %s", g_strerror (errno));
  self = identity_from_private (seed, NULL);
  memset (seed, 0, sizeof seed);
  return self;
}

/**
 * nav_device_identity_load:
 * @path: the key file
 *
 * Reads the key pair from @path, or creates it there (mode 0600, written
 * atomically: a crash leaves either no file or a whole one) when @path
 * does not exist.  The parent directory is created (mode 0700) if needed.
 *
 * Returns: (transfer full): the identity, or %NULL with @error set
 *   (%NAV_ELECTION_ERROR_CORRUPT_IDENTITY for a file that is not a key
 *   pair, %NAV_ELECTION_ERROR_IO when it cannot be read or written)
 *
 * Since: 1.0
 */
NavDeviceIdentity *
nav_device_identity_load (const gchar  *path,
                          GError      **error)
{
  g_autofree gchar *contents = NULL;
  g_autofree gchar *dir = NULL;
  g_autoptr (GError) local_error = NULL;
  NavDeviceIdentity *self;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_file_get_contents (path, &contents, &length, &local_error))
    {
      guint8 derived[KEY_SIZE];

      if (length != IDENTITY_FILE_SIZE ||
          memcmp (contents, IDENTITY_MAGIC, IDENTITY_MAGIC_SIZE) != 0)
        {
          g_set_error (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_CORRUPT_IDENTITY,
                       _("The device identity file %s is corrupt (%lu bytes, expected a NetAvanue key pair of %d bytes); remove it to create a new identity"),
                       path, (unsigned long) length, IDENTITY_FILE_SIZE);
          memset (contents, 0, length);
          return NULL;
        }
      ed25519_sha512_public_key (derived, (const guint8 *) contents + IDENTITY_MAGIC_SIZE);
      if (memcmp (derived, contents + IDENTITY_MAGIC_SIZE + KEY_SIZE, KEY_SIZE) != 0)
        {
          g_set_error (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_CORRUPT_IDENTITY,
                       _("The device identity file %s is corrupt: its public key does not match its private key; remove it to create a new identity"),
                       path);
          memset (contents, 0, length);
          return NULL;
        }
      self = identity_from_private ((const guint8 *) contents + IDENTITY_MAGIC_SIZE, path);
      memset (contents, 0, length);
      return self;
    }

  if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_IO,
                   _("Cannot read the device identity: %s"), local_error->message);
      return NULL;
    }

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_IO,
                   _("Cannot create the directory %s: %s"), dir, g_strerror (saved));
      return NULL;
    }

  self = nav_device_identity_new_ephemeral ();
  {
    guint8 file[IDENTITY_FILE_SIZE];

    memcpy (file, IDENTITY_MAGIC, IDENTITY_MAGIC_SIZE);
    memcpy (file + IDENTITY_MAGIC_SIZE, self->private_key, KEY_SIZE);
    memcpy (file + IDENTITY_MAGIC_SIZE + KEY_SIZE, self->public_key, KEY_SIZE);
    g_clear_error (&local_error);
    /* Written to a temporary file of mode 0600, synced, then renamed. */
    if (!g_file_set_contents_full (path, (const gchar *) file, sizeof file,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
      {
        memset (file, 0, sizeof file);
        g_set_error (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_IO,
                     _("Cannot write the device identity: %s"), local_error->message);
        g_object_unref (self);
        return NULL;
      }
    memset (file, 0, sizeof file);
  }
  self->path = g_strdup (path);
  return self;
}

/**
 * nav_device_identity_load_default:
 * @error: return location for a #GError
 *
 * nav_device_identity_load() of `netavanue/device-identity` in the user's
 * configuration directory (`$XDG_CONFIG_HOME`, by default `~/.config`).
 *
 * Returns: (transfer full): the identity, or %NULL with @error set
 *
 * Since: 1.0
 */
NavDeviceIdentity *
nav_device_identity_load_default (GError **error)
{
  g_autofree gchar *path = g_build_filename (g_get_user_config_dir (), "netavanue",
                                             "device-identity", NULL);

  return nav_device_identity_load (path, error);
}

/**
 * nav_device_identity_get_device_id:
 * @self: an identity
 *
 * Returns: the stable device id, see [property@Nav.DeviceIdentity:device-id]
 *
 * Since: 1.0
 */
const gchar *
nav_device_identity_get_device_id (NavDeviceIdentity *self)
{
  g_return_val_if_fail (NAV_IS_DEVICE_IDENTITY (self), NULL);
  return self->device_id;
}

/**
 * nav_device_identity_get_public_key:
 * @self: an identity
 *
 * Returns: (transfer full): the 32-byte Ed25519 public key
 *
 * Since: 1.0
 */
GBytes *
nav_device_identity_get_public_key (NavDeviceIdentity *self)
{
  g_return_val_if_fail (NAV_IS_DEVICE_IDENTITY (self), NULL);
  return g_bytes_new (self->public_key, KEY_SIZE);
}

/* For the records, without a GBytes. */
void
nav_device_identity_sign_raw (NavDeviceIdentity *self,
                              const guint8      *data,
                              gsize              length,
                              guint8            *signature)
{
  ed25519_sha512_sign (self->public_key, self->private_key, length, data, signature);
}

/**
 * nav_device_identity_sign:
 * @self: an identity
 * @data: the message
 *
 * Signs @data (Ed25519, RFC 8032 §5.1.6).
 *
 * Returns: (transfer full): the 64-byte signature
 *
 * Since: 1.0
 */
GBytes *
nav_device_identity_sign (NavDeviceIdentity *self,
                          GBytes            *data)
{
  guint8 signature[NAV_DEVICE_SIGNATURE_SIZE];
  gsize length;
  const guint8 *p;

  g_return_val_if_fail (NAV_IS_DEVICE_IDENTITY (self), NULL);
  g_return_val_if_fail (data != NULL, NULL);

  p = g_bytes_get_data (data, &length);
  nav_device_identity_sign_raw (self, p, length, signature);
  return g_bytes_new (signature, sizeof signature);
}

/**
 * nav_device_identity_verify:
 * @public_key: a 32-byte Ed25519 public key
 * @data: the message
 * @signature: the 64-byte signature
 *
 * Verifies a signature (RFC 8032 §5.1.7).
 *
 * Returns: whether @signature is @public_key's signature of @data
 *
 * Since: 1.0
 */
gboolean
nav_device_identity_verify (GBytes *public_key,
                            GBytes *data,
                            GBytes *signature)
{
  gsize length;
  const guint8 *p;

  g_return_val_if_fail (public_key != NULL && data != NULL && signature != NULL, FALSE);

  if (g_bytes_get_size (public_key) != KEY_SIZE ||
      g_bytes_get_size (signature) != NAV_DEVICE_SIGNATURE_SIZE)
    return FALSE;
  p = g_bytes_get_data (data, &length);
  return ed25519_sha512_verify (g_bytes_get_data (public_key, NULL), length, p,
                                g_bytes_get_data (signature, NULL)) == 1;
}
