// SPDX-License-Identifier: GPL-2.0
//! Command-line options of the model.

use crate::log::Level;
use std::path::PathBuf;

/// Default HBM size: 32 GiB, as on the card.
pub const DEFAULT_HBM_SIZE: u64 = 32 << 30;
/// Default size of the HBM BAR (the movable window onto HBM).
pub const DEFAULT_HBM_BAR_SIZE: u64 = 256 << 20;

/// What the model was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// The vfio-user socket to listen on.
    pub socket: PathBuf,
    /// Bytes of HBM.
    pub hbm_size: u64,
    /// Bytes of the HBM BAR.
    pub hbm_bar_size: u64,
    /// How much to log.
    pub log_level: Level,
    /// Bytes of BAR0 (testing only: Gaudi's is 64 MiB).
    pub sram_bar_size: u64,
    /// The control socket for fault injection and counters, if any.
    pub control: Option<PathBuf>,
}

/// The usage text.
pub const USAGE: &str = "\
usage: hl-model --socket PATH [--control PATH] [--hbm-size SIZE] [--hbm-bar-size SIZE]
                [--log-level LEVEL]
       hl-model relay --serial PATH CONTROL_SOCKET...

Serves an emulated Habana Labs Gaudi (PCI 1da3:1000) to QEMU over vfio-user.

  --socket PATH        UNIX socket to listen on; a stale socket left by a model that
                       died is removed, one that a live model serves is an error
  --control PATH       UNIX socket for tests: fault injection, counters, tracing (one
                       command per line; send 'help' for the list)
  --hbm-size SIZE      HBM bytes, a multiple of 2M from 64M to 64G (default 32G);
                       memory is allocated only when touched
  --hbm-bar-size SIZE  bytes of BAR4, the window onto HBM: a power of two from 1M to
                       the HBM size (default 256M)
  --log-level LEVEL    error, warn, info (default), debug or trace
  --sram-bar-size SIZE for testing drivers only: report a BAR0 of SIZE (a power of
                       two from 1M) instead of Gaudi's 64M; such a device is not a Gaudi
  -h, --help           this text

SIZE is a number of bytes with an optional K, M or G suffix (powers of 1024).

'relay' connects to QEMU's serial socket at PATH and forwards lines 'gN COMMAND' written by
the guest to the Nth control socket given, and each reply back.
";

/// Parses a size with an optional K/M/G suffix.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let (num, shift) = match s.chars().last() {
        Some('K' | 'k') => (&s[..s.len() - 1], 10),
        Some('M' | 'm') => (&s[..s.len() - 1], 20),
        Some('G' | 'g') => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size (a number with an optional K, M or G)"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("size '{s}' is too large"))
}

/// Parses the arguments after the program name. `Ok(None)` asks for the usage text.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Option<Options>, String> {
    let mut socket = None;
    let mut hbm_size = DEFAULT_HBM_SIZE;
    let mut hbm_bar_size = DEFAULT_HBM_BAR_SIZE;
    let mut log_level = Level::Info;
    let mut sram_bar_size = crate::device::SRAM_BAR_SIZE;
    let mut control = None;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--socket" => socket = Some(PathBuf::from(value("--socket")?)),
            "--control" => control = Some(PathBuf::from(value("--control")?)),
            "--hbm-size" => hbm_size = parse_size(&value("--hbm-size")?)?,
            "--hbm-bar-size" => hbm_bar_size = parse_size(&value("--hbm-bar-size")?)?,
            "--sram-bar-size" => sram_bar_size = parse_size(&value("--sram-bar-size")?)?,
            "--log-level" => {
                let v = value("--log-level")?;
                log_level = Level::parse(&v).ok_or_else(|| format!("unknown log level '{v}'"))?;
            }
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    let socket = socket.ok_or("--socket is required")?;
    if !(64 << 20..=64 << 30).contains(&hbm_size) || hbm_size % (2 << 20) != 0 {
        return Err(format!(
            "--hbm-size {hbm_size} must be a multiple of 2M from 64M to 64G"
        ));
    }
    if !hbm_bar_size.is_power_of_two() || hbm_bar_size < 1 << 20 || hbm_bar_size > hbm_size {
        return Err(format!(
            "--hbm-bar-size {hbm_bar_size} must be a power of two from 1M to the HBM size"
        ));
    }
    if !sram_bar_size.is_power_of_two() || sram_bar_size < 1 << 20 {
        return Err(format!(
            "--sram-bar-size {sram_bar_size} must be a power of two from 1M"
        ));
    }
    Ok(Some(Options {
        socket,
        hbm_size,
        hbm_bar_size,
        log_level,
        sram_bar_size,
        control,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn sizes_take_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("32g"), Ok(32 << 30));
        assert!(parse_size("").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999G").is_err());
    }

    #[test]
    fn defaults_match_the_card() {
        let o = parse(args("--socket /tmp/s")).unwrap().unwrap();
        assert_eq!(o.socket, PathBuf::from("/tmp/s"));
        assert_eq!(o.hbm_size, 32 << 30);
        assert_eq!(o.hbm_bar_size, 256 << 20);
        assert_eq!(o.log_level, Level::Info);
        assert_eq!(o.sram_bar_size, 64 << 20);
        assert_eq!(o.control, None);
    }

    #[test]
    fn all_options_parse() {
        let o = parse(args(
            "--socket s --hbm-size 1G --hbm-bar-size 64M --log-level trace",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            (o.hbm_size, o.hbm_bar_size, o.log_level),
            (1 << 30, 64 << 20, Level::Trace)
        );
    }

    #[test]
    fn bad_options_are_refused_with_a_reason() {
        for bad in [
            "",
            "--socket",
            "--socket s --bogus",
            "--socket s --hbm-size 3M",
            "--socket s --hbm-size 128G",
            "--socket s --hbm-size 1G --hbm-bar-size 3M",
            "--socket s --hbm-size 1G --hbm-bar-size 2G",
            "--socket s --log-level loud",
            "--socket s --sram-bar-size 3M",
        ] {
            let e = parse(args(bad)).unwrap_err();
            assert!(!e.is_empty(), "no reason for {bad:?}");
        }
        assert_eq!(parse(args("--help")), Ok(None));
    }
}
