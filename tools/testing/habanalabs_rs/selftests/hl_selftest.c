// SPDX-License-Identifier: GPL-2.0
/*
 * User-space checks of the habanalabs accel ABI, run in the test VM against the emulated
 * Gaudi. Each check is a sub-command: `hl_selftest CHECK [ARGS]` exits 0 when the driver
 * behaves as a user of the upstream ABI relies on, 1 otherwise, explaining why on stderr.
 * The shell suite (guest/suites/accel.sh) drives them and adds what needs the shell:
 * killing processes, unbinding devices, swapping firmware files.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <drm/drm.h>
#include <drm/habanalabs_accel.h>
#include "hl_common.h"

int failed;

void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	failed = 1;
}

const char *node = "/dev/accel/accel0";

int open_node(void)
{
	int fd = open(node, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "FAIL: open %s: %s\n", node, strerror(errno));
		exit(1);
	}
	return fd;
}

/*
 * INFO with an explicit buffer and `*arg` in the argument union (dcore_id, array_size...);
 * the union as the call left it is stored back in `*arg`. Returns 0 or -errno.
 */
int info_union(int fd, uint32_t op, void *buf, uint32_t size, uint32_t *arg)
{
	struct hl_info_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.return_pointer = (uint64_t)(uintptr_t)buf;
	a.return_size = size;
	a.dcore_id = *arg;
	rc = ioctl(fd, DRM_IOCTL_HL_INFO, &a) ? -errno : 0;
	*arg = a.dcore_id;
	return rc;
}

/* INFO with an explicit buffer; returns 0 or -errno. */
int info(int fd, uint32_t op, void *buf, uint32_t size, uint32_t arg)
{
	return info_union(fd, op, buf, size, &arg);
}

/*
 * ENGINE_STATUS into a buffer of `size` bytes; returns 0 or -errno, the size the driver
 * reported (untouched on failure) in *actual.
 */
int engine_status(int fd, char *buf, uint32_t size, uint32_t *actual)
{
	struct hl_info_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.op = HL_INFO_ENGINE_STATUS;
	a.return_pointer = (uint64_t)(uintptr_t)buf;
	a.return_size = size;
	a.user_buffer_actual_size = 12345;
	rc = ioctl(fd, DRM_IOCTL_HL_INFO, &a) ? -errno : 0;
	*actual = a.user_buffer_actual_size;
	return rc;
}

/* Whether the NUL-separated pieces of an ENGINE_STATUS text add up to `actual` bytes. */
int status_pieces_fill(const char *buf, uint32_t actual)
{
	uint32_t at = 0;

	while (at < actual)
		at += strlen(buf + at) + 1;
	return at == actual;
}

/*
 * HW_IDLE and ENGINE_STATUS on an idle device: every engine idle, upstream's text layout
 * and sizes, and the argument checks.
 */
static int check_idle(void)
{
	static char buf[65536];
	struct hl_info_hw_idle idle;
	int fd = open_node();
	uint32_t actual, again;

	memset(&idle, 0xff, sizeof(idle));
	EXPECT(info(fd, HL_INFO_HW_IDLE, &idle, sizeof(idle), 0) == 0, "HW_IDLE failed");
	EXPECT(idle.is_idle == 1 && idle.busy_engines_mask == 0 && idle.busy_engines_mask_ext[0] == 0 &&
	       idle.busy_engines_mask_ext[3] == 0, "idle device: is_idle %u mask %#x ext %#llx",
	       idle.is_idle, idle.busy_engines_mask,
	       (unsigned long long)idle.busy_engines_mask_ext[0]);
	EXPECT(info(fd, HL_INFO_HW_IDLE, &idle, 0, 0) == -EINVAL, "HW_IDLE into 0 bytes");

	EXPECT(engine_status(fd, buf, 1023, &actual) == -EINVAL, "ENGINE_STATUS into 1023 bytes");
	EXPECT(engine_status(fd, NULL, 4096, &actual) == -EINVAL, "ENGINE_STATUS into NULL");
	EXPECT(engine_status(fd, buf, (1 << 20) + 1, &actual) == -EINVAL,
	       "ENGINE_STATUS into more than 1 MiB");
	memset(buf, 'x', sizeof(buf));
	EXPECT(engine_status(fd, buf, sizeof(buf), &actual) == 0, "ENGINE_STATUS failed");
	EXPECT(actual > 1024 && actual < 4096, "ENGINE_STATUS of %u bytes", actual);
	EXPECT(status_pieces_fill(buf, actual), "pieces do not add up to %u bytes", actual);
	EXPECT(buf[actual] == 'x', "ENGINE_STATUS wrote past the %u bytes it reported", actual);
	EXPECT(!strncmp(buf, "\nDMA  is_idle  QM_GLBL_STS0  QM_CGM_STS  DMA_CORE_STS0\n", 54),
	       "DMA header: '%.60s'", buf);
	/* The kernel's %#x prints zero as 0x0. */
	EXPECT(memmem(buf, actual, "0    Y        0x3fff        0x100       0x0\n", 44) &&
	       memmem(buf, actual, "7    Y        0x3fff        0x100       0x0\n", 44),
	       "DMA engine lines missing");
	EXPECT(memmem(buf, actual, "1    Y        -             -           0x1180\n", 47),
	       "MME1 line missing");
	EXPECT(memmem(buf, actual, "\nNIC  is_idle", 13), "NIC header missing");
	/* A buffer one byte short: ENOMEM, the size field left as it was. */
	EXPECT(engine_status(fd, buf, actual - 1, &again) == -ENOMEM && again == 12345,
	       "ENGINE_STATUS into %u bytes: size %u", actual - 1, again);
	EXPECT(engine_status(fd, buf, 1024, &again) == -ENOMEM, "ENGINE_STATUS into 1 KiB");
	EXPECT(engine_status(fd, buf, actual, &again) == 0 && again == actual,
	       "ENGINE_STATUS into exactly %u bytes", actual);
	printf("idle: mask %#x; engine status %u bytes\n", idle.busy_engines_mask, actual);
	close(fd);
	return failed;
}

/*
 * The firmware's attestation, signed device information and generic requests: the emulated
 * firmware does not implement them and answers with an error, which reaches user space as
 * upstream's EIO; the argument checks come first.
 */
static int check_attestation(void)
{
	static char buf[8192];
	char *big;
	struct hl_info_args a;
	int fd = open_node(), rc;

	EXPECT(info(fd, HL_INFO_SECURED_ATTESTATION, NULL, 64, 7) == -EINVAL, "attest into NULL");
	EXPECT(info(fd, HL_INFO_SECURED_ATTESTATION, buf, 0, 7) == -EINVAL, "attest into 0 bytes");
	EXPECT(info(fd, HL_INFO_DEV_SIGNED, buf, 0, 7) == -EINVAL, "signed into 0 bytes");
	rc = info(fd, HL_INFO_SECURED_ATTESTATION, buf, sizeof(struct hl_info_sec_attest), 7);
	EXPECT(rc == -EIO, "SECURED_ATTESTATION: %d, want EIO (firmware without it)", rc);
	rc = info(fd, HL_INFO_DEV_SIGNED, buf, sizeof(struct hl_info_signed), 7);
	EXPECT(rc == -EIO, "DEV_SIGNED: %d, want EIO", rc);
	/* Generic requests: sub-opcode, then size, then the firmware. */
	EXPECT(info(fd, HL_INFO_FW_GENERIC_REQ, buf, 64, 3) == -EINVAL, "generic request 3");
	EXPECT(info(fd, HL_INFO_FW_GENERIC_REQ, buf, (1 << 20) + 1, 0) == -EINVAL,
	       "generic request above 1 MiB");
	EXPECT(info(fd, HL_INFO_FW_GENERIC_REQ, buf, 0, 0) == -ENOMEM, "generic request of 0 bytes");
	EXPECT(info(fd, HL_INFO_FW_GENERIC_REQ, buf, 64, 1) == -EIO, "error counters: want EIO");
	/* 1 MiB, the most upstream takes, reaches the firmware too (and gets its refusal). */
	big = calloc(1, 1 << 20);
	EXPECT(big && info(fd, HL_INFO_FW_GENERIC_REQ, big, 1 << 20, 0) == -EIO,
	       "a 1 MiB generic request: want EIO from the firmware");
	free(big);
	EXPECT(info(fd, HL_INFO_FW_GENERIC_REQ, NULL, 64, 1) == -EFAULT,
	       "error counters from NULL: want EFAULT");
	/* The device CPU still answers afterwards. */
	memset(&a, 0, sizeof(a));
	EXPECT(info(fd, HL_INFO_DEVICE_STATUS, buf, 8, 0) == 0, "DEVICE_STATUS after the refusals");
	close(fd);
	return failed;
}

static int check_version(void)
{
	char name[64] = { 0 };
	struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };
	int fd = open_node();

	EXPECT(ioctl(fd, DRM_IOCTL_VERSION, &v) == 0, "DRM_IOCTL_VERSION: %s", strerror(errno));
	EXPECT(!strcmp(name, "habanalabs"), "driver name '%s', want 'habanalabs'", name);
	close(fd);
	return failed;
}

static int check_exclusive(void)
{
	int fd = open_node(), fd2;
	struct hl_open_stats_info st;

	fd2 = open(node, O_RDWR);
	EXPECT(fd2 < 0 && errno == EBUSY, "second open: %d (%s), want EBUSY", fd2,
	       fd2 < 0 ? strerror(errno) : "succeeded");
	if (fd2 >= 0)
		close(fd2);
	EXPECT(info(fd, HL_INFO_OPEN_STATS, &st, sizeof(st), 0) == 0, "OPEN_STATS failed");
	EXPECT(st.is_compute_ctx_active == 1, "context not reported active while open");
	close(fd);
	fd = open_node();
	EXPECT(info(fd, HL_INFO_OPEN_STATS, &st, sizeof(st), 0) == 0, "OPEN_STATS failed");
	close(fd);
	return failed;
}

static int check_open_counter(void)
{
	struct hl_open_stats_info a, b;
	int fd = open_node();

	EXPECT(info(fd, HL_INFO_OPEN_STATS, &a, sizeof(a), 0) == 0, "OPEN_STATS failed");
	close(fd);
	usleep(20000);
	fd = open_node();
	EXPECT(info(fd, HL_INFO_OPEN_STATS, &b, sizeof(b), 0) == 0, "OPEN_STATS failed");
	EXPECT(b.open_counter == a.open_counter + 1, "open counter %llu after %llu",
	       (unsigned long long)b.open_counter, (unsigned long long)a.open_counter);
	EXPECT(b.last_open_period_ms < 60000, "implausible open period %llu ms",
	       (unsigned long long)b.last_open_period_ms);
	close(fd);
	return failed;
}

static int check_hw_ip_info(void)
{
	struct hl_info_hw_ip_info hw;
	int fd = open_node();

	memset(&hw, 0xa5, sizeof(hw));
	EXPECT(info(fd, HL_INFO_HW_IP_INFO, &hw, sizeof(hw), 0) == 0, "HW_IP_INFO failed");
	EXPECT(hw.device_id == 0x1000, "device_id %#x", hw.device_id);
	EXPECT(hw.sram_base_address == 0x7FF0000080ull, "sram base %#llx",
	       (unsigned long long)hw.sram_base_address);
	EXPECT(hw.sram_size == 0x1400000 - 0x80, "sram size %#x", hw.sram_size);
	EXPECT(hw.dram_base_address == 0x20000000ull, "dram base %#llx",
	       (unsigned long long)hw.dram_base_address);
	EXPECT(hw.dram_size == 0x7E0000000ull, "dram size %#llx",
	       (unsigned long long)hw.dram_size);
	EXPECT(hw.dram_enabled == 1, "dram not enabled");
	EXPECT(hw.dram_page_size == 0x200000, "dram page size %#llx",
	       (unsigned long long)hw.dram_page_size);
	EXPECT(hw.num_of_events == 663, "num_of_events %u", hw.num_of_events);
	EXPECT(hw.tpc_enabled_mask == 0xff, "tpc mask %#x", hw.tpc_enabled_mask);
	EXPECT(hw.first_available_interrupt_id == 0xffff, "first interrupt id %u",
	       hw.first_available_interrupt_id);
	EXPECT(hw.card_name[0] && memchr(hw.card_name, 0, sizeof(hw.card_name)),
	       "card name empty or unterminated");
	EXPECT(hw.cpucp_version[0] && memchr(hw.cpucp_version, 0, sizeof(hw.cpucp_version)),
	       "CPU-CP version empty or unterminated");
	EXPECT(hw.reserved_dram_size == 0x20000000ull, "reserved dram %#llx",
	       (unsigned long long)hw.reserved_dram_size);
	EXPECT(hw.security_enabled == 0, "security reported enabled");
	printf("card %s, CPU-CP %s, revision %u\n", hw.card_name, hw.cpucp_version,
	       hw.revision_id);
	close(fd);
	return failed;
}

static int check_short_and_long_buffers(void)
{
	unsigned char buf[512];
	struct hl_info_hw_ip_info full;
	int fd = open_node();

	EXPECT(info(fd, HL_INFO_HW_IP_INFO, &full, sizeof(full), 0) == 0, "HW_IP_INFO failed");
	/* A short buffer gets the start of the answer, nothing beyond. */
	memset(buf, 0x5a, sizeof(buf));
	EXPECT(info(fd, HL_INFO_HW_IP_INFO, buf, 8, 0) == 0, "short HW_IP_INFO failed");
	EXPECT(!memcmp(buf, &full, 8), "short answer differs from the full one");
	for (int i = 8; i < (int)sizeof(buf); i++)
		if (buf[i] != 0x5a) {
			fail("byte %d beyond the short buffer was written", i);
			break;
		}
	/* A long buffer gets exactly the structure. */
	memset(buf, 0x5a, sizeof(buf));
	EXPECT(info(fd, HL_INFO_HW_IP_INFO, buf, sizeof(buf), 0) == 0, "long HW_IP_INFO failed");
	EXPECT(!memcmp(buf, &full, sizeof(full)), "long answer differs");
	EXPECT(buf[sizeof(full)] == 0x5a, "byte beyond the structure was written");
	close(fd);
	return failed;
}

static int check_bad_args(void)
{
	uint64_t v = 0;
	struct hl_info_args a;
	int fd = open_node();
	static const uint32_t unknown[] = { 5, 19, 20, 39, 41, 0xffff, 0xffffffff };
	void *hole;
	int rc;

	memset(&a, 0, sizeof(a));
	a.op = HL_INFO_DEVICE_STATUS;
	a.return_pointer = (uintptr_t)&v;
	a.return_size = sizeof(v);
	a.pad = 1;
	rc = ioctl(fd, DRM_IOCTL_HL_INFO, &a) ? errno : 0;
	EXPECT(rc == EINVAL, "non-zero pad: %s, want EINVAL", strerror(rc));
	EXPECT(info(fd, HL_INFO_DEVICE_STATUS, NULL, 8, 0) == -EINVAL, "NULL buffer accepted");
	EXPECT(info(fd, HL_INFO_DEVICE_STATUS, &v, 0, 0) == -EINVAL, "zero size accepted");
	for (unsigned int i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		rc = info(fd, unknown[i], &v, sizeof(v), 0);
		EXPECT(rc == -EINVAL, "opcode %u: %d, want EINVAL", unknown[i], rc);
	}
	EXPECT(info(fd, HL_INFO_SYNC_MANAGER, &v, 16, 8) == -EINVAL, "dcore 8 accepted");
	/* A buffer the process cannot write. */
	hole = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT(hole != MAP_FAILED, "mmap");
	rc = info(fd, HL_INFO_HW_IP_INFO, hole, 4096, 0);
	EXPECT(rc == -EFAULT, "read-only buffer: %d, want EFAULT", rc);
	munmap(hole, 4096);
	close(fd);
	return failed;
}

static int check_device_status(void)
{
	struct hl_info_device_status st = { .status = 0xffff };
	struct hl_info_reset_count rc;
	struct hl_info_sync_manager sm;
	struct hl_info_dram_usage du;
	struct hl_info_dev_memalloc_page_sizes ps = { .page_order_bitmask = 1 };
	int fd = open_node();

	EXPECT(info(fd, HL_INFO_DEVICE_STATUS, &st, sizeof(st), 0) == 0, "DEVICE_STATUS failed");
	EXPECT(st.status == HL_DEVICE_STATUS_OPERATIONAL, "status %u", st.status);
	EXPECT(info(fd, HL_INFO_RESET_COUNT, &rc, sizeof(rc), 0) == 0, "RESET_COUNT failed");
	EXPECT(rc.hard_reset_cnt == 0 && rc.soft_reset_cnt == 0, "resets %u/%u",
	       rc.hard_reset_cnt, rc.soft_reset_cnt);
	EXPECT(info(fd, HL_INFO_SYNC_MANAGER, &sm, sizeof(sm), 0) == 0, "SYNC_MANAGER failed");
	EXPECT(sm.first_available_sync_object == 144 && sm.first_available_monitor == 72 &&
	       sm.first_available_cq == 65535, "sync manager %u/%u/%u",
	       sm.first_available_sync_object, sm.first_available_monitor,
	       sm.first_available_cq);
	EXPECT(info(fd, HL_INFO_DRAM_USAGE, &du, sizeof(du), 0) == 0, "DRAM_USAGE failed");
	EXPECT(du.dram_free_mem == 0x7E0000000ull && du.ctx_dram_mem == 0,
	       "dram free %#llx ctx %#llx", (unsigned long long)du.dram_free_mem,
	       (unsigned long long)du.ctx_dram_mem);
	EXPECT(info(fd, HL_INFO_DEV_MEM_ALLOC_PAGE_SIZES, &ps, sizeof(ps), 0) == 0,
	       "DEV_MEM_ALLOC_PAGE_SIZES failed");
	EXPECT(ps.page_order_bitmask == 0, "page sizes %#llx on Gaudi",
	       (unsigned long long)ps.page_order_bitmask);
	close(fd);
	return failed;
}

/* Values that come from the device CPU, end to end. */
static int check_firmware_values(void)
{
	struct hl_info_clk_rate clk;
	struct hl_power_info pw;
	struct hl_info_energy en1, en2;
	struct hl_info_pci_counters pci;
	struct hl_info_device_utilization ut = { .utilization = 1000 };
	int fd = open_node();

	EXPECT(info(fd, HL_INFO_CLK_RATE, &clk, sizeof(clk), 0) == 0, "CLK_RATE failed");
	/* Probe set the MME clock to 2.2 GHz; the firmware reports what was set. */
	EXPECT(clk.max_clk_rate_mhz == 2200 && clk.cur_clk_rate_mhz == 2200,
	       "clock %u/%u MHz, want 2200", clk.cur_clk_rate_mhz, clk.max_clk_rate_mhz);
	EXPECT(info(fd, HL_INFO_POWER, &pw, sizeof(pw), 0) == 0, "POWER failed");
	EXPECT(pw.power > 0 && pw.power < 1000000, "power %llu mW", (unsigned long long)pw.power);
	EXPECT(info(fd, HL_INFO_DEVICE_UTILIZATION, &ut, sizeof(ut), 0) == 0,
	       "DEVICE_UTILIZATION failed");
	EXPECT(ut.utilization <= 100, "utilization %u%%", ut.utilization);
	EXPECT(info(fd, HL_INFO_TOTAL_ENERGY, &en1, sizeof(en1), 0) == 0, "TOTAL_ENERGY failed");
	usleep(200000);
	EXPECT(info(fd, HL_INFO_TOTAL_ENERGY, &en2, sizeof(en2), 0) == 0, "TOTAL_ENERGY failed");
	EXPECT(en2.total_energy_consumption > en1.total_energy_consumption,
	       "energy did not grow: %llu then %llu",
	       (unsigned long long)en1.total_energy_consumption,
	       (unsigned long long)en2.total_energy_consumption);
	EXPECT(info(fd, HL_INFO_PCI_COUNTERS, &pci, sizeof(pci), 0) == 0, "PCI_COUNTERS failed");
	{
		uint32_t pending = 0xdead;
		unsigned char rows[16];

		memset(rows, 0x77, sizeof(rows));
		EXPECT(info(fd, HL_INFO_DRAM_PENDING_ROWS, &pending, sizeof(pending), 0) == 0 &&
		       pending == 0, "DRAM_PENDING_ROWS: %u", pending);
		/* One 8-byte row record, all zero on a card without repairs; nothing beyond. */
		EXPECT(info(fd, HL_INFO_DRAM_REPLACED_ROWS, rows, sizeof(rows), 0) == 0,
		       "DRAM_REPLACED_ROWS failed");
		for (int i = 0; i < 8; i++)
			EXPECT(rows[i] == 0, "row record byte %d is %#x", i, rows[i]);
		EXPECT(rows[8] == 0x77, "DRAM_REPLACED_ROWS wrote past its 8 bytes");
	}
	printf("clock %u MHz, power %llu mW, utilization %u%%, energy %llu, pci rx %llu tx %llu\n",
	       clk.cur_clk_rate_mhz, (unsigned long long)pw.power, ut.utilization,
	       (unsigned long long)en2.total_energy_consumption,
	       (unsigned long long)pci.rx_throughput, (unsigned long long)pci.tx_throughput);
	close(fd);
	return failed;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* The device clock runs, at the PSOC rate, and host time is CLOCK_MONOTONIC_RAW. */
static int check_time_sync(void)
{
	struct hl_info_time_sync a, b;
	struct hl_info_last_err_open_dev_time lo;
	int64_t before = clock_ns(CLOCK_MONOTONIC), raw;
	int fd = open_node();
	double rate;

	EXPECT(info(fd, HL_INFO_LAST_ERR_OPEN_DEV_TIME, &lo, sizeof(lo), 0) == 0,
	       "LAST_ERR_OPEN_DEV_TIME failed");
	EXPECT(lo.timestamp >= before && lo.timestamp <= clock_ns(CLOCK_MONOTONIC),
	       "open time %lld not between %lld and now", (long long)lo.timestamp,
	       (long long)before);
	EXPECT(info(fd, HL_INFO_TIME_SYNC, &a, sizeof(a), 0) == 0, "TIME_SYNC failed");
	raw = clock_ns(CLOCK_MONOTONIC_RAW);
	EXPECT(a.host_time <= (uint64_t)raw && a.host_time + 1000000000ull > (uint64_t)raw,
	       "host time %llu is not CLOCK_MONOTONIC_RAW (%lld)", (unsigned long long)a.host_time,
	       (long long)raw);
	usleep(200000);
	EXPECT(info(fd, HL_INFO_TIME_SYNC, &b, sizeof(b), 0) == 0, "TIME_SYNC failed");
	EXPECT(b.device_time > a.device_time, "device clock stands still at %llu",
	       (unsigned long long)a.device_time);
	EXPECT(b.tsc_time > a.tsc_time, "TSC did not advance");
	/* Ticks per host nanosecond: 0.1 for the emulated Gaudi's 100 MHz, with room for the
	 * jitter of two ioctls on a loaded, emulated machine. */
	rate = (double)(b.device_time - a.device_time) / (double)(b.host_time - a.host_time);
	EXPECT(rate > 0.05 && rate < 0.2, "device clock runs at %.3f ticks/ns", rate);
	printf("device clock %.1f MHz over %.0f ms\n", rate * 1000,
	       (double)(b.host_time - a.host_time) / 1e6);
	close(fd);
	return failed;
}

/* Prints how many events of type argv[0] the device reported. */
static int print_event_count(const char *type)
{
	static uint32_t counts[663];
	unsigned long t = strtoul(type, NULL, 0);
	int fd = open_node();

	if (t >= 663 || info(fd, HL_INFO_HW_EVENTS, counts, sizeof(counts), 0)) {
		fail("HW_EVENTS for %lu", t);
		return 1;
	}
	printf("%u\n", counts[t]);
	close(fd);
	return 0;
}

/* Prints the device status INFO reports. */
static int print_status(void)
{
	struct hl_info_device_status st;
	int fd = open_node();

	if (info(fd, HL_INFO_DEVICE_STATUS, &st, sizeof(st), 0)) {
		fail("DEVICE_STATUS");
		return 1;
	}
	printf("%u\n", st.status);
	close(fd);
	return 0;
}

/* Prints "reason power_us power_ns thermal_us thermal_ns" from CLK_THROTTLE_REASON. */
static int print_throttle(void)
{
	struct hl_info_clk_throttle t;
	int fd = open_node();

	if (info(fd, HL_INFO_CLK_THROTTLE_REASON, &t, sizeof(t), 0)) {
		fail("CLK_THROTTLE_REASON: %s", strerror(errno));
		return 1;
	}
	printf("%u %llu %llu %llu %llu\n", t.clk_throttling_reason,
	       (unsigned long long)t.clk_throttling_timestamp_us[0],
	       (unsigned long long)t.clk_throttling_duration_ns[0],
	       (unsigned long long)t.clk_throttling_timestamp_us[1],
	       (unsigned long long)t.clk_throttling_duration_ns[1]);
	close(fd);
	return 0;
}

/* Expects MEMORY and a firmware INFO opcode to be refused with EBUSY. */
static int check_refused_while_sick(void)
{
	struct hl_power_info pw;
	int fd = open_node();

	EXPECT(info(fd, HL_INFO_POWER, &pw, sizeof(pw), 0) == -EBUSY, "POWER not refused");
	EXPECT(mem(fd, HL_MEM_OP_ALLOC, 4096, 0, 0, 0, NULL) == -EBUSY, "ALLOC not refused");
	EXPECT(info(fd, 5, &pw, sizeof(pw), 0) == -EBUSY, "unknown opcode: want EBUSY first");
	close(fd);
	return failed;
}

/* Opens the node, says so, and waits to be killed. */
static int hold(void)
{
	int fd = open_node();

	printf("holding %s\n", node);
	fflush(stdout);
	for (;;)
		pause();
	close(fd);
	return 0;
}

/* Runs INFO on an fd whose device went away: expects ENODEV. argv: seconds to wait first. */
static int after_unbind(const char *flag)
{
	int fd = open_node();
	uint64_t v;

	/* Tell the suite the fd is open, then wait for it to unbind the device. */
	int f = open(flag, O_CREAT | O_WRONLY, 0600);

	close(f);
	for (int i = 0; i < 600 && access(flag, F_OK) == 0; i++)
		usleep(100000);
	EXPECT(info(fd, HL_INFO_DEVICE_STATUS, &v, sizeof(v), 0) == -ENODEV,
	       "INFO after unbind did not fail with ENODEV");
	close(fd);
	return failed;
}

/* MEMORY with explicit arguments; returns 0 or -errno and the output word. */
int mem(int fd, uint32_t op, uint64_t w0, uint64_t w1, uint64_t w2, uint32_t flags,
	uint64_t *out)
{
	union hl_mem_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.in.op = op;
	a.in.flags = flags;
	memcpy((char *)&a.in, &w0, 8);
	memcpy((char *)&a.in + 8, &w1, 8);
	memcpy((char *)&a.in + 16, &w2, 8);
	rc = ioctl(fd, DRM_IOCTL_HL_MEMORY, &a) ? -errno : 0;
	if (out)
		*out = a.out.device_virt_addr;
	return rc;
}

int map_host(int fd, void *buf, uint64_t size, uint64_t hint, uint32_t flags, uint64_t *va)
{
	return mem(fd, HL_MEM_OP_MAP, (uintptr_t)buf, hint, size, HL_MEM_USERPTR | flags, va);
}

int unmap(int fd, uint64_t va)
{
	return mem(fd, HL_MEM_OP_UNMAP, va, 0, 0, 0, NULL);
}

static int check_mem_accounting(void)
{
	struct hl_info_dram_usage du;
	uint64_t out = 1;
	int fd = open_node(), rc;

	EXPECT(mem(fd, HL_MEM_OP_ALLOC, 0, 0, 0, 0, NULL) == -EINVAL, "ALLOC of 0 bytes accepted");
	rc = mem(fd, HL_MEM_OP_ALLOC, 1ull << 30, 2 << 20, 0, 0, &out);
	EXPECT(rc == 0 && out == 0, "ALLOC 1 GiB: rc %d handle %llu", rc, (unsigned long long)out);
	EXPECT(info(fd, HL_INFO_DRAM_USAGE, &du, sizeof(du), 0) == 0, "DRAM_USAGE failed");
	EXPECT(du.ctx_dram_mem == 1ull << 30 && du.dram_free_mem == 0x7E0000000ull - (1ull << 30),
	       "after ALLOC: ctx %#llx free %#llx", (unsigned long long)du.ctx_dram_mem,
	       (unsigned long long)du.dram_free_mem);
	EXPECT(mem(fd, HL_MEM_OP_FREE, 1ull << 30, 0, 0, 0, NULL) == 0, "FREE failed");
	EXPECT(info(fd, HL_INFO_DRAM_USAGE, &du, sizeof(du), 0) == 0, "DRAM_USAGE failed");
	EXPECT(du.ctx_dram_mem == 0 && du.dram_free_mem == 0x7E0000000ull,
	       "after FREE: ctx %#llx", (unsigned long long)du.ctx_dram_mem);
	out = 1;
	EXPECT(mem(fd, HL_MEM_OP_MAP, 0, 0, 4096, 0, &out) == -EINVAL && out == 0,
	       "MAP of a device handle: want EINVAL and address 0");
	EXPECT(mem(fd, HL_MEM_OP_MAP_BLOCK, 0x7ffc000000ull, 0, 0, 0, NULL) == -EPERM,
	       "MAP_BLOCK: want EPERM");
	EXPECT(mem(fd, 7, 0, 0, 0, 0, NULL) == -EINVAL, "unknown op 7 accepted");
	EXPECT(mem(fd, 0xffffffff, 0, 0, 0, 0, NULL) == -EINVAL, "unknown op accepted");
	close(fd);
	return failed;
}

void *buffer(size_t size, size_t align)
{
	void *p = NULL;

	if (posix_memalign(&p, align, size)) {
		fail("posix_memalign");
		exit(1);
	}
	memset(p, 0x3c, size);
	return p;
}

static int check_map_errors(void)
{
	int fd = open_node();
	char *buf = buffer(1 << 16, 4096), *hole;
	uint64_t va = 1, va2;

	EXPECT(map_host(fd, buf, 0, 0, 0, &va) == -EINVAL && va == 0, "zero size accepted");
	EXPECT(map_host(fd, (void *)(uintptr_t)~0xfffull, 0x2000, 0, 0, NULL) == -EINVAL,
	       "wrapping range accepted");
	hole = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, 1 << 16);
	EXPECT(map_host(fd, hole, 4096, 0, 0, NULL) == -EFAULT, "unmapped buffer: want EFAULT");
	EXPECT(map_host(fd, (void *)0xffff888000000000ull, 4096, 0, 0, NULL) == -EFAULT,
	       "kernel address: want EFAULT");
	EXPECT(unmap(fd, 0x1000000000000ull) == -EINVAL, "UNMAP of nothing accepted");
	EXPECT(map_host(fd, buf + 100, 5000, 0, 0, &va) == 0, "MAP failed: %s", strerror(errno));
	EXPECT(va >= 0x1000000000000ull && va < 0x27fc000000000ull,
	       "address %#llx outside the host range", (unsigned long long)va);
	EXPECT((va & 0xfff) == 100, "page offset %#llx not kept", (unsigned long long)(va & 0xfff));
	EXPECT(unmap(fd, va + 4096) == -EINVAL, "UNMAP inside a mapping accepted");
	EXPECT(unmap(fd, va - 100) == -EINVAL, "UNMAP of the block start (not the returned address) accepted");
	EXPECT(unmap(fd, va) == 0, "UNMAP failed");
	EXPECT(unmap(fd, va) == -EINVAL, "double UNMAP accepted");
	/* Everything given back: the same buffer maps at the same place again. */
	EXPECT(map_host(fd, buf + 100, 5000, 0, 0, &va2) == 0 && va2 == va,
	       "remap went to %#llx, not %#llx", (unsigned long long)va2, (unsigned long long)va);
	EXPECT(unmap(fd, va2) == 0, "UNMAP failed");
	close(fd);
	free(buf);
	return failed;
}

static int check_map_hints(void)
{
	const uint64_t hint = 0x1000040000000ull;
	char *a = buffer(1 << 16, 2 << 20), *b = buffer(1 << 16, 2 << 20);
	uint64_t va1 = 0, va2 = 0, v;
	int fd = open_node(), rc;

	/* The host range's first 2 MiB are reserved for the driver's CBs, as upstream's. */
	EXPECT(map_host(fd, b, 4096, 0, 0, &v) == 0 && v == 0x1000000200000ull,
	       "first MAP at %#llx, want the range's start + 2 MiB", (unsigned long long)v);
	EXPECT(unmap(fd, v) == 0, "UNMAP failed");
	rc = map_host(fd, b, 4096, 0x1000000000000ull, HL_MEM_FORCE_HINT, &v);
	EXPECT(rc == -ENOMEM, "forced hint into the reserved block: %d, want ENOMEM", rc);

	EXPECT(map_host(fd, a, 1 << 16, hint, 0, &va1) == 0 && va1 == hint,
	       "free hint not honoured: %#llx", (unsigned long long)va1);
	EXPECT(map_host(fd, b, 1 << 16, hint, 0, &va2) == 0 && va2 != hint,
	       "taken hint handed out twice");
	rc = map_host(fd, b, 1 << 16, hint, HL_MEM_FORCE_HINT, &v);
	EXPECT(rc == -ENOMEM, "forced taken hint: %d, want ENOMEM", rc);
	rc = map_host(fd, b, 1 << 16, hint + (4 << 20) + 4096, HL_MEM_FORCE_HINT, &v);
	EXPECT(rc == -ENOMEM, "forced misaligned hint: %d, want ENOMEM", rc);
	rc = map_host(fd, a + 8, 4096, hint + (8 << 20), HL_MEM_FORCE_HINT, &v);
	EXPECT(rc == -EINVAL, "forced hint for an unaligned buffer: %d, want EINVAL", rc);
	rc = map_host(fd, b, 1 << 16, hint + (16 << 20), HL_MEM_FORCE_HINT, &v);
	EXPECT(rc == 0 && v == hint + (16 << 20), "forced free hint: %d %#llx", rc,
	       (unsigned long long)v);
	EXPECT(unmap(fd, v) == 0 && unmap(fd, va2) == 0 && unmap(fd, va1) == 0, "UNMAP failed");
	close(fd);
	return failed;
}

static int check_many_maps(void)
{
	enum { N = 64 };
	char *bufs[N];
	uint64_t va[N];
	int fd = open_node();

	for (int i = 0; i < N; i++) {
		bufs[i] = buffer(3 * 4096 + i * 512, 4096);
		EXPECT(map_host(fd, bufs[i], 3 * 4096 + i * 512, 0, 0, &va[i]) == 0,
		       "MAP %d failed", i);
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			if (va[i] / 4096 == va[j] / 4096)
				fail("mappings %d and %d share a page", i, j);
	for (int i = N - 1; i >= 0; i -= 2)
		EXPECT(unmap(fd, va[i]) == 0, "UNMAP %d failed", i);
	/* Closing the file with the rest still mapped must clean them up. */
	close(fd);
	for (int i = 0; i < N; i++)
		free(bufs[i]);
	return failed;
}

/*
 * Maps a buffer holding a pattern and prints "VA PROBE HEX": the mapped address, an address
 * 8 bytes before the end of the first page, and the 16 bytes the device must see there. Then
 * waits for the flag file (which it creates) to disappear, unmaps and exits; with `stay` it
 * waits to be killed.
 */
static int map_hold(const char *flag, int stay)
{
	int fd = open_node();
	unsigned char *buf = buffer(3 * 4096, 4096);
	uint64_t va;

	for (int i = 0; i < 3 * 4096; i++)
		buf[i] = (unsigned char)(i * 7 + 1);
	if (map_host(fd, buf + 40, 2 * 4096, 0, 0, &va)) {
		fail("MAP: %s", strerror(errno));
		return 1;
	}
	printf("%#llx %#llx", (unsigned long long)va, (unsigned long long)(va + 4096 - 8));
	for (int i = 0; i < 16; i++)
		printf("%s%02x", i ? "" : " ", buf[40 + 4096 - 8 + i]);
	printf("\n");
	fflush(stdout);
	close(open(flag, O_CREAT | O_WRONLY, 0600));
	while (stay || access(flag, F_OK) == 0)
		usleep(100000);
	EXPECT(unmap(fd, va) == 0, "UNMAP failed");
	close(fd);
	return failed;
}

int main(int argc, char **argv)
{
	if (getenv("HL_NODE"))
		node = getenv("HL_NODE");
	if (argc < 2) {
		fprintf(stderr, "usage: %s CHECK [ARGS]\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "version"))
		return check_version();
	if (!strcmp(argv[1], "exclusive"))
		return check_exclusive();
	if (!strcmp(argv[1], "open-counter"))
		return check_open_counter();
	if (!strcmp(argv[1], "hw-ip-info"))
		return check_hw_ip_info();
	if (!strcmp(argv[1], "buffers"))
		return check_short_and_long_buffers();
	if (!strcmp(argv[1], "bad-args"))
		return check_bad_args();
	if (!strcmp(argv[1], "status"))
		return check_device_status();
	if (!strcmp(argv[1], "firmware-values"))
		return check_firmware_values();
	if (!strcmp(argv[1], "idle"))
		return check_idle();
	if (!strcmp(argv[1], "attestation"))
		return check_attestation();
	if (!strcmp(argv[1], "event-count") && argc > 2)
		return print_event_count(argv[2]);
	if (!strcmp(argv[1], "print-status"))
		return print_status();
	if (!strcmp(argv[1], "print-throttle"))
		return print_throttle();
	if (!strcmp(argv[1], "refused-while-sick"))
		return check_refused_while_sick();
	if (!strcmp(argv[1], "hold"))
		return hold();
	if (!strcmp(argv[1], "time-sync"))
		return check_time_sync();
	if (!strcmp(argv[1], "mem-accounting"))
		return check_mem_accounting();
	if (!strcmp(argv[1], "map-errors"))
		return check_map_errors();
	if (!strcmp(argv[1], "map-hints"))
		return check_map_hints();
	if (!strcmp(argv[1], "many-maps"))
		return check_many_maps();
	if (!strcmp(argv[1], "map-hold") && argc > 2)
		return map_hold(argv[2], argc > 3);
	if (!strcmp(argv[1], "after-unbind") && argc > 2)
		return after_unbind(argv[2]);
	if (cs_main(argc, argv) != -1)
		return failed;
	fprintf(stderr, "unknown check %s\n", argv[1]);
	return 2;
}
