//! Time on the chip: the length of a tick in microseconds and the core's
//! clock, which give rates in Hz, the real-time factor, and the tick period
//! in clocks that real-time pacing needs (`docs/spec.md` §10.5).

use spikefab_chip::board::{BOARDS, ICEBREAKER};
use spikefab_chip::config::CoreConfig;
use spikefab_proto::message::ctrl::MAX_PERIOD;

/// A tick's length and the core clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Tick duration in microseconds.
    pub tick_us: f64,
    /// Core clock in MHz; none: the clock of the board that carries the
    /// core ([`Timing::clock_mhz`]).
    pub clock_mhz: Option<f64>,
}

impl Default for Timing {
    /// One millisecond per tick, the board's clock.
    fn default() -> Self {
        Timing {
            tick_us: 1000.0,
            clock_mhz: None,
        }
    }
}

/// A tick length the chip cannot pace.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "a tick of {tick_us} µs at {mhz} MHz is {clocks} clocks; the chip paces 1 to {MAX_PERIOD} clocks per tick (set \
     the tick length or the clock)"
)]
pub struct PeriodError {
    /// The tick length asked for.
    pub tick_us: f64,
    /// The clock.
    pub mhz: f64,
    /// The clocks per tick they make.
    pub clocks: f64,
}

impl Timing {
    /// The core clock in MHz: the one given, else the clock of the board
    /// that carries `core`, else the iCEBreaker's.
    pub fn clock_mhz(&self, core: Option<CoreConfig>) -> f64 {
        self.clock_mhz.unwrap_or_else(|| {
            let board = core.and_then(|c| BOARDS.iter().find(|b| b.core == c));
            board.unwrap_or(&ICEBREAKER).core_mhz as f64
        })
    }

    /// The tick period in clocks of `core`, for real-time pacing.
    pub fn period(&self, core: CoreConfig) -> Result<u32, PeriodError> {
        let mhz = self.clock_mhz(Some(core));
        let clocks = (self.tick_us * mhz).round();
        if !(1.0..=MAX_PERIOD as f64).contains(&clocks) {
            return Err(PeriodError {
                tick_us: self.tick_us,
                mhz,
                clocks,
            });
        }
        Ok(clocks as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_the_tick_in_the_boards_clocks() {
        let t = Timing::default();
        assert_eq!(t.period(CoreConfig::UP5K).unwrap(), 24_000);
        let fast = Timing {
            tick_us: 0.01,
            clock_mhz: Some(12.0),
        };
        let e = fast.period(CoreConfig::UP5K).unwrap_err();
        assert_eq!(e.clocks, 0.0);
        assert!(e.to_string().contains("1 to"), "{e}");
    }
}
