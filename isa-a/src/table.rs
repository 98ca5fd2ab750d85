//! The instruction table: every RV64GC instruction, once.
//!
//! Columns: visitor method (the `Insn`/`Opcode` variant is its CamelCase), mnemonic, operand
//! format, extension, flags, fixed bits, mask of the fixed bits. Compressed instructions are
//! not rows: the decoder expands them into these.

use crate::format::*;
use crate::insn::{flag, instructions, Ext, FormatKind, OpInfo};
use std::fmt;

instructions! {
    // RV32I / RV64I
    lui        "lui"        U       I [] 0x00000037 0x0000007f;
    auipc      "auipc"      U       I [] 0x00000017 0x0000007f;
    jal        "jal"        J       I [JUMP] 0x0000006f 0x0000007f;
    jalr       "jalr"       Load    I [JUMP] 0x00000067 0x0000707f;
    beq        "beq"        B       I [BRANCH] 0x00000063 0x0000707f;
    bne        "bne"        B       I [BRANCH] 0x00001063 0x0000707f;
    blt        "blt"        B       I [BRANCH] 0x00004063 0x0000707f;
    bge        "bge"        B       I [BRANCH] 0x00005063 0x0000707f;
    bltu       "bltu"       B       I [BRANCH] 0x00006063 0x0000707f;
    bgeu       "bgeu"       B       I [BRANCH] 0x00007063 0x0000707f;
    lb         "lb"         Load    I [LOAD] 0x00000003 0x0000707f;
    lh         "lh"         Load    I [LOAD] 0x00001003 0x0000707f;
    lw         "lw"         Load    I [LOAD] 0x00002003 0x0000707f;
    ld         "ld"         Load    I [LOAD] 0x00003003 0x0000707f;
    lbu        "lbu"        Load    I [LOAD] 0x00004003 0x0000707f;
    lhu        "lhu"        Load    I [LOAD] 0x00005003 0x0000707f;
    lwu        "lwu"        Load    I [LOAD] 0x00006003 0x0000707f;
    sb         "sb"         Store   I [STORE] 0x00000023 0x0000707f;
    sh         "sh"         Store   I [STORE] 0x00001023 0x0000707f;
    sw         "sw"         Store   I [STORE] 0x00002023 0x0000707f;
    sd         "sd"         Store   I [STORE] 0x00003023 0x0000707f;
    addi       "addi"       I       I [] 0x00000013 0x0000707f;
    slti       "slti"       I       I [] 0x00002013 0x0000707f;
    sltiu      "sltiu"      I       I [] 0x00003013 0x0000707f;
    xori       "xori"       I       I [] 0x00004013 0x0000707f;
    ori        "ori"        I       I [] 0x00006013 0x0000707f;
    andi       "andi"       I       I [] 0x00007013 0x0000707f;
    slli       "slli"       Shift   I [] 0x00001013 0xfc00707f;
    srli       "srli"       Shift   I [] 0x00005013 0xfc00707f;
    srai       "srai"       Shift   I [] 0x40005013 0xfc00707f;
    add        "add"        R       I [] 0x00000033 0xfe00707f;
    sub        "sub"        R       I [] 0x40000033 0xfe00707f;
    sll        "sll"        R       I [] 0x00001033 0xfe00707f;
    slt        "slt"        R       I [] 0x00002033 0xfe00707f;
    sltu       "sltu"       R       I [] 0x00003033 0xfe00707f;
    xor        "xor"        R       I [] 0x00004033 0xfe00707f;
    srl        "srl"        R       I [] 0x00005033 0xfe00707f;
    sra        "sra"        R       I [] 0x40005033 0xfe00707f;
    or         "or"         R       I [] 0x00006033 0xfe00707f;
    and        "and"        R       I [] 0x00007033 0xfe00707f;
    addiw      "addiw"      I       I [] 0x0000001b 0x0000707f;
    slliw      "slliw"      ShiftW  I [] 0x0000101b 0xfe00707f;
    srliw      "srliw"      ShiftW  I [] 0x0000501b 0xfe00707f;
    sraiw      "sraiw"      ShiftW  I [] 0x4000501b 0xfe00707f;
    addw       "addw"       R       I [] 0x0000003b 0xfe00707f;
    subw       "subw"       R       I [] 0x4000003b 0xfe00707f;
    sllw       "sllw"       R       I [] 0x0000103b 0xfe00707f;
    srlw       "srlw"       R       I [] 0x0000503b 0xfe00707f;
    sraw       "sraw"       R       I [] 0x4000503b 0xfe00707f;
    fence      "fence"      Fence   I [] 0x0000000f 0x0000707f;
    ecall      "ecall"      Nullary I [SYSTEM] 0x00000073 0xffffffff;
    ebreak     "ebreak"     Nullary I [SYSTEM] 0x00100073 0xffffffff;

    // Zifencei
    fence_i    "fence.i"    Nullary Zifencei [FENCE_I] 0x0000100f 0x0000707f;

    // Zicsr
    csrrw      "csrrw"      Csr     Zicsr [CSR] 0x00001073 0x0000707f;
    csrrs      "csrrs"      Csr     Zicsr [CSR] 0x00002073 0x0000707f;
    csrrc      "csrrc"      Csr     Zicsr [CSR] 0x00003073 0x0000707f;
    csrrwi     "csrrwi"     CsrI    Zicsr [CSR] 0x00005073 0x0000707f;
    csrrsi     "csrrsi"     CsrI    Zicsr [CSR] 0x00006073 0x0000707f;
    csrrci     "csrrci"     CsrI    Zicsr [CSR] 0x00007073 0x0000707f;

    // M
    mul        "mul"        R       M [] 0x02000033 0xfe00707f;
    mulh       "mulh"       R       M [] 0x02001033 0xfe00707f;
    mulhsu     "mulhsu"     R       M [] 0x02002033 0xfe00707f;
    mulhu      "mulhu"      R       M [] 0x02003033 0xfe00707f;
    div        "div"        R       M [] 0x02004033 0xfe00707f;
    divu       "divu"       R       M [] 0x02005033 0xfe00707f;
    rem        "rem"        R       M [] 0x02006033 0xfe00707f;
    remu       "remu"       R       M [] 0x02007033 0xfe00707f;
    mulw       "mulw"       R       M [] 0x0200003b 0xfe00707f;
    divw       "divw"       R       M [] 0x0200403b 0xfe00707f;
    divuw      "divuw"      R       M [] 0x0200503b 0xfe00707f;
    remw       "remw"       R       M [] 0x0200603b 0xfe00707f;
    remuw      "remuw"      R       M [] 0x0200703b 0xfe00707f;

    // A
    lr_w       "lr.w"       Lr      A [LOAD ATOMIC] 0x1000202f 0xf9f0707f;
    sc_w       "sc.w"       Amo     A [STORE ATOMIC] 0x1800202f 0xf800707f;
    amoswap_w  "amoswap.w"  Amo     A [LOAD STORE ATOMIC] 0x0800202f 0xf800707f;
    amoadd_w   "amoadd.w"   Amo     A [LOAD STORE ATOMIC] 0x0000202f 0xf800707f;
    amoxor_w   "amoxor.w"   Amo     A [LOAD STORE ATOMIC] 0x2000202f 0xf800707f;
    amoand_w   "amoand.w"   Amo     A [LOAD STORE ATOMIC] 0x6000202f 0xf800707f;
    amoor_w    "amoor.w"    Amo     A [LOAD STORE ATOMIC] 0x4000202f 0xf800707f;
    amomin_w   "amomin.w"   Amo     A [LOAD STORE ATOMIC] 0x8000202f 0xf800707f;
    amomax_w   "amomax.w"   Amo     A [LOAD STORE ATOMIC] 0xa000202f 0xf800707f;
    amominu_w  "amominu.w"  Amo     A [LOAD STORE ATOMIC] 0xc000202f 0xf800707f;
    amomaxu_w  "amomaxu.w"  Amo     A [LOAD STORE ATOMIC] 0xe000202f 0xf800707f;
    lr_d       "lr.d"       Lr      A [LOAD ATOMIC] 0x1000302f 0xf9f0707f;
    sc_d       "sc.d"       Amo     A [STORE ATOMIC] 0x1800302f 0xf800707f;
    amoswap_d  "amoswap.d"  Amo     A [LOAD STORE ATOMIC] 0x0800302f 0xf800707f;
    amoadd_d   "amoadd.d"   Amo     A [LOAD STORE ATOMIC] 0x0000302f 0xf800707f;
    amoxor_d   "amoxor.d"   Amo     A [LOAD STORE ATOMIC] 0x2000302f 0xf800707f;
    amoand_d   "amoand.d"   Amo     A [LOAD STORE ATOMIC] 0x6000302f 0xf800707f;
    amoor_d    "amoor.d"    Amo     A [LOAD STORE ATOMIC] 0x4000302f 0xf800707f;
    amomin_d   "amomin.d"   Amo     A [LOAD STORE ATOMIC] 0x8000302f 0xf800707f;
    amomax_d   "amomax.d"   Amo     A [LOAD STORE ATOMIC] 0xa000302f 0xf800707f;
    amominu_d  "amominu.d"  Amo     A [LOAD STORE ATOMIC] 0xc000302f 0xf800707f;
    amomaxu_d  "amomaxu.d"  Amo     A [LOAD STORE ATOMIC] 0xe000302f 0xf800707f;

    // F
    flw        "flw"        FLoad   F [LOAD] 0x00002007 0x0000707f;
    fsw        "fsw"        FStore  F [STORE] 0x00002027 0x0000707f;
    fmadd_s    "fmadd.s"    R4      F [] 0x00000043 0x0600007f;
    fmsub_s    "fmsub.s"    R4      F [] 0x00000047 0x0600007f;
    fnmsub_s   "fnmsub.s"   R4      F [] 0x0000004b 0x0600007f;
    fnmadd_s   "fnmadd.s"   R4      F [] 0x0000004f 0x0600007f;
    fadd_s     "fadd.s"     FRrm    F [] 0x00000053 0xfe00007f;
    fsub_s     "fsub.s"     FRrm    F [] 0x08000053 0xfe00007f;
    fmul_s     "fmul.s"     FRrm    F [] 0x10000053 0xfe00007f;
    fdiv_s     "fdiv.s"     FRrm    F [] 0x18000053 0xfe00007f;
    fsqrt_s    "fsqrt.s"    F1rm    F [] 0x58000053 0xfff0007f;
    fsgnj_s    "fsgnj.s"    FR      F [] 0x20000053 0xfe00707f;
    fsgnjn_s   "fsgnjn.s"   FR      F [] 0x20001053 0xfe00707f;
    fsgnjx_s   "fsgnjx.s"   FR      F [] 0x20002053 0xfe00707f;
    fmin_s     "fmin.s"     FR      F [] 0x28000053 0xfe00707f;
    fmax_s     "fmax.s"     FR      F [] 0x28001053 0xfe00707f;
    fcvt_w_s   "fcvt.w.s"   FToX    F [] 0xc0000053 0xfff0007f;
    fcvt_wu_s  "fcvt.wu.s"  FToX    F [] 0xc0100053 0xfff0007f;
    fcvt_l_s   "fcvt.l.s"   FToX    F [] 0xc0200053 0xfff0007f;
    fcvt_lu_s  "fcvt.lu.s"  FToX    F [] 0xc0300053 0xfff0007f;
    fmv_x_w    "fmv.x.w"    FMvX    F [] 0xe0000053 0xfff0707f;
    feq_s      "feq.s"      FCmp    F [] 0xa0002053 0xfe00707f;
    flt_s      "flt.s"      FCmp    F [] 0xa0001053 0xfe00707f;
    fle_s      "fle.s"      FCmp    F [] 0xa0000053 0xfe00707f;
    fclass_s   "fclass.s"   FMvX    F [] 0xe0001053 0xfff0707f;
    fcvt_s_w   "fcvt.s.w"   XToF    F [] 0xd0000053 0xfff0007f;
    fcvt_s_wu  "fcvt.s.wu"  XToF    F [] 0xd0100053 0xfff0007f;
    fcvt_s_l   "fcvt.s.l"   XToF    F [] 0xd0200053 0xfff0007f;
    fcvt_s_lu  "fcvt.s.lu"  XToF    F [] 0xd0300053 0xfff0007f;
    fmv_w_x    "fmv.w.x"    XMvF    F [] 0xf0000053 0xfff0707f;

    // D
    fld        "fld"        FLoad   D [LOAD] 0x00003007 0x0000707f;
    fsd        "fsd"        FStore  D [STORE] 0x00003027 0x0000707f;
    fmadd_d    "fmadd.d"    R4      D [] 0x02000043 0x0600007f;
    fmsub_d    "fmsub.d"    R4      D [] 0x02000047 0x0600007f;
    fnmsub_d   "fnmsub.d"   R4      D [] 0x0200004b 0x0600007f;
    fnmadd_d   "fnmadd.d"   R4      D [] 0x0200004f 0x0600007f;
    fadd_d     "fadd.d"     FRrm    D [] 0x02000053 0xfe00007f;
    fsub_d     "fsub.d"     FRrm    D [] 0x0a000053 0xfe00007f;
    fmul_d     "fmul.d"     FRrm    D [] 0x12000053 0xfe00007f;
    fdiv_d     "fdiv.d"     FRrm    D [] 0x1a000053 0xfe00007f;
    fsqrt_d    "fsqrt.d"    F1rm    D [] 0x5a000053 0xfff0007f;
    fsgnj_d    "fsgnj.d"    FR      D [] 0x22000053 0xfe00707f;
    fsgnjn_d   "fsgnjn.d"   FR      D [] 0x22001053 0xfe00707f;
    fsgnjx_d   "fsgnjx.d"   FR      D [] 0x22002053 0xfe00707f;
    fmin_d     "fmin.d"     FR      D [] 0x2a000053 0xfe00707f;
    fmax_d     "fmax.d"     FR      D [] 0x2a001053 0xfe00707f;
    fcvt_s_d   "fcvt.s.d"   F1rm    D [] 0x40100053 0xfff0007f;
    fcvt_d_s   "fcvt.d.s"   F1rm    D [] 0x42000053 0xfff0007f;
    feq_d      "feq.d"      FCmp    D [] 0xa2002053 0xfe00707f;
    flt_d      "flt.d"      FCmp    D [] 0xa2001053 0xfe00707f;
    fle_d      "fle.d"      FCmp    D [] 0xa2000053 0xfe00707f;
    fclass_d   "fclass.d"   FMvX    D [] 0xe2001053 0xfff0707f;
    fcvt_w_d   "fcvt.w.d"   FToX    D [] 0xc2000053 0xfff0007f;
    fcvt_wu_d  "fcvt.wu.d"  FToX    D [] 0xc2100053 0xfff0007f;
    fcvt_l_d   "fcvt.l.d"   FToX    D [] 0xc2200053 0xfff0007f;
    fcvt_lu_d  "fcvt.lu.d"  FToX    D [] 0xc2300053 0xfff0007f;
    fmv_x_d    "fmv.x.d"    FMvX    D [] 0xe2000053 0xfff0707f;
    fcvt_d_w   "fcvt.d.w"   XToF    D [] 0xd2000053 0xfff0007f;
    fcvt_d_wu  "fcvt.d.wu"  XToF    D [] 0xd2100053 0xfff0007f;
    fcvt_d_l   "fcvt.d.l"   XToF    D [] 0xd2200053 0xfff0007f;
    fcvt_d_lu  "fcvt.d.lu"  XToF    D [] 0xd2300053 0xfff0007f;
    fmv_d_x    "fmv.d.x"    XMvF    D [] 0xf2000053 0xfff0707f;
}
