# What `cmake --install build --prefix P` puts under P, and the Debian package (CPack) made of it:
#   bin/kiln                         the binary
#   share/man/man1/kiln.1            `kiln --help` and each subcommand's --help as a man page
#   share/doc/kiln/                  README.md and docs/
#   share/kiln/pre-commit-hooks.yaml the pre-commit hook (kiln-lint)
include(GNUInstallDirs)

install(TARGETS kiln RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The man page is made from the binary's own --help, so it never drifts from it.
set(KILN_MANPAGE ${PROJECT_BINARY_DIR}/kiln.1)
add_custom_command(OUTPUT ${KILN_MANPAGE}
  COMMAND ${CMAKE_COMMAND} -DKILN=$<TARGET_FILE:kiln> -DOUT=${KILN_MANPAGE}
          -DVERSION=${PROJECT_VERSION} -P ${PROJECT_SOURCE_DIR}/cmake/manpage.cmake
  DEPENDS kiln ${PROJECT_SOURCE_DIR}/cmake/manpage.cmake
  COMMENT "Generating kiln.1 from kiln --help")
add_custom_target(kiln_manpage ALL DEPENDS ${KILN_MANPAGE})
install(FILES ${KILN_MANPAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES .pre-commit-hooks.yaml DESTINATION ${CMAKE_INSTALL_DATADIR}/kiln
        RENAME pre-commit-hooks.yaml)

# Debian package: tools/package -> kiln_<version>_amd64.deb. Depends: comes from the shared
# libraries the binary actually links (dpkg-shlibdeps); files are stripped.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kiln)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "daemonless BuildKit-style container image builder and Dockerfile linter")
set(CPACK_PACKAGE_DESCRIPTION
    "kiln builds container images from Dockerfiles as BuildKit does, without a daemon, and lints\nDockerfiles with hadolint's rules, ShellCheck and BuildKit's build checks.")
set(CPACK_PACKAGE_CONTACT "kiln maintainers <kiln@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Run, not linked: git for ADD <git URL> and git contexts, shellcheck for kiln lint's SC rules.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "git, shellcheck, ca-certificates")
include(CPack)
