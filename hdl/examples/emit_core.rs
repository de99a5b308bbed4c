use rust_hdl::prelude::*;
fn main() {
    let mut c = spikefab_hdl::cores::Up5kCore::default();
    if std::env::var("TINY").is_ok() {
        let mut t = spikefab_hdl::cores::TinyCore::default();
        t.connect_all();
        std::fs::write(std::env::args().nth(1).unwrap(), generate_verilog(&t)).unwrap();
        return;
    }
    c.connect_all();
    std::fs::write(std::env::args().nth(1).unwrap(), generate_verilog(&c)).unwrap();
}
