// Temporary folders and runfiles for tests (testonly).
//
//   std::string dir = MakeTempDir("nats");      // $TEST_TMPDIR/nats.XXXXXX
//   std::string cfg = RunfilePath("testdata/aws/alarm.json");
//
// Bazel removes TEST_TMPDIR after the test, so nothing here deletes folders.
// Failing to create a folder is a broken test machine, not a test outcome:
// MakeTempDir aborts with a message rather than returning an error.
#ifndef TOCSIN_LIBS_TESTING_TEMP_DIR_H_
#define TOCSIN_LIBS_TESTING_TEMP_DIR_H_

#include <string>

namespace tocsin::testing {

// Creates a new, empty folder under $TEST_TMPDIR (or /tmp outside Bazel)
// whose name starts with prefix, and returns its absolute path.
std::string MakeTempDir(const std::string& prefix);

// Path of a data dependency of a Bazel test, given relative to the
// workspace root ("testdata/x.json"): $TEST_SRCDIR/$TEST_WORKSPACE/<path> when
// that exists, else the path itself (running from the workspace root).
std::string RunfilePath(const std::string& workspace_relative);

}  // namespace tocsin::testing

#endif  // TOCSIN_LIBS_TESTING_TEMP_DIR_H_
