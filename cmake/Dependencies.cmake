# Every dependency comes from a Debian 12 package (see scripts/install-deps.sh).
find_package(Boost 1.81 REQUIRED CONFIG)
find_package(simdjson REQUIRED)
find_package(RocksDB REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
# jemalloc (libjemalloc-dev): the processor allocates and frees many small objects per event;
# glibc malloc/free took ~30% of its time with computed traits (docs/performance.md). Not with
# the sanitizers, which bring their own allocator.
add_library(tributary_allocator INTERFACE)
if(TRIBUTARY_JEMALLOC AND NOT TRIBUTARY_SANITIZE)
  find_library(JEMALLOC_LIBRARY NAMES jemalloc REQUIRED)
  target_link_libraries(tributary_allocator INTERFACE ${JEMALLOC_LIBRARY})
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()
