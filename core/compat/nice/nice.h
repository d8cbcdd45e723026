/* nice.h: libnice's umbrella header, on NetAvanue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nice-version.h"
#include "agent.h"
#include "interfaces.h"
