// SPDX-License-Identifier: GPL-2.0
//! Sessions against a fake client: a normal session as QEMU runs it, malformed messages
//! refused with the right errno while the session goes on, streams that can no longer be
//! framed, and the server's own DMA requests.

use super::dma::DmaError;
use super::session::End;
use super::testing::{eventfd, eventfd_take, fields, version_payload, Client, Harness, F};
use super::{cmd, flags, message, Errno, Header, HEADER_SIZE, MAX_DATA_XFER, MAX_MESSAGE};
use crate::host::test_memfd;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::sync::atomic::Ordering;
use std::time::Duration;
use vfio_bindings::bindings::vfio::{
    VFIO_DEVICE_FLAGS_PCI, VFIO_DEVICE_FLAGS_RESET, VFIO_DMA_UNMAP_FLAG_ALL, VFIO_IRQ_INFO_EVENTFD,
    VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_DATA_BOOL,
    VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE, VFIO_PCI_CONFIG_REGION_INDEX,
    VFIO_PCI_MSI_IRQ_INDEX,
};

const MSI: u32 = VFIO_PCI_MSI_IRQ_INDEX;
const CFG: u32 = VFIO_PCI_CONFIG_REGION_INDEX;

fn dma_map(bus: u64, size: u64, offset: u64) -> Vec<u8> {
    fields(&[F::W(32), F::W(3), F::Q(offset), F::Q(bus), F::Q(size)])
}

fn dma_unmap(flags: u32, bus: u64, size: u64) -> Vec<u8> {
    fields(&[F::W(24), F::W(flags), F::Q(bus), F::Q(size)])
}

fn set_irqs(flags: u32, index: u32, start: u32, count: u32) -> Vec<u8> {
    fields(&[F::W(20), F::W(flags), F::W(index), F::W(start), F::W(count)])
}

fn access(region: u32, offset: u64, count: u32) -> Vec<u8> {
    fields(&[F::Q(offset), F::W(region), F::W(count)])
}

const TRIGGER_EVENTFD: u32 = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
const TRIGGER_NONE: u32 = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;

#[test]
fn a_qemu_session_negotiates_reads_writes_maps_and_interrupts() {
    let mut h = Harness::start();
    let c = &mut h.client;
    let v = c.version();
    assert_eq!(&v[..4], &[0, 0, 0, 0], "version 0.0");
    let text = std::str::from_utf8(&v[4..v.len() - 1]).unwrap();
    assert_eq!(
        text,
        format!(r#"{{"capabilities":{{"max_data_xfer_size":{MAX_DATA_XFER},"max_msg_fds":1}}}}"#)
    );

    let (fl, regions, irqs) = c.device_info();
    assert_eq!(fl, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
    assert_eq!((regions, irqs), (9, 5));
    for (index, size) in [
        (0u32, 64u64 << 20),
        (1, 0),
        (2, 128 << 20),
        (4, 1 << 20),
        (7, 4096),
    ] {
        let p = c.ok(
            cmd::DEVICE_GET_REGION_INFO,
            &fields(&[F::W(32), F::W(0), F::W(index), F::W(0), F::Q(0), F::Q(0)]),
            &[],
        );
        assert_eq!(p.len(), 32);
        assert_eq!(super::u32_at(&p, 8), index);
        assert_eq!(super::u64_at(&p, 16), size, "region {index}");
        assert_eq!(
            super::u32_at(&p, 4) != 0,
            size != 0,
            "flags of region {index}"
        );
    }
    let p = c.ok(
        cmd::DEVICE_GET_IRQ_INFO,
        &fields(&[F::W(16), F::W(0), F::W(MSI), F::W(0)]),
        &[],
    );
    assert_eq!(
        p,
        fields(&[F::W(16), F::W(VFIO_IRQ_INFO_EVENTFD), F::W(MSI), F::W(1)])
    );

    // Configuration space: Habana's vendor id; SRAM through BAR0 keeps what is written,
    // also after a posted write (No_reply) that the next read must not overtake.
    assert_eq!(c.read(CFG, 0, 4), [0xa3, 0x1d, 0x00, 0x10]);
    c.write(0, 0x100, b"gaudi!");
    assert_eq!(c.read(0, 0x100, 6), b"gaudi!");
    c.send(
        cmd::REGION_WRITE,
        flags::NO_REPLY,
        &fields(&[F::Q(0x104), F::W(0), F::W(2), F::B(b"?!")]),
        &[],
    );
    assert_eq!(c.read(0, 0x100, 6), b"gaud?!");

    // Guest RAM arrives as a memfd: what the device writes there, the client sees.
    let ram = test_memfd(1 << 20);
    c.ok(
        cmd::DMA_MAP,
        &dma_map(0x10_0000, 0x8_0000, 0x1000),
        &[ram.as_raw_fd()],
    );
    h.dev.host.write(0x10_0010, b"device data").unwrap();
    let mut seen = [0u8; 11];
    ram.read_exact_at(&mut seen, 0x1010).unwrap();
    assert_eq!(&seen, b"device data");
    ram.write_all_at(b"guest data", 0x2000).unwrap();
    let mut back = [0u8; 10];
    h.dev.host.read(0x10_1000, &mut back).unwrap();
    assert_eq!(&back, b"guest data");

    // The MSI: an eventfd that the device's interrupt request signals, and the loopback
    // trigger of SET_IRQS without data.
    let ev = eventfd();
    c.ok(
        cmd::DEVICE_SET_IRQS,
        &set_irqs(TRIGGER_EVENTFD, MSI, 0, 1),
        &[ev.as_raw_fd()],
    );
    assert_eq!(eventfd_take(&ev), 0);
    h.dev.write_reg(crate::regs::PCIE_CORE_MSI_REQ, 1);
    assert_eq!(eventfd_take(&ev), 1, "the MSI arrived");
    c.ok(
        cmd::DEVICE_SET_IRQS,
        &set_irqs(TRIGGER_NONE, MSI, 0, 1),
        &[],
    );
    assert_eq!(eventfd_take(&ev), 1, "the loopback trigger arrived");
    c.ok(
        cmd::DEVICE_SET_IRQS,
        &set_irqs(TRIGGER_NONE, MSI, 0, 0),
        &[],
    );
    h.dev.write_reg(crate::regs::PCIE_CORE_MSI_REQ, 1);
    assert_eq!(eventfd_take(&ev), 0, "disabled");

    // Unmapping echoes the request; the memory is then out of reach.
    let u = dma_unmap(0, 0x10_0000, 0x8_0000);
    assert_eq!(c.ok(cmd::DMA_UNMAP, &u, &[]), u);
    assert!(h.dev.host.read(0x10_1000, &mut back).is_err());

    let resets = h.dev.state().stats.resets;
    assert!(c.ok(cmd::DEVICE_RESET, &[], &[]).is_empty());
    assert_eq!(h.dev.state().stats.resets, resets + 1);
    assert_eq!(h.errors(), 0);
    assert_eq!(h.finish(), Ok(End::Closed));
}

#[test]
fn the_end_of_a_session_drops_its_mappings_interrupts_and_dma_port() {
    let mut h = Harness::negotiated();
    let ram = test_memfd(1 << 16);
    h.client.ok(
        cmd::DMA_MAP,
        &dma_map(0x4000, 0x1000, 0),
        &[ram.as_raw_fd()],
    );
    let ev = eventfd();
    h.client.ok(
        cmd::DEVICE_SET_IRQS,
        &set_irqs(TRIGGER_EVENTFD, MSI, 0, 1),
        &[ev.as_raw_fd()],
    );
    let dev = h.dev.clone();
    assert!(dev.host.check(0x4000, 16).is_ok());
    assert_eq!(h.finish(), Ok(End::Closed));
    assert!(dev.host.check(0x4000, 16).is_err());
    dev.write_reg(crate::regs::PCIE_CORE_MSI_REQ, 1);
    assert_eq!(eventfd_take(&ev), 0);
    assert_eq!(
        dev.host.client_read(0, &mut [0u8; 4]),
        Err(DmaError::Disconnected)
    );
}

/// What a malformed message must get.
enum Want {
    Errno(i32),
    /// Refused without a reply (the client asked for none).
    Silent,
}

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    fds: Vec<RawFd>,
    want: Want,
}

fn case(name: &'static str, command: u16, extra: u32, payload: Vec<u8>, want: Want) -> Case {
    let h = Header {
        id: 0x7000,
        command,
        flags: extra,
        ..Default::default()
    };
    Case {
        name,
        bytes: message(h, &payload),
        fds: vec![],
        want,
    }
}

fn with_fds(mut c: Case, fds: Vec<RawFd>) -> Case {
    c.fds = fds;
    c
}

/// Sends each case, checks its refusal and the error counter, then checks that a normal
/// request still works (a request that itself counts `normal_errors`).
fn run_cases(h: &mut Harness, cases: Vec<Case>, normal_errors: u64, normal: impl Fn(&mut Client)) {
    for c in cases {
        let before = h.errors();
        h.client.raw(&c.bytes, &c.fds);
        match c.want {
            Want::Errno(e) => {
                let (r, p) = h.client.recv();
                assert_eq!(r.id, 0x7000, "{}: {r:?}", c.name);
                assert!(
                    r.is_error() && r.kind() == flags::REPLY,
                    "{}: {r:?}",
                    c.name
                );
                assert_eq!(r.error as i32, e, "{}: errno", c.name);
                assert!(p.is_empty() && r.size as usize == HEADER_SIZE, "{}", c.name);
            }
            // The next message must be the normal request's reply (checked by `normal`).
            Want::Silent => {}
        }
        normal(&mut h.client);
        assert_eq!(
            h.errors(),
            before + 1 + normal_errors,
            "{}: counted once",
            c.name
        );
    }
}

#[test]
fn malformed_messages_are_refused_with_their_errno_and_the_session_goes_on() {
    use Want::{Errno as E, Silent};
    let einval = libc::EINVAL;
    let mut h = Harness::negotiated();
    let ram = test_memfd(1 << 16);
    h.client.ok(
        cmd::DMA_MAP,
        &dma_map(0x10000, 0x10000, 0),
        &[ram.as_raw_fd()],
    );
    let ev1 = eventfd();
    let ev2 = eventfd();
    let two = vec![ev1.as_raw_fd(), ev2.as_raw_fd()];
    let info = fields(&[F::W(16), F::W(0), F::W(0), F::W(0)]);
    let huge = MAX_MESSAGE + 100;
    let cases = vec![
        case("unknown command", 99, 0, vec![], E(libc::ENOSYS)),
        case("command 0", 0, 0, vec![], E(libc::ENOSYS)),
        case(
            "unimplemented WRITE_MULTI",
            cmd::REGION_WRITE_MULTI,
            0,
            vec![0; 8],
            E(libc::ENOSYS),
        ),
        case(
            "unimplemented DEVICE_FEATURE",
            cmd::DEVICE_FEATURE,
            0,
            vec![0; 8],
            E(libc::ENOSYS),
        ),
        case(
            "DMA_READ from the client",
            cmd::DMA_READ,
            0,
            vec![0; 16],
            E(einval),
        ),
        case(
            "second VERSION",
            cmd::VERSION,
            0,
            version_payload(0, 0, "{}"),
            E(einval),
        ),
        case(
            "reply nobody asked for",
            cmd::DEVICE_GET_INFO,
            flags::REPLY,
            info.clone(),
            E(einval),
        ),
        case(
            "message type 3",
            cmd::DEVICE_GET_INFO,
            3,
            info.clone(),
            E(einval),
        ),
        case(
            "GET_INFO short",
            cmd::DEVICE_GET_INFO,
            0,
            vec![16, 0, 0, 0, 0, 0, 0, 0],
            E(einval),
        ),
        case(
            "GET_INFO trailing bytes",
            cmd::DEVICE_GET_INFO,
            0,
            [info.clone(), vec![0; 4]].concat(),
            E(einval),
        ),
        case(
            "GET_INFO argsz 8",
            cmd::DEVICE_GET_INFO,
            0,
            fields(&[F::W(8), F::W(0), F::W(0), F::W(0)]),
            E(einval),
        ),
        case(
            "GET_INFO nonzero fields",
            cmd::DEVICE_GET_INFO,
            0,
            fields(&[F::W(16), F::W(1), F::W(0), F::W(0)]),
            E(einval),
        ),
        // The size field covers 16 bytes more than the command has: the message is framed by
        // it (the 16 bytes are part of it) and refused.
        case(
            "size field longer than GET_INFO",
            cmd::DEVICE_GET_INFO,
            0,
            [info.clone(), vec![0; 16]].concat(),
            E(einval),
        ),
        case(
            "too large a message",
            cmd::REGION_WRITE,
            0,
            vec![0; huge as usize - HEADER_SIZE],
            E(libc::E2BIG),
        ),
        with_fds(
            case(
                "GET_INFO with a descriptor",
                cmd::DEVICE_GET_INFO,
                0,
                info.clone(),
                E(einval),
            ),
            vec![ev1.as_raw_fd()],
        ),
        case(
            "region info of region 9",
            cmd::DEVICE_GET_REGION_INFO,
            0,
            fields(&[F::W(32), F::W(0), F::W(9), F::W(0), F::Q(0), F::Q(0)]),
            E(einval),
        ),
        case(
            "region info argsz 16",
            cmd::DEVICE_GET_REGION_INFO,
            0,
            fields(&[F::W(16), F::W(0), F::W(0), F::W(0), F::Q(0), F::Q(0)]),
            E(einval),
        ),
        case(
            "irq info of type 5",
            cmd::DEVICE_GET_IRQ_INFO,
            0,
            fields(&[F::W(16), F::W(0), F::W(5), F::W(0)]),
            E(einval),
        ),
        case(
            "read of a region the device lacks",
            cmd::REGION_READ,
            0,
            access(1, 0, 4),
            E(einval),
        ),
        case(
            "read of region 9",
            cmd::REGION_READ,
            0,
            access(9, 0, 4),
            E(einval),
        ),
        case(
            "read past the end",
            cmd::REGION_READ,
            0,
            access(CFG, 4094, 4),
            E(einval),
        ),
        case(
            "read at a wrapping offset",
            cmd::REGION_READ,
            0,
            access(0, u64::MAX - 1, 4),
            E(einval),
        ),
        case(
            "read of 0 bytes",
            cmd::REGION_READ,
            0,
            access(0, 0, 0),
            E(einval),
        ),
        case(
            "read over max_data_xfer_size",
            cmd::REGION_READ,
            0,
            access(2, 0, u32::MAX),
            E(libc::E2BIG),
        ),
        case(
            "read with a short payload",
            cmd::REGION_READ,
            0,
            access(0, 0, 4)[..12].to_vec(),
            E(einval),
        ),
        case(
            "read asking for no reply",
            cmd::REGION_READ,
            flags::NO_REPLY,
            access(0, 0, 4),
            Silent,
        ),
        case(
            "write whose count exceeds its data",
            cmd::REGION_WRITE,
            0,
            [access(0, 0, 8), vec![1; 4]].concat(),
            E(einval),
        ),
        case(
            "posted write to a region the device lacks",
            cmd::REGION_WRITE,
            flags::NO_REPLY,
            [access(3, 0, 4), vec![1; 4]].concat(),
            Silent,
        ),
        case(
            "SET_IRQS two MSI vectors",
            cmd::DEVICE_SET_IRQS,
            0,
            set_irqs(TRIGGER_NONE, MSI, 0, 2),
            E(einval),
        ),
        case(
            "SET_IRQS on INTx",
            cmd::DEVICE_SET_IRQS,
            0,
            set_irqs(TRIGGER_NONE, 0, 0, 1),
            E(einval),
        ),
        case(
            "SET_IRQS type 7",
            cmd::DEVICE_SET_IRQS,
            0,
            set_irqs(TRIGGER_NONE, 7, 0, 1),
            E(einval),
        ),
        case(
            "SET_IRQS wrapping vectors",
            cmd::DEVICE_SET_IRQS,
            0,
            set_irqs(TRIGGER_NONE, MSI, u32::MAX, 2),
            E(einval),
        ),
        with_fds(
            case(
                "SET_IRQS two eventfds for one vector",
                cmd::DEVICE_SET_IRQS,
                0,
                set_irqs(TRIGGER_EVENTFD, MSI, 0, 1),
                E(einval),
            ),
            two.clone(),
        ),
        with_fds(
            case(
                "SET_IRQS descriptor without eventfd data",
                cmd::DEVICE_SET_IRQS,
                0,
                set_irqs(TRIGGER_NONE, MSI, 0, 1),
                E(einval),
            ),
            vec![ev1.as_raw_fd()],
        ),
        case(
            "SET_IRQS two data flags",
            cmd::DEVICE_SET_IRQS,
            0,
            set_irqs(TRIGGER_NONE | VFIO_IRQ_SET_DATA_EVENTFD, MSI, 0, 1),
            E(einval),
        ),
        case(
            "SET_IRQS unknown flag",
            cmd::DEVICE_SET_IRQS,
            0,
            set_irqs(TRIGGER_NONE | 0x100, MSI, 0, 1),
            E(einval),
        ),
        case(
            "SET_IRQS mask",
            cmd::DEVICE_SET_IRQS,
            0,
            set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, MSI, 0, 1),
            E(einval),
        ),
        case(
            "SET_IRQS boolean data",
            cmd::DEVICE_SET_IRQS,
            0,
            [
                set_irqs(
                    VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
                    MSI,
                    0,
                    1,
                ),
                vec![1],
            ]
            .concat(),
            E(libc::ENOTSUP),
        ),
        case(
            "SET_IRQS short",
            cmd::DEVICE_SET_IRQS,
            0,
            set_irqs(TRIGGER_NONE, MSI, 0, 1)[..16].to_vec(),
            E(einval),
        ),
        with_fds(
            case(
                "DMA_MAP with two files",
                cmd::DMA_MAP,
                0,
                dma_map(0x40000, 0x1000, 0),
                E(einval),
            ),
            two.clone(),
        ),
        with_fds(
            case(
                "DMA_MAP over a mapping",
                cmd::DMA_MAP,
                0,
                dma_map(0x1f000, 0x2000, 0),
                E(libc::EEXIST),
            ),
            vec![ram.as_raw_fd()],
        ),
        case(
            "DMA_MAP without a file over a mapping",
            cmd::DMA_MAP,
            0,
            dma_map(0x18000, 0x1000, 0),
            E(libc::EEXIST),
        ),
        case(
            "DMA_MAP of 0 bytes",
            cmd::DMA_MAP,
            0,
            dma_map(0x40000, 0, 0),
            E(einval),
        ),
        case(
            "DMA_MAP wrapping",
            cmd::DMA_MAP,
            0,
            dma_map(u64::MAX - 0xfff, 0x2000, 0),
            E(einval),
        ),
        case(
            "DMA_MAP unknown flag",
            cmd::DMA_MAP,
            0,
            fields(&[F::W(32), F::W(4), F::Q(0), F::Q(0x40000), F::Q(0x1000)]),
            E(einval),
        ),
        case(
            "DMA_MAP short",
            cmd::DMA_MAP,
            0,
            dma_map(0x40000, 0x1000, 0)[..24].to_vec(),
            E(einval),
        ),
        case(
            "DMA_UNMAP dirty bitmap",
            cmd::DMA_UNMAP,
            0,
            dma_unmap(1, 0x10000, 0x10000),
            E(libc::ENOTSUP),
        ),
        case(
            "DMA_UNMAP all with an address",
            cmd::DMA_UNMAP,
            0,
            dma_unmap(VFIO_DMA_UNMAP_FLAG_ALL, 0x10000, 0),
            E(einval),
        ),
        case(
            "DMA_UNMAP unknown flag",
            cmd::DMA_UNMAP,
            0,
            dma_unmap(8, 0x10000, 0x10000),
            E(einval),
        ),
        case(
            "DEVICE_RESET with a payload",
            cmd::DEVICE_RESET,
            0,
            vec![0; 4],
            E(einval),
        ),
    ];
    run_cases(&mut h, cases, 0, |c| {
        assert_eq!(c.device_info().1, 9);
    });
    // Nothing malformed touched the mapping or the device.
    h.dev.host.write(0x10000, b"still mapped").unwrap();
    assert_eq!(h.client.read(0, 0x100, 2), [0, 0]);
    let stats = crate::control::command(&h.dev, "stats").unwrap();
    assert!(
        stats.contains(&format!("vfio_user_errors={}", h.errors())),
        "{stats}"
    );
    assert_eq!(h.finish(), Ok(End::Closed));
}

#[test]
fn before_the_version_only_a_good_version_is_taken() {
    use Want::Errno as E;
    let einval = libc::EINVAL;
    let mut h = Harness::start();
    let ev = eventfd();
    let info = fields(&[F::W(16), F::W(0), F::W(0), F::W(0)]);
    let bare = |json: &[u8]| [vec![0u8, 0, 0, 0], json.to_vec()].concat();
    let cases = vec![
        case(
            "request before VERSION",
            cmd::DEVICE_GET_INFO,
            0,
            info,
            E(einval),
        ),
        case(
            "VERSION bad JSON",
            cmd::VERSION,
            0,
            version_payload(0, 0, r#"{"capabilities":"#),
            E(einval),
        ),
        case(
            "VERSION JSON not an object",
            cmd::VERSION,
            0,
            version_payload(0, 0, "[]"),
            E(einval),
        ),
        case("VERSION no NUL", cmd::VERSION, 0, bare(b"{}"), E(einval)),
        case(
            "VERSION wrong capability type",
            cmd::VERSION,
            0,
            version_payload(0, 0, r#"{"capabilities":{"max_msg_fds":"one"}}"#),
            E(einval),
        ),
        case("VERSION short", cmd::VERSION, 0, vec![0, 0], E(einval)),
        case(
            "VERSION major 1",
            cmd::VERSION,
            0,
            version_payload(1, 0, "{}"),
            E(libc::ENOTSUP),
        ),
        case(
            "VERSION asking for no reply",
            cmd::VERSION,
            flags::NO_REPLY,
            version_payload(0, 0, "{}"),
            Want::Silent,
        ),
        with_fds(
            case(
                "VERSION with a descriptor",
                cmd::VERSION,
                0,
                version_payload(0, 0, "{}"),
                E(einval),
            ),
            vec![ev.as_raw_fd()],
        ),
    ];
    // Each case is followed by a request that must still be refused as early, proving the
    // failed VERSION did not negotiate anything.
    run_cases(&mut h, cases, 1, |c| {
        let e = c.err(
            cmd::DEVICE_GET_INFO,
            &fields(&[F::W(16), F::W(0), F::W(0), F::W(0)]),
            &[],
        );
        assert_eq!(e, libc::EINVAL);
    });
    h.client.version();
    assert_eq!(h.client.device_info().1, 9);
    assert_eq!(h.finish(), Ok(End::Closed));
}

#[test]
fn a_stream_that_cannot_be_framed_ends_the_session_with_a_reason() {
    // A header cut short.
    let h = Harness::negotiated();
    h.client.raw(&[1, 0, 4, 0, 16, 0, 0], &[]);
    let e = h.finish().unwrap_err();
    assert!(
        e.contains("truncated header") && e.contains("7 of its 16"),
        "{e}"
    );

    // A size smaller than the header: answered with EINVAL, then the session ends.
    let mut h = Harness::negotiated();
    let before = h.errors();
    let mut m = message(
        Header {
            id: 9,
            command: cmd::DEVICE_GET_INFO,
            ..Default::default()
        },
        &[],
    );
    m[4..8].copy_from_slice(&8u32.to_ne_bytes());
    h.client.raw(&m, &[]);
    let (r, _) = h.client.recv();
    assert!(
        r.is_error() && r.id == 9 && r.error as i32 == libc::EINVAL,
        "{r:?}"
    );
    assert_eq!(h.errors(), before + 1);
    let e = h.finish().unwrap_err();
    assert!(e.contains("smaller than its own header"), "{e}");

    // A message whose payload never comes.
    let h = Harness::negotiated();
    let m = message(
        Header {
            id: 3,
            command: cmd::REGION_READ,
            ..Default::default()
        },
        &access(0, 0, 4),
    );
    h.client.raw(&m[..20], &[]);
    let e = h.finish().unwrap_err();
    assert!(
        e.contains("truncated message") && e.contains("4 of its 16"),
        "{e}"
    );
}

/// A client that answers the server's DMA requests from `mem` (a peer device's BAR at bus
/// address `base`), as QEMU does, until the session ends. With `interleave`, it first sends
/// a region read of its own and takes its reply, proving the session serves the client while
/// a DMA request waits. Returns the largest count it saw in a request.
fn dma_peer(
    mut c: Client,
    base: u64,
    mem: &mut [u8],
    interleave: bool,
    refuse: bool,
) -> (usize, u32) {
    let (mut requests, mut biggest) = (0, 0);
    loop {
        let mut hb = [0u8; HEADER_SIZE];
        if std::io::Read::read_exact(&mut c.sock, &mut hb).is_err() {
            return (requests, biggest);
        }
        let h = Header::parse(&hb);
        let mut p = vec![0u8; h.size as usize - HEADER_SIZE];
        std::io::Read::read_exact(&mut c.sock, &mut p).unwrap();
        assert_eq!(h.kind(), flags::REQUEST);
        requests += 1;
        if interleave {
            assert_eq!(c.read(0, 0, 4), [0, 0, 0, 0]);
        }
        let (addr, count) = (super::u64_at(&p, 0), super::u64_at(&p, 8));
        biggest = biggest.max(count as u32);
        let at = (addr - base) as usize;
        let reply = Header {
            flags: flags::REPLY,
            ..h
        };
        if refuse {
            let e = Header {
                flags: flags::REPLY | flags::ERROR,
                error: libc::EFAULT as u32,
                ..h
            };
            c.raw(&message(e, &[]), &[]);
            continue;
        }
        match h.command {
            cmd::DMA_READ => {
                let data = &mem[at..at + count as usize];
                c.raw(&message(reply, &[&p[..16], data].concat()), &[]);
            }
            cmd::DMA_WRITE => {
                mem[at..at + count as usize].copy_from_slice(&p[16..]);
                // QEMU 11.1 answers with the header alone.
                c.raw(&message(reply, &[]), &[]);
            }
            other => panic!("unexpected command {other}"),
        }
    }
}

#[test]
fn device_dma_reaches_a_peer_through_the_client_in_negotiated_pieces() {
    let mut h = Harness::start();
    let caps = r#"{"capabilities":{"max_msg_fds":16,"max_data_xfer_size":4096}}"#;
    h.client.ok(cmd::VERSION, &version_payload(0, 0, caps), &[]);
    let peer = Client::new(h.client.sock.try_clone().unwrap());
    const BASE: u64 = 0xfe00_0000;
    let t = std::thread::spawn(move || {
        let mut mem = vec![0u8; 64 << 10];
        let (n, biggest) = dma_peer(peer, BASE, &mut mem, true, false);
        (n, biggest, mem)
    });
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
    h.dev.host.client_write(BASE + 100, &data).unwrap();
    let mut back = vec![0u8; data.len()];
    h.dev.host.client_read(BASE + 100, &mut back).unwrap();
    assert_eq!(back, data);
    let s = &h.dev.vfio_user;
    assert_eq!(
        s.dma_requests.load(Ordering::Relaxed),
        6,
        "3 writes and 3 reads of <= 4 KiB"
    );
    assert_eq!(s.dma_failures.load(Ordering::Relaxed), 0);
    assert_eq!(h.errors(), 0);
    assert_eq!(h.dev.host.traffic(), (10_000, 10_000));
    assert_eq!(h.finish(), Ok(End::Closed));
    let (n, biggest, mem) = t.join().unwrap();
    assert_eq!((n, biggest), (6, 4096));
    assert_eq!(&mem[100..10_100], &data[..]);
}

#[test]
fn refused_and_unanswered_dma_requests_fail_without_ending_the_session() {
    // Refused by the client, then answered short of its data: errors, counted as failures.
    let h = Harness::negotiated();
    let peer = Client::new(h.client.sock.try_clone().unwrap());
    let t = std::thread::spawn(move || dma_peer(peer, 0, &mut [0u8; 64], false, true));
    let e = h.dev.host.client_read(8, &mut [0u8; 8]).unwrap_err();
    assert_eq!(e, DmaError::Refused(Errno(libc::EFAULT)));
    let dev = h.dev.clone();
    // Ending the session ends the peer thread; a new session takes the short reply.
    assert_eq!(h.finish(), Ok(End::Closed));
    assert_eq!(t.join().unwrap().0, 1);
    assert_eq!(dev.vfio_user.dma_failures.load(Ordering::Relaxed), 1);

    let mut h = Harness::negotiated();
    let dev = h.dev.clone();
    let waiter = std::thread::spawn(move || dev.host.client_read(0x1000, &mut [0u8; 8]));
    let (req, p) = h.client.recv();
    let reply = Header {
        flags: flags::REPLY,
        ..req
    };
    h.client
        .raw(&message(reply, &[&p[..16], &[0u8; 4]].concat()), &[]);
    assert!(matches!(waiter.join().unwrap(), Err(DmaError::BadReply(_))));
    assert_eq!(h.client.device_info().1, 9, "the session goes on");
    assert_eq!(h.finish(), Ok(End::Closed));

    // Unanswered: the client reads the request and says nothing until the request has given
    // up; its late reply is then dropped without an error reply, and the session goes on.
    let mut h = Harness::with_timeout(Duration::from_millis(200));
    h.client.version();
    let dev = h.dev.clone();
    let waiter = std::thread::spawn(move || dev.host.client_write(0x1000, b"lost"));
    let (req, p) = h.client.recv();
    assert_eq!((req.command, p.len()), (cmd::DMA_WRITE, 20));
    assert_eq!(waiter.join().unwrap(), Err(DmaError::Timeout));
    let reply = Header {
        flags: flags::REPLY,
        ..req
    };
    h.client.raw(&message(reply, &[]), &[]);
    assert_eq!(h.client.device_info().1, 9, "the session goes on");
    assert_eq!(h.errors(), 0, "a late reply is not a protocol error");
    assert_eq!(h.dev.vfio_user.dma_failures.load(Ordering::Relaxed), 1);
    assert_eq!(h.finish(), Ok(End::Closed));
}

/// What each request made on the session thread returned, and how long it took.
type Asked = std::sync::Arc<std::sync::Mutex<Vec<(Result<(), DmaError>, Duration)>>>;

/// A device whose register reads ask the client for memory, as a device model would that did
/// its DMA on the thread serving the client: [`super::dma::Link`] must refuse it at once.
struct AsksOnTheSessionThread {
    inner: crate::server::DeviceBackend,
    port: std::sync::Mutex<Option<super::dma::DmaPort>>,
    got: Asked,
}

impl super::session::Backend for AsksOnTheSessionThread {
    fn info(&self) -> &super::session::DeviceInfo {
        self.inner.info()
    }
    fn region_read(&self, region: u32, offset: u64, data: &mut [u8]) {
        if let Some(port) = self.port.lock().unwrap().clone() {
            let t = std::time::Instant::now();
            let r = port.read(0x1000, &mut [0u8; 4]);
            self.got.lock().unwrap().push((r, t.elapsed()));
        }
        self.inner.region_read(region, offset, data)
    }
    fn region_write(&self, region: u32, offset: u64, data: &[u8]) {
        self.inner.region_write(region, offset, data)
    }
    fn dma_map(&self, bus: u64, size: u64, off: u64, f: std::fs::File) -> Result<(), Errno> {
        self.inner.dma_map(bus, size, off, f)
    }
    fn dma_unmap(&self, bus: u64, size: u64) {
        self.inner.dma_unmap(bus, size)
    }
    fn set_irq(&self, index: u32, vector: u32, eventfd: Option<std::fs::File>) {
        self.inner.set_irq(index, vector, eventfd)
    }
    fn trigger_irq(&self, index: u32, vector: u32) {
        self.inner.trigger_irq(index, vector)
    }
    fn disable_irqs(&self, index: u32) {
        self.inner.disable_irqs(index)
    }
    fn reset(&self) {
        self.inner.reset()
    }
    fn connected(&self, port: super::dma::DmaPort) {
        *self.port.lock().unwrap() = Some(port.clone());
        self.inner.connected(port)
    }
    fn disconnected(&self) {
        *self.port.lock().unwrap() = None;
        self.inner.disconnected()
    }
}

#[test]
fn a_dma_request_from_the_session_thread_fails_at_once() {
    let dev = std::sync::Arc::new(crate::device::Device::new(64 << 20, 1 << 20).unwrap());
    let got = Asked::default();
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    let (d, g) = (dev.clone(), got.clone());
    let session = std::thread::spawn(move || {
        let backend = AsksOnTheSessionThread {
            inner: crate::server::DeviceBackend::new(d.clone()),
            port: std::sync::Mutex::new(None),
            got: g,
        };
        // A long timeout: only the guard can make the request fail quickly.
        super::session::run(
            theirs,
            &backend,
            d.vfio_user.clone(),
            Duration::from_secs(30),
        )
    });
    let mut c = Client::new(ours);
    c.version();
    assert_eq!(c.read(0, 0, 4).len(), 4, "the read is still served");
    let got = got.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, Err(DmaError::SelfWait));
    assert!(got[0].1 < Duration::from_secs(1), "{:?}", got[0].1);
    assert_eq!(dev.vfio_user.dma_failures.load(Ordering::Relaxed), 1);
    assert_eq!(
        dev.vfio_user.dma_requests.load(Ordering::Relaxed),
        0,
        "nothing sent"
    );
    c.sock.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(session.join().unwrap(), Ok(End::Closed));
}
