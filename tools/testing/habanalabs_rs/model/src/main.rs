// SPDX-License-Identifier: GPL-2.0
//! hl-model: an emulated Habana Labs Gaudi served to QEMU over vfio-user.

use hl_model::{control, device, error, info, log, options, server, warn};
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic (a bug: client input never causes one) is reported as one line.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("hl-model: internal error{at}");
    }));
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("relay") {
        return match args.get(1..3) {
            Some([flag, serial]) if flag == "--serial" && args.len() > 3 => {
                match control::relay(std::path::Path::new(serial), &args[3..]) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("hl-model relay: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            _ => {
                eprintln!("usage: hl-model relay --serial PATH CONTROL_SOCKET...");
                ExitCode::from(2)
            }
        };
    }
    let opts = match options::parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{}", options::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("hl-model: {e}\n(run hl-model --help for the options)");
            return ExitCode::from(2);
        }
    };
    log::set_level(opts.log_level);
    let dev =
        match device::Device::with_sram_bar(opts.hbm_size, opts.hbm_bar_size, opts.sram_bar_size) {
            Ok(d) => d,
            Err(e) => {
                error!("cannot reserve {} bytes of HBM: {e}", opts.hbm_size);
                return ExitCode::FAILURE;
            }
        };
    info!(
        "Gaudi 1da3:1000: HBM {} MiB, BAR4 window {} MiB",
        opts.hbm_size >> 20,
        opts.hbm_bar_size >> 20
    );
    if opts.sram_bar_size != device::SRAM_BAR_SIZE {
        warn!(
            "BAR0 is {} MiB instead of Gaudi's 64: this is not a Gaudi a driver should accept",
            opts.sram_bar_size >> 20
        );
    }
    let dev = std::sync::Arc::new(dev);
    if let Some(path) = &opts.control {
        if let Err(e) = control::serve(path, dev.clone()) {
            error!("{e}");
            return ExitCode::FAILURE;
        }
    }
    let engines = dev.start_engines();
    let result = server::serve(&opts.socket, dev.clone());
    dev.stop_engines();
    let _ = engines.join();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            ExitCode::FAILURE
        }
    }
}
