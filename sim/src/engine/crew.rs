//! The threads of a run: one per group of parts, for the whole run.
//!
//! A run is a chain of short jobs (a window of ticks each: 15 ticks of
//! 0.1 ms, about 0.4 ms of work, for Brunel's network on two threads), with
//! the simulator's own bookkeeping between them. Handing each job to rayon
//! (`par_iter`) cost about 40 µs a job on this project's machine, mostly
//! waking a worker that had gone to sleep between two jobs: 10% of the run.
//! So a run's threads are started once, as tasks of the simulator's rayon
//! pool, and stay with it; each job, the simulator moves every thread's
//! parts to it over a `crossbeam` channel with the job, runs its own group
//! meanwhile, and takes the parts back. A thread waiting for a message
//! spins for a while before it blocks ([`SPIN`]), so that the gap between
//! two jobs costs no wake-up.
//!
//! The parts move (ownership, not references), so between jobs the
//! simulator holds all of them, as on one thread.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};

use super::part::{NeuronTick, Part, RoutedTick, Shared};
use crate::learning::StdpParams;
use crate::lfsr::LfsrCycle;

/// How long a thread that waits for a message spins (yielding now and then)
/// before it blocks. Longer than the simulator's work between two jobs of
/// the workloads measured; where threads outnumber cores it costs a little
/// (2 MPI ranks of 2 threads on 2 cores: `sim/tests/ranks.rs` took 4.3 to
/// 4.4 s against 4.0 s with rayon's `par_iter`).
const SPIN: Duration = Duration::from_micros(250);

/// What every part needs for one job, owned so that it can travel to the
/// run's threads and come back.
pub(super) struct Job {
    /// Ticks whose spikes the job routes.
    pub routed: Vec<RoutedTick>,
    /// Ticks whose neuron phases it runs.
    pub ticks: Vec<NeuronTick>,
    /// Input axons of the network.
    pub axons: usize,
    /// The STDP rule when learning is on.
    pub rule: Option<StdpParams>,
    /// `x_pre` of every source as of the end of the last routed tick
    /// (empty without learning).
    pub x_pre: Vec<u16>,
    /// Skip neurons at a fixed point.
    pub skip_quiescent: bool,
}

impl Job {
    /// Run it on `parts`, in turn.
    pub fn run(&self, parts: &mut [Part]) {
        let shared = Shared {
            axons: self.axons,
            rule: self.rule.as_ref(),
            cycle: LfsrCycle::get(),
            x_pre: &self.x_pre,
            skip_quiescent: self.skip_quiescent,
        };
        for p in parts {
            p.job(&self.routed, &self.ticks, &shared);
        }
    }
}

/// A job on its way to a thread, with the parts it runs on.
type Order = (Vec<Part>, Arc<Job>);

/// The threads of one run, seen from the thread that coordinates it (which
/// runs the first group of parts itself).
pub(super) struct Crew {
    /// To each other thread.
    orders: Vec<Sender<Order>>,
    /// From each other thread: its parts, after its share of a job.
    done: Vec<Receiver<Vec<Part>>>,
}

impl Crew {
    /// Start `threads - 1` threads as tasks of `scope` (the calling thread
    /// is the first); they end when the crew is dropped.
    pub fn start<'s>(scope: &rayon::Scope<'s>, threads: usize) -> Crew {
        let (mut orders, mut done) = (Vec::new(), Vec::new());
        for _ in 1..threads {
            let (order_tx, order_rx) = crossbeam_channel::bounded::<Order>(1);
            let (done_tx, done_rx) = crossbeam_channel::bounded(1);
            scope.spawn(move |_| {
                while let Some((mut parts, job)) = wait(&order_rx) {
                    job.run(&mut parts);
                    // The job goes back to its sender before the parts do.
                    drop(job);
                    if done_tx.send(parts).is_err() {
                        break;
                    }
                }
            });
            orders.push(order_tx);
            done.push(done_rx);
        }
        Crew { orders, done }
    }

    /// Run `job` on `parts`, split into contiguous groups of about the same
    /// count, one per thread, and hand the job back.
    pub fn run(&self, parts: &mut Vec<Part>, job: Job) -> Job {
        let threads = self.orders.len() + 1;
        let job = Arc::new(job);
        let all = std::mem::take(parts);
        let count = all.len();
        let mut rest = all.into_iter();
        let mut groups: Vec<Vec<Part>> = (0..threads)
            .map(|t| {
                rest.by_ref()
                    .take((t + 1) * count / threads - t * count / threads)
                    .collect()
            })
            .collect();
        let mut mine = std::mem::take(&mut groups[0]);
        for (to, group) in self.orders.iter().zip(groups.drain(1..)) {
            to.send((group, Arc::clone(&job)))
                .expect("a simulation thread ended during a run");
        }
        job.run(&mut mine);
        parts.append(&mut mine);
        for from in &self.done {
            let mut group = wait(from).expect("a simulation thread ended during a run");
            parts.append(&mut group);
        }
        Arc::try_unwrap(job).unwrap_or_else(|_| unreachable!("every thread gave the job back"))
    }
}

/// The next message on `rx`, or `None` once its sender is gone: spin for up
/// to [`SPIN`], then block.
fn wait<T>(rx: &Receiver<T>) -> Option<T> {
    let start = Instant::now();
    let mut tries = 0u32;
    loop {
        match rx.try_recv() {
            Ok(m) => return Some(m),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        tries += 1;
        if tries.is_multiple_of(64) {
            if start.elapsed() > SPIN {
                return rx.recv().ok();
            }
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}
