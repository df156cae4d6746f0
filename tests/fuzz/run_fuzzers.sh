#!/bin/sh
# run_fuzzers.sh SRCDIR BUILDDIR: builds the libFuzzer targets of tests/fuzz/ with clang
# (and AddressSanitizer and UBSan) in BUILDDIR/fuzz-build, then runs each for
# FUZZ_SECONDS (default 20) on a corpus kept in that directory, seeded with valid
# packets. Fails on the first crash, leak or sanitizer report (the input is left as
# BUILDDIR/fuzz-build/crash-*); exits 77 with one line when clang or libFuzzer is missing.
set -u
src=$1
build=$2
fb=$build/fuzz-build
seconds=${FUZZ_SECONDS:-20}
targets="fuzz_dhcp fuzz_dns_query fuzz_dns"

if ! command -v clang >/dev/null 2>&1; then
    echo "skipped: clang is not installed (apt-get install clang libclang-rt-14-dev)"
    exit 77
fi
probe=$(mktemp -d) || exit 1
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe/t.c"
if ! clang -fsanitize=fuzzer "$probe/t.c" -o "$probe/t" >/dev/null 2>&1; then
    echo "skipped: clang has no libFuzzer (apt-get install libclang-rt-14-dev)"
    exit 77
fi

if [ ! -f "$fb/build.ninja" ]; then
    CC=clang meson setup "$fb" "$src" -Db_sanitize=address,undefined -Db_lundef=false \
        >"$probe/setup.log" 2>&1 || { cat "$probe/setup.log"; exit 1; }
fi
outputs=$(for t in $targets; do printf 'tests/fuzz/%s ' "$t"; done)
# shellcheck disable=SC2086 # target names have no spaces
ninja -C "$fb" $outputs >"$probe/build.log" 2>&1 || { cat "$probe/build.log"; exit 1; }

# Seeds: valid messages, so the fuzzer starts past the headers.
seed_dir=$fb/seeds
mkdir -p "$seed_dir/fuzz_dhcp" "$seed_dir/fuzz_dns_query" "$seed_dir/fuzz_dns"
/usr/bin/python3 - "$seed_dir" <<'PY' || exit 1
import os, struct, sys
d = sys.argv[1]

def dhcp(op, mtype, opts=b"", ciaddr=b"\0" * 4, yiaddr=b"\0" * 4):
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", op, 1, 6, 0, 0x12345678, 0, 0x8000,
                        ciaddr, yiaddr, b"\0" * 4, b"\0" * 4, bytes([2, 0, 0, 0, 0, 1]) + b"\0" * 10,
                        b"\0" * 64, b"\0" * 128)
    body = fixed + bytes([99, 130, 83, 99, 53, 1, mtype]) + opts + b"\xff"
    return body + b"\0" * max(0, 300 - len(body))

ip = lambda s: bytes(int(x) for x in s.split("."))
seeds = {
    "discover": dhcp(1, 1, bytes([55, 3, 1, 3, 6])),
    "request": dhcp(1, 3, b"\x32\x04" + ip("10.0.2.15") + b"\x36\x04" + ip("10.0.2.2")),
    "renew": dhcp(1, 3, ciaddr=ip("10.0.2.15")),
    "release": dhcp(1, 7, b"\x36\x04" + ip("10.0.2.2"), ciaddr=ip("10.0.2.15")),
    "decline": dhcp(1, 4, b"\x32\x04" + ip("10.0.2.15")),
    "inform": dhcp(1, 8, ciaddr=ip("10.0.2.40")),
    "ack": dhcp(2, 5, b"\x36\x04" + ip("10.0.2.2") + b"\x33\x04\0\0\x0e\x10" + b"\x01\x04" +
                ip("255.255.255.0") + b"\x03\x04" + ip("10.0.2.2") + b"\x06\x04" + ip("10.0.2.3"),
                yiaddr=ip("10.0.2.15")),
}
for name, data in seeds.items():
    open(os.path.join(d, "fuzz_dhcp", name), "wb").write(data)

def query(name, qtype):
    q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1)

for kind, qtype in (("a", 1), ("aaaa", 28)):
    for target in ("fuzz_dns_query", "fuzz_dns"):
        open(os.path.join(d, target, kind), "wb").write(query("dev.example.com", qtype))
PY

status=0
for t in $targets; do
    corpus=$fb/corpus/$t
    mkdir -p "$corpus"
    echo "== $t: ${seconds}s"
    if ! "$fb/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$fb/crash-$t-" "$corpus" "$seed_dir/$t" \
        >"$fb/$t.log" 2>&1; then
        tail -n 60 "$fb/$t.log"
        echo "FAIL: $t found a crash; input saved as $fb/crash-$t-*"
        status=1
    else
        grep -E '^stat::(number_of_executed_units|new_units_added)' "$fb/$t.log"
    fi
done
exit $status
