// SPDX-License-Identifier: GPL-2.0

//! What the driver does with each event the device CPU reports.
//!
//! The classes follow upstream's Gaudi event handler: errors the hardware cannot recover from
//! (double-bit ECC errors, PLL and GIC failures, the firmware asking for a reset, its alive
//! report after a crash, a packet queue out of sync) call for a hard reset; recoverable errors
//! and reports (single-bit ECC errors, queue and engine errors, MMU page faults, power and
//! thermal throttling) are acknowledged by unmasking the event in the firmware so it can be
//! reported again; NIC status reports and events the driver does not know are only counted.
//! Each class also says which `HL_NOTIFIER_EVENT_*` bits user space is sent and whether the
//! RAZWI and MMU fault captures are looked at, as upstream's groups of events do: one table
//! holds it all.

use crate::notify::bits;
use kernel::prelude::*;

/// The driver's answer to an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// The device must be hard-reset.
    Reset,
    /// The event is recoverable: unmask it in the firmware.
    Unmask,
    /// Counted only.
    Count,
}

/// How the driver treats one kind of event, as upstream's Gaudi handler does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Class {
    /// What is done with it.
    pub(crate) action: Action,
    /// The `HL_NOTIFIER_EVENT_*` bits it sends to user space.
    pub(crate) bits: u64,
    /// Whether the RAZWI and MMU fault captures are looked at with it.
    pub(crate) checks_mmu: bool,
}

const fn class(action: Action, bits: u64, checks_mmu: bool) -> Class {
    Class {
        action,
        bits,
        checks_mmu,
    }
}

/// A resetting hardware error (the reset escalates it to critical): PLL, GIC, AXI and L2
/// ECC failures, the HBMs' fatal interrupts, the firmware's reset request, a queue out of
/// sync.
const HW_FATAL: Class = class(
    Action::Reset,
    bits::GENERAL_HW_ERR | bits::CRITICAL_HW_ERR | bits::DEVICE_RESET,
    false,
);
/// The same, with the captures looked at: double-bit ECC errors.
const HW_FATAL_CHECKED: Class = Class {
    checks_mmu: true,
    ..HW_FATAL
};
/// The firmware's report that it came back after a crash (`FW_ALIVE_S`).
const FW_RESTART: Class = class(
    Action::Reset,
    bits::CRITICAL_FW_ERR | bits::DEVICE_RESET,
    false,
);
/// An illegal access the firmware caught a user engine making (`RAZWI_OR_ADC_SW`).
const FW_RAZWI: Class = class(
    Action::Reset,
    bits::USER_ENGINE_ERR | bits::DEVICE_RESET,
    true,
);
/// Single-bit ECC errors, address-decode and PCIe errors: recoverable hardware errors.
const HW_ERR: Class = class(Action::Unmask, bits::GENERAL_HW_ERR, true);
/// The HBMs' recoverable interrupts (`HBMn_SPI_1`).
const HBM_ERR: Class = class(Action::Unmask, bits::GENERAL_HW_ERR, false);
/// The TPCs' address-decode errors, which upstream also reports as TPC assertions.
const TPC_DEC: Class = class(
    Action::Unmask,
    bits::TPC_ASSERT | bits::USER_ENGINE_ERR | bits::DEVICE_RESET,
    true,
);
/// Queue and engine errors (every QMAN, the DMA cores, the TPCs' kernel errors, the MMEs'
/// responses): an engine error and a reset the device does not need.
const ENGINE_ERR: Class = class(
    Action::Unmask,
    bits::USER_ENGINE_ERR | bits::DEVICE_RESET,
    true,
);
/// The MMU's page fault and access-permission events.
const MMU_FAULT: Class = class(Action::Unmask, bits::USER_ENGINE_ERR, true);
/// Bus monitors, the NICs' and DMA interfaces' error indications, thermal throttling.
const REPORT: Class = class(Action::Unmask, bits::USER_ENGINE_ERR, false);
/// Power throttling: kept for CLK_THROTTLE_REASON, nothing sent.
const THROTTLE: Class = class(Action::Unmask, 0, false);
/// The board's high-temperature line: reported, not unmasked.
const REPORT_ONLY: Class = class(Action::Count, bits::USER_ENGINE_ERR, false);
/// NIC status reports and events the driver does not know.
const COUNT: Class = class(Action::Count, 0, false);

/// The classes of the events, by inclusive ranges of event types, in order; the others are
/// [`COUNT`].
const CLASSES: &[(u16, u16, Class)] = &[
    (32, 32, HW_ERR),
    (33, 33, HW_FATAL_CHECKED),
    (34, 34, HW_ERR),
    (35, 35, HW_FATAL_CHECKED),
    (36, 36, HW_ERR),
    (37, 37, HW_FATAL_CHECKED),
    (38, 45, HW_ERR),
    (46, 53, HW_FATAL_CHECKED),
    (54, 54, HW_ERR),
    (55, 55, HW_FATAL_CHECKED),
    (56, 56, HW_ERR),
    (57, 57, HW_FATAL_CHECKED),
    (58, 58, HW_ERR),
    (59, 59, HW_FATAL_CHECKED),
    (60, 60, HW_ERR),
    (61, 61, HW_FATAL_CHECKED),
    (62, 62, HW_ERR),
    (63, 63, HW_FATAL_CHECKED),
    (64, 64, HW_ERR),
    (65, 65, HW_FATAL_CHECKED),
    (66, 66, HW_ERR),
    (67, 67, HW_FATAL_CHECKED),
    (68, 68, HW_ERR),
    (69, 69, HW_FATAL_CHECKED),
    (70, 77, HW_ERR),
    (78, 85, HW_FATAL_CHECKED),
    (86, 86, HW_ERR),
    (87, 87, HW_FATAL_CHECKED),
    (88, 89, HW_ERR),
    (90, 91, HW_FATAL_CHECKED),
    (92, 123, HW_ERR),
    (124, 155, HW_FATAL_CHECKED),
    (156, 160, HW_ERR),
    (166, 170, HW_FATAL_CHECKED),
    (176, 179, HW_ERR),
    (180, 183, HW_FATAL_CHECKED),
    (184, 184, HW_FATAL),
    (185, 188, HW_ERR),
    (189, 192, HW_FATAL_CHECKED),
    (193, 193, HW_ERR),
    (194, 194, HW_FATAL_CHECKED),
    (200, 200, HW_ERR),
    (201, 201, TPC_DEC),
    (203, 203, TPC_DEC),
    (205, 205, TPC_DEC),
    (207, 207, TPC_DEC),
    (209, 209, TPC_DEC),
    (211, 211, TPC_DEC),
    (213, 213, TPC_DEC),
    (215, 215, TPC_DEC),
    (217, 218, HW_FATAL),
    (219, 220, ENGINE_ERR),
    (224, 225, ENGINE_ERR),
    (229, 230, ENGINE_ERR),
    (234, 235, ENGINE_ERR),
    (239, 256, HW_FATAL),
    (257, 257, HW_ERR),
    (262, 263, HW_ERR),
    (264, 268, REPORT),
    (277, 280, REPORT),
    (300, 300, REPORT),
    (301, 301, ENGINE_ERR),
    (306, 306, REPORT),
    (307, 307, ENGINE_ERR),
    (312, 312, REPORT),
    (313, 313, ENGINE_ERR),
    (318, 318, REPORT),
    (319, 319, ENGINE_ERR),
    (324, 324, REPORT),
    (325, 325, ENGINE_ERR),
    (330, 330, REPORT),
    (331, 331, ENGINE_ERR),
    (336, 336, REPORT),
    (337, 337, ENGINE_ERR),
    (342, 342, REPORT),
    (343, 343, ENGINE_ERR),
    (380, 381, MMU_FAULT),
    (383, 390, REPORT),
    (395, 395, HW_FATAL),
    (396, 396, HBM_ERR),
    (399, 399, HW_FATAL),
    (400, 400, HBM_ERR),
    (403, 403, HW_FATAL),
    (404, 404, HBM_ERR),
    (407, 407, HW_FATAL),
    (408, 408, HBM_ERR),
    (421, 421, REPORT_ONLY),
    (483, 499, HW_FATAL_CHECKED),
    (548, 548, ENGINE_ERR),
    (572, 579, ENGINE_ERR),
    (581, 590, ENGINE_ERR),
    (594, 611, ENGINE_ERR),
    (645, 645, FW_RESTART),
    (646, 647, HW_FATAL),
    (658, 659, THROTTLE),
    (660, 661, REPORT),
    (662, 662, FW_RAZWI),
];

/// How the driver treats event type `t`.
pub(crate) fn class_of(t: u16) -> Class {
    CLASSES
        .iter()
        .find(|(a, b, _)| (*a..=*b).contains(&t))
        .map_or(COUNT, |&(_, _, c)| c)
}

/// The driver's answer to event type `t`.
pub(crate) fn action(t: u16) -> Action {
    class_of(t).action
}

/// Power throttling starts and ends; thermal throttling starts and ends.
pub(crate) const FIX_POWER_ENV_S: u16 = 658;
/// See [`FIX_POWER_ENV_S`].
pub(crate) const FIX_POWER_ENV_E: u16 = 659;
/// See [`FIX_POWER_ENV_S`].
pub(crate) const FIX_THERMAL_ENV_S: u16 = 660;
/// See [`FIX_POWER_ENV_S`].
pub(crate) const FIX_THERMAL_ENV_E: u16 = 661;

#[kunit_tests(habanalabs_rs_events)]
mod tests {
    use super::*;

    #[test]
    fn fatal_events_call_for_a_reset() {
        for t in [33, 184, 239, 256, 645, 646, 647, 662] {
            assert_eq!(action(t), Action::Reset);
        }
    }

    #[test]
    fn recoverable_events_are_unmasked() {
        // DMA0 QMAN and core errors, MMU page fault and write permission, throttling.
        for t in [583, 590, 604, 611, 380, 381, 658, 661, 32] {
            assert_eq!(action(t), Action::Unmask);
        }
    }

    #[test]
    fn reports_and_unknown_events_are_only_counted() {
        for t in [648, 657, 421, 0, 663, 700, u16::MAX] {
            assert_eq!(action(t), Action::Count);
        }
    }

    #[test]
    fn the_table_is_sorted_without_overlaps() {
        for w in CLASSES.windows(2) {
            assert!(w[0].0 <= w[0].1 && w[0].1 < w[1].0);
        }
    }

    #[test]
    fn events_send_upstreams_bits() {
        let b = |t| class_of(t).bits;
        assert_eq!(b(645), bits::CRITICAL_FW_ERR | bits::DEVICE_RESET);
        assert_eq!(
            b(646),
            bits::GENERAL_HW_ERR | bits::CRITICAL_HW_ERR | bits::DEVICE_RESET
        );
        assert_eq!(b(662), bits::USER_ENGINE_ERR | bits::DEVICE_RESET);
        assert_eq!(b(380), bits::USER_ENGINE_ERR);
        assert_eq!(b(590), bits::USER_ENGINE_ERR | bits::DEVICE_RESET);
        assert_eq!(b(604), bits::USER_ENGINE_ERR | bits::DEVICE_RESET);
        assert_eq!(b(591), 0);
        assert_eq!(b(32), bits::GENERAL_HW_ERR);
        assert_eq!(b(396), bits::GENERAL_HW_ERR);
        assert_eq!(
            b(215),
            bits::TPC_ASSERT | bits::USER_ENGINE_ERR | bits::DEVICE_RESET
        );
        assert_eq!(b(343), bits::USER_ENGINE_ERR | bits::DEVICE_RESET);
        assert_eq!(b(421), bits::USER_ENGINE_ERR);
        assert_eq!(b(660), bits::USER_ENGINE_ERR);
        assert_eq!(b(658), 0);
        assert_eq!(b(650), 0);
        let checks = |t| class_of(t).checks_mmu;
        assert!(checks(33) && checks(662) && !checks(396) && !checks(421));
        assert!(checks(381) && !checks(658) && !checks(646));
    }
}
