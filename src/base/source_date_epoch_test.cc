#include "base/source_date_epoch.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace kiln {
namespace {

TEST(SourceDateEpoch, ParsesSecondsAndTreatsEmptyAsUnset) {
  EXPECT_EQ(*ParseSourceDateEpoch("1700000000"), std::optional<int64_t>(1700000000));
  EXPECT_EQ(*ParseSourceDateEpoch("0"), std::optional<int64_t>(0));
  EXPECT_FALSE(ParseSourceDateEpoch("")->has_value());
}

TEST(SourceDateEpoch, RejectsWhatIsNotSeconds) {
  for (const char* bad : {"-1", "12x", "1.5", " 1", "yesterday", "99999999999999999999"}) {
    auto r = ParseSourceDateEpoch(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().ToString().find(std::string("invalid SOURCE_DATE_EPOCH: ") + bad), std::string::npos)
        << r.status().ToString();
  }
}

TEST(SourceDateEpoch, EnvironmentBecomesTheBuildArgUnlessGiven) {
  setenv("SOURCE_DATE_EPOCH", "1600000000", 1);
  std::map<std::string, std::string> none;
  AddSourceDateEpochFromEnv(none);
  EXPECT_EQ(none["SOURCE_DATE_EPOCH"], "1600000000");
  std::map<std::string, std::string> given{{"SOURCE_DATE_EPOCH", "5"}};
  AddSourceDateEpochFromEnv(given);
  EXPECT_EQ(given["SOURCE_DATE_EPOCH"], "5");
  EXPECT_EQ(*SourceDateEpochFromEnv(), std::optional<int64_t>(1600000000));
  setenv("SOURCE_DATE_EPOCH", "soon", 1);
  EXPECT_FALSE(SourceDateEpochFromEnv().ok());
  unsetenv("SOURCE_DATE_EPOCH");
  std::map<std::string, std::string> unset;
  AddSourceDateEpochFromEnv(unset);
  EXPECT_TRUE(unset.empty());
  EXPECT_FALSE(SourceDateEpochFromEnv()->has_value());
}

}  // namespace
}  // namespace kiln
