#!/usr/bin/env bash
# Coverage-guided fuzzing of SecretChat's network parsers: SharpFuzz instruments our assemblies, AFL++ drives them.
# See docs/FUZZING.md.
#
#   tools/fuzz/fuzz.sh install                       afl++ (apt, as root) and the sharpfuzz local tool
#   tools/fuzz/fuzz.sh build                         publish fuzz/SecretChat.Fuzz and instrument the SecretChat assemblies
#   tools/fuzz/fuzz.sh seed                          regenerate the seeds (what our encoders send) in fuzz/corpus/
#   tools/fuzz/fuzz.sh run [-d SECONDS] [-j JOBS] [TARGET...]
#                                                    fuzz each target (all by default) for SECONDS (default 3600), JOBS
#                                                    at a time (default: the number of cores); keeps new corpus entries
#                                                    in fuzz/corpus/<target>/, minimised crashes and hangs in
#                                                    fuzz/findings/<target>/, and prints a summary per target
#   tools/fuzz/fuzz.sh ci [-d SECONDS]               CI's short pass: every target for SECONDS (default 20) on top of the
#                                                    kept corpus; changes nothing in the tree; fails on any crash
#   tools/fuzz/fuzz.sh replay TARGET FILE...         runs files through a target without AFL (a crash's stack trace)
#   tools/fuzz/fuzz.sh cmin [TARGET...]              shrinks the kept corpus with afl-cmin (the seeds and vectors stay)
#
# Environment: FUZZ_WORK (default fuzz/.work, ignored by git) holds the instrumented build and AFL's output.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
work=${FUZZ_WORK:-$repo/fuzz/.work}
bin=$work/bin
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# AFL++ on a shared machine running an uninstrumented host (dotnet): SharpFuzz's fork server reports coverage itself.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
# Each fork of the .NET host maps the runtime: no memory limit; 5 s per input (a cold JIT path can take a second).
afl_timeout=${FUZZ_TIMEOUT_MS:-5000}

install() {
  if ! command -v afl-fuzz >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
    else
      echo "fuzz: afl-fuzz is missing; install the afl++ package (Debian: apt-get install afl++)." >&2
      exit 1
    fi
  fi
  dotnet tool restore >/dev/null
}

build() {
  install
  rm -rf "$bin"
  dotnet publish fuzz/SecretChat.Fuzz -c Release -o "$bin" -v q -nologo >/dev/null
  # Our assemblies only: the runner and the targets (which hold the invariants) and third-party code stay plain.
  for assembly in SecretChat.Framing SecretChat.Transport SecretChat.Security SecretChat.Signaling; do
    dotnet tool run sharpfuzz "$bin/$assembly.dll" >/dev/null
  done
  echo "fuzz: built and instrumented in $bin"
}

targets() { dotnet "$bin/SecretChat.Fuzz.dll" --list | cut -f1; }

# fuzz_one TARGET SECONDS KEEP: one AFL++ run; KEEP=1 saves new corpus entries and minimised findings in the tree.
fuzz_one() {
  local target=$1 seconds=$2 keep=$3
  local out=$work/out/$target
  rm -rf "$out"
  mkdir -p "$out" "fuzz/corpus/$target"
  afl-fuzz -i "fuzz/corpus/$target" -o "$out" -t "$afl_timeout" -m none -V "$seconds" \
    -- dotnet "$bin/SecretChat.Fuzz.dll" --target "$target" >"$out/afl.log" 2>&1 || true
  local results=$out/default
  if [ ! -f "$results/fuzzer_stats" ]; then
    echo "fuzz: $target: afl-fuzz did not start (see $out/afl.log)" >&2
    tail -n 20 "$out/afl.log" >&2
    return 1
  fi
  if [ "$keep" = 1 ]; then
    # New corpus entries, named by content so reruns add each input once.
    for file in "$results"/queue/id:*; do
      [ -f "$file" ] || continue
      grep -q 'orig:' <<<"$(basename "$file")" && continue
      cp "$file" "fuzz/corpus/$target/afl-$(sha1sum "$file" | cut -c1-16)"
    done
  fi
  for kind in crashes hangs; do
    for file in "$results/$kind"/id:*; do
      [ -f "$file" ] || continue
      local name=${kind%es}; name=${name%s}-$(sha1sum "$file" | cut -c1-16)
      if [ "$keep" = 1 ]; then
        mkdir -p "fuzz/findings/$target"
        afl-tmin -i "$file" -o "fuzz/findings/$target/$name" -t "$afl_timeout" -m none \
          -- dotnet "$bin/SecretChat.Fuzz.dll" --target "$target" >/dev/null 2>&1 || cp "$file" "fuzz/findings/$target/$name"
      else
        mkdir -p "$work/findings/$target"
        cp "$file" "$work/findings/$target/$name"
      fi
    done
  done
}

stat_of() { awk -F' *: *' -v key="$2" '$1 == key { print $2 }' "$1"; }

summary() {
  local failed=0
  printf '%-22s %10s %9s %7s %9s %8s %6s\n' target execs execs/s paths map-cvg crashes hangs
  for target in "$@"; do
    local stats=$work/out/$target/default/fuzzer_stats
    if [ ! -f "$stats" ]; then
      printf '%-22s %s\n' "$target" "did not run"
      failed=1
      continue
    fi
    local crashes hangs
    crashes=$(stat_of "$stats" saved_crashes); hangs=$(stat_of "$stats" saved_hangs)
    printf '%-22s %10s %9s %7s %9s %8s %6s\n' "$target" "$(stat_of "$stats" execs_done)" "$(stat_of "$stats" execs_per_sec)" \
      "$(stat_of "$stats" corpus_count)" "$(stat_of "$stats" bitmap_cvg)" "$crashes" "$hangs"
    [ "${crashes:-0}" -eq 0 ] || failed=1
  done
  return "$failed"
}

# run_all SECONDS JOBS KEEP TARGET...: the targets in parallel, JOBS at a time.
run_all() {
  local seconds=$1 jobs=$2 keep=$3
  shift 3
  local running=0
  for target in "$@"; do
    if [ "$running" -ge "$jobs" ]; then
      wait -n || true
      running=$((running - 1))
    fi
    echo "fuzz: $target for $seconds s"
    fuzz_one "$target" "$seconds" "$keep" &
    running=$((running + 1))
  done
  wait || true
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  install) install ;;
  build) build ;;
  seed)
    dotnet run --project fuzz/SecretChat.Fuzz -c Release -v q -- --seed "$repo/fuzz/corpus" ;;
  replay)
    [ -x "$bin/SecretChat.Fuzz.dll" ] || [ -f "$bin/SecretChat.Fuzz.dll" ] || build
    dotnet "$bin/SecretChat.Fuzz.dll" --replay "$@" ;;
  run|ci)
    seconds=$([ "$command" = ci ] && echo 20 || echo 3600)
    jobs=$(nproc)
    while getopts 'd:j:' option; do
      case "$option" in
        d) seconds=$OPTARG ;;
        j) jobs=$OPTARG ;;
        *) exit 2 ;;
      esac
    done
    shift $((OPTIND - 1))
    build
    if [ $# -gt 0 ]; then selected=("$@"); else mapfile -t selected < <(targets); fi
    start=$SECONDS
    run_all "$seconds" "$jobs" "$([ "$command" = run ] && echo 1 || echo 0)" "${selected[@]}"
    echo "fuzz: ${#selected[@]} targets in $((SECONDS - start)) s"
    if ! summary "${selected[@]}"; then
      echo "fuzz: FAILED: a target crashed or did not run; inputs in $([ "$command" = run ] && echo fuzz/findings || echo "$work/findings")" >&2
      exit 1
    fi ;;
  cmin)
    build
    if [ $# -gt 0 ]; then selected=("$@"); else mapfile -t selected < <(targets); fi
    for target in "${selected[@]}"; do
      rm -rf "$work/cmin/$target"
      mkdir -p "$work/cmin"
      afl-cmin -i "fuzz/corpus/$target" -o "$work/cmin/$target" -t "$afl_timeout" -m none \
        -- dotnet "$bin/SecretChat.Fuzz.dll" --target "$target" >/dev/null 2>&1 || { echo "fuzz: afl-cmin failed for $target" >&2; continue; }
      before=$(find "fuzz/corpus/$target" -name 'afl-*' | wc -l)
      find "fuzz/corpus/$target" -name 'afl-*' -delete
      for file in "$work/cmin/$target"/afl-*; do [ -f "$file" ] && cp "$file" "fuzz/corpus/$target/"; done
      echo "fuzz: $target: $before AFL entries kept as $(find "fuzz/corpus/$target" -name 'afl-*' | wc -l)"
    done ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2 ;;
esac
