/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The upstream Gaudi hardware headers whose facts hl-model states in its own code. bindgen
 * turns this into Rust for the fidelity test (see fidelity.rs); nothing of it is compiled into
 * the model.
 */
#include <linux/types.h>
#include "gaudi/gaudi.h"
#include "gaudi/gaudi_reg_map.h"
#include "gaudi/gaudi_packets.h"
#include "gaudi/gaudi_async_events.h"
#include "gaudi/gaudi_fw_if.h"
#include "gaudi/asic_reg/gaudi_regs.h"
#include "common/qman_if.h"
#include "hw_ip/mmu/mmu_general.h"
#include "hw_ip/mmu/mmu_v1_1.h"
#include "cpucp_if.h"
#include "hl_boot_if.h"
#include "gaudi/gaudi_masks.h"
#include "gaudi/asic_reg/dma0_qm_masks.h"
#include "gaudi/asic_reg/dma0_core_masks.h"
