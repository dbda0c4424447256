// SPDX-License-Identifier: GPL-2.0
//! `VFIO_USER_VERSION`: the client proposes a version and capabilities (a NUL-terminated JSON
//! object), the server answers with the version it speaks and the subset of capabilities it
//! takes, with its own values.

use super::{Errno, MAX_DATA_XFER};
use serde_json::{Map, Value};

/// Protocol major version the server speaks (QEMU 11.1 proposes 0.0).
pub const MAJOR: u16 = 0;
/// Highest minor version the server speaks.
pub const MINOR: u16 = 0;

/// Descriptors the server takes in one message: a DMA_MAP brings one file, a SET_IRQS one
/// eventfd per vector and the device has one vector.
pub const SERVER_MAX_MSG_FDS: u32 = 1;

/// The specification's default `max_data_xfer_size`, for a peer that does not give one.
pub const DEFAULT_MAX_DATA_XFER: u64 = 1 << 20;

/// What the client proposed, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// Capability names the client gave.
    pub names: Vec<String>,
    /// Most descriptors the client takes in one message.
    pub max_msg_fds: u64,
    /// Largest data transfer the client takes (the limit of the server's DMA requests).
    pub max_data_xfer_size: u64,
}

/// The agreed result: the reply's payload and what the session keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    /// Payload of the VERSION reply (major, minor, JSON and its NUL).
    pub reply: Vec<u8>,
    /// Largest DMA_READ/DMA_WRITE `count` the server may send.
    pub dma_xfer: u32,
}

fn uint(caps: &Map<String, Value>, name: &str) -> Result<Option<u64>, String> {
    match caps.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("capability {name} is {v}, not an unsigned integer")),
    }
}

/// Checks the payload of a VERSION request: major and minor, then optionally the JSON text
/// and its terminating NUL.
pub fn parse(payload: &[u8]) -> Result<Proposal, (Errno, String)> {
    let bad = |why: String| (Errno::EINVAL, why);
    if payload.len() < 4 {
        return Err(bad(format!(
            "VERSION payload of {} bytes, shorter than its 4-byte version",
            payload.len()
        )));
    }
    let major = u16::from_ne_bytes([payload[0], payload[1]]);
    let minor = u16::from_ne_bytes([payload[2], payload[3]]);
    let mut p = Proposal {
        major,
        minor,
        names: vec![],
        max_msg_fds: 1,
        max_data_xfer_size: DEFAULT_MAX_DATA_XFER,
    };
    let data = &payload[4..];
    if data.is_empty() {
        return Ok(p);
    }
    let Some((&0, text)) = data.split_last() else {
        return Err(bad("version data is not NUL-terminated".into()));
    };
    if text.contains(&0) {
        return Err(bad("version data has a NUL before its end".into()));
    }
    let text =
        std::str::from_utf8(text).map_err(|e| bad(format!("version data is not UTF-8: {e}")))?;
    let json: Value =
        serde_json::from_str(text).map_err(|e| bad(format!("version data is not JSON: {e}")))?;
    let Value::Object(top) = json else {
        return Err(bad(format!("version data {text} is not a JSON object")));
    };
    let caps = match top.get("capabilities") {
        None => return Ok(p),
        Some(Value::Object(c)) => c,
        Some(v) => return Err(bad(format!("capabilities is {v}, not an object"))),
    };
    p.names = caps.keys().cloned().collect();
    if let Some(n) = uint(caps, "max_msg_fds").map_err(bad)? {
        p.max_msg_fds = n;
    }
    if let Some(n) = uint(caps, "max_data_xfer_size").map_err(bad)? {
        if n == 0 {
            return Err(bad("max_data_xfer_size is 0".into()));
        }
        p.max_data_xfer_size = n;
    }
    uint(caps, "pgsizes").map_err(bad)?;
    uint(caps, "max_dma_maps").map_err(bad)?;
    if let Some(v) = caps.get("write_multiple") {
        if !v.is_boolean() {
            return Err(bad(format!("write_multiple is {v}, not a boolean")));
        }
    }
    for name in ["migration", "twin_socket"] {
        if let Some(v) = caps.get(name) {
            if !v.is_object() {
                return Err(bad(format!("{name} is {v}, not an object")));
            }
        }
    }
    Ok(p)
}

/// Answers a checked proposal: the same major (or `ENOTSUP`), the lower minor, and of the
/// capabilities the client named only those the server has a value for. Migration,
/// `write_multiple` and twin sockets are left out: the server supports none of them.
pub fn agree(p: &Proposal) -> Result<Agreement, (Errno, String)> {
    if p.major != MAJOR {
        return Err((
            Errno::ENOTSUP,
            format!(
                "client speaks vfio-user {}.{}, the server {MAJOR}.{MINOR}",
                p.major, p.minor
            ),
        ));
    }
    let mut caps = Map::new();
    for name in &p.names {
        match name.as_str() {
            "max_msg_fds" => {
                caps.insert(name.clone(), SERVER_MAX_MSG_FDS.into());
            }
            "max_data_xfer_size" => {
                caps.insert(name.clone(), MAX_DATA_XFER.into());
            }
            _ => {}
        }
    }
    let mut top = Map::new();
    if !p.names.is_empty() {
        top.insert("capabilities".into(), Value::Object(caps));
    }
    let text = Value::Object(top).to_string();
    let mut reply = Vec::with_capacity(4 + text.len() + 1);
    reply.extend_from_slice(&MAJOR.to_ne_bytes());
    // The reply's minor is at most the proposed one; the server's, 0, always is.
    reply.extend_from_slice(&MINOR.to_ne_bytes());
    reply.extend_from_slice(text.as_bytes());
    reply.push(0);
    Ok(Agreement {
        reply,
        dma_xfer: p.max_data_xfer_size.min(MAX_DATA_XFER as u64) as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(major: u16, minor: u16, json: &str) -> Vec<u8> {
        let mut v = major.to_ne_bytes().to_vec();
        v.extend_from_slice(&minor.to_ne_bytes());
        v.extend_from_slice(json.as_bytes());
        v.push(0);
        v
    }

    #[test]
    fn qemu_proposal_gets_a_subset_with_the_servers_values() {
        let q = r#"{"capabilities":{"migration":{"pgsize":4096,"max_bitmap_size":1048576},"max_msg_fds":16,"max_data_xfer_size":1048576,"pgsizes":4096,"max_dma_maps":65535,"write_multiple":true}}"#;
        let p = parse(&payload(0, 0, q)).unwrap();
        assert_eq!(p.max_msg_fds, 16);
        let a = agree(&p).unwrap();
        assert_eq!(a.dma_xfer, MAX_DATA_XFER);
        assert_eq!(&a.reply[..4], &[0, 0, 0, 0]);
        assert_eq!(a.reply.last(), Some(&0));
        let text = std::str::from_utf8(&a.reply[4..a.reply.len() - 1]).unwrap();
        let v: Value = serde_json::from_str(text).unwrap();
        let c = v["capabilities"].as_object().unwrap();
        assert_eq!(c["max_msg_fds"], 1);
        assert_eq!(c["max_data_xfer_size"], MAX_DATA_XFER);
        assert!(!c.contains_key("migration") && !c.contains_key("write_multiple"));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn a_small_client_transfer_limit_bounds_the_servers_dma() {
        let p = parse(&payload(
            0,
            3,
            r#"{"capabilities":{"max_data_xfer_size":4096}}"#,
        ))
        .unwrap();
        let a = agree(&p).unwrap();
        assert_eq!(a.dma_xfer, 4096);
        assert_eq!(
            u16::from_ne_bytes([a.reply[2], a.reply[3]]),
            0,
            "minor lowered to ours"
        );
        // No JSON at all: defaults, and a reply without capabilities.
        let a = agree(&parse(&[0, 0, 0, 0]).unwrap()).unwrap();
        assert_eq!(a.dma_xfer, MAX_DATA_XFER);
        assert_eq!(&a.reply[4..], b"{}\0");
    }

    #[test]
    fn malformed_proposals_are_einval_and_other_majors_enotsup() {
        for bad in [
            vec![0u8, 0, 0],
            [0u8, 0, 0, 0].iter().chain(b"{}").copied().collect(),
            payload(0, 0, "{\"capabilities\":"),
            payload(0, 0, "[1,2]"),
            payload(0, 0, r#"{"capabilities":7}"#),
            payload(0, 0, r#"{"capabilities":{"max_msg_fds":-1}}"#),
            payload(0, 0, r#"{"capabilities":{"max_data_xfer_size":"big"}}"#),
            payload(0, 0, r#"{"capabilities":{"max_data_xfer_size":0}}"#),
            payload(0, 0, r#"{"capabilities":{"write_multiple":1}}"#),
            payload(0, 0, r#"{"capabilities":{"migration":[]}}"#),
            [0u8, 0, 0, 0, b'{', 0, b'}', 0].to_vec(),
            [0u8, 0, 0, 0, 0xff, 0xfe, 0].to_vec(),
        ] {
            assert_eq!(parse(&bad).unwrap_err().0, Errno::EINVAL, "{bad:?}");
        }
        let p = parse(&payload(1, 0, "{}")).unwrap();
        assert_eq!(agree(&p).unwrap_err().0, Errno::ENOTSUP);
    }
}
