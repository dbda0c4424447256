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

/// Keeps what a firmware event that resets the device tells of its cause, given the bits its
/// class sends (`events::Class`), as upstream: the firmware's own error for a firmware error,
/// a hardware error for a hardware error that the reset escalates to critical.
pub(crate) fn capture_reset_event(c: &mut Captured, kind: u16, mask: u64) {
    if mask & bits::CRITICAL_FW_ERR != 0 {
        c.fw_err(FwErr::Reported(kind));
    }
    if mask & bits::GENERAL_HW_ERR != 0 {
        c.hw_err(kind);
    }
}

/// The DMA QMANs' error events, DMA0 to DMA7.
const DMA_QM_EVENTS: core::ops::RangeInclusive<u16> = 583..=590;

/// The DMA engine whose QMAN event `kind` is, if it is one.
pub(crate) fn dma_qm_engine(kind: u16) -> Option<u32> {
    DMA_QM_EVENTS
        .contains(&kind)
        .then(|| u32::from(kind - DMA_QM_EVENTS.start()))
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
    use crate::events::class_of;

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
    fn dma_qman_events_name_their_engine() {
        assert_eq!(dma_qm_engine(583), Some(0));
        assert_eq!(dma_qm_engine(590), Some(7));
        assert_eq!(dma_qm_engine(604), None);
    }

    #[test]
    fn reset_events_are_captured_by_cause() {
        let mut c = Captured::default();
        capture_reset_event(&mut c, 662, class_of(662).bits);
        assert!(c.hw_err.is_none() && c.fw_err.is_none());
        capture_reset_event(&mut c, 645, class_of(645).bits);
        assert_eq!(c.fw_err.map(|(_, e)| e), Some(FwErr::Reported(645)));
        assert!(c.hw_err.is_none());
        capture_reset_event(&mut c, 646, class_of(646).bits);
        assert_eq!(c.hw_err.map(|(_, id)| id), Some(646));
        assert_eq!(c.fw_err.map(|(_, e)| e), Some(FwErr::Reported(645)));
    }
}
