// SPDX-License-Identifier: GPL-2.0
/*
 * Command buffers, command submission and waits, from user space, as a runtime uses them:
 * a CB is created, mapped and filled with packets, submitted on an external queue, waited
 * for; data goes from host memory into HBM and back, and the bytes are compared.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <drm/drm.h>
#include <drm/habanalabs_accel.h>
#include "hl_common.h"
#include "../importer/hl_importer.h"

/* Packet opcodes and control bits (the Gaudi packet format). */
#define OP_WREG_32	0x1
#define OP_WREG_BULK	0x2
#define OP_MSG_LONG	0x3
#define OP_CP_DMA	0x5
#define OP_MSG_PROT	0x7
#define OP_LIN_DMA	0x9
#define OP_NOP		0xA
#define OP_STOP		0xB
#define OP_WAIT		0xD
#define LIN_DMA_WRCOMP	(1u << 0)
#define LIN_DMA_LIN	(1u << 3)
#define LIN_DMA_MEMSET	(1u << 4)
#define CTL_EB		(1u << 29)

/* Where the tests put data in HBM: the start of user HBM. */
#define HBM_USER	0x20000000ull

/* Queues: DMA0 streams are 0-3, DMA1 streams 4-7. */
#define Q_H2D		0
#define Q_D2H		4

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A mapped command buffer and the packets written into it so far. */
struct cb {
	uint64_t handle;
	uint32_t size;
	uint8_t *p;
	uint32_t len;
};

static int cb_op(int fd, uint32_t op, uint64_t handle, uint32_t size, uint32_t flags,
		 union hl_cb_args *out)
{
	union hl_cb_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.in.op = op;
	a.in.cb_handle = handle;
	a.in.cb_size = size;
	a.in.flags = flags;
	rc = ioctl(fd, DRM_IOCTL_HL_CB, &a) ? -errno : 0;
	if (out)
		*out = a;
	return rc;
}

static void *cb_mmap(int fd, uint64_t handle, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)handle);
}

static int cb_new(int fd, uint32_t size, struct cb *cb)
{
	union hl_cb_args a;
	int rc = cb_op(fd, HL_CB_OP_CREATE, 0, size, 0, &a);

	if (rc)
		return rc;
	cb->handle = a.out.cb_handle;
	cb->size = (size + 4095) & ~4095u;
	if (!cb->size)
		cb->size = 4096;
	cb->len = 0;
	cb->p = cb_mmap(fd, cb->handle, cb->size);
	if (cb->p == MAP_FAILED) {
		rc = -errno;
		cb_op(fd, HL_CB_OP_DESTROY, cb->handle, 0, 0, NULL);
		return rc;
	}
	return 0;
}

static void cb_free(int fd, struct cb *cb)
{
	munmap(cb->p, cb->size);
	EXPECT(cb_op(fd, HL_CB_OP_DESTROY, cb->handle, 0, 0, NULL) == 0, "CB DESTROY failed");
}

static void put32(struct cb *cb, uint32_t v)
{
	memcpy(cb->p + cb->len, &v, 4);
	cb->len += 4;
}

static void put64(struct cb *cb, uint64_t v)
{
	memcpy(cb->p + cb->len, &v, 8);
	cb->len += 8;
}

static void pkt_lin_dma(struct cb *cb, uint64_t src, uint64_t dst, uint32_t size, int memset)
{
	put32(cb, size);
	put32(cb, (OP_LIN_DMA << 24) | LIN_DMA_LIN | (memset ? LIN_DMA_MEMSET : 0) | CTL_EB);
	put64(cb, src);
	put64(cb, dst);
}

/* WREG_32 of `value` to byte `offset` of the engine's block, with reserved bits `rsvd`. */
static void pkt_wreg(struct cb *cb, uint32_t offset, uint32_t value, uint32_t rsvd)
{
	put32(cb, value);
	put32(cb, (OP_WREG_32 << 24) | (offset << 8) | rsvd | CTL_EB);
}

/* The DMA core's write completion: its value, and the low and high halves of its address. */
#define WR_COMP_WDATA	0x7C
#define WR_COMP_ADDR_LO	0x80
#define WR_COMP_ADDR_HI	0x84
/* Sync objects of the west-south and east-north managers (offsets from CFG_BASE). */
#define CFG_BASE	0x7ffc000000ull
#define SOB_W_S(i)	(0x492000u + 4 * (i))
#define SOB_E_N(i)	(0x4f2000u + 4 * (i))

static void pkt_simple(struct cb *cb, uint32_t op, uint32_t word0)
{
	put32(cb, word0);
	put32(cb, op << 24);
}

static void pkt_long(struct cb *cb, uint32_t op, uint32_t value, uint64_t addr)
{
	put32(cb, value);
	put32(cb, op << 24);
	put64(cb, addr);
}

/* CS of the given chunks; returns 0 or -errno, the sequence and the status word. */
static int cs_submit(int fd, struct hl_cs_chunk *chunks, uint32_t n, uint32_t flags,
		     uint32_t timeout_s, uint64_t *seq, uint32_t *status)
{
	union hl_cs_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.in.chunks_execute = (uintptr_t)chunks;
	a.in.num_chunks_execute = n;
	a.in.cs_flags = flags;
	a.in.timeout = timeout_s;
	rc = ioctl(fd, DRM_IOCTL_HL_CS, &a) ? -errno : 0;
	if (seq)
		*seq = a.out.seq;
	if (status)
		*status = a.out.status;
	return rc;
}

/* Waits up to 60 s for the device to be operational again (after a reset), or fails. */
static void wait_operational(int fd)
{
	struct hl_info_device_status st;

	st.status = ~0u;
	for (int i = 0; i < 600; i++) {
		if (info(fd, HL_INFO_DEVICE_STATUS, &st, sizeof(st), 0) == 0 &&
		    st.status == HL_DEVICE_STATUS_OPERATIONAL)
			return;
		usleep(100000);
	}
	fail("device status %u after the reset", st.status);
}

static int cs_one(int fd, struct cb *cb, uint32_t queue, uint64_t *seq)
{
	struct hl_cs_chunk c;

	memset(&c, 0, sizeof(c));
	c.cb_handle = cb->handle;
	c.queue_index = queue;
	c.cb_size = cb->len;
	return cs_submit(fd, &c, 1, 0, 0, seq, NULL);
}

/* WAIT_CS; returns 0 or -errno, and the status. */
static int cs_wait(int fd, uint64_t seq, uint64_t timeout_us, uint32_t flags,
		   struct hl_wait_cs_out *out)
{
	union hl_wait_cs_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.in.seq = seq;
	a.in.timeout_us = timeout_us;
	a.in.flags = flags;
	rc = ioctl(fd, DRM_IOCTL_HL_WAIT_CS, &a) ? -errno : 0;
	if (out)
		*out = a.out;
	return rc;
}

/* Waits up to 10 s for a CS and checks it completed. */
static int cs_done(int fd, uint64_t seq)
{
	struct hl_wait_cs_out o;
	int rc = cs_wait(fd, seq, 10000000, 0, &o);

	if (rc || o.status != HL_WAIT_CS_STATUS_COMPLETED) {
		fail("CS %llu: wait rc %d status %u", (unsigned long long)seq, rc, o.status);
		return -1;
	}
	return 0;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = seed >> 16;
	}
}

/*
 * Copies `size` bytes from a host buffer into HBM at `hbm` (queue 0) and back into a second
 * host buffer (queue 4), each through its own CS, and compares.
 */
static int round_trip(int fd, size_t size, uint64_t hbm, uint32_t seed)
{
	size_t alloc = (size + 4095) & ~4095ul;
	uint8_t *src = buffer(alloc, 4096), *dst = buffer(alloc, 4096);
	uint64_t sva, dva, seq;
	struct cb cb;
	int ok = 1;

	fill(src, size, seed);
	memset(dst, 0xa5, alloc);
	if (map_host(fd, src, alloc, 0, 0, &sva) || map_host(fd, dst, alloc, 0, 0, &dva)) {
		fail("MAP of %zu bytes failed", alloc);
		return -1;
	}
	if (cb_new(fd, 4096, &cb)) {
		fail("CB CREATE failed");
		return -1;
	}
	pkt_lin_dma(&cb, sva, hbm, size, 0);
	if (cs_one(fd, &cb, Q_H2D, &seq) || cs_done(fd, seq))
		ok = 0;
	cb.len = 0;
	pkt_lin_dma(&cb, hbm, dva, size, 0);
	if (ok && (cs_one(fd, &cb, Q_D2H, &seq) || cs_done(fd, seq)))
		ok = 0;
	if (ok && memcmp(src, dst, size)) {
		size_t i = 0;

		while (src[i] == dst[i])
			i++;
		fail("%zu bytes through HBM: byte %zu is %#x, wrote %#x", size, i, dst[i], src[i]);
		ok = 0;
	}
	if (ok && size < alloc && dst[size] != 0xa5) {
		fail("%zu bytes through HBM: the byte after them was written", size);
		ok = 0;
	}
	cb_free(fd, &cb);
	EXPECT(unmap(fd, sva) == 0 && unmap(fd, dva) == 0, "UNMAP failed");
	free(src);
	free(dst);
	return ok ? 0 : -1;
}

static int check_dma(int argc, char **argv)
{
	int fd = open_node();

	for (int i = 2; i < argc; i++) {
		size_t size = strtoul(argv[i], NULL, 0);
		double t = now_s();

		if (round_trip(fd, size, HBM_USER + 0x1000 * i, i) == 0)
			printf("%zu bytes host -> HBM -> host: equal (%.3f s)\n", size,
			       now_s() - t);
	}
	close(fd);
	return failed;
}

static int check_memset(void)
{
	int fd = open_node();
	size_t size = 1 << 20;
	uint8_t *dst = buffer(size, 4096);
	uint64_t dva, seq, pattern = 0x1122334455667788ull;
	struct cb cb;

	memset(dst, 0, size);
	EXPECT(map_host(fd, dst, size, 0, 0, &dva) == 0, "MAP failed");
	EXPECT(cb_new(fd, 4096, &cb) == 0, "CB CREATE failed");
	pkt_lin_dma(&cb, pattern, HBM_USER, size, 1);
	pkt_lin_dma(&cb, HBM_USER, dva, size, 0);
	EXPECT(cs_one(fd, &cb, Q_H2D, &seq) == 0, "CS failed");
	cs_done(fd, seq);
	for (size_t i = 0; i < size; i += 8) {
		if (memcmp(dst + i, &pattern, 8)) {
			fail("memset: word at %zu is %#llx", i, *(unsigned long long *)(dst + i));
			break;
		}
	}
	cb_free(fd, &cb);
	EXPECT(unmap(fd, dva) == 0, "UNMAP failed");
	close(fd);
	return failed;
}

static int check_cb(void)
{
	int fd = open_node();
	union hl_cb_args a;
	struct cb cb;
	uint8_t *p, *q;

	/* Sizes: 0 is a page, the largest is HL_MAX_CB_SIZE. */
	EXPECT(cb_op(fd, HL_CB_OP_CREATE, 0, HL_MAX_CB_SIZE + 1, 0, &a) == -EINVAL,
	       "CB above HL_MAX_CB_SIZE accepted");
	EXPECT(a.out.cb_handle == 0, "refused CREATE returned a handle");
	EXPECT(cb_op(fd, HL_CB_OP_CREATE, 0, 4096, HL_CB_FLAGS_MAP, NULL) == -EINVAL,
	       "HL_CB_FLAGS_MAP accepted on Gaudi");
	EXPECT(cb_op(fd, 3, 0, 4096, 0, NULL) == -EINVAL, "unknown CB op accepted");
	EXPECT(cb_op(fd, HL_CB_OP_CREATE, 0, 0, 0, &a) == 0, "CB of size 0 refused");
	EXPECT((a.out.cb_handle >> 59) == 2 && (a.out.cb_handle & 0xfff) == 0,
	       "handle %#llx is not an upstream CB mmap offset",
	       (unsigned long long)a.out.cb_handle);
	p = cb_mmap(fd, a.out.cb_handle, 8192);
	EXPECT(p == MAP_FAILED && errno == EINVAL, "mmap of 2 pages of a 1-page CB accepted");
	p = cb_mmap(fd, a.out.cb_handle, 4096);
	EXPECT(p != MAP_FAILED, "mmap of the CB failed: %s", strerror(errno));
	q = cb_mmap(fd, a.out.cb_handle, 4096);
	EXPECT(q == MAP_FAILED && errno == EINVAL, "second mmap of a mapped CB accepted");
	EXPECT(cb_mmap(fd, a.out.cb_handle + (1ull << 59), 4096) == MAP_FAILED,
	       "mmap of an offset of another type accepted");
	EXPECT(cb_mmap(fd, (2ull << 59) | (999ull << 12), 4096) == MAP_FAILED,
	       "mmap of an unknown CB accepted");
	memset(p, 0x5a, 4096);
	munmap(p, 4096);
	p = cb_mmap(fd, a.out.cb_handle, 4096);
	EXPECT(p != MAP_FAILED && p[0] == 0x5a && p[4095] == 0x5a,
	       "CB contents lost between two mappings");
	/* Destroying a mapped CB drops the handle; the memory stays until the mapping goes. */
	EXPECT(cb_op(fd, HL_CB_OP_DESTROY, a.out.cb_handle, 0, 0, NULL) == 0, "DESTROY failed");
	EXPECT(cb_op(fd, HL_CB_OP_DESTROY, a.out.cb_handle, 0, 0, NULL) == -EINVAL,
	       "second DESTROY accepted");
	EXPECT(cb_op(fd, HL_CB_OP_INFO, a.out.cb_handle, 0, 0, NULL) == -EINVAL,
	       "INFO of a destroyed CB accepted");
	p[100] = 1;
	EXPECT(p[100] == 1 && p[99] == 0x5a, "mapping of a destroyed CB broken");
	munmap(p, 4096);

	EXPECT(cb_new(fd, 100, &cb) == 0, "CB of 100 bytes refused");
	EXPECT(cb_op(fd, HL_CB_OP_INFO, cb.handle, 0, 0, &a) == 0 && a.out.usage_cnt == 0,
	       "INFO usage of an idle CB: %u", a.out.usage_cnt);
	EXPECT(cb_op(fd, HL_CB_OP_INFO, cb.handle, 0, HL_CB_FLAGS_GET_DEVICE_VA, NULL) == -EINVAL,
	       "GET_DEVICE_VA of an unmapped CB accepted");
	/* The same id goes to the next CB once it is free, as upstream's idr does. */
	cb_free(fd, &cb);
	EXPECT(cb_op(fd, HL_CB_OP_CREATE, 0, 64, 0, &a) == 0, "CREATE failed");
	EXPECT(a.out.cb_handle == cb.handle, "CB id not reused: %#llx then %#llx",
	       (unsigned long long)cb.handle, (unsigned long long)a.out.cb_handle);
	/* A CB left behind is freed at close. */
	close(fd);
	return failed;
}

/* One malformed submission: the errno, a status word of -errno and no sequence. */
static void refused(int fd, struct hl_cs_chunk *c, uint32_t n, uint32_t flags, int want,
		    const char *what)
{
	uint64_t seq = 0;
	uint32_t status = 0;
	int rc = cs_submit(fd, c, n, flags, 0, &seq, &status);

	EXPECT(rc == want, "%s: rc %d, want %d", what, rc, want);
	if (want != -EAGAIN)
		EXPECT(seq == UINT64_MAX && status == (uint32_t)want,
		       "%s: seq %#llx status %d", what, (unsigned long long)seq, (int)status);
}

static int check_bad_cs(void)
{
	int fd = open_node();
	struct hl_cs_chunk c, many[HL_MAX_JOBS_PER_CS + 1];
	union hl_cs_args a;
	struct cb cb;
	uint64_t seq, first;

	EXPECT(cb_new(fd, 4096, &cb) == 0, "CB CREATE failed");
	memset(&c, 0, sizeof(c));
	c.cb_handle = cb.handle;
	c.queue_index = Q_H2D;

#define BAD_PACKET(emit, want, what) do {		\
		cb.len = 0;				\
		pkt_simple(&cb, OP_NOP, 0);		\
		emit;					\
		c.cb_size = cb.len;			\
		refused(fd, &c, 1, 0, want, what);	\
	} while (0)
	BAD_PACKET(pkt_long(&cb, OP_MSG_PROT, 1, 0x7ffcc04100ull), -EPERM, "MSG_PROT");
	BAD_PACKET(pkt_long(&cb, OP_CP_DMA, 64, 0x1000000000000ull), -EPERM, "CP_DMA");
	BAD_PACKET(pkt_simple(&cb, OP_STOP, 0), -EPERM, "STOP");
	BAD_PACKET(pkt_simple(&cb, OP_WREG_BULK, 0), -EPERM, "WREG_BULK");
	BAD_PACKET(pkt_long(&cb, 0xF, 1, 0), -EPERM, "LOAD_AND_EXE into the destination");
	BAD_PACKET(pkt_simple(&cb, OP_WAIT, 0), -EINVAL, "WAIT");
	BAD_PACKET(pkt_simple(&cb, 0xE, 0), -EINVAL, "opcode 0xE");
	BAD_PACKET(pkt_simple(&cb, 0, 0), -EINVAL, "opcode 0");
	BAD_PACKET(pkt_lin_dma(&cb, 0x1000000000000ull, 0x10000000, 4096, 0), -EFAULT,
		   "LIN_DMA into the driver's HBM");
	BAD_PACKET(pkt_lin_dma(&cb, 0x7ff0000000ull, HBM_USER, 64, 0), -EFAULT,
		   "LIN_DMA from reserved SRAM");
	BAD_PACKET(pkt_long(&cb, OP_MSG_LONG, 0, 0x7ffcc1100cull), -EFAULT,
		   "MSG_LONG to an MMU register");
	/* WREG_32: only the write completion's value and (to a sync object) its address. */
	BAD_PACKET(pkt_wreg(&cb, WR_COMP_ADDR_HI, 0, 0), -EPERM, "WREG_32 to the address's high half");
	BAD_PACKET(pkt_wreg(&cb, WR_COMP_ADDR_LO, 0xfc500000, 0), -EPERM,
		   "WREG_32 of a completion address off the sync manager");
	BAD_PACKET(pkt_wreg(&cb, 0x8000 + 0x64, 0, 0), -EPERM, "WREG_32 to a queue register");
	BAD_PACKET(pkt_wreg(&cb, 0, 0, 0), -EPERM, "WREG_32 to the core's configuration");
	BAD_PACKET(pkt_wreg(&cb, WR_COMP_WDATA, 1, 1u << 5), -EINVAL, "WREG_32 with reserved bits");
	/* A packet cut by the chunk's size. */
	cb.len = 0;
	pkt_lin_dma(&cb, 0x1000000000000ull, HBM_USER, 64, 0);
	c.cb_size = 16;
	refused(fd, &c, 1, 0, -EINVAL, "truncated LIN_DMA");
	c.cb_size = 12;
	refused(fd, &c, 1, 0, -EINVAL, "CB size not a whole number of packets");

	/* Chunks. */
	cb.len = 0;
	pkt_simple(&cb, OP_NOP, 0);
	c.cb_size = 0;
	refused(fd, &c, 1, 0, -EINVAL, "CB size 0");
	c.cb_size = 8192;
	refused(fd, &c, 1, 0, -EINVAL, "CB size beyond the CB");
	c.cb_size = 8;
	c.queue_index = 8;
	refused(fd, &c, 1, 0, -EINVAL, "the CPU queue");
	c.queue_index = 113;
	refused(fd, &c, 1, 0, -EINVAL, "queue 113");
	c.queue_index = 9;
	refused(fd, &c, 1, 0, -EOPNOTSUPP, "an internal queue");
	c.queue_index = Q_H2D;
	c.cb_handle = cb.handle + (77 << 12);
	refused(fd, &c, 1, 0, -EINVAL, "unknown CB handle");
	c.cb_handle = cb.handle;
	refused(fd, &c, 0, 0, -EINVAL, "no chunks");
	for (int i = 0; i <= HL_MAX_JOBS_PER_CS; i++)
		many[i] = c;
	refused(fd, many, HL_MAX_JOBS_PER_CS + 1, 0, -EINVAL, "513 chunks");
	refused(fd, (void *)8, 1, 0, -EFAULT, "unreadable chunk array");
	refused(fd, &c, 1, HL_CS_FLAGS_SIGNAL | HL_CS_FLAGS_WAIT, -EINVAL, "two type flags");
	refused(fd, &c, 1, HL_CS_FLAGS_ENGINE_CORE_COMMAND, -EPERM, "engine core command");
	refused(fd, &c, 1, HL_CS_FLAGS_COLLECTIVE_WAIT, -EINVAL, "collective wait");
	memset(&a, 0, sizeof(a));
	a.in.chunks_execute = (uintptr_t)&c;
	a.in.num_chunks_execute = 1;
	a.in.pad[2] = 1;
	EXPECT(ioctl(fd, DRM_IOCTL_HL_CS, &a) && errno == EINVAL, "non-zero pad accepted");

	/*
	 * What was refused left nothing behind: a good CS runs. Refusals after the sequence
	 * number was taken used it up, as upstream; waiting on those reports completed.
	 */
	EXPECT(cs_submit(fd, &c, 1, HL_CS_FLAGS_FLUSH_PCI_HBW_WRITES, 0, &seq, NULL) == 0 &&
	       seq == UINT64_MAX, "FLUSH_PCI_HBW_WRITES");
	EXPECT(cs_one(fd, &cb, Q_H2D, &first) == 0, "CS after the refusals failed");
	cs_done(fd, first);
	EXPECT(first > 1, "refused CSs did not use sequence numbers (first good one is %llu)",
	       (unsigned long long)first);
	EXPECT(cs_wait(fd, first - 1, 0, 0, NULL) == 0, "WAIT on a refused CS's sequence");
	EXPECT(cs_wait(fd, first + 1, 0, 0, NULL) == -EINVAL, "WAIT on a future CS accepted");
	cb_free(fd, &cb);
	close(fd);
	return failed;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * WAIT_CS against a hung queue (the shell switched the model's fault on for queue 1):
 * polls and timeouts report busy, a signal interrupts, flags Gaudi lacks are refused. Then
 * prints the hung CS's sequence and, once the shell let the queue run (/tmp/unhung), checks
 * that the CS completes.
 */
static int check_wait(void)
{
	int fd = open_node();
	struct hl_wait_cs_out o;
	struct sigaction sa;
	struct hl_cs_chunk c;
	struct cb cb;
	uint64_t seq, hung;
	double t;
	int rc;

	EXPECT(cb_new(fd, 4096, &cb) == 0, "CB CREATE failed");
	pkt_simple(&cb, OP_NOP, 0);
	memset(&c, 0, sizeof(c));
	c.cb_handle = cb.handle;
	c.cb_size = cb.len;
	c.queue_index = Q_H2D;
	EXPECT(cs_submit(fd, &c, 1, HL_CS_FLAGS_TIMESTAMP, 0, &seq, NULL) == 0, "CS failed");
	EXPECT(cs_wait(fd, seq, 10000000, 0, &o) == 0 && o.status == HL_WAIT_CS_STATUS_COMPLETED,
	       "WAIT: status %u", o.status);
	EXPECT(o.flags & HL_WAIT_CS_STATUS_FLAG_TIMESTAMP_VLD && o.timestamp_nsec > 0,
	       "no completion time for a CS that asked for one");
	EXPECT(cs_wait(fd, seq, 0, 0, &o) == 0 && o.status == HL_WAIT_CS_STATUS_COMPLETED,
	       "poll of a finished CS: %u", o.status);
	EXPECT(cs_wait(fd, seq, 0, HL_WAIT_CS_FLAGS_INTERRUPT, NULL) == -EPERM,
	       "user interrupt wait accepted on Gaudi");
	EXPECT(cs_wait(fd, 0, 0, 0, &o) == 0 && o.status == HL_WAIT_CS_STATUS_COMPLETED &&
	       o.flags == HL_WAIT_CS_STATUS_FLAG_GONE, "WAIT on sequence 0: %u %u", o.status,
	       o.flags);

	c.queue_index = 1;
	EXPECT(cs_submit(fd, &c, 1, 0, 0, &hung, NULL) == 0, "CS on the hung queue failed");
	EXPECT(cs_wait(fd, hung, 0, 0, &o) == 0 && o.status == HL_WAIT_CS_STATUS_BUSY,
	       "poll of a hung CS: rc status %u", o.status);
	t = now_s();
	rc = cs_wait(fd, hung, 200000, 0, &o);
	t = now_s() - t;
	EXPECT(rc == 0 && o.status == HL_WAIT_CS_STATUS_BUSY, "200 ms wait: rc %d status %u", rc,
	       o.status);
	EXPECT(t > 0.15 && t < 5, "200 ms wait took %.3f s", t);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	rc = cs_wait(fd, hung, 30000000, 0, &o);
	EXPECT(rc == -EINTR, "wait interrupted by a signal: rc %d", rc);
	/* Another CS on a working queue still completes. */
	c.queue_index = 2;
	EXPECT(cs_submit(fd, &c, 1, 0, 0, &seq, NULL) == 0, "CS on queue 2 failed");
	cs_done(fd, seq);
	/* Many waiters on the one CS: all of them see it complete. */
	for (int i = 0; i < 4; i++) {
		if (fork() == 0) {
			rc = cs_wait(fd, hung, 30000000, 0, &o);
			_exit(rc || o.status != HL_WAIT_CS_STATUS_COMPLETED);
		}
	}
	printf("hung CS %llu\n", (unsigned long long)hung);
	fflush(stdout);
	while (access("/tmp/unhung", F_OK))
		usleep(100000);
	cs_done(fd, hung);
	for (int i = 0; i < 4; i++) {
		int st;

		EXPECT(wait(&st) > 0 && WIFEXITED(st) && !WEXITSTATUS(st),
		       "a waiter of the hung CS did not see it complete");
	}
	cb_free(fd, &cb);
	close(fd);
	return failed;
}

/*
 * One CS with a job on every external queue: each copies its own slice of a host buffer into
 * HBM; then one CS copies all of HBM back.
 */
static int check_multi_queue(void)
{
	int fd = open_node();
	size_t slice = 64 << 10, size = 8 * slice;
	uint8_t *src = buffer(size, 4096), *dst = buffer(size, 4096);
	struct hl_cs_chunk c[8];
	uint64_t sva, dva, seq;
	struct cb cb[8];

	fill(src, size, 99);
	memset(dst, 0, size);
	EXPECT(map_host(fd, src, size, 0, 0, &sva) == 0 && map_host(fd, dst, size, 0, 0, &dva) == 0,
	       "MAP failed");
	for (int q = 0; q < 8; q++) {
		EXPECT(cb_new(fd, 4096, &cb[q]) == 0, "CB CREATE failed");
		pkt_lin_dma(&cb[q], sva + q * slice, HBM_USER + (1 << 24) + q * slice, slice, 0);
		memset(&c[q], 0, sizeof(c[q]));
		c[q].cb_handle = cb[q].handle;
		c[q].cb_size = cb[q].len;
		c[q].queue_index = q;
	}
	EXPECT(cs_submit(fd, c, 8, 0, 0, &seq, NULL) == 0, "CS of 8 jobs failed");
	cs_done(fd, seq);
	cb[0].len = 0;
	pkt_lin_dma(&cb[0], HBM_USER + (1 << 24), dva, size, 0);
	c[0].cb_size = cb[0].len;
	EXPECT(cs_submit(fd, c, 1, 0, 0, &seq, NULL) == 0, "CS failed");
	cs_done(fd, seq);
	EXPECT(!memcmp(src, dst, size), "8 queues' slices did not land in HBM in place");
	for (int q = 0; q < 8; q++)
		cb_free(fd, &cb[q]);
	EXPECT(unmap(fd, sva) == 0 && unmap(fd, dva) == 0, "UNMAP failed");
	close(fd);
	return failed;
}

/*
 * Several processes (forked, sharing the context) each keep many CSs in flight, each CS
 * copying a distinct block into HBM and back; every block must come back intact.
 */
static int check_many_inflight(int procs, int per)
{
	int fd = open_node(), status, bad = 0;

	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			size_t blk = 16 << 10, size = blk * per;
			uint8_t *src = buffer(size, 4096), *dst = buffer(size, 4096);
			uint64_t sva, dva, *seqs = calloc(per, 8), hbm;
			struct cb *cbs = calloc(per, sizeof(*cbs));

			fill(src, size, 1000 + p);
			memset(dst, 0, size);
			hbm = HBM_USER + (64ull << 20) * (p + 1);
			EXPECT(map_host(fd, src, size, 0, 0, &sva) == 0 &&
			       map_host(fd, dst, size, 0, 0, &dva) == 0, "child %d: MAP failed", p);
			for (int i = 0; i < per && !failed; i++) {
				EXPECT(cb_new(fd, 4096, &cbs[i]) == 0, "child %d: CB failed", p);
				pkt_lin_dma(&cbs[i], sva + i * blk, hbm + i * blk, blk, 0);
				pkt_lin_dma(&cbs[i], hbm + i * blk, dva + i * blk, blk, 0);
				EXPECT(cs_one(fd, &cbs[i], (p + i) % 8, &seqs[i]) == 0,
				       "child %d: CS %d failed", p, i);
			}
			for (int i = 0; i < per && !failed; i++)
				cs_done(fd, seqs[i]);
			EXPECT(!memcmp(src, dst, size), "child %d: data differs", p);
			_exit(failed);
		}
	}
	for (int p = 0; p < procs; p++) {
		wait(&status);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	EXPECT(!bad, "%d of %d processes failed", bad, procs);
	if (!bad)
		printf("%d processes x %d CSs in flight: all data intact\n", procs, per);
	close(fd);
	return failed;
}

/*
 * Queue 3 is hung (the shell switched the fault on): CSs pile up until the ring is full and
 * the next one gets EAGAIN with its arguments untouched.
 */
static int check_full_queue(void)
{
	int fd = open_node();
	struct hl_cs_chunk c;
	struct cb cb;
	uint64_t seq = 0;
	int n = 0, rc;

	EXPECT(cb_new(fd, 4096, &cb) == 0, "CB CREATE failed");
	pkt_simple(&cb, OP_NOP, 0);
	memset(&c, 0, sizeof(c));
	c.cb_handle = cb.handle;
	c.cb_size = cb.len;
	c.queue_index = 3;
	while ((rc = cs_submit(fd, &c, 1, 0, 0, &seq, NULL)) == 0 && n < 5000)
		n++;
	EXPECT(rc == -EAGAIN, "full queue: rc %d after %d CSs", rc, n);
	EXPECT(n == 4096, "the queue took %d CSs, its ring has 4096 slots", n);
	printf("queue full after %d CSs; next one: EAGAIN\n", n);
	/* DMA0 (queue 3 is its fourth stream) is busy, and says so. */
	{
		static char text[65536];
		struct hl_info_hw_idle idle;
		uint32_t actual;

		EXPECT(info(fd, HL_INFO_HW_IDLE, &idle, sizeof(idle), 0) == 0, "HW_IDLE failed");
		EXPECT(!idle.is_idle && idle.busy_engines_mask == 1 &&
		       idle.busy_engines_mask_ext[0] == 1,
		       "hung DMA0: is_idle %u mask %#x", idle.is_idle, idle.busy_engines_mask);
		EXPECT(engine_status(fd, text, sizeof(text), &actual) == 0, "ENGINE_STATUS failed");
		/* Each engine's line is a piece of its own, after the previous one's NUL. */
		EXPECT(memmem(text, actual, "\0" "0    N        ", 15) &&
		       memmem(text, actual, "\0" "1    Y        ", 15),
		       "ENGINE_STATUS does not show DMA0 busy and DMA1 idle");
	}
	/* Other queues are not affected. */
	c.queue_index = 0;
	EXPECT(cs_submit(fd, &c, 1, 0, 0, &seq, NULL) == 0, "CS on queue 0 failed");
	cs_done(fd, seq);
	/* Let the shell unhang the queue, then everything completes. */
	printf("waiting\n");
	fflush(stdout);
	c.queue_index = 3;
	while (access("/tmp/unhung", F_OK))
		usleep(100000);
	for (;;) {
		rc = cs_submit(fd, &c, 1, 0, 0, &seq, NULL);
		if (rc != -EAGAIN)
			break;
		usleep(10000);
	}
	EXPECT(rc == 0, "CS after the queue drained: %d", rc);
	cs_done(fd, seq);
	{
		struct hl_info_hw_idle idle;

		EXPECT(info(fd, HL_INFO_HW_IDLE, &idle, sizeof(idle), 0) == 0 && idle.is_idle &&
		       !idle.busy_engines_mask, "drained device not idle: mask %#x",
		       idle.busy_engines_mask);
	}
	cb_free(fd, &cb);
	close(fd);
	return failed;
}

/*
 * Queue 1 is hung: a CS with a 2 s timeout there times out and resets the device; a second
 * CS behind it is aborted; the reset counter moves; the context, its CBs and its mappings
 * work afterwards.
 */
static int check_timeout_reset(void)
{
	int fd = open_node();
	struct hl_info_reset_count rc0, rc1;
	struct hl_info_cs_timeout_event cto;
	struct hl_wait_cs_out o;
	struct hl_cs_chunk c;
	uint64_t seq1, seq2;
	int rc, status;
	pid_t waiter;
	struct cb cb;
	double t;

	EXPECT(info(fd, HL_INFO_RESET_COUNT, &rc0, sizeof(rc0), 0) == 0, "RESET_COUNT failed");
	EXPECT(cb_new(fd, 4096, &cb) == 0, "CB CREATE failed");
	pkt_simple(&cb, OP_NOP, 0);
	memset(&c, 0, sizeof(c));
	c.cb_handle = cb.handle;
	c.cb_size = cb.len;
	c.queue_index = 1;
	EXPECT(cs_submit(fd, &c, 1, HL_CS_FLAGS_CUSTOM_TIMEOUT, 2, &seq1, NULL) == 0, "CS failed");
	EXPECT(cs_submit(fd, &c, 1, 0, 0, &seq2, NULL) == 0, "second CS failed");
	/* A process of the context already waiting for the second CS is told it was aborted. */
	waiter = fork();
	if (waiter == 0) {
		rc = cs_wait(fd, seq2, 60000000, 0, &o);
		EXPECT(rc == -EIO && o.status == HL_WAIT_CS_STATUS_ABORTED,
		       "waiter of the aborted CS: rc %d status %u", rc, o.status);
		_exit(failed);
	}
	t = now_s();
	rc = cs_wait(fd, seq1, 60000000, 0, &o);
	t = now_s() - t;
	EXPECT(rc == -ETIMEDOUT && o.status == HL_WAIT_CS_STATUS_TIMEDOUT,
	       "timed-out CS: rc %d status %u", rc, o.status);
	EXPECT(t > 1.5 && t < 30, "timed out after %.1f s, its timeout is 2 s", t);
	printf("CS %llu timed out after %.1f s\n", (unsigned long long)seq1, t);
	/* The timeout is captured for INFO, as upstream. */
	EXPECT(info(fd, HL_INFO_CS_TIMEOUT_EVENT, &cto, sizeof(cto), 0) == 0, "CS_TIMEOUT_EVENT");
	EXPECT(cto.seq == seq1 && cto.timestamp > 0, "CS_TIMEOUT_EVENT: seq %llu ts %lld",
	       (unsigned long long)cto.seq, (long long)cto.timestamp);
	EXPECT(waitpid(waiter, &status, 0) == waiter && WIFEXITED(status) && !WEXITSTATUS(status),
	       "the waiter of the aborted CS failed");
	/* While the reset runs, waits are refused with EBUSY, as upstream. */
	rc = cs_wait(fd, seq2, 0, 0, &o);
	EXPECT(rc == -EBUSY || (rc == -EIO && o.status == HL_WAIT_CS_STATUS_ABORTED),
	       "wait during the reset: rc %d", rc);
	/* The reset runs; the device comes back. */
	wait_operational(fd);
	EXPECT(info(fd, HL_INFO_RESET_COUNT, &rc1, sizeof(rc1), 0) == 0, "RESET_COUNT failed");
	EXPECT(rc1.hard_reset_cnt == rc0.hard_reset_cnt + 1, "hard resets %u -> %u",
	       rc0.hard_reset_cnt, rc1.hard_reset_cnt);
	rc = cs_wait(fd, seq2, 0, 0, &o);
	EXPECT(rc == -EIO && o.status == HL_WAIT_CS_STATUS_ABORTED,
	       "aborted CS after the reset: rc %d status %u", rc, o.status);
	printf("device operational again after %u hard reset(s)\n", rc1.hard_reset_cnt);
	/* The same context goes on: its CB, a new mapping, a DMA round trip. */
	c.queue_index = 1;
	EXPECT(cs_submit(fd, &c, 1, 0, 0, &seq1, NULL) == 0, "CS after the reset failed");
	cs_done(fd, seq1);
	round_trip(fd, 1 << 20, HBM_USER, 7);
	cb_free(fd, &cb);
	close(fd);
	return failed;
}

/*
 * Load: 4 processes of the context copy blocks host -> HBM -> host in a loop. Each says
 * "running" once it submits; the shell then injects a reset, which aborts some CSs and
 * refuses others while it runs. A process stops once the reset counter moved and 20 CSs
 * completed since the reset or its last refusal, or after `seconds` at most (so a slow
 * injection cannot end the load before the reset); every CS that completes must have moved
 * the right bytes.
 */
static int check_load(int seconds)
{
	int fd = open_node(), status, bad = 0;

	for (int p = 0; p < 4; p++) {
		if (fork() == 0) {
			size_t size = 256 << 10;
			uint8_t *src = buffer(size, 4096), *dst = buffer(size, 4096);
			uint64_t sva, dva, seq, hbm = HBM_USER + (256ull << 20) * (p + 1);
			long done = 0, aborted = 0, refused = 0, wrong = 0, after = 0;
			struct hl_wait_cs_out o;
			double end = now_s() + seconds;
			struct hl_info_reset_count r0, r;
			struct cb cb;
			int rc;

			EXPECT(info(fd, HL_INFO_RESET_COUNT, &r0, sizeof(r0), 0) == 0, "RESET_COUNT");

			EXPECT(map_host(fd, src, size, 0, 0, &sva) == 0 &&
			       map_host(fd, dst, size, 0, 0, &dva) == 0, "load %d: MAP failed", p);
			EXPECT(cb_new(fd, 4096, &cb) == 0, "load %d: CB failed", p);
			pkt_lin_dma(&cb, sva, hbm, size, 0);
			pkt_lin_dma(&cb, hbm, dva, size, 0);
			printf("load %d: running\n", p);
			fflush(stdout);
			for (uint32_t i = 0; now_s() < end && !failed; i++) {
				if (after >= 20 && !info(fd, HL_INFO_RESET_COUNT, &r, sizeof(r), 0) &&
				    r.hard_reset_cnt != r0.hard_reset_cnt)
					break;
				fill(src, size, i * 4 + p);
				memset(dst, 0, size);
				rc = cs_one(fd, &cb, p % 8, &seq);
				if (rc == -EBUSY || rc == -EAGAIN || rc == -EPERM) {
					refused++;
					after = 0;
					usleep(10000);
					continue;
				}
				EXPECT(rc == 0, "load %d: CS rc %d", p, rc);
				do
					rc = cs_wait(fd, seq, 10000000, 0, &o);
				while (rc == -EBUSY && !usleep(10000));
				if (rc == -EIO && o.status == HL_WAIT_CS_STATUS_ABORTED) {
					aborted++;
					after = 0;
					continue;
				}
				EXPECT(rc == 0 && o.status == HL_WAIT_CS_STATUS_COMPLETED,
				       "load %d: wait rc %d status %u", p, rc, o.status);
				done++;
				after++;
				if (memcmp(src, dst, size))
					wrong++;
			}
			EXPECT(!wrong, "load %d: %ld completed CSs moved the wrong bytes", p, wrong);
			EXPECT(after > 0, "load %d: no CS completed after the last refusal", p);
			printf("load %d: %ld completed (%ld since the last refusal), %ld aborted, "
			       "%ld refused during the reset\n", p, done, after, aborted, refused);
			fflush(stdout);
			_exit(failed);
		}
	}
	for (int p = 0; p < 4; p++) {
		wait(&status);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	EXPECT(!bad, "%d load processes failed", bad);
	close(fd);
	return failed;
}

/* Maps a buffer, makes it busy on the hung queue 2, prints "ready" and waits to be killed. */
static int inflight_hold(void)
{
	int fd = open_node();
	uint8_t *src = buffer(1 << 20, 4096);
	struct hl_cs_chunk c;
	uint64_t sva, seq;
	struct cb cb;

	EXPECT(map_host(fd, src, 1 << 20, 0, 0, &sva) == 0, "MAP failed");
	EXPECT(cb_new(fd, 4096, &cb) == 0, "CB CREATE failed");
	pkt_lin_dma(&cb, sva, HBM_USER, 1 << 20, 0);
	memset(&c, 0, sizeof(c));
	c.cb_handle = cb.handle;
	c.cb_size = cb.len;
	c.queue_index = 2;
	for (int i = 0; i < 16; i++)
		EXPECT(cs_submit(fd, &c, 1, 0, 0, &seq, NULL) == 0, "CS failed");
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
	return failed;
}

/* EXPORT_DMABUF_FD; returns 0 or -errno and the descriptor (out.fd, also on failure). */
static int export(int fd, uint64_t addr, uint64_t size, uint64_t offset, uint32_t flags, int *out)
{
	union hl_mem_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.in.op = HL_MEM_OP_EXPORT_DMABUF_FD;
	a.in.flags = flags;
	a.in.export_dmabuf_fd.addr = addr;
	a.in.export_dmabuf_fd.mem_size = size;
	a.in.export_dmabuf_fd.offset = offset;
	rc = ioctl(fd, DRM_IOCTL_HL_MEMORY, &a) ? -errno : 0;
	if (out)
		*out = a.out.fd;
	return rc;
}

/* The "key: value" line of /proc/self/fdinfo/FD that starts with key. */
static int fdinfo(int fd, const char *key, char *val, size_t len)
{
	char path[64], line[256];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, strlen(key))) {
			snprintf(val, len, "%s", line + strlen(key));
			val[strcspn(val, "\n")] = 0;
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * EXPORT_DMABUF_FD: every bad request gets upstream's errno (and out.fd -EBADF), a good one
 * a dma-buf descriptor with the right size, name and flags; many at once; and the device file
 * stays in use while an export lives.
 */
static int check_export(void)
{
	int fd = open_node(), d = 0, fds[64];
	uint64_t u = HBM_USER, bar = 1ull << 30;
	char v[64];

	EXPECT(export(fd, u, 4096, 4096, O_RDWR, &d) == -EINVAL && d == -EBADF,
	       "offset accepted (fd %d)", d);
	EXPECT(export(fd, u + 1, 4096, 0, O_RDWR, NULL) == -EINVAL, "unaligned address accepted");
	EXPECT(export(fd, u, 0, 0, O_RDWR, NULL) == -EINVAL, "size 0 accepted");
	EXPECT(export(fd, u, 100, 0, O_RDWR, NULL) == -EINVAL, "unaligned size accepted");
	EXPECT(export(fd, 0x10000000, 4096, 0, O_RDWR, NULL) == -EINVAL,
	       "driver HBM (below the user base) exported");
	EXPECT(export(fd, 0x800000000ull - 4096, 8192, 0, O_RDWR, NULL) == -EINVAL,
	       "range past the end of HBM exported");
	EXPECT(export(fd, bar - 4096, 8192, 0, O_RDWR, NULL) == -EINVAL,
	       "range past the HBM BAR exported");
	EXPECT(export(fd, ~0xfffull, 8192, 0, O_RDWR, NULL) == -EINVAL, "wrapping range exported");
	EXPECT(export(fd, u, 4096, 0, O_RDWR | O_NONBLOCK, NULL) == -EINVAL,
	       "unsupported file flags accepted");

	EXPECT(export(fd, u, 2 << 20, 0, O_RDWR | O_CLOEXEC, &d) == 0 && d >= 0, "export failed");
	EXPECT(fcntl(d, F_GETFD) == FD_CLOEXEC, "O_CLOEXEC not honoured");
	EXPECT((fcntl(d, F_GETFL) & O_ACCMODE) == O_RDWR, "access mode %#x", fcntl(d, F_GETFL));
	EXPECT(fdinfo(d, "size:", v, sizeof(v)) && atol(v) == 2 << 20, "fdinfo size '%s'", v);
	EXPECT(fdinfo(d, "exp_name:", v, sizeof(v)) && strstr(v, "habanalabs_rs"),
	       "fdinfo exp_name '%s'", v);
	EXPECT(mmap(NULL, 4096, PROT_READ, MAP_SHARED, d, 0) == MAP_FAILED,
	       "device memory mapped into the CPU through the dma-buf");
	close(d);
	EXPECT(export(fd, bar - 4096, 4096, 0, O_RDONLY, &d) == 0, "last page of the BAR refused");
	EXPECT(fcntl(d, F_GETFD) == 0, "FD_CLOEXEC set without O_CLOEXEC");
	close(d);

	/* Many at once, overlapping or not. */
	for (int i = 0; i < 64; i++) {
		EXPECT(export(fd, u + (i % 8) * 4096, 4096 * (1 + i % 3), 0, O_RDWR, &fds[i]) == 0,
		       "export %d failed", i);
	}
	for (int i = 0; i < 64; i++)
		close(fds[i]);

	/* An export keeps the device file in use: no new context until it is closed. */
	EXPECT(export(fd, u, 4096, 0, O_RDWR, &d) == 0, "export failed");
	close(fd);
	EXPECT(open(node, O_RDWR) < 0 && errno == EBUSY,
	       "device file reopened while a dma-buf of the closed one lives");
	close(d);
	fd = open_node();
	close(fd);
	return failed;
}

/* Exports 4 KiB, closes the device file, prints "ready" and waits to be killed. */
static int export_hold(void)
{
	int fd = open_node(), d;

	EXPECT(export(fd, HBM_USER, 4096, 0, O_RDWR, &d) == 0, "export failed");
	close(fd);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
	return failed;
}

/*
 * Peer-to-peer: a CS writes a pattern into HBM, the range is exported, and the test importer
 * (its /dev/hl_importer file is descriptor HLI_FD, opened by the shell, which keeps the
 * import after this process exits) imports it in `mode` on behalf of PCI device `pci`, with
 * the importing device's DMA segments limited to `seg` bytes if not 0. `mode` and HLI_FD may
 * be comma-separated lists: the same export is then imported once per mode, each on its own
 * importer descriptor (one compute context per device: a second process could not export).
 * Prints the entries and, for a few offsets, the bus address and the 16 bytes the importing
 * device must read there; the shell has that device read them.
 */
static int p2p(const char *mode_list, const char *pci, unsigned int seg)
{
	static const char *modes[] = { "dynamic", "pinned", "static", "no-pci",
				       "pinned-revocable" };
	size_t size = 256 << 10;
	uint64_t hbm = HBM_USER + (1 << 20), sva, seq;
	uint8_t *src = buffer(size, 4096);
	char names[128], fds[64], *name, *fdtok, *sn = NULL, *sf = NULL;
	int fd, d, rc, mode;
	struct hli_import im;
	struct cb cb;

	if (!getenv("HLI_FD")) {
		fail("usage: HLI_FD=N[,N...] hl_selftest p2p "
		     "dynamic|pinned|static|no-pci|pinned-revocable[,...] PCI [SEGMENT]");
		return failed;
	}
	snprintf(names, sizeof(names), "%s", mode_list);
	snprintf(fds, sizeof(fds), "%s", getenv("HLI_FD"));
	fd = open_node();
	fill(src, size, 4242);
	EXPECT(map_host(fd, src, size, 0, 0, &sva) == 0, "MAP failed");
	EXPECT(cb_new(fd, 4096, &cb) == 0, "CB CREATE failed");
	pkt_lin_dma(&cb, sva, hbm, size, 0);
	EXPECT(cs_one(fd, &cb, Q_H2D, &seq) == 0, "CS failed");
	cs_done(fd, seq);
	EXPECT(export(fd, hbm, size, 0, O_RDWR | O_CLOEXEC, &d) == 0, "export failed");
	if (failed)
		return failed;

	for (name = strtok_r(names, ",", &sn), fdtok = strtok_r(fds, ",", &sf); name && !failed;
	     name = strtok_r(NULL, ",", &sn), fdtok = strtok_r(NULL, ",", &sf)) {
		mode = -1;
		for (int i = 0; i < 5; i++)
			if (!strcmp(name, modes[i]))
				mode = i;
		EXPECT(mode >= 0 && fdtok, "unknown mode %s, or no descriptor for it", name);
		if (failed)
			break;
		memset(&im, 0, sizeof(im));
		im.fd = d;
		im.mode = mode;
		im.seg_limit = seg;
		snprintf(im.pci_dev, sizeof(im.pci_dev), "%s", pci);
		rc = ioctl(atoi(fdtok), HLI_IMPORT, &im) ? -errno : 0;
		if (mode == HLI_STATIC || mode == HLI_NO_PCI) {
			EXPECT(rc == -EPERM, "%s importer: rc %d, want EPERM", name, rc);
			printf("%s importer refused: %s\n", name, strerror(-rc));
			continue;
		}
		EXPECT(rc == 0, "%s import failed: %s", name, strerror(-rc));
		if (rc)
			break;
		EXPECT(im.size == size, "dma-buf size %llu", (unsigned long long)im.size);
		printf("entries %u (importer's largest segment %u)\n", im.nents, im.max_seg);
		EXPECT(im.nents == (size + (im.max_seg & ~4095u) - 1) / (im.max_seg & ~4095u),
		       "%u entries for %zu bytes in segments of at most %u", im.nents, size,
		       im.max_seg);
		for (unsigned int i = 0; i < im.nents && i < HLI_MAX_ENTRIES; i++) {
			EXPECT(im.addr[i] % 4096 == 0 && im.len[i] % 4096 == 0,
			       "entry %u not page aligned", i);
			EXPECT(im.len[i] <= (im.max_seg & ~4095u), "entry %u above the segment limit",
			       i);
		}
		for (unsigned int p = 0; p < 4 && !failed; p++) {
			uint64_t probes[] = { 0, 4096 + 16, 65536 + 200, size - 16 };
			uint64_t off = probes[p], at = 0;
			unsigned int i = 0;

			while (i < im.nents && off >= at + im.len[i])
				at += im.len[i++];
			EXPECT(i < im.nents, "offset %llu not covered", (unsigned long long)off);
			printf("probe %#llx ", (unsigned long long)(im.addr[i] + off - at));
			for (int b = 0; b < 16; b++)
				printf("%02x", src[off + b]);
			printf("\n");
		}
	}
	close(d);
	cb_free(fd, &cb);
	EXPECT(unmap(fd, sva) == 0, "UNMAP failed");
	close(fd);
	return failed;
}

/*
 * WREG_32 from a user CB: with "redirect", the CB points its engine's write completion at a
 * user sync object with an add of 3 and copies 64 KiB host -> HBM with the completion on;
 * with "default" it only copies. The data is read back and compared; the shell reads the
 * sync objects (printed as "sob NAME OFFSET") through the model.
 */
static int check_wreg(const char *mode)
{
	size_t size = 64 << 10;
	int redirect = !strcmp(mode, "redirect");
	uint32_t user_sob = SOB_W_S(GAUDI_FIRST_AVAILABLE_W_S_SYNC_OBJECT + 5);
	uint8_t *src = buffer(size, 4096), *dst = buffer(size, 4096);
	uint64_t hbm = HBM_USER + (8 << 20), sva, dva, seq;
	int fd = open_node();
	struct cb cb;

	fill(src, size, 77);
	memset(dst, 0, size);
	EXPECT(map_host(fd, src, size, 0, 0, &sva) == 0, "MAP failed");
	EXPECT(map_host(fd, dst, size, 0, 0, &dva) == 0, "MAP failed");
	EXPECT(cb_new(fd, 4096, &cb) == 0, "CB CREATE failed");
	if (redirect) {
		pkt_wreg(&cb, WR_COMP_WDATA, 0x80000003, 0);
		pkt_wreg(&cb, WR_COMP_ADDR_LO, (uint32_t)(CFG_BASE + user_sob), 0);
	}
	put32(&cb, size);
	put32(&cb, (OP_LIN_DMA << 24) | LIN_DMA_LIN | LIN_DMA_WRCOMP | CTL_EB);
	put64(&cb, sva);
	put64(&cb, hbm);
	EXPECT(cs_one(fd, &cb, Q_H2D, &seq) == 0, "CS with WREG_32 failed");
	EXPECT(cs_done(fd, seq) == 0, "CS with WREG_32 did not complete");
	cb.len = 0;
	pkt_lin_dma(&cb, hbm, dva, size, 0);
	EXPECT(cs_one(fd, &cb, Q_D2H, &seq) == 0 && cs_done(fd, seq) == 0, "read back failed");
	EXPECT(!memcmp(src, dst, size), "HBM does not hold what the CS copied");
	printf("sob user %#x\nsob driver %#x\n", user_sob, SOB_E_N(0));
	cb_free(fd, &cb);
	EXPECT(unmap(fd, sva) == 0 && unmap(fd, dva) == 0, "UNMAP failed");
	close(fd);
	return failed;
}

/* INFO with the union argument `arg`, no buffer; returns 0 or -errno. */
static int info_arg(int fd, uint32_t op, uint32_t arg)
{
	struct hl_info_args a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.eventfd = arg;
	return ioctl(fd, DRM_IOCTL_HL_INFO, &a) ? -errno : 0;
}

/* INFO into `buf`; the call's array_size (set to 0xdead before) comes back in `*array`. */
static int info_array(int fd, uint32_t op, void *buf, uint32_t size, uint32_t *array)
{
	*array = 0xdead;
	return info_union(fd, op, buf, size, array);
}

/*
 * Waits up to `ms` for eventfd `efd` to fire, consumes its count and returns the events
 * GET_EVENTS reports on `fd` (0 if it did not fire; the failure is counted).
 */
static uint64_t await_events(int fd, int efd, int ms, const char *after)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t mask = 0, count = 0;

	EXPECT(poll(&p, 1, ms) == 1, "the eventfd did not fire within %d s of %s", ms / 1000,
	       after);
	if (!(p.revents & POLLIN))
		return 0;
	EXPECT(read(efd, &count, 8) == 8 && count >= 1, "eventfd count %llu",
	       (unsigned long long)count);
	EXPECT(info(fd, HL_INFO_GET_EVENTS, &mask, 8, 0) == 0, "GET_EVENTS failed");
	return mask;
}

/*
 * The error captures that write nothing until something was captured, checked on a fresh
 * open: HW_ERR_EVENT, FW_ERR_EVENT (a NULL buffer is EINVAL, a zero size is accepted) and
 * USER_MAPPINGS (array_size untouched).
 */
static void check_nothing_captured(int fd)
{
	struct hl_info_hw_err_event hw;
	struct hl_info_fw_err_event fw;
	uint32_t n;

	memset(&hw, 0xa5, sizeof(hw));
	memset(&fw, 0xa5, sizeof(fw));
	EXPECT(info(fd, HL_INFO_HW_ERR_EVENT, &hw, sizeof(hw), 0) == 0 && hw.event_id == 0xa5a5,
	       "HW_ERR_EVENT wrote before any error");
	EXPECT(info(fd, HL_INFO_FW_ERR_EVENT, &fw, sizeof(fw), 0) == 0 && fw.event_id == 0xa5a5,
	       "FW_ERR_EVENT wrote before any error");
	EXPECT(info(fd, HL_INFO_HW_ERR_EVENT, NULL, sizeof(hw), 0) == -EINVAL, "HW_ERR into NULL");
	EXPECT(info(fd, HL_INFO_FW_ERR_EVENT, NULL, sizeof(fw), 0) == -EINVAL, "FW_ERR into NULL");
	EXPECT(info(fd, HL_INFO_HW_ERR_EVENT, &hw, 0, 0) == 0, "HW_ERR of size 0 with nothing kept");
	EXPECT(info_array(fd, HL_INFO_USER_MAPPINGS, &hw, sizeof(hw), &n) == 0 && n == 0xdead,
	       "USER_MAPPINGS before any fault: array_size %#x", n);
}

/*
 * Device events through an eventfd: the argument checks, then, once the shell was told
 * "registered", waits up to 60 s for the eventfd to fire (the shell makes the firmware post
 * event `event`, which resets the device) and checks the events GET_EVENTS reports, that it
 * clears them, and what the driver kept of the error: for DEV_RESET_REQ (646) a hardware
 * error, for FW_ALIVE_S (645, the firmware restarted) a firmware error it reported.
 */
static int check_events(int event)
{
	int fd = open_node(), efd = eventfd(0, EFD_CLOEXEC), pipefd[2];
	uint64_t mask = 0, want;
	struct hl_info_hw_err_event hw;
	struct hl_info_fw_err_event fw;

	EXPECT(event == 645 || event == 646, "event %d is not one this test knows", event);
	want = event == 646 ? HL_NOTIFIER_EVENT_DEVICE_RESET | HL_NOTIFIER_EVENT_GENERAL_HW_ERR |
				      HL_NOTIFIER_EVENT_CRITICL_HW_ERR :
			      HL_NOTIFIER_EVENT_DEVICE_RESET | HL_NOTIFIER_EVENT_CRITICL_FW_ERR;
	EXPECT(efd >= 0 && pipe(pipefd) == 0, "eventfd/pipe: %s", strerror(errno));
	EXPECT(info_arg(fd, HL_INFO_UNREGISTER_EVENTFD, 0) == -EINVAL, "unregister with none");
	EXPECT(info_arg(fd, HL_INFO_REGISTER_EVENTFD, 9999) == -EBADF, "register fd 9999");
	EXPECT(info_arg(fd, HL_INFO_REGISTER_EVENTFD, pipefd[0]) == -EINVAL, "register a pipe");
	EXPECT(info_arg(fd, HL_INFO_REGISTER_EVENTFD, efd) == 0, "register: %s", strerror(errno));
	EXPECT(info_arg(fd, HL_INFO_REGISTER_EVENTFD, efd) == -EINVAL, "register twice");
	EXPECT(info(fd, HL_INFO_GET_EVENTS, &mask, 4, 0) == -EINVAL, "GET_EVENTS into 4 bytes");
	EXPECT(info(fd, HL_INFO_GET_EVENTS, &mask, 8, 0) == 0 && mask == 0,
	       "events pending on a quiet device: %#llx", (unsigned long long)mask);
	check_nothing_captured(fd);
	if (failed)
		return failed;
	printf("registered\n");
	fflush(stdout);
	mask = await_events(fd, efd, 60000, "the firmware's event");
	EXPECT((mask & want) == want, "events %#llx after event %d, want %#llx",
	       (unsigned long long)mask, event, (unsigned long long)want);
	printf("events %#llx\n", (unsigned long long)mask);
	EXPECT(info(fd, HL_INFO_GET_EVENTS, &mask, 8, 0) == 0 && mask == 0, "events not cleared");
	/* What was kept of the error: the whole structure, or ENOMEM. */
	memset(&hw, 0xa5, sizeof(hw));
	memset(&fw, 0xa5, sizeof(fw));
	EXPECT(info(fd, HL_INFO_HW_ERR_EVENT, &hw, sizeof(hw), 0) == 0, "HW_ERR_EVENT failed");
	EXPECT(info(fd, HL_INFO_FW_ERR_EVENT, &fw, sizeof(fw), 0) == 0, "FW_ERR_EVENT failed");
	if (event == 646) {
		EXPECT(hw.event_id == 646 && hw.timestamp > 0, "hardware error %u at %lld",
		       hw.event_id, (long long)hw.timestamp);
		EXPECT(fw.event_id == 0xa5a5, "a firmware error was reported for event 646");
		EXPECT(info(fd, HL_INFO_HW_ERR_EVENT, &hw, sizeof(hw) - 1, 0) == -ENOMEM,
		       "HW_ERR_EVENT into a short buffer");
		printf("hardware error %u kept\n", hw.event_id);
	} else {
		EXPECT(fw.err_type == HL_INFO_FW_REPORTED_ERR && fw.event_id == 645 &&
		       fw.timestamp > 0, "firmware error type %u event %u at %lld", fw.err_type,
		       fw.event_id, (long long)fw.timestamp);
		EXPECT(hw.event_id == 0xa5a5, "a hardware error was reported for event 645");
		EXPECT(info(fd, HL_INFO_FW_ERR_EVENT, &fw, sizeof(fw) - 1, 0) == -ENOMEM,
		       "FW_ERR_EVENT into a short buffer");
		printf("firmware error %u kept\n", fw.event_id);
	}
	EXPECT(info_arg(fd, HL_INFO_UNREGISTER_EVENTFD, 0) == 0, "unregister failed");
	EXPECT(info_arg(fd, HL_INFO_UNREGISTER_EVENTFD, 0) == -EINVAL, "unregister twice");
	close(pipefd[0]);
	close(pipefd[1]);
	close(efd);
	close(fd);
	return failed;
}

/*
 * A recoverable event the firmware posts once the shell was told "registered": the eventfd
 * fires with exactly the bits upstream's Gaudi handler sends for it (DEVICE_RESET among them
 * for some, although the device is not reset: the shell checks that).
 */
static int check_notify(int event)
{
	int fd = open_node(), efd = eventfd(0, EFD_CLOEXEC);
	uint64_t mask = 0, want;

	switch (event) {
	case 32:	/* PCIE_CORE_SERR: a single-bit ECC error */
		want = HL_NOTIFIER_EVENT_GENERAL_HW_ERR;
		break;
	case 215:	/* TPC7_DEC: also a TPC assertion */
		want = HL_NOTIFIER_EVENT_TPC_ASSERT | HL_NOTIFIER_EVENT_USER_ENGINE_ERR |
		       HL_NOTIFIER_EVENT_DEVICE_RESET;
		break;
	case 421:	/* PSOC_GPIO_U16_0: the board is too hot */
	case 660:	/* FIX_THERMAL_ENV_S: thermal throttling starts */
		want = HL_NOTIFIER_EVENT_USER_ENGINE_ERR;
		break;
	default:
		fail("event %d is not one this test knows", event);
		return failed;
	}
	EXPECT(info_arg(fd, HL_INFO_REGISTER_EVENTFD, efd) == 0, "register: %s", strerror(errno));
	if (failed)
		return failed;
	printf("registered\n");
	fflush(stdout);
	mask = await_events(fd, efd, 30000, "the firmware's event");
	EXPECT(mask == want, "events %#llx after event %d, want %#llx", (unsigned long long)mask,
	       event, (unsigned long long)want);
	printf("event %d: events %#llx\n", event, (unsigned long long)mask);
	close(efd);
	close(fd);
	return failed;
}

/*
 * An illegal access: once the shell was told "registered", it has DMA1's core write to an
 * address nothing answers (the model's stray-access fault). The MMU's RAZWI capture names the
 * engine, the driver keeps it for INFO RAZWI_EVENT (nothing written before it), and the
 * eventfd fires with the RAZWI and engine-error bits.
 */
static int check_razwi(void)
{
	int fd = open_node(), efd = eventfd(0, EFD_CLOEXEC);
	struct hl_info_razwi_event r;
	uint64_t mask = 0;

	EXPECT(info_arg(fd, HL_INFO_REGISTER_EVENTFD, efd) == 0, "register: %s", strerror(errno));
	memset(&r, 0xa5, sizeof(r));
	EXPECT(info(fd, HL_INFO_RAZWI_EVENT, &r, sizeof(r), 0) == 0 && r.flags == 0xa5,
	       "RAZWI_EVENT wrote before any illegal access");
	EXPECT(info(fd, HL_INFO_RAZWI_EVENT, NULL, sizeof(r), 0) == -EINVAL, "RAZWI into NULL");
	EXPECT(info(fd, HL_INFO_RAZWI_EVENT, &r, 0, 0) == -EINVAL, "RAZWI into 0 bytes");
	if (failed)
		return failed;
	printf("registered\n");
	fflush(stdout);
	mask = await_events(fd, efd, 30000, "the illegal access");
	EXPECT((mask & HL_NOTIFIER_EVENT_RAZWI) && (mask & HL_NOTIFIER_EVENT_USER_ENGINE_ERR),
	       "events %#llx after an illegal access", (unsigned long long)mask);
	memset(&r, 0xa5, sizeof(r));
	EXPECT(info(fd, HL_INFO_RAZWI_EVENT, &r, sizeof(r), 0) == 0, "RAZWI_EVENT failed");
	/* HL_RAZWI_WRITE is BIT(1), a macro the uapi header (as upstream's) leaves undefined. */
	EXPECT(r.timestamp > 0 && r.flags == (1 << 1) && r.num_of_possible_engines == 1 &&
	       r.engine_id[0] == GAUDI_ENGINE_ID_DMA_1 && r.engine_id[1] == 0 && r.addr == 0,
	       "RAZWI: ts %lld flags %#x engines %u (%u, %u) addr %#llx", (long long)r.timestamp,
	       r.flags, r.num_of_possible_engines, r.engine_id[0], r.engine_id[1],
	       (unsigned long long)r.addr);
	printf("RAZWI: flags %#x, engine %u; events %#llx\n", r.flags, r.engine_id[0],
	       (unsigned long long)mask);
	close(efd);
	close(fd);
	return failed;
}

/*
 * A DMA from host memory that is no longer mapped: the device's MMU faults. The page fault
 * is captured (INFO PAGE_FAULT_EVENT gives its address; before it, nothing is written), the
 * eventfd fires with the page-fault and engine-error bits, and the stuck CS (2 s timeout)
 * ends in a reset.
 */
static int check_page_fault(void)
{
	int fd = open_node(), efd = eventfd(0, EFD_CLOEXEC);
	uint8_t *buf = buffer(4096, 4096), *live = buffer(3 * 4096, 4096);
	struct hl_user_mapping um[4];
	uint64_t live_va = 0;
	uint32_t n = 0;
	struct hl_page_fault_info pf;
	struct hl_wait_cs_out o;
	struct hl_cs_chunk c;
	uint64_t va, seq, mask = 0;
	struct cb cb;

	EXPECT(info_arg(fd, HL_INFO_REGISTER_EVENTFD, efd) == 0, "register: %s", strerror(errno));
	/* A mapping that stays: the fault's capture lists it, with the size asked for. */
	EXPECT(map_host(fd, live + 100, 5000, 0, 0, &live_va) == 0, "MAP of the live buffer");
	memset(&pf, 0xa5, sizeof(pf));
	EXPECT(info(fd, HL_INFO_PAGE_FAULT_EVENT, &pf, sizeof(pf), 0) == 0 &&
	       pf.addr == 0xa5a5a5a5a5a5a5a5ull, "PAGE_FAULT_EVENT wrote before any fault");
	EXPECT(info(fd, HL_INFO_PAGE_FAULT_EVENT, &pf, 0, 0) == -EINVAL, "PAGE_FAULT_EVENT into 0");
	/* A host address that was mapped, then unmapped: the MMU has no translation for it. */
	EXPECT(map_host(fd, buf, 4096, 0, 0, &va) == 0 && unmap(fd, va) == 0, "MAP/UNMAP failed");
	EXPECT(cb_new(fd, 4096, &cb) == 0, "CB CREATE failed");
	pkt_lin_dma(&cb, va, HBM_USER, 4096, 0);
	memset(&c, 0, sizeof(c));
	c.cb_handle = cb.handle;
	c.queue_index = Q_H2D;
	c.cb_size = cb.len;
	EXPECT(cs_submit(fd, &c, 1, HL_CS_FLAGS_CUSTOM_TIMEOUT, 2, &seq, NULL) == 0, "CS failed");
	if (failed)
		return failed;
	mask = await_events(fd, efd, 30000, "the fault");
	EXPECT((mask & HL_NOTIFIER_EVENT_PAGE_FAULT) && (mask & HL_NOTIFIER_EVENT_USER_ENGINE_ERR),
	       "events %#llx after a page fault", (unsigned long long)mask);
	memset(&pf, 0, sizeof(pf));
	EXPECT(info(fd, HL_INFO_PAGE_FAULT_EVENT, &pf, sizeof(pf), 0) == 0, "PAGE_FAULT_EVENT");
	EXPECT(pf.addr == va && pf.timestamp > 0, "page fault at %#llx (ts %lld), want %#llx",
	       (unsigned long long)pf.addr, (long long)pf.timestamp, (unsigned long long)va);
	printf("page fault at %#llx captured; events %#llx\n", (unsigned long long)pf.addr,
	       (unsigned long long)mask);
	/* The context's mappings at the fault: the live one only (the faulting one was gone). */
	EXPECT(info_array(fd, HL_INFO_USER_MAPPINGS, NULL, sizeof(um), &n) == -EINVAL,
	       "USER_MAPPINGS into NULL");
	EXPECT(info_array(fd, HL_INFO_USER_MAPPINGS, um, 8, &n) == -ENOMEM && n == 1,
	       "USER_MAPPINGS into 8 bytes: array_size %u", n);
	memset(um, 0xa5, sizeof(um));
	EXPECT(info_array(fd, HL_INFO_USER_MAPPINGS, um, sizeof(um), &n) == 0 && n == 1,
	       "USER_MAPPINGS: array_size %u", n);
	EXPECT(um[0].dev_va == live_va && um[0].size == 5000 && um[1].dev_va == 0xa5a5a5a5a5a5a5a5ull,
	       "user mapping %#llx+%llu, want %#llx+5000", (unsigned long long)um[0].dev_va,
	       (unsigned long long)um[0].size, (unsigned long long)live_va);
	printf("user mappings at the fault: %u (%#llx+%llu)\n", n,
	       (unsigned long long)um[0].dev_va, (unsigned long long)um[0].size);
	/* The CS cannot finish: it times out and the device is reset; it comes back. */
	EXPECT(cs_wait(fd, seq, 30000000, 0, &o) == -ETIMEDOUT &&
	       o.status == HL_WAIT_CS_STATUS_TIMEDOUT, "faulted CS: status %u", o.status);
	wait_operational(fd);
	cb_free(fd, &cb);
	EXPECT(unmap(fd, live_va) == 0, "UNMAP of the live buffer");
	close(efd);
	close(fd);
	return failed;
}

/*
 * The shell made the next CB fetched on queue 1 (DMA0 stream 1) arrive corrupted: its first
 * opcode is one Gaudi does not define. The stream stops on it; the driver keeps what upstream
 * keeps (INFO UNDEFINED_OPCODE_EVENT: zeros before), the eventfd fires with the
 * undefined-opcode and engine-error bits, and the stuck CS (2 s timeout) ends in a reset.
 */
static int check_undefined_opcode(void)
{
	int fd = open_node(), efd = eventfd(0, EFD_CLOEXEC), i;
	struct hl_info_undefined_opcode_event u;
	uint64_t seq, mask = 0, zero = 0;
	struct hl_wait_cs_out o;
	struct hl_cs_chunk c;
	struct cb cb;

	EXPECT(info_arg(fd, HL_INFO_REGISTER_EVENTFD, efd) == 0, "register: %s", strerror(errno));
	memset(&u, 0xa5, sizeof(u));
	EXPECT(info(fd, HL_INFO_UNDEFINED_OPCODE_EVENT, &u, sizeof(u), 0) == 0 &&
	       u.timestamp == 0 && u.cq_addr == 0 && u.stream_id == 0,
	       "UNDEFINED_OPCODE_EVENT before any: not zeros");
	EXPECT(info(fd, HL_INFO_UNDEFINED_OPCODE_EVENT, &u, 0, 0) == -EINVAL, "into 0 bytes");
	EXPECT(cb_new(fd, 4096, &cb) == 0, "CB CREATE failed");
	for (i = 0; i < 4; i++)
		pkt_simple(&cb, OP_NOP, 0);
	memset(&c, 0, sizeof(c));
	c.cb_handle = cb.handle;
	c.queue_index = 1;
	c.cb_size = cb.len;
	EXPECT(cs_submit(fd, &c, 1, HL_CS_FLAGS_CUSTOM_TIMEOUT, 2, &seq, NULL) == 0, "CS failed");
	if (failed)
		return failed;
	mask = await_events(fd, efd, 30000, "the corrupted CB");
	EXPECT((mask & HL_NOTIFIER_EVENT_UNDEFINED_OPCODE) &&
	       (mask & HL_NOTIFIER_EVENT_USER_ENGINE_ERR),
	       "events %#llx after an undefined opcode", (unsigned long long)mask);
	memset(&u, 0xa5, sizeof(u));
	EXPECT(info(fd, HL_INFO_UNDEFINED_OPCODE_EVENT, &u, sizeof(u), 0) == 0, "INFO failed");
	EXPECT(u.timestamp > 0 && u.engine_id == GAUDI_ENGINE_ID_DMA_0 && u.stream_id == 1 &&
	       u.cb_addr_streams_len == 1, "undefined opcode: ts %lld engine %u stream %u len %u",
	       (long long)u.timestamp, u.engine_id, u.stream_id, u.cb_addr_streams_len);
	/* The stream stopped in the CB its newest BD gave; it holds the user's packets. */
	EXPECT(u.cq_addr != 0 && u.cq_addr == u.cb_addr_streams[0][0] &&
	       u.cq_size >= cb.len, "CB %#llx (%u bytes), newest BD %#llx",
	       (unsigned long long)u.cq_addr, u.cq_size,
	       (unsigned long long)u.cb_addr_streams[0][0]);
	EXPECT(!memcmp(&u.cb_addr_streams[1][0], &zero, 8), "streams beyond the first filled");
	printf("undefined opcode: DMA%u stream %u, CB %#llx (%u bytes); events %#llx\n",
	       u.engine_id, u.stream_id, (unsigned long long)u.cq_addr, u.cq_size,
	       (unsigned long long)mask);
	EXPECT(cs_wait(fd, seq, 30000000, 0, &o) == -ETIMEDOUT &&
	       o.status == HL_WAIT_CS_STATUS_TIMEDOUT, "stopped CS: status %u", o.status);
	wait_operational(fd);
	cb_free(fd, &cb);
	close(efd);
	close(fd);
	return failed;
}

/*
 * The state of the import on descriptor HLI_FD: "revoked N mapped 0|1", then, with "remap",
 * the result of mapping again ("remap 0" or "remap -ERRNO").
 */
static int hli_state(int remap)
{
	int ifd, st, rc;

	if (!getenv("HLI_FD")) {
		fail("usage: HLI_FD=N hl_selftest hli-state|hli-remap");
		return failed;
	}
	ifd = atoi(getenv("HLI_FD"));
	st = ioctl(ifd, HLI_STATE);
	EXPECT(st >= 0, "HLI_STATE: %s", strerror(errno));
	printf("revoked %d mapped %d\n", st & 0xffff, !!(st & (1 << 16)));
	if (remap) {
		rc = ioctl(ifd, HLI_REMAP) ? -errno : 0;
		printf("remap %d\n", rc);
	}
	return failed;
}

int cs_main(int argc, char **argv)
{
	const char *c = argv[1];

	if (!strcmp(c, "cb"))
		return check_cb();
	if (!strcmp(c, "dma"))
		return check_dma(argc, argv);
	if (!strcmp(c, "memset"))
		return check_memset();
	if (!strcmp(c, "bad-cs"))
		return check_bad_cs();
	if (!strcmp(c, "wait"))
		return check_wait();
	if (!strcmp(c, "multi-queue"))
		return check_multi_queue();
	if (!strcmp(c, "many-inflight") && argc > 3)
		return check_many_inflight(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(c, "full-queue"))
		return check_full_queue();
	if (!strcmp(c, "timeout-reset"))
		return check_timeout_reset();
	if (!strcmp(c, "load") && argc > 2)
		return check_load(atoi(argv[2]));
	if (!strcmp(c, "p2p") && argc > 3)
		return p2p(argv[2], argv[3], argc > 4 ? strtoul(argv[4], NULL, 0) : 0);
	if (!strcmp(c, "events") && argc > 2)
		return check_events(atoi(argv[2]));
	if (!strcmp(c, "notify") && argc > 2)
		return check_notify(atoi(argv[2]));
	if (!strcmp(c, "razwi"))
		return check_razwi();
	if (!strcmp(c, "undefined-opcode"))
		return check_undefined_opcode();
	if (!strcmp(c, "page-fault"))
		return check_page_fault();
	if (!strcmp(c, "wreg") && argc > 2)
		return check_wreg(argv[2]);
	if (!strcmp(c, "hli-state"))
		return hli_state(0);
	if (!strcmp(c, "hli-remap"))
		return hli_state(1);
	if (!strcmp(c, "export"))
		return check_export();
	if (!strcmp(c, "export-hold"))
		return export_hold();
	if (!strcmp(c, "inflight-hold"))
		return inflight_hold();
	return -1;
}
