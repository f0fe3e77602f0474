#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the .deb and the source tarball with CPack from an already built tree, unpacks the .deb into a
# scratch root and runs the packaged binary from there (Qt comes from the system), then checks the
# package's metadata, its desktop files, icons and man page.
#   test-package.sh SOURCE_DIR BUILD_DIR VERSION CMAKE CPACK
set -euo pipefail

source_dir=$1
build_dir=$2
version=$3
cmake=$4
cpack=$5
app_id=io.github.bucketscope.BucketScope
sample="$source_dir/resources/sample.log"
checks=0

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
pass() {
    checks=$((checks + 1))
    echo "ok $checks - $* [${SECONDS}s]"
}

# Tools from Debian packages that tools/install-deps.sh installs.
for tool in dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev desktop-file-validate:desktop-file-utils \
    appstreamcli:appstream groff:groff-base readelf:binutils gzip:gzip tar:tar; do
    command -v "${tool%%:*}" >/dev/null ||
        fail "'${tool%%:*}' is not installed; run tools/install-deps.sh (Debian package ${tool#*:})"
done
[[ -x $cpack ]] || fail "cpack not found at $cpack"
[[ -f $build_dir/CPackConfig.cmake ]] ||
    fail "$build_dir/CPackConfig.cmake is missing; configure the build first (cmake --preset ...)"
[[ -f $sample ]] || fail "sample log $sample is missing"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/bucketscope-package.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# cpack packages what the build tree holds; bring what ships up to date (a no-op after the build step).
"$cmake" --build "$build_dir" --target bucketscope bucketscope_package_files >"$scratch/build.log" 2>&1 ||
    { cat "$scratch/build.log" >&2; fail "building bucketscope and its package files failed (log above)"; }

# --- the .deb -----------------------------------------------------------------------------------
if ! "$cpack" -G DEB --config "$build_dir/CPackConfig.cmake" -B "$scratch/deb" >"$scratch/cpack.log" 2>&1; then
    cat "$scratch/cpack.log" >&2
    fail "cpack could not build the .deb (log above)"
fi
arch=$(dpkg --print-architecture)
deb="$scratch/deb/bucketscope_${version}_${arch}.deb"
[[ -f $deb ]] || fail "expected $(basename "$deb"); cpack wrote: $(ls "$scratch/deb")"
pass "cpack built $(basename "$deb") ($(($(stat -c %s "$deb") / 1024)) KiB)"

field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == bucketscope ]] || fail "Package is '$(field Package)', not bucketscope"
[[ $(field Version) == "$version" ]] || fail "Version is '$(field Version)', not $version"
[[ $(field Section) == utils ]] || fail "Section is '$(field Section)', not utils"
[[ -n $(field Maintainer) ]] || fail "the package has no Maintainer"
description=$(field Description)
[[ $(wc -l <<<"$description") -ge 2 ]] || fail "the Description has no long text: $description"
pass "control fields: Package, Version $version, Section, Maintainer, Description"

depends=$(field Depends)
echo "Depends: $depends"
[[ $(field Recommends) == *libloc-database* ]] || fail "Recommends does not list libloc-database (the default geo database)"
depends_on() { tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/ .*//' | grep -qx "$1"; }

dpkg-deb -x "$deb" "$scratch/root"
root="$scratch/root"
binary="$root/usr/bin/bucketscope"
[[ -x $binary ]] || fail "usr/bin/bucketscope is not in the package"

# Only the application ships: no test, benchmark or build tool binaries, nothing outside /usr.
[[ $(ls "$root/usr/bin") == bucketscope ]] || fail "usr/bin holds more than bucketscope: $(ls "$root/usr/bin")"
outside=$(cd "$root" && find . -mindepth 1 -maxdepth 1 ! -name usr)
[[ -z $outside ]] || fail "the package installs outside /usr: $outside"
if find "$root" -name 'tst_*' -o -name '*bench*' -o -name 'bucketscope_render_icon' | grep -q .; then
    fail "a test, benchmark or build tool is in the package"
fi
pass "usr/bin holds only bucketscope, everything is under /usr"

# The binary must not look for libraries in the build tree, and ships stripped.
if readelf -d "$binary" | grep -Eq 'R(UN)?PATH'; then
    fail "the packaged binary has an RPATH/RUNPATH: $(readelf -d "$binary" | grep -E 'R(UN)?PATH')"
fi
if readelf -S "$binary" | grep -q '\.debug_info'; then fail "the packaged binary is not stripped"; fi
pass "no RPATH, stripped"

# --- run it from the scratch root -----------------------------------------------------------------
export QT_QPA_PLATFORM=offscreen
got=$("$binary" --version)
[[ $got == "bucketscope $version" ]] || fail "--version printed '$got', expected 'bucketscope $version'"
pass "packaged bucketscope --version: $got"

QT_DEBUG_PLUGINS=1 "$binary" report "$sample" --out "$scratch/report" >"$scratch/report.out" 2>"$scratch/report.err" ||
    fail "packaged 'bucketscope report' exited $?: $(grep -v '^QFactoryLoader\|Got keys\|Found metadata\|checking directory\|looking at\|loaded library\|^$' "$scratch/report.err" | head -20)"
png_size() { # prints WIDTHxHEIGHT of a PNG file, or fails
    [[ $(od -An -tx1 -N8 "$1" | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "$1 is not a PNG file"
    local w h
    read -r w h < <(od -An -tu4 --endian=big -j16 -N8 "$1")
    echo "${w}x${h}"
}
for chart in bandwidth cost-by-application error-rates latency; do
    file="$scratch/report/$chart.png"
    [[ -s $file ]] || fail "report did not write $chart.png"
    [[ $(png_size "$file") == 2400x1200 ]] || fail "$chart.png is $(png_size "$file"), not 2400x1200"
    grep -qx "$file" "$scratch/report.out" || fail "report did not print the path $file"
done
[[ -s $scratch/report/summary.json ]] || fail "report did not write summary.json"
# The packaged report and the packaged summary command agree on the numbers.
"$binary" summary "$sample" >"$scratch/summary.json" 2>/dev/null || fail "packaged 'bucketscope summary' failed"
grep -q '"records": [1-9]' "$scratch/summary.json" || fail "summary of the sample log counts no records"
diff -q "$scratch/summary.json" "$scratch/report/summary.json" >/dev/null ||
    fail "report's summary.json differs from 'bucketscope summary': $(diff "$scratch/summary.json" "$scratch/report/summary.json" | head)"
pass "packaged report wrote 4 charts (2400x1200 PNG) and summary.json equal to 'summary'"

# The desktop window, with the request table that loads the Qt SQLite driver plugin.
QT_DEBUG_PLUGINS=1 "$binary" --screenshot "$scratch/window.png" "$sample" >/dev/null 2>"$scratch/window.err" ||
    fail "packaged 'bucketscope --screenshot' failed: $(grep '^error' "$scratch/window.err")"
[[ -s $scratch/window.png ]] && png_size "$scratch/window.png" >/dev/null || fail "no window screenshot"
pass "packaged desktop window drawn offscreen ($(png_size "$scratch/window.png"))"

# --- Depends covers what the binary links and the Qt plugins it loaded ----------------------------
# Spellings under which dpkg may have registered a file: with merged /usr, /lib and /usr/lib are one.
spellings() {
    local real
    real=$(readlink -f "$1")
    printf '%s\n' "$1" "$real" "${1#/usr}" "${real#/usr}" "/usr${1#/usr}" "/usr${real#/usr}"
}
needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[[ -n $needed ]] || fail "readelf shows no NEEDED libraries"
declare -A what # file -> "the binary links LIB" or "bucketscope loads PLUGIN"
ldd "$binary" >"$scratch/ldd.txt"
for library in $needed; do
    path=$(awk -v lib="$library" '$1 == lib { print $3 }' "$scratch/ldd.txt")
    [[ -n $path ]] || fail "ldd cannot resolve $library"
    what[$path]="the binary links $library"
done
plugins=$(sed -n 's/.*"\(.*\)" loaded library$/\1/p' "$scratch/report.err" "$scratch/window.err" | sort -u)
grep -q 'sqldrivers/libqsqlite' <<<"$plugins" || fail "the window did not load the Qt SQLite driver: $plugins"
for plugin in $plugins; do what[$plugin]="bucketscope loads the Qt plugin $plugin"; done
# One dpkg -S for every file: each call reads the whole package database.
declare -A owner_of
while IFS= read -r line; do
    [[ $line == *': /'* ]] && owner_of[${line#*: }]=${line%%:*}
done < <(for file in "${!what[@]}"; do spellings "$file"; done | sort -u | xargs dpkg -S 2>/dev/null || true)
for file in "${!what[@]}"; do
    package=
    while read -r spelling; do
        package=${owner_of[$spelling]:-}
        [[ -n $package ]] && break
    done < <(spellings "$file")
    [[ -n $package ]] || fail "${what[$file]} ($file), which no Debian package owns"
    depends_on "$package" || fail "${what[$file]} from $package, which Depends does not list"
done
for qt in libqt6core6 libqt6gui6 libqt6widgets6 libqt6sql6 libqt6sql6-sqlite libqt6sql6-mysql libqt6charts6 libqt6svg6; do
    depends_on "$qt" || fail "Depends does not list $qt"
done
# The request table refuses an SQLite older than its minimum (ui/RowOrderTable.h): dpkg must too.
minimum=$(sed -n 's/.*kMinimumVersion = \([0-9]*\);.*/\1/p' "$source_dir/ui/RowOrderTable.h")
[[ -n $minimum ]] || fail "no kMinimumVersion in ui/RowOrderTable.h"
minimum_dotted="$((minimum / 1000000)).$((minimum / 1000 % 1000)).$((minimum % 1000))"
grep -Eq "libsqlite3-0 \(>= $minimum_dotted\)" <<<"$depends" ||
    fail "Depends does not require libsqlite3-0 (>= $minimum_dotted), the request table's minimum"
pass "Depends lists the packages of all $(wc -w <<<"$needed") linked libraries and $(wc -w <<<"$plugins") loaded Qt plugins"

# --- desktop integration files -----------------------------------------------------------------
desktop="$root/usr/share/applications/$app_id.desktop"
metainfo="$root/usr/share/metainfo/$app_id.metainfo.xml"
[[ -f $desktop ]] || fail "$app_id.desktop is not in usr/share/applications"
[[ -f $metainfo ]] || fail "$app_id.metainfo.xml is not in usr/share/metainfo"
desktop-file-validate "$desktop" || fail "desktop-file-validate rejects $app_id.desktop (above)"
grep -qx 'Exec=bucketscope %F' "$desktop" || fail "the .desktop Exec line does not run bucketscope %F"
grep -qx "Icon=$app_id" "$desktop" || fail "the .desktop Icon is not $app_id"
appstreamcli validate --no-net "$metainfo" >"$scratch/appstream.log" 2>&1 ||
    { cat "$scratch/appstream.log" >&2; fail "appstreamcli validate rejects the metainfo (above)"; }
grep -q "<release version=\"$version\"" "$metainfo" || fail "the metainfo has no <release> for version $version"
pass "desktop-file-validate and appstreamcli validate --no-net pass; metainfo has release $version"

icons="$root/usr/share/icons/hicolor"
[[ -f $icons/scalable/apps/$app_id.svg ]] || fail "the scalable SVG icon is not in the package"
for size in 16 22 24 32 48 64 128 256; do
    png="$icons/${size}x${size}/apps/$app_id.png"
    [[ -f $png ]] || fail "the ${size}px icon is not in the package"
    [[ $(png_size "$png") == "${size}x${size}" ]] || fail "the ${size}px icon is $(png_size "$png")"
done
pass "hicolor icons: SVG and 8 PNG sizes of the right dimensions"

for doc in copyright cli.md; do
    [[ -f $root/usr/share/doc/bucketscope/$doc ]] || fail "usr/share/doc/bucketscope/$doc is missing"
done

# --- man page against --help -------------------------------------------------------------------
manpage="$root/usr/share/man/man1/bucketscope.1.gz"
[[ -f $manpage ]] || fail "usr/share/man/man1/bucketscope.1.gz is missing"
gzip -dc "$manpage" >"$scratch/bucketscope.1"
warnings=$(groff -man -ww -z "$scratch/bucketscope.1" 2>&1)
[[ -z $warnings ]] || fail "groff warns about the man page: $warnings"
grep -q "^\.TH BUCKETSCOPE 1 .*\"BucketScope $version\"" "$scratch/bucketscope.1" ||
    fail "the man page's .TH line does not name BucketScope $version"

# --help-all is QCommandLineParser's own (Qt's generic options), not a BucketScope option to document.
long_options() { grep -o -- '--[a-z][a-z-]*[a-z]' | grep -vx -- --help-all | sort -u; }
man_options() { sed 's/\\-/-/g; s/\\f[BIRP]//g' | long_options; }
# One command's section of the man page: from '.SS "COMMAND' to the next .SS or .SH.
man_section() { awk -v cmd="$1" '/^\.S[SH]/ { inside = ($0 ~ "^\\.SS \"" cmd " ") } inside' "$scratch/bucketscope.1"; }

"$binary" --help >"$scratch/help.txt" || fail "bucketscope --help exited non-zero"
cp "$scratch/help.txt" "$scratch/all-help.txt"
for command in ingest summary export report combined check schema; do
    grep -Eq "^  $command " "$scratch/help.txt" || fail "bucketscope --help does not list the $command command"
    "$binary" "$command" --help >"$scratch/help-$command.txt" 2>&1 ||
        fail "'bucketscope $command --help' exited non-zero: $(cat "$scratch/help-$command.txt")"
    cat "$scratch/help-$command.txt" >>"$scratch/all-help.txt"
    in_help=$(long_options <"$scratch/help-$command.txt" | grep -vx -- --help || true)
    section=$(man_section "$command")
    [[ -n $section ]] || fail "the man page has no .SS section for $command"
    in_man=$(man_options <<<"$section")
    [[ $in_help == "$in_man" ]] ||
        fail "options of '$command': --help has [$(echo $in_help)], the man page section has [$(echo $in_man)]"
done
in_help=$(long_options <"$scratch/all-help.txt")
in_man=$(man_options <"$scratch/bucketscope.1")
[[ $in_help == "$in_man" ]] ||
    fail "options: the --help texts have [$(echo $in_help)], the man page has [$(echo $in_man)]"
for short in -h -v; do
    grep -q -- "^  $short, " "$scratch/help.txt" || fail "bucketscope --help does not show $short"
    grep -q -- "^\.BR \\\\$short \", \"" "$scratch/bucketscope.1" || fail "the man page does not show $short"
done
pass "man page: no groff warnings; options per command and overall equal to --help ($(echo $in_man))"

# --- source tarball ----------------------------------------------------------------------------
if ! "$cpack" --config "$build_dir/CPackSourceConfig.cmake" -B "$scratch/source" >"$scratch/cpack-source.log" 2>&1; then
    cat "$scratch/cpack-source.log" >&2
    fail "cpack could not build the source tarball (log above)"
fi
tarball="$scratch/source/bucketscope-$version.tar.gz"
[[ -f $tarball ]] || fail "expected bucketscope-$version.tar.gz; cpack wrote: $(ls "$scratch/source")"
tar -tzf "$tarball" >"$scratch/source.list"
for entry in CMakeLists.txt CMakePresets.json models/ app/main.cpp packaging/Packaging.cmake packaging/bucketscope.1 \
    resources/sample.log tools/install-deps.sh; do
    grep -qx "bucketscope-$version/$entry" "$scratch/source.list" || fail "the source tarball lacks $entry"
done
if grep -E "^bucketscope-$version/(build/|\.git(/|$))" "$scratch/source.list" | head -3 | grep .; then
    fail "the source tarball holds build output or git data (above)"
fi
pass "source tarball $(basename "$tarball") ($(($(stat -c %s "$tarball") / 1024)) KiB, $(wc -l <"$scratch/source.list") entries)"

echo "$checks passed, 0 failed"
