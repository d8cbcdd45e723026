/* nav-error.c: the error domains of the core library
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "netavanue/netavanue.h"

G_DEFINE_QUARK (nav-error-quark, nav_error)
G_DEFINE_QUARK (nav-transport-error-quark, nav_transport_error)
G_DEFINE_QUARK (nav-registry-error-quark, nav_registry_error)
