"""Debian system libraries as Bazel cc_library targets.

Each library is described by pkg-config modules (and, for libraries that ship
no .pc file, plain linker flags). The repository rule runs pkg-config on the
host at fetch time and writes one cc_library with the flags it printed.
Use as "@sys//:grpcpp" etc.
"""

_LIBS = {
    # name: (pkg-config modules, extra linkopts)
    "grpcpp": (["grpc++"], []),
    "protobuf": (["protobuf"], []),
    "nats": (["libnats"], []),
    "sqlite3": (["sqlite3"], []),
    "curl": (["libcurl"], []),
    "yaml_cpp": (["yaml-cpp"], []),
    "gtest": (["gtest", "gmock"], []),
    "gtest_main": (["gtest_main", "gmock"], []),
    "benchmark": (["benchmark"], []),
    "spdlog": (["spdlog"], []),
    "nlohmann_json": (["nlohmann_json"], []),
    "crypto": (["libcrypto"], []),
    "prometheus": (["prometheus-cpp-core"], []),
    "microhttpd": (["libmicrohttpd"], []),
    "cli11": (["CLI11"], []),
    "ical": (["libical"], []),
    # Header-only (/usr/include/utf8.h); no .pc file.
    "utfcpp": ([], []),
    "absl": ([
        "absl_status",
        "absl_statusor",
        "absl_strings",
        "absl_str_format",
        "absl_time",
        "absl_flags",
        "absl_flags_parse",
        "absl_flags_usage",
        "absl_flags_reflection",
        "absl_synchronization",
        "absl_random_random",
        "absl_flat_hash_map",
        "absl_flat_hash_set",
        "absl_hash",
        "absl_cleanup",
    ], []),
}

def _split(ctx, modules, what):
    if not modules:
        return []
    res = ctx.execute(["pkg-config", what] + modules)
    if res.return_code != 0:
        fail("pkg-config %s %s failed (is the Debian package installed? run tools/install-deps): %s" %
             (what, " ".join(modules), res.stderr))
    return [f for f in res.stdout.strip().split(" ") if f]

def _system_libraries_impl(ctx):
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, (modules, extra) in _LIBS.items():
        cflags = _split(ctx, modules, "--cflags")
        libs = _split(ctx, modules, "--libs") + extra
        defines = [f[2:] for f in cflags if f.startswith("-D")]
        copts = [f for f in cflags if f.startswith("-I") and f != "-I/usr/include"]
        copts += [f for f in cflags if not f.startswith("-I") and not f.startswith("-D")]
        build.append("cc_library(")
        build.append("    name = %r," % name)
        build.append("    defines = %r," % defines)
        build.append("    copts = %r," % copts)
        build.append("    linkopts = %r," % (libs + ["-pthread"]))
        build.append(")")
        build.append("")
    ctx.file("WORKSPACE", 'workspace(name = "sys")\n')
    ctx.file("BUILD.bazel", "\n".join(build))

_system_libraries = repository_rule(
    implementation = _system_libraries_impl,
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)

def system_libraries():
    _system_libraries(name = "sys")
