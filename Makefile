# netchannel: the commands users type.  Meson + Ninja do the building.
#   make            build (gcc) into build/
#   make check      install deps, build with gcc and with clang+ASan+UBSan,
#                   run the whole suite in both
#   make demo       install deps, build, run the main job
#   make bench      install deps, build, run the benchmarks
#   make install    install the library, headers, pkg-config file and tool

BUILD ?= build
SAN ?= build-san
MESON ?= meson
PREFIX ?= /usr/local

.PHONY: all deps build build-san check demo bench install clean soak fuzz

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/build.ninja:
	CC=gcc $(MESON) setup $(BUILD) --prefix=$(PREFIX)

$(SAN)/build.ninja:
	CC=clang $(MESON) setup $(SAN) -Db_sanitize=address,undefined \
		-Dc_args=-fno-sanitize-recover=all

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-san: $(SAN)/build.ninja
	ninja -C $(SAN)

check: deps
	$(MAKE) build build-san
	python3 scripts/run-tests.py $(BUILD) $(SAN)

demo: deps
	$(MAKE) build
	NC=./$(BUILD)/netchannel bash scripts/demo.sh

bench: deps
	$(MAKE) build
	bash bench/compare.sh ./$(BUILD)/netchannel
	bash bench/queues.sh ./$(BUILD)/netchannel

# Each libFuzzer harness for FUZZ_SECONDS (make check runs 30 s each).
FUZZ_SECONDS ?= 600
fuzz: deps
	bash fuzz/run.sh $(FUZZ_SECONDS)

# 200 rounds of kill -9 on either side of a vif (make check runs 20).
soak: deps
	$(MAKE) build
	bash tests/test_sim_kill.sh ./$(BUILD)/netchannel ./$(BUILD)/tests/sim_sender 200

install: build
	$(MESON) install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN)

# Real Xen 4.17 in QEMU (TCG) with a Debian 12 dom0: xen/run.sh boots it and
# runs xen/tests/*.sh inside dom0 (the base image is cached by xen/build-base.sh).
.PHONY: check-xen
check-xen: deps build
	NC_BUILD_DIR=$(BUILD) bash xen/run.sh xen/tests/*.sh
