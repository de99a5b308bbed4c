use spikefab_hdl::core::TinyCore;
use spikefab_hdl::cosim::Cosim;
use spikefab_hdl::image::Image;
use spikefab_proto::message::{Answer, Command};
use spikefab_sim::{config, SimOptions, Simulator};

#[test]
fn info_and_lif() {
    let mut chip = Cosim::<TinyCore>::new();
    let a = chip.expect_ok(&Command::Info).unwrap();
    println!("{a:?} after {} clocks", chip.clocks());
    let spec = std::fs::read_to_string("docs/spec.md").unwrap();
    let start = spec.find("<!-- example: lif -->").unwrap();
    let block = &spec[start..];
    let b = block.find("```toml").unwrap() + 7;
    let e = block[b..].find("```").unwrap();
    let model = config::parse_toml(&block[b..b + e], None).unwrap();
    let net = model.network;
    let cfg = spikefab_hdl::config::CoreConfig::TINY;
    let image = Image::new(&net, cfg).unwrap();
    let t0 = std::time::Instant::now();
    chip.load(&image).unwrap();
    println!("loaded after {} clocks, {:?}", chip.clocks(), t0.elapsed());
    let c0 = chip.clocks();
    let t0 = std::time::Instant::now();
    let spikes = chip.run(&net, 8).unwrap();
    let dt = t0.elapsed();
    println!(
        "ran {} clocks in {:?}: {:.0} clocks/s",
        chip.clocks() - c0,
        dt,
        (chip.clocks() - c0) as f64 / dt.as_secs_f64()
    );
    let dump = chip.dump(&net, &image).unwrap();
    let mut sim = Simulator::new(
        &net,
        SimOptions {
            core: Some(cfg.shape()),
            ..SimOptions::default()
        },
    )
    .unwrap();
    sim.run(8);
    println!("chip spikes {spikes:?}\nsim spikes {:?}", sim.spikes());
    let want = sim.state_dump();
    println!("chip {dump:?}\nsim  {want:?}");
    assert_eq!(spikes, sim.spikes());
    assert_eq!(dump, want);
    let _ = Answer::Written;
}

#[test]
#[ignore]
fn clock_rate() {
    let mut chip = Cosim::<TinyCore>::new();
    let t0 = std::time::Instant::now();
    for _ in 0..20000 {
        chip.step().unwrap();
    }
    println!("{:.0} idle clocks/s", 20000.0 / t0.elapsed().as_secs_f64());
}
