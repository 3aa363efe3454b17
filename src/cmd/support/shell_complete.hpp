#pragma once

#include "cmd/support/context.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace kq::cmd {

// The hidden command the shell scripts call: `kq __complete WORD... CURRENT`.
inline constexpr const char* k_complete_command = "__complete";

// How long one API request of a completion may take; a slow cluster yields no candidates instead.
inline constexpr std::chrono::milliseconds k_complete_request_timeout{1500};

// The most a whole completion request may take (exec credential plugins included) before kq gives up
// and prints nothing.
inline constexpr std::chrono::seconds k_complete_deadline{3};

// One word the shell may offer, with a short description (empty when there is none).
struct Candidate {
    std::string value;
    std::string description;

    bool operator==(const Candidate&) const = default;
};

// What the shell should do with the candidates.
enum class CompletionMode {
    words,    // offer the candidates, each followed by a space
    no_space, // offer the candidates without a trailing space (they end in "=")
    files,    // offer file names (the shell completes them itself)
};

// The answer to one completion request.
struct Completion {
    std::vector<Candidate> candidates;
    CompletionMode mode = CompletionMode::words;
};

// Completes the last of `words` (the words typed after "kq", the last one being the word under the
// cursor, possibly empty) from the CLI11 definition of kq: commands, flags and flag values, plus job
// definitions from the project file, contexts from the kubeconfig, and namespaces and Job names from
// the cluster. Never throws for a fault of the user's or the cluster's: such sources yield nothing.
Completion complete_words(const CLI::App& root, const std::vector<std::string>& words);

// The protocol the shell scripts read: one "VALUE" or "VALUE<TAB>DESCRIPTION" line per candidate,
// then a line ":words", ":nospace" or ":files".
std::string format_completion(const Completion& completion);

// Runs `kq __complete WORDS...`: prints the completion of `words` to context.out and returns 0, even
// when a source failed; gives up silently after k_complete_deadline.
int run_complete(const CLI::App& root, const std::vector<std::string>& words, Context& context);

} // namespace kq::cmd
