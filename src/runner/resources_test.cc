#include "runner/resources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kiln::runner {
namespace {

using ::testing::HasSubstr;

TEST(ParseMemoryBytes, DockerUnitsArePowersOf1024) {
  EXPECT_EQ(*ParseMemoryBytes("1048576"), 1048576);
  EXPECT_EQ(*ParseMemoryBytes("512m"), 512LL << 20);
  EXPECT_EQ(*ParseMemoryBytes("512MB"), 512LL << 20);
  EXPECT_EQ(*ParseMemoryBytes("2g"), 2LL << 30);
  EXPECT_EQ(*ParseMemoryBytes("64k"), 64LL << 10);
  EXPECT_EQ(*ParseMemoryBytes("10b"), 10);
}

TEST(ParseMemoryBytes, RejectsWhatIsNotASize) {
  for (const char* s : {"", "m", "12x", "1.5g", "-1", "99999999999999999999", "9000000000000t"}) {
    Result<int64_t> r = ParseMemoryBytes(s);
    EXPECT_FALSE(r.ok()) << s;
    if (!r.ok()) EXPECT_THAT(r.status().hint(), HasSubstr("512m")) << s;
  }
}

TEST(MakeResources, DefaultsAreThePidsLimitOnly) {
  Result<Resources> r = MakeResources(ResourceFlags{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pids_max, Resources::kDefaultPidsMax);
  EXPECT_EQ(r->memory_bytes, 0);
  EXPECT_EQ(r->cpu_quota_us, 0);
}

TEST(MakeResources, ChecksEachFlag) {
  EXPECT_EQ(MakeResources({"256m", 50000, 100000, 100})->memory_bytes, 256LL << 20);
  EXPECT_EQ(MakeResources({"", 0, 0, -1})->pids_max, -1);
  EXPECT_THAT(MakeResources({"1m", 0, 0, 10}).status().message(), HasSubstr("minimum of 6 MiB"));
  EXPECT_THAT(MakeResources({"", 10, 0, 10}).status().message(), HasSubstr("--cpu-quota 10"));
  EXPECT_THAT(MakeResources({"", 0, 50000, 10}).status().message(), HasSubstr("needs --cpu-quota"));
  EXPECT_THAT(MakeResources({"", 50000, 10, 10}).status().message(), HasSubstr("--cpu-period 10"));
  EXPECT_THAT(MakeResources({"", 0, 0, -5}).status().message(), HasSubstr("--pids-limit -5"));
}

}  // namespace
}  // namespace kiln::runner
