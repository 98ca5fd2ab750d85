//! Threaded dispatch of a block's instructions: each instruction's handler ends by jumping
//! to the next one's, so the host's branch predictor sees one indirect jump per handler
//! (which learns what usually follows that instruction) instead of one shared jump that
//! must guess among all of them.
//!
//! The handlers are the visitor's semantics, unchanged: `step::<M, OP>` calls
//! `Insn::visit` on an instruction it knows to be opcode `OP`, so the compiler keeps only
//! that arm of the match. A block's chain ends at its last instruction, so the stack holds
//! at most [`MAX_BLOCK_INSNS`](crate::block::MAX_BLOCK_INSNS) frames even where the compiler
//! does not turn the jump into a tail call (it does in optimised builds).

use crate::block::Block;
use crate::bus::Bus;
use crate::decode::Decoded;
use crate::exec::{Flow, Interp};
use crate::insn::Opcode;

/// The state a chain of handlers shares, and how it ended.
pub(crate) struct Chain<'a, 'b, M: Bus + ?Sized> {
    pub it: Interp<'a, M>,
    pub block: &'b Block,
    /// The block's last instruction: the chain ends after it.
    pub last: &'b Decoded,
    /// What the instruction that ended the chain did …
    pub flow: Flow,
    /// … and which one it was.
    pub at: &'b Decoded,
}

/// One instruction's handler.
type Step<M> = for<'a, 'b, 'c> fn(&'c mut Chain<'a, 'b, M>, &'b Decoded);

/// Runs the instructions of `chain.block` from `d` on, until one does something other than
/// fall through, or the last one has run.
#[inline(always)]
pub(crate) fn run<'a, 'b, M: Bus + ?Sized>(chain: &mut Chain<'a, 'b, M>, d: &'b Decoded) {
    Steps::<M>::TABLE[d.insn.opcode() as usize](chain, d)
}

/// Executes `d`, which is opcode `OP`, then the rest of the chain.
fn step<'a, 'b, M: Bus + ?Sized, const OP: u8>(chain: &mut Chain<'a, 'b, M>, d: &'b Decoded) {
    if d.insn.opcode() as u8 != OP {
        // SAFETY: `run` is the only caller, and it picks `step::<_, OP>` from the table
        // by `d`'s opcode.
        unsafe { std::hint::unreachable_unchecked() }
    }
    let flow = if OP == Opcode::Auipc as u8 {
        // The one instruction besides the last that reads the pc, which holds the last's.
        let pc = chain.it.cpu.pc;
        chain.it.cpu.pc = chain.block.pc_of(d);
        let flow = d.insn.visit(&mut chain.it);
        chain.it.cpu.pc = pc;
        flow
    } else {
        d.insn.visit(&mut chain.it)
    };
    if matches!(flow, Flow::Next) && !std::ptr::eq(d, chain.last) {
        // SAFETY: `d` is an element of the block's instructions and not the last one, so the
        // next element exists.
        let next = unsafe { &*(d as *const Decoded).add(1) };
        return run(chain, next);
    }
    chain.flow = flow;
    chain.at = d;
}

/// Per bus type, the handler of each opcode, indexed by the opcode's number (a `u8`, so
/// the table has 256 entries and indexing it needs no bounds check; the ones past the last
/// opcode are never reached).
struct Steps<M: ?Sized>(std::marker::PhantomData<M>);

impl<M: Bus + ?Sized> Steps<M> {
    #[rustfmt::skip]
    const TABLE: [Step<M>; 256] = [
        step::<M, 0>, step::<M, 1>, step::<M, 2>, step::<M, 3>, step::<M, 4>, step::<M, 5>, step::<M, 6>, step::<M, 7>, step::<M, 8>, step::<M, 9>, step::<M, 10>, step::<M, 11>, step::<M, 12>, step::<M, 13>, step::<M, 14>, step::<M, 15>,
        step::<M, 16>, step::<M, 17>, step::<M, 18>, step::<M, 19>, step::<M, 20>, step::<M, 21>, step::<M, 22>, step::<M, 23>, step::<M, 24>, step::<M, 25>, step::<M, 26>, step::<M, 27>, step::<M, 28>, step::<M, 29>, step::<M, 30>, step::<M, 31>,
        step::<M, 32>, step::<M, 33>, step::<M, 34>, step::<M, 35>, step::<M, 36>, step::<M, 37>, step::<M, 38>, step::<M, 39>, step::<M, 40>, step::<M, 41>, step::<M, 42>, step::<M, 43>, step::<M, 44>, step::<M, 45>, step::<M, 46>, step::<M, 47>,
        step::<M, 48>, step::<M, 49>, step::<M, 50>, step::<M, 51>, step::<M, 52>, step::<M, 53>, step::<M, 54>, step::<M, 55>, step::<M, 56>, step::<M, 57>, step::<M, 58>, step::<M, 59>, step::<M, 60>, step::<M, 61>, step::<M, 62>, step::<M, 63>,
        step::<M, 64>, step::<M, 65>, step::<M, 66>, step::<M, 67>, step::<M, 68>, step::<M, 69>, step::<M, 70>, step::<M, 71>, step::<M, 72>, step::<M, 73>, step::<M, 74>, step::<M, 75>, step::<M, 76>, step::<M, 77>, step::<M, 78>, step::<M, 79>,
        step::<M, 80>, step::<M, 81>, step::<M, 82>, step::<M, 83>, step::<M, 84>, step::<M, 85>, step::<M, 86>, step::<M, 87>, step::<M, 88>, step::<M, 89>, step::<M, 90>, step::<M, 91>, step::<M, 92>, step::<M, 93>, step::<M, 94>, step::<M, 95>,
        step::<M, 96>, step::<M, 97>, step::<M, 98>, step::<M, 99>, step::<M, 100>, step::<M, 101>, step::<M, 102>, step::<M, 103>, step::<M, 104>, step::<M, 105>, step::<M, 106>, step::<M, 107>, step::<M, 108>, step::<M, 109>, step::<M, 110>, step::<M, 111>,
        step::<M, 112>, step::<M, 113>, step::<M, 114>, step::<M, 115>, step::<M, 116>, step::<M, 117>, step::<M, 118>, step::<M, 119>, step::<M, 120>, step::<M, 121>, step::<M, 122>, step::<M, 123>, step::<M, 124>, step::<M, 125>, step::<M, 126>, step::<M, 127>,
        step::<M, 128>, step::<M, 129>, step::<M, 130>, step::<M, 131>, step::<M, 132>, step::<M, 133>, step::<M, 134>, step::<M, 135>, step::<M, 136>, step::<M, 137>, step::<M, 138>, step::<M, 139>, step::<M, 140>, step::<M, 141>, step::<M, 142>, step::<M, 143>,
        step::<M, 144>, step::<M, 145>, step::<M, 146>, step::<M, 147>, step::<M, 148>, step::<M, 149>, step::<M, 150>, step::<M, 151>, step::<M, 152>, step::<M, 153>, step::<M, 154>, step::<M, 155>, step::<M, 156>, step::<M, 157>, step::<M, 158>, step::<M, 159>,
        step::<M, 160>, step::<M, 161>, step::<M, 162>, step::<M, 163>, step::<M, 164>, step::<M, 165>, step::<M, 166>, step::<M, 167>, step::<M, 168>, step::<M, 169>, step::<M, 170>, step::<M, 171>, step::<M, 172>, step::<M, 173>, step::<M, 174>, step::<M, 175>,
        step::<M, 176>, step::<M, 177>, step::<M, 178>, step::<M, 179>, step::<M, 180>, step::<M, 181>, step::<M, 182>, step::<M, 183>, step::<M, 184>, step::<M, 185>, step::<M, 186>, step::<M, 187>, step::<M, 188>, step::<M, 189>, step::<M, 190>, step::<M, 191>,
        step::<M, 192>, step::<M, 193>, step::<M, 194>, step::<M, 195>, step::<M, 196>, step::<M, 197>, step::<M, 198>, step::<M, 199>, step::<M, 200>, step::<M, 201>, step::<M, 202>, step::<M, 203>, step::<M, 204>, step::<M, 205>, step::<M, 206>, step::<M, 207>,
        step::<M, 208>, step::<M, 209>, step::<M, 210>, step::<M, 211>, step::<M, 212>, step::<M, 213>, step::<M, 214>, step::<M, 215>, step::<M, 216>, step::<M, 217>, step::<M, 218>, step::<M, 219>, step::<M, 220>, step::<M, 221>, step::<M, 222>, step::<M, 223>,
        step::<M, 224>, step::<M, 225>, step::<M, 226>, step::<M, 227>, step::<M, 228>, step::<M, 229>, step::<M, 230>, step::<M, 231>, step::<M, 232>, step::<M, 233>, step::<M, 234>, step::<M, 235>, step::<M, 236>, step::<M, 237>, step::<M, 238>, step::<M, 239>,
        step::<M, 240>, step::<M, 241>, step::<M, 242>, step::<M, 243>, step::<M, 244>, step::<M, 245>, step::<M, 246>, step::<M, 247>, step::<M, 248>, step::<M, 249>, step::<M, 250>, step::<M, 251>, step::<M, 252>, step::<M, 253>, step::<M, 254>, step::<M, 255>,
    ];
}

const _: () = assert!(Opcode::ALL.len() <= 256);
