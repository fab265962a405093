"""Re-exports Bazel's native C++ rules under the names @bazel_tools expects.

Every name that @bazel_tools//tools/cpp loads from @rules_cc//cc:defs.bzl must
be here, cc_toolchain_suite included, or analysis fails.
"""

cc_library = native.cc_library
cc_binary = native.cc_binary
cc_test = native.cc_test
cc_import = native.cc_import
cc_proto_library = native.cc_proto_library
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
objc_library = native.objc_library
fdo_prefetch_hints = native.fdo_prefetch_hints
fdo_profile = native.fdo_profile
