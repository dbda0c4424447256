// SPDX-License-Identifier: GPL-2.0

//! Telling user space of device events: `HL_INFO_REGISTER_EVENTFD`, `HL_INFO_UNREGISTER_EVENTFD`
//! and `HL_INFO_GET_EVENTS`.
//!
//! The open compute file may register one eventfd. When the driver meets an event user space
//! cares about (a CS timeout, a failed heartbeat, a hardware or firmware error that resets the
//! device, and the recoverable errors and reports upstream's Gaudi handler passes on), it sets
//! the event's `HL_NOTIFIER_EVENT_*` bits in the file's mask and signals the eventfd if there
//! is one; GET_EVENTS returns the mask and clears it. As upstream, the mask
//! is kept whether or not an eventfd is registered, and both start afresh with each open. The
//! eventfd is released at close.

use crate::capture::{Captured, FwErr};
use kernel::{eventfd::EventFd, prelude::*, uapi};

/// The bits the driver sends (`HL_NOTIFIER_EVENT_*`).
pub(crate) mod bits {
    use kernel::uapi;
    pub(crate) const DEVICE_RESET: u64 = uapi::HL_NOTIFIER_EVENT_DEVICE_RESET as u64;
    pub(crate) const CS_TIMEOUT: u64 = uapi::HL_NOTIFIER_EVENT_CS_TIMEOUT as u64;
    pub(crate) const DEVICE_UNAVAILABLE: u64 = uapi::HL_NOTIFIER_EVENT_DEVICE_UNAVAILABLE as u64;
    pub(crate) const GENERAL_HW_ERR: u64 = uapi::HL_NOTIFIER_EVENT_GENERAL_HW_ERR as u64;
    pub(crate) const CRITICAL_HW_ERR: u64 = uapi::HL_NOTIFIER_EVENT_CRITICL_HW_ERR as u64;
    pub(crate) const CRITICAL_FW_ERR: u64 = uapi::HL_NOTIFIER_EVENT_CRITICL_FW_ERR as u64;
    pub(crate) const USER_ENGINE_ERR: u64 = uapi::HL_NOTIFIER_EVENT_USER_ENGINE_ERR as u64;
    pub(crate) const PAGE_FAULT: u64 = uapi::HL_NOTIFIER_EVENT_PAGE_FAULT as u64;
    pub(crate) const UNDEFINED_OPCODE: u64 = uapi::HL_NOTIFIER_EVENT_UNDEFINED_OPCODE as u64;
    pub(crate) const TPC_ASSERT: u64 = uapi::HL_NOTIFIER_EVENT_TPC_ASSERT as u64;
    pub(crate) const RAZWI: u64 = uapi::HL_NOTIFIER_EVENT_RAZWI as u64;
}

/// The firmware's report that it came back after a crash (`GAUDI_EVENT_FW_ALIVE_S`).
const FW_ALIVE_S: u16 = 645;
/// An access the firmware caught a user engine making (`GAUDI_EVENT_RAZWI_OR_ADC_SW`).
const RAZWI_OR_ADC_SW: u16 = 662;

/// What a firmware event that calls for a reset tells user space, as upstream: a firmware
/// error for the firmware's own restart, a user engine's error for an illegal access the
/// firmware caught, a (critical, since it resets) hardware error for the others.
pub(crate) fn reset_event_bits(kind: u16) -> u64 {
    match kind {
        FW_ALIVE_S => bits::CRITICAL_FW_ERR | bits::DEVICE_RESET,
        RAZWI_OR_ADC_SW => bits::USER_ENGINE_ERR | bits::DEVICE_RESET,
        _ => bits::GENERAL_HW_ERR | bits::CRITICAL_HW_ERR | bits::DEVICE_RESET,
    }
}

/// Keeps what a firmware event that resets the device tells of its cause, given the bits
/// [`reset_event_bits`] gave it, as upstream: the firmware's own error for a firmware error,
/// a hardware error for a hardware error that the reset escalates to critical.
pub(crate) fn capture_reset_event(c: &mut Captured, kind: u16, mask: u64) {
    if mask & bits::CRITICAL_FW_ERR != 0 {
        c.fw_err(FwErr::Reported(kind));
    }
    if mask & bits::GENERAL_HW_ERR != 0 {
        c.hw_err(kind);
    }
}

/// Single-bit ECC errors (and the MMU's), address-decode and PCIe errors: a general hardware
/// error the device recovers from.
const HW_ERR_EVENTS: &[(u16, u16)] = &[
    (32, 32),
    (34, 34),
    (36, 36),
    (38, 45),
    (54, 54),
    (56, 56),
    (58, 58),
    (60, 60),
    (62, 62),
    (64, 64),
    (66, 66),
    (68, 68),
    (70, 77),
    (86, 86),
    (88, 89),
    (92, 123),
    (156, 160),
    (176, 179),
    (185, 188),
    (193, 193),
    (200, 200),
    (257, 257),
    (262, 263),
];
/// The HBMs' recoverable interrupts (`GAUDI_EVENT_HBMn_SPI_1`).
const HBM_EVENTS: &[(u16, u16)] = &[(396, 396), (400, 400), (404, 404), (408, 408)];
/// The TPCs' address-decode errors, which upstream also reports as TPC assertions.
const TPC_DEC_EVENTS: &[(u16, u16)] = &[
    (201, 201),
    (203, 203),
    (205, 205),
    (207, 207),
    (209, 209),
    (211, 211),
    (213, 213),
    (215, 215),
];
/// The TPCs' kernel errors.
const TPC_KRN_EVENTS: &[(u16, u16)] = &[
    (301, 301),
    (307, 307),
    (313, 313),
    (319, 319),
    (325, 325),
    (331, 331),
    (337, 337),
    (343, 343),
];
/// The MMU's page fault and access-permission events.
const MMU_EVENTS: &[(u16, u16)] = &[(380, 381)];
/// Queue and engine errors of every QMAN, the DMA cores and the MMEs' responses: an engine
/// error, and a reset the device does not need.
const ENGINE_EVENTS: &[(u16, u16)] = &[
    (219, 220),
    (224, 225),
    (229, 230),
    (234, 235),
    (548, 548),
    (572, 579),
    (581, 590),
    (594, 611),
];
/// Bus monitors, the NICs' and DMA interfaces' error indications, thermal throttling and the
/// board's high-temperature line: reported as engine errors.
const REPORT_EVENTS: &[(u16, u16)] = &[
    (264, 268),
    (277, 280),
    (300, 300),
    (306, 306),
    (312, 312),
    (318, 318),
    (324, 324),
    (330, 330),
    (336, 336),
    (342, 342),
    (383, 390),
    (421, 421),
    (660, 661),
];
/// The DMA QMANs' error events, DMA0 to DMA7.
const DMA_QM_EVENTS: core::ops::RangeInclusive<u16> = 583..=590;
/// Events that reset the device and after which upstream looks at the MMU's capture (double-bit
/// ECC errors and the firmware's RAZWI report).
const RESET_CHECKS_MMU: &[(u16, u16)] = &[
    (33, 33),
    (35, 35),
    (37, 37),
    (46, 53),
    (55, 55),
    (57, 57),
    (59, 59),
    (61, 61),
    (63, 63),
    (65, 65),
    (67, 67),
    (69, 69),
    (78, 85),
    (87, 87),
    (90, 91),
    (124, 155),
    (166, 170),
    (180, 183),
    (189, 192),
    (194, 194),
    (483, 499),
    (662, 662),
];

use crate::events::within;

/// What an event that does not reset the device tells user space, as upstream's Gaudi
/// handler sends it; 0 for the others.
pub(crate) fn event_bits(kind: u16) -> u64 {
    if within(kind, HW_ERR_EVENTS) || within(kind, HBM_EVENTS) {
        bits::GENERAL_HW_ERR
    } else if within(kind, TPC_DEC_EVENTS) {
        bits::TPC_ASSERT | bits::USER_ENGINE_ERR | bits::DEVICE_RESET
    } else if within(kind, TPC_KRN_EVENTS) || within(kind, ENGINE_EVENTS) {
        bits::USER_ENGINE_ERR | bits::DEVICE_RESET
    } else if within(kind, MMU_EVENTS) || within(kind, REPORT_EVENTS) {
        bits::USER_ENGINE_ERR
    } else {
        0
    }
}

/// The DMA engine whose QMAN event `kind` is, if it is one.
pub(crate) fn dma_qm_engine(kind: u16) -> Option<u32> {
    DMA_QM_EVENTS
        .contains(&kind)
        .then(|| u32::from(kind - DMA_QM_EVENTS.start()))
}

/// Whether upstream looks at the MMU's fault capture when event `kind` arrives (an engine's
/// failed access is reported by whichever of these events comes first).
pub(crate) fn checks_mmu(kind: u16) -> bool {
    [
        HW_ERR_EVENTS,
        TPC_DEC_EVENTS,
        TPC_KRN_EVENTS,
        MMU_EVENTS,
        ENGINE_EVENTS,
        RESET_CHECKS_MMU,
    ]
    .iter()
    .any(|t| within(kind, t))
}

/// The compute file's eventfd and pending events.
#[derive(Default)]
pub(crate) struct Notifier {
    /// A compute file is open: events are recorded.
    open: bool,
    eventfd: Option<EventFd>,
    events: u64,
}

impl Notifier {
    /// A compute file was opened: nothing registered, nothing pending.
    pub(crate) fn opened(&mut self) {
        *self = Self {
            open: true,
            ..Self::default()
        };
    }

    /// The compute file was closed: its eventfd is released.
    pub(crate) fn closed(&mut self) {
        *self = Self::default();
    }

    /// Registers eventfd `fd` of the calling process: `EINVAL` if one is registered already
    /// or `fd` is not an eventfd, `EBADF` if it is not a descriptor.
    pub(crate) fn register(&mut self, fd: i32) -> Result {
        if self.eventfd.is_some() {
            return Err(EINVAL);
        }
        self.eventfd = Some(EventFd::from_fd(fd)?);
        Ok(())
    }

    /// Releases the registered eventfd: `EINVAL` if there is none.
    pub(crate) fn unregister(&mut self) -> Result {
        self.eventfd.take().map(drop).ok_or(EINVAL)
    }

    /// The pending events, which are then cleared.
    pub(crate) fn take(&mut self) -> u64 {
        core::mem::take(&mut self.events)
    }

    /// Records `mask` and signals the eventfd, if a compute file is open.
    pub(crate) fn send(&mut self, mask: u64) {
        if !self.open || mask == 0 {
            return;
        }
        self.events |= mask;
        if let Some(e) = &self.eventfd {
            e.signal();
        }
    }
}

/// Bits of the ABI this module relies on, checked against the header at build time.
const _: () = assert!(uapi::HL_NOTIFIER_EVENT_CRITICL_FW_ERR == 1 << 10);

#[kunit_tests(habanalabs_rs_notify)]
mod tests {
    use super::*;

    #[test]
    fn events_accumulate_until_taken_and_only_while_open() {
        let mut n = Notifier::default();
        // No file open: nothing recorded.
        n.send(bits::DEVICE_RESET);
        assert_eq!(n.take(), 0);
        n.opened();
        n.send(bits::CS_TIMEOUT);
        n.send(bits::DEVICE_RESET);
        assert_eq!(n.take(), bits::CS_TIMEOUT | bits::DEVICE_RESET);
        assert_eq!(n.take(), 0);
        assert_eq!(n.unregister(), Err(EINVAL));
        // Not descriptors, so not eventfds.
        assert_eq!(n.register(-1), Err(EBADF));
        n.send(bits::GENERAL_HW_ERR);
        // A close clears what was pending.
        n.closed();
        assert_eq!(n.take(), 0);
    }

    #[test]
    fn reset_events_name_their_source() {
        assert_eq!(
            reset_event_bits(645),
            bits::CRITICAL_FW_ERR | bits::DEVICE_RESET
        );
        assert_eq!(
            reset_event_bits(646),
            bits::GENERAL_HW_ERR | bits::CRITICAL_HW_ERR | bits::DEVICE_RESET
        );
        assert_eq!(
            reset_event_bits(662),
            bits::USER_ENGINE_ERR | bits::DEVICE_RESET
        );
        assert_eq!(event_bits(380), bits::USER_ENGINE_ERR);
        assert_eq!(event_bits(590), bits::USER_ENGINE_ERR | bits::DEVICE_RESET);
        assert_eq!(event_bits(604), bits::USER_ENGINE_ERR | bits::DEVICE_RESET);
        assert_eq!(event_bits(591), 0);
        assert_eq!(event_bits(32), bits::GENERAL_HW_ERR);
        assert_eq!(event_bits(396), bits::GENERAL_HW_ERR);
        assert_eq!(
            event_bits(215),
            bits::TPC_ASSERT | bits::USER_ENGINE_ERR | bits::DEVICE_RESET
        );
        assert_eq!(event_bits(343), bits::USER_ENGINE_ERR | bits::DEVICE_RESET);
        assert_eq!(event_bits(421), bits::USER_ENGINE_ERR);
        assert_eq!(event_bits(660), bits::USER_ENGINE_ERR);
        assert_eq!(event_bits(658), 0);
        assert_eq!(event_bits(650), 0);
        assert!(checks_mmu(33) && checks_mmu(662) && !checks_mmu(396) && !checks_mmu(421));
        assert!(checks_mmu(381) && !checks_mmu(658));
        assert_eq!(dma_qm_engine(583), Some(0));
        assert_eq!(dma_qm_engine(590), Some(7));
        assert_eq!(dma_qm_engine(604), None);
    }

    #[test]
    fn reset_events_are_captured_by_cause() {
        let mut c = Captured::default();
        capture_reset_event(&mut c, 662, reset_event_bits(662));
        assert!(c.hw_err.is_none() && c.fw_err.is_none());
        capture_reset_event(&mut c, 645, reset_event_bits(645));
        assert_eq!(c.fw_err.map(|(_, e)| e), Some(FwErr::Reported(645)));
        assert!(c.hw_err.is_none());
        capture_reset_event(&mut c, 646, reset_event_bits(646));
        assert_eq!(c.hw_err.map(|(_, id)| id), Some(646));
        assert_eq!(c.fw_err.map(|(_, e)| e), Some(FwErr::Reported(645)));
    }
}
