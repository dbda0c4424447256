// SPDX-License-Identifier: GPL-2.0
//! A small leveled logger writing to stderr, with the time since start.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

/// How much the model says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Only failures.
    Error = 1,
    /// Failures and things the guest did that the model does not implement.
    Warn = 2,
    /// Lifecycle: listening, connected, reset, disconnected.
    Info = 3,
    /// Every interrupt and DMA mapping.
    Debug = 4,
    /// Every register access.
    Trace = 5,
}

impl Level {
    /// Parses a level name as given on the command line.
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "error" => Level::Error,
            "warn" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "trace" => Level::Trace,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);
static START: OnceLock<Instant> = OnceLock::new();

/// Sets the most detailed level that is printed.
pub fn set_level(level: Level) {
    START.get_or_init(Instant::now);
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Whether messages of `level` are printed.
pub fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// Prints one message; use the macros instead.
pub fn emit(level: Level, args: std::fmt::Arguments<'_>) {
    let t = START.get_or_init(Instant::now).elapsed();
    eprintln!(
        "[{:>10.6}] hl-model {}: {}",
        t.as_secs_f64(),
        level.name(),
        args
    );
}

/// Logs at a level if that level is enabled.
#[macro_export]
macro_rules! log_at {
    ($lvl:expr, $($arg:tt)*) => {
        if $crate::log::enabled($lvl) {
            $crate::log::emit($lvl, format_args!($($arg)*));
        }
    };
}
/// Logs a failure.
#[macro_export]
macro_rules! error { ($($a:tt)*) => { $crate::log_at!($crate::log::Level::Error, $($a)*) }; }
/// Logs something the model does not implement or the guest got wrong.
#[macro_export]
macro_rules! warn { ($($a:tt)*) => { $crate::log_at!($crate::log::Level::Warn, $($a)*) }; }
/// Logs a lifecycle event.
#[macro_export]
macro_rules! info { ($($a:tt)*) => { $crate::log_at!($crate::log::Level::Info, $($a)*) }; }
/// Logs a detail.
#[macro_export]
macro_rules! debug { ($($a:tt)*) => { $crate::log_at!($crate::log::Level::Debug, $($a)*) }; }
/// Logs every access.
#[macro_export]
macro_rules! trace { ($($a:tt)*) => { $crate::log_at!($crate::log::Level::Trace, $($a)*) }; }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_level_name_and_nothing_else() {
        for l in [
            Level::Error,
            Level::Warn,
            Level::Info,
            Level::Debug,
            Level::Trace,
        ] {
            assert_eq!(Level::parse(l.name()), Some(l));
        }
        assert_eq!(Level::parse("verbose"), None);
        assert_eq!(Level::parse(""), None);
    }
}
