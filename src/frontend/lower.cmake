# kiln_frontend: word expansion, .dockerignore, typed instructions, stages and
# lowering of a Dockerfile Ast to the build DAG (llb). Links kiln_parser when the
# parser library exists (parser.cmake is included first).
add_library(kiln_frontend STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/utf8.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/shell_lex.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/path_util.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/pattern_matcher.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/dockerignore.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/instructions.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/run_mount.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/lower.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/lower_dispatch.cc
)
target_include_directories(kiln_frontend PUBLIC ${PROJECT_SOURCE_DIR}/src)
# kiln_parser also provides diagnostic.cc (FormatDiagnostic, SourceSnippet).
target_link_libraries(kiln_frontend PUBLIC kiln_parser kiln_llb kiln_base)
target_compile_definitions(kiln_frontend PUBLIC KILN_HAVE_PARSER=1)
target_link_libraries(kiln_modules INTERFACE kiln_frontend)

kiln_test(kiln_frontend_test
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/shell_lex_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/dockerignore_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/lower_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/lower_parse_test.cc
  LIBS kiln_frontend)

# Parse + lower throughput (not a test): kiln_lower_bench DIR [N].
add_executable(kiln_lower_bench ${PROJECT_SOURCE_DIR}/bench/lower_bench.cc)
target_link_libraries(kiln_lower_bench PRIVATE kiln_frontend)

# libFuzzer target: cmake -DKILN_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++; seed it
# with tests/fixtures (kiln_lower_fuzz -max_total_time=60 tests/fixtures/lower ...).
if(KILN_FUZZ)
  add_executable(kiln_lower_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/lower_fuzz.cc)
  target_compile_options(kiln_lower_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(kiln_lower_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(kiln_lower_fuzz PRIVATE kiln_frontend)
endif()
