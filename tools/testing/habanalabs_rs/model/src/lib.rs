// SPDX-License-Identifier: GPL-2.0
//! hl-model: an emulated Habana Labs Gaudi served to QEMU over vfio-user.
//!
//! The library holds the device (`device`, with its blocks in `fw`, `mmu`, `qman`, `engine`),
//! the vfio-user protocol (`vfio_user`), its device side (`server`) and the control socket
//! (`control`); `main.rs` is the command line.

#[macro_use]
pub mod log;
pub mod control;
pub mod device;
pub mod engine;
#[cfg(all(test, feature = "fidelity"))]
mod fidelity;
pub mod fw;
pub mod host;
pub mod mem;
pub mod mmu;
pub mod options;
pub mod packets;
pub mod pci_cfg;
pub mod qman;
pub mod regs;
pub mod server;
pub mod vfio_user;
