//! Verilator models as shared libraries: Verilog in, a loaded native model
//! out, built once per distinct input and cached on disk.
//!
//! A model is Verilator's C++ for the Verilog sources (module `top`, the
//! core's byte interface) plus `harness.cpp`, compiled and linked by
//! Verilator's own build (`--build`, with `-shared` so that the "executable"
//! is a library) and loaded with `libloading`. The cache folder is named by
//! a SHA-256 of everything that goes into the build (the Verilog texts and
//! libraries, the harness, the arguments, Verilator's version), so a stale
//! model can never be loaded: a changed core is a new folder. Builds go to a
//! temporary folder renamed into place when complete, so concurrent builders
//! (test processes, a virtual chip) never see half a model; within a process
//! one build per model is shared by every thread that asks for it.

use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::cache;

/// The harness compiled into every model.
const HARNESS: &str = include_str!("harness.cpp");

/// The harness ABI this crate speaks (`spikefab_abi` in `harness.cpp`).
const ABI: u32 = 1;

/// Why a Verilator model could not be built, loaded or driven.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerilatorError {
    /// Verilator is not installed.
    #[error(
        "Verilator not found ({cause}): install it with `make setup` (Debian/Ubuntu: apt-get install verilator), \
         or choose the rust-hdl engine"
    )]
    Missing {
        /// The OS error.
        cause: std::io::Error,
    },
    /// Verilator (or the C++ build it runs) failed.
    #[error("Verilator could not build the {label} model ({status}); its output is in {log}:\n{tail}")]
    Build {
        /// The model.
        label: String,
        /// Exit status.
        status: std::process::ExitStatus,
        /// The full log.
        log: PathBuf,
        /// Its last lines.
        tail: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        cause: std::io::Error,
    },
    /// The built library could not be loaded.
    #[error("cannot load the Verilator model {path}: {cause}")]
    Load {
        /// The library.
        path: PathBuf,
        /// The loader's error.
        cause: libloading::Error,
    },
    /// The library speaks another harness ABI.
    #[error("the Verilator model {path} has harness ABI {found}, this build needs {ABI}")]
    Abi {
        /// The library.
        path: PathBuf,
        /// Its ABI.
        found: u32,
    },
    /// Waveforms asked of a model built without tracing.
    #[error("this Verilator model was built without tracing (build it with `trace`)")]
    NotTraceable,
    /// The waveform file could not be opened.
    #[error("cannot open the waveform file {0}")]
    TraceFile(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> VerilatorError + '_ {
    move |cause| VerilatorError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

/// What to compile into a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// A short name for messages and the cache folder (`core-up5k`, ...).
    pub label: String,
    /// Verilog texts by file name; module `top` is the core's byte interface.
    pub sources: Vec<(String, String)>,
    /// Verilog files read as they are (simulation libraries such as yosys's
    /// `cells_sim.v`).
    pub libraries: Vec<PathBuf>,
    /// More Verilator arguments (defines, warnings).
    pub args: Vec<String>,
    /// Build with waveform tracing (VCD). Slower; only for waveforms.
    pub trace: bool,
}

impl ModelSpec {
    /// A model of the single Verilog text `verilog`.
    pub fn new(label: &str, verilog: String) -> Self {
        ModelSpec {
            label: label.to_string(),
            sources: vec![("top.v".to_string(), verilog)],
            libraries: Vec::new(),
            args: Vec::new(),
            trace: false,
        }
    }

    /// Verilator's arguments, without the source files.
    fn verilator_args(&self) -> Vec<String> {
        let mut a: Vec<String> = ["--cc", "--exe", "harness.cpp", "--top-module", "top"]
            .into_iter()
            .chain(crate::rungs::RUST_HDL_VERILATOR_WARNINGS)
            .chain([
                "-O3",
                // Two-state, every register and memory starting at 0: the state
                // of rust-hdl's simulator and of a freshly configured iCE40.
                "--x-assign",
                "0",
                "--x-initial",
                "0",
                "--noassert",
                "--Mdir",
                "obj",
                "-o",
                "libmodel.so",
                "-LDFLAGS",
                "-shared",
                "-MAKEFLAGS",
                "OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O2",
            ])
            .map(String::from)
            .collect();
        a.push("-CFLAGS".into());
        a.push(if self.trace {
            "-fPIC -DSPIKEFAB_TRACE".into()
        } else {
            "-fPIC".into()
        });
        if self.trace {
            a.push("--trace".into());
        }
        a.extend(self.args.iter().cloned());
        a
    }

    /// The cache key: everything the build depends on.
    fn key(&self, version: &str) -> Result<String, VerilatorError> {
        let mut parts: Vec<Vec<u8>> = vec![version.into(), HARNESS.into()];
        parts.extend(self.verilator_args().into_iter().map(Vec::from));
        for (name, text) in &self.sources {
            parts.push(name.as_bytes().into());
            parts.push(text.as_bytes().into());
        }
        for lib in &self.libraries {
            parts.push(lib.display().to_string().into());
            parts.push(std::fs::read(lib).map_err(io(lib))?);
        }
        Ok(cache::key(parts.iter().map(Vec::as_slice)))
    }
}

/// The installed Verilator's version line (`Verilator 5.006 ...`).
pub fn verilator_version() -> Result<String, VerilatorError> {
    static VERSION: OnceLock<String> = OnceLock::new();
    if let Some(v) = VERSION.get() {
        return Ok(v.clone());
    }
    let out = Command::new("verilator")
        .arg("--version")
        .output()
        .map_err(|cause| VerilatorError::Missing { cause })?;
    if !out.status.success() {
        return Err(VerilatorError::Missing {
            cause: std::io::Error::other(format!("`verilator --version` exited with {}", out.status)),
        });
    }
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(VERSION.get_or_init(|| v).clone())
}

/// Where built models are kept: the `verilator` folder of [`cache::root`].
pub fn models_dir() -> PathBuf {
    cache::root().join("verilator")
}

/// The harness's entry points (see `harness.cpp`).
#[derive(Clone, Copy)]
pub(crate) struct Api {
    pub new: unsafe extern "C" fn() -> *mut c_void,
    pub free: unsafe extern "C" fn(*mut c_void),
    pub idle: unsafe extern "C" fn(*mut c_void) -> u32,
    #[allow(clippy::type_complexity)]
    pub run: unsafe extern "C" fn(*mut c_void, *const u8, usize, *mut usize, *mut u8, usize, *mut usize, u64) -> u64,
    pub trace_open: unsafe extern "C" fn(*mut c_void, *const c_char) -> i32,
    pub trace_close: unsafe extern "C" fn(*mut c_void),
}

/// A built and loaded model library; each [`crate::verilator::VerilatedCore`]
/// made from it is one instance of the model.
pub struct ModelLibrary {
    pub(crate) api: Api,
    traceable: bool,
    path: PathBuf,
    label: String,
    build_time: Option<Duration>,
    // Last: the entry points above point into it.
    _lib: libloading::Library,
}

impl std::fmt::Debug for ModelLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelLibrary")
            .field("label", &self.label)
            .field("path", &self.path)
            .field("traceable", &self.traceable)
            .finish()
    }
}

impl ModelLibrary {
    /// The shared library's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The label it was built under.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// How long this process spent building it (`None`: it was cached).
    pub fn build_time(&self) -> Option<Duration> {
        self.build_time
    }

    /// Built with waveform tracing.
    pub fn traceable(&self) -> bool {
        self.traceable
    }

    /// Start dumping an instance's evaluations to the VCD file `path`.
    pub(crate) fn trace_open(&self, model: *mut c_void, path: &Path) -> Result<(), VerilatorError> {
        if !self.traceable {
            return Err(VerilatorError::NotTraceable);
        }
        let c =
            CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| VerilatorError::TraceFile(path.into()))?;
        // SAFETY: `model` is a live instance of this library; `c` outlives the call.
        match unsafe { (self.api.trace_open)(model, c.as_ptr()) } {
            0 => Ok(()),
            _ => Err(VerilatorError::TraceFile(path.to_path_buf())),
        }
    }

    fn open(path: PathBuf, label: &str, build_time: Option<Duration>) -> Result<Self, VerilatorError> {
        let load = |cause| VerilatorError::Load {
            path: path.clone(),
            cause,
        };
        // SAFETY: the library is one this module built from harness.cpp; its
        // initialisers are Verilator's and the harness's, which have no side
        // effects beyond their own statics.
        let lib = unsafe { libloading::Library::new(&path) }.map_err(load)?;
        // SAFETY: the symbols are the harness's C functions with these types.
        unsafe {
            let abi: libloading::Symbol<unsafe extern "C" fn() -> u32> = lib.get(b"spikefab_abi\0").map_err(load)?;
            let found = abi();
            if found != ABI {
                return Err(VerilatorError::Abi { path, found });
            }
            let traceable: libloading::Symbol<unsafe extern "C" fn() -> u32> =
                lib.get(b"spikefab_traceable\0").map_err(load)?;
            let api = Api {
                new: *lib.get(b"spikefab_new\0").map_err(load)?,
                free: *lib.get(b"spikefab_free\0").map_err(load)?,
                idle: *lib.get(b"spikefab_idle\0").map_err(load)?,
                run: *lib.get(b"spikefab_run\0").map_err(load)?,
                trace_open: *lib.get(b"spikefab_trace_open\0").map_err(load)?,
                trace_close: *lib.get(b"spikefab_trace_close\0").map_err(load)?,
            };
            Ok(ModelLibrary {
                api,
                traceable: traceable() != 0,
                label: label.to_string(),
                path,
                build_time,
                _lib: lib,
            })
        }
    }
}

/// One slot per model key: the threads of a process that need the same
/// model wait for one build.
type Slot = Arc<Mutex<Option<Arc<ModelLibrary>>>>;
static LOADED: LazyLock<Mutex<HashMap<String, Slot>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The model for `spec`: loaded already in this process, else built (or
/// found in the cache) and loaded.
pub fn load(spec: &ModelSpec) -> Result<Arc<ModelLibrary>, VerilatorError> {
    let version = verilator_version()?;
    let key = spec.key(&version)?;
    let slot = LOADED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key.clone())
        .or_default()
        .clone();
    let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(lib) = slot.as_ref() {
        return Ok(lib.clone());
    }
    let dir = models_dir().join(format!("{}-{key}", spec.label));
    let so = dir.join("libmodel.so");
    let build_time = if so.is_file() {
        None
    } else {
        let t = Instant::now();
        build(spec, &dir)?;
        Some(t.elapsed())
    };
    let lib = Arc::new(ModelLibrary::open(so, &spec.label, build_time)?);
    *slot = Some(lib.clone());
    Ok(lib)
}

/// Build `spec` into `dir` (through a temporary folder beside it).
fn build(spec: &ModelSpec, dir: &Path) -> Result<(), VerilatorError> {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let parent = dir.parent().expect("the cache folder has a parent");
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = parent.join(format!(
        ".{}.tmp-{}-{n}",
        dir.file_name().expect("named").to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let result = build_in(spec, &tmp).and_then(|()| {
        let so = tmp.join("obj/libmodel.so");
        let dest = tmp.join("libmodel.so");
        std::fs::rename(&so, &dest).map_err(io(&so))?;
        // Keep the sources and the log; drop the objects.
        let _ = std::fs::remove_dir_all(tmp.join("obj"));
        match std::fs::rename(&tmp, dir) {
            Ok(()) => Ok(()),
            // Another process finished the same model first: use its.
            Err(_) if dir.join("libmodel.so").is_file() => Ok(()),
            Err(cause) => Err(VerilatorError::Io {
                path: dir.to_path_buf(),
                cause,
            }),
        }
    });
    if dir.join("libmodel.so").is_file() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

fn build_in(spec: &ModelSpec, tmp: &Path) -> Result<(), VerilatorError> {
    let write = |name: &str, text: &str| {
        let p = tmp.join(name);
        std::fs::write(&p, text).map_err(io(&p))
    };
    write("harness.cpp", HARNESS)?;
    let mut args = spec.verilator_args();
    for (name, text) in &spec.sources {
        write(name, text)?;
        args.push(name.clone());
    }
    for lib in &spec.libraries {
        args.push(lib.display().to_string());
    }
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    args.extend(["--build".to_string(), "-j".to_string(), jobs.to_string()]);
    let out = Command::new("verilator")
        .args(&args)
        .current_dir(tmp)
        .output()
        .map_err(|cause| VerilatorError::Missing { cause })?;
    let log = tmp.join("build.log");
    let text = format!(
        "$ verilator {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&log, &text).map_err(io(&log))?;
    if !out.status.success() {
        let lines: Vec<&str> = text.lines().collect();
        return Err(VerilatorError::Build {
            label: spec.label.clone(),
            status: out.status,
            log,
            tail: lines[lines.len().saturating_sub(30)..].join("\n"),
        });
    }
    Ok(())
}
