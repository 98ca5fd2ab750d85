//! What of the emulated kernel a snapshot cannot carry yet: armed timers and signalfds live
//! in tables of this floor, and a snapshot that dropped them would change what the guest
//! sees. A snapshot is refused while the process has any, with the reason.

use crate::state::Shared;
use std::sync::Arc;

/// Ok if nothing of this floor stops a snapshot of the process; else the one-line reason.
pub fn snapshot_check(shared: &Arc<Shared>) -> Result<(), String> {
    let timers = super::timer::armed(shared);
    if timers > 0 {
        return Err(format!(
            "{timers} armed timer(s) (setitimer, alarm, timer_create): a snapshot does not carry \
             timers yet"
        ));
    }
    let sigfds = super::sigfd::held(shared);
    if sigfds > 0 {
        return Err(format!(
            "{sigfds} signalfd(s): a snapshot does not carry signalfds yet"
        ));
    }
    Ok(())
}
