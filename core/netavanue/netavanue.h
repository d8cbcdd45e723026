/* netavanue.h: the one public header of libnetavanue-1.0
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define __NAV_INSIDE__

#include <netavanue/nav-version.h>
#include <netavanue/nav-enum-types.h>
#include <netavanue/nav-error.h>
#include <netavanue/nav-address.h>
#include <netavanue/nav-candidate.h>
#include <netavanue/nav-transport.h>
#include <netavanue/nav-config.h>
#include <netavanue/nav-gatherer.h>
#include <netavanue/nav-checker.h>
#include <netavanue/nav-channel.h>
#include <netavanue/nav-server.h>
#include <netavanue/nav-registry.h>
#include <netavanue/nav-module.h>
#include <netavanue/nav-udp-transport.h>
#include <netavanue/nav-host-gatherer.h>
#include <netavanue/nav-datagram-channel.h>
#include <netavanue/nav-stun-message.h>
#include <netavanue/nav-agent.h>
#include <netavanue/nav-signaling-client.h>
#include <netavanue/nav-signaling-session.h>
#include <netavanue/nav-certificate.h>
#include <netavanue/nav-dtls.h>
#include <netavanue/nav-data-channel.h>
#include <netavanue/nav-peer-connection.h>
#include <netavanue/nav-discovery.h>
#include <netavanue/nav-election.h>
#include <netavanue/nav-stats.h>
#include <netavanue/nav-inspect.h>


#undef __NAV_INSIDE__
