// SPDX-License-Identifier: GPL-2.0
//! The model process at its edges: bad options, stale sockets and a client that goes away
//! must give a message and a clean exit, never a panic.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn model() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hl-model"))
}

fn sock(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("hlm-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// A running model whose stderr is collected line by line; killed if the test ends early, so
/// that no model outlives its test (and holds the test's output pipes open).
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = model()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    return;
                }
            }
        });
        Running {
            child,
            lines,
            seen: vec![],
        }
    }

    /// Waits (ten seconds at most) for a log line containing `what`.
    fn expect(&mut self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.seen.iter().any(|l| l.contains(what)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => panic!(
                    "no '{what}' from the model; it said:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Waits (ten seconds at most) for the model to exit; returns its status and all it said.
    fn finish(&mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "the model did not exit within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(l);
        }
        (status, self.seen.join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn bad_option_exits_2_with_a_reason() {
    let out = model()
        .args(["--socket", "/tmp/x", "--hbm-size", "7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--hbm-size") && err.contains("--help"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn client_that_goes_away_ends_the_model_cleanly() {
    let p = sock("gone");
    let s = p.to_str().unwrap();
    let mut m = Running::start(&["--socket", s, "--hbm-size", "64M", "--hbm-bar-size", "1M"]);
    m.expect("listening on");
    drop(UnixStream::connect(&p).unwrap());
    let (status, err) = m.finish();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("exiting"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!p.exists(), "socket left behind");
}

#[test]
fn stale_socket_is_replaced_and_a_non_socket_refused() {
    let p = sock("stale");
    let s = p.to_str().unwrap();
    drop(UnixListener::bind(&p).unwrap());
    let mut m = Running::start(&["--socket", s, "--hbm-size", "64M", "--hbm-bar-size", "1M"]);
    m.expect("removed stale socket");
    m.expect("listening on");
    drop(UnixStream::connect(&p).unwrap());
    let (status, err) = m.finish();
    assert_eq!(status.code(), Some(0), "{err}");

    std::fs::write(&p, b"not a socket").unwrap();
    let out = model().args(["--socket", s]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a socket"));
    std::fs::remove_file(&p).unwrap();
}

#[test]
fn a_live_model_keeps_its_socket() {
    let p = sock("live");
    let s = p.to_str().unwrap();
    let mut first = Running::start(&["--socket", s, "--hbm-size", "64M", "--hbm-bar-size", "1M"]);
    first.expect("listening on");
    let out = model()
        .args(["--socket", s, "--hbm-size", "64M", "--hbm-bar-size", "1M"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("live model"));
    drop(UnixStream::connect(&p).unwrap());
    assert_eq!(
        first.finish().0.code(),
        Some(0),
        "the first model was not disturbed"
    );
}

/// A vfio-user message header: id, command, size, flags, error.
fn header(cmd: u16, size: u32) -> Vec<u8> {
    [
        1u16.to_le_bytes().as_slice(),
        &cmd.to_le_bytes(),
        &size.to_le_bytes(),
        &0u32.to_le_bytes(),
        &0u32.to_le_bytes(),
    ]
    .concat()
}

#[test]
fn oversized_access_is_refused_and_the_session_goes_on() {
    let p = sock("huge");
    let s = p.to_str().unwrap();
    let mut m = Running::start(&["--socket", s, "--hbm-size", "64M", "--hbm-bar-size", "1M"]);
    m.expect("listening on");
    let mut c = UnixStream::connect(&p).unwrap();
    // REGION_READ of 4 GiB - 1 from BAR2: offset u64, region u32, count u32.
    let mut msg = header(9, 32);
    msg.extend_from_slice(&0u64.to_le_bytes());
    msg.extend_from_slice(&2u32.to_le_bytes());
    msg.extend_from_slice(&u32::MAX.to_le_bytes());
    c.write_all(&msg).unwrap();
    let mut reply = [0u8; 16];
    c.read_exact(&mut reply).unwrap();
    let flags = u32::from_le_bytes(reply[8..12].try_into().unwrap());
    assert_ne!(flags & (1 << 5), 0, "an error reply");
    drop(c);
    let (status, err) = m.finish();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("refused"), "{err}");
}

#[test]
fn malformed_messages_end_the_session_with_a_message_not_a_crash() {
    for (name, msg) in [
        // VERSION (major, minor) whose size field is smaller than the message itself.
        (
            "short",
            [
                header(1, 8),
                1u16.to_le_bytes().to_vec(),
                0u16.to_le_bytes().to_vec(),
            ]
            .concat(),
        ),
        // VERSION whose capabilities are not a NUL-terminated string.
        (
            "unterminated",
            [
                header(1, 22),
                1u16.to_le_bytes().to_vec(),
                0u16.to_le_bytes().to_vec(),
                b"{}".to_vec(),
            ]
            .concat(),
        ),
    ] {
        let p = sock(name);
        let s = p.to_str().unwrap();
        let mut m = Running::start(&["--socket", s, "--hbm-size", "64M", "--hbm-bar-size", "1M"]);
        m.expect("listening on");
        let mut c = UnixStream::connect(&p).unwrap();
        c.write_all(&msg).unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        let (status, err) = m.finish();
        assert_eq!(status.code(), Some(1), "{name}: {err}");
        assert!(err.contains("malformed vfio-user message"), "{name}: {err}");
        assert!(
            !err.contains("RUST_BACKTRACE") && !err.contains("panicked"),
            "{name}: {err}"
        );
        drop(c);
        let _ = std::fs::remove_file(&p);
    }
}
