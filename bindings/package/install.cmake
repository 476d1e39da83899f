# `cmake --install`: headers, libweft (shared and static), the weft shell,
# a CMake package (find_package(weft) -> weft::weft, weft::weft_static) and
# a pkg-config file (weft.pc; weft-static.pc for static linking).
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/weft
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/bindings/c/weft.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set_target_properties(weft_shared PROPERTIES EXPORT_NAME weft)
set_target_properties(weft_static PROPERTIES EXPORT_NAME weft_static)
install(TARGETS weft_shared weft_static EXPORT weftTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS weft_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The Python package, where Debian's python3 looks (set PYTHONPATH for
# another prefix); it finds PREFIX/lib/libweft.so from its own place.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/bindings/python/weft
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/python3/dist-packages
        FILES_MATCHING PATTERN "*.py" PATTERN "*.pyi" PATTERN "py.typed")

set(WEFT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/weft)
install(EXPORT weftTargets NAMESPACE weft:: DESTINATION ${WEFT_CMAKE_DIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/weftConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/weftConfig.cmake
  INSTALL_DESTINATION ${WEFT_CMAKE_DIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/package/weftConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/weftConfig.cmake
              ${PROJECT_BINARY_DIR}/package/weftConfigVersion.cmake
        DESTINATION ${WEFT_CMAKE_DIR})

# The .pc files find the prefix from their own place (${pcfiledir}), so an
# install moved or made with `cmake --install --prefix DIR` still works.
file(RELATIVE_PATH WEFT_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
foreach(pc weft weft-static)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${pc}.pc.in
                 ${PROJECT_BINARY_DIR}/package/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/package/${pc}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
