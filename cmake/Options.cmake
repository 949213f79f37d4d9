# Warnings and sanitizers shared by every target.
add_library(tributary_options INTERFACE)
target_compile_options(tributary_options INTERFACE -Wall -Wextra -Wno-unused-parameter -Wno-maybe-uninitialized)
target_include_directories(tributary_options INTERFACE ${PROJECT_SOURCE_DIR}/include
                                                       ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(tributary_options INTERFACE
  TRIBUTARY_VERSION="${PROJECT_VERSION}" BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
if(TRIBUTARY_SANITIZE)
  target_compile_options(tributary_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(tributary_options INTERFACE -fsanitize=address,undefined)
endif()
