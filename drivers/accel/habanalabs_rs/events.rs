// SPDX-License-Identifier: GPL-2.0

//! What the driver does with each event the device CPU reports.
//!
//! The classes follow upstream's Gaudi event handler: errors the hardware cannot recover from
//! (double-bit ECC errors, PLL and GIC failures, the firmware asking for a reset, its alive
//! report after a crash, a packet queue out of sync) call for a hard reset; recoverable errors
//! and reports (single-bit ECC errors, queue and engine errors, MMU page faults, power and
//! thermal throttling) are acknowledged by unmasking the event in the firmware so it can be
//! reported again; NIC status reports and events the driver does not know are only counted.

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

/// Events that call for a hard reset (inclusive ranges of event types).
const RESET: &[(u16, u16)] = &[
    (33, 33),
    (35, 35),
    (37, 37),
    (46, 53),
    (55, 55),
    (57, 57),
    (59, 59),
    (61, 61),
    (63, 63),
    (65, 65),
    (67, 67),
    (69, 69),
    (78, 85),
    (87, 87),
    (90, 91),
    (124, 155),
    (166, 170),
    (180, 184),
    (189, 192),
    (194, 194),
    (217, 218),
    (239, 256),
    (395, 395),
    (399, 399),
    (403, 403),
    (407, 407),
    (483, 499),
    (645, 647),
    (662, 662),
];

/// Events that are acknowledged by unmasking them (inclusive ranges of event types).
const UNMASK: &[(u16, u16)] = &[
    (32, 32),
    (34, 34),
    (36, 36),
    (38, 45),
    (54, 54),
    (56, 56),
    (58, 58),
    (60, 60),
    (62, 62),
    (64, 64),
    (66, 66),
    (68, 68),
    (70, 77),
    (86, 86),
    (88, 89),
    (92, 123),
    (156, 160),
    (176, 179),
    (185, 188),
    (193, 193),
    (200, 201),
    (203, 203),
    (205, 205),
    (207, 207),
    (209, 209),
    (211, 211),
    (213, 213),
    (215, 215),
    (219, 220),
    (224, 225),
    (229, 230),
    (234, 235),
    (257, 257),
    (262, 268),
    (277, 280),
    (300, 301),
    (306, 307),
    (312, 313),
    (318, 319),
    (324, 325),
    (330, 331),
    (336, 337),
    (342, 343),
    (380, 381),
    (383, 390),
    (396, 396),
    (400, 400),
    (404, 404),
    (408, 408),
    (548, 548),
    (572, 579),
    (581, 590),
    (594, 611),
    (658, 661),
];

/// Power throttling starts and ends; thermal throttling starts and ends.
pub(crate) const FIX_POWER_ENV_S: u16 = 658;
/// See [`FIX_POWER_ENV_S`].
pub(crate) const FIX_POWER_ENV_E: u16 = 659;
/// See [`FIX_POWER_ENV_S`].
pub(crate) const FIX_THERMAL_ENV_S: u16 = 660;
/// See [`FIX_POWER_ENV_S`].
pub(crate) const FIX_THERMAL_ENV_E: u16 = 661;

/// Whether event type `t` is in one of the inclusive ranges of `table`.
pub(crate) fn within(t: u16, table: &[(u16, u16)]) -> bool {
    table.iter().any(|&(a, b)| (a..=b).contains(&t))
}

/// The driver's answer to event type `t`.
pub(crate) fn action(t: u16) -> Action {
    if within(t, RESET) {
        Action::Reset
    } else if within(t, UNMASK) {
        Action::Unmask
    } else {
        Action::Count
    }
}

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
    fn the_tables_do_not_overlap_and_are_sorted() {
        for table in [RESET, UNMASK] {
            for w in table.windows(2) {
                assert!(w[0].1 < w[1].0);
            }
        }
        for &(a, b) in RESET {
            assert!(!(a..=b).any(|t| within(t, UNMASK)));
        }
    }
}
