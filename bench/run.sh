#!/usr/bin/env bash
# bench/run.sh BUILD: runs every benchmark of bench/ against the tools people
# would use instead (NNCP, age, GnuPG), on this machine, in one run, and
# writes docs/BENCHMARKS.md. `make bench` builds the programs and calls it.
#
# The peers come from Debian (apt-get install nncp age gnupg time; through
# sudo when not root). Two NNCP nodes are made on loopback in a temporary
# folder. Work that has a peer is run RUNS times, alternating enlace and the
# peer, and the medians are reported with the ratio enlace / peer; NNCP's
# rounds of work 2 and 3 after the first run only while the run stays
# within BENCH_BUDGET seconds (570), so that it ends within ten minutes.
#
# Knobs (environment): BENCH_RUNS (3), BENCH_N (10000 messages),
# BENCH_FILE_MIB (256), BENCH_BIG_MIB (1024: the file whose peak memory
# is measured once), BENCH_FOREIGN (40000 notes to recognise),
# BENCH_PAIRS (10: the variant of work 2 and 3 that moves BENCH_PAIRS x 100
# messages between that many pairs, short conversations; 0 skips it),
# BENCH_BUDGET (570), BENCH_OUT (docs/BENCHMARKS.md), BENCH_KEEP=1 keeps the scratch folder.
# Nothing here is a test: targets are reported as ratios, never asserted.
set -eu

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${BENCH_RUNS:-3}
N=${BENCH_N:-10000}
FILE_MIB=${BENCH_FILE_MIB:-256}
BIG_MIB=${BENCH_BIG_MIB:-1024}
FOREIGN=${BENCH_FOREIGN:-40000}
PAIRS=${BENCH_PAIRS:-10}
BUDGET=${BENCH_BUDGET:-570}
PAIR_N=$((PAIRS * 100))
OUT=${BENCH_OUT:-docs/BENCHMARKS.md}
B=$ROOT/$BUILD/bench
ENLACE=$ROOT/$BUILD/enlace
NNCP_PORT_A=${BENCH_NNCP_PORT_A:-5401}
NNCP_PORT_B=${BENCH_NNCP_PORT_B:-5402}

W=$(mktemp -d "${TMPDIR:-/tmp}/enlace-bench.XXXXXX")
RES=$W/results.tsv
DAEMON_PID=
cleanup() {
    [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
    [ -d "$W/gnupg" ] && GNUPGHOME=$W/gnupg gpgconf --kill all 2>/dev/null
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: scratch kept in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# From BENCH_T0 (set by `make bench` before it builds) when given, so that
# the run's time and its budget cover the whole command.
START=${BENCH_T0:-$(date +%s)}
say() { printf 'bench [%4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }

# ---- the peers ----------------------------------------------------------
need=
for c in nncp-cfgnew nncp-file nncp-xfer nncp-toss nncp-daemon nncp-call age age-keygen gpg; do
    command -v "$c" >/dev/null 2>&1 || need=yes
done
[ -x /usr/bin/time ] || need=yes
if [ -n "$need" ]; then
    say "installing the peers from Debian: nncp age gnupg time"
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nncp age gnupg time >/dev/null
fi
BUILD_S=$(( $(date +%s) - START ))   # the build, and the peers' installation if there was one
for p in "$B"/bench_seal "$B"/bench_dropbox "$B"/bench_tcp "$B"/bench_recon "$B"/bench_recognize "$B"/bench_file "$ENLACE"; do
    [ -x "$p" ] || { echo "bench: $p is missing: run make bench" >&2; exit 1; }
done

# What earlier steps left unwritten in the page cache (work 4 writes
# gigabytes) goes to the disk before the next timed step, not during it:
# enlace's folder sync (syncfs) and its store's fsyncs would otherwise wait
# for another program's writes, and so would NNCP's. Before every step of
# every tool.
settle() { sync; }

# ---- recording and arithmetic ------------------------------------------
: > "$RES"
rec() { printf '%s\t%s\n' "$1" "$2" >> "$RES"; }
# ingest PREFIX FILE: the "key<TAB>value" lines a bench program printed.
ingest() { awk -F'\t' -v p="$1" 'NF == 2 { print p "." $1 "\t" $2 }' "$2" >> "$RES"; }
# med KEY: median of every value recorded under KEY ("n/a" when none).
med() {
    awk -F'\t' -v k="$1" '$1 == k { v[n++] = $2 + 0 }
        END { if (!n) { print "n/a"; exit }
              for (i = 1; i < n; i++) { x = v[i]; j = i - 1
                  while (j >= 0 && v[j] > x) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
              m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
              if (m == int(m) && m > 100) printf "%d\n", m; else print m }' "$RES"
}
# span KEY: "min-max" of the values under KEY, to show the spread.
span() {
    awk -F'\t' -v k="$1" '$1 == k { x = $2 + 0; if (!n++ || x < lo) lo = x; if (n == 1 || x > hi) hi = x }
        END { if (!n) print "n/a"; else printf "%s-%s\n", lo, hi }' "$RES"
}
# vals KEY: every distinct value under KEY, comma-separated (for text).
vals() { awk -F'\t' -v k="$1" '$1 == k && !s[$2]++ { o = o (o ? ", " : "") $2 } END { print o }' "$RES"; }
# calc EXPR: awk arithmetic on plain numbers ("n/a" if any operand is).
calc() { case "$*" in *n/a*) echo n/a ;; *) awk "BEGIN { printf \"%.${2:-2}f\", ($1) }" ;; esac; }
ratio() { case "$1$2" in *n/a*) echo n/a ;; *) awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }' ;; esac; }
kib2mib() { case "$1" in n/a) echo n/a ;; *) awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }' ;; esac; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
# timed KEY CMD...: runs CMD under /usr/bin/time; records KEY.s (seconds,
# wall clock) and KEY.kib (peak resident memory).
timed() {
    local key=$1 t0; shift
    settle
    t0=$(now)
    /usr/bin/time -f %M -o "$W/mem" "$@"
    rec "$key.s" "$(since "$t0")"
    rec "$key.kib" "$(tail -n 1 "$W/mem")"
}
# The largest of several recorded peaks (an NNCP run is several processes).
maxof() { local m=0 v; for v in "$@"; do case "$v" in n/a) ;; *) [ "$v" -gt "$m" ] && m=$v ;; esac; done; echo "$m"; }

# ---- NNCP: two nodes on loopback ----------------------------------------
# nncp-cfgnew writes a node's keys; each node's configuration names the
# other as its only neighbour, with its address on loopback and where the
# files it sends land. (What ../shared/peers/nncp-two-nodes.py does.)
nncp_field() { sed -n "/^  self: {/,/^  }/s/^ *$2: \([A-Z0-9]*\).*/\1/p" "$1"; }
nncp_cfg() { # raw-self raw-other spool other-port other-name
    cat <<EOF
{
  spool: $3
  log: $3/log
  self: {
    id: $(nncp_field "$1" id)
    exchpub: $(nncp_field "$1" exchpub)
    exchprv: $(nncp_field "$1" exchprv)
    signpub: $(nncp_field "$1" signpub)
    signprv: $(nncp_field "$1" signprv)
    noiseprv: $(nncp_field "$1" noiseprv)
    noisepub: $(nncp_field "$1" noisepub)
  }
  neigh: {
    self: {
      id: $(nncp_field "$1" id)
      exchpub: $(nncp_field "$1" exchpub)
      signpub: $(nncp_field "$1" signpub)
      noisepub: $(nncp_field "$1" noisepub)
    }
    $5: {
      id: $(nncp_field "$2" id)
      exchpub: $(nncp_field "$2" exchpub)
      signpub: $(nncp_field "$2" signpub)
      noisepub: $(nncp_field "$2" noisepub)
      addrs: {main: "127.0.0.1:$4"}
      incoming: $3/incoming
    }
  }
}
EOF
}
NN=$W/nncp
mkdir -p "$NN"
nncp-cfgnew -nocomments > "$NN/a.raw"
nncp-cfgnew -nocomments > "$NN/b.raw"
nncp_cfg "$NN/a.raw" "$NN/b.raw" "$NN/spoolA" "$NNCP_PORT_B" b > "$NN/A.hjson"
nncp_cfg "$NN/b.raw" "$NN/a.raw" "$NN/spoolB" "$NNCP_PORT_A" a > "$NN/B.hjson"
NNCP_A_ID=$(nncp_field "$NN/a.raw" id)
NNCP_B_ID=$(nncp_field "$NN/b.raw" id)
nncp_reset() { rm -rf "$NN/spoolA" "$NN/spoolB" "$NN/stick"; mkdir -p "$NN/spoolA/incoming" "$NN/spoolB/incoming" "$NN/stick"; }
nncp_delivered() { find "$NN/spoolB/incoming" -type f | wc -l | tr -d ' '; }
nncp_daemon_start() {
    nncp-daemon -quiet -cfg "$NN/B.hjson" -bind "127.0.0.1:$NNCP_PORT_B" &
    DAEMON_PID=$!
    sleep 1
}
nncp_daemon_stop() { # records the daemon's peak memory (VmHWM), then stops it
    rec nncp.daemon.kib "$(awk '/^VmHWM/ { print $2 }' "/proc/$DAEMON_PID/status" 2>/dev/null || echo 0)"
    kill "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=
}
# hex of a base32 NNCP node id (to look for it in a packet)
b32hex() { local s=$1; while [ $(( ${#s} % 8 )) -ne 0 ]; do s="$s="; done; printf '%s' "$s" | base32 -d | od -An -tx1 -v | tr -d ' \n'; }
hexof() { od -An -tx1 -v "$1" | tr -d ' \n'; }

# The messages NNCP sends: the same 100-byte texts enlace's benchmarks seal.
MSGS=$W/msgs
mkdir -p "$MSGS"
awk -v n="$N" -v d="$MSGS" 'BEGIN {
    for (i = 0; i < n; i++) {
        s = sprintf("message %08d ", i)
        for (k = length(s); k < 100; k++) s = s sprintf("%c", 97 + (k + i) % 26)
        f = d "/m" i; printf "%s", s > f; close(f) } }'

# ---- gpg and age keys ---------------------------------------------------
export GNUPGHOME=$W/gnupg
mkdir -p "$GNUPGHOME"; chmod 700 "$GNUPGHOME"
GPG="gpg --batch --yes --quiet --pinentry-mode loopback --passphrase= --trust-model always"
$GPG --quick-gen-key 'bench-a <a@bench.invalid>' future-default default never 2>/dev/null
$GPG --quick-gen-key 'bench-b <b@bench.invalid>' future-default default never 2>/dev/null
age-keygen -o "$W/age.key" 2>/dev/null
AGE_R=$(age-keygen -y "$W/age.key")

say "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
# What starting a process costs here: NNCP's queue is one process a
# message, so its time (and this run's) follows this figure.
t0=$(now)
for i in $(seq 200); do /bin/true; done
rec spawn.ms "$(calc "$(since "$t0") * 1000 / 200" 2)"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- work 1: sizes ------------------------------------------------------
say "work 1: sealed sizes"
for size in 100 1000; do
    f=$W/msg$size
    awk -v n="$size" 'BEGIN { s = "message 00000007 "; for (k = length(s); k < n; k++) s = s sprintf("%c", 97 + (k + 7) % 26); printf "%s", s }' > "$f"
    age -r "$AGE_R" -o "$f.age" "$f"
    rec "size.age.$size" "$(wc -c < "$f.age")"
    $GPG --compress-algo none -r bench-b -o "$f.gpg" -e "$f"
    rec "size.gpg.$size" "$(wc -c < "$f.gpg")"
    $GPG --compress-algo none -u bench-a -r bench-b -o "$f.gpgs" -s -e "$f"
    rec "size.gpgs.$size" "$(wc -c < "$f.gpgs")"
    $GPG --compress-algo none -u bench-a -R bench-b -o "$f.gpgh" -s -e "$f"
    rec "size.gpgh.$size" "$(wc -c < "$f.gpgh")"
    nncp_reset
    timed nncp.file1 nncp-file -quiet -cfg "$NN/A.hjson" "$f" "b:msg$size"
    pkt=$(find "$NN/spoolA/$NNCP_B_ID/tx" -maxdepth 1 -type f | head -n 1)
    rec "size.nncp.$size" "$(wc -c < "$pkt")"
    if [ "$size" = 100 ]; then
        ph=$(hexof "$pkt")
        case "$ph" in *"$(b32hex "$NNCP_A_ID")"*) rec reveal.nncp.sender yes ;; *) rec reveal.nncp.sender no ;; esac
        case "$ph" in *"$(b32hex "$NNCP_B_ID")"*) rec reveal.nncp.recipient yes ;; *) rec reveal.nncp.recipient no ;; esac
        bkeyid=$($GPG --list-keys --with-colons bench-b | awk -F: '$1 == "sub" { print $5; exit }')
        if $GPG --list-packets "$f.gpg" 2>/dev/null | grep -qi "keyid $bkeyid"; then rec reveal.gpg.recipient yes; else rec reveal.gpg.recipient no; fi
        if $GPG --list-packets "$f.gpgh" 2>/dev/null | grep -qi "keyid $bkeyid"; then rec reveal.gpgh.recipient yes; else rec reveal.gpgh.recipient no; fi
    fi
done

# ---- work 5: sealing and opening in the library -------------------------
for r in $(seq 1 "$RUNS"); do
    say "work 5: bench_seal, run $r of $RUNS"
    "$B/bench_seal" > "$W/seal.$r" 2> "$W/seal.$r.err" || { cat "$W/seal.$r.err" >&2; exit 1; }
    ingest seal "$W/seal.$r"
done

# ---- work 4: a large file -----------------------------------------------
say "work 4: a ${FILE_MIB} MiB file with enlace, age, GnuPG and NNCP"
BIG=$W/big
head -c "$((FILE_MIB * 1048576))" /dev/urandom > "$BIG"
for r in $(seq 1 "$RUNS"); do
    settle
    "$B/bench_file" "$FILE_MIB" > "$W/file" 2> "$W/file.err" || { cat "$W/file.err" >&2; exit 1; }
    ingest file "$W/file"
    timed age.seal age -r "$AGE_R" -o "$BIG.age" "$BIG"
    timed age.open age -d -i "$W/age.key" -o "$BIG.out" "$BIG.age"
    cmp -s "$BIG" "$BIG.out" || { echo "bench: age round trip differs" >&2; exit 1; }
    rm -f "$BIG.age" "$BIG.out"
    timed gpg.seal $GPG --compress-algo none -r bench-b -o "$BIG.gpg" -e "$BIG"
    timed gpg.open $GPG -o "$BIG.out" -d "$BIG.gpg"
    cmp -s "$BIG" "$BIG.out" || { echo "bench: gpg round trip differs" >&2; exit 1; }
    rm -f "$BIG.gpg" "$BIG.out"
    nncp_reset
    timed nncp.big_seal nncp-file -quiet -cfg "$NN/A.hjson" "$BIG" b:big
    timed nncp.big_xfer_tx nncp-xfer -quiet -mkdir -tx -cfg "$NN/A.hjson" "$NN/stick"
    timed nncp.big_xfer_rx nncp-xfer -quiet -rx -cfg "$NN/B.hjson" "$NN/stick"
    timed nncp.big_open nncp-toss -quiet -cfg "$NN/B.hjson"
    cmp -s "$BIG" "$NN/spoolB/incoming/big" || { echo "bench: NNCP round trip differs" >&2; exit 1; }
    nncp_reset
done
rm -f "$BIG"
say "work 4: peak memory moving a ${BIG_MIB} MiB file with enlace (once)"
settle
"$B/bench_file" "$BIG_MIB" --no-pace > "$W/filebig" 2> "$W/filebig.err" || { cat "$W/filebig.err" >&2; exit 1; }
ingest filebig "$W/filebig"

# ---- reconciliation (issue 3) -------------------------------------------
for r in $(seq 1 "$RUNS"); do
    say "reconciliation: 1,000,000 vs 1,000,000, run $r of $RUNS"
    for c in "10 random" "10 newest" "0 random"; do
        set -- $c
        "$B/bench_recon" 1000000 "$1" "$2" > "$W/recon" 2> "$W/recon.err" || { cat "$W/recon.err" >&2; exit 1; }
        ingest "recon.$1.$2" "$W/recon"
    done
done

# ---- recognition (issue 4) ----------------------------------------------
say "recognition: $FOREIGN foreign notes, 1 session vs 1,000 (once; the two alternate)"
"$B/bench_recognize" "$FOREIGN" 1000 2000 "$((FOREIGN / 5))" > "$W/recog" 2> "$W/recog.err" || { cat "$W/recog.err" >&2; exit 1; }
ingest recog "$W/recog"

# ---- the command line: one process, one unlock --------------------------
say "the command line: enlace status, Argon2id at the default and interactive cost"
export ENLACE_PASSPHRASE="bench passphrase, not a secret"
"$ENLACE" --home "$W/cli-default" init --name ana > /dev/null
"$ENLACE" --home "$W/cli-inter" init --name ana --kdf interactive > /dev/null
for r in $(seq 1 "$RUNS"); do
    timed cli.version "$ENLACE" version > /dev/null
    timed cli.status_default "$ENLACE" --home "$W/cli-default" status > /dev/null
    timed cli.status_inter "$ENLACE" --home "$W/cli-inter" status > /dev/null
    timed cli.age_open age -d -i "$W/age.key" -o /dev/null "$W/msg100.age"
    timed cli.gpg_open $GPG -o /dev/null -d "$W/msg100.gpg"
done
unset ENLACE_PASSPHRASE

# ---- short conversations: 100 messages between each of PAIRS pairs -----
if [ "$PAIRS" -gt 0 ]; then
    say "work 2 and 3: enlace, $PAIR_N messages between $PAIRS pairs (once)"
    settle
    "$B/bench_dropbox" "$PAIR_N" 100 "$PAIRS" > "$W/dropP" 2> "$W/dropP.err" || { cat "$W/dropP.err" >&2; exit 1; }
    ingest dropP "$W/dropP"
    settle
    "$B/bench_tcp" "$PAIR_N" 100 "$PAIRS" > "$W/tcpP" 2> "$W/tcpP.err" || { cat "$W/tcpP.err" >&2; exit 1; }
    ingest tcpP "$W/tcpP"
fi

# ---- work 2 and 3: 10,000 messages, enlace and NNCP alternating ---------
# Last, because NNCP's paths are most of the run's time: the first round of
# each always runs; a later NNCP round runs only if, priced at its first
# round's time, it and the enlace runs still to come end within BUDGET
# seconds of the start. Every enlace round runs.
nncp_queue() { # KEY: nncp-file for every message, one process each, one per core at a time
    local t0
    t0=$(now)
    seq 0 $((N - 1)) | xargs -P "$(nproc)" -I '{}' nncp-file -quiet -cfg "$NN/A.hjson" "$MSGS/m{}" "b:m{}"
    rec "$1.s" "$(since "$t0")"
}
# fits STEP LATER: whether a step of about STEP seconds, then LATER seconds
# of enlace runs, end within the budget.
fits() { awk -v e="$(( $(date +%s) - START ))" -v s="$1" -v l="$2" -v b="$BUDGET" 'BEGIN { exit !(e + s + l <= b) }'; }
NNCP_DROP_ROUNDS=0; NNCP_TCP_ROUNDS=0; T_NDROP=0; T_NTCP=0; T_EDROP=0; T_ETCP=0
for r in $(seq 1 "$RUNS"); do
    say "work 2: enlace, dead drop, $N messages, run $r of $RUNS"
    t0=$(now)
    settle
    "$B/bench_dropbox" "$N" 100 > "$W/drop.$r" 2> "$W/drop.$r.err" || { cat "$W/drop.$r.err" >&2; exit 1; }
    ingest drop "$W/drop.$r"
    if [ "$r" = 1 ]; then T_EDROP=$(since "$t0"); fi
    # the enlace runs still to come after this round's NNCP dead drop
    later=$(calc "$T_ETCP + ($RUNS - $r) * ($T_EDROP + $T_ETCP)" 3)

    if [ "$r" = 1 ] || fits "$T_NDROP" "$later"; then
        say "work 2: NNCP, dead drop (nncp-file, nncp-xfer, nncp-toss), run $r of $RUNS"
        t0=$(now)
        nncp_reset
        if [ "$r" = 1 ]; then
            # nncp-file once per message, a process each: $N of them take
            # minutes, so they run in the first round only; every NNCP path
            # of every round starts from a copy of that queue.
            nncp_queue nncp.queue
            cp -a "$NN/spoolA" "$NN/queued"
        else
            rm -rf "$NN/spoolA"; cp -a "$NN/queued" "$NN/spoolA"
        fi
        timed nncp.xfer_tx nncp-xfer -quiet -mkdir -tx -cfg "$NN/A.hjson" "$NN/stick"
        timed nncp.xfer_rx nncp-xfer -quiet -rx -cfg "$NN/B.hjson" "$NN/stick"
        timed nncp.drop_toss nncp-toss -quiet -cfg "$NN/B.hjson"
        rec nncp.drop_delivered "$(nncp_delivered)"
        NNCP_DROP_ROUNDS=$((NNCP_DROP_ROUNDS + 1))
        # a later round copies the queue instead of making it
        if [ "$r" = 1 ]; then T_NDROP=$(calc "$(since "$t0") - $(med nncp.queue.s)" 3); fi
    else
        say "work 2: NNCP, dead drop, run $r of $RUNS: skipped (about ${T_NDROP} s more would end the run past ${BUDGET} s)"
    fi

    say "work 3: enlace, loopback TCP, $N messages, run $r of $RUNS"
    t0=$(now)
    settle
    "$B/bench_tcp" "$N" 100 > "$W/tcp.$r" 2> "$W/tcp.$r.err" || { cat "$W/tcp.$r.err" >&2; exit 1; }
    ingest tcp "$W/tcp.$r"
    if [ "$r" = 1 ]; then T_ETCP=$(since "$t0"); fi
    later=$(calc "($RUNS - $r) * ($T_EDROP + $T_ETCP)" 3)

    if [ "$r" = 1 ] || fits "$T_NTCP" "$later"; then
        say "work 3: NNCP, loopback TCP (nncp-daemon, nncp-call, nncp-toss), run $r of $RUNS"
        t0=$(now)
        rm -rf "$NN/spoolA" "$NN/spoolB" "$NN/stick"
        cp -a "$NN/queued" "$NN/spoolA"
        mkdir -p "$NN/spoolB/incoming"
        nncp_daemon_start
        timed nncp.call nncp-call -quiet -cfg "$NN/A.hjson" -onlinedeadline 1 b
        nncp_daemon_stop
        timed nncp.tcp_toss nncp-toss -quiet -cfg "$NN/B.hjson"
        rec nncp.tcp_delivered "$(nncp_delivered)"
        NNCP_TCP_ROUNDS=$((NNCP_TCP_ROUNDS + 1))
        if [ "$r" = 1 ]; then T_NTCP=$(since "$t0"); fi
    else
        say "work 3: NNCP, loopback TCP, run $r of $RUNS: skipped (about ${T_NTCP} s more would end the run past ${BUDGET} s)"
    fi
done
rm -rf "$NN/queued"
# NNCP's totals: the one queueing time, plus each round's carrying and tossing.
awk -F'\t' '
    $1 == "nncp.queue.s" { q = $2 } $1 == "nncp.xfer_tx.s" { tx[++nt] = $2 }
    $1 == "nncp.xfer_rx.s" { rx[++nr] = $2 } $1 == "nncp.drop_toss.s" { dt[++nd] = $2 }
    $1 == "nncp.call.s" { c[++nc] = $2 } $1 == "nncp.tcp_toss.s" { tt[++nn] = $2 }
    END { for (i = 1; i <= nt; i++) printf "nncp.drop_total.s\t%.3f\n", q + tx[i] + rx[i] + dt[i]
          for (i = 1; i <= nc; i++) printf "nncp.tcp_total.s\t%.3f\n", q + c[i] + tt[i] }' "$RES" >> "$RES"

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(( $(date +%s) - START ))
say "writing $OUT"

# ======================================================================
# docs/BENCHMARKS.md
# ======================================================================
v() { med "$1"; }
yesno() { case "$(vals "$1")" in yes) echo "yes (checked in this run)" ;; no) echo "no (checked in this run)" ;; *) echo "?" ;; esac; }
target() { # "met" / "missed" from a shell test expression on numbers
    case "$*" in *n/a*) echo "not measured" ;; *) if awk "BEGIN { exit !($1) }"; then echo "**met**"; else echo "**missed**"; fi ;; esac
}
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
OS=$( (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") || uname -s)
V_ENLACE=$("$ENLACE" version 2>/dev/null | head -n 1)
V_GIT=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
V_NNCP=$(nncp-file -version 2>&1 | head -n 1)
V_AGE=$(age --version 2>&1 | head -n 1)
V_GPG=$(gpg --version | head -n 1)
V_SODIUM=$(pkg-config --modversion libsodium 2>/dev/null || echo unknown)
V_SQLITE=$(pkg-config --modversion sqlite3 2>/dev/null || echo unknown)

# Derived figures.
X=$(v seal.x25519_us); XB=$(v seal.x25519_base_us)
dhcost() { calc "$(v "seal.$1_x25519") * $X + $(v "seal.$1_x25519_base") * $XB"; }
E_DROP=$(v drop.total_s); P_DROP=$(v nncp.drop_total.s)
E_TCP=$(v tcp.total_s); P_TCP=$(v nncp.tcp_total.s)
FN100=$(dhcost crypto_seal_first_new_100)
FN_RATIO=$(ratio "$(v seal.crypto_seal_first_new_100_us)" "$FN100")
AGE_MIBS=$(calc "$FILE_MIB / $(v age.seal.s)" 0)
AGE_OPEN_MIBS=$(calc "$FILE_MIB / $(v age.open.s)" 0)
E_SEAL_MIBS=$(calc "$FILE_MIB / $(v file.seal_s)" 0)
E_OPEN_MIBS=$(calc "$FILE_MIB / ($(v file.intake_s) + $(v file.save_s))" 0)
E_CARRY_MIBS=$(calc "$FILE_MIB / $(v file.drop_a_s)" 0)
# What the primitives allow, measured by bench_file in the same run: every
# byte of a file costs enlace one AEAD and some BLAKE2b passes (see Work 4).
P_AEAD=$(v file.aead_mibs); P_B2=$(v file.blake2b_mibs)
CEIL_NOTE=$(calc "1 / (1 / $P_AEAD + 1 / $P_B2)" 0)        # AEAD + the note's id
CEIL_SEAL=$(calc "1 / (1 / $P_AEAD + 3 / $P_B2)" 0)        # + the file's hash, twice
CEIL_OPEN=$(calc "1 / (3 / $P_AEAD + 2 / $P_B2)" 0)        # see the table in Work 4
if awk "BEGIN { exit !(0.8 * $AGE_MIBS > $CEIL_NOTE) }" 2>/dev/null; then
    CEIL_VERDICT="more than one AEAD and one hash over every byte allow on this
machine, so no note named by a hash of its bytes can be sealed that fast on
one core with these primitives, whatever the rest of the work costs."
else
    CEIL_VERDICT="within what one AEAD and one hash over every byte allow on
this machine (for a file this small, age's start-up weighs on its pace)."
fi
R_DROP_P=n/a; R_TCP_P=n/a
if [ "$PAIRS" -gt 0 ]; then
    R_DROP_P=$(ratio "$(calc "$(v dropP.total_s) / $PAIR_N" 6)" "$(calc "$P_DROP / $N" 6)")
    R_TCP_P=$(ratio "$(calc "$(v tcpP.total_s) / $PAIR_N" 6)" "$(calc "$P_TCP / $N" 6)")
fi

# A run past the issue's ten minutes says where the time went.
SLOW_RUN=""
if [ "$ELAPSED" -gt 600 ]; then
    SLOW_RUN="

**This run took more than ten minutes** (issue 9 asks for less), although
NNCP's later rounds of work 2 and 3 were left out as the budget asked. The
first rounds, which always run, are most of it: NNCP's queue alone, $N
\`nncp-file\` processes, took $(v nncp.queue.s) s, on a machine where
starting a process costs $(v spawn.ms) ms."
fi
NNCP_ROUNDS_TEXT="NNCP's dead drop ran in $NNCP_DROP_ROUNDS of the $RUNS rounds and its TCP path
in $NNCP_TCP_ROUNDS (enlace's in all $RUNS): the first round of each always runs, and a later one only if, priced at
the first round's time, the run still ends within $BUDGET s (BENCH_BUDGET),
so that \`make bench\` takes under ten minutes"
if [ "$NNCP_DROP_ROUNDS" -lt "$RUNS" ] || [ "$NNCP_TCP_ROUNDS" -lt "$RUNS" ]; then
    NNCP_ROUNDS_TEXT="$NNCP_ROUNDS_TEXT; a path run once shows that run's figures, not
medians, and no spread"
fi

mkdir -p "$(dirname "$OUT")"
{
cat <<EOF
# Benchmarks

Generated by \`make bench\` (bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'), in ${ELAPSED} s
(the build and the peers' installation included: they took ${BUILD_S} s). Every figure below comes from that one run on this machine; run \`make bench\`
to get your own. enlace and each peer were run on the same machine, one after
the other, alternating, $RUNS times (but see NNCP in work 2 and 3); tables show medians (with the spread,
min-max, where it matters) and ratios enlace / peer: **below 1 means enlace
took less time or fewer bytes**.

**The machine was shared with other work while this ran** (a development
machine, not a quiet bench: load average $LOAD_START at the start, $LOAD_END at
the end, on $(nproc) cores). Absolute times are noisy, disk-bound ones most of
all (enlace syncs its store to the disk once per batch of notes); the
ratios, taken from runs that alternate, are what to compare.$SLOW_RUN

| | |
| --- | --- |
| machine | $(nproc) cores, $CPU, $MEM RAM, $OS, Linux $(uname -r) |
| starting a process | $(v spawn.ms) ms (\`/bin/true\`, 200 times) |
| enlace | $V_ENLACE (git $V_GIT), libsodium $V_SODIUM, SQLite $V_SQLITE |
| NNCP | $V_NNCP |
| age | $V_AGE |
| GnuPG | $V_GPG |

## Targets

| target (issue) | figure in this run | |
| --- | --- | --- |
| first-contact sealing within 1.5x the cost of its Diffie-Hellman operations (9, work 5) | $FN_RATIO x ($(v seal.crypto_seal_first_new_100_us) µs for a seal that does $(v seal.crypto_seal_first_new_100_x25519) + $(v seal.crypto_seal_first_new_100_x25519_base) X25519, priced $FN100 µs) | $(target "$FN_RATIO <= 1.5") |
| 10,000 messages through a dead drop: at least 10x less time than NNCP (9, work 2) | one conversation: enlace / NNCP = $(ratio "$E_DROP" "$P_DROP") with $(v drop.delivered) of $N messages delivered; short conversations ($PAIRS pairs x 100): $R_DROP_P a message, all $(v dropP.delivered) delivered | $(target "$(ratio "$E_DROP" "$P_DROP") <= 0.1 && $(v drop.delivered) == $N") (per message: $(target "$R_DROP_P <= 0.1")) |
| the same over loopback TCP: at least 10x less time than NNCP (9 work 3; 3) | one conversation: enlace / NNCP = $(ratio "$E_TCP" "$P_TCP") with $(v tcp.delivered) of $N messages delivered; short conversations: $R_TCP_P a message, $(v tcpP.delivered) delivered | $(target "$(ratio "$E_TCP" "$P_TCP") <= 0.1 && $(v tcp.delivered) == $N") (per message: $(target "$R_TCP_P <= 0.1")) |
| sealed 100-byte message smaller than NNCP and age (9, work 1) | first-contact note $(v seal.size_first_100) B, ratchet note $(v seal.size_ratchet_100) B; NNCP $(v size.nncp.100) B, age $(v size.age.100) B | $(target "$(v seal.size_first_100) < $(v size.nncp.100) && $(v seal.size_first_100) < $(v size.age.100)") (first-contact), $(target "$(v seal.size_ratchet_100) < $(v size.nncp.100) && $(v seal.size_ratchet_100) < $(v size.age.100)") (ratchet) |
| $FILE_MIB MiB file at 80% of age's throughput (9, work 4) | seal $E_SEAL_MIBS MiB/s = $(ratio "$E_SEAL_MIBS" "$AGE_MIBS") x age's $AGE_MIBS; take in and save $E_OPEN_MIBS MiB/s = $(ratio "$E_OPEN_MIBS" "$AGE_OPEN_MIBS") x age's $AGE_OPEN_MIBS. One AEAD and one hash over every byte, the least a note with a content id costs, allow $CEIL_NOTE MiB/s here = $(ratio "$CEIL_NOTE" "$AGE_MIBS") x age's seal (Work 4) | $(target "$(ratio "$E_SEAL_MIBS" "$AGE_MIBS") >= 0.8") (seal), $(target "$(ratio "$E_OPEN_MIBS" "$AGE_OPEN_MIBS") >= 0.8") (open) |
| a $BIG_MIB MiB file moves with under 64 MiB of peak memory (8) | seal $(kib2mib "$(v filebig.peak_seal_kib)") MiB, take in $(kib2mib "$(v filebig.peak_carry_kib)") MiB, save $(kib2mib "$(v filebig.peak_save_kib)") MiB (file identical: $(vals filebig.identical)); the profile's unlock is apart: $(kib2mib "$(v filebig.maxrss_kdf_kib)") MiB of Argon2id at the interactive cost | $(target "$(maxof "$(v filebig.peak_seal_kib)" "$(maxof "$(v filebig.peak_carry_kib)" "$(v filebig.peak_save_kib)")") < 65536") |
| 1M vs 1M notes, 10 random differences: under 10 KiB after the handshake (3) | $(v recon.10.random.wire_bytes) B on the wire ($(v recon.10.random.recon_bytes) B of reconciliation messages); all newest: $(v recon.10.newest.wire_bytes) B | $(target "$(v recon.10.random.wire_bytes) < 10240") |
| ... at most 4 round trips (3) | $(v recon.10.random.round_trips) (all newest: $(v recon.10.newest.round_trips)) | $(target "$(v recon.10.random.round_trips) <= 4") |
| ... under 1 second (3) | $(v recon.10.random.exchange_s) s exchange, $(calc "$(v recon.10.random.init_s) + $(v recon.10.random.exchange_s)" 3) s with enl_recon_init | $(target "$(v recon.10.random.init_s) + $(v recon.10.random.exchange_s) < 1") |
| ... peak memory under 200 MiB (3) | $(kib2mib "$(v recon.10.random.maxrss_initiator_kib)") MiB per side | $(target "$(v recon.10.random.maxrss_initiator_kib) < 204800") |
| nothing to do: one round trip, under 1 KiB (3) | $(v recon.0.random.round_trips) round trip, $(v recon.0.random.wire_bytes) B | $(target "$(v recon.0.random.round_trips) == 1 && $(v recon.0.random.wire_bytes) < 1024") |
| \`make bench\` takes under 10 minutes on 2 cores (9) | $ELAPSED s on $(nproc) cores, the build included; NNCP's dead drop and TCP paths ran in $NNCP_DROP_ROUNDS and $NNCP_TCP_ROUNDS of $RUNS rounds (work 2) | $(target "$ELAPSED < 600") |
| recognising a foreign note costs the same with 1,000 sessions as with 1 (4) | $(v recog.peek_ratio)x ($(v recog.peek_many_us) µs vs $(v recog.peek_one_us) µs a note) | $(target "$(v recog.peek_ratio) < 1.25") (within 25%) |

EOF

cat <<EOF
## Work 1: how big a sealed message is, and what it shows

Bytes on the wire or on disk for a message of 100 and 1,000 bytes (the
same text for every tool; GnuPG without compression).

| tool | 100 B | 1,000 B | vs NNCP (100 B) | vs age (100 B) | sender in the clear | recipient in the clear | size |
| --- | ---: | ---: | ---: | ---: | --- | --- | --- |
| enlace first-contact note | $(v seal.size_first_100) | $(v seal.size_first_1000) | $(ratio "$(v seal.size_first_100)" "$(v size.nncp.100)") | $(ratio "$(v seal.size_first_100)" "$(v size.age.100)") | no (encrypted in the Noise X message) | no | padded (Padmé, 256 B floor) |
| enlace ratchet note | $(v seal.size_ratchet_100) | $(v seal.size_ratchet_1000) | $(ratio "$(v seal.size_ratchet_100)" "$(v size.nncp.100)") | $(ratio "$(v seal.size_ratchet_100)" "$(v size.age.100)") | no | no (a tag only the recipient can compute) | padded |
| NNCP packet (nncp-file) | $(v size.nncp.100) | $(v size.nncp.1000) | 1.00 | $(ratio "$(v size.nncp.100)" "$(v size.age.100)") | $(yesno reveal.nncp.sender): the sender's node id, and its signature | $(yesno reveal.nncp.recipient): the recipient's node id | exact (no padding by default) |
| age (X25519 recipient) | $(v size.age.100) | $(v size.age.1000) | $(ratio "$(v size.age.100)" "$(v size.nncp.100)") | 1.00 | no sender at all: not authenticated | no | exact |
| gpg -e | $(v size.gpg.100) | $(v size.gpg.1000) | $(ratio "$(v size.gpg.100)" "$(v size.nncp.100)") | $(ratio "$(v size.gpg.100)" "$(v size.age.100)") | no sender: not authenticated | $(yesno reveal.gpg.recipient): the recipient's key id | exact |
| gpg -s -e (signed) | $(v size.gpgs.100) | $(v size.gpgs.1000) | $(ratio "$(v size.gpgs.100)" "$(v size.nncp.100)") | $(ratio "$(v size.gpgs.100)" "$(v size.age.100)") | inside only (a signature anyone can verify once decrypted: not deniable) | yes: the recipient's key id | exact |
| gpg -s -R (signed, hidden recipient) | $(v size.gpgh.100) | $(v size.gpgh.1000) | $(ratio "$(v size.gpgh.100)" "$(v size.nncp.100)") | $(ratio "$(v size.gpgh.100)" "$(v size.age.100)") | inside only | $(yesno reveal.gpgh.recipient) (key id zeroed) | exact |

Besides its size, an enlace note shows only its expiry hour and its purge
lock (docs/PROTOCOL.md, section 3). A first-contact note is larger than a
ratchet note because it carries the Noise X ephemeral key and encrypted
static key (96 B), the sender's signing key (32 B) and the X3DH values
(36 B) on top of the ratchet message. None of those can go to make it fit under age's 300 B: a
session's first-contact notes carry the same X3DH key until the recipient
answers, so sending it as the Noise ephemeral key (in the clear) would let
a courier link every note of the session; the signing key is what shows
a stranger's fingerprint; and the inner ratchet message keeps the session
the same whichever note arrives first. The "in the clear" columns for NNCP and
GnuPG were checked in this run by looking for the node ids in the packet and
the key id in \`gpg --list-packets\`; the others are from the formats'
specifications.

EOF

cat <<EOF
## Work 2: $N messages of 100 bytes through a dead drop

enlace: \`bench_dropbox $N 100\`: A seals every message with
\`enl_send_text\` (one SQLite transaction each), \`enl_sync_folder\` by A
writes the notes into a folder, \`enl_sync_folder\` by B reads, recognises,
opens and stores them; then B's inbox is counted. NNCP: \`nncp-file\` once
per message (a process each, $(nproc) at a time: one per core, while enlace
seals on one), \`nncp-xfer -tx\` into a folder, \`nncp-xfer -rx\` and
\`nncp-toss\` on B; delivered = files in B's incoming folder.

$NNCP_ROUNDS_TEXT. These paths run last, after every other work.

| step | enlace (s) | NNCP (s) | enlace / NNCP |
| --- | ---: | ---: | ---: |
| seal $N | $(v drop.seal_s) | $(v nncp.queue.s) | $(ratio "$(v drop.seal_s)" "$(v nncp.queue.s)") |
| A puts them in the folder | $(v drop.sync_a_s) | $(v nncp.xfer_tx.s) | $(ratio "$(v drop.sync_a_s)" "$(v nncp.xfer_tx.s)") |
| B takes them and opens them | $(v drop.sync_b_s) | $(calc "$(v nncp.xfer_rx.s) + $(v nncp.drop_toss.s)" 3) | $(ratio "$(v drop.sync_b_s)" "$(calc "$(v nncp.xfer_rx.s) + $(v nncp.drop_toss.s)" 3)") |
| **total** (spread) | **$E_DROP** ($(span drop.total_s)) | **$P_DROP** ($(span nncp.drop_total.s)) | **$(ratio "$E_DROP" "$P_DROP")** |
| messages delivered | $(v drop.delivered) of $N | $(v nncp.drop_delivered) of $N | |
| refused by B ("too large": beyond the ratchet's skip bound) | $(v drop.b_skipped) | 0 | |
| counted as duplicates by B (their skipped keys were dropped) | $(v drop.b_duplicates) | 0 | |
| bytes in the folder | $(v drop.a_bytes) | | |
| peak memory (MiB) | $(kib2mib "$(v drop.maxrss_kib)") (A and B in one process) | $(kib2mib "$(maxof "$(v nncp.file1.kib)" "$(v nncp.xfer_tx.kib)" "$(v nncp.xfer_rx.kib)" "$(v nncp.drop_toss.kib)")") (largest process) | |

enlace's peak memory here is almost all Argon2id: creating or unlocking a
profile at the interactive cost takes 64 MiB for a moment (the default cost
takes 256 MiB, see the command line below); the work itself adds a few MiB.

EOF
if [ "$(v drop.delivered)" != "$N" ]; then cat <<EOF
**enlace does not deliver the $N messages.** All $N notes are one sender's
ratchet chain (first-contact notes until B replies), and B takes them in the
order of their ids, which is random with respect to their message numbers.
A note more than ENL_RATCHET_MAX_SKIP (128) ahead of the chain is refused
("too large") and stays in the folder; a note within reach makes B keep the
keys it skipped, at most ENL_RATCHET_MAX_SKIPPED (256), the oldest dropped
first, and the notes whose keys were dropped are then refused as already
read (counted as duplicates) although they never were. The time above is
the time of that partial work; the enlace / NNCP ratio is not a fair
comparison until every message arrives. The short-conversations table
below moves 100 messages between each of $PAIRS pairs, which the bounds allow,
and compares the cost a message.

EOF
fi

cat <<EOF
## Work 3: the same $N messages over loopback TCP

enlace: \`bench_tcp $N 100\`: A seals them, B listens (\`enl_listen\`, in
a child process), A runs \`enl_sync_tcp tcp://b@127.0.0.1:PORT\`: Noise XK,
reconciliation, then every note; B takes each one in (recognises, opens,
stores) before the session ends. NNCP: the same queue as work 2,
\`nncp-daemon\` on B, \`nncp-call -onlinedeadline 1\` from A (it hangs up
after 1 s with nothing to do), then \`nncp-toss\` on B.

NNCP's queue (\`nncp-file\` for each of the $N messages, one process each,
$(nproc) at a time) was made once, in the first round, and timed there; every NNCP path of every
round starts from a copy of it, and every NNCP total adds that one time.
(It took $(v nncp.queue.s) s in this run; doing it in each round would take
\`make bench\` past ten minutes.)

| step | enlace (s) | NNCP (s) | enlace / NNCP |
| --- | ---: | ---: | ---: |
| seal $N | $(v tcp.seal_s) | $(v nncp.queue.s) | $(ratio "$(v tcp.seal_s)" "$(v nncp.queue.s)") |
| move them and open them | $(v tcp.sync_s) | $(calc "$(v nncp.call.s) + $(v nncp.tcp_toss.s)" 3) (call $(v nncp.call.s), toss $(v nncp.tcp_toss.s)) | $(ratio "$(v tcp.sync_s)" "$(calc "$(v nncp.call.s) + $(v nncp.tcp_toss.s)" 3)") |
| **total** (spread) | **$E_TCP** ($(span tcp.total_s)) | **$P_TCP** ($(span nncp.tcp_total.s)) | **$(ratio "$E_TCP" "$P_TCP")** |
| messages delivered | $(v tcp.delivered) of $N | $(v nncp.tcp_delivered) of $N | |
| refused by B ("too large": beyond the ratchet's skip bound) | $(v tcp.b_skipped) | 0 | |
| counted as duplicates by B (their skipped keys were dropped) | $(v tcp.b_duplicates) | 0 | |
| how the sync ended (A; B) | $(vals tcp.sync_rc); $(vals tcp.listen_rc) | | |
| bytes sent by A (after the handshake) | $(v tcp.bytes_sent) | | |
| peak memory (MiB), A / B | $(kib2mib "$(v tcp.maxrss_a_kib)") / $(kib2mib "$(v tcp.maxrss_b_kib)") | $(kib2mib "$(v nncp.call.kib)") / $(kib2mib "$(maxof "$(v nncp.daemon.kib)" "$(v nncp.tcp_toss.kib)")") | |

EOF
if [ "$(v tcp.delivered)" != "$N" ]; then
    if [ "$(vals tcp.listen_rc)" = ok ]; then cat <<EOF
**enlace does not deliver the $N messages over TCP either**, for the same
reason: B takes the notes in the order A sends them (smallest first, then by
expiry and id: random with respect to message numbers), refuses those beyond
the skip bound and loses those whose skipped keys it dropped. The sync
itself ends without an error.

EOF
    else cat <<EOF
**enlace does not deliver the $N messages over TCP either.** B takes the
notes in the order A sends them (smallest first, then by expiry and id:
random with respect to message numbers), and the sync ended with an error
($(vals tcp.sync_rc) on A's side, $(vals tcp.listen_rc) on B's): a note
refused as "too large" (beyond the skip bound) was taken for a protocol
violation and the link was cut.

EOF
    fi
fi

if [ "$PAIRS" -gt 0 ]; then
    pm() { calc "1000 * $1 / $2" 2; }    # ms a message
    NQ=$(v nncp.queue.s)
    NDROP=$(calc "$(v nncp.xfer_tx.s) + $(v nncp.xfer_rx.s) + $(v nncp.drop_toss.s)" 3)
    NTCP=$(calc "$(v nncp.call.s) + $(v nncp.tcp_toss.s)" 3)
    cat <<EOF
### Short conversations: $PAIR_N messages between $PAIRS pairs

Run once, before the rounds above: \`bench_dropbox $PAIR_N 100 $PAIRS\` and \`bench_tcp
$PAIR_N 100 $PAIRS\`: $PAIRS independent pairs, 100 messages from each A to its B,
every pair with its own dead drop or its own TCP sync, one pair after the
other. The same work a message (seal, carry, recognise, open, store; B
leaves a purge for each note in the folder), in conversations the ratchet's
bounds allow. Compared a message with NNCP's medians for $N messages above
(NNCP's cost a message does not depend on how many senders there are).

| ms a message | enlace, dead drop | NNCP, dead drop | enlace / NNCP | enlace, TCP | NNCP, TCP | enlace / NNCP |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| seal | $(pm "$(v dropP.seal_s)" "$PAIR_N") | $(pm "$NQ" "$N") | $(ratio "$(pm "$(v dropP.seal_s)" "$PAIR_N")" "$(pm "$NQ" "$N")") | $(pm "$(v tcpP.seal_s)" "$PAIR_N") | $(pm "$NQ" "$N") | $(ratio "$(pm "$(v tcpP.seal_s)" "$PAIR_N")" "$(pm "$NQ" "$N")") |
| carry and open | $(pm "$(calc "$(v dropP.sync_a_s) + $(v dropP.sync_b_s)" 3)" "$PAIR_N") | $(pm "$NDROP" "$N") | $(ratio "$(pm "$(calc "$(v dropP.sync_a_s) + $(v dropP.sync_b_s)" 3)" "$PAIR_N")" "$(pm "$NDROP" "$N")") | $(pm "$(v tcpP.sync_s)" "$PAIR_N") | $(pm "$NTCP" "$N") | $(ratio "$(pm "$(v tcpP.sync_s)" "$PAIR_N")" "$(pm "$NTCP" "$N")") |
| **total** | **$(pm "$(v dropP.total_s)" "$PAIR_N")** | **$(pm "$P_DROP" "$N")** | **$(ratio "$(pm "$(v dropP.total_s)" "$PAIR_N")" "$(pm "$P_DROP" "$N")")** | **$(pm "$(v tcpP.total_s)" "$PAIR_N")** | **$(pm "$P_TCP" "$N")** | **$(ratio "$(pm "$(v tcpP.total_s)" "$PAIR_N")" "$(pm "$P_TCP" "$N")")** |
| delivered | $(v dropP.delivered) of $PAIR_N | | | $(v tcpP.delivered) of $PAIR_N | | |
| peak memory (MiB) | $(kib2mib "$(v dropP.maxrss_kib)") (all pairs in one process) | | | $(kib2mib "$(v tcpP.maxrss_a_kib)") / $(kib2mib "$(v tcpP.maxrss_b_kib)") (A / B) | | |

EOF
fi

cat <<EOF
## Work 4: a $FILE_MIB MiB file

enlace: \`bench_file $FILE_MIB\`: A seals the file with \`enl_send_file\` (hash,
then $(v file.notes) notes sealed 64 to a transaction), A writes the notes to
a dead drop, B takes them in (recognises, opens and stores every part
encrypted under a key of that file's own, committed 64 full notes (4 MiB)
a transaction) and writes the file out with \`enl_file_save\` (streamed
from the store, checked against the hash, then the file's key overwritten
and its parts deleted: a file is saved once), and
the result is compared with the original ($(vals file.identical)). "open" is
taking in plus saving. The peers seal and open the same file. Throughput in
MiB/s (medians of $RUNS), and peak memory: for enlace, the file work's own
peak (the Argon2id of the profiles' unlock, $(kib2mib "$(v file.maxrss_kdf_kib)") MiB at the
interactive cost, is reset away: it is the same for a message or a file).

| tool | seal (MiB/s) | open (MiB/s) | peak memory seal / open (MiB) |
| --- | ---: | ---: | ---: |
| enlace | $E_SEAL_MIBS | $E_OPEN_MIBS (take in $(calc "$FILE_MIB / $(v file.intake_s)" 0), save $(calc "$FILE_MIB / $(v file.save_s)" 0)) | $(kib2mib "$(v file.peak_seal_kib)") / $(kib2mib "$(maxof "$(v file.peak_carry_kib)" "$(v file.peak_save_kib)")") |
| age | $(calc "$FILE_MIB / $(v age.seal.s)" 0) | $(calc "$FILE_MIB / $(v age.open.s)" 0) | $(kib2mib "$(v age.seal.kib)") / $(kib2mib "$(v age.open.kib)") |
| GnuPG (no compression) | $(calc "$FILE_MIB / $(v gpg.seal.s)" 0) | $(calc "$FILE_MIB / $(v gpg.open.s)" 0) | $(kib2mib "$(v gpg.seal.kib)") / $(kib2mib "$(v gpg.open.kib)") |
| NNCP (nncp-file; nncp-toss) | $(calc "$FILE_MIB / $(v nncp.big_seal.s)" 0) | $(calc "$FILE_MIB / $(v nncp.big_open.s)" 0) | $(kib2mib "$(v nncp.big_seal.kib)") / $(kib2mib "$(v nncp.big_open.kib)") |

NNCP also spent $(v nncp.big_xfer_tx.s) s and $(v nncp.big_xfer_rx.s) s copying the packet out to a folder and in;
enlace spent $(v file.drop_a_s) s ($E_CARRY_MIBS MiB/s) writing its notes to the drop (a file
a note, one syncfs at the end). enlace hashes the file twice (once to seal
its hash in the head, once more as it reads the parts, to refuse a file that
changed meanwhile), hashes every note for its id, and keeps every note in
its store, encrypted parts included, committed in batches: those passes, not
the AEAD, set its pace.

**What the primitives allow.** bench_file also timed, in this run, the two
primitives every byte of a file goes through, on blocks the size of a full
part's note (65535 bytes), in libsodium $V_SODIUM: XChaCha20-Poly1305
at **$P_AEAD MiB/s** and BLAKE2b at **$P_B2 MiB/s**, on one core. Pricing each
pass at those rates gives the fastest each way of doing the work could go,
with the disk, SQLite and the dead drop taken as free:

| what every byte goes through | passes | at most (MiB/s) | x age's seal (last row: open) | enlace measured | of that ceiling |
| --- | --- | ---: | ---: | ---: | ---: |
| the AEAD alone (no id, no store: what age does) | 1 AEAD | $P_AEAD | $(ratio "$P_AEAD" "$AGE_MIBS") | | |
| any note with a content id: the AEAD and its id | 1 AEAD + 1 hash | $CEIL_NOTE | $(ratio "$CEIL_NOTE" "$AGE_MIBS") | | |
| enlace seal: the file's hash twice, the AEAD, the note's id | 1 AEAD + 3 hash | $CEIL_SEAL | $(ratio "$CEIL_SEAL" "$AGE_MIBS") | $E_SEAL_MIBS | $(ratio "$E_SEAL_MIBS" "$CEIL_SEAL") |
| enlace open: take in (the id, the AEAD, the store's AEAD), save (the store's AEAD, the file's hash) | 3 AEAD + 2 hash | $CEIL_OPEN | $(ratio "$CEIL_OPEN" "$AGE_OPEN_MIBS") | $E_OPEN_MIBS | $(ratio "$E_OPEN_MIBS" "$CEIL_OPEN") |

The issue-9 target, 80% of age's seal, is $(calc "0.8 * $AGE_MIBS" 0) MiB/s: $CEIL_VERDICT
Every note is named by the BLAKE2b hash of all its bytes, because that
name is what couriers reconcile, deduplicate and purge by: a name that did
not cover every byte would let a courier put a different note under a
real note's name and keep the real one from ever spreading. What is left
to win is the distance between the measured figures and the ceilings of
enlace's own passes, which the store and the drop's files take.

The same file work for a $BIG_MIB MiB file, run once (\`bench_file $BIG_MIB --no-pace\`: without timing the primitives again):
sealing peaks at $(kib2mib "$(v filebig.peak_seal_kib)") MiB, taking the notes in at
$(kib2mib "$(v filebig.peak_carry_kib)") MiB and saving the file at $(kib2mib "$(v filebig.peak_save_kib)") MiB
(seal $(v filebig.seal_s) s, carry $(v filebig.drop_a_s) s, take in $(v filebig.intake_s) s,
save $(v filebig.save_s) s; identical: $(vals filebig.identical)). Memory follows the
size of a part, not of the file. The peak of a whole \`enlace\` process adds
the Argon2id of its unlock, fixed whatever it then does: 64 MiB at the
interactive cost, 256 MiB at the default (see the command line, below).

EOF

cat <<EOF
## Work 5: sealing and opening in the library

\`bench_seal\`: per note, median of $RUNS runs. Baselines measured in the same
run: one X25519 (\`crypto_scalarmult\`) **$X µs**, one fixed-base X25519
(\`crypto_scalarmult_base\`, for key generation) **$XB µs**, one
XChaCha20-Poly1305 of a whole 100-byte ratchet note ($(v seal.size_ratchet_100) B)
**$(v seal.aead_ratchet_100_us) µs**, of a 1,000-byte one ($(v seal.size_ratchet_1000) B)
**$(v seal.aead_ratchet_1000_us) µs**.

The X25519 columns are counted, not assumed: bench_seal wraps
\`crypto_scalarmult\` and \`crypto_scalarmult_base\` and counts every call the
library makes (variable base + fixed base). "DH cost" prices those calls at
the baselines above; "x DH" is the operation's time over that price (the
issue-9 target is 1.5 for first-contact sealing); "x AEAD" is the time over
one AEAD of the whole note.

crypto = the pure layers only (x3dh, ratchet, note: the construction, no
store); library = \`enl_send_text\` / \`enl_note_intake\` on real profiles
(the same plus SQLite: one transaction with fsync a note, the session and
the message encrypted at rest).

| operation | size | µs | per second | X25519 (+ fixed-base) | DH cost (µs) | x DH | x AEAD |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
for lvl in crypto lib; do
  for op in seal_first_new open_first_new seal_first_cont open_first_cont seal_ratchet open_ratchet; do
    case "$lvl.$op" in
        lib.seal*) opname=${op/seal/send} ;;
        *) opname=$op ;;
    esac
    for size in 100 1000; do
        k="seal.${lvl}_${opname}_${size}"
        us=$(v "${k}_us"); dc=$(dhcost "${lvl}_${opname}_${size}")
        case "$op" in *ratchet) aead=$(v "seal.aead_ratchet_${size}_us") ;; *) aead=$(v "seal.aead_first_${size}_us") ;; esac
        xdh=n/a; [ "$(calc "$(v "${k}_x25519") >= 1" 0)" = 1 ] && xdh=$(ratio "$us" "$dc")
        case "$lvl.$op" in
            crypto.seal*) label="crypto: seal ${op#seal_}" ;; crypto.open*) label="crypto: open ${op#open_}" ;;
            lib.seal*) label="library: enl_send_text, ${op#seal_}" ;; lib.open*) label="library: enl_note_intake, ${op#open_}" ;;
        esac
        printf '| %s | %s | %s | %s | %s + %s | %s | %s | %s |\n' "$label" "$size" "$us" "$(v "${k}_per_s")" \
            "$(v "${k}_x25519")" "$(v "${k}_x25519_base")" "$dc" "$xdh" "$(ratio "$us" "$aead")"
    done
  done
done
cat <<EOF

first_new = the first note to a contact (X3DH from the card's prekey, a new
ratchet, its first message in a Noise X first-contact note); first_cont = a
later note before the contact has replied (still a first-contact note);
ratchet = once a reply was read (a bare ratchet message with its tag). The
library's first_new send was measured on a profile with 100 contacts (one
note to each): \`enl_send_text\` finds its contact by name by decrypting and
verifying the signature of every stored card in turn (src/core/contacts.c,
rec_get_name), so its cost grows with the number of contacts. The other
library rows use profiles with one contact each. The library's opening of
first_new notes takes in 100 notes from 100 senders who are not contacts
(requests).

Where the X25519 go. Sealing a first note: X3DH 3 + the ratchet's first
DH 1 + Noise X es and ss 2 = 6, plus 4 fixed-base: the X3DH ephemeral, the
ratchet key pair, the Noise ephemeral, and the sender's own public key,
which the Noise handshake recomputes from its secret key every time
(src/crypto/noise.c) although the identity holds it. Opening one: Noise X 2
+ X3DH 3 + the first DH ratchet step 2 = 7, plus 3 fixed-base (the
recomputed own key, the prekey check in the ratchet's start, the new ratchet
key). In the library every session load costs one more fixed-base X25519
(\`enl_ratchet_parse\` checks the stored key pair).

EOF

cat <<EOF
## Reconciliation of 1,000,000 notes (issue 3)

\`bench_recon 1000000 D PLACEMENT\`: two stores of 1,000,000 notes, each with
D/2 the other lacks, reconciled in memory with src/sync/reconcile.h the way
src/core/netsync.c does it (items keyed by expiry and id; the burn and purge
sets, empty here, travel alongside; each side in its own process). Bytes: the
reconciliation messages alone, and on the wire after the handshake (with the
RECON envelope, the other two sets and the link's framing: 2-byte length, chunk
flag, 16-byte tag). Medians of $RUNS.

| case | round trips | messages | bytes (recon) | bytes on the wire | largest message | exchange (s) | enl_recon_init (s) | sort (s) | peak memory per side (MiB) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
for c in "10 random:10 differences, placed at random" "10 newest:10 differences, all newest" "0 random:identical (nothing to do)"; do
    k=recon.${c%%:*}; k=${k// /.}
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${c#*:}" "$(v "$k.round_trips")" "$(v "$k.messages")" \
        "$(v "$k.recon_bytes")" "$(v "$k.wire_bytes")" "$(v "$k.largest_message")" "$(v "$k.exchange_s")" \
        "$(v "$k.init_s")" "$(v "$k.sort_s")" "$(kib2mib "$(v "$k.maxrss_initiator_kib")")"
done
cat <<EOF

Both sides found exactly the differences in every run (the program fails
otherwise). The sort stands for reading the items from the store, which a
real sync does first (src/core/netsync.c, set_build); its item list adds
about 72 bytes a note to the peak memory above, which counts the ids and
enl_recon_init's scratch (prefix sums and a bitmap: 8 bytes and 1 bit a
note) and making the set. The prefix sums are of SipHash values keyed by the
session's salt, so they wait for it: they are computed in the exchange (one
SipHash a note on each side). For scale (issue 3): negentropy's reference
implementation spends about 26 KB in 3 round trips on the random case.

## Recognising notes that are not mine (issue 4)

\`bench_recognize $FOREIGN 1000 2000 $((FOREIGN / 5))\`: two profiles, one with 1 session and
one with 1,000 (each started by a first-contact note taken in, as from a
contact), and $FOREIGN foreign notes of 256 bytes shaped as other people's
first-contact notes (the dearest kind: each costs an X25519 trial). The
1,000-session profile recognises all $FOREIGN, the 1-session one $((FOREIGN / 5))
of them for comparison (the first fifth of every tenth), the two
alternating chunk by chunk; run once. peek = \`enl_note_peek\`
(every check and the recognition, nothing written); intake =
\`enl_note_intake\` of 2,000 of them (the same, then stored to be carried
on: one transaction with fsync each).

| | 1 session | 1,000 sessions | ratio |
| --- | ---: | ---: | ---: |
| recognition tags held | $(v recog.tags_one) | $(v recog.tags_many) | |
| peek: µs a note ($(v recog.peek_one_notes) / $(v recog.peek_many_notes) notes) | $(v recog.peek_one_us) | $(v recog.peek_many_us) | $(v recog.peek_ratio) |
| peek: fastest / slowest tenth (µs) | $(v recog.peek_one_chunk_min_us) / $(v recog.peek_one_chunk_max_us) | $(v recog.peek_many_chunk_min_us) / $(v recog.peek_many_chunk_max_us) | |
| intake: µs a note ($(v recog.intake_one_notes) / $(v recog.intake_many_notes) notes) | $(v recog.intake_one_us) | $(v recog.intake_many_us) | $(v recog.intake_ratio) |
| X25519 a note (+ fixed-base) | $(v recog.peek_one_x25519) + $(v recog.peek_one_x25519_base) | $(v recog.peek_many_x25519) + $(v recog.peek_many_x25519_base) | |
| peak memory (MiB, both profiles) | $(kib2mib "$(v recog.maxrss_kib)") | | |

A foreign note costs one tag lookup and one X25519 whatever the number of
sessions; the fixed-base X25519 is the Noise handshake recomputing the
profile's own public key (see work 5). The rest of the ~$(v recog.peek_one_us) µs is the
store's lookups (held, read, purged, tag) and the buffers the intake path
allocates with sodium_malloc (guarded, locked pages) for every note.

## The command line: one process

Each \`enlace\` command is one process that unlocks the profile (Argon2id)
before it does anything; this is separate from the library figures above.
Medians of $RUNS.

| command | seconds | peak memory (MiB) |
| --- | ---: | ---: |
| \`enlace version\` (no profile) | $(v cli.version.s) | $(kib2mib "$(v cli.version.kib)") |
| \`enlace status\`, default cost (moderate: 256 MiB, 3 passes) | $(v cli.status_default.s) | $(kib2mib "$(v cli.status_default.kib)") |
| \`enlace status\`, \`init --kdf interactive\` (64 MiB, 2 passes) | $(v cli.status_inter.s) | $(kib2mib "$(v cli.status_inter.kib)") |
| \`age -d\` of a 100-byte message | $(v cli.age_open.s) | $(kib2mib "$(v cli.age_open.kib)") |
| \`gpg -d\` of a 100-byte message | $(v cli.gpg_open.s) | $(kib2mib "$(v cli.gpg_open.kib)") |

A script that runs \`enlace send\` once per message pays the unlock every
time: with the default cost, $N messages would take about $(calc "$N * $(v cli.status_default.s) / 60" 0) minutes of Argon2id alone.
That is why the library benchmarks above keep one profile open.

## Commands

Everything above was produced by \`make bench\`, which builds bench/*.c
against build/libenlace.a and runs bench/run.sh. The programs (in
$BUILD/bench/) and the peers' commands, as run:

\`\`\`
bench_seal                          # work 1 (enlace sizes) and 5, $RUNS times
bench_dropbox $N 100               # work 2, $RUNS times
bench_tcp $N 100                   # work 3, $RUNS times
bench_dropbox $PAIR_N 100 $PAIRS; bench_tcp $PAIR_N 100 $PAIRS   # short conversations, once
bench_file $FILE_MIB                    # work 4, $RUNS times
bench_file $BIG_MIB --no-pace          # work 4's peak memory for a large file, once
bench_recon 1000000 10 random; bench_recon 1000000 10 newest; bench_recon 1000000 0 random   # $RUNS times
bench_recognize $FOREIGN 1000 2000 $((FOREIGN / 5))
enlace --home H init --name ana [--kdf interactive]; enlace --home H status
# two NNCP nodes: nncp-cfgnew -nocomments, twice; each configuration names the other
# as its neighbour at 127.0.0.1:$NNCP_PORT_A / 127.0.0.1:$NNCP_PORT_B (bench/run.sh, nncp_cfg)
nncp-file -quiet -cfg A.hjson mI b:mI      # for each of the $N messages, $(nproc) at a time (xargs -P)
nncp-xfer -quiet -mkdir -tx -cfg A.hjson STICK
nncp-xfer -quiet -rx -cfg B.hjson STICK
nncp-toss -quiet -cfg B.hjson
nncp-daemon -quiet -cfg B.hjson -bind 127.0.0.1:$NNCP_PORT_B &
nncp-call -quiet -cfg A.hjson -onlinedeadline 1 b
nncp-toss -quiet -cfg B.hjson
age-keygen -o KEY; age -r RECIPIENT -o OUT IN; age -d -i KEY -o OUT IN
gpg --quick-gen-key NAME future-default default never    # ed25519 + cv25519
gpg --compress-algo none -r bench-b -e IN                # and -u bench-a -s -e; -u bench-a -R bench-b -s -e
gpg -d IN
\`\`\`

Timings of the peers are wall-clock around each command (\`date +%s.%N\`);
peak memory is \`/usr/bin/time -f %M\`, the largest process of each step.
enlace's figures are the programs' own (CLOCK_MONOTONIC, getrusage).
Before every step, of every tool, \`sync\` writes out what earlier steps left
in the page cache, so that no step's own syncs wait for another's writes.
EOF
} > "$OUT"
say "done: $OUT (${ELAPSED} s)"
