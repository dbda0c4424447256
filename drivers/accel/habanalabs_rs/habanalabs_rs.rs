// SPDX-License-Identifier: GPL-2.0

//! Rust driver for Habana Labs Gaudi AI accelerators.
//!
//! This is the driver's foundation: it binds first-generation Gaudi devices (PCI 1da3:1000),
//! enables them, maps their three BARs after checking the sizes Gaudi defines, and takes their
//! MSI, which probe verifies by asking the device to send one. Everything it takes is held in
//! [`HlDevice`] and given back, in reverse order, when the device is unbound.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{
    device::Core,
    io::Io,
    irq, pci,
    prelude::*,
    time::{delay::fsleep, Delta, Instant, Monotonic},
};

mod bars;
mod regs;

/// The configuration BAR, with its size known at compile time so register offsets are checked
/// when the driver is built.
type CfgBar<'a> = pci::Bar<'a, { bars::CFG_BAR_SIZE }>;

/// How long probe waits for the self-test MSI.
const MSI_SELF_TEST_TIMEOUT: Delta = Delta::from_millis(1000);

/// The interrupt handler's state: for now it counts the MSIs the device sends.
struct IrqCounter {
    count: AtomicU64,
}

impl irq::Handler for IrqCounter {
    fn handle(&self) -> irq::IrqReturn {
        self.count.fetch_add(1, Ordering::Relaxed);
        irq::IrqReturn::Handled
    }
}

/// One bound Gaudi device.
///
/// Fields are dropped in declaration order, which is the reverse of the order probe takes
/// them in: the interrupt handler goes first, then the interrupt vectors, the BAR mappings
/// and finally the enable count.
#[pin_data]
struct HlDevice<'bound> {
    pdev: &'bound pci::Device,
    #[pin]
    irq: irq::Registration<'bound, IrqCounter>,
    vectors: pci::IrqVectorRegistration<'bound>,
    hbm: pci::Bar<'bound>,
    cfg: CfgBar<'bound>,
    sram: pci::Bar<'bound>,
    _enabled: pci::EnabledMem<'bound>,
}

impl HlDevice<'_> {
    /// Asks the device to send its MSI and waits for the handler to see it.
    fn msi_self_test(
        pdev: &pci::Device,
        cfg: &CfgBar<'_>,
        irq: &irq::Registration<'_, IrqCounter>,
    ) -> Result {
        let before = irq.handler().count.load(Ordering::Relaxed);
        let start = Instant::<Monotonic>::now();
        cfg.write_reg(regs::PCIE_CORE_MSI_REQ::zeroed().with_request(1u32));
        loop {
            if irq.handler().count.load(Ordering::Relaxed) != before {
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

            let sram = pdev.iomap_region(bars::SRAM_BAR, c"habanalabs_rs/sram")?;
            let cfg = pdev.iomap_region_sized::<{ bars::CFG_BAR_SIZE }>(
                bars::CFG_BAR,
                c"habanalabs_rs/cfg",
            )?;
            let hbm = pdev.iomap_region(bars::HBM_BAR, c"habanalabs_rs/hbm")?;
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

            Ok(try_pin_init!(HlDevice {
                pdev,
                _enabled: enabled,
                sram,
                cfg,
                hbm,
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
                        irq::Registration::new(
                            request,
                            irq::Flags::TRIGGER_NONE,
                            c"habanalabs_rs",
                            Ok::<_, Error>(IrqCounter {
                                count: AtomicU64::new(0),
                            }),
                        )
                    }
                },
                _: {
                    HlDevice::msi_self_test(pdev, cfg, &irq)?;
                    dev_info!(pdev, "bound\n");
                },
            }))
        })
    }

    fn unbind<'bound>(pdev: &'bound pci::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        dev_info!(
            pdev,
            "unbinding after {} interrupts\n",
            this.irq.handler().count.load(Ordering::Relaxed)
        );
    }
}

kernel::module_pci_driver! {
    type: HlDriver,
    name: "habanalabs_rs",
    authors: ["habanalabs-rs developers"],
    description: "Habana Labs Gaudi AI accelerator driver (Rust)",
    license: "GPL v2",
}
