// SPDX-License-Identifier: GPL-2.0
//! The vfio-user side of the device: socket set-up, regions and interrupts as QEMU sees them,
//! and what QEMU's requests do to the device. The protocol itself is in [`crate::vfio_user`].

use crate::device::{Device, CFG_BAR, HBM_BAR, SRAM_BAR};
use crate::pci_cfg::CONFIG_SIZE;
use crate::vfio_user::dma::{DmaPort, DEFAULT_TIMEOUT};
use crate::vfio_user::session::{self, Backend, DeviceInfo, End, IrqInfo, RegionInfo};
use crate::vfio_user::Errno;
use std::fs::File;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::Arc;
use vfio_bindings::bindings::vfio::{
    VFIO_DEVICE_FLAGS_PCI, VFIO_DEVICE_FLAGS_RESET, VFIO_IRQ_INFO_EVENTFD,
    VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_NUM_IRQS, VFIO_PCI_NUM_REGIONS,
    VFIO_REGION_INFO_FLAG_READ, VFIO_REGION_INFO_FLAG_WRITE,
};

/// Whether some process listens on the UNIX socket at `path`, from /proc/net/unix (connecting
/// to find out would make us the live model's one client and end its session).
fn socket_is_live(path: &Path) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/unix") else {
        return false;
    };
    let want = path.to_string_lossy();
    table.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        // Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 is "accepting".
        f.len() >= 8
            && f[7] == want
            && u32::from_str_radix(f[3], 16).is_ok_and(|fl| fl & 0x1_0000 != 0)
    })
}

/// Makes `path` free for a new socket: a stale socket is removed, anything else is an error.
pub fn prepare_socket(path: &Path) -> Result<(), String> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot inspect {}: {e}", path.display())),
        Ok(m) if !m.file_type().is_socket() => Err(format!(
            "{} exists and is not a socket; choose another --socket path",
            path.display()
        )),
        Ok(_) => {
            let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            if socket_is_live(&abs) || socket_is_live(path) {
                return Err(format!(
                    "{} is served by another live model; stop it or choose another --socket path",
                    path.display()
                ));
            }
            std::fs::remove_file(path)
                .map_err(|e| format!("cannot remove stale socket {}: {e}", path.display()))?;
            crate::info!("removed stale socket {}", path.display());
            Ok(())
        }
    }
}

/// The device's regions: the three BARs and the configuration space, read-write; the other
/// PCI regions (BARs 1, 3, 5, the ROM and VGA) have size 0.
pub fn regions(dev: &Device) -> Vec<RegionInfo> {
    (0..VFIO_PCI_NUM_REGIONS)
        .map(|index| {
            let size = match index {
                SRAM_BAR | CFG_BAR | HBM_BAR => dev.bar_size(index),
                VFIO_PCI_CONFIG_REGION_INDEX => CONFIG_SIZE as u64,
                _ => 0,
            };
            let flags = if size != 0 {
                VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE
            } else {
                0
            };
            RegionInfo { flags, size }
        })
        .collect()
}

/// The device's interrupts: one MSI vector, signalled through an eventfd.
pub fn irqs() -> Vec<IrqInfo> {
    (0..VFIO_PCI_NUM_IRQS)
        .map(|index| IrqInfo {
            flags: if index == VFIO_PCI_MSI_IRQ_INDEX {
                VFIO_IRQ_INFO_EVENTFD
            } else {
                0
            },
            count: u32::from(index == VFIO_PCI_MSI_IRQ_INDEX),
        })
        .collect()
}

/// The device as the vfio-user session sees it.
pub struct DeviceBackend {
    /// The device.
    pub dev: Arc<Device>,
    info: DeviceInfo,
}

impl DeviceBackend {
    /// A PCI device that QEMU may reset, with the regions and interrupts of `dev`.
    pub fn new(dev: Arc<Device>) -> DeviceBackend {
        let info = DeviceInfo {
            flags: VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
            regions: regions(&dev),
            irqs: irqs(),
        };
        DeviceBackend { dev, info }
    }
}

impl Backend for DeviceBackend {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn region_read(&self, region: u32, offset: u64, data: &mut [u8]) {
        if region == VFIO_PCI_CONFIG_REGION_INDEX {
            self.dev.cfg_read(offset, data)
        } else {
            self.dev.bar_read(region, offset, data)
        }
    }

    fn region_write(&self, region: u32, offset: u64, data: &[u8]) {
        if region == VFIO_PCI_CONFIG_REGION_INDEX {
            self.dev.cfg_write(offset, data)
        } else {
            self.dev.bar_write(region, offset, data)
        }
    }

    fn dma_map(&self, bus: u64, size: u64, file_offset: u64, file: File) -> Result<(), Errno> {
        self.dev
            .host
            .map(bus, size, file_offset, &file)
            .map_err(|e| Errno::from_io(&e))
    }

    fn dma_unmap(&self, bus: u64, size: u64) {
        self.dev.host.unmap(bus, size);
    }

    fn set_irq(&self, index: u32, _vector: u32, eventfd: Option<File>) {
        if index != VFIO_PCI_MSI_IRQ_INDEX {
            return;
        }
        crate::info!(
            "MSI {}",
            if eventfd.is_some() {
                "connected"
            } else {
                "disconnected"
            }
        );
        self.dev
            .set_msi(eventfd.map(|f| Box::new(f) as Box<dyn crate::device::MsiSink>));
    }

    fn trigger_irq(&self, index: u32, _vector: u32) {
        if index == VFIO_PCI_MSI_IRQ_INDEX {
            // A loopback trigger from the host: as if the device requested its MSI.
            self.dev.write_reg(crate::regs::PCIE_CORE_MSI_REQ, 1);
        }
    }

    fn disable_irqs(&self, index: u32) {
        if index == VFIO_PCI_MSI_IRQ_INDEX {
            self.dev.set_msi(None);
        }
    }

    fn reset(&self) {
        self.dev.pci_reset();
    }

    fn connected(&self, port: DmaPort) {
        self.dev.host.set_client(Some(port));
    }

    fn disconnected(&self) {
        self.dev.host.set_client(None);
        self.dev.host.unmap_all();
        self.dev.set_msi(None);
    }
}

/// Serves one client on a connected socket until it goes away; the session's errors are
/// logged and counted, and `Err` says why a session ended that could no longer be framed.
pub fn serve_stream(stream: UnixStream, dev: Arc<Device>) -> Result<End, String> {
    let backend = DeviceBackend::new(dev.clone());
    session::run(stream, &backend, dev.vfio_user.clone(), DEFAULT_TIMEOUT)
}

/// Listens on `path` and serves one QEMU until it disconnects.
pub fn serve(path: &Path, dev: Arc<Device>) -> Result<(), String> {
    prepare_socket(path)?;
    let listener = UnixListener::bind(path)
        .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    crate::info!("listening on {}", path.display());
    // One client per model; the socket stays (so no other model takes the path) until the
    // session ends.
    let result = match listener.accept() {
        Ok((stream, _)) => {
            crate::info!("client connected");
            serve_stream(stream, dev.clone())
        }
        Err(e) => Err(format!("accepting on {}: {e}", path.display())),
    };
    drop(listener);
    let _ = std::fs::remove_file(path);
    crate::info!("counters: {}", dev.counters());
    match result {
        Ok(End::Closed) => {
            crate::info!("QEMU disconnected; exiting");
            Ok(())
        }
        // QEMU killed or crashed: the connection resets. That ends the session cleanly.
        Ok(End::Lost(why)) => {
            crate::info!("QEMU went away ({why}); exiting");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("hl-model-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&d);
        d
    }

    #[test]
    fn stale_socket_is_removed_live_one_refused_file_refused() {
        let p = tmp("stale");
        drop(std::os::unix::net::UnixListener::bind(&p).unwrap()); // closed: stale
        assert!(p.exists());
        prepare_socket(&p).unwrap();
        assert!(!p.exists());

        let live = std::os::unix::net::UnixListener::bind(&p).unwrap();
        let e = prepare_socket(&p).unwrap_err();
        assert!(e.contains("live"), "{e}");
        drop(live);
        std::fs::remove_file(&p).unwrap();

        std::fs::write(&p, b"x").unwrap();
        let e = prepare_socket(&p).unwrap_err();
        assert!(e.contains("not a socket"), "{e}");
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn regions_and_irqs_describe_gaudi() {
        let dev = Device::new(1 << 30, 256 << 20).unwrap();
        let r = regions(&dev);
        let sizes: Vec<u64> = r.iter().map(|r| r.size).collect();
        assert_eq!(
            &sizes[..8],
            &[64 << 20, 0, 128 << 20, 0, 256 << 20, 0, 0, 4096]
        );
        let i = irqs();
        assert_eq!(i[VFIO_PCI_MSI_IRQ_INDEX as usize].count, 1);
        assert_eq!(
            i[VFIO_PCI_MSI_IRQ_INDEX as usize].flags,
            VFIO_IRQ_INFO_EVENTFD
        );
        assert_eq!(i.iter().map(|i| i.count).sum::<u32>(), 1);
    }
}
