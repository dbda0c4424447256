// SPDX-License-Identifier: GPL-2.0

//! Rust driver for Habana Labs Gaudi AI accelerators.
//!
//! Probe brings a first-generation Gaudi (PCI 1da3:1000) from power-on to operational the way
//! the upstream C driver does: it checks the BARs, maps them, waits for the preboot firmware,
//! resets a device a previous driver left programmed, loads the firmware through the static
//! loader, sets up the device CPU's queues and asks it for its description. It then takes the
//! MSI (verified by a self-test), lets the firmware send events and registers the accel node
//! `/dev/accel/accelN`, which serves the upstream ioctl ABI
//! (`include/uapi/drm/habanalabs_accel.h`). Unbind undoes it in reverse: the node goes first,
//! then the interrupt, then the device is taken down and reset.

use core::sync::atomic::Ordering;
use kernel::{
    device::Core,
    dma::{Device as _, DmaMask},
    drm, irq, pci,
    prelude::*,
    time::{delay::fsleep, Delta, Instant, Monotonic},
};

mod attest;
mod bars;
mod boot;
mod capture;
mod cb;
mod cpucp;
mod cs;
mod dmabuf;
mod elbi;
mod events;
mod gaudi;
mod hwmon;
mod idle;
mod info;
mod memory;
mod mmu;
mod node;
mod notify;
mod qm_err;
mod queues;
mod razwi;
mod regs;
mod reset;
mod sysfs;
mod va;

use gaudi::Gaudi;
use node::{GaudiRef, HlDrm, Shared};

/// How long probe waits for the self-test MSI.
const MSI_SELF_TEST_TIMEOUT: Delta = Delta::from_millis(1000);

/// One bound Gaudi device.
///
/// Fields are dropped in declaration order, the reverse of the order probe takes them in: the
/// accel node is unplugged first (waiting for running ioctls), then the interrupt is freed and
/// the [`Gaudi`] it owns taken down, then the vectors and the enable count go.
#[pin_data]
struct HlDevice<'bound> {
    pdev: &'bound pci::Device,
    node: drm::Registration<'bound, HlDrm>,
    attrs: kernel::device::attr::Group<'bound, Gaudi<'bound>>,
    sensors: Option<kernel::hwmon::Registration<'bound, Gaudi<'bound>>>,
    #[pin]
    irq: irq::ThreadedRegistration<'bound, Gaudi<'bound>>,
    vectors: pci::IrqVectorRegistration<'bound>,
    _enabled: pci::EnabledMem<'bound>,
}

/// Asks the device to send its MSI and waits for the handler to see it.
fn msi_self_test(pdev: &pci::Device, irq: &irq::ThreadedRegistration<'_, Gaudi<'_>>) -> Result {
    let g = irq.handler();
    let before = g.stats.interrupts.load(Ordering::Relaxed);
    let start = Instant::<Monotonic>::now();
    g.request_msi();
    loop {
        if g.stats.interrupts.load(Ordering::Relaxed) != before {
            dev_info!(
                pdev,
                "MSI self-test: interrupt received after {} us\n",
                start.elapsed().as_micros_ceil()
            );
            return Ok(());
        }
        if start.elapsed() > MSI_SELF_TEST_TIMEOUT {
            dev_err!(
                pdev,
                "MSI self-test: no interrupt within {} ms\n",
                MSI_SELF_TEST_TIMEOUT.as_millis()
            );
            return Err(EIO);
        }
        fsleep(Delta::from_micros(100));
    }
}

/// Reads the size of BAR `bar`, 0 when the device does not have it.
fn bar_len(pdev: &pci::Device, bar: u32) -> u64 {
    pdev.resource_len(bar).unwrap_or(0)
}

struct HlDriver;

kernel::pci_device_table!(
    PCI_TABLE,
    <HlDriver as pci::Driver>::IdInfo,
    [(pci::DeviceId::from_id(pci::Vendor::HABANALABS, 0x1000), ())]
);

impl pci::Driver for HlDriver {
    type IdInfo = ();
    type Data<'bound> = HlDevice<'bound>;

    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        pin_init::pin_init_scope(move || {
            let (sram_len, cfg_len, hbm_len) = (
                bar_len(pdev, bars::SRAM_BAR),
                bar_len(pdev, bars::CFG_BAR),
                bar_len(pdev, bars::HBM_BAR),
            );
            bars::check_bar_sizes(sram_len, cfg_len, hbm_len)
                .inspect_err(|e| match e {
                    bars::BarError::WrongSize {
                        bar,
                        found,
                        expected,
                    } => dev_err!(
                        pdev,
                        "BAR{} is {:#x} bytes, a Gaudi's is {:#x}\n",
                        bar,
                        found,
                        expected
                    ),
                    bars::BarError::BadHbmWindow { found } => dev_err!(
                        pdev,
                        "HBM BAR{} is {:#x} bytes, not a power of two\n",
                        bars::HBM_BAR,
                        found
                    ),
                })
                .map_err(|_| ENODEV)?;

            let enabled = pdev.enable_device_mem_scoped()?;
            pdev.set_master();
            // SAFETY: probe runs before any DMA allocation of this device exists.
            unsafe { pdev.dma_set_mask_and_coherent(DmaMask::new::<48>())? };
            // Segments of any size, as upstream (this is what an exporter of another device's
            // memory splits its tables by when this device imports it).
            // SAFETY: as above; nothing maps or allocates for this device concurrently.
            unsafe { pdev.dma_set_max_seg_size(u32::MAX) };

            let sram = pdev.iomap_region(bars::SRAM_BAR, c"habanalabs_rs/sram")?;
            let cfg = pdev.iomap_region_sized::<{ bars::CFG_BAR_SIZE }>(
                bars::CFG_BAR,
                c"habanalabs_rs/cfg",
            )?;
            let hbm = pdev.iomap_region(bars::HBM_BAR, c"habanalabs_rs/hbm")?;
            elbi::setup_iatu(pdev)?;
            let vectors =
                pdev.alloc_irq_vectors(1, 1, pci::IrqTypes::default().with(pci::IrqType::Msi))?;

            dev_info!(
                pdev,
                "Gaudi at rev {}: SRAM BAR {} MiB, CFG BAR {} MiB, HBM BAR {} MiB\n",
                pdev.revision_id(),
                sram_len >> 20,
                cfg_len >> 20,
                hbm_len >> 20
            );
            let gaudi = Gaudi::new(pdev, sram, cfg, hbm)?;
            let shared = try_pin_init!(Shared {
                open <- kernel::new_mutex!(node::OpenState {
                    ctx_active: false,
                    asids: 1,
                    open_counter: 0,
                    last_open: None,
                    last_open_period_ms: 0,
                    last_open_ns: 0,
                }),
                device_id: pdev.device_id(),
                revision: pdev.revision_id(),
                orphans <- kernel::new_mutex!(KVec::new()),
                captured <- kernel::new_mutex!(capture::Captured::default()),
                notifier <- kernel::new_mutex!(notify::Notifier::default()),
                compute_mem <- kernel::new_mutex!(None),
            });
            let unregistered = drm::UnregisteredDevice::<HlDrm>::new(pdev, shared)?;
            let pdev_plain: &'bound pci::Device = pdev;
            // Inside the initialiser below, `pdev` names the field; keep the bound view here.
            let bound: &'bound kernel::device::Device<kernel::device::Bound> = pdev.as_ref();

            Ok(try_pin_init!(HlDevice {
                pdev: pdev_plain,
                _enabled: enabled,
                vectors,
                irq <- {
                    // SAFETY: `vectors` is initialised before this expression runs (fields are
                    // initialised in the order written here), lives at a pinned, stable address
                    // inside the device data for as long as the device is bound, and is dropped
                    // after `irq` (fields drop in declaration order), so the borrow outlives
                    // every use the interrupt registration makes of it.
                    let vectors: &'bound pci::IrqVectorRegistration<'bound> =
                        unsafe { &*core::ptr::from_ref(vectors) };
                    let request = vectors.index(0)?.into();
                    // SAFETY: the registration is a field of the device data, which the driver
                    // core drops on unbind; it is never forgotten.
                    unsafe {
                        irq::ThreadedRegistration::new(
                            request,
                            irq::Flags::TRIGGER_NONE,
                            c"habanalabs_rs",
                            gaudi,
                        )
                    }
                },
                node: {
                    msi_self_test(pdev, &irq)?;
                    // SAFETY: as for `vectors` above: `irq` is initialised, pinned, and dropped
                    // after `node`, so the Gaudi it holds outlives the registration data.
                    let g: &'bound Gaudi<'bound> = unsafe { &*core::ptr::from_ref(irq.handler()) };
                    g.enable_events();
                    // SAFETY: the registration is a field of the device data, which the driver
                    // core drops on unbind; it is never forgotten.
                    let reg =
                        unsafe { drm::Registration::new(bound, unregistered, GaudiRef(g), 0)? };
                    g.watchdog.start(reg.ioctl_device().into());
                    reg
                },
                attrs: {
                    // SAFETY: as for `node`: `irq` is initialised, pinned, and dropped after
                    // `attrs`, whose drop removes the attributes before the Gaudi goes.
                    let g: &'bound Gaudi<'bound> = unsafe { &*core::ptr::from_ref(irq.handler()) };
                    // SAFETY: the group is a field of the device data, which the driver core
                    // drops on unbind (it is never forgotten), before the Gaudi it reads.
                    unsafe { kernel::device::attr::Group::new(bound, g)? }
                },
                sensors: {
                    // SAFETY: as for `attrs`: the Gaudi outlives `sensors`, dropped before `irq`.
                    let g: &'bound Gaudi<'bound> = unsafe { &*core::ptr::from_ref(irq.handler()) };
                    let list = g.sensors()?;
                    let channels = hwmon::channels(&list)?;
                    if channels.is_empty() {
                        dev_info!(pdev, "firmware reports no sensors\n");
                        None
                    } else {
                        let name = g.hwmon_name()?;
                        // SAFETY: the registration is a field of the device data, which the
                        // driver core drops on unbind (it is never forgotten), before the
                        // Gaudi it reads.
                        Some(unsafe {
                            kernel::hwmon::Registration::new(bound, &name, channels, g)?
                        })
                    }
                },
                _: {
                    dev_info!(pdev, "bound; accel node registered\n");
                },
            }))
        })
    }

    fn unbind<'bound>(pdev: &'bound pci::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let g = this.irq.handler();
        dev_info!(
            pdev,
            "unbinding after {} interrupts\n",
            g.stats.interrupts.load(Ordering::Relaxed)
        );
        // No new work, no reset from now on; what runs is aborted, so that waiters and closing
        // files do not hold the unplug of the node up. A reset running now finishes first.
        {
            let _no_reset = g.resetting.lock();
            g.stats.gone.store(true, Ordering::Relaxed);
            g.stats.needs_reset.store(true, Ordering::Relaxed);
        }
        g.watchdog.stop();
        // Importers of exported HBM let go of the BAR before the device is torn down.
        let exports = g.hbm_exports.lock().take();
        drop(exports);
        let aborted = g.abort_all(None);
        if aborted > 0 {
            dev_warn!(
                pdev,
                "{} command submissions aborted by the unbind\n",
                aborted
            );
        }
    }
}

kernel::module_pci_driver! {
    type: HlDriver,
    name: "habanalabs_rs",
    authors: ["habanalabs-rs developers"],
    description: "Habana Labs Gaudi AI accelerator driver (Rust)",
    license: "GPL v2",
    firmware: ["habanalabs/gaudi/gaudi-boot-fit.itb", "habanalabs/gaudi/gaudi-fit.itb"],
    imports_ns: ["DMA_BUF"],
}
