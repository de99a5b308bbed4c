//! The iCE40 parts Spikefab is built for, as yosys and nextpnr are told.

/// An iCE40 part and package, as yosys and nextpnr are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Device {
    /// Name for reports (`iCE40UP5K-SG48`).
    pub name: &'static str,
    /// nextpnr-ice40's part and package arguments.
    pub nextpnr: [&'static str; 3],
    /// `synth_ice40` options for the part's hard blocks.
    pub synth: &'static str,
}

impl Device {
    /// The UP5K in the 48-pin QFN (iCEBreaker): DSPs and SPRAM.
    pub const UP5K_SG48: Device = Device {
        name: "iCE40UP5K-SG48",
        nextpnr: ["--up5k", "--package", "sg48"],
        synth: "-dsp -spram",
    };
    /// The HX8K in the 256-ball BGA (iCE40-HX8K breakout board): no DSP, no SPRAM.
    pub const HX8K_CT256: Device = Device {
        name: "iCE40HX8K-CT256",
        nextpnr: ["--hx8k", "--package", "ct256"],
        synth: "",
    };
}
