// SPDX-License-Identifier: GPL-2.0

//! Talking to the device CPU: the CPU-accessible memory, the CPU-CP queue and the event queue.
//!
//! The device CPU reaches host memory only inside one 2 MiB window, the "CPU-accessible"
//! region, allocated once per device. It holds the CPU-CP queue of buffer descriptors, the
//! event queue the firmware writes, the packet being sent and the buffers replies land in.
//! Packets go one at a time (a mutex serialises them): the driver writes the packet and a
//! descriptor, moves the producer index and rings the GIC; the firmware executes it and writes
//! the result, the return code and finally the fence, which the driver polls in host memory.

use crate::boot::{Caps, STS0_EQ_INDEX_EN, STS0_PKT_PI_ACK_EN};
use crate::regs::{self, Regs};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{
    device,
    dma::Coherent,
    io::{io_read, io_write},
    new_mutex,
    prelude::*,
    sync::Mutex,
    time::{
        delay::fsleep,
        Delta,
        Instant,
        Monotonic, //
    },
};

/// Size of the CPU-accessible region.
pub(crate) const CPU_MEM_SIZE: usize = 2 << 20;
/// Byte offsets inside the region of what the driver keeps there.
const PQ_OFFSET: usize = 0;
/// CPU-CP queue: 4096 descriptors of 16 bytes.
const PQ_ENTRIES: u32 = 4096;
const PQ_SIZE: usize = PQ_ENTRIES as usize * 16;
const EQ_OFFSET: usize = PQ_OFFSET + PQ_SIZE;
/// Event queue: 64 entries of 64 bytes.
pub(crate) const EQ_ENTRIES: u32 = 64;
const EQ_ENTRY_SIZE: usize = 64;
const EQ_SIZE: usize = EQ_ENTRIES as usize * EQ_ENTRY_SIZE;
const PKT_OFFSET: usize = EQ_OFFSET + EQ_SIZE;
/// Room for one packet, array packets included.
const PKT_SIZE: usize = 4096;
const BUF_OFFSET: usize = PKT_OFFSET + PKT_SIZE;
/// Room for the largest reply buffer the driver asks for: a generic firmware request of
/// 1 MiB, the most upstream takes from its CPU-accessible pool.
pub(crate) const BUF_SIZE: usize = 1 << 20;
const _: () = assert!(BUF_OFFSET + BUF_SIZE <= CPU_MEM_SIZE);

/// Device addresses of host memory carry this offset (the PCIe outbound window).
pub(crate) const HOST_PHYS_BASE: u64 = 0x80_0000_0000;
/// Bits 49:39 of a device-view host address; the device CPU takes them from a register.
const MSB_MASK: u64 = ((1 << 50) - 1) & !((1 << 39) - 1);

/// `enum pq_init_status` values.
const PQ_INIT_READY_FOR_CP_SINGLE_MSI: u32 = 3;
const PQ_INIT_READY_FOR_HOST: u32 = 2;

/// SPI that tells the device CPU its producer index moved.
pub(crate) const SPI_PI_UPDATE: u32 = 484;
/// SPI that parks the device CPU.
pub(crate) const SPI_HALT_MACHINE: u32 = 485;
/// SPI that tells the firmware the host is ready for events.
pub(crate) const SPI_INTS_REGISTER: u32 = 486;

/// The fence value the firmware writes when done, unless it acknowledges with the PI.
const FENCE_VAL: u32 = 0xFE8C_E7A5;
/// A descriptor's control word after its reply was consumed.
const BD_SCRUBBED: u32 = 0xFFFF_FFFF;

/// Default time a packet may take.
pub(crate) const MSG_TIMEOUT: Delta = Delta::from_secs(4);
/// Time allowed for packets that gather data (INFO_GET, energy, counters).
pub(crate) const INFO_TIMEOUT: Delta = Delta::from_secs(10);
/// How long the device CPU may take to read the EEPROM (upstream's).
pub(crate) const EEPROM_TIMEOUT: Delta = Delta::from_secs(10);
const QUEUE_INIT_TIMEOUT: Delta = Delta::from_secs(30);

/// Number of event types Gaudi defines.
pub(crate) const NUM_EVENTS: usize = 663;
/// Event-queue entry control word: entry valid.
const EQ_CTL_READY: u32 = 1 << 31;

/// CPU-CP opcodes (`enum cpucp_packet_id`) the driver sends.
#[allow(dead_code)]
pub(crate) mod op {
    pub(crate) const DISABLE_PCI_ACCESS: u32 = 1;
    pub(crate) const ENABLE_PCI_ACCESS: u32 = 2;
    pub(crate) const TEMPERATURE_GET: u32 = 3;
    pub(crate) const VOLTAGE_GET: u32 = 4;
    pub(crate) const CURRENT_GET: u32 = 5;
    pub(crate) const FAN_SPEED_GET: u32 = 6;
    pub(crate) const PWM_GET: u32 = 7;
    pub(crate) const PWM_SET: u32 = 8;
    pub(crate) const FREQUENCY_SET: u32 = 9;
    pub(crate) const FREQUENCY_GET: u32 = 10;
    pub(crate) const INFO_GET: u32 = 14;
    pub(crate) const UNMASK_RAZWI_IRQ: u32 = 16;
    pub(crate) const TEST: u32 = 18;
    pub(crate) const FREQUENCY_CURR_GET: u32 = 19;
    pub(crate) const MAX_POWER_GET: u32 = 20;
    pub(crate) const MAX_POWER_SET: u32 = 21;
    pub(crate) const PCIE_THROUGHPUT_GET: u32 = 27;
    pub(crate) const PCIE_REPLAY_CNT_GET: u32 = 28;
    pub(crate) const TOTAL_ENERGY_GET: u32 = 29;
    pub(crate) const PLL_INFO_GET: u32 = 30;
    pub(crate) const POWER_GET: u32 = 32;
    pub(crate) const EEPROM_DATA_GET: u32 = 22;
    pub(crate) const TEMPERATURE_SET: u32 = 24;
    pub(crate) const VOLTAGE_SET: u32 = 25;
    pub(crate) const CURRENT_SET: u32 = 26;
    pub(crate) const HBM_REPLACED_ROWS_INFO_GET: u32 = 43;
    pub(crate) const HBM_PENDING_ROWS_STATUS: u32 = 44;
}

/// Converts a DMA address of the region to the address the device CPU is given: the device
/// view (with the outbound offset) with bits 49:39 replaced by bit 39, the rest coming from
/// `CPU_IF_CPU_MSB_ADDR`.
pub(crate) fn cpu_view(dma: u64) -> u64 {
    ((dma + HOST_PHYS_BASE) & !MSB_MASK) | (1 << 39)
}

/// Bits 49:39 of the device view of `dma`, for `CPU_IF_CPU_MSB_ADDR`.
pub(crate) fn msb_of(dma: u64) -> u32 {
    (((dma + HOST_PHYS_BASE) & MSB_MASK) >> 39) as u32
}

/// The next producer index: the queue wraps at twice its length.
pub(crate) fn next_pi(pi: u32) -> u32 {
    (pi + 1) & (2 * PQ_ENTRIES - 1)
}

/// Return code of a reply's control word (bits 15:12).
pub(crate) fn reply_rc(ctl: u32) -> u32 {
    (ctl >> 12) & 0xF
}

/// One packet to send: opcode, the 64-bit value, and the words at offsets 16 and 20.
#[derive(Clone, Copy, Default)]
pub(crate) struct Packet {
    /// `enum cpucp_packet_id`.
    pub(crate) opcode: u32,
    /// Value or buffer address.
    pub(crate) value: u64,
    /// Word at offset 16 (sensor index and type, PLL index, buffer size...).
    pub(crate) word16: u32,
    /// Word at offset 20.
    pub(crate) word20: u32,
}

impl Packet {
    /// A packet with only an opcode and a value.
    pub(crate) fn new(opcode: u32, value: u64) -> Self {
        Self {
            opcode,
            value,
            ..Default::default()
        }
    }
}

/// Producer state of the CPU-CP queue, guarded by the send mutex.
struct PqState {
    pi: u32,
}

/// The CPU-accessible region and the two queues in it.
#[pin_data]
pub(crate) struct CpuChannel {
    mem: Coherent<[u32]>,
    #[pin]
    pq: Mutex<PqState>,
    /// Serialises users of the reply buffer (clear, send, read back).
    #[pin]
    buf: Mutex<()>,
    /// Set after a packet timed out: the device CPU is considered dead until reset.
    disabled: AtomicBool,
    /// Whether the firmware acknowledges with the producer index instead of the fence value.
    pi_ack: AtomicBool,
    /// Event queue consumer index and the index of the last entry seen.
    eq_ci: AtomicU32,
    eq_prev_index: AtomicU32,
    /// Whether entries carry a running index the driver must check.
    eq_check_index: AtomicBool,
    /// Events seen per type since probe.
    events: KVec<AtomicU32>,
}

impl CpuChannel {
    /// Allocates the region. Fails with `ENOMEM`, or `EIO` when the region straddles a
    /// 512 GiB boundary (the device CPU cannot address it then).
    pub(crate) fn new(dev: &device::Device<device::Bound>) -> Result<impl PinInit<Self, Error>> {
        let mem = Coherent::<u32>::zeroed_slice(dev, CPU_MEM_SIZE / 4, GFP_KERNEL)?;
        let start = mem.dma_address();
        if msb_of(start) != msb_of(start + CPU_MEM_SIZE as u64 - 1) {
            dev_err!(
                dev,
                "CPU-accessible memory at {:#x} crosses a 512 GiB boundary\n",
                start
            );
            return Err(EIO);
        }
        let mut events = KVec::with_capacity(NUM_EVENTS, GFP_KERNEL)?;
        for _ in 0..NUM_EVENTS {
            events.push(AtomicU32::new(0), GFP_KERNEL)?;
        }
        Ok(try_pin_init!(Self {
            mem,
            pq <- new_mutex!(PqState { pi: 0 }),
            buf <- new_mutex!(()),
            disabled: AtomicBool::new(false),
            pi_ack: AtomicBool::new(false),
            eq_ci: AtomicU32::new(0),
            eq_prev_index: AtomicU32::new(0),
            eq_check_index: AtomicBool::new(false),
            events,
        }? Error))
    }

    fn rd(&self, byte_off: usize) -> Result<u32> {
        Ok(io_read!(&self.mem, [try: byte_off / 4]))
    }

    fn wr(&self, byte_off: usize, v: u32) -> Result {
        io_write!(&self.mem, [try: byte_off / 4], v);
        Ok(())
    }

    fn wr64(&self, byte_off: usize, v: u64) -> Result {
        self.wr(byte_off, v as u32)?;
        self.wr(byte_off + 4, (v >> 32) as u32)
    }

    fn rd64(&self, byte_off: usize) -> Result<u64> {
        Ok(u64::from(self.rd(byte_off)?) | (u64::from(self.rd(byte_off + 4)?) << 32))
    }

    /// The device-CPU address of byte `off` of the region.
    fn cpu_addr(&self, off: usize) -> u64 {
        cpu_view(self.mem.dma_address() + off as u64)
    }

    /// DMA address of the region (the MSB register is the same for all of it).
    pub(crate) fn dma_base(&self) -> u64 {
        self.mem.dma_address()
    }

    /// Device-CPU address of the reply buffer.
    fn buf_addr(&self) -> u64 {
        self.cpu_addr(BUF_OFFSET)
    }

    /// Copies `out.len()` bytes of the reply buffer.
    fn read_buf(&self, out: &mut [u8]) -> Result {
        if out.len() > BUF_SIZE {
            return Err(EINVAL);
        }
        for (i, chunk) in out.chunks_mut(4).enumerate() {
            let w = self.rd(BUF_OFFSET + i * 4)?.to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }

    /// Copies `data` to the start of the reply buffer (a partial last word is zero-padded).
    fn write_buf(&self, data: &[u8]) -> Result {
        for (i, chunk) in data.chunks(4).enumerate() {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            self.wr(BUF_OFFSET + i * 4, u32::from_le_bytes(w))?;
        }
        Ok(())
    }

    /// Zeroes the first `len` bytes of the reply buffer.
    fn clear_buf(&self, len: usize) -> Result {
        for i in (0..len.min(BUF_SIZE)).step_by(4) {
            self.wr(BUF_OFFSET + i, 0)?;
        }
        Ok(())
    }

    /// Programs the queue registers and waits for the firmware to take the queues, as
    /// upstream's `init_cpu_queues` does. Fails with `EIO` after 30 s.
    pub(crate) fn init_queues(&self, dev: &device::Device, r: Regs<'_>, caps: &Caps) -> Result {
        let pq = self.cpu_addr(PQ_OFFSET);
        let eq = self.cpu_addr(EQ_OFFSET);
        let whole = self.cpu_addr(0);
        self.pq.lock().pi = 0;
        self.eq_ci.store(0, Ordering::Relaxed);
        self.eq_prev_index.store(0, Ordering::Relaxed);
        self.disabled.store(false, Ordering::Relaxed);
        r.wr(regs::CPU_IF_PQ_BASE_ADDR_LOW, pq as u32);
        r.wr(regs::CPU_IF_PQ_BASE_ADDR_HIGH, (pq >> 32) as u32);
        r.wr(regs::CPU_IF_EQ_BASE_ADDR_LOW, eq as u32);
        r.wr(regs::CPU_IF_EQ_BASE_ADDR_HIGH, (eq >> 32) as u32);
        r.wr(regs::CPU_IF_CQ_BASE_ADDR_LOW, whole as u32);
        r.wr(regs::CPU_IF_CQ_BASE_ADDR_HIGH, (whole >> 32) as u32);
        r.wr(regs::CPU_IF_PQ_LENGTH, PQ_SIZE as u32);
        r.wr(regs::CPU_IF_EQ_LENGTH, EQ_SIZE as u32);
        r.wr(regs::CPU_IF_CQ_LENGTH, CPU_MEM_SIZE as u32);
        r.wr(regs::CPU_IF_EQ_RD_OFFS, 0);
        r.wr(regs::CPU_IF_PF_PQ_PI, 0);
        r.wr(regs::CPU_IF_QUEUE_INIT, PQ_INIT_READY_FOR_CP_SINGLE_MSI);
        r.wr(regs::GIC_SETSPI_NSR, SPI_PI_UPDATE);

        let (v, ok) = r.poll(
            regs::CPU_IF_QUEUE_INIT,
            QUEUE_INIT_TIMEOUT,
            Delta::from_millis(1),
            |v| v == PQ_INIT_READY_FOR_HOST,
        );
        if !ok {
            dev_err!(
                dev,
                "device CPU did not take its queues (queue init status {})\n",
                v
            );
            return Err(EIO);
        }
        let sts0 = if caps.sts0_valid {
            r.rd(regs::CPU_BOOT_DEV_STS0)
        } else {
            0
        };
        self.pi_ack
            .store(sts0 & STS0_PKT_PI_ACK_EN != 0, Ordering::Relaxed);
        Ok(())
    }

    /// Latches the event-index capability of the running application.
    pub(crate) fn set_eq_index_check(&self, app_sts0: u32) {
        self.eq_check_index
            .store(app_sts0 & STS0_EQ_INDEX_EN != 0, Ordering::Relaxed);
    }

    /// Sends `pkt` and waits up to `timeout` for the reply; returns the result word.
    ///
    /// Errors: `EAGAIN` when an earlier packet timed out (the device CPU is treated as dead
    /// until reset), `ETIMEDOUT` when this one does, `EIO` when the firmware answers with a
    /// non-zero return code (it does not know the opcode or refused the parameters).
    pub(crate) fn send(
        &self,
        dev: &device::Device,
        r: Regs<'_>,
        pkt: Packet,
        timeout: Delta,
    ) -> Result<u64> {
        let mut pq = self.pq.lock();
        if self.disabled.load(Ordering::Relaxed) {
            return Err(EAGAIN);
        }
        let p = PKT_OFFSET;
        self.wr64(p, pkt.value)?;
        self.wr(p + 8, pkt.opcode << 16)?;
        self.wr(p + 12, u32::MAX)?;
        self.wr(p + 16, pkt.word16)?;
        self.wr(p + 20, pkt.word20)?;

        let slot = PQ_OFFSET + (pq.pi % PQ_ENTRIES) as usize * 16;
        let new_pi = next_pi(pq.pi);
        self.wr64(slot, self.cpu_addr(p))?;
        self.wr(slot + 8, 24)?;
        self.wr(slot + 12, new_pi)?;
        pq.pi = new_pi;
        // MMIO writes are ordered after the stores to coherent memory above.
        r.wr(regs::CPU_IF_PF_PQ_PI, new_pi);
        r.wr(regs::GIC_SETSPI_NSR, SPI_PI_UPDATE);

        let want = if self.pi_ack.load(Ordering::Relaxed) {
            new_pi
        } else {
            FENCE_VAL
        };
        let start = Instant::<Monotonic>::now();
        let mut nap = Delta::from_micros(10);
        let done = loop {
            if self.rd(p + 12)? == want {
                break true;
            }
            if start.elapsed() > timeout {
                break false;
            }
            fsleep(nap);
            if nap.as_micros_ceil() < 1000 {
                nap = Delta::from_micros(nap.as_micros_ceil() * 2);
            }
        };
        if !done {
            self.disabled.store(true, Ordering::Relaxed);
            dev_err!(
                dev,
                "device CPU did not answer packet {} within {} ms; disabling CPU-CP\n",
                pkt.opcode,
                timeout.as_millis()
            );
            return Err(ETIMEDOUT);
        }
        let ctl = self.rd(p + 8)?;
        let result = self.rd64(p)?;
        self.wr(slot + 12, BD_SCRUBBED)?;
        match reply_rc(ctl) {
            0 => Ok(result),
            rc => {
                dev_dbg!(dev, "firmware refused packet {} (rc {})\n", pkt.opcode, rc);
                Err(EIO)
            }
        }
    }

    /// Sends a packet whose reply lands in the reply buffer: `pkt.value` is set to the buffer's
    /// address and `pkt.word16` to `out.len()`; the buffer is cleared first and `out` filled
    /// from it after the reply. Returns the result word.
    pub(crate) fn send_for_buffer(
        &self,
        dev: &device::Device,
        r: Regs<'_>,
        pkt: Packet,
        out: &mut [u8],
        timeout: Delta,
    ) -> Result<u64> {
        self.send_with_buffer(dev, r, pkt, out, false, timeout)
    }

    /// As [`CpuChannel::send_for_buffer`], but with `preload` the buffer starts with the
    /// contents of `buf` (the packet's input) instead of zeroes. `EINVAL` for more than
    /// [`BUF_SIZE`] bytes.
    pub(crate) fn send_with_buffer(
        &self,
        dev: &device::Device,
        r: Regs<'_>,
        mut pkt: Packet,
        buf: &mut [u8],
        preload: bool,
        timeout: Delta,
    ) -> Result<u64> {
        if buf.len() > BUF_SIZE {
            return Err(EINVAL);
        }
        let _guard = self.buf.lock();
        if preload {
            self.write_buf(buf)?;
        } else {
            self.clear_buf(buf.len())?;
        }
        pkt.value = self.buf_addr();
        pkt.word16 = u32::try_from(buf.len()).map_err(|_| EINVAL)?;
        let result = self.send(dev, r, pkt, timeout)?;
        self.read_buf(buf)?;
        Ok(result)
    }

    /// Whether a packet timed out since the queues were set up.
    pub(crate) fn is_disabled(&self) -> bool {
        self.disabled.load(Ordering::Relaxed)
    }

    /// How many events of type `t` arrived since probe.
    pub(crate) fn event_count(&self, t: usize) -> u32 {
        self.events.get(t).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Consumes the ready entries of the event queue and passes each event type to `handle`,
    /// after the entry was given back to the firmware. Returns how many were consumed.
    ///
    /// Reads only host memory; the one register access per entry is the write of the new
    /// consumer index.
    pub(crate) fn drain_events(
        &self,
        dev: &device::Device,
        r: Regs<'_>,
        handle: &mut dyn FnMut(u16),
    ) -> u32 {
        let mut n = 0;
        loop {
            let ci = self.eq_ci.load(Ordering::Relaxed);
            let entry = EQ_OFFSET + ci as usize * EQ_ENTRY_SIZE;
            let Ok(ctl) = self.rd(entry + 4) else {
                break;
            };
            if ctl & EQ_CTL_READY == 0 {
                break;
            }
            let index = ctl & 0xFFFF;
            if self.eq_check_index.load(Ordering::Relaxed) {
                let want = (self.eq_prev_index.load(Ordering::Relaxed) + 1) & 0xFFFF;
                if index != want {
                    dev_err!(
                        dev,
                        "event queue entry {} has index {}, expected {}\n",
                        ci,
                        index,
                        want
                    );
                    break;
                }
            }
            self.eq_prev_index.store(index, Ordering::Relaxed);
            let kind = ((ctl >> 16) & 0xFFF) as u16;
            if let Some(c) = self.events.get(usize::from(kind)) {
                c.fetch_add(1, Ordering::Relaxed);
            }
            let _ = self.wr(entry + 4, ctl & !EQ_CTL_READY);
            let next = (ci + 1) % EQ_ENTRIES;
            self.eq_ci.store(next, Ordering::Relaxed);
            r.wr(regs::CPU_IF_EQ_RD_OFFS, next);
            n += 1;
            handle(kind);
        }
        n
    }
}

#[kunit_tests(habanalabs_rs_cpucp)]
mod tests {
    use super::*;

    #[test]
    fn cpu_view_keeps_low_bits_and_moves_the_window_bits_to_a_register() {
        // A low DMA address: the device view is the outbound offset plus it.
        assert_eq!(cpu_view(0x1234_5000), HOST_PHYS_BASE + 0x1234_5000);
        assert_eq!(msb_of(0x1234_5000), 1);
        // Above 512 GiB the high bits go to the MSB register, the CPU sees bit 39 only.
        let dma = 3u64 << 39 | 0x1000;
        assert_eq!(cpu_view(dma), (1 << 39) | 0x1000);
        assert_eq!(msb_of(dma), 4);
    }

    #[test]
    fn producer_index_wraps_at_twice_the_queue_length() {
        assert_eq!(next_pi(0), 1);
        assert_eq!(next_pi(4095), 4096);
        assert_eq!(next_pi(8191), 0);
    }

    #[test]
    fn reply_return_code_is_bits_15_to_12() {
        assert_eq!(reply_rc(op::TEST << 16), 0);
        assert_eq!(reply_rc((op::TEST << 16) | (1 << 12)), 1);
        assert_eq!(reply_rc(0xF000), 15);
    }
}
