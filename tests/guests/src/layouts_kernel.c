/* The kernel's own structures for layouts.c: only kernel uapi headers here (see there). */
#include <asm/sigcontext.h>
#include <asm/signal.h>
#include <asm/siginfo.h>
#include <asm/stat.h>
#include <asm/statfs.h>
#include <asm/termbits.h>
#include <asm/ucontext.h>
#include <linux/capability.h>
#include <linux/openat2.h>

#include "layouts.h"

/* arch/riscv/kernel/signal.c: what the kernel pushes for a handler. */
struct rt_sigframe {
    siginfo_t info;
    struct ucontext uc;
};

void kernel_layouts(void)
{
    S(stat, struct stat);
    F(stat, struct stat, st_dev);
    F(stat, struct stat, st_ino);
    F(stat, struct stat, st_mode);
    F(stat, struct stat, st_nlink);
    F(stat, struct stat, st_uid);
    F(stat, struct stat, st_gid);
    F(stat, struct stat, st_rdev);
    F(stat, struct stat, st_size);
    F(stat, struct stat, st_blksize);
    F(stat, struct stat, st_blocks);
    F(stat, struct stat, st_atime);
    F(stat, struct stat, st_atime_nsec);
    F(stat, struct stat, st_mtime);
    F(stat, struct stat, st_mtime_nsec);
    F(stat, struct stat, st_ctime);
    F(stat, struct stat, st_ctime_nsec);

    S(statfs, struct statfs);
    F(statfs, struct statfs, f_type);
    F(statfs, struct statfs, f_bsize);
    F(statfs, struct statfs, f_blocks);
    F(statfs, struct statfs, f_bfree);
    F(statfs, struct statfs, f_bavail);
    F(statfs, struct statfs, f_files);
    F(statfs, struct statfs, f_ffree);
    F(statfs, struct statfs, f_fsid);
    F(statfs, struct statfs, f_namelen);
    F(statfs, struct statfs, f_frsize);
    F(statfs, struct statfs, f_flags);
    F(statfs, struct statfs, f_spare);

    S(open_how, struct open_how);
    F(open_how, struct open_how, flags);
    F(open_how, struct open_how, mode);
    F(open_how, struct open_how, resolve);

    S(__user_cap_header_struct, struct __user_cap_header_struct);
    F(__user_cap_header_struct, struct __user_cap_header_struct, version);
    F(__user_cap_header_struct, struct __user_cap_header_struct, pid);
    S(__user_cap_data_struct, struct __user_cap_data_struct);
    F(__user_cap_data_struct, struct __user_cap_data_struct, effective);
    F(__user_cap_data_struct, struct __user_cap_data_struct, permitted);
    F(__user_cap_data_struct, struct __user_cap_data_struct, inheritable);

    S(termios, struct termios);
    F(termios, struct termios, c_iflag);
    F(termios, struct termios, c_oflag);
    F(termios, struct termios, c_cflag);
    F(termios, struct termios, c_lflag);
    F(termios, struct termios, c_line);
    F(termios, struct termios, c_cc);

    S(sigaction, struct sigaction);
    F(sigaction, struct sigaction, sa_handler);
    F(sigaction, struct sigaction, sa_flags);
    F(sigaction, struct sigaction, sa_mask);

    S(__riscv_d_ext_state, struct __riscv_d_ext_state);
    F(__riscv_d_ext_state, struct __riscv_d_ext_state, f);
    F(__riscv_d_ext_state, struct __riscv_d_ext_state, fcsr);

    S(__riscv_fp_state, union __riscv_fp_state);
    F(__riscv_fp_state, union __riscv_fp_state, d);

    S(sigcontext, struct sigcontext);
    F(sigcontext, struct sigcontext, sc_regs);
    F(sigcontext, struct sigcontext, sc_fpregs);

    S(ucontext, struct ucontext);
    F(ucontext, struct ucontext, uc_flags);
    F(ucontext, struct ucontext, uc_link);
    F(ucontext, struct ucontext, uc_stack);
    F(ucontext, struct ucontext, uc_sigmask);
    F(ucontext, struct ucontext, uc_mcontext);

    S(rt_sigframe, struct rt_sigframe);
    F(rt_sigframe, struct rt_sigframe, info);
    F(rt_sigframe, struct rt_sigframe, uc);
}
