// SPDX-License-Identifier: GPL-2.0

//! The device's sensors as a hwmon device, described by the firmware.
//!
//! `struct cpucp_info` lists the sensors the card has: per entry a hwmon sensor type and the
//! attributes it supports, with the kernel's hwmon numbering (the firmware does not set
//! `MAP_HWMON_EN`, so no translation applies). The list ends at the first empty entry. Each
//! read asks the device CPU: temperatures, voltages, currents, power, fan speed and PWM have an
//! opcode each, with the channel and the attribute in the packet.
//!
//! The attributes' modes are upstream's: the readings and limits read-only, a temperature's
//! offset and the PWM duty cycle and mode read-write, the history resets write-only; others
//! are hidden. A write is sent to the device CPU (temperature, voltage, current and PWM
//! settings have an opcode each; Gaudi resets the power history with the power-reading
//! opcode, as upstream does); as upstream, a write succeeds once sent, and a firmware refusal
//! is logged, not returned.

use crate::cpucp::{self, op, Packet};
use crate::gaudi::{info_layout, Gaudi};
use kernel::{bindings as b, hwmon, prelude::*};

/// Sensor types the hwmon core knows (`hwmon_max`).
pub(crate) const SENSOR_TYPES: u32 = 11;

/// The CPU-CP opcode that reads sensors of type `ty`.
pub(crate) fn opcode_for(ty: u32) -> Option<u32> {
    Some(match ty {
        b::hwmon_sensor_types_hwmon_temp => op::TEMPERATURE_GET,
        b::hwmon_sensor_types_hwmon_in => op::VOLTAGE_GET,
        b::hwmon_sensor_types_hwmon_curr => op::CURRENT_GET,
        b::hwmon_sensor_types_hwmon_power => op::POWER_GET,
        b::hwmon_sensor_types_hwmon_fan => op::FAN_SPEED_GET,
        b::hwmon_sensor_types_hwmon_pwm => op::PWM_GET,
        _ => return None,
    })
}

/// Upstream's mode of attribute `attr` of sensor type `ty` (0: not shown).
pub(crate) fn mode(ty: u32, attr: u32) -> u16 {
    match (ty, attr) {
        (b::hwmon_sensor_types_hwmon_temp, b::hwmon_temp_attributes_hwmon_temp_input)
        | (b::hwmon_sensor_types_hwmon_temp, b::hwmon_temp_attributes_hwmon_temp_max)
        | (b::hwmon_sensor_types_hwmon_temp, b::hwmon_temp_attributes_hwmon_temp_max_hyst)
        | (b::hwmon_sensor_types_hwmon_temp, b::hwmon_temp_attributes_hwmon_temp_crit)
        | (b::hwmon_sensor_types_hwmon_temp, b::hwmon_temp_attributes_hwmon_temp_crit_hyst)
        | (b::hwmon_sensor_types_hwmon_temp, b::hwmon_temp_attributes_hwmon_temp_highest)
        | (b::hwmon_sensor_types_hwmon_in, b::hwmon_in_attributes_hwmon_in_input)
        | (b::hwmon_sensor_types_hwmon_in, b::hwmon_in_attributes_hwmon_in_min)
        | (b::hwmon_sensor_types_hwmon_in, b::hwmon_in_attributes_hwmon_in_max)
        | (b::hwmon_sensor_types_hwmon_in, b::hwmon_in_attributes_hwmon_in_highest)
        | (b::hwmon_sensor_types_hwmon_curr, b::hwmon_curr_attributes_hwmon_curr_input)
        | (b::hwmon_sensor_types_hwmon_curr, b::hwmon_curr_attributes_hwmon_curr_min)
        | (b::hwmon_sensor_types_hwmon_curr, b::hwmon_curr_attributes_hwmon_curr_max)
        | (b::hwmon_sensor_types_hwmon_curr, b::hwmon_curr_attributes_hwmon_curr_highest)
        | (b::hwmon_sensor_types_hwmon_fan, b::hwmon_fan_attributes_hwmon_fan_input)
        | (b::hwmon_sensor_types_hwmon_fan, b::hwmon_fan_attributes_hwmon_fan_min)
        | (b::hwmon_sensor_types_hwmon_fan, b::hwmon_fan_attributes_hwmon_fan_max)
        | (b::hwmon_sensor_types_hwmon_power, b::hwmon_power_attributes_hwmon_power_input)
        | (
            b::hwmon_sensor_types_hwmon_power,
            b::hwmon_power_attributes_hwmon_power_input_highest,
        ) => 0o444,
        (b::hwmon_sensor_types_hwmon_temp, b::hwmon_temp_attributes_hwmon_temp_offset)
        | (b::hwmon_sensor_types_hwmon_pwm, b::hwmon_pwm_attributes_hwmon_pwm_input)
        | (b::hwmon_sensor_types_hwmon_pwm, b::hwmon_pwm_attributes_hwmon_pwm_enable) => 0o644,
        (b::hwmon_sensor_types_hwmon_temp, b::hwmon_temp_attributes_hwmon_temp_reset_history)
        | (b::hwmon_sensor_types_hwmon_in, b::hwmon_in_attributes_hwmon_in_reset_history)
        | (b::hwmon_sensor_types_hwmon_curr, b::hwmon_curr_attributes_hwmon_curr_reset_history)
        | (
            b::hwmon_sensor_types_hwmon_power,
            b::hwmon_power_attributes_hwmon_power_reset_history,
        ) => 0o200,
        _ => 0,
    }
}

/// The CPU-CP opcode that sets attribute `attr` of sensors of type `ty`, for the attributes
/// [`mode`] makes writable.
pub(crate) fn set_opcode_for(ty: u32, attr: u32) -> Option<u32> {
    if mode(ty, attr) & 0o200 == 0 {
        return None;
    }
    Some(match ty {
        b::hwmon_sensor_types_hwmon_temp => op::TEMPERATURE_SET,
        b::hwmon_sensor_types_hwmon_in => op::VOLTAGE_SET,
        b::hwmon_sensor_types_hwmon_curr => op::CURRENT_SET,
        b::hwmon_sensor_types_hwmon_pwm => op::PWM_SET,
        // Gaudi resets the power history through the power-reading packet.
        b::hwmon_sensor_types_hwmon_power => op::POWER_GET,
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
    fn visible(&self, ty: hwmon::SensorType, attr: u32, _channel: i32) -> u16 {
        mode(ty, attr)
    }

    fn write(&self, ty: hwmon::SensorType, attr: u32, channel: i32, value: i64) -> Result {
        let opcode = set_opcode_for(ty, attr).ok_or(EINVAL)?;
        let channel = u32::try_from(channel).map_err(|_| EINVAL)?;
        if !self.operational() {
            return Err(ENODEV);
        }
        let pkt = Packet {
            word16: (channel & 0xFFFF) | (attr << 16),
            ..Packet::new(opcode, value as u64)
        };
        if let Err(e) = self.send(pkt, cpucp::MSG_TIMEOUT) {
            dev_err!(
                self.bound(),
                "firmware refused setting {} of sensor {} (type {}) to {}: {:?}\n",
                attr,
                channel,
                ty,
                value,
                e
            );
        }
        Ok(())
    }

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
    fn modes_and_settings_are_upstreams() {
        use b::*;
        assert_eq!(
            mode(
                hwmon_sensor_types_hwmon_temp,
                hwmon_temp_attributes_hwmon_temp_input
            ),
            0o444
        );
        assert_eq!(
            mode(
                hwmon_sensor_types_hwmon_temp,
                hwmon_temp_attributes_hwmon_temp_offset
            ),
            0o644
        );
        assert_eq!(
            mode(
                hwmon_sensor_types_hwmon_in,
                hwmon_in_attributes_hwmon_in_reset_history
            ),
            0o200
        );
        assert_eq!(
            mode(
                hwmon_sensor_types_hwmon_temp,
                hwmon_temp_attributes_hwmon_temp_lcrit
            ),
            0
        );
        assert_eq!(
            set_opcode_for(
                hwmon_sensor_types_hwmon_pwm,
                hwmon_pwm_attributes_hwmon_pwm_enable
            ),
            Some(op::PWM_SET)
        );
        assert_eq!(
            set_opcode_for(
                hwmon_sensor_types_hwmon_power,
                hwmon_power_attributes_hwmon_power_reset_history
            ),
            Some(op::POWER_GET)
        );
        assert_eq!(
            set_opcode_for(
                hwmon_sensor_types_hwmon_temp,
                hwmon_temp_attributes_hwmon_temp_input
            ),
            None
        );
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
