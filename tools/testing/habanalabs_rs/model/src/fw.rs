// SPDX-License-Identifier: GPL-2.0
//! The device CPU and its firmware, as the host sees them: the preboot status, the static
//! firmware-loading handshake, the CPU-CP queue with its packet service, and the event queue.
//!
//! The boot ROM, the boot-fit (u-boot) and the CPU-CP application are not executed; the model
//! checks that the images the driver loads are FIT images (a flattened device tree header) and
//! then moves through the statuses the real firmware reports. A corrupted image is reported as
//! the firmware reports it (`FIT_CORRUPTED`), never accepted.

use crate::device::{read_lock, write_lock};
use crate::host::{HostMemory, Unmapped};
use crate::mem::Memory;
use crate::regs::*;
use std::sync::RwLock;
use std::time::Instant;

/// `CPU_BOOT_STATUS` values.
pub mod status {
    /// Parked (after `GOTO_WFE` or a halt).
    pub const IN_WFE: u32 = 1;
    /// CPU-CP application running.
    pub const SRAM_AVAIL: u32 = 3;
    /// An image did not pass the check.
    pub const FIT_CORRUPTED: u32 = 9;
    /// Boot-fit running, waiting for the Linux (CPU-CP) image.
    pub const READY_TO_BOOT: u32 = 15;
    /// Preboot waiting for the boot-fit image.
    pub const WAITING_FOR_BOOT_FIT: u32 = 16;
}

/// `KMD_MSG_TO_CPU` values.
pub mod kmd {
    /// No message.
    pub const NA: u32 = 0;
    /// Park the CPU.
    pub const GOTO_WFE: u32 = 1;
    /// An image is ready where the protocol says.
    pub const FIT_RDY: u32 = 2;
    /// Reset the device.
    pub const RST_DEV: u32 = 5;
}

/// SPI numbers the host writes to `GIC_SETSPI_NSR`.
pub mod spi {
    /// The CPU PQ producer index moved.
    pub const PI_UPDATE: u32 = 484;
    /// Halt the CPU before a reset.
    pub const HALT_MACHINE: u32 = 485;
    /// The host is ready for events.
    pub const INTS_REGISTER: u32 = 486;
    /// The MMU reports a page fault.
    pub const MMU_PAGE_FAULT: u32 = 229;
    /// DMA0's QMAN reports an error; DMAn is this + n.
    pub const DMA0_QM: u32 = 432;
    /// DMA0's core reports an error; DMAn is this + n.
    pub const DMA0_CORE: u32 = 453;
}

/// `CPU_IF_QUEUE_INIT` values.
pub mod qinit {
    /// Host asks for initialisation, with one MSI for everything.
    pub const READY_FOR_CP_SINGLE_MSI: u32 = 3;
    /// Queues ready.
    pub const READY_FOR_HOST: u32 = 2;
    /// A length is not a power of two.
    pub const LEN_NOT_POWER_OF_TWO: u32 = 4;
    /// A queue address is not reachable.
    pub const ILLEGAL_Q_ADDR: u32 = 5;
}

/// Sensor attributes, with the kernel's hwmon numbering (the firmware does not set
/// `MAP_HWMON_EN`).
pub mod attr {
    /// `hwmon_temp_input`, `_max`, `_crit`, `_offset`, `_highest`, `_reset_history`.
    pub const TEMP_INPUT: u32 = 1;
    /// See [`TEMP_INPUT`].
    pub const TEMP_MAX: u32 = 7;
    /// See [`TEMP_INPUT`].
    pub const TEMP_CRIT: u32 = 9;
    /// See [`TEMP_INPUT`].
    pub const TEMP_OFFSET: u32 = 20;
    /// See [`TEMP_INPUT`].
    pub const TEMP_HIGHEST: u32 = 23;
    /// See [`TEMP_INPUT`].
    pub const TEMP_RESET_HISTORY: u32 = 24;
    /// `hwmon_in_input`, `_min`, `_max`, `_highest`, `_reset_history`.
    pub const IN_INPUT: u32 = 1;
    /// See [`IN_INPUT`].
    pub const IN_MIN: u32 = 2;
    /// See [`IN_INPUT`].
    pub const IN_MAX: u32 = 3;
    /// See [`IN_INPUT`].
    pub const IN_HIGHEST: u32 = 8;
    /// See [`IN_INPUT`].
    pub const IN_RESET_HISTORY: u32 = 9;
    /// `hwmon_pwm_input`, `hwmon_pwm_enable`.
    pub const PWM_INPUT: u32 = 0;
    /// See [`PWM_INPUT`].
    pub const PWM_ENABLE: u32 = 1;
}

/// What the host may set of the sensors: temperature sensor 0's offset and the highest value
/// it read since its history was reset, the voltage's highest, the fan's PWM duty cycle and
/// mode.
#[derive(Debug)]
struct SensorSettings {
    temp_offset: i64,
    temp_highest: Option<i64>,
    in_highest: Option<i64>,
    pwm: (u64, u64),
}

impl Default for SensorSettings {
    fn default() -> Self {
        // Duty cycle 128 of 255, automatic control (hwmon's pwm_enable 2).
        Self {
            temp_offset: 0,
            temp_highest: None,
            in_highest: None,
            pwm: (128, 2),
        }
    }
}

/// The emulated sensors' readings: temperature sensor `n`, the voltage.
fn temp_reading(n: u32) -> i64 {
    40_000 + 1_000 * i64::from(n)
}
const IN_READING: i64 = 850;

/// CPU-CP opcodes the model serves.
pub mod op {
    /// Stop host DMA and MSI.
    pub const DISABLE_PCI_ACCESS: u32 = 1;
    /// Allow host DMA and MSI.
    pub const ENABLE_PCI_ACCESS: u32 = 2;
    /// Sensor reads.
    pub const TEMPERATURE_GET: u32 = 3;
    /// Sensor reads.
    pub const VOLTAGE_GET: u32 = 4;
    /// Sensor reads.
    pub const CURRENT_GET: u32 = 5;
    /// Sensor reads.
    pub const FAN_SPEED_GET: u32 = 6;
    /// PWM read.
    pub const PWM_GET: u32 = 7;
    /// PWM settings.
    pub const PWM_SET: u32 = 8;
    /// PLL frequency set.
    pub const FREQUENCY_SET: u32 = 9;
    /// PLL frequency get.
    pub const FREQUENCY_GET: u32 = 10;
    /// Card information.
    pub const INFO_GET: u32 = 14;
    /// Unmask one event.
    pub const UNMASK_RAZWI_IRQ: u32 = 16;
    /// Unmask several events.
    pub const UNMASK_RAZWI_IRQ_ARRAY: u32 = 17;
    /// Echo of the fence value.
    pub const TEST: u32 = 18;
    /// Current PLL frequency.
    pub const FREQUENCY_CURR_GET: u32 = 19;
    /// Power cap get.
    pub const MAX_POWER_GET: u32 = 20;
    /// Power cap set.
    pub const MAX_POWER_SET: u32 = 21;
    /// EEPROM contents.
    pub const EEPROM_DATA_GET: u32 = 22;
    /// Temperature sensor settings (offset, history reset).
    pub const TEMPERATURE_SET: u32 = 24;
    /// Voltage sensor settings (history reset).
    pub const VOLTAGE_SET: u32 = 25;
    /// PCIe throughput.
    pub const PCIE_THROUGHPUT_GET: u32 = 27;
    /// PCIe replay counter.
    pub const PCIE_REPLAY_CNT_GET: u32 = 28;
    /// Energy since power-on.
    pub const TOTAL_ENERGY_GET: u32 = 29;
    /// PLL output frequencies.
    pub const PLL_INFO_GET: u32 = 30;
    /// Power draw.
    pub const POWER_GET: u32 = 32;
    /// HBM rows replaced by repair.
    pub const HBM_REPLACED_ROWS_INFO_GET: u32 = 43;
    /// HBM rows waiting for repair.
    pub const HBM_PENDING_ROWS_STATUS: u32 = 44;
}

/// The fence value the firmware writes when it completes a packet.
pub const CPUCP_PACKET_FENCE_VAL: u32 = 0xFE8C_E7A5;
/// CPU-CP return codes.
pub const RC_OK: u32 = 0;
/// The opcode is not supported by the firmware.
pub const RC_INVALID: u32 = 1;
/// The packet's parameters are wrong.
pub const RC_INVALID_PARAMS: u32 = 4;
/// Bytes of `struct cpucp_packet`.
pub const PACKET_SIZE: usize = 24;
/// Bytes of `struct cpucp_info`.
pub const INFO_SIZE: usize = 0x6E8;
/// Bytes of an event queue entry.
pub const EQ_ENTRY_SIZE: u64 = 64;
/// SRAM offset where the driver puts the boot-fit image.
pub const BOOT_FIT_SRAM_OFFSET: u64 = 0x20_0000;
/// HBM address where the driver puts the Linux FIT image.
pub const LINUX_FW_HBM_OFFSET: u64 = 0x80_0000;
/// SRAM offset of the preboot version string.
pub const PREBOOT_VER_SRAM_OFFSET: u32 = 0x13F_F000;
/// SRAM offset of the boot-fit version string.
pub const UBOOT_VER_SRAM_OFFSET: u32 = 0x13F_F080;
/// `CPU_BOOT_DEV_STS0`/`STS1`/`ERR*` bit 31: contents valid.
pub const STS_ENABLED: u32 = 1 << 31;
/// `CPU_BOOT_DEV_STS0` bit 21: event queue entries carry a running index.
pub const STS0_EQ_INDEX_EN: u32 = 1 << 21;
/// Preboot version string (the format the upstream driver parses).
pub const PREBOOT_VERSION: &str =
    "hl-model BTL Preboot version hl-gaudi-0.1.0-fw-0.1.0-sec-0 (emulated)";
/// Boot-fit version string.
pub const UBOOT_VERSION: &str = "hl-model U-Boot fw-0.1.0 (emulated)";
/// Card name in `cpucp_info`.
pub const CARD_NAME: &str = "HL205";
/// Modelled power draw, mW: the energy counter integrates it.
pub const POWER_MW: u64 = 100_000;

/// Event types (`GAUDI_EVENT_*`) the model raises.
pub mod event {
    /// MMU page fault.
    pub const MMU_PAGE_FAULT: u16 = 380;
    /// DMA0 QMAN error; DMAn is this + n.
    pub const DMA0_QM: u16 = 583;
    /// DMA0 core error; DMAn is this + n.
    pub const DMA0_CORE: u16 = 604;
    /// Firmware alive / severity report.
    pub const FW_ALIVE_S: u16 = 645;
    /// Device reset request.
    pub const DEV_RESET_REQ: u16 = 646;
    /// Number of event types.
    pub const COUNT: u16 = 663;
}

/// Where the firmware is in its boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Preboot: waiting for the boot-fit image.
    Preboot,
    /// Boot-fit image accepted; waiting for the host to clear its message.
    BootFitAccepted,
    /// Boot-fit running: waiting for the Linux image.
    BootFit,
    /// CPU-CP application running.
    Running,
    /// Parked after `GOTO_WFE` or a halt, or stopped by an image that did not pass.
    Halted,
}

/// What a firmware step asks the device to do after releasing its lock.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Effects {
    /// Send the MSI.
    pub msi: bool,
    /// Hard-reset the device.
    pub reset: bool,
}

/// Counters, for tests and the exit summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FwStats {
    /// CPU-CP packets served.
    pub packets: u64,
    /// Packets whose opcode the model does not serve (answered with `RC_INVALID`).
    pub unsupported: u64,
    /// Events written to the event queue.
    pub events: u64,
    /// Events dropped: masked, queue full, host not ready.
    pub events_dropped: u64,
}

/// The memories the firmware reaches.
pub struct Mems<'a> {
    /// On-chip SRAM.
    pub sram: &'a RwLock<Memory>,
    /// HBM.
    pub hbm: &'a RwLock<Memory>,
    /// Host memory.
    pub host: &'a HostMemory,
}

/// The device CPU.
pub struct Firmware {
    /// Boot phase.
    pub phase: Phase,
    boot_status: u32,
    cmd_status: u32,
    kmd_msg: u32,
    sts0: u32,
    msb_addr: u32,
    // CPU interface registers.
    pq_base: u64,
    pq_len: u32,
    cq_base: u64,
    cq_len: u32,
    eq_base: u64,
    eq_len: u32,
    eq_rd: u32,
    queue_init: u32,
    pq_pi: u32,
    pq_ci: u32,
    eq_pi: u32,
    eq_index: u16,
    events_enabled: bool,
    pub(crate) pci_access: bool,
    masked: Vec<bool>,
    max_power: u64,
    pll_hz: [u64; 16],
    /// The writable sensor settings the firmware lists (see [`Firmware::info`]).
    sensors: SensorSettings,
    started: Instant,
    /// Last PCIe traffic sample: when, bytes received, bytes sent.
    traffic: (Instant, u64, u64),
    /// Faults: firmware that stops answering.
    pub silent: bool,
    /// Counters.
    pub stats: FwStats,
}

/// Puts a version string where the driver reads it: 128 bytes of SRAM, NUL-padded.
fn write_version(sram: &mut Memory, offset: u32, text: &str) {
    let mut ver = text.as_bytes().to_vec();
    ver.resize(128, 0);
    // Both offsets are constants well inside SRAM, so the write cannot fail.
    let _ = sram.write(u64::from(offset), &ver);
}

fn fit_ok(mem: &Memory, off: u64, limit: u64) -> bool {
    // A FIT image is a flattened device tree: big-endian magic 0xd00dfeed, then its size.
    let mut h = [0u8; 8];
    if mem.read(off, &mut h).is_err() {
        return false;
    }
    let magic = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let size = u64::from(u32::from_be_bytes([h[4], h[5], h[6], h[7]]));
    magic == 0xd00d_feed && size >= 40 && size <= limit
}

impl Firmware {
    /// The firmware as it is after a power-on or hard reset: preboot, waiting for the boot-fit.
    pub fn new(sram: &RwLock<Memory>) -> Firmware {
        write_version(
            &mut write_lock(sram),
            PREBOOT_VER_SRAM_OFFSET,
            PREBOOT_VERSION,
        );
        Firmware {
            phase: Phase::Preboot,
            boot_status: status::WAITING_FOR_BOOT_FIT,
            cmd_status: 0,
            kmd_msg: 0,
            sts0: STS_ENABLED,
            msb_addr: 0,
            pq_base: 0,
            pq_len: 0,
            cq_base: 0,
            cq_len: 0,
            eq_base: 0,
            eq_len: 0,
            eq_rd: 0,
            queue_init: 0,
            pq_pi: 0,
            pq_ci: 0,
            eq_pi: 0,
            eq_index: 0,
            events_enabled: false,
            pci_access: true,
            masked: vec![false; event::COUNT as usize],
            max_power: 0,
            pll_hz: [0; 16],
            sensors: SensorSettings::default(),
            started: Instant::now(),
            traffic: (Instant::now(), 0, 0),
            silent: false,
            stats: FwStats::default(),
        }
    }

    /// Serves a register read if the register belongs to the firmware.
    pub fn read(&self, off: u32) -> Option<u32> {
        Some(match off {
            CPU_BOOT_STATUS => self.boot_status,
            KMD_MSG_TO_CPU => self.kmd_msg,
            CPU_CMD_STATUS_TO_HOST => self.cmd_status,
            CPU_BOOT_DEV_STS0 => self.sts0,
            CPU_BOOT_DEV_STS1 => STS_ENABLED,
            CPU_BOOT_ERR0 | CPU_BOOT_ERR1 => STS_ENABLED,
            PREBOOT_VER_OFFSET => PREBOOT_VER_SRAM_OFFSET,
            UBOOT_VER_OFFSET => UBOOT_VER_SRAM_OFFSET,
            CPU_IF_CPU_MSB_ADDR => self.msb_addr,
            CPU_IF_PQ_BASE_ADDR_LOW => self.pq_base as u32,
            CPU_IF_PQ_BASE_ADDR_HIGH => (self.pq_base >> 32) as u32,
            CPU_IF_PQ_LENGTH => self.pq_len,
            CPU_IF_CQ_BASE_ADDR_LOW => self.cq_base as u32,
            CPU_IF_CQ_BASE_ADDR_HIGH => (self.cq_base >> 32) as u32,
            CPU_IF_CQ_LENGTH => self.cq_len,
            CPU_IF_EQ_BASE_ADDR_LOW => self.eq_base as u32,
            CPU_IF_EQ_BASE_ADDR_HIGH => (self.eq_base >> 32) as u32,
            CPU_IF_EQ_LENGTH => self.eq_len,
            CPU_IF_EQ_RD_OFFS => self.eq_rd,
            CPU_IF_QUEUE_INIT => self.queue_init,
            CPU_IF_PF_PQ_PI => self.pq_pi,
            GIC_SETSPI_NSR => 0,
            _ => return None,
        })
    }

    /// Serves a register write if the register belongs to the firmware; `None` if it does not.
    pub fn write(&mut self, off: u32, v: u32, m: &Mems<'_>) -> Option<Effects> {
        let lo = |x: u64| (x & !0xffff_ffff) | u64::from(v);
        let hi = |x: u64| (x & 0xffff_ffff) | (u64::from(v) << 32);
        let mut fx = Effects::default();
        match off {
            KMD_MSG_TO_CPU => {
                self.kmd_msg = v;
                self.kmd_message(v, m, &mut fx);
            }
            CPU_CMD_STATUS_TO_HOST => self.cmd_status = v,
            CPU_BOOT_STATUS | CPU_BOOT_DEV_STS0 | CPU_BOOT_DEV_STS1 | CPU_BOOT_ERR0
            | CPU_BOOT_ERR1 | PREBOOT_VER_OFFSET | UBOOT_VER_OFFSET => {
                crate::warn!("host wrote {v:#x} to firmware-owned register {off:#x}; ignored");
            }
            CPU_IF_CPU_MSB_ADDR => self.msb_addr = v & 0x7ff,
            CPU_IF_PQ_BASE_ADDR_LOW => self.pq_base = lo(self.pq_base),
            CPU_IF_PQ_BASE_ADDR_HIGH => self.pq_base = hi(self.pq_base),
            CPU_IF_PQ_LENGTH => self.pq_len = v,
            CPU_IF_CQ_BASE_ADDR_LOW => self.cq_base = lo(self.cq_base),
            CPU_IF_CQ_BASE_ADDR_HIGH => self.cq_base = hi(self.cq_base),
            CPU_IF_CQ_LENGTH => self.cq_len = v,
            CPU_IF_EQ_BASE_ADDR_LOW => self.eq_base = lo(self.eq_base),
            CPU_IF_EQ_BASE_ADDR_HIGH => self.eq_base = hi(self.eq_base),
            CPU_IF_EQ_LENGTH => self.eq_len = v,
            CPU_IF_EQ_RD_OFFS => self.eq_rd = v,
            CPU_IF_QUEUE_INIT => self.queue_init = v,
            CPU_IF_PF_PQ_PI => self.pq_pi = v,
            GIC_SETSPI_NSR => self.interrupt(v, m, &mut fx),
            _ => return None,
        }
        Some(fx)
    }

    fn kmd_message(&mut self, v: u32, m: &Mems<'_>, fx: &mut Effects) {
        match (v, self.phase) {
            (kmd::NA, Phase::BootFitAccepted) => {
                self.phase = Phase::BootFit;
                self.boot_status = status::READY_TO_BOOT;
                write_version(
                    &mut write_lock(m.sram),
                    UBOOT_VER_SRAM_OFFSET,
                    UBOOT_VERSION,
                );
                crate::info!("firmware: boot-fit running, waiting for the Linux image");
            }
            (kmd::FIT_RDY, Phase::Preboot) => {
                let sram = read_lock(m.sram);
                let limit = crate::device::SRAM_SIZE - BOOT_FIT_SRAM_OFFSET;
                if fit_ok(&sram, BOOT_FIT_SRAM_OFFSET, limit) {
                    self.cmd_status = 1; // CPU_MSG_OK
                    self.phase = Phase::BootFitAccepted;
                    crate::info!("firmware: boot-fit image accepted");
                } else {
                    self.cmd_status = 2; // CPU_MSG_ERR
                    self.boot_status = status::FIT_CORRUPTED;
                    self.phase = Phase::Halted;
                    crate::warn!("firmware: the boot-fit image in SRAM is not a FIT image");
                }
            }
            (kmd::FIT_RDY, Phase::BootFit) => {
                let hbm = read_lock(m.hbm);
                if fit_ok(&hbm, LINUX_FW_HBM_OFFSET, 0x1000_0000 - LINUX_FW_HBM_OFFSET) {
                    self.phase = Phase::Running;
                    self.boot_status = status::SRAM_AVAIL;
                    self.sts0 = STS_ENABLED | STS0_EQ_INDEX_EN;
                    self.started = Instant::now();
                    crate::info!("firmware: CPU-CP application running");
                } else {
                    self.boot_status = status::FIT_CORRUPTED;
                    self.phase = Phase::Halted;
                    crate::warn!("firmware: the Linux image in HBM is not a FIT image");
                }
            }
            (kmd::GOTO_WFE, _) => {
                self.halt();
            }
            (kmd::RST_DEV, _) => fx.reset = true,
            (kmd::NA, _) => {}
            (other, phase) => {
                crate::warn!(
                    "firmware: message {other} in phase {phase:?} has no meaning; ignored"
                );
            }
        }
    }

    fn halt(&mut self) {
        self.phase = Phase::Halted;
        self.boot_status = status::IN_WFE;
        self.events_enabled = false;
        crate::info!("firmware: CPU halted");
    }

    fn interrupt(&mut self, v: u32, m: &Mems<'_>, fx: &mut Effects) {
        // Interrupts from the device's own blocks become events for the host.
        let from_block = match v {
            spi::MMU_PAGE_FAULT => Some(event::MMU_PAGE_FAULT),
            x if (spi::DMA0_QM..spi::DMA0_QM + 8).contains(&x) => {
                Some(event::DMA0_QM + (x - spi::DMA0_QM) as u16)
            }
            x if (spi::DMA0_CORE..spi::DMA0_CORE + 8).contains(&x) => {
                Some(event::DMA0_CORE + (x - spi::DMA0_CORE) as u16)
            }
            _ => None,
        };
        if let Some(kind) = from_block {
            if !self.silent {
                fx.msi |= self.raise_event(kind, &[], m);
            }
            return;
        }
        if self.phase != Phase::Running || self.silent {
            crate::debug!("firmware: SPI {v} while not running (or silenced); ignored");
            return;
        }
        match v {
            spi::PI_UPDATE => {
                if self.queue_init == qinit::READY_FOR_CP_SINGLE_MSI {
                    self.queue_init = self.init_queues(m);
                } else if self.queue_init == qinit::READY_FOR_HOST {
                    self.serve_pq(m);
                }
            }
            spi::HALT_MACHINE => self.halt(),
            spi::INTS_REGISTER => {
                self.events_enabled = true;
                crate::info!("firmware: host ready for events");
            }
            other => crate::warn!("firmware: SPI {other} is not modelled; ignored"),
        }
    }

    /// Host bus address of an address in the CPU's view of host memory.
    fn cpu_to_bus(&self, a: u64) -> Option<u64> {
        ((a & 0x7f_ffff_ffff) | (u64::from(self.msb_addr) << 39))
            .checked_sub(crate::host::HOST_PHYS_BASE)
    }

    fn init_queues(&mut self, m: &Mems<'_>) -> u32 {
        let lens_ok = [self.pq_len, self.eq_len]
            .iter()
            .all(|l| l.is_power_of_two())
            && self.pq_len >= 16
            && self.eq_len as u64 >= EQ_ENTRY_SIZE;
        if !lens_ok {
            crate::warn!(
                "firmware: CPU queue lengths {} / {} refused",
                self.pq_len,
                self.eq_len
            );
            return qinit::LEN_NOT_POWER_OF_TWO;
        }
        let reach = |a: u64, len: u32| {
            self.cpu_to_bus(a)
                .is_some_and(|b| m.host.check(b, len as usize).is_ok())
        };
        if !reach(self.pq_base, self.pq_len) || !reach(self.eq_base, self.eq_len) {
            crate::warn!(
                "firmware: CPU queue addresses {:#x} / {:#x} not reachable",
                self.pq_base,
                self.eq_base
            );
            return qinit::ILLEGAL_Q_ADDR;
        }
        self.pq_ci = 0;
        self.eq_pi = 0;
        self.eq_index = 0;
        crate::info!(
            "firmware: CPU queues ready (PQ {} B, EQ {} B)",
            self.pq_len,
            self.eq_len
        );
        qinit::READY_FOR_HOST
    }

    fn serve_pq(&mut self, m: &Mems<'_>) {
        let entries = self.pq_len / 16;
        if !entries.is_power_of_two() {
            crate::warn!(
                "firmware: CPU PQ length {} changed after initialisation; not served",
                self.pq_len
            );
            return;
        }
        // The host's index runs over twice the queue length.
        let wrap = entries * 2;
        let pi = self.pq_pi % wrap;
        while self.pq_ci != pi {
            let slot = u64::from(self.pq_ci % entries);
            let Some(bd) = self.cpu_to_bus(self.pq_base).map(|b| b + slot * 16) else {
                return;
            };
            match self.serve_bd(bd, m) {
                Ok(()) => {}
                Err(e) => crate::warn!("firmware: CPU PQ entry at bus {bd:#x}: {e:?}; skipped"),
            }
            self.pq_ci = (self.pq_ci + 1) % wrap;
        }
    }

    fn serve_bd(&mut self, bd: u64, m: &Mems<'_>) -> Result<(), Unmapped> {
        let ptr = m.host.read_u64(bd)?;
        let len = m.host.read_u32(bd + 8)? as usize;
        let pkt_bus = self.cpu_to_bus(ptr).ok_or(Unmapped { addr: ptr })?;
        let mut pkt = vec![0u8; len.clamp(PACKET_SIZE, 4096)];
        m.host.read(pkt_bus, &mut pkt)?;
        let ctl = u32::from_le_bytes(pkt[8..12].try_into().unwrap_or_default());
        let opcode = (ctl >> 16) & 0x1fff;
        let (rc, result) = self.execute(opcode, &pkt, m);
        self.stats.packets += 1;
        crate::debug!("firmware: CPU-CP opcode {opcode} -> rc {rc}, result {result:#x}");
        // Result first, then the return code, then the fence the host polls for.
        m.host.write(pkt_bus, &result.to_le_bytes())?;
        let ctl = (ctl & !0xf000) | (rc << 12);
        m.host.write(pkt_bus + 8, &ctl.to_le_bytes())?;
        m.host
            .write(pkt_bus + 12, &CPUCP_PACKET_FENCE_VAL.to_le_bytes())
    }

    fn execute(&mut self, opcode: u32, pkt: &[u8], m: &Mems<'_>) -> (u32, u64) {
        let value = u64::from_le_bytes(pkt[0..8].try_into().unwrap_or_default());
        let word16 = u32::from_le_bytes(pkt[16..20].try_into().unwrap_or_default());
        let (sensor, attr) = (word16 & 0xffff, word16 >> 16);
        match opcode {
            op::TEST => (RC_OK, value),
            op::INFO_GET => match self.cpu_to_bus(value) {
                Some(bus) => {
                    let n = (word16 as usize).min(INFO_SIZE);
                    match m.host.write(bus, &self.info(m)[..n]) {
                        Ok(()) => (RC_OK, 0),
                        Err(_) => (RC_INVALID_PARAMS, 0),
                    }
                }
                None => (RC_INVALID_PARAMS, 0),
            },
            op::ENABLE_PCI_ACCESS => {
                self.pci_access = true;
                (RC_OK, 0)
            }
            op::DISABLE_PCI_ACCESS => {
                self.pci_access = false;
                (RC_OK, 0)
            }
            // Temperatures in m°C; sensor 0 has the offset and the history.
            op::TEMPERATURE_GET => match (sensor, attr) {
                (0, attr::TEMP_INPUT) => {
                    let t = temp_reading(0) + self.sensors.temp_offset;
                    let h = self.sensors.temp_highest.get_or_insert(t);
                    *h = (*h).max(t);
                    (RC_OK, t as u64)
                }
                (0, attr::TEMP_OFFSET) => (RC_OK, self.sensors.temp_offset as u64),
                (0, attr::TEMP_HIGHEST) => {
                    let now = temp_reading(0) + self.sensors.temp_offset;
                    (RC_OK, self.sensors.temp_highest.unwrap_or(now) as u64)
                }
                (_, attr::TEMP_INPUT) => (RC_OK, temp_reading(sensor) as u64),
                (_, attr::TEMP_MAX) => (RC_OK, 95_000),
                (_, attr::TEMP_CRIT) => (RC_OK, 105_000),
                _ => (RC_INVALID_PARAMS, 0),
            },
            op::TEMPERATURE_SET => match (sensor, attr) {
                (0, attr::TEMP_OFFSET) => {
                    self.sensors.temp_offset = value as i64;
                    (RC_OK, 0)
                }
                (0, attr::TEMP_RESET_HISTORY) => {
                    self.sensors.temp_highest = Some(temp_reading(0) + self.sensors.temp_offset);
                    (RC_OK, 0)
                }
                _ => (RC_INVALID_PARAMS, 0),
            },
            // Voltages in mV.
            op::VOLTAGE_GET => match attr {
                attr::IN_INPUT => {
                    let h = self.sensors.in_highest.get_or_insert(IN_READING);
                    *h = (*h).max(IN_READING);
                    (RC_OK, IN_READING as u64)
                }
                attr::IN_MIN => (RC_OK, 750),
                attr::IN_MAX => (RC_OK, 950),
                attr::IN_HIGHEST => (RC_OK, self.sensors.in_highest.unwrap_or(IN_READING) as u64),
                _ => (RC_INVALID_PARAMS, 0),
            },
            op::VOLTAGE_SET => match attr {
                attr::IN_RESET_HISTORY => {
                    self.sensors.in_highest = Some(IN_READING);
                    (RC_OK, 0)
                }
                _ => (RC_INVALID_PARAMS, 0),
            },
            op::CURRENT_GET => match attr {
                1 => (RC_OK, 80_000), // mA
                3 => (RC_OK, 300_000),
                _ => (RC_INVALID_PARAMS, 0),
            },
            op::FAN_SPEED_GET => match attr {
                1 => (RC_OK, 6_000), // rpm
                _ => (RC_INVALID_PARAMS, 0),
            },
            op::PWM_GET => match attr {
                attr::PWM_INPUT => (RC_OK, self.sensors.pwm.0),
                attr::PWM_ENABLE => (RC_OK, self.sensors.pwm.1),
                _ => (RC_INVALID_PARAMS, 0),
            },
            // A duty cycle of 0 to 255; modes 0 (full speed), 1 (manual), 2 (automatic).
            op::PWM_SET => match attr {
                attr::PWM_INPUT if value <= 255 => {
                    self.sensors.pwm.0 = value;
                    (RC_OK, 0)
                }
                attr::PWM_ENABLE if value <= 2 => {
                    self.sensors.pwm.1 = value;
                    (RC_OK, 0)
                }
                _ => (RC_INVALID_PARAMS, 0),
            },
            op::POWER_GET => (RC_OK, POWER_MW),
            op::TOTAL_ENERGY_GET => (
                RC_OK,
                POWER_MW * self.started.elapsed().as_millis() as u64 / 1000,
            ),
            // Throughput since the previous query, from the device's real host traffic: index 1
            // is what the device received (its reads of host memory), 0 what it sent; KB/s.
            op::PCIE_THROUGHPUT_GET if word16 <= 1 => {
                let (rx, tx) = m.host.traffic();
                let (then, rx0, tx0) = self.traffic;
                let secs = then.elapsed().as_secs_f64().max(1e-3);
                let bytes = if word16 == 1 { rx - rx0 } else { tx - tx0 };
                self.traffic = (Instant::now(), rx, tx);
                (RC_OK, (bytes as f64 / 1024.0 / secs) as u64)
            }
            op::PCIE_THROUGHPUT_GET => (RC_INVALID_PARAMS, 0),
            // The emulated link never retries a packet.
            op::PCIE_REPLAY_CNT_GET => (RC_OK, 0),
            op::MAX_POWER_SET => {
                self.max_power = value;
                (RC_OK, 0)
            }
            op::MAX_POWER_GET => (RC_OK, self.max_power),
            op::FREQUENCY_SET => match self.pll_hz.get_mut(word16 as usize) {
                Some(f) => {
                    *f = value;
                    (RC_OK, 0)
                }
                None => (RC_INVALID_PARAMS, 0),
            },
            op::FREQUENCY_GET | op::FREQUENCY_CURR_GET => match self.pll_hz.get(word16 as usize) {
                Some(f) => (RC_OK, *f),
                None => (RC_INVALID_PARAMS, 0),
            },
            op::PLL_INFO_GET => (RC_OK, 1600 | (1600 << 16) | (100 << 32) | (100 << 48)),
            op::UNMASK_RAZWI_IRQ => match self.masked.get_mut(value as usize) {
                Some(b) => {
                    *b = false;
                    (RC_OK, 0)
                }
                None => (RC_INVALID_PARAMS, 0),
            },
            op::UNMASK_RAZWI_IRQ_ARRAY => {
                // length @24, then that many u32 event ids.
                let n = pkt
                    .get(24..28)
                    .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap_or_default()));
                let ids = pkt.get(28..28 + 4 * n as usize);
                match ids {
                    Some(ids) => {
                        for id in ids.chunks_exact(4) {
                            let id = u32::from_le_bytes(id.try_into().unwrap_or_default());
                            if let Some(b) = self.masked.get_mut(id as usize) {
                                *b = false;
                            }
                        }
                        (RC_OK, 0)
                    }
                    None => (RC_INVALID_PARAMS, 0),
                }
            }
            // The emulated HBM never fails, so no row was replaced: the row record stays empty.
            op::HBM_REPLACED_ROWS_INFO_GET => match self.cpu_to_bus(value) {
                Some(bus) => {
                    let zeros = vec![0u8; (word16 as usize).min(INFO_SIZE)];
                    match m.host.write(bus, &zeros) {
                        Ok(()) => (RC_OK, 0),
                        Err(_) => (RC_INVALID_PARAMS, 0),
                    }
                }
                None => (RC_INVALID_PARAMS, 0),
            },
            // ... and none waits for repair.
            op::HBM_PENDING_ROWS_STATUS => (RC_OK, 0),
            op::EEPROM_DATA_GET => match self.cpu_to_bus(value) {
                Some(bus) => {
                    let data = b"hl-model emulated Gaudi EEPROM\0";
                    let n = (word16 as usize).min(data.len());
                    match m.host.write(bus, &data[..n]) {
                        Ok(()) => (RC_OK, n as u64),
                        Err(_) => (RC_INVALID_PARAMS, 0),
                    }
                }
                None => (RC_INVALID_PARAMS, 0),
            },
            _ => {
                self.stats.unsupported += 1;
                crate::warn!(
                    "firmware: CPU-CP opcode {opcode} is not modelled; answered 'invalid'"
                );
                (RC_INVALID, 0)
            }
        }
    }

    /// `struct cpucp_info` as the firmware reports it.
    pub fn info(&self, m: &Mems<'_>) -> Vec<u8> {
        let mut b = vec![0u8; INFO_SIZE];
        let put = |b: &mut Vec<u8>, off: usize, s: &[u8]| b[off..off + s.len()].copy_from_slice(s);
        // Sensors {type, flags} with the kernel's hwmon numbering: two temperatures (the
        // first with an offset and a history), one voltage (with a history), one current, one
        // fan with its PWM control, one power.
        let bit = |a: u32| 1u32 << a;
        let temp = bit(attr::TEMP_INPUT) | bit(attr::TEMP_MAX) | bit(attr::TEMP_CRIT);
        let sensors: [(u32, u32); 7] = [
            (
                1,
                temp | bit(attr::TEMP_OFFSET)
                    | bit(attr::TEMP_HIGHEST)
                    | bit(attr::TEMP_RESET_HISTORY),
            ),
            (1, temp),
            (
                2,
                bit(attr::IN_INPUT)
                    | bit(attr::IN_MIN)
                    | bit(attr::IN_MAX)
                    | bit(attr::IN_HIGHEST)
                    | bit(attr::IN_RESET_HISTORY),
            ),
            (3, (1 << 1) | (1 << 3)),
            (8, 1 << 1),
            (9, bit(attr::PWM_INPUT) | bit(attr::PWM_ENABLE)),
            (4, 1 << 9),
        ];
        for (i, (t, f)) in sensors.iter().enumerate() {
            put(&mut b, i * 8, &t.to_le_bytes());
            put(&mut b, i * 8 + 4, &f.to_le_bytes());
        }
        put(&mut b, 0x400, b"Linux gaudi 5.10.0-fw-0.1.0 (hl-model)");
        put(&mut b, 0x484, &0u32.to_le_bytes()); // PCI card
        put(&mut b, 0x488, &0u32.to_le_bytes());
        put(&mut b, 0x48C, &0x10u32.to_le_bytes());
        put(&mut b, 0x494, b"hl-model fuse 0.1.0");
        put(&mut b, 0x514, b"hl-model thermal 0.1.0");
        put(&mut b, 0x594, b"0.1.0-hl-model");
        let hbm = read_lock(m.hbm).size();
        put(&mut b, 0x618, &hbm.to_le_bytes());
        put(&mut b, 0x620, CARD_NAME.as_bytes());
        b[0x647] = 0; // no event-queue heartbeat
        put(&mut b, 0x668, b"hl-model os 0.1.0");
        b
    }

    /// Writes an event to the event queue. Returns whether the MSI must be sent.
    pub fn raise_event(&mut self, kind: u16, payload: &[u8], m: &Mems<'_>) -> bool {
        let masked = self.masked.get(kind as usize).copied().unwrap_or(true);
        if !self.events_enabled || self.phase != Phase::Running || masked || self.eq_len == 0 {
            self.stats.events_dropped += 1;
            crate::warn!("firmware: event {kind} dropped (host not ready or event masked)");
            return false;
        }
        let n = self.eq_len / EQ_ENTRY_SIZE as u32;
        if n < 2 {
            self.stats.events_dropped += 1;
            crate::warn!(
                "firmware: event queue of {} bytes cannot hold events; event {kind} dropped",
                self.eq_len
            );
            return false;
        }
        if (self.eq_pi + 1) % n == self.eq_rd % n {
            self.stats.events_dropped += 1;
            crate::warn!("firmware: event queue full; event {kind} dropped");
            return false;
        }
        let Some(base) = self.cpu_to_bus(self.eq_base) else {
            return false;
        };
        let at = base + u64::from(self.eq_pi) * EQ_ENTRY_SIZE;
        let mut entry = [0u8; EQ_ENTRY_SIZE as usize];
        let n_pay = payload.len().min(56);
        entry[8..8 + n_pay].copy_from_slice(&payload[..n_pay]);
        self.eq_index = self.eq_index.wrapping_add(1);
        // Payload first, then the header with the ready bit.
        if m.host.write(at + 8, &entry[8..]).is_err() {
            return false;
        }
        let ctl = (1u32 << 31) | (u32::from(kind) << 16) | u32::from(self.eq_index);
        if m.host.write(at + 4, &ctl.to_le_bytes()).is_err() {
            return false;
        }
        self.eq_pi = (self.eq_pi + 1) % n;
        self.stats.events += 1;
        // The firmware masks an event until the host unmasks it, except the fatal ones.
        if kind != event::FW_ALIVE_S && kind != event::DEV_RESET_REQ {
            self.masked[kind as usize] = true;
        }
        true
    }

    /// Whether the host may be interrupted and reached by DMA (after ENABLE_PCI_ACCESS).
    pub fn pci_access(&self) -> bool {
        self.pci_access
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::test_memfd;

    struct Rig {
        sram: RwLock<Memory>,
        hbm: RwLock<Memory>,
        host: HostMemory,
        fw: Firmware,
    }

    /// A FIT image stand-in: an FDT header and padding.
    fn fit(size: u32) -> Vec<u8> {
        let mut v = vec![0u8; size as usize];
        v[0..4].copy_from_slice(&0xd00d_feedu32.to_be_bytes());
        v[4..8].copy_from_slice(&size.to_be_bytes());
        v
    }

    const BUS: u64 = 0x10_0000;
    /// CPU view of bus address `BUS` with MSB_ADDR 1.
    const CPU_VIEW: u64 = BUS | (1 << 39);

    impl Rig {
        fn new() -> Rig {
            let sram = RwLock::new(Memory::new(crate::device::SRAM_SIZE).unwrap());
            let hbm = RwLock::new(Memory::new(1 << 30).unwrap());
            let fw = Firmware::new(&sram);
            let host = HostMemory::default();
            host.map(BUS, 1 << 20, 0, &test_memfd(1 << 20)).unwrap();
            Rig {
                sram,
                hbm,
                host,
                fw,
            }
        }
        fn w(&mut self, off: u32, v: u32) -> Effects {
            let m = Mems {
                sram: &self.sram,
                hbm: &self.hbm,
                host: &self.host,
            };
            self.fw.write(off, v, &m).expect("a firmware register")
        }
        fn r(&self, off: u32) -> u32 {
            self.fw.read(off).expect("a firmware register")
        }
        /// Drives the static loader the way the upstream driver does, with valid images.
        fn boot(&mut self) {
            self.sram
                .write()
                .unwrap()
                .write(BOOT_FIT_SRAM_OFFSET, &fit(4096))
                .unwrap();
            self.w(CPU_CMD_STATUS_TO_HOST, 0);
            self.w(KMD_MSG_TO_CPU, kmd::FIT_RDY);
            assert_eq!(self.r(CPU_CMD_STATUS_TO_HOST), 1);
            self.w(KMD_MSG_TO_CPU, kmd::NA);
            assert_eq!(self.r(CPU_BOOT_STATUS), status::READY_TO_BOOT);
            self.hbm
                .write()
                .unwrap()
                .write(LINUX_FW_HBM_OFFSET, &fit(8192))
                .unwrap();
            self.w(KMD_MSG_TO_CPU, kmd::FIT_RDY);
            assert_eq!(self.r(CPU_BOOT_STATUS), status::SRAM_AVAIL);
            self.w(KMD_MSG_TO_CPU, kmd::NA);
        }
        /// Sets up the CPU queues: PQ at BUS, EQ at BUS + 64K.
        fn queues(&mut self) {
            self.w(CPU_IF_CPU_MSB_ADDR, 1);
            self.w(CPU_IF_PQ_BASE_ADDR_LOW, CPU_VIEW as u32);
            self.w(CPU_IF_PQ_BASE_ADDR_HIGH, (CPU_VIEW >> 32) as u32);
            self.w(CPU_IF_EQ_BASE_ADDR_LOW, (CPU_VIEW + 0x1_0000) as u32);
            self.w(CPU_IF_EQ_BASE_ADDR_HIGH, (CPU_VIEW >> 32) as u32);
            self.w(CPU_IF_PQ_LENGTH, 4096 * 16);
            self.w(CPU_IF_EQ_LENGTH, 4096);
            self.w(CPU_IF_QUEUE_INIT, qinit::READY_FOR_CP_SINGLE_MSI);
            self.w(GIC_SETSPI_NSR, spi::PI_UPDATE);
            assert_eq!(self.r(CPU_IF_QUEUE_INIT), qinit::READY_FOR_HOST);
        }
        /// Sends one packet as the driver does and returns (rc, result, fence).
        fn send(&mut self, pi: &mut u32, opcode: u32, value: u64, word16: u32) -> (u32, u64, u32) {
            let pkt_bus = BUS + 0x2_0000;
            let mut p = [0u8; 24];
            p[0..8].copy_from_slice(&value.to_le_bytes());
            p[8..12].copy_from_slice(&(opcode << 16).to_le_bytes());
            p[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
            p[16..20].copy_from_slice(&word16.to_le_bytes());
            self.host.write(pkt_bus, &p).unwrap();
            let slot = BUS + u64::from(*pi % 4096) * 16;
            *pi = (*pi + 1) % 8192;
            let mut bd = [0u8; 16];
            bd[0..8].copy_from_slice(&(pkt_bus | (1 << 39)).to_le_bytes());
            bd[8..12].copy_from_slice(&24u32.to_le_bytes());
            bd[12..16].copy_from_slice(&pi.to_le_bytes());
            self.host.write(slot, &bd).unwrap();
            self.w(CPU_IF_PF_PQ_PI, *pi);
            self.w(GIC_SETSPI_NSR, spi::PI_UPDATE);
            let ctl = self.host.read_u32(pkt_bus + 8).unwrap();
            (
                (ctl >> 12) & 0xf,
                self.host.read_u64(pkt_bus).unwrap(),
                self.host.read_u32(pkt_bus + 12).unwrap(),
            )
        }
    }

    #[test]
    fn preboot_reports_what_the_driver_waits_for() {
        let r = Rig::new();
        assert_eq!(r.r(CPU_BOOT_STATUS), status::WAITING_FOR_BOOT_FIT);
        assert_eq!(r.r(CPU_BOOT_DEV_STS0) & (1 << 16), 0, "static loader");
        assert_ne!(r.r(CPU_BOOT_DEV_STS0) & STS_ENABLED, 0);
        let off = r.r(PREBOOT_VER_OFFSET);
        assert!(off < 0x13F_FF80);
        let mut s = [0u8; 128];
        r.sram.read().unwrap().read(u64::from(off), &mut s).unwrap();
        assert!(String::from_utf8_lossy(&s).contains("Preboot version"));
    }

    #[test]
    fn static_handshake_boots_with_valid_images() {
        let mut r = Rig::new();
        r.boot();
        assert_eq!(r.fw.phase, Phase::Running);
        assert_ne!(r.r(CPU_BOOT_DEV_STS0) & STS0_EQ_INDEX_EN, 0);
    }

    #[test]
    fn corrupted_images_are_reported_not_accepted() {
        let mut r = Rig::new();
        r.sram
            .write()
            .unwrap()
            .write(BOOT_FIT_SRAM_OFFSET, b"garbage!")
            .unwrap();
        r.w(KMD_MSG_TO_CPU, kmd::FIT_RDY);
        assert_eq!(r.r(CPU_CMD_STATUS_TO_HOST), 2);
        assert_eq!(r.r(CPU_BOOT_STATUS), status::FIT_CORRUPTED);

        let mut r = Rig::new();
        r.sram
            .write()
            .unwrap()
            .write(BOOT_FIT_SRAM_OFFSET, &fit(4096))
            .unwrap();
        r.w(KMD_MSG_TO_CPU, kmd::FIT_RDY);
        r.w(KMD_MSG_TO_CPU, kmd::NA);
        // No Linux image in HBM.
        r.w(KMD_MSG_TO_CPU, kmd::FIT_RDY);
        assert_eq!(r.r(CPU_BOOT_STATUS), status::FIT_CORRUPTED);
        assert_eq!(r.fw.phase, Phase::Halted);
    }

    #[test]
    fn queue_init_checks_lengths_and_addresses() {
        let mut r = Rig::new();
        r.boot();
        r.w(CPU_IF_CPU_MSB_ADDR, 1);
        r.w(CPU_IF_PQ_LENGTH, 1000);
        r.w(CPU_IF_EQ_LENGTH, 4096);
        r.w(CPU_IF_QUEUE_INIT, qinit::READY_FOR_CP_SINGLE_MSI);
        r.w(GIC_SETSPI_NSR, spi::PI_UPDATE);
        assert_eq!(r.r(CPU_IF_QUEUE_INIT), qinit::LEN_NOT_POWER_OF_TWO);
        r.w(CPU_IF_PQ_LENGTH, 65536);
        r.w(CPU_IF_PQ_BASE_ADDR_LOW, 0x4000_0000); // not mapped
        r.w(CPU_IF_PQ_BASE_ADDR_HIGH, 0x80);
        r.w(CPU_IF_QUEUE_INIT, qinit::READY_FOR_CP_SINGLE_MSI);
        r.w(GIC_SETSPI_NSR, spi::PI_UPDATE);
        assert_eq!(r.r(CPU_IF_QUEUE_INIT), qinit::ILLEGAL_Q_ADDR);
        r.queues();
    }

    #[test]
    fn listed_sensor_settings_are_kept_and_applied() {
        let mut r = Rig::new();
        r.boot();
        r.queues();
        let mut pi = 0;
        let w = |s: u32, a: u32| s | (a << 16);
        let mut send = |op, value, word16| {
            let (rc, v, _) = r.send(&mut pi, op, value, word16);
            (rc, v)
        };
        // An offset of -2.5 °C moves the reading; the highest is what was read before.
        assert_eq!(
            send(op::TEMPERATURE_GET, 0, w(0, attr::TEMP_INPUT)),
            (0, 40_000)
        );
        assert_eq!(
            send(
                op::TEMPERATURE_SET,
                -2500i64 as u64,
                w(0, attr::TEMP_OFFSET)
            ),
            (0, 0)
        );
        assert_eq!(
            send(op::TEMPERATURE_GET, 0, w(0, attr::TEMP_OFFSET)).1 as i64,
            -2500
        );
        assert_eq!(
            send(op::TEMPERATURE_GET, 0, w(0, attr::TEMP_INPUT)),
            (0, 37_500)
        );
        assert_eq!(
            send(op::TEMPERATURE_GET, 0, w(0, attr::TEMP_HIGHEST)),
            (0, 40_000)
        );
        assert_eq!(
            send(op::TEMPERATURE_SET, 1, w(0, attr::TEMP_RESET_HISTORY)),
            (0, 0)
        );
        assert_eq!(
            send(op::TEMPERATURE_GET, 0, w(0, attr::TEMP_HIGHEST)),
            (0, 37_500)
        );
        // The second sensor lists neither.
        assert_eq!(
            send(op::TEMPERATURE_SET, 5, w(1, attr::TEMP_OFFSET)).0,
            RC_INVALID_PARAMS
        );
        assert_eq!(
            send(op::VOLTAGE_SET, 1, w(0, attr::IN_RESET_HISTORY)),
            (0, 0)
        );
        assert_eq!(send(op::VOLTAGE_GET, 0, w(0, attr::IN_HIGHEST)), (0, 850));
        // PWM: a duty cycle up to 255, a mode up to 2.
        assert_eq!(send(op::PWM_SET, 200, w(0, attr::PWM_INPUT)), (0, 0));
        assert_eq!(send(op::PWM_GET, 0, w(0, attr::PWM_INPUT)), (0, 200));
        assert_eq!(
            send(op::PWM_SET, 256, w(0, attr::PWM_INPUT)).0,
            RC_INVALID_PARAMS
        );
        assert_eq!(
            send(op::PWM_SET, 3, w(0, attr::PWM_ENABLE)).0,
            RC_INVALID_PARAMS
        );
        assert_eq!(send(op::PWM_GET, 0, w(0, attr::PWM_ENABLE)), (0, 2));
    }

    #[test]
    fn cpucp_packets_are_answered_with_fence_rc_and_result() {
        let mut r = Rig::new();
        r.boot();
        r.queues();
        let mut pi = 0;
        assert_eq!(
            r.send(&mut pi, op::TEST, u64::from(CPUCP_PACKET_FENCE_VAL), 0),
            (0, u64::from(CPUCP_PACKET_FENCE_VAL), CPUCP_PACKET_FENCE_VAL)
        );
        let (rc, t, _) = r.send(&mut pi, op::TEMPERATURE_GET, 0, 1 << 16);
        assert_eq!((rc, t), (0, 40_000));
        let (rc, _, fence) = r.send(&mut pi, 63, 0, 0);
        assert_eq!(
            (rc, fence),
            (RC_INVALID, CPUCP_PACKET_FENCE_VAL),
            "unknown opcode: a clear error"
        );
        assert_eq!(r.fw.stats.unsupported, 1);
        // INFO_GET writes cpucp_info where asked, card name included.
        let buf = BUS + 0x3_0000;
        let (rc, _, _) = r.send(&mut pi, op::INFO_GET, buf | (1 << 39), INFO_SIZE as u32);
        assert_eq!(rc, 0);
        let mut name = [0u8; 5];
        r.host.read(buf + 0x620, &mut name).unwrap();
        assert_eq!(&name, b"HL205");
        assert_eq!(r.host.read_u64(buf + 0x618).unwrap(), 1 << 30);
        // The PQ index wraps at twice the queue length.
        let mut pi = 8190;
        r.fw.pq_ci = 8190;
        for _ in 0..4 {
            assert_eq!(r.send(&mut pi, op::TEST, 7, 0).1, 7);
        }
        assert_eq!(pi, 2);
    }

    #[test]
    fn events_need_the_host_and_respect_masks_and_queue_space() {
        let mut r = Rig::new();
        r.boot();
        r.queues();
        let m = Mems {
            sram: &r.sram,
            hbm: &r.hbm,
            host: &r.host,
        };
        assert!(
            !r.fw.raise_event(event::MMU_PAGE_FAULT, &[], &m),
            "before INTS_REGISTER"
        );
        r.w(GIC_SETSPI_NSR, spi::INTS_REGISTER);
        let m = Mems {
            sram: &r.sram,
            hbm: &r.hbm,
            host: &r.host,
        };
        assert!(r.fw.raise_event(event::MMU_PAGE_FAULT, &[1, 2, 3], &m));
        let ctl = r.host.read_u32(BUS + 0x1_0000 + 4).unwrap();
        assert_eq!(
            ctl,
            (1 << 31) | (380 << 16) | 1,
            "ready, type, first index 1"
        );
        assert!(
            !r.fw.raise_event(event::MMU_PAGE_FAULT, &[], &m),
            "masked until unmasked"
        );
        let mut pi = 0;
        assert_eq!(r.send(&mut pi, op::UNMASK_RAZWI_IRQ, 380, 0).0, 0);
        let m = Mems {
            sram: &r.sram,
            hbm: &r.hbm,
            host: &r.host,
        };
        assert!(r.fw.raise_event(event::MMU_PAGE_FAULT, &[], &m));
        assert_eq!(
            r.host.read_u32(BUS + 0x1_0000 + 64 + 4).unwrap() & 0xffff,
            2
        );
        // Fatal events are not masked; a full queue drops them.
        for _ in 0..61 {
            assert!(r.fw.raise_event(event::DEV_RESET_REQ, &[], &m));
        }
        assert!(
            !r.fw.raise_event(event::DEV_RESET_REQ, &[], &m),
            "63 entries outstanding: full"
        );
        r.fw.eq_rd = 10;
        assert!(r.fw.raise_event(event::DEV_RESET_REQ, &[], &m));
    }

    #[test]
    fn pcie_throughput_reflects_real_host_traffic() {
        let mut r = Rig::new();
        r.boot();
        r.queues();
        let mut pi = 0;
        r.send(&mut pi, op::PCIE_THROUGHPUT_GET, 0, 1); // start a sample
        r.host.write(BUS + 0x8_0000, &[7u8; 65536]).unwrap(); // 64 KiB sent by the device
        let (rc, tx, _) = r.send(&mut pi, op::PCIE_THROUGHPUT_GET, 0, 0);
        assert_eq!(rc, 0);
        assert!(tx > 0, "the device wrote to the host: non-zero tx");
        assert_eq!(
            r.send(&mut pi, op::PCIE_THROUGHPUT_GET, 0, 7).0,
            RC_INVALID_PARAMS
        );
    }

    #[test]
    fn halt_and_silence_stop_the_service() {
        let mut r = Rig::new();
        r.boot();
        r.queues();
        r.fw.silent = true;
        let mut pi = 0;
        let (_, _, fence) = r.send(&mut pi, op::TEST, 5, 0);
        assert_eq!(
            fence,
            u32::MAX,
            "a silent firmware never completes the packet"
        );
        r.fw.silent = false;
        r.w(GIC_SETSPI_NSR, spi::HALT_MACHINE);
        assert_eq!(r.r(CPU_BOOT_STATUS), status::IN_WFE);
    }
}
