/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The test importer's interface (/dev/hl_importer): it imports a dma-buf on behalf of a PCI
 * device the way RDMA drivers do, and reports the DMA addresses it got.
 */
#ifndef HL_IMPORTER_H
#define HL_IMPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* How to attach. */
#define HLI_DYNAMIC	0	/* mlx5: dynamic, peer-to-peer allowed, revocable */
#define HLI_PINNED	1	/* efa: peer-to-peer allowed, pinned, not revocable */
#define HLI_STATIC	2	/* an importer that does not take peer-to-peer memory */
#define HLI_NO_PCI	3	/* dynamic, on behalf of a device with no PCI path to the exporter */
#define HLI_PINNED_REVOCABLE 4	/* irdma: pinned, but revocable (unmaps and unpins when told) */

#define HLI_MAX_ENTRIES	64

struct hli_import {
	__s32 fd;			/* in: the dma-buf */
	__u32 mode;			/* in: HLI_* */
	char pci_dev[32];		/* in: the importing device, "0000:04:00.0" */
	__u32 nents;			/* out: entries of the mapping */
	__u32 max_seg;			/* out: the importing device's largest DMA segment */
	__u64 size;			/* out: the dma-buf's size */
	__u64 addr[HLI_MAX_ENTRIES];	/* out: the first entries' DMA addresses */
	__u32 len[HLI_MAX_ENTRIES];	/* out: and lengths */
	__u32 seg_limit;		/* in: if not 0, the importing device's largest DMA
					 * segment while it maps (a NIC with smaller segments) */
	__u32 pad;
};

/* Attach and map; keeps both until HLI_RELEASE or close. */
#define HLI_IMPORT	_IOWR('H', 1, struct hli_import)
/* Unmap, detach, drop the dma-buf. Returns how many times the exporter revoked the mapping. */
#define HLI_RELEASE	_IO('H', 2)
/* Map again if the exporter revoked the mapping: 0, or the exporter's error. */
#define HLI_REMAP	_IO('H', 3)
/* How many times the exporter revoked the mapping; whether a mapping is held (bit 16). */
#define HLI_STATE	_IO('H', 4)

#endif
