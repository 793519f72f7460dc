# bash completion for shelterd and its programs (installed once per
# program name, so bash-completion loads it for whichever is typed first).
# Options are kept in step with each program's --help by
# tests/integration/21-man.py.

_shelterd_cats="women men minors highsec children"

# The long name of option $2 of program $1 (short options differ between
# the programs: -s is --shelter, --since, --security or --status).
_shelterd_long()
{
	case "$1:$2" in
	shelterd:-c) echo --config ;;
	shelterd:-d) echo --data-dir ;;
	shelterd:-r) echo --registry ;;
	shelterd:-l) echo --log-level ;;
	shelterctl:-j) echo --json ;;
	shelterctl:-a) echo --api ;;
	shelterctl:-T) echo --timeout ;;
	shelterctl:-b) echo --by ;;
	shelterctl:-K) echo --key ;;
	shelter-report:-s) echo --shelter ;;
	shelter-report:-b) echo --beds ;;
	shelter-report:-e) echo --expect ;;
	shelter-report:-r) echo --reserve ;;
	shelter-report:-S) echo --status ;;
	shelter-report:-n) echo --seq ;;
	shelter-report:-t) echo --observed-at ;;
	shelter-report:-a) echo --api ;;
	shelter-report:-T) echo --timeout ;;
	shelter-report:-o) echo --outbox ;;
	shelter-report:-N) echo --no-outbox ;;
	shelter-report:-q) echo --quiet ;;
	shelter-report:-K) echo --key ;;
	shelter-report:-w) echo --wait ;;
	shelter-report:-f) echo --follow ;;
	shelter-report:-r) echo --reason ;;
	shelter-report:-j) echo --json ;;
	region-place:-r) echo --region ;;
	region-place:-c) echo --category ;;
	region-place:-C) echo --case-ref ;;
	region-place:-b) echo --beds ;;
	region-place:-s) echo --security ;;
	
	region-place:-x) echo --exclude ;;
	region-place:-u) echo --urgency ;;
	region-place:-o) echo --allow-own-region ;;
	region-place:-i) echo --request-id ;;
	region-place:-n) echo --no-wait ;;
	region-place:-w) echo --wait ;;
	region-place:-p) echo --progress ;;
	region-place:-I) echo --cancel-on-interrupt ;;
	region-place:-j) echo --json ;;
	region-place:-a) echo --api ;;
	region-place:-K) echo --key ;;
	coord-watch:-r) echo --region ;;
	coord-watch:-l) echo --level ;;
	coord-watch:-j) echo --json ;;
	coord-watch:-n) echo --count ;;
	coord-watch:-s) echo --since ;;
	coord-watch:-w) echo --wait ;;
	coord-watch:-e) echo --events ;;
	coord-watch:-S) echo --state ;;
	coord-watch:-a) echo --api ;;
	coord-watch:-K) echo --key ;;
	coord-watch:-F) echo --fail-after ;;
	shelter-node:-R) echo --region ;;
	shelter-node:-u) echo --upstream ;;
	shelter-node:-U) echo --upstream-events ;;
	shelter-node:-a) echo --api ;;
	shelter-node:-e) echo --events ;;
	shelter-node:-d) echo --data-dir ;;
	shelter-node:-r) echo --registry ;;
	shelter-node:-K) echo --key ;;
	shelter-node:-m) echo --map-size-mb ;;
	shelter-node:-t) echo --timeout-ms ;;
	shelter-node:-y) echo --retry-ms ;;
	shelter-node:-p) echo --poll-ms ;;
	shelter-node:-s) echo --status ;;
	shelter-node:-l) echo --log-level ;;
	keygen:-r) echo --registry ;;
	keygen:-o) echo --out ;;
	keygen:-p) echo --party ;;
	*:-h) echo --help ;;
	*:-V) echo --version ;;
	*) echo "$2" ;;
	esac
}

# Completes the value of option $1 (long name) of program $3 at word $2;
# returns 1 when the option takes no value.
_shelterd_value()
{
	local cur=$2
	case $1 in
	--config | --key | --outbox | --state | --svg | --html)
		_filedir
		;;
	--data-dir | --registry | --out)
		_filedir -d
		;;
	--log-level)
		COMPREPLY=($(compgen -W "error warn info debug" -- "$cur"))
		;;
	--party)
		COMPREPLY=($(compgen -W "national operator region: shelter:" \
		    -- "$cur"))
		compopt -o nospace
		;;
	--category)
		COMPREPLY=($(compgen -W "$_shelterd_cats" -- "$cur"))
		;;
	--level)
		COMPREPLY=($(compgen -W "warning critical cleared info" -- "$cur"))
		;;
	--status)
		[[ $3 == shelter-report ]] || return 1
		COMPREPLY=($(compgen -W "open paused closed" -- "$cur"))
		;;
	--urgency)
		COMPREPLY=($(compgen -W "normal high immediate" -- "$cur"))
		;;
	--beds | --expect | --reserve)
		# region-place --beds is a number.
		[[ $3 == shelter-report ]] || { COMPREPLY=(); return 0; }
		COMPREPLY=($(compgen -S = -W "$_shelterd_cats" -- "$cur"))
		compopt -o nospace
		;;
	--api | --events | --http | --upstream | --upstream-events | \
	    --timeout | --seq | --observed-at | --since | --shelter | \
	    --region | --case-ref | --request-id | --wait | --count | --by | \
	    --reason | --month | --k | --days | --buckets | --security | \
	    --exclude | --map-size-mb | --timeout-ms | --retry-ms | \
	    --poll-ms | --party)
		# A value we cannot guess: let the user type it.
		COMPREPLY=()
		;;
	*)
		return 1
		;;
	esac
	return 0
}

_shelterd_complete()
{
	local cur prev words cword prog opts cmds="" cmd="" i
	_init_completion || return
	prog=${words[0]##*/}
	for ((i = 1; i < cword; i++)); do
		[[ ${words[i]} != -* ]] && { cmd=${words[i]}; break; }
	done
	case $prog in
	shelterd)
		opts="--config --data-dir --registry --api --events --http
		    --log-level --check-config --print-config-example --version
		    --help"
		;;
	shelterctl)
		cmds="status shelter regions alerts placements report trend
		    plan reserve export import ack backup"
		opts="--json --api --timeout --by --key --help"
		case $cmd in
		report) opts="$opts --month --csv --public --k --html" ;;
		trend) opts="$opts --region --category --days --buckets --svg" ;;
		plan) opts="$opts --region --csv" ;;
		reserve) opts="$opts --region --category --beds --until --reason" ;;
		export) opts="$opts --csv --regions --norms --reserves" ;;
		import) opts="$opts --dry-run --norms --reserves"
			[[ $cur != -* ]] && _filedir ;;
		backup) [[ $cur != -* ]] && _filedir -d ;;
		esac
		;;
	shelter-report)
		cmds="flush holds accept decline"
		case $cmd in
		holds | accept | decline)
			opts="--shelter --wait --follow --reason --json --api
			    --key --help"
			;;
		*)
			opts="--shelter --beds --expect --reserve --status --seq
			    --observed-at
			    --api --timeout --outbox --no-outbox --quiet --key
			    --help"
			;;
		esac
		;;
	region-place)
		cmds="request status cancel"
		opts="--region --category --case-ref --beds --security --exclude
		    --urgency --allow-own-region --request-id --no-wait --wait
		    --progress --cancel-on-interrupt --json --api --key --help"
		;;
	coord-watch)
		cmds="ack"
		opts="--region --level --json --count --since --wait --events
		    --state --api --key --fail-after --by --help"
		;;
	shelter-node)
		opts="--region --upstream --upstream-events --api --events
		    --data-dir --registry --key --map-size-mb --timeout-ms
		    --retry-ms --poll-ms --status --log-level --version --help"
		;;
	keygen)
		opts="--registry --out --party --help"
		;;
	esac
	if _shelterd_value "$(_shelterd_long "$prog" "$prev")" "$cur" \
	    "$prog"; then
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	elif [[ -n $cmds && -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
	fi
}

complete -F _shelterd_complete shelterd shelterctl shelter-report \
    region-place coord-watch shelter-node keygen
