#!/usr/bin/env bash
# Mutation testing of the packages that carry the toolkit's guarantees, with gremlins.
#
# Usage: internal/mutation/run.sh OUTDIR
#
# For each line of the targets file it runs `gremlins unleash` on that package alone, one worker, at the lowest
# CPU priority, with -short tests, on a snapshot of the working tree (so edits made while it runs change
# nothing), and keeps gremlins' log and JSON under OUTDIR/raw/. `go run ./internal/mutation -dir OUTDIR` turns
# them into OUTDIR/summary.md. Settings, from the environment:
#   MUTATION_TARGETS   the targets file (default: internal/mutation/targets beside this script)
#   MUTATION_ONLY      run only the targets whose directory is in this space-separated list
#   MUTATION_BUDGET    wall-clock budget per package, as for timeout(1) (default 60m); a package cut short is
#                      reported as incomplete, with the mutants it did test
#   MUTATION_COEFF     gremlins' --timeout-coefficient: a mutant's test run may take this many times the
#                      package's coverage run before it counts as timed out (default 5: the coverage run of a
#                      package whose tests take a second is shorter than a mutant's compile and link)
#   MUTATION_TOOLS     where gremlins is installed (default .mutation/bin)
#   MUTATION_CASES     0: leave gremlins' coverage as Go writes it, so that it never tests a mutant in a case
#                      list (the default, 1, counts a case list the tests evaluated as covered)
set -euo pipefail

# All of it in a function, read whole before it runs: editing this file during a run changes nothing.
main() {

gremlins_version=v0.6.0
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: run.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
targets=${MUTATION_TARGETS:-$root/internal/mutation/targets}
budget=${MUTATION_BUDGET:-60m}
coeff=${MUTATION_COEFF:-5}
tools=${MUTATION_TOOLS:-$root/.mutation/bin}
go=${GO:-go}

# gremlins, at the pinned version, in a directory of its own: it never enters go.mod, so the module's
# build list stays what its users get.
mkdir -p "$tools"
tools=$(cd "$tools" && pwd)
gremlins=$tools/gremlins
if ! "$go" version -m "$gremlins" 2>/dev/null | grep -q "mod[[:space:]]*github.com/go-gremlins/gremlins[[:space:]]*$gremlins_version"; then
	echo "installing gremlins $gremlins_version into $tools"
	GOBIN=$tools GOFLAGS= "$go" install "github.com/go-gremlins/gremlins/cmd/gremlins@$gremlins_version"
fi

# The snapshot: every file git tracks or would track, as it is in the working tree now.
work=$(mktemp -d "${TMPDIR:-/tmp}/data8-mutation.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/src
mkdir -p "$src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
	while IFS= read -r -d '' f; do
		if [ -f "$root/$f" ]; then
			mkdir -p "$src/$(dirname "$f")"
			cp -p "$root/$f" "$src/$f"
		fi
	done
git -C "$root" rev-parse HEAD >"$out/commit" 2>/dev/null || true
git -C "$root" status --porcelain >"$out/worktree-changes" 2>/dev/null || true

# gremlins runs `go` from PATH. Ours runs the real one and, after gremlins' coverage run, adds to the
# profile the case lists the tests evaluated: Go's coverage counts no block there, and gremlins would
# otherwise never test a mutant of a switch's conditions (MUTATION_CASES=0 leaves the profile as it is).
realgo=$(command -v "$go")
mkdir -p "$work/bin"
(cd "$src" && "$go" build -o "$work/bin/mutation-report" ./internal/mutation)
cat >"$work/bin/go" <<WRAPPER
#!/usr/bin/env bash
case " \$* " in
*" -coverprofile "*) ;;
*) exec "$realgo" "\$@" ;;
esac
rc=0
"$realgo" "\$@" || rc=\$?
if [ \$rc -eq 0 ] && [ "\$1" = test ] && [ "\${MUTATION_CASES:-1}" != 0 ]; then
	prev=
	for a in "\$@"; do
		if [ "\$prev" = -coverprofile ]; then
			"$work/bin/mutation-report" -widen-cover "\$a" -module-root "\$PWD" || rc=\$?
		fi
		prev=\$a
	done
fi
exit \$rc
WRAPPER
chmod +x "$work/bin/go"

# Mutated builds go to a cache of their own, removed at the end, not into the user's.
export GOCACHE=$work/gocache
# -count=1: gremlins times each mutant against its coverage run, which go test would otherwise answer from
# its cache for a package met before (a second line of the same package): every mutant would time out.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-short -count=1"
export NO_COLOR=1
export TMPDIR=$work

# A run's directory holds that run alone.
rm -rf "$out/raw" "$out/src" "$out/finished" "$out/summary.md"
mkdir -p "$out/raw"
cp "$targets" "$out/targets"

# Build every package once before gremlins times anything: a mutant may run for a few times its package's
# coverage run, and a coverage run that first compiled the module's dependencies would set that bound far
# too high for the mutants that hang.
warm=()
while read -r dir _; do
	case $dir in '' | '#'*) continue ;; esac
	if [ -n "${MUTATION_ONLY:-}" ]; then
		case " $MUTATION_ONLY " in *" $dir "*) ;; *) continue ;; esac
	fi
	if [ -d "$src/$dir" ]; then warm+=("./$dir/..."); fi
done <"$targets"
if [ ${#warm[@]} -gt 0 ]; then
	(cd "$src" && nice -n 19 "$go" test -cover -run '^$' "${warm[@]}" >/dev/null 2>&1) || true
fi
date -u +%Y-%m-%dT%H:%M:%SZ >"$out/started"
echo "gremlins=$gremlins_version budget=$budget coefficient=$coeff cases=${MUTATION_CASES:-1}" >"$out/settings"
status=0
while read -r dir files; do
	case $dir in '' | '#'*) continue ;; esac
	if [ -n "${MUTATION_ONLY:-}" ]; then
		case " $MUTATION_ONLY " in *" $dir "*) ;; *) continue ;; esac
	fi
	if [ ! -d "$src/$dir" ]; then
		echo "$dir: no such package in the working tree" >&2
		status=1
		continue
	fi
	# A package may take several lines (to give some of its files a budget of their own): each line has its
	# own raw files.
	name=${dir//\//_}
	if [ -n "$files" ]; then
		name=$name-$(tr -s ' ' '-' <<<"$files")
	fi
	# Only the listed files of this directory: every other file is excluded by name, and every file in a
	# subdirectory (paths are relative to the package's directory) by its slash.
	excl=(-E '/')
	if [ -n "$files" ]; then
		for f in "$src/$dir"/*.go; do
			b=$(basename "$f")
			case $b in *_test.go) continue ;; esac
			case " $files " in
			*" $b "*) ;;
			*) excl+=(-E "^${b//./\\.}\$") ;;
			esac
		done
	fi
	# The sources as mutated, for the report to quote.
	mkdir -p "$out/src/$dir"
	cp -p "$src/$dir"/*.go "$out/src/$dir/"
	echo "== $dir ($(date -u +%H:%M:%S))"
	start=$(date +%s)
	rc=0
	(cd "$src" && PATH=$work/bin:$PATH timeout --foreground -s INT -k 10m "$budget" \
		nice -n 19 "$gremlins" unleash --workers 1 --timeout-coefficient "$coeff" \
		--invert-assignments --invert-bitwise --invert-bwassign --invert-logical --invert-loopctrl \
		--remove-self-assignments "${excl[@]}" -o "$out/raw/$name.json" "$dir") \
		>"$out/raw/$name.log" 2>&1 || rc=$?
	echo "$rc $(($(date +%s) - start))" >"$out/raw/$name.exit"
	tail -n 5 "$out/raw/$name.log"
done <"$targets"
date -u +%Y-%m-%dT%H:%M:%SZ >"$out/finished"
exit $status
}

main "$@"
