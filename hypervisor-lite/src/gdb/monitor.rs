//! gdb's `monitor` commands, as mimic answers them: `monitor snapshot FILE` writes a snapshot
//! of the stopped guest (`mimic resume FILE` goes on from it) and leaves it stopped as it was;
//! `monitor help` lists the commands.

use super::Stub;
use gdbstub::target::ext::monitor_cmd::{outputln, ConsoleOutput, MonitorCmd};

const HELP: &str = "\
mimic's monitor commands:
  snapshot FILE   write a snapshot of the guest to FILE (mimic resume FILE goes on from it);
                  the guest stays as it is
  help            this list";

impl MonitorCmd for Stub {
    fn handle_monitor_cmd(&mut self, cmd: &[u8], mut out: ConsoleOutput<'_>) -> Result<(), String> {
        let text = String::from_utf8_lossy(cmd);
        let mut words = text.splitn(2, char::is_whitespace);
        let (verb, rest) = (
            words.next().unwrap_or(""),
            words.next().unwrap_or("").trim(),
        );
        match verb {
            "snapshot" if rest.is_empty() => outputln!(out, "monitor snapshot: a file name"),
            "snapshot" => match self.control.checkpoint(std::path::Path::new(rest)) {
                Ok(line) => outputln!(out, "{}", line.trim_start_matches("mimic: ")),
                Err(e) => outputln!(out, "snapshot to {rest} refused: {e}"),
            },
            "help" | "" => outputln!(out, "{HELP}"),
            _ => outputln!(
                out,
                "unknown monitor command '{verb}' (monitor help lists them)"
            ),
        }
        Ok(())
    }
}
