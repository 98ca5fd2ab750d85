//! Drawing: the main screen's layout, each panel, the status line and the help overlay.

use crate::app::{float_text, App, Ask, Panel, CODE_CONTEXT, CODE_WINDOW, MEMORY_WINDOW};
use crate::backtrace::How;
use hypervisor_lite::control::{Stream, VcpuState, WatchKind, Why};
use hypervisor_lite::isa_a::{FReg, XReg};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Tabs};
use ratatui::Frame;

const HI: Style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
const DIM: Style = Style::new().fg(Color::DarkGray);
const CUR: Style = Style::new().fg(Color::Black).bg(Color::Cyan);
const BP: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
const HEAD: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
const SRC: Style = Style::new().fg(Color::Green);

/// riscv64's clone (asm-generic/unistd.h).
const CLONE: u64 = 220;

/// Every key, for the help overlay and the README.
pub const KEYS: &[(&str, &str)] = &[
    (
        "space, c",
        "run / pause (at a fatal signal: let the guest die)",
    ),
    ("s", "step one instruction"),
    ("n", "step over: a call runs until it returns"),
    ("f", "finish: run until the current function returns"),
    ("S", "step one block"),
    ("y", "run to the next syscall (stops before it)"),
    ("b", "breakpoint at an address or symbol (again: remove)"),
    ("B, Enter", "toggle a breakpoint at the disassembly cursor"),
    (
        "g",
        "go to an address, symbol or register (in memory when it is focused)",
    ),
    ("i", "inspect a register (a0, x10, fa0, f10, pc)"),
    ("=", "set a register of the stopped vCPU (a0 = 0x10)"),
    ("m", "write memory (addr = u64, or addr = 'hex bytes')"),
    ("w", "watch writes to an address or symbol (again: remove)"),
    (
        "K",
        "checkpoint: snapshot the guest to a file, it goes on (mimic resume FILE)",
    ),
    (".", "back to pc (disassembly) and gp (memory)"),
    ("v", "next vCPU"),
    ("Tab, S-Tab", "next / previous panel"),
    (
        "1-9, 0",
        "panel: code memory stack blocks threads output syscalls regs layers backtrace",
    ),
    (
        "z",
        "zoom: the focused panel fills the screen (again: back)",
    ),
    ("arrows, PgUp/PgDn", "scroll or select in the focused panel"),
    ("Home, End", "top / bottom of the focused panel"),
    ("?", "this help (Esc closes)"),
    ("q, Ctrl-C", "quit (attached: detach, the guest runs on)"),
];

fn block(app: &App, p: Panel) -> Block<'static> {
    let place = match p {
        Panel::Code => app
            .code_focus()
            .and_then(|a| app.program.lines.at(a))
            .map(|pl| format!("· {} ", pl.short()))
            .unwrap_or_default(),
        Panel::Layers => app
            .selected()
            .map(|v| format!("· vCPU {} selected ", v.tid))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let title = format!(" {} {} {place}", p.index_key(), p.title());
    let b = Block::bordered().title(title);
    if app.focus == p {
        b.border_style(Style::new().fg(Color::Cyan))
            .title_style(HEAD)
    } else {
        b
    }
}

impl Panel {
    fn index_key(self) -> usize {
        (Panel::ALL.iter().position(|&p| p == self).unwrap_or(0) + 1) % 10
    }
}

/// The smallest screen the full layout is drawn on; below it, the compact one.
pub const FULL_LAYOUT: (u16, u16) = (154, 40);

/// The whole screen: every panel when it is large enough, code and registers above one
/// tabbed panel when it is not, or the focused panel alone when zoomed.
pub fn draw(app: &App, f: &mut Frame) {
    let [main, status] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(f.area());
    if app.zoom {
        draw_zoomed(app, f, main);
    } else if main.width < FULL_LAYOUT.0 || main.height + 1 < FULL_LAYOUT.1 {
        draw_compact(app, f, main);
    } else {
        draw_full(app, f, main);
    }
    draw_status(app, f, status);
    if app.help {
        draw_help(f);
    }
}

fn draw_zoomed(app: &App, f: &mut Frame, area: Rect) {
    if matches!(app.focus, Panel::Memory | Panel::Stack | Panel::Blocks) {
        draw_lower(app, f, area);
    } else {
        draw_panel(app, f, app.focus, area);
    }
}

/// Code and registers, and below them the panel last chosen among the others (tabs).
fn draw_compact(app: &App, f: &mut Frame, area: Rect) {
    let [top, bottom] =
        Layout::vertical([Constraint::Min(6), Constraint::Percentage(40)]).areas(area);
    let [code, regs] = Layout::horizontal([Constraint::Min(40), Constraint::Length(30)]).areas(top);
    draw_panel(app, f, Panel::Code, code);
    draw_panel(app, f, Panel::Registers, regs);
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(2)]).areas(bottom);
    let names = [
        (Panel::Memory, "mem"),
        (Panel::Stack, "stack"),
        (Panel::Blocks, "blocks"),
        (Panel::Threads, "threads"),
        (Panel::Output, "output"),
        (Panel::Syscalls, "syscalls"),
        (Panel::Layers, "layers"),
        (Panel::Backtrace, "trace"),
    ];
    let sel = names
        .iter()
        .position(|&(p, _)| p == app.bottom)
        .unwrap_or(0);
    let t = Tabs::new(names.iter().map(|(p, n)| format!("{}{n}", p.index_key())))
        .select(sel)
        .padding("", "")
        .divider(" ")
        .highlight_style(HEAD);
    f.render_widget(t, tabs);
    draw_panel(app, f, app.bottom, body);
}

fn draw_full(app: &App, f: &mut Frame, main: Rect) {
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Length(19),
        Constraint::Min(8),
        Constraint::Length(10),
    ])
    .areas(main);
    let [layers, regs] =
        Layout::horizontal([Constraint::Min(50), Constraint::Length(102)]).areas(top);
    let [code, lower, right] = Layout::horizontal([
        Constraint::Percentage(38),
        Constraint::Percentage(36),
        Constraint::Percentage(26),
    ])
    .areas(middle);
    let [threads, trace] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(right);
    let [out, sys] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(bottom);
    draw_panel(app, f, Panel::Layers, layers);
    draw_panel(app, f, Panel::Registers, regs);
    draw_panel(app, f, Panel::Code, code);
    draw_lower(app, f, lower);
    draw_panel(app, f, Panel::Threads, threads);
    draw_panel(app, f, Panel::Backtrace, trace);
    draw_panel(app, f, Panel::Output, out);
    draw_panel(app, f, Panel::Syscalls, sys);
}

/// Memory, stack and blocks share one tabbed area.
fn draw_lower(app: &App, f: &mut Frame, area: Rect) {
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let names = [Panel::Memory, Panel::Stack, Panel::Blocks];
    let sel = names.iter().position(|&p| p == app.lower).unwrap_or(0);
    let t = Tabs::new(
        names
            .iter()
            .map(|p| format!("{} {}", p.index_key(), p.title())),
    )
    .select(sel)
    .highlight_style(HEAD);
    f.render_widget(t, tabs);
    draw_panel(app, f, app.lower, body);
}

/// One panel in `area` (the snapshot tests draw them one by one).
pub fn draw_panel(app: &App, f: &mut Frame, p: Panel, area: Rect) {
    let inner_h = area.height.saturating_sub(2) as usize;
    let inner_w = area.width.saturating_sub(2) as usize;
    if p == Panel::Blocks {
        return draw_blocks(app, f, area);
    }
    let lines = match p {
        Panel::Layers => layers(app),
        Panel::Registers if inner_w < 100 => registers_narrow(app, inner_w),
        Panel::Registers => registers(app),
        Panel::Backtrace => backtrace(app, inner_w),
        Panel::Code => code(app, inner_h),
        Panel::Memory => memory(app, inner_h, inner_w),
        Panel::Stack => stack(app, inner_h),
        Panel::Blocks => unreachable!("drawn by draw_blocks"),
        Panel::Threads => threads(app),
        Panel::Output => output(app, inner_h),
        Panel::Syscalls => syscalls(app, inner_h),
    };
    f.render_widget(Paragraph::new(lines).block(block(app, p)), area);
}

fn sym(app: &App, addr: u64) -> String {
    app.program
        .describe(addr)
        .map(|s| format!(" <{s}>"))
        .unwrap_or_default()
}

fn layers(app: &App) -> Vec<Line<'static>> {
    let p = &app.program;
    let s = &app.snap;
    let v = app.selected();
    let here = v.map(|v| &v.state);
    let mark = |on: bool| if on { "▶ " } else { "  " };
    let retired: u64 = s.vcpus.iter().map(|v| v.cpu.instret).sum();
    let mut out = Vec::new();
    let title = |on: bool, name: &str, rest: String| {
        let mut spans = vec![Span::styled(
            format!("{}{name:<13}", mark(on)),
            if on { HI } else { HEAD },
        )];
        spans.push(Span::raw(rest));
        Line::from(spans)
    };
    out.push(title(
        false,
        "Program",
        format!(
            "{} ({}), entry 0x{:x}, {} symbols",
            p.name,
            p.linking,
            p.entry,
            p.symbols.len()
        ),
    ));
    let segs: Vec<String> = p
        .segments
        .iter()
        .map(|(a, n, fl)| format!("{fl} 0x{a:x}+0x{n:x}"))
        .collect();
    out.push(Line::from(format!("               {}", segs.join("  "))));
    out.push(Line::styled(
        "── interface A: RISC-V RV64GC ───────────────────────",
        DIM,
    ));
    out.push(title(
        matches!(here, Some(VcpuState::Paused)),
        "Guest state",
        match v {
            Some(v) => format!("vCPU {}: pc 0x{:x}{}", v.tid, v.cpu.pc, sym(app, v.cpu.pc)),
            None => "no vCPU yet".into(),
        },
    ));
    // Counts read "the selected vCPU's of all vCPUs'" from here on.
    out.push(Line::from(format!(
        "               retired {} of {} in {} vCPU(s)",
        group(v.map_or(0, |v| v.cpu.instret)),
        group(retired),
        s.vcpus.len()
    )));
    out.push(Line::styled(
        "── implementation of A on B ─────────────────────────",
        DIM,
    ));
    let e = &s.engine;
    match &e.tiers {
        Some(t) => {
            let mine = v.and_then(|v| v.tiers.clone()).unwrap_or_default();
            let all = s.vcpus.iter().filter_map(|v| v.tiers.as_ref());
            let (interp, jit) = all.fold((0, 0), |(i, j), t| (i + t.insns_interp, j + t.insns_jit));
            out.push(title(
                matches!(here, Some(VcpuState::Guest)),
                "Interpreter",
                format!(
                    "{} of {interp_all} insns, {} blocks",
                    group(mine.insns_interp),
                    e.blocks.saturating_sub(t.translated),
                    interp_all = group(interp),
                ),
            ));
            out.push(title(
                matches!(here, Some(VcpuState::Guest)),
                "Translator",
                format!(
                    "{} of {} insns, {} blocks",
                    group(mine.insns_jit),
                    group(jit),
                    t.translated,
                ),
            ));
        }
        None => {
            out.push(title(
                matches!(here, Some(VcpuState::Guest)),
                "Interpreter",
                format!(
                    "{} of {} insns, {} blocks ({} KiB)",
                    group(v.map_or(0, |v| v.cpu.instret)),
                    group(retired),
                    e.blocks,
                    e.cache_bytes / 1024
                ),
            ));
            out.push(title(false, "Translator", "not in this engine".into()));
        }
    }
    out.push(title(
        matches!(here, Some(VcpuState::Syscall(_))),
        "Linux ABI",
        match here {
            Some(VcpuState::Syscall(n)) => {
                format!("{} syscalls (all vCPUs), now in {n}", group(s.syscalls))
            }
            _ => format!("{} syscalls (all vCPUs)", group(s.syscalls)),
        },
    ));
    out.push(Line::styled(
        "── interface B: x86-64 ──────────────────────────────",
        DIM,
    ));
    out.push(title(
        false,
        "Host code",
        match (&e.tiers, e.cache_bytes) {
            (Some(_), 0) => "none yet: no block is hot enough to translate".into(),
            (Some(_), n) => format!(
                "{} KiB of x86-64, {} chains patched",
                n / 1024,
                e.chain_hits.map(group).unwrap_or_default()
            ),
            (None, _) => "none: this engine only interprets".into(),
        },
    ));
    out.push(Line::styled(
        "── hardware B: x86-64 host ──────────────────────────",
        DIM,
    ));
    let total: f64 = app.host_threads.iter().map(|t| t.cpu_secs).sum();
    out.push(title(
        matches!(here, Some(VcpuState::Waiting(_))),
        "Host threads",
        match here {
            Some(VcpuState::Waiting(n)) => format!(
                "{}, {total:.2} s CPU; vCPU blocked in {n}",
                app.host_threads.len()
            ),
            _ => format!("{}, {total:.2} s CPU", app.host_threads.len()),
        },
    ));
    let threads: Vec<String> = app
        .host_threads
        .iter()
        .map(|t| format!("{} {} {:.2}s", t.tid, t.name, t.cpu_secs))
        .collect();
    out.push(Line::from(format!("               {}", threads.join(", "))));
    out.push(Line::from(vec![
        Span::styled("  now: ", HEAD),
        Span::styled(
            match v {
                Some(v) => format!("vCPU {} is in {}", v.tid, v.state.layer()),
                None => "starting".into(),
            },
            HI,
        ),
    ]));
    out
}

fn registers(app: &App) -> Vec<Line<'static>> {
    let Some(v) = app.selected() else {
        return vec![Line::from("no vCPU yet")];
    };
    let base = app.compare_base();
    let cpu = &v.cpu;
    let mut out = Vec::new();
    for row in 0..16 {
        let mut spans = Vec::new();
        for r in [row, row + 16] {
            let changed = base.is_some_and(|b| b.x[r] != cpu.x[r]);
            spans.push(Span::styled(
                format!("x{r:<2} {:<4} ", XReg::new(r as u32).abi_name()),
                DIM,
            ));
            spans.push(Span::styled(
                format!("{:016x}  ", cpu.x[r]),
                if changed { HI } else { Style::new() },
            ));
        }
        for r in [row, row + 16] {
            let changed = base.is_some_and(|b| b.f[r] != cpu.f[r]);
            spans.push(Span::styled(
                format!("f{r:<2} {:<4} ", FReg::new(r as u32).abi_name()),
                DIM,
            ));
            spans.push(Span::styled(
                format!("{:<14}", float_text(cpu.f[r])),
                if changed { HI } else { Style::new() },
            ));
        }
        out.push(Line::from(spans));
    }
    let pc_changed = base.is_some_and(|b| b.pc != cpu.pc);
    let fcsr_changed = base.is_some_and(|b| b.fcsr != cpu.fcsr);
    let rm = ["rne", "rtz", "rdn", "rup", "rmm", "?5", "?6", "dyn"][cpu.frm() as usize];
    let fl: String = ["NV", "DZ", "OF", "UF", "NX"]
        .iter()
        .enumerate()
        .filter(|(i, _)| cpu.fflags() & (0x10 >> i) != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(",");
    out.push(Line::from(vec![
        Span::styled("pc ", DIM),
        Span::styled(
            format!("{:016x}", cpu.pc),
            if pc_changed { HI } else { Style::new() },
        ),
        Span::raw(format!("{}  ", sym(app, cpu.pc))),
        Span::styled("fcsr ", DIM),
        Span::styled(
            format!(
                "{:02x} (frm {rm}, fflags {})",
                cpu.fcsr,
                if fl.is_empty() { "-" } else { &fl }
            ),
            if fcsr_changed { HI } else { Style::new() },
        ),
        Span::styled("  instret ", DIM),
        Span::raw(group(cpu.instret)),
    ]));
    out
}

/// The registers in a narrow column: pc, then x1..x31 with the ones a debugger reads first
/// (ra, sp, fp, arguments) on top, then fcsr and the float registers that are not zero; the
/// full panel (on a screen 100 columns wide or more) has them all in place.
fn registers_narrow(app: &App, width: usize) -> Vec<Line<'static>> {
    let Some(v) = app.selected() else {
        return vec![Line::from("no vCPU yet")];
    };
    let base = app.compare_base();
    let cpu = &v.cpu;
    let mut out = vec![Line::from(vec![
        Span::styled("pc   ", DIM),
        Span::styled(
            format!("{:016x}", cpu.pc),
            if base.is_some_and(|b| b.pc != cpu.pc) {
                HI
            } else {
                Style::new()
            },
        ),
    ])];
    const ORDER: [usize; 31] = [
        1, 2, 8, 10, 11, 12, 13, 14, 15, 16, 17, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 3, 4,
        5, 6, 7, 28, 29, 30, 31,
    ];
    let per_line = (width / 22).clamp(1, 3);
    for pair in ORDER.chunks(per_line) {
        let mut spans = Vec::new();
        for &r in pair {
            let changed = base.is_some_and(|b| b.x[r] != cpu.x[r]);
            spans.push(Span::styled(
                format!("{:<4} ", XReg::new(r as u32).abi_name()),
                DIM,
            ));
            spans.push(Span::styled(
                format!("{:016x} ", cpu.x[r]),
                if changed { HI } else { Style::new() },
            ));
        }
        out.push(Line::from(spans));
    }
    // The float registers that hold something (a narrow column has no room for 32 zeros).
    out.push(Line::from(vec![
        Span::styled("fcsr ", DIM),
        Span::raw(format!("{:02x}", cpu.fcsr)),
    ]));
    let used: Vec<usize> = (0..32).filter(|&r| cpu.f[r] != 0).collect();
    if used.is_empty() {
        out.push(Line::styled("f0-f31 all 0", DIM));
    }
    for group in used.chunks(per_line) {
        let mut spans = Vec::new();
        for &r in group {
            let changed = base.is_some_and(|b| b.f[r] != cpu.f[r]);
            spans.push(Span::styled(
                format!("{:<4} ", FReg::new(r as u32).abi_name()),
                DIM,
            ));
            spans.push(Span::styled(
                format!("{:<16} ", float_text(cpu.f[r])),
                if changed { HI } else { Style::new() },
            ));
        }
        out.push(Line::from(spans));
    }
    out
}

/// The frames of the selected vCPU, and the watchpoints.
fn backtrace(app: &App, width: usize) -> Vec<Line<'static>> {
    if app.selected().is_none() {
        return vec![Line::from("no vCPU yet")];
    }
    let mut out = Vec::new();
    for (i, fr) in app.frames.iter().enumerate() {
        // A caller's pc is its return address: its line is the call's, just before.
        let at = if i == 0 { fr.pc } else { fr.pc.wrapping_sub(1) };
        let place = app
            .program
            .lines
            .at(at)
            .map(|p| format!("  {}", p.short()))
            .unwrap_or_default();
        let how = match fr.how {
            How::FramePointer => "  (fp)",
            How::Registers | How::Cfi => "",
        };
        let text = format!("#{i:<2} {:x}{}{place}{how}", fr.pc, sym(app, fr.pc));
        out.push(if i == 0 {
            Line::styled(text, HI)
        } else {
            Line::from(text)
        });
    }
    if !app.program.unwind.has_cfi() {
        out.push(Line::styled("no unwind tables: frame pointers only", DIM));
    }
    for w in &app.snap.watchpoints {
        let kind = match w.kind {
            WatchKind::Write => "write",
            WatchKind::Read => "read",
            WatchKind::Access => "access",
        };
        let mut line = format!(
            "watch {kind} 0x{:x}{} ({} bytes)",
            w.addr,
            sym(app, w.addr),
            w.len
        );
        line.truncate(width);
        out.push(Line::styled(line, BP));
    }
    out
}

fn code(app: &App, height: usize) -> Vec<Line<'static>> {
    let (Some(focus), Some(v)) = (app.code_focus(), app.selected()) else {
        return vec![Line::from("no vCPU yet")];
    };
    let start = focus.saturating_sub(CODE_CONTEXT) & !1;
    let Some(bytes) = app.view(start, CODE_WINDOW) else {
        return vec![Line::from(format!(
            "0x{focus:x}: waiting for the vCPU to copy the code"
        ))];
    };
    let lines = app.disasm.around(bytes, start, focus, &app.program);
    let Some(at) = lines.iter().position(|l| l.addr == focus) else {
        return vec![Line::from(format!("0x{focus:x}: not readable guest code"))];
    };
    let mut out = Vec::new();
    let first = at.saturating_sub(height / 3);
    let mut source_line = None;
    for l in &lines[first..] {
        if out.len() >= height {
            break;
        }
        if let Some(s) = app.program.symbol_at(l.addr).filter(|s| s.addr == l.addr) {
            out.push(Line::styled(format!("{:016x} <{}>:", l.addr, s.name), HEAD));
            if out.len() >= height {
                break;
            }
        }
        // The source line an instruction starts, above it (objdump -S style).
        if let Some(p) = app.program.lines.at(l.addr) {
            if source_line != Some((p.file, p.line)) {
                source_line = Some((p.file, p.line));
                let text = p
                    .text
                    .map_or_else(|| p.short(), |t| t.trim_end().to_string());
                out.push(Line::styled(format!("{:>6} │ {text}", p.line), SRC));
                if out.len() >= height {
                    break;
                }
            }
        }
        let is_pc = l.addr == v.cpu.pc;
        let is_bp = app.snap.breakpoints.contains(&l.addr);
        let is_cursor = app.code_at == Some(l.addr);
        let marker = match (is_bp, is_pc) {
            (true, true) => "●▶",
            (true, false) => "● ",
            (false, true) => " ▶",
            (false, false) => "  ",
        };
        let target = l
            .target
            .map(|t| format!("  # 0x{t:x}{}", sym(app, t)))
            .unwrap_or_default();
        let text_style = if is_pc {
            CUR
        } else if is_cursor {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
        };
        out.push(Line::from(vec![
            Span::styled(marker, BP),
            Span::styled(format!("{:8x} ", l.addr), DIM),
            Span::styled(format!("{:<9}", l.hex), DIM),
            Span::styled(format!("{:<28}", l.text), text_style),
            Span::styled(target, DIM),
        ]));
    }
    out
}

fn hex_rows(bytes: &[Option<u8>], addr: u64, per_row: usize, rows: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (i, chunk) in bytes.chunks(per_row).take(rows).enumerate() {
        let hex: Vec<String> = chunk
            .iter()
            .map(|b| b.map_or("..".to_string(), |b| format!("{b:02x}")))
            .collect();
        let ascii: String = chunk
            .iter()
            .map(|b| match b {
                Some(c @ 0x20..=0x7e) => *c as char,
                Some(_) => '.',
                None => ' ',
            })
            .collect();
        out.push(Line::from(vec![
            Span::styled(format!("{:012x}  ", addr + (i * per_row) as u64), DIM),
            Span::raw(format!("{}  ", hex.join(" "))),
            Span::styled(format!("|{ascii}|"), DIM),
        ]));
    }
    out
}

fn memory(app: &App, height: usize, width: usize) -> Vec<Line<'static>> {
    let addr = app.mem_addr();
    let mut out = vec![Line::styled(
        format!(
            "0x{addr:x}{}   (g: go to, ↑↓ scroll, .: gp)",
            sym(app, addr)
        ),
        DIM,
    )];
    let per_row = if width >= 14 + 16 * 3 + 20 { 16 } else { 8 };
    match app.view(addr, MEMORY_WINDOW) {
        Some(bytes) => out.extend(hex_rows(bytes, addr, per_row, height.saturating_sub(1))),
        None => out.push(Line::from("waiting for the vCPU to copy memory")),
    }
    out
}

fn stack(app: &App, height: usize) -> Vec<Line<'static>> {
    let Some(v) = app.selected() else {
        return vec![Line::from("no vCPU yet")];
    };
    let sp = v.cpu.x[2];
    let Some(bytes) = app.view(sp, 8 * height as u64) else {
        return vec![Line::from(format!(
            "sp 0x{sp:x}: waiting for the vCPU to copy the stack"
        ))];
    };
    bytes
        .chunks(8)
        .take(height)
        .enumerate()
        .map(|(i, w)| {
            let word = w
                .iter()
                .rev()
                .try_fold(0u64, |acc, b| b.map(|b| acc << 8 | b as u64));
            let at = sp + 8 * i as u64;
            let text = match word {
                Some(x) => format!("{x:016x}{}", sym(app, x)),
                None => "(unreadable)".into(),
            };
            Line::from(vec![
                Span::styled(format!("sp+0x{:<3x} {at:012x}  ", 8 * i), DIM),
                Span::raw(text),
            ])
        })
        .collect()
}

fn blocks(app: &App, height: usize) -> Vec<Line<'static>> {
    let e = &app.snap.engine;
    let mut out = vec![Line::styled(
        format!("{} blocks, {}", e.blocks, e.tier),
        DIM,
    )];
    out.push(Line::styled(
        format!(
            "{:<30} {:>5} {:>5} {:>6}",
            "guest range", "insns", "bytes", "host"
        ),
        HEAD,
    ));
    let rows = height.saturating_sub(2);
    let first = app.block_sel.saturating_sub(rows.saturating_sub(1));
    for (i, b) in e.list.iter().enumerate().skip(first).take(rows) {
        let name = app.program.describe(b.pc).unwrap_or_default();
        let range = format!("{:x}-{:x} {name}", b.pc, b.pc + b.guest_bytes);
        let host = b.host_bytes.map_or("-".to_string(), |n| n.to_string());
        let line = format!(
            "{range:<30.30} {:>5} {:>5} {host:>6}",
            b.insns, b.guest_bytes
        );
        out.push(if i == app.block_sel && app.lower == Panel::Blocks {
            Line::styled(line, CUR)
        } else {
            Line::from(line)
        });
    }
    out
}

/// The block list, and the selected block's guest instructions beside its host code.
fn draw_blocks(app: &App, f: &mut Frame, area: Rect) {
    let b = block(app, Panel::Blocks);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let [list, detail] =
        Layout::horizontal([Constraint::Min(40), Constraint::Percentage(45)]).areas(inner);
    let h = list.height as usize;
    f.render_widget(Paragraph::new(blocks(app, h)), list);
    let mut lines = vec![Line::styled("guest (RISC-V)", HEAD)];
    match app.selected_block() {
        Some(bl) => match app.view(bl.pc, bl.guest_bytes) {
            Some(bytes) => lines.extend(
                app.disasm
                    .lines(bytes, bl.pc)
                    .iter()
                    .map(|l| Line::from(format!("{:x} {}", l.addr, l.text))),
            ),
            None => lines.push(Line::from("waiting for the vCPU to copy it")),
        },
        None => lines.push(Line::styled("select a block (4, then ↑↓)", DIM)),
    }
    lines.push(Line::styled("host (x86-64)", HEAD));
    match app.selected_block() {
        Some(bl) if bl.host_bytes.is_some() => match &app.snap.host_asm {
            Some((pc, asm)) if *pc == bl.pc => {
                lines.extend(asm.iter().map(|l| Line::from(l.clone())))
            }
            _ => lines.push(Line::styled("waiting for the vCPU to publish it", DIM)),
        },
        Some(_) => lines.push(Line::styled(
            "not translated: the interpreter runs it until it is hot",
            DIM,
        )),
        None => {}
    }
    f.render_widget(Paragraph::new(lines), detail);
}

fn threads(app: &App) -> Vec<Line<'static>> {
    let sel = app.selected().map(|v| v.tid);
    let mut out = vec![Line::styled(
        format!(
            "{:<2}{:>6} {:>8} {:<10} {:>12}",
            "", "tid", "host", "state", "retired"
        ),
        HEAD,
    )];
    for v in &app.snap.vcpus {
        let state = match &v.state {
            VcpuState::Guest => "guest".to_string(),
            VcpuState::Syscall(n) => n.to_string(),
            VcpuState::Waiting(n) => format!("wait:{n}"),
            VcpuState::Paused => "paused".into(),
            VcpuState::Exited(s) => format!("exit {s}"),
        };
        let line = format!(
            "{}{:>6} {:>8} {:<10} {:>12}",
            if Some(v.tid) == sel { "▶ " } else { "  " },
            v.tid,
            v.host_tid,
            state,
            group(v.cpu.instret)
        );
        out.push(Line::from(line));
        out.push(Line::styled(
            format!(
                "    pc {:x}{}  cpu {:.2}s",
                v.cpu.pc,
                sym(app, v.cpu.pc),
                v.cpu_time.as_secs_f64()
            ),
            DIM,
        ));
    }
    // Derived from the syscall table, so it goes away when clone lands.
    if hypervisor_lite::syscall::lookup(CLONE).is_none() {
        out.push(Line::styled(
            "clone is not implemented yet: one vCPU per guest",
            DIM,
        ));
    }
    out
}

fn tail<T: Clone>(items: &[T], height: usize, back: usize) -> &[T] {
    let end = items.len().saturating_sub(back);
    &items[end.saturating_sub(height)..end]
}

fn output(app: &App, height: usize) -> Vec<Line<'static>> {
    if app.snap.output.is_empty() && !app.peer.is_local() {
        return vec![Line::styled(
            "attached: the guest writes to its own stdout and stderr",
            DIM,
        )];
    }
    tail(&app.snap.output, height, app.output_back)
        .iter()
        .map(|(s, l)| match s {
            Stream::Stdout => Line::from(l.clone()),
            Stream::Stderr => Line::styled(l.clone(), Style::new().fg(Color::Red)),
        })
        .collect()
}

fn syscalls(app: &App, height: usize) -> Vec<Line<'static>> {
    tail(&app.snap.syscall_log, height, app.syscalls_back)
        .iter()
        .map(|l| Line::from(l.clone()))
        .collect()
}

fn draw_status(app: &App, f: &mut Frame, area: Rect) {
    let line = if let Some((ask, text)) = &app.prompt {
        Line::from(vec![
            Span::styled(format!(" {}: ", ask.label()), HEAD),
            Span::raw(text.clone()),
            Span::styled("█", DIM),
            Span::styled(
                match ask {
                    Ask::Breakpoint
                    | Ask::GoTo
                    | Ask::Register
                    | Ask::Watch
                    | Ask::SetRegister
                    | Ask::WriteMemory
                    | Ask::Checkpoint => "   Enter: ok, Esc: cancel",
                },
                DIM,
            ),
        ])
    } else {
        let s = &app.snap;
        let state = if app.exited() {
            Span::styled(
                format!(" ■ {}: last state shown ", s.reason),
                Style::new().fg(Color::Black).bg(Color::Gray),
            )
        } else if s.paused && matches!(s.why, Why::Fatal { .. }) {
            Span::styled(
                format!(" ■ {} ", s.reason),
                Style::new().fg(Color::White).bg(Color::Red),
            )
        } else if s.paused {
            let at = app
                .selected()
                .map(|v| sym(app, v.cpu.pc))
                .unwrap_or_default();
            Span::styled(
                format!(" ■ PAUSED: {}{at} ", s.reason),
                Style::new().fg(Color::Black).bg(Color::Yellow),
            )
        } else {
            Span::styled(
                " ▶ RUNNING ",
                Style::new().fg(Color::Black).bg(Color::Green),
            )
        };
        Line::from(vec![
            state,
            Span::raw(format!(" {} ", app.message)),
            Span::styled(
                " space run/pause · s step · n over · f finish · b break · w watch · z zoom · ? help · q quit",
                DIM,
            ),
        ])
    };
    f.render_widget(Paragraph::new(line), area);
}

fn draw_help(f: &mut Frame) {
    let area = f.area();
    let h = (KEYS.len() as u16 + 4).min(area.height);
    let w = 110.min(area.width);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    let mut lines = vec![Line::styled("mimic tui: every key", HEAD), Line::from("")];
    lines.extend(
        KEYS.iter().map(|(k, what)| {
            Line::from(vec![Span::styled(format!("{k:<20}"), HI), Span::raw(*what)])
        }),
    );
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Help ")),
        r,
    );
}

/// 1234567 as 1,234,567.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
