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

/// A vfio-user message: header (id, command, size, flags, error) and payload.
fn msg(id: u16, cmd: u16, payload: &[u8]) -> Vec<u8> {
    let size = 16 + payload.len() as u32;
    [
        id.to_ne_bytes().as_slice(),
        &cmd.to_ne_bytes(),
        &size.to_ne_bytes(),
        &0u32.to_ne_bytes(),
        &0u32.to_ne_bytes(),
        payload,
    ]
    .concat()
}

/// Reads one message; returns id, flags, errno and payload.
fn reply(c: &mut UnixStream) -> (u16, u32, u32, Vec<u8>) {
    let mut h = [0u8; 16];
    c.read_exact(&mut h).unwrap();
    let word = |o: usize| u32::from_ne_bytes(h[o..o + 4].try_into().unwrap());
    let mut p = vec![0u8; word(4) as usize - 16];
    c.read_exact(&mut p).unwrap();
    (u16::from_ne_bytes([h[0], h[1]]), word(8), word(12), p)
}

const ERROR_REPLY: u32 = 1 | (1 << 5);

fn version(caps: &[u8]) -> Vec<u8> {
    [&[0u8, 0, 0, 0][..], caps].concat()
}

#[test]
fn malformed_messages_are_answered_and_the_session_goes_on() {
    let p = sock("malformed");
    let s = p.to_str().unwrap();
    let mut m = Running::start(&["--socket", s, "--hbm-size", "64M", "--hbm-bar-size", "1M"]);
    m.expect("listening on");
    let mut c = UnixStream::connect(&p).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // VERSION whose capabilities are not a NUL-terminated string: EINVAL.
    c.write_all(&msg(1, 1, &version(b"{}"))).unwrap();
    assert_eq!(reply(&mut c), (1, ERROR_REPLY, 22, vec![]));
    // A good one is still taken.
    c.write_all(&msg(
        2,
        1,
        &version(b"{\"capabilities\":{\"max_msg_fds\":16}}\0"),
    ))
    .unwrap();
    let (id, flags, _, payload) = reply(&mut c);
    assert_eq!((id, flags), (2, 1));
    assert!(payload.ends_with(b"{\"capabilities\":{\"max_msg_fds\":1}}\0"));
    // REGION_READ of 4 GiB - 1 from BAR2 (offset u64, region u32, count u32): E2BIG.
    let read = [
        &0u64.to_ne_bytes()[..],
        &2u32.to_ne_bytes(),
        &u32::MAX.to_ne_bytes(),
    ]
    .concat();
    c.write_all(&msg(3, 9, &read)).unwrap();
    assert_eq!(reply(&mut c), (3, ERROR_REPLY, 7, vec![]));
    // An unknown command: ENOSYS.
    c.write_all(&msg(4, 77, &[])).unwrap();
    assert_eq!(reply(&mut c), (4, ERROR_REPLY, 38, vec![]));
    // DEVICE_GET_INFO still works: 9 regions, 5 interrupt types.
    let info = [16u32, 0, 0, 0].map(u32::to_ne_bytes).concat();
    c.write_all(&msg(5, 4, &info)).unwrap();
    let (id, flags, _, payload) = reply(&mut c);
    assert_eq!(
        (id, flags, &payload[8..]),
        (5, 1, &[9u32, 5].map(u32::to_ne_bytes).concat()[..])
    );
    drop(c);
    let (status, err) = m.finish();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(
        err.contains("refused") && err.contains("vfio_user_errors=3"),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("internal error"),
        "{err}"
    );
}

#[test]
fn a_stream_that_cannot_be_framed_ends_the_session_with_a_message_not_a_crash() {
    for (name, bytes, answered) in [
        // VERSION whose size field is smaller than a header: answered, then the session ends.
        (
            "short",
            {
                let mut v = msg(7, 1, &version(b"{}\0"));
                v[4..8].copy_from_slice(&8u32.to_ne_bytes());
                v
            },
            true,
        ),
        // A header cut short by the end of the stream.
        ("cut", msg(7, 4, &[])[..9].to_vec(), false),
    ] {
        let p = sock(name);
        let s = p.to_str().unwrap();
        let mut m = Running::start(&["--socket", s, "--hbm-size", "64M", "--hbm-bar-size", "1M"]);
        m.expect("listening on");
        let mut c = UnixStream::connect(&p).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.write_all(&bytes).unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        if answered {
            assert_eq!(reply(&mut c), (7, ERROR_REPLY, 22, vec![]), "{name}");
        }
        let (status, err) = m.finish();
        assert_eq!(status.code(), Some(1), "{name}: {err}");
        assert!(
            err.contains("malformed vfio-user message") && err.contains("can no longer be framed"),
            "{name}: {err}"
        );
        assert!(err.contains("vfio_user_errors=1"), "{name}: {err}");
        assert!(
            !err.contains("RUST_BACKTRACE") && !err.contains("panicked"),
            "{name}: {err}"
        );
        drop(c);
        assert!(!p.exists(), "{name}: socket left behind");
    }
}
