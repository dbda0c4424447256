// SPDX-License-Identifier: GPL-2.0
//! Holds the model's statement of the hardware interface against the upstream headers.
//!
//! Built only with the `fidelity` feature: `scripts/fidelity.sh` runs bindgen over
//! `fidelity/upstream.h` (the kernel source's Gaudi headers) and points `HLRS_UPSTREAM_RS` at the
//! result and `HLRS_KERNEL_SRC` at the source, for the few facts that live in C initialisers or
//! private headers bindgen cannot read. Every constant, bit field and layout the model uses is
//! compared; all mismatches are reported at once.

#[allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code,
    unnecessary_transmutes,
    clippy::all
)]
mod upstream {
    include!(env!("HLRS_UPSTREAM_RS"));
}

use crate::{device, fw, host, mmu, packets, pci_cfg, qman, regs};
use core::mem::{offset_of, size_of};
use upstream as up;

/// Reads a file of the kernel source.
fn source(path: &str) -> String {
    let root = env!("HLRS_KERNEL_SRC");
    std::fs::read_to_string(format!("{root}/{path}"))
        .unwrap_or_else(|e| panic!("{root}/{path}: {e}"))
}

/// The value of `#define NAME VALUE` in a source text.
fn define(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("#define") && w.next() == Some(name))
                .then(|| w.next())
                .flatten()
        })
        .map(|v| v.trim_end_matches("ull").trim_end_matches("ULL"))
        .and_then(|v| u64::from_str_radix(v.trim_start_matches("0x"), 16).ok())
        .unwrap_or_else(|| panic!("no #define {name}"))
}

/// The highest value among the `#define`s whose name starts with `prefix` (the last register
/// of a block).
fn highest(text: &str, prefix: &str) -> u64 {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("#define") && w.next()?.starts_with(prefix)).then(|| w.next())?
        })
        .filter_map(|v| u64::from_str_radix(v.trim_start_matches("0x"), 16).ok())
        .max()
        .unwrap_or_else(|| panic!("no #define {prefix}*"))
}

/// The device-CPU interrupt number of event `fc_id` in the upstream id map.
fn cpu_id(map: &str, fc_id: u32) -> u64 {
    let key = format!(".fc_id = {fc_id},");
    map.lines()
        .find(|l| l.contains(&key))
        .and_then(|l| l.split(".cpu_id = ").nth(1))
        .and_then(|r| r.split(',').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no cpu_id for fc_id {fc_id}"))
}

#[test]
fn model_matches_the_upstream_headers() {
    let mut checks: Vec<(&str, u64, u64)> = vec![];
    macro_rules! same {
        ($ours:expr, $theirs:expr) => {
            checks.push((stringify!($ours), ($ours) as u64, ($theirs) as u64))
        };
    }
    let cfg = |abs: u64| abs - up::CFG_BASE;

    // Address map and BARs.
    same!(regs::CFG_BASE, up::CFG_BASE);
    same!(regs::REGS_SIZE, up::CFG_SIZE);
    same!(regs::SPI_FLASH_BASE, up::SPI_FLASH_BASE_ADDR);
    same!(regs::SRAM_BASE, up::SRAM_BASE_ADDR);
    same!(device::SRAM_SIZE, up::SRAM_SIZE);
    same!(device::SRAM_BAR_SIZE, up::SRAM_BAR_SIZE);
    same!(device::CFG_BAR_SIZE, up::CFG_BAR_SIZE);
    same!(device::SRAM_BAR, up::SRAM_BAR_ID);
    same!(device::CFG_BAR, up::CFG_BAR_ID);
    same!(device::HBM_BAR, up::HBM_BAR_ID);
    same!(host::HOST_PHYS_BASE, up::HOST_PHYS_BASE);
    same!(host::HOST_PHYS_SIZE, up::HOST_PHYS_SIZE);
    let drv = source("drivers/accel/habanalabs/common/habanalabs_drv.c");
    same!(pci_cfg::DEVICE_ID, define(&drv, "PCI_IDS_GAUDI"));

    // PCIe, PSOC and boot scratchpads.
    same!(regs::PCIE_CORE_MSI_REQ, up::mmPCIE_CORE_MSI_REQ);
    same!(regs::PCIE_AUX_DBI, up::mmPCIE_AUX_DBI);
    same!(regs::PCIE_AUX_FLR_CTRL, up::mmPCIE_AUX_FLR_CTRL);
    same!(regs::PCIE_DBI_BASE, cfg(up::mmPCIE_DBI_BASE));
    same!(
        regs::PREBOOT_PCIE_EN,
        up::mmPSOC_GLOBAL_CONF_COLD_RST_FLOPS_1
    );
    same!(
        regs::BOOT_SEQ_RE_START,
        up::mmPSOC_GLOBAL_CONF_BOOT_SEQ_RE_START
    );
    same!(regs::BTM_FSM, up::mmPSOC_GLOBAL_CONF_BTM_FSM);
    same!(regs::HW_STATE, up::mmPSOC_GLOBAL_CONF_SCRATCHPAD_0);
    same!(
        regs::CPU_BOOT_DEV_STS0,
        up::mmPSOC_GLOBAL_CONF_SCRATCHPAD_20
    );
    same!(
        regs::CPU_BOOT_DEV_STS1,
        up::mmPSOC_GLOBAL_CONF_SCRATCHPAD_21
    );
    same!(
        regs::CPU_CMD_STATUS_TO_HOST,
        up::mmPSOC_GLOBAL_CONF_SCRATCHPAD_23
    );
    same!(regs::CPU_BOOT_ERR0, up::mmPSOC_GLOBAL_CONF_SCRATCHPAD_24);
    same!(regs::CPU_BOOT_ERR1, up::mmPSOC_GLOBAL_CONF_SCRATCHPAD_25);
    same!(
        regs::PREBOOT_VER_OFFSET,
        up::mmPSOC_GLOBAL_CONF_SCRATCHPAD_28
    );
    same!(regs::UBOOT_VER_OFFSET, up::mmPSOC_GLOBAL_CONF_SCRATCHPAD_29);
    same!(
        regs::CPU_BOOT_STATUS,
        up::mmPSOC_GLOBAL_CONF_CPU_BOOT_STATUS
    );
    same!(regs::KMD_MSG_TO_CPU, up::mmPSOC_GLOBAL_CONF_KMD_MSG_TO_CPU);
    same!(
        regs::SW_ALL_RST_CFG_L,
        up::mmPSOC_GLOBAL_CONF_SW_ALL_RST_CFG_L
    );
    same!(
        regs::SW_ALL_RST_CFG_H,
        up::mmPSOC_GLOBAL_CONF_SW_ALL_RST_CFG_H
    );
    same!(regs::SW_ALL_RST, up::mmPSOC_GLOBAL_CONF_SW_ALL_RST);
    same!(regs::SOFT_RST_CFG_L, up::mmPSOC_GLOBAL_CONF_SOFT_RST_CFG_L);
    same!(regs::SOFT_RST_CFG_H, up::mmPSOC_GLOBAL_CONF_SOFT_RST_CFG_H);

    // CPU interface and the GIC doorbell.
    same!(regs::CPU_IF_PF_PQ_PI, up::mmCPU_IF_PF_PQ_PI);
    same!(regs::CPU_IF_PQ_BASE_ADDR_LOW, up::mmCPU_IF_PQ_BASE_ADDR_LOW);
    same!(
        regs::CPU_IF_PQ_BASE_ADDR_HIGH,
        up::mmCPU_IF_PQ_BASE_ADDR_HIGH
    );
    same!(regs::CPU_IF_PQ_LENGTH, up::mmCPU_IF_PQ_LENGTH);
    same!(regs::CPU_IF_CQ_BASE_ADDR_LOW, up::mmCPU_IF_CQ_BASE_ADDR_LOW);
    same!(
        regs::CPU_IF_CQ_BASE_ADDR_HIGH,
        up::mmCPU_IF_CQ_BASE_ADDR_HIGH
    );
    same!(regs::CPU_IF_CQ_LENGTH, up::mmCPU_IF_CQ_LENGTH);
    same!(regs::CPU_IF_EQ_BASE_ADDR_LOW, up::mmCPU_IF_EQ_BASE_ADDR_LOW);
    same!(
        regs::CPU_IF_EQ_BASE_ADDR_HIGH,
        up::mmCPU_IF_EQ_BASE_ADDR_HIGH
    );
    same!(regs::CPU_IF_EQ_LENGTH, up::mmCPU_IF_EQ_LENGTH);
    same!(regs::CPU_IF_EQ_RD_OFFS, up::mmCPU_IF_EQ_RD_OFFS);
    same!(regs::CPU_IF_QUEUE_INIT, up::mmCPU_IF_QUEUE_INIT);
    same!(regs::CPU_IF_CPU_MSB_ADDR, up::mmCPU_IF_CPU_MSB_ADDR);
    same!(
        regs::GIC_SETSPI_NSR,
        up::mmGIC_DISTRIBUTOR__5_GICD_SETSPI_NSR
    );

    // PSOC timestamp.
    same!(regs::PSOC_TIMESTAMP_CNTCR, up::mmPSOC_TIMESTAMP_CNTCR);
    same!(regs::PSOC_TIMESTAMP_CNTCVL, up::mmPSOC_TIMESTAMP_CNTCVL);
    same!(regs::PSOC_TIMESTAMP_CNTCVU, up::mmPSOC_TIMESTAMP_CNTCVU);

    // MMU.
    same!(regs::MMU_BUSY, up::MMU_BUSY);
    same!(regs::MMU_ASID, up::MMU_ASID);
    same!(regs::MMU_HOP0_PA43_12, up::MMU_HOP0_PA43_12);
    same!(regs::MMU_HOP0_PA49_44, up::MMU_HOP0_PA49_44);
    same!(regs::STLB_CACHE_INV, up::mmSTLB_CACHE_INV);
    same!(regs::STLB_INV_PS, up::mmSTLB_INV_PS);
    same!(
        regs::STLB_CACHE_INV_BASE_39_8,
        up::mmSTLB_CACHE_INV_BASE_39_8
    );
    same!(
        regs::STLB_CACHE_INV_BASE_49_40,
        up::mmSTLB_CACHE_INV_BASE_49_40
    );
    same!(regs::STLB_HOP_CONFIGURATION, up::mmSTLB_HOP_CONFIGURATION);
    same!(
        regs::STLB_MEM_CACHE_INVALIDATION,
        up::mmSTLB_MEM_CACHE_INVALIDATION
    );
    same!(regs::MMU_UP_SPI_MASK, up::mmMMU_UP_SPI_MASK);
    same!(regs::STLB_INV_SET, up::mmSTLB_INV_SET);
    same!(regs::MMU_UP_MMU_ENABLE, up::mmMMU_UP_MMU_ENABLE);
    same!(
        regs::MMU_UP_PAGE_ERROR_CAPTURE,
        up::mmMMU_UP_PAGE_ERROR_CAPTURE
    );
    same!(
        regs::MMU_UP_PAGE_ERROR_CAPTURE_VA,
        up::mmMMU_UP_PAGE_ERROR_CAPTURE_VA
    );
    same!(
        regs::MMU_UP_ACCESS_ERROR_CAPTURE,
        up::mmMMU_UP_ACCESS_ERROR_CAPTURE
    );
    same!(
        regs::MMU_UP_ACCESS_ERROR_CAPTURE_VA,
        up::mmMMU_UP_ACCESS_ERROR_CAPTURE_VA
    );
    same!(mmu::PTE_PRESENT, up::PAGE_PRESENT_MASK);
    same!(mmu::PTE_LAST, up::LAST_MASK);
    same!(mmu::PTE_ADDR_MASK, up::HOP_PHYS_ADDR_MASK as i64);
    let shifts = [
        up::MMU_V1_1_HOP0_SHIFT,
        up::MMU_V1_1_HOP1_SHIFT,
        up::MMU_V1_1_HOP2_SHIFT,
        up::MMU_V1_1_HOP3_SHIFT,
        up::MMU_V1_1_HOP4_SHIFT,
    ];
    let masks = [
        up::MMU_V1_1_HOP0_MASK,
        up::MMU_V1_1_HOP1_MASK,
        up::MMU_V1_1_HOP2_MASK,
        u64::from(up::MMU_V1_1_HOP3_MASK),
        u64::from(up::MMU_V1_1_HOP4_MASK),
    ];
    for h in 0..5 {
        same!(mmu::HOP_SHIFT[h], shifts[h]);
        same!(mmu::HOP_INDEX_MASK[h] << mmu::HOP_SHIFT[h], masks[h]);
    }
    same!(1u32 << 18, up::MMU_UP_PAGE_ERROR_CAPTURE_ENTRY_VALID_MASK);
    let gaudi_p = source("drivers/accel/habanalabs/gaudi/gaudiP.h");
    same!(
        mmu::VA_HOST_SPACE_START,
        define(&gaudi_p, "VA_HOST_SPACE_START")
    );
    same!(
        mmu::VA_HOST_SPACE_END,
        define(&gaudi_p, "VA_HOST_SPACE_END")
    );

    // Firmware protocol.
    same!(
        fw::status::IN_WFE,
        up::cpu_boot_status_CPU_BOOT_STATUS_IN_WFE
    );
    same!(
        fw::status::SRAM_AVAIL,
        up::cpu_boot_status_CPU_BOOT_STATUS_SRAM_AVAIL
    );
    same!(
        fw::status::FIT_CORRUPTED,
        up::cpu_boot_status_CPU_BOOT_STATUS_FIT_CORRUPTED
    );
    same!(
        fw::status::READY_TO_BOOT,
        up::cpu_boot_status_CPU_BOOT_STATUS_READY_TO_BOOT
    );
    same!(
        fw::status::WAITING_FOR_BOOT_FIT,
        up::cpu_boot_status_CPU_BOOT_STATUS_WAITING_FOR_BOOT_FIT
    );
    same!(fw::kmd::NA, up::kmd_msg_KMD_MSG_NA);
    same!(fw::kmd::GOTO_WFE, up::kmd_msg_KMD_MSG_GOTO_WFE);
    same!(fw::kmd::FIT_RDY, up::kmd_msg_KMD_MSG_FIT_RDY);
    same!(fw::kmd::RST_DEV, up::kmd_msg_KMD_MSG_RST_DEV);
    same!(
        fw::qinit::READY_FOR_CP_SINGLE_MSI,
        up::pq_init_status_PQ_INIT_STATUS_READY_FOR_CP_SINGLE_MSI
    );
    same!(
        fw::qinit::READY_FOR_HOST,
        up::pq_init_status_PQ_INIT_STATUS_READY_FOR_HOST
    );
    same!(
        fw::qinit::LEN_NOT_POWER_OF_TWO,
        up::pq_init_status_PQ_INIT_STATUS_LEN_NOT_POWER_OF_TWO_ERR
    );
    same!(
        fw::qinit::ILLEGAL_Q_ADDR,
        up::pq_init_status_PQ_INIT_STATUS_ILLEGAL_Q_ADDR_ERR
    );
    for (ours, theirs) in [
        (
            fw::op::DISABLE_PCI_ACCESS,
            up::cpucp_packet_id_CPUCP_PACKET_DISABLE_PCI_ACCESS,
        ),
        (
            fw::op::ENABLE_PCI_ACCESS,
            up::cpucp_packet_id_CPUCP_PACKET_ENABLE_PCI_ACCESS,
        ),
        (
            fw::op::TEMPERATURE_GET,
            up::cpucp_packet_id_CPUCP_PACKET_TEMPERATURE_GET,
        ),
        (
            fw::op::VOLTAGE_GET,
            up::cpucp_packet_id_CPUCP_PACKET_VOLTAGE_GET,
        ),
        (
            fw::op::CURRENT_GET,
            up::cpucp_packet_id_CPUCP_PACKET_CURRENT_GET,
        ),
        (
            fw::op::FAN_SPEED_GET,
            up::cpucp_packet_id_CPUCP_PACKET_FAN_SPEED_GET,
        ),
        (fw::op::PWM_GET, up::cpucp_packet_id_CPUCP_PACKET_PWM_GET),
        (
            fw::op::FREQUENCY_SET,
            up::cpucp_packet_id_CPUCP_PACKET_FREQUENCY_SET,
        ),
        (
            fw::op::FREQUENCY_GET,
            up::cpucp_packet_id_CPUCP_PACKET_FREQUENCY_GET,
        ),
        (fw::op::INFO_GET, up::cpucp_packet_id_CPUCP_PACKET_INFO_GET),
        (
            fw::op::UNMASK_RAZWI_IRQ,
            up::cpucp_packet_id_CPUCP_PACKET_UNMASK_RAZWI_IRQ,
        ),
        (
            fw::op::UNMASK_RAZWI_IRQ_ARRAY,
            up::cpucp_packet_id_CPUCP_PACKET_UNMASK_RAZWI_IRQ_ARRAY,
        ),
        (fw::op::TEST, up::cpucp_packet_id_CPUCP_PACKET_TEST),
        (
            fw::op::FREQUENCY_CURR_GET,
            up::cpucp_packet_id_CPUCP_PACKET_FREQUENCY_CURR_GET,
        ),
        (
            fw::op::MAX_POWER_GET,
            up::cpucp_packet_id_CPUCP_PACKET_MAX_POWER_GET,
        ),
        (
            fw::op::MAX_POWER_SET,
            up::cpucp_packet_id_CPUCP_PACKET_MAX_POWER_SET,
        ),
        (
            fw::op::EEPROM_DATA_GET,
            up::cpucp_packet_id_CPUCP_PACKET_EEPROM_DATA_GET,
        ),
        (
            fw::op::HBM_REPLACED_ROWS_INFO_GET,
            up::cpucp_packet_id_CPUCP_PACKET_HBM_REPLACED_ROWS_INFO_GET,
        ),
        (
            fw::op::HBM_PENDING_ROWS_STATUS,
            up::cpucp_packet_id_CPUCP_PACKET_HBM_PENDING_ROWS_STATUS,
        ),
        (
            fw::op::PCIE_THROUGHPUT_GET,
            up::cpucp_packet_id_CPUCP_PACKET_PCIE_THROUGHPUT_GET,
        ),
        (
            fw::op::PCIE_REPLAY_CNT_GET,
            up::cpucp_packet_id_CPUCP_PACKET_PCIE_REPLAY_CNT_GET,
        ),
        (
            fw::op::TOTAL_ENERGY_GET,
            up::cpucp_packet_id_CPUCP_PACKET_TOTAL_ENERGY_GET,
        ),
        (
            fw::op::PLL_INFO_GET,
            up::cpucp_packet_id_CPUCP_PACKET_PLL_INFO_GET,
        ),
        (
            fw::op::POWER_GET,
            up::cpucp_packet_id_CPUCP_PACKET_POWER_GET,
        ),
    ] {
        checks.push(("fw::op", u64::from(ours), u64::from(theirs)));
    }
    same!(fw::CPUCP_PACKET_FENCE_VAL, up::CPUCP_PACKET_FENCE_VAL);
    same!(fw::RC_OK, up::cpucp_packet_rc_cpucp_packet_success);
    same!(fw::RC_INVALID, up::cpucp_packet_rc_cpucp_packet_invalid);
    same!(
        fw::RC_INVALID_PARAMS,
        up::cpucp_packet_rc_cpucp_packet_invalid_params
    );
    same!(16, up::CPUCP_PKT_CTL_OPCODE_SHIFT);
    same!(12, up::CPUCP_PKT_CTL_RC_SHIFT);
    same!(fw::PACKET_SIZE, size_of::<up::cpucp_packet>());
    same!(8, offset_of!(up::cpucp_packet, ctl));
    same!(12, offset_of!(up::cpucp_packet, fence));
    same!(16, offset_of!(up::cpucp_packet, __bindgen_anon_2));
    same!(fw::INFO_SIZE, size_of::<up::cpucp_info>());
    same!(0x400, offset_of!(up::cpucp_info, kernel_version));
    same!(0x484, offset_of!(up::cpucp_info, card_type));
    same!(0x494, offset_of!(up::cpucp_info, fuse_version));
    same!(0x514, offset_of!(up::cpucp_info, thermal_version));
    same!(0x594, offset_of!(up::cpucp_info, cpucp_version));
    same!(0x618, offset_of!(up::cpucp_info, dram_size));
    same!(0x620, offset_of!(up::cpucp_info, card_name));
    same!(0x647, offset_of!(up::cpucp_info, eq_health_check_supported));
    same!(0x668, offset_of!(up::cpucp_info, fw_os_version));
    same!(8, size_of::<up::cpucp_sensor>());
    same!(fw::EQ_ENTRY_SIZE, size_of::<up::hl_eq_entry>());
    same!(4, offset_of!(up::hl_eq_header, ctl));
    same!(31, up::EQ_CTL_READY_SHIFT);
    same!(16, up::EQ_CTL_EVENT_TYPE_SHIFT);
    same!(fw::BOOT_FIT_SRAM_OFFSET, up::BOOT_FIT_SRAM_OFFSET);
    same!(fw::LINUX_FW_HBM_OFFSET, up::LINUX_FW_OFFSET);
    same!(
        fw::STS_ENABLED,
        1u32 << up::cpu_boot_dev_sts_CPU_BOOT_DEV_STS_ENABLED
    );
    same!(
        fw::STS0_EQ_INDEX_EN,
        1u32 << up::cpu_boot_dev_sts_CPU_BOOT_DEV_STS_EQ_INDEX_EN
    );
    same!(
        fw::event::MMU_PAGE_FAULT,
        up::gaudi_async_event_id_GAUDI_EVENT_MMU_PAGE_FAULT
    );
    same!(
        fw::event::DMA0_QM,
        up::gaudi_async_event_id_GAUDI_EVENT_DMA0_QM
    );
    same!(
        fw::event::DMA0_CORE,
        up::gaudi_async_event_id_GAUDI_EVENT_DMA0_CORE
    );
    same!(
        fw::event::FW_ALIVE_S,
        up::gaudi_async_event_id_GAUDI_EVENT_FW_ALIVE_S
    );
    same!(
        fw::event::DEV_RESET_REQ,
        up::gaudi_async_event_id_GAUDI_EVENT_DEV_RESET_REQ
    );
    same!(fw::event::COUNT, up::gaudi_async_event_id_GAUDI_EVENT_SIZE);
    let ids = source("drivers/accel/habanalabs/include/gaudi/gaudi_async_ids_map_extended.h");
    same!(
        fw::spi::PI_UPDATE,
        cpu_id(&ids, up::gaudi_async_event_id_GAUDI_EVENT_PI_UPDATE)
    );
    same!(
        fw::spi::HALT_MACHINE,
        cpu_id(&ids, up::gaudi_async_event_id_GAUDI_EVENT_HALT_MACHINE)
    );
    same!(
        fw::spi::INTS_REGISTER,
        cpu_id(&ids, up::gaudi_async_event_id_GAUDI_EVENT_INTS_REGISTER)
    );
    same!(
        fw::spi::MMU_PAGE_FAULT,
        cpu_id(&ids, up::gaudi_async_event_id_GAUDI_EVENT_MMU_PAGE_FAULT)
    );
    same!(
        fw::spi::DMA0_QM,
        cpu_id(&ids, up::gaudi_async_event_id_GAUDI_EVENT_DMA0_QM)
    );
    same!(
        fw::spi::DMA0_CORE,
        cpu_id(&ids, up::gaudi_async_event_id_GAUDI_EVENT_DMA0_CORE)
    );

    // Queues, packets and completion.
    same!(16, size_of::<up::hl_bd>());
    same!(8, offset_of!(up::hl_bd, len));
    same!(12, offset_of!(up::hl_bd, ctl));
    same!(4, size_of::<up::hl_cq_entry>());
    for (op, size) in [
        (packets::opcode::WREG_32, size_of::<up::packet_wreg32>()),
        (packets::opcode::MSG_LONG, size_of::<up::packet_msg_long>()),
        (
            packets::opcode::MSG_SHORT,
            size_of::<up::packet_msg_short>(),
        ),
        (packets::opcode::CP_DMA, size_of::<up::packet_cp_dma>()),
        (packets::opcode::MSG_PROT, size_of::<up::packet_msg_prot>()),
        (packets::opcode::FENCE, size_of::<up::packet_fence>()),
        (packets::opcode::LIN_DMA, size_of::<up::packet_lin_dma>()),
        (packets::opcode::NOP, size_of::<up::packet_nop>()),
        (packets::opcode::STOP, size_of::<up::packet_stop>()),
        (
            packets::opcode::LOAD_AND_EXE,
            size_of::<up::packet_load_and_exe>(),
        ),
    ] {
        checks.push((
            "packet size",
            packets::size_of(op).unwrap_or(0) as u64,
            size as u64,
        ));
    }
    for (ours, theirs) in [
        (packets::opcode::WREG_32, up::packet_id_PACKET_WREG_32),
        (packets::opcode::WREG_BULK, up::packet_id_PACKET_WREG_BULK),
        (packets::opcode::MSG_LONG, up::packet_id_PACKET_MSG_LONG),
        (packets::opcode::MSG_SHORT, up::packet_id_PACKET_MSG_SHORT),
        (packets::opcode::CP_DMA, up::packet_id_PACKET_CP_DMA),
        (packets::opcode::REPEAT, up::packet_id_PACKET_REPEAT),
        (packets::opcode::MSG_PROT, up::packet_id_PACKET_MSG_PROT),
        (packets::opcode::FENCE, up::packet_id_PACKET_FENCE),
        (packets::opcode::LIN_DMA, up::packet_id_PACKET_LIN_DMA),
        (packets::opcode::NOP, up::packet_id_PACKET_NOP),
        (packets::opcode::STOP, up::packet_id_PACKET_STOP),
        (packets::opcode::ARB_POINT, up::packet_id_PACKET_ARB_POINT),
        (packets::opcode::WAIT, up::packet_id_PACKET_WAIT),
        (
            packets::opcode::LOAD_AND_EXE,
            up::packet_id_PACKET_LOAD_AND_EXE,
        ),
    ] {
        checks.push(("packet opcode", u64::from(ours), u64::from(theirs)));
    }
    same!(24, up::GAUDI_PKT_CTL_OPCODE_SHIFT);
    same!(0x1f00_0000, up::GAUDI_PKT_CTL_OPCODE_MASK);
    same!(22, up::GAUDI_PKT_SHORT_CTL_BASE_SHIFT);
    same!(0xffff, up::GAUDI_PKT_SHORT_CTL_ADDR_MASK);
    same!(30, up::GAUDI_PKT_FENCE_CFG_ID_SHIFT);
    same!(16, up::GAUDI_PKT_FENCE_CFG_TARGET_VAL_SHIFT);
    same!(0xf, up::GAUDI_PKT_FENCE_CFG_DEC_VAL_MASK);
    same!(4, up::GAUDI_PKT_LIN_DMA_CTL_MEMSET_SHIFT);
    same!(0, up::GAUDI_PKT_LIN_DMA_CTL_WRCOMP_EN_SHIFT);
    same!(
        0x00ff_ffff_ffff_ffffu64,
        up::GAUDI_PKT_LIN_DMA_DST_ADDR_MASK
    );

    // QMANs, DMA cores, sync manager.
    use qman::{core, mon, qm};
    for (e, qm_base, core_base) in [
        (0, up::mmDMA0_QM_BASE, up::mmDMA0_CORE_BASE),
        (1, up::mmDMA1_QM_BASE, up::mmDMA1_CORE_BASE),
    ] {
        same!(qman::DMA_QM_BASE[e], cfg(qm_base));
        same!(qman::DMA_CORE_BASE[e], cfg(core_base));
        // The engine block WREG_32 offsets are relative to: 64 KiB aligned, starting with the
        // core, and its 16-bit offsets reach every register of the core and the QMAN.
        same!(qman::engine_block(e), cfg(core_base));
        same!(
            qman::engine_block(e),
            cfg(qm_base) & !u64::from(qman::ENGINE_BLOCK_SIZE - 1)
        );
        let regs = |what: &str| {
            let text = source(&format!(
                "drivers/accel/habanalabs/include/gaudi/asic_reg/dma{e}_{what}_regs.h"
            ));
            highest(&text, &format!("mmDMA{e}_{}_", what.to_uppercase()))
        };
        for what in ["core", "qm"] {
            checks.push((
                "last register of the block, beyond a 16-bit WREG_32 offset",
                (regs(what) - u64::from(qman::engine_block(e))) >> 16,
                0,
            ));
        }
    }
    same!(
        qman::DMA_QM_BASE[0] - qman::engine_block(0),
        up::DMA0_CORE_SECTION
    );
    same!(
        qman::DMA_QM_BASE[1] - qman::engine_block(1),
        up::DMA1_CORE_SECTION
    );
    let q = |rel: u32| u64::from(qman::DMA_QM_BASE[0] + rel);
    same!(q(qm::GLBL_CFG0), up::mmDMA0_QM_GLBL_CFG0);
    same!(q(qm::GLBL_CFG1), up::mmDMA0_QM_GLBL_CFG1);
    same!(q(qm::GLBL_PROT), up::mmDMA0_QM_GLBL_PROT);
    same!(q(qm::GLBL_ERR_CFG), up::mmDMA0_QM_GLBL_ERR_CFG);
    same!(
        q(qm::GLBL_SECURE_PROPS_0),
        up::mmDMA0_QM_GLBL_SECURE_PROPS_0
    );
    same!(
        q(qm::GLBL_NON_SECURE_PROPS_0),
        up::mmDMA0_QM_GLBL_NON_SECURE_PROPS_0
    );
    same!(q(qm::GLBL_STS0), up::mmDMA0_QM_GLBL_STS0);
    same!(q(qm::GLBL_STS1_0), up::mmDMA0_QM_GLBL_STS1_0);
    same!(q(qm::PQ_BASE_LO), up::mmDMA0_QM_PQ_BASE_LO_0);
    same!(q(qm::PQ_BASE_HI), up::mmDMA0_QM_PQ_BASE_HI_0);
    same!(q(qm::PQ_SIZE), up::mmDMA0_QM_PQ_SIZE_0);
    same!(q(qm::PQ_PI + 12), up::mmDMA0_QM_PQ_PI_3);
    same!(q(qm::PQ_CI), up::mmDMA0_QM_PQ_CI_0);
    same!(q(qm::CQ_PTR_LO + 0x10), up::mmDMA0_QM_CQ_PTR_LO_1);
    same!(q(qm::CQ_PTR_LO + 8), up::mmDMA0_QM_CQ_TSIZE_0);
    let msg_lo = [
        up::mmDMA0_QM_CP_MSG_BASE0_ADDR_LO_0,
        up::mmDMA0_QM_CP_MSG_BASE1_ADDR_LO_0,
        up::mmDMA0_QM_CP_MSG_BASE2_ADDR_LO_0,
        up::mmDMA0_QM_CP_MSG_BASE3_ADDR_LO_0,
    ];
    let msg_hi = [
        up::mmDMA0_QM_CP_MSG_BASE0_ADDR_HI_0,
        up::mmDMA0_QM_CP_MSG_BASE1_ADDR_HI_0,
        up::mmDMA0_QM_CP_MSG_BASE2_ADDR_HI_0,
        up::mmDMA0_QM_CP_MSG_BASE3_ADDR_HI_0,
    ];
    let rdata = [
        up::mmDMA0_QM_CP_FENCE0_RDATA_0,
        up::mmDMA0_QM_CP_FENCE1_RDATA_0,
        up::mmDMA0_QM_CP_FENCE2_RDATA_0,
        up::mmDMA0_QM_CP_FENCE3_RDATA_0,
    ];
    let cnt = [
        up::mmDMA0_QM_CP_FENCE0_CNT_0,
        up::mmDMA0_QM_CP_FENCE1_CNT_0,
        up::mmDMA0_QM_CP_FENCE2_CNT_0,
        up::mmDMA0_QM_CP_FENCE3_CNT_0,
    ];
    for i in 0..4 {
        same!(q(qm::CP_MSG_BASE_LO[i]), msg_lo[i]);
        same!(q(qm::CP_MSG_BASE_HI[i]), msg_hi[i]);
        same!(q(qm::CP_FENCE_RDATA[i]), rdata[i]);
        same!(q(qm::CP_FENCE_CNT[i]), cnt[i]);
    }
    same!(q(qm::CP_STS), up::mmDMA0_QM_CP_STS_0);
    same!(q(qm::CGM_STS), up::mmDMA0_QM_CGM_STS);
    same!(q(qm::GLBL_ERR_ADDR_LO), up::mmDMA0_QM_GLBL_ERR_ADDR_LO);
    same!(q(qm::GLBL_ERR_ADDR_HI), up::mmDMA0_QM_GLBL_ERR_ADDR_HI);
    same!(q(qm::GLBL_ERR_WDATA), up::mmDMA0_QM_GLBL_ERR_WDATA);
    same!(
        qman::sts1::PQF_RD_ERR,
        up::DMA0_QM_GLBL_STS1_PQF_RD_ERR_MASK
    );
    same!(
        qman::sts1::CQF_RD_ERR,
        up::DMA0_QM_GLBL_STS1_CQF_RD_ERR_MASK
    );
    same!(
        qman::sts1::CP_UNDEF_CMD_ERR,
        up::DMA0_QM_GLBL_STS1_CP_UNDEF_CMD_ERR_MASK
    );
    same!(
        qman::sts1::CP_STOP_OP,
        up::DMA0_QM_GLBL_STS1_CP_STOP_OP_MASK
    );
    same!(
        qman::sts1::CP_MSG_WR_ERR,
        up::DMA0_QM_GLBL_STS1_CP_MSG_WR_ERR_MASK
    );
    same!(
        qman::sts1::CP_WREG_ERR,
        up::DMA0_QM_GLBL_STS1_CP_WREG_ERR_MASK
    );
    {
        // Status registers of the engines the model does not run, and their idle values.
        use qman::idle_engines as ie;
        same!(ie::DMA_QM_GLBL_STS0, up::mmDMA0_QM_GLBL_STS0);
        same!(ie::DMA_QM_CGM_STS, up::mmDMA0_QM_CGM_STS);
        same!(ie::DMA_CORE_STS0, up::mmDMA0_CORE_STS0);
        same!(
            ie::DMA_STRIDE,
            up::mmDMA1_QM_GLBL_STS0 - up::mmDMA0_QM_GLBL_STS0
        );
        same!(ie::DMA_CORE_STS0 + 2 * ie::DMA_STRIDE, up::mmDMA2_CORE_STS0);
        same!(ie::TPC_QM_GLBL_STS0, up::mmTPC0_QM_GLBL_STS0);
        same!(ie::TPC_QM_CGM_STS, up::mmTPC0_QM_CGM_STS);
        same!(ie::TPC_CFG_STATUS, up::mmTPC0_CFG_STATUS);
        same!(
            ie::TPC_STRIDE,
            up::mmTPC1_CFG_STATUS - up::mmTPC0_CFG_STATUS
        );
        same!(ie::MME_ARCH_STATUS, up::mmMME0_CTRL_ARCH_STATUS);
        same!(ie::MME_QM_GLBL_STS0, up::mmMME0_QM_GLBL_STS0);
        same!(ie::MME_QM_CGM_STS, up::mmMME0_QM_CGM_STS);
        same!(
            ie::MME_STRIDE,
            up::mmMME1_CTRL_ARCH_STATUS - up::mmMME0_CTRL_ARCH_STATUS
        );
        same!(
            ie::MME_QM_GLBL_STS0 + 2 * ie::MME_STRIDE,
            up::mmMME2_QM_GLBL_STS0
        );
        same!(
            ie::QM_IDLE,
            up::DMA0_QM_GLBL_STS0_PQF_IDLE_MASK
                | up::DMA0_QM_GLBL_STS0_CQF_IDLE_MASK
                | up::DMA0_QM_GLBL_STS0_CP_IDLE_MASK
        );
        same!(ie::CGM_IDLE, up::DMA0_QM_CGM_STS_AGENT_IDLE_MASK);
        same!(
            ie::TPC_IDLE,
            up::TPC0_CFG_STATUS_SCALAR_PIPE_EMPTY_MASK
                | up::TPC0_CFG_STATUS_VECTOR_PIPE_EMPTY_MASK
                | up::TPC0_CFG_STATUS_IQ_EMPTY_MASK
                | up::TPC0_CFG_STATUS_SB_EMPTY_MASK
                | up::TPC0_CFG_STATUS_QM_IDLE_MASK
                | up::TPC0_CFG_STATUS_QM_RDY_MASK
        );
        same!(
            ie::MME_IDLE,
            up::MME0_CTRL_ARCH_STATUS_SB_A_EMPTY_MASK
                | up::MME0_CTRL_ARCH_STATUS_SB_B_EMPTY_MASK
                | up::MME0_CTRL_ARCH_STATUS_WBC_AXI_IDLE_MASK
        );
    }
    let c = |rel: u32| u64::from(qman::DMA_CORE_BASE[0] + rel);
    same!(c(core::CFG_1), up::mmDMA0_CORE_CFG_1);
    same!(c(core::SRC_BASE_LO), up::mmDMA0_CORE_SRC_BASE_LO);
    same!(c(core::SRC_BASE_HI), up::mmDMA0_CORE_SRC_BASE_HI);
    same!(c(core::DST_BASE_LO), up::mmDMA0_CORE_DST_BASE_LO);
    same!(c(core::DST_BASE_HI), up::mmDMA0_CORE_DST_BASE_HI);
    same!(c(core::DST_TSIZE_0), up::mmDMA0_CORE_DST_TSIZE_0);
    same!(c(core::COMMIT), up::mmDMA0_CORE_COMMIT);
    same!(c(core::WR_COMP_WDATA), up::mmDMA0_CORE_WR_COMP_WDATA);
    same!(c(core::WR_COMP_ADDR_LO), up::mmDMA0_CORE_WR_COMP_ADDR_LO);
    same!(c(core::WR_COMP_ADDR_HI), up::mmDMA0_CORE_WR_COMP_ADDR_HI);
    same!(c(core::PROT), up::mmDMA0_CORE_PROT);
    same!(c(core::SECURE_PROPS), up::mmDMA0_CORE_SECURE_PROPS);
    same!(c(core::NON_SECURE_PROPS), up::mmDMA0_CORE_NON_SECURE_PROPS);
    same!(c(core::ERR_CAUSE), up::mmDMA0_CORE_ERR_CAUSE);
    same!(c(core::ERRMSG_ADDR_LO), up::mmDMA0_CORE_ERRMSG_ADDR_LO);
    same!(c(core::ERRMSG_ADDR_HI), up::mmDMA0_CORE_ERRMSG_ADDR_HI);
    same!(c(core::ERRMSG_WDATA), up::mmDMA0_CORE_ERRMSG_WDATA);
    same!(c(core::STS0), up::mmDMA0_CORE_STS0);
    // RAZWI capture: registers, the initiator ID's fields, the DMA engines' routers and AXI
    // ID, and the core's read and write error causes the driver tells the engines apart by.
    same!(regs::MMU_UP_RAZWI_WRITE_VLD, up::mmMMU_UP_RAZWI_WRITE_VLD);
    same!(regs::MMU_UP_RAZWI_WRITE_ID, up::mmMMU_UP_RAZWI_WRITE_ID);
    same!(regs::MMU_UP_RAZWI_READ_VLD, up::mmMMU_UP_RAZWI_READ_VLD);
    same!(regs::MMU_UP_RAZWI_READ_ID, up::mmMMU_UP_RAZWI_READ_ID);
    let masks = source("drivers/accel/habanalabs/include/gaudi/gaudi_masks.h");
    let x_y = |name: &str| -> u64 {
        let (x, y) = masks
            .lines()
            .find_map(|l| {
                let rest = l
                    .strip_prefix("#define ")?
                    .trim_start()
                    .strip_prefix(name)?;
                let args = rest.trim().strip_prefix("RAZWI_INITIATOR_ID_X_Y(")?;
                let (x, y) = args.trim_end_matches(')').split_once(',')?;
                Some((x.trim().parse::<u64>().ok()?, y.trim().parse::<u64>().ok()?))
            })
            .unwrap_or_else(|| panic!("no {name}"));
        (y << up::RAZWI_INITIATOR_Y_SHIFT) | (x << up::RAZWI_INITIATOR_X_SHIFT)
    };
    let axi_dma = u64::from(up::axi_id_AXI_ID_DMA) << up::RAZWI_INITIATOR_AXI_ID_SHIFT;
    same!(
        crate::engine::dma_initiator_id(0),
        x_y("RAZWI_INITIATOR_ID_X_Y_DMA_IF_W_S_0") | axi_dma
    );
    same!(
        crate::engine::dma_initiator_id(1),
        x_y("RAZWI_INITIATOR_ID_X_Y_DMA_IF_E_S_0") | axi_dma
    );
    same!(1, up::DMA0_CORE_ERR_CAUSE_HBW_RD_ERR_MASK);
    same!(2, up::DMA0_CORE_ERR_CAUSE_HBW_WR_ERR_MASK);
    same!(
        qman::SM_SOB_BASE[0],
        up::mmSYNC_MNGR_W_S_SYNC_MNGR_OBJS_SOB_OBJ_0
    );
    same!(
        qman::SM_SOB_BASE[1],
        up::mmSYNC_MNGR_E_S_SYNC_MNGR_OBJS_SOB_OBJ_0
    );
    same!(
        qman::SM_SOB_BASE[2],
        up::mmSYNC_MNGR_W_N_SYNC_MNGR_OBJS_SOB_OBJ_0
    );
    same!(
        qman::SM_SOB_BASE[3],
        up::mmSYNC_MNGR_E_N_SYNC_MNGR_OBJS_SOB_OBJ_0
    );
    let e_n = |rel: u32| u64::from(qman::SM_SOB_BASE[3] + rel);
    same!(
        e_n(mon::PAY_ADDRL),
        up::mmSYNC_MNGR_E_N_SYNC_MNGR_OBJS_MON_PAY_ADDRL_0
    );
    same!(
        e_n(mon::PAY_ADDRH),
        up::mmSYNC_MNGR_E_N_SYNC_MNGR_OBJS_MON_PAY_ADDRH_0
    );
    same!(
        e_n(mon::PAY_DATA),
        up::mmSYNC_MNGR_E_N_SYNC_MNGR_OBJS_MON_PAY_DATA_0
    );
    same!(e_n(mon::ARM), up::mmSYNC_MNGR_E_N_SYNC_MNGR_OBJS_MON_ARM_0);
    same!(
        e_n(mon::STATUS),
        up::mmSYNC_MNGR_E_N_SYNC_MNGR_OBJS_MON_STATUS_0
    );
    same!(
        e_n(mon::STATUS + 4 * (qman::MONITORS - 1)),
        up::mmSYNC_MNGR_E_N_SYNC_MNGR_OBJS_MON_STATUS_511
    );
    same!(
        e_n(4 * (qman::SOBS - 1)),
        up::mmSYNC_MNGR_E_N_SYNC_MNGR_OBJS_SOB_OBJ_2047
    );

    let bad: Vec<String> = checks
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(n, a, b)| format!("{n}: model {a:#x}, upstream {b:#x}"))
        .collect();
    assert!(
        bad.is_empty(),
        "{} of {} facts differ from the upstream headers:\n{}",
        bad.len(),
        checks.len(),
        bad.join("\n")
    );
    eprintln!(
        "fidelity: {} facts match the upstream headers",
        checks.len()
    );
}
