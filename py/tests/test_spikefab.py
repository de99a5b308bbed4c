"""The Python package against the CLI and the golden model: the same
results through one library, results as numpy arrays with named neurons and
synapse ends, the chip (a virtual one) against the model, and errors as typed
exceptions with the CLI's messages."""

import csv
import json
import subprocess
import tomllib

import numpy as np
import pytest

import spikefab

EXAMPLE = "examples/stdp_homeostasis.toml"


@pytest.fixture(scope="module")
def net():
    return spikefab.load(EXAMPLE)


def columns_equal(a, b, keys):
    for k in keys:
        assert np.array_equal(a[k], b[k]), k


def test_results_are_the_clis(net, cli, tmp_path):
    """`simulate` and `spikefab sim` give the same spikes, state and weights."""
    spikes, state = tmp_path / "s.csv", tmp_path / "state.json"
    subprocess.run(
        [cli, "sim", EXAMPLE, "--ticks", "700", "--spikes", spikes, "--state", state],
        check=True,
        capture_output=True,
    )
    r = net.simulate(ticks=700)
    with open(spikes) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(r.spikes["tick"]) > 0
    for name in ("tick", "neuron", "cycle", "index"):
        assert np.array_equal(r.spikes[name], np.array([int(row[name]) for row in rows])), name
    assert list(r.spikes["population"]) == [row["population"] for row in rows]
    saved = json.loads(state.read_text())
    synapses = saved["weights"]
    assert [s["weight"] for s in synapses] == list(r.weights["weight"])
    assert [s["pre"] for s in synapses] == list(r.weights["pre"])
    assert [s["post_index"] for s in synapses] == list(r.weights["post_index"])
    # The file the package writes is the CLI's.
    mine = tmp_path / "mine.csv"
    r.write_spikes(mine)
    assert mine.read_text() == spikes.read_text()


def test_a_dict_is_the_file(net):
    """The network file read as a dict builds the same network."""
    with open(EXAMPLE, "rb") as f:
        d = tomllib.load(f)
    same = spikefab.Network.from_dict(d, name="example")
    assert (same.neurons, same.axons, same.synapses, same.plastic) == (
        net.neurons,
        net.axons,
        net.synapses,
        net.plastic,
    )
    a, b = net.simulate(ticks=300), same.simulate(ticks=300)
    columns_equal(a.spikes, b.spikes, ["tick", "neuron", "cycle"])
    columns_equal(a.weights, b.weights, ["weight", "initial"])
    assert np.array_equal(net.inputs["tick"], same.inputs["tick"])


def test_columns_name_populations_and_synapse_ends(net):
    r = net.simulate(ticks=400)
    pops = {p["name"]: p for p in net.populations}
    s = r.spikes
    for pop in ("exc", "inh"):
        mine = s["population"] == pop
        assert np.array_equal(s["neuron"][mine] - pops[pop]["first"], s["index"][mine])
        assert (s["index"][mine] < pops[pop]["size"]).all()
    w = r.weights
    assert len(w["weight"]) == net.synapses
    assert w["plastic"].sum() == net.plastic
    assert set(w["projection"]) == {"in -> exc", "exc -> inh", "inh -> exc"}
    inh = w["projection"] == "inh -> exc"
    assert (w["pre"][inh] == "inh").all() and (w["post"][inh] == "exc").all()
    assert (w["weight"][inh] == -20).all() and not w["plastic"][inh].any()
    st = r.state
    assert len(st["v"]) == net.neurons and st["tick"] == 400
    assert list(st["population"][:33][-2:]) == ["exc", "inh"]


def test_rates_count_the_spikes(net):
    r = net.simulate(ticks=1000)
    rates = r.rates(bin=100, tick_us=1000.0)
    assert np.array_equal(rates["tick"], np.arange(0, 1000, 100))
    for p in net.populations:
        if p["kind"] == "neurons":
            # Hz per neuron over 100 ms bins, back to spike counts.
            count = rates[p["name"]].sum() * p["size"] * 0.1
            assert round(count) == (r.spikes["population"] == p["name"]).sum()


def test_probes_and_weight_traces_follow_the_state(net):
    r = net.simulate(ticks=250)
    v = r.probes["v"]
    assert v["values"].shape == (2, 250)
    # A probe's last value is the final state's.
    for k, n in enumerate(v["neuron"]):
        assert v["values"][k, -1] == r.state["v"][n]
    with open(EXAMPLE, "rb") as f:
        d = tomllib.load(f)
    d["record"]["weights"] = [{"from": "in", "to": "exc", "pre": [3], "every": 25}]
    recorded = spikefab.Network.from_dict(d).simulate(ticks=250)
    (t,) = recorded.weight_traces
    assert t["weights"].shape == (10, 32) and np.array_equal(t["tick"], np.arange(25, 251, 25))
    w = recorded.weights
    assert np.array_equal(t["weights"][-1], w["weight"][t["synapse"]])
    assert (t["pre_index"] == 3).all() and np.array_equal(np.sort(t["post_index"]), np.arange(32))


def test_settings_and_seeds_change_the_file(net):
    hot = spikefab.load(EXAMPLE, set={"population.exc.neuron.threshold": 400, "simulation.ticks": 300})
    assert hot.ticks == 300
    assert len(hot.simulate().spikes["tick"]) > len(net.simulate(ticks=300).spikes["tick"])
    a = spikefab.load(EXAMPLE, seed=5).inputs["axon"]
    b = spikefab.load(EXAMPLE, seed=6).inputs["axon"]
    assert not np.array_equal(a, b)
    assert np.array_equal(a, spikefab.load(EXAMPLE, seed=5).inputs["axon"])


def test_the_virtual_chip_runs_and_verifies(net):
    chip = net.run(core="up5k", ticks=200)
    golden = net.simulate(ticks=200, core="up5k")
    columns_equal(chip.spikes, golden.spikes, ["tick", "neuron", "population", "index"])
    assert "cycle" not in chip.spikes
    columns_equal(chip.weights, golden.weights, ["weight"])
    for var in ("u", "v", "theta", "refractory", "x_pre", "x_post", "post_history"):
        assert np.array_equal(chip.state[var], golden.state[var]), var
    assert chip.cycles == golden.cycles and chip.source.startswith("chip on /dev/")
    v = net.verify(ticks=200, check_every=50)
    assert v and v.verified and v.divergence is None and v.checkpoints == [50, 100, 150, 200]
    columns_equal(v.golden_spikes, golden.spikes, ["tick", "neuron", "cycle"])
    assert np.array_equal(v.chip.state["v"], golden.state["v"])


def test_errors_are_typed_and_say_what_and_where(net, tmp_path):
    with pytest.raises(spikefab.ConfigError, match=r"^cannot read /no/such\.toml: No such file"):
        spikefab.load("/no/such.toml")
    with pytest.raises(spikefab.ConfigError, match="empty key"):
        spikefab.load(EXAMPLE, set={"population..size": 3})
    with pytest.raises(spikefab.ConfigError, match=r"settings \(--set, --seed\) .* is a snapshot"):
        snap = tmp_path / "net.bin"
        net.save(snap)
        spikefab.load(snap, seed=3)
    with pytest.raises(spikefab.ConfigError, match=r"^nothing to run: 0 ticks"):
        net.simulate(ticks=0)
    with pytest.raises(spikefab.ConfigError, match=r"^<dict>:.* population\[0\]\.size: invalid type"):
        spikefab.Network.from_dict({"population": [{"name": "a", "size": "many"}]})
    with pytest.raises(ValueError, match="no core `big`; the cores are: up5k, hx8k, ecp5, tiny"):
        net.run(core="big")
    with pytest.raises(ValueError, match="no RTL engine|unknown"):
        net.run(engine="spice")
    with pytest.raises(spikefab.ChipError, match="^no serial port /dev/nope"):
        net.run(port="/dev/nope")
    with pytest.raises(spikefab.FileError, match="must end in .svg or .png"):
        net.simulate(ticks=10).plot("raster", tmp_path / "r.jpg")
    with pytest.raises(spikefab.FileError, match="does not exist"):
        net.simulate(ticks=10).write_state(tmp_path / "no" / "s.json")
    assert issubclass(spikefab.ChipError, spikefab.Error) and issubclass(spikefab.Error, Exception)


def test_a_snapshot_loads_back_the_same_network(net, tmp_path):
    snap = tmp_path / "net.bin"
    net.save(snap)
    again = spikefab.load(snap)
    columns_equal(again.simulate(ticks=200).spikes, net.simulate(ticks=200).spikes, ["tick", "neuron", "cycle"])


def test_plots_are_written_and_read_back_by_the_cli(net, cli, tmp_path):
    r = net.simulate(ticks=300)
    for kind in ("raster", "rates", "weights", "traces"):
        out = tmp_path / f"{kind}.svg"
        r.plot(kind, out)
        assert out.read_text().startswith("<svg"), kind
    state = tmp_path / "state.json"
    r.write_state(state)
    plot = tmp_path / "again.svg"
    done = subprocess.run(
        [cli, "plot", EXAMPLE, "--kind", "weights", "--state", state, "--out", plot],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert plot.read_text() == (tmp_path / "weights.svg").read_text().replace("spikefab (golden model)", EXAMPLE)


def test_inspect_names_each_projection_and_core(net):
    text = net.inspect(ticks=200)
    for name in ("in -> exc", "exc -> inh", "inh -> exc", "up5k", "hx8k", "ecp5", "tiny"):
        assert name in text, name
    assert text == net.inspect(ticks=200, tick_us=1000.0)


def test_units_say_what_the_quantizer_chose(net):
    assert net.units is None
    cuba = spikefab.load("examples/va_cuba.toml")
    assert cuba.units.startswith("physical units quantized (dt = 1 ms")
    assert "exc: unit 0.000671 mV; du 742 dv 200 u_shift 3 bias 800 threshold 14895" in cuba.units
    assert "projection[2] (inh -> exc): wexp 7" in cuba.units
    with pytest.raises(spikefab.ConfigError, match=r"lif\.tau_syn: 0\.5 ms is shorter than a tick"):
        spikefab.load("examples/va_cuba.toml", set={"population.exc.lif.tau_syn": 0.5})


def test_physical_networks_give_millivolts():
    probe = [{"population": "exc", "neurons": [0, 5], "vars": ["v", "theta"]}]
    cuba = spikefab.load("examples/va_cuba.toml", set={"record.probe": probe, "simulation.duration": 200.0})
    scale = cuba.scales["exc"]
    assert scale["zero_mV"] == -60.0 and abs(scale["unit_mV"] - 0.000671) < 1e-6 and scale["dv"] == 200
    r = cuba.simulate()
    v = r.probes["v"]
    assert v["values_mV"].shape == (2, 200)
    np.testing.assert_allclose(v["values_mV"], -60.0 + v["values"] * scale["unit_mV"])
    for k, n in enumerate(v["neuron"]):
        assert v["values_mV"][k, -1] == r.state["v_mV"][n]
    # The membrane stays between the reset's and the threshold's potentials, give or take a unit.
    assert (v["values_mV"] >= -82.0).all() and (v["values_mV"] < -50.0 + 1e-3).all()
    assert np.allclose(r.probes["theta"]["values_mV"], -60.0 + 14895 * scale["unit_mV"])
    net = spikefab.load("examples/stdp_homeostasis.toml")
    assert net.scales == {} and "v_mV" not in net.simulate(ticks=10).state


def test_numpy_values_are_taken_in_dicts_and_settings():
    with open(EXAMPLE, "rb") as f:
        d = tomllib.load(f)
    d["population"][0]["size"] = np.int64(32)
    d["projection"][1]["connect"]["p"] = np.float32(0.5)
    d["record"]["probe"][0]["neurons"] = np.array([0, 1])
    same = spikefab.Network.from_dict(d)
    assert same.synapses == spikefab.load(EXAMPLE).synapses
    hot = spikefab.load(EXAMPLE, set={"population.exc.neuron.threshold": np.int16(400)})
    assert hot.populations[0]["size"] == 32
    d["population"][0]["size"] = object()
    with pytest.raises(spikefab.ConfigError, match="a value of type object in the network"):
        spikefab.Network.from_dict(d)


def test_ctrl_c_stops_a_long_simulation():
    import os
    import signal
    import threading
    import time

    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # Self-sustained activity: minutes of simulation here.
            spikefab.load("examples/va_cuba.toml").simulate(ticks=10_000_000)
    finally:
        timer.cancel()
    assert time.monotonic() - start < 10


def test_a_chip_stays_open_across_runs(net):
    with spikefab.Chip(core="up5k") as chip:
        assert chip.core == "up5k" and chip.port.startswith("/dev/")
        a = chip.run(net, ticks=150)
        b = chip.run(net, ticks=150)
        columns_equal(a.spikes, b.spikes, ["tick", "neuron"])
        columns_equal(a.state, b.state, ["u", "v", "theta"])
        hot = spikefab.load(EXAMPLE, set={"population.exc.neuron.threshold": 400})
        v = chip.verify(hot, ticks=150, check_every=50)
        assert v and len(v.chip.spikes["tick"]) > len(a.spikes["tick"])
        paced = chip.run(net, ticks=30, realtime=True, tick_us=200.0)
        columns_equal(paced.spikes, chip.run(net, ticks=30).spikes, ["tick", "neuron"])
        with pytest.raises(spikefab.ChipError, match="the network needs 40 neurons, the tiny core"):
            spikefab.Chip(core="tiny").run(net)
        assert "open" in repr(chip)
    assert "closed" in repr(chip)
    with pytest.raises(RuntimeError, match="is closed"):
        chip.run(net, ticks=10)


def test_rates_need_a_tick_length(net):
    r = net.simulate(ticks=20)
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="a tick lasts a positive number of microseconds"):
            r.rates(tick_us=bad)
    with pytest.raises(ValueError, match="bin=0"):
        r.rates(bin=0)
