// Tests only: a fresh temporary directory, removed when the returned object goes.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "base/fs.h"

namespace kiln {

// nullptr (and a failed expectation) when it cannot be created; callers
// ASSERT_TRUE the result.
inline std::unique_ptr<TempDir> NewTestDir(const std::string& prefix) {
  auto t = TempDir::Create(prefix);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::make_unique<TempDir>(std::move(*t)) : nullptr;
}

}  // namespace kiln
