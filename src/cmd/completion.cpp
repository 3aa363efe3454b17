#include "cmd/commands.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every argument of `kq completion`.
struct CompletionOptions {
    std::string shell;
};

// The scripts are thin: each hands the words before the cursor to `kq __complete`
// (support/shell_complete.cpp), so that commands and flags added later complete without touching them.
// completions/ holds the same text, byte for byte, for packages to install (a unit test compares them).
constexpr const char* k_bash_script = R"kq(# bash completion for kq (printed by `kq completion bash`).
#
# Installed as /usr/share/bash-completion/completions/kq, or for one user:
#   kq completion bash > ~/.local/share/bash-completion/completions/kq
# or in ~/.bashrc:
#   source <(kq completion bash)
#
# kq itself knows its commands, flags, job definitions and Jobs: this function only hands it the
# words before the cursor (`kq __complete WORD... CURRENT`) and reads back one candidate per line
# (a tab and a description may follow) and a last line saying what to do with them.

_kq() {
    local IFS=$' \t\n'
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words
    read -r -a words <<<"$line"
    # A blank before the cursor means a new, empty word is being completed.
    if [[ ${#words[@]} -eq 0 || $line == *[[:blank:]] ]]; then
        words+=("")
    fi
    local kq=${words[0]}
    [[ $kq == "~/"* ]] && kq=$HOME/${kq#"~/"}

    local out
    out=$("$kq" __complete "${words[@]:1}" 2>/dev/null) || return 0
    local mode=${out##*$'\n'} body=""
    [[ $out == *$'\n'* ]] && body=${out%$'\n'*}

    COMPREPLY=()
    case $mode in
    :files)
        # Readline's own file name completion, with its quoting and trailing slashes.
        compopt -o default 2>/dev/null
        return 0
        ;;
    :nospace)
        compopt -o nospace 2>/dev/null
        ;;
    esac

    # Bash splits words at the characters of COMP_WORDBREAKS (= and : by default), so the word it
    # replaces may be only the end of the current one: drop what comes before it from each candidate.
    local cur=${words[${#words[@]} - 1]} strip="" breaker
    for breaker in = :; do
        if [[ $COMP_WORDBREAKS == *"$breaker"* && $cur == *"$breaker"* ]]; then
            local head=${cur%"$breaker"*}$breaker
            ((${#head} > ${#strip})) && strip=$head
        fi
    done

    local entry
    while IFS= read -r entry; do
        [[ -n $entry ]] || continue
        entry=${entry%%$'\t'*}
        COMPREPLY+=("${entry#"$strip"}")
    done <<<"$body"
    return 0
}

complete -F _kq kq
)kq";

constexpr const char* k_zsh_script = R"kq(#compdef kq
# zsh completion for kq (printed by `kq completion zsh`).
#
# Installed as /usr/share/zsh/vendor-completions/_kq, or for one user: save it as _kq in a folder
# of $fpath before compinit runs, or in ~/.zshrc after compinit:
#   source <(kq completion zsh)
#
# kq itself knows its commands, flags, job definitions and Jobs: this function only hands it the
# words before the cursor (`kq __complete WORD... CURRENT`) and reads back one candidate per line
# (a tab and a description may follow) and a last line saying what to do with them.

_kq() {
    local kq=${words[1]}
    [[ $kq == '~/'* ]] && kq=$HOME/${kq#'~/'}
    local -a args
    args=("${(@Q)words[2,CURRENT-1]}" "${(Q)PREFIX}")

    local out
    out=$("$kq" __complete "${args[@]}" 2>/dev/null) || return 1
    local -a lines
    lines=("${(@f)out}")
    local mode=${lines[-1]}
    lines=("${(@)lines[1,-2]}")

    if [[ $mode == :files ]]; then
        _files
        return
    fi

    local -a items compadd_options
    local entry value
    for entry in "${lines[@]}"; do
        [[ -n $entry ]] || continue
        # _describe reads "VALUE:DESCRIPTION", so a colon in the value must be escaped.
        value=${${entry%%$'\t'*}//:/\\:}
        if [[ $entry == *$'\t'* ]]; then
            items+=("$value:${entry#*$'\t'}")
        else
            items+=("$value")
        fi
    done
    [[ $mode == :nospace ]] && compadd_options=(-S '')
    _describe -t kq-candidates 'kq' items "${compadd_options[@]}"
}

# Autoloaded from $fpath the file is the body of _kq; sourced, it registers the function.
if [[ $funcstack[1] == _kq ]]; then
    _kq "$@"
else
    compdef _kq kq
fi
)kq";

constexpr const char* k_fish_script = R"kq(# fish completion for kq (printed by `kq completion fish`).
#
# Installed as /usr/share/fish/vendor_completions.d/kq.fish, or for one user:
#   kq completion fish > ~/.config/fish/completions/kq.fish
#
# kq itself knows its commands, flags, job definitions and Jobs: this function only hands it the
# words before the cursor (`kq __complete WORD... CURRENT`) and reads back one candidate per line
# (a tab and a description may follow) and a last line saying what to do with them.

function __kq_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l out ($words[1] __complete $words[2..-1] "$current" 2>/dev/null)
    or return
    test (count $out) -gt 0
    or return
    set -l mode $out[-1]
    set -e out[-1]
    if test "$mode" = :files
        __fish_complete_path "$current"
        return
    end
    printf '%s\n' $out
end

complete -c kq -e
complete -c kq -f -a '(__kq_complete)'
)kq";

constexpr const char* k_completion_footer = R"(Examples:
  # Complete kq in the current bash session
  source <(kq completion bash)

  # Install for zsh, for one user (a folder of $fpath, before compinit runs)
  kq completion zsh > ~/.zfunc/_kq

  # Install for fish, for one user
  kq completion fish > ~/.config/fish/completions/kq.fish

Packages install the same scripts: kq(1) lists where.)";

} // namespace

const char* completion_script(const std::string& shell) {
    if (shell == "bash") return k_bash_script;
    if (shell == "zsh") return k_zsh_script;
    if (shell == "fish") return k_fish_script;
    return nullptr;
}

void setup_completion(CLI::App& command, Context& context) {
    auto options = std::make_shared<CompletionOptions>();
    command.footer(k_completion_footer);
    command.add_option("shell", options->shell, "The shell: bash, zsh or fish")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh", "fish"}));
    command.callback([options, &context] { context.out << completion_script(options->shell); });
}

} // namespace kq::cmd
