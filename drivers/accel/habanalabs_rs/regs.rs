// SPDX-License-Identifier: GPL-2.0

//! Gaudi registers the driver uses, and the accessor that reaches them through the CFG BAR.
//!
//! Offsets are relative to `CFG_BASE` (device address 0x7F_FC00_0000), as in the register maps
//! of `drivers/accel/habanalabs/include/gaudi/asic_reg/`. The CFG BAR exposes `CFG_BASE` at
//! [`REGS_OFFSET_IN_CFG_BAR`](crate::bars::REGS_OFFSET_IN_CFG_BAR).

use crate::bars::{CFG_BAR_SIZE, REGS_OFFSET_IN_CFG_BAR};
use kernel::{
    io::register,
    io::Io,
    pci,
    time::{delay::fsleep, Delta, Instant, Monotonic},
};

register! {
    /// Writing 1 asks the PCIe core to send the device's MSI (device address CFG_BASE + 0xC04100).
    pub(crate) PCIE_CORE_MSI_REQ(u32) @ 0x4C0_4100 {
        31:0 request;
    }
}

/// A PCIe wrapper register: reading it flushes the host's posted writes to the device
/// (upstream's `hbw_flush_reg` on Gaudi).
pub(crate) const PCIE_WRAP_RR_ELBI_RD_SEC_REG_CTRL: u32 = 0xC0_1208;

/// Device address of the register space; packets address registers from it.
pub(crate) const CFG_BASE: u64 = 0x7F_FC00_0000;
/// `PCIE_CORE_MSI_REQ`, relative to `CFG_BASE`: writing 1 sends the device's MSI.
pub(crate) const MSI_REQ: u32 = 0xC0_4100;

/// The configuration BAR, with its size known at compile time.
pub(crate) type CfgBar<'a> = pci::Bar<'a, { CFG_BAR_SIZE }>;

// PSOC global configuration: firmware scratchpads, boot status and reset control.
/// Boot loader state machine; bits 3:0 are zero once a reset has completed.
pub(crate) const PSOC_BTM_FSM: u32 = 0xC4_B028;
/// `BOOT_SEQ_RE_START`: written 1 before a driver-performed hard reset.
pub(crate) const PSOC_BOOT_SEQ_RE_START: u32 = 0xC4_B024;
/// Cold-reset flop read by preboot: the magic tells it not to re-initialise PCIe.
pub(crate) const PREBOOT_PCIE_EN: u32 = 0xC4_B074;
/// Scratchpad 0: whether the driver has programmed the device since its last reset.
pub(crate) const HW_STATE: u32 = 0xC4_B100;
/// Firmware capability bits of the running boot stage.
pub(crate) const CPU_BOOT_DEV_STS0: u32 = 0xC4_B150;
/// Firmware's answer to a static-loader message.
pub(crate) const CPU_CMD_STATUS_TO_HOST: u32 = 0xC4_B15C;
/// Boot error bits, first word.
pub(crate) const CPU_BOOT_ERR0: u32 = 0xC4_B160;
/// Boot error bits, second word.
pub(crate) const CPU_BOOT_ERR1: u32 = 0xC4_B164;
/// SRAM offset of the preboot version string.
pub(crate) const PREBOOT_VER_OFFSET: u32 = 0xC4_B170;
/// SRAM offset of the boot-fit version string.
pub(crate) const UBOOT_VER_OFFSET: u32 = 0xC4_B174;
/// Boot progress of the device CPU (`enum cpu_boot_status`).
pub(crate) const CPU_BOOT_STATUS: u32 = 0xC4_B300;
/// Host-to-firmware message of the static loader (`enum kmd_msg`).
pub(crate) const KMD_MSG_TO_CPU: u32 = 0xC4_B304;
/// Hard-reset configuration, low and high words.
pub(crate) const SW_ALL_RST_CFG_L: u32 = 0xC4_B490;
/// See [`SW_ALL_RST_CFG_L`].
pub(crate) const SW_ALL_RST_CFG_H: u32 = 0xC4_B494;
/// Writing bit 0 starts a hard reset.
pub(crate) const SW_ALL_RST: u32 = 0xC4_B498;
/// Soft-reset configuration, low and high words.
pub(crate) const SOFT_RST_CFG_L: u32 = 0xC4_B4A4;
/// See [`SOFT_RST_CFG_L`].
pub(crate) const SOFT_RST_CFG_H: u32 = 0xC4_B4A8;
/// PSOC timestamp counter control: bit 0 enables counting.
pub(crate) const PSOC_TIMESTAMP_CNTCR: u32 = 0xC4_9000;
/// PSOC timestamp counter, bits 31:0.
pub(crate) const PSOC_TIMESTAMP_CNTCVL: u32 = 0xC4_9008;
/// PSOC timestamp counter, bits 63:32.
pub(crate) const PSOC_TIMESTAMP_CNTCVU: u32 = 0xC4_900C;
/// PCIe FLR control: the driver takes reset handling over before it resets the device.
pub(crate) const PCIE_AUX_FLR_CTRL: u32 = 0xC0_7394;
/// PCIe wrapper low-bandwidth protection override.
pub(crate) const PCIE_WRAP_LBW_PROT_OVR: u32 = 0xC0_1B48;

// The device CPU's queue interface.
/// Bits 49:39 of every host address the device CPU is given.
pub(crate) const CPU_IF_CPU_MSB_ADDR: u32 = 0x44_212C;
/// CPU-CP producer index, in entries.
pub(crate) const CPU_IF_PF_PQ_PI: u32 = 0x44_2200;
/// CPU-CP queue base, low word (high word follows).
pub(crate) const CPU_IF_PQ_BASE_ADDR_LOW: u32 = 0x44_2204;
/// CPU-CP queue base, high word.
pub(crate) const CPU_IF_PQ_BASE_ADDR_HIGH: u32 = 0x44_2208;
/// CPU-CP queue length in bytes.
pub(crate) const CPU_IF_PQ_LENGTH: u32 = 0x44_220C;
/// CPU-accessible region base, low word.
pub(crate) const CPU_IF_CQ_BASE_ADDR_LOW: u32 = 0x44_2210;
/// CPU-accessible region base, high word.
pub(crate) const CPU_IF_CQ_BASE_ADDR_HIGH: u32 = 0x44_2214;
/// CPU-accessible region length in bytes.
pub(crate) const CPU_IF_CQ_LENGTH: u32 = 0x44_2218;
/// Event queue base, low word.
pub(crate) const CPU_IF_EQ_BASE_ADDR_LOW: u32 = 0x44_2220;
/// Event queue base, high word.
pub(crate) const CPU_IF_EQ_BASE_ADDR_HIGH: u32 = 0x44_2224;
/// Event queue length in bytes.
pub(crate) const CPU_IF_EQ_LENGTH: u32 = 0x44_2228;
/// Event queue consumer index, in entries.
pub(crate) const CPU_IF_EQ_RD_OFFS: u32 = 0x44_222C;
/// Queue initialisation handshake (`enum pq_init_status`).
pub(crate) const CPU_IF_QUEUE_INIT: u32 = 0x44_2230;

// MMU: hop-0 configuration and the STLB (its cache).
/// Bit 31: the hop-0 address written for `MMU_ASID` is being taken.
pub(crate) const MMU_BUSY: u32 = 0xC1_2000;
/// ASID whose hop-0 address the next two registers set.
pub(crate) const MMU_ASID: u32 = 0xC1_2004;
/// Hop-0 physical address, bits 43:12.
pub(crate) const MMU_HOP0_PA43_12: u32 = 0xC1_2008;
/// Hop-0 physical address, bits 49:44.
pub(crate) const MMU_HOP0_PA49_44: u32 = 0xC1_200C;
/// STLB invalidation producer index (bits 7:0).
pub(crate) const STLB_CACHE_INV: u32 = 0xC1_2010;
/// Cache-management page address, bits 39:8.
pub(crate) const STLB_CACHE_INV_BASE_39_8: u32 = 0xC1_2014;
/// Cache-management page address, bits 49:40.
pub(crate) const STLB_CACHE_INV_BASE_49_40: u32 = 0xC1_2018;
/// Hop configuration of the STLB.
pub(crate) const STLB_HOP_CONFIGURATION: u32 = 0xC1_2024;
/// Invalidation state: the driver writes 3 then 2, the MMU clears it when done.
pub(crate) const STLB_INV_PS: u32 = 0xC1_203C;
/// Written 0 after every invalidation.
pub(crate) const STLB_INV_SET: u32 = 0xC1_2048;
/// Starts the invalidation of the memory cache.
pub(crate) const STLB_MEM_CACHE_INVALIDATION: u32 = 0xC1_2050;
/// Turns translation on.
pub(crate) const MMU_UP_MMU_ENABLE: u32 = 0xC1_100C;
/// Which MMU interrupts are masked.
pub(crate) const MMU_UP_SPI_MASK: u32 = 0xC1_102C;
/// The MMU's capture of the first translation that faulted: bit 18 valid, bits 17:0 the
/// address's bits 49:32 (cleared by writing 0); and its bits 31:0.
pub(crate) const MMU_UP_PAGE_ERROR_CAPTURE: u32 = 0xC1_1034;
/// See [`MMU_UP_PAGE_ERROR_CAPTURE`].
pub(crate) const MMU_UP_PAGE_ERROR_CAPTURE_VA: u32 = 0xC1_1038;
/// See [`MMU_UP_PAGE_ERROR_CAPTURE`].
pub(crate) const PAGE_ERROR_VALID: u32 = 1 << 18;
/// The MMU's capture of the first access a translation's permissions refused, laid out as
/// [`MMU_UP_PAGE_ERROR_CAPTURE`].
pub(crate) const MMU_UP_ACCESS_ERROR_CAPTURE: u32 = 0xC1_103C;
/// See [`MMU_UP_ACCESS_ERROR_CAPTURE`].
pub(crate) const MMU_UP_ACCESS_ERROR_CAPTURE_VA: u32 = 0xC1_1040;
/// The MMU's capture of the first illegal (RAZWI) write: valid (written 0 to clear) and the
/// initiator's ID (router x in bits 27:24, y in 30:28, AXI ID in 23:20).
pub(crate) const MMU_UP_RAZWI_WRITE_VLD: u32 = 0xC1_105C;
/// See [`MMU_UP_RAZWI_WRITE_VLD`].
pub(crate) const MMU_UP_RAZWI_WRITE_ID: u32 = 0xC1_1060;
/// The same for the first illegal read.
pub(crate) const MMU_UP_RAZWI_READ_VLD: u32 = 0xC1_1064;
/// See [`MMU_UP_RAZWI_READ_VLD`].
pub(crate) const MMU_UP_RAZWI_READ_ID: u32 = 0xC1_1068;

/// QMAN of DMA engine `n`: its `GLBL_NON_SECURE_PROPS_0` (four more follow, 4 bytes apart).
pub(crate) const fn dma_qm_non_secure_props(n: u32) -> u32 {
    0x50_8024 + n * 0x2_0000
}
/// DMA engine `n`'s core: `NON_SECURE_PROPS`.
pub(crate) const fn dma_core_non_secure_props(n: u32) -> u32 {
    0x50_00F4 + n * 0x2_0000
}

/// Distance between the register blocks of consecutive DMA engines (QMAN and core alike).
pub(crate) const DMA_STRIDE: u32 = 0x2_0000;
/// `DMA0_QM` block; the registers below are offsets into a DMA QMAN block.
pub(crate) const DMA0_QM: u32 = 0x50_8000;
/// `DMA0_CORE` block; the `CORE_*` registers below are offsets into a DMA core block.
pub(crate) const DMA0_CORE: u32 = 0x50_0000;

/// QMAN enables: PQ fetcher [3:0], CQ fetcher [8:4], command parser [13:9].
pub(crate) const QM_GLBL_CFG0: u32 = 0x000;
/// QMAN stop and flush bits, same layout as `GLBL_CFG0` (plus flushes above bit 16).
pub(crate) const QM_GLBL_CFG1: u32 = 0x004;
/// Which fetchers and parsers are trusted (run with the secure properties).
pub(crate) const QM_GLBL_PROT: u32 = 0x008;
/// Which errors are reported and which stop the QMAN.
pub(crate) const QM_GLBL_ERR_CFG: u32 = 0x00C;
/// Per-stream error causes, write one to clear (stream `s` at `+ 4 * s`, the lower CP at
/// `+ 0x10`); see [`QM_ERR_CAUSES`].
pub(crate) const QM_GLBL_STS1: u32 = 0x040;
/// The CB a stream's CQ fetcher works on, low half (stream `s` at `+ 0x10 * s`, the lower CP
/// at `+ 0x40`).
pub(crate) const QM_CQ_PTR_LO: u32 = 0x174;
/// See [`QM_CQ_PTR_LO`].
pub(crate) const QM_CQ_PTR_HI: u32 = 0x178;
/// That CB's size.
pub(crate) const QM_CQ_TSIZE: u32 = 0x17C;
/// What each bit of `GLBL_STS1` reports.
pub(crate) const QM_ERR_CAUSES: [&str; 16] = [
    "PQ fetch error on the HBW bus",
    "CQ fetch error on the HBW bus",
    "command parser error on the HBW bus",
    "undefined opcode",
    "STOP packet",
    "command parser error on the LBW bus",
    "register write (WREG_32/WREG_BULK) failed",
    "reserved cause 7",
    "fence 0 increment clipped at its maximum",
    "fence 1 increment clipped at its maximum",
    "fence 2 increment clipped at its maximum",
    "fence 3 increment clipped at its maximum",
    "fence 0 decrement clipped at its minimum",
    "fence 1 decrement clipped at its minimum",
    "fence 2 decrement clipped at its minimum",
    "fence 3 decrement clipped at its minimum",
];
/// `GLBL_STS1`: the command parser met an opcode Gaudi does not define.
pub(crate) const QM_STS1_UNDEF_CMD: u32 = 1 << 3;
/// Per-stream PQ base, low half (stream `s` at `+ 4 * s`; the same for the next five).
pub(crate) const QM_PQ_BASE_LO: u32 = 0x070;
/// PQ base, high half.
pub(crate) const QM_PQ_BASE_HI: u32 = 0x080;
/// log2 of the PQ's number of entries.
pub(crate) const QM_PQ_SIZE: u32 = 0x090;
/// PQ producer index: the doorbell.
pub(crate) const QM_PQ_PI: u32 = 0x0A0;
/// PQ consumer index.
pub(crate) const QM_PQ_CI: u32 = 0x0B0;
/// Message bases 0-3 the `MSG_SHORT` packets address (low halves; high halves at +0x14).
pub(crate) const QM_CP_MSG_BASE_LO: [u32; 4] = [0x228, 0x250, 0x278, 0x2A0];
/// Offsets into the DMA core where `LIN_DMA` puts its size, source and destination.
pub(crate) const QM_CP_LDMA_TSIZE_OFFSET: u32 = 0x2C8;
/// See [`QM_CP_LDMA_TSIZE_OFFSET`].
pub(crate) const QM_CP_LDMA_SRC_BASE_LO_OFFSET: u32 = 0x2E0;
/// See [`QM_CP_LDMA_TSIZE_OFFSET`].
pub(crate) const QM_CP_LDMA_DST_BASE_LO_OFFSET: u32 = 0x2F4;
/// Engine-barrier guard of the command parser.
pub(crate) const QM_CP_BARRIER_CFG: u32 = 0x3F4;
/// Arbiter configuration.
pub(crate) const QM_ARB_CFG_0: u32 = 0xA00;
/// Arbiter watchdog.
pub(crate) const QM_ARB_SLV_CHOISE_WDT: u32 = 0xB38;
/// Arbiter error reporting.
pub(crate) const QM_ARB_ERR_MSG_EN: u32 = 0xBA0;
/// Where QMAN error messages go, and what they carry.
pub(crate) const QM_GLBL_ERR_ADDR_LO: u32 = 0xCD0;
/// See [`QM_GLBL_ERR_ADDR_LO`].
pub(crate) const QM_GLBL_ERR_ADDR_HI: u32 = 0xCD4;
/// See [`QM_GLBL_ERR_ADDR_LO`].
pub(crate) const QM_GLBL_ERR_WDATA: u32 = 0xCD8;

/// DMA core enable.
pub(crate) const CORE_CFG_0: u32 = 0x000;
/// DMA core halt.
pub(crate) const CORE_CFG_1: u32 = 0x004;
/// Outstanding low-bandwidth transactions.
pub(crate) const CORE_LBW_MAX_OUTSTAND: u32 = 0x008;
/// Write-completion message data and address.
pub(crate) const CORE_WR_COMP_WDATA: u32 = 0x07C;
/// See [`CORE_WR_COMP_WDATA`].
pub(crate) const CORE_WR_COMP_ADDR_LO: u32 = 0x080;
/// See [`CORE_WR_COMP_WDATA`].
pub(crate) const CORE_WR_COMP_ADDR_HI: u32 = 0x084;
/// Whether the core's transactions are secure.
pub(crate) const CORE_PROT: u32 = 0x0B8;
/// Properties of secure transactions (bit 10: MMU bypass).
pub(crate) const CORE_SECURE_PROPS: u32 = 0x0F0;
/// Read request limits.
pub(crate) const CORE_RD_MAX_OUTSTAND: u32 = 0x100;
/// See [`CORE_RD_MAX_OUTSTAND`].
pub(crate) const CORE_RD_MAX_SIZE: u32 = 0x104;
/// Error reporting and stop-on-error.
pub(crate) const CORE_ERR_CFG: u32 = 0x160;
/// Error causes the core latched (bit 0 a read, bit 1 a write failed on the HBW bus).
pub(crate) const CORE_ERR_CAUSE: u32 = 0x164;
/// Where core error messages go, and what they carry.
pub(crate) const CORE_ERRMSG_ADDR_LO: u32 = 0x170;
/// See [`CORE_ERRMSG_ADDR_LO`].
pub(crate) const CORE_ERRMSG_ADDR_HI: u32 = 0x174;
/// See [`CORE_ERRMSG_ADDR_LO`].
pub(crate) const CORE_ERRMSG_WDATA: u32 = 0x178;

/// Sync manager blocks (east-north, west-south): the first sync object, and the first
/// monitor's payload address.
pub(crate) const SM_E_N_SOB_OBJ_0: u32 = 0x4F_2000;
/// See [`SM_E_N_SOB_OBJ_0`].
pub(crate) const SM_E_N_MON_PAY_ADDRL_0: u32 = 0x4F_4000;
/// See [`SM_E_N_SOB_OBJ_0`].
pub(crate) const SM_W_S_SOB_OBJ_0: u32 = 0x49_2000;
/// See [`SM_E_N_SOB_OBJ_0`].
pub(crate) const SM_W_S_MON_PAY_ADDRL_0: u32 = 0x49_4000;

/// The GIC's "set SPI" register: writing an SPI number interrupts the device CPU.
pub(crate) const GIC_SETSPI_NSR: u32 = 0x80_0040;

/// The highest offset above, so one assertion covers them all.
const LAST_REG: u32 = 0xC4_B4A8;
const _: () = assert!(REGS_OFFSET_IN_CFG_BAR + LAST_REG as usize + 4 <= CFG_BAR_SIZE);

/// Register access through the CFG BAR.
///
/// Every offset the driver names is a constant checked above to lie inside the BAR, so the
/// accessors cannot fail on those; an offset outside it reads as all ones, like a PCI device
/// that has gone away, and a write to it is dropped.
#[derive(Clone, Copy)]
pub(crate) struct Regs<'a> {
    cfg: &'a CfgBar<'a>,
}

impl<'a> Regs<'a> {
    /// Wraps the mapped CFG BAR.
    pub(crate) fn new(cfg: &'a CfgBar<'a>) -> Self {
        Self { cfg }
    }

    /// Reads the register at `off` (relative to `CFG_BASE`).
    pub(crate) fn rd(self, off: u32) -> u32 {
        self.cfg
            .try_read32(REGS_OFFSET_IN_CFG_BAR + off as usize)
            .unwrap_or(u32::MAX)
    }

    /// Polls the register at `off` every `interval` until `done` accepts its value or `timeout`
    /// passes (a read made after the timeout still counts, as a read can take that long under
    /// emulation). Returns the last value read, and whether `done` accepted it.
    pub(crate) fn poll(
        self,
        off: u32,
        timeout: Delta,
        interval: Delta,
        done: impl Fn(u32) -> bool,
    ) -> (u32, bool) {
        let start = Instant::<Monotonic>::now();
        loop {
            let v = self.rd(off);
            if done(v) {
                return (v, true);
            }
            if start.elapsed() > timeout {
                return (v, false);
            }
            fsleep(interval);
        }
    }

    /// Writes `val` to the register at `off` (relative to `CFG_BASE`).
    pub(crate) fn wr(self, off: u32, val: u32) {
        // Cannot fail for the offsets above; see the type's documentation.
        let _ = self
            .cfg
            .try_write32(val, REGS_OFFSET_IN_CFG_BAR + off as usize);
    }
}
