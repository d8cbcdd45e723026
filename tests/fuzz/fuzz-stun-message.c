/* fuzz-stun-message.c: libFuzzer target for the STUN codec
 *
 * Parses the input, reads every attribute with every getter, checks
 * integrity with a fixed key, then rebuilds the message from its
 * attributes (with new integrity and fingerprint) and checks that the
 * rebuilt message parses back to the same attributes.  The same file is
 * linked into fuzz-stun-replay (run-fuzz-replay.c), which every build runs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netavanue/netavanue.h>

#include "nav-stun-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static const guint8 fuzz_key[] = "fuzzing key";

/* abort () rather than g_assert (), which G_DISABLE_ASSERT would remove */
#define FUZZ_CHECK(cond) G_STMT_START { if (!(cond)) abort (); } G_STMT_END

static void
read_everything (NavStunMessage *message)
{
  NavAddress address;
  NavStunChangeRequestFlags change;
  GSocketFamily family;
  gboolean flag;
  guint32 u32;
  guint64 u64;
  guint16 u16;
  guint8 u8, u8b;
  guint code;
  gsize n, length;
  gchar *text = NULL;
  guint i;

  FUZZ_CHECK (nav_stun_message_get_transaction_id (message) != NULL);
  nav_stun_message_get_class (message);
  nav_stun_message_get_method (message);

  for (i = 0; i < nav_stun_message_get_n_attributes (message); i++)
    {
      const guint8 *value;
      guint16 type;

      value = nav_stun_message_get_attribute_nth (message, i, &type, &length);
      FUZZ_CHECK (value != NULL);
      FUZZ_CHECK (nav_stun_message_find_attribute (message, type, 0) <= (gint) i);
      nav_stun_message_get_address_nth (message, i, &address, NULL);
      nav_stun_message_get_xor_address_nth (message, i, &address, NULL);
      nav_stun_message_get_uint32 (message, type, &u32, NULL);
      nav_stun_message_get_uint64 (message, type, &u64, NULL);
      g_free (nav_stun_message_get_string (message, type, NULL));
      nav_stun_message_get_address_family (message, type, &family, NULL);
    }

  g_free (nav_stun_message_get_username (message, NULL));
  g_free (nav_stun_message_get_realm (message, NULL));
  g_free (nav_stun_message_get_nonce (message, NULL));
  g_free (nav_stun_message_get_software (message, NULL));
  g_free (nav_stun_message_get_alternate_domain (message, NULL));
  nav_stun_message_get_userhash (message, NULL);
  if (nav_stun_message_get_error_code (message, &code, &text, NULL))
    FUZZ_CHECK (code >= 300 && code <= 699 && text != NULL);
  g_clear_pointer (&text, g_free);
  nav_stun_message_get_address_error_code (message, &family, &code, &text,
                                           NULL);
  g_clear_pointer (&text, g_free);
  g_free (nav_stun_message_get_unknown_attributes (message, &n, NULL));
  g_free (nav_stun_message_get_password_algorithms (message, &n, NULL));
  nav_stun_message_get_password_algorithm (message, &code, NULL);
  nav_stun_message_get_mapped_address (message, &address, NULL);
  nav_stun_message_get_xor_mapped_address (message, &address, NULL);
  nav_stun_message_get_alternate_server (message, &address, NULL);
  nav_stun_message_get_response_origin (message, &address, NULL);
  nav_stun_message_get_other_address (message, &address, NULL);
  nav_stun_message_get_xor_address (message, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                    &address, NULL);
  nav_stun_message_get_xor_address (message,
                                    NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
                                    &address, NULL);
  nav_stun_message_get_priority (message, &u32, NULL);
  nav_stun_message_get_use_candidate (message);
  nav_stun_message_get_ice_controlled (message, &u64, NULL);
  nav_stun_message_get_ice_controlling (message, &u64, NULL);
  nav_stun_message_get_change_request (message, &change, NULL);
  nav_stun_message_get_response_port (message, &u16, NULL);
  if (nav_stun_message_get_channel_number (message, &u16, NULL))
    FUZZ_CHECK (u16 >= NAV_STUN_CHANNEL_NUMBER_MIN &&
                u16 <= NAV_STUN_CHANNEL_NUMBER_MAX);
  nav_stun_message_get_requested_transport (message, &u8, NULL);
  nav_stun_message_get_even_port (message, &flag, NULL);
  nav_stun_message_get_icmp (message, &u8, &u8b, &u32, NULL);
  g_bytes_unref (nav_stun_message_get_bytes (message));
  {
    GBytes *bytes = nav_stun_message_dup_attribute_bytes (message,
                                                          NAV_STUN_ATTRIBUTE_DATA);
    if (bytes != NULL)
      g_bytes_unref (bytes);
  }
  nav_stun_message_check_integrity (message, fuzz_key, sizeof fuzz_key - 1,
                                    NULL);
}

static gboolean
is_trailer (guint16 type)
{
  return type == NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY ||
         type == NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256 ||
         type == NAV_STUN_ATTRIBUTE_FINGERPRINT;
}

static void
rebuild (NavStunMessage *message)
{
  NavStunMessageBuilder *builder;
  NavStunMessage *again;
  GBytes *bytes;
  GError *error = NULL;
  guint i, j, n_kept = 0;

  builder = nav_stun_message_builder_new (nav_stun_message_get_class (message),
                                          nav_stun_message_get_method (message),
                                          nav_stun_message_get_transaction_id (message));
  for (i = 0; i < nav_stun_message_get_n_attributes (message); i++)
    {
      const guint8 *value;
      guint16 type;
      gsize length;

      value = nav_stun_message_get_attribute_nth (message, i, &type, &length);
      if (is_trailer (type))
        continue;
      nav_stun_message_builder_add_attribute (builder, type, value, length,
                                              NULL);
      n_kept++;
    }
  nav_stun_message_builder_add_message_integrity (builder, fuzz_key,
                                                  sizeof fuzz_key - 1, NULL);
  nav_stun_message_builder_add_message_integrity_sha256 (builder, fuzz_key,
                                                         sizeof fuzz_key - 1,
                                                         16, NULL);
  nav_stun_message_builder_add_fingerprint (builder, NULL);
  bytes = nav_stun_message_builder_finish (builder, &error);
  nav_stun_message_builder_unref (builder);
  if (bytes == NULL)
    {
      /* Only a message too large to take the trailers may fail. */
      FUZZ_CHECK (g_error_matches (error, NAV_STUN_ERROR,
                                   NAV_STUN_ERROR_TOO_LARGE));
      g_error_free (error);
      return;
    }

  again = nav_stun_message_parse_bytes (bytes,
                                        NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED |
                                        NAV_STUN_PARSE_REQUIRE_FINGERPRINT,
                                        &error);
  FUZZ_CHECK (again != NULL && error == NULL);
  FUZZ_CHECK (nav_stun_message_is_stun (g_bytes_get_data (bytes, NULL),
                                        g_bytes_get_size (bytes)));
  FUZZ_CHECK (nav_stun_message_get_n_attributes (again) == n_kept + 3);
  FUZZ_CHECK (nav_stun_message_get_class (again) ==
              nav_stun_message_get_class (message));
  FUZZ_CHECK (nav_stun_message_get_method (again) ==
              nav_stun_message_get_method (message));
  FUZZ_CHECK (nav_stun_message_check_integrity (again, fuzz_key,
                                                sizeof fuzz_key - 1, NULL));

  for (i = 0, j = 0; i < nav_stun_message_get_n_attributes (message); i++)
    {
      const guint8 *a, *b;
      guint16 type_a, type_b;
      gsize length_a, length_b;

      a = nav_stun_message_get_attribute_nth (message, i, &type_a, &length_a);
      if (is_trailer (type_a))
        continue;
      b = nav_stun_message_get_attribute_nth (again, j++, &type_b, &length_b);
      FUZZ_CHECK (type_a == type_b && length_a == length_b);
      FUZZ_CHECK (length_a == 0 || memcmp (a, b, length_a) == 0);
    }
  nav_stun_message_unref (again);
  g_bytes_unref (bytes);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  NavStunMessage *message;
  GError *error = NULL;
  const guint8 *payload;
  gsize payload_length;
  guint16 channel;
  gssize peeked;

  /* Framing and demultiplexing helpers */
  peeked = nav_stun_message_peek_length (data, size);
  if (nav_stun_message_is_stun (data, size))
    FUZZ_CHECK (peeked == (gssize) size);
  nav_stun_message_peek_type (data, size, NULL, NULL);
  nav_stun_channel_data_peek_length (data, size, TRUE);
  payload = nav_stun_channel_data_parse (data, size, &channel, &payload_length,
                                         NULL);
  if (payload != NULL)
    FUZZ_CHECK (payload + payload_length <= data + size);

  /* Strict parsing: the unknown-attribute list of the error */
  message = nav_stun_message_parse (data, size, &error);
  if (message == NULL)
    {
      gsize n;

      FUZZ_CHECK (error != NULL && error->domain == NAV_STUN_ERROR);
      if (error->code == NAV_STUN_ERROR_UNKNOWN_REQUIRED_ATTRIBUTES)
        FUZZ_CHECK (nav_stun_error_get_unknown_attributes (error, &n) != NULL &&
                    n > 0);
      g_clear_error (&error);
    }
  else
    {
      nav_stun_message_unref (message);
    }

  message = nav_stun_message_parse_full (data, size,
                                         NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED,
                                         &error);
  if (message == NULL)
    {
      g_clear_error (&error);
      return 0;
    }
  FUZZ_CHECK (nav_stun_message_is_stun (data, size));
  read_everything (message);
  rebuild (message);
  nav_stun_message_unref (message);
  return 0;
}
