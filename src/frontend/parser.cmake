# kiln_parser: Dockerfile text -> frontend::Ast (BuildKit's parser semantics).
# The ANTLR-generated code (kiln_grammar) is private: only parse_tree_adapter.cc
# includes it, and no ANTLR type appears in any header here.
add_library(kiln_parser STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/parser.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/parse_tree_adapter.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/line_parsers.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/json_array.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/heredoc.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/text_util.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/suggest.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/diagnostic.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/dump.cc)
target_include_directories(kiln_parser PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(kiln_parser PUBLIC kiln_base PRIVATE kiln_grammar)
target_link_libraries(kiln_modules INTERFACE kiln_parser)

kiln_test(kiln_parser_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/parser_test.cc
  LIBS kiln_parser)

# Parse throughput (not a test): kiln_parse_bench DIR [N].
add_executable(kiln_parse_bench ${PROJECT_SOURCE_DIR}/bench/parse_bench.cc)
target_link_libraries(kiln_parse_bench PRIVATE kiln_parser)

# libFuzzer target: cmake -DKILN_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ (tools/fuzz-parser).
if(KILN_FUZZ)
  # Instrument the parser itself, not only the harness.
  target_compile_options(kiln_parser PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
  add_executable(kiln_parser_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/parser_fuzz.cc)
  target_compile_options(kiln_parser_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(kiln_parser_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(kiln_parser_fuzz PRIVATE kiln_parser)
endif()
