// SPDX-License-Identifier: GPL-2.0

//! Errors kept for user space to ask about.
//!
//! As upstream, the driver keeps the first error of each kind since the compute file was
//! opened (a CS timeout, an MMU page fault with the context's host mappings at that moment,
//! an undefined opcode met by a queue, an illegal access, a hardware error and a firmware
//! error that reset the device), and INFO hands them out: `CS_TIMEOUT_EVENT`,
//! `PAGE_FAULT_EVENT`, `USER_MAPPINGS`, `UNDEFINED_OPCODE_EVENT`, `RAZWI_EVENT`,
//! `HW_ERR_EVENT` and `FW_ERR_EVENT`. Everything starts afresh
//! with each open. Timestamps are `CLOCK_MONOTONIC` nanoseconds, as upstream's `ktime_get()`.

use kernel::{
    prelude::*,
    time::{Delta, Instant, Monotonic},
    uapi,
};

/// Streams of a QMAN (upstream's `QMAN_STREAMS`).
pub(crate) const STREAMS: usize = uapi::MAX_QMAN_STREAMS_INFO as usize;
/// Buffer descriptors looked at per stream (upstream's `PQ_FETCHER_CACHE_SIZE`).
pub(crate) const LAST_BDS: usize = uapi::OPCODE_INFO_MAX_ADDR_SIZE as usize;

/// The current time on the clock of the captures.
pub(crate) fn now() -> i64 {
    Instant::<Monotonic>::now().as_nanos()
}

/// What was seen when a queue met an opcode Gaudi does not define.
#[derive(Default, Clone, Copy)]
pub(crate) struct UndefinedOpcode {
    /// When the error was handled.
    pub(crate) timestamp: i64,
    /// The engine of the queue (`GAUDI_ENGINE_ID_*`).
    pub(crate) engine_id: u32,
    /// The stream that stopped; [`STREAMS`] for the lower CP.
    pub(crate) stream_id: u32,
    /// The CB the stream was executing.
    pub(crate) cq_addr: u64,
    /// That CB's size.
    pub(crate) cq_size: u32,
    /// Per stream looked at, the CB addresses of its last buffer descriptors, newest first.
    pub(crate) cb_addrs: [[u64; LAST_BDS]; STREAMS],
    /// How many entries of `cb_addrs` are filled: 1 for a stream, 4 for the lower CP.
    pub(crate) streams: u32,
}

/// An illegal access (RAZWI).
#[derive(Default, Clone, Copy)]
pub(crate) struct Razwi {
    /// When it was handled.
    pub(crate) timestamp: i64,
    /// The address the MMU's fault capture held with it; 0 if none.
    pub(crate) addr: u64,
    /// The engines that may have made it; `razwi::NA` for none.
    pub(crate) engines: [u16; 2],
    /// `HL_RAZWI_READ` and/or `HL_RAZWI_WRITE`.
    pub(crate) flags: u8,
}

impl Razwi {
    /// How many of [`Razwi::engines`] name an engine.
    pub(crate) fn engine_count(&self) -> u16 {
        self.engines
            .iter()
            .take_while(|e| **e != crate::razwi::NA)
            .count() as u16
    }
}

/// A limit on how often the errors user work can cause are logged: at most [`RateLimit::BURST`]
/// lines every [`RateLimit::PERIOD`], as the kernel's `dev_err_ratelimited()` allows.
#[derive(Default)]
pub(crate) struct RateLimit {
    window: Option<Instant<Monotonic>>,
    lines: u32,
    missed: u32,
}

impl RateLimit {
    /// Lines allowed per period (the kernel's default burst).
    pub(crate) const BURST: u32 = 10;
    /// The period (the kernel's default interval).
    pub(crate) const PERIOD: Delta = Delta::from_secs(5);

    /// Whether one more line may be logged now. When a new period starts after lines were
    /// held back, returns how many were.
    pub(crate) fn allow(&mut self) -> (bool, u32) {
        let now = Instant::<Monotonic>::now();
        let mut missed = 0;
        if self.window.is_none_or(|w| now - w >= Self::PERIOD) {
            self.window = Some(now);
            self.lines = 0;
            missed = core::mem::take(&mut self.missed);
        }
        if self.lines < Self::BURST {
            self.lines += 1;
            (true, missed)
        } else {
            self.missed += 1;
            (false, missed)
        }
    }
}

/// A host mapping of the context when a page fault was captured.
#[derive(Clone, Copy)]
pub(crate) struct UserMapping {
    /// The device virtual address MAP returned.
    pub(crate) va: u64,
    /// The size the user asked to map.
    pub(crate) size: u64,
}

/// What the firmware error was (`enum hl_info_fw_err_type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FwErr {
    /// The device CPU stopped answering heartbeats.
    Heartbeat,
    /// The firmware reported an event of this id.
    Reported(u16),
}

/// The first error of each kind since the compute file was opened.
#[derive(Default)]
pub(crate) struct Captured {
    /// A CS that timed out: when, and its sequence number.
    pub(crate) cs_timeout: Option<(i64, u64)>,
    /// An MMU page fault: when, and the faulting address.
    pub(crate) page_fault: Option<(i64, u64)>,
    /// The context's host mappings when the page fault was captured.
    pub(crate) user_mappings: KVec<UserMapping>,
    /// An undefined opcode.
    pub(crate) undefined_opcode: Option<UndefinedOpcode>,
    /// An illegal access.
    pub(crate) razwi: Option<Razwi>,
    /// A hardware error that reset the device: when, and its event id.
    pub(crate) hw_err: Option<(i64, u16)>,
    /// A firmware error: when, and what.
    pub(crate) fw_err: Option<(i64, FwErr)>,
}

impl Captured {
    /// Keeps the page fault at `addr`, with the mappings `maps` the context had, unless one
    /// was kept already. Returns whether it was kept.
    pub(crate) fn page_fault(&mut self, addr: u64, maps: KVec<UserMapping>) -> bool {
        if self.page_fault.is_some() {
            return false;
        }
        self.page_fault = Some((now(), addr));
        self.user_mappings = maps;
        true
    }

    /// Keeps illegal access `r`, seen with MMU fault address `addr`, unless one was kept.
    pub(crate) fn razwi(&mut self, r: Razwi, addr: u64) {
        self.razwi.get_or_insert(Razwi {
            timestamp: now(),
            addr,
            ..r
        });
    }

    /// Keeps a hardware error of event `id`, unless one was kept already.
    pub(crate) fn hw_err(&mut self, id: u16) {
        self.hw_err.get_or_insert((now(), id));
    }

    /// Keeps a firmware error, unless one was kept already.
    pub(crate) fn fw_err(&mut self, e: FwErr) {
        self.fw_err.get_or_insert((now(), e));
    }

    /// Whether an undefined opcode would be kept (none was since the open).
    pub(crate) fn wants_undefined_opcode(&self) -> bool {
        self.undefined_opcode.is_none()
    }

    /// The user mappings as `struct hl_user_mapping` entries, in bytes.
    pub(crate) fn user_mappings_bytes(&self) -> Result<KVec<u8>> {
        const ENTRY: usize = core::mem::size_of::<uapi::hl_user_mapping>();
        let mut out = KVec::with_capacity(self.user_mappings.len() * ENTRY, GFP_KERNEL)?;
        for m in self.user_mappings.iter() {
            out.extend_from_slice(&m.va.to_ne_bytes(), GFP_KERNEL)?;
            out.extend_from_slice(&m.size.to_ne_bytes(), GFP_KERNEL)?;
        }
        Ok(out)
    }
}

/// The layout [`Captured::user_mappings_bytes`] writes.
const _: () = {
    assert!(core::mem::size_of::<uapi::hl_user_mapping>() == 16);
    assert!(core::mem::offset_of!(uapi::hl_user_mapping, dev_va) == 0);
    assert!(core::mem::offset_of!(uapi::hl_user_mapping, size) == 8);
};

#[kunit_tests(habanalabs_rs_capture)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_error_of_each_kind_is_kept() {
        let mut c = Captured::default();
        c.hw_err(646);
        c.hw_err(650);
        assert_eq!(c.hw_err.map(|(_, id)| id), Some(646));
        c.fw_err(FwErr::Reported(645));
        c.fw_err(FwErr::Heartbeat);
        assert_eq!(c.fw_err.map(|(_, e)| e), Some(FwErr::Reported(645)));
        let mut maps = KVec::new();
        maps.push(
            UserMapping {
                va: 0x100_0020_0000,
                size: 4096,
            },
            GFP_KERNEL,
        )
        .unwrap();
        assert!(c.page_fault(0x100_0000_0000, maps));
        assert!(!c.page_fault(0x200_0000_0000, KVec::new()));
        assert_eq!(c.page_fault.map(|(_, a)| a), Some(0x100_0000_0000));
        assert_eq!(c.user_mappings.len(), 1);
        let b = c.user_mappings_bytes().unwrap();
        assert_eq!(b.len(), 16);
        assert_eq!(&b[0..8], &0x100_0020_0000u64.to_ne_bytes());
        assert_eq!(&b[8..16], &4096u64.to_ne_bytes());
        assert!(c.wants_undefined_opcode());
        let r = Razwi {
            engines: [3, crate::razwi::NA],
            flags: 2,
            ..Razwi::default()
        };
        c.razwi(r, 0x1234);
        c.razwi(Razwi::default(), 0);
        let kept = c.razwi.unwrap();
        assert_eq!((kept.addr, kept.flags, kept.engine_count()), (0x1234, 2, 1));
        assert!(kept.timestamp > 0);
        assert!(c.hw_err.unwrap().0 > 0);
    }

    #[test]
    fn error_lines_are_limited_to_a_burst_per_period() {
        let mut l = RateLimit::default();
        for _ in 0..RateLimit::BURST {
            assert_eq!(l.allow(), (true, 0));
        }
        assert_eq!(l.allow(), (false, 0));
        assert_eq!(l.allow(), (false, 0));
        // A new period: the held-back count is reported once.
        l.window = Some(Instant::<Monotonic>::now() - RateLimit::PERIOD);
        assert_eq!(l.allow(), (true, 2));
        assert_eq!(l.allow(), (true, 0));
    }
}
