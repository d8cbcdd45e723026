/* nav-error.h: the error domains of the core library
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <glib.h>
#include <netavanue/nav-version.h>

G_BEGIN_DECLS

/**
 * NAV_ERROR:
 *
 * Error domain for the core value types and general failures.  Errors in
 * this domain are from the [error@Nav.Error] enumeration.
 *
 * Since: 1.0
 */
#define NAV_ERROR (nav_error_quark ())

/**
 * NavError:
 * @NAV_ERROR_FAILED: a failure with no more specific code.
 * @NAV_ERROR_INVALID_ARGUMENT: an argument given by the caller is not valid.
 * @NAV_ERROR_INVALID_ADDRESS: a text or socket address could not be read
 *   as an IPv4 or IPv6 transport address.
 * @NAV_ERROR_NOT_SUPPORTED: the operation is not supported by this
 *   implementation.
 * @NAV_ERROR_CLOSED: the object has been closed.
 * @NAV_ERROR_TIMED_OUT: the operation did not complete in time.
 *
 * Error codes of the `NAV_ERROR` domain.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_ERROR_FAILED,
  NAV_ERROR_INVALID_ARGUMENT,
  NAV_ERROR_INVALID_ADDRESS,
  NAV_ERROR_NOT_SUPPORTED,
  NAV_ERROR_CLOSED,
  NAV_ERROR_TIMED_OUT,
} NavError;

/**
 * NAV_TRANSPORT_ERROR:
 *
 * Error domain of [iface@Nav.Transport] implementations.  Errors in this
 * domain are from the [error@Nav.TransportError] enumeration.
 *
 * Since: 1.0
 */
#define NAV_TRANSPORT_ERROR (nav_transport_error_quark ())

/**
 * NavTransportError:
 * @NAV_TRANSPORT_ERROR_FAILED: a failure with no more specific code.
 * @NAV_TRANSPORT_ERROR_BIND_FAILED: the local address could not be bound.
 * @NAV_TRANSPORT_ERROR_NO_PORT_AVAILABLE: every port of the requested range
 *   is in use.
 * @NAV_TRANSPORT_ERROR_ADDRESS_FAMILY: the destination's address family does
 *   not match the transport's.
 * @NAV_TRANSPORT_ERROR_MESSAGE_TOO_LARGE: the message does not fit in one
 *   datagram or frame of this transport.
 * @NAV_TRANSPORT_ERROR_WOULD_BLOCK: the send buffer is full; try again when
 *   the transport is writable.
 * @NAV_TRANSPORT_ERROR_CLOSED: the transport is closed.
 * @NAV_TRANSPORT_ERROR_NOT_CONNECTED: a connection-oriented transport has no
 *   connection to the destination (yet).
 * @NAV_TRANSPORT_ERROR_PROTOCOL: the peer sent bytes that break the framing
 *   of the transport.
 *
 * Error codes of the `NAV_TRANSPORT_ERROR` domain.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_TRANSPORT_ERROR_FAILED,
  NAV_TRANSPORT_ERROR_BIND_FAILED,
  NAV_TRANSPORT_ERROR_NO_PORT_AVAILABLE,
  NAV_TRANSPORT_ERROR_ADDRESS_FAMILY,
  NAV_TRANSPORT_ERROR_MESSAGE_TOO_LARGE,
  NAV_TRANSPORT_ERROR_WOULD_BLOCK,
  NAV_TRANSPORT_ERROR_CLOSED,
  NAV_TRANSPORT_ERROR_NOT_CONNECTED,
  NAV_TRANSPORT_ERROR_PROTOCOL,
} NavTransportError;

/**
 * NAV_REGISTRY_ERROR:
 *
 * Error domain of [class@Nav.Registry].  Errors in this domain are from the
 * [error@Nav.RegistryError] enumeration.
 *
 * Since: 1.0
 */
#define NAV_REGISTRY_ERROR (nav_registry_error_quark ())

/**
 * NavRegistryError:
 * @NAV_REGISTRY_ERROR_FAILED: a failure with no more specific code.
 * @NAV_REGISTRY_ERROR_UNKNOWN_EXTENSION_POINT: no extension point has the
 *   given name.
 * @NAV_REGISTRY_ERROR_UNKNOWN_IMPLEMENTATION: the extension point has no
 *   implementation of the given name.
 * @NAV_REGISTRY_ERROR_NO_IMPLEMENTATION: the extension point has no
 *   implementation at all.
 * @NAV_REGISTRY_ERROR_INVALID_PROPERTY: a property given for a new object
 *   does not exist on its type or cannot be set at construction.
 * @NAV_REGISTRY_ERROR_MODULE_LOAD_FAILED: a module could not be loaded.
 *
 * Error codes of the `NAV_REGISTRY_ERROR` domain.  When a new
 * object's `GInitable` initialisation fails, its own error is passed on
 * unchanged.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_REGISTRY_ERROR_FAILED,
  NAV_REGISTRY_ERROR_UNKNOWN_EXTENSION_POINT,
  NAV_REGISTRY_ERROR_UNKNOWN_IMPLEMENTATION,
  NAV_REGISTRY_ERROR_NO_IMPLEMENTATION,
  NAV_REGISTRY_ERROR_INVALID_PROPERTY,
  NAV_REGISTRY_ERROR_MODULE_LOAD_FAILED,
} NavRegistryError;

NAV_AVAILABLE_IN_ALL
GQuark nav_error_quark           (void);
NAV_AVAILABLE_IN_ALL
GQuark nav_transport_error_quark (void);
NAV_AVAILABLE_IN_ALL
GQuark nav_registry_error_quark  (void);

G_END_DECLS
