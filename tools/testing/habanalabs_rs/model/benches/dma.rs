// SPDX-License-Identifier: GPL-2.0
//! LIN_DMA throughput of the model, guest RAM to HBM and back, against a plain memcpy of the
//! same size in the same run. Prints mean and standard deviation over the repetitions, and the
//! ratio of the means. Run: `cargo bench` in tools/testing/habanalabs_rs.

use hl_model::device::{Device, Fx};
use hl_model::engine::Transfer;
use hl_model::host::HOST_PHYS_BASE;
use hl_model::qman::{core, DMA_CORE_BASE};
use std::fs::File;
use std::os::fd::FromRawFd;
use std::time::Instant;

const REPS: usize = 15;

fn memfd(size: u64) -> File {
    // SAFETY: memfd_create with a static name; the descriptor is checked and owned by the File.
    let fd = unsafe { libc::memfd_create(c"hl-model-bench".as_ptr(), 0) };
    assert!(fd >= 0, "memfd_create");
    // SAFETY: `fd` is a fresh descriptor nothing else owns.
    let f = unsafe { File::from_raw_fd(fd) };
    f.set_len(size).expect("size the memfd");
    f
}

fn stats(gbps: &[f64]) -> (f64, f64) {
    let mean = gbps.iter().sum::<f64>() / gbps.len() as f64;
    let var = gbps.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (gbps.len() - 1) as f64;
    (mean, var.sqrt())
}

fn time(bytes: usize, mut f: impl FnMut()) -> Vec<f64> {
    f(); // warm: fault the pages in
    (0..REPS)
        .map(|_| {
            let t = Instant::now();
            f();
            bytes as f64 / t.elapsed().as_secs_f64() / 1e9
        })
        .collect()
}

fn main() {
    println!("LIN_DMA throughput, {REPS} repetitions each, GB/s (mean ± sd)");
    println!(
        "{:>8}  {:>18}  {:>18}  {:>18}  {:>8}",
        "size", "memcpy", "RAM -> HBM", "HBM -> RAM", "ratio"
    );
    for mib in [1usize, 16, 64] {
        let bytes = mib << 20;
        let dev = Device::with_sram_bar(1 << 30, 256 << 20, 64 << 20).expect("device");
        dev.host
            .map(0, bytes as u64 * 2, 0, &memfd(bytes as u64 * 2))
            .expect("map");
        dev.write_reg(DMA_CORE_BASE[0] + core::PROT, 3); // kernel job: physical addresses
        let src: Vec<u8> = (0..bytes).map(|i| i as u8).collect();
        let mut dst = vec![0u8; bytes];
        let copy = time(bytes, || dst.copy_from_slice(std::hint::black_box(&src)));
        let dma = |t: Transfer| {
            let mut fx = Fx::default();
            let mut st = dev.state();
            dev.dma(&mut st, 0, t, &mut fx).expect("dma");
        };
        let to_hbm = time(bytes, || {
            dma(Transfer {
                src: HOST_PHYS_BASE,
                dst: 0x2000_0000,
                tsize: bytes as u32,
                memset: false,
            })
        });
        let to_ram = time(bytes, || {
            dma(Transfer {
                src: 0x2000_0000,
                dst: HOST_PHYS_BASE + bytes as u64,
                tsize: bytes as u32,
                memset: false,
            })
        });
        let (c, cs) = stats(&copy);
        let (h, hs) = stats(&to_hbm);
        let (r, rs) = stats(&to_ram);
        println!(
            "{:>5} MiB  {:>9.2} ± {:<6.2}  {:>9.2} ± {:<6.2}  {:>9.2} ± {:<6.2}  {:>7.2}",
            mib,
            c,
            cs,
            h,
            hs,
            r,
            rs,
            ((h + r) / 2.0) / c
        );
    }
    println!(
        "ratio: mean of the two DMA directions over memcpy (a DMA does a read and a write pass)"
    );
}
