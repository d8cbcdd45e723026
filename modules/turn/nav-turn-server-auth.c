/* nav-turn-server-auth.c: the TURN server's credentials (RFC 8489 §9.2):
 * users, TURN REST API credentials, nonces
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-server-private.h"
#include "nav-turn-client.h"    /* nav_turn_rest_password (), shared with the client */

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>

static gboolean
add_user (NavTurnServer  *self,
          const gchar    *entry,
          GError        **error)
{
  const gchar *colon = strchr (entry, ':');
  g_autofree gchar *name = NULL;
  const gchar *secret;
  GBytes *key;

  if (colon == NULL || colon == entry)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("A user is given as name:password, not “%s”"), entry);
      return FALSE;
    }
  name = g_strndup (entry, colon - entry);
  secret = colon + 1;
  if (g_str_has_prefix (secret, "0x") && strlen (secret) == 34)
    {
      /* coturn's hashed form: the MD5 long-term key in hexadecimal */
      guint8 k[16];
      guint i;

      for (i = 0; i < 16; i++)
        {
          gint hi = g_ascii_xdigit_value (secret[2 + 2 * i]);
          gint lo = g_ascii_xdigit_value (secret[3 + 2 * i]);

          if (hi < 0 || lo < 0)
            {
              g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("User “%s”: bad hexadecimal key"), name);
              return FALSE;
            }
          k[i] = (guint8) (hi << 4 | lo);
        }
      key = g_bytes_new (k, sizeof k);
    }
  else
    {
      key = nav_stun_derive_long_term_key (name, self->realm, secret,
                                           NAV_STUN_PASSWORD_ALGORITHM_MD5, error);
      if (key == NULL)
        return FALSE;
      g_hash_table_replace (self->user_passwords, g_strdup (name), g_strdup (secret));
    }
  g_hash_table_replace (self->user_keys, g_steal_pointer (&name), key);
  return TRUE;
}

gboolean
nav_turn_load_users (NavTurnServer  *self,
            GError        **error)
{
  guint i;

  if (self->users != NULL)
    for (i = 0; self->users[i] != NULL; i++)
      if (!add_user (self, self->users[i], error))
        return FALSE;
  if (self->userdb != NULL)
    {
      g_autofree gchar *contents = NULL;
      g_auto (GStrv) lines = NULL;

      if (!g_file_get_contents (self->userdb, &contents, NULL, error))
        return FALSE;
      lines = g_strsplit (contents, "\n", -1);
      for (i = 0; lines[i] != NULL; i++)
        {
          gchar *line = g_strstrip (lines[i]);

          if (line[0] == '\0' || line[0] == '#')
            continue;
          if (!add_user (self, line, error))
            {
              g_prefix_error (error, "%s:%u: ", self->userdb, i + 1);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* Nonces are stateless: an expiry time and a MAC of it, and of the
 * client's 5-tuple, under a secret of this process, so any nonce the
 * server made can be checked without a table, and none can be forged
 * (RFC 8489 §9.2.2).  The 5-tuple in the MAC binds the nonce to the
 * client's transport (RFC 8489 §9.2: the nonce "encodes the 5-tuple"): a
 * signed request captured and replayed from another socket carries a
 * nonce that is not that socket's, and gets 438 Stale Nonce, as coturn
 * answers.
 *
 * Each starts with the nonce cookie "obMatJos2" and the 24 security
 * feature bits in base64 (RFC 8489 §9.2.1): bit 0 (the first, most
 * significant) is "Password algorithms", so "gAAA".  The MAC covers the
 * cookie too: a man in the middle who strips PASSWORD-ALGORITHMS from a
 * 401 to force MD5 cannot also strip the bit from the nonce, and the
 * server then insists on the algorithm negotiation (§9.2.4). */
#define NONCE_COOKIE "obMatJos2" "gAAA"
#define NONCE_COOKIE_LENGTH 13
#define NONCE_LENGTH NAV_TURN_NONCE_LENGTH

/* What 401 and 438 answers offer, preferred first (RFC 8489 §14.11) */
const guint16 nav_turn_offered_algorithms[2] = {
  NAV_STUN_PASSWORD_ALGORITHM_SHA256, NAV_STUN_PASSWORD_ALGORITHM_MD5
};

/* A client's 5-tuple: transport, client address, server address. */
static void
hash_five_tuple (GHmac            *hmac,
                 const gchar      *transport,
                 const NavAddress *client,
                 const NavAddress *server)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  g_hmac_update (hmac, (const guchar *) transport, strlen (transport) + 1);
  nav_address_to_string_buf (client, buf);
  g_hmac_update (hmac, (const guchar *) buf, strlen (buf) + 1);
  nav_address_to_string_buf (server, buf);
  g_hmac_update (hmac, (const guchar *) buf, strlen (buf) + 1);
}

static void
nonce_mac_for (NavTurnServer    *self,
               const gchar      *head,  /* NONCE_COOKIE_LENGTH + 16 bytes */
               const gchar      *transport,
               const NavAddress *client,
               const NavAddress *server,
               gchar            *out    /* 17 bytes */)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, self->nonce_secret, sizeof self->nonce_secret);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) head, NONCE_COOKIE_LENGTH + 16);
  hash_five_tuple (hmac, transport, client, server);
  g_hmac_get_digest (hmac, digest, &len);
  for (guint i = 0; i < 8; i++)
    g_snprintf (out + 2 * i, 3, "%02x", digest[i]);
}

/* The nonce's MAC for the 5-tuple the request came on. */
static void
nonce_mac (Request     *r,
           const gchar *head,
           gchar       *out)
{
  const gchar *transport = r->conn == NULL ? "udp" : r->conn->tls ? "tls" : "tcp";

  nonce_mac_for (r->self, head, transport, r->from, r->local, out);
}

/* RFC 6062 §4.4: a client sends ConnectionBind on a new data connection
 * with the credentials, and so the nonce, of its control connection.
 * Such a nonce is bound to the control connection's 5-tuple: it is
 * accepted when the CONNECTION-ID names a connection of an allocation
 * whose control connection has that 5-tuple (a replay from anywhere else
 * still gets 438; the connection id is good for one bind). */
static gboolean
nonce_is_control_connections (Request     *r,
                              const gchar *nonce,
                              gchar       *mac)
{
  TcpRelay *relay;
  Conn *control;
  guint32 id;

  if (r->method != NAV_STUN_METHOD_CONNECTION_BIND || r->conn == NULL || r->conn->alloc != NULL ||
      !nav_stun_message_get_uint32 (r->msg, NAV_STUN_ATTRIBUTE_CONNECTION_ID, &id, NULL))
    return FALSE;
  relay = g_hash_table_lookup (r->self->tcp_relays, GUINT_TO_POINTER (id));
  if (relay == NULL || relay->alloc == NULL || relay->alloc->conn == NULL)
    return FALSE;
  control = relay->alloc->conn;
  nonce_mac_for (r->self, nonce, control->tls ? "tls" : "tcp", &control->remote, &control->local,
                 mac);
  return memcmp (mac, nonce + NONCE_COOKIE_LENGTH + 16, 16) == 0;
}

void
nav_turn_make_nonce (Request *r,
                     gchar   *out /* NONCE_LENGTH + 1 bytes */)
{
  guint64 expiry = (guint64) (g_get_real_time () / G_USEC_PER_SEC) + r->self->stale_nonce;

  g_snprintf (out, NONCE_COOKIE_LENGTH + 17, NONCE_COOKIE "%016" G_GINT64_MODIFIER "x", expiry);
  nonce_mac (r, out, out + NONCE_COOKIE_LENGTH + 16);
  out[NONCE_LENGTH] = '\0';
}

/* TRUE when the server made @nonce for this client's 5-tuple and it has
 * not expired; otherwise the answer is 438. */
static gboolean
nonce_valid (Request     *r,
             const gchar *nonce)
{
  gchar mac[17];
  gchar expiry_hex[17];
  guint64 expiry;

  if (nonce == NULL || strlen (nonce) != NONCE_LENGTH ||
      memcmp (nonce, NONCE_COOKIE, NONCE_COOKIE_LENGTH) != 0)
    return FALSE;
  nonce_mac (r, nonce, mac);
  if (memcmp (mac, nonce + NONCE_COOKIE_LENGTH + 16, 16) != 0 &&
      !nonce_is_control_connections (r, nonce, mac))
    return FALSE;
  memcpy (expiry_hex, nonce + NONCE_COOKIE_LENGTH, 16);
  expiry_hex[16] = '\0';
  expiry = g_ascii_strtoull (expiry_hex, NULL, 16);
  return expiry > (guint64) (g_get_real_time () / G_USEC_PER_SEC);
}

static gboolean
lookup_key (NavTurnServer *self,
            const gchar   *username,
            guint          algorithm,
            guint8        *key,
            gsize         *key_len)
{
  g_autoptr (GBytes) derived = NULL;

  if (self->use_auth_secret && self->static_auth_secret != NULL)
    {
      /* TURN REST API: "expiry:name" (or just "expiry"), valid until
       * then.  A timestamp beyond 64 bits (signed, a time_t's) is no
       * timestamp: refused, as coturn does, rather than read as never
       * expiring. */
      g_autofree gchar *password = NULL;
      guint64 expiry;
      gchar *end = NULL;

      errno = 0;
      expiry = g_ascii_strtoull (username, &end, 10);
      if (end != username && (*end == ':' || *end == '\0') && errno != ERANGE &&
          g_ascii_isdigit (username[0]) && expiry <= (guint64) G_MAXINT64 &&
          expiry > (guint64) (g_get_real_time () / G_USEC_PER_SEC))
        {
          password = nav_turn_rest_password (self->static_auth_secret, username);
          derived = nav_stun_derive_long_term_key (username, self->realm, password, algorithm, NULL);
        }
    }
  if (derived == NULL && self->lt_cred_mech)
    {
      if (algorithm == NAV_STUN_PASSWORD_ALGORITHM_SHA256)
        {
          const gchar *password = g_hash_table_lookup (self->user_passwords, username);

          if (password != NULL)
            derived = nav_stun_derive_long_term_key (username, self->realm, password, algorithm, NULL);
        }
      else
        {
          GBytes *k = g_hash_table_lookup (self->user_keys, username);

          if (k != NULL)
            derived = g_bytes_ref (k);
        }
    }
  if (derived == NULL)
    return FALSE;
  *key_len = MIN (g_bytes_get_size (derived), 32);
  memcpy (key, g_bytes_get_data (derived, NULL), *key_len);
  return TRUE;
}

/* RFC 8489 §9.2.4 with a nonce whose cookie has the "Password
 * algorithms" bit (all of ours): a request with neither
 * PASSWORD-ALGORITHMS nor PASSWORD-ALGORITHM uses MD5; one with both must
 * echo the list the server offered, unchanged (or a man in the middle
 * bid it down), and pick one of it; one with only either is malformed.
 * Returns FALSE for a 400. */
static gboolean
check_password_algorithms (const NavStunMessage *msg,
                           guint                *algorithm)
{
  gboolean has_list = nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS);
  gboolean has_choice = nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHM);
  g_autofree guint16 *list = NULL;
  gsize n = 0, i;

  *algorithm = NAV_STUN_PASSWORD_ALGORITHM_MD5;
  if (!has_list && !has_choice)
    return TRUE;
  if (!has_list || !has_choice)
    return FALSE;
  list = nav_stun_message_get_password_algorithms (msg, &n, NULL);
  if (list == NULL || n != G_N_ELEMENTS (nav_turn_offered_algorithms))
    return FALSE;
  for (i = 0; i < n; i++)
    if (list[i] != nav_turn_offered_algorithms[i])
      return FALSE;
  if (!nav_stun_message_get_password_algorithm (msg, algorithm, NULL))
    return FALSE;
  return *algorithm == NAV_STUN_PASSWORD_ALGORITHM_MD5 ||
         *algorithm == NAV_STUN_PASSWORD_ALGORITHM_SHA256;
}

/* The log lines are for operators' tools (fail2ban, grep): a name the
 * client chose is quoted, with quotes, backslashes and control bytes
 * escaped, so that it cannot forge a line or a key of its own. */
static gchar *
log_quote (const gchar *text)
{
  GString *s = g_string_new (NULL);
  const guchar *p;

  for (p = (const guchar *) (text != NULL ? text : ""); *p != '\0' && s->len < 256; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (s, "\\%c", *p);
      else if (*p < 0x20 || *p == 0x7f)
        g_string_append_printf (s, "\\x%02x", *p);
      else
        g_string_append_c (s, (gchar) *p);
    }
  return g_string_free (s, FALSE);
}

/* A request that carried credentials the server refused: the normal 401
 * challenge of a first request (no MESSAGE-INTEGRITY) and a 438 stale
 * nonce are not failures; an unknown user, a wrong realm or a bad
 * MESSAGE-INTEGRITY are (RFC 8489 §9.2.4), logged at info and counted
 * as auth-failures.  docs/servers.md has a fail2ban filter for the line. */
static void
auth_failed (Request     *r,
             const gchar *username,
             const gchar *reason)
{
  gchar client[NAV_ADDRESS_STRING_LEN];
  g_autofree gchar *user = log_quote (username);

  COUNT (r->w, auth_failures);
  g_info ("event=auth-failed client=%s via=%s user=\"%s\" reason=%s",
          nav_address_to_string_buf (r->from, client),
          r->conn == NULL ? "udp" : r->conn->tls ? "tls" : "tcp", user, reason);
}

/* RFC 8489 §9.2.4.  Returns TRUE when the request may go on; otherwise
 * the error response is in r->out and *resp its size. */
gboolean
nav_turn_authenticate (Request *r,
              gsize   *resp)
{
  NavTurnServer *self = r->self;
  g_autofree gchar *username = NULL;
  g_autofree gchar *realm = NULL;
  g_autofree gchar *nonce = NULL;
  guint algorithm = NAV_STUN_PASSWORD_ALGORITHM_MD5;

  if (self->no_auth)
    return TRUE;

  if (!nav_stun_message_has_message_integrity (r->msg) &&
      !nav_stun_message_has_message_integrity_sha256 (r->msg))
    {
      *resp = nav_turn_respond_error (r, 401);
      return FALSE;
    }
  username = nav_stun_message_get_username (r->msg, NULL);
  realm = nav_stun_message_get_realm (r->msg, NULL);
  nonce = nav_stun_message_get_nonce (r->msg, NULL);
  if (username == NULL || realm == NULL || nonce == NULL)
    {
      *resp = nav_turn_respond_error (r, 400);
      return FALSE;
    }
  if (!nonce_valid (r, nonce))
    {
      *resp = nav_turn_respond_error (r, 438);
      return FALSE;
    }
  if (g_strcmp0 (realm, self->realm) != 0)
    {
      auth_failed (r, username, "wrong-realm");
      *resp = nav_turn_respond_error (r, 401);
      return FALSE;
    }
  if (!check_password_algorithms (r->msg, &algorithm))
    {
      *resp = nav_turn_respond_error (r, 400);
      return FALSE;
    }
  if (r->alloc != NULL && r->alloc->username != NULL &&
      g_strcmp0 (username, r->alloc->username) != 0)
    {
      /* RFC 8656 §6.2: the allocation belongs to another user */
      *resp = nav_turn_respond_error (r, 441);
      return FALSE;
    }
  r->algorithm = algorithm;
  r->integrity_sha256 = nav_stun_message_has_message_integrity_sha256 (r->msg);
  if (r->alloc != NULL && r->alloc->auth_key_len > 0 && r->alloc->auth_algorithm == algorithm)
    {
      memcpy (r->key, r->alloc->auth_key, r->alloc->auth_key_len);
      r->key_len = r->alloc->auth_key_len;
    }
  else if (!lookup_key (self, username, algorithm, r->key, &r->key_len))
    {
      auth_failed (r, username, "unknown-user");
      *resp = nav_turn_respond_error (r, 401);
      return FALSE;
    }
  if (!nav_stun_message_check_integrity (r->msg, r->key, r->key_len, NULL))
    {
      r->key_len = 0;
      auth_failed (r, username, "bad-integrity");
      *resp = nav_turn_respond_error (r, 401);
      return FALSE;
    }
  r->authenticated = TRUE;
  if (algorithm == NAV_STUN_PASSWORD_ALGORITHM_SHA256)
    COUNT (r->w, auth_sha256);
  else
    COUNT (r->w, auth_md5);
  r->username = g_steal_pointer (&username);
  return TRUE;
}

