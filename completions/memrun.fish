# fish completion for memrun(1)
# SPDX-License-Identifier: GPL-2.0-or-later

# True when the first argument is a subcommand (profiles, doctor, policy).
function __memrun_subcommand
    set -l tokens (commandline -opc)
    contains -- "$tokens[2]" profiles doctor policy
end

# Where the job's command starts among the tokens before the cursor: prints
# its index, or nothing while memrun's own options are still being typed.
function __memrun_command_index
    set -l tokens (commandline -opc)
    set -l i 2
    while test $i -le (count $tokens)
        switch $tokens[$i]
            case --
                math $i + 1
                return
            case -p --profile --as --data --oom-score-adj --memory-max --memory-high --swap-max --cgroup-parent --cgroup-manager --slice --malloc --report
                set i (math $i + 2)
                continue
            case '-?*'
                # -qp NAME: -p ends a cluster of short options.
                if string match -qr -- '^-[^-]*p$' $tokens[$i]
                    set i (math $i + 2)
                    continue
                end
            case '*'
                echo $i
                return
        end
        set i (math $i + 1)
    end
end

# True while memrun's options may still come: no command yet, not after --.
function __memrun_in_options
    __memrun_subcommand; and return 1
    test -z (__memrun_command_index)
end

# True when the current token is the command word (or a subcommand).
function __memrun_at_command
    set -l tokens (commandline -opc)
    __memrun_subcommand; and return 1
    set -l index (__memrun_command_index)
    if test -z "$index"
        # Still among memrun's options: "--oom-group=" is not a command.
        not string match -q -- '-*' (commandline -ct)
    else
        test "$index" -eq (math (count $tokens) + 1)
    end
end

# Complete the command's own arguments as fish would for it.
function __memrun_complete_command
    set -l tokens (commandline -opc)
    set -l index (__memrun_command_index)
    set -l words $tokens[$index..-1] (commandline -ct)
    complete -C (string escape -- $words | string join ' ')
end

function __memrun_has_command_args
    set -l tokens (commandline -opc)
    __memrun_subcommand; and return 1
    set -l index (__memrun_command_index)
    test -n "$index"; and test "$index" -le (count $tokens)
end

# The memrun being completed: the first token as typed (build/memrun -p
# <TAB> lists that build's profiles), not whatever PATH finds.
function __memrun_self
    set -l cmd (commandline -opc)[1]
    # The token comes unquoted, but with a leading ~ as typed.
    if test "$cmd" = '~'; or string match -q -- '~/*' $cmd
        set cmd $HOME(string sub -s 2 -- $cmd)
    end
    if string match -q -- '*/*' $cmd
        test -f "$cmd"; and test -x "$cmd"; and echo $cmd; and return
    else if test -n "$cmd"; and command -q -- $cmd
        echo $cmd
        return
    end
    echo memrun
end

function __memrun_profiles
    set -l self (__memrun_self)
    command $self profiles list 2>/dev/null </dev/null | string replace -r '^(\S+)\s+(.*\S)  \(.*\)$' '$1\t$2' | string replace -r '^(\S+) .*' '$1'
end

function __memrun_profile_arg
    if string match -q -- '*/*' (commandline -ct)
        __fish_complete_path (commandline -ct)
    else
        __memrun_profiles
    end
end

function __memrun_malloc_keys
    printf '%s\t%s\n' \
        arena_max= 'most malloc arenas (1..1048576)' \
        mmap_threshold= 'requests this large get their own mmap' \
        trim_threshold= 'free heap top above this goes back to the kernel' \
        top_pad= 'extra bytes asked for on each heap growth' \
        mmap_max= 'most allocations served by mmap at once' \
        tcache_count= 'chunks per thread-cache bin (0..65535)' \
        perturb= 'byte that fills allocated and freed memory (0..255)' \
        hugetlb= 'huge pages: 0 off, 1 THP, 2 hugetlbfs, or a page size'
end

complete -c memrun -f

# memrun profiles [list | show NAME]
complete -c memrun -n '__memrun_at_command; and test (count (commandline -opc)) -eq 1' \
    -a profiles -d 'List profiles or show one'
complete -c memrun -n 'test (count (commandline -opc)) -eq 2; and test (commandline -opc)[2] = profiles' \
    -a 'list\tList\ the\ profiles\ found show\tShow\ a\ profile\ and\ its\ resolved\ values'
complete -c memrun -n 'test (count (commandline -opc)) -eq 3; and test (commandline -opc)[2] = profiles; and test (commandline -opc)[3] = show' \
    -a '(__memrun_profile_arg)'

# memrun doctor [--json]
complete -c memrun -n '__memrun_at_command; and test (count (commandline -opc)) -eq 1' \
    -a doctor -d 'Say what would refuse memory or kill a process here'
complete -c memrun -n 'test (count (commandline -opc)) -ge 2; and test (commandline -opc)[2] = doctor' \
    -l json -d 'One JSON object instead of text'
complete -c memrun -n 'test (count (commandline -opc)) -ge 2; and test (commandline -opc)[2] = doctor' \
    -s h -l help -d 'Show the help of memrun doctor and exit'

# memrun policy [show [USER] | apply]
complete -c memrun -n '__memrun_at_command; and test (count (commandline -opc)) -eq 1' \
    -a policy -d 'Show what the administrator\'s policy binds a user to, or apply its totals'
complete -c memrun -n 'test (count (commandline -opc)) -eq 2; and test (commandline -opc)[2] = policy' \
    -a 'show\tShow\ what\ the\ policy\ binds\ a\ user\ to apply\tMake\ the\ per-user\ totals\ real\ \(root\)'
complete -c memrun -n 'test (count (commandline -opc)) -eq 3; and test (commandline -opc)[2] = policy; and test (commandline -opc)[3] = show' \
    -a '(__fish_complete_users)'

# memrun's options, until the command.
complete -c memrun -n __memrun_in_options -s p -l profile -x -a '(__memrun_profile_arg)' \
    -d 'Load a profile (repeatable, later wins)'
complete -c memrun -n __memrun_in_options -l as -x -a max -d 'RLIMIT_AS (address space), soft and hard'
complete -c memrun -n __memrun_in_options -l data -x -a max -d 'RLIMIT_DATA (private writable memory), soft and hard'
complete -c memrun -n __memrun_in_options -l oom-score-adj -x -d "The job's oom_score_adj, -1000..1000"
complete -c memrun -n __memrun_in_options -l memory-max -x -a max -d 'cgroup memory.max (v1 memory.limit_in_bytes)'
complete -c memrun -n __memrun_in_options -l memory-high -x -a max -d 'cgroup memory.high (v1 memory.soft_limit_in_bytes)'
complete -c memrun -n __memrun_in_options -l swap-max -x -a max -d 'cgroup memory.swap.max (v1 memory.memsw.limit_in_bytes)'
# --lock-limits, --oom-group, --wait-all, --best-effort: an optional =yes or =no, never the next word.
complete -c memrun -n __memrun_in_options -l lock-limits -f -a 'yes no' -d 'The job cannot set RLIMIT_AS, RLIMIT_DATA or RLIMIT_MEMLOCK, even as root'
complete -c memrun -n __memrun_in_options -l oom-group -f -a 'yes no' -d 'One OOM kill ends the whole job (memory.oom.group)'
complete -c memrun -n __memrun_in_options -l wait-all -f -a 'yes no' -d "When the main process ends, wait for the job's other processes"
complete -c memrun -n __memrun_in_options -l cgroup-parent -x -a '(__fish_complete_directories (commandline -ct))' \
    -d "Create the job's cgroup below this cgroup"
complete -c memrun -n __memrun_in_options -l cgroup-manager -x -a 'auto systemd cgroupfs' \
    -d "Who makes the job's cgroup: systemd (a scope) or memrun"
complete -c memrun -n __memrun_in_options -l slice -x -d "Put the job's systemd scope in this slice"
complete -c memrun -n __memrun_in_options -l best-effort -f -a 'yes no' -d 'Run the job even when a cgroup limit cannot be put in force'
complete -c memrun -n __memrun_in_options -l malloc -x -a '(__memrun_malloc_keys)' \
    -d 'glibc malloc tuning KEY=VALUE (repeatable)'
complete -c memrun -n __memrun_in_options -l no-probe -d 'Do not load the allocation probe into the job'
complete -c memrun -n __memrun_in_options -l report -r -F -d 'Write the JSON report to FILE'
complete -c memrun -n __memrun_in_options -s q -l quiet -d 'No summary line on stderr'
complete -c memrun -n __memrun_in_options -l dry-run -d 'Show every resolved setting and its origin; run nothing'
complete -c memrun -n __memrun_in_options -s h -l help -d 'Show the help and exit'
complete -c memrun -n __memrun_in_options -l version -d 'Show the version and exit'

# The command, then its own arguments.
complete -c memrun -n __memrun_at_command -a '(__fish_complete_command)'
complete -c memrun -n __memrun_has_command_args -a '(__memrun_complete_command)'
