//! Serial ports: open one as a [`Link`] (8N1, no flow control, `tokio`), and
//! list the ports of this machine.

use std::path::Path;

use tokio_serial::{ClearBuffer, SerialPort, SerialPortBuilderExt, SerialPortType};

use crate::link::{Link, LinkSettings};

/// Baud rate when none is given: the iCEBreaker's FTDI FT2232H takes it
/// exactly from its 12 MHz clock (`docs/boards.md` gives each board's).
pub const DEFAULT_BAUD: u32 = 1_000_000;

/// Why a port could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Nothing at that path.
    #[error("no serial port {0}; `spikefab ports` lists the ports of this machine")]
    NotFound(String),
    /// The OS refused.
    #[error("cannot open serial port {port}: {reason}")]
    Refused {
        /// Port.
        port: String,
        /// The OS's reason.
        reason: String,
    },
}

/// Open `port` at `baud` and start a link on it (inside a tokio runtime).
pub fn open(port: &str, baud: u32, settings: LinkSettings) -> Result<Link, OpenError> {
    if !Path::new(port).exists() && !cfg!(windows) {
        return Err(OpenError::NotFound(port.to_string()));
    }
    let refused = |e: tokio_serial::Error| OpenError::Refused {
        port: port.to_string(),
        reason: e.to_string(),
    };
    let stream = tokio_serial::new(port, baud)
        .data_bits(tokio_serial::DataBits::Eight)
        .parity(tokio_serial::Parity::None)
        .stop_bits(tokio_serial::StopBits::One)
        .flow_control(tokio_serial::FlowControl::None)
        .open_native_async()
        .map_err(refused)?;
    // Bytes left from an earlier session would read as garbage.
    stream.clear(ClearBuffer::All).map_err(refused)?;
    Ok(Link::new(port, stream, settings))
}

/// One serial port of this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    /// Device path.
    pub name: String,
    /// What it is (USB vendor/product, if known).
    pub description: String,
}

/// The serial ports of this machine.
pub fn ports() -> Result<Vec<PortInfo>, serialport::Error> {
    Ok(serialport::available_ports()?
        .into_iter()
        .map(|p| PortInfo {
            name: p.port_name,
            description: match p.port_type {
                SerialPortType::UsbPort(u) => format!(
                    "USB {:04x}:{:04x} {} {}",
                    u.vid,
                    u.pid,
                    u.manufacturer.unwrap_or_default(),
                    u.product.unwrap_or_default()
                )
                .trim_end()
                .to_string(),
                SerialPortType::PciPort => "PCI".into(),
                SerialPortType::BluetoothPort => "Bluetooth".into(),
                SerialPortType::Unknown => "unknown".into(),
            },
        })
        .collect())
}
