# SPDX-License-Identifier: GPL-3.0-or-later
# Install rules for the desktop integration files and the CPack settings for the .deb and the source
# tarball. Included once from the top-level CMakeLists.txt, after app/ (whose install rule ships the
# binary); tests and benchmarks have no install rules, so they never reach a package.
#   cmake --build --preset release && cpack --config build/release/CPackConfig.cmake

set(BUCKETSCOPE_APP_ID io.github.bucketscope.BucketScope)
set(BUCKETSCOPE_ICON_SIZES 16 22 24 32 48 64 128 256)
set(_packaging_source "${CMAKE_CURRENT_LIST_DIR}")
set(_packaging_binary "${PROJECT_BINARY_DIR}/packaging")

find_program(BUCKETSCOPE_GZIP gzip REQUIRED)

# The PNG icons are rendered from the one hand-drawn SVG at build time.
add_executable(bucketscope_render_icon "${_packaging_source}/render-icon.cpp")
target_link_libraries(bucketscope_render_icon PRIVATE bucketscope_options Qt6::Gui Qt6::Svg)

set(_icon_svg "${_packaging_source}/icons/${BUCKETSCOPE_APP_ID}.svg")
set(_icon_pngs)
foreach(size IN LISTS BUCKETSCOPE_ICON_SIZES)
    list(APPEND _icon_pngs "${_packaging_binary}/icons/${size}x${size}/apps/${BUCKETSCOPE_APP_ID}.png")
endforeach()
add_custom_command(
    OUTPUT ${_icon_pngs}
    COMMAND bucketscope_render_icon "${_icon_svg}" "${_packaging_binary}/icons" "${BUCKETSCOPE_APP_ID}"
            ${BUCKETSCOPE_ICON_SIZES}
    DEPENDS "${_icon_svg}" bucketscope_render_icon
    COMMENT "Rendering the hicolor PNG icons from ${BUCKETSCOPE_APP_ID}.svg"
    VERBATIM)

# Debian ships man pages compressed; -n keeps the archive free of the build time.
set(_man_page "${_packaging_source}/bucketscope.1")
set(_man_page_gz "${_packaging_binary}/bucketscope.1.gz")
add_custom_command(
    OUTPUT "${_man_page_gz}"
    COMMAND "${BUCKETSCOPE_GZIP}" -9nc "${_man_page}" > "${_man_page_gz}"
    DEPENDS "${_man_page}"
    COMMENT "Compressing the man page"
    VERBATIM)

add_custom_target(bucketscope_package_files ALL DEPENDS ${_icon_pngs} "${_man_page_gz}")

install(FILES "${_packaging_source}/${BUCKETSCOPE_APP_ID}.desktop" DESTINATION share/applications)
install(FILES "${_packaging_source}/${BUCKETSCOPE_APP_ID}.metainfo.xml" DESTINATION share/metainfo)
install(FILES "${_icon_svg}" DESTINATION share/icons/hicolor/scalable/apps)
install(DIRECTORY "${_packaging_binary}/icons/" DESTINATION share/icons/hicolor)
install(FILES "${_man_page_gz}" DESTINATION share/man/man1)
install(FILES "${_packaging_source}/copyright" "${PROJECT_SOURCE_DIR}/docs/cli.md" DESTINATION share/doc/bucketscope)

# CPack: a .deb of the binary and these files, and a source tarball.
set(CPACK_PACKAGE_NAME bucketscope)
set(CPACK_PACKAGE_VENDOR "BucketScope developers")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "analytics viewer for S3-format server access logs")
set(CPACK_PACKAGE_DESCRIPTION
    "BucketScope turns Amazon-S3-format server access logs (AWS, OVHcloud, Ceph and other
S3-compatible stores) into exact bandwidth, cost, error-rate and latency figures, in a Qt
desktop app and from the command line (ingest, summary, export, report), which agree
on the numbers.")
set(BUCKETSCOPE_PACKAGE_MAINTAINER "BucketScope maintainers <maintainers@bucketscope.invalid>"
    CACHE STRING "Maintainer field of the .deb")
set(CPACK_PACKAGE_CONTACT "${BUCKETSCOPE_PACKAGE_MAINTAINER}")
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
# dpkg-shlibdeps derives the libraries the binary links (Qt Core, Gui, Widgets, Sql, Charts, Svg, SQLite,
# zlib...). The Qt SQLite driver is a plugin the desktop's request table loads at run time, which no
# linker entry shows, so it is named here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# --db mysql:// loads the Qt MySQL driver plugin, which no linker sees either. The request table's
# row-order table needs SQLite 3.26 (ui/RowOrderTable.h kMinimumVersion); shlibdeps only knows the
# oldest SQLite with the symbols we call.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-sqlite, libqt6sql6-mysql, libsqlite3-0 (>= 3.26.0)")
# Countries and networks come from this database by default; without it they are off, with a note.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libloc-database")

set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_PACKAGE_FILE_NAME "bucketscope-${PROJECT_VERSION}")
# Regular expressions; CPack writes them into CPackSourceConfig.cmake, hence the doubled backslashes.
string(REGEX REPLACE "([][+.*()^$?|\\\\])" "\\\\\\\\\\1" _source_regex "${PROJECT_SOURCE_DIR}")
set(CPACK_SOURCE_IGNORE_FILES
    "^${_source_regex}/build/"
    "^${_source_regex}/\\\\.cache/"
    "/\\\\.git/"
    "/\\\\.git$"
    "compile_commands\\\\.json$"
    "\\\\.swp$")

include(CPack)
