#pragma once
// Forwards to the header's new place until every file includes it there; remove after the merge.
#include "cmd/support/context.hpp"
