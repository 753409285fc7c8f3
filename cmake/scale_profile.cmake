# The scale profile (issue 11): the host profile with many peers per socket, for the
# interop scale tests (tests/interop/test_scale.py: 1,000 SUBs, 10,000 connections, a
# ROUTER with 1,000 DEALERs) and the scale benchmarks (bench/run.py: fan-out to 100 and
# 1,000, router_dealers_1000, connect_storm_10000, mem_per_conn_10000).
#
# Peer storage is a compile-time size today (MZMTP_CONF_MAX_PEERS), so these runs need a
# library built for them: microzmtp_scale + microzmtp_posix_scale, and zmtpcat_scale
# (bench_zmtp_scale with the bench). Everything else is the host profile, CURVE included,
# so that the figures are those of the host build with more peer slots. A socket of this
# profile is a large static struct (about 19 KB per peer slot, mostly the engine's CURVE
# transmit buffer): pages that no peer touches cost no RSS, and the benchmark measures
# what the touched ones cost. When peer storage is sized at run time, these targets become
# the ordinary ones run with zmtpcat --max-peers N.
set(MZMTP_SCALE_PEERS 10000 CACHE STRING
    "MZMTP_CONF_MAX_PEERS of the scale profile (zmtpcat_scale, bench_zmtp_scale)")
set(MZMTP_SCALE_CONFIG ${MZMTP_HOST_CONFIG})
list(FILTER MZMTP_SCALE_CONFIG EXCLUDE REGEX "^MZMTP_CONF_MAX_PEERS=")
list(APPEND MZMTP_SCALE_CONFIG MZMTP_CONF_MAX_PEERS=${MZMTP_SCALE_PEERS})

add_library(microzmtp_scale STATIC ${MZMTP_CORE_SOURCES} ${MZMTP_CURVE_SOURCES})
target_compile_definitions(microzmtp_scale PUBLIC ${MZMTP_SCALE_CONFIG})
target_include_directories(microzmtp_scale PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_compile_options(microzmtp_scale PRIVATE ${MZMTP_WARNINGS})
target_link_libraries(microzmtp_scale PUBLIC PkgConfig::SODIUM)

add_library(microzmtp_posix_scale STATIC ${MZMTP_POSIX_SOURCES})
target_include_directories(microzmtp_posix_scale PUBLIC ${PROJECT_SOURCE_DIR}/ports/posix
                           ${PROJECT_SOURCE_DIR}/ports/kit)
target_compile_definitions(microzmtp_posix_scale PRIVATE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
target_compile_options(microzmtp_posix_scale PRIVATE ${MZMTP_WARNINGS})
target_link_libraries(microzmtp_posix_scale PUBLIC microzmtp_scale Threads::Threads)

if(EXISTS ${PROJECT_SOURCE_DIR}/tools/zmtpcat/zmtpcat.c)
  add_executable(zmtpcat_scale ${PROJECT_SOURCE_DIR}/tools/zmtpcat/zmtpcat.c)
  target_compile_definitions(zmtpcat_scale PRIVATE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
  target_compile_options(zmtpcat_scale PRIVATE ${MZMTP_WARNINGS})
  target_link_libraries(zmtpcat_scale PRIVATE microzmtp_posix_scale)
endif()
