// SPDX-License-Identifier: GPL-2.0

//! What the device's firmware vouches for: `HL_INFO_SECURED_ATTESTATION` and
//! `HL_INFO_DEV_SIGNED`, and the firmware's generic requests, `HL_INFO_FW_GENERIC_REQ`.
//!
//! The firmware fills its own structures (`struct cpucp_sec_attest_info`,
//! `struct cpucp_dev_info_signed`) in the CPU-CP reply buffer; the driver moves their fields
//! into the uapi structures, whose layout differs, as upstream does. A firmware that does not
//! know the request answers with an error code, which user space gets as `EIO` (upstream's
//! errno on Gaudi, whose firmware reports no finer codes).

use crate::cpucp::{self, Packet, BUF_SIZE};
use crate::node::GaudiRef;
use core::mem::{offset_of, size_of};
use kernel::{prelude::*, uapi};

/// CPU-CP opcodes.
const SEC_ATTEST_GET: u32 = 49;
const INFO_SIGNED_GET: u32 = 50;
const GENERIC_PASSTHROUGH: u32 = 56;

/// Sizes of the security buffers (`SEC_*_BUF_SZ`).
const PCR_DATA: usize = 256;
const PCR_QUOTE: usize = 510;
const SIGNATURE: usize = 255;
const PUB_DATA: usize = 510;
const CERTIFICATE: usize = 2046;

/// `struct cpucp_sec_attest_info`: its size and field offsets.
mod fw_attest {
    pub(super) const PCR_DATA: usize = 0;
    pub(super) const PCR_NUM_REG: usize = 256;
    pub(super) const PCR_REG_LEN: usize = 257;
    pub(super) const NONCE: usize = 260;
    pub(super) const PCR_QUOTE_LEN: usize = 264;
    pub(super) const PCR_QUOTE: usize = 266;
    pub(super) const QUOTE_SIG_LEN: usize = 776;
    pub(super) const QUOTE_SIG: usize = 777;
    pub(super) const PUB_DATA_LEN: usize = 1032;
    pub(super) const PUB_DATA: usize = 1034;
    pub(super) const CERTIFICATE_LEN: usize = 1544;
    pub(super) const CERTIFICATE: usize = 1546;
    pub(super) const SIZE: usize = 3592;
}

/// `struct cpucp_dev_info_signed`: its size and field offsets (`struct cpucp_info` first).
mod fw_signed {
    pub(super) const INFO: usize = 0;
    pub(super) const INFO_SIZE: usize = 1768;
    pub(super) const NONCE: usize = 1768;
    pub(super) const INFO_SIG_LEN: usize = 1776;
    pub(super) const INFO_SIG: usize = 1777;
    pub(super) const PUB_DATA_LEN: usize = 2032;
    pub(super) const PUB_DATA: usize = 2034;
    pub(super) const CERTIFICATE_LEN: usize = 2544;
    pub(super) const CERTIFICATE: usize = 2546;
    pub(super) const SIZE: usize = 4592;
}

/// `enum hl_passthrough_type`: the generic requests there are; only the error counters take
/// input (from the user buffer).
const PASSTHROUGH_VERSIONS: u32 = 0;
const GET_ERR_COUNTERS: u32 = 1;
const GET_P_STATE: u32 = 2;

/// The largest generic request upstream accepts.
const GENERIC_MAX: u32 = 1 << 20;

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

/// Moves `n` bytes at `from` of the firmware's structure to `to` of the answer.
fn field(out: &mut [u8], to: usize, fw: &[u8], from: usize, n: usize) {
    out[to..to + n].copy_from_slice(&fw[from..from + n]);
}

/// `struct hl_info_sec_attest` from the firmware's `struct cpucp_sec_attest_info`.
pub(crate) fn repack_attest(fw: &[u8]) -> Result<KVec<u8>> {
    type T = uapi::hl_info_sec_attest;
    if fw.len() < fw_attest::SIZE {
        return Err(EINVAL);
    }
    let mut out = KVec::new();
    out.resize(size_of::<T>(), 0, GFP_KERNEL)?;
    let o = &mut out[..];
    o[offset_of!(T, nonce)..][..4].copy_from_slice(&u32_at(fw, fw_attest::NONCE).to_ne_bytes());
    o[offset_of!(T, pcr_quote_len)..][..2]
        .copy_from_slice(&u16_at(fw, fw_attest::PCR_QUOTE_LEN).to_ne_bytes());
    o[offset_of!(T, pub_data_len)..][..2]
        .copy_from_slice(&u16_at(fw, fw_attest::PUB_DATA_LEN).to_ne_bytes());
    o[offset_of!(T, certificate_len)..][..2]
        .copy_from_slice(&u16_at(fw, fw_attest::CERTIFICATE_LEN).to_ne_bytes());
    o[offset_of!(T, pcr_num_reg)] = fw[fw_attest::PCR_NUM_REG];
    o[offset_of!(T, pcr_reg_len)] = fw[fw_attest::PCR_REG_LEN];
    o[offset_of!(T, quote_sig_len)] = fw[fw_attest::QUOTE_SIG_LEN];
    field(
        o,
        offset_of!(T, pcr_data),
        fw,
        fw_attest::PCR_DATA,
        PCR_DATA,
    );
    field(
        o,
        offset_of!(T, pcr_quote),
        fw,
        fw_attest::PCR_QUOTE,
        PCR_QUOTE,
    );
    field(
        o,
        offset_of!(T, quote_sig),
        fw,
        fw_attest::QUOTE_SIG,
        SIGNATURE,
    );
    field(
        o,
        offset_of!(T, public_data),
        fw,
        fw_attest::PUB_DATA,
        PUB_DATA,
    );
    field(
        o,
        offset_of!(T, certificate),
        fw,
        fw_attest::CERTIFICATE,
        CERTIFICATE,
    );
    Ok(out)
}

/// `struct hl_info_signed` from the firmware's `struct cpucp_dev_info_signed`.
pub(crate) fn repack_signed(fw: &[u8]) -> Result<KVec<u8>> {
    type T = uapi::hl_info_signed;
    if fw.len() < fw_signed::SIZE {
        return Err(EINVAL);
    }
    let mut out = KVec::new();
    out.resize(size_of::<T>(), 0, GFP_KERNEL)?;
    let o = &mut out[..];
    o[offset_of!(T, nonce)..][..4].copy_from_slice(&u32_at(fw, fw_signed::NONCE).to_ne_bytes());
    o[offset_of!(T, pub_data_len)..][..2]
        .copy_from_slice(&u16_at(fw, fw_signed::PUB_DATA_LEN).to_ne_bytes());
    o[offset_of!(T, certificate_len)..][..2]
        .copy_from_slice(&u16_at(fw, fw_signed::CERTIFICATE_LEN).to_ne_bytes());
    o[offset_of!(T, info_sig_len)] = fw[fw_signed::INFO_SIG_LEN];
    field(
        o,
        offset_of!(T, public_data),
        fw,
        fw_signed::PUB_DATA,
        PUB_DATA,
    );
    field(
        o,
        offset_of!(T, certificate),
        fw,
        fw_signed::CERTIFICATE,
        CERTIFICATE,
    );
    field(
        o,
        offset_of!(T, info_sig),
        fw,
        fw_signed::INFO_SIG,
        SIGNATURE,
    );
    // The device information the signature covers: the whole `struct cpucp_info`.
    o[offset_of!(T, dev_info_len)..][..2]
        .copy_from_slice(&(fw_signed::INFO_SIZE as u16).to_ne_bytes());
    field(
        o,
        offset_of!(T, dev_info),
        fw,
        fw_signed::INFO,
        fw_signed::INFO_SIZE,
    );
    Ok(out)
}

/// `HL_INFO_SECURED_ATTESTATION` (`signed` false) or `HL_INFO_DEV_SIGNED`: asks the firmware
/// with the user's nonce and returns the answer structure.
pub(crate) fn query(g: &GaudiRef<'_>, signed: bool, nonce: u32) -> Result<KVec<u8>> {
    let (opcode, size) = if signed {
        (INFO_SIGNED_GET, fw_signed::SIZE)
    } else {
        (SEC_ATTEST_GET, fw_attest::SIZE)
    };
    let mut fw = KVec::new();
    fw.resize(size, 0, GFP_KERNEL)?;
    let pkt = Packet {
        word20: nonce,
        ..Packet::new(opcode, 0)
    };
    g.0.send_for_buffer(pkt, &mut fw, cpucp::INFO_TIMEOUT)?;
    if signed {
        repack_signed(&fw)
    } else {
        repack_attest(&fw)
    }
}

/// Why a generic request was refused before reaching the firmware.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum GenericError {
    /// Not a request there is (`EINVAL`).
    SubOpcode,
    /// Above upstream's 1 MiB (`EINVAL`).
    TooLarge,
    /// More than the driver's CPU-CP buffer holds, or nothing (`ENOMEM`).
    NoBuffer,
}

impl GenericError {
    pub(crate) fn errno(&self) -> Error {
        match self {
            GenericError::SubOpcode | GenericError::TooLarge => EINVAL,
            GenericError::NoBuffer => ENOMEM,
        }
    }
}

/// Checks a generic request as upstream does (sub-opcode, then size), and against the
/// driver's buffer; returns whether it takes input.
pub(crate) fn check_generic(sub: u32, size: u32) -> core::result::Result<bool, GenericError> {
    if !matches!(sub, PASSTHROUGH_VERSIONS | GET_ERR_COUNTERS | GET_P_STATE) {
        return Err(GenericError::SubOpcode);
    }
    if size > GENERIC_MAX {
        return Err(GenericError::TooLarge);
    }
    if size == 0 || size as usize > BUF_SIZE {
        return Err(GenericError::NoBuffer);
    }
    Ok(sub == GET_ERR_COUNTERS)
}

/// Sends generic request `sub` with `buf` (preloaded with the user's input when the request
/// takes some); returns how many bytes of `buf` the firmware says it filled.
pub(crate) fn generic(g: &GaudiRef<'_>, sub: u32, buf: &mut [u8], input: bool) -> Result<usize> {
    let pkt = Packet {
        word20: sub,
        ..Packet::new(GENERIC_PASSTHROUGH, 0)
    };
    let n = g.0.send_with_buffer(pkt, buf, input, cpucp::INFO_TIMEOUT)?;
    Ok((n as u32 as usize).min(buf.len()))
}

#[kunit_tests(habanalabs_rs_attest)]
mod tests {
    use super::*;

    #[test]
    fn attestation_fields_move_to_the_uapi_layout() {
        type T = uapi::hl_info_sec_attest;
        let mut fw = KVec::new();
        fw.resize(fw_attest::SIZE, 0u8, GFP_KERNEL).unwrap();
        fw[fw_attest::NONCE..fw_attest::NONCE + 4].copy_from_slice(&0xA1B2C3D4u32.to_le_bytes());
        fw[fw_attest::PCR_QUOTE_LEN] = 9;
        fw[fw_attest::CERTIFICATE_LEN + 1] = 7;
        fw[fw_attest::PCR_NUM_REG] = 3;
        fw[fw_attest::QUOTE_SIG_LEN] = 5;
        fw[fw_attest::PCR_DATA + 255] = 0x11;
        fw[fw_attest::QUOTE_SIG] = 0x22;
        fw[fw_attest::CERTIFICATE + CERTIFICATE - 1] = 0x33;
        let o = repack_attest(&fw).unwrap();
        assert_eq!(o.len(), 3592);
        assert_eq!(u32_at(&o, offset_of!(T, nonce)), 0xA1B2C3D4);
        assert_eq!(u16_at(&o, offset_of!(T, pcr_quote_len)), 9);
        assert_eq!(u16_at(&o, offset_of!(T, certificate_len)), 7 << 8);
        assert_eq!(o[offset_of!(T, pcr_num_reg)], 3);
        assert_eq!(o[offset_of!(T, quote_sig_len)], 5);
        assert_eq!(o[offset_of!(T, pcr_data) + 255], 0x11);
        assert_eq!(o[offset_of!(T, quote_sig)], 0x22);
        assert_eq!(o[offset_of!(T, certificate) + CERTIFICATE - 1], 0x33);
        assert!(repack_attest(&fw[..100]).is_err());
    }

    #[test]
    fn signed_info_carries_the_whole_device_info() {
        type T = uapi::hl_info_signed;
        let mut fw = KVec::new();
        fw.resize(fw_signed::SIZE, 0u8, GFP_KERNEL).unwrap();
        fw[0] = 0x44;
        fw[fw_signed::INFO_SIZE - 1] = 0x55;
        fw[fw_signed::NONCE] = 0x66;
        fw[fw_signed::INFO_SIG_LEN] = 4;
        fw[fw_signed::PUB_DATA] = 0x77;
        let o = repack_signed(&fw).unwrap();
        assert_eq!(o.len(), 7944);
        assert_eq!(u16_at(&o, offset_of!(T, dev_info_len)), 1768);
        assert_eq!(o[offset_of!(T, dev_info)], 0x44);
        assert_eq!(o[offset_of!(T, dev_info) + 1767], 0x55);
        assert_eq!(o[offset_of!(T, nonce)], 0x66);
        assert_eq!(o[offset_of!(T, info_sig_len)], 4);
        assert_eq!(o[offset_of!(T, public_data)], 0x77);
    }

    #[test]
    fn generic_requests_are_checked_in_upstreams_order() {
        assert_eq!(check_generic(0, 64), Ok(false));
        assert_eq!(check_generic(1, 64), Ok(true));
        assert_eq!(check_generic(2, 4096), Ok(false));
        assert_eq!(check_generic(3, 64), Err(GenericError::SubOpcode));
        assert_eq!(check_generic(3, 2 << 20), Err(GenericError::SubOpcode));
        assert_eq!(check_generic(0, (1 << 20) + 1), Err(GenericError::TooLarge));
        assert_eq!(check_generic(0, 0), Err(GenericError::NoBuffer));
        assert_eq!(check_generic(0, 0).unwrap_err().errno(), ENOMEM);
        assert_eq!(check_generic(2, 1 << 20), Ok(false));
    }
}
