/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Copyright (C) 2026 habanalabs-rs contributors
 *
 * User ABI of the Habana Labs (Intel) AI accelerator driver, as served by
 * habanalabs_rs and by the C driver in drivers/accel/habanalabs.
 *
 * Every name, value, structure layout and ioctl number below is the one user
 * space (hl-thunk, SynapseAI) was built against; this file only words and
 * orders them differently. tools/testing/habanalabs_rs/scripts/uapi-check.sh
 * holds it against the header shipped with the kernel source. Change an
 * item's value or layout here and that check goes red: it cannot be done
 * without breaking binaries already in the field.
 */

#ifndef HABANALABS_H_
#define HABANALABS_H_

/* Brings in the __u8..__u64 types, DRM_COMMAND_BASE and DRM_IOWR(). */
#include <drm/drm.h>

/**
 * DOC: Ioctl overview
 *
 * The device appears as an accel node, /dev/accel/accelN. Opening it gives
 * the process a compute context (an address space identifier, its memory
 * mappings, its command buffers and submissions); only one process may hold
 * the compute context of a device at a time. Closing the file descriptor
 * releases everything the context owns.
 *
 * Each ioctl takes one argument block that is read in and, for the
 * read-write ones, written back:
 *
 * ==================== ======================= ==============================
 * ioctl                argument                purpose
 * ==================== ======================= ==============================
 * DRM_IOCTL_HL_INFO    struct hl_info_args     query the device (HL_INFO_*)
 * DRM_IOCTL_HL_CB      union hl_cb_args        kernel-owned command buffers
 * DRM_IOCTL_HL_CS      union hl_cs_args        submit work to the queues
 * DRM_IOCTL_HL_WAIT_CS union hl_wait_cs_args   wait for submitted work
 * DRM_IOCTL_HL_MEMORY  union hl_mem_args       device memory and mappings
 * DRM_IOCTL_HL_DEBUG   struct hl_debug_args    trace/profiling blocks
 * ==================== ======================= ==============================
 *
 * The union arguments carry an "in" half written by the caller and an "out"
 * half the driver fills in on return; the two share storage, so read the
 * result only from "out" and only after the call returned 0.
 *
 * Padding and reserved fields must be zero on input; the driver may reject
 * a request that sets them.
 */

/* Command indices relative to DRM_COMMAND_BASE. */
#define HL_IOCTL_INFO		0x00
#define HL_IOCTL_CB		0x01
#define HL_IOCTL_CS		0x02
#define HL_IOCTL_WAIT_CS	0x03
#define HL_IOCTL_MEMORY		0x04
#define HL_IOCTL_DEBUG		0x05

#define DRM_IOCTL_HL_INFO	DRM_IOWR(DRM_COMMAND_BASE + HL_IOCTL_INFO, struct hl_info_args)
#define DRM_IOCTL_HL_CB		DRM_IOWR(DRM_COMMAND_BASE + HL_IOCTL_CB, union hl_cb_args)
#define DRM_IOCTL_HL_CS		DRM_IOWR(DRM_COMMAND_BASE + HL_IOCTL_CS, union hl_cs_args)
#define DRM_IOCTL_HL_WAIT_CS	DRM_IOWR(DRM_COMMAND_BASE + HL_IOCTL_WAIT_CS, union hl_wait_cs_args)
#define DRM_IOCTL_HL_MEMORY	DRM_IOWR(DRM_COMMAND_BASE + HL_IOCTL_MEMORY, union hl_mem_args)
#define DRM_IOCTL_HL_DEBUG	DRM_IOWR(DRM_COMMAND_BASE + HL_IOCTL_DEBUG, struct hl_debug_args)

/* First command number, and one past the last, that this driver owns. */
#define HL_COMMAND_START	(DRM_COMMAND_BASE + HL_IOCTL_INFO)
#define HL_COMMAND_END		(DRM_COMMAND_BASE + HL_IOCTL_DEBUG + 1)

/*
 * ASIC facts user space must respect when it builds command buffers.
 */

/* Bytes at the start of Goya's SRAM that the driver keeps for itself. */
#define GOYA_KMD_SRAM_RESERVED_SIZE_FROM_START		0x8000
/* Bytes at the start of Gaudi's SRAM that the driver keeps for itself. */
#define GAUDI_DRIVER_SRAM_RESERVED_SIZE_FROM_START	0x80

/*
 * Gaudi: sync objects and monitors below these indices belong to the driver
 * (collective wait and sync-stream signalling); user CBs start at these.
 */
#define GAUDI_FIRST_AVAILABLE_W_S_SYNC_OBJECT		144
#define GAUDI_FIRST_AVAILABLE_W_S_MONITOR		72

/* Largest number of elements in one timestamp buffer (HL_MEM_OP_TS_ALLOC). */
#define	TS_MAX_ELEMENTS_NUM				(1 << 20)

/*
 * enum gaudi_queue_id: Gaudi queue indices, for hl_cs_chunk.queue_index
 *
 * Each queue manager (QMAN) exposes four streams, numbered _0 to _3.
 *
 * The streams of DMA_0 and DMA_1 (indices 0-7) are the *external* queues:
 * their QMANs fetch buffer descriptors from a ring in host memory, and only
 * jobs on them produce a completion entry, so the driver refuses a CS that
 * is to be waited for but has no job on an external queue. A job on an
 * external queue names a kernel CB (HL_CB_OP_CREATE) by its handle.
 *
 * GAUDI_QUEUE_ID_CPU_PQ (8) belongs to the driver and the device CPU; user
 * space cannot submit to it.
 *
 * All other queues are *internal*: the job names a CB by its device address
 * (SRAM, DRAM, or host memory mapped with HL_MEM_OP_MAP), and no completion
 * is reported for it.
 *
 * GAUDI_QUEUE_ID_SIZE is the number of queue indices.
 */
enum gaudi_queue_id {
	GAUDI_QUEUE_ID_DMA_0_0 = 0,
	GAUDI_QUEUE_ID_DMA_0_1 = 1,
	GAUDI_QUEUE_ID_DMA_0_2 = 2,
	GAUDI_QUEUE_ID_DMA_0_3 = 3,
	GAUDI_QUEUE_ID_DMA_1_0 = 4,
	GAUDI_QUEUE_ID_DMA_1_1 = 5,
	GAUDI_QUEUE_ID_DMA_1_2 = 6,
	GAUDI_QUEUE_ID_DMA_1_3 = 7,
	GAUDI_QUEUE_ID_CPU_PQ = 8,
	GAUDI_QUEUE_ID_DMA_2_0 = 9,
	GAUDI_QUEUE_ID_DMA_2_1 = 10,
	GAUDI_QUEUE_ID_DMA_2_2 = 11,
	GAUDI_QUEUE_ID_DMA_2_3 = 12,
	GAUDI_QUEUE_ID_DMA_3_0 = 13,
	GAUDI_QUEUE_ID_DMA_3_1 = 14,
	GAUDI_QUEUE_ID_DMA_3_2 = 15,
	GAUDI_QUEUE_ID_DMA_3_3 = 16,
	GAUDI_QUEUE_ID_DMA_4_0 = 17,
	GAUDI_QUEUE_ID_DMA_4_1 = 18,
	GAUDI_QUEUE_ID_DMA_4_2 = 19,
	GAUDI_QUEUE_ID_DMA_4_3 = 20,
	GAUDI_QUEUE_ID_DMA_5_0 = 21,
	GAUDI_QUEUE_ID_DMA_5_1 = 22,
	GAUDI_QUEUE_ID_DMA_5_2 = 23,
	GAUDI_QUEUE_ID_DMA_5_3 = 24,
	GAUDI_QUEUE_ID_DMA_6_0 = 25,
	GAUDI_QUEUE_ID_DMA_6_1 = 26,
	GAUDI_QUEUE_ID_DMA_6_2 = 27,
	GAUDI_QUEUE_ID_DMA_6_3 = 28,
	GAUDI_QUEUE_ID_DMA_7_0 = 29,
	GAUDI_QUEUE_ID_DMA_7_1 = 30,
	GAUDI_QUEUE_ID_DMA_7_2 = 31,
	GAUDI_QUEUE_ID_DMA_7_3 = 32,
	GAUDI_QUEUE_ID_MME_0_0 = 33,
	GAUDI_QUEUE_ID_MME_0_1 = 34,
	GAUDI_QUEUE_ID_MME_0_2 = 35,
	GAUDI_QUEUE_ID_MME_0_3 = 36,
	GAUDI_QUEUE_ID_MME_1_0 = 37,
	GAUDI_QUEUE_ID_MME_1_1 = 38,
	GAUDI_QUEUE_ID_MME_1_2 = 39,
	GAUDI_QUEUE_ID_MME_1_3 = 40,
	GAUDI_QUEUE_ID_TPC_0_0 = 41,
	GAUDI_QUEUE_ID_TPC_0_1 = 42,
	GAUDI_QUEUE_ID_TPC_0_2 = 43,
	GAUDI_QUEUE_ID_TPC_0_3 = 44,
	GAUDI_QUEUE_ID_TPC_1_0 = 45,
	GAUDI_QUEUE_ID_TPC_1_1 = 46,
	GAUDI_QUEUE_ID_TPC_1_2 = 47,
	GAUDI_QUEUE_ID_TPC_1_3 = 48,
	GAUDI_QUEUE_ID_TPC_2_0 = 49,
	GAUDI_QUEUE_ID_TPC_2_1 = 50,
	GAUDI_QUEUE_ID_TPC_2_2 = 51,
	GAUDI_QUEUE_ID_TPC_2_3 = 52,
	GAUDI_QUEUE_ID_TPC_3_0 = 53,
	GAUDI_QUEUE_ID_TPC_3_1 = 54,
	GAUDI_QUEUE_ID_TPC_3_2 = 55,
	GAUDI_QUEUE_ID_TPC_3_3 = 56,
	GAUDI_QUEUE_ID_TPC_4_0 = 57,
	GAUDI_QUEUE_ID_TPC_4_1 = 58,
	GAUDI_QUEUE_ID_TPC_4_2 = 59,
	GAUDI_QUEUE_ID_TPC_4_3 = 60,
	GAUDI_QUEUE_ID_TPC_5_0 = 61,
	GAUDI_QUEUE_ID_TPC_5_1 = 62,
	GAUDI_QUEUE_ID_TPC_5_2 = 63,
	GAUDI_QUEUE_ID_TPC_5_3 = 64,
	GAUDI_QUEUE_ID_TPC_6_0 = 65,
	GAUDI_QUEUE_ID_TPC_6_1 = 66,
	GAUDI_QUEUE_ID_TPC_6_2 = 67,
	GAUDI_QUEUE_ID_TPC_6_3 = 68,
	GAUDI_QUEUE_ID_TPC_7_0 = 69,
	GAUDI_QUEUE_ID_TPC_7_1 = 70,
	GAUDI_QUEUE_ID_TPC_7_2 = 71,
	GAUDI_QUEUE_ID_TPC_7_3 = 72,
	GAUDI_QUEUE_ID_NIC_0_0 = 73,
	GAUDI_QUEUE_ID_NIC_0_1 = 74,
	GAUDI_QUEUE_ID_NIC_0_2 = 75,
	GAUDI_QUEUE_ID_NIC_0_3 = 76,
	GAUDI_QUEUE_ID_NIC_1_0 = 77,
	GAUDI_QUEUE_ID_NIC_1_1 = 78,
	GAUDI_QUEUE_ID_NIC_1_2 = 79,
	GAUDI_QUEUE_ID_NIC_1_3 = 80,
	GAUDI_QUEUE_ID_NIC_2_0 = 81,
	GAUDI_QUEUE_ID_NIC_2_1 = 82,
	GAUDI_QUEUE_ID_NIC_2_2 = 83,
	GAUDI_QUEUE_ID_NIC_2_3 = 84,
	GAUDI_QUEUE_ID_NIC_3_0 = 85,
	GAUDI_QUEUE_ID_NIC_3_1 = 86,
	GAUDI_QUEUE_ID_NIC_3_2 = 87,
	GAUDI_QUEUE_ID_NIC_3_3 = 88,
	GAUDI_QUEUE_ID_NIC_4_0 = 89,
	GAUDI_QUEUE_ID_NIC_4_1 = 90,
	GAUDI_QUEUE_ID_NIC_4_2 = 91,
	GAUDI_QUEUE_ID_NIC_4_3 = 92,
	GAUDI_QUEUE_ID_NIC_5_0 = 93,
	GAUDI_QUEUE_ID_NIC_5_1 = 94,
	GAUDI_QUEUE_ID_NIC_5_2 = 95,
	GAUDI_QUEUE_ID_NIC_5_3 = 96,
	GAUDI_QUEUE_ID_NIC_6_0 = 97,
	GAUDI_QUEUE_ID_NIC_6_1 = 98,
	GAUDI_QUEUE_ID_NIC_6_2 = 99,
	GAUDI_QUEUE_ID_NIC_6_3 = 100,
	GAUDI_QUEUE_ID_NIC_7_0 = 101,
	GAUDI_QUEUE_ID_NIC_7_1 = 102,
	GAUDI_QUEUE_ID_NIC_7_2 = 103,
	GAUDI_QUEUE_ID_NIC_7_3 = 104,
	GAUDI_QUEUE_ID_NIC_8_0 = 105,
	GAUDI_QUEUE_ID_NIC_8_1 = 106,
	GAUDI_QUEUE_ID_NIC_8_2 = 107,
	GAUDI_QUEUE_ID_NIC_8_3 = 108,
	GAUDI_QUEUE_ID_NIC_9_0 = 109,
	GAUDI_QUEUE_ID_NIC_9_1 = 110,
	GAUDI_QUEUE_ID_NIC_9_2 = 111,
	GAUDI_QUEUE_ID_NIC_9_3 = 112,
	GAUDI_QUEUE_ID_SIZE
};

/*
 * enum goya_queue_id: Goya queue indices, for hl_cs_chunk.queue_index
 *
 * DMA_0..DMA_4 are the external queues, CPU_PQ belongs to the driver, the
 * rest (from MME on) are internal. See enum gaudi_queue_id for what the
 * two kinds mean.
 *
 * GOYA_QUEUE_ID_SIZE is the number of queue indices.
 */
enum goya_queue_id {
	GOYA_QUEUE_ID_DMA_0 = 0,
	GOYA_QUEUE_ID_DMA_1 = 1,
	GOYA_QUEUE_ID_DMA_2 = 2,
	GOYA_QUEUE_ID_DMA_3 = 3,
	GOYA_QUEUE_ID_DMA_4 = 4,
	GOYA_QUEUE_ID_CPU_PQ = 5,
	GOYA_QUEUE_ID_MME = 6,
	GOYA_QUEUE_ID_TPC0 = 7,
	GOYA_QUEUE_ID_TPC1 = 8,
	GOYA_QUEUE_ID_TPC2 = 9,
	GOYA_QUEUE_ID_TPC3 = 10,
	GOYA_QUEUE_ID_TPC4 = 11,
	GOYA_QUEUE_ID_TPC5 = 12,
	GOYA_QUEUE_ID_TPC6 = 13,
	GOYA_QUEUE_ID_TPC7 = 14,
	GOYA_QUEUE_ID_SIZE
};

/*
 * enum gaudi2_queue_id: Gaudi2 queue indices
 *
 * Gaudi2 has no external/internal split: every queue reports completion.
 * In the legacy scheduling mode a job names its queue with these values
 * (four streams per QMAN, _0 to _3). When the firmware schedules, a CS
 * instead names a stream number below hl_info_hw_ip_info's count of
 * firmware streams.
 *
 * GAUDI2_QUEUE_ID_SIZE is the number of queue indices.
 */
enum gaudi2_queue_id {
	GAUDI2_QUEUE_ID_PDMA_0_0 = 0,
	GAUDI2_QUEUE_ID_PDMA_0_1 = 1,
	GAUDI2_QUEUE_ID_PDMA_0_2 = 2,
	GAUDI2_QUEUE_ID_PDMA_0_3 = 3,
	GAUDI2_QUEUE_ID_PDMA_1_0 = 4,
	GAUDI2_QUEUE_ID_PDMA_1_1 = 5,
	GAUDI2_QUEUE_ID_PDMA_1_2 = 6,
	GAUDI2_QUEUE_ID_PDMA_1_3 = 7,
	GAUDI2_QUEUE_ID_DCORE0_EDMA_0_0 = 8,
	GAUDI2_QUEUE_ID_DCORE0_EDMA_0_1 = 9,
	GAUDI2_QUEUE_ID_DCORE0_EDMA_0_2 = 10,
	GAUDI2_QUEUE_ID_DCORE0_EDMA_0_3 = 11,
	GAUDI2_QUEUE_ID_DCORE0_EDMA_1_0 = 12,
	GAUDI2_QUEUE_ID_DCORE0_EDMA_1_1 = 13,
	GAUDI2_QUEUE_ID_DCORE0_EDMA_1_2 = 14,
	GAUDI2_QUEUE_ID_DCORE0_EDMA_1_3 = 15,
	GAUDI2_QUEUE_ID_DCORE0_MME_0_0 = 16,
	GAUDI2_QUEUE_ID_DCORE0_MME_0_1 = 17,
	GAUDI2_QUEUE_ID_DCORE0_MME_0_2 = 18,
	GAUDI2_QUEUE_ID_DCORE0_MME_0_3 = 19,
	GAUDI2_QUEUE_ID_DCORE0_TPC_0_0 = 20,
	GAUDI2_QUEUE_ID_DCORE0_TPC_0_1 = 21,
	GAUDI2_QUEUE_ID_DCORE0_TPC_0_2 = 22,
	GAUDI2_QUEUE_ID_DCORE0_TPC_0_3 = 23,
	GAUDI2_QUEUE_ID_DCORE0_TPC_1_0 = 24,
	GAUDI2_QUEUE_ID_DCORE0_TPC_1_1 = 25,
	GAUDI2_QUEUE_ID_DCORE0_TPC_1_2 = 26,
	GAUDI2_QUEUE_ID_DCORE0_TPC_1_3 = 27,
	GAUDI2_QUEUE_ID_DCORE0_TPC_2_0 = 28,
	GAUDI2_QUEUE_ID_DCORE0_TPC_2_1 = 29,
	GAUDI2_QUEUE_ID_DCORE0_TPC_2_2 = 30,
	GAUDI2_QUEUE_ID_DCORE0_TPC_2_3 = 31,
	GAUDI2_QUEUE_ID_DCORE0_TPC_3_0 = 32,
	GAUDI2_QUEUE_ID_DCORE0_TPC_3_1 = 33,
	GAUDI2_QUEUE_ID_DCORE0_TPC_3_2 = 34,
	GAUDI2_QUEUE_ID_DCORE0_TPC_3_3 = 35,
	GAUDI2_QUEUE_ID_DCORE0_TPC_4_0 = 36,
	GAUDI2_QUEUE_ID_DCORE0_TPC_4_1 = 37,
	GAUDI2_QUEUE_ID_DCORE0_TPC_4_2 = 38,
	GAUDI2_QUEUE_ID_DCORE0_TPC_4_3 = 39,
	GAUDI2_QUEUE_ID_DCORE0_TPC_5_0 = 40,
	GAUDI2_QUEUE_ID_DCORE0_TPC_5_1 = 41,
	GAUDI2_QUEUE_ID_DCORE0_TPC_5_2 = 42,
	GAUDI2_QUEUE_ID_DCORE0_TPC_5_3 = 43,
	GAUDI2_QUEUE_ID_DCORE0_TPC_6_0 = 44,
	GAUDI2_QUEUE_ID_DCORE0_TPC_6_1 = 45,
	GAUDI2_QUEUE_ID_DCORE0_TPC_6_2 = 46,
	GAUDI2_QUEUE_ID_DCORE0_TPC_6_3 = 47,
	GAUDI2_QUEUE_ID_DCORE1_EDMA_0_0 = 48,
	GAUDI2_QUEUE_ID_DCORE1_EDMA_0_1 = 49,
	GAUDI2_QUEUE_ID_DCORE1_EDMA_0_2 = 50,
	GAUDI2_QUEUE_ID_DCORE1_EDMA_0_3 = 51,
	GAUDI2_QUEUE_ID_DCORE1_EDMA_1_0 = 52,
	GAUDI2_QUEUE_ID_DCORE1_EDMA_1_1 = 53,
	GAUDI2_QUEUE_ID_DCORE1_EDMA_1_2 = 54,
	GAUDI2_QUEUE_ID_DCORE1_EDMA_1_3 = 55,
	GAUDI2_QUEUE_ID_DCORE1_MME_0_0 = 56,
	GAUDI2_QUEUE_ID_DCORE1_MME_0_1 = 57,
	GAUDI2_QUEUE_ID_DCORE1_MME_0_2 = 58,
	GAUDI2_QUEUE_ID_DCORE1_MME_0_3 = 59,
	GAUDI2_QUEUE_ID_DCORE1_TPC_0_0 = 60,
	GAUDI2_QUEUE_ID_DCORE1_TPC_0_1 = 61,
	GAUDI2_QUEUE_ID_DCORE1_TPC_0_2 = 62,
	GAUDI2_QUEUE_ID_DCORE1_TPC_0_3 = 63,
	GAUDI2_QUEUE_ID_DCORE1_TPC_1_0 = 64,
	GAUDI2_QUEUE_ID_DCORE1_TPC_1_1 = 65,
	GAUDI2_QUEUE_ID_DCORE1_TPC_1_2 = 66,
	GAUDI2_QUEUE_ID_DCORE1_TPC_1_3 = 67,
	GAUDI2_QUEUE_ID_DCORE1_TPC_2_0 = 68,
	GAUDI2_QUEUE_ID_DCORE1_TPC_2_1 = 69,
	GAUDI2_QUEUE_ID_DCORE1_TPC_2_2 = 70,
	GAUDI2_QUEUE_ID_DCORE1_TPC_2_3 = 71,
	GAUDI2_QUEUE_ID_DCORE1_TPC_3_0 = 72,
	GAUDI2_QUEUE_ID_DCORE1_TPC_3_1 = 73,
	GAUDI2_QUEUE_ID_DCORE1_TPC_3_2 = 74,
	GAUDI2_QUEUE_ID_DCORE1_TPC_3_3 = 75,
	GAUDI2_QUEUE_ID_DCORE1_TPC_4_0 = 76,
	GAUDI2_QUEUE_ID_DCORE1_TPC_4_1 = 77,
	GAUDI2_QUEUE_ID_DCORE1_TPC_4_2 = 78,
	GAUDI2_QUEUE_ID_DCORE1_TPC_4_3 = 79,
	GAUDI2_QUEUE_ID_DCORE1_TPC_5_0 = 80,
	GAUDI2_QUEUE_ID_DCORE1_TPC_5_1 = 81,
	GAUDI2_QUEUE_ID_DCORE1_TPC_5_2 = 82,
	GAUDI2_QUEUE_ID_DCORE1_TPC_5_3 = 83,
	GAUDI2_QUEUE_ID_DCORE2_EDMA_0_0 = 84,
	GAUDI2_QUEUE_ID_DCORE2_EDMA_0_1 = 85,
	GAUDI2_QUEUE_ID_DCORE2_EDMA_0_2 = 86,
	GAUDI2_QUEUE_ID_DCORE2_EDMA_0_3 = 87,
	GAUDI2_QUEUE_ID_DCORE2_EDMA_1_0 = 88,
	GAUDI2_QUEUE_ID_DCORE2_EDMA_1_1 = 89,
	GAUDI2_QUEUE_ID_DCORE2_EDMA_1_2 = 90,
	GAUDI2_QUEUE_ID_DCORE2_EDMA_1_3 = 91,
	GAUDI2_QUEUE_ID_DCORE2_MME_0_0 = 92,
	GAUDI2_QUEUE_ID_DCORE2_MME_0_1 = 93,
	GAUDI2_QUEUE_ID_DCORE2_MME_0_2 = 94,
	GAUDI2_QUEUE_ID_DCORE2_MME_0_3 = 95,
	GAUDI2_QUEUE_ID_DCORE2_TPC_0_0 = 96,
	GAUDI2_QUEUE_ID_DCORE2_TPC_0_1 = 97,
	GAUDI2_QUEUE_ID_DCORE2_TPC_0_2 = 98,
	GAUDI2_QUEUE_ID_DCORE2_TPC_0_3 = 99,
	GAUDI2_QUEUE_ID_DCORE2_TPC_1_0 = 100,
	GAUDI2_QUEUE_ID_DCORE2_TPC_1_1 = 101,
	GAUDI2_QUEUE_ID_DCORE2_TPC_1_2 = 102,
	GAUDI2_QUEUE_ID_DCORE2_TPC_1_3 = 103,
	GAUDI2_QUEUE_ID_DCORE2_TPC_2_0 = 104,
	GAUDI2_QUEUE_ID_DCORE2_TPC_2_1 = 105,
	GAUDI2_QUEUE_ID_DCORE2_TPC_2_2 = 106,
	GAUDI2_QUEUE_ID_DCORE2_TPC_2_3 = 107,
	GAUDI2_QUEUE_ID_DCORE2_TPC_3_0 = 108,
	GAUDI2_QUEUE_ID_DCORE2_TPC_3_1 = 109,
	GAUDI2_QUEUE_ID_DCORE2_TPC_3_2 = 110,
	GAUDI2_QUEUE_ID_DCORE2_TPC_3_3 = 111,
	GAUDI2_QUEUE_ID_DCORE2_TPC_4_0 = 112,
	GAUDI2_QUEUE_ID_DCORE2_TPC_4_1 = 113,
	GAUDI2_QUEUE_ID_DCORE2_TPC_4_2 = 114,
	GAUDI2_QUEUE_ID_DCORE2_TPC_4_3 = 115,
	GAUDI2_QUEUE_ID_DCORE2_TPC_5_0 = 116,
	GAUDI2_QUEUE_ID_DCORE2_TPC_5_1 = 117,
	GAUDI2_QUEUE_ID_DCORE2_TPC_5_2 = 118,
	GAUDI2_QUEUE_ID_DCORE2_TPC_5_3 = 119,
	GAUDI2_QUEUE_ID_DCORE3_EDMA_0_0 = 120,
	GAUDI2_QUEUE_ID_DCORE3_EDMA_0_1 = 121,
	GAUDI2_QUEUE_ID_DCORE3_EDMA_0_2 = 122,
	GAUDI2_QUEUE_ID_DCORE3_EDMA_0_3 = 123,
	GAUDI2_QUEUE_ID_DCORE3_EDMA_1_0 = 124,
	GAUDI2_QUEUE_ID_DCORE3_EDMA_1_1 = 125,
	GAUDI2_QUEUE_ID_DCORE3_EDMA_1_2 = 126,
	GAUDI2_QUEUE_ID_DCORE3_EDMA_1_3 = 127,
	GAUDI2_QUEUE_ID_DCORE3_MME_0_0 = 128,
	GAUDI2_QUEUE_ID_DCORE3_MME_0_1 = 129,
	GAUDI2_QUEUE_ID_DCORE3_MME_0_2 = 130,
	GAUDI2_QUEUE_ID_DCORE3_MME_0_3 = 131,
	GAUDI2_QUEUE_ID_DCORE3_TPC_0_0 = 132,
	GAUDI2_QUEUE_ID_DCORE3_TPC_0_1 = 133,
	GAUDI2_QUEUE_ID_DCORE3_TPC_0_2 = 134,
	GAUDI2_QUEUE_ID_DCORE3_TPC_0_3 = 135,
	GAUDI2_QUEUE_ID_DCORE3_TPC_1_0 = 136,
	GAUDI2_QUEUE_ID_DCORE3_TPC_1_1 = 137,
	GAUDI2_QUEUE_ID_DCORE3_TPC_1_2 = 138,
	GAUDI2_QUEUE_ID_DCORE3_TPC_1_3 = 139,
	GAUDI2_QUEUE_ID_DCORE3_TPC_2_0 = 140,
	GAUDI2_QUEUE_ID_DCORE3_TPC_2_1 = 141,
	GAUDI2_QUEUE_ID_DCORE3_TPC_2_2 = 142,
	GAUDI2_QUEUE_ID_DCORE3_TPC_2_3 = 143,
	GAUDI2_QUEUE_ID_DCORE3_TPC_3_0 = 144,
	GAUDI2_QUEUE_ID_DCORE3_TPC_3_1 = 145,
	GAUDI2_QUEUE_ID_DCORE3_TPC_3_2 = 146,
	GAUDI2_QUEUE_ID_DCORE3_TPC_3_3 = 147,
	GAUDI2_QUEUE_ID_DCORE3_TPC_4_0 = 148,
	GAUDI2_QUEUE_ID_DCORE3_TPC_4_1 = 149,
	GAUDI2_QUEUE_ID_DCORE3_TPC_4_2 = 150,
	GAUDI2_QUEUE_ID_DCORE3_TPC_4_3 = 151,
	GAUDI2_QUEUE_ID_DCORE3_TPC_5_0 = 152,
	GAUDI2_QUEUE_ID_DCORE3_TPC_5_1 = 153,
	GAUDI2_QUEUE_ID_DCORE3_TPC_5_2 = 154,
	GAUDI2_QUEUE_ID_DCORE3_TPC_5_3 = 155,
	GAUDI2_QUEUE_ID_NIC_0_0 = 156,
	GAUDI2_QUEUE_ID_NIC_0_1 = 157,
	GAUDI2_QUEUE_ID_NIC_0_2 = 158,
	GAUDI2_QUEUE_ID_NIC_0_3 = 159,
	GAUDI2_QUEUE_ID_NIC_1_0 = 160,
	GAUDI2_QUEUE_ID_NIC_1_1 = 161,
	GAUDI2_QUEUE_ID_NIC_1_2 = 162,
	GAUDI2_QUEUE_ID_NIC_1_3 = 163,
	GAUDI2_QUEUE_ID_NIC_2_0 = 164,
	GAUDI2_QUEUE_ID_NIC_2_1 = 165,
	GAUDI2_QUEUE_ID_NIC_2_2 = 166,
	GAUDI2_QUEUE_ID_NIC_2_3 = 167,
	GAUDI2_QUEUE_ID_NIC_3_0 = 168,
	GAUDI2_QUEUE_ID_NIC_3_1 = 169,
	GAUDI2_QUEUE_ID_NIC_3_2 = 170,
	GAUDI2_QUEUE_ID_NIC_3_3 = 171,
	GAUDI2_QUEUE_ID_NIC_4_0 = 172,
	GAUDI2_QUEUE_ID_NIC_4_1 = 173,
	GAUDI2_QUEUE_ID_NIC_4_2 = 174,
	GAUDI2_QUEUE_ID_NIC_4_3 = 175,
	GAUDI2_QUEUE_ID_NIC_5_0 = 176,
	GAUDI2_QUEUE_ID_NIC_5_1 = 177,
	GAUDI2_QUEUE_ID_NIC_5_2 = 178,
	GAUDI2_QUEUE_ID_NIC_5_3 = 179,
	GAUDI2_QUEUE_ID_NIC_6_0 = 180,
	GAUDI2_QUEUE_ID_NIC_6_1 = 181,
	GAUDI2_QUEUE_ID_NIC_6_2 = 182,
	GAUDI2_QUEUE_ID_NIC_6_3 = 183,
	GAUDI2_QUEUE_ID_NIC_7_0 = 184,
	GAUDI2_QUEUE_ID_NIC_7_1 = 185,
	GAUDI2_QUEUE_ID_NIC_7_2 = 186,
	GAUDI2_QUEUE_ID_NIC_7_3 = 187,
	GAUDI2_QUEUE_ID_NIC_8_0 = 188,
	GAUDI2_QUEUE_ID_NIC_8_1 = 189,
	GAUDI2_QUEUE_ID_NIC_8_2 = 190,
	GAUDI2_QUEUE_ID_NIC_8_3 = 191,
	GAUDI2_QUEUE_ID_NIC_9_0 = 192,
	GAUDI2_QUEUE_ID_NIC_9_1 = 193,
	GAUDI2_QUEUE_ID_NIC_9_2 = 194,
	GAUDI2_QUEUE_ID_NIC_9_3 = 195,
	GAUDI2_QUEUE_ID_NIC_10_0 = 196,
	GAUDI2_QUEUE_ID_NIC_10_1 = 197,
	GAUDI2_QUEUE_ID_NIC_10_2 = 198,
	GAUDI2_QUEUE_ID_NIC_10_3 = 199,
	GAUDI2_QUEUE_ID_NIC_11_0 = 200,
	GAUDI2_QUEUE_ID_NIC_11_1 = 201,
	GAUDI2_QUEUE_ID_NIC_11_2 = 202,
	GAUDI2_QUEUE_ID_NIC_11_3 = 203,
	GAUDI2_QUEUE_ID_NIC_12_0 = 204,
	GAUDI2_QUEUE_ID_NIC_12_1 = 205,
	GAUDI2_QUEUE_ID_NIC_12_2 = 206,
	GAUDI2_QUEUE_ID_NIC_12_3 = 207,
	GAUDI2_QUEUE_ID_NIC_13_0 = 208,
	GAUDI2_QUEUE_ID_NIC_13_1 = 209,
	GAUDI2_QUEUE_ID_NIC_13_2 = 210,
	GAUDI2_QUEUE_ID_NIC_13_3 = 211,
	GAUDI2_QUEUE_ID_NIC_14_0 = 212,
	GAUDI2_QUEUE_ID_NIC_14_1 = 213,
	GAUDI2_QUEUE_ID_NIC_14_2 = 214,
	GAUDI2_QUEUE_ID_NIC_14_3 = 215,
	GAUDI2_QUEUE_ID_NIC_15_0 = 216,
	GAUDI2_QUEUE_ID_NIC_15_1 = 217,
	GAUDI2_QUEUE_ID_NIC_15_2 = 218,
	GAUDI2_QUEUE_ID_NIC_15_3 = 219,
	GAUDI2_QUEUE_ID_NIC_16_0 = 220,
	GAUDI2_QUEUE_ID_NIC_16_1 = 221,
	GAUDI2_QUEUE_ID_NIC_16_2 = 222,
	GAUDI2_QUEUE_ID_NIC_16_3 = 223,
	GAUDI2_QUEUE_ID_NIC_17_0 = 224,
	GAUDI2_QUEUE_ID_NIC_17_1 = 225,
	GAUDI2_QUEUE_ID_NIC_17_2 = 226,
	GAUDI2_QUEUE_ID_NIC_17_3 = 227,
	GAUDI2_QUEUE_ID_NIC_18_0 = 228,
	GAUDI2_QUEUE_ID_NIC_18_1 = 229,
	GAUDI2_QUEUE_ID_NIC_18_2 = 230,
	GAUDI2_QUEUE_ID_NIC_18_3 = 231,
	GAUDI2_QUEUE_ID_NIC_19_0 = 232,
	GAUDI2_QUEUE_ID_NIC_19_1 = 233,
	GAUDI2_QUEUE_ID_NIC_19_2 = 234,
	GAUDI2_QUEUE_ID_NIC_19_3 = 235,
	GAUDI2_QUEUE_ID_NIC_20_0 = 236,
	GAUDI2_QUEUE_ID_NIC_20_1 = 237,
	GAUDI2_QUEUE_ID_NIC_20_2 = 238,
	GAUDI2_QUEUE_ID_NIC_20_3 = 239,
	GAUDI2_QUEUE_ID_NIC_21_0 = 240,
	GAUDI2_QUEUE_ID_NIC_21_1 = 241,
	GAUDI2_QUEUE_ID_NIC_21_2 = 242,
	GAUDI2_QUEUE_ID_NIC_21_3 = 243,
	GAUDI2_QUEUE_ID_NIC_22_0 = 244,
	GAUDI2_QUEUE_ID_NIC_22_1 = 245,
	GAUDI2_QUEUE_ID_NIC_22_2 = 246,
	GAUDI2_QUEUE_ID_NIC_22_3 = 247,
	GAUDI2_QUEUE_ID_NIC_23_0 = 248,
	GAUDI2_QUEUE_ID_NIC_23_1 = 249,
	GAUDI2_QUEUE_ID_NIC_23_2 = 250,
	GAUDI2_QUEUE_ID_NIC_23_3 = 251,
	GAUDI2_QUEUE_ID_ROT_0_0 = 252,
	GAUDI2_QUEUE_ID_ROT_0_1 = 253,
	GAUDI2_QUEUE_ID_ROT_0_2 = 254,
	GAUDI2_QUEUE_ID_ROT_0_3 = 255,
	GAUDI2_QUEUE_ID_ROT_1_0 = 256,
	GAUDI2_QUEUE_ID_ROT_1_1 = 257,
	GAUDI2_QUEUE_ID_ROT_1_2 = 258,
	GAUDI2_QUEUE_ID_ROT_1_3 = 259,
	GAUDI2_QUEUE_ID_CPU_PQ = 260,
	GAUDI2_QUEUE_ID_SIZE
};

/*
 * Engine indices: the bit positions of hl_info_hw_idle.busy_engines_mask
 * and busy_engines_mask_ext (bit N of the mask set means engine N is busy),
 * and engine numbers in error reports.
 */

/*
 * enum gaudi_engine_id: Gaudi engines (8 DMA, 4 MME, 8 TPC, 10 NIC)
 * GAUDI_ENGINE_ID_SIZE is the number of engines.
 */
enum gaudi_engine_id {
	GAUDI_ENGINE_ID_DMA_0 = 0,
	GAUDI_ENGINE_ID_DMA_1,
	GAUDI_ENGINE_ID_DMA_2,
	GAUDI_ENGINE_ID_DMA_3,
	GAUDI_ENGINE_ID_DMA_4,
	GAUDI_ENGINE_ID_DMA_5,
	GAUDI_ENGINE_ID_DMA_6,
	GAUDI_ENGINE_ID_DMA_7,
	GAUDI_ENGINE_ID_MME_0,
	GAUDI_ENGINE_ID_MME_1,
	GAUDI_ENGINE_ID_MME_2,
	GAUDI_ENGINE_ID_MME_3,
	GAUDI_ENGINE_ID_TPC_0,
	GAUDI_ENGINE_ID_TPC_1,
	GAUDI_ENGINE_ID_TPC_2,
	GAUDI_ENGINE_ID_TPC_3,
	GAUDI_ENGINE_ID_TPC_4,
	GAUDI_ENGINE_ID_TPC_5,
	GAUDI_ENGINE_ID_TPC_6,
	GAUDI_ENGINE_ID_TPC_7,
	GAUDI_ENGINE_ID_NIC_0,
	GAUDI_ENGINE_ID_NIC_1,
	GAUDI_ENGINE_ID_NIC_2,
	GAUDI_ENGINE_ID_NIC_3,
	GAUDI_ENGINE_ID_NIC_4,
	GAUDI_ENGINE_ID_NIC_5,
	GAUDI_ENGINE_ID_NIC_6,
	GAUDI_ENGINE_ID_NIC_7,
	GAUDI_ENGINE_ID_NIC_8,
	GAUDI_ENGINE_ID_NIC_9,
	GAUDI_ENGINE_ID_SIZE
};

/*
 * enum goya_engine_id: Goya engines (5 DMA, 1 MME, 8 TPC)
 * GOYA_ENGINE_ID_SIZE is the number of engines.
 */
enum goya_engine_id {
	GOYA_ENGINE_ID_DMA_0 = 0,
	GOYA_ENGINE_ID_DMA_1,
	GOYA_ENGINE_ID_DMA_2,
	GOYA_ENGINE_ID_DMA_3,
	GOYA_ENGINE_ID_DMA_4,
	GOYA_ENGINE_ID_MME_0,
	GOYA_ENGINE_ID_TPC_0,
	GOYA_ENGINE_ID_TPC_1,
	GOYA_ENGINE_ID_TPC_2,
	GOYA_ENGINE_ID_TPC_3,
	GOYA_ENGINE_ID_TPC_4,
	GOYA_ENGINE_ID_TPC_5,
	GOYA_ENGINE_ID_TPC_6,
	GOYA_ENGINE_ID_TPC_7,
	GOYA_ENGINE_ID_SIZE
};

/*
 * enum gaudi2_engine_id: Gaudi2 engines, grouped per DCORE, then the
 * engines outside the DCOREs.
 * GAUDI2_ENGINE_ID_SIZE is the number of engines.
 */
enum gaudi2_engine_id {
	GAUDI2_DCORE0_ENGINE_ID_EDMA_0 = 0,
	GAUDI2_DCORE0_ENGINE_ID_EDMA_1 = 1,
	GAUDI2_DCORE0_ENGINE_ID_MME = 2,
	GAUDI2_DCORE0_ENGINE_ID_TPC_0 = 3,
	GAUDI2_DCORE0_ENGINE_ID_TPC_1 = 4,
	GAUDI2_DCORE0_ENGINE_ID_TPC_2 = 5,
	GAUDI2_DCORE0_ENGINE_ID_TPC_3 = 6,
	GAUDI2_DCORE0_ENGINE_ID_TPC_4 = 7,
	GAUDI2_DCORE0_ENGINE_ID_TPC_5 = 8,
	GAUDI2_DCORE0_ENGINE_ID_DEC_0 = 9,
	GAUDI2_DCORE0_ENGINE_ID_DEC_1 = 10,
	GAUDI2_DCORE1_ENGINE_ID_EDMA_0 = 11,
	GAUDI2_DCORE1_ENGINE_ID_EDMA_1 = 12,
	GAUDI2_DCORE1_ENGINE_ID_MME = 13,
	GAUDI2_DCORE1_ENGINE_ID_TPC_0 = 14,
	GAUDI2_DCORE1_ENGINE_ID_TPC_1 = 15,
	GAUDI2_DCORE1_ENGINE_ID_TPC_2 = 16,
	GAUDI2_DCORE1_ENGINE_ID_TPC_3 = 17,
	GAUDI2_DCORE1_ENGINE_ID_TPC_4 = 18,
	GAUDI2_DCORE1_ENGINE_ID_TPC_5 = 19,
	GAUDI2_DCORE1_ENGINE_ID_DEC_0 = 20,
	GAUDI2_DCORE1_ENGINE_ID_DEC_1 = 21,
	GAUDI2_DCORE2_ENGINE_ID_EDMA_0 = 22,
	GAUDI2_DCORE2_ENGINE_ID_EDMA_1 = 23,
	GAUDI2_DCORE2_ENGINE_ID_MME = 24,
	GAUDI2_DCORE2_ENGINE_ID_TPC_0 = 25,
	GAUDI2_DCORE2_ENGINE_ID_TPC_1 = 26,
	GAUDI2_DCORE2_ENGINE_ID_TPC_2 = 27,
	GAUDI2_DCORE2_ENGINE_ID_TPC_3 = 28,
	GAUDI2_DCORE2_ENGINE_ID_TPC_4 = 29,
	GAUDI2_DCORE2_ENGINE_ID_TPC_5 = 30,
	GAUDI2_DCORE2_ENGINE_ID_DEC_0 = 31,
	GAUDI2_DCORE2_ENGINE_ID_DEC_1 = 32,
	GAUDI2_DCORE3_ENGINE_ID_EDMA_0 = 33,
	GAUDI2_DCORE3_ENGINE_ID_EDMA_1 = 34,
	GAUDI2_DCORE3_ENGINE_ID_MME = 35,
	GAUDI2_DCORE3_ENGINE_ID_TPC_0 = 36,
	GAUDI2_DCORE3_ENGINE_ID_TPC_1 = 37,
	GAUDI2_DCORE3_ENGINE_ID_TPC_2 = 38,
	GAUDI2_DCORE3_ENGINE_ID_TPC_3 = 39,
	GAUDI2_DCORE3_ENGINE_ID_TPC_4 = 40,
	GAUDI2_DCORE3_ENGINE_ID_TPC_5 = 41,
	GAUDI2_DCORE3_ENGINE_ID_DEC_0 = 42,
	GAUDI2_DCORE3_ENGINE_ID_DEC_1 = 43,
	GAUDI2_DCORE0_ENGINE_ID_TPC_6 = 44,
	GAUDI2_ENGINE_ID_PDMA_0 = 45,
	GAUDI2_ENGINE_ID_PDMA_1 = 46,
	GAUDI2_ENGINE_ID_ROT_0 = 47,
	GAUDI2_ENGINE_ID_ROT_1 = 48,
	GAUDI2_PCIE_ENGINE_ID_DEC_0 = 49,
	GAUDI2_PCIE_ENGINE_ID_DEC_1 = 50,
	GAUDI2_ENGINE_ID_NIC0_0 = 51,
	GAUDI2_ENGINE_ID_NIC0_1 = 52,
	GAUDI2_ENGINE_ID_NIC1_0 = 53,
	GAUDI2_ENGINE_ID_NIC1_1 = 54,
	GAUDI2_ENGINE_ID_NIC2_0 = 55,
	GAUDI2_ENGINE_ID_NIC2_1 = 56,
	GAUDI2_ENGINE_ID_NIC3_0 = 57,
	GAUDI2_ENGINE_ID_NIC3_1 = 58,
	GAUDI2_ENGINE_ID_NIC4_0 = 59,
	GAUDI2_ENGINE_ID_NIC4_1 = 60,
	GAUDI2_ENGINE_ID_NIC5_0 = 61,
	GAUDI2_ENGINE_ID_NIC5_1 = 62,
	GAUDI2_ENGINE_ID_NIC6_0 = 63,
	GAUDI2_ENGINE_ID_NIC6_1 = 64,
	GAUDI2_ENGINE_ID_NIC7_0 = 65,
	GAUDI2_ENGINE_ID_NIC7_1 = 66,
	GAUDI2_ENGINE_ID_NIC8_0 = 67,
	GAUDI2_ENGINE_ID_NIC8_1 = 68,
	GAUDI2_ENGINE_ID_NIC9_0 = 69,
	GAUDI2_ENGINE_ID_NIC9_1 = 70,
	GAUDI2_ENGINE_ID_NIC10_0 = 71,
	GAUDI2_ENGINE_ID_NIC10_1 = 72,
	GAUDI2_ENGINE_ID_NIC11_0 = 73,
	GAUDI2_ENGINE_ID_NIC11_1 = 74,
	GAUDI2_ENGINE_ID_PCIE = 75,
	GAUDI2_ENGINE_ID_PSOC = 76,
	GAUDI2_ENGINE_ID_ARC_FARM = 77,
	GAUDI2_ENGINE_ID_KDMA = 78,
	GAUDI2_ENGINE_ID_SIZE
};

/*
 * PLL indices, per ASIC: the value of hl_info_args.pll_index for
 * HL_INFO_PLL_FREQUENCY. The names say which block the PLL clocks.
 */

/* enum hl_gaudi_pll_index: Gaudi PLLs; HL_GAUDI_PLL_MAX is their count. */
enum hl_gaudi_pll_index {
	HL_GAUDI_CPU_PLL = 0,
	HL_GAUDI_PCI_PLL,
	HL_GAUDI_SRAM_PLL,
	HL_GAUDI_HBM_PLL,
	HL_GAUDI_NIC_PLL,
	HL_GAUDI_DMA_PLL,
	HL_GAUDI_MESH_PLL,
	HL_GAUDI_MME_PLL,
	HL_GAUDI_TPC_PLL,
	HL_GAUDI_IF_PLL,
	HL_GAUDI_PLL_MAX
};

/* enum hl_goya_pll_index: Goya PLLs; HL_GOYA_PLL_MAX is their count. */
enum hl_goya_pll_index {
	HL_GOYA_CPU_PLL = 0,
	HL_GOYA_IC_PLL,
	HL_GOYA_MC_PLL,
	HL_GOYA_MME_PLL,
	HL_GOYA_PCI_PLL,
	HL_GOYA_EMMC_PLL,
	HL_GOYA_TPC_PLL,
	HL_GOYA_PLL_MAX
};

/* enum hl_gaudi2_pll_index: Gaudi2 PLLs; HL_GAUDI2_PLL_MAX is their count. */
enum hl_gaudi2_pll_index {
	HL_GAUDI2_CPU_PLL = 0,
	HL_GAUDI2_PCI_PLL,
	HL_GAUDI2_SRAM_PLL,
	HL_GAUDI2_HBM_PLL,
	HL_GAUDI2_NIC_PLL,
	HL_GAUDI2_DMA_PLL,
	HL_GAUDI2_MESH_PLL,
	HL_GAUDI2_MME_PLL,
	HL_GAUDI2_TPC_PLL,
	HL_GAUDI2_IF_PLL,
	HL_GAUDI2_VID_PLL,
	HL_GAUDI2_MSS_PLL,
	HL_GAUDI2_PLL_MAX
};

/**
 * enum hl_goya_dma_direction - Goya only: the direction field of a LIN_DMA
 * packet in a user CB. The hardware ignores it; the driver reads it to know
 * which of the packet's addresses are host addresses it must check and
 * translate.
 * @HL_DMA_HOST_TO_DRAM: host memory to DDR.
 * @HL_DMA_HOST_TO_SRAM: host memory to SRAM.
 * @HL_DMA_DRAM_TO_SRAM: DDR to SRAM.
 * @HL_DMA_SRAM_TO_DRAM: SRAM to DDR.
 * @HL_DMA_SRAM_TO_HOST: SRAM to host memory.
 * @HL_DMA_DRAM_TO_HOST: DDR to host memory.
 * @HL_DMA_DRAM_TO_DRAM: within DDR.
 * @HL_DMA_SRAM_TO_SRAM: within SRAM.
 * @HL_DMA_ENUM_MAX: count.
 */
enum hl_goya_dma_direction {
	HL_DMA_HOST_TO_DRAM,
	HL_DMA_HOST_TO_SRAM,
	HL_DMA_DRAM_TO_SRAM,
	HL_DMA_SRAM_TO_DRAM,
	HL_DMA_SRAM_TO_HOST,
	HL_DMA_DRAM_TO_HOST,
	HL_DMA_DRAM_TO_DRAM,
	HL_DMA_SRAM_TO_SRAM,
	HL_DMA_ENUM_MAX
};

/**
 * enum hl_device_status - hl_info_device_status.status (HL_INFO_DEVICE_STATUS)
 * @HL_DEVICE_STATUS_OPERATIONAL: ready for work.
 * @HL_DEVICE_STATUS_IN_RESET: a reset is in progress; most ioctls fail with
 *	EBUSY until it ends.
 * @HL_DEVICE_STATUS_MALFUNCTION: the device failed and cannot be used.
 * @HL_DEVICE_STATUS_NEEDS_RESET: the device needs a reset that the driver
 *	will not start on its own (automatic reset is switched off).
 * @HL_DEVICE_STATUS_IN_DEVICE_CREATION: the device is still initialising.
 * @HL_DEVICE_STATUS_IN_RESET_AFTER_DEVICE_RELEASE: the reset that follows
 *	the release of the previous compute context is in progress.
 * @HL_DEVICE_STATUS_LAST: the highest status value (not a count).
 */
enum hl_device_status {
	HL_DEVICE_STATUS_OPERATIONAL,
	HL_DEVICE_STATUS_IN_RESET,
	HL_DEVICE_STATUS_MALFUNCTION,
	HL_DEVICE_STATUS_NEEDS_RESET,
	HL_DEVICE_STATUS_IN_DEVICE_CREATION,
	HL_DEVICE_STATUS_IN_RESET_AFTER_DEVICE_RELEASE,
	HL_DEVICE_STATUS_LAST = HL_DEVICE_STATUS_IN_RESET_AFTER_DEVICE_RELEASE
};

/**
 * enum hl_server_type - hl_info_hw_ip_info.server_type: the kind of server
 * board the device sits on, as the firmware reports it. Value 6 is unused.
 * @HL_SERVER_TYPE_UNKNOWN: the firmware did not say.
 * @HL_SERVER_GAUDI_HLS1: Gaudi, HLS-1 system.
 * @HL_SERVER_GAUDI_HLS1H: Gaudi, HLS-1H system.
 * @HL_SERVER_GAUDI_TYPE1: Gaudi, other server, type 1.
 * @HL_SERVER_GAUDI_TYPE2: Gaudi, other server, type 2.
 * @HL_SERVER_GAUDI2_HLS2: Gaudi2, HLS-2 system.
 * @HL_SERVER_GAUDI2_TYPE1: Gaudi2, other server, type 1.
 */
enum hl_server_type {
	HL_SERVER_TYPE_UNKNOWN = 0,
	HL_SERVER_GAUDI_HLS1 = 1,
	HL_SERVER_GAUDI_HLS1H = 2,
	HL_SERVER_GAUDI_TYPE1 = 3,
	HL_SERVER_GAUDI_TYPE2 = 4,
	HL_SERVER_GAUDI2_HLS2 = 5,
	HL_SERVER_GAUDI2_TYPE1 = 7
};

/*
 * ===========================================================================
 * DRM_IOCTL_HL_INFO
 * ===========================================================================
 */

/**
 * DOC: INFO opcodes
 *
 * hl_info_args.op selects what to read; the driver writes at most
 * hl_info_args.return_size bytes of the answer to return_pointer, so a
 * caller built against a shorter structure gets a truncated but valid
 * answer. Unless noted, the answer is the structure named in brackets and
 * the call fails with EBUSY while the device is not operational. The
 * control node (/dev/accel/accel_controlDn) answers INFO too, except the
 * eventfd and event opcodes.
 *
 * Answered even while the device is in reset or disabled:
 *
 * - HL_INFO_HW_IP_INFO: what the ASIC is and what the user may use: SRAM and
 *   DRAM bases and sizes, enabled engines, firmware version
 *   [struct hl_info_hw_ip_info]. On Gaudi, dram_base_address is a physical
 *   address: DRAM is not behind the MMU.
 * - HL_INFO_DEVICE_STATUS: [struct hl_info_device_status], an
 *   enum hl_device_status.
 * - HL_INFO_RESET_COUNT: hard and soft resets since the driver loaded
 *   [struct hl_info_reset_count]. Gaudi only does hard resets.
 * - HL_INFO_HW_EVENTS: an array of __u32, one counter per firmware event id,
 *   counting since the last hard reset; hw_ip_info.num_of_events entries.
 * - HL_INFO_HW_EVENTS_AGGREGATE: the same, counted since the driver loaded.
 * - HL_INFO_CS_COUNTERS: why submissions were dropped, for the device and
 *   for this context [struct hl_info_cs_counters].
 * - HL_INFO_CLK_THROTTLE_REASON: [struct hl_info_clk_throttle].
 * - HL_INFO_SYNC_MANAGER: first sync object, monitor and CQ free for user
 *   space in DCORE hl_info_args.dcore_id [struct hl_info_sync_manager].
 * - HL_INFO_OPEN_STATS: [struct hl_open_stats_info].
 * - HL_INFO_LAST_ERR_OPEN_DEV_TIME: when the device was last opened before
 *   an error [struct hl_info_last_err_open_dev_time].
 * - HL_INFO_CS_TIMEOUT_EVENT: the last CS that timed out
 *   [struct hl_info_cs_timeout_event].
 * - HL_INFO_RAZWI_EVENT: the last illegal access (RAZWI)
 *   [struct hl_info_razwi_event].
 * - HL_INFO_UNDEFINED_OPCODE_EVENT: the last undefined-opcode error of a
 *   queue [struct hl_info_undefined_opcode_event].
 * - HL_INFO_DEV_MEM_ALLOC_PAGE_SIZES: [struct hl_info_dev_memalloc_page_sizes].
 * - HL_INFO_GET_EVENTS: a __u64 of HL_NOTIFIER_EVENT_* bits that occurred
 *   since the previous call; reading clears them.
 * - HL_INFO_PAGE_FAULT_EVENT: the last MMU page fault
 *   [struct hl_page_fault_info].
 * - HL_INFO_USER_MAPPINGS: the context's mappings captured at the last page
 *   fault, an array of struct hl_user_mapping of hl_info_args.array_size
 *   entries.
 * - HL_INFO_UNREGISTER_EVENTFD: drop the eventfd registered below.
 * - HL_INFO_HW_ERR_EVENT: the last hardware error [struct hl_info_hw_err_event].
 * - HL_INFO_FW_ERR_EVENT: the last firmware error [struct hl_info_fw_err_event].
 * - HL_INFO_USER_ENGINE_ERR_EVENT: the last engine error
 *   [struct hl_info_engine_err_event].
 * - HL_INFO_DRAM_USAGE: free DRAM and DRAM held by this context
 *   [struct hl_info_dram_usage]. On Gaudi the driver does not own DRAM and
 *   these are sums of what HL_MEM_OP_ALLOC/FREE reported.
 *
 * Answered only while the device is operational:
 *
 * - HL_INFO_HW_IDLE: whether all engines are idle, and which are busy
 *   [struct hl_info_hw_idle].
 * - HL_INFO_DEVICE_UTILIZATION: utilisation in percent over the last
 *   hl_info_args.period_ms (100 to 1000, in steps of 100)
 *   [struct hl_info_device_utilization].
 * - HL_INFO_CLK_RATE: current and maximum clock, MHz [struct hl_info_clk_rate].
 * - HL_INFO_TIME_SYNC: a device timestamp and host timestamps taken together,
 *   to correlate device traces with host time [struct hl_info_time_sync].
 * - HL_INFO_PCI_COUNTERS: [struct hl_info_pci_counters].
 * - HL_INFO_TOTAL_ENERGY: [struct hl_info_energy].
 * - HL_INFO_PLL_FREQUENCY: output frequencies of PLL hl_info_args.pll_index
 *   (enum hl_<asic>_pll_index) [struct hl_pll_frequency_info].
 * - HL_INFO_POWER: [struct hl_power_info].
 * - HL_INFO_DRAM_REPLACED_ROWS: the HBM rows the firmware replaced, in the
 *   firmware's own format.
 * - HL_INFO_DRAM_PENDING_ROWS: a __u32, the number of HBM rows waiting for
 *   replacement at the next reset.
 * - HL_INFO_SECURED_ATTESTATION: a signed boot measurement for the nonce in
 *   hl_info_args.sec_attest_nonce [struct hl_info_sec_attest].
 * - HL_INFO_REGISTER_EVENTFD: signal the eventfd hl_info_args.eventfd when
 *   an HL_NOTIFIER_EVENT_* occurs; one per process.
 * - HL_INFO_ENGINE_STATUS: a text report of engine states into a buffer of
 *   1 KiB to HL_ENGINES_DATA_MAX_SIZE bytes; the length of the report is
 *   returned in hl_info_args.user_buffer_actual_size.
 * - HL_INFO_FW_GENERIC_REQ: a firmware request chosen by
 *   hl_info_args.fw_sub_opcode.
 * - HL_INFO_DEV_SIGNED: device information signed by the device for the
 *   nonce in hl_info_args.sec_attest_nonce [struct hl_info_signed].
 *
 * Values 5, 19, 20 and 39 are not opcodes.
 */
#define HL_INFO_HW_IP_INFO			0
#define HL_INFO_HW_EVENTS			1
#define HL_INFO_DRAM_USAGE			2
#define HL_INFO_HW_IDLE				3
#define HL_INFO_DEVICE_STATUS			4
#define HL_INFO_DEVICE_UTILIZATION		6
#define HL_INFO_HW_EVENTS_AGGREGATE		7
#define HL_INFO_CLK_RATE			8
#define HL_INFO_RESET_COUNT			9
#define HL_INFO_TIME_SYNC			10
#define HL_INFO_CS_COUNTERS			11
#define HL_INFO_PCI_COUNTERS			12
#define HL_INFO_CLK_THROTTLE_REASON		13
#define HL_INFO_SYNC_MANAGER			14
#define HL_INFO_TOTAL_ENERGY			15
#define HL_INFO_PLL_FREQUENCY			16
#define HL_INFO_POWER				17
#define HL_INFO_OPEN_STATS			18
#define HL_INFO_DRAM_REPLACED_ROWS		21
#define HL_INFO_DRAM_PENDING_ROWS		22
#define HL_INFO_LAST_ERR_OPEN_DEV_TIME		23
#define HL_INFO_CS_TIMEOUT_EVENT		24
#define HL_INFO_RAZWI_EVENT			25
#define HL_INFO_DEV_MEM_ALLOC_PAGE_SIZES	26
#define HL_INFO_SECURED_ATTESTATION		27
#define HL_INFO_REGISTER_EVENTFD		28
#define HL_INFO_UNREGISTER_EVENTFD		29
#define HL_INFO_GET_EVENTS			30
#define HL_INFO_UNDEFINED_OPCODE_EVENT		31
#define HL_INFO_ENGINE_STATUS			32
#define HL_INFO_PAGE_FAULT_EVENT		33
#define HL_INFO_USER_MAPPINGS			34
#define HL_INFO_FW_GENERIC_REQ			35
#define HL_INFO_HW_ERR_EVENT			36
#define HL_INFO_FW_ERR_EVENT			37
#define HL_INFO_USER_ENGINE_ERR_EVENT		38
#define HL_INFO_DEV_SIGNED			40

/*
 * HL_NOTIFIER_EVENT_*: bits of the HL_INFO_GET_EVENTS answer; an eventfd
 * registered with HL_INFO_REGISTER_EVENTFD is signalled when one is set.
 * Two names carry a historical misspelling (CRITICL) and keep it.
 */
/* A TPC raised an assertion. */
#define HL_NOTIFIER_EVENT_TPC_ASSERT		(1ULL << 0)
/* A queue met an opcode it does not know (see HL_INFO_UNDEFINED_OPCODE_EVENT). */
#define HL_NOTIFIER_EVENT_UNDEFINED_OPCODE	(1ULL << 1)
/* The device must be reset: close the file descriptor. */
#define HL_NOTIFIER_EVENT_DEVICE_RESET		(1ULL << 2)
/* A submission timed out (see HL_INFO_CS_TIMEOUT_EVENT). */
#define HL_NOTIFIER_EVENT_CS_TIMEOUT		(1ULL << 3)
/* The device cannot be used at the moment. */
#define HL_NOTIFIER_EVENT_DEVICE_UNAVAILABLE	(1ULL << 4)
/* An engine the user drives entered an error state. */
#define HL_NOTIFIER_EVENT_USER_ENGINE_ERR	(1ULL << 5)
/* A hardware error was reported (see HL_INFO_HW_ERR_EVENT). */
#define HL_NOTIFIER_EVENT_GENERAL_HW_ERR	(1ULL << 6)
/* An illegal access was caught (see HL_INFO_RAZWI_EVENT). */
#define HL_NOTIFIER_EVENT_RAZWI			(1ULL << 7)
/* The MMU faulted (see HL_INFO_PAGE_FAULT_EVENT). */
#define HL_NOTIFIER_EVENT_PAGE_FAULT		(1ULL << 8)
/* A hardware error that needs the work aborted and the device reset. */
#define HL_NOTIFIER_EVENT_CRITICL_HW_ERR	(1ULL << 9)
/* A firmware error that needs the work aborted and the device reset. */
#define HL_NOTIFIER_EVENT_CRITICL_FW_ERR	(1ULL << 10)

/* Sizes of the text arrays in struct hl_info_hw_ip_info. */
#define HL_INFO_VERSION_MAX_LEN			128
#define HL_INFO_CARD_NAME_MAX_LEN		16

/*
 * Largest HL_INFO_ENGINE_STATUS report. SZ_1M is a kernel macro: user space
 * that needs this value must spell it (1 MiB) itself.
 */
#define HL_ENGINES_DATA_MAX_SIZE	SZ_1M

/**
 * struct hl_info_hw_ip_info - HL_INFO_HW_IP_INFO: the ASIC and its resources
 * @sram_base_address: first SRAM address user CBs may use (past what the
 *	driver keeps, see GAUDI_DRIVER_SRAM_RESERVED_SIZE_FROM_START).
 * @dram_base_address: first DRAM address free for user space. On Gaudi it
 *	is physical (DRAM is not behind the MMU); on later ASICs it is the
 *	start of the device virtual DRAM range.
 * @dram_size: DRAM bytes available to user space.
 * @sram_size: SRAM bytes available to user space.
 * @num_of_events: number of firmware event ids, i.e. entries in the
 *	HL_INFO_HW_EVENTS array.
 * @device_id: PCI device id (0x1000 for Gaudi).
 * @module_id: position of the card in the server (OCP module id).
 * @decoder_enabled_mask: one bit per enabled video decoder (Gaudi2 on).
 * @first_available_interrupt_id: first interrupt user space may wait on with
 *	HL_WAIT_CS_FLAGS_INTERRUPT (Gaudi2 on).
 * @server_type: an enum hl_server_type.
 * @cpld_version: version of the board's CPLD.
 * @psoc_pci_pll_nr: PCI PLL NR setting, for profilers.
 * @psoc_pci_pll_nf: PCI PLL NF setting, for profilers.
 * @psoc_pci_pll_od: PCI PLL OD setting, for profilers.
 * @psoc_pci_pll_div_factor: PCI PLL divider, for profilers.
 * @tpc_enabled_mask: one bit per enabled TPC (Goya, Gaudi).
 * @dram_enabled: non-zero if the device has usable DRAM.
 * @security_enabled: non-zero if the device runs with security enabled.
 * @mme_master_slave_mode: non-zero if the MMEs are paired master/slave
 *	(Gaudi2 on).
 * @cpucp_version: NUL-terminated version string of the device CPU firmware.
 * @card_name: NUL-terminated card name reported by the firmware.
 * @tpc_enabled_mask_ext: one bit per enabled TPC (Gaudi2 on).
 * @dram_page_size: DRAM physical page size, bytes.
 * @edma_enabled_mask: one bit per enabled EDMA engine (Gaudi2 on).
 * @number_of_user_interrupts: interrupts user space may wait on (Gaudi2 on).
 * @reserved1: reserved.
 * @reserved2: reserved.
 * @reserved3: reserved.
 * @device_mem_alloc_default_page_size: page size HL_MEM_OP_ALLOC uses when
 *	asked for page size 0.
 * @reserved4: reserved.
 * @reserved5: reserved.
 * @reserved6: reserved.
 * @reserved7: reserved.
 * @revision_id: PCI revision id.
 * @tpc_interrupt_id: interrupt a TPC raises towards the host.
 * @rotator_enabled_mask: one bit per enabled rotator (Gaudi3 on).
 * @reserved9: reserved.
 * @engine_core_interrupt_reg_addr: register engine cores write to raise an
 *	event towards the firmware.
 * @reserved_dram_size: DRAM bytes kept by the driver and the firmware.
 */
struct hl_info_hw_ip_info {
	__u64 sram_base_address;
	__u64 dram_base_address;
	__u64 dram_size;
	__u32 sram_size;
	__u32 num_of_events;
	__u32 device_id;
	__u32 module_id;
	__u32 decoder_enabled_mask;
	__u16 first_available_interrupt_id;
	__u16 server_type;
	__u32 cpld_version;
	__u32 psoc_pci_pll_nr;
	__u32 psoc_pci_pll_nf;
	__u32 psoc_pci_pll_od;
	__u32 psoc_pci_pll_div_factor;
	__u8 tpc_enabled_mask;
	__u8 dram_enabled;
	__u8 security_enabled;
	__u8 mme_master_slave_mode;
	__u8 cpucp_version[HL_INFO_VERSION_MAX_LEN];
	__u8 card_name[HL_INFO_CARD_NAME_MAX_LEN];
	__u64 tpc_enabled_mask_ext;
	__u64 dram_page_size;
	__u32 edma_enabled_mask;
	__u16 number_of_user_interrupts;
	__u8 reserved1;
	__u8 reserved2;
	__u64 reserved3;
	__u64 device_mem_alloc_default_page_size;
	__u64 reserved4;
	__u64 reserved5;
	__u32 reserved6;
	__u8 reserved7;
	__u8 revision_id;
	__u16 tpc_interrupt_id;
	__u32 rotator_enabled_mask;
	__u32 reserved9;
	__u64 engine_core_interrupt_reg_addr;
	__u64 reserved_dram_size;
};

/**
 * struct hl_info_dram_usage - HL_INFO_DRAM_USAGE
 * @dram_free_mem: DRAM bytes not allocated by anyone.
 * @ctx_dram_mem: DRAM bytes allocated by the caller's context.
 */
struct hl_info_dram_usage {
	__u64 dram_free_mem;
	__u64 ctx_dram_mem;
};

/* Number of __u64 words in hl_info_hw_idle.busy_engines_mask_ext. */
#define HL_BUSY_ENGINES_MASK_EXT_SIZE	4

/**
 * struct hl_info_hw_idle - HL_INFO_HW_IDLE
 * @is_idle: non-zero if every engine is idle.
 * @busy_engines_mask: busy engines, bit N for engine N of
 *	enum <asic>_engine_id; only the first 32 engines.
 * @busy_engines_mask_ext: busy engines as a 256-bit mask, bit N of the
 *	array for engine N; use it on ASICs with more than 32 engines.
 */
struct hl_info_hw_idle {
	__u32 is_idle;
	__u32 busy_engines_mask;
	__u64 busy_engines_mask_ext[HL_BUSY_ENGINES_MASK_EXT_SIZE];
};

/**
 * struct hl_info_device_status - HL_INFO_DEVICE_STATUS
 * @status: an enum hl_device_status.
 * @pad: zero.
 */
struct hl_info_device_status {
	__u32 status;
	__u32 pad;
};

/**
 * struct hl_info_device_utilization - HL_INFO_DEVICE_UTILIZATION
 * @utilization: percent, 0 to 100.
 * @pad: zero.
 */
struct hl_info_device_utilization {
	__u32 utilization;
	__u32 pad;
};

/**
 * struct hl_info_clk_rate - HL_INFO_CLK_RATE
 * @cur_clk_rate_mhz: current clock, MHz.
 * @max_clk_rate_mhz: highest clock currently allowed, MHz.
 */
struct hl_info_clk_rate {
	__u32 cur_clk_rate_mhz;
	__u32 max_clk_rate_mhz;
};

/**
 * struct hl_info_reset_count - HL_INFO_RESET_COUNT
 * @hard_reset_cnt: hard resets since the driver loaded.
 * @soft_reset_cnt: soft resets since the driver loaded.
 */
struct hl_info_reset_count {
	__u32 hard_reset_cnt;
	__u32 soft_reset_cnt;
};

/**
 * struct hl_info_time_sync - HL_INFO_TIME_SYNC
 * @device_time: the device's timestamp counter.
 * @host_time: host time (ktime, ns) read together with @device_time.
 * @tsc_time: host CPU timestamp counter read together with @device_time.
 */
struct hl_info_time_sync {
	__u64 device_time;
	__u64 host_time;
	__u64 tsc_time;
};

/**
 * struct hl_info_pci_counters - HL_INFO_PCI_COUNTERS
 * @rx_throughput: PCIe receive throughput, KB/s.
 * @tx_throughput: PCIe transmit throughput, KB/s.
 * @replay_cnt: PCIe replay count.
 */
struct hl_info_pci_counters {
	__u64 rx_throughput;
	__u64 tx_throughput;
	__u64 replay_cnt;
};

/**
 * enum hl_clk_throttling_type - index into the arrays of
 * struct hl_info_clk_throttle.
 * @HL_CLK_THROTTLE_TYPE_POWER: throttled to stay in the power budget.
 * @HL_CLK_THROTTLE_TYPE_THERMAL: throttled because it ran hot.
 * @HL_CLK_THROTTLE_TYPE_MAX: count.
 */
enum hl_clk_throttling_type {
	HL_CLK_THROTTLE_TYPE_POWER,
	HL_CLK_THROTTLE_TYPE_THERMAL,
	HL_CLK_THROTTLE_TYPE_MAX
};

/* Bits of hl_info_clk_throttle.clk_throttling_reason. */
#define HL_CLK_THROTTLE_POWER		(1 << HL_CLK_THROTTLE_TYPE_POWER)
#define HL_CLK_THROTTLE_THERMAL		(1 << HL_CLK_THROTTLE_TYPE_THERMAL)

/**
 * struct hl_info_clk_throttle - HL_INFO_CLK_THROTTLE_REASON
 * @clk_throttling_reason: HL_CLK_THROTTLE_* bits of the reasons now active.
 * @pad: zero.
 * @clk_throttling_timestamp_us: per reason, host time (us) the throttling
 *	started.
 * @clk_throttling_duration_ns: per reason, how long it has lasted (ns).
 */
struct hl_info_clk_throttle {
	__u32 clk_throttling_reason;
	__u32 pad;
	__u64 clk_throttling_timestamp_us[HL_CLK_THROTTLE_TYPE_MAX];
	__u64 clk_throttling_duration_ns[HL_CLK_THROTTLE_TYPE_MAX];
};

/**
 * struct hl_info_energy - HL_INFO_TOTAL_ENERGY
 * @total_energy_consumption: energy the device consumed, as the firmware
 *	counts it.
 */
struct hl_info_energy {
	__u64 total_energy_consumption;
};

/* Outputs per PLL in struct hl_pll_frequency_info. */
#define HL_PLL_NUM_OUTPUTS 4

/**
 * struct hl_pll_frequency_info - HL_INFO_PLL_FREQUENCY
 * @output: frequency of each PLL output, MHz.
 */
struct hl_pll_frequency_info {
	__u16 output[HL_PLL_NUM_OUTPUTS];
};

/**
 * struct hl_open_stats_info - HL_INFO_OPEN_STATS
 * @open_counter: successful opens of the device since the driver loaded.
 * @last_open_period_ms: how long the device stayed open the last time, ms.
 * @is_compute_ctx_active: non-zero if some process holds the compute context.
 * @compute_ctx_in_release: non-zero if the compute context is being torn down.
 * @pad: zero.
 */
struct hl_open_stats_info {
	__u64 open_counter;
	__u64 last_open_period_ms;
	__u8 is_compute_ctx_active;
	__u8 compute_ctx_in_release;
	__u8 pad[6];
};

/**
 * struct hl_power_info - HL_INFO_POWER
 * @power: current power draw, as the firmware reports it.
 */
struct hl_power_info {
	__u64 power;
};

/**
 * struct hl_info_sync_manager - HL_INFO_SYNC_MANAGER
 * @first_available_sync_object: first sync object user CBs may use.
 * @first_available_monitor: first monitor user CBs may use.
 * @first_available_cq: first completion queue user space may use.
 * @reserved: reserved.
 */
struct hl_info_sync_manager {
	__u32 first_available_sync_object;
	__u32 first_available_monitor;
	__u32 first_available_cq;
	__u32 reserved;
};

/**
 * struct hl_info_cs_counters - HL_INFO_CS_COUNTERS
 *
 * Submissions the driver refused, by cause. Each total_* counts for the
 * whole device since the driver loaded, each ctx_* for the caller's context.
 *
 * @total_out_of_mem_drop_cnt: the driver ran out of memory.
 * @ctx_out_of_mem_drop_cnt: the driver ran out of memory.
 * @total_parsing_drop_cnt: a user CB failed the packet check.
 * @ctx_parsing_drop_cnt: a user CB failed the packet check.
 * @total_queue_full_drop_cnt: a queue had no room.
 * @ctx_queue_full_drop_cnt: a queue had no room.
 * @total_device_in_reset_drop_cnt: the device was resetting.
 * @ctx_device_in_reset_drop_cnt: the device was resetting.
 * @total_max_cs_in_flight_drop_cnt: too many submissions were in flight.
 * @ctx_max_cs_in_flight_drop_cnt: too many submissions were in flight.
 * @total_validation_drop_cnt: the arguments were invalid.
 * @ctx_validation_drop_cnt: the arguments were invalid.
 */
struct hl_info_cs_counters {
	__u64 total_out_of_mem_drop_cnt;
	__u64 ctx_out_of_mem_drop_cnt;
	__u64 total_parsing_drop_cnt;
	__u64 ctx_parsing_drop_cnt;
	__u64 total_queue_full_drop_cnt;
	__u64 ctx_queue_full_drop_cnt;
	__u64 total_device_in_reset_drop_cnt;
	__u64 ctx_device_in_reset_drop_cnt;
	__u64 total_max_cs_in_flight_drop_cnt;
	__u64 ctx_max_cs_in_flight_drop_cnt;
	__u64 total_validation_drop_cnt;
	__u64 ctx_validation_drop_cnt;
};

/**
 * struct hl_info_last_err_open_dev_time - HL_INFO_LAST_ERR_OPEN_DEV_TIME
 * @timestamp: when the device was opened, for the last open during which
 *	a CS timeout or an illegal access happened.
 */
struct hl_info_last_err_open_dev_time {
	__s64 timestamp;
};

/**
 * struct hl_info_cs_timeout_event - HL_INFO_CS_TIMEOUT_EVENT
 * @timestamp: when the last CS timeout happened.
 * @seq: sequence number of that CS.
 */
struct hl_info_cs_timeout_event {
	__s64 timestamp;
	__u64 seq;
};

/*
 * Illegal-access (RAZWI) reports. HL_RAZWI_NA_ENG_ID and the HL_RAZWI_*
 * flag bits are written with kernel macros (U16_MAX, BIT()); user space sees
 * their values as 0xffff and bits 0 to 5.
 */
/* Engine id meaning "not caused by an engine that has an id". */
#define HL_RAZWI_NA_ENG_ID U16_MAX
/* Length of hl_info_razwi_event.engine_id. */
#define HL_RAZWI_MAX_NUM_OF_ENGINES_PER_RTR 128
/* Bits of hl_info_razwi_event.flags; ASICs that cannot tell leave them 0. */
#define HL_RAZWI_READ		BIT(0)
#define HL_RAZWI_WRITE		BIT(1)
#define HL_RAZWI_LBW		BIT(2)
#define HL_RAZWI_HBW		BIT(3)
#define HL_RAZWI_RR		BIT(4)
#define HL_RAZWI_ADDR_DEC	BIT(5)

/**
 * struct hl_info_razwi_event - HL_INFO_RAZWI_EVENT
 * @timestamp: when it happened; 0 if nothing new was captured.
 * @addr: the address that was accessed.
 * @engine_id: the engines that may have made the access; when the hardware
 *	cannot name one engine, every candidate is listed.
 * @num_of_possible_engines: valid entries in @engine_id; 0 if the ASIC (for
 *	example Gaudi, at times) cannot tell.
 * @flags: HL_RAZWI_* bits: read or write, low (LBW) or high (HBW) bandwidth
 *	fabric, caught by a range register (RR) or by address decoding.
 * @pad: zero.
 */
struct hl_info_razwi_event {
	__s64 timestamp;
	__u64 addr;
	__u16 engine_id[HL_RAZWI_MAX_NUM_OF_ENGINES_PER_RTR];
	__u16 num_of_possible_engines;
	__u8 flags;
	__u8 pad[5];
};

/* Dimensions of hl_info_undefined_opcode_event.cb_addr_streams. */
#define MAX_QMAN_STREAMS_INFO		4
#define OPCODE_INFO_MAX_ADDR_SIZE	8

/**
 * struct hl_info_undefined_opcode_event - HL_INFO_UNDEFINED_OPCODE_EVENT
 * @timestamp: when it happened; 0 if nothing new was captured.
 * @cb_addr_streams: per stream, the CB addresses that were in the queue's
 *	ring when the error was seen.
 * @cq_addr: address of the CB being executed.
 * @cq_size: size of that CB.
 * @cb_addr_streams_len: streams filled in @cb_addr_streams: 1 if an upper
 *	CP (one stream) hit the opcode, 4 if the lower CP did.
 * @engine_id: engine whose queue hit the opcode.
 * @stream_id: stream that hit it; MAX_QMAN_STREAMS_INFO means the lower CP.
 */
struct hl_info_undefined_opcode_event {
	__s64 timestamp;
	__u64 cb_addr_streams[MAX_QMAN_STREAMS_INFO][OPCODE_INFO_MAX_ADDR_SIZE];
	__u64 cq_addr;
	__u32 cq_size;
	__u32 cb_addr_streams_len;
	__u32 engine_id;
	__u32 stream_id;
};

/**
 * struct hl_info_hw_err_event - HL_INFO_HW_ERR_EVENT
 * @timestamp: when it happened; 0 if nothing new was captured.
 * @event_id: the ASIC's asynchronous event id for the error.
 * @pad: zero.
 */
struct hl_info_hw_err_event {
	__s64 timestamp;
	__u16 event_id;
	__u16 pad[3];
};

/**
 * enum hl_info_fw_err_type - hl_info_fw_err_event.err_type
 * @HL_INFO_FW_HEARTBEAT_ERR: the firmware stopped answering heartbeats.
 * @HL_INFO_FW_REPORTED_ERR: the firmware reported an error event itself.
 */
enum hl_info_fw_err_type {
	HL_INFO_FW_HEARTBEAT_ERR,
	HL_INFO_FW_REPORTED_ERR,
};

/**
 * struct hl_info_fw_err_event - HL_INFO_FW_ERR_EVENT
 * @timestamp: when it happened; 0 if nothing new was captured.
 * @err_type: an enum hl_info_fw_err_type.
 * @event_id: the ASIC's event id, for HL_INFO_FW_REPORTED_ERR only.
 * @pad: zero.
 */
struct hl_info_fw_err_event {
	__s64 timestamp;
	__u16 err_type;
	__u16 event_id;
	__u32 pad;
};

/**
 * struct hl_info_engine_err_event - HL_INFO_USER_ENGINE_ERR_EVENT
 * @timestamp: when it happened.
 * @engine_id: engine that reported the error.
 * @error_count: errors it reported.
 * @pad: zero.
 */
struct hl_info_engine_err_event {
	__s64 timestamp;
	__u16 engine_id;
	__u16 error_count;
	__u32 pad;
};

/**
 * struct hl_info_dev_memalloc_page_sizes - HL_INFO_DEV_MEM_ALLOC_PAGE_SIZES
 * @page_order_bitmask: bit N set means HL_MEM_OP_ALLOC accepts a page size
 *	of 2^N bytes (so bits 20 and 25 are 1 MiB and 32 MiB pages).
 */
struct hl_info_dev_memalloc_page_sizes {
	__u64 page_order_bitmask;
};

/*
 * Buffer sizes of the attestation answers. Several are one or two bytes
 * short of a power of two: the firmware spends those on a length.
 */
#define SEC_PCR_DATA_BUF_SZ	256
#define SEC_PCR_QUOTE_BUF_SZ	510
#define SEC_SIGNATURE_BUF_SZ	255
#define SEC_PUB_DATA_BUF_SZ	510
#define SEC_CERTIFICATE_BUF_SZ	2046
#define SEC_DEV_INFO_BUF_SZ	5120

/**
 * struct hl_info_sec_attest - HL_INFO_SECURED_ATTESTATION
 * @nonce: the caller's nonce, echoed; it is also the qualifying data of the
 *	quote.
 * @pcr_quote_len: valid bytes in @pcr_quote.
 * @pub_data_len: valid bytes in @public_data.
 * @certificate_len: valid bytes in @certificate.
 * @pcr_num_reg: how many PCR registers @pcr_data holds.
 * @pcr_reg_len: bytes per PCR register in @pcr_data.
 * @quote_sig_len: valid bytes in @quote_sig.
 * @pcr_data: the PCR register values.
 * @pcr_quote: the attestation quote.
 * @quote_sig: signature over the quote.
 * @public_data: public key of the signing key (outPublic, name and
 *	qualifiedName).
 * @certificate: certificate of the signing key.
 * @pad0: zero.
 */
struct hl_info_sec_attest {
	__u32 nonce;
	__u16 pcr_quote_len;
	__u16 pub_data_len;
	__u16 certificate_len;
	__u8 pcr_num_reg;
	__u8 pcr_reg_len;
	__u8 quote_sig_len;
	__u8 pcr_data[SEC_PCR_DATA_BUF_SZ];
	__u8 pcr_quote[SEC_PCR_QUOTE_BUF_SZ];
	__u8 quote_sig[SEC_SIGNATURE_BUF_SZ];
	__u8 public_data[SEC_PUB_DATA_BUF_SZ];
	__u8 certificate[SEC_CERTIFICATE_BUF_SZ];
	__u8 pad0[2];
};

/**
 * struct hl_info_signed - HL_INFO_DEV_SIGNED
 * @nonce: the caller's nonce, echoed; it is signed with the data.
 * @pub_data_len: valid bytes in @public_data.
 * @certificate_len: valid bytes in @certificate.
 * @info_sig_len: valid bytes in @info_sig.
 * @public_data: public key of the signing key.
 * @certificate: certificate of the signing key.
 * @info_sig: signature over @dev_info and the nonce.
 * @dev_info_len: valid bytes in @dev_info.
 * @dev_info: the device information.
 * @pad: zero.
 */
struct hl_info_signed {
	__u32 nonce;
	__u16 pub_data_len;
	__u16 certificate_len;
	__u8 info_sig_len;
	__u8 public_data[SEC_PUB_DATA_BUF_SZ];
	__u8 certificate[SEC_CERTIFICATE_BUF_SZ];
	__u8 info_sig[SEC_SIGNATURE_BUF_SZ];
	__u16 dev_info_len;
	__u8 dev_info[SEC_DEV_INFO_BUF_SZ];
	__u8 pad[2];
};

/**
 * struct hl_page_fault_info - HL_INFO_PAGE_FAULT_EVENT
 * @timestamp: when it happened; 0 if nothing new was captured.
 * @addr: the device virtual address that faulted.
 * @engine_id: engine that faulted (Gaudi3 only).
 * @pad: zero.
 */
struct hl_page_fault_info {
	__s64 timestamp;
	__u64 addr;
	__u16 engine_id;
	__u8 pad[6];
};

/**
 * struct hl_user_mapping - one entry of the HL_INFO_USER_MAPPINGS array
 * @dev_va: device virtual address of the mapping.
 * @size: its size, bytes.
 */
struct hl_user_mapping {
	__u64 dev_va;
	__u64 size;
};

/**
 * enum gaudi_dcores - Gaudi's four DCOREs, for hl_info_args.dcore_id
 * @HL_GAUDI_WS_DCORE: west-south.
 * @HL_GAUDI_WN_DCORE: west-north.
 * @HL_GAUDI_EN_DCORE: east-north.
 * @HL_GAUDI_ES_DCORE: east-south.
 */
enum gaudi_dcores {
	HL_GAUDI_WS_DCORE,
	HL_GAUDI_WN_DCORE,
	HL_GAUDI_EN_DCORE,
	HL_GAUDI_ES_DCORE
};

/**
 * struct hl_info_args - argument of DRM_IOCTL_HL_INFO
 * @return_pointer: user address the answer is written to.
 * @return_size: size of the buffer at @return_pointer; the driver writes at
 *	most this many bytes. Most opcodes fail if it is 0.
 * @op: an HL_INFO_* opcode.
 * @dcore_id: HL_INFO_SYNC_MANAGER: the DCORE (enum gaudi_dcores on Gaudi).
 * @ctx_id: unused, zero.
 * @period_ms: HL_INFO_DEVICE_UTILIZATION: the averaging period.
 * @pll_index: HL_INFO_PLL_FREQUENCY: an enum hl_<asic>_pll_index.
 * @eventfd: HL_INFO_REGISTER_EVENTFD: the eventfd.
 * @user_buffer_actual_size: set by the driver to the bytes it wrote, for
 *	answers whose length varies (HL_INFO_ENGINE_STATUS).
 * @sec_attest_nonce: HL_INFO_SECURED_ATTESTATION, HL_INFO_DEV_SIGNED: the
 *	nonce.
 * @array_size: HL_INFO_USER_MAPPINGS: set by the driver to the entries it
 *	wrote.
 * @fw_sub_opcode: HL_INFO_FW_GENERIC_REQ: the request.
 * @pad: must be zero, or the call fails with EINVAL.
 */
struct hl_info_args {
	__u64 return_pointer;
	__u32 return_size;
	__u32 op;

	union {
		__u32 dcore_id;
		__u32 ctx_id;
		__u32 period_ms;
		__u32 pll_index;
		__u32 eventfd;
		__u32 user_buffer_actual_size;
		__u32 sec_attest_nonce;
		__u32 array_size;
		__u32 fw_sub_opcode;
	};

	__u32 pad;
};

/*
 * ===========================================================================
 * DRM_IOCTL_HL_MEMORY
 * ===========================================================================
 */

/**
 * DOC: MEMORY opcodes
 *
 * hl_mem_in.op selects the operation:
 *
 * - HL_MEM_OP_ALLOC: allocate device DRAM of hl_mem_in.alloc.mem_size bytes;
 *   out.handle names it. On Gaudi, DRAM is not behind the MMU and user space
 *   manages it by physical address itself: the driver only adds mem_size to
 *   the usage HL_INFO_DRAM_USAGE reports and returns handle 0.
 * - HL_MEM_OP_FREE: free the allocation in.free.handle. On Gaudi, subtract
 *   the size passed in the same first 64-bit word (in.alloc.mem_size) from
 *   the reported usage.
 * - HL_MEM_OP_MAP: map memory into the context's device virtual address
 *   space; out.device_virt_addr is where. With HL_MEM_USERPTR in flags, the
 *   driver pins the host range in.map_host.host_virt_addr/mem_size and maps
 *   it through the device MMU (the Gaudi case). Without it, in.map_device
 *   maps a DRAM allocation (not on Gaudi). A non-zero hint address is tried
 *   first (and required with HL_MEM_FORCE_HINT).
 * - HL_MEM_OP_UNMAP: undo the mapping at in.unmap.device_virt_addr.
 * - HL_MEM_OP_MAP_BLOCK: give user space a handle to mmap() one hardware
 *   register block at in.map_block.block_addr (configuration space only);
 *   out.block_handle is the mmap offset, out.block_size its length.
 * - HL_MEM_OP_EXPORT_DMABUF_FD: wrap device memory in a dma-buf and return
 *   its file descriptor in out.fd, for another driver (an RDMA NIC, say) to
 *   import. hl_mem_in.flags carries the file flags of the new descriptor
 *   (O_CLOEXEC, O_RDWR). On Gaudi, in.export_dmabuf_fd.addr is a physical
 *   DRAM address, the range must lie in the part of DRAM the PCI BAR
 *   exposes, and offset must be 0; later ASICs take an address returned by
 *   HL_MEM_OP_MAP and an offset into that mapping. The importer must be
 *   able to reach the device peer-to-peer over PCIe.
 * - HL_MEM_OP_TS_ALLOC: allocate a buffer of hl_mem_in.num_of_elements
 *   timestamps (at most TS_MAX_ELEMENTS_NUM) for interrupt waits that record
 *   completion times; out.handle is the mmap offset. It lives until the file
 *   is closed.
 */
#define HL_MEM_OP_ALLOC			0
#define HL_MEM_OP_FREE			1
#define HL_MEM_OP_MAP			2
#define HL_MEM_OP_UNMAP			3
#define HL_MEM_OP_MAP_BLOCK		4
#define HL_MEM_OP_EXPORT_DMABUF_FD	5
#define HL_MEM_OP_TS_ALLOC		6

/* hl_mem_in.flags for ALLOC and MAP. */
/* ALLOC: physically contiguous DRAM. */
#define HL_MEM_CONTIGUOUS	0x1
/* ALLOC: memory other contexts may map. */
#define HL_MEM_SHARED		0x2
/* MAP: map host memory (in.map_host) rather than a DRAM handle. */
#define HL_MEM_USERPTR		0x4
/* MAP: fail unless the hint address can be used. */
#define HL_MEM_FORCE_HINT	0x8
/* MAP: have the MMU prefetch the new translations, where supported. */
#define HL_MEM_PREFETCH		0x40

/**
 * struct hl_mem_in - input half of DRM_IOCTL_HL_MEMORY
 * @alloc: HL_MEM_OP_ALLOC.
 * @alloc.mem_size: bytes to allocate, non-zero.
 * @alloc.page_size: page size to allocate with; 0 for the default
 *	(hl_info_hw_ip_info.device_mem_alloc_default_page_size).
 * @free: HL_MEM_OP_FREE.
 * @free.handle: handle from HL_MEM_OP_ALLOC.
 * @map_device: HL_MEM_OP_MAP of a DRAM allocation.
 * @map_device.hint_addr: preferred device virtual address, or 0.
 * @map_device.handle: handle from HL_MEM_OP_ALLOC.
 * @map_host: HL_MEM_OP_MAP with HL_MEM_USERPTR.
 * @map_host.host_virt_addr: start of the host range (the process's address).
 * @map_host.hint_addr: preferred device virtual address, or 0.
 * @map_host.mem_size: length of the host range.
 * @map_block: HL_MEM_OP_MAP_BLOCK.
 * @map_block.block_addr: device address of the register block.
 * @unmap: HL_MEM_OP_UNMAP.
 * @unmap.device_virt_addr: address HL_MEM_OP_MAP returned.
 * @export_dmabuf_fd: HL_MEM_OP_EXPORT_DMABUF_FD.
 * @export_dmabuf_fd.addr: on Gaudi a physical DRAM address; on later ASICs
 *	an address HL_MEM_OP_MAP returned for DRAM.
 * @export_dmabuf_fd.mem_size: bytes to export.
 * @export_dmabuf_fd.offset: where the export starts within the mapping at
 *	addr; 0 on Gaudi.
 * @op: an HL_MEM_OP_* opcode.
 * @flags: HL_MEM_* flags; for HL_MEM_OP_EXPORT_DMABUF_FD, the file flags of
 *	the dma-buf descriptor.
 * @ctx_id: unused, zero.
 * @num_of_elements: HL_MEM_OP_TS_ALLOC: number of timestamps.
 *
 * The members of the anonymous union overlay each other; fill in the one
 * that belongs to @op.
 */
struct hl_mem_in {
	union {
		struct {
			__u64 mem_size;
			__u64 page_size;
		} alloc;

		struct {
			__u64 handle;
		} free;

		struct {
			__u64 hint_addr;
			__u64 handle;
		} map_device;

		struct {
			__u64 host_virt_addr;
			__u64 hint_addr;
			__u64 mem_size;
		} map_host;

		struct {
			__u64 block_addr;
		} map_block;

		struct {
			__u64 device_virt_addr;
		} unmap;

		struct {
			__u64 addr;
			__u64 mem_size;
			__u64 offset;
		} export_dmabuf_fd;
	};

	__u32 op;
	__u32 flags;
	__u32 ctx_id;
	__u32 num_of_elements;
};

/**
 * struct hl_mem_out - output half of DRM_IOCTL_HL_MEMORY
 * @device_virt_addr: HL_MEM_OP_MAP: the device virtual address of the
 *	mapping; 0 if it failed.
 * @handle: HL_MEM_OP_ALLOC: the allocation (0 on Gaudi);
 *	HL_MEM_OP_TS_ALLOC: the mmap offset of the buffer.
 * @block_handle: HL_MEM_OP_MAP_BLOCK: the mmap offset of the block.
 * @block_size: HL_MEM_OP_MAP_BLOCK: the bytes to mmap.
 * @pad: zero.
 * @fd: HL_MEM_OP_EXPORT_DMABUF_FD: the new dma-buf file descriptor.
 */
struct hl_mem_out {
	union {
		__u64 device_virt_addr;
		__u64 handle;

		struct {
			__u64 block_handle;
			__u32 block_size;
			__u32 pad;
		};

		__s32 fd;
	};
};

/**
 * union hl_mem_args - argument of DRM_IOCTL_HL_MEMORY
 * @in: filled in by the caller.
 * @out: filled in by the driver on success.
 */
union hl_mem_args {
	struct hl_mem_in in;
	struct hl_mem_out out;
};

/*
 * ===========================================================================
 * DRM_IOCTL_HL_CB
 * ===========================================================================
 */

/**
 * DOC: Command buffers
 *
 * A command buffer (CB) is a physically contiguous, DMA-coherent buffer the
 * driver allocates in host memory. User space writes QMAN packets into it
 * through an mmap() of its handle and names the handle in a CS job on an
 * external queue. The driver copies and checks every packet of such a job
 * before the hardware sees it: privileged packets are refused, and the
 * driver appends the packets that report the job's completion.
 *
 * - HL_CB_OP_CREATE: allocate a CB of hl_cb_in.cb_size bytes (at most
 *   HL_MAX_CB_SIZE, rounded up to at least one page); out.cb_handle is both
 *   its name and the offset to mmap() it at.
 * - HL_CB_OP_DESTROY: drop the handle in.cb_handle. The memory lives on
 *   until no submission and no mapping uses it.
 * - HL_CB_OP_INFO: out.usage_cnt tells how many submissions in flight use
 *   in.cb_handle; with HL_CB_FLAGS_GET_DEVICE_VA, out.device_va tells where
 *   the CB is mapped in the device MMU instead.
 */
#define HL_CB_OP_CREATE		0
#define HL_CB_OP_DESTROY	1
#define HL_CB_OP_INFO		2

/*
 * Largest CB: 2 MiB, less the 32 bytes the driver appends to each external
 * job (two MSG_PROT packets that write the completion and raise the MSI).
 */
#define HL_MAX_CB_SIZE		(0x200000 - 32)

/* CREATE: also map the CB in the context's device MMU. */
#define HL_CB_FLAGS_MAP			0x1

/* INFO: return the CB's device virtual address (a CB created with _MAP). */
#define HL_CB_FLAGS_GET_DEVICE_VA	0x2

/**
 * struct hl_cb_in - input half of DRM_IOCTL_HL_CB
 * @cb_handle: DESTROY, INFO: the CB; CREATE: 0.
 * @op: an HL_CB_OP_* opcode.
 * @cb_size: CREATE: bytes wanted; at most HL_MAX_CB_SIZE, at least a page is
 *	allocated.
 * @ctx_id: unused, zero.
 * @flags: HL_CB_FLAGS_* bits.
 */
struct hl_cb_in {
	__u64 cb_handle;
	__u32 op;
	__u32 cb_size;
	__u32 ctx_id;
	__u32 flags;
};

/**
 * struct hl_cb_out - output half of DRM_IOCTL_HL_CB
 * @cb_handle: CREATE: the new CB's handle and mmap offset.
 * @usage_cnt: INFO: submissions in flight that use the CB.
 * @pad: zero.
 * @device_va: INFO with HL_CB_FLAGS_GET_DEVICE_VA: the CB's device address.
 */
struct hl_cb_out {
	union {
		__u64 cb_handle;

		union {
			struct {
				__u32 usage_cnt;
				__u32 pad;
			};

			__u64 device_va;
		};
	};
};

/**
 * union hl_cb_args - argument of DRM_IOCTL_HL_CB
 * @in: filled in by the caller.
 * @out: filled in by the driver on success.
 */
union hl_cb_args {
	struct hl_cb_in in;
	struct hl_cb_out out;
};

/*
 * ===========================================================================
 * DRM_IOCTL_HL_CS
 * ===========================================================================
 */

/**
 * DOC: Command submission
 *
 * A command submission (CS) is a set of jobs, each one CB on one queue,
 * given as two arrays of struct hl_cs_chunk: the restore jobs, which run
 * only for the first CS after a context switch (or always, with
 * HL_CS_FLAGS_FORCE_RESTORE), and the execute jobs. Each array holds at
 * most HL_MAX_JOBS_PER_CS jobs.
 *
 * The call returns once the jobs are queued, with a sequence number in
 * hl_cs_out.seq; DRM_IOCTL_HL_WAIT_CS waits for it. On Goya and Gaudi only
 * jobs on external queues report completion: a CS counts as done when
 * they are, although its internal jobs may still run. Sequence numbers
 * grow per submission, but a CS may finish before an earlier one; only
 * wait for the ones you need.
 *
 * A CS that does not complete within the timeout (the driver's, or
 * hl_cs_in.timeout seconds with HL_CS_FLAGS_CUSTOM_TIMEOUT) makes the
 * driver reset the device, unless HL_CS_FLAGS_SKIP_RESET_ON_TIMEOUT.
 *
 * Special submissions take no CBs: SIGNAL, WAIT and COLLECTIVE_WAIT (at
 * most one of them per CS) make the driver generate sync-object packets on
 * the queue of the single chunk; RESERVE/UNRESERVE_SIGNALS_ONLY reserve a
 * range of a sync object's signals for user CBs to raise themselves
 * (encapsulated signals, later waited for with HL_CS_FLAGS_ENCAP_SIGNALS);
 * ENGINE_CORE_COMMAND and ENGINES_COMMAND halt or run engines (Gaudi2 on);
 * FLUSH_PCI_HBW_WRITES blocks until posted PCI writes reached the device,
 * and returns no usable sequence number.
 *
 * A staged submission spreads one CS over several calls: the first carries
 * STAGED_SUBMISSION | STAGED_SUBMISSION_FIRST, the others STAGED_SUBMISSION
 * and the first call's sequence number in hl_cs_in.seq, the last also
 * STAGED_SUBMISSION_LAST. HL_CS_FLAGS_TIMESTAMP asks for the completion
 * time in hl_wait_cs_out.timestamp_nsec.
 */

/* hl_cs_chunk.cs_chunk_flags: cb_handle is a device address of a CB that
 * user space allocated and mapped with HL_MEM_OP_MAP (Gaudi2 on); such a CB
 * may exceed HL_MAX_CB_SIZE.
 */
#define HL_CS_CHUNK_FLAGS_USER_ALLOC_CB 0x1

/**
 * struct hl_cs_chunk - one job of a CS; 64 bytes, and it must stay so
 * @cb_handle: the CB. On an external queue (Gaudi: DMA_0 and DMA_1) the
 *	handle of a kernel CB; on an internal queue the device address of the
 *	CB: SRAM, DRAM, or host memory mapped with HL_MEM_OP_MAP.
 * @signal_seq_arr: WAIT, COLLECTIVE_WAIT: user address of an array of __u64
 *	sequence numbers of SIGNAL submissions to wait for.
 * @encaps_signal_seq: WAIT with ENCAP_SIGNALS: sequence number of the CS
 *	that holds the encapsulated signals.
 * @queue_index: the queue, an enum <asic>_queue_id.
 * @cb_size: bytes of valid packets in the CB (may be less than its size).
 * @num_signal_seq_arr: WAIT, COLLECTIVE_WAIT: entries in @signal_seq_arr.
 * @encaps_signal_offset: WAIT with ENCAP_SIGNALS: which of the reserved
 *	signals to wait for, counted from the start of the reservation.
 * @cs_chunk_flags: HL_CS_CHUNK_FLAGS_* bits.
 * @collective_engine_id: COLLECTIVE_WAIT: the engine that, with all NICs,
 *	must reach the point the wait describes.
 * @pad: zero.
 */
struct hl_cs_chunk {
	union {
		__u64 cb_handle;
		__u64 signal_seq_arr;
		__u64 encaps_signal_seq;
	};

	__u32 queue_index;

	union {
		__u32 cb_size;
		__u32 num_signal_seq_arr;
		__u32 encaps_signal_offset;
	};

	__u32 cs_chunk_flags;
	__u32 collective_engine_id;
	__u32 pad[10];
};

/* hl_cs_in.cs_flags. SIGNAL, WAIT and COLLECTIVE_WAIT exclude each other. */
/* Run the restore jobs even without a context switch. */
#define HL_CS_FLAGS_FORCE_RESTORE		0x1
/* Signal a sync object when the queue reaches this point. */
#define HL_CS_FLAGS_SIGNAL			0x2
/* Make the queue wait for earlier SIGNAL submissions. */
#define HL_CS_FLAGS_WAIT			0x4
/* Make the queue wait for a signal together with all NICs. */
#define HL_CS_FLAGS_COLLECTIVE_WAIT		0x8
/* Record the completion time for WAIT_CS. (0x10 is not a flag.) */
#define HL_CS_FLAGS_TIMESTAMP			0x20
/* Part of a CS spread over several calls. */
#define HL_CS_FLAGS_STAGED_SUBMISSION		0x40
/* The first part of a staged CS. */
#define HL_CS_FLAGS_STAGED_SUBMISSION_FIRST	0x80
/* The last part of a staged CS. */
#define HL_CS_FLAGS_STAGED_SUBMISSION_LAST	0x100
/* hl_cs_in.timeout replaces the driver's timeout. */
#define HL_CS_FLAGS_CUSTOM_TIMEOUT		0x200
/* Do not reset the device if this CS times out. */
#define HL_CS_FLAGS_SKIP_RESET_ON_TIMEOUT	0x400
/* The CS raises, or waits for, reserved (encapsulated) signals. */
#define HL_CS_FLAGS_ENCAP_SIGNALS		0x800
/* Reserve signals only; no jobs. */
#define HL_CS_FLAGS_RESERVE_SIGNALS_ONLY	0x1000
/* Release a reservation only; no jobs. */
#define HL_CS_FLAGS_UNRESERVE_SIGNALS_ONLY	0x2000
/* Send hl_cs_in.core_command to engine cores; no jobs. */
#define HL_CS_FLAGS_ENGINE_CORE_COMMAND		0x4000
/* Wait until the device has received all posted PCI writes; no jobs. */
#define HL_CS_FLAGS_FLUSH_PCI_HBW_WRITES	0x8000
/* Send hl_cs_in.engine_command to engines; no jobs. */
#define HL_CS_FLAGS_ENGINES_COMMAND		0x10000

/* hl_cs_out.status of a CS that was accepted. */
#define HL_CS_STATUS_SUCCESS		0

/* Most jobs in either array of one CS. */
#define HL_MAX_JOBS_PER_CS		512

/**
 * enum hl_engine_command - hl_cs_in.core_command and engine_command
 * @HL_ENGINE_CORE_HALT: halt the engine cores.
 * @HL_ENGINE_CORE_RUN: let the engine cores run.
 * @HL_ENGINE_STALL: stall the engines.
 * @HL_ENGINE_RESUME: resume stalled engines.
 * @HL_ENGINE_COMMAND_MAX: one past the last command.
 */
enum hl_engine_command {
	HL_ENGINE_CORE_HALT = 1,
	HL_ENGINE_CORE_RUN = 2,
	HL_ENGINE_STALL = 3,
	HL_ENGINE_RESUME = 4,
	HL_ENGINE_COMMAND_MAX
};

/**
 * struct hl_cs_in - input half of DRM_IOCTL_HL_CS
 * @chunks_restore: user address of the restore jobs (struct hl_cs_chunk[]).
 * @chunks_execute: user address of the execute jobs (struct hl_cs_chunk[]).
 * @engine_cores: ENGINE_CORE_COMMAND: user address of a __u32 array of
 *	engine core ids.
 * @num_engine_cores: ENGINE_CORE_COMMAND: entries in @engine_cores.
 * @core_command: ENGINE_CORE_COMMAND: an enum hl_engine_command.
 * @engines: ENGINES_COMMAND: user address of a __u32 array of engine ids.
 * @num_engines: ENGINES_COMMAND: entries in @engines.
 * @engine_command: ENGINES_COMMAND: an enum hl_engine_command.
 * @seq: STAGED_SUBMISSION without _FIRST: sequence number of the staged
 *	CS's first part.
 * @encaps_sig_handle_id: the reservation handle, for a first staged part
 *	with ENCAP_SIGNALS, or for UNRESERVE_SIGNALS_ONLY.
 * @encaps_signals_count: RESERVE_SIGNALS_ONLY: how many signals to reserve.
 * @encaps_signals_q_idx: RESERVE_SIGNALS_ONLY: the queue (stream) they are
 *	for.
 * @num_chunks_restore: entries at @chunks_restore.
 * @num_chunks_execute: entries at @chunks_execute.
 * @timeout: CUSTOM_TIMEOUT: seconds.
 * @cs_flags: HL_CS_FLAGS_* bits.
 * @ctx_id: unused, zero.
 * @pad: zero.
 */
struct hl_cs_in {

	union {
		struct {
			__u64 chunks_restore;
			__u64 chunks_execute;
		};

		struct {
			__u64 engine_cores;
			__u32 num_engine_cores;
			__u32 core_command;
		};

		struct {
			__u64 engines;
			__u32 num_engines;
			__u32 engine_command;
		};
	};

	union {
		__u64 seq;
		__u32 encaps_sig_handle_id;

		struct {
			__u32 encaps_signals_count;
			__u32 encaps_signals_q_idx;
		};
	};

	__u32 num_chunks_restore;
	__u32 num_chunks_execute;
	__u32 timeout;
	__u32 cs_flags;
	__u32 ctx_id;
	__u8 pad[4];
};

/**
 * struct hl_cs_out - output half of DRM_IOCTL_HL_CS
 * @seq: the CS's sequence number, for DRM_IOCTL_HL_WAIT_CS; never 0 nor
 *	all ones.
 * @handle_id: RESERVE_SIGNALS_ONLY: the reservation handle.
 * @count: RESERVE_SIGNALS_ONLY: the signals reserved.
 * @status: HL_CS_STATUS_SUCCESS.
 * @sob_base_addr_offset: RESERVE_SIGNALS_ONLY, SIGNAL: offset from CFG_BASE
 *	of the sync object used, for user CBs to increment.
 * @sob_count_before_submission: SIGNAL, or a staged ENCAP_SIGNALS part: the
 *	sync object's value before this submission's signals.
 * @pad: zero.
 */
struct hl_cs_out {
	union {
		__u64 seq;

		struct {
			__u32 handle_id;
			__u32 count;
		};
	};

	__u32 status;
	__u32 sob_base_addr_offset;
	__u16 sob_count_before_submission;
	__u16 pad[3];
};

/**
 * union hl_cs_args - argument of DRM_IOCTL_HL_CS
 * @in: filled in by the caller.
 * @out: filled in by the driver on success.
 */
union hl_cs_args {
	struct hl_cs_in in;
	struct hl_cs_out out;
};

/*
 * ===========================================================================
 * DRM_IOCTL_HL_WAIT_CS
 * ===========================================================================
 */

/**
 * DOC: Waiting
 *
 * Without flags, DRM_IOCTL_HL_WAIT_CS waits for the CS hl_wait_cs_in.seq
 * for up to timeout_us microseconds; 0 only polls. It returns 0 with
 * hl_wait_cs_out.status HL_WAIT_CS_STATUS_COMPLETED or, when the time ran
 * out first, HL_WAIT_CS_STATUS_BUSY. It fails with EINTR when a signal
 * interrupts the wait, ETIMEDOUT when the CS timed out on the device, EIO
 * when it was aborted (usually by a device reset), and ENODEV when the
 * device needs a hard reset: close the file descriptor then. A sequence
 * number the driver no longer tracks counts as completed, with
 * HL_WAIT_CS_STATUS_FLAG_GONE.
 *
 * With HL_WAIT_CS_FLAGS_MULTI_CS, seq is the user address of an array of
 * seq_arr_len (at most HL_WAIT_MULTI_CS_LIST_MAX_LEN) sequence numbers and
 * the call returns when any of them completes; cs_completion_map has bit i
 * set for each entry i that completed.
 *
 * With HL_WAIT_CS_FLAGS_INTERRUPT (Gaudi2 on), the call waits for a user
 * interrupt, whose id is put in the bits of HL_WAIT_CS_FLAGS_INTERRUPT_MASK,
 * until the __u64 at addr reaches target, or the counter in a kernel CB
 * (HL_WAIT_CS_FLAGS_INTERRUPT_KERNEL_CQ) does; with
 * HL_WAIT_CS_FLAGS_REGISTER_INTERRUPT it only registers that a timestamp be
 * written to a HL_MEM_OP_TS_ALLOC buffer when it happens.
 */

/* hl_wait_cs_in.flags. */
/* Wait for a user interrupt instead of a CS. */
#define HL_WAIT_CS_FLAGS_INTERRUPT		0x2
/* The bits of flags that carry the interrupt id. */
#define HL_WAIT_CS_FLAGS_INTERRUPT_MASK		0xFFF00000
/* Interrupt id meaning "any completion-queue interrupt". */
#define HL_WAIT_CS_FLAGS_ANY_CQ_INTERRUPT	0xFFF00000
/* Interrupt id meaning "any decoder interrupt". */
#define HL_WAIT_CS_FLAGS_ANY_DEC_INTERRUPT	0xFFE00000
/* seq is the address of an array of sequence numbers. */
#define HL_WAIT_CS_FLAGS_MULTI_CS		0x4
/* The counter to compare lives in a kernel CB (cq_counters_handle). */
#define HL_WAIT_CS_FLAGS_INTERRUPT_KERNEL_CQ	0x10
/* Do not wait; record the interrupt's timestamp in a timestamp buffer. */
#define HL_WAIT_CS_FLAGS_REGISTER_INTERRUPT	0x20

/* Most sequence numbers in one HL_WAIT_CS_FLAGS_MULTI_CS wait. */
#define HL_WAIT_MULTI_CS_LIST_MAX_LEN	32

/**
 * struct hl_wait_cs_in - input half of DRM_IOCTL_HL_WAIT_CS
 * @seq: the CS's sequence number; with MULTI_CS the user address of an
 *	array of them.
 * @timeout_us: how long to wait, microseconds; 0 polls.
 * @addr: INTERRUPT: user address of the __u64 compared with @target;
 *	all ones means do not compare.
 * @cq_counters_handle: INTERRUPT_KERNEL_CQ: handle of the kernel CB that
 *	holds the counters.
 * @target: INTERRUPT: the value to wait for.
 * @ctx_id: unused, zero.
 * @flags: HL_WAIT_CS_FLAGS_* bits, and the interrupt id for INTERRUPT.
 * @seq_arr_len: MULTI_CS: entries in the @seq array.
 * @pad: zero.
 * @interrupt_timeout_us: INTERRUPT: how long to wait, microseconds.
 * @cq_counters_offset: INTERRUPT_KERNEL_CQ: offset of the counter in the CB.
 * @timestamp_handle: REGISTER_INTERRUPT: the timestamp buffer
 *	(HL_MEM_OP_TS_ALLOC).
 * @timestamp_offset: REGISTER_INTERRUPT: where in it to write.
 */
struct hl_wait_cs_in {
	union {
		struct {
			__u64 seq;
			__u64 timeout_us;
		};

		struct {
			union {
				__u64 addr;
				__u64 cq_counters_handle;
			};

			__u64 target;
		};
	};

	__u32 ctx_id;
	__u32 flags;

	union {
		struct {
			__u8 seq_arr_len;
			__u8 pad[7];
		};

		__u64 interrupt_timeout_us;
	};

	__u64 cq_counters_offset;
	__u64 timestamp_handle;
	__u64 timestamp_offset;
};

/* hl_wait_cs_out.status. */
/* It completed. */
#define HL_WAIT_CS_STATUS_COMPLETED	0
/* It has not completed yet. */
#define HL_WAIT_CS_STATUS_BUSY		1
/* It timed out on the device (the call fails with ETIMEDOUT). */
#define HL_WAIT_CS_STATUS_TIMEDOUT	2
/* It was aborted (the call fails with EIO). */
#define HL_WAIT_CS_STATUS_ABORTED	3

/* hl_wait_cs_out.flags. */
/* The CS completed so long ago that the driver forgot it. */
#define HL_WAIT_CS_STATUS_FLAG_GONE		0x1
/* timestamp_nsec is valid. */
#define HL_WAIT_CS_STATUS_FLAG_TIMESTAMP_VLD	0x2

/**
 * struct hl_wait_cs_out - output half of DRM_IOCTL_HL_WAIT_CS
 * @status: an HL_WAIT_CS_STATUS_* value.
 * @flags: HL_WAIT_CS_STATUS_FLAG_* bits.
 * @timestamp_nsec: with HL_WAIT_CS_STATUS_FLAG_TIMESTAMP_VLD, when the CS
 *	(with MULTI_CS: the first one) completed.
 * @cs_completion_map: MULTI_CS: bit i set if entry i of the array completed.
 * @pad: zero.
 */
struct hl_wait_cs_out {
	__u32 status;
	__u32 flags;
	__s64 timestamp_nsec;
	__u32 cs_completion_map;
	__u32 pad;
};

/**
 * union hl_wait_cs_args - argument of DRM_IOCTL_HL_WAIT_CS
 * @in: filled in by the caller.
 * @out: filled in by the driver on return.
 */
union hl_wait_cs_args {
	struct hl_wait_cs_in in;
	struct hl_wait_cs_out out;
};

/*
 * ===========================================================================
 * DRM_IOCTL_HL_DEBUG
 * ===========================================================================
 */

/**
 * DOC: Debug and profiling
 *
 * The trace blocks (CoreSight ETR, ETF, STM, funnels, bus monitors, SPMU
 * counters) are shared by the whole device. The compute context first
 * switches the device into debug mode with HL_DEBUG_OP_SET_MODE (enable 1;
 * fails if it already is) and switches it off again when done (enable 0,
 * which also halts the tracing). The other ops fail unless the device is
 * in debug mode. Each programs one block: hl_debug_args.reg_idx names the
 * block instance (an ASIC-specific index), input_ptr points at the
 * hl_debug_params_* structure of the op.
 */
#define HL_DEBUG_OP_ETR		0
#define HL_DEBUG_OP_ETF		1
#define HL_DEBUG_OP_STM		2
#define HL_DEBUG_OP_FUNNEL	3
#define HL_DEBUG_OP_BMON	4
#define HL_DEBUG_OP_SPMU	5
/* No longer does anything. */
#define HL_DEBUG_OP_TIMESTAMP	6
#define HL_DEBUG_OP_SET_MODE	7

/* Length of hl_debug_params_spmu.event_types. */
#define HL_DEBUG_MAX_AUX_VALUES		10

/**
 * struct hl_debug_params_etr - HL_DEBUG_OP_ETR
 * @buffer_address: device address of the trace buffer.
 * @buffer_size: its size.
 * @sink_mode: software FIFO, hardware FIFO or circular buffer.
 * @pad: zero.
 */
struct hl_debug_params_etr {
	__u64 buffer_address;
	__u64 buffer_size;
	__u32 sink_mode;
	__u32 pad;
};

/**
 * struct hl_debug_params_etf - HL_DEBUG_OP_ETF
 * @buffer_address: device address of the trace buffer.
 * @buffer_size: its size.
 * @sink_mode: software FIFO, hardware FIFO or circular buffer.
 * @pad: zero.
 */
struct hl_debug_params_etf {
	__u64 buffer_address;
	__u64 buffer_size;
	__u32 sink_mode;
	__u32 pad;
};

/**
 * struct hl_debug_params_stm - HL_DEBUG_OP_STM
 * @he_mask: hardware events to trace.
 * @sp_mask: stimulus ports to trace.
 * @id: trace source id.
 * @frequency: frequency of the timestamp counter.
 */
struct hl_debug_params_stm {
	__u64 he_mask;
	__u64 sp_mask;
	__u32 id;
	__u32 frequency;
};

/**
 * struct hl_debug_params_bmon - HL_DEBUG_OP_BMON
 * @start_addr0: first filter range: base address.
 * @addr_mask0: first filter range: address mask.
 * @start_addr1: second filter range: base address.
 * @addr_mask1: second filter range: address mask.
 * @bw_win: bandwidth window.
 * @win_capture: capture window.
 * @id: trace source id.
 * @control: value of the control register.
 * @start_addr2: third filter range: start.
 * @end_addr2: third filter range: end.
 * @start_addr3: fourth filter range: start.
 * @end_addr3: fourth filter range: end.
 */
struct hl_debug_params_bmon {
	__u64 start_addr0;
	__u64 addr_mask0;
	__u64 start_addr1;
	__u64 addr_mask1;
	__u32 bw_win;
	__u32 win_capture;
	__u32 id;
	__u32 control;
	__u64 start_addr2;
	__u64 end_addr2;
	__u64 start_addr3;
	__u64 end_addr3;
};

/**
 * struct hl_debug_params_spmu - HL_DEBUG_OP_SPMU
 * @event_types: the events to count.
 * @event_types_num: entries used in @event_types.
 * @pmtrc_val: value of the PMTRC register.
 * @trc_ctrl_host_val: value of the TRC_CTRL register.
 * @trc_en_host_val: value of the TRC_EN register.
 */
struct hl_debug_params_spmu {
	__u64 event_types[HL_DEBUG_MAX_AUX_VALUES];
	__u32 event_types_num;
	__u32 pmtrc_val;
	__u32 trc_ctrl_host_val;
	__u32 trc_en_host_val;
};

/**
 * struct hl_debug_args - argument of DRM_IOCTL_HL_DEBUG
 * @input_ptr: user address of the op's hl_debug_params_* structure.
 * @output_ptr: user address of the op's output, if it has one.
 * @input_size: size of the structure at @input_ptr.
 * @output_size: size of the buffer at @output_ptr.
 * @op: an HL_DEBUG_OP_* opcode.
 * @reg_idx: which instance of the block (an ASIC-specific index).
 * @enable: 1 to switch the block (or, for SET_MODE, debug mode) on, 0 off.
 * @ctx_id: unused, zero.
 */
struct hl_debug_args {
	__u64 input_ptr;
	__u64 output_ptr;
	__u32 input_size;
	__u32 output_size;
	__u32 op;
	__u32 reg_idx;
	__u32 enable;
	__u32 ctx_id;
};

#endif /* HABANALABS_H_ */
