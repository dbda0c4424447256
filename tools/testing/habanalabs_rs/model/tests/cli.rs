// SPDX-License-Identifier: GPL-2.0
//! The model process at its edges: bad options, stale sockets and a client that goes away
//! must give a message and a clean exit, never a panic.

use std::io::Read;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn model() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hl-model"))
}

fn sock(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("hlm-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

fn wait_for(p: &std::path::Path) {
    let t = Instant::now();
    while !p.exists() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "model never listened"
        );
        std::thread::sleep(Duration::from_millis(20));
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
    let mut child = model()
        .args([
            "--socket",
            p.to_str().unwrap(),
            "--hbm-size",
            "64M",
            "--hbm-bar-size",
            "1M",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&p);
    drop(UnixStream::connect(&p).unwrap());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("exiting"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!p.exists(), "socket left behind");
}

#[test]
fn stale_socket_is_replaced_and_a_non_socket_refused() {
    let p = sock("stale");
    drop(UnixListener::bind(&p).unwrap());
    let mut child = model()
        .args([
            "--socket",
            p.to_str().unwrap(),
            "--hbm-size",
            "64M",
            "--hbm-bar-size",
            "1M",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The stale file is replaced by the model's own listening socket.
    let t = Instant::now();
    loop {
        if UnixStream::connect(&p).is_ok() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "model never listened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("removed stale socket"), "{err}");

    std::fs::write(&p, b"not a socket").unwrap();
    let out = model()
        .args(["--socket", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a socket"));
    std::fs::remove_file(&p).unwrap();
}
