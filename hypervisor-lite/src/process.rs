//! A guest process: loading it, and running its vCPUs.
//!
//! ```text
//!   Process::run ──┬─ parallel:      one host thread per vCPU (guest clone: Step::Spawn,
//!                  │                 started by thread.rs)
//!                  └─ deterministic: every vCPU on this thread, round-robin by instruction
//!                                    budget, blocking calls parked as waits (sched.rs)
//!   Shared (Arc, state.rs): address space + mapping lock, code generation, signal
//!                 dispositions, pid, options, live threads (tid → ThreadCtl), …
//!   Vcpu (owned by its thread): Task (Cpu, tid, mask, altstack, …: what the system calls
//!                               see) + engine (its decoded blocks; the translated code is
//!                               the process's, shared by every vCPU)
//! ```
//!
//! File descriptors, the working directory and umask are the host process's own, so the
//! threads share them as CLONE_FILES/CLONE_FS require, and a fork duplicates them.

use crate::loader::{self, LoadError, StartInfo};
use crate::memory::{AddressSpace, PAGE};
use crate::regions::{Region, Regions};
use crate::sched;
use crate::signal::Actions;
use crate::state::{Config, DetState, Shared, ThreadCtl};
use crate::vcpu::{Hook, Vcpu};
use isa_a::format::{Nullary, I};
use isa_a::{Cpu, Insn, XReg};
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::sync::atomic::{AtomicI32, AtomicU64};
use std::sync::{Arc, Mutex, OnceLock};

/// A loaded guest process, ready to run its first thread.
pub struct Process {
    first: Vcpu,
    /// A resumed process's other threads, and where its scheduler stood.
    others: Vec<Vcpu>,
    sched: crate::snapshot::write::Sched,
}

impl Process {
    /// Loads the program and prepares its first vCPU.
    pub fn new(cfg: &Config) -> Result<Process, LoadError> {
        let err = |reason: String| LoadError {
            file: cfg.program.clone(),
            reason,
        };
        let mut space =
            AddressSpace::new().map_err(|e| err(format!("cannot reserve guest memory: {e}")))?;
        let bytes = |s: &OsString| s.as_encoded_bytes().to_vec();
        let start = StartInfo {
            args: cfg.args.iter().map(bytes).collect(),
            env: cfg.env.iter().map(bytes).collect(),
            execfn: cfg.program.as_os_str().as_encoded_bytes().to_vec(),
            stack_size: cfg.stack_size,
            sysroot: cfg.sysroot.clone(),
        };
        // SAFETY: an exec_fd is an open descriptor nothing else owns (see Config).
        let open = cfg
            .exec_fd
            .map(|fd| unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) });
        let loaded = loader::load_open(&mut space, &cfg.program, open, &start)?;
        let loaded_images = images(cfg, &loaded);
        let tramp = space
            .find_free(PAGE, PAGE)
            .ok_or_else(|| err("no room for the signal trampoline".into()))?;
        space
            .map_fixed(tramp, PAGE, (libc::PROT_READ | libc::PROT_EXEC) as u32)
            .map_err(|e| err(e.to_string()))?;
        let code = [
            Insn::Addi(I {
                rd: XReg::new(17),
                rs1: XReg::new(0),
                imm: 139,
            })
            .encode(),
            Insn::Ecall(Nullary {}).encode(),
        ];
        let code: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
        space.write_raw(tramp, &code);
        let mut regions = Regions::default();
        for r in loaded
            .regions
            .into_iter()
            .chain([Region::anon(tramp, tramp + PAGE)])
        {
            regions.insert(r);
        }

        let mut cpu = Cpu::new(loaded.pc);
        cpu.x[2] = loaded.sp;
        let pid = std::process::id() as i32;
        let exe = std::fs::canonicalize(&cfg.program).unwrap_or_else(|_| cfg.program.clone());
        let ctl = ThreadCtl::new(pid);
        let startup = crate::syscall::procfs::startup(&space.handle(), loaded.sp);
        let shared = Arc::new(Shared {
            cfg: cfg.clone(),
            mem: space.handle(),
            code_gen: space.code_gen.clone(),
            space: Mutex::new(space),
            exe,
            regions: Mutex::new(regions),
            startup,
            pid: AtomicI32::new(pid),
            actions: Mutex::new(Actions::default()),
            reported: Mutex::new(HashSet::new()),
            threads: Mutex::new(HashMap::from([(pid, ctl.clone())])),
            retired: AtomicU64::new(0),
            sigreturn_tramp: tramp,
            det: cfg.deterministic.then(|| Mutex::new(DetState::new(pid))),
            fatal: AtomicI32::new(0),
            ended: OnceLock::new(),
            symbols: Arc::new(std::sync::RwLock::new(symbols(cfg, &loaded_images))),
        });
        shared.log(
            |f| f.page,
            || crate::syscall::procfs::maps::page_table(&shared, "binary load"),
        );
        if cfg.log.as_ref().is_some_and(|(f, _)| f.cost) {
            translator::cost::time_translations();
        }
        let first = Vcpu::new(shared, ctl, cpu, None)
            .map_err(|e| err(format!("cannot reserve code space: {e}")))?;
        // Any run may be asked to migrate (`mimic migrate`), so always.
        crate::snapshot::bind::note_inherited();
        crate::snapshot::request::listen(first.shared.clone());
        if let Some(plan) = &cfg.snapshot {
            match &plan.send_to {
                Some(addr) => {
                    crate::snapshot::migrate::arm(first.shared.clone(), plan.signal, addr.clone())
                }
                None if plan.signal != 0 => crate::hostsig::arm_snapshot(plan.signal),
                None => {}
            }
        }
        Ok(Process {
            first,
            others: Vec::new(),
            sched: Default::default(),
        })
    }

    /// A process resumed from a snapshot's records, every thread where it stopped; fails
    /// with one line before any guest instruction runs.
    pub fn resume(
        records: &[crate::snapshot::format::Record],
        opts: &crate::snapshot::resume::Options,
    ) -> Result<Process, String> {
        let r = crate::snapshot::resume::build(records, opts)?;
        let mut vcpus = Vec::new();
        for t in &r.threads {
            let cache = vcpus.first().map(|v: &Vcpu| v.engine.cache());
            let mut v = Vcpu::new(r.shared.clone(), t.ctl.clone(), t.cpu.clone(), cache)
                .map_err(|e| format!("cannot reserve code space: {e}"))?;
            crate::snapshot::resume::apply(&mut v.task, t);
            vcpus.push(v);
        }
        crate::snapshot::request::listen(r.shared.clone());
        if let Some(plan) = &opts.snapshot {
            if plan.signal != 0 {
                crate::hostsig::arm_snapshot(plan.signal);
            }
        }
        let first = vcpus.remove(0);
        Ok(Process {
            first,
            others: vcpus,
            sched: r.sched,
        })
    }

    /// Runs the guest to its end and ends the host process with the guest's exit status,
    /// or the signal that killed it.
    pub fn run(self) -> ! {
        let shared = self.first.shared.clone();
        let status = if shared.deterministic() {
            let mut all = vec![self.first];
            all.extend(self.others);
            let next = self.sched.next_index as usize;
            sched::run_from(all, next, self.sched.skipped)
        } else {
            match crate::thread::run_resumed(self.first, self.others) {
                Ok(s) => s,
                Err(e) => {
                    crate::diag!("mimic: cannot start a resumed thread: {e}");
                    1
                }
            }
        };
        shared.exit_host(status)
    }

    /// Runs the guest under a front end's [`Hook`] on the calling thread and returns its
    /// status when it ends; the host process goes on (the front end still shows the guest).
    pub fn run_embedded(self, control: Arc<dyn Hook>) -> i32 {
        let shared = self.first.shared.clone();
        let status = self.run_hooked(control);
        shared.report_stats();
        status
    }

    /// Runs the guest under `control` on the calling thread, on the runner the options
    /// choose, and returns its status (a fatal signal is in `Shared::fatal`).
    pub fn run_hooked(mut self, control: Arc<dyn Hook>) -> i32 {
        let shared = self.first.shared.clone();
        self.first.attach(control);
        let status = if shared.deterministic() {
            sched::run(self.first)
        } else {
            crate::thread::run_main(self.first)
        };
        shared.finish(status);
        status
    }

    /// What the process's threads share: its memory, auxv, program and end.
    pub fn shared(&self) -> Arc<Shared> {
        self.first.shared.clone()
    }

    /// Where this process's translated code checks the budget ([`crate::vcpu::engine`]).
    pub fn budget(&self) -> translator::Budget {
        self.first.engine.budget()
    }

    /// The thread id of the first thread.
    pub fn tid(&self) -> i32 {
        self.first.tid
    }
}

/// The files loaded and their biases: the program, and its interpreter if any.
fn images(cfg: &Config, loaded: &loader::Loaded) -> Vec<(std::path::PathBuf, u64)> {
    let mut v = vec![(cfg.program.clone(), loaded.bias)];
    v.extend(loaded.interp.clone().map(|i| (i, loaded.interp_base)));
    v
}

/// The functions of the loaded `images`, read only when `-d` logs guest code.
fn symbols(cfg: &Config, images: &[(std::path::PathBuf, u64)]) -> translator::Symbols {
    let mut all = translator::Symbols::default();
    if cfg.log.as_ref().is_some_and(|(f, _)| f.engine()) {
        for (path, bias) in images {
            all.extend(loader::symbols(path, *bias));
        }
    }
    all
}
