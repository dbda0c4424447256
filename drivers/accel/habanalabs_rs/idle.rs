// SPDX-License-Identifier: GPL-2.0

//! Whether the engines are idle: `HL_INFO_HW_IDLE` and `HL_INFO_ENGINE_STATUS`.
//!
//! As upstream checks a Gaudi: each of the eight DMA engines is idle when its QMAN's fetchers
//! and command processors are all idle (`GLBL_STS0`), its clock-gating agent is idle
//! (`CGM_STS`) and its core is not busy (`STS0`); each of the eight TPCs when its QMAN is and
//! its status says its pipes and queues are empty; each of the four MMEs when its store
//! buffers are empty and its write-back idle, plus, for MME0 and MME2 (the ones with a QMAN),
//! their QMAN. A busy engine sets its `GAUDI_ENGINE_ID_*` bit in the mask. NIC ports are never
//! brought up, so they are not checked (their header is printed, as upstream's).
//!
//! The status text is upstream's format, a run of NUL-terminated pieces (a header per engine
//! class, a line per engine), whose size counts the NULs.

use crate::regs::Regs;
use kernel::{prelude::*, str::CString, uapi};

/// Register offsets (from the configuration space's base) and distances.
mod reg {
    pub(super) const DMA_QM_GLBL_STS0: u32 = 0x50_8038;
    pub(super) const DMA_QM_CGM_STS: u32 = 0x50_8C74;
    pub(super) const DMA_CORE_STS0: u32 = 0x50_0190;
    pub(super) const DMA_STRIDE: u32 = 0x2_0000;
    pub(super) const TPC_QM_GLBL_STS0: u32 = 0xE0_8038;
    pub(super) const TPC_QM_CGM_STS: u32 = 0xE0_8C74;
    pub(super) const TPC_CFG_STATUS: u32 = 0xE0_691C;
    pub(super) const TPC_STRIDE: u32 = 0x4_0000;
    pub(super) const MME_ARCH_STATUS: u32 = 0x6_0000;
    pub(super) const MME_QM_GLBL_STS0: u32 = 0x6_8038;
    pub(super) const MME_QM_CGM_STS: u32 = 0x6_8C74;
    pub(super) const MME_STRIDE: u32 = 0x8_0000;
}

/// The idle bits of a QMAN's `GLBL_STS0`: the PQF, CQF and CP instances.
const QM_IDLE: u32 = 0x3FFF;
/// The clock-gating agent's idle bit in `CGM_STS`.
const CGM_IDLE: u32 = 1 << 8;
/// A DMA core's busy bit in `STS0`.
const DMA_BUSY: u32 = 1 << 31;
/// The bits of a TPC's `CFG_STATUS` that must all be set when it is idle.
const TPC_IDLE: u32 = 0xEE;
/// The bits of an MME's `ARCH_STATUS` that must all be set when it is idle.
const MME_IDLE: u32 = 0x1180;

/// First bit of each engine class in the busy mask (`GAUDI_ENGINE_ID_*`).
const DMA_BIT: u32 = uapi::gaudi_engine_id_GAUDI_ENGINE_ID_DMA_0;
const MME_BIT: u32 = uapi::gaudi_engine_id_GAUDI_ENGINE_ID_MME_0;
const TPC_BIT: u32 = uapi::gaudi_engine_id_GAUDI_ENGINE_ID_TPC_0;

/// Upstream's line formats: engine, idle, then the registers.
const DMA_HEADER: &str = "\nDMA  is_idle  QM_GLBL_STS0  QM_CGM_STS  DMA_CORE_STS0\n\
                          ---  -------  ------------  ----------  -------------\n";
const TPC_HEADER: &str = "\nTPC  is_idle  QM_GLBL_STS0  QM_CGM_STS  CFG_STATUS\n\
                          ---  -------  ------------  ----------  ----------\n";
const MME_HEADER: &str = "\nMME  is_idle  QM_GLBL_STS0  QM_CGM_STS  ARCH_STATUS\n\
                          ---  -------  ------------  ----------  -----------\n";
const NIC_HEADER: &str = "\nNIC  is_idle  QM_GLBL_STS0  QM_CGM_STS\n\
                          ---  -------  ------------  ----------\n";

/// The status text being built, with upstream's size rule: every piece counts its length
/// plus a NUL, and is stored only while it fits strictly below the buffer's size.
pub(crate) struct StatusText {
    /// Up to 1 MiB: virtually contiguous if need be.
    buf: KVVec<u8>,
    /// What the whole text takes, stored or not.
    pub(crate) actual: usize,
}

impl StatusText {
    /// A text for a buffer of `cap` bytes (zeroed: what is not written reads as NUL).
    pub(crate) fn new(cap: usize) -> Result<Self> {
        let mut buf = KVVec::with_capacity(cap, GFP_KERNEL)?;
        buf.resize(cap, 0, GFP_KERNEL)?;
        Ok(Self { buf, actual: 0 })
    }

    fn piece(&mut self, s: &str) {
        let n = s.len() + 1;
        if self.actual + n < self.buf.len() {
            self.buf[self.actual..self.actual + s.len()].copy_from_slice(s.as_bytes());
            self.buf[self.actual + s.len()] = 0;
        }
        self.actual += n;
    }

    /// The buffer (its whole size).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// One engine's line: `%-5d%-9s%#-14x%#-12x%#x\n`, or with `-` for the QMAN columns of an MME
/// that has none.
fn line(text: &mut StatusText, n: u32, idle: bool, qm: Option<(u32, u32)>, last: u32) -> Result {
    let yn = if idle { "Y" } else { "N" };
    // The kernel's `%#x` prints zero as `0x0`, as Rust's `{:#x}` does.
    let s = match qm {
        Some((sts0, cgm)) => CString::try_from_fmt(fmt!(
            "{:<5}{:<9}{:<#14x}{:<#12x}{:#x}\n",
            n,
            yn,
            sts0,
            cgm,
            last
        ))?,
        None => {
            CString::try_from_fmt(fmt!("{:<5}{:<9}{:<14}{:<12}{:#x}\n", n, yn, "-", "-", last))?
        }
    };
    text.piece(s.to_str().map_err(|_| EINVAL)?);
    Ok(())
}

fn qm_idle(sts0: u32, cgm: u32) -> bool {
    sts0 & QM_IDLE == QM_IDLE && cgm & CGM_IDLE == CGM_IDLE
}

/// Checks every engine; returns whether all are idle and the mask of the busy ones, and adds
/// the status lines to `text` if given.
pub(crate) fn check(r: Regs<'_>, mut text: Option<&mut StatusText>) -> Result<(bool, u64)> {
    let mut mask = 0u64;
    let mut all = true;
    if let Some(t) = text.as_deref_mut() {
        t.piece(DMA_HEADER);
    }
    for i in 0..8 {
        let off = i * reg::DMA_STRIDE;
        let sts0 = r.rd(reg::DMA_QM_GLBL_STS0 + off);
        let cgm = r.rd(reg::DMA_QM_CGM_STS + off);
        let core = r.rd(reg::DMA_CORE_STS0 + off);
        let idle = qm_idle(sts0, cgm) && core & DMA_BUSY == 0;
        if !idle {
            mask |= 1 << (DMA_BIT + i);
        }
        all &= idle;
        if let Some(t) = text.as_deref_mut() {
            line(t, i, idle, Some((sts0, cgm)), core)?;
        }
    }
    if let Some(t) = text.as_deref_mut() {
        t.piece(TPC_HEADER);
    }
    for i in 0..8 {
        let off = i * reg::TPC_STRIDE;
        let sts0 = r.rd(reg::TPC_QM_GLBL_STS0 + off);
        let cgm = r.rd(reg::TPC_QM_CGM_STS + off);
        let cfg = r.rd(reg::TPC_CFG_STATUS + off);
        let idle = qm_idle(sts0, cgm) && cfg & TPC_IDLE == TPC_IDLE;
        if !idle {
            mask |= 1 << (TPC_BIT + i);
        }
        all &= idle;
        if let Some(t) = text.as_deref_mut() {
            line(t, i, idle, Some((sts0, cgm)), cfg)?;
        }
    }
    if let Some(t) = text.as_deref_mut() {
        t.piece(MME_HEADER);
    }
    for i in 0..4 {
        let off = i * reg::MME_STRIDE;
        let arch = r.rd(reg::MME_ARCH_STATUS + off);
        let mut idle = arch & MME_IDLE == MME_IDLE;
        // MME0 and MME2 drive MME1 and MME3 and have the QMANs.
        let qm = if i % 2 == 0 {
            let sts0 = r.rd(reg::MME_QM_GLBL_STS0 + off);
            let cgm = r.rd(reg::MME_QM_CGM_STS + off);
            idle &= qm_idle(sts0, cgm);
            Some((sts0, cgm))
        } else {
            None
        };
        if !idle {
            mask |= 1 << (MME_BIT + i);
        }
        all &= idle;
        if let Some(t) = text.as_deref_mut() {
            line(t, i, idle, qm, arch)?;
        }
    }
    if let Some(t) = text {
        t.piece(NIC_HEADER);
        t.piece("\n");
    }
    Ok((all, mask))
}

#[kunit_tests(habanalabs_rs_idle)]
mod tests {
    use super::*;

    #[test]
    fn status_pieces_count_their_nul_and_stop_when_full() {
        let mut t = StatusText::new(8).unwrap();
        t.piece("abc");
        assert_eq!(t.actual, 4);
        assert_eq!(&t.bytes()[..4], b"abc\0");
        // 4 + 4 is not below 8: counted, not stored.
        t.piece("def");
        assert_eq!(t.actual, 8);
        assert_eq!(&t.bytes()[4..], &[0, 0, 0, 0]);
    }

    #[test]
    fn lines_follow_the_kernels_alternate_hex() {
        let mut t = StatusText::new(256).unwrap();
        line(&mut t, 0, true, Some((0x3fff, 0x100)), 0).unwrap();
        let want = "0    Y        0x3fff        0x100       0x0\n";
        assert_eq!(&t.bytes()[..want.len()], want.as_bytes());
        assert_eq!(t.actual, want.len() + 1);
        let mut t = StatusText::new(256).unwrap();
        line(&mut t, 3, false, None, 0x80).unwrap();
        let want = "3    N        -             -           0x80\n";
        assert_eq!(&t.bytes()[..want.len()], want.as_bytes());
    }

    #[test]
    fn idleness_needs_every_bit() {
        assert!(qm_idle(0x3fff, 0x100));
        assert!(qm_idle(0xffff_ffff, 0x100));
        assert!(!qm_idle(0x3ffe, 0x100));
        assert!(!qm_idle(0x3fff, 0));
    }
}
