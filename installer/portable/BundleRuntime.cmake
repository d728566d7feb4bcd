# SPDX-License-Identifier: MIT
# Install-time script of the portable archive (component "portable"): copies the Qt plugins the program loads at
# run time into plugins/, and every shared library that the executables and those plugins need into lib/, except
# the ones that must come from the system it runs on (glibc, libstdc++, GPU drivers, X11, fontconfig, ...).
# Set by installer/CMakeLists.txt: IOT_BUNDLE_EXECUTABLES, IOT_BUNDLE_PLUGIN_DIR, IOT_BUNDLE_PLUGINS, IOT_BUNDLE_LIBDIRS.
cmake_minimum_required(VERSION 3.21)

set(root "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
set(modules "")
foreach(pattern IN LISTS IOT_BUNDLE_PLUGINS)
    file(GLOB found "${IOT_BUNDLE_PLUGIN_DIR}/${pattern}")
    foreach(plugin IN LISTS found)
        file(RELATIVE_PATH relative "${IOT_BUNDLE_PLUGIN_DIR}" "${plugin}")
        get_filename_component(subdir "${relative}" DIRECTORY)
        file(INSTALL "${plugin}" DESTINATION "${root}/plugins/${subdir}")
        list(APPEND modules "${plugin}")
    endforeach()
endforeach()
if(NOT modules)
    message(FATAL_ERROR "no Qt plugins found in ${IOT_BUNDLE_PLUGIN_DIR}")
endif()

# Close to AppImage's exclude list: libraries that are ABI-stable on every desktop, or that must match the
# system's kernel driver or display server, are left to the system.
set(system_libs
    "^ld-linux" "^libc\\.so" "^libm\\.so" "^libmvec\\.so" "^libdl\\.so" "^librt\\.so" "^libpthread\\.so"
    "^libresolv\\.so" "^libutil\\.so" "^libnsl\\.so" "^libanl\\.so" "^libBrokenLocale\\.so" "^libnss_"
    "^libgcc_s\\.so" "^libstdc\\+\\+\\.so"
    "^libGL" "^libEGL" "^libOpenGL" "^libGLX" "^libGLdispatch" "^libglapi" "^libdrm" "^libgbm" "^libvulkan"
    "^libX11" "^libxcb\\.so" "^libfontconfig" "^libfreetype" "^libharfbuzz" "^libexpat" "^libz\\.so"
    "^libasound" "^libdbus-1" "^libuuid" "^libudev" "^libsystemd" "^libgpg-error" "^libcom_err")
file(GET_RUNTIME_DEPENDENCIES
    EXECUTABLES ${IOT_BUNDLE_EXECUTABLES}
    MODULES ${modules}
    DIRECTORIES ${IOT_BUNDLE_LIBDIRS}
    PRE_EXCLUDE_REGEXES ${system_libs}
    RESOLVED_DEPENDENCIES_VAR libs
    UNRESOLVED_DEPENDENCIES_VAR missing
    CONFLICTING_DEPENDENCIES_PREFIX conflict)
if(missing)
    message(FATAL_ERROR "portable archive: cannot find ${missing}")
endif()
# The same library found under /lib and /usr/lib (merged /usr) is one file; take the first.
foreach(name IN LISTS conflict_FILENAMES)
    list(GET conflict_${name} 0 first)
    list(APPEND libs "${first}")
endforeach()
foreach(lib IN LISTS libs)
    file(INSTALL "${lib}" DESTINATION "${root}/lib" FOLLOW_SYMLINK_CHAIN)
endforeach()
list(LENGTH libs count)
message(STATUS "portable archive: bundled ${count} libraries")
