// SPDX-License-Identifier: GPL-2.0
//! The model's control socket: fault injection, counters and tracing, switched by tests while
//! the device runs. One command per line, one reply line per command, beginning with `ok` or
//! `error:`. See `help` for the commands.
//!
//! Tests inside the guest reach it through a second serial port: `relay` forwards lines of the
//! form `gN COMMAND` from QEMU's serial socket to model N's control socket, and the reply back.

use crate::device::Device;
use crate::log::{self, Level};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The commands, for `help`.
pub const HELP: &str = "ok commands: stats | hang Q on|off | dma-delay Q MS | corrupt-cb Q | \
stray-access E ADDR read|write | fw-silent on|off | drop-msi N | event TYPE [U64...] | mmu-read ASID VA LEN | dma-read BUS LEN | \
reg-read OFF | trace on|off | help (Q: external queue 0-7, OFF: register offset from CFG_BASE)";

fn on_off(s: Option<&str>) -> Result<bool, String> {
    match s {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        _ => Err("expected on or off".into()),
    }
}

fn queue(s: Option<&str>) -> Result<(usize, usize), String> {
    let q: usize = s
        .and_then(|s| s.parse().ok())
        .filter(|q| *q < 8)
        .ok_or("expected a queue 0-7")?;
    Ok((q / 4, q % 4))
}

/// A number in decimal or `0x` hexadecimal; `what` names it in the error.
fn number(s: Option<&str>, what: &str) -> Result<u64, String> {
    let t = s.ok_or(format!("expected {what}"))?;
    let v = match t.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse(),
    };
    v.map_err(|_| format!("bad {what} {t}"))
}

/// A read length: 1 to 256 bytes.
fn read_len(s: Option<&str>) -> Result<usize, String> {
    match number(s, "a length")? {
        len @ 1..=256 => Ok(len as usize),
        _ => Err("length must be 1 to 256 bytes".into()),
    }
}

/// The `ok HEX` reply to a read.
fn hex_reply(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("ok {hex}")
}

/// Carries out one command.
pub fn command(dev: &Device, line: &str) -> Result<String, String> {
    let mut w = line.split_whitespace();
    match w.next() {
        Some("help") => Ok(HELP.into()),
        Some("stats") => Ok(format!("ok {}", dev.counters())),
        Some("hang") => {
            let (e, s) = queue(w.next())?;
            let on = on_off(w.next())?;
            dev.state().qm[e].streams[s].hang = on;
            dev.wake.notify_all();
            Ok("ok".into())
        }
        Some("dma-delay") => {
            let (e, s) = queue(w.next())?;
            let ms: u64 = w
                .next()
                .and_then(|m| m.parse().ok())
                .ok_or("expected milliseconds")?;
            dev.state().qm[e].streams[s].dma_delay = Duration::from_millis(ms);
            Ok("ok".into())
        }
        Some("corrupt-cb") => {
            let (e, s) = queue(w.next())?;
            dev.state().qm[e].streams[s].corrupt_next = true;
            Ok("ok".into())
        }
        Some("stray-access") => {
            let e = number(w.next(), "a DMA engine")?;
            let e = usize::try_from(e)
                .ok()
                .filter(|e| *e < 2)
                .ok_or("the DMA engines are 0 and 1")?;
            let addr = number(w.next(), "an address")?;
            let write = match w.next() {
                Some("read") => false,
                Some("write") => true,
                _ => return Err("expected read or write".into()),
            };
            dev.stray_access(e, addr, write)?;
            Ok("ok".into())
        }
        Some("fw-silent") => {
            dev.state().fw.silent = on_off(w.next())?;
            Ok("ok".into())
        }
        Some("drop-msi") => {
            let n: u32 = w
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or("expected a count")?;
            dev.state().msi_drop = n;
            Ok("ok".into())
        }
        Some("event") => {
            let kind: u16 = w
                .next()
                .and_then(|t| t.parse().ok())
                .filter(|t| *t < crate::fw::event::COUNT)
                .ok_or("expected an event type below 663")?;
            let mut payload = vec![];
            for word in w {
                let v: u64 = word
                    .parse()
                    .map_err(|_| format!("bad payload word {word}"))?;
                payload.extend_from_slice(&v.to_le_bytes());
            }
            if payload.len() > 56 {
                return Err("at most 7 payload words".into());
            }
            if dev.inject_event(kind, &payload) {
                Ok("ok delivered".into())
            } else {
                Err("event dropped: host not ready for events, event masked or queue full".into())
            }
        }
        Some("mmu-read") => {
            let asid = number(w.next(), "an ASID")?;
            let va = number(w.next(), "a virtual address")?;
            let len = read_len(w.next())?;
            Ok(hex_reply(&dev.mmu_read(asid as u32, va, len)?))
        }
        Some("dma-read") => {
            let bus = number(w.next(), "a bus address")?;
            let len = read_len(w.next())?;
            Ok(hex_reply(&dev.dma_read(bus, len)?))
        }
        Some("reg-read") => {
            // As the host reads it through the configuration BAR (so, counted as unimplemented
            // where it is).
            let off = number(w.next(), "a register offset")?;
            let off = u32::try_from(off)
                .ok()
                .filter(|o| o % 4 == 0 && (*o as u64) < crate::regs::REGS_SIZE)
                .ok_or(format!(
                    "register offset {off:#x} outside the configuration space or unaligned"
                ))?;
            Ok(format!("ok {:#x}", dev.read_reg(off)))
        }
        Some("trace") => {
            log::set_level(if on_off(w.next())? {
                Level::Trace
            } else {
                Level::Info
            });
            Ok("ok".into())
        }
        Some(other) => Err(format!("unknown command {other}; try help")),
        None => Err("empty command".into()),
    }
}

fn serve_client(dev: &Device, stream: UnixStream) {
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        let reply = command(dev, &line).unwrap_or_else(|e| format!("error: {e}"));
        crate::info!("control: {line} -> {reply}");
        if writeln!(out, "{reply}").is_err() {
            return;
        }
    }
}

/// Listens on `path` for control connections, one at a time, on a thread of its own.
pub fn serve(path: &Path, dev: Arc<Device>) -> Result<(), String> {
    crate::server::prepare_socket(path)?;
    let l = UnixListener::bind(path)
        .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    crate::info!("control socket {}", path.display());
    std::thread::Builder::new()
        .name("hl-control".into())
        .spawn(move || {
            for s in l.incoming().flatten() {
                serve_client(&dev, s);
            }
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Relays `gN COMMAND` lines from the serial socket at `serial` to control socket N of
/// `controls`, and replies back, until the serial side closes.
pub fn relay(serial: &Path, controls: &[String]) -> Result<(), String> {
    let s = UnixStream::connect(serial)
        .map_err(|e| format!("cannot connect to {}: {e}", serial.display()))?;
    let mut out = s.try_clone().map_err(|e| e.to_string())?;
    let mut conns: Vec<Option<(UnixStream, BufReader<UnixStream>)>> =
        controls.iter().map(|_| None).collect();
    for line in BufReader::new(s).lines() {
        let Ok(line) = line else { break };
        let line = line
            .trim_matches(|c: char| c == '\r' || c.is_whitespace())
            .to_string();
        if line.is_empty() {
            continue;
        }
        let (target, cmd) = line.split_once(' ').unwrap_or((&line, ""));
        let reply = (|| {
            let n: usize = target
                .strip_prefix('g')
                .and_then(|n| n.parse().ok())
                .filter(|n| *n < controls.len())
                .ok_or_else(|| format!("error: no device {target}"))?;
            if conns[n].is_none() {
                let c = UnixStream::connect(&controls[n]).map_err(|e| format!("error: {e}"))?;
                let r = BufReader::new(c.try_clone().map_err(|e| format!("error: {e}"))?);
                conns[n] = Some((c, r));
            }
            let (c, r) = conns[n].as_mut().ok_or("error: no connection")?;
            writeln!(c, "{cmd}").map_err(|e| format!("error: {e}"))?;
            let mut reply = String::new();
            r.read_line(&mut reply).map_err(|e| format!("error: {e}"))?;
            Ok::<String, String>(reply.trim_end().to_string())
        })()
        .unwrap_or_else(|e| e);
        if writeln!(out, "{reply}\r").is_err() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_switch_faults_and_report_counters() {
        let dev = Device::new(1 << 30, 256 << 20).unwrap();
        assert!(command(&dev, "stats").unwrap().contains("msi_sent=0"));
        command(&dev, "hang 6 on").unwrap();
        assert!(dev.state().qm[1].streams[2].hang);
        command(&dev, "dma-delay 1 25").unwrap();
        assert_eq!(
            dev.state().qm[0].streams[1].dma_delay,
            Duration::from_millis(25)
        );
        command(&dev, "fw-silent on").unwrap();
        assert!(dev.state().fw.silent);
        command(&dev, "drop-msi 2").unwrap();
        for _ in 0..3 {
            dev.write_reg(crate::regs::PCIE_CORE_MSI_REQ, 1);
        }
        let s = command(&dev, "stats").unwrap();
        assert!(
            s.contains("msi_dropped_by_fault=2") && s.contains("msi_lost=1"),
            "{s}"
        );
        for bad in [
            "hang 8 on",
            "hang 1",
            "dma-delay x 1",
            "event 999",
            "mmu-read 1 0x1000",
            "mmu-read 1 zz 4",
            "dma-read 0x1000 0",
            "dma-read 0x1000 257",
            "dma-read 0xg 4",
            "reg-read",
            "reg-read 0x2",
            "reg-read 0x8000000000",
            "bogus",
            "",
        ] {
            assert!(command(&dev, bad).is_err(), "{bad}");
        }
        assert!(command(&dev, "dma-read 0x1000 257")
            .unwrap_err()
            .contains("1 to 256"));
        assert!(command(&dev, "event 380")
            .unwrap_err()
            .contains("not ready"));
        // A register read is the host's: what was written is what is read.
        let sob = crate::qman::SM_SOB_BASE[0] + 4 * 7;
        dev.write_reg(sob, 5);
        assert_eq!(
            command(&dev, &format!("reg-read {sob:#x}")).unwrap(),
            "ok 0x5"
        );
    }

    #[test]
    fn relay_forwards_lines_both_ways() {
        let dir = std::env::temp_dir().join(format!("hlm-relay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ctl = dir.join("c0.sock");
        let serial = dir.join("serial.sock");
        let dev = Arc::new(Device::new(1 << 30, 256 << 20).unwrap());
        serve(&ctl, dev.clone()).unwrap();
        let ser = UnixListener::bind(&serial).unwrap();
        let controls = vec![ctl.to_string_lossy().into_owned()];
        let serial2 = serial.clone();
        let t = std::thread::spawn(move || relay(&serial2, &controls));
        let (mut guest, _) = ser.accept().unwrap();
        writeln!(guest, "g0 hang 3 on\r").unwrap();
        writeln!(guest, "g1 stats").unwrap();
        let mut r = BufReader::new(guest.try_clone().unwrap());
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        assert_eq!(l.trim_end(), "ok");
        l.clear();
        r.read_line(&mut l).unwrap();
        assert!(l.starts_with("error: no device g1"), "{l}");
        assert!(dev.state().qm[0].streams[3].hang);
        drop(guest);
        drop(r);
        t.join().unwrap().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
