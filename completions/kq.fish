# fish completion for kq (printed by `kq completion fish`).
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
