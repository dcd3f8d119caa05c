# cxagent: `make run` sets up, builds, prepares the demo world and serves the dashboard;
# `make test` sets up, builds and runs every test (and the sanitizer build's tests and brief
# fuzzing); `make fuzz` runs each fuzzer for FUZZ_SECONDS. See README.md and docs/fuzzing.md.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all setup build build-san web run test fuzz bench fmt clean

all: build

setup:
	@scripts/setup.sh

# ccache (installed by setup) makes a rebuild after a branch switch or a fresh clone cheap.
CCACHE := $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CCACHE)

build: setup $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)
	@$(MAKE) --no-print-directory web

web:
	@if [ -f web/package.json ]; then cd web && npm run --silent build; fi

run: build
	@scripts/run.sh

test: build
	@scripts/test.sh

# The clang AddressSanitizer + UndefinedBehaviorSanitizer build (build-san) of cxagent, its tests
# and the libFuzzer targets; built after the main build, never beside it (two cores).
build-san: build
	@scripts/fuzz.sh build

# Each fuzzer for FUZZ_SECONDS (default 600), reporting executions and coverage per target.
FUZZ_SECONDS ?= 600
fuzz: build-san
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh long

bench: build
	@scripts/bench.sh

fmt:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 'fuzz/*.cpp' 'fuzz/*.hpp')

clean:
	rm -rf $(BUILD_DIR) build-san web/dist
