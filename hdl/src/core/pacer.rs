//! `Pacer`: real-time pacing of STEPs (`docs/spec.md` §10.5). With a tick
//! period of P core clocks (the `ctrl` registers `period`), a STEP's tick
//! starts no sooner than P clocks after the tick before started: the host
//! port holds a STEP whose inputs are in (`ready`) until the period has run
//! (`go`). A STEP that is ready only after its tick was due is counted
//! `late` (the host or the link did not keep up), unless the tick before it
//! ran past its own period, which is counted as an `overrun` (the network
//! is too busy for that period) instead. With P = 0 (lockstep, the default)
//! a STEP starts at once and nothing is counted. RESET and a new period
//! (`clear`) zero both counters and disarm: the next STEP starts at once.
//!
//! The golden model has no twin: pacing changes when ticks start, not what
//! they compute or their busy cycles. The test below holds the rules.

use rust_hdl::prelude::*;

/// The pacing timer and its counters.
#[derive(LogicBlock, Default)]
pub struct Pacer {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Core clocks per tick; 0: lockstep.
    pub period: Signal<In, Bits<24>>,
    /// A STEP's inputs are in: its tick may start.
    pub ready: Signal<In, Bit>,
    /// The tick's busy phase ends this clock.
    pub tick_done: Signal<In, Bit>,
    /// RESET or a new period: counters to 0, disarmed.
    pub clear: Signal<In, Bit>,
    /// Start the tick in this clock.
    pub go: Signal<Out, Bit>,
    /// Nothing changes from clock to clock until `ready` or `clear`: a
    /// simulator may skip these clocks when the rest of the core is idle.
    pub settled: Signal<Out, Bit>,
    /// STEPs that were ready only after their tick was due (mod 2^16).
    pub late: Signal<Out, Bits<16>>,
    /// Ticks whose busy phase ended after their period (mod 2^16).
    pub overruns: Signal<Out, Bits<16>>,
    left: DFF<Bits<24>>,
    armed: DFF<Bit>,
    waited: DFF<Bit>,
    overran: DFF<Bit>,
    late_q: DFF<Bits<16>>,
    overruns_q: DFF<Bits<16>>,
    paced: Signal<Local, Bit>,
    due: Signal<Local, Bit>,
}

impl Logic for Pacer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, left, armed, waited, overran, late_q, overruns_q);
        self.paced.next = self.period.val().any();
        // The period since the last tick's start has run: `left` counts down
        // from the period to 1 (0 after a clear), one a clock.
        self.due.next = !(self.left.q.val() >> 1).any();
        self.go.next = self.ready.val() & (!self.paced.val() | self.due.val());
        self.settled.next = self.due.val() & (!self.armed.q.val() | self.waited.q.val());
        self.late.next = self.late_q.q.val();
        self.overruns.next = self.overruns_q.q.val();
        if !self.due.val() {
            self.left.d.next = self.left.q.val() - 1;
        }
        // The tick was due and did not start.
        if self.due.val() & self.armed.q.val() & !self.go.val() {
            self.waited.d.next = true;
        }
        if self.tick_done.val() & self.due.val() & self.armed.q.val() {
            self.overruns_q.d.next = self.overruns_q.q.val() + 1;
            self.overran.d.next = true;
        }
        if self.go.val() {
            // Due again `period` clocks after this one (at once when 0).
            self.left.d.next = self.period.val();
            self.armed.d.next = self.paced.val();
            self.waited.d.next = false;
            self.overran.d.next = false;
            if self.armed.q.val() & self.waited.q.val() & !self.overran.q.val() {
                self.late_q.d.next = self.late_q.q.val() + 1;
            }
        }
        if self.clear.val() {
            self.left.d.next = 0.into();
            self.armed.d.next = false;
            self.waited.d.next = false;
            self.overran.d.next = false;
            self.late_q.d.next = 0.into();
            self.overruns_q.d.next = 0.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What happens in one clock, from outside.
    #[derive(Debug, Clone, Copy)]
    enum Event {
        /// A STEP arrives (ready until it goes); its tick then runs `busy`
        /// clocks before `tick_done`.
        Step { gap: u32, busy: u32 },
        /// A new period (or RESET with period 0 kept as it is).
        Period(u32),
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            9 => (0u32..60, 1u32..40).prop_map(|(gap, busy)| Event::Step { gap, busy }),
            1 => prop_oneof![Just(0u32), 1u32..50].prop_map(Event::Period),
        ]
    }

    /// The spec's rules (§10.5) in clock numbers: each STEP's start, and
    /// the counts.
    #[derive(Default)]
    struct Model {
        period: u32,
        /// The last tick's start and end, since the last clear.
        last: Option<(u64, u64)>,
        late: u16,
        overruns: u16,
    }

    impl Model {
        /// A STEP ready at clock `ready` whose tick runs `busy` clocks: the
        /// clock its tick starts.
        fn step(&mut self, ready: u64, busy: u32) -> u64 {
            let start = match (self.period, self.last) {
                (0, _) | (_, None) => ready,
                (p, Some((s, e))) => {
                    let due = s + p as u64;
                    let overran = e >= due;
                    if overran {
                        self.overruns = self.overruns.wrapping_add(1);
                    }
                    if ready > due && !overran {
                        self.late = self.late.wrapping_add(1);
                    }
                    ready.max(due)
                }
            };
            // `tick_done` comes `busy` clocks after the start.
            self.last = Some((start, start + busy as u64));
            start
        }
    }

    fn clock(uut: &mut Pacer) {
        uut.clock.next = true.into();
        assert!(simulate(uut, 100));
        uut.clock.next = false.into();
        assert!(simulate(uut, 100));
    }

    proptest! {
        /// Random STEPs (arriving after a gap once the tick before ended,
        /// each tick a random number of busy clocks) and period changes:
        /// every tick starts when the rules say, and the late and overrun
        /// counts are theirs (an overrun is counted at the end of the tick
        /// that overran, so the model's count of the last tick is added at
        /// the end).
        #[test]
        fn ticks_start_and_are_counted_as_the_spec_says(events in prop::collection::vec(event(), 1..40)) {
            let mut uut = Pacer::default();
            uut.connect_all();
            let mut model = Model::default();
            let mut now = 0u64;
            for e in events {
                match e {
                    Event::Period(p) => {
                        uut.period.next = p.to_bits();
                        uut.clear.next = true;
                        assert!(simulate(&mut uut, 100));
                        clock(&mut uut);
                        uut.clear.next = false;
                        now += 1;
                        model = Model { period: p, ..Model::default() };
                    }
                    Event::Step { gap, busy } => {
                        for _ in 0..gap {
                            assert!(simulate(&mut uut, 100));
                            prop_assert!(!uut.go.val());
                            clock(&mut uut);
                            now += 1;
                        }
                        let want = model.step(now, busy);
                        uut.ready.next = true;
                        loop {
                            assert!(simulate(&mut uut, 100));
                            let go = uut.go.val();
                            clock(&mut uut);
                            if go {
                                break;
                            }
                            now += 1;
                            prop_assert!(now <= want, "the tick did not start at clock {}", want);
                        }
                        prop_assert_eq!(now, want, "the tick started early");
                        uut.ready.next = false;
                        now += 1;
                        // The tick's busy clocks; `tick_done` in the last.
                        for k in 1..=busy {
                            uut.tick_done.next = k == busy;
                            assert!(simulate(&mut uut, 100));
                            clock(&mut uut);
                            now += 1;
                        }
                        uut.tick_done.next = false;
                    }
                }
            }
            assert!(simulate(&mut uut, 100));
            // The last tick's overrun, which the model counts at the next STEP.
            let mut last_overran = 0u16;
            if let (p, Some((s, e))) = (model.period, model.last) {
                if p > 0 && e >= s + p as u64 {
                    last_overran = 1;
                }
            }
            prop_assert_eq!(uut.late.val().to_u16(), model.late);
            prop_assert_eq!(uut.overruns.val().to_u16(), model.overruns.wrapping_add(last_overran));
        }
    }

    /// A paced core settles: once the period has run and the host is late,
    /// nothing changes until the next STEP.
    #[test]
    fn the_timer_settles() {
        let mut uut = Pacer::default();
        uut.connect_all();
        uut.period.next = 5u32.to_bits();
        uut.ready.next = true;
        assert!(simulate(&mut uut, 100));
        assert!(uut.go.val() && uut.settled.val(), "the first STEP starts at once");
        clock(&mut uut);
        uut.ready.next = false;
        let mut unsettled = 0;
        for _ in 0..20 {
            assert!(simulate(&mut uut, 100));
            unsettled += !uut.settled.val() as u32;
            clock(&mut uut);
        }
        // Four clocks counting down (4 to 1), one at the due clock (the wait
        // begins there).
        assert_eq!(unsettled, 5);
    }

    #[test]
    fn synthesizes() {
        let mut uut = Pacer::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_pacer", &generate_verilog(&uut)).unwrap();
    }
}
