// SPDX-License-Identifier: GPL-2.0
//! The vfio-user side: socket set-up, regions and interrupts as QEMU sees them, and the
//! dispatch of QEMU's requests to the device.

use crate::device::{Device, CFG_BAR, HBM_BAR, SRAM_BAR};
use crate::pci_cfg::CONFIG_SIZE;
use std::fs::File;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::sync::Arc;
use vfio_bindings::bindings::vfio::{
    vfio_region_info, VFIO_IRQ_INFO_EVENTFD, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE,
    VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_NUM_IRQS, VFIO_PCI_NUM_REGIONS,
    VFIO_REGION_INFO_FLAG_READ, VFIO_REGION_INFO_FLAG_WRITE,
};
use vfio_user::{IrqInfo, Server, ServerBackend, ServerRegion};

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

fn regions(dev: &Device) -> Vec<ServerRegion> {
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
            ServerRegion {
                region_info: vfio_region_info {
                    argsz: std::mem::size_of::<vfio_region_info>() as u32,
                    index,
                    size,
                    flags,
                    ..Default::default()
                },
                sparse_areas: Vec::new(),
                mmap_fd: None,
            }
        })
        .collect()
}

fn irqs() -> Vec<IrqInfo> {
    (0..VFIO_PCI_NUM_IRQS)
        .map(|index| IrqInfo {
            index,
            flags: if index == VFIO_PCI_MSI_IRQ_INDEX {
                VFIO_IRQ_INFO_EVENTFD
            } else {
                0
            },
            count: u32::from(index == VFIO_PCI_MSI_IRQ_INDEX),
        })
        .collect()
}

/// The device as the vfio-user server sees it.
pub struct Backend {
    /// The device.
    pub dev: Arc<Device>,
}

/// Largest region access the model serves: MMIO and configuration accesses are a few bytes; a
/// larger request is malformed and refused before anything is touched.
pub const MAX_ACCESS: usize = 64 << 10;

fn invalid(msg: String) -> std::io::Error {
    crate::warn!("{msg}");
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}

impl ServerBackend for Backend {
    fn region_read(&mut self, region: u32, offset: u64, data: &mut [u8]) -> std::io::Result<()> {
        if data.len() > MAX_ACCESS {
            return Err(invalid(format!("read of {} bytes refused", data.len())));
        }
        match region {
            VFIO_PCI_CONFIG_REGION_INDEX => self.dev.cfg_read(offset, data),
            SRAM_BAR | CFG_BAR | HBM_BAR => self.dev.bar_read(region, offset, data),
            _ => {
                return Err(invalid(format!(
                    "read of region {region}, which the device does not have"
                )))
            }
        }
        Ok(())
    }

    fn region_write(&mut self, region: u32, offset: u64, data: &[u8]) -> std::io::Result<()> {
        if data.len() > MAX_ACCESS {
            return Err(invalid(format!("write of {} bytes refused", data.len())));
        }
        match region {
            VFIO_PCI_CONFIG_REGION_INDEX => self.dev.cfg_write(offset, data),
            SRAM_BAR | CFG_BAR | HBM_BAR => self.dev.bar_write(region, offset, data),
            _ => {
                return Err(invalid(format!(
                    "write of region {region}, which the device does not have"
                )))
            }
        }
        Ok(())
    }

    fn dma_map(
        &mut self,
        _flags: vfio_user::DmaMapFlags,
        offset: u64,
        address: u64,
        size: u64,
        fd: Option<File>,
    ) -> std::io::Result<()> {
        crate::debug!(
            "DMA map {address:#x}+{size:#x} (fd {}, offset {offset:#x})",
            fd.is_some()
        );
        let Some(fd) = fd else {
            // ROMs and other devices' BARs come without a file: not guest RAM, so device DMA to
            // them faults (reported then). Guest RAM must be a shared memfd to come with one.
            crate::debug!("DMA map of {address:#x}+{size:#x} without a file: not reachable by DMA");
            return Ok(());
        };
        self.dev
            .host
            .map(address, size, offset, &fd)
            .map_err(|e| invalid(format!("DMA map: {e}")))
    }

    fn dma_unmap(
        &mut self,
        _flags: vfio_user::DmaUnmapFlags,
        address: u64,
        size: u64,
    ) -> std::io::Result<()> {
        crate::debug!("DMA unmap {address:#x}+{size:#x}");
        if !self.dev.host.unmap(address, size) {
            crate::debug!("DMA unmap of {address:#x}+{size:#x}, which was not mapped");
        }
        Ok(())
    }

    fn reset(&mut self) -> std::io::Result<()> {
        crate::info!("device reset by QEMU");
        self.dev.pci_reset();
        Ok(())
    }

    fn set_irqs(
        &mut self,
        index: u32,
        flags: u32,
        start: u32,
        count: u32,
        fds: Vec<File>,
    ) -> std::io::Result<()> {
        crate::debug!(
            "SET_IRQS index {index} flags {flags:#x} start {start} count {count} fds {}",
            fds.len()
        );
        if count == 0 {
            if index == VFIO_PCI_MSI_IRQ_INDEX {
                self.dev.set_msi(None);
            }
            return Ok(());
        }
        if index != VFIO_PCI_MSI_IRQ_INDEX || start != 0 || count != 1 {
            return Err(invalid(format!(
                "SET_IRQS for index {index} vectors {start}+{count}: the device has one MSI vector only"
            )));
        }
        if flags & VFIO_IRQ_SET_DATA_EVENTFD != 0 {
            let fd = fds.into_iter().next();
            crate::info!(
                "MSI {}",
                if fd.is_some() {
                    "connected"
                } else {
                    "disconnected"
                }
            );
            self.dev
                .set_msi(fd.map(|f| Box::new(f) as Box<dyn crate::device::MsiSink>));
        } else if flags & VFIO_IRQ_SET_DATA_NONE != 0 {
            // A loopback trigger from the host: as if the device requested its MSI.
            self.dev.write_reg(crate::regs::PCIE_CORE_MSI_REQ, 1);
        }
        Ok(())
    }
}

/// Listens on `path` and serves one QEMU until it disconnects.
pub fn serve(path: &Path, dev: Arc<Device>) -> Result<(), String> {
    prepare_socket(path)?;
    let server = Server::new(path, true, irqs(), regions(&dev))
        .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    crate::info!("listening on {}", path.display());
    let mut backend = Backend { dev };
    // The vfio_user crate can panic on some malformed messages; that ends the session with a
    // clear message instead of taking the process down with a backtrace.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.run(&mut backend)));
    let result = match run {
        Ok(r) => r,
        Err(p) => {
            let why = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            crate::info!("counters: {}", backend.dev.counters());
            return Err(format!(
                "malformed vfio-user message from the client ({why}); session ended"
            ));
        }
    };
    crate::info!("counters: {}", backend.dev.counters());
    match result {
        Ok(()) => {
            crate::info!("QEMU disconnected; exiting");
            Ok(())
        }
        Err(e) => {
            let msg = e.to_string();
            // QEMU killed or crashed: the connection resets. That ends the session cleanly.
            if msg.contains("Connection reset") || msg.contains("Broken pipe") {
                crate::info!("QEMU went away ({msg}); exiting");
                Ok(())
            } else {
                Err(format!("vfio-user session failed: {e}"))
            }
        }
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
        let sizes: Vec<u64> = r.iter().map(|r| r.region_info.size).collect();
        assert_eq!(
            &sizes[..8],
            &[64 << 20, 0, 128 << 20, 0, 256 << 20, 0, 0, 4096]
        );
        let i = irqs();
        assert_eq!(i[VFIO_PCI_MSI_IRQ_INDEX as usize].count, 1);
        assert_eq!(i.iter().map(|i| i.count).sum::<u32>(), 1);
    }
}
