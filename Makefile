# microzmtp — the commands a user runs. Everything builds with CMake under build*/.
#   make demo   a ZeroMQ PUB firmware on an emulated Cortex-M3 (QEMU, lwIP), a pyzmq SUB
#               printing its readings; then the POSIX demo (also alone: make demo-posix)
#   make firmware  the mps2-an385 firmware images (lwIP from Debian's source package)
#   make test-lwip the firmware examples under QEMU against pyzmq, then host lwIP tests in a
#               network namespace (root; part of make test)
#   make test   every test: unit (cmocka), interop against libzmq, ASan/UBSan, fuzz smoke,
#               Cortex-M3 size budget, unit tests on Cortex-M3 and big-endian (test-target),
#               the EVA proofs (make proofs)
#   make size   arm-none-eabi-gcc sizes of minimal PUB/SUB programs (and a CURVE PUB)
#   make bench  microzmtp and libzmq side by side (about 6 minutes, with the scale
#               sections of issue 11), RATIO lines
#   make bench-mcu  instructions per message on Cortex-M3 under qemu-system-arm -icount,
#               and CURVE's crypto there (instructions and stack per operation)
#   make bench-fw   instructions per 64 B publish on the lwIP PUB firmware, send call to
#               the LAN9118's TX FIFO (QEMU -icount, a pyzmq SUB; about 5 s)
#   make bench-slow slow subscribers: libzmq's PUB and ours side by side (about 1 minute)
#   make proofs Frama-C EVA: no run-time error in src/wire for any input, and the send
#               ring's index arithmetic over operation sequences (docs/proofs.md)
# Each target installs missing Debian packages first (scripts/deps.sh; sudo when not root).

BUILD      ?= build
BUILD_SAN  ?= build-san
BUILD_FUZZ ?= build-fuzz
BUILD_BENCH ?= build-bench
BUILD_FW   ?= build-fw
BUILD_LWIP_HOST ?= build-lwip-host
# lwIP's tree (holding src/core); by default Debian's source package, fetched once by
# scripts/lwip-src.sh into the ignored build-lwip/. Never committed.
LWIP_DIR   ?= $(shell sh scripts/lwip-src.sh)
# libsodium's tree (holding src/libsodium) for the Cortex-M3 builds (make size, bench-mcu,
# the Contiki-NG cc2538 CURVE build): Debian's source package, fetched once by
# scripts/libsodium-src.sh into the ignored build-libsodium/. Hosts use libsodium-dev.
SODIUM_DIR ?= $(shell sh scripts/libsodium-src.sh)
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: bench-slow
bench-slow: build
	/usr/bin/python3 bench/slow_subscribers.py --zmtpcat $(BUILD)/zmtpcat

.PHONY: firmware demo-posix test-lwip bench-fw
BUILD_PROOFS ?= build-proofs
.PHONY: proofs
proofs: deps
	sh proofs/run.sh all $(CURDIR)/$(BUILD_PROOFS)

.PHONY: all deps build demo test test-unit test-san test-fuzz test-contiki size bench bench-mcu clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: firmware build
	sh firmware/mps2-an385/demo.sh $(BUILD_FW) 5
	sh examples/demo.sh $(BUILD)

demo-posix: build
	sh examples/demo.sh $(BUILD)

firmware: deps
	$(MAKE) -C firmware/mps2-an385 LWIP_DIR="$(LWIP_DIR)" BUILD=$(CURDIR)/$(BUILD_FW) -j 2

# The host lwIP tests create a network namespace with a tap device: they need root.
test-lwip: firmware
	/usr/bin/python3 tests/lwip/test_firmware.py $(BUILD_FW)
	$(MAKE) -C tests/lwip/host LWIP_DIR="$(LWIP_DIR)" BUILD=$(CURDIR)/$(BUILD_LWIP_HOST) -j 2
	/usr/bin/python3 tests/lwip/test_host.py $(BUILD_LWIP_HOST)
	$(MAKE) bench-fw

bench-fw: firmware
	$(MAKE) -C firmware/mps2-an385 LWIP_DIR="$(LWIP_DIR)" BUILD=$(CURDIR)/$(BUILD_FW) bench

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-san: deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DMZMTP_SANITIZE=ON >/dev/null
	cmake --build $(BUILD_SAN) -j $(JOBS)
	ctest --test-dir $(BUILD_SAN) --output-on-failure -j $(JOBS)

test-fuzz: deps
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=Debug -DMZMTP_FUZZ=ON >/dev/null
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	ctest --test-dir $(BUILD_FUZZ) --output-on-failure -R '^fuzz\.'

size: deps
	$(MAKE) -C bench/size BUILD=$(CURDIR)/bench/size/out SODIUM_DIR="$(SODIUM_DIR)"
	sh bench/size/per_type.sh $(CURDIR)/bench/size/out

bench: deps
	cmake -S . -B $(BUILD_BENCH) -DCMAKE_BUILD_TYPE=Release -DMZMTP_BUILD_BENCH=ON -DMZMTP_BUILD_TESTS=OFF >/dev/null
	cmake --build $(BUILD_BENCH) -j $(JOBS) --target bench_zmtp bench_zmtp_scale
	sh bench/run.sh $(BUILD_BENCH)

# The Contiki-NG node tests need a Contiki-NG checkout (CONTIKI=<path>) and root for the
# network namespace; without them the script says it skipped and why.
test-contiki:
	bash tests/contiki-ng/run.sh

bench-mcu:
	@sh scripts/deps.sh qemu-system-arm
	$(MAKE) -C bench/mcu SODIUM_DIR="$(SODIUM_DIR)" run run-curve

test: test-unit test-san test-fuzz size test-contiki test-lwip test-target proofs
	@echo "make test: all suites passed"

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ) $(BUILD_BENCH) $(BUILD_FW) $(BUILD_LWIP_HOST) $(BUILD_PROOFS) bench/size/out

# The unit tests (device profile) on Cortex-M3 under qemu-system-arm and on big-endian
# s390x under qemu-user, counts compared with the host's (tests/target, about 10 s).
# cmocka for them is built from Debian's source package (scripts/cmocka-src.sh).
BUILD_TARGET ?= build/target
.PHONY: test-target
test-target:
	@sh scripts/deps.sh qemu-system-arm qemu-user gcc-s390x-linux-gnu libc6-dev-s390x-cross dpkg-dev
	$(MAKE) -C tests/target -j 2 BUILD=$(CURDIR)/$(BUILD_TARGET) \
	    CMOCKA_SRC="$$(sh scripts/cmocka-src.sh $(CURDIR)/$(BUILD_TARGET)/src)" run
