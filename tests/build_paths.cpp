#include "build_paths.hpp"

namespace kq::testing {

const char* const k_source_dir = KQ_SOURCE_DIR;
const char* const k_kq_binary = KQ_BINARY;
const char* const k_cluster_state_dir = KQ_CLUSTER_STATE_DIR;

} // namespace kq::testing
