#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cxagent::testing {

//! A folder made by `make` once per build of the tests and shared, read-only, by every test
//! process that asks for it by `name`. CTest runs each test in a process of its own, so a world
//! made "once per test run" in a static or in SetUpTestSuite is otherwise made again for every
//! test. The folder is build/test-cache/NAME-KEY, where KEY covers the test binary, the cxagent
//! binary and the `inputs` files (size and modification time), so a rebuild or a changed input
//! makes it again. It is made under an exclusive lock into a temporary folder renamed when
//! `make` returns true; otherwise nothing is kept and the calling test fails, so a failed or killed
//! maker leaves nothing that another test would take.
std::filesystem::path SharedFolder(const std::string& name, const std::vector<std::string>& inputs,
                                   const std::function<bool(const std::filesystem::path&)>& make);

}  // namespace cxagent::testing
