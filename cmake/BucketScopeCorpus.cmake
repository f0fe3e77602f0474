# SPDX-License-Identifier: GPL-3.0-or-later
# Sets BUCKETSCOPE_CORPUS_DIR to the real-log corpus the tests and fuzzers read (read-only): beside the
# checkout in ../shared/corpus, or where the environment variable BUCKETSCOPE_CORPUS_DIR says (a clone
# elsewhere).
if(DEFINED ENV{BUCKETSCOPE_CORPUS_DIR})
    get_filename_component(BUCKETSCOPE_CORPUS_DIR "$ENV{BUCKETSCOPE_CORPUS_DIR}" ABSOLUTE)
else()
    get_filename_component(BUCKETSCOPE_CORPUS_DIR "${PROJECT_SOURCE_DIR}/../shared/corpus" ABSOLUTE)
endif()
if(NOT EXISTS "${BUCKETSCOPE_CORPUS_DIR}/SOURCES.md")
    message(FATAL_ERROR "The shared log corpus was not found at ${BUCKETSCOPE_CORPUS_DIR}; set "
                        "BUCKETSCOPE_CORPUS_DIR to the folder holding SOURCES.md")
endif()
