# bash completion for kq (printed by `kq completion bash`).
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
