//! `BoardTimer`: the board top's slow timing from one free-running counter:
//! the start-up hold (nothing on the UART for the first `startup_clocks`
//! once the clock is stable) and the two LEDs' stretch (an event lights its
//! LED for one to two periods of `2^T` clocks, long enough to be seen).
//!
//! The counter starts at 0 when `clock_ready` first rises and then runs
//! freely, wrapping every `2^T` clocks; the hold ends when it first reaches
//! `startup_clocks - 1`. Each LED keeps two bits, an event in this period
//! and one in the period before; it is lit while either is set. One counter
//! for the three, where each had its own (about 50 logic cells fewer on the
//! iCE40 boards).

use rust_hdl::prelude::*;

/// Start-up hold and LED stretch, with a period of `2^T` clocks.
#[derive(LogicBlock)]
pub struct BoardTimer<const T: usize> {
    /// The core's clock.
    pub clock: Signal<In, Clock>,
    /// The clock is stable (the PLL is locked): the counter runs.
    pub clock_ready: Signal<In, Bit>,
    /// An activity event (a tick runs, a byte arrives).
    pub activity: Signal<In, Bit>,
    /// An error event (a broken or lost byte).
    pub error: Signal<In, Bit>,
    /// The start-up hold is over.
    pub started: Signal<Out, Bit>,
    /// The activity LED is lit (active high).
    pub activity_lit: Signal<Out, Bit>,
    /// The error LED is lit (active high).
    pub error_lit: Signal<Out, Bit>,
    count: DFF<Bits<T>>,
    top_was: DFF<Bit>,
    done: DFF<Bit>,
    activity_now: DFF<Bit>,
    activity_before: DFF<Bit>,
    error_now: DFF<Bit>,
    error_before: DFF<Bit>,
    top: Signal<Local, Bit>,
    period_end: Signal<Local, Bit>,
    startup_last: Constant<Bits<T>>,
    top_bit: Constant<Bits<T>>,
}

impl<const T: usize> BoardTimer<T> {
    /// A timer whose start-up hold lasts `startup_clocks` (1..=2^T) clocks.
    pub fn new(startup_clocks: u32) -> Self {
        assert!(T < 32, "a counter of {T} bits");
        assert!(
            (1..=1u64 << T).contains(&(startup_clocks as u64)),
            "start-up hold of {startup_clocks} clocks with a {T}-bit counter"
        );
        BoardTimer {
            clock: Default::default(),
            clock_ready: Default::default(),
            activity: Default::default(),
            error: Default::default(),
            started: Default::default(),
            activity_lit: Default::default(),
            error_lit: Default::default(),
            count: Default::default(),
            top_was: Default::default(),
            done: Default::default(),
            activity_now: Default::default(),
            activity_before: Default::default(),
            error_now: Default::default(),
            error_before: Default::default(),
            top: Default::default(),
            period_end: Default::default(),
            startup_last: Constant::new((startup_clocks as u64 - 1).to_bits()),
            // A mask, not an index: `hdl_gen` would emit `T - 1` as a name.
            top_bit: Constant::new((1u64 << (T - 1)).to_bits()),
        }
    }
}

impl<const T: usize> Logic for BoardTimer<T> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            count,
            top_was,
            done,
            activity_now,
            activity_before,
            error_now,
            error_before
        );
        if self.clock_ready.val() | self.done.q.val() {
            self.count.d.next = self.count.q.val() + 1;
        }
        if self.clock_ready.val() & (self.count.q.val() == self.startup_last.val()) {
            self.done.d.next = true;
        }
        self.started.next = self.done.q.val();

        // A period ends where the counter's top bit falls.
        self.top.next = (self.count.q.val() & self.top_bit.val()).any();
        self.top_was.d.next = self.top.val();
        self.period_end.next = self.top_was.q.val() & !self.top.val();
        if self.period_end.val() {
            self.activity_before.d.next = self.activity_now.q.val();
            self.activity_now.d.next = false;
            self.error_before.d.next = self.error_now.q.val();
            self.error_now.d.next = false;
        }
        if self.activity.val() {
            self.activity_now.d.next = true;
        }
        if self.error.val() {
            self.error_now.d.next = true;
        }
        self.activity_lit.next = self.activity_now.q.val() | self.activity_before.q.val();
        self.error_lit.next = self.error_now.q.val() | self.error_before.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: usize = 5;

    struct Run {
        started_at: Option<u32>,
        lit: Vec<(bool, bool)>,
    }

    /// Clock the timer `clocks` times with the clock ready from `ready_at`,
    /// an activity event at the clocks of `activity` and an error at those
    /// of `errors`; what it shows in each clock.
    fn run(startup: u32, ready_at: u32, activity: &[u32], errors: &[u32], clocks: u32) -> Run {
        let mut uut = BoardTimer::<T>::new(startup);
        uut.connect_all();
        let mut started_at = None;
        let mut lit = Vec::new();
        for c in 0..clocks {
            uut.clock_ready.next = c >= ready_at;
            uut.activity.next = activity.contains(&c);
            uut.error.next = errors.contains(&c);
            assert!(simulate(&mut uut, 100));
            if uut.started.val() && started_at.is_none() {
                started_at = Some(c);
            }
            lit.push((uut.activity_lit.val(), uut.error_lit.val()));
            uut.clock.next = true.into();
            assert!(simulate(&mut uut, 100));
            uut.clock.next = false.into();
        }
        Run { started_at, lit }
    }

    #[test]
    fn the_hold_lasts_its_clocks_from_the_clock_ready() {
        for startup in [1u32, 2, 7, 31, 32] {
            for ready_at in [0u32, 3] {
                let r = run(startup, ready_at, &[], &[], 120);
                assert_eq!(
                    r.started_at,
                    Some(ready_at + startup),
                    "hold {startup}, ready at {ready_at}"
                );
            }
        }
    }

    #[test]
    fn an_event_lights_its_led_for_one_to_two_periods() {
        let period = 1u32 << T;
        for at in [0u32, 1, 17, 31, 32, 40, 63] {
            let r = run(4, 0, &[at], &[at + 5], 6 * period);
            for (which, event) in [(0usize, at), (1, at + 5)] {
                let on: Vec<u32> = (0..6 * period)
                    .filter(|&c| {
                        if which == 0 {
                            r.lit[c as usize].0
                        } else {
                            r.lit[c as usize].1
                        }
                    })
                    .collect();
                // Lit from the clock after the event, without a gap, to the
                // second period boundary after it.
                let first = *on.first().expect("lit");
                let last = *on.last().unwrap();
                assert_eq!(first, event + 1, "LED {which}, event at {event}");
                assert_eq!(on.len() as u32, last - first + 1, "LED {which}: one stretch");
                assert!(
                    (period + 1..=2 * period).contains(&(on.len() as u32)),
                    "LED {which}: lit {} clocks for an event at {event}",
                    on.len()
                );
                assert_eq!(last % period, 0, "LED {which} goes out after a period's end");
            }
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = BoardTimer::<20>::new(240_000);
        uut.connect_all();
        spikefab_hdl::rungs::check_verilog("spikefab_board_timer", &generate_verilog(&uut)).unwrap();
    }
}
