# bash completion for memrun(1)                           -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Standalone: needs nothing from the bash-completion package, and uses its
# _command_offset for the command's own arguments when it is loaded.

_memrun_options='-p --profile --as --data --lock-limits --oom-score-adj --memory-max
	--memory-high --swap-max --oom-group --wait-all --cgroup-parent
	--cgroup-manager --slice --best-effort --malloc --no-probe --report -q --quiet --dry-run -h --help
	--version'
_memrun_malloc_keys='arena_max mmap_threshold trim_threshold top_pad mmap_max
	tcache_count perturb hugetlb'

# Options whose value is the next word (-qp too: -p ends the cluster).
# --lock-limits, --oom-group, --wait-all and --best-effort take theirs only
# after '='.
_memrun_takes_value()
{
	case $1 in
	-p | --profile | --as | --data | --oom-score-adj | --memory-max | \
		--memory-high | --swap-max | --cgroup-parent | --cgroup-manager | \
		--slice | --malloc | --report | -[!-]*p)
		return 0 ;;
	esac
	return 1
}

# The memrun being completed, into _memrun_self: the command word as typed
# (build/memrun -p <TAB> lists that build's profiles), not whatever PATH
# finds.  Quoting and a leading ~ are undone by hand, never by eval.
_memrun_find_self()
{
	local word=${COMP_WORDS[0]} plain='' user home i c
	for ((i = 0; i < ${#word}; i++)); do
		c=${word:i:1}
		case $c in
		\\) ((i++)); plain+=${word:i:1} ;;
		\' | \") ;;
		*) plain+=$c ;;
		esac
	done
	case $plain in
	\~ | \~/*)
		plain=$HOME${plain#\~}
		;;
	\~*)
		user=${plain%%/*}
		user=${user#\~}
		if [[ $user =~ ^[A-Za-z0-9._][A-Za-z0-9._-]*$ ]]; then
			home=$(getent passwd "$user" 2>/dev/null)
			home=${home#*:*:*:*:*:}
			home=${home%%:*}
			[[ -n $home ]] && plain=$home${plain#\~"$user"}
		fi
		;;
	esac
	if [[ $plain == */* ]]; then
		[[ -f $plain && -x $plain ]] && { _memrun_self=$plain; return; }
	elif [[ -n $plain ]] && type -P -- "$plain" >/dev/null; then
		_memrun_self=$plain
		return
	fi
	_memrun_self=memrun
}

_memrun_profile_names()
{
	local name rest _memrun_self
	_memrun_find_self
	command "$_memrun_self" profiles list 2>/dev/null </dev/null | while read -r name rest; do
		printf '%s\n' "$name"
	done
}

# COMP_WORDBREAKS splits "--malloc=arena_max=4" into several words; join
# what was typed without blanks between into _memrun_words, and keep in
# _memrun_first[j] the COMP_WORDS index where joined word j starts.
_memrun_join_words()
{
	local line=${COMP_LINE:0:COMP_POINT} i word trimmed
	_memrun_words=()
	_memrun_first=()
	for ((i = 0; i <= COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		trimmed=${line#"${line%%[![:space:]]*}"}
		if ((i > 0 && ${#trimmed} == ${#line})) && [[ -n $COMP_LINE ]]; then
			_memrun_words[-1]+=$word
		else
			_memrun_words+=("$word")
			_memrun_first+=("$i")
		fi
		line=${trimmed:${#word}}
	done
}

# COMPREPLY from candidates for the whole current word $cur: readline
# replaces only what follows the last '=' or ':' it breaks words at.
_memrun_reply()
{
	local breaks='' prefix='' c
	[[ $COMP_WORDBREAKS == *=* ]] && breaks+='='
	[[ $COMP_WORDBREAKS == *:* ]] && breaks+=':'
	[[ -n $breaks ]] && prefix=${cur%"${cur##*[$breaks]}"}
	COMPREPLY=()
	for c in "$@"; do
		[[ $c == "$cur"* ]] && COMPREPLY+=("${c#"$prefix"}")
	done
}

_memrun_files()	# $1: what precedes the file name in $cur; $2: -d for directories
{
	local f files=()
	while IFS= read -r f; do
		files+=("$1$f")
	done < <(compgen "${2:--f}" -- "${cur#"$1"}")
	compopt -o filenames 2>/dev/null
	_memrun_reply "${files[@]}"
}

# Complete the value of option $1; $2 is what precedes it in $cur.
_memrun_value()
{
	local option=$1 pre=$2 k
	case $option in
	-p | --profile)
		if [[ ${cur#"$pre"} == */* ]]; then
			_memrun_files "$pre"
		else
			local names=()
			while IFS= read -r k; do
				names+=("$pre$k")
			done < <(_memrun_profile_names)
			_memrun_reply "${names[@]}"
		fi
		;;
	--as | --data | --memory-max | --memory-high | --swap-max)
		_memrun_reply "${pre}max"
		;;
	--lock-limits | --oom-group | --wait-all | --best-effort)
		_memrun_reply "${pre}yes" "${pre}no"
		;;
	--malloc)
		if [[ ${cur#"$pre"} != *=* ]]; then
			local keys=()
			for k in $_memrun_malloc_keys; do
				keys+=("$pre$k=")
			done
			_memrun_reply "${keys[@]}"
			compopt -o nospace 2>/dev/null
		fi
		;;
	--report)
		_memrun_files "$pre"
		;;
	--cgroup-parent)
		# A cgroup directory, such as one below /sys/fs/cgroup.
		_memrun_files "$pre" -d
		;;
	--cgroup-manager)
		_memrun_reply "${pre}auto" "${pre}systemd" "${pre}cgroupfs"
		;;
	--slice)
		# A slice name: no files to offer.
		COMPREPLY=()
		;;
	*)
		COMPREPLY=()
		;;
	esac
}

# Complete as for the command that starts at COMP_WORDS[$1].
_memrun_command()
{
	local offset=$1 i spec func line=$COMP_LINE
	if declare -F _command_offset >/dev/null; then
		_command_offset "$offset"
		return
	fi
	for ((i = 0; i < offset; i++)); do
		line=${line#"${line%%[![:space:]]*}"}
		line=${line#"${COMP_WORDS[i]}"}
	done
	COMP_POINT=$((COMP_POINT - ${#COMP_LINE} + ${#line}))
	COMP_LINE=$line
	COMP_WORDS=("${COMP_WORDS[@]:offset}")
	COMP_CWORD=$((COMP_CWORD - offset))
	if ((COMP_CWORD == 0)); then
		mapfile -t COMPREPLY < <(compgen -c -- "${COMP_WORDS[0]}")
		return
	fi
	# A completion function registered for the command, else file names.
	spec=$(complete -p -- "${COMP_WORDS[0]}" 2>/dev/null)
	if [[ $spec == *" -F "* ]]; then
		func=${spec#* -F }
		func=${func%% *}
		"$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" \
			"${COMP_WORDS[COMP_CWORD - 1]}"
	else
		COMPREPLY=()
		compopt -o bashdefault -o default 2>/dev/null
	fi
}

_memrun()
{
	local cur n i word cmd=-1 value_of=
	local _memrun_words _memrun_first

	_memrun_join_words
	n=$((${#_memrun_words[@]} - 1))
	cur=${_memrun_words[n]}
	COMPREPLY=()

	# memrun profiles [list | show NAME]: only as the first argument.
	if ((n >= 2)) && [[ ${_memrun_words[1]} == profiles ]]; then
		if ((n == 2)); then
			_memrun_reply list show
		elif ((n == 3)) && [[ ${_memrun_words[2]} == show ]]; then
			_memrun_value --profile ''
		fi
		return
	fi

	# memrun doctor [--json]: likewise.
	if ((n >= 2)) && [[ ${_memrun_words[1]} == doctor ]]; then
		_memrun_reply --json -h --help
		return
	fi

	# memrun policy [show [USER] | apply]: likewise.
	if ((n >= 2)) && [[ ${_memrun_words[1]} == policy ]]; then
		if ((n == 2)); then
			_memrun_reply show apply -h --help
		elif ((n == 3)) && [[ ${_memrun_words[2]} == show ]]; then
			mapfile -t COMPREPLY < <(compgen -u -- "$cur")
		fi
		return
	fi

	# The command is the first word that is neither an option nor an
	# option's value, or the word after "--".
	for ((i = 1; i < n; i++)); do
		word=${_memrun_words[i]}
		if [[ $word == -- ]]; then
			cmd=$((i + 1))
			break
		elif _memrun_takes_value "$word"; then
			if ((i + 1 == n)); then
				value_of=$word
				break
			fi
			((i++))
		elif [[ $word != -?* ]]; then
			cmd=$i
			break
		fi
	done
	if ((cmd >= 0)); then
		_memrun_command "${_memrun_first[cmd]}"
		return
	fi
	if [[ -n $value_of ]]; then
		[[ $value_of == -[!-]* ]] && value_of=-p
		_memrun_value "$value_of" ''
		return
	fi

	case $cur in
	--*=*)
		_memrun_value "${cur%%=*}" "${cur%%=*}="
		;;
	-p?*)
		_memrun_value -p -p
		;;
	-*)
		# shellcheck disable=SC2086 # the list is split on purpose
		_memrun_reply $_memrun_options
		;;
	*)
		# The command, or a subcommand in the first place.
		mapfile -t COMPREPLY < <(compgen -c -- "$cur")
		((n == 1)) && [[ profiles == "$cur"* ]] && COMPREPLY=(profiles "${COMPREPLY[@]}")
		((n == 1)) && [[ doctor == "$cur"* ]] && COMPREPLY=(doctor "${COMPREPLY[@]}")
		((n == 1)) && [[ policy == "$cur"* ]] && COMPREPLY=(policy "${COMPREPLY[@]}")
		;;
	esac
}

complete -F _memrun memrun
