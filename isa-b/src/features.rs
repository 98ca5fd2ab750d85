//! Which optional x86-64 extensions the code being emitted may use.
//!
//! The emitter offers forms from extensions beyond x86-64's baseline (SSE2): VEX-encoded
//! three-operand scalar SSE (AVX), fused multiply-adds (FMA3), `andn` (BMI1), `rorx` and
//! `shlx`/`shrx`/`sarx` (BMI2). The emitter does not check them: whoever chooses a form
//! decides by a [`HostFeatures`], which [`HostFeatures::detect`] reads from the running CPU
//! (and its kernel's support for the AVX state) once per process, and which tests build by
//! hand to emit for a host other than the one they run on.

use std::sync::OnceLock;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct HostFeatures {
    pub avx: bool,
    pub fma: bool,
    pub bmi1: bool,
    pub bmi2: bool,
}

impl HostFeatures {
    /// The x86-64 baseline only.
    pub const NONE: HostFeatures = HostFeatures {
        avx: false,
        fma: false,
        bmi1: false,
        bmi2: false,
    };

    /// Every extension the emitter has forms of.
    pub const ALL: HostFeatures = HostFeatures {
        avx: true,
        fma: true,
        bmi1: true,
        bmi2: true,
    };

    /// What the running host has.
    pub fn detect() -> HostFeatures {
        static HOST: OnceLock<HostFeatures> = OnceLock::new();
        *HOST.get_or_init(|| HostFeatures {
            avx: std::arch::is_x86_feature_detected!("avx"),
            // The FMA forms are VEX-encoded: usable only where AVX's state is.
            fma: std::arch::is_x86_feature_detected!("fma")
                && std::arch::is_x86_feature_detected!("avx"),
            bmi1: std::arch::is_x86_feature_detected!("bmi1"),
            bmi2: std::arch::is_x86_feature_detected!("bmi2"),
        })
    }
}
