// SPDX-License-Identifier: GPL-2.0
//! PCI configuration space of the emulated Gaudi: identity, three 64-bit memory BARs, an MSI
//! capability and a PCI Express endpoint capability. Writes honour a per-byte writable mask,
//! as on hardware; read-only bytes keep their value.

/// Habana Labs' PCI vendor ID.
pub const VENDOR_ID: u16 = 0x1da3;
/// Gaudi's PCI device ID.
pub const DEVICE_ID: u16 = 0x1000;
/// Class: processing accelerator (0x12), subclass 0, interface 0.
pub const CLASS_CODE: u32 = 0x12_0000;
/// Revision the model reports.
pub const REVISION: u8 = 1;
/// Size of the configuration space (PCI Express extended).
pub const CONFIG_SIZE: usize = 4096;

/// Offset of the MSI capability.
pub const MSI_CAP: usize = 0x50;
/// Offset of the PCI Express capability.
pub const PCIE_CAP: usize = 0x70;

const COMMAND: usize = 0x04;
const STATUS: usize = 0x06;
const BAR_BASE: usize = 0x10;
const CMD_MEMORY: u16 = 1 << 1;
const CMD_BUS_MASTER: u16 = 1 << 2;
const MSI_CTRL_ENABLE: u16 = 1;

/// A memory BAR: its number, size and whether it is prefetchable. All Gaudi BARs are 64-bit.
#[derive(Clone, Copy, Debug)]
pub struct MemBar {
    /// BAR number (0, 2 or 4; a 64-bit BAR takes two slots).
    pub index: usize,
    /// Size in bytes, a power of two.
    pub size: u64,
    /// Whether the BAR is marked prefetchable.
    pub prefetchable: bool,
}

/// The configuration space.
pub struct ConfigSpace {
    bytes: Vec<u8>,
    wmask: Vec<u8>,
}

impl ConfigSpace {
    /// Builds Gaudi's configuration space with the given BARs.
    pub fn new(bars: &[MemBar]) -> ConfigSpace {
        let mut c = ConfigSpace {
            bytes: vec![0; CONFIG_SIZE],
            wmask: vec![0; CONFIG_SIZE],
        };
        c.set16(0x00, VENDOR_ID);
        c.set16(0x02, DEVICE_ID);
        c.set32(0x08, (CLASS_CODE << 8) | u32::from(REVISION));
        c.set16(0x2c, VENDOR_ID); // subsystem vendor
        c.set16(0x2e, DEVICE_ID); // subsystem device
        c.set16(STATUS, 1 << 4); // capability list present
        c.bytes[0x34] = MSI_CAP as u8;
        // Command: memory space, bus master, SERR#, INTx disable are writable.
        c.mask16(COMMAND, CMD_MEMORY | CMD_BUS_MASTER | (1 << 8) | (1 << 10));

        for bar in bars {
            let off = BAR_BASE + bar.index * 4;
            // Memory BAR, 64-bit (type 10b), prefetchable as asked.
            let flags = 0b100 | if bar.prefetchable { 1 << 3 } else { 0 };
            c.set32(off, flags);
            let addr_mask = !(bar.size - 1);
            c.mask32(off, (addr_mask as u32) & !0xf);
            c.mask32(off + 4, (addr_mask >> 32) as u32);
        }

        // MSI: 64-bit address, one vector.
        c.bytes[MSI_CAP] = 0x05;
        c.bytes[MSI_CAP + 1] = PCIE_CAP as u8;
        c.set16(MSI_CAP + 2, 1 << 7);
        c.mask16(MSI_CAP + 2, MSI_CTRL_ENABLE | (0b111 << 4));
        c.mask32(MSI_CAP + 4, !0x3);
        c.mask32(MSI_CAP + 8, !0);
        c.mask16(MSI_CAP + 12, !0);

        // PCI Express v2 endpoint, Gen4 x16.
        c.bytes[PCIE_CAP] = 0x10;
        c.bytes[PCIE_CAP + 1] = 0;
        c.set16(PCIE_CAP + 2, 0x0002); // version 2, endpoint
        c.set32(PCIE_CAP + 4, 0x0000_0001); // DevCap: 256-byte max payload
        c.mask16(PCIE_CAP + 8, 0x7fff); // DevCtl
        c.set32(PCIE_CAP + 0x0c, (16 << 4) | 4); // LinkCap: x16, 16 GT/s
        c.set16(PCIE_CAP + 0x12, (16 << 4) | 4); // LinkSta
        c
    }

    fn set16(&mut self, off: usize, v: u16) {
        self.bytes[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }
    fn set32(&mut self, off: usize, v: u32) {
        self.bytes[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn mask16(&mut self, off: usize, m: u16) {
        self.wmask[off..off + 2].copy_from_slice(&m.to_le_bytes());
    }
    fn mask32(&mut self, off: usize, m: u32) {
        self.wmask[off..off + 4].copy_from_slice(&m.to_le_bytes());
    }
    /// Reads `out.len()` bytes at `off`; bytes past the end read as all ones.
    pub fn read(&self, off: u64, out: &mut [u8]) {
        for (i, b) in out.iter_mut().enumerate() {
            *b = usize::try_from(off)
                .ok()
                .and_then(|o| o.checked_add(i))
                .and_then(|o| self.bytes.get(o).copied())
                .unwrap_or(0xff);
        }
    }

    /// Writes `data` at `off` through the writable mask; bytes past the end are dropped.
    pub fn write(&mut self, off: u64, data: &[u8]) {
        for (i, &v) in data.iter().enumerate() {
            let Some(o) = usize::try_from(off).ok().and_then(|o| o.checked_add(i)) else {
                return;
            };
            if o >= CONFIG_SIZE {
                return;
            }
            let m = self.wmask[o];
            self.bytes[o] = (self.bytes[o] & !m) | (v & m);
        }
    }

    /// Returns the writable state to its post-reset values.
    pub fn reset(&mut self, bars: &[MemBar]) {
        *self = ConfigSpace::new(bars);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaudi() -> ConfigSpace {
        ConfigSpace::new(&[
            MemBar {
                index: 0,
                size: 64 << 20,
                prefetchable: true,
            },
            MemBar {
                index: 2,
                size: 128 << 20,
                prefetchable: false,
            },
            MemBar {
                index: 4,
                size: 256 << 20,
                prefetchable: true,
            },
        ])
    }

    fn r32(c: &ConfigSpace, off: u64) -> u32 {
        let mut b = [0u8; 4];
        c.read(off, &mut b);
        u32::from_le_bytes(b)
    }

    #[test]
    fn identity_is_gaudi() {
        let c = gaudi();
        assert_eq!(r32(&c, 0), 0x1000_1da3);
        assert_eq!(r32(&c, 8) >> 8, 0x12_0000);
        assert_eq!(r32(&c, 0x2c), 0x1000_1da3);
    }

    #[test]
    fn bars_size_like_hardware() {
        let mut c = gaudi();
        // Sizing: write all ones, read back the size mask with the type bits.
        for (off, size, pf) in [
            (0x10u64, 64u64 << 20, 8u32),
            (0x18, 128 << 20, 0),
            (0x20, 256 << 20, 8),
        ] {
            c.write(off, &[0xff; 4]);
            c.write(off + 4, &[0xff; 4]);
            let lo = r32(&c, off);
            let hi = r32(&c, off + 4);
            assert_eq!(lo & 0xf, 0b100 | pf, "type bits of BAR at {off:#x}");
            let mask = (u64::from(hi) << 32) | u64::from(lo & !0xf);
            assert_eq!(!mask + 1, size, "size of BAR at {off:#x}");
        }
    }

    #[test]
    fn capabilities_chain_msi_then_pcie() {
        let c = gaudi();
        let mut b = [0u8; 1];
        c.read(0x34, &mut b);
        assert_eq!(b[0] as usize, MSI_CAP);
        assert_eq!(
            r32(&c, MSI_CAP as u64) & 0xffff,
            0x05 | ((PCIE_CAP as u32) << 8)
        );
        assert_eq!(r32(&c, PCIE_CAP as u64) & 0xffff, 0x10);
    }

    #[test]
    fn only_writable_bits_change() {
        let mut c = gaudi();
        c.write(0, &[0, 0, 0, 0]);
        assert_eq!(r32(&c, 0), 0x1000_1da3, "IDs are read-only");
        assert_eq!(r32(&c, 4) & 0xffff, 0);
        c.write(4, &[0xff, 0xff]);
        let cmd = (CMD_MEMORY | CMD_BUS_MASTER | (1 << 8) | (1 << 10)) as u32;
        assert_eq!(
            r32(&c, 4) & 0xffff,
            cmd,
            "only memory, master, SERR and INTx-disable"
        );
        c.write(MSI_CAP as u64 + 2, &[0xff, 0xff]);
        assert_eq!(
            r32(&c, MSI_CAP as u64) >> 16,
            (1 << 7) | (0b111 << 4) | MSI_CTRL_ENABLE as u32
        );
        // Past the end: reads all ones, writes dropped, nothing panics.
        let mut b = [0u8; 4];
        c.read(4094, &mut b);
        assert_eq!(b, [0, 0, 0xff, 0xff]);
        c.write(u64::MAX, &[1, 2]);
    }
}
