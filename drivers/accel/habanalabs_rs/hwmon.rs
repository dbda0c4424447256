// SPDX-License-Identifier: GPL-2.0

//! The device's sensors as a hwmon device, described by the firmware.
//!
//! `struct cpucp_info` lists the sensors the card has: per entry a hwmon sensor type and the
//! attributes it supports, with the kernel's hwmon numbering (the firmware does not set
//! `MAP_HWMON_EN`, so no translation applies). The list ends at the first empty entry. Each
//! read asks the device CPU: temperatures, voltages, currents, power, fan speed and PWM have an
//! opcode each, with the channel and the attribute in the packet.

use crate::cpucp::{self, op, Packet};
use crate::gaudi::{info_layout, Gaudi};
use kernel::{bindings, hwmon, prelude::*};

/// Sensor types the hwmon core knows (`hwmon_max`).
pub(crate) const SENSOR_TYPES: u32 = 11;

/// The CPU-CP opcode that reads sensors of type `ty`.
pub(crate) fn opcode_for(ty: u32) -> Option<u32> {
    Some(match ty {
        bindings::hwmon_sensor_types_hwmon_temp => op::TEMPERATURE_GET,
        bindings::hwmon_sensor_types_hwmon_in => op::VOLTAGE_GET,
        bindings::hwmon_sensor_types_hwmon_curr => op::CURRENT_GET,
        bindings::hwmon_sensor_types_hwmon_power => op::POWER_GET,
        bindings::hwmon_sensor_types_hwmon_fan => op::FAN_SPEED_GET,
        bindings::hwmon_sensor_types_hwmon_pwm => op::PWM_GET,
        _ => return None,
    })
}

/// Groups the firmware's sensor list `(type, attribute mask)` by type, in type order, each
/// type's channels in list order. Entries of types the driver cannot read are skipped.
pub(crate) fn channels(sensors: &[(u32, u32)]) -> Result<KVec<hwmon::Channels>> {
    let mut out = KVec::new();
    for ty in 0..SENSOR_TYPES {
        if opcode_for(ty).is_none() {
            continue;
        }
        let mut configs = KVec::new();
        for &(t, flags) in sensors {
            if t == ty {
                configs.push(flags, GFP_KERNEL)?;
            }
        }
        if !configs.is_empty() {
            out.push(hwmon::Channels { ty, configs }, GFP_KERNEL)?;
        }
    }
    Ok(out)
}

impl hwmon::Chip for Gaudi<'_> {
    fn read(&self, ty: hwmon::SensorType, attr: u32, channel: i32) -> Result<i64> {
        let opcode = opcode_for(ty).ok_or(EOPNOTSUPP)?;
        let channel = u32::try_from(channel).map_err(|_| EINVAL)?;
        if !self.operational() {
            return Err(ENODEV);
        }
        let v = self.send(
            Packet {
                word16: (channel & 0xFFFF) | (attr << 16),
                ..Packet::new(opcode, 0)
            },
            cpucp::MSG_TIMEOUT,
        )?;
        Ok(v as i64)
    }
}

impl Gaudi<'_> {
    /// The sensor list of `cpucp_info`, up to its first empty entry.
    pub(crate) fn sensors(&self) -> Result<KVec<(u32, u32)>> {
        let mut out = KVec::new();
        for s in 0..info_layout::SENSOR_COUNT {
            let t = self.info_u32(info_layout::SENSORS + s * 8);
            let f = self.info_u32(info_layout::SENSORS + s * 8 + 4);
            if t == 0 && f == 0 {
                break;
            }
            out.push((t, f), GFP_KERNEL)?;
        }
        Ok(out)
    }
}

#[kunit_tests(habanalabs_rs_hwmon)]
mod tests {
    use super::*;

    #[test]
    fn sensors_are_grouped_by_type_in_order() {
        let list = [(1, 0x82), (2, 0x2), (1, 0x2), (8, 0x2), (5, 0x1)];
        let c = channels(&list).unwrap();
        // Temperature (1), voltage (2), fan (8); energy (5) has no opcode and is skipped.
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].ty, 1);
        assert_eq!(&c[0].configs[..], &[0x82, 0x2]);
        assert_eq!(c[1].ty, 2);
        assert_eq!(c[2].ty, 8);
    }

    #[test]
    fn each_readable_type_has_its_opcode() {
        assert_eq!(opcode_for(1), Some(op::TEMPERATURE_GET));
        assert_eq!(opcode_for(4), Some(op::POWER_GET));
        assert_eq!(opcode_for(9), Some(op::PWM_GET));
        assert_eq!(opcode_for(0), None);
        assert_eq!(opcode_for(5), None);
    }
}
