// SPDX-License-Identifier: GPL-2.0

//! Errors of the DMA QMANs the driver runs (DMA0 and DMA1, the external queues).
//!
//! When a QMAN stream meets an error, the QMAN latches its cause in the stream's `GLBL_STS1`
//! and, since the driver sets stop-on-error as upstream does, stops the stream where it is;
//! its error message makes the firmware post a `DMA<n>_QM` event. The driver then reads
//! the causes of the four streams and of the lower command parser, and logs them. For an
//! undefined opcode it keeps, once per open, what upstream keeps for
//! `HL_INFO_UNDEFINED_OPCODE_EVENT`: the CB the stream was executing (its CQ registers) and
//! the CBs of the stream's last buffer descriptors (of all four streams for the lower CP).
//! The causes stay latched, and the stream stopped, until the device is reset: the CSs on
//! the stream time out and reset it. Unlike upstream, which goes on filling the capture with
//! every stream of the event that shows any error once one showed an undefined opcode, the
//! driver keeps only the stream (or lower CP) that met the undefined opcode. Cause lines are
//! rate-limited, as upstream's.

use crate::capture::{self, UndefinedOpcode, LAST_BDS, STREAMS};
use crate::gaudi::Gaudi;
use crate::notify::bits;
use crate::regs::{self, DMA0_QM, DMA_STRIDE};
use kernel::{prelude::*, uapi};

/// QMANs with queues of the driver.
const DRIVER_QMANS: u32 = 2;

/// The name of stream `s` of a QMAN (`s == STREAMS` is the lower command parser).
fn stream_name(s: usize) -> &'static str {
    ["stream 0", "stream 1", "stream 2", "stream 3", "lower CP"][s.min(STREAMS)]
}

impl Gaudi<'_> {
    /// Reads and reports the error causes of DMA engine `n`'s QMAN after its error event;
    /// returns the notifier bits this adds (an undefined opcode's).
    pub(crate) fn qman_errors(&self, n: u32) -> u64 {
        if n >= DRIVER_QMANS {
            return 0;
        }
        let r = self.regs();
        let base = DMA0_QM + n * DMA_STRIDE;
        let mut mask = 0;
        for s in 0..=STREAMS {
            let sts = r.rd(base + regs::QM_GLBL_STS1 + 4 * s as u32);
            if sts == 0 {
                continue;
            }
            for (bit, cause) in regs::QM_ERR_CAUSES.iter().enumerate() {
                if sts & (1 << bit) != 0 && self.may_log_error() {
                    dev_err!(
                        self.bound(),
                        "DMA{} QMAN {}: {}\n",
                        n,
                        stream_name(s),
                        cause
                    );
                }
            }
            if sts & regs::QM_STS1_UNDEF_CMD != 0 && self.capture_undefined_opcode(n, s) {
                mask |= bits::UNDEFINED_OPCODE;
            }
        }
        mask
    }

    /// Keeps the state of stream `s` of DMA QMAN `n` (the lower CP: `s == STREAMS`) after
    /// an undefined opcode, unless one was kept since the open. Returns whether it was kept.
    fn capture_undefined_opcode(&self, n: u32, s: usize) -> bool {
        let mut wanted = false;
        self.capture(|c| wanted = c.wants_undefined_opcode());
        if !wanted {
            return false;
        }
        let r = self.regs();
        let base = DMA0_QM + n * DMA_STRIDE;
        let cq = base + 0x10 * s as u32;
        let mut u = UndefinedOpcode {
            timestamp: capture::now(),
            engine_id: uapi::gaudi_engine_id_GAUDI_ENGINE_ID_DMA_0 + n,
            stream_id: s as u32,
            cq_addr: (u64::from(r.rd(cq + regs::QM_CQ_PTR_HI)) << 32)
                | u64::from(r.rd(cq + regs::QM_CQ_PTR_LO)),
            cq_size: r.rd(cq + regs::QM_CQ_TSIZE),
            ..Default::default()
        };
        // An upper CP executes its own stream's CBs; the lower CP any stream's.
        let streams = if s < STREAMS { s..s + 1 } else { 0..STREAMS };
        {
            let cs = self.cs.lock();
            for (k, st) in streams.clone().enumerate() {
                let ci = r.rd(base + regs::QM_PQ_CI + 4 * st as u32);
                let q = n as usize * STREAMS + st;
                cs.queues.last_bds(q, ci, &mut u.cb_addrs[k][..LAST_BDS]);
            }
        }
        u.streams = streams.len() as u32;
        // Kept once per open: logged whenever it is kept.
        dev_err!(
            self.bound(),
            "DMA{} QMAN {} stopped in the CB at {:#x} ({} bytes)\n",
            n,
            stream_name(s),
            u.cq_addr,
            u.cq_size
        );
        let mut kept = false;
        self.capture(|c| {
            if c.wants_undefined_opcode() {
                c.undefined_opcode = Some(u);
                kept = true;
            }
        });
        kept
    }
}
