// Spikefab's harness around a Verilated core: a small C ABI that
// `spikefab_hdl::verilator` loads from the shared library it builds.
//
// The model is Verilator's C++ class for module `top` with the core's byte
// interface (clock, in_data, in_valid, in_ready, out_data, out_valid,
// out_ready, idle). `spikefab_run` clocks it many times per call, so that
// crossing from Rust costs nothing per clock; each clock does exactly what
// `spikefab_hdl::cosim::ByteChip::step` does with rust-hdl's simulator:
// offer the next byte, settle, note whether the core took it and what it
// sent (the host side is always ready), then the rising edge.
//
// Built with -DSPIKEFAB_TRACE (and Verilator's --trace), every evaluation can
// be dumped to a VCD file between `spikefab_trace_open` and
// `spikefab_trace_close`; one clock is two time units.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "Vtop.h"
#include "verilated.h"
#ifdef SPIKEFAB_TRACE
#include "verilated_vcd_c.h"
#endif

namespace {

struct Model {
    std::unique_ptr<VerilatedContext> context;
    std::unique_ptr<Vtop> top;
#ifdef SPIKEFAB_TRACE
    std::unique_ptr<VerilatedVcdC> vcd;
#endif

    Model() : context(new VerilatedContext) {
#ifdef SPIKEFAB_TRACE
        context->traceEverOn(true);
#endif
        top.reset(new Vtop(context.get(), "top"));
        top->clock = 0;
        top->in_valid = 0;
        top->in_data = 0;
        top->out_ready = 1;
        top->eval();
    }

    ~Model() {
#ifdef SPIKEFAB_TRACE
        if (vcd) vcd->close();
#endif
        top->final();
    }

    void eval() {
        top->eval();
#ifdef SPIKEFAB_TRACE
        if (vcd) vcd->dump(context->time());
#endif
        context->timeInc(1);
    }
};

}  // namespace

extern "C" {

// The version of this ABI; the Rust side refuses a library of another.
uint32_t spikefab_abi(void) { return 1; }

// 1 when the library was built with waveform tracing.
uint32_t spikefab_traceable(void) {
#ifdef SPIKEFAB_TRACE
    return 1;
#else
    return 0;
#endif
}

void* spikefab_new(void) { return new Model(); }

void spikefab_free(void* m) { delete static_cast<Model*>(m); }

// The core's `idle` output: nothing to do until a byte arrives.
uint32_t spikefab_idle(void* m) { return static_cast<Model*>(m)->top->idle; }

// Clock the core at most `max_clocks` times. The bytes `in[0..in_len)` are
// offered in order, one per clock, and `*taken` says how many the core took.
// The bytes the core sends go to `out` (room for `out_cap`; `*out_len` says
// how many). Stops early when all of `in` is taken and the core is idle, or
// when `out` is full. Returns the clocks run.
uint64_t spikefab_run(void* mp, const uint8_t* in, size_t in_len, size_t* taken, uint8_t* out, size_t out_cap,
                      size_t* out_len, uint64_t max_clocks) {
    Model* m = static_cast<Model*>(mp);
    Vtop* top = m->top.get();
    size_t i = 0, o = 0;
    uint64_t clocks = 0;
    while (clocks < max_clocks && o < out_cap) {
        const bool have = i < in_len;
        if (!have && top->idle) break;
        top->in_valid = have;
        top->in_data = have ? in[i] : 0;
        top->out_ready = 1;
        top->clock = 0;
        m->eval();
        if (have && top->in_ready) i++;
        if (top->out_valid) out[o++] = top->out_data;
        top->clock = 1;
        m->eval();
        clocks++;
    }
    *taken = i;
    *out_len = o;
    return clocks;
}

// Start dumping every evaluation to the VCD file `path`; 0 on success.
int32_t spikefab_trace_open(void* mp, const char* path) {
#ifdef SPIKEFAB_TRACE
    Model* m = static_cast<Model*>(mp);
    if (m->vcd) m->vcd->close();
    m->vcd.reset(new VerilatedVcdC);
    m->top->trace(m->vcd.get(), 99);
    m->vcd->open(path);
    return m->vcd->isOpen() ? 0 : -2;
#else
    (void)mp;
    (void)path;
    return -1;
#endif
}

// Stop dumping and close the file.
void spikefab_trace_close(void* mp) {
#ifdef SPIKEFAB_TRACE
    Model* m = static_cast<Model*>(mp);
    if (m->vcd) {
        m->vcd->close();
        m->vcd.reset();
    }
#else
    (void)mp;
#endif
}

}  // extern "C"
