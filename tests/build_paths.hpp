#pragma once

// Where the build put what the tests run and read. CMake gives these to build_paths.cpp alone, so that
// every other test source compiles to the same text in any clone of the repository and ccache finds it
// (a path in a macro would make each of them new to ccache in a clone elsewhere).

namespace kq::testing {

extern const char* const k_source_dir;        // the repository
extern const char* const k_kq_binary;         // the kq being tested
extern const char* const k_cluster_state_dir; // the control plane's state, as the ctest fixture starts it

} // namespace kq::testing
