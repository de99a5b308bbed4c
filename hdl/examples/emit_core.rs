use rust_hdl::prelude::*;
fn main() {
    let mut c = spikefab_hdl::core::Up5kCore::default();
    c.connect_all();
    std::fs::write(std::env::args().nth(1).unwrap(), generate_verilog(&c)).unwrap();
}
