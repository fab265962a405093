"""Tocsin's own Bazel macros.

tocsin_proto_library: compiles .proto files under //proto with the system
protoc (and grpc_cpp_plugin for services) at build time and wraps the
generated code in a cc_library. Nothing generated is checked in.
"""

def tocsin_proto_library(name, srcs, deps = [], grpc = False, visibility = None):
    """srcs are paths under proto/ (e.g. "tocsin/events/v1/envelope.proto")."""
    outs = []
    for s in srcs:
        base = s[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
        if grpc:
            outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    dep_srcs = [d + "_srcs" for d in deps]
    native.filegroup(name = name + "_srcs", srcs = srcs + dep_srcs)
    plugin = ""
    if grpc:
        plugin = "--plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin) --grpc_out=$(GENDIR)/proto "
    native.genrule(
        name = name + "_gen",
        srcs = srcs + dep_srcs,
        outs = outs,
        cmd = ("protoc -Iproto -I/usr/include --cpp_out=$(GENDIR)/proto " + plugin +
               " ".join(["proto/" + s for s in srcs])),
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        deps = deps + ["@sys//:protobuf"] + (["@sys//:grpcpp"] if grpc else []),
        visibility = visibility,
    )
