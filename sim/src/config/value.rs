//! Integer values in network files: a constant, or drawn uniformly from a
//! range with a seed.

use std::fmt;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// `weight = 5` or `weight = { uniform = [1, 9], seed = 3 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum IntSpec {
    /// The same value everywhere.
    Const(i64),
    /// Uniform over `lo..=hi`, one draw per element from a seeded generator.
    Uniform {
        /// `[lo, hi]`, inclusive.
        uniform: [i64; 2],
        /// Seed of the generator; derived from `[simulation] seed` if absent.
        seed: Option<u64>,
    },
}

impl IntSpec {
    /// The smallest and largest value it can give.
    pub fn bounds(&self) -> (i64, i64) {
        match *self {
            IntSpec::Const(v) => (v, v),
            IntSpec::Uniform { uniform, .. } => (uniform[0], uniform[1]),
        }
    }

    /// A sampler for it, seeded with its own seed or `default_seed`.
    pub fn sampler(&self, default_seed: u64) -> IntSampler {
        match *self {
            IntSpec::Const(v) => IntSampler::Const(v),
            IntSpec::Uniform { uniform, seed } => IntSampler::Uniform {
                lo: uniform[0],
                hi: uniform[1],
                rng: Box::new(super::seeded(seed.unwrap_or(default_seed))),
            },
        }
    }
}

/// Draws the values of an [`IntSpec`].
pub enum IntSampler {
    /// A constant.
    Const(i64),
    /// Uniform draws.
    Uniform {
        /// Lowest value.
        lo: i64,
        /// Highest value.
        hi: i64,
        /// Generator (boxed: it is large and samplers are moved around).
        rng: Box<ChaCha8Rng>,
    },
}

impl IntSampler {
    /// The next value.
    pub fn draw(&mut self) -> i64 {
        match self {
            IntSampler::Const(v) => *v,
            IntSampler::Uniform { lo, hi, rng } => rng.random_range(*lo..=*hi),
        }
    }
}

impl<'de> Deserialize<'de> for IntSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IntSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or { uniform = [lo, hi], seed = N }")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntSpec, E> {
                Ok(IntSpec::Const(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntSpec, E> {
                i64::try_from(v)
                    .map(IntSpec::Const)
                    .map_err(|_| E::custom(format!("{v} is too large")))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<IntSpec, A::Error> {
                let (uniform, seed) = uniform_table(map)?;
                Ok(IntSpec::Uniform { uniform, seed })
            }
        }
        d.deserialize_any(V)
    }
}

/// A value in physical units: `weight_mV = 1.62` or
/// `weight_mV = { uniform = [0.0, 0.6], seed = 3 }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FloatSpec {
    /// The same value everywhere.
    Const(f64),
    /// Uniform over `[lo, hi]` (drawn after quantizing the ends).
    Uniform {
        /// `[lo, hi]`.
        uniform: [f64; 2],
        /// Seed of the generator; derived from `[simulation] seed` if absent.
        seed: Option<u64>,
    },
}

impl FloatSpec {
    /// The smallest and largest value it can give.
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            FloatSpec::Const(v) => (v, v),
            FloatSpec::Uniform { uniform, .. } => (uniform[0], uniform[1]),
        }
    }

    /// The integer spec with each end mapped by `f` (a constant stays one,
    /// a range keeps its seed).
    pub fn map(&self, mut f: impl FnMut(f64) -> i64) -> IntSpec {
        match *self {
            FloatSpec::Const(v) => IntSpec::Const(f(v)),
            FloatSpec::Uniform { uniform, seed } => IntSpec::Uniform {
                uniform: [f(uniform[0]), f(uniform[1])],
                seed,
            },
        }
    }
}

impl<'de> Deserialize<'de> for FloatSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FloatSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or { uniform = [lo, hi], seed = N }")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<FloatSpec, E> {
                Ok(FloatSpec::Const(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FloatSpec, E> {
                Ok(FloatSpec::Const(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FloatSpec, E> {
                Ok(FloatSpec::Const(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FloatSpec, A::Error> {
                let (uniform, seed) = uniform_table(map)?;
                Ok(FloatSpec::Uniform { uniform, seed })
            }
        }
        d.deserialize_any(V)
    }
}

/// The table `{ uniform = [lo, hi], seed = N }` (seed optional).
fn uniform_table<'de, A: MapAccess<'de>, T: Deserialize<'de>>(mut map: A) -> Result<([T; 2], Option<u64>), A::Error> {
    let mut uniform = None;
    let mut seed = None;
    while let Some(key) = map.next_key::<String>()? {
        match key.as_str() {
            "uniform" => uniform = Some(map.next_value::<[T; 2]>()?),
            "seed" => seed = Some(map.next_value::<u64>()?),
            other => return Err(de::Error::unknown_field(other, &["uniform", "seed"])),
        }
    }
    let uniform = uniform.ok_or_else(|| de::Error::missing_field("uniform"))?;
    Ok((uniform, seed))
}
