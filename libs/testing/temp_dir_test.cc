#include "libs/testing/temp_dir.h"

#include <sys/stat.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tocsin::testing {
namespace {

using ::testing::HasSubstr;

TEST(MakeTempDir, CreatesDistinctEmptyFolders) {
  std::string first = MakeTempDir("sample");
  std::string second = MakeTempDir("sample");

  EXPECT_NE(first, second);
  EXPECT_THAT(first, HasSubstr("/sample."));
  struct stat info;
  ASSERT_EQ(stat(first.c_str(), &info), 0);
  EXPECT_TRUE(S_ISDIR(info.st_mode));
  std::ofstream(first + "/file") << "written";
  EXPECT_TRUE(std::ifstream(first + "/file").good());
}

TEST(RunfilePath, FindsDataDependency) {
  std::string path = RunfilePath("libs/testing/testdata/runfile.txt");

  std::ifstream in(path);
  std::string contents;
  std::getline(in, contents);
  EXPECT_EQ(contents, "a data dependency");
}

TEST(RunfilePath, FallsBackToThePathItself) {
  EXPECT_EQ(RunfilePath("no/such/file"), "no/such/file");
}

}  // namespace
}  // namespace tocsin::testing
