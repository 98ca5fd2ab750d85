//! Time: timespec, itimerspec, timeval, itimerval, timezone, tms, rusage.

use super::layout::layout;

layout! {
    /// `struct timespec` (nanosleep, clock_gettime, ppoll, futex timeouts).
    pub struct Timespec = "timespec", size 16, align 8 {
        0 tv_sec: i64,
        8 tv_nsec: i64,
    }

    /// `struct itimerspec` (timerfd_settime, timerfd_gettime).
    pub struct Itimerspec = "itimerspec", size 32, align 8 {
        0 it_interval: Timespec,
        16 it_value: Timespec,
    }

    /// `struct timeval` (gettimeofday, rusage).
    pub struct Timeval = "timeval", size 16, align 8 {
        0 tv_sec: i64,
        8 tv_usec: i64,
    }

    /// `struct itimerval` (setitimer, getitimer).
    pub struct Itimerval = "itimerval", size 32, align 8 {
        0 it_interval: Timeval,
        16 it_value: Timeval,
    }

    /// `struct timezone` (gettimeofday).
    pub struct Timezone = "timezone", size 8, align 4 {
        0 tz_minuteswest: i32,
        4 tz_dsttime: i32,
    }

    /// `struct tms` (times): clock_t is long.
    pub struct Tms = "tms", size 32, align 8 {
        0 tms_utime: i64,
        8 tms_stime: i64,
        16 tms_cutime: i64,
        24 tms_cstime: i64,
    }

    /// `struct rusage` (getrusage, wait4).
    pub struct Rusage = "rusage", size 144, align 8 {
        0 ru_utime: Timeval,
        16 ru_stime: Timeval,
        32 ru_maxrss: i64,
        40 ru_ixrss: i64,
        48 ru_idrss: i64,
        56 ru_isrss: i64,
        64 ru_minflt: i64,
        72 ru_majflt: i64,
        80 ru_nswap: i64,
        88 ru_inblock: i64,
        96 ru_oublock: i64,
        104 ru_msgsnd: i64,
        112 ru_msgrcv: i64,
        120 ru_nsignals: i64,
        128 ru_nvcsw: i64,
        136 ru_nivcsw: i64,
    }
}

impl Timespec {
    /// The time in nanoseconds; None when it is negative or tv_nsec is out of range (the
    /// kernel's EINVAL).
    pub fn nanos(&self) -> Option<u64> {
        const NSEC: i64 = 1_000_000_000;
        if self.tv_sec < 0 || !(0..NSEC).contains(&self.tv_nsec) {
            return None;
        }
        Some(
            (self.tv_sec as u64)
                .saturating_mul(NSEC as u64)
                .saturating_add(self.tv_nsec as u64),
        )
    }
}
