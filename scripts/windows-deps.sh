#!/usr/bin/env bash
# Cross-build koffix's Windows (x86_64, mingw-w64) dependencies from Debian's
# own source packages, once, into a cache outside the repository.
#
#   scripts/windows-deps.sh            -> prints the prefix as its last line
#
# Libraries: sqlite3 (static, FTS5), cjson (static), cmark-gfm (static, with
# extensions), libmicrohttpd (DLL: LGPL-2.1, so it stays a DLL), openssl
# (libcrypto.a only, static).
#
# Prefix: ${KOFFIX_WIN_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/koffix-win-deps/<key>}
# where <key> hashes the source package versions, the compiler and this script.
# A prefix holding the `ready` marker is complete and nothing is redone.
# Layout: include/ lib/ bin/libmicrohttpd-*.dll licenses/<pkg>/ logs/ versions
#
# Consumer flags (also written to PREFIX/flags.mk):
#   CFLAGS  += -I$PREFIX/include -DCMARK_GFM_STATIC_DEFINE -DCMARK_GFM_EXTENSIONS_STATIC_DEFINE \
#              -DCMARK_NO_SHORT_NAMES   (cmark's NODE_TEXT etc. clash with <windows.h>'s msxml)
#   LDLIBS  += -L$PREFIX/lib -lmicrohttpd -lcmark-gfm-extensions -lcmark-gfm \
#              -lcjson -lsqlite3 -lcrypto -lws2_32 -lbcrypt -lcrypt32 -luser32 -ladvapi32
#   and ship $PREFIX/bin/libmicrohttpd-*.dll next to the .exe.
#
# Environment: KOFFIX_WIN_DEPS (prefix override), KOFFIX_WIN_DEPS_JOBS (make -j,
# default: number of CPUs), KOFFIX_WIN_DEPS_UPDATE=1 (force apt-get update).
# The apt steps need root (or sudo).
set -euo pipefail

HOST=x86_64-w64-mingw32
PKGS="sqlite3 cjson cmark-gfm libmicrohttpd openssl"
JOBS=${KOFFIX_WIN_DEPS_JOBS:-$(nproc 2>/dev/null || echo 2)}
SELF=$(readlink -f "${BASH_SOURCE[0]}")

say() { echo "windows-deps: $*" >&2; }
die() { say "error: $*"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; command -v sudo >/dev/null || SUDO=; fi
APT_OPTS=(-q -o APT::Sandbox::User=root)

# ---------------------------------------------------------------------------
# 1. deb-src entries, derived from the machine's own apt sources.
# ---------------------------------------------------------------------------
SRC_DIR=/etc/apt/sources.list.d
have_deb_src() {
    grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list "$SRC_DIR"/*.list && return 0
    grep -qsiE '^Types:.*(^|[[:space:]])deb-src([[:space:]]|$)' "$SRC_DIR"/*.sources && return 0
    return 1
}

codename() { (. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") || true; }

# deb822: one deb-src stanza per `Types: deb` stanza of the distribution's own
# suites (third-party repositories seldom publish sources: their absence would
# break apt-get update).
deb822_to_src() {
    awk -v codename="$1" '
    function flush() { if (keep && isdeb && !off) printf "Types: deb-src\n%s\n", body
                       body = ""; keep = (codename == ""); isdeb = 0; off = 0; field = "" }
    BEGIN { keep = (codename == "") }
    /^[[:space:]]*$/ { flush(); next }
    /^#/ { next }
    /^[[:space:]]/ { if (field != "drop") body = body $0 "\n"; next }
    { f = tolower(substr($0, 1, index($0, ":") - 1)); v = substr($0, index($0, ":") + 1)
      if (f == "types") { if (v ~ /(^|[[:space:]])deb([[:space:]]|$)/) isdeb = 1; field = "drop"; next }
      if (f == "enabled" && tolower(v) ~ /no/) off = 1
      if (f == "architectures" || f == "enabled") { field = "drop"; next }
      if (f == "suites") { n = split(v, s, /[[:space:]]+/)
          for (i = 1; i <= n; i++) if (s[i] == codename || index(s[i], codename "-") == 1) keep = 1 }
      field = f; body = body $0 "\n" }
    END { flush() }' "$2"
}

# one-line style: deb [opts] URI suite comps... -> deb-src ...
list_to_src() {
    awk -v codename="$1" '
    $1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                  suite = $(i + 1)
                  if (codename == "" || suite == codename || index(suite, codename "-") == 1) {
                      sub(/^deb/, "deb-src"); print } }' "$2"
}

ensure_deb_src() {
    local added=0 cn tmp f
    if ! have_deb_src; then
        cn=$(codename)
        tmp=$(mktemp)
        for f in "$SRC_DIR"/*.sources; do [ -f "$f" ] && deb822_to_src "$cn" "$f"; done >"$tmp"
        if [ -s "$tmp" ]; then
            say "adding $SRC_DIR/koffix-deb-src.sources"
            $SUDO install -m 0644 "$tmp" "$SRC_DIR/koffix-deb-src.sources"
            added=1
        fi
        : >"$tmp"
        for f in /etc/apt/sources.list "$SRC_DIR"/*.list; do [ -f "$f" ] && list_to_src "$cn" "$f"; done >"$tmp"
        if [ -s "$tmp" ]; then
            say "adding $SRC_DIR/koffix-deb-src.list"
            $SUDO install -m 0644 "$tmp" "$SRC_DIR/koffix-deb-src.list"
            added=1
        fi
        rm -f "$tmp"
        [ "$added" = 1 ] || die "no deb sources found to derive a deb-src entry from"
    fi
    # Sources indexes: fetch them when just added, when missing, or on request.
    if [ "$added" = 1 ] || [ "${KOFFIX_WIN_DEPS_UPDATE:-0}" = 1 ] ||
       ! ls /var/lib/apt/lists/*_Sources* >/dev/null 2>&1; then
        say "apt-get update"
        $SUDO apt-get "${APT_OPTS[@]}" update >&2
    fi
}

# Build tools (all from Debian's archive). dpkg-dev unpacks source packages,
# tcl generates the sqlite amalgamation.
ensure_tools() {
    local need=() t
    command -v ${HOST}-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)
    for t in dpkg-source:dpkg-dev tclsh:tcl cmake:cmake make:make perl:perl gcc:gcc xz:xz-utils; do
        command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
    done
    if [ ${#need[@]} -gt 0 ]; then
        say "installing ${need[*]}"
        $SUDO apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${need[@]}" >&2
    fi
}

# ---------------------------------------------------------------------------
# 2. Cache key: source versions + compiler + this script.
# ---------------------------------------------------------------------------
src_version() {  # version of the source package `apt-get source` would fetch
    apt-get "${APT_OPTS[@]}" -qq source --print-uris --only-source "$1" 2>/dev/null |
        awk -v p="$1" '$2 ~ /\.dsc$/ { v = $2; sub("^" p "_", "", v); sub(/\.dsc$/, "", v); print v; exit }'
}

ensure_deb_src
ensure_tools

VERSIONS=""
for p in $PKGS; do
    v=$(src_version "$p")
    [ -n "$v" ] || die "no source package for $p (is a deb-src entry active? try KOFFIX_WIN_DEPS_UPDATE=1)"
    VERSIONS+="$p $v"$'\n'
done
CC_ID=$(${HOST}-gcc --version | head -n1)
KEY=$( { printf '%s' "$VERSIONS"; echo "$CC_ID"; cat "$SELF"; } | sha256sum | cut -c1-16)
PREFIX=${KOFFIX_WIN_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/koffix-win-deps/$KEY}

# A prefix built from older sources than apt names (the archive could not serve the newer
# ones: see fetch) is used only until those sources can be fetched; then it is rebuilt.
stale_fallback() {
    [ -f "$PREFIX/fallback" ] || return 1
    local p want built t
    t=$(mktemp -d "${TMPDIR:-/tmp}/koffix-win-deps-check.XXXXXX")
    while read -r p want built; do
        if (cd "$t" && apt-get "${APT_OPTS[@]}" -qq source --download-only --only-source \
                "$p=$want") >/dev/null 2>&1; then
            rm -rf "$t"
            say "$p $want can be fetched now (built $built before): rebuilding"
            return 0
        fi
    done <"$PREFIX/fallback"
    rm -rf "$t"
    say "still built from older sources: $(tr '\n' ';' <"$PREFIX/fallback")"
    return 1
}

if [ -f "$PREFIX/ready" ] && [ "$(cat "$PREFIX/key" 2>/dev/null)" = "$KEY" ] && ! stale_fallback; then
    say "cached: $PREFIX"
    echo "$PREFIX"
    exit 0
fi

# ---------------------------------------------------------------------------
# 3. Build.
# ---------------------------------------------------------------------------
say "building into $PREFIX (versions: $(echo $VERSIONS))"
rm -rf "$PREFIX"
mkdir -p "$PREFIX"/{include,lib,bin,licenses,logs}
BUILD=$(mktemp -d "${TMPDIR:-/tmp}/koffix-win-deps.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT
printf '%s' "$VERSIONS" >"$PREFIX/versions"
echo "$CC_ID" >>"$PREFIX/versions"

export CC=${HOST}-gcc AR=${HOST}-ar RANLIB=${HOST}-ranlib
CFLAGS_OPT="-O2 -g0"

# run NAME cmd... : log to PREFIX/logs/NAME.log, show its tail on failure
run() {
    local name=$1; shift
    if ! "$@" >>"$PREFIX/logs/$name.log" 2>&1; then
        say "$name failed; last lines of $PREFIX/logs/$name.log:"
        tail -n 40 "$PREFIX/logs/$name.log" >&2
        exit 1
    fi
}

all_versions() {  # every version of source package $1 that apt knows, newest first
    apt-cache showsrc --only-source "$1" 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -u | sort -r -V
}

fetch() {  # fetch PKG -> prints source dir
    # The candidate version first; should the archive fail to serve it (a
    # mirror whose index runs ahead of its pool), the next older one.
    local p=$1 d v want tried=""
    want=$(awk -v p="$p" '$1 == p { print $2 }' "$PREFIX/versions")
    for v in $want $(all_versions "$p"); do
        case " $tried " in *" $v "*) continue ;; esac
        tried+=" $v"
        rm -rf "$BUILD/$p"; mkdir -p "$BUILD/$p"
        if (cd "$BUILD/$p" && apt-get "${APT_OPTS[@]}" source --only-source "$p=$v") >>"$PREFIX/logs/$p.log" 2>&1; then
            if [ "$v" != "$want" ]; then
                say "$p: $want could not be fetched, building $v instead"
                echo "$p $want $v" >>"$PREFIX/fallback"
            fi
            echo "built $p $v" >>"$PREFIX/versions"
            for d in "$BUILD/$p"/*/; do [ -d "$d/debian" ] && { echo "${d%/}"; return; }; done
            die "no unpacked source for $p"
        fi
    done
    tail -n 20 "$PREFIX/logs/$p.log" >&2
    die "apt-get source $p failed (tried$tried)"
}

licenses() {  # licenses PKG SRCDIR FILES...: copy upstream texts + debian/copyright
    local p=$1 s=$2 f; shift 2
    mkdir -p "$PREFIX/licenses/$p"
    for f in "$@"; do [ -f "$s/$f" ] && cp "$s/$f" "$PREFIX/licenses/$p/"; done
    cp "$s/debian/copyright" "$PREFIX/licenses/$p/debian-copyright"
}

build_sqlite3() {
    local s; s=$(fetch sqlite3)
    say "sqlite3: $(basename "$s")"
    # Debian ships the full source tree: generate the amalgamation natively.
    mkdir -p "$s/bld-native"
    if [ ! -f "$s/sqlite3.c" ]; then
        (cd "$s/bld-native" && run sqlite3 env -u CC -u AR -u RANLIB ../configure --disable-tcl &&
             run sqlite3 make -j"$JOBS" sqlite3.c sqlite3.h sqlite3ext.h)
        s2="$s/bld-native"
    else
        s2="$s"
    fi
    mkdir -p "$s/bld-win"
    run sqlite3 $CC $CFLAGS_OPT -DSQLITE_ENABLE_FTS5 -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION \
        -c "$s2/sqlite3.c" -o "$s/bld-win/sqlite3.o"
    rm -f "$PREFIX/lib/libsqlite3.a"
    run sqlite3 $AR rcs "$PREFIX/lib/libsqlite3.a" "$s/bld-win/sqlite3.o"
    cp "$s2/sqlite3.h" "$s2/sqlite3ext.h" "$PREFIX/include/"
    licenses sqlite3 "$s" LICENSE.md LICENSE
}

build_cjson() {
    local s; s=$(fetch cjson)
    say "cjson: $(basename "$s")"
    run cjson $CC $CFLAGS_OPT -std=c89 -c "$s/cJSON.c" -o "$s/cJSON.o"
    run cjson $AR rcs "$PREFIX/lib/libcjson.a" "$s/cJSON.o"
    mkdir -p "$PREFIX/include/cjson"
    cp "$s/cJSON.h" "$PREFIX/include/cjson/"
    licenses cjson "$s" LICENSE
}

toolchain_file() {
    cat >"$BUILD/mingw64.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER ${HOST}-gcc)
set(CMAKE_RC_COMPILER ${HOST}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${HOST} "$PREFIX")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
EOF
    echo "$BUILD/mingw64.cmake"
}

build_cmark_gfm() {
    local s tc; s=$(fetch cmark-gfm); tc=$(toolchain_file)
    say "cmark-gfm: $(basename "$s")"
    # project() enables C++ only for a test program; mingw g++ is not needed.
    sed -i 's/^project(cmark-gfm)$/project(cmark-gfm C)/' "$s/CMakeLists.txt"
    run cmark-gfm cmake -S "$s" -B "$s/bld-win" -DCMAKE_TOOLCHAIN_FILE="$tc" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
        -DCMARK_STATIC=ON -DCMARK_SHARED=OFF -DCMARK_TESTS=OFF -DBUILD_TESTING=OFF
    run cmark-gfm cmake --build "$s/bld-win" -j "$JOBS"
    # keep the libraries, headers and pkg-config files, not the cmark-gfm.exe CLI
    run cmark-gfm cmake --install "$s/bld-win"
    rm -rf "$PREFIX/bin/cmark-gfm.exe" "$PREFIX/share"
    licenses cmark-gfm "$s" COPYING
}

build_libmicrohttpd() {
    local s; s=$(fetch libmicrohttpd)
    say "libmicrohttpd: $(basename "$s")"
    mkdir -p "$s/bld-win"
    (cd "$s/bld-win" &&
        run libmicrohttpd ../configure --host=$HOST --prefix="$PREFIX" \
            --enable-shared --disable-static --disable-https --disable-doc --disable-examples \
            --disable-curl --disable-nls CFLAGS="$CFLAGS_OPT" &&
        run libmicrohttpd make -j"$JOBS" -C src/microhttpd &&
        run libmicrohttpd make -C src/microhttpd install &&
        run libmicrohttpd make -C src/include install)
    rm -f "$PREFIX"/lib/*.la
    licenses libmicrohttpd "$s" COPYING
}

build_openssl() {
    local s; s=$(fetch openssl)
    say "openssl: $(basename "$s") (the slow one)"
    # OpenSSL 3.0 has no no-docs/no-apps options; build_libs builds neither.
    (cd "$s" &&
        run openssl env -u CC -u AR -u RANLIB ./Configure mingw64 --cross-compile-prefix=${HOST}- \
            --prefix="$PREFIX" --libdir=lib no-shared no-tests no-module \
            no-engine no-dso &&
        run openssl make -j"$JOBS" build_libs)
    cp "$s/libcrypto.a" "$PREFIX/lib/"
    mkdir -p "$PREFIX/include/openssl"
    cp "$s"/include/openssl/*.h "$PREFIX/include/openssl/"
    licenses openssl "$s" LICENSE.txt LICENSE
}

START=$(date +%s)
build_sqlite3
build_cjson
build_cmark_gfm
build_libmicrohttpd
build_openssl

# 4. Consumer flags, for the Makefile.
cat >"$PREFIX/flags.mk" <<EOF
# generated by scripts/windows-deps.sh
WIN_DEPS_CFLAGS = -I$PREFIX/include -DCMARK_GFM_STATIC_DEFINE -DCMARK_GFM_EXTENSIONS_STATIC_DEFINE -DCMARK_NO_SHORT_NAMES
WIN_DEPS_LIBS = -L$PREFIX/lib -lmicrohttpd -lcmark-gfm-extensions -lcmark-gfm -lcjson -lsqlite3 -lcrypto -lws2_32 -lbcrypt -lcrypt32 -luser32 -ladvapi32
WIN_DEPS_DLLS = $(echo "$PREFIX"/bin/*.dll)
EOF
echo "$KEY" >"$PREFIX/key"
touch "$PREFIX/ready"
say "done in $(( $(date +%s) - START ))s"
echo "$PREFIX"
