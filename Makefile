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

.PHONY: all deps build build-san check demo bench install clean

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
	sh bench/run.sh ./$(BUILD)/netchannel

install: build
	$(MESON) install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN)
