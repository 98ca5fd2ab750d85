//! The UI's state: what is selected, scrolled and typed, and what each key does. The guest
//! is reached only through the inspection protocol's [`Client`]: in-process for `mimic tui`,
//! over a socket for `mimic tui --attach`; its replies are applied as they arrive.

use crate::backtrace::Frame;
use crate::disasm::Disassembler;
use crate::program::{parse_hex, Program};
use crate::remote::client::Client;
use crate::remote::protocol::{Call, Reply, Stub};
use crate::remote::server::Inspected;
use hypervisor_lite::control::{
    BlockInfo, Control, Snapshot, Step, VcpuSnapshot, VcpuState, WatchKind, Watchpoint, Why,
};
use hypervisor_lite::isa_a::{Cpu, FReg, XReg};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;
use std::sync::Arc;

/// The panels, in the order Tab visits them (and their number keys).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Panel {
    Code,
    Memory,
    Stack,
    Blocks,
    Threads,
    Output,
    Syscalls,
    Registers,
    Layers,
    Backtrace,
}

impl Panel {
    pub const ALL: [Panel; 10] = [
        Panel::Code,
        Panel::Memory,
        Panel::Stack,
        Panel::Blocks,
        Panel::Threads,
        Panel::Output,
        Panel::Syscalls,
        Panel::Registers,
        Panel::Layers,
        Panel::Backtrace,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Panel::Code => "Disassembly",
            Panel::Memory => "Memory",
            Panel::Stack => "Stack",
            Panel::Blocks => "Blocks",
            Panel::Threads => "Threads / vCPUs",
            Panel::Output => "Guest output",
            Panel::Syscalls => "Syscalls",
            Panel::Registers => "Registers (interface A)",
            Panel::Layers => "Layers",
            Panel::Backtrace => "Backtrace",
        }
    }

    fn index(self) -> usize {
        Panel::ALL.iter().position(|&p| p == self).unwrap_or(0)
    }
}

/// What the prompt line is asking for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ask {
    Breakpoint,
    GoTo,
    Register,
    Watch,
    SetRegister,
    WriteMemory,
    Checkpoint,
}

impl Ask {
    pub fn label(self) -> &'static str {
        match self {
            Ask::Breakpoint => "breakpoint (address or symbol)",
            Ask::GoTo => "go to (address, symbol or register)",
            Ask::Register => "inspect register (x5, t0, f10, fa0, pc)",
            Ask::Watch => "watch writes to (address or symbol[ length]; again: remove)",
            Ask::SetRegister => "set register (a0 = 0x10, pc = main+4, s1 = -1)",
            Ask::WriteMemory => "write memory (address = u64 value, or address = bytes 'hex')",
            Ask::Checkpoint => "snapshot to file (written by the guest's mimic; it goes on)",
        }
    }
}

/// A host thread of mimic, from /proc/self/task.
#[derive(Clone, Debug, PartialEq)]
pub struct HostThread {
    pub tid: i32,
    pub name: String,
    /// user + system CPU time, in seconds.
    pub cpu_secs: f64,
}

/// The registers of one vCPU at its last two stops, for "changed since the last stop".
#[derive(Clone, Debug)]
struct Stops {
    stop: u64,
    at_stop: Cpu,
    before: Option<Cpu>,
}

/// Lines the disassembly shows above the focused instruction.
pub const CODE_CONTEXT: u64 = 128;
/// Bytes of guest memory asked for by the disassembly, memory and stack panels.
pub const CODE_WINDOW: u64 = 512;
pub const MEMORY_WINDOW: u64 = 512;
/// The stack from sp: the stack panel and the backtrace's unwinding read it.
pub const STACK_WINDOW: u64 = 8192;

pub struct App {
    pub program: Program,
    /// The guest, through the inspection protocol.
    pub peer: Client,
    pub disasm: Disassembler,
    pub snap: Snapshot,
    pub host_threads: Vec<HostThread>,
    pub focus: Panel,
    /// Which of memory / stack / blocks the lower tabbed area shows.
    pub lower: Panel,
    /// The selected vCPU's guest tid.
    pub vcpu: Option<i32>,
    /// The disassembly's focused address; None follows pc.
    pub code_at: Option<u64>,
    /// The memory panel's address; None shows gp's.
    pub mem_at: Option<u64>,
    pub block_sel: usize,
    /// Lines scrolled back from the end in the output and syscall panes.
    pub output_back: usize,
    pub syscalls_back: usize,
    pub prompt: Option<(Ask, String)>,
    /// The focused panel fills the screen.
    pub zoom: bool,
    /// Which panel the small screen's lower area shows (any but code and registers).
    pub bottom: Panel,
    /// The selected vCPU's frames, innermost first.
    pub frames: Vec<Frame>,
    pub help: bool,
    pub message: String,
    pub quit: bool,
    stops: HashMap<i32, Stops>,
    /// What was last sent, so a call goes out only when it changes something.
    sent_views: Option<Vec<(u64, u64)>>,
    sent_host_view: Option<Option<u64>>,
    /// A snapshot or host-thread call is on its way: no second one is sent meanwhile.
    awaiting: Vec<Call>,
    /// Watchpoints whose removal was asked for, as typed: a `false` reply (none there)
    /// sets them instead.
    unwatched: Vec<Watchpoint>,
    /// What the message line says when a call sent succeeds (a write, a register edit).
    notes: Vec<(Call, String)>,
}

impl App {
    /// The UI over a guest in this process.
    pub fn new(program: Program, control: Arc<Control>) -> App {
        let service = Inspected {
            control,
            program: program.clone(),
            image: (String::new(), Vec::new()),
        };
        App::with_client(program, Client::local(Arc::new(service)))
    }

    /// The UI over the guest `peer` reaches.
    pub fn with_client(program: Program, peer: Client) -> App {
        App {
            program,
            peer,
            disasm: Disassembler::new(),
            snap: Snapshot::default(),
            host_threads: Vec::new(),
            focus: Panel::Code,
            lower: Panel::Memory,
            vcpu: None,
            code_at: None,
            mem_at: None,
            block_sel: 0,
            output_back: 0,
            syscalls_back: 0,
            prompt: None,
            zoom: false,
            bottom: Panel::Backtrace,
            frames: Vec::new(),
            help: false,
            message: String::new(),
            quit: false,
            stops: HashMap::new(),
            sent_views: None,
            sent_host_view: None,
            awaiting: Vec::new(),
            unwatched: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Applies the replies that arrived, asks for the memory now shown, and asks for a new
    /// sample of the guest (and the host's threads) unless one is on its way.
    pub fn refresh(&mut self) {
        self.take_answers();
        let views = self.views();
        if self.sent_views.as_ref() != Some(&views) {
            self.peer.set_views(views.clone());
            self.sent_views = Some(views);
        }
        let host = self
            .selected_block()
            .filter(|b| b.host_bytes.is_some())
            .map(|b| b.pc);
        if self.sent_host_view != Some(host) {
            self.peer.set_host_view(host);
            self.sent_host_view = Some(host);
        }
        for call in [Call::Snapshot, Call::HostThreads] {
            if !self.awaiting.contains(&call) {
                match call {
                    Call::Snapshot => self.peer.snapshot(),
                    _ => self.peer.host_threads(),
                };
                self.awaiting.push(call);
            }
        }
        self.take_answers();
    }

    /// Applies what the peer answered; a failed call is said in the message line.
    pub fn take_answers(&mut self) {
        for (call, result) in self.peer.poll() {
            self.awaiting.retain(|&c| c != call);
            match result {
                Ok(Reply::Snapshot(snap)) => self.new_snapshot(snap),
                Ok(Reply::HostThreads(t)) => self.host_threads = t,
                Ok(Reply::ToggleBreakpoint((addr, set))) => self.toggled(addr, set),
                Ok(Reply::Program(p)) => self.program = p,
                Ok(Reply::RemoveWatchpoint(removed)) => self.unwatch_answered(removed),
                Ok(Reply::Checkpoint(line)) => {
                    self.notes.retain(|n| n.0 != call);
                    self.message = line.trim_start_matches("mimic: ").to_string();
                }
                Ok(_) => {
                    if let Some(i) = self.notes.iter().position(|n| n.0 == call) {
                        self.message = self.notes.remove(i).1;
                    }
                }
                Err(e) => {
                    self.notes.retain(|n| n.0 != call);
                    // Views are sent again at the next refresh.
                    if call == Call::SetViews {
                        self.sent_views = None;
                    }
                    if call == Call::RemoveWatchpoint {
                        self.unwatched.remove(0);
                    }
                    self.message = format!("{}: {}", call.name(), e.message);
                }
            }
        }
        if let Some(why) = self.peer.gone() {
            self.message = format!("disconnected from {}: {why}", self.peer.peer);
        }
    }

    /// After a call whose success `note` says: what the message line says now (the reply
    /// when it came at once, as in-process; else that it is awaited), with a new sample.
    fn said(&mut self, call: Call, note: String) -> String {
        self.message.clear();
        self.notes.push((call, note));
        self.take_answers();
        let said = std::mem::take(&mut self.message);
        self.resample();
        match said {
            m if m.is_empty() => format!("{}: waiting for the reply", call.name()),
            m => m,
        }
    }

    /// Asks for a new sample now (after an edit) and applies it if it is already here.
    fn resample(&mut self) {
        if !self.awaiting.contains(&Call::Snapshot) {
            self.peer.snapshot();
            self.awaiting.push(Call::Snapshot);
        }
        self.take_answers();
    }

    fn new_snapshot(&mut self, snap: Snapshot) {
        let (stops, ended) = (self.snap.stops, self.exited());
        self.snap = snap;
        // A breakpoint hit by another thread shows that thread.
        if self.snap.stops != stops {
            if let Some(tid) = self.snap.stopped_by {
                self.vcpu = Some(tid);
            }
        }
        // What the last key did is old news once the guest stopped again or ended: the
        // status line says what happened instead.
        if self.snap.stops != stops || self.exited() != ended {
            self.message.clear();
        }
        self.frames = self.backtrace();
        self.note_stops();
    }

    fn note_stops(&mut self) {
        for v in &self.snap.vcpus {
            if v.state != VcpuState::Paused {
                continue;
            }
            let e = self.stops.entry(v.tid).or_insert_with(|| Stops {
                stop: u64::MAX,
                at_stop: v.cpu.clone(),
                before: None,
            });
            if e.stop != self.snap.stops {
                let prev = std::mem::replace(&mut e.at_stop, v.cpu.clone());
                e.before = (e.stop != u64::MAX).then_some(prev);
                e.stop = self.snap.stops;
            }
        }
    }

    /// Shows guest thread `from` as `to`, everywhere, for pictures that must not depend on
    /// mimic's pid (the snapshot tests, the README's screen).
    pub fn rename_vcpu(&mut self, from: i32, to: i32) {
        for v in self.snap.vcpus.iter_mut().filter(|v| v.tid == from) {
            v.tid = to;
        }
        if let Some(s) = self.stops.remove(&from) {
            self.stops.insert(to, s);
        }
        for l in &mut self.snap.syscall_log {
            *l = l.replace(&format!("[{from}]"), &format!("[{to}]"));
            // gettid, set_tid_address, getpid return it.
            if let Some(call) = l.strip_suffix(&format!(" = {from}")) {
                *l = format!("{call} = {to}");
            }
        }
        if self.vcpu == Some(from) {
            self.vcpu = Some(to);
        }
    }

    /// Whether every vCPU has exited (the last state stays on screen).
    pub fn exited(&self) -> bool {
        let vs = &self.snap.vcpus;
        !vs.is_empty() && vs.iter().all(|v| matches!(v.state, VcpuState::Exited(_)))
    }

    /// The selected vCPU's frames, unwound through the stack it copied out.
    pub fn backtrace(&self) -> Vec<Frame> {
        match self.selected() {
            Some(v) => self.program.unwind.backtrace(&v.cpu, &|a| self.word(a)),
            None => Vec::new(),
        }
    }

    /// The 64-bit word at `addr`, if a view holds it.
    pub fn word(&self, addr: u64) -> Option<u64> {
        let b = self.view(addr, 8)?;
        b[..8]
            .iter()
            .rev()
            .try_fold(0u64, |acc, b| b.map(|b| acc << 8 | b as u64))
    }

    /// The selected vCPU (the first one when none is selected yet).
    pub fn selected(&self) -> Option<&VcpuSnapshot> {
        let vs = &self.snap.vcpus;
        self.vcpu
            .and_then(|t| vs.iter().find(|v| v.tid == t))
            .or_else(|| vs.first())
    }

    /// What the selected vCPU's registers are compared with: the previous stop while paused,
    /// the last stop while running.
    pub fn compare_base(&self) -> Option<&Cpu> {
        let v = self.selected()?;
        let s = self.stops.get(&v.tid)?;
        if v.state == VcpuState::Paused {
            s.before.as_ref()
        } else {
            Some(&s.at_stop)
        }
    }

    pub fn code_focus(&self) -> Option<u64> {
        self.code_at.or_else(|| self.selected().map(|v| v.cpu.pc))
    }

    pub fn mem_addr(&self) -> u64 {
        self.mem_at
            .or_else(|| self.selected().map(|v| v.cpu.x[3]))
            .unwrap_or(0)
    }

    /// The guest memory ranges the panels show, for the vCPU to copy out.
    pub fn views(&self) -> Vec<(u64, u64)> {
        let Some(v) = self.selected() else {
            return Vec::new();
        };
        let code = self.code_focus().unwrap_or(0);
        let mut views = vec![
            (code.saturating_sub(CODE_CONTEXT) & !1, CODE_WINDOW),
            (self.mem_addr(), MEMORY_WINDOW),
            (v.cpu.x[2], STACK_WINDOW),
        ];
        if let Some(b) = self.selected_block() {
            views.push((b.pc, b.guest_bytes));
        }
        views
    }

    /// The block selected in the blocks panel, while that panel is shown.
    pub fn selected_block(&self) -> Option<&BlockInfo> {
        (self.lower == Panel::Blocks)
            .then(|| self.snap.engine.list.get(self.block_sel))
            .flatten()
    }

    /// Published bytes covering `addr..addr+len`, starting at `addr`, if the vCPU copied them.
    pub fn view(&self, addr: u64, len: u64) -> Option<&[Option<u8>]> {
        self.snap.views.iter().find_map(|(start, bytes)| {
            let off = addr.checked_sub(*start)?;
            (off + len <= bytes.len() as u64).then(|| &bytes[off as usize..])
        })
    }

    /// An address from text: a register name, a symbol (`main+0x10`) or hex.
    pub fn resolve(&self, text: &str) -> Option<u64> {
        let t = text.trim();
        if let Some(v) = self.selected() {
            if t == "pc" {
                return Some(v.cpu.pc);
            }
            if let Some(r) = (0..32).find(|&r| XReg::new(r).abi_name() == t || format!("x{r}") == t)
            {
                return Some(v.cpu.x[r as usize]);
            }
        }
        self.program.resolve(t)
    }

    // ---- keys ------------------------------------------------------------------------------

    pub fn key(&mut self, k: KeyEvent) {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        if let Some((ask, mut text)) = self.prompt.take() {
            match k.code {
                KeyCode::Enter => self.answer(ask, &text),
                KeyCode::Esc => {}
                KeyCode::Backspace => {
                    text.pop();
                    self.prompt = Some((ask, text));
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    self.prompt = Some((ask, text));
                }
                _ => self.prompt = Some((ask, text)),
            }
            return;
        }
        if self.help {
            self.help = !matches!(k.code, KeyCode::Esc | KeyCode::Char('?' | 'q'));
            return;
        }
        let tid = self.selected().map(|v| v.tid);
        match k.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.help = true,
            KeyCode::Char(' ' | 'c') if self.exited() => {
                self.message = "the guest has exited: q quits".into()
            }
            KeyCode::Char(' ' | 'c') => {
                if self.snap.paused {
                    // At a fatal signal, running on delivers it.
                    self.message = match self.snap.why {
                        Why::Fatal { .. } => "letting the guest die".into(),
                        _ => String::new(),
                    };
                    self.peer.resume();
                } else {
                    self.peer.pause();
                    self.message = "pausing".into();
                }
            }
            KeyCode::Char('f') => self.finish(),
            KeyCode::Char('z') => self.zoom = !self.zoom,
            KeyCode::Char('w') => self.prompt = Some((Ask::Watch, String::new())),
            KeyCode::Char('=') => self.prompt = Some((Ask::SetRegister, String::new())),
            KeyCode::Char('m') => self.prompt = Some((Ask::WriteMemory, String::new())),
            KeyCode::Char('K') => self.prompt = Some((Ask::Checkpoint, String::new())),
            KeyCode::Char('s') => self.step(tid, Step::Insn),
            KeyCode::Char('n') => self.step(tid, Step::Over),
            KeyCode::Char('S') => self.step(tid, Step::Block),
            KeyCode::Char('y') => self.step(tid, Step::Syscall),
            KeyCode::Char('b') => self.prompt = Some((Ask::Breakpoint, String::new())),
            KeyCode::Char('g') => self.prompt = Some((Ask::GoTo, String::new())),
            KeyCode::Char('i') => self.prompt = Some((Ask::Register, String::new())),
            KeyCode::Char('B') | KeyCode::Enter if self.focus == Panel::Code => {
                if let Some(a) = self.code_focus() {
                    self.toggle_breakpoint(a);
                }
            }
            KeyCode::Char('.') => {
                self.code_at = None;
                self.mem_at = None;
            }
            KeyCode::Char('v') => self.next_vcpu(),
            KeyCode::Tab => self.set_focus(Panel::ALL[(self.focus.index() + 1) % 10]),
            KeyCode::BackTab => self.set_focus(Panel::ALL[(self.focus.index() + 9) % 10]),
            KeyCode::Char(d @ '1'..='9') => self.set_focus(Panel::ALL[d as usize - '1' as usize]),
            KeyCode::Char('0') => self.set_focus(Panel::Backtrace),
            KeyCode::Up => self.scroll(-1),
            KeyCode::Down => self.scroll(1),
            KeyCode::PageUp => self.scroll(-10),
            KeyCode::PageDown => self.scroll(10),
            KeyCode::Home => self.scroll(i64::MIN / 2),
            KeyCode::End => self.scroll(i64::MAX / 2),
            _ => {}
        }
    }

    fn step(&mut self, tid: Option<i32>, step: Step) {
        if self
            .selected()
            .is_some_and(|v| matches!(v.state, VcpuState::Exited(_)))
        {
            self.message = "the guest has exited".into();
            return;
        }
        self.code_at = None;
        self.peer.step(tid, step);
        self.message = match step {
            Step::Insn => "step: one instruction",
            Step::Block => "step: one block",
            Step::Syscall => "running to the next syscall",
            Step::Over => "step over",
        }
        .into();
    }

    /// Runs until the selected vCPU's function returns to its caller (frame 1 of the
    /// backtrace: its return address, with the sp it had before the call).
    fn finish(&mut self) {
        let Some((tid, pc, state)) = self.selected().map(|v| (v.tid, v.cpu.pc, v.state.clone()))
        else {
            return;
        };
        if matches!(state, VcpuState::Exited(_)) {
            self.message = "the guest has exited".into();
            return;
        }
        let Some(caller) = self.frames.get(1).copied() else {
            self.message = "finish: no caller frame found".into();
            return;
        };
        let name = self.program.describe(pc).unwrap_or_default();
        let name = name.split('+').next().unwrap_or_default().to_string();
        let to = self.program.describe(caller.pc).unwrap_or_default();
        self.code_at = None;
        self.peer.run_to(
            tid,
            caller.pc,
            caller.sp,
            format!("finished {name}: back in <{to}>"),
        );
        self.message = format!("finish: running until {name} returns");
    }

    fn set_focus(&mut self, p: Panel) {
        self.focus = p;
        if matches!(p, Panel::Memory | Panel::Stack | Panel::Blocks) {
            self.lower = p;
        }
        if !matches!(p, Panel::Code | Panel::Registers) {
            self.bottom = p;
        }
    }

    fn next_vcpu(&mut self) {
        let vs = &self.snap.vcpus;
        if vs.is_empty() {
            return;
        }
        let i = self
            .selected()
            .and_then(|s| vs.iter().position(|v| v.tid == s.tid))
            .unwrap_or(0);
        let next = &vs[(i + 1) % vs.len()];
        self.vcpu = Some(next.tid);
        self.code_at = None;
        self.message = format!("vCPU {} selected", next.tid);
    }

    fn toggle_breakpoint(&mut self, addr: u64) {
        self.peer.toggle_breakpoint(addr);
        self.take_answers();
    }

    fn toggled(&mut self, addr: u64, set: bool) {
        let name = self
            .program
            .describe(addr)
            .map(|s| format!(" <{s}>"))
            .unwrap_or_default();
        self.message = format!(
            "breakpoint {} 0x{addr:x}{name}",
            if set { "set at" } else { "removed from" }
        );
        let bps = &mut self.snap.breakpoints;
        bps.retain(|&b| b != addr);
        if set {
            bps.push(addr);
            bps.sort_unstable();
        }
    }

    fn answer(&mut self, ask: Ask, text: &str) {
        match ask {
            Ask::Breakpoint => match self.program.resolve(text) {
                Some(a) => self.toggle_breakpoint(a),
                None => self.message = format!("no symbol or address '{}'", text.trim()),
            },
            Ask::GoTo => match self.resolve(text) {
                Some(a) if self.focus == Panel::Memory || self.focus == Panel::Stack => {
                    self.mem_at = Some(a);
                    self.set_focus(Panel::Memory);
                    self.message = format!("memory at 0x{a:x}");
                }
                Some(a) => {
                    self.code_at = Some(a & !1);
                    self.message = format!("disassembly at 0x{a:x}");
                }
                None => self.message = format!("no symbol, register or address '{}'", text.trim()),
            },
            Ask::Register => self.message = self.inspect(text.trim()),
            Ask::Watch => self.message = self.watch(text.trim()),
            Ask::SetRegister => self.message = self.set_register(text),
            Ask::WriteMemory => self.message = self.write_memory(text),
            Ask::Checkpoint => self.message = self.checkpoint(text.trim()),
        }
    }

    /// Sets a write watchpoint on `addr[ len]` (a symbol's size by default), or removes it.
    fn watch(&mut self, text: &str) -> String {
        let mut words = text.split_whitespace();
        let (Some(at), len) = (words.next(), words.next()) else {
            return "watch: an address or symbol".into();
        };
        let Some(addr) = self.resolve(at) else {
            return format!("no symbol, register or address '{at}'");
        };
        let len = match len.map(parse_number) {
            Some(Some(n)) if (1..=4096).contains(&n) => n,
            Some(_) => return format!("watch: bad length '{}' (1 to 4096)", len.unwrap_or("")),
            None => self
                .program
                .symbol_at(addr)
                .filter(|s| s.addr == addr && s.size > 0)
                .map_or(8, |s| s.size.min(4096)),
        };
        let w = Watchpoint {
            addr,
            len,
            kind: WatchKind::Write,
        };
        let name = self
            .program
            .describe(addr)
            .map(|s| format!(" <{s}>"))
            .unwrap_or_default();
        // The reply says whether one was there; if not, it is set then.
        self.unwatched.push(w);
        self.message.clear();
        self.peer.remove_watchpoint(w);
        self.take_answers();
        let said = std::mem::take(&mut self.message);
        self.resample();
        match said {
            m if m.is_empty() => format!("watch 0x{addr:x}{name}: waiting for the reply"),
            m => m,
        }
    }

    /// The reply to removing the oldest watchpoint asked for: none there sets it.
    fn unwatch_answered(&mut self, removed: bool) {
        if self.unwatched.is_empty() {
            return;
        }
        let w = self.unwatched.remove(0);
        let name = self
            .program
            .describe(w.addr)
            .map(|s| format!(" <{s}>"))
            .unwrap_or_default();
        self.message = if removed {
            format!("watchpoint removed from 0x{:x}{name}", w.addr)
        } else {
            self.peer.add_watchpoint(w);
            format!("watching writes to 0x{:x}{name} ({} bytes)", w.addr, w.len)
        };
    }

    /// `reg = value`: sets a register of the selected, stopped vCPU.
    fn set_register(&mut self, text: &str) -> String {
        let Some(v) = self.selected().filter(|v| v.state == VcpuState::Paused) else {
            return "set register: the vCPU must be stopped".into();
        };
        let Some((name, value)) = text.split_once('=') else {
            return "set register: name = value".into();
        };
        let (name, value) = (name.trim(), value.trim());
        let Some(x) = parse_number(value).or_else(|| self.resolve(value)) else {
            return format!("set register: no value, symbol or register '{value}'");
        };
        let mut cpu = v.cpu.clone();
        let tid = v.tid;
        if name == "pc" {
            cpu.pc = x;
        } else if let Some(r) =
            (1..32).find(|&r| XReg::new(r).abi_name() == name || format!("x{r}") == name)
        {
            cpu.x[r as usize] = x;
        } else if let Some(r) =
            (0..32).find(|&r| FReg::new(r).abi_name() == name || format!("f{r}") == name)
        {
            cpu.f[r as usize] = x;
        } else {
            return format!("set register: no register '{name}' (x0 stays zero)");
        }
        self.peer.set_cpu(tid, cpu);
        self.said(Call::SetCpu, format!("{name} = 0x{x:x}"))
    }

    /// Has the guest's mimic write a snapshot to `file` (a checkpoint: the guest goes on).
    fn checkpoint(&mut self, file: &str) -> String {
        if file.is_empty() {
            return "snapshot: a file name".into();
        }
        self.peer.checkpoint(file.to_string());
        self.said(Call::Checkpoint, format!("snapshot to {file}: waiting"))
    }

    /// `addr = value` (a little-endian u64) or `addr = 'hex bytes'`.
    fn write_memory(&mut self, text: &str) -> String {
        let Some((at, value)) = text.split_once('=') else {
            return "write memory: address = value".into();
        };
        let Some(addr) = self.resolve(at.trim()) else {
            return format!(
                "write memory: no symbol, register or address '{}'",
                at.trim()
            );
        };
        let value = value.trim();
        let bytes = match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
            Some(hex) => match hex_bytes(hex) {
                Some(b) if !b.is_empty() => b,
                _ => return format!("write memory: bad bytes '{hex}' (pairs of hex digits)"),
            },
            None => match parse_number(value) {
                Some(x) => x.to_le_bytes().to_vec(),
                None => return format!("write memory: bad value '{value}'"),
            },
        };
        let note = format!("wrote {} bytes at 0x{addr:x}", bytes.len());
        self.peer.write_memory(addr, bytes);
        self.said(Call::WriteMemory, note)
    }

    /// A register's value in every useful form.
    pub fn inspect(&self, name: &str) -> String {
        let Some(v) = self.selected() else {
            return "no vCPU yet".into();
        };
        if name == "pc" {
            let sym = self.program.describe(v.cpu.pc).unwrap_or_default();
            return format!("pc = 0x{:016x} <{sym}>", v.cpu.pc);
        }
        if let Some(r) =
            (0..32).find(|&r| XReg::new(r).abi_name() == name || format!("x{r}") == name)
        {
            let x = v.cpu.x[r as usize];
            let sym = self
                .program
                .describe(x)
                .map(|s| format!(" <{s}>"))
                .unwrap_or_default();
            let dec = if (x as i64) < 0 {
                format!("{} = {x}", x as i64)
            } else {
                x.to_string()
            };
            return format!(
                "{} (x{r}) = 0x{x:016x} = {dec}{sym}",
                XReg::new(r).abi_name()
            );
        }
        if let Some(r) =
            (0..32).find(|&r| FReg::new(r).abi_name() == name || format!("f{r}") == name)
        {
            let f = v.cpu.f[r as usize];
            return format!(
                "{} (f{r}) = 0x{f:016x} = {}",
                FReg::new(r).abi_name(),
                float_text(f)
            );
        }
        format!("no register '{name}'")
    }

    fn scroll(&mut self, by: i64) {
        match self.focus {
            Panel::Code => self.scroll_code(by),
            Panel::Memory => {
                let a = self.mem_addr() as i64;
                let step = if by.abs() > 1_000_000 { 0 } else { by * 16 };
                self.mem_at = Some(a.wrapping_add(step) as u64);
            }
            Panel::Blocks => {
                let n = self.snap.engine.list.len();
                self.block_sel =
                    (self.block_sel as i64 + by).clamp(0, n.saturating_sub(1) as i64) as usize;
            }
            Panel::Threads => {
                if by != 0 {
                    self.next_vcpu();
                }
            }
            Panel::Output => self.output_back = back(self.output_back, by),
            Panel::Syscalls => self.syscalls_back = back(self.syscalls_back, by),
            Panel::Stack | Panel::Registers | Panel::Layers | Panel::Backtrace => {}
        }
    }

    /// Moves the disassembly's focus by whole instructions.
    fn scroll_code(&mut self, by: i64) {
        let Some(focus) = self.code_focus() else {
            return;
        };
        let start = focus.saturating_sub(CODE_CONTEXT) & !1;
        let Some(bytes) = self.view(start, CODE_WINDOW) else {
            return;
        };
        let lines = self.disasm.around(bytes, start, focus, &self.program);
        let Some(i) = lines.iter().position(|l| l.addr == focus) else {
            return;
        };
        let j = (i as i64 + by.clamp(-64, 64)).clamp(0, lines.len() as i64 - 1) as usize;
        self.code_at = Some(lines[j].addr);
    }
}

/// A number as typed: `0x1f` (hex), `-5` or `42` (decimal).
pub fn parse_number(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.starts_with("0x") || s.starts_with("0X") {
        return parse_hex(s);
    }
    s.parse::<u64>()
        .ok()
        .or_else(|| s.parse::<i64>().ok().map(|v| v as u64))
}

/// `de ad be ef` or `deadbeef` as bytes.
fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
        .collect()
}

fn back(cur: usize, by: i64) -> usize {
    (cur as i64 - by).max(0) as usize
}

/// A float register's value: a NaN-boxed single as `1.5f`, otherwise the double.
pub fn float_text(bits: u64) -> String {
    if bits >> 32 == 0xffff_ffff {
        format!("{}f", short_float(f32::from_bits(bits as u32) as f64))
    } else {
        short_float(f64::from_bits(bits))
    }
}

fn short_float(v: f64) -> String {
    if v == 0.0 || (v.abs() >= 1e-4 && v.abs() < 1e9) {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" {
            "0".into()
        } else {
            s.into()
        }
    } else {
        format!("{v:.4e}")
    }
}

/// mimic's host threads and their CPU time, from /proc/self/task.
pub fn host_threads() -> Vec<HostThread> {
    // SAFETY: sysconf reads a configuration value and touches no memory of ours.
    let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for e in dir.flatten() {
        let Ok(tid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ... utime stime: fields 14 and 15, counted after the ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let f: Vec<&str> = stat[close + 2..].split(' ').collect();
        let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
        out.push(HostThread {
            tid,
            name,
            cpu_secs: (ticks(11) + ticks(12)) / tick,
        });
    }
    out.sort_by_key(|t| t.tid);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEvent;

    fn app() -> (App, Arc<Control>) {
        let control = Arc::new(Control::new());
        let app = App::new(Program::parse(crate::DEMO, "demo"), control.clone());
        (app, control)
    }

    fn press(app: &mut App, keys: &str) {
        for c in keys.chars() {
            let code = match c {
                '\n' => KeyCode::Enter,
                c => KeyCode::Char(c),
            };
            app.key(KeyEvent::from(code));
        }
    }

    #[test]
    fn floats_show_singles_and_doubles() {
        assert_eq!(float_text(0xffff_ffff_3fc0_0000), "1.5f");
        assert_eq!(float_text(1.5f64.to_bits()), "1.5");
        assert_eq!(float_text((-0.25f64).to_bits()), "-0.25");
        assert_eq!(float_text(1e300f64.to_bits()), "1.0000e300");
        assert_eq!(float_text(0), "0");
    }

    #[test]
    fn a_breakpoint_by_symbol_and_its_removal() {
        let (mut a, control) = app();
        let main = a.program.find("main").unwrap().addr;
        press(&mut a, "bmain\n");
        assert_eq!(control.snapshot().breakpoints, vec![main]);
        assert!(a.message.contains("<main>"), "{}", a.message);
        press(&mut a, "bmain+0x4\n");
        assert_eq!(control.snapshot().breakpoints, vec![main, main + 4]);
        press(&mut a, "bmain\n");
        assert_eq!(control.snapshot().breakpoints, vec![main + 4]);
        press(&mut a, "bnot_a_symbol\n");
        assert_eq!(a.message, "no symbol or address 'not_a_symbol'");
    }

    #[test]
    fn escape_cancels_a_prompt_and_keys_switch_panels() {
        let (mut a, _) = app();
        press(&mut a, "gmai");
        assert_eq!(a.prompt, Some((Ask::GoTo, "mai".into())));
        a.key(KeyEvent::from(KeyCode::Esc));
        assert_eq!(a.prompt, None);
        press(&mut a, "4");
        assert_eq!((a.focus, a.lower), (Panel::Blocks, Panel::Blocks));
        a.key(KeyEvent::from(KeyCode::Tab));
        assert_eq!((a.focus, a.lower), (Panel::Threads, Panel::Blocks));
        press(&mut a, "?");
        assert!(a.help);
        press(&mut a, "q");
        assert!(!a.help && !a.quit, "q closes the help first");
        press(&mut a, "q");
        assert!(a.quit);
    }

    /// Pressing run then stopping again must not show "PAUSED" beside the old "running".
    #[test]
    fn a_new_stop_clears_what_the_last_key_said() {
        let (mut a, control) = app();
        control.pause();
        a.refresh();
        a.message = "running".into();
        control.pause();
        control.resume();
        control.pause();
        a.refresh();
        assert!(a.snap.paused);
        let status = crate::render_screen(&a, 120, 30);
        let last = status.lines().last().unwrap();
        assert!(
            last.contains("PAUSED") && !last.contains("running"),
            "{last}"
        );
    }

    #[test]
    fn numbers_and_bytes_as_typed() {
        assert_eq!(parse_number("0x1f"), Some(31));
        assert_eq!(parse_number("42"), Some(42));
        assert_eq!(parse_number("-1"), Some(u64::MAX));
        assert_eq!(parse_number("main"), None);
        assert_eq!(hex_bytes("de ad be ef"), Some(vec![0xde, 0xad, 0xbe, 0xef]));
        assert_eq!(hex_bytes("abc"), None);
        assert_eq!(hex_bytes("zz"), None);
    }

    #[test]
    fn symbols_resolve_and_describe() {
        let p = Program::parse(crate::DEMO, "demo");
        let main = p.find("main").unwrap();
        assert_eq!(p.resolve("main+0x10"), Some(main.addr + 0x10));
        assert_eq!(p.resolve(&format!("{:x}", main.addr)), Some(main.addr));
        assert_eq!(p.describe(main.addr + 6).unwrap(), "main+0x6");
        assert_eq!(p.linking, "static");
    }
}
